"""The knollm client reads models.json without the build stack, so it mirrors parts of the
contract in plain dataclasses; these checks keep each mirror equal to the pydantic original."""

from __future__ import annotations

import dataclasses

from knollm import records

from knollm_build import schema


def scalar_fields(model: type) -> list[str]:
    return [name for name in model.model_fields if name != "tiers"]


def test_price_fields_mirror_the_contract() -> None:
    assert list(records.PRICE_FIELDS) == scalar_fields(schema.Pricing)
    mirrored = [f.name for f in dataclasses.fields(records.Pricing)]
    assert mirrored == list(schema.Pricing.model_fields)
    assert [f.name for f in dataclasses.fields(records.PriceTier)] == list(
        schema.PriceTier.model_fields
    )


def test_record_fields_exist_in_the_contract() -> None:
    for mirror, original in (
        (records.Provider, schema.Provider),
        (records.Model, schema.Model),
        (records.Offering, schema.Offering),
    ):
        names = {f.name for f in dataclasses.fields(mirror)} - {"_raw", "_origin"}
        assert names <= set(original.model_fields), (
            mirror.__name__,
            names - set(original.model_fields),
        )


def test_indirect_provider_kinds_are_the_contracts() -> None:
    """The client counts routed hosts (for a subset of offerings, or an older catalog) by the same
    kinds the compiler counts ``Model.direct_hosts`` / ``routed_hosts`` by."""
    assert records.INDIRECT_KINDS == schema.INDIRECT_KINDS
