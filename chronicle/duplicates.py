"""Persons of the register who are probably the same, and the persons an incoming name denotes (issue 5).

Both are scored by `chronicle.matching` (Splink on DuckDB with the project's
comparisons): every name form of a person (`name`, `name_be`, `name_ru`,
`name_en`, each alias) is one record carrying the person's birth date,
gender and region, and two persons score as their best pair of records.

- `propose_duplicates` matches all current persons against each other,
  drops the pairs of records inside one person, and proposes the person
  pairs at or above the threshold, best first, with the evidence a
  documentation officer needs to decide: the name forms compared and how
  they compare (surname stem, given-name group, patronymic), both birth
  dates, genders and regions and how they compare, and the cases,
  organisations and events (same type on the same date) both have. Persons
  merged into another and pairs marked "not the same"
  (`chronicle.merging.mark_not_same`) are not proposed.
- `link_name` (and `PersonIndex.link` for many names at once, which intake
  uses) takes a name from extraction or an import, picks the candidates
  that share a name key with it (the surname stem of any of its words, or
  a given-name group together with a similar surname stem), and scores only
  those.

The evidence describes the comparison; the probability alone decides what
is proposed. Cases and organisations are shown, not scored: two persons in
one case are as often relatives or co-defendants as one person twice.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from rapidfuzz.distance import JaroWinkler
from sqlalchemy import select

from chronicle.database import Database
from chronicle.dates import PartialDate
from chronicle.errors import InputError
from chronicle.matching import (
    MAX_PRIOR,
    MatchSettings,
    normalise_gender,
    normalise_region,
    predict_pairs,
    prepare_record,
)
from chronicle.merging import database_of, merged_away, name_forms, not_same_pairs
from chronicle.names import given_name_groups, parse_name, surname_stem
from chronicle.register import Register, known_at_filter
from chronicle.schema import cases, events, memberships, organisations, persons
from chronicle.vocabulary import GENDERS

PROPOSAL_THRESHOLD = 0.8
"""Below `chronicle match`'s 0.9: a person reviews every proposal, so a doubtful pair is worth showing."""
LINK_THRESHOLD = 0.8
"""The same bar for linking an incoming name: with the same name, a birth year far apart (0.65) stays out."""
NAMES_SHOWN = 3
"""How many compared pairs of name forms a proposal or link shows as evidence, best first."""
SIMILAR_SURNAME = 0.85
"""The Jaro-Winkler similarity of surname stems from which a given-name group pre-selects a candidate."""

_PERSON_COLUMNS = ("person_id", "name", "name_be", "name_ru", "name_en", "aliases", "birth_date", "gender", "region")


# --------------------------------------------------------------------------
# Evidence


@dataclass(frozen=True)
class NameMatch:
    """Two name forms compared: which columns they are in, their text, and how their parts compare."""

    field_a: str
    name_a: str
    field_b: str
    name_b: str
    probability: float
    surname: str  # same stem, similar stem, somewhat similar stem, different, unknown
    given_name: str  # same group, similar spelling, different, unknown
    patronymic: str  # same stem, similar, different, unknown

    def to_json(self) -> dict[str, Any]:
        return {
            "a": {"field": self.field_a, "name": self.name_a},
            "b": {"field": self.field_b, "name": self.name_b},
            "probability": round(self.probability, 4),
            "surname": self.surname,
            "given_name": self.given_name,
            "patronymic": self.patronymic,
        }


@dataclass(frozen=True)
class Comparison:
    """One field of both sides and how they compare (birth date, gender or region)."""

    a: str | None
    b: str | None
    result: str

    def to_json(self) -> dict[str, Any]:
        return {"a": self.a, "b": self.b, "comparison": self.result}


EVIDENCE_WORDS = (
    "same stem", "similar stem", "somewhat similar stem", "same group", "similar spelling", "similar", "different", "unknown",
    "same year, a month unknown", "same month, a day unknown", "same day", "same year, month or day differ", "within a year", "same",
)
"""Every word the evidence of a proposal uses (the web app translates them)."""


