"""The monthly report: the month in figures, charts, new cases, the people behind the flows, and a method note.

`monthly_report(database, "2026-09", fmt="html" | "md", public=..., known_at=...)`
returns the report as one text. It is built in two steps: `build_monthly_report`
reads the register into a `MonthlyReport` (plain data, every text already
redacted when public), and `to_html` / `to_markdown` lay that out.

What the report holds:
- the stock figures at the end of the month beside those at the end of the
  previous month, and the flow figures of the month beside those of the
  previous month, each with its change; political prisoners by category and
  by gender at both month ends;
- three charts (chronicle.charts): political prisoners and everyone behind
  bars day by day over the 24 months up to the month end; arrests, releases
  and pardons over the 12 months up to the month; political prisoners by
  category at the month end;
- the group cases opened in the month (a partial date counts as its first day);
- the people arrested, released, pardoned, deported and dead in custody in
  the month, each event with its date and its open sources (from
  `Figures.explain`, so each list has exactly the figure's count);
- a method note defining every figure in plain words.

Public reports (`public=True`): figures count everyone, but only persons
whose current record says `public` are named, and only for events that have
at least one open source (as in the public export); the others are counted in
a sentence under each list. Every text taken from the register (names,
places, case names and descriptions, source titles, publishers, addresses)
passes through a `NameRedactor` built from every name and alias, in every
version, of every person who is not public now. Restricted sources are never
cited, in public or internal reports: the communications team publishes
from this report, and restricted sources protect people.

Charts: the HTML report is one self-contained file: embedded CSS, the charts
as inline SVG, no script and no external reference except the links to the
sources cited. The Markdown report takes its charts as PNG files: given
`assets_dir` (the folder the Markdown file will be saved in), the PNGs are
written there as `<assets_prefix>-<chart>.png` and linked by file name, so
the report and its pictures move together; without `assets_dir` the PNGs are
embedded as `data:` URIs, so the returned text is still complete (larger, and
not shown by every Markdown viewer). `write_monthly_report(database, month,
path)` does the first: it picks the format from the suffix and writes the
charts beside the file.
"""

from __future__ import annotations

import base64
import html
import os
import re
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from chronicle import charts
from chronicle.database import Database
from chronicle.dates import first_day, utc_now
from chronicle.errors import InputError
from chronicle.figures import FLOW_METRICS, Figures
from chronicle.redaction import NameRedactor
from chronicle.register import known_at_filter
from chronicle.schema import cases as cases_table
from chronicle.schema import events as events_table
from chronicle.schema import persons as persons_table

FORMATS = ("md", "html")
MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)
STOCK_ROWS = ("political_prisoners", "behind_bars", "in_exile", "died_in_custody", "recognized_total")
FLOW_ROWS = ("arrests", "releases", "pardons", "deportations", "deaths_in_custody", "new_recognitions", "convictions")
STOCK_LABELS = {
    "political_prisoners": "Political prisoners behind bars",
    "behind_bars": "Everyone behind bars (recognised or not)",
    "in_exile": "In exile after deportation",
    "died_in_custody": "Political prisoners who died in custody, in all",
    "recognized_total": "Ever recognised as political prisoners",
}
FLOW_LABELS = {metric: charts.LABELS[metric] for metric in FLOW_METRICS}  # the charts' words
# The lists of people, in this order, with their headings.
LISTS = (
    ("arrests", "Arrested"),
    ("releases", "Released"),
    ("pardons", "Pardoned"),
    ("deportations", "Deported"),
    ("deaths_in_custody", "Died in custody"),
)
REASONS = {
    "end_of_term": "end of term",
    "pardon": "pardon",
    "amnesty": "amnesty",
    "exchange": "exchange",
    "acquittal": "acquittal",
    "measure_changed": "measure changed",
}
CHARTS = (
    ("prisoners", "Political prisoners behind bars, day by day"),
    ("flows", "Arrests, releases and pardons by month"),
    ("categories", "Political prisoners by category"),
)
_MONTH = re.compile(r"([0-9]{4})-([0-9]{2})")


# The report as data


@dataclass(frozen=True)
class FigureRow:
    """One figure at two moments (stock) or over two months (flow)."""

    key: str
    label: str
    previous: int
    current: int

    @property
    def change(self) -> int:
        return self.current - self.previous


@dataclass(frozen=True)
class SourceRef:
    title: str
    publisher: str | None
    published: str | None
    url: str | None  # only http(s) addresses are kept


@dataclass(frozen=True)
class PersonEntry:
    """A named person and the event that puts them in a list."""

    date: str  # as recorded: YYYY-MM-DD, YYYY-MM or YYYY
    name: str
    detail: str
    sources: tuple[SourceRef, ...]
    public: bool  # consented to be named (internal reports show everyone, and mark the others)


@dataclass(frozen=True)
class PersonList:
    metric: str
    heading: str
    count: int  # the figure: everyone, named or not
    entries: tuple[PersonEntry, ...]

    @property
    def unnamed(self) -> int:
        return self.count - len(self.entries)


