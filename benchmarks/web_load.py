"""Load test of the web app on a generated register (issue 6), run by hand.

    python benchmarks/web_load.py [--persons 50000] [--seconds 10] [--connections 16] [--register FILE]

Generates a synthetic register (SQLite; or takes `--register`), starts
`chronicle serve` on a free loopback port in its own process, as the public
sees it (sign-in required, nobody signed in), and waits until its warm-up
(every list and the figures derived) is over. Then it times pages nobody
asked for before (sequential requests: what the public cache cannot help
with), asks once for each load target, and loads each from a second process
with wrk (Debian's `wrk`; bounded by `--seconds`). The dashboard, which is for
staff, is timed on a second server run with `--local-operator`, by
sequential requests. Prints requests per second and latency percentiles;
docs/performance.md has the figures. Only 127.0.0.1 is ever contacted.
"""

from __future__ import annotations

import argparse
import os
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


def start_server(database: Path, *extra: str) -> tuple[subprocess.Popen, str]:
    """`chronicle serve` on a free loopback port, once it answers."""
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "chronicle", "--db", str(database), "serve", "--port", str(port), *extra],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while True:
        try:
            get(base + "/public/prisoners")  # also derives the public list
            wait_until_idle(server.pid)  # the warm-up (every list and the figures derived) is over
            return server, base
        except OSError:
            if time.monotonic() > deadline or server.poll() is not None:
                server.kill()
                raise SystemExit("the server did not start") from None
            time.sleep(0.3)


def wait_until_idle(pid: int, *, limit: float = 300.0) -> None:
    """Until the process uses less than a twentieth of a core over half a second (Linux: /proc)."""
    stat = Path(f"/proc/{pid}/stat")
    if not stat.exists():
        time.sleep(5)
        return

    def cpu_seconds() -> float:
        fields = stat.read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        before = cpu_seconds()
        time.sleep(0.5)
        if cpu_seconds() - before < 0.025:
            return


def stop(server: subprocess.Popen) -> None:
    server.terminate()
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        server.kill()


def percentiles(times: list[float]) -> str:
    times = sorted(times)
    return f"median {statistics.median(times):.1f} ms, p99 {times[max(0, int(len(times) * 0.99) - 1)]:.1f} ms, max {times[-1]:.1f} ms"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--persons", type=int, default=50_000)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--register", type=Path, help="an existing SQLite register to load instead of generating one")
    options = parser.parse_args()
    if shutil.which("wrk") is None:
        print("wrk is needed: apt-get install wrk", file=sys.stderr)
        return 1
    folder = Path(tempfile.mkdtemp(prefix="chronicle-web-load-"))
    try:
        if options.register is not None:
            database = options.register
        else:
            start = time.perf_counter()
            generate_package(folder / "package", persons=options.persons, seed=11)
            database = folder / "register.db"
            register = Database.open(str(database))
            import_package(register, folder / "package")
            register.close()
            print(f"register of {options.persons:,} persons ready in {time.perf_counter() - start:.1f} s")
        # The public site and the API as the anonymous public see them: a server with sign-in, nobody signed in.
        server, base = start_server(database)
        try:
            cold = [get(base + f"/public/prisoners?page={number}") * 1000 for number in range(2, 62)]
            print(f"public list, 60 pages not asked for before: {percentiles(cold)}")
            cold = [get(base + f"/api/v1/persons?page={number}") * 1000 for number in range(2, 62)]
            print(f"API persons, 60 pages not asked for before: {percentiles(cold)}")
            for label, path in TARGETS:
                print(f"first request of {path}: {get(base + path) * 1000:.0f} ms")
            print()
            print(f"| page | requests/s | p50 ms | p99 ms | non-2xx |  ({options.connections} connections, {options.seconds} s each)")
            print("|---|---|---|---|---|")
            for label, path in TARGETS:
                result = wrk(base + path, options.seconds, options.connections)
                print(f"| {label} `{path}` | {result['rps']:.0f} | {result['p50']:.1f} | {result['p99']:.1f} | {result['errors']} |")
        finally:
            stop(server)
        # The dashboard is for staff: a loopback operator's server (no sign-in, nothing cached for the public).
        server, base = start_server(database, "--local-operator")
        try:
            print()
            print(f"first dashboard: {get(base + '/dashboard') * 1000:.0f} ms (renders the charts)")
            times = [get(base + "/dashboard?as_of=2025-06-30") * 1000 for _ in range(30)]
            print(f"dashboard, 30 sequential requests: {percentiles(times)}")
            days = [get(base + f"/dashboard?as_of=2024-{month:02d}-15") * 1000 for month in range(1, 13)]
            print(f"dashboard, 12 days not asked for before: {percentiles(days)}")
        finally:
            stop(server)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
