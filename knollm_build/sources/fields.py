"""The one documented mapping from providers' field names to catalog fields.

A provider whose model list uses any of the spellings below needs no new code.
Each table is data; :func:`extract` applies them to one model entry.

Prices are the subtle part: the same number means different things under
different keys, so each price key carries its unit. A key inside a ``pricing``
object that is not in :data:`PRICE_KEYS` and not in :data:`IGNORED_PRICE_KEYS`
is not guessed: it is withheld and reported.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

# --- limits -----------------------------------------------------------------
# Dotted paths, first present wins.
CONTEXT_PATHS: tuple[str, ...] = (
    "context_length",
    "context_window",
    "max_context_length",
    "context_size",
    "max_model_len",
    "limits.context",
    "limit.context",
    "inputTokenLimit",
    "metadata.context_length",
    "top_provider.context_length",
    "max_tokens_context",
)
MAX_OUTPUT_PATHS: tuple[str, ...] = (
    "max_completion_tokens",
    "max_output_tokens",
    "max_output_length",
    "outputTokenLimit",
    "limits.output",
    "limit.output",
    "top_provider.max_completion_tokens",
    "metadata.max_tokens",
)
MAX_INPUT_PATHS: tuple[str, ...] = ("max_input_tokens", "limits.input", "limit.input")

# --- prices ------------------------------------------------------------------
# Multiplier that turns the published number into USD per 1M tokens (or USD per
# unit for the per_* fields).
PER_TOKEN = 1_000_000.0
PER_MILLION = 1.0
NOVITA_UNITS = 0.0001  # Novita publishes integers in units of 0.0001 USD per 1M tokens

# (container path, key) -> (pricing field, multiplier). Container "" is the entry itself.
PRICE_KEYS: dict[tuple[str, str], tuple[str, float]] = {
    # OpenRouter style: strings, USD per token (OpenRouter, RedPill, Baseten, Atlas Cloud)
    ("pricing", "prompt"): ("input", PER_TOKEN),
    ("pricing", "completion"): ("output", PER_TOKEN),
    ("pricing", "input_cache_read"): ("cache_read", PER_TOKEN),
    ("pricing", "input_cache_write"): ("cache_write", PER_TOKEN),
    ("pricing", "internal_reasoning"): ("reasoning", PER_TOKEN),
    ("pricing", "request"): ("per_request", 1.0),
    ("pricing", "image"): ("per_image", 1.0),
    # Together / Hugging Face router style: numbers, USD per 1M tokens
    ("pricing", "input"): ("input", PER_MILLION),
    ("pricing", "output"): ("output", PER_MILLION),
    ("pricing", "cached_input"): ("cache_read", PER_MILLION),
    # DeepInfra: metadata.pricing, USD per 1M tokens
    ("metadata.pricing", "input_tokens"): ("input", PER_MILLION),
    ("metadata.pricing", "output_tokens"): ("output", PER_MILLION),
    ("metadata.pricing", "cache_read_tokens"): ("cache_read", PER_MILLION),
    # Novita: top-level integers in 0.0001 USD per 1M tokens
    ("", "input_token_price_per_m"): ("input", NOVITA_UNITS),
    ("", "output_token_price_per_m"): ("output", NOVITA_UNITS),
    # LiteLLM style: USD per token
    ("", "input_cost_per_token"): ("input", PER_TOKEN),
    ("", "output_cost_per_token"): ("output", PER_TOKEN),
    ("", "cache_read_input_token_cost"): ("cache_read", PER_TOKEN),
    ("", "cache_creation_input_token_cost"): ("cache_write", PER_TOKEN),
    ("", "input_cost_per_token_batches"): ("batch_input", PER_TOKEN),
    ("", "output_cost_per_token_batches"): ("batch_output", PER_TOKEN),
    ("", "output_cost_per_reasoning_token"): ("reasoning", PER_TOKEN),
    ("", "input_cost_per_audio_token"): ("input_audio", PER_TOKEN),
    ("", "output_cost_per_audio_token"): ("output_audio", PER_TOKEN),
    ("", "output_cost_per_image"): ("per_image", 1.0),
    ("", "input_cost_per_second"): ("per_second", 1.0),
    ("", "output_cost_per_second"): ("per_second", 1.0),
    ("", "cost_per_request"): ("per_request", 1.0),
    ("", "input_cost_per_request"): ("per_request", 1.0),
    # LiteLLM service tiers, cache lifetimes, off-peak hours, search, regions (USD per token)
    ("", "cache_creation_input_token_cost_above_1hr"): ("cache_write_1h", PER_TOKEN),
    ("", "input_cost_per_token_priority"): ("priority_input", PER_TOKEN),
    ("", "output_cost_per_token_priority"): ("priority_output", PER_TOKEN),
    ("", "cache_read_input_token_cost_priority"): ("priority_cache_read", PER_TOKEN),
    ("", "input_cost_per_token_flex"): ("flex_input", PER_TOKEN),
    ("", "output_cost_per_token_flex"): ("flex_output", PER_TOKEN),
    ("", "cache_read_input_token_cost_flex"): ("flex_cache_read", PER_TOKEN),
    ("off_peak_pricing", "input_cost_per_token"): ("off_peak_input", PER_TOKEN),
    ("off_peak_pricing", "output_cost_per_token"): ("off_peak_output", PER_TOKEN),
    ("off_peak_pricing", "cache_read_input_token_cost"): ("off_peak_cache_read", PER_TOKEN),
    ("search_context_cost_per_query", "search_context_size_medium"): ("per_search", 1.0),
    ("", "regional_endpoint_uplift_multiplier"): ("regional_uplift", 1.0),
}
# Keys inside a ``pricing`` object whose name does not say the unit: the mapping above gives the
# usual reading (OpenRouter's strings are USD per token, Together's numbers USD per 1M), but a
# provider may use the same name in the other unit. Their values are read per dump: see
# :func:`resolve_units`.
AMBIGUOUS_UNITS: dict[float, float] = {PER_TOKEN: PER_MILLION, PER_MILLION: PER_TOKEN}
"""Usual multiplier -> the other reading."""
MAX_TEXT_PRICE = 1_000.0
"""USD per 1M tokens above which a text model's input or output price cannot be real."""