def compare_names(prepared_a: dict[str, Any], prepared_b: dict[str, Any]) -> tuple[str, str, str]:
    """How surname, given name and patronymic of two prepared records (`prepare_record`) compare, in words.

    The words follow the comparison levels of `chronicle.matching`.
    """
    surname = _similarity(prepared_a["sn"], prepared_b["sn"], "same stem", ((0.92, "similar stem"), (0.85, "somewhat similar stem")))
    gg_a, gg_b = prepared_a["gg"], prepared_b["gg"]
    if not gg_a or not gg_b:
        given = "unknown"
    elif gg_a == gg_b or set(gg_a.split("|")) & set(gg_b.split("|")):
        given = "same group"
    elif (
        prepared_a["gk"] and prepared_b["gk"] and not (prepared_a["g_known"] and prepared_b["g_known"])
        and JaroWinkler.normalized_similarity(prepared_a["gk"], prepared_b["gk"]) >= 0.88
    ):
        given = "similar spelling"
    else:
        given = "different"
    patronymic = _similarity(prepared_a["pk"], prepared_b["pk"], "same stem", ((0.88, "similar"),))
    return surname, given, patronymic


def _similarity(a: str | None, b: str | None, same: str, similar: tuple[tuple[float, str], ...]) -> str:
    """`same` for equal keys, else the label of the first Jaro-Winkler bound reached, else "different"."""
    if not a or not b:
        return "unknown"
    if a == b:
        return same
    score = JaroWinkler.normalized_similarity(a, b)
    return next((label for bound, label in similar if score >= bound), "different")


def compare_birth_dates(a: str | None, b: str | None) -> Comparison:
    """Two birth dates (partial allowed) in the words of `chronicle.matching`'s birth-date levels."""
    first, second = _date_parts(a), _date_parts(b)
    if first is None or second is None:
        return Comparison(a, b, "unknown")
    (year_a, month_a, day_a), (year_b, month_b, day_b) = first, second
    if year_a == year_b:
        if month_a is None or month_b is None:
            result = "same year, a month unknown"
        elif month_a == month_b and (day_a is None or day_b is None):
            result = "same month, a day unknown"
        elif month_a == month_b and day_a == day_b:
            result = "same day"
        else:
            result = "same year, month or day differ"
    else:
        result = "within a year" if abs(year_a - year_b) <= 1 else "different"
    return Comparison(a, b, result)


def _date_parts(text: str | None) -> tuple[int, int | None, int | None] | None:
    if not text:
        return None
    try:
        date = PartialDate.parse(text)
    except InputError:
        return None
    day = date.first_day
    return day.year, day.month if date.precision != "year" else None, day.day if date.precision == "day" else None


def compare_genders(a: str | None, b: str | None) -> Comparison:
    first, second = normalise_gender(a), normalise_gender(b)
    return Comparison(a, b, "unknown" if first is None or second is None else "same" if first == second else "different")


def compare_regions(a: str | None, b: str | None) -> Comparison:
    first, second = normalise_region(a), normalise_region(b)
    return Comparison(a, b, "unknown" if first is None or second is None else "same" if first == second else "different")


def _summary(person: dict[str, Any]) -> dict[str, Any]:
    return {column: person[column] for column in ("person_id", "name", "birth_date", "gender", "region")}


# --------------------------------------------------------------------------
# Proposals


@dataclass(frozen=True)
class Proposal:
    """Two persons who are probably one, with the probability and the evidence."""

    a: dict[str, Any]  # person_id, name, birth_date, gender, region (a's id is the smaller)
    b: dict[str, Any]
    probability: float
    names: tuple[NameMatch, ...]
    birth_date: Comparison
    gender: Comparison
    region: Comparison
    shared_cases: tuple[dict[str, str], ...] = ()  # case_id, name
    shared_organisations: tuple[dict[str, str], ...] = ()  # organisation_id, name
    shared_events: tuple[dict[str, str], ...] = ()  # type, date: both have such an event

    def to_json(self) -> dict[str, Any]:
        return {
            "person_a": self.a,
            "person_b": self.b,
            "probability": round(self.probability, 4),
            "evidence": {
                "names": [match.to_json() for match in self.names],
                "birth_date": self.birth_date.to_json(),
                "gender": self.gender.to_json(),
                "region": self.region.to_json(),
                "shared_cases": list(self.shared_cases),
                "shared_organisations": list(self.shared_organisations),
                "shared_events": list(self.shared_events),
            },
        }


