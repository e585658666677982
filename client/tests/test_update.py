"""``knollm update`` against real HTTP servers on 127.0.0.1, and data-source resolution."""

from __future__ import annotations

import gzip
import os
import socket
import threading
from collections.abc import Callable, Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import orjson
import pytest
from click.testing import Result
from conftest import FIXTURE

from knollm import Catalog, update
from knollm.source import DataSource, resolve

Run = Callable[..., Result]


@pytest.fixture
def schema(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """The bundled schema when built with data, else the compiler's own (same repository)."""
    try:
        found = update.load_schema()
    except update.UpdateError:
        emit = pytest.importorskip("knollm_build.emit", reason="no bundled schema and no compiler")
        found = emit.json_schema()
        monkeypatch.setattr(update, "load_schema", lambda: found)
    return found


class Quiet(SimpleHTTPRequestHandler):
    def log_message(self, *args: Any) -> None:  # keep test output clean
        pass


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """A static file server on 127.0.0.1 serving ``tmp_path / "www"``."""
    root = tmp_path / "www"
    root.mkdir()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), partial(Quiet, directory=str(root)))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_port}", root
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


def test_update_good_file_installs_and_is_used(run: Run, server, schema, isolated_env) -> None:  # type: ignore[no-untyped-def]
    url, root = server
    (root / "models.json").write_bytes(FIXTURE.read_bytes())
    result = run("update", "--url", f"{url}/models.json", catalog=None)
    assert result.exit_code == 0, result.stderr
    target = isolated_env / "models.json"
    assert result.stdout == (
        f"updated: {target} ({target.stat().st_size / 2**20:.1f} MiB, 10 offerings, generated 2025-11-01)\n"
    )
    assert target.read_bytes() == FIXTURE.read_bytes()
    assert resolve() == DataSource("cache", str(target))
    info = run("info", "--json", catalog=None)
    assert orjson.loads(info.stdout)["source"]["kind"] == "cache"
    again = run("update", "--url", f"{url}/models.json", catalog=None)
    assert again.stdout.startswith("unchanged: ")


def test_update_accepts_gzip(server, schema, isolated_env) -> None:  # type: ignore[no-untyped-def]
    url, root = server
    (root / "models.json.gz").write_bytes(gzip.compress(FIXTURE.read_bytes()))
    result = update.update(f"{url}/models.json.gz")
    assert (result.changed, result.offerings) == (True, 10)
    assert (isolated_env / "models.json").read_bytes() == FIXTURE.read_bytes()


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"{not json", "download is not valid JSON"),
        (
            b'{"schema_version": "1.0.0"}',
            "download does not match the catalog schema: data must contain",
        ),
        (None, "download does not match the catalog schema: data.offerings[0]"),
    ],
)
def test_update_corrupt_file_keeps_old_data(
    run: Run, server, schema, isolated_env, body, message
) -> None:  # type: ignore[no-untyped-def]
    url, root = server
    if body is None:  # a schema-invalid offering: a context window given as text
        doc = orjson.loads(FIXTURE.read_bytes())
        doc["offerings"][0]["context_window"] = "huge"
        body = orjson.dumps(doc)
    (root / "models.json").write_bytes(body)
    isolated_env.mkdir(parents=True)
    old = isolated_env / "models.json"
    old.write_bytes(FIXTURE.read_bytes())
    result = run("update", "--url", f"{url}/models.json", catalog=None)
    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: {message}")
    assert result.stderr.endswith("; kept the previous data\n")
    assert len(result.stderr.splitlines()) == 1
    assert old.read_bytes() == FIXTURE.read_bytes()
    assert sorted(p.name for p in isolated_env.iterdir()) == ["models.json"]  # no temp files left


def test_update_http_error(run: Run, server, schema) -> None:  # type: ignore[no-untyped-def]
    url, _ = server
    result = run("update", "--url", f"{url}/missing.json", catalog=None)
    assert result.exit_code == 1
    assert result.stderr == f"Error: {url}/missing.json answered HTTP 404; kept the previous data\n"


def test_update_server_down(run: Run, schema) -> None:  # type: ignore[no-untyped-def]
    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    result = run(
        "update", "--url", f"http://127.0.0.1:{port}/models.json", "--timeout", "5", catalog=None
    )
    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: cannot reach http://127.0.0.1:{port}/models.json: ")
    assert result.stderr.endswith("; kept the previous data\n")


def test_update_url_from_environment(
    run: Run, server, schema, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    url, root = server
    (root / "models.json").write_bytes(FIXTURE.read_bytes())
    monkeypatch.setenv("KNOLLM_UPDATE_URL", f"{url}/models.json")
    assert run("update", catalog=None).exit_code == 0


def test_catalog_url_source(server) -> None:  # type: ignore[no-untyped-def]
    url, root = server
    (root / "models.json").write_bytes(FIXTURE.read_bytes())
    catalog = Catalog.load(f"{url}/models.json")
    assert (catalog.source.kind, len(catalog.offerings)) == ("option", 10)


def test_resolution_order(
    monkeypatch: pytest.MonkeyPatch, isolated_env: Path, tmp_path: Path
) -> None:
    import knollm.source as source

    monkeypatch.setattr(source, "bundled_index", lambda: Path("/bundled/client-index.knollm"))
    monkeypatch.setattr(source, "bundled_file", lambda name: Path("/bundled/models.json.gz"))
    assert resolve() == DataSource("bundled", "/bundled/client-index.knollm")
    monkeypatch.setattr(source, "bundled_index", lambda: None)  # a package without the index
    assert resolve() == DataSource("bundled", "/bundled/models.json.gz")
    isolated_env.mkdir(parents=True)
    (isolated_env / "models.json").write_bytes(b"{}")
    assert resolve() == DataSource("cache", str(isolated_env / "models.json"))
    (isolated_env / "client-index.knollm").write_bytes(b"")  # written with (after) models.json
    assert resolve() == DataSource("cache", str(isolated_env / "client-index.knollm"))
    os.utime(isolated_env / "client-index.knollm", (1, 1))  # older than models.json: stale
    assert resolve() == DataSource("cache", str(isolated_env / "models.json"))
    (isolated_env / "client-index.knollm").unlink()
    monkeypatch.setenv("KNOLLM_CATALOG", str(tmp_path))  # a directory means its models.json
    assert resolve() == DataSource("env", str(tmp_path / "models.json"))
    assert resolve("x.json") == DataSource("option", "x.json")
    monkeypatch.delenv("KNOLLM_CATALOG")
    (isolated_env / "models.json").unlink()
    monkeypatch.setattr(source, "bundled_file", lambda name: None)
    with pytest.raises(source.CatalogError, match="run `knollm update` or set KNOLLM_CATALOG"):
        resolve()
