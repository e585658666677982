"""Shared fixtures: the full catalog (pinned open catalogs + ../shared/work), compiled once per session."""

from __future__ import annotations

import os
from pathlib import Path

import orjson
import pytest
from click.testing import CliRunner

from knollm_build.cli import main

REPO = Path(__file__).resolve().parents[1]
SHARED_WORK = Path(os.environ.get("KNOLLM_SHARED_WORK", REPO.parent / "shared" / "work"))


@pytest.fixture(scope="session")
def full_build(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Two compiles of the full catalog through the CLI, into directories "a" and "b"."""
    if not (SHARED_WORK / "model_catalog").is_dir():
        if os.environ.get("CI"):
            pytest.fail(f"{SHARED_WORK} is missing; CI must have ../shared beside the clone")
        pytest.skip(f"{SHARED_WORK} not present")
    outs = {}
    for name in ("a", "b"):
        out = tmp_path_factory.mktemp(f"data-{name}")
        result = CliRunner().invoke(
            main,
            [
                "compile",
                "--out",
                str(out),
                "--work",
                str(SHARED_WORK),
                "--catalog",
                str(REPO / "catalog"),
                "-q",
            ],
            env={"SOURCE_DATE_EPOCH": "1764028800"},
        )
        assert result.exit_code == 0, result.output
        assert "Traceback" not in result.output
        outs[name] = out
    return outs


@pytest.fixture(scope="session")
def full_catalog(full_build: dict[str, Path]) -> dict:
    return orjson.loads((full_build["a"] / "models.json").read_bytes())
