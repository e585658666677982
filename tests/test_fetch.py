"""``knollm-build fetch`` against real HTTP servers on 127.0.0.1 impersonating providers.

One scripted server answers in each provider's shape (OpenAI list, Anthropic pages,
Gemini page tokens, Together's array, OpenRouter), with small hand-written bodies in
tests/fixtures/fetch/ (so these tests run on a fresh clone), and can fail on cue: 401, 429 + Retry-After, 500, hang, invalid JSON,
a slow body. Checks: the files the compiler then reads, the fetch log, retries, atomic
replacement (a kill mid-fetch leaves the old dump), and that no key leaks anywhere.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import orjson
import pytest
from click.testing import CliRunner, Result

from knollm_build import fetch
from knollm_build.catalog_files import load_curated
from knollm_build.cli import main
from knollm_build.fetch import Outcome, Policy, Redactor, Target, fetch_all, write_atomic
from knollm_build.fetch_cli import plan
from knollm_build.fetch_styles import ANTHROPIC, BEARER
from knollm_build.sources import models_dev
from knollm_build.sources.base import LoadContext, content_version

REPO = Path(__file__).resolve().parents[1]
KEYS = {
    "OPENAI_API_KEY": "sk-test-openai-9f8e7d6c5b4a",
    "ANTHROPIC_API_KEY": "sk-ant-test-1a2b3c4d5e6f",
    "GEMINI_API_KEY": "AIzaTestGemini0123456789",
    "TOGETHER_API_KEY": "tgp-test-abcdef987654",
    "OPENROUTER_API_KEY": "sk-or-test-never-sent-42",
}
NO_KEYS = {name: None for name in ("GOOGLE_API_KEY", "TOGETHERAI_API_KEY")}


# --------------------------------------------------------------------------- the fake API


@dataclass
class Reply:
    status: int = 200
    body: Any = None
    """JSON-able, or bytes sent as they are."""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    """Seconds before answering; longer than the client's timeout is a hang."""
    trickle: float = 0.0
    """Seconds between 16-byte chunks of the body."""


@dataclass
class Seen:
    path: str
    query: dict[str, str]
    headers: dict[str, str]


Script = list[Reply] | Callable[[dict[str, str]], Reply]


class FakeAPI:
    """A threaded server: each path answers from its script (a list whose last reply repeats,
    or a function of the query); every request is recorded."""

    def __init__(self) -> None:
        self.scripts: dict[str, Script] = {}
        self.served: dict[str, int] = {}
        self.seen: list[Seen] = []
        self.stop = threading.Event()
        self.body_started = threading.Event()
        self.lock = threading.Lock()
        self.in_flight = 0
        self.max_in_flight = 0
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self.server.daemon_threads = True
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}{path}"

    def requests(self, path: str) -> list[Seen]:
        return [s for s in self.seen if s.path == path]

    def reply_for(self, path: str, query: dict[str, str]) -> Reply:
        with self.lock:
            script = self.scripts.get(path)
            if script is None:
                return Reply(404, {"error": {"message": "no such route"}})
            if callable(script):
                return script(query)
            index = self.served.get(path, 0)
            self.served[path] = index + 1
            return script[min(index, len(script) - 1)]


