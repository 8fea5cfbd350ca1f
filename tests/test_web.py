"""The web app's pages and their JSON twins, as staff and as the anonymous public, on both databases."""

from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from packages import small_register, write_package

from chronicle.database import Database
from chronicle.importer import import_package
from chronicle.register import Register
from chronicle.web.app import WebSettings, create_app

RESTRICTED = ("wife's phone", "informant contact", "Lawyer's message", "seen by a neighbour", "Hidden Person", "Скрытый Человек")


@pytest.fixture
def register(database: Database, tmp_path: Path) -> Database:
    import_package(database, write_package(tmp_path / "package", small_register()))
    return database


@pytest.fixture
def staff(register: Database) -> TestClient:
    return TestClient(create_app(register, WebSettings(local_operator=True)))


@pytest.fixture
def anonymous(register: Database) -> TestClient:
    return TestClient(create_app(register))


def test_the_internal_list_shows_persons_with_their_derived_status(staff: TestClient):
    page = staff.get("/persons")
    assert page.status_code == 200
    assert "Siarhei Tsikhanouski" in page.text and "Hidden Person" in page.text
    assert "in exile" in page.text and "political prisoner" in page.text
    data = staff.get("/api/v1/persons").json()
    assert data["total"] == 4
    statuses = {row["person_id"]: row["status"] for row in data["persons"]}
    assert statuses == {"p1": "in_exile", "p2": "behind_bars", "p3": "behind_bars", "p4": "behind_bars"}


@pytest.mark.parametrize("spelling", ["Тихановский", "Ціханоўскі", "Tsikhanouski", "Tikhanovsky", "tsikhan", "Cichanoŭski"])
def test_search_finds_a_name_in_any_script_and_spelling(staff: TestClient, spelling: str):
    data = staff.get("/api/v1/persons", params={"q": spelling}).json()
    assert [row["person_id"] for row in data["persons"]] == ["p1"], spelling
    assert "Siarhei Tsikhanouski" in staff.get("/persons", params={"q": spelling}).text


def test_the_list_filters_and_sorts(staff: TestClient):
    def ids(**params):
        return [row["person_id"] for row in staff.get("/api/v1/persons", params=params).json()["persons"]]

    assert ids(status="in_exile") == ["p1"]
    assert ids(category="journalist") == ["p4", "p1"]  # by name: Ales before Siarhei
    assert ids(region="minsk") == ["p2"]
    assert ids(case="c1") == ["p1"]
    assert ids(organisation="o1") == ["p1"]
    assert ids(recognized="yes") == ["p2", "p1"]
    assert ids(sort="-detained") == ["p4", "p3", "p2", "p1"]
    assert staff.get("/api/v1/persons", params={"sort": "shoe size"}).status_code == 400


def test_the_list_pages(register: Database):
    client = TestClient(create_app(register, WebSettings(local_operator=True, page_size=3)))
    first = client.get("/api/v1/persons").json()
    second = client.get("/api/v1/persons", params={"page": 2}).json()
    assert (first["pages"], len(first["persons"]), len(second["persons"])) == (2, 3, 1)
    assert 'rel="next"' in client.get("/persons").text


def test_the_person_page_shows_names_timeline_sources_cases_and_organisations(staff: TestClient):
    page = staff.get("/persons/p1")
    assert page.status_code == 200
    text = page.text
    for expected in ("Сяргей Ціханоўскі", "Сергей Тихановский", "Case of the Coordination Council", "Belsat", "Lithuania"):
        assert expected in text
    assert text.index('datetime="2020-05-29"') < text.index('datetime="2021-12-14"') < text.index('datetime="2025-06-21"')
    assert "216 months" in text
    assert "Viasna: new detentions in Minsk" in text and "Lawyer&#39;s message" in text  # staff see restricted sources
    data = staff.get("/api/v1/persons/p1").json()
    assert [event["type"] for event in data["events"]] == ["detained", "charged", "recognized", "convicted", "pardoned", "deported"]
    assert data["status"] == "in_exile" and data["cases"][0]["case_id"] == "c1"