@dataclass(frozen=True)
class CaseEntry:
    case_id: str
    name: str
    opened: str
    description: str | None
    persons: int  # persons with an event in the case, as known at the report's moment


@dataclass
class MonthlyReport:
    """Everything the report says, ready to lay out; texts are redacted already when public."""

    month: str
    first_day: date
    last_day: date
    previous_month: str
    known_at: datetime
    public: bool
    stock: list[FigureRow]
    flow: list[FigureRow]
    categories: list[FigureRow]
    genders: list[FigureRow]
    cases: list[CaseEntry]
    lists: list[PersonList]
    charts: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def title(self) -> str:
        return f"{month_name(self.month)}: the month in figures"

    @property
    def stamp(self) -> str:
        return charts.stamp(self.last_day, self.known_at)

    @property
    def unfinished(self) -> bool:
        """The month was not over at the report's moment: its figures are those recorded so far."""
        return self.last_day >= self.known_at.date()

    def row(self, key: str) -> FigureRow:
        return next(row for row in self.stock + self.flow if row.key == key)


def month_name(month: str) -> str:
    """'2026-09' -> 'September 2026'."""
    year, number = month.split("-")
    return f"{MONTHS[int(number) - 1]} {year}"


def parse_month(month: str) -> tuple[date, date]:
    """The first and last day of a `YYYY-MM` month; InputError for anything else."""
    match = _MONTH.fullmatch(month.strip()) if isinstance(month, str) else None
    if not match or not 1 <= int(match.group(2)) <= 12 or int(match.group(1)) < 1800:
        raise InputError(f"{month!r} is not a month: write YYYY-MM, for example 2025-05")
    start = date(int(match.group(1)), int(match.group(2)), 1)
    return start, _next_month(start) - timedelta(days=1)


def _next_month(day: date) -> date:
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


def _months_before(day: date, count: int) -> date:
    """The first day of the month `count` months before `day`'s month."""
    index = day.year * 12 + day.month - 1 - count
    return date(index // 12, index % 12 + 1, 1)


# Reading the register


def build_monthly_report(
    database: Database, month: str, *, public: bool = False, known_at: datetime | None = None
) -> MonthlyReport:
    """Read everything the report of `month` (YYYY-MM) says, as known at `known_at` (default now)."""
    start, end = parse_month(month)
    moment = known_at or utc_now()
    moment = moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)
    previous_end = start - timedelta(days=1)
    previous_start = previous_end.replace(day=1)
    # Many figures from one register: load it once (the cache), unless a past moment is asked for.
    figures = Figures(database, cache=known_at is None)
    as_known = known_at  # None: the current register, which the cache serves
    people = _People(database, moment)
    text = people.redactor.redact if public else (lambda value: value)

    stock_now = figures.stock(end, known_at=as_known)
    stock_before = figures.stock(previous_end, known_at=as_known)
    flow_now = figures.flow(start, end, known_at=as_known)
    flow_before = figures.flow(previous_start, previous_end, known_at=as_known)
    report = MonthlyReport(
        month=f"{start:%Y-%m}",
        first_day=start,
        last_day=end,
        previous_month=f"{previous_start:%Y-%m}",
        known_at=moment,
        public=public,
        stock=[FigureRow(key, STOCK_LABELS[key], stock_before[key], stock_now[key]) for key in STOCK_ROWS],
        flow=[FigureRow(key, FLOW_LABELS[key], flow_before[key], flow_now[key]) for key in FLOW_ROWS],
        categories=_split_rows(stock_before["political_prisoners_by_category"], stock_now["political_prisoners_by_category"], text, _category),
        genders=_split_rows(stock_before["political_prisoners_by_gender"], stock_now["political_prisoners_by_gender"], str, _gender),
        cases=_new_cases(database, start, end, moment, text),
        lists=[],
    )
    case_names = _case_names(database, moment)
    for metric, heading in LISTS:
        explained = figures.explain(metric, start=start, end=end, known_at=as_known, include_restricted=False)
        report.lists.append(_person_list(metric, heading, explained, people, case_names, public, text))

    history_start = _months_before(start, 23)
    prisoners = figures.series("political_prisoners", history_start, end, step="day", known_at=as_known)
    behind_bars = figures.series("behind_bars", history_start, end, step="day", known_at=as_known)
    flows_start = _months_before(start, 11)
    flows = {metric: figures.series(metric, flows_start, end, step="month", known_at=as_known) for metric in ("arrests", "releases", "pardons")}
    report.charts = {
        "prisoners": charts.prisoners_chart(
            prisoners, behind_bars=behind_bars, as_of=end, known_at=moment,
            title=f"Political prisoners behind bars, {MONTHS[history_start.month - 1]} {history_start.year} to {month_name(report.month)}",
        ),
        "flows": charts.monthly_flows_chart(flows, as_of=end, known_at=moment),
        "categories": charts.category_chart(
            {text(key): count for key, count in stock_now["political_prisoners_by_category"].items()}, as_of=end, known_at=moment
        ),
    }
    return report


