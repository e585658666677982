"""The catalog in memory: load ``models.json``, look records up, filter offerings fast.

Offerings are kept in contract order (provider, then API id) and referred to by position; indexes
map providers, models, creators, modes, capabilities, modalities and statuses to position sets, and
context windows and prices to sorted position lists, so a filter intersects a few sets instead of
scanning 18,000 records. Indexes other than the basic lookups are built on first use.
"""

from __future__ import annotations

import os
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, fields
from functools import cached_property, partial
from itertools import groupby
from operator import attrgetter
from typing import Any

import orjson

from knollm import index as index_file
from knollm import queries
from knollm._gc import paused_gc
from knollm.costs import CostEstimate, estimate_cost
from knollm.history import PriceHistory, estimate_as_of, load_for
from knollm.records import INDIRECT_KINDS, Model, Offering, Provider
from knollm.source import CatalogError, DataSource, resolve

SUPPORTED_MAJOR = "1"
DEFAULT_STATUSES = ("active", "preview")


class NotFound(KeyError):
    """An id that is not in the catalog; ``suggestions`` holds the closest ids."""

    def __init__(self, kind: str, wanted: str, suggestions: Sequence[str]) -> None:
        super().__init__(wanted)
        self.kind, self.wanted, self.suggestions = kind, wanted, list(suggestions)

    def __str__(self) -> str:
        hint = f"; did you mean {', '.join(self.suggestions)}?" if self.suggestions else ""
        return f"unknown {self.kind} {self.wanted!r}{hint}"


def _strs(value: str | Iterable[str] | None) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    return tuple(value)


