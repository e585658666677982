"""``knollm benchmark`` results in the catalog: the ``measurements`` section of models.json.

The example run (tests/fixtures/site/catalog/measurements/example.json) was made by the real
``knollm benchmark`` against fake providers (tests/fixtures/site/make_measurements.py). The mini
catalog is compiled with it through the CLI, beside broken files of every kind.
"""

from __future__ import annotations

import copy
import json
import shutil
from pathlib import Path
from typing import Any

import jsonschema
import orjson
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from knollm_build import measurements
from knollm_build.cli import main
from knollm_build.publish import json_schema

REPO = Path(__file__).resolve().parents[1]
MINI = REPO / "tests" / "fixtures" / "mini"
GOLDEN = REPO / "tests" / "golden"
EXAMPLE = REPO / "tests" / "fixtures" / "site" / "catalog" / "measurements" / "example.json"
CLIENT_SCHEMA = REPO / "client" / "src" / "knollm" / "measurements.schema.json"
GROQ = ("groq", "llama-3.3-70b-versatile")
TOGETHER = ("together", "meta-llama/Llama-3.3-70B-Instruct-Turbo")


def example() -> dict[str, Any]:
    doc: dict[str, Any] = orjson.loads(EXAMPLE.read_bytes())
    return doc


def write(folder: Path, name: str, doc: Any) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(doc if isinstance(doc, bytes) else orjson.dumps(doc))
    return path


def compile_mini(
    root: Path, monkeypatch: pytest.MonkeyPatch, *extra: str, out: str = "out"
) -> tuple[int, str, Path]:
    catalog = root / "catalog"
    if not catalog.exists():
        shutil.copytree(MINI / "catalog", catalog)
        shutil.copy(REPO / "catalog" / "model_rules.toml", catalog / "model_rules.toml")
        shutil.copytree(MINI / "work", root / "work")
    monkeypatch.chdir(root)  # report paths are relative to the working directory
    result = CliRunner().invoke(
        main,
        [
            "compile",
            "--out",
            out,
            "--work",
            "work",
            "--catalog",
            "catalog",
            "--no-default-sources",
            "--no-previous-history",
            "-q",
            *extra,
        ],
        env={"SOURCE_DATE_EPOCH": "1764028800"},
    )
    return result.exit_code, result.output, root / out


def load(out: Path, name: str = "models.json") -> dict[str, Any]:
    data: dict[str, Any] = orjson.loads((out / name).read_bytes())
    return data


def test_the_compilers_schema_is_the_clients_byte_for_byte() -> None:
    """One format, one definition: the client's file; the compiler ships a copy of it."""
    assert measurements.SCHEMA_FILE.read_bytes() == CLIENT_SCHEMA.read_bytes(), (
        "knollm_build/measurements.schema.json differs from the client's: "
        "cp client/src/knollm/measurements.schema.json knollm_build/"
    )


def test_the_example_is_a_valid_run_of_the_real_client() -> None:
    from knollm import bench

    doc = example()
    assert bench.validate(doc) is doc
    assert doc["measured_from"]["client"].startswith("knollm ")


def test_runs_are_published_per_offering_apart_from_the_offerings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    code, output, plain = compile_mini(tmp_path, monkeypatch, out="plain")
    assert code == 0, output
    write(tmp_path / "catalog" / "measurements", "example.json", example())
    code, output, out = compile_mini(tmp_path, monkeypatch)
    assert code == 0, output
    catalog = load(out)
    entries = {(m["provider"], m["provider_model_id"]): m for m in catalog["measurements"]}
    assert list(entries) == [GROQ, TOGETHER]  # sorted by provider, then API id
    groq, source = entries[GROQ], example()["results"][0]
    assert groq["model"] == "llama-3.3-70b-instruct"
    assert groq["ttft_s"] == {k: source["ttft_s"][k] for k in ("n", "median", "p95")}
    assert groq["latency_s"]["median"] == source["latency_s"]["median"]
    assert groq["output_tokens_per_s"]["p95"] == source["output_tokens_per_s"]["p95"]
    assert (groq["attempts"], groq["errors"], groq["error_rate"]) == (10, 0, 0.0)
    assert groq["measured_by"] == "knollm test suite (fake providers)"
    assert groq["where"].startswith("127.0.0.1")
    assert groq["client"] == "knollm 0.1.0" and groq["platform"] == "Linux-x86_64"
    assert groq["finished_at"] == example()["finished_at"] and groq["runs"] == 10
    assert groq["run_id"] == example()["id"]
    assert entries[TOGETHER]["errors"] == 2 and entries[TOGETHER]["ttft_s"]["n"] == 8
    # Measured values never reach the offerings: they are the same as without measurements.
    assert catalog["offerings"] == load(plain)["offerings"]
    assert load(out, "report.json")["errors"] == load(plain, "report.json")["errors"]
    jsonschema.Draft202012Validator(json_schema()).validate(catalog)


