"""Response cache and Redis figures: lookup and store at 100k entries, what the cache adds to a
routed request, and how far processes sharing one budget through Redis overshoot it.

* Lookup/store: a SQLite cache file filled with ``--entries`` answers (~700-byte bodies), then
  ``--ops`` timed ``get`` (hits, and misses) and ``put`` calls of new entries, median and p95.
* Routed request: interleaved calls to the same local fake server through a router without a
  cache, one whose cache misses every time (lookup + store), and one whose cache hits.
* Budget overshoot: 4 processes x 25 callers spend one budget shared through a redis-server
  started here (skipped without the binary or the ``redis`` package); overshoot = what the fake
  provider was asked for, priced, minus the budget, in units of one request's reservation.

    .venv/bin/python benchmarks/bench_cache.py [--entries 100000] [--ops 2000] [--calls 300]
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "client" / "tests"))
sys.path.insert(0, str(ROOT / "benchmarks"))

from fake_openai import KEYS, Trio, standard_document  # noqa: E402
from knollm.cache import SQLiteCache  # noqa: E402
from knollm.router import BudgetExceeded, Router  # noqa: E402

BODY = (b'{"id":"chatcmpl-x","object":"chat.completion","created":1700000000,"model":"m",'
        b'"choices":[{"index":0,"finish_reason":"stop","message":{"role":"assistant",'
        b'"content":"' + b"x" * 500 + b'"}}],"usage":{"prompt_tokens":10,'
        b'"completion_tokens":5,"total_tokens":15}}')  # fmt: skip


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(int(q * len(ordered)), len(ordered) - 1)]


def ms(values: list[float]) -> str:
    return f"median {statistics.median(values) * 1e3:.3f} ms, p95 {pct(values, 0.95) * 1e3:.3f} ms"


def key(i: int) -> bytes:
    return i.to_bytes(8, "big") * 4


def bench_store(entries: int, ops: int, tmp: Path) -> None:
    store = SQLiteCache(tmp / "bench.sqlite", max_bytes=1 << 34)
    now = time.time()
    t = time.perf_counter()
    with store._write() as w:  # the fill in one transaction; timed below is the real API
        w.executemany(
            "INSERT INTO responses (key, offering, created, expires, used, size, cost, body)"
            " VALUES (?, 'alpha:alpha-70b', ?, ?, ?, ?, 1e-5, ?)",
            (
                (key(i), now, now + 1e6, now + i * 1e-6, len(BODY) + 64, BODY)
                for i in range(entries)
            ),
        )
    fill = time.perf_counter() - t
    size = (tmp / "bench.sqlite").stat().st_size
    hits, misses, puts = [], [], []
    for n in range(ops):
        i = (n * 7919) % entries
        t = time.perf_counter()
        found = store.get([key(i)])
        hits.append(time.perf_counter() - t)
        assert found is not None
        t = time.perf_counter()
        store.get([key(entries + 10 * ops + n)])
        misses.append(time.perf_counter() - t)
        t = time.perf_counter()
        store.put(key(entries + n), "alpha:alpha-70b", BODY, ttl=3600, cost=1e-5)
        puts.append(time.perf_counter() - t)
    print(f"cache file at {entries:,} entries ({size / 2**20:.0f} MB, filled in {fill:.1f} s)")
    print(f"  lookup, hit:   {ms(hits)}")
    print(f"  lookup, miss:  {ms(misses)}")
    print(f"  store:         {ms(puts)}")
    store.close()


def bench_routed(calls: int, tmp: Path) -> None:
    hi = [{"role": "user", "content": "Say hello in one word."}]
    with Trio() as trio:
        plain = Router(trio.catalog, **trio.options(timeout=10.0), benchmark_priors=False)
        cached = Router(
            trio.catalog,
            **trio.options(timeout=10.0, cache=True, cache_path=str(tmp / "routed.sqlite")),
            benchmark_priors=False,
        )
        for i in range(30):
            plain.chat.completions.create(model="alpha/alpha-70b", messages=hi, temperature=0)
            cached.chat.completions.create(
                model="alpha/alpha-70b", messages=[{"role": "user", "content": f"w{i}"}],
                temperature=0,
            )  # fmt: skip
        cached.chat.completions.create(model="alpha/alpha-70b", messages=hi, temperature=0)
        off, miss, hit = [], [], []
        for i in range(calls):
            t = time.perf_counter()
            plain.chat.completions.create(model="alpha/alpha-70b", messages=hi, temperature=0)
            off.append(time.perf_counter() - t)
            unique = [{"role": "user", "content": f"question {i}"}]
            t = time.perf_counter()
            cached.chat.completions.create(model="alpha/alpha-70b", messages=unique, temperature=0)
            miss.append(time.perf_counter() - t)
            t = time.perf_counter()
            cached.chat.completions.create(model="alpha/alpha-70b", messages=hi, temperature=0)
            hit.append(time.perf_counter() - t)
        plain.close()
        cached.close()
    diffs = [m - o for m, o in zip(miss, off, strict=True)]
    print(f"\nrouted request to a local fake server, {calls} interleaved calls each")
    print(f"  no cache:              {ms(off)}")
    print(f"  cache miss (+ store):  {ms(miss)}")
    print(f"  cache hit:             {ms(hit)}")
    print(f"  miss - no cache:       median {statistics.median(diffs) * 1e3:.3f} ms")


def _spender(url: str, bases: dict[str, str], budget: float, out: Any) -> None:
    import orjson
    from knollm import Catalog
    from knollm.config import Config, Settings
    from knollm.config.settings import RedisSettings

    catalog = Catalog.from_bytes(orjson.dumps(standard_document()))
    cfg = Config(Settings(budget=budget, timeout=5.0, redis=RedisSettings(url=url)))
    router = Router(catalog, config=cfg, keys=dict(KEYS), base_urls=bases, benchmark_priors=False)
    hi = [{"role": "user", "content": "hi"}]

    import threading

    def caller() -> None:
        while True:
            try:
                router.chat.completions.create(model="alpha/alpha-70b", messages=hi, max_tokens=10)
            except BudgetExceeded:
                return

    threads = [threading.Thread(target=caller) for _ in range(25)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    router.close()
    out.put(0)


def bench_budget(tmp: Path, runs: int) -> None:
    server = shutil.which("redis-server")
    try:
        import redis
    except ImportError:
        print("\nshared budget: skipped (pip install 'knollm[redis]')")
        return
    if server is None:
        print("\nshared budget: skipped (redis-server not installed)")
        return
    import socket
    import subprocess

    from knollm.router.tokens import shape

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(
        [server, "--port", str(port), "--bind", "127.0.0.1", "--dir", str(tmp), "--save", ""],
        stdout=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/0"
    client = redis.Redis.from_url(url)
    for _ in range(200):
        try:
            client.ping()
            break
        except redis.ConnectionError:
            time.sleep(0.02)
    cost = (10 * 0.5 + 5 * 1.5) / 1e6
    reserve = (shape([{"role": "user", "content": "hi"}]).tokens * 0.5 + 10 * 1.5) / 1e6
    print(f"\nshared budget through Redis: 4 processes x 25 callers, {runs} runs")
    try:
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload(["knollm.router"])
        for run in range(runs):
            budget = 0.001 * (run + 1)
            client.flushall()
            with Trio() as trio:
                bases = {p: f.base_url for p, f in trio.fakes.items()}
                out = ctx.Queue()
                procs = [
                    ctx.Process(target=_spender, args=(url, bases, budget, out)) for _ in range(4)
                ]
                t = time.perf_counter()
                for p in procs:
                    p.start()
                for _ in procs:
                    out.get(timeout=300)
                for p in procs:
                    p.join(30)
                took = time.perf_counter() - t
                sent = trio.counts()["alpha"]
            over = sent * cost - budget
            print(
                f"  budget ${budget:.4f}: {sent} requests, spent ${sent * cost:.6f}, overshoot "
                f"${over:+.6f} ({over / reserve:+.2f} reservations of ${reserve:.6f}), {took:.1f} s"
            )
        bench_shared_overhead(url)
    finally:
        proc.kill()
        proc.wait(10)


def bench_shared_overhead(url: str, calls: int = 300) -> None:
    """One process: a routed request with its budget and rpm limit kept in Redis, minus the
    same with both kept locally (interleaved)."""
    from knollm.config import Config, ProviderSettings, Settings
    from knollm.config.settings import RedisSettings

    hi = [{"role": "user", "content": "hi"}]
    limits = {"alpha": ProviderSettings(rpm=10**7)}
    with Trio() as trio:
        opts = trio.options(timeout=10.0)
        local = Router(
            trio.catalog,
            config=Config(Settings(budget=1e6, providers=limits)),
            benchmark_priors=False,
            **opts,
        )
        shared = Router(
            trio.catalog,
            config=Config(Settings(budget=1e6, providers=limits, redis=RedisSettings(url=url))),
            benchmark_priors=False,
            **opts,
        )
        for _ in range(30):
            local.chat.completions.create(model="alpha/alpha-70b", messages=hi)
            shared.chat.completions.create(model="alpha/alpha-70b", messages=hi)
        a, b = [], []
        for _ in range(calls):
            t = time.perf_counter()
            local.chat.completions.create(model="alpha/alpha-70b", messages=hi)
            a.append(time.perf_counter() - t)
            t = time.perf_counter()
            shared.chat.completions.create(model="alpha/alpha-70b", messages=hi)
            b.append(time.perf_counter() - t)
        local.close()
        shared.close()
    diffs = [y - x for x, y in zip(a, b, strict=True)]
    print(f"  budget + rpm limit in Redis vs local, {calls} interleaved calls: local {ms(a)};")
    print(f"    Redis {ms(b)}; Redis - local median {statistics.median(diffs) * 1e3:.3f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--ops", type=int, default=2000)
    parser.add_argument("--calls", type=int, default=300)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="knollm-bench-cache-") as tmp:
        os.environ.setdefault("KNOLLM_CACHE_DIR", tmp)
        bench_store(args.entries, args.ops, Path(tmp))
        bench_routed(args.calls, Path(tmp))
        bench_budget(Path(tmp), args.runs)


if __name__ == "__main__":
    main()
