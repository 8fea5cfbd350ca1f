"""Explaining a figure: the persons or events behind it, with their events and sources.

A stock figure is explained by the persons it counts, each with the events
that put them there (the detention that opened their custody, the
recognition, the death, the deportation). A flow figure is explained by the
events it counts. The number of items always equals the figure; for a split
figure (by category, by gender) a person appears once per group they count
in, so the items add up to the sum of the groups.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import numpy as np
from sqlalchemy import select

from chronicle.dates import format_timestamp, utc_now
from chronicle.errors import InputError
from chronicle.figures import (
    _KIND,
    FLOW_METRICS,
    SPLIT_METRICS,
    STOCK_METRICS,
    Figures,
    Filters,
    Timeline,
    _check_interval,
    _check_metric,
    _flow_mask,
    _groups,
    _StockState,
    day_number,
)
from chronicle.register import known_at_filter
from chronicle.schema import events as events_table
from chronicle.schema import persons as persons_table
from chronicle.schema import sources as sources_table

EVENT_FIELDS = (
    "event_id", "type", "date", "place", "case_id", "charges", "sentence_months", "sentence_kind",
    "destination", "reason", "politically_motivated", "recorded_at",
)
SOURCE_FIELDS = ("source_id", "title", "publisher", "url", "published", "restricted")
CHUNK = 500


def explain(
    figures: Figures,
    metric: str,
    *,
    as_of: date | None = None,
    start: date | None = None,
    end: date | None = None,
    known_at: datetime | None = None,
    filters: Filters = Filters(),
    include_restricted: bool = False,
) -> dict[str, Any]:
    """The items behind one figure: persons for a stock figure, events for a flow figure."""
    stamp = known_at or utc_now()
    header: dict[str, Any] = {"metric": metric}
    if metric in STOCK_METRICS:
        header["as_of"] = as_of.isoformat() if as_of else None
    else:
        header["from"], header["to"] = (start.isoformat(), end.isoformat()) if start and end else (None, None)
    chosen = picks(figures, metric, as_of=as_of, start=start, end=end, known_at=known_at, filters=filters)
    details = _Details(figures, known_at, include_restricted)
    items = details.items(chosen, flow=metric in FLOW_METRICS)
    return {**header, "known_at": format_timestamp(stamp), "filters": filters.to_json(), "count": len(items), "items": items}


Pick = tuple[str, "str | None", list[int]]  # person_id, group of a split figure, rows of the events behind it


def picks(
    figures: Figures,
    metric: str,
    *,
    as_of: date | None = None,
    start: date | None = None,
    end: date | None = None,
    known_at: datetime | None = None,
    filters: Filters = Filters(),
) -> list[Pick]:
    """What a figure counts: one pick per person (stock) or event (flow), with the event rows behind it."""
    _check_metric(metric)
    if metric in STOCK_METRICS:
        if as_of is None or start is not None or end is not None:
            raise InputError(f"{metric} is a stock figure: give --as-of DATE (not --from/--to)")
        timeline, people, subset = figures._prepare(known_at, filters, rows=True, splits=metric in SPLIT_METRICS, up_to=as_of)
        return _stock_items(timeline, people, subset, metric, day_number(as_of))
    if start is None or end is None or as_of is not None:
        raise InputError(f"{metric} is a flow figure: give --from DATE --to DATE (not --as-of)")
    _check_interval(start, end)
    timeline, _people, _subset = figures._prepare(known_at, filters, rows=True, up_to=end)
    mask = _flow_mask(timeline, metric, day_number(start), day_number(end))
    return [(timeline.person_ids[p], None, [r]) for p, r in zip(timeline.person[mask].tolist(), timeline.row_id[mask].tolist())]


def _stock_items(timeline: Timeline, people, subset, metric: str, day: int) -> list[tuple[str, str | None, list[int]]]:
    """(person_id, group, row ids of the events that put them there) for each item of a stock figure."""
    state = _StockState(timeline, day)
    t = state.timeline
    latest = _latest_rows(t)
    first_recognized = _first_rows(t, t.kind == _KIND["recognized"])
    if metric == "behind_bars":
        persons = state.behind_bars()
        why = {p: [latest["detained"][p]] for p in persons.tolist()}
    elif metric in ("political_prisoners", *SPLIT_METRICS):
        persons = state.political_prisoners()
        why = {p: [latest["detained"][p], latest["recognized"][p]] for p in persons.tolist()}
    elif metric == "recognized_total":
        persons = state.recognized_total()
        why = {p: [first_recognized[p]] for p in persons.tolist()}
    elif metric == "died_in_custody":
        persons = state.died_in_custody()
        died = _first_rows(t, (t.kind == _KIND["died"]) & t.custody_before)
        why = {p: [died[p], first_recognized[p]] for p in persons.tolist()}
    elif metric == "in_exile":
        persons = state.in_exile()
        why = {p: [latest["deported"][p]] for p in persons.tolist()}
    else:
        raise InputError(f"{metric!r} is not a stock figure")
    if metric in SPLIT_METRICS:
        groups = _groups(metric, people, subset)
        return [
            (timeline.person_ids[p], key, why[p])
            for key, members in groups.items()
            for p in persons.tolist()
            if members[p]
        ]
    return [(timeline.person_ids[p], None, why[p]) for p in persons.tolist()]


def _latest_rows(t: Timeline) -> dict[str, dict[int, int]]:
    """For the kinds that explain a state: each person's latest row of that kind."""
    latest: dict[str, dict[int, int]] = {}
    for kind in ("detained", "recognized", "deported"):
        mask = t.kind == _KIND[kind]
        latest[kind] = dict(zip(t.person[mask].tolist(), t.row_id[mask].tolist()))  # later rows win
    return latest


