"""The edges of spec/figures.md, one small hand-written register each, with exact numbers.

Each case is checked on the figures engine and on the reference of
tests/figures_reference.py (which must agree with the hand-computed numbers
too), on SQLite and on PostgreSQL.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from figures_reference import FLOW, STOCK, Reference, Subset
from packages import small_register, write_package

from chronicle.database import Database
from chronicle.figures import Figures, Filters
from chronicle.importer import import_package
from chronicle.register import Register

NO_FILTERS = Filters()
CASES = [
    {"case_id": "c1", "name": "Case of the Coordination Council", "opened": "2020-08"},
    {"case_id": "c2", "name": "Case of the strike committee", "opened": "2021-01"},
]
ORGANISATIONS = [
    {"organisation_id": "o1", "name": "Belsat", "kind": "media outlet"},
    {"organisation_id": "o2", "name": "Viasna", "kind": "human rights group"},
]


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def person(person_id: str, **cells: str) -> dict[str, str]:
    return {"person_id": person_id, "name": f"Person {person_id}", "public": "true", **cells}


def event(event_id: str, person_id: str, kind: str, day: str, **cells: str) -> dict[str, str]:
    return {"event_id": event_id, "person_id": person_id, "type": kind, "date": day, "source_ids": "s1", **cells}


def recorded_on_their_day(events: list[dict[str, str]]) -> list[dict[str, str]]:
    """Events without a record time get noon of their own day (else the import time would be theirs)."""
    return [{"recorded_at": f"{row['date']}T12:00:00Z", **row} for row in events]


class Both:
    """The engine and the reference on one register: each call checks they agree and returns the engine's figures."""

    def __init__(self, figures: Figures, reference: Reference):
        self.figures = figures
        self.reference = reference

    def stock(self, day: str, *, known_at: str | None = None, filters: Filters = NO_FILTERS) -> dict:
        moment = at(known_at) if known_at else None
        got = self.figures.stock(date.fromisoformat(day), known_at=moment, filters=filters)
        expected = self.reference.stock(date.fromisoformat(day), known_at=moment, subset=Subset(**vars(filters)))
        assert {name: got[name] for name in STOCK} == expected, f"engine and reference differ on {day}"
        assert got["as_of"] == day
        return got

    def flow(self, start: str, end: str, *, known_at: str | None = None, filters: Filters = NO_FILTERS) -> dict:
        moment = at(known_at) if known_at else None
        got = self.figures.flow(date.fromisoformat(start), date.fromisoformat(end), known_at=moment, filters=filters)
        expected = self.reference.flow(
            date.fromisoformat(start), date.fromisoformat(end), known_at=moment, subset=Subset(**vars(filters))
        )
        assert {name: got[name] for name in FLOW} == expected, f"engine and reference differ on {start}..{end}"
        assert (got["from"], got["to"]) == (start, end)
        return got


@pytest.fixture
def build(database: Database, tmp_path: Path):
    """Import persons, events and memberships (with small_register's sources) and return a Both."""

    def build(persons, events, memberships=()) -> Both:
        tables = {
            "sources": small_register()["sources"],
            "cases": CASES,
            "organisations": ORGANISATIONS,
            "persons": persons,
            "memberships": list(memberships),
            "events": events,
        }
        folder = write_package(tmp_path / "package", tables)
        report = import_package(database, folder)
        return Both(Figures(database), Reference(folder, imported_at=report.recorded_at))

    return build


def test_detained_and_released_the_same_day_is_not_behind_bars_but_is_an_arrest(build):
    both = build([person("p1")], [
        # The file order is the reverse of the same-day order: the order comes from the types.
        event("e2", "p1", "released", "2021-03-01"),
        event("e1", "p1", "detained", "2021-03-01"),
    ])
    assert both.stock("2021-03-01")["behind_bars"] == 0
    assert both.stock("2021-02-28")["behind_bars"] == 0
    flow = both.flow("2021-03-01", "2021-03-01")
    assert (flow["arrests"], flow["releases"]) == (1, 1)


