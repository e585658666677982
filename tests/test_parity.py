"""One definition per rule: the pricing, ranking and search tables in tests/parity/ run against the
client (knollm.costs, knollm.queries, knollm.search) here and against the explorer's knollm-data.js under node's built-in
test runner (tests/parity/parity.test.mjs, started below), so neither can change alone. The ranking
cases also run against the site's page generators (site_plugins/knollm/ranking.py, over
models.json dicts): three implementations, one set of cases."""

from __future__ import annotations

import dataclasses
import math
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any, get_args

import orjson
import pytest
from knollm import Catalog, estimate_cost
from knollm.queries import display_order
from knollm.records import Offering
from knollm.search import joined_phrases, normalise

from knollm_build.explorer import explorer_payload
from knollm_build.schema import Status

HERE = Path(__file__).resolve().parent / "parity"
REPO = HERE.parents[1]
PRICING = orjson.loads((HERE / "pricing_cases.json").read_bytes())
SEARCH = orjson.loads((HERE / "search_cases.json").read_bytes())
SEARCH_CATALOG = orjson.loads((HERE / "search_catalog.json").read_bytes())
CACHE_NOTE = "no cache price: cached tokens charged at the input price"


def pricing_document() -> dict[str, Any]:
    """One offering per pricing case, in case order."""
    cases = PRICING["cases"]
    return {
        "schema_version": "1.0.0",
        "generated_at": "2026-01-01T00:00:00Z",
        "sources": [],
        "providers": [{"id": "acme", "name": "Acme"}],
        "models": [{"id": "m", "name": "M", "hosts": 1}],
        "offerings": [
            {
                "provider": "acme",
                "model": "m",
                "provider_model_id": f"case-{i:02d}",
                "pricing": case["pricing"],
                "sources": [],
            }
            for i, case in enumerate(cases)
        ],
    }


def status_document() -> dict[str, Any]:
    """One offering in each status the schema knows, in the schema's order."""
    return {
        **pricing_document(),
        "offerings": [
            {
                "provider": "acme",
                "model": "m",
                "provider_model_id": status,
                "status": status,
                "sources": [],
            }
            for status in get_args(Status)
        ],
    }


def close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)


@pytest.mark.parametrize("case", PRICING["cases"], ids=lambda c: c["name"])
def test_pricing_case_python(case: dict[str, Any]) -> None:
    offering = Offering.from_dict(
        {"provider": "acme", "model": "m", "provider_model_id": "x", "pricing": case["pricing"]}
    )
    request = case["request"]
    est = estimate_cost(
        offering,
        request["input"],
        request["output"],
        cached_share=request.get("cached", 0.0),
        requests=1,
        batch=request.get("batch", False),
    )
    want = case["expect"]
    parts = {k: v for k, v in est.parts.items() if v != 0}
    assert sorted(parts) == sorted(want["parts"])
    for key, value in want["parts"].items():
        assert close(parts[key], value), (key, parts[key], value)
    total = est.total if est.complete else None
    assert (total is None) == (want["total"] is None), (total, want["total"])
    if total is not None:
        assert close(total, want["total"]), (total, want["total"])
    assert list(est.missing) == want["missing"]
    assert est.tier == want["tier"]
    assert (CACHE_NOTE in est.notes) == want["cache_at_input_price"]


@pytest.mark.parametrize("case", SEARCH["normalise"], ids=lambda c: repr(c["text"]))
def test_normalise_case_python(case: dict[str, Any]) -> None:
    assert normalise(case["text"]) == case["expect"]


@pytest.mark.parametrize("case", SEARCH["phrases"], ids=lambda c: c["query"])
def test_phrases_case_python(case: dict[str, Any]) -> None:
    assert joined_phrases(case["query"]) == case["expect"]


@pytest.fixture(scope="module")
def search_catalog() -> Catalog:
    return Catalog(SEARCH_CATALOG)


@pytest.mark.parametrize("case", SEARCH["rank"], ids=lambda c: c["query"])
def test_rank_case_python(case: dict[str, Any], search_catalog: Catalog) -> None:
    ids = [match.model.id for match in search_catalog.search(case["query"], limit=None)]
    if case.get("none"):
        assert ids == []
    if "first" in case:
        assert ids[: len(case["first"])] == case["first"], ids
    for model_id in case.get("found", []):
        assert model_id in ids, ids
    for model_id in case.get("absent", []):
        assert model_id not in ids, ids


