"""Importing a data package: check everything, then write everything, in one transaction.

The import runs in two steps. The first reads every row, checks it (cells,
ids, references, dates, versions against the register) and plans what to
write: the rows to insert, already encoded for the database, and the versions
to retract. If anything is wrong, it raises `PackageError` with every problem
and nothing is written. The second step writes the plan in a single
transaction, so an interrupted import (even a killed process) leaves the
register as it was.

Importing the same package twice changes nothing: a record whose content
equals its current version in the register is skipped, and event versions
are matched by `event_id` and `recorded_at`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from sys import intern
from typing import Any

from sqlalchemy import Connection, bindparam, func, select

from chronicle import audit
from chronicle.database import Database, RowEncoder, bulk_insert
from chronicle.dates import first_day, utc_now
from chronicle.errors import PackageError, Problem
from chronicle.package_format import RESOURCES
from chronicle.package_reader import Package, open_package, read_rows
from chronicle.person_keys import PersonKeys
from chronicle.records import content_digest, parse_row_all
from chronicle.register import tables_version
from chronicle.schema import RECORD_KEYS, RECORD_TABLES
from chronicle.vocabulary import CUSTODY_CLOSING, CUSTODY_OPENING, EVENT_ORDER

MAX_PROBLEMS = 1000
# Being freed without having been in custody is most likely a missing `detained` event: a warning,
# since the register may learn of a release before it learns of the arrest. Deportation, house arrest
# and death happen to people at liberty too.
RELEASES = frozenset({"released", "pardoned"})
BATCH = 20_000

Progress = Callable[[str, int], None]


@dataclass
class Counts:
    """What an import did to one kind of record, counted in rows of the package."""

    added: int = 0  # rows of records new to the register
    changed: int = 0  # rows that are new versions of records it had
    retracted: int = 0  # rows that withdraw a version the register had as current
    unchanged: int = 0  # rows the register already had


@dataclass
class ImportReport:
    """The outcome of a successful import."""

    recorded_at: datetime
    counts: dict[str, Counts] = field(default_factory=dict)
    warnings: list[Problem] = field(default_factory=list)

    @property
    def changed_anything(self) -> bool:
        return any(c.added or c.changed or c.retracted for c in self.counts.values())


@dataclass
class _Version:
    row_id: int
    recorded_at: datetime
    retracted_at: datetime | None
    digest: str


# Columns whose values repeat across many rows: one string object each saves memory on large imports.
_REPEATED = ("person_id", "date", "place", "case_id", "destination", "region", "publisher", "published")


class _Plan:
    """What the write pass does for one file: versions to retract, and rows to insert, encoded."""

    def __init__(self, resource: str, now: datetime, dialect):
        self.encoder = RowEncoder(RECORD_TABLES[resource])
        self.now = now
        self.dialect = dialect
        self.retractions: dict[int, datetime] = {}  # row_id -> retracted_at
        self.rows: list[tuple] = []
        self.added: list[tuple[tuple, int]] = []  # (key, position in rows) of records new to the register

    def insert(self, values: dict[str, Any], digest: str, *, new_key: tuple | None = None) -> None:
        for column in _REPEATED:
            text = values.get(column)
            if text:
                values[column] = intern(text)
        values["digest"] = digest
        if values.get("recorded_at") is None:
            values["recorded_at"] = self.now
        if new_key is not None:
            self.added.append((new_key, len(self.rows)))
        self.rows.append(self.encoder.encode(values, self.dialect))

    def backdate(self, earliest: dict[tuple, datetime]) -> None:
        """Record each new record as known from the first recorded event that names it, when that is earlier."""
        for key, index in self.added:
            when = earliest.get(key)
            if when is not None and when < self.now:
                self.rows[index] = self.encoder.replace(self.rows[index], "recorded_at", when, self.dialect)


class _Problems(list):
    """Problems, capped so that a hopeless file does not fill the memory."""

    dropped = 0

    def append(self, problem: Problem) -> None:
        if len(self) < MAX_PROBLEMS:
            super().append(problem)
        else:
            self.dropped += 1

    def take(self, other: _Problems) -> None:
        for problem in other:
            self.append(problem)
        self.dropped += other.dropped

    def all(self) -> list[Problem]:
        extra = [Problem("(package)", None, None, f"{self.dropped:,} more problems not listed")] if self.dropped else []
        return list(self) + extra


def import_package(database: Database, location: Path, *, progress: Progress | None = None) -> ImportReport:
    """Import the package at `location` (folder or .zip) into the register, all or nothing."""
    problems = _Problems()
    package = open_package(Path(location), problems)
    if package is None or problems:
        if package is not None:
            package.close()
        raise PackageError(problems.all())
    try:
        with database.reading() as connection:
            checked_version = tables_version(connection, CHECKED_TABLES)  # before: a write while checking counts too
            report, checker, plans = _check(package, connection, problems, progress)
        with database.transaction() as connection:  # holds the register's write lock from its start
            if tables_version(connection, CHECKED_TABLES) != checked_version:
                # Someone wrote while the package was checked (the web app, another import): check it again, now
                # that nobody else can write, so that nothing is planned against a register that is gone.
                report, checker, plans = _check(package, connection, _Problems(), progress)
            checker.person_keys.write(connection)
            _write(connection, plans, progress)
            audit.record(connection, "import", details=_audit_details(location, report), at=report.recorded_at)
        return report
    finally:
        package.close()


def _check(package: Package, connection: Connection, problems: _Problems, progress: Progress | None):
    """The first pass against the register as `connection` sees it: (report, checker, plans); PackageError on any problem."""
    report = ImportReport(recorded_at=utc_now())
    checker = _Checker(package, connection, report, problems, progress)
    plans = checker.check()
    if problems:
        raise PackageError(problems.all())
    return report, checker, plans


# What an import's plan depends on: every record table (a new person is a new persons row, with its person key).
CHECKED_TABLES = (*RECORD_TABLES.values(),)


def _audit_details(location: Path, report: ImportReport) -> dict[str, Any]:
    """What the import's audit entry says: the package's name and the counts per file, never its content."""
    return {
        "package": Path(location).name,
        "counts": {name: counts.__dict__ for name, counts in report.counts.items()},
        "warnings": len(report.warnings),
    }


class _Checker:
    """The first pass: checks every row and plans the writes."""

    def __init__(self, package: Package, connection: Connection, report: ImportReport, problems: _Problems, progress: Progress | None):
        self.package = package
        self.connection = connection
        self.report = report
        self.problems = problems
        self.progress = progress
        self.now = report.recorded_at
        self.today = self.now.date()
        self.person_keys = PersonKeys.load(connection)
        self.known: dict[str, set] = {}  # resource -> keys in the package or the register
        # resource -> keys of rows refused for a bad cell: already reported, so references to them are not.
        self.refused: dict[str, set] = defaultdict(set)
        # Resources whose file had rows (or a header) that could not be read: their keys are unknown.
        self.incomplete: set[str] = set()
        # resource -> key -> the earliest recorded_at of the package's events that name the record.
        self.earliest: dict[str, dict[tuple, datetime]] = defaultdict(dict)
        # Custody-relevant current events, for warnings: person -> [(day, order, line, type)].
        self.timeline: dict[str, list[tuple[date, int, int | None, str]]] = defaultdict(list)

    def check(self) -> dict[str, _Plan]:
        plans: dict[str, _Plan] = {}
        for resource in RESOURCES:
            package_file = self.package.files.get(resource.name)
            self.report.counts[resource.name] = Counts()
            if resource.name == "events":
                plans["events"] = self._check_events(package_file)
            else:
                plans[resource.name] = self._check_records(resource.name, package_file)
        if not self.problems:
            self._custody_warnings()
            self._backdate(plans)
        return plans

    def _backdate(self, plans: dict[str, _Plan]) -> None:
        """Records without a record time of their own are known from the first event recorded about them.

        A package carries `recorded_at` only for events. A person, source, case,
        membership or organisation new to the register is recorded at the
        earliest `recorded_at` of the events that name it (their person, for a
        membership; their members, for an organisation), so that the register
        as known at a past moment has the names and sources of the events it
        knew then, and an exported and re-imported register reads the same.
        """
        earliest = self.earliest
        earliest["memberships"] = {
            key: earliest["persons"][key[:1]] for key, _ in plans["memberships"].added if key[:1] in earliest["persons"]
        }
        organisations: dict[tuple, datetime] = {}
        for (_person, organisation), when in earliest["memberships"].items():
            if (organisation,) not in organisations or when < organisations[(organisation,)]:
                organisations[(organisation,)] = when
        earliest["organisations"] = organisations
        for name in ("persons", "sources", "cases", "memberships", "organisations"):
            plans[name].backdate(earliest[name])

    def _note_earliest(self, values: dict[str, Any]) -> None:
        recorded = values["recorded_at"]
        if recorded is None:
            return
        keys = [("persons", (values["person_id"],))] + [("sources", (source,)) for source in values["source_ids"]]
        if values["case_id"] is not None:
            keys.append(("cases", (values["case_id"],)))
        for name, key in keys:
            known = self.earliest[name].get(key)
            if known is None or recorded < known:
                self.earliest[name][key] = recorded

    def _problem(self, path: str, line: int | None, column: str | None, message: str) -> None:
        self.problems.append(Problem(path, line, column, message))

    def _rows(self, name: str, package_file):
        """Parsed rows of a file: (line, values, digest); rows with bad cells are reported and skipped."""
        if package_file is None:
            return
        unreadable = _Problems()
        for count, row in enumerate(read_rows(self.package, package_file, unreadable), start=1):
            if self.progress and count % 10_000 == 0:
                self.progress(f"checking {name}", 10_000)
            values, errors = parse_row_all(name, row.cells)
            for error in errors:
                self._problem(package_file.path, row.line, error.column, str(error))
            if errors:
                key = tuple(values.get(column) for column in RECORD_KEYS[name])
                if None not in key:
                    self.refused[name].add(key)
            else:
                yield row.line, values, content_digest(name, values)
        if unreadable:
            self.incomplete.add(name)
            self.problems.take(unreadable)

    def _check_records(self, name: str, package_file) -> _Plan:
        """Records without record-time columns: persons, cases, organisations, memberships, sources."""
        plan = _Plan(name, self.now, self.connection.dialect)
        counts = self.report.counts[name]
        key_columns = RECORD_KEYS[name]
        current = _current_versions(self.connection, name)
        seen: dict[tuple, int] = {}
        path = package_file.path if package_file else f"{name}.csv"
        for line, values, digest in self._rows(name, package_file):
            key = tuple(values[column] for column in key_columns)
            if key in seen:
                self._problem(path, line, key_columns[-1], f"duplicate {' and '.join(key_columns)} {'/'.join(key)} (first on line {seen[key]})")
                continue
            seen[key] = line
            self._check_references(name, path, line, values)
            self._check_not_future(path, line, values)
            if name == "persons":
                values["person_key"] = self.person_keys.key(values["person_id"])
            existing = current.get(key)
            if existing is None:
                counts.added += 1
                plan.insert(values, digest, new_key=key)
            elif existing.digest == digest:
                counts.unchanged += 1
            else:
                counts.changed += 1
                plan.retractions[existing.row_id] = self.now
                plan.insert(values, digest)
        self.known[name] = set(seen) | set(current)
        return plan

    def _check_references(self, name: str, path: str, line: int, values: dict[str, Any]) -> None:
        if name == "memberships":
            self._check_known(path, line, "person_id", "persons", values["person_id"])
            self._check_known(path, line, "organisation_id", "organisations", values["organisation_id"])
        elif name == "events":
            # A withdrawn version is history: it may name a person no longer in the register (merged into another).
            if values.get("retracted_at") is None:
                self._check_known(path, line, "person_id", "persons", values["person_id"])
            if values["case_id"] is not None:
                self._check_known(path, line, "case_id", "cases", values["case_id"])
            for source_id in values["source_ids"]:
                self._check_known(path, line, "source_ids", "sources", source_id)

    def _check_known(self, path: str, line: int, column: str, resource: str, key: str) -> None:
        # A key of a refused or unreadable row may well be there: that row's problem is reported instead.
        if (key,) in self.refused[resource] or resource in self.incomplete:
            return
        if (key,) not in self.known[resource]:
            self._problem(path, line, column, f"{key!r} is not in {resource}.csv nor in the register")

    def _check_not_future(self, path: str, line: int, values: dict[str, Any]) -> None:
        for column in ("birth_date", "date", "opened", "published"):
            text = values.get(column)
            if text is not None and first_day(text) > self.today:
                self._problem(path, line, column, f"{text} is in the future (today is {self.today})")
        for column in ("recorded_at", "retracted_at"):
            moment = values.get(column)
            if moment is not None and moment > self.now:
                self._problem(path, line, column, f"{moment.isoformat()} is in the future")

    def _check_events(self, package_file) -> _Plan:
        plan = _Plan("events", self.now, self.connection.dialect)
        counts = self.report.counts["events"]
        path = package_file.path
        register = _event_versions(self.connection)
        seen: dict[tuple[str, datetime | None], int] = {}
        current_line: dict[str, int] = {}
        for line, values, digest in self._rows("events", package_file):
            event_id = values["event_id"]
            recorded, retracted = values["recorded_at"], values["retracted_at"]
            version_key = (event_id, recorded)
            if version_key in seen:
                when = f"recorded at {recorded.isoformat()}" if recorded else "with an empty recorded_at"
                self._problem(path, line, "event_id", f"duplicate event {event_id} {when} (first on line {seen[version_key]})")
                continue
            seen[version_key] = line
            self._check_references("events", path, line, values)
            self._check_not_future(path, line, values)
            self._note_earliest(values)
            if retracted is None:
                if event_id in current_line:
                    self._problem(path, line, "retracted_at", f"event {event_id} has two current versions (lines {current_line[event_id]} and {line}); all but one need retracted_at")
                    continue
                current_line[event_id] = line
                self.timeline[values["person_id"]].append(
                    (values["day"], EVENT_ORDER[values["type"]], line, values["type"])
                )
            if self._plan_event(path, line, values, digest, register.get(event_id, []), plan, counts):
                values["person_key"] = self.person_keys.key(values["person_id"])
                plan.insert(values, digest)
        self._add_register_timeline(set(current_line) | {key[0] for key in seen})
        return plan

    def _plan_event(self, path, line, values, digest, versions: list[_Version], plan: _Plan, counts: Counts) -> bool:
        """Plan the retractions one event row brings; True when the row itself is to be inserted."""
        recorded, retracted = values["recorded_at"], values["retracted_at"]
        current = next((v for v in versions if v.retracted_at is None), None)
        if recorded is None:
            # A version "as of this import".
            if current is not None and current.digest == digest:
                counts.unchanged += 1
                return False
            if current is not None:
                plan.retractions[current.row_id] = self.now
                counts.changed += 1
            else:
                counts.added += 1
            return True
        same = next((v for v in versions if v.recorded_at == recorded), None)
        if same is not None:
            if same.digest != digest:
                self._problem(path, line, None, f"the register holds a different version of event {values['event_id']} recorded at {recorded.isoformat()}")
            elif same.retracted_at == retracted:
                counts.unchanged += 1
            elif same.retracted_at is None:
                plan.retractions.setdefault(same.row_id, retracted)
                counts.retracted += 1
            else:
                self._problem(path, line, "retracted_at", f"the register withdrew this version of event {values['event_id']} at {same.retracted_at.isoformat()}, not at {retracted.isoformat()}")
            return False
        if retracted is None and current is not None:
            if current.recorded_at >= recorded:
                self._problem(path, line, "recorded_at", f"the register has a newer version of event {values['event_id']} (recorded at {current.recorded_at.isoformat()})")
                return False
            plan.retractions.setdefault(current.row_id, recorded)
        if versions:
            counts.changed += 1
        else:
            counts.added += 1
        return True

    def _add_register_timeline(self, package_event_ids: set[str]) -> None:
        """Add the register's current events that the package does not touch, for the custody warnings."""
        if not self.timeline:
            return
        table = RECORD_TABLES["events"]
        query = select(table.c.event_id, table.c.person_id, table.c.day, table.c.type).where(table.c.retracted_at.is_(None))
        for event_id, person_id, day, kind in self.connection.execute(query):
            if event_id not in package_event_ids and person_id in self.timeline:
                self.timeline[person_id].append((day, EVENT_ORDER[kind], None, kind))

    def _custody_warnings(self) -> None:
        path = self.package.files["events"].path
        for person_id, events in self.timeline.items():
            in_custody = False
            for _day, _order, line, kind in sorted(events, key=lambda e: (e[0], e[1])):
                if kind in CUSTODY_OPENING:
                    in_custody = True
                elif kind in CUSTODY_CLOSING:
                    if not in_custody and line is not None and kind in RELEASES:
                        self.report.warnings.append(
                            Problem(path, line, "type", f"{kind} but {person_id} is not in custody then (no earlier detained); recorded anyway")
                        )
                    in_custody = False


