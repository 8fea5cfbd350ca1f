"""Intake in the web app: from a pasted or uploaded text to reviewed records, and extract and match in the API.

`GET /intake` is the form: a text (pasted, or a .txt or .html file reduced
to its text), its publication date and language, and the text as a source
(title, publisher, address, restricted). `POST /intake` runs extraction with
reconcile (chronicle.extraction, chronicle.intake.reconcile_answer) and shows
the review: the text with every claim and event highlighted, each claim with
the register's own figure and whether the claim holds, and each event as an
editable row (type, the person among the register persons the name may
denote or a new one, date, place, destination, case, accept or reject).
`POST /intake/accept` writes the accepted rows with chronicle.intake.accept
in one transaction, citing the text as a new source; rejected rows write
nothing, and when every row is rejected nothing is written at all.

The review keeps its state in the form itself (the text and a batch token
in hidden fields; no server-side session). Ids of what is written derive
from the batch token, so sending the same review twice (a reload) writes it
once. When the register refuses a row, the review comes back with the
officer's values and the reason.

The highlighted text is built from pieces that the template escapes; nothing
of the input is ever inserted as markup.

`POST /api/v1/extract` and `POST /api/v1/match` are the JSON twins of
`chronicle extract --json` and `chronicle match --json`.
"""

from __future__ import annotations

import re
import shutil
import tempfile
import uuid
from datetime import date
from html.parser import HTMLParser
from itertools import pairwise
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from chronicle.dates import parse_date, utc_now
from chronicle.errors import ConflictError, InputError, NotFoundError
from chronicle.extraction import LANGUAGES, detect_language, extract
from chronicle.figures import FLOW_METRICS, METRICS
from chronicle.register import Register
from chronicle.vocabulary import COMMON_CATEGORIES, EVENT_TYPES
from chronicle.web.access import EDIT, READ_INTERNAL, Principal, require
from chronicle.web.i18n import gettext_ as _
from chronicle.web.rendering import page
from chronicle.web.views.figures import figure_label
from chronicle.web.views.packages import FormRefused, megabytes, read_form

router = APIRouter()

MAX_TEXT_BYTES = 1024 * 1024  # a text to extract from, as UTF-8
MAX_FILE_BYTES = 5 * 1024 * 1024  # an uploaded .txt or .html (HTML is larger than its text)
MAX_ROWS = 2000  # event rows in one review
MAX_MATCH_RECORDS = 100_000
TITLE_LENGTH = 300
LANGUAGE_CHOICES = ("auto", *LANGUAGES)
TEXT_SUFFIXES = (".txt", ".text")
HTML_SUFFIXES = (".html", ".htm")
QUALIFIER_WORDS = {"exact": "", "at_least": "at least", "more_than": "more than", "about": "about", "at_most": "at most"}
_BATCH = re.compile(r"[0-9a-f]{12}")

EditDep = Annotated[Principal, Depends(require(EDIT))]
StaffDep = Annotated[Principal, Depends(require(READ_INTERNAL))]


def text_too_long(size: int | None = None) -> str:
    if size is None:
        return _("The text is longer than %(limit)s. Split it into parts and take them one by one.") % {"limit": megabytes(MAX_TEXT_BYTES)}
    return _("The text is %(size)s, longer than %(limit)s. Split it into parts and take them one by one.") % {
        "size": megabytes(size), "limit": megabytes(MAX_TEXT_BYTES)}


# --------------------------------------------------------------------------
# Text from an upload