class _People:
    """Who may be named, the names to withhold, and the display names of persons as known at the report's moment."""

    def __init__(self, database: Database, known_at: datetime):
        self.database = database
        self.known_at = known_at
        versions: dict[str, list[dict[str, Any]]] = {}
        columns = [persons_table.c[name] for name in ("person_id", "name", "name_be", "name_ru", "name_en", "aliases", "public", "retracted_at")]
        with database.reading() as connection:
            for row in connection.execute(select(*columns)).mappings():
                versions.setdefault(row["person_id"], []).append(dict(row))
        self.public: set[str] = set()
        hidden: list[str] = []
        for person_id, rows in versions.items():
            current = [row for row in rows if row["retracted_at"] is None]
            if current and current[0]["public"]:
                self.public.add(person_id)
                continue
            for row in rows:  # every name the person ever had in the register
                hidden.extend(name for name in (row["name"], row["name_be"], row["name_ru"], row["name_en"], *(row["aliases"] or [])) if name)
        self.redactor = NameRedactor(hidden)

    def display_names(self, person_ids: Iterable[str]) -> dict[str, str]:
        """The English form of each name where the register has one, otherwise the name."""
        wanted = sorted(set(person_ids))
        names: dict[str, str] = {}
        with self.database.reading() as connection:
            for start in range(0, len(wanted), 500):
                query = select(persons_table.c.person_id, persons_table.c.name, persons_table.c.name_en).where(
                    persons_table.c.person_id.in_(wanted[start : start + 500]), known_at_filter(persons_table, self.known_at)
                )
                for person_id, name, name_en in connection.execute(query):
                    names[person_id] = name_en or name
        return names


def _split_rows(before: dict[str, int], now: dict[str, int], text: Callable[[str], str], label: Callable[[str], str]) -> list[FigureRow]:
    keys = sorted(set(before) | set(now), key=lambda key: (-now.get(key, 0), -before.get(key, 0), key))
    return [FigureRow(key, text(label(key)), before.get(key, 0), now.get(key, 0)) for key in keys]


def _category(name: str) -> str:
    return name[:1].upper() + name[1:]


def _gender(key: str) -> str:
    return charts.GENDER_LABELS.get(key, key)


def _new_cases(database: Database, start: date, end: date, known_at: datetime, text: Callable[[str], str]) -> list[CaseEntry]:
    query = select(cases_table.c.case_id, cases_table.c.name, cases_table.c.opened, cases_table.c.description).where(
        known_at_filter(cases_table, known_at), cases_table.c.opened.is_not(None)
    )
    persons = (
        select(events_table.c.case_id, func.count(events_table.c.person_id.distinct()))
        .where(known_at_filter(events_table, known_at), events_table.c.case_id.is_not(None))
        .group_by(events_table.c.case_id)
    )
    with database.reading() as connection:
        rows = [row for row in connection.execute(query) if row.opened and start <= first_day(row.opened) <= end]
        counts = dict(connection.execute(persons).all()) if rows else {}
    rows.sort(key=lambda row: (first_day(row.opened), row.name, row.case_id))
    return [
        CaseEntry(row.case_id, text(row.name), row.opened, text(row.description) if row.description else None, counts.get(row.case_id, 0))
        for row in rows
    ]


def _case_names(database: Database, known_at: datetime) -> dict[str, str]:
    with database.reading() as connection:
        query = select(cases_table.c.case_id, cases_table.c.name).where(known_at_filter(cases_table, known_at))
        return dict(connection.execute(query).all())


def _person_list(
    metric: str,
    heading: str,
    explained: dict[str, Any],
    people: _People,
    case_names: dict[str, str],
    public: bool,
    text: Callable[[Any], Any],
) -> PersonList:
    items = explained["items"]
    names = people.display_names(item["person_id"] for item in items)
    entries = []
    for item in items:
        consented = item["person_id"] in people.public
        sources = tuple(_source(source, text) for source in item.get("sources", []) if not source.get("restricted"))
        if public and (not consented or not sources):
            continue  # counted, not named: no consent, or nothing open to cite
        name = names.get(item["person_id"]) or item.get("name") or "(no name recorded)"
        entries.append(PersonEntry(item["date"], text(name), text(_detail(item, case_names)), sources, consented))
    entries.sort(key=lambda entry: (first_day(entry.date), entry.name.lower()))
    return PersonList(metric, heading, explained["count"], tuple(entries))


def _detail(event: dict[str, Any], case_names: dict[str, str]) -> str:
    kind = event["type"]
    parts = []
    if kind == "released":
        parts.append(f"released ({REASONS.get(event.get('reason'), event.get('reason'))})" if event.get("reason") else "released")
    elif kind == "pardoned":
        parts.append("pardoned")
    elif kind == "deported":
        parts.append(f"deported to {event['destination']}" if event.get("destination") else "deported")
    elif kind == "died":
        parts.append("died in custody")
    if event.get("place"):
        parts.append(event["place"] if kind in ("detained", "died") else f"from {event['place']}" if kind != "deported" else event["place"])
    if event.get("case_id") and event["case_id"] in case_names:
        parts.append(case_names[event["case_id"]])
    text = "; ".join(parts)
    return text[:1].upper() + text[1:] if text else ""


