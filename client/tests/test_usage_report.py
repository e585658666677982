"""``knollm usage report``: figures from a real usage file, recommendations from a catalog."""

from __future__ import annotations

import csv
import io
import json
import time
from pathlib import Path
from typing import Any

import orjson
import pytest
from click.testing import CliRunner
from fake_openai import catalog_document, offering_record, provider_record

from knollm.cli import main
from knollm.usage.report import parse_since
from knollm.usage.store import COLUMNS, UsageStore

NOW = time.time()
DAY = 86_400


def write_catalog(path: Path) -> Path:
    providers = [provider_record(p, f"https://{p}.invalid/v1") for p in ("hosta", "hostb", "relay")]
    for p in providers:
        p["kind"] = "router" if p["id"] == "relay" else "inference_host"
    offerings = [
        offering_record("hosta", "big", "big-a", 1.0, 2.0),
        offering_record("hostb", "big", "big-b", 0.5, 1.0),  # the same model, cheaper
        offering_record("relay", "big", "big-r", 0.1, 0.1),  # cheaper still, but a router
        offering_record("hostb", "big", "big-b-8k", 0.2, 0.2, context=8192),  # too small
        offering_record("hosta", "small", "small-a", 0.1, 0.3),  # same tools and context
        offering_record("hosta", "tiny", "tiny-a", 0.01, 0.01, caps=()),  # no tools
    ]
    path.write_bytes(orjson.dumps(catalog_document(providers, offerings)))
    return path


def add(store: UsageStore, **given: Any) -> None:
    row = dict.fromkeys(COLUMNS)
    row.update(requested="big", strategy="cheapest", outcome="ok", attempts=1, saved=0.0,
               stream=0, cache_hit=0, prompt_tokens=0, completion_tokens=0, cached_tokens=0)  # fmt: skip
    row.update(given)
    row["day"] = time.strftime("%Y-%m-%d", time.gmtime(row["ts"]))
    store.append(tuple(row[c] for c in COLUMNS))


@pytest.fixture
def files(tmp_path: Path) -> tuple[Path, Path]:
    db = tmp_path / "usage.sqlite3"
    store = UsageStore(db)
    for i, latency in enumerate((1.0, 2.0, 3.0, 4.0)):
        add(store, ts=NOW - 3600 * (i + 1), provider="hosta", model="big", offering="big-a",
            prompt_tokens=1000, completion_tokens=500, cached_tokens=100, cost=0.002,
            latency_s=latency, saved=0.0001, profile="prod")  # fmt: skip
    add(store, ts=NOW - 60, provider="hosta", model="big", offering="big-a", outcome="failed",
        attempts=3, latency_s=9.0, profile="prod")  # fmt: skip
    add(store, ts=NOW - 30, outcome="budget", attempts=0, profile="dev")
    add(store, ts=NOW - 10 * DAY, provider="hostb", model="big", offering="big-b", cost=5.0,
        latency_s=0.5, prompt_tokens=10, completion_tokens=10)  # fmt: skip
    store.close()
    return db, write_catalog(tmp_path / "models.json")


def invoke(db: Path, catalog: Path, *args: str) -> Any:
    return CliRunner().invoke(
        main, ["--catalog", str(catalog), "usage", "report", "--db", str(db), *args]
    )


