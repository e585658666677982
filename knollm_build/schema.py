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

SCHEMA_VERSION = "1.2.0"

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
    "music",
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

ProviderKind = Literal[
    "first_party", "cloud", "inference_host", "router", "reseller", "subscription"
]
PASS_THROUGH_KINDS = frozenset({"router", "reseller"})
"""Provider kinds that pass requests on to other hosts: their claims about a model do not vote
on its facts, and their prices are not part of a model's cross-host median (plausibility)."""
INDIRECT_KINDS = PASS_THROUGH_KINDS | {"subscription"}
"""Provider kinds that are not counted as a model's direct hosts: pass-through providers, and
plans that sell a subscription rather than metered access. Every other kind, and a provider of
no stated kind, is a direct host. Assemble counts ``Model.direct_hosts`` by it; the client's
``knollm.records.INDIRECT_KINDS`` mirrors it (a test compares the two)."""
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

PriceBasis = Literal[
    "tokens",
    "free",
    "subscription",
    "per_image",
    "per_second",
    "per_request",
    "per_character",
    "unknown",
]
"""What an offering's price is per, and what a price of 0 means."""

Flag = Literal[
    "price_outlier",
    "price_out_of_range",
    "limit_inconsistent",
    "limit_out_of_range",
    "cache_read_above_input",
    "unit_inferred",
    "placeholder_price",
]
"""Plausibility findings on an offering (see :class:`Offering` ``flags``)."""


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
    """USD per 1M input tokens written to the prompt cache; where the provider splits cache writes
    by lifetime, this is the default (5-minute) write and ``cache_write_1h`` the 1-hour one."""
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
    cache_write_1h: float | None = None
    """USD per 1M input tokens written to the prompt cache with a 1-hour lifetime (Anthropic's
    extended cache; LiteLLM ``cache_creation_input_token_cost_above_1hr``, genai-prices
    ``cache_write_1h_mtok``)."""
    priority_input: float | None = None
    """USD per 1M input tokens on the provider's priority service tier (OpenAI, Gemini
    ``service_tier: priority``). Each service-tier price is only the price the source states for
    that tier: a tier price a source leaves out is unknown, never taken from another tier."""
    priority_output: float | None = None
    """USD per 1M output tokens on the priority service tier."""
    priority_cache_read: float | None = None
    """USD per 1M cached input tokens read on the priority service tier."""
    flex_input: float | None = None
    """USD per 1M input tokens on the flex service tier (slower, cheaper, may be queued)."""
    flex_output: float | None = None
    """USD per 1M output tokens on the flex service tier."""
    flex_cache_read: float | None = None
    """USD per 1M cached input tokens read on the flex service tier."""
    fast_input: float | None = None
    """USD per 1M input tokens in the provider's fast mode (genai-prices ``speed: fast`` or
    ``service_tier: fast``, models.dev ``experimental.modes.fast``)."""
    fast_output: float | None = None
    """USD per 1M output tokens in fast mode."""
    fast_cache_read: float | None = None
    """USD per 1M cached input tokens read in fast mode."""
    off_peak_input: float | None = None
    """USD per 1M input tokens during the provider's off-peak hours (LiteLLM
    ``off_peak_pricing``; the hours are on the provider's pricing page)."""
    off_peak_output: float | None = None
    """USD per 1M output tokens during off-peak hours."""
    off_peak_cache_read: float | None = None
    """USD per 1M cached input tokens read during off-peak hours."""
    per_search: float | None = None
    """USD per web search the model runs (genai-prices ``web_searches_kcount`` / 1000; LiteLLM
    ``search_context_cost_per_query`` at its default, medium, search context size)."""
    regional_uplift: float | None = None
    """Multiplier on every price when called through a regional endpoint instead of the global
    one (LiteLLM ``regional_endpoint_uplift_multiplier``; 1.1 = 10% more). Not a price."""
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
    kind: Literal["disagreement", "probable_unit_error", "outdated"]
    """``probable_unit_error`` when values differ by a factor of 100 or more; ``outdated`` when a
    newer source outweighs an older one's claim (a bare ``deprecated`` flag, for instance)."""
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


