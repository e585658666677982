"""Orderings of candidate offerings: cheapest, fastest, balanced, round-robin, fallback, adaptive.

Each takes the candidates (already filtered to those that can take the request) and returns them
best first. Ties keep the incoming order (catalog order, or the caller's chain), so orders are
deterministic for equal scores.
"""

from __future__ import annotations

import itertools
import math
import random
import threading
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from knollm.records import Offering
from knollm.router.health import Health

if TYPE_CHECKING:
    from knollm.router.accounting import RouteInfo

STRATEGIES = ("cheapest", "fastest", "balanced", "round-robin", "fallback", "adaptive")
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


# -- adaptive: Thompson sampling over success, latency and cost -------------------------------

#: Attempt outcomes that judge an offering (as :mod:`knollm.usage.reliability` counts them).
FAILURES = frozenset(
    {"server-error", "timeout", "connection", "offering-failed", "stream-interrupted"}
)


@dataclass(slots=True)
class Arm:
    """What the adaptive strategy knows of one offering: time-decayed counts and means."""

    ok: float = 0.0
    failed: float = 0.0
    lat_weight: float = 0.0
    lat_log_mean: float = 0.0  # mean of ln(seconds) of its successes
    cost_weight: float = 0.0
    cost_ratio: float = 1.0  # mean of recorded cost / expected cost of its answered requests
    updated: float = 0.0

    def decay(self, now: float, half_life: float) -> None:
        if now > self.updated:
            f = math.pow(0.5, (now - self.updated) / half_life)
            self.ok *= f
            self.failed *= f
            self.lat_weight *= f
            self.cost_weight *= f
        self.updated = max(now, self.updated)


