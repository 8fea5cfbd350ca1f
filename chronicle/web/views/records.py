"""Editing the register, and the records besides persons: forms, list and record pages, the JSON API.

Pages: forms to add and change persons, events (each type with the fields
it uses), cases, organisations, sources and memberships; withdrawing an
event; the lists and record pages of cases, organisations and sources.
API: the same records under /api/v1, read (paged, filtered) and written.

Every change goes through `Register.record_all` or `Register.retract`: a
new version is written and the one it supersedes retracted, so the register
can still be read as known on any past day. Each form and each API edit
carries the version it was opened on (`based_on`, that version's `row_id`);
when someone else changed the record since, the change is refused with 409,
and the form is shown again with what changed next to what the user typed,
keeping their input. Bad input is 400 with every field at fault named;
nothing is written. An edit that changes nothing writes nothing.

Writes need EDIT, reads READ_INTERNAL; restricted sources and restricted
notes show only with READ_RESTRICTED, and a form or API edit by someone
without it keeps them as they are. A request that shows them (a page, a
form, an API answer) adds one `read_restricted` audit entry naming the
records shown, never their text (`audit_read`; docs/audit.md). (A form sent from another site's page
never reaches these routes: the app refuses it first, chronicle/web/app.py.)

The routes of cases, organisations and sources (and the API routes of every
kind) are made from one description of each kind of record (`Kind`), so
that they cannot drift apart.
"""

import re
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Body, Depends, Path, Query, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from pydantic import BaseModel, ConfigDict, create_model
from pydantic import Field as ModelField
from sqlalchemy import func, literal, or_, select
from starlette.datastructures import FormData

from chronicle import audit
from chronicle.dates import parse_date
from chronicle.errors import ConflictError, InputError, NotFoundError
from chronicle.records import ColumnError, content_digest, format_cell, parse_row_all
from chronicle.register import Register, known_at_filter
from chronicle.schema import RECORD_TABLES
from chronicle.vocabulary import COMMON_CATEGORIES, EVENT_TYPES, GENDERS, RELEASE_REASONS, SENTENCE_KINDS
from chronicle.web.access import (
    EDIT,
    READ_INTERNAL,
    READ_RESTRICTED,
    AccessDenied,
    Principal,
    current_principal,
    require,
)
from chronicle.web.deps import RegisterDep
from chronicle.web.rendering import page, redirect
from chronicle.web.views.figures import moment_option


class PermissionFirst(APIRoute):
    """A route that checks the permission it requires before its body is read.

    FastAPI reads a body before it runs dependencies, so a malformed body
    from the anonymous public would otherwise get 422: with this, any write
    from anyone not allowed to make it is 401 (or 403), whatever it sends.
    """

    def get_route_handler(self):
        handler = super().get_route_handler()
        checks, stack = [], list(self.dependant.dependencies)
        while stack:
            dependency = stack.pop()
            if getattr(dependency.call, "permission", None):
                checks.append(dependency.call)
            stack.extend(dependency.dependencies)

        async def checked(request: Request):
            for check in checks:
                check(current_principal(request))
            return await handler(request)

        return checked


router = APIRouter(route_class=PermissionFirst)

EditorDep = Annotated[Principal, Depends(require(EDIT))]
StaffDep = Annotated[Principal, Depends(require(READ_INTERNAL))]
PageNumber = Annotated[int, Query(alias="page", ge=1, le=1_000_000, description="Page number, from 1.")]
KnownAt = Annotated[str | None, Query(description="The records as known then: a day or an ISO 8601 moment")]

HIDDEN_COLUMNS = {"digest", "person_key", "day"}
SOURCE_CHOICES = 200  # recently recorded sources offered in an event form (besides the person's own)
CHOICES_LIMIT = 2000  # cases and organisations offered in a form's list of suggestions
WEB_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")  # ids typed here: they go into page addresses
UNSTORABLE = re.compile("[\x00\ud800-\udfff]")  # NUL (PostgreSQL refuses it) and halves of surrogate pairs


def N_(message: str) -> str:
    """Marks a message for translation; the templates translate it with _()."""
    return message


# What each kind of record holds, for the forms, the pages and the API models.

@dataclass(frozen=True)
class Field:
    """One column of a record as a form shows it.

    kind: id, text, long, date, list (`;`-separated), categories, choice,
    bool, months, url, case, sources, person (set by the page, not typed).
    """

    name: str
    label: str
    kind: str = "text"
    choices: tuple[str, ...] = ()
    required: bool = False
    help: str = ""
    restricted: bool = False  # shown and changed only with READ_RESTRICTED
    lang: str | None = None


LISTS = ("list", "categories", "sources")
JSON_TYPES: dict[str, type] = {"bool": bool, "months": int, **{kind: list[str] for kind in LISTS}}
DATE_HELP = N_("YYYY-MM-DD, or YYYY-MM or YYYY when only that is known")
ID_HELP = N_("Left empty, one is made up. Letters, digits, '-', '_' and '.' only.")


def _id(label: str) -> Field:
    return Field(label, N_("Id"), "id", help=ID_HELP)


PERSON_FIELDS = (
    _id("person_id"),
    Field("name", N_("Name"), required=True, help=N_("As the group writes it in its lists")),
    Field("name_be", N_("Name in Belarusian"), lang="be"),
    Field("name_ru", N_("Name in Russian"), lang="ru"),
    Field("name_en", N_("Name in Latin letters"), lang="en"),
    Field("aliases", N_("Also written"), "list", help=N_("Other spellings, separated by ;")),
    Field("birth_date", N_("Born"), "date", help=DATE_HELP),
    Field("gender", N_("Gender"), "choice", GENDERS),
    Field("region", N_("Region")),
    Field("categories", N_("Categories"), "categories", help=N_("Others, separated by ;")),
    Field("public", N_("Consent to be named in public is confirmed"), "bool"),
    Field("notes", N_("Notes"), "long"),
    Field("restricted_notes", N_("Restricted notes"), "long", restricted=True,
          help=N_("Contacts, relatives, informants: never shown outside the group")),
)

EVENT_FIELDS = (
    _id("event_id"),
    Field("person_id", N_("Person"), "person", required=True),
    Field("type", N_("What happened"), "choice", EVENT_TYPES, required=True),
    Field("date", N_("Date"), "date", required=True, help=DATE_HELP),
    Field("place", N_("Place"), help=N_("Place of detention, of the new detention, or of death")),
    Field("destination", N_("Expelled to"), help=N_("Country")),
    Field("charges", N_("Charges"), "list", help=N_("Articles of the code, separated by ;")),
    Field("sentence_months", N_("Sentence in months"), "months", help=N_("Life: 1200")),
    Field("sentence_kind", N_("Kind of sentence"), "choice", SENTENCE_KINDS),
    Field("reason", N_("Why custody ended"), "choice", RELEASE_REASONS),
    Field("case_id", N_("Case"), "case", help=N_("The id of a case in the register")),
    Field("politically_motivated", N_("Politically motivated"), "bool"),
    Field("source_ids", N_("Sources"), "sources", required=True),
    Field("note", N_("Note"), "long"),
)

