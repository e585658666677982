"""Orderings of candidate offerings: cheapest, fastest, balanced, round-robin, fallback.

Each takes the candidates (already filtered to those that can take the request) and returns them
best first. Ties keep the incoming order (catalog order, or the caller's chain), so orders are
deterministic for equal scores.
"""

from __future__ import annotations

import itertools
import math
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from knollm.records import Offering
from knollm.router.health import Health

STRATEGIES = ("cheapest", "fastest", "balanced", "round-robin", "fallback")
DEFAULT_WEIGHTS = {"cost": 1.0, "latency": 1.0, "reliability": 1.0}


@dataclass(frozen=True, slots=True)
class Workload:
    """The request's expected size, for ranking by cost."""

    input_tokens: int
    output_tokens: int


def expected_cost(o: Offering, w: Workload) -> float | None:
    """Cost of the workload at base token prices (tiers and cache aside; used only to rank)."""
    p = o.pricing
    if p.input is None or p.output is None:
        return None
    return (p.input * w.input_tokens + p.output * w.output_tokens) / 1e6 + (p.per_request or 0.0)


def cheapest(
    cands: Sequence[Offering], w: Workload, provider_weights: Mapping[str, float] | None = None
) -> list[Offering]:
    """Lowest expected cost first (divided by the provider's configured weight, so a weight of
    2 ranks a host as if it cost half); offerings without known prices last."""
    keyed = []
    for i, o in enumerate(cands):
        c = expected_cost(o, w)
        if c is not None and provider_weights:
            c /= provider_weights.get(o.provider, 1.0)
        keyed.append((c is None, c or 0.0, i))
    keyed.sort()
    return [cands[i] for _, _, i in keyed]


def fastest(cands: Sequence[Offering], w: Workload, health: Health) -> list[Offering]:
    """Lowest observed (decayed) latency first. Offerings never measured go first, cheapest
    first among them, so each gets measured once instead of never being chosen."""
    lat = health.latency
    unknown = [o for o in cands if o.key not in lat]
    known = sorted((o for o in cands if o.key in lat), key=lambda o: lat[o.key].mean)
    return cheapest(unknown, w) + known


def _spread(values: list[float | None]) -> list[float]:
    """Scale values to 0 (best) .. 1 (worst) on a log scale; unknown values score 0.5."""
    known = [v for v in values if v is not None and v > 0]
    if not known:
        return [0.5 if v is None else 0.0 for v in values]
    lo, hi = math.log(min(known)), math.log(max(known))
    width = hi - lo
    out = []
    for v in values:
        if v is None:
            out.append(0.5)
        elif v <= 0 or width == 0:
            out.append(0.0)
        else:
            out.append((math.log(v) - lo) / width)
    return out


def balanced(
    cands: Sequence[Offering], w: Workload, health: Health, weights: Mapping[str, float]
) -> list[Offering]:
    """Weighted sum of cost, latency and recent failure rate, each scaled 0 (best) .. 1 (worst)
    across the candidates; lowest total first. Unknown cost or latency scores the middle."""
    cost = _spread([expected_cost(o, w) for o in cands])
    lat_table = health.latency
    latency = _spread([lat_table[o.key].mean if o.key in lat_table else None for o in cands])
    fails = health.failure_rate
    wc = weights.get("cost", 0.0)
    wl = weights.get("latency", 0.0)
    wr = weights.get("reliability", 0.0)
    scored = sorted(
        (wc * cost[i] + wl * latency[i] + wr * fails.get(o.key, 0.0), i)
        for i, o in enumerate(cands)
    )
    return [cands[i] for _, i in scored]


class RoundRobin:
    """Rotates the starting candidate per requested model, so load spreads evenly."""

    def __init__(self) -> None:
        self._counters: dict[str, itertools.count[int]] = {}
        self._lock = threading.Lock()

    def order(self, spec: str, cands: Sequence[Offering]) -> list[Offering]:
        if not cands:
            return []
        with self._lock:
            counter = self._counters.get(spec)
            if counter is None:
                counter = self._counters[spec] = itertools.count()
            start = next(counter) % len(cands)
        return [*cands[start:], *cands[:start]]