def _handler(api: FakeAPI) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            query = dict(parse_qsl(parts.query))
            headers = {k.lower(): v for k, v in self.headers.items()}
            with api.lock:
                api.seen.append(Seen(parts.path, query, headers))
                api.in_flight += 1
                api.max_in_flight = max(api.max_in_flight, api.in_flight)
            try:
                self._answer(api.reply_for(parts.path, query))
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up or was killed
            finally:
                with api.lock:
                    api.in_flight -= 1

        def _answer(self, reply: Reply) -> None:
            if reply.delay and api.stop.wait(reply.delay):
                return
            body = reply.body if isinstance(reply.body, bytes) else orjson.dumps(reply.body)
            self.send_response(reply.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            for name, value in reply.headers.items():
                self.send_header(name, value)
            self.end_headers()
            if not reply.trickle:
                self.wfile.write(body)
                return
            for start in range(0, len(body), 16):
                self.wfile.write(body[start : start + 16])
                self.wfile.flush()
                api.body_started.set()
                if api.stop.wait(reply.trickle):
                    return

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


@pytest.fixture
def api() -> Iterator[FakeAPI]:
    server = FakeAPI()
    server.thread.start()
    yield server
    server.stop.set()
    server.server.shutdown()
    server.server.server_close()
    server.thread.join(5)


# --------------------------------------------------------------------------- real bodies


FIXTURES = Path(__file__).parent / "fixtures" / "fetch"


def real(name: str) -> Any:
    """A provider's model-list answer in its own shape: the hand-written fixture body."""
    return orjson.loads((FIXTURES / f"{name}.json").read_bytes())


def openai_body() -> dict[str, Any]:
    doc = real("openai")
    return {"object": "list", "data": doc["data"][:6]}


def together_body() -> list[Any]:
    return list(real("togetherai")[:5])


def openrouter_body() -> dict[str, Any]:
    return {"data": real("openrouter")["data"][:4]}


def anthropic_pages(page_size: int = 4) -> Callable[[dict[str, str]], Reply]:
    """Anthropic's cursor: ``after_id`` -> the entries after it, ``has_more``, ``last_id``."""
    entries = real("anthropic")["data"]

    def answer(query: dict[str, str]) -> Reply:
        start = 0
        if "after_id" in query:
            start = [e["id"] for e in entries].index(query["after_id"]) + 1
        page = entries[start : start + page_size]
        return Reply(
            body={
                "data": page,
                "has_more": start + page_size < len(entries),
                "first_id": page[0]["id"],
                "last_id": page[-1]["id"],
            }
        )

    return answer


def gemini_entries() -> list[dict[str, Any]]:
    """Google's native entries for real Gemini ids (the captured dump is the OpenAI-compatible list)."""
    ids = [e["id"] for e in real("gemini")["data"] if "gemini-2.5" in e["id"]][:5]
    return [
        {
            "name": model_id,
            "displayName": model_id.removeprefix("models/").replace("-", " ").title(),
            "inputTokenLimit": 1048576,
            "outputTokenLimit": 65536,
            "supportedGenerationMethods": ["generateContent", "countTokens"],
        }
        for model_id in ids
    ]


def gemini_pages(page_size: int = 2) -> Callable[[dict[str, str]], Reply]:
    entries = gemini_entries()

    def answer(query: dict[str, str]) -> Reply:
        start = int(query.get("pageToken", "0").removeprefix("tok")) if "pageToken" in query else 0
        body: dict[str, Any] = {"models": entries[start : start + page_size]}
        if start + page_size < len(entries):
            body["nextPageToken"] = f"tok{start + page_size}"
        return Reply(body=body)

    return answer


PATHS = {
    "openai": "/openai/v1/models",
    "anthropic": "/anthropic/v1/models",
    "google": "/gemini/v1beta/models",
    "together": "/together/v1/models",
    "openrouter": "/openrouter/api/v1/models",
}


def script_all(api: FakeAPI) -> None:
    api.scripts[PATHS["openai"]] = [Reply(body=openai_body())]
    api.scripts[PATHS["anthropic"]] = anthropic_pages()
    api.scripts[PATHS["google"]] = gemini_pages()
    api.scripts[PATHS["together"]] = [Reply(body=together_body())]
    api.scripts[PATHS["openrouter"]] = [Reply(body=openrouter_body())]


def run_fetch(
    api: FakeAPI, out: Path, providers: list[str], *extra: str, env: dict[str, Any] | None = None
) -> Result:
    args = ["fetch", "--out", str(out), "--catalog", str(REPO / "catalog"), "--backoff", "0"]
    for provider in providers:
        args += ["--provider", provider]
        if provider in PATHS:
            args += ["--endpoint", f"{provider}={api.url(PATHS[provider])}"]
    return CliRunner().invoke(main, [*args, *extra], env={**KEYS, **NO_KEYS, **(env or {})})


def compile_work(work: Path, out: Path) -> dict[str, Any]:
    result = CliRunner().invoke(
        main,
        [
            "compile",
            "--out",
            str(out),
            "--work",
            str(work),
            "--catalog",
            str(REPO / "catalog"),
            "--no-default-sources",
            "-q",
        ],
        env={"SOURCE_DATE_EPOCH": "1764028800"},
    )
    assert result.exit_code == 0, result.output
    return orjson.loads((out / "models.json").read_bytes())


def assert_no_key(*texts: str | bytes, root: Path | None = None) -> None:
    blobs = [t.encode() if isinstance(t, str) else t for t in texts]
    if root is not None:
        blobs += [p.read_bytes() for p in root.rglob("*") if p.is_file()]
        blobs += [str(p).encode() for p in root.rglob("*")]
    for key in KEYS.values():
        assert not any(key.encode() in blob for blob in blobs), f"key {key[:6]}… leaked"


def log_of(out: Path) -> dict[str, Any]:
    return orjson.loads((out / "model_catalog" / "failed_models.json").read_bytes())


# --------------------------------------------------------------------------- every shape


def test_fetch_every_shape_writes_dumps_the_compiler_reads(api: FakeAPI, tmp_path: Path) -> None:
    script_all(api)
    out = tmp_path / "work"
    result = run_fetch(api, out, list(PATHS))
    assert result.exit_code == 0, result.output
    folder = out / "model_catalog"
    assert sorted(p.name for p in folder.iterdir()) == [
        "failed_models.json",
        "models_anthropic.json",
        "models_google.json",
        "models_openai.json",
        "models_openrouter.json",
        "models_together.json",
    ]
    # Anthropic: three pages chained by after_id, merged into one answer of Anthropic's shape.
    pages = api.requests(PATHS["anthropic"])
    entries = real("anthropic")["data"]
    assert [r.query.get("after_id") for r in pages] == [None, entries[3]["id"], entries[7]["id"]]
    assert all(r.query["limit"] == "1000" for r in pages)
    merged = orjson.loads((folder / "models_anthropic.json").read_bytes())
    assert merged == {
        "data": entries,
        "has_more": False,
        "first_id": entries[0]["id"],
        "last_id": entries[-1]["id"],
    }
    # Gemini: page tokens, key in the query string, pages merged under "models".
    pages = api.requests(PATHS["google"])
    assert [r.query.get("pageToken") for r in pages] == [None, "tok2", "tok4"]
    assert {r.query["key"] for r in pages} == {KEYS["GEMINI_API_KEY"]}
    assert all("authorization" not in r.headers for r in pages)
    google = orjson.loads((folder / "models_google.json").read_bytes())
    assert google == {"models": gemini_entries()}
    # Bearer for OpenAI and Together; x-api-key + version for Anthropic; nothing for OpenRouter.
    assert api.requests(PATHS["openai"])[0].headers["authorization"] == (
        f"Bearer {KEYS['OPENAI_API_KEY']}"
    )
    assert api.requests(PATHS["together"])[0].headers["authorization"] == (
        f"Bearer {KEYS['TOGETHER_API_KEY']}"
    )
    first = api.requests(PATHS["anthropic"])[0].headers
    assert first["x-api-key"] == KEYS["ANTHROPIC_API_KEY"] and "authorization" not in first
    assert first["anthropic-version"] == "2023-06-01"
    router = api.requests(PATHS["openrouter"])[0].headers
    assert "authorization" not in router and KEYS["OPENROUTER_API_KEY"] not in str(router)
    # Bodies of one-page answers are stored as returned.
    assert orjson.loads((folder / "models_openai.json").read_bytes()) == openai_body()
    assert orjson.loads((folder / "models_together.json").read_bytes()) == together_body()
    # The fetch log, in the captured log's form.
    log = log_of(out)
    assert sorted(log) == ["anthropic", "google", "openai", "openrouter", "together"]
    for entry in log.values():
        assert set(entry) == {"failed", "error", "last_attempt", "last_success"}
        assert entry["failed"] is False and entry["error"] == ""
        attempted = datetime.fromisoformat(entry["last_attempt"])
        assert abs(parsedate_to_datetime(entry["last_success"]) - attempted) < timedelta(seconds=1)
        assert entry["last_success"].endswith(" GMT")
    # The summary names each target, its count and pages.
    assert result.output.splitlines() == [
        f"fetch into {out}: 5 fetched, 0 failed, 0 skipped",
        "  fetched  anthropic   9 models, 3 pages, updated -> models_anthropic.json",
        "  fetched  google      5 models, 3 pages, updated -> models_google.json",
        "  fetched  openai      6 models, updated -> models_openai.json",
        "  fetched  openrouter  4 models, updated -> models_openrouter.json",
        "  fetched  together    5 models, updated -> models_together.json",
    ]
    assert_no_key(result.output, root=out)

    catalog = compile_work(out, tmp_path / "data")
    ids = {(o["provider"], o["provider_model_id"]) for o in catalog["offerings"]}
    expected = {
        ("openai", openai_body()["data"][0]["id"]),
        ("anthropic", entries[-1]["id"]),
        ("google", gemini_entries()[0]["name"].removeprefix("models/")),
        ("together", together_body()[3]["id"]),
        ("openrouter", openrouter_body()["data"][0]["id"]),
    }
    assert expected <= ids
    google_offering = next(o for o in catalog["offerings"] if o["provider"] == "google")
    assert google_offering["context_window"] == 1048576


def test_second_identical_fetch_leaves_files_untouched(api: FakeAPI, tmp_path: Path) -> None:
    api.scripts[PATHS["openai"]] = [Reply(body=openai_body())]
    out = tmp_path / "work"
    assert run_fetch(api, out, ["openai"]).exit_code == 0
    dump = out / "model_catalog" / "models_openai.json"
    os.utime(dump, (1_000_000_000, 1_000_000_000))
    again = run_fetch(api, out, ["openai"])
    assert again.exit_code == 0 and "unchanged" in again.output
    assert dump.stat().st_mtime == 1_000_000_000


def test_existing_alias_dump_is_refreshed_in_place(api: FakeAPI, tmp_path: Path) -> None:
    """A work dir captured with the dumper's spelling (models_gemini.json) keeps that file."""
    folder = tmp_path / "work" / "model_catalog"
    folder.mkdir(parents=True)
    (folder / "models_gemini.json").write_bytes(orjson.dumps({"models": []}))
    api.scripts[PATHS["google"]] = gemini_pages()
    endpoint = f"google={api.url(PATHS['google'])}"
    result = run_fetch(api, tmp_path / "work", ["gemini"], "--endpoint", endpoint)  # an alias
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in folder.iterdir()) == ["failed_models.json", "models_gemini.json"]
    assert orjson.loads((folder / "models_gemini.json").read_bytes()) == {
        "models": gemini_entries()
    }
    assert list(log_of(tmp_path / "work")) == ["gemini"]


