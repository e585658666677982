"""Read the client index: the compact, column-oriented catalog the package bundles.

Parsing the full ``models.json`` (15 MB) costs ~0.4 s; the index holds what the records model in
~3 MB of columns with shared tables and loads in ~30 ms. The compiler writes it
(``knollm_build/client_index.py`` documents the format); this client never imports the compiler,
so the format is a versioned contract: an index of another version is refused with a clear error.

Fields the records do not model (provenance, conflicts) are not in the index: a record's ``raw``
reads them from the full ``models.json`` beside the index, on first use (:class:`FullDocument`).
"""

from __future__ import annotations

from functools import cache
from itertools import repeat
from pathlib import Path
from typing import Any

import orjson

from knollm.records import Model, Offering, PriceTier, Pricing, Provider
from knollm.source import BUNDLED_DIR, CatalogError, DataSource

MAGIC = b"knollm-client-index "
INDEX_FORMAT = "knollm-client-index"
INDEX_VERSION = 2
FILE_NAME = "client-index.knollm"
VOCABULARIES = ("status", "mode", "capability", "modality", "price_basis", "flag", "provider_kind")


def is_index(data: bytes) -> bool:
    """True when ``data`` starts like a client index (of any version)."""
    return data.startswith(MAGIC)


def _split(data: bytes, where: str) -> tuple[dict[str, Any], int]:
    """The header of an index and where its body starts; :class:`CatalogError` when unreadable."""
    first = data.find(b"\n")
    version = data[len(MAGIC) : first].decode("ascii", "replace").strip() if first > 0 else "?"
    if version != str(INDEX_VERSION):
        raise CatalogError(
            f"{where}: client index version {version} is not supported by this knollm (it reads "
            f"version {INDEX_VERSION}); upgrade knollm, or point it at the full models.json"
        )
    second = data.find(b"\n", first + 1)
    try:
        header = orjson.loads(memoryview(data)[first + 1 : second])
    except orjson.JSONDecodeError as exc:
        raise CatalogError(f"{where}: client index header is not valid JSON: {exc}") from None
    if not isinstance(header, dict) or header.get("format") != INDEX_FORMAT:
        raise CatalogError(f"{where}: not a knollm client index (bad header)")
    return header, second + 1


def read_header(path: Path) -> dict[str, Any]:
    """Only the header of the index at ``path`` (its vocabularies, counts, date): two lines read."""
    try:
        with path.open("rb") as handle:
            data = handle.readline() + handle.readline()
    except OSError as exc:
        raise CatalogError(f"cannot read client index {path}: {exc.strerror}") from None
    return _split(data + b"\n", str(path))[0]


@cache
def vocabulary() -> dict[str, tuple[str, ...]]:
    """The vocabularies (status, mode, capability, modality, price_basis, flag, provider_kind) of
    the index bundled with this package: the values the compiler's schema allows, which the CLI
    offers as choices."""
    path = BUNDLED_DIR / FILE_NAME
    if not path.is_file():
        raise CatalogError(
            f"no bundled client index {path}: run `make client-data` in the repository "
            "(the CLI takes its choices from it)"
        )
    vocab = read_header(path).get("vocab") or {}
    return {name: tuple(vocab.get(name) or ()) for name in VOCABULARIES}


class FullDocument:
    """The full ``models.json`` beside an index, parsed on the first ``raw`` asked for."""

    __slots__ = ("_records", "header", "source")

    def __init__(self, source: DataSource | None, header: dict[str, Any]) -> None:
        self.source = source
        self.header = header
        self._records: dict[str, dict[Any, dict[str, Any]]] | None = None

    def _load(self) -> dict[str, dict[Any, dict[str, Any]]]:
        if self._records is not None:
            return self._records
        path = self.source.sibling("models.json") if self.source else None
        if path is None:
            raise CatalogError(
                "the full models.json is not beside the client index "
                f"({self.source.location if self.source else 'in memory'}), so provenance and "
                "conflicts are not available; load models.json itself (Catalog.load(path))"
            )
        document = orjson.loads(DataSource("file", str(path)).read_bytes())
        counts = self.header.get("counts") or {}
        if document.get("generated_at") != self.header.get("generated_at") or any(
            len(document.get(kind) or ()) != counts.get(kind)
            for kind in ("providers", "models", "offerings")
        ):
            raise CatalogError(
                f"{path} is not the catalog the client index beside it was built from "
                "(regenerate both with `make client-data`)"
            )
        self._records = {
            "provider": {p["id"]: p for p in document["providers"]},
            "model": {m["id"]: m for m in document["models"]},
            "offering": {(o["provider"], o["provider_model_id"]): o for o in document["offerings"]},
        }
        return self._records

    def raw(self, record: Provider | Model | Offering) -> dict[str, Any]:
        """The contract's dict for one record of the index."""
        records = self._load()
        if isinstance(record, Offering):
            return records["offering"][(record.provider, record.provider_model_id)]
        if isinstance(record, Model):
            return records["model"][record.id]
        return records["provider"][record.id]


