"""The page sections added for issue 16, as template context for :class:`~.pages.PageBuilder`.

Model pages get a card (``partials/model_card.md.j2``), a lifecycle table
(``partials/model_lifecycle.md.j2``) and a price history (``partials/model_history.md.j2``);
provider, model and Changes pages name their price feeds for ``<link rel="alternate">``
(``partials/feeds_meta.md.j2``); the Changes page lists the ledger's newest price changes
(``partials/price_changes.md.j2``); ``models/benchmarks.md`` plots benchmark scores against price.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from site_plugins.knollm.history_pages import (
    feed_links,
    history_section,
    ledger_index,
    lifecycle_rows,
    recent_changes,
)
from site_plugins.knollm.model_cards import BENCHMARKS_PAGE, benchmark_page, model_card

if TYPE_CHECKING:
    from site_plugins.knollm.pages import PageBuilder

__all__ = ["BENCHMARKS_PAGE", "ModelSections"]

CHART_JS = "assets/vendor/chart.umd.min.js"
HISTORY_JS = "assets/knollm-history.js"


class ModelSections:
    """Context for the issue-16 sections of one site build."""

    def __init__(self, pages: PageBuilder, history: dict[str, Any] | None) -> None:
        self.pages = pages
        self.history = history
        self.ledger = ledger_index(history)
        self.offering_index = {
            (o["provider"], o["provider_model_id"]): o for o in pages.catalog["offerings"]
        }
        self.build_date = str(pages.catalog["generated_at"])[:10]

    def _href(self, uri: str, to: str) -> str:
        from site_plugins.knollm.pages import href

        return href(uri, to)

    def _provider_name(self, provider_id: str) -> str:
        return str(self.pages.providers.get(provider_id, {"name": provider_id})["name"])

    def _source_name(self, source_id: str) -> str:
        return str(self.pages.source_names.get(source_id, {"name": source_id})["name"])

    def _feeds(self, uri: str, providers: list[str], overall: bool = True) -> list[dict[str, str]]:
        if self.history is None:
            return []  # no ledger, no feeds to link
        slugs = [self.pages.provider_slugs(p) for p in providers if p in self.pages.providers]
        return feed_links(lambda to: self._href(uri, to), slugs, overall)

    def model(
        self, uri: str, model: dict[str, Any], offerings: list[dict[str, Any]]
    ) -> dict[str, Any]:
        """``card``, ``lifecycle``, ``history``, ``feeds`` and the chart scripts of a model page."""
        history = history_section(
            offerings,
            self.ledger,
            self._provider_name,
            lambda p: self._href(uri, self.pages.provider_uri(p)),
            self._source_name,
            self.build_date,
        )
        changed = sorted(
            {
                o["provider"]
                for o in offerings
                if len(
                    self.ledger.get((o["provider"], o["provider_model_id"]), {}).get("points", [])
                )
                > 1
            }
        )
        return {
            "card": model_card(model, self._href(uri, BENCHMARKS_PAGE)),
            "lifecycle": lifecycle_rows(
                offerings,
                self.offering_index,
                self._provider_name,
                lambda m: self._href(uri, self.pages.model_uri(m)),
                self.build_date,
            ),
            "history": history,
            "history_data_href": self._href(uri, "data/history.json"),
            "feeds": self._feeds(uri, changed),
            "chart_scripts": [self._href(uri, CHART_JS), self._href(uri, HISTORY_JS)]
            if history and history["chart"]
            else [],
        }

    def provider(self, uri: str, provider_id: str) -> dict[str, Any]:
        """``feeds`` of a provider page: its own price-change feed."""
        return {"feeds": self._feeds(uri, [provider_id], overall=False)}

    def changes(self, uri: str) -> dict[str, Any]:
        """``feeds`` and ``price_changes`` (the ledger's newest) of the Changes page."""
        models = self.pages.models

        def model_href(model_id: str | None) -> str | None:
            if model_id is None or model_id not in models:
                return None
            return self._href(uri, self.pages.model_uri(model_id))

        return {
            "feeds": self._feeds(uri, []),
            "history_data_href": self._href(uri, "data/history.json"),
            "price_changes": recent_changes(self.history, model_href)
            if self.history is not None
            else None,
        }

    def benchmarks_page(self, uri: str) -> str:
        """``models/benchmarks.md``: benchmark scores against the cheapest paid input price."""
        context = benchmark_page(
            self.pages.models,
            self.pages.by_model,
            lambda m: self._href(uri, self.pages.model_uri(m)),
            self._provider_name,
        )
        return self.pages.render(
            "benchmarks.md.j2",
            **context,
            models_href=self._href(uri, "models/index.md"),
            chart_scripts=[self._href(uri, CHART_JS), self._href(uri, HISTORY_JS)],
            description="Benchmark scores measured by others, against each model's cheapest "
            "paid input price.",
        )
