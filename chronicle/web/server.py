"""Running the web app with uvicorn."""

from __future__ import annotations

import ipaddress

import uvicorn

from chronicle.database import Database
from chronicle.web.app import WebSettings, create_app


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
    config = uvicorn.Config(create_app(database, settings), host=host, port=port, log_level="warning")
    server = uvicorn.Server(config)
    if on_start is not None:
        original = server.startup

        async def startup(sockets=None):
            await original(sockets)
            bound = server.servers[0].sockets[0].getsockname()[1] if server.servers else port
            on_start(f"http://{host}:{bound}/")

        server.startup = startup
    server.run()