class Link(Strict):
    """A labelled link about a model (announcement, model card, paper, weights)."""

    label: str
    """What the link is (``Model card``, ``Hugging Face``)."""
    url: str
    """An ``https://`` address."""


class Benchmark(Strict):
    """A benchmark result measured by someone else, as its source reports it."""

    name: str
    """Benchmark name (``SciCode``)."""
    score: float
    """The reported score, in ``metric`` units."""
    metric: str | None = None
    """What the score measures (``percent correct``, ``index``)."""
    source: str | None = None
    """Where the result is published."""
    date: str | None = None
    """When it was measured or published (ISO 8601)."""


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
    """Release date (ISO 8601, possibly year-month only): the canonical record's, else the lab's
    own API's, else the date most sources give."""
    knowledge_cutoff: str | None = None
    """Training data cut-off (ISO 8601, possibly year-month only), by the same precedence; never
    after the release (such a claim is withheld and reported)."""
    open_weights: bool | None = None
    """True when the weights are downloadable: the canonical record, else the majority of sources."""
    input_modalities: list[Modality] = []
    """What the model takes: its canonical record, else its lab's own API, else what most of its
    direct hosts say (an offering's own modalities stay on the offering)."""
    output_modalities: list[Modality] = []
    """What the model gives, by the same precedence."""
    capabilities: list[Capability] = []
    """What the model supports, by the same precedence: its canonical record, else its lab's
    own API, else the majority of its direct hosts; each offering keeps its own capabilities."""
    context_window: int | None = None
    """Largest context window any offering states, in tokens."""
    modes: list[Mode] = []
    """Modes it is offered in."""
    hosts: int = 0
    """Number of distinct providers offering it."""
    direct_hosts: int = 0
    """Distinct providers with a listed offering of it that host it themselves (kind not in
    ``router``, ``reseller``, ``subscription``; a provider of unknown kind counts as direct)."""
    routed_hosts: int = 0
    """Distinct routers, resellers and subscription plans with a listed offering of it."""
    offerings: int = 0
    """Number of offerings of it."""
    license: str | None = None
    """Licence of the weights, from the model's canonical record."""
    links: list[Link] = []
    """Announcement, model card, paper and other links from the canonical record."""
    weights: list[Link] = []
    """Where the weights can be downloaded."""
    benchmarks: list[Benchmark] = []
    """Benchmark results measured by others, each with its source and date; shown as such, never
    mixed into the catalog's facts."""


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
    listed: bool = True
    """True when a model list names this exact id at this provider (the provider's own list,
    models.dev or LiteLLM); False when only a price table or an old snapshot does. Unlisted
    offerings are kept (their prices feed history) but shown apart, not counted as hosts, never
    the default cheapest, and never chosen by the router unless asked for by exact id."""
    price_basis: PriceBasis = "unknown"
    """What the price is per: ``tokens`` (the token prices apply), ``free`` (a real free tier or free
    variant: its 0 is true), ``subscription`` (usage included in a plan: no per-token price),
    ``per_image``, ``per_second``, ``per_request``, ``per_character`` (billed per item: token prices do
    not apply), or ``unknown``. A 0 token price appears only with ``free`` or ``subscription``; a 0
    that is a placeholder is withheld and listed in ``report.json``."""
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
    """Life-cycle state against the build date: ``deprecated`` = its end of life is announced and it
    is callable until ``deprecation_date``; ``retired`` = that date has passed (or a source says it is
    gone); ``preview``; else ``active``. A source's bare "deprecated" flag counts only while no newer
    source lists the offering without it."""
    deprecation_date: str | None = None
    """Date the provider retires it (ISO 8601), if announced: ``deprecated`` before it, ``retired`` after."""
    successor: str | None = None
    """The API id the source names as this offering's successor, at the same provider (LiteLLM
    ``successor_model``), typically with a ``deprecation_date`` for this one. Not followed
    automatically."""
    alias_of: str | None = None
    """The API id this one is an alias of (LiteLLM ``alias_of``): what a ``-latest`` or undated
    alias points to as of the source's capture date."""
    sources: list[str]
    """Ids of the sources that list this offering, in precedence order."""
    provenance: dict[str, str] = {}
    """For each published field (dotted path), the id of the source that gave the value."""
    conflicts: list[Conflict] = []
    """Fields where sources disagree beyond the tolerance."""
    flags: list[Flag] = []
    """Plausibility findings, omitted when there are none: ``price_outlier`` (over 10x from the
    model's median across 3+ direct hosts: kept, never the default cheapest), ``price_out_of_range``,
    ``limit_inconsistent`` (max output above the context window from different sources),
    ``limit_out_of_range``, ``cache_read_above_input``, ``unit_inferred`` (a price whose unit the
    source leaves open, read in the unit that makes it plausible), ``placeholder_price`` (a 0 that
    is not a price was withheld)."""

    @model_validator(mode="after")
    def _limits_sane(self) -> Offering:
        for name in ("context_window", "max_input_tokens", "max_output_tokens"):
            value = getattr(self, name)
            if value is not None and not (0 < value <= 100_000_000):
                raise ValueError(f"{name}: must be between 1 and 100,000,000 tokens (got {value})")
        return self


