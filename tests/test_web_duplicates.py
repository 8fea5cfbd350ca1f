"""Possible duplicates, merges and unmerges in the web app, on both databases."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from packages import small_register, write_package

from chronicle.database import Database
from chronicle.importer import import_package
from chronicle.register import Register
from chronicle.web.app import WebSettings, create_app


def _content(record: dict) -> dict:
    """A record without its record time: an unmerge records the same content anew."""
    return {key: value for key, value in record.items() if key not in ("recorded_at", "retracted_at")}


@pytest.fixture
def staff(database: Database, tmp_path: Path) -> TestClient:
    import_package(database, write_package(tmp_path / "package", small_register()))
    # The same man entered a second time from a Russian court list.
    register = Register(database)
    register.record("persons", {"person_id": "p5", "name": "Тихановский Сергей Леонидович", "birth_date": "1978-08-18",
                                "gender": "m", "public": "false"})
    register.record("events", {"event_id": "e20", "person_id": "p5", "type": "convicted", "date": "2021-12-14",
                               "sentence_months": "216", "source_ids": "s1"})
    return TestClient(create_app(database, WebSettings(local_operator=True)))


def test_the_person_page_links_its_possible_duplicates_with_the_evidence(staff: TestClient):
    page = staff.get("/persons/p5/duplicates")
    assert page.status_code == 200
    assert "Siarhei Tsikhanouski" in page.text and "same stem" in page.text
    russian = staff.get("/persons/p5/duplicates", headers={"accept-language": "ru"}).text
    assert "та же основа" in russian and "same stem" not in russian  # the evidence in the reader's language
    links = staff.get("/api/v1/persons/p5/duplicates").json()["links"]
    assert [link["person"]["person_id"] for link in links][:1] == ["p1"]
    assert all(link["person"]["person_id"] != "p5" for link in links)
    assert 'href="/persons/p1/duplicates"' in staff.get("/persons/p1").text


def test_proposals_list_the_pair_and_a_merge_then_unmerge_restores_both(staff: TestClient):
    proposals = staff.get("/api/v1/duplicates").json()["proposals"]
    assert any({p["person_a"]["person_id"], p["person_b"]["person_id"]} == {"p1", "p5"} for p in proposals)
    assert "Merge into" in staff.get("/duplicates").text
    before = staff.get("/api/v1/persons/p1").json()

    merged = staff.post("/persons/merge", data={"keep": "p1", "absorb": "p5", "note": "court list"}, follow_redirects=False)
    assert merged.status_code == 303 and merged.headers["location"].startswith("/persons/p1?merged=")
    after = staff.get("/api/v1/persons/p1").json()
    assert "Тихановский Сергей Леонидович" in after["person"]["aliases"]
    assert "e20" in [event["event_id"] for event in after["events"]]
    assert after["person"]["public"] is False  # never more public than the less public of the two
    absorbed = staff.get("/persons/p5", follow_redirects=False)
    assert absorbed.status_code == 303 and absorbed.headers["location"] == "/persons/p1?merged_from=p5"
    merges = staff.get("/api/v1/merges").json()["merges"]
    assert [(m["kept"], m["absorbed"], m["merged_by"], m["note"]) for m in merges] == [("p1", "p5", "local operator", "court list")]

    undone = staff.post(f"/merges/{merges[0]['merge_id']}/unmerge", follow_redirects=False)
    assert undone.status_code == 303
    restored = staff.get("/api/v1/persons/p1").json()
    assert _content(restored["person"]) == _content(before["person"])
    assert [_content(event) for event in restored["events"]] == [_content(event) for event in before["events"]]
    assert staff.get("/api/v1/persons/p5").json()["events"][0]["event_id"] == "e20"
    again = staff.post(f"/merges/{merges[0]['merge_id']}/unmerge")
    assert again.status_code == 400 and "already" in again.text


def test_bad_merges_are_refused_clearly(staff: TestClient):
    assert staff.post("/persons/merge", data={"keep": "p1", "absorb": "p1"}).status_code == 400
    assert staff.post("/persons/merge", data={"keep": "p1", "absorb": "nobody"}).status_code == 404
    assert staff.post("/api/v1/merges", json={"keep": "p1"}).status_code == 422
    assert staff.post("/merges/999/unmerge").status_code == 404


def test_not_the_same_keeps_a_pair_out_of_the_proposals(staff: TestClient):
    answer = staff.post("/duplicates/not-same", data={"a": "p1", "b": "p5"}, follow_redirects=False)
    assert answer.status_code == 303
    proposals = staff.get("/api/v1/duplicates").json()["proposals"]
    assert not any({p["person_a"]["person_id"], p["person_b"]["person_id"]} == {"p1", "p5"} for p in proposals)
