"""``knollm-build fetch``: download live model lists into a work directory the compiler reads.

Providers come from ``catalog/providers/*.toml`` (``models_endpoint``, ``auth_env``,
``api_style``); each answer is written to ``WORK/model_catalog/models_<provider>.json`` in
the provider's own shape, and the outcome to ``WORK/model_catalog/failed_models.json``
(the fetch log the compiler dates dumps by). Open catalogs (``--source``) go to
``WORK/sources/`` and are read by a compile when ``KNOLLM_MODELS_DEV`` /
``KNOLLM_LITELLM_MAP`` point at them (``make refresh`` does that).

Reliability: requests run concurrently under a limit, each with an overall timeout;
429, 5xx, timeouts and connection errors are retried with exponential backoff, honouring
``Retry-After`` up to a cap; files are replaced atomically, so an interrupted fetch leaves
the previous dump intact; a failed provider keeps its previous dump and is marked failed.
Keys are read from the environment only and scrubbed from every message and log record.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import os
import re
import tempfile
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from pathlib import Path
from typing import Any

import httpx
import orjson
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception, stop_after_attempt
from tenacity.wait import wait_exponential_jitter

from knollm_build.fetch_styles import (
    MAX_PAGES,
    PUBLIC,
    PageError,
    Style,
    auth_parts,
    check_litellm,
    check_model_list,
    check_models_dev,
    count_entries,
)

FETCH_LOG = "failed_models.json"
SOURCES_LOG = "fetch_log.json"
USER_AGENT = "knollm-build-fetch (+https://github.com/knollm)"

SOURCE_URLS = {
    "models-dev": "https://models.dev/api.json",
    "litellm": "https://raw.githubusercontent.com/BerriAI/litellm/main/"
    "model_prices_and_context_window.json",
}
"""Live open catalogs; ``openrouter`` is the third ``--source`` and is the provider's list."""

SOURCE_FILES = {"models-dev": "models-dev.json", "litellm": "litellm.json"}
SOURCE_CHECKS = {"models-dev": check_models_dev, "litellm": check_litellm}


class FetchError(Exception):
    """One target failed for a reason retrying will not fix."""


class Retryable(Exception):
    """A transient failure (429, 5xx, timeout, connection); ``retry_after`` in seconds if asked."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


@dataclass(frozen=True, slots=True)
class Policy:
    """Timeouts, retries and limits for one run."""

    timeout: float = 30.0
    """Seconds for one request, body included (a trickling answer cannot stall a run)."""
    attempts: int = 4
    """Requests per page, the first included."""
    backoff: float = 1.0
    """First retry delay in seconds; it doubles each retry, up to ``backoff_max``."""
    backoff_max: float = 30.0
    jitter: float = 0.5
    """Random seconds added to each backoff so parallel runs do not retry in step."""
    retry_after_max: float = 120.0
    """A longer ``Retry-After`` fails the target instead of stalling the run."""
    max_bytes: int = 256 * 2**20
    concurrency: int = 8
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep


@dataclass(frozen=True, slots=True)
class Target:
    """One endpoint to fetch and where its answer goes. Holds the key's variable, never the key."""

    id: str
    url: str
    style: Style
    key_env: str | None
    path: Path
    log_path: Path
    log_key: str
    check: Callable[[Any], str | None] = check_model_list


@dataclass(slots=True)
class Outcome:
    """What happened to one target."""

    id: str
    status: str
    """``fetched``, ``failed`` or ``skipped``."""
    detail: str
    requests: int = 0
    pages: int = 0
    models: int = 0
    written: bool = False
    path: Path | None = None

    @property
    def retries(self) -> int:
        return max(self.requests - self.pages, 0)


# --------------------------------------------------------------------------- secrets


_QUERY_KEY = re.compile(r"([?&](?:key|api_key|apikey|token)=)[^&#\s'\"]+", re.IGNORECASE)


@dataclass(slots=True)
class Redactor:
    """Removes key values, and any ``key=`` query value, from text."""

    secrets: set[str] = field(default_factory=set, repr=False)

    def add(self, secret: str | None) -> None:
        if secret and len(secret) >= 4:  # shorter "keys" would blank ordinary words
            self.secrets.add(secret)

    def __call__(self, text: str) -> str:
        for secret in sorted(self.secrets, key=len, reverse=True):
            text = text.replace(secret, "***")
        return _QUERY_KEY.sub(r"\1***", text)


