"""The sync router against real fake providers on 127.0.0.1: fallback, order, errors, money."""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path

import openai
import pytest
from fake_openai import KEYS, FakeClock, Trio
from openai.types.chat import ChatCompletion, ChatCompletionChunk

from knollm.router import AllCandidatesFailed, BudgetExceeded, NoCandidates, Router, route_of
from knollm.router.tokens import shape

HI = [{"role": "user", "content": "hi"}]


def ask(router: Router, model: str | list[str] = "test-70b", **kw: object) -> ChatCompletion:
    return router.chat.completions.create(model=model, messages=HI, **kw)


def test_answers_with_sdk_type_and_route_info() -> None:
    with Trio() as trio:
        router = Router(trio.catalog, **trio.options())
        reply = ask(router)
        assert isinstance(reply, ChatCompletion)
        assert reply.choices[0].message.content == "hello from alpha"
        info = route_of(reply)
        assert info is not None and info.answered_by == "alpha/alpha-70b"
        assert [a.outcome for a in info.attempts] == ["ok"]
        assert trio["alpha"].seen[0].model == "alpha-70b"
        assert trio["alpha"].seen[0].key == KEYS["alpha"]
        # The route info stays out of the SDK object's serialisation.
        assert "knollm" not in reply.model_dump()
        router.close()


@pytest.mark.parametrize("failure", ["500", "503", "hang", "drop", "404"])
def test_k_of_n_failing_still_answered(failure: str) -> None:
    with Trio(alpha={"default": failure}, beta={"default": failure}) as trio:
        router = Router(trio.catalog, **trio.options(timeout=0.3))
        for _ in range(3):
            reply = ask(router)
            assert reply.choices[0].message.content == "hello from gamma"
        first = route_of(reply)
        assert first is not None
        # Breakers open after 3 failures: the third request still tries them, later ones skip.
        assert trio.counts() == {"alpha": 3, "beta": 3, "gamma": 3}
        reply = ask(router)
        assert [a.offering for a in route_of(reply).attempts] == ["gamma:gamma-70b"]
        assert trio.counts() == {"alpha": 3, "beta": 3, "gamma": 4}


def test_cheapest_order_of_attempts() -> None:
    with Trio(alpha={"default": "500"}, beta={"default": "500"}) as trio:
        router = Router(trio.catalog, **trio.options())
        info = route_of(ask(router))
        assert [(a.offering, a.outcome, a.status) for a in info.attempts] == [
            ("alpha:alpha-70b", "server-error", 500),
            ("beta:beta-70b", "server-error", 500),
            ("gamma:gamma-70b", "ok", 200),
        ]


def test_explicit_chain_order() -> None:
    with Trio(gamma={"default": "500"}) as trio:
        router = Router(trio.catalog, **trio.options())
        chain = ["gamma/gamma-70b", "beta/beta-70b", "alpha/alpha-70b"]
        info = route_of(ask(router, chain))
        assert [a.offering for a in info.attempts] == ["gamma:gamma-70b", "beta:beta-70b"]
        assert router.candidates(chain, HI)[0].provider == "gamma"


def test_round_robin_rotates() -> None:
    with Trio() as trio:
        router = Router(trio.catalog, **trio.options(strategy="round-robin"))
        answered = [route_of(ask(router)).provider for _ in range(6)]
        assert answered == ["alpha", "beta", "gamma", "alpha", "beta", "gamma"]


def test_fastest_learns_latency() -> None:
    # Each fake advances the router's clock by its latency instead of sleeping: exact, no races.
    clock = FakeClock()
    slow = {"alpha": 0.3, "beta": 0.2, "gamma": 0.05}
    with Trio(**{p: {"clock": clock, "virtual_delay": d} for p, d in slow.items()}) as trio:
        router = Router(trio.catalog, **trio.options(strategy="fastest", clock=clock))
        # Unmeasured offerings go first (cheapest first), so each is measured once.
        explored = [route_of(ask(router)).provider for _ in range(3)]
        assert explored == ["alpha", "beta", "gamma"]
        assert router.health.latency["alpha:alpha-70b"].mean == pytest.approx(0.3)
        assert [route_of(ask(router)).provider for _ in range(2)] == ["gamma", "gamma"]
        order = [o.provider for o in router.candidates("test-70b", HI)]
        assert order == ["gamma", "beta", "alpha"]


