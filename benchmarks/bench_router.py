"""Router figures: routing decision time at the full catalog, and overhead over a direct SDK call.

Decision = everything the router does before the first byte goes out: measure the prompt, resolve
the model, filter by context/capabilities, order by the strategy, pick a key, reserve the budget.
Timed at the full catalog with keys for every provider (worst case) and for six (typical).
Overhead = router call minus a direct ``openai.OpenAI`` call to the same local fake server,
interleaved so both see the same machine load; the median of the differences is the figure.

    .venv/bin/python benchmarks/bench_router.py [--catalog build/data/models.json] [--calls 500]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import openai
from knollm import Catalog
from knollm.router import Router

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "client" / "tests"))
from fake_openai import Trio  # noqa: E402

HI = [{"role": "user", "content": "Say hello in one word."}]
TYPICAL = ("groq", "together", "openrouter", "fireworks", "deepinfra", "cerebras")


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(int(q * len(ordered)), len(ordered) - 1)]


def decision(router: Router, model: object, n: int, **kw: object) -> tuple[float, float, int]:
    core = router._core
    times = []
    count = 0
    for _ in range(n):
        t = time.perf_counter()
        run = core.start(model, {"messages": HI, **kw}, None, None)
        target = run.next()
        times.append(time.perf_counter() - t)
        count = len(run.plan)
        if target is not None and not isinstance(target, float):
            core.ledger.release(target.reserved)
    return statistics.median(times) * 1e3, pct(times, 0.95) * 1e3, count


def bench_decisions(catalog: Catalog, n: int) -> None:
    keyed_all = {p.id: f"sk-bench-{p.id}" for p in catalog.providers}
    keyed_six = {p: f"sk-bench-{p}" for p in TYPICAL if p in catalog.provider_by_id}
    cases = [
        ("exact offering", "groq/llama-3.3-70b-versatile", "cheapest"),
        ("canonical, cheapest", "llama-3.3-70b-instruct", "cheapest"),
        ("canonical, balanced", "llama-3.3-70b-instruct", "balanced"),
        ("canonical, round-robin", "llama-3.3-70b-instruct", "round-robin"),
        (
            "fallback chain of 3",
            ["groq/llama-3.3-70b-versatile", "llama-3.3-70b-instruct", "gpt-oss-120b"],
            "fallback",
        ),
        ("auto (all chat offerings)", "auto", "cheapest"),
    ]
    print(f"routing decision, full catalog ({len(catalog.offerings):,} offerings), {n} runs each")
    print(f"{'keys for':<14}{'request':<28}{'candidates':>11}{'median ms':>11}{'p95 ms':>9}")
    for label, keys in (("all providers", keyed_all), ("6 providers", keyed_six)):
        for name, model, strategy in cases:
            router = Router(catalog, keys=keys, strategy=strategy)
            decision(router, model, 20)  # warm the caches (first resolution of a spec)
            med, p95, count = decision(router, model, n)
            print(f"{label:<14}{name:<28}{count:>11,}{med:>11.3f}{p95:>9.3f}")
        t = time.perf_counter()
        Router(catalog, keys=keys)
        print(
            f"{label:<14}{'(router construction)':<28}{'':>11}{(time.perf_counter() - t) * 1e3:>11.1f}"
        )


def bench_overhead(calls: int) -> None:
    with Trio() as trio:
        fake = trio["alpha"]
        direct = openai.OpenAI(api_key="sk-direct", base_url=fake.base_url, max_retries=0)
        router = Router(trio.catalog, **trio.options(timeout=10.0))
        for _ in range(30):  # warm connections on both
            direct.chat.completions.create(model="alpha-70b", messages=HI)
            router.chat.completions.create(model="alpha/alpha-70b", messages=HI)
        d_times, r_times = [], []
        for _ in range(calls):
            t = time.perf_counter()
            direct.chat.completions.create(model="alpha-70b", messages=HI)
            d_times.append(time.perf_counter() - t)
            t = time.perf_counter()
            router.chat.completions.create(model="alpha/alpha-70b", messages=HI)
            r_times.append(time.perf_counter() - t)
        diffs = [r - d for r, d in zip(r_times, d_times, strict=True)]
        direct.close()
        router.close()
    print(f"\noverhead over a direct OpenAI SDK call to the same local server, {calls} calls each")
    print(
        f"direct median {statistics.median(d_times) * 1e3:.3f} ms, router median "
        f"{statistics.median(r_times) * 1e3:.3f} ms"
    )
    print(
        f"router - direct: median {statistics.median(diffs) * 1e3:.3f} ms, "
        f"p95 {pct(diffs, 0.95) * 1e3:.3f} ms (budget < 2 ms median)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--catalog", default=str(ROOT / "build" / "data" / "models.json"))
    parser.add_argument("--runs", type=int, default=500)
    parser.add_argument("--calls", type=int, default=500)
    args = parser.parse_args()
    path = Path(args.catalog)
    if path.is_file():
        bench_decisions(Catalog.load(path), args.runs)
    else:
        print(f"routing decision: skipped, {path} not found (run make data WORK=../shared/work)")
    bench_overhead(args.calls)


if __name__ == "__main__":
    main()
