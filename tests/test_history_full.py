"""The price ledger of the full catalog (session fixture ``full_build``: two compiles)."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from decimal import Decimal
from pathlib import Path
from typing import Any

import jsonschema
import orjson
import pytest

pytestmark = pytest.mark.integration

# The four token prices genai-prices dates most, read straight off its ModelPrice objects.
GENAI_ATTRS = {
    "input_mtok": "input",
    "output_mtok": "output",
    "cache_read_mtok": "cache_read",
    "cache_write_mtok": "cache_write",
}


@pytest.fixture(scope="module")
def ledger(full_build: dict[str, Path]) -> dict[str, Any]:
    return orjson.loads((full_build["a"] / "history.json").read_bytes())


def _genai_dated_changes() -> list[tuple[str, str, dict[str, float]]]:
    """(model id, ISO start date, prices) of every StartDateConstraint price in genai-prices,
    found by walking its data, without the compiler's adapter."""
    from genai_prices import data

    changes = []
    for provider in data.providers:
        for model in provider.models:
            if not isinstance(model.prices, list):
                continue
            for conditional in model.prices:
                start = getattr(conditional.constraint, "start_date", None)
                if not isinstance(start, dt.date):
                    continue
                prices = {}
                for attr, name in GENAI_ATTRS.items():
                    value = getattr(conditional.prices, attr, None)
                    value = getattr(value, "base", value)  # a tiered price's base
                    if isinstance(value, Decimal | int | float):
                        prices[name] = float(value)
                # Hugging Face's per-upstream entries are "<model>:<upstream>" at the router.
                upstream = provider.id.removeprefix("huggingface_")
                model_id = model.id + (f":{upstream}" if upstream != provider.id else "")
                changes.append((model_id, start.isoformat(), prices))
    return changes


def test_history_reproduces_every_dated_change_of_genai_prices(ledger: dict[str, Any]) -> None:
    changes = _genai_dated_changes()
    assert len(changes) >= 300  # 302 in genai-prices 0.2.3
    effective: Counter[tuple[str, tuple[tuple[str, float], ...]]] = Counter()
    by_id: dict[str, set[tuple[str, tuple[tuple[str, float], ...]]]] = {}
    for entry in ledger["entries"]:
        for point in entry["points"]:
            if point["source"] != "genai-prices" or point["dated"] != "effective":
                continue
            if point["since"] is None:
                continue
            key = (
                point["since"],
                tuple(sorted((n, point[n]) for n in GENAI_ATTRS.values() if n in point)),
            )
            effective[key] += 1
            by_id.setdefault(entry["provider_model_id"].lower(), set()).add(key)
    wanted = Counter(
        (since, tuple(sorted((n, round(v, 10)) for n, v in prices.items())))
        for _, since, prices in changes
    )
    missing = wanted - effective
    assert not missing, list(missing)[:5]
    assert sum(effective.values()) == len(changes)
    # Where the offering keeps genai-prices' own id, the change is on that very offering.
    placed = 0
    for model_id, since, prices in changes:
        keys = by_id.get(model_id.lower())
        if keys is None:
            continue
        placed += 1
        assert (since, tuple(sorted((n, round(v, 10)) for n, v in prices.items()))) in keys
    assert placed >= len(changes) // 2


def test_history_validates_against_its_schema(
    full_build: dict[str, Path], ledger: dict[str, Any]
) -> None:
    schema = orjson.loads((full_build["a"] / "history.schema.json").read_bytes())
    jsonschema.Draft202012Validator.check_schema(schema)
    errors = list(jsonschema.Draft202012Validator(schema).iter_errors(ledger))
    assert not errors, errors[0].message


def test_history_is_byte_identical_across_builds(full_build: dict[str, Path]) -> None:
    a, b = (full_build[n] / "history.json" for n in "ab")
    assert a.read_bytes() == b.read_bytes()


def test_history_points_are_ordered_and_sourced(full_catalog: dict, ledger: dict[str, Any]) -> None:
    sources = {s["id"] for s in full_catalog["sources"]}
    offerings = {(o["provider"], o["provider_model_id"]) for o in full_catalog["offerings"]}
    multi_source = 0
    for entry in ledger["entries"]:
        assert (entry["provider"], entry["provider_model_id"]) in offerings
        dates = [p["since"] or "" for p in entry["points"]]
        assert dates == sorted(dates)
        assert {p["source"] for p in entry["points"]} <= sources
        multi_source += len({p["source"] for p in entry["points"]}) > 1
    # The 2025-09 LiteLLM snapshot against the pinned 1.110.2 dates real changes.
    assert multi_source > 100