# --------------------------------------------------------------------------- failures


def seed(out: Path, provider: str, body: Any, last_success: str) -> bytes:
    folder = out / "model_catalog"
    folder.mkdir(parents=True, exist_ok=True)
    data = orjson.dumps(body)
    (folder / f"models_{provider}.json").write_bytes(data)
    log = {
        provider: {
            "failed": False,
            "error": "",
            "last_attempt": "2025-09-08T12:29:32",
            "last_success": last_success,
        },
        "someone-else": {"failed": True, "error": "untouched", "last_attempt": "2025-01-01"},
    }
    (folder / "failed_models.json").write_bytes(orjson.dumps(log))
    return data


def test_401_keeps_previous_dump_and_marks_failed(api: FakeAPI, tmp_path: Path) -> None:
    out = tmp_path / "work"
    old = seed(
        out,
        "openai",
        {"object": "list", "data": [{"id": "old-model"}]},
        "Mon, 08 Sep 2025 10:29:32 GMT",
    )
    api.scripts[PATHS["openai"]] = [
        Reply(401, {"error": {"message": f"Incorrect API key provided: {KEYS['OPENAI_API_KEY']}"}})
    ]
    result = run_fetch(api, out, ["openai"])
    assert result.exit_code == 1
    assert (out / "model_catalog" / "models_openai.json").read_bytes() == old
    assert len(api.requests(PATHS["openai"])) == 1  # a 401 is not retried
    log = log_of(out)
    assert log["openai"]["failed"] is True
    assert log["openai"]["error"] == "HTTP 401 Unauthorized: Incorrect API key provided: ***"
    assert log["openai"]["last_success"] == "Mon, 08 Sep 2025 10:29:32 GMT"
    assert log["someone-else"] == {
        "failed": True,
        "error": "untouched",
        "last_attempt": "2025-01-01",
    }
    assert (
        "  failed   openai  HTTP 401 Unauthorized: Incorrect API key provided: *** "
        "(kept previous file)" in result.output.splitlines()
    )
    assert_no_key(result.output, root=out)


