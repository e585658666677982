"""Budgets per profile: daily/monthly limits, per provider or in total, alerts, the hard stop."""

from __future__ import annotations

import calendar
import json
import logging
import os
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from fake_openai import Trio

from knollm.cli import main
from knollm.config import BudgetSettings, Config, ConfigError, Settings, load
from knollm.router import BudgetExceeded, Router
from knollm.usage import BudgetAlert, Budgets, UsageStore
from knollm.usage.store import COLUMNS

HI = [{"role": "user", "content": "hi"}]
# alpha: $0.5 in / $1.5 out per 1M. A request of HI with max_tokens=100 reserves its worst case
# (8 prompt tokens by the router's estimate + 100 output tokens); the fake answers 10 in, 5 out.
RESERVE = (8 * 0.5 + 100 * 1.5) / 1e6
COST = (10 * 0.5 + 5 * 1.5) / 1e6


def ask(router: Router, **params: Any) -> Any:
    return router.chat.completions.create(model="test-70b", messages=HI, max_tokens=100, **params)


def test_daily_total_budget_refuses_before_sending_and_names_the_budget(tmp_path: Path) -> None:
    limit = 0.0002
    with Trio() as t:
        router = Router(
            t.catalog, **t.options(usage_path=tmp_path / "u.db", budgets={"daily": limit})
        )
        answered = 0
        with pytest.raises(BudgetExceeded) as caught:
            for _ in range(20):
                ask(router)
                answered += 1
        sent = sum(t.counts().values())
    spent = answered * COST
    # every request went out while spent + the reservation fitted; the next one would not
    assert spent - COST + RESERVE <= limit < spent + RESERVE
    assert sent == answered  # the refused request reached no provider
    exc = caught.value
    assert (exc.budget, exc.window, exc.provider) == ("budgets.daily", "daily", None)
    assert exc.limit == limit and exc.spent == pytest.approx(spent)
    assert "budgets.daily ($0.0002 daily, all providers)" in str(exc)
    assert "alpha/alpha-70b" in str(exc)


def test_provider_budget_skips_that_provider_only(tmp_path: Path) -> None:
    budgets = {"providers": {"alpha": {"daily": RESERVE / 2}}}
    with Trio() as t:
        router = Router(t.catalog, **t.options(usage_path=tmp_path / "u.db", budgets=budgets))
        reply = ask(router)
        counts = t.counts()
    assert reply.knollm.provider == "beta"  # alpha is cheaper but over its own budget
    assert counts == {"alpha": 0, "beta": 1, "gamma": 0}


def test_provider_budget_alone_refuses_with_its_name(tmp_path: Path) -> None:
    budgets = {"providers": {"alpha": {"monthly": RESERVE / 2}}}
    with Trio() as t:
        router = Router(t.catalog, **t.options(usage_path=tmp_path / "u.db", budgets=budgets))
        with pytest.raises(BudgetExceeded) as caught:
            router.chat.completions.create(model="alpha/alpha-70b", messages=HI, max_tokens=100)
    assert caught.value.budget == "budgets.providers.alpha.monthly"
    assert caught.value.provider == "alpha"


def test_spend_is_read_from_the_file_across_routers_and_restarts(tmp_path: Path) -> None:
    db = tmp_path / "u.db"
    budgets = {"daily": RESERVE + COST / 2}  # room for one request, not two
    with Trio() as t:
        first = Router(t.catalog, **t.options(usage_path=db, budgets=budgets))
        second = Router(t.catalog, **t.options(usage_path=db, budgets=budgets))
        ask(first)
        with pytest.raises(BudgetExceeded):
            ask(second)  # it sees what the first router spent, through the file
        again = Router(t.catalog, **t.options(usage_path=db, budgets=budgets))
        with pytest.raises(BudgetExceeded):
            ask(again)
        other = Router(t.catalog, **t.options(usage_path=tmp_path / "other.db", budgets=budgets))
        ask(other)  # another usage file: nothing spent there yet


def test_budgets_count_only_their_profiles_spend(tmp_path: Path) -> None:
    db = tmp_path / "u.db"

    def router(t: Trio, profile: str | None) -> Router:
        settings = Settings(usage_path=str(db), budgets=BudgetSettings(daily=RESERVE + COST / 2))
        return Router(t.catalog, config=Config(settings, profile=profile), **t.options())

    with Trio() as t:
        ask(router(t, "dev"))
        with pytest.raises(BudgetExceeded) as caught:
            ask(router(t, "dev"))
        ask(router(t, "prod"))
    assert "profile dev" in str(caught.value)


