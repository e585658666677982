"""Recognise the shape of a model-list answer and walk its entries.

Each shape is a small function that says whether a parsed document has that
shape and yields ``(position, model_id, entry)`` for every entry, where
``position`` names the entry inside the file (``data[12]``, ``models["gpt-4o"]``).
An entry that is not an object is yielded too (with ``model_id`` None) so the
caller can quarantine it instead of losing it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

Entry = tuple[str, str | None, Any]


def _entry_id(entry: Any) -> str | None:
    if not isinstance(entry, dict):
        return None
    for key in ("id", "name", "model", "slug"):
        value = entry.get(key)
        if isinstance(value, str) and value.strip():
            value = value.strip()
            # Google's native list names models "models/gemini-2.5-flash".
            return value.removeprefix("models/") if key == "name" else value
    return None


def _walk_list(items: list[Any], label: str) -> Iterator[Entry]:
    for index, entry in enumerate(items):
        yield f"{label}[{index}]", _entry_id(entry), entry


@dataclass(frozen=True, slots=True)
class Shape:
    """One known layout of a model-list answer."""

    name: str
    description: str
    matches: Callable[[Any], bool]
    entries: Callable[[Any], Iterator[Entry]]


def _is_keyed_map(doc: Any) -> bool:
    return isinstance(doc, dict) and "sample_spec" in doc


def _keyed_entries(doc: dict[str, Any]) -> Iterator[Entry]:
    for key in doc:
        if key == "sample_spec":
            continue
        entry = doc[key]
        yield f'["{key}"]', key, entry


def _has_list(doc: Any, key: str) -> bool:
    return isinstance(doc, dict) and isinstance(doc.get(key), list)


def _models_list_kind(doc: Any) -> str | None:
    if not _has_list(doc, "models"):
        return None
    first = next((m for m in doc["models"] if isinstance(m, dict)), None)
    if first is None:
        return "generic"
    if str(first.get("name", "")).startswith("models/") or "supportedGenerationMethods" in first:
        return "google"
    if "endpoints" in first:
        return "cohere"
    if "details" in first or "model" in first:
        return "ollama"
    return "generic"


SHAPES: tuple[Shape, ...] = (
    Shape(
        "litellm-map",
        'an object keyed by model id with a "sample_spec" entry (LiteLLM price map)',
        _is_keyed_map,
        _keyed_entries,
    ),
    Shape(
        "anthropic",
        '{"data": [...], "has_more": ...} (Anthropic)',
        lambda d: _has_list(d, "data") and "has_more" in d,
        lambda d: _walk_list(d["data"], "data"),
    ),
    Shape(
        "openai-list",
        '{"object": "list", "data": [...]} or any {"data": [...]} (OpenAI and most OpenAI-compatible APIs)',
        lambda d: _has_list(d, "data"),
        lambda d: _walk_list(d["data"], "data"),
    ),
    Shape(
        "google",
        '{"models": [{"name": "models/...", "inputTokenLimit", ...}]} (Google native)',
        lambda d: _models_list_kind(d) == "google",
        lambda d: _walk_list(d["models"], "models"),
    ),
    Shape(
        "cohere",
        '{"models": [{"name", "endpoints", "context_length", "features"}]} (Cohere)',
        lambda d: _models_list_kind(d) == "cohere",
        lambda d: _walk_list(d["models"], "models"),
    ),
    Shape(
        "ollama",
        '{"models": [{"name", "details"}]} (Ollama)',
        lambda d: _models_list_kind(d) in ("ollama", "generic"),
        lambda d: _walk_list(d["models"], "models"),
    ),
    Shape(
        "array",
        "a JSON array of model objects (Together, LLM7)",
        lambda d: isinstance(d, list),
        lambda d: _walk_list(d, ""),
    ),
)


def detect(doc: Any) -> Shape | None:
    """The first shape that matches ``doc``, or None."""
    for shape in SHAPES:
        if shape.matches(doc):
            return shape
    return None


def known_shapes() -> str:
    """A one-line list of the shapes, for the unknown-shape error."""
    return "; ".join(f"{s.name}: {s.description}" for s in SHAPES)
