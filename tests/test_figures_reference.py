"""The figures engine against the reference of tests/figures_reference.py.

Generated registers (chronicle.generate, a few seeds) and small random
registers built by hypothesis are imported into a fresh register on SQLite
and on PostgreSQL; every stock figure, flow figure, series point and
explanation of the engine must equal what the reference computes from the
package's CSV files.

Persons and memberships carry no record time in a package: the importer
records them as known from the first recorded event about them. Most tests
backdate those rows to `PERSONS_RECORDED` with an UPDATE after the import,
so that filters hold for every moment; one test keeps the importer's times.
"""

from __future__ import annotations

import json
import re
import tempfile
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from figures_reference import FLOW, STOCK, Reference, Subset, first_day, split
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from packages import write_package

from chronicle.database import Database
from chronicle.figures import FLOW_METRICS, STOCK_METRICS, Figures, Filters
from chronicle.generate import generate_package
from chronicle.importer import import_package
from chronicle.schema import RECORD_TABLES

PERSONS_RECORDED = datetime(2000, 1, 1, tzinfo=UTC)
BEFORE_EVERYTHING = datetime(1999, 12, 31, 23, 59, 59, tzinfo=UTC)
FIRST, LAST = date(2011, 1, 1), date(2026, 10, 31)  # the generator's span
SEEDS = {11: 150, 12: 250, 13: 400}
NO_FILTERS = Filters()
SPLIT = ("political_prisoners_by_category", "political_prisoners_by_gender")

hypothesis_settings = settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)


# --------------------------------------------------------------------------
# Registers


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> dict[int, Path]:
    """One generated package per seed, written once for the module."""
    folders = {}
    for seed, persons in SEEDS.items():
        folder = tmp_path_factory.mktemp(f"generated-{seed}")
        generate_package(folder, persons=persons, seed=seed)
        folders[seed] = folder
    return folders


def clear(database: Database) -> None:
    with database.transaction() as connection:
        for table in RECORD_TABLES.values():
            connection.execute(table.delete())


def backdate_records(database: Database, moment: datetime) -> None:
    """Record every person, membership, source, case and organisation at `moment` instead of the import time."""
    with database.transaction() as connection:
        for name in ("persons", "memberships", "sources", "cases", "organisations"):
            connection.execute(RECORD_TABLES[name].update().values(recorded_at=moment))


def load(database: Database, folder: Path, *, persons_recorded: datetime | None = PERSONS_RECORDED) -> tuple[Figures, Reference]:
    """Import `folder`; with `persons_recorded`, backdate the rows without record time to it."""
    report = import_package(database, folder)
    if persons_recorded is not None:
        backdate_records(database, persons_recorded)
    return Figures(database), Reference(folder, imported_at=report.recorded_at, persons_known_from=persons_recorded)


# --------------------------------------------------------------------------
# Comparisons


def subset_of(filters: Filters) -> Subset:
    return Subset(case=filters.case, category=filters.category, region=filters.region, organisation=filters.organisation)


def check_stock(figures: Figures, reference: Reference, as_of: date, known_at=None, filters: Filters = NO_FILTERS) -> dict:
    got = figures.stock(as_of, known_at=known_at, filters=filters)
    expected = reference.stock(as_of, known_at=known_at, subset=subset_of(filters))
    assert set(got) == {"as_of", "known_at", *STOCK}
    assert {name: got[name] for name in STOCK} == expected, f"stock as_of={as_of} known_at={known_at} {filters}"
    assert got["as_of"] == as_of.isoformat()
    if known_at is not None:
        assert datetime.fromisoformat(got["known_at"]) == known_at and got["known_at"].endswith("Z")
    return got


def check_flow(figures: Figures, reference: Reference, start: date, end: date, known_at=None, filters: Filters = NO_FILTERS) -> dict:
    got = figures.flow(start, end, known_at=known_at, filters=filters)
    expected = reference.flow(start, end, known_at=known_at, subset=subset_of(filters))
    assert set(got) == {"from", "to", "known_at", *FLOW}
    assert {name: got[name] for name in FLOW} == expected, f"flow {start}..{end} known_at={known_at} {filters}"
    assert (got["from"], got["to"]) == (start.isoformat(), end.isoformat())
    return got


