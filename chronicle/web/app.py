"""The web app: FastAPI with server-rendered Jinja2 pages, and the JSON API under /api/v1.

`create_app` builds the app in named steps: state, middleware, error
handlers, static files, then one router per part of the app (the public
site, the dashboard, explanations, persons, records, intake, data packages).
Each router's pages and their JSON twins call the library and render; no
page holds logic of its own.
"""

from __future__ import annotations

from http.cookies import SimpleCookie
from urllib.parse import unquote_plus

from fastapi import FastAPI, Request
from fastapi.responses import PlainTextResponse
from fastapi.staticfiles import StaticFiles

from chronicle import __version__
from chronicle.accounts import Accounts
from chronicle.database import Database
from chronicle.dates import utc_now
from chronicle.figures import Figures
from chronicle.person_index import PersonIndex
from chronicle.register import Register
from chronicle.web import i18n, public_cache
from chronicle.web.access import (
    CSRF_FIELD,
    CSRF_HEADER,
    LOCAL_OPERATOR,
    csrf_field,
    csrf_token_matches,
    reset_form_session,
    session_token_of,
    set_form_session,
)
from chronicle.web.rendering import HERE, install_error_handlers, log, make_templates, unexpected_answer
from chronicle.web.settings import VERSION_CHECK_SECONDS, WebSettings
from chronicle.web.views.packages import parse_options_header

__all__ = ["WebSettings", "create_app"]

