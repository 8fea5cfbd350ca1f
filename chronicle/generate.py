"""Synthetic data packages: a realistic register for demos, tests and benchmarks.

`generate_package(out_dir, persons=..., seed=...)` writes a data package in
the exchange format of spec/register.md: the six CSV files and
`datapackage.json`. Everything comes from one `random.Random(seed)`, so the
same arguments give byte-identical files. Nothing depends on the clock.

The model, and what was chosen where the spec is silent:

- Detentions follow the intensity of repression month by month: a few from
  2011 to 2019, the campaign arrests of May-July 2020, the wave of August to
  December 2020, then a steady stream that slowly declines until `until`.
- A person's story is a chain of episodes. An administrative episode is
  `detained` -> `charged` (Article 23.34 of the Code of Administrative
  Offences, 24.23 from March 2021) -> `released` after 3-30 days of arrest
  (`end_of_term`, sometimes detained again at the gate) or after a fine
  (`measure_changed`); it has no `convicted` event, so convictions count
  criminal verdicts only. A criminal episode is `detained` -> `charged`
  (often more than once) -> `transferred` to a pre-trial prison -> possibly
  released pending trial or put under `house_arrest` -> `convicted` ->
  `transferred` to a colony and between colonies -> out at the end of the
  term, by pardon (waves from July 2024 on, some followed by `deported` the
  same day), by amnesty, by exchange (foreigners, then `deported`), or still
  behind bars at `until`. Restricted freedom, fines and suspended sentences
  free a detained person on the day of the verdict (`measure_changed`); a
  person at liberty sentenced to a colony is detained in the courtroom.
  A few die in custody, a few die at liberty years after release (`died`
  without open custody, as the spec allows). Some are detained again.
- Most persons held on criminal charges are `recognized` as political
  prisoners a few weeks after detention, if still held then; recognition is
  rarely withdrawn and never posthumous. About 3% of episodes are not
  politically motivated: their rows say `politically_motivated` false and
  they are never recognised. `detained` rows always state the flag.
- Dates never pass `until`; a story that would go past it stops there.
  A few dates are partial (`YYYY-MM`, and `YYYY` before 2020), only where
  counting them as the first day of their month keeps the person's story
  as it is.
- Record time: each row is recorded days or weeks after the event and after
  its sources were published, never before the previous row of the same
  person; events before June 2020 were entered in the register's first
  months. A few events have an earlier, retracted version that had a date a
  few days too early or another place; that version too leaves the story
  coherent.
- Sources are news items shared by the events of one topic in the same four
  weeks, by publishers that existed on that day. Restricted sources
  (lawyers' messages, relatives' reports) have no url and are cited by one
  event each, sometimes as its only source; only `charged` and
  `transferred` events rely on restricted sources alone, so a public export
  keeps every custody change. The urls use the publishers' real domains
  with made-up paths.
- Contacts in `restricted_notes` use the non-existent operator code
  +375 00, so they can never reach a real person.
"""

from __future__ import annotations

import bisect
import csv
import dataclasses
import itertools
import random
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Generic, Protocol, TypeVar

from chronicle import package_format
from chronicle.generate_names import (
    ADMINISTRATIVE_ARTICLES_NEW,
    ADMINISTRATIVE_ARTICLES_OLD,
    ADMINISTRATIVE_TOPICS,
    ALL_PLACES,
    ALL_TOWNS,
    CASE_SUBJECTS,
    CITIZENSHIPS,
    COUNTRIES_OF_EXILE,
    CRIMINAL_ARTICLES,
    EXTENSION_ARTICLE,
    EXTRA_PRETRIAL_PRISONS,
    FEMALE_GIVEN_NAMES,
    FEMALE_PERSON_NOTES,
    HEADLINES,
    JUVENILE_COLONY,
    KNOWN_CASES,
    KNOWN_ORGANISATIONS,
    MALE_GIVEN_NAMES,
    MEMBER_ROLES,
    MEN_COLONIES,
    MINSK_DISTRICTS,
    MONTH_NAMES,
    NEW_ADMINISTRATIVE_CODE,
    PERSON_NOTES,
    PRISON_HOSPITAL,
    PRISONS,
    PSYCHIATRIC_EXAMINATION,
    PUBLISHERS,
    REGIONS,
    RESTRICTED_NOTE_TEMPLATES,
    RESTRICTED_TITLES,
    ROLES_BY_KIND,
    SENTENCE_LABELS,
    SEVERE_ARTICLES,
    SURNAMES,
    TOWN_DISTRICTS,
    VIASNA,
    WOMEN_COLONIES,
    Region,
)
from chronicle.vocabulary import EVENT_ORDER

T = TypeVar("T")

DEFAULT_UNTIL = date(2026, 10, 31)
EARLIEST_UNTIL = date(2011, 1, 1)
PROGRESS_EVERY = 1000

# --------------------------------------------------------------------------
# Small tools


class WeightedChoice(Generic[T]):
    """Draws values with given relative weights, fast (one random number and a bisection)."""

    def __init__(self, weighted: Sequence[tuple[T, float]]):
        self.values = [value for value, _ in weighted]
        self.cumulative = list(itertools.accumulate(weight for _, weight in weighted))
        self.total = self.cumulative[-1]

    def pick(self, rng: random.Random) -> T:
        return self.values[bisect.bisect_right(self.cumulative, rng.random() * self.total)]


def day_number(year: int, month: int, day: int) -> int:
    """A calendar day as an integer (the proleptic Gregorian ordinal)."""
    return date(year, month, day).toordinal()


class DayTexts:
    """ISO texts of calendar days, computed once for the whole span the generator uses."""

    def __init__(self, first: date, last: date):
        self.first = first.toordinal()
        self.texts = [date.fromordinal(day).isoformat() for day in range(self.first, last.toordinal() + 1)]

    def __getitem__(self, day: int) -> str:
        return self.texts[day - self.first]


MINUTES_PER_DAY = 24 * 60
TIMES_OF_DAY = [f"T{minute // 60:02d}:{minute % 60:02d}:00Z" for minute in range(MINUTES_PER_DAY)]
DAYS_PER_MONTH = 30.4375


class RowWriter(Protocol):
    """What the generator needs of a `csv.writer`."""

    def writerow(self, row: Sequence[str], /) -> Any: ...


class BeyondUntil(Exception):
    """A story reached the end of the generated period; it stops there."""


# --------------------------------------------------------------------------
# Distributions of the model (the names, places and texts are in generate_names)

REGION = WeightedChoice(REGIONS)
UNKNOWN_REGION_SHARE = 0.02
CITIZENSHIP = WeightedChoice(CITIZENSHIPS)
COUNTRY_OF_EXILE = WeightedChoice(COUNTRIES_OF_EXILE)
PUBLISHER = WeightedChoice(PUBLISHERS)

