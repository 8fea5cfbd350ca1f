"""schemathesis against the app's own OpenAPI schema: no generated request gets a server error.

The app is tested both ways it is served until accounts exist: for the
anonymous public (only the public site and API answer; the rest is 401) and
for the local operator (everything answers, writes included). Every
operation in /openapi.json gets a bounded number of generated requests on a
small SQLite register with every kind of record; a 5xx answer, or an
exception escaping the app, fails with the request that caused it.

Only the fuzzing phase runs, to keep this well under a minute on two cores;
for a deeper search, raise EXAMPLES and enable the coverage phase (boundary
values), which the same test runs unchanged.
"""

from __future__ import annotations

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from packages import small_register, write_package
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from sqlalchemy import create_engine

from chronicle.database import Database
from chronicle.importer import import_package
from chronicle.web.app import WebSettings, create_app

EXAMPLES = 10  # generated requests per operation


def openapi_document() -> dict:
    """The app's /openapi.json. It depends on the routes only, not on the register, so an unopened database serves."""
    database = Database(create_engine("sqlite://"))
    try:
        with TestClient(create_app(database)) as client:
            answer = client.get("/openapi.json")
            answer.raise_for_status()
            return answer.json()
    finally:
        database.engine.dispose()


CONFIG = SchemathesisConfig.from_dict({"phases": {"coverage": {"enabled": False}}})
SCHEMA = schemathesis.openapi.from_dict(openapi_document(), config=CONFIG)
BOUNDS = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None)


@pytest.fixture(scope="module")
def register(tmp_path_factory) -> Database:
    folder = tmp_path_factory.mktemp("schema")
    database = Database.open(str(folder / "register.db"))
    import_package(database, write_package(folder / "package", small_register()))
    yield database
    database.close()


@pytest.fixture(scope="module")
def public_app(register: Database):
    return create_app(register)


@pytest.fixture(scope="module")
def operator_app(register: Database):
    return create_app(register, WebSettings(local_operator=True))


@SCHEMA.parametrize()
@BOUNDS
def test_no_generated_request_gets_a_server_error(case, public_app, operator_app):
    for caller, app in (("the anonymous public", public_app), ("the local operator", operator_app)):
        try:
            case.call_and_validate(app=app, checks=[not_a_server_error])
        except Exception as error:
            error.add_note(f"(the request came from {caller})")
            raise
