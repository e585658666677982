"""Price changes read from the ledger (``history.json``), and their Atom feeds.

A price change is two consecutive points of one offering's ledger entry, on different dates,
where a price both points state differs beyond the merge tolerance. The sources of both points
are kept: a change between two sources' points may be a disagreement rather than a move, and the
feed says which sources it compares.

Feeds: ``feeds/prices.xml`` (every offering, served at ``changes/prices.xml``) and
``feeds/providers/<provider slug>.xml`` (served at ``providers/<slug>/prices.xml``), newest change
first, :data:`FEED_ENTRIES` / :data:`PROVIDER_FEED_ENTRIES` entries at most. Pure and
deterministic: the same ledger, catalog and site URL give the same bytes.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote
from xml.sax.saxutils import escape as xml_escape

from knollm_build.merge import PRICE_TOLERANCE
from knollm_build.schema import PRICE_FIELDS

FEED_ENTRIES = 200
"""Newest price changes in the overall feed."""
PROVIDER_FEED_ENTRIES = 100
"""Newest price changes in each provider's feed."""
PRICES_FEED = "feeds/prices.xml"
PROVIDER_FEED_DIR = "feeds/providers/"
_QUOTE = {'"': "&quot;"}
# The prices a feed entry's title names first, when they changed.
_HEADLINE = ("input", "output", "cache_read", "cache_write")


@dataclass(frozen=True, slots=True)
class FieldChange:
    """One price of an offering moving from ``old`` to ``new``."""

    field: str
    old: float
    new: float

    @property
    def pct(self) -> float | None:
        return None if self.old == 0 else 100 * (self.new - self.old) / self.old


@dataclass(frozen=True, slots=True)
class PriceChange:
    """A move between two consecutive ledger points of one offering."""

    provider: str
    provider_model_id: str
    model: str | None
    since: str
    """The date of the later point (``YYYY-MM-DD`` or ``YYYY-MM``)."""
    source: str
    dated: str
    before_since: str | None
    before_source: str
    fields: tuple[FieldChange, ...]


def _differs(a: float, b: float) -> bool:
    return a != b and abs(a - b) > PRICE_TOLERANCE * max(abs(a), abs(b))


def point_changes(before: dict[str, Any], after: dict[str, Any]) -> tuple[FieldChange, ...]:
    """The prices both points state that differ (in :data:`PRICE_FIELDS` order)."""
    out = []
    for name in PRICE_FIELDS:
        old, new = before.get(name), after.get(name)
        if isinstance(old, int | float) and isinstance(new, int | float) and _differs(old, new):
            out.append(FieldChange(name, float(old), float(new)))
    return tuple(out)


def price_changes(history: dict[str, Any] | None) -> list[PriceChange]:
    """Every price change of a ``history.json`` document, newest first (then provider, id)."""
    found = []
    for entry in (history or {}).get("entries", []):
        points = entry.get("points", [])
        for before, after in zip(points, points[1:], strict=False):
            since = after.get("since")
            if since is None or since == before.get("since"):
                continue  # same-date claims are conflicts (report.json), not changes
            fields = point_changes(before, after)
            if fields:
                found.append(
                    PriceChange(
                        entry["provider"],
                        entry["provider_model_id"],
                        entry.get("model"),
                        since,
                        after["source"],
                        after["dated"],
                        before.get("since"),
                        before["source"],
                        fields,
                    )
                )
    found.sort(key=lambda c: (_negated(c.since), c.provider, c.provider_model_id, c.source))
    return found


def _negated(date: str) -> tuple[int, ...]:
    return tuple(-int(part) for part in date.split("-") if part.isdigit())


def _money(value: float) -> str:
    return f"${value:.6f}".rstrip("0").rstrip(".") if value else "$0"


def describe(change: FieldChange) -> str:
    """``input $0.59 -> $0.79 (+33.9%)``."""
    pct = change.pct
    tail = "" if pct is None else f" ({pct:+.1f}%)"
    return f"{change.field} {_money(change.old)} → {_money(change.new)}{tail}"


def _title(change: PriceChange) -> str:
    shown = sorted(
        change.fields,
        key=lambda f: _HEADLINE.index(f.field) if f.field in _HEADLINE else len(_HEADLINE),
    )
    more = len(shown) - 2
    text = "; ".join(describe(f) for f in shown[:2]) + (f"; {more} more" if more > 0 else "")
    return f"{change.provider} {change.provider_model_id}: {text}"


