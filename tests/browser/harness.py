"""What the browser tests and the screenshot script share: a register, a served app, Debian's Chromium.

- `build_register(folder)`: a synthetic register (`chronicle generate`, 300
  persons, seed 7, imported) with a few known persons recorded on top, so a
  test can look for them by name.
- `Server`: `python -m chronicle --db FILE serve --local-operator --port PORT`
  on a free loopback port, as a subprocess: the local operator's server, so
  the internal pages answer without signing in. With `local_operator=False`,
  `chronicle serve` as a group runs it, where staff sign in (the register
  has the admin `ADMIN`, who has not set up two-factor sign-in yet). With
  `public`, the app for the anonymous public only (for the screenshots).
- `launch_chromium(playwright)`: /usr/bin/chromium headless, with the flags a
  machine without a network needs. Playwright never downloads a browser here.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from chronicle.accounts import Accounts
from chronicle.database import Database
from chronicle.generate import generate_package
from chronicle.importer import import_package
from chronicle.register import Register

CHROMIUM = Path(os.environ.get("CHRONICLE_TEST_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
PERSONS = 300
SEED = 7

# Known persons recorded on top of the synthetic register (cells as in a data package).
SOURCE = {"source_id": "known-s1", "title": "Viasna: political prisoners", "publisher": "Viasna",
          "url": "https://example.org/known", "published": "2020-09-10", "restricted": "false"}
KNOWN_PERSONS = [
    {"person_id": "known-1", "name": "Сяргей Ціханоўскі", "name_be": "Сяргей Ціханоўскі", "name_ru": "Сергей Тихановский",
     "name_en": "Siarhei Tsikhanouski", "aliases": "Sergei Tikhanovsky", "birth_date": "1978-08-18", "gender": "m",
     "categories": "journalist", "region": "Homiel region", "public": "true"},
    {"person_id": "known-2", "name": "Maryia Kalesnikava", "name_be": "Марыя Калеснікава", "name_ru": "Мария Колесникова",
     "name_en": "Maryia Kalesnikava", "birth_date": "1982-04-24", "gender": "f", "categories": "musician",
     "region": "Minsk city", "public": "true"},
    # Behind bars and recognised, but without consent to be named: counted, never listed in public.
    {"person_id": "known-3", "name": "Withheld Prisoner", "name_ru": "Скрытый Заключённый", "gender": "m",
     "region": "Homiel region", "public": "false"},
    # Behind bars until a test records their release: through the event form, and through intake.
    {"person_id": "known-4", "name": "Уладзімір Кавалёў", "name_be": "Уладзімір Кавалёў", "name_en": "Uladzimir Kavaliou",
     "gender": "m", "region": "Viciebsk region", "public": "true"},
    {"person_id": "known-5", "name": "Ihar Barysevich", "name_be": "Ігар Барысевіч", "name_ru": "Игорь Борисевич",
     "name_en": "Ihar Barysevich", "gender": "m", "region": "Viciebsk region", "public": "true"},
]
KNOWN_EVENTS = [
    {"event_id": "known-e1", "person_id": "known-1", "type": "detained", "date": "2020-05-29", "place": "Hrodna"},
    {"event_id": "known-e2", "person_id": "known-1", "type": "recognized", "date": "2020-06-02"},
    {"event_id": "known-e3", "person_id": "known-1", "type": "convicted", "date": "2021-12-14", "charges": "342-1;293-1",
     "sentence_months": "216", "sentence_kind": "colony"},
    {"event_id": "known-e4", "person_id": "known-2", "type": "detained", "date": "2020-09-07", "place": "Minsk"},
    {"event_id": "known-e5", "person_id": "known-2", "type": "recognized", "date": "2020-09-10"},
    {"event_id": "known-e6", "person_id": "known-3", "type": "detained", "date": "2021-01-10", "place": "Homiel"},
    {"event_id": "known-e7", "person_id": "known-3", "type": "recognized", "date": "2021-02-01"},
    {"event_id": "known-e8", "person_id": "known-4", "type": "detained", "date": "2024-11-05", "place": "Viciebsk"},
    {"event_id": "known-e9", "person_id": "known-4", "type": "recognized", "date": "2024-12-01"},
    {"event_id": "known-e10", "person_id": "known-5", "type": "detained", "date": "2023-04-12", "place": "Polack"},
    {"event_id": "known-e11", "person_id": "known-5", "type": "convicted", "date": "2023-10-02", "sentence_months": "30",
     "sentence_kind": "colony"},
]


# An admin of the register, for the test that signs in for real; two-factor sign-in is set up at the first sign-in.
ADMIN = {"username": "browser-admin", "password": "a long browser test passphrase", "name": "Browser Admin"}


def build_register(folder: Path, *, persons: int = PERSONS) -> Path:
    """A SQLite register in `folder`: the synthetic package imported, then the known persons recorded, and the admin `ADMIN`."""
    package = folder / "package"
    generate_package(package, persons=persons, seed=SEED)
    path = folder / "register.db"
    database = Database.open(str(path))
    try:
        import_package(database, package)
        changes = [("sources", SOURCE, None)]
        changes += [("persons", person, None) for person in KNOWN_PERSONS]
        changes += [("events", {**event, "source_ids": SOURCE["source_id"]}, None) for event in KNOWN_EVENTS]
        Register(database).record_all(changes)
        Accounts(database).add_user(ADMIN["username"], ADMIN["password"], role="admin", display_name=ADMIN["name"])
    finally:
        database.close()
    return path


PUBLIC_SERVER = """
import sys, uvicorn
from chronicle.database import Database
from chronicle.web.app import WebSettings, create_app
app = create_app(Database.open(sys.argv[1]), WebSettings(local_operator=False))
uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[2]), log_level="warning")
"""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Server:
    """`chronicle serve` on a free loopback port, as a subprocess, until `stop`."""

    def __init__(self, database: Path, log: Path, *, public: bool = False, local_operator: bool = True):
        self.database = database
        self.log_path = log
        self.public = public
        self.local_operator = local_operator
        self.process: subprocess.Popen | None = None
        self.url = ""

    def command(self, port: int) -> list[str]:
        if self.public:  # the app as the anonymous public sees it (what a non-loopback server will serve)
            return [sys.executable, "-c", PUBLIC_SERVER, str(self.database), str(port)]
        chosen = ["--local-operator"] if self.local_operator else []
        return [sys.executable, "-m", "chronicle", "--db", str(self.database), "serve", *chosen, "--port", str(port)]

    def start(self, *, timeout: float = 60.0, attempts: int = 3) -> str:
        for _ in range(attempts):  # another process may take the free port between probing and binding
            port = free_port()
            self.url = f"http://127.0.0.1:{port}"
            with open(self.log_path, "ab") as log:
                self.process = subprocess.Popen(
                    self.command(port), stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                )
            if self._wait(timeout):
                return self.url
            self.stop()
        raise RuntimeError(f"chronicle serve did not answer; its log:\n{self.log_path.read_text(errors='replace')}")

    def _wait(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                return False
            try:
                with urllib.request.urlopen(f"{self.url}/public/prisoners", timeout=5) as answer:
                    return answer.status == 200
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.1)
        return False

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=15)
        self.process = None


def chromium_unavailable() -> str | None:
    """None when the browser tests can run; otherwise why not."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Playwright for Python is not installed (pip install -e '.[test]')"
    if not CHROMIUM.is_file() or not os.access(CHROMIUM, os.X_OK):
        return f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)"
    return None


def launch_chromium(playwright):
    """Debian's Chromium, headless; Playwright gives it a fresh, temporary user data folder."""
    return playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)


TIMEOUT_MS = 15_000  # for one action or expectation; a page here answers in well under a second


def require_chromium() -> None:
    reason = chromium_unavailable()
    if reason is not None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI=true and {reason}")
        pytest.skip(reason)
