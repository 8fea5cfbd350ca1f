"""The public site: headline figures, the list of political prisoners, public person pages, open data, the Atom feed.

Nothing here needs a sign-in and nothing here shows what a public export
would not: only persons whose `public` is true, only events with at least
one source that is not restricted, no notes, and the names of non-public
persons withheld from every free text. Figures count everyone: a count
names nobody.
"""

from __future__ import annotations

import tempfile
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select

from chronicle.dates import format_timestamp, utc_now
from chronicle.errors import NotFoundError
from chronicle.exporter import export_package
from chronicle.person_index import PersonIndex
from chronicle.schema import events as events_table
from chronicle.schema import sources as sources_table
from chronicle.web.access import Principal, public
from chronicle.web.deps import FiguresDep, RegisterDep
from chronicle.web.i18n import LANGUAGES
from chronicle.web.public_cache import mark_public
from chronicle.web.rendering import page
from chronicle.web.views.auth import safe_next
from chronicle.web.views.figures import chart_cache, dashboard_context, headline_charts
from chronicle.web.views.persons import list_context, person_details, withhold_names

router = APIRouter()

PublicDep = Annotated[Principal, Depends(public)]
FEED_ENTRIES = 50
FEED_SCAN = 5000  # the latest changes read to find the feed's entries among the public persons
FEED_TYPES = ("detained", "convicted", "transferred", "released", "pardoned", "deported", "died", "recognized", "recognition_ended", "house_arrest")


def public_index(request: Request) -> PersonIndex:
    return request.app.state.public_index


PublicIndexDep = Annotated[PersonIndex, Depends(public_index)]


@router.get("/", summary="The public home: headline figures and charts")
def home(request: Request, figures: FiguresDep, principal: PublicDep):
    today = utc_now().date()
    context = dashboard_context(figures, today, None)
    context["charts"] = headline_charts(figures, chart_cache(request), today, None, context["stock"])
    return mark_public(request, page(request, "public/home.html", context))


@router.get("/public/prisoners", summary="The public list of political prisoners")
def prisoners(
    request: Request,
    index: PublicIndexDep,
    principal: PublicDep,
    q: str | None = None,
    region: str | None = None,
    category: str | None = None,
    sort: str = "name",
    page_number: Annotated[int, Query(alias="page", ge=1, le=1_000_000)] = 1,
):
    context = list_context(
        index, page_size=request.app.state.settings.page_size, public_view=True, q=q, status=None, category=category,
        region=region, case=None, organisation=None, recognized=None, political_prisoners=True, sort=sort, page_number=page_number,
    )
    context.update(index.facets())
    return mark_public(request, page(request, "public/prisoners.html", context))


@router.get("/public/prisoners/{person_id}", summary="A public person page")
def prisoner(request: Request, person_id: str, register: RegisterDep, index: PublicIndexDep, principal: PublicDep):
    if index.get(person_id) is None:
        raise NotFoundError(f"no person {person_id!r} on the public list")
    details = person_details(register, person_id, known_at=None, public_view=True, restricted=False)
    return mark_public(request, page(request, "public/person.html", withhold_names(details, index.redactor())))


_open_data_lock = threading.Lock()


@router.get("/public/open-data.zip", summary="The open data: the public data package")
def open_data(request: Request, figures: FiguresDep, principal: PublicDep):
    version = figures._version()
    cached = getattr(request.app.state, "open_data", None)
    if cached is None or cached[0] != version:
        with _open_data_lock:
            cached = getattr(request.app.state, "open_data", None)
            if cached is None or cached[0] != version:
                with tempfile.TemporaryDirectory(prefix="chronicle-open-data-") as folder:
                    path = Path(folder) / "open-data.zip"
                    export_package(request.app.state.database, path, public=True)
                    cached = (version, path.read_bytes())
                request.app.state.open_data = cached
    stamp = utc_now().date().isoformat()
    return Response(cached[1], media_type="application/zip",
                    headers={"content-disposition": f'attachment; filename="chronicle-open-data-{stamp}.zip"'})


@router.get("/public/feed.atom", summary="Changes to the public list, as an Atom feed")
def feed(request: Request, index: PublicIndexDep, register: RegisterDep, principal: PublicDep):
    entries = index.entries()
    redactor = index.redactor()
    with register.database.reading() as connection:
        open_sources = set(connection.scalars(
            select(sources_table.c.source_id).where(sources_table.c.retracted_at.is_(None), sources_table.c.restricted.is_(False))
        ))
        query = (
            select(events_table)
            .where(events_table.c.retracted_at.is_(None), events_table.c.type.in_(FEED_TYPES))
            .order_by(events_table.c.recorded_at.desc(), events_table.c.row_id.desc())
            .limit(FEED_SCAN)
        )
        rows = [dict(row) for row in connection.execute(query).mappings()]
    items = []
    for row in rows:
        entry = entries.get(row["person_id"])
        if entry is None or not any(source in open_sources for source in row["source_ids"]):
            continue
        items.append({
            "id": f"urn:chronicle:event:{row['event_id']}:{row['row_id']}",
            "person_id": row["person_id"],
            "name": entry.name,
            "type": row["type"],
            "date": row["date"],
            "place": redactor.redact(row["place"]),
            "destination": redactor.redact(row["destination"]),
            "updated": format_timestamp(row["recorded_at"]),
        })
        if len(items) == FEED_ENTRIES:
            break
    updated = items[0]["updated"] if items else format_timestamp(datetime(2000, 1, 1, tzinfo=UTC))
    base = str(request.base_url).rstrip("/")
    templates = request.app.state.templates
    body = templates.get_template("public/feed.atom").render(items=items, updated=updated, base=base)
    return Response(body, media_type="application/atom+xml; charset=utf-8")


@router.get("/language/{code}", summary="Choose the interface language")
def choose_language(code: str, principal: PublicDep, next: str = "/"):
    if code not in LANGUAGES:
        raise NotFoundError(f"no interface language {code!r}: the languages are {', '.join(LANGUAGES)}")
    target = next if safe_next(next) == next.strip() else "/"  # a path of this site only (not //x or /\\x)
    answer = RedirectResponse(target, status_code=303)
    answer.set_cookie("lang", code, max_age=365 * 24 * 3600, httponly=True, samesite="lax")
    return answer
