"""Backups: an encrypted, integrity-checked archive of the whole register, and its restore (issue 7).

An archive is a header and a stream of encrypted parts:

    CHRONICLE-BACKUP\\n | header length (4 bytes) | header (JSON) | part | part | ...
    part = length (4 bytes) | AES-256-GCM ciphertext and tag of at most 1 MiB

The parts hold a zlib-compressed stream of JSON lines: a first line naming
the schema revision, then for every table (generically, from the database
itself, so tables added later are included) a line naming it and its
columns, one line per row, a line with the table's row count, and a last
line with every table's count. Values are the register's own, decrypted:
a restore encrypts them again under the key of the database it fills.

Part `i` is encrypted under the nonce `i | last-part flag` with the whole
header as associated data, so a part that is changed, moved, dropped or
added, a header that is edited, an archive cut short (no part with the flag)
or with bytes after its end are all detected and refused.

The archive key is derived (HKDF, with a random salt in the header) from a
backup key, which by default is derived from the register key (so the key
file opens the backups: keep it apart from them), or from a passphrase with
scrypt. The header carries a check value, so that a wrong key or passphrase
is named as such rather than as damage.

A restore reads and checks the whole archive before it touches the
database, refuses a database that is not empty, and writes everything in one
transaction.

Both are in the audit log (docs/audit.md): a backup is an entry of the
register it was taken from (recorded once the archive is written, before it
is put in place, so that no archive appears without its entry; the archive's
snapshot is taken before it, so the archive does not hold it), and a restore
is an entry of the restored register, chained after the restored log, in the
restore's transaction. Both name the archive by its SHA-256 and its time of
creation, never by its path.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import Any

from alembic import command
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.constant_time import bytes_eq
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt
from sqlalchemy import (
    Connection,
    Date,
    DateTime,
    Float,
    Integer,
    LargeBinary,
    MetaData,
    Numeric,
    Table,
    Time,
    TypeDecorator,
    create_engine,
    func,
    inspect,
    select,
    text,
)
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import StaticPool

from chronicle import audit
from chronicle.crypto import RegisterKey, derive
from chronicle.database import Database, _alembic_config
from chronicle.dates import format_timestamp, utc_now
from chronicle.errors import InputError
from chronicle.schema import UTCDateTime, metadata

MAGIC = b"CHRONICLE-BACKUP\n"
FORMAT = 1
PART = 1 << 20
MAX_HEADER = 64 * 1024
SCRYPT = {"n": 2**17, "r": 8, "p": 1}
PASSPHRASE_ENV = "CHRONICLE_BACKUP_PASSPHRASE"
# Not backed up: the schema revision is in the archive's first line, and the key check belongs to the key
# of the database the archive is restored into.
SKIPPED = frozenset({"alembic_version", "register_keys"})
BATCH = 5_000

Progress = Callable[[str, int], None]


class BackupError(InputError):
    """An archive was refused, or cannot be written; nothing was written."""

    title = "Backup refused"


@dataclass
class BackupReport:
    path: Path
    tables: dict[str, int] = field(default_factory=dict)
    size: int = 0


# Keys

def _base_key(header: dict, key: RegisterKey | None, passphrase: str | None) -> bytes:
    if header["protection"] == "register-key":
        if key is None:
            raise BackupError("this archive opens with the register key it was made with: open it with that key file")
        if header.get("key_id") != key.key_id:
            raise BackupError(
                f"this archive was made with the register key {header.get('key_id')}, and the key in use is {key.key_id}: "
                "set CHRONICLE_KEY_FILE to the key file of the register it was made from"
            )
        return key.derive("backups v1")
    if passphrase is None:
        raise BackupError(f"this archive is protected by a passphrase: give --passphrase-file FILE or set {PASSPHRASE_ENV}")
    kdf = header["kdf"]
    return Scrypt(salt=base64.b64decode(kdf["salt"]), length=32, n=kdf["n"], r=kdf["r"], p=kdf["p"]).derive(passphrase.encode("utf-8"))


def _archive_keys(base: bytes, salt: bytes) -> tuple[AESGCM, bytes]:
    return AESGCM(derive(base, "backup archive v1", salt=salt)), derive(base, "backup check v1", 16, salt=salt)


def _nonce(index: int, last: bool) -> bytes:
    return index.to_bytes(11, "big") + (b"\x01" if last else b"\x00")


# Values by column type

def _codec(column_type) -> str:
    if isinstance(column_type, UTCDateTime):
        return "utc"
    while isinstance(column_type, TypeDecorator):
        column_type = column_type.impl_instance
    if isinstance(column_type, DateTime):
        return "datetime"
    if isinstance(column_type, Date):
        return "date"
    if isinstance(column_type, Time):
        return "time"
    if isinstance(column_type, LargeBinary):
        return "bytes"
    if isinstance(column_type, Numeric) and not isinstance(column_type, Float):
        return "decimal"
    return "plain"


def _encode(codec: str, value: Any) -> Any:
    if value is None or codec == "plain":
        return value
    if codec == "bytes":
        return base64.b64encode(value).decode("ascii")
    if codec == "decimal":
        return str(value)
    return value.isoformat()


def _decode(codec: str, value: Any) -> Any:
    if value is None or codec == "plain":
        return value
    if codec == "utc" or codec == "datetime":
        return datetime.fromisoformat(value)
    if codec == "date":
        return date.fromisoformat(value)
    if codec == "time":
        return time.fromisoformat(value)
    if codec == "bytes":
        return base64.b64decode(value)
    return Decimal(value)


# The tables

def _tables(connection: Connection) -> list[Table]:
    """Every table of the database but SKIPPED, in an order that satisfies foreign keys.

    A table Chronicle's schema knows is read through it (restricted values
    decrypted, record times as UTC); any other, as the database describes it.
    """
    reflected = MetaData()
    reflected.reflect(bind=connection)
    return [metadata.tables.get(table.name, table) for table in reflected.sorted_tables if table.name not in SKIPPED]


def _order(table: Table) -> list:
    return list(table.primary_key.columns) or list(table.columns)


@dataclass
class _Snapshot:
    """A consistent read of the whole database: one transaction that sees one moment."""

    database: Database

    def __enter__(self) -> Connection:
        engine = self.database.engine
        if self.database.dialect == "postgresql":
            self.connection = engine.connect().execution_options(isolation_level="REPEATABLE READ")
            self.connection.exec_driver_sql("SET TRANSACTION READ ONLY")
        else:
            self.connection = engine.connect()
            self.connection.exec_driver_sql("BEGIN")  # SQLite: reads share one snapshot (WAL) until the end
        return self.connection

    def __exit__(self, *exc_info) -> None:
        try:
            self.connection.rollback()
        finally:
            self.connection.close()


# Writing

class _PartWriter:
    def __init__(self, stream, aead: AESGCM, aad: bytes):
        self.stream, self.aead, self.aad = stream, aead, aad
        self.buffer = bytearray()
        self.index = 0
        self.compressor = zlib.compressobj(6)

    def write(self, data: bytes) -> None:
        self.buffer += self.compressor.compress(data)
        while len(self.buffer) >= PART:
            self._emit(bytes(self.buffer[:PART]), last=False)
            del self.buffer[:PART]

    def close(self) -> None:
        self.buffer += self.compressor.flush()
        while len(self.buffer) > PART:
            self._emit(bytes(self.buffer[:PART]), last=False)
            del self.buffer[:PART]
        self._emit(bytes(self.buffer), last=True)

    def _emit(self, chunk: bytes, *, last: bool) -> None:
        sealed = self.aead.encrypt(_nonce(self.index, last), chunk, self.aad)
        self.stream.write(len(sealed).to_bytes(4, "big") + sealed)
        self.index += 1


class _Hashing:
    """A stream that hashes what is written through it: the archive's SHA-256, for the audit log."""

    def __init__(self, stream):
        self.stream, self.digest, self.size = stream, hashlib.sha256(), 0

    def write(self, data: bytes) -> None:
        self.digest.update(data)
        self.size += len(data)
        self.stream.write(data)


