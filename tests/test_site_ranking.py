"""Every "cheapest" the site states follows the client's ranking rule (site_plugins/knollm/ranking.py).

Pages are rendered by :class:`PageBuilder` from a hand-made catalog (no MkDocs) in which each
model's lowest input price is one a cost ranking does not take: price-flagged, unlisted, billed
per image or second, a $0 free tier or plan. None of those may be highlighted, quoted as "from
$X" or named as a provider's cheapest chat model; when nothing qualifies, nothing is said.
"""

from __future__ import annotations

import html
import re
from pathlib import Path
from typing import Any

import pytest

from site_plugins.knollm.model_cards import paid_input
from site_plugins.knollm.pages import PageBuilder, SiteData
from site_plugins.knollm.render import environment
from site_plugins.knollm.stats import headline_stats

REPO = Path(__file__).resolve().parents[1]


def offering(
    provider: str,
    model: str,
    api_id: str,
    price: float | None,
    basis: str | None = "tokens",
    **more: Any,
) -> dict[str, Any]:
    o: dict[str, Any] = {
        "provider": provider,
        "model": model,
        "provider_model_id": api_id,
        "pricing": {} if price is None else {"input": price, "output": price * 2},
        "sources": ["test"],
        "mode": "chat",
        **more,
    }
    if basis is not None:
        o["price_basis"] = basis
    return o


# The lowest input price of each model is one the rule leaves out; the first paid, listed,
# per-token, unflagged price is the one a page may call cheapest (None: there is none).
OFFERINGS = [
    # gpt-oss-120b is one of the guides' SHOWCASE_MODELS (site_plugins/knollm/stats.py)
    offering("acme", "gpt-oss-120b", "oss-outlier", 0.01, flags=["price_outlier"]),
    offering("bolt", "gpt-oss-120b", "oss", 0.15),
    offering("crate", "gpt-oss-120b", "oss-range", 0.02, flags=["price_out_of_range"]),
    offering("delta", "gpt-oss-120b", "oss", 0.30, flags=["cache_read_above_input"]),
    offering("echo", "gpt-oss-120b", "oss-batch", 0.05, variant=["batch"]),
    offering("acme", "unlisted-low", "u-table", 0.10, listed=False),
    offering("bolt", "unlisted-low", "u", 0.50),
    offering("acme", "image-low", "img", 0.01, basis="per_image", mode="image"),
    offering("bolt", "image-low", "img-sec", 0.02, basis="per_second"),
    offering("crate", "image-low", "img-tok", 3.0),
    offering("acme", "free-low", "free", 0.0, basis="free", variant=["free"]),
    offering("plan", "free-low", "free", 0.0, basis="subscription"),
    offering("bolt", "free-low", "paid", 0.70),
    offering("crate", "free-low", "paid-hi", 0.90),
    offering("acme", "nothing", "n-flagged", 0.2, flags=["placeholder_price"]),
    offering("bolt", "nothing", "n-free", 0.0, basis="free"),
    offering("crate", "nothing", "n-unlisted", 0.3, listed=False),
    offering("delta", "nothing", "n-image", 0.4, basis="per_image"),
    offering("echo", "nothing", "n-unknown", None, basis="unknown"),
]
CHEAPEST = {
    "gpt-oss-120b": ("echo", "oss-batch", 0.05),
    "unlisted-low": ("bolt", "u", 0.5),
    "image-low": ("crate", "img-tok", 3.0),
    "free-low": ("bolt", "paid", 0.7),
    "nothing": None,
}
PROVIDERS = ["acme", "bolt", "crate", "delta", "echo", "plan"]


def _catalog() -> dict[str, Any]:
    return {
        "schema_version": "1.1.0",
        "generated_at": "2026-03-01T00:00:00Z",
        "sources": [{"id": "test", "name": "Test", "kind": "open-catalog", "version": "1"}],
        "providers": [{"id": p, "name": p.title()} for p in PROVIDERS],
        "models": [{"id": m, "name": m.title(), "hosts": 1} for m in CHEAPEST],
        "offerings": OFFERINGS,
    }


@pytest.fixture(scope="module")
def builder() -> PageBuilder:
    return PageBuilder(environment(REPO / "templates"), SiteData(_catalog(), {"accounting": {}}))


def _description(page: str) -> str:
    found = re.search(r'^description: "(.*)"$', page, re.M)
    assert found, "no description in the front matter"
    return html.unescape(found[1])


def _rows(page: str) -> list[tuple[bool, str, str]]:
    """(highlighted, provider name, API id) of each row of the hosts table, in page order."""
    hosts = page.split('<h2 id="hosts"', 1)[1].split("</table>", 1)[0]
    return [
        (bool(mark), name, api_id)
        for mark, name, api_id in re.findall(
            r"<tr( class=\"knollm-cheapest\")?><td><a href=\"[^\"]+\">([^<]+)</a>"
            r"(?: <span class=\"knollm-via\">[^<]+</span>)?</td><td><code>([^<]+)</code>",
            hosts,
        )
    ]


