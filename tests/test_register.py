"""The register's library calls: bitemporal reads and versioned writes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from packages import small_register, write_package

from chronicle.database import Database
from chronicle.errors import ConflictError, InputError, NotFoundError
from chronicle.importer import import_package
from chronicle.register import Register
from chronicle.schema import RECORD_TABLES

T0 = datetime(2024, 1, 1, 12, tzinfo=UTC)


@pytest.fixture
def register(database: Database, tmp_path: Path) -> Register:
    import_package(database, write_package(tmp_path / "package", small_register()))
    return Register(database)


def event_cells(**changes: str) -> dict[str, str]:
    cells = {"event_id": "n1", "person_id": "p2", "type": "released", "date": "2021-02-01", "source_ids": "s1"}
    cells.update(changes)
    return cells


def test_an_edit_retracts_the_old_version_and_keeps_it(register: Register):
    first = register.record("events", event_cells(), now=T0)
    second = register.record("events", event_cells(date="2021-02-03"), based_on=first["row_id"], now=T0 + timedelta(days=2))
    history = register.history("events", "n1")
    assert [v["date"] for v in history] == ["2021-02-01", "2021-02-03"]
    assert history[0]["retracted_at"] == second["recorded_at"]
    assert register.get("events", "n1")["date"] == "2021-02-03"
    # As known on the day in between, the old version is the one that existed.
    assert register.get("events", "n1", known_at=T0 + timedelta(days=1))["date"] == "2021-02-01"
    with pytest.raises(NotFoundError):
        register.get("events", "n1", known_at=T0 - timedelta(seconds=1))


def test_a_stale_edit_is_a_conflict_not_an_overwrite(register: Register):
    first = register.record("events", event_cells(), now=T0)
    register.record("events", event_cells(place="Minsk"), based_on=first["row_id"], now=T0 + timedelta(hours=1))
    with pytest.raises(ConflictError, match="changed by someone else"):
        register.record("events", event_cells(place="Brest"), based_on=first["row_id"])
    with pytest.raises(ConflictError, match="already exists"):
        register.record("events", event_cells())
    assert register.get("events", "n1")["place"] == "Minsk"


def test_retracting_withdraws_only_from_then_on(register: Register):
    first = register.record("events", event_cells(), now=T0)
    register.retract("events", "n1", based_on=first["row_id"], now=T0 + timedelta(days=1))
    with pytest.raises(NotFoundError):
        register.get("events", "n1")
    assert register.get("events", "n1", known_at=T0 + timedelta(hours=1))["type"] == "released"
    assert len(register.history("events", "n1")) == 1


def test_writes_check_their_input_and_references(register: Register):
    with pytest.raises(InputError, match="date"):
        register.record("events", event_cells(date="2021-02-30"))
    with pytest.raises(InputError, match="person_id"):
        register.record("events", event_cells(person_id="nobody"))
    with pytest.raises(InputError, match="source_ids"):
        register.record("events", event_cells(source_ids="s404"))
    assert register.count("events") == 10


def test_rows_are_never_deleted(register: Register, database: Database):
    before = {name: register.count(name) for name in RECORD_TABLES}
    first = register.record("persons", {"person_id": "p9", "name": "Ihar Losik"}, now=T0)
    register.record("persons", {"person_id": "p9", "name": "Ihar Losik", "region": "Baranavichy"}, based_on=first["row_id"])
    with database.reading() as connection:
        table = RECORD_TABLES["persons"]
        rows = connection.execute(table.select().where(table.c.person_id == "p9")).all()
    assert len(rows) == 2
    assert register.count("persons") == before["persons"] + 1


def test_status_is_derived_from_events(register: Register):
    statuses = register.statuses(["p1", "p2", "p4"])
    assert statuses["p1"].status == "in_exile"  # pardoned, then deported the same day
    assert statuses["p2"].political_prisoner
    assert statuses["p4"].status == "behind_bars" and not statuses["p4"].recognized
    on_day = register.statuses(["p1"], on=datetime(2021, 1, 1).date())["p1"]
    assert on_day.political_prisoner


def test_persons_search_any_script(register: Register):
    found, total = register.persons(search="ціханоўскі")
    assert total == 1 and found[0]["person_id"] == "p1"
    found, total = register.persons(search="тихановский")
    assert total == 1
    found, total = register.persons(search="tikhanovsky")  # an alias
    assert total == 1


def test_search_treats_wildcards_as_letters(register: Register):
    assert register.persons(search="%")[1] == 0
    assert register.persons(search="_")[1] == 0
