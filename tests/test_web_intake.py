"""Intake in the web app (a text to reviewed records) and the extract and match API, on both databases."""

from __future__ import annotations

import json
import re
import uuid
from html.parser import HTMLParser
from pathlib import Path

import jsonschema
import pytest
from fastapi.testclient import TestClient
from packages import small_register, write_package

from chronicle.database import Database
from chronicle.importer import import_package
from chronicle.register import Register
from chronicle.web.app import WebSettings, create_app

DEV = Path(__file__).parent / "extraction_dev"
SCHEMA = Path(__file__).parent.parent / "chronicle" / "extraction" / "schema.json"


@pytest.fixture
def register(database: Database, tmp_path: Path) -> Database:
    import_package(database, write_package(tmp_path / "package", small_register()))
    return database


@pytest.fixture
def staff(register: Database) -> TestClient:
    return TestClient(create_app(register, WebSettings(local_operator=True)))


def dev_text(name: str) -> str:
    return (DEV / f"{name}.txt").read_text(encoding="utf-8")


class FormValues(HTMLParser):
    """What a browser would send for the first form of a page with action `action`, unchanged."""

    def __init__(self, action: str):
        super().__init__(convert_charrefs=True)
        self.action = action
        self.inside = False
        self.values: dict[str, str] = {}
        self.select: str | None = None
        self.textarea: str | None = None

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "form":
            self.inside = attributes.get("action") == self.action
        if not self.inside:
            return
        name = attributes.get("name")
        if tag == "input" and name:
            kind = attributes.get("type", "text")
            if kind in ("checkbox", "radio"):
                if "checked" in attributes:
                    self.values[name] = attributes.get("value", "on")
            elif kind != "file":
                self.values[name] = attributes.get("value", "")
        elif tag == "select":
            self.select = name
        elif tag == "option" and self.select and ("selected" in attributes or self.select not in self.values):
            self.values[self.select] = attributes.get("value", "")
        elif tag == "textarea":
            self.textarea = name
            self.values[name] = ""

    def handle_endtag(self, tag):
        if tag == "form":
            self.inside = False
        elif tag == "select":
            self.select = None
        elif tag == "textarea":
            self.textarea = None

    def handle_data(self, data):
        if self.textarea:
            self.values[self.textarea] += data


def form_values(page: str, action: str = "/intake/accept") -> dict[str, str]:
    reader = FormValues(action)
    reader.feed(page)
    return reader.values


def multipart(fields: dict[str, str]) -> tuple[bytes, dict[str, str]]:
    """A multipart/form-data body as a browser sends a form with enctype multipart (no file)."""
    boundary = "----chronicle" + uuid.uuid4().hex
    parts = []
    for name, value in fields.items():
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), {"content-type": f"multipart/form-data; boundary={boundary}"}


def review(staff: TestClient, text: str, published: str, **fields: str):
    body, headers = multipart({"text": text, "published": published, "lang": "auto", **fields})
    return staff.post("/intake", content=body, headers=headers)


def send_review(staff: TestClient, values: dict[str, str]):
    body, headers = multipart(values)
    return staff.post("/intake/accept", content=body, headers=headers)


def marks(page: str) -> list[str]:
    """The text inside each highlight, without the labels."""
    found = re.findall(r'<mark class="(?:claim|event|both)"[^>]*>(.*?)</mark>', page, re.DOTALL)
    return [re.sub(r'<a class="tag"[^>]*>[^<]*</a>', "", item) for item in found]


def test_the_review_highlights_the_events_and_claims_and_names_the_person(staff: TestClient):
    page = review(staff, dev_text("01_hamenka_detained"), "2025-07-08")
    assert page.status_code == 200
    answer = staff.post("/api/v1/extract", json={"text": dev_text("01_hamenka_detained"), "published": "2025-07-08"}).json()
    event = answer["events"][0]
    assert event["person"] == "Aleh Hamenka"
    assert event["text"] in marks(page.text)  # the event's span is highlighted as it is in the text
    assert 'id="text-E1"' in page.text and 'id="E1"' in page.text
    values = form_values(page.text)
    assert values["row-0-new_name"] == "Aleh Hamenka" and values["row-0-person"] == "new"  # nobody of the register has this name
    assert values["row-0-type"] == "detained" and values["row-0-date"] == "2025-07-07"
    assert values["title"] == "Singer Aleh Hamenka detained in Minsk"  # the first line of the text
    assert values["rows"] == "1"


