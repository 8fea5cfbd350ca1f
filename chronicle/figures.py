"""The published figures (spec/figures.md), computed from events.

Every figure is computed from one walk over the events, done for all persons
at once with numpy: the events (as known at `known_at`) are sorted by person,
day and the same-day order of the vocabulary, and after each event the
person's custody, recognition and exile states are carried forward. A state
holds from the day of the event that set it until the day of the person's
next event. A stock figure at the end of day D counts the persons whose state
holds over D; a daily series is a histogram of those intervals, so it costs
O(events + days), not O(events x days).

Flow figures count events in a closed interval of days, with the state just
before each event where the definition needs it ("a release that closed an
open custody", "a death while custody was open").
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import numpy as np
from sqlalchemy import case, func, literal, select

from chronicle.database import Database, epoch_day, fetch_raw
from chronicle.dates import format_timestamp, utc_now
from chronicle.errors import InputError
from chronicle.person_keys import PersonIds
from chronicle.register import known_at_filter
from chronicle.schema import events as events_table
from chronicle.schema import memberships as memberships_table
from chronicle.schema import persons as persons_table
from chronicle.vocabulary import (
    CUSTODY_CLOSING,
    CUSTODY_OPENING,
    EVENT_ORDER,
    EVENT_TYPES,
    RECOGNITION_CLOSING,
    RECOGNITION_OPENING,
)

STOCK_METRICS: tuple[str, ...] = (
    "behind_bars",
    "political_prisoners",
    "political_prisoners_by_category",
    "political_prisoners_by_gender",
    "recognized_total",
    "died_in_custody",
    "in_exile",
)
FLOW_METRICS: tuple[str, ...] = (
    "arrests",
    "releases",
    "pardons",
    "deportations",
    "deaths_in_custody",
    "new_recognitions",
    "convictions",
)
METRICS = STOCK_METRICS + FLOW_METRICS
SPLIT_METRICS = ("political_prisoners_by_category", "political_prisoners_by_gender")
GENDER_KEYS = ("f", "m", "x", "unknown")
STEPS = ("day", "week", "month")

EPOCH = date(1970, 1, 1)
NEVER = np.iinfo(np.int32).max  # the "next day" after a person's last event

_KIND = {name: np.int8(index) for name, index in EVENT_ORDER.items()}
_KIND_CODES = dict(EVENT_ORDER)  # for the database to turn the type into its code
_OPENS_CUSTODY = np.array([name in CUSTODY_OPENING for name in EVENT_TYPES])
_CLOSES_CUSTODY = np.array([name in CUSTODY_CLOSING for name in EVENT_TYPES])
_OPENS_RECOGNITION = np.array([name in RECOGNITION_OPENING for name in EVENT_TYPES])
_CLOSES_RECOGNITION = np.array([name in RECOGNITION_CLOSING for name in EVENT_TYPES])
_RELEASING = np.array([name in ("released", "pardoned", "deported") for name in EVENT_TYPES])


def day_number(day: date) -> int:
    return (day - EPOCH).days


def day_of(number: int) -> date:
    return EPOCH + timedelta(days=int(number))


@dataclass(frozen=True)
class Filters:
    """The subset of persons a figure is computed over; None means no restriction."""

    case: str | None = None
    category: str | None = None
    region: str | None = None
    organisation: str | None = None

    def to_json(self) -> dict[str, str | None]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Filters:
        unknown = set(data) - {"case", "category", "region", "organisation"}
        if unknown:
            raise InputError(f"unknown filters: {', '.join(sorted(unknown))}")
        return cls(**data)

    @property
    def any(self) -> bool:
        return any(value is not None for value in asdict(self).values())


@dataclass
class Timeline:
    """All persons' events, sorted by person, day and same-day order, with the states after each event."""

    person_ids: PersonIds  # person key -> person id
    person: np.ndarray  # person code of each event
    day: np.ndarray  # days since 1970-01-01
    kind: np.ndarray  # index into EVENT_TYPES
    political: np.ndarray  # politically motivated
    row_id: np.ndarray  # the event version's row, for explanations
    first: np.ndarray = field(init=False)  # the event is the person's first
    last: np.ndarray = field(init=False)  # the event is the person's last
    next_day: np.ndarray = field(init=False)  # day of the person's next event, NEVER after the last
    custody_before: np.ndarray = field(init=False)
    custody_after: np.ndarray = field(init=False)
    recognized_after: np.ndarray = field(init=False)
    exile_after: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        order = np.lexsort((self.kind, self.day, self.person))
        for name in ("person", "day", "kind", "political", "row_id"):
            setattr(self, name, getattr(self, name)[order])
        count = len(self.person)
        self.first = np.ones(count, dtype=bool)
        self.first[1:] = self.person[1:] != self.person[:-1]
        self.last = np.ones(count, dtype=bool)
        self.last[:-1] = self.first[1:]
        self.next_day = np.full(count, NEVER, dtype=np.int32)
        self.next_day[:-1] = self.day[1:]
        self.next_day[self.last] = NEVER

        custody = _marks(_OPENS_CUSTODY[self.kind], _CLOSES_CUSTODY[self.kind])
        self.custody_after = _carry(custody, self.first)
        self.custody_before = np.zeros(count, dtype=bool)
        self.custody_before[1:] = self.custody_after[:-1]
        self.custody_before[self.first] = False
        recognition = _marks(_OPENS_RECOGNITION[self.kind], _CLOSES_RECOGNITION[self.kind])
        self.recognized_after = _carry(recognition, self.first)
        # Exile: the latest custody-closing event is a deportation and no detention came after it.
        custody_event = _OPENS_CUSTODY[self.kind] | _CLOSES_CUSTODY[self.kind]
        exile = np.where(custody_event, (self.kind == _KIND["deported"]).astype(np.int8), np.int8(-1))
        self.exile_after = _carry(exile, self.first)

    def restricted_to(self, persons: np.ndarray) -> Timeline:
        """The same timeline for a subset of persons (a boolean mask over person codes).

        States are per person, so they stay valid for the rows kept.
        """
        return self._rows(persons[self.person])

    def ending_by(self, day: int) -> Timeline:
        """The timeline cut after `day`: the states at the end of that day are those after each person's last row."""
        subset = self._rows(self.day <= day)
        subset.last = np.ones(len(subset.person), dtype=bool)
        subset.last[:-1] = subset.person[1:] != subset.person[:-1]
        return subset

    def _rows(self, keep: np.ndarray) -> Timeline:
        subset = object.__new__(Timeline)
        subset.person_ids = self.person_ids
        for name in _ROW_ARRAYS:
            setattr(subset, name, getattr(self, name)[keep])
        return subset


