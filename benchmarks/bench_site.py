"""Benchmark the site build: the full site beside a bare MkDocs-Material site of as many pages.

Run with ``make bench`` (or ``python benchmarks/bench_site.py --work ../shared/work``).
Each ``mkdocs build`` runs in a fresh subprocess into a fresh temporary site_dir, deleted
afterwards. CPU time is the child's user+sys (``RUSAGE_CHILDREN`` deltas), peak RSS the
child's own (``os.wait4``). Times are the median of ``--repeat`` runs. Budget: the full
site costs at most 1.5x the bare site's time and size (data files excluded), and the 10x
synthetic catalog about 10x the full site's time. Figures are printed, never asserted.
The 10x run needs several GB of free disk (it is skipped under 8 GB); ``--copies 0`` skips it.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MIN_FREE_BYTES = 8 * 1024**3
BARE_CONFIG = """site_name: Bare
theme: {name: material}
nav: [{Home: index.md}]
validation: {nav: {omitted_files: ignore}}
"""


def mkdocs_command() -> list[str]:
    beside = Path(sys.executable).with_name("mkdocs")
    return [str(beside)] if beside.exists() else [sys.executable, "-m", "mkdocs"]


def build(config: Path, scratch: Path, extra_env: dict[str, str]) -> dict:
    """One ``mkdocs build`` in a fresh process into a fresh site_dir; its costs and output sizes."""
    site = Path(tempfile.mkdtemp(prefix="site-", dir=scratch))
    env = dict(os.environ, NO_MKDOCS_2_WARNING="1", SOURCE_DATE_EPOCH="1764028800", **extra_env)
    args = [*mkdocs_command(), "build", "-q", "-f", str(config), "-d", str(site)]
    log = scratch / "mkdocs.log"
    try:
        with open(log, "wb") as out:
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            start = time.perf_counter()
            proc = subprocess.Popen(args, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
            _, status, usage = os.wait4(proc.pid, 0)
            wall = time.perf_counter() - start
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode != 0:
            tail = log.read_text(errors="replace")[-3000:]
            sys.exit(f"mkdocs build -f {config} failed ({proc.returncode}):\n{tail}")
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        return {
            "wall": wall,
            "cpu": cpu,
            "rss_mb": usage.ru_maxrss / 1024,  # KiB on Linux
            "pages": sum(1 for _ in site.rglob("index.html")),
            "size": tree_size(site),
            "data": tree_size(site / "data"),
            "search": _file_size(site / "search" / "search_index.json"),
        }
    finally:
        shutil.rmtree(site, ignore_errors=True)


def tree_size(path: Path) -> int:
    """Apparent size: the sum of the sizes of the files under ``path``."""
    if not path.is_dir():
        return 0
    total = 0
    for folder, _, names in os.walk(path):
        for name in names:
            total += os.lstat(os.path.join(folder, name)).st_size
    return total


def _file_size(path: Path) -> int:
    return path.stat().st_size if path.exists() else 0


def repeated(n: int, config: Path, scratch: Path, extra_env: dict[str, str]) -> dict:
    runs = [build(config, scratch, extra_env) for _ in range(n)]
    result = dict(runs[-1])
    for key in ("wall", "cpu", "rss_mb"):
        result[key] = statistics.median(r[key] for r in runs)
    return result


def bare_project(target: Path, pages: int) -> Path:
    """A MkDocs-Material project of ``pages`` HTML pages: index.md and ``pages - 1`` trivial ones."""
    docs = target / "docs"
    docs.mkdir(parents=True)
    (docs / "index.md").write_text("# Bare\n\nThe home page.\n")
    for i in range(1, pages):
        (docs / f"page-{i}.md").write_text(f"# Page {i}\n\nA trivial page number {i}.\n")
    config = target / "mkdocs.yml"
    config.write_text(BARE_CONFIG)
    return config


def mb(n: float) -> str:
    return f"{n / 1e6:,.1f}"


def row(label: str, r: dict) -> str:
    return (
        f"{label:<14}{r['pages']:>8,}{r['wall']:>9.1f}{r['cpu']:>9.1f}{r['rss_mb']:>9.0f}"
        f"{mb(r['size']):>11}{mb(r['data']):>10}{mb(r['search']):>10}"
    )


HEADER = (
    f"{'site':<14}{'pages':>8}{'wall s':>9}{'cpu s':>9}{'RSS MB':>9}"
    f"{'total MB':>11}{'data MB':>10}{'search MB':>10}"
)


def ratios(full: dict, bare: dict) -> str:
    size = (full["size"] - full["data"]) / bare["size"]
    return (
        f"  vs bare: time x{full['wall'] / bare['wall']:.2f}, cpu x{full['cpu'] / bare['cpu']:.2f}, "
        f"size without data files x{size:.2f}   (budget: <= 1.5x time and size)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--work", type=Path, default=Path("../shared/work"))
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument(
        "--copies", type=int, default=10, help="synthetic copies (several GB of disk); 0 skips"
    )
    args = parser.parse_args()
    work = args.work.resolve()
    os.chdir(ROOT)  # the sources cache and the docs config resolve from the repository root
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    config = ROOT / "src_docs" / "mkdocs.yml"
    tmp = Path(tempfile.mkdtemp(prefix="knollm-bench-site-"))
    try:
        full = repeated(args.repeat, config, tmp, {"KNOLLM_WORK": str(work)})
        bare = repeated(args.repeat, bare_project(tmp / "bare", full["pages"]), tmp, {})
        shutil.rmtree(tmp / "bare")
        print(f"site build, median of {args.repeat}; sizes are apparent sizes")
        print(HEADER)
        print(row("full", full))
        print(row("bare", bare))
        print(ratios(full, bare))
        if args.copies <= 0:
            return
        free = shutil.disk_usage(tmp).free
        if free < MIN_FREE_BYTES:
            print(
                f"{args.copies}x synthetic: skipped, {free / 1024**3:.1f} GB free in {tmp.parent} "
                f"(it needs several GB; 8 GB required)"
            )
            return
        print(f"{args.copies}x synthetic (needs several GB of free disk) ...", flush=True)
        from bench_compile import make_synthetic

        synthetic = tmp / "synthetic"
        make_synthetic(work, synthetic, args.copies)
        big = repeated(args.repeat, config, tmp, {"KNOLLM_WORK": f"{work} {synthetic}"})
        shutil.rmtree(synthetic)
        big_bare = repeated(args.repeat, bare_project(tmp / "bare", big["pages"]), tmp, {})
        print(row(f"{args.copies}x full", big))
        print(row(f"{args.copies}x bare", big_bare))
        print(ratios(big, big_bare))
        print(
            f"  vs full: time x{big['wall'] / full['wall']:.1f}, cpu x{big['cpu'] / full['cpu']:.1f} "
            f"for x{big['pages'] / full['pages']:.1f} pages   (budget: {args.copies}x <= "
            f"~{args.copies}x the time)"
        )
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
