"""Persons: the internal list (search in any script, filters, sorting, paging) and the person page.

`/api/v1/persons` and `/api/v1/persons/{id}` are the JSON twins; anonymous
callers get the public view there: public persons only, without notes,
restricted notes or restricted sources.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse

from chronicle import audit
from chronicle.dates import parse_timestamp
from chronicle.errors import InputError, NotFoundError
from chronicle.merging import merged_away
from chronicle.person_index import SORTS, STATUSES, PersonIndex, PersonQuery
from chronicle.register import Register
from chronicle.status import derive_status
from chronicle.web.access import READ_INTERNAL, READ_RESTRICTED, Principal, public, require
from chronicle.web.deps import RegisterDep
from chronicle.web.public_cache import mark_public
from chronicle.web.rendering import page, redirect

router = APIRouter()

HIDDEN_PERSON_FIELDS = {"digest", "row_id", "person_key"}
PUBLIC_HIDDEN_PERSON_FIELDS = HIDDEN_PERSON_FIELDS | {"notes", "restricted_notes", "public"}
HIDDEN_EVENT_FIELDS = {"digest", "row_id", "person_key", "day"}


def person_index(request: Request) -> PersonIndex:
    return request.app.state.person_index


IndexDep = Annotated[PersonIndex, Depends(person_index)]


def _yes_no(value: str | None) -> bool | None:
    if value in (None, ""):
        return None
    if value.lower() in ("yes", "true", "1"):
        return True
    if value.lower() in ("no", "false", "0"):
        return False
    raise InputError(f"recognized: {value!r} is not yes or no")


def list_context(
    index: PersonIndex,
    *,
    page_size: int,
    public_view: bool,
    q: str | None,
    status: str | None,
    category: str | None,
    region: str | None,
    case: str | None,
    organisation: str | None,
    recognized: str | None,
    political_prisoners: bool,
    sort: str,
    page_number: int,
) -> dict[str, Any]:
    """The rows of one page of a person list and what the page shows around them."""
    wanted = PersonQuery(
        search=q or None,
        status=status or None,
        category=category or None,
        region=region or None,
        case=case or None,
        organisation=organisation or None,
        recognized=_yes_no(recognized),
        political_prisoners=political_prisoners,
        public_only=public_view,
        sort=sort or "name",
        limit=page_size,
        offset=(page_number - 1) * page_size,
    )
    entries, total = index.query(wanted)
    filters = {
        "q": q or "", "status": status or "", "category": category or "", "region": region or "", "case": case or "",
        "organisation": organisation or "", "recognized": recognized or "", "sort": sort if sort != "name" else "",
    }
    return {
        "persons": [entry.summary(public=public_view) for entry in entries],
        "total": total,
        "page": page_number,
        "pages": max(1, -(-total // page_size)),
        "page_size": page_size,
        "filters": filters,
    }


PageQuery = Annotated[int, Query(ge=1, le=1_000_000, description="Page number, from 1.")]
SortQuery = Annotated[str, Query(description="One of: " + ", ".join(SORTS))]
StatusQuery = Annotated[str | None, Query(description="Derived status: " + ", ".join(STATUSES))]


@router.get("/persons", summary="The internal list of persons")
def persons_list(
    request: Request,
    index: IndexDep,
    principal: Annotated[Principal, Depends(require(READ_INTERNAL))],
    q: str | None = None,
    status: StatusQuery = None,
    category: str | None = None,
    region: str | None = None,
    case: str | None = None,
    organisation: str | None = None,
    recognized: str | None = None,
    sort: SortQuery = "name",
    page_number: Annotated[int, Query(alias="page", ge=1, le=1_000_000)] = 1,
):
    context = list_context(
        index, page_size=request.app.state.settings.page_size, public_view=False, q=q, status=status, category=category,
        region=region, case=case, organisation=organisation, recognized=recognized, political_prisoners=False, sort=sort,
        page_number=page_number,
    )
    context.update(index.facets(), statuses=STATUSES, sorts=SORTS)
    return page(request, "persons.html", context)


@router.get("/api/v1/persons", summary="Persons, searched and filtered; the public view for anonymous callers")
def persons_json(
    request: Request,
    index: IndexDep,
    principal: Annotated[Principal, Depends(public)],
    q: str | None = None,
    status: StatusQuery = None,
    category: str | None = None,
    region: str | None = None,
    case: str | None = None,
    organisation: str | None = None,
    recognized: str | None = None,
    political_prisoners: bool = False,
    sort: SortQuery = "name",
    page_number: Annotated[int, Query(alias="page", ge=1, le=1_000_000)] = 1,
):
    public_view = not principal.may(READ_INTERNAL)
    if public_view:  # the public index: only publishable events, names of non-public persons withheld
        index = request.app.state.public_index
    context = list_context(
        index, page_size=request.app.state.settings.page_size, public_view=public_view, q=q,
        status=status, category=category, region=region, case=case, organisation=organisation, recognized=recognized,
        political_prisoners=political_prisoners, sort=sort, page_number=page_number,
    )
    context.pop("filters")
    # The rows are JSON already: JSONResponse skips FastAPI's per-value encoding, most of this answer's cost.
    answer = JSONResponse({"ok": True, **context})
    return mark_public(request, answer) if public_view else answer


def person_details(register: Register, person_id: str, *, known_at: datetime | None, public_view: bool, restricted: bool) -> dict[str, Any]:
    """A person as known at `known_at`: record, derived status, timeline with sources, cases, organisations."""
    person = register.get("persons", person_id, known_at=known_at)
    if public_view and not person["public"]:
        raise NotFoundError(f"no person {person_id!r}")
    events = register.events_of([person_id], known_at=known_at)[person_id]
    source_ids = sorted({source for event in events for source in event["source_ids"]})
    sources = register.sources(source_ids, include_restricted=restricted and not public_view, known_at=known_at)
    status = derive_status(events)
    case_ids = sorted({event["case_id"] for event in events if event["case_id"]})
    cases = []
    for case_id in case_ids:
        try:
            case = register.get("cases", case_id, known_at=known_at)
            cases.append({"case_id": case_id, "name": case["name"], "opened": case["opened"]})
        except NotFoundError:
            cases.append({"case_id": case_id, "name": case_id, "opened": None})
    timeline = []
    for event in events:
        shown = {key: value for key, value in event.items() if key not in HIDDEN_EVENT_FIELDS}
        if public_view:
            shown.pop("note", None)
        shown["sources"] = [
            {key: value for key, value in sources[source].items() if key not in ("digest", "row_id")}
            for source in event["source_ids"] if source in sources
        ]
        if public_view:
            if not shown["sources"] and event["source_ids"]:
                continue  # an event whose only sources are restricted is not public (register.md)
            shown["source_ids"] = [source["source_id"] for source in shown["sources"]]
        timeline.append(shown)
    hidden = PUBLIC_HIDDEN_PERSON_FIELDS if public_view else HIDDEN_PERSON_FIELDS | ({"restricted_notes"} if not restricted else set())
    return {
        "person": {key: value for key, value in person.items() if key not in hidden},
        "status": status.status,
        "status_label": status.label,
        "recognized": status.recognized,
        "political_prisoner": status.political_prisoner,
        "since": status.since.isoformat() if status.since else None,
        "events": timeline,
        "cases": cases,
        "organisations": [] if public_view else [
            {key: row[key] for key in ("organisation_id", "name", "kind", "role")}
            for row in register.memberships_of(person_id, known_at=known_at)
        ],
        "known_at": known_at.isoformat() if known_at else None,
    }


def withhold_names(details: dict[str, Any], redactor) -> dict[str, Any]:
    """Free text of a public person's details without the names of non-public persons."""
    for event in details["events"]:
        for key in ("place", "destination"):
            event[key] = redactor.redact(event.get(key))
        for source in event["sources"]:
            source["title"] = redactor.redact(source["title"])
            source["publisher"] = redactor.redact(source.get("publisher"))
    for case in details["cases"]:
        case["name"] = redactor.redact(case["name"])
    return details