def test_without_measurement_files_the_output_is_the_goldens(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    code, output, plain = compile_mini(tmp_path, monkeypatch, out="plain")
    assert code == 0, output
    assert "measurements" not in load(plain)
    for name in ("models.json", "report.json"):
        assert load(plain, name) == orjson.loads((GOLDEN / name).read_bytes()), name
    # An empty measurements folder, or one without .json files, changes no byte either.
    (tmp_path / "catalog" / "measurements").mkdir()
    write(tmp_path / "extra", "notes.txt", b"not a measurement")
    code, output, empty = compile_mini(tmp_path, monkeypatch, "--measurements", "extra", out="e")
    assert code == 0, output
    for name in ("models.json", "schema.json", "report.json", "offerings.csv", "explorer.json"):
        assert (empty / name).read_bytes() == (plain / name).read_bytes(), name


def test_same_inputs_same_bytes_whatever_the_folder_order(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    older = example()
    older["id"] = "11111111-1111-4111-8111-111111111111"
    older["finished_at"] = "2026-11-01T10:00:00Z"
    older["measured_by"] = "someone else"
    write(tmp_path / "a", "run.json", example())
    write(tmp_path / "b", "run.json", older)
    code, output, one = compile_mini(
        tmp_path, monkeypatch, "--measurements", "a", "--measurements", "b", out="one"
    )
    assert code == 0, output
    code, output, two = compile_mini(
        tmp_path, monkeypatch, "--measurements", "b", "--measurements", "a", out="two"
    )
    assert code == 0, output
    assert (one / "models.json").read_bytes() == (two / "models.json").read_bytes()
    runs = [(m["provider"], m["finished_at"]) for m in load(one)["measurements"]]
    assert runs == [
        ("groq", "2026-11-01T10:00:00Z"),
        ("groq", example()["finished_at"]),
        ("together", "2026-11-01T10:00:00Z"),
        ("together", example()["finished_at"]),
    ]


def bad_files(folder: Path) -> None:
    """One file for each way a measurement file can be wrong, beside the good example."""
    good = example()
    write(folder, "a-good.json", good)
    write(folder, "b-not-json.json", b'{"format": "knollm-measurements",')
    write(folder, "c-future.json", {**copy.deepcopy(good), "format_version": 2, "id": "c"})
    one_bad = copy.deepcopy(good)
    one_bad["id"] = "d"
    one_bad["results"][0]["error_rate"] = 2
    one_bad["results"].append({**copy.deepcopy(good["results"][1]), "provider": "nowhere"})
    one_bad["results"].append(copy.deepcopy(good["results"][1]))
    write(folder, "d-one-bad-result.json", one_bad)
    write(folder, "e-same-run.json", good)
    write(folder, "f-bad-date.json", {**copy.deepcopy(good), "id": "f", "started_at": "yesterday"})
    long_text = {**copy.deepcopy(good), "id": "g", "measured_by": "x" * 500}
    write(folder, "g-long-text.json", long_text)
    write(folder, "h-not-an-object.json", b"[1, 2]")


def test_bad_files_and_records_are_reported_with_file_position_and_reason(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bad_files(tmp_path / "runs")
    code, output, out = compile_mini(tmp_path, monkeypatch, "--measurements", "runs")
    assert code == 0, output
    assert "Traceback" not in output
    errors = [e for e in load(out, "report.json")["errors"] if e["file"].startswith("runs")]
    got = {(e["file"], e["position"], e["reason"]) for e in errors}
    skipped = "file skipped: none of its measurements is published"
    assert ("runs/b-not-json.json", "", next(r for f, _, r in got if "b-not" in f)) in got
    assert next(r for f, _, r in got if "b-not" in f).startswith("invalid JSON: ")
    assert (
        "runs/c-future.json",
        "format_version",
        "not a knollm-measurements v1 file: 1 was expected",
    ) in got
    assert ("runs/c-future.json", "", skipped) in got
    assert (
        "runs/d-one-bad-result.json",
        "results[0]",
        "result skipped, not valid: results[0].error_rate: 2 is greater than the maximum of 1",
    ) in got
    assert (
        "runs/d-one-bad-result.json",
        "results[2]",
        "no offering nowhere:meta-llama/Llama-3.3-70B-Instruct-Turbo in this catalog: measurement "
        "not published (check the provider id and the exact API id)",
    ) in got
    assert (
        "runs/d-one-bad-result.json",
        "results[3]",
        "second result for together:meta-llama/Llama-3.3-70B-Instruct-Turbo in one run: skipped",
    ) in got
    assert (
        "runs/e-same-run.json",
        "id",
        f"run {example()['id']!r} is already read from runs/a-good.json: skipped",
    ) in got
    assert (
        "runs/f-bad-date.json",
        "started_at",
        "not an ISO 8601 date-time (got 'yesterday')",
    ) in got
    assert (
        "runs/g-long-text.json",
        "measured_by",
        "longer than 200 characters (500)",
    ) in got
    assert (
        "runs/h-not-an-object.json",
        "",
        "not a knollm-measurements v1 file: [1, 2] is not of type 'object'",
    ) in got
    # What is valid is published: the good file whole, the good result of the partly bad one.
    published = [(m["run_id"], m["provider"]) for m in load(out)["measurements"]]
    assert sorted(published) == sorted(
        [(example()["id"], "groq"), (example()["id"], "together"), ("d", "together")]
    )
    # --strict counts them as input errors.
    code, output, _ = compile_mini(tmp_path, monkeypatch, "--measurements", "runs", "--strict")
    assert code == 1 and "input error(s)" in output


def test_a_missing_measurements_folder_is_a_usage_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    code, output, _ = compile_mini(tmp_path, monkeypatch, "--measurements", "nowhere")
    assert code == 2
    assert "Directory 'nowhere' does not exist" in output


def test_a_hostile_file_cannot_break_the_build(tmp_path: Path) -> None:
    """Deeply wrong shapes everywhere: each becomes a reported problem, never an exception."""
    folder = tmp_path / "m"
    good = example()
    shapes: list[Any] = [
        None,
        "text",
        {"results": "x"},
        {**good, "results": [None, 1, "x", []]},
        {**good, "settings": []},
        {**good, "measured_from": {"where": 1}},
        {**good, "id": ""},
        {**good, "results": [{**good["results"][0], "ttft_s": {"n": -1}}]},
    ]
    for i, doc in enumerate(shapes):
        write(folder, f"{i}.json", orjson.dumps(doc))
    measured = measurements.read([folder], {GROQ: "llama-3.3-70b-instruct"})
    assert measured.files == len(shapes)
    assert measured.measurements == []
    assert {p.file for p in measured.problems} == {str(folder / f"{i}.json") for i in range(8)}
    assert all(p.kind == "error" and p.reason for p in measured.problems)


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    doc=JSON,
    patch=st.dictionaries(
        st.sampled_from(
            ["id", "measured_by", "started_at", "settings", "results", "format_version"]
        ),
        JSON,
        max_size=3,
    ),
)
def test_any_json_is_read_or_reported_never_raised(tmp_path: Path, doc: Any, patch: Any) -> None:
    folder = tmp_path / "h"
    # json, not orjson: integers beyond 64 bits are valid JSON text too.
    write(folder, "random.json", json.dumps(doc).encode())
    write(folder, "patched.json", json.dumps({**example(), **patch}).encode())
    measured = measurements.read([folder], {GROQ: "llama-3.3-70b-instruct"})
    assert measured.files == 2
    for m in measured.measurements:
        assert (m.provider, m.provider_model_id) == GROQ
    assert all(p.kind == "error" and p.file.startswith(str(folder)) for p in measured.problems)
