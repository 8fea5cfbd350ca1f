"""A small register with persons recorded twice, and the relatives and namesakes who must stay apart."""

from __future__ import annotations

from pathlib import Path

from packages import small_register, write_package

from chronicle.database import Database
from chronicle.importer import import_package


def register_with_duplicates() -> dict[str, list[dict[str, str]]]:
    """`small_register` and:

    - p5: Siarhei Tsikhanouski (p1) again, in Belarusian Cyrillic only, not
      public, with events of his own and one like p1's, in p1's case, a
      member of Belsat like p1 and of Viasna;
    - p6: his wife Sviatlana, the same surname, in the same case;
    - p7 and p9: Ihar Losik, in Latin and in Belarusian Cyrillic (one person);
    - p8: another Ігар Лосік, born 27 years earlier in another region.
    """
    tables = small_register()
    tables["organisations"].append({"organisation_id": "o2", "name": "Viasna", "kind": "human rights group"})
    tables["persons"] += [
        {"person_id": "p5", "name": "Сяргей Ціханоўскі", "birth_date": "1978-08-18", "gender": "m",
         "categories": "blogger;journalist", "region": "Гомельская вобласць", "public": "false",
         "notes": "from a lawyer's list", "restricted_notes": "cell 12"},
        {"person_id": "p6", "name": "Sviatlana Tsikhanouskaya", "name_be": "Святлана Ціханоўская", "birth_date": "1982-09-11",
         "gender": "f", "region": "Homiel region", "public": "true"},
        {"person_id": "p7", "name": "Ihar Losik", "birth_date": "1992-01-01", "gender": "m", "region": "Brest region", "public": "true"},
        {"person_id": "p8", "name": "Ігар Лосік", "birth_date": "1965-03-02", "gender": "m", "region": "Viciebsk region", "public": "true"},
        {"person_id": "p9", "name": "Ігар Лосік", "name_ru": "Игорь Лосик", "birth_date": "1992-01", "region": "Брэсцкая вобласць"},
    ]
    tables["memberships"] += [
        {"person_id": "p5", "organisation_id": "o1", "role": ""},
        {"person_id": "p5", "organisation_id": "o2", "role": "volunteer"},
    ]
    tables["events"] += [
        {"event_id": "e21", "person_id": "p5", "type": "detained", "date": "2020-05-29", "place": "Гродна", "source_ids": "s2"},
        {"event_id": "e22", "person_id": "p5", "type": "charged", "date": "2020-07", "case_id": "c1", "charges": "342-1", "source_ids": "s1;s2"},
        {"event_id": "e23", "person_id": "p5", "type": "recognized", "date": "2020-06-02", "source_ids": "s2"},
        {"event_id": "e24", "person_id": "p6", "type": "charged", "date": "2020-10", "case_id": "c1", "source_ids": "s1"},
        {"event_id": "e25", "person_id": "p7", "type": "detained", "date": "2020-06-25", "source_ids": "s1"},
        {"event_id": "e26", "person_id": "p9", "type": "convicted", "date": "2021-12-14", "sentence_months": "180",
         "sentence_kind": "colony", "source_ids": "s1"},
        {"event_id": "e27", "person_id": "p8", "type": "detained", "date": "2022-03-01", "source_ids": "s2"},
    ]
    return tables


def import_duplicates(database: Database, folder: Path) -> None:
    import_package(database, write_package(folder, register_with_duplicates()))
