"""LiteLLM's price map (``model_prices_and_context_window_backup.json``).

The map ships inside the ``litellm`` wheel. Installing litellm would pull its whole
runtime (openai, tiktoken, tokenizers, aiohttp, boto3…) into every environment
that compiles the catalog, so we read the one JSON file as data instead, from
the first of:

1. ``$KNOLLM_LITELLM_MAP`` — a path to the JSON file or to a litellm wheel;
2. a ``litellm-<version>-*.whl`` in ``$KNOLLM_SOURCES_CACHE`` (default ``.cache/sources``),
   put there by ``make sources`` (``pip download --no-deps litellm==<pinned>``);
3. an installed ``litellm`` distribution, located through its metadata without importing it.

The version read must equal :data:`LITELLM_VERSION`; a different one is an error,
because the pinned version is part of what makes two builds byte-identical.

The same parser reads ``models_litellm.json`` snapshots found in work directories.
"""

from __future__ import annotations

import os
import re
import zipfile
from importlib import metadata
from pathlib import Path
from typing import Any

import orjson

from knollm_build.records import Problem, RawRecord, SourceInfo, SourceResult
from knollm_build.sources.base import LoadContext, record_from_entry

LITELLM_VERSION = "1.110.2"
RELEASED = {"1.110.2": "2026-09"}
"""Release month of each LiteLLM version read, the capture date of its price map (the map itself
carries no date); newer sources outweigh older ones in merge."""
MAP_MEMBER = "litellm/model_prices_and_context_window_backup.json"
SOURCE_ID = "litellm"

_REGION = re.compile(r"^(\*|global|eu|us|apac|[a-z]{2}(-gov)?-[a-z]+-\d)$")
_COMMITMENT = re.compile(r"^\d+-month-commitment$")
_SIZE_OR_STEPS = re.compile(r"^(\d+-x-\d+|(\d+|max)-steps)$")


def _provider_prefixes(provider: str) -> set[str]:
    """Spellings a key may start with for this ``litellm_provider``."""
    return {provider, provider.split("-")[0], provider.split("_")[0]}


def split_key(key: str, provider: str | None) -> tuple[str | None, str | None, str | None]:
    """(provider, provider_model_id, exclusion reason) for one price-map key."""
    parts = key.split("/")
    if any(_SIZE_OR_STEPS.match(part) for part in parts):
        return provider, None, "price of one image size or step count, not a separate API id"
    if provider is None:
        if len(parts) < 2:
            return None, None, None
        provider = parts[0]
    if len(parts) > 1 and parts[0] in _provider_prefixes(provider):
        parts = parts[1:]
    if len(parts) > 1 and _REGION.match(parts[0]):
        if len(parts) > 2 and _COMMITMENT.match(parts[1]):
            return (
                provider,
                None,
                "provisioned-throughput commitment price, not an on-demand offering",
            )
        return provider, None, f"regional price ({parts[0]}); the catalog keeps the global price"
    return provider, "/".join(parts), None


def parse_map(
    doc: dict[str, Any], *, source: str, file: str
) -> tuple[list[RawRecord], list[Problem], int]:
    """Records from a parsed price map; returns (records, problems, records read)."""
    records: list[RawRecord] = []
    problems: list[Problem] = []
    read = 0
    for key, entry in doc.items():
        if key == "sample_spec":
            continue
        read += 1
        position = f'["{key}"]'
        if not isinstance(entry, dict):
            problems.append(
                Problem(
                    "quarantined",
                    file,
                    position,
                    "record is not an object",
                    value=type(entry).__name__,
                )
            )
            continue
        declared = entry.get("litellm_provider")
        provider, model_id, excluded = split_key(
            key, declared if isinstance(declared, str) and declared else None
        )
        if excluded:
            problems.append(Problem("excluded", file, position, excluded))
            continue
        if provider is None or not model_id:
            problems.append(
                Problem(
                    "quarantined",
                    file,
                    position,
                    "no litellm_provider and no provider prefix in the key",
                )
            )
            continue
        record = record_from_entry(
            entry,
            source=source,
            file=file,
            position=position,
            provider_raw=provider,
            provider_model_id=model_id,
            problems=problems,
        )
        record.name = None  # the map has no display names; its "name"-like fields are ids
        for attr in ("successor", "alias_of"):  # map keys -> the API ids the catalog uses
            target = getattr(record, attr)
            if target:
                setattr(record, attr, split_key(target, provider)[1] or target)
        if record.context_window is None and record.max_input_tokens is not None:
            record.context_window = (
                record.max_input_tokens
            )  # LiteLLM states the window as max_input_tokens
        records.append(record)
    return records, problems, read


def _cache_dir() -> Path:
    return Path(os.environ.get("KNOLLM_SOURCES_CACHE", ".cache/sources"))


def _read_wheel(path: Path) -> tuple[bytes, str]:
    match = re.match(r"litellm-([^-]+)-", path.name)
    with zipfile.ZipFile(path) as wheel:
        return wheel.read(MAP_MEMBER), match.group(1) if match else "unknown"


def locate_map() -> tuple[bytes, str, str]:
    """(bytes of the map, litellm version, where it was found); raises FileNotFoundError with the fix."""
    override = os.environ.get("KNOLLM_LITELLM_MAP")
    if override:
        path = Path(override)
        if path.suffix == ".whl":
            data, version = _read_wheel(path)
            return data, version, str(path)
        return path.read_bytes(), LITELLM_VERSION, str(path)
    wheels = sorted(_cache_dir().glob(f"litellm-{LITELLM_VERSION}-*.whl"))
    if wheels:
        data, version = _read_wheel(wheels[0])
        return data, version, str(wheels[0])
    try:
        dist = metadata.distribution("litellm")
    except metadata.PackageNotFoundError:
        dist = None
    if dist is not None:
        located = Path(str(dist.locate_file(MAP_MEMBER)))
        if located.is_file():
            return located.read_bytes(), dist.version, str(located)
    raise FileNotFoundError(
        f"LiteLLM price map not found: run `make sources` (downloads litellm=={LITELLM_VERSION} "
        f"into {_cache_dir()}), set KNOLLM_LITELLM_MAP, or pass --no-default-sources"
    )


def load(context: LoadContext) -> SourceResult:
    """The pinned LiteLLM price map as records."""
    try:
        data, version, where = locate_map()
    except (FileNotFoundError, OSError, KeyError, zipfile.BadZipFile) as exc:
        info = SourceInfo(SOURCE_ID, "LiteLLM price map", "open-catalog", "missing", precedence=30)
        return SourceResult([info], problems=[Problem("error", "litellm", "", str(exc))])
    info = SourceInfo(
        SOURCE_ID,
        "LiteLLM price map",
        "open-catalog",
        version,
        license="MIT",
        url="https://pypi.org/project/litellm/",
        captured_at=RELEASED.get(version),
        precedence=30,
        zero_means_unknown=True,
    )
    problems: list[Problem] = []
    if version != LITELLM_VERSION:
        problems.append(
            Problem(
                "error",
                where,
                "",
                f"litellm version {version} found, {LITELLM_VERSION} pinned; output will differ",
            )
        )
    try:
        doc = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        return SourceResult([info], problems=[Problem("error", where, "", f"invalid JSON: {exc}")])
    records, more, read = parse_map(
        doc, source=SOURCE_ID, file="litellm:" + MAP_MEMBER.split("/")[-1]
    )
    info.records = read
    return SourceResult([info], records, problems + more, records_read=read)
