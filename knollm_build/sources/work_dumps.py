"""Raw provider dumps: ``DIR/model_catalog/*.json`` in each provider's own shape.

The provider id comes from the file name (``models_groq.json`` or ``groq.json``
-> ``groq``); the normalise stage folds it to the canonical id. Special files:

- ``failed_models.json``: the fetch log. Each dump's capture date is its
  provider's ``last_success``; a provider whose last fetch failed is stale.
- ``*_manual.json``: a hand-written list for that provider; it outranks the
  provider's fetched dump.
- ``*_best.json``: a hand-picked subset of that provider's dump, read as more
  records of the same provider (they merge as duplicates), not a second provider.
- ``models_litellm.json``: a snapshot of LiteLLM's price map covering many
  providers, not a provider called "litellm".
- Hugging Face's router dump, whose entries list the upstream ``providers`` that
  serve them: each upstream becomes an offering ``<model>:<upstream>`` at
  ``huggingface`` (the router's own syntax for picking one) beside the plain
  ``<model>`` offering, where the router chooses.
"""

from __future__ import annotations

from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

import orjson

from knollm_build.records import Problem, RawRecord, SourceInfo, SourceResult
from knollm_build.sources import litellm_map
from knollm_build.sources.base import (
    LoadContext,
    content_version,
    display_path,
    record_from_entry,
    resolve_units,
)
from knollm_build.sources.shapes import detect, known_shapes

FETCH_LOG = "failed_models.json"
PRECEDENCE_MANUAL = 5
PRECEDENCE_DUMP = 10
PRECEDENCE_SNAPSHOT = 40  # an old LiteLLM snapshot ranks below the pinned package


def provider_from_filename(path: Path) -> tuple[str, str]:
    """(provider spelling, role) from a dump's file name; role is dump, manual, best or litellm."""
    stem = path.stem.lower().removeprefix("models_")
    for suffix, role in (("_manual", "manual"), ("_best", "best")):
        if stem.endswith(suffix):
            return stem.removesuffix(suffix), role
    if stem == "litellm":
        return stem, "litellm"
    return stem, "dump"


def _capture_dates(log: Any) -> dict[str, tuple[str | None, bool, str]]:
    """provider -> (ISO capture date, last attempt failed, error) from the fetch log."""
    out: dict[str, tuple[str | None, bool, str]] = {}
    if not isinstance(log, dict):
        return out
    for provider, entry in log.items():
        if not isinstance(entry, dict):
            continue
        captured = None
        raw = entry.get("last_success")
        if isinstance(raw, str) and raw:
            try:
                captured = parsedate_to_datetime(raw).date().isoformat()
            except (TypeError, ValueError):
                captured = raw[:10] if raw[:4].isdigit() else None
        out[str(provider).lower()] = (
            captured,
            bool(entry.get("failed")),
            str(entry.get("error") or ""),
        )
    return out


def _read_json(path: Path, shown: str, problems: list[Problem]) -> tuple[Any, bytes] | None:
    try:
        data = path.read_bytes()
    except OSError as exc:
        problems.append(Problem("error", shown, "", f"cannot read file: {exc.strerror or exc}"))
        return None
    if not data.strip():
        problems.append(Problem("error", shown, "", "file is empty"))
        return None
    try:
        return orjson.loads(data), data
    except orjson.JSONDecodeError as exc:
        problems.append(Problem("error", shown, "", f"invalid JSON ({exc})"))
        return None


def _huggingface_upstreams(
    entry: dict[str, Any], record: RawRecord, problems: list[Problem]
) -> list[RawRecord]:
    out: list[RawRecord] = []
    upstreams = entry.get("providers")
    if not isinstance(upstreams, list):
        return out
    for index, upstream in enumerate(upstreams):
        position = f"{record.position}.providers[{index}]"
        name = upstream.get("provider") if isinstance(upstream, dict) else None
        if not isinstance(name, str) or not name:
            problems.append(
                Problem("quarantined", record.file, position, "upstream has no provider name")
            )
            continue
        child = record_from_entry(
            upstream,
            source=record.source,
            file=record.file,
            position=position,
            provider_raw=record.provider_raw,
            provider_model_id=f"{record.provider_model_id}:{name}",
            problems=problems,
            defer_units=True,
        )
        child.model_hint = record.provider_model_id
        child.variant_hint = [f"via:{name}"]
        if upstream.get("status") not in (None, "live"):
            child.status = "preview" if upstream.get("status") == "staging" else "retired"
        out.append(child)
    return out