def test_re_arrest_after_release_counts_two_arrests_and_one_person_behind_bars(build):
    both = build([person("p1")], [
        event("e1", "p1", "detained", "2021-03-01"),
        event("e2", "p1", "released", "2021-03-05"),
        event("e3", "p1", "detained", "2021-03-10"),
    ])
    assert both.flow("2021-03-01", "2021-03-31")["arrests"] == 2
    assert both.flow("2021-03-01", "2021-03-31")["releases"] == 1
    assert both.flow("2021-03-02", "2021-03-31")["arrests"] == 1
    assert both.stock("2021-03-04")["behind_bars"] == 1
    assert both.stock("2021-03-07")["behind_bars"] == 0
    assert both.stock("2021-03-31")["behind_bars"] == 1


def test_a_second_detention_while_held_is_an_arrest_but_not_a_second_person(build):
    both = build([person("p1")], [
        event("e1", "p1", "detained", "2021-03-01"),
        event("e2", "p1", "detained", "2021-03-03"),
        event("e3", "p1", "released", "2021-03-05"),
    ])
    assert both.flow("2021-03-01", "2021-03-31")["arrests"] == 2
    assert both.flow("2021-03-01", "2021-03-31")["releases"] == 1
    assert both.stock("2021-03-03")["behind_bars"] == 1
    assert both.stock("2021-03-05")["behind_bars"] == 0


def test_death_in_custody_after_recognition(build):
    both = build([person("p1", gender="m", categories="journalist")], [
        event("e1", "p1", "detained", "2021-01-01"),
        event("e2", "p1", "recognized", "2021-01-10"),
        event("e3", "p1", "died", "2021-02-01"),
    ])
    before = both.stock("2021-01-31")
    assert (before["died_in_custody"], before["political_prisoners"], before["behind_bars"]) == (0, 1, 1)
    assert before["political_prisoners_by_gender"] == {"f": 0, "m": 1, "x": 0, "unknown": 0}
    assert before["political_prisoners_by_category"] == {"journalist": 1}
    after = both.stock("2021-02-01")
    assert (after["died_in_custody"], after["political_prisoners"], after["behind_bars"]) == (1, 0, 0)
    assert after["political_prisoners_by_category"] == {"journalist": 0}
    assert after["recognized_total"] == 1
    assert both.stock("2030-01-01")["died_in_custody"] == 1
    assert both.flow("2021-02-01", "2021-02-28")["deaths_in_custody"] == 1
    assert both.flow("2021-01-01", "2021-01-31")["deaths_in_custody"] == 0


def test_death_in_custody_recognised_posthumously_counts_from_the_recognition(build):
    both = build([person("p1")], [
        event("e1", "p1", "detained", "2021-01-01"),
        event("e2", "p1", "died", "2021-02-01"),
        event("e3", "p1", "recognized", "2021-03-01"),
    ])
    assert both.stock("2021-02-01")["died_in_custody"] == 0
    assert both.stock("2021-02-28")["died_in_custody"] == 0
    on_recognition = both.stock("2021-03-01")
    assert (on_recognition["died_in_custody"], on_recognition["recognized_total"]) == (1, 1)
    assert on_recognition["political_prisoners"] == 0  # custody closed by the death
    # The flow counts the death when it happened, recognised or not.
    assert both.flow("2021-02-01", "2021-02-01")["deaths_in_custody"] == 1
    assert both.flow("2021-03-01", "2021-03-31")["new_recognitions"] == 1


def test_death_in_custody_of_someone_never_recognised_is_a_death_in_custody_flow_only(build):
    both = build([person("p1")], [
        event("e1", "p1", "detained", "2021-01-01"),
        event("e2", "p1", "died", "2021-02-01"),
    ])
    assert both.stock("2021-12-31")["died_in_custody"] == 0
    assert both.flow("2021-01-01", "2021-12-31")["deaths_in_custody"] == 1


def test_recognition_withdrawn_before_a_death_in_custody_still_counts(build):
    both = build([person("p1")], [
        event("e1", "p1", "detained", "2021-01-01"),
        event("e2", "p1", "recognized", "2021-01-05"),
        event("e3", "p1", "recognition_ended", "2021-01-20"),
        event("e4", "p1", "died", "2021-02-01"),
    ])
    assert both.stock("2021-02-01")["died_in_custody"] == 1


