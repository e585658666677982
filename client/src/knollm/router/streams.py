"""Streams of ``ChatCompletionChunk`` handed back by the router.

The router reads the first chunk itself (so a provider that fails before answering can be replaced
by the next candidate), then returns one of these: it yields that chunk and the rest unchanged,
keeps the usage block for accounting, and books the cost when the stream ends or is closed. An
error after the first chunk is recorded against the offering and raised to the caller as is.
When the router itself asked for ``stream_options.include_usage``, the extra usage-only chunk
(no choices) is consumed here rather than passed on, so callers see what they asked for.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

from openai.types.chat import ChatCompletionChunk

from knollm.router.accounting import RouteInfo, usage_of
from knollm.router.core import Run, Target


class _Booking:
    """What both stream flavours share: usage capture and settling exactly once."""

    def __init__(self, run: Run, target: Target, info: RouteInfo, injected: bool) -> None:
        self.knollm = info
        self._run, self._target, self._injected = run, target, injected
        self._done = False

    def _keep(self, chunk: ChatCompletionChunk) -> bool:
        """Record usage; False for the usage-only chunk the router asked for itself."""
        usage = getattr(chunk, "usage", None)
        if usage is not None:
            self.knollm.usage = usage_of(usage)
            if self._injected and not chunk.choices:
                return False
        return True

    def _settle(self) -> None:
        if not self._done:
            self._done = True
            self._run.settle(self.knollm, self._target.reserved)

    def _broke(self, exc: BaseException) -> None:
        if not self._done:
            self._done = True
            self._run.stream_failed(self.knollm, self._target, exc)


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
        super().__init__(run, target, info, injected)
        self._stream, self._it, self._first = stream, it, first

    @property
    def response(self) -> Any:
        """The underlying HTTP response (as the SDK's ``Stream.response``)."""
        return self._stream.response

    def __iter__(self) -> RoutedStream:
        return self

    def __next__(self) -> ChatCompletionChunk:
        while True:
            if self._first is not None:
                chunk, self._first = self._first, None
            else:
                try:
                    chunk = next(self._it)
                except StopIteration:
                    self._settle()
                    raise
                except Exception as exc:
                    self._broke(exc)
                    raise
            if self._keep(chunk):
                return chunk

    def close(self) -> None:
        """Stop reading and release the connection; books the cost known so far."""
        self._stream.close()
        self._settle()

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
        super().__init__(run, target, info, injected)
        self._stream, self._it, self._first = stream, it, first

    @property
    def response(self) -> Any:
        return self._stream.response

    def __aiter__(self) -> AsyncRoutedStream:
        return self

    async def __anext__(self) -> ChatCompletionChunk:
        while True:
            if self._first is not None:
                chunk, self._first = self._first, None
            else:
                try:
                    chunk = await self._it.__anext__()
                except StopAsyncIteration:
                    self._settle()
                    raise
                except Exception as exc:
                    self._broke(exc)
                    raise
            if self._keep(chunk):
                return chunk

    async def close(self) -> None:
        await self._stream.close()
        self._settle()

    async def __aenter__(self) -> AsyncRoutedStream:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()
