"""Benchmark: stock figures and a daily series on a large generated register, against the naive way.

Builds a register of 100,000 generated persons (about a million events) on
SQLite and, if given, PostgreSQL, then measures:

- all stock figures for one as_of, cold (a one-off command: loads what it
  needs) and warm (a long-lived caller with `Figures(cache=True)`);
- the daily series of political_prisoners from 2020-01-01 to 2026-12-31
  (2,557 days), cold and warm;
- the naive way: one SQL query per day that finds each person's last custody
  and recognition event up to that day. It is timed on evenly spaced sample
  days (all 2,557 would take most of an hour), extrapolated to 2,557 days, and
  every sampled value is checked against the fast series.

    python benchmarks/figures.py --persons 100000 --postgres postgresql://postgres@127.0.0.1:5432/test
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import and_, case, func, select

from chronicle.database import Database, epoch_day
from chronicle.figures import Figures
from chronicle.generate import generate_package
from chronicle.importer import import_package
from chronicle.schema import events
from chronicle.vocabulary import CUSTODY_CLOSING, CUSTODY_OPENING, EVENT_ORDER, RECOGNITION_CLOSING, RECOGNITION_OPENING

FIRST, LAST = date(2020, 1, 1), date(2026, 12, 31)
AS_OF = date(2026, 10, 31)


def timed(function, repeat: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def naive_query(day: date):
    """Political prisoners at the end of `day` in one query: each person's last custody and recognition event."""
    order = case(dict(EVENT_ORDER), value=events.c.type)
    position = epoch_day(events.c.day) * 64 + order * 2
    custody_types = sorted(CUSTODY_OPENING | CUSTODY_CLOSING)
    recognition_types = sorted(RECOGNITION_OPENING | RECOGNITION_CLOSING)
    custody = func.max(case((events.c.type.in_(custody_types), position + case((events.c.type == "detained", 1), else_=0))))
    recognition = func.max(case((events.c.type.in_(recognition_types), position + case((events.c.type == "recognized", 1), else_=0))))
    per_person = (
        select(events.c.person_id, (custody % 2).label("custody"), (recognition % 2).label("recognized"))
        .where(and_(events.c.retracted_at.is_(None), events.c.day <= day))
        .group_by(events.c.person_id)
        .subquery()
    )
    return select(func.count()).select_from(per_person).where(per_person.c.custody == 1, per_person.c.recognized == 1)


def measure(label: str, database: Database, samples: int) -> None:
    stock_cold, _ = timed(lambda: Figures(database).stock(AS_OF), 3)
    warm = Figures(database, cache=True)
    warm.stock(AS_OF)
    stock_warm, _ = timed(lambda: warm.stock(AS_OF), 5)
    series_cold, series = timed(lambda: Figures(database).series("political_prisoners", FIRST, LAST), 3)
    series_warm, _ = timed(lambda: warm.series("political_prisoners", FIRST, LAST), 5)

    days = (LAST - FIRST).days + 1
    sample_days = [FIRST + timedelta(days=round(i * (days - 1) / (samples - 1))) for i in range(samples)]
    start = time.perf_counter()
    with database.reading() as connection:
        for day in sample_days:
            naive = connection.execute(naive_query(day)).scalar_one()
            fast = series[(day - FIRST).days]["value"]
            assert naive == fast, f"{label} {day}: naive {naive} != fast {fast}"
    per_day = (time.perf_counter() - start) / samples
    naive_total = per_day * days

    print(f"| {label} | all stock figures, cold | {stock_cold:.2f} s |")
    print(f"| {label} | all stock figures, warm | {stock_warm:.3f} s |")
    print(f"| {label} | daily series 2020-2026, cold | {series_cold:.2f} s |")
    print(f"| {label} | daily series 2020-2026, warm | {series_warm:.3f} s |")
    print(f"| {label} | naive series (one query per day; {per_day:.2f} s/day x {days:,} days, from {samples} sampled days) | {naive_total:.0f} s |")
    print(f"| {label} | naive / fast cold | {naive_total / series_cold:,.0f}x |")
    print(f"| {label} | naive / fast warm | {naive_total / series_warm:,.0f}x |", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--persons", type=int, default=100_000)
    parser.add_argument("--samples", type=int, default=40, help="days on which the naive way is timed")
    parser.add_argument("--postgres", default=None, help="a PostgreSQL URL to measure as well")
    arguments = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="chronicle-bench-"))
    try:
        summary = generate_package(work / "package", persons=arguments.persons, seed=1)
        print(f"register: {summary}")
        print(f"machine: {platform.platform()}, {os.cpu_count()} cores, Python {platform.python_version()}\n")
        print("| database | what | time |\n|---|---|---|")
        targets = [("SQLite", str(work / "bench.db"))]
        if arguments.postgres:
            from import_export import fresh_postgres_schema

            targets.append(("PostgreSQL", fresh_postgres_schema(arguments.postgres)))
        for label, location in targets:
            with Database.open(location) as database:
                import_package(database, work / "package")
                measure(label, database, arguments.samples)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
