"""Registry API on the fixture catalog: lookups, filters, search, cheapest, optimal, costs."""

from __future__ import annotations

import pytest

from knollm import Catalog, CatalogError, Criteria, NotFound, Preferences, estimate_cost, usage_cost
from knollm.cli.common import parse_quantity
from knollm.cli.output import money, number, tokens


def keys(offerings) -> list[str]:  # type: ignore[no-untyped-def]
    return [o.key for o in offerings]


def test_lookups_and_suggestions(catalog: Catalog) -> None:
    assert catalog.provider("groq").auth_env == ("GROQ_API_KEY",)
    assert catalog.model("llama-3.3-70b-versatile").id == "llama-3.3-70b-instruct"  # by API id
    assert catalog.offering("openrouter:evil/<script>|{{x}}").status == "deprecated"
    with pytest.raises(NotFound) as info:
        catalog.model("gpt-oss")
    assert info.value.suggestions == ["gpt-oss-120b"]
    assert str(info.value) == "unknown model 'gpt-oss'; did you mean gpt-oss-120b?"


def test_filter_combinations(catalog: Catalog) -> None:
    assert keys(catalog.filter(provider="groq", capabilities=["reasoning"])) == [
        "groq:openai/gpt-oss-120b"
    ]
    assert keys(catalog.filter(creator="Meta", max_input_price=0.6)) == [
        "groq:llama-3.1-8b-instant",
        "groq:llama-3.3-70b-versatile",
        "openrouter:meta-llama/llama-3.3-70b-instruct:free",
    ]
    assert keys(catalog.filter(min_context=200_000)) == [
        "anthropic:claude-sonnet-4-20250514",
        "openrouter:anthropic/claude-sonnet-4",
    ]
    assert keys(catalog.filter(mode="embedding")) == ["together:nomic-ai/nomic-embed-text-v1.5"]
    assert keys(catalog.filter(input_modalities=["pdf"])) == ["anthropic:claude-sonnet-4-20250514"]
    assert keys(catalog.filter(status="deprecated")) == ["openrouter:evil/<script>|{{x}}"]
    assert keys(catalog.filter(free=True)) == ["openrouter:meta-llama/llama-3.3-70b-instruct:free"]
    assert len(catalog.filter(free=False)) == 9
    assert keys(catalog.filter(exclude_provider=["groq", "together", "openrouter"])) == [
        "anthropic:claude-sonnet-4-20250514"
    ]
    # an unknown price never satisfies a price limit
    assert "openrouter:evil/<script>|{{x}}" not in keys(catalog.filter(max_output_price=1000))
    assert len(catalog.filter()) == 10
    with pytest.raises(TypeError, match="unknown criteria: colour"):
        catalog.filter(colour="red")


def test_require_api_key(catalog: Catalog, monkeypatch: pytest.MonkeyPatch) -> None:
    assert catalog.filter(require_api_key=True) == []
    monkeypatch.setenv("GROQ_API_KEY", "")  # empty does not count
    assert catalog.filter(require_api_key=True) == []
    monkeypatch.setenv("GROQ_API_KEY", "gsk-test")
    assert {o.provider for o in catalog.filter(require_api_key=True)} == {"groq"}


def test_search_ranking(catalog: Catalog) -> None:
    assert [m.model.id for m in catalog.search("llama")] == [
        "llama-3.3-70b-instruct",
        "llama-3.1-8b-instruct",
    ]
    assert [m.model.id for m in catalog.search("groq")] == [
        "llama-3.3-70b-instruct", "gpt-oss-120b", "llama-3.1-8b-instruct",
    ]  # fmt: skip
    assert catalog.search("70b")[0].model.id == "llama-3.3-70b-instruct"
    assert catalog.search("") == catalog.search(None)
    hit = catalog.search("sonnet", provider="openrouter")[0]
    assert keys(hit.offerings) == ["openrouter:anthropic/claude-sonnet-4"]


def test_cheapest_default_workload(catalog: Catalog) -> None:
    best = catalog.cheapest(model="llama-3.3-70b-instruct")
    assert [(e.offering.provider, e.total) for e in best] == [("groq", 2.56), ("together", 3.52)]
    with_free = catalog.cheapest(model="llama-3.3-70b-instruct", free=None, limit=1)
    assert with_free[0].offering.is_free


