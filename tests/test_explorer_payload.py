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


def test_format_3_carries_listed_basis_flags_kind_and_host_counts() -> None:
    doc = document(
        [
            {"price_basis": "tokens", "flags": ["price_outlier", "unit_inferred"]},
            {"price_basis": "per_image", "listed": False},
            {},  # a document that does not state a basis
        ]
    )
    doc["providers"][0]["kind"] = "router"
    payload = explorer_payload(doc)
    assert payload["bases"] == list(get_args(schema.PriceBasis))
    assert payload["flags"] == list(get_args(schema.Flag))
    assert payload["kinds"] == list(get_args(schema.ProviderKind))
    offerings = payload["offerings"]
    assert [payload["bases"][b] if b >= 0 else None for b in offerings["basis"]] == [
        "tokens", "per_image", None,
    ]  # fmt: skip
    flags = payload["flags"]
    assert offerings["flag"][0] == (1 << flags.index("price_outlier")) | (
        1 << flags.index("unit_inferred")
    )
    assert offerings["flag"][1:] == [0, 0]
    assert payload["unlisted"] == [1]
    assert payload["providers"]["kind"] == [payload["kinds"].index("router")]
    # a router's listed offerings make it a routed host, never a direct one
    assert (payload["models"]["direct"], payload["models"]["routed"]) == ([0], [1])
