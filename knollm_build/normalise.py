"""Normalise stage: canonical provider ids, canonical model identity, modes and modalities.

Pure functions over records: each :class:`RawRecord` becomes a
:class:`NormalRecord` that knows its canonical provider and model, its variant
tags, and which of its facts were inferred from the name rather than stated.
"""

from __future__ import annotations

import re
from functools import lru_cache
from collections import Counter
from dataclasses import dataclass, field

from knollm_build.canonical import Rules, canonicalise
from knollm_build.catalog_files import ProviderFile, spelling_key
from knollm_build.records import RawRecord

KNOWN_MODALITIES = frozenset({"text", "image", "audio", "video", "pdf", "file", "embedding"})


@dataclass(slots=True)
class ProviderResolver:
    """Folds every source's spelling of a provider to one canonical id."""

    exact: dict[str, str]
    prefixes: list[tuple[str, str]]
    seen: Counter[tuple[str, str]] = field(default_factory=Counter)
    resolved: dict[str, str] = field(default_factory=dict)
    """Cache: spelling -> canonical id."""
    """(spelling, canonical id) pairs resolved, for the report."""

    @classmethod
    def from_curated(cls, providers: dict[str, ProviderFile]) -> ProviderResolver:
        exact: dict[str, str] = {}
        prefixes: list[tuple[str, str]] = []
        for provider_id, provider in sorted(providers.items()):
            exact[spelling_key(provider_id)] = provider_id
            for alias in provider.aliases:
                exact.setdefault(spelling_key(alias), provider_id)
            prefixes.extend((spelling_key(p), provider_id) for p in provider.alias_prefixes)
        prefixes.sort(key=lambda item: -len(item[0]))
        return cls(exact, prefixes)

    def resolve(self, spelling: str) -> str:
        canonical = self.resolved.get(spelling)
        if canonical is None:
            key = spelling_key(spelling)
            canonical = self.exact.get(key)
            if canonical is None:
                canonical = next(
                    (pid for prefix, pid in self.prefixes if key.startswith(prefix)), key
                )
            self.resolved[spelling] = canonical
        self.seen[(spelling, canonical)] += 1
        return canonical


# Modes guessed from names when no source states one (checked in order).
MODE_FROM_NAME: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"rerank"), "rerank"),
    (re.compile(r"embed|bge-|gte-|e5-|minilm|nomic-embed"), "embedding"),
    (re.compile(r"whisper|transcri|speech-to-text|stt\b"), "audio-transcription"),
    (re.compile(r"\btts\b|-tts|text-to-speech|orpheus|playai-tts"), "audio-speech"),
    (
        re.compile(
            r"dall-e|flux|stable-diffusion|sdxl|imagen|gpt-image|image-gen|seedream|ideogram|recraft"
        ),
        "image",
    ),
    (re.compile(r"moderation|guard"), "moderation"),
    (re.compile(r"\bveo|video|sora|kling|wan2|seedance"), "video"),
)
VISION_FROM_NAME = re.compile(
    r"vision|-vl\b|-vl-|vl-|pixtral|llava|qvq|-omni|gemini|gpt-4o|gpt-4\.1|gpt-5|claude-(3|sonnet|opus|haiku)"
)


BASE_NAME = re.compile(r"\(base\)|\bbase model\b", re.IGNORECASE)
"""A display name that says the record is the pre-trained checkpoint ("Llama 3.1 405B (base)")."""


@dataclass(slots=True)
class NormalRecord:
    """A raw record placed in the catalog: canonical provider and model, tags, inferences."""

    raw: RawRecord
    provider: str
    model: str
    variant: tuple[str, ...]
    creator: str | None
    mode: str
    input_modalities: list[str] | None
    output_modalities: list[str] | None
    inferred: list[str]
    precedence: int


@lru_cache(maxsize=65536)
def infer_mode(model_id: str) -> str:
    lowered = model_id.lower()
    for pattern, mode in MODE_FROM_NAME:
        if pattern.search(lowered):
            return mode
    return "chat"


def _clean_modalities(values: list[str] | None) -> list[str] | None:
    if values is None:
        return None
    return sorted({v for v in (m.lower() for m in values) if v in KNOWN_MODALITIES})


@lru_cache(maxsize=65536)
def _default_modalities(mode: str, model_id: str) -> tuple[list[str], list[str]]:
    if mode == "embedding":
        return ["text"], ["embedding"]
    if mode == "image":
        return ["text"], ["image"]
    if mode == "audio-speech":
        return ["text"], ["audio"]
    if mode == "audio-transcription":
        return ["audio"], ["text"]
    if mode == "video":
        return ["text"], ["video"]
    inputs = ["image", "text"] if VISION_FROM_NAME.search(model_id.lower()) else ["text"]
    return inputs, ["text"]


def normalise_record(
    record: RawRecord,
    providers: ProviderResolver,
    rules: Rules,
    precedence: int,
    hint: str | None = None,
) -> NormalRecord:
    """Place one record: provider id, model identity, mode and modalities (inferred ones marked).

    ``hint`` is a model hint another source gave for the same id (see :func:`normalise`).
    """
    provider = providers.resolve(record.provider_raw)
    base = bool(record.name and BASE_NAME.search(record.name))
    hint = record.model_hint or hint
    identity = canonicalise(hint or record.provider_model_id, rules, base)
    variant = set(identity.variant) | set(record.variant_hint)
    if hint:
        # Tags on the exact id (":free", "-fp8") still describe this offering.
        variant |= set(canonicalise(record.provider_model_id, rules).variant)
    inferred: list[str] = []
    mode = record.mode
    if mode is None:
        mode = infer_mode(record.provider_model_id)
        inferred.append("mode")
    inputs = _clean_modalities(record.input_modalities)
    outputs = _clean_modalities(record.output_modalities)
    if not inputs or not outputs:
        default_in, default_out = _default_modalities(mode, record.provider_model_id)
        if not inputs:
            inputs = list(default_in)
            inferred.append("input_modalities")
        if not outputs:
            outputs = list(default_out)
            inferred.append("output_modalities")
    return NormalRecord(
        raw=record,
        provider=provider,
        model=identity.model,
        variant=tuple(sorted(variant)),
        creator=identity.creator,
        mode=mode,
        input_modalities=inputs,
        output_modalities=outputs,
        inferred=inferred,
        precedence=precedence,
    )


def normalise(
    records: list[RawRecord], providers: ProviderResolver, rules: Rules, precedence: dict[str, int]
) -> list[NormalRecord]:
    """Normalise every record (order kept).

    A model hint one source gives for a namespaced id (OpenRouter's ``hugging_face_id`` for
    ``sao10k/l3-euryale-70b``) also places the same id from every other source and host
    (models.dev's OpenRouter records, RedPill's mirror of OpenRouter's ids), so one id is one
    model whoever lists it.
    """
    hints: dict[str, str] = {}
    for record in records:
        if record.model_hint and "/" in record.provider_model_id:
            hints.setdefault(_hint_key(record.provider_model_id), record.model_hint)
    return [
        normalise_record(
            r,
            providers,
            rules,
            precedence.get(r.source, 50),
            None if r.model_hint or not hints else hints.get(_hint_key(r.provider_model_id)),
        )
        for r in records
    ]


def _hint_key(provider_model_id: str) -> str:
    """The id a hint is shared under: lower case, without a ``:free``-style tag."""
    return provider_model_id.lower().split(":", 1)[0]
