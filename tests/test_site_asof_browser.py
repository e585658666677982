"""The calculator priced "as of" a date (issue 16 item 2), in a real browser (Debian's chromium).

The fixture site publishes the price ledger its catalog compiled to (data/history.json: each
offering one observed point from 2025-09-08). This test serves that ledger with one earlier point
added for Together's Llama 3.3 70B Turbo, so the ledger has a change: on 2025-06-01 it cost $1.20
in and out per 1M tokens (today $0.88), and every other offering has no price known that day.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import orjson
import pytest
from test_explorer_browser import CHROMIUM, Page, base_url, browser, page  # noqa: F401 - fixtures

pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed")

LLAMA = ("together", "meta-llama/Llama-3.3-70B-Instruct-Turbo")


def ledger_with_a_change(fixture_site: Path) -> dict[str, Any]:
    ledger = orjson.loads((fixture_site / "data" / "history.json").read_bytes())
    entry = next(e for e in ledger["entries"] if (e["provider"], e["provider_model_id"]) == LLAMA)
    assert [p["input"] for p in entry["points"]] == [0.88]  # the catalog's own point
    entry["points"].insert(
        0,
        {
            "since": "2025-01-01",
            "dated": "effective",
            "source": "test",
            "input": 1.2,
            "output": 1.2,
        },
    )
    return ledger


@pytest.fixture
def history_requests(page: Page, fixture_site: Path) -> list[str]:  # noqa: F811 - fixture use
    body = orjson.dumps(ledger_with_a_change(fixture_site))
    asked: list[str] = []

    def fulfil(route: Any) -> None:
        asked.append(route.request.url)
        route.fulfill(body=body, content_type="application/json")

    page.page.route("**/data/history.json", fulfil)
    return asked


def test_calculator_prices_as_of_a_date_from_the_ledger(
    page: Page,  # noqa: F811 - fixture use
    history_requests: list[str],
) -> None:
    # Today (no as_of): the ledger is not loaded. 2k in + 400 out at $0.88 = $0.002112 a request,
    # 10,000 a day for 30 days = $633.60 a month.
    p = page.open("calculator/?search=llama")
    assert history_requests == []
    assert "prices as of" not in page.count()
    rows = dict(zip(page.column(2), page.column(3), strict=False))
    assert rows["Together AI"] == "$633.60"

    # On 2025-06-01 the ledger's earlier point holds: 2,400 tokens at $1.20 = $0.00288 a request,
    # $864.00 a month. The other Llama offerings have no point that old: unknown, sorted last.
    p = page.open("calculator/?search=llama&as_of=2025-06-01")
    assert len(history_requests) == 1 and history_requests[0].endswith("/data/history.json")
    assert p.input_value("input[aria-label='Prices as of']") == "2025-06-01"
    assert "prices as of 2025-06-01" in page.count()
    assert page.column(2)[0] == "Together AI"
    assert page.column(3)[0] == "$864.00"
    assert page.column(5)[0] == "$1.20"  # input $/1M
    others = page.column(5)[1:]
    assert others and all(cell == "unknown" for cell in others), others
    assert all(cell == "—" for cell in page.column(3)[1:])  # never $0
    assert all("no price known on 2025-06-01" in n for n in page.column(9)[1:])

    # Picking a later date in the control reprices and keeps it in the URL.
    p.fill("input[aria-label='Prices as of']", "2025-10-01")
    p.wait_for_function(
        "document.querySelector('.knollm-count').textContent.includes('prices as of 2025-10-01')"
    )
    assert parse_qs(urlsplit(p.url).query)["as_of"] == ["2025-10-01"]
    rows = dict(zip(page.column(2), page.column(3), strict=False))
    assert rows["Together AI"] == "$633.60"  # the 2025-09-08 point, today's price
    assert len(history_requests) == 1  # loaded once


def test_an_invalid_as_of_date_is_said_not_thrown(
    page: Page,  # noqa: F811 - fixture use
    history_requests: list[str],
) -> None:
    p = page.open("calculator/?search=llama&as_of=2025-02-30")
    note = p.inner_text(".knollm-asof-note")
    assert "“2025-02-30” is not a date (use YYYY-MM-DD)" in note
    assert "prices as of" not in page.count()
    rows = dict(zip(page.column(2), page.column(3), strict=False))
    assert rows["Together AI"] == "$633.60"  # today's prices, as the message says
    assert history_requests == []


def test_explorer_prices_as_of_a_date(
    page: Page,  # noqa: F811 - fixture use
    history_requests: list[str],
) -> None:
    p = page.open("explorer/?search=llama&as_of=2025-06-01&sort=in&dir=asc")
    assert "prices as of 2025-06-01" in page.count()
    # columns: 1 compare box, 2 model, 3 provider, 4 API id, 5 input
    assert page.column(4)[0] == LLAMA[1] and page.column(5)[0] == "$1.20"
    assert all(cell == "unknown" for cell in page.column(5)[1:]), page.column(5)
    assert p.input_value("input[aria-label='Prices as of']") == "2025-06-01"
    assert len(history_requests) == 1


def test_calculator_prices_a_service_tier_and_never_fills_it_from_standard(
    page: Page,  # noqa: F811 - fixture use
    fixture_site: Path,
) -> None:
    """?tier=priority prices Together's Llama at its stated priority prices (added to the ledger
    here); offerings that state no priority price are unknown, never their standard price."""
    ledger = orjson.loads((fixture_site / "data" / "history.json").read_bytes())
    entry = next(e for e in ledger["entries"] if (e["provider"], e["provider_model_id"]) == LLAMA)
    entry["points"][-1].update(priority_input=1.76, priority_output=1.76)
    body = orjson.dumps(ledger)
    page.page.route(
        "**/data/history.json",
        lambda route: route.fulfill(body=body, content_type="application/json"),
    )
    p = page.open("calculator/?search=llama&tier=priority")
    assert p.input_value("select[aria-label='Service tier']") == "priority"
    assert "priority tier prices" in page.count()
    assert page.column(2)[0] == "Together AI"
    assert page.column(5)[0] == "$1.76"  # input $/1M at the priority tier
    # 2,400 tokens a request at $1.76 = $0.004224, 10,000 a day for 30 days = $1,267.20
    assert page.column(3)[0] == "$1,267.20"
    # no ledger point ("unknown") or no priority price ("—"): never a standard price
    others = page.column(5)[1:]
    assert others and all(cell in ("unknown", "—") for cell in others), others
    assert all(cell == "—" for cell in page.column(3)[1:])
    p.select_option("select[aria-label='Service tier']", "")
    p.wait_for_function(
        "!document.querySelector('.knollm-count').textContent.includes('priority tier')"
    )
    assert "tier" not in parse_qs(urlsplit(p.url).query)
    assert dict(zip(page.column(2), page.column(5), strict=False))["Together AI"] == "$0.88"
    page.close()
