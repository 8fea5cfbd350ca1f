"""A server killed with SIGKILL in the middle of writes loses no acknowledged write and leaves nothing half-written.

`chronicle serve --local-operator` runs as a subprocess on a fresh register
(SQLite, and PostgreSQL). Several client threads write through the web app:
persons and events by the JSON API, edits of persons (a new version and the
old one retracted), an event form that also creates the source it cites,
and intake acceptances (a source, new persons and events in one
transaction). Once enough writes were answered, and while requests are in
flight, the server gets SIGKILL. The register is then opened again:

- every write that got its success answer is there, as it was answered;
- nothing is half-written, acknowledged or not: every record has exactly one
  current version, every event its person and its sources, every intake all
  of its records or none, every version written its audit entry and every
  audit entry its version;
- SQLite's `PRAGMA integrity_check` says ok, `chronicle audit verify` exits
  0, and a server started again on the register writes and reads.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, urlencode

from sqlalchemy import create_engine, select, text

from chronicle.database import Database, database_url
from chronicle.register import Register
from chronicle.schema import RECORD_KEYS, RECORD_TABLES, audit_log, person_keys

WRITERS = 4  # client threads writing at once
KILL_AFTER = 150  # acknowledged writes before the kill
MAX_REQUESTS = 300  # per writer: the bound, should the kill never come
SOURCE = {"source_id": "kill-s", "title": "Seed source", "restricted": "false"}
JSON = {"content-type": "application/json"}
FORM = {"content-type": "application/x-www-form-urlencoded"}


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_server(location: str, log: Path) -> tuple[subprocess.Popen, int]:
    """`chronicle serve --local-operator` on a free loopback port, answering."""
    for _ in range(3):  # another process may take the port between probing and binding
        port = free_port()
        with open(log, "ab") as stream:
            process = subprocess.Popen(
                [sys.executable, "-m", "chronicle", "--db", location, "serve", "--local-operator", "--port", str(port)],
                stdout=stream, stderr=stream, stdin=subprocess.DEVNULL,
            )
        deadline = time.monotonic() + 60
        while process.poll() is None and time.monotonic() < deadline:
            try:
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
                connection.request("GET", "/api/v1/persons")
                if connection.getresponse().status == 200:
                    connection.close()
                    return process, port
            except OSError:
                time.sleep(0.05)
        process.kill()
        process.wait(timeout=30)
    raise AssertionError(f"chronicle serve did not start; its log:\n{log.read_text(errors='replace')}")


@dataclass
class Ledger:
    """What the writers sent and what the server answered."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    killed: threading.Event = field(default_factory=threading.Event)
    acknowledged: int = 0
    in_flight: int = 0
    unanswered: int = 0  # sent, and no answer before the server died
    refused: list[str] = field(default_factory=list)  # any answer but success, or an error before the kill
    persons: dict[str, str] = field(default_factory=dict)  # person_id -> name as last acknowledged
    pending_names: dict[str, str] = field(default_factory=dict)  # person_id -> name of an edit left unanswered
    events: dict[str, str] = field(default_factory=dict)  # event_id -> person_id
    sourced_events: dict[str, str] = field(default_factory=dict)  # event_id -> title of the source created with it
    intakes: dict[str, bool] = field(default_factory=dict)  # batch -> acknowledged (every batch sent is here)


