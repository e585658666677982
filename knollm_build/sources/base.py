"""The small interface every source adapter shares, and helpers they reuse.

An adapter is a callable ``load(context) -> SourceResult``. It reads its input,
never raises for bad data (bad records become :class:`Problem` entries with file,
position and reason), and does no cross-source work: that is the later stages'.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from knollm_build.records import Problem, RawRecord, SourceResult
from knollm_build.sources.fields import (
    AMBIGUOUS_UNITS,
    MAX_TEXT_PRICE,
    PER_MILLION,
    Extracted,
    as_number,
    extract,
    plausible_share,
    read_price,
)

if TYPE_CHECKING:
    from knollm_build.catalog_files import Curated


@dataclass(slots=True)
class LoadContext:
    """What adapters may read: work directories and the reference date for dated prices."""

    work_dirs: list[Path] = field(default_factory=list)
    reference_date: str = "2100-01-01"
    """Dated prices in effect on this day are used (the build's ``generated_at`` date)."""
    debug: bool = False
    """Re-raise unexpected exceptions instead of turning them into problems."""
    catalog_dir: Path | None = None
    """The curated ``catalog/`` folder, for the overrides adapter."""
    curated: Curated | None = None
    """What was read from ``catalog_dir`` (validated), for the overrides adapter."""


class Adapter(Protocol):
    def __call__(self, context: LoadContext) -> SourceResult: ...


def content_version(data: bytes) -> str:
    """A short content hash used as the version of a dump or an overlay."""
    return "sha256:" + hashlib.sha256(data).hexdigest()[:12]


def record_from_entry(
    entry: dict[str, Any],
    *,
    source: str,
    file: str,
    position: str,
    provider_raw: str,
    provider_model_id: str,
    problems: list[Problem],
    defer_units: bool = False,
) -> RawRecord:
    """A RawRecord from one model entry via the field mapping; withheld prices and bad limits become problems.

    Prices under keys that do not say their unit are read in their usual unit, unless
    ``defer_units``: then they wait in ``ambiguous_prices`` for :func:`resolve_units`.
    """
    found: Extracted = extract(entry)
    if not defer_units:
        for target, (raw, multiplier, path) in found.ambiguous.items():
            read_price(found.prices, found.withheld, target, raw, multiplier, path)
    for path, value, reason in found.withheld:
        problems.append(Problem("withheld_price", file, position, reason, field=path, value=value))
    for path, value in found.bad_limits:
        problems.append(
            Problem(
                "withheld_limit",
                file,
                position,
                "limit is not a sane token count (0 < n <= 100,000,000)",
                field=path,
                value=value,
            )
        )
    return RawRecord(
        source=source,
        file=file,
        position=position,
        provider_raw=provider_raw,
        provider_model_id=provider_model_id,
        name=found.name,
        mode=found.mode,
        prices=found.prices,
        price_tiers=found.tiers,
        context_window=found.context_window,
        max_input_tokens=found.max_input_tokens,
        max_output_tokens=found.max_output_tokens,
        input_modalities=found.input_modalities,
        output_modalities=found.output_modalities,
        capabilities=found.capabilities,
        status=found.status,
        deprecation_date=found.deprecation_date,
        successor=found.successor,
        alias_of=found.alias_of,
        released=None,
        model_hint=_hf_id(entry),
        ambiguous_prices=found.ambiguous if defer_units else {},
    )


def resolve_units(records: list[RawRecord], file: str, problems: list[Problem]) -> None:
    """Read one dump's unit-less prices in the unit that makes the dump plausible.

    The usual reading (USD per token for OpenRouter-style names, per 1M for Together-style
    ones) stands while at least half of the dump's positive input and output prices are ones a
    text model could cost. Otherwise, if nine in ten are plausible in the other unit, the whole
    dump is read in that unit and every record so read is flagged ``unit_inferred``; if neither
    unit fits, those prices are withheld, each with its position, and the dump is an error.
    """
    pending = [r for r in records if r.ambiguous_prices]
    if not pending:
        return

    def readings(factor: str) -> list[float]:
        out = []
        for record in pending:
            for target, (raw, multiplier, _) in record.ambiguous_prices.items():
                number = as_number(raw)
                if target in ("input", "output") and number is not None:
                    use = multiplier if factor == "usual" else AMBIGUOUS_UNITS[multiplier]
                    out.append(number * use)
        return out

    usual_ok = plausible_share(readings("usual")) >= 0.5
    other_ok = not usual_ok and plausible_share(readings("other")) >= 0.9
    for record in pending:
        withheld: list[tuple[str, Any, str]] = []
        for target, (raw, multiplier, path) in sorted(record.ambiguous_prices.items()):
            if usual_ok:
                read_price(record.prices, withheld, target, raw, multiplier, path)
                number = as_number(raw)
                if target in ("input", "output") and number is not None:
                    if number * multiplier > MAX_TEXT_PRICE:  # this one record is off by a unit?
                        record.alternate_prices[target] = number * AMBIGUOUS_UNITS[multiplier]
            elif other_ok:
                other = AMBIGUOUS_UNITS[multiplier]
                read_price(record.prices, withheld, target, raw, other, path)
                if "unit_inferred" not in record.flags:
                    record.flags.append("unit_inferred")
                    unit = "USD per 1M tokens" if other == PER_MILLION else "USD per token"
                    problems.append(
                        Problem(
                            "flagged",
                            file,
                            record.position,
                            f"unit_inferred: {path} read as {unit}: in its usual unit the "
                            "dump's prices are not plausible",
                            field=path,
                            value=raw,
                        )
                    )
            else:
                withheld.append(
                    (path, raw, "no unit makes this dump's prices plausible; price withheld")
                )
        for path, value, reason in withheld:
            problems.append(
                Problem("withheld_price", file, record.position, reason, field=path, value=value)
            )
        record.ambiguous_prices = {}
    if not usual_ok and not other_ok:
        problems.append(
            Problem(
                "error",
                file,
                "",
                "prices fit no unit: neither USD per token nor per 1M makes them plausible; "
                "they are withheld",
            )
        )


def _hf_id(entry: dict[str, Any]) -> str | None:
    value = entry.get("hugging_face_id")
    return value if isinstance(value, str) and "/" in value else None


def display_path(path: Path) -> str:
    """A path as shown in reports: relative to the working directory when possible."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)
