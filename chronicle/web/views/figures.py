"""Figures in the web app: the internal dashboard, and the figures and series of the JSON API.

The dashboard shows the headline stock figures at the end of a chosen day
(`as_of`, default today) as the register knew them at a chosen moment
(`known_at`, default now), the flows of the month that day falls in, and
three charts; every number links to its explanation. The charts are the
Vega-Lite specs of chronicle.charts rendered to SVG on the server (no
script runs in the page) and kept until the register changes.
"""

from __future__ import annotations

from collections import OrderedDict
from datetime import date, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request

from chronicle import charts
from chronicle.dates import parse_date, parse_timestamp, utc_now
from chronicle.errors import InputError
from chronicle.figures import FLOW_METRICS, METRICS, STEPS, Figures, Filters
from chronicle.web import chart_language, i18n
from chronicle.web.access import READ_INTERNAL, Principal, public, require
from chronicle.web.deps import FiguresDep
from chronicle.web.i18n import gettext_ as _
from chronicle.web.rendering import page

router = APIRouter()

HEADLINE = ("political_prisoners", "behind_bars", "recognized_total", "died_in_custody", "in_exile")
MONTH_FLOWS = ("arrests", "releases", "pardons", "deportations", "deaths_in_custody", "new_recognitions", "convictions")
CHART_YEARS = 6
_CHART_CACHE_SIZE = 64


def figure_label(metric: str) -> str:
    return _(charts.LABELS[metric])


def day_option(text: str | None, name: str, default: date | None = None) -> date | None:
    if not text:
        return default
    try:
        return parse_date(text)
    except InputError as error:
        raise InputError(f"{name}: {error}") from None


def moment_option(text: str | None) -> datetime | None:
    if not text:
        return None
    if len(text) == 10:  # a day: the register as it was at the end of it
        text += "T23:59:59Z"
    try:
        return parse_timestamp(text)
    except InputError as error:
        raise InputError(f"known_at: {error}") from None


def month_of(day: date) -> tuple[date, date]:
    first = day.replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    return first, following - timedelta(days=1)


class ChartCache:
    """Rendered chart SVGs by (register version, chart, options), the oldest dropped first."""

    def __init__(self):
        self._items: OrderedDict[tuple, str] = OrderedDict()

    def get(self, key: tuple, make) -> str:
        if key in self._items:
            self._items.move_to_end(key)
            return self._items[key]
        value = make()
        self._items[key] = value
        if len(self._items) > _CHART_CACHE_SIZE:
            self._items.popitem(last=False)
        return value


def chart_cache(request: Request) -> ChartCache:
    cache = getattr(request.app.state, "chart_cache", None)
    if cache is None:
        cache = request.app.state.chart_cache = ChartCache()
    return cache


def headline_charts(figures: Figures, cache: ChartCache, as_of: date, known_at: datetime | None, stock: dict[str, Any]) -> dict[str, str]:
    """SVGs of political prisoners over the years, monthly arrests/releases/pardons, and categories."""
    version = figures._version() if known_at is None else ("known_at", known_at)
    start = date(as_of.year - CHART_YEARS + 1, 1, 1)
    flows_start = month_of(as_of)[0].replace(year=as_of.year - 1)

    def prisoners() -> str:
        points = figures.series("political_prisoners", start, as_of, step="month", known_at=known_at)
        behind_bars = figures.series("behind_bars", start, as_of, step="month", known_at=known_at)
        spec = charts.prisoners_chart(points, behind_bars=behind_bars, as_of=as_of, known_at=known_at, title=_("Behind bars, month by month"))
        return chart_language.draw(spec)

    def flows() -> str:
        data = {metric: figures.series(metric, flows_start, as_of, step="month", known_at=known_at) for metric in ("arrests", "releases", "pardons")}
        return chart_language.draw(charts.monthly_flows_chart(data, as_of=as_of, known_at=known_at, title=_("Arrests, releases and pardons by month")))

    def categories() -> str:
        counts = stock["political_prisoners_by_category"]
        return chart_language.draw(charts.category_chart(counts, as_of=as_of, known_at=known_at, title=_("Political prisoners by category")))

    made = {}
    for name, make in (("prisoners", prisoners), ("flows", flows), ("categories", categories)):
        if name == "categories" and not stock["political_prisoners_by_category"]:
            continue
        made[name] = cache.get((version, name, as_of, known_at, i18n.current_language()), make)
    return made


