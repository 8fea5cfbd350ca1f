"""Charts of the figures: Vega-Lite v5 specs filled in from figures data, and rendering them.

Every function here returns a Vega-Lite specification as a plain dict, built
from what `chronicle.figures.Figures` returns (series points
`{"from", "to", "value"}`, stock objects); nothing is drawn by hand. The same
spec serves the web pages (vega-embed) and the reports: `render(spec, path)`
writes an SVG or a PNG, chosen by the file suffix, with vl-convert, which
carries Vega, Vega-Lite and the Liberation Sans font inside its wheel, so
rendering needs neither a network nor a browser nor system fonts.

Every chart carries its stamp as a subtitle, "As of YYYY-MM-DD · known at
YYYY-MM-DD HH:MM UTC · Chronicle" (and the filters, when any), so that a
chart cut out of a report still says what it counts and when.

The charts are 800 x 400 (the whole picture, titles and legend included);
PNGs are written at twice that many pixels, for print and high-density
screens.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from chronicle.dates import parse_timestamp, utc_now
from chronicle.errors import InputError
from chronicle.figures import FLOW_METRICS, GENDER_KEYS, METRICS, SPLIT_METRICS, STEPS, Filters

SCHEMA = "https://vega.github.io/schema/vega-lite/v5.json"
WIDTH, HEIGHT = 800, 400
PNG_SCALE = 2.0
# Bundled by vl-convert; the others are for browsers showing the SVG inline.
FONT = "Liberation Sans, Helvetica Neue, Helvetica, Arial, sans-serif"

INK = "#222222"
MUTED = "#666666"
PRISONERS = "#a1352b"  # political prisoners: the main figure, a sober red
BEHIND_BARS = "#8a96a3"  # everyone behind bars: a quiet grey-blue
ARRESTS = "#a1352b"
RELEASES = "#2f6690"
PARDONS = "#8db8d8"  # a lighter blue: pardons are a way out, like releases
CATEGORY = "#a1352b"
PALETTE = ["#2f6690", "#a1352b", "#d08c2f", "#4f8a5b", "#7b5ea7", "#8a96a3", "#c26d8f", "#3a9ca6", "#6b4f2f", "#b8a23a"]

LABELS = {
    "behind_bars": "People behind bars",
    "political_prisoners": "Political prisoners behind bars",
    "political_prisoners_by_category": "Political prisoners behind bars, by category",
    "political_prisoners_by_gender": "Political prisoners behind bars, by gender",
    "recognized_total": "People ever recognised as political prisoners",
    "died_in_custody": "Political prisoners who died in custody (total)",
    "in_exile": "People in exile after deportation",
    "arrests": "Politically motivated arrests",
    "releases": "Releases from custody",
    "pardons": "Pardons",
    "deportations": "Deportations",
    "deaths_in_custody": "Deaths in custody",
    "new_recognitions": "New recognitions as political prisoners",
    "convictions": "Convictions",
}
SHORT_LABELS = {"arrests": "Arrests", "releases": "Releases", "pardons": "Pardons"}
GENDER_LABELS = {"f": "Women", "m": "Men", "x": "Another gender", "unknown": "Not known"}
STEP_WORDS = {"day": "daily", "week": "weekly", "month": "monthly"}
PERIOD_WORDS = {"day": "Day", "week": "Week (Monday to Sunday)", "month": "Month"}

CONFIG: dict[str, Any] = {
    "font": FONT,
    "background": "white",
    "padding": {"left": 12, "right": 20, "top": 12, "bottom": 10},
    "view": {"stroke": None},
    "title": {
        "anchor": "start",
        "fontSize": 18,
        "fontWeight": "bold",
        "color": INK,
        "subtitleFontSize": 12,
        "subtitleColor": MUTED,
        "subtitlePadding": 6,
        "offset": 14,
    },
    "axis": {
        "labelFontSize": 12,
        "labelColor": "#444444",
        "titleFontSize": 12,
        "titleFontWeight": "normal",
        "titleColor": "#444444",
        "titlePadding": 10,
        "gridColor": "#e6e6e6",
        "domainColor": "#999999",
        "tickColor": "#999999",
        "labelOverlap": "greedy",
        "labelSeparation": 8,
    },
    "axisX": {"grid": False, "labelAngle": 0, "labelFlush": True},
    "axisY": {"domain": False, "ticks": False, "labelPadding": 6},
    "legend": {
        "orient": "top",
        "direction": "horizontal",
        "title": None,
        "labelFontSize": 12,
        "labelColor": INK,
        "symbolSize": 120,
        "columnPadding": 18,
        "labelLimit": 400,
        "offset": 6,
    },
    "line": {"strokeWidth": 2.25, "strokeCap": "round", "strokeJoin": "round"},
}


# The stamp


def stamp(
    as_of: date | str | None,
    known_at: datetime | str | None = None,
    filters: Filters | Mapping[str, Any] | None = None,
) -> str:
    """'As of 2026-09-30 · known at 2026-11-24 22:51 UTC · Chronicle' (then the filters, when any)."""
    moment = _moment(known_at)
    parts = []
    if as_of is not None:
        parts.append(f"As of {_day(as_of).isoformat()}")
    parts.append(f"{'known' if parts else 'Known'} at {moment:%Y-%m-%d %H:%M} UTC")
    parts.append("Chronicle")
    chosen = describe_filters(filters)
    if chosen:
        parts.append(chosen)
    return " · ".join(parts)


def describe_filters(filters: Filters | Mapping[str, Any] | None) -> str:
    """'case c0001, category journalist', or '' without filters."""
    if filters is None:
        return ""
    values = filters.to_json() if isinstance(filters, Filters) else dict(filters)
    return ", ".join(f"{key} {value}" for key, value in values.items() if value is not None)


def _moment(known_at: datetime | str | None) -> datetime:
    if known_at is None:
        return utc_now()
    if isinstance(known_at, str):
        return parse_timestamp(known_at)
    return known_at.astimezone(UTC) if known_at.tzinfo else known_at.replace(tzinfo=UTC)


def _day(value: date | str) -> date:
    return date.fromisoformat(value) if isinstance(value, str) else value


# The charts


def prisoners_chart(
    points: Sequence[Mapping[str, Any]],
    *,
    behind_bars: Sequence[Mapping[str, Any]] | None = None,
    as_of: date | str | None = None,
    known_at: datetime | str | None = None,
    filters: Filters | Mapping[str, Any] | None = None,
    title: str | None = None,
) -> dict[str, Any]:
    """Political prisoners behind bars over time: a line through the series points (any step).

    `points` is `Figures.series("political_prisoners", ...)`; `behind_bars`,
    if given, the same for `behind_bars`, drawn as a second, quieter line.
    Each point is placed at the end of its period, where a stock is counted.
    """
    lines = [("Political prisoners", points, PRISONERS)]
    if behind_bars is not None:
        lines.append(("Everyone behind bars, recognised or not", behind_bars, BEHIND_BARS))
    values = [
        {"date": point["to"], "series": name, "value": point["value"]}
        for name, series, _ in lines
        for point in series
    ]
    as_of = as_of or _last_day(points)
    spec = _base(title or "Political prisoners behind bars", stamp(as_of, known_at, filters), values)
    spec["layer"] = [
        {
            "mark": {"type": "line"},
            "encoding": {
                "x": _date_axis("date", "Date (end of day)"),
                "y": _count_axis("Persons"),
                "color": _colors("series", [name for name, _, _ in lines], [color for _, _, color in lines], legend=len(lines) > 1),
                "tooltip": [
                    {"field": "series", "type": "nominal", "title": "Figure"},
                    {"field": "date", "type": "temporal", "title": "Date", "format": "%Y-%m-%d", "scale": {"type": "utc"}},
                    {"field": "value", "type": "quantitative", "title": "Persons", "format": ",d"},
                ],
            },
        },
        _end_labels([name for name, _, _ in lines], [color for _, _, color in lines]),
    ]
    return spec


def monthly_flows_chart(
    flows: Mapping[str, Sequence[Mapping[str, Any]]],
    *,
    as_of: date | str | None = None,
    known_at: datetime | str | None = None,
    filters: Filters | Mapping[str, Any] | None = None,
    title: str | None = None,
) -> dict[str, Any]:
    """Arrests, releases and pardons month by month: grouped bars, one colour per figure.

    `flows` maps each of "arrests", "releases", "pardons" (any of them) to
    `Figures.series(metric, ..., step="month")`.
    """
    order = [metric for metric in ("arrests", "releases", "pardons") if metric in flows]
    unknown = set(flows) - set(order)
    if unknown:
        raise InputError(f"the monthly chart shows arrests, releases and pardons, not {', '.join(sorted(unknown))}")
    colors = {"arrests": ARRESTS, "releases": RELEASES, "pardons": PARDONS}
    months = [point["from"][:7] for point in flows[order[0]]] if order else []
    values = [
        {"month": point["from"][:7], "figure": SHORT_LABELS[metric], "value": point["value"], "from": point["from"], "to": point["to"]}
        for metric in order
        for point in flows[metric]
    ]
    as_of = as_of or (_last_day(flows[order[0]]) if order else None)
    names = [SHORT_LABELS[metric] for metric in order]
    spec = _base(title or "Arrests, releases and pardons by month", stamp(as_of, known_at, filters), values)
    spec["mark"] = {"type": "bar", "cornerRadiusEnd": 1}
    spec["encoding"] = {
        "x": {
            "field": "month",
            "type": "ordinal",
            "title": "Month",
            "sort": months,
            "scale": {"paddingInner": 0.25, "paddingOuter": 0.1},
            "axis": {"labelExpr": _month_labels(months[0] if months else ""), "labelOverlap": False, "labelFlush": False},
        },
        "xOffset": {"field": "figure", "type": "nominal", "sort": names},
        "y": _count_axis("Events"),
        "color": _colors("figure", names, [colors[metric] for metric in order], legend=True),
        "tooltip": [
            {"field": "figure", "type": "nominal", "title": "Figure"},
            {"field": "from", "type": "nominal", "title": "From"},
            {"field": "to", "type": "nominal", "title": "To"},
            {"field": "value", "type": "quantitative", "title": "Events", "format": ",d"},
        ],
    }
    return spec


def category_chart(
    counts: Mapping[str, int],
    *,
    as_of: date | str | None = None,
    known_at: datetime | str | None = None,
    filters: Filters | Mapping[str, Any] | None = None,
    title: str | None = None,
) -> dict[str, Any]:
    """Political prisoners by category: horizontal bars, largest first, each with its number.

    `counts` is `stock["political_prisoners_by_category"]` (a person with two
    categories counts in both, so the bars need not add up to the total).
    """
    values = [{"category": _category_label(name), "value": count} for name, count in counts.items()]
    spec = _base(title or "Political prisoners behind bars, by category", stamp(as_of, known_at, filters), values)
    if not values:
        return _nothing(spec, "No political prisoner belongs to a category.")
    # A bar per category: the height follows the number of categories, within reason.
    spec["height"] = max(160, min(HEIGHT, 70 + 40 * len(values)))
    y = {"field": "category", "type": "nominal", "title": None, "sort": {"field": "value", "order": "descending"}, "axis": {"labelLimit": 220}}
    x = _count_axis("Political prisoners (a person may count in several categories)")
    # Room at the right for the number written after the longest bar.
    x["scale"] = {"domain": [0, max(1, max(counts.values()) * 1.08)], "nice": True}
    x["axis"]["grid"] = True
    if max(counts.values()) <= 10:  # whole numbers only: the padded domain would otherwise get ticks 0, 0.2, ... shown as 0 0 0 1 1
        x["axis"]["values"] = list(range(max(counts.values()) + 1))
    spec["encoding"] = {"y": y, "x": x}
    spec["layer"] = [
        {
            "mark": {"type": "bar", "color": CATEGORY, "cornerRadiusEnd": 1, "height": {"band": 0.7}},
            "encoding": {"tooltip": [{"field": "category", "title": "Category"}, {"field": "value", "title": "Persons", "format": ",d"}]},
        },
        {
            "mark": {"type": "text", "align": "left", "baseline": "middle", "dx": 5, "fontSize": 12, "color": INK},
            "encoding": {"text": {"field": "value", "type": "quantitative", "format": ",d"}},
        },
    ]
    return spec


def series_chart(
    metric: str,
    points: Sequence[Mapping[str, Any]],
    step: str = "day",
    *,
    as_of: date | str | None = None,
    known_at: datetime | str | None = None,
    filters: Filters | Mapping[str, Any] | None = None,
    title: str | None = None,
) -> dict[str, Any]:
    """The chart of `Figures.series(metric, ...)`, for `chronicle series --png/--svg`.

    A stock figure is a line through the value at the end of each period (one
    line per key for the split figures); a flow figure is a bar per period,
    spanning the period's days.
    """
    if metric not in METRICS:
        raise InputError(f"unknown metric {metric!r}; the metrics are: {', '.join(METRICS)}")
    if step not in STEPS:
        raise InputError(f"unknown step {step!r}: use one of {', '.join(STEPS)}")
    as_of = as_of or _last_day(points)
    heading = title or f"{LABELS[metric]}, {STEP_WORDS[step]}"
    if metric in FLOW_METRICS:
        return _flow_bars(metric, points, step, heading, stamp(as_of, known_at, filters))
    if metric in SPLIT_METRICS:
        return _split_lines(metric, points, heading, stamp(as_of, known_at, filters))
    values = [{"date": point["to"], "series": LABELS[metric], "value": point["value"]} for point in points]
    spec = _base(heading, stamp(as_of, known_at, filters), values)
    color = PRISONERS if metric == "political_prisoners" else RELEASES
    spec["layer"] = [
        {
            "mark": {"type": "line", "color": color, "point": len(points) <= 40 and {"filled": True, "size": 30, "color": color}},
            "encoding": {
                "x": _date_axis("date", "Date (end of period)" if step != "day" else "Date (end of day)"),
                "y": _count_axis("Persons"),
                "tooltip": [
                    {"field": "date", "type": "temporal", "title": "Date", "format": "%Y-%m-%d", "scale": {"type": "utc"}},
                    {"field": "value", "type": "quantitative", "title": "Persons", "format": ",d"},
                ],
            },
        },
        _end_labels([LABELS[metric]], [color]),
    ]
    return spec


def _flow_bars(metric: str, points: Sequence[Mapping[str, Any]], step: str, heading: str, subtitle: str) -> dict[str, Any]:
    values = [
        {"start": point["from"], "end": (_day(point["to"]) + timedelta(days=1)).isoformat(), "from": point["from"], "to": point["to"], "value": point["value"]}
        for point in points
    ]
    spec = _base(heading, subtitle, values)
    gap = len(points) <= 80  # white edges between bars while they are wide enough to show them
    spec["mark"] = {"type": "bar", "color": ARRESTS if metric == "arrests" else RELEASES, **({"stroke": "white", "strokeWidth": 1} if gap else {})}
    spec["encoding"] = {
        "x": _date_axis("start", PERIOD_WORDS[step]),
        "x2": {"field": "end"},
        "y": _count_axis("Events"),
        "y2": {"datum": 0},
        "tooltip": [
            {"field": "from", "type": "nominal", "title": "From"},
            {"field": "to", "type": "nominal", "title": "To"},
            {"field": "value", "type": "quantitative", "title": "Events", "format": ",d"},
        ],
    }
    return spec


def _split_lines(metric: str, points: Sequence[Mapping[str, Any]], heading: str, subtitle: str) -> dict[str, Any]:
    keys: list[str] = []
    for point in points:
        keys.extend(key for key in point["value"] if key not in keys)
    if metric == "political_prisoners_by_gender":
        keys = [key for key in GENDER_KEYS if key in keys] + [key for key in keys if key not in GENDER_KEYS]
        label = _gender_label
    else:  # largest group at the last point first, so the legend reads like the chart
        last = points[-1]["value"] if points else {}
        keys.sort(key=lambda key: (-last.get(key, 0), key))
        label = _category_label
    names = [label(key) for key in keys]
    values = [
        {"date": point["to"], "series": label(key), "value": point["value"].get(key, 0)}
        for point in points
        for key in keys
    ]
    spec = _base(heading, subtitle, values)
    spec["layer"] = [
        {
            "mark": {"type": "line", "strokeWidth": 2},
            "encoding": {
                "x": _date_axis("date", "Date (end of period)"),
                "y": _count_axis("Persons"),
                "color": _colors("series", names, [PALETTE[index % len(PALETTE)] for index in range(len(names))], legend=True),
                "tooltip": [
                    {"field": "series", "type": "nominal", "title": "Group"},
                    {"field": "date", "type": "temporal", "title": "Date", "format": "%Y-%m-%d", "scale": {"type": "utc"}},
                    {"field": "value", "type": "quantitative", "title": "Persons", "format": ",d"},
                ],
            },
        }
    ]
    return spec


# Pieces shared by the charts


def _base(title: str, subtitle: str, values: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "$schema": SCHEMA,
        "title": {"text": title, "subtitle": subtitle},
        "width": WIDTH,
        "height": HEIGHT,
        "autosize": {"type": "fit", "contains": "padding"},
        "data": {"values": values},
        "config": CONFIG,
    }


def _nothing(spec: dict[str, Any], message: str) -> dict[str, Any]:
    """A chart with no data: its titles and a sentence saying so, instead of empty axes."""
    spec["height"] = 160
    spec["data"] = {"values": [{"message": message}]}
    spec["mark"] = {"type": "text", "fontSize": 14, "color": MUTED}
    spec["encoding"] = {"text": {"field": "message", "type": "nominal"}}
    return spec


def _date_axis(field: str, title: str) -> dict[str, Any]:
    """A time axis in UTC, so that a date is the same day whatever the machine's time zone."""
    return {
        "field": field,
        "type": "temporal",
        "title": title,
        "scale": {"type": "utc"},
        "axis": {"tickCount": 8, "labelExpr": _DATE_LABEL},
    }