# The fields each event type uses besides date, case, politically_motivated, sources and note.
TYPE_FIELDS: dict[str, tuple[str, ...]] = {
    "detained": ("place",),
    "charged": ("charges",),
    "house_arrest": ("place",),
    "convicted": ("charges", "sentence_months", "sentence_kind"),
    "transferred": ("place",),
    "released": ("reason",),
    "pardoned": ("reason",),
    "deported": ("destination", "reason"),
    "died": ("place",),
    "recognized": (),
    "recognition_ended": (),
}
COMMON_EVENT_FIELDS = ("type", "date", "case_id", "politically_motivated", "source_ids", "note")
EVENT_MEANINGS = {
    "detained": N_("Detained or arrested: custody starts"),
    "charged": N_("Charged under articles of the criminal or administrative code"),
    "house_arrest": N_("Placed under house arrest or restricted freedom without custody"),
    "convicted": N_("Sentenced"),
    "transferred": N_("Moved to another place of detention"),
    "released": N_("Freed: end of term, acquittal, release pending trial, sentence changed"),
    "pardoned": N_("Freed by pardon"),
    "deported": N_("Expelled abroad, usually on release"),
    "died": N_("Died; in custody when custody was open"),
    "recognized": N_("Recognised as a political prisoner by the group"),
    "recognition_ended": N_("Recognition as a political prisoner withdrawn"),
}

CASE_FIELDS = (
    _id("case_id"),
    Field("name", N_("Name"), required=True),
    Field("opened", N_("Opened"), "date", help=DATE_HELP),
    Field("description", N_("Description"), "long"),
)
ORGANISATION_FIELDS = (
    _id("organisation_id"),
    Field("name", N_("Name"), required=True),
    Field("kind", N_("Kind"), help=N_("Such as media outlet, activist group, laboratory")),
)
SOURCE_FIELDS = (
    _id("source_id"),
    Field("title", N_("Title"), required=True),
    Field("publisher", N_("Publisher")),
    Field("url", N_("Web address"), "url"),
    Field("published", N_("Published"), "date", help=DATE_HELP),
    Field("restricted", N_("Restricted: never shown outside the group"), "bool",
          help=N_("Lawyers' and relatives' messages, informants")),
)
MEMBERSHIP_FIELDS = (
    Field("person_id", N_("Person"), "person", required=True),
    Field("organisation_id", N_("Organisation"), required=True),
    Field("role", N_("Role")),
)


@dataclass(frozen=True)
class Kind:
    """A kind of record: its resource, key, fields, pages and API models."""

    resource: str
    singular: str
    label: str  # singular, for reading
    plural_label: str
    key: str
    prefix: str  # of the ids made up for new records
    title: str  # the column that names a record
    fields: tuple[Field, ...]
    columns: tuple[str, ...] = ()  # of the list page
    search: tuple[str, ...] = ()  # columns that the list's q searches

    def field(self, name: str) -> Field:
        return next(field for field in self.fields if field.name == name)

    def key_of(self, cells: dict[str, Any]):
        """The key of a record: its id, or (person_id, organisation_id) for a membership."""
        return (cells["person_id"], cells["organisation_id"]) if self.resource == "memberships" else cells[self.key]

    def page_of(self, row: dict[str, Any]) -> str:
        """The page that shows a record (persons and events: the person's page)."""
        if self.resource in ("persons", "events", "memberships"):
            return f"/persons/{quote(row['person_id'], safe='')}"
        return f"/{self.resource}/{quote(row[self.key], safe='')}"


PERSONS = Kind("persons", "person", N_("person"), N_("Persons"), "person_id", "p", "name", PERSON_FIELDS)
EVENTS = Kind("events", "event", N_("event"), N_("Events"), "event_id", "e", "type", EVENT_FIELDS)
CASES = Kind("cases", "case", N_("case"), N_("Cases"), "case_id", "c", "name", CASE_FIELDS,
             ("name", "opened"), ("name", "description"))
ORGANISATIONS = Kind("organisations", "organisation", N_("organisation"), N_("Organisations"), "organisation_id", "o",
                     "name", ORGANISATION_FIELDS, ("name", "kind"), ("name", "kind"))
SOURCES = Kind("sources", "source", N_("source"), N_("Sources"), "source_id", "s", "title", SOURCE_FIELDS,
               ("title", "publisher", "published", "restricted"), ("title", "publisher", "url"))
# A membership's key is (person_id, organisation_id), see Kind.key_of; its ids are never made up.
MEMBERSHIPS = Kind("memberships", "membership", N_("membership"), N_("Memberships"), "organisation_id", "m", "role",
                   MEMBERSHIP_FIELDS)


# Cells: the text of a data package's cells, which Register.record takes.

def cells_of(kind: Kind, row: dict[str, Any]) -> dict[str, str]:
    return {field.name: format_cell(row.get(field.name)) for field in kind.fields}


