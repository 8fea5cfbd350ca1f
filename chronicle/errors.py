"""One exception tree for the whole library.

Interfaces (the command line, the web app) catch `ChronicleError` and render
it once; anything else escaping is a bug.
"""

from __future__ import annotations

from dataclasses import dataclass


class ChronicleError(Exception):
    """Base of every error the library raises on purpose."""

    title = "Error"


class InputError(ChronicleError):
    """The caller's input was refused (exit code 1 on the command line)."""

    title = "Input refused"


class NotFoundError(InputError):
    """A record that was asked for does not exist."""

    title = "Not found"


class ConflictError(ChronicleError):
    """An edit was based on a version that is no longer current."""

    title = "Conflict"


class DatabaseError(ChronicleError):
    """The database could not be reached or used."""

    title = "Database error"


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong in an input, with where it is.

    `line` counts from 1 and includes the header row, so it is the line a
    text editor shows. `column` is the column's name.
    """

    file: str
    line: int | None
    column: str | None
    message: str

    def __str__(self) -> str:
        place = self.file
        if self.line is not None:
            place += f", line {self.line}"
        if self.column is not None:
            place += f", column {self.column}"
        return f"{place}: {self.message}"


class PackageError(InputError):
    """A data package was refused; `problems` lists everything wrong with it."""

    title = "Data package refused"

    def __init__(self, problems: list[Problem]):
        self.problems = sorted(problems, key=lambda p: (p.file, p.line or 0, p.column or "", p.message))
        count = len(self.problems)
        summary = f"the data package has {count} problem{'s' if count != 1 else ''}; nothing was written"
        super().__init__(summary)

    def __str__(self) -> str:
        return "\n".join([self.args[0], *(f"  {problem}" for problem in self.problems)])
