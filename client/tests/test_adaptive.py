"""The adaptive strategy: learns from outcomes, shifts traffic from a degraded host and back."""

from __future__ import annotations

import random
from collections import Counter
from pathlib import Path
from types import SimpleNamespace

import orjson
import pytest
from fake_openai import FakeClock, Trio, standard_document

from knollm import Catalog, Router
from knollm.router.accounting import Attempt
from knollm.router.health import Health
from knollm.router.strategies import Adaptive, Workload
from knollm.usage.reliability import Reliability

HI = [{"role": "user", "content": "hi"}]
W = Workload(8, 50)


def offerings() -> list:
    catalog = Catalog.from_bytes(orjson.dumps(standard_document()))
    return [o for o in catalog.offerings_of("test-70b") if o.provider != "closed"]


def test_traffic_leaves_a_degraded_host_and_comes_back(tmp_path: Path) -> None:
    """alpha (cheapest), beta and gamma answer in 0.1 s; alpha then takes 3 s for a minute and
    recovers. Time is the fake providers' virtual clock (one second between requests)."""
    clock = FakeClock()
    hosts = {p: {"clock": clock, "virtual_delay": 0.1} for p in ("alpha", "beta", "gamma")}
    with Trio(**hosts) as t:
        router = Router(
            t.catalog, clock=clock, rng=random.Random(7), benchmark_priors=False,
            **t.options(strategy="adaptive", adaptive_half_life=30.0, usage_path=tmp_path / "u"),
        )  # fmt: skip

        def run(n: int) -> list[str]:
            served = []
            for _ in range(n):
                clock.advance(1.0)
                reply = router.chat.completions.create(model="test-70b", messages=HI, max_tokens=50)
                served.append(reply.knollm.provider)
            return served

        healthy = run(60)
        t["alpha"].virtual_delay = 3.0
        degraded = run(60)
        t["alpha"].virtual_delay = 0.1
        recovered = run(150)
        adaptive = router._core.adaptive
    assert Counter(healthy)["alpha"] >= 45  # cheapest and as fast as the others
    assert Counter(degraded[:5])["alpha"] == 5  # it takes a few slow answers to notice
    late = Counter(degraded[15:])
    assert late["alpha"] <= 6 and late["beta"] >= 35  # away from alpha (explorations aside)
    back = Counter(recovered[-40:])
    assert back["alpha"] >= 32  # found again, and preferred once more (37 with this seed)
    assert adaptive.decisions == 270
    assert adaptive.explorations <= 30  # at most 10 in any 100 consecutive requests


def test_traffic_leaves_a_failing_host_and_comes_back(tmp_path: Path) -> None:
    """alpha fails half its requests for a minute (a seeded share of 500s), then recovers."""
    clock = FakeClock()
    hosts = {
        p: {"clock": clock, "virtual_delay": 0.1, "seed": 3} for p in ("alpha", "beta", "gamma")
    }
    with Trio(**hosts) as t:
        router = Router(
            t.catalog, clock=clock, rng=random.Random(7), benchmark_priors=False,
            **t.options(strategy="adaptive", adaptive_half_life=30.0, usage_path=tmp_path / "u"),
        )  # fmt: skip

        def run(n: int) -> list[bool]:
            tried = []  # did the request try alpha?
            for _ in range(n):
                clock.advance(1.0)
                before = len(t["alpha"].seen)
                router.chat.completions.create(model="test-70b", messages=HI, max_tokens=50)
                tried.append(len(t["alpha"].seen) > before)
            return tried

        healthy = run(60)
        t["alpha"].fail_rate = 0.5
        failing = run(60)
        t["alpha"].fail_rate = 0.0
        recovered = run(150)
    assert sum(healthy) >= 45
    assert sum(failing[-30:]) <= 8  # its failures outweighed its price
    assert sum(recovered[-50:]) >= 40


