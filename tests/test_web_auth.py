"""Signing in to the web app: the forms, two-factor sign-in, the session cookie, CSRF, rate limits, roles; on both databases.

The app's accounts get an injected clock (moved by the tests, never waited
for) and quick Argon2id parameters. Requests come over https://testserver,
as through a TLS proxy; plain http is tried from a loopback and from another
address.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from packages import small_register, write_package
from test_accounts import CHEAP, PASSWORD, Clock, totp_now
from test_web_editing import rows

from chronicle.accounts import Accounts
from chronicle.database import Database
from chronicle.importer import import_package
from chronicle.web.access import csrf_token
from chronicle.web.app import SAFE_METHODS, WebSettings, create_app

TEMPLATES = Path(__file__).resolve().parent.parent / "chronicle" / "web" / "templates"
REFUSAL = "The username, password or code is not right."


@pytest.fixture
def register(database: Database, tmp_path: Path) -> Database:
    import_package(database, write_package(tmp_path / "package", small_register()))
    return database


@pytest.fixture
def clock() -> Clock:
    return Clock()


def web(database: Database, clock: Clock, *, base_url: str = "https://testserver", client: tuple[str, int] = ("testclient", 50000),
        **settings) -> tuple[TestClient, Accounts]:
    """A client of the app whose accounts run on `clock`."""
    app = create_app(database, WebSettings(**settings))
    accounts = Accounts(database, clock=clock, hasher=CHEAP)
    app.state.accounts = accounts
    return TestClient(app, base_url=base_url, client=client), accounts


def api_routes(routes) -> list[APIRoute]:
    """The API routes, inside included routers too (FastAPI includes routers lazily; no prefixes are used)."""
    found = []
    for route in routes:
        if isinstance(route, APIRoute):
            found.append(route)
        elif hasattr(route, "original_router"):
            found.extend(api_routes(route.original_router.routes))
    return found


def form_token(text: str) -> str:
    found = re.search(r'name="csrf_token" value="([0-9a-f]*)"', text)
    assert found, "the page has no CSRF field"
    return found.group(1)


class Staff:
    """A browser of one user: signs in through the forms, setting up two-factor sign-in the first time."""

    def __init__(self, client: TestClient, accounts: Accounts, clock: Clock, username: str, role: str):
        self.client, self.accounts, self.clock, self.username = client, accounts, clock, username
        accounts.add_user(username, PASSWORD, role=role)
        self.secret: str | None = None
        self.recovery: list[str] = []

    @property
    def token(self) -> str | None:
        return next((cookie.value for cookie in self.client.cookies.jar if cookie.name.endswith("chronicle-session")), None)

    @property
    def csrf(self) -> str:
        return csrf_token(self.token)

    def sign_in(self) -> Staff:
        form = self.client.get("/sign-in")
        answer = self.client.post("/sign-in", data={"csrf_token": form_token(form.text), "username": self.username, "password": PASSWORD},
                                  follow_redirects=False)
        assert answer.status_code == 303, answer.text
        step = answer.headers["location"]
        if step.startswith("/account/2fa"):
            page = self.client.get(step)
            self.secret = re.search(r"secret=([A-Z2-7]+)", page.text).group(1)
            done = self.client.post("/account/2fa", data={"csrf_token": form_token(page.text), "code": totp_now(self.secret, self.clock)})
            assert done.status_code == 200 and "recovery codes" in done.text, done.text
            self.recovery = re.findall(r"<li><code>([a-z2-7-]{19})</code></li>", done.text)
        elif step.startswith("/sign-in/code"):
            page = self.client.get(step)
            done = self.client.post("/sign-in/code", data={"csrf_token": form_token(page.text), "code": totp_now(self.secret, self.clock)},
                                    follow_redirects=False)
            assert done.status_code == 303, done.text
        self.clock.advance(seconds=30)  # a new time step for the next code
        return self

    def signed_in(self) -> bool:
        return self.accounts.session(self.token) is not None


def test_an_admin_signs_in_the_first_time_by_setting_up_two_factor_then_with_a_code(register: Database, clock: Clock):
    client, accounts = web(register, clock)
    accounts.add_user("admin1", PASSWORD, role="admin", display_name="First Admin")
    assert client.get("/dashboard").status_code == 401
    form = client.get("/sign-in?next=/persons")
    assert form.status_code == 200 and 'name="password"' in form.text and 'autocomplete="current-password"' in form.text
    answer = client.post("/sign-in", data={"username": "admin1", "password": PASSWORD, "next": "/persons"}, follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"] == "/account/2fa?next=%2Fpersons"
    assert client.get("/dashboard").status_code == 401  # the password alone opens nothing
    setup = client.get(answer.headers["location"])
    secret = re.search(r"otpauth://totp/Chronicle:admin1\?secret=([A-Z2-7]{32})&amp;issuer=Chronicle", setup.text).group(1)
    assert " ".join(secret[index : index + 4] for index in range(0, 32, 4)) in setup.text  # the key, to type in
    assert setup.headers["cache-control"] == "no-store"
    done = client.post("/account/2fa", data={"csrf_token": form_token(setup.text), "code": totp_now(secret, clock), "next": "/persons"})
    codes = re.findall(r"<li><code>([a-z2-7]{4}-[a-z2-7]{4}-[a-z2-7]{4}-[a-z2-7]{4})</code></li>", done.text)
    assert done.status_code == 200 and len(codes) == 10 and 'href="/persons"' in done.text
    persons = client.get("/persons")
    assert persons.status_code == 200 and "admin1" in persons.text and 'action="/sign-out"' in persons.text
    assert client.get("/account").status_code == 200
    # Signing out ends the session; the next sign-in asks for a code.
    signed_out = client.post("/sign-out", data={"csrf_token": form_token(persons.text)}, follow_redirects=False)
    assert signed_out.status_code == 303 and client.get("/persons").status_code == 401
    assert accounts.sessions_of("admin1") == 0
    clock.advance(seconds=30)
    again = client.post("/sign-in", data={"username": "admin1", "password": PASSWORD}, follow_redirects=False)
    assert again.headers["location"] == "/sign-in/code"
    code_page = client.get("/sign-in/code")
    assert 'autocomplete="one-time-code"' in code_page.text
    done = client.post("/sign-in/code", data={"csrf_token": form_token(code_page.text), "code": totp_now(secret, clock)}, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == "/dashboard"
    assert client.get("/dashboard").status_code == 200


def test_every_refusal_says_the_same(register: Database, clock: Clock):
    client, accounts = web(register, clock)
    editor = Staff(client, accounts, clock, "editor1", "editor").sign_in()
    client.post("/sign-out", data={"csrf_token": editor.csrf})
    accounts.add_user("gone", PASSWORD, role="viewer")
    accounts.disable("gone")
    answers = [client.post("/sign-in", data=data) for data in (
        {"username": "editor1", "password": "not the password"},
        {"username": "nobody", "password": PASSWORD},
        {"username": "gone", "password": PASSWORD},
    )]

    def code_answer(code: str):
        form = client.get("/sign-in")  # a browser with a pending sign-in still has its cookie: the form carries its token
        pending = client.post("/sign-in", data={"csrf_token": form_token(form.text), "username": "editor1", "password": PASSWORD})
        return client.post("/sign-in/code", data={"csrf_token": form_token(pending.text), "code": code})

    used_code = totp_now(editor.secret, clock)
    assert code_answer(used_code).status_code == 200  # signs in
    client.post("/sign-out", data={"csrf_token": editor.csrf})
    wrong = "000000" if used_code != "000000" else "111111"
    answers += [code_answer(wrong), code_answer(used_code)]
    assert code_answer(editor.recovery[0]).status_code == 200
    client.post("/sign-out", data={"csrf_token": editor.csrf})
    answers.append(code_answer(editor.recovery[0]))
    for answer in answers:
        assert answer.status_code == 400, answer.text
        assert re.search(r'role="alert">([^<]*)<', answer.text).group(1) == REFUSAL


def test_an_admin_or_editor_cannot_skip_two_factor(register: Database, clock: Clock):
    client, accounts = web(register, clock)
    accounts.add_user("admin1", PASSWORD, role="admin")
    pending = client.post("/sign-in", data={"username": "admin1", "password": PASSWORD}, follow_redirects=False)
    assert pending.headers["location"] == "/account/2fa"
    token = csrf_token(next(cookie.value for cookie in client.cookies.jar))
    for path in ("/dashboard", "/persons", "/account", "/api/v1/cases"):
        assert client.get(path).status_code == 401, path
    assert client.post("/api/v1/cases", json={"name": "A case"}, headers={"x-csrf-token": token}).status_code == 401
    assert client.get("/sign-in/code", follow_redirects=False).status_code == 303  # not a pending sign-in that awaits a code
    refused = client.post("/sign-in/code", data={"csrf_token": token, "code": "123456"})
    assert refused.status_code == 400
    assert client.get("/dashboard").status_code == 401


def test_repeated_failures_lock_sign_in_and_the_lock_ends(register: Database, clock: Clock):
    client, accounts = web(register, clock)
    accounts.add_user("viewer1", PASSWORD, role="viewer")
    for _ in range(5):
        assert client.post("/sign-in", data={"username": "viewer1", "password": "a wrong password"}).status_code == 400
    locked = client.post("/sign-in", data={"username": "viewer1", "password": PASSWORD})
    assert locked.status_code == 429 and locked.headers["retry-after"] == "901"
    assert "Too many failed sign-ins: try again in 15 minutes." in locked.text
    assert client.get("/dashboard").status_code == 401
    clock.advance(minutes=15)
    assert client.post("/sign-in", data={"username": "viewer1", "password": PASSWORD}, follow_redirects=False).status_code == 303
    assert client.get("/dashboard").status_code == 200


def test_a_session_ends_after_eight_idle_hours(register: Database, clock: Clock):
    client, accounts = web(register, clock)
    Staff(client, accounts, clock, "viewer1", "viewer").sign_in()
    clock.advance(hours=7, minutes=50)
    assert client.get("/dashboard").status_code == 200
    clock.advance(hours=8)
    assert client.get("/dashboard").status_code == 401


def test_the_session_cookie_is_secure_http_only_strict_and_host_only(register: Database, clock: Clock):
    client, accounts = web(register, clock)
    accounts.add_user("viewer1", PASSWORD, role="viewer")
    answer = client.post("/sign-in", data={"username": "viewer1", "password": PASSWORD}, follow_redirects=False)
    cookie = answer.headers["set-cookie"]
    assert cookie.startswith("__Host-chronicle-session=")
    flags = {part.strip().split("=")[0].lower(): part.strip() for part in cookie.split(";")[1:]}
    assert {"secure", "httponly", "samesite", "path"} <= set(flags) and "domain" not in flags and "max-age" not in flags
    assert flags["samesite"].lower() == "samesite=strict" and flags["path"] == "Path=/"
    assert answer.headers["cache-control"] == "no-store"
    token = cookie.split(";")[0].split("=", 1)[1]
    assert len(token) >= 43 and token not in answer.text


def test_plain_http_signs_in_only_from_a_loopback_address(register: Database, clock: Clock):
    local, accounts = web(register, clock, base_url="http://127.0.0.1:8000", client=("127.0.0.1", 50000))
    accounts.add_user("viewer1", PASSWORD, role="viewer")
    answer = local.post("/sign-in", data={"username": "viewer1", "password": PASSWORD}, follow_redirects=False)
    cookie = answer.headers["set-cookie"]
    assert cookie.startswith("chronicle-session=") and "secure" not in cookie.lower() and "httponly" in cookie.lower()
    assert local.get("/dashboard").status_code == 200
    always, accounts = web(register, clock, base_url="http://127.0.0.1:8000", client=("127.0.0.1", 50000), secure_cookies=True)
    answer = always.post("/sign-in", data={"username": "viewer1", "password": PASSWORD}, follow_redirects=False)
    assert answer.headers["set-cookie"].startswith("__Host-chronicle-session=") and "secure" in answer.headers["set-cookie"].lower()
    remote, accounts = web(register, clock, base_url="http://register.example.org")
    form = remote.get("/sign-in")
    assert "needs an encrypted connection (HTTPS)" in form.text and 'name="password"' not in form.text
    refused = remote.post("/sign-in", data={"username": "viewer1", "password": PASSWORD}, follow_redirects=False)
    assert refused.status_code == 403 and "set-cookie" not in refused.headers
    # A session token sent over plain http from elsewhere is not honoured either.
    token = local.cookies.get("chronicle-session")
    remote.cookies.set("chronicle-session", token)
    assert remote.get("/dashboard").status_code == 401


def test_a_write_without_the_csrf_token_is_refused_and_writes_nothing(register: Database, clock: Clock):
    client, accounts = web(register, clock)
    editor = Staff(client, accounts, clock, "editor1", "editor").sign_in()
    before = rows(register)
    for answer in (
        client.post("/persons/new", data={"name": "Planted"}),
        client.post("/persons/new", data={"name": "Planted", "csrf_token": editor.csrf}),  # the token is the first field, or nothing
        client.post("/persons/new", data={"csrf_token": "0" * 64, "name": "Planted"}),
        client.post("/persons/new", data={"csrf_token": csrf_token("another session"), "name": "Planted"}),
        client.post("/api/v1/persons", json={"name": "Planted"}),
        client.post("/api/v1/persons", json={"name": "Planted"}, headers={"x-csrf-token": "wrong"}),
        client.post("/intake", data={"text": "x", "published": "2026-01-01"}, files={"file": ("a.txt", b"x")}),
    ):
        assert answer.status_code == 403, answer.text
        assert "refused" in answer.text
    assert rows(register) == before
    page = client.get("/persons/new")
    added = client.post("/persons/new", data={"csrf_token": form_token(page.text), "name": "Typed here"}, follow_redirects=False)
    assert added.status_code == 303
    api = client.post("/api/v1/persons", json={"name": "Sent by a script"}, headers={"x-csrf-token": editor.csrf})
    assert api.status_code in (200, 201), api.text
    assert rows(register)["persons"] == before["persons"] + 2


def test_every_write_route_refuses_a_signed_in_request_without_the_token(register: Database, clock: Clock):
    client, accounts = web(register, clock)
    admin = Staff(client, accounts, clock, "admin1", "admin").sign_in()
    before = rows(register)
    routes = [(method, route.path) for route in api_routes(client.app.routes) for method in route.methods]
    writes = [(method, path) for method, path in routes if method not in SAFE_METHODS]
    assert len(writes) > 40
    for method, path in writes:
        url = re.sub(r"\{[a-z_]+\}", "p1", path)
        answer = client.request(method, url, data={"name": "x", "based_on": "1"} if method == "POST" and not path.startswith("/api/") else None)
        assert answer.status_code == 403, f"{method} {path}: {answer.status_code}"
    assert rows(register) == before and admin.signed_in()


def test_a_multipart_form_carries_the_token_as_its_first_part(register: Database, clock: Clock):
    client, accounts = web(register, clock)
    editor = Staff(client, accounts, clock, "editor1", "editor").sign_in()
    page = client.get("/intake")
    assert 'enctype="multipart/form-data"' in page.text
    answer = client.post("/intake", data={"csrf_token": form_token(page.text), "text": "Ihar Barysevich was detained in Minsk on 3 March 2026.",
                                          "published": "2026-03-05", "title": "A report"},
                         files={"file": ("", b"", "application/octet-stream")})
    assert answer.status_code == 200, answer.text
    assert "Review the candidates" in answer.text and form_token(answer.text) == editor.csrf


def test_an_analyst_may_read_but_not_edit_and_a_viewer_sees_no_restricted_notes(register: Database, clock: Clock):
    client, accounts = web(register, clock)
    analyst = Staff(client, accounts, clock, "analyst1", "analyst").sign_in()
    assert client.get("/persons/p1").status_code == 200
    before = rows(register)
    assert client.get("/persons/new").status_code == 403
    refused = client.post("/persons/new", data={"csrf_token": analyst.csrf, "name": "Planted"})
    assert refused.status_code == 403 and "your role (analyst) may not do this" in refused.text
    assert client.post("/api/v1/cases", json={"name": "A case"}, headers={"x-csrf-token": analyst.csrf}).status_code == 403
    assert rows(register) == before
    client.post("/sign-out", data={"csrf_token": analyst.csrf})
    Staff(client, accounts, clock, "viewer1", "viewer").sign_in()
    for path in ("/persons/p1", "/api/v1/persons/p1", "/api/v1/persons/p1/history"):
        answer = client.get(path)
        assert answer.status_code == 200 and "wife" not in answer.text and "informant contact" not in answer.text, path
    assert client.get("/packages/export.zip").status_code == 403
    client.cookies.clear()
    Staff(client, accounts, clock, "editor1", "editor").sign_in()
    assert "wife&#39;s phone" in client.get("/persons/p1").text


def test_sign_out_everywhere_ends_every_session_of_the_account(register: Database, clock: Clock):
    first, accounts = web(register, clock)
    viewer = Staff(first, accounts, clock, "viewer1", "viewer").sign_in()
    second = TestClient(first.app, base_url="https://testserver")
    second.post("/sign-in", data={"username": "viewer1", "password": PASSWORD})
    assert second.get("/dashboard").status_code == 200 and accounts.sessions_of("viewer1") == 2
    page = first.get("/account")
    assert "2 sessions" in page.text and 'action="/account/sign-out-everywhere"' in page.text
    assert first.post("/account/sign-out-everywhere", data={"csrf_token": form_token(page.text)}, follow_redirects=False).status_code == 303
    assert first.get("/dashboard").status_code == 401 and second.get("/dashboard").status_code == 401
    assert not viewer.signed_in()


def test_a_new_role_or_password_signs_the_browser_out_and_a_new_editor_sets_up_two_factor(register: Database, clock: Clock):
    client, accounts = web(register, clock)
    accounts.add_user("admin1", PASSWORD, role="admin")
    viewer = Staff(client, accounts, clock, "viewer1", "viewer").sign_in()
    assert client.get("/dashboard").status_code == 200 and client.get("/persons/new").status_code == 403
    accounts.change_role("viewer1", "editor")
    assert client.get("/dashboard").status_code == 401 and not viewer.signed_in()
    viewer.sign_in()  # the password now leads to setting up two-factor sign-in first
    assert viewer.secret is not None and len(viewer.recovery) == 10
    assert client.get("/persons/new").status_code == 200
    accounts.set_password("viewer1", "a different long passphrase")
    assert client.get("/dashboard").status_code == 401
    refused = client.post("/sign-in", data={"csrf_token": form_token(client.get("/sign-in").text), "username": "viewer1",
                                            "password": PASSWORD}, follow_redirects=False)
    assert refused.status_code == 400 and REFUSAL in refused.text
    accounts.disable("viewer1")
    accounts.enable("viewer1")
    again = client.post("/sign-in", data={"csrf_token": form_token(client.get("/sign-in").text), "username": "viewer1",
                                          "password": "a different long passphrase"}, follow_redirects=False)
    assert again.status_code == 303 and again.headers["location"].startswith("/sign-in/code")


def test_sign_in_goes_back_only_to_a_page_of_this_site(register: Database, clock: Clock):
    client, accounts = web(register, clock)
    accounts.add_user("viewer1", PASSWORD, role="viewer")
    for target, expected in (("/persons?q=x", "/persons?q=x"), ("//elsewhere.example", "/dashboard"),
                             ("/\\elsewhere.example", "/dashboard"), ("https://elsewhere.example/", "/dashboard"),
                             ("/sign-out", "/dashboard"), ("/\tpersons", "/dashboard")):
        client.cookies.clear()
        answer = client.post("/sign-in", data={"username": "viewer1", "password": PASSWORD, "next": target}, follow_redirects=False)
        assert answer.headers["location"] == expected, target


def test_the_header_offers_sign_in_to_the_public_and_sign_out_to_staff(register: Database, clock: Clock):
    client, accounts = web(register, clock)
    public = client.get("/public/prisoners")
    assert 'href="/sign-in?next=/public/prisoners"' in public.text and 'action="/sign-out"' not in public.text
    assert "cache-control" not in public.headers  # public pages may be cached
    Staff(client, accounts, clock, "viewer1", "viewer").sign_in()
    staff = client.get("/public/prisoners")
    assert 'action="/sign-out"' in staff.text and '<a href="/account">viewer1</a>' in staff.text
    assert staff.headers["cache-control"] == "no-store"  # a signed-in page stays out of caches


def test_the_local_operator_needs_no_sign_in(register: Database, clock: Clock):
    client, accounts = web(register, clock, local_operator=True)
    assert client.get("/dashboard").status_code == 200
    page = client.get("/sign-in")
    assert "runs for its local operator" in page.text and 'name="password"' not in page.text
    assert client.get("/account").status_code == 200
    assert client.post("/persons/new", data={"name": "By the operator"}, follow_redirects=False).status_code == 303


def test_the_sign_in_page_says_how_to_create_the_first_account(register: Database, clock: Clock):
    client, accounts = web(register, clock)
    assert "chronicle user add NAME --role admin" in client.get("/sign-in").text
    accounts.add_user("viewer1", PASSWORD, role="viewer")
    assert "chronicle user add" not in client.get("/sign-in").text


def post_forms(template: str) -> list[str]:
    """What follows each `<form method="post" ...>` tag of a template, up to the next tag's end."""
    return re.findall(r"<form\b[^>]*method=\"post\"[^>]*>\s*(\S[^\n]*)", template, flags=re.IGNORECASE)


