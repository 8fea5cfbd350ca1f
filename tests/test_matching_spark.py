"""chronicle.matching on Spark: the same clusters as DuckDB, the command line's shapes, a missing pyspark.

One local Spark (`spark_session()`, local[2]) per test process serves the module. Without
pyspark these tests are skipped, except under CI=true where that is a failure.
"""

from __future__ import annotations

import csv
import json
import os
import sys

import pytest
from match_set import build_match_set, pairwise_scores

from chronicle.errors import InputError
from chronicle.matching import (
    MATCH_COLUMNS,
    SPARK_JARO_WINKLER,
    MatchSettings,
    engine_sql,
    match_records,
    predict_pairs,
    register_spark_functions,
    spark_session,
)

try:
    import pyspark  # noqa: F401
except ImportError:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail("CI=true and pyspark is not installed: pip install -e '.[test]'", pytrace=False)
    pytest.skip("pyspark is not installed: pip install -e '.[spark]'", allow_module_level=True)


@pytest.fixture(scope="module")
def spark():
    with spark_session() as session:
        yield session


@pytest.fixture(scope="module")
def match_set():
    return build_match_set()


def test_the_match_set_gives_the_same_clusters_as_duckdb(spark, match_set):
    records, truth = match_set
    on_spark = match_records(records, engine="spark", spark=spark)
    assert on_spark == match_records(records)
    assert pairwise_scores({c["record_id"]: c["cluster_id"] for c in on_spark}, truth)["f1"] >= 0.93


def test_every_scored_pair_has_the_duckdb_probability(spark, match_set):
    records, _ = match_set
    on_duckdb = {(a, b): p for a, b, p in predict_pairs(records, MatchSettings(), threshold=None)}
    on_spark = {(a, b): p for a, b, p in predict_pairs(records, MatchSettings(), threshold=None, engine="spark", spark=spark)}
    assert on_spark.keys() == on_duckdb.keys()
    assert all(on_spark[pair] == pytest.approx(on_duckdb[pair], rel=1e-9, abs=1e-12) for pair in on_duckdb)


def test_the_plain_model_gives_the_same_clusters(spark):
    records, _ = build_match_set(count=40, seed=7)
    settings = MatchSettings(model="plain")
    assert match_records(records, settings, engine="spark", spark=spark) == match_records(records, settings)


def test_jaro_winkler_on_spark_is_duckdbs(spark):
    import duckdb

    pairs = [("aduard", "uladimir"), ("aksana", "ksana"), ("eduard lemeshevich", "eduard liamiashevich"),
             ("сяргей", "сергей"), ("tsikhanouski", "tsikhanouskaya"), ("abc", None)]
    register_spark_functions(spark)
    spark.createDataFrame(pairs, "a string, b string").createOrReplaceTempView("chronicle_jw_pairs")
    sql = engine_sql("jaro_winkler_similarity(a, b)", "spark")
    on_spark = [row[0] for row in spark.sql(f"SELECT {sql} FROM chronicle_jw_pairs").collect()]
    connection = duckdb.connect()
    on_duckdb = [connection.execute("SELECT jaro_winkler_similarity(?, ?)", [a, b]).fetchall()[0][0] for a, b in pairs]
    assert on_spark[-1] is None and on_duckdb[-1] is None
    assert on_spark[:-1] == pytest.approx(on_duckdb[:-1], rel=0, abs=1e-12)
    spark.catalog.dropTempView("chronicle_jw_pairs")


def test_the_settings_sql_is_translated_for_spark():
    overlap = "list_has_any(string_split(gg_l, '|'), string_split(gg_r, '|'))"
    assert engine_sql(overlap, "duckdb") == overlap
    assert engine_sql(overlap, "spark").startswith("ARRAYS_OVERLAP(SPLIT(gg_l,")
    assert engine_sql("jaro_winkler_similarity(sn_l, sn_r) >= 0.92", "spark").lower() == f"{SPARK_JARO_WINKLER}(sn_l, sn_r) >= 0.92"
    assert engine_sql("ELSE", "spark") == "ELSE"


