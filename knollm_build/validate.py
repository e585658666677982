"""Validate stage: every entity against the pydantic contract, then cross-record invariants.

An offering that fails validation is quarantined with the file and position of
the record behind it and the failing field; the rest of the catalog is kept.
Cross-record checks: unique ids, offerings that reference known providers and
models. Returns validated plain dicts ready to emit (defaults filled in).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from pydantic import TypeAdapter, ValidationError

from knollm_build.records import Problem
from knollm_build.schema import Model, Offering, Provider

_OFFERING = TypeAdapter(Offering)
_MODEL = TypeAdapter(Model)
_PROVIDER = TypeAdapter(Provider)


@dataclass(slots=True)
class Validated:
    providers: list[dict[str, Any]] = field(default_factory=list)
    models: list[dict[str, Any]] = field(default_factory=list)
    offerings: list[dict[str, Any]] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    quarantined: int = 0
    """Offerings dropped by validation (their records count as quarantined)."""
    quarantined_records: int = 0
    kept: list[bool] = field(default_factory=list)
    """For each input offering, whether it passed (same order as the input)."""


def _reason(exc: ValidationError) -> tuple[str, str]:
    first = exc.errors()[0]
    return ".".join(str(p) for p in first["loc"]), first["msg"]


def _dump(adapter: TypeAdapter[Any], value: Any) -> dict[str, Any]:
    """Validate and return the value as published: None fields dropped, defaults kept."""
    adapter.validate_python(value)
    return {k: v for k, v in value.items() if v is not None}


def validate(
    providers: list[dict[str, Any]],
    models: list[dict[str, Any]],
    offerings: list[dict[str, Any]],
    origins: list[tuple[str, str]],
    record_counts: list[int],
) -> Validated:
    """Validate everything; ``record_counts[i]`` is how many records were merged into offering i."""
    out = Validated()
    seen_offerings: set[tuple[str, str]] = set()
    for offering, (file, position), count in zip(offerings, origins, record_counts, strict=True):
        key = (offering["provider"], offering["provider_model_id"])
        reason, field = None, None
        if key in seen_offerings:
            reason = f"duplicate offering {key[0]} x {key[1]}"
        else:
            try:
                out.offerings.append(_dump(_OFFERING, offering))
            except ValidationError as exc:
                field, message = _reason(exc)
                reason = f"invalid offering: {message}"
        if reason is not None:
            out.problems.append(Problem("quarantined", file, position, reason, field=field))
            out.quarantined += 1
            out.quarantined_records += count
            out.kept.append(False)
            continue
        out.kept.append(True)
        seen_offerings.add(key)
    kept_models = {o["model"] for o in out.offerings}
    kept_providers = {o["provider"] for o in out.offerings}
    for model in models:
        if model["id"] not in kept_models:
            continue
        try:
            out.models.append(_dump(_MODEL, model))
        except ValidationError as exc:
            where, message = _reason(exc)
            out.problems.append(
                Problem("error", "models", model["id"], f"invalid model: {message}", field=where)
            )
    for provider in providers:
        if provider["id"] not in kept_providers and not provider.get("curated"):
            continue
        try:
            out.providers.append(_dump(_PROVIDER, provider))
        except ValidationError as exc:
            where, message = _reason(exc)
            out.problems.append(
                Problem(
                    "error",
                    "providers",
                    provider["id"],
                    f"invalid provider: {message}",
                    field=where,
                )
            )
    _check_references(out)
    return out


def _check_references(out: Validated) -> None:
    provider_ids = [p["id"] for p in out.providers]
    model_ids = [m["id"] for m in out.models]
    for label, ids in (("provider", provider_ids), ("model", model_ids)):
        counts = Counter(ids)
        duplicates = sorted(i for i, n in counts.items() if n > 1)
        if duplicates:
            out.problems.append(
                Problem("error", label + "s", "", f"duplicate {label} ids: {', '.join(duplicates)}")
            )
    providers, models = set(provider_ids), set(model_ids)
    for offering in out.offerings:
        if offering["provider"] not in providers:
            out.problems.append(
                Problem(
                    "error",
                    "offerings",
                    offering["provider_model_id"],
                    f"unknown provider {offering['provider']!r}",
                )
            )
        if offering["model"] not in models:
            out.problems.append(
                Problem(
                    "error",
                    "offerings",
                    offering["provider_model_id"],
                    f"unknown model {offering['model']!r}",
                )
            )