def _archive_facts(header: dict) -> dict[str, Any]:
    """What names an archive in the audit log: its time of creation and how it opens (never its path)."""
    facts = {"created_at": header["created_at"], "protection": header["protection"]}
    if header.get("key_id") is not None:
        facts["key_id"] = header["key_id"]
    return facts


def _line(record: Any) -> bytes:
    return json.dumps(record, separators=(",", ":")).encode("ascii") + b"\n"


def write_backup(database: Database, path: Path, *, passphrase: str | None = None, progress: Progress | None = None) -> BackupReport:
    """Write an archive of the whole register to `path` (a new file, readable by its owner only)."""
    path = Path(path)
    if path.exists():
        raise BackupError(f"{path} already exists: a backup never overwrites a file")
    if not path.parent.is_dir():
        raise BackupError(f"cannot write {path}: folder {path.parent} does not exist")
    if database.key is None:
        raise BackupError("the database was opened without its key")
    header: dict[str, Any] = {"format": "chronicle-backup", "version": FORMAT, "created_at": format_timestamp(utc_now()), "part_size": PART}
    salt = os.urandom(32)
    header["salt"] = base64.b64encode(salt).decode("ascii")
    if passphrase is not None:
        if not passphrase:
            raise BackupError("the passphrase is empty")
        header["protection"] = "passphrase"
        header["kdf"] = {"name": "scrypt", "salt": base64.b64encode(os.urandom(16)).decode("ascii"), **SCRYPT}
    else:
        header["protection"] = "register-key"
        header["key_id"] = database.key.key_id
    aead, check = _archive_keys(_base_key(header, database.key, passphrase), salt)
    header["check"] = base64.b64encode(check).decode("ascii")
    header_bytes = json.dumps(header, sort_keys=True).encode("ascii")
    preamble = MAGIC + len(header_bytes).to_bytes(4, "big") + header_bytes

    report = BackupReport(path)
    partial = path.with_name(path.name + ".partial")
    try:
        descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise BackupError(f"{partial} exists: another backup is being written there, or one was interrupted (remove it)") from None
    try:
        with os.fdopen(descriptor, "wb") as file:
            stream = _Hashing(file)
            stream.write(preamble)
            writer = _PartWriter(stream, aead, preamble)
            with _Snapshot(database) as connection:
                revision = Database.revision(connection)
                writer.write(_line({"chronicle_backup": FORMAT, "revision": revision, "dialect": database.dialect, "created_at": header["created_at"]}))
                for table in _tables(connection):
                    report.tables[table.name] = _write_table(connection, table, writer, progress)
            writer.write(_line({"end": True, "tables": report.tables}))
            writer.close()
            file.flush()
            os.fsync(file.fileno())
        # Recorded before the archive is put in place: no backup appears without its entry.
        facts = {"archive_sha256": stream.digest.hexdigest(), **_archive_facts(header), "bytes": stream.size, "rows": report.tables}
        audit.record_event(database, "backup", details=facts)
        os.rename(partial, path)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    report.size = path.stat().st_size
    return report