def dashboard_context(figures: Figures, as_of: date, known_at: datetime | None) -> dict[str, Any]:
    stock = figures.stock(as_of, known_at=known_at)
    start, end = month_of(as_of)
    end = min(end, as_of)  # the month up to the chosen day: nothing after it has happened yet
    flow = figures.flow(start, end, known_at=known_at)
    return {
        "as_of": as_of.isoformat(),
        "known_at": stock["known_at"],
        "stock": stock,
        "flow": flow,
        "month_from": start.isoformat(),
        "month_to": end.isoformat(),
        "headline": [(metric, figure_label(metric), stock[metric]) for metric in HEADLINE],
        "month_flows": [(metric, figure_label(metric), flow[metric]) for metric in MONTH_FLOWS],
        "categories": sorted(stock["political_prisoners_by_category"].items(), key=lambda item: (-item[1], item[0])),
        "genders": sorted(stock["political_prisoners_by_gender"].items(), key=lambda item: (-item[1], item[0])),
    }


@router.get("/dashboard", summary="The internal dashboard")
def dashboard(
    request: Request,
    figures: FiguresDep,
    principal: Annotated[Principal, Depends(require(READ_INTERNAL))],
    as_of: Annotated[str | None, Query(description="The day (YYYY-MM-DD); default today")] = None,
    known_at: Annotated[str | None, Query(description="Record time (ISO 8601 or a day); default now")] = None,
):
    day = day_option(as_of, "as_of", utc_now().date())
    moment = moment_option(known_at)
    context = dashboard_context(figures, day, moment)
    context["charts"] = headline_charts(figures, chart_cache(request), day, moment, context["stock"])
    context["known_at_text"] = known_at or ""
    return page(request, "dashboard.html", context)


def filters_of(case: str | None, category: str | None, region: str | None, organisation: str | None) -> Filters:
    return Filters(case=case or None, category=category or None, region=region or None, organisation=organisation or None)


@router.get("/api/v1/figures", summary="Stock figures at the end of a day, or flow figures over an interval (spec/cli.md shapes)")
def figures_json(
    figures: FiguresDep,
    principal: Annotated[Principal, Depends(public)],
    as_of: Annotated[str | None, Query(description="Stock figures at the end of this day (YYYY-MM-DD)")] = None,
    start: Annotated[str | None, Query(alias="from", description="First day of the interval")] = None,
    end: Annotated[str | None, Query(alias="to", description="Last day of the interval, included")] = None,
    known_at: Annotated[str | None, Query(description="Record time (ISO 8601); default now")] = None,
    case: str | None = None,
    category: str | None = None,
    region: str | None = None,
    organisation: str | None = None,
):
    filters = filters_of(case, category, region, organisation)
    moment = moment_option(known_at)
    if start or end:
        if as_of or not (start and end):
            raise InputError("give either as_of, or both from and to")
        return figures.flow(day_option(start, "from"), day_option(end, "to"), known_at=moment, filters=filters)
    return figures.stock(day_option(as_of, "as_of", utc_now().date()), known_at=moment, filters=filters)


@router.get("/api/v1/series/{metric}", summary="A time series of one figure")
def series_json(
    metric: str,
    figures: FiguresDep,
    principal: Annotated[Principal, Depends(public)],
    start: Annotated[str, Query(alias="from", description="First day (YYYY-MM-DD)")],
    end: Annotated[str, Query(alias="to", description="Last day, included (YYYY-MM-DD)")],
    step: Annotated[str, Query(description="day, week or month")] = "day",
    known_at: Annotated[str | None, Query(description="Record time (ISO 8601); default now")] = None,
    case: str | None = None,
    category: str | None = None,
    region: str | None = None,
    organisation: str | None = None,
):
    if metric not in METRICS:
        raise InputError(f"unknown metric {metric!r}; the metrics are: {', '.join(METRICS)}")
    if step not in STEPS:
        raise InputError(f"unknown step {step!r}: use one of {', '.join(STEPS)}")
    first, last = day_option(start, "from"), day_option(end, "to")
    if (last - first).days > 366 * 30:
        raise InputError("the interval is longer than 30 years")
    points = figures.series(metric, first, last, step=step, known_at=moment_option(known_at), filters=filters_of(case, category, region, organisation))
    return {"metric": metric, "step": step, "kind": "flow" if metric in FLOW_METRICS else "stock", "points": points}
