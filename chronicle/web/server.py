"""Running the web app with uvicorn."""

from __future__ import annotations

import ipaddress
import logging
import threading

import uvicorn

from chronicle.database import Database
from chronicle.errors import InputError
from chronicle.web.app import WebSettings, create_app, warm_up
from chronicle.web.settings import LOOPBACK_HOSTS


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def serve(database: Database, *, host: str = "127.0.0.1", port: int = 8000, on_start=None, local_operator: bool = False) -> None:
    """Serve the app until interrupted. `on_start(url)` is called once the server listens.

    Staff sign in with their accounts; with `local_operator` (a loopback
    `host` only) every caller is the local operator instead, an admin.
    Behind a TLS proxy on this machine, uvicorn takes the proxy's
    X-Forwarded-Proto and X-Forwarded-For, so that sessions see HTTPS and
    the rate limits see the client's address.
    """
    if local_operator and not is_loopback(host):
        raise InputError(f"local-operator mode is for a loopback address only, not {host}")
    settings = WebSettings(local_operator=local_operator, allowed_hosts=LOOPBACK_HOSTS if local_operator else None)
    app = create_app(database, settings)
    config = uvicorn.Config(app, host=host, port=port, log_level="warning")
    server = uvicorn.Server(config)
    original = server.startup

    async def startup(sockets=None):
        await original(sockets)
        threading.Thread(target=_warm_up_quietly, args=(app,), name="chronicle-warm-up", daemon=True).start()
        if on_start is not None:
            bound = server.servers[0].sockets[0].getsockname()[1] if server.servers else port
            on_start(f"http://{host}:{bound}/")

    server.startup = startup
    server.run()


def _warm_up_quietly(app) -> None:
    try:
        warm_up(app)
    except Exception:
        logging.getLogger("chronicle.web").exception("warming up failed")
