"""Explaining a figure in the web app: the persons or events behind it, their events and sources, as a page or CSV.

The list always has as many items as the figure; restricted sources show
only to those allowed to read them.
"""

from __future__ import annotations

import csv
import io
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from chronicle import audit
from chronicle.errors import InputError
from chronicle.figures import FLOW_METRICS, METRICS, STOCK_METRICS
from chronicle.web.access import READ_INTERNAL, READ_RESTRICTED, Principal, require
from chronicle.web.deps import FiguresDep
from chronicle.web.views.figures import day_option, figure_label, filters_of, moment_option

router = APIRouter()

StaffDep = Annotated[Principal, Depends(require(READ_INTERNAL))]
CSV_COLUMNS = ("person_id", "name", "group", "event_id", "type", "date", "place", "case_id", "charges", "sentence_months",
               "sentence_kind", "destination", "reason", "sources")


def explanation(figures, principal: Principal, metric: str, *, as_of, start, end, known_at, case, category, region, organisation) -> dict[str, Any]:
    if metric not in METRICS:
        raise InputError(f"unknown metric {metric!r}; the metrics are: {', '.join(METRICS)}")
    options: dict[str, Any] = {}
    if metric in STOCK_METRICS:
        if start or end:
            raise InputError(f"{metric} is a stock figure: give as_of, not from and to")
        options["as_of"] = day_option(as_of, "as_of")
        if options["as_of"] is None:
            raise InputError(f"{metric} is a stock figure: give as_of (YYYY-MM-DD)")
    else:
        if as_of or not (start and end):
            raise InputError(f"{metric} is a flow figure: give from and to (YYYY-MM-DD), not as_of")
        options["start"], options["end"] = day_option(start, "from"), day_option(end, "to")
    result = figures.explain(
        metric, known_at=moment_option(known_at), filters=filters_of(case, category, region, organisation),
        include_restricted=principal.may(READ_RESTRICTED), **options,
    )
    _audit_restricted(figures, result)
    return result


def _audit_restricted(figures, result: dict[str, Any]) -> None:
    """One audit entry per explanation that shows restricted sources: which ones (ids), and the figure asked."""
    shown = sorted({
        source["source_id"] for item in result["items"] for event in item.get("events", [item])
        for source in event.get("sources", []) if source.get("restricted")
    })
    if shown:
        asked = {key: result.get(key) for key in ("as_of", "from", "to", "known_at", "filters") if key in result}
        audit.record_event(figures.database, "read_restricted", resource="figures", key=result["metric"],
                           details={**asked, "restricted_sources": shown})


def _rows(result: dict[str, Any]):
    """One CSV row per event behind each item (a flow item is one event)."""
    for item in result["items"]:
        events = item.get("events", [item])
        for event in events:
            yield {
                "person_id": item["person_id"],
                "name": item["name"],
                "group": item.get("group", ""),
                **{key: event.get(key) for key in CSV_COLUMNS[3:-1]},
                "charges": ";".join(event.get("charges") or []),
                "sources": "; ".join(
                    f"{source['title']}" + (f" <{source['url']}>" if source.get("url") else "") for source in event.get("sources", [])
                ),
            }


Common = {
    "as_of": Query(description="Stock figures: the day (YYYY-MM-DD)"),
    "start": Query(alias="from", description="Flow figures: first day"),
    "end": Query(alias="to", description="Flow figures: last day, included"),
    "known_at": Query(description="Record time (ISO 8601 or a day); default now"),
}


@router.get("/explain/{metric}.csv", summary="The persons or events behind a figure, as CSV")
def explain_csv(
    metric: str, figures: FiguresDep, principal: StaffDep,
    as_of: Annotated[str | None, Common["as_of"]] = None,
    start: Annotated[str | None, Common["start"]] = None,
    end: Annotated[str | None, Common["end"]] = None,
    known_at: Annotated[str | None, Common["known_at"]] = None,
    case: str | None = None, category: str | None = None, region: str | None = None, organisation: str | None = None,
):
    result = explanation(figures, principal, metric, as_of=as_of, start=start, end=end, known_at=known_at, case=case,
                         category=category, region=region, organisation=organisation)
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in _rows(result):
        writer.writerow({key: _safe_cell(value) for key, value in row.items()})
    period = result.get("as_of") or f"{result.get('from')}_{result.get('to')}"
    return Response(
        buffer.getvalue(), media_type="text/csv; charset=utf-8",
        headers={"content-disposition": f'attachment; filename="{metric}_{period}.csv"'},
    )


def _safe_cell(value: Any) -> str:
    """A CSV cell that a spreadsheet will not run as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") and not text.lstrip("-").isdigit() else text


@router.get("/explain/{metric}", summary="The page behind a figure")
def explain_page(
    request: Request, metric: str, figures: FiguresDep, principal: StaffDep,
    as_of: Annotated[str | None, Common["as_of"]] = None,
    start: Annotated[str | None, Common["start"]] = None,
    end: Annotated[str | None, Common["end"]] = None,
    known_at: Annotated[str | None, Common["known_at"]] = None,
    case: str | None = None, category: str | None = None, region: str | None = None, organisation: str | None = None,
):
    from chronicle.web.rendering import page

    result = explanation(figures, principal, metric, as_of=as_of, start=start, end=end, known_at=known_at, case=case,
                         category=category, region=region, organisation=organisation)
    query = {"as_of": as_of, "from": start, "to": end, "known_at": known_at, "case": case, "category": category,
             "region": region, "organisation": organisation}
    return page(request, "explain.html", {
        "result": result, "metric": metric, "label": figure_label(metric), "flow": metric in FLOW_METRICS, "query_values": query,
    })


@router.get("/api/v1/explain/{metric}", summary="The persons or events behind a figure")
def explain_json(
    metric: str, figures: FiguresDep, principal: StaffDep,
    as_of: Annotated[str | None, Common["as_of"]] = None,
    start: Annotated[str | None, Common["start"]] = None,
    end: Annotated[str | None, Common["end"]] = None,
    known_at: Annotated[str | None, Common["known_at"]] = None,
    case: str | None = None, category: str | None = None, region: str | None = None, organisation: str | None = None,
):
    return explanation(figures, principal, metric, as_of=as_of, start=start, end=end, known_at=known_at, case=case,
                       category=category, region=region, organisation=organisation)
