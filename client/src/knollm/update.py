"""``knollm update``: fetch the published ``models.json``, check it, then swap it in atomically.

The download is checked three ways before it replaces anything: it parses as JSON, it validates
against the JSON Schema bundled with this package (the contract this client was built for), and
the client can load it. Only then is it written to a temporary file beside the target and renamed
over it, so a failed or interrupted update always leaves the previous data in place.
"""

from __future__ import annotations

import gzip
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from knollm.source import CACHE_FILE, CatalogError, bundled_file, cache_dir

DEFAULT_URL = "https://knollm.dev/data/models.json"
ENV_URL = "KNOLLM_UPDATE_URL"
TIMEOUT = 30.0
MAX_BYTES = 200 * 1024 * 1024


class UpdateError(Exception):
    """The update failed; the previous data is untouched."""


@dataclass(frozen=True, slots=True)
class UpdateResult:
    """What an update did."""

    path: Path
    url: str
    changed: bool
    size: int
    generated_at: str
    offerings: int


def default_url() -> str:
    return os.environ.get(ENV_URL) or DEFAULT_URL


def load_schema() -> dict[str, Any]:
    """The JSON Schema bundled with the package (the contract this client understands)."""
    path = bundled_file("schema.json")
    if path is None:
        raise UpdateError(
            "no bundled schema.json to check the download against (run make client-data)"
        )
    return orjson.loads(gzip.decompress(path.read_bytes()))


def validate(data: bytes, schema: dict[str, Any] | None = None) -> tuple[dict[str, Any], bytes]:
    """Parse and check a downloaded catalog (plain or gzipped JSON); return it and its JSON bytes.
    :class:`UpdateError` says what is wrong."""
    import fastjsonschema

    if data[:2] == b"\x1f\x8b":
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError) as exc:
            raise UpdateError(f"download is not valid gzip: {exc}") from None
    try:
        document = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise UpdateError(f"download is not valid JSON ({exc})") from None
    try:
        fastjsonschema.compile(schema or load_schema())(document)
    except fastjsonschema.JsonSchemaValueException as exc:
        raise UpdateError(f"download does not match the catalog schema: {exc.message}") from None
    from knollm.catalog import Catalog

    try:
        Catalog(document)
    except CatalogError as exc:
        raise UpdateError(f"download cannot be used: {exc}") from None
    return document, data


def fetch(url: str, timeout: float = TIMEOUT) -> bytes:
    """GET ``url``; :class:`UpdateError` with a one-line reason on any network or HTTP failure."""
    import httpx

    try:
        with httpx.stream("GET", url, timeout=timeout, follow_redirects=True) as response:
            if response.status_code != 200:
                raise UpdateError(f"{url} answered HTTP {response.status_code}")
            chunks, size = [], 0
            for chunk in response.iter_bytes():
                size += len(chunk)
                if size > MAX_BYTES:
                    raise UpdateError(f"{url} sent more than {MAX_BYTES // 2**20} MiB; refusing")
                chunks.append(chunk)
    except httpx.TimeoutException:
        raise UpdateError(f"cannot reach {url}: timed out after {timeout:g} s") from None
    except httpx.HTTPError as exc:
        reason = str(exc) or exc.__class__.__name__
        raise UpdateError(f"cannot reach {url}: {reason}") from None
    return b"".join(chunks)


def update(
    url: str | None = None, directory: Path | None = None, timeout: float = TIMEOUT
) -> UpdateResult:
    """Download, validate and install the catalog into the cache directory."""
    url = url or default_url()
    target = (directory or cache_dir()) / CACHE_FILE
    data = fetch(url, timeout)
    document, body = validate(data)
    if target.is_file() and target.read_bytes() == body:
        os.utime(target)  # the data is current as of now
        changed = False
    else:
        _replace(target, body)
        changed = True
    return UpdateResult(
        target, url, changed, len(body), document["generated_at"], len(document["offerings"])
    )


def _replace(target: Path, body: bytes) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(body)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
