"""Partial dates and record-time stamps.

A partial date is `YYYY`, `YYYY-MM` or `YYYY-MM-DD`. It keeps its precision
wherever it is shown or stored, and for ordering and figures it counts as the
first day of its year or month (spec/register.md).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime

from chronicle.errors import InputError

_PARTIAL = re.compile(r"([0-9]{4})(?:-([0-9]{2})(?:-([0-9]{2}))?)?")
PRECISIONS = ("year", "month", "day")


@dataclass(frozen=True, order=True)
class PartialDate:
    """A date known to the year, the month or the day."""

    first_day: date
    precision: str  # "year", "month" or "day"

    @classmethod
    def parse(cls, text: str) -> PartialDate:
        """Read `YYYY`, `YYYY-MM` or `YYYY-MM-DD`; raise InputError saying what is wrong."""
        match = _PARTIAL.fullmatch(text.strip())
        if not match:
            raise InputError(f"{text!r} is not a date: write YYYY-MM-DD, YYYY-MM or YYYY")
        year, month, day = match.groups()
        if int(year) < 1800:
            raise InputError(f"{text!r} is not a plausible date: the year is before 1800")
        if month is not None and not 1 <= int(month) <= 12:
            raise InputError(f"{text!r} is not a date: there is no month {int(month)}")
        try:
            first_day = date(int(year), int(month or 1), int(day or 1))
        except ValueError:
            raise InputError(f"{text!r} is not a date: {year}-{month} has no day {int(day)}") from None
        precision = "day" if day else "month" if month else "year"
        return cls(first_day, precision)

    def __str__(self) -> str:
        if self.precision == "year":
            return f"{self.first_day.year:04d}"
        if self.precision == "month":
            return f"{self.first_day.year:04d}-{self.first_day.month:02d}"
        return self.first_day.isoformat()


def first_day(text: str) -> date:
    """The first day of a stored (already checked) partial date: `2021` -> 2021-01-01."""
    year, _, rest = text.partition("-")
    month, _, day = rest.partition("-")
    return date(int(year), int(month or 1), int(day or 1))


def parse_date(text: str) -> date:
    """A full calendar date, `YYYY-MM-DD`."""
    partial = PartialDate.parse(text)
    if partial.precision != "day":
        raise InputError(f"{text!r} is not a full date: write YYYY-MM-DD")
    return partial.first_day


def parse_timestamp(text: str) -> datetime:
    """An ISO 8601 date-time, returned in UTC. A time without offset is UTC; a bare date is its midnight."""
    value = text.strip()
    if value.endswith(("Z", "z")):
        value = value[:-1] + "+00:00"
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise InputError(f"{text!r} is not an ISO 8601 date-time such as 2021-03-04T10:15:00Z") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def format_timestamp(moment: datetime) -> str:
    """The exchange form of a record time: UTC with a `Z`, microseconds only when present."""
    moment = moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)
    text = moment.replace(tzinfo=None).isoformat(timespec="microseconds" if moment.microsecond else "seconds")
    return text + "Z"


def utc_now() -> datetime:
    """Now, in UTC, to the microsecond."""
    return datetime.now(UTC)