class Parts:
    """What :class:`~knollm.catalog.Catalog` is made of, read from an index."""

    __slots__ = ("header", "model_rows", "models", "offerings", "providers", "search")

    def __init__(
        self,
        header: dict[str, Any],
        providers: list[Provider],
        models: list[Model],
        offerings: list[Offering],
        search: LazySearch,
        model_rows: list[int],
    ) -> None:
        self.header = header
        self.providers = providers
        self.models = models
        self.offerings = offerings
        self.search = search
        self.model_rows = model_rows


def read(data: bytes, source: DataSource | None = None) -> Parts:
    """Build the records from index bytes. Call with the garbage collector paused."""
    where = source.location if source else "client index"
    header, start = _split(data, where)
    end = data.find(b"\n", start)
    view = memoryview(data)
    body_bytes = view[start:] if end < 0 else view[start:end]
    search_bytes = None if end < 0 else view[end + 1 :]
    try:
        body = orjson.loads(body_bytes)
        return _records(header, body, FullDocument(source, header), LazySearch(search_bytes, where))
    except (orjson.JSONDecodeError, KeyError, IndexError, TypeError, ValueError) as exc:
        raise CatalogError(
            f"{where}: damaged client index ({exc.__class__.__name__}: {exc})"
        ) from exc


class LazySearch:
    """The index's search tables (its last line), parsed on first use: commands that do not
    search never pay for them."""

    __slots__ = ("_data", "_tables", "_where")

    def __init__(self, data: memoryview | None, where: str) -> None:
        self._data, self._where = data, where
        self._tables: dict[str, Any] | None = None

    def tables(self) -> dict[str, Any]:
        if self._tables is None:
            if self._data is None:
                raise CatalogError(f"{self._where}: damaged client index (no search tables)")
            try:
                self._tables = orjson.loads(self._data)
            except orjson.JSONDecodeError as exc:
                raise CatalogError(f"{self._where}: damaged client index ({exc})") from None
            self._data = None
        return self._tables


def _records(
    header: dict[str, Any], body: dict[str, Any], full: FullDocument, search: LazySearch
) -> Parts:
    tuples = [tuple(t) for t in body["tuples"]]
    prices = []
    known = set(Pricing.__dataclass_fields__)
    fields = header["price_fields"]
    keep = [(i, name) for i, name in enumerate(fields) if name in known]  # newer fields: skipped
    for row in body["pricing"]:
        tiers = tuple(PriceTier(*tier) for tier in row[len(fields)])
        prices.append(Pricing(**{name: row[i] for i, name in keep}, tiers=tiers))
    providers = [
        Provider(
            r[0],
            r[1] or r[0],
            r[2],
            r[3],
            r[4],
            tuple(r[5] or ()),
            r[6],
            r[7],
            r[8],
            r[9] or 0,
            r[10] or 0,
            r[11],
            None,
            full,
        )
        for r in body["providers"]
    ]
    mc = body["models"]

    def column(values: list[int], table: list[Any]) -> list[Any]:
        return list(map(table.__getitem__, values))

    ids = mc["id"]
    models = list(
        map(
            Model, ids, [n or i for n, i in zip(mc["name"], ids, strict=True)], mc["creator"],
            mc["family"], mc["released"], mc["open_weights"], mc["context_window"],
            column(mc["im"], tuples), column(mc["om"], tuples), column(mc["cap"], tuples),
            column(mc["modes"], tuples), mc["hosts"], mc["offerings"], mc["dh"], mc["rh"],
            repeat(None), repeat(full),
        )
    )  # fmt: skip
    oc = body["offerings"]
    vocab = header["vocab"]
    model_ids = column(oc["m"], ids)
    api = [m if a is None else a for a, m in zip(oc["api"], model_ids, strict=True)]
    listed = [True] * len(api)
    for row in oc["unlisted"]:
        listed[row] = False
    basis = column(oc["basis"], [*vocab["price_basis"], None])  # -1: not stated
    successors: list[str | None] = [None] * len(api)
    for row, successor in oc.get("successors", ()):
        successors[row] = successor
    offerings = list(
        map(
            Offering, column(oc["p"], [p.id for p in providers]), model_ids, api, oc["name"],
            column(oc["variant"], tuples), column(oc["mode"], vocab["mode"]),
            column(oc["price"], prices), oc["ctx"], oc["mi"], oc["mo"], column(oc["im"], tuples),
            column(oc["om"], tuples), column(oc["cap"], tuples), column(oc["st"], vocab["status"]),
            oc["dep"], column(oc["src"], tuples), listed, basis, column(oc["fl"], tuples),
            successors, repeat(None), repeat(full),
        )
    )  # fmt: skip
    return Parts(header, providers, models, offerings, search, oc["m"])
