"""Restricted data encrypted at rest (issue 7): nothing restricted in the bytes, keys, wrong keys, rotation."""

from __future__ import annotations

import base64
import re
import stat
import subprocess
import uuid
from datetime import datetime
from pathlib import Path
from urllib.parse import unquote

import pyotp
import pytest
from alembic import command
from fastapi.testclient import TestClient
from packages import small_register, write_package
from sqlalchemy import MetaData, create_engine, select, text
from typer.testing import CliRunner

from chronicle import keys
from chronicle.accounts import Accounts
from chronicle.cli import app
from chronicle.crypto import KeyProblem, RegisterKey
from chronicle.database import Database, _alembic_config, database_url
from chronicle.exporter import export_package
from chronicle.importer import import_package
from chronicle.keys import KEY_FILE_ENV, read_key_file, rotate_key, write_key_file
from chronicle.records import content_digest
from chronicle.register import Register
from chronicle.schema import metadata
from chronicle.web.app import WebSettings, create_app

runner = CliRunner()


def register_rows(database: Database) -> dict[str, list[tuple]]:
    """Every row of every table, as the register reads it (restricted values decrypted), but the key check."""
    with database.reading() as connection:
        return {
            table.name: [tuple(row) for row in connection.execute(select(table).order_by(*(table.primary_key.columns or table.columns)))]
            for table in metadata.sorted_tables
            if table.name != "register_keys"
        }


def without_the_last_entry(rows: dict[str, list[tuple]], action: str) -> dict[str, list[tuple]]:
    """A register's rows without its last audit entry, which must be `action` (a restore's or a key rotation's),
    and with the log's head where it was before that entry: what the register held before (tests/test_audit_reads.py
    checks the entry itself)."""
    rows = dict(rows)
    *kept, last = rows["audit_log"]
    assert last[3] == action, last
    rows["audit_log"] = kept
    rows["audit_head"] = [(head_id, entry_id - 1, last[7]) for head_id, entry_id, _hash in rows["audit_head"]]
    return rows


def marked_register(marker: str) -> dict[str, list[dict[str, str]]]:
    """The small register with markers in every restricted field, and in an open source too."""
    register = small_register()
    register["persons"][0]["restricted_notes"] = f"{marker}-notes-p1 mother's address"
    register["persons"][2]["restricted_notes"] = f"{marker}-notes-p3 informant Кірыла, +375 29 000"
    register["sources"][1].update(title=f"{marker}-title-s2", publisher=f"{marker}-publisher-s2", url=f"https://t.me/{marker}-url-s2")
    register["sources"].append({"source_id": "s3", "title": f"{marker}-title-s3 open", "restricted": "false"})
    return register


def stored_bytes(location: str) -> bytes:
    """What a thief gets: the SQLite file with its write-ahead log and shared memory, or a dump of the PostgreSQL schema."""
    if "://" not in location:
        return b"".join(Path(location + suffix).read_bytes() for suffix in ("", "-wal", "-shm") if Path(location + suffix).exists())
    url = database_url(location)
    schema = re.search(r"search_path=(\w+)", unquote(url)).group(1)
    plain = re.sub(r"\?.*", "", url).replace("postgresql+psycopg://", "postgresql://")
    return subprocess.run(["pg_dump", "--schema", schema, plain], check=True, capture_output=True).stdout


