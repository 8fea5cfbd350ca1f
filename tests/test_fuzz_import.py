"""Bad input, part 1: `chronicle import` on generated data packages (issue 7).

Hypothesis starts from the valid register of tests/bad_packages.py and
breaks it: random cells (wrong types, huge strings, NUL and other control
characters, text that is not UTF-8, impossible dates), duplicate keys and
rows, missing and unknown columns, missing files, and CSV framing oddities
written as raw bytes (stray and unbalanced quotes, a byte order mark, lone
carriage returns, blank lines, a file cut short). Each package is imported
through the command line into an empty register and into one that already
holds the small register, on SQLite and on PostgreSQL. The import either

- accepts (exit 0, and importing the same package again changes nothing), or
- refuses: exit 1, nothing on standard output, a summary line and one line
  per problem, each naming its file (and line and column where there is
  one); a cell that holds a control character or bytes that are not UTF-8 is
  named at its exact file, line and column; and nothing at all is written
  (every table, and on PostgreSQL every sequence, as before).

Never a crash, never a traceback, never a control character sent to the terminal.
"""

from __future__ import annotations

import csv
import gc
import io
import re
import shutil
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from bad_packages import KEY_COLUMN, valid_register
from databases import PostgresSchema, require_postgres
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st
from packages import small_register, write_package
from sqlalchemy import create_engine
from test_fuzz import assert_no_traceback, digest
from typer.testing import CliRunner

from chronicle.cli import app
from chronicle.database import Database, database_url
from chronicle.package_format import RESOURCES_BY_NAME, write_descriptor

EXAMPLES = 12  # packages per register (empty, filled) and database
BOUNDS = settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                  suppress_health_check=list(HealthCheck))
SUMMARY = re.compile(r"^Error: the data package has (\d+) problems?; nothing was written$")
RESOURCES = ("sources", "cases", "organisations", "persons", "memberships", "events")
AUDIT = frozenset({"audit_log", "audit_head"})  # every import is audited, one that changes nothing too
TERMINAL_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f\x9b]")  # what must not reach a terminal (newlines aside)

# Cells: text of every kind, values of the wrong type, dates that are not, sizes beyond the limits.
WRONG = st.sampled_from([
    "", " ", "true", "false", "TRUE", "yes", "0", "1", "-1", "1e9", "1201", "12.5", "²", "NaN", "null", "None",
    "2021-13-01", "2021-02-30", "2021-2-3", "0000-00-00", "9999-12-31", "2099-01-01", "1700", "yesterday", "2020-W01",
    "2020-01-01T00:00:00Z", "2020-01-01T25:61:00", "0001-01-01T00:00:00+01:00", "p1", "p99", "s1;s2", "s99", ";;", "c1",
    "o1", "detained", "arrested", "colony", "gulag", "pardon", "f", "male", "javascript:alert(1)", "https://example.org/x",
    "ftp://x", "'); DROP TABLE persons;--", "<script>alert(1)</script>", "{{7*7}}", "\"quoted\"", "a,b", "a\nb", "a\r\nb",
    "Сяргей Ціханоўскі", "\ufeffbom", "\u202eoverride", "emoji \U0001f600", "\ud800", "x" * 1001, "9" * 5000,
])
HUGE = st.sampled_from(["x" * 65_537, "я" * 40_000, "https://example.org/" + "a" * 4000, "p" * 201])
POISON = st.sampled_from(["before\x00after", "Minsk\x07", "\x1b[2Jcleared", "tab\x0bvertical", "\x7fdelete", "nul\x00"])
CELL = st.one_of(WRONG, st.text(max_size=40), st.text(st.characters(codec="utf-8"), max_size=10), HUGE, POISON)
INVALID_UTF8 = st.sampled_from([b"\xff\xfe", b"\xc3", "Игорь".encode("cp1251"), b"\xed\xa0\x80", b"\xe2\x82"])
RAW_LINES = st.sampled_from([
    b'"unterminated, quote', b'a,"b"c,d', b'"a""b",,', b"\r", b"", b",,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,",
    b'x,"y\r\nz",w', b"\x00\x00\x00", b'"""', b"p1,Siarhei Tsikhanouski", b'\\",\\"', b"\t\t\t",
])


@dataclass
class Breakage:
    """What a generated package broke, and where a refusal must name it."""

    places: set[str] = field(default_factory=set)  # "persons.csv, line 3, column notes": a problem must name each
    exact: bool = True  # False once the framing changed: line numbers are no longer known


def _cell_mutation(draw, tables) -> tuple:
    resource = draw(st.sampled_from([name for name in RESOURCES if tables.get(name)]))
    row = draw(st.integers(0, len(tables[resource]) - 1))
    column = draw(st.sampled_from(RESOURCES_BY_NAME[resource].columns))
    return ("cell", resource, row, column, draw(CELL))


