"""Running the web app with uvicorn."""

from __future__ import annotations

import uvicorn

from chronicle.database import Database
from chronicle.web.app import create_app


def serve(database: Database, *, host: str = "127.0.0.1", port: int = 8000, on_start=None) -> None:
    """Serve the app until interrupted. `on_start(url)` is called once the server listens."""
    config = uvicorn.Config(create_app(database), host=host, port=port, log_level="warning")
    server = uvicorn.Server(config)
    if on_start is not None:
        original = server.startup

        async def startup(sockets=None):
            await original(sockets)
            bound = server.servers[0].sockets[0].getsockname()[1] if server.servers else port
            on_start(f"http://{host}:{bound}/")

        server.startup = startup
    server.run()
