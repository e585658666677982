"""Benchmark the explorer in headless Chromium: payload size, time to first table, render work.

Run with ``make bench`` after ``make site WORK=../shared/work`` (it serves the built pages of
``site/`` with a payload of its own choosing). For the full catalog and a 10x synthetic one
(every model and offering copied ten times under new ids), each published as the compiler
publishes it (``explorer_files``: a small first part and the rest), it reports:

- the payload, raw and gzipped, every part together (budget: <= 300 KB gzipped at full size,
  issue 15), and the first part alone (what the first table waits for);
- time to the first table (navigation start to ``knollm:first-table``) and to the whole
  catalog in (``knollm:ready``), unthrottled, median of ``--repeat`` loads (the throttled
  4G + 4x CPU figure is bench_site_speed.py's);
- the render work of a keystroke: each character of a set of queries is typed as its own key
  press, and the page's ``knollm:update`` measure (search, filter, sort and patching the table,
  run in the task after the keystroke's frame) is read back; median and p95, in the offerings
  view and the models view. This is the script's share only; the budget is on the keystroke as
  a whole (Event Timing against a floor page, bench_site_speed.py).

Figures are printed, never asserted.
"""

from __future__ import annotations

import argparse
import functools
import gzip
import http.server
import shutil
import statistics
import tempfile
import threading
from pathlib import Path
from typing import Any

import orjson
from playwright.sync_api import sync_playwright

from knollm_build.explorer import explorer_files

ROOT = Path(__file__).resolve().parents[1]
QUERIES = [
    "llama 70b",
    "gpt4o",
    "sonnet 4",
    "r1",
    "deepseek v3",
    "qwen 2.5 72b",
    "mistral small",
    "groq llama",
    "claude opus",
    "gemini flash",
    "embedding",
    "kimi k2",
]


class Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        pass


def synthetic(document: dict[str, Any], copies: int) -> dict[str, Any]:
    """``copies`` copies of every model and offering under new ids (copy 0 keeps the real ids)."""
    models, offerings = [], []
    for n in range(copies):
        suffix = "" if n == 0 else f"-copy{n}"
        for m in document["models"]:
            models.append({**m, "id": m["id"] + suffix, "name": m["name"] + suffix})
        for o in document["offerings"]:
            offerings.append(
                {
                    **o,
                    "model": o["model"] + suffix,
                    "provider_model_id": o["provider_model_id"] + suffix,
                }
            )
    return {**document, "models": models, "offerings": offerings}


def built_site_and_chromium(site: Path) -> str:
    """The chromium to run, once ``site`` is a built site; else exit saying what is missing."""
    if not (site / "explorer" / "index.html").is_file():
        raise SystemExit(f"{site} has no explorer: run `make site WORK=../shared/work` first")
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        raise SystemExit("chromium not found (apt-get install chromium)")
    return chromium


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def measure(browser: Any, url: str, repeat: int) -> dict[str, Any]:
    first, ready = [], []
    for _ in range(repeat):
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(url + "explorer/")
        page.wait_for_selector("[data-state=ready]", state="attached", timeout=120_000)
        page.wait_for_function("performance.getEntriesByName('knollm:ready').length > 0")
        first.append(
            page.evaluate("performance.getEntriesByName('knollm:first-table')[0].startTime")
        )
        ready.append(page.evaluate("performance.getEntriesByName('knollm:ready')[0].startTime"))
        page.close()
    result: dict[str, Any] = {
        "first_ms": statistics.median(first),
        "ready_ms": statistics.median(ready),
    }
    for view in ("offerings", "models"):
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(url + f"explorer/?view={view}")
        page.wait_for_selector("[data-state=ready]", state="attached", timeout=120_000)
        box = page.locator(".knollm-search")
        keystrokes: list[float] = []
        for query in QUERIES:
            page.evaluate("performance.clearMeasures('knollm:update')")
            box.press_sequentially(query, delay=60)  # a render per key, as a typist gets
            durations = page.evaluate(
                "performance.getEntriesByName('knollm:update').map(e => e.duration)"
            )
            keystrokes.extend(durations)
            box.fill("")
        page.close()
        result[view] = {
            "keystrokes": len(keystrokes),
            "median_ms": statistics.median(keystrokes),
            "p95_ms": percentile(keystrokes, 0.95),
            "max_ms": max(keystrokes),
        }
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--site", type=Path, default=ROOT / "site")
    parser.add_argument(
        "--data", type=Path, default=None, help="folder of models.json (default: the site's data/)"
    )
    parser.add_argument("--copies", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    chromium = built_site_and_chromium(args.site)
    document = orjson.loads(((args.data or args.site / "data") / "models.json").read_bytes())
    catalogs = [
        ("full", {k: orjson.dumps(v) for k, v in explorer_files(document).items()}),
        (
            f"{args.copies}x",
            {
                k: orjson.dumps(v)
                for k, v in explorer_files(synthetic(document, args.copies)).items()
            },
        ),
    ]
    print(
        f"explorer benchmark — {len(document['offerings']):,} offerings, "
        f"{len(document['models']):,} models; {args.copies}x synthetic"
    )
    print(
        f"{'catalog':<8}{'payload':>10}{'gzip':>8}{'1st part':>10}{'table':>8}{'all in':>8}"
        f"{'view':>11}{'keys':>6}{'median':>9}{'p95':>9}{'max':>9}"
    )
    with tempfile.TemporaryDirectory(prefix="bench-explorer-") as scratch, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        for label, parts in catalogs:
            root = Path(scratch) / label
            for folder in ("explorer", "assets"):
                shutil.copytree(args.site / folder, root / folder)
            (root / "data").mkdir(parents=True)
            for name, body in parts.items():
                (root / "data" / name).write_bytes(body)
            handler = functools.partial(Quiet, directory=str(root))
            server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
            threading.Thread(target=server.serve_forever, daemon=True).start()
            try:
                figures = measure(browser, f"http://127.0.0.1:{server.server_port}/", args.repeat)
            finally:
                server.shutdown()
                server.server_close()
            raw = sum(len(body) for body in parts.values())
            gz = sum(len(gzip.compress(body, 6, mtime=0)) for body in parts.values())
            head_gz = len(gzip.compress(parts["explorer.json"], 6, mtime=0))
            for n, view in enumerate(("offerings", "models")):
                v = figures[view]
                head = (
                    f"{label:<8}{raw / 1024:>8,.0f}KB{gz / 1024:>6,.0f}KB{head_gz / 1024:>8,.0f}KB"
                    f"{figures['first_ms']:>6,.0f}ms{figures['ready_ms']:>6,.0f}ms"
                    if n == 0
                    else " " * 52
                )
                print(
                    f"{head}{view:>11}{v['keystrokes']:>6}{v['median_ms']:>7.2f}ms"
                    f"{v['p95_ms']:>7.2f}ms{v['max_ms']:>7.1f}ms"
                )
        browser.close()
    print(
        "budget: payload <= 300 KB gzipped at full size (every part); the keystroke's budget is"
        " bench_site_speed.py's (Event Timing, against a floor page)"
    )


if __name__ == "__main__":
    main()
