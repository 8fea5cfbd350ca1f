"""Bad input, part 4: SQL and script injection in every text field is stored exactly and shown escaped (issue 7).

Strings that would break a careless program -- SQL that ends the statement
and drops a table, markup that runs a script, template syntax that a second
rendering would evaluate, a spreadsheet formula -- are typed into the forms
of the web app (and sent in a data package) as names, notes, places, source
titles, case names and organisation names, on SQLite and PostgreSQL. They
must come back from the JSON API exactly as typed, show escaped in every
page that shows them (never as markup, `{{7*7}}` never as 49), reach the CSV
download of an explanation guarded against formula injection, and leave
every table of the register in place. A NUL, which PostgreSQL cannot store,
is refused cleanly everywhere: a 400 naming the field, nothing written.

The other parts are tests/test_fuzz_import.py (data packages),
tests/test_fuzz_extraction.py and tests/test_fuzz_forms.py (every form).
This module also holds what they share: the payloads, the headers a form of
this site sends, and a digest of everything a register holds.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from datetime import date
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from markupsafe import escape
from packages import small_register, write_package
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from chronicle.cli import app as cli
from chronicle.database import Database
from chronicle.importer import import_package
from chronicle.schema import metadata
from chronicle.web.app import WebSettings, create_app

# What an injection attempt looks like in each text field. Each is stored and shown as it is.
PAYLOADS = (
    "'); DROP TABLE persons;--",
    "\" OR 1=1 --",
    "x' OR '1'='1",
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "\"><svg onload=alert(1)>",
    "{{7*7}}",
    "{% for x in range(3) %}loop{% endfor %}",
    "${7*7}",
    "#{7*7} <%= 7*7 %>",
    "Сяргей Ціханоўскі \u2028 \u202ertl",  # Cyrillic, a line separator and a right-to-left override
)
# Text a spreadsheet runs as a formula when a CSV cell starts with it.
FORMULAS = ("=HYPERLINK(\"http://evil.example\",\"x\")", "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(1+1)*cmd|' /C calc'!A0")
NUL_TEXT = "Сяргей\x00Ціханоўскі"  # Cyrillic with a NUL inside: no database of the register can keep it

# A form sent from one of the app's own pages (tests/test_web_editing.py): the browser says so.
SAME_ORIGIN = {"sec-fetch-site": "same-origin", "origin": "null"}
# Tables that a read or a refused sign-in may write to besides the register: the audit log (reads of restricted
# data are audited) and the sign-in bookkeeping. Everything else must stay as it was when input is refused.
BOOKKEEPING = frozenset({"audit_log", "audit_head", "sign_in_failures", "user_sessions"})
# Audit actions that record a read or a refusal, never a change of the register.
NOT_WRITES = frozenset({"read_restricted", "sign_in_failed", "export"})
TRACEBACK = re.compile(r"Traceback \(most recent call last\)|File \"[^\"]+\.py\", line \d+")


def digest(engine: Engine, *, skip: frozenset[str] = frozenset(), sequences: bool = True) -> dict[str, str]:
    """A digest of every table the database holds, as the database stores it (ciphertext as ciphertext).

    With `sequences` (PostgreSQL), the sequences' positions too: an import that
    wrote and rolled back would have moved them.
    """
    found: dict[str, str] = {}
    postgresql = engine.dialect.name == "postgresql"
    listing = ("select tablename from pg_tables where schemaname = current_schema()" if postgresql
               else "select name from sqlite_master where type = 'table'")
    with engine.connect() as connection:
        names = sorted(row[0] for row in connection.exec_driver_sql(listing))
        for name in names:
            if name in skip:
                continue
            rows = sorted(repr(tuple(row)) for row in connection.exec_driver_sql(f'select * from "{name}"'))
            found[name] = hashlib.sha256("\n".join(rows).encode()).hexdigest()
        if sequences and postgresql:
            found["(sequences)"] = repr(connection.exec_driver_sql(
                "select sequencename, last_value from pg_sequences where schemaname = current_schema() order by 1"
            ).all())
    assert set(metadata.tables) <= set(names), f"tables are missing: {set(metadata.tables) - set(names)}"
    return found


def audit_actions(engine: Engine) -> list[str]:
    with engine.connect() as connection:
        return [row[0] for row in connection.exec_driver_sql("select action from audit_log order by entry_id")]


def assert_no_traceback(text: str, where: str) -> None:
    found = TRACEBACK.search(text)
    assert found is None, f"{where} shows a stack trace: ...{text[max(0, found.start() - 200):found.end() + 200]}..."


# Part 4: injection.

TODAY = date.today().isoformat()


@pytest.fixture
def staff(database: Database, tmp_path: Path) -> TestClient:
    import_package(database, write_package(tmp_path / "package", small_register()))
    return TestClient(create_app(database, WebSettings(local_operator=True)))


def _created_id(answer, prefix: str) -> str:
    assert answer.status_code == 303, answer.text
    location = answer.headers["location"]
    assert location.startswith(prefix), location
    return location.rsplit("/", 1)[1]


def _store_everywhere(staff: TestClient, text: str, number: int) -> dict[str, str]:
    """Type `text` into every text field of a person, a case, an organisation, an event, its new source and a membership."""
    post = lambda url, data: staff.post(url, data=data, headers=SAME_ORIGIN, follow_redirects=False)
    person = _created_id(post("/persons/new", {
        "name": f"{text} {number}", "name_ru": text, "name_be": text, "name_en": text, "region": text, "notes": text,
        "restricted_notes": text, "categories_other": "journalist", "public": "true"}), "/persons/")
    case = _created_id(post("/cases/new", {"name": text, "description": text, "opened": "2024-01"}), "/cases/")
    organisation = _created_id(post("/organisations/new", {"name": text, "kind": text}), "/organisations/")
    source = _created_id(post("/sources/new", {"title": text, "publisher": text, "url": "https://example.org/x",
                                               "published": "2024-03-01"}), "/sources/")
    detained = post(f"/persons/{person}/events/new", {
        "type": "detained", "date": "2024-03-01", "place": text, "case_id": case, "politically_motivated": "true",
        "source_ids": "", "new_source_title": text, "new_source_publisher": text, "note": text})
    assert detained.status_code == 303, detained.text
    recognized = post(f"/persons/{person}/events/new", {"type": "recognized", "date": "2024-03-02", "source_ids": source,
                                                        "politically_motivated": "true", "note": text})
    assert recognized.status_code == 303, recognized.text
    joined = post(f"/persons/{person}/memberships", {"organisation_id": organisation, "role": text})
    assert joined.status_code == 303, joined.text
    return {"person": person, "case": case, "organisation": organisation, "source": source}


def _read_back(staff: TestClient, ids: dict[str, str], text: str, number: int) -> list[str]:
    """Every field as the JSON API gives it back: each must equal what was typed. The event ids."""
    person = staff.get(f"/api/v1/persons/{ids['person']}")
    assert person.status_code == 200 and person.headers["content-type"].startswith("application/json")
    answer = person.json()
    stored = answer["person"]
    assert stored["name"] == f"{text} {number}"
    assert [stored[key] for key in ("name_ru", "name_be", "name_en", "region", "notes", "restricted_notes")] == [text] * 6
    events = sorted(answer["events"], key=lambda event: event["date"])
    assert [event["type"] for event in events] == ["detained", "recognized"]
    assert events[0]["place"] == text and events[0]["note"] == text and events[1]["note"] == text
    assert events[0]["sources"][0]["title"] == text and events[0]["sources"][0]["publisher"] == text
    assert [(item["name"], item["role"]) for item in answer["organisations"]] == [(text, text)]
    assert staff.get(f"/api/v1/cases/{ids['case']}").json()["case"]["name"] == text
    assert staff.get(f"/api/v1/cases/{ids['case']}").json()["case"]["description"] == text
    assert staff.get(f"/api/v1/organisations/{ids['organisation']}").json()["organisation"]["kind"] == text
    assert staff.get(f"/api/v1/sources/{ids['source']}").json()["source"]["title"] == text
    found = staff.get("/api/v1/sources", params={"q": text}).json()["sources"]
    assert ids["source"] in [row["source_id"] for row in found], "a source is found by its title, whatever it holds"
    return [event["event_id"] for event in events]


def _pages(ids: dict[str, str], events: list[str]) -> list[str]:
    person, case, organisation, source = ids["person"], ids["case"], ids["organisation"], ids["source"]
    return [
        f"/persons/{person}", f"/persons/{person}/edit", f"/persons/{person}/events/new?type=convicted",
        "/persons", f"/events/{events[0]}/edit", f"/events/{events[0]}/retract",
        "/cases", f"/cases/{case}", f"/cases/{case}/edit",
        "/organisations", f"/organisations/{organisation}", f"/organisations/{organisation}/edit",
        "/sources", f"/sources/{source}", f"/sources/{source}/edit",
        f"/explain/behind_bars?as_of={TODAY}", f"/explain/arrests?from=2024-01-01&to={TODAY}",
        f"/public/prisoners/{person}", "/public/prisoners",
    ]


# Where each page must show the text: every page of a record shows its fields, the lists their names.
SHOWN_ON = ("/persons/p-", "/events/", "/cases/c-", "/organisations/o-", "/sources/s-", "/explain/", "/public/prisoners/")


def _check_html(url: str, body: str, text: str, *, must_show: bool) -> None:
    assert_no_traceback(body, url)
    for payload in PAYLOADS:
        if payload in text and "<" in payload:
            assert payload not in body, f"{url} shows {payload!r} as markup"
    if "{%" in text:
        assert "looplooploop" not in body, f"{url} ran the template in {text!r}"
    if must_show:
        assert str(escape(text)) in body, f"{url} does not show {text!r} escaped ({escape(text)!r})"


# Each text goes into every text field; the last holds every payload at once (to keep the test quick).
TEXTS = (PAYLOADS[0], PAYLOADS[3], " | ".join(PAYLOADS))


@pytest.mark.parametrize("number", range(len(TEXTS)), ids=["sql", "script", "all"])
def test_injection_is_stored_exactly_and_shown_escaped(database: Database, staff: TestClient, number: int):
    text = TEXTS[number]
    ids = _store_everywhere(staff, text, number)
    events = _read_back(staff, ids, text, number)
    for url in _pages(ids, events):
        answer = staff.get(url)
        assert answer.status_code == 200, (url, answer.status_code, answer.text[:500])
        assert answer.headers["content-type"].startswith("text/html")
        must_show = url.startswith(SHOWN_ON) or url in ("/cases", "/organisations", "/sources", "/persons")
        _check_html(url, answer.text, text, must_show=must_show)
    feed = staff.get("/public/feed.atom")
    assert feed.status_code == 200
    _check_html("the Atom feed", feed.text, text, must_show=False)
    # The public site and its API (the person consented to be named): escaped there too, and equal in JSON.
    public = TestClient(create_app(database))
    page = public.get(f"/public/prisoners/{ids['person']}")
    assert page.status_code == 200, page.text[:300]
    _check_html("the public page", page.text, text, must_show=True)
    assert public.get(f"/api/v1/persons/{ids['person']}").json()["person"]["name"] == f"{text} {number}"
    # Every table is still there, and the register still answers.
    digest(database.engine)
    assert staff.get("/api/v1/persons").json()["total"] == 5


def test_the_template_syntax_is_not_evaluated(staff: TestClient):
    """{{7*7}} shown literally, never as 49: the page holds the braces and the name's page does not say 49."""
    ids = _store_everywhere(staff, "Name {{7*7}} ${7*7}", 99)
    for url in (f"/persons/{ids['person']}", "/persons", f"/cases/{ids['case']}", f"/organisations/{ids['organisation']}"):
        body = staff.get(url).text
        assert "Name {{7*7}} ${7*7}" in body, url
        assert "Name 49" not in body and "Name {{7*7}} $49" not in body, url