def _source(source: dict[str, Any], text: Callable[[Any], Any]) -> SourceRef:
    url = source.get("url") or None
    if url is not None:
        redacted = text(url)
        url = url if redacted == url and re.match(r"https?://[^\s<>\"']+\Z", url) else None
    return SourceRef(text(source["title"]), text(source.get("publisher")) or None, source.get("published"), url)


# Laying out: shared wording


def _count(number: int, one: str, many: str | None = None) -> str:
    return f"{number:,} {one if number == 1 else (many or one + 's')}"


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]


def _signed(change: int) -> str:
    if change == 0:
        return "no change"
    return f"+{change:,}" if change > 0 else f"\u2212{-change:,}"


def summary(report: MonthlyReport) -> list[str]:
    """The month in a few sentences, for the top of the report."""
    month = month_name(report.month)
    previous = MONTHS[int(report.previous_month[5:]) - 1]
    prisoners, behind = report.row("political_prisoners"), report.row("behind_bars")
    arrests, releases, pardons = report.row("arrests"), report.row("releases"), report.row("pardons")
    deaths, exiled = report.row("deaths_in_custody"), report.row("deportations")
    today = report.known_at.date()
    when = f"On {today.day} {MONTHS[today.month - 1]} {today.year}" if report.unfinished else f"At the end of {month}"
    if prisoners.change:
        trend = f"{abs(prisoners.change):,} {'more' if prisoners.change > 0 else 'fewer'} than at the end of {previous}"
    else:
        trend = f"as many as at the end of {previous}"
    sentences = [
        (
            f"{when}, {_count(prisoners.current, 'political prisoner')} {'was' if prisoners.current == 1 else 'were'} behind bars, {trend}; "
            f"in all, {_count(behind.current, 'person', 'people')} in the register {'was' if behind.current == 1 else 'were'} behind bars, "
            "whether or not recognised as political prisoners yet."
        ),
        (
            f"In {month} the register counts {_count(arrests.current, 'politically motivated arrest')} ({arrests.previous:,} in {previous}) "
            f"and {_count(releases.current, 'release')} from custody ({releases.previous:,} in {previous}); "
            f"{_count(pardons.current, 'pardon')} and {_count(exiled.current, 'deportation')} were recorded."
        ),
    ]
    if deaths.current:
        sentences.append(f"{_count(deaths.current, 'person', 'people')} died in custody in {month}.")
    if report.unfinished:
        sentences.append(f"The month is not over: these are the figures recorded by {report.known_at:%Y-%m-%d %H:%M} UTC.")
    return sentences


def method_note(report: MonthlyReport) -> list[tuple[str, str]]:
    """(term, definition) pairs: what each figure counts, in plain words, and how time is handled."""
    end = report.last_day.isoformat()
    return [
        ("Political prisoners behind bars", "people held in custody at the end of the day who are recognised as political prisoners at that moment."),
        ("Everyone behind bars", "people held in custody at the end of the day after a detention recorded in the register, whether or not they are recognised as political prisoners yet. A detention opens custody; a transfer to house arrest, a release, a pardon, a deportation or a death ends it."),
        ("In exile after deportation", "people whose custody last ended by deportation and who have not been detained since."),
        ("Died in custody, in all", "people who died while held, and who were recognised as political prisoners at some point, before or after their death."),
        ("Ever recognised", "people recognised as political prisoners at any time up to the day, including those whose recognition was later withdrawn."),
        ("Arrests", "detentions on politically motivated grounds dated within the month; a person detained twice counts twice."),
        ("Releases", "releases, pardons and deportations within the month that ended a custody; a pardoned person deported the same day counts once."),
        ("Pardons, deportations", "every pardon and every deportation dated within the month."),
        ("Deaths in custody", "deaths within the month of people who were held at the time."),
        ("New recognitions, convictions", "recognitions as political prisoners and court verdicts dated within the month."),
        ("By category, by gender", "political prisoners behind bars split by the categories recorded for each person; a person with two categories (a journalist who is also a student) counts in both, so the categories need not add up to the total."),
        ("Month ends and changes", f"stock figures are counted at the end of the last day of the month ({end}) and compared with the end of the previous month; flows are counted over the month and compared with the previous month."),
        ("Events on the same day", "are taken in a fixed order: detention, charge, verdict, transfer, house arrest, release, pardon, deportation, death, recognition, end of recognition. A person detained and released on the same day is not behind bars at the end of it."),
        ("Partial dates", "an event known only to the month counts as on the first day of that month, and one known only to the year as on 1 January; such dates are shown as recorded (for example 2025-05)."),
        ("Known at", f"the figures are those of the register as it stood at {report.known_at:%Y-%m-%d %H:%M} UTC: events recorded later, or withdrawn before then, are left out. Information often arrives weeks late, so a later report may revise a month's figures upward."),
        ("Who is named", "every person is counted. " + (
            "Only people who have agreed to be named appear by name, and only for events with an open source; the sentence under each list says how many others it counts. "
            "A name that is also the name of someone who has not agreed to be named is shown as [withheld]. Confidential sources are never cited."
            if report.public else
            "This internal version names everyone; people who have not agreed to be named are marked, and must not be named in anything published. Confidential sources are never cited."
        )),
    ]


