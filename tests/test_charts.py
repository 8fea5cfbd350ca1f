"""Charts: Vega-Lite v5 specs filled from the figures, and their rendering to PNG and SVG.

The specs are checked for what every chart must carry (schema, data, marks,
titles, axis titles, thousands separators, the stamp) and compiled by the
real Vega-Lite inside vl-convert, so an invalid spec fails here; rendering is
checked on real files.
"""

from __future__ import annotations

import re
import struct
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
import vl_convert

from chronicle import charts
from chronicle.database import Database
from chronicle.errors import InputError
from chronicle.figures import FLOW_METRICS, METRICS, SPLIT_METRICS, Figures, Filters
from chronicle.generate import generate_package
from chronicle.importer import import_package

KNOWN_AT = datetime(2026, 1, 15, 9, 30, tzinfo=UTC)
UNTIL = date(2025, 12, 31)
STAMP = re.compile(r"^As of \d{4}-\d{2}-\d{2} · known at \d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC · Chronicle( · .+)?$")
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def points(values: list, *, start: str = "2025-01-01", step_days: int = 1) -> list[dict]:
    from datetime import timedelta

    first = date.fromisoformat(start)
    return [
        {"from": (first + timedelta(days=i * step_days)).isoformat(), "to": (first + timedelta(days=(i + 1) * step_days - 1)).isoformat(), "value": value}
        for i, value in enumerate(values)
    ]


def months(values: list, *, year: int = 2025) -> list[dict]:
    import calendar

    return [
        {"from": f"{year}-{month:02d}-01", "to": f"{year}-{month:02d}-{calendar.monthrange(year, month)[1]:02d}", "value": value}
        for month, value in enumerate(values, start=1)
    ]


def encodings(spec: dict) -> list[dict]:
    """Every encoding of a spec: the top level's and each layer's."""
    found = [spec["encoding"]] if "encoding" in spec else []
    found += [layer["encoding"] for layer in spec.get("layer", []) if "encoding" in layer]
    return found


def check_spec(spec: dict, *, title: str | None = None) -> None:
    """What every chart must carry, and that Vega-Lite 5 compiles it."""
    assert spec["$schema"] == "https://vega.github.io/schema/vega-lite/v5.json"
    assert isinstance(spec["data"]["values"], list)
    assert "mark" in spec or "layer" in spec
    assert spec["title"]["text"]
    if title is not None:
        assert spec["title"]["text"] == title
    assert STAMP.match(spec["title"]["subtitle"]), spec["title"]["subtitle"]
    assert spec["width"] == charts.WIDTH and spec["height"] <= charts.HEIGHT
    if spec["data"]["values"] and "message" not in spec["data"]["values"][0]:
        channels = {}
        for encoding in encodings(spec):
            for channel in ("x", "y"):
                if channel in encoding and "title" in encoding[channel]:
                    channels[channel] = encoding[channel]
        # Both axes are titled (a category axis may leave the title to its labels).
        assert set(channels) == {"x", "y"}
        for channel in channels.values():
            if channel["type"] == "quantitative":
                assert channel["axis"]["format"] == ",d", "counts show thousands separators"
    compiled = vl_convert.vegalite_to_vega(spec, vl_version=charts.vegalite_version())
    assert compiled["$schema"].startswith("https://vega.github.io/schema/vega/v5")


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == PNG_MAGIC
    width, height = struct.unpack(">II", data[16:24])
    return width, height


# --------------------------------------------------------------------------
# The stamp


def test_stamp_names_the_day_the_moment_and_the_filters():
    assert charts.stamp(date(2025, 9, 30), KNOWN_AT) == "As of 2025-09-30 · known at 2026-01-15 09:30 UTC · Chronicle"
    assert charts.stamp("2025-09-30", "2026-01-15T09:30:59Z", {"case": None, "category": "journalist", "region": "Minsk", "organisation": None}) == (
        "As of 2025-09-30 · known at 2026-01-15 09:30 UTC · Chronicle · category journalist, region Minsk"
    )
    assert charts.stamp(date(2025, 9, 30), KNOWN_AT, Filters(case="c1")).endswith("· Chronicle · case c1")
    assert STAMP.match(charts.stamp(date(2025, 9, 30)))  # known_at defaults to now


# --------------------------------------------------------------------------
# The specs


