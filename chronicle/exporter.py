"""Exporting the register as a data package (folder or .zip).

A full export holds every record's current version and every version of
every event (retracted ones included), so that figures "as known at" any
past moment can be recomputed from the package. A public export
(`public=True`) follows spec/register.md: no restricted source, no notes,
no person without consent to be named (nor their events, memberships or
names anywhere in the text), no event whose only sources are restricted,
and only current versions.

The package is written into a temporary folder beside the destination and
moved into place at the end, so a failed export leaves nothing half-written.
"""

from __future__ import annotations

import csv
import shutil
import tempfile
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, select

from chronicle import audit
from chronicle.database import Database
from chronicle.errors import InputError
from chronicle.package_format import RESOURCES, write_descriptor
from chronicle.records import format_row
from chronicle.redaction import NameRedactor
from chronicle.schema import RECORD_KEYS, RECORD_TABLES

Progress = Callable[[str, int], None]
_FREE_TEXT = {
    "persons": ("name", "name_be", "name_ru", "name_en", "aliases", "region"),
    "events": ("place", "charges", "destination"),
    "cases": ("name", "description"),
    "organisations": ("name", "kind"),
    "memberships": ("role",),
    "sources": ("title", "publisher", "url"),
}


@dataclass
class ExportReport:
    """What an export wrote: rows per file."""

    destination: Path
    rows: dict[str, int] = field(default_factory=dict)


def export_package(database: Database, destination: Path, *, public: bool = False, progress: Progress | None = None) -> ExportReport:
    """Write the register to `destination`: a new folder, or a `.zip` file when the name ends so."""
    destination = Path(destination)
    as_zip = destination.suffix.lower() == ".zip"
    if destination.exists() and (as_zip or not destination.is_dir() or any(destination.iterdir())):
        raise InputError(f"{destination} already exists; choose a new folder name (an export never overwrites)")
    if not destination.parent.is_dir():
        raise InputError(f"cannot write {destination}: folder {destination.parent} does not exist")
    report = ExportReport(destination)
    staging = Path(tempfile.mkdtemp(prefix=".chronicle-export-", dir=destination.parent))
    try:
        with database.reading() as connection:
            _write_files(connection, staging, public, report, progress)
        write_descriptor(staging, [resource.name for resource in RESOURCES], public=public)
        # Recorded before the package is moved into place: nothing leaves without its entry.
        details = {"public": public, "destination": str(destination.resolve()), "rows": report.rows}
        audit.record_event(database, "export", details=details)
        if as_zip:
            _zip_folder(staging, destination)
            shutil.rmtree(staging)
        else:
            if destination.exists():
                destination.rmdir()
            staging.rename(destination)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return report


def _zip_folder(folder: Path, destination: Path) -> None:
    partial = destination.with_name(destination.name + ".partial")
    with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(folder.iterdir()):
            archive.write(path, path.name)
    partial.rename(destination)


def _rows(connection: Connection, name: str, *, history: bool) -> Iterator[Any]:
    table = RECORD_TABLES[name]
    query = select(table)
    if not history:
        query = query.where(table.c.retracted_at.is_(None))
    order = [table.c[column] for column in RECORD_KEYS[name]] + [table.c.recorded_at]
    return connection.execution_options(yield_per=10_000).execute(query.order_by(*order)).mappings()


def _write_files(connection: Connection, folder: Path, public: bool, report: ExportReport, progress: Progress | None) -> None:
    selection = _PublicSelection(connection) if public else None
    for resource in RESOURCES:
        rows: Iterable[Any] = _rows(connection, resource.name, history=resource.name == "events" and not public)
        if selection is not None:
            rows = selection.filter(resource.name, rows)
        count = 0
        with open(folder / resource.path, "w", encoding="utf-8", newline="") as stream:
            writer = csv.writer(stream, lineterminator="\n")
            writer.writerow(resource.columns)
            for row in rows:
                writer.writerow(format_row(resource.name, row))
                count += 1
                if progress and count % 10_000 == 0:
                    progress(f"exporting {resource.name}", 10_000)
        if progress:
            progress(f"exporting {resource.name}", count % 10_000)
        report.rows[resource.name] = count


class _PublicSelection:
    """Which rows a public export keeps, and what it blanks in them."""

    def __init__(self, connection: Connection):
        persons = RECORD_TABLES["persons"]
        sources = RECORD_TABLES["sources"]
        self.public_persons: set[str] = set()
        hidden_names: list[str] = []
        query = select(persons).where(persons.c.retracted_at.is_(None))
        for person in connection.execute(query).mappings():
            if person["public"]:
                self.public_persons.add(person["person_id"])
            else:
                hidden_names.extend(
                    name for name in (person["name"], person["name_be"], person["name_ru"], person["name_en"], *person["aliases"]) if name
                )
        self.redactor = NameRedactor(hidden_names)
        open_sources = select(sources.c.source_id).where(sources.c.retracted_at.is_(None), sources.c.restricted.is_(False))
        self.open_sources: set[str] = set(connection.scalars(open_sources))
        self.used_cases: set[str] = set()

    def filter(self, name: str, rows: Iterable[Any]) -> Iterator[dict[str, Any]]:
        for row in rows:
            kept = self._keep(name, dict(row))
            if kept is not None:
                for column in _FREE_TEXT[name]:
                    kept[column] = self.redactor.redact(kept[column])
                yield kept

    def _keep(self, name: str, row: dict[str, Any]) -> dict[str, Any] | None:
        if name == "persons":
            if row["person_id"] not in self.public_persons:
                return None
            row["notes"] = row["restricted_notes"] = None
        elif name == "memberships":
            if row["person_id"] not in self.public_persons:
                return None
        elif name == "sources":
            if row["source_id"] not in self.open_sources:
                return None
        elif name == "events":
            if row["person_id"] not in self.public_persons:
                return None
            row["source_ids"] = [s for s in row["source_ids"] if s in self.open_sources]
            if not row["source_ids"]:
                return None
            row["note"] = None  # event notes are the officers' working notes, not for publication
        return row
