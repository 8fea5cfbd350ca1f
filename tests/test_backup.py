"""Backups (issue 7): an encrypted archive of the whole register, restored identically; altered archives refused."""

from __future__ import annotations

from pathlib import Path

import pytest
from packages import small_register, write_package
from test_encryption import register_rows, without_the_last_entry
from typer.testing import CliRunner

from chronicle import backup
from chronicle.backup import Archive, BackupError, read_header, restore_backup, write_backup
from chronicle.cli import app
from chronicle.crypto import RegisterKey
from chronicle.database import Database
from chronicle.importer import import_package
from chronicle.keys import KEY_FILE_ENV, write_key_file
from chronicle.merging import merge_persons
from chronicle.register import Register

runner = CliRunner()
PASSPHRASE = "correct horse battery staple"


def fill(database: Database, tmp_path: Path) -> None:
    """Every kind of row: versions, retracted ones, restricted text, a merge and its rows, a "not the same"."""
    import_package(database, write_package(tmp_path / "package", small_register()))
    register = Register(database)
    source = register.get("sources", "s2")
    register.record("sources", {"source_id": "s2", "title": "Lawyer's second message", "url": "https://t.me/c/1", "restricted": "true"},
                    based_on=source["row_id"])
    register.record("persons", {"person_id": "p5", "name": "Siarhei Tsikhanouski", "restricted_notes": "cousin: +375 33 111"})
    merge_persons(register, "p1", "p5", by="officer", note="same person")


def test_a_round_trip_gives_an_identical_register(database: Database, other_database_location: str, tmp_path: Path):
    fill(database, tmp_path)
    before = register_rows(database)
    assert before["merges"] and before["merge_rows"] and len(before["sources"]) == 3
    report = write_backup(database, tmp_path / "register.backup")
    assert report.tables["persons"] == len(before["persons"]) and report.size == (tmp_path / "register.backup").stat().st_size
    assert b"cousin" not in (tmp_path / "register.backup").read_bytes()
    with Database.open(other_database_location) as target:  # the same key (CHRONICLE_KEY_FILE)
        restore_backup(target, Archive(tmp_path / "register.backup", key=target.key))
        assert without_the_last_entry(register_rows(target), "restore") == before
        # The restored register goes on: new rows get new row ids.
        created = Register(target).record("persons", {"person_id": "p6", "name": "After the restore"})
        assert created["row_id"] > max(row[0] for row in before["persons"])


def test_a_passphrase_archive_restores_into_a_register_with_another_key(database: Database, database_location: str, tmp_path: Path, monkeypatch):
    fill(database, tmp_path)
    before = register_rows(database)
    (tmp_path / "passphrase").write_text(PASSPHRASE + "\n")
    result = runner.invoke(app, ["--db", database_location, "backup", str(tmp_path / "p.backup"), "--passphrase-file", str(tmp_path / "passphrase")])
    assert result.exit_code == 0, result.output
    assert read_header(tmp_path / "p.backup")["protection"] == "passphrase"
    monkeypatch.delenv(KEY_FILE_ENV)  # the new SQLite register gets a key of its own
    target = tmp_path / "elsewhere.db"
    result = runner.invoke(app, ["--db", str(target), "restore", str(tmp_path / "p.backup")], env={"CHRONICLE_BACKUP_PASSPHRASE": PASSPHRASE})
    assert result.exit_code == 0, result.output
    with Database.open(str(target)) as restored:
        assert restored.key.key_id != database.key.key_id
        assert without_the_last_entry(register_rows(restored), "restore") == before


@pytest.fixture
def archive(database: Database, tmp_path: Path, monkeypatch) -> Path:
    """An archive of small parts (so that parts can be cut, dropped and swapped)."""
    fill(database, tmp_path)
    monkeypatch.setattr(backup, "PART", 512)
    path = tmp_path / "register.backup"
    write_backup(database, path)
    return path


def _parts(data: bytes) -> list[tuple[int, int]]:
    """Where the parts begin and end."""
    start = len(backup.MAGIC) + 4 + int.from_bytes(data[len(backup.MAGIC) : len(backup.MAGIC) + 4], "big")
    spans, at = [], start
    while at < len(data):
        length = int.from_bytes(data[at : at + 4], "big")
        spans.append((at, at + 4 + length))
        at += 4 + length
    return spans


def _altered(data: bytes) -> dict[str, tuple[bytes, str]]:
    spans = _parts(data)
    assert len(spans) > 3
    middle = spans[len(spans) // 2][0] + 100  # inside a part's ciphertext
    (a, b), (c, d) = spans[1], spans[2]
    return {
        "one byte flipped": (data[:middle] + bytes([data[middle] ^ 0x01]) + data[middle + 1 :], "fails its integrity check"),
        "cut in a part": (data[: middle], "cut short"),
        "last part dropped": (data[: spans[-1][0]], "cut short: it ends after part"),
        "bytes appended": (data + b"\x00" * 7, "7 bytes follow the end of the archive"),
        "two parts swapped": (data[:a] + data[c:d] + data[a:b] + data[d:], "fails its integrity check"),
        "header edited": (data.replace(b'"created_at": "20', b'"created_at": "19', 1), "fails its integrity check"),
        "not an archive": (b"PK\x03\x04" + data[4:], "is not a Chronicle backup"),
    }


def test_an_altered_archive_is_refused_with_its_problem_named_and_nothing_written(archive: Path, tmp_path: Path):
    data = archive.read_bytes()
    for case, (altered, message) in _altered(data).items():
        path = tmp_path / "altered.backup"
        path.write_bytes(altered)
        target = tmp_path / f"{case.replace(' ', '-')}.db"
        result = runner.invoke(app, ["--db", str(target), "restore", str(path)])
        assert result.exit_code == 1, case
        assert message in result.stderr, (case, result.stderr)
        assert "Traceback" not in result.output, case
        assert not target.exists(), case  # checked before the database was even opened


def test_a_wrong_key_or_passphrase_is_named_as_such(archive: Path, database: Database, tmp_path: Path):
    other = RegisterKey.generate()
    with pytest.raises(BackupError, match=rf"made with the register key {database.key.key_id}, and the key in use is {other.key_id}"):
        Archive(archive, key=other)
    write_key_file(tmp_path / "other.key", other)
    result = runner.invoke(app, ["--db", str(tmp_path / "new.db"), "restore", str(archive)], env={KEY_FILE_ENV: str(tmp_path / "other.key")})
    assert result.exit_code == 1 and "the key in use is" in result.stderr and not (tmp_path / "new.db").exists()
    write_backup(database, tmp_path / "p.backup", passphrase=PASSPHRASE)
    with pytest.raises(BackupError, match="the passphrase does not open this archive"):
        Archive(tmp_path / "p.backup", passphrase=PASSPHRASE + "!")
    with pytest.raises(BackupError, match="protected by a passphrase"):
        Archive(tmp_path / "p.backup", key=database.key)


def test_restore_refuses_a_database_that_is_not_empty(archive: Path, database: Database):
    before = register_rows(database)
    with pytest.raises(BackupError, match="the database is not empty"):
        restore_backup(database, Archive(archive, key=database.key))
    assert register_rows(database) == before


def test_a_backup_never_overwrites_a_file(database: Database, database_location: str, tmp_path: Path):
    taken = tmp_path / "taken.backup"
    taken.write_bytes(b"mine")
    result = runner.invoke(app, ["--db", database_location, "backup", str(taken)])
    assert result.exit_code == 1 and "never overwrites" in result.stderr
    assert taken.read_bytes() == b"mine" and not (tmp_path / "taken.backup.partial").exists()
