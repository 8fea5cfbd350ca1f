"""Which name records denote the same person: `chronicle match` (issue 5).

A record is a row of a CSV with `record_id`, `name` (any script, any order,
with or without a patronymic) and optionally `birth_date` (YYYY, YYYY-MM or
YYYY-MM-DD), `gender` and `region`. `match_records` gives every record a
`cluster_id`: records with one cluster id are taken for one person.

The pipeline:

1. `prepare_record` reduces each record to comparable pieces with
   `chronicle.names`: the surname stem (female forms folded to male), the
   given-name group(s) and the key of the given name, the patronymic stem
   (Леанідавіч, Leonidovna and Leanidauna give "lanid"), the sorted keys of
   all words; the birth year, month and day as far as the date is known;
   the gender, from the `gender` column or else from the patronymic, the
   given name or a female surname form; the region, folded by `REGIONS` to
   one of the six regions or Minsk city (Минская область, Minskaya voblasts,
   Мінская вобласць and Minsk region are all "minsk_region").
2. Splink (DuckDB) compares the pairs that share a blocking key (the first
   letters of the surname stem with the given-name group; the surname stem
   with the birth year; the given-name group with the birth year; all the
   words' keys; the birth date) on six comparisons: surname, given name, patronymic, birth
   date (with partial precision), gender and region. A differing gender and
   a differing known given name weigh heavily, so that a wife and husband
   or two siblings with one surname stay apart; a differing birth year or
   region keeps namesakes apart.
3. The m and u probabilities are fixed in `MatchSettings.levels` (chosen on
   the project's test set, `tests/match_set.py`). Expectation maximisation
   needs thousands of records with many true matches to converge, so on
   small inputs the fixed values are used as they are; from
   `MatchSettings.train_min_records` records on, the u probabilities are
   estimated from random pairs of the input itself (the m probabilities
   stay fixed). `training="em"` also runs EM for the m probabilities, and
   `training="fixed"` never trains.
4. The prior (probability that two random records match) is
   `(records_per_person - 1) / (n - 1)`: the share of matching pairs when
   each person has `records_per_person` records on average, at most
   `MAX_PRIOR` (0.02) so that tiny files do not assume most pairs match.
5. Pairs with a match probability at or above `threshold` are joined and the
   connected components are the clusters. A record that matches nothing is
   a cluster of its own; the cluster id is the smallest record id of the
   cluster.

`MatchSettings(model="plain")` is the baseline the benchmark compares with:
Jaro-Winkler on the raw name strings and an exact birth date.

`engine="spark"` runs the same settings on Splink's Spark backend, on a
local Spark or a cluster (`spark_session`): the settings' SQL is written
once, in DuckDB SQL, and `engine_sql` translates it (docs/matching.md, "On
Spark").
"""

from __future__ import annotations

import csv
import json
import logging
import os
import re
import sys
import tempfile
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from chronicle.dates import PartialDate
from chronicle.errors import InputError, PackageError, Problem
from chronicle.names import given_name_groups, latin_key, parse_name

# --------------------------------------------------------------------------
# Input

MATCH_COLUMNS = ("record_id", "name", "birth_date", "gender", "region")
REQUIRED_COLUMNS = ("record_id", "name")
MAX_NAME_LENGTH = 500
"""Longer names are refused: no personal name is that long, and it is a sign of a broken file."""

_GENDERS = {
    "f": "f", "female": "f", "w": "f", "woman": "f", "ж": "f", "жен": "f", "женский": "f", "жанчына": "f",
    "жаночы": "f", "k": "f", "kobieta": "f",
    "m": "m", "male": "m", "man": "m", "м": "m", "муж": "m", "мужской": "m", "мужчына": "m", "мужчина": "m",
    "мужчынскі": "m", "женщина": "f",
}


