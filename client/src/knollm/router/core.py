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
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import openai

from knollm.costs import estimate_cost
from knollm.records import Offering
from knollm.router.accounting import (
    Attempt,
    Ledger,
    RequestLog,
    RouteInfo,
    Usage,
    price,
    usage_of,
)
from knollm.router.errors import AllCandidatesFailed, BudgetExceeded, RouterError
from knollm.router.health import Health
from knollm.router.keys import ApiKey, KeyRing
from knollm.router.limits import Limiter, Spec
from knollm.router.planner import Endpoint, Planner
from knollm.router.strategies import Workload
from knollm.router.tokens import shape

if TYPE_CHECKING:
    from knollm.cache.hook import RouterCache
    from knollm.router.strategies import Adaptive
    from knollm.usage.budgets import Limit
    from knollm.usage.meter import Meter

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
    probe: bool = False  # this attempt is its offering's half-open breaker probe
    limits: Sequence[Spec] = ()  # rate-limit buckets it drew on (given back if never sent)
    delay: float = 0.0  # seconds until its rate-limit slot, when it was queued for one


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
        clock: Callable[[], float] = time.monotonic,
        limiter: Limiter | None = None,
        cache: RouterCache | None = None,
        link: Any = None,
        meter: Meter | None = None,
        adaptive: Adaptive | None = None,
    ) -> None:
        self.planner, self.keyring, self.health, self.ledger = planner, keyring, health, ledger
        self.limiter, self.cache = limiter, cache
        self.link = link  # the Redis link sharing state with other processes (router.shared)
        self.meter = meter  # budgets and usage records (knollm.usage)
        self.adaptive = adaptive  # the adaptive strategy's estimates
        self.clock = clock
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
        if chosen == "adaptive" and self.adaptive is not None:
            order = self.adaptive.order(order, workload, self.clock())
        spec = model if isinstance(model, str) else " > ".join(model)
        return Run(self, spec, order, workload, chosen, messages)

    def estimate(self, o: Offering, w: Workload) -> float | None:
        """Worst expected cost of one request at ``o`` (None when a price is unknown)."""
        est = estimate_cost(o, w.input_tokens, w.output_tokens, requests=1)
        return est.total if est.complete else None

    def scrub_exception(self, exc: BaseException) -> BaseException:
        """Hide every known key in an error, in place: its message and args, and for the SDK's
        errors also ``body``, ``response`` (text and headers) and ``request`` (whose
        ``Authorization`` header carries the key)."""
        scrub = self.keyring.scrub
        exc.args = tuple(scrub(a) if isinstance(a, str) else a for a in exc.args)
        if isinstance(getattr(exc, "message", None), str):
            exc.message = scrub(exc.message)  # type: ignore[attr-defined]
        if isinstance(exc, openai.APIError):
            exc.body = scrub_data(exc.body, scrub)
            for name in ("code", "param", "type"):
                value = getattr(exc, name, None)
                if isinstance(value, str):
                    setattr(exc, name, scrub(value))
            # The SDK's transport is httpx or its successor httpx2: go by shape, not by class.
            request = getattr(exc, "request", None)
            if hasattr(request, "headers") and hasattr(request, "url"):
                exc.request = scrub_request(request, scrub)
            response = getattr(exc, "response", None)
            if hasattr(response, "status_code") and hasattr(response, "headers"):
                exc.response = scrub_response(response, scrub)  # type: ignore[attr-defined]
        return exc