def test_a_claim_reads_in_the_readers_language(staff: TestClient):
    text = "Viasna said on Monday that at least 1,174 political prisoners remain behind bars."
    body, headers = multipart({"text": text, "published": "2025-07-08", "lang": "en"})
    english = staff.post("/intake", content=body, headers=headers).text
    body, headers = multipart({"text": text, "published": "2025-07-08", "lang": "en"})
    russian = staff.post("/intake", content=body, headers={**headers, "accept-language": "ru"}).text
    row = re.search(r'<tr id="C1">(.*?)</tr>', english, re.DOTALL).group(1)
    assert 'at least <strong class="num">1,174</strong>' in row and "at_least" not in row
    row = re.search(r'<tr id="C1">(.*?)</tr>', russian, re.DOTALL).group(1)
    assert 'не менее <strong class="num">1' in row and "at least <strong" not in row


def test_a_claim_shows_the_register_figure_and_whether_it_holds(staff: TestClient):
    page = review(staff, dev_text("01_hamenka_detained"), "2025-07-08").text
    figure = staff.get("/api/v1/figures", params={"as_of": "2025-07-08"}).json()["political_prisoners"]
    row = re.search(r'<tr id="C2">(.*?)</tr>', page, re.DOTALL).group(1)
    assert "1,174" in row and "Viasna" in row
    assert f'href="/explain/political_prisoners?as_of=2025-07-08">{figure}</a>' in row
    assert "does not hold" in row  # 1,174 claimed, the small register has far fewer


def test_a_matched_register_person_is_offered_with_the_evidence(staff: TestClient, register: Database):
    page = review(staff, dev_text("03_tsikhanouski_freed"), "2025-06-23").text
    values = form_values(page)
    row = next(index for index in range(int(values["rows"])) if values[f"row-{index}-new_name"] == "Siarhei Tsikhanouski")
    assert values[f"row-{row}-person"] == "p1"  # the register's person is chosen by default
    card = re.search(rf'<fieldset class="candidate[^"]*" id="E{row + 1}">(.*?)</fieldset>', page, re.DOTALL).group(1)
    assert 'href="/persons/p1"' in card and "born" in card and "name match" in card and "in exile" in card

    before = Register(register).count("events")
    values.update({f"row-{index}-decision": "reject" for index in range(int(values["rows"])) if index != row})
    answer = send_review(staff, values)
    assert answer.status_code == 200
    assert Register(register).count("events") == before + 1
    events = staff.get("/api/v1/persons/p1").json()["events"]
    new = [event for event in events if event["sources"] and event["sources"][0]["title"] == values["title"]]
    assert [(event["type"], event["date"]) for event in new] == [("released", "2025-06-21")]


def test_accepting_one_event_with_a_new_person_and_rejecting_another(staff: TestClient, register: Database):
    text = dev_text("08_homiel_raid")
    page = review(staff, text, "2025-04-18", publisher="Wire", url="https://example.org/homiel")
    values = form_values(page.text)
    assert [values["row-0-new_name"], values["row-1-new_name"]] == ["Halina Markevich", "Ales Barysevich"]
    registry = Register(register)
    counts = {name: registry.count(name) for name in ("events", "persons", "sources")}
    values.update({"row-0-decision": "accept", "row-0-person": "new", "row-1-decision": "reject"})

    answer = send_review(staff, values)
    assert answer.status_code == 200, answer.text
    assert {name: registry.count(name) for name in counts} == {
        "events": counts["events"] + 1, "persons": counts["persons"] + 1, "sources": counts["sources"] + 1}
    found = staff.get("/api/v1/persons", params={"q": "Markevich"}).json()["persons"]
    assert len(found) == 1 and found[0]["status"] == "behind_bars"  # the new person's status follows from the event
    person = staff.get(f"/api/v1/persons/{found[0]['person_id']}").json()
    assert [event["type"] for event in person["events"]] == ["detained"]
    source = person["events"][0]["sources"][0]
    assert source["title"] == "Dozens detained in Homiel region over online comments"
    assert source["publisher"] == "Wire" and source["url"] == "https://example.org/homiel" and source["published"] == "2025-04-18"
    assert person["events"][0]["date"] == values["row-0-date"] and "Halina Markevich" in person["events"][0]["note"]
    assert person["person"]["public"] is False  # consent was not confirmed
    assert staff.get("/api/v1/persons", params={"q": "Barysevich"}).json()["persons"] == []  # rejected: nothing written
    assert f'href="/persons/{found[0]["person_id"]}"' in answer.text and "E2" in answer.text

    # The same review sent again (a reload) writes nothing more.
    again = send_review(staff, values)
    assert again.status_code == 200 and "Already recorded" in again.text
    assert registry.count("events") == counts["events"] + 1


