"""The controlled vocabulary of the register (spec/register.md).

Everything that the spec enumerates lives here once: event types and their
same-day order, what each type does to custody and recognition, sentence
kinds, reasons for the end of custody, genders.
"""

from __future__ import annotations

# Same-day order of events (register.md, "Event vocabulary").
EVENT_TYPES: tuple[str, ...] = (
    "detained",
    "charged",
    "convicted",
    "transferred",
    "house_arrest",
    "released",
    "pardoned",
    "deported",
    "died",
    "recognized",
    "recognition_ended",
)

EVENT_ORDER: dict[str, int] = {name: index for index, name in enumerate(EVENT_TYPES)}

CUSTODY_OPENING = frozenset({"detained"})
CUSTODY_CLOSING = frozenset({"house_arrest", "released", "pardoned", "deported", "died"})
RECOGNITION_OPENING = frozenset({"recognized"})
RECOGNITION_CLOSING = frozenset({"recognition_ended"})

SENTENCE_KINDS: tuple[str, ...] = ("prison", "colony", "restricted_freedom", "fine", "suspended")

RELEASE_REASONS: tuple[str, ...] = (
    "end_of_term",
    "pardon",
    "amnesty",
    "exchange",
    "acquittal",
    "measure_changed",
)

GENDERS: tuple[str, ...] = ("f", "m", "x")

# Categories that the bundled generator and the docs use. The register
# accepts any lower-case category name; these are the common ones.
COMMON_CATEGORIES: tuple[str, ...] = (
    "journalist",
    "lawyer",
    "student",
    "musician",
    "foreigner",
    "minor",
)
