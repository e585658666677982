"""Malformed provider dumps: every bad file and record is reported, the rest still builds.

``tests/fixtures/bad/`` is a work directory whose ``model_catalog/`` holds one
file per kind of damage plus one good file. It is read through the work-dump
adapter and through the ``compile`` command, with and without ``--strict``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from knollm_build.cli import main
from knollm_build.sources import work_dumps
from knollm_build.sources.base import LoadContext

ROOT = Path(__file__).resolve().parents[1]
BAD_WORK = ROOT / "tests" / "fixtures" / "bad"
CATALOG = ROOT / "catalog"

SECTION_OF_KIND = {
    "error": "errors",
    "quarantined": "quarantined",
    "withheld_price": "withheld_prices",
    "withheld_limit": "withheld_limits",
}

# (file, problem kind, position, words the reason must contain, field)
EXPECTED_PROBLEMS: list[tuple[str, str, str, str, str | None]] = [
    ("models_empty.json", "error", "", "empty", None),
    ("models_truncated.json", "error", "", "invalid JSON", None),
    ("models_unknownshape.json", "error", "", "unknown shape", None),
    ("models_notobjects.json", "quarantined", "data[1]", "not an object", None),
    ("models_notobjects.json", "quarantined", "data[2]", "not an object", None),
    ("models_notobjects.json", "quarantined", "data[3]", "not an object", None),
    ("models_notobjects.json", "quarantined", "data[4]", "not an object", None),
    (
        "models_wrongtypes.json",
        "withheld_limit",
        "data[0]",
        "not a sane token count",
        "context_length",
    ),
    (
        "models_wrongtypes.json",
        "withheld_price",
        "data[0]",
        "not a finite number",
        "pricing.prompt",
    ),
    ("models_negativeprice.json", "withheld_price", "data[0]", "negative", "pricing.input"),
    (
        "models_nonnumericprice.json",
        "withheld_price",
        "data[0]",
        "not a finite number",
        "pricing.prompt",
    ),
    ("models_nanprice.json", "withheld_price", "data[0]", "not a finite number", "pricing.prompt"),
    (
        "models_absurdlimits.json",
        "withheld_limit",
        "data[0]",
        "not a sane token count",
        "context_length",
    ),
    (
        "models_absurdlimits.json",
        "withheld_limit",
        "data[1]",
        "not a sane token count",
        "context_length",
    ),
    (
        "models_absurdlimits.json",
        "withheld_limit",
        "data[2]",
        "not a sane token count",
        "context_length",
    ),
    ("models_duplicates.json", "quarantined", "data[1]", "duplicate model id", None),
    ("models_noid.json", "quarantined", "data[0]", "no model id", None),
    (
        "models_banana.json",
        "withheld_price",
        "data[0]",
        "unit of this price field is unknown",
        "pricing.per_banana",
    ),
]

# ids that must survive next to the bad entries, with their published prices (USD per 1M)
KEPT_PRICES: dict[str, dict[str, float]] = {
    "good-chat-1": {"input": 1.0, "output": 2.0},
    "good-chat-2": {"input": 0.5, "output": 1.5},
    "notobj-ok": {},
    "noid-neighbour": {},
    "dup-model": {},
    "wrongtypes-1": {"output": 2.0},
    "negprice-1": {"output": 1.0},
    "nonnum-1": {"output": 1.0},
    "nan-1": {"output": 1.0},
    "banana-1": {"input": 1.0, "output": 2.0},
    "limit-huge": {},
    "limit-negative": {},
    "limit-zero": {},
}


def _matches(
    problem: dict[str, Any], file: str, position: str, words: str, field: str | None
) -> bool:
    return (
        Path(problem["file"]).name == file
        and problem["position"] == position
        and words in problem["reason"]
        and problem.get("field") == field
    )


def _compile(out: Path, *extra: str, work: Path = BAD_WORK) -> Result:
    args = [
        "compile",
        "--out",
        str(out),
        "--work",
        str(work),
        "--catalog",
        str(CATALOG),
        "--no-default-sources",
        *extra,
    ]
    return CliRunner().invoke(main, args)


def _assert_no_traceback(result: Result) -> None:
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(
        result.exception
    )
    assert "Traceback" not in result.stdout
    assert "Traceback" not in result.stderr


# --- the adapter ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def loaded() -> Any:
    return work_dumps.load(LoadContext(work_dirs=[BAD_WORK]))


@pytest.mark.parametrize(("file", "kind", "position", "words", "field"), EXPECTED_PROBLEMS)
def test_load_reports_bad_file_or_record(
    loaded: Any, file: str, kind: str, position: str, words: str, field: str | None
) -> None:
    problems = [p.as_dict() for p in loaded.problems if p.kind == kind]
    assert any(_matches(p, file, position, words, field) for p in problems), [
        p.line() for p in loaded.problems
    ]


def test_load_reports_nothing_unexpected(loaded: Any) -> None:
    assert len(loaded.problems) == len(EXPECTED_PROBLEMS)
    assert not any("internal error" in p.reason for p in loaded.problems)


def test_load_keeps_good_records_and_good_fields_of_damaged_records(loaded: Any) -> None:
    prices = {r.provider_model_id: r.prices for r in loaded.records}
    assert prices == KEPT_PRICES
    limits = {r.provider_model_id: r.context_window for r in loaded.records}
    assert limits["good-chat-1"] == 32768
    assert limits["dup-model"] == 4096  # the first of the duplicates wins
    for name in ("limit-huge", "limit-negative", "limit-zero", "wrongtypes-1"):
        assert limits[name] is None


def test_load_reports_the_offending_values(loaded: Any) -> None:
    values = {(Path(p.file).name, p.position, p.field): p.value for p in loaded.problems if p.field}
    assert values[("models_nanprice.json", "data[0]", "pricing.prompt")] == "NaN"
    assert values[("models_nonnumericprice.json", "data[0]", "pricing.prompt")] == "free"
    assert values[("models_negativeprice.json", "data[0]", "pricing.input")] == -0.5
    assert values[("models_wrongtypes.json", "data[0]", "context_length")] == "lots"
    assert values[("models_wrongtypes.json", "data[0]", "pricing.prompt")] == ["x"]
    assert values[("models_absurdlimits.json", "data[0]", "context_length")] == 10**12
    assert values[("models_absurdlimits.json", "data[1]", "context_length")] == -5
    assert values[("models_absurdlimits.json", "data[2]", "context_length")] == 0
    assert values[("models_banana.json", "data[0]", "pricing.per_banana")] == "0.5"


def test_load_accounts_for_every_entry_of_every_parsable_file(loaded: Any) -> None:
    folder = BAD_WORK / "model_catalog"
    seen: dict[str, set[str]] = {}
    for record in loaded.records:
        seen.setdefault(Path(record.file).name, set()).add(record.position)
    for problem in loaded.problems:
        seen.setdefault(Path(problem.file).name, set()).add(problem.position)
    total = 0
    for path in sorted(folder.glob("*.json")):
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
        except ValueError:
            assert seen[path.name] == {""}  # file-level error
            continue
        if not isinstance(doc, dict) or not isinstance(doc.get("data"), list):
            assert seen[path.name] == {""}
            continue
        positions = {f"data[{i}]" for i in range(len(doc["data"]))}
        assert positions <= seen[path.name], path.name
        total += len(positions)
    assert loaded.records_read == total


def test_every_bad_file_still_gets_a_source_entry(loaded: Any) -> None:
    ids = {s.id: s for s in loaded.sources}
    assert ids["dump:empty"].version == "unreadable"
    assert ids["dump:truncated"].version == "unreadable"
    assert ids["dump:unknownshape"].version.startswith("sha256:")
    assert ids["dump:good"].records == 2


# --- the command line ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def lenient(tmp_path_factory: pytest.TempPathFactory) -> tuple[Result, Path]:
    out = tmp_path_factory.mktemp("out-lenient")
    return _compile(out), out


@pytest.fixture(scope="module")
def strict(tmp_path_factory: pytest.TempPathFactory) -> tuple[Result, Path]:
    out = tmp_path_factory.mktemp("out-strict")
    return _compile(out, "--strict"), out


def _report(out: Path) -> dict[str, Any]:
    return json.loads((out / "report.json").read_text(encoding="utf-8"))


def test_cli_without_strict_exits_0_without_traceback(lenient: tuple[Result, Path]) -> None:
    result, out = lenient
    _assert_no_traceback(result)
    assert result.exit_code == 0, result.output
    for name in ("models.json", "schema.json", "providers.json", "report.json"):
        assert (out / name).is_file()


def test_cli_with_strict_exits_1_without_traceback(strict: tuple[Result, Path]) -> None:
    result, out = strict
    _assert_no_traceback(result)
    assert result.exit_code == 1, result.output
    assert "--strict:" in result.stderr
    assert "quarantined record(s)" in result.stderr
    assert (out / "report.json").is_file()  # the build is still written


@pytest.mark.parametrize(("file", "kind", "position", "words", "field"), EXPECTED_PROBLEMS)
def test_cli_report_lists_bad_file_or_record(
    lenient: tuple[Result, Path], file: str, kind: str, position: str, words: str, field: str | None
) -> None:
    section = _report(lenient[1])[SECTION_OF_KIND[kind]]
    assert any(_matches(p, file, position, words, field) for p in section), section


def test_cli_prints_quarantined_records_with_file_and_position(
    lenient: tuple[Result, Path],
) -> None:
    stderr = lenient[0].stderr
    for file, kind, position, _, _ in EXPECTED_PROBLEMS:
        if kind == "quarantined":
            assert any(
                file in line and f": {position}: " in line for line in stderr.splitlines()
            ), (file, position)


def test_cli_models_json_keeps_the_good_offerings(lenient: tuple[Result, Path]) -> None:
    document = json.loads((lenient[1] / "models.json").read_text(encoding="utf-8"))
    offerings = {o["provider_model_id"]: o for o in document["offerings"]}
    assert set(KEPT_PRICES) <= set(offerings)
    good = offerings["good-chat-2"]
    assert good["pricing"] == {"input": 0.5, "output": 1.5}
    assert good["context_window"] == 65536
    assert good["max_output_tokens"] == 8192
    assert offerings["good-chat-1"]["pricing"] == {"input": 1.0, "output": 2.0}
    for name, prices in KEPT_PRICES.items():
        assert offerings[name]["pricing"] == prices, name
    assert "context_window" not in offerings["limit-huge"]


def test_cli_report_accounting_holds(lenient: tuple[Result, Path]) -> None:
    accounting = _report(lenient[1])["accounting"]
    assert accounting["holds"] is True
    assert accounting["records_read"] == 19
    assert accounting["quarantined"] == 6
    assert accounting["offerings_kept"] == 13
    assert accounting["records_read"] == (
        accounting["offerings_kept"]
        + accounting["merged_duplicates"]
        + accounting["excluded"]
        + accounting["quarantined"]
    )


def test_cli_strict_and_lenient_write_the_same_report(
    lenient: tuple[Result, Path], strict: tuple[Result, Path]
) -> None:
    first, second = _report(lenient[1]), _report(strict[1])
    first.pop("generated_at"), second.pop("generated_at")
    assert first == second


def test_cli_good_file_alone_has_no_dump_problems(tmp_path: Path) -> None:
    work = tmp_path / "work"
    (work / "model_catalog").mkdir(parents=True)
    good = (BAD_WORK / "model_catalog" / "models_good.json").read_bytes()
    (work / "model_catalog" / "models_good.json").write_bytes(good)
    result = _compile(tmp_path / "out", work=work)
    _assert_no_traceback(result)
    assert result.exit_code == 0
    report = _report(tmp_path / "out")
    assert (
        report["quarantined"] == []
        and report["withheld_prices"] == []
        and report["withheld_limits"] == []
    )
    assert not any(Path(p["file"]).name == "models_good.json" for p in report["errors"])
    assert report["accounting"]["holds"] is True


def test_cli_survives_an_absurd_tier_threshold(tmp_path: Path) -> None:
    work = tmp_path / "work"
    (work / "model_catalog").mkdir(parents=True)
    entry = {
        "id": "tiered",
        "input_cost_per_token": 1e-06,
        "input_cost_per_token_above_1e30k_tokens": 2e-06,
    }
    (work / "model_catalog" / "models_vendor.json").write_text(
        json.dumps({"data": [entry]}), encoding="utf-8"
    )
    result = _compile(tmp_path / "out", work=work)
    _assert_no_traceback(result)
    assert result.exit_code == 0


def test_negative_tier_threshold_is_withheld(tmp_path: Path) -> None:
    (tmp_path / "model_catalog").mkdir()
    entry = {
        "id": "tiered",
        "input_cost_per_token": 1e-06,
        "input_cost_per_token_above_-5k_tokens": 2e-06,
    }
    (tmp_path / "model_catalog" / "models_vendor.json").write_text(
        json.dumps({"data": [entry]}), encoding="utf-8"
    )
    result = work_dumps.load(LoadContext(work_dirs=[tmp_path]))
    (record,) = result.records
    assert record.price_tiers == []
    assert [p.kind for p in result.problems] == ["withheld_price"]