def test_the_person_page_shows_the_record_as_known_on_a_past_day(staff: TestClient):
    # e4 was first recorded dated 2020-06-01, and corrected to 2020-06-02 on 2020-06-03.
    before = staff.get("/api/v1/persons/p1", params={"known_at": "2020-06-02T12:00:00Z"}).json()
    after = staff.get("/api/v1/persons/p1", params={"known_at": "2020-06-04"}).json()
    assert [event["date"] for event in before["events"] if event["type"] == "recognized"] == ["2020-06-01"]
    assert [event["date"] for event in after["events"] if event["type"] == "recognized"] == ["2020-06-02"]
    assert "as it was known at" in staff.get("/persons/p1", params={"known_at": "2020-06-04"}).text
    assert staff.get("/persons/p1", params={"known_at": "June"}).status_code == 400


def test_an_unknown_person_is_a_clear_404(staff: TestClient):
    page = staff.get("/persons/nobody")
    assert page.status_code == 404
    assert "no person" in page.text and "nobody" in page.text
    answer = staff.get("/api/v1/persons/nobody")
    assert answer.status_code == 404 and answer.json()["ok"] is False


def test_the_dashboard_links_every_figure_to_its_explanation(staff: TestClient):
    page = staff.get("/dashboard", params={"as_of": "2021-08-01"})
    assert page.status_code == 200
    assert 'href="/explain/political_prisoners?as_of=2021-08-01"' in page.text
    assert 'href="/explain/arrests?from=2021-08-01&to=2021-08-01"' in page.text.replace("&amp;", "&")  # the month up to the day
    assert page.text.count("data:image/svg+xml;base64,") >= 2
    assert staff.get("/dashboard", params={"as_of": "2021-13-01"}).status_code == 400


def test_the_explanation_lists_as_many_items_as_the_figure_and_downloads_as_csv(staff: TestClient):
    figures = staff.get("/api/v1/figures", params={"as_of": "2021-08-01"}).json()
    explained = staff.get("/api/v1/explain/behind_bars", params={"as_of": "2021-08-01"}).json()
    assert explained["count"] == figures["behind_bars"] == 4
    page = staff.get("/explain/behind_bars", params={"as_of": "2021-08-01"})
    assert page.status_code == 200 and "Hidden Person" in page.text
    download = staff.get("/explain/arrests.csv", params={"from": "2020-01-01", "to": "2021-12-31"})
    assert download.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(download.text)))
    flow = staff.get("/api/v1/figures", params={"from": "2020-01-01", "to": "2021-12-31"}).json()
    assert len(rows) == flow["arrests"] == 4
    assert staff.get("/explain/arrests", params={"as_of": "2021-01-01"}).status_code == 400


def test_figures_and_series_have_the_shapes_of_the_command_line(anonymous: TestClient):
    stock = anonymous.get("/api/v1/figures", params={"as_of": "2021-08-01"}).json()
    assert set(stock) == {"as_of", "known_at", "behind_bars", "political_prisoners", "political_prisoners_by_category",
                          "political_prisoners_by_gender", "recognized_total", "died_in_custody", "in_exile"}
    flow = anonymous.get("/api/v1/figures", params={"from": "2021-01-01", "to": "2021-12-31"}).json()
    assert set(flow) == {"from", "to", "known_at", "arrests", "releases", "pardons", "deportations", "deaths_in_custody",
                         "new_recognitions", "convictions"}
    series = anonymous.get("/api/v1/series/arrests", params={"from": "2021-01-01", "to": "2021-12-31", "step": "month"}).json()
    assert len(series["points"]) == 12 and sum(point["value"] for point in series["points"]) == flow["arrests"]
    assert anonymous.get("/api/v1/series/height", params={"from": "2021-01-01", "to": "2021-12-31"}).status_code == 400


