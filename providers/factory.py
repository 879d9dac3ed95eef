"""One factory for every chat model: ``ChatOpenAI`` pointed at Bytez, or at the offline
simulator on loopback when no key is set (or ``OHM_OFFLINE=1``).

Both paths use the same HTTP transport with the key pool underneath, so the offline mode
exercises exactly the code that talks to Bytez. The SDK's own retries are off: retrying a
dead key wastes seconds that rotating to another key does not.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import httpx2
from langchain_core.language_models import LanguageModelInput
from langchain_core.messages import AIMessage, AIMessageChunk
from langchain_core.runnables import RunnableConfig
from langchain_core.utils.function_calling import convert_to_json_schema
from langchain_openai import ChatOpenAI

from nodes.agents import AgentSpec

from .answers import register_pool
from .keypool import KeyPool, PoolConfig
from .keys import Secret, load_keys
from .keystate import MemoryStateStore, describe_url, store_from_env
from .transport import AsyncRotatingTransport, RotatingTransport

log = logging.getLogger(__name__)

BYTEZ_BASE_URL = "https://api.bytez.com/models/v2/openai/v1"
OFFLINE_KEY = "ohm-offline-simulator"
AGENT_HEADER = "X-Ohm-Agent"
DEFAULT_TIMEOUT_S = 120.0


CONNECT_TIMEOUT_S = 10.0


def request_timeout(seconds: float) -> httpx2.Timeout:
    """``OHM_TIMEOUT_S`` as what it means: the longest wait for the next piece of an
    answer (and for sending, or for a free connection), never a cap on a whole answer, so
    a slow model that keeps streaming is not cut while one that stalls is."""
    return httpx2.Timeout(connect=CONNECT_TIMEOUT_S, read=seconds, write=seconds, pool=seconds)


def _truthy(value: str | None) -> bool:
    return (value or "").strip().lower() in ("1", "true", "yes", "on")


@dataclass(frozen=True)
class ProviderSettings:
    base_url: str
    keys: tuple[Secret, ...]
    offline: bool
    timeout_s: float = DEFAULT_TIMEOUT_S
    pool: PoolConfig = field(default_factory=PoolConfig)
    key_store: str = ""
    """``OHM_KEY_STORE``: empty for this process's memory, or a redis:// URL to share
    cooldowns between worker processes."""

    @classmethod
    def from_env(cls) -> ProviderSettings:
        keys = tuple(load_keys())
        offline = _truthy(os.environ.get("OHM_OFFLINE")) or not keys
        timeout = float(os.environ.get("OHM_TIMEOUT_S") or DEFAULT_TIMEOUT_S)
        pool = PoolConfig.from_env()
        if offline:
            return cls(
                base_url="",
                keys=(Secret(OFFLINE_KEY),),
                offline=True,
                timeout_s=timeout,
                pool=pool,
            )
        base = (os.environ.get("OHM_BASE_URL") or BYTEZ_BASE_URL).rstrip("/")
        store = (os.environ.get("OHM_KEY_STORE") or "").strip()
        return cls(
            base_url=base, keys=keys, offline=False, timeout_s=timeout, pool=pool, key_store=store
        )

    def __repr__(self) -> str:
        store = describe_url(self.key_store) if self.key_store else "memory"
        return (
            f"ProviderSettings(base_url={self.base_url!r}, keys={len(self.keys)}, "
            f"offline={self.offline}, key_store={store!r})"
        )


# The body parts the OpenAI SDK would otherwise walk, key by key, against its typed
# request definitions before sending. What langchain_openai hands it is already plain
# JSON (strings, numbers, lists and dicts), so the walk changes nothing; but it visits
# every node of every message and every tool schema, which measured 2.5–3.5 ms of CPU
# per request here, more than the rest of the SDK's request building together.
_PLAIN_JSON_FIELDS = ("messages", "tools")


@cache
def _json_schema(schema: type) -> dict[str, Any]:
    return convert_to_json_schema(schema)


def _schema_once(kwargs: dict[str, Any]) -> dict[str, Any]:
    """``kwargs`` with a structured-output schema class replaced by its JSON Schema.

    ``with_structured_output`` passes the pydantic class along for tracing metadata, and
    LangChain converts it to JSON Schema again on every call (about 0.5 ms for the
    classifier's small model here, once per routed turn). The conversion of a class does
    not change, so it is done once; LangChain's own conversion of the dict is a no-op."""
    fmt = kwargs.get("ls_structured_output_format")
    if isinstance(fmt, dict) and isinstance(fmt.get("schema"), type):
        try:
            schema = _json_schema(fmt["schema"])
        except (TypeError, ValueError):
            return kwargs
        kwargs = {**kwargs, "ls_structured_output_format": {**fmt, "schema": schema}}
    return kwargs


class OhmChatOpenAI(ChatOpenAI):
    """``ChatOpenAI`` whose chat-completion requests skip the SDK's body transform.

    The messages and tool definitions travel in ``extra_body``, which the SDK merges into
    the JSON body as it is: the bytes on the wire are the same as without this class
    (tests/unit/test_factory_body.py compares them). Structured-output requests that use
    ``response_format`` and the Responses API keep the SDK's own path, since the SDK
    reads their tools back to parse the answer. A structured-output schema is turned into
    JSON Schema once per class instead of on every call (``_schema_once``)."""

    def invoke(
        self,
        input: LanguageModelInput,
        config: RunnableConfig | None = None,
        *,
        stop: list[str] | None = None,
        **kwargs: Any,
    ) -> AIMessage:
        return super().invoke(input, config, stop=stop, **_schema_once(kwargs))

    async def ainvoke(
        self,
        input: LanguageModelInput,
        config: RunnableConfig | None = None,
        *,
        stop: list[str] | None = None,
        **kwargs: Any,
    ) -> AIMessage:
        return await super().ainvoke(input, config, stop=stop, **_schema_once(kwargs))

    def stream(
        self,
        input: LanguageModelInput,
        config: RunnableConfig | None = None,
        *,
        stop: list[str] | None = None,
        **kwargs: Any,
    ) -> Iterator[AIMessageChunk]:
        yield from super().stream(input, config, stop=stop, **_schema_once(kwargs))

    async def astream(
        self,
        input: LanguageModelInput,
        config: RunnableConfig | None = None,
        *,
        stop: list[str] | None = None,
        **kwargs: Any,
    ) -> AsyncIterator[AIMessageChunk]:
        async for chunk in super().astream(input, config, stop=stop, **_schema_once(kwargs)):
            yield chunk

    def _get_request_payload(
        self, input_: LanguageModelInput, *, stop: list[str] | None = None, **kwargs: Any
    ) -> dict[str, Any]:
        payload: dict[str, Any] = super()._get_request_payload(input_, stop=stop, **kwargs)
        if "response_format" in payload or "messages" not in payload:
            return payload
        extra = dict(payload.get("extra_body") or {})
        for name in _PLAIN_JSON_FIELDS:
            if name in payload and name not in extra:
                extra[name] = payload.pop(name)
        payload["messages"] = []  # required by the SDK's signature; replaced by extra_body
        payload["extra_body"] = extra
        return payload


class ModelFactory:
    """Builds chat models that share one key pool and one pair of HTTP clients."""

    def __init__(
        self, settings: ProviderSettings | None = None, *, pool: KeyPool | None = None
    ) -> None:
        """``pool`` replaces the pool built from ``settings`` (a test clock, a shared store)."""
        self.settings = settings or ProviderSettings.from_env()
        self._server = None
        base_url = self.settings.base_url
        if self.settings.offline:
            from .offline.server import shared_server

            self._server = shared_server()
            base_url = self._server.base_url
            log.info("running offline: answers come from Ohm's built-in simulator")
        self.base_url = base_url
        # The offline simulator's single key never goes to a shared store.
        if pool is None:
            store = MemoryStateStore() if self.offline else store_from_env(self.settings.key_store)
            pool = KeyPool(list(self.settings.keys), config=self.settings.pool, store=store)
        self.pool = pool
        register_pool(pool)
        timeout = request_timeout(self.settings.timeout_s)
        self._timeout = timeout
        self._sync = httpx2.Client(transport=RotatingTransport(self.pool), timeout=timeout)
        self._async = httpx2.AsyncClient(
            transport=AsyncRotatingTransport(self.pool), timeout=timeout
        )
        self._models: dict[tuple[str, str, float, int | None], ChatOpenAI] = {}
        self._models_lock = threading.Lock()

    @property
    def offline(self) -> bool:
        return self.settings.offline

    def chat_model(self, spec: AgentSpec) -> ChatOpenAI:
        """The agent's model; built once per (agent, model, temperature, token limit),
        since building one costs more than a fast model answer."""
        key = (spec.name, spec.model, spec.temperature, spec.max_tokens)
        with self._models_lock:
            model = self._models.get(key)
            if model is None:
                model = self._models[key] = self._build(spec)
            return model

    def _build(self, spec: AgentSpec) -> ChatOpenAI:
        return OhmChatOpenAI(
            model=spec.model,
            temperature=spec.temperature,
            max_completion_tokens=spec.max_tokens,
            base_url=self.base_url,
            # The real key is set per request by the transport; this placeholder only
            # satisfies the SDK and never leaves the process.
            api_key="set-by-ohm-key-pool",
            max_retries=0,
            # Without an explicit timeout ChatOpenAI passes None, which disables the
            # client's: a hung request would never time out and never rotate.
            timeout=self._timeout,
            # langchain_openai's own limit on the wait for the next streamed chunk (120 s
            # unless set) would cut a slow local model still reading a long prompt before
            # its first token. The transport's read timeout (OHM_TIMEOUT_S) is the one
            # setting for that wait, and its error says so.
            stream_chunk_timeout=None,
            http_client=self._sync,
            http_async_client=self._async,
            default_headers={AGENT_HEADER: spec.name},
            stream_usage=False,
        )

    def close(self) -> None:
        self._sync.close()


_factory: ModelFactory | None = None
_lock = threading.Lock()


def get_factory() -> ModelFactory:
    """The process-wide factory (one key pool per process)."""
    global _factory
    with _lock:
        if _factory is None:
            _factory = ModelFactory()
        return _factory


def reset_factory(factory: ModelFactory | None = None) -> None:
    """Replace the process-wide factory (tests, or after the environment changed)."""
    global _factory
    with _lock:
        _factory = factory
