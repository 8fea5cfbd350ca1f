"""The synthetic data generator: deterministic, well-formed and coherent packages."""

from __future__ import annotations

import csv
import json
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, fields
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import frictionless
import pytest

from chronicle import package_format, records, vocabulary
from chronicle.generate import GenerateSummary, generate_package
from chronicle.generate_names import FEMALE_GIVEN_NAMES, MALE_GIVEN_NAMES, SURNAMES, NameForms, Surname

UNTIL = date(2025, 6, 30)
PERSONS = 300
FILES = ("persons", "events", "cases", "organisations", "memberships", "sources")
PARTIAL_DATE = re.compile(r"\d{4}(-\d{2}(-\d{2})?)?")
TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z")
CLOSES_CUSTODY_ONLY_WHEN_HELD = {"house_arrest", "released", "pardoned"}


@dataclass
class Generated:
    folder: Path
    summary: GenerateSummary
    progress: list[int]

    def rows(self, name: str) -> list[dict[str, str]]:
        with open(self.folder / f"{name}.csv", encoding="utf-8", newline="") as stream:
            return list(csv.DictReader(stream))

    def current_events(self) -> list[dict[str, str]]:
        return [row for row in self.rows("events") if not row["retracted_at"]]


@pytest.fixture(scope="module")
def package(tmp_path_factory: pytest.TempPathFactory) -> Generated:
    folder = tmp_path_factory.mktemp("generated") / "package"
    calls: list[int] = []
    summary = generate_package(folder, persons=PERSONS, seed=11, until=UNTIL, progress=calls.append)
    return Generated(folder, summary, calls)


@pytest.fixture(scope="module")
def large_package(tmp_path_factory: pytest.TempPathFactory) -> Generated:
    """Ten times larger, for properties that only a few persons show."""
    folder = tmp_path_factory.mktemp("generated") / "large"
    return Generated(folder, generate_package(folder, persons=3000, seed=2, until=UNTIL), [])


def first_day(text: str) -> date:
    """A partial date counts as the first day of its year or month (register.md)."""
    year, _, rest = text.partition("-")
    month, _, day = rest.partition("-")
    return date(int(year), int(month or 1), int(day or 1))


def moment(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)


def in_story_order(events: list[dict[str, str]]) -> list[dict[str, str]]:
    """Events by date, then by the same-day order of the vocabulary (stable: file order breaks ties)."""
    return sorted(events, key=lambda event: (first_day(event["date"]), vocabulary.EVENT_ORDER[event["type"]]))


def events_by_person(package: Generated) -> dict[str, list[dict[str, str]]]:
    stories: dict[str, list[dict[str, str]]] = defaultdict(list)
    for event in package.current_events():
        stories[event["person_id"]].append(event)
    return {person: in_story_order(events) for person, events in stories.items()}


def file_bytes(folder: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(folder.iterdir())}


# Determinism and the package as a whole


def test_the_same_seed_gives_identical_files_and_another_seed_other_data(tmp_path: Path) -> None:
    generate_package(tmp_path / "a", persons=200, seed=5)
    generate_package(tmp_path / "b", persons=200, seed=5)
    generate_package(tmp_path / "c", persons=200, seed=6)
    first, again, other = (file_bytes(tmp_path / name) for name in "abc")
    assert set(first) == {f"{name}.csv" for name in FILES} | {"datapackage.json"}
    assert first == again
    for name in ("persons.csv", "events.csv", "sources.csv"):
        assert first[name] != other[name]


def test_headers_are_the_columns_of_the_package_format(package: Generated) -> None:
    for name in FILES:
        with open(package.folder / f"{name}.csv", encoding="utf-8", newline="") as stream:
            assert tuple(next(csv.reader(stream))) == package_format.RESOURCES_BY_NAME[name].columns


def test_descriptor_describes_all_six_files(package: Generated) -> None:
    descriptor = json.loads((package.folder / "datapackage.json").read_text(encoding="utf-8"))
    assert sorted(resource["path"] for resource in descriptor["resources"]) == sorted(f"{name}.csv" for name in FILES)


