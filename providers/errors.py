"""The errors that mean no model could be reached, shared by the pool and its stores."""

from __future__ import annotations


class ProviderError(Exception):
    """Base of the errors that mean no model could be reached."""


class KeyStoreError(ProviderError):
    """The shared key-state store could not be reached or understood."""


class UnreadableAnswerError(ProviderError):
    """The model service answered, but in a form no client could read (a stream chunk
    that is not JSON, a plain JSON body in answer to a streaming request)."""

    def __init__(self, cause: str) -> None:
        super().__init__(f"the model's answer could not be read: {cause}")
        self.cause = cause


class IncompleteAnswerError(ProviderError):
    """A streamed answer that stopped before its end: no ``[DONE]`` and no finish reason,
    a connection that broke, or no data for longer than the read timeout."""

    def __init__(self, cause: str) -> None:
        super().__init__(f"the model's answer stopped before its end: {cause}")
        self.cause = cause
