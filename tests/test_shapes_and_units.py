"""Every known model-list shape, read through the work-dump adapter, in catalog units.

Each fixture in ``tests/fixtures/shapes/`` is a small hand-written answer in one
provider's own layout. The tests copy it into a temporary work directory as
``model_catalog/models_<provider>.json`` and check the exact ids, limits,
capabilities and prices (USD per 1M tokens) that come out.
"""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from knollm_build.pipeline import BuildOptions, compile_catalog
from knollm_build.records import RawRecord, SourceResult
from knollm_build.sources import work_dumps
from knollm_build.sources.base import LoadContext
from knollm_build.sources.shapes import SHAPES, detect, known_shapes

ROOT = Path(__file__).resolve().parents[1]
SHAPES_DIR = ROOT / "tests" / "fixtures" / "shapes"
CATALOG = ROOT / "catalog"
FIXED_TIME = datetime(2025, 10, 1, tzinfo=UTC)


# --- helpers -------------------------------------------------------------------


def _work_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "model_catalog"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def load_fixture(tmp_path: Path, fixture: str, provider: str) -> SourceResult:
    """Copy one shape fixture in as ``models_<provider>.json`` and load the work dir."""
    shutil.copy(SHAPES_DIR / fixture, _work_dir(tmp_path) / f"models_{provider}.json")
    return work_dumps.load(LoadContext(work_dirs=[tmp_path], debug=True))


def write_json(tmp_path: Path, name: str, value: Any) -> Path:
    path = _work_dir(tmp_path) / name
    path.write_text(json.dumps(value), encoding="utf-8")
    return path


def by_id(result: SourceResult) -> dict[str, RawRecord]:
    records = {r.provider_model_id: r for r in result.records}
    assert len(records) == len(result.records), "provider_model_ids are unique within one fixture"
    return records


def compile_dir(work: Path) -> Any:
    return compile_catalog(
        BuildOptions(
            work_dirs=[work], default_sources=False, catalog_dir=CATALOG, generated_at=FIXED_TIME
        )
    )


