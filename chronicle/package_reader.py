"""Reading a data package from a folder or a `.zip`, row by row, with places.

This module knows nothing of what the cells mean: it opens the package,
checks the descriptor and the CSV framing (encoding, header, ragged rows,
sizes), and hands out rows with their line numbers. Every problem it finds
becomes a `Problem` naming file, line and column.
"""

from __future__ import annotations

import csv
import difflib
import io
import json
import re
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import IO

from chronicle.errors import Problem
from chronicle.package_format import DESCRIPTOR_NAME, REQUIRED_RESOURCES, RESOURCES_BY_NAME, Resource

MAX_CELL = 65_536  # characters in one cell
MAX_PACKAGE_BYTES = 4 * 1024**3  # uncompressed size of a zipped package
_SURROGATE = re.compile("[\udc80-\udcff]")
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# What reading a damaged zip entry (or an unreadable file) raises.
_UNREADABLE = (OSError, EOFError, zipfile.BadZipFile, zlib.error, NotImplementedError)

csv.field_size_limit(16 * 1024 * 1024)


@dataclass
class Row:
    """One data row of a CSV file: its first line number and its cells by column."""

    line: int
    cells: dict[str, str]


@dataclass
class PackageFile:
    """One described CSV file of an opened package."""

    resource: Resource
    path: str  # path inside the package, as the descriptor gives it
    declared_fields: list[str] | None = None


@dataclass
class Package:
    """An opened data package: where it is and which files it describes."""

    location: Path
    files: dict[str, PackageFile] = field(default_factory=dict)
    _zip: zipfile.ZipFile | None = None
    _zip_root: str = ""

    @contextmanager
    def open_binary(self, path: str) -> Iterator[IO[bytes]]:
        if self._zip is not None:
            with self._zip.open(self._zip_root + path) as stream:
                yield stream
        else:
            with open(self.location / path, "rb") as stream:
                yield stream

    def exists(self, path: str) -> bool:
        if self._zip is not None:
            return (self._zip_root + path) in self._zip.NameToInfo
        return (self.location / path).is_file()

    def close(self) -> None:
        if self._zip is not None:
            self._zip.close()


def _unsafe_path(name: str) -> bool:
    path = PurePosixPath(name.replace("\\", "/"))
    return name.startswith(("/", "\\")) or ".." in path.parts or (len(name) > 1 and name[1] == ":")


def open_package(location: Path, problems: list[Problem]) -> Package | None:
    """Open a package folder or zip and read its descriptor; None when it cannot be read at all."""
    if not location.exists():
        problems.append(Problem(str(location), None, None, "no such folder or file"))
        return None
    package = Package(location)
    if location.is_dir():
        descriptor_bytes = _read_folder_descriptor(location, problems)
    else:
        descriptor_bytes = _open_zip(package, problems)
    if descriptor_bytes is None:
        package.close()
        return None
    _read_descriptor(package, descriptor_bytes, problems)
    return package


def _read_folder_descriptor(location: Path, problems: list[Problem]) -> bytes | None:
    path = location / DESCRIPTOR_NAME
    if not path.is_file():
        problems.append(Problem(DESCRIPTOR_NAME, None, None, f"missing: {location} holds no {DESCRIPTOR_NAME}"))
        return None
    return path.read_bytes()


