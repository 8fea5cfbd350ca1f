"""A catalogue of bad data packages for `chronicle import`.

Each case starts from a valid register (`valid_register`: the small register of
tests/packages.py plus one new source, person, membership and event, so that
an import that writes anything at all shows in the database) and breaks one
thing. A case builds its package in a folder and says which problems the
import must report: the exact place text `Problem.__str__` gives ("events.csv,
line 3, column date") and a fragment of the message. The list of expected
problems is complete: the import must report these and nothing else.
"""

from __future__ import annotations

import csv
import json
import os
import struct
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from packages import small_register, write_package

Tables = dict[str, list[dict[str, str]]]


@dataclass(frozen=True)
class Expected:
    """One problem the import must report: where (exactly) and a fragment of what."""

    place: str
    words: str


@dataclass(frozen=True)
class Case:
    name: str
    build: Callable[[Path], tuple[Path, list[Expected]]]

    def __repr__(self) -> str:
        return self.name


CASES: list[Case] = []


def case(function: Callable[[Path], tuple[Path, list[Expected]]]):
    CASES.append(Case(function.__name__, function))
    return function


# Building blocks.

KEY_COLUMN = {
    "persons": "person_id",
    "events": "event_id",
    "sources": "source_id",
    "cases": "case_id",
    "organisations": "organisation_id",
    "memberships": "person_id",
}


def valid_register() -> Tables:
    """The small register plus new records: a half-written import would add them."""
    tables = small_register()
    tables["sources"].append(
        {"source_id": "s3", "title": "Belsat: blogger detained", "publisher": "Belsat", "url": "https://example.org/b", "published": "2020-06-26", "restricted": "false"}
    )
    tables["persons"].append(
        {"person_id": "p5", "name": "Ihar Losik", "name_be": "Ігар Лосік", "birth_date": "1992", "gender": "m", "categories": "journalist", "region": "Baranavichy", "public": "true"}
    )
    tables["memberships"].append({"person_id": "p5", "organisation_id": "o1", "role": "consultant"})
    tables["events"].append(
        {"event_id": "e11", "person_id": "p5", "type": "detained", "date": "2020-06-25", "place": "Baranavichy", "source_ids": "s3"}
    )
    return tables


def line_of(tables: Tables, resource: str, key: str) -> int:
    """The line of the first row with this id (the header is line 1)."""
    for index, row in enumerate(tables[resource]):
        if row[KEY_COLUMN[resource]] == key:
            return index + 2
    raise AssertionError(f"test bug: no {key} in {resource}")


def edit(tables: Tables, resource: str, key: str, **cells: str) -> int:
    """Change cells of the first row with this id; its line."""
    line = line_of(tables, resource, key)
    tables[resource][line - 2].update(cells)
    return line


def append(tables: Tables, resource: str, row: dict[str, str]) -> int:
    """Add a row at the end of a file; its line."""
    tables[resource].append(row)
    return len(tables[resource]) + 1


def read_csv(path: Path) -> list[list[str]]:
    with open(path, encoding="utf-8", newline="") as stream:
        return list(csv.reader(stream))


def write_csv(path: Path, rows: list[list[str]]) -> None:
    with open(path, "w", encoding="utf-8", newline="") as stream:
        csv.writer(stream, lineterminator="\n").writerows(rows)


def add_column(path: Path, name: str, value: str = "", position: int | None = None) -> int:
    """Add a column (header and a cell in every row); its 1-based number."""
    rows = read_csv(path)
    position = len(rows[0]) if position is None else position
    for number, row in enumerate(rows):
        row.insert(position, name if number == 0 else value)
    write_csv(path, rows)
    return position + 1


def drop_column(path: Path, name: str) -> None:
    rows = read_csv(path)
    index = rows[0].index(name)
    write_csv(path, [row[:index] + row[index + 1:] for row in rows])


def load_descriptor(folder: Path) -> dict:
    return json.loads((folder / "datapackage.json").read_text(encoding="utf-8"))


def save_descriptor(folder: Path, descriptor: object) -> None:
    (folder / "datapackage.json").write_text(json.dumps(descriptor, indent=2), encoding="utf-8")


def resource_index(descriptor: dict, name: str) -> int:
    return next(index for index, entry in enumerate(descriptor["resources"]) if entry["name"] == name)


