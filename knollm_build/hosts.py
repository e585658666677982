"""Direct hosts and routers of each model: the one count the site's pages and explorer share.

A provider is a *direct host* when its ``kind`` is ``first_party``, ``cloud``, ``inference_host``
or not known, and *indirect* (a router, a reseller or a subscription plan) otherwise: indirect
providers pass requests on to someone else's servers or sell usage under a plan, so counting
them as hosts would make a model look more widely served than it is (issue 13).

A provider counts for a model when it has at least one offering of it that is ``listed`` (a model
list names the id) and not ``retired``; unlisted and retired offerings are shown but never
counted.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from knollm_build.schema import INDIRECT_KINDS


def is_direct(kind: str | None) -> bool:
    """True for a direct host's kind (``None``, an unknown kind, counts as direct)."""
    return kind not in INDIRECT_KINDS


def counts_as_host(offering: Mapping[str, Any]) -> bool:
    """True when an offering (a ``models.json`` dict) makes its provider a host of its model."""
    return is_counted(offering.get("listed", True), offering.get("status", "active"))


def is_counted(listed: bool, status: str) -> bool:
    """The rule: an offering counts for its provider as a host when it is listed and not
    retired (the client's ``knollm.catalog.count_hosts`` mirrors it)."""
    return listed is not False and status != "retired"


def host_split(
    offerings: Iterable[tuple[str, bool, str]], kinds: Mapping[str, str | None]
) -> tuple[int, int]:
    """A model's direct and routed host counts from its offerings' ``(provider, listed,
    status)``: what assemble publishes as ``Model.direct_hosts`` / ``routed_hosts``."""
    counted = {provider for provider, listed, status in offerings if is_counted(listed, status)}
    direct = sum(1 for provider in counted if is_direct(kinds.get(provider)))
    return direct, len(counted) - direct


@dataclass(frozen=True)
class Hosts:
    """A model's hosts, split: ``direct`` and ``routed`` (routers, resellers, plans)."""

    direct: tuple[str, ...]
    routed: tuple[str, ...]

    def summary(self) -> str:
        """ "3 direct hosts · 2 via routers" (the routed part only when there are some)."""
        text = f"{len(self.direct)} direct host{'' if len(self.direct) == 1 else 's'}"
        if self.routed:
            text += f" · {len(self.routed)} via routers"
        return text


def model_hosts(
    offerings: Iterable[Mapping[str, Any]], kinds: Mapping[str, str | None]
) -> dict[str, Hosts]:
    """Model id -> its :class:`Hosts`, provider ids sorted; models without a counted offering
    are absent. ``kinds`` maps provider id -> kind."""
    direct: dict[str, set[str]] = defaultdict(set)
    routed: dict[str, set[str]] = defaultdict(set)
    for o in offerings:
        if not counts_as_host(o):
            continue
        provider = o["provider"]
        (direct if is_direct(kinds.get(provider)) else routed)[o["model"]].add(provider)
    return {
        model: Hosts(tuple(sorted(direct.get(model, ()))), tuple(sorted(routed.get(model, ()))))
        for model in direct.keys() | routed.keys()
    }


def provider_kinds(document: Mapping[str, Any]) -> dict[str, str | None]:
    """Provider id -> kind, from a ``models.json`` document."""
    return {p["id"]: p.get("kind") for p in document["providers"]}
