"""The state shared by the sync and async routers, and one request's walk through its candidates.

``Run`` decides; the routers only send. ``Run.next()`` hands out the next (offering, key) to try,
or a number of seconds to wait for a rate-limited key, or None when nothing is left;
``Run.failed()`` classifies an error and either moves on or raises it; ``Run.succeeded()`` books
the answer. Error classes:

* 401, 403, 402 (key rejected, or out of credit): that key is taken out, another key of the same
  provider is tried, then the next offering;
* 429: that key rests for ``Retry-After`` seconds, another key or offering is tried; when only
  resting keys remain, the request waits for the first one (up to ``max_wait`` seconds in all);
* 5xx, 404 (offering gone), 408, 409, timeouts and connection errors: the offering's breaker counts
  a failure and the next offering is tried;
* any other 4xx (400, 413, 422 ...): the request itself is wrong; raised at once, never retried.
"""

from __future__ import annotations

import email.utils
import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import openai

from knollm.costs import estimate_cost
from knollm.records import Offering
from knollm.router.accounting import Attempt, Ledger, RequestLog, RouteInfo, price, usage_of
from knollm.router.errors import AllCandidatesFailed, BudgetExceeded, RouterError
from knollm.router.health import Health
from knollm.router.keys import ApiKey, KeyRing
from knollm.router.planner import Endpoint, Planner
from knollm.router.strategies import Workload
from knollm.router.tokens import shape

log = logging.getLogger("knollm.router")

KEY_REJECTED = frozenset({401, 402, 403})
OFFERING_FAILED = frozenset({404, 408, 409})
DEFAULT_RETRY_AFTER = 1.0
MAX_RETRY_AFTER = 600.0


@dataclass(slots=True)
class Target:
    """One attempt to make: which offering, with which key, at which endpoint."""

    offering: Offering
    key: ApiKey
    endpoint: Endpoint
    reserved: float
    started: float


def retry_after(exc: openai.APIStatusError) -> float:
    """Seconds to rest a key after a 429: ``retry-after-ms``, ``Retry-After`` (seconds or an
    HTTP date), else a default; capped at ten minutes."""
    headers = exc.response.headers
    value = headers.get("retry-after-ms")
    try:
        if value is not None:
            return min(max(float(value) / 1000, 0.0), MAX_RETRY_AFTER)
        value = headers.get("retry-after")
        if value is not None:
            try:
                seconds = float(value)
            except ValueError:
                when = email.utils.parsedate_to_datetime(value)
                seconds = when.timestamp() - time.time()
            return min(max(seconds, 0.0), MAX_RETRY_AFTER)
    except (TypeError, ValueError):
        pass
    return DEFAULT_RETRY_AFTER


def classify(exc: BaseException) -> tuple[str, int | None]:
    """(outcome, HTTP status) of a transport error; outcome ``fatal`` means do not retry."""
    if isinstance(exc, openai.APITimeoutError):
        return "timeout", None
    if isinstance(exc, openai.APIConnectionError):
        return "connection", None
    if isinstance(exc, openai.APIStatusError):
        status = exc.status_code
        if status == 429:
            return "rate-limited", status
        if status in KEY_REJECTED:
            return "key-rejected", status
        if status >= 500:
            return "server-error", status
        if status in OFFERING_FAILED:
            return "offering-failed", status
        return "fatal", status
    if isinstance(exc, openai.APIResponseValidationError):
        return "offering-failed", exc.status_code
    if type(exc).__module__.split(".")[0] in ("httpx", "httpx2", "httpcore", "h11"):
        return "connection", None  # a transport error the SDK let through (mid-stream)
    return "fatal", None


