"""The public answers kept in memory: given again until the register changes, never for a signed-in caller."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from packages import small_register, write_package

from chronicle.database import Database
from chronicle.importer import import_package
from chronicle.register import Register
from chronicle.web.app import WebSettings, create_app
from chronicle.web.public_cache import MARK, PublicCache

PUBLIC_ANSWERS = ("/", "/public/prisoners", "/public/prisoners?q=Tsikhanouski", "/public/prisoners/p2", "/api/v1/persons")


@pytest.fixture
def register(database: Database, tmp_path: Path) -> Database:
    import_package(database, write_package(tmp_path / "package", small_register()))
    return database


def rename(database: Database, name: str) -> None:
    register = Register(database)
    current = register.get("persons", "p2")
    cells = {"person_id": "p2", "name": name, "birth_date": "1982", "gender": "f", "categories": "musician", "region": "Minsk", "public": "true"}
    register.record("persons", cells, based_on=current["row_id"])


def settled(client: TestClient, path: str):
    """The answer once the cache knows the register's version (it reads it in the background on the first request)."""
    cache: PublicCache = client.app.state.public_cache
    client.get(path)
    deadline = time.monotonic() + 10
    while cache._tables is None and time.monotonic() < deadline:
        time.sleep(0.01)
    return client.get(path)


def test_a_public_answer_is_kept_and_given_again_with_the_security_headers(register: Database):
    client = TestClient(create_app(register))
    cache: PublicCache = client.app.state.public_cache
    for path in PUBLIC_ANSWERS:
        first = settled(client, path)
        kept = len(cache)
        again = client.get(path)
        assert again.status_code == 200 and again.content == first.content, path
        assert len(cache) == kept, path  # the second answer came from the cache
        assert "content-security-policy" in again.headers and again.headers["content-language"] == "en"
        assert again.headers.get_list("content-language") == ["en"]  # the middleware's headers are not doubled on a kept answer
        assert MARK.decode() not in again.headers and MARK.decode() not in first.headers
    assert len(cache) == len(PUBLIC_ANSWERS)


def test_each_language_has_its_own_answer(register: Database):
    client = TestClient(create_app(register))
    english = settled(client, "/public/prisoners")
    russian = client.get("/public/prisoners", headers={"accept-language": "ru"})
    assert russian.headers["content-language"] == "ru" and russian.content != english.content
    assert client.get("/public/prisoners").content == english.content


def test_a_write_through_the_server_shows_at_once(register: Database):
    client = TestClient(create_app(register))
    before = settled(client, "/public/prisoners/p2").text
    rename(register, "Maryia Kalesnikava (renamed)")
    after = client.get("/public/prisoners/p2").text
    assert "renamed" not in before and "Maryia Kalesnikava (renamed)" in after
    assert "renamed" in client.get("/public/prisoners").text and "renamed" in client.get("/api/v1/persons").text


def test_a_write_by_another_process_shows_once_the_version_is_read_again(register: Database, database_location: str):
    client = TestClient(create_app(register))
    cache = PublicCache(register, max_age=0.0)  # read the tables' version on every request
    client.app.state.public_cache = cache
    settled(client, "/public/prisoners/p2")
    other = Database.open(database_location)  # another process's connection: this server's write counter does not see it
    try:
        rename(other, "Maryia Kalesnikava (from elsewhere)")
    finally:
        other.close()
    deadline = time.monotonic() + 10
    text = client.get("/public/prisoners/p2").text
    while "from elsewhere" not in text and time.monotonic() < deadline:
        time.sleep(0.05)
        text = client.get("/public/prisoners/p2").text
    assert "from elsewhere" in text


def test_nothing_is_kept_for_a_signed_in_caller_or_a_local_operator(register: Database):
    operator = TestClient(create_app(register, WebSettings(local_operator=True)))
    for path in PUBLIC_ANSWERS:
        operator.get(path)
        answer = operator.get(path)
        assert answer.status_code == 200 and MARK.decode() not in answer.headers
        assert answer.headers["cache-control"] == "no-store"
    assert len(operator.app.state.public_cache) == 0
    public = TestClient(create_app(register))
    settled(public, "/api/v1/persons")
    kept = len(public.app.state.public_cache)
    with_token = public.get("/api/v1/persons", headers={"authorization": "Bearer something"})
    assert with_token.status_code == 401 and len(public.app.state.public_cache) == kept  # a wrong token is refused, and the cache neither read nor added to


def test_errors_and_staff_pages_are_not_kept(register: Database):
    client = TestClient(create_app(register))
    settled(client, "/public/prisoners")
    cache: PublicCache = client.app.state.public_cache
    kept = len(cache)
    assert client.get("/public/prisoners/p-nobody").status_code == 404
    assert client.get("/persons").status_code == 401
    assert client.get("/public/prisoners", params={"page": 0}).status_code == 422
    assert len(cache) == kept


def test_the_cache_is_bounded_by_count_and_size(register: Database):
    client = TestClient(create_app(register))
    client.app.state.public_cache = PublicCache(register, max_age=60.0, entries=3)
    settled(client, "/public/prisoners")
    for number in range(1, 8):
        client.get("/public/prisoners", params={"q": f"name {number}"})
    assert len(client.app.state.public_cache) == 3


def test_requests_for_an_answer_being_made_wait_for_it_rather_than_make_it_again(register: Database):
    import asyncio

    app = create_app(register)
    made = []
    route_app = app.router

    async def slow_router(scope, receive, send):  # counts what reaches the routes, and is slow enough to overlap
        made.append(scope["path"])
        await asyncio.sleep(0.2)
        await route_app(scope, receive, send)

    client = TestClient(app)
    settled(client, "/public/prisoners")
    app.router = slow_router  # FastAPI's middleware stack calls app.router
    app.middleware_stack = app.build_middleware_stack()

    async def burst():
        scope = {
            "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET", "scheme": "http",
            "path": "/public/prisoners", "raw_path": b"/public/prisoners", "query_string": b"q=Kalesnikava", "root_path": "",
            "headers": [(b"host", b"testserver")], "client": ("127.0.0.1", 5000), "server": ("testserver", 80), "app": app,
        }
        answers = []

        async def one():
            messages = []

            async def receive():
                return {"type": "http.request", "body": b"", "more_body": False}

            async def send(message):
                messages.append(message)

            await app(dict(scope), receive, send)
            answers.append(messages)

        await asyncio.gather(*(one() for _ in range(8)))
        return answers

    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(1) as thread:  # a loop of its own, whatever another test left running in this thread
        answers = thread.submit(asyncio.run, burst()).result()
    assert made == ["/public/prisoners"]  # made once, given eight times
    bodies = {b"".join(m.get("body", b"") for m in messages if m["type"] == "http.response.body") for messages in answers}
    assert len(bodies) == 1 and b"Kalesnikava" in bodies.pop()
    assert all(messages[0]["status"] == 200 for messages in answers)
