"""An import killed with SIGKILL in the middle of writing leaves the register as it was."""

from __future__ import annotations

import csv
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

from packages import small_register, write_package
from snapshots import snapshot
from sqlalchemy import create_engine, text

from chronicle.database import Database, database_url
from chronicle.importer import import_package
from chronicle.package_format import RESOURCES_BY_NAME, write_descriptor

EVENTS = 400_000


def write_large_package(folder: Path) -> Path:
    """Many persons with many events: enough that writing takes seconds."""
    folder.mkdir()
    columns = {name: RESOURCES_BY_NAME[name].columns for name in ("sources", "persons", "events")}

    def write(name: str, rows) -> None:
        with open(folder / f"{name}.csv", "w", encoding="utf-8", newline="") as stream:
            writer = csv.writer(stream, lineterminator="\n")
            writer.writerow(columns[name])
            for row in rows:
                writer.writerow([row.get(column, "") for column in columns[name]])

    write("sources", [{"source_id": "big-s", "title": "A long list", "restricted": "false"}])
    write("persons", ({"person_id": f"big-p{i}", "name": f"Person {i}", "public": "true"} for i in range(EVENTS // 10)))
    write(
        "events",
        (
            {"event_id": f"big-e{i}", "person_id": f"big-p{i // 10}", "type": "detained" if i % 10 == 0 else "charged", "date": "2021-05-01", "source_ids": "big-s"}
            for i in range(EVENTS)
        ),
    )
    write_descriptor(folder, ["sources", "persons", "events"])
    return folder


def writing_started(location: str, application: str) -> bool:
    """Has the import begun to write? (SQLite: its log grows; PostgreSQL: a COPY is running.)"""
    if "://" not in location:
        log = Path(location + "-wal")
        return log.exists() and log.stat().st_size > 4 * 1024 * 1024
    engine = create_engine(database_url(location))
    try:
        with engine.connect() as connection:
            query = text("select count(*) from pg_stat_activity where application_name = :name and query like 'COPY%' and state = 'active'")
            return connection.execute(query, {"name": application}).scalar_one() > 0
    finally:
        engine.dispose()


def test_a_killed_import_leaves_the_register_as_it_was(database_location: str, tmp_path: Path):
    with Database.open(database_location) as database:
        import_package(database, write_package(tmp_path / "small", small_register()))
    before = snapshot(database_location)
    package = write_large_package(tmp_path / "large")

    application = f"chronicle-kill-{uuid.uuid4().hex[:8]}"
    location = database_location
    if "://" in location:
        location += f"&application_name={application}" if "?" in location else f"?application_name={application}"
    process = subprocess.Popen(
        [sys.executable, "-m", "chronicle", "--db", location, "import", str(package)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 120
        while not writing_started(database_location, application):
            assert process.poll() is None, "the import ended before it was killed; make the package larger"
            assert time.monotonic() < deadline, "the import never started writing"
            time.sleep(0.05)
        os.kill(process.pid, signal.SIGKILL)
    finally:
        process.wait(timeout=60)
    assert process.returncode == -signal.SIGKILL

    if "://" in database_location:
        time.sleep(0.5)  # the server notices the lost connection and rolls back
    after = snapshot(database_location)
    # PostgreSQL sequences are not transactional: the rolled-back inserts used up row ids. No row remains.
    before.pop("sequences", None)
    after.pop("sequences", None)
    assert after == before
    with Database.open(database_location) as database:  # and the register still works
        import_package(database, write_package(tmp_path / "again", small_register()))
