"""Measurements: ``knollm benchmark`` results read into the catalog's ``measurements`` section.

A source adapter of its own kind: it reads ``knollm-measurements`` files (version 1, the format
``knollm benchmark`` writes) from ``catalog/measurements/*.json`` and from any ``--measurements
DIR``, checks each against the format's JSON Schema, and turns every result of a valid file into
one :class:`~knollm_build.schema.Measurement` of an offering the catalog holds. Measured values
are kept apart from catalog facts: this stage never touches an offering.

The schema is ``measurements.schema.json`` beside this module, a byte copy of the client's
``client/src/knollm/measurements.schema.json`` (the single source of truth; the compiler never
imports the client, and a copy inside this package works from an installed wheel, where the
repository layout is gone). ``tests/test_measurements_catalog.py`` fails when the two differ.

Nothing is dropped silently; each problem is an input error (``report.json`` ``errors``) with the
file, the JSON position and the reason:

* a file that cannot be read, is not JSON, or breaks the schema outside ``results[]`` (its
  envelope: who, where, when, settings) is left out whole;
* a ``results[i]`` that breaks the schema is left out, the file's other results kept;
* a result for an offering this catalog does not hold, or a second result for the same offering
  in one file, is left out;
* a file whose run ``id`` an earlier file (in path order) already gave is left out.

Same inputs, same bytes: files are read in path order and entries sorted by provider, API id,
finish time and run id.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

import orjson
from pydantic import ValidationError

from knollm_build.records import Problem
from knollm_build.schema import Measurement

SCHEMA_FILE = Path(__file__).with_name("measurements.schema.json")
FOLDER = "measurements"
"""The folder of ``catalog/`` that holds measurement files."""
MAX_TEXT = 200
"""Longest free-text value (who, where, platform, client) accepted, in characters."""
MAX_ERRORS_PER_FILE = 20
"""Schema errors reported per file before the rest are summed up in one line."""
_TEXT_FIELDS = (
    ("measured_by",),
    ("measured_from", "where"),
    ("measured_from", "platform"),
    ("measured_from", "python"),
    ("measured_from", "client"),
)


@dataclass(slots=True)
class Measured:
    """What the stage produced: the published entries and every problem met."""

    measurements: list[Measurement] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    files: int = 0
    """Measurement files read (valid or not)."""


def measurement_files(folders: Iterable[Path]) -> list[Path]:
    """``*.json`` of each folder that exists, each folder's files in name order."""
    out: list[Path] = []
    for folder in folders:
        if folder.is_dir():
            out.extend(sorted(p for p in folder.glob("*.json") if p.is_file()))
    return out


@cache
def _validator() -> Any:
    import jsonschema  # only builds with measurement files pay for the import

    schema = orjson.loads(SCHEMA_FILE.read_bytes())
    return jsonschema.Draft7Validator(schema)


def position(path: Iterable[str | int]) -> str:
    """A JSON position as the report shows it: ``results[0].ttft_s.median``."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def read(folders: Iterable[Path], offerings: Mapping[tuple[str, str], str]) -> Measured:
    """Every measurement of ``folders``' files; ``offerings`` maps (provider, API id) -> model."""
    measured = Measured()
    runs: dict[str, str] = {}
    for path in measurement_files(folders):
        measured.files += 1
        loaded = _load(path, measured.problems)
        if loaded is None:
            continue
        doc, result_errors = loaded
        name = str(path)
        run_id = doc["id"]
        if run_id in runs:
            measured.problems.append(
                _error(name, "id", f"run {run_id!r} is already read from {runs[run_id]}: skipped")
            )
            continue
        runs[run_id] = name
        bad = _bad_results(result_errors, name, measured.problems)
        seen: set[tuple[str, str]] = set()
        for index, result in enumerate(doc["results"]):
            if index in bad:
                continue
            where = f"results[{index}]"
            key = (result["provider"], result["provider_model_id"])
            if key not in offerings:
                measured.problems.append(
                    _error(
                        name,
                        where,
                        f"no offering {key[0]}:{key[1]} in this catalog: measurement not "
                        "published (check the provider id and the exact API id)",
                    )
                )
                continue
            if key in seen:
                measured.problems.append(
                    _error(name, where, f"second result for {key[0]}:{key[1]} in one run: skipped")
                )
                continue
            seen.add(key)
            try:
                measured.measurements.append(_entry(doc, result, offerings[key]))
            except ValidationError as exc:  # the schema let through what the contract refuses
                reason = _message(exc.errors()[0]["msg"]) if exc.errors() else "invalid"
                measured.problems.append(_error(name, where, f"result skipped: {reason}"))
    measured.measurements.sort(
        key=lambda m: (m.provider, m.provider_model_id, m.finished_at, m.run_id)
    )
    return measured


