"""The current persons with what lists need of them: derived status, custody facts, name keys.

A list of persons is searched by any name in any script, filtered by derived
status, category, region, case, organisation and recognition, and sorted:
all things the database cannot do from the stored rows alone, because the
status is derived from events and names compare by their keys
(chronicle.names). `PersonIndex` reads the current persons and events once,
derives each person's `Entry`, and answers lists from memory until the
register changes (every write adds rows or retracts current ones, so the
version check is two cheap aggregates per table).

An entry's custody facts describe the person's latest custody: the day it
opened, the articles charged, the latest sentence and the place of detention
(the latest transfer, else the place of detention), as the public list shows
them.
"""

from __future__ import annotations

import re
import threading
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from typing import Any

from sqlalchemy import select

from chronicle.database import Database, epoch_day, fetch_raw
from chronicle.errors import InputError
from chronicle.figures import day_of
from chronicle.names import latin_key
from chronicle.redaction import NameRedactor
from chronicle.register import register_version
from chronicle.schema import events as events_table
from chronicle.schema import memberships as memberships_table
from chronicle.schema import persons as persons_table
from chronicle.schema import sources as sources_table
from chronicle.status import STATUS_LABELS, derive_status, event_sort_key
from chronicle.vocabulary import CUSTODY_CLOSING

LISTS_KEPT = 256  # lists answered from memory until the register changes
SORTS = ("name", "-name", "detained", "-detained", "region", "-region", "status")
STATUSES = tuple(STATUS_LABELS)


@dataclass
class Entry:
    """One current person as lists show them."""

    person_id: str
    name: str
    names: list[str]
    birth_date: str | None
    gender: str | None
    region: str | None
    categories: list[str]
    public: bool
    status: str
    recognized: bool
    since: date | None
    detained_on: str | None = None  # the date (as recorded) of the latest detention
    charges: list[str] = field(default_factory=list)
    sentence_months: int | None = None
    sentence_kind: str | None = None
    place: str | None = None
    cases: set[str] = field(default_factory=set)
    organisations: set[str] = field(default_factory=set)
    keys: frozenset[str] = frozenset()  # the name keys of every word of every name

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.status]

    @property
    def political_prisoner(self) -> bool:
        return self.status == "behind_bars" and self.recognized

    def summary(self, *, public: bool = False) -> dict[str, Any]:
        """The entry as a list's JSON row; `public` leaves out what the public list does not show."""
        row = {
            "person_id": self.person_id,
            "name": self.name,
            "region": self.region,
            "categories": list(self.categories),
            "status": self.status,
            "status_label": self.status_label,
            "recognized": self.recognized,
            "political_prisoner": self.political_prisoner,
            "since": self.since.isoformat() if self.since else None,
            "detained_on": self.detained_on,
            "charges": list(self.charges),
            "sentence_months": self.sentence_months,
            "sentence_kind": self.sentence_kind,
            "place": self.place,
        }
        if not public:
            row.update(birth_date=self.birth_date, gender=self.gender, public=self.public, names=list(self.names))
        return row


@dataclass(frozen=True)
class PersonQuery:
    """What a list asks for: search text, filters, sort, page."""

    search: str | None = None
    status: str | None = None
    category: str | None = None
    region: str | None = None
    case: str | None = None
    organisation: str | None = None
    recognized: bool | None = None
    political_prisoners: bool = False
    public_only: bool = False
    sort: str = "name"
    limit: int = 50
    offset: int = 0

    def __post_init__(self):
        if self.sort not in SORTS:
            raise InputError(f"unknown sort {self.sort!r}: use one of {', '.join(SORTS)}")
        if self.status is not None and self.status not in STATUSES:
            raise InputError(f"unknown status {self.status!r}: use one of {', '.join(STATUSES)}")
        if self.limit < 1 or self.offset < 0:
            raise InputError("limit must be at least 1 and offset at least 0")


@lru_cache(maxsize=200_000)
def _word_key(word: str) -> str:
    return latin_key(word)


def search_keys(text: str) -> list[str]:
    """The name keys of the words of a search text (any script, any spelling)."""
    return [key for key in (_word_key(word) for word in re.split(r"[\s,.;]+", text) if word) if key]


