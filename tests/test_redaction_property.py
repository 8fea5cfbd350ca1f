"""Redaction guarantees (issue 7): whatever the register holds, public output shows no restricted text and names no one without consent.

Hypothesis builds registers full of marker strings: in restricted notes,
notes, event notes, restricted sources (title, publisher, url), the names
of non-public persons in every script, and those names again inside the
free text of public records (a place, a case name, an open source's title).
Then every public page, the public API, the Atom feed, the open data
download and the public monthly report are fetched: no marker may appear
in any of them. The figures still count everyone.
"""

from __future__ import annotations

import io
import json
import tempfile
import zipfile
from pathlib import Path

from databases import PostgresSchema, require_postgres
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from packages import write_package

from chronicle.database import Database
from chronicle.importer import import_package
from chronicle.report import monthly_report
from chronicle.web.app import create_app

LATIN = "bcdfghjklmnpqrstvwxz"
CYRILLIC = "бвгджзклмнпрстфхцчшщ"


def marker(alphabet: str, prefix: str):
    return st.text(alphabet=alphabet, min_size=9, max_size=9).map(lambda text: prefix + text)


@st.composite
def registers(draw):
    """A data package with markers where nothing may leak, and the list of markers."""
    secrets: list[str] = []

    def secret(alphabet=LATIN, prefix="Qz"):
        value = draw(marker(alphabet, prefix).filter(lambda text: text not in secrets))
        secrets.append(value)
        return value

    count = draw(st.integers(min_value=2, max_value=6))
    public = [draw(st.booleans()) for _ in range(count)]
    public[0], public[1] = True, False  # at least one of each
    hidden_names = {}
    sources = [{"source_id": "open", "title": "Viasna report", "publisher": "Viasna", "url": "https://example.org/r",
                "published": "2024-01-02", "restricted": "false"}]
    persons, events, cases = [], [], []
    for index in range(count):
        person_id = f"p{index}"
        row = {"person_id": person_id, "public": "true" if public[index] else "false", "gender": draw(st.sampled_from(["f", "m", ""])),
               "birth_date": "1980", "notes": secret(), "restricted_notes": secret()}
        if public[index]:
            row.update(name=f"Public Person {index}", name_ru=f"Публичный Человек {index}")
        else:
            row.update(name=f"{secret()} {secret()}", name_be=secret(CYRILLIC, "Зщ"), name_ru=secret(CYRILLIC, "Жщ"),
                       aliases=secret())
            hidden_names[person_id] = row["name"]
        persons.append(row)
        restricted = {"source_id": f"r{index}", "title": secret(), "publisher": secret(), "url": f"https://{secret().lower()}.example",
                      "published": "2024-01", "restricted": "true"}
        sources.append(restricted)
        kinds = draw(st.lists(st.sampled_from(["detained", "convicted", "recognized", "released", "deported", "transferred"]),
                              min_size=1, max_size=4))
        for number, kind in enumerate(["detained", *kinds]):
            only_restricted = draw(st.booleans())
            events.append({
                "event_id": f"e{index}-{number}", "person_id": person_id, "type": kind, "date": f"2024-0{1 + number}-1{number}",
                "place": secret() if only_restricted else "Minsk", "source_ids": f"r{index}" if only_restricted else f"open;r{index}",
                "note": secret(), "destination": "Lithuania" if kind == "deported" else "",
            })
    # The names of non-public persons written into public free text must be withheld there.
    some_hidden = next(iter(hidden_names.values()))
    events.append({"event_id": "leak-place", "person_id": "p0", "type": "transferred", "date": "2024-06-01",
                   "place": f"cell with {some_hidden}", "source_ids": "open"})
    cases.append({"case_id": "c1", "name": f"Case of {some_hidden}", "opened": "2024-01", "description": f"Around {some_hidden}"})
    events.append({"event_id": "leak-case", "person_id": "p0", "type": "charged", "date": "2024-06-02", "case_id": "c1",
                   "charges": "342", "source_ids": "open"})
    sources.append({"source_id": "open2", "title": f"Interview with {some_hidden}", "publisher": "Nasha Niva",
                    "url": "https://example.org/i", "published": "2024-06-03", "restricted": "false"})
    events.append({"event_id": "leak-source", "person_id": "p0", "type": "recognized", "date": "2024-06-03", "source_ids": "open2"})
    package = {"sources": sources, "cases": cases, "persons": persons, "events": events}
    return package, secrets, hidden_names


def _public_texts(database: Database) -> list[tuple[str, str]]:
    client = TestClient(create_app(database))
    texts = []
    api = client.get("/api/v1/persons", params={"page": 1}).json()
    shown = [row["person_id"] for row in api["persons"]]
    urls = ["/", "/public/prisoners", "/public/feed.atom", "/api/v1/persons", "/api/v1/figures?as_of=2024-12-31",
            "/api/v1/figures?from=2024-01-01&to=2024-12-31"]
    urls += [f"/public/prisoners/{person_id}" for person_id in shown] + [f"/api/v1/persons/{person_id}" for person_id in shown]
    for url in urls:
        answer = client.get(url)
        assert answer.status_code == 200, url
        texts.append((url, answer.text))
    archive = zipfile.ZipFile(io.BytesIO(client.get("/public/open-data.zip").content))
    texts += [(f"open data {name}", archive.read(name).decode()) for name in archive.namelist()]
    for month in ("2024-01", "2024-06"):
        texts.append((f"public report {month}", monthly_report(database, month, public=True, fmt="html")))
        texts.append((f"public report {month} (md)", monthly_report(database, month, public=True)))
    return texts


def _check(database: Database, package, secrets: list[str], hidden_names: dict[str, str], folder: Path) -> None:
    import_package(database, write_package(folder / "package", package))
    texts = _public_texts(database)
    for where, text in texts:
        lowered = text.lower()
        for secret in secrets:
            assert secret.lower() not in lowered, f"{secret!r} leaked into {where}"
    # Searching the public list for a hidden name finds nothing.
    client = TestClient(create_app(database))
    for name in hidden_names.values():
        assert client.get("/api/v1/persons", params={"q": name}).json()["total"] == 0
        assert client.get("/public/prisoners", params={"q": name}).status_code == 200
    # A count names nobody: everyone is counted.
    figures = json.loads(dict(texts)["/api/v1/figures?from=2024-01-01&to=2024-12-31"])
    assert figures["arrests"] == sum(1 for event in package["events"] if event["type"] == "detained")


# No shrinking: an example is a whole register, and the failure message already names the marker and the page.
# `key_file` (the register key in CHRONICLE_KEY_FILE) serves every example of a test: each example is a new register.
SETTINGS = settings(max_examples=12, deadline=None, phases=[Phase.explicit, Phase.reuse, Phase.generate],
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.function_scoped_fixture])


@SETTINGS
@given(generated=registers())
def test_public_output_shows_no_restricted_text_and_no_hidden_name_on_sqlite(generated, key_file):
    package, secrets, hidden_names = generated
    with tempfile.TemporaryDirectory() as folder:
        database = Database.open(str(Path(folder) / "register.db"))
        try:
            _check(database, package, secrets, hidden_names, Path(folder))
        finally:
            database.close()


@SETTINGS
@given(generated=registers())
def test_public_output_shows_no_restricted_text_and_no_hidden_name_on_postgresql(generated, key_file):
    package, secrets, hidden_names = generated
    schema = PostgresSchema(require_postgres())
    try:
        with tempfile.TemporaryDirectory() as folder:
            database = Database.open(schema.url)
            try:
                _check(database, package, secrets, hidden_names, Path(folder))
            finally:
                database.close()
    finally:
        schema.drop()
