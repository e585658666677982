"""Figures for fan-out and the user-run benchmark, against fake providers on 127.0.0.1.

1. The benchmark's own overhead: ``knollm.bench.measure`` over a fake that waits ``DELAY`` before
   its first chunk and then streams ``TOKENS`` chunks at ``RATE`` per second. Reported: measured
   TTFT minus the scripted delay, measured latency minus the scripted latency, measured tokens/s
   against the scripted rate, and the same TTFT taken by a bare ``openai.AsyncOpenAI`` stream
   (no router) interleaved with it, so the router's and the measurement's share can be told apart.
2. Fan-out overhead per extra model: ``fan_out`` to k fakes (k = 1..MAX_K) that each answer after
   ``FAN_DELAY``; wall time minus ``FAN_DELAY``, median over rounds, and the least-squares slope
   over k = the cost of each extra model. Async (``AsyncRouter.fan_out``) and sync
   (``Router.fan_out``, which runs on the router's loop thread).

    .venv/bin/python benchmarks/bench_multi.py [--rounds 20]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from pathlib import Path

import openai
import orjson

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "client" / "tests"))
from fake_openai import FakeProvider, catalog_document, offering_record, provider_record  # noqa: E402
from knollm import Catalog  # noqa: E402
from knollm.bench import measure  # noqa: E402
from knollm.prompts import Prompt  # noqa: E402
from knollm.router import AsyncRouter, Router  # noqa: E402

DELAY, TOKENS, RATE = 0.2, 21, 100.0
FAN_DELAY, MAX_K = 0.1, 8
HI = Prompt("hi", [{"role": "user", "content": "hi"}])


def setup(fakes: list[FakeProvider]) -> tuple[Catalog, dict[str, str], dict[str, str]]:
    providers = [provider_record(f.name, f.base_url) for f in fakes]
    offerings = [offering_record(f.name, "bench-model", f"{f.name}-m", 1.0, 2.0) for f in fakes]
    catalog = Catalog.from_bytes(orjson.dumps(catalog_document(providers, offerings)))
    keys = {f.name: f"sk-bench-{f.name}" for f in fakes}
    return catalog, keys, {f.name: f.base_url for f in fakes}


async def direct_ttft(client: openai.AsyncOpenAI, model: str) -> float:
    t0 = time.perf_counter()
    first = None
    stream = await client.chat.completions.create(model=model, messages=HI.messages, stream=True)
    async for chunk in stream:
        if first is None and chunk.choices and chunk.choices[0].delta.content:
            first = time.perf_counter()
    return (first or time.perf_counter()) - t0


async def bench_overhead(rounds: int) -> None:
    fake = FakeProvider("slow", delay=DELAY, stream_tokens=TOKENS, token_rate=RATE)
    fake.start()
    try:
        catalog, keys, urls = setup([fake])
        decode = (TOKENS - 1) / RATE
        ttft, latency, rate, direct = [], [], [], []
        async with AsyncRouter(catalog, keys=keys, base_urls=urls, benchmark_priors=False) as r:
            client = openai.AsyncOpenAI(api_key="sk-bench", base_url=fake.base_url, max_retries=0)
            for _ in range(rounds):
                [s] = await measure(r, "slow/slow-m", HI, 0, 64)
                ttft.append(s.ttft_s - DELAY)
                latency.append(s.latency_s - DELAY - decode)
                rate.append(s.tokens_per_s)
                direct.append(await direct_ttft(client, "slow-m") - DELAY)
            await client.close()
    finally:
        fake.stop()
    ms = 1e3
    print(f"benchmark overhead ({rounds} requests; scripted TTFT {DELAY * ms:.0f} ms, "
          f"latency {(DELAY + decode) * ms:.0f} ms, {RATE:.0f} tok/s)")  # fmt: skip
    print(f"  TTFT    - scripted: median {statistics.median(ttft) * ms:.2f} ms, "
          f"max {max(ttft) * ms:.2f} ms")  # fmt: skip
    print(f"  latency - scripted: median {statistics.median(latency) * ms:.2f} ms, "
          f"max {max(latency) * ms:.2f} ms")  # fmt: skip
    print(f"  tokens/s: median {statistics.median(rate):.1f} (scripted {RATE:.0f})")
    print(f"  bare SDK stream TTFT - scripted: median {statistics.median(direct) * ms:.2f} ms")


def slope(xs: list[int], ys: list[float]) -> float:
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / sum(
        (x - mx) ** 2 for x in xs
    )


def bench_fan_out(rounds: int) -> None:
    fakes = [FakeProvider(f"p{i}", delay=FAN_DELAY) for i in range(MAX_K)]
    for f in fakes:
        f.start()
    try:
        catalog, keys, urls = setup(fakes)
        specs = [f"{f.name}/{f.name}-m" for f in fakes]
        ks = list(range(1, MAX_K + 1))

        async def run_async() -> list[float]:
            out = []
            async with AsyncRouter(catalog, keys=keys, base_urls=urls) as router:
                await router.fan_out(HI.messages, specs)  # warm the connections
                for k in ks:
                    times = []
                    for _ in range(rounds):
                        t = time.perf_counter()
                        await router.fan_out(HI.messages, specs[:k], timeout=5.0)
                        times.append(time.perf_counter() - t - FAN_DELAY)
                    out.append(statistics.median(times))
            return out

        async_over = asyncio.run(run_async())
        sync_over = []
        with Router(catalog, keys=keys, base_urls=urls) as router:
            router.fan_out(HI.messages, specs)
            for k in ks:
                times = []
                for _ in range(rounds):
                    t = time.perf_counter()
                    router.fan_out(HI.messages, specs[:k], timeout=5.0)
                    times.append(time.perf_counter() - t - FAN_DELAY)
                sync_over.append(statistics.median(times))
    finally:
        for f in fakes:
            f.stop()
    print(f"fan-out overhead over one {FAN_DELAY * 1e3:.0f} ms answer (median of {rounds} rounds)")
    print("  k:      " + " ".join(f"{k:>6}" for k in ks))
    print("  async:  " + " ".join(f"{v * 1e3:6.2f}" for v in async_over) + " ms")
    print("  sync:   " + " ".join(f"{v * 1e3:6.2f}" for v in sync_over) + " ms")
    print(f"  per extra model: async {slope(ks, async_over) * 1e3:.2f} ms, "
          f"sync {slope(ks, sync_over) * 1e3:.2f} ms")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    asyncio.run(bench_overhead(args.rounds))
    bench_fan_out(args.rounds)


if __name__ == "__main__":
    main()
