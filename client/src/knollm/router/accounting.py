"""What each routed request cost, running totals, the budget, and the optional JSONL log.

Costs come from the response's usage block and the catalog's prices via
:func:`knollm.costs.usage_cost`: ``prompt_tokens`` includes the cached ones reported in
``usage.prompt_tokens_details.cached_tokens``, which are charged at the offering's ``cache_read``
price. The budget is enforced before a request is sent: the router reserves the request's worst
expected cost (prompt estimate plus ``max_tokens``, or the router's expected output when that is
not set) and refuses when spent + reserved + that would pass the budget.
"""

from __future__ import annotations

import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import orjson

from knollm.costs import usage_cost
from knollm.records import Offering


@dataclass(slots=True)
class Attempt:
    """One try at one offering with one key: what happened and how long it took."""

    offering: str
    outcome: str
    status: int | None = None
    key: str | None = None
    seconds: float = 0.0
    detail: str = ""


@dataclass(slots=True)
class Usage:
    """Token counts of one answered request (prompt includes cached)."""

    prompt_tokens: int = 0
    completion_tokens: int = 0
    cached_tokens: int = 0


@dataclass(slots=True)
class RouteInfo:
    """Attached to every routed response as ``.knollm``: who answered, after which attempts, at what cost.

    ``cost`` is in USD; ``None`` when a needed price is unknown (``cost_missing`` names it).
    ``cost_source`` is ``usage`` (from the response) or ``estimate`` (a stream that ended
    without a usage block is charged its pre-request estimate).
    """

    offering: Offering
    attempts: list[Attempt]
    usage: Usage | None = None
    cost: float | None = None
    cost_parts: dict[str, float] = field(default_factory=dict)
    cost_missing: tuple[str, ...] = ()
    cost_source: str = "usage"
    seconds: float = 0.0

    @property
    def provider(self) -> str:
        return self.offering.provider

    @property
    def model(self) -> str:
        """The canonical model id of the offering that answered."""
        return self.offering.model

    @property
    def answered_by(self) -> str:
        """``provider/provider_model_id`` of the offering that answered."""
        return f"{self.offering.provider}/{self.offering.provider_model_id}"

    def as_dict(self) -> dict[str, Any]:
        return {
            "answered_by": self.answered_by,
            "model": self.model,
            "attempts": [asdict(a) for a in self.attempts],
            "usage": asdict(self.usage) if self.usage else None,
            "cost": self.cost,
            "cost_missing": list(self.cost_missing),
            "cost_source": self.cost_source,
            "seconds": round(self.seconds, 4),
        }


def usage_of(usage: Any) -> Usage | None:
    """Token counts from an SDK ``CompletionUsage`` (or None when the response had none)."""
    if usage is None:
        return None
    details = getattr(usage, "prompt_tokens_details", None)
    cached = getattr(details, "cached_tokens", None) if details is not None else None
    return Usage(
        int(getattr(usage, "prompt_tokens", 0) or 0),
        int(getattr(usage, "completion_tokens", 0) or 0),
        int(cached or 0),
    )


def price(info: RouteInfo) -> None:
    """Fill ``info``'s cost from its usage and its offering's prices."""
    if info.usage is None:
        return
    est = usage_cost(
        info.offering,
        info.usage.prompt_tokens,
        info.usage.completion_tokens,
        info.usage.cached_tokens,
    )
    info.cost_parts = dict(est.parts)
    info.cost_missing = est.missing
    info.cost = est.total if est.complete else None


@dataclass(slots=True)
class Totals:
    """Running totals for one provider or model."""

    requests: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cached_tokens: int = 0
    cost: float = 0.0
    unpriced: int = 0


class Ledger:
    """Running totals per provider and per model, and the budget with in-flight reservations."""

    def __init__(self, budget: float | None = None) -> None:
        if budget is not None and budget < 0:
            raise ValueError(f"budget must be >= 0 (got {budget})")
        self.budget = budget
        self.spent = 0.0
        self.reserved = 0.0
        self.by_provider: dict[str, Totals] = {}
        self.by_model: dict[str, Totals] = {}
        self._lock = threading.Lock()
        # Spend and reservations kept elsewhere, shared with other processes
        # (knollm.router.shared.SharedBudget); ``spent`` and ``reserved`` then mirror its totals.
        self.shared: Any = None

    def reserve(self, amount: float) -> bool:
        """Hold ``amount`` USD for a request about to be sent; False if that passes the budget."""
        if self.shared is not None:
            return bool(self.shared.reserve(self, amount))
        with self._lock:
            if (
                self.budget is not None
                and self.spent + self.reserved + amount > self.budget + 1e-12
            ):
                return False
            self.reserved += amount
            return True

    def release(self, amount: float) -> None:
        if self.shared is not None:
            self.shared.release(self, amount)
            return
        with self._lock:
            self.reserved = max(self.reserved - amount, 0.0)

    def record(self, info: RouteInfo, reserved: float) -> None:
        """Book an answered request and free its reservation."""
        cost = info.cost or 0.0
        if self.shared is not None:
            self.shared.record(self, reserved, cost)
        with self._lock:
            if self.shared is None:
                self.reserved = max(self.reserved - reserved, 0.0)
                self.spent += cost
            for table, key in ((self.by_provider, info.provider), (self.by_model, info.model)):
                t = table.get(key)
                if t is None:
                    t = table[key] = Totals()
                t.requests += 1
                if info.usage:
                    t.prompt_tokens += info.usage.prompt_tokens
                    t.completion_tokens += info.usage.completion_tokens
                    t.cached_tokens += info.usage.cached_tokens
                t.cost += cost
                if info.cost is None:
                    t.unpriced += 1

    def remaining(self) -> float | None:
        return None if self.budget is None else max(self.budget - self.spent - self.reserved, 0.0)

    def summary(self) -> dict[str, Any]:
        with self._lock:
            return {
                "budget": self.budget,
                "spent": self.spent,
                "reserved": self.reserved,
                "by_provider": {k: asdict(v) for k, v in sorted(self.by_provider.items())},
                "by_model": {k: asdict(v) for k, v in sorted(self.by_model.items())},
            }


class RequestLog:
    """Append-only JSONL log, one line per request; prompts only when asked, keys never.

    Every string written goes through the key ring's scrubber, so even a server message that
    echoes a key is logged with the key's fingerprint instead.
    """

    def __init__(self, path: str | Path, include_prompts: bool = False, scrub: Any = None) -> None:
        self.path = Path(path)
        self.include_prompts = include_prompts
        self._scrub = scrub or (lambda s: s)
        self._lock = threading.Lock()

    def write(self, entry: dict[str, Any], messages: Any = None) -> None:
        line = dict(entry)
        line["ts"] = round(time.time(), 3)
        if self.include_prompts and messages is not None:
            line["messages"] = messages
        data = orjson.dumps(line, default=str).decode()
        data = self._scrub(data) + "\n"
        with self._lock, self.path.open("a", encoding="utf-8") as fh:
            fh.write(data)
