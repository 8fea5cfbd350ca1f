"""The import and export page: uploading a data package, every problem shown in place, exports as downloads, on both databases."""

from __future__ import annotations

import csv
import html
import io
import re
import tempfile
import zipfile
from pathlib import Path

import pytest
from bad_packages import CASES, zip_folder
from fastapi.testclient import TestClient
from packages import small_register, write_package
from sqlalchemy import func, select

from chronicle.database import Database
from chronicle.importer import import_package
from chronicle.register import Register
from chronicle.schema import metadata
from chronicle.web import access
from chronicle.web.app import WebSettings, create_app
from chronicle.web.views import packages as packages_view

RESTRICTED = ("informant contact", "wife's phone", "Lawyer's message", "seen by a neighbour", "Hidden Person")
WEB_CASES = ("many_problems_at_once", "unknown_column", "event_of_unknown_person", "row_with_too_many_cells", "whole_file_in_cp1251",
             "zip_without_descriptor", "zip_with_two_descriptors", "zip_entry_corrupted", "zip_entry_encrypted")


@pytest.fixture(autouse=True)
def private_temp(tmp_path: Path, monkeypatch) -> Path:
    """Uploads and exports go to a temporary folder of this test's own, to see that nothing is left there."""
    folder = tmp_path / "temp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


@pytest.fixture
def staff(database: Database) -> TestClient:
    return TestClient(create_app(database, WebSettings(local_operator=True)))


def row_counts(database: Database) -> dict[str, int]:
    """Rows in every table of the register, withdrawn versions included."""
    with database.reading() as connection:
        return {table.name: connection.execute(select(func.count()).select_from(table)).scalar_one() for table in metadata.sorted_tables}


def zipped(folder: Path, destination: Path) -> Path:
    return zip_folder(folder, destination)


def upload(client: TestClient, path: Path, name: str | None = None):
    return client.post("/packages/import", files={"package": (name or path.name, path.read_bytes(), "application/zip")})


def problem_rows(page: str) -> list[tuple[str, str]]:
    """(place as Problem.__str__ writes it, message) for every row of the problems table."""
    rows = []
    pattern = r'<tr><td class="file">(.*?)</td><td class="num">(.*?)</td><td>(.*?)</td><td>(.*?)</td></tr>'
    for file, line, column, message in re.findall(pattern, page, re.DOTALL):
        place = html.unescape(file) + (f", line {line}" if line else "") + (f", column {html.unescape(column)}" if column else "")
        rows.append((place, html.unescape(message)))
    return rows


def test_a_good_package_is_imported_and_its_counts_shown(staff: TestClient, database: Database, tmp_path: Path, private_temp: Path):
    package = zipped(write_package(tmp_path / "package", small_register()), tmp_path / "package.zip")
    answer = upload(staff, package)
    assert answer.status_code == 200, answer.text
    assert "Imported" in answer.text and "package.zip" in answer.text
    counts = dict(re.findall(r"<tr><td>(\w+)</td><td class=\"num\">(\d+)</td><td", answer.text))
    assert counts == {"sources": "2", "cases": "1", "organisations": "1", "persons": "4", "memberships": "1", "events": "11"}
    register = Register(database)
    assert register.count("persons") == 4 and register.count("events") == 10  # e4 has a withdrawn version
    again = upload(staff, package)  # the same package twice changes nothing
    assert again.status_code == 200 and "the register had all of it already" in again.text
    assert register.count("events") == 10
    assert list(private_temp.iterdir()) == []  # the upload's folder is gone


@pytest.mark.parametrize("case", [case for case in CASES if case.name in WEB_CASES], ids=lambda case: case.name)
def test_a_bad_package_lists_every_problem_in_place_and_writes_nothing(case, database: Database, staff: TestClient, tmp_path: Path,
                                                                       private_temp: Path):
    import_package(database, write_package(tmp_path / "valid", small_register()))
    before = row_counts(database)
    assert before["persons"] == 4
    built, expected = case.build(tmp_path / "bad")
    package = built if built.suffix == ".zip" else zipped(built, tmp_path / "bad.zip")
    answer = upload(staff, package)
    assert answer.status_code == 400
    assert "nothing was written" in answer.text
    rows = problem_rows(answer.text)
    assert len(rows) == len(expected), rows
    for wanted in expected:
        assert any(place == wanted.place and wanted.words in message for place, message in rows), (wanted, rows)
    assert row_counts(database) == before
    assert list(private_temp.iterdir()) == []


@pytest.mark.parametrize("entry", ["../evil.csv", "/tmp/evil.csv", "..\\evil.csv", "data/../../evil.csv"])
def test_a_zip_with_entries_outside_its_folder_is_refused(entry: str, staff: TestClient, database: Database, tmp_path: Path):
    package = zip_folder(write_package(tmp_path / "package", small_register()), tmp_path / "evil.zip", {entry: b"person_id,name\n"})
    answer = upload(staff, package)
    assert answer.status_code == 400
    assert (entry, "this entry points outside the package's folder (zip-slip); the package is refused") in problem_rows(answer.text)
    assert Register(database).count("persons") == 0


