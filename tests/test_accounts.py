"""Accounts, passwords, two-factor sign-in, sessions and rate limits (chronicle/accounts.py), on both databases.

Time is an injected clock that the tests move: nothing waits, nothing is timed.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pyotp
import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from argon2 import PasswordHasher
from sqlalchemy import inspect, select, text

from chronicle.accounts import (
    CODE,
    REFUSED,
    ROLES,
    SETUP,
    AccountError,
    Accounts,
    Policy,
    WeakPassword,
    lock_end,
)
from chronicle.database import Database, _alembic_config
from chronicle.errors import NotFoundError
from chronicle.schema import metadata, recovery_codes, sign_in_failures, user_sessions, users
from chronicle.web.access import ROLE_PERMISSIONS

PASSWORD = "correct horse battery staple"
ADDRESS = "192.0.2.10"
CHEAP = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)  # still Argon2id; quick for the tests
ACCOUNT_TABLES = {"users", "recovery_codes", "user_sessions", "sign_in_failures", "api_tokens"}


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, start: datetime = datetime(2026, 3, 2, 9, 0, 0, tzinfo=UTC)):
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **amount) -> None:
        self.now += timedelta(**amount)


def totp_now(secret: str, clock: Clock) -> str:
    return pyotp.TOTP(secret).at(clock.now)


def set_up_two_factor(accounts: Accounts, clock: Clock, username: str, password: str = PASSWORD) -> tuple[str, list[str]]:
    """Sign in the first time and set up two-factor sign-in: the secret and the recovery codes."""
    first = accounts.sign_in(username, password, ADDRESS)
    assert first.outcome == SETUP, first
    setup = accounts.two_factor_setup(first.token)
    done, codes = accounts.confirm_two_factor_setup(first.token, totp_now(setup.secret, clock), ADDRESS)
    assert done.outcome == "signed_in", done
    clock.advance(seconds=30)  # the next code is another time step's
    return setup.secret, codes


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def accounts(database: Database, clock: Clock) -> Accounts:
    return Accounts(database, clock=clock, hasher=CHEAP)


def raw_bytes(database: Database) -> str:
    """Every value of the account tables, as text."""
    with database.reading() as connection:
        cells = []
        for table in (users, recovery_codes, user_sessions, sign_in_failures):
            for row in connection.execute(select(table)):
                cells.extend(str(value) for value in row)
    return "\n".join(cells)


def test_the_roles_are_those_of_the_permission_table():
    assert ROLES == tuple(ROLE_PERMISSIONS)


def test_a_password_is_stored_as_an_argon2id_hash_only(database: Database, accounts: Accounts, tmp_path):
    accounts.add_user("alice", PASSWORD, role="viewer", display_name="Alice")
    with database.reading() as connection:
        stored = connection.execute(select(users.c.password_hash)).scalar_one()
    assert stored.startswith("$argon2id$")
    assert PASSWORD not in raw_bytes(database)
    if database.dialect == "sqlite":
        database.close()
        path = database.engine.url.database
        for name in (path, path + "-wal"):
            try:
                data = open(name, "rb").read()
            except FileNotFoundError:
                continue
            assert PASSWORD.encode() not in data, name


def test_a_hash_made_with_older_parameters_is_replaced_at_the_next_sign_in(database: Database, clock: Clock):
    weaker = Accounts(database, clock=clock, hasher=PasswordHasher(time_cost=1, memory_cost=512, parallelism=1))
    weaker.add_user("bob", PASSWORD, role="viewer")
    with database.reading() as connection:
        before = connection.execute(select(users.c.password_hash)).scalar_one()
    assert "m=512" in before
    accounts = Accounts(database, clock=clock, hasher=CHEAP)
    assert accounts.sign_in("bob", PASSWORD, ADDRESS).outcome == "signed_in"
    with database.reading() as connection:
        after = connection.execute(select(users.c.password_hash)).scalar_one()
    assert after != before and after.startswith("$argon2id$") and "m=1024" in after
    assert accounts.sign_in("bob", PASSWORD, ADDRESS).outcome == "signed_in"


@pytest.mark.parametrize("password, reason", [
    ("short pass", "too short"),
    ("aaaaaaaaaaaaaaaa", "too few characters"),
    ("my name is alice!", "contains the username"),
])
def test_weak_passwords_are_refused_with_the_reason(accounts: Accounts, password: str, reason: str):
    with pytest.raises(WeakPassword, match=reason):
        accounts.add_user("alice", password, role="viewer")
    assert accounts.users() == []


def test_bad_usernames_roles_and_taken_usernames_are_refused(accounts: Accounts):
    for username in ("", "a", "has space", "-dash", "x" * 65, "кірыліца"):
        with pytest.raises(AccountError, match="is not a username"):
            accounts.add_user(username, PASSWORD, role="viewer")
    with pytest.raises(AccountError, match="not a role"):
        accounts.add_user("alice", PASSWORD, role="boss")
    accounts.add_user("Alice", PASSWORD, role="viewer")
    with pytest.raises(AccountError, match="already a user 'alice'"):
        accounts.add_user("ALICE", PASSWORD, role="editor")
    assert [user.username for user in accounts.users()] == ["alice"]


def test_wrong_password_unknown_user_and_disabled_user_get_the_same_refusal(accounts: Accounts):
    accounts.add_user("viewer1", PASSWORD, role="viewer")
    accounts.add_user("gone", PASSWORD, role="viewer")
    accounts.disable("gone")
    answers = [
        accounts.sign_in("viewer1", PASSWORD + "x", ADDRESS),
        accounts.sign_in("nobody", PASSWORD, ADDRESS),
        accounts.sign_in("gone", PASSWORD, ADDRESS),
    ]
    assert {(answer.outcome, answer.message, answer.token) for answer in answers} == {("refused", REFUSED, None)}
    assert accounts.sign_in("Viewer1 ", PASSWORD, ADDRESS).outcome == "signed_in"  # the username is not case-sensitive


def test_admins_and_editors_must_set_up_two_factor_before_they_are_signed_in(accounts: Accounts, clock: Clock):
    for role in ("admin", "editor"):
        accounts.add_user(f"{role}1", PASSWORD, role=role)
        first = accounts.sign_in(f"{role}1", PASSWORD, ADDRESS)
        assert first.outcome == SETUP
        assert accounts.session(first.token) is None  # a pending session is not a signed-in one
        assert accounts.confirm_code(first.token, "123456", ADDRESS).outcome == "refused"  # nor can it skip the setup
        setup = accounts.two_factor_setup(first.token)
        assert setup.uri.startswith(f"otpauth://totp/Chronicle:{role}1?secret={setup.secret}")
        assert accounts.two_factor_setup(first.token).secret == setup.secret  # shown again until confirmed
        wrong, codes = accounts.confirm_two_factor_setup(first.token, "000000" if totp_now(setup.secret, clock) != "000000" else "111111", ADDRESS)
        assert wrong.outcome == "refused" and codes == []
        done, codes = accounts.confirm_two_factor_setup(first.token, totp_now(setup.secret, clock), ADDRESS)
        assert done.outcome == "signed_in" and len(codes) == 10 and len(set(codes)) == 10
        assert accounts.session(done.token).user.role == role
        assert accounts.session(first.token, stages=(SETUP,)) is None  # the pending session ended
    assert all(user.two_factor for user in accounts.users())


def test_an_analyst_may_sign_in_without_two_factor_unless_asked_to(accounts: Accounts):
    accounts.add_user("analyst1", PASSWORD, role="analyst")
    accounts.add_user("analyst2", PASSWORD, role="analyst", two_factor=True)
    assert accounts.sign_in("analyst1", PASSWORD, ADDRESS).outcome == "signed_in"
    assert accounts.sign_in("analyst2", PASSWORD, ADDRESS).outcome == SETUP


def test_the_second_step_takes_a_totp_code_once_and_each_recovery_code_once(accounts: Accounts, clock: Clock):
    accounts.add_user("editor1", PASSWORD, role="editor")
    secret, codes = set_up_two_factor(accounts, clock, "editor1")
    pending = accounts.sign_in("editor1", PASSWORD, ADDRESS)
    assert pending.outcome == CODE and accounts.session(pending.token) is None
    code = totp_now(secret, clock)
    signed = accounts.confirm_code(pending.token, code, ADDRESS)
    assert signed.outcome == "signed_in" and accounts.session(signed.token).user.username == "editor1"
    again = accounts.sign_in("editor1", PASSWORD, ADDRESS)
    assert accounts.confirm_code(again.token, code, ADDRESS).message == REFUSED  # the same code, used already
    assert accounts.confirm_code(again.token, codes[0].upper(), ADDRESS).outcome == "signed_in"  # a recovery code
    third = accounts.sign_in("editor1", PASSWORD, ADDRESS)
    assert accounts.confirm_code(third.token, codes[0], ADDRESS).message == REFUSED  # used already
    assert accounts.confirm_code(third.token, "not a code", ADDRESS).message == REFUSED
    assert accounts.confirm_code(third.token, codes[1].replace("-", " "), ADDRESS).outcome == "signed_in"
    assert accounts.unused_recovery_codes("editor1") == 8
    with accounts.database.reading() as connection:
        stored = {row.code_hash for row in connection.execute(select(recovery_codes))}
    assert len(stored) == 10 and not any(code in raw_bytes(accounts.database) for code in codes)


def test_a_code_from_the_last_or_next_time_step_is_accepted_but_not_older(accounts: Accounts, clock: Clock):
    accounts.add_user("admin1", PASSWORD, role="admin")
    secret, _ = set_up_two_factor(accounts, clock, "admin1")
    totp = pyotp.TOTP(secret)
    clock.advance(minutes=5)
    pending = accounts.sign_in("admin1", PASSWORD, ADDRESS)
    assert accounts.confirm_code(pending.token, totp.at(clock.now - timedelta(seconds=90)), ADDRESS).outcome == "refused"
    assert accounts.confirm_code(pending.token, totp.at(clock.now - timedelta(seconds=30)), ADDRESS).outcome == "signed_in"


def test_too_many_wrong_codes_end_the_pending_sign_in(accounts: Accounts, clock: Clock):
    accounts.add_user("admin1", PASSWORD, role="admin")
    secret, _ = set_up_two_factor(accounts, clock, "admin1")
    pending = accounts.sign_in("admin1", PASSWORD, ADDRESS)
    wrong = "000000" if totp_now(secret, clock) != "000000" else "111111"
    for _ in range(accounts.policy.code_attempts):
        assert accounts.confirm_code(pending.token, wrong, ADDRESS).outcome == "refused"
    assert accounts.session(pending.token, stages=(CODE,)) is None
    assert accounts.confirm_code(pending.token, totp_now(secret, clock), ADDRESS).outcome == "refused"


def test_five_failures_lock_the_username_and_address_for_fifteen_minutes(accounts: Accounts, clock: Clock):
    accounts.add_user("viewer1", PASSWORD, role="viewer")
    for _ in range(5):
        assert accounts.sign_in("viewer1", "wrong password!", ADDRESS).outcome == "refused"
        clock.advance(minutes=1)
    locked = accounts.sign_in("viewer1", PASSWORD, ADDRESS)  # the right password, but locked
    assert locked.outcome == "locked" and locked.token is None
    assert locked.retry_after == timedelta(minutes=14) and "try again in 14 minutes" in locked.message
    assert accounts.sign_in("viewer1", PASSWORD, "198.51.100.7").outcome == "signed_in"  # another address
    clock.advance(minutes=13, seconds=59)
    assert accounts.sign_in("viewer1", PASSWORD, ADDRESS).outcome == "locked"
    clock.advance(seconds=1)
    assert accounts.sign_in("viewer1", PASSWORD, ADDRESS).outcome == "signed_in"  # the lock has ended


def test_an_unknown_username_is_locked_like_a_known_one(accounts: Accounts, clock: Clock):
    accounts.add_user("viewer1", PASSWORD, role="viewer")
    for name in ("viewer1", "nobody"):
        for _ in range(5):
            accounts.sign_in(name, "wrong password!", ADDRESS)
        answer = accounts.sign_in(name, PASSWORD, ADDRESS)
        assert (answer.outcome, answer.message) == ("locked", "Too many failed sign-ins: try again in 15 minutes.")


def test_wrong_codes_count_towards_the_lock(accounts: Accounts, clock: Clock):
    accounts.add_user("admin1", PASSWORD, role="admin")
    secret, _ = set_up_two_factor(accounts, clock, "admin1")
    wrong = "000000" if totp_now(secret, clock) != "000000" else "111111"
    for _ in range(5):
        pending = accounts.sign_in("admin1", PASSWORD, ADDRESS)
        assert accounts.confirm_code(pending.token, wrong, ADDRESS).outcome == "refused"
    assert accounts.sign_in("admin1", PASSWORD, ADDRESS).outcome == "locked"


def test_one_address_trying_many_usernames_is_locked(database: Database, clock: Clock):
    accounts = Accounts(database, clock=clock, hasher=CHEAP, policy=Policy(address_failures=8))
    accounts.add_user("viewer1", PASSWORD, role="viewer")
    for number in range(8):
        assert accounts.sign_in(f"guess{number}", PASSWORD, ADDRESS).outcome == "refused"
    assert accounts.sign_in("viewer1", PASSWORD, ADDRESS).outcome == "locked"
    assert accounts.sign_in("viewer1", PASSWORD, "198.51.100.7").outcome == "signed_in"


def test_failed_sign_ins_are_kept_hashed_and_only_for_half_an_hour(database: Database, accounts: Accounts, clock: Clock):
    accounts.sign_in("a-name-typed-by-mistake", "a password typed by mistake", ADDRESS)
    stored = raw_bytes(database)
    assert "a-name-typed-by-mistake" not in stored and ADDRESS not in stored
    clock.advance(minutes=31)
    accounts.sign_in("someone", "another password", ADDRESS)
    with database.reading() as connection:
        assert connection.execute(select(sign_in_failures.c.failed_at)).scalars().all() == [clock.now]


def test_a_lock_starts_at_the_failure_that_makes_the_limit_and_lasts_its_duration():
    t = datetime(2026, 1, 1, tzinfo=UTC)
    minutes = [t + timedelta(minutes=m) for m in (0, 4, 8, 12, 14)]
    assert lock_end(minutes, 5, timedelta(minutes=15), timedelta(minutes=15)) == t + timedelta(minutes=29)
    spread = [t + timedelta(minutes=m) for m in (0, 4, 8, 12, 16)]
    assert lock_end(spread, 5, timedelta(minutes=15), timedelta(minutes=15)) is None
    assert lock_end([], 5, timedelta(minutes=15), timedelta(minutes=15)) is None


def test_sessions_end_after_the_idle_timeout_and_the_absolute_lifetime(accounts: Accounts, clock: Clock):
    accounts.add_user("viewer1", PASSWORD, role="viewer")
    idle = accounts.sign_in("viewer1", PASSWORD, ADDRESS).token
    clock.advance(hours=7, minutes=59)
    assert accounts.session(idle) is not None  # used: the idle time starts again
    clock.advance(hours=7, minutes=59)
    assert accounts.session(idle) is not None
    clock.advance(hours=8)
    assert accounts.session(idle) is None
    busy = accounts.sign_in("viewer1", PASSWORD, ADDRESS).token
    for _ in range(7 * 24 - 1):
        clock.advance(hours=1)
        assert accounts.session(busy) is not None
    clock.advance(hours=1)
    assert accounts.session(busy) is None  # seven days after it began, however busy


def test_a_pending_sign_in_ends_after_ten_minutes(accounts: Accounts, clock: Clock):
    accounts.add_user("admin1", PASSWORD, role="admin")
    pending = accounts.sign_in("admin1", PASSWORD, ADDRESS)
    clock.advance(minutes=10)
    assert accounts.two_factor_setup(pending.token) is None


def test_sign_out_disable_and_reset_end_sessions(accounts: Accounts, clock: Clock):
    accounts.add_user("viewer1", PASSWORD, role="viewer")
    one, two = (accounts.sign_in("viewer1", PASSWORD, ADDRESS).token for _ in range(2))
    accounts.sign_out(one)
    assert accounts.session(one) is None and accounts.session(two) is not None
    assert accounts.sessions_of("viewer1") == 1
    accounts.disable("viewer1")
    assert accounts.session(two) is None
    assert accounts.sign_in("viewer1", PASSWORD, ADDRESS).message == REFUSED
    accounts.add_user("editor1", PASSWORD, role="editor")
    secret, codes = set_up_two_factor(accounts, clock, "editor1")
    pending = accounts.sign_in("editor1", PASSWORD, ADDRESS)
    signed = accounts.confirm_code(pending.token, totp_now(secret, clock), ADDRESS).token
    user = accounts.reset_two_factor("editor1")
    assert not user.two_factor and user.two_factor_required
    assert accounts.session(signed) is None
    again = accounts.sign_in("editor1", PASSWORD, ADDRESS)
    assert again.outcome == SETUP  # sets it up anew
    assert accounts.confirm_code(again.token, codes[2], ADDRESS).outcome == "refused"  # the old recovery codes are gone
    assert accounts.sign_out_everywhere("editor1") == 1
    with pytest.raises(NotFoundError, match="no user 'nobody'"):
        accounts.disable("nobody")


def test_a_new_authenticator_from_a_signed_in_session_needs_the_password_and_ends_other_sessions(accounts: Accounts, clock: Clock):
    accounts.add_user("viewer1", PASSWORD, role="viewer")
    here, elsewhere = (accounts.sign_in("viewer1", PASSWORD, ADDRESS).token for _ in range(2))
    setup = accounts.two_factor_setup(here)
    refused, _ = accounts.confirm_two_factor_setup(here, totp_now(setup.secret, clock), ADDRESS, password="not the password")
    assert refused.outcome == "refused"
    done, codes = accounts.confirm_two_factor_setup(here, totp_now(setup.secret, clock), ADDRESS, password=PASSWORD)
    assert done.outcome == "signed_in" and done.token == here and len(codes) == 10
    assert accounts.session(here) is not None and accounts.session(elsewhere) is None
    assert accounts.sign_in("viewer1", PASSWORD, ADDRESS).outcome == CODE  # from now on


def test_signing_in_and_using_a_session_leave_the_register_caches_valid(database: Database, accounts: Accounts, clock: Clock):
    """`database.writes` counts changes of the register, whose caches start again after each: sessions are not such changes."""
    accounts.add_user("viewer1", PASSWORD, role="viewer")
    before = database.writes
    token = accounts.sign_in("viewer1", PASSWORD, ADDRESS).token
    for _ in range(3):
        clock.advance(minutes=2)  # each use notes last_seen
        assert accounts.session(token) is not None
    accounts.sign_in("viewer1", "a wrong password", ADDRESS)
    accounts.sign_out(token)
    assert database.writes == before


def test_tokens_are_random_and_only_their_hashes_are_stored(database: Database, accounts: Accounts):
    accounts.add_user("viewer1", PASSWORD, role="viewer")
    tokens = {accounts.sign_in("viewer1", PASSWORD, ADDRESS).token for _ in range(5)}
    assert len(tokens) == 5 and all(len(token) >= 43 for token in tokens)
    stored = raw_bytes(database)
    assert not any(token in stored for token in tokens)


def test_the_account_tables_match_the_schema_and_migration_0005_goes_down_and_up(database: Database):
    with database.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = [d for d in compare_metadata(context, metadata) if any(name in repr(d) for name in ACCOUNT_TABLES)]
    assert differences == []
    revision = database.revision_now()
    with database.engine.begin() as connection:
        command.downgrade(_alembic_config(connection), "0004")
    assert not ACCOUNT_TABLES & set(inspect(database.engine).get_table_names())
    with database.engine.begin() as connection:
        command.upgrade(_alembic_config(connection), revision)
    assert ACCOUNT_TABLES <= set(inspect(database.engine).get_table_names())
    with database.reading() as connection:
        assert connection.execute(text("select count(*) from users")).scalar_one() == 0


def test_account_changes_sign_ins_refusals_and_sign_outs_are_in_the_audit_log(database: Database, accounts: Accounts, clock: Clock):
    from chronicle import audit

    accounts.add_user("editor1", PASSWORD, role="editor")
    accounts.add_user("viewer1", PASSWORD, role="viewer")
    secret, codes = set_up_two_factor(accounts, clock, "editor1")
    pending = accounts.sign_in("editor1", PASSWORD, ADDRESS)
    accounts.confirm_code(pending.token, "000000" if totp_now(secret, clock) != "000000" else "111111", ADDRESS)
    signed = accounts.confirm_code(pending.token, codes[0], ADDRESS).token
    accounts.sign_out(signed)
    accounts.sign_in("viewer1", "a wrong password", ADDRESS)
    accounts.sign_in("mistyped secret words", PASSWORD, ADDRESS)
    accounts.disable("viewer1")
    accounts.reset_two_factor("editor1")
    logged = [(entry.actor, entry.action, entry.record_key, entry.details) for entry in audit.entries(database, resource="users")]
    assert [entry[:3] for entry in logged] == [
        (audit.current_actor(), "user_add", "editor1"),
        (audit.current_actor(), "user_add", "viewer1"),
        ("editor1", "sign_in", "editor1"),  # the first sign-in, which set up two-factor sign-in
        ("editor1", "sign_in_failed", "editor1"),
        ("editor1", "sign_in", "editor1"),
        ("editor1", "sign_out", "editor1"),
        ("viewer1", "sign_in_failed", "viewer1"),
        ("anonymous", "sign_in_failed", None),
        (audit.current_actor(), "user_disable", "viewer1"),
        (audit.current_actor(), "user_reset_2fa", "editor1"),
    ]
    assert '"second_factor":"totp_setup"' in logged[2][3] and '"second_factor":"recovery_code"' in logged[4][3]
    assert '"step":"code"' in logged[3][3] and '"known_user":false' in logged[7][3]
    everything = "\n".join(str(value) for entry in audit.entries(database) for value in entry.__dict__.values())
    assert "mistyped" not in everything and ADDRESS not in everything and PASSWORD not in everything
    assert audit.verify(database).intact


def test_a_new_role_ends_the_sessions_and_admin_or_editor_must_set_up_two_factor(accounts: Accounts, clock: Clock):
    accounts.add_user("admin1", PASSWORD, role="admin")
    accounts.add_user("viewer1", PASSWORD, role="viewer")
    signed = accounts.sign_in("viewer1", PASSWORD, ADDRESS).token
    assert accounts.session(signed) is not None and not accounts.user("viewer1").two_factor_required
    editor = accounts.change_role("viewer1", "editor")
    assert (editor.role, editor.two_factor_required, editor.two_factor) == ("editor", True, False)
    assert accounts.session(signed) is None
    assert accounts.sign_in("viewer1", PASSWORD, ADDRESS).outcome == SETUP  # nothing before two-factor sign-in is set up
    set_up_two_factor(accounts, clock, "viewer1")
    analyst = accounts.change_role("viewer1", "analyst")
    assert analyst.role == "analyst" and analyst.two_factor_required  # never weakened by a role change
    assert accounts.sign_in("viewer1", PASSWORD, ADDRESS).outcome == CODE
    assert accounts.change_role("viewer1", "analyst") == analyst  # the same role: nothing changes
    with pytest.raises(AccountError, match="'boss' is not a role"):
        accounts.change_role("viewer1", "boss")
    with pytest.raises(NotFoundError, match="there is no user 'nobody'"):
        accounts.change_role("nobody", "viewer")


def test_the_last_enabled_admin_can_be_neither_demoted_nor_disabled(accounts: Accounts):
    accounts.add_user("admin1", PASSWORD, role="admin")
    accounts.add_user("admin2", PASSWORD, role="admin")
    accounts.add_user("viewer1", PASSWORD, role="viewer")
    assert accounts.change_role("admin1", "editor").role == "editor"  # another admin is left
    signed = accounts.sign_in("admin2", PASSWORD, ADDRESS).token
    for attempt in (lambda: accounts.change_role("admin2", "viewer"), lambda: accounts.disable("admin2")):
        with pytest.raises(AccountError, match="admin2 is the last enabled admin: .* make another user an admin first"):
            attempt()
    last = accounts.user("admin2")
    assert (last.role, last.disabled) == ("admin", False) and accounts.session(signed, stages=(SETUP,)) is not None  # nothing changed
    accounts.add_user("admin3", PASSWORD, role="admin")
    accounts.disable("admin3")  # a disabled admin does not count
    with pytest.raises(AccountError, match="last enabled admin"):
        accounts.disable("admin2")
    accounts.enable("admin3")
    assert accounts.disable("admin2").disabled
    assert accounts.disable("viewer1").disabled  # the others are not concerned
    with pytest.raises(AccountError, match="admin3 is the last enabled admin"):
        accounts.change_role("admin3", "analyst")


def test_a_new_password_replaces_the_old_one_and_ends_the_sessions(database: Database, accounts: Accounts, clock: Clock):
    accounts.add_user("viewer1", PASSWORD, role="viewer")
    signed = accounts.sign_in("viewer1", PASSWORD, ADDRESS).token
    with database.reading() as connection:
        before = connection.execute(select(users.c.password_hash)).scalar_one()
    for weak, reason in (("short", "too short"), ("viewer1 is my name", "contains the username")):
        with pytest.raises(WeakPassword, match=reason):
            accounts.set_password("viewer1", weak)
    assert accounts.session(signed) is not None  # a refused password changes nothing
    clock.advance(minutes=1)
    accounts.set_password("viewer1", "a different long passphrase")
    assert accounts.session(signed) is None
    assert accounts.sign_in("viewer1", PASSWORD, ADDRESS).outcome == "refused"
    assert accounts.sign_in("viewer1", "a different long passphrase", ADDRESS).outcome == "signed_in"
    with database.reading() as connection:
        after = connection.execute(select(users.c.password_hash, users.c.password_changed_at)).one()
    assert after.password_hash != before and after.password_hash.startswith("$argon2id$") and after.password_changed_at == clock()
    assert "a different long passphrase" not in raw_bytes(database)
    with pytest.raises(NotFoundError):
        accounts.set_password("nobody", "a different long passphrase")


def test_an_enabled_user_signs_in_again(accounts: Accounts):
    accounts.add_user("viewer1", PASSWORD, role="viewer")
    accounts.disable("viewer1")
    assert accounts.sign_in("viewer1", PASSWORD, ADDRESS).outcome == "refused"
    assert not accounts.enable("viewer1").disabled
    assert accounts.sign_in("viewer1", PASSWORD, ADDRESS).outcome == "signed_in"
    assert not accounts.enable("viewer1").disabled  # enabling an enabled user changes nothing
    with pytest.raises(NotFoundError):
        accounts.enable("nobody")


def test_role_password_and_enable_are_in_the_audit_log(database: Database, accounts: Accounts):
    import json

    from chronicle import audit

    accounts.add_user("admin1", PASSWORD, role="admin")
    accounts.add_user("viewer1", PASSWORD, role="viewer")
    accounts.sign_in("viewer1", PASSWORD, ADDRESS)
    accounts.change_role("viewer1", "editor")
    accounts.change_role("viewer1", "editor")  # no change, no entry
    accounts.set_password("viewer1", "a different long passphrase")
    accounts.disable("viewer1")
    accounts.enable("viewer1")
    accounts.enable("viewer1")  # no change, no entry
    with pytest.raises(AccountError):
        accounts.disable("admin1")  # refused: no entry
    logged = [(entry.actor, entry.action, entry.record_key, json.loads(entry.details))
              for entry in audit.entries(database, resource="users") if entry.action not in ("user_add", "sign_in")]
    me = audit.current_actor()
    assert logged == [
        (me, "user_change", "viewer1", {"changed": "role", "from": "viewer", "to": "editor", "sessions_ended": 1,
                                        "two_factor_required": True}),
        (me, "user_change", "viewer1", {"changed": "password", "sessions_ended": 0}),
        (me, "user_disable", "viewer1", {"sessions_ended": 0, "tokens_revoked": 0}),
        (me, "user_enable", "viewer1", {}),
    ]
    everything = "\n".join(str(value) for entry in audit.entries(database) for value in entry.__dict__.values())
    assert "a different long passphrase" not in everything
    assert audit.verify(database).intact


# The command line: chronicle user add|list|disable|enable|role|password|reset-2fa, and what chronicle serve says about accounts


def run(*arguments: str, input: str | None = None):
    from typer.testing import CliRunner

    from chronicle.cli import app

    return CliRunner().invoke(app, list(arguments), input=input)


@pytest.mark.filterwarnings("ignore::getpass.GetPassWarning")  # the test runner's input is no terminal
def test_user_add_asks_twice_lists_disables_and_resets(database_location: str):
    added = run("--db", database_location, "user", "add", "Alice", "--role", "admin", "--name", "Alice Adamovich",
                input=f"{PASSWORD}\n{PASSWORD}\n")
    assert added.exit_code == 0, added.output
    assert "Added alice (admin). Two-factor sign-in: set up at the first sign-in." in added.stderr
    assert PASSWORD not in added.output
    piped = run("--db", database_location, "user", "add", "reader", "--role", "viewer", "--password-stdin", input=f"{PASSWORD}\n")
    assert piped.exit_code == 0, piped.output
    listed = run("--db", database_location, "user", "list", "--json")
    assert listed.exit_code == 0, listed.output
    import json

    users_listed = json.loads(listed.stdout)
    assert [(user["username"], user["role"], user["two_factor_required"], user["disabled"]) for user in users_listed] == [
        ("alice", "admin", True, False), ("reader", "viewer", False, False)]
    assert users_listed[0]["display_name"] == "Alice Adamovich" and users_listed[0]["created_at"].endswith("Z")
    table = run("--db", database_location, "user", "list")
    assert "alice" in table.stdout and "not set up" in table.stdout
    database = Database.open(database_location)
    try:
        accounts = Accounts(database)
        signed = accounts.sign_in("reader", PASSWORD, ADDRESS)
        assert signed.outcome == "signed_in"
        disabled = run("--db", database_location, "user", "disable", "reader")
        assert disabled.exit_code == 0 and "Disabled reader" in disabled.stderr
        assert accounts.session(signed.token) is None and accounts.sign_in("reader", PASSWORD, ADDRESS).outcome == "refused"
        clock = Clock(datetime.now(UTC))
        set_up_two_factor(Accounts(database, clock=clock), clock, "alice")
        assert accounts.user("alice").two_factor
        reset = run("--db", database_location, "user", "reset-2fa", "alice")
        assert reset.exit_code == 0 and "sets up two-factor sign-in again at the next sign-in" in reset.stderr
        assert not accounts.user("alice").two_factor
        assert accounts.sign_in("alice", PASSWORD, ADDRESS).outcome == SETUP
    finally:
        database.close()


@pytest.mark.parametrize("arguments, given, message", [
    (["user", "add", "bob", "--role", "viewer"], "short\nshort\n", "the password is too short: at least 12 characters"),
    (["user", "add", "bob", "--role", "viewer", "--password-stdin"], "tiny\n", "the password is too short"),
    (["user", "add", "bob", "--role", "viewer", "--password-stdin"], "", "standard input held no password"),
    (["user", "add", "bob", "--role", "boss"], None, "--role: 'boss' is not a role: the roles are admin, editor, analyst, viewer"),
    (["user", "add", "no spaces", "--role", "viewer"], None, "is not a username"),
    (["user", "disable", "nobody"], None, "there is no user 'nobody'"),
    (["user", "reset-2fa", "nobody"], None, "there is no user 'nobody'"),
])
@pytest.mark.filterwarnings("ignore::getpass.GetPassWarning")
def test_user_commands_refuse_with_a_clean_message(tmp_path, arguments: list[str], given: str | None, message: str):
    result = run("--db", str(tmp_path / "register.db"), *arguments, input=given)
    assert result.exit_code == 1, result.output
    assert message in result.stderr and "Traceback" not in result.output


@pytest.mark.filterwarnings("ignore::getpass.GetPassWarning")
def test_user_role_password_and_enable_on_the_command_line(database_location: str):
    import json

    def user(*arguments: str, input: str | None = None):
        return run("--db", database_location, "user", *arguments, input=input)

    assert user("add", "alice", "--role", "admin", "--password-stdin", input=PASSWORD).exit_code == 0
    assert user("add", "bob", "--role", "viewer", "--password-stdin", input=PASSWORD).exit_code == 0
    database = Database.open(database_location)
    try:
        accounts = Accounts(database, hasher=CHEAP)
        signed = accounts.sign_in("bob", PASSWORD, ADDRESS).token
        promoted = user("role", "bob", "editor", "--json")
        assert promoted.exit_code == 0, promoted.output
        shown = json.loads(promoted.stdout)
        assert set(shown) == {"username", "display_name", "role", "disabled", "created_at", "two_factor", "two_factor_required"}
        assert (shown["username"], shown["role"], shown["two_factor_required"]) == ("bob", "editor", True)
        assert "bob is now an editor; its sessions have ended. Two-factor sign-in: set up at the next sign-in." in promoted.stderr
        assert accounts.session(signed) is None and accounts.sign_in("bob", PASSWORD, ADDRESS).outcome == SETUP
        same = user("role", "bob", "editor")
        assert same.exit_code == 0 and "bob is already an editor; nothing changed." in same.stderr
        last = user("role", "alice", "viewer")
        assert last.exit_code == 1 and "alice is the last enabled admin" in last.stderr and "Traceback" not in last.output
        assert user("disable", "alice").exit_code == 1 and accounts.user("alice").role == "admin"
        typed = user("password", "bob", input="a different long passphrase\na different long passphrase\n")
        assert typed.exit_code == 0 and "Set a new password for bob; its sessions have ended." in typed.stderr, typed.output
        assert "a different long passphrase" not in typed.output
        assert accounts.sign_in("bob", "a different long passphrase", ADDRESS).outcome == SETUP
        mismatch = user("password", "bob", input="one long passphrase\nanother long passphrase\n")
        assert mismatch.exit_code != 0 and accounts.sign_in("bob", "a different long passphrase", ADDRESS).outcome == SETUP
        piped = user("password", "bob", "--password-stdin", "--json", input="yet another passphrase\n")
        assert piped.exit_code == 0 and json.loads(piped.stdout)["username"] == "bob", piped.output
        assert accounts.sign_in("bob", "yet another passphrase", ADDRESS).outcome == SETUP
        assert user("disable", "bob").exit_code == 0 and accounts.user("bob").disabled
        enabled = user("enable", "bob", "--json")
        assert enabled.exit_code == 0 and json.loads(enabled.stdout)["disabled"] is False and "Enabled bob" in enabled.stderr
        again = user("enable", "bob")
        assert again.exit_code == 0 and "bob was not disabled; nothing changed." in again.stderr
        assert accounts.sign_in("bob", "yet another passphrase", ADDRESS).outcome == SETUP
    finally:
        database.close()


@pytest.mark.parametrize("arguments, given, message", [
    (["user", "role", "bob", "boss"], None, "ROLE: 'boss' is not a role: the roles are admin, editor, analyst, viewer"),
    (["user", "role", "nobody", "viewer"], None, "there is no user 'nobody'"),
    (["user", "enable", "nobody"], None, "there is no user 'nobody'"),
    (["user", "password", "nobody"], None, "there is no user 'nobody'"),
    (["user", "password", "bob", "--password-stdin"], "tiny\n", "the password is too short"),
    (["user", "password", "bob", "--password-stdin"], "", "standard input held no password"),
    (["user", "password", "bob"], "short\nshort\n", "the password is too short: at least 12 characters"),
])
@pytest.mark.filterwarnings("ignore::getpass.GetPassWarning")
def test_role_password_and_enable_refuse_with_a_clean_message(tmp_path, arguments: list[str], given: str | None, message: str):
    location = str(tmp_path / "register.db")
    assert run("--db", location, "user", "add", "bob", "--role", "viewer", "--password-stdin", input=PASSWORD).exit_code == 0
    result = run("--db", location, *arguments, input=given)
    assert result.exit_code == 1, result.output
    assert message in result.stderr and "Traceback" not in result.output
    with Database.open(location) as database:
        assert Accounts(database, hasher=CHEAP).sign_in("bob", PASSWORD, ADDRESS).outcome == "signed_in"  # unchanged


def test_the_password_is_never_an_argument():
    result = run("user", "password", "--help")
    assert result.exit_code == 0 and "--password-stdin" in result.output
    assert "--password " not in result.output and "--password=" not in result.output
    refused = run("user", "password", "bob", "correct horse battery staple")
    assert refused.exit_code == 2  # a usage error: no such argument


def test_user_add_refuses_a_taken_username(tmp_path):
    location = str(tmp_path / "register.db")
    assert run("--db", location, "user", "add", "bob", "--role", "viewer", "--password-stdin", input=PASSWORD).exit_code == 0
    again = run("--db", location, "user", "add", "BOB", "--role", "editor", "--password-stdin", input=PASSWORD)
    assert again.exit_code == 1 and "there is already a user 'bob'" in again.stderr


def test_every_user_command_has_help_with_an_example():
    for command in ("add", "list", "disable", "enable", "role", "password", "reset-2fa"):
        result = run("user", command, "--help")
        assert result.exit_code == 0 and "Example:" in result.output, command


def test_serve_requires_sign_in_and_says_how_to_create_the_first_account(tmp_path, monkeypatch):
    import chronicle.web.server

    calls = []
    monkeypatch.setattr(chronicle.web.server, "serve", lambda database, **options: calls.append(options))
    location = str(tmp_path / "register.db")
    result = run("--db", location, "serve", "--port", "8123")
    assert result.exit_code == 0, result.output
    assert calls[-1] == {"host": "127.0.0.1", "port": 8123, "local_operator": False}
    assert f"chronicle --db {location} user add NAME --role admin" in result.stderr
    run("--db", location, "user", "add", "bob", "--role", "viewer", "--password-stdin", input=PASSWORD)
    assert "user add" not in run("--db", location, "serve").stderr
    local = run("--db", location, "serve", "--local-operator")
    assert local.exit_code == 0 and calls[-1]["local_operator"] is True
    assert "Warning: local-operator mode: nobody signs in" in local.stderr
    refused = run("--db", location, "serve", "--local-operator", "--host", "0.0.0.0")
    assert refused.exit_code == 1 and "--local-operator: refused on 0.0.0.0, which is not a loopback address" in refused.stderr
    assert len(calls) == 3


def test_the_server_refuses_local_operator_mode_on_a_network_address(database: Database):
    from chronicle.errors import InputError
    from chronicle.web.server import serve

    with pytest.raises(InputError, match="loopback address only"):
        serve(database, host="192.0.2.1", local_operator=True)
