"""Benchmark the knollm client at full catalog: load time, query medians, CLI wall time.

Run with ``python benchmarks/bench_client.py [--catalog build/data/models.json] [--cli-repeat N]``.
Budgets (design.md section 5, issue 12): ``Catalog.load()`` of the client index < 60 ms, queries
< 1 ms median, ``knollm models search "gpt-oss 120b" --json`` < 150 ms median wall, and no import of
rich when the output is JSON. The machine is shared, so the parse-only floor (orjson on the same
bytes) and a bare interpreter start are printed beside the figures as baselines, and CLI figures
are medians of ``--cli-repeat`` runs, with compiled bytecode as an installed package has it.
Figures are printed, never asserted.
"""

from __future__ import annotations

import argparse
import gc
import gzip
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import orjson
from knollm import Catalog, Preferences, estimate_cost
from knollm.queries import search_index
from knollm.source import bundled_file, bundled_index

REPO = Path(__file__).resolve().parents[1]


def median_ms(func: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def once_ms(func: Callable[[], object]) -> float:
    start = time.perf_counter()
    func()
    return (time.perf_counter() - start) * 1000


CPU: dict[str, float] = {}


def wall_ms(args: list[str], env: dict[str, str], repeat: int) -> float:
    """Median wall time of ``repeat`` runs (one warm-up run first, for the file cache). The
    fastest run and the median CPU time (user + system) go into ``CPU``: on a shared machine the
    CPU time moves less than the wall time."""
    subprocess.run(args, env=env, check=True, capture_output=True)
    times, cpu = [], []
    for _ in range(repeat):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        subprocess.run(args, env=env, check=True, capture_output=True)
        times.append(time.perf_counter() - start)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    CPU["median_cpu"] = statistics.median(cpu) * 1000
    CPU["min_wall"] = min(times) * 1000
    return statistics.median(times) * 1000


def imported(args: list[str], env: dict[str, str], prefix: str) -> bool:
    """Whether running ``python -X importtime`` ``args`` imports a module named ``prefix``."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", *args], env=env, check=True, capture_output=True
    )
    names = {line.rsplit("|", 1)[-1].strip() for line in done.stderr.decode().splitlines()}
    return any(name == prefix or name.startswith(prefix + ".") for name in names)


def _parse(data: bytes) -> None:
    gc.disable()
    try:
        orjson.loads(data)
    finally:
        gc.enable()


def row(name: str, ms: float, budget: str = "") -> None:
    print(f"| {name:<58} | {ms:>9.3f} | {budget:>8} |")


def cli_row(name: str, ms: float, budget: str = "") -> None:
    """A CLI row: the median wall, then the fastest run's wall and the median CPU time."""
    row(name, ms, budget)
    print(
        f"|   fastest {CPU['min_wall']:.1f} ms wall; median CPU (user+sys) {CPU['median_cpu']:.1f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--catalog", type=Path, default=REPO / "build" / "data" / "models.json")
    parser.add_argument("--repeat", type=int, default=200, help="runs per query")
    parser.add_argument("--cli-repeat", type=int, default=5)
    args = parser.parse_args()
    path: Path = args.catalog
    raw = path.read_bytes()
    bundled = bundled_file("models.json")

    print(f"catalog: {path} ({len(raw) / 2**20:.1f} MiB)")
    print("| what                                                       |        ms |   budget |")
    print("|------------------------------------------------------------|-----------|----------|")

    def parse_floor() -> None:
        gc.disable()
        try:
            orjson.loads(raw)
        finally:
            gc.enable()

    row("parse-only floor: orjson.loads (GC paused), median of 5", median_ms(parse_floor, 5))
    row("Catalog.load(models.json), median of 5", median_ms(lambda: Catalog.load(path), 5))
    index_path = path.with_name("client-index.knollm")
    if index_path.is_file():
        index_raw = index_path.read_bytes()
        row(
            f"Catalog.load(client-index.knollm, {len(index_raw) / 2**20:.1f} MiB), median of 9",
            median_ms(lambda: Catalog.load(index_path), 9),
            "< 60",
        )
        lines = index_raw.split(b"\n")  # magic, header, body, search tables
        row("  of which parse-only floor, body (orjson, GC paused)",
            median_ms(lambda: _parse(lines[2]), 9))  # fmt: skip
        row("  search tables, parsed on the first search", median_ms(lambda: _parse(lines[3]), 9))
    if bundled_index() is not None:
        empty = tempfile.mkdtemp(prefix="knollm-bench-")
        os.environ["KNOLLM_CACHE_DIR"] = empty  # no updated copy may win over the bundled data
        os.environ.pop("KNOLLM_CATALOG", None)
        row("Catalog.load() bundled client index, median of 9", median_ms(Catalog.load, 9), "< 60")
    if bundled is not None:
        row(
            "  bundled models.json.gz: gunzip only",
            median_ms(lambda: gzip.decompress(bundled.read_bytes()), 5),
        )

    catalog = Catalog.load(path)
    print(
        f"| {len(catalog.offerings):,} offerings, {len(catalog.models):,} models" + " " * 20 + "|"
    )
    row("first use: search index", once_ms(lambda: search_index(catalog)))
    row("first use: filter indexes", once_ms(lambda: catalog.filter(
        capabilities=["tools"], mode="chat", status="active", creator="Meta", min_context=1,
        max_input_price=1, max_output_price=1, input_modalities=["text"], provider="groq")))  # fmt: skip
    row("first use: ranking columns", once_ms(lambda: catalog.cheapest(limit=1)))

    queries: list[tuple[str, Callable[[], object]]] = [
        ("filter provider=groq", lambda: catalog.filter(provider="groq")),
        ("filter tools+vision, context>=128k, input<=$1",
         lambda: catalog.filter(capabilities=["tools", "vision"], min_context=128_000, max_input_price=1.0)),
        ("filter mode=chat, status=active (~16k results)",
         lambda: catalog.filter(mode="chat", status="active")),
        ("search 'llama 70b' (limit 20)", lambda: catalog.search("llama 70b")),
        ("search 'gpt4o'", lambda: catalog.search("gpt4o")),
        ("search 'sonnet 4'", lambda: catalog.search("sonnet 4")),
        ("search 'r1'", lambda: catalog.search("r1")),
        ("cheapest host of llama-3.3-70b-instruct",
         lambda: catalog.cheapest(model="llama-3.3-70b-instruct", limit=1)),
        ("cheapest tools, context>=64k (top 10)",
         lambda: catalog.cheapest(capabilities=["tools"], min_context=64_000)),
        ("find_optimal tools, context>=128k, cost only (default)",
         lambda: catalog.find_optimal(capabilities=["tools"], min_context=128_000)),
        ("find_optimal tools, context>=128k, cost+context",
         lambda: catalog.find_optimal(Preferences(cost=1, context=1), capabilities=["tools"], min_context=128_000)),
        ("find_optimal no constraints, all four weights",
         lambda: catalog.find_optimal(Preferences(cost=1, context=1, recency=1, hosts=1))),
        ("estimate_cost one offering (tiers, cache)",
         lambda: estimate_cost(catalog.offerings[0], 2e6, 5e5, cached_share=0.3, requests=100)),
    ]  # fmt: skip
    for name, func in queries:
        func()  # warm
        row(f"{name}, median", median_ms(func, args.repeat), "< 1")

    empty_cache = tempfile.mkdtemp(prefix="knollm-bench-")  # no updated copy may win over bundled
    env = dict(os.environ, KNOLLM_CATALOG=str(path), KNOLLM_CACHE_DIR=empty_cache, COLUMNS="160")
    # An installed package has its bytecode compiled (pip does it); with PYTHONDONTWRITEBYTECODE
    # set, every run would compile knollm's modules from source again. The warm-up run writes it.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    knollm = str(Path(sys.executable).with_name("knollm"))
    n = args.cli_repeat
    print(f"| CLI: median wall of {n} runs" + " " * 30 + "|")
    cli_row("python -c pass (interpreter start)", wall_ms([sys.executable, "-c", "pass"], env, n))
    cli_row("python -c 'import orjson, click' (floor of any command)",
        wall_ms([sys.executable, "-c", "import orjson, click"], env, n))  # fmt: skip
    cli_row("knollm --help (imports every command)", wall_ms([knollm, "--help"], env, n))
    cli_row("knollm models search 'llama 70b', KNOLLM_CATALOG=models.json",
        wall_ms([knollm, "models", "search", "llama 70b"], env, n))  # fmt: skip
    env.pop("KNOLLM_CATALOG")
    search = [knollm, "models", "search", "gpt-oss 120b", "--json"]
    if bundled_index() is not None or bundled is not None:
        cli_row("knollm models search 'gpt-oss 120b' --json, bundled data", wall_ms(search, env, n),
            "< 150")  # fmt: skip
        cli_row("knollm models search 'llama 70b' (table), bundled data",
            wall_ms([knollm, "models", "search", "llama 70b"], env, n))  # fmt: skip
        cli_row("knollm cheapest --model llama-3.3-70b-instruct --json, bundled data",
            wall_ms([knollm, "cheapest", "--model", "llama-3.3-70b-instruct", "--json"], env, n))  # fmt: skip
        script = (
            "import sys; sys.argv = ['knollm'] + sys.argv[1:]; from knollm.cli import run; run()"
        )
        for prefix in ("rich", "textual", "httpx", "openai"):
            found = imported(
                ["-c", script, "models", "search", "gpt-oss 120b", "--json"], env, prefix
            )
            print(
                f"| models search --json imports {prefix}: {'yes' if found else 'no'}"
                + " " * 30
                + "|"
            )


if __name__ == "__main__":
    main()