class PersonIndex:
    """The current persons of one register, derived once per version of the register.

    A `public` index is what the public site may show: only persons whose
    `public` is true, only the events a public export publishes (those with
    at least one source that is not restricted), and free text (places)
    with the names of non-public persons withheld, so the public list
    agrees with the open data.
    """

    def __init__(self, database: Database, *, public: bool = False, max_age: float = 0.0):
        self.database = database
        self.public = public
        self.max_age = max_age  # how stale the check for other processes' writes may be, in seconds
        self._lock = threading.Lock()
        self._version: tuple | None = None
        self._entries: dict[str, Entry] = {}
        self._by_name: list[Entry] = []
        self._redactor: NameRedactor | None = None
        self._lists: dict[tuple, list[Entry]] = {}  # filtered and sorted lists of this version, by query without paging
        self._facets: dict[str, list[str]] | None = None

    # Reading

    def entries(self) -> dict[str, Entry]:
        self._refresh()
        return self._entries

    def redactor(self) -> NameRedactor:
        """The names of non-public persons, to withhold from free text (a public index only)."""
        if not self.public:
            raise ValueError("only a public index withholds names")
        self._refresh()
        return self._redactor

    def get(self, person_id: str) -> Entry | None:
        return self.entries().get(person_id)

    def query(self, wanted: PersonQuery) -> tuple[list[Entry], int]:
        """A page of entries and how many match in all."""
        self._refresh()
        key = tuple(getattr(wanted, name) for name in wanted.__dataclass_fields__ if name not in ("limit", "offset"))
        rows = self._lists.get(key)
        if rows is None:
            rows = self._by_name
            if wanted.search and wanted.search.strip():
                rows = self._search(rows, wanted.search)
            rows = [entry for entry in rows if _passes(entry, wanted)]
            if wanted.sort != "name" or (wanted.search and wanted.search.strip()):
                rows = _sorted(rows, wanted.sort, keep_rank=bool(wanted.search and wanted.search.strip()) and wanted.sort == "name")
            if len(self._lists) >= LISTS_KEPT:
                self._lists.pop(next(iter(self._lists)))
            self._lists[key] = rows
        return rows[wanted.offset : wanted.offset + wanted.limit], len(rows)

    def facets(self) -> dict[str, list[str]]:
        """The categories and regions in use, for the filters of a list (worked out once per version)."""
        self._refresh()
        facets = self._facets
        if facets is None:
            entries = self._entries.values()
            facets = {
                "categories": sorted({category for entry in entries for category in entry.categories}),
                "regions": sorted({entry.region for entry in entries if entry.region}),
            }
            self._facets = facets
        return {name: list(values) for name, values in facets.items()}

    def _search(self, rows: list[Entry], text: str) -> list[Entry]:
        """Entries whose names contain the text, or whose name keys start with every word's key; best first."""
        wanted = text.strip().lower()
        keys = search_keys(text)
        found: list[tuple[int, Entry]] = []
        for entry in rows:
            if any(wanted in name.lower() for name in entry.names):
                found.append((0, entry))
            elif keys and all(any(key_of_name.startswith(key) for key_of_name in entry.keys) for key in keys):
                found.append((1, entry))
        found.sort(key=lambda pair: pair[0])
        return [entry for _, entry in found]

    # Loading

    def _current_version(self) -> tuple:
        return register_version(self.database, (persons_table, events_table, memberships_table, sources_table), max_age=self.max_age)

    def _refresh(self) -> None:
        version = self._current_version()
        if version == self._version:
            return
        with self._lock:
            if version == self._version:
                return
            entries, self._redactor = self._load()
            self._entries = entries
            self._lists = {}
            self._facets = None
            self._by_name = sorted(entries.values(), key=lambda entry: (entry.name.lower(), entry.person_id))
            self._version = version

    def _load(self) -> tuple[dict[str, Entry], NameRedactor | None]:
        person_columns = [persons_table.c[name] for name in (
            "person_id", "name", "name_be", "name_ru", "name_en", "aliases", "birth_date", "gender", "region", "categories", "public",
        )]
        event_columns = [*(events_table.c[name] for name in (
            "person_id", "type", "date", "place", "case_id", "charges", "sentence_months", "sentence_kind", "source_ids",
        )), epoch_day(events_table.c.day)]
        events: dict[str, list[dict[str, Any]]] = defaultdict(list)
        organisations: dict[str, set[str]] = defaultdict(set)
        with self.database.reading() as connection:
            people = [dict(row) for row in connection.execute(select(*person_columns).where(persons_table.c.retracted_at.is_(None))).mappings()]
            redactor = None
            if self.public:
                hidden = [name for person in people if not person["public"] for name in _names_of(person)]
                redactor = NameRedactor(hidden)
                people = [person for person in people if person["public"]]
                open_sources = set(connection.scalars(
                    select(sources_table.c.source_id).where(sources_table.c.retracted_at.is_(None), sources_table.c.restricted.is_(False))
                ))
            # Raw rows: several times faster than row objects for hundreds of thousands of events.
            days: dict[int, date] = {}
            query = select(*event_columns).where(events_table.c.retracted_at.is_(None))
            for person_id, kind, written, place, case_id, charges, months, sentence_kind, source_ids, day in fetch_raw(connection, query):
                if redactor is not None:
                    if not any(source in open_sources for source in (source_ids or "").split(";")):
                        continue
                    if place:
                        place = redactor.redact(place)
                if day not in days:
                    days[day] = day_of(day)
                events[person_id].append({
                    "type": kind, "date": written, "day": days[day], "place": place, "case_id": case_id,
                    "charges": charges.split(";") if charges else [], "sentence_months": months, "sentence_kind": sentence_kind,
                })
            query = select(memberships_table.c.person_id, memberships_table.c.organisation_id).where(memberships_table.c.retracted_at.is_(None))
            for person_id, organisation_id in connection.execute(query):
                organisations[person_id].add(organisation_id)
        entries: dict[str, Entry] = {}
        for person in people:
            person_id = person["person_id"]
            timeline = sorted(events.get(person_id, ()), key=event_sort_key)
            status = derive_status(timeline)
            names = _names_of(person)
            entry = Entry(
                person_id=person_id,
                name=person["name"],
                names=names,
                birth_date=person["birth_date"],
                gender=person["gender"],
                region=person["region"],
                categories=list(person["categories"] or []),
                public=bool(person["public"]),
                status=status.status,
                recognized=status.recognized,
                since=status.since,
                cases={event["case_id"] for event in timeline if event["case_id"]},
                organisations=organisations.get(person_id, set()),
                keys=frozenset(key for name in names for key in search_keys(name)),
            )
            _custody_facts(entry, timeline)
            entries[person_id] = entry
        return entries, redactor


