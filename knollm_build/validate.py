"""Validate stage: the cross-record invariants of the assembled catalog.

Every record is already a contract object (offerings are built and quarantined
in merge, providers and models in assemble); what is left is what no single
record can check: unique ids, and offerings that reference a known provider and
model. Each violation is an ``error`` problem naming both sides.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from knollm_build.records import Problem
from knollm_build.schema import Model, Offering, Provider


def _duplicates(label: str, ids: Iterable[str]) -> list[Problem]:
    counts = Counter(ids)
    duplicates = sorted(i for i, n in counts.items() if n > 1)
    if not duplicates:
        return []
    return [Problem("error", label + "s", "", f"duplicate {label} ids: {', '.join(duplicates)}")]


def validate(
    providers: list[Provider], models: list[Model], offerings: list[Offering]
) -> list[Problem]:
    """Every cross-record problem of the catalog (empty when it is consistent)."""
    problems: list[Problem] = []
    problems += _duplicates("provider", (p.id for p in providers))
    problems += _duplicates("model", (m.id for m in models))
    problems += _duplicates(
        "offering", (f"{o.provider} x {o.provider_model_id}" for o in offerings)
    )
    provider_ids = {p.id for p in providers}
    model_ids = {m.id for m in models}
    for offering in offerings:
        if offering.provider not in provider_ids:
            problems.append(
                Problem(
                    "error",
                    "offerings",
                    offering.provider_model_id,
                    f"unknown provider {offering.provider!r}",
                )
            )
        if offering.model not in model_ids:
            problems.append(
                Problem(
                    "error",
                    "offerings",
                    offering.provider_model_id,
                    f"unknown model {offering.model!r}",
                )
            )
    return problems
