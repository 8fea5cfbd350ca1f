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
      rights, and nobody signs in (`chronicle demo`, `chronicle serve
      --local-operator` on a loopback address, tests); otherwise callers sign
      in with their accounts, and the anonymous public sees the public site
      and the public API only.
    - secure_cookies: mark the session cookie Secure (and give it the
      `__Host-` prefix) even on plain HTTP, as behind a TLS proxy that does
      not say the request came over HTTPS. Over HTTPS it always is.
    - allowed_hosts: the only host names (the Host header, without its
      port) the app answers to; None: any. A local operator's server
      answers to loopback names only, so that a web page whose own name was
      pointed at 127.0.0.1 (DNS rebinding) cannot read or write the register.
    - page_size: rows per page of a list.
    """

    local_operator: bool = False
    secure_cookies: bool = False
    allowed_hosts: tuple[str, ...] | None = None
    page_size: int = PAGE_SIZE


LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")