def test_summary_counts_the_rows_of_each_file(package: Generated) -> None:
    for field in fields(GenerateSummary):
        assert getattr(package.summary, field.name) == len(package.rows(field.name)), field.name
    assert package.summary.persons == PERSONS
    assert "300 persons" in str(package.summary)


def test_progress_reports_persons_done(tmp_path: Path, package: Generated) -> None:
    assert package.progress == [PERSONS]
    calls: list[int] = []
    generate_package(tmp_path / "p", persons=2100, seed=1, until=date(2016, 12, 31), progress=calls.append)
    assert calls == [1000, 2000, 2100]


def test_rows_parse_as_the_importer_reads_them(package: Generated) -> None:
    for name in FILES:
        for line, row in enumerate(package.rows(name), start=2):
            _, errors = records.parse_row_all(name, row)
            assert not errors, f"{name}.csv line {line}: {errors}"


def test_frictionless_finds_the_package_valid(package: Generated) -> None:
    report = frictionless.validate(str(package.folder / "datapackage.json"))
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])[:10]


# References and vocabulary


def test_references_point_to_existing_records(package: Generated) -> None:
    persons = {row["person_id"] for row in package.rows("persons")}
    cases = {row["case_id"] for row in package.rows("cases")}
    organisations = {row["organisation_id"] for row in package.rows("organisations")}
    sources = {row["source_id"] for row in package.rows("sources")}
    events = package.rows("events")
    assert {event["person_id"] for event in events} <= persons
    assert {event["case_id"] for event in events if event["case_id"]} <= cases
    assert {source for event in events for source in event["source_ids"].split(";")} <= sources
    memberships = package.rows("memberships")
    assert {row["person_id"] for row in memberships} <= persons
    assert {row["organisation_id"] for row in memberships} <= organisations
    assert len({(row["person_id"], row["organisation_id"]) for row in memberships}) == len(memberships)


def test_ids_are_unique(package: Generated) -> None:
    for name, key in (("persons", "person_id"), ("cases", "case_id"), ("organisations", "organisation_id"), ("sources", "source_id")):
        ids = [row[key] for row in package.rows(name)]
        assert len(ids) == len(set(ids)), name
    assert len({row["event_id"] for row in package.current_events()}) == len(package.current_events())


def test_every_person_has_events_and_every_event_a_source(package: Generated) -> None:
    assert set(events_by_person(package)) == {row["person_id"] for row in package.rows("persons")}
    for event in package.rows("events"):
        assert [source for source in event["source_ids"].split(";") if source], event["event_id"]


def test_values_come_from_the_vocabulary(package: Generated) -> None:
    events = package.rows("events")
    assert {event["type"] for event in events} <= set(vocabulary.EVENT_TYPES)
    assert {event["sentence_kind"] for event in events} <= set(vocabulary.SENTENCE_KINDS) | {""}
    assert {event["reason"] for event in events} <= set(vocabulary.RELEASE_REASONS) | {""}
    assert {event["politically_motivated"] for event in events} <= {"true", "false", ""}
    persons = package.rows("persons")
    assert {person["gender"] for person in persons} <= set(vocabulary.GENDERS) | {""}
    assert {category for person in persons for category in person["categories"].split(";") if category} <= set(vocabulary.COMMON_CATEGORIES)
    assert {person["public"] for person in persons} == {"true", "false"}
    assert {source["restricted"] for source in package.rows("sources")} == {"true", "false"}


def test_event_fields_fit_the_event_type(package: Generated) -> None:
    for event in package.current_events():
        kind = event["type"]
        if event["sentence_kind"] or event["sentence_months"]:
            assert kind == "convicted", event
        if event["sentence_kind"] in ("colony", "prison", "restricted_freedom", "suspended"):
            assert int(event["sentence_months"]) > 0, event
        if kind == "deported":
            assert event["destination"], event
        if kind in ("transferred", "died"):
            assert event["place"], event
        if kind == "pardoned":
            assert event["reason"] == "pardon", event
        if event["reason"]:
            assert kind in ("released", "pardoned"), event
    assert all(event["politically_motivated"] in ("true", "false") for event in package.current_events() if event["type"] == "detained")


