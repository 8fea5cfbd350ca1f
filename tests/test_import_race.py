"""An import while someone else writes: the plan is checked again under the write lock, never written against a register that changed."""

from __future__ import annotations

from pathlib import Path

from packages import small_register, write_package

from chronicle import importer
from chronicle.database import Database
from chronicle.importer import import_package
from chronicle.register import Register


def test_a_person_created_while_the_package_is_checked_does_not_break_the_import(database: Database, tmp_path: Path, monkeypatch):
    import_package(database, write_package(tmp_path / "first", small_register()))
    tables = small_register()
    tables["persons"] = [*tables["persons"], {"person_id": "p20", "name": "Ales Bialiatski", "public": "true"}]
    tables["events"] = [*tables["events"], {"event_id": "e20", "person_id": "p20", "type": "detained", "date": "2021-07-14",
                                            "source_ids": "s1", "politically_motivated": "true"}]
    checks = []
    original = importer._Checker.check

    def check_while_someone_writes(self):
        plans = original(self)
        if not checks:  # the web app creates a person between the import's check and its write
            Register(database).record("persons", {"person_id": "p21", "name": "Marfa Rabkova", "public": "false"})
        checks.append(self.connection)
        return plans

    monkeypatch.setattr(importer._Checker, "check", check_while_someone_writes)
    report = import_package(database, write_package(tmp_path / "second", tables))
    assert len(checks) == 2  # checked again, under the write lock
    assert report.counts["persons"].added == 1 and report.counts["events"].added == 1
    register = Register(database)
    assert register.get("persons", "p20")["name"] == "Ales Bialiatski"
    assert register.get("persons", "p21")["name"] == "Marfa Rabkova"
    from sqlalchemy import func, select

    from chronicle.schema import person_keys

    with database.reading() as connection:
        keys = connection.execute(select(person_keys.c.person_key, func.count()).group_by(person_keys.c.person_key)).all()
    assert all(count == 1 for _, count in keys)


def test_an_import_that_nobody_disturbs_is_checked_once(database: Database, tmp_path: Path, monkeypatch):
    checks = []
    original = importer._Checker.check

    def counted(self):
        checks.append(1)
        return original(self)

    monkeypatch.setattr(importer._Checker, "check", counted)
    import_package(database, write_package(tmp_path / "package", small_register()))
    assert len(checks) == 1
