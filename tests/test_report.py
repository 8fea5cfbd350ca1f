"""The monthly report: its sections, its numbers against the figures engine, and what a public report may say.

A small hand-written register holds, in March 2025, an arrest of a person who
has not agreed to be named (their name also in a source headline and in the
title of a case opened that month), a release cited only by a restricted
source, a pardon followed by deportation, and a death in custody. A generated
register checks the numbers on a realistic month. Everything runs on SQLite
and PostgreSQL.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from packages import write_package

from chronicle import report as report_module
from chronicle.database import Database
from chronicle.errors import InputError
from chronicle.figures import Figures
from chronicle.generate import generate_package
from chronicle.importer import import_package
from chronicle.report import FLOW_ROWS, STOCK_ROWS, build_monthly_report, monthly_report, write_monthly_report

MONTH = "2025-03"
MONTH_END = date(2025, 3, 31)
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"

HIDDEN_NAMES = ("Secret Prisoner", "Тайный Узник", "Sekretny Viazen", "Tajny Uznik")
RESTRICTED_TITLE = "Lawyer's message from Akrestsina"
SECTIONS = ("The month in figures", "Charts", "New cases opened in March 2025", "People in March 2025", "Method")
LIST_HEADINGS = ("Arrested", "Released", "Pardoned", "Deported", "Died in custody")


def person(person_id: str, name: str, **cells: str) -> dict[str, str]:
    return {"person_id": person_id, "name": name, "public": "true", "gender": "m", **cells}


def event(event_id: str, person_id: str, kind: str, day: str, sources: str = "s1", **cells: str) -> dict[str, str]:
    return {"event_id": event_id, "person_id": person_id, "type": kind, "date": day, "source_ids": sources, **cells}


def register() -> dict[str, list[dict[str, str]]]:
    return {
        "sources": [
            {"source_id": "s1", "title": "Viasna: political prisoners, weekly digest", "publisher": "Viasna", "url": "https://spring96.org/en/news/1", "published": "2025-03-20", "restricted": "false"},
            {"source_id": "s2", "title": "Secret Prisoner detained in Minsk", "publisher": "Zerkalo", "url": "https://news.zerkalo.io/life/2", "published": "2025-03-06", "restricted": "false"},
            {"source_id": "s3", "title": RESTRICTED_TITLE, "publisher": "", "url": "", "published": "2025-03-12", "restricted": "true"},
            {"source_id": "s4", "title": "Pardoned and expelled", "publisher": "Nasha Niva", "url": "https://nashaniva.com/4", "published": "2025-03-21", "restricted": "false"},
        ],
        "cases": [
            {"case_id": "c1", "name": "Case of Secret Prisoner and others", "opened": "2025-03", "description": "Opened after the arrest of Secret Prisoner"},
            {"case_id": "c2", "name": "Case of the strike committee", "opened": "2025-02-10"},
            {"case_id": "c3", "name": "Case of the rail partisans", "opened": "2025-03-15", "description": "Sabotage charges"},
        ],
        "organisations": [],
        "memberships": [],
        "persons": [
            person("p1", "Ales Public", name_en="Ales Public", categories="journalist"),
            person("p2", "Тайный Узник", name_en="Secret Prisoner", name_be="Tajny Uznik", aliases="Sekretny Viazen", public="false", categories="journalist;student"),
            person("p3", "Maryia Released", gender="f"),
            person("p4", "Ihar Pardoned", categories="lawyer"),
            person("p5", "Mikola Died"),
            person("p6", "Long Held", gender="f", categories="student"),
        ],
        "events": [
            # Held since before the month, recognised: counted at both month ends.
            event("e1", "p6", "detained", "2021-05-01"),
            event("e2", "p6", "recognized", "2021-06-01"),
            # A public person arrested in the month, in the new case c3.
            event("e3", "p1", "detained", "2025-03-04", "s1", place="Hrodna", case_id="c3"),
            event("e4", "p1", "recognized", "2025-03-20"),
            # The person who has not agreed to be named: arrested in the month, in case c1.
            event("e5", "p2", "detained", "2025-03-05", "s2;s3", place="Minsk", case_id="c1"),
            event("e6", "p2", "recognized", "2025-03-25", "s2"),
            # A release cited only by a restricted source.
            event("e7", "p3", "detained", "2024-11-02"),
            event("e8", "p3", "recognized", "2024-12-01"),
            event("e9", "p3", "released", "2025-03-12", "s3", reason="end_of_term"),
            # Pardoned and deported the same day: one release, one pardon, one deportation.
            event("e10", "p4", "detained", "2023-01-10"),
            event("e11", "p4", "recognized", "2023-02-01"),
            event("e12", "p4", "pardoned", "2025-03-21", "s1;s4", reason="pardon"),
            event("e13", "p4", "deported", "2025-03-21", "s1;s4", destination="Lithuania"),
            # Died in custody in the month; detained in February (an arrest of the previous month).
            event("e14", "p5", "detained", "2025-02-14"),
            event("e15", "p5", "recognized", "2025-02-28"),
            event("e16", "p5", "died", "2025-03-28", "s1", place="Penal colony No. 3"),
        ],
    }


@pytest.fixture
def small(database: Database, tmp_path: Path) -> Database:
    import_package(database, write_package(tmp_path / "package", register()))
    return database


def hrefs(document: str) -> list[str]:
    return re.findall(r"""href\s*=\s*["']?([^"'\s>]*)""", document, flags=re.IGNORECASE)


# --------------------------------------------------------------------------
# Contents


@pytest.mark.parametrize("fmt", ["md", "html"])
def test_report_has_every_section_and_list(small: Database, fmt: str):
    text = monthly_report(small, MONTH, fmt=fmt)
    for heading in ("March 2025: the month in figures", *SECTIONS, *LIST_HEADINGS):
        assert heading in text, heading
    assert "As of 2025-03-31 · known at " in text
    # The new cases: opened in March (a month-only date counts as its first day), not February's.
    assert "Case of the rail partisans" in text and "Case of Secret Prisoner and others" in text
    assert "Case of the strike committee" not in text
    # The method note defines the figures and the rules of time.
    for words in ("Same day".lower(), "first day of that month", "Known at", "Political prisoners behind bars", "counts twice"):
        assert words.lower() in text.lower(), words


def test_report_numbers_are_the_engine_figures(small: Database):
    moment = datetime.now(UTC)
    report = build_monthly_report(small, MONTH, known_at=moment)
    figures = Figures(small)
    now, before = figures.stock(MONTH_END, known_at=moment), figures.stock(date(2025, 2, 28), known_at=moment)
    flow, previous = figures.flow(date(2025, 3, 1), MONTH_END, known_at=moment), figures.flow(date(2025, 2, 1), date(2025, 2, 28), known_at=moment)
    assert {row.key: (row.previous, row.current) for row in report.stock} == {key: (before[key], now[key]) for key in STOCK_ROWS}
    assert {row.key: (row.previous, row.current) for row in report.flow} == {key: (previous[key], flow[key]) for key in FLOW_ROWS}
    # By hand: at the end of March p6, p1, p2 are political prisoners; p3 released, p4 pardoned, p5 died.
    assert report.row("political_prisoners").current == 3
    assert report.row("political_prisoners").previous == 4  # p6, p3, p4, p5
    assert report.row("political_prisoners").change == -1
    assert (flow["arrests"], flow["releases"], flow["pardons"], flow["deportations"], flow["deaths_in_custody"]) == (2, 2, 1, 1, 1)
    assert {row.label: (row.previous, row.current) for row in report.categories} == {"Journalist": (0, 2), "Student": (1, 2), "Lawyer": (1, 0)}
    # Every list has exactly its figure's count, named or not.
    assert {item.metric: item.count for item in report.lists} == {
        "arrests": 2, "releases": 2, "pardons": 1, "deportations": 1, "deaths_in_custody": 1,
    }
    html = monthly_report(small, MONTH, fmt="html", known_at=moment)
    assert re.search(r"<td>Political prisoners behind bars</td><td class=num>4</td><td class=num>3</td>", html)


def test_internal_report_names_everyone_but_never_a_restricted_source(small: Database):
    for fmt in ("md", "html"):
        text = monthly_report(small, MONTH, fmt=fmt)
        assert "Secret Prisoner" in text  # the English form of the name
        assert "not public" in text
        assert "Maryia Released" in text
        assert "confidential source only" in text  # her release is cited by a restricted source alone
        assert RESTRICTED_TITLE not in text
        assert "do not publish" in text


@pytest.mark.parametrize("fmt", ["md", "html"])
def test_public_report_names_no_one_without_consent_and_no_restricted_source(small: Database, fmt: str):
    text = monthly_report(small, MONTH, fmt=fmt, public=True)
    for name in HIDDEN_NAMES:
        assert name.lower() not in text.lower(), name
    assert RESTRICTED_TITLE not in text
    assert "not public" not in text and "do not publish" not in text.lower()
    # Named: public persons with an open source. Not named: a release cited only by a restricted source.
    assert "Ales Public" in text and "Ihar Pardoned" in text and "Mikola Died" in text
    assert "Maryia Released" not in text
    # The name is withheld inside the case title and the source headline, not the rest of them.
    assert "Case of [withheld] and others" in text.replace("\\[withheld\\]", "[withheld]")
    # Counted all the same: two arrests, one of them not named.
    report = build_monthly_report(small, MONTH, public=True)
    arrests = next(item for item in report.lists if item.metric == "arrests")
    assert (arrests.count, len(arrests.entries), arrests.unnamed) == (2, 1, 1)
    assert report.row("arrests").current == 2 and report.row("political_prisoners").current == 3
    assert "1 other arrest of the month concerns a person who cannot be named here" in text


def test_html_report_is_one_file_with_no_script_and_no_external_reference(small: Database):
    text = monthly_report(small, MONTH, fmt="html", public=True)
    assert text.startswith("<!DOCTYPE html>")
    lowered = text.lower()
    for forbidden in ("<script", "javascript:", " src=", "<link", "<iframe", "<img", "<object", "<embed", "@import", "<base"):
        assert forbidden not in lowered, forbidden
    assert not re.search(r"url\((?!#chart-)", lowered), "only references to the charts' own clip paths"
    ids = re.findall(r'\bid="([^"]+)"', text)
    assert len(ids) == len(set(ids)), "every id once on the page"
    assert lowered.count("<svg") == 3  # the charts, inline
    # The only links are to the open sources cited (s2 names the person without consent: not cited).
    assert set(hrefs(text)) == {"https://spring96.org/en/news/1", "https://nashaniva.com/4"}
    # An address that is not http(s) would be shown as text, never as a link.
    source = {"title": "Odd", "publisher": None, "published": None, "url": "javascript:alert(1)"}
    assert report_module._source(source, str).url is None


def test_markdown_charts_are_png_files_beside_the_report_or_data_uris(small: Database, tmp_path: Path):
    tmp_path = tmp_path / "out"
    tmp_path.mkdir()
    text = monthly_report(small, MONTH, fmt="md", assets_dir=tmp_path, assets_prefix="march")
    files = sorted(path.name for path in tmp_path.iterdir())
    assert files == ["march-categories.png", "march-flows.png", "march-prisoners.png"]
    for name in files:
        assert f"]({name})" in text
        assert (tmp_path / name).read_bytes()[:8] == PNG_MAGIC
    inline = monthly_report(small, MONTH, fmt="md")
    assert inline.count("](data:image/png;base64,") == 3


def test_write_monthly_report_picks_the_format_from_the_suffix(small: Database, tmp_path: Path):
    tmp_path = tmp_path / "out"
    tmp_path.mkdir()
    page = write_monthly_report(small, MONTH, tmp_path / "march.html", public=True)
    assert page.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    document = write_monthly_report(small, MONTH, tmp_path / "march.md")
    assert document.read_text(encoding="utf-8").startswith("# March 2025: the month in figures")
    assert sorted(path.name for path in tmp_path.iterdir()) == [
        "march-categories.png", "march-flows.png", "march-prisoners.png", "march.html", "march.md",
    ]
    with pytest.raises(InputError, match="name it .html or .md"):
        write_monthly_report(small, MONTH, tmp_path / "march.pdf")


@pytest.mark.parametrize("month", ["2025-3", "2025-13", "March 2025", "2025-03-01", ""])
def test_bad_months_are_refused(month: str):
    with pytest.raises(InputError, match="not a month"):
        report_module.parse_month(month)


def test_unknown_format_is_refused(small: Database):
    with pytest.raises(InputError, match="unknown report format"):
        monthly_report(small, MONTH, fmt="pdf")


# --------------------------------------------------------------------------
# A generated register


@pytest.fixture(scope="module")
def generated_package(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("report") / "package"
    generate_package(folder, persons=300, seed=5, until=date(2025, 12, 31))
    return folder


def test_report_of_a_generated_register(database: Database, generated_package: Path):
    import_package(database, generated_package)
    moment = datetime.now(UTC)
    report = build_monthly_report(database, "2025-09", known_at=moment, public=True)
    figures = Figures(database)
    stock = figures.stock(date(2025, 9, 30), known_at=moment)
    flow = figures.flow(date(2025, 9, 1), date(2025, 9, 30), known_at=moment)
    assert {row.key: row.current for row in report.stock} == {key: stock[key] for key in STOCK_ROWS}
    assert {row.key: row.current for row in report.flow} == {key: flow[key] for key in FLOW_ROWS}
    assert {item.metric: item.count for item in report.lists} == {metric: flow[metric] for metric, _ in report_module.LISTS}
    with database.reading() as connection:
        from sqlalchemy import select

        from chronicle.schema import persons

        hidden = [
            name
            for row in connection.execute(select(persons).where(persons.c.retracted_at.is_(None), persons.c.public.is_(False))).mappings()
            for name in (row["name"], row["name_en"], row["name_be"], row["name_ru"], *row["aliases"])
            if name
        ]
    assert hidden
    text = report_module.to_html(report)
    for name in hidden:
        assert name not in text
