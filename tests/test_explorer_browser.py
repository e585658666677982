"""The explorer, calculator and charts in a real browser: Debian's chromium driven by Playwright.

The fixture site (mini catalog + a provider whose every string is hostile) is built once and
served from 127.0.0.1. Expected figures are computed by hand from the fixture's prices, written
out in each test. One test runs against the full site that `make site WORK=../shared/work`
built into ./site (CI builds it before the tests).
"""

from __future__ import annotations

import functools
import http.server
import os
import re
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import orjson
import pytest

from knollm_build.explorer import explorer_payload

playwright_api = pytest.importorskip("playwright.sync_api")
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
REPO = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.skipif(
    CHROMIUM is None and not os.environ.get("CI"),
    reason="Debian's chromium is not installed (apt-get install chromium)",
)


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        pass


def serve(folder: Path) -> tuple[http.server.ThreadingHTTPServer, str]:
    handler = functools.partial(QuietHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_port}/"


@pytest.fixture(scope="module")
def base_url(fixture_site: Path) -> Iterator[str]:
    server, url = serve(fixture_site)
    yield url
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    assert CHROMIUM, "chromium is required for the browser tests (apt-get install chromium)"
    with playwright_api.sync_playwright() as p:
        launched = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield launched
        launched.close()


class Page:
    """A browser page that records script errors and dialogs (an XSS payload would open one)."""

    def __init__(self, browser: Any, base: str, width: int = 1400) -> None:
        self.page = browser.new_page(viewport={"width": width, "height": 1000})
        self.base = base
        self.errors: list[str] = []
        self.dialogs: list[str] = []
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        # A missing file names its address (the console message alone does not).
        self.page.on(
            "response",
            lambda r: self.errors.append(f"{r.status} {r.url}") if r.status >= 400 else None,
        )

        def on_dialog(dialog: Any) -> None:
            self.dialogs.append(dialog.message)
            dialog.dismiss()

        self.page.on("dialog", on_dialog)

    def open(self, path: str) -> Any:
        self.page.goto(self.base + path)
        self.page.wait_for_selector("[data-state=ready]", state="attached", timeout=15000)
        return self.page

    def count(self) -> str:
        return self.page.inner_text(".knollm-count")

    def column(self, index: int) -> list[str]:
        """Text of column ``index`` (1-based, after the compare box in the explorer) of every row."""
        return [
            cell.inner_text().strip()
            for cell in self.page.query_selector_all(
                f".knollm-results tbody tr td:nth-child({index})"
            )
        ]

    def close(self) -> None:
        assert self.errors == [], self.errors
        assert self.dialogs == [], self.dialogs
        self.page.close()


@pytest.fixture
def page(browser: Any, base_url: str) -> Iterator[Page]:
    wrapped = Page(browser, base_url)
    yield wrapped
    wrapped.close()


def search(page: Page, text: str) -> None:
    page.page.fill(".knollm-search", text)
    # the table is rebuilt in the task after the keystroke's frame (knollm-explorer.js renderSoon)
    page.page.wait_for_selector("[data-knollm-app][data-state=ready]", state="attached")


# Explorer columns with the default hidden ones (mode, cache read) left out:
# 1 compare box, 2 model, 3 provider, 4 API id, 5 input, 6 output, 7 blended, 8 context, ...
MODEL, PROVIDER, API, INPUT = 2, 3, 4, 5


def test_explorer_search_is_tolerant_of_how_names_are_typed(page: Page) -> None:
    page.open("explorer/")
    # 13 offerings: 7 of the two models with 2+ direct hosts (Llama 3.3 70B, gpt-oss-120b); the 6
    # of one-host models (whisper and bge, the hostile host's own three, openrouter/auto) are
    # hidden by default, and the page says so.
    assert page.count().startswith("7 offerings match")
    assert page.page.inner_text(".knollm-left-out").startswith(
        "6 offerings of 6 one-host models (fewer than 2 direct hosts, not served by their lab) hidden."
    )
    search(page, "llama 70b")
    assert page.count().startswith("4 offerings match")
    assert set(page.column(PROVIDER)) == {
        "Groq",
        "Openrouter",
        "Together AI",
        "<script>alert('provider')</script> {{ 7*7 }} | [x](javascript:alert(1)) {% raw %}",
    }
    assert set(page.column(MODEL)) == {"Llama 3.3 70B Instruct"}
    search(page, "oss120b")  # typed without separators
    assert page.count().startswith("3 offerings match")
    search(page, "versatile")  # an API id only Groq uses
    assert page.column(API) == ["llama-3.3-70b-versatile"]
    search(page, "together llama")  # a provider and a model, in any order
    assert page.column(PROVIDER) == ["Together AI"]
    search(page, "zzzz")
    assert page.count().startswith("0 offerings match")


