"""The audit log (issue 7): every write, export and read of restricted data has its entry, with who did it;
the log is append-only and hash-chained, and `chronicle audit verify` names the first entry edited, removed
or moved. On SQLite and on PostgreSQL."""

from __future__ import annotations

import itertools
import json
import threading
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from fastapi.testclient import TestClient
from packages import small_register, write_package
from sqlalchemy import create_engine, inspect, select, text
from sqlalchemy.exc import DBAPIError
from typer.testing import CliRunner

from chronicle import audit
from chronicle.cli import app
from chronicle.database import Database, _alembic_config, database_url
from chronicle.errors import ConflictError, InputError, NotFoundError, PackageError
from chronicle.exporter import export_package
from chronicle.importer import import_package
from chronicle.intake import accept
from chronicle.merging import mark_not_same, merge_persons, unmerge
from chronicle.register import Register
from chronicle.schema import audit_head, audit_log, metadata
from chronicle.web.app import WebSettings, create_app

runner = CliRunner()
RESTRICTED = ("wife's phone", "+375 00 000", "informant contact", "Lawyer's message", "seen by a neighbour")


@pytest.fixture
def register(database: Database, tmp_path: Path) -> Database:
    """The small register, imported as `importer`; its import is entry 1."""
    with audit.acting_as("importer"):
        import_package(database, write_package(tmp_path / "package", small_register()))
    return database


def logged(database: Database, **filters) -> list[audit.Entry]:
    return audit.entries(database, **filters)


def raw_log(database: Database) -> list[tuple]:
    with database.engine.connect() as connection:
        return [tuple(row) for row in connection.execute(text("SELECT * FROM audit_log ORDER BY entry_id"))]


# --------------------------------------------------------------------------
# Every kind of write, with its actor


def test_an_import_is_one_entry_with_the_counts_and_the_actor(register: Database):
    [entry] = logged(register)
    assert (entry.entry_id, entry.action, entry.actor, entry.resource, entry.record_key) == (1, "import", "importer", None, None)
    facts = entry.facts
    assert facts["package"] == "package"
    assert facts["counts"]["persons"] == {"added": 4, "changed": 0, "retracted": 0, "unchanged": 0}
    assert facts["counts"]["events"]["added"] == 11
    assert entry.previous_hash == audit.GENESIS and entry.hash == entry.computed_hash()


def test_importing_the_demo_sized_package_leaves_one_entry(database: Database, tmp_path: Path):
    from chronicle.generate import generate_package

    package = tmp_path / "demo"
    generate_package(package, persons=2000, seed=1)
    import_package(database, package)
    [entry] = logged(database)
    assert entry.action == "import"
    assert entry.facts["counts"]["persons"]["added"] == 2000
    assert entry.facts["counts"]["events"]["added"] > 2000
    import_package(database, package)  # again: nothing changes, and the import is still recorded
    assert [e.action for e in logged(database)] == ["import", "import"]
    assert logged(database)[1].facts["counts"]["persons"] == {"added": 0, "changed": 0, "retracted": 0, "unchanged": 2000}


def test_each_version_written_is_one_entry_with_its_rows(register: Database):
    registry = Register(register)
    with audit.acting_as("A. Officer"):
        first = registry.record("persons", {"person_id": "p9", "name": "New Person", "public": "false"})
        second = registry.record("persons", {"person_id": "p9", "name": "New Person", "region": "Minsk", "public": "false"},
                                 based_on=first["row_id"])
        event = registry.record("events", {"event_id": "e99", "person_id": "p9", "type": "detained", "date": "2021-02-03",
                                           "source_ids": "s1"})
    entries = logged(register, actor="A. Officer")
    assert [(e.action, e.resource, e.record_key) for e in entries] == [
        ("record", "persons", "p9"), ("record", "persons", "p9"), ("record", "events", "e99"),
    ]
    assert entries[0].facts == {"row_id": first["row_id"], "supersedes": None}
    assert entries[1].facts == {"row_id": second["row_id"], "supersedes": first["row_id"]}
    assert entries[2].facts == {"row_id": event["row_id"], "supersedes": None, "person_id": "p9"}
    assert entries[0].at == first["recorded_at"] and entries[1].at == second["recorded_at"]  # the moment of the version


