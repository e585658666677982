"""Model facts by precedence, not union: canonical record, then the lab's own API, then the
majority of direct hosts; cut-off never after release; the canonical-records adapter."""

from __future__ import annotations

import json
from pathlib import Path

from knollm_build.assemble import build_models
from knollm_build.canonical import load_rules
from knollm_build.catalog_files import ProviderFile
from knollm_build.normalise import normalise, place_facts
from knollm_build.records import Problem, RawRecord
from knollm_build.schema import Offering
from knollm_build.sources import canonical_models
from knollm_build.sources.base import LoadContext

REPO = Path(__file__).resolve().parents[1]
RULES = load_rules(REPO / "catalog" / "model_rules.toml")
MODEL = "llama-3.3-70b-instruct"


def offering(provider: str, capabilities: list[str], inputs: list[str] | None = None) -> Offering:
    return Offering.model_validate(
        {
            "provider": provider,
            "model": MODEL,
            "provider_model_id": f"{provider}/llama-3.3-70b",
            "sources": [f"dump:{provider}"],
            "capabilities": capabilities,
            "input_modalities": inputs or ["text"],
            "output_modalities": ["text"],
        }
    )


def records(**per_provider: dict[str, object]) -> list:
    raws = [
        RawRecord(
            source=f"dump:{provider}",
            file="x.json",
            position=f"data[{i}]",
            provider_raw=provider,
            provider_model_id="meta-llama/Llama-3.3-70B-Instruct",
            **fields,
        )  # type: ignore[arg-type]
        for i, (provider, fields) in enumerate(per_provider.items())
    ]
    providers = {p: ProviderFile(name=p.title()) for p in per_provider}
    return normalise(raws, providers, RULES, {}).records


def fact(**fields: object) -> canonical_models.ModelFact:
    return canonical_models.ModelFact(
        key="meta/llama-3.3-70b-instruct", source="c", file="c", **fields
    )  # type: ignore[arg-type]


def test_capabilities_are_the_direct_hosts_majority_not_the_union() -> None:
    offerings = [
        offering("a", ["tools", "reasoning"], ["image", "text"]),
        offering("b", ["tools"]),
        offering("c", ["tools", "json_mode"]),
        offering("router", ["reasoning", "json_mode", "web_search"]),
    ]
    kinds: dict[str, str | None] = {"router": "router"}
    [model] = build_models(offerings, records(a={}, b={}, c={}), [], kinds=kinds)
    assert model.capabilities == ["tools"]  # 3 of 3 direct hosts; the router does not vote
    assert model.input_modalities == ["text"]
    # each offering keeps its own claims
    assert offerings[0].capabilities == ["tools", "reasoning"]


def test_canonical_record_beats_every_host() -> None:
    offerings = [offering(p, ["tools", "reasoning"]) for p in ("a", "b", "c")]
    canonical = fact(capabilities={"tools": True, "reasoning": False}, released="2024-12-06")
    problems: list[Problem] = []
    [model] = build_models(
        offerings,
        records(a={"released": "2025-01-10"}, b={"released": "2025-01-10"}, c={}),
        problems,
        {MODEL: canonical},
    )
    assert model.capabilities == ["tools"]
    assert model.released == "2024-12-06"


def test_lab_own_api_comes_before_the_majority() -> None:
    offerings = [
        offering("meta", ["tools"]),
        offering("b", ["tools", "vision"]),
        offering("c", ["vision"]),
    ]
    kinds: dict[str, str | None] = {"meta": "first_party"}
    [model] = build_models(
        offerings,
        records(
            meta={"released": "2024-12-06"},
            b={"released": "2024-12-01"},
            c={"released": "2024-12-01"},
        ),
        [],
        kinds=kinds,
        names={"meta": "Meta Llama API"},
    )
    assert model.capabilities == ["tools"]
    assert model.released == "2024-12-06"  # the lab's date, not the two hosts' listing date


