"""The price-history and benchmark charts in a real browser (Debian's chromium): the model page
and benchmarks page of test_history_site's hostile catalog, served from 127.0.0.1 with Chart.js
from node_modules and the site's own script."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from test_explorer_browser import CHROMIUM, Page, browser, serve  # noqa: F401 - fixtures
from test_history_site import EVIL, pages  # noqa: F401 - fixture

REPO = Path(__file__).resolve().parents[1]
CHART_JS = REPO / "node_modules" / "chart.js" / "dist" / "chart.umd.min.js"

pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed")


def _html(markdown: str) -> str:
    """The page body as a browser gets it (front matter dropped), in a bare document."""
    body = markdown.split("\n---\n", 1)[1]
    return f"<!doctype html><html><head><meta charset=utf-8></head><body>{body}</body></html>"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, pages: dict[str, str]) -> Iterator[str]:  # noqa: F811
    if not CHART_JS.is_file():
        pytest.skip("node_modules missing (npm ci)")
    root = tmp_path_factory.mktemp("history-site")
    (root / "assets" / "vendor").mkdir(parents=True)
    shutil.copy(CHART_JS, root / "assets" / "vendor" / "chart.umd.min.js")
    shutil.copy(REPO / "src_docs" / "md" / "assets" / "knollm-history.js", root / "assets")
    (root / "favicon.ico").write_bytes(b"")  # the browser asks for it
    for slug, key in (("alpha-1", "alpha-1"), ("benchmarks", "benchmarks")):
        folder = root / "models" / slug
        folder.mkdir(parents=True)
        (folder / "index.html").write_text(_html(pages[key]), encoding="utf-8")
    server, url = serve(root)
    yield url
    server.shutdown()
    server.server_close()


def _open(browser: Any, base: str, path: str) -> Page:  # noqa: F811
    tab = Page(browser, base)
    tab.page.goto(base + path)
    tab.page.wait_for_load_state("load")
    return tab


def test_history_chart_draws_without_errors(browser: Any, site: str) -> None:  # noqa: F811
    tab = _open(browser, site, "models/alpha-1/")
    try:
        p = tab.page
        p.wait_for_selector("[data-knollm-history] canvas", timeout=10000)
        datasets = p.evaluate(
            "() => { const c = Chart.getChart(document.querySelector('[data-knollm-history] canvas'));"
            " return c.data.datasets.map(d => [d.label, d.data.map(p => p.y)]); }"
        )
        # one line per price of each offering with 2+ points; the last point repeats to the build date
        lines = dict(datasets)
        assert set(lines) == {
            "Acme · alpha-1 (input)",
            "Acme · alpha-1 (output)",
            f"{EVIL} · {EVIL} (input)",  # the hostile offering states no output price
        }
        assert lines["Acme · alpha-1 (input)"] == [3.0, 2.5, 2.0, 2.0]
        assert lines["Acme · alpha-1 (output)"] == [10.0, 8.0, 8.0]
        # the hostile offering's label is canvas text: no element, no script ran
        assert p.evaluate("() => document.querySelectorAll('img, b').length") == 0
        assert tab.errors == [] and tab.dialogs == []
    finally:
        tab.close()


def test_benchmark_chart_opens_only_same_site_links(browser: Any, site: str) -> None:  # noqa: F811
    tab = _open(browser, site, "models/benchmarks/")
    try:
        p = tab.page
        p.wait_for_selector("[data-knollm-scores] canvas", timeout=10000)
        points = p.evaluate(
            "() => Chart.getChart(document.querySelector('[data-knollm-scores] canvas'))"
            ".data.datasets[0].data.map(p => [p.x, p.y, p.href])"
        )
        assert points == [[4.0, 55.0, "../../models/beta-2/"], [1.0, 41.5, "../../models/alpha-1/"]]
        assert tab.errors == [] and tab.dialogs == []
        text = p.inner_text("body")
        assert re.search(r"SciCode", text)
    finally:
        tab.close()
