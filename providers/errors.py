"""The errors that mean no model could be reached, shared by the pool and its stores."""

from __future__ import annotations


class ProviderError(Exception):
    """Base of the errors that mean no model could be reached."""


class KeyStoreError(ProviderError):
    """The shared key-state store could not be reached or understood."""