def test_no_restricted_string_reaches_the_database_files(database: Database, database_location: str, tmp_path: Path):
    marker = "MARK" + uuid.uuid4().hex[:10]
    import_package(database, write_package(tmp_path / "package", marked_register(marker)))
    register = Register(database)
    person = register.get("persons", "p2")
    edited = {key: "" if value is None else value for key, value in person.items() if key in ("person_id", "name", "birth_date", "gender", "region")}
    register.record("persons", {**edited, "public": "true", "restricted_notes": f"{marker}-notes-p2 brother in Hrodna"}, based_on=person["row_id"])
    register.record("sources", {"source_id": "s9", "title": f"{marker}-title-s9 relative's call", "publisher": f"{marker}-publisher-s9", "restricted": "true"})
    accounts = Accounts(database)  # an editor sets up two-factor sign-in: the TOTP secret is encrypted too
    accounts.add_user("officer", "seven long words make a passphrase", role="editor")
    pending = accounts.sign_in("officer", "seven long words make a passphrase", "127.0.0.1")
    setup = accounts.two_factor_setup(pending.token)
    signed_in, _codes = accounts.confirm_two_factor_setup(pending.token, pyotp.TOTP(setup.secret).now(), "127.0.0.1")
    assert signed_in.outcome == "signed_in"

    wanted = [
        f"{marker}-notes-p1", f"{marker}-notes-p2", f"{marker}-notes-p3", "Кірыла", "mother's address", "informant",
        *(f"{marker}-{field}-{source}" for field in ("title", "publisher", "url") for source in ("s2", "s9")),
        f"{marker}-title-s3", "Viasna: new detentions", setup.secret,
    ]
    # The digests of rows with restricted text must not let anyone test a guess of it either.
    with database.reading() as connection:
        for resource in ("persons", "sources"):
            table = metadata.tables[resource]
            wanted += [content_digest(resource, dict(row)) for row in connection.execute(select(table)).mappings()]
    found = stored_bytes(database_location)
    assert b"restricted_notes" in found  # the scan does read the tables
    for text_ in wanted:
        assert text_.encode("utf-8") not in found, text_

    # Staff still read them, decrypted.
    assert register.get("persons", "p2")["restricted_notes"] == f"{marker}-notes-p2 brother in Hrodna"
    assert register.get("sources", "s9")["publisher"] == f"{marker}-publisher-s9"
    staff = TestClient(create_app(database, WebSettings(local_operator=True)))
    assert f"{marker}-notes-p3" in staff.get("/persons/p3").text
    assert f"{marker}-title-s2" in staff.get("/sources/s2").text
    export_package(database, tmp_path / "export")
    assert f"{marker}-url-s2" in (tmp_path / "export" / "sources.csv").read_text(encoding="utf-8")
    assert not import_package(database, tmp_path / "export").changed_anything  # digests still tell equal content


def test_a_wrong_key_is_refused_and_writes_nothing(database: Database, database_location: str, tmp_path: Path):
    import_package(database, write_package(tmp_path / "package", small_register()))
    before = register_rows(database)
    other = RegisterKey.generate()
    with pytest.raises(KeyProblem, match=rf"this key does not open this register \(key id {other.key_id}, the register expects {database.key.key_id}\)"):
        Database.open(database_location, key=other)
    write_key_file(tmp_path / "other.key", other)
    result = runner.invoke(app, ["--db", database_location, "figures", "--as-of", "2025-06-30"], env={KEY_FILE_ENV: str(tmp_path / "other.key")})
    assert result.exit_code == 1 and "this key does not open this register" in result.stderr and "Traceback" not in result.output
    assert register_rows(database) == before


def test_a_value_altered_or_moved_in_the_database_is_refused(database: Database, tmp_path: Path):
    import_package(database, write_package(tmp_path / "package", small_register()))
    register = Register(database)
    with database.transaction() as connection:
        title = connection.execute(text("SELECT title FROM sources WHERE source_id = 's2'")).scalar_one()
        connection.execute(text("UPDATE persons SET restricted_notes = :sealed WHERE person_id = 'p3'"), {"sealed": title})
        flipped = title[:-6] + ("A" if title[-6] != "A" else "B") + title[-5:]
        connection.execute(text("UPDATE sources SET title = :sealed WHERE source_id = 's2'"), {"sealed": flipped})
    with pytest.raises(KeyProblem, match="persons.restricted_notes: an encrypted value fails its integrity check"):
        register.get("persons", "p3")
    with pytest.raises(KeyProblem, match="sources.title: an encrypted value fails its integrity check"):
        register.get("sources", "s2")
    assert register.get("persons", "p1")["restricted_notes"] == "wife's phone +375 00 000"