def read_match_csv(path: str | Path) -> list[dict[str, str | None]]:
    """The records of a `chronicle match` CSV, checked; PackageError lists every problem with its line.

    Refused: a file that is not UTF-8 (the first bad line is named), no
    header, a missing `record_id` or `name` column, unknown or repeated
    columns, rows with more cells than the header, empty or repeated record
    ids, names that are empty or have no letter, names over
    `MAX_NAME_LENGTH` characters, birth dates that are not partial dates and
    genders that are not m/f. Empty optional cells become None.
    """
    path = Path(path)
    label = path.name
    problems: list[Problem] = []
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        raise PackageError([Problem(label, line, None, f"the file is not UTF-8 text (byte {error.start + 1})")]) from None

    reader = csv.reader(text.splitlines(keepends=True) if text else [])
    try:
        header = next(reader)
    except StopIteration:
        raise PackageError([Problem(label, None, None, "the file is empty: it needs a header with record_id and name")]) from None
    except csv.Error as error:
        raise PackageError([Problem(label, 1, None, f"the header is not CSV: {error}")]) from None
    header = [column.strip() for column in header]
    for column in REQUIRED_COLUMNS:
        if column not in header:
            problems.append(Problem(label, 1, column, f"the required column {column!r} is missing"))
    for column in header:
        if column not in MATCH_COLUMNS:
            problems.append(Problem(label, 1, column or None, f"unknown column {column!r}: the columns are {', '.join(MATCH_COLUMNS)}"))
        elif header.count(column) > 1:
            problems.append(Problem(label, 1, column, f"the column {column!r} appears more than once"))
    if problems:
        raise PackageError(sorted(set(problems)))

    records: list[dict[str, str | None]] = []
    first_line: dict[str, int] = {}
    line = 1
    try:
        for row in reader:
            line = reader.line_num
            if not any(cell.strip() for cell in row):
                continue
            if len(row) > len(header):
                problems.append(Problem(label, line, None, f"the row has {len(row)} cells, the header {len(header)}"))
                continue
            values = {column: (row[index].strip() if index < len(row) else "") for index, column in enumerate(header)}
            record, row_problems = _check_row(values, label, line, first_line)
            problems.extend(row_problems)
            if not row_problems:
                records.append(record)
    except csv.Error as error:
        problems.append(Problem(label, line + 1, None, f"the row is not CSV: {error}"))
    if problems:
        raise PackageError(problems)
    return records


def _check_row(values: dict[str, str], label: str, line: int, first_line: dict[str, int]):
    problems = []
    record_id = values["record_id"]
    if not record_id:
        problems.append(Problem(label, line, "record_id", "the record id is empty"))
    elif record_id in first_line:
        problems.append(Problem(label, line, "record_id", f"the record id {record_id!r} is already used on line {first_line[record_id]}"))
    else:
        first_line[record_id] = line
    name = values["name"]
    if len(name) > MAX_NAME_LENGTH:
        problems.append(Problem(label, line, "name", f"the name is {len(name)} characters long; at most {MAX_NAME_LENGTH} are accepted"))
    elif not name:
        problems.append(Problem(label, line, "name", "the name is empty"))
    elif not any(char.isalpha() for char in name):
        problems.append(Problem(label, line, "name", f"the name {name!r} has no letters"))
    birth = values.get("birth_date") or ""
    if birth:
        try:
            PartialDate.parse(birth)
        except InputError as error:
            problems.append(Problem(label, line, "birth_date", str(error)))
    gender = values.get("gender") or ""
    if gender and normalise_gender(gender) is None:
        problems.append(Problem(label, line, "gender", f"{gender!r} is not a gender: write m or f (or leave it empty)"))
    record = {column: (values.get(column) or None) for column in MATCH_COLUMNS}
    return record, problems


def normalise_gender(text: str | None) -> str | None:
    """'m', 'f' or None for an empty cell or a word that is neither (Ж, female, муж, ...)."""
    if not text:
        return None
    return _GENDERS.get(text.strip().lower().rstrip("."))


# --------------------------------------------------------------------------
# Regions

REGIONS: dict[str, tuple[str, ...]] = {
    "brest": ("Brest", "Брэст", "Брест", "Bierascie", "Берасце", "Brześć"),
    "viciebsk": ("Viciebsk", "Vitebsk", "Віцебск", "Витебск", "Witebsk", "Vitsebsk"),
    "homiel": ("Homiel", "Gomel", "Гомель", "Homel", "Homyel"),
    "hrodna": ("Hrodna", "Grodno", "Гродна", "Гродно", "Гродзенская", "Гродненская", "Hrodzienskaja", "Grodnenskaya"),
    "mahilioŭ": ("Mahilioŭ", "Mahiliou", "Mogilev", "Магілёў", "Могилёв", "Могилев", "Mahilyow", "Mogilyov"),
    "minsk_region": (),
    "minsk_city": ("Minsk", "Мінск", "Минск", "Miensk", "Менск", "Mińsk"),
}
"""The six regions of Belarus and Minsk city, each with its names in Belarusian, Russian and Latin.

A name of the town with a word for region (region, voblasts, oblast,
вобласць, область, обл.) or in the adjective form (Мінская, Minskaya,
Гомельская) is the region; Minsk alone is the city; the other towns alone
stand for their region.
"""

_REGION_WORDS = {
    "region", "regional", "voblasts", "voblasc", "voblast", "vobl", "oblast", "obl", "вобласць", "вобл", "область",
    "обл", "province", "district", "rehijon", "рэгіён", "регион", "wojewodztwo", "obwod", "voblasć", "voblasts'",
}
_CITY_WORDS = {"city", "горад", "город", "г", "гор", "horad", "gorod", "miasto", "c"}
_ADJECTIVE_TAILS = ("", "a", "ka", "ska", "ski", "aia", "ai", "i", "ia", "skai", "ska", "kaia")


