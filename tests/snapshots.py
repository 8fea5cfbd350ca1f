"""A snapshot of everything a register holds, to prove that something wrote nothing."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from sqlalchemy import create_engine, select, text

from chronicle.database import database_url
from chronicle.schema import RECORD_TABLES, metadata, person_keys


def snapshot(location: str) -> dict:
    """Everything the register holds: every row of every table, and for SQLite the file's bytes."""
    engine = create_engine(database_url(location))
    try:
        with engine.connect() as connection:
            state: dict = {
                table.name: [tuple(row) for row in connection.execute(select(table).order_by(*table.primary_key.columns))]
                for table in metadata.sorted_tables
            }
            state["alembic_version"] = connection.execute(text("select version_num from alembic_version")).all()
            if engine.dialect.name == "postgresql":
                state["sequences"] = connection.execute(
                    text("select sequencename, last_value from pg_sequences where schemaname = current_schema() order by 1")
                ).all()
    finally:
        engine.dispose()
    # Every table is in the snapshot; the record tables must hold rows (the decision tables, merges and
    # not_same, may well be empty), or the snapshot would prove nothing.
    assert all(state[name] for name in (*RECORD_TABLES, person_keys.name)), "the register should not be empty"
    if "://" not in location:
        # Move whatever the write-ahead log holds into the file, so that the bytes say everything.
        connection = sqlite3.connect(location)
        try:
            busy, _log, _done = connection.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        finally:
            connection.close()
        assert busy == 0, "a connection is still busy with the SQLite database"
        state["file"] = Path(location).read_bytes()
    return state