def _names_of(person: dict[str, Any]) -> list[str]:
    """Every name form of a person, once each, the main name first."""
    forms = [person["name"], person["name_be"], person["name_ru"], person["name_en"], *(person["aliases"] or [])]
    return [name for name in dict.fromkeys(forms) if name]


def _custody_facts(entry: Entry, timeline: list[dict[str, Any]]) -> None:
    """The facts of the latest custody (or of the latest detention, if it has closed)."""
    start = None
    for index, event in enumerate(timeline):
        if event["type"] == "detained":
            start = index
    if start is None:
        return
    detention = timeline[start]
    entry.detained_on = detention["date"]
    entry.place = detention["place"]
    for event in timeline[start + 1 :]:
        if event["type"] in CUSTODY_CLOSING:
            break
        if event["type"] == "charged" and event["charges"]:
            entry.charges = list(event["charges"])
        elif event["type"] == "convicted":
            entry.sentence_months, entry.sentence_kind = event["sentence_months"], event["sentence_kind"]
            if event["charges"]:
                entry.charges = list(event["charges"])
        elif event["type"] == "transferred" and event["place"]:
            entry.place = event["place"]


def _passes(entry: Entry, wanted: PersonQuery) -> bool:
    if wanted.public_only and not entry.public:
        return False
    if wanted.political_prisoners and not entry.political_prisoner:
        return False
    if wanted.status is not None and entry.status != wanted.status:
        return False
    if wanted.recognized is not None and entry.recognized != wanted.recognized:
        return False
    if wanted.category and wanted.category.strip().lower() not in entry.categories:
        return False
    if wanted.region and (entry.region or "").lower() != wanted.region.strip().lower():
        return False
    if wanted.case and wanted.case not in entry.cases:
        return False
    return not (wanted.organisation and wanted.organisation not in entry.organisations)


def _sorted(rows: list[Entry], sort: str, *, keep_rank: bool) -> list[Entry]:
    if keep_rank:
        return rows
    descending = sort.startswith("-")
    field_name = sort.lstrip("-")
    if field_name == "name":
        key = lambda entry: (entry.name.lower(), entry.person_id)
    elif field_name == "detained":
        key = lambda entry: (entry.detained_on is None, entry.detained_on or "", entry.name.lower())
    elif field_name == "region":
        key = lambda entry: ((entry.region or "~").lower(), entry.name.lower())
    else:
        key = lambda entry: (entry.status, entry.name.lower())
    ordered = sorted(rows, key=key, reverse=descending)
    if field_name == "detained" and descending:  # unknown dates stay last
        ordered = [entry for entry in ordered if entry.detained_on] + [entry for entry in ordered if not entry.detained_on]
    return ordered