def is_ambiguous(container: str, multiplier: float) -> bool:
    """A token price in a ``pricing`` object, under a key that carries no unit."""
    return container.split(".")[-1] == "pricing" and multiplier in AMBIGUOUS_UNITS


# Price keys that are known and deliberately not token prices (hosting, fine-tuning, free flags).
IGNORED_PRICE_KEYS: frozenset[str] = frozenset(
    {
        "hourly",
        "base",
        "finetune",
        "web_search",
        "discount",
        "currency",
        "unit",
        "audio",
        "input_audio_cache",
        "windows",  # off-peak hours: LiteLLM off_peak_pricing.windows, not a price
        "search_context_size_low",  # the catalog keeps the default (medium) search price
        "search_context_size_high",
        "weekday_timezone",  # of the off-peak windows
    }
)

# Long-context tiers, LiteLLM style: input_cost_per_token_above_200k_tokens etc.
TIER_KEY_PREFIXES: dict[str, str] = {
    "input_cost_per_token_above_": "input",
    "output_cost_per_token_above_": "output",
    "cache_read_input_token_cost_above_": "cache_read",
}

# --- capabilities --------------------------------------------------------------
# Spellings providers use, mapped to catalog capabilities.
CAPABILITY_SYNONYMS: dict[str, str] = {
    "tools": "tools",
    "tool_use": "tools",
    "tool_call": "tools",
    "tool_calling": "tools",
    "function_calling": "tools",
    "function-calling": "tools",
    "functions": "tools",
    "supports_tools": "tools",
    "supports_function_calling": "tools",
    "tool_choice": "tools",
    "supports_parallel_function_calling": "parallel_tools",
    "parallel_tool_calls": "parallel_tools",
    "structured_outputs": "structured_output",
    "structured-outputs": "structured_output",
    "structured_output": "structured_output",
    "supports_structured_output": "structured_output",
    "supports_response_schema": "structured_output",
    "json_schema": "structured_output",
    "json_mode": "json_mode",
    "json-mode": "json_mode",
    "response_format": "json_mode",
    "reasoning": "reasoning",
    "include_reasoning": "reasoning",
    "supports_reasoning": "reasoning",
    "thinking": "reasoning",
    "vision": "vision",
    "supports_vision": "vision",
    "supports_image_input": "vision",
    "image_input": "vision",
    "supports_audio_input": "audio_input",
    "audio": "audio_input",
    "supports_audio_output": "audio_output",
    "supports_prompt_caching": "caching",
    "prompt_caching": "caching",
    "caching": "caching",
    "supports_web_search": "web_search",
    "web_search": "web_search",
    "web_search_options": "web_search",
    "completion_fim": "fim",
    "fim": "fim",
    "fine_tuning": "fine_tuning",
    "supports_pdf_input": "pdf_input",
    "supports_computer_use": "computer_use",
}
# Where capabilities live: a dict of flags, a list of names, or a top-level boolean.
CAPABILITY_DICTS: tuple[str, ...] = ("capabilities", "functionality")
CAPABILITY_LISTS: tuple[str, ...] = ("supported_features", "features", "supported_parameters")
CAPABILITY_FLAGS: tuple[str, ...] = (
    "supports_tools",
    "supports_function_calling",
    "supports_parallel_function_calling",
    "supports_structured_output",
    "supports_response_schema",
    "supports_reasoning",
    "supports_vision",
    "supports_image_input",
    "supports_audio_input",
    "supports_audio_output",
    "supports_prompt_caching",
    "supports_web_search",
    "supports_pdf_input",
    "supports_computer_use",
    "tool_call",
    "reasoning",
)

