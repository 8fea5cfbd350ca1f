"""Signing in and out, two-factor sign-in, and one's own account (issue 7).

- `/sign-in`: username and password. A user with two-factor sign-in goes on
  to `/sign-in/code` (a TOTP code, or a recovery code); an admin or editor
  who has not set it up yet goes to `/account/2fa` and cannot do anything
  else until it is set up. Every refusal says the same, whatever was wrong.
- `/account/2fa`: the secret to type into an authenticator (and its
  otpauth:// URI), confirmed with a code from it; then the ten recovery
  codes, shown once.
- `/account`: who is signed in, and signing out everywhere; `/sign-out`.

The library (chronicle/accounts.py) does the work; this part sets and
clears the session cookie (see chronicle/web/access.py for its name and
flags). Sessions need HTTPS, except from a loopback address.
"""

from __future__ import annotations

import re
from typing import Annotated
from urllib.parse import urlencode, urlsplit

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response

from chronicle.accounts import ACTIVE, CODE, REFUSED, SETUP, Accounts, SignIn
from chronicle.web.access import (
    READ_INTERNAL,
    Principal,
    current_session,
    public,
    require,
    secure_cookies,
    session_cookie_name,
    session_token,
    set_form_session,
    transport_allows_sessions,
)
from chronicle.web.i18n import gettext_ as _
from chronicle.web.rendering import page, redirect

router = APIRouter()

PublicDep = Annotated[Principal, Depends(public)]
StaffDep = Annotated[Principal, Depends(require(READ_INTERNAL))]
FIELD = 1024  # longest username, password or code accepted in a form
TextField = Annotated[str, Form(max_length=FIELD)]
NextField = Annotated[str, Form(max_length=2000)]
DEFAULT_NEXT = "/dashboard"


def _accounts(request: Request) -> Accounts:
    return request.app.state.accounts


def safe_next(target: str | None) -> str:
    """Where to go after signing in: a path of this site only, never another site's address."""
    text = (target or "").strip()
    if not text.startswith("/") or text.startswith(("//", "/\\")) or re.search(r"[\x00-\x20\\\x7f]", text):
        return DEFAULT_NEXT
    parts = urlsplit(text)
    if parts.scheme or parts.netloc or parts.path.startswith(("/sign-in", "/sign-out", "/account/2fa")):
        return DEFAULT_NEXT
    return text


def _address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _no_store(answer: Response) -> Response:
    answer.headers["cache-control"] = "no-store"
    return answer


def adopt_session(request: Request, token: str | None) -> None:
    """Make what is rendered from now on belong to a new session (its CSRF token, its principal); None: to none."""
    request.state.issued_session_token = token or ""
    set_form_session(token)
    request.state.sessions = {}
    request.state.principal = None


def issue_session(request: Request, answer: Response, token: str | None) -> Response:
    """Give the browser a new session token (None: take its session away)."""
    settings = request.app.state.settings
    name = session_cookie_name(request.scope, settings)
    secure = secure_cookies(request.scope, settings)
    if token:
        answer.set_cookie(name, token, path="/", secure=secure, httponly=True, samesite="strict")
    else:
        answer.delete_cookie(name, path="/", secure=secure, httponly=True, samesite="strict")
    adopt_session(request, token)
    return _no_store(answer)


def _with_next(path: str, next_path: str) -> str:
    return path + ("?" + urlencode({"next": next_path}) if next_path != DEFAULT_NEXT else "")


def _sign_in_page(request: Request, *, next_path: str, message: str | None = None, username: str = "", status: int = 200):
    settings = request.app.state.settings
    context = {
        "title": _("Sign in"),
        "next": next_path,
        "message": message,
        "username": username,
        "local_operator": settings.local_operator,
        "needs_https": not transport_allows_sessions(request.scope, settings),
        "no_accounts": not settings.local_operator and _accounts(request).count() == 0,
    }
    return _no_store(page(request, "auth/sign_in.html", context, status_code=status))


def _after_step(request: Request, result: SignIn, next_path: str, *, username: str = "") -> Response:
    """The answer to a sign-in step: on to the next step, or the form again with the refusal."""
    if result.outcome == "signed_in":
        return issue_session(request, redirect(next_path), result.token)
    if result.outcome == CODE:
        return issue_session(request, redirect(_with_next("/sign-in/code", next_path)), result.token)
    if result.outcome == SETUP:
        return issue_session(request, redirect(_with_next("/account/2fa", next_path)), result.token)
    status = 429 if result.outcome == "locked" else 400
    answer = _sign_in_page(request, next_path=next_path, message=_(result.message), username=username, status=status)
    if result.retry_after is not None:
        answer.headers["retry-after"] = str(int(result.retry_after.total_seconds()) + 1)
    return answer


@router.get("/sign-in", summary="The sign-in form")
def sign_in_form(request: Request, principal: PublicDep, next: str = DEFAULT_NEXT):
    next_path = safe_next(next)
    if not principal.anonymous and not request.app.state.settings.local_operator:
        return redirect(next_path)
    return _sign_in_page(request, next_path=next_path)


@router.post("/sign-in", summary="Sign in with a username and password")
def sign_in(request: Request, principal: PublicDep, username: TextField = "", password: TextField = "", next: NextField = DEFAULT_NEXT):
    settings = request.app.state.settings
    next_path = safe_next(next)
    if settings.local_operator:
        return redirect(next_path)
    if not transport_allows_sessions(request.scope, settings):
        return _sign_in_page(request, next_path=next_path, status=403)
    result = _accounts(request).sign_in(username, password, _address(request))
    return _after_step(request, result, next_path, username=username)


