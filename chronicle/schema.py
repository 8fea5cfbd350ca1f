"""The tables of the register (SQLAlchemy Core).

Every record table holds *versions*: a row is never changed after it is
written, except that `retracted_at` is set once when an edit or a withdrawal
supersedes it. The logical identity of a record is its id column
(`person_id`, `event_id`, ...), shared by all its versions; at most one
version of a record is current (`retracted_at` empty) at a time.

`recorded_at` and `retracted_at` are the record time of spec/register.md.
Stored as naive UTC, read back as aware UTC.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
)

from chronicle.crypto import Encrypted, SealedDigest

# Names for constraints and indexes, so that migrations are stable across databases.
metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "pk": "pk_%(table_name)s",
    }
)


class UTCDateTime(TypeDecorator):
    """A moment in time, stored as naive UTC and returned as aware UTC."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("record times must be timezone-aware")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=UTC)


class TextList(TypeDecorator):
    """A list of short texts, stored as one text with `;` between items.

    Items never contain `;`: it is the list separator of the data package,
    and every list is read by splitting on it (chronicle.records).
    """

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: list[str] | None, dialect):
        if value is None:
            return None
        return ";".join(value)

    def process_result_value(self, value: str | None, dialect):
        if value is None:
            return None
        return value.split(";") if value else []


ID = 200  # longest id a package may use
NAME = 1000


def _versioned(name: str, key: tuple[str, ...], *columns: Column) -> Table:
    """A table of record versions with its record-time columns and indexes.

    A table with encrypted columns gets its digest encrypted too (chronicle/crypto.py).
    """
    restricted = any(isinstance(column.type, Encrypted) for column in columns)
    table = Table(
        name,
        metadata,
        Column("row_id", Integer, primary_key=True, autoincrement=True),
        *columns,
        Column("recorded_at", UTCDateTime(), nullable=False),
        Column("retracted_at", UTCDateTime(), nullable=True),
        # A digest of the record's content, to see cheaply whether a version changes anything.
        Column("digest", SealedDigest() if restricted else String(32), nullable=False),
    )
    Index(f"ix_{name}_key", *(table.c[k] for k in key), table.c.recorded_at)
    Index(
        f"uq_{name}_current",
        *(table.c[k] for k in key),
        unique=True,
        sqlite_where=table.c.retracted_at.is_(None),
        postgresql_where=table.c.retracted_at.is_(None),
    )
    return table


# A small integer for every person id, for fast figures (chronicle/person_keys.py).
person_keys = Table(
    "person_keys",
    metadata,
    Column("person_id", String(ID), primary_key=True),
    Column("person_key", Integer, nullable=False, unique=True),
)

persons = _versioned(
    "persons",
    ("person_id",),
    Column("person_id", String(ID), nullable=False),
    Column("person_key", Integer),
    Column("name", String(NAME), nullable=False),
    Column("name_be", String(NAME)),
    Column("name_ru", String(NAME)),
    Column("name_en", String(NAME)),
    Column("aliases", TextList(), nullable=False),
    Column("birth_date", String(10)),
    Column("gender", String(1)),
    Column("categories", TextList(), nullable=False),
    Column("region", String(NAME)),
    Column("public", Boolean, nullable=False),
    Column("notes", Text),
    # Restricted: informants, relatives, contacts. Encrypted at rest (docs/security.md).
    Column("restricted_notes", Encrypted("persons.restricted_notes")),
)

events = _versioned(
    "events",
    ("event_id",),
    Column("event_id", String(ID), nullable=False),
    Column("person_id", String(ID), nullable=False),
    Column("person_key", Integer),
    Column("type", String(32), nullable=False),
    Column("date", String(10), nullable=False),
    # The first day of `date`, for ordering and figures.
    Column("day", Date, nullable=False),
    Column("place", String(NAME)),
    Column("case_id", String(ID)),
    Column("charges", TextList(), nullable=False),
    Column("sentence_months", Integer),
    Column("sentence_kind", String(32)),
    Column("destination", String(NAME)),
    Column("reason", String(32)),
    Column("politically_motivated", Boolean, nullable=False),
    Column("source_ids", TextList(), nullable=False),
    Column("note", Text),
)
Index("ix_events_person", events.c.person_id)
Index("ix_events_day", events.c.day)
# What the figures read of current events, so that they scan this index instead of the table (migration 0003).
Index(
    "ix_events_current_figures",
    events.c.type,
    events.c.day,
    events.c.person_key,
    events.c.politically_motivated,
    events.c.row_id,
    sqlite_where=events.c.retracted_at.is_(None),
    postgresql_where=events.c.retracted_at.is_(None),
)

cases = _versioned(
    "cases",
    ("case_id",),
    Column("case_id", String(ID), nullable=False),
    Column("name", String(NAME), nullable=False),
    Column("opened", String(10)),
    Column("description", Text),
)