def test_a_failed_attempt_frees_its_reservation(tmp_path: Path) -> None:
    # Room for alpha's or beta's reservation (beta: $1 in / $2 out), not for both at once.
    budgets = {"daily": RESERVE * 1.5}
    with Trio(alpha={"script": ["500"]}) as t:
        router = Router(t.catalog, **t.options(usage_path=tmp_path / "u.db", budgets=budgets))
        reply = ask(router)
        state = router._core.meter.budgets
    assert reply.knollm.provider == "beta"  # alpha failed; its reservation was freed for beta
    assert state.reserved_total == 0.0
    assert state.reserved == {"alpha": 0.0, "beta": 0.0}


def store_with(path: Path, rows: list[tuple[float, str, str, float]]) -> UsageStore:
    store = UsageStore(path)
    for ts, day, provider, cost in rows:
        row = dict.fromkeys(COLUMNS)
        row.update(ts=ts, day=day, requested="m", provider=provider, outcome="ok", attempts=1,
                   cost=cost, saved=0.0, stream=0, cache_hit=0, prompt_tokens=0,
                   completion_tokens=0, cached_tokens=0)  # fmt: skip
        store.append(tuple(row.values()))
    return store


def test_windows_are_utc_days_and_months(tmp_path: Path) -> None:
    dec = calendar.timegm((2026, 12, 1, 0, 0, 0))
    nov30, dec1, dec2 = dec - 3600.0, dec + 3600.0, dec + 86_400.0 + 60
    store = store_with(
        tmp_path / "u.db",
        [(nov30, "2026-11-30", "alpha", 5.0), (dec1, "2026-12-01", "alpha", 2.0),
         (dec1, "2026-12-01", "beta", 1.0)],
    )  # fmt: skip
    now = [dec1 + 60]
    settings = BudgetSettings(daily=10, monthly=100, providers={"alpha": {"daily": 10}})
    b = Budgets(settings, store=store, wall=lambda: now[0])
    daily, monthly, alpha = b.limits
    assert (b.spent(daily), b.spent(monthly), b.spent(alpha)) == (3.0, 3.0, 2.0)
    now[0] = dec2  # the next UTC day: the daily windows start again, the month goes on
    store_with(tmp_path / "u.db", [(dec2, "2026-12-02", "alpha", 0.5)])
    assert (b.spent(daily), b.spent(monthly), b.spent(alpha)) == (0.5, 3.5, 0.5)


class Hook:
    """A webhook receiver: a real HTTP server on 127.0.0.1 that keeps what was POSTed."""

    def __init__(self) -> None:
        self.bodies: list[dict[str, Any]] = []
        self.got = threading.Event()
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers["Content-Length"]))
                hook.bodies.append(json.loads(body))
                self.send_response(204)
                self.end_headers()
                hook.got.set()

            def log_message(self, *args: Any) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook?token=s3cret"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def test_alerts_go_to_the_log_the_callback_and_the_webhook_once(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    hook = Hook()
    got: list[BudgetAlert] = []
    limit = COST * 4
    budgets = {"daily": limit, "alerts": [0.5, 1.0], "webhook": hook.url}
    db = tmp_path / "u.db"
    try:
        with Trio() as t, caplog.at_level(logging.WARNING, "knollm.usage"):
            router = Router(
                t.catalog, on_budget_alert=got.append,
                **t.options(usage_path=db, budgets=budgets),
            )  # fmt: skip
            router.chat.completions.create(model="test-70b", messages=HI, max_tokens=1)
            assert got == []  # 25% spent
            router.chat.completions.create(model="test-70b", messages=HI, max_tokens=1)
            assert [a.threshold for a in got] == [0.5]
            router.chat.completions.create(model="test-70b", messages=HI, max_tokens=1)
            assert [a.threshold for a in got] == [0.5]  # not again at 75%
            router._core.meter.budgets.wait()
            # A second router on the same file does not send the 50% alert again.
            again = Router(
                t.catalog, on_budget_alert=got.append, **t.options(usage_path=db, budgets=budgets)
            )
            again.chat.completions.create(model="test-70b", messages=HI, max_tokens=1)
            assert [a.threshold for a in got] == [0.5, 1.0]
            again._core.meter.budgets.wait()
    finally:
        hook.close()
    alert = got[0]
    assert (alert.budget, alert.window, alert.limit) == ("budgets.daily", "daily", limit)
    assert alert.spent == pytest.approx(COST * 2)
    assert [b["threshold"] for b in hook.bodies] == [0.5, 1.0]
    assert hook.bodies[0]["event"] == "knollm.budget_alert"
    assert hook.bodies[0]["spent"] == pytest.approx(COST * 2)
    assert hook.bodies[1]["fraction"] == pytest.approx(1.0)
    assert caplog.text.count("knollm budget alert: budgets.daily") == 2
    assert "s3cret" not in caplog.text


