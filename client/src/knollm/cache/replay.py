"""A stream kept as its final message, and a cached message given back as a stream.

:class:`Assembler` folds a stream's ``ChatCompletionChunk`` deltas into the ``ChatCompletion``
the same request would have got without ``stream`` (text and tool-call arguments joined per
choice, each choice's ``finish_reason``, the usage block). :func:`chunks` turns a cached
``ChatCompletion`` back into chunks: for each choice one delta with its whole message, then one
with its ``finish_reason``; then the usage chunk if the caller asked for one
(``stream_options.include_usage``). Log probabilities are not replayed.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

from openai.types.chat import ChatCompletion, ChatCompletionChunk


class Assembler:
    """Collects one stream's chunks; :meth:`result` is the answer as a ``ChatCompletion`` dict."""

    def __init__(self) -> None:
        self.head: dict[str, Any] = {}
        self.choices: dict[int, dict[str, Any]] = {}
        self.usage: dict[str, Any] | None = None

    def add(self, chunk: ChatCompletionChunk) -> None:
        if not self.head:
            self.head = {
                "id": chunk.id,
                "created": chunk.created,
                "model": chunk.model,
                "system_fingerprint": chunk.system_fingerprint,
            }
        if chunk.usage is not None:
            self.usage = chunk.usage.model_dump(mode="json", exclude_none=True)
        for c in chunk.choices or ():
            slot = self.choices.setdefault(
                c.index, {"role": "assistant", "content": None, "tools": {}, "finish": None}
            )
            d = c.delta
            if d.role:
                slot["role"] = d.role
            if d.content:
                slot["content"] = (slot["content"] or "") + d.content
            if getattr(d, "refusal", None):
                slot["refusal"] = (slot.get("refusal") or "") + str(d.refusal)
            for tc in d.tool_calls or ():
                call = slot["tools"].setdefault(
                    tc.index, {"id": None, "type": "function", "name": "", "arguments": ""}
                )
                if tc.id:
                    call["id"] = tc.id
                if tc.type:
                    call["type"] = tc.type
                if tc.function is not None:
                    call["name"] += tc.function.name or ""
                    call["arguments"] += tc.function.arguments or ""
            if c.finish_reason is not None:
                slot["finish"] = c.finish_reason

    def result(self) -> dict[str, Any]:
        choices = []
        for index in sorted(self.choices):
            slot = self.choices[index]
            message: dict[str, Any] = {"role": slot["role"], "content": slot["content"]}
            if slot.get("refusal"):
                message["refusal"] = slot["refusal"]
            if slot["tools"]:
                message["tool_calls"] = [
                    {
                        "id": call["id"] or f"call_{i}",
                        "type": call["type"],
                        "function": {"name": call["name"], "arguments": call["arguments"]},
                    }
                    for i, call in sorted(slot["tools"].items())
                ]
            choices.append({"index": index, "message": message, "finish_reason": slot["finish"]})
        out = {**self.head, "object": "chat.completion", "choices": choices}
        if out.get("system_fingerprint") is None:
            out.pop("system_fingerprint", None)
        if self.usage is not None:
            out["usage"] = self.usage
        return out


def chunks(answer: ChatCompletion, include_usage: bool) -> list[ChatCompletionChunk]:
    """A cached answer as the chunks of a stream (see the module docstring)."""
    base = {
        "id": answer.id,
        "object": "chat.completion.chunk",
        "created": answer.created,
        "model": answer.model,
    }
    out: list[dict[str, Any]] = []
    for c in answer.choices:
        m = c.message
        delta: dict[str, Any] = {"role": m.role, "content": m.content}
        if m.refusal:
            delta["refusal"] = m.refusal
        if m.tool_calls:
            delta["tool_calls"] = [
                {"index": i, **tc.model_dump(mode="json", exclude_none=True)}
                for i, tc in enumerate(m.tool_calls)
            ]
        out.append({**base, "choices": [{"index": c.index, "delta": delta}]})
        finish = {"index": c.index, "delta": {}, "finish_reason": c.finish_reason}
        out.append({**base, "choices": [finish]})
    if include_usage and answer.usage is not None:
        out.append({**base, "choices": [], "usage": answer.usage.model_dump(mode="json")})
    return [ChatCompletionChunk.model_validate(c) for c in out]


class CachedStream:
    """A cached answer replayed as a stream (the sync router's ``RoutedStream`` stand-in)."""

    def __init__(self, items: list[ChatCompletionChunk], info: Any) -> None:
        self.knollm = info
        self.response = None  # no HTTP response behind it
        self._items = iter(items)

    def __iter__(self) -> Iterator[ChatCompletionChunk]:
        return self

    def __next__(self) -> ChatCompletionChunk:
        return next(self._items)

    def close(self) -> None:
        self._items = iter(())

    def __enter__(self) -> CachedStream:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class AsyncCachedStream:
    """The async twin of :class:`CachedStream`."""

    def __init__(self, items: list[ChatCompletionChunk], info: Any) -> None:
        self.knollm = info
        self.response = None
        self._items = iter(items)

    def __aiter__(self) -> AsyncIterator[ChatCompletionChunk]:
        return self

    async def __anext__(self) -> ChatCompletionChunk:
        try:
            return next(self._items)
        except StopIteration:
            raise StopAsyncIteration from None

    async def close(self) -> None:
        self._items = iter(())

    async def __aenter__(self) -> AsyncCachedStream:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()
