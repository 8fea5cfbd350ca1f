"""Who is asking, and what they may do: the one place the web app decides access.

Every route names the permission it needs through `require(PERMISSION)`, a
FastAPI dependency, or declares itself public with `public`. The routes and
their permissions are listed in `ROUTE_PERMISSIONS`, which a test compares
with the app's routes, so a new route without an entry fails the tests.

Who the caller is comes from `identify`: the signed-in user of the
request's session cookie (chronicle/accounts.py), with their role, or the
anonymous public. On the JSON API (/api/v1/...) a request with an
`Authorization` header is the user of its API token instead, with that
user's role: a header that is not `Bearer <a valid token>` gets 401 (429
while its address is locked for too many bad tokens), never the public's
answer. HTML pages ignore the header: tokens are for scripts. A server
started for a single local operator (`WebSettings.local_operator`:
`chronicle demo`, and `chronicle serve --local-operator` on a loopback
address) takes every caller for that operator, who acts as an admin.

The session cookie is `__Host-chronicle-session` (Secure, HttpOnly,
SameSite=Strict) when the request came over HTTPS or the settings say
cookies are always Secure; plain HTTP is honoured only from a loopback
address, for development, where the cookie is `chronicle-session`. Every
request that changes something and carries a session cookie must carry
its CSRF token too (`csrf_token`: derived from the session token, so bound
to the session): the app's middleware checks it in one place.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
from contextvars import ContextVar
from dataclasses import dataclass
from http.cookies import CookieError, SimpleCookie
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request
from markupsafe import Markup, escape

from chronicle import audit
from chronicle.errors import ChronicleError

# Permissions
READ_INTERNAL = "read_internal"  # the internal register: every person, events, cases, sources
READ_RESTRICTED = "read_restricted"  # restricted sources and restricted notes
EDIT = "edit"  # add and change records, intake, merge
IMPORT = "import"  # import data packages
EXPORT = "export"  # full exports
ADMIN = "admin"  # accounts and settings

ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    "admin": frozenset({READ_INTERNAL, READ_RESTRICTED, EDIT, IMPORT, EXPORT, ADMIN}),
    "editor": frozenset({READ_INTERNAL, READ_RESTRICTED, EDIT, IMPORT, EXPORT}),
    "analyst": frozenset({READ_INTERNAL, EXPORT}),
    "viewer": frozenset({READ_INTERNAL}),
}
ROLES = tuple(ROLE_PERMISSIONS)


class AccessDenied(ChronicleError):
    """The caller may not do this (HTTP 403, or a sign-in page for the anonymous)."""

    title = "Not allowed"

    def __init__(self, message: str, *, anonymous: bool):
        super().__init__(message)
        self.anonymous = anonymous


@dataclass(frozen=True)
class Principal:
    """The caller: a signed-in person with a role, or the anonymous public (`role` None)."""

    name: str
    role: str | None

    @property
    def anonymous(self) -> bool:
        return self.role is None

    def may(self, permission: str) -> bool:
        return self.role is not None and permission in ROLE_PERMISSIONS[self.role]


ANONYMOUS = Principal("anonymous", None)
LOCAL_OPERATOR = Principal("local operator", "admin")


SESSION_COOKIE = "chronicle-session"  # plain HTTP on a loopback address only
SECURE_SESSION_COOKIE = "__Host-chronicle-session"  # HTTPS: Secure, Path=/, no Domain
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"


def identify(request: Request) -> Principal:
    """The principal of a request (see the module's description)."""
    settings = request.app.state.settings
    if settings.local_operator:
        return LOCAL_OPERATOR
    if request.scope["path"].startswith(API_PREFIX) and "authorization" in request.headers:
        return token_principal(request)
    session = current_session(request)
    return Principal(session.user.username, session.user.role) if session is not None else ANONYMOUS


API_PREFIX = "/api/v1/"
BEARER_CHALLENGE = 'Bearer realm="chronicle"'


def token_principal(request: Request) -> Principal:
    """The user of the request's API token (`Authorization: Bearer <token>`); HTTPException 401 or 429 otherwise."""
    scheme, _, credentials = request.headers["authorization"].strip().partition(" ")
    credentials = credentials.strip()
    if scheme.lower() != "bearer" or not credentials:
        raise HTTPException(401, "the Authorization header must be 'Bearer <token>', with a token from "
                                 "'chronicle user token add'", headers={"WWW-Authenticate": BEARER_CHALLENGE})
    if not transport_allows_sessions(request.scope, request.app.state.settings):
        raise HTTPException(401, "API tokens are accepted over HTTPS only (or from this machine): the token was sent "
                                 "in the clear; revoke it (chronicle user token revoke) and make a new one",
                            headers={"WWW-Authenticate": BEARER_CHALLENGE})
    accounts = request.app.state.accounts
    check = accounts.check_token(credentials, request.client.host if request.client else "unknown")
    if check.outcome == "locked":
        seconds = max(1, int(check.retry_after.total_seconds() + 0.999))
        raise HTTPException(429, check.message, headers={"Retry-After": str(seconds)})
    if not check.ok:
        raise HTTPException(401, check.message, headers={"WWW-Authenticate": f'{BEARER_CHALLENGE}, error="invalid_token"'})
    return Principal(check.user.username, check.user.role)


def is_loopback_address(host: str | None) -> bool:
    if not host:
        return False
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def secure_cookies(scope: dict[str, Any], settings) -> bool:
    """Whether the session cookie is Secure (and `__Host-` named): over HTTPS, or always when the settings say so."""
    return scope.get("scheme") in ("https", "wss") or bool(getattr(settings, "secure_cookies", False))


def transport_allows_sessions(scope: dict[str, Any], settings) -> bool:
    """Sessions need HTTPS, except from a loopback address (development on one machine)."""
    if scope.get("scheme") in ("https", "wss"):
        return True
    client = scope.get("client")
    return is_loopback_address(client[0] if client else None)


def session_cookie_name(scope: dict[str, Any], settings) -> str:
    return SECURE_SESSION_COOKIE if secure_cookies(scope, settings) else SESSION_COOKIE


def session_token_of(scope: dict[str, Any], cookie_header: str | None, settings) -> str | None:
    """The session token a request carries, if its transport allows sessions."""
    if not cookie_header or not transport_allows_sessions(scope, settings):
        return None
    jar = SimpleCookie()
    try:
        jar.load(cookie_header)
    except CookieError:
        return None
    morsel = jar.get(session_cookie_name(scope, settings))
    return morsel.value if morsel is not None and morsel.value else None


def session_token(request: Request) -> str | None:
    """The request's session token: a new one issued while answering it, else its cookie's."""
    issued = getattr(request.state, "issued_session_token", None)
    if issued is not None:
        return issued or None
    return session_token_of(request.scope, request.headers.get("cookie"), request.app.state.settings)


def csrf_token(session: str | None) -> str:
    """The CSRF token of a session token: an HMAC of it, so it names the session without revealing its token."""
    if not session:
        return ""
    return hmac.new(session.encode("utf-8"), b"chronicle csrf token", hashlib.sha256).hexdigest()


def csrf_token_matches(session: str, sent: str | None) -> bool:
    return bool(sent) and hmac.compare_digest(csrf_token(session).encode(), sent.encode("utf-8", "replace"))


# The session token whose CSRF token the forms of the page being made carry: set for each request by the
# middleware, and again when a route gives the browser a new session.
_form_session: ContextVar[str | None] = ContextVar("chronicle_form_session", default=None)


def set_form_session(token: str | None):
    return _form_session.set(token)


def reset_form_session(handle) -> None:
    _form_session.reset(handle)


def csrf_field() -> Markup:
    """The hidden CSRF field, for the templates: `{{ csrf_field() }}` right after every `<form method="post">`.

    It must be the form's first field: the middleware reads only that far
    into a form's body to find it.
    """
    return Markup(f'<input type="hidden" name="{CSRF_FIELD}" value="{escape(csrf_token(_form_session.get()))}">')

def current_session(request: Request, stages: tuple[str, ...] = ("active",)):
    """The request's session (chronicle.accounts.Session) of one of `stages`, if it has not ended; else None."""
    cache = getattr(request.state, "sessions", None)
    if cache is None:
        cache = request.state.sessions = {}
    if stages not in cache:
        accounts = getattr(request.app.state, "accounts", None)
        token = session_token(request)
        cache[stages] = accounts.session(token, stages=stages) if accounts is not None and token else None
    return cache[stages]


def current_principal(request: Request) -> Principal:
    principal = getattr(request.state, "principal", None)
    if principal is None:
        principal = identify(request)
        request.state.principal = principal
    return principal


async def acting_principal(principal: Annotated[Principal, Depends(current_principal)]) -> Principal:
    """The principal, made the actor of the request's audit entries (chronicle.audit).

    Async on purpose: FastAPI runs sync dependencies in a copy of the
    request's context, so an actor set there would not reach the route.
    """
    audit.set_actor(principal.name)
    return principal


def require(permission: str):
    """A dependency that lets the request through only with `permission`; gives the principal."""

    def check(principal: Annotated[Principal, Depends(acting_principal)]) -> Principal:
        if not principal.may(permission):
            if principal.anonymous:
                raise AccessDenied("this page is for the group's staff: sign in first", anonymous=True)
            raise AccessDenied(f"your role ({principal.role}) may not do this", anonymous=False)
        return principal

    check.permission = permission  # type: ignore[attr-defined]
    return check


def public(principal: Annotated[Principal, Depends(acting_principal)]) -> Principal:
    """A dependency for routes that anyone may call; what they show may still depend on the principal."""
    return principal


PUBLIC = "public"

# Every route of the app: (method, path) -> the permission it requires, or PUBLIC.
# tests/test_web_access.py fails when a route is missing here or its dependency disagrees.
ROUTE_PERMISSIONS: dict[tuple[str, str], str] = {
    # Public site
    ("GET", "/"): PUBLIC,
    ("GET", "/public/prisoners"): PUBLIC,
    ("GET", "/public/prisoners/{person_id}"): PUBLIC,
    ("GET", "/public/open-data.zip"): PUBLIC,
    ("GET", "/public/feed.atom"): PUBLIC,
    ("GET", "/language/{code}"): PUBLIC,
    # Signing in and out, and one's own account (chronicle/web/views/auth.py). The sign-in steps and the
    # 2FA setup are open to all: they check the pending session themselves.
    ("GET", "/sign-in"): PUBLIC,
    ("POST", "/sign-in"): PUBLIC,
    ("GET", "/sign-in/code"): PUBLIC,
    ("POST", "/sign-in/code"): PUBLIC,
    ("POST", "/sign-out"): PUBLIC,
    ("GET", "/account/2fa"): PUBLIC,
    ("POST", "/account/2fa"): PUBLIC,
    ("GET", "/account"): READ_INTERNAL,  # every role has it: being signed in at all
    ("POST", "/account/sign-out-everywhere"): READ_INTERNAL,
    # Internal pages
    ("GET", "/dashboard"): READ_INTERNAL,
    ("GET", "/explain/{metric}"): READ_INTERNAL,
    ("GET", "/explain/{metric}.csv"): READ_INTERNAL,
    ("GET", "/persons"): READ_INTERNAL,
    ("GET", "/persons/{person_id}"): READ_INTERNAL,
    # JSON API
    ("GET", "/api/v1/persons"): PUBLIC,  # anonymous callers get the public view
    ("GET", "/api/v1/persons/{person_id}"): PUBLIC,  # likewise
    ("GET", "/api/v1/figures"): PUBLIC,  # counts name nobody
    ("GET", "/api/v1/series/{metric}"): PUBLIC,
    ("GET", "/api/v1/explain/{metric}"): READ_INTERNAL,
    # Editing and the records besides persons (chronicle/web/views/records.py)
    ("GET", "/persons/new"): EDIT,
    ("POST", "/persons/new"): EDIT,
    ("GET", "/persons/{person_id}/edit"): EDIT,
    ("POST", "/persons/{person_id}/edit"): EDIT,
    ("POST", "/persons/{person_id}/memberships"): EDIT,
    ("POST", "/persons/{person_id}/memberships/{organisation_id}/retract"): EDIT,
    ("GET", "/persons/{person_id}/events/new"): EDIT,
    ("POST", "/persons/{person_id}/events/new"): EDIT,
    ("GET", "/events/{event_id}/edit"): EDIT,
    ("POST", "/events/{event_id}/edit"): EDIT,
    ("GET", "/events/{event_id}/retract"): EDIT,
    ("POST", "/events/{event_id}/retract"): EDIT,
    ("GET", "/cases"): READ_INTERNAL,
    ("GET", "/cases/new"): EDIT,
    ("POST", "/cases/new"): EDIT,
    ("GET", "/cases/{case_id}"): READ_INTERNAL,
    ("GET", "/cases/{case_id}/edit"): EDIT,
    ("POST", "/cases/{case_id}/edit"): EDIT,
    ("GET", "/organisations"): READ_INTERNAL,
    ("GET", "/organisations/new"): EDIT,
    ("POST", "/organisations/new"): EDIT,
    ("GET", "/organisations/{organisation_id}"): READ_INTERNAL,
    ("GET", "/organisations/{organisation_id}/edit"): EDIT,
    ("POST", "/organisations/{organisation_id}/edit"): EDIT,
    ("GET", "/sources"): READ_INTERNAL,
    ("GET", "/sources/new"): EDIT,
    ("POST", "/sources/new"): EDIT,
    ("GET", "/sources/{source_id}"): READ_INTERNAL,
    ("GET", "/sources/{source_id}/edit"): EDIT,
    ("POST", "/sources/{source_id}/edit"): EDIT,
    # JSON API of editing and of the records besides persons (records.py): the same permissions as the pages
    ("GET", "/api/v1/events"): READ_INTERNAL,
    ("DELETE", "/api/v1/events/{event_id}"): EDIT,
    ("GET", "/api/v1/memberships"): READ_INTERNAL,
    ("PUT", "/api/v1/memberships/{person_id}/{organisation_id}"): EDIT,
    ("DELETE", "/api/v1/memberships/{person_id}/{organisation_id}"): EDIT,
    ("POST", "/api/v1/persons"): EDIT,
    ("PUT", "/api/v1/persons/{person_id}"): EDIT,
    ("GET", "/api/v1/persons/{person_id}/history"): READ_INTERNAL,
    ("POST", "/api/v1/events"): EDIT,
    ("PUT", "/api/v1/events/{event_id}"): EDIT,
    ("GET", "/api/v1/events/{event_id}/history"): READ_INTERNAL,
    ("GET", "/api/v1/events/{event_id}"): READ_INTERNAL,
    ("POST", "/api/v1/cases"): EDIT,
    ("PUT", "/api/v1/cases/{case_id}"): EDIT,
    ("GET", "/api/v1/cases/{case_id}/history"): READ_INTERNAL,
    ("GET", "/api/v1/cases/{case_id}"): READ_INTERNAL,
    ("GET", "/api/v1/cases"): READ_INTERNAL,
    ("POST", "/api/v1/organisations"): EDIT,
    ("PUT", "/api/v1/organisations/{organisation_id}"): EDIT,
    ("GET", "/api/v1/organisations/{organisation_id}/history"): READ_INTERNAL,
    ("GET", "/api/v1/organisations/{organisation_id}"): READ_INTERNAL,
    ("GET", "/api/v1/organisations"): READ_INTERNAL,
    ("POST", "/api/v1/sources"): EDIT,
    ("PUT", "/api/v1/sources/{source_id}"): EDIT,
    ("GET", "/api/v1/sources/{source_id}/history"): READ_INTERNAL,
    ("GET", "/api/v1/sources/{source_id}"): READ_INTERNAL,
    ("GET", "/api/v1/sources"): READ_INTERNAL,
    ("POST", "/api/v1/memberships"): EDIT,
    # Intake and data packages (chronicle/web/views/intake.py, packages.py)
    ("GET", "/intake"): READ_INTERNAL,
    ("POST", "/intake"): EDIT,
    ("POST", "/intake/accept"): EDIT,
    ("GET", "/packages"): READ_INTERNAL,
    ("POST", "/packages/import"): IMPORT,
    ("GET", "/packages/export.zip"): EXPORT,  # the full export, or with ?public=true the public one
    ("POST", "/api/v1/extract"): READ_INTERNAL,
    ("POST", "/api/v1/match"): READ_INTERNAL,
    # Duplicates and merges (chronicle/web/views/duplicates.py)
    ("GET", "/duplicates"): READ_INTERNAL,
    ("GET", "/api/v1/duplicates"): READ_INTERNAL,
    ("GET", "/persons/{person_id}/duplicates"): READ_INTERNAL,
    ("GET", "/api/v1/persons/{person_id}/duplicates"): READ_INTERNAL,
    ("GET", "/merges"): READ_INTERNAL,
    ("GET", "/api/v1/merges"): READ_INTERNAL,
    ("POST", "/persons/merge"): EDIT,
    ("POST", "/merges/{merge_id}/unmerge"): EDIT,
    ("POST", "/duplicates/not-same"): EDIT,
    ("POST", "/api/v1/merges"): EDIT,
    ("POST", "/api/v1/merges/{merge_id}/unmerge"): EDIT,
}
