"""Regression tests for the router's production defects (issue 17), against fake providers.

Each test failed before its fix: cancelled calls leaked their budget reservation and their
half-open probe; a stream cut short ended like a complete one; callers waiting on a rate-limited
key all came back at once; an abandoned stream held its reservation; a key a server echoed stayed
in the error's body, response text and request headers.
"""

from __future__ import annotations

import asyncio
import gc

import openai
import pytest
from fake_openai import KEYS, FakeClock, Trio

from knollm.router import AsyncRouter, Router, StreamInterrupted, route_of
from knollm.router.tokens import shape

HI = [{"role": "user", "content": "hi"}]
ESTIMATE_ALPHA = (shape(HI).tokens * 0.5 + 1024 * 1.5) / 1e6  # default expected output tokens


# -- cancellation ------------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_cancelled_calls_release_their_reservation() -> None:
    with Trio(alpha={"default": "hang"}) as trio:
        async with AsyncRouter(trio.catalog, **trio.options(budget=1.0, timeout=10.0)) as router:
            for _ in range(3):  # asyncio.wait_for cancels the call on timeout
                with pytest.raises(TimeoutError):
                    await asyncio.wait_for(
                        router.chat.completions.create(model="alpha/alpha-70b", messages=HI), 0.3
                    )
            # On a loaded machine a call may be cancelled before its request reaches the server;
            # its reservation must be released all the same.
            before = len(trio["alpha"].seen)
            task = asyncio.ensure_future(
                router.chat.completions.create(model="alpha/alpha-70b", messages=HI)
            )
            for _ in range(500):  # until the request is at the server (at most 5 s)
                if len(trio["alpha"].seen) > before:
                    break
                await asyncio.sleep(0.01)
            assert trio["alpha"].actions() == ["hang"] * (before + 1)
            assert router.ledger.reserved > 0.0  # the call in flight holds its reservation
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            assert router.ledger.reserved == 0.0
            assert router.ledger.spent == 0.0
            assert router.ledger.remaining() == 1.0
            # Cancelling says nothing about the offering: the breaker stays closed.
            assert router.health.state("alpha:alpha-70b") == "closed"


@pytest.mark.asyncio
async def test_cancelled_half_open_probe_lets_the_next_probe_go() -> None:
    clock = FakeClock()
    with Trio(alpha={"script": ["500", "hang"]}) as trio:
        opts = trio.options(breaker_threshold=1, breaker_cooldown=10.0, clock=clock, timeout=10.0)
        async with AsyncRouter(trio.catalog, **opts) as router:
            first = await router.chat.completions.create(model="test-70b", messages=HI)
            assert route_of(first).provider == "beta"
            assert router.health.state("alpha:alpha-70b") == "open"
            clock.advance(10.0)  # cooled down: the next request to alpha is the half-open probe
            with pytest.raises(TimeoutError):
                await asyncio.wait_for(
                    router.chat.completions.create(model="test-70b", messages=HI), 0.2
                )
            assert trio["alpha"].actions() == ["500", "hang"]
            # The recovered host gets traffic again: the cancelled probe did not keep its slot.
            again = await router.chat.completions.create(model="test-70b", messages=HI)
            assert route_of(again).provider == "alpha"
            assert router.health.state("alpha:alpha-70b") == "closed"


# -- a stream cut short ------------------------------------------------------------------------


def test_cut_stream_raises_instead_of_ending() -> None:
    with Trio(alpha={"script": ["cut-stream"]}) as trio:
        router = Router(trio.catalog, **trio.options(budget=1.0))
        stream = router.chat.completions.create(model="alpha/alpha-70b", messages=HI, stream=True)
        got = []
        with pytest.raises(StreamInterrupted, match="no finish_reason") as caught:
            for chunk in stream:
                got.append(chunk.choices[0].delta.content)
        assert got == ["hello", " from"]
        assert isinstance(caught.value, openai.APIConnectionError)
        info = stream.knollm
        assert info.attempts[-1].outcome == "stream-interrupted"
        assert info.cost_source == "estimate" and info.cost == pytest.approx(ESTIMATE_ALPHA)
        assert router.health.breakers["alpha:alpha-70b"].failures == 1
        assert router.ledger.reserved == 0.0
        # A complete stream still ends normally.
        whole = router.chat.completions.create(model="alpha/alpha-70b", messages=HI, stream=True)
        assert "".join(c.choices[0].delta.content or "" for c in whole) == "hello from alpha"
        router.close()


@pytest.mark.asyncio
async def test_async_cut_stream_raises() -> None:
    with Trio(alpha={"script": ["cut-stream"]}) as trio:
        async with AsyncRouter(trio.catalog, **trio.options()) as router:
            stream = await router.chat.completions.create(
                model="alpha/alpha-70b", messages=HI, stream=True
            )
            with pytest.raises(StreamInterrupted):
                async for _ in stream:
                    pass
            assert stream.knollm.attempts[-1].outcome == "stream-interrupted"


