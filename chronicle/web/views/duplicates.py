"""Possible duplicates, merging and unmerging persons in the web app.

The register's library does the work (chronicle.duplicates for the
proposals and their evidence, chronicle.merging for merges that keep every
name, event and membership and can be undone exactly); these pages show the
evidence side by side and send the decisions. A merge is recorded with the
name of whoever made it.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from pydantic import BaseModel, Field

from chronicle.duplicates import PersonIndex as NameIndex
from chronicle.duplicates import propose_duplicates
from chronicle.merging import mark_not_same, merge_persons, merges_of, unmerge
from chronicle.web.access import EDIT, READ_INTERNAL, Principal, require
from chronicle.web.deps import RegisterDep
from chronicle.web.rendering import page, redirect

router = APIRouter()

ReaderDep = Annotated[Principal, Depends(require(READ_INTERNAL))]
EditorDep = Annotated[Principal, Depends(require(EDIT))]
PROPOSALS_SHOWN = 50
LINKS_SHOWN = 10


def duplicates_of(register, person_id: str) -> list[dict[str, Any]]:
    """The persons that any of this person's names probably denotes, best first, with the evidence."""
    person = register.get("persons", person_id)
    forms = [person["name"], person["name_be"], person["name_ru"], person["name_en"], *person["aliases"]]
    queries = [
        {"name": name, "birth_date": person["birth_date"], "gender": person["gender"], "region": person["region"]}
        for name in dict.fromkeys(form for form in forms if form)
    ]
    best: dict[str, dict[str, Any]] = {}
    for links in NameIndex(register).link(queries, limit=LINKS_SHOWN + 1):
        for link in links:
            other = link.person["person_id"]
            if other != person_id and (other not in best or link.probability > best[other]["probability"]):
                best[other] = link.to_json()
    return sorted(best.values(), key=lambda link: (-link["probability"], link["person"]["person_id"]))[:LINKS_SHOWN]


@router.get("/duplicates", summary="Persons who are probably the same, with the evidence")
def duplicates_page(request: Request, register: RegisterDep, principal: ReaderDep):
    proposals = [proposal.to_json() for proposal in propose_duplicates(register, limit=PROPOSALS_SHOWN)]
    return page(request, "duplicates/proposals.html", {"proposals": proposals})


@router.get("/api/v1/duplicates", summary="Persons who are probably the same, with the evidence")
def duplicates_json(register: RegisterDep, principal: ReaderDep):
    return {"ok": True, "proposals": [proposal.to_json() for proposal in propose_duplicates(register, limit=PROPOSALS_SHOWN)]}


@router.get("/persons/{person_id}/duplicates", summary="The possible duplicates of one person")
def person_duplicates_page(request: Request, person_id: str, register: RegisterDep, principal: ReaderDep):
    person = register.get("persons", person_id)
    return page(request, "duplicates/person.html", {
        "person": person, "links": duplicates_of(register, person_id),
        "merges": [merge.to_json() for merge in merges_of(register, person_id=person_id)],
    })


@router.get("/api/v1/persons/{person_id}/duplicates", summary="The possible duplicates of one person")
def person_duplicates_json(person_id: str, register: RegisterDep, principal: ReaderDep):
    return {"ok": True, "person_id": person_id, "links": duplicates_of(register, person_id)}


@router.get("/merges", summary="Every merge, with who made it and when")
def merges_page(request: Request, register: RegisterDep, principal: ReaderDep):
    return page(request, "duplicates/merges.html", {"merges": [merge.to_json() for merge in reversed(merges_of(register))]})


@router.get("/api/v1/merges", summary="Every merge, with who made it and when")
def merges_json(register: RegisterDep, principal: ReaderDep):
    return {"ok": True, "merges": [merge.to_json() for merge in merges_of(register)]}


@router.post("/persons/merge", summary="Merge one person into another")
def merge_form(
    register: RegisterDep,
    principal: EditorDep,
    keep: Annotated[str, Form(max_length=200)],
    absorb: Annotated[str, Form(max_length=200)],
    note: Annotated[str | None, Form(max_length=2000)] = None,
):
    merge = merge_persons(register, keep, absorb, by=principal.name, note=note or None)
    return redirect(f"/persons/{keep}?merged={merge.merge_id}")


@router.post("/merges/{merge_id}/unmerge", summary="Undo a merge exactly")
def unmerge_form(merge_id: str, register: RegisterDep, principal: EditorDep):
    merge = unmerge(register, merge_id, by=principal.name)
    return redirect(f"/persons/{merge.kept}?unmerged={merge.merge_id}")


@router.post("/duplicates/not-same", summary="Record that two persons are different people")
def not_same_form(
    register: RegisterDep,
    principal: EditorDep,
    a: Annotated[str, Form(max_length=200)],
    b: Annotated[str, Form(max_length=200)],
    note: Annotated[str | None, Form(max_length=2000)] = None,
):
    mark_not_same(register, a, b, by=principal.name, note=note or None)
    return redirect("/duplicates")


class MergeCreate(BaseModel):
    keep: str = Field(min_length=1, max_length=200, description="The person who stays")
    absorb: str = Field(min_length=1, max_length=200, description="The person merged into the kept one")
    note: str | None = Field(default=None, max_length=2000)


@router.post("/api/v1/merges", summary="Merge one person into another", status_code=201)
def merge_json(body: MergeCreate, register: RegisterDep, principal: EditorDep):
    merge = merge_persons(register, body.keep, body.absorb, by=principal.name, note=body.note)
    return {"ok": True, "merge": merge.to_json()}


@router.post("/api/v1/merges/{merge_id}/unmerge", summary="Undo a merge exactly")
def unmerge_json(merge_id: str, register: RegisterDep, principal: EditorDep):
    return {"ok": True, "merge": unmerge(register, merge_id, by=principal.name).to_json()}
