"""Knollm with the real ``claif`` package: its client's forwarding code, its ``NOT_GIVEN``.

claif 1.0.33's ``ClaifClient`` only builds its own providers, so the test puts a
``KnollmClient`` where it keeps its provider client and lets claif's own ``create`` forward
every keyword (``NOT_GIVEN`` for those not set) to it, as it does for ``ClaudeClient``.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from claif.client import NOT_GIVEN, ClaifClient
from fake_openai import KEYS, Trio
from openai.types.chat import ChatCompletion, ChatCompletionChunk

from knollm.claif_plugin import KnollmClient, query

HI = [{"role": "user", "content": "hi"}]


def claif_over(client: KnollmClient) -> ClaifClient:
    """A ``ClaifClient`` whose provider client is ``client`` (claif has no way to ask for it)."""
    wrapper = ClaifClient.__new__(ClaifClient)
    wrapper.provider, wrapper._client, wrapper._kwargs = "knollm", client, {}
    wrapper.chat = ClaifClient._ChatNamespace(wrapper)
    return wrapper


def test_claif_forwards_not_given_and_gets_a_chat_completion() -> None:
    with Trio(alpha={"script": ["500"]}) as trio:
        client = KnollmClient(catalog=trio.catalog, **trio.options())
        reply = claif_over(client).chat.completions.create(model="test-70b", messages=HI)
        assert isinstance(reply, ChatCompletion)
        assert reply.choices[0].message.content == "hello from beta"
        assert [a.outcome for a in reply.knollm.attempts] == ["server-error", "ok"]
        # Not one NOT_GIVEN reached the provider: the body holds what was set, nothing else.
        assert set(trio["beta"].seen[0].body) == {"model", "messages"}
        client.close()


def test_claif_keywords_that_are_set_go_through() -> None:
    with Trio() as trio:
        client = KnollmClient(catalog=trio.catalog, **trio.options())
        reply = claif_over(client).chat.completions.create(
            model="alpha/alpha-70b", messages=HI, temperature=0, max_tokens=50, stop=["\n"]
        )
        assert reply.knollm.answered_by == "alpha/alpha-70b"
        body = trio["alpha"].seen[0].body
        assert (body["temperature"], body["max_tokens"], body["stop"]) == (0, 50, ["\n"])
        assert "top_p" not in body and "tools" not in body


def test_claif_stream_is_an_iterator_of_chunks() -> None:
    with Trio() as trio:
        client = KnollmClient(catalog=trio.catalog, **trio.options())
        stream = claif_over(client).chat.completions.create(
            model="test-70b", messages=HI, stream=True
        )
        chunks = list(stream)
        assert all(isinstance(c, ChatCompletionChunk) for c in chunks)
        assert "".join(c.choices[0].delta.content or "" for c in chunks) == "hello from alpha"


def test_create_shortcut_and_not_given_directly() -> None:
    with Trio() as trio:
        client = KnollmClient(catalog=trio.catalog, **trio.options())
        every = {
            name: NOT_GIVEN
            for name in ("frequency_penalty", "logprobs", "n", "seed", "stream", "tools", "user")
        }
        reply = client.create(model="test-70b", messages=HI, **every)
        assert reply.choices[0].message.content == "hello from alpha"
        assert set(trio["alpha"].seen[0].body) == {"model", "messages"}
        assert "sk-" not in repr(client)


def test_api_key_needs_a_provider() -> None:
    with Trio() as trio:
        with pytest.raises(ValueError, match="api_key needs provider="):
            KnollmClient("sk-some-key", catalog=trio.catalog)
        opts = trio.options()
        del opts["keys"]
        client = KnollmClient(KEYS["gamma"], provider="gamma", catalog=trio.catalog, **opts)
        assert client.router.providers == ["gamma"]
        assert client.create(model="test-70b", messages=HI).knollm.provider == "gamma"


@pytest.mark.asyncio
async def test_legacy_query_yields_an_assistant_message() -> None:
    try:  # claif <= 1.0.31 ships these types; 1.0.33 (pinned) does not
        from claif.common.types import ClaifOptions
    except ImportError:
        ClaifOptions = None
    fields: dict[str, Any] = {
        "model": "test-70b",
        "temperature": 0.0,
        "max_tokens": 64,
        "system_prompt": "Be brief.",
    }
    options = ClaifOptions(**fields) if ClaifOptions else SimpleNamespace(**fields, timeout=None)
    with Trio(alpha={"script": ["503"]}) as trio:
        got = [m async for m in query("hi", options, catalog=trio.catalog, **trio.options())]
    assert len(got) == 1
    message = got[0]
    assert str(getattr(message.role, "value", message.role)) == "assistant"
    assert [b.text for b in message.content] == ["hello from beta"]
    body = trio["beta"].seen[0].body
    assert body["messages"] == [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "hi"},
    ]
    assert body["max_tokens"] == 64


@pytest.mark.asyncio
async def test_legacy_query_needs_a_model() -> None:
    with pytest.raises(ValueError, match="options.model is required"):
        async for _ in query("hi", SimpleNamespace(model=None)):
            pass
