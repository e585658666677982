"""The price ledger (history.json): dated points, growth, bad input, through the compile command.

The command tests build a one-provider work directory whose dump is dated by its fetch log and
compile it without the open catalogs (fast); the full-catalog checks live in
``test_history_full.py``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import orjson
from click.testing import CliRunner

from knollm_build import history
from knollm_build.cli import main
from knollm_build.schema import Conflict, Offering, Pricing

CATALOG = Path(__file__).resolve().parents[1] / "catalog"


def _work(root: Path, input_price: float, captured: str) -> Path:
    folder = root / "model_catalog"
    folder.mkdir(parents=True, exist_ok=True)
    dump = [
        {
            "id": "openai/gpt-oss-120b",
            "type": "chat",
            "context_length": 128000,
            "pricing": {"input": input_price, "output": 0.6},
        }
    ]
    (folder / "models_togetherai.json").write_text(json.dumps(dump))
    log = {"togetherai": {"failed": False, "error": "", "last_success": captured}}
    (folder / "failed_models.json").write_text(json.dumps(log))
    return root


def _compile(out: Path, work: Path, *extra: str) -> Any:
    args = ["compile", "--out", str(out), "--work", str(work), "--catalog", str(CATALOG)]
    return CliRunner().invoke(main, [*args, "--no-default-sources", "-q", *extra])


def _ledger(out: Path) -> dict[str, Any]:
    return orjson.loads((out / "history.json").read_bytes())


def _points(out: Path) -> list[dict[str, Any]]:
    (entry,) = [
        e for e in _ledger(out)["entries"] if e["provider_model_id"] == "openai/gpt-oss-120b"
    ]
    return entry["points"]


def test_compile_writes_the_ledger_and_its_schema_beside_models_json(tmp_path: Path) -> None:
    result = _compile(
        tmp_path / "out", _work(tmp_path / "w", 0.15, "Mon, 08 Sep 2025 10:00:00 GMT")
    )
    assert result.exit_code == 0, result.output
    assert _points(tmp_path / "out") == [
        {
            "dated": "observed",
            "input": 0.15,
            "output": 0.6,
            "since": "2025-09-08",
            "source": "dump:togetherai",
        }
    ]
    schema = orjson.loads((tmp_path / "out" / "history.schema.json").read_bytes())
    assert schema["title"] == "History"
    point = schema["$defs"]["LedgerPoint"]["properties"]
    assert {"since", "source", "input", "output", "cache_read", "cache_write"} <= point.keys()
    assert point["input"]["description"] == "USD per 1M input (prompt) tokens."


def test_the_ledger_grows_from_the_previous_one_in_the_output_dir(tmp_path: Path) -> None:
    out = tmp_path / "out"
    _compile(out, _work(tmp_path / "w1", 0.15, "Mon, 08 Sep 2025 10:00:00 GMT"))
    first = (out / "history.json").read_bytes()
    # Rebuilding from the same inputs and its own ledger changes nothing.
    _compile(out, _work(tmp_path / "w1", 0.15, "Mon, 08 Sep 2025 10:00:00 GMT"))
    assert (out / "history.json").read_bytes() == first
    # A later capture with a new price adds a point; the old one stays.
    result = _compile(out, _work(tmp_path / "w2", 0.10, "Tue, 02 Dec 2025 09:00:00 GMT"))
    assert result.exit_code == 0, result.output
    assert [(p["since"], p["input"]) for p in _points(out)] == [
        ("2025-09-08", 0.15),
        ("2025-12-02", 0.10),
    ]
    # An explicit previous ledger works the same from anywhere; --no-previous-history ignores it.
    other = tmp_path / "other"
    _compile(other, tmp_path / "w2", "--previous-history", str(out / "history.json"))
    assert _points(other) == _points(out)
    _compile(out, tmp_path / "w2", "--no-previous-history")
    assert [p["since"] for p in _points(out)] == ["2025-12-02"]


def test_a_previous_ledger_that_does_not_parse_is_reported_and_rebuilt(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "history.json").write_text('{"schema_version": "1.1.0", "entries": [{"provid')
    result = _compile(out, _work(tmp_path / "w", 0.15, "Mon, 08 Sep 2025 10:00:00 GMT"))
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    errors = orjson.loads((out / "report.json").read_bytes())["errors"]
    (error,) = [e for e in errors if e["file"].endswith("history.json")]
    assert "previous price ledger does not parse" in error["reason"]
    assert "rebuilt from the sources" in error["reason"]
    assert [p["since"] for p in _points(out)] == ["2025-09-08"]
    # --strict counts it as an input error.
    (out / "history.json").write_text("[]")
    assert _compile(out, tmp_path / "w", "--strict").exit_code == 1


def test_previous_history_option_and_its_negation_exclude_each_other(tmp_path: Path) -> None:
    work = _work(tmp_path / "w", 0.15, "Mon, 08 Sep 2025 10:00:00 GMT")
    ledger = tmp_path / "h.json"
    ledger.write_text("{}")
    result = _compile(
        tmp_path / "out", work, "--previous-history", str(ledger), "--no-previous-history"
    )
    assert result.exit_code == 2
    assert "exclude each other" in result.output


# --- the pure function -----------------------------------------------------------------------


def _offering(**pricing: float) -> Offering:
    return Offering(
        provider="acme",
        model="m-1",
        provider_model_id="M-1",
        pricing=Pricing(**pricing),
        sources=["a", "b"],
    )


def _obs(source: str, since: str | None, dated: str = "observed", **prices: float) -> Any:
    return history.Observation("acme", "m-1", source, since, dated, prices)  # type: ignore[arg-type]


def _build(
    points: list[Any], previous: history.History | None = None, offering: Offering | None = None
) -> tuple[history.History, list[history.HistoryConflict]]:
    return history.build_history(
        [offering or _offering(input=1.0, output=2.0)], points, previous, "2026-01-01T00:00:00Z"
    )


def _series(ledger: history.History) -> list[tuple[str | None, str, float | None]]:
    (entry,) = [e for e in ledger.entries if e.provider == "acme"]
    return [(p.since, p.source, p.input) for p in entry.points]


def test_observations_that_change_nothing_are_not_points() -> None:
    ledger, conflicts = _build(
        [
            _obs("b", "2026-09", input=1.0, output=2.0),
            _obs("a", "2025-09-08", input=1.0, output=2.0),
            _obs("c", "2026-11", input=1.004, output=2.0),  # within the 1% tolerance
            _obs("d", "2026-12", input=0.5, output=2.0),
        ]
    )
    assert _series(ledger) == [("2025-09-08", "a", 1.0), ("2026-12", "d", 0.5)]
    assert ledger.entries[0].provider_model_id == "M-1"  # the published spelling
    assert conflicts == []


def test_effective_points_are_kept_as_the_source_dates_them() -> None:
    points = [
        _obs("g", None, "effective", input=3.0, output=15.0),
        _obs("g", "2026-03-13", "effective", input=3.0, output=15.0),
        _obs("g", "2026-05-01", "effective", input=2.0, output=10.0),
    ]
    for index, point in enumerate(points):
        point.order = index
    ledger, conflicts = _build(points)
    assert _series(ledger) == [(None, "g", 3.0), ("2026-03-13", "g", 3.0), ("2026-05-01", "g", 2.0)]
    assert conflicts == []


def test_two_sources_with_different_prices_on_one_date_are_both_kept_and_reported() -> None:
    ledger, conflicts = _build(
        [_obs("a", "2025-09-08", input=1.0, output=2.0), _obs("b", "2025-09-08", input=1.5)]
    )
    assert _series(ledger) == [("2025-09-08", "a", 1.0), ("2025-09-08", "b", 1.5)]
    (conflict,) = conflicts
    assert (conflict.kind, conflict.since, conflict.provider_model_id) == (
        "same_date",
        "2025-09-08",
        "M-1",
    )
    assert [(p.source, p.input) for p in conflict.points] == [("a", 1.0), ("b", 1.5)]


def test_a_source_going_back_in_time_is_kept_and_reported() -> None:
    previous, _ = _build([_obs("a", "2026-01-01", input=1.0, output=2.0)])
    ledger, conflicts = _build([_obs("a", "2025-06-01", input=4.0, output=2.0)], previous)
    assert _series(ledger) == [("2025-06-01", "a", 4.0), ("2026-01-01", "a", 1.0)]
    (conflict,) = conflicts
    assert conflict.kind == "backwards"
    assert [(p.since, p.input) for p in conflict.points] == [
        ("2026-01-01", 1.0),
        ("2025-06-01", 4.0),
    ]


def test_effective_dates_out_of_order_within_a_source_are_reported() -> None:
    late = _obs("g", "2026-05-01", "effective", input=2.0)
    early = _obs("g", "2026-01-01", "effective", input=3.0)
    early.order = 1
    _, conflicts = _build([late, early])
    assert [(c.kind, c.since) for c in conflicts] == [("backwards", "2026-01-01")]


def test_previous_points_are_never_dropped_and_rebuilding_is_idempotent() -> None:
    previous, _ = _build(
        [_obs("a", "2025-01-01", input=9.0, output=2.0), _obs("a", "2025-02-01", input=9.0)]
    )
    assert len(previous.entries[0].points) == 1
    gone = history.HistoryEntry(
        provider="old", provider_model_id="retired-1", points=previous.entries[0].points
    )
    previous.entries.append(gone)
    # A source now dating the same price earlier does not make the previous point go away.
    now = [_obs("b", "2024-06-01", input=9.0, output=2.0), _obs("b", "2026-09", input=1.0)]
    grown, _ = _build(now, previous)
    assert _series(grown) == [
        ("2024-06-01", "b", 9.0),
        ("2025-01-01", "a", 9.0),
        ("2026-09", "b", 1.0),
    ]
    assert [e.provider for e in grown.entries] == ["acme", "old"]  # unpublished entry kept
    again, _ = _build(now, grown)
    assert history.published(again) == history.published(grown)


def test_placeholder_zeros_and_probable_unit_errors_are_not_points() -> None:
    offering = _offering(input=1.0, output=2.0)
    offering.conflicts = [
        Conflict(
            field="pricing.input",
            kind="probable_unit_error",
            chosen=1.0,
            chosen_source="a",
            values=[{"source": "a", "value": 1.0}, {"source": "x", "value": 1e6}],  # type: ignore[list-item]
        )
    ]
    ledger, _ = _build(
        [
            _obs("a", "2025-01-01", input=1.0, output=2.0),
            _obs("x", "2025-06-01", input=1e6, output=2.0),
            _obs("z", "2025-07-01", input=0.0, output=0.0),
        ],
        offering=offering,
    )
    assert _series(ledger) == [("2025-01-01", "a", 1.0)]


def test_load_previous_reports_a_ledger_of_the_wrong_shape(tmp_path: Path) -> None:
    path = tmp_path / "history.json"
    path.write_text('{"schema_version": "1.1.0", "generated_at": "x", "entries": [{}]}')
    previous, problems = history.load_previous(path)
    assert previous is None
    (problem,) = problems
    assert (problem.kind, problem.file) == ("error", str(path))
    assert history.load_previous(tmp_path / "missing.json") == (None, [])


def test_on_one_date_the_source_that_wins_in_merge_comes_first() -> None:
    points = [_obs("catalog", "2025-09-08", input=1.0), _obs("dump", "2025-09-08", input=1.0)]
    ledger, _ = history.build_history(
        [_offering(input=1.0)], points, None, "2026-01-01T00:00:00Z", {"dump": 10, "catalog": 40}
    )
    assert _series(ledger) == [("2025-09-08", "dump", 1.0)]
    ledger, _ = _build(points)  # no precedence given: by source id
    assert _series(ledger) == [("2025-09-08", "catalog", 1.0)]


def test_a_record_with_dated_prices_is_not_also_observed_at_its_capture_date() -> None:
    from knollm_build.normalise import NormalRecord
    from knollm_build.records import PricePoint, RawRecord

    raw = RawRecord("g", "f", "p", "acme", "m-1", prices={"input": 3.0})  # in force at build date
    raw.price_points = [PricePoint(None, {"input": 3.0}), PricePoint("2026-10-19", {"input": 0.2})]
    record = NormalRecord(raw, "acme", "m-1", (), None, "chat", None, None, [], 20)
    found = history.observations([record], {"g": "2026-11"})
    assert [(o.since, o.dated, o.prices["input"]) for o in found] == [
        (None, "effective", 3.0),
        ("2026-10-19", "effective", 0.2),
    ]
