"""Running the web app with uvicorn."""

from __future__ import annotations

import ipaddress
import logging
import threading

import uvicorn

from chronicle.database import Database
from chronicle.web.app import WebSettings, create_app, warm_up


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def serve(database: Database, *, host: str = "127.0.0.1", port: int = 8000, on_start=None) -> None:
    """Serve the app until interrupted. `on_start(url)` is called once the server listens.

    Until accounts exist, a server on a loopback address is the local
    operator's (the internal register); on any other address it serves the
    public site and the public API only.
    """
    settings = WebSettings(local_operator=is_loopback(host))
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