def test_every_post_form_of_the_templates_starts_with_the_csrf_field():
    checked = 0
    for path in sorted(TEMPLATES.rglob("*.html")):
        for following in post_forms(path.read_text(encoding="utf-8")):
            checked += 1
            assert following.startswith("{{ csrf_field() }}"), f"{path.relative_to(TEMPLATES)}: a post form must start with {{{{ csrf_field() }}}}"
    assert checked >= 14


def test_a_local_operator_server_answers_to_loopback_names_only(register: Database, clock: Clock):
    """A web page whose own name was pointed at 127.0.0.1 (DNS rebinding) gets nothing from the local operator's server."""
    from chronicle.web.settings import LOOPBACK_HOSTS

    before = rows(register)
    for base_url in ("http://127.0.0.1:8000", "http://localhost:8000", "http://[::1]:8000"):
        client, _ = web(register, clock, base_url=base_url, client=("127.0.0.1", 50000), local_operator=True, allowed_hosts=LOOPBACK_HOSTS)
        assert client.get("/persons/p1").status_code == 200, base_url
    rebound, _ = web(register, clock, base_url="http://rebound.example:8000", client=("127.0.0.1", 50000), local_operator=True,
                     allowed_hosts=LOOPBACK_HOSTS)
    answer = rebound.get("/persons/p1")
    assert answer.status_code == 421 and "Siarhei" not in answer.text
    assert rebound.post("/persons/new", data={"name": "Planted"}, headers={"sec-fetch-site": "same-origin"}).status_code == 421
    assert rows(register) == before