def _read_dump(
    path: Path,
    provider: str,
    role: str,
    captured: tuple[str | None, bool, str] | None,
    taken: set[str],
) -> SourceResult:
    shown = display_path(path)
    problems: list[Problem] = []
    parsed = _read_json(path, shown, problems)
    source_id = f"dump:{path.stem.lower().removeprefix('models_')}"
    while source_id in taken:
        source_id += "+"
    taken.add(source_id)
    info = SourceInfo(
        source_id,
        f"{provider} model list ({path.name})",
        "open-catalog" if role == "litellm" else "provider-dump",
        "unreadable",
        precedence={"manual": PRECEDENCE_MANUAL, "litellm": PRECEDENCE_SNAPSHOT}.get(
            role, PRECEDENCE_DUMP
        ),
        zero_means_unknown=role == "litellm",  # a LiteLLM snapshot, like the live map
    )
    if captured and role in ("dump", "best"):
        # The fetch log dates fetched dumps; hand-written lists and snapshots are not fetched.
        info.captured_at, info.stale = captured[0], captured[1]
    if parsed is None:
        return SourceResult([info], problems=problems)
    doc, data = parsed
    info.version = content_version(data)
    shape = detect(doc)
    if role == "litellm" and (shape is None or shape.name != "litellm-map"):
        problems.append(
            Problem(
                "error",
                shown,
                "",
                'models_litellm.json is read as a LiteLLM price-map snapshot, but it has no "sample_spec" entry; it is not a provider',
            )
        )
        return SourceResult([info], problems=problems)
    if shape is None:
        problems.append(
            Problem("error", shown, "", f"unknown shape; known shapes are: {known_shapes()}")
        )
        return SourceResult([info], problems=problems)
    if shape.name == "litellm-map":
        mapped, more, read = litellm_map.parse_map(doc, source=source_id, file=shown)
        info.records = read
        return SourceResult([info], mapped, problems + more, records_read=read)
    records: list[RawRecord] = []
    read = 0
    seen: dict[str, str] = {}
    for position, model_id, entry in shape.entries(doc):
        read += 1
        if not isinstance(entry, dict):
            problems.append(
                Problem(
                    "quarantined",
                    shown,
                    position,
                    "record is not an object",
                    value=type(entry).__name__,
                )
            )
            continue
        if model_id is None:
            problems.append(
                Problem(
                    "quarantined", shown, position, "record has no model id (id, name or model)"
                )
            )
            continue
        if model_id in seen and role != "best":
            problems.append(
                Problem(
                    "quarantined",
                    shown,
                    position,
                    f"duplicate model id {model_id!r} (first at {seen[model_id]})",
                )
            )
            continue
        seen.setdefault(model_id, position)
        record = record_from_entry(
            entry,
            source=source_id,
            file=shown,
            position=position,
            provider_raw=provider,
            provider_model_id=model_id,
            problems=problems,
            defer_units=True,
        )
        records.append(record)
        if "providers" in entry and isinstance(entry["providers"], list):
            upstreams = _huggingface_upstreams(entry, record, problems)
            read += len(entry["providers"])
            records.extend(upstreams)
    resolve_units(records, shown, problems)
    info.records = read
    return SourceResult([info], records, problems, records_read=read)


def load(context: LoadContext) -> SourceResult:
    """Every dump in every work directory, in a stable order."""
    result = SourceResult([])
    taken: set[str] = set()
    for work in context.work_dirs:
        folder = work / "model_catalog"
        if not folder.is_dir():
            result.problems.append(
                Problem(
                    "error", display_path(work), "", "work directory has no model_catalog/ folder"
                )
            )
            continue
        log_path = folder / FETCH_LOG
        log: dict[str, tuple[str | None, bool, str]] = {}
        if log_path.is_file():
            parsed = _read_json(log_path, display_path(log_path), result.problems)
            log = _capture_dates(parsed[0]) if parsed else {}
        for provider, (_, failed, error) in sorted(log.items()):
            if failed:
                result.problems.append(
                    Problem(
                        "stale",
                        display_path(log_path),
                        provider,
                        f"last fetch failed; dump is stale or missing ({error.splitlines()[0] if error else 'no error text'})",
                    )
                )
        for path in sorted(folder.glob("*.json")):
            if path.name == FETCH_LOG:
                continue
            provider, role = provider_from_filename(path)
            try:
                part = _read_dump(path, provider, role, log.get(provider), taken)
            except Exception as exc:  # a stage boundary: one file's bug never sinks the build
                if context.debug:
                    raise
                part = SourceResult(
                    [],
                    problems=[
                        Problem(
                            "error",
                            display_path(path),
                            "",
                            f"internal error while reading: {exc!r}",
                        )
                    ],
                )
            if (
                role == "litellm"
            ):  # a snapshot taken with this fetch run: dated by its newest capture
                for info in part.sources:
                    info.history_date = max((c[0] for c in log.values() if c[0]), default=None)
            result.sources.extend(part.sources)
            result.records.extend(part.records)
            result.problems.extend(part.problems)
            result.records_read += part.records_read
    return result