def zip_folder(folder: Path, destination: Path, extra: dict[str, bytes] | None = None, *, method: int = zipfile.ZIP_DEFLATED) -> Path:
    """Zip a package folder (files at the top of the zip) plus extra entries, named as given."""
    with zipfile.ZipFile(destination, "w", method) as archive:
        for path in sorted(folder.iterdir()):
            archive.write(path, path.name)
        for name, data in (extra or {}).items():
            archive.writestr(zipfile.ZipInfo(name), data)  # a ZipInfo keeps the name as it is
    return destination


def _set_flag_bits(data: bytearray, flag: int) -> None:
    """Set general-purpose flag bits in every local and central header of a zip."""
    for signature, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        start = 0
        while (start := data.find(signature, start)) != -1:
            (bits,) = struct.unpack_from("<H", data, start + offset)
            struct.pack_into("<H", data, start + offset, bits | flag)
            start += 4


# Columns and headers.

@case
def unknown_column(folder: Path):
    package = write_package(folder, valid_register())
    number = add_column(package / "persons.csv", "birthdate", "1990")
    return package, [Expected(f"persons.csv, line 1, column birthdate ({number})", "unknown column; did you mean 'birth_date'?")]


@case
def unknown_column_without_a_near_name(folder: Path):
    package = write_package(folder, valid_register())
    number = add_column(package / "events.csv", "favourite_colour", "blue", position=3)
    return package, [Expected(f"events.csv, line 1, column favourite_colour ({number})", "unknown column. Known: event_id, person_id")]


@case
def empty_column_name(folder: Path):
    package = write_package(folder, valid_register())
    number = add_column(package / "sources.csv", "", "x")
    return package, [Expected(f"sources.csv, line 1, column (empty) ({number})", "unknown column")]


@case
def missing_required_column(folder: Path):
    package = write_package(folder, valid_register())
    drop_column(package / "events.csv", "type")
    return package, [Expected("events.csv, line 1, column type", "required column is missing")]


@case
def missing_required_column_of_an_optional_file(folder: Path):
    package = write_package(folder, valid_register())
    drop_column(package / "organisations.csv", "name")
    return package, [Expected("organisations.csv, line 1, column name", "required column is missing")]


@case
def duplicated_column(folder: Path):
    package = write_package(folder, valid_register())
    number = add_column(package / "persons.csv", "region", "Minsk")
    return package, [Expected(f"persons.csv, line 1, column region ({number})", "the column appears twice")]


@case
def control_character_in_header(folder: Path):
    package = write_package(folder, valid_register())
    rows = read_csv(package / "events.csv")
    rows[0][4] = "place\x1b[2J"
    write_csv(package / "events.csv", rows)
    return package, [Expected("events.csv, line 1, column 5", "control characters")]


@case
def schema_fields_do_not_match_header(folder: Path):
    package = write_package(folder, valid_register())
    descriptor = load_descriptor(package)
    fields = descriptor["resources"][resource_index(descriptor, "persons")]["schema"]["fields"]
    fields[1], fields[2] = fields[2], fields[1]  # name_be before name
    save_descriptor(package, descriptor)
    return package, [Expected("persons.csv, line 1", "datapackage.json describes the columns ['person_id', 'name_be', 'name'")]


# Cells.

def _cell_case(resource: str, key: str, column: str, value: str, words: str) -> Callable[[Path], tuple[Path, list[Expected]]]:
    def build(folder: Path):
        tables = valid_register()
        line = edit(tables, resource, key, **{column: value})
        return write_package(folder, tables), [Expected(f"{resource}.csv, line {line}, column {column}", words)]

    return build