def test_death_at_liberty_is_not_a_death_in_custody(build):
    both = build([person("p1")], [
        event("e1", "p1", "detained", "2021-01-01"),
        event("e2", "p1", "recognized", "2021-01-05"),
        event("e3", "p1", "released", "2021-06-01"),
        event("e4", "p1", "died", "2023-02-01"),
    ])
    stock = both.stock("2023-12-31")
    assert (stock["died_in_custody"], stock["behind_bars"], stock["recognized_total"]) == (0, 0, 1)
    assert both.flow("2021-01-01", "2023-12-31")["deaths_in_custody"] == 0


def test_death_at_liberty_on_the_day_of_release_is_not_in_custody(build):
    both = build([person("p1")], [
        event("e1", "p1", "detained", "2021-01-01"),
        event("e2", "p1", "recognized", "2021-01-05"),
        event("e4", "p1", "died", "2021-06-01"),
        event("e3", "p1", "released", "2021-06-01"),  # released comes before died on the same day
    ])
    assert both.stock("2021-06-01")["died_in_custody"] == 0
    assert both.flow("2021-06-01", "2021-06-01")["deaths_in_custody"] == 0
    assert both.flow("2021-06-01", "2021-06-01")["releases"] == 1


def test_recognition_withdrawn_ends_political_prisoner_but_not_recognized_total(build):
    both = build([person("p1", gender="f")], [
        event("e1", "p1", "detained", "2021-01-01"),
        event("e2", "p1", "recognized", "2021-01-05"),
        event("e3", "p1", "recognition_ended", "2021-02-01"),
    ])
    before = both.stock("2021-01-31")
    assert (before["political_prisoners"], before["behind_bars"], before["recognized_total"]) == (1, 1, 1)
    assert before["political_prisoners_by_gender"]["f"] == 1
    after = both.stock("2021-02-01")
    assert (after["political_prisoners"], after["behind_bars"], after["recognized_total"]) == (0, 1, 1)
    assert after["political_prisoners_by_gender"] == {"f": 0, "m": 0, "x": 0, "unknown": 0}
    assert both.stock("2021-01-04")["recognized_total"] == 0


def test_recognition_before_detention_makes_a_political_prisoner_once_detained(build):
    both = build([person("p1")], [
        event("e1", "p1", "recognized", "2021-01-01"),
        event("e2", "p1", "detained", "2021-02-01"),
    ])
    assert both.stock("2021-01-31")["political_prisoners"] == 0
    assert both.stock("2021-02-01")["political_prisoners"] == 1


def test_pardon_and_deportation_the_same_day_are_one_release(build):
    both = build([person("p1")], [
        event("e1", "p1", "detained", "2020-05-29"),
        event("e2", "p1", "recognized", "2020-06-02"),
        event("e4", "p1", "deported", "2025-06-21", destination="Lithuania"),
        event("e3", "p1", "pardoned", "2025-06-21", reason="pardon"),
    ])
    flow = both.flow("2025-06-01", "2025-06-30")
    assert (flow["releases"], flow["pardons"], flow["deportations"]) == (1, 1, 1)
    day = both.stock("2025-06-21")
    assert (day["in_exile"], day["behind_bars"], day["political_prisoners"]) == (1, 0, 0)
    assert both.stock("2025-06-20")["in_exile"] == 0
    assert both.stock("2025-06-20")["political_prisoners"] == 1


def test_re_detained_after_deportation_is_no_longer_in_exile(build):
    both = build([person("p1")], [
        event("e1", "p1", "detained", "2024-01-10"),
        event("e2", "p1", "deported", "2025-06-21"),
        event("e3", "p1", "detained", "2025-09-01"),
        event("e4", "p1", "released", "2025-10-01"),
    ])
    assert both.stock("2025-08-31")["in_exile"] == 1
    on_return = both.stock("2025-09-01")
    assert (on_return["in_exile"], on_return["behind_bars"]) == (0, 1)
    # Released again: the latest custody-closing event is no longer a deportation.
    assert both.stock("2025-10-01")["in_exile"] == 0
    assert both.flow("2024-01-01", "2025-12-31")["arrests"] == 2


