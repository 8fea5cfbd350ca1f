"""Opening the register's database: SQLite (a file) or PostgreSQL.

Everything that differs between the two databases is here: URL handling,
connection settings, and the migrations that create or update the schema on
first use. The rest of the library talks to a `Database` and its
transactions.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, Integer, Table, TypeDecorator, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, OperationalError
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from chronicle.errors import DatabaseError, InputError

MIGRATIONS = Path(__file__).parent / "migrations"
DEFAULT_DATABASE = "chronicle.db"


def database_url(location: str) -> str:
    """The SQLAlchemy URL for what the user typed: a path, `sqlite:///...` or `postgresql://...`."""
    if "://" not in location:
        return "sqlite:///" + str(Path(location).expanduser().resolve())
    try:
        url = make_url(location)
    except ArgumentError:
        raise InputError(f"{location!r} is not a database URL or a file path") from None
    if url.drivername in ("postgresql", "postgres"):
        url = url.set(drivername="postgresql+psycopg")
    elif url.drivername not in ("postgresql+psycopg", "sqlite", "sqlite+pysqlite"):
        raise InputError(
            f"unsupported database {url.drivername!r}: use a file path (SQLite) or postgresql://..."
        )
    return url.render_as_string(hide_password=False)


def _sqlite_settings(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()
    # SQLite's own lower() knows only ASCII; searches need Cyrillic and Łacinka too.
    dbapi_connection.create_function("lower", 1, _lower, deterministic=True)


def _lower(value):
    return value.lower() if isinstance(value, str) else value


def _alembic_config(connection: Connection) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


class Database:
    """A connection to the register's database, with its schema up to date."""

    def __init__(self, engine: Engine):
        self.engine = engine
        # Transactions committed through this object: lets caches see this process's own writes at once.
        self.writes = 0

    @classmethod
    def open(cls, location: str = DEFAULT_DATABASE, *, upgrade: bool = True) -> Database:
        """Open (and on first use create) the database at `location`."""
        url = database_url(location)
        if url.startswith("sqlite"):
            path = Path(make_url(url).database or "")
            if not path.parent.is_dir():
                raise InputError(f"cannot create the database {path}: folder {path.parent} does not exist")
            engine = create_engine(url)
            event.listen(engine, "connect", _sqlite_settings)
        else:
            engine = create_engine(url, pool_pre_ping=True)
        database = cls(engine)
        if upgrade:
            try:
                database.upgrade()
            except BaseException:
                engine.dispose()
                raise
        return database

    @property
    def dialect(self) -> str:
        """`sqlite` or `postgresql`."""
        return self.engine.dialect.name

    def upgrade(self) -> None:
        """Bring the schema to the newest migration (creating it on an empty database)."""
        try:
            with self.engine.begin() as connection:
                if self.revision(connection) != self.head_revision():
                    command.upgrade(_alembic_config(connection), "head")
        except OperationalError as error:
            raise DatabaseError(f"cannot open the database: {error.orig}") from None

    def revision_now(self) -> str | None:
        """The schema revision the database is at (None: empty)."""
        with self.reading() as connection:
            return self.revision(connection)

    @staticmethod
    def head_revision() -> str | None:
        return ScriptDirectory(str(MIGRATIONS)).get_current_head()

    @staticmethod
    def revision(connection: Connection) -> str | None:
        return MigrationContext.configure(connection).get_current_revision()

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        """One transaction: committed when the block ends, rolled back on any error."""
        try:
            with self.engine.begin() as connection:
                yield connection
        except OperationalError as error:
            raise DatabaseError(f"the database refused the change: {error.orig}") from None
        self.writes += 1

    @contextmanager
    def reading(self) -> Iterator[Connection]:
        """A connection for reads."""
        try:
            with self.engine.connect() as connection:
                yield connection
        except OperationalError as error:
            raise DatabaseError(f"cannot read the database: {error.orig}") from None

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Database:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()


class epoch_day(FunctionElement):
    """A date column as a whole number of days since 1970-01-01, computed by the database."""

    type = Integer()
    inherit_cache = True


@compiles(epoch_day, "sqlite")
def _epoch_day_sqlite(element, compiler, **kw) -> str:
    return f"CAST(julianday({compiler.process(element.clauses, **kw)}) - 2440587.5 AS INTEGER)"


@compiles(epoch_day, "postgresql")
def _epoch_day_postgresql(element, compiler, **kw) -> str:
    return f"({compiler.process(element.clauses, **kw)} - DATE '1970-01-01')"


def fetch_raw(connection: Connection, query) -> list[tuple]:
    """All rows of a query as the driver returns them, without SQLAlchemy's row objects.

    Several times faster for a million rows. Only for columns that need no
    conversion (text, integers, `epoch_day`); booleans come back as the driver
    gives them (0/1 on SQLite).
    """
    result = connection.execute(query)
    try:
        return result.cursor.fetchall()
    finally:
        result.close()


class RowEncoder:
    """Turns a record's values into a tuple ready for `bulk_insert`, through the columns' own conversions."""

    def __init__(self, table: Table):
        self.table = table
        self.columns = [column for column in table.columns if column.name != "row_id"]  # the database numbers rows
        self._steps = [
            (column.name, column.type.process_bind_param if isinstance(column.type, TypeDecorator) else None)
            for column in self.columns
        ]

    def encode(self, values: dict[str, Any], dialect) -> tuple:
        return tuple(convert(values.get(name), dialect) if convert else values.get(name) for name, convert in self._steps)

    def replace(self, row: tuple, column: str, value: Any, dialect) -> tuple:
        """An encoded row with one column's value replaced."""
        position = next(index for index, (name, _) in enumerate(self._steps) if name == column)
        convert = self._steps[position][1]
        cells = list(row)
        cells[position] = convert(value, dialect) if convert else value
        return tuple(cells)


def bulk_insert(connection: Connection, encoder: RowEncoder, rows: list[tuple]) -> None:
    """Insert many encoded rows fast, inside the caller's transaction.

    Bypasses SQLAlchemy's per-row parameter handling, which dominates the time
    of a large import: rows go straight to the driver, with `executemany` on
    SQLite and `COPY` on PostgreSQL.
    """
    if not rows:
        return
    table = encoder.table
    names = ", ".join(f'"{column.name}"' for column in encoder.columns)
    raw = connection.connection.driver_connection
    if connection.dialect.name == "postgresql":
        with raw.cursor() as cursor, cursor.copy(f'COPY "{table.name}" ({names}) FROM STDIN') as copy:
            for row in rows:
                copy.write_row(row)
    else:
        placeholders = ", ".join("?" for _ in encoder.columns)
        cursor = raw.cursor()
        try:
            cursor.executemany(f'INSERT INTO "{table.name}" ({names}) VALUES ({placeholders})', rows)
        finally:
            cursor.close()
