"""The audit log: who did what to the register, and when; append-only and hash-chained (issue 7).

Every write (edits, imports, merges, intake), every export, every sign-in and
every read of restricted data adds an entry: when (`at`, UTC), who
(`actor`), what (`action`, one of `ACTIONS`), to which record (`resource`,
`record_key`) and a few facts (`details`: counts, row ids, ids; never the
text of a record). docs/audit.md says what is recorded and what is not.

Entries of a write are added inside the write's own transaction
(`record`, `record_acts`), so a write that is rolled back leaves no entry
and a committed write always has its entries. Events that are not writes
(a sign-in, an export, a read of restricted data) use `record_event`, which
opens a transaction of its own.

The chain: entries are numbered 1, 2, 3, ... and each holds the hash of the
one before it (`previous_hash`; the first holds `GENESIS`) and its own
`hash`, SHA-256 over a canonical text of its fields and `previous_hash`
(`entry_hash`). Appending locks the one row of `audit_head`, which holds the
last entry's number and hash, until the transaction ends: concurrent
writers queue there, so the chain stays one line. `verify` walks the chain
and names the first entry that was edited, removed or moved.

Who acts: `acting_as(name)` sets it for a block (`set_actor` for a context
that ends by itself, such as a web request's task); without either, it is
the `CHRONICLE_ACTOR` environment variable, else the operating-system user
(`default_actor`).
"""

from __future__ import annotations

import getpass
import hashlib
import json
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar, Token
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, select
from sqlalchemy.exc import OperationalError

from chronicle.database import Database
from chronicle.dates import format_timestamp, utc_now
from chronicle.errors import DatabaseError, InputError
from chronicle.schema import NAME, audit_head, audit_log

# Every action an entry may name, with what it means. Add new ones here (and to docs/audit.md).
ACTIONS: dict[str, str] = {
    # Writes to the register
    "record": "a new version of a record (added, or an edit of one)",
    "retract": "a record's current version withdrawn",
    "import": "a data package imported (counts per file)",
    "merge": "two persons merged",
    "unmerge": "a merge undone",
    "not_same": "two persons marked as different people",
    "intake_accept": "reviewed candidates from a text accepted as records",
    # Data leaving the register
    "export": "a data package exported, full or public",
    "read_restricted": "restricted data shown: restricted notes or restricted sources",
    "backup": "a backup archive written",
    "restore": "a backup archive restored",
    # Accounts and sign-in
    "sign_in": "a user signed in",
    "sign_in_failed": "a sign-in refused (wrong password or code, disabled account, rate limit)",
    "sign_out": "a user signed out",
    "user_add": "an account created",
    "user_change": "an account's role, name or password changed",
    "user_disable": "an account disabled",
    "user_enable": "an account enabled again",
    "user_reset_2fa": "an account's two-factor sign-in reset",
    # Keys
    "key_init": "an encryption key created",
    "key_rotate": "everything re-encrypted under a new key",
}

GENESIS = "0" * 64
"""The `previous_hash` of the first entry."""

HASH_VERSION = "chronicle-audit-1"
"""Names the canonical text that `entry_hash` hashes, so that it can change one day without ambiguity."""

ACTOR_VARIABLE = "CHRONICLE_ACTOR"
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
_HEAD = 1

# --------------------------------------------------------------------------
# Who acts

_actor: ContextVar[str | None] = ContextVar("chronicle_audit_actor", default=None)


def actor_name(text: str | None, *, what: str = "the actor") -> str:
    """A name to record as an actor: trimmed, not empty, at most NAME characters, no control characters."""
    name = (text or "").strip()
    if not name:
        raise InputError(f"{what}: the name is empty")
    if len(name) > NAME:
        raise InputError(f"{what}: at most {NAME} characters")
    if _CONTROL.search(name):
        raise InputError(f"{what}: the name holds a control character")
    return name


def default_actor() -> str:
    """Who acts when nobody said: CHRONICLE_ACTOR if set, else the operating-system user."""
    chosen = os.environ.get(ACTOR_VARIABLE)
    if chosen is not None:
        return actor_name(chosen, what=ACTOR_VARIABLE)
    try:
        return actor_name(getpass.getuser())
    except (OSError, KeyError, ImportError, InputError):  # no user name in the environment nor in the password database
        return f"uid {os.getuid()}" if hasattr(os, "getuid") else "unknown user"


def current_actor() -> str:
    """Who is acting now: the name of `acting_as`/`set_actor`, else `default_actor()`."""
    return _actor.get() or default_actor()


def set_actor(name: str) -> Token:
    """Make `name` the actor of the current context (a web request's task: it ends with the request)."""
    return _actor.set(actor_name(name))


