"""A reference implementation of the figures of spec/figures.md, for the tests only.

It reads a data package's CSV files with the csv module and nothing else of
Chronicle (not the register, not the figures engine), and follows the spec
word by word with plain loops: for each person, walk their events in order
(date, then the same-day order of register.md) and keep the state the
definitions talk about. It is slow and meant to stay obviously right.

Choices where figures.md leaves room (the lead's, see the figures engine):
- an event row exists as known at `known_at` when `recorded_at <= known_at`
  and `retracted_at` is empty or later; `known_at=None` means now (every
  current row). An empty `recorded_at` means the time of import.
- persons and memberships carry no record time in a package: the register
  records a person (and their memberships) as known from the earliest
  `recorded_at` of the events that name them, or from the import when that is
  earlier or none is given; `persons_known_from` (rows backdated after the
  import) overrides that for every person. Their events count whether or not
  the person row is known then (figures.md filters event rows only); a person
  not yet known has no category, region, gender or membership, and so falls
  outside every category, region and organisation filter and counts as gender
  `unknown`.
- filters select persons: a case by any of their existing events (whatever
  its date), a category or region by the person row, an organisation by a
  membership; several filters must all hold. Flows count the events of the
  selected persons.
- partial dates count as their first day.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

# register.md, "Event vocabulary": the same-day order, and what each type does.
SAME_DAY_ORDER = [
    "detained", "charged", "convicted", "transferred", "house_arrest", "released",
    "pardoned", "deported", "died", "recognized", "recognition_ended",
]
CLOSES_CUSTODY = {"house_arrest", "released", "pardoned", "deported", "died"}
RELEASES = {"released", "pardoned", "deported"}
GENDERS = ("f", "m", "x", "unknown")

STOCK = (
    "behind_bars", "political_prisoners", "political_prisoners_by_category", "political_prisoners_by_gender",
    "recognized_total", "died_in_custody", "in_exile",
)
FLOW = ("arrests", "releases", "pardons", "deportations", "deaths_in_custody", "new_recognitions", "convictions")


@dataclass(frozen=True)
class Subset:
    """The reference's own filters (the same four as the engine's)."""

    case: str | None = None
    category: str | None = None
    region: str | None = None
    organisation: str | None = None


def first_day(text: str) -> date:
    """`2021` -> 2021-01-01, `2021-05` -> 2021-05-01, `2021-05-07` -> itself."""
    parts = [int(part) for part in text.strip().split("-")]
    return date(parts[0], parts[1] if len(parts) > 1 else 1, parts[2] if len(parts) > 2 else 1)


def moment(text: str) -> datetime:
    return datetime.fromisoformat(text.strip().replace("Z", "+00:00").replace("z", "+00:00"))


def fresh_state() -> dict:
    """A person's state before their first event."""
    return {
        "custody": False,  # custody open
        "recognition": False,  # recognition open
        "ever_recognized": False,
        "died_in_custody": False,  # a died event while custody was open
        "last_closing": None,  # type of the latest custody-closing event
        "detained_since_closing": False,  # a detained event after it
    }


def read_csv(folder: Path, name: str) -> list[dict[str, str]]:
    path = Path(folder) / f"{name}.csv"
    if not path.exists():
        return []
    with open(path, encoding="utf-8", newline="") as stream:
        return list(csv.DictReader(stream))


def split(cell: str) -> list[str]:
    return [item.strip() for item in (cell or "").split(";") if item.strip()]