@pytest.mark.parametrize(
    ("replies", "requests", "error"),
    [
        ([Reply(500, b"oops")], 3, "HTTP 500 Internal Server Error (3 attempts)"),
        ([Reply(503, {})], 3, "HTTP 503 Service Unavailable (3 attempts)"),
        ([Reply(200, b"<html>not json")], 1, "answer is not valid JSON"),
        ([Reply(200, b"")], 1, "empty answer"),
        ([Reply(200, {"unexpected": True})], 1, "answer has a shape the compiler cannot read"),
        (
            [Reply(301, b"", {"Location": "https://elsewhere.example/v1/models"})],
            1,
            "HTTP 301 redirect to https://elsewhere.example/v1/models (update models_endpoint)",
        ),
        (
            [Reply(429, {}, {"Retry-After": "3600"})],
            1,
            "HTTP 429 Too Many Requests; Retry-After 3600 s exceeds the 120 s cap",
        ),
        ([Reply(delay=30)], 2, "timed out after 0.3 s (2 attempts)"),
    ],
    ids=[
        "500",
        "503",
        "invalid-json",
        "empty",
        "unknown-shape",
        "redirect",
        "long-retry-after",
        "hang",
    ],
)
def test_failures_are_reported_with_reason(
    api: FakeAPI, tmp_path: Path, replies: list[Reply], requests: int, error: str
) -> None:
    api.scripts[PATHS["openai"]] = replies
    out = tmp_path / "work"
    retries = str(requests - 1 if requests > 1 else 2)
    result = run_fetch(api, out, ["openai"], "--retries", retries, "--timeout", "0.3")
    assert result.exit_code == 1, result.output
    assert len(api.requests(PATHS["openai"])) == requests
    entry = log_of(out)["openai"]
    assert entry["failed"] is True and entry["error"].startswith(error), entry["error"]
    assert "last_success" not in entry
    assert not (out / "model_catalog" / "models_openai.json").exists()
    assert f"{error}" in result.output and "(no previous file)" in result.output


