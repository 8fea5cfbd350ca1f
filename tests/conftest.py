"""Fixtures shared by the tests: a fresh register on SQLite and on PostgreSQL.

PostgreSQL is found through CHRONICLE_TEST_POSTGRES (default
postgresql://postgres@127.0.0.1:5432/test). Without a reachable server the
PostgreSQL tests are skipped, except under CI=true where that is a failure.
Each test gets its own PostgreSQL schema, dropped afterwards, and every
register a key of its own: a temporary key file named by CHRONICLE_KEY_FILE
for the test's duration (so that commands run by the test find it too);
tests that open a database of their own get one key for the whole run.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from databases import PostgresSchema, fresh_location, postgres_url, require_postgres  # noqa: F401 -- used by tests and fixtures

from chronicle.crypto import RegisterKey
from chronicle.database import Database
from chronicle.keys import KEY_FILE_ENV, write_key_file


@pytest.fixture(scope="session", autouse=True)
def session_key_file(tmp_path_factory) -> Iterator[Path]:
    """A register key for the tests that open a database of their own: CHRONICLE_KEY_FILE for the whole run.

    (Never the key the environment may name: tests make registers of their own.)
    """
    path = tmp_path_factory.mktemp("key") / "session.key"
    write_key_file(path, RegisterKey.generate())
    saved = os.environ.get(KEY_FILE_ENV)
    os.environ[KEY_FILE_ENV] = str(path)
    yield path
    if saved is None:
        os.environ.pop(KEY_FILE_ENV, None)
    else:
        os.environ[KEY_FILE_ENV] = saved


@pytest.fixture
def key_file(tmp_path: Path, monkeypatch) -> Path:
    """A new register key in a temporary file, named by CHRONICLE_KEY_FILE while the test runs."""
    path = tmp_path / "register.key"
    write_key_file(path, RegisterKey.generate())
    monkeypatch.setenv(KEY_FILE_ENV, str(path))
    return path


@pytest.fixture(params=["sqlite", "postgresql"])
def database_location(request, tmp_path: Path, key_file: Path) -> Iterator[str]:
    """Where a fresh, empty register lives: a SQLite path or a PostgreSQL URL (its key: `key_file`)."""
    yield from fresh_location(request.param, tmp_path / "register.db")


@pytest.fixture(params=["sqlite", "postgresql"])
def other_database_location(request, tmp_path: Path) -> Iterator[str]:
    """A second fresh, empty database (to restore a backup into, say): a SQLite path or a PostgreSQL URL."""
    yield from fresh_location(request.param, tmp_path / "other.db")


@pytest.fixture
def database(database_location: str) -> Iterator[Database]:
    """A fresh register, on SQLite and on PostgreSQL, with its key (`key_file`)."""
    opened = Database.open(database_location)
    yield opened
    opened.close()