class _HtmlText(HTMLParser):
    """The readable text of an HTML page: scripts, styles and the like dropped, blocks on lines of their own."""

    SKIPPED = frozenset({"script", "style", "noscript", "template", "title", "svg", "math", "iframe", "object"})
    BLOCKS = frozenset({
        "address", "article", "aside", "blockquote", "br", "dd", "div", "dl", "dt", "figcaption", "figure", "footer",
        "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li", "main", "nav", "ol", "p", "pre", "section", "table",
        "tr", "ul", "caption", "summary", "details",
    })
    CELLS = frozenset({"td", "th"})

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping: list[str] = []
        self.title_parts: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in self.SKIPPED:
            self.skipping.append(tag)
        elif tag in self.BLOCKS:
            self.parts.append("\n")
        elif tag in self.CELLS:
            self.parts.append(" ")

    def handle_startendtag(self, tag, attrs):
        if tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag):
        if tag in self.skipping:
            while self.skipping and self.skipping.pop() != tag:
                pass
        elif tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data):
        if not self.skipping:
            self.parts.append(data)
        elif self.skipping[-1] == "title":
            self.title_parts.append(data)


def html_to_text(markup: str) -> tuple[str, str | None]:
    """The text of an HTML document (standard library parser) and its <title>, if any."""
    reader = _HtmlText()
    reader.feed(markup)
    reader.close()
    title = " ".join("".join(reader.title_parts).split()) or None
    return tidy_text("".join(reader.parts)), title


def tidy_text(text: str) -> str:
    """One kind of line break, no trailing spaces, at most one empty line in a row."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = [re.sub(r"[ \t\f\v]+", " ", line).strip(" ") for line in text.split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def text_of_upload(filename: str, data: bytes) -> tuple[str, str | None]:
    """The text of an uploaded .txt or .html file, and the HTML title; InputError when it cannot be read."""
    suffix = Path(filename.lower()).suffix
    if suffix not in TEXT_SUFFIXES + HTML_SUFFIXES:
        raise InputError(_("%(name)s: upload a .txt or an .html file.") % {"name": filename})
    try:
        decoded = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise InputError(_("%(name)s is not UTF-8 text (byte %(byte)s). Save it as UTF-8 and upload it again.")
                         % {"name": filename, "byte": error.start + 1}) from None
    if suffix in HTML_SUFFIXES:
        return html_to_text(decoded)
    return decoded.replace("\r\n", "\n").replace("\r", "\n"), None


def first_line(text: str) -> str:
    for line in text.split("\n"):
        if line.strip():
            line = " ".join(line.split())
            return line if len(line) <= TITLE_LENGTH else line[: TITLE_LENGTH - 1].rstrip() + "…"
    return ""


# --------------------------------------------------------------------------
# The review


def highlight(text: str, claims: list[dict[str, Any]], events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The text cut into pieces at every candidate's start and end, each piece with the candidates that cover it.

    A piece: `text` (plain, escaped by the template), `labels` (C1, E2, ...
    covering it), `kind` ("claim", "event" or "both"), `starts` (labels that
    begin here, for the anchors). Spans outside the text are ignored.
    """
    spans: list[tuple[int, int, str, str]] = []
    for kind, prefix, items in (("claim", "C", claims), ("event", "E", events)):
        for number, item in enumerate(items, start=1):
            span = item.get("span") or ()
            if len(span) == 2 and all(isinstance(value, int) for value in span) and 0 <= span[0] < span[1] <= len(text):
                spans.append((span[0], span[1], f"{prefix}{number}", kind))
    cuts = sorted({0, len(text), *(span[0] for span in spans), *(span[1] for span in spans)})
    pieces = []
    for start, end in pairwise(cuts):
        covering = [(label, kind) for first, last, label, kind in spans if first <= start and end <= last]
        kinds = {kind for label, kind in covering}
        pieces.append({
            "text": text[start:end],
            "labels": [label for label, kind in covering],
            "kind": "both" if len(kinds) == 2 else next(iter(kinds), ""),
            "starts": [label for first, last, label, kind in spans if first == start],
        })
    return pieces


