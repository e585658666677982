"""Manual overrides (``catalog/overrides/<provider>.toml``) as a source adapter.

Each ``[[override]]`` entry becomes one :class:`RawRecord` marked ``override``
with precedence 0, so it wins every field it sets. Override records are curated,
not read: they are left out of the accounting identity's records read, and they
only amend offerings that another source lists (the merge stage reports any that
match nothing). The entries themselves are listed in ``report.json``.
"""

from __future__ import annotations

from typing import Any

from knollm_build.records import RawRecord, SourceInfo, SourceResult
from knollm_build.sources.base import LoadContext, content_version

PRECEDENCE = 0
"""Overrides beat every source."""


def load(context: LoadContext) -> SourceResult:
    """One record per override entry in ``context.curated`` (none when it is not set)."""
    result = SourceResult([])
    if context.curated is None or context.catalog_dir is None:
        return result
    for provider, entries in sorted(context.curated.overrides.items()):
        path = context.catalog_dir / "overrides" / f"{provider}.toml"
        source = f"override:{provider}"
        version = content_version(path.read_bytes()) if path.is_file() else "missing"
        result.sources.append(
            SourceInfo(
                source,
                f"Manual overrides for {provider}",
                "curated",
                version,
                license="MIT",
                precedence=PRECEDENCE,
                records=len(entries),
            )
        )
        for index, entry in enumerate(entries):
            prices = {
                k.removeprefix("pricing."): float(v)
                for k, v in entry.set.items()
                if k.startswith("pricing.") and isinstance(v, (int, float))
            }
            record = RawRecord(
                source=source,
                file=str(path),
                position=f"override[{index}]",
                provider_raw=provider,
                provider_model_id=entry.provider_model_id,
                prices=prices,
                override=True,
            )
            for key, value in entry.set.items():
                if not key.startswith("pricing.") and hasattr(record, key):
                    setattr(record, key, value)
            result.records.append(record)
    return result


def listing(context: LoadContext) -> list[dict[str, Any]]:
    """The override entries as ``report.json`` lists them (provider, id, reason, date, set)."""
    if context.curated is None:
        return []
    return [
        {
            "provider": provider,
            "provider_model_id": entry.provider_model_id,
            "reason": entry.reason,
            "date": entry.date.isoformat(),
            "set": entry.set,
        }
        for provider, entries in sorted(context.curated.overrides.items())
        for entry in entries
    ]