def test_balanced_prefers_reliable_when_weighted() -> None:
    with Trio(alpha={"script": ["ok", "500"]}) as trio:
        router = Router(
            trio.catalog,
            **trio.options(strategy="balanced", weights={"cost": 1.0, "reliability": 3.0}),
        )
        assert route_of(ask(router)).provider == "alpha"  # no failures yet: cheapest wins
        assert route_of(ask(router)).provider == "beta"  # alpha's 500: beta took over
        # Cost on a log scale across candidates: alpha 0, beta ~0.29, gamma 1; alpha's recent
        # failure rate (0.2) x 3 = 0.6 puts it between beta and gamma.
        assert [o.provider for o in router.candidates("test-70b", HI)] == ["beta", "alpha", "gamma"]


@pytest.mark.parametrize("status", ["400", "413", "422"])
def test_request_errors_are_not_retried(status: str) -> None:
    with Trio(alpha={"default": status}) as trio:
        router = Router(trio.catalog, **trio.options())
        with pytest.raises(openai.APIStatusError, match=f"fake {status} from alpha") as caught:
            ask(router)
        assert caught.value.status_code == int(status)
        assert trio.counts() == {"alpha": 1, "beta": 0, "gamma": 0}
        # A bad request says nothing about the offering's health.
        assert router.health.state("alpha:alpha-70b") == "closed"


def test_rejected_key_is_taken_out_with_warning(caplog: pytest.LogCaptureFixture) -> None:
    bad, good = "sk-alpha-revoked-9999", "sk-alpha-good-1111"
    with Trio(alpha={"reject_keys": [bad], "error_echo": True}) as trio:
        router = Router(trio.catalog, **trio.options(keys={**KEYS, "alpha": [bad, good]}))
        with caplog.at_level(logging.DEBUG):
            info = route_of(ask(router))
            assert [(a.outcome, a.status) for a in info.attempts] == [
                ("key-rejected", 401),
                ("ok", 200),
            ]
            assert info.provider == "alpha"
            for _ in range(3):
                assert route_of(ask(router)).attempts[0].outcome == "ok"
        assert [s.key for s in trio["alpha"].seen] == [bad, good, good, good, good]
        warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
        assert len(warnings) == 1
        message = warnings[0].getMessage()
        assert "alpha key key#" in message and "taken out of rotation, 1 left" in message
        for record in caplog.records:
            text = record.getMessage() + str(record.args)
            assert bad not in text and good not in text
        assert bad not in repr(router) and good not in repr(router._core.keyring)


def test_all_keys_rejected_falls_to_next_provider() -> None:
    with Trio(alpha={"default": "401"}) as trio:
        router = Router(trio.catalog, **trio.options())
        assert route_of(ask(router)).provider == "beta"
        assert route_of(ask(router)).attempts[0].offering == "beta:beta-70b"
        assert trio.counts()["alpha"] == 1


def test_rate_limit_honours_retry_after_on_same_key() -> None:
    with Trio(alpha={"script": ["429"], "retry_after": "0.4"}) as trio:
        router = Router(trio.catalog, **trio.options())
        start = time.monotonic()
        info = route_of(ask(router, "alpha/alpha-70b"))
        elapsed = time.monotonic() - start
        assert [a.outcome for a in info.attempts] == ["rate-limited", "ok"]
        assert elapsed >= 0.4
        assert trio.counts()["alpha"] == 2


def test_rate_limited_key_rests_while_others_answer() -> None:
    with Trio(alpha={"script": ["429"], "retry_after": "30"}) as trio:
        router = Router(trio.catalog, **trio.options())
        assert route_of(ask(router)).provider == "beta"
        assert route_of(ask(router)).attempts[0].offering == "beta:beta-70b"
        assert trio.counts() == {"alpha": 1, "beta": 2, "gamma": 0}


