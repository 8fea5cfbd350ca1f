"""Benchmark: import and export of a large generated register, on SQLite and PostgreSQL.

Generates a package (100,000 persons, about a million event rows by default),
then for each database runs `chronicle import` and `chronicle export` as
child processes and reports wall time and the child's peak memory (maximum
resident set size).

    python benchmarks/import_export.py --persons 100000
    python benchmarks/import_export.py --persons 100000 --postgres postgresql://postgres@127.0.0.1:5432/test

Figures go into docs/performance.md by hand, with the machine and the command.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import create_engine, text

from chronicle.database import database_url
from chronicle.generate import generate_package


def run_child(arguments: list[str]) -> tuple[float, float]:
    """Run a chronicle command; return (seconds, peak resident memory in MiB)."""
    start = time.perf_counter()
    process = subprocess.Popen([sys.executable, "-m", "chronicle", *arguments], stderr=subprocess.PIPE, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - start
    stderr = process.stderr.read().decode() if process.stderr else ""
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"chronicle {' '.join(arguments)} failed:\n{stderr}")
    return seconds, usage.ru_maxrss / 1024


def fresh_postgres_schema(url: str) -> str:
    engine = create_engine(database_url(url), isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text("DROP SCHEMA IF EXISTS chronicle_benchmark CASCADE"))
        connection.execute(text("CREATE SCHEMA chronicle_benchmark"))
    engine.dispose()
    separator = "&" if "?" in url else "?"
    return f"{url}{separator}options=-csearch_path%3Dchronicle_benchmark"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--persons", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--postgres", default=None, help="a PostgreSQL URL to measure as well")
    arguments = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="chronicle-bench-"))
    try:
        package = work / "package"
        start = time.perf_counter()
        summary = generate_package(package, persons=arguments.persons, seed=arguments.seed)
        print(f"generated {summary} in {time.perf_counter() - start:.1f} s")
        size = sum(path.stat().st_size for path in package.iterdir()) / 1024**2
        print(f"package size: {size:.0f} MiB")
        print(f"machine: {platform.platform()}, {os.cpu_count()} cores, Python {platform.python_version()}")

        if "CHRONICLE_KEY_FILE" not in os.environ:  # a PostgreSQL register needs one; the SQLite one then uses it too
            run_child(["key", "init", "--file", str(work / "bench.key")])
            os.environ["CHRONICLE_KEY_FILE"] = str(work / "bench.key")
        targets = [("SQLite", str(work / "bench.db"))]
        if arguments.postgres:
            targets.append(("PostgreSQL", fresh_postgres_schema(arguments.postgres)))
        print(f"\n| database | step | seconds | peak memory (MiB) |\n|---|---|---|---|")
        for label, location in targets:
            run_child(["--db", location, "db", "upgrade"])
            for step, command in (
                ("import", ["import", str(package)]),
                ("import again (no change)", ["import", str(package)]),
                ("export", ["export", str(work / f"export-{label}")]),
                ("export --public", ["export", str(work / f"public-{label}"), "--public"]),
            ):
                seconds, memory = run_child(["--db", location, *command])
                print(f"| {label} | {step} | {seconds:.1f} | {memory:.0f} |", flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