class Writer(threading.Thread):
    """One client: a cycle of writes of every kind, until the server dies or MAX_REQUESTS."""

    def __init__(self, number: int, port: int, ledger: Ledger):
        super().__init__(name=f"writer-{number}", daemon=True)
        self.number, self.port, self.ledger = number, port, ledger
        self.own: dict[str, int] = {}  # this writer's acknowledged persons -> row_id of the current version

    def run(self) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        for step in range(MAX_REQUESTS):
            label = f"k{self.number}-{step}"
            kind = ("person", "edit", "event", "form", "intake")[step % 5]
            if kind != "person" and not self.own:
                kind = "person"
            person_id = sorted(self.own)[step % len(self.own)] if self.own else ""
            method, path, body, headers, expected, on_success = self.request(kind, label, person_id)
            with self.ledger.lock:
                self.ledger.in_flight += 1
            try:
                connection.request(method, path, body=body, headers=headers)
                answer = connection.getresponse()
                content = answer.read()
            except (OSError, http.client.HTTPException) as error:
                with self.ledger.lock:
                    self.ledger.in_flight -= 1
                    if self.ledger.killed.is_set():
                        self.ledger.unanswered += 1
                    else:
                        self.ledger.refused.append(f"{method} {path}: {error!r} before the kill")
                return
            with self.ledger.lock:
                self.ledger.in_flight -= 1
                if answer.status != expected:
                    self.ledger.refused.append(f"{method} {path}: {answer.status} {content[:300]!r}")
                    return
                on_success(content)
                self.ledger.acknowledged += 1

    def request(self, kind: str, label: str, person_id: str):
        """(method, path, body, headers, expected status, what to note once it succeeded) for one write."""
        ledger = self.ledger
        if kind == "person":
            new_id, name = f"{label}-p", f"Killed Server Person {label}"
            body = {"person_id": new_id, "name": name, "public": True, "restricted_notes": f"contact of {label}"}

            def noted(content: bytes) -> None:
                self.own[new_id] = json.loads(content)["person"]["row_id"]
                ledger.persons[new_id] = name

            return "POST", "/api/v1/persons", json.dumps(body), JSON, 201, noted
        if kind == "edit":
            name = f"Edited Person {label}"
            ledger.pending_names[person_id] = name  # until answered: an edit may be in flight when the server dies

            def noted(content: bytes) -> None:
                self.own[person_id] = json.loads(content)["person"]["row_id"]
                ledger.persons[person_id] = ledger.pending_names.pop(person_id)

            body = {"based_on": self.own[person_id], "name": name}
            return "PUT", f"/api/v1/persons/{quote(person_id)}", json.dumps(body), JSON, 200, noted
        if kind == "event":
            event_id = f"{label}-e"
            body = {"event_id": event_id, "person_id": person_id, "type": "detained", "date": "2021-05-01",
                    "place": "Minsk", "source_ids": [SOURCE["source_id"]]}

            def noted(_content: bytes) -> None:
                ledger.events[event_id] = person_id

            return "POST", "/api/v1/events", json.dumps(body), JSON, 201, noted
        if kind == "form":  # an event and the new source it cites, in one transaction
            event_id, title = f"{label}-fe", f"Source typed with {label}"
            form = {"event_id": event_id, "type": "charged", "date": "2021-06-01", "charges": "342-1",
                    "politically_motivated": "on", "new_source_title": title, "new_source_published": "2021-06-01"}

            def noted(_content: bytes) -> None:
                ledger.sourced_events[event_id] = title

            return "POST", f"/persons/{quote(person_id)}/events/new", urlencode(form), FORM, 303, noted
        # An intake: its source, one new person named twice, and events for it and for a known person.
        batch = uuid.uuid4().hex[:12]
        ledger.intakes[batch] = False
        form = {"batch": batch, "text": f"Text of {label}: two detentions.", "published": "2021-07-01", "lang": "en",
                "title": f"Intake {label}", "rows": "3"}
        for index, person in enumerate(("new", "new", person_id)):
            form.update({f"row-{index}-decision": "accept", f"row-{index}-type": "detained", f"row-{index}-person": person,
                         f"row-{index}-new_name": f"Intake Person {label}", f"row-{index}-date": "2021-07-01"})

        def noted(_content: bytes) -> None:
            ledger.intakes[batch] = True

        return "POST", "/intake/accept", urlencode(form), FORM, 200, noted


def with_application_name(location: str, name: str) -> str:
    if "://" not in location:
        return location
    return location + ("&" if "?" in location else "?") + f"application_name={name}"


def wait_for_backends_to_end(location: str, application: str) -> None:
    """PostgreSQL: wait until the server has rolled back and closed the dead process's connections."""
    engine = create_engine(database_url(location))
    try:
        deadline = time.monotonic() + 60
        query = text("select count(*) from pg_stat_activity where application_name = :name")
        while True:
            with engine.connect() as connection:
                if connection.execute(query, {"name": application}).scalar_one() == 0:
                    return
            assert time.monotonic() < deadline, "PostgreSQL kept the killed server's connections"
            time.sleep(0.05)
    finally:
        engine.dispose()


def current_and_all(connection, resource: str) -> tuple[dict, list[dict]]:
    """The current versions of a kind of record by key, and every version."""
    table = RECORD_TABLES[resource]
    rows = [dict(row) for row in connection.execute(select(table).order_by(table.c.row_id)).mappings()]
    keys = RECORD_KEYS[resource]
    current: dict = {}
    for row in rows:
        if row["retracted_at"] is None:
            key = tuple(row[column] for column in keys)
            assert key not in current, f"{resource} {key} has two current versions"
            current[key if len(key) > 1 else key[0]] = row
    return current, rows