def test_rate_limit_wait_is_bounded() -> None:
    with Trio(alpha={"default": "429", "retry_after": "30"}) as trio:
        router = Router(trio.catalog, **trio.options(max_wait=0.2))
        start = time.monotonic()
        with pytest.raises(AllCandidatesFailed, match="rate-limited"):
            ask(router, "alpha/alpha-70b")
        assert time.monotonic() - start < 5


def test_breaker_opens_and_closes() -> None:
    with Trio(alpha={"default": "500"}) as trio:
        router = Router(trio.catalog, **trio.options(breaker_threshold=2, breaker_cooldown=0.3))
        ask(router)
        assert router.health.state("alpha:alpha-70b") == "closed"
        ask(router)
        assert router.health.state("alpha:alpha-70b") == "open"
        ask(router)
        assert trio.counts()["alpha"] == 2  # skipped while open
        trio["alpha"].default = "ok"
        time.sleep(0.35)
        assert route_of(ask(router)).provider == "alpha"  # the half-open probe succeeds
        assert router.health.state("alpha:alpha-70b") == "closed"


def test_open_breaker_is_last_resort() -> None:
    with Trio(alpha={"default": "500"}) as trio:
        router = Router(trio.catalog, **trio.options(breaker_threshold=1, breaker_cooldown=60))
        ask(router)
        assert router.health.state("alpha:alpha-70b") == "open"
        trio["alpha"].default = "ok"
        trio["beta"].default = trio["gamma"].default = "500"
        info = route_of(ask(router))
        assert [a.offering for a in info.attempts] == [
            "beta:beta-70b",
            "gamma:gamma-70b",
            "alpha:alpha-70b",
        ]


def test_every_candidate_failing_raises_with_attempts() -> None:
    with Trio(alpha={"default": "500"}, beta={"default": "503"}, gamma={"default": "drop"}) as trio:
        router = Router(trio.catalog, **trio.options())
        with pytest.raises(AllCandidatesFailed) as caught:
            ask(router)
        assert [a.outcome for a in caught.value.attempts] == [
            "server-error",
            "server-error",
            "connection",
        ]
        assert "after 3 attempt(s)" in str(caught.value)


def test_stream_falls_back_before_first_chunk() -> None:
    with Trio(alpha={"script": ["500"]}, beta={"script": ["drop"]}) as trio:
        router = Router(trio.catalog, **trio.options())
        stream = router.chat.completions.create(model="test-70b", messages=HI, stream=True)
        chunks = list(stream)
        assert all(isinstance(c, ChatCompletionChunk) for c in chunks)
        assert "".join(c.choices[0].delta.content or "" for c in chunks) == "hello from gamma"
        assert [a.outcome for a in stream.knollm.attempts] == ["server-error", "connection", "ok"]
        # The router asked for usage itself, so the usage-only chunk was kept back but counted.
        assert all(c.choices for c in chunks)
        assert stream.knollm.cost == pytest.approx((10 * 2.0 + 5 * 4.0) / 1e6)
        assert trio["gamma"].seen[0].body["stream_options"] == {"include_usage": True}


def test_stream_error_after_first_chunk_is_surfaced() -> None:
    with Trio(alpha={"script": ["drop-mid-stream"]}) as trio:
        router = Router(trio.catalog, **trio.options())
        stream = router.chat.completions.create(model="test-70b", messages=HI, stream=True)
        got = []
        with pytest.raises(openai.APIConnectionError):
            for chunk in stream:
                got.append(chunk.choices[0].delta.content)
        assert got == ["hello"]
        assert trio.counts() == {"alpha": 1, "beta": 0, "gamma": 0}
        assert stream.knollm.attempts[-1].outcome == "stream-interrupted"
        assert stream.knollm.cost_source == "estimate"


def test_stream_usage_chunk_passed_through_when_asked() -> None:
    with Trio() as trio:
        router = Router(trio.catalog, **trio.options())
        with router.chat.completions.create(
            model="test-70b", messages=HI, stream=True, stream_options={"include_usage": True}
        ) as stream:
            chunks = list(stream)
        assert chunks[-1].choices == [] and chunks[-1].usage.prompt_tokens == 10


