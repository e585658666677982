"""Registry queries against the real compiled catalog (build/data/models.json), checked against
answers computed straight from the JSON; skipped when the file is absent."""

from __future__ import annotations

import math

import orjson
import pytest
from conftest import FULL
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from knollm import Catalog, Criteria, Preferences
from knollm.cli.common import CAPABILITIES, MODES

pytestmark = pytest.mark.integration
LLAMA = "llama-3.3-70b-instruct"


@pytest.fixture(scope="module")
def raw() -> dict:
    if not FULL.is_file():
        pytest.skip(f"{FULL} not present")
    return orjson.loads(FULL.read_bytes())


def test_counts_match_json(full: Catalog, raw: dict) -> None:
    assert (len(full.providers), len(full.models), len(full.offerings)) == (
        len(raw["providers"]), len(raw["models"]), len(raw["offerings"]),
    )  # fmt: skip


def test_cheapest_llama_host_is_what_the_data_says(full: Catalog, raw: dict) -> None:
    def cost(o: dict) -> float:
        return o["pricing"]["input"] * 3 + o["pricing"]["output"] * 1

    priced = [
        o for o in raw["offerings"]
        if o["model"] == LLAMA and o.get("status", "active") in ("active", "preview")
        and o.get("pricing", {}).get("input") is not None and o["pricing"].get("output") is not None
        and not (o["pricing"]["input"] == 0 and o["pricing"]["output"] == 0)
        # listed, priced per token, no flag on the price (issues 13 and 14)
        and o.get("listed", True) and o.get("price_basis", "tokens") == "tokens"
        and not {"price_outlier", "price_out_of_range", "placeholder_price"} & set(o.get("flags", []))
        and not o["pricing"].get("tiers") and not o["pricing"].get("per_request")
    ]  # fmt: skip
    expected = min(priced, key=lambda o: (cost(o), o["provider"], o["provider_model_id"]))
    best = full.cheapest(model=LLAMA, limit=1)[0]
    assert (best.offering.provider, best.offering.provider_model_id) == (
        expected["provider"], expected["provider_model_id"],
    )  # fmt: skip
    assert best.total == pytest.approx(cost(expected))


def test_filter_matches_a_plain_scan(full: Catalog, raw: dict) -> None:
    found = full.filter(capabilities=["tools", "vision"], min_context=128_000, max_input_price=1.0)
    expected = [
        (o["provider"], o["provider_model_id"]) for o in raw["offerings"]
        if {"tools", "vision"} <= set(o.get("capabilities", []))
        and (o.get("context_window") or 0) >= 128_000
        and o.get("pricing", {}).get("input") is not None and o["pricing"]["input"] <= 1.0
    ]  # fmt: skip
    assert [(o.provider, o.provider_model_id) for o in found] == expected
    assert len(expected) > 50


@pytest.mark.parametrize(
    ("query", "first"),
    [("llama 70b", LLAMA), ("gpt4o", "gpt-4o"), ("deepseek r1", "deepseek-r1"),
     ("llama-3.3-70b-versatile", LLAMA)],
)  # fmt: skip
def test_search_finds_well_known_models(full: Catalog, query: str, first: str) -> None:
    assert full.search(query, limit=1)[0].model.id == first


def test_sonnet_4_and_r1_queries(full: Catalog) -> None:
    assert "claude-sonnet-4" in [m.model.id for m in full.search("sonnet 4", limit=5)]
    assert "deepseek-r1" in [m.model.id for m in full.search("r1", limit=3)]


criteria_strategy = st.builds(
    Criteria,
    provider=st.lists(
        st.sampled_from(["groq", "openrouter", "together", "deepinfra", "nope"]), max_size=2
    ).map(tuple),
    exclude_provider=st.lists(
        st.sampled_from(["openrouter", "poe", "github-models"]), max_size=2
    ).map(tuple),
    creator=st.lists(st.sampled_from(["Meta", "OpenAI", "Qwen", "DeepSeek"]), max_size=1).map(
        tuple
    ),
    mode=st.lists(st.sampled_from(MODES.choices), max_size=2).map(tuple),
    capabilities=st.lists(st.sampled_from(CAPABILITIES.choices), max_size=2).map(tuple),
    input_modalities=st.lists(st.sampled_from(["text", "image", "audio"]), max_size=1).map(tuple),
    status=st.lists(st.sampled_from(["active", "preview", "deprecated"]), max_size=2).map(tuple),
    min_context=st.none() | st.integers(1, 2_000_000),
    max_input_price=st.none() | st.floats(0, 20, allow_nan=False),
    max_output_price=st.none() | st.floats(0, 60, allow_nan=False),
    free=st.sampled_from([None, False, True]),
    require_api_key=st.booleans(),
    listed=st.sampled_from([True, None, False]),
    price_basis=st.lists(st.sampled_from(["tokens", "free", "per_image"]), max_size=1).map(tuple),
    include_free=st.booleans(),
    include_flagged=st.booleans(),
)
prefs_strategy = st.builds(
    Preferences,
    cost=st.floats(0, 5), context=st.floats(0, 5), recency=st.floats(0, 5), hosts=st.floats(0, 5),
)  # fmt: skip


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    crit=criteria_strategy,
    prefs=prefs_strategy,
    keyed=st.sampled_from(["", "GROQ_API_KEY", "OPENROUTER_API_KEY"]),
)
def test_find_optimal_never_violates_a_hard_constraint(
    full: Catalog, monkeypatch: pytest.MonkeyPatch, crit: Criteria, prefs: Preferences, keyed: str
) -> None:
    if keyed:
        monkeypatch.setenv(keyed, "test-key")
    ranked = full.find_optimal(prefs, criteria=crit, limit=25)
    creators = {m.id: m.creator for m in full.models}
    for r in ranked:
        o, p = r.offering, r.offering.pricing
        assert not crit.provider or o.provider in crit.provider
        assert o.provider not in crit.exclude_provider
        assert not crit.creator or creators.get(o.model) in crit.creator
        assert not crit.mode or o.mode in crit.mode
        assert not crit.status or o.status in crit.status
        assert set(crit.capabilities) <= set(o.capabilities)
        assert set(crit.input_modalities) <= set(o.input_modalities)
        assert crit.min_context is None or (o.context_window or 0) >= crit.min_context
        assert crit.max_input_price is None or (
            p.input is not None and p.input <= crit.max_input_price
        )
        assert crit.max_output_price is None or (
            p.output is not None and p.output <= crit.max_output_price
        )
        assert crit.free is None or o.is_free == crit.free
        assert crit.listed is None or o.listed == crit.listed
        assert not crit.price_basis or o.price_basis in crit.price_basis
        assert o.token_priced  # never per image, second, request, character or unknown
        assert crit.ranks_free or not o.is_free
        assert crit.include_flagged or not o.price_flagged
        if crit.require_api_key:
            assert keyed and keyed in full.provider(o.provider).auth_env
        assert 0.0 <= r.score <= 1.0 and math.isfinite(r.score)
    scores = [r.score for r in ranked]
    assert scores == sorted(scores, reverse=True)
    if keyed:
        monkeypatch.delenv(keyed)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(crit=criteria_strategy)