def test_the_same_cases_hold_in_the_explorer(tmp_path: Path) -> None:
    """node --test over knollm-data.js with payloads built by the compiler's explorer_payload."""
    node = shutil.which("node")
    ufuzzy = REPO / "node_modules" / "@leeoniya" / "ufuzzy"
    assert node, "node is needed for the explorer's parity tests"
    assert ufuzzy.is_dir(), f"{ufuzzy} missing: run `make npm`"
    (tmp_path / "pricing.json").write_bytes(orjson.dumps(explorer_payload(pricing_document())))
    (tmp_path / "search.json").write_bytes(orjson.dumps(explorer_payload(SEARCH_CATALOG)))
    (tmp_path / "status.json").write_bytes(orjson.dumps(explorer_payload(status_document())))
    ranking = explorer_payload(RANKING["catalog"])
    (tmp_path / "ranking.json").write_bytes(orjson.dumps(ranking))
    # the client's display order group per offering, for knollm-data.js displayGroup
    groups = {
        o.provider + "~" + o.provider_model_id: display_order(o)[0]
        for o in Catalog(RANKING["catalog"]).offerings
    }
    (tmp_path / "groups.json").write_bytes(orjson.dumps(groups))
    (tmp_path / "asof.json").write_bytes(orjson.dumps(explorer_payload(asof_document())))
    done = subprocess.run(
        [node, "--test", "--test-reporter=spec", str(HERE / "parity.test.mjs")],
        env={**os.environ, "KNOLLM_PARITY_PAYLOADS": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


RANKING = orjson.loads((HERE / "ranking_cases.json").read_bytes())


@pytest.fixture(scope="module")
def ranking_catalog() -> Catalog:
    return Catalog(RANKING["catalog"])


def ranked_keys(catalog: Catalog, case: dict[str, Any], limit: int | None) -> list[list[str]]:
    options = case["options"]
    workload = RANKING["workload"]
    found = catalog.cheapest(
        input_tokens=workload["input"],
        output_tokens=workload["output"],
        limit=limit,
        include_free=options.get("free", False),
        include_flagged=options.get("flagged", False),
        listed=None if options.get("unlisted") else True,
        **({"model": case["model"]} if "model" in case else {}),
    )
    return [[e.offering.provider, e.offering.provider_model_id] for e in found]


@pytest.mark.parametrize("case", RANKING["cases"], ids=lambda c: c["name"])
def test_ranking_case_python(case: dict[str, Any], ranking_catalog: Catalog) -> None:
    assert ranked_keys(ranking_catalog, case, None) == case["expect"]
    # The walk down the precomputed cost order (a limit, no model) agrees with the full scan.
    head = max(len(case["expect"]) - 1, 1)
    assert ranked_keys(ranking_catalog, case, head) == case["expect"][:head]


def test_ranking_host_counts_python(ranking_catalog: Catalog) -> None:
    counts = {m.id: [m.direct_hosts, m.routed_hosts] for m in ranking_catalog.models}
    assert counts == RANKING["hosts"]


def test_ranking_host_counts_of_the_client_index() -> None:
    from knollm_build.client_index import client_index

    catalog = Catalog.from_bytes(client_index(RANKING["catalog"]))
    counts = {m.id: [m.direct_hosts, m.routed_hosts] for m in catalog.models}
    assert counts == RANKING["hosts"]


ASOF = orjson.loads((HERE / "asof_cases.json").read_bytes())


def asof_document() -> dict[str, Any]:
    """Today's catalog of the as-of cases' offerings (one model each, provider acme)."""
    ids = [entry["provider_model_id"] for entry in ASOF["catalog"]]
    return {
        **pricing_document(),
        "models": [{"id": i, "name": i.title(), "hosts": 1} for i in ids],
        "offerings": [
            {
                "provider": "acme",
                "model": entry["provider_model_id"],
                "provider_model_id": entry["provider_model_id"],
                "pricing": entry["pricing"],
                "price_basis": "tokens",
                "sources": [],
            }
            for entry in ASOF["catalog"]
        ],
    }


@pytest.fixture(scope="module")
def asof_history() -> Any:
    from knollm.history import PriceHistory

    return PriceHistory.from_bytes(orjson.dumps(ASOF["ledger"]), "asof_cases.json")


@pytest.mark.parametrize("case", ASOF["cases"], ids=lambda c: c["name"])
def test_asof_case_python(case: dict[str, Any], asof_history: Any) -> None:
    from knollm.history import estimate_as_of

    today = next(e for e in ASOF["catalog"] if e["provider_model_id"] == case["provider_model_id"])
    offering = Offering.from_dict(
        {
            "provider": "acme",
            "model": case["provider_model_id"],
            "provider_model_id": case["provider_model_id"],
            "pricing": today["pricing"],
        }
    )
    found = asof_history.pricing_as_of(offering, case["date"])
    want = case["expect"]
    if want is None:
        assert found is None
    else:
        assert found is not None
        prices: dict[str, Any] = dict(found.pricing.known())
        if found.pricing.tiers:
            prices["tiers"] = [
                {k: v for k, v in dataclasses.asdict(t).items() if v is not None}
                for t in found.pricing.tiers
            ]
        assert prices == want["prices"]
        assert found.since == want["since"]
        assert list(found.sources) == want["sources"]
        assert list(found.older) == want["older"]
    workload = ASOF["workload"]
    est = estimate_as_of(
        asof_history,
        offering,
        workload["input"],
        workload["output"],
        as_of=case["date"],
        requests=1,
    )
    total = est.total if est.complete else None
    if case["cost"] is None:
        assert total is None, total
    else:
        assert total is not None and close(total, case["cost"]), (total, case["cost"])


def test_asof_price_fields_are_the_clients() -> None:
    """knollm-data.js's LEDGER_PRICES lists the client's PRICE_FIELDS, in order, then tiers."""
    import re

    from knollm.records import PRICE_FIELDS

    script = (REPO / "src_docs" / "md" / "assets" / "explorer" / "knollm-data.js").read_text()
    found = re.search(r"const LEDGER_PRICES = \[[^\n]*\n(.*?)\];", script, re.S)
    assert found, "LEDGER_PRICES not found in knollm-data.js"
    assert re.findall(r'"([a-z_0-9]+)"', found[1]) == [*PRICE_FIELDS, "tiers"]


# The site's page generators (site_plugins/knollm/ranking.py, over models.json dicts): the third
# implementation the ranking cases hold, beside the client's and knollm-data.js's.


def _cost(offering: dict[str, Any]) -> float:
    pricing = offering.get("pricing") or {}
    workload = RANKING["workload"]
    return float(pricing["input"]) * workload["input"] / 1e6 + float(pricing["output"]) * (
        workload["output"] / 1e6
    )


@pytest.mark.parametrize("case", RANKING["cases"], ids=lambda c: c["name"])
def test_ranking_case_site(case: dict[str, Any]) -> None:
    from site_plugins.knollm.ranking import rankable

    options = case["options"]
    taken = [
        o
        for o in RANKING["catalog"]["offerings"]
        if ("model" not in case or o["model"] == case["model"])
        and rankable(
            o,
            include_free=options.get("free", False),
            include_flagged=options.get("flagged", False),
            include_unlisted=options.get("unlisted", False),
        )
    ]
    taken.sort(key=_cost)  # stable: ties stay in catalog order, as the cases say
    assert [[o["provider"], o["provider_model_id"]] for o in taken] == case["expect"]


def _case(options: dict[str, bool]) -> list[tuple[str, str]]:
    """The expected ranking of the case over the whole catalog with exactly these options."""
    found = [c for c in RANKING["cases"] if c["options"] == options and "model" not in c]
    assert len(found) == 1, options
    return [(p, i) for p, i in found[0]["expect"]]


def test_site_cheapest_is_the_lowest_input_price_a_default_ranking_takes() -> None:
    from site_plugins.knollm.ranking import cheapest

    offerings = RANKING["catalog"]["offerings"]
    by_key = {(o["provider"], o["provider_model_id"]): o for o in offerings}
    default = _case({})
    for model in sorted({o["model"] for o in offerings}):
        own = [o for o in offerings if o["model"] == model]
        taken = [by_key[k] for k in default if by_key[k]["model"] == model]
        got = cheapest(own)
        if not taken:
            assert got is None, model
            continue
        assert got is not None, model
        assert (got["provider"], got["provider_model_id"]) in default, model
        assert got["pricing"]["input"] == min(o["pricing"]["input"] for o in taken), model


def test_site_display_order_groups_by_the_ranking_cases() -> None:
    """A model's rows: what a default ranking takes, then what include_free adds, then the rest
    listed (doubtful or not per token), then what include_unlisted adds."""
    from site_plugins.knollm.ranking import in_order, rankable

    offerings = RANKING["catalog"]["offerings"]
    by_key = {(o["provider"], o["provider_model_id"]): o for o in offerings}
    default = set(_case({}))
    free = set(_case({"free": True})) - default
    unlisted = set(_case({"unlisted": True})) - default
    for model in sorted({o["model"] for o in offerings}):
        rows = [
            (o["provider"], o["provider_model_id"])
            for o in in_order(o for o in offerings if o["model"] == model)
        ]

        def group(key: tuple[str, str]) -> int:
            if by_key[key].get("listed") is False:
                assert key in unlisted or not rankable(by_key[key], True, True, True), key
                return 3
            return 0 if key in default else 1 if key in free else 2

        groups = [group(k) for k in rows]
        assert groups == sorted(groups), (model, rows)
        prices = [
            next(o for o in offerings if (o["provider"], o["provider_model_id"]) == k)["pricing"]
            for k in rows
            if k in default
        ]
        assert [p["input"] for p in prices] == sorted(p["input"] for p in prices), model