class Adaptive:
    """The ``adaptive`` strategy: learns each offering's success rate, latency and cost from
    the outcomes of the router's own requests, and orders candidates by Thompson sampling.

    Estimates (every observation's weight halves each ``half_life`` seconds of the router's
    clock, so an offering that degraded, or recovered, soon outweighs its past):

    * success: Beta(4.5 + successes, 0.5 + failures), a prior of five observations at 90%
      (most hosts answer most requests); a failure is a 5xx, timeout, connection error,
      vanished offering or cut stream, a success an answer (rate limits and rejected keys judge
      nothing);
    * latency: the mean of ln(seconds) of its answers (for a stream: to the first chunk), with
      a prior worth ``PRIOR_WEIGHT`` observations at the mean of the candidates' known latencies;
      its uncertainty is ``NOISE / sqrt(weight + PRIOR_WEIGHT)`` in ln-seconds;
    * cost: the request's expected cost at the catalog's prices times the offering's mean ratio
      of recorded cost to expected cost, with a prior worth ``PRIOR_WEIGHT`` observations at
      the candidates' mean ratio (an estimate uses ``max_tokens``, so real requests cost less).

    Each request, every candidate's loss is ``w_cost * cost + w_latency * latency + w_reliability
    * (1 - success)``, where cost and latency score 0 for the best candidate and 1 for one
    ``SCALE`` (10) times worse or more (on a log scale) and the weights are the router's
    ``weights``. The *greedy* order uses the estimates' means; the *sampled* order draws each
    value from its posterior. The sampled order is used when its first candidate is the greedy
    one, or when it is not (an *exploration*) and fewer than ``explore`` x 100 of the previous 99
    decisions explored: so at most ``explore`` (default 10%) of any 100 consecutive requests go
    first to a candidate the estimates do not rank best; otherwise the greedy order is used.
    Offerings whose breaker is open stay last. ``rng`` (a seeded ``random.Random``) makes the
    draws reproducible.
    """

    PRIOR_WEIGHT = 1.0
    SUCCESS_PRIOR = (4.5, 0.5)
    NOISE = 1.0
    SCALE = 10.0
    WINDOW = 99
    SEED_CAP = 20.0  # recorded outcomes count as at most this many observations

    def __init__(
        self,
        health: Health,
        weights: Mapping[str, float] | None = None,
        *,
        explore: float = 0.1,
        half_life: float = 300.0,
        rng: random.Random | None = None,
    ) -> None:
        self.health = health
        self.weights = dict(weights or DEFAULT_WEIGHTS)
        self.explore, self.half_life = explore, half_life
        self.rng = rng or random.Random()
        self.arms: dict[str, Arm] = {}
        self.recent: deque[bool] = deque(maxlen=self.WINDOW)
        self.explorations = 0
        self.decisions = 0
        self._lock = threading.Lock()

    def _arm(self, key: str, now: float) -> Arm:
        arm = self.arms.get(key)
        if arm is None:
            arm = self.arms[key] = Arm(updated=now)
        arm.decay(now, self.half_life)
        return arm

    # -- ordering ------------------------------------------------------------------------------

    def _losses(self, arms: list[Arm], costs: list[float | None], sample: bool) -> list[float]:
        known = [a.lat_log_mean for a in arms if a.lat_weight > 1e-9]
        prior = sum(known) / len(known) if known else 0.0  # ln(1 s) when nothing is known
        rng, w0 = self.rng, self.PRIOR_WEIGHT
        s0, f0 = self.SUCCESS_PRIOR
        lat, fail = [], []
        for a in arms:
            mean = (a.lat_log_mean * a.lat_weight + prior * w0) / (a.lat_weight + w0)
            if sample:
                mean = rng.gauss(mean, self.NOISE / math.sqrt(a.lat_weight + w0))
                fail.append(1.0 - rng.betavariate(s0 + a.ok, f0 + a.failed))
            else:
                fail.append(1.0 - (s0 + a.ok) / (s0 + f0 + a.ok + a.failed))
            lat.append(mean)
        scale = math.log(self.SCALE)
        best_lat = min(lat)
        priced = [c for c in costs if c is not None and c > 0]
        best_cost = min(priced) if priced else None
        wc = self.weights.get("cost", 0.0)
        wl = self.weights.get("latency", 0.0)
        wr = self.weights.get("reliability", 0.0)
        out = []
        for i in range(len(arms)):
            c = costs[i]
            if c is None:
                cost01 = 0.5
            elif best_cost is None or c <= 0:
                cost01 = 0.0
            else:
                cost01 = min(math.log(c / best_cost) / scale, 1.0)
            lat01 = min((lat[i] - best_lat) / scale, 1.0)
            out.append(wc * cost01 + wl * lat01 + wr * fail[i])
        return out

    def order(self, cands: Sequence[Offering], w: Workload, now: float) -> list[Offering]:
        """Candidates best first (see the class doc); open breakers last."""
        is_open = self.health.is_open
        live = [o for o in cands if not is_open(o.key, now)]
        shut = [o for o in cands if is_open(o.key, now)]
        if len(live) <= 1:
            return live + shut
        with self._lock:
            arms = [self._arm(o.key, now) for o in live]
            seen = [a for a in arms if a.cost_weight > 1e-9]
            total = sum(a.cost_weight for a in seen)
            r0 = sum(a.cost_ratio * a.cost_weight for a in seen) / total if total else 1.0
            w0 = self.PRIOR_WEIGHT
            costs = []
            for o, a in zip(live, arms, strict=True):
                c = expected_cost(o, w)
                ratio = (a.cost_ratio * a.cost_weight + r0 * w0) / (a.cost_weight + w0)
                costs.append(None if c is None else c * ratio)
            greedy = self._losses(arms, costs, sample=False)
            drawn = self._losses(arms, costs, sample=True)
            first = min(range(len(live)), key=lambda i: (greedy[i], i))
            pick = min(range(len(live)), key=lambda i: (drawn[i], i))
            explored = pick != first
            if explored and sum(self.recent) + 1 > self.explore * (self.WINDOW + 1):
                explored, drawn = False, greedy
            self.recent.append(explored)
            self.decisions += 1
            self.explorations += explored
        ranked = sorted(range(len(live)), key=lambda i: (drawn[i], i))
        return [live[i] for i in ranked] + shut

    # -- learning ------------------------------------------------------------------------------

    def observe(self, run: Any, info: RouteInfo | None) -> None:
        """Learn from a finished request's attempts (and its cost, when it was answered)."""
        now = run.core.clock()
        with self._lock:
            for a in run.attempts:
                if a.outcome == "ok":
                    arm = self._arm(a.offering, now)
                    arm.ok += 1.0
                    x = math.log(max(a.seconds, 1e-4))
                    arm.lat_log_mean += (x - arm.lat_log_mean) / (arm.lat_weight + 1.0)
                    arm.lat_weight += 1.0
                elif a.outcome in FAILURES:
                    self._arm(a.offering, now).failed += 1.0
            if info is not None and info.cost is not None and info.cost_source == "usage":
                expected = expected_cost(info.offering, run.workload)
                if expected:
                    arm = self._arm(info.offering.key, now)
                    arm.cost_weight += 1.0
                    arm.cost_ratio += (info.cost / expected - arm.cost_ratio) / arm.cost_weight

    def seed(self, scores: Mapping[str, Any], now: float) -> int:
        """Start from recorded outcomes (:func:`knollm.usage.reliability.reliability`): each
        offering's successes and failures, scaled to at most ``SEED_CAP`` observations, and
        the mean latency of its successes; offerings already observed keep their own."""
        seeded = 0
        with self._lock:
            for key, r in scores.items():
                if key in self.arms:
                    continue
                n = r.ok + r.failed
                f = min(1.0, self.SEED_CAP / n) if n else 0.0
                arm = self.arms[key] = Arm(ok=r.ok * f, failed=r.failed * f, updated=now)
                if r.latency_s:
                    arm.lat_log_mean = math.log(max(r.latency_s, 1e-4))
                    arm.lat_weight = min(float(r.ok), 5.0)
                seeded += 1
        return seeded
