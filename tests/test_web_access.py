"""Every route of the web app is in the permission table, and answers each role and the anonymous public accordingly.

The walk signs in as each role through the sign-in forms (tests/test_web_auth.py's
`Staff`) and sends every route of the app, with the session's CSRF token for the
writes: a role with the route's permission is never refused (401 or 403), a
role without it always gets 403, and the public gets 401 on every route that is
not public. A new route without an entry in ROUTE_PERMISSIONS fails the first test.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from packages import small_register, write_package

from chronicle.database import Database
from chronicle.importer import import_package
from test_web_auth import Clock, Staff, api_routes, web

from chronicle.web.access import PUBLIC, ROLE_PERMISSIONS, ROUTE_PERMISSIONS, public
from chronicle.web.app import SAFE_METHODS, WebSettings, create_app


def _routes(app) -> list[tuple[str, str, APIRoute]]:
    return [(method, route.path, route) for route in api_routes(app.routes) for method in sorted(route.methods)]


def _permissions_of(route: APIRoute) -> set[str]:
    """The permissions the route's dependencies demand (PUBLIC for the `public` dependency)."""
    found: set[str] = set()
    stack = list(route.dependant.dependencies)
    while stack:
        dependency = stack.pop()
        call = dependency.call
        if call is public:
            found.add(PUBLIC)
        permission = getattr(call, "permission", None)
        if permission:
            found.add(permission)
        stack.extend(dependency.dependencies)
    return found


def test_every_route_is_in_the_permission_table_and_requires_what_it_says(tmp_path: Path):
    database = Database.open(str(tmp_path / "register.db"))
    app = create_app(database)
    seen = set()
    for method, path, route in _routes(app):
        key = (method, path)
        seen.add(key)
        assert key in ROUTE_PERMISSIONS, f"{method} {path} has no entry in chronicle.web.access.ROUTE_PERMISSIONS"
        assert _permissions_of(route) == {ROUTE_PERMISSIONS[key]}, f"{method} {path}: its dependencies disagree with the table"
    assert set(ROUTE_PERMISSIONS) <= seen, f"the table names routes that do not exist: {set(ROUTE_PERMISSIONS) - seen}"
    database.close()


@pytest.fixture
def register(database: Database, tmp_path: Path) -> Database:
    import_package(database, write_package(tmp_path / "package", small_register()))
    return database


def _url(path: str) -> str:
    values = {"person_id": "p1", "metric": "behind_bars", "code": "en", "case_id": "c1", "event_id": "e1",
              "organisation_id": "o1", "source_id": "s1", "merge_id": "1"}
    return re.sub(r"\{([a-z_]+)\}", lambda match: values.get(match.group(1), "x"), path)


def test_the_anonymous_public_is_refused_everything_but_the_public_routes(register: Database):
    app = create_app(register)
    client = TestClient(app, base_url="https://testserver")  # as through a TLS proxy: sign-in answers
    for method, path, _route in _routes(app):
        answer = client.request(method, _url(path), params={"as_of": "2021-08-01"}, follow_redirects=False)
        if ROUTE_PERMISSIONS[(method, path)] == PUBLIC:
            assert answer.status_code not in (401, 403), f"{method} {path}: {answer.status_code}"
        else:
            assert answer.status_code == 401, f"{method} {path} answered the public with {answer.status_code}"
        assert answer.status_code < 500, f"{method} {path}: {answer.status_code}"


@pytest.mark.parametrize("role", list(ROLE_PERMISSIONS))
def test_each_role_gets_what_its_permissions_allow_and_403_for_the_rest(register: Database, role: str):
    clock = Clock()
    client, accounts = web(register, clock)
    staff = Staff(client, accounts, clock, f"{role}-walker", role).sign_in()
    allowed = ROLE_PERMISSIONS[role]
    refused: set[str] = set()
    for method, path, _route in _routes(client.app):
        if not staff.signed_in():  # the sign-out routes end the session
            staff.sign_in()
        headers = {} if method in SAFE_METHODS else {"x-csrf-token": staff.csrf}
        answer = client.request(method, _url(path), params={"as_of": "2021-08-01"}, headers=headers, follow_redirects=False)
        needed = ROUTE_PERMISSIONS[(method, path)]
        if needed == PUBLIC or needed in allowed:
            assert answer.status_code not in (401, 403), f"{role}: {method} {path}: {answer.status_code} {answer.text[:300]}"
        else:
            refused.add(needed)
            assert answer.status_code == 403, f"{role} lacks {needed}: {method} {path} answered {answer.status_code}"
            assert f"your role ({role}) may not do this" in answer.text, f"{method} {path}"
        assert answer.status_code < 500, f"{role}: {method} {path}: {answer.status_code}"
    # Each permission the role lacks and some route needs was refused somewhere.
    assert refused == set(ROUTE_PERMISSIONS.values()) - allowed - {PUBLIC}


def test_the_local_operator_may_open_every_route(register: Database):
    app = create_app(register, WebSettings(local_operator=True))
    client = TestClient(app)
    for method, path, _route in _routes(app):
        if method != "GET":
            continue
        answer = client.request(method, _url(path), params={"as_of": "2021-08-01"}, follow_redirects=False)
        assert answer.status_code not in (401, 403), f"{method} {path}: {answer.status_code}"
        assert answer.status_code < 500, f"{method} {path}: {answer.status_code}"