def propose_duplicates(
    source: Database | Register,
    *,
    threshold: float = PROPOSAL_THRESHOLD,
    known_at: datetime | None = None,
    limit: int | None = None,
) -> list[Proposal]:
    """Pairs of current persons that are probably the same person, best first (see the module's description).

    `known_at` reads the register as known then (persons merged away since
    are still left out). `limit` keeps the best ones.
    """
    database = database_of(source)
    settings = MatchSettings(threshold=threshold)
    if limit is not None and limit < 1:
        raise InputError(f"the limit must be at least 1, not {limit}")
    people = _load_persons(database, known_at)
    if len(people) < 2:
        return []
    records, owners = [], []
    for person in people.values():
        for column, text in name_forms(person):
            records.append(_record(len(records), text, person))
            owners.append((person["person_id"], column))
    matched: dict[tuple[str, str], list[tuple[float, int, int]]] = defaultdict(list)
    for left, right, probability in predict_pairs(records, settings, threshold=threshold):
        i, j = int(left), int(right)
        a, b = owners[i][0], owners[j][0]
        if a == b:
            continue
        if a > b:
            a, b, i, j = b, a, j, i
        matched[(a, b)].append((probability, i, j))
    refused = not_same_pairs(database)
    ranked = sorted(
        ((max(found)[0], pair) for pair, found in matched.items() if pair not in refused),
        key=lambda item: (-item[0], item[1]),
    )[:limit]
    context = _Context(database, {person_id for _, pair in ranked for person_id in pair}, known_at)
    proposals = []
    for probability, (a, b) in ranked:
        found = sorted(matched[(a, b)], key=lambda item: (-item[0], item[1], item[2]))[:NAMES_SHOWN]
        names = tuple(
            _name_match(records[i], records[j], owners[i][1], owners[j][1], p) for p, i, j in found
        )
        person_a, person_b = people[a], people[b]
        proposals.append(Proposal(
            a=_summary(person_a), b=_summary(person_b), probability=probability, names=names,
            birth_date=compare_birth_dates(person_a["birth_date"], person_b["birth_date"]),
            gender=compare_genders(person_a["gender"], person_b["gender"]),
            region=compare_regions(person_a["region"], person_b["region"]),
            **context.shared(a, b),
        ))
    return proposals


def _record(number: int | str, name: str, person: dict[str, Any]) -> dict[str, Any]:
    return {
        "record_id": str(number), "name": name, "birth_date": person.get("birth_date"),
        "gender": person.get("gender"), "region": person.get("region"),
    }


def _name_match(record_a: dict, record_b: dict, field_a: str, field_b: str, probability: float) -> NameMatch:
    surname, given, patronymic = compare_names(prepare_record(record_a), prepare_record(record_b))
    return NameMatch(field_a, record_a["name"], field_b, record_b["name"], probability, surname, given, patronymic)


def _load_persons(database: Database, known_at: datetime | None) -> dict[str, dict[str, Any]]:
    """The persons as known at `known_at`, without those merged into another; by person id."""
    gone = merged_away(database)
    columns = [persons.c[column] for column in _PERSON_COLUMNS]
    with database.reading() as connection:
        rows = connection.execute(select(*columns).where(known_at_filter(persons, known_at)).order_by(persons.c.person_id))
        return {row["person_id"]: dict(row) for row in rows.mappings() if row["person_id"] not in gone}