def _write_table(connection: Connection, table: Table, writer: _PartWriter, progress: Progress | None) -> int:
    columns = list(table.columns)
    codecs = [_codec(column.type) for column in columns]
    writer.write(_line({"table": table.name, "columns": [[column.name, codec] for column, codec in zip(columns, codecs)]}))
    count = 0
    query = select(*columns).order_by(*_order(table))
    for row in connection.execution_options(yield_per=10_000).execute(query):
        writer.write(_line([_encode(codec, value) for codec, value in zip(codecs, row)]))
        count += 1
        if progress and count % 10_000 == 0:
            progress(f"backing up {table.name}", 10_000)
    if progress:
        progress(f"backing up {table.name}", count % 10_000)
    writer.write(_line({"end_of_table": table.name, "rows": count}))
    return count


# Reading

def read_header(path: Path) -> dict:
    """The archive's header (who can open it), checked for form only."""
    with open(_existing(path), "rb") as stream:
        return _read_preamble(stream, Path(path))[0]


def _existing(path: Path) -> Path:
    path = Path(path)
    if not path.is_file():
        raise BackupError(f"{path}: no such file")
    return path


def _read_preamble(stream, path: Path) -> tuple[dict, bytes]:
    magic = stream.read(len(MAGIC))
    if magic != MAGIC:
        raise BackupError(f"{path} is not a Chronicle backup (it does not begin as one)")
    length_bytes = stream.read(4)
    if len(length_bytes) < 4:
        raise BackupError(f"{path}: the archive is cut short in its header")
    length = int.from_bytes(length_bytes, "big")
    if length > MAX_HEADER:
        raise BackupError(f"{path}: the archive's header is damaged (it claims {length:,} bytes)")
    header_bytes = stream.read(length)
    if len(header_bytes) < length:
        raise BackupError(f"{path}: the archive is cut short in its header")
    try:
        header = json.loads(header_bytes)
        if not isinstance(header, dict) or header.get("format") != "chronicle-backup":
            raise ValueError
        if header.get("version") != FORMAT:
            raise BackupError(f"{path}: this archive has format version {header.get('version')!r}; this Chronicle reads version {FORMAT}")
        header["salt_bytes"] = base64.b64decode(header["salt"], validate=True)
        header["check_bytes"] = base64.b64decode(header["check"], validate=True)
        if header["protection"] not in ("register-key", "passphrase") or not isinstance(header["part_size"], int):
            raise ValueError
        if header["protection"] == "passphrase":
            kdf = header["kdf"]
            if kdf.get("name") != "scrypt" or not all(isinstance(kdf.get(k), int) for k in ("n", "r", "p")):
                raise ValueError
            if kdf["n"] > 2**20 or kdf["r"] > 16 or kdf["p"] > 4:
                raise ValueError
    except BackupError:
        raise
    except (ValueError, KeyError, TypeError, AttributeError):
        raise BackupError(f"{path}: the archive's header is damaged") from None
    return header, magic + length_bytes + header_bytes