# Ticks at whole years read "2024"; ticks within a year read "Apr 2024"
# (or "12 Apr 2024" inside a month): never a bare month that leaves the year
# to guesswork.
_DATE_LABEL = (
    "utcmonth(datum.value) == 0 && utcdate(datum.value) == 1 ? utcFormat(datum.value, '%Y')"
    " : utcdate(datum.value) == 1 ? utcFormat(datum.value, '%b %Y')"
    " : utcFormat(datum.value, '%-d %b %Y')"
)


def _count_axis(title: str) -> dict[str, Any]:
    return {"field": "value", "type": "quantitative", "title": title, "scale": {"nice": True, "zero": True}, "axis": {"format": ",d", "tickMinStep": 1}}


def _colors(field: str, names: list[str], colors: list[str], *, legend: bool) -> dict[str, Any]:
    return {
        "field": field,
        "type": "nominal",
        "sort": names,
        "scale": {"domain": names, "range": colors},
        "legend": {} if legend else None,
    }


def _end_labels(names: list[str], colors: list[str]) -> dict[str, Any]:
    """The latest value of each line, written just above its end."""
    return {
        "transform": [
            {"joinaggregate": [{"op": "max", "field": "date", "as": "last"}], "groupby": ["series"]},
            {"filter": "datum.date == datum.last"},
        ],
        "mark": {"type": "text", "align": "right", "baseline": "bottom", "dy": -6, "fontSize": 13, "fontWeight": "bold"},
        "encoding": {
            "x": {"field": "date", "type": "temporal", "scale": {"type": "utc"}},
            "y": {"field": "value", "type": "quantitative"},
            "text": {"field": "value", "type": "quantitative", "format": ",d"},
            "color": {"field": "series", "type": "nominal", "scale": {"domain": names, "range": colors}, "legend": None},
        },
    }


