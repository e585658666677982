"""A LlamaIndex LLM backed by the Knollm router (``pip install knollm[llama-index]``).

>>> from knollm.integrations.llama_index import KnollmLLM
>>> llm = KnollmLLM(model="llama-3.3-70b-instruct", router=Router())  # doctest: +SKIP
>>> llm.chat([ChatMessage(role="user", content="Hi")]).additional_kwargs["answered_by"]  # doctest: +SKIP

A ``FunctionCallingLLM`` of llama-index-core: ``chat``/``stream_chat``/``complete``/
``stream_complete`` and their async twins, ``chat_with_tools``/``predict_and_call`` and
``structured_predict`` (through function calling). Messages become OpenAI ones, go through the
router, and come back as ``ChatResponse``: tool calls in ``message.additional_kwargs
["tool_calls"]`` (OpenAI's shape, as llama-index's OpenAI LLM keeps them); token counts, the
offering that answered (``answered_by``, ``provider``, ``model``), its ``cost`` and the router's
route (``knollm``) in the response's ``additional_kwargs``; the SDK object in ``raw``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from llama_index.core.base.llms.generic_utils import (
    achat_to_completion_decorator,
    astream_chat_to_completion_decorator,
    chat_to_completion_decorator,
    stream_chat_to_completion_decorator,
)
from llama_index.core.base.llms.types import (
    ChatMessage,
    ChatResponse,
    ChatResponseAsyncGen,
    ChatResponseGen,
    CompletionResponse,
    CompletionResponseAsyncGen,
    CompletionResponseGen,
    LLMMetadata,
    MessageRole,
)
from llama_index.core.bridge.pydantic import Field, PrivateAttr
from llama_index.core.llms.callbacks import llm_chat_callback, llm_completion_callback
from llama_index.core.llms.function_calling import FunctionCallingLLM
from llama_index.core.llms.llm import ToolSelection

from knollm.integrations._shared import Routers, openai_tool_choice, route_metadata, usage_counts
from knollm.router import AsyncRouter, Router, RouterError

if TYPE_CHECKING:
    from llama_index.core.tools.types import BaseTool


def _openai_message(m: ChatMessage) -> dict[str, Any]:
    role = m.role.value if isinstance(m.role, MessageRole) else str(m.role)
    out: dict[str, Any] = {"role": role, "content": m.content}
    extra = m.additional_kwargs or {}
    if role == "tool":
        out["tool_call_id"] = extra.get("tool_call_id")
    if role == "assistant" and extra.get("tool_calls"):
        out["tool_calls"] = [
            tc if isinstance(tc, dict) else tc.model_dump(exclude_none=True)
            for tc in extra["tool_calls"]
        ]
    return out


def _extra(response: Any) -> dict[str, Any]:
    counts = usage_counts(response)
    extra = route_metadata(response)
    if counts is not None:
        prompt, completion, cached = counts
        extra.update(
            prompt_tokens=prompt, completion_tokens=completion, total_tokens=prompt + completion
        )
        if cached:
            extra["cached_tokens"] = cached
    return extra


def _tool_calls(msg: Any) -> list[dict[str, Any]]:
    return [tc.model_dump(exclude_none=True) for tc in (getattr(msg, "tool_calls", None) or ())]


def _response(reply: Any) -> ChatResponse:
    msg = reply.choices[0].message
    extra = {"tool_calls": _tool_calls(msg)} if msg.tool_calls else {}
    return ChatResponse(
        message=ChatMessage(
            role=MessageRole.ASSISTANT, content=msg.content, additional_kwargs=extra
        ),
        raw=reply,
        additional_kwargs=_extra(reply),
    )


class _Stream:
    """Accumulates a routed stream's text and tool-call fragments into ``ChatResponse``s."""

    def __init__(self) -> None:
        self.text = ""
        self.calls: list[dict[str, Any]] = []

    def add(self, chunk: Any) -> ChatResponse | None:
        if not chunk.choices:
            return None
        delta = chunk.choices[0].delta
        piece = (delta.content if delta is not None else None) or ""
        self.text += piece
        for tc in (delta.tool_calls if delta is not None else None) or ():
            while len(self.calls) <= tc.index:
                self.calls.append(
                    {"id": None, "type": "function", "function": {"name": "", "arguments": ""}}
                )
            call = self.calls[tc.index]
            call["id"] = tc.id or call["id"]
            if tc.function is not None:
                call["function"]["name"] += tc.function.name or ""
                call["function"]["arguments"] += tc.function.arguments or ""
        return self.response(piece, chunk)

    def response(self, delta: str, raw: Any, stream: Any = None) -> ChatResponse:
        extra = {"tool_calls": [dict(c) for c in self.calls]} if self.calls else {}
        return ChatResponse(
            message=ChatMessage(
                role=MessageRole.ASSISTANT, content=self.text, additional_kwargs=extra
            ),
            delta=delta,
            raw=raw,
            additional_kwargs=_extra(stream) if stream is not None else {},
        )


