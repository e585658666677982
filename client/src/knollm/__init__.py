"""Knollm: the catalog of LLM providers, models, offerings and prices, in Python.

>>> from knollm import Catalog
>>> catalog = Catalog.load()
>>> catalog.cheapest(model="llama-3.3-70b-instruct", limit=1)[0].offering.provider  # doctest: +SKIP
"""

from knollm.catalog import Catalog, Criteria, NotFound
from knollm.costs import CostEstimate, estimate_cost, usage_cost
from knollm.queries import Comparison, ModelMatch, Preferences, Ranked
from knollm.records import Model, Offering, PriceTier, Pricing, Provider
from knollm.source import CatalogError, DataSource

__all__ = [
    "Catalog",
    "CatalogError",
    "Comparison",
    "CostEstimate",
    "Criteria",
    "DataSource",
    "Model",
    "ModelMatch",
    "NotFound",
    "Offering",
    "Preferences",
    "PriceTier",
    "Pricing",
    "Provider",
    "Ranked",
    "estimate_cost",
    "usage_cost",
]
__version__ = "0.1.0"


def __getattr__(name: str) -> object:
    """``Router``/``AsyncRouter`` load on first use: importing openai would slow the CLI down."""
    if name in ("Router", "AsyncRouter"):
        from knollm import router

        return getattr(router, name)
    raise AttributeError(f"module 'knollm' has no attribute {name!r}")
