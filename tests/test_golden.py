"""Expected-output test: a mini catalog (three providers, an old LiteLLM snapshot, a broken file)
compiled through the CLI and compared with the golden files in tests/golden/.

Regenerate the goldens after an intended change with ``make goldens`` and review the diff.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import orjson
import pytest
from click.testing import CliRunner

from knollm_build.cli import main

REPO = Path(__file__).resolve().parents[1]
MINI = REPO / "tests" / "fixtures" / "mini"
GOLDEN = REPO / "tests" / "golden"
UPDATE = os.environ.get("KNOLLM_UPDATE_GOLDENS") == "1"


def compile_mini(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, *extra: str
) -> tuple[int, str, Path]:
    catalog = tmp_path / "catalog"
    shutil.copytree(MINI / "catalog", catalog, dirs_exist_ok=True)
    shutil.copy(REPO / "catalog" / "model_rules.toml", catalog / "model_rules.toml")
    shutil.copytree(MINI / "work", tmp_path / "work")
    monkeypatch.chdir(tmp_path)  # report paths are shown relative to the working directory
    result = CliRunner().invoke(
        main,
        [
            "compile",
            "--out",
            "out",
            "--work",
            "work",
            "--catalog",
            "catalog",
            "--no-default-sources",
            *extra,
        ],
        env={"SOURCE_DATE_EPOCH": "1764028800"},
    )
    return result.exit_code, result.output, tmp_path / "out"


@pytest.mark.parametrize("name", ["models.json", "report.json", "history.json"])
def test_mini_catalog_matches_golden(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    code, output, out = compile_mini(tmp_path, monkeypatch)
    assert code == 0, output
    produced = orjson.loads((out / name).read_bytes())
    golden = GOLDEN / name
    if UPDATE:
        golden.write_bytes(
            orjson.dumps(
                produced,
                option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS | orjson.OPT_APPEND_NEWLINE,
            )
        )
    assert produced == orjson.loads(golden.read_bytes())


def test_mini_catalog_facts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The facts the golden encodes, spelled out so a careless regeneration cannot hide a regression."""
    code, output, out = compile_mini(tmp_path, monkeypatch)
    assert code == 0, output
    catalog = orjson.loads((out / "models.json").read_bytes())
    report = orjson.loads((out / "report.json").read_bytes())
    offerings = {(o["provider"], o["provider_model_id"]): o for o in catalog["offerings"]}
    llama = {m["id"]: m for m in catalog["models"]}["llama-3.3-70b-instruct"]
    assert llama["hosts"] == 3  # groq, together, openrouter
    groq = offerings[("groq", "llama-3.3-70b-versatile")]
    assert groq["sources"] == ["dump:groq", "dump:litellm"]
    assert groq["pricing"] == {"input": 0.59, "output": 0.79}  # only the snapshot has prices
    assert groq["capabilities"] == ["tools"]
    together_oss = offerings[("together", "openai/gpt-oss-120b")]
    assert together_oss["pricing"]["input"] == 0.15
    # 0.6 in the dump vs 60 (6e-05 per token) in the snapshot: a probable unit error between two sources
    assert "output" not in together_oss["pricing"]
    assert together_oss["conflicts"][0]["kind"] == "probable_unit_error"
    free = offerings[("openrouter", "openai/gpt-oss-120b:free")]
    assert free["model"] == "gpt-oss-120b" and free["variant"] == ["free"]
    assert offerings[("groq", "whisper-large-v3")]["status"] == "deprecated"
    assert "input" not in offerings[("openrouter", "openrouter/auto")]["pricing"]
    errors = {p["file"]: p["reason"] for p in report["errors"]}
    assert errors[os.path.join("work", "model_catalog", "models_broken.json")].startswith(
        "invalid JSON"
    )
    assert [p["position"] for p in report["stale"]] == ["broken"]
    assert {p["position"] for p in report["excluded"]} == {'["1024-x-1024/dall-e-2"]'}
    assert {p["position"] for p in report["quarantined"]} == {'["no-provider-here"]'}
    withheld = {(p["position"], p["field"]) for p in report["withheld_prices"]}
    assert ("data[2]", "pricing.prompt") in withheld and (
        "data[2]",
        "pricing.completion",
    ) in withheld
    assert report["accounting"] == {
        "records_read": 13,
        "offerings_kept": 9,
        "merged_duplicates": 2,
        "excluded": 1,
        "quarantined": 1,
        "holds": True,
    }


def test_strict_turns_quarantine_into_exit_1(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    code, output, _ = compile_mini(tmp_path, monkeypatch, "--strict")
    assert code == 1
    assert "--strict: 1 quarantined record(s), 1 input error(s)" in output
    assert "Traceback" not in output


def test_overrides_apply_and_a_stale_override_is_an_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    overrides = tmp_path / "catalog" / "overrides"
    overrides.mkdir(parents=True)
    (overrides / "groq.toml").write_text(
        '[[override]]\nprovider_model_id = "llama-3.3-70b-versatile"\nreason = "list price checked by hand"\n'
        'date = 2025-09-01\nset = { "pricing.input" = 0.6 }\n\n'
        '[[override]]\nprovider_model_id = "retired-model"\nreason = "gone"\ndate = 2025-09-01\nset = { "pricing.input" = 1 }\n'
    )
    code, output, _ = compile_mini(tmp_path, monkeypatch)
    assert code == 0, output
    catalog = orjson.loads((tmp_path / "out" / "models.json").read_bytes())
    report = orjson.loads((tmp_path / "out" / "report.json").read_bytes())
    groq = next(
        o for o in catalog["offerings"] if o["provider_model_id"] == "llama-3.3-70b-versatile"
    )
    assert groq["pricing"]["input"] == 0.6
    assert groq["provenance"]["pricing.input"] == "override:groq"
    assert groq["sources"][0] == "override:groq"
    assert report["overrides"][0]["reason"] == "list price checked by hand"
    assert {
        "file": os.path.join("catalog", "overrides", "groq.toml"),
        "position": "override[1]",
        "reason": "override matches no offering: groq x retired-model",
    } in report["errors"]
    # the accounting counts records read from sources; overrides are curated, not read records
    assert report["accounting"]["holds"] is True