def test_separators_inside_a_typed_word_must_match_together(page: Page) -> None:
    names = {
        "llama-3.3-70b-instruct": "Llama 3.3 70B Instruct",
        "llama-3.1-70b-instruct": "Llama 3.1 70B Instruct",
        "gpt-4o": "GPT-4o",
        "gpt-4.1": "GPT-4.1",
    }
    document = {
        "schema_version": "1.0.0",
        "generated_at": "2026-01-01T00:00:00Z",
        "providers": [{"id": "acme", "name": "Acme", "kind": "first_party"}],
        "models": [{"id": i, "name": n, "hosts": 1} for i, n in names.items()],
        "offerings": [
            {"provider": "acme", "model": i, "provider_model_id": i, "pricing": {"input": 1.0}}
            for i in names
        ],
    }
    payload = orjson.dumps(explorer_payload(document))
    page.page.route(
        "**/data/explorer.json",
        lambda route: route.fulfill(body=payload, content_type="application/json"),
    )
    page.open("explorer/")
    search(page, "llama 70b")
    assert sorted(page.column(MODEL)) == ["Llama 3.1 70B Instruct", "Llama 3.3 70B Instruct"]
    search(page, "llama 3.3 70b")  # "3.3" is one word: Llama 3.1 has a 3 and a 70b, not "3.3"
    assert page.column(MODEL) == ["Llama 3.3 70B Instruct"]
    search(page, "gpt-4o")
    assert page.column(MODEL) == ["GPT-4o"]
    search(page, "acme/gpt-4.1")
    assert page.column(MODEL) == ["GPT-4.1"]


def test_filters_sort_and_counts(page: Page) -> None:
    p = page.open("explorer/?longtail=1")
    p.select_option("select[aria-label=Provider]", "groq")
    # whisper at Groq is deprecated (still callable): shown; nothing here is retired
    assert page.count().startswith("3 offerings match")
    p.check("input[aria-label='Show retired']")
    assert page.count().startswith("3 offerings match")
    p.select_option("select[aria-label=Provider]", "")
    p.select_option("select[aria-label=Mode]", "embedding")
    assert page.column(MODEL) == ["Bge Base En V1.5"]
    p.select_option("select[aria-label=Mode]", "")
    p.fill("input[aria-label='Maximum input price']", "0.5")
    # Inputs <= $0.5: 0.5, 0.25, 0.1, 0.13, 0 (free), 0.15, 0.008 -> 7 offerings.
    assert page.count().startswith("7 offerings match")
    p.fill("input[aria-label='Maximum input price']", "")
    p.check("input[aria-label=Tools]")
    # Tools: Groq's llama and OpenRouter's llama and free gpt-oss (capability bits 1, 9, 17).
    assert page.count().startswith("3 offerings match")
    p.uncheck("input[aria-label=Tools]")
    p.click("button[data-sort=in]")
    prices = page.column(INPUT)
    # what a cost ranking takes first, cheapest first; the free tier ($0) after every paid price
    assert prices[:5] == ["$0.008", "$0.10", "$0.13", "$0.15", "$0.25"]
    known = [price for price in prices if price != "—"]
    assert known[-1] == "$0" and known.count("$0") == 1
    assert prices[-3:] == ["—", "—", "—"]  # unknown prices last, in both directions
    p.click("button[data-sort=in]")
    prices = page.column(INPUT)
    assert prices[:3] == ["$1.50", "$0.88", "$0.59"]
    assert prices[-3:] == ["—", "—", "—"]


