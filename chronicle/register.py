"""The register's library surface: reading records as known at any moment, and writing versions.

Reads take `known_at` (a moment; default now): only versions recorded on or
before it and not yet retracted then exist for the read. Writes never change
a version: `record` adds a new current version of a record and retracts the
one it supersedes, `retract` withdraws a record's current version. Both run
in one transaction and check the version the caller based the change on, so
that two people editing one record cannot silently overwrite each other.
"""

from __future__ import annotations

import threading
import time
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, String, Table, and_, cast, false, func, or_, select

from chronicle import audit
from chronicle.database import Database
from chronicle.dates import utc_now
from chronicle.errors import ConflictError, InputError, NotFoundError
from chronicle.person_keys import key_of
from chronicle.records import ColumnError, content_digest, parse_row_all
from chronicle.schema import RECORD_KEYS, RECORD_TABLES
from chronicle.status import Status, derive_status, event_sort_key


def known_at_filter(table: Table, known_at: datetime | None):
    """The condition for a version to exist as known at `known_at` (None: now, i.e. current)."""
    if known_at is None:
        return table.c.retracted_at.is_(None)
    return and_(
        table.c.recorded_at <= known_at,
        or_(table.c.retracted_at.is_(None), table.c.retracted_at > known_at),
    )


def tables_version(connection: Connection, tables: tuple[Table, ...]) -> tuple:
    """The tables' latest row and count of current rows: changes with every write to them."""
    return tuple(
        tuple(connection.execute(
            select(func.max(table.c.row_id), select(func.count()).where(table.c.retracted_at.is_(None)).scalar_subquery())
        ).one())
        for table in tables
    )


def register_version(database: Database, tables: tuple[Table, ...], *, max_age: float = 0.0) -> tuple:
    """Changes whenever the register does: every write adds rows or withdraws current ones.

    Writes through `database` (this process) are seen at once; writes by other
    processes are seen when the tables are next read, which happens at most
    every `max_age` seconds (0: every call). The tables' check costs a count
    of current rows, so a server answering hundreds of requests a second
    wants a `max_age` of about a second.
    """
    cache = database.__dict__.setdefault("_version_checks", {})
    lock = database.__dict__.setdefault("_version_lock", threading.Lock())
    key = tuple(table.name for table in tables)
    now = time.monotonic()
    checked = cache.get(key)
    if checked is None or checked[2] != database.writes or now - checked[0] >= max_age:
        # While one thread reads the tables, the others answer with the value a moment old, rather than all
        # reading at once; after a write through this process, everyone waits for the new value.
        fresh_needed = checked is None or checked[2] != database.writes
        if lock.acquire(blocking=fresh_needed):
            try:
                writes = database.writes  # before reading: a write during the read makes the next call read again
                with database.reading() as connection:
                    value = tables_version(connection, tables)
                checked = (time.monotonic(), value, writes)
                cache[key] = checked
            finally:
                lock.release()
    return (database.writes, checked[1])


