"""Reading numbers in English news text: digits and number words.

Decisions:
- "1,174" and "1 174" (space, no-break space or thin space between groups of
  three) are 1174. "1.174" is NOT read as 1174: in English a dot is a decimal
  point, and extraction never invents, so such a token is not a count.
- Number words up to the thousands: "fourteen", "twenty-one", "one hundred
  and twelve", "two thousand", "a dozen" (12), "a hundred", "a thousand".
- "dozens", "hundreds", "thousands", "scores" are not values.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

UNITS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13,
    "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18,
    "nineteen": 19,
}
TENS = {
    "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70,
    "eighty": 80, "ninety": 90,
}

_UNIT = "|".join(sorted(UNITS, key=len, reverse=True))
_TEN = "|".join(TENS)
# one word-number below a hundred: "twenty-one", "twenty one", "fourteen"
_BELOW_100 = rf"(?:(?:{_TEN})(?:[- ](?:{_UNIT}))?|(?:{_UNIT}))"
_HUNDREDS = rf"(?:(?:{_BELOW_100}|a)\s+hundred(?:\s+(?:and\s+)?{_BELOW_100})?|{_BELOW_100})"
_WORDS = rf"(?:(?:{_HUNDREDS}|a)\s+thousand(?:\s*,?\s+(?:and\s+)?{_HUNDREDS})?|{_HUNDREDS}|a\s+dozen)"
_DIGITS = r"(?:\d{1,3}(?:,\d{3})+|\d{1,3}(?:[ \u00a0\u202f\u2009]\d{3})+|\d+)"

NUMBER_RE = re.compile(
    rf"(?<![\w.,])(?:{_DIGITS}(?![\w]|[.,]\d)|(?:{_WORDS})(?![\w-]))",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Number:
    start: int
    end: int
    value: int
    text: str
    digits: bool


def _below_100(words: list[str]) -> int:
    total = 0
    for word in words:
        if word in TENS:
            total += TENS[word]
        elif word in UNITS:
            total += UNITS[word]
        else:
            raise ValueError(word)
    return total


def words_to_int(text: str) -> int | None:
    """The value of a number written in words, or None when it is not one."""
    words = [w for w in re.split(r"[\s,-]+", text.lower().strip()) if w and w != "and"]
    if not words:
        return None
    if words == ["a", "dozen"]:
        return 12
    total = 0
    current: list[str] = []
    try:
        i = 0
        group = 0
        while i < len(words):
            word = words[i]
            if word == "hundred":
                group = (_below_100(current) if current and current != ["a"] else 1) * 100
                current = []
            elif word == "thousand":
                base = group + (_below_100(current) if current and current != ["a"] else 0)
                if base == 0:
                    base = 1
                total += base * 1000
                group = 0
                current = []
            else:
                current.append(word)
            i += 1
        if current == ["a"]:
            return None
        group += _below_100(current) if current else 0
        return total + group
    except ValueError:
        return None


def parse_number(text: str) -> int | None:
    """The integer a number token stands for ("1,174", "1 174", "fourteen"), or None."""
    text = text.strip()
    if re.fullmatch(r"\d{1,3}(?:,\d{3})+|\d{1,3}(?:[ \u00a0\u202f\u2009]\d{3})+|\d+", text):
        return int(re.sub(r"\D", "", text))
    if re.fullmatch(r"[\d.,\s]+", text):
        return None  # "1.174", "3.5": not a count
    return words_to_int(text)


def find_numbers(text: str) -> list[Number]:
    """Every number in the text with its character offsets."""
    found = []
    for match in NUMBER_RE.finditer(text):
        raw = match.group(0)
        value = parse_number(raw)
        if value is None:
            continue
        found.append(Number(match.start(), match.end(), value, raw, raw[0].isdigit()))
    return found
