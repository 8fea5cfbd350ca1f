"""The interface is translated: every message of the web app has a Belarusian and a Russian translation."""

from __future__ import annotations

import pytest

from chronicle.web import catalogs
from chronicle.web.i18n import gettext_, reset_language, set_language


@pytest.mark.parametrize("code", ["be", "ru"])
def test_every_message_of_the_web_app_is_translated(code: str):
    missing = catalogs.untranslated(code)
    assert missing == [], f"run `python -m chronicle.web.catalogs` and translate: {missing[:10]}"


def test_a_translated_message_reaches_the_pages():
    token = set_language("be")
    try:
        assert gettext_("Political prisoners") != "Political prisoners"
    finally:
        reset_language(token)
    token = set_language("xx")  # an unknown language falls back to English
    try:
        assert gettext_("Political prisoners") == "Political prisoners"
    finally:
        reset_language(token)