def test_anonymous_callers_get_the_public_view_only(anonymous: TestClient):
    data = anonymous.get("/api/v1/persons").json()
    assert sorted(row["person_id"] for row in data["persons"]) == ["p1", "p2"]
    assert all("public" not in row and "names" not in row for row in data["persons"])
    person = anonymous.get("/api/v1/persons/p1").json()
    assert "notes" not in person["person"] and "restricted_notes" not in person["person"]
    assert all(source["restricted"] is False for event in person["events"] for source in event["sources"])
    assert anonymous.get("/api/v1/persons/p3").status_code == 404
    assert anonymous.get("/persons").status_code == 401
    assert anonymous.get("/dashboard").status_code == 401
    assert anonymous.get("/api/v1/explain/behind_bars", params={"as_of": "2021-08-01"}).status_code == 401


def test_the_public_site_names_no_one_without_consent_and_shows_no_restricted_text(anonymous: TestClient):
    pages = [anonymous.get(url) for url in (
        "/", "/public/prisoners", "/public/prisoners/p1", "/public/prisoners/p2", "/public/feed.atom",
        "/api/v1/persons", "/api/v1/persons/p1", "/api/v1/persons/p2",
    )]
    for answer in pages:
        assert answer.status_code == 200, answer.url
        for marker in RESTRICTED:
            assert marker not in answer.text and marker.replace("'", "&#39;") not in answer.text, (answer.url, marker)
    archive = zipfile.ZipFile(io.BytesIO(anonymous.get("/public/open-data.zip").content))
    everything = "".join(archive.read(name).decode() for name in archive.namelist())
    assert "Siarhei Tsikhanouski" in everything
    for marker in RESTRICTED:
        assert marker not in everything


def test_the_public_list_holds_public_political_prisoners_with_their_custody(anonymous: TestClient):
    page = anonymous.get("/public/prisoners")
    assert "Maryia Kalesnikava" in page.text
    assert "Siarhei Tsikhanouski" not in page.text  # in exile, no longer behind bars
    assert "Ales Bialiatski" not in page.text  # consent not confirmed
    assert anonymous.get("/public/prisoners/p3").status_code == 404


def test_a_public_page_withholds_the_names_of_non_public_persons_in_free_text(register: Database):
    registry = Register(register)
    registry.record("events", {"event_id": "e11", "person_id": "p2", "type": "transferred", "date": "2021-02-01",
                               "place": "cell of Hidden Person", "source_ids": "s1"})
    client = TestClient(create_app(register))
    for url in ("/public/prisoners", "/public/prisoners/p2", "/public/feed.atom"):
        text = client.get(url).text
        assert "Hidden Person" not in text and "[withheld]" in text, url


def test_the_feed_is_atom_with_the_public_changes(anonymous: TestClient):
    answer = anonymous.get("/public/feed.atom")
    assert answer.headers["content-type"].startswith("application/atom+xml")
    assert answer.text.startswith("<?xml") and "<feed xmlns=\"http://www.w3.org/2005/Atom\">" in answer.text
    assert "Maryia Kalesnikava: detained" in answer.text


def test_pages_in_three_languages_with_english_as_the_fallback(anonymous: TestClient):
    choose = anonymous.get("/language/be", params={"next": "/public/prisoners"}, follow_redirects=False)
    assert choose.status_code == 303 and choose.headers["location"] == "/public/prisoners"
    assert anonymous.get("/language/xx").status_code == 404
    assert anonymous.get("/language/ru", params={"next": "https://elsewhere.example"}, follow_redirects=False).headers["location"] == "/"
    anonymous.cookies.clear()
    english = anonymous.get("/public/prisoners", headers={"accept-language": "de"})
    assert '<html lang="en">' in english.text
    belarusian = anonymous.get("/public/prisoners", headers={"accept-language": "be-BY,be;q=0.9"})
    assert '<html lang="be">' in belarusian.text