CELL_CASES = {
    "unknown_event_type": ("events", "e7", "type", "arrested", "'arrested' is not one of: detained, charged"),
    "month_13": ("events", "e3", "date", "2021-13-01", "'2021-13-01' is not a date: there is no month 13"),
    "february_30": ("events", "e8", "date", "2021-02-30", "'2021-02-30' is not a date: 2021-02 has no day 30"),
    "date_in_words": ("events", "e11", "date", "yesterday", "'yesterday' is not a date: write YYYY-MM-DD"),
    "birth_date_before_1800": ("persons", "p5", "birth_date", "1700", "the year is before 1800"),
    "case_opened_badly": ("cases", "c1", "opened", "2020-8", "'2020-8' is not a date"),
    "event_in_the_future": ("events", "e11", "date", "2099-01-01", "2099-01-01 is in the future"),
    "birth_in_the_future": ("persons", "p5", "birth_date", "2999", "2999 is in the future"),
    "recorded_at_in_the_future": ("events", "e11", "recorded_at", "2099-01-01T00:00:00Z", "2099-01-01T00:00:00+00:00 is in the future"),
    "recorded_at_in_words": ("events", "e11", "recorded_at", "last week", "'last week' is not an ISO 8601 date-time"),
    "recorded_at_out_of_range": ("events", "e11", "recorded_at", "0001-01-01T00:00:00+01:00", "'0001-01-01T00:00:00+01:00'"),
    "retracted_at_without_recorded_at": ("events", "e11", "retracted_at", "2021-01-01T00:00:00Z", "must be later than recorded_at (and recorded_at must be given)"),
    "retracted_at_before_recorded_at": ("events", "e1", "retracted_at", "2020-05-29T09:00:00Z", "must be later than recorded_at"),
    "sentence_months_in_words": ("events", "e3", "sentence_months", "ten", "'ten' is not a whole number of months"),
    "sentence_months_negative": ("events", "e3", "sentence_months", "-5", "'-5' is not a whole number of months"),
    "sentence_months_fraction": ("events", "e3", "sentence_months", "12.5", "'12.5' is not a whole number of months"),
    "sentence_months_superscript": ("events", "e3", "sentence_months", "²", "'²' is not a whole number of months"),
    "sentence_months_beyond_life": ("events", "e3", "sentence_months", "1201", "1201 months is more than 1200"),
    "sentence_months_thousands_of_digits": ("events", "e3", "sentence_months", "9" * 5000, "is more than 1200"),
    "unknown_sentence_kind": ("events", "e3", "sentence_kind", "gulag", "'gulag' is not one of: prison, colony"),
    "unknown_reason": ("events", "e5", "reason", "escaped", "'escaped' is not one of: end_of_term, pardon"),
    "politically_motivated_maybe": ("events", "e11", "politically_motivated", "maybe", "'maybe' is not true or false"),
    "public_yes": ("persons", "p2", "public", "yes", "'yes' is not true or false"),
    "restricted_one": ("sources", "s2", "restricted", "1", "'1' is not true or false"),
    "gender_male": ("persons", "p5", "gender", "male", "'male' is not one of: f, m, x"),
    "url_ftp": ("sources", "s3", "url", "ftp://example.org/a", "'ftp://example.org/a' is not a web address"),
    "url_javascript": ("sources", "s1", "url", "javascript:alert(1)", "'javascript:alert(1)' is not a web address"),
    "url_with_a_space": ("sources", "s1", "url", "https://example.org/a b", "is not a web address"),
    "url_longer_than_the_register_keeps": ("sources", "s3", "url", "https://example.org/" + "a" * 4000, "at most 4000 characters"),
    "event_without_source_ids": ("events", "e11", "source_ids", "", "must not be empty"),
    "source_ids_only_separators": ("events", "e11", "source_ids", " ; ;", "every event must cite at least one source"),
    "person_without_name": ("persons", "p5", "name", "", "must not be empty"),
    "person_with_blank_name": ("persons", "p2", "name", "   ", "must not be empty"),
    "empty_person_id": ("persons", "p4", "person_id", "", "must not be empty"),
    "id_with_a_semicolon": ("cases", "c1", "case_id", "c;1", "is not a usable id"),
    "id_too_long": ("organisations", "o1", "organisation_id", "o" * 201, "an id may have at most 200 characters"),
    "name_too_long": ("persons", "p5", "name", "N" * 1001, "at most 1000 characters are allowed here, not 1,001"),
    "huge_field": ("persons", "p5", "notes", "x" * 70_000, "the cell holds 70,000 characters; at most 65,536 are allowed"),
    "control_character": ("events", "e11", "place", "Minsk\x07", "the cell holds control characters"),
    "nul_character": ("persons", "p5", "notes", "before\x00after", "the cell holds control characters"),
}

for _name, _spec in CELL_CASES.items():
    CASES.append(Case(_name, _cell_case(*_spec)))


@case
def non_utf8_cell(folder: Path):
    tables = valid_register()
    line = edit(tables, "persons", "p5", name_ru="@@@")
    package = write_package(folder, tables)
    path = package / "persons.csv"
    path.write_bytes(path.read_bytes().replace(b"@@@", "Игорь Лосик".encode("cp1251")))
    return package, [Expected(f"persons.csv, line {line}, column name_ru", "the cell is not UTF-8 text (save the file as UTF-8)")]