def test_a_retraction_is_one_entry_and_a_composite_key_is_named_by_its_parts(register: Database):
    registry = Register(register)
    membership = registry.get("memberships", ("p1", "o1"))
    with audit.acting_as("A. Officer"):
        registry.retract("memberships", ("p1", "o1"), based_on=membership["row_id"])
    [entry] = logged(register, action="retract")
    assert (entry.actor, entry.resource, entry.record_key) == ("A. Officer", "memberships", "p1/o1")
    assert entry.facts == {"row_id": membership["row_id"], "person_id": "p1", "key": ["p1", "o1"]}


def test_merges_unmerges_and_not_same_are_entries_by_who_decided(register: Database):
    registry = Register(register)
    with audit.acting_as("A. Officer"):
        merge = merge_persons(registry, "p1", "p3", by="A. Officer", note="same passport number")
        undone = unmerge(registry, merge.merge_id, by="B. Officer")
        mark_not_same(registry, "p1", "p3", by="A. Officer", note="brothers")
    entries = logged(register)[1:]
    assert [(e.action, e.actor, e.record_key) for e in entries] == [
        ("merge", "A. Officer", "p1"), ("unmerge", "B. Officer", "p1"), ("not_same", "A. Officer", "p1"),
    ]
    merged, unmerged, decided = (entry.facts for entry in entries)
    assert merged == {"merge_id": merge.merge_id, "kept": "p1", "absorbed": "p3",
                      "retracted": audit.row_ids(merge.retracted), "created": audit.row_ids(merge.created)}
    assert unmerged["merge_id"] == merge.merge_id and unmerged["created"]["persons"]
    assert unmerged["process_actor"] == "A. Officer"  # B. Officer decided; this process was A. Officer's
    assert decided["persons"] == ["p1", "p3"] and isinstance(decided["decision_id"], int)
    assert undone.undone_by == "B. Officer"
    assert "same passport number" not in json.dumps(raw_log(register), default=str)  # the note stays in the merges table


def test_an_intake_is_its_versions_and_one_entry_naming_the_events(register: Database):
    with audit.acting_as("A. Officer"):
        accepted = accept(
            register,
            source={"title": "A news text", "published": "2021-05-01"},
            events=[{"person_id": "p2", "type": "released", "date": "2021-05-01", "text": "She was released."},
                    {"new_person": {"name": "Someone New", "public": "false"}, "type": "detained", "date": "2021-05-01",
                     "text": "He was detained."}],
        )
    entries = logged(register)[1:]
    assert [(e.action, e.resource) for e in entries] == [
        ("record", "sources"), ("record", "events"), ("record", "persons"), ("record", "events"), ("intake_accept", "sources"),
    ]
    summary = entries[-1]
    assert summary.record_key == accepted["source_id"] and summary.actor == "A. Officer"
    assert summary.facts == {"source_id": accepted["source_id"], "events": accepted["events"], "persons": accepted["persons"]}


def test_an_export_full_or_public_is_an_entry_with_its_destination_and_counts(register: Database, tmp_path: Path):
    with audit.acting_as("analyst"):
        export_package(register, tmp_path / "full")
        export_package(register, tmp_path / "open.zip", public=True)
    full, public = logged(register, action="export")
    assert full.actor == public.actor == "analyst"
    assert full.facts == {"public": False, "destination": str((tmp_path / "full").resolve()),
                          "rows": {"sources": 2, "cases": 1, "organisations": 1, "persons": 4, "memberships": 1, "events": 11}}
    assert public.facts["public"] is True and public.facts["destination"].endswith("open.zip")
    assert public.facts["rows"]["persons"] == 2