def check_register(location: str, ledger: Ledger, seeded_rows: dict[str, set[int]]) -> None:
    """Every acknowledged write is there, and nothing is half-written."""
    with Database.open(location) as database, database.reading() as connection:
        persons, all_persons = current_and_all(connection, "persons")
        events, all_events = current_and_all(connection, "events")
        sources, all_sources = current_and_all(connection, "sources")
        keys = dict(connection.execute(select(person_keys.c.person_id, person_keys.c.person_key)).all())
        entries = connection.execute(select(audit_log.c.action, audit_log.c.resource, audit_log.c.details)).all()

    # Acknowledged writes, as they were answered.
    for person_id, name in ledger.persons.items():
        assert person_id in persons, f"acknowledged person {person_id} is missing"
        allowed = {name, ledger.pending_names.get(person_id)}  # an edit in flight may have committed, unanswered
        assert persons[person_id]["name"] in allowed, f"person {person_id}: {persons[person_id]['name']!r}, not {name!r}"
        assert persons[person_id]["restricted_notes"].startswith("contact of "), person_id
    for event_id, person_id in ledger.events.items():
        assert event_id in events and events[event_id]["person_id"] == person_id, f"acknowledged event {event_id} is missing"
    for event_id, title in ledger.sourced_events.items():
        assert event_id in events, f"acknowledged event {event_id} (with a new source) is missing"
        assert title in {sources[source]["title"] for source in events[event_id]["source_ids"] if source in sources}
    for batch, acknowledged in ledger.intakes.items():
        parts = [f"s-{batch}" in sources, f"p-{batch}-1" in persons, *(f"e-{batch}-{n}" in events for n in (1, 2, 3))]
        assert all(parts) or not any(parts), f"intake {batch} is half-written: {parts}"
        assert all(parts) or not acknowledged, f"acknowledged intake {batch} is missing"

    # Nothing half-written, acknowledged or not.
    for resource, every in (("persons", all_persons), ("events", all_events), ("sources", all_sources)):
        retracted_keys = {row[RECORD_KEYS[resource][0]] for row in every if row["retracted_at"] is not None}
        current = {"persons": persons, "events": events, "sources": sources}[resource]
        assert retracted_keys <= set(current), f"{resource}: an old version retracted without its new one"
    for event_id, event in events.items():
        assert event["person_id"] in persons, f"event {event_id} without its person {event['person_id']}"
        assert all(source in sources for source in event["source_ids"]), f"event {event_id} cites a missing source"
    for row in [*all_persons, *all_events]:
        assert keys.get(row["person_id"]) == row["person_key"], f"{row['person_id']}: person key {row['person_key']}"
    audited = {(resource, json.loads(details)["row_id"]) for action, resource, details in entries if action == "record"}
    written = {(resource, row["row_id"]) for resource, every in (("persons", all_persons), ("events", all_events),
                                                               ("sources", all_sources))
               for row in every if row["row_id"] not in seeded_rows[resource]}
    assert written == audited - {(resource, row_id) for resource, ids in seeded_rows.items() for row_id in ids}, (
        "versions without their audit entry, or audit entries without their version"
    )
    assert len(ledger.persons) + len(ledger.events) + len(ledger.sourced_events) <= len(written)


def test_a_server_killed_during_writes_loses_no_acknowledged_write(database_location: str, tmp_path: Path):
    with Database.open(database_location) as database:
        Register(database).record_all([("sources", SOURCE, None)])
        with database.reading() as connection:
            seeded = {resource: {row_id for (row_id,) in connection.execute(select(RECORD_TABLES[resource].c.row_id))}
                      for resource in ("persons", "events", "sources")}
    application = f"chronicle-killed-{uuid.uuid4().hex[:8]}"
    log = tmp_path / "server.log"
    process, port = start_server(with_application_name(database_location, application), log)
    ledger = Ledger()
    writers = [Writer(number, port, ledger) for number in range(WRITERS)]
    try:
        for writer in writers:
            writer.start()
        deadline = time.monotonic() + 60
        while ledger.acknowledged < KILL_AFTER or ledger.in_flight == 0:
            assert any(writer.is_alive() for writer in writers), f"the writers stopped before the kill: {ledger.refused}"
            assert time.monotonic() < deadline, f"only {ledger.acknowledged} writes answered in time"
            time.sleep(0.002)
        ledger.killed.set()
        os.kill(process.pid, signal.SIGKILL)
    finally:
        ledger.killed.set()
        if process.poll() is None:
            process.kill()
        process.wait(timeout=30)
        for writer in writers:
            writer.join(timeout=60)
    assert process.returncode == -signal.SIGKILL
    assert not any(writer.is_alive() for writer in writers)
    assert ledger.refused == [], f"writes refused before the kill: {ledger.refused}\n{log.read_text(errors='replace')}"
    assert ledger.acknowledged >= KILL_AFTER
    assert ledger.unanswered >= 1, "no request was in flight when the server was killed"
    assert any(ledger.intakes.values()) and ledger.sourced_events, "every kind of write should have been acknowledged"

    if "://" in database_location:
        wait_for_backends_to_end(database_location, application)
    else:  # the file as the kill left it (with its write-ahead log), checked by SQLite itself
        import sqlite3

        connection = sqlite3.connect(database_location)
        try:
            assert connection.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
            assert connection.execute("PRAGMA foreign_key_check").fetchall() == []
        finally:
            connection.close()
    check_register(database_location, ledger, seeded)
    verify = subprocess.run([sys.executable, "-m", "chronicle", "--db", database_location, "audit", "verify"],
                            check=False, capture_output=True, text=True, timeout=120)
    assert verify.returncode == 0, verify.stdout + verify.stderr

    # The register works again: a server started on it reads an acknowledged person and writes a new one.
    process, port = start_server(database_location, log)
    try:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        person_id, name = next((key, name) for key, name in ledger.persons.items() if key not in ledger.pending_names)
        connection.request("GET", f"/api/v1/persons/{quote(person_id)}")
        answer = connection.getresponse()
        assert answer.status == 200 and name.encode() in answer.read()
        connection.request("POST", "/api/v1/persons", body=json.dumps({"person_id": "after-kill", "name": "After"}), headers=JSON)
        answer = connection.getresponse()
        assert answer.status == 201, answer.read()
        answer.read()
    finally:
        process.terminate()
        process.wait(timeout=30)