# --- modalities and mode ----------------------------------------------------------
MODALITY_SYNONYMS: dict[str, str] = {
    "text": "text",
    "image": "image",
    "images": "image",
    "audio": "audio",
    "video": "video",
    "pdf": "pdf",
    "file": "file",
    "files": "file",
    "embedding": "embedding",
    "embeddings": "embedding",
}
INPUT_MODALITY_PATHS: tuple[str, ...] = (
    "architecture.input_modalities",
    "modalities.input",
    "input_modalities",
    "supported_modalities",
)
OUTPUT_MODALITY_PATHS: tuple[str, ...] = (
    "architecture.output_modalities",
    "modalities.output",
    "output_modalities",
    "supported_output_modalities",
)

MODE_SYNONYMS: dict[str, str] = {
    "chat": "chat",
    "chat.completions": "chat",
    "generatecontent": "chat",
    "completion": "completion",
    "completions": "completion",
    "language": "completion",
    "embedding": "embedding",
    "embeddings": "embedding",
    "embed": "embedding",
    "embedcontent": "embedding",
    "image": "image",
    "image_generation": "image",
    "image_edit": "image",
    "images": "image",
    "audio": "audio-speech",
    "audio_speech": "audio-speech",
    "tts": "audio-speech",
    "audio_transcription": "audio-transcription",
    "transcribe": "audio-transcription",
    "transcription": "audio-transcription",
    "stt": "audio-transcription",
    "video": "video",
    "video_generation": "video",
    "rerank": "rerank",
    "moderation": "moderation",
    "moderations": "moderation",
    "ocr": "ocr",
    "search": "search",
    "responses": "responses",
}
MODE_PATHS: tuple[str, ...] = ("mode", "type", "model_type", "task")

NAME_PATHS: tuple[str, ...] = ("display_name", "displayName", "name", "title", "clean_name")
DEPRECATION_PATHS: tuple[str, ...] = ("deprecation_date", "deprecation", "deprecated_at")
LIFECYCLE_KEYS: dict[str, str] = {"successor_model": "successor", "alias_of": "alias_of"}
"""LiteLLM's lifecycle keys -> :class:`Extracted` attributes."""