@dataclass(frozen=True, slots=True)
class Criteria:
    """Hard constraints on offerings; every field left at its default does not constrain, except
    ``listed``.

    Multi-valued fields: ``provider``, ``exclude_provider``, ``model``, ``creator``, ``mode``,
    ``status`` and ``price_basis`` accept any of their values; ``capabilities`` and the
    modalities require all of them. A numeric limit excludes offerings whose value is unknown
    (it cannot be shown to hold). ``free``: ``None`` any, ``False`` no $0 offerings (``free`` or
    ``subscription`` basis, or both token prices 0), ``True`` only those.
    ``require_api_key`` keeps providers whose API key variable (``auth_env``) is set right now.

    ``listed`` (default ``True``) leaves out offerings no model list names (only a price table
    or an old snapshot does: ids you may not be able to send); ``None`` includes them, ``False``
    keeps only them.

    Cost rankings (:meth:`Catalog.cheapest`, :meth:`Catalog.find_optimal`,
    :meth:`Catalog.compare`, the router's ``"auto"``) also apply
    :func:`knollm.queries.rankable`: an offering
    enters them only when token prices are what it costs (an offering billed per image, second,
    request or character is never priced as tokens), when it is not $0 unless ``include_free``
    (or ``free=True``), and when no flag puts its price in doubt unless ``include_flagged``
    (``price_outlier``, ``price_out_of_range``, ``placeholder_price``). These two options do not
    constrain :meth:`Catalog.filter` or :meth:`Catalog.search`.
    """

    provider: tuple[str, ...] = ()
    exclude_provider: tuple[str, ...] = ()
    model: tuple[str, ...] = ()
    creator: tuple[str, ...] = ()
    mode: tuple[str, ...] = ()
    capabilities: tuple[str, ...] = ()
    input_modalities: tuple[str, ...] = ()
    output_modalities: tuple[str, ...] = ()
    status: tuple[str, ...] = ()
    min_context: int | None = None
    max_input_price: float | None = None
    max_output_price: float | None = None
    free: bool | None = None
    require_api_key: bool = False
    listed: bool | None = True
    price_basis: tuple[str, ...] = ()
    include_free: bool = False
    include_flagged: bool = False

    @classmethod
    def of(cls, **given: Any) -> Criteria:
        """Build from keyword arguments, accepting a plain string where a tuple is expected."""
        names = {f.name for f in fields(cls)}
        unknown = set(given) - names
        if unknown:
            raise TypeError(f"unknown criteria: {', '.join(sorted(unknown))}")
        clean: dict[str, Any] = {}
        for key, value in given.items():
            default = cls.__dataclass_fields__[key].default
            clean[key] = _strs(value) if isinstance(default, tuple) else value
        return cls(**clean)

    def matches(
        self,
        o: Offering,
        creators: dict[str, str | None] | None = None,
        keyed: frozenset[str] | None = None,
    ) -> bool:
        """Check one offering directly, without indexes. ``creators`` (model id -> creator) and
        ``keyed`` (providers whose key is set) are needed for ``creator`` and ``require_api_key``."""
        p = o.pricing
        return (
            (not self.provider or o.provider in self.provider)
            and o.provider not in self.exclude_provider
            and (not self.model or o.model in self.model)
            and (not self.mode or o.mode in self.mode)
            and (not self.status or o.status in self.status)
            and all(c in o.capabilities for c in self.capabilities)
            and all(m in o.input_modalities for m in self.input_modalities)
            and all(m in o.output_modalities for m in self.output_modalities)
            and (self.min_context is None or (o.context_window or 0) >= self.min_context)
            and (
                self.max_input_price is None
                or (p.input is not None and p.input <= self.max_input_price)
            )
            and (
                self.max_output_price is None
                or (p.output is not None and p.output <= self.max_output_price)
            )
            and (self.free is None or o.is_free == self.free)
            and (not self.creator or (creators or {}).get(o.model) in self.creator)
            and (not self.require_api_key or o.provider in (keyed or ()))
            and (self.listed is None or o.listed == self.listed)
            and (not self.price_basis or o.price_basis in self.price_basis)
        )

    def ranks(self, o: Offering) -> bool:
        """:func:`rankable` under these criteria's ``include_free`` and ``include_flagged``."""
        return queries.rankable(o, self.ranks_free, self.include_flagged)

    @property
    def ranks_free(self) -> bool:
        """True when cost rankings under these criteria include $0 offerings."""
        return self.include_free or self.free is True

    @property
    def selective(self) -> bool:
        """True when an index narrows the offerings to a few (one provider's or model's)."""
        return bool(self.provider or self.model)


def count_hosts(
    models: Sequence[Model], offerings: Iterable[Offering], providers: Iterable[Provider]
) -> tuple[list[int], list[int]]:
    """Per model (in ``models`` order), its direct and its routed hosts: the distinct providers
    with a listed offering of it, split by kind — routers, resellers and subscription plans
    (:data:`knollm.records.INDIRECT_KINDS`) are routed; every other kind, and a provider of no
    stated kind, is direct. Unlisted and retired offerings count as neither (the compiler's
    ``knollm_build.hosts`` rule, which publishes ``Model.direct_hosts``)."""
    indirect = {p.id for p in providers if p.kind in INDIRECT_KINDS}
    row = {m.id: i for i, m in enumerate(models)}
    direct: list[set[str]] = [set() for _ in row]
    routed: list[set[str]] = [set() for _ in row]
    for o in offerings:
        where = row.get(o.model)
        if o.listed and o.status != "retired" and where is not None:
            (routed if o.provider in indirect else direct)[where].add(o.provider)
    return [len(s) for s in direct], [len(s) for s in routed]


def keys_set(provider: Provider) -> bool:
    """True when one of the provider's API key variables is set (non-empty) in the environment."""
    return any(os.environ.get(name) for name in provider.auth_env)