def test_what_is_not_a_zip_is_refused(staff: TestClient, database: Database, tmp_path: Path):
    folder = write_package(tmp_path / "package", small_register())
    answer = staff.post("/packages/import", files={"package": ("persons.csv", (folder / "persons.csv").read_bytes(), "text/csv")})
    assert answer.status_code == 400 and "this is not a .zip file" in answer.text
    answer = staff.post("/packages/import", files={"package": ("empty.zip", b"", "application/zip")})
    assert answer.status_code == 400 and "the file is empty" in answer.text
    answer = staff.post("/packages/import", data={"nothing": "here"})
    assert answer.status_code == 400 and "Choose a data package" in answer.text
    assert Register(database).count("persons") == 0


def test_a_package_over_the_limit_is_refused(staff: TestClient, database: Database, tmp_path: Path, monkeypatch, private_temp: Path):
    package = zipped(write_package(tmp_path / "package", small_register()), tmp_path / "package.zip")
    monkeypatch.setattr(packages_view, "MAX_UPLOAD_BYTES", package.stat().st_size - 1)
    answer = upload(staff, package)
    assert answer.status_code == 413 and "The package is larger than" in answer.text
    assert Register(database).count("persons") == 0
    assert list(private_temp.iterdir()) == []
    # A request that says it is larger than any package is refused before it is read.
    answer = staff.post("/packages/import", content=b"x", headers={"content-type": "multipart/form-data; boundary=x",
                                                                   "content-length": str(50 * 1024 * 1024)})
    assert answer.status_code == 413


def _files(archive: bytes) -> dict[str, str]:
    with zipfile.ZipFile(io.BytesIO(archive)) as opened:
        return {name: opened.read(name).decode("utf-8") for name in opened.namelist()}


def test_exports_download_as_zips_and_the_public_one_holds_nothing_restricted(staff: TestClient, database: Database, tmp_path: Path,
                                                                             private_temp: Path):
    import_package(database, write_package(tmp_path / "package", small_register()))
    full = staff.get("/packages/export.zip", params={"public": "false"})
    assert full.status_code == 200 and full.headers["content-type"] == "application/zip"
    assert full.headers["content-disposition"].startswith('attachment; filename="chronicle-export-')
    files = _files(full.content)
    assert {"datapackage.json", "persons.csv", "events.csv"} <= set(files)
    assert "informant contact" in files["persons.csv"]
    assert len(list(csv.DictReader(io.StringIO(files["events.csv"])))) == 11  # every version
    public = staff.get("/packages/export.zip", params={"public": "true"})
    assert public.status_code == 200 and 'filename="chronicle-public-export-' in public.headers["content-disposition"]
    text = "".join(_files(public.content).values())
    for secret in RESTRICTED:
        assert secret not in text, secret
    assert "Siarhei Tsikhanouski" in text
    assert list(private_temp.iterdir()) == []  # nothing of either export is left on disk
    # What was exported imports again as it was.
    copy = tmp_path / "copy.zip"
    copy.write_bytes(full.content)
    assert upload(staff, copy).status_code == 200


def test_the_page_offers_what_the_role_may_do(database: Database):
    app = create_app(database, WebSettings(local_operator=True))
    client = TestClient(app)
    page = client.get("/packages")
    assert page.status_code == 200
    assert 'action="/packages/import"' in page.text and 'href="/packages/export.zip?public=false"' in page.text
    assert 'href="/packages"' in page.text and 'href="/intake"' in page.text  # in the navigation
    app.dependency_overrides[access.current_principal] = lambda: access.Principal("viewer", "viewer")
    assert client.get("/packages/export.zip").status_code == 403
    assert client.post("/packages/import", files={"package": ("p.zip", b"PK", "application/zip")}).status_code == 403
    app.dependency_overrides[access.current_principal] = lambda: access.Principal("analyst", "analyst")
    assert client.get("/packages/export.zip").status_code == 200
    assert client.post("/packages/import", files={"package": ("p.zip", b"PK", "application/zip")}).status_code == 403


def test_the_anonymous_public_may_neither_import_nor_export(database: Database, tmp_path: Path, private_temp: Path):
    anonymous = TestClient(create_app(database))
    package = zipped(write_package(tmp_path / "package", small_register()), tmp_path / "package.zip")
    assert anonymous.get("/packages").status_code == 401
    assert anonymous.post("/packages/import").status_code == 401
    assert upload(anonymous, package).status_code == 401
    assert anonymous.get("/packages/export.zip").status_code == 401
    assert anonymous.get("/packages/export.zip", params={"public": "true"}).status_code == 401
    assert Register(database).count("persons") == 0
    assert list(private_temp.iterdir()) == []


def test_an_import_posted_from_another_site_is_refused(staff: TestClient, database: Database, tmp_path: Path):
    package = zipped(write_package(tmp_path / "package", small_register()), tmp_path / "package.zip")
    answer = staff.post("/packages/import", files={"package": ("package.zip", package.read_bytes(), "application/zip")},
                        headers={"origin": "https://attacker.example"})
    assert answer.status_code == 403
    assert Register(database).count("persons") == 0