def _first_rows(t: Timeline, mask: np.ndarray) -> dict[int, int]:
    first: dict[int, int] = {}
    for person, row in zip(t.person[mask].tolist(), t.row_id[mask].tolist()):
        first.setdefault(person, row)
    return first


class _Details:
    """Reads the persons, events and sources that items name."""

    def __init__(self, figures: Figures, known_at: datetime | None, include_restricted: bool):
        self.database = figures.database
        self.known_at = known_at
        self.include_restricted = include_restricted

    def items(self, picks: list[tuple[str, str | None, list[int]]], *, flow: bool) -> list[dict[str, Any]]:
        events = self._events(sorted({row for _, _, rows in picks for row in rows}))
        names = self._names(sorted({person for person, _, _ in picks}))
        sources = self._sources(sorted({s for event in events.values() for s in event["_source_ids"]}))
        for event in events.values():
            event["sources"] = [sources[s] for s in event["_source_ids"] if s in sources]
            del event["_source_ids"]
        items = []
        for person_id, group, rows in picks:
            if flow:
                items.append({"person_id": person_id, "name": names.get(person_id), **events[rows[0]]})
            else:
                item = {"person_id": person_id, "name": names.get(person_id)}
                if group is not None:
                    item["group"] = group
                item["events"] = [events[row] for row in rows]
                items.append(item)
        return items

    def _events(self, row_ids: list[int]) -> dict[int, dict[str, Any]]:
        columns = [events_table.c.row_id, events_table.c.source_ids, *(events_table.c[name] for name in EVENT_FIELDS)]
        found: dict[int, dict[str, Any]] = {}
        with self.database.reading() as connection:
            for start in range(0, len(row_ids), CHUNK):
                query = select(*columns).where(events_table.c.row_id.in_(row_ids[start : start + CHUNK]))
                for row in connection.execute(query).mappings():
                    event = {name: row[name] for name in EVENT_FIELDS}
                    event["recorded_at"] = format_timestamp(event["recorded_at"])
                    event["_source_ids"] = row["source_ids"]
                    found[row["row_id"]] = event
        return found

    def _names(self, person_ids: list[str]) -> dict[str, str]:
        names: dict[str, str] = {}
        with self.database.reading() as connection:
            for start in range(0, len(person_ids), CHUNK):
                query = select(persons_table.c.person_id, persons_table.c.name).where(
                    persons_table.c.person_id.in_(person_ids[start : start + CHUNK]), known_at_filter(persons_table, self.known_at)
                )
                names.update(dict(connection.execute(query).all()))
        return names

    def _sources(self, source_ids: list[str]) -> dict[str, dict[str, Any]]:
        found: dict[str, dict[str, Any]] = {}
        with self.database.reading() as connection:
            for start in range(0, len(source_ids), CHUNK):
                query = select(*(sources_table.c[name] for name in SOURCE_FIELDS)).where(
                    sources_table.c.source_id.in_(source_ids[start : start + CHUNK]), known_at_filter(sources_table, self.known_at)
                )
                for row in connection.execute(query).mappings():
                    if self.include_restricted or not row["restricted"]:
                        found[row["source_id"]] = dict(row)
        return found