class KnollmLLM(FunctionCallingLLM):
    """A LlamaIndex LLM whose every call goes through a :class:`knollm.Router`.

    ``model`` is anything the router accepts (an offering, a canonical model id, ``"auto"``, a
    fallback chain). ``router`` defaults to ``Router()`` (keys from the environment); async
    calls use ``async_router`` if given, else an async twin of ``router`` sharing its budget,
    health and totals (one per event loop; ``await llm.aclose()`` closes it).
    """

    model: str | list[str] = Field(description="Model spec, as router.chat.completions.create.")
    strategy: str | None = Field(default=None, description="Overrides the router's strategy.")
    temperature: float | None = Field(default=None)
    max_tokens: int | None = Field(default=None)
    additional_kwargs: dict[str, Any] = Field(
        default_factory=dict, description="Other keywords for every request (top_p, seed ...)."
    )
    _routers: Routers = PrivateAttr()

    def __init__(
        self,
        model: str | list[str],
        *,
        router: Router | None = None,
        async_router: AsyncRouter | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(model=model, **kwargs)
        self._routers = Routers(router, async_router)

    @classmethod
    def class_name(cls) -> str:
        return "KnollmLLM"

    @property
    def router(self) -> Router:
        return self._routers.sync

    @property
    def metadata(self) -> LLMMetadata:
        """The smallest context window and output limit among the model's candidates (so a
        prompt LlamaIndex sizes for it fits whichever offering answers)."""
        context, output = 3900, None
        try:
            offerings = self.router.candidates(self.model, [{"role": "user", "content": ""}])
        except (RouterError, TypeError):  # no usable candidate: LlamaIndex's defaults
            offerings = []
        windows = [o.context_window for o in offerings if o.context_window]
        outputs = [o.max_output_tokens for o in offerings if o.max_output_tokens]
        if windows:
            context = min(windows)
        if outputs:
            output = min(outputs)
        name = self.model if isinstance(self.model, str) else " > ".join(self.model)
        return LLMMetadata(
            context_window=context,
            num_output=self.max_tokens or output or 256,
            is_chat_model=True,
            is_function_calling_model=True,
            model_name=name,
        )

    def _request(self, messages: Sequence[ChatMessage], kwargs: dict[str, Any]) -> dict[str, Any]:
        params = dict(self.additional_kwargs)
        if self.temperature is not None:
            params["temperature"] = self.temperature
        if self.max_tokens is not None:
            params["max_tokens"] = self.max_tokens
        params.update(kwargs)
        if "tool_choice" in params:
            params["tool_choice"] = openai_tool_choice(params["tool_choice"])
        return {
            "model": self.model,
            "messages": [_openai_message(m) for m in messages],
            "strategy": self.strategy,
            **params,
        }

    @llm_chat_callback()
    def chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        reply = self._routers.sync.chat.completions.create(**self._request(messages, kwargs))
        return _response(reply)

    @llm_chat_callback()
    async def achat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        reply = await self._routers.async_.chat.completions.create(
            **self._request(messages, kwargs)
        )
        return _response(reply)

    @llm_chat_callback()
    def stream_chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponseGen:
        request = self._request(messages, kwargs)

        def gen() -> ChatResponseGen:
            stream = self._routers.sync.chat.completions.create(stream=True, **request)
            acc, last = _Stream(), None
            with stream:
                for chunk in stream:
                    last = chunk
                    out = acc.add(chunk)
                    if out is not None:
                        yield out
            yield acc.response("", last, stream)

        return gen()

    @llm_chat_callback()
    async def astream_chat(
        self, messages: Sequence[ChatMessage], **kwargs: Any
    ) -> ChatResponseAsyncGen:
        request = self._request(messages, kwargs)

        async def gen() -> ChatResponseAsyncGen:
            stream = await self._routers.async_.chat.completions.create(stream=True, **request)
            acc, last = _Stream(), None
            async with stream:
                async for chunk in stream:
                    last = chunk
                    out = acc.add(chunk)
                    if out is not None:
                        yield out
            yield acc.response("", last, stream)

        return gen()

    @llm_completion_callback()
    def complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponse:
        return chat_to_completion_decorator(self.chat)(prompt, **kwargs)

    @llm_completion_callback()
    async def acomplete(
        self, prompt: str, formatted: bool = False, **kwargs: Any
    ) -> CompletionResponse:
        return await achat_to_completion_decorator(self.achat)(prompt, **kwargs)

    @llm_completion_callback()
    def stream_complete(
        self, prompt: str, formatted: bool = False, **kwargs: Any
    ) -> CompletionResponseGen:
        return stream_chat_to_completion_decorator(self.stream_chat)(prompt, **kwargs)

    @llm_completion_callback()
    async def astream_complete(
        self, prompt: str, formatted: bool = False, **kwargs: Any
    ) -> CompletionResponseAsyncGen:
        return await astream_chat_to_completion_decorator(self.astream_chat)(prompt, **kwargs)

    async def aclose(self) -> None:
        """Close the connections async calls opened on this event loop."""
        await self._routers.aclose()

    # -- function calling ------------------------------------------------------------------------

    def _prepare_chat_with_tools(
        self,
        tools: Sequence[BaseTool],
        user_msg: str | ChatMessage | None = None,
        chat_history: list[ChatMessage] | None = None,
        verbose: bool = False,
        allow_parallel_tool_calls: bool = False,
        tool_required: bool = False,
        **kwargs: Any,
    ) -> dict[str, Any]:
        messages = list(chat_history or [])
        if isinstance(user_msg, str):
            user_msg = ChatMessage(role=MessageRole.USER, content=user_msg)
        if user_msg is not None:
            messages.append(user_msg)
        request: dict[str, Any] = {
            "messages": messages,
            "tools": [t.metadata.to_openai_tool() for t in tools],
            **kwargs,
        }
        if tools:
            request["tool_choice"] = "required" if tool_required else "auto"
        return request

    def get_tool_calls_from_response(
        self, response: ChatResponse, error_on_no_tool_call: bool = True, **kwargs: Any
    ) -> list[ToolSelection]:
        calls = response.message.additional_kwargs.get("tool_calls") or []
        if not calls and error_on_no_tool_call:
            raise ValueError(
                f"expected at least one tool call, got none: {response.message.content!r}"
            )
        selections = []
        for call in calls:
            fn = call.get("function") or {}
            try:
                args = json.loads(fn.get("arguments") or "{}")
            except ValueError:
                args = {}
            selections.append(
                ToolSelection(
                    tool_id=call.get("id") or "", tool_name=fn.get("name") or "", tool_kwargs=args
                )
            )
        return selections