def test_detained_and_deported_the_same_day_is_in_exile(build):
    both = build([person("p1")], [
        event("e2", "p1", "deported", "2025-09-01"),
        event("e1", "p1", "detained", "2025-09-01"),
    ])
    stock = both.stock("2025-09-01")
    assert (stock["in_exile"], stock["behind_bars"]) == (1, 0)
    flow = both.flow("2025-09-01", "2025-09-01")
    assert (flow["arrests"], flow["releases"], flow["deportations"]) == (1, 1, 1)


def test_deported_at_liberty_is_in_exile_but_not_a_release(build):
    both = build([person("p1")], [event("e1", "p1", "deported", "2025-02-01")])
    assert both.stock("2025-02-01")["in_exile"] == 1
    flow = both.flow("2025-01-01", "2025-12-31")
    assert (flow["deportations"], flow["releases"]) == (1, 0)


def test_a_release_without_open_custody_is_not_a_release(build):
    both = build([person("p1")], [
        event("e1", "p1", "detained", "2021-01-01"),
        event("e2", "p1", "released", "2021-01-05"),
        event("e3", "p1", "released", "2021-01-09"),
        event("e4", "p1", "pardoned", "2021-01-10"),
    ])
    flow = both.flow("2021-01-01", "2021-01-31")
    assert (flow["releases"], flow["pardons"]) == (1, 1)


def test_house_arrest_closes_custody_and_is_not_a_release(build):
    both = build([person("p1", categories="student")], [
        event("e1", "p1", "detained", "2021-01-01"),
        event("e2", "p1", "recognized", "2021-01-05"),
        event("e3", "p1", "house_arrest", "2021-02-01"),
    ])
    before = both.stock("2021-01-31")
    assert (before["behind_bars"], before["political_prisoners"]) == (1, 1)
    after = both.stock("2021-02-01")
    assert (after["behind_bars"], after["political_prisoners"], after["in_exile"]) == (0, 0, 0)
    assert after["political_prisoners_by_category"] == {"student": 0}
    assert both.flow("2021-01-01", "2021-12-31")["releases"] == 0


def test_partial_dates_count_from_their_first_day(build):
    both = build([person("p1"), person("p2"), person("p3")], [
        event("e1", "p1", "detained", "2021-05"),
        event("e2", "p2", "detained", "2021"),
        event("e3", "p3", "detained", "2021-03-10"),
        event("e4", "p3", "released", "2021-04"),
    ])
    assert both.stock("2020-12-31")["behind_bars"] == 0
    assert both.stock("2021-01-01")["behind_bars"] == 1  # p2, from 2021-01-01
    assert both.stock("2021-03-31")["behind_bars"] == 2  # p2 and p3
    assert both.stock("2021-04-01")["behind_bars"] == 1  # p3 released "2021-04"
    assert both.stock("2021-04-30")["behind_bars"] == 1
    assert both.stock("2021-05-01")["behind_bars"] == 2  # p1, from 2021-05-01
    assert both.flow("2021-05-01", "2021-05-01")["arrests"] == 1
    assert both.flow("2021-04-01", "2021-04-30")["arrests"] == 0
    assert both.flow("2021-05-02", "2021-05-31")["arrests"] == 0
    assert both.flow("2021-01-01", "2021-01-01")["arrests"] == 1
    assert both.flow("2021-01-02", "2021-12-31")["arrests"] == 2
    assert both.flow("2021-04-01", "2021-04-01")["releases"] == 1


def test_a_partial_date_and_a_full_first_day_are_the_same_day(build):
    both = build([person("p1")], [
        event("e1", "p1", "detained", "2021-05"),
        event("e2", "p1", "released", "2021-05-01"),
    ])
    assert both.stock("2021-05-01")["behind_bars"] == 0
    assert both.flow("2021-05-01", "2021-05-01")["releases"] == 1


