"""The command line: options, exit codes and messages (spec/cli.md)."""

from __future__ import annotations

import csv
from pathlib import Path

from packages import small_register, write_package
from typer.testing import CliRunner

from chronicle.cli import app

runner = CliRunner()


def test_import_then_export_through_the_command_line(database_location: str, tmp_path: Path):
    package = write_package(tmp_path / "package", small_register())
    result = runner.invoke(app, ["--db", database_location, "import", str(package)])
    assert result.exit_code == 0, result.output
    assert "persons.csv" in result.stderr and "Imported" in result.stderr
    result = runner.invoke(app, ["--db", database_location, "export", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    with open(tmp_path / "out" / "persons.csv", encoding="utf-8") as stream:
        assert len(list(csv.DictReader(stream))) == 4


def test_the_database_comes_from_chronicle_db(tmp_path: Path):
    package = write_package(tmp_path / "package", small_register())
    location = tmp_path / "from-env.db"
    result = runner.invoke(app, ["import", str(package)], env={"CHRONICLE_DB": str(location)})
    assert result.exit_code == 0, result.output
    assert location.exists()


def test_the_default_database_is_chronicle_db_in_the_working_folder(tmp_path: Path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("CHRONICLE_DB", raising=False)
    result = runner.invoke(app, ["db", "upgrade"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "chronicle.db").exists()
    assert "revision" in result.stderr


def test_a_refused_package_exits_1_and_names_the_place(database_location: str, tmp_path: Path):
    register = small_register()
    register["events"][0]["date"] = "2021-13-01"
    package = write_package(tmp_path / "package", register)
    result = runner.invoke(app, ["--db", database_location, "import", str(package)])
    assert result.exit_code == 1
    assert "events.csv, line 2, column date" in result.stderr
    assert "nothing was written" in result.stderr
    assert "Traceback" not in result.output


def test_usage_errors_exit_2(tmp_path: Path):
    assert runner.invoke(app, ["import"]).exit_code == 2
    assert runner.invoke(app, ["no-such-command"]).exit_code == 2
    assert runner.invoke(app, ["generate", str(tmp_path / "x"), "--persons", "0"]).exit_code == 2


def test_an_unsupported_database_url_is_refused(tmp_path: Path):
    result = runner.invoke(app, ["--db", "mysql://localhost/x", "db", "upgrade"])
    assert result.exit_code == 1
    assert "unsupported database" in result.stderr


def test_every_command_has_help_with_an_example():
    commands = ["import", "export", "generate", "serve", "demo", "db upgrade", "figures", "series", "explain", "reconcile", "report", "match", "extract"]
    for command in commands:
        result = runner.invoke(app, [*command.split(), "--help"])
        assert result.exit_code == 0, command
        assert "Example:" in result.output, command
