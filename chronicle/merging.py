"""Decisions about who is who: merging two persons into one, undoing a merge exactly, "not the same" (issue 5).

A merge never changes or deletes a row. In one transaction it retracts the
current versions it replaces and records new ones, the way every edit of
the register does:

- every current event of the absorbed person gets a new version under the
  kept person (the same event id, all else equal);
- every current membership of the absorbed person is retracted and, unless
  the kept person is already a member of that organisation, recorded again
  under the kept person; where both are members, the kept person's
  membership stays (its empty role filled from the absorbed one);
- the kept person gets a new version holding both persons' names
  (`merged_person`), and the absorbed person's current version is retracted.

`merges` records who merged whom, when and why, and `merge_rows` exactly
which rows the merge retracted and which it created. `unmerge` retracts the
created rows and records again the content of the retracted ones, so both
persons, their events and memberships are current again exactly as before
(the same content digests); it refuses, naming the record, when anything the
merge wrote has been changed since. The register read as known at a moment
between the merge and its undoing still shows the merged person.

`mark_not_same` records that two persons are different people, so that
`chronicle.duplicates` does not propose them again.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, select

from chronicle import audit
from chronicle.database import Database
from chronicle.dates import format_timestamp, utc_now
from chronicle.errors import ConflictError, InputError, NotFoundError
from chronicle.person_keys import key_of
from chronicle.records import content_digest
from chronicle.register import Register, known_at_filter
from chronicle.schema import NAME, RECORD_KEYS, RECORD_TABLES, merge_rows, merges, not_same

NAME_FIELDS = ("name", "name_be", "name_ru", "name_en")
"""The columns of a person that hold one name each; `aliases` holds a list of further names."""

_FILLED = ("name_be", "name_ru", "name_en", "birth_date", "gender", "region")
"""Person columns that the kept person takes from the absorbed one when its own is empty."""

_RECORD_TIME = ("row_id", "recorded_at", "retracted_at", "digest")
_SINGULAR = {"persons": "person", "events": "event", "memberships": "membership"}


def database_of(source: Database | Register) -> Database:
    """The database of a `Database` or a `Register`: the library calls here accept either."""
    return source.database if isinstance(source, Register) else source


def name_forms(person: dict[str, Any]) -> list[tuple[str, str]]:
    """(column, text) of every distinct name of a person: name, name_be, name_ru, name_en, then each alias.

    A text written in two columns is listed once, under the first.
    """
    forms: list[tuple[str, str]] = []
    seen: set[str] = set()
    for column, text in [*((column, person.get(column)) for column in NAME_FIELDS), *(("aliases", a) for a in person.get("aliases") or [])]:
        if text and text not in seen:
            seen.add(text)
            forms.append((column, text))
    return forms


def merged_person(kept: dict[str, Any], absorbed: dict[str, Any]) -> dict[str, Any]:
    """The content of the kept person after absorbing the other (see docs/merging.md for the rules).

    - Every name of the absorbed person stays: a name column the kept person
      has empty takes the absorbed person's, and every other name of the
      absorbed person not already among the kept person's names becomes an
      alias (an alias holds no `;`, the list separator: such a name is kept
      as its parts).
    - Birth date, gender and region: the kept person's, unless empty; a
      birth date the absorbed person knows more precisely (1978 and
      1978-08-18) is taken.
    - Categories: both, the kept person's first.
    - `public`: true only if both were public. Consent to be named is
      personal: a merge never names in public someone who did not consent.
    - Notes and restricted notes: both, separated by an empty line.
    """
    merged = {column: value for column, value in kept.items() if column not in _RECORD_TIME}
    for column in _FILLED:
        if merged.get(column) is None and absorbed.get(column) is not None:
            merged[column] = absorbed[column]
    mine, theirs = kept.get("birth_date"), absorbed.get("birth_date")
    if mine and theirs and len(theirs) > len(mine) and theirs.startswith(mine):
        merged["birth_date"] = theirs
    present = {text for _, text in name_forms(merged)}
    aliases = list(merged.get("aliases") or [])
    for _, text in name_forms(absorbed):
        for part in (piece.strip() for piece in text.split(";")):
            if part and part not in present:
                aliases.append(part)
                present.add(part)
    merged["aliases"] = aliases
    merged["categories"] = list(dict.fromkeys([*(kept.get("categories") or []), *(absorbed.get("categories") or [])]))
    merged["public"] = bool(kept.get("public")) and bool(absorbed.get("public"))
    for column in ("notes", "restricted_notes"):
        texts = [text for text in (kept.get(column), absorbed.get(column)) if text]
        merged[column] = "\n\n".join(dict.fromkeys(texts)) or None
    return merged


def differences(kept: dict[str, Any], absorbed: dict[str, Any]) -> dict[str, tuple[Any, Any]]:
    """The columns where both persons had a value and the merged person keeps the kept one's: (kept, absorbed)."""
    merged = merged_person(kept, absorbed)
    return {
        column: (kept[column], absorbed[column])
        for column in ("birth_date", "gender", "region")
        if absorbed.get(column) is not None and merged.get(column) != absorbed[column]
    }