@st.composite
def packages(draw):
    """A package: (tables with their columns, per-file byte edits, files left out)."""
    tables = valid_register()
    columns = {name: list(RESOURCES_BY_NAME[name].columns) for name in tables}
    breakage = Breakage()
    byte_edits: list[tuple] = []
    for _ in range(draw(st.integers(0, 3))):
        kind = draw(st.sampled_from(["harmless"] * 4 + ["cell"] * 6 + ["bytes", "duplicate", "drop_column", "add_column", "drop_file", "raw_line",
                                                    "bom", "crlf", "truncate", "nothing"]))
        if kind == "harmless":  # text a register keeps as it is
            resource = draw(st.sampled_from(["persons", "sources", "events"]))
            column = {"persons": "notes", "sources": "title", "events": "note"}[resource]
            row = draw(st.integers(0, len(tables[resource]) - 1))
            tables[resource][row][column] = draw(st.text(st.characters(codec="utf-8", exclude_categories=["Cc", "Cs"]),
                                                         min_size=1, max_size=30))
        elif kind == "cell":
            _, resource, row, column, value = _cell_mutation(draw, tables)
            tables[resource][row][column] = value
        elif kind == "bytes":
            resource = draw(st.sampled_from([name for name in RESOURCES if tables.get(name)]))
            row = draw(st.integers(0, len(tables[resource]) - 1))
            column = draw(st.sampled_from([name for name in columns[resource] if name != KEY_COLUMN[resource]]))
            marker = f"@@{uuid.uuid4().hex[:8]}@@"
            tables[resource][row][column] = marker
            byte_edits.append(("replace", resource, marker.encode(), draw(INVALID_UTF8)))
        elif kind == "duplicate":
            resource = draw(st.sampled_from([name for name in RESOURCES if tables.get(name)]))
            row = draw(st.integers(0, len(tables[resource]) - 1))
            tables[resource].append(dict(tables[resource][row]))
        elif kind == "drop_column":
            resource = draw(st.sampled_from(list(columns)))
            if len(columns[resource]) > 1:
                columns[resource].remove(draw(st.sampled_from(columns[resource])))
        elif kind == "add_column":
            resource = draw(st.sampled_from(list(columns)))
            columns[resource].insert(draw(st.integers(0, len(columns[resource]))),
                                     draw(st.sampled_from(["birthdate", "", "name", "x\x1b", "Имя", "note ", "type"])))
        elif kind == "drop_file":
            tables.pop(draw(st.sampled_from(list(tables))), None)
        elif kind in ("raw_line", "truncate", "bom", "crlf"):
            resource = draw(st.sampled_from(list(tables)))
            argument = draw(RAW_LINES) if kind == "raw_line" else draw(st.floats(0, 1)) if kind == "truncate" else None
            byte_edits.append((kind, resource, argument, draw(st.integers(0, 20))))
        columns = {name: cols for name, cols in columns.items() if name in tables}
    return tables, columns, byte_edits, breakage


def _known_breakage():
    """A package with a NUL in a note and bytes that are not UTF-8 in a place: both must be named exactly."""
    tables = valid_register()
    tables["persons"][4]["notes"] = "before\x00after"
    tables["events"][7]["place"] = "@@marker@@"
    columns = {name: list(RESOURCES_BY_NAME[name].columns) for name in tables}
    return tables, columns, [("replace", "events", b"@@marker@@", b"\xff\xfe")], Breakage()


def _cell_bytes(value: str) -> bytes:
    return value.encode("utf-8", "surrogatepass")  # half a surrogate pair becomes bytes that are not UTF-8


def write(folder: Path, tables, columns, byte_edits, breakage: Breakage) -> Path:
    """Write the package as bytes, working out where each poisoned cell ends up."""
    folder.mkdir(parents=True)
    for name, rows in tables.items():
        header = columns[name]
        text = io.StringIO(newline="")
        writer = csv.writer(text, lineterminator="\n")
        writer.writerow(header)
        line = 2
        canonical = list(RESOURCES_BY_NAME[name].columns)
        framing_ok = sorted(header) == sorted(canonical) and len(set(header)) == len(header)
        for row in rows:
            cells = [row.get(column, "") for column in header]
            writer.writerow(cells)
            if framing_ok:
                for column in header:
                    value = row.get(column, "")
                    if re.search("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]", value):
                        breakage.places.add(f"{name}.csv, line {line}, column {column}")
            line += sum(cell.count("\n") for cell in cells)  # a quoted cell spans its lines
            if any("\r" in cell for cell in cells):
                breakage.exact = False
            line += 1
        data = _cell_bytes(text.getvalue())
        for edit in byte_edits:
            if edit[1] != name:
                continue
            kind = edit[0]
            if kind == "replace":
                _, _, marker, replacement = edit
                if marker not in data:
                    continue  # the cell was overwritten or its column left out
                if framing_ok:
                    before = data[: data.find(marker)].decode("utf-8", "surrogatepass")
                    number = before.count("\n") + 1
                    column = header[before.rsplit("\n", 1)[-1].count(",")] if '"' not in before.rsplit("\n", 1)[-1] else None
                    if column is not None:
                        breakage.places.add(f"{name}.csv, line {number}, column {column}")
                data = data.replace(marker, replacement)
            else:
                breakage.exact = False
                lines = data.split(b"\n")
                position = min(edit[3], len(lines))
                if kind == "raw_line":
                    lines.insert(position, edit[2])
                    data = b"\n".join(lines)
                elif kind == "truncate":
                    data = data[: int(len(data) * edit[2])]
                elif kind == "bom":
                    data = b"\xef\xbb\xbf" + data
                elif kind == "crlf":
                    data = data.replace(b"\n", b"\r\n" if position % 2 else b"\r")
        (folder / f"{name}.csv").write_bytes(data)
    write_descriptor(folder, list(tables))
    # The descriptor describes the canonical columns; a package whose header differs is refused for it too.
    return folder