def _claim_view(claim: dict[str, Any], number: int) -> dict[str, Any]:
    register = claim.get("register") or {}
    filters = {key: value for key, value in (register.get("filters") or {}).items() if value}
    subset = {key: value for key, value in (claim.get("subset") or {}).items() if value}
    if claim["metric"] in FLOW_METRICS and claim.get("period"):
        when = {"from": claim["period"]["from"], "to": claim["period"]["to"]}
    else:
        when = {"as_of": claim.get("as_of")}
    explain = None
    if claim["metric"] in METRICS and register.get("value") is not None:
        explain = {**when, **filters}
    return {
        "label": f"C{number}",
        "metric": claim["metric"],
        "metric_label": figure_label(claim["metric"]) if claim["metric"] in METRICS else claim["metric"],
        "value": claim["value"],
        "qualifier": QUALIFIER_WORDS.get(claim["qualifier"], claim["qualifier"]),
        "when": when,
        "subset": subset,
        "attributed_to": claim.get("attributed_to"),
        "text": claim.get("text"),
        "register": register,
        "explain": explain,
    }


def _find_case(cases: list[dict[str, Any]], name: str | None) -> str:
    """The id of the one current case whose name contains `name` (letter case ignored), else empty."""
    if not name:
        return ""
    wanted = name.lower()
    found = [case["case_id"] for case in cases if wanted in case["name"].lower()]
    return found[0] if len(found) == 1 else ""


