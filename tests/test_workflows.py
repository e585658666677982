"""The GitHub Actions workflows can't run here, so their files are checked as data: valid YAML
without duplicate keys (GitHub rejects those), and every `make` target they call exists."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
WORKFLOWS = sorted((REPO / ".github" / "workflows").glob("*.yml"))


class StrictLoader(yaml.SafeLoader):
    """A safe loader that refuses a mapping with the same key twice."""


def _mapping(loader: StrictLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    keys = [loader.construct_object(key, deep=True) for key, _ in node.value]
    duplicates = sorted({str(k) for k in keys if keys.count(k) > 1})
    if duplicates:
        raise yaml.constructor.ConstructorError(
            None, None, f"duplicate keys {duplicates}", node.start_mark
        )
    return loader.construct_mapping(node, deep=True)


StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping)


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_workflow_is_valid_and_calls_existing_make_targets(path: Path) -> None:
    workflow = yaml.load(path.read_text(encoding="utf-8"), Loader=StrictLoader)  # noqa: S506
    assert workflow["jobs"], path
    makefile = (REPO / "Makefile").read_text(encoding="utf-8")
    targets = set(re.findall(r"^([a-z][a-z0-9-]*):", makefile, re.M))
    for job in workflow["jobs"].values():
        for step in job["steps"]:
            for target in re.findall(r"\bmake ([a-z][a-z0-9-]*)", step.get("run", "")):
                assert target in targets, f"{path.name}: make {target} is not a Makefile target"


def test_workflows_exist() -> None:
    assert {p.name for p in WORKFLOWS} >= {"pages.yml", "refresh.yml"}