def _region_bases() -> list[tuple[str, str]]:
    bases = []
    for code, names in REGIONS.items():
        for name in names:
            key = latin_key(name)
            bases.append((key, code))
            if key.endswith("na"):  # Hrodna, Гродзенская: the adjective drops the -na
                bases.append((key[:-2], code))
    bases.append(("hradan", "hrodna"))
    return sorted(set(bases), key=lambda pair: -len(pair[0]))


_REGION_BASES = _region_bases()


def normalise_region(text: str | None) -> str | None:
    """The code of a Belarusian region or Minsk city ("minsk_region", "homiel", ...) for any spelling.

    An unknown place comes back as the `latin_key` of its words, so that it
    still compares with its other spellings; an empty cell is None.
    """
    if not text or not text.strip():
        return None
    words = [word for word in re.split(r"[\s,.\-()/]+", unicodedata.normalize("NFC", text.strip().lower())) if word]
    region_word = any(word in _REGION_WORDS for word in words)
    city_word = any(word in _CITY_WORDS for word in words)
    place_words = [word for word in words if word not in _REGION_WORDS and word not in _CITY_WORDS]
    for word in place_words:
        key = latin_key(word)
        for base, code in _REGION_BASES:
            if key.startswith(base) and key[len(base):] in _ADJECTIVE_TAILS:
                adjective = key != base and code != "hrodna" or (code == "hrodna" and not key.endswith("na"))
                if code == "minsk_city" and (region_word or adjective) and not city_word:
                    return "minsk_region"
                return code
    keys = [latin_key(word) for word in place_words]
    return " ".join(key for key in keys if key) or None


# --------------------------------------------------------------------------
# Preparing records


def _given_genders() -> dict[str, str]:
    from chronicle.generate_names import FEMALE_GIVEN_NAMES, MALE_GIVEN_NAMES

    genders: dict[str, str] = {}
    for names, gender in ((MALE_GIVEN_NAMES, "m"), (FEMALE_GIVEN_NAMES, "f")):
        for name in names:
            for group in given_name_groups(name.latin):
                genders[group] = gender
    return genders


_GIVEN_GENDER: dict[str, str] = {}
_PATRONYMIC_ENDING = re.compile(r"(avich|avna|ich|ichna|ina|na)$")


def _patronymic_stem(text: str) -> str | None:
    key = latin_key(text) if text else ""
    return (_PATRONYMIC_ENDING.sub("", key) or key) or None


def prepare_record(record: dict[str, Any]) -> dict[str, Any]:
    """The comparable pieces of one record (see the module's description); keys are the Splink columns."""
    if not _GIVEN_GENDER:
        _GIVEN_GENDER.update(_given_genders())
    text = str(record.get("name") or "")
    name = parse_name(text)
    groups = sorted(given_name_groups(name.given)) if name.given else []
    given_key = latin_key(name.given) if name.given else ""
    sn = name.surname_stem or None
    words = [latin_key(word) for word in re.split(r"[\s,]+", text) if word]
    gender = normalise_gender(record.get("gender"))
    if gender is None:
        if name.patronymic:
            gender = "f" if name.is_female else "m"
        elif len(groups) == 1 and groups[0] in _GIVEN_GENDER:
            gender = _GIVEN_GENDER[groups[0]]
        elif name.is_female:
            gender = "f"
    year = month = day = None
    birth = record.get("birth_date")
    if birth:
        try:
            partial = PartialDate.parse(str(birth))
        except InputError:
            partial = None
        if partial is not None:
            year = partial.first_day.year
            month = partial.first_day.month if partial.precision in ("month", "day") else None
            day = partial.first_day.day if partial.precision == "day" else None
    return {
        "unique_id": str(record["record_id"]),
        "sn": sn,
        "sn4": sn[:4] if sn else None,
        "gg": "|".join(groups) if groups else (given_key or None),
        "gk": given_key or None,
        "g_known": bool(groups),
        "pk": _patronymic_stem(name.patronymic) if name.patronymic else None,
        "tk": " ".join(sorted(word for word in words if word)) or None,
        "byear": year,
        "bmonth": month,
        "bday": day,
        "sex": gender,
        "reg": normalise_region(record.get("region")),
        # the plain model's columns
        "raw_name": unicodedata.normalize("NFC", text.strip().lower()) or None,
        "raw_birth": str(birth).strip() if birth else None,
        "raw_region": str(record.get("region")).strip().lower() if record.get("region") else None,
    }


# --------------------------------------------------------------------------
# Settings


def _level(label: str, sql: str, m: float, u: float, *, null: bool = False) -> dict[str, Any]:
    level: dict[str, Any] = {"sql_condition": sql, "label_for_charts": label}
    if null:
        level["is_null_level"] = True
    else:
        level["m_probability"] = m
        level["u_probability"] = u
    return level