@dataclass(frozen=True)
class Merge:
    """One merge as recorded: who was kept and absorbed, by whom and when, and the rows it changed.

    `retracted` and `created` are (resource, row_id) pairs. `differences`
    (only on the result of `merge_persons`) lists the columns where the
    absorbed person's value gave way to the kept person's.
    """

    merge_id: int
    kept: str
    absorbed: str
    merged_by: str
    merged_at: datetime
    note: str | None = None
    undone_at: datetime | None = None
    undone_by: str | None = None
    retracted: tuple[tuple[str, int], ...] = ()
    created: tuple[tuple[str, int], ...] = ()
    differences: dict[str, tuple[Any, Any]] = field(default_factory=dict)

    def moved(self, resource: str) -> int:
        """How many records of a kind the merge wrote anew (events moved, memberships moved or completed)."""
        return sum(1 for kind, _ in self.created if kind == resource)

    def to_json(self) -> dict[str, Any]:
        def rows(pairs):
            grouped: dict[str, list[int]] = {}
            for resource, row_id in pairs:
                grouped.setdefault(resource, []).append(row_id)
            return grouped

        return {
            "merge_id": self.merge_id,
            "kept": self.kept,
            "absorbed": self.absorbed,
            "merged_by": self.merged_by,
            "merged_at": format_timestamp(self.merged_at),
            "note": self.note,
            "undone_at": format_timestamp(self.undone_at) if self.undone_at else None,
            "undone_by": self.undone_by,
            "retracted_rows": rows(self.retracted),
            "created_rows": rows(self.created),
        }


# --------------------------------------------------------------------------
# Merging


def merge_persons(
    register: Register, keep: str, absorb: str, *, by: str, note: str | None = None, now: datetime | None = None
) -> Merge:
    """Merge person `absorb` into person `keep`, in one transaction; returns the recorded merge.

    Refused with InputError: the same person twice, no `by`, a person that
    was already merged into another (the message names that one); with
    NotFoundError: a person that is not in the register. ConflictError when
    another edit changed one of the records meanwhile: nothing is written.
    """
    keep, absorb = _person_id(keep, "the person to keep"), _person_id(absorb, "the person to absorb")
    if keep == absorb:
        raise InputError(f"cannot merge person {keep} with itself: give two different persons")
    by, note, now = _who(by), _note(note), _moment(now)
    with register.database.transaction() as connection:
        kept = _merge_party(connection, keep)
        absorbed = _merge_party(connection, absorb)
        changes = _merge_changes(connection, kept, absorbed)
        retracted, created = _apply(connection, changes, now)
        merge_id = connection.execute(
            merges.insert().values(
                kept_person_id=keep, absorbed_person_id=absorb, merged_by=by, merged_at=now, note=note
            )
        ).inserted_primary_key[0]
        _remember(connection, merge_id, "retracted", retracted)
        _remember(connection, merge_id, "created", created)
        _audit(connection, "merge", by, now, keep, merge_id=merge_id, kept=keep, absorbed=absorb, retracted=retracted, created=created)
    return Merge(
        merge_id=merge_id, kept=keep, absorbed=absorb, merged_by=by, merged_at=now, note=note,
        retracted=tuple(sorted(retracted)), created=tuple(sorted(created)), differences=differences(kept, absorbed),
    )


def _merge_party(connection: Connection, person_id: str) -> dict[str, Any]:
    person = _current(connection, "persons", (person_id,))
    if person is not None:
        return person
    into = connection.execute(
        select(merges.c.merge_id, merges.c.kept_person_id)
        .where(merges.c.absorbed_person_id == person_id, merges.c.undone_at.is_(None))
        .order_by(merges.c.merge_id.desc())
    ).first()
    if into is not None:
        raise InputError(f"person {person_id} was merged into {into.kept_person_id} (merge {into.merge_id}); use {into.kept_person_id}")
    raise NotFoundError(f"no person {person_id!r} in the register")


Change = tuple[str, dict[str, Any], dict[str, Any] | None]
"""(resource, the current row to retract, the content of its new version or None)."""


