"""The explorer payload (knollm_build/explorer.py): what changed in format 2 — every context tier,
and vocabularies generated from schema.py rather than hand-copied codes."""

from __future__ import annotations

from typing import Any, get_args

from knollm_build import schema
from knollm_build.explorer import PAYLOAD_FORMAT, explorer_payload


def document(offerings: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "schema_version": "1.0.0",
        "generated_at": "2026-01-01T00:00:00Z",
        "providers": [{"id": "acme", "name": "Acme"}],
        "models": [{"id": "m", "name": "M", "hosts": 1}],
        "offerings": [
            {"provider": "acme", "model": "m", "provider_model_id": f"o{i}", **o}
            for i, o in enumerate(offerings)
        ],
    }


def test_vocabularies_are_the_schemas() -> None:
    payload = explorer_payload(document([]))
    assert payload["format"] == PAYLOAD_FORMAT == 3
    assert payload["statuses"] == list(get_args(schema.Status))
    assert payload["modes"] == list(get_args(schema.Mode))
    assert payload["modalities"] == list(get_args(schema.Modality))
    assert payload["capabilities"] == list(get_args(schema.Capability))


def test_every_status_keeps_its_name() -> None:
    statuses = list(get_args(schema.Status))
    payload = explorer_payload(document([{"status": s} for s in statuses]))
    assert [payload["statuses"][code] for code in payload["offerings"]["st"]] == statuses


def test_every_tier_is_carried_lowest_threshold_first() -> None:
    tiers = [
        {"above_input_tokens": 256_000, "input": 4.0, "output": 16.0},
        {"above_input_tokens": 128_000, "input": 2.0, "cache_read": 0.2},
    ]
    payload = explorer_payload(
        document([{"pricing": {"input": 1.0, "output": 4.0, "tiers": tiers}}, {"pricing": {}}])
    )
    assert payload["offerings"]["tier"] == [
        [[128_000, 2.0, None, 0.2], [256_000, 4.0, 16.0, None]],
        None,
    ]
