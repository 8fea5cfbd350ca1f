"""Every route of the web app is in the permission table, and answers the anonymous public accordingly."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from packages import small_register, write_package

from chronicle.database import Database
from chronicle.importer import import_package
from chronicle.web.access import PUBLIC, ROUTE_PERMISSIONS, public
from chronicle.web.app import WebSettings, create_app


def _api_routes(routes) -> list[APIRoute]:
    """The API routes, inside included routers too (FastAPI includes routers lazily; no prefixes are used)."""
    found = []
    for route in routes:
        if isinstance(route, APIRoute):
            found.append(route)
        elif hasattr(route, "original_router"):
            found.extend(_api_routes(route.original_router.routes))
    return found


def _routes(app) -> list[tuple[str, str, APIRoute]]:
    return [(method, route.path, route) for route in _api_routes(app.routes) for method in sorted(route.methods)]


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
    client = TestClient(app)
    for method, path, _route in _routes(app):
        answer = client.request(method, _url(path), params={"as_of": "2021-08-01"}, follow_redirects=False)
        if ROUTE_PERMISSIONS[(method, path)] == PUBLIC:
            assert answer.status_code not in (401, 403), f"{method} {path}: {answer.status_code}"
        else:
            assert answer.status_code == 401, f"{method} {path} answered the public with {answer.status_code}"
        assert answer.status_code < 500, f"{method} {path}: {answer.status_code}"


def test_the_local_operator_may_open_every_route(register: Database):
    app = create_app(register, WebSettings(local_operator=True))
    client = TestClient(app)
    for method, path, _route in _routes(app):
        if method != "GET":
            continue
        answer = client.request(method, _url(path), params={"as_of": "2021-08-01"}, follow_redirects=False)
        assert answer.status_code not in (401, 403), f"{method} {path}: {answer.status_code}"
        assert answer.status_code < 500, f"{method} {path}: {answer.status_code}"