@case
def whole_file_in_cp1251(folder: Path):
    package = write_package(folder, valid_register())
    path = package / "persons.csv"
    path.write_bytes(path.read_text(encoding="utf-8").encode("cp1251", errors="replace"))
    tables = valid_register()
    expected = []
    for row in tables["persons"]:
        for column in ("name_be", "name_ru"):
            if any(ord(character) > 127 for character in row.get(column, "")):
                expected.append(Expected(f"persons.csv, line {line_of(tables, 'persons', row['person_id'])}, column {column}", "not UTF-8"))
    assert len(expected) == 4, "test bug: the register changed"
    return package, expected


# References, duplicates and versions.

@case
def event_of_unknown_person(folder: Path):
    tables = valid_register()
    line = edit(tables, "events", "e11", person_id="p99")
    return write_package(folder, tables), [Expected(f"events.csv, line {line}, column person_id", "'p99' is not in persons.csv nor in the register")]


@case
def source_that_does_not_exist(folder: Path):
    tables = valid_register()
    line = edit(tables, "events", "e2", source_ids="s1;s99")
    return write_package(folder, tables), [Expected(f"events.csv, line {line}, column source_ids", "'s99' is not in sources.csv nor in the register")]


@case
def unknown_case(folder: Path):
    tables = valid_register()
    line = edit(tables, "events", "e11", case_id="c99")
    return write_package(folder, tables), [Expected(f"events.csv, line {line}, column case_id", "'c99' is not in cases.csv nor in the register")]


@case
def membership_of_unknown_person(folder: Path):
    tables = valid_register()
    line = append(tables, "memberships", {"person_id": "p99", "organisation_id": "o1"})
    return write_package(folder, tables), [Expected(f"memberships.csv, line {line}, column person_id", "'p99' is not in persons.csv nor in the register")]


@case
def membership_of_unknown_organisation(folder: Path):
    tables = valid_register()
    line = append(tables, "memberships", {"person_id": "p2", "organisation_id": "o99"})
    return write_package(folder, tables), [Expected(f"memberships.csv, line {line}, column organisation_id", "'o99' is not in organisations.csv nor in the register")]


@case
def duplicate_person_id(folder: Path):
    tables = valid_register()
    line = append(tables, "persons", {"person_id": "p2", "name": "Maria Kolesnikova"})
    return write_package(folder, tables), [Expected(f"persons.csv, line {line}, column person_id", "duplicate person_id p2 (first on line 3)")]


@case
def duplicate_membership(folder: Path):
    tables = valid_register()
    first = line_of(tables, "memberships", "p5")
    line = append(tables, "memberships", {"person_id": "p5", "organisation_id": "o1", "role": "editor"})
    return write_package(folder, tables), [
        Expected(f"memberships.csv, line {line}, column organisation_id", f"duplicate person_id and organisation_id p5/o1 (first on line {first})")
    ]


@case
def duplicate_event_version(folder: Path):
    tables = valid_register()
    first = line_of(tables, "events", "e1")
    line = append(tables, "events", dict(tables["events"][first - 2], place="Minsk"))
    return write_package(folder, tables), [
        Expected(f"events.csv, line {line}, column event_id", f"duplicate event e1 recorded at 2020-05-30T09:00:00+00:00 (first on line {first})")
    ]


@case
def duplicate_event_without_recorded_at(folder: Path):
    tables = valid_register()
    first = line_of(tables, "events", "e11")
    line = append(tables, "events", dict(tables["events"][first - 2]))
    return write_package(folder, tables), [
        Expected(f"events.csv, line {line}, column event_id", f"duplicate event e11 with an empty recorded_at (first on line {first})")
    ]


@case
def two_current_versions(folder: Path):
    tables = valid_register()
    first = line_of(tables, "events", "e1")
    line = append(tables, "events", dict(tables["events"][first - 2], place="Minsk", recorded_at="2020-06-01T09:00:00Z"))
    return write_package(folder, tables), [
        Expected(f"events.csv, line {line}, column retracted_at", f"event e1 has two current versions (lines {first} and {line})")
    ]