def test_tiny_inputs_and_a_session_left_clean(spark):
    assert match_records([], engine="spark", spark=spark) == []
    assert match_records([{"record_id": "9", "name": "Ales Bialiatski"}], engine="spark", spark=spark) == [
        {"record_id": "9", "cluster_id": "9"}
    ]
    records = [
        {"record_id": "1", "name": "Сяргей Ціханоўскі", "birth_date": "1978-08-18"},
        {"record_id": "2", "name": "Sergei Tikhanovsky", "birth_date": "1978-08-18"},
    ]
    assert [c["cluster_id"] for c in match_records(records, engine="spark", spark=spark)] == ["1", "1"]
    assert not [table.name for table in spark.catalog.listTables() if table.name.startswith("__splink__")]


def _names_csv(tmp_path):
    """A CSV of a small cross-script set (tests/match_set.py), with every column."""
    records, _ = build_match_set(count=12, seed=5)
    path = tmp_path / "names.csv"
    with path.open("w", newline="", encoding="utf-8") as stream:
        writer = csv.DictWriter(stream, fieldnames=MATCH_COLUMNS, extrasaction="ignore", lineterminator="\n")
        writer.writeheader()
        writer.writerows(records)
    return path, [record["record_id"] for record in records]


def test_the_match_command_on_spark_prints_the_spec_shapes(spark, tmp_path):
    from typer.testing import CliRunner

    from chronicle.cli import app

    path, ids = _names_csv(tmp_path)
    runner = CliRunner()
    result = runner.invoke(app, ["match", str(path), "--engine", "spark", "--json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert all(sorted(row) == ["cluster_id", "record_id"] for row in rows)
    assert [row["record_id"] for row in rows] == ids
    assert len({row["cluster_id"] for row in rows}) < len(ids)  # some spellings were joined
    on_duckdb = runner.invoke(app, ["match", str(path), "--json"])
    assert on_duckdb.exit_code == 0 and on_duckdb.stdout == result.stdout
    result = runner.invoke(app, ["match", str(path), "--engine", "spark", "--csv", "--spark-master", spark.sparkContext.master])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == "record_id,cluster_id"
    assert lines[1:] == [f"{row['record_id']},{row['cluster_id']}" for row in rows]


def test_the_match_command_refuses_bad_engine_options(spark, tmp_path):
    from typer.testing import CliRunner

    from chronicle.cli import app

    path, _ = _names_csv(tmp_path)
    runner = CliRunner()
    result = runner.invoke(app, ["match", str(path), "--engine", "hadoop"])
    assert result.exit_code == 2 and "duckdb or spark" in result.output
    result = runner.invoke(app, ["match", str(path), "--spark-master", "local[2]"])
    assert result.exit_code == 2 and "--engine spark" in result.output
    result = runner.invoke(app, ["match", str(path), "--engine", "spark", "--spark-master", "sc://localhost:15002"])
    assert result.exit_code == 1 and "Spark Connect" in result.stderr
    result = runner.invoke(app, ["match", str(path), "--engine", "spark", "--spark-master", "spark://198.51.100.1:7077"])
    assert result.exit_code == 1 and "already running" in result.stderr


def test_without_pyspark_the_spark_engine_says_what_to_install(monkeypatch, tmp_path):
    from typer.testing import CliRunner

    from chronicle.cli import app

    monkeypatch.setitem(sys.modules, "pyspark", None)  # as if it were not installed: importing it fails
    records = [{"record_id": "1", "name": "A B"}, {"record_id": "2", "name": "A C"}]
    for given in (records, []):
        with pytest.raises(InputError, match=r"needs pyspark.*pip install 'chronicle\[spark\]'"):
            match_records(given, engine="spark")
    assert match_records(records) == [{"record_id": "1", "cluster_id": "1"}, {"record_id": "2", "cluster_id": "2"}]
    result = CliRunner().invoke(app, ["match", str(_names_csv(tmp_path)[0]), "--engine", "spark"])
    assert result.exit_code == 1 and "pip install 'chronicle[spark]'" in result.stderr
