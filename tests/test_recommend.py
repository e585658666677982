"""The recommendation engine (client/src/knollm/recommend.py): hand-made lists, then the real reviews."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from knollm.recommend import FEATURES, USE_CASES, Recommendation, recommend

from knollm_build.libraries import FEATURES as CONTRACT_FEATURES
from knollm_build.libraries import USE_CASES as CONTRACT_USE_CASES
from knollm_build.libraries import libraries_document, load_libraries

REPO = Path(__file__).resolve().parents[1]


def lib(
    id: str,
    *,
    rating: int = 4,
    use_cases: tuple[str, ...] = ("chat",),
    category: str = "unifier",
    providers: tuple[str, ...] = (),
    any_openai_compatible: bool = False,
    dependencies: int = 5,
    pypi: str | None = "x",
    **flags: bool,
) -> dict[str, Any]:
    features = {f: False for f in FEATURES}
    features.update({k.rstrip("_"): v for k, v in flags.items()})
    return {
        "id": id,
        "name": id.title(),
        "pypi": pypi,
        "rating": rating,
        "rating_reason": f"{id} reason",
        "use_cases": list(use_cases),
        "category": category,
        "providers": list(providers),
        "any_openai_compatible": any_openai_compatible,
        "dependencies": dependencies,
        "features": features,
    }


def test_the_engine_and_the_contract_agree_on_names() -> None:
    assert FEATURES == CONTRACT_FEATURES
    assert USE_CASES == CONTRACT_USE_CASES


def test_unknown_use_case_and_feature_name_the_valid_values() -> None:
    with pytest.raises(ValueError) as exc:
        recommend([], "poetry")
    assert str(exc.value) == "unknown use case 'poetry'; valid: " + ", ".join(USE_CASES)
    with pytest.raises(ValueError) as exc:
        recommend([], "chat", ["telepathy"])
    assert str(exc.value) == "unknown feature 'telepathy'; valid: " + ", ".join(FEATURES)


def test_required_features_are_hard_filters() -> None:
    libs = [lib("a", rating=7, async_=False), lib("b", rating=1, async_=True)]
    assert [r.id for r in recommend(libs, "chat")] == ["a", "b"]
    assert [r.id for r in recommend(libs, "chat", ["async"])] == ["b"]
    assert recommend(libs, "chat", ["async", "retries"]) == []


def test_every_point_is_explained() -> None:
    libs = [
        lib(
            "inst",
            rating=7,
            use_cases=("structured-output",),
            category="structured-output",
            structured_output=True,
        )
    ]
    [top] = recommend(libs, "structured-output")
    assert top == Recommendation(
        "inst",
        "Inst",
        105.0,
        [
            "reviewed as a fit for structured-output (+40)",
            "has structured output into typed objects (+20)",
            "no automatic retries (+0)",
            "a structured-output library, made for this (+10)",
            "rated 7/7: inst reason (+35)",
        ],
    )


def test_use_case_beats_rating_and_ties_go_to_rating_then_id() -> None:
    libs = [
        lib("great-generalist", rating=7),
        lib("fit", rating=3, use_cases=("rag",)),
        lib("b-twin", rating=5, use_cases=("rag",)),
        lib("a-twin", rating=5, use_cases=("rag",)),
    ]
    assert [r.id for r in recommend(libs, "rag")] == ["a-twin", "b-twin", "fit", "great-generalist"]


def test_fewest_dependencies_win_minimal_dependencies() -> None:
    libs = [
        lib("heavy", dependencies=30, rating=7, use_cases=("minimal-dependencies",)),
        lib("light", dependencies=1, rating=5, use_cases=("minimal-dependencies",)),
        lib("curl", dependencies=0, rating=7, pypi=None, use_cases=("raw-http",)),
    ]
    ranked = recommend(libs, "minimal-dependencies")
    assert [r.id for r in ranked] == ["light", "heavy"]  # curl is not a Python package
    assert "1 direct runtime dependency (+27)" in ranked[0].reasons
    assert "30 direct runtime dependencies (+0)" in ranked[1].reasons
    assert [r.id for r in recommend(libs, "raw-http")][0] == "curl"


def test_providers_weigh_native_over_base_url_and_favour_the_official_sdk() -> None:
    libs = [
        lib("sdk", category="official-sdk", providers=("openai",), rating=5),
        lib("unifier", providers=("openai", "anthropic"), rating=5),
        lib("generic", any_openai_compatible=True, rating=5),
    ]
    ranked = recommend(libs, "chat", providers=["openai"], openai_compatible_providers={"groq"})
    assert [(r.id, r.score) for r in ranked] == [
        ("sdk", 95.0),
        ("unifier", 85.0),
        ("generic", 65.0),
    ]
    assert "the official SDK for openai (+10)" in ranked[0].reasons
    assert "no openai support (+0)" in ranked[2].reasons
    groq = recommend(libs, "chat", providers=["groq"], openai_compatible_providers={"groq"})
    assert groq[0].id == "generic"
    assert "reaches groq through its OpenAI-compatible API (+20)" not in groq[0].reasons
    assert "reaches groq through its OpenAI-compatible API (+10)" in groq[0].reasons


# --- the real reviews -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def reviews() -> list[dict[str, Any]]:
    loaded = load_libraries(REPO / "catalog" / "libraries")
    return libraries_document(loaded.libraries)


def need(reviews: list[dict[str, Any]], *ids: str) -> None:
    missing = set(ids) - {r["id"] for r in reviews}
    if missing:
        pytest.skip(f"reviews not (validly) present: {', '.join(sorted(missing))}")


def top(reviews: list[dict[str, Any]], n: int, *args: Any, **kwargs: Any) -> list[str]:
    return [r.id for r in recommend(reviews, *args, **kwargs)[:n]]


def test_structured_output_puts_the_pydantic_libraries_on_top(reviews: list) -> None:
    need(reviews, "instructor", "pydantic-ai", "mirascope")
    assert {"instructor", "pydantic-ai", "mirascope"} <= set(top(reviews, 4, "structured-output"))


def test_multi_provider_puts_the_unifiers_near_the_top(reviews: list) -> None:
    need(reviews, "litellm", "any-llm-sdk", "aisuite")
    assert {"litellm", "any-llm-sdk", "aisuite"} <= set(top(reviews, 6, "multi-provider"))


def test_fewest_dependencies_are_the_http_clients(reviews: list) -> None:
    need(reviews, "httpx", "requests")
    assert set(top(reviews, 2, "minimal-dependencies")) == {"httpx", "requests"}


def test_async_streaming_from_openai_only_is_the_openai_sdk(reviews: list) -> None:
    need(reviews, "openai")
    assert top(reviews, 1, "async-streaming", providers=["openai"]) == ["openai"]
    assert top(reviews, 1, "async-streaming", ["async", "streaming"], ["openai"]) == ["openai"]
