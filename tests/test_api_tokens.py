"""API tokens (chronicle/accounts.py, chronicle/web/access.py), on both databases.

A script sends `Authorization: Bearer <token>` to /api/v1/... and acts as the
token's user, with that user's role at the time; a bad token gets 401 (JSON),
never the anonymous public's answer; HTML pages ignore the header. Tokens are
stored hashed, expire, are revoked, die with their user's disabling, and
failed attempts are audited and locked per address. Time is an injected
clock that the tests move.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from fastapi.testclient import TestClient
from packages import small_register, write_package
from sqlalchemy import inspect, select
from test_accounts import ADDRESS, CHEAP, PASSWORD, Clock, run
from test_web_access import _routes, _url
from test_web_editing import rows

from chronicle import audit
from chronicle.accounts import TOKEN_PREFIX, TOKEN_REFUSED, AccountError, Accounts, Policy
from chronicle.database import Database, _alembic_config
from chronicle.errors import NotFoundError
from chronicle.importer import import_package
from chronicle.schema import api_tokens, metadata
from chronicle.web.access import PUBLIC, ROLE_PERMISSIONS, ROUTE_PERMISSIONS
from chronicle.web.app import WebSettings, create_app


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def accounts(database: Database, clock: Clock) -> Accounts:
    return Accounts(database, clock=clock, hasher=CHEAP)


@pytest.fixture
def register(database: Database, tmp_path: Path) -> Database:
    import_package(database, write_package(tmp_path / "package", small_register()))
    return database


def web(database: Database, clock: Clock, *, base_url: str = "https://testserver", client: tuple[str, int] = ("testclient", 50000),
        **settings) -> tuple[TestClient, Accounts]:
    app = create_app(database, WebSettings(**settings))
    accounts = Accounts(database, clock=clock, hasher=CHEAP)
    app.state.accounts = accounts
    return TestClient(app, base_url=base_url, client=client), accounts


def bearer(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


def user_with_token(accounts: Accounts, username: str, role: str, **options) -> str:
    accounts.add_user(username, PASSWORD, role=role)
    return accounts.add_token(username, **options).token


# The library


def test_a_token_is_random_shown_once_and_stored_only_as_its_hash(database: Database, accounts: Accounts):
    accounts.add_user("bot", PASSWORD, role="viewer")
    made = [accounts.add_token("bot", label=f"script {number}") for number in range(3)]
    tokens = [new.token for new in made]
    assert len(set(tokens)) == 3
    assert all(token.startswith(TOKEN_PREFIX) and len(token) == len(TOKEN_PREFIX) + 43 for token in tokens)  # 32 bytes, base64url
    with database.reading() as connection:
        stored = "\n".join(str(value) for row in connection.execute(select(api_tokens)) for value in row)
        hashes = connection.execute(select(api_tokens.c.token_hash).order_by(api_tokens.c.token_id)).scalars().all()
    assert not any(token in stored or token[len(TOKEN_PREFIX):] in stored for token in tokens)
    import hashlib

    assert hashes == [hashlib.sha256(token.encode()).hexdigest() for token in tokens]
    listed = accounts.tokens("bot")
    assert [(token.token_id, token.label, token.state(accounts.clock())) for token in listed] == [
        (made[0].info.token_id, "script 0", "active"), (made[1].info.token_id, "script 1", "active"),
        (made[2].info.token_id, "script 2", "active")]
    assert not any(token in json.dumps([item.to_json(accounts.clock()) for item in listed]) for token in tokens)


def test_a_token_gives_its_users_current_role_and_is_refused_once_revoked_or_expired(accounts: Accounts, clock: Clock):
    lasting = user_with_token(accounts, "bot", "viewer")
    brief = accounts.add_token("bot", expires_days=2).token
    assert accounts.check_token(lasting, ADDRESS).user.role == "viewer"
    accounts.change_role("bot", "editor")
    assert accounts.check_token(lasting, ADDRESS).user.role == "editor"  # the role now, not when the token was made
    clock.advance(days=2, seconds=-1)
    assert accounts.check_token(brief, ADDRESS).ok
    clock.advance(seconds=1)
    expired = accounts.check_token(brief, ADDRESS)
    assert expired.outcome == "refused" and expired.message == TOKEN_REFUSED and expired.user is None
    assert [token.state(clock()) for token in accounts.tokens("bot")] == ["active", "expired"]
    first = accounts.tokens("bot")[0]
    assert first.last_used_at is not None
    revoked = accounts.revoke_token(first.token_id)
    assert revoked.state(clock()) == "revoked" and revoked.revoked_at == clock()
    assert accounts.check_token(lasting, ADDRESS).outcome == "refused"
    assert accounts.revoke_token(first.token_id).revoked_at == revoked.revoked_at  # revoking again changes nothing
    with pytest.raises(NotFoundError, match="there is no API token 999"):
        accounts.revoke_token(999)
    assert accounts.check_token(TOKEN_PREFIX + "x" * 43, ADDRESS).outcome == "refused"
    assert accounts.check_token("", ADDRESS).outcome == "refused"


def test_disabling_a_user_revokes_its_tokens_and_enabling_does_not_bring_them_back(accounts: Accounts):
    token = user_with_token(accounts, "bot", "editor")
    accounts.add_user("admin1", PASSWORD, role="admin")
    assert accounts.check_token(token, ADDRESS).ok
    accounts.disable("bot")
    assert accounts.check_token(token, ADDRESS).outcome == "refused"
    assert [item.state(accounts.clock()) for item in accounts.tokens("bot")] == ["revoked"]
    with pytest.raises(AccountError, match="bot is disabled: enable it first"):
        accounts.add_token("bot")
    accounts.enable("bot")
    assert accounts.check_token(token, ADDRESS).outcome == "refused"
    assert accounts.check_token(accounts.add_token("bot").token, ADDRESS).ok


def test_bad_labels_and_lifetimes_are_refused(accounts: Accounts):
    accounts.add_user("bot", PASSWORD, role="viewer")
    for days in (0, -1, 3651):
        with pytest.raises(AccountError, match="--expires"):
            accounts.add_token("bot", expires_days=days)
    with pytest.raises(AccountError, match="control characters"):
        accounts.add_token("bot", label="a\x1b[31mred")
    with pytest.raises(AccountError, match="too long"):
        accounts.add_token("bot", label="x" * 201)
    with pytest.raises(NotFoundError, match="there is no user 'nobody'"):
        accounts.add_token("nobody")
    assert accounts.tokens() == []


def test_refused_tokens_are_audited_and_lock_the_address_for_a_while(database: Database, accounts: Accounts, clock: Clock):
    token = user_with_token(accounts, "bot", "viewer")
    revoked = accounts.add_token("bot")
    accounts.revoke_token(revoked.info.token_id)
    policy = Policy()
    assert accounts.check_token(revoked.token, ADDRESS).outcome == "refused"
    for _ in range(policy.token_failures - 1):
        assert accounts.check_token("chronicle_guessed", ADDRESS).outcome == "refused"
    locked = accounts.check_token(token, ADDRESS)  # even the right token, unchecked
    assert locked.outcome == "locked" and locked.retry_after == policy.lock_duration and "try again in 15 minutes" in locked.message
    assert accounts.check_token(token, "198.51.100.7").ok  # another address is not locked
    refusals = [entry for entry in audit.entries(database) if entry.action == "sign_in_failed"]
    assert len(refusals) == policy.token_failures  # none for the attempt under the lock
    assert (refusals[0].actor, refusals[0].record_key) == ("bot", "bot")
    assert '"reason":"revoked"' in refusals[0].details and f'"token_id":{revoked.info.token_id}' in refusals[0].details
    assert (refusals[1].actor, refusals[1].record_key) == ("anonymous", None) and '"reason":"unknown"' in refusals[1].details
    everything = "\n".join(str(value) for entry in audit.entries(database) for value in entry.__dict__.values())
    assert token not in everything and revoked.token not in everything and "guessed" not in everything and ADDRESS not in everything
    clock.advance(minutes=15)
    assert accounts.check_token(token, ADDRESS).ok
    assert audit.verify(database).intact


def test_making_and_revoking_tokens_are_in_the_audit_log(database: Database, accounts: Accounts):
    accounts.add_user("bot", PASSWORD, role="viewer")
    made = accounts.add_token("bot", label="secret label", expires_days=7)
    accounts.revoke_token(made.info.token_id)
    logged = [(entry.action, entry.record_key, json.loads(entry.details)) for entry in audit.entries(database, resource="users")][1:]
    assert logged == [
        ("user_change", "bot", {"changed": "api_token", "token": "added", "token_id": made.info.token_id,
                                "expires_at": made.info.to_json(accounts.clock())["expires_at"]}),
        ("user_change", "bot", {"changed": "api_token", "token": "revoked", "token_id": made.info.token_id}),
    ]


def test_the_token_table_matches_the_schema_and_migration_0008_goes_down_and_up(database: Database):
    with database.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = [d for d in compare_metadata(context, metadata) if "api_tokens" in repr(d)]
    assert differences == []
    assert database.revision_now() == "0008"
    with database.engine.begin() as connection:
        command.downgrade(_alembic_config(connection), "0007")
    assert "api_tokens" not in set(inspect(database.engine).get_table_names())
    with database.engine.begin() as connection:
        command.upgrade(_alembic_config(connection), "0008")
    assert "api_tokens" in set(inspect(database.engine).get_table_names())


# The web app


def test_a_viewer_token_reads_the_internal_api_but_cannot_write_and_an_editor_token_can(register: Database, clock: Clock):
    client, accounts = web(register, clock)
    viewer = user_with_token(accounts, "reader-bot", "viewer")
    editor = user_with_token(accounts, "writer-bot", "editor")
    anonymous = client.get("/api/v1/persons").json()
    internal = client.get("/api/v1/persons", headers=bearer(viewer))
    assert internal.status_code == 200 and internal.json()["total"] > anonymous["total"]  # the internal register: every person
    assert internal.headers["cache-control"] == "no-store"
    assert client.get("/api/v1/events", headers=bearer(viewer)).status_code == 200
    before = rows(register)
    refused = client.post("/api/v1/persons", json={"name": "Planted by a viewer"}, headers=bearer(viewer))
    assert refused.status_code == 403 and refused.json() == {"ok": False, "title": "Not allowed", "error": "your role (viewer) may not do this"}
    assert rows(register) == before
    written = client.post("/api/v1/persons", json={"name": "Added by a script"}, headers=bearer(editor))  # no cookie, no CSRF token
    assert written.status_code < 300, written.text
    assert rows(register)["persons"] == before["persons"] + 1
    assert [entry.actor for entry in audit.entries(register) if entry.action == "record"][-1] == "writer-bot"
    listed = client.get("/api/v1/persons", params={"q": "Added by a script"}, headers=bearer(viewer)).json()
    assert "Added by a script" in json.dumps(listed, ensure_ascii=False)
    assert not client.cookies  # no session was made


def test_a_bad_token_gets_401_json_never_the_public_answer(register: Database, clock: Clock):
    client, accounts = web(register, clock)
    token = user_with_token(accounts, "bot", "viewer")
    expiring = accounts.add_token("bot", expires_days=1).token
    accounts.add_user("admin1", PASSWORD, role="admin")
    clock.advance(days=1)
    revoked = accounts.add_token("bot")
    accounts.revoke_token(revoked.info.token_id)
    for headers in (bearer("chronicle_not-a-token"), bearer(expiring), bearer(revoked.token), {"authorization": "Bearer"},
                    {"authorization": f"Basic {token}"}, {"authorization": token}, {"authorization": ""}):
        for path in ("/api/v1/persons", "/api/v1/figures", "/api/v1/events"):  # public routes too: no fallback to anonymous
            answer = client.get(path, params={"as_of": "2021-08-01"}, headers=headers)
            assert answer.status_code == 401, (headers, path, answer.status_code)
            assert answer.headers["content-type"] == "application/json" and answer.json()["ok"] is False, headers
            assert answer.headers["www-authenticate"].startswith("Bearer"), headers
            assert "Traceback" not in answer.text
    assert client.get("/api/v1/persons", headers=bearer(expiring)).json()["error"] == TOKEN_REFUSED
    accounts.disable("bot")
    assert client.get("/api/v1/persons", headers=bearer(token)).status_code == 401


def test_html_pages_ignore_tokens(register: Database, clock: Clock):
    client, accounts = web(register, clock)
    token = user_with_token(accounts, "admin-bot", "admin")
    assert client.get("/api/v1/events", headers=bearer(token)).status_code == 200
    for path in ("/dashboard", "/persons", "/account"):
        answer = client.get(path, headers=bearer(token), follow_redirects=False)
        assert answer.status_code == 401 and "text/html" in answer.headers["content-type"], path
    before = rows(register)
    assert client.post("/persons/new", data={"name": "Planted"}, headers=bearer(token), follow_redirects=False).status_code == 401
    assert rows(register) == before
    public = client.get("/", headers=bearer("chronicle_wrong"))  # a public page: the header is no error there either
    assert public.status_code == 200 and "admin-bot" not in public.text


def test_the_role_change_of_a_token_user_applies_from_the_next_request(register: Database, clock: Clock):
    client, accounts = web(register, clock)
    token = user_with_token(accounts, "bot", "editor")
    accounts.add_user("admin1", PASSWORD, role="admin")
    assert client.post("/api/v1/cases", json={"name": "A case"}, headers=bearer(token)).status_code < 300
    accounts.change_role("bot", "analyst")
    answer = client.post("/api/v1/cases", json={"name": "Another case"}, headers=bearer(token))
    assert answer.status_code == 403 and "your role (analyst) may not do this" in answer.text


def test_tokens_go_over_https_or_from_this_machine_only(register: Database, clock: Clock):
    plain, accounts = web(register, clock, base_url="http://testserver", client=("192.0.2.50", 50000))
    token = user_with_token(accounts, "bot", "viewer")
    answer = plain.get("/api/v1/events", headers=bearer(token))
    assert answer.status_code == 401 and "HTTPS only" in answer.json()["error"]
    local, _ = web(register, clock, base_url="http://testserver", client=("127.0.0.1", 50000))
    assert local.get("/api/v1/events", headers=bearer(token)).status_code == 200


def test_too_many_bad_tokens_from_one_address_get_429_with_retry_after(register: Database, clock: Clock):
    client, accounts = web(register, clock)
    token = user_with_token(accounts, "bot", "viewer")
    for _ in range(Policy().token_failures):
        assert client.get("/api/v1/events", headers=bearer("chronicle_guess")).status_code == 401
    locked = client.get("/api/v1/events", headers=bearer(token))
    assert locked.status_code == 429 and locked.headers["retry-after"] == "900" and "too many refused API tokens" in locked.json()["error"]
    other, _ = web(register, clock, client=("198.51.100.9", 50000))
    assert other.get("/api/v1/events", headers=bearer(token)).status_code == 200
    clock.advance(minutes=15)
    assert client.get("/api/v1/events", headers=bearer(token)).status_code == 200


def test_a_token_write_sent_from_another_site_is_refused(register: Database, clock: Clock):
    client, accounts = web(register, clock)
    token = user_with_token(accounts, "bot", "editor")
    before = rows(register)
    for headers in ({"sec-fetch-site": "cross-site"}, {"origin": "https://elsewhere.example"}):
        answer = client.post("/api/v1/persons", json={"name": "Planted"}, headers={**bearer(token), **headers})
        assert answer.status_code == 403, headers
    assert rows(register) == before
    own = client.post("/api/v1/persons", json={"name": "From a script"}, headers={**bearer(token), "sec-fetch-site": "none"})
    assert own.status_code < 300


@pytest.mark.parametrize("role", list(ROLE_PERMISSIONS))
def test_every_api_route_answers_a_token_as_its_role_permissions_allow(register: Database, clock: Clock, role: str):
    client, accounts = web(register, clock)
    token = user_with_token(accounts, f"{role}-bot", role)
    allowed = ROLE_PERMISSIONS[role]
    walked = 0
    for method, path, _route in _routes(client.app):
        if not path.startswith("/api/v1/"):
            continue
        walked += 1
        answer = client.request(method, _url(path), params={"as_of": "2021-08-01"}, headers=bearer(token), follow_redirects=False)
        needed = ROUTE_PERMISSIONS[(method, path)]
        if needed == PUBLIC or needed in allowed:
            assert answer.status_code not in (401, 403, 429), f"{role}: {method} {path}: {answer.status_code} {answer.text[:300]}"
        else:
            assert answer.status_code == 403 and f"your role ({role}) may not do this" in answer.text, f"{role}: {method} {path}"
        assert answer.status_code < 500, f"{role}: {method} {path}: {answer.status_code}"
    assert walked > 30
    assert not client.cookies  # no session was made along the way


# The command line: chronicle user token add|list|revoke


def test_token_commands_print_the_token_once_list_and_revoke(database_location: str):
    assert run("--db", database_location, "user", "add", "bot", "--role", "viewer", "--password-stdin", input=PASSWORD).exit_code == 0
    made = run("--db", database_location, "user", "token", "add", "bot", "--label", "weekly figures", "--expires", "30")
    assert made.exit_code == 0, made.output
    token = made.stdout.strip()
    assert re.fullmatch(re.escape(TOKEN_PREFIX) + r"[A-Za-z0-9_-]{43}", token)
    assert "Made API token 1 for bot; it expires" in made.stderr and "shown only this once" in made.stderr
    as_json = run("--db", database_location, "user", "token", "add", "bot", "--json")
    assert as_json.exit_code == 0, as_json.output
    second = json.loads(as_json.stdout)
    assert set(second) == {"token", "token_id", "username", "label", "created_at", "expires_at", "last_used_at", "revoked_at", "state"}
    assert second["token_id"] == 2 and second["expires_at"] is None and second["state"] == "active" and second["token"].startswith(TOKEN_PREFIX)
    listed = run("--db", database_location, "user", "token", "list", "--json")
    assert listed.exit_code == 0, listed.output
    items = json.loads(listed.stdout)
    assert [(item["token_id"], item["username"], item["label"], item["state"]) for item in items] == [
        (1, "bot", "weekly figures", "active"), (2, "bot", None, "active")]
    assert items[0]["created_at"].endswith("Z") and items[0]["expires_at"].endswith("Z")
    assert token not in listed.stdout and second["token"] not in listed.stdout
    table = run("--db", database_location, "user", "token", "list", "bot")
    assert table.exit_code == 0 and "weekly" in table.stdout and "2 API tokens" in table.stdout and token not in table.stdout
    revoked = run("--db", database_location, "user", "token", "revoke", "1", "--json")
    assert revoked.exit_code == 0 and json.loads(revoked.stdout)["state"] == "revoked" and "Revoked API token 1 of bot" in revoked.stderr
    again = run("--db", database_location, "user", "token", "revoke", "1")
    assert again.exit_code == 0 and "already revoked" in again.stderr
    with Database.open(database_location) as database:
        accounts = Accounts(database)
        assert accounts.check_token(token, ADDRESS).outcome == "refused"
        assert accounts.check_token(second["token"], ADDRESS).ok


@pytest.mark.parametrize("arguments, message", [
    (["user", "token", "add", "nobody"], "there is no user 'nobody'"),
    (["user", "token", "list", "nobody"], "there is no user 'nobody'"),
    (["user", "token", "revoke", "7"], "there is no API token 7"),
    (["user", "token", "add", "bot", "--expires", "0"], "--expires: 0 is not a number of days from 1 to 3650"),
])
def test_token_commands_refuse_with_a_clean_message(tmp_path, arguments: list[str], message: str):
    location = str(tmp_path / "register.db")
    assert run("--db", location, "user", "add", "bot", "--role", "viewer", "--password-stdin", input=PASSWORD).exit_code == 0
    result = run("--db", location, *arguments)
    assert result.exit_code == 1, result.output
    assert message in result.stderr and "Traceback" not in result.output and TOKEN_PREFIX not in result.stdout


def test_every_token_command_has_help_with_an_example():
    for name in ("add", "list", "revoke"):
        result = run("user", "token", name, "--help")
        assert result.exit_code == 0 and "Example:" in result.output, name


def test_docs_accounts_describes_the_token_limit_of_the_policy():
    text = (Path(__file__).resolve().parent.parent / "docs" / "accounts.md").read_text(encoding="utf-8")
    section = text.split("## API tokens", 1)[1].split("\n## ", 1)[0]
    policy = Policy()
    assert f"**{policy.token_failures}**" in section and f"within {policy.failure_window.seconds // 60} minutes" in section
    assert f"for {policy.lock_duration.seconds // 60} minutes" in section
    for name in ("token add", "token list", "token revoke"):
        assert f"chronicle user {name}" in text, name
