"""Where the catalog data comes from, and reading it.

Resolution order: an explicit location (``--catalog``) > ``KNOLLM_CATALOG`` (path or URL) > the copy
``knollm update`` keeps in the user cache directory > the snapshot bundled with the package (the
client index, with the full ``models.json.gz`` beside it). A location is a ``models.json``, a client
index, or a directory holding either (the index wins).
A :class:`DataSource` names the choice so every command can say which data it uses and how old it is.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

ENV_CATALOG = "KNOLLM_CATALOG"
ENV_CACHE_DIR = "KNOLLM_CACHE_DIR"
BUNDLED_DIR = Path(__file__).resolve().parent / "data"
CACHE_FILE = "models.json"
INDEX_FILE = "client-index.knollm"
URL_TIMEOUT = 30.0


class CatalogError(Exception):
    """The catalog data is missing, unreadable or not a Knollm catalog (a data problem, exit 1)."""


@dataclass(frozen=True, slots=True)
class DataSource:
    """One location of ``models.json`` and how it was chosen.

    ``kind`` is ``option`` (``--catalog``), ``env`` (``KNOLLM_CATALOG``), ``cache`` (``knollm
    update``) or ``bundled`` (shipped with the package).
    """

    kind: str
    location: str

    @property
    def is_url(self) -> bool:
        return self.location.startswith(("http://", "https://"))

    @property
    def path(self) -> Path | None:
        return None if self.is_url else Path(self.location)

    def modified(self) -> datetime | None:
        """When the file was written (for the cache: when it was downloaded)."""
        if self.path is None or not self.path.exists():
            return None
        return datetime.fromtimestamp(self.path.stat().st_mtime, tz=UTC)

    def read_bytes(self) -> bytes:
        """The JSON bytes, gunzipped when the file or response is gzip."""
        if self.is_url:
            data = _fetch(self.location)
        else:
            path = Path(self.location)
            try:
                data = path.read_bytes()
            except FileNotFoundError:
                raise CatalogError(f"catalog file not found: {path}") from None
            except OSError as exc:
                raise CatalogError(f"cannot read catalog {path}: {exc.strerror}") from None
        if data[:2] == b"\x1f\x8b":
            import gzip

            try:
                data = gzip.decompress(data)
            except (OSError, EOFError) as exc:
                raise CatalogError(f"catalog {self.location} is not valid gzip: {exc}") from None
        return data

    def sibling(self, name: str) -> Path | None:
        """A file beside this one (``libraries.json`` next to ``models.json``), plain or gzipped."""
        if self.path is None:
            return None
        for candidate in (self.path.parent / name, self.path.parent / f"{name}.gz"):
            if candidate.is_file():
                return candidate
        return None


def cache_dir() -> Path:
    """The per-user cache directory ``knollm update`` writes into (``KNOLLM_CACHE_DIR`` overrides)."""
    override = os.environ.get(ENV_CACHE_DIR)
    if override:
        return Path(override)
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("knollm", appauthor=False))


def bundled_file(name: str) -> Path | None:
    """A data file shipped with the package, or ``None`` when the package was built without it."""
    path = BUNDLED_DIR / f"{name}.gz"
    return path if path.is_file() else None


def bundled_index() -> Path | None:
    """The client index shipped with the package (what the bundled snapshot loads from)."""
    path = BUNDLED_DIR / INDEX_FILE
    return path if path.is_file() else None


def resolve(location: str | os.PathLike[str] | None = None) -> DataSource:
    """Pick the catalog to use, following the documented resolution order."""
    if location:
        return DataSource("option", _normalise(str(location)))
    env = os.environ.get(ENV_CATALOG)
    if env:
        return DataSource("env", _normalise(env))
    cached = cache_dir() / CACHE_FILE
    cached_index = cached.with_name(INDEX_FILE)
    if cached_index.is_file() and (
        not cached.is_file() or cached_index.stat().st_mtime >= cached.stat().st_mtime
    ):  # an index downloaded with (or after) the models.json beside it
        return DataSource("cache", str(cached_index))
    if cached.is_file():
        return DataSource("cache", str(cached))
    index = bundled_index()
    if index is not None:
        return DataSource("bundled", str(index))
    bundled = bundled_file("models.json")
    if bundled is not None:
        return DataSource("bundled", str(bundled))
    raise CatalogError(
        "no catalog data: this knollm was installed without its bundled snapshot "
        "(run `make client-data` in the repository), so run `knollm update` or set KNOLLM_CATALOG"
    )


def _normalise(location: str) -> str:
    if location.startswith(("http://", "https://")):
        return location
    path = Path(location).expanduser()
    if path.is_dir():
        path = path / INDEX_FILE if (path / INDEX_FILE).is_file() else path / "models.json"
    return str(path)


def _fetch(url: str) -> bytes:
    import httpx

    try:
        response = httpx.get(url, timeout=URL_TIMEOUT, follow_redirects=True)
        response.raise_for_status()
    except httpx.HTTPStatusError as exc:
        raise CatalogError(f"cannot fetch catalog {url}: HTTP {exc.response.status_code}") from None
    except httpx.HTTPError as exc:
        raise CatalogError(f"cannot fetch catalog {url}: {exc.__class__.__name__}") from None
    return response.content


def now() -> datetime:
    """The current time (one place, so tests can fix it)."""
    return datetime.now(tz=UTC)


def age_text(then: datetime, at: datetime | None = None) -> str:
    """``3 days old`` style age; ``today`` under a day."""
    at = at or now()
    days = (at - then).days
    if days < 1:
        return "today"
    if days < 60:
        return f"{days} day{'s' if days != 1 else ''} old"
    return f"{days // 30} months old"