def test_two_events_of_one_new_person_create_one_person(staff: TestClient, register: Database):
    page = review(staff, dev_text("04_rudzko_sentenced"), "2025-05-15")
    values = form_values(page.text)
    rows = int(values["rows"])
    assert rows >= 2 and {values[f"row-{index}-new_name"] for index in range(rows)} == {"Tatsiana Rudzko"}
    values.update({f"row-{index}-decision": "accept" for index in range(rows)})
    persons = Register(register).count("persons")
    assert send_review(staff, values).status_code == 200
    assert Register(register).count("persons") == persons + 1
    found = staff.get("/api/v1/persons", params={"q": "Rudzko"}).json()["persons"]
    assert len(found) == 1
    assert len(staff.get(f"/api/v1/persons/{found[0]['person_id']}").json()["events"]) == rows


def test_rejecting_every_event_writes_nothing(staff: TestClient, register: Database):
    values = form_values(review(staff, dev_text("08_homiel_raid"), "2025-04-18").text)
    values.update({"row-0-decision": "reject", "row-1-decision": "reject"})
    registry = Register(register)
    before = (registry.count("events"), registry.count("sources"), registry.count("persons"))
    answer = send_review(staff, values)
    assert answer.status_code == 200 and "Nothing recorded" in answer.text
    assert (registry.count("events"), registry.count("sources"), registry.count("persons")) == before


def test_a_refused_row_writes_nothing_and_brings_the_review_back(staff: TestClient, register: Database):
    values = form_values(review(staff, dev_text("08_homiel_raid"), "2025-04-18").text)
    values.update({"row-0-decision": "accept", "row-1-decision": "accept", "row-1-date": "2025-13-01", "row-0-place": "Homiel"})
    registry = Register(register)
    before = (registry.count("events"), registry.count("sources"), registry.count("persons"))
    answer = send_review(staff, values)
    assert answer.status_code == 400
    assert "Nothing was recorded" in answer.text and "no month 13" in answer.text
    assert (registry.count("events"), registry.count("sources"), registry.count("persons")) == before
    kept = form_values(answer.text)  # the officer's values come back, the text is highlighted again
    assert kept["row-1-date"] == "2025-13-01" and kept["row-0-place"] == "Homiel" and kept["batch"] == values["batch"]
    assert marks(answer.text)
    answer = send_review(staff, {**kept, "row-1-person": "other", "row-1-other_id": "nobody", "row-1-date": "2025-04"})
    assert answer.status_code == 400 and "nobody" in answer.text
    assert (registry.count("events"), registry.count("sources"), registry.count("persons")) == before


def test_an_html_upload_is_reduced_to_its_text_and_nothing_is_shown_unescaped(staff: TestClient):
    html = (
        "<!doctype html><html><head><title>Blogger detained</title><style>p { color: red }</style>"
        "<script>document.write('stolen cookie')</script></head><body><nav>Home &middot; News</nav>"
        "<p>Police detained singer Aleh Hamenka on Monday in Minsk, Viasna reported.</p>"
        "<p>Readers wrote &lt;img src=x onerror=alert(1)&gt; in the comments.</p><script>alert('x')</script></body></html>"
    )
    page = staff.post("/intake", data={"published": "2025-07-08", "lang": "auto"},
                      files={"file": ("report.html", html.encode(), "text/html")})
    assert page.status_code == 200, page.text
    assert "stolen cookie" not in page.text and "alert('x')" not in page.text and "color: red" not in page.text
    assert "<img src=x" not in page.text and "&lt;img src=x onerror=alert(1)&gt;" in page.text
    values = form_values(page.text)
    assert values["title"] == "Blogger detained"  # the page's title
    assert values["row-0-new_name"] == "Aleh Hamenka"
    assert "Police detained singer Aleh Hamenka on Monday in Minsk" in values["text"]
    assert any("Aleh Hamenka" in mark for mark in marks(page.text))


