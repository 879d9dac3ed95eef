"""Where the dashboard listens and what it demands of callers.

Listening on loopback is the safe default: only programs on this machine can reach it.
Any other address is reachable by other people, so it needs a shared token that every
request must carry.
"""

from __future__ import annotations

import hmac
import ipaddress
import os
from dataclasses import dataclass
from hashlib import sha256
from pathlib import Path

TOKEN_ENV = "OHM_DASHBOARD_TOKEN"
MIN_TOKEN_LENGTH = 16
LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})


class BindRefused(ValueError):
    """The dashboard must not listen where it was asked to; the message says why."""


def is_loopback(host: str) -> bool:
    name = host.strip().strip("[]").lower()
    if name in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class WebConfig:
    """How one dashboard process is set up."""

    data_dir: Path | None = None
    token: str | None = None
    """When set, every request must prove it knows this token."""
    host: str = "127.0.0.1"

    @classmethod
    def for_bind(cls, host: str, data_dir: Path | None = None) -> WebConfig:
        """The configuration for listening on ``host``, refusing an unsafe combination."""
        token = (os.environ.get(TOKEN_ENV) or "").strip() or None
        if not is_loopback(host):
            if token is None:
                raise BindRefused(
                    f"refusing to listen on {host} without a token: set {TOKEN_ENV} to a long "
                    "random string, or listen on 127.0.0.1"
                )
            if len(token) < MIN_TOKEN_LENGTH:
                raise BindRefused(
                    f"{TOKEN_ENV} is too short to guard {host}: use at least "
                    f"{MIN_TOKEN_LENGTH} characters"
                )
        return cls(data_dir=data_dir, token=token, host=host)

    def cookie_value(self) -> str:
        """What the login cookie holds: derived from the token, never the token itself."""
        assert self.token is not None
        return hmac.new(self.token.encode(), b"ohm-dashboard-login", sha256).hexdigest()

    def token_matches(self, candidate: str) -> bool:
        return self.token is not None and hmac.compare_digest(
            candidate.encode(), self.token.encode()
        )

    def cookie_matches(self, candidate: str) -> bool:
        return self.token is not None and hmac.compare_digest(
            candidate.encode(), self.cookie_value().encode()
        )
