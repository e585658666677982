"""Questions over the catalog: model search, cheapest offerings, optimal offerings, comparisons.

Each works on the position sets of :mod:`knollm.catalog` and per-offering columns computed once,
so a query over the full catalog stays under a millisecond. ``Catalog`` exposes them as methods.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from knollm._gc import paused_gc
from knollm.costs import CostEstimate, estimate_cost
from knollm.records import PRICE_FLAGS, Model, Offering
from knollm.search import SearchIndex

if TYPE_CHECKING:
    from knollm.catalog import Catalog, Criteria

# The usual "blended" workload: three input tokens for each output token.
DEFAULT_INPUT = 3_000_000
DEFAULT_OUTPUT = 1_000_000
SORTS = ("relevance", "price", "context", "released", "hosts", "name")


@dataclass(frozen=True, slots=True)
class ModelMatch:
    """A model found by :meth:`Catalog.search`: its offerings that met the filters, cheapest first."""

    model: Model
    score: int
    offerings: list[Offering]

    @property
    def cheapest(self) -> Offering | None:
        """The matching offering with the lowest known, non-zero input price among those a cost
        ranking takes (:func:`rankable`: no $0 tiers, no price-flagged or non-token prices)."""
        for o in self.offerings:
            if o.pricing.input is None:
                return None
            if o.pricing.input > 0 and rankable(o):
                return o
        return None


@dataclass(frozen=True, slots=True)
class Preferences:
    """Weights (>= 0) of what :meth:`Catalog.find_optimal` should favour; only ratios matter.

    ``latency`` and ``quality`` count only where the catalog has measurements (it has none yet, and
    the reasons say so). Cost is the blended price of ``input_tokens``/``output_tokens``.
    """

    cost: float = 1.0
    context: float = 0.0
    recency: float = 0.0
    hosts: float = 0.0
    latency: float = 0.0
    quality: float = 0.0
    input_tokens: int = DEFAULT_INPUT
    output_tokens: int = DEFAULT_OUTPUT


@dataclass(frozen=True, slots=True)
class Ranked:
    """One offering chosen by :meth:`Catalog.find_optimal`, its score (0-1) and why it ranks there."""

    rank: int
    offering: Offering
    score: float
    reasons: list[str] = field(default_factory=list)


def rankable(o: Offering, include_free: bool = False, include_flagged: bool = False) -> bool:
    """The one rule for entering a token-cost ranking (cheapest, optimal, compare, the router's
    ``"auto"``): token prices are what the offering costs (:attr:`Offering.token_priced`: never
    an offering billed per image, second, request or character, or on an unknown basis); a $0
    offering (:attr:`Offering.is_free`: free tiers, subscription plans) only with
    ``include_free``; a price-flagged one (:attr:`Offering.price_flagged`) only with
    ``include_flagged``. Whether it is listed is a criterion (``Criteria.listed``), apart."""
    return (
        o.token_priced
        and (include_free or not o.is_free)
        and (include_flagged or not o.price_flagged)
    )


def caveats(o: Offering) -> list[str]:
    """What keeps an offering out of a default cost ranking, for the marker shown beside it:
    ``unlisted``, a price basis other than tokens (``free``, ``subscription``, ``per_image``...)
    and its flags, the ones that put its price in doubt marked ``!`` (``!price_outlier``)."""
    out = [] if o.listed else ["unlisted"]
    if o.price_basis is not None and o.price_basis != "tokens":
        out.append(o.price_basis)
    out += [f"!{flag}" if flag in PRICE_FLAGS else flag for flag in o.flags]
    return out


def display_order(o: Offering) -> tuple[int, bool, float, float, str]:
    """Sort key of a model's or provider's offerings, "cheapest first" by the ranking rule:
    offerings a cost ranking takes by input then output price, then $0 ones (free tiers,
    plans), then those whose price is in doubt or not per token, then unlisted ones."""
    p = o.pricing
    group = 3 if not o.listed else 0 if rankable(o) else 1 if rankable(o, include_free=True) else 2
    return (group, p.input is None, p.input or 0.0, p.output or 0.0, o.key)


def _clamp(x: float) -> float:
    return 0.0 if x < 0 else 1.0 if x > 1 else x


def _month(date: str | None) -> float | None:
    if not date or len(date) < 7 or not date[:4].isdigit() or not date[5:7].isdigit():
        return None
    return int(date[:4]) * 12 + int(date[5:7]) - 1


class Columns:
    """Per-offering numbers the ranking needs, computed once per catalog."""

    def __init__(self, catalog: Catalog) -> None:
        offerings = catalog.offerings
        self.input = [o.pricing.input for o in offerings]
        self.output = [o.pricing.output for o in offerings]
        self.simple = [not o.pricing.tiers and not o.pricing.per_request for o in offerings]
        self.fee = [bool(o.pricing.per_request) for o in offerings]
        self.tiered_or_fee = [not plain for plain in self.simple]
        self._offerings = offerings
        self._eligible: dict[tuple[bool, bool, bool], tuple[list[bool], frozenset[int]]] = {}
        newest = _month(catalog.generated_at) or 0
        oldest = newest - 48
        model_by_id = catalog.model_by_id
        hosts_max = max((m.direct_hosts for m in catalog.models), default=1)
        self.released: list[str | None] = []
        self.hosts: list[int] = []
        self.routed: list[int] = []
        self.recency: list[float] = []
        self.host_score: list[float] = []
        self.context: list[float] = []
        for o in offerings:
            model = model_by_id.get(o.model)
            released = model.released if model else None
            month = _month(released)
            self.released.append(released)
            self.recency.append(0.0 if month is None else _clamp((month - oldest) / 48))
            hosts = model.direct_hosts if model else 0
            self.hosts.append(hosts)
            self.routed.append(model.routed_hosts if model else 0)
            self.host_score.append(
                math.log(hosts) / math.log(hosts_max) if hosts_max > 1 and hosts > 0 else 0.0
            )
            ctx = o.context_window
            # 4k tokens scores 0, 2M scores 1, on a log scale.
            self.context.append(0.0 if not ctx else _clamp(math.log2(ctx / 4096) / 9))

        self._cost: dict[tuple[float, float], list[float]] = {}
        self._orders: dict[tuple[str, float, float, bool, bool], list[int]] = {}
        self._weighted: dict[tuple[Any, float, float], list[int]] = {}

    def eligible(
        self, free: bool, flagged: bool, listed_only: bool = False
    ) -> tuple[list[bool], frozenset[int]]:
        """Per position, and as a set, whether :func:`rankable` takes the offering with these
        options (and, with ``listed_only``, whether it is listed). Cached (eight at most)."""
        key = (free, flagged, listed_only)
        found = self._eligible.get(key)
        if found is None:
            ok = [
                rankable(o, free, flagged) and (o.listed or not listed_only)
                for o in self._offerings
            ]
            found = self._eligible[key] = (ok, frozenset(i for i, yes in enumerate(ok) if yes))
        return found

    def cost_order(
        self, input_tokens: float, output_tokens: float, free: bool = False, flagged: bool = False
    ) -> list[int]:
        """Positions of simply priced offerings (both token prices known, no per-request fee) that
        a cost ranking takes (:meth:`eligible`) by workload cost, cheapest first; ties in
        contract order. Cached per workload and options."""
        key = ("cost", input_tokens, output_tokens, free, flagged)
        order = self._orders.get(key)
        if order is None:
            ok = self.eligible(free, flagged)[0]
            i_m, o_m = input_tokens / 1e6, output_tokens / 1e6
            pairs = [
                (pi * i_m + po * o_m, pos)
                for pos, (pi, po, fee, yes) in enumerate(
                    zip(self.input, self.output, self.fee, ok, strict=True)
                )
                if yes and pi is not None and po is not None and not fee
            ]
            pairs.sort()
            order = self._orders[key] = [pos for _, pos in pairs]
        return order

    def score_order(
        self, input_tokens: float, output_tokens: float, free: bool = False, flagged: bool = False
    ) -> list[int]:
        """Every position a cost ranking takes (:meth:`eligible`) by cost score, best first; ties
        in contract order. Cached per workload and options."""
        key = ("score", input_tokens, output_tokens, free, flagged)
        order = self._orders.get(key)
        if order is None:
            scores = self.cost_scores(input_tokens, output_tokens)
            ok = self.eligible(free, flagged)[0]
            order = self._orders[key] = sorted(
                (pos for pos in range(len(scores)) if ok[pos]),
                key=lambda pos: (-scores[pos], pos),
            )
        return order

    def order_by(self, name: str) -> list[int]:
        """Every position by the ``context``, ``recency`` or ``hosts`` score, best first; ties in
        contract order. Cached."""
        key = (name, 0.0, 0.0, False, False)
        order = self._orders.get(key)
        if order is None:
            values = {"context": self.context, "recency": self.recency, "hosts": self.host_score}[
                name
            ]
            order = self._orders[key] = sorted(
                range(len(values)), key=lambda pos: (-values[pos], pos)
            )
        return order

    def weighted_order(
        self,
        terms: Sequence[tuple[float, list[float], str]],
        input_tokens: float,
        output_tokens: float,
    ) -> list[int] | None:
        """Every position by weighted score (the sum over ``terms`` in their order), best first,
        ties in contract order; cached per weights and workload, at most WEIGHTED_ORDERS of them
        (``None`` once full: the caller ranks without one)."""
        key = (tuple((w, name) for w, _, name in terms), input_tokens, output_tokens)
        order = self._weighted.get(key)
        if order is None:
            if len(self._weighted) >= WEIGHTED_ORDERS:
                return None
            scores = [_score(terms, pos) for pos in range(len(self.input))]
            order = self._weighted[key] = sorted(
                range(len(scores)), key=lambda pos: (-scores[pos], pos)
            )
        return order

    def cost_scores(self, input_tokens: float, output_tokens: float) -> list[float]:
        """Per offering, the blended price of the workload on a log scale: $0.01 per 1M tokens or
        less scores 1, $100 scores 0, unknown 0. Cached per input/output ratio."""
        key = (input_tokens, output_tokens)
        cached = self._cost.get(key)
        if cached is not None:
            return cached
        whole = (input_tokens + output_tokens) or 1.0
        scores = []
        for pi, po in zip(self.input, self.output, strict=True):
            if pi is None or po is None:
                scores.append(0.0)
                continue
            price = (pi * input_tokens + po * output_tokens) / whole
            scores.append(1.0 if price <= 0.01 else _clamp(1 - math.log10(price / 0.01) / 4))
        self._cost[key] = scores
        return scores


def _columns(catalog: Catalog) -> Columns:
    cols = catalog.__dict__.get("_columns")
    if cols is None:
        with paused_gc():
            cols = catalog.__dict__["_columns"] = Columns(catalog)
    return cols


def search_index(catalog: Catalog) -> SearchIndex:
    index = catalog.__dict__.get("_search")
    if index is None:
        with paused_gc():
            prebuilt = catalog._prebuilt_search
            index = SearchIndex(
                catalog.models,
                catalog.offerings,
                None if prebuilt is None else prebuilt.tables(),
                catalog.offerings_of,
            )
        catalog.__dict__["_search"] = index
    return index


def _price_key(o: Offering) -> tuple[bool, float, float, str]:
    """Cheapest input first, then cheapest output; unknown prices last."""
    p = o.pricing
    return (p.input is None, p.input or 0.0, p.output or 0.0, o.key)


def _positions(catalog: Catalog, criteria: Criteria) -> tuple[set[int] | None, bool]:
    """``catalog.positions(criteria)`` and whether unlisted offerings are still to be left out.
    Without other constraints, ``listed=True`` alone would make a set of nearly every position
    per query; the callers apply it through cached sets instead."""
    if criteria.listed is not True:
        return catalog.positions(criteria), False
    found = catalog.positions(replace(criteria, listed=None))
    if found is None:
        return None, True
    if len(found) < SMALL:  # one model's or provider's offerings: look at each
        offerings = catalog.offerings
        return {pos for pos in found if offerings[pos].listed}, False
    found.difference_update(catalog._unlisted)
    return found, False


def _ranked(
    catalog: Catalog, cols: Columns, criteria: Criteria
) -> tuple[set[int] | frozenset[int], int]:
    """Positions meeting ``criteria`` that a cost ranking takes (:func:`rankable`) and how many."""
    free, flagged = criteria.ranks_free, criteria.include_flagged
    found, listed_only = _positions(catalog, criteria)
    if found is None:
        eligible = cols.eligible(free, flagged, listed_only)[1]
        return eligible, len(eligible)
    if len(found) < SMALL:
        offerings = catalog.offerings
        kept = {pos for pos in found if rankable(offerings[pos], free, flagged)}
    else:
        kept = found.intersection(cols.eligible(free, flagged)[1])
    return kept, len(kept)


# Below this many positions, checking each offering beats a pass over a catalog-wide set.
SMALL = 1000


def _listed_rows(catalog: Catalog) -> set[int] | None:
    """Model rows with at least one listed offering (``None``: every model has one); cached."""
    rows = catalog.__dict__.get("_listed_rows", False)
    if rows is False:
        with paused_gc():
            model_rows = catalog._model_rows
            found = {model_rows[pos] for pos, o in enumerate(catalog.offerings) if o.listed}
            found.discard(-1)
        rows = catalog.__dict__["_listed_rows"] = (
            None if len(found) == len(catalog.models) else found
        )
    return rows


def search(
    catalog: Catalog,
    query: str | None,
    criteria: Criteria,
    sort: str = "relevance",
    limit: int | None = 20,
) -> list[ModelMatch]:
    """Models matching ``query`` (fuzzy; all models when empty) that have an offering meeting
    ``criteria``; each with those offerings, cheapest input price first."""
    if sort not in SORTS:
        raise ValueError(f"sort must be one of {', '.join(SORTS)}")
    found, listed_only = _positions(catalog, criteria)
    offerings = catalog.offerings
    models = catalog.models
    # Model row of each offering's model (-1: not in the models list), one C-level pass per query.
    rows = catalog._model_rows
    allowed = None if found is None else set(map(rows.__getitem__, found))
    if allowed is not None:
        allowed.discard(-1)
    elif listed_only:
        allowed = _listed_rows(catalog)
    if query and query.strip():
        index = search_index(catalog)
        hits = index.search(query, allowed, limit if sort == "relevance" else None)
        ranked = [(models[pos], score) for pos, score in hits]
    else:
        pool = models if allowed is None else [models[row] for row in allowed]
        ranked = [(m, 0) for m in sorted(pool, key=_by_hosts)]
    if sort == "relevance" and limit is not None:
        ranked = ranked[:limit]

    def matched(model: Model) -> list[Offering]:
        own: Sequence[int] = catalog._by_model.get(model.id, ())
        chosen: Sequence[int]
        if found is not None:
            chosen = [pos for pos in own if pos in found]
        else:
            chosen = [pos for pos in own if offerings[pos].listed] if listed_only else own
        return sorted((offerings[pos] for pos in chosen), key=_price_key)

    results = [ModelMatch(m, score, matched(m)) for m, score in ranked]
    if sort == "price":
        results.sort(
            key=lambda r: (
                r.cheapest is None,
                r.cheapest.pricing.input if r.cheapest else 0.0,
                r.model.id,
            )
        )
    elif sort == "context":
        results.sort(key=lambda r: (-(r.model.context_window or 0), r.model.id))
    elif sort == "released":
        results.sort(
            key=lambda r: (r.model.released is None, _neg_date(r.model.released), r.model.id)
        )
    elif sort == "hosts":
        results.sort(key=lambda r: _by_hosts(r.model))
    elif sort == "name":
        results.sort(key=lambda r: (r.model.name.lower(), r.model.id))
    return results if limit is None else results[:limit]


def _by_hosts(m: Model) -> tuple[int, int, int, str]:
    """Most direct hosts first, then most routed hosts, then most providers of any kind."""
    return (-m.direct_hosts, -m.routed_hosts, -m.hosts, m.id)


def _neg_date(date: str | None) -> tuple[int, ...]:
    return tuple(-ord(ch) for ch in (date or ""))


def cheapest(
    catalog: Catalog,
    criteria: Criteria,
    input_tokens: float = DEFAULT_INPUT,
    output_tokens: float = DEFAULT_OUTPUT,
    cached_share: float = 0.0,
    requests: int | None = None,
    batch: bool = False,
    limit: int | None = 10,
) -> list[CostEstimate]:
    """Offerings meeting ``criteria`` ranked by the cost of the workload, cheapest first.

    Offerings whose estimate lacks a needed price are left out: they cannot be shown to be cheap;
    so are those :func:`rankable` refuses under the criteria's ``include_free`` /
    ``include_flagged`` (non-token bases always).
    """
    cols = _columns(catalog)
    offerings = catalog.offerings
    free, flagged = criteria.ranks_free, criteria.include_flagged
    if (
        limit is not None
        and not cached_share
        and not batch
        and requests is None
        and not criteria.selective
    ):
        walked = _walk(
            catalog,
            criteria,
            cols.cost_order(input_tokens, output_tokens, free, flagged),
            limit,
        )
        if walked is not None:
            ok = cols.eligible(free, flagged)[0]
            with_fees = [pos for pos, fee in enumerate(cols.fee) if fee and ok[pos]]
            match = catalog.matcher(criteria)
            found_walk = walked + [pos for pos in with_fees if match(offerings[pos])]
            # Ranked by the very keys the scan below uses, so both paths break ties alike.
            walk_keys = _cost_keys(catalog, cols, found_walk, input_tokens, output_tokens)
            return [
                estimate_cost(offerings[pos], input_tokens, output_tokens)
                for _, pos in heapq.nsmallest(limit, walk_keys)
            ]
    positions = _ranked(catalog, cols, criteria)[0]
    fast = not cached_share and not batch
    inp, out = cols.input, cols.output
    i_m, o_m = input_tokens / 1e6, output_tokens / 1e6
    keyed: list[tuple[float, int]] = []
    slow: list[int] = []
    # Without a request count no context tier applies: token prices alone price a fee-less offering.
    needs_estimate = cols.fee if requests is None else cols.tiered_or_fee
    for pos in positions:
        if fast and not needs_estimate[pos]:
            pi, po = inp[pos], out[pos]
            if pi is not None and po is not None:
                keyed.append((pi * i_m + po * o_m, pos))
        else:
            slow.append(pos)
    for pos in slow:
        est = estimate_cost(
            offerings[pos],
            input_tokens,
            output_tokens,
            cached_share=cached_share,
            requests=requests,
            batch=batch,
        )
        if est.complete:
            keyed.append((est.total, pos))
    # Ties break by position, which is contract order (provider, then API id).
    best = sorted(keyed) if limit is None else heapq.nsmallest(limit, keyed)
    return [
        estimate_cost(
            offerings[pos],
            input_tokens,
            output_tokens,
            cached_share=cached_share,
            requests=requests,
            batch=batch,
        )
        for _, pos in best
    ]


def _cost_keys(
    catalog: Catalog,
    cols: Columns,
    positions: Iterable[int],
    input_tokens: float,
    output_tokens: float,
) -> list[tuple[float, int]]:
    """(cost of the plain workload, position) of each position whose cost is known: token prices
    times tokens without a per-request fee (no request count, so no context tier applies), the
    full estimate for the others. The same keys as :meth:`Columns.cost_order` and the scan."""
    inp, out, fee = cols.input, cols.output, cols.fee
    i_m, o_m = input_tokens / 1e6, output_tokens / 1e6
    keyed: list[tuple[float, int]] = []
    for pos in positions:
        if not fee[pos]:
            pi, po = inp[pos], out[pos]
            if pi is not None and po is not None:
                keyed.append((pi * i_m + po * o_m, pos))
            continue
        est = estimate_cost(catalog.offerings[pos], input_tokens, output_tokens)
        if est.complete:
            keyed.append((est.total, pos))
    return keyed


WALK_LIMIT = 4000


def _walk(catalog: Catalog, criteria: Criteria, order: list[int], limit: int) -> list[int] | None:
    """The first ``limit`` positions in ``order`` that meet ``criteria``, checking one offering at a
    time; ``None`` if that takes more than WALK_LIMIT steps (rare criteria: use the indexes)."""
    match = catalog.matcher(criteria)
    offerings = catalog.offerings
    found: list[int] = []
    for step, pos in enumerate(order):
        if step >= WALK_LIMIT:
            return None
        if match(offerings[pos]):
            found.append(pos)
            if len(found) == limit:
                break
    return found


def find_optimal(
    catalog: Catalog, criteria: Criteria, prefs: Preferences, limit: int = 10
) -> list[Ranked]:
    """Offerings meeting every hard constraint, ranked by the weighted preferences.

    With cost the only preference (the default) the ranking is a walk down the precomputed cost
    order; otherwise every candidate is scored."""
    weights = {
        k: getattr(prefs, k) for k in ("cost", "context", "recency", "hosts", "latency", "quality")
    }
    if any(w < 0 or not math.isfinite(w) for w in weights.values()):
        raise ValueError("preference weights must be finite and >= 0")
    total = sum(weights.values()) or 1.0
    cols = _columns(catalog)
    offerings = catalog.offerings
    scored_only_by_cost = (
        all(w == 0 for k, w in weights.items() if k != "cost") and weights["cost"] > 0
    )
    free, flagged = criteria.ranks_free, criteria.include_flagged
    if scored_only_by_cost and not criteria.selective:
        walked = _walk(
            catalog,
            criteria,
            cols.score_order(prefs.input_tokens, prefs.output_tokens, free, flagged),
            limit,
        )
        if walked is not None:
            cost = cols.cost_scores(prefs.input_tokens, prefs.output_tokens)
            return [
                Ranked(rank, offerings[pos], round(cost[pos], 4),
                       _reasons(cols, pos, offerings[pos], weights, prefs, None))
                for rank, pos in enumerate(walked, 1)
            ]  # fmt: skip
    # Only offerings a cost ranking takes (rankable); a set either way from here on.
    found, candidates = _ranked(catalog, cols, criteria)
    cost = cols.cost_scores(prefs.input_tokens, prefs.output_tokens)
    terms = [
        (weights[k] / total, values, k)
        for k, values in (
            ("cost", cost),
            ("context", cols.context),
            ("recency", cols.recency),
            ("hosts", cols.host_score),
        )
        if weights[k] > 0
    ]
    if not terms:  # every weight 0: all score 0, contract order decides
        chosen = heapq.nsmallest(limit, found)
        best = [(0.0, pos) for pos in chosen]
    elif candidates <= SCAN_BELOW:
        best = _scan(terms, found, limit)
    elif (order := cols.weighted_order(terms, prefs.input_tokens, prefs.output_tokens)) is not None:
        # Many candidates: walk the cached order of every offering under these weights; with
        # more than SCAN_BELOW candidates the first ``limit`` of them come within a short walk.
        best = []
        for pos in order:
            if pos in found:
                best.append((_score(terms, pos), pos))
                if len(best) == limit:
                    break
    else:
        orders = [
            cols.score_order(prefs.input_tokens, prefs.output_tokens, free, flagged)
            if name == "cost"
            else cols.order_by(name)
            for _, _, name in terms
        ]
        best = _threshold_top(
            [(w, values, order) for (w, values, _), order in zip(terms, orders, strict=True)],
            found,
            limit,
        )
    ranked = []
    for rank, (score, pos) in enumerate(best, 1):
        ranked.append(
            Ranked(
                rank,
                offerings[pos],
                round(score, 4),
                _reasons(cols, pos, offerings[pos], weights, prefs, candidates),
            )
        )
    return ranked


# Below this many candidates a plain scan beats walking the sorted columns.
SCAN_BELOW = 2000
# Weighted orders kept per catalog (each one list of every position; a router asks for one or two).
WEIGHTED_ORDERS = 8


def _score(terms: Sequence[tuple[float, list[float], Any]], pos: int) -> float:
    score = 0.0  # summed in the same order as _threshold_top, so both give equal floats
    for weight, values, _ in terms:
        score += weight * values[pos]
    return score


def _scan(
    terms: Sequence[tuple[float, list[float], Any]], positions: Iterable[int], limit: int
) -> list[tuple[float, int]]:
    """The ``limit`` best positions by weighted score; equal scores in contract order."""
    # Negated positions: equal scores keep contract order (provider, then API id).
    scored = ((_score(terms, pos), -pos) for pos in positions)
    return [(score, -neg) for score, neg in heapq.nlargest(limit, scored)]


def _threshold_top(
    columns: Sequence[tuple[float, list[float], list[int]]],
    allowed: Collection[int] | None,
    limit: int,
) -> list[tuple[float, int]]:
    """Fagin's threshold algorithm: the same answer as :func:`_scan` over ``allowed`` (or every
    position), reading each weighted column down its best-first ``order`` in step and stopping
    once the ``limit``-th best score found beats the best score anything unseen could still
    reach (the weighted sum of the values at the current depth). Ranking needs only the top of
    each column, so a query touches a few thousand offerings instead of every one."""
    if limit <= 0 or not columns:
        return []
    weighted = [(weight, values) for weight, values, _ in columns]
    heap: list[tuple[float, int]] = []  # the best so far, worst at [0], as (score, -pos)
    seen: set[int] = set()
    longest = max(len(order) for _, _, order in columns)
    for depth in range(longest):
        threshold = 0.0
        for weight, values, order in columns:
            if depth >= len(order):
                continue
            pos = order[depth]
            threshold += weight * values[pos]
            if pos in seen:
                continue
            seen.add(pos)
            if allowed is not None and pos not in allowed:
                continue
            score = 0.0
            for w, v in weighted:
                score += w * v[pos]
            if len(heap) < limit:
                heapq.heappush(heap, (score, -pos))
            elif (score, -pos) > heap[0]:
                heapq.heapreplace(heap, (score, -pos))
        # Strictly above: an unseen position scoring exactly the threshold could still win a tie.
        if len(heap) == limit and heap[0][0] > threshold:
            break
    return [(score, -neg) for score, neg in sorted(heap, reverse=True)]


def _reasons(
    cols: Columns,
    pos: int,
    o: Offering,
    weights: dict[str, float],
    prefs: Preferences,
    n: int | None,
) -> list[str]:
    out = [
        f"meets every constraint (1 of {n:,} candidates)"
        if n is not None
        else "meets every constraint"
    ]
    if weights["cost"]:
        pi, po = cols.input[pos], cols.output[pos]
        if pi is None or po is None:
            out.append("cost: price unknown, scored as worst")
        else:
            out.append(f"cost: ${pi:g} in / ${po:g} out per 1M tokens")
    if weights["context"]:
        out.append(
            f"context: {o.context_window:,} tokens" if o.context_window else "context: unknown"
        )
    if weights["recency"]:
        released = cols.released[pos]
        out.append(f"released {released}" if released else "release date unknown, scored as oldest")
    if weights["hosts"]:
        routed = cols.routed[pos]
        out.append(
            f"model served by {cols.hosts[pos]} direct host(s)"
            + (f" + {routed} via routers or resellers" if routed else "")
        )
    for name in ("latency", "quality"):
        if weights[name]:
            out.append(f"{name}: no measurements in the catalog, not counted")
    return out


@dataclass(frozen=True, slots=True)
class Comparison:
    """One model in a side-by-side comparison, with its cheapest offering for a workload."""

    model: Model
    offerings: int
    cheapest: CostEstimate | None
    max_context: int | None
    capabilities: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.model.id,
            "name": self.model.name,
            "creator": self.model.creator,
            "released": self.model.released,
            "hosts": self.model.hosts,
            "direct_hosts": self.model.direct_hosts,
            "routed_hosts": self.model.routed_hosts,
            "offerings": self.offerings,
            "max_context": self.max_context,
            "capabilities": list(self.capabilities),
            "cheapest": self.cheapest.as_dict() if self.cheapest else None,
        }


def compare(
    catalog: Catalog,
    model_ids: list[str],
    input_tokens: float = DEFAULT_INPUT,
    output_tokens: float = DEFAULT_OUTPUT,
    include_free: bool = False,
    include_flagged: bool = False,
    listed: bool | None = True,
) -> list[Comparison]:
    """Models side by side, each with its cheapest offering by the rule of :func:`cheapest`
    (listed, token-priced, paid and unflagged unless asked); unknown ids raise
    :class:`~knollm.catalog.NotFound`."""
    from knollm.catalog import Criteria

    out = []
    for model_id in model_ids:
        model = catalog.model(model_id)
        best = cheapest(
            catalog,
            Criteria(
                model=(model.id,),
                status=("active", "preview"),
                listed=listed,
                include_free=include_free,
                include_flagged=include_flagged,
            ),
            input_tokens,
            output_tokens,
            limit=1,
        )
        own = catalog.offerings_of(model.id)
        contexts = [o.context_window for o in own if o.context_window]
        out.append(
            Comparison(
                model=model,
                offerings=len(own),
                cheapest=best[0] if best else None,
                max_context=max(contexts) if contexts else None,
                capabilities=model.capabilities,
            )
        )
    return out
