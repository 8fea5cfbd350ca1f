"""Signing in for real, in Chromium: `chronicle serve` without --local-operator, and the admin of harness.py.

The admin has not set up two-factor sign-in: the first sign-in walks through
it (the key shown as text, a code from it, the recovery codes once), then
signing out ends the session, and a recovery code signs in once.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pyotp
import pytest
from harness import ADMIN, TIMEOUT_MS, Server, build_register, require_chromium
from playwright.sync_api import Page, expect


@pytest.fixture(scope="module")
def served_for_staff(tmp_path_factory) -> Iterator[str]:
    """`chronicle serve` as a group runs it: staff sign in."""
    require_chromium()
    folder = tmp_path_factory.mktemp("served-for-staff")
    server = Server(build_register(folder, persons=40), folder / "serve.log", local_operator=False)
    server.start()
    try:
        yield server.url
    finally:
        server.stop()


@pytest.fixture
def staff_page(browser, served_for_staff: str) -> Iterator[Page]:
    context = browser.new_context(base_url=served_for_staff, locale="en-GB")
    context.set_default_timeout(TIMEOUT_MS)
    try:
        yield context.new_page()
    finally:
        context.close()


def sign_in_with_password(page: Page) -> None:
    page.get_by_label("Username").fill(ADMIN["username"])
    page.get_by_label("Password").fill(ADMIN["password"])
    page.get_by_role("button", name="Sign in").click()


def test_an_admin_sets_up_two_factor_at_the_first_sign_in_and_later_signs_in_with_a_recovery_code(staff_page: Page):
    page = staff_page
    page.goto("/dashboard")
    expect(page.locator("h1")).to_have_text("Sign in needed")
    page.get_by_role("link", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/sign-in\?next=/dashboard$"))
    sign_in_with_password(page)
    expect(page.locator("h1")).to_have_text("Set up two-factor sign-in")
    secret = page.locator("code.secret").inner_text().replace(" ", "")
    expect(page.locator("code.uri")).to_contain_text(f"otpauth://totp/Chronicle:{ADMIN['username']}?secret={secret}")
    page.get_by_label("Code").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Confirm").click()
    expect(page.locator("h1")).to_have_text("Two-factor sign-in is set up")
    codes = page.locator("ol.recovery-codes code").all_inner_texts()
    assert len(codes) == 10 and all(re.fullmatch(r"[a-z2-7]{4}(-[a-z2-7]{4}){3}", code) for code in codes)
    page.get_by_role("link", name="I have written them down: continue").click()
    expect(page).to_have_url(re.compile(r"/dashboard$"))
    expect(page.locator("header .who")).to_contain_text(f"{ADMIN['username']} · admin")
    cookie = next(c for c in page.context.cookies() if c["name"].endswith("chronicle-session"))
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict" and cookie["path"] == "/"

    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/$"))
    page.goto("/dashboard")
    expect(page.locator("h1")).to_have_text("Sign in needed")

    page.goto("/sign-in")
    sign_in_with_password(page)
    expect(page.locator("h1")).to_have_text("Two-factor sign-in")
    page.get_by_label("Code").fill(codes[0])
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/dashboard$"))
    expect(page.locator(".card.main")).to_contain_text("Political prisoners")

    page.get_by_role("button", name="Sign out").click()
    page.goto("/sign-in")
    sign_in_with_password(page)
    page.get_by_label("Code").fill(codes[0])  # used already
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("[role=alert]")).to_have_text("The username, password or code is not right.")
    page.goto("/dashboard")
    expect(page.locator("h1")).to_have_text("Sign in needed")
