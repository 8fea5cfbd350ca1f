"""PostgreSQL for the tests: where the server is, whether it answers, private schemas, fresh databases.

A module of its own, not conftest.py, so that a test can import from it by a
name no other folder's conftest shares.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from chronicle.database import database_url

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