def test_without_chronicle_key_file_sqlite_gets_a_key_beside_it_and_postgresql_refuses(database_location: str, monkeypatch, tmp_path: Path):
    monkeypatch.delenv(KEY_FILE_ENV, raising=False)
    notices: list[str] = []
    if "://" in database_location:
        with pytest.raises(KeyProblem, match="a PostgreSQL register needs its key in a file named by CHRONICLE_KEY_FILE"):
            Database.open(database_location, notice=notices.append)
        result = runner.invoke(app, ["--db", database_location, "db", "upgrade"])
        assert result.exit_code == 1 and "chronicle key init" in result.stderr and "Traceback" not in result.output
        return
    with Database.open(database_location, notice=notices.append) as database:
        import_package(database, write_package(tmp_path / "package", small_register()))
    key_path = Path(database_location + ".key")
    assert stat.S_IMODE(key_path.stat().st_mode) == 0o600
    assert len(notices) == 1 and "Keep a copy somewhere safe" in notices[0] and str(key_path) in notices[0]
    with Database.open(database_location, notice=notices.append) as database:  # the warning is said once
        assert Register(database).get("persons", "p1")["restricted_notes"] == "wife's phone +375 00 000"
    assert len(notices) == 1
    key_path.rename(tmp_path / "elsewhere.key")  # moved off the disk, as the warning advises: no new key is made
    with pytest.raises(KeyProblem, match="its key file .* is missing: set CHRONICLE_KEY_FILE"):
        Database.open(database_location)
    assert not key_path.exists()
    monkeypatch.setenv(KEY_FILE_ENV, str(tmp_path / "elsewhere.key"))
    with Database.open(database_location) as database:
        assert Register(database).count("persons") == 4


def test_key_init_writes_a_private_key_and_never_overwrites_one(tmp_path: Path, monkeypatch):
    monkeypatch.delenv(KEY_FILE_ENV, raising=False)
    path = tmp_path / "chronicle.key"
    result = runner.invoke(app, ["key", "init", "--file", str(path)])
    assert result.exit_code == 0, result.output
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    key = read_key_file(path)
    assert key.key_id in result.stderr and "export CHRONICLE_KEY_FILE=" in result.stderr
    content = path.read_bytes()
    again = runner.invoke(app, ["key", "init", "--file", str(path)])
    assert again.exit_code == 1 and "never overwritten" in again.stderr and "Traceback" not in again.output
    assert path.read_bytes() == content
    beside = runner.invoke(app, ["--db", str(tmp_path / "r.db"), "key", "init"])  # SQLite: the database's name + .key
    assert beside.exit_code == 0 and read_key_file(tmp_path / "r.db.key").key_id != key.key_id
    postgres = runner.invoke(app, ["--db", "postgresql://postgres@127.0.0.1/none", "key", "init"])
    assert postgres.exit_code == 1 and "--file" in postgres.stderr
    (tmp_path / "bad.key").write_text("chronicle-key-v1 c2hvcnQ=\n")
    with pytest.raises(KeyProblem, match="is not a Chronicle key file"):
        read_key_file(tmp_path / "bad.key")


def _filled(database: Database, tmp_path: Path) -> None:
    import_package(database, write_package(tmp_path / "package", small_register()))
    register = Register(database)
    source = register.get("sources", "s2")
    register.record("sources", {"source_id": "s2", "title": "Lawyer's second message", "published": "2021-03", "restricted": "true"}, based_on=source["row_id"])
    register.retract("sources", "s1", based_on=register.get("sources", "s1")["row_id"])


def _stored(database: Database, column: str, table: str) -> list[str]:
    with database.reading() as connection:
        return [value for value in connection.execute(text(f"SELECT {column} FROM {table} ORDER BY row_id")).scalars() if value]


