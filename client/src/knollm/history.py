"""Prices as of a date, from the price ledger (``history.json``).

The ledger holds, per offering, dated price points oldest first; each holds until the next. A
point dated ``effective`` took effect on its ``since`` (``since`` is ``None`` for the price before
a source's first dated change); an ``observed`` point is a source's price at its capture date.

:meth:`PriceHistory.pricing_as_of` gives the prices in force on a date: for each price, the newest
point on or before the date that states it (on one date, the ledger lists the winning source
first). A price no point states by then stays unknown and is never taken from a later point or
from today's catalog, so :func:`estimate_as_of` reports it missing. Dates are ``YYYY-MM-DD`` (a
``YYYY-MM`` point starts on the 1st).

``history.json`` is found beside the catalog in use (``models.json`` or the client index, plain
or ``.gz``), else the copy bundled with the package; ``Catalog.history()`` loads it once.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

from knollm.costs import CostEstimate, estimate_cost
from knollm.records import PRICE_FIELDS, Offering, Pricing
from knollm.source import CatalogError, DataSource, bundled_file

if TYPE_CHECKING:
    import os

FILE_NAME = "history.json"
_DATE = re.compile(r"^(\d{4})-(\d{2})(?:-(\d{2}))?$")


class HistoryError(CatalogError):
    """The ledger is missing or unreadable, or a date is not a date (a data or usage problem)."""


def parse_date(text: str) -> str:
    """``YYYY-MM-DD`` (or ``YYYY-MM``, read as its 1st) as ``YYYY-MM-DD``; :class:`ValueError` else."""
    match = _DATE.match(text.strip()) if isinstance(text, str) else None
    if match is None:
        raise ValueError(f"{text!r} is not a date (use YYYY-MM-DD)")
    year, month, day = match[1], match[2], match[3] or "01"
    import datetime

    try:
        datetime.date(int(year), int(month), int(day))
    except ValueError:
        raise ValueError(f"{text!r} is not a date (use YYYY-MM-DD)") from None
    return f"{year}-{month}-{day}"


@dataclass(frozen=True, slots=True)
class LedgerPoint:
    """One dated price point of an offering, as one source states it."""

    since: str | None
    """``YYYY-MM-DD`` (normalised) from which it holds, ``None`` before the first dated change."""
    dated: str
    source: str
    prices: dict[str, Any]
    """The point's prices (:data:`~knollm.records.PRICE_FIELDS` names, and ``tiers``)."""


@dataclass(frozen=True, slots=True)
class PricesAsOf:
    """The prices of one offering in force on ``date``, and which points gave them."""

    date: str
    pricing: Pricing
    since: str | None
    """Date of the newest point used (``None``: the price before the first dated change)."""
    sources: tuple[str, ...]
    """Sources of the points used, newest first."""
    older: tuple[str, ...] = ()
    """Prices taken from an older point than the newest one (that point did not state them)."""


