"""Every review's example: syntax-checked always; live ones run against a fake OpenAI server.

The server is a real threaded HTTP server on 127.0.0.1 that answers chat completions
(``/v1/chat/completions`` and ``/chat/completions``), plain and streamed, with a known
reply. When the request asks for structured output (a JSON schema response format or
a forced tool call) it answers with JSON that fits the schema, its strings set to the
reply. An example passes when it reached the server with the key from the environment
and printed the reply. Live runs need the libraries installed (``make test-examples``
installs ``.[examples]``); an example whose imports are missing is skipped.
"""

from __future__ import annotations

import ast
import importlib.util
import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from knollm_build.libraries import Library, load_libraries

REPO = Path(__file__).resolve().parents[1]
REPLY = "Knollm fake reply 7319"
KEY = "sk-knollm-test-key"
TIMEOUT = 120
REVIEWS = load_libraries(REPO / "catalog" / "libraries").libraries
LIVE = [lib for lib in REVIEWS if lib.info.example_live]


def instance(schema: dict[str, Any], defs: dict[str, Any], depth: int = 0) -> Any:
    """A value that fits a JSON schema (the subset pydantic and instructor emit)."""
    if depth > 8:
        return None
    if "$ref" in schema:
        return instance(defs[schema["$ref"].rsplit("/", 1)[-1]], defs, depth + 1)
    for key in ("anyOf", "oneOf", "allOf"):
        if key in schema:
            options = [s for s in schema[key] if s.get("type") != "null"] or schema[key]
            return instance(options[0], defs, depth + 1)
    if "const" in schema:
        return schema["const"]
    if "enum" in schema:
        return schema["enum"][0]
    kind = schema.get("type", "object" if "properties" in schema else "string")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    if kind == "object":
        props = schema.get("properties", {})
        return {name: instance(sub, defs, depth + 1) for name, sub in props.items()}
    if kind == "array":
        return [instance(schema.get("items", {}), defs, depth + 1)]
    return {"string": REPLY, "integer": 42, "number": 1.5, "boolean": True, "null": None}[kind]


def structured(schema: dict[str, Any]) -> str:
    return json.dumps(
        instance(schema, {**schema.get("$defs", {}), **schema.get("definitions", {})})
    )


class FakeOpenAI(BaseHTTPRequestHandler):
    """Answers chat completions; records (path, authorization, body) of every request."""

    requests: list[tuple[str, str, dict[str, Any]]] = []

    def log_message(self, *args: Any) -> None:  # keep pytest output clean
        pass

    def _send(self, status: int, payload: dict[str, Any]) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        if self.path.rstrip("/").endswith("/models"):
            self._send(200, {"object": "list", "data": [{"id": "gpt-4o-mini", "object": "model"}]})
        else:
            self._send(404, {"error": {"message": f"no route {self.path}"}})

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        try:
            body = json.loads(self.rfile.read(length) or b"{}")
        except ValueError:
            self._send(400, {"error": {"message": "invalid JSON"}})
            return
        self.requests.append((self.path, self.headers.get("Authorization", ""), body))
        if not self.path.split("?")[0].endswith("/chat/completions"):
            self._send(404, {"error": {"message": f"no route {self.path}"}})
            return
        content, tool_calls = self._answer(body)
        model = body.get("model", "gpt-4o-mini")
        finish = "tool_calls" if tool_calls else "stop"
        if body.get("stream"):
            self._stream(model, content, tool_calls, finish)
            return
        message: dict[str, Any] = {"role": "assistant", "content": content}
        if tool_calls:
            message["tool_calls"] = tool_calls
        self._send(
            200,
            {
                "id": "chatcmpl-knollm",
                "object": "chat.completion",
                "created": 1764028800,
                "model": model,
                "choices": [{"index": 0, "message": message, "finish_reason": finish}],
                "usage": {"prompt_tokens": 9, "completion_tokens": 5, "total_tokens": 14},
            },
        )

    def _answer(self, body: dict[str, Any]) -> tuple[str | None, list[dict[str, Any]]]:
        tools = body.get("tools") or []
        choice = body.get("tool_choice")
        if tools and (isinstance(choice, dict) or choice == "required" or len(tools) == 1):
            name = choice["function"]["name"] if isinstance(choice, dict) else None
            tool = next((t for t in tools if t.get("function", {}).get("name") == name), tools[0])[
                "function"
            ]
            call = {
                "id": "call_knollm",
                "type": "function",
                "function": {
                    "name": tool["name"],
                    "arguments": structured(tool.get("parameters", {})),
                },
            }
            return None, [call]
        fmt = body.get("response_format") or {}
        if fmt.get("type") == "json_schema":
            return structured(fmt["json_schema"].get("schema", {})), []
        if fmt.get("type") == "json_object":
            return json.dumps({"answer": REPLY}), []
        return REPLY, []

    def _stream(
        self, model: str, content: str | None, tool_calls: list[dict[str, Any]], finish: str
    ) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.end_headers()
        deltas: list[dict[str, Any]] = [{"role": "assistant", "content": ""}]
        if content:
            half = len(content) // 2
            deltas += [{"content": content[:half]}, {"content": content[half:]}]
        for index, call in enumerate(tool_calls):
            deltas.append({"tool_calls": [{**call, "index": index}]})
        chunks = [{"index": 0, "delta": d, "finish_reason": None} for d in deltas]
        chunks.append({"index": 0, "delta": {}, "finish_reason": finish})
        for choice in chunks:
            event = {
                "id": "chatcmpl-knollm",
                "object": "chat.completion.chunk",
                "created": 1764028800,
                "model": model,
                "choices": [choice],
            }
            self.wfile.write(f"data: {json.dumps(event)}\n\n".encode())
            self.wfile.flush()
        self.wfile.write(b"data: [DONE]\n\n")
        self.wfile.flush()
        self.close_connection = True


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), FakeOpenAI)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