def test_a_host_whose_answers_cost_more_than_listed_loses_traffic(tmp_path: Path) -> None:
    """alpha lists the lowest price, but each answer runs 5,000 completion tokens (a chatty or
    reasoning model): what its requests really cost is learnt from their usage."""
    clock = FakeClock()
    with Trio(alpha={"usage": (10, 5000, 0)}) as t:
        router = Router(
            t.catalog, clock=clock, rng=random.Random(7), benchmark_priors=False,
            **t.options(strategy="adaptive", usage_path=tmp_path / "u"),
        )  # fmt: skip
        served = []
        for _ in range(60):
            clock.advance(1.0)
            reply = router.chat.completions.create(model="test-70b", messages=HI, max_tokens=50)
            served.append(reply.knollm.provider)
        cheapest = Router(t.catalog, **t.options(usage_path=tmp_path / "u2"))
        listed = cheapest.chat.completions.create(model="test-70b", messages=HI, max_tokens=50)
    assert listed.knollm.provider == "alpha"  # by list price
    assert served[0] == "alpha"
    assert Counter(served[10:])["alpha"] <= 5


def test_the_same_seed_gives_the_same_orders() -> None:
    cands = offerings()

    def orders(seed: int) -> list[list[str]]:
        a = Adaptive(Health(), rng=random.Random(seed))
        return [[o.provider for o in a.order(cands, W, 1000.0 + i)] for i in range(50)]

    assert orders(3) == orders(3)
    assert orders(3) != orders(4)


def test_exploration_is_bounded_in_every_window_of_100() -> None:
    cands = offerings()  # nothing known: draws often disagree with the estimates
    for explore, most in ((0.1, 10), (0.02, 2), (0.0, 0)):
        a = Adaptive(Health(), explore=explore, rng=random.Random(1))
        flags = []
        for i in range(400):
            a.order(cands, W, 1000.0 + i)
            flags.append(a.recent[-1])
        assert max(sum(flags[i : i + 100]) for i in range(301)) <= most
        if most:
            assert sum(flags) > 0  # it does explore when allowed
    # without exploration the order is the estimates' own: the cheapest first, untried
    assert [o.provider for o in a.order(cands, W, 2000.0)] == ["alpha", "beta", "gamma"]


def observe(a: Adaptive, now: float, *attempts: tuple[str, str, float]) -> None:
    run = SimpleNamespace(
        core=SimpleNamespace(clock=lambda: now),
        attempts=[Attempt(key, outcome, None, None, s) for key, outcome, s in attempts],
        workload=W,
    )
    a.observe(run, None)


def test_failures_and_latency_are_learnt_and_decay() -> None:
    cands = offerings()
    a = Adaptive(Health(), explore=0.0, half_life=10.0, rng=random.Random(0))
    for i in range(20):
        observe(a, 1000.0 + i, ("alpha:alpha-70b", "server-error", 0.1),
                ("beta:beta-70b", "ok", 0.2), ("gamma:gamma-70b", "rate-limited", 0.01))  # fmt: skip
    arms = a.arms
    assert arms["alpha:alpha-70b"].failed > 5 and arms["alpha:alpha-70b"].ok == 0
    assert arms["beta:beta-70b"].lat_log_mean == pytest.approx(-1.6094, abs=1e-3)  # ln 0.2
    assert "gamma:gamma-70b" not in arms  # a rate limit judges nothing
    assert [o.provider for o in a.order(cands, W, 1020.0)][0] == "beta"
    before = arms["alpha:alpha-70b"].failed
    a.order(cands, W, 1030.0)  # ten seconds later: half the weight
    assert arms["alpha:alpha-70b"].failed == pytest.approx(before / 2, rel=1e-6)


def test_open_breakers_stay_last() -> None:
    cands = offerings()
    health = Health(threshold=1, cooldown=60.0)
    health.failed("alpha:alpha-70b", 1000.0)
    a = Adaptive(health, rng=random.Random(0))
    for i in range(20):
        assert a.order(cands, W, 1001.0 + i)[-1].provider == "alpha"


def test_recorded_outcomes_seed_the_estimates() -> None:
    a = Adaptive(Health(), explore=0.0, rng=random.Random(0))
    scores = {
        "alpha:alpha-70b": Reliability("alpha:alpha-70b", 10, 90, 2.0),
        "beta:beta-70b": Reliability("beta:beta-70b", 50, 0, 0.1),
    }
    assert a.seed(scores, 1000.0) == 2
    alpha = a.arms["alpha:alpha-70b"]
    assert (alpha.ok, alpha.failed) == pytest.approx((2.0, 18.0))  # capped at 20 observations
    assert [o.provider for o in a.order(offerings(), W, 1000.0)][0] == "beta"
