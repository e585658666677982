"""Router parts without a network: token estimates, keys, breaker, latency, strategies, ledger."""

from __future__ import annotations

import orjson
import pytest
from fake_openai import standard_document

from knollm import Catalog
from knollm.router.accounting import Ledger
from knollm.router.health import Breaker, Health, Latency
from knollm.router.keys import KeyPool, KeyRing, fingerprint, keys_from_env
from knollm.router.strategies import RoundRobin, Workload, balanced, cheapest, fastest
from knollm.router.tokens import shape, text_tokens


def test_text_tokens() -> None:
    assert text_tokens("") == 0
    assert text_tokens("abcd" * 10) == 10
    assert text_tokens("abcde") == 2
    assert text_tokens("你好世界") == 4  # one per non-Latin character
    assert text_tokens("héllo") == 2  # 4 ASCII chars -> 1, plus 1 for é


def test_shape_counts_messages_tools_and_images() -> None:
    hi = shape([{"role": "user", "content": "hi"}])
    assert hi.tokens == 3 + 4 + 1 and not hi.tools and hi.images == 0
    parts = [{"type": "text", "text": "abcdefgh"}, {"type": "image_url", "image_url": {"url": "x"}}]
    img = shape([{"role": "user", "content": parts}])
    assert img.images == 1 and img.tokens == 3 + 4 + 2 + 765
    tools = [{"type": "function", "function": {"name": "f"}}]
    with_tools = shape([{"role": "user", "content": "hi"}], tools=tools)
    assert with_tools.tools and with_tools.tokens > hi.tokens
    assert shape([], response_format={"type": "json_schema"}).json_schema


def test_keys_from_env_numbered_in_order() -> None:
    env = {
        "GROQ_API_KEY_3": "c",
        "GROQ_API_KEY": "a",
        "GROQ_API_KEY_2": "b",
        "GROQ_API_KEY_X": "no",
        "GROQ_API_KEY_4": " ",
        "OTHER": "a",
        "GROQAI_API_KEY": "d",
    }
    assert keys_from_env(["GROQ_API_KEY", "GROQAI_API_KEY"], env) == ["a", "b", "c", "d"]
    assert keys_from_env(["GROQ_API_KEY"], {"GROQ_API_KEY": "a", "GROQ_API_KEY_2": "a"}) == ["a"]


def test_key_pool_rotation_disable_and_rest(caplog: pytest.LogCaptureFixture) -> None:
    pool = KeyPool("groq", ["sk-one-aaaa", "sk-two-bbbb", "sk-three-cccc"])
    picked = [pool.pick(0.0) for _ in range(4)]
    assert [k.reveal() for k in picked] == [
        "sk-one-aaaa",
        "sk-two-bbbb",
        "sk-three-cccc",
        "sk-one-aaaa",
    ]
    for key in picked:
        pool.finish(key, True)
    two = pool.keys[1]
    pool.disable(two, 401, "HTTP 401: bad key")
    pool.limit(pool.keys[2], 10.0)
    again = [pool.pick(1.0) for _ in range(2)]
    assert [k.reveal() for k in again] == ["sk-one-aaaa", "sk-one-aaaa"]
    for key in again:
        pool.finish(key, True)
    pool.limit(pool.keys[0], 5.0)
    assert pool.pick(1.0) is None and pool.ready_at(1.0) == 5.0
    # After its rest a key recovers one request at a time: a second caller waits for the first.
    probe = pool.pick(5.0)
    assert probe.reveal() == "sk-one-aaaa"
    assert pool.pick(5.0) is None and pool.ready_at(5.0) == pytest.approx(5.05)
    pool.finish(probe, True)  # accepted: two may go at once now, then four...
    assert [pool.pick(5.1) is not None for _ in range(3)] == [True, True, False]
    assert "sk-" not in repr(pool) + repr(pool.keys) + caplog.text
    assert repr(two) == f"ApiKey(groq {fingerprint('sk-two-bbbb')}, disabled: HTTP 401)"


def test_fingerprint_and_scrub() -> None:
    fp = fingerprint("sk-secret")
    assert fp.startswith("key#") and len(fp) == 12 and "secret" not in fp
    ring = KeyRing({"groq": KeyPool("groq", ["sk-secret", "sk-secret-longer"])})
    assert ring.scrub("a sk-secret-longer b sk-secret") == (
        f"a {fingerprint('sk-secret-longer')} b {fp}"
    )


def test_breaker_cycle() -> None:
    b = Breaker(threshold=3, cooldown=10.0)
    for t in (0.0, 1.0):
        b.failure(t)
        assert b.state == "closed" and b.allow(t)
    b.success()
    assert b.failures == 0
    for t in (2.0, 3.0, 4.0):
        b.failure(t)
    assert b.state == "open" and not b.allow(13.9)
    assert b.allow(14.0) and b.state == "half-open"
    assert not b.allow(14.1)  # one probe at a time
    b.failure(14.2)
    assert b.state == "open" and not b.allow(24.1)
    assert b.allow(24.2)
    b.success()
    assert b.state == "closed" and b.allow(24.3)


def test_latency_decays_with_time() -> None:
    lat = Latency(half_life=60.0)
    lat.observe(1.0, 0.0)
    lat.observe(3.0, 60.0)  # the first observation now weighs 0.5
    assert lat.mean == pytest.approx((0.5 * 1.0 + 3.0) / 1.5)
    lat.observe(3.0, 6060.0)  # an hour and more later: the past hardly counts
    assert lat.mean == pytest.approx(3.0, abs=1e-9)


def test_strategies_order() -> None:
    cat = Catalog.from_bytes(orjson.dumps(standard_document()))
    cands = [o for o in cat.offerings_of("test-70b") if o.provider != "closed"][::-1]
    w = Workload(1000, 1000)
    assert [o.provider for o in cheapest(cands, w)] == ["alpha", "beta", "gamma"]
    health = Health()
    health.succeeded("beta:beta-70b", 0.5, 0.0)
    health.succeeded("alpha:alpha-70b", 0.9, 0.0)
    assert [o.provider for o in fastest(cands, w, health)] == ["gamma", "beta", "alpha"]
    by_latency = balanced(cands, w, health, {"latency": 1.0})
    assert [o.provider for o in by_latency] == ["beta", "gamma", "alpha"]  # gamma unknown: 0.5
    rr = RoundRobin()
    assert [rr.order("m", "abc")[0] for _ in range(4)] == ["a", "b", "c", "a"]


def test_ledger_reservations() -> None:
    ledger = Ledger(budget=1.0)
    assert ledger.reserve(0.6)
    assert not ledger.reserve(0.5)
    ledger.release(0.6)
    assert ledger.reserve(1.0) and ledger.remaining() == 0.0
    with pytest.raises(ValueError, match="budget must be >= 0"):
        Ledger(budget=-1)