def _rows(register: Register, answer: dict[str, Any], cases: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """An editable row for each extracted event, with the register persons its name may denote and their evidence."""
    offered = sorted({person["person_id"] for event in answer["events"] for person in event.get("register", {}).get("persons", [])})
    facts: dict[str, dict[str, Any]] = {}
    statuses = register.statuses(offered) if offered else {}
    for person_id in offered:
        try:
            facts[person_id] = register.get("persons", person_id)
        except NotFoundError:
            continue
    rows = []
    for index, event in enumerate(answer["events"]):
        found = event.get("register") or {"persons": [], "known": False}
        candidates = []
        for person in found.get("persons", []):
            record = facts.get(person["person_id"])
            if record is None:
                continue
            status = statuses.get(person["person_id"])
            candidates.append({
                **person,
                "birth_date": record.get("birth_date"),
                "region": record.get("region"),
                "categories": record.get("categories") or [],
                "status_label": status.label if status else None,
                "status": status.status if status else None,
            })
        role = event.get("role")
        rows.append({
            "index": index,
            "label": f"E{index + 1}",
            "span": "{}-{}".format(*event["span"]) if event.get("span") else "",
            "quote": event.get("text") or "",
            "written": event["person"],
            "role": role,
            "organisation": event.get("organisation"),
            "case_name": event.get("case"),
            "candidates": candidates,
            "known": bool(found.get("known")),
            "chosen": {
                "decision": "reject" if found.get("known") else "accept",
                "type": event["type"],
                "person": candidates[0]["person_id"] if candidates else "new",
                "other_id": "",
                "new_name": event["person"],
                "new_categories": role if role in COMMON_CATEGORIES else "",
                "new_public": False,
                "date": event.get("date") or "",
                "place": event.get("place") or "",
                "destination": event.get("destination") or "",
                "case_id": _find_case(cases, event.get("case")),
            },
        })
    return rows


ROW_FIELDS = ("decision", "type", "person", "other_id", "new_name", "new_categories", "date", "place", "destination", "case_id")


def _submitted_values(fields: dict[str, str], index: int) -> dict[str, Any]:
    values: dict[str, Any] = {key: fields.get(f"row-{index}-{key}", "").strip() for key in ROW_FIELDS}
    values["new_public"] = bool(fields.get(f"row-{index}-new_public"))
    return values


def run_extraction(database, text: str, published: date, lang: str | None, *, reconcile: bool = True) -> dict[str, Any]:
    """Extraction as `chronicle extract` does it: the register's names as the gazetteer; with reconcile when asked."""
    answer = extract(text, published=published, language=lang, gazetteer=Register(database).names())
    if reconcile:
        from chronicle.intake import reconcile_answer

        answer = reconcile_answer(database, answer)
    return answer


def review_context(
    request: Request, *, text: str, published: date, lang: str, source: dict[str, Any], answer: dict[str, Any],
    batch: str, submitted: dict[str, str] | None = None, error: str | None = None,
) -> dict[str, Any]:
    register: Register = request.app.state.register
    cases = register.records("cases")
    rows = _rows(register, answer, cases)
    if submitted is not None:
        for row in rows:
            if submitted.get(f"row-{row['index']}-span", "") == row["span"]:
                row["chosen"] = _submitted_values(submitted, row["index"])
    return {
        "text": text,
        "pieces": highlight(text, answer["claims"], answer["events"]),
        "published": published.isoformat(),
        "lang": lang,
        "language": answer["language"],
        "source": source,
        "claims": [_claim_view(claim, number) for number, claim in enumerate(answer["claims"], start=1)],
        "rows": rows,
        "event_types": EVENT_TYPES,
        "cases": cases if len(cases) <= 2000 else [],
        "batch": batch,
        "error": error,
    }


def _form_context(values: dict[str, Any] | None = None, error: str | None = None) -> dict[str, Any]:
    defaults = {"text": "", "published": utc_now().date().isoformat(), "lang": "auto", "title": "", "publisher": "", "url": "",
                "restricted": False}
    return {"values": {**defaults, **(values or {})}, "lang_choices": LANGUAGE_CHOICES, "error": error,
            "max_text": megabytes(MAX_TEXT_BYTES), "max_file": megabytes(MAX_FILE_BYTES)}


def _published(text: str) -> date:
    if not text.strip():
        raise InputError(_("Give the date the text was published (YYYY-MM-DD)."))
    try:
        return parse_date(text.strip())
    except InputError as error:
        raise InputError(_("Publication date: %(error)s") % {"error": error}) from None


def _language(choice: str) -> str | None:
    choice = (choice or "auto").strip()
    if choice not in LANGUAGE_CHOICES:
        raise InputError(_("Unknown language %(lang)s: choose auto, en, ru or be.") % {"lang": repr(choice)})
    return None if choice == "auto" else choice


def _checked_text(text: str) -> str:
    size = len(text.encode("utf-8"))
    if size > MAX_TEXT_BYTES:
        raise FormRefused(text_too_long(size), status=413)
    if not any(char.isalpha() for char in text):
        raise InputError(_("There is no text to read: paste a text or choose a file."))
    return text


# --------------------------------------------------------------------------
# Pages


@router.get("/intake", summary="Intake: the form for a text to extract claims and events from")
def intake_form(request: Request, principal: StaffDep):
    return page(request, "intake/form.html", _form_context())


@router.post("/intake", summary="Intake: extract claims and events from a text (form fields: text or file, published, lang, title, "
             "publisher, url, restricted) and show them for review")
async def intake_review(request: Request, principal: EditDep):
    folder = Path(tempfile.mkdtemp(prefix="chronicle-intake-"))
    values: dict[str, Any] = {}
    try:
        try:
            fields, files = await read_form(
                request, folder, file_fields=("file",), max_file_bytes=MAX_FILE_BYTES, field_limits={"text": MAX_TEXT_BYTES},
                too_large={"text": text_too_long(), "file": _("The file is larger than %(size)s. Split the text into parts.")
                           % {"size": megabytes(MAX_FILE_BYTES)}},
            )
            values = {key: fields.get(key, "") for key in ("text", "published", "lang", "title", "publisher", "url")}
            values["restricted"] = bool(fields.get("restricted"))
            upload = files.get("file")
            title_hint = None
            pasted = fields.get("text", "")
            if upload is not None and upload.filename:
                if pasted.strip():
                    raise InputError(_("Paste a text or choose a file, not both."))
                text, title_hint = text_of_upload(upload.filename, upload.path.read_bytes())
            else:
                text = pasted
            text = _checked_text(tidy_newlines(text))
            published = _published(values["published"])
            lang = _language(values["lang"])
        except FormRefused as error:
            return page(request, "intake/form.html", _form_context(values, str(error)), status_code=error.status)
        except InputError as error:
            return page(request, "intake/form.html", _form_context(values, str(error)), status_code=400)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    answer = await run_in_threadpool(run_extraction, request.app.state.database, text, published, lang)
    if len(answer["events"]) > MAX_ROWS:
        message = _("The text names %(count)s events, more than the %(limit)s one review can hold. Split it into parts.") % {
            "count": f"{len(answer['events']):,}", "limit": f"{MAX_ROWS:,}"}
        return page(request, "intake/form.html", _form_context(values, message), status_code=400)
    source = {
        "title": values["title"].strip() or title_hint or first_line(text),
        "publisher": values["publisher"].strip(),
        "url": values["url"].strip(),
        "published": published.isoformat(),
        "restricted": values["restricted"],
    }
    context = await run_in_threadpool(
        lambda: review_context(request, text=text, published=published, lang=values["lang"] or "auto", source=source, answer=answer,
                               batch=uuid.uuid4().hex[:12])
    )
    return page(request, "intake/review.html", context)


def tidy_newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _name_key(name: str) -> str:
    return " ".join(name.casefold().split())


def accepted_events(fields: dict[str, str], *, batch: str, language: str) -> tuple[list[dict[str, Any]], list[str]]:
    """The events to write from the review's rows (rejected rows left out), and the labels of the rejected rows.

    Rows that create a new person of the same name create one person.
    """
    raw = fields.get("rows", "0").strip()
    if not raw.isdigit() or int(raw) > MAX_ROWS:
        raise InputError(_("The review form is damaged (rows). Start the intake again."))
    events, rejected = [], []
    new_persons: dict[str, str] = {}
    for index in range(int(raw)):
        label = f"E{index + 1}"
        values = _submitted_values(fields, index)
        if values["decision"] != "accept":
            rejected.append(label)
            continue
        if values["type"] not in EVENT_TYPES:
            raise InputError(_("%(row)s: choose the type of the event.") % {"row": label})
        event: dict[str, Any] = {
            "event_id": f"e-{batch}-{index + 1}",
            "type": values["type"],
            "date": values["date"] or None,
            "place": values["place"] or None,
            "destination": values["destination"] or None,
            "case_id": values["case_id"] or None,
            "text": fields.get(f"row-{index}-quote", "").strip() or None,
        }
        if not event["date"]:
            raise InputError(_("%(row)s: give the date of the event (YYYY-MM-DD, YYYY-MM or YYYY).") % {"row": label})
        choice = values["person"]
        if choice == "new":
            name = " ".join(values["new_name"].split())
            if not name:
                raise InputError(_("%(row)s: give the new person's name.") % {"row": label})
            key = _name_key(name)
            if key in new_persons:
                event["person_id"] = new_persons[key]
            else:
                person_id = f"p-{batch}-{len(new_persons) + 1}"
                new_persons[key] = person_id
                categories = [part.strip().lower() for part in re.split(r"[;,]", values["new_categories"]) if part.strip()]
                event["new_person"] = {
                    "person_id": person_id, "name": name, f"name_{language}": name, "categories": ";".join(categories),
                    "public": "true" if values["new_public"] else "false",
                }
        elif choice == "other":
            if not values["other_id"]:
                raise InputError(_("%(row)s: give the register id of the person (as in the address of the person's page).") % {"row": label})
            event["person_id"] = values["other_id"]
        elif choice:
            event["person_id"] = choice
        else:
            raise InputError(_("%(row)s: choose the person, or a new person.") % {"row": label})
        events.append(event)
    return events, rejected


def _written(register: Register, source_id: str, event_ids: list[str], new_person_ids: list[str]) -> dict[str, Any]:
    events = []
    for event_id in event_ids:
        try:
            events.append(register.get("events", event_id))
        except NotFoundError:
            continue
    person_ids = sorted({event["person_id"] for event in events})
    statuses = register.statuses(person_ids)
    names = {person_id: register.get("persons", person_id)["name"] for person_id in person_ids}
    return {
        "source": register.get("sources", source_id),
        "events": [{**event, "name": names[event["person_id"]], "new_person": event["person_id"] in new_person_ids} for event in events],
        "persons": [
            {"person_id": person_id, "name": names[person_id], "status": statuses[person_id].status,
             "status_label": statuses[person_id].label, "recognized": statuses[person_id].recognized, "new": person_id in new_person_ids}
            for person_id in person_ids
        ],
    }


@router.post("/intake/accept", summary="Intake: record the accepted rows of a review, citing the text as a new source")
async def intake_accept(request: Request, principal: EditDep):
    folder = Path(tempfile.mkdtemp(prefix="chronicle-intake-"))
    try:
        fields, _files = await read_form(
            request, folder, field_limits={"text": MAX_TEXT_BYTES}, max_fields=20 * MAX_ROWS + 50, too_large={"text": text_too_long()},
        )
    except FormRefused as error:
        return page(request, "error.html", {"title": _("Input refused"), "message": str(error), "status": error.status},
                    status_code=error.status)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    batch = fields.get("batch", "")
    text = tidy_newlines(fields.get("text", ""))
    try:
        if not _BATCH.fullmatch(batch) or not text.strip():
            raise InputError(_("The review form is damaged. Start the intake again."))
        published = _published(fields.get("published", ""))
        lang = _language(fields.get("lang", "auto"))
    except InputError as error:
        return page(request, "error.html", {"title": _("Input refused"), "message": str(error), "status": 400}, status_code=400)
    source = {
        "title": fields.get("title", "").strip(),
        "publisher": fields.get("publisher", "").strip(),
        "url": fields.get("url", "").strip(),
        "published": fields.get("source_published", "").strip() or published.isoformat(),
        "restricted": bool(fields.get("restricted")),
    }
    database = request.app.state.database
    register: Register = request.app.state.register
    source_id = f"s-{batch}"

    async def again(message: str, status: int = 400):
        answer = await run_in_threadpool(run_extraction, database, text, published, lang)
        context = await run_in_threadpool(
            lambda: review_context(request, text=text, published=published, lang=fields.get("lang", "auto"), source=source,
                                   answer=answer, batch=batch, submitted=fields, error=message)
        )
        return page(request, "intake/review.html", context, status_code=status)

    language = lang or detect_language(text)
    try:
        events, rejected = accepted_events(fields, batch=batch, language=language)
        if not source["title"]:
            raise InputError(_("Give the source a title."))
    except InputError as error:
        return await again(str(error))
    try:
        register.get("sources", source_id)
    except NotFoundError:
        pass
    else:  # this review was recorded already (the form was sent twice)
        written = _written(register, source_id, [event["event_id"] for event in events], [])
        return page(request, "intake/accepted.html", {**written, "rejected": rejected, "again": True})
    if not events:
        return page(request, "intake/accepted.html", {"source": None, "events": [], "persons": [], "rejected": rejected, "again": False})
    cells = {**source, "source_id": source_id, "restricted": "true" if source["restricted"] else "false"}
    from chronicle.intake import accept

    try:
        created = await run_in_threadpool(lambda: accept(database, source=cells, events=events))
    except (InputError, ConflictError) as error:
        return await again(_("Nothing was recorded: %(error)s") % {"error": error})
    written = await run_in_threadpool(_written, register, created["source_id"], created["events"], created["persons"])
    return page(request, "intake/accepted.html", {**written, "rejected": rejected, "again": False})


# --------------------------------------------------------------------------
# The JSON API


class ExtractRequest(BaseModel):
    """A text to extract claims and events from (spec/extraction.md)."""

    text: str = Field(description=f"The text, at most {MAX_TEXT_BYTES // (1024 * 1024)} MB as UTF-8")
    published: date = Field(description="The date the text was published: relative dates resolve against it")
    lang: Literal["auto", "en", "ru", "be"] | None = Field(default=None, description="en, ru or be; default: detected")
    reconcile: bool = Field(default=False, description="Add the register's figure to each claim and its matching persons to each event")

    model_config = ConfigDict(extra="forbid", json_schema_extra={
        "examples": [{"text": "Police detained singer Aleh Hamenka on Monday in Minsk.", "published": "2025-07-08", "reconcile": True}],
    })


@router.post("/api/v1/extract", summary="Candidate claims and events from a text, as `chronicle extract --json` (spec/extraction.md)")
def extract_json(body: ExtractRequest, request: Request, principal: StaffDep):
    size = len(body.text.encode("utf-8", "surrogatepass"))  # half a surrogate pair is refused by the extraction, naming it
    if size > MAX_TEXT_BYTES:
        raise InputError(text_too_long(size))
    lang = None if body.lang in (None, "auto") else body.lang
    return run_extraction(request.app.state.database, tidy_newlines(body.text), body.published, lang, reconcile=body.reconcile)


class MatchRecord(BaseModel):
    """One name record, as a row of `chronicle match`'s CSV."""

    record_id: str | int | None = Field(default=None, description="Distinct for every record")
    name: str | None = Field(default=None, description="The name, in any script")
    birth_date: str | None = Field(default=None, description="YYYY-MM-DD, YYYY-MM or YYYY")
    gender: str | None = Field(default=None, description="m or f")
    region: str | None = None

    model_config = ConfigDict(extra="allow")  # unknown fields are refused with the problem named (400)


class MatchRequest(BaseModel):
    """Name records to cluster (docs/matching.md)."""

    records: list[MatchRecord] = Field(description=f"At most {MAX_MATCH_RECORDS:,} records")
    threshold: float | None = Field(default=None, description="Match probability at which two records are linked (0 to 1); default 0.9")

    model_config = ConfigDict(extra="forbid", json_schema_extra={
        "examples": [{"records": [{"record_id": "1", "name": "Сяргей Ціханоўскі"}, {"record_id": "2", "name": "Siarhei Tsikhanouski"}]}],
    })


class MatchCluster(BaseModel):
    record_id: str
    cluster_id: str = Field(description="The smallest record_id of the record's cluster")


def _cell(value: Any) -> str:
    return "" if value is None else str(value).strip()


def checked_match_records(records: list[MatchRecord]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The records as `match_records` takes them, checked as `read_match_csv` checks a CSV's rows, and the problems."""
    from chronicle.matching import MATCH_COLUMNS, _check_row

    problems: list[dict[str, Any]] = []
    checked = []
    first_seen: dict[str, int] = {}
    for number, record in enumerate(records, start=1):
        for extra in sorted(record.model_extra or {}):
            problems.append({"record": number, "field": extra,
                             "message": f"unknown field {extra!r}: the fields are {', '.join(MATCH_COLUMNS)}"})
        values = {column: _cell(getattr(record, column)) for column in MATCH_COLUMNS}
        row, row_problems = _check_row(values, "records", number, first_seen)
        for problem in row_problems:
            problems.append({"record": number, "field": problem.column,
                             "message": re.sub(r"\bon line (\d+)\b", r"by record \1", problem.message)})
        if not row_problems:
            checked.append(row)
    return checked, problems


@router.post("/api/v1/match", summary="Cluster name records that denote the same person, as `chronicle match --json`",
             response_model=list[MatchCluster], responses={400: {"description": "The records were refused: every problem is named"}})
def match_json(body: MatchRequest, principal: StaffDep):
    from chronicle.matching import MatchSettings, match_records

    if len(body.records) > MAX_MATCH_RECORDS:
        raise InputError(f"{len(body.records):,} records: at most {MAX_MATCH_RECORDS:,} are matched in one request; "
                         "split them, or use `chronicle match` on the server")
    records, problems = checked_match_records(body.records)
    if problems:
        shown = problems[:20]
        summary = "; ".join(f"record {problem['record']}" + (f", {problem['field']}" if problem["field"] else "") + f": {problem['message']}"
                            for problem in shown)
        more = f" (and {len(problems) - len(shown)} more)" if len(problems) > len(shown) else ""
        return JSONResponse({"ok": False, "title": "Input refused", "error": f"{len(problems)} problem(s): {summary}{more}",
                             "problems": problems}, status_code=400)
    settings = MatchSettings() if body.threshold is None else MatchSettings(threshold=body.threshold)
    return match_records(records, settings)
