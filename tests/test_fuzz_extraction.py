"""Bad input, part 2: the extraction on random and adversarial texts in English, Russian and Belarusian (issue 7).

`chronicle.extraction.extract` and `chronicle extract --json` get texts that
hypothesis makes from pieces of real reports (names, numbers in words and
digits, relative dates, quotes, markup, NUL and other control characters,
lone surrogates, right-to-left overrides, very long words): no exception
escapes, and the answer has the shape of spec/extraction.md (the JSON schema
of chronicle/extraction/schema.json), every span pointing at the text it quotes.
Few examples: the Russian reader (natasha) is slow.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_fuzz import PAYLOADS, assert_no_traceback
from typer.testing import CliRunner

from chronicle.cli import app
from chronicle.errors import InputError
from chronicle.extraction import extract

SCHEMA = json.loads((Path(__file__).parents[1] / "chronicle" / "extraction" / "schema.json").read_text())
BOUNDS = settings(max_examples=15, deadline=None, derandomize=True, database=None, suppress_health_check=list(HealthCheck))

PIECES = {
    "en": ["Police detained journalist Ihar Losik in Minsk on Monday.", "At least 60 more people were arrested last month,",
           "said Viasna.", "Tsikhanouski and 13 others were released", "and brought to Lithuania.", "1,174 political prisoners",
           "fourteen", "a dozen", "dozens", "since July 2024", "in May", "on 31 February", "99999999999999999999 people",
           "was sentenced to 18 years", "Mr.", "\"", "(", ")", "—", "…"],
    "ru": ["Задержан журналист Игорь Лосик.", "Не менее 60 человек арестованы в прошлом месяце,", "сообщил Вясна.",
           "Тихановский и ещё 13 человек освобождены", "1 174 политзаключённых", "четырнадцать", "в мае", "с июля 2024 года",
           "приговорён к 18 годам колонии", "«", "»", "30 февраля"],
    "be": ["Затрымалі журналіста Ігара Лосіка.", "Не менш за 60 чалавек затрымалі ў мінулым месяцы,", "паведаміла Вясна.",
           "1 174 палітвязні", "чатырнаццаць", "у траўні", "вызвалілі", "асудзілі на 18 гадоў", "ў", "і"],
}
ODD = [*PAYLOADS, "\x00", "\x07", "\x1b[2J", "\ud800", "\u202e", "\u2028", "\ufeff", "\r\n", "\n\n\n", "\t", " " * 50,
       "x" * 5000, "1" * 400, "-" * 300, "................", "?!?!", "https://example.org/a?b=c", "🙂"]


def texts(language: str):
    piece = st.one_of(st.sampled_from(PIECES[language]), st.sampled_from(ODD), st.text(max_size=20))
    return st.lists(piece, max_size=12).map(" ".join)


def check_answer(answer: dict, text: str, published: date, language: str | None) -> None:
    jsonschema.validate(answer, SCHEMA)
    assert answer["published"] == published.isoformat()
    if language:
        assert answer["language"] == language
    for item in answer["claims"] + answer["events"]:
        start, end = item["span"]
        assert 0 <= start <= end <= len(text)
        assert text[start:end] == item["text"], "a span does not point at the text it quotes"


@pytest.mark.parametrize("language", ["en", "ru", "be", None])
def test_extraction_never_fails_and_answers_in_the_spec_shape(language: str | None):
    @BOUNDS
    @given(text=texts(language or "en") if language != "ru" else texts("ru"),
           published=st.dates(min_value=date(1990, 1, 1), max_value=date(2100, 12, 31)))
    def one(text, published):
        if "\ud800" in text:  # half a surrogate pair (a JSON escape makes one): refused, naming it
            with pytest.raises(InputError, match="surrogate"):
                extract(text, published=published, language=language)
            return
        check_answer(extract(text, published=published, language=language), text, published, language)

    one()


@pytest.mark.parametrize("language", ["en", "ru", "be"])
def test_chronicle_extract_json_refuses_or_answers_without_a_traceback(language: str, tmp_path: Path):
    database = str(tmp_path / "register.db")

    @settings(BOUNDS, max_examples=4)
    @given(text=texts(language), published=st.sampled_from(["2025-07-08", "2025-02-30", "yesterday", "", "9999-12-31"]))
    def one(text, published):
        raw = text.encode("utf-8", "surrogatepass")  # half a surrogate pair: a file that is not UTF-8
        (tmp_path / "text.txt").write_bytes(raw)
        result = CliRunner().invoke(app, ["--db", database, "extract", str(tmp_path / "text.txt"), "--published", published,
                                          "--lang", language, "--json"])
        assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
        assert_no_traceback(result.stdout + result.stderr, "chronicle extract")
        valid_text = "\ud800" not in text
        if published in ("2025-07-08", "9999-12-31") and valid_text:
            assert result.exit_code == 0, result.stderr
            check_answer(json.loads(result.stdout), text, date.fromisoformat(published), language)
        else:
            assert result.exit_code == 1 and result.stdout == "" and result.stderr.startswith("Error"), result.output

    one()


def test_the_extract_api_refuses_half_a_surrogate_pair(tmp_path: Path):
    from fastapi.testclient import TestClient

    from chronicle.database import Database
    from chronicle.web.app import WebSettings, create_app

    database = Database.open(str(tmp_path / "register.db"))
    try:
        client = TestClient(create_app(database, WebSettings(local_operator=True)))
        body = '{"text": "Police detained \\ud800 Ihar Losik on Monday.", "published": "2025-07-08"}'
        answer = client.post("/api/v1/extract", content=body.encode(), headers={"content-type": "application/json"})
        assert answer.status_code == 400 and "surrogate" in answer.json()["error"], answer.text
    finally:
        database.close()
