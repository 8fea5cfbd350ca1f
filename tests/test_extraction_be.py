"""Belarusian extraction (issue 4): numbers, qualifiers, time phrases, claims, events for register names."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import jsonschema
import pytest

from chronicle.extraction import detect_language, extract
from chronicle.extraction.belarusian import find_numbers, parse_number, resolve

SCHEMA = json.loads((Path(__file__).parents[1] / "chronicle" / "extraction" / "schema.json").read_text())
P = date(2025, 7, 8)  # a Tuesday
BLANK = {"category": None, "case": None, "organisation": None, "region": None}


def run(text: str, published: date = P, **kw) -> dict:
    answer = extract(text, published=published, **kw)
    jsonschema.validate(answer, SCHEMA)
    assert answer["language"] == "be"
    for item in answer["claims"] + answer["events"]:
        start, end = item["span"]
        assert text[start:end] == item["text"]
    return answer


@pytest.mark.parametrize("text, value", [
    ("1 174", 1174), ("1\u00a0174", 1174), ("1174", 1174), ("38", 38), ("адзін", 1), ("дзве", 2), ("тры", 3),
    ("чатыры", 4), ("пяць", 5), ("чатырнаццаць", 14), ("дваццаць адзін", 21), ("трыццаць", 30), ("сорак", 40),
    ("пяцьдзясят", 50), ("сто", 100), ("дзвесце", 200), ("трыста", 300), ("сто дванаццаць", 112),
    ("дзве тысячы трыста", 2300), ("тысяча", 1000),
])
def test_numbers(text, value):
    assert parse_number(text) == value
    assert [n.value for n in find_numbers(f"было {text} чалавек")] == [value]


@pytest.mark.parametrize("text", ["дзясяткі чалавек", "сотні затрыманых", "тысячы", "1.174 чалавек", "1,5 чалавека"])
def test_not_numbers(text):
    assert find_numbers(text) == []


@pytest.mark.parametrize("words, qualifier", [
    ("не менш за", "at_least"), ("не менш як", "at_least"), ("прынамсі", "at_least"), ("больш за", "more_than"),
    ("больш як", "more_than"), ("звыш", "more_than"), ("каля", "about"), ("прыкладна", "about"), ("амаль", "about"),
    ("да", "at_most"), ("не больш за", "at_most"), ("", "exact"),
])
def test_qualifiers(words, qualifier):
    text = f"У мінулым месяцы затрыманы {words} 60 чалавек.".replace("  ", " ")
    [claim] = run(text)["claims"]
    assert (claim["metric"], claim["value"], claim["qualifier"]) == ("arrests", 60, qualifier)
    assert claim["period"] == {"from": "2025-06-01", "to": "2025-06-30"} and claim["as_of"] is None


@pytest.mark.parametrize("phrase, start, end, precision", [
    ("у мінулым месяцы", "2025-06-01", "2025-06-30", "month"), ("у гэтым месяцы", "2025-07-01", "2025-07-08", "month"),
    ("у траўні", "2025-05-01", "2025-05-31", "month"), ("у жніўні", "2024-08-01", "2024-08-31", "month"),
    ("у студзені", "2025-01-01", "2025-01-31", "month"), ("у снежні", "2024-12-01", "2024-12-31", "month"),
    ("у траўні 2024 года", "2024-05-01", "2024-05-31", "month"), ("з ліпеня 2024 года", "2024-07-01", "2025-07-08", "range"),
    ("сёлета", "2025-01-01", "2025-07-08", "year"), ("у гэтым годзе", "2025-01-01", "2025-07-08", "year"),
    ("летась", "2024-01-01", "2024-12-31", "year"), ("у мінулым годзе", "2024-01-01", "2024-12-31", "year"),
    ("на мінулым тыдні", "2025-06-30", "2025-07-06", "week"), ("у панядзелак", "2025-07-07", "2025-07-07", "day"),
    ("ў аўторак", "2025-07-01", "2025-07-01", "day"), ("у пятніцу", "2025-07-04", "2025-07-04", "day"),
    ("учора", "2025-07-07", "2025-07-07", "day"), ("сёння", "2025-07-08", "2025-07-08", "day"),
    ("7 ліпеня 2025 года", "2025-07-07", "2025-07-07", "day"), ("25 снежня", "2024-12-25", "2024-12-25", "day"),
    ("3 лютага", "2025-02-03", "2025-02-03", "day"), ("з 2020 года", "2020-01-01", "2025-07-08", "range"),
])
def test_time_phrases(phrase, start, end, precision):
    ref = resolve(phrase, P)
    assert (ref.start.isoformat(), ref.end.isoformat(), ref.precision) == (start, end, precision)


def test_whole_text_exact():
    text = ("У панядзелак у Мінску затрымалі спевака Алега Хаменку, паведамляе праваабарончы цэнтр «Вясна». "
            "Паводле звестак «Вясны», у Беларусі 1 174 палітвязні, з іх 38 журналістаў. "
            "Сёлета вызвалены не менш за 200 чалавек.")
    answer = run(text, gazetteer=["Алег Хаменка"])
    assert answer["language"] == "be"
    assert [{k: c[k] for k in ("metric", "value", "qualifier", "period", "as_of", "subset", "attributed_to")}
            for c in answer["claims"]] == [
        {"metric": "political_prisoners", "value": 1174, "qualifier": "exact", "period": None, "as_of": "2025-07-08",
         "subset": BLANK, "attributed_to": "Viasna"},
        {"metric": "political_prisoners", "value": 38, "qualifier": "exact", "period": None, "as_of": "2025-07-08",
         "subset": {**BLANK, "category": "journalist"}, "attributed_to": "Viasna"},
        {"metric": "releases", "value": 200, "qualifier": "at_least", "period": {"from": "2025-01-01", "to": "2025-07-08"},
         "as_of": None, "subset": BLANK, "attributed_to": None},
    ]
    assert answer["events"] == [{
        "type": "detained", "person": "Алег Хаменка", "date": "2025-07-07", "date_precision": "day", "place": None,
        "destination": None, "case": None, "organisation": None, "role": "singer",
        "span": [text.index("затрымалі"), text.index(", паведамляе")], "text": "затрымалі спевака Алега Хаменку",
    }]


@pytest.mark.parametrize("sentence, metric, value", [
    ("У мінулым месяцы памілаваны 16 чалавек.", "pardons", 16),
    ("На мінулым тыдні выдвараны ў Літву 14 чалавек.", "deportations", 14),
    ("У траўні асуджаны 45 чалавек.", "convictions", 45),
    ("На волю выйшлі 12 палітвязняў у мінулым месяцы.", "political_prisoners", 12),
    ("У мінулым месяцы 30 чалавек прызнаныя палітвязнямі.", "new_recognitions", 30),
    ("У Беларусі 1 150 палітычных вязняў.", "political_prisoners", 1150),
])
def test_claim_metrics(sentence, metric, value):
    claims = run(sentence)["claims"]
    assert [(c["metric"], c["value"]) for c in claims] == [(metric, value)]


def test_events_only_for_gazetteer_names():
    text = ("Учора журналіст Ігар Лосік быў памілаваны і выдвараны ў Літву. "
            "7 ліпеня 2025 года асуджаны Андрэй Пачобут. Кастусь Каліноўскі затрыманы ў панядзелак.")
    events = run(text, gazetteer=["Ігар Лосік"])["events"]
    assert [(e["type"], e["person"], e["date"], e["destination"], e["role"]) for e in events] == [
        ("pardoned", "Ігар Лосік", "2025-07-07", None, "journalist"),
        ("deported", "Ігар Лосік", "2025-07-07", "Lithuania", "journalist"),
    ]
    events = run(text, gazetteer=["Ігар Лосік", "Андрэй Пачобут"])["events"]
    assert ("convicted", "Андрэй Пачобут", "2025-07-07", "day") in [
        (e["type"], e["person"], e["date"], e["date_precision"]) for e in events]


def test_event_verbs_and_dates():
    names = ["Ігар Лосік"]
    cases = [
        ("У траўні Ігара Лосіка прысудзілі да 15 гадоў.", "convicted", "2025-05", "month"),
        ("Ігар Лосік вызвалены.", "released", "2025-07-08", "day"),
        ("Ігар Лосік памёр у калоніі летась.", "died", "2024", "year"),
        ("Ігар Лосік прызнаны палітвязнем.", "recognized", "2025-07-08", "day"),
    ]
    for text, kind, when, precision in cases:
        events = run(text, gazetteer=names)["events"]
        assert [(e["type"], e["person"], e["date"], e["date_precision"]) for e in events] == [
            (kind, "Ігар Лосік", when, precision)], text


def test_acting_and_not_happened_are_not_events():
    names = ["Аляксандр Лукашэнка", "Ігар Лосік"]
    assert run("Аляксандр Лукашэнка памілаваў 16 чалавек.", gazetteer=names)["events"] == []
    assert run("Ігару Лосіку пагражае затрыманне, а яго могуць затрымаць.", gazetteer=names)["events"] == []


def test_language_detection():
    assert detect_language("Сёння ў Мінску затрымалі спевака Алега Хаменку.") == "be"
    assert detect_language("Сегодня в Минске задержали певца Олега Хаменко.") == "ru"
    assert extract("Сёння ў Мінску затрымалі сто чалавек.", published=P)["language"] == "be"