def audit_restricted_read(register: Register, details: dict[str, Any], view: str) -> None:
    """One audit entry when a person's details show restricted notes or restricted sources (their ids, never their text)."""
    person = details["person"]
    shown = sorted({source["source_id"] for event in details["events"] for source in event["sources"] if source["restricted"]})
    if person.get("restricted_notes") or shown:
        facts = {"view": view, "restricted_notes": bool(person.get("restricted_notes")), "restricted_sources": shown,
                 "known_at": details["known_at"]}
        audit.record_event(register.database, "read_restricted", resource="persons", key=person["person_id"], details=facts)


def _known_at(text: str | None) -> datetime | None:
    if not text:
        return None
    if len(text) == 10:  # a day: the register as it was at the end of it
        text += "T23:59:59Z"
    return parse_timestamp(text)


@router.get("/persons/{person_id}", summary="A person's page")
def person_page(
    request: Request,
    person_id: str,
    register: RegisterDep,
    principal: Annotated[Principal, Depends(require(READ_INTERNAL))],
    known_at: Annotated[str | None, Query(description="The record as known then: a day or an ISO 8601 moment")] = None,
    merged: Annotated[int | None, Query(description="Shows a notice: this merge was just done")] = None,
    unmerged: Annotated[int | None, Query(description="Shows a notice: this merge was just undone")] = None,
    merged_from: Annotated[str | None, Query(max_length=200, description="Shows a notice: this person was merged here")] = None,
):
    moment = _known_at(known_at)
    try:
        details = person_details(register, person_id, known_at=moment, public_view=False, restricted=principal.may(READ_RESTRICTED))
    except NotFoundError:
        kept = merged_away(register).get(person_id) if moment is None else None
        if kept is None:
            raise
        return redirect(f"/persons/{quote(kept, safe='')}?merged_from={quote(person_id, safe='')}")
    audit_restricted_read(register, details, "person page")
    details.update(merged=merged, unmerged=unmerged, merged_from=merged_from)
    details["history"] = [
        {"recorded_at": row["recorded_at"], "retracted_at": row["retracted_at"]} for row in register.history("persons", person_id)
    ]
    details["known_at_text"] = known_at or ""
    return page(request, "person.html", details)


@router.get("/api/v1/persons/{person_id}", summary="A person with the derived status and the timeline")
def person_json(
    request: Request,
    person_id: str,
    register: RegisterDep,
    principal: Annotated[Principal, Depends(public)],
    known_at: Annotated[str | None, Query(description="The record as known then: a day or an ISO 8601 moment")] = None,
):
    public_view = not principal.may(READ_INTERNAL)
    if public_view:
        index = request.app.state.public_index
        if index.get(person_id) is None:
            raise NotFoundError(f"no person {person_id!r}")
        details = withhold_names(person_details(register, person_id, known_at=None, public_view=True, restricted=False), index.redactor())
    else:
        details = person_details(register, person_id, known_at=_known_at(known_at), public_view=False,
                                 restricted=principal.may(READ_RESTRICTED))
        audit_restricted_read(register, details, "person api")
    return {"ok": True, **details}