@contextmanager
def acting_as(name: str) -> Iterator[str]:
    """Within the block, entries are recorded as done by `name`."""
    token = set_actor(name)
    try:
        yield _actor.get()
    finally:
        _actor.reset(token)


# --------------------------------------------------------------------------
# Entries


@dataclass(frozen=True)
class Act:
    """An entry still to be recorded: what was done, to which record, with which facts.

    `key` is a record's id, or the parts of a composite one (a membership:
    person id and organisation id), stored joined by `/`. `actor` None means
    `current_actor()`.
    """

    action: str
    resource: str | None = None
    key: str | tuple[str, ...] | None = None
    details: dict[str, Any] = field(default_factory=dict)
    actor: str | None = None


@dataclass(frozen=True)
class Entry:
    """One entry of the audit log, as stored."""

    entry_id: int
    at: datetime
    actor: str
    action: str
    resource: str | None
    record_key: str | None
    details: str  # canonical JSON, as hashed
    previous_hash: str
    hash: str

    @property
    def facts(self) -> dict[str, Any]:
        """`details` read back."""
        return json.loads(self.details)

    def computed_hash(self) -> str:
        return entry_hash(self.at, self.actor, self.action, self.resource, self.record_key, self.details, self.previous_hash)

    def to_json(self) -> dict[str, Any]:
        return {
            "entry_id": self.entry_id,
            "at": format_timestamp(self.at),
            "actor": self.actor,
            "action": self.action,
            "resource": self.resource,
            "record": self.record_key,
            "details": self.facts,
            "previous_hash": self.previous_hash,
            "hash": self.hash,
        }


def canonical_details(details: dict[str, Any] | None) -> str:
    """The stored text of `details`: JSON with sorted keys, no spaces, ASCII only (any text survives either database)."""
    return json.dumps(details or {}, sort_keys=True, separators=(",", ":"), ensure_ascii=True, default=_jsonable)


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return format_timestamp(value)
    if isinstance(value, (set, frozenset, tuple)):
        return sorted(value) if isinstance(value, (set, frozenset)) else list(value)
    return str(value)