def test_json_report_figures_and_recommendations(files: tuple[Path, Path]) -> None:
    db, catalog = files
    result = invoke(db, catalog, "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    total = data["total"]
    assert (total["requests"], total["errors"], total["refused"]) == (6, 1, 1)
    assert total["error_rate"] == pytest.approx(1 / 6)
    assert (total["prompt_tokens"], total["completion_tokens"], total["cached_tokens"]) == (
        4000, 2000, 400,
    )  # fmt: skip
    assert total["spend"] == pytest.approx(0.008)
    assert total["saved"] == pytest.approx(0.0004)
    # latency of the answered requests only (1, 2, 3, 4 s): inclusive quantiles
    assert (total["p50_s"], total["p95_s"]) == (pytest.approx(2.5), pytest.approx(3.85))
    groups = {g["key"]: g for g in data["groups"]}
    assert set(groups) == {"hosta", "-"}  # hostb's request is older than 7 days
    assert groups["hosta"]["requests"] == 5
    recs = {r["kind"]: r for r in data["recommendations"]}
    host, model = recs["cheaper-host"], recs["cheaper-model"]
    # 4 requests of 1000 in (100 cached, no cache price: input price) / 500 out tokens
    assert (host["used"], host["instead"]) == ("hosta/big-a", "hostb/big-b")
    assert host["at_used"] == pytest.approx(0.008)
    assert host["at_instead"] == pytest.approx(4 * (1000 * 0.5 + 500 * 1.0) / 1e6)
    assert host["saving_share"] == pytest.approx(0.5)
    assert (model["instead"], model["instead_model"]) == ("hosta/small-a", "small")
    assert model["at_instead"] == pytest.approx(4 * (1000 * 0.1 + 500 * 0.3) / 1e6)
    assert model["spent"] == pytest.approx(0.008) and model["requests"] == 4


def test_table_by_model_names_the_figures(files: tuple[Path, Path]) -> None:
    db, catalog = files
    result = invoke(db, catalog, "--by", "model", "--since", "30d")
    assert result.exit_code == 0, result.output
    out = result.output
    assert "Usage since" in out and "all profiles" in out
    big = next(line for line in out.splitlines() if line.strip().startswith("big"))
    assert "$5.01" in big  # 0.008 + 5.0 over 30 days
    assert "cheaper host: hosta/big-a: 4 requests (4,000 in / 2,000 out tokens) cost" in out
    assert "same model at hostb/big-b: $0.004000 (save $0.004000, 50%)" in out
    assert "small at hosta/small-a: $0.001000 (save $0.007000, 88%)" in out


def test_csv_by_day_and_profile_filter(files: tuple[Path, Path]) -> None:
    db, catalog = files
    result = invoke(db, catalog, "--by", "day", "--profile", "prod", "--csv", "--no-advice")
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.output)))
    assert rows[-1]["day"] == "total" and rows[-1]["requests"] == "5"
    assert sum(int(r["requests"]) for r in rows[:-1]) == 5
    assert {r["day"] for r in rows[:-1]} <= {
        time.strftime("%Y-%m-%d", time.gmtime(NOW - h * 3600)) for h in range(6)
    }


def test_bad_input_is_one_line_with_an_exit_code(tmp_path: Path, files: tuple[Path, Path]) -> None:
    db, catalog = files
    bad = invoke(db, catalog, "--since", "last week")
    assert bad.exit_code == 2 and "use a span like 7d" in bad.output
    missing = invoke(tmp_path / "nope.sqlite3", catalog)
    assert missing.exit_code == 1
    assert "nope.sqlite3: no usage file" in missing.output
    junk = tmp_path / "junk.sqlite3"
    junk.write_bytes(b"not a database" * 50)
    broken = invoke(junk, catalog)
    assert broken.exit_code == 1 and "cannot be read as a usage file" in broken.output
    assert junk.read_bytes().startswith(b"not a database")  # a report never moves files


def test_an_empty_period(files: tuple[Path, Path]) -> None:
    db, catalog = files
    result = invoke(db, catalog, "--since", "2100-01-01")
    assert result.exit_code == 0 and "no requests recorded" in result.output
    data = json.loads(invoke(db, catalog, "--since", "2100-01-01", "--json").output)
    assert data["total"]["requests"] == 0 and data["groups"] == []


def test_quantiles_match_the_statistics_module() -> None:
    import random
    import statistics

    from knollm.usage.report import _quantiles

    rng = random.Random(5)
    for n in (1, 2, 3, 10, 101, 1000):
        values = sorted(rng.lognormvariate(-1, 1) for _ in range(n))
        q = statistics.quantiles(values, n=100, method="inclusive") if n > 1 else [values[0]] * 99
        assert _quantiles(values) == (pytest.approx(q[49]), pytest.approx(q[94]))


def test_since_forms() -> None:
    assert parse_since("7d", 1_000_000.0) == 1_000_000.0 - 7 * DAY
    assert parse_since("90m", 10_000.0) == 10_000.0 - 5400
    assert parse_since("2026-12-01") == 1_796_083_200.0
    with pytest.raises(ValueError, match="--since 'x'"):
        parse_since("x")