def ids(libraries: list[Library]) -> list[str]:
    return [lib.info.id for lib in libraries]


def test_the_fake_server_answers_plain_streamed_and_structured(server: str) -> None:
    import urllib.request

    def post(path: str, body: dict[str, Any]) -> bytes:
        request = urllib.request.Request(
            server + path, json.dumps(body).encode(), {"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 (local)
            return response.read()

    messages = [{"role": "user", "content": "hi"}]
    plain = json.loads(post("/v1/chat/completions", {"model": "m", "messages": messages}))
    assert plain["choices"][0]["message"]["content"] == REPLY
    streamed = post("/chat/completions", {"model": "m", "messages": messages, "stream": True})
    events = [line[6:] for line in streamed.decode().splitlines() if line.startswith("data: ")]
    assert events[-1] == "[DONE]"
    text = "".join(json.loads(e)["choices"][0]["delta"].get("content") or "" for e in events[:-1])
    assert text == REPLY
    schema = {
        "type": "object",
        "properties": {"city": {"type": "string"}, "n": {"type": "integer"}},
        "required": ["city", "n"],
    }
    fmt = {"type": "json_schema", "json_schema": {"name": "x", "schema": schema}}
    answer = json.loads(
        post("/v1/chat/completions", {"messages": messages, "response_format": fmt})
    )
    assert json.loads(answer["choices"][0]["message"]["content"]) == {"city": REPLY, "n": 42}
    tool = {"type": "function", "function": {"name": "Out", "parameters": schema}}
    called = json.loads(
        post(
            "/v1/chat/completions",
            {
                "messages": messages,
                "tools": [tool],
                "tool_choice": {"type": "function", "function": {"name": "Out"}},
            },
        )
    )
    call = called["choices"][0]["message"]["tool_calls"][0]["function"]
    assert call["name"] == "Out" and json.loads(call["arguments"]) == {"city": REPLY, "n": 42}


@pytest.mark.parametrize("library", REVIEWS, ids=ids(REVIEWS))
def test_example_syntax(library: Library, tmp_path: Path) -> None:
    code = library.info.example
    if library.info.example_language == "python":
        compile(code, f"{library.path}:example", "exec")
        return
    script = tmp_path / "example.sh"
    script.write_text(code, encoding="utf-8")
    checked = subprocess.run(
        ["bash", "-n", str(script)], capture_output=True, text=True, timeout=30
    )
    assert checked.returncode == 0, f"{library.path}: example: {checked.stderr}"


def missing_modules(code: str) -> list[str]:
    """Top-level packages the example imports that are not installed."""
    names = set()
    for node in ast.walk(ast.parse(code)):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return sorted(n for n in names if importlib.util.find_spec(n) is None)


@pytest.mark.examples
@pytest.mark.parametrize("library", LIVE, ids=ids(LIVE))
def test_live_example_gets_the_reply(library: Library, server: str, tmp_path: Path) -> None:
    info = library.info
    if info.example_language == "python":
        missing = missing_modules(info.example)
        if missing:
            pytest.skip(f"not installed: {', '.join(missing)}")
        script = tmp_path / "example.py"
        command = [sys.executable, str(script)]
    else:
        script = tmp_path / "example.sh"
        command = ["bash", str(script)]
    script.write_text(info.example, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.upper().endswith(("_PROXY", "_API_KEY"))}
    env.update(
        OPENAI_BASE_URL=f"{server}/v1",
        OPENAI_API_BASE=f"{server}/v1",
        OPENAI_API_KEY=KEY,
        NO_PROXY="127.0.0.1,localhost",
        LITELLM_LOCAL_MODEL_COST_MAP="True",  # litellm would fetch its price map at import
        HOME=str(tmp_path),
        PYTHONDONTWRITEBYTECODE="1",
    )
    FakeOpenAI.requests.clear()
    done = subprocess.run(
        command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=TIMEOUT
    )
    assert done.returncode == 0, f"{library.path}: example failed:\n{done.stdout}\n{done.stderr}"
    chats = [r for r in FakeOpenAI.requests if r[0].split("?")[0].endswith("/chat/completions")]
    assert chats, f"{library.path}: the example never called the server"
    assert all(auth == f"Bearer {KEY}" for _, auth, _ in chats)
    assert REPLY in done.stdout, f"{library.path}: reply not printed; stdout:\n{done.stdout}"
