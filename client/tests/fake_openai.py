"""Fake OpenAI-compatible providers: real HTTP servers on 127.0.0.1, scripted per request.

Each :class:`FakeProvider` runs a threaded ``http.server`` on its own port and answers
``POST /v1/chat/completions``. What it does with a request is the next entry of ``script``
(consumed in order), else ``default``: ``ok``, ``429`` (with ``Retry-After`` = ``retry_after``),
``500``, ``503``, ``400``, ``401``, ``404``, ``hang`` (answer nothing until the client gives up),
``drop`` (close the connection without a response), ``drop-mid-stream`` (send one chunk, then
cut the connection), ``cut-stream`` (send two chunks, then end the response cleanly without a
``finish_reason`` or ``[DONE]``: a truncated answer that looks complete to HTTP). Streaming requests get SSE in HTTP chunked encoding. Keys listed in
``reject_keys`` get 401; ``delay`` slows every answer (for a stream: the time to its first chunk);
``fail_rate`` makes a seeded random share of requests answer 500. ``reply`` sets the answer's text
(a string, or a function of the request body); ``stream_tokens`` makes a stream send that many
one-token content chunks (and report them as ``completion_tokens``), ``token_rate`` spaces them at
that many chunks per second after the first. ``tool_call=(name, arguments)`` answers every request
that offers tools (and carries no tool result yet) with that one call instead of text.
Every request is recorded (model, key, whether streamed, arrival and finish times on
``time.monotonic``, requests in flight on arrival) for the tests to inspect. ``clock`` and
``virtual_delay``: each request advances a :class:`FakeClock` (the router's injected clock) by
that many seconds instead of sleeping, so latencies are exact and tests need no real waiting.
"""

from __future__ import annotations

import json
import random
import re
import socket
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Seen:
    """One request as the fake provider received it."""

    model: str
    key: str
    stream: bool
    action: str
    body: dict[str, Any] = field(repr=False)
    arrived: float = 0.0
    finished: float = 0.0
    inflight: int = 0  # requests being answered when this one arrived (itself included)


class FakeClock:
    """A monotonic clock the test moves by hand (pass it as the router's ``clock``)."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start
        self._lock = threading.Lock()

    def __call__(self) -> float:
        with self._lock:
            return self.now

    def advance(self, seconds: float) -> None:
        with self._lock:
            self.now += seconds


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 256  # many callers connecting at once (the default backlog is 5)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Clients that gave up (timeouts) make writes fail; that is expected here."""