def _timestamp(date: str) -> str:
    parts = date.split("-") + ["01", "01"]
    return f"{parts[0]}-{parts[1]}-{parts[2]}T00:00:00Z"


def _entry(change: PriceChange, base: str, model_path: str | None, updated: str) -> str:
    entry_id = "urn:knollm:price:" + ":".join(
        quote(part, safe="")
        for part in (change.provider, change.provider_model_id, change.since, change.source)
    )
    when = _timestamp(change.since)
    scheduled = when > updated
    verb = (
        "observed" if change.dated == "observed" else "takes effect" if scheduled else "took effect"
    )
    summary = (
        f"{'; '.join(describe(f) for f in change.fields)}. "
        f"{change.source} ({verb} {change.since}) against {change.before_source} "
        f"({change.before_since or 'before its first dated change'})."
    )
    link = ""
    if model_path is not None:
        target = f"{base}/{model_path}#price-history" if base else f"{model_path}#price-history"
        link = f'    <link rel="alternate" href="{xml_escape(target, _QUOTE)}"/>\n'
    return (
        "  <entry>\n"
        f"    <title>{xml_escape(_title(change))}{f' (from {change.since})' if scheduled else ''}</title>\n"
        f"    <id>{xml_escape(entry_id)}</id>\n"
        # A change the source schedules for later is news now: dated by the build, not the future.
        f"    <updated>{xml_escape(updated) if scheduled else when}</updated>\n"
        f"{link}"
        f"    <summary>{xml_escape(summary)}</summary>\n"
        "  </entry>\n"
    )


def atom(
    title: str,
    feed_id: str,
    page: str,
    changes: list[PriceChange],
    updated: str,
    base: str,
    model_paths: dict[str, str],
) -> bytes:
    """One Atom document; ``page`` is the site path of the HTML page the feed belongs to."""
    page_url = f"{base}/{page}" if base else page
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        '<feed xmlns="http://www.w3.org/2005/Atom">\n'
        f"  <title>{xml_escape(title)}</title>\n"
        f"  <id>{xml_escape(feed_id)}</id>\n"
        f"  <updated>{xml_escape(updated)}</updated>\n"
        f'  <link rel="alternate" href="{xml_escape(page_url, _QUOTE)}"/>\n'
        "  <author><name>Knollm</name></author>\n"  # Atom requires one for entries without
        + "".join(
            _entry(c, base, model_paths.get(c.model) if c.model else None, updated) for c in changes
        )
        + "</feed>\n"
    ).encode()


def price_feeds(
    document: dict[str, Any],
    history: dict[str, Any] | None,
    site_url: str,
    model_slugs: Any,
    provider_slugs: Any,
) -> dict[str, bytes]:
    """``{file name: bytes}``: the overall feed and one per provider of the catalog."""
    base = site_url.rstrip("/")
    changes = price_changes(history)
    updated = document["generated_at"]
    known_models = {m["id"] for m in document["models"]}
    model_paths = {m: f"models/{model_slugs(m)}/" for m in sorted(known_models)}
    by_provider: dict[str, list[PriceChange]] = defaultdict(list)
    for change in changes:
        by_provider[change.provider].append(change)
    files = {
        PRICES_FEED: atom(
            "Knollm price changes",
            "urn:knollm:prices",
            "changes/",
            changes[:FEED_ENTRIES],
            updated,
            base,
            model_paths,
        )
    }
    for provider in sorted(p["id"] for p in document["providers"]):
        slug = provider_slugs(provider)
        files[f"{PROVIDER_FEED_DIR}{slug}.xml"] = atom(
            f"Knollm price changes: {provider}",
            f"urn:knollm:prices:{quote(provider, safe='')}",
            f"providers/{slug}/",
            by_provider.get(provider, [])[:PROVIDER_FEED_ENTRIES],
            updated,
            base,
            model_paths,
        )
    return files


def feed_site_path(name: str) -> str | None:
    """Where a feed file is served on the site (``None`` for a name that is not a price feed)."""
    if name == PRICES_FEED:
        return "changes/prices.xml"
    if name.startswith(PROVIDER_FEED_DIR) and name.endswith(".xml"):
        return f"providers/{name.removeprefix(PROVIDER_FEED_DIR).removesuffix('.xml')}/prices.xml"
    return None