def test_one_failure_does_not_stop_the_others(api: FakeAPI, tmp_path: Path) -> None:
    script_all(api)
    api.scripts[PATHS["together"]] = [Reply(500, {})]
    result = run_fetch(api, tmp_path / "w", ["openai", "together", "anthropic"], "--retries", "1")
    assert result.exit_code == 1
    assert (
        result.output.splitlines()[0]
        == f"fetch into {tmp_path / 'w'}: 2 fetched, 1 failed, 0 skipped"
    )
    log = log_of(tmp_path / "w")
    assert [log[p]["failed"] for p in ("anthropic", "openai", "together")] == [False, False, True]


# --------------------------------------------------------------------------- retries


def direct_target(
    api: FakeAPI, out: Path, style: Any = BEARER, path: str = PATHS["openai"]
) -> Target:
    folder = out / "model_catalog"
    return Target(
        "openai",
        api.url(path),
        style,
        "OPENAI_API_KEY",
        folder / "models_openai.json",
        folder / "failed_models.json",
        "openai",
    )


def run_direct(targets: list[Target], **policy: Any) -> tuple[list[Outcome], list[float]]:
    slept: list[float] = []

    async def record(seconds: float) -> None:
        slept.append(seconds)

    defaults: dict[str, Any] = {"timeout": 2.0, "backoff": 0.25, "jitter": 0.0, "sleep": record}
    outcomes = asyncio.run(fetch_all(targets, Policy(**{**defaults, **policy}), Redactor()))
    return outcomes, slept


@pytest.fixture
def keys(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in KEYS.items():
        monkeypatch.setenv(name, value)


@pytest.mark.usefixtures("keys")
def test_429_honours_retry_after_then_succeeds(api: FakeAPI, tmp_path: Path) -> None:
    api.scripts[PATHS["openai"]] = [
        Reply(429, {"error": "slow down"}, {"Retry-After": "7"}),
        Reply(body=openai_body()),
    ]
    (outcome,), slept = run_direct([direct_target(api, tmp_path)])
    assert (outcome.status, outcome.requests, outcome.retries) == ("fetched", 2, 1)
    assert slept == [7.0]
    assert outcome.detail == "6 models, 1 retry, updated"


@pytest.mark.usefixtures("keys")
def test_500_backs_off_exponentially_then_succeeds(api: FakeAPI, tmp_path: Path) -> None:
    api.scripts[PATHS["openai"]] = [Reply(500, {}), Reply(502, {}), Reply(body=openai_body())]
    (outcome,), slept = run_direct([direct_target(api, tmp_path)])
    assert (outcome.status, outcome.requests, outcome.retries) == ("fetched", 3, 2)
    assert slept == [0.25, 0.5]


@pytest.mark.usefixtures("keys")
def test_hang_times_out_and_is_retried(api: FakeAPI, tmp_path: Path) -> None:
    api.scripts[PATHS["openai"]] = [Reply(delay=30), Reply(body=openai_body())]
    (outcome,), slept = run_direct([direct_target(api, tmp_path)], timeout=0.3)
    assert (outcome.status, outcome.requests) == ("fetched", 2)
    assert slept == [0.25]


@pytest.mark.usefixtures("keys")
def test_retried_page_in_the_middle_of_pagination(api: FakeAPI, tmp_path: Path) -> None:
    pages = anthropic_pages()
    calls = {"n": 0}

    def flaky(query: dict[str, str]) -> Reply:
        calls["n"] += 1
        return Reply(503, {}) if calls["n"] == 2 else pages(query)

    api.scripts[PATHS["anthropic"]] = flaky
    target = direct_target(api, tmp_path, ANTHROPIC, PATHS["anthropic"])
    (outcome,), slept = run_direct([target])
    assert (outcome.status, outcome.pages, outcome.requests, outcome.retries) == (
        "fetched",
        3,
        4,
        1,
    )
    assert len(orjson.loads(target.path.read_bytes())["data"]) == 9


@pytest.mark.usefixtures("keys")
def test_repeating_cursor_is_stopped(api: FakeAPI, tmp_path: Path) -> None:
    entries = real("anthropic")["data"][:2]
    body = {"data": entries, "has_more": True, "first_id": "a", "last_id": entries[-1]["id"]}
    api.scripts[PATHS["anthropic"]] = [Reply(body=body)]
    (outcome,), _ = run_direct([direct_target(api, tmp_path, ANTHROPIC, PATHS["anthropic"])])
    assert outcome.status == "failed"
    assert outcome.detail == "page 2: the next-page cursor repeats; stopped (no previous file)"
    assert len(api.requests(PATHS["anthropic"])) == 2


@pytest.mark.usefixtures("keys")
def test_concurrency_limit(api: FakeAPI, tmp_path: Path) -> None:
    api.scripts[PATHS["openai"]] = [Reply(body=openai_body(), delay=0.1)]
    base = direct_target(api, tmp_path)
    targets = [
        Target(
            f"p{i}",
            base.url,
            BEARER,
            None,
            base.path.with_name(f"models_p{i}.json"),
            base.log_path,
            f"p{i}",
        )
        for i in range(4)
    ]
    outcomes, _ = run_direct(targets, concurrency=1)
    assert [o.status for o in outcomes] == ["fetched"] * 4 and api.max_in_flight == 1
    api.max_in_flight = 0
    run_direct(targets, concurrency=3)
    assert api.max_in_flight == 3


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("3", 3.0),
        ("0", 0.0),
        ("-5", 0.0),
        ("1.5", 1.5),
        ("Wed, 21 Oct 2015 07:28:30 GMT", 30.0),
        ("soon", None),
        ("nan", None),
        ("inf", None),
        (None, None),
        ("", None),
    ],
)
def test_retry_after_parsing(value: str | None, expected: float | None) -> None:
    now = datetime(2015, 10, 21, 7, 28, 0, tzinfo=UTC)
    assert fetch.retry_after_seconds(value, now) == expected


