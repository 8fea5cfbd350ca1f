"""Persons probably the same inside the register, and linking an incoming name (chronicle.duplicates, issue 5)."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from duplicate_register import import_duplicates
from match_set import build_match_set
from packages import write_package

from chronicle.database import Database
from chronicle.duplicates import PersonIndex, compare_birth_dates, link_name, propose_duplicates
from chronicle.errors import InputError, NotFoundError
from chronicle.importer import import_package
from chronicle.merging import mark_not_same, merge_persons
from chronicle.register import Register


@pytest.fixture
def register(database: Database, tmp_path: Path) -> Register:
    import_duplicates(database, tmp_path / "package")
    return Register(database)


def pairs(proposals) -> list[tuple[str, str]]:
    return [(proposal.a["person_id"], proposal.b["person_id"]) for proposal in proposals]


def test_a_person_recorded_in_another_script_is_proposed_with_the_evidence(register: Register):
    proposals = propose_duplicates(register)
    assert set(pairs(proposals)[:2]) == {("p1", "p5"), ("p7", "p9")}
    tsikhanouski = next(proposal for proposal in proposals if pairs([proposal]) == [("p1", "p5")])
    assert tsikhanouski.probability > 0.99
    assert tsikhanouski.a["name"] == "Siarhei Tsikhanouski" and tsikhanouski.b["name"] == "Сяргей Ціханоўскі"
    best = tsikhanouski.names[0]
    assert (best.surname, best.given_name) == ("same stem", "same group")
    assert best.name_b == "Сяргей Ціханоўскі" and best.field_b == "name"
    assert best.field_a in ("name", "name_be", "name_ru", "name_en", "aliases")
    assert (tsikhanouski.birth_date.a, tsikhanouski.birth_date.b, tsikhanouski.birth_date.result) == ("1978-08-18", "1978-08-18", "same day")
    assert tsikhanouski.gender.result == "same"
    assert tsikhanouski.region.result == "same"  # Homiel region and Гомельская вобласць
    assert tsikhanouski.shared_cases == ({"case_id": "c1", "name": "Case of the Coordination Council"},)
    assert tsikhanouski.shared_organisations == ({"organisation_id": "o1", "name": "Belsat"},)
    assert {"type": "detained", "date": "2020-05-29"} in tsikhanouski.shared_events
    shape = tsikhanouski.to_json()
    assert set(shape) == {"person_a", "person_b", "probability", "evidence"}
    assert shape["evidence"]["shared_cases"][0]["case_id"] == "c1"
    assert shape["evidence"]["names"][0]["surname"] == "same stem"


def test_a_wife_and_a_namesake_born_years_apart_are_not_proposed(register: Register):
    proposed = set(pairs(propose_duplicates(register)))
    assert proposed == {("p1", "p5"), ("p7", "p9")}
    # Shown at any probability, the wife is not even compared closely, and the namesakes score low.
    low = propose_duplicates(register, threshold=0.0)
    everything = dict(zip(pairs(low), low, strict=True))
    assert not {("p1", "p6"), ("p5", "p6")} & set(everything)
    assert everything[("p7", "p8")].probability < 0.5
    assert everything[("p7", "p8")].birth_date.result == "different"


def test_threshold_and_limit(register: Register):
    low = propose_duplicates(register, threshold=0.05)
    high = propose_duplicates(register, threshold=0.9)
    assert set(pairs(high)) < set(pairs(low))
    assert all(proposal.probability >= 0.05 for proposal in low)
    assert [proposal.probability for proposal in low] == sorted((proposal.probability for proposal in low), reverse=True)
    assert pairs(propose_duplicates(register, threshold=0.05, limit=1)) == pairs(low)[:1]
    with pytest.raises(InputError, match="probability"):
        propose_duplicates(register, threshold=1.5)
    with pytest.raises(InputError, match="limit"):
        propose_duplicates(register, limit=0)


def test_a_pair_marked_not_the_same_is_not_proposed_again(register: Register):
    decision = mark_not_same(register, "p9", "p7", by="officer", note="cousins")
    assert (decision.person_a, decision.person_b) == ("p7", "p9")
    assert pairs(propose_duplicates(register)) == [("p1", "p5")]
    with pytest.raises(InputError, match="already marked not the same by officer"):
        mark_not_same(register, "p7", "p9", by="someone else")
    with pytest.raises(InputError, match="itself"):
        mark_not_same(register, "p7", "p7", by="officer")
    with pytest.raises(NotFoundError, match="nobody"):
        mark_not_same(register, "p7", "nobody", by="officer")
    with pytest.raises(InputError, match="--by"):
        mark_not_same(register, "p1", "p2", by=" ")


def test_merged_persons_are_not_proposed_even_as_known_before_the_merge(register: Register):
    before = datetime.now(UTC)
    merge_persons(register, "p1", "p5", by="officer")
    assert pairs(propose_duplicates(register)) == [("p7", "p9")]
    assert ("p1", "p5") not in pairs(propose_duplicates(register, known_at=before))


def test_proposals_as_known_at_a_moment(register: Register, database: Database):
    later = datetime.now(UTC) + timedelta(minutes=1)
    register.record("persons", {"person_id": "p10", "name": "Сергей Тихановский", "birth_date": "1978-08-18"}, now=later)
    assert ("p1", "p10") in pairs(propose_duplicates(register))
    assert ("p1", "p10") not in pairs(propose_duplicates(register, known_at=later - timedelta(seconds=1)))


def test_a_register_of_one_person_has_no_duplicates(database: Database, tmp_path: Path):
    assert propose_duplicates(database) == []
    import_package(database, write_package(tmp_path / "p", {"persons": [{"person_id": "a", "name": "Ales Bialiatski"}], "events": []}))
    assert propose_duplicates(database) == []


def test_proposals_find_the_spellings_of_one_person_across_scripts(database: Database, tmp_path: Path):
    """The project's cross-script set, each record a person of its own: pairs of one true person are proposed."""
    records, truth = build_match_set(count=60, seed=2020)
    persons = [
        {"person_id": f"r{r['record_id']}", "name": r["name"], "birth_date": r["birth_date"] or "",
         "gender": r["gender"] or "", "region": r["region"] or ""}
        for r in records
    ]
    import_package(database, write_package(tmp_path / "p", {"persons": persons, "events": []}))
    members: dict[int, list[str]] = {}
    for record_id, person in truth.items():
        members.setdefault(person, []).append(f"r{record_id}")
    true_pairs = {pair for ids in members.values() for pair in itertools.combinations(sorted(ids), 2)}
    proposed = set(pairs(propose_duplicates(database)))
    correct = len(proposed & true_pairs)
    assert correct / len(proposed) >= 0.97  # spouses, siblings and namesakes are in the set
    assert correct / len(true_pairs) >= 0.9


