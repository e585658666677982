"""``knollm benchmark`` against fake providers with scripted delays, token rates and failures.

Tolerances: a fake sleeps ``delay`` before answering and ``1/token_rate`` between content chunks,
so the measured TTFT and latency can never be below the scripted values (less 5 ms of clock
granularity) and are allowed up to 0.5 s above them (a shared, loaded 2-core machine); the median
throughput must come within -40 % / +30 % of the scripted token rate (a first chunk read late
shortens the measured decode time, hence some room above). The benchmark's own overhead
on an idle machine is measured in benchmarks/bench_multi.py, not here.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import orjson
import pytest
from fake_openai import KEYS, Trio, standard_document

from knollm import bench
from knollm.prompts import Prompt, PromptFileError, read_prompts
from knollm.router import AsyncRouter, Router

HI = [Prompt("hi", [{"role": "user", "content": "hi"}])]
DELAY, TOKENS, RATE = 0.3, 11, 20.0  # decode: 10 gaps of 50 ms = 0.5 s
SLACK = 0.5


def _scripted() -> Trio:
    return Trio(
        alpha={"delay": DELAY, "stream_tokens": TOKENS, "token_rate": RATE},
        beta={"default": "500"},
        gamma={"script": ["500"]},
    )


def _run(trio: Trio, specs: list[str], runs: int = 3) -> dict[str, Any]:
    async def go() -> dict[str, Any]:
        async with AsyncRouter(trio.catalog, **trio.options(timeout=10.0)) as router:
            return await bench.run_benchmark(
                router, specs, HI, runs=runs, concurrency=3, max_tokens=32, measured_by="tests",
                where="127.0.0.1",
            )  # fmt: skip

    return asyncio.run(go())


def test_timings_match_the_scripted_delays_and_rate() -> None:
    with _scripted() as trio:
        doc = _run(trio, ["alpha/alpha-70b", "beta/beta-70b", "gamma/gamma-70b"])
    bench.validate(doc)
    results = {r["offering"]: r for r in doc["results"]}
    alpha = results["alpha:alpha-70b"]
    assert alpha["attempts"] == 3 and alpha["errors"] == 0 and alpha["tokens_source"] == ["usage"]
    assert alpha["output_tokens"]["median"] == TOKENS
    decode = (TOKENS - 1) / RATE
    for sample in (s for s in doc["samples"] if s["offering"] == "alpha:alpha-70b"):
        assert DELAY - 0.005 <= sample["ttft_s"] <= DELAY + SLACK
        assert DELAY + decode - 0.005 <= sample["latency_s"] <= DELAY + decode + SLACK
    assert 0.6 * RATE <= alpha["output_tokens_per_s"]["median"] <= 1.3 * RATE
    assert alpha["ttft_s"]["n"] == 3 and alpha["ttft_s"]["median"] >= DELAY - 0.005
    beta, gamma = results["beta:beta-70b"], results["gamma:gamma-70b"]
    assert (beta["attempts"], beta["errors"], beta["error_rate"]) == (3, 3, 1.0)
    assert beta["errors_by_kind"] == {"server-error": 3} and beta["latency_s"]["median"] is None
    assert (gamma["attempts"], gamma["errors"]) == (3, 1)
    assert gamma["error_rate"] == pytest.approx(1 / 3, abs=1e-6)
    assert gamma["tokens_source"] == ["usage"] and gamma["output_tokens"]["median"] == 5
    # Sorted by median latency, offerings that never answered last.
    assert [r["offering"] for r in doc["results"]][-1] == "beta:beta-70b"
    assert doc["measured_by"] == "tests" and doc["measured_from"]["where"] == "127.0.0.1"
    assert doc["settings"]["runs"] == 3 and doc["settings"]["concurrency"] == 3


def test_fallback_counts_an_error_for_the_failed_host() -> None:
    with Trio(alpha={"default": "500"}) as trio:
        doc = _run(trio, ["test-70b"], runs=2)
    results = {r["offering"]: r for r in doc["results"]}
    assert results["alpha:alpha-70b"]["error_rate"] == 1.0
    assert results["beta:beta-70b"]["attempts"] == 2 and results["beta:beta-70b"]["errors"] == 0
    assert results["beta:beta-70b"]["requested"] == ["test-70b"]


def test_spread_is_median_and_interpolated_p95() -> None:
    s = bench.spread([float(v) for v in range(1, 21)])  # 1..20
    assert s["median"] == 10.5 and s["p95"] == pytest.approx(19.05)
    assert bench.spread([2.0])["p95"] == 2.0
    assert bench.spread([]) == {"n": 0, "median": None, "p95": None, "min": None, "max": None}


def test_saved_results_become_the_fastest_strategys_prior(tmp_path: Path) -> None:
    with Trio(alpha={"delay": 0.25}) as trio:
        doc = _run(trio, ["alpha/alpha-70b", "gamma/gamma-70b"], runs=1)
        path = bench.save(doc)
        assert path.parent == tmp_path / "data" / "benchmarks"
        assert bench.load(path) == doc and bench.saved() == [path]
        priors = bench.read_priors()
        assert priors["alpha:alpha-70b"]["latency_s"] > priors["gamma:gamma-70b"]["latency_s"]
        order = [
            o.provider
            for o in Router(trio.catalog, **trio.options(strategy="fastest")).candidates(
                "test-70b", [{"role": "user", "content": "hi"}]
            )
        ]
        # beta was never measured, so it goes first to be measured; then by measured latency.
        assert order == ["beta", "gamma", "alpha"]
        # Without the priors (and without the usage file, whose recorded outcomes of the benchmark
        # run would seed the same latencies), the plan keeps the catalog's order.
        opts = trio.options(strategy="fastest", benchmark_priors=False, usage=False)
        plain = Router(trio.catalog, **opts)
        assert [o.provider for o in plain.candidates("test-70b", HI[0].messages)] == [
            "alpha",
            "beta",
            "gamma",
        ]


def test_invalid_results_are_refused(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"format": "something-else"}')
    with pytest.raises(bench.MeasurementsError, match="not a knollm-measurements document"):
        bench.load(bad)
    bad.write_text("{")
    with pytest.raises(bench.MeasurementsError, match="not JSON"):
        bench.load(bad)


def test_prompt_files(tmp_path: Path) -> None:
    f = tmp_path / "p.jsonl"
    f.write_text('"one"\n\n{"id": "x", "prompt": "two"}\n{"messages": [{"role": "user"}]}\n')
    prompts = read_prompts(f)
    assert [p.id for p in prompts] == ["1", "x", "4"]
    assert prompts[0].messages == [{"role": "user", "content": "one"}]
    f.write_text('{"prompt": 3}\n')
    with pytest.raises(PromptFileError, match=r"p.jsonl:1: needs \"prompt\""):
        read_prompts(f)
    f.write_text('"a"\n{oops\n')
    with pytest.raises(PromptFileError, match=r"p.jsonl:2: not JSON"):
        read_prompts(f)
    f.write_text('{"id": "a", "prompt": "x"}\n{"id": "a", "prompt": "y"}\n')
    with pytest.raises(PromptFileError, match="duplicate id 'a'"):
        read_prompts(f)


# -- the CLI ---------------------------------------------------------------------------------


def local_catalog(trio: Trio, path: Path) -> Path:
    """The standard test catalog with every provider's base URL pointing at its fake."""
    doc = standard_document()
    for p in doc["providers"]:
        if p["id"] in trio.fakes:
            p["api_base_url"] = trio[p["id"]].base_url
    path.write_bytes(orjson.dumps(doc))
    return path


