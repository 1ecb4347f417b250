"""`inbound serve`: uvicorn with TCP_NODELAY on every connection, in one process or several.

Python's event loop sets TCP_NODELAY only on sockets whose `proto` says TCP; the listening
socket uvicorn hands to `--workers` processes comes back with proto 0, so each keep-alive answer
waited for the client's delayed ACK (~40 ms; uvicorn issue 3149) and two workers served less than
one. The protocol classes below set it themselves on every accepted connection.
"""

from __future__ import annotations

import asyncio
import os
import socket
import tempfile
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from settings import Settings


def _no_delay(transport: asyncio.BaseTransport) -> None:
    sock = transport.get_extra_info("socket")
    if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


class NoDelayHttpTools(HttpToolsProtocol):
    def connection_made(self, transport: Any) -> None:
        _no_delay(transport)
        super().connection_made(transport)


def port_in_use(settings: Settings) -> str | None:
    """Why the service could not listen on its host and port, or None. Checked before anything
    is printed: a banner and a ready-to-run curl for a server that then fails to bind mislead."""
    family = socket.AF_INET6 if ":" in settings.host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds
        try:
            probe.bind((settings.host, settings.port))
        except OSError as exc:
            other = settings.port + 10
            return (
                f"inbound: cannot listen on {settings.host}:{settings.port}: {exc.strerror or exc}. "
                f"Another Inbound or another program is using it: stop it, or start on another port, "
                f"e.g. INBOUND_PORT={other} make run (or inbound serve --port {other})."
            )
    return None


def serve(settings: Settings, workers: int = 1) -> None:
    import uvicorn

    options: dict[str, Any] = {
        "host": settings.host,
        "port": settings.port,
        "log_level": settings.log_level,
        "proxy_headers": True,
        "http": NoDelayHttpTools,
    }
    if settings.log_format == "json":
        from cli_tools.json_logs import log_config

        options["log_config"] = log_config(settings.log_level)
    if workers <= 1:
        from app import create_app

        uvicorn.run(create_app(settings), **options)
        return
    # Each worker counts its own metrics; /metrics adds up every worker's (api/metrics.py).
    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="inbound-metrics-")
    # Each worker process builds its app from the environment: hand it what the command line set.
    os.environ.update(
        INBOUND_DATABASE_URL=settings.database_url,
        INBOUND_ADMIN_TOKEN=settings.admin_token or "",
        INBOUND_HOST=settings.host,
        INBOUND_PORT=str(settings.port),
        INBOUND_LOG_FORMAT=settings.log_format,
    )
    uvicorn.run("app:create_app", factory=True, workers=workers, **options)
