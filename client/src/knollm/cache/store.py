"""The response cache's SQLite file: safe across threads and processes, self-healing, bounded.

One table, ``responses``: the key (SHA-256 of the resolved offering and the canonical request,
see :mod:`knollm.cache.key`), the offering, when it was stored, when it expires, when it was last
used (for LRU eviction), how often it was served, its size, what it cost when it was asked, and
the answer (a ``ChatCompletion`` as JSON). A trigger keeps the total size in ``meta``, so the
size limit is checked without a scan.

* Threads: one connection per thread. Processes: WAL journal and a busy timeout, every write a
  short ``BEGIN IMMEDIATE`` transaction.
* A file that is not a database, or is damaged, is moved aside (``NAME.corrupt-TIME``) and a
  new one is created; the operation then counts as a miss (or a skipped store). Any other
  SQLite error (locked past the timeout, disk full) is logged and likewise skipped: the cache
  never fails a request.
* Size: after a store, while the total passes ``max_bytes``, the least recently used entries go
  until it is under 90% of it.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

log = logging.getLogger("knollm.cache")

SCHEMA = """
CREATE TABLE IF NOT EXISTS responses (
    key BLOB PRIMARY KEY,
    offering TEXT NOT NULL,
    created REAL NOT NULL,
    expires REAL NOT NULL,
    used REAL NOT NULL,
    hits INTEGER NOT NULL DEFAULT 0,
    size INTEGER NOT NULL,
    cost REAL,
    body BLOB NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS responses_used ON responses(used);
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value REAL NOT NULL) WITHOUT ROWID;
INSERT OR IGNORE INTO meta VALUES ('bytes', 0), ('served', 0), ('saved', 0);
CREATE TRIGGER IF NOT EXISTS responses_add AFTER INSERT ON responses BEGIN
    UPDATE meta SET value = value + new.size WHERE name = 'bytes';
END;
CREATE TRIGGER IF NOT EXISTS responses_drop AFTER DELETE ON responses BEGIN
    UPDATE meta SET value = value - old.size WHERE name = 'bytes';
