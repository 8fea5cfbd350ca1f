"""Import and export: idempotence, round trips, and the public export's redaction."""

from __future__ import annotations

import csv
import zipfile
from pathlib import Path

import pytest
from packages import small_register, write_package

from chronicle.database import Database
from chronicle.errors import InputError, NotFoundError
from chronicle.exporter import export_package
from chronicle.importer import import_package
from chronicle.register import Register


def read_csv(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as stream:
        return list(csv.DictReader(stream))


def package_files(folder: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(folder.iterdir())}


def test_importing_twice_changes_nothing(database: Database, tmp_path: Path):
    package = write_package(tmp_path / "package", small_register())
    first = import_package(database, package)
    assert first.counts["persons"].added == 4
    assert first.counts["events"].added == 11  # rows: e4 comes in two versions
    before = export_package(database, tmp_path / "before")
    second = import_package(database, package)
    assert not second.changed_anything
    assert second.counts["events"].unchanged == 11
    export_package(database, tmp_path / "after")
    assert package_files(tmp_path / "before") == package_files(tmp_path / "after")
    assert before.rows["events"] == 11


def test_export_then_import_round_trips_every_field(database: Database, tmp_path: Path, database_location: str):
    source = small_register()
    import_package(database, write_package(tmp_path / "package", source))
    export_package(database, tmp_path / "first")

    fresh = Database.open(str(tmp_path / "fresh.db"))
    import_package(fresh, tmp_path / "first")
    export_package(fresh, tmp_path / "second")
    assert package_files(tmp_path / "first") == package_files(tmp_path / "second")

    persons = {row["person_id"]: row for row in read_csv(tmp_path / "second" / "persons.csv")}
    for original in source["persons"]:
        exported = persons[original["person_id"]]
        for column, value in original.items():
            expected = {"": "false"}.get(value, value) if column == "public" else value
            assert exported[column] == expected, (original["person_id"], column)
    assert persons["p2"]["birth_date"] == "1982"  # year precision kept
    assert persons["p3"]["birth_date"] == "1990-05"  # month precision kept

    events = read_csv(tmp_path / "second" / "events.csv")
    for original in source["events"]:
        matches = [e for e in events if e["event_id"] == original["event_id"] and e["date"] == original["date"]]
        assert len(matches) == 1, original
        for column, value in original.items():
            if column == "recorded_at" and not value:
                continue
            expected = value or ("true" if column == "politically_motivated" else "")
            assert matches[0][column] == expected, (original["event_id"], column)
    charged = next(e for e in events if e["event_id"] == "e2")
    assert charged["date"] == "2020-06" and charged["charges"] == "342-1;293-1"


def test_export_to_zip_imports_again(database: Database, tmp_path: Path):
    import_package(database, write_package(tmp_path / "package", small_register()))
    export_package(database, tmp_path / "register.zip")
    with zipfile.ZipFile(tmp_path / "register.zip") as archive:
        assert "datapackage.json" in archive.namelist()
    fresh = Database.open(str(tmp_path / "fresh.db"))
    report = import_package(fresh, tmp_path / "register.zip")
    assert report.counts["events"].added == 11


def test_export_never_overwrites(database: Database, tmp_path: Path):
    (tmp_path / "taken").mkdir()
    (tmp_path / "taken" / "keep.txt").write_text("mine")
    with pytest.raises(InputError, match="already exists"):
        export_package(database, tmp_path / "taken")
    assert (tmp_path / "taken" / "keep.txt").read_text() == "mine"


def test_a_changed_package_records_new_versions(database: Database, tmp_path: Path):
    register = small_register()
    import_package(database, write_package(tmp_path / "v1", register))
    register["persons"][1]["region"] = "Viciebsk region"
    register["events"][7]["date"] = "2020-09-08"  # e7, recorded at import time
    report = import_package(database, write_package(tmp_path / "v2", register))
    assert report.counts["persons"].changed == 1
    assert report.counts["events"].changed == 1
    history = Register(database).history("events", "e7")
    assert [version["date"] for version in history] == ["2020-09-07", "2020-09-08"]
    assert history[0]["retracted_at"] == history[1]["recorded_at"]
    assert Register(database).get("persons", "p2")["region"] == "Viciebsk region"


def test_public_export_leaves_out_what_may_not_be_published(database: Database, tmp_path: Path):
    register = small_register()
    # The non-public person's name also appears inside other records' text.
    register["cases"].append({"case_id": "c2", "name": "Case of Hidden Person and others", "description": "Скрытый Человек was detained"})
    register["sources"].append({"source_id": "s3", "title": "Report about HIDDEN PERSON", "restricted": "false"})
    register["events"].append({"event_id": "e11", "person_id": "p2", "type": "charged", "date": "2020-10", "case_id": "c2", "source_ids": "s3"})
    import_package(database, write_package(tmp_path / "package", register))
    export_package(database, tmp_path / "public", public=True)

    text = "\n".join(path.read_text(encoding="utf-8") for path in (tmp_path / "public").iterdir())
    for secret in ("Hidden Person", "HIDDEN PERSON", "Скрытый Человек", "informant contact", "wife's phone", "blogger,", "Lawyer's message", "seen by a neighbour", "internal"):
        assert secret not in text, secret
    assert "[withheld]" in text
    persons = {row["person_id"] for row in read_csv(tmp_path / "public" / "persons.csv")}
    assert persons == {"p1", "p2"}  # p3 not public, p4 consent not confirmed (empty = false)
    events = read_csv(tmp_path / "public" / "events.csv")
    assert {e["person_id"] for e in events} <= {"p1", "p2"}
    assert all(e["retracted_at"] == "" for e in events)
    assert next(e for e in events if e["event_id"] == "e2")["source_ids"] == "s1"  # restricted s2 dropped
    assert {row["source_id"] for row in read_csv(tmp_path / "public" / "sources.csv")} == {"s1", "s3"}
    assert all(row["notes"] == "" and row["restricted_notes"] == "" for row in read_csv(tmp_path / "public" / "persons.csv"))


def test_an_export_is_a_valid_frictionless_package(database: Database, tmp_path: Path):
    from frictionless import validate

    import_package(database, write_package(tmp_path / "package", small_register()))
    export_package(database, tmp_path / "out")
    report = validate(str(tmp_path / "out" / "datapackage.json"))
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])


def test_records_are_known_from_the_first_event_recorded_about_them(database: Database, tmp_path: Path):
    from datetime import UTC, datetime

    import_package(database, write_package(tmp_path / "package", small_register()))
    register = Register(database)
    early = datetime(2020, 6, 1, tzinfo=UTC)  # after e1 (recorded 2020-05-30), long before the import
    assert register.get("persons", "p1", known_at=early)["name"] == "Siarhei Tsikhanouski"
    assert register.get("sources", "s1", known_at=early)["title"].startswith("Viasna")
    assert register.get("memberships", ("p1", "o1"), known_at=early)["role"] == "blogger"
    assert register.get("organisations", "o1", known_at=early)["name"] == "Belsat"
    # p2's events carry no record time: p2 is known from the import only.
    with pytest.raises(NotFoundError):
        register.get("persons", "p2", known_at=early)