class _Context:
    """The cases, organisations and events of some persons, for the evidence of proposals."""

    def __init__(self, database: Database, person_ids: set[str], known_at: datetime | None):
        self.cases: dict[str, set[str]] = defaultdict(set)
        self.organisations: dict[str, set[str]] = defaultdict(set)
        self.events: dict[str, set[tuple[str, str]]] = defaultdict(set)
        self.names: dict[tuple[str, str], str] = {}
        ids = sorted(person_ids)
        with database.reading() as connection:
            for start in range(0, len(ids), 500):
                chunk = ids[start : start + 500]
                query = select(events.c.person_id, events.c.case_id, events.c.type, events.c.date).where(
                    events.c.person_id.in_(chunk), known_at_filter(events, known_at)
                )
                for person_id, case_id, kind, date in connection.execute(query):
                    self.events[person_id].add((kind, date))
                    if case_id:
                        self.cases[person_id].add(case_id)
                query = select(memberships.c.person_id, memberships.c.organisation_id).where(
                    memberships.c.person_id.in_(chunk), known_at_filter(memberships, known_at)
                )
                for person_id, organisation_id in connection.execute(query):
                    self.organisations[person_id].add(organisation_id)
            named = (("case", cases, "case_id", self.cases), ("organisation", organisations, "organisation_id", self.organisations))
            for kind, table, column, held in named:
                wanted = sorted({key for keys in held.values() for key in keys})
                for start in range(0, len(wanted), 500):
                    query = select(table.c[column], table.c.name).where(
                        table.c[column].in_(wanted[start : start + 500]), known_at_filter(table, known_at)
                    )
                    self.names.update({(kind, key): name for key, name in connection.execute(query)})

    def shared(self, a: str, b: str) -> dict[str, tuple[dict[str, str], ...]]:
        def named(kind: str, keys: set[str]) -> tuple[dict[str, str], ...]:
            return tuple({f"{kind}_id": key, "name": self.names.get((kind, key), key)} for key in sorted(keys))

        return {
            "shared_cases": named("case", self.cases[a] & self.cases[b]),
            "shared_organisations": named("organisation", self.organisations[a] & self.organisations[b]),
            "shared_events": tuple(
                {"type": kind, "date": date} for kind, date in sorted(self.events[a] & self.events[b], key=lambda e: (e[1], e[0]))
            ),
        }


# --------------------------------------------------------------------------
# Linking an incoming name


@dataclass(frozen=True)
class Link:
    """A register person an incoming name probably denotes, with the probability and the evidence."""

    person: dict[str, Any]  # person_id, name, birth_date, gender, region
    probability: float
    names: tuple[NameMatch, ...]  # field_a is "input"
    birth_date: Comparison
    gender: Comparison
    region: Comparison

    def to_json(self) -> dict[str, Any]:
        return {
            "person": self.person,
            "probability": round(self.probability, 4),
            "evidence": {
                "names": [match.to_json() for match in self.names],
                "birth_date": self.birth_date.to_json(),
                "gender": self.gender.to_json(),
                "region": self.region.to_json(),
            },
        }


def link_name(
    source: Database | Register,
    name: str,
    *,
    birth_date: str | None = None,
    gender: str | None = None,
    region: str | None = None,
    limit: int = 5,
    threshold: float = LINK_THRESHOLD,
) -> list[Link]:
    """The current persons that `name` (any script, any order) probably denotes, best first, at most `limit`.

    For many names, build one `PersonIndex` and call its `link`: the index
    and the scoring are then shared.
    """
    query = {"name": name, "birth_date": birth_date, "gender": gender, "region": region}
    return PersonIndex(source).link([query], limit=limit, threshold=threshold)[0]


