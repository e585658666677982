"""Usage figures: what recording adds to a routed request, and ``usage report`` over 1M rows.

Recording: the same routed request to a local fake provider with usage recording off, on (one
row and its attempt written to a SQLite file in WAL mode, committed before the call returns),
and on with a daily budget (the budget's window sums read from the file before each send).
Calls are interleaved (off, on, budget, off, ...) so each mode sees the same machine load; the
figures are the medians and 95th percentiles of each mode, and the median of the per-round
differences against "off".

Report: a usage file of ``--rows`` synthetic records over 30 days (30 offerings at 8 real
providers of the full catalog, 1 attempt each, 3% errors), then ``report.build`` over the last
7 and 30 days by provider, model and day, with the catalog's recommendations; also a router's
start on that file (it reads recorded reliability).

    .venv/bin/python benchmarks/bench_usage.py [--calls 1000] [--rows 1000000]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import orjson

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "client" / "tests"))
TMP = Path(tempfile.mkdtemp(prefix="knollm-bench-usage-"))
os.environ["KNOLLM_DATA_DIR"] = str(TMP)  # never the user's own usage file
os.environ["KNOLLM_CONFIG_DIR"] = str(TMP)

from fake_openai import KEYS, standard_document  # noqa: E402
from knollm import Catalog  # noqa: E402
from knollm.router import Router  # noqa: E402
from knollm.usage import UsageStore, report  # noqa: E402
from knollm.usage.store import COLUMNS, connect  # noqa: E402

HI = [{"role": "user", "content": "Say hello in one word."}]


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(int(q * len(ordered)), len(ordered) - 1)]


SERVE = """
import sys, json
sys.path.insert(0, sys.argv[1])
from fake_openai import Trio
with Trio() as t:
    print(json.dumps({p: f.base_url for p, f in t.fakes.items()}), flush=True)
    sys.stdin.read()
"""


def bench_recording(calls: int) -> None:
    # The fake providers run in a process of their own: in this one, their threads would take
    # the GIL whenever the router's SQLite write releases it, and bill their time to the write.
    server = subprocess.Popen(
        [sys.executable, "-c", SERVE, str(ROOT / "client" / "tests")],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert server.stdout is not None and server.stdin is not None
    urls = json.loads(server.stdout.readline())
    catalog = Catalog.from_bytes(orjson.dumps(standard_document()))
    opts = {"keys": dict(KEYS), "base_urls": urls, "timeout": 5.0, "benchmark_priors": False}
    try:
        _recording(catalog, opts, calls)
    finally:
        server.stdin.close()
        server.wait(10)


def _recording(catalog: Catalog, opts: dict[str, Any], calls: int) -> None:
    if True:
        modes = {
            "usage off": Router(catalog, usage=False, **opts),
            "usage on": Router(catalog, usage_path=TMP / "on.sqlite3", **opts),
            "usage on + daily budget": Router(
                catalog, usage_path=TMP / "budget.sqlite3", budgets={"daily": 1e6}, **opts
            ),
        }
        hooks: dict[str, list[float]] = {"usage on": [], "usage on + daily budget": []}
        for name, laps in hooks.items():
            _time_hooks(modes[name], laps)
        times: dict[str, list[float]] = {name: [] for name in modes}
        for _ in range(20):  # warm up connections and files
            for router in modes.values():
                router.chat.completions.create(model="test-70b", messages=HI)
        for _ in range(calls):
            for name, router in modes.items():
                start = time.perf_counter()
                router.chat.completions.create(model="test-70b", messages=HI)
                times[name].append(time.perf_counter() - start)
        for router in modes.values():
            router.close()
    base = times["usage off"]
    print(f"routed request to a local fake provider, {calls} calls per mode, interleaved")
    print(f"{'mode':<26}{'median ms':>10}{'p95 ms':>9}{'+median ms':>12}{'+p95 ms':>9}")
    for name, values in times.items():
        diffs = [v - b for v, b in zip(values, base, strict=True)]
        print(
            f"{name:<26}{statistics.median(values) * 1e3:>10.3f}{pct(values, 0.95) * 1e3:>9.3f}"
            f"{statistics.median(diffs) * 1e3:>12.3f}{pct(diffs, 0.95) * 1e3:>9.3f}"
        )
    for name, laps in hooks.items():
        per_call = [sum(laps[i : i + 2]) for i in range(0, len(laps) - 1, 2)]
        print(
            f"{name}: the router's own usage/budget work per request (admit + record, timed "
            f"inside the call): median {statistics.median(per_call) * 1e6:.0f} us, "
            f"p95 {pct(per_call, 0.95) * 1e6:.0f} us"
        )
    # The write alone, without HTTP: what UsageStore.append costs per request.
    store = UsageStore(TMP / "append.sqlite3")
    row = dict.fromkeys(COLUMNS)
    row.update(ts=time.time(), day="2026-12-02", requested="m", outcome="ok", attempts=1,
               saved=0.0, stream=0, cache_hit=0, prompt_tokens=10, completion_tokens=5,
               cached_tokens=0, cost=1e-5, provider="p", model="m", offering="o")  # fmt: skip
    values = tuple(row.values())
    laps = []
    for _ in range(calls * 2):
        start = time.perf_counter()
        store.append(values)
        laps.append(time.perf_counter() - start)
    store.close()
    print(
        f"UsageStore.append alone: median {statistics.median(laps) * 1e6:.0f} us, "
        f"p95 {pct(laps, 0.95) * 1e6:.0f} us"
    )


def _time_hooks(router: Router, laps: list[float]) -> None:
    """Time the meter's two calls per request (``admit`` before sending, ``finish`` after)."""
    meter = router._core.meter
    admit, finish = meter.admit, meter.finish

    def timed_admit(*args: Any) -> Any:
        start = time.perf_counter()
        out = admit(*args)
        laps.append(time.perf_counter() - start)
        return out

    def timed_finish(*args: Any) -> None:
        start = time.perf_counter()
        finish(*args)
        laps.append(time.perf_counter() - start)

    meter.admit, meter.finish = timed_admit, timed_finish