def test_an_event_recorded_after_it_happened_exists_only_from_its_recording(build):
    both = build([person("p1")], [
        event("e1", "p1", "detained", "2021-01-10", recorded_at="2021-02-01T12:00:00Z"),
    ])
    assert both.stock("2021-01-15", known_at="2021-01-20T00:00:00Z")["behind_bars"] == 0
    assert both.stock("2021-01-15", known_at="2021-02-01T11:59:59Z")["behind_bars"] == 0
    assert both.stock("2021-01-15", known_at="2021-02-01T12:00:00Z")["behind_bars"] == 1  # recorded_at <= known_at
    assert both.stock("2021-01-15")["behind_bars"] == 1
    assert both.flow("2021-01-01", "2021-01-31", known_at="2021-01-20T00:00:00Z")["arrests"] == 0
    assert both.flow("2021-01-01", "2021-01-31", known_at="2021-03-01T00:00:00Z")["arrests"] == 1


def test_a_retracted_event_exists_only_between_its_recording_and_its_retraction(build):
    both = build([person("p1")], [
        event("e1", "p1", "detained", "2021-01-10", recorded_at="2021-01-11T09:00:00Z", retracted_at="2021-01-20T09:00:00Z"),
    ])
    assert both.stock("2021-01-15", known_at="2021-01-11T08:59:59Z")["behind_bars"] == 0
    assert both.stock("2021-01-15", known_at="2021-01-15T00:00:00Z")["behind_bars"] == 1
    assert both.stock("2021-01-15", known_at="2021-01-20T08:59:59Z")["behind_bars"] == 1
    assert both.stock("2021-01-15", known_at="2021-01-20T09:00:00Z")["behind_bars"] == 0  # retracted_at > known_at fails
    assert both.stock("2021-01-15")["behind_bars"] == 0
    assert both.flow("2021-01-01", "2021-01-31", known_at="2021-01-15T00:00:00Z")["arrests"] == 1
    assert both.flow("2021-01-01", "2021-01-31")["arrests"] == 0


def test_a_corrected_date_moves_the_event_from_the_correction_on(build):
    both = build([person("p1")], [
        event("e1", "p1", "detained", "2021-01-05", recorded_at="2021-01-06T09:00:00Z", retracted_at="2021-01-12T09:00:00Z"),
        event("e1", "p1", "detained", "2021-01-08", recorded_at="2021-01-12T09:00:00Z"),
    ])
    assert both.stock("2021-01-06", known_at="2021-01-10T00:00:00Z")["behind_bars"] == 1
    assert both.stock("2021-01-06", known_at="2021-01-12T09:00:00Z")["behind_bars"] == 0
    assert both.stock("2021-01-08", known_at="2021-01-12T09:00:00Z")["behind_bars"] == 1
    assert both.stock("2021-01-06")["behind_bars"] == 0
    # One arrest whichever version is known: the versions never exist together.
    assert both.flow("2021-01-01", "2021-01-31", known_at="2021-01-10T00:00:00Z")["arrests"] == 1
    assert both.flow("2021-01-01", "2021-01-31")["arrests"] == 1
    assert both.flow("2021-01-05", "2021-01-07")["arrests"] == 0


def test_a_retracted_release_leaves_the_person_behind_bars(build):
    both = build([person("p1")], [
        event("e1", "p1", "detained", "2021-01-01", recorded_at="2021-01-02T09:00:00Z"),
        event("e2", "p1", "released", "2021-01-10", recorded_at="2021-01-11T09:00:00Z", retracted_at="2021-01-15T09:00:00Z"),
    ])
    assert both.stock("2021-01-31", known_at="2021-01-12T00:00:00Z")["behind_bars"] == 0
    assert both.stock("2021-01-31", known_at="2021-01-16T00:00:00Z")["behind_bars"] == 1
    assert both.stock("2021-01-31")["behind_bars"] == 1
    assert both.flow("2021-01-01", "2021-01-31", known_at="2021-01-12T00:00:00Z")["releases"] == 1
    assert both.flow("2021-01-01", "2021-01-31")["releases"] == 0


