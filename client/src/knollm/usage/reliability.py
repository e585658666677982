"""A reliability score per offering from recorded attempts, fed to a starting router's health.

Only attempts that judge the offering count: ``ok`` is a success; ``server-error``, ``timeout``,
``connection``, ``offering-failed`` and ``stream-interrupted`` are failures. Rate limits, rejected
keys, a request's own errors (400...) and the caller giving up say nothing about the offering.

``score = (ok + 1) / (ok + failed + 2)``: the share of successes with one success and one
failure added (Laplace's rule), so an offering seen twice is not called perfect. A router
starting with a usage file reads the attempts of the last ``DAYS`` days (at most the newest
``LIMIT``) and seeds, for each offering it has not observed yet: the failure rate that the
``balanced`` strategy weighs (``failed / (ok + failed)``), the latency that ``fastest`` ranks
by (mean seconds of its successes, weight one observation, so live traffic soon outweighs it)
and the ``adaptive`` strategy's estimates.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from knollm.usage.store import UsageStore

if TYPE_CHECKING:
    from knollm.router.health import Health

DAYS = 7
LIMIT = 20_000
SUCCESS = frozenset({"ok"})
FAILURE = frozenset(
    {"server-error", "timeout", "connection", "offering-failed", "stream-interrupted"}
)


@dataclass(frozen=True, slots=True)
class Reliability:
    """Recorded verdicts on one offering (``key`` is ``provider:api-id``)."""

    key: str
    ok: int
    failed: int
    latency_s: float | None  # mean of the successes

    @property
    def score(self) -> float:
        return (self.ok + 1) / (self.ok + self.failed + 2)

    @property
    def failure_rate(self) -> float:
        n = self.ok + self.failed
        return self.failed / n if n else 0.0


def reliability(store: UsageStore, since: float, limit: int = LIMIT) -> dict[str, Reliability]:
    """Verdicts per offering from the newest ``limit`` attempts made at or after ``since``."""
    outcomes = ", ".join(f"'{o}'" for o in sorted(SUCCESS | FAILURE))
    rows = store.query(
        "SELECT provider, offering, SUM(outcome = 'ok'), SUM(outcome != 'ok'), "
        "AVG(CASE WHEN outcome = 'ok' THEN seconds END) FROM ("
        f"  SELECT * FROM attempts WHERE ts >= ? AND outcome IN ({outcomes})"
        "  ORDER BY ts DESC LIMIT ?"
        ") GROUP BY provider, offering",
        (since, limit),
    )
    out = {}
    for provider, offering, ok, failed, latency in rows:
        key = f"{provider}:{offering}"
        out[key] = Reliability(key, int(ok), int(failed), latency)
    return out


def seed_health(health: Health, scores: dict[str, Reliability], now: float) -> int:
    """Give offerings the router has not observed yet their recorded failure rate and latency;
    returns how many were seeded."""
    from knollm.router.health import Latency

    seeded = 0
    with health.lock:
        for key, r in scores.items():
            if key not in health.failure_rate:
                health.failure_rate[key] = r.failure_rate
                seeded += 1
            if r.latency_s is not None and key not in health.latency:
                health.latency[key] = Latency(health.half_life, float(r.latency_s), 1.0, now)
    return seeded