CRIMINAL_ARTICLE = WeightedChoice(CRIMINAL_ARTICLES)
ADMINISTRATIVE_ARTICLE_OLD = WeightedChoice(ADMINISTRATIVE_ARTICLES_OLD)
ADMINISTRATIVE_ARTICLE_NEW = WeightedChoice(ADMINISTRATIVE_ARTICLES_NEW)
NEW_ADMINISTRATIVE_CODE_DAY = NEW_ADMINISTRATIVE_CODE.toordinal()
ADMINISTRATIVE_ARREST_DAYS = WeightedChoice([(3, 2), (5, 3), (7, 4), (10, 6), (13, 5), (15, 20), (20, 2), (25, 3), (30, 3)])

CUSTODIAL_MONTHS = WeightedChoice([
    (6, 3), (12, 6), (18, 8), (24, 14), (30, 9), (36, 15), (42, 7), (48, 10), (54, 4), (60, 9),
    (72, 5), (84, 4), (96, 2), (108, 1), (120, 2), (144, 1), (180, 0.6), (240, 0.3),
])
SEVERE_MONTHS = WeightedChoice([(96, 2), (120, 3), (144, 3), (168, 2), (180, 2), (216, 1), (240, 1), (300, 0.3)])
RESTRICTED_FREEDOM_MONTHS = WeightedChoice([(12, 3), (18, 2), (24, 4), (36, 3), (48, 1), (60, 0.5)])
SUSPENDED_MONTHS = WeightedChoice([(12, 2), (24, 4), (36, 3), (48, 1)])
SENTENCES_IN_CUSTODY = WeightedChoice([("colony", 82), ("prison", 5), ("restricted_freedom", 7), ("suspended", 3), ("fine", 3)])
SENTENCES_AT_LIBERTY = WeightedChoice([("colony", 35), ("restricted_freedom", 40), ("suspended", 15), ("fine", 10)])
CUSTODIAL_KINDS = frozenset({"colony", "prison"})


@dataclass(frozen=True)
class ReleaseWave:
    """A day on which the authorities freed a share of the prisoners held then."""

    day: int
    share: float  # chance for each prisoner held that day
    deported_share: float = 0.0
    destinations: WeightedChoice[str] = COUNTRY_OF_EXILE


TO_LITHUANIA = WeightedChoice([("Lithuania", 1)])
PARDON_WAVES = (
    ReleaseWave(day_number(2021, 9, 17), 0.002),
    ReleaseWave(day_number(2022, 9, 16), 0.003),
    ReleaseWave(day_number(2023, 7, 3), 0.003),
    ReleaseWave(day_number(2024, 7, 3), 0.015),
    ReleaseWave(day_number(2024, 7, 30), 0.015),
    ReleaseWave(day_number(2024, 8, 15), 0.02),
    ReleaseWave(day_number(2024, 9, 4), 0.02),
    ReleaseWave(day_number(2024, 9, 16), 0.025),
    ReleaseWave(day_number(2024, 11, 20), 0.02),
    ReleaseWave(day_number(2024, 12, 20), 0.02),
    ReleaseWave(day_number(2025, 1, 27), 0.02),
    ReleaseWave(day_number(2025, 2, 12), 0.02, 0.1),
    ReleaseWave(day_number(2025, 6, 21), 0.015, 1.0, TO_LITHUANIA),
    ReleaseWave(day_number(2025, 9, 11), 0.05, 1.0, TO_LITHUANIA),
    ReleaseWave(day_number(2025, 12, 13), 0.09, 0.8, WeightedChoice([("Ukraine", 6), ("Lithuania", 4)])),
    ReleaseWave(day_number(2026, 3, 20), 0.04, 0.5),
    ReleaseWave(day_number(2026, 6, 26), 0.04, 0.5),
    ReleaseWave(day_number(2026, 9, 17), 0.04, 0.5),
)
AMNESTIES = (ReleaseWave(day_number(2022, 11, 4), 0.004), ReleaseWave(day_number(2024, 7, 18), 0.006), ReleaseWave(day_number(2025, 5, 9), 0.004))
EXCHANGES = (ReleaseWave(day_number(2024, 8, 1), 0.25), ReleaseWave(day_number(2025, 12, 13), 0.25))

# --------------------------------------------------------------------------
# Shares and rates of the model (per person, per episode or per event)

# Episodes
ADMINISTRATIVE_FIRST_SHARE = {"before_wave": 0.5, "wave": 0.62, "after_wave": 0.3}
WAVE_START, WAVE_END = day_number(2020, 8, 1), day_number(2020, 12, 31)
MAX_EPISODES = 6
DETAINED_AGAIN_AFTER_ADMINISTRATIVE = 0.55
CRIMINAL_AFTER_ADMINISTRATIVE = 0.35
DETAINED_AGAIN_AFTER_CRIMINAL = 0.08
NOT_POLITICAL_SHARE = 0.03
DEATH_AT_LIBERTY_SHARE = 0.002
# Administrative episodes
RELEASED_WITHOUT_CHARGE_SHARE = 0.05
FINED_SHARE = 0.2
CAROUSEL_SHARE = 0.12  # detained again at the gate when the arrest ends
# Criminal episodes, before the verdict
CASE_SHARE = 0.3
ADMINISTRATIVE_ARREST_FIRST_SHARE = 0.3
PRETRIAL_PRISON_SHARE = 0.9
PSYCHIATRIC_EXAMINATION_SHARE = 0.15
SECOND_PRETRIAL_PRISON_SHARE = 0.35
REQUALIFIED_SHARE = 0.35
INDICTMENT_SHARE = 0.5
RELEASED_PENDING_TRIAL_SHARE = 0.06
HOUSE_ARREST_SHARE = 0.07
DEATH_BEFORE_TRIAL_SHARE = 0.0005
ACQUITTAL_SHARE = 0.004
# Criminal episodes, the term
TERM_EXTENSION_SHARE = 0.04
TRANSFER_MEAN_DAYS = 200
HOSPITAL_SHARE = 0.12
MOVED_TO_PRISON_SHARE = 0.08
DEATH_IN_CUSTODY_SHARE = 0.002
FOREIGNER_EXPELLED_SHARE = 0.7
# Recognition
RECOGNITION_SHARE = 0.9
RECOGNITION_ENDED_SHARE = 0.006
# Persons
NON_PUBLIC_SHARE = 0.15
REGISTER_OPENED = day_number(2020, 6, 1)

PARTIAL_DATE_SHARE = 0.02
PARTIAL_TRANSFER_SHARE = 0.06
PARTIAL_EARLY_SHARE = 0.2
EARLY_YEARS_END = day_number(2020, 1, 1)
RETRACTION_SHARE = 0.006

NEW_SOURCE_SHARE = 0.2
RESTRICTED_ONLY_KINDS = frozenset({"charged", "transferred"})
RESTRICTED_ONLY_SHARE = 0.05
EXTRA_RESTRICTED_SHARE = 0.01
SECOND_PUBLIC_SHARE = 0.12
SOURCE_BUCKET_DAYS = 28
PUBLICATION_LAG_DAYS = WeightedChoice([(0, 35), (1, 30), (2, 10), (3, 8), (5, 7), (7, 5), (14, 3), (30, 2)])
RECORDING_LAG_DAYS = WeightedChoice([
    (0, 22), (1, 20), (2, 12), (3, 8), (5, 8), (7, 7), (10, 6), (14, 5), (21, 5), (30, 4), (60, 2), (120, 1),
])