class PriceHistory:
    """The parsed ledger: dated points per ``(provider, provider_model_id)``."""

    def __init__(self, document: dict[str, Any], location: str = FILE_NAME) -> None:
        self.location = location
        try:
            self.generated_at: str = document["generated_at"]
            entries = document["entries"]
            self.points: dict[tuple[str, str], tuple[LedgerPoint, ...]] = {
                (e["provider"], e["provider_model_id"]): tuple(
                    LedgerPoint(
                        None if p.get("since") is None else parse_date(p["since"]),
                        p["dated"],
                        p["source"],
                        {k: v for k, v in p.items() if k not in ("since", "dated", "source")},
                    )
                    for p in e["points"]
                )
                for e in entries
            }
        except (KeyError, TypeError, AttributeError, ValueError) as exc:
            raise HistoryError(
                f"{location} is not a Knollm price ledger (bad or missing field {exc}); "
                "download history.json again from https://knollm.dev/data/history.json"
            ) from None

    @classmethod
    def from_bytes(cls, data: bytes, location: str = FILE_NAME) -> PriceHistory:
        if data[:2] == b"\x1f\x8b":
            import gzip

            try:
                data = gzip.decompress(data)
            except (OSError, EOFError) as exc:
                raise HistoryError(f"{location} is not valid gzip: {exc}") from None
        try:
            document = orjson.loads(data)
        except orjson.JSONDecodeError as exc:
            raise HistoryError(f"{location} is not valid JSON: {exc}") from None
        if not isinstance(document, dict):
            raise HistoryError(f"{location}: the ledger's root must be a JSON object")
        return cls(document, location)

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> PriceHistory:
        try:
            data = Path(path).read_bytes()
        except OSError as exc:
            raise HistoryError(f"cannot read price ledger {path}: {exc.strerror}") from None
        return cls.from_bytes(data, str(path))

    def of(self, offering: Offering) -> tuple[LedgerPoint, ...]:
        """The offering's ledger points, oldest first (empty when it has none)."""
        return self.points.get((offering.provider, offering.provider_model_id), ())

    def pricing_as_of(self, offering: Offering, date: str) -> PricesAsOf | None:
        """The offering's prices in force on ``date``, or ``None`` when no point is that old."""
        day = parse_date(date)
        usable = [p for p in self.of(offering) if p.since is None or p.since <= day]
        if not usable:
            return None
        newest = max(p.since or "" for p in usable)
        # Newest date first; on one date the ledger's order (the winning source first) is kept.
        ordered = sorted(usable, key=lambda p: p.since or "", reverse=True)
        values: dict[str, Any] = {}
        used: list[str] = []
        older: list[str] = []
        for point in ordered:
            took = False
            for name in (*PRICE_FIELDS, "tiers"):
                value = point.prices.get(name)
                if name in values or value is None or value == []:
                    continue
                values[name] = value
                took = True
                if (point.since or "") != newest:
                    older.append(name)
            if took and point.source not in used:
                used.append(point.source)
        return PricesAsOf(
            day,
            Pricing.from_dict(values),
            newest or None,
            tuple(used),
            tuple(older),
        )


def find_history(source: DataSource | None) -> Path | None:
    """``history.json`` beside the catalog ``source``, else the bundled copy (``None``: neither)."""
    path = source.sibling(FILE_NAME) if source is not None else None
    return path or bundled_file(FILE_NAME)


def load_for(source: DataSource | None) -> PriceHistory:
    """The ledger that goes with the catalog ``source``; :class:`HistoryError` when there is none."""
    path = find_history(source)
    if path is None:
        where = source.location if source is not None else "the catalog"
        raise HistoryError(
            f"no price ledger: history.json is neither beside {where} nor bundled with knollm; "
            "download https://knollm.dev/data/history.json beside models.json"
        )
    return PriceHistory.load(path)


def estimate_as_of(
    history: PriceHistory,
    offering: Offering,
    input_tokens: float,
    output_tokens: float,
    *,
    as_of: str,
    cached_share: float = 0.0,
    requests: int | None = None,
    batch: bool = False,
) -> CostEstimate:
    """:func:`~knollm.costs.estimate_cost` with the prices in force on ``as_of`` (from the
    ledger). An offering without a point that old is priced with no prices at all: every part
    is missing, never taken from today's catalog."""
    found = history.pricing_as_of(offering, as_of)
    day = parse_date(as_of)
    priced = dataclasses.replace(offering, pricing=found.pricing if found else Pricing())
    estimate = estimate_cost(
        priced,
        input_tokens,
        output_tokens,
        cached_share=cached_share,
        requests=requests,
        batch=batch,
    )
    if found is None:
        note = f"no ledger price on or before {day}"
    else:
        when = f"since {found.since}" if found.since else "from before its first dated change"
        note = f"prices as of {day}: {', '.join(found.sources)} {when}"
        if found.older:
            note += f" ({', '.join(found.older)} from an older point)"
    return dataclasses.replace(estimate, offering=offering, notes=(*estimate.notes, note))