def check_series(figures: Figures, reference: Reference, start: date, end: date, step: str, known_at=None, filters=NO_FILTERS, metrics=STOCK + FLOW) -> None:
    """Every metric's series equals the reference's stock at each period's end and flow over each period."""
    periods = reference.periods(start, end, step)
    stocks = [reference.stock(last, known_at=known_at, subset=subset_of(filters)) for _first, last in periods]
    flows = [reference.flow(first, last, known_at=known_at, subset=subset_of(filters)) for first, last in periods]
    for metric in metrics:
        points = figures.series(metric, start, end, step=step, known_at=known_at, filters=filters)
        assert [(p["from"], p["to"]) for p in points] == [(a.isoformat(), b.isoformat()) for a, b in periods], (metric, step)
        values = stocks if metric in STOCK else flows
        expected = [value[metric] for value in values]
        assert [p["value"] for p in points] == expected, f"series {metric} {step} {start}..{end} known_at={known_at} {filters}"


def interesting_days(reference: Reference) -> list[date]:
    """2020-08-09, month ends since 2019, year ends before, and the first days of partial-date events (and the eve)."""
    days = {date(2020, 8, 9)}
    for year in range(2011, 2027):
        for month in range(1, 13):
            following = date(year + month // 12, month % 12 + 1, 1)
            if (year >= 2019 or month == 12) and following - timedelta(days=1) <= LAST:
                days.add(following - timedelta(days=1))
    partial = sorted({row["day"] for row in reference.events if len(row["date"]) < 10})
    for day in partial[:: max(1, len(partial) // 30)]:
        days.update({day, day - timedelta(days=1)})
    return sorted(days)


def interesting_intervals(reference: Reference) -> list[tuple[date, date]]:
    intervals = [(FIRST, LAST), (date(2020, 8, 9), date(2020, 8, 15)), (date(2020, 8, 1), date(2020, 8, 1))]
    intervals += [(date(year, 1, 1), date(year, 12, 31)) for year in range(2011, 2027)]
    for year in range(2020, 2027):
        for month in range(1, 13):
            start = date(year, month, 1)
            if start <= LAST:
                intervals.append((start, date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1)))
    partial = sorted({row["day"] for row in reference.events if len(row["date"]) < 10})
    intervals += [(day, day) for day in partial[:: max(1, len(partial) // 15)]]
    return intervals


def some_known_at(reference: Reference, count: int = 8) -> list[datetime]:
    """Record moments spread over the package: exactly at one (inclusive) and a second before another."""
    moments = reference.record_moments()
    chosen = [BEFORE_EVERYTHING]
    for index in range(count):
        value = moments[(len(moments) - 1) * index // max(1, count - 1)]
        chosen.append(value if index % 2 else value - timedelta(seconds=1))
    retractions = sorted({datetime.fromisoformat(r["retracted_at"]) for r in reference.events if r["retracted_at"]})
    chosen += retractions[:2]
    return chosen


def package_filters(reference: Reference) -> list[Filters]:
    """A few of each filter, with values found in the package (the most used first)."""
    cases = Counter(row["case_id"] for row in reference.events if row["case_id"])
    categories = Counter(c for person in reference.persons.values() for c in split(person["categories"]))
    regions = Counter(person["region"] for person in reference.persons.values() if person["region"])
    organisations = Counter(row["organisation_id"] for row in reference.memberships)
    filters = [Filters(case=value) for value, _ in cases.most_common(3)]
    filters += [Filters(category=value) for value in categories]
    filters += [Filters(region=value) for value, _ in regions.most_common(2)]
    filters += [Filters(organisation=value) for value, _ in organisations.most_common(3)]
    filters.append(Filters(category="journalist", region=regions.most_common(1)[0][0]))
    return filters


# --------------------------------------------------------------------------
# Generated registers: fixed choices


@pytest.mark.parametrize("seed", SEEDS)
def test_stock_on_many_days_equals_the_reference(database: Database, generated, seed: int):
    figures, reference = load(database, generated[seed])
    days = interesting_days(reference)
    assert len(days) > 80
    totals = [check_stock(figures, reference, day)["behind_bars"] for day in days]
    assert max(totals) > 0  # the comparison is not between zeros only
    big_day = check_stock(figures, reference, date(2021, 6, 30))
    assert big_day["political_prisoners"] > 0 and big_day["recognized_total"] > 0


@pytest.mark.parametrize("seed", SEEDS)
def test_flows_over_many_intervals_equal_the_reference(database: Database, generated, seed: int):
    figures, reference = load(database, generated[seed])
    whole = None
    for start, end in interesting_intervals(reference):
        got = check_flow(figures, reference, start, end)
        if (start, end) == (FIRST, LAST):
            whole = got
    assert whole["arrests"] > 0 and whole["releases"] > 0 and whole["convictions"] > 0


@pytest.mark.parametrize("seed", SEEDS)
def test_figures_as_known_at_past_moments_equal_the_reference(database: Database, generated, seed: int):
    figures, reference = load(database, generated[seed])
    days = [date(2020, 8, 9), date(2020, 12, 31), date(2021, 6, 30), date(2022, 12, 31), date(2024, 9, 30), LAST]
    intervals = [(FIRST, LAST), (date(2020, 8, 1), date(2020, 8, 31)), (date(2021, 1, 1), date(2021, 12, 31)), (date(2025, 6, 21), date(2025, 6, 21))]
    for known_at in some_known_at(reference):
        for day in days:
            check_stock(figures, reference, day, known_at=known_at)
        for start, end in intervals:
            check_flow(figures, reference, start, end, known_at=known_at)
    nothing = figures.stock(LAST, known_at=BEFORE_EVERYTHING)
    assert (nothing["behind_bars"], nothing["recognized_total"]) == (0, 0)
    assert figures.flow(FIRST, LAST, known_at=BEFORE_EVERYTHING)["arrests"] == 0


@pytest.mark.parametrize("seed", SEEDS)
def test_every_filter_equals_the_reference(database: Database, generated, seed: int):
    figures, reference = load(database, generated[seed])
    moments = reference.record_moments()
    middle = moments[len(moments) // 2]
    days = [date(2020, 8, 9), date(2021, 6, 30), date(2023, 12, 31), LAST]
    intervals = [(FIRST, LAST), (date(2020, 8, 1), date(2020, 12, 31)), (date(2024, 7, 1), date(2025, 12, 31))]
    narrowed = 0
    everyone = check_stock(figures, reference, date(2021, 6, 30))["behind_bars"]
    for filters in package_filters(reference):
        for known_at in (None, middle):
            for day in days:
                got = check_stock(figures, reference, day, known_at=known_at, filters=filters)
                narrowed += day == date(2021, 6, 30) and known_at is None and 0 < got["behind_bars"] < everyone
            for start, end in intervals:
                check_flow(figures, reference, start, end, known_at=known_at, filters=filters)
    assert narrowed >= 3  # the filters do select proper, non-empty subsets


@pytest.mark.parametrize("seed", [11])
def test_persons_are_known_from_the_first_recorded_event_about_them(database: Database, generated, seed: int):
    """Without backdating: the importer records each person when the first event about them was recorded."""
    figures, reference = load(database, generated[seed], persons_recorded=None)
    moments = reference.record_moments()
    known_at = moments[len(moments) * 3 // 4]
    got = check_stock(figures, reference, date(2021, 6, 30), known_at=known_at)
    assert got["behind_bars"] > 0
    assert got["political_prisoners_by_gender"]["unknown"] < got["political_prisoners"]
    for filters in package_filters(reference):
        check_stock(figures, reference, date(2021, 6, 30), known_at=known_at, filters=filters)
        check_flow(figures, reference, FIRST, LAST, known_at=known_at, filters=filters)
    check_stock(figures, reference, date(2021, 6, 30))  # and now, they are known


@pytest.mark.parametrize("seed", [12])
def test_series_points_equal_the_reference_for_every_metric(database: Database, generated, seed: int):
    figures, reference = load(database, generated[seed])
    check_series(figures, reference, date(2020, 8, 1), date(2020, 9, 10), "day")
    check_series(figures, reference, date(2020, 5, 6), date(2021, 3, 3), "week")  # Wednesday to Wednesday: both ends clipped
    check_series(figures, reference, date(2019, 11, 15), LAST, "month")
    moments = reference.record_moments()
    journalists = Filters(category="journalist")
    check_series(figures, reference, date(2021, 1, 1), date(2021, 12, 31), "month", known_at=moments[len(moments) // 2])
    check_series(figures, reference, date(2020, 7, 27), date(2020, 10, 4), "week", filters=journalists)
    check_series(figures, reference, date(2025, 6, 15), date(2025, 6, 25), "day", known_at=moments[-1], filters=journalists)


@pytest.mark.parametrize("seed", [13])
def test_series_points_equal_the_engine_own_stock_and_flow(database: Database, generated, seed: int):
    figures, _reference = load(database, generated[seed])
    filters = Filters(category="journalist")
    for step, start, end in (("day", date(2020, 8, 5), date(2020, 8, 20)), ("week", date(2021, 2, 3), date(2021, 5, 1)), ("month", date(2020, 1, 10), date(2021, 12, 20))):
        stocks: dict[str, dict] = {}
        flows: dict[tuple[str, str], dict] = {}
        for metric in STOCK_METRICS + FLOW_METRICS:
            for point in figures.series(metric, start, end, step=step, filters=filters):
                if metric in STOCK_METRICS:
                    if point["to"] not in stocks:
                        stocks[point["to"]] = figures.stock(date.fromisoformat(point["to"]), filters=filters)
                    assert point["value"] == stocks[point["to"]][metric], (metric, step, point)
                else:
                    key = (point["from"], point["to"])
                    if key not in flows:
                        flows[key] = figures.flow(date.fromisoformat(point["from"]), date.fromisoformat(point["to"]), filters=filters)
                    assert point["value"] == flows[key][metric], (metric, step, point)


# --------------------------------------------------------------------------
# Generated register: hypothesis chooses the questions


def query_strategies(reference: Reference):
    moments = reference.record_moments()
    cases = sorted({row["case_id"] for row in reference.events if row["case_id"]})
    categories = sorted({c for person in reference.persons.values() for c in split(person["categories"])})
    regions = sorted({person["region"] for person in reference.persons.values() if person["region"]})
    organisations = sorted({row["organisation_id"] for row in reference.memberships})
    days = st.dates(min_value=date(2010, 12, 1), max_value=date(2026, 12, 31))
    known_at = st.one_of(
        st.none(),
        st.just(BEFORE_EVERYTHING),
        st.sampled_from(moments),
        st.builds(lambda m, s: m + timedelta(seconds=s), st.sampled_from(moments), st.sampled_from([-1, 1, 3600])),
    )
    filters = st.builds(
        Filters,
        case=st.none() | st.sampled_from(cases),
        category=st.none() | st.sampled_from(categories),
        region=st.none() | st.sampled_from(regions),
        organisation=st.none() | st.sampled_from(organisations),
    )
    # Mostly one filter or none: several at once often select nobody.
    filters = st.one_of(st.just(Filters()), filters.filter(lambda f: sum(v is not None for v in vars(f).values()) == 1), filters)
    return days, known_at, filters


def test_hypothesis_questions_on_a_generated_register(database: Database, generated):
    figures, reference = load(database, generated[11])
    days, known_at, filters = query_strategies(reference)

    @hypothesis_settings
    @given(as_of=days, other=days, known_at=known_at, filters=filters)
    def check(as_of, other, known_at, filters):
        check_stock(figures, reference, as_of, known_at=known_at, filters=filters)
        start, end = sorted((as_of, other))
        check_flow(figures, reference, start, end, known_at=known_at, filters=filters)

    check()


# --------------------------------------------------------------------------
# Small random registers, built by hypothesis as package tables

SMALL_DATES = [(date(2020, 12, 30) + timedelta(days=n)).isoformat() for n in range(7)] + [
    "2021-02-01", "2021-02-02", "2021-01", "2021-02", "2021", "2020-12",
]
SMALL_MOMENTS = [datetime(2021, 3, 1, 9, tzinfo=UTC) + timedelta(hours=n) for n in range(6)]
SMALL_START, SMALL_END = date(2020, 11, 29), date(2021, 2, 4)
EVENT_KINDS = [
    "detained", "detained", "detained", "detained", "detained", "charged", "convicted", "transferred", "house_arrest",
    "released", "pardoned", "deported", "died", "recognized", "recognized", "recognized", "recognition_ended",
]
SMALL_SOURCES = [
    {"source_id": "s1", "title": "Public report", "publisher": "Viasna", "url": "https://example.org/a", "published": "2020-12", "restricted": "false"},
    {"source_id": "s2", "title": "Secret lawyer note", "publisher": "", "url": "", "published": "2021-01", "restricted": "true"},
]


def stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


@st.composite
def small_registers(draw) -> dict[str, list[dict[str, str]]]:
    """1-5 persons, each with up to 6 events of random types on a few dates, some with several versions."""
    persons, memberships, events = [], [], []
    for number in range(draw(st.integers(1, 5))):
        person_id = f"p{number}"
        persons.append({
            "person_id": person_id,
            "name": f"Person {number}",
            "gender": draw(st.sampled_from(["f", "m", "x", ""])),
            "categories": ";".join(draw(st.lists(st.sampled_from(["journalist", "lawyer", "student"]), unique=True, max_size=2))),
            "region": draw(st.sampled_from(["Minsk", "Brest region", ""])),
        })
        for organisation in draw(st.lists(st.sampled_from(["o1", "o2"]), unique=True, max_size=2)):
            memberships.append({"person_id": person_id, "organisation_id": organisation})
        for index in range(draw(st.sampled_from([0, 1, 2, 3, 4, 5, 6, 7, 8]))):
            versions = draw(st.integers(1, 3))
            withdrawn = draw(st.integers(0, 4)) == 0  # the last version retracted too: the event is gone
            moments = sorted(draw(st.lists(st.sampled_from(SMALL_MOMENTS), unique=True, min_size=versions + withdrawn, max_size=versions + withdrawn)))
            import_time = versions == 1 and not withdrawn and draw(st.integers(0, 3)) == 0
            for version in range(versions):
                row = {
                    "event_id": f"e{number}_{index}",
                    "person_id": person_id,
                    "type": draw(st.sampled_from(EVENT_KINDS)),
                    "date": draw(st.sampled_from(SMALL_DATES)),
                    "politically_motivated": draw(st.sampled_from(["", "true", "false"])),
                    "case_id": draw(st.sampled_from(["", "", "c1", "c2"])),
                    "source_ids": draw(st.sampled_from(["s1", "s2", "s1;s2"])),
                    "recorded_at": "" if import_time else stamp(moments[version]),
                }
                if version + 1 < len(moments):
                    row["retracted_at"] = stamp(moments[version + 1])
                events.append(row)
    return {
        "sources": SMALL_SOURCES,
        "cases": [{"case_id": "c1", "name": "Case one"}, {"case_id": "c2", "name": "Case two"}],
        "organisations": [{"organisation_id": "o1", "name": "Belsat"}, {"organisation_id": "o2", "name": "Viasna"}],
        "persons": persons,
        "memberships": memberships,
        "events": events,
    }


small_known_at = st.one_of(
    st.none(),
    st.sampled_from(SMALL_MOMENTS),
    st.builds(lambda m: m - timedelta(seconds=1), st.sampled_from(SMALL_MOMENTS)),
    st.just(SMALL_MOMENTS[-1] + timedelta(days=1)),
)
small_filters = st.builds(
    Filters,
    case=st.none() | st.sampled_from(["c1", "c2"]),
    category=st.none() | st.sampled_from(["journalist", "lawyer", "student"]),
    region=st.none() | st.sampled_from(["Minsk", "Brest region"]),
    organisation=st.none() | st.sampled_from(["o1", "o2"]),
)
small_filters = st.one_of(st.just(Filters()), small_filters.filter(lambda f: sum(v is not None for v in vars(f).values()) <= 1))
# The days around the dates of SMALL_DATES, where the figures change.
small_days = st.sampled_from(
    [date(2020, 11, 30), date(2020, 12, 1)]
    + [date(2020, 12, 29) + timedelta(days=n) for n in range(9)]
    + [date(2021, 1, 31) + timedelta(days=n) for n in range(4)]
)


def import_small(database: Database, tables, persons_recorded: datetime | None) -> tuple[Figures, Reference]:
    clear(database)
    folder = Path(tempfile.mkdtemp(prefix="small-register-"))
    write_package(folder, tables)
    return load(database, folder, persons_recorded=persons_recorded)


def test_small_random_registers_equal_the_reference(database: Database):
    @hypothesis_settings
    @given(
        tables=small_registers(),
        persons_recorded=st.one_of(st.none(), st.sampled_from(SMALL_MOMENTS)),
        known_at=st.lists(small_known_at, min_size=1, max_size=2),
        filters=small_filters,
        days=st.lists(small_days, min_size=2, max_size=4),
    )
    def check(tables, persons_recorded, known_at, filters, days):
        figures, reference = import_small(database, tables, persons_recorded)
        for moment in known_at:
            for day in days:
                check_stock(figures, reference, day, known_at=moment, filters=filters)
            start, end = sorted(days[:2])
            check_flow(figures, reference, start, end, known_at=moment, filters=filters)
            check_flow(figures, reference, SMALL_START, SMALL_END, known_at=moment, filters=filters)
        check_series(figures, reference, SMALL_START, SMALL_END, "day", known_at=known_at[0], filters=filters)

    check()


def test_small_random_registers_series_by_week_and_month(database: Database):
    @hypothesis_settings
    @given(tables=small_registers(), known_at=small_known_at, filters=small_filters, step=st.sampled_from(["week", "month"]))
    def check(tables, known_at, filters, step):
        figures, reference = import_small(database, tables, PERSONS_RECORDED)
        check_series(figures, reference, SMALL_START, SMALL_END, step, known_at=known_at, filters=filters)

    check()


# --------------------------------------------------------------------------
# Explanations


def explain_members(figures: Figures, metric: str, known_at, filters, *, as_of=None, start=None, end=None, include_restricted=False) -> dict:
    if metric in STOCK_METRICS:
        return figures.explain(metric, as_of=as_of, known_at=known_at, filters=filters, include_restricted=include_restricted)
    return figures.explain(metric, start=start, end=end, known_at=known_at, filters=filters, include_restricted=include_restricted)


def check_explanations(figures: Figures, reference: Reference, as_of: date, start: date, end: date, known_at, filters: Filters) -> None:
    """For every metric: count equals the figure, as many items as the count, and the very persons or events of the reference."""
    stock = figures.stock(as_of, known_at=known_at, filters=filters)
    flow = figures.flow(start, end, known_at=known_at, filters=filters)
    stock_members = reference.stock_members(as_of, known_at=known_at, subset=subset_of(filters))
    flow_members = reference.flow_members(start, end, known_at=known_at, subset=subset_of(filters))
    for metric in STOCK_METRICS:
        explained = explain_members(figures, metric, known_at, filters, as_of=as_of)
        assert explained["metric"] == metric
        assert len(explained["items"]) == explained["count"], metric
        if metric in SPLIT:
            assert explained["count"] == sum(stock[metric].values()), metric
            groups = Counter(item["group"] for item in explained["items"])
            assert {key: value for key, value in stock[metric].items() if value} == dict(groups), metric
            assert Counter((item["person_id"], item["group"]) for item in explained["items"]) == Counter(stock_members[metric]), metric
        else:
            assert explained["count"] == stock[metric], metric
            assert sorted(item["person_id"] for item in explained["items"]) == sorted(stock_members[metric]), metric
    for metric in FLOW_METRICS:
        explained = explain_members(figures, metric, known_at, filters, start=start, end=end)
        assert explained["metric"] == metric
        assert explained["count"] == flow[metric] == len(explained["items"]), metric
        assert sorted(item["event_id"] for item in explained["items"]) == sorted(flow_members[metric]), metric
        for item in explained["items"]:
            assert start.isoformat() <= first_day(item["date"]).isoformat() <= end.isoformat(), (metric, item)


def test_explanations_match_the_figures_on_a_generated_register(database: Database, generated):
    figures, reference = load(database, generated[12])
    days, known_at, filters = query_strategies(reference)

    @settings(hypothesis_settings, max_examples=15)
    @given(as_of=days, other=days, known_at=known_at, filters=filters)
    def check(as_of, other, known_at, filters):
        start, end = sorted((as_of, other))
        check_explanations(figures, reference, as_of, start, end, known_at, filters)

    check()
    # And once on a big day, so that the lists are long.
    check_explanations(figures, reference, date(2021, 6, 30), date(2020, 8, 1), date(2021, 6, 30), None, Filters())


def test_explanations_match_the_figures_on_small_random_registers(database: Database):
    @settings(hypothesis_settings, max_examples=25)
    @given(tables=small_registers(), known_at=small_known_at, filters=small_filters, days=st.lists(small_days, min_size=3, max_size=3))
    def check(tables, known_at, filters, days):
        figures, reference = import_small(database, tables, PERSONS_RECORDED)
        start, end = sorted(days[1:])
        check_explanations(figures, reference, days[0], start, end, known_at, filters)

    check()


def sources_in(explained: dict) -> list[dict]:
    """Every source dict of an explanation: in the events of persons, and in event items."""
    found = []
    for item in explained["items"]:
        for event in item.get("events", [item]):
            found.extend(event["sources"])
    return found


def test_restricted_sources_appear_only_when_allowed(database: Database, generated):
    figures, reference = load(database, generated[13])
    restricted = reference.restricted_source_ids()
    assert restricted
    pattern = re.compile(r"\b(" + "|".join(sorted(restricted)) + r")\b")
    shown_restricted = 0
    for metric in STOCK_METRICS + FLOW_METRICS:
        options = {"as_of": date(2021, 6, 30)} if metric in STOCK_METRICS else {"start": FIRST, "end": LAST}
        public = figures.explain(metric, **options)
        assert public["count"] == len(public["items"])
        for source in sources_in(public):
            assert source["source_id"] not in restricted, (metric, source)
        assert not pattern.search(json.dumps(public, default=str)), metric
        full = figures.explain(metric, include_restricted=True, **options)
        assert full["count"] == public["count"]
        shown_restricted += sum(source["source_id"] in restricted for source in sources_in(full))
        if metric in FLOW_METRICS:
            # An event item lists exactly the event's sources: all of them, or the public ones.
            cited = {row["event_id"]: split(row["source_ids"]) for row in reference.events if not row["retracted_at"]}
            for item in full["items"]:
                assert sorted(s["source_id"] for s in item["sources"]) == sorted(cited[item["event_id"]]), item
            for item in public["items"]:
                assert sorted(s["source_id"] for s in item["sources"]) == sorted(s for s in cited[item["event_id"]] if s not in restricted)
    assert shown_restricted > 0  # include_restricted=True does show them


def test_restricted_sources_hidden_on_a_small_register(database: Database, tmp_path: Path):
    tables = {
        "sources": SMALL_SOURCES,
        "persons": [{"person_id": "p1", "name": "Person one"}],
        "events": [
            {"event_id": "e1", "person_id": "p1", "type": "detained", "date": "2021-01-01", "source_ids": "s2"},
            {"event_id": "e2", "person_id": "p1", "type": "recognized", "date": "2021-01-02", "source_ids": "s1;s2"},
        ],
    }
    figures, _reference = load(database, write_package(tmp_path / "package", tables))
    for metric, options in (("political_prisoners", {"as_of": date(2021, 1, 5)}), ("arrests", {"start": date(2021, 1, 1), "end": date(2021, 1, 31)})):
        public = figures.explain(metric, **options)
        assert public["count"] == 1
        text = json.dumps(public, default=str)
        assert "s2" not in text and "Secret lawyer note" not in text
        full = json.dumps(figures.explain(metric, include_restricted=True, **options), default=str)
        assert "s2" in full and "Secret lawyer note" in full