# --------------------------------------------------------------------------- atomicity


def test_write_failing_mid_file_keeps_old_bytes_and_no_temp(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "models_x.json"
    path.write_bytes(b'{"data": ["old"]}')

    def crash(fd: int) -> None:  # the bytes are in the temp file; the disk "fails" before rename
        assert os.fstat(fd).st_size == len(b'{"data": ["new", "and longer"]}')
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(fetch.os, "fsync", crash)
    with pytest.raises(OSError, match="No space"):
        write_atomic(path, b'{"data": ["new", "and longer"]}')
    assert path.read_bytes() == b'{"data": ["old"]}'
    assert [p.name for p in tmp_path.iterdir()] == ["models_x.json"]


@pytest.mark.usefixtures("keys")
def test_write_error_is_a_failed_target_not_a_crash(
    api: FakeAPI, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    api.scripts[PATHS["openai"]] = [Reply(body=openai_body())]
    target = direct_target(api, tmp_path)
    target.path.parent.mkdir(parents=True)
    target.path.write_bytes(b"{}")
    real_replace = os.replace

    def refuse(src: str, dst: str) -> None:
        if str(dst).endswith("models_openai.json"):
            raise OSError(13, "Permission denied")
        real_replace(src, dst)

    monkeypatch.setattr(fetch.os, "replace", refuse)
    (outcome,), _ = run_direct([target])
    assert outcome.status == "failed"
    assert (
        outcome.detail == "cannot write models_openai.json: Permission denied (kept previous file)"
    )
    assert target.path.read_bytes() == b"{}"
    assert sorted(p.name for p in target.path.parent.iterdir()) == [
        "failed_models.json",
        "models_openai.json",
    ]


def test_killed_fetch_leaves_previous_dump_and_no_temp_file(api: FakeAPI, tmp_path: Path) -> None:
    out = tmp_path / "work"
    old = seed(
        out, "openai", {"object": "list", "data": [{"id": "old"}]}, "Mon, 08 Sep 2025 10:29:32 GMT"
    )
    old_log = (out / "model_catalog" / "failed_models.json").read_bytes()
    api.scripts[PATHS["openai"]] = [Reply(body=openai_body(), trickle=0.05)]
    env = {k: v for k, v in os.environ.items() if not k.endswith(("_API_KEY", "_TOKEN"))}
    env.update(KEYS)
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "knollm_build.cli",
            "fetch",
            "--out",
            str(out),
            "--catalog",
            str(REPO / "catalog"),
            "--provider",
            "openai",
            "--endpoint",
            f"openai={api.url(PATHS['openai'])}",
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        assert api.body_started.wait(30), "the fetch never started reading the body"
        proc.send_signal(signal.SIGKILL)
        stdout, stderr = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == -signal.SIGKILL
    folder = out / "model_catalog"
    assert (folder / "models_openai.json").read_bytes() == old
    assert (folder / "failed_models.json").read_bytes() == old_log
    assert sorted(p.name for p in folder.iterdir()) == ["failed_models.json", "models_openai.json"]
    assert_no_key(stdout, stderr)


@pytest.mark.usefixtures("keys")
def test_stale_temp_files_from_a_killed_run_are_removed(api: FakeAPI, tmp_path: Path) -> None:
    api.scripts[PATHS["openai"]] = [Reply(body=openai_body())]
    target = direct_target(api, tmp_path)
    target.path.parent.mkdir(parents=True)
    stale = target.path.parent / ".models_openai.json.abc123.tmp"
    stale.write_bytes(b'{"half": ')
    keep = target.path.parent / "notes.tmp"
    keep.write_bytes(b"mine")
    (outcome,), _ = run_direct([target])
    assert outcome.status == "fetched" and not stale.exists() and keep.exists()


# --------------------------------------------------------------------------- keys and skips


def test_keys_never_leak_into_messages_logs_or_files(
    api: FakeAPI, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The Gemini key travels in the query string: errors, redirects and library logs mask it."""
    key = KEYS["GEMINI_API_KEY"]
    api.scripts[PATHS["google"]] = [
        Reply(403, {"error": {"message": f"API key {key} not valid. Please pass a valid API key."}})
    ]
    api.scripts[PATHS["anthropic"]] = [
        Reply(302, b"", {"Location": f"https://login.example/?key={key}&next=1"})
    ]
    caplog.set_level(logging.DEBUG)
    result = run_fetch(api, tmp_path / "w", ["google", "anthropic"])
    assert result.exit_code == 1
    assert api.requests(PATHS["google"])[0].query["key"] == key  # it was sent
    assert "API key *** not valid" in result.output
    assert "https://login.example/?key=***&next=1" in result.output
    assert "HTTP Request: GET" in caplog.text and "key=***" in caplog.text
    assert_no_key(result.output, caplog.text, root=tmp_path / "w")
    assert key not in repr(fetch.Redactor({key}))
    shown = repr(direct_target(api, tmp_path))  # targets hold the variable's name, not its value
    assert "OPENAI_API_KEY" in shown and KEYS["OPENAI_API_KEY"] not in shown


def test_key_with_control_characters_is_never_sent(api: FakeAPI, tmp_path: Path) -> None:
    api.scripts[PATHS["openai"]] = [Reply(body=openai_body())]
    api.scripts[PATHS["together"]] = [Reply(body=together_body())]
    env = {
        "OPENAI_API_KEY": "sk-first-half\nsk-second-half",
        "TOGETHER_API_KEY": " tgp-padded-key\n",
    }
    result = run_fetch(api, tmp_path / "w", ["openai", "together"], env=env)
    assert result.exit_code == 1
    assert not api.requests(PATHS["openai"])
    assert (
        "  failed   openai    OPENAI_API_KEY contains whitespace or control characters; not sent "
        "(no previous file)" in result.output.splitlines()
    )
    assert "sk-first-half" not in result.output and "sk-second-half" not in result.output
    assert api.requests(PATHS["together"])[0].headers["authorization"] == "Bearer tgp-padded-key"


def test_unset_keys_are_skipped_and_reported(api: FakeAPI, tmp_path: Path) -> None:
    api.scripts[PATHS["openai"]] = [Reply(body=openai_body())]
    result = run_fetch(api, tmp_path / "w", ["openai", "groq"], env={"GROQ_API_KEY": None})
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        f"fetch into {tmp_path / 'w'}: 1 fetched, 0 failed, 1 skipped",
        "  fetched  openai  6 models, updated -> models_openai.json",
        "  skipped  groq    key not set: GROQ_API_KEY",
    ]
    assert list(log_of(tmp_path / "w")) == ["openai"]  # a skip is not an attempt


def test_default_plan_without_keys(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """With no key set, only public lists are fetched; local servers wait to be named."""
    providers = load_curated(REPO / "catalog").providers
    for provider in providers.values():
        for name in provider.auth_env:
            monkeypatch.delenv(name, raising=False)
    chosen = plan(providers, tmp_path, [], [], {})
    assert [(t.id, t.key_env, t.style.auth) for t in chosen.targets] == [
        ("openrouter", None, "none"),
        ("pollinations", None, "none"),
    ]
    reasons = {o.id: o.detail for o in chosen.skipped}
    assert reasons["lmstudio"] == "no auth_env (local server?): name it with --provider to fetch"
    assert reasons["anthropic"] == "key not set: ANTHROPIC_API_KEY"
    assert reasons["google"] == "key not set: GEMINI_API_KEY or GOOGLE_API_KEY"
    with_endpoint = sum(1 for p in providers.values() if p.models_endpoint)
    assert len(chosen.targets) + len(chosen.skipped) == with_endpoint
    assert chosen.without_endpoint == len(providers) - with_endpoint
    monkeypatch.setenv("GOOGLE_API_KEY", "x" * 10)
    google = next(t for t in plan(providers, tmp_path, [], [], {}).targets if t.id == "google")
    assert (google.key_env, google.style.name, google.url) == (
        "GOOGLE_API_KEY",
        "google",
        "https://generativelanguage.googleapis.com/v1beta/models",
    )


def test_lmstudio_explicit_is_fetched_keyless(api: FakeAPI, tmp_path: Path) -> None:
    api.scripts["/lm/v1/models"] = [Reply(body={"object": "list", "data": [{"id": "qwen3-8b"}]})]
    result = run_fetch(
        api, tmp_path / "w", ["lmstudio"], "--endpoint", f"lmstudio={api.url('/lm/v1/models')}"
    )
    assert result.exit_code == 0, result.output
    assert "authorization" not in api.requests("/lm/v1/models")[0].headers


def test_endpoint_from_environment(api: FakeAPI, tmp_path: Path) -> None:
    api.scripts["/env/models"] = [Reply(body=openai_body())]
    result = CliRunner().invoke(
        main,
        [
            "fetch",
            "--out",
            str(tmp_path / "w"),
            "--catalog",
            str(REPO / "catalog"),
            "--provider",
            "openai",
        ],
        env={**KEYS, "KNOLLM_FETCH_ENDPOINT_OPENAI": api.url("/env/models")},
    )
    assert result.exit_code == 0, result.output
    assert len(api.requests("/env/models")) == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--provider", "nope"], "Invalid value for --provider: unknown provider 'nope'"),
        (["--provider", "azure"], "azure has no models_endpoint in catalog/providers/azure.toml"),
        (["--endpoint", "openai"], "Invalid value for --endpoint: 'openai': expected ID=URL"),
        (["--endpoint", "zzz=http://x"], "'zzz' is not a catalog provider or a source"),
        (["--endpoint", "openai=ftp://x?key=abc123456"], "'ftp://x?key=***': not an http(s) URL"),
        (["--source", "pypi"], "Invalid value for '--source'"),
    ],
)
def test_bad_arguments_exit_2(tmp_path: Path, args: list[str], message: str) -> None:
    result = CliRunner().invoke(
        main, ["fetch", "--out", str(tmp_path), "--catalog", str(REPO / "catalog"), *args]
    )
    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output


# --------------------------------------------------------------------------- open catalogs


def test_sources_models_dev_litellm_openrouter(api: FakeAPI, tmp_path: Path) -> None:
    models_dev_doc = {
        "groq": {
            "id": "groq",
            "name": "Groq",
            "env": ["GROQ_API_KEY"],
            "models": {
                "llama-3.3-70b-versatile": {
                    "id": "llama-3.3-70b-versatile",
                    "name": "Llama 3.3 70B",
                    "cost": {"input": 0.59, "output": 0.79},
                    "limit": {"context": 131072, "output": 32768},
                }
            },
        }
    }
    litellm_doc = {
        "sample_spec": {"max_tokens": "set to max_output_tokens"},
        "groq/llama-3.3-70b-versatile": {
            "litellm_provider": "groq",
            "input_cost_per_token": 5.9e-07,
        },
    }
    api.scripts["/api.json"] = [Reply(body=models_dev_doc)]
    api.scripts["/litellm.json"] = [Reply(500, {}), Reply(body=litellm_doc)]
    api.scripts[PATHS["openrouter"]] = [Reply(body=openrouter_body())]
    out = tmp_path / "w"
    result = run_fetch(
        api,
        out,
        [],
        "--source",
        "models-dev",
        "--source",
        "litellm",
        "--source",
        "openrouter",
        "--endpoint",
        f"models-dev={api.url('/api.json')}",
        "--endpoint",
        f"litellm={api.url('/litellm.json')}",
        "--endpoint",
        f"openrouter={api.url(PATHS['openrouter'])}",
    )
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[0] == f"fetch into {out}: 3 fetched, 0 failed, 0 skipped"
    assert "  fetched  litellm     1 models, 1 retry, updated -> litellm.json" in result.output
    sources = out / "sources"
    assert orjson.loads((sources / "models-dev.json").read_bytes()) == models_dev_doc
    assert orjson.loads((sources / "litellm.json").read_bytes()) == litellm_doc
    assert sorted(orjson.loads((sources / "fetch_log.json").read_bytes())) == [
        "litellm",
        "models-dev",
    ]
    assert list(log_of(out)) == ["openrouter"]
    assert not api.requests(PATHS["openai"])  # --source alone fetches no providers


def test_models_dev_override_is_read_by_the_compiler(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    doc = {
        "acme": {"id": "acme", "name": "Acme", "models": {"m1": {"id": "m1", "cost": {"input": 2}}}}
    }
    path = tmp_path / "models-dev.json"
    path.write_bytes(orjson.dumps(doc))
    monkeypatch.setenv(models_dev.OVERRIDE_ENV, str(path))
    result = models_dev.load(LoadContext())
    assert result.sources[0].version == content_version(path.read_bytes())
    assert [(r.provider_raw, r.provider_model_id, r.prices) for r in result.records] == [
        ("acme", "m1", {"input": 2})
    ]
    assert result.records[0].file == "models-dev:models-dev.json"


def test_source_with_wrong_shape_fails(api: FakeAPI, tmp_path: Path) -> None:
    api.scripts["/api.json"] = [Reply(body={"data": []})]
    result = run_fetch(
        api,
        tmp_path / "w",
        [],
        "--source",
        "models-dev",
        "--endpoint",
        f"models-dev={api.url('/api.json')}",
    )
    assert result.exit_code == 1
    assert 'no provider entry has a "models" object' in result.output
