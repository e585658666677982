"""The usage database: one SQLite file, one row per routed request and one per attempt.

Standard library ``sqlite3`` in WAL mode (readers never block the writer), ``synchronous=NORMAL``
(a commit is a write into the WAL, no fsync per request) and a busy timeout, so several router
processes on one machine can append to one file. Writes are synchronous: a row is in the file
when the request returns, so budgets read from the file see every process's spend.

Recording must never fail a request: a write that fails (disk full, a locked or damaged file)
logs a warning (at most once a minute) and the request goes on. A file that is not a database
is moved aside (``usage.sqlite3.corrupt-<unix time>``) and a new one is started.

The default file is ``usage.sqlite3`` in the user data directory (``KNOLLM_DATA_DIR``, else
platformdirs' ``user_data_dir("knollm")``); the ``usage_path`` setting moves it.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

log = logging.getLogger("knollm.usage")

ENV_DATA_DIR = "KNOLLM_DATA_DIR"
FILENAME = "usage.sqlite3"
SCHEMA_VERSION = 1
BUSY_TIMEOUT_MS = 5000

SCHEMA = """
CREATE TABLE IF NOT EXISTS requests (
    id INTEGER PRIMARY KEY,
    ts REAL NOT NULL,
    day TEXT NOT NULL,
    profile TEXT,
    requested TEXT NOT NULL,
    strategy TEXT,
    provider TEXT,
    model TEXT,
    offering TEXT,
    outcome TEXT NOT NULL,
    error TEXT,
    attempts INTEGER NOT NULL,
    prompt_tokens INTEGER NOT NULL DEFAULT 0,
    completion_tokens INTEGER NOT NULL DEFAULT 0,
    cached_tokens INTEGER NOT NULL DEFAULT 0,
    cost REAL,
    cost_source TEXT,
    saved REAL NOT NULL DEFAULT 0,
    latency_s REAL,
    ttft_s REAL,
    stream INTEGER NOT NULL DEFAULT 0,
    cache_hit INTEGER NOT NULL DEFAULT 0,
    prompt TEXT
);
CREATE INDEX IF NOT EXISTS requests_ts ON requests (ts);
CREATE TABLE IF NOT EXISTS attempts (
    request INTEGER NOT NULL,
    ts REAL NOT NULL,
    provider TEXT NOT NULL,
    offering TEXT NOT NULL,
    outcome TEXT NOT NULL,
    status INTEGER,
    seconds REAL
);
CREATE INDEX IF NOT EXISTS attempts_ts ON attempts (ts);
CREATE TABLE IF NOT EXISTS alerts (
    budget TEXT NOT NULL,
    period TEXT NOT NULL,
    threshold REAL NOT NULL,
    ts REAL NOT NULL,
    PRIMARY KEY (budget, period, threshold)
);
"""

#: Columns of ``requests`` in the order :meth:`UsageStore.append` writes them.
COLUMNS = (
    "ts", "day", "profile", "requested", "strategy", "provider", "model", "offering", "outcome",
    "error", "attempts", "prompt_tokens", "completion_tokens", "cached_tokens", "cost",
    "cost_source", "saved", "latency_s", "ttft_s", "stream", "cache_hit", "prompt",
)  # fmt: skip
_INSERT = f"INSERT INTO requests ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})"
_INSERT_ATTEMPT = (
    "INSERT INTO attempts (request, ts, provider, offering, outcome, status, seconds) "
    "VALUES (?, ?, ?, ?, ?, ?, ?)"
)


def data_dir() -> Path:
    """The per-user data directory (``KNOLLM_DATA_DIR`` overrides), as :mod:`knollm.bench`."""
    given = os.environ.get(ENV_DATA_DIR)
    if given:
        return Path(given)
    from platformdirs import user_data_dir

    return Path(user_data_dir("knollm", appauthor=False))


def default_path() -> Path:
    return data_dir() / FILENAME


@dataclass(frozen=True, slots=True)
class AttemptRow:
    """One attempt as stored: ``offering`` is the provider's API id."""

    provider: str
    offering: str
    outcome: str
    status: int | None
    seconds: float


def connect(path: Path, *, readonly: bool = False) -> sqlite3.Connection:
    """A connection with the pragmas every user of the file needs."""
    if readonly:
        conn = sqlite3.connect(
            f"file:{path}?mode=ro", uri=True, timeout=BUSY_TIMEOUT_MS / 1000,
            check_same_thread=False,
        )  # fmt: skip
    else:
        conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000, check_same_thread=False)
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    if not readonly:
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")
    return conn


