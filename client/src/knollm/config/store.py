"""A configuration that follows its files: a cheap mtime check per request, or ``reload()``.

The files read are stat'ed (size and modification time) on each :meth:`ConfigStore.refresh`;
when one changed, the configuration is loaded again and swapped in whole (one attribute
assignment, so a reader sees the old or the new one, never a mix). A change that does not load
(bad TOML, a refused key, a wrong value) keeps the last good configuration and logs a warning
saying why, once per change. A file created after the start is seen by :meth:`reload`.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from knollm.config.files import ConfigError
from knollm.config.settings import Config, load

log = logging.getLogger("knollm.config")


def _stamp(path: Path) -> tuple[int, int] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return st.st_mtime_ns, st.st_size


class ConfigStore:
    """The current :class:`Config` of one router (or any reader), kept up to date."""

    def __init__(
        self,
        *,
        profile: str | None = None,
        explicit: Mapping[str, Any] | None = None,
        environ: Mapping[str, str] | None = None,
    ) -> None:
        self.profile = profile
        self.explicit = dict(explicit or {})
        self.environ = environ
        self._lock = threading.Lock()
        self.config = self._load()  # a broken configuration at start is an error: raise it
        self._stamps = self._stat(self.config)
        self.generation = 0  # bumped on every swap

    def _load(self) -> Config:
        return load(profile=self.profile, explicit=self.explicit, environ=self.environ)

    @staticmethod
    def _stat(config: Config) -> dict[Path, tuple[int, int] | None]:
        return {f.path: _stamp(f.path) for f in config.files}

    def refresh(self) -> bool:
        """Reload if a file read changed since; True when a new configuration was swapped in."""
        stamps = self._stamps
        if all(_stamp(path) == stamp for path, stamp in stamps.items()):
            return False
        with self._lock:
            fresh = {path: _stamp(path) for path in stamps}
            if fresh == self._stamps:
                return False  # another thread handled this change
            self._stamps = fresh
            return self._swap()

    def reload(self) -> bool:
        """Look for files again and load them; True on success, else the old one is kept."""
        with self._lock:
            ok = self._swap()
            self._stamps = self._stat(self.config)
            return ok

    def _swap(self) -> bool:
        try:
            config = self._load()
        except ConfigError as exc:
            log.warning("knollm config: not reloaded, keeping the last good configuration: %s", exc)
            return False
        self.config = config
        self.generation += 1
        log.info("knollm config: reloaded (%s)", ", ".join(str(f.path) for f in config.files))
        return True
