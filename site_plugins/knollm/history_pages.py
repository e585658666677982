"""Price history and lifecycle on the site, from the ledger (``history.json``) and the offerings.

- :func:`history_section`: a model page's price history — every ledger point of its offerings
  (date, effective or observed, source, prices) and the data of a small step chart;
- :func:`lifecycle_rows`: its offerings' status, deprecation or retirement date, successor and
  alias, with a link to the successor's model page when the catalog has that offering;
- :func:`recent_changes`: the newest price changes for the Changes page;
- :func:`feed_links`: the ``<link rel="alternate">`` feeds a page's front matter names.

Pure functions of plain values; the templates escape every string.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from knollm_build.price_feeds import (
    PRICES_FEED,
    PROVIDER_FEED_DIR,
    PriceChange,
    describe,
    feed_site_path,
    price_changes,
)
from knollm_build.schema import PRICE_FIELDS

CHART_OFFERINGS = 6
"""Offerings drawn on a model page's history chart (those with the most points)."""
RECENT_CHANGES = 100
"""Price changes listed on the Changes page."""
_MAIN = ("input", "output", "cache_read", "cache_write")
_LABELS = {name: name.replace("_", " ") for name in PRICE_FIELDS}

Entry = dict[str, Any]
Href = Callable[[str], str]


def ledger_index(history: dict[str, Any] | None) -> dict[tuple[str, str], Entry]:
    """``{(provider, provider_model_id): ledger entry}``."""
    return {(e["provider"], e["provider_model_id"]): e for e in (history or {}).get("entries", [])}


def _other_prices(point: dict[str, Any]) -> str:
    """Every price of a point beyond the four main columns, as ``batch input $0.1``."""
    parts = []
    for name in PRICE_FIELDS:
        value = point.get(name)
        if name in _MAIN or value is None:
            continue
        text = f"×{value:g}" if name == "regional_uplift" else f"${value:g}"
        parts.append(f"{_LABELS[name]} {text}")
    if point.get("tiers"):
        parts.append(f"{len(point['tiers'])} long-context tier(s)")
    return "; ".join(parts)


def history_section(
    offerings: Iterable[dict[str, Any]],
    ledger: dict[tuple[str, str], Entry],
    provider_name: Callable[[str], str],
    provider_href: Href,
    source_name: Callable[[str], str],
    build_date: str,
) -> dict[str, Any] | None:
    """A model page's price history, or ``None`` when no offering has a ledger entry."""
    found = []
    for o in offerings:
        entry = ledger.get((o["provider"], o["provider_model_id"]))
        if entry and entry.get("points"):
            found.append((o, entry))
    if not found:
        return None
    found.sort(
        key=lambda pair: (
            -len(pair[1]["points"]),
            provider_name(pair[0]["provider"]).lower(),
            pair[0]["provider_model_id"],
        )
    )
    rows = []
    lines: dict[str, dict[str, Any]] = {}
    for o, entry in found:
        points = entry["points"]
        label = f"{provider_name(o['provider'])} · {o['provider_model_id']}"
        for i, p in enumerate(points):
            rows.append(
                {
                    "provider": provider_name(o["provider"]),
                    "provider_href": provider_href(o["provider"]),
                    "api_id": o["provider_model_id"],
                    "since": p.get("since"),
                    "dated": p["dated"],
                    "source": source_name(p["source"]),
                    "input": p.get("input"),
                    "output": p.get("output"),
                    "cache_read": p.get("cache_read"),
                    "cache_write": p.get("cache_write"),
                    "other": _other_prices(p),
                    "current": i == len(points) - 1,
                    "first": i == 0,
                }
            )
        dated = [p for p in points if p.get("since") is not None]
        if len(points) > 1 and dated:
            line = [
                {"since": p.get("since"), "input": p.get("input"), "output": p.get("output")}
                for p in points
            ]
            # Offerings with the very same history (regional ids, say) share one line.
            key = repr(line)
            if key in lines:
                lines[key]["offerings"] += 1
            elif len(lines) < CHART_OFFERINGS:
                lines[key] = {"label": label, "points": line, "offerings": 1}
    series = []
    for shared in lines.values():
        more = shared["offerings"] - 1
        label = shared["label"] + (f" and {more} more" if more else "")
        series.append({"label": label, "points": shared["points"]})
    multi = sum(1 for _, e in found if len(e["points"]) > 1)
    return {
        "rows": rows,
        "offerings": len(found),
        "multi": multi,
        "chart": {"series": series, "until": build_date} if series else None,
        "charted": len(series),
    }


def lifecycle_rows(
    offerings: Iterable[dict[str, Any]],
    offering_index: dict[tuple[str, str], dict[str, Any]],
    provider_name: Callable[[str], str],
    model_href: Href,
    build_date: str,
) -> list[dict[str, Any]]:
    """Offerings with a status other than active, a deprecation date, a successor or an alias."""

    def target(provider: str, api_id: str | None) -> dict[str, Any] | None:
        if not api_id:
            return None
        known = offering_index.get((provider, api_id))
        return {"api_id": api_id, "href": model_href(known["model"]) if known else None}

    rows = []
    for o in offerings:
        status = o.get("status", "active")
        date = o.get("deprecation_date")
        if status == "active" and not (date or o.get("successor") or o.get("alias_of")):
            continue
        rows.append(
            {
                "provider": provider_name(o["provider"]),
                "api_id": o["provider_model_id"],
                "status": status,
                "date": date,
                # "retires" while the date is ahead, "retired" once it has passed
                "date_label": None
                if not date
                else ("retired" if date <= build_date else "retires"),
                "successor": target(o["provider"], o.get("successor")),
                "alias_of": target(o["provider"], o.get("alias_of")),
            }
        )
    return rows


def change_row(
    change: PriceChange, model_href: Callable[[str | None], str | None]
) -> dict[str, Any]:
    """One price change as a table row for the Changes page."""
    return {
        "since": change.since,
        "provider": change.provider,
        "api_id": change.provider_model_id,
        "href": model_href(change.model),
        "what": "; ".join(describe(f) for f in change.fields),
        "sources": change.source
        if change.source == change.before_source
        else f"{change.before_source} → {change.source}",
        "dated": change.dated,
    }


def recent_changes(
    history: dict[str, Any] | None, model_href: Callable[[str | None], str | None]
) -> dict[str, Any]:
    """The newest :data:`RECENT_CHANGES` price changes of the ledger, and how many there are."""
    changes = price_changes(history)
    return {
        "rows": [change_row(c, model_href) for c in changes[:RECENT_CHANGES]],
        "total": len(changes),
    }


def feed_links(
    href: Href, provider_slugs: Iterable[str] = (), overall: bool = True
) -> list[dict[str, str]]:
    """Feeds for a page's ``<link rel="alternate">``: the overall one and the named providers'."""
    out = []
    if overall:
        out.append(
            {"title": "Knollm price changes", "href": href(str(feed_site_path(PRICES_FEED)))}
        )
    for slug in sorted(set(provider_slugs)):
        path = feed_site_path(f"{PROVIDER_FEED_DIR}{slug}.xml")
        out.append({"title": f"Price changes: {slug}", "href": href(str(path))})
    return out