@case
def version_differs_from_the_register(folder: Path):
    tables = valid_register()
    line = edit(tables, "events", "e1", place="Minsk")  # same recorded_at as the register's version
    return write_package(folder, tables), [
        Expected(f"events.csv, line {line}", "the register holds a different version of event e1 recorded at 2020-05-30T09:00:00+00:00")
    ]


@case
def version_older_than_the_register(folder: Path):
    tables = valid_register()
    line = edit(tables, "events", "e1", place="Minsk", recorded_at="2020-05-29T09:00:00Z")
    return write_package(folder, tables), [
        Expected(f"events.csv, line {line}, column recorded_at", "the register has a newer version of event e1 (recorded at 2020-05-30T09:00:00+00:00)")
    ]


@case
def withdrawn_at_another_time(folder: Path):
    tables = valid_register()
    line = line_of(tables, "events", "e4")  # the first, withdrawn version
    tables["events"][line - 2]["retracted_at"] = "2020-06-04T10:00:00Z"
    return write_package(folder, tables), [
        Expected(f"events.csv, line {line}, column retracted_at", "the register withdrew this version of event e4 at 2020-06-03T10:00:00+00:00, not at 2020-06-04T10:00:00+00:00")
    ]


# CSV framing.

@case
def row_with_too_many_cells(folder: Path):
    tables = valid_register()
    package = write_package(folder, tables)
    rows = read_csv(package / "events.csv")
    line = line_of(tables, "events", "e3")
    rows[line - 1].append("surplus")
    write_csv(package / "events.csv", rows)
    return package, [Expected(f"events.csv, line {line}", "has 17 cells but the header has 16 columns")]


@case
def row_with_too_few_cells(folder: Path):
    tables = valid_register()
    package = write_package(folder, tables)
    rows = read_csv(package / "persons.csv")
    line = line_of(tables, "persons", "p5")
    rows[line - 1] = rows[line - 1][:5]
    write_csv(package / "persons.csv", rows)
    return package, [Expected(f"persons.csv, line {line}", "has 5 cells but the header has 13 columns")]


@case
def unterminated_quote(folder: Path):
    tables = valid_register()
    line = edit(tables, "events", "e8", note="@@@")
    package = write_package(folder, tables)
    path = package / "events.csv"
    path.write_text(path.read_text(encoding="utf-8").replace("@@@", '"seen by a neighbour'), encoding="utf-8")
    return package, [Expected(f"events.csv, line {line}", "malformed CSV: unexpected end of data; the rest of the file was not read")]


@case
def text_after_closing_quote(folder: Path):
    tables = valid_register()
    line = edit(tables, "events", "e8", place="@@@")
    package = write_package(folder, tables)
    path = package / "events.csv"
    path.write_text(path.read_text(encoding="utf-8").replace("@@@", '"Minsk" Akrestsina'), encoding="utf-8")
    return package, [Expected(f"events.csv, line {line}", "malformed CSV: ',' expected after '\"'")]


@case
def empty_file(folder: Path):
    package = write_package(folder, valid_register())
    (package / "events.csv").write_bytes(b"")
    return package, [Expected("events.csv", "the file is empty; it needs at least a header row")]


# The package and its descriptor.

@case
def package_does_not_exist(folder: Path):
    missing = folder / "no-such-package"
    return missing, [Expected(str(missing), "no such folder or file")]


@case
def no_descriptor(folder: Path):
    package = write_package(folder, valid_register(), descriptor=False)
    return package, [Expected("datapackage.json", f"missing: {package} holds no datapackage.json")]


@case
def descriptor_not_json(folder: Path):
    package = write_package(folder, valid_register())
    (package / "datapackage.json").write_text('{\n  "resources": [\n    {"name": "persons",, "path": "persons.csv"}\n  ]\n}\n', encoding="utf-8")
    return package, [Expected("datapackage.json, line 3", "is not valid JSON")]


@case
def descriptor_not_utf8(folder: Path):
    package = write_package(folder, valid_register())
    descriptor = load_descriptor(package)
    descriptor["title"] = "Хроника"
    (package / "datapackage.json").write_bytes(json.dumps(descriptor, ensure_ascii=False).encode("cp1251"))
    return package, [Expected("datapackage.json", "is not UTF-8 text")]


@case
def descriptor_not_an_object(folder: Path):
    package = write_package(folder, valid_register())
    save_descriptor(package, [load_descriptor(package)])
    return package, [Expected("datapackage.json", "must be a JSON object with a `resources` list")]


