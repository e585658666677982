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

    __slots__ = ("_secret", "disabled", "fingerprint", "index", "limited_until", "provider")

    def __init__(self, provider: str, secret: str, index: int) -> None:
        self.provider = provider
        self._secret = secret
        self.index = index
        self.fingerprint = fingerprint(secret)
        self.disabled: str | None = None
        self.limited_until = 0.0

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


class KeyPool:
    """The keys of one provider, handed out round-robin among those usable right now."""

    def __init__(self, provider: str, secrets: Iterable[str]) -> None:
        self.provider = provider
        self.keys = [ApiKey(provider, s, i) for i, s in enumerate(dict.fromkeys(secrets))]
        self._next = 0
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        usable = sum(1 for k in self.keys if not k.disabled)
        return f"KeyPool({self.provider}: {usable}/{len(self.keys)} keys usable)"

    def pick(self, now: float) -> ApiKey | None:
        """The next key that is neither taken out nor rate-limited at ``now``; None if none is."""
        with self._lock:
            n = len(self.keys)
            for step in range(n):
                key = self.keys[(self._next + step) % n]
                if not key.disabled and key.limited_until <= now:
                    self._next = (self._next + step + 1) % n
                    return key
        return None

    def usable(self) -> bool:
        """True while at least one key is not taken out (it may be rate-limited for now)."""
        return any(not k.disabled for k in self.keys)

    def ready_at(self) -> float | None:
        """When the earliest rate-limited key becomes usable again; None if none is waiting."""
        times = [k.limited_until for k in self.keys if not k.disabled]
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
        """Rate-limit a key until a time (from Retry-After)."""
        with self._lock:
            key.limited_until = max(key.limited_until, until)


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
