"""Fixtures of the browser tests: one served register and one Chromium per test process.

Under pytest-xdist each worker builds its own register, serves it on its own
free loopback port and launches its own browser; each test gets a fresh
browser context (no cookies, English). Without Chromium (or Playwright) the
tests are skipped with the reason, except under CI=true where that is a
failure, as for PostgreSQL in tests/conftest.py.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from harness import (  # noqa: F401
    TIMEOUT_MS,
    Server,
    build_register,
    chromium_unavailable,
    launch_chromium,
    require_chromium,
)


@pytest.fixture(scope="session")
def served(tmp_path_factory) -> Iterator[str]:
    """The base URL of `chronicle serve` on the synthetic register with the known persons."""
    require_chromium()
    folder = tmp_path_factory.mktemp("served")
    server = Server(build_register(folder), folder / "serve.log")
    server.start()
    try:
        yield server.url
    finally:
        server.stop()


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = launch_chromium(playwright)
        try:
            yield chromium
        finally:
            chromium.close()


def _context(browser, served: str, **options):
    context = browser.new_context(base_url=served, locale="en-GB", accept_downloads=True, **options)
    context.set_default_timeout(TIMEOUT_MS)
    return context


@pytest.fixture
def page(browser, served: str):
    """A page in a fresh context of its own."""
    context = _context(browser, served)
    try:
        yield context.new_page()
    finally:
        context.close()


@pytest.fixture
def page_without_scripts(browser, served: str):
    """A page with JavaScript off, as in Tor Browser's safest mode."""
    context = _context(browser, served, java_script_enabled=False)
    try:
        yield context.new_page()
    finally:
        context.close()