def test_state_is_in_the_url_and_survives_reload_and_history(
    page: Page, browser: Any, base_url: str
) -> None:
    p = page.open("explorer/")
    search(page, "llama")
    p.select_option("select[aria-label=Provider]", "together")
    p.click("button[data-sort=ctx]")
    p.select_option("select[aria-label=View]", "models")
    url = p.url
    assert "search=llama" in url and "provider=together" in url and "view=models" in url
    rows = page.column(1)
    assert rows == ["Llama 3.3 70B Instruct"]
    shared = Page(browser, base_url)  # someone opening the shared link
    q = shared.open(url.removeprefix(base_url))
    assert q.input_value(".knollm-search") == "llama"
    assert q.input_value("select[aria-label=Provider]") == "together"
    assert q.input_value("select[aria-label=View]") == "models"
    assert shared.column(1) == rows
    shared.close()
    p.go_back()  # back to one row per offering
    p.wait_for_function("document.querySelector('select[aria-label=View]').value === 'offerings'")
    assert page.column(PROVIDER) == ["Together AI"]
    p.go_back()  # the sort
    p.go_back()  # before the provider filter
    p.wait_for_function("document.querySelector('select[aria-label=Provider]').value === ''")
    assert page.count().startswith("4 offerings match")  # "llama" alone
    p.go_forward()
    p.wait_for_function(
        "document.querySelector('select[aria-label=Provider]').value === 'together'"
    )


def test_models_view_folds_hosts(page: Page) -> None:
    p = page.open("explorer/?view=models&search=llama+3.3")
    assert page.column(1) == ["Llama 3.3 70B Instruct"]
    cells = p.query_selector_all(".knollm-results tbody tr td")
    texts = [c.inner_text() for c in cells]
    assert "$0.10 at " in texts[2]  # cheapest input, at the hostile provider, as text
    assert (
        texts[-2] == "3 +1 via router"
    )  # direct hosts (Groq, Together, the hostile one), OpenRouter


def test_compare_tray_and_side_by_side(page: Page) -> None:
    p = page.open("explorer/?search=llama+70b&sort=in&dir=asc")
    p.check(".knollm-results tbody tr:nth-child(2) input[data-compare]")  # OpenRouter $0.13
    p.check(".knollm-results tbody tr:nth-child(3) input[data-compare]")  # Groq $0.59
    assert not p.is_hidden(".knollm-tray")
    assert parse_qs(urlsplit(p.url).query)["compare"] == [
        "openrouter~meta-llama/llama-3.3-70b-instruct,groq~llama-3.3-70b-versatile"
    ]
    table = p.query_selector(".knollm-compare-table")
    assert table is not None
    text = table.inner_text()
    assert "$0.13" in text and "$0.59" in text
    # Monthly cost with the default chatbot workload (2000 in, 400 out, 50% cached, 10k/day),
    # no cache prices, so all input at the input price: Groq (2000*0.59 + 400*0.79)/1e6 * 300k.
    assert "$448.80" in text
    p.reload()
    p.wait_for_selector("[data-state=ready]", state="attached")
    assert len(p.query_selector_all(".knollm-tray li")) == 2
    p.click(".knollm-tray li button")
    assert len(p.query_selector_all(".knollm-tray li")) == 1


def test_calculator_figure_matches_a_hand_computed_value(page: Page) -> None:
    p = page.open(
        "calculator/?provider=groq&input_tokens=10k&output_tokens=1000&cached=0.5"
        "&requests=1000&per=day"
    )
    # Groq llama-3.3-70b: input $0.59, output $0.79, no cache price (cached input charged at
    # the input price, and said so): (10,000 * 0.59 + 1,000 * 0.79) / 1e6 = $0.00669 per request,
    # * 1,000 requests * 30 days = $200.70. gpt-oss at Groq has no price (basis unknown) and
    # whisper is priced per second (and its 448-token window cannot hold 11k): left out, counted.
    assert page.column(3) == ["$200.70"]
    assert "no cache price" in page.column(9)[0]
    assert p.inner_text(".knollm-left-out").startswith(
        "2 matching offerings left out: 1 cannot hold the request (context or max output),"
        " 2 not priced per token"
    )
    p.click(".knollm-results tbody tr:nth-child(1) td:nth-child(3)")
    panel = p.inner_text(".knollm-breakdown-panel")
    # 5k fresh and 5k cached input at $0.59 = $0.00295 each (amounts under a cent: 3 digits).
    assert panel.count("$0.00295") == 2
    assert "$0.00079" in panel  # output part
    assert "$0.00669" in panel  # per request
    assert "$200.70" in panel
    assert parse_qs(urlsplit(p.url).query)["offering"] == ["groq~llama-3.3-70b-versatile"]
    p.click("button[data-preset=embeddings]")
    assert page.column(1) == []  # Groq has no embedding model
    p.select_option("select[aria-label=Provider]", "")
    # Together bge: 500 tokens * $0.008/1M * 1,000,000 requests a month = $4.00.
    assert page.column(1) == ["Bge Base En V1.5"]
    assert page.column(3) == ["$4.00"]


