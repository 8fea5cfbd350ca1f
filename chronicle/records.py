"""What each column of a data package means, both ways.

`parse_row` turns the text cells of one CSV row into the values stored in the
register (raising `InputError` with the column at fault); `format_row` turns
a stored row back into cells. Import, export, the generator's tests and the
web forms share these definitions, so a value means the same everywhere.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from datetime import datetime
from typing import Any

from chronicle.dates import PartialDate, first_day, format_timestamp, parse_timestamp
from chronicle.errors import InputError
from chronicle.package_format import LIST_SEPARATOR, RESOURCES_BY_NAME
from chronicle.schema import ID, NAME
from chronicle.vocabulary import EVENT_TYPES, GENDERS, RELEASE_REASONS, SENTENCE_KINDS

_ID_PATTERN = re.compile(r"[^\s;,][^;,]*")
MAX_SENTENCE_MONTHS = 12 * 100
MAX_URL = 4000  # the width of sources.url in chronicle/schema.py


class ColumnError(InputError):
    """A cell's value was refused; `column` says which."""

    def __init__(self, column: str, message: str):
        super().__init__(message)
        self.column = column


# Cell readers: each takes a stripped, non-empty cell.

def _identifier(cell: str) -> str:
    if len(cell) > ID:
        raise InputError(f"an id may have at most {ID} characters")
    if not _ID_PATTERN.fullmatch(cell):
        raise InputError(f"{cell!r} is not a usable id: ids may not contain ';' or ','")
    return cell


def _text(cell: str) -> str:
    return cell


def _short_text(cell: str) -> str:
    if len(cell) > NAME:
        raise InputError(f"at most {NAME} characters are allowed here, not {len(cell):,}")
    return cell


def _partial_date(cell: str) -> str:
    return str(PartialDate.parse(cell))


def _boolean(cell: str) -> bool:
    lowered = cell.lower()
    if lowered == "true":
        return True
    if lowered == "false":
        return False
    raise InputError(f"{cell!r} is not true or false")


def _months(cell: str) -> int:
    # str.isdigit alone admits digits such as '²' that int() refuses.
    if not (cell.isascii() and cell.isdigit()):
        raise InputError(f"{cell!r} is not a whole number of months")
    digits = cell.lstrip("0") or "0"
    if len(digits) > len(str(MAX_SENTENCE_MONTHS)) or int(digits) > MAX_SENTENCE_MONTHS:
        shown = digits if len(digits) <= 12 else f"{digits[:6]}... ({len(digits):,} digits)"
        raise InputError(f"{shown} months is more than {MAX_SENTENCE_MONTHS}; write life sentences as {MAX_SENTENCE_MONTHS}")
    return int(digits)


def _choice(allowed: tuple[str, ...]) -> Callable[[str], str]:
    canonical = {value: value for value in allowed}  # one string object per value, however many rows

    def read(cell: str) -> str:
        value = canonical.get(cell)
        if value is None:
            raise InputError(f"{cell!r} is not one of: {', '.join(allowed)}")
        return value

    return read


def _text_list(cell: str) -> list[str]:
    if LIST_SEPARATOR not in cell:  # the common case: one item
        if len(cell) > NAME:
            raise InputError(f"a list item may have at most {NAME} characters")
        return [cell]
    items = [item.strip() for item in cell.split(LIST_SEPARATOR)]
    for item in items:
        if len(item) > NAME:
            raise InputError(f"a list item may have at most {NAME} characters")
    return [item for item in items if item]


def _category_list(cell: str) -> list[str]:
    return [item.lower() for item in _text_list(cell)]


def _identifier_list(cell: str) -> list[str]:
    items = _text_list(cell)
    for item in items:
        _identifier(item)
    return items


def _url(cell: str) -> str:
    if not cell.lower().startswith(("http://", "https://")) or any(c.isspace() for c in cell):
        raise InputError(f"{cell!r} is not a web address starting with http:// or https://")
    if len(cell) > MAX_URL:
        raise InputError(f"a web address may have at most {MAX_URL} characters, not {len(cell):,}")
    return cell


def _timestamp(cell: str) -> datetime:
    try:
        return parse_timestamp(cell)
    except OverflowError:  # in range only before its conversion to UTC, e.g. 0001-01-01T00:00:00+01:00
        raise InputError(f"{cell!r} is out of the range of date-times") from None


# How to read each column: (reader, required, value when the cell is empty).
Columns = dict[str, tuple[Callable[[str], Any], bool, Any]]