_ROW_ARRAYS = (
    "person", "day", "kind", "political", "row_id", "first", "last", "next_day",
    "custody_before", "custody_after", "recognized_after", "exile_after",
)


def _marks(opens: np.ndarray, closes: np.ndarray) -> np.ndarray:
    """1 where an event opens a state, 0 where it closes it, -1 where it leaves it alone."""
    marks = np.full(len(opens), -1, dtype=np.int8)
    marks[closes] = 0
    marks[opens] = 1
    return marks


def _carry(marks: np.ndarray, first: np.ndarray) -> np.ndarray:
    """The state after each event: the latest mark so far within the person, closed before any mark."""
    values = marks.copy()
    values[first & (values < 0)] = 0
    has_value = values >= 0
    positions = np.where(has_value, np.arange(len(values)), 0)
    np.maximum.accumulate(positions, out=positions)
    return values[positions].astype(bool)


@dataclass
class People:
    """The persons as known at `known_at` (and any that only events name): what splits and filters need.

    Arrays are indexed by person key (chronicle/person_keys.py), `count` long.
    """

    person_ids: PersonIds  # person key <-> person id
    count: int
    gender: np.ndarray  # "f", "m", "x" or "unknown"
    categories: np.ndarray  # categories as stored: names joined by ";", "" for none
    region: np.ndarray  # region or None

    def code(self, person_id: str) -> int | None:
        key = self.person_ids.key(person_id)
        return key if key is not None and key < self.count else None


