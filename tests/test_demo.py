"""`chronicle demo`: builds a register and serves its first page at the printed address."""

from __future__ import annotations

import re
import subprocess
import sys
import time
import urllib.request


def test_the_demo_serves_the_persons_page_at_the_printed_address():
    process = subprocess.Popen(
        [sys.executable, "-m", "chronicle", "demo", "--port", "0", "--no-browser", "--persons", "200"],
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
    )
    try:
        url = None
        deadline = time.monotonic() + 120
        lines = []
        while url is None and time.monotonic() < deadline:
            line = process.stderr.readline()
            assert line or process.poll() is None, f"the demo stopped: {''.join(lines)}"
            lines.append(line)
            match = re.search(r"running at (http://127\.0\.0\.1:\d+/)", line)
            url = match.group(1) if match else None
        assert url, "the demo never printed its address"
        home = urllib.request.urlopen(url, timeout=10).read().decode()
        assert "political prisoners are behind bars" in home and 'href="/persons"' in home
        page = urllib.request.urlopen(f"{url}persons", timeout=10).read().decode()
        assert "Persons" in page and "200" in page
        person = re.search(r'href="/persons/([^"]+)"', page).group(1)
        timeline = urllib.request.urlopen(f"{url}persons/{person}", timeout=10).read().decode()
        assert "Timeline" in timeline and "detained" in timeline
    finally:
        process.terminate()
        process.wait(timeout=30)
