"""`chronicle extract --reconcile`: what the register says about each extracted candidate."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from chronicle.database import Database
from chronicle.extraction import extract
from chronicle.figures import Figures
from chronicle.importer import import_package
from chronicle.intake import reconcile_answer
from packages import small_register, write_package

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
