"""From a requested ``model`` to an ordered list of offerings that can take the request.

Resolution (cached per spec): ``provider/api-id`` (or ``provider:api-id``) is one exact offering;
``provider/canonical-model`` that provider's offerings of the model; a canonical model id (or any
provider's API id of it) every chat offering of that model; ``"auto"`` every chat offering that
meets the constraints; a list of specs is an ordered fallback chain. Only offerings whose provider
is OpenAI-compatible (the catalog says so), has a base URL and has a key configured are kept.

Unlisted offerings (``listed`` false: no model list names the id) are chosen only when named
exactly (``provider/api-id``), or for ``"auto"`` when the constraints say ``listed=None``. Among
the offerings a model spec names, those a cost ranking takes (:func:`knollm.queries.rankable`:
token-priced, not $0, no flag on the price) are kept when there are any, so a free tier, a plan
or a doubtful price is never the "cheapest"; ``"auto"`` keeps only those, unless its constraints
say ``include_free`` / ``include_flagged``.

Per request the candidates are then filtered by what the request needs (approximate prompt tokens
plus ``max_tokens`` within the context window; tools, images, JSON schema where the offering's
capabilities are known) and ordered by the strategy (``"auto"`` keeps the ``auto_limit`` cheapest
that fit, see ``_auto_head``); offerings whose circuit breaker is open go
last, as a last resort.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from knollm.catalog import Catalog, Criteria, NotFound
from knollm.queries import rankable
from knollm.records import Offering, Provider
from knollm.router import strategies
from knollm.router.errors import NoCandidates
from knollm.router.health import Health
from knollm.router.keys import KeyPool
from knollm.router.tokens import PromptShape

ACTIVE = ("active", "preview")
CHAT_MODES = ("chat",)
# Constraint names accepted for "auto" besides Criteria's own fields.
ALIASES = {"providers": "provider", "exclude_providers": "exclude_provider"}


@dataclass(slots=True)
class Endpoint:
    """A provider the router can call: its base URL and keys, and its configured section."""

    provider: Provider
    base_url: str
    pool: KeyPool
    timeout: float | None = None  # per-provider request timeout (else the router's)
    rpm: int | None = None
    tpm: int | None = None
    weight: float = 1.0


def criteria_of(constraints: Criteria | Mapping[str, Any] | None) -> Criteria:
    """Constraints for ``"auto"`` as :class:`Criteria` (a mapping of its field names also works)."""
    if constraints is None:
        return Criteria()
    if isinstance(constraints, Criteria):
        return constraints
    given = {ALIASES.get(k, k): v for k, v in constraints.items()}
    return Criteria.of(**given)


def _preferred(spec: str, named: list[Offering]) -> list[Offering]:
    """The listed offerings of a model spec, and of those the ones a cost ranking takes
    (:func:`knollm.queries.rankable`) when there are any: a free tier, a plan or a doubtful
    price is used only when nothing else serves the model. NoCandidates when every offering
    is unlisted (naming one exactly, ``provider/api-id``, still works)."""
    listed = [o for o in named if o.listed]
    if named and not listed:
        example = named[0]
        raise NoCandidates(
            f"every offering of {spec!r} is unlisted (no model list names its id, so it may not "
            f"be callable); name one exactly to use it anyway, e.g. "
            f"{example.provider}/{example.provider_model_id}"
        )
    ranked = [o for o in listed if rankable(o)]
    return ranked or listed


def is_openai_compatible(p: Provider) -> bool:
    """The catalog's verdict; where it has none, the API style decides."""
    if p.openai_compatible is not None:
        return p.openai_compatible
    return p.api_style == "openai-compatible"


log = logging.getLogger("knollm.router")