# Laying out: HTML


def to_html(report: MonthlyReport) -> str:
    """One self-contained HTML document: embedded CSS, inline SVG charts, no script, no external reference."""
    e = html.escape
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        '<meta name="referrer" content="no-referrer">',
        f"<title>{e(report.title)} · Chronicle</title>",
        f"<style>{_CSS}</style>",
        "</head>",
        "<body>",
        "<article>",
        "<header>",
        f'<p class="kicker">Chronicle · Monthly report{" · Public edition" if report.public else " · Internal edition"}</p>',
        f"<h1>{e(report.title)}</h1>",
        f'<p class="stamp">{e(report.stamp)}</p>',
        "</header>",
    ]
    if not report.public:
        parts.append(
            '<p class="notice"><strong>Internal: do not publish.</strong> This edition names people who have not agreed to be '
            "named (marked <span class=\"mark\">not public</span>). Publish the public edition instead.</p>"
        )
    parts.append('<section class="lead">' + "".join(f"<p>{e(sentence)}</p>" for sentence in summary(report)) + "</section>")
    parts.append(_html_key_figures(report))

    parts.append('<section id="figures"><h2>The month in figures</h2>')
    previous, current = month_name(report.previous_month), month_name(report.month)
    parts.append(_html_table("At the end of the month", ("Figure", f"End of {previous}", f"End of {current}", "Change"), report.stock))
    parts.append(_html_table("Over the month", ("Figure", previous, current, "Change"), report.flow))
    if report.categories:
        parts.append(_html_table("Political prisoners by category", ("Category", f"End of {previous}", f"End of {current}", "Change"), report.categories))
    parts.append(_html_table("Political prisoners by gender", ("Gender", f"End of {previous}", f"End of {current}", "Change"), report.genders))
    parts.append("</section>")

    parts.append('<section id="charts"><h2>Charts</h2>')
    for key, caption in CHARTS:
        parts.append(f'<figure class="chart">{_inline_svg(charts.to_svg(report.charts[key]), caption, key)}</figure>')
    parts.append("</section>")

    parts.append(f'<section id="cases"><h2>New cases opened in {e(current)}</h2>')
    if report.cases:
        parts.append('<table class="list"><thead><tr><th class="date">Opened</th><th>Case</th><th class="num">People so far</th></tr></thead><tbody>')
        for case in report.cases:
            description = f'<div class="detail">{e(case.description)}</div>' if case.description else ""
            parts.append(
                f'<tr><td class="date">{e(case.opened)}</td><td><span class="name">{e(case.name)}</span>{description}</td>'
                f'<td class="num">{case.persons:,}</td></tr>'
            )
        parts.append("</tbody></table>")
    else:
        parts.append('<p class="empty">No group case was opened in the month.</p>')
    parts.append("</section>")

    parts.append(f'<section id="people"><h2>People in {e(current)}</h2>')
    for person_list in report.lists:
        parts.append(_html_person_list(report, person_list))
    parts.append("</section>")

    parts.append('<section id="method"><h2>Method</h2><dl class="method">')
    for term, definition in method_note(report):
        parts.append(f"<dt>{e(term)}</dt><dd>{e(_sentence(definition))}</dd>")
    parts.append("</dl></section>")
    parts.append(f'<footer><p>{e(report.stamp)}</p></footer>')
    parts.append("</article></body></html>")
    return "\n".join(parts) + "\n"


def _html_key_figures(report: MonthlyReport) -> str:
    previous = MONTHS[int(report.previous_month[5:]) - 1]
    cells = []
    for key, label in (
        ("political_prisoners", "political prisoners behind bars at the end of the month"),
        ("arrests", "politically motivated arrests in the month"),
        ("releases", "releases from custody in the month"),
        ("pardons", "pardons in the month"),
    ):
        row = report.row(key)
        if key == "political_prisoners":
            note = f"{_signed(row.change)} since the end of {previous}"
        else:
            note = f"{row.previous:,} in {previous}"
        cells.append(
            f'<div class="key"><div class="value">{row.current:,}</div><div class="label">{html.escape(label)}</div>'
            f'<div class="change">{html.escape(note)}</div></div>'
        )
    return '<section class="keys">' + "".join(cells) + "</section>"


