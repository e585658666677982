"""CLI behaviour on the hand-written fixture catalog: exact output and exit codes."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from click.testing import Result

from knollm import source

Run = Callable[..., Result]
NOTICE = "data: --catalog, generated 2025-11-01, 24 days old (knollm info for more)\n"


@pytest.fixture(autouse=True)
def fixed_now(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(source, "now", lambda: datetime(2025, 11, 25, 12, tzinfo=UTC))


def test_models_search_fuzzy(run: Run) -> None:
    result = run("models", "search", "llama 70b")
    assert result.exit_code == 0
    assert result.stdout == (
        " model                    creator   released     hosts   via routers   context   cheapest at   input $/1M   output $/1M\n"
        " ──────────────────────────────────────────────────────────────────────────────────────────────────────────────────────\n"
        " llama-3.3-70b-instruct   Meta      2024-12-06       3             0      128k   groq               $0.59         $0.79\n"
    )
    assert result.stderr == NOTICE


@pytest.mark.parametrize(
    ("query", "first"),
    [("gpt oss", "gpt-oss-120b"), ("gpt-oss", "gpt-oss-120b"), ("sonnet 4", "claude-sonnet-4"),
     ("versatile", "llama-3.3-70b-instruct"), ("LLAMA-3.1", "llama-3.1-8b-instruct")],
)  # fmt: skip
def test_models_search_tolerant_queries(run: Run, query: str, first: str) -> None:
    result = run("models", "search", query, "--json")
    assert result.exit_code == 0
    assert json.loads(result.stdout)[0]["id"] == first


def test_models_search_filters_and_csv(run: Run) -> None:
    result = run("models", "search", "--capability", "tools", "--max-input-price", "0.2",
                 "--sort", "price", "--csv")  # fmt: skip
    assert result.exit_code == 0
    assert result.stderr == ""
    rows = list(csv.reader(io.StringIO(result.stdout)))
    assert rows == [
        [
            "id",
            "creator",
            "released",
            "direct_hosts",
            "routed_hosts",
            "context_window",
            "cheapest_provider",
            "input",
            "output",
        ],
        ["llama-3.1-8b-instruct", "Meta", "2024-07-23", "1", "0", "131072", "groq", "0.05", "0.08"],
        ["gpt-oss-120b", "OpenAI", "2025-08-05", "2", "0", "131072", "together", "0.15", "0.6"],
        # only its free offering costs <= $0.2, and free tiers are not "cheapest at"
        ["llama-3.3-70b-instruct", "Meta", "2024-12-06", "1", "0", "65536", "", "", ""],
    ]


def test_models_search_no_match(run: Run) -> None:
    result = run("models", "search", "zzzz")
    assert (result.exit_code, result.stdout) == (0, "no model matches 'zzzz' with these filters\n")


def test_models_show_lists_hosts_by_price(run: Run) -> None:
    result = run("models", "show", "llama-3.3-70b-instruct")
    assert result.exit_code == 0
    assert result.stdout.endswith(
        "Offerings, cheapest first\n\n"
        " provider     API id                                    input $/1M   output $/1M   cached $/1M   context   max out   variant     status   note\n"
        " ─────────────────────────────────────────────────────────────────────────────────────────────────────────────────────────────────────────────\n"
        " groq         llama-3.3-70b-versatile                        $0.59         $0.79             —      128k       32k   versatile   active\n"
        " together     meta-llama/Llama-3.3-70B-Instruct-Turbo        $0.88         $0.88             —      128k         —   turbo       active\n"
        # $0 tiers after the paid offerings: a free tier is never the cheapest
        " openrouter   meta-llama/llama-3.3-70b-instruct:free            $0            $0             —       64k         —   free        active\n"
    )
    assert " model          Llama 3.3 70B Instruct (llama-3.3-70b-instruct)\n" in result.stdout
    assert " hosts          3 direct\n" in result.stdout


def test_models_show_json_is_the_contract(run: Run) -> None:
    result = run("models", "show", "gpt-oss-120b", "--json")
    data = json.loads(result.stdout)
    assert data["id"] == "gpt-oss-120b"
    # equal input prices: the lower output price first
    assert [o["provider"] for o in data["offering_list"]] == ["together", "groq"]
    assert data["offering_list"][1]["pricing"] == {
        "input": 0.15,
        "output": 0.75,
        "cache_read": 0.075,
    }


def test_hostile_strings_printed_verbatim(run: Run) -> None:
    result = run("models", "show", "evil-model")
    assert result.exit_code == 0
    assert "[bold]Evil[/bold] <script>alert(1)</script> (evil-model)" in result.stdout
    assert "evil/<script>|{{x}}" in result.stdout


def test_unknown_model_suggests_closest(run: Run) -> None:
    result = run("models", "show", "llama-3.3-70b")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == (
        "Error: ID: unknown model 'llama-3.3-70b'; did you mean llama-3.3-70b-instruct?\n"
    )


def test_unknown_provider_filter_is_usage_error(run: Run) -> None:
    result = run("models", "search", "--provider", "grok")
    assert result.exit_code == 2
    assert result.stderr == "Error: --provider: unknown provider 'grok'; did you mean groq?\n"


def test_bad_quantity_is_usage_error(run: Run) -> None:
    result = run("cheapest", "--min-context", "12x")
    assert result.exit_code == 2
    assert result.stderr.splitlines()[-1] == (
        "Error: Invalid value for '--min-context': '12x' is not a quantity "
        "(examples: 1000, 1_000, 128k, 2M, 1.5B)"
    )


def test_missing_catalog_is_data_error(run: Run, tmp_path) -> None:  # type: ignore[no-untyped-def]
    result = run("info", catalog=tmp_path / "nope.json")
    assert result.exit_code == 1
    assert result.stderr == f"Error: catalog file not found: {tmp_path / 'nope.json'}\n"


def test_corrupt_catalog_is_data_error(run: Run, tmp_path) -> None:  # type: ignore[no-untyped-def]
    bad = tmp_path / "models.json"
    bad.write_text('{"schema_version": "1.0.0"}')
    result = run("providers", "list", catalog=bad)
    assert result.exit_code == 1
    assert (
        result.stderr
        == f"Error: {bad} is not a Knollm catalog (bad or missing field 'generated_at')\n"
    )


def test_cheapest_leaves_out_free_and_unpriced(run: Run) -> None:
    result = run("cheapest", "-c", "tools", "-n", "3")
    assert result.exit_code == 0
    assert result.stdout == (
        "Cheapest for 3M input + 1M output\n\n"
        " provider   API id                 model                   input $/1M   output $/1M   context   workload   note\n"
        " ──────────────────────────────────────────────────────────────────────────────────────────────────────────────\n"
        " groq       llama-3.1-8b-instant   llama-3.1-8b-instruct        $0.05         $0.08      128k      $0.23\n"
        " together   openai/gpt-oss-120b    gpt-oss-120b                 $0.15          $0.6      128k      $1.05\n"
        " groq       openai/gpt-oss-120b    gpt-oss-120b                 $0.15         $0.75      128k      $1.20\n"
    )


def test_cheapest_include_free_and_min_context(run: Run) -> None:
    result = run("cheapest", "--include-free", "--min-context", "200k", "--json")
    # $24 each, plus OpenRouter's $0.001 per-request fee (one request assumed)
    assert [(r["provider_model_id"], r["total"]) for r in json.loads(result.stdout)] == [
        ("claude-sonnet-4-20250514", 24.0),
        ("anthropic/claude-sonnet-4", 24.001),
    ]
    free = run("cheapest", "--include-free", "-n", "1", "--json")
    assert json.loads(free.stdout)[0]["total"] == 0.0


def test_costs_estimate_applies_cache_tiers_and_fees(run: Run) -> None:
    result = run("costs", "estimate", "--model", "claude-sonnet-4", "--input", "2M", "--output",
                 "500k", "--cached", "0.3", "--requests", "5")  # fmt: skip
    assert result.exit_code == 0
    assert result.stdout == (
        "2M input (30% cached) + 500k output over 5 requests\n\n"
        " provider     API id                      input   cached   output     fees    total   notes\n"
        " ─────────────────────────────────────────────────────────────────────────────────────────────────────────────────────────────────────────────\n"
        " openrouter   anthropic/claude-sonnet-4   $4.20    $1.80    $7.50   $0.005   $13.51   no cache price: cached tokens charged at the input price\n"
        " anthropic    claude-sonnet-4-20250514    $8.40    $0.36   $11.25            $20.01   tier prices for requests above 200,000 input tokens\n"
    )


def test_costs_estimate_batch_missing_prices_not_zero(run: Run) -> None:
    result = run("costs", "estimate", "-m", "llama-3.3-70b-instruct", "--input", "1M", "--output",
                 "1M", "--batch", "--json")  # fmt: skip
    rows = json.loads(result.stdout)
    assert [(r["provider"], r["total"], r["missing"]) for r in rows] == [
        ("together", 0.88, []),
        ("groq", None, ["batch_input", "batch_output"]),
        ("openrouter", None, ["batch_input", "batch_output"]),
    ]


def test_costs_estimate_needs_one_target(run: Run) -> None:
    result = run("costs", "estimate", "--input", "1M")
    assert result.exit_code == 2
    assert result.stderr.splitlines()[-1] == "Error: give exactly one of --model or --offering"


def test_compare_side_by_side(run: Run) -> None:
    result = run("compare", "llama-3.3-70b-instruct", "gpt-oss-120b")
    assert result.exit_code == 0
    assert result.stdout == (
        "                  llama-3.3-70b-instruct   gpt-oss-120b\n"
        " ──────────────────────────────────────────────────────────\n"
        " name             Llama 3.3 70B Instruct   gpt-oss-120b\n"
        " creator          Meta                     OpenAI\n"
        " released         2024-12-06               2025-08-05\n"
        " open weights     yes                      yes\n"
        " context          128k                     128k\n"
        " capabilities     tools                    reasoning, tools\n"
        " hosts            3 direct                 2 direct\n"
        " cheapest at      groq                     together\n"
        " input $/1M       $0.59                    $0.15\n"
        " output $/1M      $0.79                    $0.6\n"
        " 3M in + 1M out   $2.56                    $1.05\n"
    )


def test_optimal_with_key_only_keyed_providers(run: Run) -> None:
    result = run("optimal", "--with-key", "--json", env={"TOGETHERAI_API_KEY": "sk-test"})
    assert {r["provider"] for r in json.loads(result.stdout)} == {"together"}
    none = run("optimal", "--with-key")
    assert none.stdout == "nothing matches\n"


def test_optimal_rejects_bad_weight(run: Run) -> None:
    result = run("optimal", "-w", "speed=1")
    assert result.exit_code == 2
    assert "'speed=1': use NAME=WEIGHT with NAME one of cost, context, recency" in result.stderr


def test_providers_list_csv(run: Run) -> None:
    result = run("providers", "list", "--sort", "offerings", "--csv")
    assert result.stdout.splitlines() == [
        "id,name,kind,api_style,models,offerings,auth_env",  # no kind in a schema 1.0 catalog
        "groq,Groq,,openai-compatible,3,3,GROQ_API_KEY",
        "openrouter,OpenRouter <b>,,openai-compatible,3,3,OPENROUTER_API_KEY",
        "together,Together AI,,openai-compatible,3,3,TOGETHER_API_KEY;TOGETHERAI_API_KEY",
        "anthropic,Anthropic,,anthropic,1,1,ANTHROPIC_API_KEY",
    ]


def test_providers_show_unknown(run: Run) -> None:
    result = run("providers", "show", "openroute")
    assert (result.exit_code, result.stderr) == (
        2,
        "Error: ID: unknown provider 'openroute'; did you mean openrouter?\n",
    )


def test_info_json(run: Run, isolated_env) -> None:  # type: ignore[no-untyped-def]
    result = run("info", "--json")
    data = json.loads(result.stdout)
    assert data["source"]["kind"] == "option"
    assert data["generated_at"] == "2025-11-01T00:00:00Z"
    assert data["counts"] == {"providers": 4, "models": 6, "offerings": 10}
    assert data["cache_dir"] == str(isolated_env)


def test_info_names_env_source_and_age(run: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    from conftest import FIXTURE

    monkeypatch.setenv("KNOLLM_CATALOG", str(FIXTURE))
    result = run("info", catalog=None)
    assert result.exit_code == 0
    assert f" data           KNOLLM_CATALOG: {FIXTURE}\n" in result.stdout
    assert " generated      2025-11-01T00:00:00Z (24 days old)\n" in result.stdout


def test_libraries_recommend(run: Run) -> None:
    result = run("libraries", "recommend", "--use-case", "structured-output", "--feature", "async",
                 "--json")  # fmt: skip
    assert result.exit_code == 0
    assert [(r["id"], r["score"]) for r in json.loads(result.stdout)] == [
        ("instructor", 110.0),
        ("openai", 100.0),
        ("httpx", 25.0),
    ]


def test_libraries_missing_data(run: Run, tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    import importlib

    libs = importlib.import_module("knollm.cli.libraries")

    monkeypatch.setattr(libs, "bundled_file", lambda name: None)
    alone = tmp_path / "models.json"
    alone.write_bytes(b"{}")
    result = run("libraries", "recommend", "--use-case", "chat", catalog=alone)
    assert result.exit_code == 1
    assert result.stderr == (
        "Error: no libraries data: libraries.json is neither beside the catalog nor bundled with knollm\n"
    )


def test_libraries_bad_use_case(run: Run) -> None:
    result = run("libraries", "recommend", "--use-case", "poetry")
    assert result.exit_code == 2


def test_help_lists_every_command(run: Run) -> None:
    result = run("--help", catalog=None)
    for name in ("browse", "cheapest", "compare", "costs", "info", "libraries", "models",
                 "optimal", "providers", "update"):  # fmt: skip
        assert f"\n  {name} " in result.stdout
    assert '  eval "$(_KNOLLM_COMPLETE=bash_source knollm)"\n' in result.stdout