class Planner:
    """Resolves model specs to candidates and orders them for one request."""

    def __init__(
        self,
        catalog: Catalog,
        endpoints: Mapping[str, Endpoint],
        health: Health,
        default_constraints: Criteria,
        weights: Mapping[str, float],
        auto_limit: int = 64,
        follow_successors: bool = False,
    ) -> None:
        self.catalog = catalog
        self.follow_successors = follow_successors
        self.clock: Callable[[], float] = time.monotonic  # the router sets its own
        self.auto_limit = auto_limit
        self.endpoints = dict(endpoints)
        self.health = health
        self.default_constraints = default_constraints
        self.weights = dict(weights)
        self.round_robin = strategies.RoundRobin()
        self._specs: dict[str, list[Offering]] = {}
        self._auto: dict[Criteria, list[Offering]] = {}
        self._auto_sorted: dict[tuple[Criteria | None, int], list[Offering]] = {}
        self._by_api_id: dict[str, dict[str, Offering]] = {}

    # -- resolution --------------------------------------------------------------------------

    def _at(self, provider: str) -> dict[str, Offering]:
        table = self._by_api_id.get(provider)
        if table is None:
            table = self._by_api_id[provider] = {
                o.provider_model_id: o for o in self.catalog.offerings_at(provider)
            }
        return table

    def _lookup(self, spec: str) -> list[Offering]:
        """Every offering ``spec`` names, usable or not (NoCandidates for unknown names)."""
        catalog = self.catalog
        for sep in ("/", ":"):
            provider, found, rest = spec.partition(sep)
            if found and provider in catalog.provider_by_id and rest:
                exact = self._at(provider).get(rest)
                if exact is not None:
                    return [exact]  # named exactly: taken whatever it is
                if rest in catalog.model_by_id:
                    return _preferred(
                        spec, [o for o in catalog.offerings_of(rest) if o.provider == provider]
                    )
                near = [f"{provider}/{k}" for k in catalog._closest(rest, self._at(provider))]
                raise NoCandidates(str(NotFound(f"offering at {provider}", rest, near)))
        try:
            model = catalog.model(spec)
        except NotFound as exc:
            raise NoCandidates(str(exc)) from None
        return _preferred(
            spec,
            [
                o
                for o in catalog.offerings_of(model.id)
                if o.mode in CHAT_MODES and o.status in ACTIVE
            ],
        )

    def resolve(self, spec: str) -> list[Offering]:
        """Usable offerings for one spec (not ``auto``), in catalog order; cached."""
        cached = self._specs.get(spec)
        if cached is not None:
            return cached
        named = self._lookup(spec)
        if self.follow_successors:
            named = self._successors(spec, named)
        usable = [o for o in named if o.provider in self.endpoints]
        if not usable:
            raise NoCandidates(self._why_none(spec, named))
        self._specs[spec] = usable
        return usable

    def _successors(self, spec: str, named: list[Offering]) -> list[Offering]:
        """With ``follow_successors``: each retired offering ``spec`` names (exactly, or all of a
        model's when none of them is callable) replaced by the successor its catalog entry states
        at the same provider, following a chain of retired successors (at most 5 steps)."""
        if not named:
            model = self.catalog.model_by_id.get(spec)
            named = (
                [o for o in self.catalog.offerings_of(model.id) if o.status == "retired"]
                if model is not None
                else []
            )
        out: list[Offering] = []
        for o in named:
            current, steps = o, 0
            while current.status == "retired" and current.successor and steps < 5:
                nxt = self._at(current.provider).get(current.successor)
                if nxt is None:
                    break
                current, steps = nxt, steps + 1
            if current is not o:
                log.info(
                    "knollm router: %s is retired; following its successor %s", o.key, current.key
                )
            if current.status != "retired" and current not in out:
                out.append(current)
        return out

    def _why_none(self, spec: str, named: list[Offering]) -> str:
        if not named:
            return f"no active chat offering of {spec!r} in the catalog"
        reasons = []
        for pid in dict.fromkeys(o.provider for o in named):
            p = self.catalog.provider_by_id.get(pid)
            if p is None:
                continue
            if not is_openai_compatible(p):
                reasons.append(f"{pid} has no OpenAI-compatible API")
            elif not p.api_base_url:
                reasons.append(f"{pid} has no base URL in the catalog (pass base_urls)")
            else:
                env = " or ".join(p.auth_env) or "keys="
                reasons.append(f"{pid} has no API key (set {env})")
        return f"no usable provider for {spec!r}: " + "; ".join(reasons)

    def auto(self, constraints: Criteria | Mapping[str, Any] | None) -> list[Offering]:
        """Usable chat offerings meeting the constraints (router defaults when None); cached."""
        crit = self.default_constraints if constraints is None else criteria_of(constraints)
        cached = self._auto.get(crit)
        if cached is not None:
            return cached
        allowed = tuple(p for p in self.endpoints if not crit.provider or p in crit.provider)
        full = replace(
            crit,
            provider=allowed,
            mode=crit.mode or CHAT_MODES,
            status=crit.status or ACTIVE,
        )
        found = self.catalog.positions(full) if allowed else set()
        offerings = self.catalog.offerings
        ranks = full.ranks
        result = (
            [o for o in map(offerings.__getitem__, sorted(found)) if ranks(o)]
            if found is not None
            else []
        )
        if not result:
            raise NoCandidates(
                "no usable offering meets the constraints"
                + ("" if allowed else " (no OpenAI-compatible provider has an API key)")
            )
        self._auto[crit] = result
        return result

    def provider_weights(self) -> dict[str, float] | None:
        """Configured provider weights other than 1 (None when there are none)."""
        found = {p: e.weight for p, e in self.endpoints.items() if e.weight != 1.0}
        return found or None

    # -- per request -------------------------------------------------------------------------

    def plan(
        self,
        model: str | Sequence[str],
        need: PromptShape,
        max_tokens: int | None,
        workload: strategies.Workload,
        strategy: str,
        constraints: Criteria | Mapping[str, Any] | None = None,
    ) -> list[Offering]:
        """Candidates for one request, best first; NoCandidates when none can take it."""
        if strategy not in strategies.STRATEGIES:
            raise ValueError(f"strategy must be one of {', '.join(strategies.STRATEGIES)}")
        if isinstance(model, str):
            if model == "auto":
                fits = self._auto_head(constraints, need, max_tokens, workload)
            else:
                fits = self._fitting(self.resolve(model), need, max_tokens, model)
            ordered = self._order(model, fits, workload, strategy)
        else:
            if not model:
                raise NoCandidates("the fallback chain is empty")
            ordered, seen, failures = [], set(), []
            inner = "cheapest" if strategy == "fallback" else strategy
            for spec in model:
                try:
                    if spec == "auto":
                        fits = self._auto_head(constraints, need, max_tokens, workload)
                    else:
                        fits = self._fitting(self.resolve(spec), need, max_tokens, spec)
                except NoCandidates as exc:
                    failures.append(str(exc))
                    continue
                for o in self._order(spec, fits, workload, inner):
                    if o.key not in seen:
                        seen.add(o.key)
                        ordered.append(o)
            if not ordered:
                raise NoCandidates(
                    "no entry of the fallback chain is usable: " + "; ".join(failures)
                )
        now = self.clock()
        is_open = self.health.is_open
        if any(is_open(o.key, now) for o in ordered):
            ordered = [o for o in ordered if not is_open(o.key, now)] + [
                o for o in ordered if is_open(o.key, now)
            ]
        return ordered

    def _auto_head(
        self,
        constraints: Criteria | Mapping[str, Any] | None,
        need: PromptShape,
        max_tokens: int | None,
        w: strategies.Workload,
    ) -> list[Offering]:
        """The ``auto_limit`` cheapest offerings that fit the request, for ``"auto"``.

        ``auto`` can match thousands of offerings; ranking them all per request would cost
        milliseconds, and nobody wants thousands of attempts. So the matches are sorted once per
        output:input ratio band (half an octave wide) and cached; each request walks that order,
        keeps the first ``auto_limit`` that fit, and the strategy then orders those exactly.
        """
        pool = self.auto(constraints)
        ratio = max(w.output_tokens, 1) / max(w.input_tokens, 1)
        band = round(math.log2(ratio) * 2)
        key = (None if constraints is None else criteria_of(constraints), band)
        ranked = self._auto_sorted.get(key)
        if ranked is None:
            r = 2 ** (band / 2)
            ranked = strategies.cheapest(pool, strategies.Workload(1_000_000, int(1_000_000 * r)))
            self._auto_sorted[key] = ranked
        head: list[Offering] = []
        for o in ranked:
            if self._fits(o, need, max_tokens):
                head.append(o)
                if len(head) >= self.auto_limit:
                    break
        if not head:
            self._fitting(pool, need, max_tokens, "auto")  # raises with the reason
        return head

    def _order(
        self, spec: str, cands: list[Offering], w: strategies.Workload, strategy: str
    ) -> list[Offering]:
        if strategy == "cheapest":
            return strategies.cheapest(cands, w, self.provider_weights())
        if strategy == "fastest":
            return strategies.fastest(cands, w, self.health)
        if strategy == "balanced":
            return strategies.balanced(cands, w, self.health, self.weights)
        if strategy == "round-robin":
            return self.round_robin.order(spec, cands)
        return list(cands)  # fallback: the given (catalog) order

    @staticmethod
    def _fits(o: Offering, need: PromptShape, max_tokens: int | None) -> bool:
        """Can ``o`` take the request: context, output limit, tools, schema, images?"""
        if o.context_window and need.tokens + (max_tokens or 0) > o.context_window:
            return False
        if max_tokens and o.max_output_tokens and max_tokens > o.max_output_tokens:
            return False
        caps = o.capabilities
        if caps:
            if need.tools and "tools" not in caps:
                return False
            if need.json_schema and "structured_output" not in caps:
                return False
        return not (need.images and o.input_modalities and "image" not in o.input_modalities)

    @staticmethod
    def _fitting(
        cands: list[Offering], need: PromptShape, max_tokens: int | None, spec: str
    ) -> list[Offering]:
        fits = Planner._fits
        kept = [o for o in cands if fits(o, need, max_tokens)]
        if not kept:
            largest = max((o.context_window or 0 for o in cands), default=0)
            raise NoCandidates(
                f"no candidate for {spec!r} can take this request (about {need.tokens:,} prompt "
                f"tokens + {max_tokens or 0:,} max_tokens; largest context {largest:,}"
                + (", tools needed" if need.tools else "")
                + (", images given" if need.images else "")
                + ")"
            )
        return kept
