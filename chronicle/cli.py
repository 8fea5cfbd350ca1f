"""The command line: a thin shell over the library (spec/cli.md).

Each command opens the database, calls one library function and renders the
result. Library errors become a message on standard error and exit code 1;
usage errors exit with 2 (Typer's own handling).
"""

from __future__ import annotations

import csv
import json
import re
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from chronicle.cli_audit import audit_app
from chronicle.cli_persons import persons_app
from chronicle.cli_security import key_app, register_security_commands
from chronicle.cli_users import users_app
from chronicle.database import DEFAULT_DATABASE, Database
from chronicle.errors import ChronicleError, PackageError

app = typer.Typer(
    name="chronicle",
    help="Chronicle: a register and monitor of politically motivated repression.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(help="Database maintenance.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(users_app, name="user")
app.add_typer(persons_app, name="persons")
app.add_typer(key_app, name="key")
register_security_commands(app)
app.add_typer(audit_app, name="audit")

err = Console(stderr=True, highlight=False, emoji=False)
out = Console(highlight=False, emoji=False)
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def printable(text: object) -> str:
    """Text from the input, with control characters (terminal escapes) shown as codes, never sent raw."""
    return _CONTROL.sub(lambda match: f"\\x{ord(match.group()):02x}", str(text))


@dataclass
class Settings:
    """What the global options chose; built once per invocation."""

    database: str = DEFAULT_DATABASE

    def open_database(self, *, upgrade: bool = True) -> Database:
        """The database, schema up to date and key checked; use it in a `with` block so that it is closed.

        The key comes from CHRONICLE_KEY_FILE (or beside a SQLite file, created on first use: said on standard error).
        """
        return Database.open(self.database, upgrade=upgrade, notice=lambda text: err.print(text, markup=False, soft_wrap=True))


@app.callback()
def main_options(
    context: typer.Context,
    db: Annotated[
        Optional[str],
        typer.Option(
            "--db",
            envvar="CHRONICLE_DB",
            help="Database: a file path (SQLite) or postgresql://user@host/name. Default ./chronicle.db.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Chronicle keeps a register of politically motivated repression and computes its figures.

    Example:
        chronicle --db register.db import ./package
    """
    context.obj = Settings(database=db or DEFAULT_DATABASE)
    from chronicle.audit import acting_as, default_actor

    with refusals():  # who the audit log records for this command's writes: CHRONICLE_ACTOR, else the system user
        context.with_resource(acting_as(default_actor()))


def fail(message: str) -> typer.Exit:
    err.print("[bold red]Error:[/] ", end="")
    err.print(printable(message), markup=False, soft_wrap=True)
    return typer.Exit(code=1)


@contextmanager
def refusals() -> Iterator[None]:
    """Turn library errors into a message and exit code 1."""
    try:
        yield
    except PackageError as error:
        err.print("[bold red]Error:[/] ", end="")
        err.print(printable(error.args[0]), markup=False, soft_wrap=True)
        for problem in error.problems:
            err.print(f"  {printable(problem)}", markup=False, soft_wrap=True)
        raise typer.Exit(code=1) from None
    except ChronicleError as error:
        raise fail(str(error)) from None
    except KeyboardInterrupt:
        err.print("Interrupted; nothing was written.")
        raise typer.Exit(code=130) from None


@contextmanager
def progress_bar(total: int | None = None) -> Iterator[Callable[[str, int], None] | None]:
    """A progress callback that draws a bar on a terminal, and does nothing otherwise."""
    if not sys.stderr.isatty():
        yield None
        return
    columns = [SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed:,} rows"), TimeElapsedColumn()]
    with Progress(*columns, console=err, transient=True) as bar:
        tasks: dict[str, int] = {}

        def advance(stage: str, rows: int) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(stage, total=total)
            bar.advance(tasks[stage], rows)

        yield advance


@contextmanager
def working(message: str) -> Iterator[None]:
    """A spinner for work without countable steps, on a terminal only."""
    if not sys.stderr.isatty():
        yield
        return
    with err.status(message):
        yield


@app.command("import")
def import_command(
    context: typer.Context,
    package: Annotated[Path, typer.Argument(help="A data package: a folder with datapackage.json, or a .zip of one.")],
) -> None:
    """Import a data package, all or nothing.

    The whole package is checked first; if anything is wrong, every problem is
    listed with its file, line and column, and nothing is written. Importing the
    same package twice changes nothing.

    Example:
        chronicle import ./package.zip
    """
    from chronicle.importer import import_package

    with refusals():
        with context.obj.open_database() as database, progress_bar() as progress:
            report = import_package(database, package, progress=progress)
    for warning in report.warnings[:50]:
        err.print(f"Warning: {printable(warning)}", markup=False, soft_wrap=True)
    if len(report.warnings) > 50:
        err.print(f"... and {len(report.warnings) - 50:,} more warnings", markup=False)
    table = Table("file", "added", "changed", "retracted", "unchanged", title=f"Imported {package}")
    for name, counts in report.counts.items():
        table.add_row(f"{name}.csv", *(f"{n:,}" for n in (counts.added, counts.changed, counts.retracted, counts.unchanged)))
    err.print(table)


@app.command("export")
def export_command(
    context: typer.Context,
    destination: Annotated[Path, typer.Argument(help="A new folder to write the package into (or a name ending in .zip).")],
    public: Annotated[bool, typer.Option("--public", help="Only what may be published: see docs/data-package.md.")] = False,
) -> None:
    """Export the register as a data package.

    A full export holds every version of every event, so figures as known on
    any past day can be recomputed from it. --public leaves out restricted
    sources, notes, persons not consenting to be named and their events.

    Example:
        chronicle export ./open-data --public
    """
    from chronicle.exporter import export_package

    with refusals():
        with context.obj.open_database() as database, progress_bar() as progress:
            report = export_package(database, destination, public=public, progress=progress)
    summary = ", ".join(f"{count:,} {name}" for name, count in report.rows.items())
    err.print(f"Wrote {report.destination}: {summary}", markup=False, soft_wrap=True)


@app.command("generate")
def generate_command(
    out_dir: Annotated[Path, typer.Argument(help="A new folder for the generated package.")],
    persons: Annotated[int, typer.Option("--persons", min=1, help="How many persons to generate.")] = 2000,
    seed: Annotated[int, typer.Option("--seed", help="The same seed gives the same package.")] = 1,
) -> None:
    """Generate a realistic synthetic data package (for demos, tests and benchmarks).

    Example:
        chronicle generate ./synthetic --persons 10000 --seed 7
    """
    from chronicle.generate import generate_package

    with refusals():
        try:
            with progress_bar(total=persons) as progress:
                done = 0

                def persons_done(count: int) -> None:
                    nonlocal done
                    progress("generating persons", count - done)
                    done = count

                summary = generate_package(out_dir, persons=persons, seed=seed, progress=persons_done if progress else None)
        except ValueError as error:
            raise fail(str(error)) from None
    err.print(f"Wrote {out_dir}: {summary}", markup=False, soft_wrap=True)


@app.command("serve")
def serve_command(
    context: typer.Context,
    host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=1, max=65535, help="Port to listen on.")] = 8000,
    local_operator: Annotated[bool, typer.Option(
        "--local-operator",
        help="Nobody signs in: every caller is the local operator, an admin. Only on a loopback --host; for one person on a laptop.",
    )] = False,
) -> None:
    """Serve the web app and the JSON API on the chosen database.

    Staff sign in with their accounts (chronicle user add; see
    docs/accounts.md); the anonymous public sees the public site and the
    public API only. Signing in needs HTTPS, so put a TLS proxy in front of a
    server others reach; plain http works from the same machine only.

    --local-operator (loopback addresses only) lets every caller in as the
    one local operator, without signing in: any program or web page on this
    machine that reaches the port acts as an admin.

    Example:
        chronicle --db register.db serve --port 8080
        chronicle --db register.db serve --local-operator
    """
    from chronicle.accounts import Accounts
    from chronicle.web.server import is_loopback, serve

    if local_operator and not is_loopback(host):
        raise fail(f"--local-operator: refused on {host}, which is not a loopback address: "
                   "on a network, staff sign in with their accounts (chronicle user add)")
    with refusals():
        with context.obj.open_database() as database:
            if local_operator:
                err.print("Warning: local-operator mode: nobody signs in, and every program and web page on this machine "
                          "that reaches the port acts as an admin, restricted data included.", markup=False, soft_wrap=True)
            elif Accounts(database).count() == 0:
                db_option = "" if context.obj.database == DEFAULT_DATABASE else f"--db {context.obj.database} "
                err.print("There are no accounts yet, so nobody can sign in. Create the first admin with:\n"
                          f"    chronicle {db_option}user add NAME --role admin", markup=False, soft_wrap=True)
            serve(database, host=host, port=port, local_operator=local_operator)


@app.command("demo")
def demo_command(
    port: Annotated[int, typer.Option("--port", min=0, max=65535, help="Port to serve on (0: any free port).")] = 8000,
    no_browser: Annotated[bool, typer.Option("--no-browser", help="Do not open a web browser.")] = False,
    persons: Annotated[int, typer.Option("--persons", min=10, help="Size of the demo register.")] = 2000,
) -> None:
    """Build a demo register from synthetic data in a fresh SQLite file and serve it.

    Example:
        chronicle demo --port 8000 --no-browser
    """
    from chronicle.demo import run_demo

    with refusals():
        run_demo(port=port, open_browser=not no_browser, persons=persons, say=lambda text: err.print(text, markup=False, soft_wrap=True))


# Figures

FILTER_OPTIONS = dict(
    case=typer.Option("--case", help="Only persons with an event in this case (case id)."),
    category=typer.Option("--category", help="Only persons of this category, e.g. journalist."),
    region=typer.Option("--region", help="Only persons of this region."),
    organisation=typer.Option("--organisation", help="Only members of this organisation (organisation id)."),
)


def _filters(case: str | None, category: str | None, region: str | None, organisation: str | None):
    from chronicle.figures import Filters

    return Filters(case=case, category=category, region=region, organisation=organisation)


def _day(text: str | None, option: str):
    from chronicle.dates import parse_date
    from chronicle.errors import InputError

    if text is None:
        return None
    try:
        return parse_date(text)
    except InputError as error:
        raise InputError(f"{option}: {error}") from None


def _moment(text: str | None):
    from chronicle.dates import parse_timestamp
    from chronicle.errors import InputError

    if text is None:
        return None
    try:
        return parse_timestamp(text)
    except InputError as error:
        raise InputError(f"--known-at: {error}") from None


def _print_json(data) -> None:
    out.print_json(json.dumps(data, ensure_ascii=False, default=str)) if sys.stdout.isatty() else print(json.dumps(data, ensure_ascii=False, default=str))


CaseOption = Annotated[Optional[str], FILTER_OPTIONS["case"]]
CategoryOption = Annotated[Optional[str], FILTER_OPTIONS["category"]]
RegionOption = Annotated[Optional[str], FILTER_OPTIONS["region"]]
OrganisationOption = Annotated[Optional[str], FILTER_OPTIONS["organisation"]]
KnownAtOption = Annotated[Optional[str], typer.Option("--known-at", help="Record time: the register as it was known then (ISO 8601). Default: now.")]
AsOfOption = Annotated[Optional[str], typer.Option("--as-of", help="Stock figures at the end of this day (YYYY-MM-DD).")]
FromOption = Annotated[Optional[str], typer.Option("--from", help="First day of the interval (YYYY-MM-DD).")]
ToOption = Annotated[Optional[str], typer.Option("--to", help="Last day of the interval, included (YYYY-MM-DD).")]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON (the shape in spec/cli.md).")]


def _when(as_of: str | None, start: str | None, end: str | None) -> dict:
    """The day (`as_of`) or the interval (`start`, `end`) that the options chose, as library arguments."""
    if _stock_or_flow(as_of, start, end) == "stock":
        return {"as_of": _day(as_of, "--as-of")}
    return {"start": _day(start, "--from"), "end": _day(end, "--to")}


def _stock_or_flow(as_of: str | None, start: str | None, end: str | None) -> str:
    if as_of is not None and (start is not None or end is not None):
        raise typer.BadParameter("give either --as-of, or --from and --to, not both")
    if as_of is not None:
        return "stock"
    if start is None or end is None:
        raise typer.BadParameter("give --as-of DATE, or --from DATE and --to DATE")
    return "flow"


@app.command("figures")
def figures_command(
    context: typer.Context,
    as_of: AsOfOption = None,
    start: FromOption = None,
    end: ToOption = None,
    known_at: KnownAtOption = None,
    case: CaseOption = None,
    category: CategoryOption = None,
    region: RegionOption = None,
    organisation: OrganisationOption = None,
    as_json: JsonOption = False,
) -> None:
    """Stock figures at the end of a day, or flow figures over an interval.

    Stock: behind bars, political prisoners (by category, by gender), recognised
    in total, died in custody, in exile. Flow: arrests, releases, pardons,
    deportations, deaths in custody, new recognitions, convictions.

    Example:
        chronicle figures --as-of 2025-06-30 --json
        chronicle figures --from 2025-05-01 --to 2025-05-31 --category journalist
    """
    from chronicle.figures import Figures

    kind = _stock_or_flow(as_of, start, end)
    with refusals(), context.obj.open_database() as database:
        figures = Figures(database)
        filters = _filters(case, category, region, organisation)
        if kind == "stock":
            result = figures.stock(_day(as_of, "--as-of"), known_at=_moment(known_at), filters=filters)
        else:
            result = figures.flow(_day(start, "--from"), _day(end, "--to"), known_at=_moment(known_at), filters=filters)
    if as_json:
        _print_json(result)
        return
    out.print(_figures_title(result, filters), markup=False)
    table = Table("figure", "value")
    for name, value in result.items():
        if name in ("as_of", "from", "to", "known_at"):
            continue
        if isinstance(value, dict):
            for key, count in value.items():
                table.add_row(f"{name}: {key}", f"{count:,}")
        else:
            table.add_row(name, f"{value:,}")
    out.print(table)


def _figures_title(result: dict, filters) -> str:
    when = f"as of {result['as_of']}" if "as_of" in result else f"from {result['from']} to {result['to']}"
    chosen = ", ".join(f"{key} {value}" for key, value in filters.to_json().items() if value is not None)
    return f"Figures {when}, known at {result['known_at']}" + (f" ({chosen})" if chosen else "")


@app.command("series")
def series_command(
    context: typer.Context,
    metric: Annotated[str, typer.Argument(help="A figure: behind_bars, political_prisoners, arrests, releases, ...")],
    start: FromOption = None,
    end: ToOption = None,
    step: Annotated[str, typer.Option("--step", help="day, week (ISO, Monday to Sunday) or month.")] = "day",
    known_at: KnownAtOption = None,
    case: CaseOption = None,
    category: CategoryOption = None,
    region: RegionOption = None,
    organisation: OrganisationOption = None,
    as_csv: Annotated[bool, typer.Option("--csv", help="Print CSV: from,to,value (a column per key for split figures).")] = False,
    as_json: JsonOption = False,
    png: Annotated[Optional[Path], typer.Option("--png", help="Write a PNG chart to this file.")] = None,
    svg: Annotated[Optional[Path], typer.Option("--svg", help="Write an SVG chart to this file.")] = None,
) -> None:
    """A time series of one figure: its value at the end of each day, week or month (stock), or over each (flow).

    Example:
        chronicle series political_prisoners --from 2020-01-01 --to 2025-12-31 --step month --csv
        chronicle series arrests --from 2024-01-01 --to 2024-12-31 --step month --png arrests.png
    """
    from chronicle.figures import Figures

    if start is None or end is None:
        raise typer.BadParameter("give --from DATE and --to DATE")
    with refusals(), context.obj.open_database() as database:
        filters = _filters(case, category, region, organisation)
        first, last, moment = _day(start, "--from"), _day(end, "--to"), _moment(known_at)
        points = Figures(database).series(metric, first, last, step=step, known_at=moment, filters=filters)
        stamp = _stamp(moment)
        for path, kind in ((png, "png"), (svg, "svg")):
            if path is not None:
                from chronicle.charts import render, series_chart

                render(series_chart(metric, points, step=step, as_of=last.isoformat(), known_at=stamp, filters=filters.to_json()), path)
                err.print(f"Wrote {path}", markup=False)
    if as_json:
        _print_json({"metric": metric, "from": start, "to": end, "step": step, "known_at": stamp,
                     "filters": filters.to_json(), "points": points})
    elif as_csv:
        _print_series_csv(points)
    elif png is None and svg is None:
        out.print(f"{metric} by {step}", markup=False)
        table = Table("from", "to", "value")
        for point in points:
            value = point["value"]
            shown = ", ".join(f"{k} {v:,}" for k, v in value.items()) if isinstance(value, dict) else f"{value:,}"
            table.add_row(point["from"], point["to"], shown)
        out.print(table)


def _stamp(moment) -> str:
    from chronicle.dates import format_timestamp, utc_now

    return format_timestamp(moment or utc_now())


def _print_series_csv(points: list[dict]) -> None:
    writer = csv.writer(sys.stdout, lineterminator="\n")
    keys = sorted({key for point in points if isinstance(point["value"], dict) for key in point["value"]})
    writer.writerow(["from", "to", *(keys or ["value"])])
    for point in points:
        value = point["value"]
        cells = [value.get(key, 0) for key in keys] if isinstance(value, dict) else [value]
        writer.writerow([point["from"], point["to"], *cells])


def _audit_restricted_read(database: Database, result: dict, items: list[dict], command: str) -> None:
    """One `read_restricted` entry when a command's answer holds restricted sources (--restricted): their ids, the figure asked.

    Recorded before anything is printed, as a table or JSON; an answer
    without restricted sources is no entry (docs/audit.md).
    """
    from chronicle import audit

    shown = sorted({
        source["source_id"] for item in items for event in (item.get("events") or [item])
        for source in event.get("sources", []) if source.get("restricted")
    })
    if shown:
        asked = {key: result.get(key) for key in ("as_of", "from", "to", "known_at", "filters") if key in result}
        audit.record_event(database, "read_restricted", resource="figures", key=result["metric"],
                           details={**asked, "view": f"command line: {command}", "restricted_sources": shown})


@app.command("explain")
def explain_command(
    context: typer.Context,
    metric: Annotated[str, typer.Argument(help="The figure to explain, e.g. political_prisoners or arrests.")],
    as_of: AsOfOption = None,
    start: FromOption = None,
    end: ToOption = None,
    known_at: KnownAtOption = None,
    case: CaseOption = None,
    category: CategoryOption = None,
    region: RegionOption = None,
    organisation: OrganisationOption = None,
    restricted: Annotated[bool, typer.Option("--restricted", help="Include restricted sources (for staff allowed to see them).")] = False,
    as_json: JsonOption = False,
) -> None:
    """The persons (stock figures) or events (flow figures) behind a figure, with their events and sources.

    The number of items always equals the figure.

    Example:
        chronicle explain political_prisoners --as-of 2025-06-30 --category journalist
        chronicle explain arrests --from 2025-05-01 --to 2025-05-31 --json
    """
    from chronicle.figures import Figures

    _stock_or_flow(as_of, start, end)  # usage errors first, before the database is opened
    with refusals(), context.obj.open_database() as database:
        filters = _filters(case, category, region, organisation)
        options = _when(as_of, start, end)
        result = Figures(database).explain(metric, known_at=_moment(known_at), filters=filters, include_restricted=restricted, **options)
        _audit_restricted_read(database, result, result["items"], "explain")
    if as_json:
        _print_json(result)
        return
    when = f"as of {result['as_of']}" if "as_of" in result else f"from {result['from']} to {result['to']}"
    out.print(f"{metric} {when}: {result['count']:,}", markup=False)
    table = Table("person", "name", "events", "sources")
    for item in result["items"]:
        events = item.get("events") or [item]
        table.add_row(
            item["person_id"] + (f" ({item['group']})" if item.get("group") else ""),
            printable(item.get("name") or ""),
            "; ".join(f"{e['date']} {e['type']}" for e in events),
            "; ".join(printable(s["title"]) for e in events for s in e["sources"]),
        )
    out.print(table)


@app.command("reconcile")
def reconcile_command(
    context: typer.Context,
    metric: Annotated[str, typer.Option("--metric", help="The figure the claim is about, e.g. arrests.")],
    value: Annotated[int, typer.Option("--value", help="The number claimed.")],
    qualifier: Annotated[str, typer.Option("--qualifier", help="exact, at_least, more_than, about or at_most.")] = "exact",
    as_of: AsOfOption = None,
    start: FromOption = None,
    end: ToOption = None,
    known_at: KnownAtOption = None,
    case: CaseOption = None,
    category: CategoryOption = None,
    region: RegionOption = None,
    organisation: OrganisationOption = None,
    restricted: Annotated[bool, typer.Option("--restricted", help="Include restricted sources in the candidates.")] = False,
    as_json: JsonOption = False,
) -> None:
    """Compare a figure stated elsewhere with the register's own, and list what may explain a gap.

    Example:
        chronicle reconcile --metric arrests --from 2025-06-01 --to 2025-06-30 --value 60 --qualifier at_least
        chronicle reconcile --metric political_prisoners --as-of 2025-07-01 --value 1174 --json
    """
    from chronicle.figures import Figures
    from chronicle.reconcile import reconcile

    _stock_or_flow(as_of, start, end)  # usage errors first, before the database is opened
    with refusals(), context.obj.open_database() as database:
        filters = _filters(case, category, region, organisation)
        options = _when(as_of, start, end)
        result = reconcile(Figures(database), metric, value, qualifier, known_at=_moment(known_at), filters=filters,
                           include_restricted=restricted, **options)
        _audit_restricted_read(database, result, result["candidates"]["items"], "reconcile")
    if as_json:
        _print_json(result)
        return
    verdict = "holds" if result["holds"] else f"does not hold: the register counts {result['difference']:+,}"
    out.print(f"Claim: {metric} {qualifier.replace('_', ' ')} {value:,}. Register: {result['register']:,}. The claim {verdict}.", markup=False)
    candidates = result["candidates"]
    if candidates["count"]:
        out.print(f"{candidates['count']:,} candidate records: {candidates['reason']}", markup=False)
        for item in candidates["items"]:
            events = item.get("events") or [item]
            out.print(f"  {item['person_id']} {printable(item.get('name') or '')}: " + "; ".join(f"{e['date']} {e['type']}" for e in events), markup=False)


@app.command("report")
def report_command(
    context: typer.Context,
    month: Annotated[str, typer.Option("--month", help="The month to report on, YYYY-MM.")],
    format: Annotated[Optional[str], typer.Option("--format", help="md or html (default: from the -o suffix, else md).")] = None,
    output: Annotated[Optional[Path], typer.Option("-o", "--output", help="Write to this file (.md or .html) instead of standard output.")] = None,
    public: Annotated[bool, typer.Option("--public", help="Name only persons who consented; never a restricted source.")] = False,
    known_at: KnownAtOption = None,
) -> None:
    """The monthly report: the month in figures, charts, new cases, the persons behind the changes, a method note.

    The HTML report is one self-contained file (charts inline, no scripts). A
    Markdown report written with -o gets its charts as PNG files beside it.

    Example:
        chronicle report --month 2025-06 --format html -o june.html
        chronicle report --month 2025-06 --public -o june-public.md
    """
    from chronicle.errors import InputError
    from chronicle.report import monthly_report, write_monthly_report

    with refusals(), context.obj.open_database() as database:
        if format is not None and format not in ("md", "html"):
            raise InputError(f"--format: {format!r} is not md or html")
        moment = _moment(known_at)
        if output is not None:
            if format is not None and output.suffix.lower().lstrip(".") not in (format, "htm" if format == "html" else format):
                raise InputError(f"-o {output}: the suffix does not match --format {format}")
            path = write_monthly_report(database, month, output, fmt=format, public=public, known_at=moment)
            err.print(f"Wrote {path}", markup=False)
        else:
            sys.stdout.write(monthly_report(database, month, fmt=format or "md", public=public, known_at=moment))


@app.command("extract")
def extract_command(
    context: typer.Context,
    file: Annotated[str, typer.Argument(help="A UTF-8 text file, or - for standard input.")],
    published: Annotated[str, typer.Option("--published", help="The date the text was published (YYYY-MM-DD): relative dates resolve against it.")],
    lang: Annotated[Optional[str], typer.Option("--lang", help="en, ru or be (default: detected).")] = None,
    with_register: Annotated[bool, typer.Option("--reconcile", help="Add the register's figure to each claim, and its matching persons to each event.")] = False,
    as_json: JsonOption = False,
) -> None:
    """Candidate claims (figures stated in the text) and events (things that happened to named people).

    Names of persons already in the register are recognised too. Nothing is
    written: a documentation officer reviews the candidates first.

    Example:
        chronicle extract article.txt --published 2025-07-08 --json
        curl -s ... | chronicle extract - --published 2025-07-08
    """
    from chronicle.errors import InputError
    from chronicle.extraction import extract
    from chronicle.register import Register

    with refusals():
        day = _day(published, "--published")
        try:
            text = sys.stdin.read() if file == "-" else Path(file).read_text(encoding="utf-8")
        except FileNotFoundError:
            raise InputError(f"{file}: no such file") from None
        except UnicodeDecodeError as error:
            raise InputError(f"{file}: not UTF-8 text (byte {error.start})") from None
        with context.obj.open_database() as database:
            gazetteer = Register(database).names()
            answer = extract(text, published=day, language=lang, gazetteer=gazetteer)
            if with_register:
                from chronicle.intake import reconcile_answer

                answer = reconcile_answer(database, answer)
    if as_json:
        print(json.dumps(answer, ensure_ascii=False, indent=2))
        return
    out.print(f"Published {answer['published']}, language {answer['language']}", markup=False)
    claims = Table("metric", "value", "qualifier", "when", "text", *(["register", "holds"] if with_register else []))
    for claim in answer["claims"]:
        when = claim["as_of"] or f"{claim['period']['from']}..{claim['period']['to']}"
        extra = [str(claim["register"]["value"]), str(claim["register"]["holds"])] if with_register else []
        claims.add_row(claim["metric"], f"{claim['value']:,}", claim["qualifier"], when, printable(claim["text"]), *extra)
    events = Table("type", "person", "date", "role", "text", *(["register persons"] if with_register else []))
    for event in answer["events"]:
        extra = ["; ".join(f"{p['person_id']} {printable(p['name'])}" for p in event["register"]["persons"])] if with_register else []
        events.add_row(event["type"], printable(event["person"]), event["date"] or "", printable(event["role"] or ""), printable(event["text"]), *extra)
    out.print(claims)
    out.print(events)


@app.command("match")
def match_command(
    file: Annotated[Path, typer.Argument(help="A CSV with record_id and name (any script); optional birth_date, gender, region.")],
    threshold: Annotated[Optional[float], typer.Option("--threshold", help="Match probability at which two records are linked (0 to 1). Default 0.9.")] = None,
    as_csv: Annotated[bool, typer.Option("--csv", help="Print record_id,cluster_id as CSV (the default).")] = False,
    as_json: JsonOption = False,
    engine: Annotated[str, typer.Option("--engine", help="duckdb (in this process) or spark (Splink on Spark, for millions of records; needs pip install 'chronicle[spark]').")] = "duckdb",
    spark_master: Annotated[Optional[str], typer.Option("--spark-master", help="With --engine spark: the Spark master URL (spark://host:7077, yarn, k8s://..., local[4]). Default: the cluster of spark-submit, else a local Spark on 2 cores.")] = None,
) -> None:
    """Cluster name records that denote the same person, across scripts and spellings (Splink on DuckDB or Spark).

    Every input row gets a cluster_id: the smallest record_id of its cluster.
    Both engines run the same comparisons; Spark is for inputs too large for
    one machine (see docs/matching.md, "On Spark").

    Example:
        chronicle match names.csv --threshold 0.9 --json
        chronicle match names.csv --engine spark --spark-master spark://10.0.0.5:7077
    """
    from chronicle.matching import (
        ENGINES,
        MatchSettings,
        clusters_json,
        match_records,
        read_match_csv,
        write_clusters_csv,
    )

    if as_csv and as_json:
        raise typer.BadParameter("give --csv or --json, not both")
    if engine not in ENGINES:
        raise typer.BadParameter(f"{engine!r} is not an engine: use {' or '.join(ENGINES)}", param_hint="--engine")
    if spark_master is not None and engine != "spark":
        raise typer.BadParameter("--spark-master goes with --engine spark", param_hint="--spark-master")
    with refusals():
        records = read_match_csv(file)
        settings = MatchSettings() if threshold is None else MatchSettings(threshold=threshold)
        with working(f"Matching {len(records):,} records" + (" on Spark" if engine == "spark" else "")):
            clusters = match_records(records, settings, engine=engine, spark=spark_master)
    if as_json:
        print(clusters_json(clusters))
    else:
        write_clusters_csv(clusters, sys.stdout)


@db_app.command("upgrade")
def db_upgrade_command(context: typer.Context) -> None:
    """Create the schema or bring it up to date (this also happens on first use).

    Example:
        chronicle --db postgresql://postgres@127.0.0.1/chronicle db upgrade
    """
    with refusals():
        with context.obj.open_database(upgrade=False) as database:
            before = database.revision_now()
            database.upgrade()
            after = database.revision_now()
    err.print(f"Schema at revision {after}" + (" (unchanged)" if before == after else f" (was {before or 'empty'})"), markup=False)


def main() -> None:
    """Entry point of the `chronicle` command."""
    app()