@case
def descriptor_without_resources(folder: Path):
    package = write_package(folder, valid_register())
    descriptor = load_descriptor(package)
    del descriptor["resources"]
    save_descriptor(package, descriptor)
    return package, [Expected("datapackage.json", "needs a non-empty `resources` list")]


@case
def descriptor_with_unknown_resource(folder: Path):
    package = write_package(folder, valid_register())
    descriptor = load_descriptor(package)
    descriptor["resources"].append(dict(descriptor["resources"][0], name="prisons", path="prisons.csv"))
    save_descriptor(package, descriptor)
    index = len(descriptor["resources"]) - 1
    return package, [Expected("datapackage.json", f"resources[{index}]: unknown resource name 'prisons'; known: sources, cases")]


@case
def descriptor_describes_a_resource_twice(folder: Path):
    package = write_package(folder, valid_register())
    descriptor = load_descriptor(package)
    descriptor["resources"].append(descriptor["resources"][resource_index(descriptor, "cases")])
    save_descriptor(package, descriptor)
    index = len(descriptor["resources"]) - 1
    return package, [Expected("datapackage.json", f"resources[{index}]: resource 'cases' is described twice")]


@case
def descriptor_without_events(folder: Path):
    package = write_package(folder, valid_register())
    descriptor = load_descriptor(package)
    del descriptor["resources"][resource_index(descriptor, "events")]
    save_descriptor(package, descriptor)
    return package, [Expected("datapackage.json", "describes no `events` resource; a package needs events.csv")]


@case
def described_file_missing(folder: Path):
    package = write_package(folder, valid_register())
    (package / "cases.csv").unlink()
    return package, [Expected("cases.csv", "is described in datapackage.json but missing from the package")]


@case
def resource_path_outside_the_folder(folder: Path):
    package = write_package(folder / "package", valid_register())
    write_csv(folder / "x.csv", read_csv(package / "cases.csv"))
    descriptor = load_descriptor(package)
    index = resource_index(descriptor, "cases")
    descriptor["resources"][index]["path"] = "../x.csv"
    save_descriptor(package, descriptor)
    return package, [Expected("datapackage.json", f"resources[{index}] (cases): path '../x.csv' points outside the package")]


@case
def resource_path_absolute(folder: Path):
    package = write_package(folder / "package", valid_register())
    write_csv(folder / "x.csv", read_csv(package / "cases.csv"))
    descriptor = load_descriptor(package)
    index = resource_index(descriptor, "cases")
    descriptor["resources"][index]["path"] = str(folder / "x.csv")
    save_descriptor(package, descriptor)
    return package, [Expected("datapackage.json", f"resources[{index}] (cases): path {str(folder / 'x.csv')!r} points outside the package")]


@case
def resource_is_a_symlink_outside_the_folder(folder: Path):
    package = write_package(folder / "package", valid_register())
    outside = folder / "elsewhere.csv"
    (package / "cases.csv").rename(outside)
    os.symlink(outside, package / "cases.csv")
    descriptor = load_descriptor(package)
    index = resource_index(descriptor, "cases")
    return package, [Expected("datapackage.json", f"resources[{index}] (cases): path 'cases.csv' points outside the package")]


# Zips.

@case
def zip_that_is_not_a_zip(folder: Path):
    folder.mkdir(parents=True)
    path = folder / "package.zip"
    path.write_text("person_id,name\np1,Someone\n", encoding="utf-8")
    return path, [Expected(str(path), "is neither a folder nor a readable .zip")]


@case
def zip_truncated(folder: Path):
    package = write_package(folder / "package", valid_register())
    path = zip_folder(package, folder / "package.zip")
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    return path, [Expected(str(path), "is neither a folder nor a readable .zip")]


@case
def zip_entry_outside_the_folder(folder: Path):
    package = write_package(folder / "package", valid_register())
    path = zip_folder(package, folder / "package.zip", {"../evil.csv": b"person_id,name\n"})
    return path, [Expected("../evil.csv", "this zip entry points outside the package; refused")]


@case
def zip_entry_with_absolute_path(folder: Path):
    package = write_package(folder / "package", valid_register())
    path = zip_folder(package, folder / "package.zip", {"/tmp/evil.csv": b"person_id,name\n"})
    return path, [Expected("/tmp/evil.csv", "this zip entry points outside the package; refused")]


