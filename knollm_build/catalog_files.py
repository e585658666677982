"""Curated overlays in ``catalog/``: provider metadata and manual overrides.

One entity per file, ids from file names (``catalog/providers/groq.toml`` is
provider ``groq``). Files are validated with strict pydantic models; every error
names the file and field, all are collected, and the caller decides to stop.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from knollm_build.catalog_errors import error_parts
from knollm_build.records import Problem
from knollm_build.schema import ProviderInfo

PRICE_OVERRIDE_PREFIX = "pricing."
OVERRIDABLE = frozenset(
    {
        "name",
        "mode",
        "context_window",
        "max_input_tokens",
        "max_output_tokens",
        "status",
        "deprecation_date",
        "pricing.input",
        "pricing.output",
        "pricing.cache_read",
        "pricing.cache_write",
        "pricing.reasoning",
        "pricing.batch_input",
        "pricing.batch_output",
        "pricing.per_request",
        "pricing.per_image",
    }
)


class ProviderFile(ProviderInfo):
    """``catalog/providers/<id>.toml``: the provider's curated fields (the id is the file name)."""

    alias_prefixes: list[str] = []
    """Source spellings starting with one of these also mean this provider (``vertex_ai-``)."""
    not_duplicate_of: list[str] = []
    """Providers this one shares >= 90 % of its ids and prices with although it is another
    company (both resell at the labs' list prices): exempt from the duplicate check."""


class OverrideEntry(BaseModel):
    """One ``[[override]]`` in ``catalog/overrides/<provider>.toml``."""

    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)

    provider_model_id: str
    """The offering's exact API id at this provider."""
    reason: str
    """Why the sources are wrong or missing; shown on the site."""
    date: date
    """When the value was checked."""
    set: dict[str, float | int | str | None]
    """Dotted offering fields and their values."""


class OverrideFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    override: list[OverrideEntry] = []


@dataclass(slots=True)
class Curated:
    """Everything read from ``catalog/``."""

    providers: dict[str, ProviderFile] = field(default_factory=dict)
    overrides: dict[str, list[OverrideEntry]] = field(default_factory=dict)
    files: list[Path] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


def _errors(path: Path, exc: ValidationError, model: type[BaseModel]) -> list[Problem]:
    """One problem per error: the entry and field as position, the problem and its fix."""
    return [
        Problem("error", str(path), position, reason, value=value)
        for position, reason, value in error_parts(exc, model)
    ]


def _read_toml(path: Path, problems: list[Problem]) -> dict[str, Any] | None:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        problems.append(Problem("error", str(path), "", f"cannot read: {exc}"))
    except tomllib.TOMLDecodeError as exc:
        problems.append(Problem("error", str(path), "", f"invalid TOML: {exc}"))
    return None


def load_curated(catalog_dir: Path) -> Curated:
    """Read and validate every overlay file; problems are collected, never raised."""
    curated = Curated()
    for path in sorted((catalog_dir / "providers").glob("*.toml")):
        curated.files.append(path)
        raw = _read_toml(path, curated.problems)
        if raw is None:
            continue
        try:
            curated.providers[path.stem] = ProviderFile.model_validate(raw)
        except ValidationError as exc:
            curated.problems.extend(_errors(path, exc, ProviderFile))
    for path in sorted((catalog_dir / "overrides").glob("*.toml")):
        curated.files.append(path)
        raw = _read_toml(path, curated.problems)
        if raw is None:
            continue
        try:
            entries = OverrideFile.model_validate(raw).override
        except ValidationError as exc:
            curated.problems.extend(_errors(path, exc, OverrideFile))
            continue
        for index, entry in enumerate(entries):
            unknown = sorted(set(entry.set) - OVERRIDABLE)
            if unknown:
                curated.problems.append(
                    Problem(
                        "error",
                        str(path),
                        f"override[{index}].set",
                        f"unknown field(s) {', '.join(unknown)}; allowed: {', '.join(sorted(OVERRIDABLE))}",
                    )
                )
        curated.overrides[path.stem] = entries
    _check_aliases(curated)
    return curated


def _check_aliases(curated: Curated) -> None:
    """An alias may name one provider only, and never another provider's id."""
    owner: dict[str, str] = {}
    for provider_id, provider in curated.providers.items():
        for alias in provider.aliases:
            key = spelling_key(alias)
            if key in owner and owner[key] != provider_id:
                curated.problems.append(
                    Problem(
                        "error",
                        f"catalog/providers/{provider_id}.toml",
                        "aliases",
                        f"alias {alias!r} is also listed by catalog/providers/{owner[key]}.toml",
                    )
                )
            elif key in curated.providers and key != provider_id:
                curated.problems.append(
                    Problem(
                        "error",
                        f"catalog/providers/{provider_id}.toml",
                        "aliases",
                        f"alias {alias!r} is the id of another provider",
                    )
                )
            owner[key] = provider_id


def spelling_key(spelling: str) -> str:
    """How provider spellings are compared: lower case, underscores as hyphens."""
    return spelling.strip().lower().replace("_", "-")
