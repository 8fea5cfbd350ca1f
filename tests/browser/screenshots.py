"""Screenshots of the main pages at a laptop width and a phone width, for docs/web.md.

    .venv/bin/python tests/browser/screenshots.py            # into docs/screenshots/
    .venv/bin/python tests/browser/screenshots.py --full /tmp/shots   # whole pages, to look for problems

Not part of the test run. It builds the browser tests' register (harness.py),
serves it twice (for the anonymous public and for the local operator) and
takes each page with Debian's Chromium. Pages are cut to a fixed height
unless --full; where pngquant is installed (apt-get install pngquant) the
PNGs are reduced to 256 colours, which keeps the committed files small.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from harness import Server, build_register, chromium_unavailable, launch_chromium

WIDTHS = {"laptop": (1280, 800), "phone": (390, 844)}
HEIGHT_LIMIT = {"laptop": 1300, "phone": 2000}  # of a cut page, in CSS pixels

# (name, public server?, how to reach the page)
PAGES = [
    ("public-home", True, lambda page: page.goto("/")),
    ("public-list", True, lambda page: page.goto("/public/prisoners?region=Homiel+region")),
    ("public-person", True, lambda page: page.goto("/public/prisoners/known-1")),
    ("dashboard", False, lambda page: page.goto("/dashboard")),
    ("persons-search", False, lambda page: page.goto("/persons?q=Tsikhanouski")),
    ("person", False, lambda page: page.goto("/persons/known-1")),
    ("explanation", False, lambda page: (page.goto("/dashboard"), page.locator(".card.main a").click())),
]


def take(browser, base_url: str, name: str, reach, out: Path, *, full: bool) -> list[Path]:
    taken = []
    for device, (width, height) in WIDTHS.items():
        context = browser.new_context(base_url=base_url, locale="en-GB", viewport={"width": width, "height": height},
                                      device_scale_factor=1)
        try:
            page = context.new_page()
            reach(page)
            page.wait_for_load_state("load")
            path = out / f"{name}-{device}.png"
            wide = page.evaluate("document.documentElement.scrollWidth")
            if wide > width:
                print(f"{name} at {width} px: the page is {wide} px wide (it overflows)", file=sys.stderr)
            tall = page.evaluate("document.documentElement.scrollHeight")
            cut = None if full else {"x": 0, "y": 0, "width": width, "height": min(tall, HEIGHT_LIMIT[device])}
            page.screenshot(path=str(path), full_page=True, clip=cut)
            taken.append(path)
        finally:
            context.close()
    return taken


def shrink(paths: list[Path]) -> None:
    if shutil.which("pngquant") is None:
        print("pngquant is not installed: the PNGs are left as Chromium wrote them", file=sys.stderr)
        return
    for path in paths:
        subprocess.run(["pngquant", "--force", "--skip-if-larger", "--strip", "--quality", "60-90", "--speed", "1",
                        "--output", str(path), str(path)], check=False)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out", nargs="?", type=Path, default=HERE.parent.parent / "docs" / "screenshots")
    parser.add_argument("--full", action="store_true", help="whole pages, not cut to a fixed height")
    options = parser.parse_args()
    reason = chromium_unavailable()
    if reason:
        print(reason, file=sys.stderr)
        return 1
    from playwright.sync_api import sync_playwright

    options.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="chronicle-screenshots-") as folder:
        database = build_register(Path(folder))
        servers = {public: Server(database, Path(folder) / f"serve-{public}.log", public=public) for public in (True, False)}
        taken: list[Path] = []
        try:
            for server in servers.values():
                server.start()
            with sync_playwright() as playwright:
                browser = launch_chromium(playwright)
                try:
                    for name, public, reach in PAGES:
                        taken += take(browser, servers[public].url, name, reach, options.out, full=options.full)
                finally:
                    browser.close()
        finally:
            for server in servers.values():
                server.stop()
    shrink(taken)
    for path in taken:
        print(f"{path}  {path.stat().st_size // 1024} KB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