def _code_page(request: Request, *, next_path: str, message: str | None = None, status: int = 200):
    context = {"title": _("Two-factor sign-in"), "next": next_path, "message": message}
    return _no_store(page(request, "auth/code.html", context, status_code=status))


@router.get("/sign-in/code", summary="The second step of signing in: a code from the authenticator")
def code_form(request: Request, principal: PublicDep, next: str = DEFAULT_NEXT):
    next_path = safe_next(next)
    if current_session(request, (CODE,)) is None:
        return redirect(_with_next("/sign-in", next_path))
    return _code_page(request, next_path=next_path)


@router.post("/sign-in/code", summary="Finish signing in with a TOTP code or a recovery code")
def code(request: Request, principal: PublicDep, code: TextField = "", next: NextField = DEFAULT_NEXT):
    next_path = safe_next(next)
    token = session_token(request)
    if not token or not transport_allows_sessions(request.scope, request.app.state.settings):
        return redirect(_with_next("/sign-in", next_path))
    if current_session(request) is not None:  # signed in already
        return redirect(next_path)
    result = _accounts(request).confirm_code(token, code, _address(request))
    if result.ok or result.outcome == "locked":
        return _after_step(request, result, next_path)
    if _accounts(request).session(token, stages=(CODE,)) is not None:
        return _code_page(request, next_path=next_path, message=_(REFUSED), status=400)
    # The pending sign-in has ended (too many wrong codes, or too slow): start again.
    return issue_session(request, _sign_in_page(request, next_path=next_path, message=_(result.message), status=400), None)


def _two_factor_page(request: Request, accounts: Accounts, token: str, session, *, next_path: str,
                     message: str | None = None, status: int = 200):
    setup = accounts.two_factor_setup(token)
    context = {
        "title": _("Two-factor sign-in"),
        "next": next_path,
        "message": message,
        "setup": setup,
        "secret_groups": [setup.secret[index : index + 4] for index in range(0, len(setup.secret), 4)],
        "first_time": session.stage == SETUP,
        "user": session.user,
    }
    return _no_store(page(request, "auth/two_factor.html", context, status_code=status))


@router.get("/account/2fa", summary="Set up two-factor sign-in")
def two_factor_form(request: Request, principal: PublicDep, next: str = DEFAULT_NEXT):
    next_path = safe_next(next)
    session = current_session(request, (SETUP, ACTIVE))
    token = session_token(request)
    if session is None or not token:
        return redirect(_with_next("/sign-in", "/account/2fa" if not principal.anonymous else next_path))
    return _two_factor_page(request, _accounts(request), token, session, next_path=next_path)


@router.post("/account/2fa", summary="Confirm two-factor sign-in with a code; shows the recovery codes once")
def two_factor_confirm(request: Request, principal: PublicDep, code: TextField = "", password: TextField = "",
                       next: NextField = DEFAULT_NEXT):
    next_path = safe_next(next)
    accounts = _accounts(request)
    session = current_session(request, (SETUP, ACTIVE))
    token = session_token(request)
    if session is None or not token:
        return redirect(_with_next("/sign-in", next_path))
    result, codes = accounts.confirm_two_factor_setup(token, code, _address(request),
                                                      password=password if session.stage == ACTIVE else None)
    if result.outcome == "signed_in":
        renewed = result.token != token
        if renewed:
            adopt_session(request, result.token)
        answer = page(request, "auth/recovery_codes.html", {"title": _("Recovery codes"), "codes": codes, "next": next_path})
        return issue_session(request, answer, result.token) if renewed else _no_store(answer)
    if result.outcome == "locked" or accounts.session(token, stages=(SETUP, ACTIVE)) is None:
        answer = _sign_in_page(request, next_path=next_path, message=_(result.message), status=429 if result.outcome == "locked" else 400)
        return issue_session(request, answer, None) if result.outcome != "locked" else answer
    return _two_factor_page(request, accounts, token, session, next_path=next_path, message=_(REFUSED), status=400)


@router.post("/sign-out", summary="Sign out: the session ends")
def sign_out(request: Request, principal: PublicDep):
    token = session_token(request)
    if token:
        _accounts(request).sign_out(token)
    return issue_session(request, redirect("/"), None)


@router.get("/account", summary="Who is signed in")
def account(request: Request, principal: StaffDep):
    accounts = _accounts(request)
    session = current_session(request)
    context = {
        "title": _("Your account"),
        "user": session.user if session is not None else None,
        "session": session,
        "sessions": accounts.sessions_of(session.user.username) if session is not None else 0,
        "recovery_left": accounts.unused_recovery_codes(session.user.username) if session is not None and session.user.two_factor else 0,
        "idle_hours": int(accounts.policy.session_idle.total_seconds() // 3600),
    }
    return _no_store(page(request, "auth/account.html", context))


@router.post("/account/sign-out-everywhere", summary="End every session of one's account, this one too")
def sign_out_everywhere(request: Request, principal: StaffDep):
    session = current_session(request)
    if session is not None:
        _accounts(request).sign_out_everywhere(session.user.username)
    return issue_session(request, redirect("/sign-in"), None)