def test_birth_dates_compare_at_their_precision():
    assert compare_birth_dates("1978-08-18", "1978-08-18").result == "same day"
    assert compare_birth_dates("1978-08-18", "1978-08").result == "same month, a day unknown"
    assert compare_birth_dates("1978", "1978-08-18").result == "same year, a month unknown"
    assert compare_birth_dates("1978-08-18", "1978-09-18").result == "same year, month or day differ"
    assert compare_birth_dates("1978-08-18", "1979-01-02").result == "within a year"
    assert compare_birth_dates("1978", "1965").result == "different"
    assert compare_birth_dates(None, "1965").result == "unknown"


# Linking an incoming name


def linked(links) -> list[str]:
    return [link.person["person_id"] for link in links]


def test_a_latin_spelling_finds_a_person_recorded_in_cyrillic(register: Register):
    links = link_name(register, "Ihar Losik", birth_date="1965")
    assert linked(links) == ["p8"]  # p8 is written Ігар Лосік only; p7 and p9 were born in 1992
    best = links[0].names[0]
    assert (best.field_a, best.name_a, best.field_b, best.name_b) == ("input", "Ihar Losik", "name", "Ігар Лосік")
    assert links[0].birth_date.result == "same year, a month unknown"
    assert set(linked(link_name(register, "Ihar Losik"))) == {"p7", "p8", "p9"}  # without a birth date: all three
    assert linked(link_name(register, "Igor Losik", birth_date="1992-01-01", region="Brest"))[:2] in (["p7", "p9"], ["p9", "p7"])


def test_linking_keeps_a_wife_apart_and_finds_a_typo(register: Register):
    assert linked(link_name(register, "Sviatlana Tsikhanouskaya")) == ["p6"]
    assert set(linked(link_name(register, "Сергей Тихановский"))) == {"p1", "p5"}
    assert set(linked(link_name(register, "Siarhei Tsikhanoulski"))) == {"p1", "p5"}  # a letter wrong in the surname
    assert set(linked(link_name(register, "ТИХАНОВСКИЙ Сергей Леонидович", gender="m"))) == {"p1", "p5"}
    assert link_name(register, "Maria Ivanova") == []
    assert len(link_name(register, "Сергей Тихановский", limit=1)) == 1


def test_linking_refuses_bad_input(register: Register):
    with pytest.raises(InputError, match="empty"):
        link_name(register, "  ")
    with pytest.raises(InputError, match="no letters"):
        link_name(register, "1234")
    with pytest.raises(InputError, match="birth date"):
        link_name(register, "Ihar Losik", birth_date="1965-13")
    with pytest.raises(InputError, match="gender"):
        link_name(register, "Ihar Losik", gender="q")


def test_one_index_links_many_names_at_once(register: Register):
    index = PersonIndex(register)
    results = index.link([{"name": "Ihar Losik", "birth_date": "1965"}, {"name": "Sviatlana Tsikhanouskaya"}, {"name": "Nobody Known"}])
    assert [linked(links) for links in results] == [["p8"], ["p6"], []]
    assert index.candidates("Святлана Ціханоўская") >= {"p1", "p5", "p6"}  # pre-selected by the surname stem, then scored