class Spread(Strict):
    """Measured values over an offering's successful attempts in one benchmark run."""

    n: int
    """Successful attempts the figures are taken over (0: none answered, no figures)."""
    median: float | None = None
    """Median (``statistics.median``); omitted when ``n`` is 0."""
    p95: float | None = None
    """95th percentile, linear interpolation between order statistics
    (``statistics.quantiles(method="inclusive")``); omitted when ``n`` is 0."""


class Measurement(Strict):
    """One offering as measured by one ``knollm benchmark`` run (a ``knollm-measurements`` file).

    Measured from one place at one time by whoever ran it: figures anyone can repeat, kept apart
    from the catalog's facts (never merged into ``offerings[]``). Times are seconds on the
    measuring client's clock; ``measured_by`` and ``where`` are the runner's own free text."""

    provider: str
    """Canonical provider id of the offering measured."""
    provider_model_id: str
    """The API id measured; with ``provider``, the key of an entry of ``offerings[]``."""
    model: str
    """The offering's canonical model id in this catalog."""
    run_id: str
    """The run's id (the file's ``id``): every entry of one run shares it."""
    measured_by: str | None = None
    """Who ran it, as they chose to say; omitted when not given. Untrusted text."""
    where: str | None = None
    """Where it ran from, in the runner's words (region, network); omitted when not given."""
    platform: str
    """Operating system and machine of the measuring client (``Linux-x86_64``)."""
    client: str
    """The measuring tool and its version (``knollm 0.1.0``)."""
    started_at: str
    """When the run started (ISO 8601, UTC)."""
    finished_at: str
    """When the run finished (ISO 8601, UTC)."""
    prompts: int
    """Distinct prompts sent."""
    runs: int
    """How many times each prompt was sent to the offering."""
    concurrency: int
    """Requests in flight at once during the run."""
    max_tokens: int | None = None
    """``max_tokens`` of each request; omitted when none was set."""
    attempts: int
    """Requests this offering was sent (including the router's fallbacks to it)."""
    errors: int
    """Attempts that failed."""
    error_rate: float
    """``errors / attempts``."""
    ttft_s: Spread
    """Time to first token, seconds: from sending the request to the first content chunk."""
    latency_s: Spread
    """Total latency, seconds: from sending the request to the end of the stream."""
    output_tokens_per_s: Spread
    """Decode rate after the first token: ``(completion_tokens - 1) / (latency - TTFT)``."""


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
    measurements: list[Measurement] = []
    """Measured latency and throughput from ``knollm benchmark`` runs (``catalog/measurements/``,
    ``--measurements DIR``), one entry per offering per run, sorted by provider, API id, finish
    time and run id; omitted when no run was given. Never merged into ``offerings[]``."""