class _ScrubFilter(logging.Filter):
    """Scrubs records of the HTTP libraries' loggers, which print full URLs."""

    def __init__(self, redact: Redactor) -> None:
        super().__init__()
        self.redact = redact

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg, record.args = self.redact(record.getMessage()), None
        return True


@contextlib.contextmanager
def _scrubbed_logs(redact: Redactor) -> Iterator[None]:
    names = {
        "httpx",
        *(f"httpcore.{n}" for n in ("connection", "http11", "http2", "proxy", "socks")),
    }
    names.update(
        n for n in logging.Logger.manager.loggerDict if n.startswith(("httpx", "httpcore"))
    )
    # A filter only sees records logged on its own logger, so every one gets it.
    loggers = [logging.getLogger(name) for name in sorted(names)]
    scrub = _ScrubFilter(redact)
    for logger in loggers:
        logger.addFilter(scrub)
    try:
        yield
    finally:
        for logger in loggers:
            logger.removeFilter(scrub)


def shown_url(url: str) -> str:
    """``url`` safe to print: query values that may be keys are masked."""
    return _QUERY_KEY.sub(r"\1***", url)


# --------------------------------------------------------------------------- files


def write_atomic(path: Path, data: bytes) -> bool:
    """Replace ``path`` with ``data`` via a temp file in the same directory and ``os.replace``.

    Readers see the old bytes or the new, never a mix. Returns False (and leaves the file
    alone) when the bytes are unchanged. On any error the temp file is removed.
    """
    try:
        if path.read_bytes() == data:
            return False
        mode = path.stat().st_mode & 0o777
    except FileNotFoundError:
        mode = 0o644
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            os.fchmod(handle.fileno(), mode)
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    return True


def remove_stale_temps(folder: Path) -> list[Path]:
    """Delete temp files a killed run left behind (``.<name>.json.<random>.tmp``)."""
    removed = []
    for path in folder.glob(".*.json.*.tmp") if folder.is_dir() else []:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
            removed.append(path)
    return removed


def read_log(path: Path) -> dict[str, Any]:
    """The fetch log as a dict; a missing or unreadable log starts empty."""
    try:
        doc = orjson.loads(path.read_bytes())
    except (OSError, orjson.JSONDecodeError):
        return {}
    return doc if isinstance(doc, dict) else {}


def log_entry(previous: Any, now: datetime, error: str | None) -> dict[str, Any]:
    """A fetch-log entry in the form of the captured log (``last_success`` in RFC 2822 GMT)."""
    entry: dict[str, Any] = {
        "failed": error is not None,
        "error": error or "",
        "last_attempt": now.isoformat(timespec="seconds"),
    }
    if error is None:
        entry["last_success"] = format_datetime(now, usegmt=True)
    elif isinstance(previous, dict) and previous.get("last_success"):
        entry["last_success"] = previous["last_success"]
    return entry


def dump_bytes(doc: Any) -> bytes:
    """How a dump is stored: indented JSON, the provider's key order, trailing newline."""
    return orjson.dumps(doc, option=orjson.OPT_INDENT_2 | orjson.OPT_APPEND_NEWLINE)


# --------------------------------------------------------------------------- HTTP