def test_a_webhook_that_fails_is_logged_without_its_url(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    hook = Hook()
    url = hook.url
    hook.close()  # nothing listens there any more
    budgets = {"daily": COST, "alerts": [0.5], "webhook": url}
    with Trio() as t:
        router = Router(t.catalog, **t.options(usage_path=tmp_path / "u.db", budgets=budgets))
        router.chat.completions.create(model="test-70b", messages=HI, max_tokens=1)
        router._core.meter.budgets.wait()
    assert "the webhook could not be reached" in caplog.text
    assert "s3cret" not in caplog.text


def test_budgets_in_files_profiles_and_errors(tmp_path: Path) -> None:
    project = tmp_path / "knollm.toml"
    project.write_text(
        '[budgets]\ndaily = 5\nwebhook = "https://hooks.example.com/T0/secret"\n'
        "[budgets.providers.groq]\nmonthly = 20\n"
        "[profiles.prod.budgets]\ndaily = 50\nalerts = [0.9]\n"
    )
    env = {**os.environ, "KNOLLM_CONFIG": str(project)}
    top = load(environ=env).settings.budgets
    assert top is not None and (top.daily, top.providers["groq"].monthly) == (5, 20)
    assert top.alerts == [0.8, 1.0]
    prod = load(profile="prod", environ=env)
    assert prod.settings.budgets is not None
    assert (prod.settings.budgets.daily, prod.settings.budgets.alerts) == (50, [0.9])
    assert prod.origin("budgets") == f"{project}:6"
    shown = CliRunner().invoke(main, ["config", "show"], env={"KNOLLM_CONFIG": str(project)})
    assert shown.exit_code == 0 and "budgets" in shown.output
    assert "secret" not in shown.output and "set (redacted)" in shown.output
    project.write_text("[budgets]\ndaily = -1\n")
    with pytest.raises(ConfigError, match=r"knollm.toml:1: budgets.daily: .*greater than or equal"):
        load(environ=env)
    project.write_text("[budgets]\nalerts = [80]\n")
    with pytest.raises(ConfigError, match="budgets.alerts"):
        load(environ=env)
    project.write_text("[budgets]\nweekly = 3\n")
    bad = CliRunner().invoke(main, ["config", "validate"], env={"KNOLLM_CONFIG": str(project)})
    assert bad.exit_code == 1 and "budgets.weekly" in bad.output


def test_a_changed_file_changes_the_limits_and_keeps_the_reservations(tmp_path: Path) -> None:
    project = tmp_path / "knollm.toml"
    project.write_text(f'usage_path = "{tmp_path / "u.db"}"\n[budgets]\ndaily = {RESERVE / 2}\n')
    env = {**os.environ, "KNOLLM_CONFIG": str(project)}
    with Trio() as t:
        router = Router(t.catalog, env=env, **t.options())
        before = router._core.meter.budgets
        with pytest.raises(BudgetExceeded):
            ask(router)
        project.write_text(f'usage_path = "{tmp_path / "u.db"}"\n[budgets]\ndaily = 1.0\n')
        os.utime(project, ns=(1, 1))  # a different mtime even within the clock's resolution
        reply = ask(router)
        assert router._core.meter.budgets is before  # reservations live on
    assert reply.knollm.provider == "alpha"
    assert before.limits[0].amount == 1.0


def test_concurrent_callers_share_the_budget_through_reservations(tmp_path: Path) -> None:
    """20 callers at once against a daily budget with room for 5 reservations: no more than 5
    requests are ever in flight, and the spend stays within the limit."""
    from concurrent.futures import ThreadPoolExecutor

    limit = RESERVE * 5 + COST / 2
    with Trio(alpha={"delay": 0.05}) as t:
        router = Router(
            t.catalog, **t.options(usage_path=tmp_path / "u.db", budgets={"daily": limit})
        )

        def call(_: int) -> str:
            try:
                router.chat.completions.create(model="alpha/alpha-70b", messages=HI, max_tokens=100)
                return "ok"
            except BudgetExceeded:
                return "refused"

        with ThreadPoolExecutor(20) as pool:
            outcomes = list(pool.map(call, range(20)))
        seen = t["alpha"].seen
        budgets = router._core.meter.budgets
        spent = budgets.spent(budgets.limits[0])
    assert max(s.inflight for s in seen) <= 5
    assert outcomes.count("ok") == len(seen) >= 5
    assert "refused" in outcomes
    assert spent == pytest.approx(len(seen) * COST) and spent <= limit
    assert budgets.reserved_total == pytest.approx(0.0, abs=1e-12)