def scrub_data(value: Any, scrub: Callable[[str], str]) -> Any:
    """A copy of parsed JSON with ``scrub`` applied to every string, keys included."""
    if isinstance(value, str):
        return scrub(value)
    if isinstance(value, Mapping):
        return {scrub_data(k, scrub): scrub_data(v, scrub) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [scrub_data(v, scrub) for v in value]
    return value


def _scrub_headers(headers: Any, scrub: Callable[[str], str]) -> list[tuple[str, str]]:
    out = []
    for name, value in headers.multi_items():
        if name.lower() in ("authorization", "api-key", "x-api-key"):
            value = "[redacted]"
        out.append((name, scrub(value)))
    return out


def scrub_request(request: Any, scrub: Callable[[str], str]) -> Any:
    """A copy of an HTTP request without credentials: auth headers redacted, no body."""
    return type(request)(
        request.method, request.url, headers=_scrub_headers(request.headers, scrub)
    )


def scrub_response(response: Any, scrub: Callable[[str], str]) -> Any:
    """A copy of a (read) error response whose text and headers have every key scrubbed."""
    try:
        text = response.text
    except Exception:  # noqa: BLE001 - a streamed response not read: nothing to keep
        text = ""
    sent = getattr(response, "_request", None)
    request = scrub_request(sent, scrub) if sent is not None else None
    # The copy's content is decoded text: drop the headers that described the encoded body.
    headers = [
        (k, v)
        for k, v in _scrub_headers(response.headers, scrub)
        if k.lower() not in ("content-encoding", "content-length", "transfer-encoding")
    ]
    return type(response)(
        response.status_code,
        headers=headers,
        content=scrub(text).encode(),
        request=request,
    )


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
        self.tokens = w.input_tokens + w.output_tokens  # what a tpm limit counts
        self.queue = list(order)
        self.i = 0
        self.bypass = False  # last-resort pass over offerings whose breaker is open
        self.deferred: list[Offering] = []
        self.dead: set[str] = set()
        self.attempts: list[Attempt] = []
        self.over_budget: list[tuple[Offering, float | None]] = []
        self.throttled: list[Offering] = []  # held back by a rate limit in this pass
        self.limited: set[str] = set()  # providers whose rate limits held the request back
        self.ready: Target | None = None  # a target whose rate-limit slot is being waited for
        self.waited = 0.0
        self.started = self.core.clock()
        self.streaming = False
        self.limits: list[tuple[Limit, Offering, float | None]] = []  # budgets that refused
        # The response cache's hook (knollm.usage.meter): set when it answers the request.
        self.cache_hit = False
        self.cache_saved: float | None = None

    # -- choosing ----------------------------------------------------------------------------

    def next(self) -> Target | float | None:
        """The next attempt, seconds to wait before asking again, or None when exhausted."""
        core = self.core
        if self.ready is not None:  # its rate-limit slot has come: send it, then the rest
            target, self.ready = self.ready, None
            target.started = core.clock()  # its latency counts from now, not from the wait
            o = target.offering
            self.queue = [o, *(p for p in self.plan if p is not o)]
            self.deferred, self.i, self.bypass = [], 0, False
            return target
        while True:
            while self.i < len(self.queue):
                o = self.queue[self.i]
                if o.key in self.dead:
                    self.i += 1
                    continue
                now = self.core.clock()
                admitted = "pass" if self.bypass else core.health.admit(o.key, now)
                if admitted is None:
                    self.deferred.append(o)
                    self.i += 1
                    continue
                found = self._target(o, admitted == "probe", now, 0.0)
                if isinstance(found, Target):
                    return found
                self.i += 1
            if self.deferred and not self.bypass:
                self.queue, self.deferred, self.i, self.bypass = self.deferred, [], 0, True
                continue
            wait = self._queue_for_limit() if self.throttled else None
            if wait is None:
                wait = self._rest()
            if wait is None:
                return None
            if self.ready is None:
                self.queue, self.deferred, self.i, self.bypass = list(self.plan), [], 0, False
            self.throttled = []
            self.waited += wait
            return wait

    def _target(
        self, o: Offering, probe: bool, now: float, max_wait: float
    ) -> Target | float | None:
        """Take a key, a rate-limit slot within ``max_wait`` and the budget for ``o``: the
        target, the seconds its slot is away when that is more than ``max_wait`` (nothing
        held), or None (no key, or over budget; nothing held)."""
        core = self.core
        endpoint = core.planner.endpoints[o.provider]
        key = endpoint.pool.pick(now)
        if key is None:
            if probe:
                core.health.released(o.key)
            return None
        limiter = core.limiter
        specs = limiter.specs(o.provider, key.fingerprint, self.tokens) if limiter else []
        wait = limiter.take(specs, max_wait, now) if limiter and specs else 0.0
        if wait is None:
            assert limiter is not None
            ahead = limiter.wait(specs, now)
            endpoint.pool.finish(key, False)
            if probe:
                core.health.released(o.key)
            self.throttled.append(o)
            self.limited.add(o.provider)
            return ahead
        cost = core.estimate(o, self.workload)
        if core.ledger.budget is not None and (cost is None or not core.ledger.reserve(cost)):
            if limiter and specs:
                limiter.give(specs, now)
            endpoint.pool.finish(key, False)
            if probe:
                core.health.released(o.key)
            self.over_budget.append((o, cost))
            self.dead.add(o.key)
            return None
        refused = core.meter.admit(o, cost) if core.meter is not None else None
        if refused is not None:  # a configured budget (knollm.usage.budgets) would be passed
            if core.ledger.budget is not None:
                core.ledger.release(cost or 0.0)
            if limiter and specs:
                limiter.give(specs, now)
            endpoint.pool.finish(key, False)
            if probe:
                core.health.released(o.key)
            self.over_budget.append((o, cost))
            self.limits.append((refused, o, cost))
            self.dead.add(o.key)
            return None
        return Target(o, key, endpoint, cost or 0.0, now, probe, specs, wait)

    def _queue_for_limit(self) -> float | None:
        """Every live candidate was held back by a rate limit: queue for the one whose slot
        comes first (within ``max_wait``) and return the seconds until it; the target waits
        in ``ready``."""
        core = self.core
        left = core.max_wait - self.waited
        now = core.clock()
        best: tuple[float, Offering] | None = None
        for o in {o.key: o for o in self.throttled}.values():
            if o.key in self.dead:
                continue
            endpoint = core.planner.endpoints[o.provider]
            key = endpoint.pool.pick(now)
            if key is None:
                continue
            assert core.limiter is not None
            ahead = core.limiter.wait(
                core.limiter.specs(o.provider, key.fingerprint, self.tokens), now
            )
            endpoint.pool.finish(key, False)
            if best is None or ahead < best[0]:
                best = (ahead, o)
        if best is None or best[0] > left:
            return None
        o = best[1]
        admitted = core.health.admit(o.key, now) or "pass"  # the breaker was asked this pass
        target = self._target(o, admitted == "probe", now, left)
        if not isinstance(target, Target):
            return None
        self.ready = target
        return target.delay

    def cancel(self) -> None:
        """The caller gave up while waiting (task cancelled, interrupt): free the target queued
        for a rate-limit slot, its tokens included, since it was never sent."""
        target, self.ready = self.ready, None
        if target is None:
            return
        core = self.core
        core.ledger.release(target.reserved)
        target.endpoint.pool.finish(target.key, False)
        if target.probe:
            core.health.released(target.offering.key)
        if core.limiter is not None:
            core.limiter.give(target.limits, core.clock())

    def _rest(self) -> float | None:
        """Seconds until a rate-limited key of a live candidate is usable, within ``max_wait``."""
        now = self.core.clock()
        times = []
        for o in self.plan:
            if o.key in self.dead:
                continue
            ready = self.core.planner.endpoints[o.provider].pool.ready_at(now)
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
        now = core.clock()
        o, key = target.offering, target.key
        core.ledger.release(target.reserved)
        if core.meter is not None:
            core.meter.release(target)
        outcome, status = classify(exc)
        detail = core.keyring.scrub(_describe(exc))
        self.attempts.append(
            Attempt(o.key, outcome, status, key.fingerprint, now - target.started, detail)
        )
        pool = target.endpoint.pool
        pool.finish(key, False)
        if outcome in ("key-rejected", "rate-limited", "fatal") and target.probe:
            core.health.released(o.key)  # no verdict on the offering: let another probe go
        if outcome == "key-rejected":
            pool.disable(key, status, detail)
        elif outcome == "rate-limited":
            assert isinstance(exc, openai.APIStatusError)
            pool.limit(key, now + retry_after(exc))
        elif outcome == "fatal":
            self._log(None, exc)
            raise core.scrub_exception(exc)
        else:
            core.health.failed(o.key, now)
            self.dead.add(o.key)
            self.i += 1
        log.info("knollm router: %s failed (%s); trying the next candidate", o.key, detail)

    def succeeded(self, target: Target, response: Any, streaming: bool = False) -> RouteInfo:
        """Book an answer (or a stream's first chunk) and attach its ``RouteInfo``."""
        now = self.core.clock()
        o = target.offering
        self.streaming = streaming
        target.endpoint.pool.finish(target.key, True)
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
        self._log(info, None, reserved)

    def cached(self, o: Offering, usage: Usage | None) -> RouteInfo:
        """Book an answer served from the response cache: no provider called, nothing spent."""
        self.attempts.append(Attempt(o.key, "cache", None, None, 0.0))
        would = RouteInfo(o, [], usage)
        if usage is not None:
            price(would)
        self.cache_hit, self.cache_saved = True, would.cost  # the usage record's cache fields
        info = RouteInfo(o, self.attempts, usage, 0.0, cost_source="cache")
        info.seconds = self.core.clock() - self.started
        self._log(info, None)
        return info

    def abandoned(self, target: Target, why: str = "cancelled") -> None:
        """The caller gave up on an attempt (task cancelled, interrupt) before it answered:
        free everything the attempt held (budget reservation, key slot, half-open probe) and
        log it; the offering's health is not judged."""
        core = self.core
        now = core.clock()
        core.ledger.release(target.reserved)
        if core.meter is not None:
            core.meter.release(target)
        target.endpoint.pool.finish(target.key, False)
        if target.probe:
            core.health.released(target.offering.key)
        self.attempts.append(
            Attempt(target.offering.key, why, None, target.key.fingerprint, now - target.started)
        )
        self._log(None, RouterError(f"request {why} by the caller"))

    def stream_abandoned(self, info: RouteInfo, target: Target, why: str) -> None:
        """A stream was closed, dropped or cancelled before its end: book what is known (the
        usage if a usage chunk came, else the estimate, since tokens were likely spent)."""
        now = self.core.clock()
        self.attempts.append(
            Attempt(target.offering.key, why, None, target.key.fingerprint, now - target.started)
        )
        self.settle(info, target.reserved)

    def stream_failed(self, info: RouteInfo, target: Target, exc: BaseException) -> None:
        """A stream broke after its first chunk: count it against the offering, charge the
        estimate (tokens were likely spent), log, and let the caller see the error."""
        now = self.core.clock()
        self.core.health.failed(target.offering.key, now)
        _, status = classify(exc)
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
        if self.limits and not tried and self.core.meter is not None:
            lim, o, cost = min(self.limits, key=lambda t: (t[2] is None, t[2] or 0.0))
            error: RouterError = self.core.meter.budgets.exceeded(
                lim, f"{o.provider}/{o.provider_model_id}", cost
            )
        elif self.over_budget and not tried:
            ledger = self.core.ledger
            o, cost = min(self.over_budget, key=lambda p: (p[1] is None, p[1] or 0.0))
            need = f"up to ${cost:.6f}" if cost is not None else "an unknown amount (no price)"
            error = BudgetExceeded(
                f"budget ${ledger.budget:.6f} would be exceeded: spent ${ledger.spent:.6f}, "
                f"in flight ${ledger.reserved:.6f}; the cheapest candidate, {o.provider}/"
                f"{o.provider_model_id}, needs {need} for this request (set max_tokens to lower "
                "the estimate)",
                limit=ledger.budget,
                spent=ledger.spent,
            )
        else:
            parts = [
                f"{a.offering}: {a.outcome}" + (f" ({a.detail})" if a.detail else "") for a in tried
            ]
            if not tried and not self.limited:
                parts = ["no candidate had a usable API key (all rejected or rate-limited)"]
            if self.over_budget:
                parts.append(f"{len(self.over_budget)} candidate(s) skipped: over budget")
            if self.limited:
                parts.append(
                    "held back by the configured rate limits (rpm/tpm) of "
                    + ", ".join(sorted(self.limited))
                    + f" beyond max_wait={self.core.max_wait:g}s"
                )
            error = AllCandidatesFailed(
                self.core.keyring.scrub(
                    f"no candidate answered {self.spec!r} after {len(tried)} attempt(s): "
                    + "; ".join(parts)
                ),
                self.attempts,
            )
        self._log(None, error)
        return error

    def _log(
        self, info: RouteInfo | None, error: BaseException | None, reserved: float = 0.0
    ) -> None:
        """The request's outcome is known (called once per request): write its usage record,
        teach the adaptive strategy, append the request log line."""
        core = self.core
        if core.meter is not None:
            core.meter.finish(self, info, error, reserved)
        if core.adaptive is not None:
            core.adaptive.observe(self, info)
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
    return {
        k: v for k, v in params.items() if k not in ("model", "strategy", "constraints", "cache")
    }