def test_key_rotate_reencrypts_every_version_and_loses_nothing(database: Database, database_location: str, key_file: Path, tmp_path: Path):
    _filled(database, tmp_path)
    before = register_rows(database)
    old = read_key_file(key_file)
    old_titles = _stored(database, "title", "sources")
    database.close()
    result = runner.invoke(app, ["--db", database_location, "key", "rotate"])
    assert result.exit_code == 0, result.output
    new = read_key_file(key_file)
    assert new.key_id != old.key_id and new.key_id in result.stderr
    assert not Path(str(key_file) + ".old").exists() and stat.S_IMODE(key_file.stat().st_mode) == 0o600
    with Database.open(database_location) as rotated:
        assert without_the_last_entry(register_rows(rotated), "key_rotate") == before  # every version, the retracted ones included
        titles = _stored(rotated, "title", "sources")
        assert len(titles) == len(old_titles) == 3  # s1, and two versions of s2
        assert all(title.startswith(f"v1:{new.key_id}:") for title in titles)
    with pytest.raises(KeyProblem, match=f"key id {old.key_id}, the register expects {new.key_id}"):
        Database.open(database_location, key=old)


def test_a_failed_rotation_puts_the_old_key_back(database: Database, database_location: str, key_file: Path, tmp_path: Path, monkeypatch):
    _filled(database, tmp_path)
    before = register_rows(database)
    old = read_key_file(key_file)
    database.close()

    def broken(connection, old_key, new_key):
        connection.execute(text("DELETE FROM register_keys"))
        raise RuntimeError("the disk is full")

    monkeypatch.setattr(keys, "_reseal", broken)
    with pytest.raises(RuntimeError, match="the disk is full"):
        rotate_key(database_location, lambda text: None)
    assert read_key_file(key_file) == old and not Path(str(key_file) + ".old").exists()
    with Database.open(database_location) as reopened:
        assert register_rows(reopened) == before


def test_a_rotation_interrupted_after_the_new_key_file_is_finished_by_the_next(database: Database, database_location: str, key_file: Path, tmp_path: Path):
    _filled(database, tmp_path)
    before = register_rows(database)
    old = read_key_file(key_file)
    database.close()
    # As a rotation killed between writing the new key file and committing leaves things:
    write_key_file(Path(str(key_file) + ".old"), old)
    key_file.unlink()
    write_key_file(key_file, RegisterKey.generate())
    with pytest.raises(KeyProblem, match="this key does not open this register"):
        Database.open(database_location)
    notices: list[str] = []
    rotation = rotate_key(database_location, notices.append)
    assert rotation.resumed and rotation.old_key_id == old.key_id and rotation.new_key_id == read_key_file(key_file).key_id
    assert any("interrupted" in notice for notice in notices)
    with Database.open(database_location) as reopened:
        assert without_the_last_entry(register_rows(reopened), "key_rotate") == before


def test_a_process_holding_the_old_key_cannot_write_after_a_rotation(database: Database, database_location: str, tmp_path: Path):
    _filled(database, tmp_path)
    rotate_key(database_location, lambda text: None)
    register = Register(database)  # opened before the rotation, with the old key
    with pytest.raises(KeyProblem, match="the register's key was changed"):
        register.record("persons", {"person_id": "p9", "name": "New Person", "restricted_notes": "sealed under the old key"})
    with pytest.raises(KeyProblem, match="not under this register's key"):
        register.get("persons", "p1")
    with Database.open(database_location) as reopened:
        assert Register(reopened).count("persons") == 4


