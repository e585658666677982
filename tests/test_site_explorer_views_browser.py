"""The explorer's default view and its new filters and exports (issue 15 item 4), in a browser.

A hand-made catalog replaces the fixture site's explorer.json. Its twelve offerings:

 1 Lab      big       (first party)      7 HostA  q-free   (variant free, $0)
 2 HostA    big                          8 HostB  ft/one   (the model's only host)
 3 Router   big       (a router)         9 Lab    old      (deprecated until 2026-06-01)
 4 HostB    big       (unlisted)        10 HostA  old      (retired on 2025-01-01)
 5 HostA    q-fp8     (variant fp8)     11 @evil  sum      (hostile provider and model names)
 6 HostB    q                           12 HostB  sum

Direct hosts: big 2 (Lab, HostA; the router and the unlisted one do not count), q 2, sum 2,
old 1 but served by its lab, ft/one 1: the one model outside the default view.
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any
from urllib.parse import parse_qs, urlsplit

import orjson
import pytest
from test_explorer_browser import CHROMIUM, Page, base_url, browser, page  # noqa: F401 - fixtures

from knollm_build.explorer import explorer_payload

pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed")

HOSTILE_MODEL = "=SUM(1+1)"
HOSTILE_PROVIDER = "@evil"


def offering(provider: str, model: str, api: str, price: float, **extra: Any) -> dict[str, Any]:
    return {
        "provider": provider,
        "model": model,
        "provider_model_id": api,
        "pricing": {"input": price, "output": 2 * price},
        "price_basis": "tokens",
        "sources": [],
        **extra,
    }


def catalog() -> dict[str, Any]:
    return {
        "schema_version": "1.1.0",
        "generated_at": "2026-01-01T00:00:00Z",
        "providers": [
            {"id": "lab", "name": "Lab", "kind": "first_party"},
            {"id": "hosta", "name": "HostA", "kind": "inference_host"},
            {"id": "hostb", "name": "HostB", "kind": "inference_host"},
            {"id": "router", "name": "Router", "kind": "router"},
            {"id": "evil", "name": HOSTILE_PROVIDER, "kind": "inference_host"},
        ],
        "models": [
            {"id": "big", "name": "Big Model", "hosts": 4},
            {"id": "q", "name": "Quant Model", "hosts": 2},
            {"id": "ft/one", "name": "One Host Tune", "hosts": 1},
            {"id": "old", "name": "Old Model", "hosts": 2},
            {"id": "sum", "name": HOSTILE_MODEL, "hosts": 2},
        ],
        "offerings": [
            offering("lab", "big", "big", 3.0),
            offering("hosta", "big", "big-instruct", 1.0),
            offering("router", "big", "lab/big", 3.3),
            offering("hostb", "big", "big-old-label", 0.5, listed=False),
            offering("hosta", "q", "q-fp8", 0.2, variant=["fp8"]),
            offering("hostb", "q", "q", 0.3),
            offering("hosta", "q", "q-free", 0.0, variant=["free"], price_basis="free"),
            offering("hostb", "ft/one", "Ft/One", 0.4),
            offering("lab", "old", "old", 5.0, status="deprecated", deprecation_date="2026-06-01"),
            offering("hosta", "old", "old", 4.0, status="retired", deprecation_date="2025-01-01"),
            offering("evil", "sum", "-2+3", 0.9),
            offering("hostb", "sum", "sum", 0.8),
        ],
    }


@pytest.fixture
def views(page: Page) -> Page:  # noqa: F811 - fixture use
    payload = orjson.dumps(explorer_payload(catalog()))
    page.page.route(
        "**/data/explorer.json",
        lambda route: route.fulfill(body=payload, content_type="application/json"),
    )
    return page


# explorer columns: 1 compare box, 2 model, 3 provider, 4 API id, 5 input, ...
MODEL, PROVIDER, API = 2, 3, 4


def test_default_view_is_the_models_people_mean(views: Page) -> None:
    p = views.open("explorer/")
    # 12 offerings - the retired one - the unlisted one - the one-host model's = 9
    assert views.count().startswith("9 offerings match")
    note = p.inner_text(".knollm-left-out")
    assert (
        "1 offering of 1 one-host model (fewer than 2 direct hosts, not served by their lab)"
        " hidden." in note
    )
    assert "1 unlisted offering (no model list names the id) hidden." in note
    assert "One Host Tune" not in views.column(MODEL)
    p.click("[data-show-hidden=longtail]")
    assert parse_qs(urlsplit(p.url).query)["longtail"] == ["1"]
    assert views.count().startswith("10 offerings match")
    assert "One Host Tune" in views.column(MODEL)
    assert p.evaluate("document.activeElement.dataset.showHidden") == "longtail"
    p.click("[data-show-hidden=unlisted]")
    assert views.count().startswith("11 offerings match")
    assert "big-old-label" in views.column(API)
    # direct hosts, then routers, in the hosts column: Big Model 2 +1 via router
    p.select_option("select[aria-label=View]", "models")
    rows = {r[0]: r[-2] for r in model_rows(views)}
    assert rows["Big Model"] == "2 +1 via router"
    assert rows["One Host Tune"] == "1"


def model_rows(views: Page) -> list[list[str]]:
    rows = views.page.query_selector_all(".knollm-results tbody tr")
    return [[c.inner_text().strip() for c in r.query_selector_all("td")] for r in rows]


def test_a_provider_or_model_asked_for_shows_its_one_host_models(views: Page) -> None:
    views.open("explorer/?provider=hostb")
    assert sorted(views.column(MODEL)) == sorted(["One Host Tune", "Quant Model", HOSTILE_MODEL])
    views.open("explorer/?model=ft%2Fone")
    assert views.column(MODEL) == ["One Host Tune"]


def test_direct_host_router_and_variant_filters(views: Page) -> None:
    p = views.open("explorer/")
    p.select_option("select[aria-label='Served by']", "routed")
    assert views.column(PROVIDER) == ["Router"]
    p.select_option("select[aria-label='Served by']", "direct")
    assert views.count().startswith("8 offerings match")
    assert "Router" not in views.column(PROVIDER)
    assert parse_qs(urlsplit(p.url).query)["host"] == ["direct"]
    p.select_option("select[aria-label='Served by']", "")
    p.select_option("select[aria-label=Variant]", "quantised")
    assert views.column(API) == ["q-fp8"]
    p.select_option("select[aria-label=Variant]", "free")
    assert views.column(API) == ["q-free"]
    p.select_option("select[aria-label=Variant]", "plain")
    assert views.count().startswith("7 offerings match")
    assert not {"q-fp8", "q-free"} & set(views.column(API))


def test_deprecated_shown_with_its_date_retired_hidden(views: Page) -> None:
    p = views.open("explorer/?search=old")
    assert views.column(MODEL) == ["Old Model deprecated · until 2026-06-01"]
    p.check("input[aria-label='Show retired']")
    assert sorted(views.column(MODEL)) == [
        "Old Model deprecated · until 2026-06-01",
        "Old Model retired 2025-01-01",
    ]


def download(p: Any, kind: str) -> str:
    with p.expect_download() as info:
        p.click(f"[data-export={kind}]")
    path = info.value.path()
    assert info.value.suggested_filename == f"knollm-offerings.{kind}"
    with open(path, encoding="utf-8") as handle:
        return handle.read()


def test_cheapest_first_opens_on_what_an_offering_costs(views: Page) -> None:
    """Sorted by input price, what a cost ranking takes comes first (q-fp8 $0.20, q $0.30), then
    the $0 free tier, then unlisted ids (Knollm.displayGroup, the client's display_order); the
    models view's "cheapest" is of the same offerings, not the free tier."""
    p = views.open("explorer/?search=quant&sort=in&dir=asc&unlisted=1")
    assert views.column(API) == ["q-fp8", "q", "q-free"]
    p = views.open("explorer/?search=big&sort=in&dir=asc&unlisted=1")
    assert views.column(API)[-1] == "big-old-label"  # $0.50, the lowest price, but unlisted
    assert views.column(API)[0] == "big-instruct"
    p = views.open("explorer/?search=big&sort=in&dir=desc&unlisted=1")
    assert views.column(API)[-1] == "big-old-label"  # last either way
    p = views.open("explorer/?view=models&sort=in&dir=asc")
    cheapest = dict(zip(views.column(1), views.column(3), strict=True))
    assert cheapest["Quant Model"].startswith("$0.20")
    assert p.locator(".knollm-results tbody tr").first.inner_text().startswith("Quant Model")


def test_export_the_view_as_csv_and_json(views: Page) -> None:
    p = views.open("explorer/?sort=in&dir=asc")
    text = download(p, "csv")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == 9  # the rows of the view, every page of them
    # in the view's order: what a cost ranking takes, cheapest first (q-fp8 at $0.2, q at
    # $0.3); the free q at $0 after every paid price
    assert [r["provider_model_id"] for r in rows[:2]] == ["q-fp8", "q"]
    paid = [r for r in rows if r["provider_model_id"] != "q-free"]
    assert rows.index(next(r for r in rows if r["provider_model_id"] == "q-free")) == len(paid)
    evil = next(r for r in rows if r["provider"] == "evil")
    # strings from the data never start a formula in a spreadsheet
    assert evil["model_name"] == "'" + HOSTILE_MODEL
    assert evil["provider_name"] == "'" + HOSTILE_PROVIDER
    assert evil["provider_model_id"] == "'-2+3"
    assert evil["input"] == "0.9"  # numbers stay numbers
    for row in rows:
        for value in row.values():
            assert value[:1] not in ("=", "+", "-", "@"), row
    data = json.loads(download(p, "json"))
    assert len(data["rows"]) == 9
    assert data["rows"][0]["provider_model_id"] == "q-fp8"
    free = next(r for r in data["rows"] if r["provider_model_id"] == "q-free")
    assert free["price_basis"] == "free"
    q = next(r for r in data["rows"] if r["provider_model_id"] == "q-fp8")
    assert q == {
        "provider": "hosta",
        "provider_name": "HostA",
        "direct_host": True,
        "model": "q",
        "model_name": "Quant Model",
        "provider_model_id": "q-fp8",
        "mode": "chat",
        "status": "active",
        "deprecation_date": None,
        "listed": True,
        "price_basis": "tokens",
        "input": 0.2,
        "output": 0.4,
        "cache_read": None,
        "cache_write": None,
        "batch_input": None,
        "batch_output": None,
        "per_request": None,
        "per_image": None,
        "context_window": None,
        "max_output_tokens": None,
    }
    # JSON keeps the hostile strings as they are (JSON is not run by spreadsheets)
    assert any(r["model_name"] == HOSTILE_MODEL for r in data["rows"])


def test_creator_list_fills_when_used_labs_first(page: Page) -> None:  # noqa: F811
    p = page.open("explorer/?creator=Meta")  # a shared link fills it at once
    assert p.input_value("select[aria-label=Creator]") == "Meta"
    assert set(page.column(MODEL)) == {"Llama 3.3 70B Instruct"}
    q = page.open("explorer/")
    assert len(q.query_selector_all("select[aria-label=Creator] option")) == 1  # not yet
    q.focus("select[aria-label=Creator]")
    groups = q.eval_on_selector_all(
        "select[aria-label=Creator] optgroup", "gs => gs.map(g => g.label)"
    )
    assert groups == ["Labs of widely hosted models", "Other creators"]
    labs = q.eval_on_selector_all(
        "select[aria-label=Creator] optgroup:first-of-type option", "os => os.map(o => o.value)"
    )
    assert "Meta" in labs and "OpenAI" in labs
    q.select_option("select[aria-label=Creator]", "OpenAI")
    assert set(page.column(MODEL)) == {"gpt-oss 120B"}


def test_a_split_payload_shows_the_default_view_then_everything(page: Page) -> None:  # noqa: F811
    from knollm_build.explorer import MORE_FILE, explorer_files

    files = {name: orjson.dumps(v) for name, v in explorer_files(catalog(), split_min=0).items()}
    assert orjson.loads(files["explorer.json"])["more"]["models"] == 1  # ft/one comes later
    release = []

    def more(route: Any) -> None:
        release.append(route)  # held until the first part has rendered

    page.page.route(
        "**/data/explorer.json",
        lambda route: route.fulfill(body=files["explorer.json"], content_type="application/json"),
    )
    page.page.route(f"**/data/{MORE_FILE}", more)
    p = page.page
    p.goto(page.base + "explorer/?longtail=1")
    p.wait_for_selector("[data-knollm-app][data-state=partial]", state="attached")
    assert "One Host Tune" not in page.column(MODEL)
    assert "Loading 1 more offering of 1 more model…" in p.inner_text(".knollm-left-out")
    assert "so far" in page.count()
    p.wait_for_function("document.querySelectorAll('.knollm-results tbody tr').length > 0")
    release[0].fulfill(body=files[MORE_FILE], content_type="application/json")
    p.wait_for_selector("[data-knollm-app][data-state=ready]", state="attached")
    assert "One Host Tune" in page.column(MODEL)
    assert page.count().startswith("10 offerings match")  # as from the one-file payload
    # the home page's type-ahead reads both parts too
    # (the home page's headline list reads the payload as the page loads)
    p.unroute(f"**/data/{MORE_FILE}")
    p.route(
        f"**/data/{MORE_FILE}",
        lambda route: route.fulfill(body=files[MORE_FILE], content_type="application/json"),
    )
    p.goto(page.base)
    box = p.get_by_role("combobox", name="Find a model or provider")
    box.fill("one host tune")
    options = p.locator(".knollm-typeahead [role=option]")
    options.first.wait_for()
    assert options.first.locator(".knollm-ta-name").inner_text() == "One Host Tune"


def test_a_small_first_part_waits_for_the_rest_unless_it_holds_the_first_rows(
    page: Page,  # noqa: F811
) -> None:
    """A first part of one model (the most widely hosted, "big"): the default view shows it at
    once and says "so far"; a search, whose matches may all be in the rest, shows nothing until
    the rest is in (never "0 offerings match" for a model the catalog has)."""
    from knollm_build.explorer import MORE_FILE, explorer_files

    parts = explorer_files(catalog(), split_min=0, first_part=1)
    assert set(parts["explorer.json"]["models"]["id"]) == {"big"}
    files = {name: orjson.dumps(v) for name, v in parts.items()}
    held: list[Any] = []
    page.page.route(
        "**/data/explorer.json",
        lambda route: route.fulfill(body=files["explorer.json"], content_type="application/json"),
    )
    page.page.route(f"**/data/{MORE_FILE}", lambda route: held.append(route))
    p = page.page
    p.goto(page.base + "explorer/")
    p.wait_for_selector("[data-knollm-app][data-state=partial]", state="attached")
    assert set(page.column(MODEL)) == {"Big Model"}
    assert "so far" in page.count()
    held.pop().fulfill(body=files[MORE_FILE], content_type="application/json")
    p.wait_for_selector("[data-knollm-app][data-state=ready]", state="attached")
    assert "so far" not in page.count()
    assert "Quant Model" in page.column(MODEL)

    # a model asked for by name that the first part holds (whole): shown at once, complete
    p.goto(page.base + "explorer/?model=big")
    p.wait_for_selector("[data-knollm-app][data-state=partial]", state="attached")
    assert set(page.column(MODEL)) == {"Big Model"}
    assert page.count().startswith("3 offerings match · ")  # no "so far": the part holds it all
    assert "Loading" not in p.inner_text(".knollm-left-out")
    while not held:
        p.wait_for_timeout(20)
    held.pop().fulfill(body=files[MORE_FILE], content_type="application/json")
    p.wait_for_selector("[data-knollm-app][data-state=ready]", state="attached")
    assert page.count().startswith("3 offerings match · ")

    p.goto(page.base + "explorer/?search=quant")
    p.wait_for_function("document.querySelector('.knollm-count')")
    p.wait_for_function(
        "window.performance.getEntriesByType('resource').some((r) => r.name.includes('explorer.json'))"
    )
    p.wait_for_timeout(300)  # time enough to have rendered the first part, were it shown
    assert p.get_attribute("[data-knollm-app]", "data-state") not in ("partial", "ready")
    assert page.column(MODEL) == []
    assert page.count() == "Loading the catalog…"
    while not held:
        p.wait_for_timeout(20)
    held.pop().fulfill(body=files[MORE_FILE], content_type="application/json")
    p.wait_for_selector("[data-knollm-app][data-state=ready]", state="attached")
    assert set(page.column(MODEL)) == {"Quant Model"}
