"""The ranking rule over the contract's offering dicts, for every "cheapest" the site states.

The rule is the client's, not a copy of it: :func:`knollm.queries.rankable` (token-priced basis,
not $0 unless ``include_free``, not price-flagged unless ``include_flagged``) with ``listed`` as
a criterion apart, and :func:`knollm.queries.display_order`. The site plugin already builds on
the client (:mod:`site_plugins.knollm.libraries` uses :mod:`knollm.recommend`); this module only
reads a ``models.json`` offering into a :class:`knollm.records.Offering` to ask it. The explorer's
``knollm-data.js`` ``rankable`` is the same rule in the browser; ``tests/parity/ranking_cases.json``
holds all three to one set of cases.

What a page says is cheapest comes from :func:`cheapest` alone: a listed offering the rule takes
with a known input price above $0. When none qualifies the page names no cheapest and quotes no
"from $X": nothing rather than a price that is not what the offering costs.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from knollm.queries import (  # type: ignore[import-untyped,unused-ignore]
    display_order as _display_order,
)
from knollm.queries import (  # type: ignore[import-untyped,unused-ignore]
    rankable as _rankable,
)
from knollm.records import Offering  # type: ignore[import-untyped,unused-ignore]

__all__ = ["Rule", "cheapest", "display_order", "in_order", "rankable"]


class Rule:
    """The rule over contract offering dicts, each read into a client ``Offering`` once: a page
    build makes one over its catalog's offerings (other dicts are read when asked about)."""

    def __init__(self, offerings: Iterable[dict[str, Any]] = ()) -> None:
        self._records: dict[int, tuple[dict[str, Any], Any]] = {
            id(o): (o, Offering.from_dict(o)) for o in offerings
        }

    def record(self, offering: dict[str, Any]) -> Any:
        found = self._records.get(id(offering))
        if found is not None and found[0] is offering:
            return found[1]
        return Offering.from_dict(offering)

    def rankable(
        self,
        offering: dict[str, Any],
        include_free: bool = False,
        include_flagged: bool = False,
        include_unlisted: bool = False,
    ) -> bool:
        """Whether a token-cost ranking takes this contract offering: the client's ``rankable``
        with these options, and listed unless ``include_unlisted`` (the client's default
        ``Criteria.listed``)."""
        record = self.record(offering)
        return bool(
            (include_unlisted or record.listed) and _rankable(record, include_free, include_flagged)
        )

    def display_order(self, offering: dict[str, Any]) -> tuple[Any, ...]:
        """Sort key of a model's or provider's offerings, the client's ``display_order``: those
        a ranking takes by input then output price, then $0 ones, then doubtful or not per
        token, then unlisted ones."""
        return tuple(_display_order(self.record(offering)))

    def in_order(self, offerings: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
        """``offerings`` sorted by :meth:`display_order`."""
        return sorted(offerings, key=self.display_order)

    def cheapest(self, offerings: Iterable[dict[str, Any]]) -> dict[str, Any] | None:
        """The offering a page may call cheapest: listed, taken by the rule with its defaults (a
        token price, not $0, not price-flagged) and with a known input price above 0; the lowest
        input price, then output, then ``provider:provider_model_id``. ``None`` when none is."""
        best: tuple[tuple[Any, ...], dict[str, Any]] | None = None
        for o in offerings:
            record = self.record(o)
            price = record.pricing.input
            if price is None or price <= 0 or not record.listed or not _rankable(record):
                continue
            key = tuple(_display_order(record))
            if best is None or key < best[0]:
                best = (key, o)
        return None if best is None else best[1]


_ANY = Rule()
rankable = _ANY.rankable
display_order = _ANY.display_order
in_order = _ANY.in_order
cheapest = _ANY.cheapest