class Figures:
    """Computes the figures of one register."""

    def __init__(self, database: Database, *, cache: bool = False, max_age: float = 0.0):
        """With `cache`, the current register is loaded once and reused until it changes.

        A long-lived caller (the web app, a report computing many figures) wants
        the cache; a one-off command does not: it loads only what one figure needs.
        """
        self.database = database
        self.cache = cache
        self.max_age = max_age  # how stale the check for other processes' writes may be, in seconds
        self._cached: tuple[tuple, Timeline, People] | None = None

    # Loading

    def _load(
        self,
        known_at: datetime | None,
        *,
        up_to: date | None = None,
        kinds: tuple[str, ...] | None = None,
        rows: bool = True,
        people: bool = True,
        regions: bool = True,
    ) -> tuple[Timeline, People]:
        """The persons and the events (optionally only up to a day, and of some kinds) as known at `known_at`.

        `rows=False` leaves out the events' row ids (all zero then): only explanations need them.
        `people=False` leaves out the persons' genders, categories and regions: only splits and filters need them;
        `regions=False` leaves out the regions alone: only the region filter needs them.

        Everything row by row is left to the database and to numpy: a million
        events load in well under a second.
        """
        people_query = select(
            persons_table.c.person_key,
            func.coalesce(persons_table.c.gender, "unknown"),
            func.coalesce(persons_table.c.categories, ""),
            persons_table.c.region if regions else literal(None),
        ).where(known_at_filter(persons_table, known_at))
        columns = [
            events_table.c.person_key, epoch_day(events_table.c.day), case(_KIND_CODES, value=events_table.c.type),
            events_table.c.politically_motivated,
        ]
        query = select(*columns, *([events_table.c.row_id] if rows else [])).where(known_at_filter(events_table, known_at))
        if kinds is not None:
            query = query.where(events_table.c.type.in_(kinds))
            if up_to is not None:  # with the kinds, the covering index serves the day too
                query = query.where(events_table.c.day <= up_to)
        with self.database.reading() as connection:
            person_rows = fetch_raw(connection, people_query) if people else []
            event_rows = fetch_raw(connection, query)
        # Every column of the events is an integer: one conversion for all of them.
        table = np.array(event_rows, dtype=np.int64).reshape(len(event_rows), 5 if rows else 4)
        person = table[:, 0].astype(np.int32)
        keys, genders, categories, regions = zip(*person_rows) if person_rows else ((), (), (), ())
        count = max(max(keys, default=-1), int(person.max()) if len(person) else -1) + 1
        known = np.array(keys, dtype=np.int64)
        gender = np.full(count, "unknown", dtype=object)
        gender[known] = genders
        person_categories = np.full(count, "", dtype=object)
        person_categories[known] = categories
        region = np.full(count, None, dtype=object)
        region[known] = regions
        persons = People(PersonIds(self.database), count, gender, person_categories, region)
        timeline = Timeline(
            person_ids=persons.person_ids,
            person=person,
            day=table[:, 1].astype(np.int32),
            kind=table[:, 2].astype(np.int8),
            political=table[:, 3].astype(bool),
            row_id=table[:, 4].copy() if rows else np.zeros(len(person), dtype=np.int64),
        )
        if up_to is not None and kinds is None:
            timeline = timeline._rows(timeline.day <= day_number(up_to))
        return timeline, persons

    def _subset(self, people: People, filters: Filters, known_at: datetime | None) -> np.ndarray | None:
        """A boolean mask over person codes for the filters, or None without filters."""
        if not filters.any:
            return None
        mask = np.ones(people.count, dtype=bool)
        if filters.category is not None:
            wanted = filters.category.strip().lower()
            mask &= _category_members(people, None).get(wanted, np.zeros(people.count, dtype=bool))
        if filters.region is not None:
            wanted = filters.region.strip().lower()
            mask &= np.array([(region or "").lower() == wanted for region in people.region], dtype=bool)
        with self.database.reading() as connection:
            if filters.case is not None:
                query = select(events_table.c.person_id).distinct().where(
                    events_table.c.case_id == filters.case, known_at_filter(events_table, known_at)
                )
                mask &= _mask_of(people, connection.scalars(query))
            if filters.organisation is not None:
                query = select(memberships_table.c.person_id).where(
                    memberships_table.c.organisation_id == filters.organisation,
                    known_at_filter(memberships_table, known_at),
                )
                mask &= _mask_of(people, connection.scalars(query))
        return mask

    def _version(self) -> tuple:
        """Changes whenever the register does (see chronicle.register.register_version)."""
        from chronicle.register import register_version

        return register_version(self.database, (events_table, persons_table, memberships_table), max_age=self.max_age)

    def _prepare(
        self, known_at, filters, *, rows: bool = False, splits: bool = False, **load
    ) -> tuple[Timeline, People, np.ndarray | None]:
        """The timeline and persons for a figure, restricted to the filters' subset.

        `rows`: the caller needs the events' row ids (explanations); `splits`: it
        splits by the persons' categories or gender.
        """
        if self.cache and known_at is None:
            version = self._version()
            if self._cached is None or self._cached[0] != version:
                self._cached = (version, *self._load(None))
            _, timeline, people = self._cached
        else:
            timeline, people = self._load(
                known_at, rows=rows, people=splits or filters.any, regions=filters.region is not None, **load
            )
        subset = self._subset(people, filters, known_at)
        if subset is not None:
            timeline = timeline.restricted_to(subset)
        return timeline, people, subset

    # Stock figures

    def stock(self, as_of: date, *, known_at: datetime | None = None, filters: Filters = Filters()) -> dict[str, Any]:
        """Every stock figure at the end of day `as_of` (the cli.md JSON object)."""
        stamp = known_at or utc_now()
        kinds = tuple(sorted(CUSTODY_OPENING | CUSTODY_CLOSING | RECOGNITION_OPENING | RECOGNITION_CLOSING))
        timeline, people, subset = self._prepare(known_at, filters, splits=True, up_to=as_of, kinds=kinds)
        state = _StockState(timeline, day_number(as_of))
        prisoners = state.political_prisoners()
        return {
            "as_of": as_of.isoformat(),
            "known_at": format_timestamp(stamp),
            "behind_bars": int(state.behind_bars().size),
            "political_prisoners": int(prisoners.size),
            "political_prisoners_by_category": _by_category(prisoners, people, subset),
            "political_prisoners_by_gender": _by_gender(prisoners, people),
            "recognized_total": int(state.recognized_total().size),
            "died_in_custody": int(state.died_in_custody().size),
            "in_exile": int(state.in_exile().size),
        }

    # Flow figures

    def flow(self, start: date, end: date, *, known_at: datetime | None = None, filters: Filters = Filters()) -> dict[str, Any]:
        """Every flow figure over the closed interval `start`..`end` (the cli.md JSON object)."""
        _check_interval(start, end)
        stamp = known_at or utc_now()
        timeline, _people, _subset = self._prepare(known_at, filters, up_to=end)
        counts = {metric: int(_flow_mask(timeline, metric, day_number(start), day_number(end)).sum()) for metric in FLOW_METRICS}
        return {"from": start.isoformat(), "to": end.isoformat(), "known_at": format_timestamp(stamp), **counts}

    # Series

    def series(
        self, metric: str, start: date, end: date, *, step: str = "day", known_at: datetime | None = None, filters: Filters = Filters()
    ) -> list[dict[str, Any]]:
        """One point per day, ISO week or calendar month of `start`..`end`.

        A stock metric's value is its value at the end of the period's last day;
        a flow metric's value is the flow over the period.
        """
        _check_metric(metric)
        _check_interval(start, end)
        if step not in STEPS:
            raise InputError(f"unknown step {step!r}: use one of {', '.join(STEPS)}")
        periods = _periods(start, end, step)
        timeline, people, subset = self._prepare(known_at, filters, splits=metric in SPLIT_METRICS, up_to=end)
        first, days = day_number(start), (end - start).days + 1
        ends = np.array([day_number(period_end) - first for _, period_end in periods])
        if metric in FLOW_METRICS:
            mask = _flow_mask(timeline, metric, first, first + days - 1)
            daily = np.bincount(timeline.day[mask] - first, minlength=days)
            cumulative = np.concatenate(([0], np.cumsum(daily)))
            starts = np.array([day_number(period_start) - first for period_start, _ in periods])
            values = (cumulative[ends + 1] - cumulative[starts]).tolist()
        elif metric in SPLIT_METRICS:
            groups = _groups(metric, people, subset)
            values = [{} for _ in periods]
            for key, members in groups.items():
                daily = _state_histogram(timeline, timeline.custody_after & timeline.recognized_after, first, days, members)
                for index, count in enumerate(daily[ends].tolist()):
                    values[index][key] = count
        else:
            values = _stock_daily(timeline, metric, first, days)[ends].tolist()
        return [
            {"from": period_start.isoformat(), "to": period_end.isoformat(), "value": value}
            for (period_start, period_end), value in zip(periods, values)
        ]


    # Explanations

    def explain(self, metric: str, **options: Any) -> dict[str, Any]:
        """The persons or events behind a figure: see chronicle.explain.explain."""
        from chronicle.explain import explain

        return explain(self, metric, **options)


