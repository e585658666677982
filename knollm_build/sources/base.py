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
from knollm_build.sources.fields import Extracted, extract

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
) -> RawRecord:
    """A RawRecord from one model entry via the field mapping; withheld prices and bad limits become problems."""
    found: Extracted = extract(entry)
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
        released=None,
        model_hint=_hf_id(entry),
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
