"""A person's status, derived from their events (never typed in by hand).

The walk here is the custody rule of spec/figures.md applied to one person:
events in order of date, then the same-day order of the vocabulary;
`detained` opens custody, `house_arrest`, `released`, `pardoned`,
`deported` and `died` close it; `recognized` opens recognition and
`recognition_ended` closes it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from chronicle.vocabulary import (
    CUSTODY_CLOSING,
    CUSTODY_OPENING,
    EVENT_ORDER,
    RECOGNITION_CLOSING,
    RECOGNITION_OPENING,
)

# Status names and how a person reads them.
STATUS_LABELS = {
    "behind_bars": "behind bars",
    "house_arrest": "under house arrest",
    "released": "released",
    "in_exile": "in exile",
    "died": "died",
    "died_in_custody": "died in custody",
    "not_detained": "not detained",
}


@dataclass(frozen=True)
class Status:
    """Where a person stands at the end of a day."""

    status: str  # a key of STATUS_LABELS
    recognized: bool  # recognised as a political prisoner at that moment
    since: date | None  # the date of the event that set the status

    @property
    def label(self) -> str:
        return STATUS_LABELS[self.status]

    @property
    def political_prisoner(self) -> bool:
        return self.status == "behind_bars" and self.recognized


def event_sort_key(event: Any) -> tuple[date, int]:
    """Order of events: by first day of their date, then the same-day order of the vocabulary."""
    return (event["day"], EVENT_ORDER[event["type"]])


def derive_status(events: Iterable[Any], at_end_of: date | None = None) -> Status:
    """The status after the given events (mappings with `day` and `type`), up to `at_end_of` if given."""
    in_custody = False
    recognized = False
    status, since = "not_detained", None
    for event in sorted(events, key=event_sort_key):
        day, kind = event["day"], event["type"]
        if at_end_of is not None and day > at_end_of:
            break
        if kind in CUSTODY_OPENING:
            in_custody, status, since = True, "behind_bars", day
        elif kind in CUSTODY_CLOSING:
            if kind == "died":
                status = "died_in_custody" if in_custody else "died"
            elif kind == "deported":
                status = "in_exile"
            elif kind == "house_arrest":
                status = "house_arrest"
            else:
                status = "released"
            in_custody, since = False, day
        elif kind in RECOGNITION_OPENING:
            recognized = True
        elif kind in RECOGNITION_CLOSING:
            recognized = False
    return Status(status, recognized, since)