class Archive:
    """An archive opened with its key or passphrase; `records()` reads it, checking every part."""

    def __init__(self, path: Path, *, key: RegisterKey | None = None, passphrase: str | None = None):
        self.path = _existing(path)
        with open(self.path, "rb") as stream:
            self.header, self.preamble = _read_preamble(stream, self.path)
            self.start = stream.tell()
        self.aead, check = _archive_keys(_base_key(self.header, key, passphrase), self.header["salt_bytes"])
        if not bytes_eq(check, self.header["check_bytes"]):
            if self.header["protection"] == "passphrase":
                raise BackupError(f"{self.path}: the passphrase does not open this archive")
            raise BackupError(f"{self.path}: the archive's header was altered (its key check does not match)")
        self.summary: dict | None = None
        self.sha256: str | None = None  # of the whole file, once a reading of it reached its end and found it intact

    def _parts(self) -> Iterator[bytes]:
        limit = self.header["part_size"] + 16
        with open(self.path, "rb") as stream:
            stream.seek(self.start)
            digest = hashlib.sha256(self.preamble)
            index = 0
            while True:
                offset = stream.tell()
                length_bytes = stream.read(4)
                if len(length_bytes) < 4:
                    raise BackupError(f"{self.path}: the archive is cut short: it ends after part {index} without its last part")
                length = int.from_bytes(length_bytes, "big")
                if not 16 <= length <= limit:
                    raise BackupError(f"{self.path}: part {index + 1} (at byte {offset:,}) is damaged: the archive was altered or damaged")
                sealed = stream.read(length)
                digest.update(length_bytes + sealed)
                if len(sealed) < length:
                    raise BackupError(f"{self.path}: the archive is cut short in part {index + 1}")
                last = False
                try:
                    plain = self.aead.decrypt(_nonce(index, False), sealed, self.preamble)
                except InvalidTag:
                    try:
                        plain = self.aead.decrypt(_nonce(index, True), sealed, self.preamble)
                        last = True
                    except InvalidTag:
                        raise BackupError(
                            f"{self.path}: part {index + 1} (at byte {offset:,}) fails its integrity check: the archive was altered or damaged"
                        ) from None
                yield plain
                index += 1
                if last:
                    extra = len(stream.read())
                    if extra:
                        raise BackupError(f"{self.path}: {extra:,} bytes follow the end of the archive: it was altered or damaged")
                    self.sha256 = digest.hexdigest()
                    return

    def records(self) -> Iterator[Any]:
        """The JSON lines of the archive, in order, all of them authenticated before the last is given."""
        decompressor = zlib.decompressobj()
        pending = b""
        for part in self._parts():
            try:
                data = decompressor.decompress(part)
            except zlib.error:
                raise BackupError(f"{self.path}: the archive's content is damaged (it does not decompress)") from None
            lines = (pending + data).split(b"\n")
            pending = lines.pop()
            for line in lines:
                try:
                    yield json.loads(line)
                except ValueError:
                    raise BackupError(f"{self.path}: the archive's content is damaged (a line is not JSON)") from None
        if not decompressor.eof or decompressor.unused_data or pending:
            raise BackupError(f"{self.path}: the archive's content is incomplete")

    def verify(self) -> dict:
        """Read the whole archive and check its structure: {"revision", "dialect", "tables": {name: [columns]}, "counts"}."""
        if self.summary is not None:
            return self.summary
        damaged = BackupError(f"{self.path}: the archive's content is not a Chronicle register")
        records = self.records()
        first = next(records, None)
        if not isinstance(first, dict) or first.get("chronicle_backup") != FORMAT:
            raise damaged
        summary = {"revision": first.get("revision"), "dialect": first.get("dialect"), "tables": {}, "counts": {}}
        table, width, count = None, 0, 0
        ended = False
        for record in records:
            if ended:
                raise damaged
            if isinstance(record, list):
                if table is None or len(record) != width:
                    raise damaged
                count += 1
            elif isinstance(record, dict) and "table" in record and table is None:
                table = record["table"]
                columns = record.get("columns")
                if not isinstance(table, str) or table in summary["tables"] or not isinstance(columns, list):
                    raise damaged
                summary["tables"][table] = columns
                width, count = len(columns), 0
            elif isinstance(record, dict) and "end_of_table" in record:
                if record["end_of_table"] != table or record.get("rows") != count:
                    raise damaged
                summary["counts"][table] = count
                table = None
            elif isinstance(record, dict) and record.get("end") is True:
                if table is not None or record.get("tables") != summary["counts"]:
                    raise damaged
                ended = True
            else:
                raise damaged
        if not ended:
            raise damaged
        self.summary = summary
        return summary