def test_pasted_markup_is_shown_as_text(staff: TestClient):
    text = "Police detained singer Aleh Hamenka <b onmouseover=alert(1)>on Monday</b> in Minsk.\n<script>alert(2)</script>"
    page = review(staff, text, "2025-07-08")
    assert page.status_code == 200
    assert "<b onmouseover" not in page.text and "<script>alert(2)" not in page.text
    assert "&lt;b onmouseover=alert(1)&gt;" in page.text


def test_a_text_over_one_megabyte_or_of_another_kind_is_refused(staff: TestClient):
    long_text = "Police detained a man in Minsk. " * 40_000  # about 1.3 MB
    answer = review(staff, long_text, "2025-07-08")
    assert answer.status_code == 413 and "longer than 1 MB" in answer.text
    answer = staff.post("/intake", data={"published": "2025-07-08"}, files={"file": ("report.txt", long_text.encode(), "text/plain")})
    assert answer.status_code == 413 and "longer than 1 MB" in answer.text
    answer = staff.post("/intake", data={"published": "2025-07-08"}, files={"file": ("big.txt", b"a" * (6 * 1024 * 1024), "text/plain")})
    assert answer.status_code == 413 and "larger than 5 MB" in answer.text
    answer = staff.post("/intake", data={"published": "2025-07-08"}, files={"file": ("report.pdf", b"%PDF-1.4", "application/pdf")})
    assert answer.status_code == 400 and "upload a .txt or an .html file" in answer.text
    answer = staff.post("/intake", data={"published": "2025-07-08"}, files={"file": ("report.txt", "Задержан".encode("cp1251"), "text/plain")})
    assert answer.status_code == 400 and "not UTF-8" in answer.text
    answer = review(staff, "Police detained a man.", "2025-13-08")
    assert answer.status_code == 400 and "no month 13" in answer.text
    assert 'value="Police detained a man."' not in answer.text and "Police detained a man.</textarea>" in answer.text  # kept


def test_a_text_with_more_events_than_a_review_holds_is_refused(staff: TestClient, monkeypatch):
    from chronicle.web.views import intake

    monkeypatch.setattr(intake, "MAX_ROWS", 1)
    answer = review(staff, dev_text("08_homiel_raid"), "2025-04-18")
    assert answer.status_code == 400 and "names 2 events, more than the 1 one review can hold" in answer.text


def test_a_form_from_another_site_is_refused(staff: TestClient, register: Database):
    answer = staff.post("/intake", data={"text": "Police detained a man.", "published": "2025-07-08"},
                        headers={"origin": "https://attacker.example"})
    assert answer.status_code == 403
    answer = staff.post("/intake/accept", data={"batch": "0" * 12}, headers={"sec-fetch-site": "cross-site"})
    assert answer.status_code == 403
    answer = staff.post("/intake/accept", data={"batch": "0" * 12}, headers={"origin": "null"})
    assert answer.status_code == 403  # no Sec-Fetch-Site to vouch for it
    assert staff.post("/intake", data={"text": "Police detained a man.", "published": "2025-07-08"},
                      headers={"origin": "http://testserver"}).status_code == 200


def test_the_extract_api_answers_the_shape_of_the_command_line(staff: TestClient):
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    plain = staff.post("/api/v1/extract", json={"text": dev_text("01_hamenka_detained"), "published": "2025-07-08"})
    assert plain.status_code == 200
    jsonschema.validate(plain.json(), schema)
    assert set(plain.json()) == {"published", "language", "claims", "events"} and plain.json()["language"] == "en"
    assert all("register" not in claim for claim in plain.json()["claims"])
    reconciled = staff.post("/api/v1/extract", json={"text": dev_text("03_tsikhanouski_freed"), "published": "2025-06-23",
                                                     "lang": "en", "reconcile": True}).json()
    assert all({"value", "holds"} <= set(claim["register"]) for claim in reconciled["claims"])
    tsikhanouski = next(event for event in reconciled["events"] if event["person"] == "Siarhei Tsikhanouski")
    assert [person["person_id"] for person in tsikhanouski["register"]["persons"]] == ["p1"]
    assert staff.post("/api/v1/extract", json={"text": "x", "published": "someday"}).status_code == 422
    assert staff.post("/api/v1/extract", json={"text": "x", "published": "2025-07-08", "lang": "de"}).status_code == 422
    too_long = staff.post("/api/v1/extract", json={"text": "a" * (1024 * 1024 + 1), "published": "2025-07-08"})
    assert too_long.status_code == 400 and "longer than 1 MB" in too_long.json()["error"]


