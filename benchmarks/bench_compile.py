"""Benchmark the catalog compiler: full catalog and a 10x synthetic one, beside the parse-only floor.

Run with ``make bench`` (or ``python benchmarks/bench_compile.py --work ../shared/work``).
Each compile runs in a fresh subprocess so peak RSS is that compile's own; times
are the median of ``--repeat`` runs. Figures are printed, never asserted.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import orjson

from knollm_build.sources import litellm_map, models_dev

CHILD = """
import json, resource, sys, time
from pathlib import Path
t0 = time.perf_counter()
import os
from knollm_build.pipeline import BuildOptions, compile_catalog
from knollm_build.emit import write_files
from knollm_build.publish import publish
opts = BuildOptions(work_dirs=[Path(p) for p in sys.argv[2:]], default_sources=sys.argv[1] == "1",
    check_duplicate_providers=os.environ.get("KNOLLM_BENCH_SYNTHETIC") != "1")
result = compile_catalog(opts)
write_files(Path("{out}"), publish(result))  # every published file, as `knollm-build compile`
elapsed = time.perf_counter() - t0
print(json.dumps({{"seconds": elapsed, "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
  "records": result.report["accounting"]["records_read"], "offerings": result.report["counts"]["offerings"],
  "timings": result.timings}}))
