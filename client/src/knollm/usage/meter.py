"""What the router calls around each request: budgets before sending, one usage record after.

A usage record (a row of ``requests`` in the usage file, see :mod:`knollm.usage.store`) is written
once per routed request, when its outcome is known: answered (for a stream: when it ends),
refused by a budget, failed at every candidate, failed with an error that is not retried, or
given up by the caller. A request that names nothing the router can call (``NoCandidates``)
never reaches a provider and is not recorded. Fields:

* ``ts`` (unix seconds, UTC, when the outcome was known), ``day`` (its UTC date), ``profile``;
* ``requested`` (the model spec asked for), ``strategy``; ``provider``, ``model`` (canonical)
  and ``offering`` (the API id) of the offering that answered, else of the last one tried;
* ``outcome``: ``ok``; ``closed`` / ``abandoned`` (a stream given up by the caller);
  ``stream-interrupted``; ``error`` (a provider error that is not retried, e.g. 400);
  ``failed`` (every candidate failed); ``budget`` (refused before sending);
  ``cancelled`` / ``interrupted`` (the caller gave up before an answer). ``error``: the error
  message, keys scrubbed;
* ``attempts``: sends made (one row each in ``attempts``: offering, outcome, status, seconds);
* ``prompt_tokens`` (cached included), ``completion_tokens``, ``cached_tokens``; ``cost`` (USD
  from the catalog's prices, None when a price is unknown or nothing was answered),
  ``cost_source`` (``usage`` or ``estimate``); ``saved``: USD the caches saved (cached prompt
  tokens at the cache-read price instead of the input price; for a response-cache hit, what the
  answer would have cost);
* ``latency_s`` (from routing to the outcome: a stream's end), ``ttft_s`` (a stream's first
  chunk; None otherwise), ``stream``;
* ``cache_hit``: False until a response cache answers requests. **Hook:** a cache that answers
  a request sets ``run.cache_hit = True`` and ``run.cache_saved`` (USD the answer would have
  cost at its offering) before the run is settled; the record keeps both;
* ``prompt``: the request's messages as JSON, only with ``usage_prompts = true`` (keys scrubbed).

API keys are never written: not the key, not its fingerprint.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import orjson

from knollm.records import Offering
from knollm.router.errors import AllCandidatesFailed, BudgetExceeded
from knollm.usage.budgets import Budgets, Limit
from knollm.usage.store import AttemptRow, UsageStore

if TYPE_CHECKING:
    from knollm.router.accounting import Attempt, RouteInfo
    from knollm.router.core import Run, Target

#: Attempt outcomes that say the caller gave up, not the provider.
CALLER = frozenset({"cancelled", "interrupted", "closed", "abandoned"})
#: Request outcomes counted as errors in reports.
ERRORS = frozenset({"error", "failed", "stream-interrupted"})


def sends(attempts: list[Attempt]) -> list[Attempt]:
    """The attempts that were sends: a stream's later lifecycle entries (closed, cut...) that
    follow its ``ok`` are not."""
    for i, a in enumerate(attempts):
        if a.outcome == "ok":
            return attempts[: i + 1]
    return attempts


def prompt_savings(o: Offering, cached_tokens: int) -> float:
    """USD the provider's prompt cache saved: cached tokens at cache-read instead of input."""
    p = o.pricing
    if not cached_tokens or p.input is None or p.cache_read is None or p.cache_read >= p.input:
        return 0.0
    return cached_tokens * (p.input - p.cache_read) / 1e6


class Meter:
    """Budgets and the usage file for one router (shared across reloads while the file is)."""

    def __init__(
        self,
        store: UsageStore | None,
        budgets: Budgets,
        *,
        profile: str | None = None,
        prompts: bool = False,
        scrub: Callable[[str], str] = lambda s: s,
        wall: Callable[[], float] = time.time,
    ) -> None:
        self.store, self.budgets = store, budgets
        self.profile, self.prompts, self.scrub, self.wall = profile, prompts, scrub, wall

    # -- before sending ----------------------------------------------------------------------

    def admit(self, o: Offering, cost: float | None) -> Limit | None:
        return self.budgets.admit(o.provider, cost)

    def release(self, target: Target) -> None:
        self.budgets.release(target.offering.provider, target.reserved)

    # -- after -------------------------------------------------------------------------------

    def finish(
        self, run: Run, info: RouteInfo | None, error: BaseException | None, reserved: float
    ) -> None:
        """Write the request's usage record, free its budget reservation, send alerts."""
        row, attempts, provider, cost = self.record(run, info, error)
        stored = self.store.append(row, attempts) is not None if self.store is not None else False
        if info is not None:
            self.budgets.release(info.provider, reserved)
        self.budgets.booked(provider, cost, stored=stored)

    def record(
        self, run: Run, info: RouteInfo | None, error: BaseException | None
    ) -> tuple[tuple[Any, ...], list[AttemptRow], str | None, float | None]:
        """The row (in :data:`knollm.usage.store.COLUMNS` order) and its attempt rows."""
        now = self.wall()
        tried = sends(run.attempts)
        by_key = {o.key: o for o in run.plan}
        o: Offering | None
        if info is not None:
            o = info.offering
            last = run.attempts[-1].outcome if run.attempts else "ok"
            outcome = "ok" if last == "ok" else last
        else:
            o = by_key.get(tried[-1].offering) if tried else None
            if isinstance(error, BudgetExceeded):
                outcome = "budget"
            elif isinstance(error, AllCandidatesFailed):
                outcome = "failed"
            elif run.attempts and run.attempts[-1].outcome in CALLER:
                outcome = run.attempts[-1].outcome
            else:
                outcome = "error"
        usage = info.usage if info is not None else None
        pin, pout, cached = (
            (usage.prompt_tokens, usage.completion_tokens, usage.cached_tokens)
            if usage
            else (0, 0, 0)
        )
        cost = info.cost if info is not None else None
        saved = prompt_savings(o, cached) if o is not None and info is not None else 0.0
        hit = bool(getattr(run, "cache_hit", False))
        if hit:
            saved += float(getattr(run, "cache_saved", 0.0) or 0.0)
        streaming = bool(getattr(run, "streaming", False))
        latency = run.core.clock() - run.started
        ttft = info.seconds if info is not None and streaming else None
        message = None
        if error is not None:
            message = self.scrub(f"{type(error).__name__}: {error}")[:500]
        prompt = None
        if self.prompts and run.messages is not None:
            prompt = self.scrub(orjson.dumps(run.messages, default=str).decode())
        row = (
            now,
            time.strftime("%Y-%m-%d", time.gmtime(now)),
            self.profile,
            run.spec,
            run.strategy,
            o.provider if o else None,
            o.model if o else None,
            o.provider_model_id if o else None,
            outcome,
            message,
            len(tried),
            pin,
            pout,
            cached,
            cost,
            info.cost_source if info is not None else None,
            saved,
            latency,
            ttft,
            int(streaming),
            int(hit),
            prompt,
        )
        rows = []
        for a in tried:
            provider, _, api_id = a.offering.partition(":")
            rows.append(AttemptRow(provider, api_id, a.outcome, a.status, a.seconds))
        return row, rows, (o.provider if o else None), cost

    def close(self) -> None:
        if self.store is not None:
            self.store.close()
