"""Template contexts of the measured-latency sections on model and provider pages.

The catalog's ``measurements`` section holds ``knollm benchmark`` runs: one entry per offering per
run. Pages show them in a section of their own, each row labelled with who measured, from where,
when and how many runs, so a measured figure is never read as a catalog fact. Every string from a
measurement file is untrusted; the templates escape it like any other value.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from typing import Any

from markupsafe import Markup

GUIDE = "guides/benchmarks.md"


def seconds(value: float | None) -> Markup:
    """``0.129`` -> ``129 ms``, ``1.25`` -> ``1.25 s``; unknown is an en dash."""
    if value is None:
        return Markup("–")
    if value < 1:
        return Markup(f"{value * 1000:,.0f} ms")
    return Markup(f"{value:,.2f} s")


def rate(value: float | None) -> Markup:
    """Tokens per second, whole: ``186``; unknown is an en dash."""
    return Markup("–") if value is None else Markup(f"{value:,.0f}")


def _pair(spread: dict[str, Any], show: Callable[[float | None], Markup]) -> dict[str, Any]:
    return {
        "median": show(spread.get("median")),
        "p95": show(spread.get("p95")),
        "sort": "" if spread.get("median") is None else spread["median"],
    }


class MeasuredRows:
    """Rows of the measured sections, grouped once by model and by provider."""

    def __init__(
        self,
        measurements: list[dict[str, Any]],
        provider_names: dict[str, str],
        model_names: dict[str, str],
        model_uri: Callable[[str], str],
        provider_uri: Callable[[str], str],
        href: Callable[[str, str], str],
    ) -> None:
        self.provider_names = provider_names
        self.model_names = model_names
        self.model_uri = model_uri
        self.provider_uri = provider_uri
        self.href = href
        self.by_model: dict[str, list[dict[str, Any]]] = defaultdict(list)
        self.by_provider: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for m in measurements:
            self.by_model[m["model"]].append(m)
            self.by_provider[m["provider"]].append(m)

    def for_model(self, model_id: str, uri: str) -> dict[str, Any] | None:
        """The model page's section: its offerings' runs by provider, newest run first."""
        runs = sorted(
            _newest_first(self.by_model.get(model_id, [])),
            key=lambda m: (
                self.provider_names.get(m["provider"], m["provider"]).lower(),
                m["provider_model_id"],
            ),
        )
        return self._section(runs, uri)

    def for_provider(self, provider_id: str, uri: str) -> dict[str, Any] | None:
        """The provider page's section: its offerings' runs by model, newest run first."""
        runs = sorted(
            _newest_first(self.by_provider.get(provider_id, [])),
            key=lambda m: (
                self.model_names.get(m["model"], m["model"]).lower(),
                m["provider_model_id"],
            ),
        )
        return self._section(runs, uri)

    def _section(self, runs: list[dict[str, Any]], uri: str) -> dict[str, Any] | None:
        if not runs:
            return None
        return {
            "rows": [self._row(m, uri) for m in runs],
            "guide_href": self.href(uri, GUIDE),
            "sortable": len(runs) > 1,
        }

    def _row(self, m: dict[str, Any], uri: str) -> dict[str, Any]:
        return {
            "provider_name": self.provider_names.get(m["provider"], m["provider"]),
            "provider_href": self.href(uri, self.provider_uri(m["provider"])),
            "model_name": self.model_names.get(m["model"], m["model"]),
            "model_href": self.href(uri, self.model_uri(m["model"])),
            "api_id": m["provider_model_id"],
            "ttft": _pair(m["ttft_s"], seconds),
            "latency": _pair(m["latency_s"], seconds),
            "rate": _pair(m["output_tokens_per_s"], rate),
            "attempts": m["attempts"],
            "errors": m["errors"],
            "error_pct": f"{100 * m['error_rate']:.0f}%",
            "measured_by": m.get("measured_by"),
            "where": m.get("where"),
            "date": m["finished_at"][:10],
            "client": m["client"],
        }


def _newest_first(runs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Newest run first (then by run id); the stable sort after it keeps this order per offering."""
    return sorted(runs, key=lambda m: (m["finished_at"], m["run_id"]), reverse=True)
