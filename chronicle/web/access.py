"""Who is asking, and what they may do: the one place the web app decides access.

Every route names the permission it needs through `require(PERMISSION)`, a
FastAPI dependency, or declares itself public with `public`. The routes and
their permissions are listed in `ROUTE_PERMISSIONS`, which a test compares
with the app's routes, so a new route without an entry fails the tests.

Who the caller is comes from `identify`. Until accounts exist (the security
issue), a server is started either for a single local operator
(`WebSettings.local_operator`, the default of `chronicle serve` on the
loopback address and of `chronicle demo`), who acts as an admin, or for the
public only, where every caller is anonymous. The security issue replaces
`identify` with sessions; nothing else needs to change.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

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


def identify(request: Request) -> Principal:
    """The principal of a request (see the module's description)."""
    settings = request.app.state.settings
    return LOCAL_OPERATOR if settings.local_operator else ANONYMOUS


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
