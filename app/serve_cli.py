"""``ohm serve``: run the dashboard under uvicorn, refusing unsafe addresses first."""

from __future__ import annotations

import logging
import socket
from pathlib import Path
from typing import Annotated

import typer

from . import startup
from .errors import guard


def serve_command(
    host: Annotated[
        str,
        typer.Option(help="Address to listen on; anything but loopback needs OHM_DASHBOARD_TOKEN."),
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
) -> None:
    """Open the dashboard: chat with the assembly line and see every artifact in a browser."""
    guard(lambda: serve(host, port))


def serve(host: str, port: int, data_dir: Path | None = None, log_level: str = "info") -> None:
    """Listen on ``host:port`` until interrupted; raises BindRefused for an unsafe bind."""
    import uvicorn

    from app.web import create_app
    from app.web.config import TOKEN_ENV, BindRefused, WebConfig, is_loopback
    from persistence.store import ArtifactStore

    if not 0 < port < 65536:
        raise BindRefused(f"port {port} is out of range: choose 1-65535")
    config = WebConfig.for_bind(host, data_dir)
    # Open the store now so a bad data directory fails with one line, before listening.
    ArtifactStore.open(config.data_dir).close()
    _check_port_free(host, port)
    shown = f"[{host}]" if ":" in host else host
    note = "" if is_loopback(host) else f" (every request needs {TOKEN_ENV})"
    print(f"Ohm dashboard on http://{shown}:{port}{note}. Ctrl-C to stop.", flush=True)
    logging.getLogger("uvicorn.error").setLevel(log_level.upper())
    startup.settle()
    uvicorn.run(
        create_app(config),
        host=host,
        port=port,
        log_level=log_level,
        proxy_headers=False,
        server_header=False,
        timeout_graceful_shutdown=15,
    )


def _check_port_free(host: str, port: int) -> None:
    """Fail with one line when the address is taken, rather than uvicorn's log record."""
    from app.web.config import BindRefused

    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise BindRefused(
                f"cannot listen on {host}:{port}: {exc.strerror or exc}; choose another --port"
            ) from None
