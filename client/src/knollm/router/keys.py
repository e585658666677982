"""API keys per provider: discovery from the environment, rotation, and taking keys out.

A key's secret is held in a private slot and never appears in ``repr``, logs or errors: those show
its fingerprint, ``key#`` plus the first 8 hex digits of its SHA-256 (no character of the key
itself). ``scrub`` replaces any known secret in a text by its fingerprint, for server messages
that echo the key back.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import threading
from collections.abc import Iterable, Mapping, Sequence

log = logging.getLogger("knollm.router")


def fingerprint(secret: str) -> str:
    """A short, non-reversible label for a key: ``key#`` and 8 hex digits of its SHA-256."""
    return "key#" + hashlib.sha256(secret.encode()).hexdigest()[:8]


class ApiKey:
    """One key of one provider, with its state: taken out (401/403) or rate-limited until a time."""

    __slots__ = (
        "_secret",
        "disabled",
        "fingerprint",
        "index",
        "inflight",
        "limited_until",
        "provider",
        "window",
    )

    def __init__(self, provider: str, secret: str, index: int) -> None:
        self.provider = provider
        self._secret = secret
        self.index = index
        self.fingerprint = fingerprint(secret)
        self.disabled: str | None = None
        self.limited_until = 0.0
        self.inflight = 0  # requests sent with this key and not finished yet
        self.window: int | None = None  # in-flight cap while recovering from a 429; None: no cap

    def admits(self, now: float) -> bool:
        """Usable at ``now``: not taken out, not resting, and under its recovery window."""
        return (
            not self.disabled
            and self.limited_until <= now
            and (self.window is None or self.inflight < self.window)
        )

    def reveal(self) -> str:
        """The secret, for the transport only."""
        return self._secret

    def __repr__(self) -> str:
        state = f", disabled: {self.disabled}" if self.disabled else ""
        return f"ApiKey({self.provider} {self.fingerprint}{state})"

    __str__ = __repr__


def keys_from_env(auth_env: Sequence[str], environ: Mapping[str, str] | None = None) -> list[str]:
    """Secrets for one provider from its ``auth_env`` variables and numbered siblings.

    ``GROQ_API_KEY``, then ``GROQ_API_KEY_2``, ``GROQ_API_KEY_3``... (any number, in numeric order),
    for each variable name in turn; empty values and duplicates are dropped.
    """
    env = os.environ if environ is None else environ
    found: list[str] = []
    for name in auth_env:
        pattern = re.compile(re.escape(name) + r"(?:_(\d+))?")
        numbered: list[tuple[int, str]] = []
        for var, value in env.items():
            match = pattern.fullmatch(var)
            if match and value.strip():
                numbered.append((int(match.group(1) or 1), value.strip()))
        found.extend(value for _, value in sorted(numbered))
    return list(dict.fromkeys(found))


RECOVERY_POLL = 0.05  # seconds between looks at a recovering key whose window is full
RECOVERY_DONE = 16  # a recovering key's window at which it counts as recovered


class KeyPool:
    """The keys of one provider, handed out round-robin among those usable right now.

    After a 429 a key rests until its ``Retry-After``; then it *recovers*: one request at a time
    may use it, and each success doubles how many may be in flight at once (1, 2, 4 ... 16, then no
    cap), so callers that waited on the key are let back one at a time rather than all at once.
    Another 429 during recovery rests it again with a window of one. Every key handed out by
    :meth:`pick` must be given back once with :meth:`finish`.
    """

    def __init__(self, provider: str, secrets: Iterable[str]) -> None:
        self.provider = provider
        self.keys = [ApiKey(provider, s, i) for i, s in enumerate(dict.fromkeys(secrets))]
        self._next = 0
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        usable = sum(1 for k in self.keys if not k.disabled)
        return f"KeyPool({self.provider}: {usable}/{len(self.keys)} keys usable)"

    def pick(self, now: float) -> ApiKey | None:
        """The next key usable at ``now`` (counted in flight until :meth:`finish`); None if none."""
        with self._lock:
            n = len(self.keys)
            for step in range(n):
                key = self.keys[(self._next + step) % n]
                if key.admits(now):
                    self._next = (self._next + step + 1) % n
                    key.inflight += 1
                    return key
        return None

    def finish(self, key: ApiKey, ok: bool) -> None:
        """A request sent with ``key`` is over; ``ok`` when the provider accepted it."""
        with self._lock:
            key.inflight = max(key.inflight - 1, 0)
            if ok and key.window is not None:
                key.window *= 2
                if key.window >= RECOVERY_DONE:
                    key.window = None

    def usable(self) -> bool:
        """True while at least one key is not taken out (it may be rate-limited for now)."""
        return any(not k.disabled for k in self.keys)

    def ready_at(self, now: float) -> float | None:
        """When a key may next be usable: the earliest end of a rest, or a short poll for a
        recovering key whose window is full; None when every key is taken out."""
        with self._lock:
            times = []
            for k in self.keys:
                if k.disabled:
                    continue
                if k.limited_until > now:
                    times.append(k.limited_until)
                elif k.window is not None and k.inflight >= k.window:
                    times.append(now + RECOVERY_POLL)
                else:
                    times.append(now)
        return min(times) if times else None

    def disable(self, key: ApiKey, status: int | None, reason: str) -> None:
        """Take a key out of rotation for good (rejected by the provider) and warn once."""
        with self._lock:
            if key.disabled:
                return
            key.disabled = f"HTTP {status}" if status else reason
        left = sum(1 for k in self.keys if not k.disabled)
        log.warning(
            "knollm router: %s key %s was rejected (%s); taken out of rotation, %d left",
            self.provider,
            key.fingerprint,
            reason,
            left,
        )

    def limit(self, key: ApiKey, until: float) -> None:
        """Rest a key until a time (from Retry-After); it then recovers one request at a time."""
        with self._lock:
            key.limited_until = max(key.limited_until, until)
            key.window = 1


class KeyRing:
    """Every provider's pool, and a scrubber that hides any known secret in a text."""

    def __init__(self, pools: Mapping[str, KeyPool]) -> None:
        self.pools = dict(pools)
        secrets = sorted(
            {k.reveal() for pool in pools.values() for k in pool.keys}, key=len, reverse=True
        )
        self._secrets = {s: fingerprint(s) for s in secrets}
        self._pattern = re.compile("|".join(re.escape(s) for s in secrets)) if secrets else None

    def scrub(self, text: str) -> str:
        """``text`` with every known secret replaced by its fingerprint."""
        if self._pattern is None or not text:
            return text
        return self._pattern.sub(lambda m: self._secrets[m.group(0)], text)

    def __repr__(self) -> str:
        return f"KeyRing({', '.join(repr(p) for p in self.pools.values())})"