def _moment_text(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def entry_hash(
    at: datetime, actor: str, action: str, resource: str | None, record_key: str | None, details: str, previous_hash: str
) -> str:
    """SHA-256 (hex) of an entry's canonical text: a JSON array of the hash version and the fields, in this order.

    The entry's number is not part of it: an entry moved to another place
    still matches its hash, and shows as out of order through the links.
    """
    text = json.dumps(
        [HASH_VERSION, _moment_text(at), actor, action, resource, record_key, details, previous_hash],
        ensure_ascii=True,
        separators=(",", ":"),
    )
    return hashlib.sha256(text.encode("ascii")).hexdigest()


def _key_text(key: str | tuple[str, ...] | None) -> str | None:
    if key is None:
        return None
    return key if isinstance(key, str) else "/".join(key)


# --------------------------------------------------------------------------
# Recording


def record(
    connection: Connection,
    action: str,
    *,
    resource: str | None = None,
    key: str | tuple[str, ...] | None = None,
    details: dict[str, Any] | None = None,
    actor: str | None = None,
    at: datetime | None = None,
) -> Entry:
    """Add one entry inside the caller's transaction (see `record_acts`)."""
    return record_acts(connection, [Act(action, resource, key, details or {}, actor)], at=at)[0]


def record_acts(connection: Connection, acts: list[Act], *, at: datetime | None = None) -> list[Entry]:
    """Add entries for `acts`, in order, inside the caller's transaction; they are kept only if it commits.

    Call it last in the transaction: it locks the log's head until the
    transaction ends, so that concurrent writers append one after another.
    """
    if not acts:
        return []
    at = at or utc_now()
    if at.tzinfo is None:
        raise InputError("the moment of an audit entry must have a time zone")
    rows = []
    for act in acts:
        if act.action not in ACTIONS:
            raise InputError(f"{act.action!r} is not an audit action; the actions are: {', '.join(ACTIONS)}")
        rows.append((
            actor_name(act.actor) if act.actor is not None else current_actor(),
            act.action,
            act.resource,
            _key_text(act.key),
            canonical_details(act.details),
        ))
    # Taking the next numbers is the lock: PostgreSQL locks the row, SQLite the database, until commit or rollback.
    head = connection.execute(
        audit_head.update()
        .where(audit_head.c.head_id == _HEAD)
        .values(entry_id=audit_head.c.entry_id + len(rows))
        .returning(audit_head.c.entry_id, audit_head.c.hash)
    ).first()
    if head is None:
        raise DatabaseError("the audit log has no head row; was the database created without its migrations?")
    previous_hash = head.hash
    entries = []
    for number, (actor, action, resource, record_key, details) in enumerate(rows, start=head.entry_id - len(rows) + 1):
        digest = entry_hash(at, actor, action, resource, record_key, details, previous_hash)
        entries.append(Entry(number, at, actor, action, resource, record_key, details, previous_hash, digest))
        previous_hash = digest
    connection.execute(audit_log.insert(), [entry.__dict__ for entry in entries])
    connection.execute(audit_head.update().where(audit_head.c.head_id == _HEAD).values(hash=previous_hash))
    return entries


def record_event(
    database: Database,
    action: str,
    *,
    resource: str | None = None,
    key: str | tuple[str, ...] | None = None,
    details: dict[str, Any] | None = None,
    actor: str | None = None,
    at: datetime | None = None,
) -> Entry:
    """Add one entry in a transaction of its own: for what is not a write (sign-ins, exports, reads).

    The transaction is not counted in `database.writes`: the register did
    not change, so the caches of figures and person lists stay valid.
    """
    with _own_transaction(database) as connection:
        return record(connection, action, resource=resource, key=key, details=details, actor=actor, at=at)


@contextmanager
def _own_transaction(database: Database) -> Iterator[Connection]:
    try:
        with database.engine.begin() as connection:
            yield connection
    except OperationalError as error:
        raise DatabaseError(f"the database refused the audit entry: {error.orig}") from None


def row_ids(pairs) -> dict[str, list[int]]:
    """(resource, row_id) pairs grouped as {resource: [row ids, ascending]}: how entries list the rows a change wrote."""
    grouped: dict[str, list[int]] = {}
    for resource, row_id in pairs:
        grouped.setdefault(resource, []).append(row_id)
    return {resource: sorted(ids) for resource, ids in sorted(grouped.items())}


# --------------------------------------------------------------------------
# Reading


def _entry(row) -> Entry:
    return Entry(
        row.entry_id, row.at, row.actor, row.action, row.resource, row.record_key, row.details, row.previous_hash, row.hash
    )


def entries(
    database: Database,
    *,
    actor: str | None = None,
    record_id: str | None = None,
    resource: str | None = None,
    action: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int | None = None,
) -> list[Entry]:
    """Entries in log order, filtered; with `limit`, the last `limit` of those that match.

    `record_id` matches an entry's record key, a part of a composite one
    (a membership's person or organisation), or an id its details name
    (the persons of a merge, the events of an intake, an event's person).
    `since` and `until` include their moments.
    """
    query = select(audit_log)
    if actor is not None:
        query = query.where(audit_log.c.actor == actor)
    if resource is not None:
        query = query.where(audit_log.c.resource == resource)
    if action is not None:
        query = query.where(audit_log.c.action == action)
    if since is not None:
        query = query.where(audit_log.c.at >= since)
    if until is not None:
        query = query.where(audit_log.c.at <= until)
    if record_id is not None:
        named = json.dumps(record_id, ensure_ascii=True)  # as it appears in the canonical details
        query = query.where(
            (audit_log.c.record_key == record_id)
            | audit_log.c.record_key.startswith(record_id + "/", autoescape=True)
            | audit_log.c.record_key.endswith("/" + record_id, autoescape=True)
            | audit_log.c.details.contains(named, autoescape=True)
        )
    if limit is not None:
        query = query.order_by(audit_log.c.entry_id.desc()).limit(limit)
    else:
        query = query.order_by(audit_log.c.entry_id)
    with database.reading() as connection:
        found = [_entry(row) for row in connection.execute(query)]
    return sorted(found, key=lambda entry: entry.entry_id)


def head(database: Database) -> tuple[int, str]:
    """The last entry's number and hash, as the log's head row holds them ((0, GENESIS) for an empty log)."""
    with database.reading() as connection:
        row = connection.execute(select(audit_head.c.entry_id, audit_head.c.hash).where(audit_head.c.head_id == _HEAD)).first()
    if row is None:
        raise DatabaseError("the audit log has no head row; was the database created without its migrations?")
    return row.entry_id, row.hash


# --------------------------------------------------------------------------
# Verifying

EDITED, MISSING, OUT_OF_ORDER = "edited", "missing", "out of order"


@dataclass(frozen=True)
class Verification:
    """The outcome of `verify`: intact, or the first bad entry, what is wrong with it and why it shows."""

    entries: int  # entries read
    head_id: int
    head_hash: str
    bad_entry: int | None = None
    problem: str | None = None  # EDITED, MISSING, OUT_OF_ORDER, or "edited or missing" when the two look alike
    reason: str | None = None

    @property
    def intact(self) -> bool:
        return self.bad_entry is None

    @property
    def message(self) -> str:
        if self.intact:
            if not self.entries:
                return "intact: the log is empty"
            counted = "1 entry" if self.entries == 1 else f"{self.entries:,} entries"
            return f"intact: {counted}; the last is entry {self.head_id}, hash {self.head_hash}"
        return f"entry {self.bad_entry}: {self.reason} ({self.problem})"

    def to_json(self) -> dict[str, Any]:
        return {
            "intact": self.intact, "entries": self.entries, "head": {"entry_id": self.head_id, "hash": self.head_hash},
            "bad_entry": self.bad_entry, "problem": self.problem, "message": self.message,
        }


def verify(database: Database, *, expect: dict[int, str] | None = None) -> Verification:
    """Walk the chain from the first entry; the first entry edited, missing or out of order, if any.

    An entry is edited when its fields no longer give its hash, or when the
    next entry is chained to another hash for it; missing when the numbers
    jump (or the log ends before its head); out of order when it is chained
    after another entry than the one before it. `expect` maps entry numbers
    to hashes kept outside the database (see docs/audit.md): an entry whose
    hash differs is reported edited, which catches a chain rewritten from
    that entry on.
    """
    head_id, head_hash = head(database)
    walk = _Walk(head_id, head_hash, dict(expect or {}))
    with database.reading() as connection:
        rows = connection.execution_options(yield_per=5_000).execute(select(audit_log).order_by(audit_log.c.entry_id))
        try:
            for row in rows:
                found = walk.step(connection, _entry(row))
                if found is not None:
                    return found
        finally:
            rows.close()
    return walk.end()


class _Walk:
    """The state of `verify` along the chain: the last good entry, and what it has checked."""

    def __init__(self, head_id: int, head_hash: str, expect: dict[int, str]):
        self.head_id, self.head_hash, self.expect = head_id, head_hash, expect
        self.count, self.previous_id, self.previous_hash = 0, 0, GENESIS

    def bad(self, entry_id: int, problem: str, reason: str) -> Verification:
        return Verification(self.count, self.head_id, self.head_hash, entry_id, problem, reason)

    def step(self, connection: Connection, entry: Entry) -> Verification | None:
        """None when `entry` follows the last good one; else what is wrong."""
        expected_id = self.previous_id + 1
        if entry.entry_id > expected_id:
            more = entry.entry_id - expected_id - 1
            also = f", nor the {more} after it" if more > 1 else ", nor the one after it" if more else ""
            where = f"goes from entry {self.previous_id} to" if self.previous_id else "starts at"
            return self.bad(expected_id, MISSING, f"not in the log{also}: it {where} entry {entry.entry_id}")
        if entry.entry_id < expected_id:
            return self.bad(entry.entry_id, EDITED, "its number is not one the log gives out (they start at 1)")
        if entry.computed_hash() != entry.hash:
            return self.bad(entry.entry_id, EDITED, "its content does not match its hash")
        if entry.previous_hash != self.previous_hash:
            return self._broken_link(connection, entry)
        kept = self.expect.pop(entry.entry_id, None)
        if kept is not None and kept != entry.hash:
            return self.bad(entry.entry_id, EDITED, "its hash is not the one kept outside the database: the chain was rewritten from here or earlier")
        self.count += 1
        self.previous_id, self.previous_hash = entry.entry_id, entry.hash
        return None

    def _broken_link(self, connection: Connection, entry: Entry) -> Verification:
        """Why `entry` is not chained to the entry before it: it was moved, or what it followed was changed or removed."""
        before = connection.execute(select(audit_log.c.entry_id).where(audit_log.c.hash == entry.previous_hash)).scalar()
        if before is not None:
            return self.bad(entry.entry_id, OUT_OF_ORDER, f"it is chained after entry {before}, not after entry {self.previous_id}")
        if self.previous_id == 0:
            return self.bad(entry.entry_id, EDITED, "it is the first entry but is chained after another one: entries before it were removed")
        return self.bad(
            self.previous_id, "edited or missing",
            f"entry {entry.entry_id} is chained to another version of it: it was replaced, "
            "or entries after it were removed and the rest renumbered",
        )

    def end(self) -> Verification:
        """After the last entry: the log ends where its head (and any hash kept outside) says."""
        last = self.previous_id
        if self.expect:
            wanted = min(self.expect)
            return self.bad(wanted, MISSING, f"a hash was kept for entry {wanted} but the log ends at entry {last}")
        if self.head_id > last:
            return self.bad(last + 1, MISSING, f"the log ends at entry {last} but its head records entry {self.head_id}")
        if self.head_id < last:
            return self.bad(self.head_id + 1, EDITED, f"the log's head records entry {self.head_id} as the last: entries after it were added outside Chronicle")
        if self.head_hash != self.previous_hash:
            return self.bad(last, EDITED, "the log's head records another hash for it")
        return Verification(self.count, self.head_id, self.head_hash)
