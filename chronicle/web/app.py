"""The web app: FastAPI with server-rendered Jinja2 pages, and the JSON API under /api/v1.

`create_app` builds the app in named steps: state, middleware, error
handlers, static files, then one router per part of the app (the public
site, the dashboard, explanations, persons, records, intake, data packages).
Each router's pages and their JSON twins call the library and render; no
page holds logic of its own.
"""

from __future__ import annotations

from http.cookies import SimpleCookie

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from chronicle import __version__
from chronicle.database import Database
from chronicle.figures import Figures
from chronicle.person_index import PersonIndex
from chronicle.register import Register
from chronicle.web import i18n
from chronicle.web.rendering import HERE, install_error_handlers, make_templates
from chronicle.web.settings import VERSION_CHECK_SECONDS, WebSettings

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
    content_type = b"application/json" if wants_json else b"text/html; charset=utf-8"
    await send({"type": "http.response.start", "status": 403,
                "headers": [(b"content-type", content_type), (b"content-length", str(len(body)).encode()), *SECURITY_HEADERS]})
    await send({"type": "http.response.body", "body": body})


class LanguageAndHeaders:
    """ASGI middleware: sets the request's language, refuses writes sent from other sites, adds the security headers."""

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

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                present = {name.lower() for name, _ in message["headers"]}
                message["headers"].extend(header for header in SECURITY_HEADERS if header[0] not in present)
                message["headers"].append((b"content-language", i18n.current_language().encode()))
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        finally:
            i18n.reset_language(token)


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
    app.state.figures = Figures(database, cache=True, max_age=VERSION_CHECK_SECONDS)
    app.state.person_index = PersonIndex(database, max_age=VERSION_CHECK_SECONDS)
    app.state.public_index = PersonIndex(database, public=True, max_age=VERSION_CHECK_SECONDS)
    app.state.templates = make_templates()
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
    from chronicle.web.views import duplicates, explain, figures, intake, packages, persons, public, records

    for module in (public, figures, explain, records, duplicates, persons, intake, packages):  # records before persons: /persons/new is not a person
        app.include_router(module.router)