def _month_labels(first: str) -> str:
    """Axis labels for "YYYY-MM" values: the month, and under it the year at the first month and each January."""
    return (
        "[utcFormat(toDate(datum.value + '-01'), '%b'), "
        f"slice(datum.value, 5) == '01' || datum.value == '{first}' ? slice(datum.value, 0, 4) : '']"
    )


def _gender_label(key: str) -> str:
    return GENDER_LABELS.get(key, key)


def _category_label(name: str) -> str:
    return name[:1].upper() + name[1:] if name else "(none)"


def _last_day(points: Sequence[Mapping[str, Any]]) -> str | None:
    return points[-1]["to"] if points else None


# Rendering


def vegalite_version() -> str:
    """The newest Vega-Lite 5 release that vl-convert carries (the specs declare v5)."""
    import vl_convert

    fives = [version for version in vl_convert.get_vegalite_versions() if version.startswith("5.")]
    return max(fives, key=lambda version: tuple(int(part) for part in version.split(".")))


def to_svg(spec: Mapping[str, Any], *, format_locale: Mapping[str, Any] | None = None, time_format_locale: Mapping[str, Any] | None = None) -> str:
    """The chart as an SVG document (text drawn as <text>, fonts named, nothing fetched).

    The locales (d3-format and d3-time-format dictionaries) write numbers and
    month names in another language; by default, English.
    """
    import vl_convert

    locales = {}
    if format_locale is not None:
        locales["format_locale"] = dict(format_locale)
    if time_format_locale is not None:
        locales["time_format_locale"] = dict(time_format_locale)
    return vl_convert.vegalite_to_svg(dict(spec), vl_version=vegalite_version(), allowed_base_urls=[], **locales)


def to_png(spec: Mapping[str, Any], *, scale: float = PNG_SCALE) -> bytes:
    """The chart as PNG bytes, `scale` pixels per chart unit."""
    import vl_convert

    return vl_convert.vegalite_to_png(dict(spec), vl_version=vegalite_version(), scale=scale, allowed_base_urls=[])


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def render(spec: Mapping[str, Any], path: str | os.PathLike[str], *, scale: float = PNG_SCALE) -> Path:
    """Write the chart to `path`: SVG for a name ending in .svg, PNG for .png.

    The file appears whole or not at all (written beside it, then moved into place).
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".svg", ".png"):
        raise InputError(f"cannot tell the chart format of {path.name}: the name must end in .svg or .png")
    if not path.parent.is_dir():
        raise InputError(f"cannot write {path}: folder {path.parent} does not exist")
    content = to_svg(spec).encode("utf-8") if suffix == ".svg" else to_png(spec, scale=scale)
    handle, partial = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(content)
        os.chmod(partial, 0o666 & ~_umask())
        os.replace(partial, path)
    except BaseException:
        Path(partial).unlink(missing_ok=True)
        raise
    return path
