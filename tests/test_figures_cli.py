"""`chronicle figures`, `series`, `explain` and `reconcile`: shapes and exit codes of spec/cli.md."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from packages import small_register, write_package
from typer.testing import CliRunner

from chronicle.cli import app
from chronicle.reconcile import holds

runner = CliRunner()

STOCK_KEYS = [
    "as_of", "known_at", "behind_bars", "political_prisoners", "political_prisoners_by_category",
    "political_prisoners_by_gender", "recognized_total", "died_in_custody", "in_exile",
]
FLOW_KEYS = ["from", "to", "known_at", "arrests", "releases", "pardons", "deportations", "deaths_in_custody", "new_recognitions", "convictions"]


@pytest.fixture
def location(database_location: str, tmp_path: Path) -> str:
    result = runner.invoke(app, ["--db", database_location, "import", str(write_package(tmp_path / "package", small_register()))])
    assert result.exit_code == 0, result.output
    return database_location


def run(location: str, *arguments: str):
    return runner.invoke(app, ["--db", location, *arguments])


def test_stock_figures_json_has_exactly_the_cli_shape(location: str):
    result = run(location, "figures", "--as-of", "2021-12-31", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert list(data) == STOCK_KEYS
    assert data["as_of"] == "2021-12-31" and data["known_at"].endswith("Z")
    # p1 (detained 2020-05-29, recognised), p2 (recognised), p3 and p4 held without recognition.
    assert data["behind_bars"] == 4 and data["political_prisoners"] == 2
    assert data["political_prisoners_by_category"] == {"journalist": 1, "lawyer": 0, "musician": 1}
    assert data["political_prisoners_by_gender"] == {"f": 1, "m": 1, "x": 0, "unknown": 0}
    assert data["recognized_total"] == 2 and data["died_in_custody"] == 0 and data["in_exile"] == 0


def test_flow_figures_json_has_exactly_the_cli_shape(location: str):
    result = run(location, "figures", "--from", "2025-06-01", "--to", "2025-06-30", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert list(data) == FLOW_KEYS
    # Pardoned and deported the same day: one release, one pardon, one deportation.
    assert (data["releases"], data["pardons"], data["deportations"], data["arrests"]) == (1, 1, 1, 0)


def test_known_at_reads_the_register_as_it_was(location: str):
    before = json.loads(run(location, "figures", "--as-of", "2020-06-02", "--known-at", "2020-06-02T12:00:00Z", "--json").stdout)
    # Only e1 (recorded 2020-05-30) and the first version of e4 (recognised 2020-06-01) existed then.
    assert before["behind_bars"] == 1 and before["political_prisoners"] == 1
    after = json.loads(run(location, "figures", "--as-of", "2020-06-01", "--known-at", "2020-06-04T00:00:00Z", "--json").stdout)
    # The corrected version moved the recognition to 2020-06-02.
    assert after["behind_bars"] == 1 and after["political_prisoners"] == 0


def test_filters_narrow_the_figures(location: str):
    data = json.loads(run(location, "figures", "--as-of", "2021-12-31", "--category", "journalist", "--json").stdout)
    assert data["behind_bars"] == 2  # p1 and p4
    data = json.loads(run(location, "figures", "--as-of", "2021-12-31", "--case", "c1", "--json").stdout)
    assert data["behind_bars"] == 1
    data = json.loads(run(location, "figures", "--as-of", "2021-12-31", "--organisation", "o1", "--json").stdout)
    assert data["political_prisoners"] == 1
    data = json.loads(run(location, "figures", "--as-of", "2021-12-31", "--region", "minsk", "--json").stdout)
    assert data["political_prisoners"] == 1


def test_series_as_csv_and_json(location: str):
    result = run(location, "series", "behind_bars", "--from", "2020-05-28", "--to", "2020-05-30", "--csv")
    assert result.exit_code == 0, result.output
    rows = list(csv.reader(io.StringIO(result.stdout)))
    assert rows == [["from", "to", "value"], ["2020-05-28", "2020-05-28", "0"], ["2020-05-29", "2020-05-29", "1"], ["2020-05-30", "2020-05-30", "1"]]
    result = run(location, "series", "political_prisoners_by_gender", "--from", "2020-01-01", "--to", "2021-12-31", "--step", "month", "--json")
    data = json.loads(result.stdout)
    assert data["points"][0] == {"from": "2020-01-01", "to": "2020-01-31", "value": {"f": 0, "m": 0, "x": 0, "unknown": 0}}
    assert data["points"][-1]["value"] == {"f": 1, "m": 1, "x": 0, "unknown": 0}
    assert len(data["points"]) == 24


def test_explain_lists_as_many_items_as_the_figure(location: str):
    result = run(location, "explain", "behind_bars", "--as-of", "2021-12-31", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["count"] == len(data["items"]) == 4
    sources = [s["source_id"] for item in data["items"] for e in item["events"] for s in e["sources"]]
    assert "s2" not in sources  # restricted, not asked for
    data = json.loads(run(location, "explain", "behind_bars", "--as-of", "2021-12-31", "--restricted", "--json").stdout)
    assert "s2" in [s["source_id"] for item in data["items"] for e in item["events"] for s in e["sources"]]


def test_reconcile_says_whether_a_claim_holds(location: str):
    result = run(location, "reconcile", "--metric", "behind_bars", "--as-of", "2021-12-31", "--value", "3", "--qualifier", "more_than", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["holds"] is True and data["register"] == 4 and data["difference"] == 1
    data = json.loads(run(location, "reconcile", "--metric", "political_prisoners", "--as-of", "2021-12-31", "--value", "4", "--json").stdout)
    assert data["holds"] is False and data["difference"] == -2
    # Held but not recognised: p3 and p4 may explain the gap.
    assert sorted(item["person_id"] for item in data["candidates"]["items"]) == ["p3", "p4"]


@pytest.mark.parametrize(
    ("register", "claimed", "qualifier", "expected"),
    [(63, 60, "at_least", True), (59, 60, "at_least", False), (60, 60, "more_than", False), (61, 60, "more_than", True),
     (60, 60, "exact", True), (54, 60, "about", True), (53, 60, "about", False), (60, 61, "at_most", True), (62, 61, "at_most", False)],
)
def test_qualifiers(register: int, claimed: int, qualifier: str, expected: bool):
    assert holds(register, claimed, qualifier) is expected


def test_bad_input_exits_1_and_usage_errors_exit_2(location: str):
    for arguments in (["figures", "--as-of", "2021-02-30"], ["series", "nonsense", "--from", "2020-01-01", "--to", "2020-02-01"],
                      ["figures", "--from", "2021-05-01", "--to", "2021-04-01"], ["figures", "--as-of", "2021-01-01", "--known-at", "soon"],
                      ["series", "arrests", "--from", "2020-01-01", "--to", "2020-02-01", "--step", "year"]):
        result = run(location, *arguments)
        assert result.exit_code == 1, (arguments, result.output)
        assert "Error" in result.stderr and "Traceback" not in result.output
    assert run(location, "figures", "--as-of", "2021-01-01", "--from", "2021-01-01").exit_code == 2
    assert run(location, "figures").exit_code == 2


def test_report_writes_a_self_contained_html_file(location: str, tmp_path: Path):
    output = tmp_path / "june.html"
    result = run(location, "report", "--month", "2025-06", "-o", str(output))
    assert result.exit_code == 0, result.output
    html = output.read_text(encoding="utf-8")
    assert "June 2025" in html and "<svg" in html and "<script" not in html
    result = run(location, "report", "--month", "2025-06", "--format", "md")
    assert result.exit_code == 0 and result.stdout.startswith("# June 2025")
    assert run(location, "report", "--month", "2025-13").exit_code == 1
    assert run(location, "report", "--month", "2025-06", "--format", "pdf").exit_code == 1
