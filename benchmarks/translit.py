"""Benchmark: link Russian spellings of personal names to their Latin spellings, keys against a baseline.

Data: Wikidata pairs of a Latin-script name token and its Russian spelling
(`../shared/data/translit/`, Merhav and Ash 2018). The task, for one split:
for each distinct Russian spelling, pick its Latin spelling among all the
distinct Latin spellings of the split, or none. A pick is correct when the
(Latin, Russian) pair is in the split.

- precision = correct picks / picks; recall = correct picks / Russian
  spellings; F1 their harmonic mean.
- keys (`chronicle.names`): a Latin token whose `latin_key` equals the
  Russian word's key is picked; otherwise the best Jaro-Winkler similarity of
  keys within the block of keys that share the first two letters, if it
  reaches the threshold. Several Latin tokens with the best key are told
  apart by the similarity of their plain Latin (`to_plain_latin`).
- baseline: ICU's Russian-Latin/BGN transliteration (then Latin-ASCII) of
  the Russian word against the Latin token folded to ASCII by ICU: equal
  strings first, otherwise the best Jaro-Winkler similarity of the raw
  strings within the block of the same first two letters, above its threshold.

Each threshold is the one with the best F1 on the train split
(wd_russian_80); the figures are on the test split (wd_russian_20), which
tunes nothing.

    python benchmarks/translit.py
    python benchmarks/translit.py --data ../shared/data/translit --tune-sample 40000
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import icu
from rapidfuzz import process
from rapidfuzz.distance import JaroWinkler

from chronicle.names import latin_key, to_plain_latin

DEFAULT_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "translit"
BLOCK_PREFIX = 2


@dataclass
class Split:
    """Distinct Russian spellings with their gold Latin spellings, and every distinct Latin spelling."""

    gold: dict[str, set[str]]
    latin: list[str]


def read_split(path: Path) -> Split:
    gold: dict[str, set[str]] = defaultdict(set)
    for line in path.read_text(encoding="utf-8").splitlines():
        parts = line.split("\t")
        if len(parts) < 2:
            continue
        latin, russian = parts[0].strip(), parts[1].replace(" ", "").strip()
        if latin and russian:
            gold[russian].add(latin)
    latin = sorted({token for tokens in gold.values() for token in tokens})
    return Split(dict(gold), latin)


@dataclass
class Method:
    """How a method writes a Russian word and a Latin token for comparing, and how it breaks ties."""

    name: str
    russian_form: callable
    latin_form: callable
    tie_form_russian: callable
    tie_form_latin: callable


def keys_method() -> Method:
    return Method("keys (chronicle.names)", latin_key, latin_key, to_plain_latin, to_plain_latin)


def baseline_method() -> Method:
    russian = icu.Transliterator.createInstance("Russian-Latin/BGN; Latin-ASCII; Lower")
    latin = icu.Transliterator.createInstance("Any-Latin; Latin-ASCII; Lower")

    def russian_form(word: str) -> str:
        return "".join(char for char in russian.transliterate(word) if char.isalpha())

    def latin_form(word: str) -> str:
        return "".join(char for char in latin.transliterate(word) if char.isalpha())

    return Method("baseline (ICU Russian-Latin/BGN + Jaro-Winkler)", russian_form, latin_form, russian_form, str.lower)


def best_links(method: Method, split: Split, queries: list[str]) -> dict[str, tuple[str, float]]:
    """For each Russian word, the best Latin token and its score (1.0 for equal forms)."""
    by_form: dict[str, list[str]] = defaultdict(list)
    for token in split.latin:
        by_form[method.latin_form(token)].append(token)
    blocks: dict[str, list[str]] = defaultdict(list)
    for form in by_form:
        blocks[form[:BLOCK_PREFIX]].append(form)

    links = {}
    for russian in queries:
        form = method.russian_form(russian)
        if not form:
            continue
        if form in by_form:
            best_form, score = form, 1.0
        else:
            found = process.extractOne(form, blocks.get(form[:BLOCK_PREFIX], ()), scorer=JaroWinkler.normalized_similarity)
            if found is None:
                continue
            best_form, score = found[0], found[1]
        candidates = by_form[best_form]
        if len(candidates) > 1:
            tie = method.tie_form_russian(russian)
            candidates = sorted(candidates, key=lambda token: (-JaroWinkler.normalized_similarity(tie, method.tie_form_latin(token)), token))
        links[russian] = (candidates[0], score)
    return links


@dataclass
class Scores:
    threshold: float
    picks: int
    correct: int
    queries: int

    @property
    def precision(self) -> float:
        return self.correct / self.picks if self.picks else 0.0

    @property
    def recall(self) -> float:
        return self.correct / self.queries if self.queries else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


def score(links: dict[str, tuple[str, float]], gold: dict[str, set[str]], queries: list[str], threshold: float) -> Scores:
    picks = correct = 0
    for russian in queries:
        link = links.get(russian)
        if link is None or link[1] < threshold:
            continue
        picks += 1
        correct += link[0] in gold[russian]
    return Scores(threshold, picks, correct, len(queries))


def tune(links, gold, queries) -> Scores:
    """The threshold with the best F1, from 0.70 to 1.00 in steps of 0.005."""
    thresholds = [0.70 + step * 0.005 for step in range(61)]
    return max((score(links, gold, queries, threshold) for threshold in thresholds), key=lambda s: (s.f1, s.threshold))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="folder with wd_russian_80 and wd_russian_20")
    parser.add_argument("--tune-sample", type=int, default=0, help="tune on this many Russian words of wd_russian_80 (0: all)")
    args = parser.parse_args(argv)

    train, test = read_split(args.data / "wd_russian_80"), read_split(args.data / "wd_russian_20")
    train_queries = sorted(train.gold)
    if args.tune_sample and args.tune_sample < len(train_queries):
        train_queries = sorted(random.Random(20).sample(train_queries, args.tune_sample))
    test_queries = sorted(test.gold)

    rows = []
    for method in (keys_method(), baseline_method()):
        started = time.perf_counter()
        tuned = tune(best_links(method, train, train_queries), train.gold, train_queries)
        test_links = best_links(method, test, test_queries)
        result = score(test_links, test.gold, test_queries, tuned.threshold)
        exact = score(test_links, test.gold, test_queries, 1.0)
        rows.append((method.name, tuned, result, exact, time.perf_counter() - started))

    print(f"Russian spellings linked to Latin spellings, wd_russian_20: {len(test_queries):,} Russian words, "
          f"{len(test.latin):,} Latin candidates; thresholds tuned on wd_russian_80 ({len(train_queries):,} words).\n")
    print("| method | threshold (train F1) | picks | correct | precision | recall | F1 | exact only: P / R / F1 | seconds |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for name, tuned, result, exact, seconds in rows:
        print(f"| {name} | {tuned.threshold:.3f} ({tuned.f1:.3f}) | {result.picks:,} | {result.correct:,} | "
              f"{result.precision:.3f} | {result.recall:.3f} | {result.f1:.3f} | "
              f"{exact.precision:.3f} / {exact.recall:.3f} / {exact.f1:.3f} | {seconds:.0f} |")
    (_, _, keys, _, _), (_, _, base, _, _) = rows
    print(f"| keys / baseline | | | | {keys.precision / base.precision:.2f}x | {keys.recall / base.recall:.2f}x | "
          f"{keys.f1 / base.f1:.2f}x | | |")
    print(f"\nCommand: python benchmarks/translit.py {' '.join(argv if argv is not None else sys.argv[1:])}".rstrip())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