# --------------------------------------------------------------------------
# Time: when detentions happen


def detention_intensity(year: int, month: int) -> float:
    """Relative number of detentions in a month: the shape of repression over the years."""
    if year < 2020:
        return 1.5 if (year, month) in {(2011, 1), (2017, 3)} else 0.08
    if year == 2020:
        return (0.3, 0.3, 0.3, 0.3, 2, 3, 4, 40, 26, 24, 26, 14)[month - 1]
    if year == 2021:
        return 12 - 0.35 * (month - 1)
    if year == 2022:
        return 14 if month in (2, 3) else 8
    return {2023: 6.5, 2024: 5.5, 2025: 5.0}.get(year, 4.5)


class DetentionCalendar:
    """Draws days from `since` to `until`, month by month with the intensity of repression."""

    def __init__(self, since: date, until: date):
        months: list[tuple[tuple[int, int], float]] = []
        year, month = since.year, since.month
        while (year, month) <= (until.year, until.month):
            first = max(day_number(year, month, 1), since.toordinal())
            next_first = day_number(year + month // 12, month % 12 + 1, 1)
            length = min(next_first, until.toordinal() + 1) - first
            full_length = next_first - day_number(year, month, 1)
            months.append(((first, length), detention_intensity(year, month) * length / full_length))
            year, month = year + month // 12, month % 12 + 1
        self._months = WeightedChoice(months)

    def day(self, rng: random.Random) -> int:
        first, length = self._months.pick(rng)
        return first + rng.randrange(length)


# --------------------------------------------------------------------------
# Organisations and cases


@dataclass(frozen=True)
class Organisation:
    """A group persons belong to, with the roles its members have."""

    organisation_id: str
    name: str
    kind: str
    roles: WeightedChoice[str]


@dataclass(frozen=True)
class Case:
    """A group case, and the day from which its defendants are detained."""

    case_id: str
    name: str
    opened_day: int
    opened_text: str
    organisation_id: str | None
    description: str


# --------------------------------------------------------------------------
# Persons


@dataclass
class Person:
    """What the story needs to know about a person, and what persons.csv says of them."""

    person_id: str
    gender: str
    female: bool
    region: Region
    region_name: str
    town: str
    categories: list[str]
    citizenship: str
    organisations: list[Organisation]


def draw_names(rng: random.Random, female: bool) -> tuple[str, str, str, str, str]:
    """`name`, `name_be`, `name_ru`, `name_en` and `aliases` of a new person."""
    given = rng.choice(FEMALE_GIVEN_NAMES if female else MALE_GIVEN_NAMES)
    surname = rng.choice(SURNAMES).forms(female=female)
    name_be = f"{given.be} {surname.be}"
    name_ru = f"{given.ru} {surname.ru}"
    name_en = f"{given.latin} {surname.latin}"
    script = rng.random()
    name = name_be if script < 0.3 else name_ru if script < 0.65 else name_en
    aliases = []
    latin_from_russian = f"{given.latin_ru} {surname.latin_ru}"
    if latin_from_russian != name_en and rng.random() < 0.35:
        aliases.append(latin_from_russian)
    if rng.random() < 0.12:
        aliases.append(f"{surname.ru} {given.ru}")
    if rng.random() < 0.08:
        aliases.append(f"{surname.latin.upper()} {given.latin}")
    if rng.random() < 0.04:
        aliases.append(f"{given.latin_ru[0]}. {surname.latin_ru}")
    return (
        name,
        name_be if rng.random() < 0.9 else "",
        name_ru if rng.random() < 0.92 else "",
        name_en if rng.random() < 0.9 else "",
        ";".join(aliases),
    )


def draw_categories(rng: random.Random) -> list[str]:
    """Most persons have none; some are journalists, lawyers, students, musicians; few foreigners or minors."""
    categories = []
    minor = rng.random() < 0.015
    if not minor and rng.random() < 0.04:
        categories.append("journalist")
    if not minor and rng.random() < 0.008:
        categories.append("lawyer")
    if rng.random() < (0.3 if minor else 0.06):
        categories.append("student")
    if rng.random() < 0.012:
        categories.append("musician")
    if rng.random() < 0.015:
        categories.append("foreigner")
    if minor:
        categories.append("minor")
    return categories


def age_at_first_detention(rng: random.Random, categories: list[str]) -> float:
    """Age in years on the day of the first detention."""
    if "minor" in categories:
        return rng.uniform(14.1, 17.9)  # under 18 even by a partial date of detention
    if "student" in categories:
        return rng.uniform(18, 25)
    return rng.triangular(18, 78, 32)


# --------------------------------------------------------------------------
# Stories: one person's events


@dataclass(slots=True)
class DraftEvent:
    """An event as the story draws it; the writer adds dates as shown, sources and record times."""

    day: int
    kind: str
    place: str = ""
    case_id: str = ""
    charges: str = ""
    sentence_months: str = ""
    sentence_kind: str = ""
    destination: str = ""
    reason: str = ""
    politically_motivated: str = ""
    note: str = ""
    administrative: bool = False  # part of an administrative episode (not a criminal case)
    shown_date: str = ""
    effective_day: int = 0
    source_ids: str = ""
    published: int = 0
    recorded: int = 0


class Timeline:
    """One person's events in the order they happen, with custody and recognition kept coherent.

    `add` never goes back in time and never breaks the same-day order of the
    vocabulary, so sorting the events by (date, same-day order) keeps the order
    in which they were drawn. Recognitions are drawn as candidates when a
    political prisoner is detained and kept only if the person is still held
    on that day.
    """

    def __init__(self, until_day: int, rng: random.Random):
        self.until_day = until_day
        self.rng = rng
        self.events: list[DraftEvent] = []
        self.recognitions: list[DraftEvent] = []
        self.last_day = 0
        self.last_order = 0
        self.in_custody = False
        self.place = ""
        self.political = True
        self.administrative = False
        self.recognized_day: int | None = None
        self.recognition_candidate: int | None = None
        self.death_day: int | None = None

    def add(self, day: int, kind: str, **fields: str) -> DraftEvent:
        """Append an event on `day` or, if that would break the order, on the earliest day that does not."""
        order = EVENT_ORDER[kind]
        if day < self.last_day:
            day = self.last_day
        if day == self.last_day and order < self.last_order:
            day += 1
        if day > self.until_day:
            raise BeyondUntil
        if not self.political:
            fields.setdefault("politically_motivated", "false")
        event = DraftEvent(day, kind, administrative=self.administrative, **fields)
        self.events.append(event)
        self.last_day, self.last_order = day, order
        return event

    def detain(self, day: int, place: str, *, political: bool, recognisable: bool, administrative: bool = False, case_id: str = "") -> None:
        self.political, self.administrative = political, administrative
        self.add(day, "detained", place=place, case_id=case_id, politically_motivated="true" if political else "false")
        self.in_custody, self.place = True, place
        if recognisable and self.recognized_day is None and self.recognition_candidate is None:
            self.recognition_candidate = self.last_day + self.rng.randint(10, 45) + self.rng.randint(0, 45)

    def transfer(self, day: int, place: str) -> None:
        if place != self.place:
            self.add(day, "transferred", place=place)
            self.place = place

    def close(self, day: int, kind: str, **fields: str) -> None:
        """Custody ends (`released`, `pardoned`, `house_arrest`, `died`)."""
        event = self.add(day, kind, **fields)
        self.in_custody = False
        self._settle_recognition(event.day, dying=kind == "died")
        if kind == "died":
            self.death_day = event.day

    def deport(self, day: int, destination: str) -> None:
        """Expelled abroad, usually on the day of release."""
        self.add(day, "deported", destination=destination)
        self.in_custody = False

    def end_episode(self) -> None:
        """What follows (a new detention, a death at liberty) belongs to no earlier episode."""
        self.political, self.administrative = True, False

    def _settle_recognition(self, closing_day: int, *, dying: bool) -> None:
        candidate, self.recognition_candidate = self.recognition_candidate, None
        if candidate is not None and (candidate < closing_day or (candidate == closing_day and not dying)):
            self._recognize(candidate)

    def _recognize(self, day: int) -> None:
        self.recognitions.append(DraftEvent(day, "recognized"))
        self.recognized_day = day

    def finish(self) -> list[DraftEvent]:
        """All events in (date, same-day order), recognitions included."""
        candidate = self.recognition_candidate
        if candidate is not None and candidate <= self.until_day:
            self._recognize(candidate)
        if self.recognized_day is not None and self.rng.random() < RECOGNITION_ENDED_SHARE:
            ended = self.recognized_day + self.rng.randint(60, 700)
            if ended <= self.until_day and (self.death_day is None or ended < self.death_day):
                self.recognitions.append(DraftEvent(ended, "recognition_ended", note="Recognition withdrawn after review"))
        if not self.recognitions:
            return self.events
        return sorted(self.events + self.recognitions, key=lambda event: (event.day, EVENT_ORDER[event.kind]))


class Story:
    """Draws the events of one person: episodes of detention, one after another."""

    def __init__(self, person: Person, world: World):
        self.person = person
        self.world = world
        self.rng = world.rng
        self.timeline = Timeline(world.until_day, world.rng)

    def tell(self) -> list[DraftEvent]:
        try:
            self._episodes()
        except BeyondUntil:
            pass
        return self.timeline.finish()

    # Episodes

    def _episodes(self) -> None:
        rng = self.rng
        start = self.world.detention_calendar.day(rng)
        period = "before_wave" if start < WAVE_START else "wave" if start <= WAVE_END else "after_wave"
        administrative = rng.random() < ADMINISTRATIVE_FIRST_SHARE[period]
        for episode in range(MAX_EPISODES):
            free = self._administrative(start) if administrative else self._criminal(start, first=episode == 0)
            self.timeline.end_episode()
            if not free:
                return
            if administrative:
                if rng.random() >= DETAINED_AGAIN_AFTER_ADMINISTRATIVE:
                    break
                administrative = rng.random() >= CRIMINAL_AFTER_ADMINISTRATIVE
                start = self.timeline.last_day + rng.randint(7, 400)
            else:
                if rng.random() >= DETAINED_AGAIN_AFTER_CRIMINAL:
                    break
                administrative = rng.random() < 0.5
                start = self.timeline.last_day + rng.randint(60, 900)
        if rng.random() < DEATH_AT_LIBERTY_SHARE:
            self.timeline.close(self.timeline.last_day + rng.randint(60, 2000), "died", place=self.person.town, note="Died at liberty after release")

    def _administrative(self, start: int) -> bool:
        """Detained, charged under the administrative code, freed after arrest or a fine. Returns whether free."""
        rng, timeline = self.rng, self.timeline
        timeline.detain(start, self._detention_centre(), political=rng.random() >= NOT_POLITICAL_SHARE, recognisable=False, administrative=True)
        day = timeline.last_day
        outcome = rng.random()
        if outcome < RELEASED_WITHOUT_CHARGE_SHARE:
            timeline.close(day + rng.randint(0, 2), "released", note="Released without charge")
            return True
        article = self._administrative_article(day)
        timeline.add(day + rng.randint(0, 1), "charged", charges=article)
        if outcome < RELEASED_WITHOUT_CHARGE_SHARE + FINED_SHARE:
            timeline.close(timeline.last_day + rng.randint(0, 2), "released", reason="measure_changed", note=f"Fined under Article {article} of the Code of Administrative Offences")
        else:
            days = ADMINISTRATIVE_ARREST_DAYS.pick(rng)
            timeline.close(day + days, "released", reason="end_of_term", note=f"Served {days} days of administrative arrest")
            if rng.random() < CAROUSEL_SHARE:  # detained again at the gate of the detention centre
                return self._administrative(timeline.last_day + 1)
        return True

    def _criminal(self, start: int, *, first: bool) -> bool:
        """Detained and prosecuted under the criminal code. Returns whether the person is free afterwards."""
        rng, timeline = self.rng, self.timeline
        case = self._case(start, first=first)
        case_id = ""
        if case is not None:
            case_day = case.opened_day + int(rng.expovariate(1 / 45))
            if case_day <= self.world.until_day:
                case_id = case.case_id
                start = case_day if first else max(start, case_day)
        political = rng.random() >= NOT_POLITICAL_SHARE
        timeline.detain(start, self._detention_centre(), political=political, recognisable=political and rng.random() < RECOGNITION_SHARE, case_id=case_id)
        start = day = timeline.last_day
        if rng.random() < ADMINISTRATIVE_ARREST_FIRST_SHARE:  # a short arrest first, criminal charges later
            timeline.add(day, "charged", charges=self._administrative_article(day))
            day += rng.randint(5, 15)
        charges = self._criminal_charges()
        timeline.add(day + rng.randint(0, 3), "charged", charges=";".join(charges), case_id=case_id)
        if rng.random() < PRETRIAL_PRISON_SHARE:
            timeline.transfer(timeline.last_day + rng.randint(2, 12), rng.choice(self.person.region.pretrial_prisons))
        if rng.random() < PSYCHIATRIC_EXAMINATION_SHARE:
            held_in = timeline.place
            timeline.transfer(timeline.last_day + rng.randint(20, 90), PSYCHIATRIC_EXAMINATION)
            timeline.transfer(timeline.last_day + rng.randint(20, 35), held_in)
        if rng.random() < SECOND_PRETRIAL_PRISON_SHARE:
            timeline.transfer(timeline.last_day + rng.randint(30, 150), rng.choice(EXTRA_PRETRIAL_PRISONS))
        trial_day = start + rng.randint(70, 330)
        if rng.random() < REQUALIFIED_SHARE:
            charges.append(self._criminal_article(exclude=charges))
            timeline.add(rng.randint(timeline.last_day, max(timeline.last_day, trial_day - 7)), "charged", charges=";".join(charges), case_id=case_id)
        if rng.random() < INDICTMENT_SHARE and trial_day - 10 > timeline.last_day:
            indictment_day = max(timeline.last_day + 1, trial_day - rng.randint(10, 40))
            timeline.add(indictment_day, "charged", charges=";".join(charges), case_id=case_id, note="Indictment sent to court")
        measure = rng.random()
        if measure < RELEASED_PENDING_TRIAL_SHARE:
            timeline.close(timeline.last_day + rng.randint(10, 60), "released", reason="measure_changed", note="Released pending trial")
        elif measure < RELEASED_PENDING_TRIAL_SHARE + HOUSE_ARREST_SHARE:
            timeline.close(timeline.last_day + rng.randint(10, 60), "house_arrest", note="Preventive measure changed to house arrest")
        elif measure < RELEASED_PENDING_TRIAL_SHARE + HOUSE_ARREST_SHARE + DEATH_BEFORE_TRIAL_SHARE:
            self._die_in_custody(rng.randint(timeline.last_day, max(timeline.last_day, trial_day)))
            return False
        return self._trial(max(trial_day, timeline.last_day + 7), start, charges, case_id)

    def _trial(self, trial_day: int, custody_start: int, charges: list[str], case_id: str) -> bool:
        """The verdict, then the term. Returns whether the person is free afterwards."""
        rng, timeline = self.rng, self.timeline
        court = rng.choice(self.person.region.courts)
        if timeline.in_custody:
            if rng.random() < ACQUITTAL_SHARE:
                timeline.close(trial_day, "released", reason="acquittal", note="Acquitted")
                return True
            kind = SENTENCES_IN_CUSTODY.pick(rng)
        else:
            kind = SENTENCES_AT_LIBERTY.pick(rng)
            if kind in CUSTODIAL_KINDS:
                timeline.detain(trial_day, court, political=timeline.political, recognisable=timeline.political and rng.random() < RECOGNITION_SHARE, case_id=case_id)
                custody_start = trial_day = timeline.last_day
        months = self._sentence_months(kind, charges)
        timeline.add(trial_day, "convicted", place=court, case_id=case_id, sentence_months=str(months) if months else "", sentence_kind=kind)
        trial_day = timeline.last_day
        if kind not in CUSTODIAL_KINDS:
            if timeline.in_custody:
                timeline.close(trial_day, "released", reason="measure_changed", note=f"Sentenced to {SENTENCE_LABELS[kind]}; released from custody")
            return True
        term_end = custody_start + round(months * DAYS_PER_MONTH)
        if term_end <= trial_day:
            timeline.close(trial_day, "released", reason="end_of_term", note="The term was served before the verdict")
            return True
        return self._serve(trial_day, term_end, kind)

    def _serve(self, verdict_day: int, term_end: int, kind: str) -> bool:
        """Transfers during the term, then the way out. Returns whether the person is free afterwards."""
        rng, timeline = self.rng, self.timeline
        milestones: list[tuple[int, str, str]] = []  # (day, what, detail)
        arrival = verdict_day + rng.randint(20, 100)
        if kind == "colony" and rng.random() < TERM_EXTENSION_SHARE and term_end - arrival > 200:
            extension_day = rng.randint(arrival + 90, term_end - 30)
            extra_months = rng.choice((6, 9, 12, 12, 18))
            milestones.append((extension_day, "extension", str(extra_months)))
            term_end += round(extra_months * DAYS_PER_MONTH)
        exit_day, exit_kind, wave = self._way_out(verdict_day, term_end)
        place = self._place_of_term(kind)
        day = arrival
        while day < exit_day:
            milestones.append((day, "transfer", place))
            next_day = day + 30 + int(rng.expovariate(1 / TRANSFER_MEAN_DAYS))
            if rng.random() < HOSPITAL_SHARE:
                to_hospital = day + rng.randint(40, 200)
                back = to_hospital + rng.randint(14, 60)
                milestones.append((to_hospital, "transfer", PRISON_HOSPITAL))
                milestones.append((back, "transfer", place))
                next_day = max(next_day, back + 30)
            day = next_day
            place = rng.choice(PRISONS) if kind == "colony" and rng.random() < MOVED_TO_PRISON_SHARE else self._place_of_term(kind)
        for day, what, detail in sorted(milestones):
            if day + (60 if what == "extension" else 0) >= exit_day:
                continue
            if what == "transfer":
                timeline.transfer(day, detail)
            else:
                timeline.add(day, "charged", charges=EXTENSION_ARTICLE, note="Malicious disobedience to the colony administration")
                timeline.add(day + rng.randint(20, 60), "convicted", sentence_months=detail, sentence_kind=kind, note=f"Term extended by {detail} months")
        return self._leave_custody(exit_day, exit_kind, wave)

    def _way_out(self, verdict_day: int, term_end: int) -> tuple[int, str, ReleaseWave | None]:
        """How and when the person leaves custody: end of term, pardon, amnesty, exchange or death."""
        rng = self.rng
        way_out: tuple[int, str, ReleaseWave | None] = (term_end, "end_of_term", None)
        if rng.random() < DEATH_IN_CUSTODY_SHARE:
            way_out = (rng.randint(verdict_day + 1, max(verdict_day + 1, term_end - 1)), "died", None)
        waves = [(PARDON_WAVES, "pardon"), (AMNESTIES, "amnesty")]
        if self.person.citizenship:
            waves.append((EXCHANGES, "exchange"))
        for wave_list, reason in waves:
            for wave in wave_list:
                if wave.day >= way_out[0]:
                    break
                if wave.day > verdict_day + 30 and rng.random() < wave.share:
                    way_out = (wave.day, reason, wave)
                    break
        return way_out

    def _leave_custody(self, day: int, reason: str, wave: ReleaseWave | None) -> bool:
        rng, timeline, person = self.rng, self.timeline, self.person
        if reason == "died":
            self._die_in_custody(day)
            return False
        if reason == "pardon":
            timeline.close(day, "pardoned", reason="pardon", place=timeline.place)
            if wave is not None and rng.random() < wave.deported_share:
                timeline.deport(timeline.last_day, wave.destinations.pick(rng))
                return False
            return True
        note = "Released after serving the full term" if reason == "end_of_term" and rng.random() < 0.3 else ""
        timeline.close(day, "released", reason=reason, place=timeline.place, note=note)
        if person.citizenship and (reason == "exchange" or rng.random() < FOREIGNER_EXPELLED_SHARE):
            timeline.deport(timeline.last_day, person.citizenship)
            return False
        return True

    def _die_in_custody(self, day: int) -> None:
        self.timeline.close(day, "died", place=self.timeline.place, note="Died in custody; the authorities gave heart failure as the cause")

    # Details

    def _detention_centre(self) -> str:
        return self.rng.choice(self.person.region.detention_centres)

    def _administrative_article(self, day: int) -> str:
        table = ADMINISTRATIVE_ARTICLE_OLD if day < NEW_ADMINISTRATIVE_CODE_DAY else ADMINISTRATIVE_ARTICLE_NEW
        return table.pick(self.rng)

    def _criminal_article(self, exclude: list[str]) -> str:
        for _ in range(5):
            article = CRIMINAL_ARTICLE.pick(self.rng)
            if article not in exclude:
                return article
        return "342-1" if "342-1" not in exclude else "130-3"

    def _criminal_charges(self) -> list[str]:
        charges = [self._criminal_article(exclude=[])]
        if self.rng.random() < 0.3:
            charges.append(self._criminal_article(exclude=charges))
        return charges

    def _sentence_months(self, kind: str, charges: list[str]) -> int:
        rng = self.rng
        if kind in CUSTODIAL_KINDS:
            severe = any(article in SEVERE_ARTICLES for article in charges)
            return (SEVERE_MONTHS if severe else CUSTODIAL_MONTHS).pick(rng)
        if kind == "restricted_freedom":
            return RESTRICTED_FREEDOM_MONTHS.pick(rng)
        if kind == "suspended":
            return SUSPENDED_MONTHS.pick(rng)
        return 0

    def _place_of_term(self, kind: str) -> str:
        rng, person = self.rng, self.person
        if "minor" in person.categories:
            return JUVENILE_COLONY
        if person.female:
            return rng.choice(WOMEN_COLONIES)
        if kind == "prison":
            return rng.choice(PRISONS)
        return rng.choice(MEN_COLONIES)

    def _case(self, start: int, *, first: bool) -> Case | None:
        """A group case for this episode, or None; only cases opened in time for the detention."""
        rng = self.rng
        if rng.random() >= CASE_SHARE:
            return None
        case = None
        own = [self.world.cases_by_organisation[o.organisation_id] for o in self.person.organisations if o.organisation_id in self.world.cases_by_organisation]
        if own and rng.random() < 0.7:
            case = rng.choice(own)
        elif self.world.cases:
            case = rng.choice(self.world.cases)
        if case is None or case.opened_day + 60 > self.world.until_day or (not first and case.opened_day > start + 365):
            return None
        return case


# --------------------------------------------------------------------------
# Sources


class SourceDesk:
    """Finds or writes the sources an event cites.

    Public sources are news items about events of one kind in the same four
    weeks, shared by several events (of any person); restricted sources
    (lawyers' messages, relatives' reports) are cited by one event each.
    """

    def __init__(self, rng: random.Random, writer: RowWriter, days: DayTexts, until_day: int):
        self.rng = rng
        self.writer = writer
        self.days = days
        self.until_day = until_day
        self.pools: dict[tuple[int, str], list[tuple[str, int]]] = {}
        self.count = 0

    def cite(self, event: DraftEvent, person: Person) -> None:
        """Set the event's `source_ids` and `published` (the latest publication among them)."""
        rng = self.rng
        if event.kind in RESTRICTED_ONLY_KINDS and rng.random() < RESTRICTED_ONLY_SHARE:
            event.source_ids, event.published = self._restricted(event.day)
            return
        source_id, published = self._public(event, person)
        extra = rng.random()
        if extra < EXTRA_RESTRICTED_SHARE:
            other_id, other_published = self._restricted(event.day)
        elif extra < EXTRA_RESTRICTED_SHARE + SECOND_PUBLIC_SHARE:
            other_id, other_published = self._public(event, person)
        else:
            other_id = ""
        if other_id and other_id != source_id:
            source_id = f"{source_id};{other_id}"
            published = max(published, other_published)
        event.source_ids, event.published = source_id, published

    def _public(self, event: DraftEvent, person: Person) -> tuple[str, int]:
        topic = ADMINISTRATIVE_TOPICS.get(event.kind, event.kind) if event.administrative else event.kind
        key = (event.day // SOURCE_BUCKET_DAYS, topic)
        pool = self.pools.get(key)
        if pool and self.rng.random() >= NEW_SOURCE_SHARE:
            for _ in range(3):  # an item published before the event cannot report it
                source = pool[self.rng.randrange(len(pool))]
                if source[1] >= event.day:
                    return source
        source = self._new_public(event, topic, person)
        if pool is None:
            self.pools[key] = [source]
        else:
            pool.append(source)
        return source

    def _new_public(self, event: DraftEvent, topic: str, person: Person) -> tuple[str, int]:
        rng = self.rng
        published = min(event.day + PUBLICATION_LAG_DAYS.pick(rng), self.until_day)
        publisher = VIASNA if event.kind in ("recognized", "recognition_ended") else PUBLISHER.pick(rng)
        if not publisher.first_day <= published <= publisher.last_day:
            publisher = VIASNA
        article = event.charges.split(";")[0] or "342"
        title = rng.choice(HEADLINES[topic]).format(town=person.town, article=article)
        source_id = self._next_id()
        self.writer.writerow((source_id, title, publisher.name, f"{publisher.url_prefix}{100000 + self.count}", self.days[published], "false"))
        return source_id, published

    def _restricted(self, event_day: int) -> tuple[str, int]:
        published = min(event_day + self.rng.randint(0, 10), self.until_day)
        source_id = self._next_id()
        self.writer.writerow((source_id, self.rng.choice(RESTRICTED_TITLES), "", "", self.days[published], "true"))
        return source_id, published

    def _next_id(self) -> str:
        self.count += 1
        return f"s{self.count:06d}"


# --------------------------------------------------------------------------
# The package


@dataclass(frozen=True)
class GenerateSummary:
    """How many rows each file of a generated package has."""

    persons: int
    events: int
    cases: int
    organisations: int
    memberships: int
    sources: int

    def __str__(self) -> str:
        return ", ".join(f"{getattr(self, field.name):,} {field.name}" for field in dataclasses.fields(self))


class World:
    """What all stories of one package share: the random source, the calendar, cases, organisations."""

    def __init__(self, rng: random.Random, until: date, persons: int):
        self.rng = rng
        self.until = until
        self.until_day = until.toordinal()
        self.days = DayTexts(date(1920, 1, 1), until)
        self.detention_calendar = DetentionCalendar(date(2011, 1, 1), until)
        case_start = date(2020, 5, 1) if until >= date(2020, 7, 1) else date(2011, 1, 1)
        self.case_calendar = DetentionCalendar(case_start, until)
        self.organisations = self._organisations(persons)
        self.cases = self._cases(persons)
        self.cases_by_organisation = {case.organisation_id: case for case in self.cases if case.organisation_id}
        by_kind: dict[str, list[Organisation]] = {}
        for organisation in self.organisations:
            by_kind.setdefault(organisation.kind, []).append(organisation)
        self.organisations_by_kind = by_kind
        self.civic_organisations = [o for o in self.organisations if o.kind not in ROLES_BY_KIND or o.kind == "neighbourhood chat"]

    def _organisations(self, persons: int) -> list[Organisation]:
        names_and_kinds = list(KNOWN_ORGANISATIONS)
        chats = [f"{district} residents' chat, Minsk" for district in MINSK_DISTRICTS]
        chats += [f"{town} {district} residents' chat" for town in ALL_TOWNS if town != "Minsk" for district in TOWN_DISTRICTS]
        self.rng.shuffle(chats)
        wanted = max(5, persons // 300)
        for index in range(wanted):
            cycle, position = divmod(index, len(chats))
            names_and_kinds.append((chats[position] + (f" {cycle + 1}" if cycle else ""), "neighbourhood chat"))
        return [
            Organisation(f"o{number:04d}", name, kind, WeightedChoice(ROLES_BY_KIND.get(kind, MEMBER_ROLES)))
            for number, (name, kind) in enumerate(names_and_kinds, start=1)
        ]

    def _cases(self, persons: int) -> list[Case]:
        rng = self.rng
        organisation_ids = {organisation.name: organisation.organisation_id for organisation in self.organisations}
        drafts: list[tuple[str, int, str | None, str]] = [
            (name, opened.toordinal(), organisation_ids[organisation], description)
            for name, opened, organisation, description in KNOWN_CASES
            if opened <= self.until
        ]
        names = {draft[0] for draft in drafts}
        for _ in range(max(3, persons // 40)):
            opened = self.case_calendar.day(rng)
            town = rng.choice(ALL_TOWNS)
            subject, description = rng.choice(CASE_SUBJECTS)
            year = self.days[opened][:4]
            name = f"Case of the {town} {subject} ({year})"
            number = 2
            while name in names:
                name = f"Case of the {town} {subject} ({year}, No. {number})"
                number += 1
            names.add(name)
            month = MONTH_NAMES[int(self.days[opened][5:7]) - 1]
            drafts.append((name, opened, None, f"Criminal case opened in {town} in {month} {year} against {description}."))
        cases = []
        for number, (name, opened, organisation_id, description) in enumerate(drafts, start=1):
            opened_text = self.days[opened]
            if rng.random() < 0.1:
                opened_text = opened_text[:7]
                opened = day_number(int(opened_text[:4]), int(opened_text[5:7]), 1)
            cases.append(Case(f"c{number:04d}", name, opened, opened_text, organisation_id, description))
        return cases


class PackageWriter:
    """Draws persons one by one and writes their rows, streaming, into the six CSV files."""

    def __init__(self, world: World, writers: dict[str, RowWriter]):
        self.world = world
        self.rng = world.rng
        self.days = world.days
        self.writers = writers
        self.sources = SourceDesk(world.rng, writers["sources"], world.days, world.until_day)
        self.counts = {name: 0 for name in writers}
        self.event_count = 0
        self.until_end = world.until_day * MINUTES_PER_DAY + MINUTES_PER_DAY - 1
        # Events from before the register opened were entered in its first months (if the package reaches them).
        self.backfill = world.until_day >= REGISTER_OPENED + 200

    def write_cases_and_organisations(self) -> None:
        for case in self.world.cases:
            self.writers["cases"].writerow((case.case_id, case.name, case.opened_text, case.description))
        for organisation in self.world.organisations:
            self.writers["organisations"].writerow((organisation.organisation_id, organisation.name, organisation.kind))
        self.counts["cases"] = len(self.world.cases)
        self.counts["organisations"] = len(self.world.organisations)

    def write_person(self, number: int) -> None:
        """Draw person number `number`, their story, and write all their rows."""
        rng = self.rng
        person = self._draw_person(number)
        events = Story(person, self.world).tell()
        self._write_person_row(person, events[0].day)
        for organisation in person.organisations:
            self.writers["memberships"].writerow((person.person_id, organisation.organisation_id, organisation.roles.pick(rng)))
        self.counts["memberships"] += len(person.organisations)
        self._show_dates(events)
        for event in events:
            self.sources.cite(event, person)
        self._record(events)
        self._write_events(person, events)

    # Persons

    def _draw_person(self, number: int) -> Person:
        rng = self.rng
        gender_draw = rng.random()
        gender = "m" if gender_draw < 0.79 else "f" if gender_draw < 0.99 else "x" if gender_draw < 0.993 else ""
        female = gender == "f" or (gender in ("x", "") and rng.random() < 0.2)
        region = REGION.pick(rng)
        region_name = region.name if rng.random() >= UNKNOWN_REGION_SHARE else ""
        categories = draw_categories(rng)
        citizenship = CITIZENSHIP.pick(rng) if "foreigner" in categories else ""
        person = Person(f"p{number:06d}", gender, female, region, region_name, rng.choice(region.towns), categories, citizenship, [])
        person.organisations = self._draw_organisations(person)
        return person

    def _draw_organisations(self, person: Person) -> list[Organisation]:
        rng, by_kind = self.rng, self.world.organisations_by_kind
        chosen: list[Organisation] = []
        if "journalist" in person.categories:
            chosen.append(rng.choice(by_kind["media outlet"]))
            if rng.random() < 0.3:
                chosen.append(by_kind["journalists' association"][0])
        if "lawyer" in person.categories:
            chosen.append(rng.choice(by_kind["bar association"]))
        if "student" in person.categories:
            chosen.append(rng.choice(by_kind["university"]))
            if rng.random() < 0.2:
                chosen.append(by_kind["student union"][0])
        if "musician" in person.categories:
            chosen.append(rng.choice(by_kind["band"]))
        if rng.random() < 0.005:
            chosen.append(rng.choice(by_kind["laboratory"]))
        if rng.random() < 0.12:
            chosen.append(rng.choice(self.world.civic_organisations))
        unique: dict[str, Organisation] = {organisation.organisation_id: organisation for organisation in chosen}
        return list(unique.values())

    def _write_person_row(self, person: Person, first_detention: int) -> None:
        rng = self.rng
        name, name_be, name_ru, name_en, aliases = draw_names(rng, person.female)
        birth = first_detention - int(age_at_first_detention(rng, person.categories) * 365.25)
        birth_text = self.days[birth]
        precision = rng.random()
        if precision >= 0.93:
            birth_text = ""
        elif precision >= 0.87:
            birth_text = birth_text[:4]
        elif precision >= 0.82:
            birth_text = birth_text[:7]
        notes_pool = PERSON_NOTES + (FEMALE_PERSON_NOTES if person.female else ())
        notes = []
        if person.citizenship:
            notes.append(f"Citizen of {person.citizenship}.")
        if rng.random() < 0.12:
            notes.append(rng.choice(notes_pool).format(town=person.town))
        restricted = ""
        if rng.random() < 0.06:
            number = f"{rng.randint(100, 999)}-{rng.randint(10, 99)}-{rng.randint(10, 99)}"
            restricted = rng.choice(RESTRICTED_NOTE_TEMPLATES).format(number=number)
        self.writers["persons"].writerow((
            person.person_id, name, name_be, name_ru, name_en, aliases, birth_text, person.gender,
            ";".join(person.categories), person.region_name, "false" if rng.random() < NON_PUBLIC_SHARE else "true",
            " ".join(notes), restricted,
        ))
        self.counts["persons"] += 1

    # Events

    def _show_dates(self, events: list[DraftEvent]) -> None:
        """Set each event's date as shown; a few become partial.

        Only where counting the partial date as the first day of its month
        (or year) keeps the person's order, does not separate the event from a
        neighbour on the same day, and does not move it before its case opened.
        """
        rng, days = self.rng, self.days
        previous = (0, -1)
        last = len(events) - 1
        for index, event in enumerate(events):
            order = EVENT_ORDER[event.kind]
            text = days[event.day]
            event.shown_date, event.effective_day = text, event.day
            share = PARTIAL_EARLY_SHARE if event.day < EARLY_YEARS_END else PARTIAL_TRANSFER_SHARE if event.kind == "transferred" else PARTIAL_DATE_SHARE
            alone_that_day = (index == 0 or events[index - 1].day != event.day) and (index == last or events[index + 1].day != event.day)
            if rng.random() < share and alone_that_day and not event.case_id:
                month_start = event.day - int(text[8:10]) + 1
                if (month_start, order) > previous:
                    event.shown_date, event.effective_day = text[:7], month_start
                    year_start = day_number(int(text[:4]), 1, 1)
                    if event.day < EARLY_YEARS_END and rng.random() < 0.4 and (year_start, order) > previous:
                        event.shown_date, event.effective_day = text[:4], year_start
            previous = (event.effective_day, order)

    def _record(self, events: list[DraftEvent]) -> None:
        """Record times: after the event and its sources, never before the person's previous row."""
        rng = self.rng
        previous = 0
        for event in events:
            day = max(event.day, event.published)
            if day < REGISTER_OPENED and self.backfill:
                day = REGISTER_OPENED + rng.randint(0, 200)
            moment = (day + RECORDING_LAG_DAYS.pick(rng)) * MINUTES_PER_DAY + rng.randint(7 * 60, 22 * 60)
            moment = max(moment, previous + rng.randint(1, 30))
            event.recorded = previous = min(moment, self.until_end)

    def _write_events(self, person: Person, events: list[DraftEvent]) -> None:
        writer, rng = self.writers["events"], self.rng
        for index, event in enumerate(events):
            self.event_count += 1
            event_id = f"e{self.event_count:07d}"
            recorded = self._timestamp(event.recorded)
            if rng.random() < RETRACTION_SHARE:
                earlier = self._earlier_version(events, index)
                if earlier is not None:
                    writer.writerow(self._event_row(event_id, person, earlier, self._timestamp(earlier.recorded), recorded))
                    self.counts["events"] += 1
            writer.writerow(self._event_row(event_id, person, event, recorded, ""))
            self.counts["events"] += 1

    def _earlier_version(self, events: list[DraftEvent], index: int) -> DraftEvent | None:
        """A version of `events[index]` recorded earlier with another place or date, or None if none fits."""
        rng = self.rng
        event = events[index]
        recorded = event.recorded - rng.randint(60, 20 * MINUTES_PER_DAY)
        if event.place and rng.random() < 0.5:
            place = rng.choice(ALL_PLACES)
            earlier = None if place == event.place else dataclasses.replace(event, place=place, recorded=recorded)
        else:
            day = event.day - rng.randint(1, 3)  # not later: the sources reported the event by its true date
            movable = self._could_have_been_dated(events, index, day)
            earlier = dataclasses.replace(event, day=day, shown_date=self.days[day], recorded=recorded) if movable else None
        if earlier is None or recorded < max(earlier.day, earlier.published) * MINUTES_PER_DAY:
            return None
        return earlier

    def _could_have_been_dated(self, events: list[DraftEvent], index: int, day: int) -> bool:
        """Whether `events[index]` on `day` leaves the person's story as it is.

        The event must have a full date and no case (whose opening it might
        precede), stay strictly between its neighbours, and not be tied to a
        neighbour on its own day (a deportation on the day of release, a
        release on the day of the verdict).
        """
        event = events[index]
        if event.shown_date != self.days[event.day] or event.case_id or day > self.world.until_day:
            return False
        neighbours = events[max(index - 1, 0):index] + events[index + 1:index + 2]
        if any(neighbour.effective_day == event.day for neighbour in neighbours):
            return False
        key = (day, EVENT_ORDER[event.kind])
        after_previous = index == 0 or key > (events[index - 1].effective_day, EVENT_ORDER[events[index - 1].kind])
        before_next = index == len(events) - 1 or key < (events[index + 1].effective_day, EVENT_ORDER[events[index + 1].kind])
        return after_previous and before_next

    def _timestamp(self, moment: int) -> str:
        day, minute = divmod(moment, MINUTES_PER_DAY)
        return self.days[day] + TIMES_OF_DAY[minute]

    @staticmethod
    def _event_row(event_id: str, person: Person, event: DraftEvent, recorded: str, retracted: str) -> tuple[str, ...]:
        return (
            event_id, person.person_id, event.kind, event.shown_date, event.place, event.case_id, event.charges,
            event.sentence_months, event.sentence_kind, event.destination, event.reason, event.politically_motivated,
            event.source_ids, recorded, retracted, event.note,
        )


def _check_arguments(out_dir: Path, persons: int, until: date) -> None:
    if persons < 0:
        raise ValueError(f"the number of persons must not be negative, not {persons}")
    if until < EARLIEST_UNTIL:
        raise ValueError(f"until must be {EARLIEST_UNTIL} or later, not {until}")
    if out_dir.exists():
        if not out_dir.is_dir():
            raise ValueError(f"{out_dir} exists and is not a folder")
        if any(out_dir.iterdir()):
            raise ValueError(f"{out_dir} is not empty; choose a new or empty folder")


def generate_package(
    out_dir: Path,
    *,
    persons: int,
    seed: int,
    until: date = DEFAULT_UNTIL,
    progress: Callable[[int], None] | None = None,
) -> GenerateSummary:
    """Write a synthetic data package of `persons` persons into `out_dir` (new or empty).

    The same arguments give byte-identical files. `progress(n)` is called with
    the number of persons written so far, every thousand persons and at the end.
    Raises ValueError if `out_dir` is not empty, `persons` is negative or
    `until` is before 2011.
    """
    out_dir = Path(out_dir)
    _check_arguments(out_dir, persons, until)
    out_dir.mkdir(parents=True, exist_ok=True)
    names = [resource.name for resource in package_format.RESOURCES]
    with ExitStack() as files:
        writers: dict[str, RowWriter] = {}
        for resource in package_format.RESOURCES:
            stream = files.enter_context(open(out_dir / resource.path, "w", encoding="utf-8", newline=""))
            writers[resource.name] = csv.writer(stream, lineterminator="\n")
            writers[resource.name].writerow(resource.columns)
        package = PackageWriter(World(random.Random(seed), until, persons), writers)
        package.write_cases_and_organisations()
        for number in range(1, persons + 1):
            package.write_person(number)
            if progress is not None and number % PROGRESS_EVERY == 0:
                progress(number)
        if progress is not None and persons % PROGRESS_EVERY:
            progress(persons)
    package_format.write_descriptor(out_dir, names)
    counts = package.counts
    counts["sources"] = package.sources.count
    return GenerateSummary(**{name: counts[name] for name in ("persons", "events", "cases", "organisations", "memberships", "sources")})

