"""Proactive rate limits: requests and tokens per minute, per provider and per key, before sending.

Each limit is a token bucket. A limit of ``L`` per minute holds ``L / 10`` (at least one request)
and refills at ``(L - capacity)`` per minute, so in *any* 60-second window at most ``L`` is sent:
the bucket's capacity plus a minute of refill. A request takes one token from each ``rpm``
bucket and its estimated tokens (prompt estimate plus ``max_tokens``, else the router's
``expected_output_tokens``: the same worst case the budget reserves) from each ``tpm`` bucket.

Fairness: a bucket may go into debt. A caller that takes tokens the bucket does not hold yet is
told how long to wait until they will have accrued, and nobody else can take them meanwhile; the
next caller is queued behind it. So concurrent callers (threads or async tasks, the same
arithmetic under one lock) get distinct, evenly spaced send times in the order they asked, and
nobody wakes up to compete: no thundering herd, no starvation. A caller that gives up before its
time (cancelled) gives its tokens back.

State lives behind :class:`Buckets`: :class:`LocalBuckets` in this process (the default), or
:class:`knollm.router.shared.RedisBuckets` shared by every router process using one Redis.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

#: A tenth of a minute's allowance may go at once (see the module docstring).
BURST_SHARE = 0.1


@dataclass(frozen=True, slots=True)
class Spec:
    """One bucket as one request sees it: its name, refill per second, capacity and this cost."""

    name: str
    rate: float
    capacity: float
    cost: float


def bucket(name: str, per_minute: int, cost: float) -> Spec:
    """The bucket that enforces ``per_minute`` over any 60-second window."""
    capacity = max(per_minute * BURST_SHARE, min(1.0, per_minute / 2))
    return Spec(name, (per_minute - capacity) / 60.0, capacity, cost)


class Buckets(Protocol):
    """Where bucket state lives. ``now`` is the router's monotonic clock (a shared store may use
    its own clock instead); waits are in seconds from now."""

    def take(self, specs: Sequence[Spec], max_wait: float, now: float) -> float | None:
        """Take every spec's cost at once: seconds until they are the caller's (0: go now), or
        None (nothing taken) when that would be more than ``max_wait``."""

    def give(self, specs: Sequence[Spec], now: float) -> None:
        """Give back what a :meth:`take` took (its caller gave up before sending)."""

    def wait(self, specs: Sequence[Spec], now: float) -> float:
        """Seconds a :meth:`take` of ``specs`` would wait now (nothing taken)."""


def _wait(tokens: float, spec: Spec) -> float:
    if tokens >= spec.cost:
        return 0.0
    return (spec.cost - tokens) / spec.rate if spec.rate > 0 else math.inf


class LocalBuckets:
    """Bucket state in this process: ``name -> [tokens, last update]``, under one lock."""

    def __init__(self) -> None:
        self.state: dict[str, list[float]] = {}
        self._lock = threading.Lock()

    def _level(self, spec: Spec, now: float) -> list[float]:
        """The bucket refilled up to ``now`` (created full)."""
        st = self.state.get(spec.name)
        if st is None:
            st = self.state[spec.name] = [spec.capacity, now]
        elif now > st[1]:
            st[0] = min(spec.capacity, st[0] + (now - st[1]) * spec.rate)
            st[1] = now
        return st

    def take(self, specs: Sequence[Spec], max_wait: float, now: float) -> float | None:
        with self._lock:
            levels = [self._level(s, now) for s in specs]
            wait = max((_wait(st[0], s) for st, s in zip(levels, specs, strict=True)), default=0.0)
            if wait > max_wait:
                return None
            for st, s in zip(levels, specs, strict=True):
                st[0] -= s.cost
            return wait

    def give(self, specs: Sequence[Spec], now: float) -> None:
        with self._lock:
            for s in specs:
                st = self._level(s, now)
                st[0] = min(s.capacity, st[0] + s.cost)

    def wait(self, specs: Sequence[Spec], now: float) -> float:
        with self._lock:
            return max((_wait(self._level(s, now)[0], s) for s in specs), default=0.0)


@dataclass(frozen=True, slots=True)
class Limits:
    """One provider's limits: for all its keys together, and for each key on its own."""

    rpm: int | None = None
    tpm: int | None = None
    key_rpm: int | None = None
    key_tpm: int | None = None

    def __bool__(self) -> bool:
        return any(v is not None for v in (self.rpm, self.tpm, self.key_rpm, self.key_tpm))


class Limiter:
    """The rate limits of every provider, over one :class:`Buckets` store.

    Bucket names are ``provider:rpm``, ``provider:tpm``, ``provider:key#xxxxxxxx:rpm`` and
    ``provider:key#xxxxxxxx:tpm`` (key fingerprints, never keys).
    """

    def __init__(self, limits: Mapping[str, Limits], buckets: Buckets | None = None) -> None:
        self.limits = {pid: lim for pid, lim in limits.items() if lim}
        self.buckets: Buckets = buckets if buckets is not None else LocalBuckets()

    def specs(self, provider: str, key: str, tokens: int) -> list[Spec]:
        """The buckets one request with ``key`` (a fingerprint) and ``tokens`` draws on."""
        lim = self.limits.get(provider)
        if lim is None:
            return []
        out = []
        for name, per_minute, cost in (
            (f"{provider}:rpm", lim.rpm, 1.0),
            (f"{provider}:tpm", lim.tpm, float(tokens)),
            (f"{provider}:{key}:rpm", lim.key_rpm, 1.0),
            (f"{provider}:{key}:tpm", lim.key_tpm, float(tokens)),
        ):
            if per_minute is not None:
                out.append(bucket(name, per_minute, cost))
        return out

    def take(self, specs: Sequence[Spec], max_wait: float, now: float) -> float | None:
        return self.buckets.take(specs, max_wait, now) if specs else 0.0

    def give(self, specs: Sequence[Spec], now: float) -> None:
        if specs:
            self.buckets.give(specs, now)

    def wait(self, specs: Sequence[Spec], now: float) -> float:
        return self.buckets.wait(specs, now) if specs else 0.0