@dataclass(slots=True)
class Extracted:
    """What :func:`extract` found in one entry."""

    prices: dict[str, float] = field(default_factory=dict)
    tiers: list[dict[str, float]] = field(default_factory=list)
    withheld: list[tuple[str, Any, str]] = field(default_factory=list)
    """(field path, value, reason) for prices that were not published."""
    context_window: int | None = None
    max_input_tokens: int | None = None
    max_output_tokens: int | None = None
    bad_limits: list[tuple[str, Any]] = field(default_factory=list)
    input_modalities: list[str] | None = None
    output_modalities: list[str] | None = None
    capabilities: dict[str, bool] = field(default_factory=dict)
    mode: str | None = None
    name: str | None = None
    status: str | None = None
    deprecation_date: str | None = None
    successor: str | None = None
    alias_of: str | None = None
    ambiguous: dict[str, tuple[Any, float, str]] = field(default_factory=dict)
    """Pricing field -> (raw value, usual multiplier, key path) for prices read per dump."""


@lru_cache(maxsize=256)
def _parts(path: str) -> tuple[str, ...]:
    return tuple(path.split("."))


def get_path(entry: dict[str, Any], path: str) -> Any:
    """Value at a dotted path, or None when any step is missing or not an object."""
    if "." not in path:
        return entry.get(path) if isinstance(entry, dict) else None
    value: Any = entry
    for part in _parts(path):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
        if value is None:
            return None
    return value


def as_number(value: Any) -> float | None:
    """A finite float from a number or numeric string; None otherwise. Booleans are not numbers."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            return None
    else:
        return None
    return number if math.isfinite(number) else None


MAX_SANE_TOKENS = 100_000_000


def _limit(entry: dict[str, Any], paths: tuple[str, ...], out: Extracted) -> int | None:
    for path in paths:
        raw = get_path(entry, path)
        if raw is None:
            continue
        number = as_number(raw)
        if number is None or number != int(number) or not (0 < number <= MAX_SANE_TOKENS):
            out.bad_limits.append((path, raw))
            continue
        return int(number)
    return None


MAX_SANE_PRICE = 1_000_000.0
"""USD per 1M tokens (or per unit) above which a converted price cannot be real."""


def _price_value(raw: Any, multiplier: float = 1.0) -> tuple[float | None, str | None]:
    """The price converted to catalog units, or the reason it is withheld."""
    number = as_number(raw)
    if number is None:
        return None, "price is not a finite number"
    if number < 0:
        # OpenRouter uses -1 for "variable" (router) prices: unknown, not negative.
        return None, "price is negative"
    converted = number * multiplier
    if not math.isfinite(converted) or converted > MAX_SANE_PRICE:
        return None, f"price is not plausible once converted to catalog units ({converted:g})"
    return round(converted, 10), None


def _by_container() -> dict[str, list[tuple[str, str, float]]]:
    grouped: dict[str, list[tuple[str, str, float]]] = {}
    for (container, key), (target, multiplier) in PRICE_KEYS.items():
        grouped.setdefault(container, []).append((key, target, multiplier))
    return grouped


_PRICE_KEYS_BY_CONTAINER = _by_container()
_TIER_HINT = "_above_"


def _extract_prices(entry: dict[str, Any], out: Extracted) -> None:
    for container, keys in _PRICE_KEYS_BY_CONTAINER.items():
        holder = entry if container == "" else get_path(entry, container)
        if not isinstance(holder, dict):
            if holder is not None:
                out.withheld.append((container, holder, "pricing is not an object"))
            continue
        for key, target, multiplier in keys:
            raw = holder.get(key)
            if raw is None:
                continue
            if is_ambiguous(container, multiplier) and target not in out.ambiguous:
                if target not in out.prices:
                    out.ambiguous[target] = (raw, multiplier, f"{container}.{key}")
                continue
            value, problem = _price_value(raw, multiplier)
            if problem:
                out.withheld.append((f"{container}.{key}" if container else key, raw, problem))
                continue
            assert value is not None
            if value == 0 and target not in ("input", "output"):
                continue  # OpenRouter-style lists write 0 for "not offered" extras
            if target in out.prices:
                continue  # first spelling wins; later ones are synonyms
            out.prices[target] = value
        if container:
            for key, raw in holder.items():  # every other key in a pricing object: unit unknown
                if (container, key) in PRICE_KEYS or key in IGNORED_PRICE_KEYS or raw is None:
                    continue
                out.withheld.append(
                    (f"{container}.{key}", raw, "unit of this price field is unknown")
                )
    for key, raw in entry.items():
        if _TIER_HINT not in key:
            continue
        for prefix, target in TIER_KEY_PREFIXES.items():
            if not key.startswith(prefix) or not key.endswith("_tokens"):
                continue  # service-tier variants (_priority, _flex, _batches) are not published
            threshold = _tokens_from_suffix(key[len(prefix) :])
            value, problem = _price_value(raw, PER_TOKEN)
            if threshold is None or problem:
                out.withheld.append(
                    (key, raw, problem or "tier threshold is not a sane token count")
                )
                continue
            assert value is not None
            _tier(out.tiers, threshold)[target] = value


def read_price(
    prices: dict[str, float],
    withheld: list[tuple[str, Any, str]],
    target: str,
    raw: Any,
    multiplier: float,
    path: str,
) -> None:
    """Convert one price into ``prices`` (or ``withheld``), with :func:`_extract_prices`' rules."""
    value, problem = _price_value(raw, multiplier)
    if problem:
        withheld.append((path, raw, problem))
        return
    assert value is not None
    if value == 0 and target not in ("input", "output"):
        return
    prices.setdefault(target, value)


