"""models.dev's canonical model records: ``DIR/models_dev_canonical/models.json``.

These records describe models, not offerings: no provider, price or API id. Each is keyed
``<lab>/<model>`` and states what the lab published — release date, knowledge cut-off,
modalities, tool calling, reasoning, open weights, limits — plus a model card (benchmarks with
their source and date, licence, links, weights). They become :class:`ModelFact` records that
the assemble stage puts first when it decides a model's facts. The file's shape is the one
models.dev publishes at ``/models.json`` (an object keyed by id), so a live copy reads the same.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from knollm_build.records import Problem, SourceInfo, SourceResult
from knollm_build.sources.base import LoadContext, content_version, display_path
from knollm_build.sources.fields import iso_date

MODALITIES = frozenset({"text", "image", "audio", "video", "pdf", "file", "embedding"})
"""The contract's modalities (:data:`knollm_build.schema.Modality`)."""

SOURCE_ID = "models-dev-canonical"
FOLDER = "models_dev_canonical"
FILE = "models.json"


@dataclass(slots=True)
class ModelFact:
    """What a model's own canonical record states about it (None: not stated)."""

    key: str
    """The record's id, ``<lab>/<model>``."""
    source: str
    file: str
    name: str | None = None
    family: str | None = None
    released: str | None = None
    knowledge_cutoff: str | None = None
    open_weights: bool | None = None
    input_modalities: list[str] | None = None
    output_modalities: list[str] | None = None
    capabilities: dict[str, bool] = field(default_factory=dict)
    context_window: int | None = None
    max_output_tokens: int | None = None
    license: str | None = None
    links: list[dict[str, str]] = field(default_factory=list)
    weights: list[dict[str, str]] = field(default_factory=list)
    benchmarks: list[dict[str, Any]] = field(default_factory=list)


def _modalities(value: Any) -> list[str] | None:
    if not isinstance(value, list):
        return None
    return sorted({str(v).lower() for v in value if str(v).lower() in MODALITIES})


def _links(value: Any) -> list[dict[str, str]]:
    out = []
    for item in value if isinstance(value, list) else []:
        if isinstance(item, dict):
            label, url = item.get("label"), item.get("url")
            if isinstance(label, str) and isinstance(url, str) and url.startswith("https://"):
                out.append({"label": label, "url": url})
    return out


def _benchmarks(value: Any) -> list[dict[str, Any]]:
    out = []
    for item in value if isinstance(value, list) else []:
        if not isinstance(item, dict):
            continue
        name, score = item.get("name"), item.get("score")
        if (
            not isinstance(name, str)
            or isinstance(score, bool)
            or not isinstance(score, int | float)
        ):
            continue
        entry: dict[str, Any] = {"name": name, "score": float(score)}
        for key in ("metric", "source"):
            if isinstance(item.get(key), str):
                entry[key] = item[key]
        if date := iso_date(item.get("date")):
            entry["date"] = date
        out.append(entry)
    return out


def _object(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _limit(value: Any) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool) and 0 < value <= 100_000_000:
        return value
    return None


def parse(doc: Any, file: str) -> tuple[list[ModelFact], list[Problem], int]:
    """(facts, problems, records read) from one canonical-models document."""
    facts: list[ModelFact] = []
    problems: list[Problem] = []
    if not isinstance(doc, dict):
        problems.append(
            Problem("error", file, "", "canonical models file is not an object keyed by id")
        )
        return facts, problems, 0
    read = 0
    for key, record in sorted(doc.items()):
        read += 1
        position = f"[{key!r}]"
        if not isinstance(record, dict) or "/" not in str(key):
            problems.append(
                Problem("error", file, position, "not a canonical model record (<lab>/<model>)")
            )
            continue
        modalities: dict[str, Any] = _object(record.get("modalities"))
        limit: dict[str, Any] = _object(record.get("limit"))
        capabilities = {
            cap: record[name]
            for name, cap in (
                ("tool_call", "tools"),
                ("reasoning", "reasoning"),
                ("structured_output", "structured_output"),
            )
            if isinstance(record.get(name), bool)
        }
        inputs = _modalities(modalities.get("input"))
        if inputs is not None:
            capabilities["vision"] = "image" in inputs
        license_ = record.get("license")
        facts.append(
            ModelFact(
                key=str(key),
                source=SOURCE_ID,
                file=file,
                name=record.get("name") if isinstance(record.get("name"), str) else None,
                family=record.get("family") if isinstance(record.get("family"), str) else None,
                released=iso_date(record.get("release_date")),
                knowledge_cutoff=iso_date(record.get("knowledge")),
                open_weights=record.get("open_weights")
                if isinstance(record.get("open_weights"), bool)
                else None,
                input_modalities=inputs,
                output_modalities=_modalities(modalities.get("output")),
                capabilities=capabilities,
                context_window=_limit(limit.get("context")),
                max_output_tokens=_limit(limit.get("output")),
                license=license_ if isinstance(license_, str) and license_ else None,
                links=_links(record.get("links")),
                weights=_links(record.get("weights")),
                benchmarks=_benchmarks(record.get("benchmarks")),
            )
        )
    return facts, problems, read


def load(context: LoadContext) -> SourceResult:
    """Every ``models_dev_canonical/models.json`` in the work directories."""
    result = SourceResult([])
    for work in context.work_dirs:
        path = Path(work) / FOLDER / FILE
        if not path.is_file():
            continue
        shown = display_path(path)
        data = path.read_bytes()
        info = SourceInfo(
            SOURCE_ID,
            "models.dev canonical model records",
            "open-catalog",
            content_version(data),
            license="MIT",
            url="https://models.dev",
            precedence=15,
        )
        try:
            doc = orjson.loads(data)
        except orjson.JSONDecodeError as exc:
            result.sources.append(info)
            result.problems.append(Problem("error", shown, "", f"invalid JSON: {exc}"))
            continue
        facts, problems, read = parse(doc, shown)
        info.records = read
        dates = [f.released for f in facts if f.released]
        info.captured_at = max(dates, default=None)
        result.sources.append(info)
        result.model_facts.extend(facts)
        # Model records are not offerings, so they stay outside the offerings' accounting
        # identity; one that cannot be read is an error with its position.
        result.problems.extend(problems)
    return result