def _table(section: str) -> list[list[str]]:
    return [[cell.strip() for cell in line.strip().strip("|").split("|")] for line in section.splitlines()
            if line.startswith("|") and not line.startswith("|---")]


def _section(text: str, heading: str) -> str:
    return text.split(f"\n## {heading}\n", 1)[1].split("\n## ", 1)[0]


def test_the_roles_table_of_docs_accounts_is_role_permissions():
    from chronicle.web.access import ROLE_PERMISSIONS

    text = (TEMPLATES.parent.parent.parent / "docs" / "accounts.md").read_text(encoding="utf-8")
    header, *rows = _table(_section(text, "Roles"))
    roles = header[2:]
    assert roles == list(ROLE_PERMISSIONS)
    documented = {role: {row[0].strip("`") for row in rows if row[2 + index] == "yes"} for index, role in enumerate(roles)}
    assert documented == {role: set(permissions) for role, permissions in ROLE_PERMISSIONS.items()}
    assert {row[0].strip("`") for row in rows} == set().union(*ROLE_PERMISSIONS.values())
    assert all(cell in ("yes", "no") for row in rows for cell in row[2:])


def test_the_rate_limits_and_lifetimes_of_docs_accounts_are_the_policy():
    from chronicle.accounts import Policy

    policy = Policy()
    text = (TEMPLATES.parent.parent.parent / "docs" / "accounts.md").read_text(encoding="utf-8")
    _, *rows = _table(_section(text, "Rate limits"))
    assert [int(row[1]) for row in rows] == [policy.pair_failures, policy.address_failures, policy.username_failures]
    assert {row[2] for row in rows} == {f"{policy.lock_duration.seconds // 60} minutes"}
    assert policy.failure_window.seconds // 60 == 15
    sessions = _section(text, "Sessions")
    assert f"**{policy.session_idle.seconds // 3600} hours**" in sessions and f"**{policy.session_lifetime.days} days**" in sessions


def test_chronicle_serve_in_local_operator_mode_answers_to_loopback_names_only(database: Database, monkeypatch):
    import types

    import chronicle.web.server as server

    made = []
    monkeypatch.setattr(server, "create_app", lambda database, settings: made.append(settings) or object())
    monkeypatch.setattr(server.uvicorn, "Server", lambda config: types.SimpleNamespace(startup=None, run=lambda: None))
    server.serve(database, local_operator=True)
    server.serve(database, host="0.0.0.0")
    assert [(settings.local_operator, settings.allowed_hosts) for settings in made] == [
        (True, ("127.0.0.1", "localhost", "::1")), (False, None)]
