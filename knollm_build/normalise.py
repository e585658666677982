"""Normalise stage: canonical provider ids, canonical model identity, modes and modalities.

Pure functions over records: each :class:`RawRecord` becomes a
:class:`NormalRecord` that knows its canonical provider and model, its variant
tags, and which of its facts were inferred from the name rather than stated.
Provider hints are placed under their canonical provider too, and the table of
provider spellings seen is returned as a plain value (:class:`Normalised`), so
later stages never resolve a provider themselves.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache

from knollm_build.canonical import Rules, canonicalise
from knollm_build.catalog_files import ProviderFile, spelling_key
from knollm_build.records import ProviderHint, RawRecord
from knollm_build.sources.canonical_models import ModelFact

KNOWN_MODALITIES = frozenset({"text", "image", "audio", "video", "pdf", "file", "embedding"})


@dataclass(slots=True)
class ProviderResolver:
    """Folds every source's spelling of a provider to one canonical id."""

    exact: dict[str, str]
    prefixes: list[tuple[str, str]]
    seen: Counter[tuple[str, str]] = field(default_factory=Counter)
    """(spelling, canonical id) pairs resolved, with how often, for the report."""
    resolved: dict[str, str] = field(default_factory=dict)
    """Cache: spelling -> canonical id."""

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
    (re.compile(r"lyria|musicgen|\bmusic|stable-audio|\bsuno\b"), "music"),
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
    captured_at: str | None = None
    """When the record's source was captured (ISO date), for weighing old claims against new."""


ITEM_MODES = frozenset(
    {"embedding", "image", "video", "audio-speech", "audio-transcription", "music", "rerank"}
)
"""Modes a name can assert over a source's generic ``chat`` (a ``flux`` or ``-embed`` id is
never a chat model); ``moderation`` is left out, since guard models answer through chat."""


def mode_from_outputs(outputs: list[str], model_id: str) -> str | None:
    """The mode stated output modalities imply when they hold no text, else None."""
    kinds = set(outputs)
    if not kinds or "text" in kinds and kinds != {"text", "audio"}:
        return None
    if kinds == {"text", "audio"}:  # speech-and-text models are chat, music models are music
        return "music" if infer_mode(model_id) == "music" else None
    if kinds == {"image"}:
        return "image"
    if kinds == {"video"}:
        return "video"
    if kinds == {"embedding"}:
        return "embedding"
    if kinds == {"audio"}:
        return "music" if infer_mode(model_id) == "music" else "audio-speech"
    return None


def decide_mode(record: RawRecord, outputs_stated: list[str] | None) -> tuple[str, bool]:
    """(mode, inferred): stated output modalities first, then the source's stated mode unless it
    is a generic ``chat`` that the id's name or its per-item prices contradict, then the name."""
    model_id = record.provider_model_id
    if outputs_stated:
        implied = mode_from_outputs(outputs_stated, model_id)
        if implied is not None:
            return implied, False
    if record.mode not in (None, "chat"):
        return str(record.mode), False
    prices = record.prices
    if prices.get("per_image") and not (prices.get("input") or prices.get("output")):
        return "image", record.mode is None  # priced per image, not by tokens
    named = infer_mode(model_id)
    if record.mode is None or named in ITEM_MODES:
        return named, record.mode is None
    return record.mode, False


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
    captured_at: str | None = None,
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
    inputs = _clean_modalities(record.input_modalities)
    outputs = _clean_modalities(record.output_modalities)
    mode, guessed = decide_mode(record, outputs)
    if guessed:
        inferred.append("mode")
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
        captured_at=captured_at,
    )


@dataclass(slots=True)
class Normalised:
    """What the normalise stage hands on: placed records, placed hints, provider spellings."""

    records: list[NormalRecord]
    """Every record, in input order."""
    hints: dict[str, ProviderHint]
    """The first provider hint given for each canonical provider id."""
    spellings: dict[tuple[str, str], int]
    """(spelling, canonical provider id) -> how many records and hints used that spelling."""
    model_facts: dict[str, ModelFact] = field(default_factory=dict)
    """Canonical model id -> its canonical record (the undated record before a dated snapshot)."""

    def aliases(self) -> dict[str, set[str]]:
        """For each canonical provider id, the other spellings sources used for it."""
        out: dict[str, set[str]] = {}
        for spelling, canonical in self.spellings:
            if spelling != canonical:
                out.setdefault(canonical, set()).add(spelling)
        return out


def normalise(
    records: list[RawRecord],
    providers: dict[str, ProviderFile],
    rules: Rules,
    precedence: dict[str, int],
    hints: list[ProviderHint] | None = None,
    captured: dict[str, str | None] | None = None,
    facts: list[ModelFact] | None = None,
) -> Normalised:
    """Normalise every record (order kept) and place every provider hint.

    ``precedence`` and ``captured`` give each source id its static precedence and capture date.
    """
    resolver = ProviderResolver.from_curated(providers)
    dates = captured or {}
    # A model hint one source gives for a namespaced id (OpenRouter's ``hugging_face_id`` for
    # ``sao10k/l3-euryale-70b``) also places the same id from every other source and host, so
    # one id is one model whoever lists it.
    shared: dict[str, str] = {}
    for record in records:
        if record.model_hint and "/" in record.provider_model_id:
            shared.setdefault(_hint_key(record.provider_model_id), record.model_hint)
    placed = [
        normalise_record(
            r,
            resolver,
            rules,
            precedence.get(r.source, 50),
            dates.get(r.source),
            None if r.model_hint or not shared else shared.get(_hint_key(r.provider_model_id)),
        )
        for r in records
    ]
    hint_for: dict[str, ProviderHint] = {}
    for hint in hints or []:
        hint_for.setdefault(resolver.resolve(hint.provider_raw), hint)
    return Normalised(placed, hint_for, dict(resolver.seen), place_facts(facts or [], rules))


def place_facts(facts: list[ModelFact], rules: Rules) -> dict[str, ModelFact]:
    """Each canonical record under the canonical model id its own id maps to.

    A dated snapshot's record (``gpt-4o-2024-08-06``) maps to the same model as the undated one;
    the undated record wins, then the first in id order.
    """
    placed: dict[str, tuple[bool, ModelFact]] = {}
    for fact in sorted(facts, key=lambda f: f.key):
        identity = canonicalise(fact.key, rules)
        dated = bool(identity.variant)
        current = placed.get(identity.model)
        if current is None or (current[0] and not dated):
            placed[identity.model] = (dated, fact)
    return {model: fact for model, (_, fact) in placed.items()}


def _hint_key(provider_model_id: str) -> str:
    """The id a hint is shared under: lower case, without a ``:free``-style tag."""
    return provider_model_id.lower().split(":", 1)[0]