"""


def run_compile(
    work_dirs: list[Path], out: Path, default_sources: bool = True, synthetic: bool = False
) -> dict:
    """One compile in a fresh interpreter; ``synthetic`` (the 10x copies, duplicate providers by
    construction) skips the duplicate-provider check."""
    code = CHILD.format(out=str(out))
    args = [sys.executable, "-c", code, "1" if default_sources else "0", *map(str, work_dirs)]
    env = dict(os.environ, SOURCE_DATE_EPOCH=os.environ.get("SOURCE_DATE_EPOCH", "1764028800"))
    env["KNOLLM_BENCH_SYNTHETIC"] = "1" if synthetic else "0"
    done = subprocess.run(args, capture_output=True, text=True, env=env)
    if done.returncode:
        raise SystemExit(f"compile of {', '.join(map(str, work_dirs))} failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


FLOOR_CHILD = """
import sys, time
t0 = time.perf_counter()
from pathlib import Path
sys.path.insert(0, {here!r})
from bench_compile import parse_floor
seconds, size = parse_floor([Path(p) for p in sys.argv[1:]])
print(time.perf_counter() - t0, size)
"""


def floor_in_fresh_process(work_dirs: list[Path]) -> float:
    """The parse-only floor as a compile would pay it: a new interpreter, nothing imported or cached."""
    code = FLOOR_CHILD.format(here=str(Path(__file__).resolve().parent))
    done = subprocess.run(
        [sys.executable, "-c", code, *map(str, work_dirs)],
        capture_output=True,
        text=True,
        check=True,
    )
    return float(done.stdout.split()[0])


def parse_floor(work_dirs: list[Path], include_defaults: bool = True) -> tuple[float, int]:
    """Seconds to read and orjson-parse every input file (and import genai-prices' data), and bytes read."""
    start = time.perf_counter()
    size = 0
    for work in work_dirs:
        for path in sorted((work / "model_catalog").glob("*.json")):
            data = path.read_bytes()
            size += len(data)
            orjson.loads(data)
    if include_defaults:
        path, _ = models_dev.locate()
        raw = gzip.decompress(path.read_bytes())
        size += len(raw)
        orjson.loads(raw)
        data, _, _ = litellm_map.locate_map()
        size += len(data)
        orjson.loads(data)
        from genai_prices import data as _genai  # noqa: F401  (its data is Python objects: importing is parsing)
    return time.perf_counter() - start, size


def make_synthetic(real_work: Path, target: Path, copies: int) -> None:
    """``copies`` renamed copies of every real dump and of the open catalogs, as dumps."""
    folder = target / "model_catalog"
    folder.mkdir(parents=True)
    sources = sorted((real_work / "model_catalog").glob("models_*.json"))
    litellm_doc = orjson.loads(litellm_map.locate_map()[0])
    md_path, _ = models_dev.locate()
    md_doc = orjson.loads(gzip.decompress(md_path.read_bytes()))
    for n in range(copies):
        for path in sources:
            doc = orjson.loads(path.read_bytes())
            (folder / f"{path.stem}_syn{n}.json").write_bytes(
                orjson.dumps(_suffix(doc, f"-syn{n}"))
            )
        (folder / f"models_litellmmap_syn{n}.json").write_bytes(
            orjson.dumps(_suffix(litellm_doc, f"-syn{n}"))
        )
        for provider, entry in md_doc.items():
            models = [
                dict(m, id=f"{m.get('id', k)}-syn{n}")
                for k, m in (entry.get("models") or {}).items()
            ]
            for m in models:
                cost = m.pop("cost", None) or {}
                m["pricing"] = {"input": cost.get("input"), "output": cost.get("output")}
                m["context_length"] = (m.pop("limit", None) or {}).get("context")
            (folder / f"models_md-{provider}_syn{n}.json").write_bytes(
                orjson.dumps({"object": "list", "data": models})
            )


def _suffix(doc, suffix: str):
    if isinstance(doc, list):
        return [_rename(e, suffix) for e in doc]
    if isinstance(doc, dict) and "sample_spec" in doc:
        return {(k if k == "sample_spec" else k + suffix): v for k, v in doc.items()}
    if isinstance(doc, dict):
        return {
            k: (
                [_rename(e, suffix) for e in v]
                if isinstance(v, list) and k in ("data", "models")
                else v
            )
            for k, v in doc.items()
        }
    return doc


def _rename(entry, suffix: str):
    if isinstance(entry, dict) and isinstance(entry.get("id"), str):
        return dict(entry, id=entry["id"] + suffix)
    return entry


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--work", type=Path, default=Path("../shared/work"))
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--copies", type=int, default=10)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="knollm-bench-"))
    try:
        floor_full = statistics.median(
            floor_in_fresh_process([args.work]) for _ in range(args.repeat)
        )
        full = [run_compile([args.work], tmp / "full") for _ in range(args.repeat)]
        full_s = statistics.median(r["seconds"] for r in full)
        print(f"full catalog: {full[0]['records']:,} records -> {full[0]['offerings']:,} offerings")
        in_process = statistics.median(sum(r["timings"].values()) for r in full)
        print(
            f"  compile  {full_s:6.2f} s (median of {args.repeat}, interpreter start to files written; "
            f"stages alone {in_process:.2f} s)   peak RSS {max(r['rss_mb'] for r in full):6.0f} MB"
        )
        print(
            f"  parse-only floor {floor_full:6.2f} s (fresh interpreter: read + parse every input)   compile/floor x{full_s / floor_full:.1f}"
        )
        print(
            "  stages: "
            + ", ".join(f"{k} {v * 1000:.0f} ms" for k, v in full[0]["timings"].items())
        )
        synthetic = tmp / "synthetic"
        make_synthetic(args.work, synthetic, args.copies)
        floor_syn = floor_in_fresh_process([args.work, synthetic])
        big = [
            run_compile([args.work, synthetic], tmp / "big", synthetic=True)
            for _ in range(max(1, args.repeat - 1))
        ]
        big_s = statistics.median(r["seconds"] for r in big)
        ratio_records = big[0]["records"] / full[0]["records"]
        print(
            f"{args.copies}x synthetic: {big[0]['records']:,} records ({ratio_records:.1f}x) -> {big[0]['offerings']:,} offerings"
        )
        print(
            f"  compile  {big_s:6.2f} s   peak RSS {max(r['rss_mb'] for r in big):6.0f} MB   parse-only floor {floor_syn:6.2f} s"
        )
        print(
            f"  time x{big_s / full_s:.1f} for x{ratio_records:.1f} records  (per-record cost x{(big_s / big[0]['records']) / (full_s / full[0]['records']):.2f})"
        )
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
