"""How the web app serves: one settings object, built once and passed to `create_app`."""

from __future__ import annotations

from dataclasses import dataclass

PAGE_SIZE = 50
VERSION_CHECK_SECONDS = 1.0
"""Writes through this server show at once; writes by other processes (an import on the command line) within a second."""


@dataclass(frozen=True)
class WebSettings:
    """How the app serves.

    - local_operator: every caller is the one local operator, with an admin's
      rights (until accounts exist: `chronicle serve` on a loopback address,
      `chronicle demo`); otherwise every caller is the anonymous public and
      only the public site and the public API answer.
    - page_size: rows per page of a list.
    """

    local_operator: bool = False
    page_size: int = PAGE_SIZE
