"""Opening the register's database: SQLite (a file) or PostgreSQL.

Everything that differs between the two databases is here: URL handling,
connection settings, and the migrations that create or update the schema on
first use. The rest of the library talks to a `Database` and its
transactions.

A database is opened with its register key (chronicle/keys.py): the key
file named by CHRONICLE_KEY_FILE, or for SQLite the file beside the
database. The key is attached to the engine, checked against the register
before anything else happens, and encrypts and decrypts the restricted
columns (chronicle/crypto.py).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, Integer, Table, TypeDecorator, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, IntegrityError, OperationalError
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from chronicle.crypto import KeyProblem, RegisterKey, attach_key, sealed_columns
from chronicle.errors import DatabaseError, InputError

MIGRATIONS = Path(__file__).parent / "migrations"
DEFAULT_DATABASE = "chronicle.db"
# How long a write waits for another to finish before it is refused (SQLite's busy timeout, PostgreSQL's lock_timeout).
WRITE_LOCK_WAIT_SECONDS = 10


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
    cursor.execute(f"PRAGMA busy_timeout={WRITE_LOCK_WAIT_SECONDS * 1000}")
    cursor.execute("PRAGMA foreign_keys=ON")
    # Freed space is overwritten with zeros, so that a withdrawn value or an old key's ciphertext does not stay in the file.
    cursor.execute("PRAGMA secure_delete=ON")
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


Notice = Callable[[str], None]
_log = logging.getLogger("chronicle")


def _create_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        path = Path(make_url(url).database or "")
        if not path.parent.is_dir():
            raise InputError(f"cannot create the database {path}: folder {path.parent} does not exist")
        engine = create_engine(url)
        event.listen(engine, "connect", _sqlite_settings)
        return engine
    return create_engine(url, pool_pre_ping=True)


def stored_key_id(location: str) -> str | None:
    """The id of the key a register expects (None: it has none yet), read without a key."""
    from chronicle.keys import expected_key_id

    engine = _create_engine(database_url(location))
    try:
        with engine.connect() as connection:
            return expected_key_id(connection)
    except OperationalError as error:
        raise DatabaseError(f"cannot open the database: {error.orig}") from None
    finally:
        engine.dispose()


class Database:
    """A connection to the register's database, with its schema up to date and its key attached."""

    def __init__(self, engine: Engine, *, key: RegisterKey | None = None):
        self.engine = engine
        # The register key (chronicle/crypto.py); None only for a database opened to read its schema.
        self.key = key
        attach_key(engine.dialect, key)
        self._key_checked = False
        # Transactions committed through this object: lets caches see this process's own writes at once.
        self.writes = 0

    @classmethod
    def open(
        cls,
        location: str = DEFAULT_DATABASE,
        *,
        upgrade: bool = True,
        key: RegisterKey | None = None,
        notice: Notice | None = None,
    ) -> Database:
        """Open (and on first use create) the database at `location`, with its key.

        `key` is the register key; by default it is read from the key file
        (chronicle/keys.py), which for a new SQLite register is created beside
        it, and `notice` is told so (default: a warning on the `chronicle`
        logger). A key that does not open the register raises KeyProblem.
        """
        from chronicle.keys import expected_key_id, resolve_key

        url = database_url(location)
        engine = _create_engine(url)
        try:
            if key is None:
                try:
                    with engine.connect() as connection:
                        expected = expected_key_id(connection)
                except OperationalError as error:
                    raise DatabaseError(f"cannot open the database: {error.orig}") from None
                key = resolve_key(url, expected, notice or _log.warning)
            database = cls(engine, key=key)
            if upgrade:
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
        """Bring the schema to the newest migration (creating it on an empty database), and check the key.

        On first use the key is recorded and any restricted value still in the
        clear is encrypted, in the same transaction (chronicle/keys.py); the
        database is then compacted, so that no cleartext stays in freed space.
        """
        from chronicle.keys import check_key

        for attempt in (1, 2):
            try:
                with self.engine.begin() as connection:
                    if self.revision(connection) != self.head_revision():
                        command.upgrade(_alembic_config(connection), "head")
                    sealed = check_key(connection, self.key) if self.key is not None else 0
                break
            except OperationalError as error:
                raise DatabaseError(f"cannot open the database: {error.orig}") from None
            except IntegrityError:
                if attempt == 2:  # another process recorded its key first, and again
                    raise DatabaseError("cannot open the database: another process is setting its key; try again") from None
        self._key_checked = self.key is not None
        if sealed:
            self.compact()

    def compact(self) -> None:
        """Rewrite the tables that hold encrypted values, so that no old value stays in freed space.

        SQLite: VACUUM, then the write-ahead log emptied into the file.
        PostgreSQL: VACUUM FULL of those tables (older WAL segments and
        backups of the server are the operator's: see docs/security.md).
        """
        from chronicle.schema import metadata

        try:
            with self.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                if self.dialect == "sqlite":
                    connection.exec_driver_sql("VACUUM")
                    connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
                else:
                    quote = connection.dialect.identifier_preparer.quote
                    for table in metadata.sorted_tables:
                        if sealed_columns(table) or table.name == "register_keys":
                            connection.exec_driver_sql(f"VACUUM FULL {quote(table.name)}")
        except OperationalError as error:
            raise DatabaseError(f"cannot compact the database: {error.orig}") from None

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
        """One write transaction: committed when the block ends, rolled back on any error.

        It takes the register's write lock first (`_lock_for_writing`), so
        write transactions run one after another and what one reads (the
        current version an edit is based on, the next person key) is still so
        when it writes.
        """
        try:
            with self.engine.begin() as connection:
                self._lock_for_writing(connection)
                self._check_key_unchanged(connection)
                yield connection
        except OperationalError as error:
            raise DatabaseError(f"the database refused the change: {error.orig}") from None
        self.writes += 1

    def _lock_for_writing(self, connection: Connection) -> None:
        """Wait (at most WRITE_LOCK_WAIT_SECONDS) until no other write transaction runs, and keep the lock until the end.

        SQLite: BEGIN IMMEDIATE. The driver would begin the transaction only at
        its first INSERT or UPDATE, so the reads before it (is this still the
        current version? which person key is free?) would run outside it,
        racing other writers. PostgreSQL: a transaction-level advisory lock of
        this schema's register, for the same reason (READ COMMITTED lets two
        writers read the same state). A wait that lasts too long is refused
        ("database is locked", "lock timeout"), and nothing is written.
        """
        if self.dialect == "sqlite":
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            connection.exec_driver_sql(f"SET LOCAL lock_timeout = '{WRITE_LOCK_WAIT_SECONDS}s'")
            connection.exec_driver_sql("SELECT pg_advisory_xact_lock(hashtext('chronicle writes ' || current_schema()))")
            connection.exec_driver_sql("SET LOCAL lock_timeout TO DEFAULT")

    def _check_key_unchanged(self, connection: Connection) -> None:
        """Refuse to write after the register's key was rotated by another process: its values would not open."""
        if self._key_checked:
            stored = connection.execute(text("SELECT key_id FROM register_keys")).scalar()
            if stored != self.key.key_id:
                raise KeyProblem(
                    f"the register's key was changed (now key id {stored}) since this process opened it with key id "
                    f"{self.key.key_id}: start it again with the new key file; nothing was written"
                )

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
