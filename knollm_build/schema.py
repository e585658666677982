"""The public data contract: the pydantic models behind ``models.json``.

Every model forbids unknown fields and documents each field with an attribute
docstring; ``schema.json`` and the site's field reference are generated from
these classes, so the docstrings are the documentation. Changing a field is an
API change: bump :data:`SCHEMA_VERSION` and note it in the changelog.
"""

from __future__ import annotations

import math
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, field_validator, model_validator

SCHEMA_VERSION = "1.0.0"

Modality = Literal["text", "image", "audio", "video", "pdf", "file", "embedding"]
"""Kinds of input or output a model takes or gives."""

Mode = Literal[
    "chat",
    "completion",
    "embedding",
    "image",
    "audio-speech",
    "audio-transcription",
    "video",
    "rerank",
    "moderation",
    "ocr",
    "search",
    "responses",
    "other",
]
"""What an offering is called for: the API family you use it through."""

Capability = Literal[
    "tools",
    "parallel_tools",
    "structured_output",
    "json_mode",
    "reasoning",
    "vision",
    "audio_input",
    "audio_output",
    "caching",
    "web_search",
    "fim",
    "fine_tuning",
    "pdf_input",
    "computer_use",
]
"""Features an offering supports."""

ApiStyle = Literal[
    "openai-compatible", "anthropic", "google", "vertex", "bedrock", "azure", "cohere", "other"
]
"""The wire protocol a provider speaks."""

ProviderKind = Literal["first_party", "cloud", "inference_host", "router", "reseller", "subscription"]
"""What a provider is to the models it serves.

``first_party``: the lab that trained them (OpenAI, Anthropic, Mistral); ``cloud``: a general
cloud platform's model service (Bedrock, Vertex, Azure); ``inference_host``: runs open weights
on its own hardware (Groq, Together, Fireworks); ``router``: forwards each request to other
providers' APIs (OpenRouter, Requesty); ``reseller``: resells other providers' models under its
own keys and prices without routing choice (Poe, nano-gpt); ``subscription``: a flat-rate plan
rather than metered API (GitHub Copilot, coding plans).
"""

Status = Literal["active", "preview", "deprecated", "retired"]
"""Life-cycle state of an offering."""


class Strict(BaseModel):
    """Base model: unknown fields are errors, docstrings become descriptions."""

    model_config = ConfigDict(
        extra="forbid", use_attribute_docstrings=True, frozen=False, validate_assignment=False
    )


def _check_price(value: float | None) -> float | None:
    if value is None:
        return None
    if not math.isfinite(value) or value < 0:
        raise ValueError(f"must be a finite number >= 0 (got {value!r})")
    return value


class PriceTier(Strict):
    """Prices that apply once a request's input exceeds a token threshold."""

    above_input_tokens: int
    """The tier applies to requests whose input is larger than this many tokens."""
    input: float | None = None
    """USD per 1M input tokens in this tier."""
    output: float | None = None
    """USD per 1M output tokens in this tier."""
    cache_read: float | None = None
    """USD per 1M cached input tokens read in this tier."""

    @field_validator("input", "output", "cache_read")
    @classmethod
    def _non_negative(cls, value: float | None) -> float | None:
        return _check_price(value)


class Pricing(Strict):
    """What an offering costs. Token prices are USD per 1M tokens; ``None`` means unknown."""

    input: float | None = None
    """USD per 1M input (prompt) tokens."""
    output: float | None = None
    """USD per 1M output (completion) tokens, reasoning tokens included unless ``reasoning`` says otherwise."""
    cache_read: float | None = None
    """USD per 1M input tokens served from the prompt cache."""
    cache_write: float | None = None
    """USD per 1M input tokens written to the prompt cache."""
    reasoning: float | None = None
    """USD per 1M reasoning tokens, where billed apart from output."""
    input_audio: float | None = None
    """USD per 1M audio input tokens."""
    output_audio: float | None = None
    """USD per 1M audio output tokens."""
    batch_input: float | None = None
    """USD per 1M input tokens through the provider's batch API."""
    batch_output: float | None = None
    """USD per 1M output tokens through the provider's batch API."""
    per_request: float | None = None
    """USD charged per request on top of token prices."""
    per_image: float | None = None
    """USD per generated image (image models) or per input image where so billed."""
    per_second: float | None = None
    """USD per second of audio or video processed or generated."""
    tiers: list[PriceTier] = []
    """Higher prices above an input-size threshold (long-context tiers), lowest threshold first."""

    @field_validator("*")
    @classmethod
    def _non_negative(cls, value: Any) -> Any:
        """Every scalar price: finite and >= 0 (tiers check their own)."""
        return _check_price(value) if isinstance(value, float | int) else value


