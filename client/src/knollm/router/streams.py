"""Streams of ``ChatCompletionChunk`` handed back by the router.

The router reads the first chunk itself (so a provider that fails before answering can be replaced
by the next candidate), then returns one of these: it yields that chunk and the rest unchanged,
keeps the usage block for accounting, and books the cost exactly once. When the router itself
asked for ``stream_options.include_usage``, the extra usage-only chunk (no choices) is consumed
here rather than passed on, so callers see what they asked for.

How a stream ends, and what is booked:

* it reaches its end with every choice finished (a ``finish_reason``): booked as answered;
* it ends without that (the connection closed early, no ``[DONE]``): raises
  :class:`~knollm.router.errors.StreamInterrupted`, counts as a failure of the offering, and
  the estimate is charged (tokens were likely spent);
* an error after the first chunk: counted against the offering, charged the estimate, raised
  with every key scrubbed;
* given up early: leaving a ``for`` / ``async for`` loop over the stream (``break``, ``return``,
  an exception in the loop body), ``close()``, the ``with`` block's end, the task being
  cancelled, or the stream object being garbage-collected (``weakref.finalize``; in CPython
  right when its last reference goes). The HTTP response is closed, the budget reservation
  released, and the usage seen so far (else the estimate) charged.
"""

from __future__ import annotations

import contextlib
import threading
import weakref
from collections.abc import AsyncIterator, Iterator
from typing import Any

from openai.types.chat import ChatCompletionChunk

from knollm.router.accounting import RouteInfo, usage_of
from knollm.router.core import Run, Target
from knollm.router.errors import StreamInterrupted


class _Ticket:
    """A stream's booking, apart from the stream object so a finalizer can settle it."""

    def __init__(self, run: Run, target: Target, info: RouteInfo, stream: Any, sync: bool) -> None:
        self.run, self.target, self.info, self.stream, self.sync = run, target, info, stream, sync
        self.done = False
        self._lock = threading.Lock()

    def _claim(self) -> bool:
        with self._lock:
            if self.done:
                return False
            self.done = True
            return True

    def settle(self) -> None:
        if self._claim():
            self.run.settle(self.info, self.target.reserved)

    def broke(self, exc: BaseException) -> None:
        if self._claim():
            self.run.stream_failed(self.info, self.target, exc)

    def abandon(self, why: str) -> None:
        if self._claim():
            self.run.stream_abandoned(self.info, self.target, why)

    def dropped(self) -> None:
        """The stream object was garbage-collected unfinished (the finalizer)."""
        if self.done:
            return
        if self.sync:
            with contextlib.suppress(Exception):  # a finalizer must not raise
                self.stream.close()
        self.abandon("abandoned")


class _Booking:
    """What both stream flavours share: usage capture, completeness, settling exactly once."""

    def __init__(
        self, stream: Any, run: Run, target: Target, info: RouteInfo, injected: bool, sync: bool
    ) -> None:
        self.knollm = info
        self._stream = stream
        self._run, self._injected = run, injected
        self._ticket = _Ticket(run, target, info, stream, sync)
        self._finalizer = weakref.finalize(self, _Ticket.dropped, self._ticket)
        self._started: set[int] = set()  # choice indexes seen
        self._finished: set[int] = set()  # choice indexes that had a finish_reason
        self._collect: Any = None  # the response cache's collector (knollm.cache.hook), if any

    @property
    def response(self) -> Any:
        """The underlying HTTP response (as the SDK's ``Stream.response``)."""
        return self._stream.response

    def _keep(self, chunk: ChatCompletionChunk) -> bool:
        """Record usage and progress; False for the usage-only chunk the router asked for."""
        if self._collect is not None:
            self._collect.add(chunk)
        for choice in chunk.choices or ():
            self._started.add(choice.index)
            if choice.finish_reason is not None:
                self._finished.add(choice.index)
        usage = getattr(chunk, "usage", None)
        if usage is not None:
            self.knollm.usage = usage_of(usage)
            if self._injected and not chunk.choices:
                return False
        return True

    def _ended(self) -> StreamInterrupted | None:
        """At the end of the chunks: book the answer, or the error if it was cut short."""
        if self._started and self._started <= self._finished:
            self._ticket.settle()
            if self._collect is not None:
                self._collect.done(self.knollm)
            return None
        missing = sorted(self._started - self._finished)
        where = f"choice(s) {missing} had no finish_reason" if missing else "no choice finished"
        exc = StreamInterrupted(f"the stream ended before it was complete: {where}", self._stream)
        self._ticket.broke(exc)
        return exc

    def _error(self, exc: Exception) -> None:
        self._ticket.broke(exc)
        self._run.core.scrub_exception(exc)


