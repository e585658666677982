"""State shared by many router processes through Redis: rate limits, breakers, budget and cache.

Used when the configuration names a server (``[redis] url = "redis://host:6379/0"`` or
``KNOLLM_REDIS_URL``); needs ``pip install 'knollm[redis]'``. Every key starts with the
``redis.prefix`` setting (default ``knollm``): routers with the same prefix share.

* Rate limits: :class:`RedisBuckets`, the same token buckets as :mod:`knollm.router.limits`,
  taken atomically by one Lua script on the server's clock (``TIME``).
* Budget: :class:`SharedBudget` plugs into :class:`~knollm.router.accounting.Ledger`: spend and
  in-flight reservations are one hash; each reservation is also a lease in a sorted set, so a
  process that dies holding one gives it back when the lease ends (``LEASE`` seconds).
* Breakers: :class:`SharedHealth` publishes a breaker that opens (until its cooldown ends) and
  one that closes; every process reads the open ones at most every ``SYNC`` seconds and opens its
  own breaker too. Half-open probes stay per process.
* Cache: :class:`RedisCache`, entries with Redis' own expiry; the size limit is the server's
  ``maxmemory`` with an LRU policy (``allkeys-lru``), not ``cache_max_mb``.

Outage: a command that fails (server gone, timeout) logs one warning and the router goes on with
this process's own state: local buckets, the budget from the last totals it saw, its own
breakers, the SQLite cache. It tries the server again every ``RETRY`` seconds and logs once when
it is back; spend booked meanwhile is added to the shared total then. Nothing here fails a request.
"""

from __future__ import annotations

import logging
import os
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from knollm.cache.store import Hit, SQLiteCache
from knollm.config.settings import redact_url
from knollm.router.health import OPEN, Health
from knollm.router.limits import LocalBuckets, Spec

log = logging.getLogger("knollm.router")
T = TypeVar("T")

RETRY = 5.0  # seconds between attempts to reach a server that was down
TIMEOUT = 0.5  # seconds a command may take before the server counts as down
LEASE = 900.0  # seconds a budget reservation is held if its process never settles it
SYNC = 1.0  # seconds between reads of the shared breakers


class Link:
    """One Redis connection pool, and the outage rule: one warning, local state, retry later."""

    def __init__(self, url: str, prefix: str = "knollm", client: Any = None) -> None:
        if client is None:
            try:
                import redis
            except ImportError:
                raise ValueError(
                    "redis.url is set but the redis package is missing: pip install 'knollm[redis]'"
                ) from None
            client = redis.Redis.from_url(
                url, socket_timeout=TIMEOUT, socket_connect_timeout=TIMEOUT
            )
        self.url, self.prefix, self.client = url, prefix, client
        self.down_until = 0.0
        self.down = False
        self._lock = threading.Lock()
        self._scripts: dict[str, Any] = {}

    def key(self, *parts: str) -> str:
        return ":".join((self.prefix, *parts))

    def script(self, name: str, source: str) -> Any:
        found = self._scripts.get(name)
        if found is None:
            found = self._scripts[name] = self.client.register_script(source)
        return found

    def call(self, fn: Callable[[], T], fallback: Callable[[], T]) -> T:
        """``fn()`` against the server, or ``fallback()`` while it is down."""
        if self.down and time.monotonic() < self.down_until:
            return fallback()
        try:
            result = fn()
        except Exception as exc:  # noqa: BLE001 - redis' ConnectionError, TimeoutError, ...
            with self._lock:
                first = not self.down
                self.down, self.down_until = True, time.monotonic() + RETRY
            if first:
                log.warning(
                    "knollm router: Redis at %s unreachable (%s: %s); using this process's own "
                    "rate limits, budget, breakers and cache until it is back",
                    redact_url(self.url),
                    type(exc).__name__,
                    exc,
                )
            return fallback()
        if self.down:
            with self._lock:
                if self.down:
                    self.down = False
                    log.info("knollm router: Redis at %s is back", redact_url(self.url))
        return result


