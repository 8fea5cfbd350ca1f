"""The register key: its file, which key opens which register, first use, and rotation (issue 7).

The key lives in a file outside the database, named by `CHRONICLE_KEY_FILE`.
A SQLite register without that variable uses `<database file>.key` beside
it, created on first use (so that the quick start needs no set-up); a
PostgreSQL register requires the variable. A key file is never overwritten.

The register remembers the id of its key and a known text sealed under it
(`register_keys`), so that another key is refused when the database is
opened, before anything is read or written. On first use (a new register,
or one made before encryption at rest) every value of an encrypted column
is sealed and every digest of such a table encrypted, in the same
transaction that records the key.

`rotate_key` re-encrypts every sealed value, in every version, under a new
key in one transaction, after writing the new key file; the old key is kept
as `<key file>.old` until the new one is in force. The same transaction adds
a `key_rotate` entry to the audit log (the two key ids, never a key).
"""

from __future__ import annotations

import base64
import binascii
import os
import stat
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Connection, Integer, Table, Text, inspect, select, text, type_coerce
from sqlalchemy.engine import make_url

from chronicle.crypto import SEALED, Encrypted, KeyProblem, RegisterKey, SealedDigest, sealed_columns
from chronicle.dates import utc_now

KEY_FILE_ENV = "CHRONICLE_KEY_FILE"
_FORMAT = "chronicle-key-v1"
CHECK_TEXT = "Chronicle register key check"
CHECK_LABEL = "register_keys.key_check"

Notice = Callable[[str], None]


# Key files

def write_key_file(path: Path, key: RegisterKey) -> None:
    """Write a new key file, readable by its owner only; refuses if the file exists."""
    path = Path(path)
    if not path.parent.is_dir():
        raise KeyProblem(f"cannot write the key file {path}: folder {path.parent} does not exist")
    content = (
        "# Chronicle register key. Whoever holds this file and a copy of the register can read its\n"
        "# restricted data; without it nobody can, you included. Keep a copy somewhere safe, never\n"
        "# beside a copy of the database.\n"
        f"# key id {key.key_id}\n"
        f"{_FORMAT} {base64.b64encode(key.secret).decode('ascii')}\n"
    )
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise KeyProblem(f"{path} already exists: a key file is never overwritten (a lost key is lost data)") from None
    except OSError as error:
        raise KeyProblem(f"cannot write the key file {path}: {error.strerror}") from None
    try:
        os.write(descriptor, content.encode("ascii"))
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
    _sync_folder(path.parent)


def _sync_folder(folder: Path) -> None:
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def read_key_file(path: Path) -> RegisterKey:
    path = Path(path)
    try:
        lines = path.read_text(encoding="ascii").splitlines()
    except FileNotFoundError:
        raise KeyProblem(f"the key file {path} does not exist") from None
    except (OSError, UnicodeDecodeError) as error:
        raise KeyProblem(f"cannot read the key file {path}: {getattr(error, 'strerror', None) or 'not a key file'}") from None
    entries = [line.split() for line in lines if line.strip() and not line.lstrip().startswith("#")]
    if len(entries) != 1 or len(entries[0]) != 2 or entries[0][0] != _FORMAT:
        raise KeyProblem(f"{path} is not a Chronicle key file")
    try:
        secret = base64.b64decode(entries[0][1], validate=True)
    except binascii.Error:
        raise KeyProblem(f"{path} is not a Chronicle key file (the key is not base64)") from None
    if len(secret) != 32:
        raise KeyProblem(f"{path} is not a Chronicle key file (the key is not 32 bytes)")
    return RegisterKey(secret)


def readable_by_others(path: Path) -> bool:
    return bool(Path(path).stat().st_mode & (stat.S_IRWXG | stat.S_IRWXO))


def default_key_file(url: str) -> Path | None:
    """Where a register's key file is when CHRONICLE_KEY_FILE does not say: beside a SQLite file; none for PostgreSQL."""
    parsed = make_url(url)
    if not parsed.drivername.startswith("sqlite") or not parsed.database or parsed.database == ":memory:":
        return None
    return Path(parsed.database + ".key")