# Dates and record times


def test_dates_are_valid_and_never_after_until(package: Generated) -> None:
    dated = [
        ("events", "date", True), ("persons", "birth_date", False), ("cases", "opened", False), ("sources", "published", False),
    ]
    for name, column, required in dated:
        for row in package.rows(name):
            text = row[column]
            if not text and not required:
                continue
            assert PARTIAL_DATE.fullmatch(text), (name, row)
            assert first_day(text) <= UNTIL, (name, row)


def test_record_times_follow_the_events_and_stay_within_until(package: Generated) -> None:
    end_of_until = datetime.combine(UNTIL + timedelta(days=1), datetime.min.time(), tzinfo=timezone.utc)
    for event in package.rows("events"):
        assert TIMESTAMP.fullmatch(event["recorded_at"]), event
        recorded = moment(event["recorded_at"])
        assert recorded.date() >= first_day(event["date"]), event
        assert recorded < end_of_until, event
        if event["retracted_at"]:
            assert moment(event["retracted_at"]) > recorded, event
            assert moment(event["retracted_at"]) < end_of_until, event


def test_a_retracted_version_is_superseded_by_the_current_version(package: Generated) -> None:
    current = {event["event_id"]: event for event in package.current_events()}
    retracted = [event for event in package.rows("events") if event["retracted_at"]]
    assert retracted
    for old in retracted:
        new = current[old["event_id"]]
        assert new["recorded_at"] == old["retracted_at"]
        assert (old["person_id"], old["type"]) == (new["person_id"], new["type"])
        assert (old["date"], old["place"]) != (new["date"], new["place"])


@pytest.mark.parametrize("fixture", ["package", "large_package"])
def test_event_dates_are_not_before_the_cases_they_belong_to(fixture: str, request: pytest.FixtureRequest) -> None:
    generated = request.getfixturevalue(fixture)
    opened = {case["case_id"]: first_day(case["opened"]) for case in generated.rows("cases")}
    with_case = [event for event in generated.rows("events") if event["case_id"]]
    assert with_case
    for event in with_case:
        assert first_day(event["date"]) >= opened[event["case_id"]], event


def test_sources_are_published_after_the_event_and_before_the_register_records_it(package: Generated) -> None:
    published = {source["source_id"]: first_day(source["published"]) for source in package.rows("sources")}
    for event in package.rows("events"):
        for source_id in event["source_ids"].split(";"):
            assert first_day(event["date"]) <= published[source_id] <= moment(event["recorded_at"]).date(), event


# Coherence of each person's story


def assert_coherent(person: str, events: list[dict[str, str]]) -> None:
    """Walk a person's events: nothing closes custody that is not open, and nothing follows a death.

    The spec allows two closings without open custody, and the generator uses
    both: `deported` on the day of a release or pardon, and `died` at liberty.
    Recognition comes while the person is held (or on the day custody ends).
    """
    held = recognised = dead = False
    previous: dict[str, str] | None = None
    for event in in_story_order(events):
        kind = event["type"]
        where = f"{person} {event['event_id']} {kind} {event['date']}"
        assert not dead, f"event after death: {where}"
        freed_that_day = previous is not None and previous["type"] in vocabulary.CUSTODY_CLOSING and previous["date"] == event["date"]
        if kind == "detained":
            assert not held, f"detained while held: {where}"
            held = True
        elif kind in CLOSES_CUSTODY_ONLY_WHEN_HELD:
            assert held, f"custody closed but not open: {where}"
            held = False
        elif kind == "deported":
            assert held or (freed_that_day and previous["type"] in ("released", "pardoned")), f"deported from nowhere: {where}"
            held = False
        elif kind == "died":
            held, dead = False, True
        elif kind == "transferred":
            assert held, f"transferred while free: {where}"
        elif kind == "recognized":
            assert not recognised, f"recognised twice: {where}"
            assert held or freed_that_day, f"recognised while free: {where}"
            recognised = True
        elif kind == "recognition_ended":
            assert recognised, f"recognition ended but never began: {where}"
            recognised = False
        if kind not in ("recognized", "recognition_ended"):
            previous = event


