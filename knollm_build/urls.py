"""The site's URL rule for ids from the data: one definition for the pages and the explorer payload.

Model and provider pages live at ``models/<slug>/`` and ``providers/<slug>/``. A slug is the id
when the id is already a safe path (``[a-z0-9._-]`` segments), otherwise a sanitised form with a
short hash of the id, so it stays unique and stable. Slugs are assigned to every id of a catalog
in sorted order, so the same catalog always gets the same URLs whoever asks first.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

_SEGMENT = re.compile(r"[^a-z0-9._-]+")


class Slugs:
    """Stable, safe URL paths for ids from the data: ``[a-z0-9._-]`` segments, no ``..``, no collisions."""

    def __init__(self, identifiers: Iterable[str] = ()) -> None:
        self.by_id: dict[str, str] = {}
        self.taken: set[str] = set()
        for identifier in sorted(identifiers):
            self(identifier)

    def __call__(self, identifier: str) -> str:
        known = self.by_id.get(identifier)
        if known is not None:
            return known
        segments = [_SEGMENT.sub("-", part.lower()).strip(".-") for part in identifier.split("/")]
        slug = "/".join(s for s in segments if s) or "item"
        if slug != identifier or slug in self.taken:
            # Changed by sanitising, or taken: a short hash of the id keeps it unique and stable.
            slug = f"{slug}-{hashlib.sha1(identifier.encode()).hexdigest()[:6]}"
        self.taken.add(slug)
        self.by_id[identifier] = slug
        return slug


@dataclass(slots=True)
class PageUrls:
    """The slugs of a catalog's model and provider pages."""

    models: Slugs = field(default_factory=Slugs)
    providers: Slugs = field(default_factory=Slugs)


def page_urls(document: dict[str, Any]) -> PageUrls:
    """Slugs for every model and provider of a ``models.json`` document, assigned in sorted order."""
    return PageUrls(
        Slugs(m["id"] for m in document["models"]),
        Slugs(p["id"] for p in document["providers"]),
    )