# -- rate limits -------------------------------------------------------------------------------

BUCKETS_LUA = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1e6
local mode, max_wait = ARGV[1], tonumber(ARGV[2])
local levels, wait = {}, 0
for i, key in ipairs(KEYS) do
  local rate, cap, cost = tonumber(ARGV[i*3]), tonumber(ARGV[i*3+1]), tonumber(ARGV[i*3+2])
  local st = redis.call('HMGET', key, 'tokens', 'ts')
  local tokens = tonumber(st[1]) or cap
  local ts = tonumber(st[2]) or now
  if now > ts then tokens = math.min(cap, tokens + (now - ts) * rate) end
  levels[i] = tokens
  if mode ~= 'give' and tokens < cost then
    local w = rate > 0 and (cost - tokens) / rate or 1e18
    if w > wait then wait = w end
  end
end
if mode == 'wait' then return tostring(wait) end
if mode == 'take' and wait > max_wait then return false end
for i, key in ipairs(KEYS) do
  local rate, cap, cost = tonumber(ARGV[i*3]), tonumber(ARGV[i*3+1]), tonumber(ARGV[i*3+2])
  local tokens = levels[i]
  if mode == 'give' then tokens = math.min(cap, tokens + cost) else tokens = tokens - cost end
  redis.call('HSET', key, 'tokens', tostring(tokens), 'ts', tostring(now))
  local full = rate > 0 and math.ceil((cap - tokens) / rate) + 60 or 86400
  redis.call('EXPIRE', key, full)
end
return tostring(wait)
"""


class RedisBuckets:
    """:class:`~knollm.router.limits.Buckets` on the server, local ones while it is down."""

    def __init__(self, link: Link, local: LocalBuckets | None = None) -> None:
        self.link = link
        self.local = local or LocalBuckets()

    def _run(self, mode: str, specs: Sequence[Spec], max_wait: float) -> Any:
        keys = [self.link.key("rate", s.name) for s in specs]
        args: list[Any] = [mode, repr(max_wait)]
        for s in specs:
            args += [repr(s.rate), repr(s.capacity), repr(s.cost)]
        return self.link.script("buckets", BUCKETS_LUA)(keys=keys, args=args)

    def take(self, specs: Sequence[Spec], max_wait: float, now: float) -> float | None:
        def remote() -> float | None:
            out = self._run("take", specs, max_wait)
            return None if out is None else float(out)

        return self.link.call(remote, lambda: self.local.take(specs, max_wait, now))

    def give(self, specs: Sequence[Spec], now: float) -> None:
        self.link.call(
            lambda: self._run("give", specs, 0.0) and None, lambda: self.local.give(specs, now)
        )

    def wait(self, specs: Sequence[Spec], now: float) -> float:
        return self.link.call(
            lambda: float(self._run("wait", specs, 0.0)), lambda: self.local.wait(specs, now)
        )


# -- budget ------------------------------------------------------------------------------------

RESERVE_LUA = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1e6
local old = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now)
for _, m in ipairs(old) do
  redis.call('HINCRBYFLOAT', KEYS[1], 'reserved', -tonumber(string.match(m, ':([^:]+)$')))
end
if #old > 0 then redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now) end
local spent = tonumber(redis.call('HGET', KEYS[1], 'spent') or '0')
local reserved = math.max(tonumber(redis.call('HGET', KEYS[1], 'reserved') or '0'), 0)
local amount, budget = tonumber(ARGV[1]), tonumber(ARGV[2])
if budget >= 0 and spent + reserved + amount > budget + 1e-12 then
  return {0, tostring(spent), tostring(reserved)}
end
redis.call('HINCRBYFLOAT', KEYS[1], 'reserved', amount)
redis.call('ZADD', KEYS[2], now + tonumber(ARGV[4]), ARGV[3])
return {1, tostring(spent), tostring(reserved + amount)}
"""
SETTLE_LUA = """
if ARGV[1] ~= '' and redis.call('ZREM', KEYS[2], ARGV[1]) == 1 then
  redis.call('HINCRBYFLOAT', KEYS[1], 'reserved', -tonumber(string.match(ARGV[1], ':([^:]+)$')))
end
local cost = tonumber(ARGV[2])
if cost ~= 0 then redis.call('HINCRBYFLOAT', KEYS[1], 'spent', cost) end
return {redis.call('HGET', KEYS[1], 'spent') or '0', redis.call('HGET', KEYS[1], 'reserved') or '0'}
"""