def test_calculator_applies_tier_cache_and_batch_prices(page: Page) -> None:
    document = {
        "schema_version": "1.0.0",
        "generated_at": "2026-01-01T00:00:00Z",
        "providers": [{"id": "acme", "name": "Acme"}, {"id": "bolt", "name": "Bolt"}],
        "models": [{"id": "m1", "name": "Model One", "hosts": 2}],
        "offerings": [
            {
                "provider": "acme",
                "model": "m1",
                "provider_model_id": "m1",
                "price_basis": "tokens",
                "pricing": {
                    "input": 3.0,
                    "output": 15.0,
                    "cache_read": 0.3,
                    "batch_input": 1.5,
                    "batch_output": 7.5,
                    "tiers": [
                        {
                            "above_input_tokens": 200000,
                            "input": 6.0,
                            "output": 22.5,
                            "cache_read": 0.6,
                        }
                    ],
                },
            },
            {  # no cache, tier or batch prices
                "provider": "bolt",
                "model": "m1",
                "provider_model_id": "m1",
                "price_basis": "tokens",
                "pricing": {"input": 1.0, "output": 5.0},
            },
        ],
    }
    payload = orjson.dumps(explorer_payload(document))
    page.page.route(
        "**/data/explorer.json",
        lambda route: route.fulfill(body=payload, content_type="application/json"),
    )
    p = page.open(
        "calculator/?input_tokens=300k&output_tokens=2k&cached=0.25&requests=100&per=month"
    )
    # Above the 200k tier: 225k fresh * $6 + 75k cached * $0.6 + 2k out * $22.5, per 1M tokens
    # = 1.35 + 0.045 + 0.045 = $1.44 per request; * 100 = $144.00. Bolt: 225k * $1 + 75k cached at
    # the input price $1 + 2k * $5 = 0.225 + 0.075 + 0.01 = $0.31 -> $31.00.
    assert page.column(3) == ["$31.00", "$144.00"]
    assert "long-context price" in page.column(9)[1]
    p.fill("input[aria-label='Input tokens per request']", "100k")
    # Below the tier: 75k * $3 + 25k * $0.3 + 2k * $15 = 0.225 + 0.0075 + 0.03 = $0.2625 -> $26.25.
    # Bolt: 75k + 25k at $1 + 2k * $5 = $0.11 -> $11.00.
    assert page.column(3) == ["$11.00", "$26.25"]
    p.check("input[aria-label=Batch]")
    # Batch: 75k * $1.5 + 25k * $0.3 + 2k * $7.5 = 0.1125 + 0.0075 + 0.015 = $0.135 -> $13.50.
    # Bolt has no batch prices: not available in batch, so unknown and last, with the reason
    # (never priced at its standard rates, which would make it the cheaper at $11.00).
    assert page.column(3) == ["$13.50", "—"]
    assert page.column(9)[1].startswith("not available in batch")


def test_hostile_strings_stay_text(page: Page) -> None:
    p = page.open("explorer/?search=evil&deprecated=1&longtail=1")
    hostile = "<script>alert('provider')</script> {{ 7*7 }} | [x](javascript:alert(1)) {% raw %}"
    assert set(page.column(PROVIDER)) == {hostile}
    app = p.query_selector("[data-knollm-app]")
    assert app is not None
    assert app.query_selector_all("script, img, iframe") == []
    for link in app.query_selector_all("a"):
        href = link.get_attribute("href") or ""
        assert not href.lower().startswith("javascript"), href
    assert "<img src=x onerror=alert(1)>" in page.column(MODEL)
    # The compare table and the calculator render the same strings.
    p.check(".knollm-results tbody tr:nth-child(1) input[data-compare]")
    assert app.query_selector_all("script, img, iframe") == []
    calc = page.open("calculator/?search=evil")
    assert calc.query_selector("[data-knollm-app]").query_selector_all("script, img") == []
    # page.close() (the fixture) asserts no dialog opened and no script error happened.