def key_file_for(url: str, environ=os.environ) -> Path:
    """The key file of a register: CHRONICLE_KEY_FILE, else beside a SQLite file; KeyProblem for PostgreSQL without it."""
    named = environ.get(KEY_FILE_ENV)
    if named:
        return Path(named).expanduser()
    path = default_key_file(url)
    if path is None:
        raise KeyProblem(
            f"a PostgreSQL register needs its key in a file named by {KEY_FILE_ENV}: create one with "
            f"`chronicle key init --file PATH` (keep it off the database server), then export {KEY_FILE_ENV}=PATH"
        )
    return path


def resolve_key(url: str, expected_key_id: str | None, notice: Notice, environ=os.environ) -> RegisterKey:
    """The key to open the register at `url` with; creates the file beside a new SQLite register."""
    path = key_file_for(url, environ)
    if path.exists():
        key = read_key_file(path)
        if readable_by_others(path):
            notice(f"Warning: the key file {path} can be read by other users of this machine: chmod 600 {path}")
        return key
    if environ.get(KEY_FILE_ENV):
        raise KeyProblem(f"{KEY_FILE_ENV} names {path}, which does not exist: create it with `chronicle key init --file {path}`, or name the file that holds this register's key")
    if expected_key_id is not None:
        raise KeyProblem(
            f"this register is encrypted under key id {expected_key_id}, and its key file {path} is missing: "
            f"set {KEY_FILE_ENV} to the file where you keep that key"
        )
    key = RegisterKey.generate()
    write_key_file(path, key)
    notice(
        f"Created the key file {path} (key id {key.key_id}): it encrypts this register's restricted data. "
        "Keep a copy somewhere safe and apart from the database: without it the restricted data cannot be read. "
        f"To keep the key off this disk, move it and set {KEY_FILE_ENV} to where it is."
    )
    return key


# The key the register expects

def expected_key_id(connection: Connection) -> str | None:
    """The id of the key the register was sealed under; None before first use (or before migration 0007)."""
    if not inspect(connection).has_table("register_keys"):
        return None
    return connection.execute(text("SELECT key_id FROM register_keys")).scalar()


def check_key(connection: Connection, key: RegisterKey) -> int:
    """Refuse a key that does not open the register; on first use, seal everything and record the key.

    Runs inside the caller's transaction. The register also records which
    columns it holds encrypted: a column that a later version of Chronicle
    encrypts is sealed on the first open that knows it. Returns how many
    values were sealed now (0 but on first use or for such a new column).
    """
    names = _sealed_names(connection)
    row = connection.execute(text("SELECT key_id, key_check, sealed FROM register_keys")).first()
    if row is None:
        count = seal_plaintext(connection, key, set(names))
        _record_key(connection, key, names)
        return count
    stored_id, check, recorded = row
    if stored_id != key.key_id:
        raise KeyProblem(f"this key does not open this register (key id {key.key_id}, the register expects {stored_id})")
    try:
        opened = key.unseal(check, CHECK_LABEL)
    except KeyProblem:
        opened = None
    if opened != CHECK_TEXT:
        raise KeyProblem(f"this key does not open this register: its key check (key id {stored_id}) does not open under it; was register_keys altered?")
    new = set(names) - set((recorded or "").split(","))
    if not new:
        return 0
    count = seal_plaintext(connection, key, new)
    connection.execute(text("UPDATE register_keys SET sealed = :sealed"), {"sealed": ",".join(names)})
    return count


def _sealed_names(connection: Connection) -> list[str]:
    """The encrypted columns of the register's tables, as `table.column`."""
    return sorted(f"{table.name}.{column.name}" for table in _sealed_tables(connection) for column in sealed_columns(table))


def _record_key(connection: Connection, key: RegisterKey, names: list[str]) -> None:
    connection.execute(
        text("INSERT INTO register_keys (key_id, key_check, sealed, created_at) VALUES (:key_id, :check, :sealed, :now)"),
        {"key_id": key.key_id, "check": key.seal(CHECK_TEXT, CHECK_LABEL), "sealed": ",".join(names), "now": utc_now().replace(tzinfo=None)},
    )