def _html_table(caption: str, heads: tuple[str, ...], rows: list[FigureRow]) -> str:
    e = html.escape
    head = "".join(f'<th{" class=num" if index else ""}>{e(text)}</th>' for index, text in enumerate(heads))
    body = "".join(
        f"<tr><td>{e(row.label)}</td><td class=num>{row.previous:,}</td><td class=num>{row.current:,}</td>"
        f'<td class="num change{"" if row.change else " none"}">{e(_signed(row.change))}</td></tr>'
        for row in rows
    )
    return f'<table class="figures"><caption>{e(caption)}</caption><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def _html_person_list(report: MonthlyReport, person_list: PersonList) -> str:
    e = html.escape
    parts = [f'<h3>{e(person_list.heading)} <span class="count">{person_list.count:,}</span></h3>']
    if person_list.entries:
        parts.append('<table class="list"><thead><tr><th class="date">Date</th><th>Name</th><th>Details</th><th>Sources</th></tr></thead><tbody>')
        for entry in person_list.entries:
            mark = "" if entry.public else ' <span class="mark">not public</span>'
            sources = "<br>".join(_html_source(source) for source in entry.sources) or '<span class="muted">confidential source only</span>'
            parts.append(
                f'<tr><td class="date">{e(entry.date)}</td><td class="name">{e(entry.name)}{mark}</td>'
                f'<td class="detail">{e(entry.detail)}</td><td class="sources">{sources}</td></tr>'
            )
        parts.append("</tbody></table>")
    note = _unnamed_note(report, person_list)
    if note:
        parts.append(f'<p class="unnamed">{e(note)}</p>')
    return "".join(parts)


def _html_source(source: SourceRef) -> str:
    e = html.escape
    title = f'<a href="{e(source.url)}" rel="noopener noreferrer">{e(source.title)}</a>' if source.url else e(source.title)
    where = ", ".join(value for value in (source.publisher, source.published) if value)
    return f"{title}{' <span class=muted>(' + e(where) + ')</span>' if where else ''}"


def _unnamed_note(report: MonthlyReport, person_list: PersonList) -> str:
    if person_list.count == 0:
        return "None recorded in the month."
    if not report.public or person_list.unnamed == 0:
        return ""
    what = {"arrests": "arrest", "releases": "release", "pardons": "pardon", "deportations": "deportation", "deaths_in_custody": "death"}[person_list.metric]
    if not person_list.entries:
        return (
            f"The {_count(person_list.count, what)} of the month {'concerns a person' if person_list.count == 1 else 'concern people'} "
            "who cannot be named here: they have not agreed to be named, or the only sources are confidential."
        )
    return (
        f"{_count(person_list.unnamed, 'other ' + what)} of the month {'concerns a person' if person_list.unnamed == 1 else 'concern people'} "
        "who cannot be named here: they have not agreed to be named, or the only sources are confidential."
    )


_SVG_ROOT = re.compile(r"<svg\b[^>]*>")


def _inline_svg(svg: str, label: str, key: str) -> str:
    """An SVG document made fit to sit inside HTML: no namespace declarations, scalable, labelled.

    Its ids (clip paths) get the chart's key in front, so that charts on one page never share one.
    """
    svg = re.sub(r"<\?xml[^>]*>\s*", "", svg)
    svg = re.sub(r'\bid="([^"]+)"', rf'id="chart-{key}-\1"', svg)
    svg = re.sub(r"url\(#([^)]+)\)", rf"url(#chart-{key}-\1)", svg)
    svg = re.sub(r'href="#([^"]+)"', rf'href="#chart-{key}-\1"', svg)
    root = _SVG_ROOT.search(svg)
    if root is None:
        raise ValueError("the chart renderer returned no SVG")
    attributes = dict(re.findall(r'([\w:-]+)="([^"]*)"', root.group(0)))
    view_box = attributes.get("viewBox", f"0 0 {attributes.get('width', charts.WIDTH)} {attributes.get('height', charts.HEIGHT)}")
    width = view_box.split()[2]
    opening = f'<svg viewBox="{view_box}" role="img" aria-label="{html.escape(label)}" style="max-width:{width}px">'
    return opening + svg[root.end():]


