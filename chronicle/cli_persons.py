"""`chronicle persons ...`: duplicates, linking a name, merging and unmerging persons (issue 5).

A thin shell over `chronicle.duplicates` and `chronicle.merging`, in the
style of `chronicle.cli`, whose helpers (opening the database, turning
library errors into a message and exit code 1) it uses. They are imported
when a command runs, because `chronicle.cli` imports this module to register
the commands.
"""

from __future__ import annotations

from typing import Annotated, Optional

import typer
from rich.markup import escape
from rich.table import Table

persons_app = typer.Typer(help="Persons who are probably the same: find, link, merge and unmerge them.", no_args_is_help=True)

JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON (the shapes in docs/merging.md).")]
ByOption = Annotated[str, typer.Option("--by", help="Who decides: recorded with the decision.")]
NoteOption = Annotated[Optional[str], typer.Option("--note", help="Why: recorded with the decision.")]


def _shell():
    """`chronicle.cli`, for its helpers (imported late: it imports this module)."""
    from chronicle import cli

    return cli


def _cell(cli, text: str) -> str:
    """Text from the register for a table cell: control characters shown as codes, no Rich markup."""
    return escape(cli.printable(text))


@persons_app.command("duplicates")
def duplicates_command(
    context: typer.Context,
    threshold: Annotated[
        Optional[float], typer.Option("--threshold", help="Match probability from which a pair is proposed (0 to 1). Default 0.8.")
    ] = None,
    limit: Annotated[Optional[int], typer.Option("--limit", min=1, help="Show only the best N pairs.")] = None,
    known_at: Annotated[Optional[str], typer.Option("--known-at", help="The register as it was known then (ISO 8601). Default: now.")] = None,
    as_json: JsonOption = False,
) -> None:
    """Pairs of persons in the register who are probably the same person, best first, with the evidence.

    Evidence: the name forms compared and how (surname stem, given-name
    group, patronymic), birth dates, genders, regions, and the cases,
    organisations and events both have. Persons merged into another and pairs
    marked not the same are left out.

    Example:
        chronicle persons duplicates --limit 20
        chronicle persons duplicates --threshold 0.95 --json
    """
    from chronicle.duplicates import propose_duplicates

    cli = _shell()
    with cli.refusals(), context.obj.open_database() as database:
        moment = cli._moment(known_at)
        with cli.working("Comparing the persons' names"):
            chosen = {} if threshold is None else {"threshold": threshold}
            proposals = propose_duplicates(database, known_at=moment, limit=limit, **chosen)
    if as_json:
        cli._print_json([proposal.to_json() for proposal in proposals])
        return
    table = Table("probability", "person a", "person b", "best names", "birth dates", "shared", title=f"{len(proposals):,} pairs")
    for proposal in proposals:
        best = proposal.names[0]
        shared = [f"case {case['name']}" for case in proposal.shared_cases]
        shared += [f"organisation {organisation['name']}" for organisation in proposal.shared_organisations]
        shared += [f"{event['type']} {event['date']}" for event in proposal.shared_events]
        table.add_row(
            f"{proposal.probability:.3f}",
            _person(cli, proposal.a),
            _person(cli, proposal.b),
            _cell(cli, f"{best.name_a} ~ {best.name_b}\nsurname {best.surname}, given name {best.given_name}"),
            proposal.birth_date.result,
            _cell(cli, "; ".join(shared)),
        )
    cli.out.print(table)


def _person(cli, person: dict) -> str:
    details = ", ".join(str(value) for value in (person["birth_date"], person["gender"], person["region"]) if value)
    return _cell(cli, f"{person['person_id']} {person['name']}" + (f" ({details})" if details else ""))


@persons_app.command("link")
def link_command(
    context: typer.Context,
    name: Annotated[str, typer.Argument(help="A person's name in any script and order, e.g. from a news text.")],
    birth_date: Annotated[Optional[str], typer.Option("--birth-date", help="Birth date: YYYY, YYYY-MM or YYYY-MM-DD.")] = None,
    gender: Annotated[Optional[str], typer.Option("--gender", help="f, m or x.")] = None,
    region: Annotated[Optional[str], typer.Option("--region", help="Region, in any script.")] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, help="At most this many persons.")] = 5,
    as_json: JsonOption = False,
) -> None:
    """The persons of the register a name probably denotes, best first, with the evidence.

    Example:
        chronicle persons link "Siarhei Tsikhanouski" --birth-date 1978
        chronicle persons link "Тихановский Сергей Леонидович" --json
    """
    from chronicle.duplicates import link_name

    cli = _shell()
    with cli.refusals(), context.obj.open_database() as database:
        links = link_name(database, name, birth_date=birth_date, gender=gender, region=region, limit=limit)
    if as_json:
        cli._print_json([link.to_json() for link in links])
        return
    if not links:
        cli.err.print(f"No person of the register is probably {cli.printable(name)}.", markup=False)
        return
    table = Table("probability", "person", "names", "birth dates")
    for link in links:
        best = link.names[0]
        table.add_row(
            f"{link.probability:.3f}",
            _person(cli, link.person),
            _cell(cli, f"{best.name_b} ({best.field_b}): surname {best.surname}, given name {best.given_name}"),
            link.birth_date.result,
        )
    cli.out.print(table)


