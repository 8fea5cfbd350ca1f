"""Keeping the interface's message catalogs complete: `python -m chronicle.web.catalogs`.

Collects every message of the web app (the `_()`, `gettext` and `ngettext`
calls in chronicle/web's Python files and templates, found by Babel's
extractors, and the words of the vocabulary, statuses and figure labels that
templates translate from data) and updates the Belarusian and Russian
catalogs in chronicle/web/locale: new messages are added untranslated, gone
ones are marked obsolete, translations are kept. `--check` only reports the
messages that have no translation yet and exits 1 when there are any (the
tests run the same check).
"""

from __future__ import annotations

import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

from chronicle import charts
from chronicle.duplicates import EVIDENCE_WORDS
from chronicle.schema import RECORD_TABLES
from chronicle.status import STATUS_LABELS
from chronicle.vocabulary import COMMON_CATEGORIES, EVENT_TYPES, RELEASE_REASONS, SENTENCE_KINDS
from chronicle.web.chart_language import chart_words
from chronicle.web.i18n import DEFAULT_LANGUAGE, LANGUAGES, LOCALE_DIR

WEB = Path(__file__).parent
METHODS = [("**.py", "python"), ("templates/**.html", "jinja2")]
OPTIONS = {"templates/**.html": {"extensions": "jinja2.ext.i18n"}}


def _intake_words() -> list[str]:
    """Claims' qualifiers and subsets (intake review), the resources of a data package (import page)."""
    from chronicle.web.views.intake import QUALIFIER_WORDS

    return [*(word for word in QUALIFIER_WORDS.values() if word), "category", "case", "organisation", "region", *RECORD_TABLES]


def dynamic_messages() -> list[str]:
    """Messages that templates translate from data: statuses, event types, kinds, reasons, categories, figures."""
    words = [name.replace("_", " ") for name in (*EVENT_TYPES, *SENTENCE_KINDS, *RELEASE_REASONS, *COMMON_CATEGORIES)]
    return sorted({*STATUS_LABELS.values(), *words, *charts.LABELS.values(), *chart_words(), *EVIDENCE_WORDS,
                   *_intake_words()})


def template_catalog() -> Catalog:
    """Every message of the web app, as a catalog without translations."""
    catalog = Catalog(project="Chronicle", fuzzy=False)
    for filename, line, message, comments, _context in extract_from_dir(WEB, METHODS, OPTIONS):
        catalog.add(message, locations=[(f"chronicle/web/{filename}", line)], auto_comments=comments)
    for message in dynamic_messages():
        if message not in catalog:
            catalog.add(message, auto_comments=["from the vocabulary, statuses or figure labels"])
    return catalog


def _path(code: str) -> Path:
    return LOCALE_DIR / code / "LC_MESSAGES" / "messages.po"


def load(code: str) -> Catalog:
    path = _path(code)
    if not path.exists():
        return Catalog(locale=code, project="Chronicle", fuzzy=False)
    with path.open("rb") as handle:
        return read_po(handle, locale=code)


def untranslated(code: str, template: Catalog | None = None) -> list[str]:
    """The app's messages that the catalog of `code` does not translate."""
    template = template or template_catalog()
    catalog = load(code)
    missing = []
    for message in template:
        if not message.id:
            continue
        found = catalog.get(message.id)
        strings = (found.string if isinstance(found.string, (list, tuple)) else [found.string]) if found else [""]
        if found is None or not all(strings) or found.fuzzy:
            missing.append(message.id if isinstance(message.id, str) else message.id[0])
    return missing


def update() -> dict[str, int]:
    """Bring every catalog up to date with the app's messages; the number still untranslated per language."""
    template = template_catalog()
    counts = {}
    for code in LANGUAGES:
        if code == DEFAULT_LANGUAGE:
            continue
        catalog = load(code)
        catalog.update(template, no_fuzzy_matching=True)
        path = _path(code)
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as handle:
            write_po(handle, catalog, width=100, no_location=True, sort_output=True, ignore_obsolete=True)
        counts[code] = len(untranslated(code, template))
    return counts


def main(argv: list[str]) -> int:
    if "--check" in argv:
        template = template_catalog()
        problems = 0
        for code in LANGUAGES:
            if code == DEFAULT_LANGUAGE:
                continue
            missing = untranslated(code, template)
            problems += len(missing)
            for message in missing:
                print(f"{code}: no translation for {message!r}")
        return 1 if problems else 0
    for code, count in update().items():
        print(f"{_path(code)}: {count} messages without a translation")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
