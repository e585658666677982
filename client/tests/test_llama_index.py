"""KnollmLLM through llama-index-core's own chat/stream/complete, tool calling and structured output."""

from __future__ import annotations

import pytest

pytest.importorskip("llama_index.core", reason="pip install knollm[llama-index]")

from fake_openai import Trio
from llama_index.core.base.llms.types import ChatMessage, MessageRole
from llama_index.core.tools import FunctionTool
from pydantic import BaseModel

from knollm.integrations.llama_index import KnollmLLM
from knollm.router import Router

HI = [ChatMessage(role=MessageRole.USER, content="hi")]


def get_weather(city: str) -> str:
    """The weather in a city."""
    return f"sunny in {city}"


class Weather(BaseModel):
    """The weather in a city."""

    city: str


def _llm(trio: Trio, **kw: object) -> KnollmLLM:
    return KnollmLLM("test-70b", router=Router(trio.catalog, **trio.options()), **kw)


def test_chat_complete_and_metadata() -> None:
    with Trio(alpha={"script": ["503"]}) as trio:
        llm = _llm(trio, max_tokens=20)
        reply = llm.chat(HI)
        assert reply.message.content == "hello from beta"
        extra = reply.additional_kwargs
        assert extra["answered_by"] == "beta/beta-70b" and extra["provider"] == "beta"
        assert (extra["prompt_tokens"], extra["completion_tokens"]) == (10, 5)
        assert extra["cost"] == pytest.approx((10 * 1.0 + 5 * 2.0) / 1e6)
        assert [a["outcome"] for a in extra["knollm"]["attempts"]] == ["server-error", "ok"]
        assert trio["beta"].seen[0].body["max_tokens"] == 20
        assert llm.complete("hi").text == "hello from alpha"
        meta = llm.metadata
        assert meta.context_window == 131_072 and meta.is_function_calling_model
        assert meta.num_output == 20


def test_stream_chat_and_stream_complete() -> None:
    with Trio() as trio:
        llm = _llm(trio)
        parts = list(llm.stream_chat(HI))
        assert "".join(p.delta or "" for p in parts) == "hello from alpha"
        assert parts[-1].message.content == "hello from alpha"
        assert parts[-1].additional_kwargs["answered_by"] == "alpha/alpha-70b"
        assert parts[-1].additional_kwargs["completion_tokens"] == 5
        assert list(llm.stream_complete("hi"))[-1].text == "hello from alpha"
        assert llm.router.totals()["by_provider"]["alpha"]["requests"] == 2


@pytest.mark.asyncio
async def test_async_twins() -> None:
    with Trio() as trio:
        llm = _llm(trio)
        assert (await llm.achat(HI)).message.content == "hello from alpha"
        parts = [p async for p in await llm.astream_chat(HI)]
        assert parts[-1].message.content == "hello from alpha"
        assert (await llm.acomplete("hi")).text == "hello from alpha"
        assert [p async for p in await llm.astream_complete("hi")][-1].text == "hello from alpha"
        assert llm.router.totals()["by_provider"]["alpha"]["requests"] == 4
        await llm.aclose()


def test_tool_call_round_trip() -> None:
    with Trio(alpha={"tool_call": ("get_weather", {"city": "Paris"})}) as trio:
        llm = _llm(trio)
        tool = FunctionTool.from_defaults(fn=get_weather)
        out = llm.predict_and_call([tool], user_msg="weather in Paris?")
        assert str(out) == "sunny in Paris"
        sent = trio["alpha"].seen[0].body
        assert sent["tools"][0]["function"]["name"] == "get_weather"
        # The tool result goes back to the model, which then answers in text.
        response = llm.chat_with_tools([tool], user_msg="weather in Paris?")
        [call] = llm.get_tool_calls_from_response(response)
        assert (call.tool_name, call.tool_kwargs, call.tool_id) == (
            "get_weather",
            {"city": "Paris"},
            "call_1",
        )
        history = [
            ChatMessage(role=MessageRole.USER, content="weather in Paris?"),
            response.message,
            ChatMessage(
                role=MessageRole.TOOL,
                content="sunny in Paris",
                additional_kwargs={"tool_call_id": call.tool_id},
            ),
        ]
        final = llm.chat_with_tools([tool], chat_history=history)
        assert final.message.content == "hello from alpha"
        back = trio["alpha"].seen[-1].body["messages"]
        assert back[1]["tool_calls"][0]["function"]["name"] == "get_weather"
        assert back[2] == {"role": "tool", "content": "sunny in Paris", "tool_call_id": "call_1"}


def test_streamed_tool_call_and_structured_predict() -> None:
    with Trio(alpha={"tool_call": ("Weather", {"city": "Oslo"})}) as trio:
        llm = _llm(trio)
        tool = FunctionTool.from_defaults(fn=get_weather, name="Weather")
        *_, last = llm.stream_chat_with_tools([tool], user_msg="weather?")
        [call] = llm.get_tool_calls_from_response(last)
        assert call.tool_kwargs == {"city": "Oslo"}
        from llama_index.core.prompts import PromptTemplate

        got = llm.structured_predict(Weather, PromptTemplate("weather in {place}?"), place="Oslo")
        assert got == Weather(city="Oslo")