class Catalog:
    """The compiled catalog: providers, models and offerings, with lookups and fast queries.

    Create it with :meth:`load`. Records are immutable; queries return lists of them.
    """

    def __init__(self, document: dict[str, Any], source: DataSource | None = None) -> None:
        try:
            schema_version: str = document["schema_version"]
            generated_at: str = document["generated_at"]
            sources: list[dict[str, Any]] = document.get("sources") or []
            providers = [Provider.from_dict(d) for d in document["providers"]]
            models = [Model.from_dict(d) for d in document["models"]]
            offerings = [Offering.from_dict(d) for d in document["offerings"]]
            if any("direct_hosts" not in d for d in document["models"]):  # before schema 1.2
                for model, direct, routed in zip(
                    models, *count_hosts(models, offerings, providers), strict=True
                ):
                    model.direct_hosts, model.routed_hosts = direct, routed
        except (KeyError, TypeError, AttributeError) as exc:
            where = source.location if source else "document"
            raise CatalogError(
                f"{where} is not a Knollm catalog (bad or missing field {exc})"
            ) from None
        self._setup(schema_version, generated_at, sources, providers, models, offerings, source)

    def _setup(
        self,
        schema_version: str,
        generated_at: str,
        sources: list[dict[str, Any]],
        providers: list[Provider],
        models: list[Model],
        offerings: list[Offering],
        source: DataSource | None,
        vocab: dict[str, tuple[str, ...]] | None = None,
    ) -> None:
        if not isinstance(schema_version, str) or schema_version.split(".")[0] != SUPPORTED_MAJOR:
            raise CatalogError(
                f"catalog schema {schema_version} is not supported by this knollm "
                f"(expects {SUPPORTED_MAJOR}.x); upgrade knollm"
            )
        self.schema_version = schema_version
        self.generated_at = generated_at
        self.sources = sources
        self.providers = providers
        self.models = models
        self.offerings = offerings
        self.source = source
        #: The schema's vocabularies (status, mode, capability, modality) when loaded from the
        #: client index, which carries them; ``None`` for a catalog parsed from models.json.
        self.vocab = vocab
        self._prebuilt_search: index_file.LazySearch | None = None
        self.provider_by_id = {p.id: p for p in providers}
        self.model_by_id = {m.id: m for m in models}
        self._by_model = _positions(list(map(attrgetter("model"), offerings)))

    # -- loading -----------------------------------------------------------------------------

    @classmethod
    def load(cls, location: str | os.PathLike[str] | None = None) -> Catalog:
        """Load the catalog from ``location`` or, by default, ``KNOLLM_CATALOG``, the updated copy in
        the cache directory, or the bundled snapshot (in that order). Raises :class:`CatalogError`.

        ``location`` may be a ``models.json`` (plain or gzipped), a client index
        (``client-index.knollm``, ~10x faster to load) or a directory holding either (the index
        wins); the bundled snapshot is the index, with the full ``models.json`` beside it."""
        source = resolve(location)
        return cls.from_bytes(source.read_bytes(), source)

    @classmethod
    def from_bytes(cls, data: bytes, source: DataSource | None = None) -> Catalog:
        """Parse ``models.json`` bytes or a client index. The collector is paused meanwhile: it
        would otherwise walk the hundreds of thousands of fresh objects repeatedly and double
        the load time."""
        with paused_gc():
            if index_file.is_index(data):
                parts = index_file.read(data, source)
                header = parts.header
                catalog = cls.__new__(cls)
                vocab = {
                    name: tuple(header["vocab"].get(name) or ()) for name in index_file.VOCABULARIES
                }
                catalog._setup(
                    header.get("schema_version", ""),
                    header.get("generated_at") or "",
                    header.get("sources") or [],
                    parts.providers,
                    parts.models,
                    parts.offerings,
                    source,
                    vocab,
                )
                catalog._prebuilt_search = parts.search
                catalog.__dict__["_model_rows_given"] = parts.model_rows
                return catalog
            try:
                document = orjson.loads(data)
            except orjson.JSONDecodeError as exc:
                where = source.location if source else "data"
                raise CatalogError(f"{where} is not valid JSON: {exc}") from None
            if not isinstance(document, dict):
                raise CatalogError("catalog root must be a JSON object")
            return cls(document, source)

    # -- lookups -----------------------------------------------------------------------------

    def provider(self, provider_id: str) -> Provider:
        """The provider with this id; :class:`NotFound` with suggestions otherwise."""
        try:
            return self.provider_by_id[provider_id]
        except KeyError:
            raise NotFound(
                "provider", provider_id, self._closest(provider_id, self.provider_by_id)
            ) from None

    def model(self, model_id: str) -> Model:
        """The model with this id (an offering's API id also works); :class:`NotFound` otherwise."""
        found = self.model_by_id.get(model_id)
        if found is not None:
            return found
        by_api_id = self._api_ids.get(model_id)
        if by_api_id:
            return self.model_by_id[self.offerings[by_api_id[0]].model]
        raise NotFound("model", model_id, self._closest(model_id, self.model_by_id))

    def offering(self, key: str) -> Offering:
        """The offering ``provider:provider_model_id`` (API ids may themselves contain colons)."""
        provider, sep, api_id = key.partition(":")
        if sep:
            for pos in self._by_provider.get(provider, ()):
                if self.offerings[pos].provider_model_id == api_id:
                    return self.offerings[pos]
        keys = {o.key: None for o in self.offerings}
        raise NotFound("offering", key, self._closest(key, keys))

    def offerings_of(self, model_id: str) -> list[Offering]:
        """Every offering of a model, in contract order."""
        return [self.offerings[pos] for pos in self._by_model.get(model_id, ())]

    def offerings_at(self, provider_id: str) -> list[Offering]:
        """Every offering at a provider, in contract order."""
        return [self.offerings[pos] for pos in self._by_provider.get(provider_id, ())]

    def creators(self) -> list[str]:
        return sorted({m.creator for m in self.models if m.creator})

    @staticmethod
    def _closest(wanted: str, choices: Iterable[str]) -> list[str]:
        import difflib

        choices = list(choices)
        lowered = wanted.lower()
        close = difflib.get_close_matches(lowered, choices, n=3, cutoff=0.6)
        if len(close) < 3:
            contained = sorted((c for c in choices if lowered in c and c not in close), key=len)
            close += contained[: 3 - len(close)]
        return close

    @cached_property
    def _by_provider(self) -> dict[str, list[int]]:
        """Provider id -> its offerings' positions (built on first use)."""
        return _positions(list(map(attrgetter("provider"), self.offerings)))

    @cached_property
    def _model_rows(self) -> list[int]:
        """Per offering, the position of its model in ``models`` (-1 when not listed)."""
        rows = self.__dict__.get("_model_rows_given")
        if rows is not None:
            return rows
        where = {m.id: i for i, m in enumerate(self.models)}
        return [where.get(o.model, -1) for o in self.offerings]

    @cached_property
    def _api_ids(self) -> dict[str, list[int]]:
        ids: dict[str, list[int]] = {}
        for pos, o in enumerate(self.offerings):
            ids.setdefault(o.provider_model_id, []).append(pos)
        return ids

    # -- filtering ---------------------------------------------------------------------------

    def _set_index(self, name: str) -> dict[str, frozenset[int]]:
        """Value -> offering positions for one field, built on first use (one pass each)."""
        cache = self.__dict__.setdefault("_set_cache", {})
        index = cache.get(name)
        if index is None:
            with paused_gc():
                index = cache[name] = self._build_set_index(name)
        return index

    def _build_set_index(self, name: str) -> dict[str, frozenset[int]]:
        if name == "provider":
            return {k: frozenset(v) for k, v in self._by_provider.items()}
        if name == "model":
            return {k: frozenset(v) for k, v in self._by_model.items()}
        raw: dict[str, set[int]] = {}
        if name == "creator":
            creator_of = {m.id: m.creator for m in self.models if m.creator}
            for model_id, positions in self._by_model.items():
                creator = creator_of.get(model_id)
                if creator:
                    raw.setdefault(creator, set()).update(positions)
            return {k: frozenset(v) for k, v in raw.items()}
        many = {"cap": "capabilities", "in": "input_modalities", "out": "output_modalities"}
        if name in many:
            attr = many[name]
            for pos, o in enumerate(self.offerings):
                for value in getattr(o, attr):
                    raw.setdefault(value, set()).add(pos)
            return {k: frozenset(v) for k, v in raw.items()}
        if name == "price_basis":  # not stated (older catalogs): "" rather than None, to sort
            grouped = _positions([o.price_basis or "" for o in self.offerings])
            return {k: frozenset(v) for k, v in grouped.items()}
        # mode, status: one value per offering
        grouped = _positions(list(map(attrgetter(name), self.offerings)))
        return {k: frozenset(v) for k, v in grouped.items()}

    @cached_property
    def _sorted(self) -> dict[str, tuple[list[float], list[int]]]:
        """Numeric indexes: field -> (sorted values, positions in that order); unknowns left out."""
        with paused_gc():
            return self._build_sorted()

    def _build_sorted(self) -> dict[str, tuple[list[float], list[int]]]:
        columns: dict[str, list[float | None]] = {
            "context": [o.context_window for o in self.offerings],
            "input": [o.pricing.input for o in self.offerings],
            "output": [o.pricing.output for o in self.offerings],
        }
        out = {}
        for name, values in columns.items():
            pairs = sorted((v, pos) for pos, v in enumerate(values) if v is not None)
            out[name] = ([v for v, _ in pairs], [pos for _, pos in pairs])
        return out

    @cached_property
    def _free(self) -> frozenset[int]:
        return frozenset(pos for pos, o in enumerate(self.offerings) if o.is_free)

    @cached_property
    def _unlisted(self) -> frozenset[int]:
        """Positions of offerings no model list names (``listed`` false)."""
        return frozenset(pos for pos, o in enumerate(self.offerings) if not o.listed)

    def _union(self, index: str, values: tuple[str, ...]) -> frozenset[int]:
        table = self._set_index(index)
        if len(values) == 1:
            return table.get(values[0], frozenset())
        return frozenset().union(*(table.get(v, frozenset()) for v in values))

    def _range(self, name: str, low: float | None = None, high: float | None = None) -> list[int]:
        values, positions = self._sorted[name]
        lo = 0 if low is None else bisect_left(values, low)
        hi = len(values) if high is None else bisect_right(values, high)
        return positions[lo:hi]

    def matcher(self, criteria: Criteria) -> Callable[[Offering], bool]:
        """A predicate for one offering under ``criteria`` (for walks in a precomputed order)."""
        creators = self.__dict__.get("_creators")
        if creators is None:
            creators = self.__dict__["_creators"] = {m.id: m.creator for m in self.models}
        keyed = (
            frozenset(p.id for p in self.providers if keys_set(p))
            if criteria.require_api_key
            else None
        )
        return partial(criteria.matches, creators=creators, keyed=keyed)

    def positions(self, criteria: Criteria) -> set[int] | None:
        """Offering positions that meet ``criteria``; ``None`` means all of them (no constraint)."""
        c = criteria
        sets: list[frozenset[int]] = []
        for index, values in (
            ("provider", c.provider),
            ("model", c.model),
            ("creator", c.creator),
            ("mode", c.mode),
            ("status", c.status),
        ):
            if values:
                sets.append(self._union(index, values))
        sets += [self._union("cap", (v,)) for v in c.capabilities]
        sets += [self._union("in", (v,)) for v in c.input_modalities]
        sets += [self._union("out", (v,)) for v in c.output_modalities]
        if c.price_basis:
            sets.append(self._union("price_basis", c.price_basis))
        if c.free is True:
            sets.append(self._free)
        if c.listed is False:
            sets.append(self._unlisted)
        if c.require_api_key:
            keyed = tuple(p.id for p in self.providers if keys_set(p))
            sets.append(self._union("provider", keyed) if keyed else frozenset())
        ranges: list[tuple[str, float | None, float | None]] = []
        if c.min_context is not None:
            ranges.append(("context", c.min_context, None))
        if c.max_input_price is not None:
            ranges.append(("input", None, c.max_input_price))
        if c.max_output_price is not None:
            ranges.append(("output", None, c.max_output_price))
        result: set[int] | None = None
        if sets:
            sets.sort(key=len)
            result = set(sets[0]).intersection(*sets[1:]) if len(sets) > 1 else set(sets[0])
        for name, low, high in ranges:
            span = self._range(name, low, high)
            if result is None:
                result = set(span)
            elif len(span) < 20 * len(result):  # a C-level pass beats a Python one up to ~20x
                result.intersection_update(span)
            else:
                result = self._filter_numeric(result, name, low, high)
        drop_unlisted = c.listed is True and bool(self._unlisted)
        if result is None and (c.exclude_provider or c.free is False or drop_unlisted):
            result = set(range(len(self.offerings)))
        if result is not None:
            for provider in c.exclude_provider:
                result.difference_update(self._by_provider.get(provider, ()))
            if c.free is False:
                result.difference_update(self._free)
            if drop_unlisted:
                result.difference_update(self._unlisted)
        return result

    def _filter_numeric(
        self, found: set[int], name: str, low: float | None, high: float | None
    ) -> set[int]:
        offerings = self.offerings
        getter = {
            "context": lambda o: o.context_window,
            "input": lambda o: o.pricing.input,
            "output": lambda o: o.pricing.output,
        }[name]
        keep = set()
        for pos in found:
            value = getter(offerings[pos])
            if (
                value is not None
                and (low is None or value >= low)
                and (high is None or value <= high)
            ):
                keep.add(pos)
        return keep

    def filter(self, criteria: Criteria | None = None, **given: Any) -> list[Offering]:
        """Offerings meeting the criteria (a :class:`Criteria` or its fields as keywords), in
        contract order: ``catalog.filter(capabilities=["tools"], min_context=128_000)``."""
        crit = criteria if criteria is not None else Criteria.of(**given)
        found = self.positions(crit)
        if found is None:
            return list(self.offerings)
        return [self.offerings[pos] for pos in sorted(found)]

    def host_split(self, offerings: Iterable[Offering]) -> tuple[int, int]:
        """Distinct direct and routed providers among the listed ``offerings``, by the rule of
        :func:`count_hosts` (``search`` uses it for the hosts of the offerings that matched)."""
        direct: set[str] = set()
        routed: set[str] = set()
        by_id = self.provider_by_id
        for o in offerings:
            if o.listed and o.status != "retired":
                p = by_id.get(o.provider)
                (direct if p is None or p.is_direct else routed).add(o.provider)
        return len(direct), len(routed)

    # -- questions (implemented in knollm.queries) -------------------------------------------

    def search(
        self,
        query: str | None = None,
        *,
        sort: str = "relevance",
        limit: int | None = 20,
        criteria: Criteria | None = None,
        **given: Any,
    ) -> list[queries.ModelMatch]:
        """Models matching a fuzzy ``query`` (``"llama 70b"``, ``"gpt4o"``) that have an offering
        meeting the criteria; ``sort`` is one of relevance, price, context, released, hosts, name."""
        crit = criteria if criteria is not None else Criteria.of(**given)
        return queries.search(self, query, crit, sort=sort, limit=limit)

    def cheapest(
        self,
        *,
        input_tokens: float = queries.DEFAULT_INPUT,
        output_tokens: float = queries.DEFAULT_OUTPUT,
        cached_share: float = 0.0,
        requests: int | None = None,
        batch: bool = False,
        limit: int | None = 10,
        criteria: Criteria | None = None,
        **given: Any,
    ) -> list[CostEstimate]:
        """Offerings meeting the criteria, cheapest for the workload first (default 3M input and 1M
        output tokens). Unless given, status is active/preview; unlisted offerings are left out
        (``listed=None`` includes them), so are $0 ones (``include_free=True``), price-flagged ones
        (``include_flagged=True``), offerings not priced per token (always) and offerings
        missing a needed price (:func:`knollm.queries.rankable`)."""
        crit = criteria if criteria is not None else Criteria.of(**ranking_defaults(given))
        return queries.cheapest(
            self, crit, input_tokens, output_tokens, cached_share, requests, batch, limit
        )

    def find_optimal(
        self,
        preferences: queries.Preferences | None = None,
        *,
        limit: int = 10,
        criteria: Criteria | None = None,
        **given: Any,
    ) -> list[queries.Ranked]:
        """Offerings meeting every hard constraint (the criteria), ranked by weighted
        ``preferences``, each with the reasons for its rank. The candidates are those
        :meth:`cheapest` would rank: unless given, status is active/preview, and unlisted, $0
        (rate-limited tiers, plans), price-flagged and non-token-priced offerings are left out."""
        if criteria is None:
            criteria = Criteria.of(**ranking_defaults(given))
        return queries.find_optimal(self, criteria, preferences or queries.Preferences(), limit)

    def compare(
        self,
        model_ids: Sequence[str],
        *,
        input_tokens: float = queries.DEFAULT_INPUT,
        output_tokens: float = queries.DEFAULT_OUTPUT,
        include_free: bool = False,
        include_flagged: bool = False,
        listed: bool | None = True,
    ) -> list[queries.Comparison]:
        """Models side by side with their cheapest paid offering for the workload (listed,
        priced per token, unflagged unless the options say otherwise)."""
        return queries.compare(
            self,
            list(model_ids),
            input_tokens,
            output_tokens,
            include_free,
            include_flagged,
            listed,
        )

    def history(self) -> PriceHistory:
        """The price ledger beside this catalog (else the bundled one), loaded once."""
        if "_history" not in self.__dict__:
            self.__dict__["_history"] = load_for(self.source)
        return self.__dict__["_history"]

    def estimate_cost(
        self,
        offering: Offering,
        input_tokens: float,
        output_tokens: float,
        *,
        cached_share: float = 0.0,
        requests: int | None = None,
        batch: bool = False,
        as_of: str | None = None,
    ) -> CostEstimate:
        """Cost of a workload at one offering; see :func:`knollm.costs.estimate_cost`. With
        ``as_of`` (``YYYY-MM-DD``), at the prices in force then (:mod:`knollm.history`)."""
        if as_of is not None:
            return estimate_as_of(self.history(), offering, input_tokens, output_tokens,
                                  as_of=as_of, cached_share=cached_share, requests=requests,
                                  batch=batch)  # fmt: skip
        return estimate_cost(
            offering,
            input_tokens,
            output_tokens,
            cached_share=cached_share,
            requests=requests,
            batch=batch,
        )


def _positions(keys: list[str]) -> dict[str, list[int]]:
    """Key -> the positions holding it, ascending: a stable sort and C-level grouping instead of
    a Python append per offering (this runs on every load)."""
    order = sorted(range(len(keys)), key=keys.__getitem__)
    return {key: list(group) for key, group in groupby(order, key=keys.__getitem__)}


def ranking_defaults(given: dict[str, Any]) -> dict[str, Any]:
    """The criteria of a cost ranking given as keywords, with its defaults: status active or
    preview; ``free=None`` (the older way to ask for $0 offerings) means ``include_free=True``.
    ``listed`` defaults to True and ``include_free`` / ``include_flagged`` to False in
    :class:`Criteria` itself."""
    given = dict(given)
    given.setdefault("status", DEFAULT_STATUSES)
    if "free" in given and given["free"] is None:
        given.setdefault("include_free", True)
    return given
