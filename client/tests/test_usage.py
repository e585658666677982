"""Usage records: one row per routed request in a real SQLite file, against fake providers."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from fake_openai import KEYS, FakeClock, Trio

from knollm.router import AsyncRouter, BudgetExceeded, Router, StreamInterrupted, route_of
from knollm.usage import UsageStore, default_path
from knollm.usage.store import COLUMNS, AttemptRow

HI = [{"role": "user", "content": "hi"}]


def rows(path: Path, table: str = "requests") -> list[dict[str, Any]]:
    conn = sqlite3.connect(path)
    conn.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in conn.execute(f"SELECT * FROM {table} ORDER BY rowid")]
    finally:
        conn.close()


def test_each_request_is_one_record_with_its_attempts_and_figures(tmp_path: Path) -> None:
    clock = FakeClock()
    db = tmp_path / "u.sqlite3"
    with Trio(
        alpha={"script": ["500"], "clock": clock, "virtual_delay": 0.5},
        beta={"clock": clock, "virtual_delay": 0.25, "usage": (100, 20, 40)},
    ) as t:
        router = Router(t.catalog, clock=clock, **t.options(usage_path=db))
        reply = router.chat.completions.create(model="test-70b", messages=HI, max_tokens=50)
        info = route_of(reply)
    assert info is not None and info.answered_by == "beta/beta-70b"
    [r] = rows(db)
    assert (r["requested"], r["strategy"], r["provider"], r["model"], r["offering"]) == (
        "test-70b", "cheapest", "beta", "test-70b", "beta-70b",
    )  # fmt: skip
    assert (r["outcome"], r["attempts"], r["error"], r["profile"]) == ("ok", 2, None, None)
    assert (r["prompt_tokens"], r["completion_tokens"], r["cached_tokens"]) == (100, 20, 40)
    assert r["cost"] == pytest.approx(info.cost) and r["cost_source"] == "usage"
    assert r["latency_s"] == pytest.approx(0.75)  # both attempts, on the injected clock
    assert r["ttft_s"] is None and r["stream"] == 0 and r["cache_hit"] == 0
    assert r["saved"] == 0  # beta has no cache-read price: nothing saved
    assert r["prompt"] is None  # prompts only when asked
    attempts = rows(db, "attempts")
    assert [(a["provider"], a["offering"], a["outcome"], a["status"]) for a in attempts] == [
        ("alpha", "alpha-70b", "server-error", 500),
        ("beta", "beta-70b", "ok", 200),
    ]
    assert [a["seconds"] for a in attempts] == pytest.approx([0.5, 0.25])
    assert {a["request"] for a in attempts} == {r["id"]}


def test_prompt_cache_savings_and_stream_timings(tmp_path: Path) -> None:
    clock = FakeClock()
    db = tmp_path / "u.sqlite3"
    with Trio(alpha={"usage": (1000, 10, 600), "clock": clock, "virtual_delay": 0.2}) as t:
        router = Router(t.catalog, clock=clock, **t.options(usage_path=db))
        stream = router.chat.completions.create(model="test-70b", messages=HI, stream=True)
        for _ in stream:
            clock.advance(0.1)  # the caller takes its time between chunks
    [r] = rows(db)
    assert (r["outcome"], r["stream"], r["cached_tokens"]) == ("ok", 1, 600)
    assert r["ttft_s"] == pytest.approx(0.2)
    assert r["latency_s"] > r["ttft_s"]
    # alpha: input $0.5/M, cache read $0.05/M: 600 cached tokens saved 600 * 0.45 / 1e6
    assert r["saved"] == pytest.approx(600 * 0.45 / 1e6)


def test_outcomes_of_requests_that_do_not_end_well(tmp_path: Path) -> None:
    db = tmp_path / "u.sqlite3"
    with Trio(
        alpha={"script": ["400", "cut-stream", "ok"], "error_echo": True},
        beta={"default": "500"},
        gamma={"default": "503"},
    ) as t:
        router = Router(t.catalog, **t.options(usage_path=db))
        with pytest.raises(Exception, match="400"):
            router.chat.completions.create(model="test-70b", messages=HI)
        with pytest.raises(StreamInterrupted):
            list(router.chat.completions.create(model="test-70b", messages=HI, stream=True))
        stream = router.chat.completions.create(model="test-70b", messages=HI, stream=True)
        next(iter(stream))
        stream.close()
        t["alpha"].default = "500"
        with pytest.raises(Exception, match="no candidate answered"):
            router.chat.completions.create(model="test-70b", messages=HI)
    got = [(r["outcome"], r["provider"], r["attempts"]) for r in rows(db)]
    assert got == [
        ("error", "alpha", 1),
        ("stream-interrupted", "alpha", 1),
        ("closed", "alpha", 1),
        ("failed", "gamma", 3),
    ]
    first = rows(db)[0]
    assert first["error"].startswith("BadRequestError") and first["cost"] is None
    assert KEYS["alpha"] not in first["error"]  # the server echoed the key; the record has not


def test_cancelled_async_request_is_recorded(tmp_path: Path) -> None:
    db = tmp_path / "u.sqlite3"

    async def main(t: Trio) -> None:
        router = AsyncRouter(t.catalog, **t.options(usage_path=db, timeout=5.0))
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(
                router.chat.completions.create(model="test-70b", messages=HI), 0.3
            )
        await router.close()

    with Trio(alpha={"default": "hang"}) as t:
        asyncio.run(main(t))
    [r] = rows(db)
    assert (r["outcome"], r["provider"], r["cost"]) == ("cancelled", "alpha", None)


def test_keys_never_reach_the_file_and_prompts_only_when_asked(tmp_path: Path) -> None:
    db = tmp_path / "u.sqlite3"
    secret = [{"role": "user", "content": f"my key is {KEYS['beta']}"}]
    with Trio(alpha={"script": ["401"], "error_echo": True}) as t:
        router = Router(t.catalog, **t.options(usage_path=db, usage_prompts=True))
        router.chat.completions.create(model="test-70b", messages=secret)
    [r] = rows(db)
    assert "my key is" in r["prompt"]
    data = b"".join(p.read_bytes() for p in tmp_path.glob("u.sqlite3*"))
    for key in KEYS.values():
        assert key.encode() not in data


def test_default_file_is_in_the_user_data_dir_and_usage_can_be_off(tmp_path: Path) -> None:
    assert default_path() == Path(os.environ["KNOLLM_DATA_DIR"]) / "usage.sqlite3"
    with Trio() as t:
        Router(t.catalog, **t.options()).chat.completions.create(model="test-70b", messages=HI)
        assert len(rows(default_path())) == 1
        off = tmp_path / "off.sqlite3"
        Router(t.catalog, **t.options(usage=False, usage_path=off)).chat.completions.create(
            model="test-70b", messages=HI
        )
    assert not off.exists()


def test_a_corrupt_file_is_moved_aside_and_never_fails_a_request(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    db = tmp_path / "u.sqlite3"
    db.write_bytes(b"this is not a database, just some bytes" * 100)
    with Trio() as t:
        router = Router(t.catalog, **t.options(usage_path=db))
        router.chat.completions.create(model="test-70b", messages=HI)
    [aside] = tmp_path.glob("u.sqlite3.corrupt-*")
    assert aside.read_bytes().startswith(b"this is not a database")
    assert len(rows(db)) == 1
    assert "moved it to" in caplog.text


def test_an_unwritable_file_never_fails_a_request(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    db = tmp_path / "u.sqlite3"
    with Trio() as t:
        router = Router(t.catalog, **t.options(usage_path=db))
        conn = sqlite3.connect(db, timeout=0)
        conn.execute("BEGIN EXCLUSIVE")  # another process holds the file locked
        store = router._core.meter.store
        store.conn.execute("PRAGMA busy_timeout = 50")
        reply = router.chat.completions.create(model="test-70b", messages=HI)
        conn.rollback()
        conn.close()
    assert route_of(reply) is not None
    assert "could not record a request" in caplog.text
    assert rows(db) == []


def test_recorded_outcomes_seed_a_starting_routers_health(tmp_path: Path) -> None:
    db = tmp_path / "u.sqlite3"
    store = UsageStore(db)
    row = dict.fromkeys(COLUMNS)
    row.update(ts=__import__("time").time(), day="2026-12-02", requested="test-70b",
               outcome="ok", attempts=1, saved=0.0, stream=0, cache_hit=0,
               prompt_tokens=0, completion_tokens=0, cached_tokens=0)  # fmt: skip
    for i in range(10):  # alpha failed 8 times in 10; beta always answered, in 0.2 s
        store.append(
            tuple(row.values()),
            [
                AttemptRow("alpha", "alpha-70b", "server-error" if i < 8 else "ok", 500, 0.3),
                AttemptRow("beta", "beta-70b", "ok", 200, 0.2),
                AttemptRow("gamma", "gamma-70b", "rate-limited", 429, 0.01),  # no verdict
            ],
        )
    store.close()
    with Trio() as t:
        fresh = Router(t.catalog, **t.options(usage_path=tmp_path / "new.sqlite3"))
        seeded = Router(t.catalog, **t.options(usage_path=db))
        health = seeded.health
        assert health.failure_rate["alpha:alpha-70b"] == pytest.approx(0.8)
        assert health.failure_rate["beta:beta-70b"] == 0.0
        assert "gamma:gamma-70b" not in health.failure_rate
        assert health.latency["beta:beta-70b"].mean == pytest.approx(0.2)
        first = [o.provider for o in fresh.candidates("test-70b", HI, strategy="balanced")]
        then = [o.provider for o in seeded.candidates("test-70b", HI, strategy="balanced")]
    assert first[0] == "alpha"  # cheapest, nothing known
    assert then[0] == "beta"  # alpha's recorded failures outweigh its price


WRITER = """
import sys
from knollm.usage.store import COLUMNS, UsageStore
store = UsageStore(sys.argv[1])
row = dict.fromkeys(COLUMNS)
row.update(ts=1.0, day="1970-01-01", requested="m", outcome="ok", attempts=1, saved=0.0,
           stream=0, cache_hit=0, prompt_tokens=1, completion_tokens=1, cached_tokens=0,
           cost=0.001)
