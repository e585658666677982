"""The async router: same behaviour as the sync one, a load test, and the Claif entry point."""

from __future__ import annotations

import asyncio
import random
import time

import openai
import pytest
from fake_openai import Trio
from openai.types.chat import ChatCompletion, ChatCompletionChunk

from knollm.router import AsyncRouter, route_of

HI = [{"role": "user", "content": "hi"}]


@pytest.mark.asyncio
async def test_async_answer_and_fallback() -> None:
    with Trio(alpha={"script": ["500"]}) as trio:
        async with AsyncRouter(trio.catalog, **trio.options()) as router:
            reply = await router.chat.completions.create(model="test-70b", messages=HI)
            assert isinstance(reply, ChatCompletion)
            assert reply.choices[0].message.content == "hello from beta"
            info = route_of(reply)
            assert [a.outcome for a in info.attempts] == ["server-error", "ok"]
            assert info.cost == pytest.approx((10 * 1.0 + 5 * 2.0) / 1e6)


@pytest.mark.asyncio
async def test_async_stream_fallback_and_mid_stream_error() -> None:
    with Trio(alpha={"script": ["drop", "drop-mid-stream"]}) as trio:
        async with AsyncRouter(trio.catalog, **trio.options()) as router:
            stream = await router.chat.completions.create(
                model="test-70b", messages=HI, stream=True
            )
            chunks = [c async for c in stream]
            assert all(isinstance(c, ChatCompletionChunk) for c in chunks)
            assert "".join(c.choices[0].delta.content or "" for c in chunks) == "hello from beta"
            assert stream.knollm.cost == pytest.approx((10 * 1.0 + 5 * 2.0) / 1e6)
            broken = await router.chat.completions.create(
                model="alpha/alpha-70b", messages=HI, stream=True
            )
            with pytest.raises(openai.APIConnectionError):
                async for _ in broken:
                    pass
            assert trio.counts() == {"alpha": 2, "beta": 1, "gamma": 0}


@pytest.mark.asyncio
async def test_async_rate_limit_and_request_error() -> None:
    with Trio(alpha={"script": ["429", "ok", "400"], "retry_after": "0.2"}) as trio:
        async with AsyncRouter(trio.catalog, **trio.options()) as router:
            info = route_of(
                await router.chat.completions.create(model="alpha/alpha-70b", messages=HI)
            )
            assert [a.outcome for a in info.attempts] == ["rate-limited", "ok"]
            with pytest.raises(openai.BadRequestError):
                await router.chat.completions.create(model="test-70b", messages=HI)
            assert trio.counts() == {"alpha": 3, "beta": 0, "gamma": 0}


@pytest.mark.asyncio
async def test_load_no_request_lost() -> None:
    """2,000 requests from 50 concurrent callers over 3 providers, one failing at random."""
    total, callers = 2000, 50
    with Trio(beta={"fail_rate": 0.3, "seed": 7}) as trio:
        router = AsyncRouter(
            trio.catalog, **trio.options(strategy="round-robin", breaker_cooldown=0.5, timeout=5.0)
        )
        rng = random.Random(11)
        queue: asyncio.Queue[int] = asyncio.Queue()
        for i in range(total):
            queue.put_nowait(i)
        answered: dict[int, str] = {}
        attempts = 0
        outcomes: dict[str, int] = {}

        async def caller() -> None:
            nonlocal attempts
            while True:
                try:
                    n = queue.get_nowait()
                except asyncio.QueueEmpty:
                    return
                messages = [
                    {"role": "user", "content": f"request {n} " + "x" * rng.randint(0, 200)}
                ]
                reply = await router.chat.completions.create(model="test-70b", messages=messages)
                info = route_of(reply)
                answered[n] = info.provider
                attempts += len(info.attempts)
                for a in info.attempts:
                    outcomes[a.outcome] = outcomes.get(a.outcome, 0) + 1

        start = time.perf_counter()
        await asyncio.gather(*(caller() for _ in range(callers)))
        elapsed = time.perf_counter() - start
        await router.close()
        assert sorted(answered) == list(range(total))
        served = {
            p: sum(1 for v in answered.values() if v == p) for p in ("alpha", "beta", "gamma")
        }
        failed = sum(1 for s in trio["beta"].seen if s.action == "500")
        assert failed > 0 and all(served.values())
        assert sum(served.values()) == total
        # Every 500 was followed by another attempt; a slow machine may add timeouts, also retried.
        assert outcomes["ok"] == total and outcomes["server-error"] == failed, outcomes
        assert attempts == sum(outcomes.values())
        totals = router.totals()
        assert sum(t["requests"] for t in totals["by_provider"].values()) == total
        print(
            f"\nload: {total} requests, {callers} callers, {elapsed:.2f} s "
            f"({total / elapsed:.0f} req/s); answered by {served}; beta failed {failed} "
            f"times, every one answered elsewhere; {attempts} attempts {outcomes}"
        )
