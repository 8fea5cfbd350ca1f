"""Merging two persons and undoing it exactly (chronicle.merging, issue 5): no data lost either way."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from duplicate_register import import_duplicates
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, inspect, select

from chronicle.database import Database, _alembic_config
from chronicle.errors import ConflictError, InputError, NotFoundError
from chronicle.figures import Figures
from chronicle.merging import get_merge, merge_persons, merged_away, merged_person, merges_of, unmerge
from chronicle.records import content_digest
from chronicle.register import Register
from chronicle.schema import RECORD_KEYS, RECORD_TABLES, merge_rows, metadata

T0 = datetime.now(UTC).replace(microsecond=0) + timedelta(days=1)  # after the test's import, whenever it runs
T1 = T0 + timedelta(days=1)
T2 = T0 + timedelta(days=2)


@pytest.fixture
def register(database: Database, tmp_path: Path) -> Register:
    import_duplicates(database, tmp_path / "package")
    return Register(database)


def current_content(database: Database) -> dict[str, dict[tuple, dict]]:
    """Every current record of the register: resource -> key -> content (with its digest, without record time)."""
    content = {}
    with database.reading() as connection:
        for resource, table in RECORD_TABLES.items():
            rows = connection.execute(select(table).where(table.c.retracted_at.is_(None))).mappings()
            content[resource] = {
                tuple(row[column] for column in RECORD_KEYS[resource]): {
                    column: value for column, value in row.items() if column not in ("row_id", "recorded_at", "retracted_at")
                }
                for row in rows
            }
    return content


def row_counts(database: Database) -> dict[str, int]:
    """How many rows every record table holds, retracted ones included."""
    with database.reading() as connection:
        return {name: connection.execute(select(func.count()).select_from(table)).scalar_one() for name, table in RECORD_TABLES.items()}


def name_forms_of(person: dict) -> set[str]:
    return {person[column] for column in ("name", "name_be", "name_ru", "name_en") if person[column]} | set(person["aliases"])


# Merging


def test_a_merge_keeps_every_name_event_source_and_membership(register: Register, database: Database):
    kept, absorbed = register.get("persons", "p1"), register.get("persons", "p5")
    events_before = register.events_of(["p1", "p5"])
    counts = row_counts(database)

    merge = merge_persons(register, "p1", "p5", by="officer", note="one person, two lists", now=T0)

    person = register.get("persons", "p1")
    assert name_forms_of(person) >= name_forms_of(kept) | name_forms_of(absorbed)
    assert person["aliases"] == kept["aliases"]  # p5's only name is p1's name_be already
    with pytest.raises(NotFoundError):
        register.get("persons", "p5")
    events_after = register.events_of(["p1", "p5"])
    assert events_after["p5"] == []
    moved = {event["event_id"]: event for event in events_after["p1"]}
    for event in events_before["p1"] + events_before["p5"]:
        now = moved[event["event_id"]]
        assert now["person_id"] == "p1"
        assert {key: now[key] for key in ("type", "date", "place", "case_id", "charges", "source_ids", "note")} == {
            key: event[key] for key in ("type", "date", "place", "case_id", "charges", "source_ids", "note")
        }
    assert len(moved) == len(events_before["p1"]) + len(events_before["p5"])
    memberships = {row["organisation_id"]: row for row in current_content(database)["memberships"].values() if row["person_id"] == "p1"}
    assert set(memberships) == {"o1", "o2"}
    assert memberships["o1"]["role"] == "blogger" and memberships["o2"]["role"] == "volunteer"
    assert not [row for row in current_content(database)["memberships"].values() if row["person_id"] == "p5"]

    assert (merge.kept, merge.absorbed, merge.merged_by, merge.note, merge.merged_at) == ("p1", "p5", "officer", "one person, two lists", T0)
    assert merge.moved("events") == 3 and merge.moved("memberships") == 1
    assert get_merge(database, merge.merge_id) == dataclasses.replace(merge, differences={})
    assert merged_away(database) == {"p5": "p1"}
    # Nothing was deleted: the superseded versions are still there, retracted at the moment of the merge.
    after = row_counts(database)
    assert all(after[name] >= counts[name] for name in counts)
    assert register.history("persons", "p5")[-1]["retracted_at"] == T0
    assert [version["person_id"] for version in register.history("events", "e21")] == ["p5", "p1"]


def test_the_merged_person_takes_the_privacy_first_union(register: Register):
    kept, absorbed = register.get("persons", "p1"), register.get("persons", "p5")
    merged = merged_person(kept, absorbed)
    assert merged["public"] is False  # p5 did not consent to be named: nor does the merged person
    assert merged["categories"] == ["journalist", "blogger"]
    assert merged["notes"] == "blogger\n\nfrom a lawyer's list"
    assert merged["restricted_notes"] == "wife's phone +375 00 000\n\ncell 12"
    assert merged["region"] == "Homiel region" and merged["birth_date"] == "1978-08-18"
    # Empty fields are filled, a coarser birth date is made precise, conflicting values stay the kept person's.
    filled = merged_person(
        {**kept, "name_be": None, "birth_date": "1978", "gender": None, "region": "Minsk"},
        {**absorbed, "name_be": "Сяргей Ціханоўскі", "birth_date": "1978-08-18", "gender": "m", "region": "Homiel"},
    )
    assert (filled["name_be"], filled["birth_date"], filled["gender"], filled["region"]) == ("Сяргей Ціханоўскі", "1978-08-18", "m", "Minsk")
    # Names not yet among the kept person's become aliases, or fill its empty name columns.
    losik = merged_person(register.get("persons", "p7"), register.get("persons", "p9"))
    assert (losik["name"], losik["name_ru"], losik["aliases"]) == ("Ihar Losik", "Игорь Лосик", ["Ігар Лосік"])
    assert losik["birth_date"] == "1992-01-01" and losik["region"] == "Brest region"
    # A name holding the list separator becomes its parts, so that the alias list reads back as written.
    split = merged_person(kept, {**absorbed, "name": "Siarhei; Tsikhanouski"})
    assert "Siarhei" in split["aliases"] and "Tsikhanouski" in split["aliases"]


def test_a_merge_reports_values_that_gave_way(register: Register):
    register.record("persons", {**_cells(register.get("persons", "p5")), "birth_date": "1979-01-02"},
                    based_on=register.get("persons", "p5")["row_id"])
    merge = merge_persons(register, "p1", "p5", by="officer")
    assert merge.differences == {"birth_date": ("1978-08-18", "1979-01-02"), "region": ("Homiel region", "Гомельская вобласць")}


def test_the_figures_count_a_merged_person_once(register: Register, database: Database):
    day = date(2021, 1, 1)
    before = Figures(database).stock(day)["political_prisoners"]
    merge_persons(register, "p1", "p5", by="officer", now=T0)
    assert Figures(database).stock(day)["political_prisoners"] == before - 1
    assert Figures(database).stock(day, known_at=T0 - timedelta(seconds=1))["political_prisoners"] == before


def test_merging_refuses_the_same_person_an_unknown_one_and_an_absorbed_one(register: Register, database: Database):
    with pytest.raises(InputError, match="itself"):
        merge_persons(register, "p1", "p1", by="officer")
    with pytest.raises(NotFoundError, match="nobody"):
        merge_persons(register, "p1", "nobody", by="officer")
    with pytest.raises(NotFoundError, match="nobody"):
        merge_persons(register, "nobody", "p1", by="officer")
    with pytest.raises(InputError, match="--by"):
        merge_persons(register, "p1", "p5", by="")
    merge_persons(register, "p1", "p5", by="officer")
    with pytest.raises(InputError, match="p5 was merged into p1"):
        merge_persons(register, "p7", "p5", by="officer")
    with pytest.raises(InputError, match="use p1"):
        merge_persons(register, "p5", "p7", by="officer")
    assert len(merges_of(database)) == 1


# Undoing


def test_unmerge_restores_both_persons_exactly_and_the_past_stays_readable(register: Register, database: Database):
    before = current_content(database)
    counts = row_counts(database)
    merge = merge_persons(register, "p1", "p5", by="officer", now=T0)
    merged = current_content(database)
    undone = unmerge(register, merge.merge_id, by="supervisor", now=T2)

    assert current_content(database) == before  # every record, every field, every digest
    assert (undone.undone_at, undone.undone_by) == (T2, "supervisor")
    assert get_merge(database, merge.merge_id).undone_by == "supervisor"
    assert merged_away(database) == {}
    assert register.get("persons", "p5")["digest"] == before["persons"][("p5",)]["digest"]
    # Known at a moment during the merge, the register shows the merged state; before it, the original one.
    assert register.get("persons", "p1", known_at=T1)["aliases"] == merged["persons"][("p1",)]["aliases"]
    with pytest.raises(NotFoundError):
        register.get("persons", "p5", known_at=T1)
    assert {event["event_id"] for event in register.events_of(["p1"], known_at=T1)["p1"]} >= {"e21", "e22", "e23"}
    assert register.get("events", "e21", known_at=T0 - timedelta(seconds=1))["person_id"] == "p5"
    assert register.get("events", "e21")["person_id"] == "p5"
    # No row was deleted; each restored row is a new version with the old content.
    after = row_counts(database)
    assert all(after[name] >= counts[name] for name in counts)
    assert len(register.history("events", "e21")) == 3


def test_unmerge_refuses_when_a_merged_record_was_edited_since(register: Register, database: Database):
    merge = merge_persons(register, "p1", "p5", by="officer", now=T0)
    moved = register.get("events", "e22")
    register.record("events", {**_cells(moved), "place": "Minsk"}, based_on=moved["row_id"], now=T1)
    state, counts = current_content(database), row_counts(database)
    with pytest.raises(ConflictError, match="event e22") as refused:
        unmerge(register, merge.merge_id, by="supervisor", now=T2)
    assert "Nothing was written" in str(refused.value)
    assert current_content(database) == state and row_counts(database) == counts
    assert get_merge(database, merge.merge_id).undone_at is None


def test_unmerge_refuses_when_the_kept_person_was_merged_again(register: Register, database: Database):
    before = current_content(database)
    first = merge_persons(register, "p1", "p5", by="officer", now=T0)
    second = merge_persons(register, "p2", "p1", by="officer", now=T1)
    with pytest.raises(ConflictError, match=f"person p1 \\(merged again by merge {second.merge_id}: undo that first\\)"):
        unmerge(register, first.merge_id, by="supervisor", now=T2)
    unmerge(register, second.merge_id, by="supervisor", now=T2)
    unmerge(register, first.merge_id, by="supervisor", now=T2 + timedelta(hours=1))
    assert current_content(database) == before


def test_unmerge_refuses_an_undone_an_unknown_and_a_malformed_merge(register: Register):
    merge = merge_persons(register, "p1", "p5", by="officer", now=T0)
    unmerge(register, merge.merge_id, by="supervisor", now=T1)
    with pytest.raises(InputError, match=f"merge {merge.merge_id} was already undone at .* by supervisor"):
        unmerge(register, merge.merge_id, by="supervisor")
    with pytest.raises(NotFoundError, match="no merge 999"):
        unmerge(register, 999, by="supervisor")
    with pytest.raises(NotFoundError, match="no merge"):
        unmerge(register, "99999999999999999999", by="supervisor")
    with pytest.raises(InputError, match="not a merge id"):
        unmerge(register, "one", by="supervisor")
    with pytest.raises(InputError, match="--by"):
        unmerge(register, merge.merge_id, by="  ")


def test_a_person_recorded_again_under_an_absorbed_id_blocks_the_unmerge(register: Register):
    merge = merge_persons(register, "p1", "p5", by="officer", now=T0)
    register.record("persons", {"person_id": "p5", "name": "Someone Else"}, now=T1)
    with pytest.raises(ConflictError, match="person p5 \\(recorded again"):
        unmerge(register, merge.merge_id, by="supervisor", now=T2)


def test_merge_again_after_unmerge_and_the_merge_log(register: Register, database: Database):
    first = merge_persons(register, "p1", "p5", by="officer", now=T0)
    unmerge(register, first.merge_id, by="supervisor", now=T1)
    second = merge_persons(register, "p5", "p1", by="supervisor", note="the other way round", now=T2)
    assert second.merge_id != first.merge_id
    assert [m.merge_id for m in merges_of(database)] == [first.merge_id, second.merge_id]
    assert [m.merge_id for m in merges_of(database, person_id="p5")] == [first.merge_id, second.merge_id]
    assert merges_of(database, person_id="p7") == []
    assert merged_away(database) == {"p1": "p5"}
    shape = second.to_json()
    assert shape["kept"] == "p5" and shape["undone_at"] is None and shape["created_rows"]["persons"]
    # The rows each step touched are all recorded.
    with database.reading() as connection:
        steps = set(connection.execute(select(merge_rows.c.step).where(merge_rows.c.merge_id == first.merge_id)).scalars())
    assert steps == {"retracted", "created", "undo_retracted", "undo_created"}


# The property: merge then unmerge gives back exactly what was there, and nothing is ever deleted.


NAMES = st.text(alphabet=st.sampled_from("AaBbIiKkSsŁłČčЁёІіЎўЦцАаБбЯя -';"), min_size=1, max_size=20).filter(lambda s: s.strip())
OPTIONAL_TEXT = st.none() | st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=30)
PERSON = st.fixed_dictionaries({
    "name": NAMES,
    "name_be": st.none() | NAMES,
    "name_ru": st.none() | NAMES,
    "aliases": st.lists(NAMES, max_size=3),
    "birth_date": st.none() | st.sampled_from(["1978", "1978-08", "1978-08-18", "1990-01-02"]),
    "gender": st.none() | st.sampled_from(["f", "m", "x"]),
    "categories": st.lists(st.sampled_from(["journalist", "minor", "lawyer"]), max_size=2, unique=True),
    "region": st.none() | st.sampled_from(["Minsk", "Homiel region"]),
    "public": st.booleans(),
    "notes": OPTIONAL_TEXT,
    "restricted_notes": OPTIONAL_TEXT,
})
EVENT = st.fixed_dictionaries({
    "type": st.sampled_from(["detained", "charged", "convicted", "released", "recognized"]),
    "date": st.sampled_from(["2020", "2020-08", "2020-08-09", "2021-02-03"]),
    "case": st.booleans(),
    "sources": st.sampled_from(["s1", "s2", "s1;s2"]),
    "note": OPTIONAL_TEXT,
})


def _cells(row: dict) -> dict[str, str]:
    from chronicle.records import format_cell

    return {key: format_cell(value) for key, value in row.items() if key not in ("row_id", "recorded_at", "retracted_at", "digest", "person_key", "day")}


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(
    first=PERSON, second=PERSON,
    events=st.lists(st.tuples(st.booleans(), EVENT), max_size=6),
    memberships=st.lists(st.tuples(st.booleans(), st.sampled_from(["o1", "o2"]), st.sampled_from(["", "member", "editor"])), max_size=4),
)
def test_merge_then_unmerge_gives_back_exactly_the_original(register: Register, database: Database, first, second, events, memberships):
    tag = uuid.uuid4().hex[:8]
    a, b = f"a-{tag}", f"b-{tag}"
    changes = [("persons", _person_cells(a, first), None), ("persons", _person_cells(b, second), None)]
    for number, (on_first, event) in enumerate(events):
        changes.append(("events", {
            "event_id": f"e-{tag}-{number}", "person_id": a if on_first else b, "type": event["type"], "date": event["date"],
            "case_id": "c1" if event["case"] else "", "source_ids": event["sources"], "note": event["note"] or "",
        }, None))
    seen = set()
    for on_first, organisation, role in memberships:
        person = a if on_first else b
        if (person, organisation) not in seen:
            seen.add((person, organisation))
            changes.append(("memberships", {"person_id": person, "organisation_id": organisation, "role": role}, None))
    register.record_all(changes)
    original, counts = current_content(database), row_counts(database)
    absorbed_names = name_forms_of(register.get("persons", b))

    merge = merge_persons(register, a, b, by="officer")
    merged = current_content(database)
    assert ((b,) not in merged["persons"]) and all(row["person_id"] != b for row in merged["events"].values())
    assert {part.strip() for name in absorbed_names for part in name.split(";") if part.strip()} <= name_forms_of(merged["persons"][(a,)])
    assert merged["persons"][(a,)]["public"] == (first["public"] and second["public"])
    assert {key for key in merged["events"]} == {key for key in original["events"]}
    for resource, rows in merged.items():  # every stored digest is the digest of the stored content
        for row in rows.values():
            assert row["digest"] == content_digest(resource, row)
    middle = row_counts(database)

    unmerge(register, merge.merge_id, by="officer")
    assert current_content(database) == original
    end = row_counts(database)
    assert all(counts[name] <= middle[name] <= end[name] for name in counts)


def _person_cells(person_id: str, person: dict) -> dict[str, str]:
    cells = {"person_id": person_id}
    for key, value in person.items():
        if isinstance(value, list):
            cells[key] = ";".join(value)
        elif isinstance(value, bool):
            cells[key] = "true" if value else "false"
        else:
            cells[key] = value or ""
    return cells


# The migration


def test_migration_0004_creates_exactly_the_tables_of_the_schema(database: Database):
    mine = {"merges", "merge_rows", "not_same"}
    with database.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = [
            difference for difference in compare_metadata(context, metadata)
            if any(name in repr(difference) for name in mine)
        ]
    assert differences == []
    assert mine <= set(inspect(database.engine).get_table_names())


def test_migration_0004_downgrades_and_upgrades_again(database: Database):
    with database.engine.begin() as connection:
        command.downgrade(_alembic_config(connection), "0003")
    tables = set(inspect(database.engine).get_table_names())
    assert not {"merges", "merge_rows", "not_same"} & tables and "persons" in tables
    database.upgrade()
    assert {"merges", "merge_rows", "not_same"} <= set(inspect(database.engine).get_table_names())
    assert database.revision_now() == Database.head_revision()


def test_a_full_export_after_a_merge_imports_into_an_empty_register(database: Database, tmp_path: Path):
    """The withdrawn event versions of the absorbed person name a person no longer in persons.csv: they are history."""
    from chronicle.exporter import export_package
    from chronicle.importer import import_package

    register = Register(database)
    register.record("sources", {"source_id": "s1", "title": "Report", "restricted": "false"})
    for person_id, name in (("a", "Siarhei Tsikhanouski"), ("b", "Сяргей Ціханоўскі")):
        register.record("persons", {"person_id": person_id, "name": name, "public": "true"})
    register.record("events", {"event_id": "e1", "person_id": "b", "type": "detained", "date": "2020-05-29", "source_ids": "s1"})
    merge_persons(register, "a", "b", by="tester")
    export_package(database, tmp_path / "full")
    other = Database.open(str(tmp_path / "other.db"))
    try:
        import_package(other, tmp_path / "full")
        events = Register(other).events_of(["a", "b"])
        assert [event["event_id"] for event in events["a"]] == ["e1"] and events["b"] == []
    finally:
        other.close()