# Restoring

@dataclass
class RestoreReport:
    path: Path
    tables: dict[str, int] = field(default_factory=dict)


def _fresh_counts() -> dict[str, int]:
    """How many rows each table holds in a newly created database (some tables start with a row)."""
    engine = create_engine("sqlite://", poolclass=StaticPool)
    try:
        with engine.begin() as connection:
            command.upgrade(_alembic_config(connection), "head")
            names = inspect(connection).get_table_names()
            quote = connection.dialect.identifier_preparer.quote
            return {name: connection.execute(text(f"SELECT count(*) FROM {quote(name)}")).scalar_one() for name in names}
    finally:
        engine.dispose()


def restore_backup(database: Database, archive: Archive, *, progress: Progress | None = None) -> RestoreReport:
    """Restore `archive` into `database`, which must be empty; all of it in one transaction, or nothing."""
    summary = archive.verify()
    revision = database.revision_now()
    if summary["revision"] != revision:
        raise BackupError(
            f"{archive.path}: the archive holds a register at schema revision {summary['revision']}, and this database is at "
            f"{revision}: restore it with the Chronicle version that made it, into a new database, then upgrade"
        )
    fresh = _fresh_counts()
    report = RestoreReport(archive.path)
    with database.transaction() as connection:
        tables = {table.name: table for table in _tables(connection)}
        _check_target(archive, summary, tables, connection, fresh)
        seeded = {name for name, count in fresh.items() if count and name in tables}
        records = archive.records()
        next(records)
        for record in records:
            if isinstance(record, dict) and "table" in record:
                table = tables[record["table"]]
                names = [name for name, _codec_name in record["columns"]]
                codecs = [codec for _name, codec in record["columns"]]
                batch: list[dict] = []
                existing = _keys_of(connection, table) if table.name in seeded else None
            elif isinstance(record, list):
                batch.append({name: _decode(codec, value) for name, codec, value in zip(names, codecs, record)})
                if len(batch) >= BATCH:
                    _insert(connection, table, batch, existing, progress)
                    batch = []
            elif isinstance(record, dict) and "end_of_table" in record:
                _insert(connection, table, batch, existing, progress)
                report.tables[table.name] = record["rows"]
        if database.dialect == "postgresql":
            _advance_sequences(connection, tables.values())
        for name, count in report.tables.items():
            quote = connection.dialect.identifier_preparer.quote
            held = connection.execute(text(f"SELECT count(*) FROM {quote(name)}")).scalar_one()
            if held != count:
                raise BackupError(f"restoring {name}: {held:,} rows in the database after restoring {count:,}; nothing was restored")
        # Last in the transaction, chained after the restored log: which archive this register came from.
        facts = {"archive_sha256": archive.sha256, **_archive_facts(archive.header), "dialect": summary["dialect"],
                 "revision": summary["revision"], "rows": report.tables}
        audit.record(connection, "restore", details=facts)
    return report