class Core:
    """Configuration and shared state of a router: catalog plan, keys, health, money, log."""

    def __init__(
        self,
        planner: Planner,
        keyring: KeyRing,
        health: Health,
        ledger: Ledger,
        request_log: RequestLog | None,
        *,
        strategy: str,
        timeout: float,
        max_wait: float,
        expected_output_tokens: int,
        stream_usage: bool,
    ) -> None:
        self.planner, self.keyring, self.health, self.ledger = planner, keyring, health, ledger
        self.request_log = request_log
        self.strategy, self.timeout, self.max_wait = strategy, timeout, max_wait
        self.expected_output_tokens = expected_output_tokens
        self.stream_usage = stream_usage

    def start(
        self, model: Any, params: dict[str, Any], strategy: str | None, constraints: Any
    ) -> Run:
        """Plan a request: measure it, pick and order candidates. Raises NoCandidates."""
        if not isinstance(model, str) and not (
            isinstance(model, Sequence) and all(isinstance(m, str) for m in model)
        ):
            raise TypeError("model must be a string or a list of strings (a fallback chain)")
        messages = params.get("messages")
        if not isinstance(messages, Sequence) or isinstance(messages, str):
            raise TypeError("messages must be a list of message dicts")
        need = shape(
            messages, params.get("tools"), params.get("functions"), params.get("response_format")
        )
        max_tokens = params.get("max_completion_tokens") or params.get("max_tokens")
        if max_tokens is not None and not isinstance(max_tokens, int):
            max_tokens = None
        out = max_tokens or self.expected_output_tokens
        chosen = strategy or (self.strategy if isinstance(model, str) else "fallback")
        workload = Workload(need.tokens, out)
        order = self.planner.plan(model, need, max_tokens, workload, chosen, constraints)
        spec = model if isinstance(model, str) else " > ".join(model)
        return Run(self, spec, order, workload, chosen, messages)

    def estimate(self, o: Offering, w: Workload) -> float | None:
        """Worst expected cost of one request at ``o`` (None when a price is unknown)."""
        est = estimate_cost(o, w.input_tokens, w.output_tokens, requests=1)
        return est.total if est.complete else None

    def scrub_exception(self, exc: BaseException) -> BaseException:
        """Hide any known key that a server echoed into an error's message, in place."""
        scrub = self.keyring.scrub
        exc.args = tuple(scrub(a) if isinstance(a, str) else a for a in exc.args)
        if isinstance(getattr(exc, "message", None), str):
            exc.message = scrub(exc.message)  # type: ignore[attr-defined]
        return exc