def test_a_register_made_before_encryption_is_encrypted_on_first_use(database_location: str, tmp_path: Path):
    """Migration 0007 cannot ask for the key: the first open with one seals every clear value, in every version."""
    marker = "MARK" + uuid.uuid4().hex[:10]
    engine = create_engine(database_url(database_location))
    with engine.begin() as connection:
        command.upgrade(_alembic_config(connection), "0006")
    old = MetaData()
    old.reflect(engine)
    person = {"person_id": "p1", "person_key": 0, "name": "Old Person", "aliases": "", "categories": "", "public": False,
              "restricted_notes": f"{marker} informant", "notes": None}
    source = {"source_id": "s1", "title": f"{marker} lawyer", "publisher": f"{marker} press", "url": None, "published": "2021", "restricted": True}
    with engine.begin() as connection:
        for table, values in (("persons", person), ("sources", source)):
            content = {**values, "aliases": [], "categories": []} if table == "persons" else values
            resource_values = {**content, "recorded_at": None, "retracted_at": None}
            digest = content_digest(table, resource_values)
            connection.execute(old.tables[table].insert(), [
                {**values, "recorded_at": datetime(2021, 1, 1), "retracted_at": datetime(2021, 2, 1), "digest": digest},
                {**values, "recorded_at": datetime(2021, 2, 1), "retracted_at": None, "digest": digest},
            ])
        connection.execute(old.tables["person_keys"].insert(), {"person_id": "p1", "person_key": 0})
    engine.dispose()
    assert marker.encode() in stored_bytes(database_location)  # so that the last check below means something

    with Database.open(database_location) as database:
        register = Register(database)
        assert register.get("persons", "p1")["restricted_notes"] == f"{marker} informant"
        assert [version["publisher"] for version in register.history("sources", "s1")] == [f"{marker} press"] * 2
        assert all(value.startswith(f"v1:{database.key.key_id}:") for value in _stored(database, "restricted_notes", "persons"))
        package = write_package(tmp_path / "same", {
            "persons": [{"person_id": "p1", "name": "Old Person", "public": "false", "restricted_notes": f"{marker} informant"}],
            "sources": [{"source_id": "s1", "title": f"{marker} lawyer", "publisher": f"{marker} press", "published": "2021", "restricted": "true"}],
            "events": [],
        })
        assert not import_package(database, package).changed_anything  # the digests were encrypted, not spoilt
    assert marker.encode() not in stored_bytes(database_location)  # compacted: no clear text left in freed space


def test_a_column_encrypted_by_a_later_version_is_sealed_on_first_open(database: Database, database_location: str, tmp_path: Path):
    import_package(database, write_package(tmp_path / "package", small_register()))
    before = register_rows(database)
    with database.transaction() as connection:  # as a register keyed before restricted_notes was encrypted holds it
        recorded = connection.execute(text("SELECT sealed FROM register_keys")).scalar_one()
        assert "persons.restricted_notes" in recorded.split(",") and "sources.digest" in recorded.split(",")
        connection.execute(text("UPDATE register_keys SET sealed = :sealed"), {"sealed": recorded.replace("persons.restricted_notes", "")})
        connection.execute(text("UPDATE persons SET restricted_notes = 'informant, in the clear' WHERE person_id = 'p3'"))
    database.close()
    with Database.open(database_location) as reopened:
        assert all(value.startswith(f"v1:{reopened.key.key_id}:") for value in _stored(reopened, "restricted_notes", "persons"))
        rows = register_rows(reopened)
        assert Register(reopened).get("persons", "p3")["restricted_notes"] == "informant, in the clear"
    changed = [row for row in before["persons"] if row not in rows["persons"]]
    assert len(changed) == 1 and changed[0][1] == "p3"


def test_sealed_values_hide_their_length_and_open_only_where_they_were_written():
    key = RegisterKey.generate()
    for value in ("", "a", "Кірыла, +375 29 000", "x" * 1000, "\ud800 lone surrogate"):
        assert key.unseal(key.seal(value, "persons.restricted_notes"), "persons.restricted_notes") == value
    assert len(key.seal("a", "t.c")) == len(key.seal("a" * 30, "t.c"))
    assert key.seal("same", "t.c") != key.seal("same", "t.c")  # a fresh nonce every time
    with pytest.raises(KeyProblem, match="fails its integrity check"):
        key.unseal(key.seal("moved", "sources.title"), "persons.restricted_notes")
    with pytest.raises(KeyProblem, match=f"under key id {key.key_id}, not under this register's key"):
        RegisterKey.generate().unseal(key.seal("text", "t.c"), "t.c")
    assert key.key_id in repr(key) and base64.b64encode(key.secret).decode() not in repr(key)
