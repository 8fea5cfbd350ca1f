"""Accounts: users and their roles, passwords, two-factor sign-in, sessions and the sign-in rate limits (issue 7).

A user has a username, a display name, a role (`admin`, `editor`,
`analyst`, `viewer`: what each may do is `ROLE_PERMISSIONS` in
chronicle/web/access.py) and a password, stored only as an Argon2id hash
(argon2-cffi; a hash made with older parameters is replaced at the next
sign-in). No password, session token or recovery code is ever stored or
logged: the database holds their hashes.

Signing in is two steps for a user with two-factor sign-in: the password
gives a short-lived pending session (stage `code`), and a TOTP code from
the user's authenticator (pyotp), or one of their ten one-time recovery
codes, turns it into a signed-in session. Two-factor sign-in is required for
admins and editors (and for anyone whose second factor was reset, or who
asked for it): until they have set it up, their password gives a pending
session of stage `setup`, which can do nothing but set it up.

Sessions live in the database: the browser holds a random 32-byte token,
the table its SHA-256. A session ends after `Policy.session_idle` without
use and at the latest `Policy.session_lifetime` after it began; signing
out, disabling the user and resetting their second factor end it.

Failed sign-ins are counted per username and client address: five within
15 minutes lock that pair for 15 minutes (and more from one address, or for
one username from anywhere, lock those too). The refusal is the same
whether the user exists, is disabled, or the password or the code was
wrong, and an unknown user costs the same Argon2 work as a known one.

An admin changes an account on the command line: its role, its password,
disabling it and enabling it again. A change of role or password, and
disabling, end the account's sessions; the last enabled admin can be neither
demoted nor disabled, so that someone is always left to manage the accounts.

API tokens let scripts call the JSON API (`Authorization: Bearer <token>`
on /api/v1 only) as their user, with that user's role at the time of each
request. A token is 32 random bytes, shown once when it is made; the table
holds only its SHA-256 (a high-entropy secret needs no slow hash). A token
ends when it is revoked, when it expires, and when its user is disabled
(disabling revokes them all). Failed token attempts are audited and counted
per client address: too many lock that address out of token use for a while.

Creating, changing, disabling and resetting an account, making and revoking
a token, every sign-in, every refused one (a refused token too) and every
sign-out are entries of the audit log (chronicle/audit.py):
with the username of an account that exists, never a name typed for one
that does not (it may be a password typed in the wrong field), and never the
client's address.

The clock is injectable (`Accounts(database, clock=...)`), so that tests
move time instead of waiting.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import unicodedata
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pyotp
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import Connection, and_, delete, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError, OperationalError

from chronicle import audit
from chronicle.database import Database
from chronicle.dates import utc_now
from chronicle.errors import DatabaseError, InputError, NotFoundError
from chronicle.schema import api_tokens, recovery_codes, sign_in_failures, user_sessions, users

ROLES = ("admin", "editor", "analyst", "viewer")  # the keys of chronicle.web.access.ROLE_PERMISSIONS (a test checks)
TWO_FACTOR_ROLES = frozenset({"admin", "editor"})
USERNAME = re.compile(r"^[a-z0-9][a-z0-9._@-]{1,63}$")
PASSWORD_MIN = 12
PASSWORD_MAX = 1024
DISPLAY_NAME_MAX = 200
RECOVERY_CODES = 10
RECOVERY_ALPHABET = "abcdefghijklmnopqrstuvwxyz234567"  # 32 symbols: 16 of them are 80 random bits
RECOVERY_LENGTH = 16
ISSUER = "Chronicle"
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")

ACTIVE, CODE, SETUP = "active", "code", "setup"

TOKEN_PREFIX = "chronicle_"  # marks a string as a Chronicle API token, for secret scanners and for people
TOKEN_BYTES = 32
TOKEN_LABEL_MAX = 200
TOKEN_DAYS_MAX = 3650
# The "username" under which failed token attempts are counted in sign_in_failures: upper-case, so that no
# username typed at the sign-in form (normalised to lower case) can ever share its hash.
_TOKEN_FAILURES = "\x00API-TOKEN"
TOKEN_REFUSED = "the API token is not valid: it is unknown, revoked or expired, or its user is disabled"

REFUSED = "The username, password or code is not right."
EXPIRED = "The sign-in took too long; start again."


@dataclass(frozen=True)
class Policy:
    """Session lifetimes and the sign-in rate limits."""

    session_idle: timedelta = timedelta(hours=8)  # a session unused this long has ended
    session_lifetime: timedelta = timedelta(days=7)  # and any session, this long after it began
    pending_lifetime: timedelta = timedelta(minutes=10)  # between the password and the code (or the 2FA setup)
    code_attempts: int = 5  # wrong codes one pending session may send before it ends
    touch_interval: timedelta = timedelta(minutes=1)  # how often a session's last_seen is written
    failure_window: timedelta = timedelta(minutes=15)
    lock_duration: timedelta = timedelta(minutes=15)
    pair_failures: int = 5  # for one username from one address, within failure_window
    address_failures: int = 20  # from one address, whatever the usernames
    username_failures: int = 50  # for one username, from any address
    token_failures: int = 20  # failed API token attempts from one address, within failure_window


class AccountError(InputError):
    """An account could not be created or changed as asked."""

    title = "Account refused"


class WeakPassword(AccountError):
    """A password too short or too easily guessed."""

    title = "Password refused"


@dataclass(frozen=True)
class User:
    user_id: int
    username: str
    display_name: str | None
    role: str
    disabled: bool
    created_at: datetime
    two_factor: bool  # set up
    two_factor_required: bool

    def to_json(self) -> dict[str, Any]:
        return {
            "username": self.username,
            "display_name": self.display_name,
            "role": self.role,
            "disabled": self.disabled,
            "created_at": self.created_at.isoformat().replace("+00:00", "Z"),
            "two_factor": self.two_factor,
            "two_factor_required": self.two_factor_required,
        }


@dataclass(frozen=True)
class Session:
    token_hash: str
    user: User
    stage: str
    created_at: datetime
    last_seen: datetime
    expires_at: datetime


@dataclass(frozen=True)
class SignIn:
    """The answer to one step of signing in.

    `outcome`: `signed_in` (token: a signed-in session), `code` (token: a
    pending session that awaits the TOTP or a recovery code), `setup` (token:
    a pending session that must set up two-factor sign-in), `refused`, or
    `locked` (too many failures: `retry_after`).
    """

    outcome: str
    token: str | None = None
    message: str = ""
    retry_after: timedelta | None = None

    @property
    def ok(self) -> bool:
        return self.outcome in ("signed_in", CODE, SETUP)


@dataclass(frozen=True)
class ApiToken:
    """An API token as listed: never the token itself, which is shown once when it is made."""

    token_id: int
    username: str
    label: str | None
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None
    revoked_at: datetime | None

    def state(self, now: datetime) -> str:
        """`active`, `expired` or `revoked`."""
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at is not None and now >= self.expires_at:
            return "expired"
        return "active"

    def to_json(self, now: datetime) -> dict[str, Any]:
        return {
            "token_id": self.token_id,
            "username": self.username,
            "label": self.label,
            "created_at": _moment(self.created_at),
            "expires_at": _moment(self.expires_at),
            "last_used_at": _moment(self.last_used_at),
            "revoked_at": _moment(self.revoked_at),
            "state": self.state(now),
        }


@dataclass(frozen=True)
class NewToken:
    """A token just made: `token` is shown once, and only its hash is kept."""

    token: str
    info: ApiToken


@dataclass(frozen=True)
class TokenCheck:
    """The answer to an API token: `ok` (with `user`), `refused`, or `locked` (too many failures from the address)."""

    outcome: str
    user: User | None = None
    token_id: int | None = None
    message: str = ""
    retry_after: timedelta | None = None

    @property
    def ok(self) -> bool:
        return self.outcome == "ok"


def _moment(value: datetime | None) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value is not None else None


@dataclass(frozen=True)
class TwoFactorSetup:
    secret: str  # base32, for typing into an authenticator
    uri: str  # otpauth://totp/..., for an authenticator that reads it


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _hash_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def normalise_username(username: str) -> str:
    return unicodedata.normalize("NFC", username or "").strip().lower()


def check_username(username: str) -> str:
    name = normalise_username(username)
    if not USERNAME.match(name):
        raise AccountError(
            f"{username!r} is not a username: 2 to 64 characters, lower-case letters, digits and . _ @ -, starting with a letter or digit"
        )
    return name


def check_password(password: str, username: str = "") -> str:
    """The password as it is hashed (Unicode NFC); WeakPassword when it is too short or too easily guessed."""
    text = unicodedata.normalize("NFC", password or "")
    if len(text) < PASSWORD_MIN:
        raise WeakPassword(f"the password is too short: at least {PASSWORD_MIN} characters (a few words make a good one)")
    if len(text) > PASSWORD_MAX:
        raise WeakPassword(f"the password is too long: at most {PASSWORD_MAX} characters")
    if len(set(text)) < 4:
        raise WeakPassword("the password repeats too few characters: use a few words, or more different characters")
    if username and normalise_username(username) in text.lower():
        raise WeakPassword("the password contains the username")
    return text


def check_display_name(name: str | None) -> str | None:
    return _short_text(name, "the display name", DISPLAY_NAME_MAX)


def _short_text(value: str | None, what: str, limit: int) -> str | None:
    """A one-line text shown to staff (a display name, a token's label): normalised, no control characters, bounded."""
    if value is None:
        return None
    text = unicodedata.normalize("NFC", value).strip()
    if _CONTROL.search(text):
        raise AccountError(f"{what} contains control characters")
    if len(text) > limit:
        raise AccountError(f"{what} is too long: at most {limit} characters")
    return text or None


def _recovery_code() -> str:
    raw = "".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(RECOVERY_LENGTH))
    return "-".join(raw[index : index + 4] for index in range(0, RECOVERY_LENGTH, 4))