def _null(columns: list[str]) -> str:
    return " OR ".join(f"{column}_l IS NULL OR {column}_r IS NULL" for column in columns)


def default_levels() -> dict[str, list[dict[str, Any]]]:
    """The project's comparisons with fixed m and u probabilities (set by hand on tests/match_set.py)."""
    same_group = "list_has_any(string_split(gg_l, '|'), string_split(gg_r, '|'))"
    return {
        "surname": [
            _level("null", _null(["sn"]), 0, 0, null=True),
            _level("same stem", "sn_l = sn_r", 0.88, 0.002),
            _level("stem JW >= 0.92", "jaro_winkler_similarity(sn_l, sn_r) >= 0.92", 0.08, 0.002),
            _level("stem JW >= 0.85", "jaro_winkler_similarity(sn_l, sn_r) >= 0.85", 0.03, 0.01),
            _level("else", "ELSE", 0.01, 0.986),
        ],
        "given_name": [
            _level("null", _null(["gg"]), 0, 0, null=True),
            _level("same group", f"gg_l = gg_r OR {same_group}", 0.95, 0.02),
            _level("key JW >= 0.88, not two known names",
                   "jaro_winkler_similarity(gk_l, gk_r) >= 0.88 AND NOT (g_known_l AND g_known_r)", 0.035, 0.005),
            _level("else", "ELSE", 0.015, 0.975),
        ],
        "patronymic": [
            _level("null", _null(["pk"]), 0, 0, null=True),
            _level("same stem", "pk_l = pk_r", 0.9, 0.03),
            _level("stem JW >= 0.88", "jaro_winkler_similarity(pk_l, pk_r) >= 0.88", 0.06, 0.02),
            _level("else", "ELSE", 0.04, 0.95),
        ],
        "birth_date": [
            _level("null", _null(["byear"]), 0, 0, null=True),
            _level("same day", "byear_l = byear_r AND bmonth_l = bmonth_r AND bday_l = bday_r", 0.7, 0.0001),
            _level("same month, a day unknown", "byear_l = byear_r AND bmonth_l = bmonth_r AND (bday_l IS NULL OR bday_r IS NULL)", 0.1, 0.0012),
            _level("same year, a month unknown", "byear_l = byear_r AND (bmonth_l IS NULL OR bmonth_r IS NULL)", 0.12, 0.015),
            _level("same year, month or day differ", "byear_l = byear_r", 0.04, 0.02),
            _level("within a year", "abs(byear_l - byear_r) <= 1", 0.02, 0.04),
            _level("else", "ELSE", 0.002, 0.92),
        ],
        "gender": [
            _level("null", _null(["sex"]), 0, 0, null=True),
            _level("same", "sex_l = sex_r", 0.995, 0.5),
            _level("else", "ELSE", 0.005, 0.5),
        ],
        "region": [
            _level("null", _null(["reg"]), 0, 0, null=True),
            _level("same", "reg_l = reg_r", 0.9, 0.15),
            _level("else", "ELSE", 0.1, 0.85),
        ],
    }


def plain_levels() -> dict[str, list[dict[str, Any]]]:
    """The baseline: Jaro-Winkler on the raw lower-case name, an exact birth date string, the raw region."""
    return {
        "name": [
            _level("null", _null(["raw_name"]), 0, 0, null=True),
            _level("exact", "raw_name_l = raw_name_r", 0.6, 0.0001),
            _level("JW >= 0.92", "jaro_winkler_similarity(raw_name_l, raw_name_r) >= 0.92", 0.2, 0.001),
            _level("JW >= 0.8", "jaro_winkler_similarity(raw_name_l, raw_name_r) >= 0.8", 0.12, 0.02),
            _level("else", "ELSE", 0.08, 0.979),
        ],
        "birth_date": [
            _level("null", _null(["raw_birth"]), 0, 0, null=True),
            _level("exact", "raw_birth_l = raw_birth_r", 0.85, 0.001),
            _level("else", "ELSE", 0.15, 0.999),
        ],
        "region": [
            _level("null", _null(["raw_region"]), 0, 0, null=True),
            _level("same", "raw_region_l = raw_region_r", 0.85, 0.15),
            _level("else", "ELSE", 0.15, 0.85),
        ],
    }


DEFAULT_BLOCKING = (
    "l.sn4 = r.sn4 AND l.gg = r.gg",
    "l.sn = r.sn AND l.byear = r.byear",
    "l.gg = r.gg AND l.byear = r.byear",
    "l.tk = r.tk",
    "l.byear = r.byear AND l.bmonth = r.bmonth AND l.bday = r.bday",
)
PLAIN_BLOCKING = ("substr(l.raw_name, 1, 3) = substr(r.raw_name, 1, 3)", "l.raw_birth = r.raw_birth")


