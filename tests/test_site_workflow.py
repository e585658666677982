"""The Pages workflow fetches the last published data so the Changes page is never empty.

The step "Fetch the last published data" of .github/workflows/pages.yml is run as written (bash,
curl, python3) against a real HTTP server on 127.0.0.1 standing in for the published site: with
a models.json it hands ``make site`` a PREVIOUS file; unreachable or not a catalog, it hands none.
The fixture site built without previous data says what it compares and what the build holds.
"""

from __future__ import annotations

import functools
import http.server
import os
import re
import shutil
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
WORKFLOW = REPO / ".github" / "workflows" / "pages.yml"


def step(name: str) -> dict[str, Any]:
    steps = yaml.safe_load(WORKFLOW.read_text())["jobs"]["build"]["steps"]
    return next(s for s in steps if s.get("name") == name)


class Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        pass


@pytest.fixture
def published(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    root = tmp_path / "published"
    (root / "data").mkdir(parents=True)
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(Quiet, directory=str(root))
    )
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}/data", root
    server.shutdown()
    server.server_close()


def run_fetch(work: Path, published_url: str) -> dict[str, str]:
    """Run the workflow step in ``work``; returns what it wrote to $GITHUB_OUTPUT."""
    assert shutil.which("curl"), "curl is needed (the workflow uses it)"
    script = step("Fetch the last published data")["run"]
    output = work / "github_output"
    output.write_text("")
    # only 127.0.0.1: no retries against a port nobody listens on
    script = script.replace("--retry 3", "--retry 0")
    done = subprocess.run(
        ["bash", "-e", "-c", script],
        cwd=work,
        env={**os.environ, "PUBLISHED": published_url, "GITHUB_OUTPUT": str(output)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return dict(line.split("=", 1) for line in output.read_text().splitlines() if line)


def test_the_build_step_passes_what_the_fetch_step_found() -> None:
    assert (
        step("Build the site")["run"] == 'make site PREVIOUS="${{ steps.previous.outputs.models }}"'
    )
    assert step("Fetch the last published data")["env"]["PUBLISHED"] == (
        "${{ steps.pages.outputs.base_url }}/data"
    )


def test_published_models_json_becomes_previous(
    tmp_path: Path, published: tuple[str, Path]
) -> None:
    url, root = published
    catalog = {"generated_at": "2026-01-01T00:00:00Z", "offerings": [{"provider": "a"}]}
    (root / "data" / "models.json").write_bytes(orjson.dumps(catalog))
    work = tmp_path / "work"
    work.mkdir()
    outputs = run_fetch(work, url)
    assert outputs == {"models": "build/previous/models.json"}
    assert orjson.loads((work / outputs["models"]).read_bytes()) == catalog


@pytest.mark.parametrize("body", [None, b"<html>not found page</html>", b'{"offerings": []}'])
def test_no_usable_published_data_means_no_previous(
    tmp_path: Path, published: tuple[str, Path], body: bytes | None
) -> None:
    url, root = published
    if body is not None:
        (root / "data" / "models.json").write_bytes(body)
    work = tmp_path / "work"
    work.mkdir()
    assert run_fetch(work, url) == {}
    assert not (work / "build" / "previous" / "models.json").exists()


def test_unreachable_site_means_no_previous(tmp_path: Path) -> None:
    work = tmp_path / "work"
    work.mkdir()
    assert run_fetch(work, "http://127.0.0.1:9/data") == {}


def test_changes_page_without_previous_data_says_what_it_compares(fixture_site: Path) -> None:
    html = (fixture_site / "changes" / "index.html").read_text()
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", html))
    assert "There is no earlier published data to compare with" in text
    assert "first build, or the published site could not be reached" in text
    assert re.search(r"This build \(\S+\) holds 13 offerings of 8 models at 4 providers", text), (
        text
    )
    assert "downloads the last published data/models.json" in text
