"""chronicle.matching: the cross-script test set's scores, hard negatives, bad input, settings."""

from __future__ import annotations

import io
import json

import pytest
from match_set import REGION_SPELLINGS, bcubed_scores, build_match_set, pairwise_scores

from chronicle.errors import InputError, PackageError
from chronicle.matching import (
    MatchSettings,
    clusters_from_edges,
    clusters_json,
    match_records,
    normalise_region,
    prepare_record,
    read_match_csv,
    write_clusters_csv,
)


@pytest.fixture(scope="module")
def scored():
    records, truth = build_match_set()
    clusters = match_records(records)
    return records, truth, clusters


def test_match_set_is_large_and_hard():
    records, truth = build_match_set()
    assert len(set(truth.values())) >= 100
    assert len(records) >= 400
    assert any(any("\u0400" <= char <= "\u04ff" for char in r["name"]) for r in records)


def test_every_row_gets_a_cluster(scored):
    records, _, clusters = scored
    assert [c["record_id"] for c in clusters] == [r["record_id"] for r in records]
    assert all(c["cluster_id"] for c in clusters)


def test_scores_reach_the_floors(scored):
    _, truth, clusters = scored
    predicted = {c["record_id"]: c["cluster_id"] for c in clusters}
    pairwise = pairwise_scores(predicted, truth)
    bcubed = bcubed_scores(predicted, truth)
    assert pairwise["precision"] >= 0.95, pairwise
    assert pairwise["recall"] >= 0.9, pairwise
    assert pairwise["f1"] >= 0.93, pairwise
    assert bcubed["f1"] >= 0.95, bcubed


def test_plain_model_is_worse_across_scripts():
    records, truth = build_match_set(count=40, seed=7)
    scores = {}
    for model in ("chronicle", "plain"):
        clusters = match_records(records, MatchSettings(model=model))
        scores[model] = pairwise_scores({c["record_id"]: c["cluster_id"] for c in clusters}, truth)["f1"]
    assert scores["chronicle"] > scores["plain"] + 0.3, scores


def test_scores_can_fail():
    truth = {"1": 1, "2": 1, "3": 2, "4": 2}
    everything = {key: 0 for key in truth}
    assert pairwise_scores(everything, truth)["precision"] == pytest.approx(2 / 6)
    assert pairwise_scores({"1": 1, "2": 2, "3": 3, "4": 4}, truth)["recall"] == 0.0
    assert bcubed_scores(truth, truth)["f1"] == 1.0


def _ids(records, clusters):
    return {c["record_id"]: c["cluster_id"] for c in clusters}


def test_spellings_of_one_person_join():
    records = [
        {"record_id": "1", "name": "Сяргей Ціханоўскі", "birth_date": "1978-08-18", "region": "Гомель"},
        {"record_id": "2", "name": "Sergei Tikhanovsky", "birth_date": "1978", "region": "Gomel"},
        {"record_id": "3", "name": "ТИХАНОВСКИЙ Сергей Леонидович", "birth_date": "1978-08"},
        {"record_id": "4", "name": "Siarhei Tsikhanouski"},
        {"record_id": "5", "name": "Siarhei Tsikhanoulski", "birth_date": "1978-08-18"},
    ]
    assert set(_ids(records, match_records(records)).values()) == {"1"}


def test_spouses_and_siblings_stay_apart():
    records = [
        {"record_id": "1", "name": "Siarhei Tsikhanouski", "birth_date": "1978-08-18", "region": "Homiel region"},
        {"record_id": "2", "name": "Сергей Тихановский", "birth_date": "1978-08-18"},
        {"record_id": "3", "name": "Sviatlana Tsikhanouskaya", "birth_date": "1982-09-11", "region": "Homiel region"},
        {"record_id": "4", "name": "Святлана Ціханоўская", "birth_date": "1982"},
        {"record_id": "5", "name": "ТИХАНОВСКИЙ Андрей Леонидович", "birth_date": "1980", "region": "Гомельская область"},
        {"record_id": "6", "name": "Andrei Tsikhanouski", "birth_date": "1980-02-01"},
        # a husband and wife without dates or regions: gender and given name still separate them
        {"record_id": "7", "name": "Aliaksandr Kazlou"},
        {"record_id": "8", "name": "Аляксандра Казлова"},
    ]
    clusters = _ids(records, match_records(records))
    assert clusters["1"] == clusters["2"] and clusters["3"] == clusters["4"] and clusters["5"] == clusters["6"]
    assert len({clusters["1"], clusters["3"], clusters["5"]}) == 3
    assert clusters["7"] != clusters["8"]


