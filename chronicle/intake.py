"""Intake: what the register says about the candidates extracted from a text.

`reconcile_answer` takes an answer of `chronicle.extraction.extract` and adds
to each claim the register's own figure for the same metric, date or period
and subset, and whether the claim holds (chronicle.reconcile); and to each
event the register persons its name may refer to (`chronicle.duplicates`:
candidates that share a name key across scripts, scored by the matching
model), and whether the register already has an event of that type for that
person on that date.

`accept` turns the candidates an officer reviewed into records, citing the
text as their source, in one transaction.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from sqlalchemy import func, select

from chronicle.audit import Act
from chronicle.database import Database
from chronicle.duplicates import Link, PersonIndex
from chronicle.errors import InputError
from chronicle.figures import Figures, Filters
from chronicle.reconcile import reconcile
from chronicle.register import Register
from chronicle.schema import cases, organisations

MAX_PERSONS = 5


def reconcile_answer(database: Database, answer: dict[str, Any]) -> dict[str, Any]:
    """The answer with `register` added to every claim and event (a new dict; the input is left as it is)."""
    figures = Figures(database, cache=True)
    claims = [{**claim, "register": _claim_in_register(database, figures, claim)} for claim in answer["claims"]]
    names = [{"name": event["person"]} for event in answer["events"]]
    links = PersonIndex(database).link(names, limit=MAX_PERSONS) if names else []
    reconciled_events = [
        {**event, "register": _event_in_register(database, found, event)}
        for event, found in zip(answer["events"], links, strict=True)
    ]
    return {**answer, "claims": claims, "events": reconciled_events}


def _claim_in_register(database: Database, figures: Figures, claim: dict[str, Any]) -> dict[str, Any]:
    subset = claim["subset"]
    unresolved = []
    case_id = _find_id(database, cases, "case_id", subset.get("case")) if subset.get("case") else None
    if subset.get("case") and case_id is None:
        unresolved.append(f"case {subset['case']!r} is not in the register")
    organisation_id = (
        _find_id(database, organisations, "organisation_id", subset.get("organisation")) if subset.get("organisation") else None
    )
    if subset.get("organisation") and organisation_id is None:
        unresolved.append(f"organisation {subset['organisation']!r} is not in the register")
    if unresolved:
        return {"value": None, "holds": None, "difference": None, "note": "; ".join(unresolved)}
    filters = Filters(case=case_id, category=subset.get("category"), region=subset.get("region"), organisation=organisation_id)
    when: dict[str, date] = (
        {"as_of": date.fromisoformat(claim["as_of"])}
        if claim["as_of"]
        else {"start": date.fromisoformat(claim["period"]["from"]), "end": date.fromisoformat(claim["period"]["to"])}
    )
    result = reconcile(figures, claim["metric"], claim["value"], claim["qualifier"], filters=filters, **when)
    return {
        "value": result["register"],
        "holds": result["holds"],
        "difference": result["difference"],
        "filters": filters.to_json(),
        "candidates": result["candidates"]["count"],
    }


def _find_id(database: Database, table, id_column: str, name: str) -> str | None:
    """The id of the current case or organisation whose name contains `name` (letter case ignored)."""
    with database.reading() as connection:
        query = select(table.c[id_column]).where(
            table.c.retracted_at.is_(None), func.lower(table.c.name).contains(name.lower(), autoescape=True)
        )
        found = connection.scalars(query).all()
    return found[0] if len(found) == 1 else None


def _event_in_register(database: Database, links: list[Link], event: dict[str, Any]) -> dict[str, Any]:
    candidates = [
        {"person_id": link.person["person_id"], "name": link.person["name"], "score": round(link.probability, 3)}
        for link in links
    ]
    if candidates and event["date"]:
        known = Register(database).events_of([candidate["person_id"] for candidate in candidates])
        for candidate in candidates:
            candidate["has_event"] = any(
                row["type"] == event["type"] and row["date"][: len(event["date"])] == event["date"][: len(row["date"])]
                for row in known[candidate["person_id"]]
            )
    return {"persons": candidates, "known": any(candidate.get("has_event") for candidate in candidates)}



def accept(database: Database, *, source: dict[str, str], events: list[dict[str, Any]]) -> dict[str, Any]:
    """Turn reviewed candidate events into register records, citing the text as a source, in one transaction.

    `source`: the text as a source, in the cells of sources.csv (`title`
    required; `publisher`, `url`, `published`, `restricted`); a `source_id` is
    made when it has none. `events`: candidate events as `extract` gives them
    (an officer may have edited them), each with either `person_id` (a person
    of the register) or `new_person` (the cells of persons.csv for a person to
    create, `name` required; `person_id` is made when it has none). Each event
    keeps the sentence it came from as its `note`. All of it is written, or
    nothing (InputError or ConflictError naming the problem).
    """
    source_cells = {**source, "source_id": source.get("source_id") or _new_id("s")}
    changes: list[tuple[str, dict[str, str], int | None]] = [("sources", _cells(source_cells), None)]
    created_persons, created_events = [], []
    for number, event in enumerate(events, start=1):
        if bool(event.get("person_id")) == bool(event.get("new_person")):
            raise InputError(f"event {number}: give either person_id (an existing person) or new_person, not both or neither")
        person_id = event.get("person_id")
        if event.get("new_person"):
            person = {**event["new_person"], "person_id": event["new_person"].get("person_id") or _new_id("p")}
            person_id = person["person_id"]
            changes.append(("persons", _cells(person), None))
            created_persons.append(person_id)
        event_id = event.get("event_id") or _new_id("e")
        cells = {
            "event_id": event_id,
            "person_id": person_id,
            "type": event.get("type"),
            "date": event.get("date"),
            "place": event.get("place"),
            "destination": event.get("destination"),
            "case_id": event.get("case_id"),
            "source_ids": source_cells["source_id"],
            "note": event.get("text"),
        }
        changes.append(("events", _cells(cells), None))
        created_events.append(event_id)
    accepted = {"source_id": source_cells["source_id"], "persons": created_persons, "events": created_events}
    Register(database).record_all(changes, summary=Act("intake_accept", "sources", source_cells["source_id"], accepted))
    return accepted


def _cells(values: dict[str, Any]) -> dict[str, str]:
    return {key: "" if value is None else str(value) for key, value in values.items()}


def _new_id(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"