class Target:
    """A register to import into, made again when an accepted import changed what it should hold."""

    def __init__(self, kind: str, folder: Path, filled: bool):
        self.kind, self.folder, self.filled = kind, folder, filled
        self.schema: PostgresSchema | None = None
        self.generation = 0
        self.location = ""
        self.make()

    def make(self) -> None:
        self.drop()
        self.generation += 1
        if self.kind == "sqlite":
            self.location = str(self.folder / f"register-{self.generation}.db")
        else:
            self.schema = PostgresSchema(require_postgres())
            self.location = self.schema.url
        database = Database.open(self.location)  # the schema exists before the first digest
        database.close()
        if self.filled:
            result = run_import(self.location, write_package(self.folder / f"small-{self.generation}", small_register()))
            assert result.exit_code == 0, result.output

    def drop(self) -> None:
        if self.schema is not None:
            self.schema.drop()
            self.schema = None

    def digest(self, skip: frozenset[str] = frozenset()) -> dict[str, str]:
        engine = create_engine(database_url(self.location))
        try:
            return digest(engine, skip=skip)
        finally:
            engine.dispose()


def run_import(location: str, package: Path):
    result = CliRunner().invoke(app, ["--db", location, "import", str(package)])
    gc.collect()  # the command leaves its engine to the garbage collector; close its connections now
    return result


def generated_is_known(package: Path) -> bool:
    return b"before\x00after" in (package / "persons.csv").read_bytes()


def check_import(target: Target, package: Path, breakage: Breakage) -> None:
    before = target.digest()
    result = run_import(target.location, package)
    output = result.stdout + result.stderr
    assert result.exception is None or isinstance(result.exception, SystemExit), f"crashed: {result.exception!r}\n{output}"
    assert_no_traceback(output, "the import")
    assert not TERMINAL_CONTROL.search(output), f"a control character reaches the terminal: {output!r}"
    assert result.exit_code in (0, 1), output
    event("accepted" if result.exit_code == 0 else "refused")
    if result.exit_code == 1:
        assert result.stdout == ""
        lines = result.stderr.splitlines()
        summary = SUMMARY.match(lines[0]) if lines else None
        assert summary, f"unexpected refusal: {result.stderr[:2000]}"
        problems = [line[2:] for line in lines[1:]]
        assert all(line.startswith("  ") for line in lines[1:]), result.stderr[:2000]
        assert int(summary.group(1)) == len(problems) > 0, result.stderr[:2000]
        files = [f"{name}.csv" for name in RESOURCES] + ["datapackage.json", str(package)]
        for problem in problems:
            assert any(problem.startswith((f"{name}:", f"{name},")) for name in files), problem
            assert re.match(r"^[^:]+(, line \d+)?(, column [^:]*)?: \S", problem), problem
        if breakage.exact:
            if generated_is_known(package):
                assert breakage.places == {"persons.csv, line 6, column notes", "events.csv, line 9, column place"}
            for place in breakage.places:
                assert any(problem.startswith(place + ":") for problem in problems), f"{place} not named in:\n" + "\n".join(problems)
        assert target.digest() == before, "a refused import wrote something"
        return
    assert not (breakage.exact and breakage.places), f"a package with control characters at {breakage.places} was accepted"
    assert "Error" not in result.stderr
    after = target.digest(skip=AUDIT)
    again = run_import(target.location, package)
    assert again.exit_code == 0, again.output
    assert target.digest(skip=AUDIT) == after, "importing the same package twice changed the register"
    if not target.filled:
        target.make()  # the next example starts from an empty register again; a filled one stays filled


@pytest.fixture(params=["sqlite", "postgresql"])
def kind(request, key_file) -> str:
    return request.param


@pytest.mark.parametrize("filled", [False, True], ids=["empty", "filled"])
def test_generated_packages_are_accepted_or_refused_whole(kind: str, filled: bool, tmp_path: Path):
    target = Target(kind, tmp_path, filled)
    counter = iter(range(10**6))

    @BOUNDS
    @given(packages())
    @example(_known_breakage())
    def one(generated):
        tables, columns, byte_edits, breakage = generated
        folder = tmp_path / f"package-{next(counter)}"
        try:
            check_import(target, write(folder, tables, columns, byte_edits, breakage), breakage)
        finally:
            shutil.rmtree(folder, ignore_errors=True)

    try:
        one()
    finally:
        target.drop()
