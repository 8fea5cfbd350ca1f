"""The interface in Belarusian, Russian and English: gettext catalogs through Babel.

The catalogs are `chronicle/web/locale/<code>/LC_MESSAGES/messages.po`,
compiled in memory when the app starts (no compiled `.mo` files in the
repository). English is the source language and the fallback: a message
without a translation shows in English.

The language of a request is, in order: the `lang` cookie (set by
`/language/{code}`), the browser's `Accept-Language`, English. Dates and
numbers are formatted for it with Babel; a partial date keeps its precision
("2021", "March 2021", "3 March 2021").
"""

from __future__ import annotations

import gettext
import io
from contextvars import ContextVar
from datetime import date, datetime
from functools import cache, lru_cache
from pathlib import Path

from babel import Locale
from babel.dates import format_date as babel_format_date
from babel.dates import format_datetime as babel_format_datetime
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal

LANGUAGES: dict[str, str] = {"en": "English", "be": "Беларуская", "ru": "Русский"}
DEFAULT_LANGUAGE = "en"
LOCALE_DIR = Path(__file__).parent / "locale"

_language: ContextVar[str] = ContextVar("chronicle_language", default=DEFAULT_LANGUAGE)


@cache
def translations(code: str) -> gettext.NullTranslations:
    """The compiled catalog of one language (English: none needed)."""
    path = LOCALE_DIR / code / "LC_MESSAGES" / "messages.po"
    if code == DEFAULT_LANGUAGE or not path.exists():
        return gettext.NullTranslations()
    with path.open("rb") as handle:
        catalog = read_po(handle, locale=code)
    compiled = io.BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return gettext.GNUTranslations(compiled)


def choose_language(cookie: str | None, accept_language: str | None) -> str:
    """The language of a request: the cookie, else the best of Accept-Language, else English."""
    if cookie in LANGUAGES:
        return cookie
    best: tuple[float, str] | None = None
    for part in (accept_language or "").split(","):
        piece = part.strip()
        if not piece:
            continue
        tag, _, params = piece.partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        code = tag.strip().lower().split("-")[0]
        if code in LANGUAGES and (best is None or quality > best[0]):
            best = (quality, code)
    return best[1] if best else DEFAULT_LANGUAGE


def set_language(code: str):
    """Make `code` the language of the current request; returns a token for `reset_language`."""
    return _language.set(code if code in LANGUAGES else DEFAULT_LANGUAGE)


def reset_language(token) -> None:
    _language.reset(token)


def current_language() -> str:
    return _language.get()


def gettext_(message: str) -> str:
    return translations(current_language()).gettext(message)


def ngettext_(singular: str, plural: str, count: int) -> str:
    return translations(current_language()).ngettext(singular, plural, count)


def _babel_locale() -> Locale:
    return Locale.parse(current_language())


def format_number(value: float | None) -> str:
    """A number with the language's digit grouping (1,174 / 1 174)."""
    if value is None:
        return ""
    return format_decimal(value, locale=_babel_locale())


def format_partial_date(value: str | date | None) -> str:
    """A date for reading: `YYYY`, `YYYY-MM` and `YYYY-MM-DD` keep their precision."""
    if value is None or value == "":
        return ""
    if isinstance(value, datetime):
        return babel_format_datetime(value, format="medium", locale=_babel_locale())
    if isinstance(value, date):
        return babel_format_date(value, format="medium", locale=_babel_locale())
    return _format_date_text(str(value), current_language())


@lru_cache(maxsize=65_536)
def _format_date_text(text: str, language: str) -> str:
    """A recorded date in one language (lists show thousands of the same few days)."""
    try:
        if len(text) == 4:
            return text
        if len(text) == 7:
            return babel_format_date(date.fromisoformat(text + "-01"), format="LLLL y", locale=Locale.parse(language))
        return babel_format_date(date.fromisoformat(text[:10]), format="medium", locale=Locale.parse(language))
    except ValueError:
        return text
