"""`chronicle audit ...`: checking the audit log's chain and reading its entries (issue 7).

A thin shell over `chronicle.audit`, in the style of `chronicle.cli`, whose
helpers it uses; they are imported when a command runs, because
`chronicle.cli` imports this module to register the commands.
"""

from __future__ import annotations

import json
import re
import sys
from typing import Annotated, Optional

import typer
from rich.markup import escape
from rich.table import Table

audit_app = typer.Typer(
    help="The audit log: who did what, when. Command-line writes are recorded as CHRONICLE_ACTOR, else the system user.",
    no_args_is_help=True,
)

_EXPECTED = re.compile(r"(\d+):([0-9a-f]{64})")


def _shell():
    """`chronicle.cli`, for its helpers (imported late: it imports this module)."""
    from chronicle import cli

    return cli


def _anchors(values: list[str]) -> dict[int, str]:
    anchors = {}
    for value in values:
        match = _EXPECTED.fullmatch(value.strip().lower())
        if match is None:
            raise typer.BadParameter(f"{value!r} is not ENTRY:HASH, e.g. 1041:9f86d0...(64 hex digits)", param_hint="--expect")
        anchors[int(match.group(1))] = match.group(2)
    return anchors


@audit_app.command("verify")
def verify_command(
    context: typer.Context,
    expect: Annotated[
        Optional[list[str]],
        typer.Option("--expect", help="ENTRY:HASH noted earlier (from a previous verify): that entry must still have that hash. Repeatable."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the outcome as JSON (the shape in docs/audit.md).")] = False,
) -> None:
    """Check the audit log's hash chain: exit 0 when intact, 1 naming the first entry edited, missing or out of order.

    An intact log's check ends with its last entry and hash: keep that
    outside the database (on paper, in a message to a colleague) and give it
    to later checks with --expect. Every hash depends on all the entries
    before it, so they then also catch a chain rewritten up to that entry.

    Example:
        chronicle audit verify
        chronicle audit verify --expect 1041:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08
    """
    from chronicle.audit import verify

    cli = _shell()
    anchors = _anchors(expect or [])
    with cli.refusals(), context.obj.open_database() as database, cli.working("Checking the audit log"):
        outcome = verify(database, expect=anchors)
    if as_json:
        print(json.dumps(outcome.to_json()))
    elif outcome.intact:
        cli.out.print(outcome.message, markup=False)
    if not outcome.intact:
        if not as_json:
            cli.err.print("[bold red]Not intact:[/] ", end="")
            cli.err.print(cli.printable(outcome.message), markup=False, soft_wrap=True)
        raise typer.Exit(code=1)


@audit_app.command("show")
def show_command(
    context: typer.Context,
    user: Annotated[Optional[str], typer.Option("--user", help="Only entries of this actor (exactly as recorded).")] = None,
    record: Annotated[
        Optional[str], typer.Option("--record", help="Only entries about this record id (a person, an event, a source, ...), or naming it.")
    ] = None,
    resource: Annotated[Optional[str], typer.Option("--resource", help="Only entries about this kind of record: persons, events, ...")] = None,
    action: Annotated[Optional[str], typer.Option("--action", help="Only entries of this action: record, import, export, read_restricted, ...")] = None,
    since: Annotated[Optional[str], typer.Option("--since", help="Only entries from this moment on (ISO 8601, or a day: from its start).")] = None,
    until: Annotated[Optional[str], typer.Option("--until", help="Only entries up to this moment (ISO 8601, or a day: to its end).")] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, help="At most the last N entries that match.")] = 100,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON lines, one entry each (the shape in docs/audit.md).")] = False,
) -> None:
    """The audit log's entries, oldest first, filtered by user, record and time.

    Example:
        chronicle audit show --user "A. Officer" --since 2025-06-01 --until 2025-06-30
        chronicle audit show --record p000123 --json
    """
    from chronicle.audit import ACTIONS, entries
    from chronicle.errors import InputError

    cli = _shell()
    with cli.refusals():
        if action is not None and action not in ACTIONS:
            raise InputError(f"--action: {action!r} is not an audit action; the actions are: {', '.join(ACTIONS)}")
        start, end = _moment(since, "--since", end_of_day=False), _moment(until, "--until", end_of_day=True)
        with context.obj.open_database() as database:
            found = entries(database, actor=user, record_id=record, resource=resource, action=action, since=start, until=end, limit=limit)
    if as_json:
        for entry in found:
            sys.stdout.write(json.dumps(entry.to_json(), ensure_ascii=False) + "\n")
        return
    table = Table("entry", "at (UTC)", "actor", "action", "record", "details", title="1 entry" if len(found) == 1 else f"{len(found):,} entries")
    table.columns[1].no_wrap = True
    for entry in found:
        where = "/".join(part for part in (entry.resource, entry.record_key) if part)
        facts = json.dumps(entry.facts, ensure_ascii=False, separators=(",", ":"))
        table.add_row(
            str(entry.entry_id), entry.at.strftime("%Y-%m-%d %H:%M:%S"), escape(cli.printable(entry.actor)), entry.action,
            escape(cli.printable(where)), escape(cli.printable(facts)),
        )
    cli.out.print(table)


def _moment(text: str | None, option: str, *, end_of_day: bool):
    """A moment from an option: ISO 8601, or a day (its first or its last microsecond, UTC)."""
    from datetime import UTC, datetime, time

    from chronicle.dates import parse_date, parse_timestamp
    from chronicle.errors import InputError

    if text is None:
        return None
    try:
        if len(text.strip()) == 10:
            return datetime.combine(parse_date(text.strip()), time.max if end_of_day else time.min, UTC)
        return parse_timestamp(text)
    except InputError as error:
        raise InputError(f"{option}: {error}") from None
