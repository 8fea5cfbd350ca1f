"""Readers and writers at once: no request fails, and SQLite never says "database is locked".

`chronicle serve --local-operator` runs as a subprocess on a register
(SQLite, and PostgreSQL). While it runs:

- several reader threads fetch the internal and public pages and the JSON
  API (a person with restricted notes among them, so reads write audit
  entries too);
- a reader process reads through the library (`Register`, `Figures`);
- one writer thread writes through the app without pause: events, new
  persons, edits of persons, sources, cases;
- another process writes through the command line: `chronicle import` of
  small packages, one after the other.

Each loop is bounded by a count. Every request must get its expected
answer, the import and the reader process must exit 0, and "database is
locked" must appear nowhere: no answer, no log of the server, no output of
a command. Afterwards everything written is in the register.
"""

from __future__ import annotations

import http.client
import json
import subprocess
import sys
import threading
from pathlib import Path
from urllib.parse import quote

from packages import write_package
from test_server_killed import start_server

from chronicle.database import Database
from chronicle.register import Register

READERS = 3  # reader threads
MAX_READS = 3000  # per reader: the bound
MAX_WRITES = 3000  # of the writer through the app: the bound
IMPORTS = 3  # packages imported by the command line, one after the other
PERSONS_PER_IMPORT = 20
BASE_PERSONS = 20
JSON = {"content-type": "application/json"}
LOCKED = "database is locked"

READ_PATHS = [
    "/dashboard", "/api/v1/figures", "/persons", "/api/v1/persons", "/persons/base-p1", "/api/v1/persons/base-p1",
    "/persons/base-p2", "/api/v1/events", "/api/v1/sources", "/api/v1/cases", "/public/prisoners",
    "/public/prisoners/base-p2", "/public/feed.atom",
]

LIBRARY_READER = """
import sys, pathlib
from datetime import date
from chronicle.database import Database
from chronicle.figures import Figures
from chronicle.register import Register
location, stop, limit = sys.argv[1], pathlib.Path(sys.argv[2]), int(sys.argv[3])
reads = 0
with Database.open(location) as database:
    register, figures = Register(database), Figures(database)
    while reads < limit and not stop.exists():
        assert register.get("persons", "base-p1")["name"]
        assert register.records("sources")
        register.events_of(["base-p1", "base-p2"])
        figures.stock(date.today())
        reads += 1
print(reads)
"""


def base_package(folder: Path) -> Path:
    persons = [{"person_id": f"base-p{n}", "name": f"Base Person {n}", "public": "true",
                "restricted_notes": "a relative's phone" if n == 1 else ""} for n in range(1, BASE_PERSONS + 1)]
    events = [{"event_id": f"base-e{n}", "person_id": f"base-p{n}", "type": "detained", "date": "2021-03-01",
               "source_ids": "base-s"} for n in range(1, BASE_PERSONS + 1)]
    sources = [{"source_id": "base-s", "title": "Base source", "published": "2021-03-01", "restricted": "false"}]
    return write_package(folder, {"sources": sources, "persons": persons, "events": events})


def import_package_folder(folder: Path, number: int) -> Path:
    """A small package of new persons, each with two events (the command line's writes)."""
    persons = [{"person_id": f"cli{number}-p{n}", "name": f"Imported Person {number}-{n}", "public": "true"}
               for n in range(PERSONS_PER_IMPORT)]
    events = [{"event_id": f"cli{number}-e{n}-{k}", "person_id": f"cli{number}-p{n}", "type": kind, "date": "2022-01-0" + str(k + 1),
               "source_ids": f"cli{number}-s"} for n in range(PERSONS_PER_IMPORT) for k, kind in enumerate(("detained", "charged"))]
    sources = [{"source_id": f"cli{number}-s", "title": f"Imported source {number}", "restricted": "false"}]
    return write_package(folder, {"sources": sources, "persons": persons, "events": events})


def guarded(target, outcomes: Outcomes):
    """A thread's target whose unexpected exception is a failure of the test, not a warning."""

    def run(*args) -> None:
        try:
            target(*args)
        except Exception as error:  # noqa: BLE001 -- reported as a failure
            outcomes.fail(f"{target.__name__}: {error!r}")

    return run


class Outcomes:
    def __init__(self):
        self.lock = threading.Lock()
        self.failures: list[str] = []
        self.reads = 0
        self.writes = 0
        self.done = threading.Event()  # the writers are done: readers stop

    def fail(self, message: str) -> None:
        with self.lock:
            self.failures.append(message)


def ask(connection: http.client.HTTPConnection, outcomes: Outcomes, method: str, path: str, expected: int,
        body: dict | None = None) -> bytes | None:
    try:
        connection.request(method, path, body=json.dumps(body) if body is not None else None, headers=JSON if body else {})
        answer = connection.getresponse()
        content = answer.read()
    except (OSError, http.client.HTTPException) as error:
        outcomes.fail(f"{method} {path}: {error!r}")
        return None
    if answer.status != expected or LOCKED.encode() in content:
        outcomes.fail(f"{method} {path}: {answer.status} {content[:300]!r}")
        return None
    return content


def reader(port: int, number: int, outcomes: Outcomes) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    for step in range(MAX_READS):
        if outcomes.done.is_set() or outcomes.failures:
            return
        if ask(connection, outcomes, "GET", READ_PATHS[(step + number) % len(READ_PATHS)], 200) is None:
            return
        with outcomes.lock:
            outcomes.reads += 1