def fill(path: Path, rows: int, catalog: Catalog) -> float:
    """Write ``rows`` synthetic records over the last 30 days; seconds taken."""
    rng = random.Random(0)
    picks = []
    for pid in ("groq", "together", "deepinfra", "fireworks", "openai", "anthropic",
                "mistral", "openrouter"):  # fmt: skip
        if pid in catalog.provider_by_id:
            picks.extend(o for o in catalog.offerings_at(pid)[:4] if o.mode == "chat")
    picks = picks[:30]
    now = time.time()
    start = time.perf_counter()
    UsageStore(path).close()
    conn = connect(path)
    insert = f"INSERT INTO requests ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})"
    batch, attempts = [], []
    # Records are appended as requests finish: in time order, as a router writes them.
    times = sorted(now - rng.random() * 30 * 86_400 for _ in range(rows))
    for i, ts in enumerate(times):
        o = picks[i % len(picks)]
        ok = rng.random() >= 0.03
        pin, pout = rng.randint(100, 4000), rng.randint(10, 800)
        batch.append((
            ts, time.strftime("%Y-%m-%d", time.gmtime(ts)), None, o.model, "cheapest",
            o.provider, o.model, o.provider_model_id, "ok" if ok else "failed",
            None if ok else "AllCandidatesFailed: ...", 1, pin if ok else 0, pout if ok else 0,
            0, (pin * 0.5 + pout * 1.5) / 1e6 if ok else None, "usage", 0.0,
            rng.lognormvariate(-0.5, 0.6), None, 0, 0, None,
        ))  # fmt: skip
        attempts.append((i + 1, ts, o.provider, o.provider_model_id,
                         "ok" if ok else "server-error", 200 if ok else 500, 0.5))  # fmt: skip
        if len(batch) == 50_000:
            conn.executemany(insert, batch)
            conn.executemany(
                "INSERT INTO attempts (request, ts, provider, offering, outcome, status, seconds)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                attempts,
            )
            conn.commit()
            batch, attempts = [], []
    if batch:
        conn.executemany(insert, batch)
        conn.executemany(
            "INSERT INTO attempts (request, ts, provider, offering, outcome, status, seconds)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            attempts,
        )
        conn.commit()
    conn.close()
    return time.perf_counter() - start


def bench_report(rows: int) -> None:
    path = TMP / "big.sqlite3"
    catalog = Catalog.load(ROOT / "build" / "data" / "models.json")
    took = fill(path, rows, catalog)
    size = path.stat().st_size / 1e6
    print(f"\nusage file: {rows:,} records (and attempts) written in {took:.1f} s, {size:.0f} MB")
    store = UsageStore.open_readonly(path)
    print(f"{'report':<32}{'seconds':>9}{'requests':>12}")
    for since, by, advice in (("7d", "provider", False), ("30d", "provider", False),
                              ("30d", "model", False), ("30d", "day", False),
                              ("30d", "provider", True)):  # fmt: skip
        start = time.perf_counter()
        result = report.build(
            store, since=report.parse_since(since), by=by, catalog=catalog if advice else None
        )
        took = time.perf_counter() - start
        label = f"--since {since} --by {by}" + (" + advice" if advice else "")
        print(f"{label:<32}{took:>9.2f}{result.total.requests:>12,}")
    store.close()
    start = time.perf_counter()
    Router(catalog, benchmark_priors=False, usage_path=path, keys={"groq": "sk-x"})
    print(
        f"Router start on that file (reads recorded reliability): {time.perf_counter() - start:.2f} s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=1000)
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args()
    bench_recording(args.calls)
    if (ROOT / "build" / "data" / "models.json").is_file():
        bench_report(args.rows)
    else:
        print("usage report: skipped, build/data/models.json not found (make data)")


if __name__ == "__main__":
    main()