def test_costs_add_up_with_cache_prices() -> None:
    with Trio(alpha={"usage": (1000, 200, 400)}, beta={"usage": (300, 100, 0)}) as trio:
        router = Router(trio.catalog, **trio.options())
        # alpha: 600 fresh x 0.5 + 400 cached x 0.05 + 200 out x 1.5, per 1M tokens.
        alpha_cost = (600 * 0.5 + 400 * 0.05 + 200 * 1.5) / 1e6
        beta_cost = (300 * 1.0 + 100 * 2.0) / 1e6
        for _ in range(3):
            assert route_of(ask(router)).cost == pytest.approx(alpha_cost, rel=1e-12)
        assert route_of(ask(router, "beta/beta-70b")).cost == pytest.approx(beta_cost, rel=1e-12)
        totals = router.totals()
        assert totals["spent"] == pytest.approx(3 * alpha_cost + beta_cost, rel=1e-12)
        assert totals["by_provider"]["alpha"] == {
            "requests": 3,
            "prompt_tokens": 3000,
            "completion_tokens": 600,
            "cached_tokens": 1200,
            "cost": pytest.approx(3 * alpha_cost),
            "unpriced": 0,
        }
        assert totals["by_model"]["test-70b"]["requests"] == 4
        assert alpha_cost == pytest.approx(0.00062)


def test_budget_refuses_before_spending() -> None:
    with Trio(alpha={"usage": (2000, 1000, 0)}) as trio:
        router = Router(trio.catalog, **trio.options(budget=0.0025))
        estimate = (shape(HI).tokens * 0.5 + 1000 * 1.5) / 1e6
        assert estimate < 0.0025
        reply = ask(router, "alpha/alpha-70b", max_tokens=1000)
        assert route_of(reply).cost == pytest.approx((2000 * 0.5 + 1000 * 1.5) / 1e6)
        with pytest.raises(BudgetExceeded) as caught:
            ask(router, "alpha/alpha-70b", max_tokens=1000)
        assert str(caught.value) == (
            "budget $0.002500 would be exceeded: spent $0.002500, in flight $0.000000; the cheapest "
            f"candidate, alpha/alpha-70b, needs up to ${estimate:.6f} for this request (set "
            "max_tokens to lower the estimate)"
        )
        assert trio.counts()["alpha"] == 1
        assert router.ledger.remaining() == 0.0


def test_budget_skips_candidates_it_cannot_afford() -> None:
    with Trio() as trio:
        w = shape(HI).tokens
        alpha_est = (w * 0.5 + 100 * 1.5) / 1e6
        beta_est = (w * 1.0 + 100 * 2.0) / 1e6
        router = Router(trio.catalog, **trio.options(budget=(alpha_est + beta_est) / 2))
        chain = ["beta/beta-70b", "alpha/alpha-70b"]
        assert route_of(ask(router, chain, max_tokens=100)).provider == "alpha"
        assert trio.counts()["beta"] == 0


def test_jsonl_log_has_no_prompts_or_keys(tmp_path: Path) -> None:
    log = tmp_path / "requests.jsonl"
    secret_prompt = [{"role": "user", "content": "my private question"}]
    with Trio(
        alpha={"default": "401", "error_echo": True}, beta={"default": "400", "error_echo": True}
    ) as trio:
        router = Router(trio.catalog, **trio.options(log_path=log))
        with pytest.raises(openai.BadRequestError) as caught:
            router.chat.completions.create(model="test-70b", messages=secret_prompt)
        for key in KEYS.values():
            assert key not in str(caught.value) and key not in repr(caught.value)
        assert "key#" in str(caught.value)  # the echoed key was replaced by its fingerprint
        trio["beta"].default = "ok"
        router.chat.completions.create(model="test-70b", messages=secret_prompt)
    text = log.read_text()
    lines = [json.loads(line) for line in text.splitlines()]
    assert [line["ok"] for line in lines] == [False, True]
    assert lines[1]["answered_by"] == "beta/beta-70b"
    assert "private question" not in text
    for key in KEYS.values():
        assert key not in text


