"""A response cache for the router: SQLite by default, shared through Redis when configured.

>>> from knollm.router import Router
>>> router = Router(cache=True)  # doctest: +SKIP
>>> router.chat.completions.create(model="...", messages=[...], temperature=0)  # doctest: +SKIP

:mod:`knollm.cache.key` says what counts as the same request, :mod:`knollm.cache.store` how
answers are kept, :mod:`knollm.cache.hook` which requests are cached and for how long.
"""

from knollm.cache.hook import RouterCache, default_path
from knollm.cache.key import cache_key, canonical, deterministic
from knollm.cache.store import Hit, SQLiteCache, Stats

__all__ = [
    "Hit",
    "RouterCache",
    "SQLiteCache",
    "Stats",
    "cache_key",
    "canonical",
    "default_path",
    "deterministic",
]