SECURITY_HEADERS = [
    (b"content-security-policy",
     (b"default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
     b"connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=(), interest-cohort=()"),
]


SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def same_origin(scope, headers: dict[bytes, bytes]) -> bool:
    """Whether a request that changes something comes from this app's own pages (or from no browser page at all).

    Browsers name the page a request comes from (`Sec-Fetch-Site`, `Origin`); a
    form on another site must not make a signed-in browser write here. A
    request without those headers (a script, curl) is not a browser's
    cross-site request and passes; what it may do is decided by its permissions.
    """
    site = headers.get(b"sec-fetch-site", b"").decode("latin-1")
    if site:  # a current browser says it outright; Origin is "null" on its own forms under Referrer-Policy no-referrer
        return site in ("same-origin", "none")
    origin = headers.get(b"origin", b"").decode("latin-1")
    if not origin:
        return True
    host = headers.get(b"host", b"").decode("latin-1")
    scheme = scope.get("scheme", "http")
    return origin == f"{scheme}://{host}"


async def _refuse_cross_site(scope, send) -> None:
    wants_json = scope["path"].startswith("/api/")
    body = (
        b'{"ok": false, "title": "Not allowed", "error": "this request was sent from another web site; it is refused"}'
        if wants_json
        else b"<!doctype html><title>Not allowed</title><h1>Not allowed</h1><p>This form was sent from another web site; it is refused.</p>"
    )
    await _refuse(send, wants_json, body)


async def _refuse_without_csrf_token(scope, send) -> None:
    wants_json = scope["path"].startswith("/api/")
    body = (
        b'{"ok": false, "title": "Not allowed", "error": "the request lacks the CSRF token of your session '
        b'(send it in the X-CSRF-Token header); it is refused"}'
        if wants_json
        else b"<!doctype html><title>Not allowed</title><h1>Not allowed</h1><p>This form is not from your current session "
        b"(it was opened before you signed in or out, or it was sent from elsewhere), so it is refused and nothing was changed. "
        b"Go back, reload the page and send it again.</p>"
    )
    await _refuse(send, wants_json, body)


def host_name(headers: dict[bytes, bytes]) -> str:
    """The Host header's name, without its port: `127.0.0.1`, `localhost`, `::1`."""
    host = headers.get(b"host", b"").decode("latin-1").strip().lower()
    if host.startswith("["):
        return host[1:].split("]", 1)[0]
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


async def _refuse_host(scope, send, status: int = 421) -> None:
    wants_json = scope["path"].startswith("/api/")
    body = (
        b'{"ok": false, "title": "Not allowed", "error": "this server answers only to the address it was started on"}'
        if wants_json
        else b"<!doctype html><title>Not allowed</title><h1>Not allowed</h1><p>This server answers only to the address it was "
        b"started on (such as http://127.0.0.1:8000/).</p>"
    )
    await _refuse(send, wants_json, body, status=status)


async def _refuse(send, wants_json: bool, body: bytes, *, status: int = 403) -> None:
    content_type = b"application/json" if wants_json else b"text/html; charset=utf-8"
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", content_type), (b"content-length", str(len(body)).encode()), *SECURITY_HEADERS]})
    await send({"type": "http.response.body", "body": body})


CSRF_PEEK_BYTES = 16 * 1024  # the CSRF token is the first field of a form: this much body is read to find it


async def csrf_token_sent(headers: dict[bytes, bytes], receive):
    """The CSRF token a request sends (its X-CSRF-Token header, else the first field of its form) and a `receive` that replays what was read.

    Forms carry the token as their first field (`csrf_field()` right after
    `<form>`), so it is found without reading the rest of the body, however
    large: the body goes on to the route as it came.
    """
    header = headers.get(CSRF_HEADER.encode())
    if header is not None:
        return header.decode("latin-1"), receive
    content_type, options = parse_options_header(headers.get(b"content-type", b"").decode("latin-1"))
    if content_type not in (b"application/x-www-form-urlencoded", b"multipart/form-data"):
        return None, receive
    read: list[dict] = []
    body = b""
    found = None
    while True:
        message = await receive()
        read.append(message)
        if message["type"] != "http.request":
            break
        body += message.get("body", b"")
        complete = not message.get("more_body", False)
        found = first_form_field(body, content_type, options.get(b"boundary", b""), complete=complete)
        if found is not MORE or complete or len(body) > CSRF_PEEK_BYTES:
            break

    async def replay():
        if read:
            return read.pop(0)
        return await receive()

    if found is MORE or found is None:
        return None, replay
    name, value = found
    return (value if name == CSRF_FIELD else None), replay


MORE = object()  # first_form_field: not enough of the body yet


def first_form_field(body: bytes, content_type: bytes, boundary: bytes, *, complete: bool):
    """(name, value) of the first field of a URL-encoded or multipart form body; MORE when more body is needed; None if malformed."""
    if content_type == b"application/x-www-form-urlencoded":
        if b"&" not in body and not complete:
            return MORE
        name, _, value = body.split(b"&", 1)[0].partition(b"=")
        return unquote_plus(name.decode("latin-1")), unquote_plus(value.decode("latin-1"))
    if not boundary:
        return None
    delimiter = b"--" + boundary
    start = body.find(delimiter + b"\r\n")
    headers_end = body.find(b"\r\n\r\n", start) if start >= 0 else -1
    value_end = body.find(b"\r\n" + delimiter, headers_end) if headers_end >= 0 else -1
    if value_end < 0:
        return None if complete else MORE
    name = None
    for line in body[start + len(delimiter) + 2 : headers_end].split(b"\r\n"):
        key, _, rest = line.partition(b":")
        if key.strip().lower() == b"content-disposition":
            disposition, params = parse_options_header(rest.strip().decode("latin-1"))
            if disposition == b"form-data" and b"filename" not in params:
                name = params.get(b"name", b"").decode("utf-8", "replace")
    if name is None:
        return None
    return name, body[headers_end + 4 : value_end].decode("utf-8", "replace")


class LanguageAndHeaders:
    """ASGI middleware: sets the request's language, refuses writes sent from other sites or without the session's CSRF token, adds the security headers."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        cookie = None
        if b"cookie" in headers:
            jar = SimpleCookie()
            try:
                jar.load(headers[b"cookie"].decode("latin-1"))
            except Exception:  # noqa: BLE001 -- a malformed cookie header is ignored, not an error
                jar = SimpleCookie()
            cookie = jar["lang"].value if "lang" in jar else None
        accept = headers.get(b"accept-language", b"").decode("latin-1")
        token = i18n.set_language(i18n.choose_language(cookie, accept))
        if scope["method"] not in SAFE_METHODS and not same_origin(scope, headers):
            i18n.reset_language(token)
            await _refuse_cross_site(scope, send)
            return
        settings = scope["app"].state.settings
        if settings.allowed_hosts is not None and host_name(headers) not in settings.allowed_hosts:
            i18n.reset_language(token)
            await _refuse_host(scope, send)
            return
        session = session_token_of(scope, headers.get(b"cookie", b"").decode("latin-1"), settings)
        if scope["method"] not in SAFE_METHODS and session is not None:
            sent, receive = await csrf_token_sent(headers, receive)
            if not csrf_token_matches(session, sent):
                i18n.reset_language(token)
                await _refuse_without_csrf_token(scope, send)
                return
        private = session is not None or settings.local_operator or b"authorization" in headers
        form_session = set_form_session(session)

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                public_cache.strip_mark(message)
                message.setdefault("headers", [])
                present = {name.lower() for name, _ in message["headers"]}
                message["headers"].extend(header for header in SECURITY_HEADERS if header[0] not in present)
                if (private or b"set-cookie" in present) and b"cache-control" not in present:
                    message["headers"].append((b"cache-control", b"no-store"))  # the register's pages stay out of caches
                message["headers"].append((b"content-language", i18n.current_language().encode()))
            await send(message)

        started = False

        async def send_tracked(message):
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send_with_headers(message)

        try:
            if private or scope["method"] != "GET":
                await self.app(scope, receive, send_tracked)
            else:
                key = (scope.get("scheme"), headers.get(b"host"), scope["path"], scope.get("query_string", b""),
                       i18n.current_language(), utc_now().date())
                await public_cache.answer(scope["app"].state.public_cache, key, self.app, scope, receive, send_tracked)
        except Exception:
            # A failure nobody foresaw: logged here with its trace, answered with the plain error page. Not passed on
            # to the server, which would log it again and drop the caller's kept-alive connection.
            if started:
                raise  # half an answer is out: only closing the connection can tell the caller
            log.exception("unexpected error on %s %s", scope["method"], scope["path"])
            await _answer_unexpected(scope, receive, send_tracked)
        finally:
            reset_form_session(form_session)
            i18n.reset_language(token)


async def _answer_unexpected(scope, receive, send) -> None:
    request = Request(scope, receive)
    try:
        answer = unexpected_answer(request)
    except Exception:  # the error page itself failed (the database is gone, say): the plainest answer there is
        log.exception("the error page failed too")
        answer = PlainTextResponse("The server could not answer this request. The error was logged.", status_code=500)
    await answer(scope, receive, send)


def create_app(database: Database, settings: WebSettings | None = None) -> FastAPI:
    """The web app over one database."""
    settings = settings or WebSettings()
    app = FastAPI(
        title="Chronicle",
        version=__version__,
        description="The register of politically motivated repression: persons, events, figures. "
        "Anonymous callers get the public view.",
        docs_url=None,
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.database = database
    app.state.register = Register(database)
    app.state.accounts = Accounts(database)
    app.state.figures = Figures(database, cache=True, max_age=VERSION_CHECK_SECONDS)
    app.state.person_index = PersonIndex(database, max_age=VERSION_CHECK_SECONDS)
    app.state.public_index = PersonIndex(database, public=True, max_age=VERSION_CHECK_SECONDS)
    app.state.public_cache = public_cache.PublicCache(database, max_age=VERSION_CHECK_SECONDS)
    app.state.templates = make_templates()
    app.state.templates.env.globals.update(csrf_field=csrf_field, local_operator=LOCAL_OPERATOR)
    app.add_middleware(LanguageAndHeaders)
    install_error_handlers(app)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    _include_routers(app)
    return app


def warm_up(app: FastAPI) -> None:
    """Derive the person lists and load the figures before the first visitor asks (a server calls it in a thread)."""
    from datetime import UTC, datetime

    state = app.state
    state.person_index.entries()
    state.public_index.entries()
    state.figures.stock(datetime.now(UTC).date())


def _include_routers(app: FastAPI) -> None:
    from chronicle.web.views import auth, duplicates, explain, figures, intake, packages, persons, public, records

    for module in (public, auth, figures, explain, records, duplicates, persons, intake, packages):  # records before persons: /persons/new is not a person
        app.include_router(module.router)