class FakeProvider:
    """One fake provider; use as a context manager or call ``start()``/``stop()``."""

    def __init__(
        self,
        name: str,
        *,
        default: str = "ok",
        script: Iterable[str] = (),
        usage: tuple[int, int, int] = (10, 5, 0),
        retry_after: str = "1",
        reject_keys: Iterable[str] = (),
        fail_rate: float = 0.0,
        seed: int = 0,
        error_echo: bool = False,
        delay: float = 0.0,
        reply: str | Callable[[dict[str, Any]], str] | None = None,
        stream_tokens: int = 0,
        token_rate: float = 0.0,
        tool_call: tuple[str, dict[str, Any]] | None = None,
        clock: FakeClock | None = None,
        virtual_delay: float = 0.0,
    ) -> None:
        self.name = name
        self.default = default
        self.script: list[str] = list(script)
        self.usage = usage
        self.retry_after = retry_after
        self.reject_keys = set(reject_keys)
        self.fail_rate = fail_rate
        self.error_echo = error_echo
        self.delay = delay
        self.reply = reply
        self.stream_tokens = stream_tokens
        self.token_rate = token_rate
        self.tool_call = tool_call
        self.clock = clock
        self.virtual_delay = virtual_delay
        self.inflight = 0
        self.seen: list[Seen] = []
        self._random = random.Random(seed)
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._server = _Server(("127.0.0.1", 0), self._handler())
        self.port = self._server.server_address[1]
        self.base_url = f"http://127.0.0.1:{self.port}/v1"
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    def __enter__(self) -> FakeProvider:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)

    def actions(self) -> list[str]:
        with self._lock:
            return [s.action for s in self.seen]

    def _next_action(self, key: str) -> str:
        with self._lock:
            if key in self.reject_keys:
                return "401"
            if self.script:
                return self.script.pop(0)
            if self.fail_rate and self._random.random() < self.fail_rate:
                return "500"
            return self.default

    def _calls_tool(self, body: dict[str, Any] | None) -> bool:
        """Answer with the scripted tool call: tools offered and no tool result given yet."""
        messages = (body or {}).get("messages") or [{}]
        return (
            bool(self.tool_call and (body or {}).get("tools"))
            and messages[-1].get("role") != "tool"
        )

    def text(self, body: dict[str, Any]) -> str:
        """The answer's content for this request."""
        if self.reply is None:
            return f"hello from {self.name}"
        return self.reply(body) if callable(self.reply) else self.reply

    def completion(self, model: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        prompt, completion, cached = self.usage
        if self.stream_tokens:
            completion = self.stream_tokens
        usage: dict[str, Any] = {
            "prompt_tokens": prompt,
            "completion_tokens": completion,
            "total_tokens": prompt + completion,
        }
        if cached:
            usage["prompt_tokens_details"] = {"cached_tokens": cached}
        message: dict[str, Any] = {"role": "assistant", "content": self.text(body or {})}
        finish = "stop"
        if self._calls_tool(body):
            name, arguments = self.tool_call
            message = {"role": "assistant", "content": None, "tool_calls": [
                {"id": "call_1", "type": "function",
                 "function": {"name": name, "arguments": json.dumps(arguments)}}]}  # fmt: skip
            finish = "tool_calls"
        return {
            "id": f"chatcmpl-{self.name}",
            "object": "chat.completion",
            "created": 1_700_000_000,
            "model": model,
            "choices": [
                {
                    "index": 0,
                    "finish_reason": finish,
                    "message": message,
                }
            ],
            "usage": usage,
        }

    def chunks(
        self, model: str, include_usage: bool, body: dict[str, Any] | None = None
    ) -> list[dict[str, Any]]:
        base = {
            "id": f"chatcmpl-{self.name}",
            "object": "chat.completion.chunk",
            "created": 1_700_000_000,
            "model": model,
        }
        if self._calls_tool(body):
            name, arguments = self.tool_call
            text = json.dumps(arguments)
            calls = [{"index": 0, "id": "call_1", "type": "function",
                      "function": {"name": name, "arguments": text[:5]}},
                     {"index": 0, "function": {"arguments": text[5:]}}]  # fmt: skip
            out = []
            for c in calls:
                delta = {"role": "assistant", "tool_calls": [c]}
                out.append(
                    {**base, "choices": [{"index": 0, "delta": delta, "finish_reason": None}]}
                )
            out.append(
                {**base, "choices": [{"index": 0, "delta": {}, "finish_reason": "tool_calls"}]}
            )
            if include_usage:
                out.append({**base, "choices": [], "usage": self.completion(model, body)["usage"]})
            return out
        if self.stream_tokens:
            words = [" tok"] * self.stream_tokens
        elif self.reply is None:
            words = ["hello", " from", f" {self.name}"]
        else:
            words = re.findall(r"\S*\s*", self.text(body or {}))[:-1] or [""]
        out = [
            {
                **base,
                "choices": [
                    {
                        "index": 0,
                        "delta": {"role": "assistant", "content": w},
                        "finish_reason": None,
                    }
                ],
            }
            for w in words
        ]
        out.append({**base, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
        if include_usage:
            full = self.completion(model, body)["usage"]
            out.append({**base, "choices": [], "usage": full})
        return out

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Headers and body go out in separate writes; without this, Nagle and delayed ACKs
            # add ~40 ms to some answers.
            disable_nagle_algorithm = True

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                return

            def _json(
                self, status: int, payload: dict[str, Any], headers: dict[str, str] | None = None
            ) -> None:
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(data)

            def _error(
                self, status: int, message: str, headers: dict[str, str] | None = None
            ) -> None:
                self._json(
                    status, {"error": {"message": message, "type": "fake", "code": status}}, headers
                )

            def _chunk(self, data: bytes) -> None:
                self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
                self.wfile.flush()

            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}")
                auth = self.headers.get("Authorization", "")
                key = auth.removeprefix("Bearer ")
                model = body.get("model", "")
                stream = bool(body.get("stream"))
                action = fake._next_action(key)
                with fake._lock:
                    fake.inflight += 1
                    seen = Seen(model, key, stream, action, body, time.monotonic(), 0.0)
                    seen.inflight = fake.inflight
                    fake.seen.append(seen)
                try:
                    self._answer(action, model, key, stream, body)
                finally:
                    with fake._lock:
                        fake.inflight -= 1
                        seen.finished = time.monotonic()

            def _answer(
                self, action: str, model: str, key: str, stream: bool, body: dict[str, Any]
            ) -> None:
                if not self.path.endswith("/chat/completions"):
                    self._error(404, "not found")
                    return
                if fake.delay:
                    time.sleep(fake.delay)
                if fake.clock is not None and fake.virtual_delay:
                    fake.clock.advance(fake.virtual_delay)
                if action == "hang":
                    fake._stop.wait(30)
                    self.close_connection = True
                    return
                if action == "drop":
                    self.connection.shutdown(socket.SHUT_RDWR)
                    self.close_connection = True
                    return
                if action == "429":
                    self._error(429, "rate limited", {"Retry-After": fake.retry_after})
                    return
                if action.isdigit():
                    echo = f" (key {key})" if fake.error_echo else ""
                    self._error(int(action), f"fake {action} from {fake.name}{echo}")
                    return
                if not stream:
                    self._json(200, fake.completion(model, body))
                    return
                include = bool((body.get("stream_options") or {}).get("include_usage"))
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                chunks = fake.chunks(model, include, body)
                content = sum(
                    1 for c in chunks if c["choices"] and "content" in c["choices"][0]["delta"]
                )
                for i, chunk in enumerate(chunks):
                    if action == "cut-stream" and i == 2:
                        self.wfile.write(b"0\r\n\r\n")  # a clean end of the body, nothing more
                        self.wfile.flush()
                        return
                    if fake.token_rate and 0 < i < content:
                        time.sleep(1 / fake.token_rate)
                    self._chunk(f"data: {json.dumps(chunk)}\n\n".encode())
                    if action == "drop-mid-stream" and i == 0:
                        time.sleep(0.05)
                        self.connection.shutdown(socket.SHUT_RDWR)
                        self.close_connection = True
                        return
                self._chunk(b"data: [DONE]\n\n")
                self.wfile.write(b"0\r\n\r\n")
                self.wfile.flush()

        return Handler


def provider_record(pid: str, base_url: str, *, compatible: bool = True) -> dict[str, Any]:
    return {
        "id": pid,
        "name": pid.title(),
        "api_base_url": base_url,
        "api_style": "openai-compatible" if compatible else "other",
        "openai_compatible": compatible,
        "auth_env": [f"{pid.upper()}_API_KEY"],
        "models": 1,
        "offerings": 1,
        "sources": ["test"],
    }


def offering_record(
    provider: str,
    model: str,
    api_id: str,
    price_in: float | None,
    price_out: float | None,
    *,
    cache_read: float | None = None,
    context: int = 131_072,
    caps: Iterable[str] = ("tools",),
    status: str = "active",
) -> dict[str, Any]:
    pricing: dict[str, Any] = {}
    if price_in is not None:
        pricing["input"] = price_in
    if price_out is not None:
        pricing["output"] = price_out
    if cache_read is not None:
        pricing["cache_read"] = cache_read
    return {
        "provider": provider,
        "model": model,
        "provider_model_id": api_id,
        "mode": "chat",
        "pricing": pricing,
        "context_window": context,
        "input_modalities": ["text"],
        "output_modalities": ["text"],
        "capabilities": list(caps),
        "status": status,
        "sources": ["test"],
    }


def catalog_document(
    providers: list[dict[str, Any]], offerings: list[dict[str, Any]]
) -> dict[str, Any]:
    """A minimal ``models.json`` with these providers and offerings (models derived)."""
    models = sorted({o["model"] for o in offerings})
    return {
        "schema_version": "1.0.0",
        "generated_at": "2025-11-01T00:00:00Z",
        "sources": [{"id": "test", "name": "router tests", "version": "1", "license": "MIT"}],
        "providers": sorted(providers, key=lambda p: p["id"]),
        "models": [
            {
                "id": m,
                "name": m,
                "creator": "Test",
                "input_modalities": ["text"],
                "output_modalities": ["text"],
                "modes": ["chat"],
                "hosts": len({o["provider"] for o in offerings if o["model"] == m}),
                "offerings": sum(1 for o in offerings if o["model"] == m),
            }
            for m in models
        ],
        "offerings": sorted(offerings, key=lambda o: (o["provider"], o["provider_model_id"])),
    }


# -- the standard test setup: three fake hosts of one model, plus a provider without an OpenAI API --

PRICES = {"alpha": (0.5, 1.5, 0.05), "beta": (1.0, 2.0, None), "gamma": (2.0, 4.0, None)}
KEYS = {
    "alpha": "sk-alpha-secret-0001",
    "beta": "sk-beta-secret-0002",
    "gamma": "sk-gamma-secret-0003",
}


def standard_document() -> dict[str, Any]:
    """alpha < beta < gamma by price for ``test-70b``; alpha also serves a 4k-context ``test-8b`` without tools;
    ``closed`` serves ``test-70b`` without an OpenAI-compatible API."""
    providers = [provider_record(p, f"https://{p}.invalid/v1") for p in PRICES]
    providers.append(provider_record("closed", "https://closed.invalid/v1", compatible=False))
    offerings = [
        offering_record(p, "test-70b", f"{p}-70b", i, o, cache_read=c)
        for p, (i, o, c) in PRICES.items()
    ]
    offerings.append(
        offering_record("alpha", "test-8b", "alpha-8b", 0.1, 0.1, context=4096, caps=("json_mode",))
    )
    offerings.append(offering_record("closed", "test-70b", "closed-70b", 0.01, 0.01))
    return catalog_document(providers, offerings)


class Trio:
    """Three running fake providers and the router options that point at them."""

    def __init__(self, **per_provider: dict[str, Any]) -> None:
        import orjson

        from knollm import Catalog

        self.fakes = {p: FakeProvider(p, **per_provider.get(p, {})) for p in PRICES}
        self.catalog = Catalog.from_bytes(orjson.dumps(standard_document()))

    def __enter__(self) -> Trio:
        for f in self.fakes.values():
            f.start()
        return self

    def __exit__(self, *exc: object) -> None:
        for f in self.fakes.values():
            f.stop()

    def __getitem__(self, name: str) -> FakeProvider:
        return self.fakes[name]

    def options(self, **extra: Any) -> dict[str, Any]:
        opts: dict[str, Any] = {
            "keys": dict(KEYS),
            "base_urls": {p: f.base_url for p, f in self.fakes.items()},
            "timeout": 1.0,
        }
        opts.update(extra)
        return opts

    def counts(self) -> dict[str, int]:
        return {p: len(f.seen) for p, f in self.fakes.items()}
