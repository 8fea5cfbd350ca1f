"""Benchmark: speed and peak memory of `chronicle.matching.match_records` on large inputs.

Records are made the way the project's test set makes them
(`tests/match_set.py`: persons from the `chronicle.generate_names` tables,
3-5 records each in Belarusian or Russian Cyrillic, passport or press Latin,
lists with capitals and patronymics, typos; partial birth dates, regions in
several scripts, sometimes the gender; spouses, siblings, namesakes),
deterministic by `--seed`. The test set has only the generator's surname
table (165 surnames); `--surname-prefixes K` multiplies it by K syllables
put in front of every surname (in all four spellings), for a less crowded
surname distribution.

Each size runs in a child process (fork) so that its peak memory
(`ru_maxrss` from `os.wait4`) is its own. Reported per size:

- records, wall seconds of `match_records` (end to end: preparing the
  records, Splink u estimation, prediction, clustering) and records/second;
- where the time goes: prepare (`prepare_record`), u (Splink
  `estimate_u_using_random_sampling`), predict (Splink `predict` and reading
  its result), the rest (DataFrame, clustering);
- blocked pairs: for each blocking rule the number of pairs sharing its key
  (sum of n(n-1)/2 over the key's groups, counted from the prepared keys);
  their sum is an upper bound of the pairs Splink scores (a pair caught by
  several rules is scored once). `match_records` does not expose all scored
  pairs, only the pairs at or above the threshold (`edges`);
- peak memory of the child (generation included).

Run:

    python benchmarks/matching_speed.py --records 10000 --records 100000 [--records 1000000] [--timeout 300]
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT))

PREFIXES = ("Мар", "Кос", "Нар", "Сун", "Дам", "Лук", "Пар", "Тум", "Рум", "Вол", "Бар", "Гал", "Кан", "Лам", "Сам", "Тар")
_LATIN = {"М": "M", "К": "K", "Н": "N", "С": "S", "Д": "D", "Л": "L", "П": "P", "Т": "T", "Р": "R", "В": "V", "Б": "B", "Г": "H",
          "а": "a", "о": "o", "у": "u", "р": "r", "с": "s", "н": "n", "м": "m", "к": "k", "л": "l"}


def _surname_pool(prefix_count: int):
    """The generator's surnames, and with `prefix_count` > 0 also the prefixed variants."""
    from dataclasses import replace

    from chronicle.generate_names import SURNAMES, NameForms

    if prefix_count <= 0:
        return SURNAMES
    pool = list(SURNAMES)
    for prefix in PREFIXES[:prefix_count]:
        latin = "".join(_LATIN[letter] for letter in prefix)
        latin_ru = latin.replace("H", "G") if latin.startswith("H") else latin
        for surname in SURNAMES:
            m = surname.masculine
            forms = NameForms(
                be=prefix + m.be[0].lower() + m.be[1:],
                ru=prefix + m.ru[0].lower() + m.ru[1:],
                latin=latin + m.latin[0].lower() + m.latin[1:],
                latin_ru=latin_ru + m.latin_ru[0].lower() + m.latin_ru[1:],
            )
            pool.append(replace(surname, masculine=forms))
    return tuple(pool)


def generate(target: int, seed: int, prefix_count: int) -> list[dict]:
    """About `target` records (3-5 per person), as `tests/match_set.build_match_set` makes them."""
    import match_set

    match_set.SURNAMES = _surname_pool(prefix_count)
    # build_match_set makes about 1.5 persons and 4 records per base person
    records, _ = match_set.build_match_set(count=max(1, round(target / 6.7)), seed=seed)
    if len(records) > target:
        records = records[:target]
    return records