def test_the_explain_csv_does_not_hand_a_spreadsheet_a_formula(staff: TestClient):
    stored = {_store_everywhere(staff, formula, number)["person"]: (number, formula) for number, formula in enumerate(FORMULAS)}
    answer = staff.get("/explain/behind_bars.csv", params={"as_of": TODAY})
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(answer.text)))
    for person, (number, formula) in stored.items():
        mine = [row for row in rows if row["person_id"] == person]
        assert len(mine) == 1, "the person detained with the payload is behind bars"
        row = mine[0]
        assert row["name"] == "'" + f"{formula} {number}" and row["place"] == "'" + formula
        assert row["sources"].startswith("'" + formula)
    for cells in rows:
        for column, cell in cells.items():
            dangerous = cell[:1] in ("=", "+", "-", "@", "\t", "\r") and not cell.lstrip("-").isdigit()
            assert not dangerous, f"column {column}: {cell!r} would run as a formula"


def test_a_nul_in_a_form_is_refused_naming_the_field_and_writes_nothing(database: Database, staff: TestClient):
    before = digest(database.engine, skip=BOOKKEEPING)
    for field in ("name", "notes", "region", "name_ru", "restricted_notes"):
        answer = staff.post("/persons/new", data={"name": "Someone", field: NUL_TEXT}, headers=SAME_ORIGIN)
        assert answer.status_code == 400 and "cannot be stored" in answer.text and "Nothing was saved" in answer.text, field
    for url, data in (("/cases/new", {"name": NUL_TEXT}), ("/organisations/new", {"name": "O", "kind": NUL_TEXT}),
                      ("/sources/new", {"title": NUL_TEXT}),
                      ("/persons/p2/events/new", {"type": "detained", "date": "2024-03-01", "source_ids": "s1", "place": NUL_TEXT}),
                      ("/persons/p2/events/new", {"type": "detained", "date": "2024-03-01", "source_ids": "", "new_source_title": NUL_TEXT})):
        refused = staff.post(url, data=data, headers=SAME_ORIGIN)
        assert refused.status_code == 400 and "cannot be stored" in refused.text, (url, refused.status_code)
    api = staff.post("/api/v1/sources", json={"title": NUL_TEXT})
    assert api.status_code == 400 and "title" in api.json()["fields"]
    assert digest(database.engine, skip=BOOKKEEPING) == before