def test_ordered_walks_agree_with_full_scans(full: Catalog, crit: Criteria) -> None:
    """cheapest() and cost-only find_optimal() walk a precomputed order; the index-and-scan path
    (forced by a walk limit of 0) must give exactly the same answers."""
    from knollm import queries

    walked_cheap = [(e.offering.key, e.total) for e in full.cheapest(criteria=crit, limit=7)]
    walked_best = [(r.offering.key, r.score) for r in full.find_optimal(criteria=crit, limit=7)]
    saved = queries.WALK_LIMIT
    queries.WALK_LIMIT = 0
    try:
        scanned_cheap = [(e.offering.key, e.total) for e in full.cheapest(criteria=crit, limit=7)]
        scanned_best = [
            (r.offering.key, r.score) for r in full.find_optimal(criteria=crit, limit=7)
        ]
    finally:
        queries.WALK_LIMIT = saved
    assert walked_cheap == scanned_cheap
    assert walked_best == scanned_best


@settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(crit=criteria_strategy, prefs=prefs_strategy, limit=st.integers(1, 30))
def test_threshold_ranking_agrees_with_a_full_scan(
    full: Catalog, crit: Criteria, prefs: Preferences, limit: int
) -> None:
    """Weighted find_optimal() reads the sorted score columns only as deep as it must (the
    threshold algorithm); scoring every candidate (forced by a scan bound above the catalog's
    size) must rank exactly the same offerings with the same scores."""
    from knollm import queries

    ranked = [
        (r.offering.key, r.score) for r in full.find_optimal(prefs, criteria=crit, limit=limit)
    ]
    saved = queries.SCAN_BELOW
    queries.SCAN_BELOW = len(full.offerings) + 1
    try:
        scanned = [
            (r.offering.key, r.score) for r in full.find_optimal(prefs, criteria=crit, limit=limit)
        ]
    finally:
        queries.SCAN_BELOW = saved
    assert ranked == scanned


def test_default_rankings_of_the_full_catalog_keep_the_rules(full: Catalog) -> None:
    """On the real catalog: no unlisted, $0, price-flagged or non-token offering is ranked by
    default, and each kind of offering the rules leave out does exist there."""
    everything = full.filter(listed=None)
    assert any(not o.listed for o in everything)
    assert any(o.price_flagged and o.pricing.input is not None for o in everything)
    assert any(not o.token_priced and o.pricing.input is not None for o in everything)
    for ranked in (full.cheapest(limit=200), full.cheapest(limit=None, mode="chat")):
        for e in ranked:
            o = e.offering
            assert o.listed and o.token_priced and not o.is_free and not o.price_flagged, o.key
    asked = full.cheapest(limit=None, listed=None, include_free=True, include_flagged=True)
    assert any(not e.offering.listed for e in asked)
    assert any(e.offering.price_flagged for e in asked)
    assert all(e.offering.token_priced for e in asked)


def test_host_counts_of_the_full_catalog(full: Catalog) -> None:
    kinds = {p.id: p.kind for p in full.providers}
    for m in full.models:
        assert m.direct_hosts + m.routed_hosts <= m.hosts, m.id
    model = full.model("gpt-oss-120b")
    listed = {
        o.provider for o in full.offerings_of(model.id) if o.listed and o.status != "retired"
    }
    routed = {p for p in listed if kinds[p] in ("router", "reseller", "subscription")}
    assert (model.direct_hosts, model.routed_hosts) == (len(listed - routed), len(routed))
    assert model.routed_hosts >= 10 and model.direct_hosts < model.hosts