def test_prisoners_chart_draws_one_or_two_lines_with_the_latest_values():
    prisoners = points([1200, 1210, 1190])
    behind = points([1500, 1490, 1480])
    spec = charts.prisoners_chart(prisoners, behind_bars=behind, known_at=KNOWN_AT)
    check_spec(spec, title="Political prisoners behind bars")
    assert spec["title"]["subtitle"].startswith("As of 2025-01-03 ")  # the last point's day
    line = spec["layer"][0]
    assert line["mark"]["type"] == "line"
    assert line["encoding"]["x"]["type"] == "temporal"
    assert line["encoding"]["color"]["scale"]["domain"] == ["Political prisoners", "Everyone behind bars, recognised or not"]
    assert {row["value"] for row in spec["data"]["values"]} == {1200, 1210, 1190, 1500, 1490, 1480}
    assert spec["layer"][1]["mark"]["type"] == "text"  # the latest value at each line's end
    single = charts.prisoners_chart(prisoners, as_of="2025-01-03", known_at=KNOWN_AT)
    check_spec(single)
    assert single["layer"][0]["encoding"]["color"]["legend"] is None


def test_monthly_flows_chart_groups_arrests_releases_and_pardons_in_fixed_colours():
    spec = charts.monthly_flows_chart(
        {"arrests": months([120, 95, 101]), "releases": months([30, 1400, 42]), "pardons": months([0, 1200, 5])}, known_at=KNOWN_AT
    )
    check_spec(spec, title="Arrests, releases and pardons by month")
    assert spec["mark"]["type"] == "bar"
    assert spec["encoding"]["xOffset"]["field"] == "figure"
    color = spec["encoding"]["color"]
    assert color["scale"]["domain"] == ["Arrests", "Releases", "Pardons"]
    assert color["scale"]["range"] == [charts.ARRESTS, charts.RELEASES, charts.PARDONS]
    assert color["legend"] is not None
    assert spec["encoding"]["x"]["sort"] == ["2025-01", "2025-02", "2025-03"]
    assert len(spec["data"]["values"]) == 9
    with pytest.raises(InputError):
        charts.monthly_flows_chart({"convictions": months([1])})


def test_category_chart_sorts_horizontal_bars_and_labels_them():
    spec = charts.category_chart({"journalist": 38, "student": 1204, "lawyer": 7}, as_of="2025-09-30", known_at=KNOWN_AT)
    check_spec(spec)
    assert spec["encoding"]["y"]["type"] == "nominal"
    assert spec["encoding"]["y"]["sort"] == {"field": "value", "order": "descending"}
    assert spec["encoding"]["x"]["type"] == "quantitative"
    assert [layer["mark"]["type"] for layer in spec["layer"]] == ["bar", "text"]
    assert spec["layer"][1]["encoding"]["text"]["format"] == ",d"
    assert {row["category"] for row in spec["data"]["values"]} == {"Journalist", "Student", "Lawyer"}
    empty = charts.category_chart({}, as_of="2025-09-30", known_at=KNOWN_AT)
    check_spec(empty)
    assert "No political prisoner" in empty["data"]["values"][0]["message"]


@pytest.mark.parametrize("metric", METRICS)
def test_series_chart_is_a_line_for_stocks_and_bars_for_flows(metric):
    if metric == "political_prisoners_by_gender":
        values = [{"f": 10, "m": 40, "x": 0, "unknown": 1}, {"f": 12, "m": 41, "x": 1, "unknown": 1}]
    elif metric == "political_prisoners_by_category":
        values = [{"journalist": 5, "student": 9}, {"journalist": 6, "student": 8}]
    else:
        values = [1000, 2500]
    spec = charts.series_chart(metric, months(values), "month", known_at=KNOWN_AT, filters={"case": None, "category": None, "region": "Minsk", "organisation": None})
    check_spec(spec)
    assert spec["title"]["text"] == f"{charts.LABELS[metric]}, monthly"
    assert spec["title"]["subtitle"].endswith("· Chronicle · region Minsk")
    if metric in FLOW_METRICS:
        assert spec["mark"]["type"] == "bar"
        assert {"x", "x2", "y"} <= set(spec["encoding"])
        assert spec["data"]["values"][0]["end"] == "2025-02-01"  # a bar spans its whole period
    else:
        assert spec["layer"][0]["mark"]["type"] == "line"
    if metric in SPLIT_METRICS:
        domain = spec["layer"][0]["encoding"]["color"]["scale"]["domain"]
        assert len(domain) == len(values[0])
        assert len(spec["data"]["values"]) == 2 * len(values[0])
    if metric == "political_prisoners_by_gender":
        assert domain == ["Women", "Men", "Another gender", "Not known"]


