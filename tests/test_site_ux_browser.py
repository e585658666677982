"""Layout, keyboard and accessibility of the site in a real browser (Debian's chromium).

Runs against the fixture site (mini catalog + hostile provider) that conftest builds once per
session, with the browser and server fixtures of test_explorer_browser. axe-core comes from
node_modules (pinned in package.json, `npm ci`), injected into each page by the test.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from test_explorer_browser import CHROMIUM, Page, base_url, browser, page  # noqa: F401 - fixtures

REPO = Path(__file__).resolve().parents[1]
AXE = REPO / "node_modules" / "axe-core" / "axe.min.js"

pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed")

PHONE = 390
PAGES = [
    "",
    "explorer/",
    "calculator/",
    "calculator/?offering=groq~llama-3.3-70b-versatile",
    "models/llama-3.3-70b-instruct/",
    "providers/together/",
    "data/",
    "data/quality/",
    "libraries/",
    "charts/",
]


def visit(page: Page, path: str) -> Any:
    """Open a page; explorer-like pages are waited for until their app is ready."""
    p = page.page
    p.goto(page.base + path)
    if p.query_selector("[data-knollm-app]"):
        p.wait_for_selector("[data-state=ready]", state="attached", timeout=15000)
    p.wait_for_load_state("load")
    return p


@pytest.fixture
def phone(browser: Any, base_url: str) -> Iterator[Page]:  # noqa: F811 - fixture use
    wrapped = Page(browser, base_url, width=PHONE)
    yield wrapped
    wrapped.close()


@pytest.mark.parametrize("path", PAGES)
def test_no_page_scrolls_sideways_on_a_phone(phone: Page, path: str) -> None:
    p = visit(phone, path)
    wide, width = p.evaluate(
        "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert wide <= width, f"/{path} is {wide}px wide on a {width}px screen"


def on_screen(p: Any, selector: str) -> list[str]:
    """Texts of the elements matching ``selector`` that are rendered and inside the viewport."""
    return p.evaluate(
        """(sel) => Array.from(document.querySelectorAll(sel)).filter((el) => {
            const r = el.getBoundingClientRect();
            return r.width > 0 && r.height > 0 && r.left >= 0 && r.right <= innerWidth;
        }).map((el) => el.textContent.trim())""",
        selector,
    )


def test_a_phone_shows_prices_on_model_pages_explorer_and_calculator(phone: Page) -> None:
    p = visit(phone, "models/llama-3.3-70b-instruct/")
    # Each offering is a card of labelled lines; the input and output prices are among them.
    inputs = on_screen(p, ".knollm-model .knollm-table td[data-label=Input]")
    assert inputs[:4] == ["$0.10", "$0.13", "$0.59", "$0.88"]
    assert on_screen(p, ".knollm-model .knollm-table td[data-label=Output]")[:2] == [
        "$0.20",
        "$0.40",
    ]
    label = p.evaluate(
        "getComputedStyle(document.querySelector('td[data-label=Input]'), '::before').content"
    )
    assert label == '"Input: "'
    p = visit(phone, "explorer/?search=llama+70b&sort=in&dir=asc")
    assert on_screen(p, ".knollm-results td[data-col=in]") == ["$0.10", "$0.13", "$0.59", "$0.88"]
    assert on_screen(p, ".knollm-results td[data-col=out]")[0] == "$0.20"
    assert on_screen(p, ".knollm-results td[data-col=api]") == []  # low-priority column folded
    p = visit(phone, "calculator/?provider=groq&cached=0")
    # Groq llama: (2000 * 0.59 + 400 * 0.79) / 1e6 * 10,000 * 30 = $448.80 a month.
    assert on_screen(p, ".knollm-results td[data-col=monthly]")[0] == "$448.80"


def test_table_headers_stick_below_the_site_header(browser: Any, base_url: str) -> None:  # noqa: F811
    short = Page(browser, base_url, width=1400)
    short.page.set_viewport_size({"width": 1400, "height": 420})
    try:
        for path, table in (
            ("models/llama-3.3-70b-instruct/", ".knollm-model .knollm-table"),
            ("explorer/", ".knollm-results"),
        ):
            p = visit(short, path)
            p.evaluate(
                """(sel) => { const t = document.querySelector(sel);
                document.body.style.paddingBottom = '2000px';  // room to scroll a short page
                window.scrollBy(0, t.getBoundingClientRect().top + window.scrollY > 0
                    ? t.getBoundingClientRect().top : 0); }""",
                table,
            )
            top, header, table_top, bottom = p.evaluate(
                """(sel) => [document.querySelector(sel + ' thead th').getBoundingClientRect().top,
                   document.querySelector('.md-header').getBoundingClientRect().bottom,
                   document.querySelector(sel).getBoundingClientRect().top,
                   document.querySelector(sel).getBoundingClientRect().bottom]""",
                table,
            )
            assert table_top < header, f"{path}: the table did not scroll under the header"
            assert bottom > header + 40, f"{path}: the table scrolled out of sight"
            assert abs(top - header) <= 1, f"{path}: header row at {top}, site header ends {header}"
    finally:
        short.close()


def test_compare_tray_folds_on_a_phone(phone: Page) -> None:
    p = visit(phone, "explorer/?search=llama+70b&sort=in&dir=asc")
    p.check(".knollm-results tbody tr:nth-child(1) input[data-compare]")
    p.check(".knollm-results tbody tr:nth-child(2) input[data-compare]")
    p.check(".knollm-results tbody tr:nth-child(3) input[data-compare]")
    toggle = p.locator(".knollm-tray-toggle")
    assert toggle.get_attribute("aria-expanded") == "false"
    assert toggle.inner_text().startswith("3 picked")
    height = p.evaluate("document.querySelector('.knollm-tray').getBoundingClientRect().height")
    assert height < 0.12 * 1000, f"the folded tray is {height}px tall"
    assert p.is_hidden(".knollm-tray ul")
    toggle.click()
    assert toggle.get_attribute("aria-expanded") == "true"
    assert len(on_screen(p, ".knollm-tray li")) == 3


def test_per_host_chart_labels_fit_a_phone(phone: Page) -> None:
    p = visit(phone, "charts/?chart=hosts&model=llama-3.3-70b-instruct")
    p.wait_for_function("document.querySelector('.knollm-count').textContent.includes('providers')")
    labels = p.evaluate("Chart.getChart(document.querySelector('canvas')).data.labels")
    assert len(labels) == 4
    assert all(len(label) <= 18 for label in labels), labels
    assert "Groq" in labels  # provider names, without the API ids that made them overprint