def test_detentions_not_politically_motivated_are_not_arrests_but_open_custody(build):
    both = build([person("p1"), person("p2")], [
        event("e1", "p1", "detained", "2021-01-01", politically_motivated="false"),
        event("e2", "p1", "released", "2021-01-20"),
        event("e3", "p2", "detained", "2021-01-02", politically_motivated=""),  # empty means true
    ])
    flow = both.flow("2021-01-01", "2021-01-31")
    assert (flow["arrests"], flow["releases"]) == (1, 1)
    assert both.flow("2021-01-01", "2021-01-01")["arrests"] == 0
    assert both.stock("2021-01-01")["behind_bars"] == 1
    assert both.stock("2021-01-10")["behind_bars"] == 2
    assert both.stock("2021-01-20")["behind_bars"] == 1


def test_convictions_and_new_recognitions_count_events(build):
    both = build([person("p1"), person("p2")], [
        event("e1", "p1", "detained", "2021-01-01"),
        event("e2", "p1", "convicted", "2021-03-01", sentence_months="36", sentence_kind="colony"),
        event("e3", "p1", "convicted", "2021-06-01", sentence_months="12", sentence_kind="colony"),
        event("e4", "p1", "recognized", "2021-01-10"),
        event("e5", "p2", "recognized", "2021-03-01"),
        event("e6", "p2", "recognition_ended", "2021-04-01"),
        event("e7", "p2", "recognized", "2021-05-01"),
    ])
    flow = both.flow("2021-01-01", "2021-12-31")
    assert (flow["convictions"], flow["new_recognitions"]) == (2, 3)
    assert both.flow("2021-03-01", "2021-03-31")["convictions"] == 1
    assert both.stock("2021-12-31")["recognized_total"] == 2


def test_every_split_and_key(build):
    both = build([
        person("p1", gender="f", categories="journalist;lawyer"),
        person("p2", gender="m", categories="Student"),  # categories are lower-cased on import
        person("p3", gender="x"),
        person("p4", categories="musician"),  # not behind bars: its category is still a key
        person("p5", gender="", categories="journalist"),
    ], [
        event(f"d{n}", f"p{n}", "detained", "2021-01-01") for n in (1, 2, 3, 5)
    ] + [
        event(f"r{n}", f"p{n}", "recognized", "2021-01-02") for n in (1, 2, 3, 4, 5)
    ])
    stock = both.stock("2021-01-02")
    assert stock["political_prisoners"] == 4
    assert stock["political_prisoners_by_gender"] == {"f": 1, "m": 1, "x": 1, "unknown": 1}
    assert stock["political_prisoners_by_category"] == {"journalist": 2, "lawyer": 1, "student": 1, "musician": 0}
    assert stock["recognized_total"] == 5
    assert both.stock("2021-01-01")["political_prisoners_by_category"] == {"journalist": 0, "lawyer": 0, "student": 0, "musician": 0}


@pytest.fixture
def filtered(build) -> Both:
    """Four persons held from 2021-01-01, each in a different subset; p4 in case c2 only by a later event."""
    return build(
        [
            person("p1", gender="f", categories="journalist", region="Minsk"),
            person("p2", gender="m", categories="journalist;lawyer", region="Homiel region"),
            person("p3", gender="m", categories="student", region="Minsk"),
            person("p4", gender="m", region="Brest region"),
        ],
        recorded_on_their_day([
            event("d1", "p1", "detained", "2021-01-01", case_id="c1"),
            event("d2", "p2", "detained", "2021-01-01", case_id="c1"),
            event("d3", "p3", "detained", "2021-01-01", politically_motivated="false"),
            event("d4", "p4", "detained", "2021-01-01"),
            event("c4", "p4", "charged", "2022-05-01", case_id="c2"),
            event("x4", "p4", "charged", "2021-02-01", case_id="c1", recorded_at="2021-02-02T00:00:00Z", retracted_at="2021-03-01T00:00:00Z"),
        ] + [event(f"r{n}", f"p{n}", "recognized", "2021-01-05") for n in (1, 2, 3, 4)]
        + [event("f2", "p2", "released", "2021-03-01"), event("f3", "p3", "pardoned", "2021-03-02")]),
        memberships=[
            {"person_id": "p1", "organisation_id": "o1", "role": "journalist"},
            {"person_id": "p2", "organisation_id": "o2", "role": "lawyer"},
            {"person_id": "p3", "organisation_id": "o2", "role": "volunteer"},
        ],
    )


