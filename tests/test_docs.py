"""The documentation stays true: the README's commands, its command reference, the docs it links."""

from __future__ import annotations

import re
from pathlib import Path

from chronicle.reference import END, START, cli_reference

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def quick_start_commands() -> list[str]:
    section = README.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```sh\n(.+?)\n```", section)


def test_the_quick_start_is_two_commands_demo_then_tests():
    commands = quick_start_commands()
    assert len(commands) == 2
    assert commands[0].endswith("chronicle demo")
    assert "pytest" in commands[1]


def test_ci_runs_the_readme_test_command():
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert quick_start_commands()[1] in ci.splitlines()


def test_the_command_reference_matches_the_commands():
    reference = README[README.index(START) : README.index(END) + len(END)]
    assert reference == cli_reference(), "run `python -m chronicle.reference` to update README.md"


def test_linked_docs_exist():
    for link in re.findall(r"\]\(((?:docs/)?[\w./-]+\.md)\)", README):
        assert (ROOT / link).is_file(), link


def test_every_changelog_entry_names_its_issue():
    changelog = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    entries = [line for line in changelog.splitlines() if line.startswith("- ")]
    assert entries
    for entry in entries:
        assert re.search(r"\(issue \d+\)", entry), entry
