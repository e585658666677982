"""Budgets per profile: USD per UTC day and calendar month, in total and per provider.

Configured in the ``[budgets]`` table of the configuration files (or a profile's)::

    [budgets]
    daily = 5.0                 # every provider together, per UTC day
    monthly = 100.0
    alerts = [0.5, 0.8, 1.0]    # fractions of each limit that raise an alert
    webhook = "https://hooks.example.com/knollm"
    [budgets.providers.groq]
    daily = 1.0

What counts: the ``cost`` of every usage record of this profile in the window (every process
writing to the same usage file), plus what requests in flight in this process have reserved.
Before an offering is tried, its request's worst expected cost is reserved against every budget
that covers it; when that would pass a limit the offering is skipped, and when nothing else can
be tried the request fails with :class:`~knollm.router.errors.BudgetExceeded` naming the budget.
Nothing is sent. An offering whose price is unknown cannot be shown to fit, so a budget that
covers it skips it too.

Alerts: after a request is booked, each budget it counts against is checked; the first time a
window's spend reaches a threshold, the alert is logged (warning, ``knollm.usage``), passed to
the ``on_budget_alert`` callback and POSTed as JSON to ``webhook`` (in a background thread, 5 s
timeout, failures logged). Each alert goes out once per budget, window and threshold, across
every router sharing the usage file (the file keeps the ones sent).
"""

from __future__ import annotations

import calendar
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

from knollm.config.settings import BudgetSettings
from knollm.router.errors import BudgetExceeded
from knollm.usage.store import UsageStore

log = logging.getLogger("knollm.usage")

WINDOWS = ("daily", "monthly")
WEBHOOK_TIMEOUT = 5.0


@dataclass(frozen=True, slots=True)
class Limit:
    """One configured limit: ``name`` is its dotted config key."""

    name: str
    window: str
    amount: float
    provider: str | None = None

    def describe(self) -> str:
        scope = f"provider {self.provider}" if self.provider else "all providers"
        return f"{self.name} (${self.amount:g} {self.window}, {scope})"


@dataclass(frozen=True, slots=True)
class BudgetAlert:
    """A budget's spend reached one of its alert thresholds."""

    budget: str
    window: str
    period: str  # "2026-12-02" (daily) or "2026-12" (monthly), UTC
    provider: str | None
    profile: str | None
    limit: float
    spent: float
    threshold: float

    @property
    def fraction(self) -> float:
        return self.spent / self.limit if self.limit else float("inf")

    def as_dict(self) -> dict[str, Any]:
        return {"event": "knollm.budget_alert", **asdict(self), "fraction": self.fraction}

    def __str__(self) -> str:
        scope = f" for {self.provider}" if self.provider else ""
        return (
            f"{self.budget}{scope}: ${self.spent:.6f} spent of ${self.limit:g} {self.window} "
            f"({self.fraction:.0%}, alert at {self.threshold:.0%}) in {self.period}"
            + (f", profile {self.profile}" if self.profile else "")
        )


def limits_of(settings: BudgetSettings | None) -> list[Limit]:
    if settings is None:
        return []
    out = []
    for window in WINDOWS:
        amount = getattr(settings, window)
        if amount is not None:
            out.append(Limit(f"budgets.{window}", window, amount))
    for pid in sorted(settings.providers):
        section = settings.providers[pid]
        for window in WINDOWS:
            amount = getattr(section, window)
            if amount is not None:
                out.append(Limit(f"budgets.providers.{pid}.{window}", window, amount, pid))
    return out


def periods(now: float) -> dict[str, str]:
    t = time.gmtime(now)
    return {"daily": time.strftime("%Y-%m-%d", t), "monthly": time.strftime("%Y-%m", t)}


def month_start(now: float) -> float:
    t = time.gmtime(now)
    return float(calendar.timegm((t.tm_year, t.tm_mon, 1, 0, 0, 0, 0, 0, 0)))