class Register:
    """Reads and writes the records of one database."""

    def __init__(self, database: Database):
        self.database = database

    # Reading

    def count(self, resource: str, *, known_at: datetime | None = None) -> int:
        table = RECORD_TABLES[resource]
        with self.database.reading() as connection:
            query = select(func.count()).select_from(table).where(known_at_filter(table, known_at))
            return connection.execute(query).scalar_one()

    def get(self, resource: str, key: str | tuple[str, ...], *, known_at: datetime | None = None) -> dict[str, Any]:
        """One record's version as known at `known_at`; NotFoundError when it did not exist then."""
        with self.database.reading() as connection:
            row = _find(connection, resource, key, known_at)
        if row is None:
            raise NotFoundError(f"no {resource[:-1]} {key!r}" + (f" as known at {known_at.isoformat()}" if known_at else ""))
        return row

    def history(self, resource: str, key: str | tuple[str, ...]) -> list[dict[str, Any]]:
        """Every version of one record, oldest first, retracted ones included."""
        table = RECORD_TABLES[resource]
        with self.database.reading() as connection:
            query = select(table).where(_key_condition(resource, key)).order_by(table.c.recorded_at, table.c.row_id)
            return [dict(row) for row in connection.execute(query).mappings()]

    def persons(
        self, *, search: str | None = None, limit: int = 50, offset: int = 0, known_at: datetime | None = None
    ) -> tuple[list[dict[str, Any]], int]:
        """A page of persons ordered by name, and how many match in all."""
        table = RECORD_TABLES["persons"]
        condition = known_at_filter(table, known_at)
        if search:
            wanted = search.strip().lower()
            names = [func.lower(table.c[column]) for column in ("name", "name_be", "name_ru", "name_en")]
            names.append(func.lower(cast(table.c.aliases, String)))
            condition = and_(condition, or_(*(name.contains(wanted, autoescape=True) for name in names)))
        with self.database.reading() as connection:
            total = connection.execute(select(func.count()).select_from(table).where(condition)).scalar_one()
            query = select(table).where(condition).order_by(table.c.name, table.c.person_id).limit(limit).offset(offset)
            return [dict(row) for row in connection.execute(query).mappings()], total

    def names(self) -> list[str]:
        """Every name and alias of the current persons: the gazetteer that extraction looks for."""
        table = RECORD_TABLES["persons"]
        columns = (table.c.name, table.c.name_be, table.c.name_ru, table.c.name_en, table.c.aliases)
        with self.database.reading() as connection:
            rows = connection.execute(select(*columns).where(table.c.retracted_at.is_(None))).all()
        return sorted({name for row in rows for name in (*row[:4], *row[4]) if name})

    def events_of(self, person_ids: list[str], *, known_at: datetime | None = None) -> dict[str, list[dict[str, Any]]]:
        """The events of these persons, each person's in timeline order."""
        table = RECORD_TABLES["events"]
        result: dict[str, list[dict[str, Any]]] = {person_id: [] for person_id in person_ids}
        with self.database.reading() as connection:
            for start in range(0, len(person_ids), 500):
                chunk = person_ids[start : start + 500]
                query = select(table).where(table.c.person_id.in_(chunk), known_at_filter(table, known_at))
                for row in connection.execute(query).mappings():
                    result[row["person_id"]].append(dict(row))
        for events in result.values():
            events.sort(key=event_sort_key)
        return result

    def statuses(self, person_ids: list[str], *, on: date | None = None, known_at: datetime | None = None) -> dict[str, Status]:
        """The derived status of these persons at the end of day `on` (default: all events)."""
        events = self.events_of(person_ids, known_at=known_at)
        return {person_id: derive_status(person_events, on) for person_id, person_events in events.items()}

    def sources(self, source_ids: list[str], *, include_restricted: bool, known_at: datetime | None = None) -> dict[str, dict[str, Any]]:
        table = RECORD_TABLES["sources"]
        with self.database.reading() as connection:
            query = select(table).where(table.c.source_id.in_(source_ids), known_at_filter(table, known_at))
            rows = [dict(row) for row in connection.execute(query).mappings()]
        return {row["source_id"]: row for row in rows if include_restricted or not row["restricted"]}

    def records(self, resource: str, *, known_at: datetime | None = None, limit: int | None = None) -> list[dict[str, Any]]:
        """Every record of a kind (cases, organisations, sources, ...) as known at `known_at`, in id order."""
        table = RECORD_TABLES[resource]
        order = [table.c[column] for column in RECORD_KEYS[resource]]
        with self.database.reading() as connection:
            query = select(table).where(known_at_filter(table, known_at)).order_by(*order).limit(limit)
            return [dict(row) for row in connection.execute(query).mappings()]

    def memberships_of(self, person_id: str, *, known_at: datetime | None = None) -> list[dict[str, Any]]:
        """The organisations a person belongs to, with the organisation's name and kind."""
        memberships, organisations = RECORD_TABLES["memberships"], RECORD_TABLES["organisations"]
        with self.database.reading() as connection:
            query = select(memberships).where(memberships.c.person_id == person_id, known_at_filter(memberships, known_at))
            rows = [dict(row) for row in connection.execute(query).mappings()]
            ids = [row["organisation_id"] for row in rows]
            names = {
                row["organisation_id"]: row
                for row in connection.execute(
                    select(organisations).where(organisations.c.organisation_id.in_(ids), known_at_filter(organisations, known_at))
                ).mappings()
            }
        for row in rows:
            organisation = names.get(row["organisation_id"])
            row["name"] = organisation["name"] if organisation else row["organisation_id"]
            row["kind"] = organisation["kind"] if organisation else None
        return sorted(rows, key=lambda row: row["name"])

    # Writing

    def record(self, resource: str, cells: dict[str, str], *, based_on: int | None = None, now: datetime | None = None) -> dict[str, Any]:
        """Record a new version of a record from form-like text cells; returns the stored version.

        `based_on` is the `row_id` of the version the caller edited (None for a new
        record); if the current version is another one, ConflictError is raised.
        """
        return self.record_all([(resource, cells, based_on)], now=now)[0]

    def record_all(
        self, changes: list[tuple[str, dict[str, str], int | None]], *, now: datetime | None = None, summary: audit.Act | None = None
    ) -> list[dict[str, Any]]:
        """Record several versions in one transaction, in order: all of them or none.

        Each change is (resource, cells, based_on) as for `record`; a later change
        may refer to a record an earlier one creates. Each version gets an audit
        entry, and `summary` (what the changes were for, e.g. an intake) one more.
        """
        now = now or utc_now()
        with self.database.transaction() as connection:
            rows = [_record(connection, resource, cells, based_on, now) for resource, cells, based_on in changes]
            acts = [_recorded(resource, row, based_on) for (resource, _cells, based_on), row in zip(changes, rows, strict=True)]
            audit.record_acts(connection, acts + ([summary] if summary else []), at=now)
            return rows

    def retract(self, resource: str, key: str | tuple[str, ...], *, based_on: int, now: datetime | None = None) -> None:
        """Withdraw a record's current version (the record then no longer exists as of now)."""
        now = now or utc_now()
        table = RECORD_TABLES[resource]
        with self.database.transaction() as connection:
            current = _find(connection, resource, key, None)
            if current is None:
                raise NotFoundError(f"no current {resource[:-1]} {key!r} to retract")
            if current["row_id"] != based_on:
                raise ConflictError(f"{resource[:-1]} {key!r} was changed by someone else; reload before retracting")
            connection.execute(table.update().where(table.c.row_id == current["row_id"]).values(retracted_at=now))
            audit.record_acts(connection, [_audit_act("retract", resource, current, {"row_id": current["row_id"]})], at=now)


