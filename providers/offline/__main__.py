"""Run the offline model on its own: ``python -m providers.offline --port 8765``.

Useful for pointing a separate Ohm process (``OHM_BASE_URL=http://127.0.0.1:8765/v1``) at
a server whose faults you script, as the CLI tests and the key-pool benchmark do.
``--faults`` takes JSON mapping a key (or "*") to a list of faults, for example
``{"bz-key-1": [{"status": 429, "headers": {"Retry-After": "30"}}]}``.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
from typing import Any

from .server import Fault, OfflineServer


def _faults(text: str) -> dict[str, list[Fault]]:
    data: Any = json.loads(text)
    if not isinstance(data, dict):
        raise ValueError("--faults must be a JSON object of key -> list of faults")
    out: dict[str, list[Fault]] = {}
    for key, rules in data.items():
        if not isinstance(rules, list):
            raise ValueError("--faults: each key maps to a list of faults")
        out[str(key)] = [Fault.from_dict(r) for r in rules]
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m providers.offline",
        description="Ohm's offline model: an OpenAI-compatible server on loopback.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="Address to listen on.")
    parser.add_argument("--port", type=int, default=0, help="Port (0: any free port).")
    parser.add_argument("--faults", default="", help="JSON: key (or '*') -> list of faults.")
    parser.add_argument(
        "--latency", type=float, default=0.0, help="Seconds added to every chat answer."
    )
    args = parser.parse_args(argv)
    try:
        faults = _faults(args.faults) if args.faults else {}
    except (ValueError, TypeError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    server = OfflineServer(args.host, args.port)
    server.latency_s = args.latency
    for key, rules in faults.items():
        server.faults.set(key, rules)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    server.start()
    print(f"offline model listening on {server.base_url}", flush=True)
    try:
        stop.wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