def test_without_an_actor_set_the_actor_is_chronicle_actor_else_the_system_user(database: Database, monkeypatch):
    import getpass

    monkeypatch.delenv(audit.ACTOR_VARIABLE, raising=False)
    monkeypatch.setattr(getpass, "getuser", lambda: "sysuser")
    assert audit.record_event(database, "export").actor == "sysuser"
    monkeypatch.setenv(audit.ACTOR_VARIABLE, "  Night Shift  ")
    assert audit.record_event(database, "export").actor == "Night Shift"
    with audit.acting_as("Someone"):
        assert audit.record_event(database, "export").actor == "Someone"
    monkeypatch.setenv(audit.ACTOR_VARIABLE, "bad\x1b[2Jname")
    with pytest.raises(InputError, match="control character"):
        audit.record_event(database, "export")


# --------------------------------------------------------------------------
# Refused writes leave nothing; entries live and die with their transaction


def test_refused_writes_leave_no_entry(register: Database, tmp_path: Path):
    registry = Register(register)
    before = raw_log(register)
    with pytest.raises(ConflictError):
        registry.record("persons", {"person_id": "p1", "name": "Somebody", "public": "true"})  # exists: not based on it
    with pytest.raises(InputError):  # the first change is fine, the second refers to nobody: neither is written
        registry.record_all([("persons", {"person_id": "p8", "name": "Fine", "public": "false"}, None),
                             ("events", {"event_id": "e88", "person_id": "nobody", "type": "detained", "date": "2021-01-01",
                                         "source_ids": "s1"}, None)])
    with pytest.raises(ConflictError):
        registry.retract("persons", "p2", based_on=-5)
    with pytest.raises(NotFoundError):
        merge_persons(registry, "p1", "p404", by="A. Officer")
    bad = small_register()
    bad["events"][0]["date"] = "2021-13-01"
    with pytest.raises(PackageError):
        import_package(register, write_package(tmp_path / "bad", bad))
    with pytest.raises(InputError):
        export_package(register, tmp_path / "package")  # exists already
    assert raw_log(register) == before
    assert audit.verify(register).intact


def test_a_rolled_back_transaction_takes_its_entries_with_it(register: Database):
    with pytest.raises(RuntimeError), register.transaction() as connection:
        audit.record(connection, "export", details={"n": 1})
        raise RuntimeError("something failed after the entry")
    assert [e.entry_id for e in logged(register)] == [1]
    assert audit.head(register)[0] == 1
    assert audit.record_event(register, "export").entry_id == 2  # no number was used up
    assert audit.verify(register).intact


def test_an_unknown_action_is_refused(database: Database):
    with pytest.raises(InputError, match="not an audit action"):
        audit.record_event(database, "sign_inn")
    assert logged(database) == []


def test_record_event_does_not_count_as_a_change_of_the_register(database: Database):
    writes = database.writes
    audit.record_event(database, "read_restricted", resource="persons", key="p1")
    assert database.writes == writes  # caches of figures and person lists stay valid


