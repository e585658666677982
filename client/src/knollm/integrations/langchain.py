"""A LangChain chat model backed by the Knollm router (``pip install knollm[langchain]``).

>>> from knollm.integrations.langchain import ChatKnollm
>>> llm = ChatKnollm(model="llama-3.3-70b-instruct", router=Router(strategy="cheapest"))  # doctest: +SKIP
>>> llm.invoke("Hi").response_metadata["answered_by"]  # doctest: +SKIP
'groq/llama-3.3-70b-versatile'

``invoke``/``stream``/``batch`` and their async twins come from langchain-core's
``BaseChatModel``; this class only turns LangChain messages into OpenAI ones
(``convert_to_openai_messages``), sends them through the router, and turns the answer back:
text, tool calls, ``usage_metadata`` and, in ``response_metadata``, the offering that answered
(``answered_by``, ``provider``, ``model``), its ``cost`` and the router's full route
(``knollm``). ``bind_tools`` passes OpenAI tool schemas on, so the router only picks offerings
whose catalog entry supports tools; ``with_structured_output`` works through it.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from typing import Any

from langchain_core.callbacks import AsyncCallbackManagerForLLMRun, CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel, LanguageModelInput
from langchain_core.messages import (
    AIMessage,
    AIMessageChunk,
    BaseMessage,
    convert_to_openai_messages,
)
from langchain_core.messages.ai import UsageMetadata
from langchain_core.messages.tool import tool_call_chunk
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from langchain_core.runnables import Runnable
from langchain_core.tools import BaseTool
from langchain_core.utils.function_calling import convert_to_openai_tool
from pydantic import ConfigDict, Field, PrivateAttr

from knollm.integrations._shared import Routers, openai_tool_choice, route_metadata, usage_counts
from knollm.router import AsyncRouter, Router


def _usage(response: Any) -> UsageMetadata | None:
    counts = usage_counts(response)
    if counts is None:
        return None
    prompt, completion, cached = counts
    usage = UsageMetadata(
        input_tokens=prompt, output_tokens=completion, total_tokens=prompt + completion
    )
    if cached:
        usage["input_token_details"] = {"cache_read": cached}
    return usage


def _message(reply: Any) -> AIMessage:
    choice = reply.choices[0]
    msg = choice.message
    tool_calls, invalid = [], []
    for tc in msg.tool_calls or ():
        fn = getattr(tc, "function", None)
        if fn is None:
            continue
        try:
            args = json.loads(fn.arguments or "{}")
        except ValueError as exc:
            invalid.append(
                {"name": fn.name, "args": fn.arguments, "id": tc.id, "error": str(exc),
                 "type": "invalid_tool_call"}
            )  # fmt: skip
            continue
        tool_calls.append({"name": fn.name, "args": args, "id": tc.id, "type": "tool_call"})
    metadata = {
        "model_name": reply.model,
        "finish_reason": choice.finish_reason,
        **route_metadata(reply),
    }
    return AIMessage(
        content=msg.content or "",
        tool_calls=tool_calls,
        invalid_tool_calls=invalid,
        usage_metadata=_usage(reply),
        response_metadata=metadata,
        id=reply.id,
    )


def _chunk(chunk: Any) -> ChatGenerationChunk | None:
    if not chunk.choices:
        return None
    choice = chunk.choices[0]
    delta = choice.delta
    calls = [
        tool_call_chunk(
            name=tc.function.name if tc.function else None,
            args=tc.function.arguments if tc.function else None,
            id=tc.id,
            index=tc.index,
        )
        for tc in (delta.tool_calls or ()) if delta is not None
    ]  # fmt: skip
    metadata = {"finish_reason": choice.finish_reason} if choice.finish_reason else {}
    message = AIMessageChunk(
        content=(delta.content if delta is not None else None) or "",
        tool_call_chunks=calls,
        response_metadata=metadata,
        id=chunk.id,
    )
    return ChatGenerationChunk(message=message)


def _last(stream: Any, model_name: str | None) -> ChatGenerationChunk:
    """The closing chunk: usage and the route, known once the stream has ended."""
    metadata = {"model_name": model_name, **route_metadata(stream)}
    return ChatGenerationChunk(
        message=AIMessageChunk(
            content="", usage_metadata=_usage(stream), response_metadata=metadata,
            chunk_position="last",
        )
    )  # fmt: skip


class ChatKnollm(BaseChatModel):
    """A LangChain chat model whose every call goes through a :class:`knollm.Router`.

    ``model`` is anything the router accepts (an offering, a canonical model id, ``"auto"`` or a
    fallback chain). ``router`` defaults to ``Router()`` (keys from the environment); async calls
    use ``async_router`` if given, else an async twin of ``router`` sharing its budget, health
    and totals (one per event loop; ``await llm.aclose()`` closes it).
    """

    model: str | list[str] = Field(description="Model spec, as router.chat.completions.create.")
    strategy: str | None = Field(default=None, description="Overrides the router's strategy.")
    temperature: float | None = None
    max_tokens: int | None = None
    model_kwargs: dict[str, Any] = Field(
        default_factory=dict, description="Other keywords for every request (top_p, seed ...)."
    )
    router: Router | None = Field(default=None, exclude=True)
    async_router: AsyncRouter | None = Field(default=None, exclude=True)
    model_config = ConfigDict(arbitrary_types_allowed=True)
    _routers: Routers = PrivateAttr()

    def model_post_init(self, context: Any) -> None:
        self._routers = Routers(self.router, self.async_router)

    @property
    def _llm_type(self) -> str:
        return "knollm"

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {"model": self.model, "strategy": self.strategy, **self._defaults()}

    def _defaults(self) -> dict[str, Any]:
        params = dict(self.model_kwargs)
        if self.temperature is not None:
            params["temperature"] = self.temperature
        if self.max_tokens is not None:
            params["max_tokens"] = self.max_tokens
        return params

    def _request(
        self, messages: list[BaseMessage], stop: list[str] | None, kwargs: dict[str, Any]
    ) -> dict[str, Any]:
        params = self._defaults()
        params.update({k: v for k, v in kwargs.items() if not k.startswith("ls_")})
        if stop:
            params["stop"] = stop
        if "tool_choice" in params:
            params["tool_choice"] = openai_tool_choice(params["tool_choice"])
        return {
            "model": self.model,
            "messages": convert_to_openai_messages(messages),
            "strategy": self.strategy,
            **params,
        }

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        reply = self._routers.sync.chat.completions.create(**self._request(messages, stop, kwargs))
        return ChatResult(generations=[ChatGeneration(message=_message(reply))])

    async def _agenerate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        request = self._request(messages, stop, kwargs)
        reply = await self._routers.async_.chat.completions.create(**request)
        return ChatResult(generations=[ChatGeneration(message=_message(reply))])

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        request = self._request(messages, stop, kwargs)
        stream = self._routers.sync.chat.completions.create(stream=True, **request)
        model_name = None
        with stream:
            for raw in stream:
                model_name = raw.model
                chunk = _chunk(raw)
                if chunk is None:
                    continue
                if run_manager is not None:
                    run_manager.on_llm_new_token(chunk.text, chunk=chunk)
                yield chunk
        yield _last(stream, model_name)

    async def _astream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> AsyncIterator[ChatGenerationChunk]:
        request = self._request(messages, stop, kwargs)
        stream = await self._routers.async_.chat.completions.create(stream=True, **request)
        model_name = None
        async with stream:
            async for raw in stream:
                model_name = raw.model
                chunk = _chunk(raw)
                if chunk is None:
                    continue
                if run_manager is not None:
                    await run_manager.on_llm_new_token(chunk.text, chunk=chunk)
                yield chunk
        yield _last(stream, model_name)

    async def aclose(self) -> None:
        """Close the connections async calls opened on this event loop (call before the loop
        ends; a router passed as ``async_router`` is the caller's to close)."""
        await self._routers.aclose()

    def bind_tools(
        self,
        tools: Sequence[dict[str, Any] | type | Callable[..., Any] | BaseTool],
        *,
        tool_choice: str | bool | None = None,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, AIMessage]:
        """Offer tools (OpenAI format) with every call; the router then only picks offerings
        that support tools. ``tool_choice``: ``auto``, ``any``/``required``, ``none`` or a tool
        name."""
        kwargs["tools"] = [convert_to_openai_tool(t) for t in tools]
        if tool_choice is not None:
            kwargs["tool_choice"] = openai_tool_choice(tool_choice)
        return super().bind(**kwargs)
