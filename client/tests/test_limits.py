"""Proactive rate limits (issue 17, item 4): token buckets per provider and per key, before sending.

Bucket arithmetic is checked with an injected time; the router against the fake providers with
a frozen :class:`FakeClock`, so no bucket refills behind a test's back and every wait is exact.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Sequence
from pathlib import Path

import pytest
from fake_openai import KEYS, FakeClock, Trio

from knollm.config import Config, ProviderSettings, Settings, load
from knollm.router import AllCandidatesFailed, AsyncRouter, Router, route_of
from knollm.router.limits import LocalBuckets, Spec, bucket
from knollm.router.tokens import shape

HI = [{"role": "user", "content": "hi"}]
PROMPT = shape(HI).tokens


def limited(**sections: ProviderSettings) -> Config:
    return Config(Settings(providers=dict(sections)))


class Recording(LocalBuckets):
    """Local buckets that remember every wait they handed out."""

    def __init__(self) -> None:
        super().__init__()
        self.waits: list[float] = []

    def take(self, specs: Sequence[Spec], max_wait: float, now: float) -> float | None:
        wait = super().take(specs, max_wait, now)
        if wait is not None:
            self.waits.append(wait)
        return wait


# -- the buckets -------------------------------------------------------------------------------


def test_bucket_holds_any_minute_to_the_limit() -> None:
    spec = bucket("p:rpm", 20, 1.0)
    assert (spec.capacity, spec.rate) == (2.0, 0.3)  # 2 at once, then 18 more per minute
    assert spec.capacity + 60 * spec.rate == pytest.approx(20)
    small = bucket("p:rpm", 3, 1.0)
    assert small.capacity == 1.0 and small.capacity + 60 * small.rate == pytest.approx(3)
    # Replay a minute of greedy callers: never more than the limit inside any 60 s window.
    b, sent, now = LocalBuckets(), [], 0.0
    while now < 600:
        wait = b.take([spec], 1e9, now)
        assert wait is not None
        now += wait
        sent.append(now)
    for i, t in enumerate(sent):
        inside = sum(1 for u in sent[i:] if u < t + 60)
        assert inside <= 20


def test_callers_get_distinct_evenly_spaced_slots_in_order() -> None:
    b = LocalBuckets()
    spec = bucket("p:rpm", 20, 1.0)  # capacity 2, 0.3 per second
    waits = [b.take([spec], 100.0, 0.0) for _ in range(5)]
    assert waits == pytest.approx([0.0, 0.0, 1 / 0.3, 2 / 0.3, 3 / 0.3])
    assert b.wait([spec], 0.0) == pytest.approx(4 / 0.3)  # a newcomer queues behind them
    assert b.take([spec], 0.0, 0.0) is None  # ... and cannot jump the queue


def test_refusal_takes_nothing_and_give_returns_a_slot() -> None:
    b = LocalBuckets()
    rpm, tpm = bucket("p:rpm", 600, 1.0), bucket("p:tpm", 6000, 500.0)  # tpm holds 600 tokens
    assert b.take([rpm, tpm], 0.0, 0.0) == 0.0
    assert b.take([rpm, tpm], 0.0, 0.0) is None  # tpm would wait: rpm is not charged either
    assert b.state["p:rpm"][0] == pytest.approx(59.0)
    assert b.state["p:tpm"][0] == pytest.approx(100.0)
    b.give([rpm, tpm], 0.0)  # the first caller gave up before sending
    assert b.state["p:rpm"][0] == pytest.approx(60.0)
    assert b.state["p:tpm"][0] == pytest.approx(600.0)


def test_threads_share_a_bucket_fairly() -> None:
    b = LocalBuckets()
    spec = bucket("p:rpm", 60, 1.0)  # capacity 6, 0.9 per second
    waits: list[float] = []
    lock = threading.Lock()
    start = threading.Barrier(20)

    def caller() -> None:
        start.wait()
        w = b.take([spec], 100.0, 0.0)
        assert w is not None
        with lock:
            waits.append(w)

    threads = [threading.Thread(target=caller) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # Six go at once; the other fourteen each get their own slot, 1/0.9 s apart: no two wake
    # together, nobody is skipped.
    assert sorted(waits) == pytest.approx([0.0] * 6 + [k / 0.9 for k in range(1, 15)])


def test_key_limits_are_read_from_config_files(tmp_path: Path) -> None:
    project = tmp_path / "knollm.toml"
    project.write_text("[providers.alpha]\nrpm = 100\nkey_rpm = 30\nkey_tpm = 20000\n")
    cfg = load(environ={"KNOLLM_CONFIG": str(project), "KNOLLM_PROVIDERS__ALPHA__TPM": "90000"})
    alpha = cfg.provider("alpha")
    assert (alpha.rpm, alpha.tpm, alpha.key_rpm, alpha.key_tpm) == (100, 90000, 30, 20000)
    assert cfg.origin("providers.alpha.key_rpm") == f"{project}:3"
    assert cfg.origin("providers.alpha.tpm") == "env KNOLLM_PROVIDERS__ALPHA__TPM"


# -- the router --------------------------------------------------------------------------------


def test_router_spills_to_the_next_candidate_then_returns_when_refilled() -> None:
    clock = FakeClock()
    with Trio() as trio:
        cfg = limited(alpha=ProviderSettings(rpm=20))  # 2 at once, then one per 3.33 s
        with Router(trio.catalog, config=cfg, **trio.options(clock=clock)) as router:
            got = [
                route_of(router.chat.completions.create(model="test-70b", messages=HI)).provider
                for _ in range(3)
            ]
            assert got == ["alpha", "alpha", "beta"]  # cheapest first, held back before sending
            clock.advance(1 / 0.3)
            again = router.chat.completions.create(model="test-70b", messages=HI)
            assert route_of(again).provider == "alpha"
        assert len(trio["alpha"].seen) == 3
        assert trio["alpha"].actions() == ["ok"] * 3  # the host never had to say 429


def test_each_key_has_its_own_bucket() -> None:
    clock = FakeClock()
    with Trio() as trio:
        opts = trio.options(clock=clock)
        opts["keys"] = {**KEYS, "alpha": ["sk-alpha-one-0001", "sk-alpha-two-0002"]}
        cfg = limited(alpha=ProviderSettings(key_rpm=2))  # one at once per key
        with Router(trio.catalog, config=cfg, **opts) as router:
            got = [
                route_of(router.chat.completions.create(model="test-70b", messages=HI)).provider
                for _ in range(3)
            ]
        assert got == ["alpha", "alpha", "beta"]
        assert sorted(s.key for s in trio["alpha"].seen) == [
            "sk-alpha-one-0001",
            "sk-alpha-two-0002",
        ]


def test_router_waits_for_its_slot_within_max_wait_else_says_why() -> None:
    clock = FakeClock()
    with Trio() as trio:
        cfg = limited(alpha=ProviderSettings(tpm=60_000))  # 6,000 tokens at once, 900 per second
        with Router(trio.catalog, config=cfg, **trio.options(clock=clock)) as router:
            big = router.chat.completions.create(
                model="alpha/alpha-70b", messages=HI, max_tokens=6000 - PROMPT
            )
            assert route_of(big).provider == "alpha"
            # The next request's 45 tokens accrue in 0.05 s: it waits for them, then goes.
            small = router.chat.completions.create(
                model="alpha/alpha-70b", messages=HI, max_tokens=45 - PROMPT
            )
            assert route_of(small).provider == "alpha"
            router._core.max_wait = 0.01
            with pytest.raises(AllCandidatesFailed) as caught:
                router.chat.completions.create(
                    model="alpha/alpha-70b", messages=HI, max_tokens=45 - PROMPT
                )
        assert "held back by the configured rate limits (rpm/tpm) of alpha" in str(caught.value)
        assert len(trio["alpha"].seen) == 2


@pytest.mark.asyncio
async def test_async_callers_queue_in_order_without_a_herd() -> None:
    clock = FakeClock()
    with Trio() as trio:
        cfg = limited(alpha=ProviderSettings(tpm=60_000))
        async with AsyncRouter(trio.catalog, config=cfg, **trio.options(clock=clock)) as router:
            assert router._core.limiter is not None
            record = router._core.limiter.buckets = Recording()
            await router.chat.completions.create(
                model="alpha/alpha-70b", messages=HI, max_tokens=6000 - PROMPT
            )
            calls = [
                router.chat.completions.create(
                    model="alpha/alpha-70b", messages=HI, max_tokens=45 - PROMPT
                )
                for _ in range(10)
            ]
            replies = await asyncio.gather(*calls)
        assert [route_of(r).provider for r in replies] == ["alpha"] * 10
        # Each caller was given its own slot, 45 tokens (0.05 s) after the one before.
        assert sorted(record.waits) == pytest.approx([0.0] + [k * 0.05 for k in range(1, 11)])
        assert len(trio["alpha"].seen) == 11


@pytest.mark.asyncio
async def test_cancelled_while_queued_gives_its_slot_and_budget_back() -> None:
    clock = FakeClock()
    with Trio() as trio:
        cfg = Config(Settings(budget=1.0, providers={"alpha": ProviderSettings(tpm=60_000)}))
        async with AsyncRouter(trio.catalog, config=cfg, **trio.options(clock=clock)) as router:
            await router.chat.completions.create(
                model="alpha/alpha-70b", messages=HI, max_tokens=6000 - PROMPT
            )
            assert router._core.limiter is not None
            buckets = router._core.limiter.buckets
            assert isinstance(buckets, LocalBuckets)
            before = buckets.state["alpha:tpm"][0]
            spent = router.ledger.spent
            with pytest.raises(TimeoutError):  # its 4,500 tokens are 5 s away
                await asyncio.wait_for(
                    router.chat.completions.create(
                        model="alpha/alpha-70b", messages=HI, max_tokens=4500 - PROMPT
                    ),
                    0.1,
                )
            assert buckets.state["alpha:tpm"][0] == pytest.approx(before)
            assert router.ledger.reserved == 0.0 and router.ledger.spent == spent
            assert router._core.planner.endpoints["alpha"].pool.keys[0].inflight == 0
        assert len(trio["alpha"].seen) == 1
