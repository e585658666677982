"""The three questions of issue 15, asked of the built site as a reader would, timed.

Run after ``make site WORK=../shared/work``: ``.venv/bin/python benchmarks/bench_walkthrough.py``
(``--site`` for another build). It serves ``site/`` gzip-encoded on 127.0.0.1 and, on a desktop
(1400 px) and a phone (390 px) in headless Chromium, goes through each question by the page's
own controls (typing, picking, clicking; never a hand-made address):

1. "Who serves Llama 3.3 70B cheapest with at least 128k context and tool calling?" Home page,
   the type-ahead (Enter opens the model's page), the page's link into the explorer, a sort by
   input price, the context and tools filters, then the first row.
2. "What would 10M input + 2M output tokens a month cost on Claude Sonnet 4, GPT-4o and
   DeepSeek V3?" The calculator, monthly totals, the three models added with the model picker,
   then the per-model summary table.
3. "Which Python library for structured output?" The libraries page's helper.

For each it prints the answer the page gave and the machine time from the first navigation to
the answer on screen (what the pages cost; a reader's reading and typing come on top). Every
step must find what it looks for, or the script stops with the step that failed. Figures are
printed, never asserted.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_explorer import built_site_and_chromium  # noqa: E402 - after the path
from bench_site_speed import serve  # noqa: E402

READY = "[data-knollm-app][data-state=ready]"


def question_1(page: Any, base: str) -> str:
    page.goto(base)
    box = page.get_by_role("combobox", name="Find a model or provider")
    box.fill("llama 3.3 70b")
    option = page.locator(".knollm-typeahead [role=option]").first
    option.wait_for()
    box.press("Enter")  # opens the first suggestion: the model's page
    page.wait_for_url("**/models/**")
    page.get_by_role("link", name="Filter and compare them in the explorer").click()
    page.wait_for_selector(READY, state="attached")
    page.locator("button[data-sort=in]").click()  # cheapest first
    page.wait_for_selector(READY, state="attached")
    if not page.evaluate("document.querySelector('details.knollm-filters').open"):
        page.click("details.knollm-filters > summary")  # folded away on a phone
    page.select_option("select[aria-label='Minimum context']", label="≥ 128k")
    page.check("input[aria-label=Tools]")
    page.wait_for_selector(READY, state="attached")
    row = page.locator(".knollm-results tbody tr").first
    cells = {
        col: row.locator(f"td[data-col={col}]").inner_text().strip()
        for col in ("model", "provider", "api", "in", "out", "ctx")
    }
    return (
        f"{cells['provider']} ({cells['api']}): {cells['in']} in / {cells['out']} out per 1M,"
        f" {cells['ctx']} context — {cells['model']}"
    )


def question_2(page: Any, base: str) -> str:
    page.goto(base + "calculator/")
    page.wait_for_selector(READY, state="attached")
    page.select_option("select[aria-label='Enter the workload as']", "month")
    page.fill("input[aria-label='Input tokens per month']", "10M")
    page.fill("input[aria-label='Output tokens per month']", "2M")
    for text, name in (
        ("claude sonnet 4", "Claude Sonnet 4"),
        ("gpt-4o", "GPT-4o"),
        ("deepseek v3", "DeepSeek V3"),
    ):
        page.fill("input[aria-label='Add a model to compare']", text)
        pick = page.locator("#knollm-pick-list button").filter(has_text=name).first
        pick.wait_for()
        pick.click()
    page.wait_for_selector(READY, state="attached")
    page.wait_for_function(
        "document.querySelectorAll('.knollm-summary-table tbody tr').length === 3"
    )
    rows = page.locator(".knollm-summary-table tbody tr")
    out = []
    for k in range(rows.count()):
        cells = [c.strip() for c in rows.nth(k).locator("th, td").all_inner_texts()]
        out.append(f"{cells[0]} {cells[2]} at {cells[1]}")
    return "; ".join(out)


def question_3(page: Any, base: str) -> str:
    page.goto(base + "libraries/")
    selects = page.locator("#knollm-helper select")
    for k in range(selects.count()):
        labels = selects.nth(k).locator("option").all_inner_texts()
        wanted = [label for label in labels if "structured" in label.lower()]
        if wanted:
            selects.nth(k).select_option(label=wanted[0])
            break
    else:
        raise SystemExit("question 3: the helper has no structured-output question")
    first = page.locator("#knollm-helper-results > li").first
    first.wait_for()
    return first.locator("a").first.inner_text() + " (first of the helper's answers)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--site", type=Path, default=ROOT / "site")
    args = parser.parse_args()
    chromium = built_site_and_chromium(args.site)
    server = serve(args.site)
    base = f"http://127.0.0.1:{server.server_port}/"
    questions = (
        ("1 cheapest Llama 3.3 70B, 128k, tools", question_1),
        ("2 monthly cost of three models", question_2),
        ("3 library for structured output", question_3),
    )
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
            for device, width in (("desktop", 1400), ("phone", 390)):
                for label, ask in questions:
                    context = browser.new_context(
                        viewport={"width": width, "height": 900 if width > 600 else 844},
                        is_mobile=width < 600,
                        has_touch=width < 600,
                    )
                    page = context.new_page()
                    started = time.perf_counter()
                    answer = ask(page, base)
                    took = time.perf_counter() - started
                    wide = page.evaluate("document.documentElement.scrollWidth")
                    print(f"{device:<8}{label:<40}{took:>6.2f}s  page width {wide}px")
                    print(f"{'':<8}{answer}")
                    context.close()
            browser.close()
    finally:
        server.shutdown()
        server.server_close()


if __name__ == "__main__":
    main()