@dataclass
class MatchSettings:
    """How `match_records` matches; round-trips through JSON (`to_json`, `from_json`).

    - threshold: match probability at or above which two records are joined;
    - model: "chronicle" (the project's comparisons) or "plain" (the baseline);
    - blocking: SQL blocking rules on the prepared columns (`l.` and `r.`);
      empty for the model's default;
    - levels: the comparisons, name -> Splink comparison levels with fixed
      m and u probabilities; empty for the model's default;
    - records_per_person: sets the prior (see the module's description);
    - training: "auto" (estimate u from `train_min_records` records on),
      "fixed", "u" or "em" (u, then EM for m on the surname block);
    - seed: for the random sampling of u.
    """

    threshold: float = 0.9
    model: str = "chronicle"
    blocking: list[str] = field(default_factory=list)
    levels: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    records_per_person: float = 2.0
    training: str = "auto"
    train_min_records: int = 5000
    max_pairs_for_u: float = 2e6
    seed: int = 5

    def __post_init__(self):
        if not 0.0 <= self.threshold <= 1.0:
            raise InputError(f"the threshold {self.threshold} is not a probability between 0 and 1")
        if self.model not in ("chronicle", "plain"):
            raise InputError(f"unknown matching model {self.model!r}: use chronicle or plain")
        if self.training not in ("auto", "fixed", "u", "em"):
            raise InputError(f"unknown training {self.training!r}: use auto, fixed, u or em")
        if self.records_per_person <= 1:
            raise InputError("records_per_person must be above 1")

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False, indent=2)

    @classmethod
    def from_json(cls, text: str) -> MatchSettings:
        data = json.loads(text)
        unknown = set(data) - set(cls.__dataclass_fields__)
        if unknown:
            raise InputError(f"unknown match settings: {', '.join(sorted(unknown))}")
        return cls(**data)

    def effective_levels(self) -> dict[str, list[dict[str, Any]]]:
        if self.levels:
            return self.levels
        return default_levels() if self.model == "chronicle" else plain_levels()

    def effective_blocking(self) -> list[str]:
        if self.blocking:
            return list(self.blocking)
        return list(DEFAULT_BLOCKING if self.model == "chronicle" else PLAIN_BLOCKING)


MAX_PRIOR = 0.02
"""The prior is capped: in a file of a handful of records (records_per_person - 1) / (n - 1) would
take a third of all pairs for matches, and a namesake would join on the name alone."""


def splink_settings(settings: MatchSettings, record_count: int, engine: str = "duckdb") -> dict[str, Any]:
    """The Splink 5 settings dictionary for a dedupe of `record_count` records, in the SQL of `engine`."""
    prior = (settings.records_per_person - 1) / max(record_count - 1, 1)
    return {
        "link_type": "dedupe_only",
        "unique_id_column_name": "unique_id",
        "probability_two_random_records_match": min(max(prior, 1e-9), MAX_PRIOR),
        "comparisons": [
            {
                "output_column_name": name,
                "comparison_description": name,
                "comparison_levels": [
                    {**level, "sql_condition": engine_sql(level["sql_condition"], engine)} for level in levels
                ],
            }
            for name, levels in settings.effective_levels().items()
        ],
        "blocking_rules_to_generate_predictions": [
            {"blocking_rule": engine_sql(rule, engine), "sql_dialect": engine} for rule in settings.effective_blocking()
        ],
        "retain_matching_columns": False,
        "retain_intermediate_calculation_columns": False,
    }


# --------------------------------------------------------------------------
# Engines: DuckDB on this machine, Spark on a cluster

ENGINES = ("duckdb", "spark")
DEFAULT_SPARK_MASTER = "local[2]"
SPARK_JARO_WINKLER = "chronicle_jaro_winkler"
"""The Spark SQL function `engine_sql` writes for DuckDB's jaro_winkler_similarity (see `register_spark_functions`)."""


def engine_sql(sql: str, engine: str) -> str:
    """One condition of the settings, written in DuckDB SQL, in the SQL of `engine`.

    This is the one place where the engines differ. For Spark the condition
    is translated by sqlglot (the library Splink translates with), except for
    two functions: Jaro-Winkler becomes `SPARK_JARO_WINKLER`, which computes
    what DuckDB's does, and list overlap becomes arrays_overlap (sqlglot
    writes `&&`, which Spark SQL does not have).
    """
    if engine == "duckdb" or sql.strip().upper() == "ELSE":
        return sql
    import sqlglot
    from sqlglot import exp

    def spark_function(node):
        if isinstance(node, exp.JarowinklerSimilarity):
            return exp.Anonymous(this=SPARK_JARO_WINKLER, expressions=[node.this, node.expression])
        if isinstance(node, exp.ArrayOverlaps):
            return exp.Anonymous(this="arrays_overlap", expressions=[node.this, node.expression])
        return node

    try:
        tree = sqlglot.parse_one(sql, read="duckdb")
    except sqlglot.errors.ParseError as error:
        reason = error.errors[0]["description"] if error.errors else str(error)
        raise InputError(f"the matching condition {sql!r} is not DuckDB SQL that sqlglot can read: {reason}") from None
    return tree.transform(spark_function).sql(dialect="spark")