class Reference:
    """The figures of one data package, computed the slow and plain way."""

    def __init__(self, folder: Path, *, imported_at: datetime, persons_known_from: datetime | None = None):
        self.imported_at = imported_at
        self.persons_known_from = persons_known_from
        self.persons = {row["person_id"]: row for row in read_csv(folder, "persons")}
        self.events = read_csv(folder, "events")
        for row in self.events:
            row["day"] = first_day(row["date"])
        self.memberships = read_csv(folder, "memberships")
        self.sources = {row["source_id"]: row for row in read_csv(folder, "sources")}
        self.first_recorded: dict[str, datetime] = {}
        for row in self.events:
            if row["recorded_at"]:
                when = moment(row["recorded_at"])
                if when < self.first_recorded.get(row["person_id"], self.imported_at):
                    self.first_recorded[row["person_id"]] = when
        self._timelines: dict[datetime | None, dict[str, list[dict]]] = {}

    # What exists as known at `known_at`

    def event_exists(self, row: dict[str, str], known_at: datetime | None) -> bool:
        if known_at is None:
            return not row["retracted_at"]
        recorded = moment(row["recorded_at"]) if row["recorded_at"] else self.imported_at
        return recorded <= known_at and (not row["retracted_at"] or moment(row["retracted_at"]) > known_at)

    def person_known(self, person_id: str, known_at: datetime | None) -> bool:
        if known_at is None:
            return True
        if self.persons_known_from is not None:
            return self.persons_known_from <= known_at
        return self.first_recorded.get(person_id, self.imported_at) <= known_at

    def timelines(self, known_at: datetime | None) -> dict[str, list[dict]]:
        """Each person's existing events, in order: date, then the same-day order."""
        if known_at not in self._timelines:
            self._timelines[known_at] = self._sorted_timelines(known_at)
        return self._timelines[known_at]

    def _sorted_timelines(self, known_at: datetime | None) -> dict[str, list[dict]]:
        timelines: dict[str, list[dict]] = defaultdict(list)
        for row in self.events:
            if self.event_exists(row, known_at):
                timelines[row["person_id"]].append(row)
        for events in timelines.values():
            events.sort(key=lambda row: (row["day"], SAME_DAY_ORDER.index(row["type"])))
        return dict(timelines)

    def categories(self, person_id: str, known_at: datetime | None) -> list[str]:
        if not self.person_known(person_id, known_at) or person_id not in self.persons:
            return []
        return [category.lower() for category in split(self.persons[person_id]["categories"])]

    def gender(self, person_id: str, known_at: datetime | None) -> str:
        if not self.person_known(person_id, known_at) or person_id not in self.persons:
            return "unknown"
        return self.persons[person_id]["gender"].strip() or "unknown"

    def selected(self, known_at: datetime | None, subset: Subset) -> list[str]:
        """The persons the filters select (all persons with a row or an existing event when unfiltered)."""
        timelines = self.timelines(known_at)
        chosen = []
        for person_id in sorted(set(self.persons) | set(timelines)):
            known = self.person_known(person_id, known_at)
            person = self.persons.get(person_id) if known else None
            if subset.case is not None and not any(row["case_id"] == subset.case for row in timelines.get(person_id, [])):
                continue
            if subset.category is not None and subset.category not in self.categories(person_id, known_at):
                continue
            if subset.region is not None and (person is None or person["region"] != subset.region):
                continue
            if subset.organisation is not None and not (
                known
                and any(m["person_id"] == person_id and m["organisation_id"] == subset.organisation for m in self.memberships)
            ):
                continue
            chosen.append(person_id)
        return chosen

    # The walk of figures.md

    @staticmethod
    def walk(events: list[dict[str, str]], until: date):
        """Yield (event, custody open before it, state after it) for each event on or before `until`."""
        state = fresh_state()
        for row in events:
            if row["day"] > until:
                break
            kind, custody_before = row["type"], state["custody"]
            if kind == "detained":
                state["custody"] = True
                state["detained_since_closing"] = True
            elif kind in CLOSES_CUSTODY:
                if kind == "died" and custody_before:
                    state["died_in_custody"] = True
                state["custody"] = False
                state["last_closing"] = kind
                state["detained_since_closing"] = False
            elif kind == "recognized":
                state["recognition"] = True
                state["ever_recognized"] = True
            elif kind == "recognition_ended":
                state["recognition"] = False
            yield row, custody_before, dict(state)

    def state_at_end_of(self, events: list[dict[str, str]], as_of: date) -> dict:
        state = fresh_state()
        for _row, _before, after in self.walk(events, as_of):
            state = after
        return state

    # Stock figures

    def stock_members(self, as_of: date, *, known_at: datetime | None = None, subset: Subset = Subset()) -> dict:
        """For each stock figure, who makes it up: person ids, or (person id, group) for the splits."""
        timelines = self.timelines(known_at)
        members: dict[str, list] = {name: [] for name in STOCK}
        for person_id in self.selected(known_at, subset):
            state = self.state_at_end_of(timelines.get(person_id, []), as_of)
            prisoner = state["custody"] and state["recognition"]
            if state["custody"]:
                members["behind_bars"].append(person_id)
            if prisoner:
                members["political_prisoners"].append(person_id)
                for category in self.categories(person_id, known_at):
                    members["political_prisoners_by_category"].append((person_id, category))
                members["political_prisoners_by_gender"].append((person_id, self.gender(person_id, known_at)))
            if state["ever_recognized"]:
                members["recognized_total"].append(person_id)
            if state["died_in_custody"] and state["ever_recognized"]:
                members["died_in_custody"].append(person_id)
            if state["last_closing"] == "deported" and not state["detained_since_closing"]:
                members["in_exile"].append(person_id)
        return members

    def category_keys(self, known_at: datetime | None, subset: Subset) -> set[str]:
        return {c for person_id in self.selected(known_at, subset) for c in self.categories(person_id, known_at)}

    def stock(self, as_of: date, *, known_at: datetime | None = None, subset: Subset = Subset()) -> dict:
        members = self.stock_members(as_of, known_at=known_at, subset=subset)
        figures = {name: len(members[name]) for name in STOCK}
        by_category = {category: 0 for category in self.category_keys(known_at, subset)}
        for _person_id, category in members["political_prisoners_by_category"]:
            by_category[category] += 1
        by_gender = {gender: 0 for gender in GENDERS}
        for _person_id, gender in members["political_prisoners_by_gender"]:
            by_gender[gender] += 1
        figures["political_prisoners_by_category"] = by_category
        figures["political_prisoners_by_gender"] = by_gender
        return figures

    # Flow figures

    def flow_members(self, start: date, end: date, *, known_at: datetime | None = None, subset: Subset = Subset()) -> dict:
        """For each flow figure, the event ids that make it up (in the interval start..end, both included)."""
        timelines = self.timelines(known_at)
        members: dict[str, list[str]] = {name: [] for name in FLOW}
        for person_id in self.selected(known_at, subset):
            for row, custody_before, _after in self.walk(timelines.get(person_id, []), end):
                if row["day"] < start:
                    continue
                kind, event_id = row["type"], row["event_id"]
                if kind == "detained" and row["politically_motivated"].strip().lower() != "false":
                    members["arrests"].append(event_id)
                if kind in RELEASES and custody_before:
                    members["releases"].append(event_id)
                if kind == "pardoned":
                    members["pardons"].append(event_id)
                if kind == "deported":
                    members["deportations"].append(event_id)
                if kind == "died" and custody_before:
                    members["deaths_in_custody"].append(event_id)
                if kind == "recognized":
                    members["new_recognitions"].append(event_id)
                if kind == "convicted":
                    members["convictions"].append(event_id)
        return members

    def flow(self, start: date, end: date, *, known_at: datetime | None = None, subset: Subset = Subset()) -> dict:
        return {name: len(ids) for name, ids in self.flow_members(start, end, known_at=known_at, subset=subset).items()}

    # Series

    @staticmethod
    def periods(start: date, end: date, step: str) -> list[tuple[date, date]]:
        """Days; ISO weeks Monday to Sunday; calendar months; the first and last clipped to start..end."""
        periods = []
        day = start
        while day <= end:
            if step == "day":
                last = day
            elif step == "week":
                last = day + timedelta(days=6 - day.weekday())
            else:
                following = date(day.year + day.month // 12, day.month % 12 + 1, 1)
                last = following - timedelta(days=1)
            last = min(last, end)
            periods.append((day, last))
            day = last + timedelta(days=1)
        return periods

    def series(self, metric: str, start: date, end: date, *, step: str, known_at=None, subset: Subset = Subset()) -> list[dict]:
        points = []
        for first, last in self.periods(start, end, step):
            if metric in STOCK:
                value = self.stock(last, known_at=known_at, subset=subset)[metric]
            else:
                value = self.flow(first, last, known_at=known_at, subset=subset)[metric]
            points.append({"from": first.isoformat(), "to": last.isoformat(), "value": value})
        return points

    # Helpers for choosing test inputs

    def record_moments(self) -> list[datetime]:
        """Every recorded_at and retracted_at in the package, sorted, without repeats."""
        moments = set()
        for row in self.events:
            for column in ("recorded_at", "retracted_at"):
                if row[column]:
                    moments.add(moment(row[column]))
        return sorted(moments)

    def restricted_source_ids(self) -> set[str]:
        return {source_id for source_id, row in self.sources.items() if row["restricted"].strip().lower() == "true"}
