"""The project's cross-script test set for `chronicle.matching`, and its scores.

`build_match_set()` makes, from the generator's name tables
(`chronicle.generate_names`), persons written several ways each:

- Belarusian Cyrillic ("Сяргей Ціханоўскі"), Russian Cyrillic ("Сергей
  Тихановский"), Belarusian passport Latin ("Siarhei Tsikhanouski"), press
  Latin from Russian ("Sergei Tikhanovsky"), a Russian list with the surname
  first in capitals and the patronymic ("ТИХАНОВСКИЙ Сергей Леонидович"), a
  Latin list ("TSIKHANOUSKI Siarhei") and a single-letter typo in the surname;
- birth dates to the day, month or year, or missing; regions in Belarusian,
  Russian or Latin, or missing; the gender column sometimes filled;

and, as hard negatives, persons who must stay apart from them:

- spouses: the same surname (female or male form), the other gender, another
  given name, a near birth year, the same region;
- siblings: the same surname and patronymic, another given name, another
  birth year, the same region;
- namesakes: the same given name and surname, a birth year at least three
  years apart and another region (their records always carry a birth year:
  without one they could not be told apart by anyone).

`pairwise_scores` and `bcubed_scores` score a clustering against the truth.
"""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta

from chronicle.generate_names import FEMALE_GIVEN_NAMES, MALE_GIVEN_NAMES, SURNAMES, NameForms, Surname
from chronicle.names import given_name_group

REGION_SPELLINGS = {
    "brest": ("Brest region", "Брестская область", "Брэсцкая вобласць", "Brest"),
    "viciebsk": ("Viciebsk region", "Vitebsk region", "Витебская область", "Віцебская вобласць"),
    "homiel": ("Homiel region", "Gomel", "Гомельская область", "Гомельская вобласць", "Гомель"),
    "hrodna": ("Hrodna region", "Grodno region", "Гродненская область", "Гродзенская вобласць"),
    "mahilioŭ": ("Mahilioŭ region", "Mogilev region", "Могилевская область", "Магілёўская вобласць"),
    "minsk_region": ("Minsk region", "Minskaya voblasts", "Мінская вобласць", "Минская область"),
    "minsk_city": ("Minsk", "Мінск", "г. Минск", "Minsk city"),
}
"""Spellings of each region code of `chronicle.matching.REGIONS` the records use."""

FATHER_NAMES = tuple(name for name in MALE_GIVEN_NAMES if not name.ru.endswith(("а", "я")))


def russian_patronymic(father: NameForms, *, female: bool) -> str:
    """Сергей -> Сергеевич/Сергеевна, Анатолий -> Анатольевич, Иван -> Иванович."""
    stem = father.ru
    if stem.endswith("ий"):
        stem = stem[:-2] + "ье"
    elif stem.endswith("й"):
        stem = stem[:-1] + "е"
    else:
        stem += "о"
    return stem + ("вна" if female else "вич")


@dataclass(frozen=True)
class Person:
    person_id: int
    female: bool
    given: NameForms
    surname: Surname
    father: NameForms
    birth: date
    region: str
    kind: str  # base, spouse, sibling, namesake

    def surname_forms(self) -> NameForms:
        return self.surname.forms(female=self.female)


def _typo(rng: random.Random, word: str) -> str:
    position = rng.randrange(1, len(word))
    letters = [letter for letter in "aeiouklmnrstv" if letter != word[position].lower()]
    return word[:position] + rng.choice(letters) + word[position + 1 :]


SPELLINGS = ("be", "ru", "latin", "press", "ru_list", "latin_list", "typo")


def spell(person: Person, spelling: str, rng: random.Random) -> str:
    given, surname = person.given, person.surname_forms()
    if spelling == "be":
        return f"{given.be} {surname.be}"
    if spelling == "ru":
        return f"{given.ru} {surname.ru}"
    if spelling == "latin":
        return f"{given.latin} {surname.latin}"
    if spelling == "press":
        return f"{given.latin_ru} {surname.latin_ru}"
    if spelling == "ru_list":
        return f"{surname.ru.upper()} {given.ru} {russian_patronymic(person.father, female=person.female)}"
    if spelling == "latin_list":
        return f"{surname.latin.upper()} {given.latin}"
    return f"{given.latin} {_typo(rng, surname.latin)}"


def _birth_text(birth: date, rng: random.Random, *, need_year: bool) -> str:
    roll = rng.random()
    if roll < 0.5:
        return birth.isoformat()
    if roll < 0.62:
        return f"{birth.year:04d}-{birth.month:02d}"
    if roll < 0.82 or need_year:
        return f"{birth.year:04d}"
    return ""


def _other_given(rng: random.Random, names, avoid: NameForms) -> NameForms:
    while True:
        name = rng.choice(names)
        if given_name_group(name.latin) != given_name_group(avoid.latin):
            return name


