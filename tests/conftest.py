"""Shared fixtures: the full catalog (pinned open catalogs + ../shared/work), compiled once per session."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import orjson
import pytest

REPO = Path(__file__).resolve().parents[1]
if str(REPO / "client" / "src") not in sys.path:
    sys.path.append(str(REPO / "client" / "src"))  # knollm.recommend before the client is installed
SHARED_WORK = Path(os.environ.get("KNOLLM_SHARED_WORK", REPO.parent / "shared" / "work"))


@pytest.fixture(scope="session")
def full_build(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Two compiles of the full catalog, into directories "a" and "b".

    Each runs the ``knollm-build`` command in a process of its own with a different hash
    seed, so the determinism test also catches output that depends on set or dict order
    within one interpreter run or on state left over from an earlier compile.
    """
    if not (SHARED_WORK / "model_catalog").is_dir():
        if os.environ.get("CI"):
            pytest.fail(f"{SHARED_WORK} is missing; CI must have ../shared beside the clone")
        pytest.skip(f"{SHARED_WORK} not present")
    outs = {}
    for name, seed in (("a", "1"), ("b", "2")):
        out = tmp_path_factory.mktemp(f"data-{name}")
        command = [
            sys.executable,
            "-c",
            "from knollm_build.cli import main; main()",
            "compile",
            "--out",
            str(out),
            "--work",
            str(SHARED_WORK),
            "--catalog",
            str(REPO / "catalog"),
            "-q",
        ]
        env = os.environ | {"SOURCE_DATE_EPOCH": "1764028800", "PYTHONHASHSEED": seed}
        result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
        assert result.returncode == 0, result.stdout + result.stderr
        assert "Traceback" not in result.stdout + result.stderr
        outs[name] = out
    return outs


@pytest.fixture(scope="session")
def full_catalog(full_build: dict[str, Path]) -> dict:
    return orjson.loads((full_build["a"] / "models.json").read_bytes())


FIXTURES = REPO / "tests" / "fixtures"


def build_fixture_site(root: Path) -> Path:
    """Build the site from the mini catalog plus the hostile provider into ``root/site``."""
    from mkdocs.commands.build import build
    from mkdocs.config import load_config

    catalog = root / "catalog"
    shutil.copytree(FIXTURES / "mini" / "catalog", catalog)
    shutil.copytree(FIXTURES / "site" / "catalog", catalog, dirs_exist_ok=True)
    shutil.copy(REPO / "catalog" / "model_rules.toml", catalog / "model_rules.toml")
    work = root / "work"
    shutil.copytree(FIXTURES / "mini" / "work", work)
    shutil.copytree(FIXTURES / "site" / "work", work, dirs_exist_ok=True)
    os.environ["SOURCE_DATE_EPOCH"] = "1764028800"
    config = load_config(
        str(REPO / "src_docs" / "mkdocs.yml"),
        site_dir=str(root / "site"),
        strict=True,
        plugins={
            "knollm": {
                "catalog": str(catalog),
                "templates": str(REPO / "templates"),
                "work": str(work),
                "default_sources": False,
            },
            "search": {},
            "macros": {"render_by_default": False, "on_undefined": "strict"},
            "mkdocstrings": {"handlers": {"python": {"paths": [str(REPO)]}}},
        },
    )
    build(config)
    return root / "site"


@pytest.fixture(scope="session")
def fixture_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The fixture site (mini catalog + hostile provider), built once per session."""
    return build_fixture_site(tmp_path_factory.mktemp("site-build"))
