"""Validate and emit stages: the contract's invariants, schema generation, deterministic writes."""

from __future__ import annotations

import math
from pathlib import Path

import jsonschema
import orjson
import pytest
from click.testing import CliRunner

from knollm_build import pipeline
from knollm_build.canonical import load_rules
from knollm_build.catalog_files import ProviderFile
from knollm_build.cli import main
from knollm_build.emit import emit, json_schema, write_if_changed
from knollm_build.merge import MergeResult, merge
from knollm_build.normalise import normalise
from knollm_build.publish import ORDER, atom_feed, offerings_csv, publish_files
from knollm_build.records import RawRecord
from knollm_build.schema import Catalog, Model, Offering, Pricing, Provider
from knollm_build.validate import validate

REPO = Path(__file__).resolve().parents[1]


RULES = load_rules(REPO / "catalog" / "model_rules.toml")
PROVIDERS = {"groq": ProviderFile(name="Groq")}
PRECEDENCE = {"dump:groq": 10, "litellm": 30}


def record(source: str = "dump:groq", position: str = "data[3]", **fields: object) -> RawRecord:
    return RawRecord(
        source=source,
        file=f"{source}.json",
        position=position,
        provider_raw="groq",
        provider_model_id=str(fields.pop("provider_model_id", "llama-3.3-70b-versatile")),
        **fields,
    )  # type: ignore[arg-type]


def merged(*records: RawRecord) -> MergeResult:
    return merge(normalise(list(records), PROVIDERS, RULES, PRECEDENCE).records)


@pytest.mark.parametrize(
    ("bad", "field"),
    [
        ({"prices": {"input": -1.0}}, "pricing.input"),
        ({"prices": {"output": math.nan}}, "pricing.output"),
        ({"prices": {"input": math.inf}}, "pricing.input"),
        ({"context_window": 0}, ""),
        ({"max_output_tokens": 10**12}, ""),
        ({"mode": "smell"}, "mode"),
        ({"capabilities": {"telepathy": True}}, "capabilities.0"),
        ({"status": "zombie"}, "status"),
    ],
)
def test_invalid_offering_is_quarantined_where_it_is_built(bad: dict, field: str) -> None:
    result = merged(
        record(**bad),
        record("litellm", position="[7]"),
        record(provider_model_id="good", position="data[4]"),
    )
    assert [o.provider_model_id for o in result.offerings] == ["good"]
    # the invalid offering stands for both records merged into it
    assert (result.quarantined_offerings, result.quarantined_records) == (1, 2)
    assert result.merged_duplicates == 0
    [problem] = result.problems
    # named by the highest-precedence record behind it
    assert (problem.kind, problem.file, problem.position) == (
        "quarantined",
        "dump:groq.json",
        "data[3]",
    )
    assert problem.reason.startswith("invalid offering: ")
    assert (problem.field or "") == field


def test_override_matching_no_offering_is_an_error_and_creates_none() -> None:
    override = record("override:groq", position="override[0]", provider_model_id="gone")
    override.override = True
    result = merged(record(), override)
    assert [o.provider_model_id for o in result.offerings] == ["llama-3.3-70b-versatile"]
    [problem] = result.problems
    assert (problem.kind, problem.position, problem.reason) == (
        "error",
        "override[0]",
        "override matches no offering: groq x gone",
    )


def _offering(**fields: object) -> Offering:
    base: dict[str, object] = {
        "provider": "groq",
        "model": "llama-3.3-70b-instruct",
        "provider_model_id": "llama-3.3-70b-versatile",
        "sources": ["dump:groq"],
    }
    return Offering.model_validate(base | fields)


def test_duplicate_ids_and_dangling_references() -> None:
    provider = Provider(id="groq", name="Groq")
    model = Model(id="llama-3.3-70b-instruct", name="Llama 3.3 70B Instruct")
    problems = validate(
        [provider, provider],
        [model],
        [_offering(), _offering(), _offering(provider_model_id="x", model="nowhere")],
    )
    assert [p.reason for p in problems] == [
        "duplicate provider ids: groq",
        "duplicate offering ids: groq x llama-3.3-70b-versatile",
        "unknown model 'nowhere'",
    ]
    assert validate([provider], [model], [_offering()]) == []


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


