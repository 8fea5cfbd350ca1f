"""Extraction: candidate claims and events from a report's text (spec/extraction.md).

    extract(text, published=date(2025, 7, 8)) -> {"published": ..., "language": ..., "claims": [...], "events": [...]}

English is read by `chronicle.extraction.english`, Russian by
`chronicle.extraction.russian` (natasha), Belarusian by
`chronicle.extraction.belarusian` (patterns; events only for gazetteer names).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date

from chronicle.errors import InputError

LANGUAGES = ("en", "ru", "be")
_SURROGATE = re.compile("[\ud800-\udfff]")

__all__ = ["LANGUAGES", "detect_language", "extract"]


def detect_language(text: str) -> str:
    """"en" unless most letters are Cyrillic; then "be" when Belarusian-only letters appear, else "ru"."""
    letters = [c for c in text if c.isalpha()]
    if not letters:
        return "en"
    cyrillic = sum(1 for c in letters if "\u0400" <= c <= "\u04ff")
    if cyrillic * 2 <= len(letters):
        return "en"
    if re.search(r"[ўЎ]", text) or (re.search(r"[іІ]", text) and not re.search(r"[иИщЩъ]", text)):
        return "be"
    return "ru"


def extract(text: str, *, published: date, language: str | None = None, gazetteer: Iterable[str] = ()) -> dict:
    if not isinstance(published, date):
        raise InputError(f"published must be a date, not {published!r}")
    if language is not None and language not in LANGUAGES:
        raise InputError(f"unknown language {language!r}; expected one of {', '.join(LANGUAGES)}")
    surrogate = _SURROGATE.search(text)
    if surrogate:  # only a JSON escape such as "\ud800" makes one; the readers cannot take it
        raise InputError(f"the text holds half of a surrogate pair (U+{ord(surrogate.group()):04X}) at character "
                         f"{surrogate.start()}: it is not text")
    language = language or detect_language(text)
    claims: list[dict] = []
    events: list[dict] = []
    if language == "en":
        from chronicle.extraction.english import extract_english

        claims, events = extract_english(text, published, gazetteer)
    elif language == "ru":
        from chronicle.extraction.russian import extract_russian

        claims, events = extract_russian(text, published, gazetteer)
    elif language == "be":
        from chronicle.extraction.belarusian import extract_belarusian

        claims, events = extract_belarusian(text, published, gazetteer)
    return {"published": published.isoformat(), "language": language, "claims": claims, "events": events}