class Budgets:
    """The limits of one profile, their spend, this process's reservations, and alerts."""

    def __init__(
        self,
        settings: BudgetSettings | None,
        *,
        store: UsageStore | None = None,
        profile: str | None = None,
        origin: str = "",
        on_alert: Callable[[BudgetAlert], Any] | None = None,
        wall: Callable[[], float] = time.time,
    ) -> None:
        self._lock = threading.Lock()
        self.wall = wall
        self.configure(settings, store=store, profile=profile, origin=origin, on_alert=on_alert)
        self._periods: dict[str, str] = {}
        self._spent: dict[tuple[str, str | None], float] = {}  # (window, provider|None) -> USD
        self._last_id = 0
        self.reserved_total = 0.0
        self.reserved: dict[str, float] = {}
        self._fired: set[tuple[str, str, float]] = set()
        self._posts: list[threading.Thread] = []

    def configure(
        self,
        settings: BudgetSettings | None,
        *,
        store: UsageStore | None = None,
        profile: str | None = None,
        origin: str = "",
        on_alert: Callable[[BudgetAlert], Any] | None = None,
    ) -> None:
        """Take new limits (a configuration reload) and keep the reservations in flight."""
        with self._lock:
            self.limits = limits_of(settings)
            self.thresholds = tuple(settings.alerts) if settings else ()
            self.webhook = settings.webhook if settings else None
            self.store = store if store is not None and store.ok else None
            self.profile, self.origin, self.on_alert = profile, origin, on_alert
            if self.store is not None:
                self._periods = {}  # read the windows' spend again (profile or file may differ)

    def __bool__(self) -> bool:
        return bool(self.limits)

    # -- spend ---------------------------------------------------------------------------------

    def _add(self, window: str, provider: str | None, cost: float) -> None:
        self._spent[(window, None)] = self._spent.get((window, None), 0.0) + cost
        if provider is not None:
            self._spent[(window, provider)] = self._spent.get((window, provider), 0.0) + cost

    def _sync(self, now: float) -> None:
        """Bring the window sums up to date: from the usage file when there is one (rows of
        every process, read incrementally by id), resetting at a new day or month."""
        current = periods(now)
        fresh = current != self._periods
        if fresh:
            self._periods, self._spent, self._last_id = current, {}, 0
        store = self.store
        if store is None:
            return
        top = store.query("SELECT MAX(id) FROM requests")
        newest = (top[0][0] if top else None) or 0
        if newest <= self._last_id:
            return
        if fresh:  # the whole month so far, by the ts index
            where, params = "ts >= ? AND id <= ?", (month_start(now), newest)
        else:  # only the rows written since the last look, by id
            where, params = "id > ? AND id <= ?", (self._last_id, newest)
        rows = store.query(
            f"SELECT provider, day, SUM(cost) FROM requests WHERE {where} "
            "AND profile IS ? AND cost IS NOT NULL GROUP BY provider, day",
            (*params, self.profile),
        )
        today, month = current["daily"], current["monthly"]
        for provider, day, cost in rows:
            if day[:7] == month:
                self._add("monthly", provider, cost)
                if day == today:
                    self._add("daily", provider, cost)
        self._last_id = newest

    def spent(self, limit: Limit) -> float:
        """USD spent in the limit's current window (without reservations)."""
        with self._lock:
            self._sync(self.wall())
            return self._spent.get((limit.window, limit.provider), 0.0)

    def covering(self, provider: str | None) -> list[Limit]:
        """The limits a request at ``provider`` counts against (None: the totals only)."""
        return [lim for lim in self.limits if lim.provider in (None, provider)]

    # -- before sending ----------------------------------------------------------------------

    def admit(self, provider: str, cost: float | None) -> Limit | None:
        """Reserve ``cost`` against every budget covering ``provider``; the first budget it
        would pass (nothing reserved then), or None. Unknown cost fails any covering budget."""
        covering = self.covering(provider)
        if not covering:
            return None
        if cost is None:
            return covering[0]
        with self._lock:
            self._sync(self.wall())
            for lim in covering:
                held = (
                    self.reserved_total
                    if lim.provider is None
                    else self.reserved.get(provider, 0.0)
                )
                spent = self._spent.get((lim.window, lim.provider), 0.0)
                if spent + held + cost > lim.amount + 1e-12:
                    return lim
            self.reserved_total += cost
            self.reserved[provider] = self.reserved.get(provider, 0.0) + cost
            return None

    def release(self, provider: str, amount: float) -> None:
        """Free a reservation (the attempt failed, or its request was booked)."""
        if not amount or not self.covering(provider):
            return  # admit reserved nothing for it
        with self._lock:
            self.reserved_total = max(self.reserved_total - amount, 0.0)
            self.reserved[provider] = max(self.reserved.get(provider, 0.0) - amount, 0.0)

    def exceeded(self, lim: Limit, offering: str, cost: float | None) -> BudgetExceeded:
        """The error naming the budget that refused the cheapest candidate."""
        spent = self.spent(lim)
        held = self.reserved_total if lim.provider is None else self.reserved.get(lim.provider, 0.0)
        need = f"up to ${cost:.6f}" if cost is not None else "an unknown amount (no price)"
        where = f" ({self.origin})" if self.origin else ""
        profile = f", profile {self.profile}" if self.profile else ""
        period = self._periods.get(lim.window, "")
        return BudgetExceeded(
            f"budget {lim.describe()}{where} would be exceeded: spent ${spent:.6f} in "
            f"{period} (UTC){profile}, in flight ${held:.6f}; the cheapest candidate, "
            f"{offering}, needs {need} for this request (raise the limit, or set max_tokens "
            "to lower the estimate)",
            budget=lim.name,
            limit=lim.amount,
            spent=spent,
            window=lim.window,
            provider=lim.provider,
        )

    # -- after booking -----------------------------------------------------------------------

    def booked(self, provider: str | None, cost: float | None, *, stored: bool) -> None:
        """A request of this profile was booked (``stored``: its row is in the usage file):
        count it when there is no file, then send the alerts it triggered."""
        if not self.limits:
            return
        alerts: list[BudgetAlert] = []
        with self._lock:
            now = self.wall()
            self._sync(now)
            if not stored and cost:
                self._add("daily", provider, cost)
                self._add("monthly", provider, cost)
            for lim in self.covering(provider):
                spent = self._spent.get((lim.window, lim.provider), 0.0)
                period = self._periods[lim.window]
                for t in self.thresholds:
                    if spent < t * lim.amount - 1e-12 or (lim.name, period, t) in self._fired:
                        continue
                    self._fired.add((lim.name, period, t))
                    if self.store is None or self.store.mark_alert(lim.name, period, t):
                        alerts.append(
                            BudgetAlert(
                                lim.name, lim.window, period, lim.provider, self.profile,
                                lim.amount, spent, t,
                            )
                        )  # fmt: skip
        for alert in alerts:
            self._send(alert)

    def _send(self, alert: BudgetAlert) -> None:
        log.warning("knollm budget alert: %s", alert)
        if self.on_alert is not None:
            try:
                self.on_alert(alert)
            except Exception as exc:  # noqa: BLE001 - a user callback must not fail a request
                log.warning("knollm budget alert: the callback failed: %r", exc)
        if self.webhook:
            thread = threading.Thread(
                target=post_alert, args=(self.webhook, alert), name="knollm-budget-webhook",
                daemon=True,
            )  # fmt: skip
            self._posts = [t for t in self._posts if t.is_alive()]
            self._posts.append(thread)
            thread.start()

    def wait(self, timeout: float = WEBHOOK_TIMEOUT + 1) -> None:
        """Wait for webhook posts in progress (tests, and before a short script exits)."""
        for thread in list(self._posts):
            thread.join(timeout)


def post_alert(url: str, alert: BudgetAlert) -> bool:
    """POST the alert as JSON; True on a 2xx answer. Errors are logged without the URL (a
    webhook URL usually embeds a secret token)."""
    import httpx

    try:
        response = httpx.post(url, json=alert.as_dict(), timeout=WEBHOOK_TIMEOUT)
    except httpx.HTTPError as exc:
        log.warning("knollm budget alert: the webhook could not be reached: %s", type(exc).__name__)
        return False
    if not response.is_success:
        log.warning("knollm budget alert: the webhook answered HTTP %s", response.status_code)
        return False
    return True