class UsageStore:
    """Appends usage rows to one SQLite file; safe across threads (one connection, a lock) and
    across processes (WAL, busy timeout)."""

    def __init__(self, path: str | os.PathLike[str] | None = None) -> None:
        self.path = Path(path) if path is not None else default_path()
        self.lock = threading.Lock()
        self._warned = 0.0
        self.conn: sqlite3.Connection | None = None
        try:
            self.conn = self._open()
        except (sqlite3.Error, OSError) as exc:
            self._warn(f"usage recording off: {self.path}: {exc}")

    @classmethod
    def open_readonly(cls, path: str | os.PathLike[str]) -> UsageStore:
        """An existing usage file, for reading (never created, migrated or moved aside);
        ``ok`` is False when it is not one."""
        store = cls.__new__(cls)
        store.path, store.lock, store._warned, store.conn = Path(path), threading.Lock(), 0.0, None
        try:
            conn = connect(store.path)
            if conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION:
                store.conn = conn
            else:
                conn.close()
        except sqlite3.Error:
            pass
        return store

    def _open(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            return self._init(connect(self.path))
        except sqlite3.DatabaseError as exc:
            if isinstance(exc, sqlite3.OperationalError) and "locked" in str(exc):
                raise
            aside = self.path.with_name(f"{self.path.name}.corrupt-{int(time.time())}")
            os.replace(self.path, aside)
            for suffix in ("-wal", "-shm"):
                Path(f"{self.path}{suffix}").unlink(missing_ok=True)
            log.warning(
                "knollm usage: %s is not a usable database (%s); moved it to %s and started "
                "a new one",
                self.path,
                exc,
                aside,
            )
            return self._init(connect(self.path))

    @staticmethod
    def _init(conn: sqlite3.Connection) -> sqlite3.Connection:
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if version != SCHEMA_VERSION:
            conn.executescript(SCHEMA)
            conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            conn.commit()
        return conn

    def _warn(self, message: str) -> None:
        now = time.monotonic()
        if now - self._warned >= 60.0 or not self._warned:
            self._warned = now
            log.warning("knollm usage: %s", message)

    @property
    def ok(self) -> bool:
        return self.conn is not None

    def append(self, row: Sequence[Any], attempts: Iterable[AttemptRow] = ()) -> int | None:
        """Write one request (values in :data:`COLUMNS` order) and its attempts; its id, or None
        when the write failed (logged, never raised)."""
        conn = self.conn
        if conn is None:
            return None
        try:
            with self.lock:
                cur = conn.execute(_INSERT, row)
                rid = cur.lastrowid
                ts = row[0]
                conn.executemany(
                    _INSERT_ATTEMPT,
                    [
                        (rid, ts, a.provider, a.offering, a.outcome, a.status, a.seconds)
                        for a in attempts
                    ],
                )
                conn.commit()
            return rid
        except sqlite3.Error as exc:
            with self.lock:
                try:
                    conn.rollback()
                except sqlite3.Error:
                    pass
            self._warn(f"could not record a request in {self.path}: {exc}")
            return None

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        """Rows of a read query ([] when the file cannot be read; logged)."""
        conn = self.conn
        if conn is None:
            return []
        try:
            with self.lock:
                return conn.execute(sql, params).fetchall()
        except sqlite3.Error as exc:
            self._warn(f"could not read {self.path}: {exc}")
            return []

    def mark_alert(self, budget: str, period: str, threshold: float) -> bool:
        """Note that an alert fired; False when some process already fired it (so each alert
        goes out once across every router sharing the file)."""
        conn = self.conn
        if conn is None:
            return True
        try:
            with self.lock:
                cur = conn.execute(
                    "INSERT OR IGNORE INTO alerts (budget, period, threshold, ts) "
                    "VALUES (?, ?, ?, ?)",
                    (budget, period, threshold, time.time()),
                )
                conn.commit()
                return cur.rowcount == 1
        except sqlite3.Error as exc:
            self._warn(f"could not record an alert in {self.path}: {exc}")
            return True

    def close(self) -> None:
        conn, self.conn = self.conn, None
        if conn is not None:
            with self.lock:
                conn.close()
