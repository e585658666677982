"""Prices as of a date from the price ledger: ``Catalog.history()``, ``estimate_cost(as_of=)``
and ``knollm costs estimate --as-of``, on the fixture catalog with a ledger written beside it,
and on the real compiled ledger when present."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import orjson
import pytest
from click.testing import Result
from conftest import FIXTURE

from knollm import Catalog
from knollm.history import HistoryError, PriceHistory, parse_date

LEDGER = {
    "schema_version": "1.1.0",
    "generated_at": "2026-03-01T00:00:00Z",
    "entries": [
        {
            "provider": "groq",
            "provider_model_id": "llama-3.3-70b-versatile",
            "model": "llama-3.3-70b-instruct",
            "points": [
                {
                    "since": None,
                    "dated": "effective",
                    "source": "genai-prices",
                    "input": 0.8,
                    "output": 1.0,
                },
                {
                    "since": "2025-06-01",
                    "dated": "effective",
                    "source": "genai-prices",
                    "input": 0.7,
                    "output": 0.9,
                },
                # a later observation from another source that states the input price only
                {"since": "2025-09", "dated": "observed", "source": "dump:groq", "input": 0.59},
                # one date, two sources: the ledger lists the winning source first
                {
                    "since": "2026-01-15",
                    "dated": "observed",
                    "source": "dump:groq",
                    "input": 0.5,
                    "output": 0.7,
                },
                {
                    "since": "2026-01-15",
                    "dated": "observed",
                    "source": "litellm",
                    "input": 0.55,
                    "output": 0.75,
                },
            ],
        },
        {
            "provider": "together",
            "provider_model_id": "openai/gpt-oss-120b",
            "points": [
                {
                    "since": "2025-10-01",
                    "dated": "observed",
                    "source": "litellm",
                    "input": 0.2,
                    "output": 0.8,
                }
            ],
        },
    ],
}


@pytest.fixture
def with_ledger(tmp_path: Path) -> Path:
    """The fixture catalog with a ``history.json.gz`` beside it."""
    import gzip

    shutil.copy(FIXTURE, tmp_path / "models.json")
    (tmp_path / "history.json.gz").write_bytes(gzip.compress(orjson.dumps(LEDGER), mtime=0))
    return tmp_path / "models.json"


def test_prices_as_of_a_date(with_ledger: Path) -> None:
    catalog = Catalog.load(with_ledger)
    groq = catalog.offering("groq:llama-3.3-70b-versatile")
    history = catalog.history()
    assert history is catalog.history()  # loaded once

    def prices(day: str) -> tuple[float | None, float | None, str | None, tuple[str, ...]]:
        found = history.pricing_as_of(groq, day)
        assert found is not None
        return found.pricing.input, found.pricing.output, found.since, found.older

    assert prices("2025-01-01") == (0.8, 1.0, None, ())  # before the first dated change
    assert prices("2025-06-01") == (0.7, 0.9, "2025-06-01", ())  # a change holds from its day
    # the newest point states no output: it comes from the older point, and says so
    assert prices("2025-12-31") == (0.59, 0.9, "2025-09-01", ("output",))
    assert prices("2026-02") == (0.5, 0.7, "2026-01-15", ())  # the winning source on one date
    together = catalog.offering("together:openai/gpt-oss-120b")
    assert history.pricing_as_of(together, "2025-09-30") is None  # no point that old


def test_estimate_cost_as_of_never_falls_back_to_todays_prices(with_ledger: Path) -> None:
    catalog = Catalog.load(with_ledger)
    groq = catalog.offering("groq:llama-3.3-70b-versatile")
    then = catalog.estimate_cost(groq, 1_000_000, 1_000_000, as_of="2025-07-01")
    assert then.total == pytest.approx(0.7 + 0.9)
    assert then.offering is groq and groq.pricing.input == 0.59  # the catalog is untouched
    assert then.notes[-1] == "prices as of 2025-07-01: genai-prices since 2025-06-01"
    now = catalog.estimate_cost(groq, 1_000_000, 1_000_000)
    assert now.total == pytest.approx(0.59 + 0.79)
    together = catalog.offering("together:openai/gpt-oss-120b")
    early = catalog.estimate_cost(together, 1_000_000, 0, as_of="2025-01-01")
    assert not early.complete and early.missing == ("input",)
    assert early.notes[-1] == "no ledger price on or before 2025-01-01"
    with pytest.raises(ValueError, match="not a date"):
        catalog.estimate_cost(groq, 1, 1, as_of="2025-13-01")


def test_cli_as_of(run: Callable[..., Result], with_ledger: Path) -> None:
    result = run(
        "costs", "estimate", "--offering", "groq:llama-3.3-70b-versatile",
        "--input", "1M", "--output", "1M", "--as-of", "2025-07-01", "--json",
        catalog=with_ledger,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    rows = data if isinstance(data, list) else data["rows"]
    assert rows[0]["total"] == pytest.approx(1.6)
    bad = run(
        "costs",
        "estimate",
        "--model",
        "llama-3.3-70b-instruct",
        "--as-of",
        "July",
        catalog=with_ledger,
    )
    assert bad.exit_code == 2 and "--as-of" in bad.stderr


def test_cli_as_of_without_a_ledger_is_one_line_error(
    run: Callable[..., Result], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import knollm.history

    monkeypatch.setattr(knollm.history, "bundled_file", lambda name: None)
    shutil.copy(FIXTURE, tmp_path / "models.json")
    result = run(
        "costs", "estimate", "--model", "llama-3.3-70b-instruct", "--as-of", "2025-07-01",
        catalog=tmp_path / "models.json",
    )  # fmt: skip
    assert result.exit_code == 1
    assert result.stderr.strip().splitlines() == [
        f"Error: no price ledger: history.json is neither beside {tmp_path / 'models.json'} nor "
        "bundled with knollm; download https://knollm.dev/data/history.json beside models.json"
    ]
    (tmp_path / "history.json").write_text("{not json")
    broken = run("costs", "estimate", "--model", "llama-3.3-70b-instruct", "--as-of", "2025-07-01",
                 catalog=tmp_path / "models.json")  # fmt: skip
    assert broken.exit_code == 1 and "history.json is not valid JSON" in broken.stderr
    assert "Traceback" not in broken.output


def test_parse_date_and_a_ledger_with_bad_fields() -> None:
    assert parse_date("2025-09") == "2025-09-01"
    assert parse_date(" 2025-09-08 ") == "2025-09-08"
    for bad in ("2025-02-30", "20250908", ""):
        with pytest.raises(ValueError):
            parse_date(bad)
    with pytest.raises(HistoryError, match="bad or missing field 'points'"):
        PriceHistory(
            {"generated_at": "x", "entries": [{"provider": "a", "provider_model_id": "b"}]}
        )


def test_real_ledger_reproduces_a_dated_genai_prices_change(full: Catalog) -> None:
    """In the compiled ledger, every effective genai-prices point prices its offering from its date."""
    try:
        history = full.history()
    except HistoryError:
        pytest.skip("no history.json beside the full catalog")
    checked = 0
    for (provider, api_id), points in history.points.items():
        dated = [
            p for p in points if p.dated == "effective" and p.since and p.source == "genai-prices"
        ]
        if len(dated) < 1 or not dated[0].prices.get("input"):
            continue
        try:
            offering = full.offering(f"{provider}:{api_id}")
        except Exception:
            continue
        point = dated[0]
        later = [p for p in points if p.since and p.since == point.since and p is not point]
        if later:
            continue  # a same-date conflict: the ledger's order decides, tested above
        found = history.pricing_as_of(offering, point.since or "")
        assert found is not None and found.pricing.input == point.prices["input"], (
            provider,
            api_id,
        )
        checked += 1
    assert checked >= 50