class SharedBudget:
    """A :class:`~knollm.router.accounting.Ledger`'s spend and reservations on the server
    (``ledger.shared``); ``ledger.spent`` and ``ledger.reserved`` mirror the shared totals."""

    def __init__(self, link: Link) -> None:
        self.link = link
        self.keys = [link.key("budget"), link.key("budget", "leases")]
        self.tag = f"{os.getpid()}-{uuid.uuid4().hex[:8]}"
        self.mine: dict[float, list[str | None]] = {}  # amount -> leases (None: held locally)
        self.unsynced = 0.0  # spend booked while the server was down
        self._lock = threading.Lock()

    def _hold(self, amount: float, lease: str | None) -> None:
        with self._lock:
            self.mine.setdefault(amount, []).append(lease)

    def _lease(self, amount: float) -> str | None:
        with self._lock:
            held = self.mine.get(amount)
            return held.pop() if held else None

    def reserve(self, ledger: Any, amount: float) -> bool:
        lease = f"{self.tag}-{uuid.uuid4().hex[:12]}:{amount!r}"
        budget = -1.0 if ledger.budget is None else float(ledger.budget)

        def remote() -> bool:
            ok, spent, reserved = self.link.script("reserve", RESERVE_LUA)(
                keys=self.keys, args=[repr(amount), repr(budget), lease, repr(LEASE)]
            )
            ledger.spent, ledger.reserved = float(spent), float(reserved)
            if ok:
                self._hold(amount, lease)
            return bool(ok)

        def local() -> bool:
            with ledger._lock:
                if budget >= 0 and ledger.spent + ledger.reserved + amount > budget + 1e-12:
                    return False
                ledger.reserved += amount
            self._hold(amount, None)
            return True

        return self.link.call(remote, local)

    def _settle(self, ledger: Any, amount: float, cost: float) -> None:
        lease = self._lease(amount)
        if lease is None and cost == 0 and not self.unsynced:
            with ledger._lock:  # held locally (or nothing held): settle here
                ledger.reserved = max(ledger.reserved - amount, 0.0)
            return

        def remote() -> None:
            extra, self.unsynced = self.unsynced, 0.0
            spent, reserved = self.link.script("settle", SETTLE_LUA)(
                keys=self.keys, args=[lease or "", repr(cost + extra)]
            )
            ledger.spent, ledger.reserved = float(spent), max(float(reserved), 0.0)

        def local() -> None:
            with ledger._lock:
                ledger.reserved = max(ledger.reserved - amount, 0.0)
                ledger.spent += cost
            self.unsynced += cost

        self.link.call(remote, local)

    def release(self, ledger: Any, amount: float) -> None:
        self._settle(ledger, amount, 0.0)

    def record(self, ledger: Any, reserved: float, cost: float) -> None:
        self._settle(ledger, reserved, cost)


# -- breakers ----------------------------------------------------------------------------------