def _normalise_code(code: str) -> str:
    return re.sub(r"[\s-]", "", code or "").lower()


def check_token_label(label: str | None) -> str | None:
    return _short_text(label, "--label: the label", TOKEN_LABEL_MAX)


def check_token_days(days: int | None) -> int | None:
    if days is None:
        return None
    if not 1 <= days <= TOKEN_DAYS_MAX:
        raise AccountError(f"--expires: {days} is not a number of days from 1 to {TOKEN_DAYS_MAX}")
    return days


def _token(row) -> ApiToken:
    return ApiToken(token_id=row.token_id, username=row.username, label=row.label, created_at=row.created_at,
                    expires_at=row.expires_at, last_used_at=row.last_used_at, revoked_at=row.revoked_at)


def _user(row) -> User:
    return User(
        user_id=row.user_id,
        username=row.username,
        display_name=row.display_name,
        role=row.role,
        disabled=bool(row.disabled),
        created_at=row.created_at,
        two_factor=row.totp_secret is not None,
        two_factor_required=bool(row.totp_required) or row.role in TWO_FACTOR_ROLES,
    )


class Accounts:
    """Users, sign-in and sessions over one database."""

    def __init__(
        self,
        database: Database,
        *,
        clock: Callable[[], datetime] = utc_now,
        hasher: PasswordHasher | None = None,
        policy: Policy | None = None,
    ):
        self.database = database
        self.clock = clock
        self.hasher = hasher or PasswordHasher()  # Argon2id, RFC 9106's low-memory parameters
        self.policy = policy or Policy()
        self._dummy_hash: str | None = None

    # ------------------------------------------------------------------
    # Users

    def add_user(self, username: str, password: str, *, role: str, display_name: str | None = None,
                 two_factor: bool = False) -> User:
        """A new user; AccountError for a bad or taken username or role, WeakPassword for a weak password.

        `two_factor`: require two-factor sign-in although the role does not.
        """
        name = check_username(username)
        if role not in ROLES:
            raise AccountError(f"{role!r} is not a role: the roles are {', '.join(ROLES)}")
        secret = check_password(password, name)
        shown = check_display_name(display_name)
        now = self.clock()
        password_hash = self.hasher.hash(secret)
        try:
            with self._bookkeeping() as connection:
                connection.execute(insert(users).values(
                    username=name, display_name=shown, role=role, disabled=False, created_at=now,
                    password_hash=password_hash, password_changed_at=now,
                    totp_required=two_factor or role in TWO_FACTOR_ROLES,
                ))
                audit.record(connection, "user_add", resource="users", key=name,
                             details={"role": role, "two_factor_required": two_factor or role in TWO_FACTOR_ROLES})
        except IntegrityError:
            raise AccountError(f"there is already a user {name!r}") from None
        return self.user(name)

    def users(self) -> list[User]:
        with self.database.reading() as connection:
            return [_user(row) for row in connection.execute(select(users).order_by(users.c.username))]

    def user(self, username: str) -> User | None:
        with self.database.reading() as connection:
            row = connection.execute(select(users).where(users.c.username == normalise_username(username))).first()
        return _user(row) if row is not None else None

    def count(self) -> int:
        with self.database.reading() as connection:
            return connection.execute(select(func.count()).select_from(users)).scalar_one()

    def _known(self, connection: Connection, username: str):
        row = connection.execute(select(users).where(users.c.username == normalise_username(username))).first()
        if row is None:
            raise NotFoundError(f"there is no user {normalise_username(username)!r}")
        return row

    def disable(self, username: str) -> User:
        """Disable a user: they cannot sign in, their sessions end and their API tokens are revoked.

        AccountError for the last enabled admin.
        """
        now = self.clock()
        with self._bookkeeping() as connection:
            row = self._known(connection, username)
            self._lock_admins(connection)
            connection.execute(update(users).where(users.c.user_id == row.user_id).values(disabled=True))
            self._an_admin_is_left(connection, row, "disabling it")
            ended = self._end_sessions(connection, row.user_id)
            revoked = connection.execute(update(api_tokens).where(api_tokens.c.user_id == row.user_id, api_tokens.c.revoked_at.is_(None))
                                         .values(revoked_at=now)).rowcount
            audit.record(connection, "user_disable", resource="users", key=row.username,
                         details={"sessions_ended": ended, "tokens_revoked": revoked})
        return self.user(username)

    def enable(self, username: str) -> User:
        """Enable a disabled user again: they may sign in (their old sessions and API tokens stay ended)."""
        with self._bookkeeping() as connection:
            row = self._known(connection, username)
            if row.disabled:
                connection.execute(update(users).where(users.c.user_id == row.user_id).values(disabled=False))
                audit.record(connection, "user_enable", resource="users", key=row.username, details={})
        return self.user(username)

    def change_role(self, username: str, role: str) -> User:
        """Give a user another role; their sessions end (AccountError for an unknown role, or to demote the last enabled admin).

        To admin or editor, two-factor sign-in becomes required: a user who
        has not set it up does so at their next sign-in. Back to analyst or
        viewer, it stays required (it is never weakened by a role change).
        """
        if role not in ROLES:
            raise AccountError(f"{role!r} is not a role: the roles are {', '.join(ROLES)}")
        with self._bookkeeping() as connection:
            row = self._known(connection, username)
            if row.role != role:
                self._lock_admins(connection)
                connection.execute(update(users).where(users.c.user_id == row.user_id).values(
                    role=role, totp_required=bool(row.totp_required) or role in TWO_FACTOR_ROLES))
                self._an_admin_is_left(connection, row, f"making it {_article(role)} {role}")
                ended = self._end_sessions(connection, row.user_id)
                audit.record(connection, "user_change", resource="users", key=row.username, details={
                    "changed": "role", "from": row.role, "to": role, "sessions_ended": ended,
                    "two_factor_required": bool(row.totp_required) or role in TWO_FACTOR_ROLES,
                })
        return self.user(username)

    def set_password(self, username: str, password: str) -> User:
        """Give a user a new password (WeakPassword if it is weak); their sessions end. Their API tokens stay valid."""
        with self.database.reading() as connection:
            name = self._known(connection, username).username
        secret = check_password(password, name)
        password_hash = self.hasher.hash(secret)
        with self._bookkeeping() as connection:
            row = self._known(connection, name)
            connection.execute(update(users).where(users.c.user_id == row.user_id).values(
                password_hash=password_hash, password_changed_at=self.clock()))
            ended = self._end_sessions(connection, row.user_id)
            audit.record(connection, "user_change", resource="users", key=row.username,
                         details={"changed": "password", "sessions_ended": ended})
        return self.user(name)

    def _end_sessions(self, connection: Connection, user_id: int) -> int:
        return connection.execute(delete(user_sessions).where(user_sessions.c.user_id == user_id)).rowcount

    def _lock_admins(self, connection: Connection) -> None:
        """Lock the rows of the enabled admins until the transaction ends (PostgreSQL), so that two
        concurrent demotions cannot both see the other admin still there. SQLite locks the whole
        database at the first write, before `_an_admin_is_left` counts."""
        connection.execute(select(users.c.user_id).where(users.c.role == "admin", users.c.disabled.is_(False))
                           .with_for_update()).all()

    def _an_admin_is_left(self, connection: Connection, before, what: str) -> None:
        """After changing the user `before` was: AccountError (the transaction rolls back) when no enabled admin is left."""
        if before.role != "admin" or before.disabled:
            return
        left = connection.execute(select(func.count()).select_from(users)
                                  .where(users.c.role == "admin", users.c.disabled.is_(False))).scalar_one()
        if left == 0:
            raise AccountError(
                f"{before.username} is the last enabled admin: {what} would leave nobody who may manage the accounts; "
                f"make another user an admin first (chronicle user role NAME admin)"
            )

    # ------------------------------------------------------------------
    # API tokens

    def add_token(self, username: str, *, label: str | None = None, expires_days: int | None = None) -> NewToken:
        """A new API token for a user (not a disabled one); the token is in the answer, and nowhere else."""
        shown = check_token_label(label)
        days = check_token_days(expires_days)
        now = self.clock()
        token = TOKEN_PREFIX + secrets.token_urlsafe(TOKEN_BYTES)
        expires_at = now + timedelta(days=days) if days is not None else None
        with self._bookkeeping() as connection:
            row = self._known(connection, username)
            if row.disabled:
                raise AccountError(f"{row.username} is disabled: enable it first (chronicle user enable {row.username})")
            token_id = connection.execute(insert(api_tokens).values(
                user_id=row.user_id, token_hash=token_hash(token), label=shown, created_at=now, expires_at=expires_at,
            )).inserted_primary_key[0]
            audit.record(connection, "user_change", resource="users", key=row.username, details={
                "changed": "api_token", "token": "added", "token_id": token_id,
                "expires_at": _moment(expires_at),
            })
        info = ApiToken(token_id=token_id, username=row.username, label=shown, created_at=now, expires_at=expires_at,
                        last_used_at=None, revoked_at=None)
        return NewToken(token=token, info=info)

    def tokens(self, username: str | None = None) -> list[ApiToken]:
        """The API tokens, of one user or of all, revoked and expired ones too, oldest first."""
        query = (select(api_tokens, users.c.username).join(users, users.c.user_id == api_tokens.c.user_id)
                 .order_by(api_tokens.c.token_id))
        with self.database.reading() as connection:
            if username is not None:
                query = query.where(api_tokens.c.user_id == self._known(connection, username).user_id)
            return [_token(row) for row in connection.execute(query)]

    def token(self, token_id: int) -> ApiToken | None:
        with self.database.reading() as connection:
            row = connection.execute(select(api_tokens, users.c.username).join(users, users.c.user_id == api_tokens.c.user_id)
                                     .where(api_tokens.c.token_id == token_id)).first()
        return _token(row) if row is not None else None

    def revoke_token(self, token_id: int) -> ApiToken:
        """Revoke an API token at once (NotFoundError if there is none); revoking a revoked one changes nothing."""
        now = self.clock()
        with self._bookkeeping() as connection:
            row = connection.execute(select(api_tokens, users.c.username).join(users, users.c.user_id == api_tokens.c.user_id)
                                     .where(api_tokens.c.token_id == token_id)).first()
            if row is None:
                raise NotFoundError(f"there is no API token {token_id}")
            if row.revoked_at is None:
                connection.execute(update(api_tokens).where(api_tokens.c.token_id == token_id).values(revoked_at=now))
                audit.record(connection, "user_change", resource="users", key=row.username,
                             details={"changed": "api_token", "token": "revoked", "token_id": token_id})
        return self.token(token_id)

    def check_token(self, token: str, address: str) -> TokenCheck:
        """Who an API token acts for: `ok` with the user, `refused`, or `locked` when the address failed too often of late.

        A locked address is refused even a good token, unchecked, until the
        lock ends. Each refusal outside a lock is an audit entry
        (`sign_in_failed`, step `api_token`) and counts towards the lock.
        """
        now = self.clock()
        hashed = token_hash(token or "")
        with self._bookkeeping() as connection:
            locked = self._token_locked(connection, address, now)
            if locked is not None:
                return locked
            row = connection.execute(
                select(api_tokens, users.c.username, users.c.display_name, users.c.role, users.c.disabled,
                       users.c.created_at.label("user_created_at"), users.c.totp_required, users.c.totp_secret)
                .join(users, users.c.user_id == api_tokens.c.user_id)
                .where(api_tokens.c.token_hash == hashed)
            ).first()
            reason = ("unknown" if row is None else "revoked" if row.revoked_at is not None
                      else "expired" if row.expires_at is not None and now >= row.expires_at
                      else "user_disabled" if row.disabled else None)
            if reason is not None:
                self._forget_old_failures(connection, now)
                connection.execute(insert(sign_in_failures).values(
                    username_hash=_hash_text(_TOKEN_FAILURES), address_hash=_hash_text(address or "unknown"), failed_at=now))
            elif row.last_used_at is None or now - row.last_used_at >= self.policy.touch_interval:
                connection.execute(update(api_tokens).where(api_tokens.c.token_id == row.token_id).values(last_used_at=now))
        if reason is not None:
            username = row.username if row is not None else None
            audit.record_event(self.database, "sign_in_failed", resource="users", key=username, actor=username or "anonymous",
                               details={"step": "api_token", "outcome": "refused", "reason": reason,
                                        "known_user": username is not None, "token_id": row.token_id if row is not None else None})
            return TokenCheck("refused", message=TOKEN_REFUSED)
        user = User(user_id=row.user_id, username=row.username, display_name=row.display_name, role=row.role,
                    disabled=bool(row.disabled), created_at=row.user_created_at, two_factor=row.totp_secret is not None,
                    two_factor_required=bool(row.totp_required) or row.role in TWO_FACTOR_ROLES)
        return TokenCheck("ok", user=user, token_id=row.token_id)

    def _token_locked(self, connection: Connection, address: str, now: datetime) -> TokenCheck | None:
        policy = self.policy
        horizon = now - policy.failure_window - policy.lock_duration
        times = connection.execute(
            select(sign_in_failures.c.failed_at)
            .where(sign_in_failures.c.failed_at >= horizon,
                   sign_in_failures.c.username_hash == _hash_text(_TOKEN_FAILURES),
                   sign_in_failures.c.address_hash == _hash_text(address or "unknown"))
            .order_by(sign_in_failures.c.failed_at, sign_in_failures.c.failure_id)
        ).scalars().all()
        until = lock_end(list(times), policy.token_failures, policy.failure_window, policy.lock_duration)
        if until is not None and until > now:
            minutes = -(-(until - now) // timedelta(minutes=1))
            return TokenCheck("locked", retry_after=until - now,
                              message=f"too many refused API tokens from this address: try again in {minutes} "
                                      f"minute{'s' if minutes != 1 else ''}")
        return None

    def reset_two_factor(self, username: str) -> User:
        """Forget a user's TOTP secret and recovery codes and end their sessions; they set it up again at the next sign-in."""
        with self._bookkeeping() as connection:
            row = self._known(connection, username)
            connection.execute(update(users).where(users.c.user_id == row.user_id).values(
                totp_secret=None, totp_enabled_at=None, totp_last_step=None, totp_required=True,
            ))
            connection.execute(delete(recovery_codes).where(recovery_codes.c.user_id == row.user_id))
            ended = connection.execute(delete(user_sessions).where(user_sessions.c.user_id == row.user_id)).rowcount
            audit.record(connection, "user_reset_2fa", resource="users", key=row.username, details={"sessions_ended": ended})
        return self.user(username)

    def unused_recovery_codes(self, username: str) -> int:
        with self.database.reading() as connection:
            row = self._known(connection, username)
            return connection.execute(
                select(func.count()).select_from(recovery_codes)
                .where(recovery_codes.c.user_id == row.user_id, recovery_codes.c.used_at.is_(None))
            ).scalar_one()

    # ------------------------------------------------------------------
    # Signing in

    def sign_in(self, username: str, password: str, address: str) -> SignIn:
        """The first step: the password. See `SignIn` for the outcomes."""
        now = self.clock()
        name = normalise_username(username)
        with self._bookkeeping() as connection:
            self._forget_old_failures(connection, now)
            connection.execute(delete(user_sessions).where(user_sessions.c.expires_at <= now))
            row = connection.execute(select(users).where(users.c.username == name)).first()
            locked = self._locked(connection, name, address, now)
            if locked is None:
                # Counted as failed until it succeeds, so that attempts sent at once cannot pass the limit together.
                attempt = self._record_failure(connection, name, address, now)
        if locked is not None:
            return self._refused(locked, "password", row)
        good = self._verify(row.password_hash if row is not None else None, password)
        if row is None or not good or row.disabled:
            return self._refused(SignIn("refused", message=REFUSED), "password", row)
        with self._bookkeeping() as connection:
            connection.execute(delete(sign_in_failures).where(sign_in_failures.c.failure_id == attempt))
            self._rehash_if_needed(connection, row, password)
            user = _user(row)
            if user.two_factor:
                return SignIn(CODE, token=self._open_session(connection, row.user_id, CODE, now))
            if user.two_factor_required:
                return SignIn(SETUP, token=self._open_session(connection, row.user_id, SETUP, now))
            self._forget_failures_of(connection, name, address)
            token = self._open_session(connection, row.user_id, ACTIVE, now)
            self._signed_in(connection, row.username, "password")
            return SignIn("signed_in", token=token)

    def confirm_code(self, token: str, code: str, address: str) -> SignIn:
        """The second step: a TOTP code, or a recovery code, for a pending session of stage `code`."""
        now = self.clock()
        with self._bookkeeping() as connection:
            pending = self._session_row(connection, token, now, stages=(CODE,))
            if pending is None:
                return SignIn("refused", message=EXPIRED)
            locked, attempt, attempts = self._count_code_attempt(connection, pending, address, now)
        if locked is not None:
            return self._refused(locked, "code", pending)
        with self._bookkeeping() as connection:
            second = self._use_second_factor(connection, pending, code, now)
            if second is None:
                if attempts >= self.policy.code_attempts:
                    connection.execute(delete(user_sessions).where(user_sessions.c.token_hash == pending.token_hash))
        if second is None:
            return self._refused(SignIn("refused", message=REFUSED), "code", pending)
        with self._bookkeeping() as connection:
            connection.execute(delete(sign_in_failures).where(sign_in_failures.c.failure_id == attempt))
            self._forget_failures_of(connection, pending.username, address)
            connection.execute(delete(user_sessions).where(user_sessions.c.token_hash == pending.token_hash))
            token = self._open_session(connection, pending.user_id, ACTIVE, now)
            self._signed_in(connection, pending.username, second)
            return SignIn("signed_in", token=token)

    def two_factor_setup(self, token: str) -> TwoFactorSetup | None:
        """The secret to set up in an authenticator, for a session of stage `setup` or a signed-in one (None: no such session).

        The same secret is shown again until a code from it is confirmed.
        """
        now = self.clock()
        with self._bookkeeping() as connection:
            row = self._session_row(connection, token, now, stages=(SETUP, ACTIVE))
        if row is None:
            return None
        secret = row.totp_setup_secret
        if secret is None:
            secret = pyotp.random_base32(length=32)
            with self.database.transaction() as connection:
                connection.execute(update(user_sessions).where(user_sessions.c.token_hash == row.token_hash)
                                   .values(totp_setup_secret=secret))
        return TwoFactorSetup(secret=secret, uri=pyotp.TOTP(secret).provisioning_uri(name=row.username, issuer_name=ISSUER))

    def confirm_two_factor_setup(self, token: str, code: str, address: str, *, password: str | None = None
                                 ) -> tuple[SignIn, list[str]]:
        """Confirm the secret of `two_factor_setup` with a code from it: gives the new recovery codes, shown once.

        From a session of stage `setup` the answer's token is a new signed-in
        session; from a signed-in session (setting up a new authenticator) the
        password is asked again, and the user's other sessions end.
        """
        now = self.clock()
        with self._bookkeeping() as connection:
            row = self._session_row(connection, token, now, stages=(SETUP, ACTIVE))
            if row is None or row.totp_setup_secret is None:
                return SignIn("refused", message=EXPIRED), []
            locked, attempt, attempts = self._count_code_attempt(connection, row, address, now)
        if locked is not None:
            return self._refused(locked, "setup", row), []
        good_password = row.stage == SETUP or self._verify(row.password_hash, password or "")
        step = _matching_step(row.totp_setup_secret, code, now)
        if step is None or not good_password:
            if row.stage == SETUP and attempts >= self.policy.code_attempts:
                with self._bookkeeping() as connection:
                    connection.execute(delete(user_sessions).where(user_sessions.c.token_hash == row.token_hash))
            return self._refused(SignIn("refused", message=REFUSED), "setup", row), []
        with self.database.transaction() as connection:
            connection.execute(delete(sign_in_failures).where(sign_in_failures.c.failure_id == attempt))
            connection.execute(update(users).where(users.c.user_id == row.user_id).values(
                totp_secret=row.totp_setup_secret, totp_enabled_at=now, totp_last_step=step, totp_required=True,
            ))
            codes = self._new_recovery_codes(connection, row.user_id, now)
            if row.stage == SETUP:
                connection.execute(delete(user_sessions).where(user_sessions.c.token_hash == row.token_hash))
                self._forget_failures_of(connection, row.username, address)
                token = self._open_session(connection, row.user_id, ACTIVE, now)
                self._signed_in(connection, row.username, "totp_setup")
                return SignIn("signed_in", token=token), codes
            connection.execute(delete(user_sessions).where(
                user_sessions.c.user_id == row.user_id, user_sessions.c.token_hash != row.token_hash))
            connection.execute(update(user_sessions).where(user_sessions.c.token_hash == row.token_hash)
                               .values(totp_setup_secret=None, code_attempts=0))
            audit.record(connection, "user_change", resource="users", key=row.username, actor=row.username,
                         details={"changed": "two_factor", "other_sessions_ended": True})
            return SignIn("signed_in", token=token), codes

    # ------------------------------------------------------------------
    # Sessions

    def session(self, token: str | None, *, stages: tuple[str, ...] = (ACTIVE,)) -> Session | None:
        """The session of a token, if it has not ended and is of one of `stages`; notes that it was used."""
        if not token:
            return None
        now = self.clock()
        with self._bookkeeping() as connection:
            row = self._session_row(connection, token, now, stages=stages)
            if row is None:
                return None
            last_seen = row.last_seen
            if now - last_seen >= self.policy.touch_interval:
                connection.execute(update(user_sessions).where(user_sessions.c.token_hash == row.token_hash).values(last_seen=now))
                last_seen = now
        user = User(
            user_id=row.user_id, username=row.username, display_name=row.display_name, role=row.role, disabled=bool(row.disabled),
            created_at=row.user_created_at, two_factor=row.totp_secret is not None,
            two_factor_required=bool(row.totp_required) or row.role in TWO_FACTOR_ROLES,
        )
        return Session(token_hash=row.token_hash, user=user, stage=row.stage, created_at=row.created_at,
                       last_seen=last_seen, expires_at=min(row.expires_at, last_seen + self.policy.session_idle)
                       if row.stage == ACTIVE else row.expires_at)

    def sign_out(self, token: str | None) -> None:
        if not token:
            return
        with self._bookkeeping() as connection:
            row = connection.execute(
                select(users.c.username).join(user_sessions, users.c.user_id == user_sessions.c.user_id)
                .where(user_sessions.c.token_hash == token_hash(token))
            ).first()
            connection.execute(delete(user_sessions).where(user_sessions.c.token_hash == token_hash(token)))
            if row is not None:
                audit.record(connection, "sign_out", resource="users", key=row.username, actor=row.username, details={})

    def sign_out_everywhere(self, username: str) -> int:
        """End every session of a user; how many there were."""
        with self._bookkeeping() as connection:
            row = self._known(connection, username)
            ended = connection.execute(delete(user_sessions).where(user_sessions.c.user_id == row.user_id)).rowcount
            audit.record(connection, "sign_out", resource="users", key=row.username, actor=row.username,
                         details={"everywhere": True, "sessions_ended": ended})
            return ended

    def sessions_of(self, username: str) -> int:
        """How many signed-in sessions a user has that have not ended."""
        now = self.clock()
        with self.database.reading() as connection:
            row = self._known(connection, username)
            return connection.execute(
                select(func.count()).select_from(user_sessions).where(
                    user_sessions.c.user_id == row.user_id, user_sessions.c.stage == ACTIVE,
                    user_sessions.c.expires_at > now, user_sessions.c.last_seen > now - self.policy.session_idle,
                )
            ).scalar_one()

    # ------------------------------------------------------------------
    # Inside

    @contextmanager
    def _bookkeeping(self) -> Iterator[Connection]:
        """A transaction on the account tables only: not counted in `database.writes`.

        The register did not change, so the caches of figures and person
        lists stay valid: a signed-in request must not make them start
        again. Writes of the TOTP secrets, which are encrypted, go through
        `database.transaction()` and its key check instead.
        """
        try:
            with self.database.engine.begin() as connection:
                yield connection
        except OperationalError as error:
            raise DatabaseError(f"the database refused the change: {error.orig}") from None

    def _verify(self, password_hash: str | None, password: str) -> bool:
        """Whether the password matches; an unknown user (no hash) costs the same work and fails."""
        if password_hash is None:
            if self._dummy_hash is None:
                self._dummy_hash = self.hasher.hash(secrets.token_urlsafe(16))
            password_hash = self._dummy_hash
            password = "\x00" + (password or "")  # never the dummy's password
        try:
            return self.hasher.verify(password_hash, unicodedata.normalize("NFC", password or ""))
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    def _rehash_if_needed(self, connection: Connection, row, password: str) -> None:
        if self.hasher.check_needs_rehash(row.password_hash):
            connection.execute(update(users).where(users.c.user_id == row.user_id).values(
                password_hash=self.hasher.hash(unicodedata.normalize("NFC", password))))

    def _open_session(self, connection: Connection, user_id: int, stage: str, now: datetime) -> str:
        token = secrets.token_urlsafe(32)
        lifetime = self.policy.session_lifetime if stage == ACTIVE else self.policy.pending_lifetime
        connection.execute(insert(user_sessions).values(
            token_hash=token_hash(token), user_id=user_id, stage=stage, created_at=now, last_seen=now,
            expires_at=now + lifetime, code_attempts=0,
        ))
        return token

    def _session_row(self, connection: Connection, token: str, now: datetime, *, stages: tuple[str, ...]):
        """The session and its user, if the session has not ended; an ended one is deleted."""
        hashed = token_hash(token)
        row = connection.execute(
            select(user_sessions, users.c.username, users.c.display_name, users.c.role, users.c.disabled,
                   users.c.created_at.label("user_created_at"), users.c.totp_required, users.c.totp_secret,
                   users.c.totp_last_step, users.c.password_hash)
            .join(users, users.c.user_id == user_sessions.c.user_id)
            .where(user_sessions.c.token_hash == hashed)
        ).first()
        if row is None:
            return None
        ended = now >= row.expires_at or row.disabled or (row.stage == ACTIVE and now - row.last_seen >= self.policy.session_idle)
        if ended:
            connection.execute(delete(user_sessions).where(user_sessions.c.token_hash == hashed))
            return None
        return row if row.stage in stages else None

    def _use_second_factor(self, connection: Connection, pending, code: str, now: datetime) -> str | None:
        """Accept a TOTP code (each time step once) or an unused recovery code, and mark it used: `totp`, `recovery_code` or None."""
        text = _normalise_code(code)
        if re.fullmatch(r"\d{6}", text):
            step = _matching_step(pending.totp_secret, text, now)
            if step is None:
                return None
            used = connection.execute(
                update(users).where(users.c.user_id == pending.user_id,
                                    or_(users.c.totp_last_step.is_(None), users.c.totp_last_step < step))
                .values(totp_last_step=step)
            )
            return "totp" if used.rowcount == 1 else None
        if len(text) != RECOVERY_LENGTH:
            return None
        used = connection.execute(
            update(recovery_codes).where(and_(recovery_codes.c.user_id == pending.user_id,
                                              recovery_codes.c.code_hash == _hash_text(text),
                                              recovery_codes.c.used_at.is_(None)))
            .values(used_at=now)
        )
        return "recovery_code" if used.rowcount == 1 else None

    def _new_recovery_codes(self, connection: Connection, user_id: int, now: datetime) -> list[str]:
        codes = [_recovery_code() for _ in range(RECOVERY_CODES)]
        connection.execute(delete(recovery_codes).where(recovery_codes.c.user_id == user_id))
        connection.execute(insert(recovery_codes), [
            {"user_id": user_id, "code_hash": _hash_text(_normalise_code(code)), "created_at": now} for code in codes
        ])
        return codes

    # The audit log

    def _signed_in(self, connection: Connection, username: str, second_factor: str) -> None:
        audit.record(connection, "sign_in", resource="users", key=username, actor=username,
                     details={"second_factor": second_factor})

    def _refused(self, answer: SignIn, step: str, row) -> SignIn:
        """The refusal, after its audit entry (the username only of an account that exists).

        Refusals under a lock get none: the lock bounds how many entries a flood of attempts makes.
        """
        if answer.outcome == "locked":
            return answer
        username = row.username if row is not None else None
        audit.record_event(self.database, "sign_in_failed", resource="users", key=username, actor=username or "anonymous",
                           details={"step": step, "outcome": answer.outcome, "known_user": username is not None})
        return answer

    # Rate limits

    def _count_code_attempt(self, connection: Connection, session, address: str, now: datetime) -> tuple[SignIn | None, int, int]:
        """(a `locked` answer or None, the failure row counted until the code is good, the session's attempts so far)."""
        locked = self._locked(connection, session.username, address, now)
        if locked is not None:
            return locked, 0, session.code_attempts
        attempt = self._record_failure(connection, session.username, address, now)
        attempts = session.code_attempts + 1
        connection.execute(update(user_sessions).where(user_sessions.c.token_hash == session.token_hash).values(code_attempts=attempts))
        return None, attempt, attempts

    def _record_failure(self, connection: Connection, username: str, address: str, now: datetime) -> int:
        result = connection.execute(insert(sign_in_failures).values(
            username_hash=_hash_text(normalise_username(username)), address_hash=_hash_text(address or "unknown"), failed_at=now,
        ))
        return result.inserted_primary_key[0]

    def _forget_failures_of(self, connection: Connection, username: str, address: str) -> None:
        connection.execute(delete(sign_in_failures).where(
            sign_in_failures.c.username_hash == _hash_text(normalise_username(username)),
            sign_in_failures.c.address_hash == _hash_text(address or "unknown"),
        ))

    def _forget_old_failures(self, connection: Connection, now: datetime) -> None:
        horizon = now - self.policy.failure_window - self.policy.lock_duration
        connection.execute(delete(sign_in_failures).where(sign_in_failures.c.failed_at < horizon))

    def _locked(self, connection: Connection, username: str, address: str, now: datetime) -> SignIn | None:
        """A `locked` answer when the pair, the address or the username has failed too often of late."""
        policy = self.policy
        horizon = now - policy.failure_window - policy.lock_duration
        name_hash = _hash_text(normalise_username(username))
        address_hash = _hash_text(address or "unknown")
        rows = connection.execute(
            select(sign_in_failures.c.username_hash, sign_in_failures.c.address_hash, sign_in_failures.c.failed_at)
            .where(sign_in_failures.c.failed_at >= horizon,
                   or_(sign_in_failures.c.username_hash == name_hash, sign_in_failures.c.address_hash == address_hash))
            .order_by(sign_in_failures.c.failed_at, sign_in_failures.c.failure_id)
        ).all()
        groups = (
            ([row.failed_at for row in rows if row.username_hash == name_hash and row.address_hash == address_hash], policy.pair_failures),
            ([row.failed_at for row in rows if row.address_hash == address_hash], policy.address_failures),
            ([row.failed_at for row in rows if row.username_hash == name_hash], policy.username_failures),
        )
        until = max((lock_end(times, limit, policy.failure_window, policy.lock_duration) or now for times, limit in groups), default=now)
        if until > now:
            minutes = -(-(until - now) // timedelta(minutes=1))
            return SignIn("locked", retry_after=until - now,
                          message=f"Too many failed sign-ins: try again in {minutes} minute{'s' if minutes != 1 else ''}.")
        return None


def _article(role: str) -> str:
    return "an" if role[0] in "aeiou" else "a"


def lock_end(times: list[datetime], limit: int, window: timedelta, duration: timedelta) -> datetime | None:
    """When the last lock ends that `limit` failures within `window` started (None: no lock), from failure times in order.

    A lock starts at the failure that makes `limit` within `window` and lasts
    `duration`; attempts during a lock are refused unchecked and not counted.
    """
    recent: deque[datetime] = deque()
    until = None
    for moment in times:
        if until is not None and moment < until:
            continue
        recent.append(moment)
        while recent and recent[0] <= moment - window:
            recent.popleft()
        if len(recent) >= limit:
            until = moment + duration
            recent.clear()
    return until


def _matching_step(secret: str | None, code: str, now: datetime) -> int | None:
    """The time step whose TOTP code `code` is (now, or one step either side, for clocks that differ), else None."""
    text = _normalise_code(code)
    if secret is None or not re.fullmatch(r"\d{6}", text):
        return None
    totp = pyotp.TOTP(secret)
    current = totp.timecode(now.timestamp())
    for step in (current, current - 1, current + 1):
        if hmac.compare_digest(totp.generate_otp(step), text):
            return step
    return None