END;
"""
CORRUPT = (sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB)
BUSY_MS = 5000
KEEP_SHARE = 0.9  # eviction goes down to this share of the limit


def _inode(path: Path) -> int | None:
    try:
        return os.stat(path).st_ino
    except OSError:
        return None


@dataclass(slots=True)
class Hit:
    """A cached answer: its key, the offering that gave it, the JSON body, its original cost."""

    key: bytes
    offering: str
    body: bytes
    cost: float | None
    created: float


@dataclass(slots=True)
class Stats:
    """What ``knollm cache stats`` prints."""

    path: str
    entries: int
    expired: int
    bytes: int
    file_bytes: int
    max_bytes: int
    served: int
    saved: float
    oldest: float | None
    newest: float | None


class SQLiteCache:
    """Cached answers in one SQLite file (see the module docstring)."""

    def __init__(self, path: str | os.PathLike[str], max_bytes: int = 256 << 20) -> None:
        self.path = Path(path)
        self.max_bytes = max_bytes
        self._local = threading.local()
        self._lock = threading.Lock()
        self._epoch = 0  # bumped when the file is replaced: threads reopen

    # -- connections ---------------------------------------------------------------------------

    def _connect(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is not None and self._local.epoch == self._epoch:
            return conn
        if conn is not None:
            conn.close()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(self.path, timeout=BUSY_MS / 1000, isolation_level=None)
        try:
            conn.execute(f"PRAGMA busy_timeout = {BUSY_MS}")
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = NORMAL")
            conn.executescript(SCHEMA)
        except BaseException:
            conn.close()
            self._local.ino = None  # the file at the path itself is bad
            raise
        self._local.conn, self._local.epoch = conn, self._epoch
        self._local.ino = _inode(self.path)
        return conn

    @contextlib.contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        conn = self._connect()
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    def _recover(self, exc: sqlite3.Error, doing: str) -> None:
        """Move a damaged file aside (and start a new one), or log a passing error."""
        code = getattr(exc, "sqlite_errorcode", 0) & 0xFF
        if code not in CORRUPT:
            log.warning("knollm cache: %s skipped (%s: %s)", doing, self.path, exc)
            return
        with self._lock:
            conn = getattr(self._local, "conn", None)
            if conn is not None:
                conn.close()
                self._local.conn = None
            opened = getattr(self._local, "ino", None)
            if opened is not None and _inode(self.path) not in (opened, None):
                return  # another process already replaced the damaged file: just reopen
            target = self.path.with_name(f"{self.path.name}.corrupt-{int(time.time())}")
            aside: Path | None = target
            try:
                os.replace(self.path, target)
            except FileNotFoundError:  # another thread or process moved it already
                aside = None
            for suffix in ("-wal", "-shm"):
                with contextlib.suppress(FileNotFoundError):
                    os.remove(f"{self.path}{suffix}")
            self._epoch += 1
        where = f"moved to {aside}" if aside else "already moved aside"
        log.warning(
            "knollm cache: %s is damaged (%s); %s, starting a new one", self.path, exc, where
        )

    def _safely(self, doing: str, fn: Any, default: Any) -> Any:
        for _ in range(2):  # once more after moving a damaged file aside
            try:
                return fn()
            except sqlite3.Error as exc:
                self._recover(exc, doing)
                code = getattr(exc, "sqlite_errorcode", 0) & 0xFF
                if code not in CORRUPT:
                    return default
        return default

    # -- reading and writing -------------------------------------------------------------------

    def get(self, keys: Sequence[bytes], now: float | None = None) -> Hit | None:
        """The first of ``keys`` (in order) with a live entry; marks it used. None on a miss."""
        if not keys:
            return None
        when = time.time() if now is None else now

        def run() -> Hit | None:
            conn = self._connect()
            marks = ",".join("?" * len(keys))
            rows = conn.execute(
                f"SELECT key, offering, body, cost, created FROM responses "
                f"WHERE key IN ({marks}) AND expires > ?",
                (*keys, when),
            ).fetchall()
            if not rows:
                return None
            found = {bytes(r[0]): r for r in rows}
            row = next(found[k] for k in keys if k in found)
            with self._write() as w:
                w.execute(
                    "UPDATE responses SET used = ?, hits = hits + 1 WHERE key = ?", (when, row[0])
                )
                w.execute("UPDATE meta SET value = value + 1 WHERE name = 'served'")
                if row[3]:
                    w.execute("UPDATE meta SET value = value + ? WHERE name = 'saved'", (row[3],))
            return Hit(bytes(row[0]), row[1], bytes(row[2]), row[3], row[4])

        result: Hit | None = self._safely("lookup", run, None)
        return result

    def put(
        self,
        key: bytes,
        offering: str,
        body: bytes,
        ttl: float,
        cost: float | None = None,
        now: float | None = None,
    ) -> bool:
        """Store an answer for ``ttl`` seconds (replacing one under the same key); evicts the
        least recently used entries past the size limit. False when it could not be stored."""
        when = time.time() if now is None else now

        def run() -> bool:
            with self._write() as w:
                w.execute("DELETE FROM responses WHERE key = ?", (key,))
                w.execute(
                    "INSERT INTO responses (key, offering, created, expires, used, size, cost, body)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (key, offering, when, when + ttl, when, len(body) + 64, cost, body),
                )
                total = w.execute("SELECT value FROM meta WHERE name = 'bytes'").fetchone()[0]
                if total > self.max_bytes:
                    self._evict(w, total)
            return True

        ok: bool = self._safely("store", run, False)
        return ok

    def _evict(self, w: sqlite3.Connection, total: float) -> None:
        goal = self.max_bytes * KEEP_SHARE
        while total > goal:
            rows = w.execute("SELECT key, size FROM responses ORDER BY used LIMIT 256").fetchall()
            if not rows:
                return
            drop, freed = [], 0
            for key, size in rows:
                drop.append(key)
                freed += size
                if total - freed <= goal:
                    break
            w.executemany("DELETE FROM responses WHERE key = ?", [(k,) for k in drop])
            total -= freed

    # -- maintenance ---------------------------------------------------------------------------

    def prune(self, now: float | None = None) -> int:
        """Delete expired entries (and shrink the file); how many went."""
        when = time.time() if now is None else now

        def run() -> int:
            with self._write() as w:
                gone = w.execute("DELETE FROM responses WHERE expires <= ?", (when,)).rowcount
            self._connect().execute("PRAGMA wal_checkpoint(TRUNCATE)")
            return int(gone)

        gone: int = self._safely("prune", run, 0)
        return gone

    def clear(self) -> int:
        """Delete every entry; how many went."""

        def run() -> int:
            with self._write() as w:
                gone = w.execute("DELETE FROM responses").rowcount
                w.execute("UPDATE meta SET value = 0 WHERE name IN ('served', 'saved')")
            conn = self._connect()
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            conn.execute("VACUUM")
            return int(gone)

        gone: int = self._safely("clear", run, 0)
        return gone

    def stats(self, now: float | None = None) -> Stats:
        when = time.time() if now is None else now

        def run() -> Stats:
            conn = self._connect()
            n, expired, oldest, newest = conn.execute(
                "SELECT count(*), coalesce(sum(expires <= ?), 0), min(created), max(created)"
                " FROM responses",
                (when,),
            ).fetchone()
            meta = dict(conn.execute("SELECT name, value FROM meta").fetchall())
            size = sum(
                os.path.getsize(p)
                for p in (self.path, Path(f"{self.path}-wal"))
                if os.path.exists(p)
            )
            return Stats(
                str(self.path),
                n,
                int(expired),
                int(meta.get("bytes", 0)),
                size,
                self.max_bytes,
                int(meta.get("served", 0)),
                float(meta.get("saved", 0.0)),
                oldest,
                newest,
            )

        empty = Stats(str(self.path), 0, 0, 0, 0, self.max_bytes, 0, 0.0, None, None)
        result: Stats = self._safely("stats", run, empty)
        return result

    def close(self) -> None:
        """Close this thread's connection (others close when their thread ends)."""
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None