def plausible_share(values: list[float]) -> float:
    """The share of positive USD-per-1M token prices that a text model could really cost."""
    positive = [v for v in values if v > 0]
    if not positive:
        return 1.0
    return sum(1 for v in positive if v <= MAX_TEXT_PRICE) / len(positive)


def _tier(tiers: list[dict[str, float]], threshold: int) -> dict[str, float]:
    for tier in tiers:
        if tier["above_input_tokens"] == threshold:
            return tier
    tier = {"above_input_tokens": threshold}
    tiers.append(tier)
    tiers.sort(key=lambda t: t["above_input_tokens"])
    return tier


def _tokens_from_suffix(suffix: str) -> int | None:
    """``200k_tokens`` -> 200000; ``1m_tokens`` -> 1000000; None unless a sane positive token count."""
    text = suffix.lower().removesuffix("_tokens")
    scale = {"k": 1_000, "m": 1_000_000}.get(text[-1:], None)
    digits = text[:-1] if scale else text
    number = as_number(digits)
    if number is None:
        return None
    tokens = number * (scale or 1)
    return int(tokens) if 0 < tokens <= MAX_SANE_TOKENS else None


def _extract_capabilities(entry: dict[str, Any], out: Extracted) -> None:
    caps = out.capabilities
    for path in CAPABILITY_DICTS:
        holder = get_path(entry, path)
        if isinstance(holder, dict):
            for key, flag in holder.items():
                target = CAPABILITY_SYNONYMS.get(str(key).lower())
                if target and isinstance(flag, bool):
                    caps[target] = caps.get(target, False) or flag
    for path in CAPABILITY_LISTS:
        holder = get_path(entry, path)
        if isinstance(holder, list):
            for name in holder:
                target = (
                    CAPABILITY_SYNONYMS.get(str(name).lower()) if isinstance(name, str) else None
                )
                if target:
                    caps[target] = True
    for key in CAPABILITY_FLAGS:
        flag = entry.get(key)
        target = CAPABILITY_SYNONYMS.get(key)
        if target and isinstance(flag, bool):
            caps[target] = caps.get(target, False) or flag


def _modalities(entry: dict[str, Any], paths: tuple[str, ...]) -> list[str] | None:
    for path in paths:
        raw = get_path(entry, path)
        if isinstance(raw, list):
            found = {
                MODALITY_SYNONYMS[str(m).lower()]
                for m in raw
                if str(m).lower() in MODALITY_SYNONYMS
            }
            return sorted(found)
    return None