def test_every_answer_carries_the_security_headers_and_errors_show_no_trace(anonymous: TestClient):
    for url in ("/", "/public/prisoners", "/no/such/page", "/api/v1/persons?page=0"):
        answer = anonymous.get(url)
        policy = answer.headers["content-security-policy"]
        assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy
        assert answer.headers["x-content-type-options"] == "nosniff"
        assert "Traceback" not in answer.text
    assert anonymous.get("/api/v1/persons", params={"page": 0}).status_code == 422


def test_script_in_a_name_is_shown_escaped(register: Database):
    Register(register).record("persons", {"person_id": "p9", "name": "<script>alert(1)</script>", "public": "true"})
    client = TestClient(create_app(register, WebSettings(local_operator=True)))
    for url in ("/persons", "/persons/p9", "/public/prisoners/p9"):
        text = client.get(url).text
        assert "<script>alert(1)</script>" not in text and "&lt;script&gt;" in text, url


def test_a_form_sent_from_another_site_is_refused_before_anything_runs(register: Database):
    client = TestClient(create_app(register, WebSettings(local_operator=True)))
    for headers in ({"origin": "https://elsewhere.example"}, {"origin": "null"}, {"sec-fetch-site": "cross-site"}):
        answer = client.post("/persons/merge", data={"keep": "p1", "absorb": "p2"}, headers=headers)
        assert answer.status_code == 403 and "another web site" in answer.text, headers
        assert answer.headers["content-security-policy"]
    assert client.get("/api/v1/persons/p2").status_code == 200  # nothing was merged
    same = client.post("/persons/merge", data={"keep": "p1", "absorb": "p1"}, headers={"origin": "http://testserver"})
    assert same.status_code == 400  # from the app's own page it reaches the route (which refuses a self-merge)


@pytest.mark.parametrize("target", ["//elsewhere.example", "/\\elsewhere.example", "https://elsewhere.example"])
def test_the_language_link_never_leads_to_another_site(anonymous: TestClient, target: str):
    answer = anonymous.get("/language/be", params={"next": target}, follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"] == "/"


@pytest.mark.parametrize(("language", "words"), [
    ("be", ["Паказчык", "Вызваленні", "Затрыманні", "На 2021-08-01", "вядома на", ">ліп<"]),  # July, on the monthly axis
    ("ru", ["Показатель", "Освобождения", "Задержания", "На 2021-08-01", "известно на", ">июль<"]),
])
def test_charts_speak_the_readers_language(staff: TestClient, language: str, words: list[str]):
    import base64
    import re

    def svgs(accept: str) -> str:
        page = staff.get("/dashboard", params={"as_of": "2021-08-01"}, headers={"accept-language": accept}).text
        return "".join(base64.b64decode(data).decode() for data in re.findall(r"data:image/svg\+xml;base64,([A-Za-z0-9+/=]+)", page))

    english, translated = svgs("en"), svgs(language)
    assert "Releases" in english and "Figure" in english and "As of 2021-08-01" in english
    for word in words:
        assert word in translated, word
    assert "Releases" not in translated and "As of" not in translated
    assert svgs("en") == english  # each language has its own drawing: an English reader never gets another's


def test_a_failure_nobody_foresaw_is_a_plain_error_page_never_a_trace(register: Database, monkeypatch, caplog):
    from chronicle.person_index import PersonIndex

    def broken(self, wanted):
        raise RuntimeError("internal detail: /secret/path")

    monkeypatch.setattr(PersonIndex, "query", broken)
    client = TestClient(create_app(register, WebSettings(local_operator=True)))  # raises any exception that reaches the test client
    page = client.get("/persons")
    assert page.status_code == 500 and "Something went wrong" in page.text
    assert "Traceback" not in page.text and "secret" not in page.text and "RuntimeError" not in page.text
    answer = client.get("/api/v1/persons")
    assert answer.status_code == 500 and answer.json()["ok"] is False and "secret" not in answer.text
    russian = client.get("/persons", headers={"accept-language": "ru"})
    assert russian.status_code == 500 and "Something went wrong" not in russian.text
    assert "internal detail" in caplog.text  # the trace is in the server's log, for its operator
    assert client.get("/dashboard").status_code == 200  # and the app goes on answering
