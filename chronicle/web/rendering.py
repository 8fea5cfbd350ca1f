"""Pages and answers: the templates, the JSON shape of errors, and the one error handler.

Every error reaches the caller once, here: as an HTML page for a page, as
`{"ok": false, "error": ..., "title": ...}` for the API. A failure nobody
foresaw is logged with its trace on the server and shown as a plain error
page: never a stack trace in the browser.
"""

from __future__ import annotations

import base64
import logging
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import jinja2
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from sqlalchemy.exc import DataError
from starlette.exceptions import HTTPException as StarletteHTTPException

from chronicle.errors import ChronicleError, ConflictError, NotFoundError
from chronicle.web import i18n
from chronicle.web.access import AccessDenied, current_principal
from chronicle.web.i18n import gettext_ as _

HERE = Path(__file__).parent
log = logging.getLogger("chronicle.web")


def make_templates() -> Jinja2Templates:
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(HERE / "templates"), autoescape=True, extensions=["jinja2.ext.i18n"],
        trim_blocks=False, lstrip_blocks=False,
    )
    templates = Jinja2Templates(env=environment)
    environment.install_gettext_callables(i18n.gettext_, i18n.ngettext_, newstyle=True)  # type: ignore[attr-defined]
    environment.filters["number"] = i18n.format_number
    environment.filters["day"] = i18n.format_partial_date
    environment.filters["words"] = lambda value: str(value or "").replace("_", " ")
    # A word of the vocabulary (a category, an event type, a status) in the reader's language.
    environment.filters["term"] = lambda value: i18n.gettext_(str(value or "").replace("_", " "))
    environment.filters["svg_data"] = lambda svg: "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()
    environment.globals["languages"] = i18n.LANGUAGES
    environment.globals["query"] = query_string
    return templates


def query_string(values: dict[str, Any], **changes: Any) -> str:
    """`?a=1&b=2` from a dict of query values, with some changed; empty values are left out."""
    merged = {**values, **changes}
    kept = {key: value for key, value in merged.items() if value not in (None, "", False)}
    return "?" + urlencode(kept, doseq=True) if kept else ""


def page(request: Request, template: str, context: dict[str, Any], *, status_code: int = 200) -> HTMLResponse:
    """An HTML page from a template, with what every page needs."""
    templates: Jinja2Templates = request.app.state.templates
    principal = current_principal(request)
    base = {
        "principal": principal,
        "staff": principal.may("read_internal"),
        "language": i18n.current_language(),
        "path": request.url.path,
        "path_and_query": request.url.path + (f"?{request.url.query}" if request.url.query else ""),
    }
    return templates.TemplateResponse(request, template, {**base, **context}, status_code=status_code)


def wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def error_answer(request: Request, status: int, title: str, message: str) -> Response:
    if wants_json(request):
        return JSONResponse({"ok": False, "error": message, "title": title}, status_code=status)
    return page(request, "error.html", {"title": title, "message": message, "status": status}, status_code=status)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ChronicleError)
    async def chronicle_error(request: Request, error: ChronicleError):
        if isinstance(error, AccessDenied):
            if error.anonymous and not wants_json(request):
                return error_answer(request, 401, _("Sign in needed"), _("This page is for the group's staff."))
            return error_answer(request, 401 if error.anonymous else 403, error.title, str(error))
        status = 404 if isinstance(error, NotFoundError) else 409 if isinstance(error, ConflictError) else 400
        return error_answer(request, status, error.title, str(error))

    @app.exception_handler(DataError)
    async def value_refused(request: Request, error: DataError):  # e.g. a NUL in a value that reaches PostgreSQL unchecked
        log.warning("the database refused a value on %s %s: %s", request.method, request.url.path, error.orig)
        return error_answer(request, 400, _("Input refused"), _("a value here is one the database cannot hold (a NUL character?)"))

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, error: StarletteHTTPException):
        titles = {404: "Not found", 405: "Method not allowed"}
        message = "there is no such page" if error.status_code == 404 else str(error.detail)
        answer = error_answer(request, error.status_code, titles.get(error.status_code, "Error"), message)
        for name, value in (error.headers or {}).items():
            answer.headers[name] = value
        return answer

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, error: RequestValidationError):
        problems = []
        for item in error.errors():
            where = ".".join(str(part) for part in item.get("loc", ()) if part not in ("query", "path", "body", "form"))
            problems.append(f"{where}: {item.get('msg', 'invalid')}" if where else str(item.get("msg", "invalid")))
        return error_answer(request, 422, "Input refused", "; ".join(problems) or "the request was not understood")

    @app.exception_handler(Exception)
    async def unexpected(request: Request, error: Exception):  # reached only if chronicle.web.app's middleware is not in front
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        return unexpected_answer(request)


def unexpected_answer(request: Request) -> Response:
    """The answer to a failure nobody foresaw: a plain error page, or its JSON for the API; never the trace."""
    return error_answer(
        request, 500, _("Something went wrong"),
        _("The server could not answer this request. The error was logged; nothing was changed."),
    )


def redirect(url: str) -> RedirectResponse:
    """After a form is submitted: go to the page that shows the result (303, so a reload does not resubmit)."""
    return RedirectResponse(url, status_code=303)