def test_concurrent_writers_keep_one_chain(database: Database):
    errors: list[BaseException] = []

    def write(name: str) -> None:
        try:
            with audit.acting_as(name):
                for number in range(10):
                    audit.record_event(database, "export", details={"n": number})
        except BaseException as error:  # noqa: BLE001 - reported by the assertion below
            errors.append(error)

    threads = [threading.Thread(target=write, args=(f"writer {i}",)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    entries = logged(database)
    assert [e.entry_id for e in entries] == list(range(1, 41))
    assert all(later.previous_hash == earlier.hash for earlier, later in itertools.pairwise(entries))
    assert audit.verify(database).intact


# --------------------------------------------------------------------------
# Append-only, and what verify finds


def test_the_database_refuses_to_change_or_delete_entries(register: Database):
    statements = [
        "UPDATE audit_log SET actor = 'someone else' WHERE entry_id = 1",
        "DELETE FROM audit_log WHERE entry_id = 1",
        "DELETE FROM audit_head",
        "UPDATE audit_head SET entry_id = 0",
    ]
    if register.dialect == "postgresql":
        statements.append("TRUNCATE audit_log")
    for statement in statements:
        with pytest.raises(DBAPIError, match="append-only"), register.engine.begin() as connection:
            connection.execute(text(statement))
    assert len(raw_log(register)) == 1


def _log_of_three(location: str) -> list[audit.Entry]:
    with Database.open(location) as database:
        for number, actor in enumerate(("alice", "bob", "carol"), start=1):
            audit.record_event(database, "export", actor=actor, details={"n": number})
        return logged(database)


def _tamper(location: str, *statements: str, params: dict | None = None) -> None:
    """Run statements with the append-only triggers out of the way, as someone with the database's files would."""
    with Database.open(location) as database, database.engine.begin() as connection:
        if database.dialect == "postgresql":
            connection.execute(text("ALTER TABLE audit_log DISABLE TRIGGER USER"))
        else:
            connection.execute(text("DROP TRIGGER IF EXISTS audit_log_no_update"))
            connection.execute(text("DROP TRIGGER IF EXISTS audit_log_no_delete"))
        for statement in statements:
            connection.execute(text(statement), params or {})
        if database.dialect == "postgresql":
            connection.execute(text("ALTER TABLE audit_log ENABLE TRIGGER USER"))


def _verify(location: str, *options: str):
    return runner.invoke(app, ["--db", location, "audit", "verify", *options])


def test_verify_passes_an_intact_log(register: Database, database_location: str):
    with audit.acting_as("A. Officer"):
        Register(register).record("persons", {"person_id": "p9", "name": "New Person", "public": "false"})
    result = _verify(database_location)
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("intact: 2 entries; the last is entry 2, hash ")
    outcome = json.loads(_verify(database_location, "--json").stdout)
    assert outcome["intact"] is True and outcome["entries"] == 2 and outcome["head"]["entry_id"] == 2


def test_verify_passes_an_empty_log(database_location: str):
    result = _verify(database_location)
    assert result.exit_code == 0 and "intact: the log is empty" in result.stdout


TAMPERINGS = {
    "edited": (["UPDATE audit_log SET details = :details WHERE entry_id = 2"],
               "entry 2: its content does not match its hash (edited)"),
    "edited actor": (["UPDATE audit_log SET actor = 'mallory' WHERE entry_id = 3"],
                     "entry 3: its content does not match its hash (edited)"),
    "deleted": (["DELETE FROM audit_log WHERE entry_id = 2"],
                "entry 2: not in the log: it goes from entry 1 to entry 3 (missing)"),
    "deleted two": (["DELETE FROM audit_log WHERE entry_id IN (1, 2)"],
                    "entry 1: not in the log, nor the one after it: it starts at entry 3 (missing)"),
    "deleted last": (["DELETE FROM audit_log WHERE entry_id = 3"],
                     "entry 3: the log ends at entry 2 but its head records entry 3 (missing)"),
    "swapped": (["UPDATE audit_log SET entry_id = -2 WHERE entry_id = 2", "UPDATE audit_log SET entry_id = 2 WHERE entry_id = 3",
                 "UPDATE audit_log SET entry_id = 3 WHERE entry_id = -2"],
                "entry 2: it is chained after entry 3, not after entry 1 (out of order)"),
}


@pytest.mark.parametrize("tampering", TAMPERINGS)
def test_verify_names_the_entry_edited_deleted_or_moved(database_location: str, tampering: str):
    statements, message = TAMPERINGS[tampering]
    _log_of_three(database_location)
    assert _verify(database_location).exit_code == 0
    _tamper(database_location, *statements, params={"details": '{"n":20}'})
    result = _verify(database_location)
    assert result.exit_code == 1
    assert message in result.stderr, result.stderr
    assert "intact" not in result.stdout


def test_verify_names_an_entry_edited_and_hashed_again(database_location: str):
    entries = _log_of_three(database_location)
    second = entries[1]
    forged = audit.entry_hash(second.at, "mallory", second.action, None, None, second.details, second.previous_hash)
    _tamper(database_location, "UPDATE audit_log SET actor = 'mallory', hash = :hash WHERE entry_id = 2", params={"hash": forged})
    result = _verify(database_location)
    assert result.exit_code == 1
    assert "entry 2: entry 3 is chained to another version of it" in result.stderr and "(edited or missing)" in result.stderr


def test_verify_with_a_hash_kept_outside_catches_a_rewritten_chain(database_location: str):
    entries = _log_of_three(database_location)
    kept = f"{entries[1].entry_id}:{entries[1].hash}"
    assert _verify(database_location, "--expect", kept).exit_code == 0
    # Rewrite entry 2 and chain entry 3 to it again, head included: the chain alone no longer shows it.
    second, third = entries[1], entries[2]
    forged_second = audit.entry_hash(second.at, "mallory", second.action, None, None, second.details, second.previous_hash)
    forged_third = audit.entry_hash(third.at, third.actor, third.action, None, None, third.details, forged_second)
    _tamper(
        database_location,
        "UPDATE audit_log SET actor = 'mallory', hash = :second WHERE entry_id = 2",
        "UPDATE audit_log SET previous_hash = :second, hash = :third WHERE entry_id = 3",
        "UPDATE audit_head SET hash = :third",
        params={"second": forged_second, "third": forged_third},
    )
    assert _verify(database_location).exit_code == 0
    result = _verify(database_location, "--expect", kept)
    assert result.exit_code == 1
    assert "entry 2: its hash is not the one kept outside the database" in result.stderr and "(edited)" in result.stderr
    assert _verify(database_location, "--expect", "2:xyz").exit_code == 2


# --------------------------------------------------------------------------
# Showing entries


@pytest.fixture
def varied_log(register: Database) -> Database:
    """Entries by several actors at known moments, about several records."""
    registry = Register(register)
    at = datetime(2025, 6, 10, 12, 0, tzinfo=UTC)
    with audit.acting_as("A. Officer"):
        registry.record("persons", {"person_id": "p9", "name": "New Person", "public": "false"}, now=at)
    with audit.acting_as("B. Officer"):
        membership = registry.get("memberships", ("p1", "o1"))
        registry.retract("memberships", ("p1", "o1"), based_on=membership["row_id"], now=datetime(2025, 6, 20, tzinfo=UTC))
    audit.record_event(register, "sign_in", actor="A. Officer", at=datetime(2025, 7, 1, 8, 0, tzinfo=UTC))
    return register


def _show(location: str, *options: str) -> list[dict]:
    result = runner.invoke(app, ["--db", location, "audit", "show", "--json", *options])
    assert result.exit_code == 0, result.output
    return [json.loads(line) for line in result.stdout.splitlines()]


def test_show_filters_by_user_record_and_time(varied_log: Database, database_location: str):
    everything = _show(database_location)
    assert [e["action"] for e in everything] == ["import", "record", "retract", "sign_in"]
    assert [e["entry_id"] for e in _show(database_location, "--user", "A. Officer")] == [2, 4]
    assert [e["entry_id"] for e in _show(database_location, "--record", "p9")] == [2]
    assert [e["entry_id"] for e in _show(database_location, "--record", "p1")] == [3]  # the membership p1/o1
    assert [e["entry_id"] for e in _show(database_location, "--record", "o1")] == [3]
    assert [e["entry_id"] for e in _show(database_location, "--since", "2025-06-10", "--until", "2025-06-30")] == [2, 3]
    assert [e["entry_id"] for e in _show(database_location, "--until", "2025-06-10")] == [2]  # the whole day
    assert [e["entry_id"] for e in _show(database_location, "--since", "2025-06-10T12:00:01Z", "--until", "2025-07-01")] == [3, 4]
    assert [e["entry_id"] for e in _show(database_location, "--resource", "memberships")] == [3]
    assert [e["entry_id"] for e in _show(database_location, "--action", "sign_in")] == [4]
    assert [e["entry_id"] for e in _show(database_location, "--limit", "2")] == [3, 4]  # the last two
    assert everything[1]["details"] == {"row_id": everything[1]["details"]["row_id"], "supersedes": None}
    assert everything[1]["at"] == "2025-06-10T12:00:00Z" and everything[1]["record"] == "p9"


def test_show_prints_a_table_and_refuses_bad_filters(varied_log: Database, database_location: str):
    result = runner.invoke(app, ["--db", database_location, "audit", "show", "--user", "B. Officer"])
    assert result.exit_code == 0, result.output
    assert "B. Officer" in result.stdout and "retract" in result.stdout and "A. Officer" not in result.stdout
    for options in (["--since", "June"], ["--action", "delete_everything"]):
        refused = runner.invoke(app, ["--db", database_location, "audit", "show", *options])
        assert refused.exit_code == 1 and options[0] in refused.stderr


def test_a_record_id_with_like_wildcards_matches_only_itself(register: Database):
    with audit.acting_as("A. Officer"):
        Register(register).record("persons", {"person_id": "p_1", "name": "Odd Id", "public": "false"})
    assert [e.record_key for e in logged(register, record_id="p_1")] == ["p_1"]
    assert logged(register, record_id="p%") == []


# --------------------------------------------------------------------------
# The command line's actor


def test_command_line_writes_are_recorded_as_chronicle_actor_or_the_system_user(database_location: str, tmp_path: Path):
    import getpass

    package = write_package(tmp_path / "package", small_register())
    result = runner.invoke(app, ["--db", database_location, "import", str(package)], env={"CHRONICLE_ACTOR": "Night Shift"})
    assert result.exit_code == 0, result.output
    result = runner.invoke(app, ["--db", database_location, "export", str(tmp_path / "out")], env={"CHRONICLE_ACTOR": None})
    assert result.exit_code == 0, result.output
    actors = [(e["action"], e["actor"]) for e in _show(database_location)]
    assert actors == [("import", "Night Shift"), ("export", getpass.getuser())]
    refused = runner.invoke(app, ["--db", database_location, "export", str(tmp_path / "out2")], env={"CHRONICLE_ACTOR": " "})
    assert refused.exit_code == 1 and "CHRONICLE_ACTOR" in refused.stderr
    assert not (tmp_path / "out2").exists()


def test_the_audit_commands_have_help_with_an_example():
    for name in ("verify", "show"):
        result = runner.invoke(app, ["audit", name, "--help"])
        assert result.exit_code == 0 and "Example:" in result.output, name


# --------------------------------------------------------------------------
# The web app: the principal acts; reads of restricted data are entries, one per request


@pytest.fixture
def staff(register: Database) -> TestClient:
    return TestClient(create_app(register, WebSettings(local_operator=True)))


def test_a_write_through_the_web_is_recorded_as_the_signed_in_principal(staff: TestClient, register: Database):
    answer = staff.post("/api/v1/memberships", json={"person_id": "p4", "organisation_id": "o1", "role": "founder"})
    assert answer.status_code in (200, 201), answer.text
    [entry] = logged(register, action="record")
    assert (entry.actor, entry.resource, entry.record_key) == ("local operator", "memberships", "p4/o1")


def test_a_person_page_with_restricted_data_is_one_entry_per_request(staff: TestClient, register: Database):
    assert staff.get("/persons/p1").status_code == 200
    assert staff.get("/api/v1/persons/p1").status_code == 200
    assert staff.get("/persons/p2").status_code == 200  # neither restricted notes nor restricted sources
    page, api = logged(register, action="read_restricted")
    assert (page.actor, page.resource, page.record_key) == ("local operator", "persons", "p1")
    assert page.facts == {"view": "person page", "restricted_notes": True, "restricted_sources": ["s2"], "known_at": None}
    assert api.facts["view"] == "person api"


def test_the_public_reads_no_restricted_data_and_leaves_no_read_entry(register: Database):
    anonymous = TestClient(create_app(register))
    assert anonymous.get("/public/prisoners/p1").status_code == 200
    assert anonymous.get("/api/v1/persons/p1").status_code == 200
    assert logged(register, action="read_restricted") == []


def test_an_explanation_showing_restricted_sources_is_one_entry(staff: TestClient, register: Database):
    assert staff.get("/explain/behind_bars", params={"as_of": "2021-08-01"}).status_code == 200
    assert staff.get("/explain/behind_bars.csv", params={"as_of": "2021-08-01"}).status_code == 200
    page, csv = logged(register, action="read_restricted")
    assert (page.resource, page.record_key, page.actor) == ("figures", "behind_bars", "local operator")
    assert page.facts["restricted_sources"] == ["s2"] and page.facts["as_of"] == "2021-08-01"
    assert csv.facts == page.facts | {"known_at": csv.facts["known_at"]}


def test_an_upload_through_the_web_is_an_import_entry_of_the_principal(database: Database, tmp_path: Path):
    folder = write_package(tmp_path / "package", small_register())
    archive = tmp_path / "package.zip"
    with zipfile.ZipFile(archive, "w") as packed:
        for path in sorted(folder.iterdir()):
            packed.write(path, path.name)
    client = TestClient(create_app(database, WebSettings(local_operator=True)))
    answer = client.post("/packages/import", files={"package": ("register.zip", archive.read_bytes(), "application/zip")})
    assert answer.status_code == 200, answer.text
    [entry] = logged(database)
    assert (entry.action, entry.actor, entry.facts["package"]) == ("import", "local operator", "register.zip")


def test_a_download_through_the_web_is_an_export_entry(staff: TestClient, register: Database):
    assert staff.get("/packages/export.zip").status_code == 200
    [entry] = logged(register, action="export")
    assert entry.actor == "local operator" and entry.facts["public"] is False


def test_the_log_never_holds_restricted_text(register: Database, staff: TestClient, tmp_path: Path):
    registry = Register(register)
    with audit.acting_as("A. Officer"):
        person = registry.get("persons", "p3")
        registry.record("persons", {"person_id": "p3", "name": "Hidden Person", "public": "false",
                                    "restricted_notes": "informant contact, second meeting"}, based_on=person["row_id"])
        merge_persons(registry, "p1", "p3", by="A. Officer")
    staff.get("/persons/p1")
    staff.get("/explain/behind_bars", params={"as_of": "2021-08-01"})
    export_package(register, tmp_path / "export")
    stored = json.dumps(raw_log(register), default=str, ensure_ascii=False)
    assert "read_restricted" in stored and "merge" in stored
    for marker in RESTRICTED:
        assert marker not in stored, marker


# --------------------------------------------------------------------------
# The migration


def test_migration_0006_creates_exactly_the_tables_of_the_schema(database: Database):
    mine = {"audit_log", "audit_head"}
    with database.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = [d for d in compare_metadata(context, metadata) if any(name in repr(d) for name in mine)]
        assert connection.execute(select(audit_head)).all() == [(1, 0, audit.GENESIS)]
    assert differences == []
    assert mine <= set(inspect(database.engine).get_table_names())


def test_migration_0006_downgrades_and_upgrades_again(database_location: str):
    # Up to 0006 only, on an engine of its own: later migrations need not be reversible on every register.
    database = Database(create_engine(database_url(database_location)))
    with database.engine.begin() as connection:
        command.upgrade(_alembic_config(connection), "0006")
    audit.record_event(database, "export")
    with database.engine.begin() as connection:
        command.downgrade(_alembic_config(connection), "0005")
    assert not {"audit_log", "audit_head"} & set(inspect(database.engine).get_table_names())
    with database.engine.begin() as connection:
        command.upgrade(_alembic_config(connection), "0006")
    assert audit.record_event(database, "export").entry_id == 1
    with database.engine.connect() as connection:
        assert connection.execute(select(audit_log.c.entry_id)).scalars().all() == [1]
        assert Database.revision(connection) == "0006"
    database.close()