def new_id(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def _split(text: str | None) -> list[str]:
    return [item.strip() for item in re.split(r"[;,]", text or "") if item.strip()]


def cells_of_form(fields: list[Field], form: FormData) -> dict[str, str]:
    """The cells a form sent for these fields (an unticked box sends nothing: false)."""
    cells = {}
    for field in fields:
        if field.kind == "bool":
            cells[field.name] = "true" if form.get(field.name) else "false"
        elif field.kind in ("categories", "sources"):
            other = _split(str(form.get(field.name + "_other") or ""))  # typed besides the boxes ticked
            chosen = [str(value) for value in form.getlist(field.name)] + other
            cells[field.name] = ";".join(dict.fromkeys(item for item in chosen if item))
        else:
            cells[field.name] = str(form.get(field.name) or "")
    return cells


def _bare(error: ColumnError) -> str:
    """A column error's message without the column's name in front."""
    message = str(error)
    return message[len(error.column) + 2:] if message.startswith(error.column + ": ") else message


class FieldProblems(InputError):
    """Cells were refused; `fields` names each field at fault with what is wrong."""

    def __init__(self, resource: str, fields: dict[str, str]):
        self.fields = fields
        super().__init__(f"{resource[:-1]}: " + "; ".join(f"{name}: {message}" for name, message in fields.items()))


def check(kind: Kind, cells: dict[str, str], *, new_key: bool = False) -> dict[str, Any]:
    """The stored values of these cells; FieldProblems naming every field at fault."""
    values, errors = parse_row_all(kind.resource, cells)
    problems = {error.column: _bare(error) for error in errors}
    for name, cell in cells.items():
        if cell and UNSTORABLE.search(cell):
            problems[name] = "holds a character that cannot be stored (a NUL, or half of a surrogate pair)"
    if kind.resource == "events" and problems.get("source_ids") == "must not be empty":
        problems["source_ids"] = "every event must cite at least one source: tick one, give its id, or cite a new one"
    if new_key and kind.key not in problems and not WEB_ID.fullmatch(cells[kind.key]):
        problems[kind.key] = "an id made here may hold only letters, digits, '-', '_' and '.', first a letter or digit"
    if problems:
        raise FieldProblems(kind.resource, problems)
    return values


Change = tuple[Kind, dict[str, str], int | None]  # what to record, and the version it is based on


def save(register: Register, changes: list[Change], *, new: tuple[Kind, ...] = ()) -> list[dict[str, Any]]:
    """Check every change, then write them all in one transaction (ConflictError or FieldProblems: nothing written).

    `new`: the kinds whose records are created with a key the caller gave. A
    single edit that changes nothing writes nothing and returns the current version.
    """
    values = [check(kind, cells, new_key=kind in new) for kind, cells, _ in changes]
    if len(changes) == 1 and changes[0][2] is not None:
        kind, cells, based_on = changes[0]
        current = _current(register, kind, kind.key_of(cells))
        unchanged = current is not None and current["digest"] == content_digest(kind.resource, values[0])
        if unchanged and current["row_id"] == based_on:
            return [current]
    try:
        return register.record_all([(kind.resource, cells, based_on) for kind, cells, based_on in changes])
    except ColumnError as error:  # a reference to a record that is not in the register
        raise FieldProblems(changes[-1][0].resource, {error.column: _bare(error)}) from None


def _current(register: Register, kind: Kind, key) -> dict[str, Any] | None:
    try:
        return register.get(kind.resource, key)
    except NotFoundError:
        return None


def shown(row: dict[str, Any], principal: Principal) -> dict[str, Any]:
    """A stored version as the API and the pages show it."""
    hidden = HIDDEN_COLUMNS | ({"restricted_notes"} if not principal.may(READ_RESTRICTED) else set())
    return {key: value for key, value in row.items() if key not in hidden}


def visible(kind: Kind, row: dict[str, Any], principal: Principal) -> dict[str, Any]:
    """A record the principal may see, or NotFoundError (a restricted source is not there for them)."""
    if kind is SOURCES and row["restricted"] and not principal.may(READ_RESTRICTED):
        raise NotFoundError(f"no source {row['source_id']!r}")
    return row


def audit_read(register: Register, principal: Principal, view: str, resource: str, key=None, *,
               notes: bool = False, sources=(), **facts: Any) -> None:
    """One `read_restricted` audit entry for a request that shows restricted data; none when it shows none.

    `notes`: the restricted notes of the person `key` were shown; `sources`:
    the source rows shown (the restricted ones are named by id). The entry
    holds ids and row ids only, never what was shown.
    """
    if not principal.may(READ_RESTRICTED):
        return
    shown_sources = sorted({row["source_id"] for row in sources if row and row.get("restricted")})
    if not notes and not shown_sources:
        return
    details = {"view": view, "restricted_notes": bool(notes), "restricted_sources": shown_sources, **facts}
    audit.record_event(register.database, "read_restricted", resource=resource, key=key, details=details)


def audit_shown_row(register: Register, principal: Principal, kind: "Kind", row: dict[str, Any] | None, view: str,
                    **facts: Any) -> None:
    """The entry for an answer that shows one stored version: a person's restricted notes, or a restricted source."""
    if row is None or kind not in (PERSONS, SOURCES):
        return
    notes = kind is PERSONS and bool(row.get("restricted_notes"))
    audit_read(register, principal, view, kind.resource, kind.key_of(row), notes=notes,
               sources=[row] if kind is SOURCES else (), **facts)


def editable_fields(kind: Kind, principal: Principal) -> list[Field]:
    """The fields the principal may see and change (the others keep their values)."""
    return [field for field in kind.fields if not field.restricted or principal.may(READ_RESTRICTED)]


def _keep_unseen(kind: Kind, principal: Principal, cells: dict[str, str], current: dict[str, Any] | None,
                 register: Register) -> None:
    """Keep what the principal may not see as it is: restricted notes, restricted sources of an event."""
    if current is None or principal.may(READ_RESTRICTED):
        return
    for field in kind.fields:
        if field.restricted:
            cells[field.name] = format_cell(current[field.name])
    if kind is EVENTS:
        cited = register.sources(current["source_ids"], include_restricted=True)
        restricted = [source for source, row in cited.items() if row["restricted"]]
        cells["source_ids"] = ";".join(dict.fromkeys(_split(cells["source_ids"]) + restricted))


# Forms: who may send one, and the pages that show one.

async def submitted_form(request: Request, principal: EditorDep) -> FormData:
    """The form sent, read only once the sender may edit."""
    return await request.form()


FormDep = Annotated[FormData, Depends(submitted_form)]


def _based_on(form: FormData) -> int | None:
    text = str(form.get("based_on") or "")
    if not text:
        return None
    if not text.isascii() or not text.isdigit():
        raise InputError(f"based_on: {text!r} is not a version number")
    return int(text)


def _conflict(register: Register, kind: Kind, key, based_on: int | None, typed: dict[str, str],
              fields: list[Field]) -> dict[str, Any]:
    """What changed since the version the user opened: each field opened, now, and as typed."""
    history = register.history(kind.resource, key)
    opened = next((row for row in history if row["row_id"] == based_on), None)
    current = next((row for row in history if row["retracted_at"] is None), None)
    opened_cells = cells_of(kind, opened) if opened else {}
    current_cells = cells_of(kind, current) if current else {}
    changed = [
        {"field": field, "opened": opened_cells.get(field.name, ""), "now": current_cells.get(field.name, ""),
         "typed": typed.get(field.name, "")}
        for field in fields if opened_cells.get(field.name, "") != current_cells.get(field.name, "")
    ]
    return {
        "current": current,
        "withdrawn": current is None,
        "changed": changed,
        "recorded_at": current["recorded_at"] if current else (opened["retracted_at"] if opened else None),
    }


def form_page(request: Request, kind: Kind, context: dict[str, Any], *, status: int = 200):
    """A record's form: the fields, the values (typed or stored), the problems and any conflict."""
    context.setdefault("errors", {})
    context.setdefault("conflict", None)
    context.setdefault("exists", None)
    context.setdefault("based_on", None)
    template = {"persons": "records/person_form.html", "events": "records/event_form.html"}.get(kind.resource)
    template = template or "records/form.html"
    labels = {field.name: field.label for field in kind.fields}
    labels |= {"new_source_" + field.name: field.label for field in SOURCE_FIELDS}
    context = {"kind": kind, "categories": COMMON_CATEGORIES, "labels": labels, "id_field": kind.fields[0], **context}
    _audit_form(request, kind, context)
    return page(request, template, context, status_code=status)


def _audit_form(request: Request, kind: Kind, context: dict[str, Any]) -> None:
    """The entry for a form that shows stored restricted data.

    A person's form with restricted notes (or a conflict that shows them
    changed), the form of a restricted source (its title heads the page), an
    event's form that offers restricted sources to cite. What the user typed
    into a new record is theirs, not a read.
    """
    principal = current_principal(request)
    if not principal.may(READ_RESTRICTED):
        return
    register = request.app.state.register
    conflict = context.get("conflict") or {}
    restricted_changed = any(row["field"].restricted for row in conflict.get("changed", ()))
    if kind is PERSONS and context.get("person") is not None:
        notes = bool(context.get("values", {}).get("restricted_notes")) or restricted_changed
        audit_read(register, principal, "person form", "persons", context["person"]["person_id"], notes=notes)
    elif kind is SOURCES and not context.get("creating"):
        record = context.get("record")
        audit_read(register, principal, "source form", "sources", record["source_id"] if record else None,
                   sources=[record, conflict.get("current")])
    elif kind is EVENTS and context.get("person") is not None:
        event = context.get("event")
        offered = [*context.get("person_sources", ()), *context.get("recent_sources", ())]
        audit_read(register, principal, "event form", "events", event["event_id"] if event else None, sources=offered,
                   person_id=context["person"]["person_id"])


def _form_failure(error: FieldProblems | ConflictError, register: Register, kind: Kind, key, based_on: int | None,
                  typed: dict[str, str], fields: list[Field]) -> tuple[int, dict[str, Any]]:
    """The status and the context that show the form again after a refused save."""
    if isinstance(error, FieldProblems):
        return 400, {"errors": error.fields}
    if based_on is None:  # a new record with an id in use
        return 409, {"exists": key, "errors": {kind.key: "this id is in use already: give another or leave it empty"}}
    conflict = _conflict(register, kind, key, based_on, typed, fields)
    current = conflict["current"]
    return 409, {"conflict": conflict, "based_on": current["row_id"] if current else None}


def _save_form(request: Request, register: Register, kind: Kind, cells: dict[str, str], based_on: int | None, *,
               fields: list[Field], context: dict[str, Any], extra: list | None = None, typed_key: str | None = None):
    """Save from a form: 303 to the record's page, or the form again with what was typed (400, 409).

    `typed_key`: for a new record, the id the user typed ("" when one was made up).
    """
    try:
        row = save(register, [*(extra or []), (kind, cells, based_on)], new=(kind,) if typed_key else ())[-1]
    except (FieldProblems, ConflictError) as error:
        status, problems = _form_failure(error, register, kind, kind.key_of(cells), based_on, cells, fields)
        values = context.get("values", cells)
        if typed_key is not None:
            values = {**values, kind.key: typed_key}
        return form_page(request, kind, {**context, "values": values, "based_on": based_on, **problems}, status=status)
    return redirect(kind.page_of(row))


# Persons

def _person_context(register: Register, principal: Principal, person: dict[str, Any] | None,
                    **context) -> dict[str, Any]:
    context.update(fields=editable_fields(PERSONS, principal), person=person)
    if person is not None:
        context["events"] = register.events_of([person["person_id"]])[person["person_id"]]
        context["memberships"] = register.memberships_of(person["person_id"])
        context["organisations"] = register.records("organisations", limit=CHOICES_LIMIT)
    context.setdefault("membership_errors", {})
    context.setdefault("membership_values", {})
    return context


@router.get("/persons/new", summary="The form to add a person")
def person_new(request: Request, register: RegisterDep, principal: EditorDep):
    values = cells_of(PERSONS, {})
    context = _person_context(register, principal, None, values=values, creating=True, action="/persons/new")
    return form_page(request, PERSONS, context)


@router.post("/persons/new", summary="Add a person (a form)")
def person_create(request: Request, register: RegisterDep, form: FormDep, principal: EditorDep):
    fields = editable_fields(PERSONS, principal)
    cells = cells_of_form(fields, form)
    typed_key = cells["person_id"].strip()
    cells["person_id"] = typed_key or new_id(PERSONS.prefix)
    context = _person_context(register, principal, None, creating=True, action="/persons/new")
    return _save_form(request, register, PERSONS, cells, None, fields=fields, context=context, typed_key=typed_key)


def _person_edit_context(register: Register, principal: Principal, person_id: str, **context) -> dict[str, Any]:
    person = register.get("persons", person_id)
    action = f"/persons/{quote(person_id, safe='')}/edit"
    return _person_context(register, principal, person, creating=False, action=action, **context)


@router.get("/persons/{person_id}/edit", summary="The form to change a person, their memberships and events")
def person_edit(request: Request, person_id: str, register: RegisterDep, principal: EditorDep):
    context = _person_edit_context(register, principal, person_id)
    person = context["person"]
    return form_page(request, PERSONS, {**context, "values": cells_of(PERSONS, person), "based_on": person["row_id"]})


@router.post("/persons/{person_id}/edit", summary="Change a person (a form)")
def person_update(request: Request, person_id: str, register: RegisterDep, form: FormDep, principal: EditorDep):
    context = _person_edit_context(register, principal, person_id)
    fields = [field for field in editable_fields(PERSONS, principal) if field.name != "person_id"]
    cells = {**cells_of_form(fields, form), "person_id": person_id}
    _keep_unseen(PERSONS, principal, cells, context["person"], register)
    return _save_form(request, register, PERSONS, cells, _based_on(form), fields=fields, context=context)


@router.post("/persons/{person_id}/memberships", summary="Add a person to an organisation, or change the role (a form)")
def membership_save(request: Request, person_id: str, register: RegisterDep, form: FormDep, principal: EditorDep):
    organisation_id = str(form.get("organisation_id") or "").strip()
    cells = {"person_id": person_id, "organisation_id": organisation_id, "role": str(form.get("role") or "")}
    based_on = _based_on(form)
    try:
        save(register, [(MEMBERSHIPS, cells, based_on)])
    except (FieldProblems, ConflictError) as error:
        return _membership_refused(request, register, principal, person_id, error, cells)
    return redirect(f"/persons/{quote(person_id, safe='')}/edit#organisations")


@router.post("/persons/{person_id}/memberships/{organisation_id}/retract", summary="Take a person out of an organisation")
def membership_retract(request: Request, person_id: str, organisation_id: str, register: RegisterDep, form: FormDep,
                       principal: EditorDep):
    based_on = _based_on(form)
    if based_on is None:
        raise InputError("based_on: the version to withdraw must be given")
    try:
        register.retract("memberships", (person_id, organisation_id), based_on=based_on)
    except ConflictError as error:
        return _membership_refused(request, register, principal, person_id, error, {"organisation_id": organisation_id})
    return redirect(f"/persons/{quote(person_id, safe='')}/edit#organisations")


def _membership_refused(request, register, principal, person_id, error, cells):
    status = 409 if isinstance(error, ConflictError) else 400
    problems = error.fields if isinstance(error, FieldProblems) else {"": str(error)}
    context = _person_edit_context(register, principal, person_id, membership_errors=problems, membership_values=cells)
    person = context["person"]
    context.update(values=cells_of(PERSONS, person), based_on=person["row_id"])
    return form_page(request, PERSONS, context, status=status)


# Events

def event_fields(event_type: str | None, values: dict[str, str]) -> list[Field]:
    """The fields an event form shows: those its type uses, and any that hold a value (nothing is lost)."""
    filled = {name for name, value in values.items() if value}
    wanted = set(COMMON_EVENT_FIELDS) | set(TYPE_FIELDS.get(event_type or "", ())) | filled
    return [field for field in EVENT_FIELDS if field.name in wanted and field.kind not in ("person", "id")]


def _event_context(register: Register, principal: Principal, person: dict[str, Any], values: dict[str, str],
                   **context) -> dict[str, Any]:
    """What an event form needs: the person, the fields of the type, the cases and sources to choose from."""
    person_id = person["person_id"]
    restricted = principal.may(READ_RESTRICTED)
    own = {source for event in register.events_of([person_id])[person_id] for source in event["source_ids"]}
    cited = set(_split(values.get("source_ids")))  # shown first, ticked
    own |= cited
    table = RECORD_TABLES["sources"]
    with register.database.reading() as connection:
        query = select(table).where(table.c.retracted_at.is_(None))
        if not restricted:
            query = query.where(table.c.restricted.is_(False))
        query = query.order_by(table.c.row_id.desc()).limit(SOURCE_CHOICES)
        recent = [dict(row) for row in connection.execute(query).mappings()]
    chosen = register.sources(sorted(own), include_restricted=restricted)
    context.update(
        person=person, values=values, types=EVENT_TYPES, meanings=EVENT_MEANINGS,
        fields=event_fields(values.get("type"), values),
        person_sources=sorted(chosen.values(), reverse=True,
                              key=lambda row: (row["source_id"] in cited, row["published"] or "", row["title"])),
        recent_sources=[row for row in recent if row["source_id"] not in chosen],
        cases=register.records("cases", limit=CHOICES_LIMIT),
        source_fields=[field for field in SOURCE_FIELDS if field.kind != "id"],
    )
    # Ids typed that are not (or not visibly) in the register stay in the text box, so nothing typed is lost.
    context["other_sources"] = "; ".join(source for source in _split(values.get("source_ids")) if source not in chosen)
    context.setdefault("new_source", {})
    return context


def _new_source(form: FormData) -> dict[str, str] | None:
    """The source typed into an event form's "new source" part, if any."""
    fields = [field for field in SOURCE_FIELDS if field.kind != "id"]
    cells = {field.name: str(form.get("new_source_" + field.name) or "") for field in fields}
    cells["restricted"] = "true" if form.get("new_source_restricted") else "false"
    if not any(value for name, value in cells.items() if name != "restricted"):
        return None
    return {**cells, "source_id": new_id(SOURCES.prefix)}


def _save_event(request: Request, register: RegisterDep, principal: Principal, form: FormData, person: dict[str, Any],
                current: dict[str, Any] | None):
    """Add (`current` None) or change an event from its form, with a new source it cites if one was typed."""
    cells = cells_of_form([field for field in EVENT_FIELDS if field.kind not in ("person", "id")], form)
    cells["person_id"] = person["person_id"]
    typed_key = str(form.get("event_id") or "").strip() if current is None else None
    cells["event_id"] = current["event_id"] if current is not None else typed_key or new_id(EVENTS.prefix)
    based_on = _based_on(form) if current is not None else None
    _keep_unseen(EVENTS, principal, cells, current, register)
    source = _new_source(form)
    context = _event_context(register, principal, person, dict(cells), new_source=source or {},
                             **_event_urls(person, current))
    if typed_key is not None:
        context["values"]["event_id"] = typed_key
    if form.get("show"):  # the fields of another type: shown, nothing saved
        return form_page(request, EVENTS, {**context, "based_on": based_on})
    extra = []
    if source is not None:
        try:
            check(SOURCES, source)
        except FieldProblems as error:
            problems = {"new_source_" + name: message for name, message in error.fields.items()}
            return form_page(request, EVENTS, {**context, "errors": problems, "based_on": based_on}, status=400)
        cells["source_ids"] = ";".join([*_split(cells["source_ids"]), source["source_id"]])
        extra = [(SOURCES, source, None)]
    return _save_form(request, register, EVENTS, cells, based_on, fields=context["fields"], context=context,
                      extra=extra, typed_key=typed_key)


def _event_urls(person: dict[str, Any], current: dict[str, Any] | None) -> dict[str, Any]:
    if current is None:
        return {"creating": True, "action": f"/persons/{quote(person['person_id'], safe='')}/events/new"}
    return {"creating": False, "event": current, "action": f"/events/{quote(current['event_id'], safe='')}/edit"}


@router.get("/persons/{person_id}/events/new", summary="The form to add an event to a person (first: which type)")
def event_new(
    request: Request, person_id: str, register: RegisterDep, principal: EditorDep,
    event_type: Annotated[str | None, Query(alias="type", description="One of: " + ", ".join(EVENT_TYPES))] = None,
):
    person = register.get("persons", person_id)
    if not event_type:
        context = {"person": person, "types": EVENT_TYPES, "meanings": EVENT_MEANINGS}
        return page(request, "records/event_types.html", context)
    if event_type not in EVENT_TYPES:
        raise InputError(f"type: {event_type!r} is not one of: {', '.join(EVENT_TYPES)}")
    values = {**cells_of(EVENTS, {"type": event_type, "politically_motivated": True}), "person_id": person_id}
    return form_page(request, EVENTS, _event_context(register, principal, person, values, **_event_urls(person, None)))


@router.post("/persons/{person_id}/events/new", summary="Add an event to a person (a form)")
def event_create(request: Request, person_id: str, register: RegisterDep, form: FormDep, principal: EditorDep):
    person = register.get("persons", person_id)
    return _save_event(request, register, principal, form, person, None)


@router.get("/events/{event_id}/edit", summary="The form to change an event")
def event_edit(request: Request, event_id: str, register: RegisterDep, principal: EditorDep):
    event = register.get("events", event_id)
    person = register.get("persons", event["person_id"])
    values = cells_of(EVENTS, event)
    context = _event_context(register, principal, person, values, based_on=event["row_id"],
                             **_event_urls(person, event))
    return form_page(request, EVENTS, context)


@router.post("/events/{event_id}/edit", summary="Change an event (a form): the old version retracted, a new one recorded")
def event_update(request: Request, event_id: str, register: RegisterDep, form: FormDep, principal: EditorDep):
    history = register.history("events", event_id)
    if not history:
        raise NotFoundError(f"no event {event_id!r}")
    current = next((row for row in history if row["retracted_at"] is None), history[-1])
    person = register.get("persons", current["person_id"])
    return _save_event(request, register, principal, form, person, current)


@router.get("/events/{event_id}/retract", summary="Confirm withdrawing an event")
def event_retract_confirm(request: Request, event_id: str, register: RegisterDep, principal: EditorDep):
    event = register.get("events", event_id)
    return _retract_page(request, register, principal, event)


def _retract_page(request: Request, register: Register, principal: Principal, event: dict[str, Any], *,
                  conflict: bool = False):
    person = register.get("persons", event["person_id"])
    sources = register.sources(event["source_ids"], include_restricted=principal.may(READ_RESTRICTED))
    shown_event = {**event, "sources": [sources[source] for source in event["source_ids"] if source in sources]}
    audit_read(register, principal, "event withdrawal", "events", event["event_id"], sources=shown_event["sources"],
               person_id=event["person_id"])
    return page(request, "records/retract.html", {"event": shown_event, "person": person, "conflict": conflict},
                status_code=409 if conflict else 200)


@router.post("/events/{event_id}/retract", summary="Withdraw an event (a form)")
def event_retract(request: Request, event_id: str, register: RegisterDep, form: FormDep, principal: EditorDep):
    based_on = _based_on(form)
    if based_on is None:
        raise InputError("based_on: the version to withdraw must be given")
    try:
        register.retract("events", event_id, based_on=based_on)
    except ConflictError:
        return _retract_page(request, register, principal, register.get("events", event_id), conflict=True)
    person_id = next(row["person_id"] for row in register.history("events", event_id) if row["row_id"] == based_on)
    return redirect(f"/persons/{quote(person_id, safe='')}")


# Lists and record pages: cases, organisations, sources; and the API's reads.

def _page(register: Register, kind: Kind, conditions: list, order: list, page_number: int, page_size: int,
          known_at: datetime | None):
    """One page of current (or as known at `known_at`) records, and how many match in all."""
    table = RECORD_TABLES[kind.resource]
    condition = known_at_filter(table, known_at)
    with register.database.reading() as connection:
        total = connection.execute(select(func.count()).select_from(table).where(condition, *conditions)).scalar_one()
        query = select(table).where(condition, *conditions).order_by(*order)
        query = query.limit(page_size).offset((page_number - 1) * page_size)
        rows = [dict(row) for row in connection.execute(query).mappings()]
    return rows, total


def _list(request: Request, register: Register, kind: Kind, principal: Principal, *, q: str | None, page_number: int,
          known_at: str | None = None, conditions: list | None = None) -> dict[str, Any]:
    table = RECORD_TABLES[kind.resource]
    conditions = list(conditions or [])
    wanted = q.strip().lower() if q and q.strip() else None
    if wanted and kind is not SOURCES:
        found = (func.lower(table.c[column]).contains(wanted, autoescape=True) for column in kind.search)
        conditions.append(or_(*found))
    if kind is SOURCES and not principal.may(READ_RESTRICTED):
        conditions.append(table.c.restricted.is_(False))
    order = {
        "sources": ("published", "source_id"),  # the latest first (titles are encrypted: the database cannot sort them)
        "events": ("day", "event_id"),
        "memberships": ("person_id", "organisation_id"),
    }.get(kind.resource, (kind.title, kind.key))
    order = [table.c[column].desc().nulls_last() if column == "published" else table.c[column] for column in order]
    size = request.app.state.settings.page_size
    if wanted and kind is SOURCES:
        # A source's title, publisher and url are encrypted at rest: searched here, after decryption.
        every, _ = _page(register, kind, conditions, order, 1, 10**9, moment_option(known_at))
        matching = [row for row in every if any(wanted in str(row[column] or "").lower() for column in (*kind.search, "source_id"))]
        total = len(matching)
        rows = matching[(page_number - 1) * size : page_number * size]
    else:
        rows, total = _page(register, kind, conditions, order, page_number, size, moment_option(known_at))
    return {
        kind.resource: [shown(row, principal) for row in rows],
        "total": total,
        "page": page_number,
        "pages": max(1, -(-total // size)),
        "page_size": size,
    }


def _names(register: Register, person_ids: list[str]) -> dict[str, str]:
    table = RECORD_TABLES["persons"]
    with register.database.reading() as connection:
        query = select(table.c.person_id, table.c.name)
        query = query.where(table.c.person_id.in_(person_ids), table.c.retracted_at.is_(None))
        return dict(connection.execute(query).all())


def _cites(source_id: str):
    table = RECORD_TABLES["events"]
    return (literal(";") + table.c.source_ids + literal(";")).contains(f";{source_id};", autoescape=True)


def record_details(register: Register, kind: Kind, key: str, principal: Principal, *, known_at: datetime | None,
                   page_size: int) -> dict[str, Any]:
    """A case, organisation or source with what refers to it: persons and events in a case, members, citing events."""
    row = visible(kind, register.get(kind.resource, key, known_at=known_at), principal)
    versions = len(register.history(kind.resource, key))
    details: dict[str, Any] = {kind.singular: shown(row, principal), "versions": versions}
    events = RECORD_TABLES["events"]
    refers = {"cases": events.c.case_id == key, "sources": _cites(key)}.get(kind.resource)
    with register.database.reading() as connection:
        if refers is not None:
            condition = (known_at_filter(events, known_at), refers)
            count = select(func.count(), func.count(func.distinct(events.c.person_id))).where(*condition)
            details["events_count"], details["persons_count"] = connection.execute(count).one()
            query = select(events).where(*condition).order_by(events.c.day.desc(), events.c.event_id).limit(page_size)
            details["events"] = [shown(dict(item), principal) for item in connection.execute(query).mappings()]
        if kind is ORGANISATIONS:
            table = RECORD_TABLES["memberships"]
            condition = (table.c.organisation_id == key, known_at_filter(table, known_at))
            count = select(func.count()).select_from(table).where(*condition)
            details["members_count"] = connection.execute(count).scalar_one()
            query = select(table).where(*condition).order_by(table.c.person_id).limit(page_size)
            details["members"] = [shown(dict(item), principal) for item in connection.execute(query).mappings()]
    named = details.get("events", []) + details.get("members", [])
    names = _names(register, sorted({item["person_id"] for item in named}))
    for item in named:
        item["name"] = names.get(item["person_id"], item["person_id"])
    return details


def _list_page(kind: Kind):
    def list_page(request: Request, register: RegisterDep, principal: StaffDep, q: str | None = None,
                  page_number: PageNumber = 1):
        context = _list(request, register, kind, principal, q=q, page_number=page_number)
        if kind is SOURCES:
            audit_read(register, principal, "source list", "sources", sources=context["sources"], page=page_number)
        context.update(kind=kind, rows=context[kind.resource], filters={"q": q or ""})
        return page(request, "records/list.html", context)

    return list_page


def _record_page(kind: Kind):
    KeyOf = Annotated[str, Path(alias=kind.key)]

    def record_page(request: Request, key: KeyOf, register: RegisterDep, principal: StaffDep, known_at: KnownAt = None):
        moment = moment_option(known_at)
        details = record_details(register, kind, key, principal, known_at=moment,
                                 page_size=request.app.state.settings.page_size)
        audit_shown_row(register, principal, kind, details[kind.singular], "source page",
                        known_at=moment.isoformat() if moment else None)
        context = {**details, "kind": kind, "record": details[kind.singular], "known_at_text": known_at or ""}
        return page(request, "records/record.html", context)

    return record_page


def _new_page(kind: Kind):
    def new_page(request: Request, principal: EditorDep):
        context = {"values": cells_of(kind, {}), "fields": editable_fields(kind, principal), "creating": True,
                   "action": f"/{kind.resource}/new"}
        return form_page(request, kind, context)

    def create(request: Request, register: RegisterDep, form: FormDep, principal: EditorDep):
        fields = editable_fields(kind, principal)
        cells = cells_of_form(fields, form)
        typed_key = cells[kind.key].strip()
        cells[kind.key] = typed_key or new_id(kind.prefix)
        context = {"fields": fields, "creating": True, "action": f"/{kind.resource}/new"}
        return _save_form(request, register, kind, cells, None, fields=fields, context=context, typed_key=typed_key)

    return new_page, create


def _edit_page(kind: Kind):
    KeyOf = Annotated[str, Path(alias=kind.key)]

    def edit_context(register: Register, principal: Principal, key: str) -> dict[str, Any]:
        row = visible(kind, register.get(kind.resource, key), principal)
        fields = [field for field in editable_fields(kind, principal) if field.name != kind.key]
        action = f"/{kind.resource}/{quote(key, safe='')}/edit"
        return {"record": row, "fields": fields, "creating": False, "action": action}

    def edit_page(request: Request, key: KeyOf, register: RegisterDep, principal: EditorDep):
        context = edit_context(register, principal, key)
        context.update(values=cells_of(kind, context["record"]), based_on=context["record"]["row_id"])
        return form_page(request, kind, context)

    def update(request: Request, key: KeyOf, register: RegisterDep, form: FormDep, principal: EditorDep):
        context = edit_context(register, principal, key)
        cells = {**cells_of_form(context["fields"], form), kind.key: key}
        _keep_unseen(kind, principal, cells, context["record"], register)
        return _save_form(request, register, kind, cells, _based_on(form), fields=context["fields"], context=context)

    return edit_page, update


for _kind in (CASES, ORGANISATIONS, SOURCES):
    _label = _kind.singular
    router.get(f"/{_kind.resource}", summary=f"The list of {_kind.resource}")(_list_page(_kind))
    _new, _create = _new_page(_kind)
    router.get(f"/{_kind.resource}/new", summary=f"The form to add a {_label}")(_new)
    router.post(f"/{_kind.resource}/new", summary=f"Add a {_label} (a form)")(_create)
    router.get(f"/{_kind.resource}/{{{_kind.key}}}", summary=f"A {_label}'s page")(_record_page(_kind))
    _edit, _update = _edit_page(_kind)
    router.get(f"/{_kind.resource}/{{{_kind.key}}}/edit", summary=f"The form to change a {_label}")(_edit)
    router.post(f"/{_kind.resource}/{{{_kind.key}}}/edit", summary=f"Change a {_label} (a form)")(_update)


# The JSON API: reads of events, cases, organisations, sources and memberships; writes of every kind.

def _api_model(kind: Kind, update: bool) -> type[BaseModel]:
    """The body of a create (`<Kind>Create`) or an edit (`<Kind>Update`): the record's fields as JSON values."""
    fields: dict[str, Any] = {}
    if update:
        based_on = "The row_id of the version this edit is based on; 409 when another version is current."
        fields["based_on"] = (int, ModelField(description=based_on))
    key_fields = ("person_id", "organisation_id") if kind is MEMBERSHIPS else (kind.key,)
    for field in kind.fields:
        if update and field.name in key_fields:
            continue  # the record's key is in the address
        python_type = JSON_TYPES.get(field.kind, str)
        description = field.label + (f" ({field.help})" if field.help else "")
        description += f". One of: {', '.join(field.choices)}" if field.choices else ""
        made_up = field.kind == "id"  # left out, one is made up
        if made_up:
            description = "The record's id; left out, one is made up. Letters, digits, '-', '_' and '.' only."
        if field.required and not update and not made_up:
            fields[field.name] = (python_type, ModelField(description=description))
        else:
            fields[field.name] = (python_type | None, ModelField(None, description=description))
    doc = (f"Changes to a {kind.singular}: fields left out keep their values; null or empty clears one."
           if update else f"A new {kind.singular}; fields left out are empty.")
    name = kind.singular.capitalize() + ("Update" if update else "Create")
    return create_model(name, __config__=ConfigDict(extra="forbid"), __doc__=doc, **fields)


def _cells_of_body(kind: Kind, body: BaseModel, principal: Principal, base: dict[str, str]) -> dict[str, str]:
    """Cells from an API body over `base` (the current cells of an edit, empty ones of a create)."""
    cells = dict(base)
    problems = {}
    for name in body.model_fields_set - {"based_on"}:
        value = getattr(body, name)
        if kind.field(name).restricted and not principal.may(READ_RESTRICTED):
            raise AccessDenied(f"your role ({principal.role}) may not change {name}", anonymous=False)
        if isinstance(value, list) and any(";" in item for item in value):
            problems[name] = "a list item may not contain ';'"
        cells[name] = format_cell(value)
    if problems:
        raise FieldProblems(kind.resource, problems)
    return cells


def _refusal(kind: Kind, error: Exception, register: Register, key, principal: Principal) -> JSONResponse:
    """A refused API write: 400 with the fields at fault, or 409 with the current version (as the principal may see it)."""
    if isinstance(error, FieldProblems):
        answer = {"ok": False, "error": str(error), "title": error.title, "fields": error.fields}
        return JSONResponse(answer, status_code=400)
    current = _current(register, kind, key)
    if current is not None and kind is SOURCES and current["restricted"] and not principal.may(READ_RESTRICTED):
        current = None
    audit_shown_row(register, principal, kind, current, "api conflict")
    answer = {"ok": False, "error": str(error), "title": ConflictError.title,
              "current": shown(current, principal) if current else None}
    return JSONResponse(jsonable_encoder(answer), status_code=409)


def _api_write(register: Register, kind: Kind, principal: Principal, body: BaseModel, base: dict[str, str],
               based_on: int | None = None):
    """Create (`based_on` None) or change a record from an API body over `base`: 201 or 200 with the stored version."""
    try:
        cells = _cells_of_body(kind, body, principal, base)
        new_key = based_on is None and kind is not MEMBERSHIPS and bool(cells[kind.key])
        if based_on is None and kind is not MEMBERSHIPS and not new_key:
            cells[kind.key] = new_id(kind.prefix)
        row = save(register, [(kind, cells, based_on)], new=(kind,) if new_key else ())[0]
    except FieldProblems as error:
        return _refusal(kind, error, register, None, principal)
    except ConflictError as error:
        return _refusal(kind, error, register, kind.key_of(cells), principal)
    if based_on is not None and row["row_id"] == based_on:  # nothing changed, nothing written: the answer is a read
        audit_shown_row(register, principal, kind, row, "api answer")
    answer = jsonable_encoder({"ok": True, kind.singular: shown(row, principal)})
    return JSONResponse(answer, status_code=201 if based_on is None else 200)


def _api_routes(kind: Kind) -> None:
    create_body, update_body = _api_model(kind, update=False), _api_model(kind, update=True)
    KeyOf = Annotated[str, Path(alias=kind.key)]
    SearchOf = Annotated[str | None, Query(description="Text in " + ", ".join(kind.search))]
    base = f"/api/v1/{kind.resource}"

    def create(body: Annotated[create_body, Body()], register: RegisterDep, principal: EditorDep):
        return _api_write(register, kind, principal, body, cells_of(kind, {}))

    router.post(base, status_code=201, summary=f"Add a {kind.singular}")(create)
    if kind is MEMBERSHIPS:
        return

    def update(key: KeyOf, body: Annotated[update_body, Body()], register: RegisterDep, principal: EditorDep):
        current = visible(kind, register.get(kind.resource, key), principal)
        return _api_write(register, kind, principal, body, cells_of(kind, current), body.based_on)

    def history(key: Annotated[str, Path(alias=kind.key)], register: RegisterDep, principal: StaffDep):
        versions = register.history(kind.resource, key)
        if not versions or (kind is SOURCES and versions[-1]["restricted"] and not principal.may(READ_RESTRICTED)):
            raise NotFoundError(f"no {kind.singular} {key!r}")
        answer = {"ok": True, "versions": [shown(row, principal) for row in versions]}
        if kind in (PERSONS, SOURCES):
            column = "restricted_notes" if kind is PERSONS else "restricted"
            holding = [row["row_id"] for row in versions if row.get(column)]
            if holding:
                audit_read(register, principal, "history api", kind.resource, key, notes=kind is PERSONS,
                           sources=versions if kind is SOURCES else (), versions=holding)
        return answer

    one_path = f"{base}/{{{kind.key}}}"
    router.put(one_path, summary=f"Change a {kind.singular}: 409 with the current version if it changed since based_on")(update)
    router.get(f"{one_path}/history", summary=f"Every version of a {kind.singular}, retracted ones included")(history)
    if kind is PERSONS:
        return  # persons are read at /api/v1/persons (chronicle.web.views.persons)

    def one(request: Request, key: KeyOf, register: RegisterDep, principal: StaffDep, known_at: KnownAt = None):
        moment = moment_option(known_at)
        if kind is EVENTS:
            return {"ok": True, "event": shown(register.get("events", key, known_at=moment), principal)}
        size = request.app.state.settings.page_size
        details = record_details(register, kind, key, principal, known_at=moment, page_size=size)
        audit_shown_row(register, principal, kind, details[kind.singular], "source api",
                        known_at=moment.isoformat() if moment else None)
        return {"ok": True, **details}

    router.get(f"{base}/{{{kind.key}}}", summary=f"A {kind.singular}, with its row_id for edits")(one)
    if kind is EVENTS:
        return

    def many(request: Request, register: RegisterDep, principal: StaffDep, q: SearchOf = None, known_at: KnownAt = None,
             page_number: PageNumber = 1):
        listed = _list(request, register, kind, principal, q=q, page_number=page_number, known_at=known_at)
        if kind is SOURCES:
            audit_read(register, principal, "source list api", "sources", sources=listed["sources"], page=page_number)
        return {"ok": True, **listed}

    router.get(base, summary=f"The {kind.resource}, paged")(many)


@router.get("/api/v1/events", summary="Events, filtered and paged, in date order")
def events_json(
    request: Request,
    register: RegisterDep,
    principal: StaffDep,
    person_id: str | None = None,
    event_type: Annotated[str | None, Query(alias="type", description="One of: " + ", ".join(EVENT_TYPES))] = None,
    case_id: str | None = None,
    source_id: Annotated[str | None, Query(description="Only events citing this source")] = None,
    start: Annotated[str | None, Query(alias="from", description="From this day (YYYY-MM-DD)")] = None,
    end: Annotated[str | None, Query(alias="to", description="To this day, included (YYYY-MM-DD)")] = None,
    known_at: KnownAt = None,
    page_number: PageNumber = 1,
):
    table = RECORD_TABLES["events"]
    conditions = []
    if event_type:
        if event_type not in EVENT_TYPES:
            raise InputError(f"type: {event_type!r} is not one of: {', '.join(EVENT_TYPES)}")
        conditions.append(table.c.type == event_type)
    for column, value in (("person_id", person_id), ("case_id", case_id)):
        if value:
            conditions.append(table.c[column] == value)
    if source_id:
        conditions.append(_cites(source_id))
    for name, text, compare in (("from", start, table.c.day.__ge__), ("to", end, table.c.day.__le__)):
        if text:
            try:
                conditions.append(compare(parse_date(text)))
            except InputError as error:
                raise InputError(f"{name}: {error}") from None
    listed = _list(request, register, EVENTS, principal, q=None, page_number=page_number, known_at=known_at,
                   conditions=conditions)
    return {"ok": True, **listed}


@router.delete("/api/v1/events/{event_id}", summary="Withdraw an event: 409 with the current version if it changed since based_on")
def event_delete(
    event_id: str, register: RegisterDep, principal: EditorDep,
    based_on: Annotated[int, Query(description="The row_id of the version to withdraw")],
):
    return _api_retract(register, EVENTS, event_id, based_on, principal)


def _api_retract(register: Register, kind: Kind, key, based_on: int, principal: Principal):
    try:
        register.retract(kind.resource, key, based_on=based_on)
    except ConflictError as error:
        return _refusal(kind, error, register, key, principal)
    return {"ok": True, "retracted": {"resource": kind.resource, "key": key, "row_id": based_on}}


@router.get("/api/v1/memberships", summary="Memberships of persons in organisations, filtered and paged")
def memberships_json(request: Request, register: RegisterDep, principal: StaffDep, person_id: str | None = None,
                     organisation_id: str | None = None, known_at: KnownAt = None, page_number: PageNumber = 1):
    table = RECORD_TABLES["memberships"]
    wanted = (("person_id", person_id), ("organisation_id", organisation_id))
    conditions = [table.c[column] == value for column, value in wanted if value]
    listed = _list(request, register, MEMBERSHIPS, principal, q=None, page_number=page_number, known_at=known_at,
                   conditions=conditions)
    return {"ok": True, **listed}


MembershipUpdate = _api_model(MEMBERSHIPS, update=True)


@router.put("/api/v1/memberships/{person_id}/{organisation_id}", summary="Change a person's role in an organisation")
def membership_update(person_id: str, organisation_id: str, body: MembershipUpdate, register: RegisterDep,
                      principal: EditorDep):
    current = register.get("memberships", (person_id, organisation_id))
    return _api_write(register, MEMBERSHIPS, principal, body, cells_of(MEMBERSHIPS, current), body.based_on)


@router.delete("/api/v1/memberships/{person_id}/{organisation_id}", summary="Take a person out of an organisation")
def membership_delete(person_id: str, organisation_id: str, register: RegisterDep, principal: EditorDep,
                      based_on: Annotated[int, Query(description="The row_id of the version to withdraw")]):
    return _api_retract(register, MEMBERSHIPS, (person_id, organisation_id), based_on, principal)


for _kind in (PERSONS, EVENTS, CASES, ORGANISATIONS, SOURCES, MEMBERSHIPS):
    _api_routes(_kind)