def _error(file: str, where: str, reason: str) -> Problem:
    return Problem("error", file, where, reason)


def _load(path: Path, problems: list[Problem]) -> tuple[dict[str, Any], list[Any]] | None:
    """The document and the schema errors inside its ``results[]``, if it can be read and its
    envelope is valid; else ``None`` (reported)."""
    name = str(path)
    try:
        doc = orjson.loads(path.read_bytes())
    except OSError as exc:
        problems.append(_error(name, "", f"cannot read ({exc.strerror or exc})"))
        return None
    except orjson.JSONDecodeError as exc:
        problems.append(_error(name, "", f"invalid JSON: {exc}"))
        return None
    found = list(_validator().iter_errors(doc))
    errors = sorted(
        (e for e in found if not _in_result(e.absolute_path)),
        key=lambda e: (position(e.absolute_path), e.message),
    )
    reasons = [
        (position(e.absolute_path), f"not a knollm-measurements v1 file: {_message(e)}")
        for e in errors
    ]
    if not reasons:
        reasons = _envelope_checks(doc)
    for where, reason in reasons[:MAX_ERRORS_PER_FILE]:
        problems.append(_error(name, where, reason))
    if len(reasons) > MAX_ERRORS_PER_FILE:
        problems.append(
            _error(name, "", f"{len(reasons) - MAX_ERRORS_PER_FILE} more problems not listed")
        )
    if reasons:
        problems.append(_error(name, "", "file skipped: none of its measurements is published"))
        return None
    return dict(doc), [e for e in found if _in_result(e.absolute_path)]


def _in_result(path: Iterable[str | int]) -> bool:
    parts = list(path)
    return len(parts) >= 2 and parts[0] == "results" and isinstance(parts[1], int)


def _message(error: Any) -> str:
    """A validator's message, cut short: a hostile file can make it arbitrarily long."""
    text = " ".join(str(getattr(error, "message", error)).split())
    return text if len(text) <= 160 else text[:157] + "..."


def _envelope_checks(doc: dict[str, Any]) -> list[tuple[str, str]]:
    """What the schema leaves open and the catalog needs: real dates, short free text."""
    out = []
    for key in ("started_at", "finished_at"):
        try:
            datetime.fromisoformat(doc[key])
        except ValueError:
            out.append((key, f"not an ISO 8601 date-time (got {doc[key][:40]!r})"))
    for path in _TEXT_FIELDS:
        value: Any = doc
        for part in path:
            value = value.get(part) if isinstance(value, dict) else None
        if isinstance(value, str) and len(value) > MAX_TEXT:
            out.append((position(path), f"longer than {MAX_TEXT} characters ({len(value):,})"))
    return out


def _bad_results(found: list[Any], file: str, problems: list[Problem]) -> set[int]:
    """Indexes of ``results[]`` entries that break the schema (each reported once)."""
    bad: dict[int, str] = {}
    errors = sorted(
        found, key=lambda e: (list(e.absolute_path)[1], position(e.absolute_path), e.message)
    )
    for e in errors:
        index = list(e.absolute_path)[1]
        if index not in bad:
            bad[index] = f"{position(e.absolute_path)}: {_message(e)}"
    for index, reason in bad.items():
        problems.append(_error(file, f"results[{index}]", f"result skipped, not valid: {reason}"))
    return set(bad)


def _spread(value: dict[str, Any]) -> dict[str, Any]:
    return {k: value[k] for k in ("n", "median", "p95") if value.get(k) is not None}


def _entry(doc: dict[str, Any], result: dict[str, Any], model: str) -> Measurement:
    source = doc["measured_from"]
    settings = doc["settings"]
    entry = {
        "provider": result["provider"],
        "provider_model_id": result["provider_model_id"],
        "model": model,
        "run_id": doc["id"],
        "measured_by": doc["measured_by"],
        "where": source["where"],
        "platform": source["platform"],
        "client": source["client"],
        "started_at": doc["started_at"],
        "finished_at": doc["finished_at"],
        "prompts": settings["prompts"],
        "runs": settings["runs"],
        "concurrency": settings["concurrency"],
        "max_tokens": settings["max_tokens"],
        "attempts": result["attempts"],
        "errors": result["errors"],
        "error_rate": result["error_rate"],
        "ttft_s": _spread(result["ttft_s"]),
        "latency_s": _spread(result["latency_s"]),
        "output_tokens_per_s": _spread(result["output_tokens_per_s"]),
    }
    return Measurement.model_validate({k: v for k, v in entry.items() if v is not None})
