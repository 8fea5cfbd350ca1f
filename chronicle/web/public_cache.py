"""Answers of the public site kept in memory until the register changes.

The public list, the public person pages, the public home and the public
`/api/v1/persons` are the same for every anonymous reader in a language on a
day, and the world reads them far more often than the register changes. So
the app keeps each such answer, whole, and gives it again until the register
changes, like a caching proxy in front of the site, but one that knows when
the register changed.

What is kept, and what never is:

- only answers to anonymous GET requests: a request with a session cookie, an
  Authorization header, or to a local operator's server is never answered
  from here nor kept;
- only 200 answers of routes that mark themselves with `mark_public`, which
  marks nothing for a signed-in caller; the mark is a header the middleware
  removes from every answer, kept or not;
- keyed by path, query, language and UTC day, and valid for one version of
  the register: a write through this server is seen at once (the database's
  write counter), a write by another process (an import on the command line)
  within about a second, when a background read of the tables sees it. Until
  then the answer a moment old is given, as the person lists already do.

Bounded by count and bytes; the least recently used answers go first.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass

from fastapi import Request
from starlette.responses import Response

from chronicle.database import Database
from chronicle.register import register_version
from chronicle.schema import cases, events, memberships, organisations, persons, sources
from chronicle.web.access import current_principal

MARK = b"x-chronicle-public-answer"
ENTRIES_KEPT = 1024
BYTES_KEPT = 64 * 1024 * 1024
TABLES = (persons, events, memberships, sources, cases, organisations)

log = logging.getLogger("chronicle.web")


def mark_public(request: Request, response: Response) -> Response:
    """Let the public cache keep this answer, if the caller is the anonymous public."""
    if current_principal(request).anonymous:
        response.headers[MARK.decode()] = "1"
    return response


@dataclass(frozen=True)
class Kept:
    version: tuple
    status: int
    headers: tuple[tuple[bytes, bytes], ...]
    body: bytes


class PublicCache:
    """The kept answers of one app, and the register version they belong to."""

    def __init__(self, database: Database, *, max_age: float, entries: int = ENTRIES_KEPT, size: int = BYTES_KEPT):
        self.database = database
        self.max_age = max_age
        self.entries = entries
        self.size = size
        self._kept: OrderedDict[tuple, Kept] = OrderedDict()
        self._bytes = 0
        self._tables: tuple | None = None  # the tables' version, read in the background
        self._checked = 0.0
        self._checking = threading.Lock()
        self.pending: dict[tuple, tuple[tuple, asyncio.Event]] = {}  # answers being made, which others wait for

    def version(self) -> tuple | None:
        """The register's version as this server knows it; None until first read (nothing is then kept)."""
        if time.monotonic() - self._checked >= self.max_age and self._checking.acquire(blocking=False):
            asyncio.get_running_loop().run_in_executor(None, self._read_tables)
        if self._tables is None:
            return None
        return (self.database.writes, self._tables)

    def _read_tables(self) -> None:
        try:
            self._tables = register_version(self.database, TABLES)[1]
            self._checked = time.monotonic()
        except Exception:  # a failed check keeps nothing new; the next request tries again
            log.exception("reading the register version failed")
            self._tables = None
        finally:
            self._checking.release()

    def get(self, key: tuple, version: tuple) -> Kept | None:
        kept = self._kept.get(key)
        if kept is None:
            return None
        if kept.version != version:
            self._drop(key)
            return None
        self._kept.move_to_end(key)
        return kept

    def put(self, key: tuple, kept: Kept) -> None:
        if len(kept.body) > self.size // 16:
            return
        if key in self._kept:
            self._drop(key)
        self._kept[key] = kept
        self._bytes += len(kept.body)
        while len(self._kept) > self.entries or self._bytes > self.size:
            self._drop(next(iter(self._kept)))

    def _drop(self, key: tuple) -> None:
        self._bytes -= len(self._kept.pop(key).body)

    def __len__(self) -> int:
        return len(self._kept)


async def answer(cache: PublicCache, key: tuple, app, scope, receive, send) -> None:
    """Give the kept answer for `key` if there is one for the current version; else ask the app and keep what it marked.

    `send` must remove the mark from what it sends on (`strip_mark`): the
    middleware's does, for every answer.

    While one request makes an answer, others for the same key and version
    wait for it rather than all making it at once (the first visitors after
    a change, or a burst on a page nobody asked for before).
    """
    version = cache.version()
    if version is None:
        await app(scope, receive, send)
        return
    if await _give_kept(cache, key, version, send):
        return
    making = cache.pending.get(key)
    if making is not None and making[0] == version:
        await making[1].wait()
        if await _give_kept(cache, key, version, send):
            return
        await app(scope, receive, send)  # what was made was not for keeping (an error, say)
        return
    done = asyncio.Event()
    cache.pending[key] = (version, done)
    try:
        await app(scope, receive, _keeping(cache, key, version, send))
    finally:
        done.set()
        if cache.pending.get(key, (None, None))[1] is done:
            del cache.pending[key]


async def _give_kept(cache: PublicCache, key: tuple, version: tuple, send) -> bool:
    kept = cache.get(key, version)
    if kept is None:
        return False
    await send({"type": "http.response.start", "status": kept.status, "headers": list(kept.headers)})
    await send({"type": "http.response.body", "body": kept.body})
    return True


def _keeping(cache: PublicCache, key: tuple, version: tuple, send):
    """A `send` that passes the answer on and keeps it, if the route marked it and it is a plain 200."""
    start: tuple[int, tuple] | None = None
    parts: list[bytes] = []
    keep = True

    async def capture(message):
        nonlocal start, keep
        if message["type"] == "http.response.start":
            headers = message.get("headers", [])
            names = {name.lower() for name, _ in headers}
            keep = MARK in names and message["status"] == 200 and b"set-cookie" not in names
            message["headers"] = [(name, value) for name, value in headers if name.lower() != MARK]
            start = (message["status"], tuple(message["headers"]))  # as the app gave them: the middleware adds its own to each answer
        elif message["type"] == "http.response.body" and keep:
            parts.append(message.get("body", b""))
            if not message.get("more_body", False) and start is not None:
                cache.put(key, Kept(version, start[0], start[1], b"".join(parts)))
        await send(message)

    return capture


def strip_mark(message: dict) -> None:
    """Remove the mark from an answer that is not a candidate for the cache."""
    if message["type"] == "http.response.start" and message.get("headers"):
        message["headers"] = [(name, value) for name, value in message["headers"] if name.lower() != MARK]
