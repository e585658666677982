"""Which Python LLM library fits? Rank reviewed libraries for a use case and explain each rank.

Input is the list in Knollm's ``libraries.json`` (the front matter of every review).
Required features are hard filters; everything else is weighted points, and every
point a library gets (or misses) is written into its ``reasons``, so a ranking can
be checked by reading it. Standard library only: the site, the CLI and anyone
importing ``knollm`` share this one ranking.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from typing import Any

USE_CASES: tuple[str, ...] = (
    "chat",
    "structured-output",
    "multi-provider",
    "agents",
    "rag",
    "minimal-dependencies",
    "async-streaming",
    "local-models",
    "prototyping",
    "production",
    "observability",
    "prompt-optimisation",
    "cli",
    "raw-http",
)
FEATURES: tuple[str, ...] = (
    "sync",
    "async",
    "streaming",
    "tool_calling",
    "structured_output",
    "retries",
    "multi_provider",
    "openai_base_url",
    "local_models",
    "observability",
    "type_hints",
    "minimal_dependencies",
)
FEATURE_LABELS = {
    "sync": "a blocking API",
    "async": "an asyncio API",
    "streaming": "streaming",
    "tool_calling": "tool calling",
    "structured_output": "structured output into typed objects",
    "retries": "automatic retries",
    "multi_provider": "one API across providers",
    "openai_base_url": "any OpenAI-compatible base URL",
    "local_models": "local model servers",
    "observability": "observability hooks",
    "type_hints": "full type hints",
    "minimal_dependencies": "few dependencies",
}

USE_CASE_POINTS = 40.0
"""A review that lists the use case: the writer judged it a good fit."""
RATING_POINTS = 35.0
"""Scaled by rating / 7."""
CATEGORY_POINTS = 10.0
"""A library of the kind built for the use case (a unifier for multi-provider...)."""
PROVIDER_POINTS = 20.0
"""Shared among the requested providers: full for native support, half through a base URL."""
OFFICIAL_SDK_POINTS = 10.0
"""An official SDK whose providers are all among the requested ones."""
BREADTH_POINTS = 10.0
"""For multi-provider: native providers listed, full at twenty."""
DEPENDENCY_POINTS = 30.0
"""For minimal-dependencies: full at zero dependencies, nothing at ten or more."""

SIGNALS: dict[str, tuple[tuple[str, float], ...]] = {
    "chat": (("streaming", 10.0), ("sync", 10.0)),
    # Retries matter here: the good libraries re-ask the model when validation fails.
    "structured-output": (("structured_output", 20.0), ("retries", 10.0)),
    "multi-provider": (("multi_provider", 20.0),),
    "agents": (("tool_calling", 20.0),),
    "rag": (),
    "minimal-dependencies": (),
    "async-streaming": (("async", 10.0), ("streaming", 10.0)),
    "local-models": (("local_models", 20.0),),
    "prototyping": (("sync", 10.0), ("multi_provider", 10.0)),
    "production": (("retries", 10.0), ("type_hints", 10.0)),
    "observability": (("observability", 20.0),),
    "prompt-optimisation": (),
    "cli": (),
    "raw-http": (),
}
"""Feature flags that matter for each use case, with their points."""

CATEGORY_FOR: dict[str, str] = {
    "structured-output": "structured-output",
    "multi-provider": "unifier",
    "agents": "framework",
    "rag": "framework",
    "minimal-dependencies": "raw-http",
    "raw-http": "raw-http",
    "observability": "gateway",
    "cli": "tool",
}
"""The category built for a use case."""

NON_PYTHON_USE_CASES = frozenset({"raw-http", "cli"})
"""Use cases where a tool that is not a Python package (curl) may be recommended."""


@dataclass(slots=True)
class Recommendation:
    """One ranked library: its total points and why it got them."""

    id: str
    name: str
    score: float
    reasons: list[str] = field(default_factory=list)


def _check(value: str, valid: Sequence[str], what: str) -> None:
    if value not in valid:
        raise ValueError(f"unknown {what} {value!r}; valid: {', '.join(valid)}")


def _points(value: float) -> str:
    text = f"{value:+.1f}"
    return text.removesuffix(".0")


def _score(
    lib: dict[str, Any],
    use_case: str,
    providers: Sequence[str],
    openai_compatible: Collection[str],
) -> tuple[float, list[str]]:
    features = lib.get("features", {})
    parts: list[tuple[float, str]] = []

    listed = use_case in lib.get("use_cases", [])
    parts.append(
        (USE_CASE_POINTS, f"reviewed as a fit for {use_case}")
        if listed
        else (0.0, f"not reviewed as a fit for {use_case}")
    )
    for feature, points in SIGNALS[use_case]:
        label = FEATURE_LABELS[feature]
        parts.append((points, f"has {label}") if features.get(feature) else (0.0, f"no {label}"))
    if use_case == "minimal-dependencies":
        deps = int(lib.get("dependencies", 0))
        points = DEPENDENCY_POINTS * max(0.0, 1 - deps / 10)
        parts.append((points, f"{deps} direct runtime dependenc{'y' if deps == 1 else 'ies'}"))
    if use_case == "multi-provider":
        count = len(lib.get("providers", []))
        points = BREADTH_POINTS * min(count, 20) / 20
        parts.append((points, f"{count} provider{'' if count == 1 else 's'} supported natively"))
    wanted_category = CATEGORY_FOR.get(use_case)
    if wanted_category is not None and lib.get("category") == wanted_category:
        parts.append((CATEGORY_POINTS, f"a {wanted_category} library, made for this"))

    rating = int(lib.get("rating", 0))
    reason = str(lib.get("rating_reason", "")).strip()
    parts.append(
        (RATING_POINTS * rating / 7, f"rated {rating}/7" + (f": {reason}" if reason else ""))
    )

    native = set(lib.get("providers", []))
    if providers:
        share = PROVIDER_POINTS / len(providers)
        for provider in providers:
            if provider in native:
                parts.append((share, f"supports {provider} natively"))
            elif lib.get("any_openai_compatible") and provider in openai_compatible:
                parts.append((share / 2, f"reaches {provider} through its OpenAI-compatible API"))
            else:
                parts.append((0.0, f"no {provider} support"))
        if lib.get("category") == "official-sdk" and native and native <= set(providers):
            parts.append((OFFICIAL_SDK_POINTS, f"the official SDK for {', '.join(sorted(native))}"))

    total = round(sum(points for points, _ in parts), 1)
    reasons = [f"{text} ({_points(round(points, 1))})" for points, text in parts]
    return total, reasons


def recommend(
    libraries: list[dict[str, Any]],
    use_case: str,
    features: Sequence[str] = (),
    providers: Sequence[str] = (),
    *,
    openai_compatible_providers: Collection[str] = (),
) -> list[Recommendation]:
    """Libraries that have every required feature, best first, each with the reasons for its score.

    ``use_case`` is one of :data:`USE_CASES`, ``features`` are keys of :data:`FEATURES`
    (hard requirements), ``providers`` are catalog provider ids (weighted, not required).
    ``openai_compatible_providers`` (from the catalog) lets a library that takes any
    OpenAI-compatible base URL earn half a provider's points. Ties go to the higher
    rating, then the id. Raises ValueError for an unknown use case or feature.
    """
    _check(use_case, USE_CASES, "use case")
    for feature in features:
        _check(feature, FEATURES, "feature")
    providers = list(dict.fromkeys(providers))
    ranked = []
    for lib in libraries:
        flags = lib.get("features", {})
        if any(not flags.get(feature) for feature in features):
            continue
        if lib.get("pypi") is None and use_case not in NON_PYTHON_USE_CASES:
            continue  # curl and other tools are reference points, not Python libraries
        score, reasons = _score(lib, use_case, providers, set(openai_compatible_providers))
        if features:
            reasons.append("has every required feature: " + ", ".join(features))
        ranked.append(
            Recommendation(
                id=str(lib["id"]),
                name=str(lib.get("name", lib["id"])),
                score=score,
                reasons=reasons,
            )
        )
    rating = {str(lib["id"]): int(lib.get("rating", 0)) for lib in libraries}
    ranked.sort(key=lambda r: (-r.score, -rating[r.id], r.id))
    return ranked