def test_stream_without_any_chunk_falls_back() -> None:
    with Trio(alpha={"script": ["cut-stream"]}) as trio:
        trio["alpha"].chunks = lambda model, include: []  # type: ignore[method-assign]
        router = Router(trio.catalog, **trio.options())
        stream = router.chat.completions.create(model="test-70b", messages=HI, stream=True)
        assert "".join(c.choices[0].delta.content or "" for c in stream) == "hello from beta"
        assert [a.outcome for a in stream.knollm.attempts] == ["connection", "ok"]


# -- Retry-After: one at a time ----------------------------------------------------------------


@pytest.mark.asyncio
async def test_callers_waiting_on_retry_after_come_back_one_at_a_time() -> None:
    with Trio(alpha={"script": ["429"], "retry_after": "0.3", "delay": 0.1}) as trio:
        async with AsyncRouter(trio.catalog, **trio.options(timeout=5.0)) as router:
            key = router._core.planner.endpoints["alpha"].pool.keys[0]

            async def call() -> str:
                reply = await router.chat.completions.create(model="alpha/alpha-70b", messages=HI)
                return route_of(reply).provider

            first = asyncio.ensure_future(call())
            while key.limited_until == 0.0:  # the first caller got its 429: the key rests
                await asyncio.sleep(0.01)
            rest = [asyncio.ensure_future(call()) for _ in range(19)]
            answers = await asyncio.gather(first, *rest)
        assert answers == ["alpha"] * 20
        seen = trio["alpha"].seen
        assert [s.action for s in seen] == ["429"] + ["ok"] * 20
        after = sorted(seen[1:], key=lambda s: s.arrived)
        # The first request after the rest went alone; the next only once it was answered.
        assert after[1].arrived >= after[0].finished
        assert after[0].inflight == 1
        # Then the key opens up gradually (1, 2, 4 ... at once), never all 20 together.
        assert after[2].inflight <= 2
        assert max(s.inflight for s in after) <= 16


# -- an abandoned stream -----------------------------------------------------------------------


def test_stream_left_by_break_releases_its_reservation() -> None:
    with Trio() as trio:
        router = Router(trio.catalog, **trio.options(budget=1.0))
        stream = router.chat.completions.create(model="alpha/alpha-70b", messages=HI, stream=True)
        for _ in stream:
            break  # no close(), and `stream` is still referenced
        assert router.ledger.reserved == 0.0
        assert stream.knollm.attempts[-1].outcome == "closed"
        assert router.ledger.spent == pytest.approx(ESTIMATE_ALPHA)  # tokens were likely spent
        router.close()


def test_stream_dropped_unfinished_releases_its_reservation() -> None:
    with Trio() as trio:
        router = Router(trio.catalog, **trio.options(budget=1.0))
        stream = router.chat.completions.create(model="alpha/alpha-70b", messages=HI, stream=True)
        next(stream)
        info = stream.knollm
        assert router.ledger.reserved == pytest.approx(ESTIMATE_ALPHA)
        del stream  # the finalizer books it
        gc.collect()
        assert router.ledger.reserved == 0.0
        assert info.attempts[-1].outcome == "abandoned"
        router.close()


@pytest.mark.asyncio
async def test_async_stream_left_by_break_releases_its_reservation() -> None:
    with Trio() as trio:
        async with AsyncRouter(trio.catalog, **trio.options(budget=1.0)) as router:
            stream = await router.chat.completions.create(
                model="alpha/alpha-70b", messages=HI, stream=True
            )
            async for _ in stream:
                break
            for _ in range(100):  # the event loop closes the dropped loop iterator soon after
                if router.ledger.reserved == 0.0:
                    break
                await asyncio.sleep(0)
            assert router.ledger.reserved == 0.0
            assert stream.knollm.attempts[-1].outcome == "closed"


# -- keys echoed by a server -------------------------------------------------------------------


@pytest.mark.parametrize("status", ["400", "422"])
def test_echoed_key_is_scrubbed_from_body_response_and_request(status: str) -> None:
    with Trio(**{p: {"default": status, "error_echo": True} for p in KEYS}) as trio:
        router = Router(trio.catalog, **trio.options())
        with pytest.raises(openai.APIStatusError) as caught:
            router.chat.completions.create(model="alpha/alpha-70b", messages=HI)
        exc = caught.value
        places = {
            "message": str(exc),
            "body": repr(exc.body),
            "response.text": exc.response.text,
            "response.headers": repr(exc.response.headers.multi_items()),
            "request.headers": repr(exc.request.headers.multi_items()),
            "response.request.headers": repr(exc.response.request.headers.multi_items()),
        }
        for where, text in places.items():
            assert KEYS["alpha"] not in text, where
        assert "key#" in exc.response.text and "key#" in repr(exc.body)
        assert exc.status_code == int(status) and exc.response.status_code == int(status)
        router.close()