def test_without_filters_everyone_counts(filtered: Both):
    stock = filtered.stock("2021-02-01")
    assert (stock["behind_bars"], stock["political_prisoners"], stock["recognized_total"]) == (4, 4, 4)
    flow = filtered.flow("2021-01-01", "2021-12-31")
    assert (flow["arrests"], flow["releases"], flow["pardons"], flow["new_recognitions"]) == (3, 2, 1, 4)


def test_the_category_filter_narrows_every_figure(filtered: Both):
    journalists = Filters(category="journalist")
    stock = filtered.stock("2021-02-01", filters=journalists)
    assert (stock["behind_bars"], stock["political_prisoners"], stock["recognized_total"]) == (2, 2, 2)
    assert stock["political_prisoners_by_category"] == {"journalist": 2, "lawyer": 1}
    assert stock["political_prisoners_by_gender"] == {"f": 1, "m": 1, "x": 0, "unknown": 0}
    assert filtered.stock("2021-03-01", filters=journalists)["behind_bars"] == 1
    flow = filtered.flow("2021-01-01", "2021-12-31", filters=journalists)
    assert (flow["arrests"], flow["releases"], flow["pardons"], flow["new_recognitions"]) == (2, 1, 0, 2)
    assert filtered.stock("2021-02-01", filters=Filters(category="student"))["behind_bars"] == 1
    assert filtered.stock("2021-02-01", filters=Filters(category="nobody"))["behind_bars"] == 0


def test_the_region_filter_narrows_every_figure(filtered: Both):
    minsk = Filters(region="Minsk")
    stock = filtered.stock("2021-02-01", filters=minsk)
    assert (stock["behind_bars"], stock["political_prisoners"]) == (2, 2)
    assert stock["political_prisoners_by_category"] == {"journalist": 1, "student": 1}
    flow = filtered.flow("2021-01-01", "2021-12-31", filters=minsk)
    assert (flow["arrests"], flow["releases"], flow["pardons"]) == (1, 1, 1)
    assert filtered.stock("2021-02-01", filters=Filters(region="Brest region"))["behind_bars"] == 1


def test_the_organisation_filter_narrows_every_figure(filtered: Both):
    viasna = Filters(organisation="o2")
    stock = filtered.stock("2021-02-01", filters=viasna)
    assert (stock["behind_bars"], stock["political_prisoners"]) == (2, 2)
    assert stock["political_prisoners_by_gender"] == {"f": 0, "m": 2, "x": 0, "unknown": 0}
    assert filtered.stock("2021-03-02", filters=viasna)["behind_bars"] == 0
    flow = filtered.flow("2021-01-01", "2021-12-31", filters=viasna)
    assert (flow["arrests"], flow["releases"], flow["pardons"]) == (1, 2, 1)
    assert filtered.stock("2021-02-01", filters=Filters(organisation="o1"))["behind_bars"] == 1


def test_the_case_filter_takes_a_person_by_any_event_whatever_its_date(filtered: Both):
    # p4 is in c2 by a charge of 2022: counted in 2021 already.
    c2 = filtered.stock("2021-02-01", filters=Filters(case="c2"))
    assert (c2["behind_bars"], c2["political_prisoners"]) == (1, 1)
    assert filtered.flow("2021-01-01", "2021-01-31", filters=Filters(case="c2"))["arrests"] == 1
    c1 = filtered.stock("2021-02-01", filters=Filters(case="c1"))
    assert c1["behind_bars"] == 2
    # As known while p4's retracted c1 charge existed, p4 was in c1 too.
    assert filtered.stock("2021-02-01", known_at="2021-02-15T00:00:00Z", filters=Filters(case="c1"))["behind_bars"] == 3
    assert filtered.stock("2021-02-01", known_at="2021-03-01T00:00:00Z", filters=Filters(case="c1"))["behind_bars"] == 2
    flow = filtered.flow("2021-01-01", "2021-12-31", filters=Filters(case="c1"))
    assert (flow["arrests"], flow["releases"]) == (2, 1)


