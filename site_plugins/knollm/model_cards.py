"""Model cards: licence, links, weights and benchmark results from the canonical records.

Benchmarks are measured by others; the card shows each with its source and date and keeps
them apart from the catalog's facts. The "benchmark score against price" page puts every model
that has both a benchmark result and a paid input price on one chart per benchmark.

Strings from the data are untrusted: the templates escape every value, links survive only as
``http(s)://`` addresses, and chart data is embedded with ``json_script`` and drawn on a canvas.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import Any

from knollm_build.urls import Slugs
from site_plugins.knollm.ranking import cheapest

SAFE_LINK = re.compile(r"^https?://[^\s\"'<>\\]+$")
BENCHMARKS_PAGE = "models/benchmarks.md"
MIN_MODELS_PER_BENCHMARK = 2
"""A benchmark gets a chart once this many priced models report it."""


def safe_url(value: Any) -> str | None:
    """``value`` when it is an ``http(s)://`` address without quotes, spaces or angle brackets."""
    return value if isinstance(value, str) and SAFE_LINK.match(value) else None


def _links(items: Iterable[dict[str, Any]]) -> list[dict[str, str]]:
    return [
        {"label": str(item.get("label") or url), "url": url}
        for item in items
        if (url := safe_url(item.get("url"))) is not None
    ]


def benchmark_rows(model: dict[str, Any]) -> list[dict[str, Any]]:
    """The model's benchmark results, by name then date: source as a link only when it is one."""
    rows = []
    for b in model.get("benchmarks") or []:
        source = b.get("source")
        rows.append(
            {
                "name": b["name"],
                "score": b["score"],
                "metric": b.get("metric"),
                "source": source,
                "source_url": safe_url(source),
                "date": b.get("date"),
            }
        )
    rows.sort(key=lambda r: (str(r["name"]).lower(), str(r["date"] or ""), r["score"]))
    return rows


def model_card(model: dict[str, Any], benchmarks_href: str) -> dict[str, Any] | None:
    """The card's context, or ``None`` when the canonical record gives none of its parts."""
    card = {
        "license": model.get("license"),
        "links": _links(model.get("links") or []),
        "weights": _links(model.get("weights") or []),
        "benchmarks": benchmark_rows(model),
        "benchmarks_href": benchmarks_href,
    }
    if not (card["license"] or card["links"] or card["weights"] or card["benchmarks"]):
        return None
    return card


def paid_input(offerings: Iterable[dict[str, Any]]) -> tuple[float, dict[str, Any]] | None:
    """The cheapest paid input price by the ranking rule (:func:`.ranking.cheapest`: a listed,
    per-token price above $0 not in doubt), with its offering; ``None`` when no offering has one."""
    best = cheapest(offerings)
    if best is None:
        return None
    return float(best["pricing"]["input"]), best


def benchmark_page(
    models: dict[str, dict[str, Any]],
    by_model: dict[str, list[dict[str, Any]]],
    model_href: Callable[[str], str],
    provider_name: Callable[[str], str],
) -> dict[str, Any]:
    """The benchmarks page's context: one section (table and chart data) per benchmark."""
    by_name: dict[str, list[dict[str, Any]]] = defaultdict(list)
    with_benchmarks = 0
    for model_id in sorted(models):
        model = models[model_id]
        rows = benchmark_rows(model)
        if not rows:
            continue
        with_benchmarks += 1
        cheapest = paid_input(by_model.get(model_id, []))
        latest: dict[str, dict[str, Any]] = {}
        for row in rows:  # the newest result per benchmark (rows are in date order)
            latest[row["name"]] = row
        for name, row in latest.items():
            by_name[name].append(
                {
                    **row,
                    "model": model["name"],
                    "model_id": model_id,
                    "href": model_href(model_id),
                    "price": cheapest[0] if cheapest else None,
                    "provider": provider_name(cheapest[1]["provider"]) if cheapest else None,
                }
            )
    sections = []
    anchors = Slugs()
    for name in sorted(by_name, key=lambda n: (-len(by_name[n]), n.lower())):
        rows = sorted(by_name[name], key=lambda r: (-r["score"], r["model_id"]))
        priced = [r for r in rows if r["price"] is not None]
        sections.append(
            {
                "name": name,
                "anchor": "bench-" + anchors(name.lower()).replace("/", "-"),
                "rows": rows,
                "chart": {
                    "benchmark": name,
                    "points": [
                        {"x": r["price"], "y": r["score"], "label": r["model"], "href": r["href"]}
                        for r in priced
                    ],
                }
                if len(priced) >= MIN_MODELS_PER_BENCHMARK
                else None,
            }
        )
    return {"sections": sections, "models": with_benchmarks}