def _merge_changes(connection: Connection, kept: dict[str, Any], absorbed: dict[str, Any]) -> list[Change]:
    keep, absorb = kept["person_id"], absorbed["person_id"]
    changes: list[Change] = [("persons", kept, merged_person(kept, absorbed)), ("persons", absorbed, None)]
    for event in _current_of(connection, "events", absorb):
        changes.append(("events", event, {**event, "person_id": keep}))
    memberships = {row["organisation_id"]: row for row in _current_of(connection, "memberships", keep)}
    for membership in _current_of(connection, "memberships", absorb):
        existing = memberships.get(membership["organisation_id"])
        if existing is None:
            changes.append(("memberships", membership, {**membership, "person_id": keep}))
            continue
        changes.append(("memberships", membership, None))  # both are members: the kept membership stays
        if not existing["role"] and membership["role"]:
            changes.append(("memberships", existing, {**existing, "role": membership["role"]}))
    return changes


def _apply(connection: Connection, changes: list[Change], now: datetime) -> tuple[list[tuple[str, int]], list[tuple[str, int]]]:
    """Retract each change's row and record its new version; the (resource, row_id) retracted and created."""
    retracted, created = [], []
    for resource, old, new in changes:
        _retract_row(connection, resource, old, now)
        retracted.append((resource, old["row_id"]))
        if new is not None:
            created.append((resource, _insert_version(connection, resource, new, now)))
    return retracted, created


# --------------------------------------------------------------------------
# Undoing


def unmerge(register: Register, merge_id: int | str, *, by: str, now: datetime | None = None) -> Merge:
    """Undo a merge exactly, in one transaction; returns the merge with `undone_at` and `undone_by` set.

    The rows the merge created are retracted and the rows it retracted are
    recorded again with the same content. Refused with NotFoundError for an
    unknown merge, InputError for one already undone, and ConflictError,
    naming the records, when a record the merge wrote was changed or
    withdrawn since, or when a retracted record has a current version again.
    """
    merge_id = _merge_number(merge_id)
    by, now = _who(by), _moment(now)
    with register.database.transaction() as connection:
        merge = _load_merge(connection, merge_id)
        if merge.undone_at is not None:
            raise InputError(
                f"merge {merge_id} was already undone at {format_timestamp(merge.undone_at)} by {merge.undone_by}"
            )
        created = [_row(connection, resource, row_id) for resource, row_id in merge.created]
        retracted = [_row(connection, resource, row_id) for resource, row_id in merge.retracted]
        current = _still_as_merged(connection, merge, created, retracted)
        undo_retracted, undo_created = [], []
        for resource, row in current:
            _retract_row(connection, resource, row, now)
            undo_retracted.append((resource, row["row_id"]))
        for resource, row in retracted:
            undo_created.append((resource, _insert_version(connection, resource, row, now)))
        connection.execute(merges.update().where(merges.c.merge_id == merge_id).values(undone_at=now, undone_by=by))
        _remember(connection, merge_id, "undo_retracted", undo_retracted)
        _remember(connection, merge_id, "undo_created", undo_created)
        _audit(connection, "unmerge", by, now, merge.kept, merge_id=merge_id, kept=merge.kept, absorbed=merge.absorbed,
               retracted=undo_retracted, created=undo_created)
    return replace(merge, undone_at=now, undone_by=by)


def _still_as_merged(connection: Connection, merge: Merge, created, retracted) -> list[tuple[str, dict[str, Any]]]:
    """The current versions of the records the merge wrote, each with the content the merge gave it.

    Usually the rows the merge created; after a later merge was undone, new
    rows with the same content. ConflictError, naming every record, when one
    was changed or withdrawn since, or when a record the merge retracted has
    a current version again.
    """
    changed, current = [], []
    for resource, row in created:
        version = _current(connection, resource, _key(resource, row))
        if version is not None and version["digest"] == row["digest"]:
            current.append((resource, version))
            continue
        later = connection.execute(
            select(merges.c.merge_id).join(merge_rows, merge_rows.c.merge_id == merges.c.merge_id).where(
                merge_rows.c.step == "retracted", merge_rows.c.resource == resource,
                merge_rows.c.row_id == row["row_id"], merges.c.undone_at.is_(None),
                merges.c.merge_id != merge.merge_id,
            )
        ).scalar()
        if later is not None:
            how = f"merged again by merge {later}: undo that first"
        elif version is None:
            how = "withdrawn since"
        else:
            how = f"changed at {format_timestamp(version['recorded_at'])}"
        changed.append(f"{_label(resource, row)} ({how})")
    keys = {(resource, _key(resource, row)) for resource, row in current}
    for resource, row in retracted:
        version = _current(connection, resource, _key(resource, row))
        if version is not None and (resource, _key(resource, row)) not in keys:
            changed.append(f"{_label(resource, row)} (recorded again at {format_timestamp(version['recorded_at'])})")
    if changed:
        shown = "; ".join(changed[:10]) + (f"; and {len(changed) - 10} more" if len(changed) > 10 else "")
        raise ConflictError(
            f"merge {merge.merge_id} cannot be undone exactly: changed since the merge: {shown}. Nothing was written."
        )
    return current


