"""HTTP transports that put a pool key on each request and rotate when a key fails.

Rotation lives here, under the OpenAI SDK, so invoke, stream, tool calls and structured
output, sync and async, all share it without per-call code. Per request:

* a key-level failure (429, 402 or a quota body, 401/403) marks the key and moves the
  request to another key at once, waiting only when no key is usable;
* a server error, timeout or broken connection is retried once on another key;
* any other answer goes back to the caller unchanged, except that raw keys are masked in
  every body, successful or not, and an answer that cannot be read (a broken event
  stream, a JSON body for a streaming request) raises a provider error naming the cause
  (see ``answers``).

Nothing is passed to the caller before the pool has accepted the answer: error bodies are
read here, plain JSON bodies too, and for an event stream the first chunk is waited for.
So a stream is only ever retried before its first byte reached the caller, and text is
never repeated.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field

import httpx2

from .answers import StreamWatch, check_plain_body, wants_stream
from .classify import Outcome, classify, classify_exception
from .events import emit
from .keypool import KeyPool, Lease

MAX_ATTEMPTS_PER_KEY = 4
"""Safety net for a service that keeps answering 429 with ``Retry-After: 0``."""

_BODY_HEADERS = ("content-encoding", "content-length", "transfer-encoding")


class EmptyResponseError(httpx2.RemoteProtocolError):
    """The service answered 200 and then closed without sending a byte."""


@dataclass
class _Attempts:
    """What one request has tried so far."""

    pool_size: int
    failed: set[int] = field(default_factory=set)
    """Keys that failed this request with a server or connection error."""
    retried: bool = False
    count: int = 0

    def may_retry_elsewhere(self) -> bool:
        return not self.retried and self.pool_size > 1

    def used_up(self) -> bool:
        return self.count >= MAX_ATTEMPTS_PER_KEY * self.pool_size


PLACEHOLDER_AUTH = "Bearer set-by-ohm-key-pool"

CONNECTION_LIMITS = httpx2.Limits(max_connections=1000, max_keepalive_connections=100)
"""The OpenAI SDK's own defaults. httpx's (100 connections, 20 kept open) would close and
reopen a connection for most requests once more than 20 turns wait on the model at once."""


def _authorize(request: httpx2.Request, lease: Lease) -> None:
    request.headers["Authorization"] = f"Bearer {lease.key.reveal()}"


def _unauthorize(request: httpx2.Request) -> None:
    """Once sent, the request object lives on in responses and exceptions (``exc.request``):
    take the key back out of it so that printing its headers cannot show the key."""
    request.headers["Authorization"] = PLACEHOLDER_AUTH


def _rotated(old: Lease, new: Lease, outcome: Outcome) -> None:
    emit(
        {
            "event": "key_rotation",
            "from_key": old.masked,
            "to_key": new.masked,
            "reason": outcome.reason(),
        }
    )


def _verdict(response: httpx2.Response, pool: KeyPool) -> Outcome:
    if response.status_code < 400:
        return Outcome("ok", response.status_code)
    return classify(response.status_code, response.headers, response.content, pool.clock.now())


def _is_event_stream(response: httpx2.Response) -> bool:
    return response.headers.get("content-type", "").startswith("text/event-stream")


def _rebuilt(response: httpx2.Response, raw: bytes, request: httpx2.Request) -> httpx2.Response:
    """A fully read copy of ``response`` that the client can read again."""
    return httpx2.Response(
        response.status_code,
        headers=response.headers,
        content=raw,
        extensions=response.extensions,
        request=request,
    )


def _scrubbed(response: httpx2.Response, pool: KeyPool) -> httpx2.Response:
    """The same answer with any raw key replaced by its masked form (some services echo
    the key in a 401 message, and that message ends up in exceptions and logs)."""
    text = response.content.decode("utf-8", errors="replace")
    clean = pool.scrub(text)
    if clean == text:
        return response
    headers = [(k, v) for k, v in response.headers.items() if k.lower() not in _BODY_HEADERS]
    return httpx2.Response(
        response.status_code,
        headers=headers,
        content=clean.encode(),
        extensions=response.extensions,
        request=response.request,
    )


def _read_timeout(request: httpx2.Request) -> float | None:
    timeout = request.extensions.get("timeout")
    value = timeout.get("read") if isinstance(timeout, dict) else None
    return float(value) if isinstance(value, (int, float)) else None


def _watch(pool: KeyPool, request: httpx2.Request) -> StreamWatch:
    return StreamWatch(pool.scrub, _read_timeout(request))


def _checked(
    response: httpx2.Response, raw: bytes, request: httpx2.Request, pool: KeyPool
) -> httpx2.Response:
    """A plain (not event-stream) body, read in full: refused when no client could read
    a successful one, and with raw keys masked whatever its status."""
    if 200 <= response.status_code < 300:
        check_plain_body(
            raw,
            streaming=wants_stream(request),
            content_type=response.headers.get("content-type", ""),
        )
    return _scrubbed(_rebuilt(response, raw, request), pool)


class _PeekedStream(httpx2.SyncByteStream):
    """The rest of an event stream after its first chunk, which was read to accept it;
    passed on through a :class:`StreamWatch`."""

    def __init__(
        self,
        first: bytes,
        rest: Iterator[bytes],
        source: httpx2.SyncByteStream,
        on_close: Callable[[], None],
        watch: StreamWatch,
    ) -> None:
        self._first: bytes | None = first
        self._rest = rest
        self._source = source
        self._on_close = on_close
        self._watch = watch

    def __iter__(self) -> Iterator[bytes]:
        watch = self._watch
        if self._first is not None:
            first, self._first = self._first, None
            out = watch.feed(first)
            if out:
                yield out
        try:
            for chunk in self._rest:
                out = watch.feed(chunk)
                if out:
                    yield out
        except httpx2.TransportError as exc:
            if not watch.finished:
                raise watch.broken(exc) from exc
            return
        out = watch.end()
        if out:
            yield out

    def close(self) -> None:
        try:
            close = getattr(self._rest, "close", None)
            if close is not None:
                close()
            self._source.close()
        finally:
            self._on_close()


class _AsyncPeekedStream(httpx2.AsyncByteStream):
    def __init__(
        self,
        first: bytes,
        rest: AsyncIterator[bytes],
        source: httpx2.AsyncByteStream,
        on_close: Callable[[], None],
        watch: StreamWatch,
    ) -> None:
        self._first: bytes | None = first
        self._rest = rest
        self._source = source
        self._on_close = on_close
        self._watch = watch

    async def __aiter__(self) -> AsyncIterator[bytes]:
        watch = self._watch
        if self._first is not None:
            first, self._first = self._first, None
            out = watch.feed(first)
            if out:
                yield out
        try:
            async for chunk in self._rest:
                out = watch.feed(chunk)
                if out:
                    yield out
        except httpx2.TransportError as exc:
            if not watch.finished:
                raise watch.broken(exc) from exc
            return
        out = watch.end()
        if out:
            yield out

    async def aclose(self) -> None:
        try:
            aclose = getattr(self._rest, "aclose", None)
            if aclose is not None:
                await aclose()
            await self._source.aclose()
        finally:
            self._on_close()


class RotatingTransport(httpx2.BaseTransport):
    """The sync transport under ``ChatOpenAI``'s ``http_client``."""

    def __init__(self, pool: KeyPool, inner: httpx2.BaseTransport | None = None) -> None:
        self.pool = pool
        self.inner = inner or httpx2.HTTPTransport(limits=CONNECTION_LIMITS)

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        tries = _Attempts(len(self.pool))
        lease = self.pool.acquire()
        while True:
            try:
                result = self._attempt(request, lease, tries)
            except BaseException:
                self.pool.release(lease)  # cancelled or failed: the key is free again
                raise
            if isinstance(result, httpx2.Response):
                return result
            lease = result

    def _attempt(
        self, request: httpx2.Request, lease: Lease, tries: _Attempts
    ) -> httpx2.Response | Lease:
        """Send ``request`` on ``lease``: the answer for the caller, or the next key."""
        pool = self.pool
        tries.count += 1
        _authorize(request, lease)
        try:
            try:
                sent = self.inner.handle_request(request)
            finally:
                _unauthorize(request)
            response = self._accept(sent, request, lease)
        except httpx2.TransportError as exc:
            outcome = classify_exception(exc)
            pool.report(lease, outcome)
            pool.release(lease)
            nxt = self._elsewhere(tries, lease)
            if nxt is None:
                raise
            _rotated(lease, nxt, outcome)
            return nxt
        outcome = _verdict(response, pool)
        if outcome.kind == "ok":
            try:
                pool.report(lease, outcome)
            except BaseException:
                response.close()
                raise
            if not _is_event_stream(response) or response.status_code >= 300:
                pool.release(lease)
            return response
        pool.report(lease, outcome)
        pool.release(lease)
        nxt = None
        if outcome.rotates and not tries.used_up():
            nxt = pool.acquire(tries.failed)
        elif outcome.kind == "transient":
            nxt = self._elsewhere(tries, lease)
        if nxt is None:
            return _scrubbed(response, pool)
        _rotated(lease, nxt, outcome)
        return nxt

    def _elsewhere(self, tries: _Attempts, lease: Lease) -> Lease | None:
        tries.failed.add(lease.index)
        if not tries.may_retry_elsewhere():
            return None
        tries.retried = True
        return self.pool.try_acquire(tries.failed)

    def _accept(
        self, response: httpx2.Response, request: httpx2.Request, lease: Lease
    ) -> httpx2.Response:
        """Read enough of ``response`` to judge it; raises a transport error for a
        response that broke before its first byte."""
        if response.status_code < 300 and _is_event_stream(response):
            source = response.stream
            assert isinstance(source, httpx2.SyncByteStream)
            rest = iter(source)
            try:
                first = next(rest, b"")
                if not first:
                    raise EmptyResponseError("the stream ended before any data", request=request)
            except BaseException:
                response.close()
                raise
            response.stream = _PeekedStream(
                first,
                rest,
                source,
                on_close=lambda: self.pool.release(lease),
                watch=_watch(self.pool, request),
            )
            return response
        body = response.stream
        assert isinstance(body, httpx2.SyncByteStream)
        try:
            raw = b"".join(body)
        finally:
            response.close()
        if not raw and response.status_code == 200:
            raise EmptyResponseError("the answer ended before any data", request=request)
        return _checked(response, raw, request, self.pool)

    def close(self) -> None:
        self.inner.close()


