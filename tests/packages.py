"""Small hand-written data packages for the tests."""

from __future__ import annotations

import csv
from pathlib import Path

from chronicle.package_format import RESOURCES_BY_NAME, write_descriptor


def write_package(folder: Path, tables: dict[str, list[dict[str, str]]], *, descriptor: bool = True) -> Path:
    """Write CSV files with the package's columns (missing cells empty) and a descriptor."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, rows in tables.items():
        columns = RESOURCES_BY_NAME[name].columns
        with open(folder / f"{name}.csv", "w", encoding="utf-8", newline="") as stream:
            writer = csv.writer(stream, lineterminator="\n")
            writer.writerow(columns)
            for row in rows:
                unknown = set(row) - set(columns)
                assert not unknown, f"test bug: unknown columns {unknown}"
                writer.writerow([row.get(column, "") for column in columns])
    if descriptor:
        write_descriptor(folder, list(tables))
    return folder


def small_register() -> dict[str, list[dict[str, str]]]:
    """A register of four persons with every kind of record."""
    return {
        "sources": [
            {"source_id": "s1", "title": "Viasna: new detentions in Minsk", "publisher": "Viasna", "url": "https://example.org/a", "published": "2020-08-12", "restricted": "false"},
            {"source_id": "s2", "title": "Lawyer's message", "publisher": "", "url": "", "published": "2021-03", "restricted": "true"},
        ],
        "cases": [{"case_id": "c1", "name": "Case of the Coordination Council", "opened": "2020-08", "description": "Members of the council"}],
        "organisations": [{"organisation_id": "o1", "name": "Belsat", "kind": "media outlet"}],
        "persons": [
            {"person_id": "p1", "name": "Siarhei Tsikhanouski", "name_be": "Сяргей Ціханоўскі", "name_ru": "Сергей Тихановский", "name_en": "Siarhei Tsikhanouski", "aliases": "Sergei Tikhanovsky;TSIKHANOUSKI Siarhei", "birth_date": "1978-08-18", "gender": "m", "categories": "journalist", "region": "Homiel region", "public": "true", "notes": "blogger", "restricted_notes": "wife's phone +375 00 000"},
            {"person_id": "p2", "name": "Maryia Kalesnikava", "birth_date": "1982", "gender": "f", "categories": "musician", "region": "Minsk", "public": "true"},
            {"person_id": "p3", "name": "Hidden Person", "name_ru": "Скрытый Человек", "birth_date": "1990-05", "gender": "m", "public": "false", "restricted_notes": "informant contact"},
            {"person_id": "p4", "name": "Ales Bialiatski", "gender": "m", "categories": "lawyer;journalist", "public": ""},
        ],
        "memberships": [{"person_id": "p1", "organisation_id": "o1", "role": "blogger"}],
        "events": [
            {"event_id": "e1", "person_id": "p1", "type": "detained", "date": "2020-05-29", "place": "Hrodna", "source_ids": "s1", "recorded_at": "2020-05-30T09:00:00Z"},
            {"event_id": "e2", "person_id": "p1", "type": "charged", "date": "2020-06", "charges": "342-1;293-1", "case_id": "c1", "source_ids": "s1;s2"},
            {"event_id": "e3", "person_id": "p1", "type": "convicted", "date": "2021-12-14", "sentence_months": "216", "sentence_kind": "colony", "source_ids": "s1"},
            {"event_id": "e4", "person_id": "p1", "type": "recognized", "date": "2020-06-01", "source_ids": "s1", "recorded_at": "2020-06-02T10:00:00Z", "retracted_at": "2020-06-03T10:00:00Z"},
            {"event_id": "e4", "person_id": "p1", "type": "recognized", "date": "2020-06-02", "source_ids": "s1", "recorded_at": "2020-06-03T10:00:00Z"},
            {"event_id": "e5", "person_id": "p1", "type": "pardoned", "date": "2025-06-21", "reason": "pardon", "source_ids": "s1"},
            {"event_id": "e6", "person_id": "p1", "type": "deported", "date": "2025-06-21", "destination": "Lithuania", "source_ids": "s1"},
            {"event_id": "e7", "person_id": "p2", "type": "detained", "date": "2020-09-07", "source_ids": "s1", "politically_motivated": "true"},
            {"event_id": "e8", "person_id": "p3", "type": "detained", "date": "2021-01-10", "place": "Minsk, Akrestsina", "source_ids": "s2", "note": "seen by a neighbour"},
            {"event_id": "e9", "person_id": "p4", "type": "detained", "date": "2021-07-14", "source_ids": "s2"},
            {"event_id": "e10", "person_id": "p2", "type": "recognized", "date": "2020-09-10", "source_ids": "s1", "note": "internal"},
        ],
    }