def test_knowledge_cutoff_after_release_is_withheld_and_reported() -> None:
    problems: list[Problem] = []
    [model] = build_models(
        [offering("a", [])],
        records(a={"released": "2024-12-06", "knowledge_cutoff": "2025-08"}),
        problems,
    )
    assert model.knowledge_cutoff is None and model.released == "2024-12-06"
    [problem] = problems
    assert (problem.kind, problem.position, problem.field) == ("flagged", MODEL, "knowledge_cutoff")


def test_open_weights_by_canonical_record_else_majority() -> None:
    hosts = records(a={"open_weights": False}, b={"open_weights": False}, c={"open_weights": True})
    offerings = [offering(p, []) for p in ("a", "b", "c")]
    [majority] = build_models(offerings, hosts, [])
    assert majority.open_weights is False  # one source saying so no longer outweighs two
    [canonical] = build_models(offerings, hosts, [], {MODEL: fact(open_weights=True)})
    assert canonical.open_weights is True


def test_canonical_records_adapter_reads_the_published_shape(tmp_path: Path) -> None:
    folder = tmp_path / "models_dev_canonical"
    folder.mkdir()
    doc = {
        "openai/gpt-4o": {
            "id": "openai/gpt-4o",
            "name": "GPT-4o",
            "release_date": "2024-05-13",
            "knowledge": "2023-10",
            "tool_call": True,
            "reasoning": False,
            "modalities": {"input": ["text", "image"], "output": ["text"]},
            "open_weights": False,
            "limit": {"context": 128000, "output": 16384},
            "benchmarks": [
                {
                    "name": "MMLU",
                    "score": 88.7,
                    "metric": "percent",
                    "source": "https://example.org/mmlu",
                    "date": "2024-05-13",
                }
            ],
        },
        "openai/gpt-4o-2024-08-06": {
            "id": "openai/gpt-4o-2024-08-06",
            "name": "GPT-4o (2024-08-06)",
            "release_date": "2024-08-06",
            "tool_call": True,
        },
        "not-a-record": 3,
    }
    (folder / "models.json").write_text(json.dumps(doc))
    result = canonical_models.load(LoadContext(work_dirs=[tmp_path]))
    assert [p.position for p in result.problems] == ["['not-a-record']"]
    assert result.records == [] and result.records_read == 0  # facts, not offering records
    placed = place_facts(result.model_facts, RULES)
    assert list(placed) == ["gpt-4o"]
    gpt = placed["gpt-4o"]
    assert (gpt.key, gpt.released, gpt.knowledge_cutoff) == (
        "openai/gpt-4o",
        "2024-05-13",
        "2023-10",
    )
    assert gpt.capabilities == {"tools": True, "reasoning": False, "vision": True}
    assert gpt.benchmarks == [
        {
            "name": "MMLU",
            "score": 88.7,
            "metric": "percent",
            "source": "https://example.org/mmlu",
            "date": "2024-05-13",
        }
    ]


def test_display_name_is_the_first_name_a_person_would_write() -> None:
    """Canonical name first, then the sources' by precedence; an alias's "(latest)" and a
    "Vendor: " prefix dropped; a path or an id-like spelling passed over while a name exists."""
    from knollm_build.assemble import model_display_name

    def named(*names: str) -> list:
        return records(**{f"p{k}": {"name": name} for k, name in enumerate(names)})

    one = named("llama-3.3-70b-instruct")
    assert model_display_name(MODEL, one, fact(name="Llama 3.3 70B Instruct (latest)")) == (
        "Llama 3.3 70B Instruct"
    )
    # an id-like spelling (one lower-case word) and a path yield to a later proper name
    got = model_display_name(
        MODEL, named("llama-3.3-70b-instruct", "meta/Llama 3.3", "Meta: Llama 3.3 70B")
    )
    assert got == "Llama 3.3 70B"
    # a lab's own casing is a name, even without a space
    assert model_display_name(MODEL, named("Llama-3.3-70B-Instruct", "Llama 3.3")) == (
        "Llama-3.3-70B-Instruct"
    )
    # only id-like names: the first; none at all: the id as a title
    assert model_display_name(MODEL, named("llama-3.3-70b", "llama3.3")) == "llama-3.3-70b"
    assert model_display_name(MODEL, []) == "Llama 3.3 70B Instruct"