def _check_target(archive: Archive, summary: dict, tables: dict[str, Table], connection: Connection, fresh: dict[str, int]) -> None:
    missing = sorted(set(summary["tables"]) - set(tables))
    if missing:
        raise BackupError(f"{archive.path}: this database has no table {', '.join(missing)}; nothing was restored")
    for name, columns in summary["tables"].items():
        unknown = [column for column, _codec_name in columns if column not in tables[name].columns]
        if unknown:
            raise BackupError(f"{archive.path}: table {name} of this database has no column {', '.join(unknown)}; nothing was restored")
    quote = connection.dialect.identifier_preparer.quote
    for name in tables:
        held = connection.execute(text(f"SELECT count(*) FROM {quote(name)}")).scalar_one()
        if held > fresh.get(name, 0):
            rows = f"{held:,} row{'s' if held != 1 else ''}"
            raise BackupError(f"the database is not empty ({name} holds {rows}): restore into a new, empty database; nothing was restored")


def _keys_of(connection: Connection, table: Table) -> set[tuple]:
    keys = list(table.primary_key.columns)
    return {tuple(row) for row in connection.execute(select(*keys))}


def _insert(connection: Connection, table: Table, rows: list[dict], existing: set[tuple] | None, progress: Progress | None) -> None:
    """Insert rows; in a table that a new database starts with rows in (`existing` keys), replace those rows."""
    if not rows:
        return
    try:
        if existing:
            keys = [column.name for column in table.primary_key.columns]
            replacing = [row for row in rows if tuple(row[k] for k in keys) in existing]
            rows = [row for row in rows if tuple(row[k] for k in keys) not in existing]
            for row in replacing:
                condition = [table.c[k] == row[k] for k in keys]
                connection.execute(table.update().where(*condition).values({k: v for k, v in row.items() if k not in keys}))
        if rows:
            connection.execute(table.insert(), rows)
    except DBAPIError as error:
        raise BackupError(f"restoring {table.name}: the database refused a row ({error.orig}); nothing was restored") from None
    if progress:
        progress(f"restoring {table.name}", len(rows))


def _advance_sequences(connection: Connection, tables) -> None:
    """PostgreSQL numbers rows from a sequence: start it after the restored rows."""
    for table in tables:
        keys = list(table.primary_key.columns)
        if len(keys) != 1 or not isinstance(keys[0].type, Integer):
            continue
        sequence = connection.execute(text("SELECT pg_get_serial_sequence(:table, :column)"), {"table": table.name, "column": keys[0].name}).scalar()
        if sequence is None:
            continue
        highest = connection.execute(select(func.max(keys[0]))).scalar()
        connection.execute(text("SELECT setval(:sequence, :value, :called)"), {"sequence": sequence, "value": highest or 1, "called": highest is not None})