def _current_versions(connection: Connection, name: str) -> dict[tuple, _Version]:
    table = RECORD_TABLES[name]
    key_columns = [table.c[column] for column in RECORD_KEYS[name]]
    query = select(*key_columns, table.c.row_id, table.c.recorded_at, table.c.digest).where(table.c.retracted_at.is_(None))
    width = len(key_columns)
    return {tuple(row[:width]): _Version(row[width], row[width + 1], None, row[width + 2]) for row in connection.execute(query)}


def _event_versions(connection: Connection) -> dict[str, list[_Version]]:
    table = RECORD_TABLES["events"]
    versions: dict[str, list[_Version]] = defaultdict(list)
    if connection.execute(select(func.count()).select_from(table)).scalar_one() == 0:
        return versions
    query = select(table.c.event_id, table.c.row_id, table.c.recorded_at, table.c.retracted_at, table.c.digest)
    for event_id, row_id, recorded, retracted, digest in connection.execute(query):
        versions[event_id].append(_Version(row_id, recorded, retracted, digest))
    return versions


def _write(connection: Connection, plans: dict[str, _Plan], progress: Progress | None) -> None:
    """The second pass: write the plan. Runs inside the caller's transaction."""
    for resource in RESOURCES:
        table = RECORD_TABLES[resource.name]
        plan = plans[resource.name]
        if plan.retractions:
            statement = (
                table.update()
                .where(table.c.row_id == bindparam("target_row"))
                .values(retracted_at=bindparam("when"))
            )
            connection.execute(statement, [{"target_row": row_id, "when": when} for row_id, when in plan.retractions.items()])
        for start in range(0, len(plan.rows), BATCH):
            batch = plan.rows[start : start + BATCH]
            bulk_insert(connection, plan.encoder, batch)
            if progress:
                progress(f"writing {resource.name}", len(batch))
        plan.rows = []  # free the memory for the next file