def _modality_arrow(entry: dict[str, Any], out: Extracted) -> None:
    """OpenRouter's ``architecture.modality``: ``text+image->text``."""
    raw = get_path(entry, "architecture.modality")
    if not isinstance(raw, str) or "->" not in raw:
        return
    left, right = raw.split("->", 1)
    if out.input_modalities is None:
        out.input_modalities = sorted(
            {MODALITY_SYNONYMS[m] for m in left.split("+") if m in MODALITY_SYNONYMS}
        )
    if out.output_modalities is None:
        out.output_modalities = sorted(
            {MODALITY_SYNONYMS[m] for m in right.split("+") if m in MODALITY_SYNONYMS}
        )


def _mode(entry: dict[str, Any]) -> str | None:
    for path in MODE_PATHS:
        raw = get_path(entry, path)
        if isinstance(raw, str) and raw.lower() in MODE_SYNONYMS:
            return MODE_SYNONYMS[raw.lower()]
    methods = entry.get("supportedGenerationMethods") or entry.get("endpoints")
    if isinstance(methods, list):
        names = [str(m).lower().replace("_", "") for m in methods]
        for candidate in (
            "generatecontent",
            "chat",
            "completion",
            "embedcontent",
            "embed",
            "rerank",
        ):
            if candidate in names:
                return MODE_SYNONYMS.get(candidate, None)
    return None


def iso_date(raw: Any) -> str | None:
    """An ISO date (``YYYY-MM-DD`` or ``YYYY-MM``) from a date string or a Unix timestamp."""
    if isinstance(raw, bool) or raw is None:
        return None
    if isinstance(raw, (int, float)) and math.isfinite(raw) and raw > 0:
        seconds = raw / 1000 if raw > 10**11 else raw  # milliseconds (Poe) or seconds
        try:
            return datetime.fromtimestamp(seconds, tz=UTC).date().isoformat()
        except (OverflowError, OSError, ValueError):
            return None
    if isinstance(raw, str):
        text = raw.strip()[:10]
        if len(text) >= 7 and text[:4].isdigit() and text[4] == "-" and text[5:7].isdigit():
            return text if len(text) == 10 and text[8:10].isdigit() else text[:7]
    return None


def _status(entry: dict[str, Any], out: Extracted) -> None:
    for path in DEPRECATION_PATHS:
        raw = get_path(entry, path)
        date = iso_date(raw)
        if date:
            out.deprecation_date = date
            out.status = "deprecated"
            break
        if raw is True:
            out.status = "deprecated"
    if entry.get("active") is False or entry.get("deprecated") is True:
        out.status = "deprecated"
    status = entry.get("status")
    if isinstance(status, str):
        lowered = status.lower()
        if lowered in {"deprecated", "retired", "preview"}:
            out.status = lowered
        elif lowered in {"beta", "experimental", "alpha"}:
            out.status = "preview"


def extract(entry: dict[str, Any]) -> Extracted:
    """Apply every table above to one model entry."""
    out = Extracted()
    _extract_prices(entry, out)
    out.context_window = _limit(entry, CONTEXT_PATHS, out)
    out.max_output_tokens = _limit(entry, MAX_OUTPUT_PATHS, out)
    out.max_input_tokens = _limit(entry, MAX_INPUT_PATHS, out)
    out.input_modalities = _modalities(entry, INPUT_MODALITY_PATHS)
    out.output_modalities = _modalities(entry, OUTPUT_MODALITY_PATHS)
    _modality_arrow(entry, out)
    _extract_capabilities(entry, out)
    out.mode = _mode(entry)
    for path in NAME_PATHS:
        raw = get_path(entry, path)
        if isinstance(raw, str) and raw.strip():
            out.name = raw.strip()
            break
    _status(entry, out)
    for key, attr in LIFECYCLE_KEYS.items():
        raw = entry.get(key)
        if isinstance(raw, str) and raw.strip():
            setattr(out, attr, raw.strip())
    return out