@persons_app.command("merge")
def merge_command(
    context: typer.Context,
    keep: Annotated[str, typer.Argument(help="The person id that stays.")],
    absorb: Annotated[str, typer.Argument(help="The person id merged into it.")],
    by: ByOption,
    note: NoteOption = None,
) -> None:
    """Merge two persons: the absorbed person's names, events and memberships go to the kept one.

    Nothing is deleted: every changed record gets a new version, and
    `chronicle persons unmerge` undoes the merge exactly. The merged person is
    public only if both were.

    Example:
        chronicle persons merge p000123 p000456 --by "A. Officer" --note "same passport number"
    """
    from chronicle.merging import merge_persons
    from chronicle.register import Register

    cli = _shell()
    with cli.refusals(), context.obj.open_database() as database:
        merge = merge_persons(Register(database), keep, absorb, by=by, note=note)
    cli.err.print(
        f"Merged {merge.absorbed} into {merge.kept} (merge {merge.merge_id}): {merge.moved('events'):,} events "
        f"and {merge.moved('memberships'):,} memberships moved. Undo: chronicle persons unmerge {merge.merge_id} --by NAME",
        markup=False, soft_wrap=True,
    )
    for column, (kept, absorbed) in merge.differences.items():
        cli.err.print(cli.printable(f"Kept {column} {kept} of {merge.kept}, not {absorbed} of {merge.absorbed}."), markup=False)


@persons_app.command("unmerge")
def unmerge_command(
    context: typer.Context,
    merge_id: Annotated[str, typer.Argument(help="The merge to undo (see chronicle persons merges).")],
    by: ByOption,
) -> None:
    """Undo a merge exactly: both persons, their events and memberships are as they were before it.

    Refused, naming the records, when something the merge wrote was changed since.

    Example:
        chronicle persons unmerge 12 --by "A. Officer"
    """
    from chronicle.merging import unmerge
    from chronicle.register import Register

    cli = _shell()
    with cli.refusals(), context.obj.open_database() as database:
        merge = unmerge(Register(database), merge_id, by=by)
    cli.err.print(f"Undid merge {merge.merge_id}: {merge.absorbed} and {merge.kept} are two persons again.", markup=False)


@persons_app.command("merges")
def merges_command(
    context: typer.Context,
    person: Annotated[Optional[str], typer.Option("--person", help="Only merges where this person was kept or absorbed.")] = None,
    as_json: JsonOption = False,
) -> None:
    """Every merge, oldest first: who was kept and absorbed, by whom, when, and whether it was undone.

    Example:
        chronicle persons merges --json
    """
    from chronicle.merging import merges_of

    cli = _shell()
    with cli.refusals(), context.obj.open_database() as database:
        found = merges_of(database, person_id=person)
    if as_json:
        cli._print_json([merge.to_json() for merge in found])
        return
    table = Table("merge", "kept", "absorbed", "by", "at", "note", "undone")
    for merge in found:
        merge_json = merge.to_json()
        undone = f"{merge_json['undone_at']} by {merge.undone_by}" if merge.undone_at else ""
        table.add_row(
            str(merge.merge_id), _cell(cli, merge.kept), _cell(cli, merge.absorbed), _cell(cli, merge.merged_by),
            merge_json["merged_at"], _cell(cli, merge.note or ""), _cell(cli, undone),
            style="dim" if merge.undone_at else None,
        )
    cli.out.print(table)


@persons_app.command("not-same")
def not_same_command(
    context: typer.Context,
    first: Annotated[str, typer.Argument(help="A person id.")],
    second: Annotated[str, typer.Argument(help="Another person id.")],
    by: ByOption,
    note: NoteOption = None,
) -> None:
    """Record that two persons are different people, so that they are not proposed as duplicates again.

    Example:
        chronicle persons not-same p000123 p000456 --by "A. Officer" --note "brothers"
    """
    from chronicle.merging import mark_not_same
    from chronicle.register import Register

    cli = _shell()
    with cli.refusals(), context.obj.open_database() as database:
        decision = mark_not_same(Register(database), first, second, by=by, note=note)
    cli.err.print(f"Recorded: {decision.person_a} and {decision.person_b} are not the same person.", markup=False)
