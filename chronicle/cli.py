"""The command line: a thin shell over the library (spec/cli.md).

Each command opens the database, calls one library function and renders the
result. Library errors become a message on standard error and exit code 1;
usage errors exit with 2 (Typer's own handling).
"""

from __future__ import annotations

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

    def open_database(self) -> Database:
        """The database, schema up to date; use it in a `with` block so that it is closed."""
        return Database.open(self.database)


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
) -> None:
    """Serve the web app and the JSON API on the chosen database.

    Example:
        chronicle --db register.db serve --port 8080
    """
    from chronicle.web.server import serve

    with refusals():
        with context.obj.open_database() as database:
            serve(database, host=host, port=port)


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


@db_app.command("upgrade")
def db_upgrade_command(context: typer.Context) -> None:
    """Create the schema or bring it up to date (this also happens on first use).

    Example:
        chronicle --db postgresql://postgres@127.0.0.1/chronicle db upgrade
    """
    with refusals():
        with Database.open(context.obj.database, upgrade=False) as database:
            before = database.revision_now()
            database.upgrade()
            after = database.revision_now()
    err.print(f"Schema at revision {after}" + (" (unchanged)" if before == after else f" (was {before or 'empty'})"), markup=False)


def main() -> None:
    """Entry point of the `chronicle` command."""
    app()
