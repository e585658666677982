"""Merge stage: one offering per provider x provider model id, with provenance and conflicts.

Records for the same offering (same canonical provider, same id ignoring case)
are merged field by field. The published value comes from the first source that
states it in this order: a manual override; then the newest source by capture
date (a provider's own dump wins while it is the newest source for the offering,
a 2026 catalog beats a 2025 dump); then the static precedence (the provider's
dump, genai-prices, models.dev, LiteLLM, older LiteLLM snapshots). Values that
disagree with it beyond :data:`PRICE_TOLERANCE` / :data:`LIMIT_TOLERANCE` are
recorded as a conflict with every source's value. The id's spelling, model and
variant come from the highest static precedence (the provider's own spelling).

Context window and max output come from one source when sources conflict on
them (so a 64k context from one never meets a 384k max output from another).
Status is read against the build date: an announced end-of-life date in the
future is ``deprecated``, one in the past ``retired``; a bare ``deprecated``
flag stands only while no newer source lists the offering without it.

Each merged group becomes a :class:`~knollm_build.schema.Offering` right here:
a group whose offering fails the contract is quarantined with the file and
position of its highest-precedence record, and its records are counted as
quarantined. An override record (``catalog/overrides/``) that matches no
offering another source lists is reported as an error and dropped.

Price sanity check: a non-zero price that differs from another source's non-zero
price for the same offering by a factor of :data:`UNIT_ERROR_FACTOR` or more is a
probable unit error. With three or more values, those far from the median are
set aside and the precedence choice is made among the rest; with two, neither
can be trusted, so the price is withheld and reported.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from statistics import median
from typing import Any

from pydantic import ValidationError

from knollm_build.normalise import NormalRecord
from knollm_build.records import Problem
from knollm_build.schema import PRICE_FIELDS, Offering

PRICE_TOLERANCE = 0.01
"""Relative difference under which two prices count as equal (1%)."""
LIMIT_TOLERANCE = 0.03
"""Relative difference under which two limits count as equal (3%: 128,000 vs 131,072)."""
UNIT_ERROR_FACTOR = 100.0

"""The scalar prices of the contract, in its order."""
LIMIT_FIELDS = ("context_window", "max_input_tokens", "max_output_tokens")


@dataclass(slots=True)
class MergeResult:
    offerings: list[Offering] = field(default_factory=list)
    """Valid offerings, sorted by provider then provider model id (ignoring case)."""
    merged_duplicates: int = 0
    """Read records merged into a kept offering beyond its first (overrides not counted)."""
    quarantined_offerings: int = 0
    """Groups whose offering failed the contract (one ``quarantined`` problem each)."""
    quarantined_records: int = 0
    """Read records behind those groups (overrides not counted)."""
    problems: list[Problem] = field(default_factory=list)
    conflicts: int = 0
    unit_errors: int = 0


def _differs(a: float, b: float, tolerance: float) -> bool:
    if a == b:
        return False
    return abs(a - b) > tolerance * max(abs(a), abs(b))


def _conflict(
    field_name: str,
    kind: str,
    chosen: Any,
    chosen_source: str | None,
    values: list[tuple[str, Any]],
) -> dict[str, Any]:
    return {
        "field": field_name,
        "kind": kind,
        "chosen": chosen,
        "chosen_source": chosen_source,
        "values": [{"source": s, "value": v} for s, v in values],
    }


def _choose_price(
    field_name: str, values: list[tuple[str, float]], where: NormalRecord, result: MergeResult
) -> tuple[float | None, str | None, dict[str, Any] | None]:
    """(published value, its source, conflict or None) for one price field."""
    chosen_source, chosen = values[0]
    if len(values) == 1:
        return chosen, chosen_source, None
    nonzero = [v for _, v in values if v > 0]
    suspects: set[int] = set()
    if len(nonzero) >= 2 and max(nonzero) / min(nonzero) >= UNIT_ERROR_FACTOR:
        if len(nonzero) >= 3:
            mid = median(nonzero)
            suspects = {
                i
                for i, (_, v) in enumerate(values)
                if v > 0 and max(v / mid, mid / v) >= UNIT_ERROR_FACTOR**0.5
            }
        else:
            suspects = {i for i, (_, v) in enumerate(values) if v > 0}
        trusted = [(s, v) for i, (s, v) in enumerate(values) if i not in suspects]
        result.unit_errors += 1
        path = f"pricing.{field_name}"
        if not trusted:
            result.problems.append(
                Problem(
                    "withheld_price",
                    where.raw.file,
                    where.raw.position,
                    f"probable unit error: sources disagree by x{max(nonzero) / min(nonzero):.0f} "
                    f"({', '.join(f'{s}={v:g}' for s, v in values)}); price withheld",
                    field=path,
                )
            )
            return None, None, _conflict(path, "probable_unit_error", None, None, values)
        chosen_source, chosen = trusted[0]
        return (
            chosen,
            chosen_source,
            _conflict(path, "probable_unit_error", chosen, chosen_source, values),
        )
    if any(_differs(v, chosen, PRICE_TOLERANCE) for _, v in values[1:]):
        return (
            chosen,
            chosen_source,
            _conflict(f"pricing.{field_name}", "disagreement", chosen, chosen_source, values),
        )
    return chosen, chosen_source, None


def value_order(group: list[NormalRecord]) -> list[NormalRecord]:
    """Records in the order their values win: overrides, newest capture date, static precedence.

    ``group`` comes in static-precedence order; the sorts are stable, so ties keep it. A source
    with no capture date ranks after every dated one.
    """
    ordered = sorted(group, key=lambda r: r.captured_at or "", reverse=True)
    return sorted(ordered, key=lambda r: not r.raw.override)


def _status(
    group: list[NormalRecord], build_date: str, provenance: dict[str, str]
) -> tuple[str, dict[str, Any] | None]:
    """(status, conflict or None): dates against the build date, bare flags against newer sources."""
    dated = next((r.raw for r in group if r.raw.deprecation_date), None)
    if dated is not None and dated.deprecation_date is not None:
        provenance["status"] = dated.source
        return ("retired" if dated.deprecation_date <= build_date else "deprecated"), None
    flagged = next((r for r in group if r.raw.status), None)
    if flagged is None:
        return "active", None
    status = flagged.raw.status or "active"
    if status in ("deprecated", "retired") and flagged.captured_at:
        newer = [
            r for r in group if r.raw.status is None and (r.captured_at or "") > flagged.captured_at
        ]
        if newer:
            values = [(flagged.raw.source, status)] + [(r.raw.source, "active") for r in newer]
            provenance["status"] = newer[0].raw.source
            return "active", _conflict(
                "status", "outdated", "active", newer[0].raw.source, _dedupe(values)
            )
    provenance["status"] = flagged.raw.source
    return status, None


def _merge_group(
    group: list[NormalRecord], result: MergeResult, build_date: str = "9999-12-31"
) -> dict[str, Any]:
    """One offering's fields from its records (``group`` in static-precedence order)."""
    first = group[0]
    provenance: dict[str, str] = {}
    conflicts: list[dict[str, Any]] = []
    sources: list[str] = []
    for record in group:
        if record.raw.source not in sources:
            sources.append(record.raw.source)
    group = value_order(group)

    stated_prices: dict[str, list[tuple[str, float]]] = {}
    for record in group:
        for name, value in record.raw.prices.items():
            stated_prices.setdefault(name, []).append((record.raw.source, value))
    pricing: dict[str, Any] = {}
    for name in PRICE_FIELDS:
        if name not in stated_prices:
            continue
        values = _dedupe(stated_prices[name]) if len(group) > 1 else stated_prices[name]
        chosen, source, conflict = _choose_price(name, values, first, result)
        if conflict:
            conflicts.append(conflict)
        if chosen is not None and source is not None:
            pricing[name] = chosen
            provenance[f"pricing.{name}"] = source
    tier_record = next((r for r in group if r.raw.price_tiers), None)
    if tier_record is not None:
        pricing["tiers"] = tier_record.raw.price_tiers
        provenance["pricing.tiers"] = tier_record.raw.source

    offering: dict[str, Any] = {
        "listed": any(r.raw.listed for r in group if not r.raw.override),
        "provider": first.provider,
        "model": first.model,
        "provider_model_id": first.raw.provider_model_id,
        "variant": list(first.variant),
        "pricing": pricing,
        "sources": sources,
    }
    limit_conflicts: set[str] = set()
    for name in LIMIT_FIELDS:
        values = [
            (r.raw.source, getattr(r.raw, name)) for r in group if getattr(r.raw, name) is not None
        ]
        if len(group) > 1:
            values = _dedupe(values)
        if not values:
            continue
        source, chosen = values[0]
        offering[name] = chosen
        provenance[name] = source
        if any(_differs(v, chosen, LIMIT_TOLERANCE) for _, v in values[1:]):
            conflicts.append(_conflict(name, "disagreement", chosen, source, values))
            limit_conflicts.add(name)
    _limits_from_one_source(group, offering, provenance, limit_conflicts)

    for name in ("name", "deprecation_date", "successor", "alias_of"):
        stated = next((r for r in group if getattr(r.raw, name)), None)
        if stated is not None:
            offering[name] = getattr(stated.raw, name)
            provenance[name] = stated.raw.source
    offering["status"], status_conflict = _status(group, build_date, provenance)
    if status_conflict is not None:
        conflicts.append(status_conflict)

    stated_mode = next((r for r in group if "mode" not in r.inferred), None)
    mode_record = stated_mode or first
    offering["mode"] = mode_record.mode
    inferred = [] if stated_mode else ["mode"]
    if stated_mode:
        provenance["mode"] = stated_mode.raw.source
    for name in ("input_modalities", "output_modalities"):
        stated = next((r for r in group if name not in r.inferred), None)
        offering[name] = getattr(stated or first, name)
        if stated:
            provenance[name] = stated.raw.source
        else:
            inferred.append(name)

    capabilities: set[str] = set()
    decided: set[str] = set()
    for record in group:
        for cap, flag in record.raw.capabilities.items():
            if cap in decided:
                continue
            decided.add(cap)
            provenance[f"capabilities.{cap}"] = record.raw.source
            if flag:
                capabilities.add(cap)
    if "vision" not in decided and "image" in offering["input_modalities"]:
        capabilities.add("vision")
        if "input_modalities" in inferred:
            inferred.append("capabilities.vision")
    offering["capabilities"] = sorted(capabilities)
    flags = {
        flag
        for record in group
        for flag in record.raw.flags
        if any(provenance.get(f"pricing.{name}") == record.raw.source for name in record.raw.prices)
    }
    if flags:
        offering["flags"] = sorted(flags)
    offering["inferred"] = inferred
    offering["provenance"] = dict(sorted(provenance.items()))
    offering["conflicts"] = conflicts
    result.conflicts += len(conflicts)
    return offering