def _require_pyspark() -> None:
    try:
        import pyspark  # noqa: F401
    except ImportError:
        raise InputError("the spark engine needs pyspark, which is not installed: pip install 'chronicle[spark]'") from None


def _local_master(master: str) -> bool:
    return master == "local" or master.startswith("local[")


_SPARK_LOG_CONFIG = """\
rootLogger.level = error
rootLogger.appenderRef.stderr.ref = console
appender.console.type = Console
appender.console.name = console
appender.console.target = SYSTEM_ERR
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = %d{HH:mm:ss} %p %c{1}: %m%n
logger.repl.name = org.apache.spark.api.python.PythonGatewayServer
logger.repl.level = error
"""
"""Spark's log settings for a new session: errors only (the gateway's logger too, or it announces its level)."""


@contextmanager
def spark_session(spark: Any = None) -> Iterator[Any]:
    """The SparkSession to match on, as a context.

    `spark` may be a SparkSession (a real cluster's, used as it is and left
    running), a master URL for a new session (`local[4]`, `spark://host:7077`,
    `yarn`, `k8s://...`), or None: the session already running in this
    process (under spark-submit, the one it configured), else a new local one
    on `DEFAULT_SPARK_MASTER`. A new session keeps its files (spills, log
    settings, warehouse) in a private temporary folder, has no web UI,
    listens on 127.0.0.1 when local, logs only errors, and is stopped and
    its folder removed afterwards.
    """
    _require_pyspark()
    from pyspark.sql import SparkSession

    connect = ("Spark Connect (sc://, SPARK_REMOTE) is not supported by Splink's Spark backend: "
               "give a master URL such as spark://host:7077, yarn or local[4]")
    if spark is not None and not isinstance(spark, str):
        if getattr(spark, "_jsc", None) is None:  # a Spark Connect session has no JVM context
            raise InputError(connect)
        yield spark
        return
    master = spark
    if (master or "").startswith("sc://") or (master is None and os.environ.get("SPARK_REMOTE")):
        raise InputError(connect)
    running = SparkSession.getActiveSession()
    if running is not None:
        if master is not None and running.sparkContext.master != master:
            raise InputError(f"a Spark session on {running.sparkContext.master} is already running in this process, "
                             f"so no new one on {master} can start")
        yield running
        return
    submitted = master is None and "PYSPARK_GATEWAY_PORT" in os.environ  # started by spark-submit: its settings hold
    master = master or DEFAULT_SPARK_MASTER
    with tempfile.TemporaryDirectory(prefix="chronicle-spark-", ignore_cleanup_errors=True) as folder:
        session = _new_spark_session(Path(folder), None if submitted else master)
        try:
            yield session
        finally:
            session.stop()


def _new_spark_session(folder: Path, master: str | None):
    from pyspark.sql import SparkSession

    log_config = folder / "log4j2.properties"
    log_config.write_text(_SPARK_LOG_CONFIG, encoding="utf-8")
    builder = SparkSession.builder.appName("chronicle match")
    local = master is not None and _local_master(master)
    options = {
        "spark.ui.enabled": "false",
        "spark.ui.showConsoleProgress": "false",
        "spark.sql.shuffle.partitions": "4",
        "spark.default.parallelism": "4",
        "spark.sql.execution.arrow.pyspark.enabled": "true",
        "spark.sql.warehouse.dir": str(folder / "warehouse"),
    }
    if master is not None:
        builder = builder.master(master)
        options["spark.driver.extraJavaOptions"] = f"-Dlog4j2.configurationFile={log_config.as_uri()}"
    if local:
        options.update({
            "spark.local.dir": str(folder / "local"),
            "spark.driver.bindAddress": "127.0.0.1",
            "spark.driver.host": "127.0.0.1",
        })
    for key, value in options.items():
        builder = builder.config(key, value)
    # Python workers of a local Spark run this interpreter (with pandas and rapidfuzz); the context reads
    # PYSPARK_PYTHON once, when it starts.
    python = os.environ.get("PYSPARK_PYTHON")
    if local and python is None:
        os.environ["PYSPARK_PYTHON"] = sys.executable
    try:
        session = builder.getOrCreate()
    finally:
        if local and python is None:
            os.environ.pop("PYSPARK_PYTHON", None)
    session.sparkContext.setLogLevel("ERROR")
    return session


