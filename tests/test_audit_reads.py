"""The audit log's reads, backups and keys (issue 7): every read of restricted data on the records pages and the
command line, every backup, restore and key rotation is an entry naming who and which records (by id, never by
content), and the chain still verifies. On SQLite and on PostgreSQL."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from packages import small_register, write_package
from sqlalchemy import text
from typer.testing import CliRunner

from chronicle import audit
from chronicle.backup import Archive, read_header, restore_backup, write_backup
from chronicle.cli import app
from chronicle.database import Database
from chronicle.importer import import_package
from chronicle.keys import read_key_file
from chronicle.register import Register
from chronicle.web import access
from chronicle.web.access import Principal
from chronicle.web.app import WebSettings, create_app

runner = CliRunner()
# Restricted text of the small register (p1's and p3's restricted notes, the restricted source s2), and what the tests add.
RESTRICTED = ("wife's phone", "+375 00 000", "informant contact", "Lawyer's message", "second cousin, Hrodna")


@pytest.fixture
def register(database: Database, tmp_path: Path) -> Database:
    """The small register, imported as `importer`: its import is entry 1."""
    with audit.acting_as("importer"):
        import_package(database, write_package(tmp_path / "package", small_register()))
    return database


@pytest.fixture
def staff(register: Database) -> TestClient:
    """The local operator: an admin, who may read restricted data."""
    return TestClient(create_app(register, WebSettings(local_operator=True)))


def reads(database: Database) -> list[audit.Entry]:
    return audit.entries(database, action="read_restricted")


def raw_log(database: Database) -> str:
    """Every stored field of every entry, as one text to search."""
    with database.engine.connect() as connection:
        rows = [tuple(row) for row in connection.execute(text("SELECT * FROM audit_log ORDER BY entry_id"))]
    return json.dumps(rows, default=str, ensure_ascii=False)


def assert_verifies(location: str) -> None:
    result = runner.invoke(app, ["--db", location, "audit", "verify"])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("intact: ")


def row_id(database: Database, resource: str, key) -> int:
    return Register(database).get(resource, key)["row_id"]


# --------------------------------------------------------------------------
# The records pages and their JSON twins


def test_a_restricted_source_shown_on_its_page_or_in_the_api_is_one_entry_per_request(staff: TestClient, register: Database):
    assert staff.get("/sources/s2").status_code == 200
    assert staff.get("/api/v1/sources/s2", params={"known_at": "2030-01-01"}).status_code == 200
    assert staff.get("/sources/s1").status_code == 200  # an open source: no entry
    assert staff.get("/cases/c1").status_code == 200  # a case shows events and their source ids, not restricted data
    assert staff.get("/organisations/o1").status_code == 200
    page, api = reads(register)
    assert (page.actor, page.resource, page.record_key) == ("local operator", "sources", "s2")
    assert page.facts == {"view": "source page", "restricted_notes": False, "restricted_sources": ["s2"], "known_at": None}
    assert (api.resource, api.record_key) == ("sources", "s2")
    assert api.facts["view"] == "source api" and api.facts["known_at"].startswith("2030-01-01T23:59:59")


def test_a_list_of_sources_with_restricted_ones_is_one_entry_naming_them(staff: TestClient, register: Database):
    assert "Lawyer&#39;s message" in staff.get("/sources").text
    assert staff.get("/api/v1/sources").json()["total"] == 2
    assert staff.get("/api/v1/sources", params={"q": "viasna"}).json()["total"] == 1  # only s1 shown: no entry
    page, api = reads(register)
    assert (page.resource, page.record_key) == ("sources", None)
    assert page.facts == {"view": "source list", "restricted_notes": False, "restricted_sources": ["s2"], "page": 1}
    assert api.facts == {"view": "source list api", "restricted_notes": False, "restricted_sources": ["s2"], "page": 1}
    assert [entry.entry_id for entry in audit.entries(register, record_id="s2")] == [page.entry_id, api.entry_id]


def test_the_history_of_a_record_with_restricted_data_is_one_entry_naming_its_versions(staff: TestClient, register: Database):
    registry = Register(register)
    first = registry.get("persons", "p1")
    second = registry.record("persons", {"person_id": "p1", "name": "Siarhei Tsikhanouski", "public": "true"}, based_on=first["row_id"])
    assert staff.get("/api/v1/persons/p1/history").json()["versions"][0]["restricted_notes"]
    assert staff.get("/api/v1/sources/s2/history").status_code == 200
    assert staff.get("/api/v1/persons/p2/history").status_code == 200  # never restricted notes: no entry
    assert staff.get("/api/v1/sources/s1/history").status_code == 200
    assert staff.get("/api/v1/events/e8/history").status_code == 200  # an event holds source ids, not their content
    person, source = reads(register)
    assert (person.resource, person.record_key) == ("persons", "p1")
    # Only the first version holds restricted notes: the second one cleared them.
    assert person.facts == {"view": "history api", "restricted_notes": True, "restricted_sources": [], "versions": [first["row_id"]]}
    assert second["row_id"] not in person.facts["versions"]
    assert (source.resource, source.record_key) == ("sources", "s2")
    assert source.facts == {"view": "history api", "restricted_notes": False, "restricted_sources": ["s2"],
                            "versions": [row_id(register, "sources", "s2")]}


def test_forms_that_show_restricted_data_are_one_entry_each(staff: TestClient, register: Database):
    assert staff.get("/persons/p1/edit").status_code == 200  # its restricted notes are in the form
    assert staff.get("/persons/p2/edit").status_code == 200  # none: no entry
    assert staff.get("/sources/s2/edit").status_code == 200
    assert staff.get("/sources/s1/edit").status_code == 200  # open: no entry
    assert staff.get("/events/e2/edit").status_code == 200  # cites s1 and s2
    assert staff.get("/persons/p2/events/new", params={"type": "detained"}).status_code == 200  # offers s2 among recent sources
    assert staff.get("/events/e8/retract").status_code == 200  # shows its source, s2
    assert staff.get("/cases/c1/edit").status_code == 200
    entries = reads(register)
    assert [(e.resource, e.record_key, e.facts["view"]) for e in entries] == [
        ("persons", "p1", "person form"), ("sources", "s2", "source form"), ("events", "e2", "event form"),
        ("events", None, "event form"), ("events", "e8", "event withdrawal"),
    ]
    person, source, event, new_event, withdrawal = (entry.facts for entry in entries)
    assert person == {"view": "person form", "restricted_notes": True, "restricted_sources": []}
    assert source["restricted_sources"] == ["s2"] and source["restricted_notes"] is False
    assert event == {"view": "event form", "restricted_notes": False, "restricted_sources": ["s2"], "person_id": "p1"}
    assert new_event["restricted_sources"] == ["s2"] and new_event["person_id"] == "p2"
    assert withdrawal == {"view": "event withdrawal", "restricted_notes": False, "restricted_sources": ["s2"], "person_id": "p3"}


def test_a_conflict_or_an_unchanged_edit_that_shows_restricted_data_is_a_read(staff: TestClient, register: Database):
    registry = Register(register)
    opened = row_id(register, "persons", "p1")
    with audit.acting_as("B. Officer"):  # someone else changes the restricted notes meanwhile
        registry.record("persons", {"person_id": "p1", "name": "Siarhei Tsikhanouski", "public": "true",
                                    "restricted_notes": "second cousin, Hrodna"}, based_on=opened)
    current = row_id(register, "persons", "p1")
    stale = staff.put("/api/v1/persons/p1", json={"based_on": opened, "region": "Minsk"})
    assert stale.status_code == 409 and stale.json()["current"]["restricted_notes"] == "second cousin, Hrodna"
    form = staff.post("/persons/p1/edit", data={"based_on": str(opened), "name": "Siarhei Tsikhanouski", "public": "true",
                                                "restricted_notes": "wife's phone +375 00 000"})
    assert form.status_code == 409 and "second cousin, Hrodna" in form.text
    unchanged = staff.put("/api/v1/persons/p1", json={"based_on": current})
    assert unchanged.status_code == 200 and unchanged.json()["person"]["row_id"] == current  # nothing written
    assert staff.put("/api/v1/sources/s1", json={"based_on": row_id(register, "sources", "s1")}).status_code == 200
    conflict, form_entry, answer = reads(register)
    assert (conflict.actor, conflict.resource, conflict.record_key) == ("local operator", "persons", "p1")
    assert conflict.facts == {"view": "api conflict", "restricted_notes": True, "restricted_sources": []}
    assert form_entry.facts == {"view": "person form", "restricted_notes": True, "restricted_sources": []}
    assert answer.facts["view"] == "api answer"
    assert [e.actor for e in audit.entries(register, action="record")] == ["B. Officer"]  # the refused and empty edits wrote nothing


def test_a_role_without_restricted_data_reads_leaves_no_entry(register: Database, monkeypatch):
    monkeypatch.setattr(access, "identify", lambda request: Principal("An Analyst", "analyst"))
    analyst = TestClient(create_app(register))
    for url in ("/sources", "/api/v1/sources", "/sources/s1", "/api/v1/persons/p1/history", "/api/v1/sources/s1/history",
                "/cases/c1", "/api/v1/events/e8"):
        assert analyst.get(url).status_code == 200, url
    assert analyst.get("/sources/s2").status_code == 404
    assert reads(register) == []


def test_reads_through_the_records_pages_put_no_restricted_text_in_the_log(staff: TestClient, register: Database,
                                                                           database_location: str):
    for url in ("/sources", "/sources/s2", "/api/v1/sources/s2", "/api/v1/persons/p1/history", "/api/v1/sources/s2/history",
                "/persons/p1/edit", "/sources/s2/edit", "/events/e2/edit", "/events/e8/retract"):
        answer = staff.get(url)
        assert answer.status_code == 200, url
        assert any(marker in answer.text or marker.replace("'", "&#39;") in answer.text for marker in RESTRICTED), url
    assert len(reads(register)) == 9
    stored = raw_log(register)
    for marker in RESTRICTED:
        assert marker not in stored, marker
    assert_verifies(database_location)


# --------------------------------------------------------------------------
# The command line


def _cli(location: str, *args: str, actor: str | None = "Night Shift"):
    return runner.invoke(app, ["--db", location, *args], env={"CHRONICLE_ACTOR": actor})


def test_explain_and_reconcile_with_restricted_sources_are_entries_of_the_command_lines_actor(register: Database,
                                                                                           database_location: str):
    import getpass

    shown = _cli(database_location, "explain", "behind_bars", "--as-of", "2021-08-01", "--restricted")
    assert shown.exit_code == 0, shown.output
    assert "Lawyer's message" in shown.stdout
    as_json = _cli(database_location, "explain", "behind_bars", "--as-of", "2021-08-01", "--restricted", "--json", actor=None)
    assert as_json.exit_code == 0, as_json.output
    reconciled = _cli(database_location, "reconcile", "--metric", "arrests", "--from", "2021-01-01", "--to", "2021-12-31",
                      "--value", "0", "--restricted", "--json")
    assert reconciled.exit_code == 0, reconciled.output
    assert "Lawyer's message" in reconciled.stdout
    # Without --restricted no restricted source is shown, and there is no entry.
    assert _cli(database_location, "explain", "behind_bars", "--as-of", "2021-08-01").exit_code == 0
    assert _cli(database_location, "reconcile", "--metric", "arrests", "--from", "2021-01-01", "--to", "2021-12-31",
                "--value", "0", "--json").exit_code == 0
    explained, explained_json, reconcile = reads(register)
    assert (explained.actor, explained.resource, explained.record_key) == ("Night Shift", "figures", "behind_bars")
    assert explained.facts["view"] == "command line: explain" and explained.facts["restricted_sources"] == ["s2"]
    assert explained.facts["as_of"] == "2021-08-01" and explained.facts["filters"]["case"] is None
    assert explained_json.actor == getpass.getuser()
    assert (reconcile.actor, reconcile.record_key) == ("Night Shift", "arrests")
    assert reconcile.facts["view"] == "command line: reconcile" and reconcile.facts["restricted_sources"] == ["s2"]
    assert (reconcile.facts["from"], reconcile.facts["to"]) == ("2021-01-01", "2021-12-31")
    stored = raw_log(register)
    for marker in RESTRICTED:
        assert marker not in stored, marker
    assert_verifies(database_location)


def test_a_refused_actor_shows_nothing_restricted(register: Database, database_location: str):
    refused = _cli(database_location, "explain", "behind_bars", "--as-of", "2021-08-01", "--restricted", actor="bad\x1bname")
    assert refused.exit_code == 1 and "CHRONICLE_ACTOR" in refused.stderr
    assert "Lawyer's message" not in refused.stdout
    assert reads(register) == []


def test_the_internal_report_shows_no_restricted_data_and_is_no_read(register: Database, database_location: str):
    report = _cli(database_location, "report", "--month", "2021-01")
    assert report.exit_code == 0, report.output
    assert "Hidden Person" in report.stdout  # the internal report names non-public persons ...
    for marker in RESTRICTED:  # ... but never a restricted source or restricted notes
        assert marker not in report.stdout, marker
    assert reads(register) == []


def test_a_full_export_on_the_command_line_is_an_export_entry_of_its_actor(register: Database, database_location: str,
                                                                           tmp_path: Path):
    exported = _cli(database_location, "export", str(tmp_path / "full"))
    assert exported.exit_code == 0, exported.output
    [entry] = audit.entries(register, action="export")
    assert entry.actor == "Night Shift" and entry.facts["public"] is False and entry.facts["rows"]["persons"] == 4


# --------------------------------------------------------------------------
# Backups, restores and keys


def test_a_backup_is_an_entry_of_the_register_naming_the_archive_by_its_hash(register: Database, database_location: str,
                                                                            tmp_path: Path):
    archive = tmp_path / "vault" / "register-2021.backup"
    archive.parent.mkdir()
    result = _cli(database_location, "backup", str(archive))
    assert result.exit_code == 0, result.output
    [entry] = audit.entries(register, action="backup")
    header = read_header(archive)
    assert (entry.actor, entry.resource, entry.record_key) == ("Night Shift", None, None)
    assert entry.facts["archive_sha256"] == hashlib.sha256(archive.read_bytes()).hexdigest()
    assert entry.facts["created_at"] == header["created_at"]
    assert entry.facts["protection"] == "register-key" and entry.facts["key_id"] == register.key.key_id
    assert entry.facts["bytes"] == archive.stat().st_size
    assert entry.facts["rows"]["persons"] == 4 and entry.facts["rows"]["audit_log"] == 1  # the snapshot precedes its entry
    stored = raw_log(register)
    assert "vault" not in stored and "register-2021" not in stored  # no path: it would say where backups are kept
    assert_verifies(database_location)


def test_a_failed_backup_leaves_no_entry(register: Database, tmp_path: Path):
    (tmp_path / "taken.backup").write_bytes(b"")
    with pytest.raises(Exception, match="already exists"):
        write_backup(register, tmp_path / "taken.backup")
    assert audit.entries(register, action="backup") == []


def test_a_restore_is_an_entry_of_the_restored_register_after_the_restored_chain(register: Database, database_location: str,
                                                                               other_database_location: str, tmp_path: Path):
    with audit.acting_as("A. Officer"):
        Register(register).record("persons", {"person_id": "p9", "name": "New Person", "restricted_notes": "second cousin, Hrodna"})
    source_log = audit.entries(register)
    archive = tmp_path / "vault" / "register.backup"
    archive.parent.mkdir()
    with audit.acting_as("A. Officer"):
        write_backup(register, archive)
    with Database.open(other_database_location) as target:  # the same key (CHRONICLE_KEY_FILE)
        with audit.acting_as("Restorer"):
            restore_backup(target, Archive(archive, key=target.key))
        restored = audit.entries(target)
        assert restored[:-1] == source_log  # the log restored as it was, every entry and hash
        entry = restored[-1]
        assert (entry.entry_id, entry.action, entry.actor) == (len(source_log) + 1, "restore", "Restorer")
        assert entry.previous_hash == source_log[-1].hash
        [backup] = audit.entries(register, action="backup")
        assert entry.facts["archive_sha256"] == backup.facts["archive_sha256"] == hashlib.sha256(archive.read_bytes()).hexdigest()
        assert entry.facts["created_at"] == backup.facts["created_at"] == read_header(archive)["created_at"]
        assert entry.facts["dialect"] == register.dialect and entry.facts["rows"]["persons"] == 5
        assert audit.verify(target).intact
        assert audit.head(target) == (entry.entry_id, entry.hash)
        stored = raw_log(target)
        assert "vault" not in stored and str(tmp_path) not in stored
        for marker in RESTRICTED:
            assert marker not in stored, marker
        # The restored register goes on: its next entry follows the restore's.
        with audit.acting_as("A. Officer"):
            Register(target).record("persons", {"person_id": "p10", "name": "After the restore"})
        assert audit.entries(target)[-1].previous_hash == entry.hash and audit.verify(target).intact
    assert_verifies(other_database_location)


def test_a_restore_on_the_command_line_is_an_entry_of_its_actor_and_verifies(register: Database, database_location: str,
                                                                           tmp_path: Path):
    archive = tmp_path / "register.backup"
    assert _cli(database_location, "backup", str(archive)).exit_code == 0
    target = str(tmp_path / "restored.db")  # SQLite, with the same key (CHRONICLE_KEY_FILE)
    result = _cli(target, "restore", str(archive), actor="Restorer")
    assert result.exit_code == 0, result.output
    shown = runner.invoke(app, ["--db", target, "audit", "show", "--action", "restore", "--json"])
    [entry] = [json.loads(line) for line in shown.stdout.splitlines()]
    assert entry["actor"] == "Restorer" and entry["details"]["archive_sha256"] == hashlib.sha256(archive.read_bytes()).hexdigest()
    assert_verifies(target)
    refused = _cli(target, "restore", str(archive))  # not empty now: refused, and nothing recorded
    assert refused.exit_code == 1
    with Database.open(target) as restored:
        assert len(audit.entries(restored, action="restore")) == 1


def test_a_key_rotation_is_an_entry_with_both_key_ids(register: Database, database_location: str, key_file: Path):
    old = read_key_file(key_file)
    register.close()
    result = _cli(database_location, "key", "rotate")
    assert result.exit_code == 0, result.output
    new = read_key_file(key_file)
    with Database.open(database_location) as rotated:
        [entry] = audit.entries(rotated, action="key_rotate")
        assert entry.actor == "Night Shift"
        assert entry.facts == {"old_key_id": old.key_id, "new_key_id": new.key_id, "values": entry.facts["values"], "resumed": False}
        assert entry.facts["values"] > 0
        stored = raw_log(rotated)
    secret = new.secret.hex()
    assert secret not in stored and old.secret.hex() not in stored
    assert_verifies(database_location)