class _StockState:
    """The states of every person at the end of one day."""

    def __init__(self, timeline: Timeline, day: int):
        self.day = day
        self.timeline = timeline.ending_by(day)
        self.final = self.timeline.last

    def _persons(self, state: np.ndarray) -> np.ndarray:
        return self.timeline.person[self.final & state]

    def behind_bars(self) -> np.ndarray:
        return self._persons(self.timeline.custody_after)

    def political_prisoners(self) -> np.ndarray:
        return self._persons(self.timeline.custody_after & self.timeline.recognized_after)

    def in_exile(self) -> np.ndarray:
        return self._persons(self.timeline.exile_after)

    def recognized_total(self) -> np.ndarray:
        return np.unique(self.timeline.person[self.timeline.kind == _KIND["recognized"]])

    def died_in_custody(self) -> np.ndarray:
        t = self.timeline
        died = np.unique(t.person[(t.kind == _KIND["died"]) & t.custody_before])
        return np.intersect1d(died, self.recognized_total(), assume_unique=True)


def _flow_mask(timeline: Timeline, metric: str, first: int, last: int) -> np.ndarray:
    """The events that a flow figure counts, over days `first`..`last`."""
    t = timeline
    within = (t.day >= first) & (t.day <= last)
    if metric == "arrests":
        return within & (t.kind == _KIND["detained"]) & t.political
    if metric == "releases":
        return within & _RELEASING[t.kind] & t.custody_before
    if metric == "pardons":
        return within & (t.kind == _KIND["pardoned"])
    if metric == "deportations":
        return within & (t.kind == _KIND["deported"])
    if metric == "deaths_in_custody":
        return within & (t.kind == _KIND["died"]) & t.custody_before
    if metric == "new_recognitions":
        return within & (t.kind == _KIND["recognized"])
    if metric == "convictions":
        return within & (t.kind == _KIND["convicted"])
    raise InputError(f"{metric!r} is not a flow figure")


