"""A/B tests of two models over a prompt file, with an optional blind judge, and their report.

``run_ab`` asks model A and model B every prompt at once (a two-member fan-out) and keeps both
outputs, latencies, tokens and costs. With a judge, each prompt's two answers are shown to the
judge as candidates 1 and 2 in an order drawn from ``random.Random(seed)``: one draw per prompt,
in file order, ``swap = rng.random() < 0.5`` (swap: B is shown first), so the same seed and file
always give the same orders. The judge never sees which model wrote what. A prompt where either
side failed is not judged.

Results are JSON lines: first a header ``{"kind": "ab-run", ...}``, then one ``{"kind":
"ab-result", ...}`` per prompt. ``report`` reads them back: win rate of A over B among the prompts
the judge decided (ties and unjudged prompts counted apart) with a 95 % Wilson score interval,
cost and latency side by side.
"""

from __future__ import annotations

import math
import random
import statistics
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from knollm.prompts import Prompt
from knollm.router.multi import Answer, judge_messages, parse_verdict

if TYPE_CHECKING:
    from knollm.router import Router

FORMAT = "knollm-ab"
Z95 = 1.959963984540054


def _side(answer: Answer) -> dict[str, Any]:
    d = answer.as_dict()
    d.pop("cancelled")
    return d


def judge_order(seed: int, n: int) -> list[bool]:
    """Per prompt, whether B is shown to the judge first (see the module docstring)."""
    rng = random.Random(seed)
    return [rng.random() < 0.5 for _ in range(n)]


def run_ab(
    router: Router,
    a: str,
    b: str,
    prompts: Sequence[Prompt],
    *,
    judge: str | None = None,
    seed: int = 0,
    timeout: float | None = None,
    on_result: Callable[[dict[str, Any]], None] | None = None,
    **params: Any,
) -> Iterable[dict[str, Any]]:
    """Yield the header, then one result per prompt (a generator: write lines as they come)."""
    yield {
        "kind": "ab-run",
        "format": FORMAT,
        "format_version": 1,
        "a": a,
        "b": b,
        "judge": judge,
        "seed": seed,
        "prompts": len(prompts),
        "started_at": datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
    }
    swaps = judge_order(seed, len(prompts))
    for prompt, swap in zip(prompts, swaps, strict=True):
        pair = router.fan_out(prompt.messages, [a, b], timeout=timeout, **params)
        ans_a, ans_b = pair.answers
        record: dict[str, Any] = {
            "kind": "ab-result",
            "prompt_id": prompt.id,
            "messages": prompt.messages,
            "a": _side(ans_a),
            "b": _side(ans_b),
            "judge": None,
        }
        if judge and ans_a.ok and ans_b.ok:
            record["judge"] = _judge(router, judge, prompt, ans_a, ans_b, swap, timeout)
        if on_result is not None:
            on_result(record)
        yield record


def _judge(
    router: Router,
    judge: str,
    prompt: Prompt,
    ans_a: Answer,
    ans_b: Answer,
    swap: bool,
    timeout: float | None,
) -> dict[str, Any]:
    order = ["b", "a"] if swap else ["a", "b"]
    by_side = {"a": ans_a.text or "", "b": ans_b.text or ""}
    request = judge_messages(prompt.messages, [by_side[s] for s in order], allow_tie=True)
    verdict = router.fan_out(request, [judge], timeout=timeout).answers[0]
    entry: dict[str, Any] = {
        "model": judge,
        "order": order,
        "answered_by": verdict.answered_by,
        "seconds": round(verdict.seconds, 4),
        "cost": verdict.cost,
        "choice": None,
        "winner": None,
        "reason": None,
        "error": None,
    }
    if not verdict.ok:
        entry["error"] = _side(verdict)["error"]
        return entry
    choice, reason = parse_verdict(verdict.text, 2, allow_tie=True)
    entry["choice"], entry["reason"] = choice, reason
    if choice is None:
        entry["error"] = reason
    else:
        entry["winner"] = "tie" if choice == 0 else order[choice - 1]
    return entry


def wilson(k: int, n: int, z: float = Z95) -> tuple[float, float] | None:
    """Wilson score interval of a binomial proportion ``k/n`` (None when n is 0)."""
    if n == 0:
        return None
    p = k / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return max(centre - half, 0.0), min(centre + half, 1.0)


def _p95(values: list[float]) -> float | None:
    if not values:
        return None
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(sorted(values), n=20, method="inclusive")[18]


def _side_summary(rows: list[dict[str, Any]], side: str) -> dict[str, Any]:
    answers = [r[side] for r in rows]
    ok = [x for x in answers if x["ok"]]
    seconds = [x["seconds"] for x in ok]
    costs = [x["cost"] for x in ok if x["cost"] is not None]
    return {
        "answered": len(ok),
        "errors": len(answers) - len(ok),
        "cost": sum(costs),
        "unpriced": len(ok) - len(costs),
        "cost_per_answer": sum(costs) / len(costs) if costs else None,
        "latency_median_s": statistics.median(seconds) if seconds else None,
        "latency_p95_s": _p95(seconds),
        "completion_tokens": sum(x["completion_tokens"] or 0 for x in ok),
        "answered_by": sorted({x["answered_by"] for x in ok if x["answered_by"]}),
    }


def report(records: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """Totals of an A/B results file: wins, ties, win rate with its interval, cost, latency."""
    header: dict[str, Any] = {}
    rows: list[dict[str, Any]] = []
    for r in records:
        if r.get("kind") == "ab-run":
            header = r
        elif r.get("kind") == "ab-result":
            rows.append(r)
    verdicts = [r["judge"]["winner"] for r in rows if r.get("judge") and r["judge"]["winner"]]
    wins_a, wins_b = verdicts.count("a"), verdicts.count("b")
    ties = verdicts.count("tie")
    decided = wins_a + wins_b
    interval = wilson(wins_a, decided)
    judge_costs = [r["judge"]["cost"] for r in rows if r.get("judge") and r["judge"]["cost"]]
    return {
        "a": header.get("a") or (rows[0]["a"]["model"] if rows else None),
        "b": header.get("b") or (rows[0]["b"]["model"] if rows else None),
        "judge": header.get("judge"),
        "seed": header.get("seed"),
        "prompts": len(rows),
        "judged": len(verdicts),
        "unjudged": len(rows) - len(verdicts),
        "wins_a": wins_a,
        "wins_b": wins_b,
        "ties": ties,
        "win_rate_a": wins_a / decided if decided else None,
        "interval": "wilson-95",
        "win_rate_a_low": interval[0] if interval else None,
        "win_rate_a_high": interval[1] if interval else None,
        "judge_cost": sum(judge_costs),
        "sides": {"a": _side_summary(rows, "a"), "b": _side_summary(rows, "b")},
    }
