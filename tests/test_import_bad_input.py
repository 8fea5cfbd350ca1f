"""Bad input for `chronicle import`: refused with exit code 1, every problem named, nothing written.

Each case of tests/bad_packages.py is imported through the real command line
into a register that already holds a valid package, on SQLite and on
PostgreSQL. The import must exit with 1, name every problem at its exact
place (file, line, column) and leave the database exactly as it was.
"""

from __future__ import annotations

import gc
import re
import subprocess
import sys
from pathlib import Path

import pytest
from bad_packages import CASES, Case, append, valid_register
from packages import small_register, write_package
from snapshots import snapshot
from typer.testing import CliRunner, Result

from chronicle.cli import app
from chronicle.schema import metadata

CHRONICLE = Path(sys.executable).with_name("chronicle")
SUMMARY = re.compile(r"^Error: the data package has (\d+) problems?; nothing was written$")


def run_import(location: str, package: Path) -> Result:
    result = CliRunner().invoke(app, ["--db", location, "import", str(package)])
    gc.collect()  # the command leaves its engine to the garbage collector; close its connections now
    return result


def import_valid_register(location: str, folder: Path) -> None:
    result = run_import(location, write_package(folder, small_register()))
    assert result.exit_code == 0, result.stderr
    assert result.exception is None


def problem_lines(result: Result) -> list[str]:
    """The problems the refused import listed on standard error, checking the summary line."""
    lines = result.stderr.splitlines()
    assert lines, "nothing on standard error"
    summary = SUMMARY.match(lines[0])
    assert summary, f"unexpected first line: {lines[0]!r}"
    problems = [line[2:] for line in lines[1:]]
    assert all(line.startswith("  ") for line in lines[1:]), result.stderr
    assert int(summary.group(1)) == len(problems), result.stderr
    return problems


def test_no_traceback_in_any_output(tmp_path: Path):
    """The installed `chronicle` command, on every bad package and on the two accepted ones."""
    assert CHRONICLE.exists()
    location = tmp_path / "register.db"
    valid = write_package(tmp_path / "valid", small_register())
    outputs = [_run_installed(location, valid, expected_code=0)]
    for number, bad in enumerate(CASES):
        package, _expected = bad.build(tmp_path / f"bad-{number}")
        outputs.append(_run_installed(location, package, expected_code=1))
    warned = valid_register()
    append(warned, "events", {"event_id": "e12", "person_id": "p5", "type": "pardoned", "date": "2020-01-01", "source_ids": "s3"})
    outputs.append(_run_installed(location, write_package(tmp_path / "warned", warned), expected_code=0))
    assert "Warning: events.csv" in outputs[-1]
    assert len(outputs) == len(CASES) + 2
    for output in outputs:
        assert "Traceback" not in output
        assert output.strip()


def _run_installed(location: Path, package: Path, *, expected_code: int) -> str:
    completed = subprocess.run(
        [str(CHRONICLE), "--db", str(location), "import", str(package)], capture_output=True, text=True, timeout=120
    )
    output = completed.stdout + completed.stderr
    assert completed.returncode == expected_code, output
    if expected_code == 1:
        assert completed.stdout == ""
        assert completed.stderr.startswith("Error: the data package has"), output
    return output


@pytest.mark.parametrize("bad", CASES, ids=lambda bad: bad.name)
def test_bad_package_is_refused_and_writes_nothing(bad: Case, database_location: str, tmp_path: Path):
    import_valid_register(database_location, tmp_path / "valid")
    before = snapshot(database_location)
    package, expected = bad.build(tmp_path / "bad")

    result = run_import(database_location, package)

    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit), f"crashed: {result.exception!r}"
    assert result.stdout == ""
    problems = problem_lines(result)
    for expectation in expected:
        prefix = f"{expectation.place}: "
        matching = [line for line in problems if line.startswith(prefix) and expectation.words in line]
        assert matching, f"no problem {prefix}...{expectation.words}... in:\n" + "\n".join(problems)
    assert len(problems) == len(expected), "unexpected problems:\n" + "\n".join(problems)
    assert snapshot(database_location) == before


def test_catalogue_is_large_enough():
    assert len(CASES) >= 35
    assert len([bad for bad in CASES if bad.name == "many_problems_at_once"]) == 1


def test_header_only_events_file_is_fine(database_location: str, tmp_path: Path):
    import_valid_register(database_location, tmp_path / "valid")
    tables = valid_register()
    tables["events"] = []
    package = write_package(tmp_path / "header-only", tables)
    assert (package / "events.csv").read_text(encoding="utf-8").count("\n") == 1

    result = run_import(database_location, package)

    assert result.exit_code == 0, result.stderr
    assert result.exception is None
    after = snapshot(database_location)
    assert [row["person_id"] for row in _current(after, "persons")] == ["p1", "p2", "p3", "p4", "p5"]
    assert len(after["events"]) == 11  # the register's events stay as they were


def test_released_without_detained_is_a_warning(database_location: str, tmp_path: Path):
    import_valid_register(database_location, tmp_path / "valid")
    tables = valid_register()
    tables["persons"].append({"person_id": "p6", "name": "Released Person", "public": "true"})
    line = append(tables, "events", {"event_id": "e12", "person_id": "p6", "type": "released", "date": "2022-01-05", "reason": "end_of_term", "source_ids": "s1"})
    package = write_package(tmp_path / "warning", tables)

    result = run_import(database_location, package)

    assert result.exit_code == 0, result.stderr
    assert result.exception is None
    assert f"Warning: events.csv, line {line}, column type: released but p6 is not in custody then" in result.stderr
    assert result.stderr.count("Warning:") == 1
    events = _current(snapshot(database_location), "events")
    assert "e12" in [row["event_id"] for row in events]


def _current(state: dict, table: str) -> list[dict]:
    """The current versions in a snapshot (rows are in row_id order)."""
    names = [column.name for column in metadata.tables[table].columns]
    rows = [dict(zip(names, row)) for row in state[table]]
    return [row for row in rows if row["retracted_at"] is None]