def test_namesakes_stay_apart():
    records = [
        {"record_id": "a", "name": "Ivan Ivanou", "birth_date": "1961-03-02", "region": "Brest region"},
        {"record_id": "b", "name": "Иван Иванов", "birth_date": "1961", "region": "Брестская область"},
        {"record_id": "c", "name": "Іван Іваноў", "birth_date": "1987-11-20", "region": "Viciebsk region"},
        {"record_id": "d", "name": "Ivan Ivanov", "birth_date": "1987-11", "region": "Витебская область"},
    ]
    clusters = _ids(records, match_records(records))
    assert clusters == {"a": "a", "b": "a", "c": "c", "d": "c"}


def test_single_record_and_empty_input():
    assert match_records([]) == []
    assert match_records([{"record_id": "9", "name": "Ales Bialiatski"}]) == [{"record_id": "9", "cluster_id": "9"}]


def test_duplicate_ids_and_unknown_engine_are_refused():
    with pytest.raises(InputError):
        match_records([{"record_id": "1", "name": "A B"}, {"record_id": "1", "name": "C D"}])
    with pytest.raises(InputError):
        match_records([{"record_id": "1", "name": "A B"}], engine="hadoop")


@pytest.mark.parametrize("code", sorted(REGION_SPELLINGS))
def test_region_spellings(code):
    assert {normalise_region(text) for text in REGION_SPELLINGS[code]} == {code}


def test_region_minsk_city_and_region_differ():
    assert normalise_region("Minsk") == "minsk_city"
    assert normalise_region("Минская область") == "minsk_region"
    assert normalise_region("") is None
    assert normalise_region("Vilnius") == normalise_region("Вильнюс")


def test_gender_inferred_when_missing():
    assert prepare_record({"record_id": 1, "name": "Sviatlana Tsikhanouskaya"})["sex"] == "f"
    assert prepare_record({"record_id": 1, "name": "Ціханоўская"})["sex"] == "f"
    assert prepare_record({"record_id": 1, "name": "Тихановский Сергей Леонидович"})["sex"] == "m"
    assert prepare_record({"record_id": 1, "name": "Kavalchuk", "gender": "F"})["sex"] == "f"


def test_settings_round_trip_through_json():
    settings = MatchSettings(threshold=0.8, training="fixed", blocking=["l.sn = r.sn"])
    again = MatchSettings.from_json(settings.to_json())
    assert again == settings
    assert json.loads(settings.to_json())["threshold"] == 0.8
    with pytest.raises(InputError):
        MatchSettings(threshold=1.5)
    with pytest.raises(InputError):
        MatchSettings.from_json('{"thresold": 0.5}')


def test_threshold_changes_the_clusters():
    records, _ = build_match_set(count=30, seed=3)
    loose = match_records(records, MatchSettings(threshold=0.01))
    strict = match_records(records, MatchSettings(threshold=0.9999))
    assert len({c["cluster_id"] for c in loose}) < len({c["cluster_id"] for c in strict})


def test_u_training_runs_on_request():
    records, truth = build_match_set(count=40, seed=11)
    clusters = match_records(records, MatchSettings(training="u", max_pairs_for_u=1e5))
    assert len(clusters) == len(records)
    assert pairwise_scores(_ids(records, clusters), truth)["f1"] >= 0.8


def test_clusters_from_edges_and_output():
    clusters = clusters_from_edges(["10", "2", "3"], [("10", "2")])
    assert clusters == [{"record_id": "10", "cluster_id": "2"}, {"record_id": "2", "cluster_id": "2"}, {"record_id": "3", "cluster_id": "3"}]
    stream = io.StringIO()
    write_clusters_csv(clusters, stream)
    assert stream.getvalue().splitlines() == ["record_id,cluster_id", "10,2", "2,2", "3,3"]
    assert json.loads(clusters_json(clusters))[0] == {"record_id": "10", "cluster_id": "2"}


# --------------------------------------------------------------------------
# Reading the CSV


def _write(tmp_path, content, name="records.csv"):
    path = tmp_path / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    return path


def _problems(path):
    with pytest.raises(PackageError) as raised:
        read_match_csv(path)
    return [(p.line, p.column, p.message) for p in raised.value.problems]