def offerings_by_id(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {o["provider_model_id"]: o for o in document["offerings"]}


# --- detect() / known_shapes() ----------------------------------------------------------


@pytest.mark.parametrize(
    ("fixture", "shape"),
    [
        ("openai.json", "openai-list"),
        ("together.json", "array"),
        ("litellm.json", "litellm-map"),
        ("anthropic.json", "anthropic"),
        ("google.json", "google"),
        ("openrouter.json", "openai-list"),
        ("cohere.json", "cohere"),
        ("ollama.json", "ollama"),
        ("novita.json", "openai-list"),
        ("deepinfra.json", "openai-list"),
        ("mistral.json", "openai-list"),
        ("huggingface.json", "openai-list"),
    ],
)
def test_detect_recognises_each_fixture_shape(fixture: str, shape: str) -> None:
    doc = json.loads((SHAPES_DIR / fixture).read_text(encoding="utf-8"))
    found = detect(doc)
    assert found is not None
    assert found.name == shape


@pytest.mark.parametrize(
    "doc", [{"foo": 1}, {"data": "not a list"}, {"models": {"a": 1}}, "text", 42, None, True, 1.5]
)
def test_detect_returns_none_for_unknown_shapes(doc: Any) -> None:
    assert detect(doc) is None


def test_detect_prefers_anthropic_over_openai_list_when_has_more_present() -> None:
    assert detect({"data": [], "has_more": False}).name == "anthropic"
    assert detect({"object": "list", "data": []}).name == "openai-list"


def test_detect_empty_models_list_is_still_a_known_shape() -> None:
    shape = detect({"models": []})
    assert shape is not None
    assert list(shape.entries({"models": []})) == []


def test_known_shapes_names_every_shape_with_its_description() -> None:
    text = known_shapes()
    for shape in SHAPES:
        assert f"{shape.name}: {shape.description}" in text
    assert text.count("; ") == len(SHAPES) - 1


def test_shape_entries_yield_positions_ids_and_non_object_entries() -> None:
    doc = {"models": [{"name": "models/gemini-x", "inputTokenLimit": 5}, "junk"]}
    shape = detect(doc)
    assert shape is not None and shape.name == "google"
    assert list(shape.entries(doc)) == [
        ("models[0]", "gemini-x", doc["models"][0]),
        ("models[1]", None, "junk"),
    ]
    array = [{"id": "a"}, {"slug": "b"}, {"model": "c"}, {"id": "  "}]
    assert [(p, i) for p, i, _ in detect(array).entries(array)] == [
        ("[0]", "a"),
        ("[1]", "b"),
        ("[2]", "c"),
        ("[3]", None),
    ]


# --- one test per shape ------------------------------------------------------------------


def test_openai_list_ids_and_no_invented_facts(tmp_path: Path) -> None:
    result = load_fixture(tmp_path, "openai.json", "openai")
    records = by_id(result)
    assert list(records) == ["gpt-4o-mini", "text-embedding-3-small", "whisper-1"]
    assert [r.position for r in result.records] == ["data[0]", "data[1]", "data[2]"]
    for record in records.values():
        assert record.provider_raw == "openai"
        assert record.prices == {}
        assert record.context_window is None
        assert record.max_output_tokens is None
        assert record.capabilities == {}
    assert result.problems == []
    assert result.records_read == 3
    (info,) = result.sources
    assert (info.id, info.kind, info.records) == ("dump:openai", "provider-dump", 3)
    assert info.version.startswith("sha256:")


def test_together_direct_array_prices_are_usd_per_million(tmp_path: Path) -> None:
    result = load_fixture(tmp_path, "together.json", "togetherai")
    records = by_id(result)
    assert list(records) == [
        "meta-llama/Llama-3.3-70B-Instruct-Turbo",
        "Qwen/Qwen2.5-7B-Instruct-Turbo",
        "BAAI/bge-base-en-v1.5",
    ]
    assert [r.position for r in result.records] == ["[0]", "[1]", "[2]"]
    llama = records["meta-llama/Llama-3.3-70B-Instruct-Turbo"]
    assert llama.prices == {"input": 0.88, "output": 0.88}
    assert llama.context_window == 131072
    assert llama.mode == "chat"
    assert llama.name == "Meta Llama 3.3 70B Instruct Turbo"
    assert records["Qwen/Qwen2.5-7B-Instruct-Turbo"].prices == {"input": 0.3, "output": 0.3}
    bge = records["BAAI/bge-base-en-v1.5"]
    assert bge.prices == {"input": 0.008, "output": 0.0}
    assert bge.context_window == 512
    assert bge.mode == "embedding"
    # hourly / base / finetune are known non-token keys: not withheld, not published
    assert result.problems == []


def test_litellm_keyed_map_prices_limits_capabilities_and_tiers(tmp_path: Path) -> None:
    result = load_fixture(tmp_path, "litellm.json", "somevendor")
    records = by_id(result)
    assert list(records) == ["claude-3-7-sonnet-20250219", "llama-3.1-8b-instant", "gemini-1.5-pro"]
    assert result.records_read == 3  # sample_spec is documentation, not a record
    assert [r.provider_raw for r in result.records] == ["anthropic", "groq", "gemini"]
    assert [r.position for r in result.records] == [
        '["claude-3-7-sonnet-20250219"]',
        '["groq/llama-3.1-8b-instant"]',
        '["gemini/gemini-1.5-pro"]',
    ]
    claude = records["claude-3-7-sonnet-20250219"]
    assert claude.prices == {"input": 3.0, "output": 15.0, "cache_read": 0.3, "cache_write": 3.75}
    assert claude.context_window == 200000  # LiteLLM states the window as max_input_tokens
    assert claude.max_input_tokens == 200000
    assert claude.max_output_tokens == 64000
    assert claude.mode == "chat"
    assert claude.name is None
    assert claude.capabilities == {
        "tools": True,
        "vision": True,
        "caching": True,
        "reasoning": True,
    }
    groq = records["llama-3.1-8b-instant"]
    assert groq.prices == {"input": 0.05, "output": 0.08}
    assert (groq.context_window, groq.max_output_tokens) == (128000, 8192)
    assert groq.capabilities == {"tools": True, "structured_output": False}
    gemini = records["gemini-1.5-pro"]
    assert gemini.prices == {"input": 1.25, "output": 5.0}
    assert gemini.price_tiers == [{"above_input_tokens": 128000, "input": 2.5, "output": 10.0}]
    assert gemini.context_window == 2097152
    assert result.problems == []


def test_anthropic_list_with_display_names(tmp_path: Path) -> None:
    result = load_fixture(tmp_path, "anthropic.json", "anthropic")
    records = by_id(result)
    assert list(records) == ["claude-sonnet-4-20250514", "claude-3-5-haiku-20241022"]
    assert records["claude-sonnet-4-20250514"].name == "Claude Sonnet 4"
    assert records["claude-3-5-haiku-20241022"].name == "Claude Haiku 3.5"
    for record in records.values():
        assert record.prices == {}
        assert record.context_window is None
        assert record.mode is None  # "type": "model" is not a mode
        assert record.capabilities == {}
    assert result.problems == []


def test_google_native_limits_and_modes(tmp_path: Path) -> None:
    result = load_fixture(tmp_path, "google.json", "gemini")
    records = by_id(result)
    assert list(records) == ["gemini-2.0-flash", "text-embedding-004"]  # "models/" prefix removed
    assert [r.position for r in result.records] == ["models[0]", "models[1]"]
    flash = records["gemini-2.0-flash"]
    assert (flash.context_window, flash.max_output_tokens) == (1048576, 8192)
    assert flash.mode == "chat"
    assert flash.prices == {}
    embed = records["text-embedding-004"]
    assert (embed.context_window, embed.max_output_tokens) == (2048, 1)
    assert embed.mode == "embedding"
    assert result.problems == []


def test_google_native_display_name_is_used(tmp_path: Path) -> None:
    records = by_id(load_fixture(tmp_path, "google.json", "gemini"))
    assert records["gemini-2.0-flash"].name == "Gemini 2.0 Flash"


def test_openrouter_per_token_strings_become_usd_per_million(tmp_path: Path) -> None:
    result = load_fixture(tmp_path, "openrouter.json", "openrouter")
    records = by_id(result)
    assert list(records) == [
        "anthropic/claude-3.7-sonnet",
        "meta-llama/llama-3.1-8b-instruct:free",
        "openrouter/auto",
    ]
    claude = records["anthropic/claude-3.7-sonnet"]
    assert claude.prices == {
        "input": 3.0,
        "output": 15.0,
        "cache_read": 0.3,
        "cache_write": 3.75,
        "per_image": 0.0048,
    }  # request / internal_reasoning "0" mean "not offered"; web_search is ignored
    assert claude.context_window == 200000
    assert claude.max_output_tokens == 64000  # from top_provider.max_completion_tokens
    assert claude.input_modalities == ["file", "image", "text"]
    assert claude.output_modalities == ["text"]
    assert claude.capabilities == {"reasoning": True, "tools": True}
    assert claude.name == "Anthropic: Claude 3.7 Sonnet"
    assert claude.model_hint is None  # empty hugging_face_id is no hint
    free = records["meta-llama/llama-3.1-8b-instruct:free"]
    assert free.prices == {"input": 0.0, "output": 0.0}
    assert free.context_window == 131072
    assert free.max_output_tokens is None
    assert free.capabilities == {"json_mode": True, "structured_output": True}
    assert free.model_hint == "meta-llama/Meta-Llama-3.1-8B-Instruct"
    auto = records["openrouter/auto"]
    assert auto.prices == {}
    assert auto.context_window == 2000000
    withheld = sorted((p.position, p.field, p.reason, p.value) for p in result.problems)
    assert withheld == [
        ("data[2]", "pricing.completion", "price is negative", "-1"),
        ("data[2]", "pricing.prompt", "price is negative", "-1"),
    ]
    assert {p.kind for p in result.problems} == {"withheld_price"}


def test_cohere_endpoints_features_and_context(tmp_path: Path) -> None:
    result = load_fixture(tmp_path, "cohere.json", "cohere")
    records = by_id(result)
    assert list(records) == ["command-r-plus-08-2024", "embed-english-v3.0", "rerank-v3.5"]
    command = records["command-r-plus-08-2024"]
    assert command.context_window == 128000
    assert command.mode == "chat"
    assert command.capabilities == {"tools": True, "json_mode": True, "structured_output": True}
    assert records["embed-english-v3.0"].mode == "embedding"
    assert records["embed-english-v3.0"].context_window == 512
    assert records["rerank-v3.5"].mode == "rerank"
    assert records["rerank-v3.5"].context_window == 4096
    for record in records.values():
        assert record.prices == {}
    assert result.problems == []


def test_ollama_tags_are_ids(tmp_path: Path) -> None:
    result = load_fixture(tmp_path, "ollama.json", "ollama")
    records = by_id(result)
    assert list(records) == ["llama3.2:latest", "nomic-embed-text:latest"]
    for record in records.values():
        assert record.prices == {}
        assert record.context_window is None
        assert record.capabilities == {}
    assert result.problems == []


def test_novita_prices_are_in_units_of_0_0001_usd_per_million(tmp_path: Path) -> None:
    result = load_fixture(tmp_path, "novita.json", "novita")
    records = by_id(result)
    assert list(records) == ["meta-llama/llama-3.1-8b-instruct", "deepseek/deepseek-r1"]
    llama = records["meta-llama/llama-3.1-8b-instruct"]
    assert llama.prices == {"input": 0.05, "output": 0.05}
    assert (llama.context_window, llama.max_output_tokens) == (16384, 16384)
    assert llama.capabilities == {"tools": True, "structured_output": True}
    assert llama.mode == "chat"
    assert llama.name == "Llama 3.1 8B Instruct"
    r1 = records["deepseek/deepseek-r1"]
    assert r1.prices == {"input": 4.0, "output": 16.0}
    assert (r1.context_window, r1.max_output_tokens) == (163840, 32768)
    assert r1.capabilities == {"reasoning": True, "tools": True}
    assert result.problems == []


def test_deepinfra_metadata_pricing_is_usd_per_million(tmp_path: Path) -> None:
    result = load_fixture(tmp_path, "deepinfra.json", "deepinfra")
    records = by_id(result)
    assert list(records) == [
        "meta-llama/Meta-Llama-3.1-8B-Instruct",
        "Austism/chronos-hermes-13b-v2",
        "BAAI/bge-m3",
    ]
    llama = records["meta-llama/Meta-Llama-3.1-8B-Instruct"]
    assert llama.prices == {"input": 0.03, "output": 0.05, "cache_read": 0.01}
    assert (llama.context_window, llama.max_output_tokens) == (131072, 16384)
    hermes = records["Austism/chronos-hermes-13b-v2"]
    assert hermes.prices == {"input": 0.13, "output": 0.13}
    assert (hermes.context_window, hermes.max_output_tokens) == (4096, 4096)
    bge = records["BAAI/bge-m3"]
    assert bge.prices == {}
    assert bge.context_window is None
    assert result.problems == []


def test_mistral_capabilities_dict_context_and_deprecation(tmp_path: Path) -> None:
    result = load_fixture(tmp_path, "mistral.json", "mistral")
    records = by_id(result)
    assert list(records) == ["mistral-large-2411", "codestral-2405", "pixtral-12b-2409"]
    large = records["mistral-large-2411"]
    assert large.context_window == 131072
    assert large.capabilities == {"tools": True, "fim": False, "fine_tuning": True, "vision": False}
    assert large.status is None
    assert large.deprecation_date is None
    codestral = records["codestral-2405"]
    assert codestral.context_window == 32768
    assert codestral.capabilities == {
        "tools": True,
        "fim": True,
        "fine_tuning": False,
        "vision": False,
    }
    assert codestral.deprecation_date == "2025-06-16"
    assert codestral.status == "deprecated"
    pixtral = records["pixtral-12b-2409"]
    assert pixtral.capabilities["vision"] is True
    for record in records.values():
        assert record.prices == {}
        assert record.mode is None  # "type": "base" is not a mode
    assert result.problems == []


def test_huggingface_router_expands_upstreams(tmp_path: Path) -> None:
    result = load_fixture(tmp_path, "huggingface.json", "huggingface")
    records = by_id(result)
    llama = "meta-llama/Llama-3.3-70B-Instruct"
    assert list(records) == [
        llama,
        f"{llama}:groq",
        f"{llama}:together",
        f"{llama}:nebius",
        "Qwen/Qwen3-32B",
        "Qwen/Qwen3-32B:cerebras",
    ]
    assert result.records_read == 6  # 2 models + 4 upstreams
    assert {r.provider_raw for r in result.records} == {"huggingface"}
    plain = records[llama]
    assert (plain.prices, plain.variant_hint, plain.model_hint, plain.context_window) == (
        {},
        [],
        None,
        None,
    )
    groq = records[f"{llama}:groq"]
    assert groq.position == "data[0].providers[0]"
    assert groq.prices == {"input": 0.59, "output": 0.79}
    assert groq.context_window == 131072
    assert groq.capabilities == {"tools": True, "structured_output": False}
    assert groq.variant_hint == ["via:groq"]
    assert groq.model_hint == llama
    assert groq.status is None
    together = records[f"{llama}:together"]
    assert together.prices == {"input": 0.88, "output": 0.88}
    assert together.capabilities == {"tools": True, "structured_output": True}
    assert together.variant_hint == ["via:together"]
    assert records[f"{llama}:nebius"].status == "preview"  # staging
    assert records[f"{llama}:nebius"].position == "data[0].providers[2]"
    cerebras = records["Qwen/Qwen3-32B:cerebras"]
    assert cerebras.status == "retired"  # an upstream in error is not live
    assert cerebras.variant_hint == ["via:cerebras"]
    assert cerebras.model_hint == "Qwen/Qwen3-32B"
    assert cerebras.context_window == 32768
    assert result.problems == []


def test_huggingface_upstreams_compile_to_via_variants_of_the_same_model(tmp_path: Path) -> None:
    load_fixture(tmp_path, "huggingface.json", "huggingface")
    built = compile_dir(tmp_path)
    offerings = offerings_by_id(built.document)
    llama = "meta-llama/Llama-3.3-70B-Instruct"
    assert offerings[llama]["variant"] == []
    for upstream in ("groq", "together", "nebius"):
        offering = offerings[f"{llama}:{upstream}"]
        assert offering["provider"] == "huggingface"
        assert offering["model"] == offerings[llama]["model"]
        assert f"via:{upstream}" in offering["variant"]
    assert offerings[f"{llama}:groq"]["pricing"] == {"input": 0.59, "output": 0.79}
    assert offerings[f"{llama}:nebius"]["status"] == "preview"
    assert offerings["Qwen/Qwen3-32B:cerebras"]["status"] == "retired"
    assert built.report["accounting"] == {
        "records_read": 6,
        "offerings_kept": 6,
        "merged_duplicates": 0,
        "excluded": 0,
        "quarantined": 0,
        "holds": True,
    }


def test_huggingface_upstream_without_provider_name_is_quarantined(tmp_path: Path) -> None:
    write_json(
        tmp_path,
        "models_huggingface.json",
        {
            "data": [
                {"id": "org/m", "providers": [{"status": "live"}, "groq", {"provider": "groq"}]}
            ]
        },
    )
    result = work_dumps.load(LoadContext(work_dirs=[tmp_path]))
    assert [r.provider_model_id for r in result.records] == ["org/m", "org/m:groq"]
    assert result.records_read == 4
    assert [(p.kind, p.position) for p in result.problems] == [
        ("quarantined", "data[0].providers[0]"),
        ("quarantined", "data[0].providers[1]"),
    ]
    assert all("no provider name" in p.reason for p in result.problems)


# --- special files ---------------------------------------------------------------------


def test_best_file_is_a_subset_of_the_same_provider(tmp_path: Path) -> None:
    write_json(
        tmp_path,
        "models_featherless.json",
        [
            {
                "id": "Sao10K/L3-8B-Stheno-v3.2",
                "context_length": 8192,
                "max_completion_tokens": 4096,
            },
            {"id": "Qwen/Qwen2.5-7B-Instruct", "context_length": 32768},
        ],
    )
    write_json(
        tmp_path,
        "models_featherless_best.json",
        [
            {"id": "Sao10K/L3-8B-Stheno-v3.2", "context_length": 8192},
            {"id": "Sao10K/L3-8B-Stheno-v3.2", "context_length": 8192},
        ],
    )
    result = work_dumps.load(LoadContext(work_dirs=[tmp_path], debug=True))
    assert {r.provider_raw for r in result.records} == {"featherless"}
    assert sorted(s.id for s in result.sources) == ["dump:featherless", "dump:featherless_best"]
    assert {s.kind for s in result.sources} == {"provider-dump"}
    assert result.problems == []  # duplicates inside a _best file are allowed
    assert result.records_read == 4

    built = compile_dir(tmp_path)
    offerings = built.document["offerings"]
    assert {o["provider"] for o in offerings} == {"featherless"}
    assert sorted(o["provider_model_id"] for o in offerings) == [
        "Qwen/Qwen2.5-7B-Instruct",
        "Sao10K/L3-8B-Stheno-v3.2",
    ]
    stheno = offerings_by_id(built.document)["Sao10K/L3-8B-Stheno-v3.2"]
    assert stheno["sources"] == ["dump:featherless", "dump:featherless_best"]
    assert stheno["max_output_tokens"] == 4096
    accounting = built.report["accounting"]
    assert accounting["merged_duplicates"] == 2
    assert accounting["offerings_kept"] == 2
    assert accounting["holds"] is True


def test_manual_file_outranks_the_fetched_dump(tmp_path: Path) -> None:
    write_json(
        tmp_path,
        "models_infermatic.json",
        {"object": "list", "data": [{"id": "Sao10K-70B-L3.3-Cirrus-x1", "context_length": 8192}]},
    )
    write_json(
        tmp_path,
        "models_infermatic_manual.json",
        {
            "object": "list",
            "data": [
                {
                    "id": "Sao10K-70B-L3.3-Cirrus-x1",
                    "context_length": 32768,
                    "pricing": {"input": 0.6, "output": 0.6},
                },
                {"id": "TheDrummer-Anubis-70B-v1", "context_length": 32768},
            ],
        },
    )
    result = work_dumps.load(LoadContext(work_dirs=[tmp_path], debug=True))
    assert {r.provider_raw for r in result.records} == {"infermatic"}
    assert {s.id: s.precedence for s in result.sources} == {
        "dump:infermatic": work_dumps.PRECEDENCE_DUMP,
        "dump:infermatic_manual": work_dumps.PRECEDENCE_MANUAL,
    }
    built = compile_dir(tmp_path)
    offerings = offerings_by_id(built.document)
    cirrus = offerings["Sao10K-70B-L3.3-Cirrus-x1"]
    assert cirrus["provider"] == "infermatic"
    assert cirrus["context_window"] == 32768
    assert cirrus["provenance"]["context_window"] == "dump:infermatic_manual"
    assert cirrus["sources"] == ["dump:infermatic_manual", "dump:infermatic"]
    assert cirrus["pricing"] == {"input": 0.6, "output": 0.6}
    assert [c["field"] for c in cirrus["conflicts"]] == ["context_window"]
    assert "TheDrummer-Anubis-70B-v1" in offerings
    assert built.report["accounting"]["holds"] is True


def test_litellm_snapshot_is_a_multi_provider_open_catalog(tmp_path: Path) -> None:
    shutil.copy(SHAPES_DIR / "litellm.json", _work_dir(tmp_path) / "models_litellm.json")
    result = work_dumps.load(LoadContext(work_dirs=[tmp_path], debug=True))
    (info,) = result.sources
    assert info.id == "dump:litellm"
    assert info.kind == "open-catalog"
    assert info.precedence == work_dumps.PRECEDENCE_SNAPSHOT
    assert info.records == 3
    assert {r.provider_raw for r in result.records} == {"anthropic", "groq", "gemini"}
    assert "litellm" not in {r.provider_raw for r in result.records}
    assert by_id(result)["claude-3-7-sonnet-20250219"].prices["input"] == 3.0


def test_litellm_snapshot_needs_the_map_shape_like_any_dump(tmp_path: Path) -> None:
    entry = {
        "input_cost_per_token": 2.5e-06,
        "output_cost_per_token": 1e-05,
        "litellm_provider": "openai",
        "mode": "chat",
    }
    write_json(
        tmp_path,
        "models_litellm.json",
        {
            "sample_spec": {},
            "gpt-4o": entry,
            "openai/gpt-4o-mini": dict(entry, input_cost_per_token=1.5e-07),
        },
    )
    result = work_dumps.load(LoadContext(work_dirs=[tmp_path], debug=True))
    records = by_id(result)
    assert records["gpt-4o"].prices == {"input": 2.5, "output": 10.0}
    assert records["gpt-4o-mini"].prices == {"input": 0.15, "output": 10.0}
    assert {r.provider_raw for r in result.records} == {"openai"}
    # without its sample_spec the map is not recognised, whatever the file is called
    other = tmp_path / "other"
    (other / "model_catalog").mkdir(parents=True)
    (other / "model_catalog" / "models_litellm.json").write_text(
        json.dumps({"gpt-4o": entry}), encoding="utf-8"
    )
    result = work_dumps.load(LoadContext(work_dirs=[other], debug=True))
    assert result.records == []
    assert [p.kind for p in result.problems] == ["error"]
    assert 'has no "sample_spec" entry; it is not a provider' in result.problems[0].reason


def test_litellm_snapshot_excludes_regional_and_image_size_keys(tmp_path: Path) -> None:
    write_json(
        tmp_path,
        "models_litellm.json",
        {
            "sample_spec": {"litellm_provider": "one of https://docs.litellm.ai/docs/providers"},
            "bedrock/us-east-1/anthropic.claude-v2": {
                "input_cost_per_token": 8e-06,
                "litellm_provider": "bedrock",
            },
            "1024-x-1024/dall-e-3": {"output_cost_per_image": 0.04, "litellm_provider": "openai"},
            "nokey": {"input_cost_per_token": 1e-06},
            "broken": "not an object",
        },
    )
    result = work_dumps.load(LoadContext(work_dirs=[tmp_path], debug=True))
    assert result.records == []
    assert result.records_read == 4
    kinds = {p.position: p.kind for p in result.problems}
    assert kinds == {
        '["bedrock/us-east-1/anthropic.claude-v2"]': "excluded",
        '["1024-x-1024/dall-e-3"]': "excluded",
        '["nokey"]': "quarantined",
        '["broken"]': "quarantined",
    }


def test_litellm_snapshot_that_is_not_a_map_is_not_a_provider(tmp_path: Path) -> None:
    write_json(tmp_path, "models_litellm.json", [{"id": "gpt-4o"}, "x"])
    result = work_dumps.load(LoadContext(work_dirs=[tmp_path]))
    assert "litellm" not in {r.provider_raw for r in result.records}
    assert any(
        p.kind == "error" and p.file.endswith("models_litellm.json") for p in result.problems
    )


def test_fetch_log_sets_capture_dates_and_marks_failed_providers_stale(tmp_path: Path) -> None:
    write_json(
        tmp_path,
        "failed_models.json",
        {
            "groq": {
                "failed": False,
                "error": "",
                "last_attempt": "2025-09-08T10:00:00",
                "last_success": "Sun, 07 Sep 2025 22:00:00 GMT",
            },
            "infermatic": {
                "failed": True,
                "error": "HTTPSConnectionPool(host='api.example.invalid'): Max retries exceeded\nsecond line",
                "last_attempt": "2025-09-08T10:00:00",
                "last_success": "Fri, 01 Aug 2025 09:00:00 GMT",
            },
            "poe": {"failed": False, "last_success": "2025-08-15T12:30:00"},
            "ghost": {"failed": True, "error": None, "last_success": None},
        },
    )
    write_json(
        tmp_path, "models_groq.json", {"object": "list", "data": [{"id": "llama-3.1-8b-instant"}]}
    )
    write_json(
        tmp_path, "models_infermatic.json", {"object": "list", "data": [{"id": "old-model"}]}
    )
    write_json(
        tmp_path,
        "models_infermatic_manual.json",
        {"object": "list", "data": [{"id": "hand-model"}]},
    )
    write_json(tmp_path, "models_poe.json", {"object": "list", "data": [{"id": "Claude-Sonnet-4"}]})
    write_json(tmp_path, "models_nolog.json", {"object": "list", "data": [{"id": "m"}]})
    result = work_dumps.load(LoadContext(work_dirs=[tmp_path], debug=True))
    info = {s.id: s for s in result.sources}
    assert "failed_models" not in " ".join(info)  # the log is not read as a dump
    assert (info["dump:groq"].captured_at, info["dump:groq"].stale) == ("2025-09-07", False)
    assert (info["dump:infermatic"].captured_at, info["dump:infermatic"].stale) == (
        "2025-08-01",
        True,
    )
    # a hand-written list is not fetched, so the fetch log neither dates it nor makes it stale
    assert (info["dump:infermatic_manual"].captured_at, info["dump:infermatic_manual"].stale) == (
        None,
        False,
    )
    assert (info["dump:poe"].captured_at, info["dump:poe"].stale) == ("2025-08-15", False)
    assert (info["dump:nolog"].captured_at, info["dump:nolog"].stale) == (None, False)
    stale = [p for p in result.problems if p.kind == "stale"]
    assert [p.position for p in stale] == ["ghost", "infermatic"]
    assert all(p.file.endswith("failed_models.json") for p in stale)
    infermatic = stale[1]
    assert "last fetch failed" in infermatic.reason
    assert "Max retries exceeded" in infermatic.reason
    assert "second line" not in infermatic.reason
    assert "no error text" in stale[0].reason
    assert result.records_read == 5
    assert [p for p in result.problems if p.kind != "stale"] == []


def test_stale_dumps_are_listed_in_the_compiled_report(tmp_path: Path) -> None:
    write_json(
        tmp_path,
        "failed_models.json",
        {
            "infermatic": {
                "failed": True,
                "error": "timeout",
                "last_success": "Fri, 01 Aug 2025 09:00:00 GMT",
            }
        },
    )
    write_json(
        tmp_path, "models_infermatic.json", {"object": "list", "data": [{"id": "old-model"}]}
    )
    built = compile_dir(tmp_path)
    assert [p["position"] for p in built.report["stale"]] == ["infermatic"]
    source = next(s for s in built.document["sources"] if s["id"] == "dump:infermatic")
    assert source["stale"] is True
    assert source["captured_at"] == "2025-08-01"


def test_invalid_fetch_log_is_an_error_not_a_crash(tmp_path: Path) -> None:
    (_work_dir(tmp_path) / "failed_models.json").write_text("{not json", encoding="utf-8")
    write_json(tmp_path, "models_groq.json", {"data": [{"id": "a"}]})
    result = work_dumps.load(LoadContext(work_dirs=[tmp_path], debug=True))
    assert [r.provider_model_id for r in result.records] == ["a"]
    assert [(p.kind, p.file.endswith("failed_models.json")) for p in result.problems] == [
        ("error", True)
    ]


def test_provider_from_filename_roles() -> None:
    assert work_dumps.provider_from_filename(Path("models_groq.json")) == ("groq", "dump")
    assert work_dumps.provider_from_filename(Path("groq.json")) == ("groq", "dump")
    assert work_dumps.provider_from_filename(Path("models_Featherless_best.json")) == (
        "featherless",
        "best",
    )
    assert work_dumps.provider_from_filename(Path("models_infermatic_manual.json")) == (
        "infermatic",
        "manual",
    )
    assert work_dumps.provider_from_filename(Path("models_litellm.json")) == ("litellm", "litellm")


def test_work_dir_without_model_catalog_is_an_error(tmp_path: Path) -> None:
    result = work_dumps.load(LoadContext(work_dirs=[tmp_path]))
    assert result.records == []
    assert [p.kind for p in result.problems] == ["error"]
    assert "model_catalog" in result.problems[0].reason


# --- unit edge cases ----------------------------------------------------------------------


def test_price_that_overflows_in_unit_conversion_is_withheld_not_the_offering(
    tmp_path: Path,
) -> None:
    write_json(
        tmp_path,
        "models_vendor.json",
        {
            "data": [
                {
                    "id": "overflow-1",
                    "context_length": 4096,
                    "pricing": {"prompt": "1e303", "completion": "0.000001"},
                }
            ]
        },
    )
    built = compile_dir(tmp_path)
    assert "overflow-1" in offerings_by_id(built.document)
    assert any(p["field"] == "pricing.prompt" for p in built.report["withheld_prices"])


def test_unreadable_tier_threshold_is_withheld_and_the_rest_of_the_file_kept(
    tmp_path: Path,
) -> None:
    write_json(
        tmp_path,
        "models_vendor.json",
        {
            "data": [
                {"id": "fine-1", "pricing": {"prompt": "0.000001"}},
                {
                    "id": "tier-1",
                    "input_cost_per_token": 1e-06,
                    "input_cost_per_token_above_infk_tokens": 2e-06,
                },
            ]
        },
    )
    result = work_dumps.load(LoadContext(work_dirs=[tmp_path]))
    assert [r.provider_model_id for r in result.records] == ["fine-1", "tier-1"]
    assert [(p.kind, p.field) for p in result.problems] == [
        ("withheld_price", "input_cost_per_token_above_infk_tokens")
    ]