def test_find_optimal_reasons_and_constraints(catalog: Catalog) -> None:
    ranked = catalog.find_optimal(Preferences(cost=1, context=1), capabilities=["tools"], limit=3)
    assert [r.offering.key for r in ranked] == [
        "groq:llama-3.1-8b-instant", "together:openai/gpt-oss-120b", "anthropic:claude-sonnet-4-20250514",
    ]  # fmt: skip
    assert ranked[0].reasons == [
        "meets every constraint (1 of 7 candidates)",
        "cost: $0.05 in / $0.08 out per 1M tokens",
        "context: 131,072 tokens",
    ]
    latency = catalog.find_optimal(Preferences(cost=0, latency=1), limit=1)[0]
    assert latency.reasons[-1] == "latency: no measurements in the catalog, not counted"
    with pytest.raises(ValueError, match="weights"):
        catalog.find_optimal(Preferences(cost=-1))


def test_compare(catalog: Catalog) -> None:
    rows = catalog.compare(["gpt-oss-120b", "claude-sonnet-4"])
    assert [(c.model.id, c.cheapest.offering.provider, c.max_context) for c in rows] == [
        ("gpt-oss-120b", "together", 131072),
        ("claude-sonnet-4", "anthropic", 1000000),
    ]


def test_estimate_cost_parts(catalog: Catalog) -> None:
    claude = catalog.offering("anthropic:claude-sonnet-4-20250514")
    plain = estimate_cost(claude, 1_000_000, 100_000, cached_share=0.5)
    assert plain.parts == {"input": 1.5, "cache_read": 0.15, "output": 1.5}
    assert plain.total == pytest.approx(3.15)
    assert plain.notes[0].startswith("long-context prices above 200,000")
    tiered = estimate_cost(claude, 1_000_000, 100_000, requests=2)
    assert (tiered.parts, tiered.tier) == ({"input": 6.0, "output": 2.25}, 200_000)
    small = estimate_cost(claude, 1_000_000, 100_000, requests=10)
    assert small.tier is None and small.parts["input"] == 3.0
    batch = estimate_cost(claude, 1_000_000, 1_000_000, batch=True)
    assert batch.parts == {"input": 1.5, "output": 7.5}
    embed = estimate_cost(
        catalog.offering("together:nomic-ai/nomic-embed-text-v1.5"), 1_000_000, 10
    )
    assert (embed.total, embed.missing, embed.complete) == (0.008, ("output",), False)
    with pytest.raises(ValueError):
        estimate_cost(claude, 1, 1, cached_share=1.5)


def test_usage_cost_for_a_router(catalog: Catalog) -> None:
    groq = catalog.offering("groq:openai/gpt-oss-120b")
    cost = usage_cost(groq, input_tokens=10_000, output_tokens=2_000, cached_input_tokens=4_000)
    assert cost.parts == pytest.approx({"input": 0.0009, "cache_read": 0.0003, "output": 0.0015})
    provider = catalog.provider(groq.provider)
    assert (provider.api_base_url, provider.openai_compatible) == (
        "https://api.groq.com/openai/v1",
        True,
    )


def test_criteria_matches_agrees_with_index(catalog: Catalog) -> None:
    crit = Criteria.of(capabilities="tools", min_context=100_000, max_input_price=1, free=False)
    assert keys(catalog.filter(crit)) == keys(o for o in catalog.offerings if crit.matches(o))


def test_load_errors(tmp_path) -> None:  # type: ignore[no-untyped-def]
    bad = tmp_path / "models.json"
    bad.write_bytes(b"not json")
    with pytest.raises(CatalogError, match="is not valid JSON"):
        Catalog.load(bad)
    bad.write_bytes(
        b'{"schema_version": "2.0.0", "generated_at": "x", "providers": [], "models": [], "offerings": []}'
    )
    with pytest.raises(CatalogError, match="schema 2.0.0 is not supported"):
        Catalog.load(bad)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("128k", 128_000),
        ("2M", 2_000_000),
        ("1_000", 1000),
        ("1.5k", 1500),
        ("7", 7),
        ("1B", 10**9),
    ],
)
def test_parse_quantity(text: str, value: int) -> None:
    assert parse_quantity(text) == value


@pytest.mark.parametrize("text", ["", "k", "12x", "-5", "1..2k", "1e6"])
def test_parse_quantity_rejects(text: str) -> None:
    with pytest.raises(ValueError):
        parse_quantity(text)


def test_formatting() -> None:
    assert [tokens(v) for v in (131072, 128000, 1048576, 200000, 8192, 1_500_000, 999, None)] == [
        "128k", "128k", "1M", "200k", "8k", "1.5M", "999", "—",
    ]  # fmt: skip
    assert [number(v) for v in (0.038, 15.0, 0.000015, 1234.5, 0.0)] == [
        "0.038",
        "15",
        "0.000015",
        "1,234.5",
        "0",
    ]
    assert [money(v) for v in (24.001, 0.234, 0.0, None, 0.0005)] == [
        "$24.00",
        "$0.234",
        "$0",
        "n/a",
        "$0.0005",
    ]
