"""Withholding the names of people who have not consented to be named.

Public output (the public export, later the public pages and reports) passes
every free-text value through a `NameRedactor` built from the names of all
non-public persons: any occurrence of such a name, in any letter case, is
replaced by `[withheld]`. Matching is by substring, with an Aho-Corasick
automaton (pyahocorasick), so a name is caught inside a longer text such as
a case title or a source headline.
"""

from __future__ import annotations

from typing import Any

import ahocorasick

WITHHELD = "[withheld]"
SHORTEST_SUBSTRING = 3  # shorter names are withheld only where they are a whole value


class NameRedactor:
    """Replaces the given names wherever they occur in a text."""

    def __init__(self, names: list[str]):
        self._automaton = ahocorasick.Automaton()
        self._whole_values: set[str] = set()
        for name in names:
            key = name.strip().lower()
            if not key:
                continue
            self._whole_values.add(key)
            if len(key) >= SHORTEST_SUBSTRING:
                self._automaton.add_word(key, len(key))
        self._active = len(self._automaton) > 0
        if self._active:
            self._automaton.make_automaton()

    def redact(self, value: Any) -> Any:
        """The value with every listed name withheld; lists are redacted item by item."""
        if isinstance(value, list):
            return [self.redact(item) for item in value]
        if not isinstance(value, str) or not value:
            return value
        lowered = value.lower()
        if lowered.strip() in self._whole_values:
            return WITHHELD
        if not self._active:
            return value
        if len(lowered) != len(value):  # a letter whose lower case is longer: withhold the whole value
            return WITHHELD if any(True for _ in self._automaton.iter(lowered)) else value
        spans = [(end - length + 1, end + 1) for end, length in self._automaton.iter(lowered)]
        if not spans:
            return value
        return _replace_spans(value, spans)


def _replace_spans(text: str, spans: list[tuple[int, int]]) -> str:
    merged: list[list[int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    pieces, position = [], 0
    for start, end in merged:
        pieces.append(text[position:start])
        pieces.append(WITHHELD)
        position = end
    pieces.append(text[position:])
    return "".join(pieces)
