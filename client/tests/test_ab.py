"""``knollm ab``: both models on every prompt, a blind judge in seeded order, report totals."""

from __future__ import annotations

import json
import random
import re
from pathlib import Path
from typing import Any

import pytest
from fake_openai import Trio
from test_bench import ENV, local_catalog

from knollm.ab import judge_order, report, wilson

PROMPTS = [f"question {i}" for i in range(8)]
SEED = 7
# Prices (USD per 1M tokens) and the fakes' usage (10 prompt, 5 completion tokens) per answer.
COST_A = (10 * 0.5 + 5 * 1.5) / 1e6  # alpha
COST_B = (10 * 1.0 + 5 * 2.0) / 1e6  # beta
COST_JUDGE = (10 * 2.0 + 5 * 4.0) / 1e6  # gamma


def first_candidate(body: dict[str, Any]) -> str:
    """A position-biased judge: always candidate 1, so the winner reveals the order shown."""
    return '{"choice": 1, "reason": "the first one"}'


def _prompts(tmp_path: Path) -> Path:
    f = tmp_path / "prompts.jsonl"
    f.write_text(
        "".join(json.dumps({"id": f"q{i}", "prompt": p}) + "\n" for i, p in enumerate(PROMPTS))
    )
    return f


def _shown_first(body: dict[str, Any]) -> str:
    text = body["messages"][1]["content"]
    return re.search(r"<candidate 1>\n(.*?)\n</candidate 1>", text, re.DOTALL).group(1)


def test_ab_run_judges_blind_in_seeded_order_and_report_totals(run: Any, tmp_path: Path) -> None:
    with Trio(alpha={"reply": "answer A"}, beta={"reply": "answer B"},
              gamma={"reply": first_candidate}) as trio:  # fmt: skip
        cat = local_catalog(trio, tmp_path / "models.json")
        out = tmp_path / "results.jsonl"
        result = run("ab", "run", "--a", "alpha/alpha-70b", "--b", "beta/beta-70b",
                     "--prompts", str(_prompts(tmp_path)), "--judge", "gamma/gamma-70b",
                     "--seed", str(SEED), "--out", str(out), catalog=cat, env=ENV)  # fmt: skip
        assert result.exit_code == 0, result.output
        rng = random.Random(SEED)
        swaps = [rng.random() < 0.5 for _ in PROMPTS]
        assert judge_order(SEED, len(PROMPTS)) == swaps
        assert 0 < sum(swaps) < len(PROMPTS)  # the seed gives both orders
        judged = [s.body for s in trio["gamma"].seen]
        assert [_shown_first(b) for b in judged] == [
            "answer B" if swap else "answer A" for swap in swaps
        ]
        # Blind: the judge's request never names a model or provider.
        assert not any(
            w in json.dumps([b["messages"] for b in judged]) for w in ("alpha", "beta", "70b")
        )
        # Both sides saw every prompt.
        assert [s.body["messages"][0]["content"] for s in trio["alpha"].seen] == PROMPTS
        assert len(trio["beta"].seen) == len(PROMPTS)

        lines = [json.loads(line) for line in out.read_text().splitlines()]
        assert lines[0]["kind"] == "ab-run" and lines[0]["seed"] == SEED
        assert [r["judge"]["order"] for r in lines[1:]] == [
            ["b", "a"] if s else ["a", "b"] for s in swaps
        ]
        wins_b = sum(swaps)
        wins_a = len(PROMPTS) - wins_b
        summary = report(lines)
        assert (summary["wins_a"], summary["wins_b"], summary["ties"]) == (wins_a, wins_b, 0)
        assert summary["win_rate_a"] == wins_a / len(PROMPTS)
        assert summary["sides"]["a"]["cost"] == pytest.approx(len(PROMPTS) * COST_A)
        assert summary["sides"]["b"]["cost"] == pytest.approx(len(PROMPTS) * COST_B)
        assert summary["judge_cost"] == pytest.approx(len(PROMPTS) * COST_JUDGE)
        assert summary["sides"]["a"]["completion_tokens"] == 5 * len(PROMPTS)
        low, high = wilson(wins_a, len(PROMPTS))
        assert (summary["win_rate_a_low"], summary["win_rate_a_high"]) == (low, high)

        shown = run("ab", "report", str(out), catalog=None)
        assert shown.exit_code == 0, shown.output
        assert (
            f"A wins {wins_a / len(PROMPTS):.1%} of {len(PROMPTS)} decided prompts" in shown.stdout
        )
        assert f"{low:.1%}–{high:.1%}" in shown.stdout
        as_json = json.loads(run("ab", "report", str(out), "--json", catalog=None).stdout)
        assert as_json["wins_a"] == wins_a


def test_wilson_interval_against_hand_computed_values() -> None:
    # 8 of 10: p=0.8, z=1.96 -> (0.4902, 0.9433) (Wilson 1927; common tables).
    low, high = wilson(8, 10)
    assert low == pytest.approx(0.4902, abs=1e-4) and high == pytest.approx(0.9433, abs=1e-4)
    assert wilson(0, 0) is None
    assert wilson(0, 5)[0] == 0.0 and wilson(5, 5)[1] == 1.0


def test_ab_without_judge_to_stdout_and_failures(run: Any, tmp_path: Path) -> None:
    with Trio(beta={"script": ["500"]}) as trio:
        cat = local_catalog(trio, tmp_path / "models.json")
        result = run("ab", "run", "--a", "alpha/alpha-70b", "--b", "beta/beta-70b",
                     "--prompts", str(_prompts(tmp_path)), catalog=cat, env=ENV)  # fmt: skip
        assert result.exit_code == 0, result.output
        lines = [json.loads(line) for line in result.stdout.splitlines()]
        assert len(lines) == 1 + len(PROMPTS)
        assert lines[1]["b"]["ok"] is False and "500" in lines[1]["b"]["error"]
        assert all(r["judge"] is None for r in lines[1:])
        summary = report(lines)
        assert summary["sides"]["b"]["errors"] == 1 and summary["sides"]["b"]["answered"] == 7
        assert summary["win_rate_a"] is None and summary["unjudged"] == len(PROMPTS)


def test_ab_errors(run: Any, tmp_path: Path) -> None:
    bad = tmp_path / "r.jsonl"
    bad.write_text('{"kind": "ab-run"}\n{"x": 1}\n')
    out = run("ab", "report", str(bad), catalog=None)
    assert out.exit_code == 1 and f"{bad}:2: not an A/B record" in out.stderr
    out = run("ab", "report", str(tmp_path / "missing.jsonl"), catalog=None)
    assert out.exit_code == 1 and "missing.jsonl: cannot read" in out.stderr
    with Trio() as trio:
        cat = local_catalog(trio, tmp_path / "models.json")
        out = run("ab", "run", "--a", "alpha/alpha-70b", "--b", "nope", "--prompts",
                  str(_prompts(tmp_path)), catalog=cat, env=ENV)  # fmt: skip
        assert out.exit_code == 1 and "unknown model 'nope'" in out.stderr
        assert trio.counts() == {"alpha": 0, "beta": 0, "gamma": 0}
