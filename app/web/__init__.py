"""Ohm's dashboard: the chat and every artifact in a browser, served by ``ohm serve``."""

from .app import create_app
from .config import BindRefused, WebConfig

__all__ = ["BindRefused", "WebConfig", "create_app"]