def _limits_from_one_source(
    group: list[NormalRecord],
    offering: dict[str, Any],
    provenance: dict[str, str],
    conflicting: set[str],
) -> None:
    """Context window and max output from the same source when they would otherwise mix.

    When the two came from different sources and either is disputed, or the mix makes the max
    output exceed the context, both are taken from the first source (in value order) that states
    both; the conflicts already recorded still show every source's values.
    """
    context, output = offering.get("context_window"), offering.get("max_output_tokens")
    if context is None or output is None:
        return
    if provenance["context_window"] == provenance["max_output_tokens"]:
        return
    if not (conflicting & {"context_window", "max_output_tokens"}) and output <= context:
        return
    both = next((r for r in group if r.raw.context_window and r.raw.max_output_tokens), None)
    if both is None:
        return
    offering["context_window"] = both.raw.context_window
    offering["max_output_tokens"] = both.raw.max_output_tokens
    provenance["context_window"] = provenance["max_output_tokens"] = both.raw.source


def _dedupe(values: list[tuple[str, Any]]) -> list[tuple[str, Any]]:
    """One value per source (the first it gave), order kept."""
    seen: set[str] = set()
    out = []
    for source, value in values:
        if source not in seen:
            seen.add(source)
            out.append((source, value))
    return out


def _validation_reason(exc: ValidationError) -> tuple[str, str]:
    first = exc.errors()[0]
    return ".".join(str(p) for p in first["loc"]), first["msg"]