@pytest.mark.parametrize("fixture", ["package", "large_package"])
def test_each_persons_story_is_coherent(fixture: str, request: pytest.FixtureRequest) -> None:
    for person, events in events_by_person(request.getfixturevalue(fixture)).items():
        assert_coherent(person, events)


@pytest.mark.parametrize("fixture", ["package", "large_package"])
def test_each_story_was_coherent_before_its_corrections(fixture: str, request: pytest.FixtureRequest) -> None:
    """What the register knew before an edit (the retracted version instead of the current one) was coherent too."""
    generated = request.getfixturevalue(fixture)
    stories = events_by_person(generated)
    for old in (event for event in generated.rows("events") if event["retracted_at"]):
        story = stories[old["person_id"]]
        assert_coherent(old["person_id"], [old if event["event_id"] == old["event_id"] else event for event in story])


def test_stories_start_with_a_detention(package: Generated) -> None:
    for person, events in events_by_person(package).items():
        assert events[0]["type"] == "detained", person


def test_recognised_persons_were_held_on_politically_motivated_grounds(package: Generated) -> None:
    for person, events in events_by_person(package).items():
        for index, event in enumerate(events):
            if event["type"] == "recognized":
                detentions = [e for e in events[:index] if e["type"] == "detained"]
                assert detentions and detentions[-1]["politically_motivated"] == "true", person


def test_minors_were_under_eighteen_at_their_first_detention(large_package: Generated) -> None:
    stories = events_by_person(large_package)
    minors = [p for p in large_package.rows("persons") if "minor" in p["categories"].split(";") and len(p["birth_date"]) == 10]
    assert minors
    checked = 0
    for person in minors:
        first_detention = stories[person["person_id"]][0]["date"]
        if len(first_detention) == 10:
            age = (date.fromisoformat(first_detention) - date.fromisoformat(person["birth_date"])).days / 365.25
            assert 14 <= age < 18, person
            checked += 1
    assert checked


# The shape of the data


def test_a_wave_of_detentions_in_autumn_2020(package: Generated) -> None:
    per_month = Counter(event["date"][:7] for event in package.current_events() if event["type"] == "detained" and len(event["date"]) >= 7)
    wave = sum(per_month[f"2020-{month:02d}"] for month in range(8, 13)) / 5
    year_2022 = sum(per_month[f"2022-{month:02d}"] for month in range(1, 13)) / 12
    assert wave > 1.5 * year_2022 > 0


def test_detentions_before_2020_are_few_and_continue_after_the_wave(package: Generated) -> None:
    years = Counter(first_day(event["date"]).year for event in package.current_events() if event["type"] == "detained")
    total = sum(years.values())
    assert 0 < sum(count for year, count in years.items() if year < 2020) < 0.1 * total
    assert all(years[year] > 0 for year in range(2021, 2026))


def test_the_package_has_each_special_kind_of_row(package: Generated) -> None:
    persons = package.rows("persons")
    events = package.rows("events")
    sources = package.rows("sources")
    public = Counter(person["public"] for person in persons)
    assert 0.05 < public["false"] / len(persons) < 0.3
    restricted = [source for source in sources if source["restricted"] == "true"]
    assert 0.03 < len(restricted) / len(sources) < 0.25
    assert all(not source["url"] for source in restricted)
    assert all(source["url"].startswith("https://") for source in sources if source["restricted"] == "false")
    assert any(len(event["date"]) < 10 for event in events)
    assert any(len(person["birth_date"]) in (4, 7) for person in persons)
    assert any(not person["birth_date"] for person in persons)
    assert any(event["retracted_at"] for event in events)
    assert any(event["politically_motivated"] == "false" for event in events)
    assert any(person["aliases"] for person in persons)
    assert any(person["restricted_notes"] for person in persons)
    assert all("+375 00" in person["restricted_notes"] for person in persons if person["restricted_notes"])
    kinds = Counter(event["type"] for event in events)
    for kind in ("detained", "charged", "convicted", "transferred", "released", "house_arrest", "recognized"):
        assert kinds[kind] > 0, kind


