"""The response cache as the router uses it: which requests, which keys, how long, what comes back.

A request is looked up and stored when its ``cache=`` keyword says so (``True``: always,
``False``: never), else when the router's ``cache_all`` setting is on, else only when it is
deterministic (``temperature=0``). The lookup asks for every candidate of the plan at once (one
query) and takes the first, in the plan's order, that has a live entry: an answer stored under
``groq:llama-3.3-70b-versatile`` serves any later request whose candidates include that offering.
A hit costs nothing and is booked with ``cost_source="cache"`` and one attempt with outcome
``cache``; no provider is called and no budget is reserved.

Only complete answers are stored: every choice has a ``finish_reason``. A stream is stored as its
final message once it ends complete (never when cut, failed or left early).

TTL in seconds per offering: the most specific of ``cache_ttls["provider/api-id"]``,
``cache_ttls["canonical-model"]``, ``cache_ttls["provider"]``, else ``cache_ttl``; 0 means never
cached there.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from openai.types.chat import ChatCompletion, ChatCompletionChunk

from knollm.cache.key import cache_key, canonical, deterministic
from knollm.cache.replay import Assembler, AsyncCachedStream, CachedStream, chunks
from knollm.cache.store import Hit, SQLiteCache
from knollm.records import Offering
from knollm.router.accounting import RouteInfo, usage_of

if TYPE_CHECKING:
    from knollm.config import Settings
    from knollm.router.core import Run, Target


class Backend(Protocol):
    """Where cached answers live: :class:`~knollm.cache.store.SQLiteCache` or a shared store."""

    def get(self, keys: list[bytes], now: float | None = None) -> Hit | None: ...

    def put(
        self,
        key: bytes,
        offering: str,
        body: bytes,
        ttl: float,
        cost: float | None = None,
        now: float | None = None,
    ) -> bool: ...


def default_path() -> Path:
    """``responses.sqlite`` in the user cache directory (``KNOLLM_CACHE_DIR`` overrides)."""
    from knollm.source import cache_dir

    return cache_dir() / "responses.sqlite"


def complete(answer: ChatCompletion) -> bool:
    return bool(answer.choices) and all(c.finish_reason is not None for c in answer.choices)


class RouterCache:
    """The router's view of a cache backend (see the module docstring)."""

    def __init__(
        self,
        backend: Backend,
        ttl: float = 86400.0,
        ttls: Mapping[str, float] | None = None,
        cache_all: bool = False,
    ) -> None:
        self.backend, self.ttl, self.ttls, self.cache_all = (
            backend,
            ttl,
            dict(ttls or {}),
            cache_all,
        )

    def ttl_for(self, o: Offering) -> float:
        for name in (f"{o.provider}/{o.provider_model_id}", o.model, o.provider):
            if name in self.ttls:
                return self.ttls[name]
        return self.ttl

    def wants(self, params: Mapping[str, Any], sdk: Mapping[str, Any]) -> bool:
        asked = params.get("cache")
        if asked is not None:
            return bool(asked)
        return self.cache_all or deterministic(sdk)

    @staticmethod
    def form(sdk: Mapping[str, Any]) -> bytes:
        return canonical(sdk)

    def lookup(
        self, run: Run, form: bytes, params: Mapping[str, Any], sync: bool = True
    ) -> ChatCompletion | CachedStream | AsyncCachedStream | None:
        """A cached answer for this request (as a stream when it asked for one), or None."""
        keys = {cache_key(o.key, form): o for o in run.plan if self.ttl_for(o) > 0}
        if not keys:
            return None
        hit = self.backend.get(list(keys))
        if hit is None:
            return None
        try:
            answer = ChatCompletion.model_validate_json(hit.body)
        except ValueError:  # an entry this version cannot read: a miss
            return None
        info = run.cached(keys[hit.key], usage_of(answer.usage))
        if not params.get("stream"):
            object.__setattr__(answer, "knollm", info)
            return answer
        options = params.get("stream_options") or {}
        items = chunks(answer, bool(options.get("include_usage")))
        return CachedStream(items, info) if sync else AsyncCachedStream(items, info)

    def store(self, form: bytes, target: Target, answer: ChatCompletion, info: RouteInfo) -> None:
        """Keep a complete answer under its offering's key."""
        o = target.offering
        ttl = self.ttl_for(o)
        if ttl <= 0 or not complete(answer):
            return
        body = answer.model_dump_json(exclude_unset=True).encode()
        self.backend.put(cache_key(o.key, form), o.key, body, ttl, info.cost)

    def collect(self, stream: Any, form: bytes, target: Target) -> None:
        """Have a routed stream hand its chunks over, to be stored once it ends complete."""
        if self.ttl_for(target.offering) > 0:
            stream._collect = _Collector(self, form, target)


class _Collector:
    """A stream's chunks on their way into the cache."""

    def __init__(self, cache: RouterCache, form: bytes, target: Target) -> None:
        self.cache, self.form, self.target = cache, form, target
        self.assembler = Assembler()

    def add(self, chunk: ChatCompletionChunk) -> None:
        self.assembler.add(chunk)

    def done(self, info: RouteInfo) -> None:
        try:
            answer = ChatCompletion.model_validate(self.assembler.result())
        except ValueError:
            return
        self.cache.store(self.form, self.target, answer, info)


def from_settings(s: Settings, previous: RouterCache | None = None) -> RouterCache | None:
    """The cache the settings ask for (None when ``cache`` is off); keeps ``previous``'s open
    backend when it is the same file."""
    if not s.cache:
        return None
    path = Path(os.path.expanduser(s.cache_path)) if s.cache_path else default_path()
    max_bytes = int(s.cache_max_mb * (1 << 20))
    old = previous.backend if previous is not None else None
    old = getattr(old, "local", old)  # the SQLite file behind a shared (Redis) cache
    backend: Backend
    if isinstance(old, SQLiteCache) and old.path == path:
        old.max_bytes = max_bytes
        backend = old
    else:
        backend = SQLiteCache(path, max_bytes)
    return RouterCache(backend, s.cache_ttl, s.cache_ttls, s.cache_all)
