"""`chronicle extract --reconcile`: what the register says about each extracted candidate."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from packages import small_register, write_package

from chronicle.database import Database
from chronicle.extraction import extract
from chronicle.figures import Figures
from chronicle.importer import import_package
from chronicle.intake import reconcile_answer

TEXT = (
    "VILNIUS, June 25 - Belarusian opposition blogger Siarhei Tsikhanouski was pardoned on June 21 "
    "and deported to Lithuania, Viasna said. At least 4 people are behind bars, according to Viasna.\n"
)


def test_claims_get_the_register_figure_and_events_the_register_persons(database: Database, tmp_path: Path):
    import_package(database, write_package(tmp_path / "package", small_register()))
    answer = extract(TEXT, published=date(2025, 6, 25), gazetteer=["Siarhei Tsikhanouski"])
    reconciled = reconcile_answer(database, answer)
    assert answer["claims"] and "register" not in answer["claims"][0]  # the input is left as it was

    claim = reconciled["claims"][0]
    figure = Figures(database).stock(date.fromisoformat(claim["as_of"]))[claim["metric"]]
    assert claim["register"]["value"] == figure
    assert claim["register"]["holds"] is (figure >= claim["value"] if claim["qualifier"] == "at_least" else figure == claim["value"])

    pardon = next(event for event in reconciled["events"] if event["type"] == "pardoned")
    assert [person["person_id"] for person in pardon["register"]["persons"]] == ["p1"]
    assert pardon["register"]["persons"][0]["has_event"] is True and pardon["register"]["known"] is True


def test_a_name_in_another_script_finds_the_same_person(database: Database, tmp_path: Path):
    import_package(database, write_package(tmp_path / "package", small_register()))
    answer = {"claims": [], "events": [{"type": "detained", "person": "Сергей Тихановский", "date": "2020-05-29"}]}
    event = reconcile_answer(database, answer)["events"][0]
    assert event["register"]["persons"][0]["person_id"] == "p1"
    assert event["register"]["known"] is True  # p1 was detained that day
    answer = {"claims": [], "events": [{"type": "detained", "person": "Sviatlana Tsikhanouskaya", "date": "2020-05-29"}]}
    assert reconcile_answer(database, answer)["events"][0]["register"]["persons"] == []  # his wife is not him


def test_accepting_candidates_records_them_citing_the_text(database: Database, tmp_path: Path):
    from chronicle.errors import InputError
    from chronicle.intake import accept
    from chronicle.register import Register

    import_package(database, write_package(tmp_path / "package", small_register()))
    register = Register(database)
    before = register.count("events")
    source = {"title": "Blogger pardoned and deported", "publisher": "Wire", "url": "https://example.org/wire/1", "published": "2025-06-25"}
    created = accept(database, source=source, events=[
        {"type": "pardoned", "date": "2025-06-21", "person_id": "p1", "text": "was pardoned on June 21"},
        {"type": "detained", "date": "2025-06-20", "new_person": {"name": "Ihar Losik", "public": "true"}, "text": "journalist Ihar Losik was detained"},
    ])
    assert len(created["events"]) == 2 and len(created["persons"]) == 1
    assert register.count("events") == before + 2
    assert register.get("sources", created["source_id"])["publisher"] == "Wire"
    detained = register.get("events", created["events"][1])
    assert detained["person_id"] == created["persons"][0] and detained["source_ids"] == [created["source_id"]]
    assert detained["note"] == "journalist Ihar Losik was detained"
    assert register.get("persons", created["persons"][0])["name"] == "Ihar Losik"

    # One bad candidate: nothing of the batch is written.
    with pytest.raises(InputError, match="date"):
        accept(database, source=source, events=[
            {"type": "released", "date": "2025-06-22", "person_id": "p2"},
            {"type": "released", "date": "2025-13-01", "person_id": "p2"},
        ])
    assert register.count("events") == before + 2
    with pytest.raises(InputError, match="person_id"):
        accept(database, source=source, events=[{"type": "released", "date": "2025-06-22", "person_id": "nobody"}])
    assert register.count("events") == before + 2