def offering(**fields: object) -> dict:
    """An offering in its published form."""
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


DOCUMENT = {
    "schema_version": "1.0.0",
    "generated_at": "2025-01-01T00:00:00Z",
    "sources": [],
    "providers": [{"id": "groq", "name": "Groq"}, {"id": "Evil Co", "name": "<b>x</b>"}],
    "models": [{"id": "llama-3.3-70b-instruct", "name": "Llama"}, {"id": "@oi/M 1", "name": "m"}],
    "offerings": [
        offering(),
        offering(provider="Evil Co", model="@oi/M 1", provider_model_id="=HYPERLINK(1)"),
    ],
}


def test_publish_returns_every_file_in_order_and_deterministically() -> None:
    first = publish_files(DOCUMENT, {"counts": {}}, [{"id": "openai"}])
    again = publish_files(orjson.loads(orjson.dumps(DOCUMENT)), {"counts": {}}, [{"id": "openai"}])
    # a catalog this small has no second explorer part (explorer.py SPLIT_MIN_OFFERINGS)
    assert list(first) == [
        name for name in ORDER if not name.startswith("history") and name != "explorer-more.json"
    ]
    assert first == again
    assert (
        first["schema.json"].endswith(b"}\n") and first["report.json"] == b'{\n  "counts": {}\n}\n'
    )
    assert first["libraries.json"] == b'[{"id":"openai"}]\n'
    # the explorer gets the site's page paths: sanitised ids get a hashed slug, safe ids none
    explorer = orjson.loads(first["explorer.json"])
    assert explorer["models"]["path"] == [None, "oi/m-1-1143d4"]
    assert explorer["providers"]["path"] == [None, "evil-co-442da3"]


def test_offerings_csv_defuses_formula_cells_but_not_negative_numbers() -> None:
    rows = offerings_csv(DOCUMENT).decode().splitlines()
    assert rows[0].split(",")[:5] == ["provider", "model", "provider_model_id", "mode", "status"]
    assert rows[1].startswith(
        "groq,llama-3.3-70b-instruct,llama-3.3-70b-versatile,chat,active,0.59,"
    )
    assert rows[2].startswith("Evil Co,'@oi/M 1,'=HYPERLINK(1),chat,active,0.59,")
    negative = dict(DOCUMENT, offerings=[offering(context_window=-5)])
    assert offerings_csv(negative).decode().splitlines()[1].split(",")[11] == "-5"


def test_atom_feed_summarises_the_diff_and_escapes_the_site_url() -> None:
    diff = {"summary": {"price_changes": 2, "added": 0, "removed": 1}}
    feed = atom_feed(DOCUMENT, diff, 'https://example.test/a"b/').decode()
    assert "<summary>2 price changes, 1 removed</summary>" in feed
    assert '<link rel="alternate" href="https://example.test/a&quot;b/changes/"/>' in feed
    assert '<id>https://example.test/a"b/changes/#2025-01-01T00:00:00Z</id>' in feed
    plain = atom_feed(DOCUMENT, None, "").decode()
    assert "<summary>2 offerings of 2 models at 2 providers</summary>" in plain
    assert "<id>urn:knollm:build:2025-01-01T00:00:00Z</id>" in plain


def test_compile_with_a_bad_previous_file_is_one_clear_error(tmp_path: Path) -> None:
    previous = tmp_path / "old.json"
    previous.write_text("{not json")
    result = CliRunner().invoke(
        main,
        ["compile", "--out", str(tmp_path / "out"), "--no-default-sources", "-q"]
        + ["--catalog", str(REPO / "catalog")]
        + ["--previous", str(previous)],
    )
    assert result.exit_code == 1
    assert result.output.startswith(f"Error: --previous: {previous}")
    assert len(result.output.splitlines()) == 1 and not (tmp_path / "out").exists()


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