organisations = _versioned(
    "organisations",
    ("organisation_id",),
    Column("organisation_id", String(ID), nullable=False),
    Column("name", String(NAME), nullable=False),
    Column("kind", String(NAME)),
)

memberships = _versioned(
    "memberships",
    ("person_id", "organisation_id"),
    Column("person_id", String(ID), nullable=False),
    Column("organisation_id", String(ID), nullable=False),
    Column("role", String(NAME)),
)

sources = _versioned(
    "sources",
    ("source_id",),
    Column("source_id", String(ID), nullable=False),
    # Encrypted for every source, restricted or not: a source may become restricted in a later version,
    # and the earlier versions stay (docs/security.md). The lengths are checked on input (chronicle/records.py).
    Column("title", Encrypted("sources.title", sqlite_length=NAME), nullable=False),
    Column("publisher", Encrypted("sources.publisher", sqlite_length=NAME)),
    Column("url", Encrypted("sources.url", sqlite_length=4000)),
    Column("published", String(10)),
    Column("restricted", Boolean, nullable=False),
)

# Decisions about the identity of persons (chronicle/merging.py). These are not versioned records but an
# append-only log: a merge row is written once and gets `undone_at`/`undone_by` set once when it is undone.
merges = Table(
    "merges",
    metadata,
    Column("merge_id", Integer, primary_key=True, autoincrement=True),
    Column("kept_person_id", String(ID), nullable=False),
    Column("absorbed_person_id", String(ID), nullable=False),
    Column("merged_by", String(NAME), nullable=False),
    Column("merged_at", UTCDateTime(), nullable=False),
    Column("note", Text),
    Column("undone_at", UTCDateTime()),
    Column("undone_by", String(NAME)),
)
Index("ix_merges_kept_person_id", merges.c.kept_person_id)
Index("ix_merges_absorbed_person_id", merges.c.absorbed_person_id)

# Exactly which record rows a merge retracted and created, and which its undoing retracted and created.
merge_rows = Table(
    "merge_rows",
    metadata,
    Column("merge_id", Integer, ForeignKey("merges.merge_id", name="fk_merge_rows_merge_id"), nullable=False),
    Column("step", String(16), nullable=False),  # retracted, created, undo_retracted, undo_created
    Column("resource", String(32), nullable=False),  # a key of RECORD_TABLES
    Column("row_id", Integer, nullable=False),
    PrimaryKeyConstraint("merge_id", "step", "resource", "row_id"),
)
Index("ix_merge_rows_resource_row_id", merge_rows.c.resource, merge_rows.c.row_id)

# Pairs of persons someone decided are not the same person: never proposed as duplicates again.
not_same = Table(
    "not_same",
    metadata,
    Column("decision_id", Integer, primary_key=True, autoincrement=True),
    Column("person_a", String(ID), nullable=False),  # person_a < person_b
    Column("person_b", String(ID), nullable=False),
    Column("decided_by", String(NAME), nullable=False),
    Column("decided_at", UTCDateTime(), nullable=False),
    Column("note", Text),
    UniqueConstraint("person_a", "person_b"),
)