class RoutedStream(_Booking):
    """Iterator of ``ChatCompletionChunk`` from the offering that answered; ``.knollm`` says which."""

    def __init__(
        self,
        stream: Any,
        it: Iterator[Any],
        first: Any,
        run: Run,
        target: Target,
        info: RouteInfo,
        injected: bool,
    ) -> None:
        super().__init__(stream, run, target, info, injected, sync=True)
        self._it, self._first = it, first

    def __iter__(self) -> Iterator[ChatCompletionChunk]:
        return self._chunks()

    def _chunks(self) -> Iterator[ChatCompletionChunk]:
        """The loop's iterator: leaving the loop early (its generator is closed or dropped)
        closes the stream and books it."""
        try:
            while True:
                try:
                    chunk = self.__next__()
                except StopIteration:
                    return
                yield chunk
        finally:
            if not self._ticket.done:
                self.close()

    def __next__(self) -> ChatCompletionChunk:
        while True:
            if self._first is not None:
                chunk, self._first = self._first, None
            else:
                try:
                    chunk = next(self._it)
                except StopIteration:
                    cut = self._ended()
                    if cut is not None:
                        raise cut from None
                    raise
                except Exception as exc:
                    self._error(exc)
                    raise
                except BaseException:
                    self._ticket.abandon("interrupted")
                    raise
            if self._keep(chunk):
                return chunk

    def close(self) -> None:
        """Stop reading and release the connection; books the cost known so far."""
        self._stream.close()
        self._ticket.abandon("closed")

    def __enter__(self) -> RoutedStream:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class AsyncRoutedStream(_Booking):
    """Async iterator of ``ChatCompletionChunk``; the twin of :class:`RoutedStream`."""

    def __init__(
        self,
        stream: Any,
        it: AsyncIterator[Any],
        first: Any,
        run: Run,
        target: Target,
        info: RouteInfo,
        injected: bool,
    ) -> None:
        super().__init__(stream, run, target, info, injected, sync=False)
        self._it, self._first = it, first

    def __aiter__(self) -> AsyncIterator[ChatCompletionChunk]:
        return self._chunks()

    async def _chunks(self) -> AsyncIterator[ChatCompletionChunk]:
        """The loop's iterator: leaving the loop early closes the stream and books it (when
        the event loop finalizes the dropped generator)."""
        try:
            while True:
                try:
                    chunk = await self.__anext__()
                except StopAsyncIteration:
                    return
                yield chunk
        finally:
            if not self._ticket.done:
                await self.close()

    async def __anext__(self) -> ChatCompletionChunk:
        while True:
            if self._first is not None:
                chunk, self._first = self._first, None
            else:
                try:
                    chunk = await self._it.__anext__()
                except StopAsyncIteration:
                    cut = self._ended()
                    if cut is not None:
                        raise cut from None
                    raise
                except Exception as exc:
                    self._error(exc)
                    raise
                except BaseException:  # asyncio.CancelledError
                    self._ticket.abandon("cancelled")
                    raise
            if self._keep(chunk):
                return chunk

    async def close(self) -> None:
        """Stop reading and release the connection; books the cost known so far."""
        await self._stream.close()
        self._ticket.abandon("closed")

    async def __aenter__(self) -> AsyncRoutedStream:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()
