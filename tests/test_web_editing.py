"""Editing in the web app and the write side of the JSON API, on both databases.

Every edit is a new version (the old one retracted), two edits from one
version conflict instead of overwriting, bad input is refused naming the
field and writes nothing, and writes are for those allowed to write.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from packages import small_register, write_package
from sqlalchemy import func, select

from chronicle.database import Database
from chronicle.importer import import_package
from chronicle.register import Register
from chronicle.schema import RECORD_TABLES
from chronicle.web import access
from chronicle.web.access import EDIT, ROUTE_PERMISSIONS, Principal
from chronicle.web.app import WebSettings, create_app
from chronicle.web.views import records

SCRIPT = "<script>alert('x')</script>"
SQL = "Robert'); DROP TABLE persons; --"


@pytest.fixture
def register(database: Database, tmp_path: Path) -> Database:
    import_package(database, write_package(tmp_path / "package", small_register()))
    return database


@pytest.fixture
def staff(register: Database) -> TestClient:
    return TestClient(create_app(register, WebSettings(local_operator=True)))


def rows(database: Database) -> dict[str, int]:
    """How many versions each record table holds: what a refused write must leave unchanged."""
    with database.reading() as connection:
        counts = {name: select(func.count()).select_from(table) for name, table in RECORD_TABLES.items()}
        return {name: connection.execute(query).scalar_one() for name, query in counts.items()}


def based_on(page_text: str) -> str:
    found = re.findall(r'name="based_on" value="(\d+)"', page_text)
    assert found, "the form carries no based_on"
    return found[0]


def event_form(**cells: str) -> dict[str, str]:
    return {"type": "detained", "date": "2024-03-01", "politically_motivated": "true", "source_ids": "s1", **cells}


def person_status(client: TestClient, person_id: str, **params) -> dict:
    answer = client.get(f"/api/v1/persons/{person_id}", params=params)
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_adding_a_person_and_a_detention_puts_them_behind_bars(staff: TestClient):
    form = staff.get("/persons/new")
    assert form.status_code == 200 and 'name="name_be"' in form.text and 'name="restricted_notes"' in form.text
    created = staff.post("/persons/new", data={"name": "Ihar Losik", "name_be": "Ігар Лосік", "birth_date": "1992-06",
                                               "gender": "m", "categories": ["journalist"], "categories_other": "blogger",
                                               "region": "Baranavichy", "public": "true"}, follow_redirects=False)
    assert created.status_code == 303
    person_id = created.headers["location"].rsplit("/", 1)[1]
    assert re.fullmatch(r"p-[0-9a-f]{12}", person_id)
    person = person_status(staff, person_id)
    assert person["person"]["categories"] == ["journalist", "blogger"] and person["person"]["birth_date"] == "1992-06"
    assert person["status"] != "behind_bars"

    types = staff.get(f"/persons/{person_id}/events/new")
    assert types.status_code == 200 and f"/persons/{person_id}/events/new?type=convicted" in types.text
    detained = staff.post(f"/persons/{person_id}/events/new", data=event_form(place="Minsk, Valadarka"), follow_redirects=False)
    assert detained.status_code == 303 and detained.headers["location"] == f"/persons/{person_id}"
    assert person_status(staff, person_id)["status"] == "behind_bars"
    page = staff.get(f"/persons/{person_id}")
    assert "behind bars" in page.text and "Minsk, Valadarka" in page.text
    assert f'href="/persons/{person_id}/edit"' in page.text and f'href="/persons/{person_id}/events/new"' in page.text


def test_each_event_type_shows_the_fields_it_uses(staff: TestClient):
    convicted = staff.get("/persons/p2/events/new", params={"type": "convicted"}).text
    assert all(f'name="{name}"' in convicted for name in ("sentence_months", "sentence_kind", "charges", "case_id", "source_ids"))
    assert 'name="destination"' not in convicted and 'name="place"' not in convicted
    deported = staff.get("/persons/p2/events/new", params={"type": "deported"}).text
    assert 'name="destination"' in deported and 'name="reason"' in deported and 'name="sentence_months"' not in deported
    # A browser sends the form only when every input marked required is filled: the optional new source is not.
    assert re.findall(r'<input [^>]*name="([a-z_]+)"[^>]*\brequired\b', convicted) == ["date"]
    assert staff.get("/persons/p2/events/new", params={"type": "abducted"}).status_code == 400
    # Another type chosen in the form: its fields are shown, what was typed is kept, nothing is written.
    shown = staff.post("/persons/p2/events/new", data=event_form(type="deported", note="typed before", show="fields"))
    assert shown.status_code == 200 and 'name="destination"' in shown.text and "typed before" in shown.text
    assert person_status(staff, "p2")["events"][-1]["type"] == "recognized"


def test_an_edit_retracts_the_old_version_and_the_past_still_shows_it(staff: TestClient):
    form = staff.get("/events/e7/edit")
    assert form.status_code == 200 and 'value="2020-09-07"' in form.text
    offered = re.findall(r'name="source_ids" value="([^"]+)"( checked)?', form.text)
    assert offered[0] == ("s1", " checked") and ("s2", "") in offered  # its own source first, ticked; the others to choose from
    typed = {**event_form(date="2020-09-08", place="Minsk, Akrestsina"), "based_on": based_on(form.text)}
    saved = staff.post("/events/e7/edit", data=typed, follow_redirects=False)
    assert saved.status_code == 303 and saved.headers["location"] == "/persons/p2"
    versions = staff.get("/api/v1/events/e7/history").json()["versions"]
    assert [version["date"] for version in versions] == ["2020-09-07", "2020-09-08"]
    assert versions[0]["retracted_at"] is not None and versions[1]["retracted_at"] is None
    before = person_status(staff, "p2", known_at=versions[0]["recorded_at"])
    now = person_status(staff, "p2")
    assert [event["date"] for event in before["events"] if event["event_id"] == "e7"] == ["2020-09-07"]
    e7 = [(event["date"], event["place"]) for event in now["events"] if event["event_id"] == "e7"]
    assert e7 == [("2020-09-08", "Minsk, Akrestsina")]
    past_page = staff.get("/persons/p2", params={"known_at": versions[0]["recorded_at"]}).text
    assert 'datetime="2020-09-07"' in past_page and "Minsk, Akrestsina" not in past_page


def test_a_second_edit_of_the_same_version_is_a_conflict_that_writes_nothing_and_keeps_the_input(
    register: Database, staff: TestClient
):
    form = staff.get("/cases/c1/edit").text
    version = based_on(form)
    first = staff.post("/cases/c1/edit", data={"name": "Case of the Council", "opened": "2020-08", "based_on": version},
                       follow_redirects=False)
    assert first.status_code == 303 and first.headers["location"] == "/cases/c1"
    before = rows(register)
    second = staff.post("/cases/c1/edit", data={"name": "Coordination Council case", "opened": "2020-08-20",
                                                "description": "my long description", "based_on": version})
    assert second.status_code == 409
    assert "changed this case after you opened it" in second.text
    for shown in ("Case of the Coordination Council", "Case of the Council", "Coordination Council case", "my long description"):
        assert shown in second.text, shown  # opened, now, typed; and the typed text is still in the form
    assert rows(register) == before
    assert staff.get("/api/v1/cases/c1").json()["case"]["name"] == "Case of the Council"
    # The form shown again is based on the current version: saving it now is a deliberate replacement.
    again = staff.post("/cases/c1/edit", data={"name": "Coordination Council case", "based_on": based_on(second.text)},
                       follow_redirects=False)
    assert again.status_code == 303
    assert staff.get("/api/v1/cases/c1").json()["case"]["name"] == "Coordination Council case"


def test_an_edit_that_changes_nothing_writes_nothing(register: Database, staff: TestClient):
    form = staff.get("/organisations/o1/edit").text
    before = rows(register)
    same = {"name": "Belsat", "kind": "media outlet", "based_on": based_on(form)}
    saved = staff.post("/organisations/o1/edit", data=same, follow_redirects=False)
    assert saved.status_code == 303 and rows(register) == before


@pytest.mark.parametrize(("url", "data", "field", "kept"), [
    ("/persons/new", {"name": "Typed Name", "birth_date": "1990-13-01"}, "Born", "Typed Name"),
    ("/persons/new", {"name": "", "notes": "typed notes"}, "Name", "typed notes"),
    ("/persons/p2/edit", {"name": "  ", "region": "typed region"}, "Name", "typed region"),
    ("/persons/p2/events/new", event_form(type="abducted", note="typed note"), "What happened", "typed note"),
    ("/persons/p2/events/new", event_form(source_ids="no-such-source", note="typed note"), "Sources", "no-such-source"),
    ("/persons/p2/events/new", event_form(date="yesterday"), "Date", "yesterday"),
    ("/persons/p2/events/new", event_form(new_source_title="A new report", new_source_url="not a url"), "Web address",
     "A new report"),
    ("/sources/new", {"title": "", "publisher": "typed publisher"}, "Title", "typed publisher"),
    ("/cases/new", {"case_id": "has a/slash", "name": "typed case"}, "Id", "typed case"),
])
def test_bad_input_is_refused_naming_the_field_and_writes_nothing(register: Database, staff: TestClient, url, data, field, kept):
    if url.endswith("/edit"):
        data = {**data, "based_on": based_on(staff.get(url).text)}
    before = rows(register)
    answer = staff.post(url, data=data)
    assert answer.status_code == 400, answer.text
    assert "Nothing was saved" in answer.text and f">{field}</a>:" in answer.text
    assert kept in answer.text
    assert rows(register) == before


def test_a_new_id_that_is_in_use_is_refused_with_a_link_to_the_record(register: Database, staff: TestClient):
    before = rows(register)
    answer = staff.post("/organisations/new", data={"organisation_id": "o1", "name": "Another outlet"})
    assert answer.status_code == 409 and 'href="/organisations/o1"' in answer.text and "Another outlet" in answer.text
    assert rows(register) == before


@pytest.mark.parametrize("text", [SCRIPT, SQL])
def test_markup_and_sql_in_input_are_stored_as_typed_and_shown_escaped(staff: TestClient, text: str):
    created = staff.post("/persons/new", data={"name": text, "notes": text, "public": "true"}, follow_redirects=False)
    person_id = created.headers["location"].rsplit("/", 1)[1]
    event = staff.post(f"/persons/{person_id}/events/new", data=event_form(source_ids="", new_source_title=text, note=text),
                       follow_redirects=False)
    assert event.status_code == 303
    person = person_status(staff, person_id)
    assert person["person"]["name"] == text and person["person"]["notes"] == text
    assert person["events"][0]["note"] == text and person["events"][0]["sources"][0]["title"] == text
    event_id = person["events"][0]["event_id"]
    for url in (f"/persons/{person_id}", f"/persons/{person_id}/edit", "/sources", f"/events/{event_id}/edit"):
        page = staff.get(url).text
        if text == SCRIPT:
            assert "<script>alert" not in page and "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in page, url
        else:
            assert "Robert&#39;); DROP TABLE persons; --" in page, url
    assert staff.get("/api/v1/persons").json()["total"] == 5  # the persons table is there


def test_memberships_are_added_changed_and_removed_from_the_person_form(register: Database, staff: TestClient):
    added = staff.post("/persons/p2/memberships", data={"organisation_id": "o1", "role": "musician"}, follow_redirects=False)
    assert added.status_code == 303
    assert person_status(staff, "p2")["organisations"][0]["role"] == "musician"
    page = staff.get("/persons/p2/edit").text
    version = re.search(r'name="organisation_id" value="o1">\s*<input type="hidden" name="based_on" value="(\d+)"', page).group(1)
    changed = staff.post("/persons/p2/memberships", data={"organisation_id": "o1", "role": "singer", "based_on": version},
                         follow_redirects=False)
    assert changed.status_code == 303
    stale = staff.post("/persons/p2/memberships/o1/retract", data={"based_on": version})
    assert stale.status_code == 409
    assert staff.post("/persons/p2/memberships", data={"organisation_id": "o-none", "role": "x"}).status_code == 400
    current = staff.get("/api/v1/memberships", params={"person_id": "p2"}).json()["memberships"][0]
    assert current["role"] == "singer"
    removed = staff.post("/persons/p2/memberships/o1/retract", data={"based_on": current["row_id"]}, follow_redirects=False)
    assert removed.status_code == 303 and person_status(staff, "p2")["organisations"] == []


def test_an_event_is_withdrawn_after_a_confirmation(staff: TestClient):
    confirm = staff.get("/events/e7/retract")
    assert confirm.status_code == 200 and "Withdraw the event" in confirm.text
    assert person_status(staff, "p2")["status"] == "behind_bars"
    done = staff.post("/events/e7/retract", data={"based_on": based_on(confirm.text)}, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == "/persons/p2"
    assert person_status(staff, "p2")["status"] != "behind_bars"
    assert staff.get("/events/e7/edit").status_code == 404


def test_an_event_cites_a_new_source_typed_into_its_form(staff: TestClient):
    saved = staff.post("/persons/p3/events/new", data=event_form(type="transferred", place="Zhodzina", source_ids="",
                                                                 new_source_title="Relative's call", new_source_restricted="true"),
                       follow_redirects=False)
    assert saved.status_code == 303
    event = person_status(staff, "p3")["events"][-1]
    assert event["place"] == "Zhodzina" and event["sources"][0]["title"] == "Relative's call" and event["sources"][0]["restricted"]


def test_the_lists_of_cases_organisations_and_sources_page_and_search(register: Database):
    client = TestClient(create_app(register, WebSettings(local_operator=True, page_size=1)))
    sources = client.get("/api/v1/sources").json()
    assert (sources["total"], sources["pages"], len(sources["sources"])) == (2, 2, 1)
    assert client.get("/api/v1/sources", params={"page": 2}).json()["sources"][0]["source_id"] != sources["sources"][0]["source_id"]
    assert 'rel="next"' in client.get("/sources").text
    assert client.get("/api/v1/cases", params={"q": "coordination"}).json()["total"] == 1
    assert client.get("/api/v1/cases", params={"q": "nothing like it"}).json()["total"] == 0
    assert "Belsat" in client.get("/organisations").text and "Siarhei Tsikhanouski" in client.get("/organisations/o1").text
    case = client.get("/cases/c1")
    assert case.status_code == 200 and "Siarhei Tsikhanouski" in case.text


def test_the_api_filters_events(staff: TestClient):
    def ids(**params):
        return [event["event_id"] for event in staff.get("/api/v1/events", params=params).json()["events"]]

    assert ids(person_id="p1", type="detained") == ["e1"]
    assert ids(case_id="c1") == ["e2"]
    assert ids(source_id="s2") == ["e2", "e8", "e9"]
    assert ids(**{"from": "2021-01-01", "to": "2021-07-31"}) == ["e8", "e9"]
    assert ids(person_id="p1", known_at="2020-06-02T12:00:00Z") == ["e1", "e4"]
    assert staff.get("/api/v1/events", params={"type": "abducted"}).status_code == 400
    assert staff.get("/api/v1/events", params={"from": "June"}).status_code == 400


def test_the_api_creates_edits_and_withdraws_with_conflicts_checked(register: Database, staff: TestClient):
    created = staff.post("/api/v1/events", json={"person_id": "p2", "type": "convicted", "date": "2021-09-06",
                                                 "charges": ["361-1", "357"], "sentence_months": 132,
                                                 "sentence_kind": "colony", "source_ids": ["s1"]})
    assert created.status_code == 201, created.text
    event = created.json()["event"]
    assert event["event_id"].startswith("e-") and event["charges"] == ["361-1", "357"] and event["politically_motivated"] is True
    url = f"/api/v1/events/{event['event_id']}"
    assert staff.get(url).json()["event"]["row_id"] == event["row_id"]

    edited = staff.put(url, json={"based_on": event["row_id"], "sentence_months": 120})
    assert edited.status_code == 200
    new = edited.json()["event"]
    assert new["sentence_months"] == 120 and new["charges"] == ["361-1", "357"] and new["row_id"] != event["row_id"]

    before = rows(register)
    stale = staff.put(url, json={"based_on": event["row_id"], "sentence_months": 100})
    assert stale.status_code == 409
    refused = stale.json()
    assert refused["ok"] is False and refused["current"]["row_id"] == new["row_id"]
    assert "changed by someone else" in refused["error"]
    assert staff.delete(url, params={"based_on": event["row_id"]}).status_code == 409
    assert rows(register) == before

    assert staff.delete(url, params={"based_on": new["row_id"]}).json()["ok"] is True
    assert staff.get(url).status_code == 404
    assert len(staff.get(f"{url}/history").json()["versions"]) == 2


@pytest.mark.parametrize(("resource", "body", "change"), [
    ("persons", {"name": "Andrzej Poczobut", "categories": ["journalist"], "public": True, "restricted_notes": "secret"},
     {"region": "Hrodna"}),
    ("cases", {"case_id": "c-viasna", "name": "Case of Viasna"}, {"opened": "2021-07"}),
    ("organisations", {"name": "Viasna", "kind": "human rights group"}, {"kind": "rights group"}),
    ("sources", {"title": "Court verdict", "url": "https://example.org/v", "published": "2023-03-03"}, {"restricted": True}),
])
def test_the_api_creates_and_edits_every_kind_of_record(staff: TestClient, resource: str, body: dict, change: dict):
    created = staff.post(f"/api/v1/{resource}", json=body)
    assert created.status_code == 201, created.text
    singular = resource[:-1]
    record = created.json()[singular]
    key = record[f"{singular}_id"]
    edited = staff.put(f"/api/v1/{resource}/{key}", json={"based_on": record["row_id"], **change})
    assert edited.status_code == 200, edited.text
    assert edited.json()[singular] | change == edited.json()[singular]
    assert all(edited.json()[singular][name] == value for name, value in body.items() if name not in change)
    versions = staff.get(f"/api/v1/{resource}/{key}/history").json()["versions"]
    assert len(versions) == 2 and versions[0]["retracted_at"] is not None


def test_the_api_adds_changes_and_removes_memberships(staff: TestClient):
    added = staff.post("/api/v1/memberships", json={"person_id": "p4", "organisation_id": "o1", "role": "founder"})
    assert added.status_code == 201, added.text
    version = added.json()["membership"]["row_id"]
    assert staff.post("/api/v1/memberships", json={"person_id": "p4", "organisation_id": "o1"}).status_code == 409  # there already
    assert staff.post("/api/v1/memberships", json={"person_id": "p4"}).status_code == 422
    changed = staff.put("/api/v1/memberships/p4/o1", json={"based_on": version, "role": "chair"})
    assert changed.status_code == 200 and changed.json()["membership"]["role"] == "chair"
    assert staff.delete("/api/v1/memberships/p4/o1", params={"based_on": version}).status_code == 409
    current = changed.json()["membership"]["row_id"]
    assert staff.delete("/api/v1/memberships/p4/o1", params={"based_on": current}).json()["ok"] is True
    assert staff.get("/api/v1/memberships", params={"organisation_id": "o1"}).json()["total"] == 1  # p1 remains


def test_the_api_refuses_bad_input_naming_the_field_and_writes_nothing(register: Database, staff: TestClient):
    before = rows(register)
    for resource, body, field in [
        ("persons", {"name": "X", "birth_date": "1990-02-30"}, "birth_date"),
        ("persons", {"name": ""}, "name"),
        ("events", {"person_id": "p2", "type": "abducted", "date": "2021-01-01", "source_ids": ["s1"]}, "type"),
        ("events", {"person_id": "p2", "type": "detained", "date": "2021-01-01", "source_ids": ["nope"]}, "source_ids"),
        ("events", {"person_id": "nobody", "type": "detained", "date": "2021-01-01", "source_ids": ["s1"]}, "person_id"),
        ("events", {"person_id": "p2", "type": "detained", "date": "2021-01-01", "source_ids": ["s1;s2"]}, "source_ids"),
        ("sources", {"source_id": "bad id/1", "title": "T"}, "source_id"),
    ]:
        answer = staff.post(f"/api/v1/{resource}", json=body)
        assert answer.status_code == 400, (body, answer.text)
        assert answer.json()["ok"] is False and field in answer.json()["fields"] and field in answer.json()["error"], body
    for text in ('{"name": "a\\u0000b"}', '{"name": "a\\ud800b"}'):  # a NUL; half a surrogate pair
        answer = staff.post("/api/v1/persons", content=text.encode(), headers={"content-type": "application/json"})
        assert answer.status_code == 400 and "name" in answer.json()["fields"], text
    form = staff.post("/persons/new", data={"name": "a\x00b"})
    assert form.status_code == 400 and "cannot be stored" in form.text
    assert staff.post("/api/v1/persons", json={"name": "X", "shoe_size": "44"}).status_code == 422  # a typo is not dropped silently
    assert rows(register) == before


def test_the_openapi_document_describes_the_write_bodies(staff: TestClient):
    document = staff.get("/openapi.json").json()
    schemas = document["components"]["schemas"]
    for name in ("PersonCreate", "PersonUpdate", "EventCreate", "EventUpdate", "CaseCreate", "OrganisationUpdate", "SourceCreate"):
        assert name in schemas, name
    assert "based_on" in schemas["EventUpdate"]["required"] and "source_ids" in schemas["EventCreate"]["required"]
    assert {"get", "post"} <= set(document["paths"]["/api/v1/events"])
    assert {"get", "put", "delete"} <= set(document["paths"]["/api/v1/events/{event_id}"])


def test_restricted_sources_are_hidden_from_those_who_may_not_read_them(register: Database, monkeypatch):
    monkeypatch.setattr(access, "identify", lambda request: Principal("a", "analyst"))
    analyst = TestClient(create_app(register))
    listed = analyst.get("/api/v1/sources").json()
    assert [source["source_id"] for source in listed["sources"]] == ["s1"] and listed["total"] == 1
    for url in ("/api/v1/sources/s2", "/api/v1/sources/s2/history", "/sources/s2"):
        assert analyst.get(url).status_code == 404, url
    assert "Lawyer&#39;s message" not in analyst.get("/sources").text
    assert "restricted_notes" not in analyst.get("/api/v1/persons/p1/history").json()["versions"][0]
    assert analyst.post("/api/v1/cases", json={"name": "A case"}).status_code == 403
    assert analyst.get("/cases/new").status_code == 403


def test_the_anonymous_public_may_write_nothing(register: Database):
    """Every write of this part of the app, whatever is sent; tests/test_web_access.py covers every route without a body."""
    client = TestClient(create_app(register))
    before = rows(register)
    routes = {(method, route.path) for route in records.router.routes for method in route.methods}
    writes = sorted(key for key in routes if ROUTE_PERMISSIONS[key] == EDIT)
    assert len(writes) > 30
    values = {"person_id": "p1", "event_id": "e1", "case_id": "c1", "organisation_id": "o1", "source_id": "s1"}
    for method, path in writes:
        url = re.sub(r"\{([a-z_]+)\}", lambda match: values[match.group(1)], path)
        if method == "GET":
            answer = client.get(url)
        elif path.startswith("/api/"):
            answer = client.request(method, url, json={"name": "x", "based_on": 1}, params={"based_on": 1})
        else:
            answer = client.request(method, url, data={"name": "x", "based_on": "1", "organisation_id": "o1"})
        assert answer.status_code == 401, f"{method} {path}: {answer.status_code}"
        assert client.request(method, url).status_code == 401, f"{method} {path} without a body"
        garbage = client.request(method, url, content=b"{not json", headers={"content-type": "application/json"})
        assert garbage.status_code == 401, f"{method} {path} with a malformed body: {garbage.status_code}"
    assert rows(register) == before


def test_a_form_sent_from_another_site_is_refused(register: Database, staff: TestClient):
    before = rows(register)
    for headers in ({"origin": "https://elsewhere.example"}, {"sec-fetch-site": "cross-site"}):
        answer = staff.post("/persons/new", data={"name": "Planted"}, headers=headers)
        assert answer.status_code == 403, headers
    # What another site's form may send to the API (text/plain, no preflight) is not taken for JSON.
    assert staff.post("/api/v1/persons", content='{"name": "Planted"}', headers={"content-type": "text/plain"}).status_code == 422
    assert rows(register) == before
    own = staff.post("/persons/new", data={"name": "Typed here"}, headers={"origin": "null", "sec-fetch-site": "same-origin"},
                     follow_redirects=False)
    assert own.status_code == 303


def test_persons_are_added_to_an_empty_register(database: Database):
    client = TestClient(create_app(database, WebSettings(local_operator=True)), raise_server_exceptions=False)
    added = [client.post("/persons/new", data={"name": f"Person {number}"}, follow_redirects=False) for number in range(3)]
    assert [answer.status_code for answer in added] == [303, 303, 303]
    assert client.get("/api/v1/persons").json()["total"] == 3


def test_sources_are_found_by_their_title_although_it_is_encrypted_at_rest(database: Database):
    register = Register(database)
    register.record("sources", {"source_id": "s-a", "title": "Viasna: detentions in Homiel", "publisher": "Viasna", "restricted": "false"})
    register.record("sources", {"source_id": "s-b", "title": "Court schedule", "publisher": "Zerkalo", "restricted": "false"})
    client = TestClient(create_app(database, WebSettings(local_operator=True)))
    found = client.get("/api/v1/sources", params={"q": "homiel"}).json()
    assert [row["source_id"] for row in found["sources"]] == ["s-a"] and found["total"] == 1
    assert [row["source_id"] for row in client.get("/api/v1/sources", params={"q": "zerkalo"}).json()["sources"]] == ["s-b"]
    assert "Viasna: detentions in Homiel" in client.get("/sources", params={"q": "Homiel"}).text
