"""ChatKnollm through langchain-core's own invoke/stream/batch, tools and structured output."""

from __future__ import annotations

import pytest

pytest.importorskip("langchain_core", reason="pip install knollm[langchain]")

from fake_openai import Trio
from langchain_core.messages import AIMessage, AIMessageChunk, HumanMessage, ToolMessage
from langchain_core.tools import tool
from pydantic import BaseModel

from knollm.integrations.langchain import ChatKnollm
from knollm.router import Router

# alpha's price (USD per 1M: 0.5 in, 1.5 out) at the fakes' usage (10 in, 5 out).
ALPHA_COST = (10 * 0.5 + 5 * 1.5) / 1e6


@tool
def get_weather(city: str) -> str:
    """The weather in a city."""
    return f"sunny in {city}"


class Weather(BaseModel):
    """The weather in a city."""

    city: str


def _llm(trio: Trio, **kw: object) -> ChatKnollm:
    return ChatKnollm(model="test-70b", router=Router(trio.catalog, **trio.options()), **kw)


def test_invoke_answers_with_usage_and_route() -> None:
    with Trio(alpha={"script": ["500"]}) as trio:
        llm = _llm(trio, temperature=0.2, max_tokens=30)
        msg = llm.invoke([HumanMessage("hi")])
        assert isinstance(msg, AIMessage) and msg.content == "hello from beta"
        assert msg.usage_metadata == {"input_tokens": 10, "output_tokens": 5, "total_tokens": 15}
        meta = msg.response_metadata
        assert meta["answered_by"] == "beta/beta-70b" and meta["provider"] == "beta"
        assert meta["finish_reason"] == "stop"
        assert [a["outcome"] for a in meta["knollm"]["attempts"]] == ["server-error", "ok"]
        body = trio["beta"].seen[0].body
        assert body["temperature"] == 0.2 and body["max_tokens"] == 30
        assert body["messages"] == [{"role": "user", "content": "hi"}]


def test_stream_and_batch() -> None:
    with Trio() as trio:
        llm = _llm(trio)
        chunks = list(llm.stream("hi"))
        assert all(isinstance(c, AIMessageChunk) for c in chunks)
        total = chunks[0]
        for c in chunks[1:]:
            total += c
        assert total.content == "hello from alpha"
        assert total.usage_metadata["output_tokens"] == 5
        assert total.response_metadata["answered_by"] == "alpha/alpha-70b"
        assert trio["alpha"].seen[0].stream
        answers = llm.batch(["one", "two", "three"])
        assert [a.content for a in answers] == ["hello from alpha"] * 3
        assert llm.router.ledger.summary()["by_provider"]["alpha"]["requests"] == 4
        assert llm.router.ledger.spent == pytest.approx(4 * ALPHA_COST)


@pytest.mark.asyncio
async def test_async_twins_share_the_routers_totals() -> None:
    with Trio() as trio:
        llm = _llm(trio)
        msg = await llm.ainvoke("hi")
        assert msg.response_metadata["answered_by"] == "alpha/alpha-70b"
        parts = [c async for c in llm.astream("hi")]
        assert "".join(str(c.content) for c in parts) == "hello from alpha"
        assert sum((c.usage_metadata or {}).get("output_tokens", 0) for c in parts) == 5
        assert len(await llm.abatch(["a", "b"])) == 2
        assert llm.router.totals()["by_provider"]["alpha"]["requests"] == 4
        await llm.aclose()


def test_tool_call_round_trip() -> None:
    with Trio(alpha={"tool_call": ("get_weather", {"city": "Paris"})}) as trio:
        llm = _llm(trio).bind_tools([get_weather], tool_choice="any")
        question = HumanMessage("weather in Paris?")
        first = llm.invoke([question])
        assert first.tool_calls == [
            {"name": "get_weather", "args": {"city": "Paris"}, "id": "call_1", "type": "tool_call"}
        ]
        sent = trio["alpha"].seen[0].body
        assert sent["tools"][0]["function"]["name"] == "get_weather"
        assert sent["tool_choice"] == "required"
        result = get_weather.invoke(first.tool_calls[0])
        assert isinstance(result, ToolMessage)
        final = llm.invoke([question, first, result])
        assert final.content == "hello from alpha"
        back = trio["alpha"].seen[1].body["messages"]
        assert back[1]["tool_calls"][0]["function"]["name"] == "get_weather"
        assert back[2]["role"] == "tool" and back[2]["tool_call_id"] == "call_1"
        assert back[2]["content"] == "sunny in Paris"


def test_streamed_tool_call_and_structured_output() -> None:
    with Trio(alpha={"tool_call": ("Weather", {"city": "Oslo"})}) as trio:
        llm = _llm(trio)
        total = None
        for c in llm.bind_tools([Weather]).stream("weather?"):
            total = c if total is None else total + c
        assert total.tool_calls[0]["name"] == "Weather"
        assert total.tool_calls[0]["args"] == {"city": "Oslo"}
        assert llm.with_structured_output(Weather).invoke("weather?") == Weather(city="Oslo")


def test_tools_narrow_the_candidates() -> None:
    """alpha's test-8b has no "tools" capability: with tools bound the router refuses it."""
    with Trio() as trio:
        llm = ChatKnollm(model="test-8b", router=Router(trio.catalog, **trio.options()))
        assert llm.invoke("hi").content == "hello from alpha"
        from knollm.router import NoCandidates

        with pytest.raises(NoCandidates, match="tools needed"):
            llm.bind_tools([get_weather]).invoke("hi")
