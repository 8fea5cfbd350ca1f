"""`chronicle demo`: a synthetic register in a fresh SQLite file, served at once."""

from __future__ import annotations

import tempfile
import webbrowser
from collections.abc import Callable
from pathlib import Path

from chronicle.database import Database
from chronicle.generate import generate_package
from chronicle.importer import import_package
from chronicle.web.server import serve

DEMO_SEED = 2020


def build_demo(folder: Path, *, persons: int = 2000) -> Database:
    """Generate the demo package into `folder` and import it into `folder/demo.db`."""
    package = folder / "package"
    generate_package(package, persons=persons, seed=DEMO_SEED)
    database = Database.open(str(folder / "demo.db"))
    import_package(database, package)
    return database


def run_demo(*, port: int, open_browser: bool, persons: int, say: Callable[[str], None]) -> None:
    folder = Path(tempfile.mkdtemp(prefix="chronicle-demo-"))
    say(f"Building a demo register of {persons:,} synthetic persons in {folder / 'demo.db'} ...")
    database = build_demo(folder, persons=persons)

    def started(url: str) -> None:
        say(f"Chronicle demo running at {url}  (press Ctrl+C to stop)")
        if open_browser:
            webbrowser.open(url)

    serve(database, port=port, on_start=started, local_operator=True)  # synthetic data: nobody signs in
