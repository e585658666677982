"""``knollm usage report``: spend, tokens, errors and latency from the usage file, and advice.

Figures over the records since a time (``7d``, ``24h``, ``30m``, ``2w`` or a date), in total and
grouped by provider, model (canonical id) or UTC day:

* ``requests``; ``errors`` (outcomes ``error``, ``failed``, ``stream-interrupted``) and
  ``error_rate`` = errors / requests; ``refused`` (stopped by a budget before sending);
* ``prompt_tokens`` (cached included), ``completion_tokens``, ``cached_tokens``;
* ``spend`` (USD, the records' costs; ``unpriced`` counts answered requests without one);
* ``p50_s`` / ``p95_s``: latency of answered requests (``ok``), routing to the last chunk, by
  linear interpolation between order statistics (``statistics.quantiles(method="inclusive")``);
* ``saved`` (USD the caches saved) and ``cache_hits``.

Recommendations, from the catalog's prices, for the offerings that cost the most in the period.
Each request is re-priced at its offering's average request size (average prompt, cached and
completion tokens times the number of requests; long-context tiers then apply by that average):

* **same model, cheaper host**: another direct host (not a router, reseller or subscription)
  serving the same canonical model, active, paid, with at least the context window and every
  capability of the offering used;
* **cheaper model**: an offering of another model with every capability and input modality of
  the one used and at least its context window (only when the catalog knows the used
  offering's capabilities and context; a cheaper model may answer differently: try it first).

Each says what was spent, what the alternative would have cost for the same tokens, and the
difference. Only savings of at least ``MIN_SAVING`` (5%) are shown.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from knollm.costs import usage_cost
from knollm.usage.meter import ERRORS
from knollm.usage.store import UsageStore

if TYPE_CHECKING:
    from knollm.catalog import Catalog
    from knollm.records import Offering

BY = ("provider", "model", "day")
MIN_SAVING = 0.05
TOP = 5  # offerings looked at for recommendations
INDIRECT = frozenset({"router", "reseller", "subscription"})
ACTIVE = ("active", "preview")
_SPAN = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([mhdw])\s*$")
_UNIT = {"m": 60, "h": 3600, "d": 86_400, "w": 604_800}


def parse_since(text: str, now: float | None = None) -> float:
    """Unix seconds from ``7d`` / ``24h`` / ``30m`` / ``2w`` ago, or a date / ISO time (UTC)."""
    now = time.time() if now is None else now
    m = _SPAN.match(text)
    if m:
        return now - float(m.group(1)) * _UNIT[m.group(2)]
    try:
        when = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(
            f"--since {text!r}: use a span like 7d, 24h, 30m, 2w, or a date like 2026-12-01"
        ) from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.timestamp()


@dataclass(slots=True)
class Group:
    """Figures of one group (or of everything: ``key`` is ``"total"``)."""

    key: str
    requests: int = 0
    errors: int = 0
    refused: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cached_tokens: int = 0
    spend: float = 0.0
    unpriced: int = 0
    saved: float = 0.0
    cache_hits: int = 0
    p50_s: float | None = None
    p95_s: float | None = None

    @property
    def error_rate(self) -> float:
        return self.errors / self.requests if self.requests else 0.0

    def as_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["error_rate"] = self.error_rate
        return d


@dataclass(slots=True)
class Recommendation:
    """A cheaper way to have answered the same requests, with the figures behind it."""

    kind: str  # "cheaper-host" or "cheaper-model"
    used: str  # provider/api-id
    instead: str  # provider/api-id
    model: str
    instead_model: str
    requests: int
    prompt_tokens: int
    completion_tokens: int
    cached_tokens: int
    spent: float  # recorded spend at the offering used
    at_used: float  # the same tokens at the used offering's catalog prices
    at_instead: float
    context: tuple[int | None, int | None] = (None, None)
    capabilities: tuple[str, ...] = ()

    @property
    def saving(self) -> float:
        return self.at_used - self.at_instead

    @property
    def share(self) -> float:
        return self.saving / self.at_used if self.at_used else 0.0

    def as_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["saving"] = self.saving
        d["saving_share"] = self.share
        return d

    def __str__(self) -> str:
        what = "same model at" if self.kind == "cheaper-host" else f"{self.instead_model} at"
        return (
            f"{self.used}: {self.requests:,} request{'s' if self.requests != 1 else ''} "
            f"({self.prompt_tokens:,} in / "
            f"{self.completion_tokens:,} out tokens) cost ${self.at_used:.6f} at catalog prices "
            f"(${self.spent:.6f} recorded); {what} {self.instead}: ${self.at_instead:.6f} "
            f"(save ${self.saving:.6f}, {self.share:.0%})"
        )


@dataclass(slots=True)
class Report:
    since: float
    until: float
    by: str
    profile: str | None
    total: Group
    groups: list[Group]
    recommendations: list[Recommendation] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "since": datetime.fromtimestamp(self.since, UTC).isoformat(timespec="seconds"),
            "until": datetime.fromtimestamp(self.until, UTC).isoformat(timespec="seconds"),
            "by": self.by,
            "profile": self.profile,
            "total": self.total.as_dict(),
            "groups": [g.as_dict() for g in self.groups],
            "recommendations": [r.as_dict() for r in self.recommendations],
        }


def _quantile(ordered: list[float], p: float) -> float:
    """Linear interpolation between the order statistics at rank ``(n - 1) * p`` of a sorted
    list: ``statistics.quantiles(method="inclusive")``, without sorting again."""
    rank = (len(ordered) - 1) * p
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def _quantiles(ordered: list[float]) -> tuple[float | None, float | None]:
    if not ordered:
        return None, None
    return _quantile(ordered, 0.50), _quantile(ordered, 0.95)


def _where(
    store: UsageStore, since: float, profile: str | None, all_profiles: bool
) -> tuple[str, list[Any]]:
    """The rows at or after ``since``: records are appended as requests finish, so they are
    read as one range of ids from the first one in the period (found by the ``ts`` index),
    which is several times faster than fetching every row through the index."""
    found = store.query("SELECT MIN(id) FROM requests WHERE ts >= ?", (since,))
    first = found[0][0] if found and found[0][0] is not None else None
    clause = "id >= ? AND +ts >= ?"
    params: list[Any] = [first if first is not None else -1, since]
    if first is None:
        clause, params = "0", []
    if not all_profiles:
        clause += " AND profile IS ?"
        params.append(profile)
    return clause, params


def build(
    store: UsageStore,
    *,
    since: float,
    by: str = "provider",
    profile: str | None = None,
    all_profiles: bool = True,
    catalog: Catalog | None = None,
    now: float | None = None,
) -> Report:
    """The report over records at or after ``since`` (of one profile unless ``all_profiles``)."""
    if by not in BY:
        raise ValueError(f"by must be one of {', '.join(BY)} (got {by!r})")
    where, params = _where(store, since, profile, all_profiles)
    errors = ", ".join(f"'{e}'" for e in sorted(ERRORS))
    agg = (
        f"COUNT(*), SUM(outcome IN ({errors})), SUM(outcome = 'budget'), "
        "SUM(prompt_tokens), SUM(completion_tokens), SUM(cached_tokens), TOTAL(cost), "
        "SUM(outcome = 'ok' AND cost IS NULL), TOTAL(saved), SUM(cache_hit)"
    )
    groups: dict[str, Group] = {}
    for row in store.query(
        f"SELECT COALESCE({by}, '-'), {agg} FROM requests WHERE {where} GROUP BY 1", params
    ):
        groups[row[0]] = Group(row[0], *(v or 0 for v in row[1:]))
    total = Group("total")
    for g in groups.values():
        for name in ("requests", "errors", "refused", "prompt_tokens", "completion_tokens",
                     "cached_tokens", "spend", "unpriced", "saved", "cache_hits"):  # fmt: skip
            setattr(total, name, getattr(total, name) + getattr(g, name))
    latencies: dict[str, list[float]] = {}
    for key, seconds in store.query(
        f"SELECT COALESCE({by}, '-'), latency_s FROM requests WHERE {where} AND outcome = 'ok' "
        "AND latency_s IS NOT NULL",
        params,
    ):
        found = latencies.get(key)
        if found is None:
            found = latencies[key] = []
        found.append(seconds)
    every: list[float] = []
    for key, values in latencies.items():
        values.sort()
        every.extend(values)
        if key in groups:
            groups[key].p50_s, groups[key].p95_s = _quantiles(values)
    every.sort()  # sorted runs, one per group: a merge
    total.p50_s, total.p95_s = _quantiles(every)
    ordered = sorted(groups.values(), key=lambda g: g.key if by == "day" else (-g.spend, g.key))
    report = Report(since, time.time() if now is None else now, by, profile, total, ordered)
    if catalog is not None:
        report.recommendations = recommend(store, catalog, where, params)
    return report


# -- recommendations -------------------------------------------------------------------------


def _kind(catalog: Catalog, pid: str) -> str | None:
    try:
        return catalog.provider(pid).raw.get("kind")
    except (LookupError, OSError, ValueError):
        return None


def _priced(o: Offering, n: int, pin: float, pout: float, cached: float) -> float | None:
    est = usage_cost(o, round(pin), round(pout), round(cached))
    return est.total * n if est.complete else None


def _fits(o: Offering, used: Offering, *, same_modalities: bool = True) -> bool:
    if o.mode != "chat" or o.status not in ACTIVE or o.is_free:
        return False
    if used.context_window and (o.context_window or 0) < used.context_window:
        return False
    if not all(c in o.capabilities for c in used.capabilities):
        return False
    return not same_modalities or all(m in o.input_modalities for m in used.input_modalities)


@dataclass(slots=True)
class _Used:
    """What was spent at one offering in the period."""

    offering: Offering
    requests: int
    prompt_tokens: int
    completion_tokens: int
    cached_tokens: int
    spent: float
    at_used: float

    def price(self, o: Offering) -> float | None:
        n = self.requests
        return _priced(
            o, n, self.prompt_tokens / n, self.completion_tokens / n, self.cached_tokens / n
        )


def _best(
    used: _Used, cands: list[Offering], kind: str, direct: Callable[[str], bool]
) -> Recommendation | None:
    """The cheapest candidate that fits, if it saves at least ``MIN_SAVING``."""
    u = used.offering
    found: tuple[float, Offering] | None = None
    for o in cands:
        if o.key == u.key or not _fits(o, u) or not direct(o.provider):
            continue
        cost = used.price(o)
        if cost is not None and (found is None or cost < found[0]):
            found = (cost, o)
    if found is None or found[0] > used.at_used * (1 - MIN_SAVING):
        return None
    cost, o = found
    return Recommendation(
        kind, f"{u.provider}/{u.provider_model_id}", f"{o.provider}/{o.provider_model_id}",
        u.model, o.model, used.requests, used.prompt_tokens, used.completion_tokens,
        used.cached_tokens, used.spent, used.at_used, cost, (u.context_window, o.context_window),
        u.capabilities,
    )  # fmt: skip


def recommend(
    store: UsageStore, catalog: Catalog, where: str, params: Sequence[Any]
) -> list[Recommendation]:
    """Cheaper hosts and models for the offerings that cost the most (see the module doc)."""
    from knollm.catalog import NotFound

    rows = store.query(
        "SELECT provider, offering, COUNT(*), SUM(prompt_tokens), SUM(completion_tokens), "
        f"SUM(cached_tokens), TOTAL(cost) FROM requests WHERE {where} AND outcome = 'ok' "
        "AND provider IS NOT NULL GROUP BY provider, offering ORDER BY TOTAL(cost) DESC LIMIT ?",
        [*params, TOP],
    )
    kinds: dict[str, str | None] = {}

    def direct(pid: str) -> bool:
        if pid not in kinds:
            kinds[pid] = _kind(catalog, pid)
        return kinds[pid] not in INDIRECT

    out: list[Recommendation] = []
    for provider, api_id, n, pin, pout, cached, spent in rows:
        try:
            o = catalog.offering(f"{provider}:{api_id}")
        except NotFound:
            continue
        at_used = _priced(o, n, pin / n, pout / n, cached / n)
        if not at_used:
            continue
        used = _Used(o, n, pin, pout, cached, spent, at_used)
        same = [x for x in catalog.offerings_of(o.model) if x.provider != provider]
        found = [_best(used, same, "cheaper-host", direct)]
        if o.capabilities and o.context_window:
            others = catalog.filter(
                capabilities=o.capabilities, min_context=o.context_window, mode="chat",
                status=ACTIVE,
            )  # fmt: skip
            found.append(
                _best(used, [x for x in others if x.model != o.model], "cheaper-model", direct)
            )
        out.extend(r for r in found if r is not None)
    return out