ENV = {f"{p.upper()}_API_KEY": key for p, key in KEYS.items()}


def test_cli_benchmark_json_table_and_show(run: Any, tmp_path: Path) -> None:
    with Trio(alpha={"stream_tokens": 4}) as trio:
        cat = local_catalog(trio, tmp_path / "models.json")
        out = run("benchmark", "--models", "alpha/alpha-70b, gamma/gamma-70b", "--runs", "2",
                  "--prompt", "hello", "--by", "me", "--json", catalog=cat, env=ENV)  # fmt: skip
        assert out.exit_code == 0, out.output
        doc = json.loads(out.stdout)
        assert [r["attempts"] for r in doc["results"]] == [2, 2]
        assert trio["alpha"].seen[0].body["messages"] == [{"role": "user", "content": "hello"}]
        assert trio["alpha"].seen[0].stream and trio["alpha"].seen[0].body["max_tokens"] == 128
        [saved] = bench.saved()
        assert bench.load(saved)["id"] == doc["id"]

        shown = run("benchmark", "show", catalog=cat)
        assert shown.exit_code == 0, shown.output
        assert "alpha:alpha-70b" in shown.stdout and "latency: █ median, ░ to p95" in shown.stdout
        assert "by me, from unstated place" in shown.stderr
        csv = run("benchmark", "show", str(saved), "--csv", catalog=cat)
        assert csv.stdout.splitlines()[0].startswith("offering,attempts,error_rate,ttft_median_s")

        table = run("benchmark", "--models", "alpha/alpha-70b", "--runs", "1", "--no-save",
                    catalog=cat, env=ENV)  # fmt: skip
        assert table.exit_code == 0 and "Latency p50" in table.stdout
        assert len(bench.saved()) == 1


def test_cli_progress_bar_only_on_a_terminal(
    run: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import knollm.cli.bench

    with Trio() as trio:
        cat = local_catalog(trio, tmp_path / "models.json")
        args = ("benchmark", "--models", "alpha/alpha-70b", "--runs", "3", "--no-save")
        plain = run(*args, catalog=cat, env=ENV)
        assert plain.exit_code == 0 and "3/3" not in plain.stderr
        monkeypatch.setattr(knollm.cli.bench, "_stderr_is_terminal", lambda: True)
        shown = run(*args, catalog=cat, env=ENV)
        assert shown.exit_code == 0 and "3/3" in shown.stderr
        assert "3/3" not in shown.stdout  # the bar never mixes into the results


def test_cli_benchmark_errors(run: Any, tmp_path: Path) -> None:
    with Trio() as trio:
        cat = local_catalog(trio, tmp_path / "models.json")
        out = run("benchmark", "--runs", "1", catalog=cat, env=ENV)
        assert out.exit_code == 2 and "--models is required" in out.stderr
        out = run("benchmark", "--models", "nope-9b", catalog=cat, env=ENV)
        assert out.exit_code == 1 and "unknown model 'nope-9b'" in out.stderr
        out = run("benchmark", "--models", "alpha/alpha-70b", catalog=cat, env={})
        assert out.exit_code == 1 and "set ALPHA_API_KEY" in out.stderr
        bad = tmp_path / "p.jsonl"
        bad.write_text("{")
        out = run("benchmark", "--models", "alpha/alpha-70b", "--prompts", str(bad),
                  catalog=cat, env=ENV)  # fmt: skip
        assert out.exit_code == 1 and f"{bad}:1: not JSON" in out.stderr
        assert trio.counts() == {"alpha": 0, "beta": 0, "gamma": 0}
        out = run("benchmark", "show", catalog=cat)
        assert out.exit_code == 1 and "no saved benchmark results" in out.stderr
