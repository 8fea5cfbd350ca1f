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
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from chronicle.crypto import RegisterKey
from chronicle.database import Database, database_url
from chronicle.keys import KEY_FILE_ENV, write_key_file

DEFAULT_POSTGRES = "postgresql://postgres@127.0.0.1:5432/test"


def postgres_url() -> str | None:
    url = os.environ.get("CHRONICLE_TEST_POSTGRES", DEFAULT_POSTGRES)
    return url if url and url.lower() != "none" else None


_postgres_state: dict[str, str | None] = {}


def _postgres_unavailable() -> str | None:
    """None when PostgreSQL is usable; otherwise why not."""
    if "reason" not in _postgres_state:
        url = postgres_url()
        reason = None
        if url is None:
            reason = "CHRONICLE_TEST_POSTGRES=none"
        else:
            try:
                engine = create_engine(database_url(url))
                with engine.connect() as connection:
                    connection.execute(text("select 1"))
                engine.dispose()
            except Exception as error:  # noqa: BLE001 - any failure means unreachable
                reason = f"PostgreSQL at {url} is unreachable: {error.__class__.__name__}"
        _postgres_state["reason"] = reason
    return _postgres_state["reason"]


def require_postgres() -> str:
    reason = _postgres_unavailable()
    if reason is not None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI=true and {reason}")
        pytest.skip(reason)
    return postgres_url()


class PostgresSchema:
    """A private schema on the test server; its URL selects it through search_path."""

    def __init__(self, url: str):
        self.name = "t_" + uuid.uuid4().hex[:12]
        self.admin = create_engine(database_url(url), isolation_level="AUTOCOMMIT")
        with self.admin.connect() as connection:
            connection.execute(text(f'CREATE SCHEMA "{self.name}"'))
        separator = "&" if "?" in url else "?"
        self.url = f"{url}{separator}options=-csearch_path%3D{self.name}"

    def drop(self) -> None:
        with self.admin.connect() as connection:
            connection.execute(text(f'DROP SCHEMA "{self.name}" CASCADE'))
        self.admin.dispose()


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


def fresh_location(kind: str, sqlite_path: Path) -> Iterator[str]:
    """A fresh, empty database of `kind` (sqlite: at `sqlite_path`; postgresql: a private schema, dropped afterwards)."""
    if kind == "sqlite":
        yield str(sqlite_path)
        return
    schema = PostgresSchema(require_postgres())
    try:
        yield schema.url
    finally:
        schema.drop()


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
