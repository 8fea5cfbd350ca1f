"""Bad input, part 3: every form of the web app gets generated field values (issue 7).

The POST routes that take a form (every route of app.routes outside
/api/, where schemathesis works: tests/test_web_schema.py) are posted by the
local operator, from the app's own page (the same-origin header a browser
sends), with field values hypothesis makes: the form's own fields, each
left out or given text of any kind (injection strings, NUL, huge values,
dates and ids that are nearly right, several values for one field), and
path parameters that name records that exist or do not. The answer is
never a server error, never shows a stack trace, never shows an injected
script as markup; and when the form is refused (4xx) nothing in the
register changed.

A new form route without an entry in FORM_FIELDS fails the test, so that
it is fuzzed too.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from packages import small_register, write_package
from test_fuzz import (
    BOOKKEEPING,
    NOT_WRITES,
    PAYLOADS,
    SAME_ORIGIN,
    assert_no_traceback,
    audit_actions,
    digest,
)
from test_web_auth import api_routes

from chronicle.database import Database
from chronicle.importer import import_package
from chronicle.web.app import WebSettings, create_app
from chronicle.web.views import records

EXAMPLES = 5  # posts per form route and database
BOUNDS = settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None, suppress_health_check=list(HealthCheck))


def _names(fields) -> list[str]:
    return [field.name for field in fields]


PERSON = [*_names(records.PERSON_FIELDS), "categories_other", "based_on"]
EVENT = [*_names(records.EVENT_FIELDS), "source_ids_other", "show", "based_on",
         *("new_source_" + name for name in _names(records.SOURCE_FIELDS))]
INTAKE = ["text", "published", "lang", "title", "publisher", "url", "restricted"]
ROW = [f"row-0-{name}" for name in ("decision", "type", "person", "other_id", "new_name", "new_categories", "date", "place",
                                     "destination", "case_id", "quote", "new_public")]

# The fields each form sends (its own, and those a tampered form might add).
FORM_FIELDS: dict[str, list[str]] = {
    "/persons/new": PERSON,
    "/persons/{person_id}/edit": PERSON,
    "/persons/{person_id}/memberships": ["organisation_id", "role", "based_on"],
    "/persons/{person_id}/memberships/{organisation_id}/retract": ["based_on"],
    "/persons/{person_id}/events/new": EVENT,
    "/events/{event_id}/edit": EVENT,
    "/events/{event_id}/retract": ["based_on"],
    "/cases/new": [*_names(records.CASE_FIELDS), "based_on"],
    "/cases/{case_id}/edit": [*_names(records.CASE_FIELDS), "based_on"],
    "/organisations/new": [*_names(records.ORGANISATION_FIELDS), "based_on"],
    "/organisations/{organisation_id}/edit": [*_names(records.ORGANISATION_FIELDS), "based_on"],
    "/sources/new": [*_names(records.SOURCE_FIELDS), "based_on"],
    "/sources/{source_id}/edit": [*_names(records.SOURCE_FIELDS), "based_on"],
    "/intake": INTAKE,
    "/intake/accept": [*INTAKE, "batch", "source_published", "rows", *ROW],
    "/packages/import": ["package"],
    "/persons/merge": ["keep", "absorb", "note"],
    "/merges/{merge_id}/unmerge": ["note"],
    "/duplicates/not-same": ["a", "b", "note"],
    "/sign-in": ["username", "password", "next"],
    "/sign-in/code": ["code", "next"],
    "/account/2fa": ["code", "password", "next"],
    "/sign-out": ["next"],
    "/account/sign-out-everywhere": ["next"],
}
SLOW = {"/intake", "/intake/accept"}  # each post runs the extraction: fewer examples

IDS = {
    "person_id": ["p1", "p2", "p3", "p4", "nobody"], "event_id": ["e1", "e7", "e4", "nothing"], "case_id": ["c1", "c2"],
    "organisation_id": ["o1", "o2"], "source_id": ["s1", "s2", "s9"], "merge_id": ["1", "999", "x"],
}
# (A NUL in a path: test_a_nul_in_a_record_address_is_not_found below.)
PATH_VALUES = st.sampled_from([" ", "'; DROP TABLE persons;--", "<script>", "..", "é", "9" * 300])
TEXT = st.one_of(
    st.sampled_from([*PAYLOADS, "", " ", "\x00", "a\x00b", "\ud800", "true", "false", "on", "1", "0", "-1", "99999999999999999999",
                     "2024-03-01", "2024-13-01", "2024-02-30", "2099-01-01", "1700", "2024", "2024-03", "yesterday",
                     "p1", "p2", "s1", "s2", "s1;s2", "c1", "o1", "e1", "nobody", "detained", "convicted", "deported", "abducted",
                     "colony", "pardon", "m", "f", "male", "journalist", "en", "ru", "be", "auto", "accept", "reject", "new",
                     "other", "https://example.org/a", "javascript:alert(1)", "abcdef012345", "/dashboard", "//evil.example",
                     "x" * 70_000, "Police detained journalist Ihar Losik in Minsk on Monday."]),
    st.text(max_size=30),
    st.integers(-5, 10**6).map(str),
)
VALUE = st.one_of(TEXT, st.lists(TEXT, min_size=2, max_size=3))


def form_routes(app) -> list[str]:
    """The paths of every POST route that is not the JSON API."""
    return sorted({route.path for route in api_routes(app.routes) if "POST" in route.methods and not route.path.startswith("/api/")})


def test_every_form_route_is_fuzzed(tmp_path: Path):
    app = create_app(Database.open(str(tmp_path / "register.db")), WebSettings(local_operator=True))
    assert form_routes(app) == sorted(FORM_FIELDS), "a form route without FORM_FIELDS, or an entry for no route"
    app.state.database.close()


@pytest.fixture
def register(database: Database, tmp_path: Path) -> Database:
    import_package(database, write_package(tmp_path / "package", small_register()))
    return database


def _url(path: str, draw) -> str:
    def value(match: re.Match) -> str:
        name = match.group(1)
        return quote(draw(st.one_of(st.sampled_from(IDS[name]), PATH_VALUES)), safe="")

    return re.sub(r"\{([a-z_]+)\}", value, path)


@pytest.mark.parametrize("path", sorted(FORM_FIELDS))
def test_generated_forms_never_get_a_server_error_and_a_refusal_writes_nothing(register: Database, path: str):
    client = TestClient(create_app(register, WebSettings(local_operator=True)))
    fields = FORM_FIELDS[path]
    bounds = settings(BOUNDS, max_examples=2 if path in SLOW else EXAMPLES)

    @bounds
    @given(st.data())
    def one(data):
        url = _url(path, data.draw)
        form = data.draw(st.fixed_dictionaries({}, optional={name: VALUE for name in fields}))
        before = digest(register.engine, skip=BOOKKEEPING, sequences=False)
        actions = len(audit_actions(register.engine))
        if path == "/packages/import":
            content = data.draw(st.one_of(st.binary(max_size=300), st.just(b"PK\x03\x04" + b"\x00" * 40)))
            answer = client.post(url, files={"package": ("p.zip", content, "application/zip")} if form else None,
                                 headers=SAME_ORIGIN, follow_redirects=False)
        else:
            answer = client.post(url, data=form, headers=SAME_ORIGIN, follow_redirects=False)
        assert answer.status_code < 500, f"POST {url} {form!r}: {answer.status_code}\n{answer.text[:2000]}"
        assert_no_traceback(answer.text, f"POST {url}")
        for payload in PAYLOADS:
            if "<" in payload:
                assert payload not in answer.text, f"POST {url} shows {payload!r} as markup"
        if answer.status_code >= 400:
            assert digest(register.engine, skip=BOOKKEEPING, sequences=False) == before, f"POST {url} {form!r} was refused but wrote"
            added = audit_actions(register.engine)[actions:]
            assert set(added) <= NOT_WRITES, f"POST {url} was refused but the audit log records {added}"

    one()


NUL_ADDRESSES = [("POST", "/persons/%00/edit"), ("POST", "/persons/%00/events/new"), ("POST", "/events/%00/edit"),
                 ("GET", "/persons/%00"), ("GET", "/cases/%00")]


@pytest.fixture(params=["sqlite", "postgresql"])
def nul_register(request, tmp_path: Path, key_file):
    from databases import fresh_location

    for location in fresh_location(request.param, tmp_path / "register.db"):
        database = Database.open(location)
        import_package(database, write_package(tmp_path / "package", small_register()))
        yield database
        database.close()


def test_a_nul_in_a_record_address_is_not_found(nul_register: Database):
    client = TestClient(create_app(nul_register, WebSettings(local_operator=True)), raise_server_exceptions=False)
    before = digest(nul_register.engine, skip=BOOKKEEPING, sequences=False)
    for method, url in NUL_ADDRESSES:
        answer = client.request(method, url, data={"name": "x", "type": "detained", "date": "2024-03-01", "source_ids": "s1"},
                                headers=SAME_ORIGIN) if method == "POST" else client.get(url)
        assert answer.status_code == 404, f"{method} {url}: {answer.status_code}"
        assert_no_traceback(answer.text, url)
    assert digest(nul_register.engine, skip=BOOKKEEPING, sequences=False) == before