def _jaro_winkler_udf():
    """A vectorised Spark function equal to DuckDB's jaro_winkler_similarity (rapidfuzz's algorithm, which
    DuckDB's is taken from); None when either side is None.

    Made in a closure so that Spark ships the function itself to the executors: they need pandas, pyarrow and
    rapidfuzz, not chronicle.
    """
    import pandas as pd
    from pyspark.sql.functions import pandas_udf
    from pyspark.sql.types import DoubleType

    def jaro_winkler(left, right):
        import pandas as pd
        from rapidfuzz.distance import JaroWinkler

        # A missing value reaches the function as None, NaN or pd.NA, by the pandas and pyarrow versions.
        scores = [
            None if pd.isna(a) or pd.isna(b) else JaroWinkler.similarity(a, b) for a, b in zip(left, right, strict=True)
        ]
        return pd.Series(pd.array(scores, dtype="Float64"), index=left.index)

    jaro_winkler.__annotations__ = {"left": pd.Series, "right": pd.Series, "return": pd.Series}
    return pandas_udf(jaro_winkler, DoubleType())


def register_spark_functions(session) -> None:
    """Register on `session` the functions `engine_sql` writes (`SPARK_JARO_WINKLER`), for running the settings'
    SQL by hand; matching on Spark does it itself."""
    session.udf.register(SPARK_JARO_WINKLER, _jaro_winkler_udf())


def _splink_views(session) -> set[str]:
    return {row.tableName for row in session.sql("SHOW TABLES LIKE '__splink__*'").collect() if row.isTemporary}


def _spark_api(session):
    """Splink's Spark backend on `session`: intermediate tables are written as parquet into the session's
    checkpoint folder when it has one (on a cluster, set it to shared storage), otherwise persisted (in
    memory, spilling to the local folders: a new local session's are in its private folder)."""
    from splink import SparkAPI

    has_folder = not session.sparkContext._jsc.sc().getCheckpointDir().isEmpty()
    register_spark_functions(session)
    return SparkAPI(spark_session=session, break_lineage_method="parquet" if has_folder else "persist",
                    register_udfs_automatically=False)


# --------------------------------------------------------------------------
# Matching


def match_records(
    records: list[dict[str, Any]], settings: MatchSettings | None = None, engine: str = "duckdb", spark: Any = None
) -> list[dict[str, str]]:
    """A cluster id for every record, in the order of the input: `[{"record_id", "cluster_id"}]`.

    Records need `record_id` and `name`; `birth_date`, `gender` and `region`
    may be missing or None. Record ids must be distinct. `engine` is "duckdb"
    (in this process) or "spark" (Splink's Spark backend; `spark` is a
    SparkSession, a master URL or None, see `spark_session`). The two run
    the same settings and give the same clusters, except where u is
    estimated from random pairs (from `train_min_records` records on), which
    each engine samples its own way.
    """
    settings = settings or MatchSettings()
    _check_engine(engine)
    ids = [str(record["record_id"]) for record in records]
    if len(set(ids)) != len(ids):
        raise InputError("record ids must be distinct")
    if not records:
        return []
    edges = []
    if len(records) > 1:
        edges = predict_pairs(records, settings, threshold=settings.threshold, engine=engine, spark=spark)
    return clusters_from_edges(ids, [(a, b) for a, b, _ in edges])


def _check_engine(engine: str) -> None:
    if engine not in ENGINES:
        raise InputError(f"unknown matching engine {engine!r}: use {' or '.join(ENGINES)}")
    if engine == "spark":
        _require_pyspark()


PREPARED_COLUMNS = {
    "unique_id": "string", "sn": "string", "sn4": "string", "gg": "string", "gk": "string", "g_known": "boolean",
    "pk": "string", "tk": "string", "byear": "bigint", "bmonth": "bigint", "bday": "bigint", "sex": "string",
    "reg": "string", "raw_name": "string", "raw_birth": "string", "raw_region": "string",
}
"""The columns of `prepare_record` and their SQL types, as both engines receive them."""


def _prepared_frame(records: list[dict[str, Any]]):
    import pandas as pd

    prepared = pd.DataFrame([prepare_record(record) for record in records], columns=list(PREPARED_COLUMNS))
    for column, kind in PREPARED_COLUMNS.items():
        if kind == "bigint":
            prepared[column] = prepared[column].astype("Int64")
        elif kind == "boolean":
            prepared[column] = prepared[column].astype(bool)
        else:
            prepared[column] = prepared[column].astype(object).where(prepared[column].notna(), None)
    return prepared