# --------------------------------------------------------------------------
# Reading merges


def merges_of(source: Database | Register, *, person_id: str | None = None) -> list[Merge]:
    """Every merge, oldest first (or only those where `person_id` was kept or absorbed)."""
    database = database_of(source)
    with database.reading() as connection:
        query = select(merges.c.merge_id).order_by(merges.c.merge_id)
        if person_id is not None:
            query = query.where((merges.c.kept_person_id == person_id) | (merges.c.absorbed_person_id == person_id))
        return [_load_merge(connection, merge_id) for merge_id in connection.scalars(query).all()]


def get_merge(source: Database | Register, merge_id: int | str) -> Merge:
    """One merge; NotFoundError when there is none with this id."""
    with database_of(source).reading() as connection:
        return _load_merge(connection, _merge_number(merge_id))


def merged_away(source: Database | Register) -> dict[str, str]:
    """absorbed person id -> kept person id, for every merge not undone."""
    with database_of(source).reading() as connection:
        query = select(merges.c.absorbed_person_id, merges.c.kept_person_id).where(merges.c.undone_at.is_(None))
        return dict(connection.execute(query).all())


def _load_merge(connection: Connection, merge_id: int) -> Merge:
    row = connection.execute(select(merges).where(merges.c.merge_id == merge_id)).mappings().first()
    if row is None:
        raise NotFoundError(f"no merge {merge_id}")
    steps: dict[str, list[tuple[str, int]]] = {"retracted": [], "created": []}
    query = select(merge_rows.c.step, merge_rows.c.resource, merge_rows.c.row_id).where(
        merge_rows.c.merge_id == merge_id, merge_rows.c.step.in_(steps)
    ).order_by(merge_rows.c.resource, merge_rows.c.row_id)
    for step, resource, row_id in connection.execute(query):
        steps[step].append((resource, row_id))
    return Merge(
        merge_id=row["merge_id"], kept=row["kept_person_id"], absorbed=row["absorbed_person_id"],
        merged_by=row["merged_by"], merged_at=row["merged_at"], note=row["note"], undone_at=row["undone_at"],
        undone_by=row["undone_by"], retracted=tuple(steps["retracted"]), created=tuple(steps["created"]),
    )


# --------------------------------------------------------------------------
# Not the same


@dataclass(frozen=True)
class NotSame:
    """A decision that two persons are different people (`person_a` < `person_b`)."""

    person_a: str
    person_b: str
    decided_by: str
    decided_at: datetime
    note: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {**self.__dict__, "decided_at": format_timestamp(self.decided_at)}


def mark_not_same(
    register: Register, a: str, b: str, *, by: str, note: str | None = None, now: datetime | None = None
) -> NotSame:
    """Record that persons `a` and `b` are not the same, so that they are not proposed as duplicates again."""
    a, b = sorted((_person_id(a, "the first person"), _person_id(b, "the second person")))
    if a == b:
        raise InputError(f"person {a} is always the same as itself: give two different persons")
    by, note, now = _who(by), _note(note), _moment(now)
    with register.database.transaction() as connection:
        for person_id in (a, b):
            _merge_party(connection, person_id)
        pair = and_(not_same.c.person_a == a, not_same.c.person_b == b)
        earlier = connection.execute(select(not_same).where(pair)).mappings().first()
        if earlier is not None:
            raise InputError(
                f"persons {a} and {b} were already marked not the same by {earlier['decided_by']} "
                f"at {format_timestamp(earlier['decided_at'])}"
            )
        decision = connection.execute(
            not_same.insert().values(person_a=a, person_b=b, decided_by=by, decided_at=now, note=note)
        ).inserted_primary_key[0]
        _audit(connection, "not_same", by, now, a, decision_id=decision, persons=[a, b])
    return NotSame(a, b, by, now, note)


def not_same_pairs(source: Database | Register) -> set[tuple[str, str]]:
    """Every pair (smaller id, larger id) marked not the same."""
    with database_of(source).reading() as connection:
        return {(a, b) for a, b in connection.execute(select(not_same.c.person_a, not_same.c.person_b))}


# --------------------------------------------------------------------------
# Rows


