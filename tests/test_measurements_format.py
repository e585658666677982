"""The knollm-measurements format: its JSON Schema is valid, and the guide's example follows it."""

from __future__ import annotations

import json
import re
from importlib import resources
from pathlib import Path

import jsonschema

ROOT = Path(__file__).resolve().parents[1]
GUIDE = ROOT / "src_docs" / "md" / "guides" / "benchmarks.md"


def schema() -> dict:
    return json.loads(resources.files("knollm").joinpath("measurements.schema.json").read_text())


def test_schema_is_valid_draft7() -> None:
    jsonschema.Draft7Validator.check_schema(schema())


def test_guide_example_follows_the_schema() -> None:
    [example] = re.findall(r"```json\n(.*?)```", GUIDE.read_text(), re.DOTALL)
    doc = json.loads(example)
    jsonschema.Draft7Validator(schema()).validate(doc)
    broken = dict(doc, results=[{**doc["results"][0], "error_rate": 2}])
    errors = list(jsonschema.Draft7Validator(schema()).iter_errors(broken))
    assert [e.validator for e in errors] == ["maximum"]