def _open_zip(package: Package, problems: list[Problem]) -> bytes | None:
    try:
        archive = zipfile.ZipFile(package.location)
    except (zipfile.BadZipFile, OSError) as error:
        problems.append(
            Problem(str(package.location), None, None, f"is neither a folder nor a readable .zip ({error})")
        )
        return None
    package._zip = archive
    names = archive.namelist()
    unsafe = [name for name in names if _unsafe_path(name)]
    for name in unsafe:
        problems.append(Problem(name, None, None, "this zip entry points outside the package; refused"))
    encrypted = [info.filename for info in archive.infolist() if info.flag_bits & 0x1]
    for name in encrypted:
        problems.append(Problem(name, None, None, "this zip entry is encrypted; zip the package without a password"))
    total = sum(info.file_size for info in archive.infolist())
    if total > MAX_PACKAGE_BYTES:
        problems.append(
            Problem(str(package.location), None, None, f"unpacks to {total:,} bytes, more than the {MAX_PACKAGE_BYTES:,} allowed")
        )
    if unsafe or encrypted or total > MAX_PACKAGE_BYTES:
        return None
    # The descriptor sits at the top of the zip or inside one top-level folder.
    candidates = [name for name in names if PurePosixPath(name).name == DESCRIPTOR_NAME and name.count("/") <= 1]
    if not candidates:
        problems.append(Problem(DESCRIPTOR_NAME, None, None, f"missing: {package.location.name} holds no {DESCRIPTOR_NAME}"))
        return None
    if len(candidates) > 1:
        problems.append(Problem(DESCRIPTOR_NAME, None, None, f"the zip holds more than one: {', '.join(sorted(candidates))}"))
        return None
    package._zip_root = candidates[0][: -len(DESCRIPTOR_NAME)]
    try:
        return archive.read(candidates[0])
    except _UNREADABLE as error:
        problems.append(Problem(candidates[0], None, None, f"cannot be read from the zip: {error}"))
        return None


def _read_descriptor(package: Package, raw: bytes, problems: list[Problem]) -> None:
    where = DESCRIPTOR_NAME
    try:
        descriptor = json.loads(raw.decode("utf-8-sig"))
    except UnicodeDecodeError as error:
        problems.append(Problem(where, None, None, f"is not UTF-8 text (byte {error.start})"))
        return
    except json.JSONDecodeError as error:
        problems.append(Problem(where, error.lineno, None, f"is not valid JSON: {error.msg} (character {error.colno})"))
        return
    if not isinstance(descriptor, dict):
        problems.append(Problem(where, None, None, "must be a JSON object with a `resources` list"))
        return
    resources = descriptor.get("resources")
    if not isinstance(resources, list) or not resources:
        problems.append(Problem(where, None, None, "needs a non-empty `resources` list"))
        return
    for index, entry in enumerate(resources):
        _read_resource_entry(package, index, entry, problems)
    for name in REQUIRED_RESOURCES:
        if name not in package.files:
            problems.append(Problem(where, None, None, f"describes no `{name}` resource; a package needs {name}.csv"))


def _read_resource_entry(package: Package, index: int, entry: object, problems: list[Problem]) -> None:
    where = DESCRIPTOR_NAME
    label = f"resources[{index}]"
    if not isinstance(entry, dict):
        problems.append(Problem(where, None, None, f"{label} must be an object"))
        return
    name = entry.get("name")
    path = entry.get("path")
    if not isinstance(name, str) or name not in RESOURCES_BY_NAME:
        known = ", ".join(RESOURCES_BY_NAME)
        problems.append(Problem(where, None, None, f"{label}: unknown resource name {name!r}; known: {known}"))
        return
    if name in package.files:
        problems.append(Problem(where, None, None, f"{label}: resource {name!r} is described twice"))
        return
    if not isinstance(path, str) or not path:
        problems.append(Problem(where, None, None, f"{label} ({name}): needs a `path` to its CSV file"))
        return
    if _unsafe_path(path) or "://" in path:
        problems.append(Problem(where, None, None, f"{label} ({name}): path {path!r} points outside the package"))
        return
    if package._zip is None:
        resolved = (package.location / path).resolve()
        if not resolved.is_relative_to(package.location.resolve()):
            problems.append(Problem(where, None, None, f"{label} ({name}): path {path!r} points outside the package"))
            return
    if not package.exists(path):
        problems.append(Problem(path, None, None, f"is described in {DESCRIPTOR_NAME} but missing from the package"))
        return
    declared = None
    schema = entry.get("schema")
    if isinstance(schema, dict) and isinstance(schema.get("fields"), list):
        declared = [field.get("name") if isinstance(field, dict) else None for field in schema["fields"]]
    package.files[name] = PackageFile(RESOURCES_BY_NAME[name], path, declared)


