"""Service tiers, cache lifetimes, off-peak, search and regional prices on real source entries."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from knollm_build.sources import genai_prices, litellm_map

PER_TOKEN = 1_000_000
TIER_KEYS = {
    "input_cost_per_token_priority": "priority_input",
    "output_cost_per_token_priority": "priority_output",
    "cache_read_input_token_cost_priority": "priority_cache_read",
    "input_cost_per_token_flex": "flex_input",
    "output_cost_per_token_flex": "flex_output",
    "cache_read_input_token_cost_flex": "flex_cache_read",
    "cache_creation_input_token_cost_above_1hr": "cache_write_1h",
}


@pytest.fixture(scope="module")
def litellm() -> tuple[dict[str, Any], dict[str, Any]]:
    try:
        data, _, _ = litellm_map.locate_map()
    except FileNotFoundError as exc:
        pytest.skip(str(exc))
    doc = orjson.loads(data)
    records, _, _ = litellm_map.parse_map(doc, source="litellm", file="map")
    return doc, {r.position: r for r in records}


def test_litellm_tier_prices_are_read_as_stated_and_never_filled_in(litellm: Any) -> None:
    doc, records = litellm
    checked = unstated = 0
    for key, entry in doc.items():
        record = records.get(f'["{key}"]')
        if record is None or not isinstance(entry, dict):
            continue
        for raw_key, name in TIER_KEYS.items():
            value = entry.get(raw_key)
            if isinstance(value, int | float) and value > 0:
                assert record.prices[name] == pytest.approx(value * PER_TOKEN), (key, name)
                checked += 1
            elif raw_key not in entry:
                assert name not in record.prices, (key, name)
                unstated += 1
    assert checked > 1000 and unstated > 1000


def test_litellm_off_peak_search_and_regional_prices(litellm: Any) -> None:
    doc, records = litellm
    off_peak = [k for k, e in doc.items() if isinstance(e, dict) and "off_peak_pricing" in e]
    assert off_peak
    for key in off_peak:
        record = records.get(f'["{key}"]')
        if record is None:
            continue
        stated = doc[key]["off_peak_pricing"]["input_cost_per_token"]
        assert record.prices["off_peak_input"] == pytest.approx(stated * PER_TOKEN)
    uplifted = [
        (k, e)
        for k, e in doc.items()
        if isinstance(e, dict) and "regional_endpoint_uplift_multiplier" in e
    ]
    assert uplifted
    for key, entry in uplifted:
        if f'["{key}"]' in records:
            assert (
                records[f'["{key}"]'].prices["regional_uplift"]
                == entry["regional_endpoint_uplift_multiplier"]
            )
    searched = [
        k
        for k, e in doc.items()
        if k != "sample_spec" and isinstance(e, dict) and "search_context_cost_per_query" in e
    ]
    for key in searched:
        record = records.get(f'["{key}"]')
        medium = doc[key]["search_context_cost_per_query"]["search_context_size_medium"]
        if record is not None and medium > 0:
            assert record.prices["per_search"] == medium


def test_genai_prices_service_tier_and_fast_variants() -> None:
    from genai_prices import data

    records, _, _, _ = genai_prices.parse(data.providers, "2025-11-25")
    by_position = {r.position: r for r in records}
    seen = 0
    done: set[tuple[str, str]] = set()
    for provider in data.providers:
        for model in provider.models:
            record = by_position.get(f"{provider.id}.models[{model.id}]")
            if record is None:
                continue
            done = {d for d in done if d[0] != model.id}
            for variant in model.price_variants or []:
                prefix = {
                    (("service_tier", "priority"),): "priority_",
                    (("service_tier", "flex"),): "flex_",
                    (("speed", "fast"),): "fast_",
                }.get(tuple(sorted(variant.when.items())))
                if prefix is None or (model.id, prefix) in done:
                    continue  # the first variant of a tier is the one published
                done.add((model.id, prefix))
                seen += 1
                for attr, name in (("input_mtok", "input"), ("cache_read_mtok", "cache_read")):
                    stated = getattr(variant.prices, attr, None)
                    if stated is None:
                        assert prefix + name not in record.prices, (model.id, prefix + name)
                    else:
                        base = getattr(stated, "base", stated)
                        assert record.prices[prefix + name] == float(base)
    assert seen > 40


def test_litellm_successor_and_alias_are_read_as_api_ids(litellm: Any) -> None:
    doc, records = litellm
    with_successor = [
        (k, e)
        for k, e in doc.items()
        if isinstance(e, dict) and isinstance(e.get("successor_model"), str)
    ]
    assert len(with_successor) > 400
    for key, entry in with_successor:
        record = records.get(f'["{key}"]')
        if record is not None:
            assert record.successor is not None
            assert record.successor.split("/")[-1] == entry["successor_model"].split("/")[-1]
    aliases = [
        (k, e) for k, e in doc.items() if isinstance(e, dict) and isinstance(e.get("alias_of"), str)
    ]
    assert len(aliases) > 90
    for key, entry in aliases:
        record = records.get(f'["{key}"]')
        if record is not None:
            assert record.alias_of is not None
            provider = entry.get("litellm_provider") or key.split("/")[0]
            assert not record.alias_of.startswith(provider + "/")
