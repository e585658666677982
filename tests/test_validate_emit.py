"""Validate and emit stages: the contract's invariants, schema generation, deterministic writes."""

from __future__ import annotations

import math
from pathlib import Path

import jsonschema
import orjson
import pytest
from click.testing import CliRunner

from knollm_build import pipeline
from knollm_build.cli import main
from knollm_build.emit import emit, json_schema, write_if_changed
from knollm_build.schema import Catalog, Offering, Pricing
from knollm_build.validate import validate

REPO = Path(__file__).resolve().parents[1]


def offering(**fields: object) -> dict:
    base = {
        "provider": "groq",
        "model": "llama-3.3-70b-instruct",
        "provider_model_id": "llama-3.3-70b-versatile",
        "variant": [],
        "mode": "chat",
        "pricing": {"input": 0.59},
        "input_modalities": ["text"],
        "output_modalities": ["text"],
        "capabilities": [],
        "inferred": [],
        "status": "active",
        "sources": ["dump:groq"],
        "provenance": {},
        "conflicts": [],
    }
    base.update(fields)
    return base


PROVIDER = {"id": "groq", "name": "Groq", "curated": True}
MODEL = {"id": "llama-3.3-70b-instruct", "name": "Llama 3.3 70B Instruct"}


@pytest.mark.parametrize(
    ("bad", "field"),
    [
        ({"pricing": {"input": -1.0}}, "pricing.input"),
        ({"pricing": {"output": math.nan}}, "pricing.output"),
        ({"pricing": {"input": math.inf}}, "pricing.input"),
        ({"context_window": 0}, ""),
        ({"max_output_tokens": 10**12}, ""),
        ({"input_modalities": ["smell"]}, "input_modalities.0"),
        ({"capabilities": ["telepathy"]}, "capabilities.0"),
        ({"status": "zombie"}, "status"),
        ({"surprise": 1}, "surprise"),
    ],
)
def test_invalid_offering_is_quarantined_with_its_origin(bad: dict, field: str) -> None:
    good = offering(provider_model_id="good")
    result = validate(
        [PROVIDER],
        [MODEL],
        [offering(**bad), good],
        [("dumps/groq.json", "data[3]"), ("dumps/groq.json", "data[4]")],
        [2, 1],
    )
    assert [o["provider_model_id"] for o in result.offerings] == ["good"]
    assert result.kept == [False, True]
    assert result.quarantined == 1 and result.quarantined_records == 2
    [problem] = result.problems
    assert (problem.kind, problem.file, problem.position) == (
        "quarantined",
        "dumps/groq.json",
        "data[3]",
    )
    assert problem.reason.startswith("invalid offering")
    assert (problem.field or "") == field


def test_duplicate_offerings_and_dangling_references() -> None:
    result = validate(
        [PROVIDER],
        [MODEL],
        [offering(), offering(), offering(provider_model_id="x", model="nowhere")],
        [("a", "data[0]"), ("a", "data[1]"), ("a", "data[2]")],
        [1, 1, 1],
    )
    reasons = [p.reason for p in result.problems]
    assert "duplicate offering groq x llama-3.3-70b-versatile" in reasons
    # the model "nowhere" has no model entry: reported as a dangling reference
    assert "unknown model 'nowhere'" in reasons


def test_pricing_rejects_negative_values_in_python_too() -> None:
    with pytest.raises(ValueError, match="must be a finite number >= 0"):
        Pricing(input=-0.5)
    assert (
        Offering.model_fields["provider_model_id"].description
        == "The exact id to send to this provider's API."
    )


def test_schema_is_valid_and_documents_every_field() -> None:
    schema = json_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    for name, definition in schema["$defs"].items():
        for field, spec in definition.get("properties", {}).items():
            assert spec.get("description"), f"{name}.{field} has no description"
    assert set(schema["properties"]) == set(Catalog.model_fields)