def writer(port: int, outcomes: Outcomes, imports_done: threading.Event, written: dict) -> None:
    """Write without pause until the imports are done (at least one of each kind), at most MAX_WRITES."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    based_on: dict[str, int] = {}
    for step in range(MAX_WRITES):
        if (imports_done.is_set() and step >= 20) or outcomes.failures:
            return
        person_id = f"base-p{step % BASE_PERSONS + 1}"
        kind = step % 5
        if kind == 4:  # a new person: a person key given out while an import may be planning its own (chronicle.importer)
            content = ask(connection, outcomes, "POST", "/api/v1/persons", 201, {"person_id": f"web-p{step}", "name": f"New Person {step}"})
            if content is not None:
                written["names"][f"web-p{step}"] = f"New Person {step}"
        elif kind == 0:
            body = {"event_id": f"web-e{step}", "person_id": person_id, "type": "charged", "date": "2021-04-01",
                    "charges": ["342-1"], "source_ids": ["base-s"]}
            content = ask(connection, outcomes, "POST", "/api/v1/events", 201, body)
            if content is not None:
                written["events"].append(f"web-e{step}")
        elif kind == 1:
            if person_id not in based_on:
                content = ask(connection, outcomes, "GET", f"/api/v1/persons/{quote(person_id)}/history", 200)
                if content is None:
                    return
                versions = json.loads(content)["versions"]
                based_on[person_id] = next(row["row_id"] for row in versions if row["retracted_at"] is None)
            name = f"Base Person edited at {step}"
            body = {"based_on": based_on[person_id], "name": name}
            content = ask(connection, outcomes, "PUT", f"/api/v1/persons/{quote(person_id)}", 200, body)
            if content is not None:
                based_on[person_id] = json.loads(content)["person"]["row_id"]
                written["names"][person_id] = name
        elif kind == 2:
            body = {"source_id": f"web-s{step}", "title": f"Source written at {step}", "restricted": step % 8 == 2}
            content = ask(connection, outcomes, "POST", "/api/v1/sources", 201, body)
            if content is not None:
                written["sources"].append(f"web-s{step}")
        else:
            content = ask(connection, outcomes, "POST", "/api/v1/cases", 201, {"case_id": f"web-c{step}", "name": f"Case {step}"})
            if content is not None:
                written["cases"].append(f"web-c{step}")
        if content is None:
            return
        with outcomes.lock:
            outcomes.writes += 1


def test_readers_and_writers_at_once_never_fail_nor_see_a_locked_database(database_location: str, tmp_path: Path):
    with Database.open(database_location) as database:
        Register(database)  # the register exists
        from chronicle.importer import import_package

        import_package(database, base_package(tmp_path / "base"))
        if database.dialect == "sqlite":
            with database.reading() as connection:
                assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
                assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 5000
    packages = [import_package_folder(tmp_path / f"package{number}", number) for number in range(IMPORTS)]
    log = tmp_path / "server.log"
    server, port = start_server(database_location, log)
    stop = tmp_path / "stop"
    library_reader = subprocess.Popen([sys.executable, "-c", LIBRARY_READER, database_location, str(stop), "100000"],
                                      stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    outcomes = Outcomes()
    written: dict = {"events": [], "sources": [], "cases": [], "names": {}}
    imports_done = threading.Event()
    command_outputs: list[subprocess.CompletedProcess] = []

    def import_all() -> None:
        try:
            for package in packages:
                done = subprocess.run([sys.executable, "-m", "chronicle", "--db", database_location, "import", str(package)],
                                      check=False, capture_output=True, text=True, timeout=120)
                command_outputs.append(done)
                if done.returncode != 0:
                    return
        finally:
            imports_done.set()

    threads = [threading.Thread(target=guarded(reader, outcomes), args=(port, number, outcomes), daemon=True) for number in range(READERS)]
    threads.append(threading.Thread(target=guarded(writer, outcomes), args=(port, outcomes, imports_done, written), daemon=True))
    importer = threading.Thread(target=import_all, daemon=True)
    try:
        for thread in [*threads, importer]:
            thread.start()
        importer.join(timeout=300)
        threads[-1].join(timeout=120)
        outcomes.done.set()
        for thread in threads:
            thread.join(timeout=120)
        stop.touch()
        reader_out, reader_err = library_reader.communicate(timeout=120)
    finally:
        stop.touch()
        if library_reader.poll() is None:
            library_reader.kill()
            library_reader.wait(timeout=30)
        server.terminate()
        server.wait(timeout=30)
    server_log = log.read_text(errors="replace")

    assert not importer.is_alive() and not any(thread.is_alive() for thread in threads)
    assert outcomes.failures == [], f"{outcomes.failures[:5]}\nserver log:\n{server_log[-5000:]}"
    assert [done.returncode for done in command_outputs] == [0] * IMPORTS, [done.stderr for done in command_outputs]
    assert library_reader.returncode == 0, reader_err
    assert int(reader_out.strip()) > 0
    for output in [server_log, reader_err, *(done.stdout + done.stderr for done in command_outputs)]:
        assert LOCKED not in output and "Traceback" not in output, output[-5000:]
    assert outcomes.reads >= READERS and outcomes.writes >= 20

    with Database.open(database_location) as database:  # everything written is there
        register = Register(database)
        for event_id in written["events"]:
            register.get("events", event_id)
        for source_id in written["sources"]:
            register.get("sources", source_id)
        for case_id in written["cases"]:
            register.get("cases", case_id)
        for person_id, name in written["names"].items():
            assert register.get("persons", person_id)["name"] == name
        for number in range(IMPORTS):
            timelines = register.events_of([f"cli{number}-p{n}" for n in range(PERSONS_PER_IMPORT)])
            assert sorted(len(events) for events in timelines.values()) == [2] * PERSONS_PER_IMPORT
            assert register.get("persons", f"cli{number}-p{PERSONS_PER_IMPORT - 1}")["name"]