# The key that opens the register: its id and a known text sealed under it, so that opening the
# register with another key is refused at once, and the columns held encrypted (`table.column`, comma-separated),
# so that a column encrypted by a later version is sealed on first use (chronicle/keys.py). One row; none before first use.
register_keys = Table(
    "register_keys",
    metadata,
    Column("key_id", String(64), primary_key=True),
    Column("key_check", Text, nullable=False),
    Column("sealed", Text, nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
)

# The record tables by resource name of the data package, and their key columns.
RECORD_TABLES: dict[str, Table] = {
    "persons": persons,
    "events": events,
    "cases": cases,
    "organisations": organisations,
    "memberships": memberships,
    "sources": sources,
}
RECORD_KEYS: dict[str, tuple[str, ...]] = {
    "persons": ("person_id",),
    "events": ("event_id",),
    "cases": ("case_id",),
    "organisations": ("organisation_id",),
    "memberships": ("person_id", "organisation_id"),
    "sources": ("source_id",),
}

# Accounts, their sessions and failed sign-ins (chronicle/accounts.py, migration 0005; issue 7).
# No password, session token or recovery code is stored: only their hashes (Argon2id for passwords, SHA-256
# for the random tokens and codes). `totp_secret` and `totp_setup_secret` are the TOTP secrets themselves,
# encrypted at rest under the register key (chronicle/crypto.py), so that a copy of the database cannot make codes.
users = Table(
    "users",
    metadata,
    Column("user_id", Integer, primary_key=True, autoincrement=True),
    Column("username", String(64), nullable=False, unique=True),  # lower case, see accounts.USERNAME
    Column("display_name", String(NAME)),
    Column("role", String(16), nullable=False),  # a key of chronicle.web.access.ROLE_PERMISSIONS
    Column("disabled", Boolean, nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("password_hash", String(255), nullable=False),  # Argon2id, with its parameters
    Column("password_changed_at", UTCDateTime(), nullable=False),
    Column("totp_required", Boolean, nullable=False),  # always for admin and editor; on request, or after reset-2fa, for others
    Column("totp_secret", Encrypted("users.totp_secret", sqlite_length=64)),  # base32; empty until two-factor sign-in is set up
    Column("totp_enabled_at", UTCDateTime()),
    Column("totp_last_step", Integer),  # the time step of the last code accepted: a code is good once
)

# One-time recovery codes, instead of a TOTP code; each is good once.
recovery_codes = Table(
    "recovery_codes",
    metadata,
    Column("user_id", Integer, ForeignKey("users.user_id", name="fk_recovery_codes_user_id"), nullable=False),
    Column("code_hash", String(64), nullable=False),  # SHA-256 of the code (80 random bits)
    Column("created_at", UTCDateTime(), nullable=False),
    Column("used_at", UTCDateTime()),
    PrimaryKeyConstraint("user_id", "code_hash"),
)

# Sessions, server-side: the browser holds a random token, the table its SHA-256. `stage` is `active` for a
# signed-in session, `code` while the TOTP code is awaited, `setup` while two-factor sign-in is being set up.
user_sessions = Table(
    "user_sessions",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("user_id", Integer, ForeignKey("users.user_id", name="fk_user_sessions_user_id"), nullable=False),
    Column("stage", String(16), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("last_seen", UTCDateTime(), nullable=False),
    Column("expires_at", UTCDateTime(), nullable=False),  # the absolute end; the idle end is last_seen + idle timeout
    Column("code_attempts", Integer, nullable=False),
    Column("totp_setup_secret", Encrypted("user_sessions.totp_setup_secret", sqlite_length=64)),  # the secret being set up, until a code from it is confirmed
)
Index("ix_user_sessions_user_id", user_sessions.c.user_id)

# Failed sign-ins of the last half hour, for the rate limits: the username and the client address are
# stored as SHA-256 hashes (a name typed by mistake may be a password), and older rows are deleted.
sign_in_failures = Table(
    "sign_in_failures",
    metadata,
    Column("failure_id", Integer, primary_key=True, autoincrement=True),
    Column("username_hash", String(64), nullable=False),
    Column("address_hash", String(64), nullable=False),
    Column("failed_at", UTCDateTime(), nullable=False),
)
Index("ix_sign_in_failures_username_hash", sign_in_failures.c.username_hash, sign_in_failures.c.failed_at)
Index("ix_sign_in_failures_address_hash", sign_in_failures.c.address_hash, sign_in_failures.c.failed_at)

# API tokens for scripts (migration 0008): `Authorization: Bearer <token>` on /api/v1 acts as the token's user, with
# that user's role now. The token is 32 random bytes; the table holds only its SHA-256. A revoked token keeps its row
# (for `chronicle user token list`), with `revoked_at` set.
api_tokens = Table(
    "api_tokens",
    metadata,
    Column("token_id", Integer, primary_key=True, autoincrement=True),
    Column("user_id", Integer, ForeignKey("users.user_id", name="fk_api_tokens_user_id"), nullable=False),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("label", String(NAME)),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("expires_at", UTCDateTime()),  # empty: does not expire
    Column("last_used_at", UTCDateTime()),  # written at most once a minute
    Column("revoked_at", UTCDateTime()),
)
Index("ix_api_tokens_user_id", api_tokens.c.user_id)

# The audit log (chronicle/audit.py, migration 0006): who did what, when. Append-only (triggers refuse UPDATE and
# DELETE) and hash-chained: each entry's `hash` covers its fields and `previous_hash`, the hash of the entry before it.
audit_log = Table(
    "audit_log",
    metadata,
    Column("entry_id", Integer, primary_key=True, autoincrement=False),  # 1, 2, 3, ... given out under the head's lock
    Column("at", UTCDateTime(), nullable=False),
    Column("actor", String(NAME), nullable=False),
    Column("action", String(32), nullable=False),
    Column("resource", String(32)),
    Column("record_key", String(NAME)),
    Column("details", Text, nullable=False),  # canonical JSON, hashed as stored
    Column("previous_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False, unique=True),
)
Index("ix_audit_log_actor", audit_log.c.actor)
Index("ix_audit_log_record", audit_log.c.record_key)
Index("ix_audit_log_at", audit_log.c.at)

# One row: the last entry of the audit log. Writers lock it to append, so the chain stays linear, and
# `chronicle audit verify` compares it with the log's end, so that removing the last entries shows.
audit_head = Table(
    "audit_head",
    metadata,
    Column("head_id", Integer, primary_key=True, autoincrement=False),  # always 1
    Column("entry_id", Integer, nullable=False),  # 0 while the log is empty
    Column("hash", String(64), nullable=False),
)