def test_jsonl_log_prompts_when_asked(tmp_path: Path) -> None:
    log = tmp_path / "requests.jsonl"
    with Trio() as trio:
        router = Router(trio.catalog, **trio.options(log_path=log, log_prompts=True))
        ask(router)
    (line,) = [json.loads(x) for x in log.read_text().splitlines()]
    assert line["messages"] == HI and line["cost"] == pytest.approx((10 * 0.5 + 5 * 1.5) / 1e6)


def test_keys_never_in_failure_messages() -> None:
    with Trio(
        **{p: {"default": "401", "error_echo": True} for p in ("alpha", "beta", "gamma")}
    ) as trio:
        router = Router(trio.catalog, **trio.options())
        with pytest.raises(AllCandidatesFailed) as caught:
            ask(router)
        text = str(caught.value) + repr(caught.value) + repr(caught.value.attempts)
        for key in KEYS.values():
            assert key not in text
        assert str(caught.value).count("key-rejected") == 3


def test_context_and_capabilities_decide_candidates() -> None:
    with Trio() as trio:
        router = Router(trio.catalog, **trio.options())
        long_prompt = [{"role": "user", "content": "x" * 20_000}]  # ~5,000 tokens
        with pytest.raises(NoCandidates, match="largest context 4,096"):
            router.chat.completions.create(model="test-8b", messages=long_prompt)
        tools = [{"type": "function", "function": {"name": "f", "parameters": {}}}]
        auto = router.candidates("auto", HI, tools=tools)
        assert "alpha:alpha-8b" not in [o.key for o in auto]  # lists capabilities, not tools
        assert [o.key for o in router.candidates("auto", HI)][0] == "alpha:alpha-8b"


def test_auto_with_constraints() -> None:
    with Trio(alpha={"default": "500"}) as trio:
        router = Router(trio.catalog, **trio.options())
        reply = ask(router, "auto", constraints={"min_context": 100_000, "max_input_price": 1.0})
        assert route_of(reply).answered_by == "beta/beta-70b"
        only = router.candidates("auto", HI, constraints={"providers": ["gamma"]})
        assert [o.key for o in only] == ["gamma:gamma-70b"]


def test_unusable_and_unknown_models_explain_themselves() -> None:
    with Trio() as trio:
        router = Router(trio.catalog, **trio.options(keys={"beta": KEYS["beta"]}))
        with pytest.raises(NoCandidates) as caught:
            ask(router, "alpha/alpha-70b")
        assert (
            str(caught.value)
            == "no usable provider for 'alpha/alpha-70b': alpha has no API key (set ALPHA_API_KEY)"
        )
        with pytest.raises(NoCandidates, match="closed has no OpenAI-compatible API"):
            ask(router, "closed/closed-70b")
        with pytest.raises(NoCandidates, match="did you mean test-70b"):
            ask(router, "test-70")
        assert [o.provider for o in router.candidates("test-70b", HI)] == ["beta"]


def test_keys_from_environment_rotate() -> None:
    env = {"ALPHA_API_KEY": "sk-env-1", "ALPHA_API_KEY_2": "sk-env-2", "BETA_API_KEY": ""}
    with Trio() as trio:
        opts = trio.options()
        del opts["keys"]
        router = Router(trio.catalog, env=env, **opts)
        assert router.providers == ["alpha"]
        for _ in range(4):
            ask(router)
        assert [s.key for s in trio["alpha"].seen] == [
            "sk-env-1",
            "sk-env-2",
            "sk-env-1",
            "sk-env-2",
        ]
        assert "sk-env" not in repr(router)


def test_bad_options_are_clear() -> None:
    with Trio() as trio:
        with pytest.raises(ValueError, match="strategy must be one of"):
            Router(trio.catalog, strategy="quickest")
        with pytest.raises(ValueError, match="keys: unknown provider 'alpah'; did you mean alpha"):
            Router(trio.catalog, keys={"alpah": "x"})