class AsyncRotatingTransport(httpx2.AsyncBaseTransport):
    """The async twin of ``RotatingTransport`` (``ChatOpenAI``'s ``http_async_client``)."""

    def __init__(self, pool: KeyPool, inner: httpx2.AsyncBaseTransport | None = None) -> None:
        self.pool = pool
        self.inner = inner or httpx2.AsyncHTTPTransport(limits=CONNECTION_LIMITS)

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        tries = _Attempts(len(self.pool))
        lease = await self.pool.aacquire()
        while True:
            try:
                result = await self._attempt(request, lease, tries)
            except BaseException:
                self.pool.release(lease)  # cancelled or failed: the key is free again
                raise
            if isinstance(result, httpx2.Response):
                return result
            lease = result

    async def _attempt(
        self, request: httpx2.Request, lease: Lease, tries: _Attempts
    ) -> httpx2.Response | Lease:
        pool = self.pool
        tries.count += 1
        _authorize(request, lease)
        try:
            try:
                sent = await self.inner.handle_async_request(request)
            finally:
                _unauthorize(request)
            response = await self._accept(sent, request, lease)
        except httpx2.TransportError as exc:
            outcome = classify_exception(exc)
            await pool.areport(lease, outcome)
            pool.release(lease)
            nxt = await self._elsewhere(tries, lease)
            if nxt is None:
                raise
            _rotated(lease, nxt, outcome)
            return nxt
        outcome = _verdict(response, pool)
        if outcome.kind == "ok":
            try:
                await pool.areport(lease, outcome)
            except BaseException:
                await response.aclose()
                raise
            if not _is_event_stream(response) or response.status_code >= 300:
                pool.release(lease)
            return response
        await pool.areport(lease, outcome)
        pool.release(lease)
        nxt = None
        if outcome.rotates and not tries.used_up():
            nxt = await pool.aacquire(tries.failed)
        elif outcome.kind == "transient":
            nxt = await self._elsewhere(tries, lease)
        if nxt is None:
            return _scrubbed(response, pool)
        _rotated(lease, nxt, outcome)
        return nxt

    async def _elsewhere(self, tries: _Attempts, lease: Lease) -> Lease | None:
        tries.failed.add(lease.index)
        if not tries.may_retry_elsewhere():
            return None
        tries.retried = True
        return await self.pool.atry_acquire(tries.failed)

    async def _accept(
        self, response: httpx2.Response, request: httpx2.Request, lease: Lease
    ) -> httpx2.Response:
        if response.status_code < 300 and _is_event_stream(response):
            source = response.stream
            assert isinstance(source, httpx2.AsyncByteStream)
            rest = source.__aiter__()
            try:
                try:
                    first = await rest.__anext__()
                except StopAsyncIteration:
                    first = b""
                if not first:
                    raise EmptyResponseError("the stream ended before any data", request=request)
            except BaseException:
                await response.aclose()
                raise
            response.stream = _AsyncPeekedStream(
                first,
                rest,
                source,
                on_close=lambda: self.pool.release(lease),
                watch=_watch(self.pool, request),
            )
            return response
        body = response.stream
        assert isinstance(body, httpx2.AsyncByteStream)
        try:
            raw = b"".join([chunk async for chunk in body])
        finally:
            await response.aclose()
        if not raw and response.status_code == 200:
            raise EmptyResponseError("the answer ended before any data", request=request)
        return _checked(response, raw, request, self.pool)

    async def aclose(self) -> None:
        await self.inner.aclose()