def read_rows(package: Package, package_file: PackageFile, problems: list[Problem]) -> Iterator[Row]:
    """The data rows of one CSV file; framing problems are added to `problems` and such rows skipped."""
    try:
        yield from _read_rows(package, package_file, problems)
    except _UNREADABLE as error:
        source = " from the zip" if package._zip is not None else ""
        problems.append(Problem(package_file.path, None, None, f"cannot be read{source}: {error}"))


def _read_rows(package: Package, package_file: PackageFile, problems: list[Problem]) -> Iterator[Row]:
    path = package_file.path
    resource = package_file.resource
    with package.open_binary(path) as binary:
        text = io.TextIOWrapper(binary, encoding="utf-8-sig", errors="surrogateescape", newline="")
        reader = csv.reader(text, strict=True)
        try:
            header = next(reader, None)
        except csv.Error as error:
            problems.append(Problem(path, 1, None, f"the header row cannot be read: {error}"))
            return
        if header is None:
            problems.append(Problem(path, None, None, "the file is empty; it needs at least a header row"))
            return
        columns = _check_header(path, resource, header, package_file.declared_fields, problems)
        if columns is None:
            return
        previous_line = reader.line_num
        while True:
            try:
                cells = next(reader)
            except StopIteration:
                break
            except csv.Error as error:
                problems.append(Problem(path, previous_line + 1, None, f"malformed CSV: {error}; the rest of the file was not read"))
                return
            line = previous_line + 1
            previous_line = reader.line_num
            if not cells:
                continue  # a blank line
            row = _frame_row(path, line, columns, cells, problems)
            if row is not None:
                yield row


def _check_header(
    path: str, resource: Resource, header: list[str], declared: list[str] | None, problems: list[Problem]
) -> list[str] | None:
    names = [cell.strip() for cell in header]
    ok = True
    for number, name in enumerate(names, start=1):
        if _SURROGATE.search(name):
            problems.append(Problem(path, 1, f"{number}", "the header is not UTF-8 text"))
            ok = False
        elif _CONTROL.search(name):
            problems.append(Problem(path, 1, f"{number}", "the header holds control characters"))
            ok = False
        elif name not in resource.columns:
            hint = difflib.get_close_matches(name, resource.columns, n=1)
            suggestion = f"; did you mean {hint[0]!r}?" if hint else "."
            problems.append(Problem(path, 1, f"{name or '(empty)'} ({number})", f"unknown column{suggestion} Known: {', '.join(resource.columns)}"))
            ok = False
        elif names.index(name) != number - 1:
            problems.append(Problem(path, 1, f"{name} ({number})", "the column appears twice"))
            ok = False
    for required in resource.required_columns:
        if required not in names:
            problems.append(Problem(path, 1, required, "required column is missing"))
            ok = False
    if ok and declared is not None and declared != names:
        problems.append(
            Problem(path, 1, None, f"{DESCRIPTOR_NAME} describes the columns {declared} but the header has {names}")
        )
        ok = False
    return names if ok else None


def _frame_row(path: str, line: int, columns: list[str], cells: list[str], problems: list[Problem]) -> Row | None:
    if len(cells) != len(columns):
        problems.append(Problem(path, line, None, f"has {len(cells)} cells but the header has {len(columns)} columns"))
        return None
    # One look at the whole row first: almost every row passes all three checks at once.
    joined = "".join(cells)
    suspicious = (
        max(map(len, cells)) > MAX_CELL
        or (not joined.isascii() and _SURROGATE.search(joined))
        or _CONTROL.search(joined)
    )
    if suspicious and not _check_cells(path, line, columns, cells, problems):
        return None
    return Row(line, dict(zip(columns, cells)))


def _check_cells(path: str, line: int, columns: list[str], cells: list[str], problems: list[Problem]) -> bool:
    ok = True
    for column, cell in zip(columns, cells):
        if len(cell) > MAX_CELL:
            problems.append(Problem(path, line, column, f"the cell holds {len(cell):,} characters; at most {MAX_CELL:,} are allowed"))
            ok = False
        elif _SURROGATE.search(cell):
            problems.append(Problem(path, line, column, "the cell is not UTF-8 text (save the file as UTF-8)"))
            ok = False
        elif _CONTROL.search(cell):
            problems.append(Problem(path, line, column, "the cell holds control characters"))
            ok = False
    return ok