def test_charts_render_and_model_hosts_chart(page: Page) -> None:
    p = page.open("charts/")
    assert p.query_selector("canvas") is not None
    assert re.match(r"\d+ models", page.count())
    p.select_option("select[aria-label=Chart]", "released")
    p.select_option("select[aria-label=Chart]", "hosts")
    p.fill("input[aria-label=Model]", "llama-3.3-70b-instruct")
    p.press("input[aria-label=Model]", "Enter")
    p.wait_for_function("document.querySelector('.knollm-count').textContent.includes('providers')")
    assert page.count().startswith("Llama 3.3 70B Instruct: 4 priced offerings of 4 at 4 providers")
    assert "model=llama-3.3-70b-instruct" in p.url


def test_charts_plot_each_model_at_the_cheapest_price_the_ranking_rule_takes(page: Page) -> None:
    """A flagged, unlisted, per-image or $0 price is never a model's point on the scatter charts;
    a model with nothing else has no point."""

    def offering(provider: str, model: str, price: float, **more: Any) -> dict[str, Any]:
        return {
            "provider": provider,
            "model": model,
            "provider_model_id": f"{model}-{provider}",
            "price_basis": "tokens",
            "pricing": {"input": price, "output": price * 2},
            "context_window": 32768,
            **more,
        }

    models = ["flagged-low", "unlisted-low", "image-only", "free-only", "plain"]
    document = {
        "schema_version": "1.1.0",
        "generated_at": "2026-01-01T00:00:00Z",
        "providers": [{"id": p, "name": p.title(), "kind": "inference_host"} for p in "abc"],
        "models": [{"id": m, "name": m.title(), "hosts": 1} for m in models],
        "offerings": [
            offering("a", "flagged-low", 0.01, flags=["price_outlier"]),
            offering("b", "flagged-low", 1.0),
            offering("a", "unlisted-low", 0.1, listed=False),
            offering("b", "unlisted-low", 1.5),
            offering("a", "image-only", 0.2, price_basis="per_image"),
            offering("a", "free-only", 0.0, price_basis="free"),
            offering("c", "plain", 2.0),
        ],
    }
    payload = orjson.dumps(explorer_payload(document))
    page.page.route(
        "**/data/explorer.json",
        lambda route: route.fulfill(body=payload, content_type="application/json"),
    )
    p = page.open("charts/")
    assert page.count().startswith("3 models, each at its cheapest chat offering by input price")
    points = p.evaluate(
        "Chart.getChart(document.querySelector('.knollm-chart canvas')).data.datasets"
        ".flatMap((d) => d.data.map((point) => point.y))"
    )
    assert sorted(points) == [1.0, 1.5, 2.0]


def test_phone_width_and_dark_palette(browser: Any, base_url: str) -> None:
    phone = Page(browser, base_url, width=390)
    p = phone.open("explorer/")
    overflow = p.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 1, f"page scrolls sideways by {overflow}px on a phone"
    cell = "getComputedStyle(document.querySelector('.knollm-results td')).color"
    scheme = "document.body.getAttribute('data-md-color-scheme')"
    assert p.evaluate(scheme) == "default"  # headless chromium reports a light system theme
    light = p.evaluate(cell)
    p.click(".knollm-palette")
    assert p.evaluate(scheme) == "slate"
    dark = p.evaluate(cell)
    assert light != dark  # the app follows the theme's colours instead of fixing its own
    p.reload()
    p.wait_for_selector("[data-state=ready]", state="attached")
    assert p.evaluate(scheme) == "slate"  # the choice is remembered
    phone.close()


