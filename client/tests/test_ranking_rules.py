"""Unlisted offerings, price bases, price flags and provider kinds (issues 13 and 14), client side:
which offerings the queries, the CLI and the router's candidate selection take by default, and
what the options add. The catalog is the parity ranking catalog (tests/parity/ranking_cases.json):
seven providers of every kind, offerings of every basis, listed and not, flagged and not."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import orjson
import pytest
from click.testing import CliRunner, Result

from knollm import Catalog, Preferences
from knollm.catalog import Criteria
from knollm.cli import main
from knollm.router.errors import NoCandidates
from knollm.router.health import Health
from knollm.router.keys import KeyPool
from knollm.router.planner import Endpoint, Planner
from knollm.router.strategies import Workload
from knollm.router.tokens import PromptShape

HERE = Path(__file__).resolve().parent
CASES = HERE.parents[1] / "tests" / "parity" / "ranking_cases.json"


def document() -> dict:
    doc = orjson.loads(CASES.read_bytes())["catalog"]
    for p in doc["providers"]:  # callable, for the router
        p.update(api_base_url=f"http://127.0.0.1:9/{p['id']}", openai_compatible=True)
    return doc


@pytest.fixture
def catalog() -> Catalog:
    return Catalog(document())


@pytest.fixture
def path(tmp_path: Path) -> Path:
    out = tmp_path / "models.json"
    out.write_bytes(orjson.dumps(document()))
    return out


@pytest.fixture
def cli(path: Path) -> Callable[..., Result]:
    def run(*args: str) -> Result:
        return CliRunner().invoke(main, ["--catalog", str(path), *args])

    return run


def keys(items: list) -> list[str]:
    return [getattr(i, "offering", i).key for i in items]


# -- criteria and queries -------------------------------------------------------------------


def test_filter_leaves_unlisted_out_unless_asked(catalog: Catalog) -> None:
    unlisted = {"cloudy:m1-label", "cloudy:m4"}
    assert unlisted.isdisjoint(keys(catalog.filter()))
    assert unlisted <= set(keys(catalog.filter(listed=None)))
    assert set(keys(catalog.filter(listed=False))) == unlisted
    every = catalog.filter(listed=None)
    assert [o for o in every if Criteria(listed=None).matches(o)] == every
    assert [o.key for o in every if Criteria().matches(o)] == keys(catalog.filter())


def test_price_basis_is_a_criterion(catalog: Catalog) -> None:
    assert keys(catalog.filter(price_basis=["per_image", "per_second"])) == [
        "host:m2-img", "lab:m2-sec",
    ]  # fmt: skip
    assert keys(catalog.filter(model="m2", price_basis="tokens")) == []  # not stated is not tokens


def test_search_hides_models_served_only_by_unlisted_ids(catalog: Catalog) -> None:
    assert "m4" not in [m.model.id for m in catalog.search(None, limit=None)]
    assert "m4" in [m.model.id for m in catalog.search(None, limit=None, listed=None)]


def test_search_cheapest_is_never_free_flagged_or_unlisted(catalog: Catalog) -> None:
    match = catalog.search("m1", limit=1)[0]
    assert match.offerings[0].is_free  # the cheapest input price of all is a free tier
    assert match.cheapest is not None and match.cheapest.key == "router:vendor/m1"
    asked = catalog.search("m1", listed=None, limit=1)[0]  # unlisted ids asked for: they count
    assert asked.cheapest is not None and asked.cheapest.key == "cloudy:m1-label"


def test_sort_by_hosts_counts_direct_hosts_first(catalog: Catalog) -> None:
    ranked = [m.model.id for m in catalog.search(None, sort="hosts", limit=None, listed=None)]
    assert ranked == ["m1", "m2", "m3", "m4"]  # 4 direct, 3 direct, 1 direct, none


def test_find_optimal_takes_what_cheapest_takes(catalog: Catalog) -> None:
    plain = keys(catalog.find_optimal(limit=20))
    assert plain == ["router:vendor/m1", "host:m1-fast", "nokind:m1", "lab:m1", "nokind:m2-old"]
    mixed = keys(catalog.find_optimal(Preferences(cost=1, hosts=1), limit=20))
    assert sorted(mixed) == sorted(plain)
    more = keys(catalog.find_optimal(limit=20, include_free=True, include_flagged=True))
    assert {"host:m1-free", "plan:m1", "resell:m1", "cloudy:m1"} <= set(more)
    assert {"host:m2-img", "lab:m2-sec", "host:m3"}.isdisjoint(more)  # never priced as tokens


def test_hosts_reason_splits_direct_and_routed(catalog: Catalog) -> None:
    top = catalog.find_optimal(Preferences(cost=0, hosts=1), limit=1)[0]
    assert top.reasons[-1] == "model served by 4 direct host(s) + 3 via routers or resellers"


def test_free_none_still_includes_zero_priced_offerings(catalog: Catalog) -> None:
    """The older spelling (``free=None``) keeps meaning "include the $0 ones"."""
    assert keys(catalog.cheapest(free=None, limit=2)) == ["host:m1-free", "plan:m1"]
    assert keys(catalog.cheapest(free=True)) == ["host:m1-free", "plan:m1"]


def test_compare_picks_the_cheapest_rankable_offering(catalog: Catalog) -> None:
    (default,) = catalog.compare(["m1"])
    assert default.cheapest is not None and default.cheapest.offering.key == "router:vendor/m1"
    assert default.as_dict()["direct_hosts"] == 4 and default.as_dict()["routed_hosts"] == 3
    (flagged,) = catalog.compare(["m1"], include_flagged=True)
    assert flagged.cheapest is not None and flagged.cheapest.offering.key == "resell:m1"
    (image,) = catalog.compare(["m2"])
    assert image.cheapest is not None and image.cheapest.offering.key == "nokind:m2-old"
    (unknown,) = catalog.compare(["m3"], include_free=True, include_flagged=True, listed=None)
    assert unknown.cheapest is None


# -- router candidates ----------------------------------------------------------------------


@pytest.fixture
def planner(catalog: Catalog) -> Planner:
    endpoints = {
        p.id: Endpoint(p, p.api_base_url or "", KeyPool(p.id, [f"sk-test-{p.id}"]))
        for p in catalog.providers
    }
    return Planner(catalog, endpoints, Health(), Criteria(), {})


NEED = PromptShape(tokens=10)
WORK = Workload(3_000_000, 1_000_000)


def test_router_auto_takes_only_rankable_listed_offerings(planner: Planner) -> None:
    assert keys(planner.auto(None)) == [
        "host:m1-fast", "lab:m1", "nokind:m1", "nokind:m2-old", "router:vendor/m1",
    ]  # fmt: skip
    assert keys(planner.plan("auto", NEED, None, WORK, "cheapest"))[0] == "router:vendor/m1"
    asked = keys(planner.auto({"include_free": True, "include_flagged": True, "listed": None}))
    assert {"host:m1-free", "plan:m1", "resell:m1", "cloudy:m1-label"} <= set(asked)
    assert {"host:m2-img", "lab:m2-sec", "host:m3"}.isdisjoint(asked)


def test_router_model_spec_prefers_rankable_offerings(planner: Planner) -> None:
    chosen = keys(planner.plan("m1", NEED, None, WORK, "cheapest"))
    assert chosen == ["router:vendor/m1", "host:m1-fast", "nokind:m1", "lab:m1"]
    # A provider's offerings of a model: its $0 tier only when nothing else there serves it.
    assert keys(planner.resolve("host/m1")) == ["host:m1-fast"]
    assert keys(planner.resolve("plan/m1")) == ["plan:m1"]


def test_router_takes_an_unlisted_id_only_when_named_exactly(planner: Planner) -> None:
    assert "cloudy:m1-label" not in keys(planner.resolve("m1"))
    assert keys(planner.resolve("cloudy/m1-label")) == ["cloudy:m1-label"]
    assert keys(planner.resolve("cloudy:m4")) == ["cloudy:m4"]
    with pytest.raises(NoCandidates) as caught:
        planner.resolve("m4")
    assert str(caught.value) == (
        "every offering of 'm4' is unlisted (no model list names its id, so it may not be "
        "callable); name one exactly to use it anyway, e.g. cloudy/m4"
    )


# -- CLI ------------------------------------------------------------------------------------


def test_providers_list_shows_kind_and_filters_by_it(cli: Callable[..., Result]) -> None:
    done = cli("providers", "list", "--json")
    assert done.exit_code == 0, done.output
    rows = {r["id"]: (r["kind"], r["direct"]) for r in orjson.loads(done.output)}
    assert rows["router"] == ("router", False) and rows["nokind"] == (None, True)
    routed = cli("providers", "list", "--kind", "router", "--kind", "reseller", "--json")
    assert [r["id"] for r in orjson.loads(routed.output)] == ["resell", "router"]
    direct = cli("providers", "list", "--direct", "--json")
    assert [r["id"] for r in orjson.loads(direct.output)] == ["cloudy", "host", "lab", "nokind"]
    assert [
        r["id"] for r in orjson.loads(cli("providers", "list", "--routed", "--json").output)
    ] == ["plan", "resell", "router"]
    table = cli("providers", "list")
    assert "kind" in table.output.splitlines()[0] and "inference_host" in table.output
    bad = cli("providers", "list", "--kind", "bank")
    assert bad.exit_code == 2 and "'bank' is not one of" in bad.output


def test_models_show_counts_direct_and_routed_hosts(cli: Callable[..., Result]) -> None:
    done = cli("models", "show", "m1")
    assert done.exit_code == 0, done.output
    assert "4 direct + 3 via routers" in done.output
    assert "9 (1 unlisted)" in done.output
    lines = [line for line in done.output.splitlines() if line.split()[:1] in (
        ["router"], ["resell"], ["host"], ["cloudy"])]  # fmt: skip
    # Cheapest first by the ranking rule: ranked ones, then $0, then flagged, then unlisted.
    assert [line.split()[0] + ":" + line.split()[1] for line in lines] == [
        "router:vendor/m1", "host:m1-fast", "host:m1-free", "resell:m1", "cloudy:m1",
        "cloudy:m1-label",
    ]  # fmt: skip
    assert "!price_outlier" in lines[3] and "unlisted" in lines[-1] and "free" in lines[2]
    data = orjson.loads(cli("models", "show", "m1", "--json").output)
    assert (data["direct_hosts"], data["routed_hosts"], data["hosts"]) == (4, 3, 7)


def test_models_search_hosts_columns(cli: Callable[..., Result]) -> None:
    rows = orjson.loads(cli("models", "search", "m1", "--json").output)
    assert (rows[0]["direct_hosts"], rows[0]["routed_hosts"]) == (4, 3)
    assert rows[0]["cheapest_provider"] == "router"
    table = cli("models", "search", "m1").output
    assert "via routers" in table.splitlines()[0]
    unlisted = orjson.loads(cli("models", "search", "m4", "--include-unlisted", "--json").output)
    assert [r["id"] for r in unlisted] == ["m4"] and unlisted[0]["direct_hosts"] == 0


def test_cheapest_cli_options_and_markers(cli: Callable[..., Result]) -> None:
    plain = orjson.loads(cli("cheapest", "--json").output)
    assert [r["provider"] for r in plain][:2] == ["router", "host"]
    notes = {f"{r['provider']}:{r['provider_model_id']}": r["note"] for r in plain}
    assert notes.pop("lab:m1") == ["cache_read_above_input"]  # a flag, but not on the price
    assert all(note == [] for note in notes.values())
    flagged = orjson.loads(cli("cheapest", "--include-flagged", "--json").output)
    assert flagged[0]["provider_model_id"] == "m1" and flagged[0]["note"] == ["!price_outlier"]
    free = orjson.loads(cli("cheapest", "--include-free", "--json").output)
    assert [r["note"] for r in free[:2]] == [["free"], ["subscription"]]
    unlisted = orjson.loads(cli("cheapest", "--include-unlisted", "--json").output)
    assert unlisted[0]["provider_model_id"] == "m1-label" and unlisted[0]["note"] == ["unlisted"]
    table = cli("cheapest", "--include-flagged").output
    assert "!price_outlier" in table


def test_compare_cli_hosts_and_options(cli: Callable[..., Result]) -> None:
    done = cli("compare", "m1", "m2")
    assert done.exit_code == 0, done.output
    hosts = next(line for line in done.output.splitlines() if line.strip().startswith("hosts"))
    assert "4 direct + 3 via routers" in hosts and "3 direct" in hosts
    flagged = orjson.loads(cli("compare", "m1", "--include-flagged", "--json").output)
    assert flagged[0]["cheapest"]["provider"] == "resell"


def test_estimate_notes_say_why_an_offering_is_not_ranked(cli: Callable[..., Result]) -> None:
    done = cli("costs", "estimate", "--model", "m2")
    assert done.exit_code == 0, done.output
    image = next(line for line in done.output.splitlines() if "m2-img" in line)
    assert "per_image" in image