def retry_after_seconds(value: str | None, now: datetime | None = None) -> float | None:
    """``Retry-After`` as seconds (delta or HTTP date); None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        pass
    else:
        return max(seconds, 0.0) if math.isfinite(seconds) else None
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max((when - (now or datetime.now(UTC))).total_seconds(), 0.0)


def _snippet(body: bytes) -> str:
    """A short one-line excerpt of an error body (the provider's error message if JSON)."""
    with contextlib.suppress(orjson.JSONDecodeError):
        doc = orjson.loads(body)
        error = doc.get("error") if isinstance(doc, dict) else None
        message = error.get("message") if isinstance(error, dict) else error
        if isinstance(doc, dict) and not message:
            message = doc.get("message") or doc.get("detail")
        if isinstance(message, str) and message:
            body = message.encode()
    text = " ".join(body.decode("utf-8", "replace").split())
    return text[:160] + ("…" if len(text) > 160 else "")


async def _request(
    client: httpx.AsyncClient,
    url: str,
    headers: dict[str, str],
    params: dict[str, str],
    policy: Policy,
) -> bytes:
    """One GET, body included, within ``policy.timeout``; classifies failures."""
    try:
        async with asyncio.timeout(policy.timeout):
            async with client.stream("GET", url, headers=headers, params=params) as resp:
                status = resp.status_code
                if status == 429 or status >= 500:
                    raise Retryable(
                        f"HTTP {status} {resp.reason_phrase}",
                        retry_after_seconds(resp.headers.get("retry-after")),
                    )
                if 300 <= status < 400:
                    where = shown_url(resp.headers.get("location", "?"))
                    raise FetchError(f"HTTP {status} redirect to {where} (update models_endpoint)")
                chunks: list[bytes] = []
                size = 0
                async for chunk in resp.aiter_bytes():
                    size += len(chunk)
                    if size > policy.max_bytes:
                        raise FetchError(f"answer larger than {policy.max_bytes:,} bytes")
                    chunks.append(chunk)
                body = b"".join(chunks)
                if status >= 400:
                    raise FetchError(f"HTTP {status} {resp.reason_phrase}: {_snippet(body)}")
                return body
    except TimeoutError:
        raise Retryable(f"timed out after {policy.timeout:g} s") from None
    except httpx.TimeoutException:
        raise Retryable(f"timed out after {policy.timeout:g} s") from None
    except httpx.TransportError as exc:
        detail = " ".join(str(exc).split())
        name = type(exc).__name__
        raise Retryable(f"connection failed ({name}: {detail})" if detail else name) from None


def _wait(policy: Policy) -> Callable[[RetryCallState], float]:
    backoff = wait_exponential_jitter(
        multiplier=policy.backoff, max=policy.backoff_max, jitter=policy.jitter
    )

    def wait(state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, Retryable) and exc.retry_after is not None:
            return exc.retry_after
        return float(backoff(state))

    return wait


async def get_json(
    client: httpx.AsyncClient,
    url: str,
    headers: dict[str, str],
    params: dict[str, str],
    policy: Policy,
    outcome: Outcome,
) -> Any:
    """GET and parse one page, retrying transient failures; counts requests on ``outcome``."""

    def retryable(exc: BaseException) -> bool:
        return isinstance(exc, Retryable) and (
            exc.retry_after is None or exc.retry_after <= policy.retry_after_max
        )

    retrying = AsyncRetrying(
        stop=stop_after_attempt(policy.attempts),
        wait=_wait(policy),
        retry=retry_if_exception(retryable),
        sleep=policy.sleep,
        reraise=True,
    )
    try:
        async for attempt in retrying:
            with attempt:
                outcome.requests += 1
                body = await _request(client, url, headers, params, policy)
    except Retryable as exc:
        if exc.retry_after is not None and exc.retry_after > policy.retry_after_max:
            raise FetchError(
                f"{exc}; Retry-After {exc.retry_after:g} s exceeds the "
                f"{policy.retry_after_max:g} s cap"
            ) from None
        tries = "attempt" if outcome.requests == 1 else "attempts"
        raise FetchError(f"{exc} ({outcome.requests} {tries})") from None
    if not body.strip():
        raise FetchError("empty answer")
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise FetchError(f"answer is not valid JSON ({' '.join(str(exc).split())})") from None


def read_key(env: str | None) -> str | None:
    """The key in ``$env``, stripped; one with inner whitespace or control characters is refused
    (HTTP libraries would echo it, escaped, in their errors)."""
    key = (os.environ.get(env) or "").strip() if env else ""
    if key and not all(c.isprintable() and not c.isspace() for c in key):
        raise FetchError(f"{env} contains whitespace or control characters; not sent")
    return key or None


async def fetch_document(
    client: httpx.AsyncClient, target: Target, policy: Policy, outcome: Outcome
) -> Any:
    """Every page of ``target``, merged into one document in the provider's shape."""
    key = read_key(target.key_env)
    headers, auth_params = auth_parts(target.style, key)
    pages: list[Any] = []
    extra: dict[str, str] = {}
    seen: set[tuple[tuple[str, str], ...]] = set()
    while True:
        params = {**auth_params, **target.style.first_params, **extra}
        page = await get_json(client, target.url, headers, params, policy, outcome)
        problem = target.style.check_page(page)
        if problem:
            raise FetchError(f"page {len(pages) + 1}: {problem}")
        pages.append(page)
        outcome.pages = len(pages)
        try:
            following = target.style.next_params(page)
        except PageError as exc:
            raise FetchError(f"page {len(pages)}: {exc}") from None
        if following is None:
            break
        cursor = tuple(sorted(following.items()))
        if cursor in seen:
            raise FetchError(f"page {len(pages)}: the next-page cursor repeats; stopped")
        if len(pages) >= MAX_PAGES:
            raise FetchError(f"more than {MAX_PAGES} pages; stopped")
        seen.add(cursor)
        extra = following
    return target.style.merge(pages)


async def fetch_target(
    client: httpx.AsyncClient,
    target: Target,
    policy: Policy,
    limit: asyncio.Semaphore,
    redact: Redactor,
    now: Callable[[], datetime],
) -> Outcome:
    """Fetch, check and write one target, then record it in its fetch log."""
    outcome = Outcome(target.id, "failed", "", path=target.path)
    error: str | None = None
    async with limit:
        try:
            doc = await fetch_document(client, target, policy, outcome)
            problem = target.check(doc)
            if problem:
                raise FetchError(problem)
            outcome.models = count_entries(doc)
            outcome.written = write_atomic(target.path, dump_bytes(doc))
        except FetchError as exc:
            error = redact(str(exc))
        except OSError as exc:
            error = redact(f"cannot write {target.path.name}: {exc.strerror or exc}")
        except Exception as exc:  # a stage boundary: one target's surprise never sinks the run
            error = redact(f"internal error: {type(exc).__name__}: {exc}")
    log = read_log(target.log_path)
    log[target.log_key] = log_entry(log.get(target.log_key), now(), error)
    try:
        write_atomic(target.log_path, dump_bytes(log))
    except OSError as exc:
        error = (error + "; " if error else "") + (
            f"cannot write {target.log_path.name}: {exc.strerror or exc}"
        )
    if error is None:
        outcome.status = "fetched"
        outcome.detail = _fetched_detail(outcome)
    else:
        kept = "kept previous file" if target.path.exists() else "no previous file"
        outcome.detail = f"{error} ({kept})"
    return outcome


def _fetched_detail(outcome: Outcome) -> str:
    parts = [f"{outcome.models:,} models"]
    if outcome.pages > 1:
        parts.append(f"{outcome.pages} pages")
    if outcome.retries:
        parts.append(f"{outcome.retries} retr{'y' if outcome.retries == 1 else 'ies'}")
    parts.append("updated" if outcome.written else "unchanged")
    return ", ".join(parts)


async def fetch_all(
    targets: list[Target],
    policy: Policy,
    redact: Redactor,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> list[Outcome]:
    """Fetch every target concurrently (at most ``policy.concurrency`` at once)."""
    for folder in {t.path.parent for t in targets}:
        remove_stale_temps(folder)
    for target in targets:
        raw = os.environ.get(target.key_env) if target.key_env else None
        redact.add(raw)
        redact.add(raw.strip() if raw else None)
    limit = asyncio.Semaphore(policy.concurrency)
    transport_limits = httpx.Limits(max_connections=policy.concurrency)
    with _scrubbed_logs(redact):
        async with httpx.AsyncClient(
            headers={"User-Agent": USER_AGENT, "Accept": "application/json"},
            timeout=policy.timeout,
            limits=transport_limits,
            follow_redirects=False,
            trust_env=False,
        ) as client:
            return list(
                await asyncio.gather(
                    *(fetch_target(client, t, policy, limit, redact, now) for t in targets)
                )
            )


def source_target(name: str, url: str, out: Path) -> Target:
    """A keyless open catalog (``models-dev`` or ``litellm``) written to ``OUT/sources/``."""
    folder = out / "sources"
    return Target(
        name,
        url,
        PUBLIC,
        None,
        folder / SOURCE_FILES[name],
        folder / SOURCES_LOG,
        name,
        SOURCE_CHECKS[name],
    )