PRICE_FIELDS: tuple[str, ...] = tuple(name for name in Pricing.model_fields if name != "tiers")
"""The scalar prices of :class:`Pricing` (everything but the context tiers)."""

TIER_PRICE_FIELDS: tuple[str, ...] = tuple(
    name for name in PriceTier.model_fields if name != "above_input_tokens"
)
"""The prices of a :class:`PriceTier`."""


class SourceValue(Strict):
    """One source's value for a field, as recorded in a conflict."""

    source: str
    """Id of the source that gave the value."""
    value: float | int | str | bool | None
    """The value that source gave, in the catalog's units."""


class Conflict(Strict):
    """Sources disagree on a field beyond the tolerance."""

    field: str
    """Dotted path of the field inside the offering (``pricing.input``, ``context_window``)."""
    kind: Literal["disagreement", "probable_unit_error"]
    """``probable_unit_error`` when values differ by a factor of 100 or more."""
    chosen: float | int | str | bool | None
    """The value published; ``None`` when none could be trusted."""
    chosen_source: str | None
    """Source of the published value."""
    values: list[SourceValue]
    """Every source's value, in precedence order."""


class Source(Strict):
    """A data source the catalog was compiled from."""

    id: str
    """Stable id used in provenance (``models-dev``, ``litellm``, ``dump:groq``)."""
    name: str
    """Human-readable name."""
    kind: Literal["curated", "provider-dump", "open-catalog"]
    """Curated overlay in ``catalog/``, a provider's own model-list dump, or an open catalog."""
    version: str
    """Package version for open catalogs; content hash (sha256 prefix) for dumps and overlays."""
    license: str | None = None
    """Licence of the data."""
    url: str | None = None
    """Where the data comes from."""
    captured_at: str | None = None
    """When a dump was captured (ISO 8601), from the fetch log."""
    stale: bool = False
    """True when the last fetch of this dump failed, so it may be out of date."""
    records: int = 0
    """Records read from this source."""


class ProviderInfo(Strict):
    """What is known about a provider's API: the curated fields, shared by ``catalog/providers/*.toml``."""

    name: str
    """Display name."""
    aliases: list[str] = []
    """Other spellings of the id used by sources (``together_ai``, ``togetherai``)."""
    website: str | None = None
    """Home page."""
    docs_url: str | None = None
    """API documentation."""
    api_base_url: str | None = None
    """Base URL to point an SDK at."""
    api_style: ApiStyle | None = None
    """Wire protocol of the API."""
    openai_compatible: bool | None = None
    """True when the OpenAI SDK with ``api_base_url`` works for chat completions."""
    auth_env: list[str] = []
    """Environment variable(s) that conventionally hold the API key."""
    models_endpoint: str | None = None
    """Model-list endpoint."""
    pricing_url: str | None = None
    """Pricing page."""
    kind: ProviderKind | None = None
    """What the provider is: first_party, cloud, inference_host, router, reseller or
    subscription (curated in ``catalog/providers/``, else inferred; see the README)."""


class Provider(ProviderInfo):
    """A company or endpoint you pay to run models."""

    id: str
    """Canonical provider id (``groq``, ``amazon-bedrock``)."""
    curated: bool = False
    """True when a hand-edited file in ``catalog/providers/`` describes this provider."""
    offerings: int = 0
    """Number of offerings at this provider."""
    models: int = 0
    """Number of distinct canonical models at this provider."""
    sources: list[str] = []
    """Sources that list this provider."""


