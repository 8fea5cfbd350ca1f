"""Concurrent writes through the web app: how many a second, and how long each waits (issue 7, reliability).

Starts `chronicle serve --local-operator` on a fresh register and has
WRITERS client threads create persons and their events through the JSON API
at once (each write its own transaction, taking the register's write lock in
turn), while READERS threads read the internal person list. Prints writes a
second and the writes' and reads' latency percentiles, and checks that every
answer was a success.

    .venv/bin/python benchmarks/concurrent_writes.py                      # SQLite in a temporary folder
    .venv/bin/python benchmarks/concurrent_writes.py --db postgresql://postgres@127.0.0.1:5432/test
    .venv/bin/python benchmarks/concurrent_writes.py --writers 8 --writes 200 --readers 2

A PostgreSQL database given with --db gets a schema of its own, dropped
afterwards; its key file is a temporary one (CHRONICLE_KEY_FILE).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import statistics
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from sqlalchemy import create_engine, text
from test_server_killed import start_server

from chronicle.crypto import RegisterKey
from chronicle.database import Database, database_url
from chronicle.keys import KEY_FILE_ENV, write_key_file
from chronicle.register import Register

JSON = {"content-type": "application/json"}


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] * 1000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", help="a PostgreSQL URL (default: a SQLite file in a temporary folder)")
    parser.add_argument("--writers", type=int, default=4)
    parser.add_argument("--writes", type=int, default=250, help="per writer (a person, then an event, in turn)")
    parser.add_argument("--readers", type=int, default=2)
    options = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="chronicle-bench-"))
    write_key_file(folder / "bench.key", RegisterKey.generate())
    os.environ[KEY_FILE_ENV] = str(folder / "bench.key")
    schema = None
    if options.db:
        schema = "bench_" + uuid.uuid4().hex[:8]
        admin = create_engine(database_url(options.db), isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        location = options.db + ("&" if "?" in options.db else "?") + f"options=-csearch_path%3D{schema}"
    else:
        location = str(folder / "bench.db")
    try:
        with Database.open(location) as database:
            Register(database).record_all([("sources", {"source_id": "bench-s", "title": "Bench", "restricted": "false"}, None)])
        server, port = start_server(location, folder / "server.log")
        try:
            return run(port, options, location)
        finally:
            server.terminate()
            server.wait(timeout=30)
    finally:
        if schema:
            with admin.connect() as connection:
                connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            admin.dispose()


def run(port: int, options, location: str) -> int:
    write_times: list[float] = []
    read_times: list[float] = []
    failures: list[str] = []
    lock = threading.Lock()
    writing = threading.Event()

    def writer(number: int) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        for step in range(options.writes):
            person_id = f"w{number}-p{step // 2}"
            if step % 2 == 0:
                path, body = "/api/v1/persons", {"person_id": person_id, "name": f"Bench Person {number}-{step}"}
            else:
                path, body = "/api/v1/events", {"event_id": f"w{number}-e{step}", "person_id": person_id, "type": "detained",
                                                "date": "2021-01-01", "source_ids": ["bench-s"]}
            started = time.perf_counter()
            connection.request("POST", path, body=json.dumps(body), headers=JSON)
            answer = connection.getresponse()
            content = answer.read()
            with lock:
                write_times.append(time.perf_counter() - started)
                if answer.status != 201:
                    failures.append(f"{path}: {answer.status} {content[:200]!r}")

    def reader() -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        while writing.is_set():
            started = time.perf_counter()
            connection.request("GET", "/api/v1/persons")
            answer = connection.getresponse()
            answer.read()
            with lock:
                read_times.append(time.perf_counter() - started)
                if answer.status != 200:
                    failures.append(f"read: {answer.status}")

    writing.set()
    readers = [threading.Thread(target=reader) for _ in range(options.readers)]
    writers = [threading.Thread(target=writer, args=(number,)) for number in range(options.writers)]
    started = time.perf_counter()
    for thread in [*readers, *writers]:
        thread.start()
    for thread in writers:
        thread.join()
    elapsed = time.perf_counter() - started
    writing.clear()
    for thread in readers:
        thread.join()
    database = "PostgreSQL" if "://" in location else "SQLite"
    print(f"{database}: {options.writers} writers x {options.writes} writes, {options.readers} readers, {elapsed:.1f} s")
    print(f"  writes: {len(write_times) / elapsed:.0f} a second; latency p50 {percentile(write_times, 0.5):.1f} ms, "
          f"p95 {percentile(write_times, 0.95):.1f} ms, p99 {percentile(write_times, 0.99):.1f} ms, "
          f"max {max(write_times) * 1000:.0f} ms")
    if read_times:
        print(f"  reads:  {len(read_times) / elapsed:.0f} a second; latency p50 {percentile(read_times, 0.5):.1f} ms, "
              f"p95 {percentile(read_times, 0.95):.1f} ms, mean {statistics.mean(read_times) * 1000:.1f} ms")
    print(f"  failed answers: {len(failures)}" + (f" (first: {failures[0]})" if failures else ""))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