def test_a_larger_package_has_the_rarer_stories(large_package: Generated) -> None:
    events = large_package.current_events()
    kinds = Counter(event["type"] for event in events)
    for kind in ("pardoned", "deported", "died", "recognition_ended"):
        assert kinds[kind] > 0, kind
    assert {event["reason"] for event in events} >= {"end_of_term", "pardon", "measure_changed"}
    assert {event["sentence_kind"] for event in events} >= set(vocabulary.SENTENCE_KINDS)
    categories = Counter(c for person in large_package.rows("persons") for c in person["categories"].split(";") if c)
    assert set(categories) == set(vocabulary.COMMON_CATEGORIES)
    assert categories["journalist"] > categories["foreigner"]


def test_sources_are_shared_by_several_events(package: Generated) -> None:
    citations = Counter(source for event in package.current_events() for source in event["source_ids"].split(";"))
    assert max(citations.values()) >= 3
    assert len(citations) < len(package.current_events())


def test_about_ten_events_per_person(tmp_path: Path) -> None:
    summary = generate_package(tmp_path / "scale", persons=1000, seed=3)
    assert 7 <= summary.events / summary.persons <= 13


def test_until_defaults_to_the_end_of_october_2026(tmp_path: Path) -> None:
    summary = generate_package(tmp_path / "default", persons=300, seed=4)
    dates = [first_day(row["date"]) for row in Generated(tmp_path / "default", summary, []).rows("events")]
    assert max(dates) <= date(2026, 10, 31)
    assert max(dates) > date(2026, 1, 1)


# Names


def test_name_tables_are_large_enough_and_in_the_right_scripts() -> None:
    assert len(MALE_GIVEN_NAMES) >= 60 and len(FEMALE_GIVEN_NAMES) >= 60 and len(SURNAMES) >= 150
    forms = list(MALE_GIVEN_NAMES) + list(FEMALE_GIVEN_NAMES) + [surname.masculine for surname in SURNAMES]
    for name in forms:
        assert re.fullmatch(r"[А-ЯЁІЎ][а-яёіў']+", name.be), name
        assert re.fullmatch(r"[А-ЯЁ][а-яё']+", name.ru), name
        assert re.fullmatch(r"[A-Z][a-z]+", name.latin) and re.fullmatch(r"[A-Z][a-z]+", name.latin_ru), name
    assert len({surname.masculine.ru for surname in SURNAMES}) == len(SURNAMES)


@pytest.mark.parametrize(
    ("masculine", "declension", "feminine"),
    [
        (NameForms("Ціханоўскі", "Тихановский", "Tsikhanouski", "Tikhanovsky"), "adjective", NameForms("Ціханоўская", "Тихановская", "Tsikhanouskaya", "Tikhanovskaya")),
        (NameForms("Казлоў", "Козлов", "Kazlou", "Kozlov"), "possessive", NameForms("Казлова", "Козлова", "Kazlova", "Kozlova")),
        (NameForms("Кавалёў", "Ковалёв", "Kavaliou", "Kovalyov"), "possessive", NameForms("Кавалёва", "Ковалёва", "Kavaliova", "Kovalyova")),
        (NameForms("Ільін", "Ильин", "Ilyin", "Ilyin"), "possessive", NameForms("Ільіна", "Ильина", "Ilyina", "Ilyina")),
        (NameForms("Бялы", "Белый", "Bialy", "Bely"), "adjective", NameForms("Бялая", "Белая", "Bialaya", "Belaya")),
        (NameForms("Шаўчэнка", "Шевченко", "Shauchenka", "Shevchenko"), "fixed", NameForms("Шаўчэнка", "Шевченко", "Shauchenka", "Shevchenko")),
    ],
)
def test_female_surname_forms(masculine: NameForms, declension: str, feminine: NameForms) -> None:
    surname = Surname(masculine, declension)
    assert surname.forms(female=True) == feminine
    assert surname.forms(female=False) == masculine