def test_the_match_api_answers_clusters_as_the_command_line(staff: TestClient):
    records = [
        {"record_id": "1", "name": "Сяргей Ціханоўскі", "birth_date": "1978-08-18", "gender": "m"},
        {"record_id": "2", "name": "Siarhei Tsikhanouski", "birth_date": "1978-08-18", "gender": "m"},
        {"record_id": "3", "name": "Maryia Kalesnikava", "birth_date": "1982", "gender": "f", "region": "Minsk"},
    ]
    answer = staff.post("/api/v1/match", json={"records": records})
    assert answer.status_code == 200
    assert answer.json() == [{"record_id": "1", "cluster_id": "1"}, {"record_id": "2", "cluster_id": "1"},
                             {"record_id": "3", "cluster_id": "3"}]
    assert staff.post("/api/v1/match", json={"records": []}).json() == []


def test_the_match_api_refuses_bad_records_naming_each_problem(staff: TestClient):
    records = [
        {"record_id": "1", "name": "Siarhei Tsikhanouski"},
        {"record_id": "1", "name": "Maryia Kalesnikava"},
        {"record_id": "3", "name": ""},
        {"record_id": "4", "name": "1234"},
        {"record_id": "5", "name": "Ales Bialiatski", "gender": "male?", "birth_date": "1962-13"},
        {"record_id": "6", "name": "Ihar Losik", "shoe_size": "44"},
        {"name": "Nobody"},
    ]
    answer = staff.post("/api/v1/match", json={"records": records})
    assert answer.status_code == 400
    problems = {(problem["record"], problem["field"]) for problem in answer.json()["problems"]}
    assert problems == {(2, "record_id"), (3, "name"), (4, "name"), (5, "gender"), (5, "birth_date"), (6, "shoe_size"), (7, "record_id")}
    messages = answer.json()["error"]
    assert "already used by record 1" in messages and "no month 13" in messages and "unknown field 'shoe_size'" in messages
    threshold = staff.post("/api/v1/match", json={"records": records[:1], "threshold": 1.5})
    assert threshold.status_code == 400 and "threshold" in threshold.json()["error"]
    many = staff.post("/api/v1/match", json={"records": [{"record_id": str(number), "name": "Ales"} for number in range(100_001)]})
    assert many.status_code == 400 and "at most 100,000" in many.json()["error"]


def test_the_api_is_documented_in_openapi(staff: TestClient):
    schema = staff.get("/openapi.json").json()
    extract_body = schema["paths"]["/api/v1/extract"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    match_body = schema["paths"]["/api/v1/match"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert extract_body["$ref"].endswith("/ExtractRequest") and match_body["$ref"].endswith("/MatchRequest")
    components = schema["components"]["schemas"]
    assert {"text", "published", "lang", "reconcile"} <= set(components["ExtractRequest"]["properties"])
    assert {"record_id", "name", "birth_date", "gender", "region"} <= set(components["MatchRecord"]["properties"])
    assert "multipart/form-data" in schema["paths"]["/packages/import"]["post"]["requestBody"]["content"]


def test_the_anonymous_public_may_not_use_intake_or_the_api(register: Database):
    anonymous = TestClient(create_app(register))
    before = Register(register).count("events")
    for method, path in (("GET", "/intake"), ("POST", "/intake"), ("POST", "/intake/accept"), ("POST", "/api/v1/extract"),
                         ("POST", "/api/v1/match")):
        assert anonymous.request(method, path).status_code == 401, f"{method} {path} with no body"
    body, headers = multipart({"text": dev_text("01_hamenka_detained"), "published": "2025-07-08"})
    assert anonymous.post("/intake", content=body, headers=headers).status_code == 401
    assert anonymous.post("/intake/accept", data={"batch": "a" * 12, "rows": "1", "row-0-decision": "accept"}).status_code == 401
    assert anonymous.post("/api/v1/extract", json={"text": "x", "published": "2025-07-08"}).status_code == 401
    assert anonymous.post("/api/v1/extract", json={"published": "not a date"}).status_code == 401  # refused before it is read
    assert anonymous.post("/api/v1/match", json={"records": [{"record_id": "1", "name": "A"}]}).status_code == 401
    assert Register(register).count("events") == before