class PersonIndex:
    """The current persons by their name keys: what incoming names are linked against.

    Built once (it reads every person's names), it pre-selects for a name
    the persons with the surname stem of any of its words, and the persons
    with its given-name group whose surname stem is similar (a typo in the
    surname); `link` scores only those.
    """

    def __init__(self, source: Database | Register):
        self.persons = _load_persons(database_of(source), None)
        self.by_stem: dict[str, set[str]] = defaultdict(set)
        self.by_group: dict[str, set[str]] = defaultdict(set)
        self.stems: dict[str, set[str]] = defaultdict(set)
        for person_id, person in self.persons.items():
            for _, text in name_forms(person):
                parsed = parse_name(text)
                stem = parsed.surname_stem
                if stem:
                    self.by_stem[stem].add(person_id)
                    self.stems[person_id].add(stem)
                for group in _groups(parsed.given):
                    self.by_group[group].add(person_id)

    def candidates(self, name: str) -> set[str]:
        """The person ids that share a name key with `name`."""
        parsed = parse_name(name)
        stems = {surname_stem(word) for word in re.split(r"[\s,]+", name) if word} - {""}
        found = set().union(*(self.by_stem.get(stem, ()) for stem in stems))
        stem = parsed.surname_stem
        if stem:
            for group in _groups(parsed.given):
                for person_id in self.by_group.get(group, ()):
                    if person_id not in found and any(
                        JaroWinkler.normalized_similarity(stem, theirs) >= SIMILAR_SURNAME for theirs in self.stems[person_id]
                    ):
                        found.add(person_id)
        return found

    def link(self, queries: list[dict[str, Any]], *, limit: int = 5, threshold: float = LINK_THRESHOLD) -> list[list[Link]]:
        """For each query (`name`, optional `birth_date`, `gender`, `region`), its links best first; one scoring run."""
        if limit < 1:
            raise InputError(f"the limit must be at least 1, not {limit}")
        if not 0.0 <= threshold <= 1.0:
            raise InputError(f"the threshold {threshold} is not a probability between 0 and 1")
        checked = [_checked_query(query) for query in queries]
        wanted = [self.candidates(query["name"]) for query in checked]
        records: list[dict[str, Any]] = []
        owners: dict[str, tuple[str, str]] = {}  # record id -> (person id, column)
        for person_id in sorted(set().union(*wanted)):
            person = self.persons[person_id]
            for column, text in name_forms(person):
                record = _record(f"c{len(records)}", text, person)
                owners[record["record_id"]] = (person_id, column)
                records.append(record)
        results: list[list[Link]] = [[] for _ in checked]
        if not records:
            return results
        asked = {f"q{index}": index for index in range(len(checked))}
        by_id = {record["record_id"]: record for record in records}
        for index, query in enumerate(checked):
            by_id[f"q{index}"] = _record(f"q{index}", query["name"], query)
        found: dict[tuple[int, str], list[tuple[float, str, str]]] = defaultdict(list)
        for left, right, probability in predict_pairs(list(by_id.values()), _link_settings(len(by_id), threshold), threshold=threshold):
            if left in owners:
                left, right = right, left
            if left not in asked or right not in owners:
                continue
            index, person_id = asked[left], owners[right][0]
            if person_id in wanted[index]:
                found[(index, person_id)].append((probability, left, right))
        for (index, person_id), pairs in found.items():
            pairs.sort(key=lambda item: (-item[0], int(item[2][1:])))
            query, person = checked[index], self.persons[person_id]
            names = tuple(
                _name_match(by_id[q], by_id[c], "input", owners[c][1], p) for p, q, c in pairs[:NAMES_SHOWN]
            )
            results[index].append(Link(
                person=_summary(person), probability=pairs[0][0], names=names,
                birth_date=compare_birth_dates(query["birth_date"], person["birth_date"]),
                gender=compare_genders(query["gender"], person["gender"]),
                region=compare_regions(query["region"], person["region"]),
            ))
        for links in results:
            links.sort(key=lambda link: (-link.probability, link.person["person_id"]))
            del links[limit:]
        return results


def _groups(given: str) -> set[str]:
    return set(given_name_groups(given)) if given else set()


def _link_settings(count: int, threshold: float) -> MatchSettings:
    """Fixed m and u, and the prior at `MAX_PRIOR` however many candidates were pre-selected.

    The candidates share a name key with the name, so they are not a random
    sample of the register (no u is estimated from them), and the prior must
    not fall because a common surname brought more of them.
    """
    return MatchSettings(threshold=threshold, training="fixed", records_per_person=1 + MAX_PRIOR * max(count - 1, 1) * 1.001)


def _checked_query(query: dict[str, Any]) -> dict[str, Any]:
    name = str(query.get("name") or "").strip()
    if not any(char.isalpha() for char in name):
        raise InputError(f"the name {name!r} has no letters" if name else "the name is empty")
    birth = (query.get("birth_date") or "").strip() or None
    if birth is not None:
        try:
            birth = str(PartialDate.parse(birth))
        except InputError as error:
            raise InputError(f"birth date: {error}") from None
    gender = (query.get("gender") or "").strip() or None
    if gender is not None and gender not in GENDERS and normalise_gender(gender) is None:
        raise InputError(f"gender: {gender!r} is not one of {', '.join(GENDERS)} (or empty)")
    region = (query.get("region") or "").strip() or None
    return {"name": name, "birth_date": birth, "gender": normalise_gender(gender) or gender, "region": region}