def test_declension_classes_match_the_endings() -> None:
    endings = {
        "adjective": (("і", "ы"), ("ий", "ый", "ой"), ("i", "y"), ("y",)),
        "possessive": (("ў", "н"), ("в", "н"), ("u", "n"), ("v", "n")),
    }
    for surname in SURNAMES:
        name = surname.masculine
        if surname.declension == "fixed":
            assert not name.ru.endswith(("ий", "ый", "ов", "ев", "ёв", "ин", "ын")), name
            continue
        be, ru, latin, latin_ru = endings[surname.declension]
        assert name.be.endswith(be) and name.ru.endswith(ru) and name.latin.endswith(latin) and name.latin_ru.endswith(latin_ru), name


def test_persons_names_agree_with_their_gender(package: Generated) -> None:
    feminine_russian = {surname.forms(female=True).ru for surname in SURNAMES if surname.declension != "fixed"}
    masculine_russian = {surname.masculine.ru for surname in SURNAMES if surname.declension != "fixed"}
    for person in package.rows("persons"):
        surname = person["name_ru"].split()[-1] if person["name_ru"] else ""
        if person["gender"] == "f":
            assert surname not in masculine_russian, person
        if person["gender"] == "m":
            assert surname not in feminine_russian, person


def test_persons_have_names_in_three_scripts(package: Generated) -> None:
    persons = package.rows("persons")
    for person in persons:
        assert person["name"], person
        assert not person["name_be"] or re.fullmatch(r"[А-ЯЁІЎ][а-яёіў']+ [А-ЯЁІЎ][а-яёіў']+", person["name_be"]), person
        assert not person["name_ru"] or re.fullmatch(r"[А-ЯЁ][а-яё']+ [А-ЯЁ][а-яё']+", person["name_ru"]), person
        assert not person["name_en"] or re.fullmatch(r"[A-Z][a-z]+ [A-Z][a-z]+", person["name_en"]), person
        if person["name_be"] and person["name_ru"] and person["name_en"]:
            assert person["name"] in (person["name_be"], person["name_ru"], person["name_en"]), person
        assert person["name"] not in person["aliases"].split(";"), person
    complete = [person for person in persons if person["name_be"] and person["name_ru"] and person["name_en"]]
    assert len(complete) > 0.6 * len(persons)
    display_scripts = Counter("latin" if person["name"].isascii() else "cyrillic" for person in persons)
    assert display_scripts["latin"] > 0 and display_scripts["cyrillic"] > 0


# Refusals


def test_refuses_a_folder_that_is_not_empty(tmp_path: Path) -> None:
    (tmp_path / "old.txt").write_text("keep me", encoding="utf-8")
    with pytest.raises(ValueError, match="not empty"):
        generate_package(tmp_path, persons=10, seed=1)
    assert [path.name for path in tmp_path.iterdir()] == ["old.txt"]


def test_accepts_an_existing_empty_folder(tmp_path: Path) -> None:
    summary = generate_package(tmp_path, persons=10, seed=1)
    assert summary.persons == 10 and (tmp_path / "datapackage.json").exists()


@pytest.mark.parametrize(("persons", "until"), [(-1, UNTIL), (10, date(2009, 12, 31))])
def test_refuses_impossible_arguments(tmp_path: Path, persons: int, until: date) -> None:
    with pytest.raises(ValueError):
        generate_package(tmp_path / "new", persons=persons, seed=1, until=until)
    assert not (tmp_path / "new").exists()
