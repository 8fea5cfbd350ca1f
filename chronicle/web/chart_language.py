"""Charts in the reader's language: the words of a chart's spec translated, months and digits as the language writes them.

chronicle.charts builds its specs in English (the reports are English). For
the web app, `localise` returns a copy of a spec with every word a reader
sees put through the catalog: titles, the stamp, axis and tooltip titles,
legend entries (the values of the series, figure and category fields and
the scales' domains) and the sentence of an empty chart. `draw` renders it
with Vega's number and time locales built from Babel's data for the
language, so "Apr 2024" reads "крас 2024" in Belarusian and thousands are
grouped the language's way.

`chart_words` finds the words by building one chart of each kind from
sample figures, so the catalogs (chronicle.web.catalogs) always hold every
word the charts use.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from functools import cache
from typing import Any

from babel import Locale
from babel.numbers import get_decimal_symbol, get_group_symbol

from chronicle import charts
from chronicle.web import i18n

Translate = Callable[[str], str]

WORD_FIELDS = ("series", "figure", "message")  # data fields whose values a legend or an empty chart shows
STAMP = re.compile(r"^(?:As of (?P<day>\S+) · )?(?P<known>[Kk]nown) at (?P<moment>.+? UTC) · Chronicle(?P<rest>.*)$")


def localise(spec: dict[str, Any], translate: Translate) -> dict[str, Any]:
    """A copy of the spec with what a reader sees translated."""
    spec = copy.deepcopy(spec)
    _walk(spec, translate)
    return spec


def _walk(node: Any, translate: Translate) -> None:
    if isinstance(node, list):
        for item in node:
            _walk(item, translate)
        return
    if not isinstance(node, dict):
        return
    for key, value in node.items():
        if key == "title" and isinstance(value, str):
            node[key] = translate(value)
        elif key == "title" and isinstance(value, dict):
            if isinstance(value.get("text"), str):
                value["text"] = translate(value["text"])
            if isinstance(value.get("subtitle"), str):
                value["subtitle"] = _stamp(value["subtitle"], translate)
        elif key in ("domain", "sort") and isinstance(value, list):
            node[key] = [translate(item) if isinstance(item, str) else item for item in value]
        elif key == "values" and isinstance(value, list):
            for row in value:
                if isinstance(row, dict):
                    for field in WORD_FIELDS:
                        if isinstance(row.get(field), str):
                            row[field] = translate(row[field])
                    if isinstance(row.get("category"), str):
                        word = translate(row["category"].lower())
                        row["category"] = word[:1].upper() + word[1:]
        else:
            _walk(value, translate)


def _stamp(text: str, translate: Translate) -> str:
    """'As of 2026-09-30 · known at 2026-11-24 22:51 UTC · Chronicle' with its words translated."""
    found = STAMP.match(text)
    if found is None:
        return text
    parts = []
    if found["day"]:
        parts.append(translate("As of {day}").format(day=found["day"]))
        parts.append(translate("known at {moment}").format(moment=found["moment"]))
    else:
        parts.append(translate("Known at {moment}").format(moment=found["moment"]))
    parts.append("Chronicle")
    return " · ".join(parts) + found["rest"]


def draw(spec: dict[str, Any]) -> str:
    """The chart as SVG in the reader's language."""
    language = i18n.current_language()
    if language == i18n.DEFAULT_LANGUAGE:
        return charts.to_svg(spec)
    numbers, times = vega_locales(language)
    return charts.to_svg(localise(spec, i18n.gettext_), format_locale=numbers, time_format_locale=times)


@cache
def vega_locales(language: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """d3-format and d3-time-format locales for the language, from Babel's data."""
    locale = Locale.parse(language)
    numbers = {
        "decimal": get_decimal_symbol(locale),
        "thousands": get_group_symbol(locale),
        "grouping": [3],
        "currency": ["", ""],
    }

    def names(kind: str, width: str, count: int, start: int) -> list[str]:
        table = getattr(locale, kind)["stand-alone"][width]
        return [table[(start + number) % count if kind == "days" else start + number] for number in range(count)]

    # d3 counts days from Sunday; Babel from Monday (0).
    times = {
        "dateTime": "%x, %X",
        "date": "%d.%m.%Y",
        "time": "%H:%M:%S",
        "periods": ["AM", "PM"],
        "days": names("days", "wide", 7, 6),
        "shortDays": names("days", "abbreviated", 7, 6),
        "months": names("months", "wide", 12, 1),
        "shortMonths": [name.rstrip(".") for name in names("months", "abbreviated", 12, 1)],
    }
    return numbers, times


def chart_words() -> list[str]:
    """Every word the web app's charts show, from one chart of each kind (for the catalogs)."""
    found: set[str] = set()

    def collect(text: str) -> str:
        found.add(text)
        return text

    points = [{"from": "2024-01-01", "to": "2024-01-31", "value": 1}]
    specs = [
        charts.prisoners_chart(points, behind_bars=points, as_of="2024-01-31"),
        charts.monthly_flows_chart({"arrests": points, "releases": points, "pardons": points}, as_of="2024-01-31"),
        charts.category_chart({"journalist": 1}, as_of="2024-01-31"),
        charts.category_chart({}, as_of="2024-01-31"),
    ]
    for spec in specs:
        localise(spec, collect)
    localise({"title": {"text": "", "subtitle": charts.stamp(None, "2024-01-31T00:00:00Z")}}, collect)  # the stamp without a day
    return sorted(word for word in found if word and not re.fullmatch(r"[\d\-]+", word))