def _sealed_tables(connection: Connection) -> list[Table]:
    from chronicle.schema import metadata

    present = set(inspect(connection).get_table_names())
    return [table for table in metadata.sorted_tables if table.name in present and sealed_columns(table)]


def _raw_select(table: Table):
    """Every column, the sealed ones as stored (no decryption)."""
    return select(*(type_coerce(column, Text()).label(column.name) if column in sealed_columns(table) else column for column in table.columns))


def _updater(connection: Connection, table: Table, columns: list[str]):
    quote = connection.dialect.identifier_preparer.quote
    keys = [column.name for column in table.primary_key.columns]
    assignments = ", ".join(f"{quote(name)} = :v_{index}" for index, name in enumerate(columns))
    where = " AND ".join(f"{quote(name)} = :k_{index}" for index, name in enumerate(keys))
    statement = text(f"UPDATE {quote(table.name)} SET {assignments} WHERE {where}")

    def update(rows: list[tuple[tuple, tuple]]) -> None:
        if rows:
            connection.execute(
                statement,
                [{**{f"k_{i}": k for i, k in enumerate(pk)}, **{f"v_{i}": v for i, v in enumerate(values)}} for pk, values in rows],
            )

    return keys, update


def _pages(connection: Connection, table: Table, size: int = 10_000):
    """The rows of a table (sealed columns raw), a page at a time in primary-key order."""
    keys = list(table.primary_key.columns)
    query = _raw_select(table)
    if len(keys) == 1 and isinstance(keys[0].type, Integer):
        last = None
        while True:
            page_query = query.order_by(keys[0]).limit(size)
            if last is not None:
                page_query = page_query.where(keys[0] > last)
            rows = connection.execute(page_query).mappings().all()
            if not rows:
                return
            yield rows
            last = rows[-1][keys[0].name]
    else:
        yield connection.execute(query.order_by(*keys)).mappings().all()


def seal_plaintext(connection: Connection, key: RegisterKey, only: set[str]) -> int:
    """Seal every value of the columns `only` (`table.column`) not sealed yet; encrypt digests among them.

    For a register made before encryption at rest (or one just created: then
    there is nothing to do), or a column newly encrypted. A digest is computed
    again from the content, so none is sealed twice.
    """
    from chronicle.records import content_digest
    from chronicle.schema import RECORD_TABLES

    resources = {table.name: name for name, table in RECORD_TABLES.items()}
    count = 0
    for table in _sealed_tables(connection):
        columns = [column for column in sealed_columns(table) if f"{table.name}.{column.name}" in only]
        if not columns:
            continue
        names = [column.name for column in columns]
        keys, update = _updater(connection, table, names)
        for page in _pages(connection, table):
            changes = []
            for row in page:
                content = dict(row)
                for column in sealed_columns(table):  # the clear content, for the digest
                    stored = row[column.name]
                    if isinstance(column.type, Encrypted) and stored is not None and SEALED.match(stored):
                        content[column.name] = key.unseal(stored, column.type.label)
                values = []
                for column in columns:
                    stored = row[column.name]
                    if isinstance(column.type, SealedDigest):
                        if table.name in resources:
                            stored = key.seal_digest(content_digest(resources[table.name], content))
                            count += 1
                    elif stored is not None and not SEALED.match(stored):
                        stored = key.seal(stored, column.type.label)
                        count += 1
                    values.append(stored)
                if values != [row[name] for name in names]:
                    changes.append((tuple(row[k] for k in keys), tuple(values)))
            update(changes)
    return count


# Rotation

@dataclass
class Rotation:
    old_key_id: str
    new_key_id: str
    values: int | None  # sealed values re-encrypted (None: committed, but not counted)
    resumed: bool = False  # an interrupted rotation was finished