def _state_histogram(timeline: Timeline, state: np.ndarray, first: int, days: int, members: np.ndarray | None = None) -> np.ndarray:
    """How many persons are in `state` at the end of each of `days` days from `first`.

    After an event the state holds from its day until the day of the person's
    next event (exclusive): a histogram of those intervals.
    """
    holds = state if members is None else state & members[timeline.person]
    starts = np.clip(timeline.day[holds].astype(np.int64) - first, 0, days)
    ends = np.clip(timeline.next_day[holds].astype(np.int64) - first, 0, days)
    keep = ends > starts
    changes = np.bincount(starts[keep], minlength=days + 1) - np.bincount(ends[keep], minlength=days + 1)
    return np.cumsum(changes)[:days]


def _first_days_histogram(person_days: dict[int, int], first: int, days: int) -> np.ndarray:
    """How many persons reached their day (given per person) by the end of each day."""
    values = np.array(list(person_days.values()), dtype=np.int64) - first
    values = values[values < days]
    counts = np.bincount(np.clip(values, 0, days), minlength=days + 1)[:days]
    return np.cumsum(counts)


def _first_day_per_person(timeline: Timeline, mask: np.ndarray) -> dict[int, int]:
    persons, days = timeline.person[mask], timeline.day[mask]
    first: dict[int, int] = {}
    for person, day in zip(persons.tolist(), days.tolist()):
        if person not in first or day < first[person]:
            first[person] = day
    return first