class Run:
    """One request's progress through its ordered candidates."""

    def __init__(
        self,
        core: Core,
        spec: str,
        order: list[Offering],
        w: Workload,
        strategy: str,
        messages: Any = None,
    ) -> None:
        self.core, self.spec, self.plan, self.workload = core, spec, order, w
        self.messages = messages
        self.strategy = strategy
        self.queue = list(order)
        self.i = 0
        self.bypass = False  # last-resort pass over offerings whose breaker is open
        self.deferred: list[Offering] = []
        self.dead: set[str] = set()
        self.attempts: list[Attempt] = []
        self.over_budget: list[tuple[Offering, float | None]] = []
        self.waited = 0.0
        self.started = time.monotonic()

    # -- choosing ----------------------------------------------------------------------------

    def next(self) -> Target | float | None:
        """The next attempt, seconds to wait before asking again, or None when exhausted."""
        core = self.core
        while True:
            while self.i < len(self.queue):
                o = self.queue[self.i]
                if o.key in self.dead:
                    self.i += 1
                    continue
                now = time.monotonic()
                if not self.bypass and not core.health.allow(o.key, now):
                    self.deferred.append(o)
                    self.i += 1
                    continue
                endpoint = core.planner.endpoints[o.provider]
                key = endpoint.pool.pick(now)
                if key is None:
                    core.health.released(o.key)
                    self.i += 1
                    continue
                cost = core.estimate(o, self.workload)
                if core.ledger.budget is not None and (
                    cost is None or not core.ledger.reserve(cost)
                ):
                    core.health.released(o.key)
                    self.over_budget.append((o, cost))
                    self.dead.add(o.key)
                    self.i += 1
                    continue
                return Target(o, key, endpoint, cost or 0.0, now)
            if self.deferred and not self.bypass:
                self.queue, self.deferred, self.i, self.bypass = self.deferred, [], 0, True
                continue
            wait = self._rest()
            if wait is None:
                return None
            self.queue, self.deferred, self.i, self.bypass = list(self.plan), [], 0, False
            self.waited += wait
            return wait

    def _rest(self) -> float | None:
        """Seconds until a rate-limited key of a live candidate is usable, within ``max_wait``."""
        now = time.monotonic()
        times = []
        for o in self.plan:
            if o.key in self.dead:
                continue
            ready = self.core.planner.endpoints[o.provider].pool.ready_at()
            if ready is not None:
                times.append(ready)
        if not times:
            return None
        wait = max(min(times) - now, 0.0)
        if self.waited + wait > self.core.max_wait:
            return None
        return wait + 0.001

    # -- outcomes ----------------------------------------------------------------------------

    def failed(self, target: Target, exc: BaseException) -> None:
        """Book a failed attempt and move on; raises ``exc`` (scrubbed) if it must not be retried."""
        core = self.core
        now = time.monotonic()
        o, key = target.offering, target.key
        core.ledger.release(target.reserved)
        outcome, status = classify(exc)
        detail = core.keyring.scrub(_describe(exc))
        self.attempts.append(
            Attempt(o.key, outcome, status, key.fingerprint, now - target.started, detail)
        )
        pool = target.endpoint.pool
        if outcome == "key-rejected":
            core.health.released(o.key)
            pool.disable(key, status, detail)
        elif outcome == "rate-limited":
            core.health.released(o.key)
            assert isinstance(exc, openai.APIStatusError)
            pool.limit(key, now + retry_after(exc))
        elif outcome == "fatal":
            core.health.released(o.key)
            self._log(None, exc)
            raise core.scrub_exception(exc)
        else:
            core.health.failed(o.key, now)
            self.dead.add(o.key)
            self.i += 1
        log.info("knollm router: %s failed (%s); trying the next candidate", o.key, detail)

    def succeeded(self, target: Target, response: Any, streaming: bool = False) -> RouteInfo:
        """Book an answer (or a stream's first chunk) and attach its ``RouteInfo``."""
        now = time.monotonic()
        o = target.offering
        self.core.health.succeeded(o.key, now - target.started, now)
        self.attempts.append(
            Attempt(o.key, "ok", 200, target.key.fingerprint, now - target.started)
        )
        info = RouteInfo(o, self.attempts, seconds=now - self.started)
        if not streaming:
            info.usage = usage_of(getattr(response, "usage", None))
            self.settle(info, target.reserved)
        return info

    def settle(self, info: RouteInfo, reserved: float) -> None:
        """Price the answer from its usage (or the estimate when there is none) and book it."""
        if info.usage is not None:
            price(info)
        else:
            info.cost, info.cost_source = reserved if reserved else None, "estimate"
        self.core.ledger.record(info, reserved)
        self._log(info, None)

    def stream_failed(self, info: RouteInfo, target: Target, exc: BaseException) -> None:
        """A stream broke after its first chunk: count it against the offering, charge the
        estimate (tokens were likely spent), log, and let the caller see the error."""
        now = time.monotonic()
        self.core.health.failed(target.offering.key, now)
        outcome, status = classify(exc)
        self.attempts.append(
            Attempt(
                target.offering.key,
                "stream-interrupted",
                status,
                target.key.fingerprint,
                now - target.started,
                self.core.keyring.scrub(_describe(exc)),
            )
        )
        self.settle(info, target.reserved)

    def exhausted(self) -> RouterError:
        """The error to raise when no candidate answered."""
        tried = [a for a in self.attempts if a.outcome != "ok"]
        if self.over_budget and not tried:
            ledger = self.core.ledger
            o, cost = min(self.over_budget, key=lambda p: (p[1] is None, p[1] or 0.0))
            need = f"up to ${cost:.6f}" if cost is not None else "an unknown amount (no price)"
            error: RouterError = BudgetExceeded(
                f"budget ${ledger.budget:.6f} would be exceeded: spent ${ledger.spent:.6f}, "
                f"in flight ${ledger.reserved:.6f}; the cheapest candidate, {o.provider}/"
                f"{o.provider_model_id}, needs {need} for this request (set max_tokens to lower "
                "the estimate)"
            )
        else:
            parts = [
                f"{a.offering}: {a.outcome}" + (f" ({a.detail})" if a.detail else "") for a in tried
            ]
            if not tried:
                parts = ["no candidate had a usable API key (all rejected or rate-limited)"]
            if self.over_budget:
                parts.append(f"{len(self.over_budget)} candidate(s) skipped: over budget")
            error = AllCandidatesFailed(
                self.core.keyring.scrub(
                    f"no candidate answered {self.spec!r} after {len(tried)} attempt(s): "
                    + "; ".join(parts)
                ),
                self.attempts,
            )
        self._log(None, error)
        return error

    def _log(self, info: RouteInfo | None, error: BaseException | None) -> None:
        rl = self.core.request_log
        if rl is None:
            return
        entry: dict[str, Any] = {
            "requested": self.spec,
            "strategy": self.strategy,
            "ok": error is None,
        }
        if info is not None:
            entry.update(info.as_dict())
        else:
            entry["attempts"] = [_attempt_dict(a) for a in self.attempts]
            entry["error"] = f"{type(error).__name__}: {error}"
        rl.write(entry, self.messages if rl.include_prompts else None)


def _attempt_dict(a: Attempt) -> dict[str, Any]:
    return {
        "offering": a.offering,
        "outcome": a.outcome,
        "status": a.status,
        "key": a.key,
        "seconds": round(a.seconds, 4),
        "detail": a.detail,
    }


def _describe(exc: BaseException) -> str:
    if isinstance(exc, openai.APIStatusError):
        return f"HTTP {exc.status_code}: {str(exc.message)[:200]}"
    if isinstance(exc, openai.APITimeoutError):
        return "timed out"
    text = str(exc) or type(exc).__name__
    return f"{type(exc).__name__}: {text[:200]}"


def chat_params(params: Mapping[str, Any]) -> dict[str, Any]:
    """The keyword arguments to pass on to the SDK (everything but the router's own)."""
    return {k: v for k, v in params.items() if k not in ("model", "strategy", "constraints")}