def predict_pairs(
    records: list[dict[str, Any]],
    settings: MatchSettings,
    threshold: float | None = None,
    engine: str = "duckdb",
    spark: Any = None,
) -> list[tuple[str, str, float]]:
    """The scored pairs (record id, record id, match probability) at or above `threshold`."""
    _check_engine(engine)
    prepared = _prepared_frame(records)
    if engine == "spark":
        with spark_session(spark) as session:
            before = _splink_views(session)
            try:
                schema = ", ".join(f"{column} {kind}" for column, kind in PREPARED_COLUMNS.items())
                table = session.createDataFrame(prepared.astype(object).where(prepared.notna(), None), schema=schema)
                return _predict(_spark_api(session), table, settings, len(records), threshold, engine)
            finally:  # the session outlives the match: drop (and uncache) the tables Splink made in it
                for name in _splink_views(session) - before:
                    session.catalog.dropTempView(name)
    import duckdb
    from splink import DuckDBAPI

    # DuckDB spills what does not fit in memory to disk: into a private temporary folder, removed afterwards,
    # never into the working folder (its default), where a large match would leave gigabytes behind.
    with tempfile.TemporaryDirectory(prefix="chronicle-match-") as spill:
        connection = duckdb.connect(":memory:", config={"temp_directory": spill})
        try:
            return _predict(DuckDBAPI(connection), prepared, settings, len(records), threshold, engine)
        finally:
            connection.close()


def _predict(
    db_api, table, settings: MatchSettings, count: int, threshold: float | None, engine: str
) -> list[tuple[str, str, float]]:
    from splink import Linker

    _quiet_splink()
    linker = Linker(db_api.register(table), splink_settings(settings, count, engine), log_level=None)
    training = settings.training
    if training == "auto":
        training = "u" if count >= settings.train_min_records else "fixed"
    if training in ("u", "em"):
        linker.training.estimate_u_using_random_sampling(max_pairs=settings.max_pairs_for_u, seed=settings.seed)
    if training == "em":
        rule = "l.sn = r.sn" if settings.model == "chronicle" else "l.raw_name = r.raw_name"
        try:
            linker.training.estimate_parameters_using_expectation_maximisation(rule)
        except Exception as error:  # noqa: BLE001 -- EM may fail to find pairs or diverge on odd input: keep the fixed m
            logging.getLogger(__name__).warning("EM did not run (%s); the fixed m probabilities are used", error)
    predictions = linker.inference.predict(threshold_match_probability=threshold)
    scored = predictions.as_pandas_dataframe()
    return [
        (str(a), str(b), float(p))
        for a, b, p in zip(scored["unique_id_l"], scored["unique_id_r"], scored["match_probability"], strict=True)
    ]


def _quiet_splink() -> None:
    for name in ("splink", "splink.internals"):
        logging.getLogger(name).setLevel(logging.ERROR)


def clusters_from_edges(ids: list[str], edges: list[tuple[str, str]]) -> list[dict[str, str]]:
    """Connected components of the pairs (union-find); the cluster id is the smallest record id of each.

    Record ids are compared as numbers when they all are numbers, otherwise as text.
    """
    parent = {record_id: record_id for record_id in ids}

    def root(node: str) -> str:
        while parent[node] != node:
            parent[node] = parent[parent[node]]
            node = parent[node]
        return node

    for a, b in edges:
        ra, rb = root(a), root(b)
        if ra != rb:
            parent[rb] = ra
    numeric = all(re.fullmatch(r"-?[0-9]+", record_id) for record_id in ids)
    order = (lambda value: (int(value), value)) if numeric else (lambda value: (0, value))
    smallest: dict[str, str] = {}
    for record_id in ids:
        top = root(record_id)
        if top not in smallest or order(record_id) < order(smallest[top]):
            smallest[top] = record_id
    return [{"record_id": record_id, "cluster_id": smallest[root(record_id)]} for record_id in ids]


def write_clusters_csv(clusters: list[dict[str, str]], stream) -> None:
    """`record_id,cluster_id` rows with a header, as `chronicle match --csv` prints them."""
    writer = csv.writer(stream, lineterminator="\n")
    writer.writerow(["record_id", "cluster_id"])
    for row in clusters:
        writer.writerow([row["record_id"], row["cluster_id"]])


def clusters_json(clusters: list[dict[str, str]]) -> str:
    """The JSON `chronicle match --json` prints: `[{"record_id": ..., "cluster_id": ...}]`."""
    return json.dumps(clusters, ensure_ascii=False, indent=1)


__all__ = [
    "ENGINES",
    "REGIONS",
    "MatchSettings",
    "clusters_from_edges",
    "clusters_json",
    "engine_sql",
    "match_records",
    "normalise_gender",
    "normalise_region",
    "predict_pairs",
    "prepare_record",
    "read_match_csv",
    "register_spark_functions",
    "spark_session",
    "write_clusters_csv",
]