def rotate_key(location: str, notice: Notice, environ=os.environ) -> Rotation:
    """Re-encrypt the register at `location` under a new key, and put the new key in its key file.

    Order: the current key is copied to `<key file>.old`; the new key is
    written to `<key file>.new` and renamed over the key file; then every
    sealed value is re-encrypted and the key check replaced, in one
    transaction; then `.old` is removed. If the transaction fails, the old key
    is put back. If the process dies in between, the next rotation finds the
    `.old` file that still opens the register and finishes the work.
    """
    from chronicle.database import Database, database_url, stored_key_id

    url = database_url(location)
    path = key_file_for(url, environ)
    old_path = path.with_name(path.name + ".old")
    new_path = path.with_name(path.name + ".new")
    expected = stored_key_id(url)
    if expected is None:
        raise KeyProblem("this register has no key yet: open it once (any command), then rotate")
    current = read_key_file(path) if path.exists() else None
    saved = read_key_file(old_path) if old_path.exists() else None
    resumed = False
    if saved is not None and current is not None and current.key_id == expected:
        old_path.unlink()  # left by a rotation that had finished but for removing it
        notice(f"Removed {old_path}, left by an earlier rotation that had finished.")
        saved = None
    if saved is not None:
        if saved.key_id != expected:
            raise KeyProblem(f"neither {path} nor {old_path} opens this register (it expects key id {expected}); nothing was changed")
        old, resumed = saved, True  # an interrupted rotation: finish it with the key already put in the key file
        new = current if current is not None else _new_key_file(path, new_path)
        notice(f"Finishing an interrupted key rotation: {old_path} still opens the register.")
    else:
        if current is None:
            raise KeyProblem(f"the key file {path} does not exist: set {KEY_FILE_ENV} to the file that holds this register's key")
        if current.key_id != expected:
            raise KeyProblem(f"this key does not open this register (key id {current.key_id}, the register expects {expected})")
        old = current
        write_key_file(old_path, old)
        new = _new_key_file(path, new_path)
    from chronicle import audit

    values = None
    try:
        with Database.open(url, key=old) as database, database.transaction() as connection:
            values = _reseal(connection, old, new)
            # Last in the rotation's transaction (it locks the audit log's head): key ids only, never a key.
            facts = {"old_key_id": old.key_id, "new_key_id": new.key_id, "values": values, "resumed": resumed}
            audit.record(connection, "key_rotate", details=facts)
    except BaseException:
        state = stored_key_id_or_none(url)
        if state == old.key_id:
            os.replace(old_path, path)  # the register is still under the old key: put it back in force
            _sync_folder(path.parent)
            raise
        if state != new.key_id:
            raise  # unknown (the database cannot be reached): both files stay for the next rotation to sort out
        # The transaction was committed after all: the new key is in force.
    old_path.unlink()
    _sync_folder(path.parent)
    with Database.open(url, key=new) as database:
        database.compact()
    return Rotation(old.key_id, new.key_id, values, resumed)


def stored_key_id_or_none(url: str) -> str | None:
    from chronicle.database import stored_key_id

    try:
        return stored_key_id(url)
    except Exception:  # noqa: BLE001
        return None


def _new_key_file(path: Path, new_path: Path) -> RegisterKey:
    """A new key, written beside the key file and renamed over it."""
    new = RegisterKey.generate()
    if new_path.exists():
        new_path.unlink()  # a key never put in force by an interrupted rotation
    write_key_file(new_path, new)
    os.replace(new_path, path)
    _sync_folder(path.parent)
    return new


def _reseal(connection: Connection, old: RegisterKey, new: RegisterKey) -> int:
    """Every sealed value (all versions, retracted ones too) re-encrypted from `old` to `new`; the key check replaced."""
    count = 0
    for table in _sealed_tables(connection):
        columns = sealed_columns(table)
        names = [column.name for column in columns]
        keys, update = _updater(connection, table, names)
        for page in _pages(connection, table):
            changes = []
            for row in page:
                values = []
                for column in columns:
                    stored = row[column.name]
                    if stored is None:
                        values.append(None)
                    elif isinstance(column.type, Encrypted):
                        values.append(new.seal(old.unseal(stored, column.type.label), column.type.label))
                    else:
                        values.append(new.seal_digest(old.unseal_digest(stored)))
                    count += stored is not None
                changes.append((tuple(row[k] for k in keys), tuple(values)))
            update(changes)
    connection.execute(text("DELETE FROM register_keys"))
    _record_key(connection, new, _sealed_names(connection))
    return count
