"""Reconciling a figure stated elsewhere with the register's own (spec/figures.md, last section).

A claim ("at least 60 arrests last month", "1,174 political prisoners") is a
metric, a value, a qualifier, a date or a period, and a subset. The register
computes the same figure and says whether the claim holds under its
qualifier, or by how much it is off, and lists candidate records that may
explain the gap:

- when the register counts fewer than claimed: records that the definition
  leaves out but that another counter may have counted (persons held but not
  yet recognised, detentions not marked politically motivated, releases of
  persons not in custody, deaths at liberty);
- when the register counts more than claimed: the items the register learned
  after the claim's date (recorded later), which the other counter could not
  have known.

Qualifiers: `exact` holds for an equal value; `at_least` (at least, no fewer
than) for a register value >= the claim; `more_than` for >; `at_most` for <=;
`about` for a register value within 10% of the claim (at least 1 either way).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import numpy as np
from sqlalchemy import select

from chronicle.errors import InputError
from chronicle.explain import _Details, picks
from chronicle.figures import (
    _KIND,
    _RELEASING,
    FLOW_METRICS,
    SPLIT_METRICS,
    STOCK_METRICS,
    Figures,
    Filters,
    _StockState,
    day_number,
)
from chronicle.schema import events as events_table

QUALIFIERS = ("exact", "at_least", "more_than", "about", "at_most")
CANDIDATES_SHOWN = 50


def holds(register: int, claimed: int, qualifier: str) -> bool:
    """Whether the register's value bears out a claim with this qualifier."""
    if qualifier == "exact":
        return register == claimed
    if qualifier == "at_least":
        return register >= claimed
    if qualifier == "more_than":
        return register > claimed
    if qualifier == "at_most":
        return register <= claimed
    if qualifier == "about":
        return abs(register - claimed) <= max(1, round(0.1 * claimed))
    raise InputError(f"unknown qualifier {qualifier!r}: use one of {', '.join(QUALIFIERS)}")


def reconcile(
    figures: Figures,
    metric: str,
    value: int,
    qualifier: str,
    *,
    as_of: date | None = None,
    start: date | None = None,
    end: date | None = None,
    known_at: datetime | None = None,
    filters: Filters = Filters(),
    include_restricted: bool = False,
) -> dict[str, Any]:
    """Compare a claimed figure with the register's; see the module docstring."""
    if qualifier not in QUALIFIERS:
        raise InputError(f"unknown qualifier {qualifier!r}: use one of {', '.join(QUALIFIERS)}")
    if metric in SPLIT_METRICS:
        raise InputError(f"{metric} is split by group: reconcile political_prisoners with --category or a filter instead")
    if value < 0:
        raise InputError("a claimed figure cannot be negative")
    if metric in STOCK_METRICS:
        if as_of is None or start is not None or end is not None:
            raise InputError(f"{metric} is a stock figure: give --as-of DATE")
        register = figures.stock(as_of, known_at=known_at, filters=filters)
        when: dict[str, Any] = {"as_of": as_of.isoformat()}
        reference_day = as_of
    elif metric in FLOW_METRICS:
        if start is None or end is None or as_of is not None:
            raise InputError(f"{metric} is a flow figure: give --from DATE --to DATE")
        register = figures.flow(start, end, known_at=known_at, filters=filters)
        when = {"from": start.isoformat(), "to": end.isoformat()}
        reference_day = end
    else:
        raise InputError(f"unknown metric {metric!r}")
    ours = register[metric]
    result: dict[str, Any] = {
        "metric": metric,
        **when,
        "known_at": register["known_at"],
        "filters": filters.to_json(),
        "claimed": {"value": value, "qualifier": qualifier},
        "register": ours,
        "holds": holds(ours, value, qualifier),
        "difference": ours - value,
    }
    if ours < value:
        reason, picks = _left_out(figures, metric, known_at, filters, as_of=as_of, start=start, end=end)
    elif ours > value:
        reason = f"counted by the register but recorded after {reference_day.isoformat()}, so unknown on the claim's date"
        picks = _recorded_later(figures, metric, known_at, filters, reference_day, as_of=as_of, start=start, end=end)
    else:
        reason, picks = "the figures agree", []
    items = _Details(figures, known_at, include_restricted).items(picks[:CANDIDATES_SHOWN], flow=metric in FLOW_METRICS)
    result["candidates"] = {"reason": reason, "count": len(picks), "items": items}
    return result


def _left_out(figures: Figures, metric: str, known_at, filters, *, as_of, start, end) -> tuple[str, list]:
    """Records the definition leaves out that another counter may have counted."""
    if metric in STOCK_METRICS:
        timeline, _people, _subset = figures._prepare(known_at, filters, rows=True, up_to=as_of)
        state = _StockState(timeline, day_number(as_of))
        t = state.timeline
        if metric in ("political_prisoners", "recognized_total"):
            mask = t.last & t.custody_after & ~t.recognized_after
            reason = "held on that day but not (or no longer) recognised as political prisoners"
        elif metric == "behind_bars":
            mask = t.last & (t.kind == _KIND["house_arrest"])
            reason = "under house arrest on that day (not counted as behind bars)"
        elif metric == "died_in_custody":
            mask = (t.kind == _KIND["died"]) & ~(t.custody_before & np.isin(t.person, state.recognized_total()))
            reason = "died, but not in custody or never recognised"
        else:
            return "no records of this kind are left out by the definition", []
        return reason, [(t.person_ids[p], None, [r]) for p, r in zip(t.person[mask].tolist(), t.row_id[mask].tolist())]
    timeline, _people, _subset = figures._prepare(known_at, filters, rows=True, up_to=end)
    t = timeline
    within = (t.day >= day_number(start)) & (t.day <= day_number(end))
    if metric == "arrests":
        mask, reason = within & (t.kind == _KIND["detained"]) & ~t.political, "detentions in the period not marked politically motivated"
    elif metric == "releases":
        mask, reason = within & _RELEASING[t.kind] & ~t.custody_before, "releases in the period of persons the register did not hold in custody"
    elif metric == "deaths_in_custody":
        mask, reason = within & (t.kind == _KIND["died"]) & ~t.custody_before, "deaths in the period at liberty"
    else:
        return "no records of this kind are left out by the definition", []
    return reason, [(t.person_ids[p], None, [r]) for p, r in zip(t.person[mask].tolist(), t.row_id[mask].tolist())]


def _recorded_later(figures: Figures, metric: str, known_at, filters, reference_day: date, *, as_of, start, end) -> list:
    """The items of the register's figure with an event recorded after the claim's date."""
    chosen = picks(figures, metric, as_of=as_of, start=start, end=end, known_at=known_at, filters=filters)
    rows = sorted({row for _, _, item_rows in chosen for row in item_rows})
    later: set[int] = set()
    with figures.database.reading() as connection:
        for first in range(0, len(rows), 500):
            query = select(events_table.c.row_id, events_table.c.recorded_at).where(events_table.c.row_id.in_(rows[first : first + 500]))
            later.update(row for row, recorded in connection.execute(query) if recorded.date() > reference_day)
    return [pick for pick in chosen if any(row in later for row in pick[2])]