class SharedHealth(Health):
    """:class:`~knollm.router.health.Health` whose breaker openings reach every process."""

    def __init__(self, link: Link, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.link = link
        self.key = link.key("breakers")
        self.synced = -1e18

    def _pull(self, now: float) -> None:
        if now - self.synced < SYNC and now >= self.synced:
            return
        self.synced = now
        found = self.link.call(lambda: self.link.client.hgetall(self.key), dict)
        wall = time.time()
        for raw, value in (found or {}).items():
            name = raw.decode() if isinstance(raw, bytes) else str(raw)
            opened_wall, until = (float(v) for v in value.decode().split(":"))
            if until <= wall:
                continue
            with self.lock:
                b = self.breaker(name)
                if b.state != OPEN:
                    b.state, b.opened_at, b.probing = OPEN, now - (wall - opened_wall), False

    def admit(self, key: str, now: float) -> str | None:
        self._pull(now)
        return super().admit(key, now)

    def failed(self, key: str, now: float) -> None:
        super().failed(key, now)
        b = self.breakers[key]
        if b.state == OPEN and b.opened_at == now:  # it opened just now: tell the others
            wall = time.time()
            value = f"{wall!r}:{wall + b.cooldown!r}"
            self.link.call(lambda: self.link.client.hset(self.key, key, value), lambda: 0)

    def succeeded(self, key: str, seconds: float, now: float) -> None:
        was = self.state(key)
        super().succeeded(key, seconds, now)
        if was != "closed":
            self.link.call(lambda: self.link.client.hdel(self.key, key), lambda: 0)


# -- cache -------------------------------------------------------------------------------------


class RedisCache:
    """Cached answers on the server (the cache backend), the SQLite file while it is down."""

    def __init__(self, link: Link, local: SQLiteCache) -> None:
        self.link, self.local = link, local
        self.stats_key = link.key("cache", "stats")

    def _key(self, key: bytes) -> str:
        return self.link.key("cache", key.hex())

    def get(self, keys: list[bytes], now: float | None = None) -> Hit | None:
        def remote() -> Hit | None:
            pipe = self.link.client.pipeline(transaction=False)
            for k in keys:
                pipe.hgetall(self._key(k))
            for k, found in zip(keys, pipe.execute(), strict=True):
                if found:
                    cost = float(found[b"cost"]) if found.get(b"cost") else None
                    hits = self.link.client.pipeline(transaction=False)
                    hits.hincrby(self.stats_key, "served", 1)
                    if cost:
                        hits.hincrbyfloat(self.stats_key, "saved", cost)
                    hits.execute()
                    return Hit(
                        k, found[b"offering"].decode(), found[b"body"], cost,
                        float(found[b"created"]),
                    )  # fmt: skip
            return None

        return self.link.call(remote, lambda: self.local.get(keys, now))

    def put(
        self,
        key: bytes,
        offering: str,
        body: bytes,
        ttl: float,
        cost: float | None = None,
        now: float | None = None,
    ) -> bool:
        def remote() -> bool:
            name = self._key(key)
            pipe = self.link.client.pipeline(transaction=True)
            fields = {"offering": offering, "body": body, "created": repr(time.time())}
            if cost is not None:
                fields["cost"] = repr(cost)
            pipe.hset(name, mapping=fields)
            pipe.expire(name, max(int(ttl), 1))
            pipe.execute()
            return True

        return self.link.call(remote, lambda: self.local.put(key, offering, body, ttl, cost, now))


# -- wiring ------------------------------------------------------------------------------------


def link_for(settings: Any, previous: Link | None = None) -> Link:
    """The link the settings name (``previous`` kept when it is the same server and prefix)."""
    url, prefix = settings.redis.url, settings.redis.prefix
    if previous is not None and previous.url == url and previous.prefix == prefix:
        return previous
    return Link(url, prefix)


def attach(link: Link, limiter: Any, ledger: Any, cache: Any) -> None:
    """Share a router's rate limits, budget and cache through ``link`` (breakers: SharedHealth)."""
    if not isinstance(limiter.buckets, RedisBuckets):
        local = limiter.buckets if isinstance(limiter.buckets, LocalBuckets) else None
        limiter.buckets = RedisBuckets(link, local)
    if ledger.budget is not None and not isinstance(ledger.shared, SharedBudget):
        ledger.shared = SharedBudget(link)
    if cache is not None and isinstance(cache.backend, SQLiteCache):
        cache.backend = RedisCache(link, cache.backend)