def _recorded(resource: str, row: dict[str, Any], based_on: int | None) -> audit.Act:
    """The audit entry of a version written: its row, and the row it supersedes."""
    return _audit_act("record", resource, row, {"row_id": row["row_id"], "supersedes": based_on})


def _audit_act(action: str, resource: str, row: dict[str, Any], details: dict[str, Any]) -> audit.Act:
    """An entry about one record; its person is named too (an event's, a membership's), for `audit show --record`."""
    key = tuple(row[column] for column in RECORD_KEYS[resource])
    if "person_id" in row and resource != "persons":
        details = {**details, "person_id": row["person_id"]}
    if len(key) > 1:
        details = {**details, "key": list(key)}
    return audit.Act(action, resource, key, details)


def _record(connection: Connection, resource: str, cells: dict[str, str], based_on: int | None, now: datetime) -> dict[str, Any]:
    values, errors = parse_row_all(resource, cells)
    if errors:
        raise InputError(f"{resource[:-1]}: " + "; ".join(f"{error.column}: {error}" for error in errors))
    for column in ("recorded_at", "retracted_at"):
        values.pop(column, None)
    key = tuple(values[column] for column in RECORD_KEYS[resource])
    _check_references(connection, resource, values)
    current = _find(connection, resource, key, None)
    current_row = current["row_id"] if current else None
    if current_row != based_on:
        label = f"{resource[:-1]} {'/'.join(key)}"
        if current is None:
            raise ConflictError(f"{label} no longer exists; it was withdrawn since you opened it")
        if based_on is None:
            raise ConflictError(f"{label} already exists; edit it instead")
        raise ConflictError(f"{label} was changed by someone else since you opened it; reload and edit again")
    table = RECORD_TABLES[resource]
    if current is not None:
        connection.execute(table.update().where(table.c.row_id == current_row).values(retracted_at=now))
    values["digest"] = content_digest(resource, values)
    values["recorded_at"] = now
    if resource in ("persons", "events"):
        values["person_key"] = key_of(connection, values["person_id"])
    row_id = connection.execute(table.insert().values(**values)).inserted_primary_key[0]
    return dict(connection.execute(select(table).where(table.c.row_id == row_id)).mappings().one())


def _key_condition(resource: str, key: str | tuple[str, ...]):
    table = RECORD_TABLES[resource]
    keys = (key,) if isinstance(key, str) else key
    if any(isinstance(value, str) and "\x00" in value for value in keys):
        return false()  # no record has a NUL in its key (PostgreSQL would refuse to compare it)
    return and_(*(table.c[column] == value for column, value in zip(RECORD_KEYS[resource], keys, strict=True)))


def _find(connection: Connection, resource: str, key, known_at: datetime | None) -> dict[str, Any] | None:
    table = RECORD_TABLES[resource]
    query = select(table).where(_key_condition(resource, key), known_at_filter(table, known_at))
    row = connection.execute(query).mappings().first()
    return dict(row) if row else None


_REFERENCES = {
    "events": (("person_id", "persons"), ("case_id", "cases")),
    "memberships": (("person_id", "persons"), ("organisation_id", "organisations")),
}


def _check_references(connection: Connection, resource: str, values: dict[str, Any]) -> None:
    for column, target in _REFERENCES.get(resource, ()):
        if values[column] is not None and _find(connection, target, values[column], None) is None:
            raise ColumnError(column, f"{column}: {values[column]!r} is not in the register")
    if resource == "events":
        for source_id in values["source_ids"]:
            if _find(connection, "sources", source_id, None) is None:
                raise ColumnError("source_ids", f"source_ids: {source_id!r} is not in the register")
