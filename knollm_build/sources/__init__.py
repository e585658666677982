"""Source adapters, one module each, listed in one registry.

Every adapter is ``load(context: LoadContext) -> SourceResult``. The ``work``
adapter reads provider dumps from ``--work`` directories; the others are the
pinned open catalogs, read from installed packages with no network.
"""

from __future__ import annotations

from knollm_build.sources import (
    canonical_models,
    genai_prices,
    litellm_map,
    models_dev,
    overrides,
    work_dumps,
)
from knollm_build.sources.base import Adapter, LoadContext

DEFAULT_SOURCES: dict[str, Adapter] = {
    "models-dev": models_dev.load,
    "genai-prices": genai_prices.load,
    "litellm": litellm_map.load,
}
"""Open catalogs compiled by default (``--no-default-sources`` skips them)."""

WORK_SOURCE: Adapter = work_dumps.load
"""Provider dumps from the ``--work`` directories."""

CANONICAL_SOURCE: Adapter = canonical_models.load
"""models.dev's canonical model records from the ``--work`` directories."""

OVERRIDES_SOURCE: Adapter = overrides.load
"""Manual overrides from ``catalog/overrides/`` (always compiled)."""

__all__ = [
    "DEFAULT_SOURCES",
    "WORK_SOURCE",
    "CANONICAL_SOURCE",
    "OVERRIDES_SOURCE",
    "LoadContext",
    "Adapter",
]