COLUMNS: dict[str, Columns] = {
    "persons": {
        "person_id": (_identifier, True, None),
        "name": (_short_text, True, None),
        "name_be": (_short_text, False, None),
        "name_ru": (_short_text, False, None),
        "name_en": (_short_text, False, None),
        "aliases": (_text_list, False, []),
        "birth_date": (_partial_date, False, None),
        "gender": (_choice(GENDERS), False, None),
        "categories": (_category_list, False, []),
        "region": (_short_text, False, None),
        "public": (_boolean, False, False),
        "notes": (_text, False, None),
        "restricted_notes": (_text, False, None),
    },
    "events": {
        "event_id": (_identifier, True, None),
        "person_id": (_identifier, True, None),
        "type": (_choice(EVENT_TYPES), True, None),
        "date": (_partial_date, True, None),
        "place": (_short_text, False, None),
        "case_id": (_identifier, False, None),
        "charges": (_text_list, False, []),
        "sentence_months": (_months, False, None),
        "sentence_kind": (_choice(SENTENCE_KINDS), False, None),
        "destination": (_short_text, False, None),
        "reason": (_choice(RELEASE_REASONS), False, None),
        "politically_motivated": (_boolean, False, True),
        "source_ids": (_identifier_list, True, []),
        "recorded_at": (_timestamp, False, None),
        "retracted_at": (_timestamp, False, None),
        "note": (_text, False, None),
    },
    "cases": {
        "case_id": (_identifier, True, None),
        "name": (_short_text, True, None),
        "opened": (_partial_date, False, None),
        "description": (_text, False, None),
    },
    "organisations": {
        "organisation_id": (_identifier, True, None),
        "name": (_short_text, True, None),
        "kind": (_short_text, False, None),
    },
    "memberships": {
        "person_id": (_identifier, True, None),
        "organisation_id": (_identifier, True, None),
        "role": (_short_text, False, None),
    },
    "sources": {
        "source_id": (_identifier, True, None),
        "title": (_short_text, True, None),
        "publisher": (_short_text, False, None),
        "url": (_url, False, None),
        "published": (_partial_date, False, None),
        "restricted": (_boolean, False, False),
    },
}

# Columns that are record time, not content: they do not enter the digest.
RECORD_TIME = ("recorded_at", "retracted_at")

_READERS = {
    resource: tuple((column, read, required, default) for column, (read, required, default) in columns.items())
    for resource, columns in COLUMNS.items()
}
_CONTENT = {resource: tuple(c for c in columns if c not in RECORD_TIME) for resource, columns in COLUMNS.items()}


def parse_row(resource: str, cells: dict[str, str]) -> dict[str, Any]:
    """The stored values of one row; raises ColumnError naming the first bad column.

    Use `parse_row_all` to collect every bad column of a row.
    """
    values, errors = parse_row_all(resource, cells)
    if errors:
        raise errors[0]
    return values


def parse_row_all(resource: str, cells: dict[str, str]) -> tuple[dict[str, Any], list[ColumnError]]:
    """The stored values of one row and every column error in it.

    Events also get `day`, the first day of their date, for ordering and figures.
    """
    values: dict[str, Any] = {}
    errors: list[ColumnError] = []
    for column, read, required, default in _READERS[resource]:
        cell = cells.get(column)
        if cell:
            cell = cell.strip()
        if not cell:
            if required:
                errors.append(ColumnError(column, "must not be empty"))
            values[column] = [] if default == [] else default
            continue
        try:
            values[column] = read(cell)
        except InputError as error:
            errors.append(ColumnError(column, str(error)))
    if resource == "events" and not errors:
        if not values["source_ids"]:
            errors.append(ColumnError("source_ids", "every event must cite at least one source"))
        recorded, retracted = values["recorded_at"], values["retracted_at"]
        if retracted is not None and (recorded is None or retracted <= recorded):
            errors.append(ColumnError("retracted_at", "must be later than recorded_at (and recorded_at must be given)"))
        values["day"] = first_day(values["date"])
    return values, errors


def content_digest(resource: str, values: dict[str, Any]) -> str:
    """A short digest of a record's content, the same for equal content.

    The content is the tuple of the record's values (str, int, bool, None and
    lists of str), whose repr is exact and stable.
    """
    content = repr(tuple([values.get(column) for column in _CONTENT[resource]]))
    return hashlib.blake2b(content.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()


def format_cell(value: Any) -> str:
    """A stored value as a CSV cell."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return LIST_SEPARATOR.join(value)
    if isinstance(value, datetime):
        return format_timestamp(value)
    return str(value)


def format_row(resource: str, row: Any) -> list[str]:
    """The CSV cells of a stored row (a mapping with the package's columns)."""
    return [format_cell(row[column]) for column in RESOURCES_BY_NAME[resource].columns]