_CSS = """
:root { --ink: #1f1f23; --muted: #66666d; --line: #dcdce0; --soft: #f5f4f1; --accent: #8e2a20; }
* { box-sizing: border-box; }
html { background: #fff; }
body { margin: 0; color: var(--ink); font: 16px/1.55 "Source Sans 3", "Segoe UI", "Helvetica Neue", Helvetica, Arial, "Liberation Sans", sans-serif; -webkit-text-size-adjust: 100%; }
article { max-width: 880px; margin: 0 auto; padding: 2.5rem 2rem 3rem; }
header { border-bottom: 3px solid var(--ink); padding-bottom: 0.9rem; margin-bottom: 1.4rem; }
.kicker { margin: 0 0 0.3rem; font-size: 0.8rem; letter-spacing: 0.08em; text-transform: uppercase; color: var(--accent); font-weight: 600; }
h1 { margin: 0; font-size: 2.1rem; line-height: 1.15; font-family: Georgia, "Times New Roman", "Liberation Serif", serif; font-weight: 700; }
h2 { font-family: Georgia, "Times New Roman", "Liberation Serif", serif; font-size: 1.45rem; margin: 2.4rem 0 0.8rem; padding-top: 0.6rem; border-top: 1px solid var(--line); }
h3 { font-size: 1.05rem; margin: 1.6rem 0 0.5rem; }
h3 .count { color: var(--muted); font-weight: 400; margin-left: 0.3rem; font-variant-numeric: tabular-nums; }
.stamp, footer { color: var(--muted); font-size: 0.85rem; margin: 0.4rem 0 0; }
footer { border-top: 1px solid var(--line); margin-top: 2.5rem; padding-top: 0.6rem; }
.notice { border: 1px solid var(--accent); color: var(--accent); background: #fbf3f1; padding: 0.6rem 0.9rem; font-size: 0.92rem; }
.lead p { font-size: 1.08rem; margin: 0 0 0.7rem; }
.keys { display: grid; grid-template-columns: repeat(4, 1fr); gap: 1px; background: var(--line); border: 1px solid var(--line); margin: 1.6rem 0 0.5rem; }
.key { background: var(--soft); padding: 0.9rem 1rem; }
.key .value { font-size: 2rem; font-weight: 700; line-height: 1.1; font-variant-numeric: tabular-nums; }
.key .label { font-size: 0.9rem; margin-top: 0.2rem; }
.key .change { font-size: 0.8rem; color: var(--muted); margin-top: 0.3rem; }
table { border-collapse: collapse; width: 100%; margin: 0.4rem 0 1.4rem; font-size: 0.93rem; }
caption { text-align: left; font-weight: 600; padding: 0 0 0.35rem; }
th { text-align: left; font-weight: 600; font-size: 0.78rem; text-transform: uppercase; letter-spacing: 0.04em; color: var(--muted); border-bottom: 1.5px solid var(--ink); padding: 0.35rem 0.5rem; }
td { padding: 0.4rem 0.5rem; border-bottom: 1px solid var(--line); vertical-align: top; }
.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
table.figures td:first-child { width: 46%; }
td.change.none { color: var(--muted); }
.date { white-space: nowrap; font-variant-numeric: tabular-nums; width: 7.2rem; }
td.name, .name { font-weight: 600; }
.detail { color: #3a3a40; }
td.detail { font-size: 0.9rem; }
div.detail { font-size: 0.88rem; margin-top: 0.15rem; font-weight: 400; }
.sources { font-size: 0.85rem; }
.sources a { color: #1f4e79; text-decoration: none; border-bottom: 1px solid #b9cde0; }
.muted, .unnamed, .empty { color: var(--muted); }
.unnamed, .empty { font-size: 0.9rem; font-style: italic; margin: 0.2rem 0 1rem; }
.mark { display: inline-block; font-size: 0.7rem; font-weight: 600; text-transform: uppercase; letter-spacing: 0.04em; color: var(--accent); border: 1px solid var(--accent); border-radius: 3px; padding: 0 0.3rem; margin-left: 0.3rem; vertical-align: 1px; }
figure.chart { margin: 1.2rem 0 2rem; }
figure.chart svg { display: block; width: 100%; height: auto; }
dl.method { display: grid; grid-template-columns: 13rem 1fr; gap: 0.45rem 1.2rem; font-size: 0.93rem; }
dl.method dt { font-weight: 600; }
dl.method dd { margin: 0; }
@media (max-width: 640px) { .keys { grid-template-columns: repeat(2, 1fr); } dl.method { grid-template-columns: 1fr; } dl.method dd { margin-bottom: 0.5rem; } article { padding: 1.2rem 1rem; } }
@media print { article { max-width: none; padding: 0; } h2 { break-after: avoid; } tr, figure { break-inside: avoid; } .sources a { border: 0; } }
@page { margin: 18mm 16mm; }
""".strip()


# Laying out: Markdown