@pytest.mark.integration
def test_full_site_explorer(browser: Any) -> None:
    site = REPO / "site"
    if not (site / "explorer" / "index.html").is_file():
        if os.environ.get("CI"):
            pytest.fail("site/ was not built; .ci/run builds it with make site WORK=../shared/work")
        pytest.skip("site/ not built")
    document = orjson.loads((site / "data" / "models.json").read_bytes())
    total = len(document["offerings"])
    server, url = serve(site)
    try:
        page = Page(browser, url)
        p = page.open("explorer/?deprecated=1&longtail=1&unlisted=1")
        assert page.count().startswith(f"{total:,} offerings match")
        search(page, "llama 3.3 70b")
        assert page.column(MODEL)[0] == "Llama 3.3 70B Instruct"
        href = p.get_attribute(".knollm-results tbody tr:first-child td:nth-child(2) a", "href")
        response = p.request.get(url + "explorer/" + href)
        assert response.status == 200
        assert "Llama 3.3 70B Instruct" in response.text()
        page.close()
    finally:
        server.shutdown()
        server.server_close()


def unfocused(html: str | None) -> str | None:
    """Markup without the marks of Material's focus-visible polyfill (the focused control)."""
    if html is None:
        return None
    return re.sub(r' data-focus-visible-added=""| ?focus-visible(?=")', "", html)


def test_rerendering_patches_the_page_into_what_a_fresh_load_shows(
    page: Page, browser: Any, base_url: str
) -> None:
    """The table, pager and notes are patched in place (knollm-explorer.js patch): after each
    change they must read exactly as a fresh load of the same address, nodes that did not change
    are kept (the sort buttons keep their identity and focus), and a compare box shows the state."""
    p = page.open("explorer/")
    # markup with each element's attributes sorted (patching may set them in another order)
    serialise = """(sel) => { const n = document.querySelector(sel); if (!n) return null;
      const walk = (x) => x.nodeType === 3 ? x.nodeValue : '<' + x.tagName + ' ' +
        Array.from(x.attributes).map((a) => a.name + '=' + JSON.stringify(a.value)).sort().join(' ') +
        '>' + Array.from(x.childNodes).map(walk).join('') + '</' + x.tagName + '>';
      return walk(n); }"""
    parts = [
        "[data-knollm-app] .knollm-results",
        ".knollm-count",
        ".knollm-pager",
        ".knollm-left-out",
    ]
    p.evaluate("window.__sort = document.querySelector('button[data-sort=ctx]')")

    def same_as_fresh() -> None:
        p.wait_for_function("!document.querySelector('[data-knollm-app][data-state=pending]')")
        p.wait_for_timeout(350)  # the address follows the search box once typing pauses
        fresh = Page(browser, base_url)
        q = fresh.open(p.url.removeprefix(base_url))
        for part in parts:
            assert unfocused(q.evaluate(serialise, part)) == unfocused(
                p.evaluate(serialise, part)
            ), part
        fresh.close()

    p.type(".knollm-search", "llama", delay=20)
    same_as_fresh()
    p.type(".knollm-search", " 70b", delay=20)
    same_as_fresh()
    p.focus("button[data-sort=in]")
    p.keyboard.press("Enter")
    same_as_fresh()
    p.select_option("select[aria-label=View]", "models")
    same_as_fresh()
    p.select_option("select[aria-label=View]", "offerings")
    same_as_fresh()
    p.click(".knollm-results tbody tr:nth-child(2) input[data-compare]")
    same_as_fresh()
    # the header was patched, not rebuilt: the same button node, still in the page
    assert p.evaluate(
        "window.__sort.isConnected && window.__sort === document.querySelector('button[data-sort=ctx]')"
    )
    # removing it from the tray unticks the box in its (kept) row
    p.click(".knollm-tray li button")
    assert not p.is_checked(".knollm-results tbody tr:nth-child(2) input[data-compare]")
    assert (
        p.evaluate(
            "document.querySelectorAll('.knollm-results input[data-compare]:checked').length"
        )
        == 0
    )
    same_as_fresh()
    # a box ticked while its offering stays unpicked in the state is put back as the state says,
    # also in a row that is kept as it was (the same results: a trailing space changes nothing)
    p.evaluate(
        "window.__row = document.querySelector('.knollm-results tbody tr:nth-child(3)');"
        " window.__row.querySelector('input').checked = true"
    )
    p.type(".knollm-search", " ")
    p.wait_for_function("!document.querySelector('[data-knollm-app][data-state=pending]')")
    assert p.evaluate(
        "window.__row === document.querySelector('.knollm-results tbody tr:nth-child(3)')"
    )
    assert not p.evaluate("window.__row.querySelector('input').checked")
