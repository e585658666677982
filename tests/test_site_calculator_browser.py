"""The pricing calculator for the numbers people have (issue 15 item 3), in a real browser.

A hand-made catalog is served in place of the fixture site's explorer.json, so every figure below
is computed by hand from the prices written here: monthly totals, several models in one table,
what is left out by default (cannot hold the request, not priced per token, unlisted, price
flagged) with its count and a way to show it, the model picker, and old shared URLs.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import orjson
import pytest
from test_explorer_browser import CHROMIUM, Page, base_url, browser, page  # noqa: F401 - fixtures

from knollm_build.explorer import explorer_payload

pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed")


def offering(
    provider: str,
    model: str,
    api: str,
    price_in: float | None,
    price_out: float | None,
    **extra: Any,
) -> dict[str, Any]:
    pricing = {k: v for k, v in (("input", price_in), ("output", price_out)) if v is not None}
    return {
        "provider": provider,
        "model": model,
        "provider_model_id": api,
        "pricing": pricing,
        "price_basis": "tokens",
        "context_window": 200_000,
        "max_output_tokens": 64_000,
        "sources": [],
        **extra,
    }


def catalog() -> dict[str, Any]:
    return {
        "schema_version": "1.1.0",
        "generated_at": "2026-01-01T00:00:00Z",
        "providers": [
            {"id": "anthropic", "name": "Anthropic", "kind": "first_party"},
            {"id": "openai", "name": "OpenAI", "kind": "first_party"},
            {"id": "deepseek", "name": "DeepSeek", "kind": "first_party"},
            {"id": "hostco", "name": "HostCo", "kind": "inference_host"},
            {"id": "routeco", "name": "RouteCo", "kind": "router"},
        ],
        "models": [
            {"id": "claude-sonnet-4", "name": "Claude Sonnet 4", "hosts": 1},
            {"id": "claude-sonnet-4.5", "name": "Claude Sonnet 4.5", "hosts": 2},
            {"id": "gpt-4o", "name": "GPT-4o", "hosts": 1},
            {"id": "deepseek-v3", "name": "DeepSeek V3", "hosts": 3},
        ],
        "offerings": [
            offering("anthropic", "claude-sonnet-4", "claude-sonnet-4-20250514", 3.0, 15.0),
            offering("anthropic", "claude-sonnet-4.5", "claude-sonnet-4-5", 3.0, 15.0),
            offering("routeco", "claude-sonnet-4.5", "anthropic/claude-sonnet-4.5", 3.3, 16.5),
            # deprecated but callable: priced and shown
            offering(
                "openai",
                "gpt-4o",
                "gpt-4o",
                2.5,
                10.0,
                status="deprecated",
                deprecation_date="2026-06-01",
            ),
            offering("deepseek", "deepseek-v3", "deepseek-chat", 0.27, 1.10),
            # cheaper, but only a price table names the id: left out by default
            offering("hostco", "deepseek-v3", "deepseek-v3-old", 0.1, 0.2, listed=False),
            # cheaper, but the price is flagged as an outlier: left out by default
            offering(
                "routeco",
                "deepseek-v3",
                "deepseek/deepseek-v3",
                0.01,
                0.02,
                flags=["price_outlier"],
            ),
            # a 64k context cannot hold a 100k-token request
            offering(
                "hostco", "deepseek-v3", "deepseek-ai/DeepSeek-V3", 0.3, 1.2, context_window=64_000
            ),
            # billed per image: token prices do not apply
            offering("hostco", "gpt-4o", "gpt-4o-image", None, None, price_basis="per_image"),
        ],
    }


@pytest.fixture
def calc(page: Page) -> Page:  # noqa: F811 - fixture use
    payload = orjson.dumps(explorer_payload(catalog()))
    page.page.route(
        "**/data/explorer.json",
        lambda route: route.fulfill(body=payload, content_type="application/json"),
    )
    return page


def summary(tab: Page) -> list[list[str]]:
    rows = tab.page.query_selector_all(".knollm-summary-table tbody tr")
    return [[c.inner_text().strip() for c in r.query_selector_all("th, td")] for r in rows]


def test_monthly_totals_for_several_models_in_one_table(calc: Page) -> None:
    p = calc.open(
        "calculator/?entry=month&month_input_tokens=10M&month_output_tokens=2M"
        "&requests=1000&per=month&models=claude-sonnet-4,gpt-4o,deepseek-v3"
    )
    assert p.input_value("select[aria-label='Enter the workload as']") == "month"
    assert p.is_hidden("input[aria-label='Input tokens per request']")
    # 10M in and 2M out a month, no cache: Claude Sonnet 4 10 * $3 + 2 * $15 = $60.00;
    # GPT-4o (deprecated, still callable) 10 * $2.5 + 2 * $10 = $45.00;
    # DeepSeek V3 at DeepSeek 10 * $0.27 + 2 * $1.10 = $4.90 (HostCo's 10 * $0.3 + 2 * $1.2 =
    # $5.40 is the other one counted; its unlisted and flagged offerings are cheaper but left out).
    assert [row[:3] + row[4:] for row in summary(calc)] == [
        ["Claude Sonnet 4", "Anthropic", "$60.00", "1"],
        ["GPT-4o", "OpenAI", "$45.00", "1"],
        ["DeepSeek V3", "DeepSeek", "$4.90", "2"],
    ]
    assert summary(calc)[0][3] == "$0.06"  # per request: 10k * $3 + 2k * $15 per 1M
    # a request is 10k in and 2k out, which every context here holds
    assert "10k input and 2k output tokens per request over 1,000 requests" in p.inner_text(
        ".knollm-workload"
    )
    assert calc.column(1) == [
        "DeepSeek V3",
        "DeepSeek V3",
        "GPT-4o deprecated · until 2026-06-01",
        "Claude Sonnet 4",
    ]
    notice = p.inner_text(".knollm-left-out")
    assert notice.startswith("3 matching offerings left out:")
    assert "1 not priced per token" in notice
    assert "1 unlisted" in notice and "1 price flagged" in notice
    p.click("[data-show-all]")
    assert parse_qs(urlsplit(p.url).query)["all"] == ["1"]
    assert p.evaluate("document.activeElement.dataset.showAll") == "1"  # focus stays
    # shown, the flagged $0.01/$0.02 offering is the cheapest DeepSeek: 0.1 + 0.04 = $0.14
    assert summary(calc)[2][:3] == ["DeepSeek V3", "RouteCo", "$0.14"]
    notes = dict(zip(calc.column(2), calc.column(9), strict=False))
    assert notes["RouteCo"].startswith("left out by default: price flagged")


def test_context_and_max_output_must_hold_the_request(calc: Page) -> None:
    p = calc.open(
        "calculator/?input_tokens=100k&output_tokens=1000&requests=1&per=month&models=deepseek-v3"
    )
    # 101k tokens do not fit HostCo's 64k context; unlisted and flagged are left out too
    assert calc.column(2) == ["DeepSeek"]
    assert "1 cannot hold the request" in p.inner_text(".knollm-left-out")
    p.fill("input[aria-label='Input tokens per request']", "50k")
    assert calc.column(2) == ["DeepSeek", "HostCo"]  # now HostCo's 64k holds it
    p.fill("input[aria-label='Output tokens per request']", "70k")  # above every max output
    assert calc.column(2) == []
    assert "4 cannot hold the request" in p.inner_text(".knollm-left-out")


def test_picker_puts_the_exact_model_first_and_keeps_it_in_the_url(calc: Page) -> None:
    p = calc.open("calculator/")
    p.fill("input[aria-label='Add a model to compare']", "claude sonnet 4")
    names = [b.inner_text() for b in p.query_selector_all(".knollm-pick-list button")]
    # Sonnet 4.5 has more hosts, but the name typed is Sonnet 4's
    assert names[0].startswith("Claude Sonnet 4 ·") and names[1].startswith("Claude Sonnet 4.5")
    p.press("input[aria-label='Add a model to compare']", "Enter")
    p.fill("input[aria-label='Add a model to compare']", "gpt-4o")
    p.press("input[aria-label='Add a model to compare']", "Enter")
    assert parse_qs(urlsplit(p.url).query)["models"] == ["claude-sonnet-4,gpt-4o"]
    assert [r[0] for r in summary(calc)] == ["Claude Sonnet 4", "GPT-4o"]
    assert sorted(set(calc.column(1))) == [
        "Claude Sonnet 4",
        "GPT-4o deprecated · until 2026-06-01",
    ]
    p.click("[data-unpick=claude-sonnet-4]")
    assert parse_qs(urlsplit(p.url).query)["models"] == ["gpt-4o"]
    assert p.evaluate("document.activeElement.dataset.unpick") == "gpt-4o"


def test_switching_entry_mode_keeps_the_bill(calc: Page) -> None:
    p = calc.open(
        "calculator/?input_tokens=2000&output_tokens=500&requests=100&per=day&models=gpt-4o"
    )
    # 2000 * $2.5 + 500 * $10 = $0.01 per request; * 3,000 requests a month = $30.00
    assert summary(calc)[0][2] == "$30.00"
    p.select_option("select[aria-label='Enter the workload as']", "month")
    assert p.input_value("input[aria-label='Input tokens per month']") == "6000000"
    assert p.input_value("input[aria-label='Output tokens per month']") == "1500000"
    assert summary(calc)[0][2] == "$30.00"


def test_old_shared_urls_keep_working(calc: Page) -> None:
    # a link shared before monthly totals, the picker and left-out offerings existed
    p = calc.open(
        "calculator/?search=sonnet&provider=anthropic&input_tokens=10k"
        "&output_tokens=1000&cached=0.5&requests=1000&per=day&offering="
        "anthropic~claude-sonnet-4-20250514"
    )
    assert p.input_value(".knollm-search") == "sonnet"
    assert p.input_value("select[aria-label=Provider]") == "anthropic"
    assert p.input_value("select[aria-label='Enter the workload as']") == "request"
    assert p.input_value("input[aria-label='Input tokens per request']") == "10000"
    assert p.input_value("input[aria-label='Cached share of input (%)']") == "50"
    # no cache price: all 10k at $3, plus 1k * $15 = $0.045 per request; * 30,000 = $1,350.00
    assert calc.column(3) == ["$1,350.00", "$1,350.00"]
    assert "$1,350.00" in p.inner_text(".knollm-breakdown-panel")


def test_cache_share_starts_at_zero(calc: Page) -> None:
    p = calc.open("calculator/")
    assert p.input_value("input[aria-label='Cached share of input (%)']") == "0"
