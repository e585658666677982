"""Layout, keyboard and accessibility of the site in a real browser (Debian's chromium).

Runs against the fixture site (mini catalog + hostile provider) that conftest builds once per
session, with the browser and server fixtures of test_explorer_browser. axe-core comes from
node_modules (pinned in package.json, `npm ci`), injected into each page by the test.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from test_explorer_browser import CHROMIUM, Page, base_url, browser, page  # noqa: F401 - fixtures

from knollm_build.explorer import explorer_payload

REPO = Path(__file__).resolve().parents[1]
AXE = REPO / "node_modules" / "axe-core" / "axe.min.js"

pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed")

PHONE = 390
PAGES = [
    "",
    "explorer/",
    "calculator/",
    "calculator/?offering=groq~llama-3.3-70b-versatile",
    # several models in one table, monthly totals (the per-model summary table stacks)
    "calculator/?entry=month&month_input_tokens=10M&month_output_tokens=2M"
    "&models=llama-3.3-70b-instruct,deepseek-v3",
    "models/llama-3.3-70b-instruct/",
    "providers/together/",
    "data/",
    "data/quality/",
    "libraries/",
    "charts/",
]


def visit(tab: Page, path: str) -> Any:
    """Open a page; explorer-like pages are waited for until their app is ready."""
    p = tab.page
    p.goto(tab.base + path)
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
            ("explorer/?longtail=1", ".knollm-results"),  # enough rows to scroll under
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


AXE_PAGES = [
    "",
    "explorer/",
    "calculator/?offering=groq~llama-3.3-70b-versatile",
    # several models in one table, monthly totals (the per-model summary table stacks)
    "calculator/?entry=month&month_input_tokens=10M&month_output_tokens=2M"
    "&models=llama-3.3-70b-instruct,deepseek-v3",
    "models/llama-3.3-70b-instruct/",
    "providers/together/",
    "libraries/",
]


@pytest.mark.parametrize("scheme", ["default", "slate"])
@pytest.mark.parametrize("width", [1400, PHONE])
def test_axe_finds_no_serious_or_critical_violation(
    browser: Any,  # noqa: F811 - fixture use
    base_url: str,  # noqa: F811
    scheme: str,
    width: int,
) -> None:
    assert AXE.is_file(), "axe-core is missing: run `npm ci` in the repository root"
    tab = Page(browser, base_url, width=width)
    tab.page.add_init_script(f"localStorage.setItem('knollm.palette', '{scheme}')")
    found = {}
    try:
        for path in AXE_PAGES:
            p = visit(tab, path)
            assert p.evaluate("document.body.getAttribute('data-md-color-scheme')") == scheme
            # Colours are checked as they end up: under load, axe could otherwise read a link
            # halfway through Material's colour transition (seen once on a loaded machine).
            p.add_style_tag(
                content="*, *::before, *::after { transition: none !important; animation: none !important; }"
            )
            p.add_script_tag(path=str(AXE))
            violations = p.evaluate(
                """() => axe.run(document, {runOnly: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']})
                .then((r) => r.violations.filter((v) => ['serious', 'critical'].includes(v.impact))
                .map((v) => v.id + ' ' + v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(' | ')))"""
            )
            if violations:
                found["/" + path] = violations
    finally:
        tab.close()
    assert found == {}


def active(p: Any) -> dict[str, str]:
    return p.evaluate(
        "(() => { const a = document.activeElement; return Object.assign({tag: a.tagName}, a.dataset); })()"
    )


def test_focus_stays_on_the_control_used(page: Page) -> None:  # noqa: F811
    p = visit(page, "explorer/?search=llama")
    p.focus("button[data-sort=in]")
    p.keyboard.press("Enter")
    assert "sort=in" in p.url
    assert active(p)["sort"] == "in"  # the re-rendered header's button, not the page body
    p.keyboard.press("Enter")
    assert "dir=desc" in p.url and active(p)["sort"] == "in"
    box = ".knollm-results tbody tr:nth-child(2) input[data-compare]"
    key = p.get_attribute(box, "data-compare")
    p.focus(box)
    p.keyboard.press("Space")
    assert active(p).get("compare") == key
    assert p.is_checked(box)
    # Removing from the tray moves focus to the tray's toggle (the removed button is gone).
    p.click(".knollm-tray-toggle")
    p.focus(".knollm-tray li button")
    p.keyboard.press("Enter")
    assert p.is_hidden(".knollm-tray") or active(p).get("trayToggle") == "1"


def test_next_page_keeps_focus(page: Page) -> None:  # noqa: F811
    document = {
        "schema_version": "1.0.0",
        "generated_at": "2026-01-01T00:00:00Z",
        "providers": [{"id": "acme", "name": "Acme", "kind": "first_party"}],
        "models": [{"id": f"m{k}", "name": f"Model {k}", "hosts": 1} for k in range(120)],
        "offerings": [
            {
                "provider": "acme",
                "model": f"m{k}",
                "provider_model_id": f"m{k}",
                "pricing": {"input": 1.0},
            }
            for k in range(120)
        ],
    }
    payload = orjson.dumps(explorer_payload(document))
    page.page.route(
        "**/data/explorer.json",
        lambda route: route.fulfill(body=payload, content_type="application/json"),
    )
    p = visit(page, "explorer/")
    p.focus("[data-step=next]")
    p.keyboard.press("Enter")
    assert "page=2" in p.url and active(p)["step"] == "next"
    p.keyboard.press("Enter")  # page 3 is the last: "Next" is disabled, focus goes to "Previous"
    assert "page=3" in p.url and active(p)["step"] == "prev"


def test_skip_link_goes_from_the_search_box_to_the_results(page: Page) -> None:  # noqa: F811
    p = visit(page, "explorer/")
    p.focus(".knollm-search")
    p.keyboard.press("Tab")
    assert p.evaluate("document.activeElement.textContent") == "Skip to results"
    assert p.evaluate("document.activeElement.getBoundingClientRect().width") > 0  # shown on focus
    p.keyboard.press("Enter")
    first = p.get_attribute(
        ".knollm-results tbody tr:first-child input[data-compare]", "data-compare"
    )
    assert active(p).get("compare") == first  # the first result's compare box
    p.keyboard.press("Tab")
    assert p.evaluate("document.activeElement.closest('td').dataset.col") == "model"


def test_sorting_generated_tables_by_keyboard(page: Page) -> None:  # noqa: F811
    p = visit(page, "models/llama-3.3-70b-instruct/")
    hosts = p.locator(
        ".knollm-model .knollm-table"
    ).first  # the hosts table (price history follows)
    header = hosts.locator("thead th", has_text="Input")
    button = header.get_by_role("button", name="Input")
    button.focus()
    p.keyboard.press("Enter")
    assert header.get_attribute("aria-sort") == "ascending"
    prices = hosts.locator("tbody td[data-label=Input]").all_text_contents()
    assert prices == ["$0.10", "$0.13", "$0.59", "$0.88"]
    p.keyboard.press("Enter")
    assert header.get_attribute("aria-sort") == "descending"
    prices = hosts.locator("tbody td[data-label=Input]").all_text_contents()
    assert prices == ["$0.88", "$0.59", "$0.13", "$0.10"]
    assert p.evaluate("document.activeElement.textContent.trim()") == "Input"


def test_controls_are_named_for_what_they_do(page: Page) -> None:  # noqa: F811
    p = visit(page, "explorer/")
    assert p.get_by_role("checkbox", name="Hide free ($0)").count() == 1
    assert p.get_by_role("checkbox", name="Paid only").count() == 0
    boxes = p.get_by_role("checkbox", name="Compare Llama 3.3 70B Instruct at Groq")
    assert boxes.count() == 1
    assert p.get_by_role("columnheader", name="Compare").count() == 1
    assert p.get_by_role("button", name="Next page").count() == 1


def test_home_type_ahead_opens_the_page_meant(page: Page) -> None:  # noqa: F811
    p = visit(page, "")
    box = p.get_by_role("combobox", name="Find a model or provider")
    box.fill("together")
    options = p.locator(".knollm-typeahead [role=option]")
    options.first.wait_for()
    assert options.first.locator(".knollm-ta-name").inner_text() == "Together AI"
    box.press("Enter")
    p.wait_for_url("**/providers/together/")
    p = visit(page, "")
    box = p.get_by_role("combobox", name="Find a model or provider")
    box.fill("llama 3.3 70b")
    options.first.wait_for()
    assert options.first.locator(".knollm-ta-name").inner_text() == "Llama 3.3 70B Instruct"
    assert box.get_attribute("aria-expanded") == "true"
    box.press("Enter")
    p.wait_for_url("**/models/llama-3.3-70b-instruct/")


def test_home_lists_tasks_and_the_most_hosted_models(page: Page) -> None:  # noqa: F811
    p = visit(page, "")
    tasks = p.locator(".knollm-tasks a")
    assert tasks.all_inner_texts() == [
        "Find the cheapest host",
        "Price a workload",
        "Compare models",
        "Pick a library",
    ]
    p.wait_for_selector("[data-knollm-headline][data-state=ready]")
    first = p.locator(".knollm-headline-list li").first
    assert first.locator("a").first.inner_text() == "Llama 3.3 70B Instruct"
    # the fixture's most widely hosted model: Groq, Together and the hostile host serve it
    # directly, OpenRouter (a router) passes requests on
    assert "3 direct hosts · 1 via routers" in first.inner_text()


@pytest.mark.parametrize(
    ("typed", "opens"),
    [
        ("together", "providers/together/"),
        ("llama 3.3 70b", "models/llama-3.3-70b-instruct/"),
        ("gpt-oss-120b", "models/gpt-oss-120b/"),
    ],
)
def test_header_search_opens_models_and_providers(page: Page, typed: str, opens: str) -> None:  # noqa: F811
    p = visit(page, "guides/getting-started/")
    p.click(".md-search__input")
    p.fill(".md-search__input", typed)
    p.wait_for_selector(".knollm-ta-header:not([hidden]) a")
    first = p.locator(".knollm-ta-header a").first.get_attribute("href")
    assert first is not None and first.endswith(opens)
    p.press(".md-search__input", "Enter")
    p.wait_for_url("**/" + opens)


def test_not_found_page_has_the_type_ahead(page: Page) -> None:  # noqa: F811
    p = visit(page, "404.html")
    assert "Page not found" in p.inner_text("h1")
    p.get_by_role("combobox", name="Find a model or provider").fill("groq")
    p.wait_for_selector(".knollm-typeahead [role=option]")
    assert p.locator(".knollm-typeahead [role=option] .knollm-ta-name").first.inner_text() == "Groq"


def test_type_ahead_keeps_hostile_names_as_text(page: Page) -> None:  # noqa: F811
    p = visit(page, "")
    box = p.get_by_role("combobox", name="Find a model or provider")
    box.fill("img src")
    p.wait_for_selector(".knollm-typeahead [role=option]")
    names = p.locator(".knollm-typeahead .knollm-ta-name").all_inner_texts()
    assert "<img src=x onerror=alert(1)>" in names
    assert p.query_selector_all(".knollm-typeahead img, .knollm-typeahead script") == []


def test_model_pages_link_to_the_explorer_and_calculator_for_that_model(page: Page) -> None:  # noqa: F811
    p = visit(page, "models/llama-3.3-70b-instruct/")
    p.click("text=Filter and compare them in the explorer")
    p.wait_for_selector("[data-state=ready]", state="attached")
    assert "model=llama-3.3-70b-instruct" in p.url
    assert page.count().startswith("4 offerings match")
    chip = p.locator(".knollm-chip")
    assert chip.inner_text() == "Only Llama 3.3 70B Instruct ✕"
    chip.click()
    assert page.count().startswith("7 offerings match")  # one-host models hidden again
    assert "model=" not in p.url
    p = visit(page, "models/llama-3.3-70b-instruct/")
    p.click("text=price a workload on them")
    p.wait_for_selector("[data-state=ready]", state="attached")
    assert set(page.column(1)) == {"Llama 3.3 70B Instruct"}