def build_persons(count: int = 110, seed: int = 2020) -> list[Person]:
    """`count` base persons and their spouses (about 30%), siblings (20%) and namesakes (20%)."""
    rng = random.Random(seed)
    persons: list[Person] = []
    regions = sorted(REGION_SPELLINGS)

    def add(**fields) -> Person:
        person = Person(person_id=len(persons) + 1, **fields)
        persons.append(person)
        return person

    for _ in range(count):
        female = rng.random() < 0.45
        base = add(
            female=female,
            given=rng.choice(FEMALE_GIVEN_NAMES if female else MALE_GIVEN_NAMES),
            surname=rng.choice(SURNAMES),
            father=rng.choice(FATHER_NAMES),
            birth=date(1950, 1, 1) + timedelta(days=rng.randrange(0, 53 * 365)),
            region=rng.choice(regions),
            kind="base",
        )
        roll = rng.random()
        if roll < 0.3:
            add(
                female=not female,
                given=rng.choice(MALE_GIVEN_NAMES if female else FEMALE_GIVEN_NAMES),
                surname=base.surname,
                father=rng.choice(FATHER_NAMES),
                birth=base.birth + timedelta(days=rng.randrange(-5 * 365, 5 * 365)),
                region=base.region,
                kind="spouse",
            )
        elif roll < 0.5:
            sibling_female = rng.random() < 0.5
            names = FEMALE_GIVEN_NAMES if sibling_female else MALE_GIVEN_NAMES
            add(
                female=sibling_female,
                given=_other_given(rng, names, base.given),
                surname=base.surname,
                father=base.father,
                birth=base.birth + timedelta(days=rng.choice((-1, 1)) * rng.randrange(400, 8 * 365)),
                region=base.region,
                kind="sibling",
            )
        elif roll < 0.7:
            add(
                female=female,
                given=base.given,
                surname=base.surname,
                father=rng.choice(FATHER_NAMES),
                birth=base.birth + timedelta(days=rng.choice((-1, 1)) * rng.randrange(3 * 365 + 5, 20 * 365)),
                region=rng.choice([region for region in regions if region != base.region]),
                kind="namesake",
            )
    return persons


def build_match_set(count: int = 110, seed: int = 2020) -> tuple[list[dict], dict[str, int]]:
    """Records (dicts with record_id, name, birth_date, gender, region) and the true person of each record id."""
    rng = random.Random(seed + 1)
    persons = build_persons(count, seed)
    namesake_surnames = {(p.given, p.surname) for p in persons if p.kind == "namesake"}
    records: list[dict] = []
    truth: dict[str, int] = {}
    for person in persons:
        need_year = (person.given, person.surname) in namesake_surnames
        spellings = rng.sample(SPELLINGS, rng.randint(3, 5))
        for spelling in spellings:
            record_id = str(len(records) + 1)
            region = rng.choice(REGION_SPELLINGS[person.region]) if rng.random() < 0.7 else ""
            records.append({
                "record_id": record_id,
                "name": spell(person, spelling, rng),
                "birth_date": _birth_text(person.birth, rng, need_year=need_year) or None,
                "gender": ("f" if person.female else "m") if rng.random() < 0.4 else None,
                "region": region or None,
            })
            truth[record_id] = person.person_id
    order = list(range(len(records)))
    rng.shuffle(order)
    return [records[index] for index in order], truth


# --------------------------------------------------------------------------
# Scores


def _pairs(labels: dict[str, object]) -> set[tuple[str, str]]:
    groups: dict[object, list[str]] = defaultdict(list)
    for record_id, label in labels.items():
        groups[label].append(record_id)
    pairs = set()
    for members in groups.values():
        members.sort()
        for i, a in enumerate(members):
            for b in members[i + 1 :]:
                pairs.add((a, b))
    return pairs


def _f1(precision: float, recall: float) -> float:
    return 2 * precision * recall / (precision + recall) if precision + recall else 0.0


def pairwise_scores(predicted: dict[str, object], truth: dict[str, object]) -> dict[str, float]:
    """Precision, recall and F1 of the record pairs put in one cluster."""
    predicted_pairs, true_pairs = _pairs(predicted), _pairs(truth)
    correct = len(predicted_pairs & true_pairs)
    precision = correct / len(predicted_pairs) if predicted_pairs else 1.0
    recall = correct / len(true_pairs) if true_pairs else 1.0
    return {"precision": precision, "recall": recall, "f1": _f1(precision, recall)}


def bcubed_scores(predicted: dict[str, object], truth: dict[str, object]) -> dict[str, float]:
    """B-cubed precision, recall and F1 (Bagga and Baldwin), averaged over records."""
    by_predicted: dict[object, set[str]] = defaultdict(set)
    by_truth: dict[object, set[str]] = defaultdict(set)
    for record_id in truth:
        by_predicted[predicted[record_id]].add(record_id)
        by_truth[truth[record_id]].add(record_id)
    precision = recall = 0.0
    for record_id in truth:
        cluster, person = by_predicted[predicted[record_id]], by_truth[truth[record_id]]
        both = len(cluster & person)
        precision += both / len(cluster)
        recall += both / len(person)
    n = len(truth)
    precision, recall = precision / n, recall / n
    return {"precision": precision, "recall": recall, "f1": _f1(precision, recall)}
