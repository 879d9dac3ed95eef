"""The suite itself refuses connections beyond loopback."""

from __future__ import annotations

import socket

import pytest


def test_non_loopback_connections_are_refused() -> None:
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        with pytest.raises(Exception, match=r"[Hh]ost"):
            s.connect(("10.255.255.1", 443))
    finally:
        s.close()
