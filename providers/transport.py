"""HTTP transports that put a pool key on each request and rotate on key failures.

Rotation lives here, under the OpenAI SDK, so invoke, stream, tool calls and structured
output, sync and async, all share it without per-call code.
"""

from __future__ import annotations

import httpx2

from .events import emit
from .keypool import KeyPool

ROTATE_ON = frozenset({401, 402, 403, 429})


def _with_key(request: httpx2.Request, pool: KeyPool, idx: int) -> None:
    request.headers["Authorization"] = f"Bearer {pool.key(idx).reveal()}"


class RotatingTransport(httpx2.BaseTransport):
    def __init__(self, pool: KeyPool, inner: httpx2.BaseTransport | None = None) -> None:
        self.pool = pool
        self.inner = inner or httpx2.HTTPTransport()

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        tried: set[int] = set()
        while True:
            idx = self.pool.acquire(tried)
            _with_key(request, self.pool, idx)
            response = self.inner.handle_request(request)
            self.pool.release(idx, response.status_code)
            tried.add(idx)
            if response.status_code in ROTATE_ON and len(tried) < len(self.pool):
                response.close()
                emit(
                    {
                        "event": "key_rotation",
                        "from_key": self.pool.key(idx).masked,
                        "reason": str(response.status_code),
                    }
                )
                continue
            return response

    def close(self) -> None:
        self.inner.close()


class AsyncRotatingTransport(httpx2.AsyncBaseTransport):
    def __init__(self, pool: KeyPool, inner: httpx2.AsyncBaseTransport | None = None) -> None:
        self.pool = pool
        self.inner = inner or httpx2.AsyncHTTPTransport()

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        tried: set[int] = set()
        while True:
            idx = self.pool.acquire(tried)
            _with_key(request, self.pool, idx)
            response = await self.inner.handle_async_request(request)
            self.pool.release(idx, response.status_code)
            tried.add(idx)
            if response.status_code in ROTATE_ON and len(tried) < len(self.pool):
                await response.aclose()
                emit(
                    {
                        "event": "key_rotation",
                        "from_key": self.pool.key(idx).masked,
                        "reason": str(response.status_code),
                    }
                )
                continue
            return response

    async def aclose(self) -> None:
        await self.inner.aclose()
