"""Load test of the web app on a generated register (issue 6), run by hand.

    python benchmarks/web_load.py [--persons 50000] [--seconds 10] [--connections 16]

Generates a synthetic register (SQLite), starts `chronicle serve` on a free
loopback port in its own process, warms it up (the first request of a list
derives every person's status), then loads the public list page and
`/api/v1/persons` from a second process with wrk (Debian's `wrk`; bounded by
`--seconds`), and times the dashboard with sequential requests. Prints
requests per second and latency percentiles; docs/performance.md has the
figures. Only 127.0.0.1 is ever contacted.
"""

from __future__ import annotations

import argparse
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from chronicle.database import Database
from chronicle.generate import generate_package
from chronicle.importer import import_package

TARGETS = (
    ("public list", "/public/prisoners"),
    ("public list, page 5", "/public/prisoners?page=5"),
    ("API persons", "/api/v1/persons"),
    ("API persons, search", "/api/v1/persons?q=Ivanou"),
)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def get(url: str) -> float:
    start = time.perf_counter()
    with urllib.request.urlopen(url, timeout=60) as answer:
        answer.read()
    return time.perf_counter() - start


def wrk(url: str, seconds: int, connections: int) -> dict[str, float]:
    output = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", url], capture_output=True, text=True, check=True
    ).stdout
    rate = float(re.search(r"Requests/sec:\s+([0-9.]+)", output).group(1))
    errors = re.search(r"Non-2xx or 3xx responses: ([0-9]+)", output)

    def percentile(label: str) -> float:
        value, unit = re.search(rf"\s{label}%\s+([0-9.]+)(us|ms|s)", output).groups()
        return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]

    return {"rps": rate, "p50": percentile("50"), "p99": percentile("99"), "errors": int(errors.group(1)) if errors else 0}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--persons", type=int, default=50_000)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=16)
    options = parser.parse_args()
    if shutil.which("wrk") is None:
        print("wrk is needed: apt-get install wrk", file=sys.stderr)
        return 1
    folder = Path(tempfile.mkdtemp(prefix="chronicle-web-load-"))
    try:
        start = time.perf_counter()
        generate_package(folder / "package", persons=options.persons, seed=11)
        database = Database.open(str(folder / "register.db"))
        import_package(database, folder / "package")
        database.close()
        print(f"register of {options.persons:,} persons ready in {time.perf_counter() - start:.1f} s")
        port = free_port()
        server = subprocess.Popen(
            [sys.executable, "-m", "chronicle", "--db", str(folder / "register.db"), "serve", "--port", str(port)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 120
            while True:
                try:
                    get(base + "/api/v1/figures")
                    break
                except OSError:
                    if time.monotonic() > deadline or server.poll() is not None:
                        raise SystemExit("the server did not start") from None
                    time.sleep(0.3)
            for _, path in TARGETS:
                print(f"first request of {path}: {get(base + path) * 1000:.0f} ms (builds the person index)")
            print(f"first dashboard: {get(base + '/dashboard') * 1000:.0f} ms (renders the charts)")
            print()
            print(f"| page | requests/s | p50 ms | p99 ms | non-2xx |  ({options.connections} connections, {options.seconds} s each)")
            print("|---|---|---|---|---|")
            for label, path in TARGETS:
                result = wrk(base + path, options.seconds, options.connections)
                print(f"| {label} `{path}` | {result['rps']:.0f} | {result['p50']:.1f} | {result['p99']:.1f} | {result['errors']} |")
            times = sorted(get(base + "/dashboard?as_of=2025-06-30") * 1000 for _ in range(30))
            print()
            print(f"dashboard, 30 sequential requests: median {statistics.median(times):.0f} ms, "
                  f"p99 {times[int(len(times) * 0.99) - 1]:.0f} ms, max {times[-1]:.0f} ms")
        finally:
            server.terminate()
            server.wait(timeout=30)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