def _group_pairs(keys) -> int:
    from collections import Counter

    counts = Counter(key for key in keys if None not in key)
    return sum(n * (n - 1) // 2 for n in counts.values())


def run_child(target: int, seed: int, prefix_count: int) -> dict:
    """Generate and match in this (child) process; the measurements as a dict."""
    start = time.perf_counter()
    records = generate(target, seed, prefix_count)
    generation = time.perf_counter() - start

    from splink.internals.linker_components.inference import LinkerInference
    from splink.internals.linker_components.training import LinkerTraining

    import chronicle.matching as matching

    timings = {"prepare": 0.0, "u": 0.0, "predict": 0.0, "predict_pairs": 0.0}
    keys: list[tuple] = []
    edges_count = [0]

    original_prepare = matching.prepare_record

    def prepare_record(record):
        t = time.perf_counter()
        row = original_prepare(record)
        timings["prepare"] += time.perf_counter() - t
        keys.append((row["sn4"], row["gg"], row["byear"], row["tk"], row["bmonth"], row["bday"], row["sn"]))
        return row

    def timed(name, function):
        def wrapper(*args, **kwargs):
            t = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                timings[name] += time.perf_counter() - t
        return wrapper

    original_predict_pairs = matching.predict_pairs

    def predict_pairs(*args, **kwargs):
        t = time.perf_counter()
        edges = original_predict_pairs(*args, **kwargs)
        timings["predict_pairs"] += time.perf_counter() - t
        edges_count[0] = len(edges)
        return edges

    matching.prepare_record = prepare_record
    matching.predict_pairs = predict_pairs
    LinkerTraining.estimate_u_using_random_sampling = timed("u", LinkerTraining.estimate_u_using_random_sampling)
    LinkerInference.predict = timed("predict", LinkerInference.predict)

    start = time.perf_counter()
    clusters = matching.match_records(records, matching.MatchSettings())
    wall = time.perf_counter() - start

    blocked = {  # one count per rule of matching.DEFAULT_BLOCKING
        "sn4+gg": _group_pairs((k[0], k[1]) for k in keys),
        "sn+byear": _group_pairs((k[6], k[2]) for k in keys),
        "gg+byear": _group_pairs((k[1], k[2]) for k in keys),
        "tk": _group_pairs((k[3],) for k in keys),
        "birth day": _group_pairs((k[2], k[4], k[5]) for k in keys),
    }
    return {
        "records": len(records),
        "generation": generation,
        "wall": wall,
        "prepare": timings["prepare"],
        "u": timings["u"],
        "predict": timings["predict_pairs"] - timings["prepare"] - timings["u"],
        "rest": wall - timings["predict_pairs"],
        "splink_predict_call": timings["predict"],
        "blocked": blocked,
        "edges": edges_count[0],
        "clusters": len({row["cluster_id"] for row in clusters}),
    }


def measure(target: int, seed: int, prefix_count: int, timeout: float) -> dict:
    """Run one size in a forked child; add its peak memory (MB) or mark a timeout or failure."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # child
        os.close(read_end)
        code = 0
        try:
            result = run_child(target, seed, prefix_count)
        except BaseException as error:  # noqa: BLE001 -- report any failure to the parent
            result = {"records": target, "error": f"{type(error).__name__}: {error}"}
            code = 1
        with os.fdopen(write_end, "w") as stream:
            json.dump(result, stream)
        os._exit(code)
    os.close(write_end)
    deadline = time.monotonic() + timeout
    timed_out = False
    while True:
        done, status, usage = os.wait4(pid, os.WNOHANG)
        if done:
            break
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            _, status, usage = os.wait4(pid, 0)
            timed_out = True
            break
        time.sleep(0.2)
    with os.fdopen(read_end) as stream:
        text = stream.read()
    result = json.loads(text) if text else {"records": target}
    if timed_out:
        result["error"] = f"timeout after {timeout:.0f} s"
    result["peak_mb"] = usage.ru_maxrss / 1024  # kilobytes on Linux
    return result


HEADER = (
    "| records | wall s | records/s | prepare s | u s | predict s | rest s | blocked pairs (sn4+gg / sn+byear / gg+byear / tk / day) "
    "| pairs >= threshold | peak MB |\n"
    "|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|"
)


def row(result: dict) -> str:
    if "error" in result:
        return f"| {result['records']:,} | {result['error']} | | | | | | | | {result['peak_mb']:,.0f} |"
    blocked = result["blocked"]
    blocks = " / ".join(f"{blocked[name]:,}" for name in ("sn4+gg", "sn+byear", "gg+byear", "tk", "birth day"))
    return (
        f"| {result['records']:,} | {result['wall']:.1f} | {result['records'] / result['wall']:,.0f} | "
        f"{result['prepare']:.1f} | {result['u']:.1f} | {result['predict']:.1f} | {result['rest']:.1f} | "
        f"{blocks} (sum {sum(blocked.values()):,}) | {result['edges']:,} | {result['peak_mb']:,.0f} |"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--records", type=int, action="append", help="number of records (repeatable)")
    parser.add_argument("--seed", type=int, default=2020)
    parser.add_argument("--surname-prefixes", type=int, default=0,
                        help=f"0-{len(PREFIXES)}: multiply the 165 surnames by this many prefixed variants")
    parser.add_argument("--timeout", type=float, default=600, help="seconds per size before the child is killed")
    args = parser.parse_args(argv)
    print(HEADER, flush=True)
    for target in args.records or [100_000]:
        print(row(measure(target, args.seed, args.surname_prefixes, args.timeout)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