def test_injection_in_a_data_package_is_stored_exactly(database_location: str, tmp_path: Path):
    """The import keeps every payload as it is in every text column, and the export writes it back unchanged."""
    tables = small_register()
    for number, text in enumerate(PAYLOADS):
        tables["sources"].append({"source_id": f"sx{number}", "title": text, "publisher": text, "restricted": "false"})
        tables["cases"].append({"case_id": f"cx{number}", "name": text, "description": text})
        tables["organisations"].append({"organisation_id": f"ox{number}", "name": text, "kind": text})
        tables["persons"].append({"person_id": f"px{number}", "name": text, "name_ru": text, "region": text, "notes": text,
                                  "restricted_notes": text, "public": "true"})
        tables["memberships"].append({"person_id": f"px{number}", "organisation_id": f"ox{number}", "role": text})
        tables["events"].append({"event_id": f"ex{number}", "person_id": f"px{number}", "type": "detained", "date": "2024-03-01",
                                 "place": text, "case_id": f"cx{number}", "source_ids": f"sx{number}", "note": text})
    package = write_package(tmp_path / "package", tables)
    imported = CliRunner().invoke(cli, ["--db", database_location, "import", str(package)])
    assert imported.exit_code == 0, imported.output
    exported = CliRunner().invoke(cli, ["--db", database_location, "export", str(tmp_path / "export")])
    assert exported.exit_code == 0, exported.output
    for name in ("sources", "cases", "organisations", "persons", "memberships", "events"):
        with open(tmp_path / "export" / f"{name}.csv", encoding="utf-8", newline="") as stream:
            rows = {tuple(row.values())[:2]: row for row in csv.DictReader(stream)}
        for row in tables[name]:
            key = tuple(row.values())[:2]
            if "x" not in key[0][:2]:
                continue
            written = next(found for found_key, found in rows.items() if found_key[0] == key[0])
            for column, value in row.items():
                if column in ("source_ids", "date", "type", "public", "restricted", "person_id", "organisation_id", "case_id"):
                    continue
                assert written[column] == value, (name, key, column)
    engine_check = Database.open(database_location)
    try:
        digest(engine_check.engine)
    finally:
        engine_check.close()