def _current(connection: Connection, resource: str, key: tuple[str, ...]) -> dict[str, Any] | None:
    table = RECORD_TABLES[resource]
    condition = and_(*(table.c[column] == value for column, value in zip(RECORD_KEYS[resource], key, strict=True)))
    row = connection.execute(select(table).where(condition, known_at_filter(table, None))).mappings().first()
    return dict(row) if row else None


def _current_of(connection: Connection, resource: str, person_id: str) -> list[dict[str, Any]]:
    table = RECORD_TABLES[resource]
    query = select(table).where(table.c.person_id == person_id, known_at_filter(table, None)).order_by(table.c.row_id)
    return [dict(row) for row in connection.execute(query).mappings()]


def _row(connection: Connection, resource: str, row_id: int) -> tuple[str, dict[str, Any]]:
    table = RECORD_TABLES[resource]
    return resource, dict(connection.execute(select(table).where(table.c.row_id == row_id)).mappings().one())


def _key(resource: str, row: dict[str, Any]) -> tuple[str, ...]:
    return tuple(row[column] for column in RECORD_KEYS[resource])


def _label(resource: str, row: dict[str, Any]) -> str:
    return f"{_SINGULAR.get(resource, resource)} {'/'.join(_key(resource, row))}"


def _retract_row(connection: Connection, resource: str, row: dict[str, Any], now: datetime) -> None:
    """Set `retracted_at` of a row that must still be current; ConflictError when someone retracted it meanwhile."""
    if row["recorded_at"] > now:
        raise InputError(
            f"a change dated {format_timestamp(now)} cannot supersede {_label(resource, row)}, "
            f"recorded later at {format_timestamp(row['recorded_at'])}"
        )
    table = RECORD_TABLES[resource]
    done = connection.execute(
        table.update().where(table.c.row_id == row["row_id"], table.c.retracted_at.is_(None)).values(retracted_at=now)
    ).rowcount
    if done != 1:
        raise ConflictError(f"{_label(resource, row)} was changed by someone else meanwhile; nothing was written, try again")


def _insert_version(connection: Connection, resource: str, values: dict[str, Any], now: datetime) -> int:
    """Record a new current version with the content of `values` (record time and digest set here); its row id."""
    table = RECORD_TABLES[resource]
    content = {column: value for column, value in values.items() if column not in _RECORD_TIME}
    content["digest"] = content_digest(resource, content)
    content["recorded_at"] = now
    if "person_key" in table.c:
        content["person_key"] = key_of(connection, content["person_id"])
    return connection.execute(table.insert().values(**content)).inserted_primary_key[0]


def _audit(connection: Connection, action: str, by: str, now: datetime, person_id: str, **facts: Any) -> None:
    """The decision's audit entry, in its transaction: by whom, and the rows it wrote (never the note).

    The entry's actor is `by`; when the process acts for someone else (the
    command line's user), that one is named as `process_actor`.
    """
    details = {key: audit.row_ids(value) if key in ("retracted", "created") else value for key, value in facts.items()}
    if audit.current_actor() != by:
        details["process_actor"] = audit.current_actor()
    audit.record(connection, action, resource="persons", key=person_id, details=details, actor=by, at=now)


def _remember(connection: Connection, merge_id: int, step: str, rows: list[tuple[str, int]]) -> None:
    if rows:
        connection.execute(
            merge_rows.insert(), [{"merge_id": merge_id, "step": step, "resource": r, "row_id": i} for r, i in rows]
        )


# --------------------------------------------------------------------------
# Checking the caller's input


def _person_id(value: str, what: str) -> str:
    text = (value or "").strip()
    if not text:
        raise InputError(f"{what}: the person id is empty")
    return text


def _who(by: str) -> str:
    text = (by or "").strip()
    if not text:
        raise InputError("say who decides: --by NAME (it is recorded with the decision)")
    if len(text) > NAME:
        raise InputError(f"--by: at most {NAME} characters")
    return text


def _note(note: str | None) -> str | None:
    return (note.strip() or None) if note else None


def _moment(now: datetime | None) -> datetime:
    if now is None:
        return utc_now()
    if now.tzinfo is None:
        raise InputError("the moment of a decision must have a time zone")
    return now


def _merge_number(merge_id: int | str) -> int:
    text = str(merge_id).strip()
    if not (text.isascii() and text.isdigit()):
        raise InputError(f"{merge_id!r} is not a merge id: merge ids are whole numbers (see `chronicle persons merges`)")
    if len(text) > 9:  # larger than any merge id a register will reach, and than the database's integers
        raise NotFoundError(f"no merge {text}")
    return int(text)