def to_markdown(report: MonthlyReport, *, assets_dir: Path | None = None, assets_prefix: str | None = None) -> str:
    """The report in Markdown (GitHub-flavoured tables); charts as PNG files in `assets_dir`, or data: URIs without it."""
    previous, current = month_name(report.previous_month), month_name(report.month)
    lines = [f"# {_md(report.title)}", "", f"*Chronicle monthly report, {'public' if report.public else 'internal'} edition. {_md(report.stamp)}*", ""]
    if not report.public:
        notice = (
            "> **Internal: do not publish.** This edition names people who have not agreed to be named (marked *not public*). "
            "Publish the public edition instead."
        )
        lines += [notice, ""]
    for sentence in summary(report):
        lines += [_md(sentence), ""]

    lines += ["## The month in figures", ""]
    lines += _md_table("At the end of the month", ("Figure", f"End of {previous}", f"End of {current}", "Change"), report.stock)
    lines += _md_table("Over the month", ("Figure", previous, current, "Change"), report.flow)
    if report.categories:
        lines += _md_table("Political prisoners by category", ("Category", f"End of {previous}", f"End of {current}", "Change"), report.categories)
    lines += _md_table("Political prisoners by gender", ("Gender", f"End of {previous}", f"End of {current}", "Change"), report.genders)

    lines += ["## Charts", ""]
    prefix = assets_prefix or f"chronicle-{report.month}{'-public' if report.public else ''}"
    for key, caption in CHARTS:
        spec = report.charts[key]
        if assets_dir is not None:
            target = charts.render(spec, Path(assets_dir) / f"{prefix}-{key}.png")
            link = target.name
        else:
            link = "data:image/png;base64," + base64.b64encode(charts.to_png(spec)).decode("ascii")
        lines += [f"![{_md(caption)}]({link})", ""]

    lines += [f"## New cases opened in {current}", ""]
    if report.cases:
        lines += ["| Opened | Case | People so far |", "|---|---|---:|"]
        for case in report.cases:
            description = f"<br>{_md(case.description)}" if case.description else ""
            lines.append(f"| {_md(case.opened)} | **{_md(case.name)}**{description} | {case.persons:,} |")
        lines.append("")
    else:
        lines += ["*No group case was opened in the month.*", ""]

    lines += [f"## People in {current}", ""]
    for person_list in report.lists:
        lines += [f"### {_md(person_list.heading)} ({person_list.count:,})", ""]
        if person_list.entries:
            lines += ["| Date | Name | Details | Sources |", "|---|---|---|---|"]
            for entry in person_list.entries:
                mark = "" if entry.public else " *(not public)*"
                sources = "<br>".join(_md_source(source) for source in entry.sources) or "*confidential source only*"
                lines.append(f"| {_md(entry.date)} | **{_md(entry.name)}**{mark} | {_md(entry.detail)} | {sources} |")
            lines.append("")
        note = _unnamed_note(report, person_list)
        if note:
            lines += [f"*{_md(note)}*", ""]

    lines += ["## Method", ""]
    for term, definition in method_note(report):
        lines += [f"- **{_md(term)}**: {_md(definition)}"]  # a continuation after the colon: lower case
    lines += ["", "---", "", f"*{_md(report.stamp)}*", ""]
    return "\n".join(lines)


def _md_table(caption: str, heads: tuple[str, ...], rows: list[FigureRow]) -> list[str]:
    lines = [f"**{_md(caption)}**", "", "| " + " | ".join(_md(head) for head in heads) + " |", "|---|" + "---:|" * (len(heads) - 1)]
    lines += [f"| {_md(row.label)} | {row.previous:,} | {row.current:,} | {_signed(row.change)} |" for row in rows]
    return lines + [""]


def _md_source(source: SourceRef) -> str:
    title = _md(source.title)
    if source.url:
        title = f"[{title}](<{source.url.replace('>', '%3E').replace('<', '%3C')}>)"
    where = ", ".join(_md(value) for value in (source.publisher, source.published) if value)
    return f"{title} ({where})" if where else title


_MD_SPECIAL = re.compile(r"([\\`*_\[\]|<>~])")


def _md(text: str) -> str:
    """Text safe in Markdown: its punctuation taken literally, on one line (so table cells hold)."""
    return _MD_SPECIAL.sub(r"\\\1", " ".join(str(text).split()))


# The entry points


def monthly_report(
    database: Database,
    month: str,
    *,
    fmt: str = "md",
    public: bool = False,
    known_at: datetime | None = None,
    assets_dir: Path | None = None,
    assets_prefix: str | None = None,
) -> str:
    """The monthly report of `month` (YYYY-MM) as Markdown (`fmt="md"`) or one self-contained HTML page (`fmt="html"`).

    `assets_dir` and `assets_prefix` matter for Markdown only (see the module
    docstring): the folder the PNG charts are written to and the start of
    their file names; without a folder the charts are embedded as data: URIs.
    """
    if fmt not in FORMATS:
        raise InputError(f"unknown report format {fmt!r}: use md or html")
    report = build_monthly_report(database, month, public=public, known_at=known_at)
    if fmt == "html":
        return to_html(report)
    return to_markdown(report, assets_dir=assets_dir, assets_prefix=assets_prefix)


def write_monthly_report(
    database: Database,
    month: str,
    path: str | os.PathLike[str],
    *,
    fmt: str | None = None,
    public: bool = False,
    known_at: datetime | None = None,
) -> Path:
    """Write the report to `path` (format from `fmt`, else from the suffix: .html/.htm or .md).

    A Markdown report's charts are written beside it as `<name>-prisoners.png`,
    `<name>-flows.png` and `<name>-categories.png`. Every file appears whole or
    not at all.
    """
    path = Path(path)
    if fmt is None:
        suffix = path.suffix.lower()
        fmt = "html" if suffix in (".html", ".htm") else "md" if suffix in (".md", ".markdown") else None
        if fmt is None:
            raise InputError(f"cannot tell the report format of {path.name}: name it .html or .md, or give the format")
    if not path.parent.is_dir():
        raise InputError(f"cannot write {path}: folder {path.parent} does not exist")
    text = monthly_report(database, month, fmt=fmt, public=public, known_at=known_at, assets_dir=path.parent, assets_prefix=path.stem)
    handle, partial = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
        os.chmod(partial, 0o666 & ~charts._umask())
        os.replace(partial, path)
    except BaseException:
        Path(partial).unlink(missing_ok=True)
        raise
    return path