for _ in range(int(sys.argv[2])):
    assert store.append(tuple(row.values())) is not None
"""


def test_processes_append_to_one_file_without_losing_rows(tmp_path: Path) -> None:
    db = tmp_path / "u.sqlite3"
    UsageStore(db).close()
    procs = [subprocess.Popen([sys.executable, "-c", WRITER, str(db), "150"]) for _ in range(3)]
    assert [p.wait(60) for p in procs] == [0, 0, 0]
    conn = sqlite3.connect(db)
    assert conn.execute("SELECT COUNT(*), SUM(cost) FROM requests").fetchone() == (
        450, pytest.approx(0.45),
    )  # fmt: skip
    assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    conn.close()


def test_budget_refusal_is_recorded(tmp_path: Path) -> None:
    db = tmp_path / "u.sqlite3"
    with Trio() as t:
        router = Router(t.catalog, **t.options(usage_path=db, budget=0.0))
        with pytest.raises(BudgetExceeded):
            router.chat.completions.create(model="test-70b", messages=HI)
    [r] = rows(db)
    assert (r["outcome"], r["attempts"], r["cost"]) == ("budget", 0, None)


def test_a_response_cache_hit_is_recorded_with_what_it_saved(tmp_path: Path) -> None:
    """The second identical deterministic request is answered from the response cache: its
    usage record says so, costs nothing and saved what the first one cost."""
    db = tmp_path / "u.sqlite3"
    with Trio(alpha={"usage": (100, 20, 0)}) as t:
        opts = t.options(usage_path=db, cache=True, cache_path=str(tmp_path / "c.sqlite"))
        with Router(t.catalog, **opts) as router:
            first = route_of(
                router.chat.completions.create(model="test-70b", messages=HI, temperature=0)
            )
            router.chat.completions.create(model="test-70b", messages=HI, temperature=0)
        assert len(t["alpha"].seen) == 1  # the second never reached the provider
    assert first is not None and first.cost
    sent, cached = rows(db)
    assert (sent["cache_hit"], cached["cache_hit"]) == (0, 1)
    assert cached["cost"] == 0 and cached["cost_source"] == "cache"
    assert cached["saved"] == pytest.approx(first.cost)