def test_write_if_changed_reports_and_skips_identical_bytes(tmp_path: Path) -> None:
    target = tmp_path / "x.json"
    first = write_if_changed(target, b'{"a": 1}\n')
    second = write_if_changed(target, b'{"a": 1}\n')
    third = write_if_changed(target, b'{"a": 2}\n')
    assert (first.changed, second.changed, third.changed) == (True, False, True)
    assert second.line().startswith("unchanged")
    assert target.read_bytes() == b'{"a": 2}\n'
    assert list(tmp_path.iterdir()) == [target]  # no temp files left behind
    assert oct(target.stat().st_mode & 0o777) == "0o644"


def test_emit_writes_sorted_deterministic_json(tmp_path: Path) -> None:
    document = {
        "schema_version": "1.0.0",
        "generated_at": "2025-01-01T00:00:00Z",
        "sources": [],
        "providers": [{"name": "b", "id": "a"}],
        "models": [],
        "offerings": [],
    }
    report = {"counts": {}}
    emit(tmp_path, document, report)
    text = (tmp_path / "models.json").read_text()
    assert text.index('"generated_at"') < text.index('"models"') < text.index('"providers"')
    assert '{"id":"a","name":"b"}' in text
    assert orjson.loads((tmp_path / "providers.json").read_bytes())["providers"] == [
        {"id": "a", "name": "b"}
    ]


def test_bad_rules_file_is_one_clear_error(tmp_path: Path) -> None:
    catalog = tmp_path / "catalog"
    (catalog / "providers").mkdir(parents=True)
    (catalog / "model_rules.toml").write_text('[[rewrite]]\npattern = "("\nreplace = ""\n')
    result = CliRunner().invoke(
        main,
        [
            "compile",
            "--out",
            str(tmp_path / "out"),
            "--catalog",
            str(catalog),
            "--no-default-sources",
        ],
    )
    assert result.exit_code == 1
    assert result.output == (
        f"Error: {catalog / 'model_rules.toml'}: rewrite[0]: pattern: invalid regular expression "
        "'(': missing ), unterminated subpattern at position 0; fix: correct the pattern "
        "(TOML basic strings need \\\\ for one backslash)\n"
    )
    assert "Traceback" not in result.output


def test_bad_provider_file_is_reported_with_file_and_field(tmp_path: Path) -> None:
    catalog = tmp_path / "catalog"
    (catalog / "providers").mkdir(parents=True)
    (catalog / "model_rules.toml").write_bytes((REPO / "catalog" / "model_rules.toml").read_bytes())
    (catalog / "providers" / "acme.toml").write_text(
        'name = "Acme"\napi_style = "carrier-pigeon"\ncolour = "red"\n'
    )
    result = pipeline.compile_catalog(
        pipeline.BuildOptions(catalog_dir=catalog, default_sources=False)
    )
    lines = [(p["position"], p["reason"]) for p in result.report["errors"]]
    assert lines == [
        (
            "api_style",
            "must be 'openai-compatible', 'anthropic', 'google', 'vertex', 'bedrock', 'azure', "
            "'cohere' or 'other'; fix: use one of the values listed",
        ),
        (
            "colour",
            "unknown field; fix: remove it or correct its spelling (known: alias_prefixes, "
            "aliases, api_base_url, api_style, auth_env, docs_url, kind, models_endpoint, name, "
            "not_duplicate_of, openai_compatible, pricing_url, website)",
        ),
    ]


def test_unexpected_adapter_crash_is_reported_not_raised(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(context: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(pipeline, "DEFAULT_SOURCES", {"models-dev": broken})
    result = pipeline.compile_catalog(pipeline.BuildOptions(catalog_dir=REPO / "catalog"))
    assert {
        "file": "models-dev",
        "position": "",
        "reason": "internal error in source adapter: RuntimeError('boom')",
    } in result.report["errors"]
    # no source lists DeepSeek in this build: its overrides neither create offerings nor fail the build
    assert not any(o["provider"] == "deepseek" for o in result.document["offerings"])
    assert not any("override" in p["reason"] for p in result.report["errors"])
    with pytest.raises(RuntimeError, match="boom"):
        pipeline.compile_catalog(pipeline.BuildOptions(catalog_dir=REPO / "catalog", debug=True))