def merge(records: list[NormalRecord], build_date: str = "9999-12-31") -> MergeResult:
    """Group records by offering, merge each group and build its :class:`Offering`.

    Override records (``record.raw.override``) only amend offerings that some other
    record lists; one whose provider no other record lists is silently unused (the
    build has no source for that provider), any other is reported as an error.
    """
    groups: dict[tuple[str, str], list[NormalRecord]] = defaultdict(list)
    listed_providers: set[str] = set()
    for record in records:
        groups[(record.provider, record.raw.provider_model_id.lower())].append(record)
        if not record.raw.override:
            listed_providers.add(record.provider)
    result = MergeResult()
    for key in sorted(groups):
        group = sorted(groups[key], key=lambda r: (r.precedence, r.raw.source, r.raw.position))
        read = sum(1 for r in group if not r.raw.override)
        if read == 0:
            if key[0] in listed_providers:
                for record in group:
                    result.problems.append(
                        Problem(
                            "error",
                            record.raw.file,
                            record.raw.position,
                            "override matches no offering: "
                            f"{record.provider} x {record.raw.provider_model_id}",
                        )
                    )
            continue
        first = group[0]
        conflicts_before = result.conflicts
        fields = _merge_group(group, result, build_date)
        try:
            offering = Offering.model_validate(fields)
        except ValidationError as exc:
            path, message = _validation_reason(exc)
            result.problems.append(
                Problem(
                    "quarantined",
                    first.raw.file,
                    first.raw.position,
                    f"invalid offering: {message}",
                    field=path,
                )
            )
            result.quarantined_offerings += 1
            result.quarantined_records += read
            result.conflicts = conflicts_before
            continue
        result.merged_duplicates += read - 1
        result.offerings.append(offering)
    return result
