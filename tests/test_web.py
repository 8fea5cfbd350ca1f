"""The first pages of the web app, served by FastAPI from the database."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from packages import small_register, write_package

from chronicle.database import Database
from chronicle.importer import import_package
from chronicle.web.app import create_app


@pytest.fixture
def client(database: Database, tmp_path: Path) -> TestClient:
    import_package(database, write_package(tmp_path / "package", small_register()))
    return TestClient(create_app(database))


def test_the_list_shows_persons_with_their_derived_status(client: TestClient):
    page = client.get("/")
    assert page.status_code == 200
    assert "Siarhei Tsikhanouski" in page.text
    assert "in exile" in page.text
    assert "political prisoner" in page.text  # Maryia Kalesnikava
    data = client.get("/api/v1/persons").json()
    assert data["total"] == 4
    statuses = {row["person_id"]: row["status"] for row in data["persons"]}
    assert statuses == {"p1": "in_exile", "p2": "behind_bars", "p3": "behind_bars", "p4": "behind_bars"}


def test_search_finds_a_name_in_another_script(client: TestClient):
    data = client.get("/api/v1/persons", params={"q": "Тихановский"}).json()
    assert [row["person_id"] for row in data["persons"]] == ["p1"]
    assert "Siarhei Tsikhanouski" in client.get("/", params={"q": "Тихановский"}).text


def test_the_person_page_shows_the_timeline_with_sources(client: TestClient):
    page = client.get("/persons/p1")
    assert page.status_code == 200
    text = page.text
    assert text.index("2020-05-29") < text.index("2021-12-14") < text.index("2025-06-21")
    assert "216 months" in text and "Lithuania" in text
    assert "Viasna: new detentions in Minsk" in text
    data = client.get("/api/v1/persons/p1").json()
    assert [event["type"] for event in data["events"]] == ["detained", "charged", "recognized", "convicted", "pardoned", "deported"]
    assert "restricted_notes" not in data["person"]


def test_an_unknown_person_is_a_clear_404(client: TestClient):
    page = client.get("/persons/nobody")
    assert page.status_code == 404
    assert "no person" in page.text and "nobody" in page.text
    answer = client.get("/api/v1/persons/nobody")
    assert answer.status_code == 404 and answer.json()["ok"] is False