def test_series_chart_takes_what_the_command_line_passes():
    """`chronicle series --png` passes the last day and the stamp as text, the filters as their JSON."""
    spec = charts.series_chart(
        "arrests", points([3, 4, 5], step_days=7), step="week", as_of="2025-01-21", known_at="2026-01-15T09:30:00.123Z",
        filters=Filters(category="journalist").to_json(),
    )
    check_spec(spec)
    assert spec["title"]["subtitle"] == "As of 2025-01-21 · known at 2026-01-15 09:30 UTC · Chronicle · category journalist"
    assert spec["encoding"]["x"]["title"] == "Week (Monday to Sunday)"


def test_series_chart_refuses_unknown_metrics_and_steps():
    with pytest.raises(InputError, match="unknown metric"):
        charts.series_chart("prisoners", [], "day")
    with pytest.raises(InputError, match="unknown step"):
        charts.series_chart("arrests", [], "year")


# --------------------------------------------------------------------------
# Rendering


def test_render_writes_png_and_svg_by_the_suffix(tmp_path: Path):
    spec = charts.series_chart("political_prisoners", months([1100, 1150, 1174]), "month", known_at=KNOWN_AT)
    png = charts.render(spec, tmp_path / "chart.png")
    assert png == tmp_path / "chart.png"
    assert png_size(png.read_bytes()) == (charts.WIDTH * 2, charts.HEIGHT * 2)
    svg = charts.render(spec, tmp_path / "chart.SVG").read_text(encoding="utf-8")
    assert svg.startswith("<svg") and svg.rstrip().endswith("</svg>")
    assert "Political prisoners behind bars, monthly" in svg
    assert "As of 2025-03-31 · known at 2026-01-15 09:30 UTC · Chronicle" in svg
    assert "1,174" in svg  # the latest value, with its thousands separator
    assert "<script" not in svg and "<image" not in svg and "href=" not in svg
    assert png_size(charts.render(spec, tmp_path / "small.png", scale=1).read_bytes()) == (charts.WIDTH, charts.HEIGHT)
    assert sorted(path.name for path in tmp_path.iterdir()) == ["chart.SVG", "chart.png", "small.png"]


def test_render_refuses_other_formats_and_missing_folders(tmp_path: Path):
    spec = charts.category_chart({"journalist": 3}, as_of="2025-01-01", known_at=KNOWN_AT)
    with pytest.raises(InputError, match=r"\.svg or \.png"):
        charts.render(spec, tmp_path / "chart.pdf")
    with pytest.raises(InputError, match="does not exist"):
        charts.render(spec, tmp_path / "missing" / "chart.png")
    assert list(tmp_path.iterdir()) == []


# --------------------------------------------------------------------------
# From a real register, on both databases


@pytest.fixture(scope="module")
def generated_package(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("charts") / "package"
    generate_package(folder, persons=300, seed=7, until=UNTIL)
    return folder


def test_charts_of_a_generated_register_render(database: Database, generated_package: Path, tmp_path: Path):
    import_package(database, generated_package)
    figures = Figures(database)
    start, end = date(2024, 1, 1), UNTIL
    prisoners = figures.series("political_prisoners", start, end, step="week")
    behind = figures.series("behind_bars", start, end, step="week")
    stock = figures.stock(end)
    flows = {metric: figures.series(metric, date(2025, 1, 1), end, step="month") for metric in ("arrests", "releases", "pardons")}
    specs = {
        "prisoners": charts.prisoners_chart(prisoners, behind_bars=behind),
        "flows": charts.monthly_flows_chart(flows),
        "categories": charts.category_chart(stock["political_prisoners_by_category"], as_of=end),
        "series": charts.series_chart("political_prisoners_by_gender", figures.series("political_prisoners_by_gender", start, end, step="month"), "month"),
    }
    last = [row for row in specs["prisoners"]["data"]["values"] if row["series"] == "Political prisoners"][-1]
    assert last == {"date": "2025-12-31", "series": "Political prisoners", "value": stock["political_prisoners"]}
    assert {row["value"] for row in specs["flows"]["data"]["values"] if row["figure"] == "Arrests" and row["month"] == "2025-12"} == {
        figures.flow(date(2025, 12, 1), end)["arrests"]
    }
    for name, spec in specs.items():
        check_spec(spec)
        assert spec["title"]["subtitle"].startswith("As of 2025-12-31 · known at ")
        assert charts.render(spec, tmp_path / f"{name}.png").read_bytes()[:8] == PNG_MAGIC
        assert charts.render(spec, tmp_path / f"{name}.svg").read_text(encoding="utf-8").startswith("<svg")
