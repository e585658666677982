"""Shared fixtures: the hand-written fixture catalog, a CLI runner bound to it, the full catalog."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from knollm import Catalog
from knollm.cli import main

HERE = Path(__file__).resolve().parent
FIXTURE = HERE / "fixtures" / "models.json"
REPO = HERE.parents[1]
FULL = Path(os.environ.get("KNOLLM_FULL_CATALOG", REPO / "build" / "data" / "models.json"))


@pytest.fixture(autouse=True)
def isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No test sees the user's cache, data directory, catalog override, update URL or API keys."""
    cache = tmp_path / "cache"
    monkeypatch.setenv("KNOLLM_CACHE_DIR", str(cache))
    monkeypatch.setenv("KNOLLM_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("KNOLLM_CONFIG_DIR", str(tmp_path / "config"))  # no user config file
    for name in list(os.environ):
        if name.startswith("KNOLLM_") and name not in ("KNOLLM_CACHE_DIR", "KNOLLM_CONFIG_DIR", "KNOLLM_DATA_DIR"):
            monkeypatch.delenv(name)
        elif name.endswith("_API_KEY"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("COLUMNS", "160")
    return cache


@pytest.fixture
def catalog() -> Catalog:
    return Catalog.load(FIXTURE)


@pytest.fixture
def run() -> Callable[..., Result]:
    """Invoke ``knollm --catalog FIXTURE ARGS...``; stdout and stderr kept apart."""

    def invoke(
        *args: str, catalog: str | Path | None = FIXTURE, env: dict[str, str] | None = None
    ) -> Result:
        prefix = ["--catalog", str(catalog)] if catalog else []
        return CliRunner().invoke(main, [*prefix, *args], env=env, catch_exceptions=False)

    return invoke


@pytest.fixture(scope="session")
def full() -> Catalog:
    """The real compiled catalog (build/data/models.json); integration tests skip without it."""
    if not FULL.is_file():
        pytest.skip(f"{FULL} not present (run make data WORK=../shared/work)")
    return Catalog.load(FULL)
