"""State shared through Redis (issue 17, item 8), against a real redis-server on 127.0.0.1.

Each test starts its own server on a free port in a temporary directory (no persistence) and
skips, saying why, only when the ``redis-server`` binary is not installed. Processes are
started by a forkserver (never a fork of this threaded test process).
"""

from __future__ import annotations

import logging
import multiprocessing
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from fake_openai import KEYS, Trio, standard_document

from knollm.config import Config, ProviderSettings, Settings
from knollm.config.settings import RedisSettings
from knollm.router import AllCandidatesFailed, BudgetExceeded, Router, route_of
from knollm.router.shared import RedisBuckets, SharedBudget
from knollm.router.tokens import shape

pytest.importorskip("redis", reason="the redis extra is not installed: pip install 'knollm[redis]'")
import redis  # noqa: E402

SERVER = shutil.which("redis-server")
HI = [{"role": "user", "content": "hi"}]
COST = (10 * 0.5 + 5 * 1.5) / 1e6  # what alpha charges for the fake usage (10 in, 5 out)
RESERVE = (shape(HI).tokens * 0.5 + 10 * 1.5) / 1e6  # alpha's estimate with max_tokens=10


class Server:
    """A redis-server of the test's own."""

    def __init__(self, tmp: Path) -> None:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.proc = subprocess.Popen(
            [
                SERVER or "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--dir",
                str(tmp),
                "--save",
                "",
                "--appendonly",
                "no",
            ],  # fmt: skip
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        client = redis.Redis.from_url(self.url)
        for _ in range(200):
            try:
                client.ping()
                break
            except redis.ConnectionError:
                time.sleep(0.02)
        else:
            self.stop()
            raise RuntimeError(f"redis-server did not start on port {self.port}")
        self.client = client

    def stop(self) -> None:
        self.proc.kill()
        self.proc.wait(10)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    if SERVER is None:
        pytest.skip("redis-server is not installed (Debian package redis-server)")
    srv = Server(tmp_path)
    yield srv
    srv.stop()


def config(url: str, **settings: Any) -> Config:
    return Config(Settings(redis=RedisSettings(url=url), **settings))


# -- one budget, four processes ----------------------------------------------------------------


def _spender(url: str, bases: dict[str, str], budget: float, out: Any) -> None:
    """25 callers in one process, each asking until the shared budget refuses."""
    from knollm import Catalog

    catalog = Catalog.from_bytes(orjson.dumps(standard_document()))
    router = Router(
        catalog, config=config(url, budget=budget, timeout=5.0), keys=dict(KEYS), base_urls=bases
    )
    answered = [0] * 25

    def caller(i: int) -> None:
        while True:
            try:
                router.chat.completions.create(model="alpha/alpha-70b", messages=HI, max_tokens=10)
            except BudgetExceeded:
                return
            answered[i] += 1

    threads = [threading.Thread(target=caller, args=(i,)) for i in range(25)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    router.close()
    out.put(sum(answered))


def test_four_processes_share_one_budget(server: Server) -> None:
    budget = 0.001  # ~80 answers at alpha's price
    with Trio() as trio:
        bases = {p: f.base_url for p, f in trio.fakes.items()}
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload(["knollm.router", "test_redis"])
        out = ctx.Queue()
        procs = [
            ctx.Process(target=_spender, args=(server.url, bases, budget, out)) for _ in "abcd"
        ]
        for p in procs:
            p.start()
        answered = [out.get(timeout=120) for _ in procs]
        for p in procs:
            p.join(30)
            assert p.exitcode == 0
        sent = trio.counts()["alpha"]
    assert sum(answered) == sent
    spent = float(server.client.hget("knollm:budget", "spent") or 0)
    assert spent == pytest.approx(sent * COST)
    # Never more than one request's reservation over; unshared, each process would spend it all.
    assert sent * COST <= budget + RESERVE
    assert sent * COST >= budget / 2  # and the budget was really used
    assert float(server.client.hget("knollm:budget", "reserved") or 0) == pytest.approx(0, abs=1e-9)
    assert server.client.zcard("knollm:budget:leases") == 0


# -- rate limits across processes --------------------------------------------------------------


def _limited(url: str, bases: dict[str, str], out: Any) -> None:
    from knollm import Catalog

    catalog = Catalog.from_bytes(orjson.dumps(standard_document()))
    cfg = config(url, max_wait=0.0, providers={"alpha": ProviderSettings(rpm=20)})
    router = Router(catalog, config=cfg, keys=dict(KEYS), base_urls=bases)
    ok = 0
    for _ in range(10):
        try:
            router.chat.completions.create(model="alpha/alpha-70b", messages=HI)
            ok += 1
        except AllCandidatesFailed as exc:
            assert "held back by the configured rate limits" in str(exc)
    router.close()
    out.put(ok)


def test_rate_limits_hold_across_processes(server: Server) -> None:
    with Trio() as trio:
        bases = {p: f.base_url for p, f in trio.fakes.items()}
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload(["knollm.router", "test_redis"])
        out = ctx.Queue()
        started = time.monotonic()
        procs = [ctx.Process(target=_limited, args=(server.url, bases, out)) for _ in "abcd"]
        for p in procs:
            p.start()
        accepted = sum(out.get(timeout=120) for _ in procs)
        for p in procs:
            p.join(30)
            assert p.exitcode == 0
        elapsed = time.monotonic() - started
        sent = trio.counts()["alpha"]
    # rpm=20: 2 at once and 0.3 per second, for all four processes together (each alone would
    # let its own 2 go at once: 8).
    assert sent == accepted
    assert 2 <= accepted <= 2 + int(0.3 * elapsed)


# -- breakers and cache ------------------------------------------------------------------------


def test_an_open_breaker_reaches_other_routers(server: Server) -> None:
    with Trio(alpha={"script": ["500"]}) as trio:
        cfg = config(server.url, breaker_threshold=1, breaker_cooldown=60.0)
        with Router(trio.catalog, config=cfg, **trio.options()) as first:
            reply = first.chat.completions.create(model="test-70b", messages=HI)
            assert route_of(reply).provider == "beta"
        with Router(trio.catalog, config=cfg, **trio.options()) as other:  # its own Health
            assert other.health.state("alpha:alpha-70b") == "closed"
            reply = other.chat.completions.create(model="test-70b", messages=HI)
            assert route_of(reply).provider == "beta"
            assert other.health.state("alpha:alpha-70b") == "open"
        assert trio.counts()["alpha"] == 1  # the second router never sent to alpha


def test_the_cache_is_shared(server: Server, tmp_path: Path) -> None:
    with Trio() as trio:
        for n in range(2):  # two routers, each with its own SQLite file
            cfg = config(server.url, cache=True, cache_path=str(tmp_path / f"{n}.sqlite"))
            with Router(trio.catalog, config=cfg, **trio.options()) as router:
                reply = router.chat.completions.create(model="test-70b", messages=HI, temperature=0)
                assert route_of(reply).cost_source == ("usage" if n == 0 else "cache")
                assert reply.choices[0].message.content == "hello from alpha"
        assert trio.counts()["alpha"] == 1
    assert len(server.client.keys("knollm:cache:*")) == 2  # the answer and the counters


# -- an outage ---------------------------------------------------------------------------------


def test_an_outage_degrades_to_local_state_with_one_warning(
    server: Server, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with Trio() as trio:
        cfg = config(
            server.url,
            budget=1.0,
            cache=True,
            cache_path=str(tmp_path / "c.sqlite"),
            providers={"alpha": ProviderSettings(rpm=6000)},
        )
        with Router(trio.catalog, config=cfg, **trio.options()) as router:
            assert isinstance(router._core.limiter.buckets, RedisBuckets)  # type: ignore[union-attr]
            assert isinstance(router.ledger.shared, SharedBudget)
            router.chat.completions.create(model="test-70b", messages=HI, max_tokens=10)
            shared_spent = router.ledger.spent
            assert float(server.client.hget("knollm:budget", "spent")) == shared_spent
            errors: list[BaseException] = []

            def caller() -> None:
                for i in range(10):
                    try:
                        ask = [{"role": "user", "content": f"q{i}"}]
                        router.chat.completions.create(
                            model="test-70b", messages=ask, max_tokens=10, temperature=0
                        )
                    except BaseException as exc:  # noqa: BLE001 - reported below
                        errors.append(exc)

            with caplog.at_level(logging.WARNING, logger="knollm.router"):
                server.stop()  # mid-test: the server is gone
                threads = [threading.Thread(target=caller) for _ in range(5)]
                for t in threads:
                    t.start()
                for t in threads:
                    t.join()
            assert errors == []
            warnings = [r for r in caplog.records if "unreachable" in r.getMessage()]
            assert len(warnings) == 1
            assert f"127.0.0.1:{server.port}" in warnings[0].getMessage()
            # Local state carried on: the budget from the last shared totals, the SQLite cache
            # (callers asking one question at once may each miss it).
            during = trio.counts()["alpha"] - 1
            assert 10 <= during <= 50
            assert router.ledger.spent == pytest.approx(shared_spent + during * COST)
            again = router.chat.completions.create(
                model="test-70b", messages=[{"role": "user", "content": "q3"}], max_tokens=10,
                temperature=0,
            )  # fmt: skip
            assert route_of(again).cost_source == "cache"
