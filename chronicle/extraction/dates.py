"""Resolving time phrases of English news text against the publication date.

`find_time_phrases(text, published)` returns every phrase it understands with
its offsets and a `TimeRef`: a closed interval of days (`start`..`end`) and a
precision (`day`, `week`, `month`, `year`, `range`). A single day has
start == end.

Rules (all relative to the publication date P):
- "today" = P; "yesterday" = P - 1 day;
- "on Monday" = the most recent Monday strictly before P;
- "last week" = the previous ISO week (Monday..Sunday); "this week" = the
  current ISO week up to P;
- "this month" / "earlier this month" = the first of P's month .. P;
- "last month" = the whole previous calendar month;
- "in May" = the most recent May that is not after P (May of P's year when
  P is in May or later, else the previous year's May), the whole month;
- "in May 2024" = that month; "in 2024" = that year;
- "this year" = 1 January of P's year .. P; "last year" = the previous year;
- "since July 2024" / "since 2020" / "since July 7" = that start .. P;
- explicit days: "July 7", "July 7, 2025", "7 July 2025", "2025-07-07";
  a day without a year is the most recent such day not after P.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta

MONTHS = {name.lower(): index for index, name in enumerate(calendar.month_name) if name}
MONTHS.update({name.lower(): index for index, name in enumerate(calendar.month_abbr) if name})
MONTHS["sept"] = 9
WEEKDAYS = {name.lower(): index for index, name in enumerate(calendar.day_name)}

_MONTH = r"(?:January|February|March|April|May|June|July|August|September|October|November|December|(?:Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept|Sep|Oct|Nov|Dec)\.?)"
_WEEKDAY = r"(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)"
_YEAR = r"(?:19|20)\d{2}"
_DAY = r"(?:[12]\d|3[01]|0?[1-9])(?:st|nd|rd|th)?"


@dataclass(frozen=True)
class TimeRef:
    start: date
    end: date
    precision: str  # day, week, month, year, range

    @property
    def is_day(self) -> bool:
        return self.start == self.end

    def as_period(self) -> dict:
        return {"from": self.start.isoformat(), "to": self.end.isoformat()}

    def event_date(self) -> tuple[str, str]:
        """(date, date_precision) for an event: day, month or year."""
        if self.precision == "day":
            return self.start.isoformat(), "day"
        if self.precision == "year":
            return f"{self.start.year:04d}", "year"
        if self.precision == "month" or (self.precision == "week" and self.start.month == self.end.month):
            return f"{self.start.year:04d}-{self.start.month:02d}", "month"
        if self.precision == "week":
            return f"{self.end.year:04d}-{self.end.month:02d}", "month"
        return f"{self.start.year:04d}", "year"  # range: only the year of its start is sure


@dataclass(frozen=True)
class TimePhrase:
    start: int
    end: int
    text: str
    ref: TimeRef
    since: bool = False


def month_range(year: int, month: int) -> tuple[date, date]:
    return date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])


def _month_number(word: str) -> int:
    return MONTHS[word.lower().rstrip(".")]


def _recent_month(month: int, published: date) -> int:
    """The year of the most recent such month not after the publication date."""
    return published.year if month <= published.month else published.year - 1


def _recent_day(month: int, day: int, published: date) -> date | None:
    for year in (published.year, published.year - 1):
        try:
            candidate = date(year, month, day)
        except ValueError:
            continue
        if candidate <= published:
            return candidate
    return None


def _day(text: str) -> int:
    return int(re.match(r"\d+", text).group(0))


_PATTERNS: list[tuple[str, str]] = [
    ("iso", r"\b(?P<y>\d{4})-(?P<m>\d{2})-(?P<d>\d{2})\b"),
    ("since_month_year", rf"\bsince\s+(?P<m>{_MONTH})\s+(?P<y>{_YEAR})\b"),
    ("since_day", rf"\bsince\s+(?:(?P<m>{_MONTH})\s+(?P<d>{_DAY})|(?P<d2>{_DAY})\s+(?P<m2>{_MONTH}))(?:,?\s+(?P<y>{_YEAR}))?\b"),
    ("since_month", rf"\bsince\s+(?P<m>{_MONTH})(?!\w)"),
    ("since_year", rf"\bsince\s+(?P<y>{_YEAR})\b"),
    ("day_month_year", rf"\b(?P<d>{_DAY})\s+(?P<m>{_MONTH})(?:,?\s+(?P<y>{_YEAR}))?\b"),
    ("month_day_year", rf"\b(?P<m>{_MONTH})\s+(?P<d>{_DAY})(?!\d)(?:,?\s+(?P<y>{_YEAR}))?\b"),
    ("month_year", rf"\b(?:in\s+|of\s+|during\s+)?(?P<m>{_MONTH})\s+(?P<y>{_YEAR})\b"),
    ("in_month", rf"\b(?:in|during|throughout|of)\s+(?P<m>{_MONTH})(?!\w)(?!\s+\d)"),
    ("in_year", rf"\b(?:in|during|throughout)\s+(?P<y>{_YEAR})\b"),
    ("weekday", rf"\b(?:on\s+|last\s+)?(?P<w>{_WEEKDAY})\b"),
    ("this_month", r"\b(?:earlier\s+|so\s+far\s+|since\s+the\s+start\s+of\s+)?this\s+month\b"),
    ("last_month", r"\b(?:last|past|previous)\s+month\b"),
    ("this_year", r"\b(?:(?:earlier|so\s+far)\s+this\s+year|(?:since\s+the\s+(?:start|beginning)\s+of\s+)(?:this|the)\s+year|this\s+year)\b"),
    ("last_year", r"\blast\s+year\b"),
    ("last_week", r"\b(?:last|past|previous)\s+week\b"),
    ("this_week", r"\b(?:earlier\s+)?this\s+week\b"),
    ("yesterday", r"\byesterday\b"),
    ("today", r"\btoday\b"),
]
_COMBINED = re.compile("|".join(f"(?P<{name}>{pattern.replace('(?P<', f'(?P<{name}_')})" for name, pattern in _PATTERNS), re.IGNORECASE)


def _resolve(kind: str, g: dict, published: date, *, month_number=None, weekdays=None) -> TimeRef | None:
    """The dates of one matched time phrase; `month_number` and `weekdays` read another language's words."""
    month_number = month_number or _month_number
    weekdays = weekdays or WEEKDAYS

    def get(key):
        return g.get(f"{kind}_{key}")

    y = get("y")
    if kind == "iso":
        try:
            d = date(int(y), int(get("m")), int(get("d")))
        except ValueError:
            return None
        return TimeRef(d, d, "day")
    if kind in ("day_month_year", "month_day_year", "since_day"):
        month = month_number(get("m") or get("m2"))
        day = _day(get("d") or get("d2"))
        if y:
            try:
                d = date(int(y), month, day)
            except ValueError:
                return None
        else:
            d = _recent_day(month, day, published)
            if d is None:
                return None
        if kind == "since_day":
            return TimeRef(d, published, "range")
        return TimeRef(d, d, "day")
    if kind == "since_month_year":
        start, _ = month_range(int(y), month_number(get("m")))
        return TimeRef(start, published, "range")
    if kind == "since_month":
        month = month_number(get("m"))
        start, _ = month_range(_recent_month(month, published), month)
        return TimeRef(start, published, "range")
    if kind == "since_year":
        return TimeRef(date(int(y), 1, 1), published, "range")
    if kind == "month_year":
        start, end = month_range(int(y), month_number(get("m")))
        return TimeRef(start, end, "month")
    if kind == "in_month":
        month = month_number(get("m"))
        start, end = month_range(_recent_month(month, published), month)
        return TimeRef(start, end, "month")
    if kind == "in_year":
        return TimeRef(date(int(y), 1, 1), date(int(y), 12, 31), "year")
    if kind == "weekday":
        wanted = weekdays[get("w").lower()]
        delta = (published.weekday() - wanted) % 7 or 7
        d = published - timedelta(days=delta)
        return TimeRef(d, d, "day")
    if kind == "this_month":
        return TimeRef(published.replace(day=1), published, "month")
    if kind == "last_month":
        last = published.replace(day=1) - timedelta(days=1)
        start, end = month_range(last.year, last.month)
        return TimeRef(start, end, "month")
    if kind == "this_year":
        return TimeRef(date(published.year, 1, 1), published, "year")
    if kind == "last_year":
        return TimeRef(date(published.year - 1, 1, 1), date(published.year - 1, 12, 31), "year")
    if kind == "last_week":
        monday = published - timedelta(days=published.weekday() + 7)
        return TimeRef(monday, monday + timedelta(days=6), "week")
    if kind == "this_week":
        return TimeRef(published - timedelta(days=published.weekday()), published, "week")
    if kind == "yesterday":
        d = published - timedelta(days=1)
        return TimeRef(d, d, "day")
    if kind == "today":
        return TimeRef(published, published, "day")
    return None


def find_time_phrases(text: str, published: date) -> list[TimePhrase]:
    """Every time phrase in the text, resolved, in order of position."""
    found = []
    for match in _COMBINED.finditer(text):
        kind = match.lastgroup
        # lastgroup is the innermost closing group; find the outer one that matched
        for name, _ in _PATTERNS:
            if match.group(name) is not None:
                kind = name
                break
        groups = {k: v for k, v in match.groupdict().items() if v is not None}
        # "May" is also a verb and a name: require a preposition, a day or a year
        ref = _resolve(kind, groups, published)
        if ref is None:
            continue
        found.append(TimePhrase(match.start(), match.end(), match.group(0), ref, kind.startswith("since")))
    return found


def resolve(phrase: str, published: date) -> TimeRef | None:
    """Resolve one phrase ("last month", "in May 2024"); None when not understood."""
    found = find_time_phrases(phrase, published)
    return found[0].ref if found else None
