"""Per-offering health: a circuit breaker and time-decayed latency, as the router observes them.

Breaker: *closed* lets everything through; ``threshold`` consecutive failures (5xx, timeouts,
connection errors) *open* it; after ``cooldown`` seconds one request is let through as a
*half-open* probe; its success closes the breaker, its failure opens it again for another cooldown.

Latency: a weighted mean where each observation's weight halves every ``half_life`` seconds, so
a provider that got slow (or recovered) a few minutes ago dominates what it did an hour ago.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass

CLOSED, OPEN, HALF_OPEN = "closed", "open", "half-open"


class Breaker:
    """Circuit breaker for one offering; ``now`` is a monotonic time in seconds."""

    __slots__ = ("cooldown", "failures", "opened_at", "probing", "state", "threshold")

    def __init__(self, threshold: int = 3, cooldown: float = 30.0) -> None:
        self.threshold, self.cooldown = threshold, cooldown
        self.state = CLOSED
        self.failures = 0
        self.opened_at = 0.0
        self.probing = False

    def __repr__(self) -> str:
        return f"Breaker({self.state}, failures={self.failures})"

    def allow(self, now: float) -> bool:
        """May a request go out now? In half-open state only one probe at a time."""
        if self.state == CLOSED:
            return True
        if self.state == OPEN and now - self.opened_at >= self.cooldown:
            self.state = HALF_OPEN
            self.probing = False
        if self.state == HALF_OPEN and not self.probing:
            self.probing = True
            return True
        return False

    def success(self) -> None:
        self.state, self.failures, self.probing = CLOSED, 0, False

    def failure(self, now: float) -> None:
        self.failures += 1
        self.probing = False
        if self.state == HALF_OPEN or self.failures >= self.threshold:
            self.state, self.opened_at = OPEN, now

    def release(self) -> None:
        """A probe ended without a verdict (e.g. a key problem): let another probe go."""
        self.probing = False


@dataclass(slots=True)
class Latency:
    """Time-decayed mean latency (seconds) of one offering."""

    half_life: float
    mean: float = 0.0
    weight: float = 0.0
    updated: float = 0.0

    def observe(self, seconds: float, now: float) -> None:
        decay = math.pow(0.5, max(now - self.updated, 0.0) / self.half_life) if self.weight else 0.0
        kept = self.weight * decay
        self.mean = (self.mean * kept + seconds) / (kept + 1.0)
        self.weight = kept + 1.0
        self.updated = now


class Health:
    """Breakers, latencies and recent failure rates of every offering the router has called."""

    def __init__(self, threshold: int = 3, cooldown: float = 30.0, half_life: float = 60.0) -> None:
        self.threshold, self.cooldown, self.half_life = threshold, cooldown, half_life
        self.breakers: dict[str, Breaker] = {}
        self.latency: dict[str, Latency] = {}
        self.failure_rate: dict[str, float] = {}
        self.lock = threading.Lock()

    def breaker(self, key: str) -> Breaker:
        found = self.breakers.get(key)
        if found is None:
            found = self.breakers[key] = Breaker(self.threshold, self.cooldown)
        return found

    def allow(self, key: str, now: float) -> bool:
        with self.lock:
            return self.breaker(key).allow(now)

    def admit(self, key: str, now: float) -> str | None:
        """Like :meth:`allow`, saying how: ``"pass"`` (breaker closed), ``"probe"`` (the one
        half-open probe, which the caller must end with a success, a failure or
        :meth:`released`), or None (refused)."""
        with self.lock:
            b = self.breaker(key)
            if not b.allow(now):
                return None
            return "probe" if b.state == HALF_OPEN else "pass"

    def is_open(self, key: str, now: float) -> bool:
        """True while the breaker refuses traffic (open and still cooling down)."""
        b = self.breakers.get(key)
        return b is not None and b.state == OPEN and now - b.opened_at < b.cooldown

    def succeeded(self, key: str, seconds: float, now: float) -> None:
        with self.lock:
            self.breaker(key).success()
            lat = self.latency.get(key)
            if lat is None:
                lat = self.latency[key] = Latency(self.half_life)
            lat.observe(seconds, now)
            self.failure_rate[key] = self.failure_rate.get(key, 0.0) * 0.8

    def failed(self, key: str, now: float) -> None:
        with self.lock:
            self.breaker(key).failure(now)
            self.failure_rate[key] = self.failure_rate.get(key, 0.0) * 0.8 + 0.2

    def released(self, key: str) -> None:
        with self.lock:
            b = self.breakers.get(key)
            if b is not None:
                b.release()

    def state(self, key: str) -> str:
        b = self.breakers.get(key)
        return b.state if b else CLOSED
