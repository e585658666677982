"""The build report (``report.json``): what was read, kept, set aside and doubted.

A typed record like the catalog itself (:class:`Report`), built from the typed
catalog and the problems every stage collected; its JSON Schema is generated
from these classes like ``schema.json``.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from pydantic import BaseModel, ConfigDict

from knollm_build.history import HistoryConflict
from knollm_build.records import Problem
from knollm_build.schema import Catalog, Conflict


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)


class Accounting(_Strict):
    """The accounting identity: every record read is kept, merged, excluded or quarantined."""

    records_read: int
    """Records the source adapters read (manual overrides are curated, not read)."""
    offerings_kept: int
    """Offerings published."""
    merged_duplicates: int
    """Records merged into a published offering beyond its first."""
    excluded: int
    """Records left out by a rule, each listed under ``excluded`` with its reason."""
    quarantined: int
    """Records set aside as invalid, listed under ``quarantined`` with file, position and reason."""
    holds: bool
    """``records_read == offerings_kept + merged_duplicates + excluded + quarantined``."""


class HostedModel(_Strict):
    id: str
    """Canonical model id."""
    hosts: int
    """Distinct providers offering it."""


class Counts(_Strict):
    """Headline counts of the build."""

    sources: int
    providers: int
    models: int
    offerings: int
    models_with_3_plus_hosts: int
    widest_hosted_model: HostedModel | None
    conflicts: int
    """Conflicts found while merging the published offerings."""
    probable_unit_errors: int
    withheld_prices: int
    withheld_limits: int
    unmapped_ids: int
    offerings_per_model_max: int
    flags: dict[str, int]
    """Offerings carrying each plausibility flag."""
    price_basis: dict[str, int]
    """Offerings per price basis."""
    status: dict[str, int]
    """Offerings per status (against the build date)."""
    zero_priced: int
    """Offerings published with a 0 input or output price (each ``free`` or ``subscription``)."""
    identity_joins: int
    """Unmapped ids joined to a model by the last-resort matcher (listed under ``identity_joins``)."""
    identity_joins_refused: int
    """Last-resort joins refused (different parameter counts), listed too."""
    price_labels_renamed: int
    """Price-table labels published under the id the API uses."""
    unlisted_offerings: int
    """Offerings no model list names (``listed`` false)."""


class ReportProblem(_Strict):
    """One record or value the build could not use, where it was, and why."""

    file: str
    position: str
    reason: str
    field: str | None = None
    value: float | int | str | bool | None = None


class OfferingConflict(Conflict):
    """A conflict of one published offering."""

    provider: str
    provider_model_id: str


class Report(_Strict):
    """The root of ``report.json``."""

    generated_at: str
    accounting: Accounting
    counts: Counts
    per_provider: dict[str, int]
    """Published offerings per provider."""
    per_source: dict[str, int]
    """Published offerings each source contributed to."""
    provider_spellings: list[tuple[str, str, int]]
    """``[spelling, canonical id, uses]`` for every source spelling folded into another id."""
    overrides: list[dict[str, Any]]
    """Manual overrides applied, with reason and date."""
    errors: list[ReportProblem]
    stale: list[ReportProblem]
    quarantined: list[ReportProblem]
    excluded: list[ReportProblem]
    withheld_prices: list[ReportProblem]
    withheld_limits: list[ReportProblem]
    flagged: list[ReportProblem]
    """Every plausibility flag, with the offering (file = provider, position = its id) and why."""
    unmapped_ids: list[str]
    """``provider/provider_model_id`` of offerings whose model has no known creator."""
    identity_joins: list[dict[str, Any]]
    """Every last-resort join (or refused join): the id, the model it joined and how."""
    price_labels: list[dict[str, Any]]
    """Every price-table label renamed to the API id a model list names."""
    unlisted_offerings: list[str]
    """``provider/provider_model_id`` of every offering no model list names."""
    conflicts: list[OfferingConflict]
    history_conflicts: list[HistoryConflict] = []
    """Dated prices in ``history.json`` that contradict each other (two sources, different prices,
    same date; or a source dating a price before one it gave earlier); all are kept there."""


def build_report(
    catalog: Catalog,
    problems: list[Problem],
    accounting: Accounting,
    spellings: dict[tuple[str, str], int],
    overrides: list[dict[str, Any]],
    unit_errors: int,
    identity_joins: list[dict[str, Any]] | None = None,
    price_labels: list[dict[str, Any]] | None = None,
) -> Report:
    """The report of a build from its catalog and every stage's problems."""
    joins = identity_joins or []
    by_kind: dict[str, list[dict[str, Any]]] = {}
    for problem in problems:
        by_kind.setdefault(problem.kind, []).append(problem.as_dict())
    offerings = catalog.offerings
    models = catalog.models
    per_provider = Counter(o.provider for o in offerings)
    per_source = Counter(s for o in offerings for s in o.sources)
    per_model = Counter(o.model for o in offerings)
    widest = max(models, key=lambda m: (m.hosts, m.id), default=None)
    creators = {m.id: m.creator for m in models}
    unmapped = sorted(
        f"{o.provider}/{o.provider_model_id}" for o in offerings if creators.get(o.model) is None
    )
    conflicts = [
        {"provider": o.provider, "provider_model_id": o.provider_model_id, **c.model_dump()}
        for o in offerings
        for c in o.conflicts
    ]
    return Report.model_validate(
        {
            "generated_at": catalog.generated_at,
            "accounting": accounting,
            "counts": {
                "sources": len(catalog.sources),
                "providers": len(catalog.providers),
                "models": len(models),
                "offerings": len(offerings),
                "models_with_3_plus_hosts": sum(1 for m in models if m.hosts >= 3),
                "widest_hosted_model": {"id": widest.id, "hosts": widest.hosts} if widest else None,
                "conflicts": len(conflicts),
                "probable_unit_errors": unit_errors,
                "withheld_prices": len(by_kind.get("withheld_price", [])),
                "withheld_limits": len(by_kind.get("withheld_limit", [])),
                "unmapped_ids": len(unmapped),
                "offerings_per_model_max": max(per_model.values(), default=0),
                "flags": dict(sorted(Counter(f for o in offerings for f in o.flags).items())),
                "price_basis": dict(sorted(Counter(o.price_basis for o in offerings).items())),
                "status": dict(sorted(Counter(o.status for o in offerings).items())),
                "zero_priced": sum(
                    1 for o in offerings if o.pricing.input == 0 or o.pricing.output == 0
                ),
                "identity_joins": sum(1 for j in joins if "refused" not in j),
                "identity_joins_refused": sum(1 for j in joins if "refused" in j),
                "price_labels_renamed": len(price_labels or []),
                "unlisted_offerings": sum(1 for o in offerings if not o.listed),
            },
            "per_provider": dict(sorted(per_provider.items())),
            "per_source": dict(sorted(per_source.items())),
            "provider_spellings": sorted([s, c, n] for (s, c), n in spellings.items() if s != c),
            "overrides": overrides,
            "errors": by_kind.get("error", []),
            "stale": by_kind.get("stale", []),
            "quarantined": by_kind.get("quarantined", []),
            "excluded": by_kind.get("excluded", []),
            "withheld_prices": by_kind.get("withheld_price", []),
            "withheld_limits": by_kind.get("withheld_limit", []),
            "flagged": by_kind.get("flagged", []),
            "unmapped_ids": unmapped,
            "identity_joins": joins,
            "price_labels": price_labels or [],
            "unlisted_offerings": sorted(
                f"{o.provider}/{o.provider_model_id}" for o in offerings if not o.listed
            ),
            "conflicts": conflicts,
        }
    )