def _stock_daily(timeline: Timeline, metric: str, first: int, days: int) -> np.ndarray:
    t = timeline
    if metric == "behind_bars":
        return _state_histogram(t, t.custody_after, first, days)
    if metric == "political_prisoners":
        return _state_histogram(t, t.custody_after & t.recognized_after, first, days)
    if metric == "in_exile":
        return _state_histogram(t, t.exile_after, first, days)
    recognized = _first_day_per_person(t, t.kind == _KIND["recognized"])
    if metric == "recognized_total":
        return _first_days_histogram(recognized, first, days)
    if metric == "died_in_custody":
        died = _first_day_per_person(t, (t.kind == _KIND["died"]) & t.custody_before)
        both = {person: max(day, recognized[person]) for person, day in died.items() if person in recognized}
        return _first_days_histogram(both, first, days)
    raise InputError(f"{metric!r} is not a stock figure")


def _groups(metric: str, people: People, subset: np.ndarray | None) -> dict[str, np.ndarray]:
    """For a split metric: each key's members, as a mask over person keys."""
    if metric == "political_prisoners_by_gender":
        return {key: people.gender == key for key in GENDER_KEYS}
    return _category_members(people, subset)


def _category_members(people: People, subset: np.ndarray | None) -> dict[str, np.ndarray]:
    """Each category that some person (of the subset) has, with its members; sorted by name."""
    stored, inverse = np.unique(people.categories.astype(str), return_inverse=True)
    groups: dict[str, np.ndarray] = {}
    for index, text in enumerate(stored.tolist()):
        if not text:
            continue
        members = inverse == index
        if subset is not None:
            members &= subset
        if not members.any():
            continue
        for category in text.split(";"):
            groups[category] = groups[category] | members if category in groups else members
    return dict(sorted(groups.items()))


def _by_category(prisoners: np.ndarray, people: People, subset: np.ndarray | None) -> dict[str, int]:
    groups = _groups("political_prisoners_by_category", people, subset)
    return {key: int(members[prisoners].sum()) for key, members in groups.items()}


def _by_gender(prisoners: np.ndarray, people: People) -> dict[str, int]:
    groups = _groups("political_prisoners_by_gender", people, None)
    return {key: int(members[prisoners].sum()) for key, members in groups.items()}


def _mask_of(people: People, person_ids) -> np.ndarray:
    mask = np.zeros(people.count, dtype=bool)
    for person_id in person_ids:
        code = people.code(person_id)
        if code is not None:
            mask[code] = True
    return mask


def _periods(start: date, end: date, step: str) -> list[tuple[date, date]]:
    periods: list[tuple[date, date]] = []
    current = start
    while current <= end:
        if step == "day":
            period_end = current
        elif step == "week":
            period_end = current + timedelta(days=6 - current.weekday())
        else:
            following = date(current.year + current.month // 12, current.month % 12 + 1, 1)
            period_end = following - timedelta(days=1)
        period_end = min(period_end, end)
        periods.append((current, period_end))
        current = period_end + timedelta(days=1)
    return periods


def _check_metric(metric: str) -> None:
    if metric not in METRICS:
        raise InputError(f"unknown metric {metric!r}; the metrics are: {', '.join(METRICS)}")


def _check_interval(start: date, end: date) -> None:
    if end < start:
        raise InputError(f"the interval ends ({end}) before it starts ({start})")
