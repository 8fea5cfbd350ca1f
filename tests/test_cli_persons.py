"""`chronicle persons ...`: duplicates, link, merge, unmerge, merges, not-same on the command line (issue 5)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from duplicate_register import register_with_duplicates
from packages import write_package
from typer.testing import CliRunner

from chronicle.cli import app

runner = CliRunner()


@pytest.fixture
def db(database_location: str, tmp_path: Path) -> str:
    package = write_package(tmp_path / "package", register_with_duplicates())
    result = runner.invoke(app, ["--db", database_location, "import", str(package)])
    assert result.exit_code == 0, result.output
    return database_location


def persons(db: str, *arguments: str):
    return runner.invoke(app, ["--db", db, "persons", *arguments])


def refused(result, message: str) -> None:
    assert result.exit_code == 1, result.output
    assert message in result.stderr
    assert "Traceback" not in result.output


def test_duplicates_lists_the_pairs_with_their_evidence(db: str):
    result = persons(db, "duplicates", "--json")
    assert result.exit_code == 0, result.output
    proposals = json.loads(result.stdout)
    assert {(p["person_a"]["person_id"], p["person_b"]["person_id"]) for p in proposals} == {("p1", "p5"), ("p7", "p9")}
    tsikhanouski = next(p for p in proposals if p["person_a"]["person_id"] == "p1")
    assert tsikhanouski["evidence"]["shared_cases"] == [{"case_id": "c1", "name": "Case of the Coordination Council"}]
    assert tsikhanouski["evidence"]["birth_date"]["comparison"] == "same day"
    assert len(json.loads(persons(db, "duplicates", "--json", "--limit", "1").stdout)) == 1
    table = persons(db, "duplicates")
    assert table.exit_code == 0 and "p5" in table.stdout and "2 pairs" in table.stdout


def test_link_finds_the_person_a_name_denotes(db: str):
    result = persons(db, "link", "Ihar Losik", "--birth-date", "1965", "--json")
    assert result.exit_code == 0, result.output
    links = json.loads(result.stdout)
    assert [link["person"]["person_id"] for link in links] == ["p8"]
    assert links[0]["evidence"]["names"][0]["b"] == {"field": "name", "name": "Ігар Лосік"}
    assert "p8" in persons(db, "link", "Ihar Losik", "--birth-date", "1965").stdout
    nobody = persons(db, "link", "Maria Ivanova")
    assert nobody.exit_code == 0 and "No person" in nobody.stderr


def test_merge_then_unmerge_and_the_merge_log(db: str):
    result = persons(db, "merge", "p1", "p5", "--by", "officer", "--note", "same person")
    assert result.exit_code == 0, result.output
    assert "Merged p5 into p1 (merge 1): 3 events and 1 memberships moved" in result.stderr
    assert "Kept region Homiel region of p1, not Гомельская вобласць of p5" in result.stderr
    log = json.loads(persons(db, "merges", "--json").stdout)
    assert [(m["merge_id"], m["kept"], m["absorbed"], m["merged_by"], m["note"], m["undone_at"]) for m in log] == [
        (1, "p1", "p5", "officer", "same person", None)
    ]
    assert sorted(log[0]["created_rows"]) == ["events", "memberships", "persons"]
    pairs = {(p["person_a"]["person_id"], p["person_b"]["person_id"]) for p in json.loads(persons(db, "duplicates", "--json").stdout)}
    assert pairs == {("p7", "p9")}
    result = persons(db, "unmerge", "1", "--by", "supervisor")
    assert result.exit_code == 0, result.output
    assert "Undid merge 1" in result.stderr
    assert json.loads(persons(db, "merges", "--json", "--person", "p5").stdout)[0]["undone_by"] == "supervisor"
    assert "supervisor" in persons(db, "merges").stdout
    refused(persons(db, "unmerge", "1", "--by", "supervisor"), "merge 1 was already undone")


def test_bad_input_exits_1_with_a_clear_message(db: str):
    refused(persons(db, "merge", "p1", "p1", "--by", "officer"), "cannot merge person p1 with itself")
    refused(persons(db, "merge", "p1", "nobody", "--by", "officer"), "no person 'nobody'")
    refused(persons(db, "unmerge", "7", "--by", "officer"), "no merge 7")
    refused(persons(db, "unmerge", "seven", "--by", "officer"), "not a merge id")
    refused(persons(db, "link", "Ihar Losik", "--birth-date", "1965-13-01"), "birth date")
    refused(persons(db, "link", "Ihar Losik", "--gender", "q"), "gender")
    refused(persons(db, "duplicates", "--threshold", "2"), "not a probability")
    refused(persons(db, "not-same", "p7", "p7", "--by", "officer"), "itself")
    assert persons(db, "merge", "p1", "p5").exit_code == 2  # --by is required: a usage error
    persons(db, "merge", "p1", "p5", "--by", "officer")
    refused(persons(db, "merge", "p7", "p5", "--by", "officer"), "p5 was merged into p1 (merge 1)")


def test_not_same_keeps_a_pair_out_of_the_proposals(db: str):
    result = persons(db, "not-same", "p9", "p7", "--by", "officer", "--note", "cousins")
    assert result.exit_code == 0, result.output
    assert "p7 and p9 are not the same person" in result.stderr
    proposals = json.loads(persons(db, "duplicates", "--json").stdout)
    assert [(p["person_a"]["person_id"], p["person_b"]["person_id"]) for p in proposals] == [("p1", "p5")]
    refused(persons(db, "not-same", "p7", "p9", "--by", "officer"), "already marked not the same")


def test_every_persons_command_has_help_with_an_example():
    for command in ("duplicates", "link", "merge", "unmerge", "merges", "not-same"):
        result = runner.invoke(app, ["persons", command, "--help"])
        assert result.exit_code == 0, command
        assert "Example:" in result.output, command