@pytest.mark.parametrize("model_id", sorted(CHEAPEST))
def test_model_page_highlights_and_quotes_only_what_the_rule_takes(
    builder: PageBuilder, model_id: str
) -> None:
    page = builder.model_page(builder.model_uri(model_id), builder.models[model_id])
    rows = _rows(page)
    assert len(rows) == sum(1 for o in OFFERINGS if o["model"] == model_id)
    highlighted = [(name, api_id) for mark, name, api_id in rows if mark]
    want = CHEAPEST[model_id]
    if want is None:
        assert highlighted == []
        assert "per 1M input tokens" not in _description(page)
        assert "per 1M input tokens" not in page
        return
    provider, api_id, price = want
    assert highlighted == [(provider.title(), api_id)]
    assert _description(page).endswith(f", from ${price:g} per 1M input tokens.")
    # the lowest price is never quoted when the rule leaves it out
    lowest = min(
        o["pricing"]["input"]
        for o in OFFERINGS
        if o["model"] == model_id and o["pricing"].get("input") is not None
    )
    assert lowest < price and f"from ${lowest:g} " not in _description(page)


def test_model_page_rows_follow_the_clients_display_order(builder: PageBuilder) -> None:
    page = builder.model_page(builder.model_uri("gpt-oss-120b"), builder.models["gpt-oss-120b"])
    # ranked by input price (the batch id is per token too), then the price-flagged ones
    assert [(name, api_id) for _, name, api_id in _rows(page)] == [
        ("Echo", "oss-batch"),
        ("Bolt", "oss"),
        ("Delta", "oss"),
        ("Acme", "oss-outlier"),
        ("Crate", "oss-range"),
    ]
    page = builder.model_page(builder.model_uri("nothing"), builder.models["nothing"])
    # $0 first among the left-out, then doubtful or not per token, then unlisted
    assert [api_id for _, _, api_id in _rows(page)] == [
        "n-free",
        "n-flagged",
        "n-image",
        "n-unknown",
        "n-unlisted",
    ]


def test_providers_index_names_only_a_cheapest_the_rule_takes(builder: PageBuilder) -> None:
    page = builder.providers_index("providers/index.md")
    cells = dict(
        re.findall(
            r">([A-Z][a-z]+)</a></td><td>[^<]*</td><td[^>]*>\d+</td><td[^>]*>\d+</td>"
            r"<td>(.*?)</td>",
            page,
        )
    )
    # Acme's chat offerings: an outlier, an unlisted id, a free tier, a placeholder price
    assert cells["Acme"] == "–"
    # Bolt: per_second and $0 ones aside, its lowest paid per-token price (gpt-oss-120b)
    assert cells["Bolt"].endswith("$0.15") and ">Gpt-Oss-120B</a>" in cells["Bolt"]
    # Crate: the out-of-range 0.02 and the unlisted 0.3 aside
    assert cells["Crate"].endswith("$0.90") and ">Free-Low</a>" in cells["Crate"]
    assert cells["Plan"] == "–"


def test_guide_tables_rank_by_the_rule() -> None:
    report = {
        "counts": {
            "models_with_3_plus_hosts": 0,
            "conflicts": 0,
            "widest_hosted_model": None,
        }
    }
    stats = headline_stats(_catalog(), report)
    rows = stats["cheapest"]["gpt-oss-120b"]
    # no outlier, no out-of-range price, no batch-only id; the cache flag does not doubt a price
    assert [(r["provider"], r["provider_model_id"], r["input"]) for r in rows] == [
        ("bolt", "oss", 0.15),
        ("delta", "oss", 0.30),
    ]


@pytest.mark.parametrize("model_id", sorted(CHEAPEST))
def test_benchmark_chart_prices_follow_the_rule(model_id: str) -> None:
    found = paid_input(o for o in OFFERINGS if o["model"] == model_id)
    want = CHEAPEST[model_id]
    if want is None:
        assert found is None
    else:
        assert found is not None
        assert (found[1]["provider"], found[1]["provider_model_id"], found[0]) == want


def test_price_range_spans_only_prices_the_rule_takes(builder: PageBuilder) -> None:
    def page(model_id: str) -> str:
        return builder.model_page(builder.model_uri(model_id), builder.models[model_id])

    # not from the outlier's $0.01 or the out-of-range $0.02
    assert "prices not in doubt range from $0.05 to $0.30 (×6.0)." in page("gpt-oss-120b")
    # $0 tiers are per-token prices too: the range starts at them
    assert "range from free to $0.90 (×1.3)." in page("free-low")
    # one per-token price left (the per-image and per-second ones aside): no range at all
    assert "range from" not in page("image-low")
    assert "range from" not in page("nothing")
