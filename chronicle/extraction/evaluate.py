"""Score extraction against a development set.

    python -m chronicle.extraction.evaluate tests/extraction_dev [--verbose]

The directory holds pairs NAME.txt (the text) and NAME.json (the gold answer:
`published`, optional `gazetteer`, `claims`, `events`). A claim matches when
metric, value, qualifier and period/as_of are equal; an event matches when
type, person and date (with its precision) are equal. Each gold item is
matched at most once. Precision, recall and F1 are micro-averaged over all
texts and printed as a table, one row per text and a total.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from chronicle.extraction import extract


def claim_key(claim: dict) -> tuple:
    period = claim.get("period") or {}
    return (claim["metric"], claim["value"], claim["qualifier"], period.get("from"), period.get("to"), claim.get("as_of"))


def event_key(event: dict) -> tuple:
    return (event["type"], event["person"], event["date"], event["date_precision"])


@dataclass
class Score:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    def add(self, gold: list[tuple], found: list[tuple]) -> tuple[list, list]:
        remaining = Counter(gold)
        extra = []
        for key in found:
            if remaining[key] > 0:
                remaining[key] -= 1
                self.tp += 1
            else:
                self.fp += 1
                extra.append(key)
        missed = list(remaining.elements())
        self.fn += len(missed)
        return missed, extra

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


def evaluate(directory: Path, verbose: bool = False, out=sys.stdout) -> tuple[Score, Score]:
    claims_total, events_total = Score(), Score()
    rows = []
    details = []
    for gold_path in sorted(Path(directory).glob("*.json")):
        gold = json.loads(gold_path.read_text(encoding="utf-8"))
        text = gold_path.with_suffix(".txt").read_text(encoding="utf-8")
        answer = extract(text, published=date.fromisoformat(gold["published"]), language=gold.get("language"),
                         gazetteer=gold.get("gazetteer", ()))
        c, e = Score(), Score()
        for score, total, key, field in ((c, claims_total, claim_key, "claims"), (e, events_total, event_key, "events")):
            gold_keys = [key(item) for item in gold[field]]
            found_keys = [key(item) for item in answer[field]]
            missed, extra = score.add(gold_keys, found_keys)
            total.add(gold_keys, found_keys)
            details.extend(f"  {gold_path.stem} {field} missed {m}" for m in missed)
            details.extend(f"  {gold_path.stem} {field} extra  {x}" for x in extra)
        rows.append((gold_path.stem, c, e))
    header = f"{'text':<28} {'claims P':>8} {'R':>6} {'F1':>6}   {'events P':>8} {'R':>6} {'F1':>6}"
    print(header, file=out)
    print("-" * len(header), file=out)
    for name, c, e in rows + [("TOTAL (micro)", claims_total, events_total)]:
        if name.startswith("TOTAL"):
            print("-" * len(header), file=out)
        print(f"{name:<28} {c.precision:>8.2f} {c.recall:>6.2f} {c.f1:>6.2f}   {e.precision:>8.2f} {e.recall:>6.2f} {e.f1:>6.2f}", file=out)
    print(f"claims: tp={claims_total.tp} fp={claims_total.fp} fn={claims_total.fn}; "
          f"events: tp={events_total.tp} fp={events_total.fp} fn={events_total.fn}", file=out)
    if verbose:
        print("\n".join(details), file=out)
    return claims_total, events_total


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    verbose = "--verbose" in args or "-v" in args
    args = [a for a in args if a not in ("--verbose", "-v")]
    directory = Path(args[0]) if args else Path("tests/extraction_dev")
    evaluate(directory, verbose)
    return 0


if __name__ == "__main__":
    sys.exit(main())