@case
def zip_without_descriptor(folder: Path):
    package = write_package(folder / "package", valid_register(), descriptor=False)
    path = zip_folder(package, folder / "package.zip")
    return path, [Expected("datapackage.json", "missing: package.zip holds no datapackage.json")]


@case
def zip_with_two_descriptors(folder: Path):
    package = write_package(folder / "package", valid_register())
    copy = (package / "datapackage.json").read_bytes()
    path = zip_folder(package, folder / "package.zip", {"old/datapackage.json": copy})
    return path, [Expected("datapackage.json", "the zip holds more than one: datapackage.json, old/datapackage.json")]


@case
def zip_entry_corrupted(folder: Path):
    package = write_package(folder / "package", valid_register())
    path = zip_folder(package, folder / "package.zip", method=zipfile.ZIP_STORED)
    data = bytearray(path.read_bytes())
    where = data.find("Ihar Losik".encode())
    data[where] = ord("X")  # the stored CRC no longer matches
    path.write_bytes(bytes(data))
    return path, [Expected("persons.csv", "cannot be read from the zip")]


@case
def zip_entry_encrypted(folder: Path):
    package = write_package(folder / "package", valid_register())
    path = zip_folder(package, folder / "package.zip")
    data = bytearray(path.read_bytes())
    _set_flag_bits(data, 0x1)
    path.write_bytes(bytes(data))
    return path, [Expected(name, "is encrypted") for name in sorted(os.listdir(package))]


# Many problems in many files at once.

@case
def many_problems_at_once(folder: Path):
    tables = valid_register()
    expected = [
        Expected(f"sources.csv, line {edit(tables, 'sources', 's1', url='ftp://example.org/a')}, column url", "is not a web address"),
        Expected(f"cases.csv, line {edit(tables, 'cases', 'c1', opened='2020-14')}, column opened", "there is no month 14"),
        Expected(f"organisations.csv, line {edit(tables, 'organisations', 'o1', name='')}, column name", "must not be empty"),
        Expected(f"persons.csv, line {edit(tables, 'persons', 'p2', public='yes')}, column public", "'yes' is not true or false"),
        # p5's row is refused, yet its membership and events are not reported as of an unknown person.
        Expected(f"persons.csv, line {edit(tables, 'persons', 'p5', gender='male')}, column gender", "'male' is not one of"),
        Expected(f"persons.csv, line {edit(tables, 'persons', 'p3', birth_date='1990-05-32')}, column birth_date", "has no day 32"),
        Expected(
            f"memberships.csv, line {append(tables, 'memberships', {'person_id': 'p9', 'organisation_id': 'o9'})}, column organisation_id",
            "'o9' is not in organisations.csv",
        ),
        Expected(f"memberships.csv, line {len(tables['memberships']) + 1}, column person_id", "'p9' is not in persons.csv"),
        Expected(f"events.csv, line {edit(tables, 'events', 'e1', type='arrested')}, column type", "'arrested' is not one of"),
        Expected(f"events.csv, line {edit(tables, 'events', 'e3', date='2021-02-30', sentence_months='ten')}, column date", "has no day 30"),
        Expected(f"events.csv, line {line_of(tables, 'events', 'e3')}, column sentence_months", "'ten' is not a whole number"),
        Expected(f"events.csv, line {edit(tables, 'events', 'e7', person_id='p99')}, column person_id", "'p99' is not in persons.csv"),
        Expected(f"events.csv, line {edit(tables, 'events', 'e9', source_ids='s2;s99')}, column source_ids", "'s99' is not in sources.csv"),
        Expected(f"events.csv, line {edit(tables, 'events', 'e10', date='2099-12-31')}, column date", "is in the future"),
    ]
    append(tables, "events", {"event_id": "e12", "person_id": "p5", "type": "charged", "date": "2020-07", "source_ids": "s3"})
    line = append(tables, "events", dict(tables["events"][line_of(tables, "events", "e12") - 2]))
    expected.append(Expected(f"events.csv, line {line}, column event_id", "duplicate event e12 with an empty recorded_at"))
    package = write_package(folder, tables)
    rows = read_csv(package / "events.csv")
    line = line_of(tables, "events", "e6")
    rows[line - 1] = rows[line - 1][:-2]
    write_csv(package / "events.csv", rows)
    expected.append(Expected(f"events.csv, line {line}", "has 14 cells but the header has 16 columns"))
    return package, expected


assert len({c.name for c in CASES}) == len(CASES), "test bug: two cases share a name"