def test_read_good_csv(tmp_path):
    path = _write(tmp_path, "record_id,name,birth_date,gender,region\n1,Сяргей Ціханоўскі,1978-08,m,Гомель\n2,\"Tsikhanouski, Siarhei\",,,\n")
    records = read_match_csv(path)
    assert records[0] == {"record_id": "1", "name": "Сяргей Ціханоўскі", "birth_date": "1978-08", "gender": "m", "region": "Гомель"}
    assert records[1]["birth_date"] is None and records[1]["name"] == "Tsikhanouski, Siarhei"
    assert [c["record_id"] for c in match_records(records)] == ["1", "2"]


def test_read_only_required_columns(tmp_path):
    assert read_match_csv(_write(tmp_path, "name,record_id\nAles Bialiatski,x\n")) == [
        {"record_id": "x", "name": "Ales Bialiatski", "birth_date": None, "gender": None, "region": None}
    ]


def test_missing_required_columns(tmp_path):
    problems = _problems(_write(tmp_path, "id,full_name\n1,A B\n"))
    columns = {column for _, column, _ in problems}
    assert {"record_id", "name", "id", "full_name"} <= columns
    assert all(line == 1 for line, _, _ in problems)


def test_unknown_column(tmp_path):
    assert _problems(_write(tmp_path, "record_id,name,nickname\n1,A B,x\n")) == [
        (1, "nickname", "unknown column 'nickname': the columns are record_id, name, birth_date, gender, region")
    ]


def test_duplicate_record_ids(tmp_path):
    problems = _problems(_write(tmp_path, "record_id,name\n1,Ales Bialiatski\n2,Maria Kalesnikava\n1,Ihar Losik\n"))
    assert problems == [(4, "record_id", "the record id '1' is already used on line 2")]


def test_empty_and_punctuation_names(tmp_path):
    problems = _problems(_write(tmp_path, "record_id,name\n1,\n2,--- ...\n3,Ales Bialiatski\n"))
    assert [(line, column) for line, column, _ in problems] == [(2, "name"), (3, "name")]
    assert "no letters" in problems[1][2]


def test_very_long_name(tmp_path):
    problems = _problems(_write(tmp_path, "record_id,name\n1,Ales Bialiatski\n2," + "a" * 10_000 + "\n"))
    assert problems == [(3, "name", "the name is 10000 characters long; at most 500 are accepted")]


def test_not_utf8(tmp_path):
    content = b"record_id,name\n1,Ales Bialiatski\n" + "2,Сяргей\n".encode("cp1251")
    problems = _problems(_write(tmp_path, content))
    assert problems[0][0] == 3 and "UTF-8" in problems[0][2]


def test_bad_birth_date_and_gender(tmp_path):
    problems = _problems(_write(tmp_path, "record_id,name,birth_date,gender\n1,A B,1978-13,m\n2,C D,1978,x\n"))
    assert [(line, column) for line, column, _ in problems] == [(2, "birth_date"), (3, "gender")]


def test_empty_file_and_extra_cells(tmp_path):
    assert _problems(_write(tmp_path, ""))[0][2].startswith("the file is empty")
    assert _problems(_write(tmp_path, "record_id,name\n1,A B,extra\n")) == [(2, None, "the row has 3 cells, the header 2")]


def test_problem_names_the_file(tmp_path):
    with pytest.raises(PackageError) as raised:
        read_match_csv(_write(tmp_path, "record_id,name\n1,\n", name="people.csv"))
    assert "people.csv, line 2, column name: the name is empty" in str(raised.value)


def test_the_match_command_prints_a_cluster_for_every_row(tmp_path):
    from typer.testing import CliRunner

    from chronicle.cli import app

    path = tmp_path / "names.csv"
    path.write_text(
        "record_id,name,birth_date,gender\n"
        "1,Сяргей Ціханоўскі,1978-08-18,m\n"
        "2,Sergei Tikhanovsky,1978-08-18,m\n"
        "3,TSIKHANOUSKI Siarhei,1978,\n"
        "4,Sviatlana Tsikhanouskaya,1982-09-11,f\n",
        encoding="utf-8",
    )
    runner = CliRunner()
    result = runner.invoke(app, ["match", str(path), "--json"])
    assert result.exit_code == 0, result.output
    clusters = {row["record_id"]: row["cluster_id"] for row in json.loads(result.stdout)}
    assert clusters["1"] == clusters["2"] == clusters["3"] != clusters["4"]
    result = runner.invoke(app, ["match", str(path)])
    assert result.stdout.splitlines()[0] == "record_id,cluster_id" and len(result.stdout.splitlines()) == 5
    path.write_text("id,name\n1,X\n", encoding="utf-8")
    result = runner.invoke(app, ["match", str(path)])
    assert result.exit_code == 1 and "names.csv" in result.stderr