class Model(Strict):
    """A trained, released model, whoever serves it."""

    id: str
    """Canonical model id (``llama-3.3-70b-instruct``); fine-tunes keep their namespace (``sao10k/l3-8b-stheno-v3.2``)."""
    name: str
    """Display name."""
    creator: str | None = None
    """Lab or organisation that made it."""
    family: str | None = None
    """Model family (``llama``, ``claude``, ``gpt-oss``)."""
    released: str | None = None
    """Release date (ISO 8601, possibly year-month only)."""
    knowledge_cutoff: str | None = None
    """Training data cut-off (ISO 8601, possibly year-month only)."""
    open_weights: bool | None = None
    """True when the weights are downloadable."""
    input_modalities: list[Modality] = []
    """Union of input modalities over its offerings."""
    output_modalities: list[Modality] = []
    """Union of output modalities over its offerings."""
    capabilities: list[Capability] = []
    """Union of capabilities over its offerings."""
    context_window: int | None = None
    """Largest context window any offering states, in tokens."""
    modes: list[Mode] = []
    """Modes it is offered in."""
    hosts: int = 0
    """Number of distinct providers offering it."""
    offerings: int = 0
    """Number of offerings of it."""


class Offering(Strict):
    """One provider serving one model under one exact API id."""

    provider: str
    """Canonical provider id."""
    model: str
    """Canonical model id."""
    provider_model_id: str
    """The exact id to send to this provider's API."""
    name: str | None = None
    """The provider's display name for it, if any."""
    variant: list[str] = []
    """Tags for a variant of the same weights (``free``, ``fp8``, ``turbo``, ``region:eu``, ``snapshot:2025-05-14``); empty for the plain offering."""
    mode: Mode = "chat"
    """API family it is used through."""
    pricing: Pricing = Pricing()
    """Prices, USD per 1M tokens unless the field says otherwise."""
    context_window: int | None = None
    """Maximum input plus output tokens."""
    max_input_tokens: int | None = None
    """Maximum input tokens, where stated apart from the context window."""
    max_output_tokens: int | None = None
    """Maximum output tokens per request."""
    input_modalities: list[Modality] = []
    """What it accepts."""
    output_modalities: list[Modality] = []
    """What it produces."""
    capabilities: list[Capability] = []
    """What it supports."""
    inferred: list[str] = []
    """Fields guessed from the model's name because no source stated them (``capabilities.vision``, ``input_modalities``)."""
    status: Status = "active"
    """Life-cycle state."""
    deprecation_date: str | None = None
    """Date the provider retires it (ISO 8601), if announced."""
    sources: list[str]
    """Ids of the sources that list this offering, in precedence order."""
    provenance: dict[str, str] = {}
    """For each published field (dotted path), the id of the source that gave the value."""
    conflicts: list[Conflict] = []
    """Fields where sources disagree beyond the tolerance."""

    @model_validator(mode="after")
    def _limits_sane(self) -> Offering:
        for name in ("context_window", "max_input_tokens", "max_output_tokens"):
            value = getattr(self, name)
            if value is not None and not (0 < value <= 100_000_000):
                raise ValueError(f"{name}: must be between 1 and 100,000,000 tokens (got {value})")
        return self


class Catalog(Strict):
    """The whole compiled catalog: the root of ``models.json``."""

    schema_version: str
    """Version of this data contract (semantic versioning)."""
    generated_at: str
    """When it was compiled (ISO 8601, UTC); honours ``SOURCE_DATE_EPOCH``."""
    sources: list[Source]
    """Every source that contributed, with version and licence."""
    providers: list[Provider]
    """Providers, sorted by id."""
    models: list[Model]
    """Canonical models, sorted by id."""
    offerings: list[Offering]
    """Offerings, sorted by provider then provider model id."""
