"""Measured latency on model and provider pages, and plausibility flags on the data-quality page.

The fixture site (conftest's mini catalog + hostile provider) carries two measurement files in
tests/fixtures/site/catalog/measurements/: a real ``knollm benchmark`` run against fake
providers (Groq and Together offerings of Llama 3.3 70B) and a hand-written hostile one for the
evil provider; its evil dump has a context window of 100 tokens (flagged ``limit_out_of_range``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from test_explorer_browser import CHROMIUM, Page, base_url, browser  # noqa: F401 - fixtures

from site_plugins.knollm.quality import OTHER, basis_rows, flag_groups, split_reason

MEASURED = '<h2 id="measured">'
LABEL = (
    "measured by knollm test suite (fake providers), from 127.0.0.1, fake providers of "
    "client/tests/fake&#95;openai.py, on 2026-12-02, 10 runs (knollm 0.1.0)"
)


@pytest.fixture(scope="module")
def site(fixture_site: Path) -> Path:
    return fixture_site


def body(site: Path, path: str) -> str:
    html = (site / path / "index.html").read_text(encoding="utf-8")
    start = html.index('<div class="knollm-page')
    return html[start : html.index("</article>", start)]


def rows(section: str) -> list[list[str]]:
    """The cells of each body row of the first table in ``section``, tags stripped."""
    table = section[section.index("<tbody>") : section.index("</tbody>")]
    return [
        [re.sub(r"<[^>]+>", "", cell) for cell in re.findall(r"<td[^>]*>(.*?)</td>", row)]
        for row in re.findall(r"<tr[^>]*>(.*?)</tr>", table)
    ]


def test_model_page_shows_each_run_labelled_and_apart_from_the_catalog(site: Path) -> None:
    html = body(site, "models/llama-3.3-70b-instruct")
    catalog_part, measured = html.split(MEASURED)
    assert "Measured latency and throughput</h2>" in measured
    assert "not catalog facts" in measured
    assert rows(measured) == [
        ["Groq", "llama-3.3-70b-versatile", "129 ms (257 ms)", "240 ms (369 ms)", "186 (202)",
         "0 of 10 (0%)", LABEL],
        ["Together AI", "meta-llama/Llama-3.3-70B-Instruct-Turbo", "304 ms (340 ms)",
         "716 ms (759 ms)", "49 (49)", "2 of 10 (20%)", LABEL],
    ]  # fmt: skip
    # No measured figure is shown with the catalog's facts.
    for figure in ("129 ms", "186 (202)", "fake providers"):
        assert figure not in catalog_part
    assert 'href="../../guides/benchmarks/"' in measured


def test_provider_pages_show_their_own_runs_only(site: Path) -> None:
    groq = body(site, "providers/groq").split(MEASURED)[1]
    assert [r[:3] for r in rows(groq)] == [
        ["Llama 3.3 70B Instruct", "llama-3.3-70b-versatile", "129 ms (257 ms)"]
    ]
    assert '<a href="../../models/llama-3.3-70b-instruct/">' in groq
    together = body(site, "providers/together").split(MEASURED)[1]
    assert [r[1] for r in rows(together)] == ["meta-llama/Llama-3.3-70B-Instruct-Turbo"]
    assert MEASURED not in body(site, "providers/openrouter")
    assert MEASURED not in body(site, "models/gpt-oss-120b")


def test_hostile_measurement_text_stays_text(site: Path) -> None:
    evil = body(site, "providers/evil").split(MEASURED)[1]
    [row] = rows(evil)
    assert row[2:6] == ["500 ms (600 ms)", "1.25 s (1.50 s)", "12 (14)", "1 of 3 (33%)"]
    assert row[6] == (
        "measured by &lt;script&gt;alert(&#39;by&#39;)&lt;/script&gt; &#123;&#123; 7&#42;7 "
        "&#125;&#125;, from &#91;x&#93;(javascript:alert(1)) &#124; &#123;% include &#39;x&#39; "
        "%&#125; &lt;img src=x onerror=alert(1)&gt;, on 2026-11-20, 3 runs (knollm 0.1.0 "
        "&lt;script&gt;)"
    )
    for needle in ("<script", "<img", "{{", "{%", 'href="javascript'):
        assert needle not in evil


def test_quality_page_lists_flags_by_flag_with_links_and_price_bases(site: Path) -> None:
    report = orjson.loads((site / "data" / "report.json").read_bytes())
    assert [f["reason"].split(":")[0] for f in report["flagged"]] == ["limit_out_of_range"]
    html = body(site, "data/quality")
    assert '<a href="#flags">Plausibility flags (1)</a>' in html
    flags = html[html.index('<h2 id="flags">') : html.index('<h2 id="price-basis">')]
    assert (
        '<li><a href="#flag-limit-out-of-range"><code>limit&#95;out&#95;of&#95;range</code></a>: '
        "1 finding on 1 offering</li>"
    ) in flags
    assert rows(flags) == [
        ["a&#124;b&#124;c&#34;quoted&#34;", "evil", "context&#95;window", "100",
         "context window 100 is outside 512..20,000,000 tokens"],
    ]  # fmt: skip
    [link] = re.findall(r'<td><a href="([^"]+)"><code>a&#124;b', flags)
    assert (site / "data" / "quality" / link / "index.html").resolve().is_file()
    basis = html[html.index('<h2 id="price-basis">') : html.index('<h2 id="withheld">')]
    counts = report["counts"]["price_basis"]
    assert {r[0]: int(r[1]) for r in rows(basis)} == {
        b.replace("_", "&#95;"): n for b, n in counts.items()
    }
    assert f"{report['counts']['zero_priced']} offering is published with a 0" in basis


def test_flag_groups_follow_the_vocabulary_with_counts() -> None:
    flagged: list[dict[str, Any]] = [
        {"file": "acme", "position": "m-1", "reason": "unit_inferred: read per 1M", "value": 3},
        {"file": "acme", "position": "m-1", "reason": "price_outlier: 40x the median"},
        {"file": "acme", "position": "m-2", "reason": "price_outlier: 12x the median"},
        {"file": "gone", "position": "x", "reason": "price_outlier: 11x the median"},
        {"file": "acme", "position": "m-2", "reason": "something new"},
    ]
    groups = flag_groups(
        flagged,
        {("acme", "m-1"): "model-one", ("acme", "m-2"): "model-two"},
        lambda model: f"../models/{model}/",
        lambda provider: f"../providers/{provider}/",
    )
    assert [(g["flag"], g["count"], g["offerings"]) for g in groups] == [
        ("price_outlier", 3, 3),
        ("unit_inferred", 1, 1),
        (OTHER, 1, 1),
    ]
    outliers = groups[0]["findings"]
    assert [f["model_href"] for f in outliers] == [
        "../models/model-one/",
        "../models/model-two/",
        None,
    ]
    assert outliers[0]["reason"] == "40x the median" and outliers[2]["provider_href"] is None
    assert split_reason("price_outlier:no space") == (OTHER, "price_outlier:no space")
    assert [r["basis"] for r in basis_rows({"unknown": 1, "free": 2, "tokens": 3})] == [
        "tokens",
        "free",
        "unknown",
    ]


@pytest.fixture
def phone(browser: Any, base_url: str) -> Iterator[Page]:  # noqa: F811 - fixture use
    wrapped = Page(browser, base_url, width=390)
    yield wrapped
    wrapped.close()


@pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed")
def test_measured_and_flag_tables_fit_a_phone(phone: Page) -> None:
    p = phone.page
    for path, cell in (
        ("models/llama-3.3-70b-instruct/", ".knollm-measured td[data-label=Latency]"),
        ("providers/evil/", ".knollm-measured td[data-label='Time to first token']"),
        ("data/quality/", ".knollm-flagged td[data-label=Why]"),
    ):
        p.goto(phone.base + path)
        p.wait_for_load_state("load")
        wide, width = p.evaluate(
            "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
        )
        assert wide <= width, f"/{path} is {wide}px wide on a {width}px screen"
        shown = p.evaluate(
            """(sel) => Array.from(document.querySelectorAll(sel)).filter((el) => {
                const r = el.getBoundingClientRect();
                return r.width > 0 && r.left >= 0 && r.right <= innerWidth;
            }).length""",
            cell,
        )
        assert shown >= 1, (path, cell)
    assert phone.dialogs == [] and phone.errors == []  # the hostile run's text ran nothing


def test_field_reference_documents_the_section(site: Path) -> None:
    fields = body(site, "data/fields")
    section = fields[fields.index('<h2 id="measurement">') : fields.index('<h2 id="spread">')]
    for name in ("measured&#95;by", "ttft&#95;s", "run&#95;id", "output&#95;tokens&#95;per&#95;s"):
        assert f"<code>{name}</code>" in section
    assert "<code>measurements</code>" in fields[: fields.index('<h2 id="source">')]