def test_filters_together_select_persons_in_all_of_them(filtered: Both):
    stock = filtered.stock("2021-02-01", filters=Filters(category="journalist", region="Minsk"))
    assert stock["behind_bars"] == 1
    stock = filtered.stock("2021-02-01", filters=Filters(case="c1", organisation="o2"))
    assert stock["behind_bars"] == 1
    assert filtered.stock("2021-02-01", filters=Filters(category="student", case="c1"))["behind_bars"] == 0


def test_person_filters_and_splits_use_the_person_as_known_at(build, database: Database):
    """A category changed and a membership added after the import count only from then on."""
    build([person("p1", gender="f", categories="journalist")], recorded_on_their_day([
        event("e1", "p1", "detained", "2021-01-01"),
        event("e2", "p1", "recognized", "2021-01-05"),
    ]))
    register = Register(database)
    imported = register.get("persons", "p1")
    edited = datetime.now(UTC)  # an edit after the import
    register.record(
        "persons", {"person_id": "p1", "name": "Person p1", "gender": "m", "categories": "lawyer", "public": "true"},
        based_on=imported["row_id"], now=edited,
    )
    register.record("memberships", {"person_id": "p1", "organisation_id": "o1"}, now=edited)
    figures = Figures(database)
    day = date(2021, 2, 1)
    then, now = at("2021-02-01T00:00:00Z"), None  # every event recorded, the edit not yet made
    assert figures.stock(day, known_at=then, filters=Filters(category="journalist"))["political_prisoners"] == 1
    assert figures.stock(day, known_at=then, filters=Filters(category="lawyer"))["political_prisoners"] == 0
    assert figures.stock(day, known_at=now, filters=Filters(category="journalist"))["political_prisoners"] == 0
    assert figures.stock(day, known_at=now, filters=Filters(category="lawyer"))["political_prisoners"] == 1
    assert figures.stock(day, known_at=then, filters=Filters(organisation="o1"))["political_prisoners"] == 0
    assert figures.stock(day, known_at=now, filters=Filters(organisation="o1"))["political_prisoners"] == 1
    assert figures.flow(date(2021, 1, 1), date(2021, 1, 31), known_at=then, filters=Filters(organisation="o1"))["arrests"] == 0
    assert figures.flow(date(2021, 1, 1), date(2021, 1, 31), known_at=now, filters=Filters(organisation="o1"))["arrests"] == 1
    before, after = figures.stock(day, known_at=then), figures.stock(day, known_at=now)
    assert before["political_prisoners_by_category"] == {"journalist": 1}
    assert after["political_prisoners_by_category"] == {"lawyer": 1}
    assert before["political_prisoners_by_gender"] == {"f": 1, "m": 0, "x": 0, "unknown": 0}
    assert after["political_prisoners_by_gender"] == {"f": 0, "m": 1, "x": 0, "unknown": 0}


def test_persons_are_known_from_the_first_recorded_event_about_them(build):
    """A package gives persons no record time: the register knows them from the first event recorded about them."""
    both = build([person("p1", gender="f", categories="journalist", region="Minsk"), person("p2", gender="m")], recorded_on_their_day([
        event("e1", "p1", "detained", "2021-01-01"),
        event("e2", "p1", "recognized", "2021-01-05"),
    ]) + [event("e3", "p2", "detained", "2021-01-02")])  # recorded at the import
    stock = both.stock("2021-02-01", known_at="2021-03-01T00:00:00Z")
    assert (stock["behind_bars"], stock["political_prisoners"]) == (1, 1)  # e3 is not known yet
    assert stock["political_prisoners_by_gender"] == {"f": 1, "m": 0, "x": 0, "unknown": 0}
    assert stock["political_prisoners_by_category"] == {"journalist": 1}
    assert both.stock("2021-02-01", known_at="2021-03-01T00:00:00Z", filters=Filters(region="Minsk"))["behind_bars"] == 1
    assert both.stock("2021-02-01", known_at="2020-12-31T00:00:00Z")["behind_bars"] == 0
    assert both.stock("2021-02-01")["behind_bars"] == 2
