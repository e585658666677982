"""Model cards, life cycle, price history and price-change feeds on the site (issue 16).

Pages are rendered by :class:`PageBuilder` from a hand-made catalog and ledger (no MkDocs),
with hostile strings in every field that reaches a page; the fixture MkDocs site checks the
``<link rel="alternate">`` feeds in the page head.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from knollm_build.price_feeds import price_changes, price_feeds
from knollm_build.urls import page_urls
from site_plugins.knollm.pages import PageBuilder, SiteData, field_reference
from site_plugins.knollm.render import environment

REPO = Path(__file__).resolve().parents[1]
EVIL = "<script>alert(1)</script> {{ 7*7 }} | [x](javascript:alert(1))"
ATOM = "{http://www.w3.org/2005/Atom}"


def _catalog() -> dict[str, Any]:
    def offering(
        provider: str, model: str, api_id: str, price: float, **more: Any
    ) -> dict[str, Any]:
        return {
            "provider": provider,
            "model": model,
            "provider_model_id": api_id,
            "pricing": {"input": price, "output": price * 4},
            "sources": ["genai-prices"],
            **more,
        }

    return {
        "schema_version": "1.1.0",
        "generated_at": "2026-03-01T00:00:00Z",
        "sources": [
            {"id": "genai-prices", "name": "genai-prices", "kind": "open-catalog", "version": "1"},
            {"id": "litellm", "name": "LiteLLM price map", "kind": "open-catalog", "version": "1"},
        ],
        "providers": [
            {"id": "acme", "name": "Acme"},
            {"id": "evil", "name": EVIL},
        ],
        "models": [
            {
                "id": "alpha-1",
                "name": "Alpha 1",
                "hosts": 2,
                "license": EVIL,
                "links": [
                    {"label": "Announcement", "url": "https://example.com/alpha"},
                    {"label": EVIL, "url": "javascript:alert(1)"},
                ],
                "weights": [{"label": "Hugging Face", "url": "https://huggingface.co/x/alpha"}],
                "benchmarks": [
                    {
                        "name": "SciCode",
                        "score": 41.5,
                        "metric": "percent correct",
                        "source": "https://bench.example/scicode",
                        "date": "2025-12-01",
                    },
                    {"name": EVIL, "score": 3.0, "source": "javascript:alert(2)"},
                ],
            },
            {
                "id": "beta-2",
                "name": "Beta 2",
                "hosts": 1,
                "benchmarks": [{"name": "SciCode", "score": 55.0, "date": "2026-01-10"}],
            },
            {"id": "gamma-3", "name": "Gamma 3", "hosts": 1},
        ],
        "offerings": [
            offering(
                "acme",
                "alpha-1",
                "alpha-1",
                2.0,
                status="deprecated",
                deprecation_date="2026-06-30",
                successor="gamma-3-latest",
            ),
            offering("evil", "alpha-1", EVIL, 1.0, status="retired", deprecation_date="2026-01-31"),
            offering("acme", "beta-2", "beta-2", 4.0, alias_of="beta-2-0101"),
            offering("acme", "gamma-3", "gamma-3-latest", 0.5),
        ],
    }


def _history() -> dict[str, Any]:
    return {
        "schema_version": "1.1.0",
        "generated_at": "2026-03-01T00:00:00Z",
        "entries": [
            {
                "provider": "acme",
                "provider_model_id": "alpha-1",
                "model": "alpha-1",
                "points": [
                    {"since": None, "dated": "effective", "source": "genai-prices", "input": 3.0},
                    {
                        "since": "2025-10-01",
                        "dated": "effective",
                        "source": "genai-prices",
                        "input": 2.5,
                        "output": 10.0,
                    },
                    {
                        "since": "2026-01",
                        "dated": "observed",
                        "source": "litellm",
                        "input": 2.0,
                        "output": 8.0,
                        "priority_input": 3.5,
                    },
                ],
            },
            {
                "provider": "evil",
                "provider_model_id": EVIL,
                "model": "alpha-1",
                "points": [
                    {"since": "2025-12-01", "dated": "observed", "source": "litellm", "input": 1.5},
                    # the same date from another source: a conflict, not a change
                    {
                        "since": "2025-12-01",
                        "dated": "observed",
                        "source": "genai-prices",
                        "input": 9.0,
                    },
                    # within the 1 % tolerance of the point before: no change
                    {
                        "since": "2026-02-01",
                        "dated": "observed",
                        "source": "litellm",
                        "input": 9.05,
                    },
                    # scheduled after the build date
                    {
                        "since": "2026-09-01",
                        "dated": "effective",
                        "source": "genai-prices",
                        "input": 1.0,
                    },
                ],
            },
            {
                "provider": "gone",
                "provider_model_id": "old-model",
                "points": [
                    {"since": "2024-01-01", "dated": "observed", "source": "litellm", "input": 1.0},
                    {"since": "2024-06-01", "dated": "observed", "source": "litellm", "input": 2.0},
                ],
            },
        ],
    }


@pytest.fixture(scope="module")
def pages() -> dict[str, str]:
    data = SiteData(_catalog(), {"accounting": {}}, history=_history())
    builder = PageBuilder(environment(REPO / "templates"), data)
    out = {}
    for model_id in ("alpha-1", "beta-2", "gamma-3"):
        uri = builder.model_uri(model_id)
        out[model_id] = builder.model_page(uri, builder.models[model_id])
    out["benchmarks"] = builder.sections.benchmarks_page("models/benchmarks.md")
    out["provider:acme"] = builder.provider_page("providers/acme.md", builder.providers["acme"])
    out["changes"] = builder.changes_page("changes/index.md")
    return out


def _section(page: str, anchor: str) -> str:
    start = page.index(f'<h2 id="{anchor}">')
    end = page.find("<h2 ", start + 4)
    return page[start : end if end > 0 else len(page)]


def _assert_inert(page: str) -> None:
    for data in re.findall(r'<script type="application/json">(.*?)</script>', page, re.S):
        assert "<" not in data and ">" not in data
    rest = re.sub(r'<script type="application/json">.*?</script>', "", page, flags=re.S)
    rest = re.sub(r'<script src="(\.\./)*assets/[a-z./-]+"></script>', "", rest)
    for needle in ("<script", "{{", "{%", 'href="javascript:'):
        assert needle not in rest, needle


def test_model_card_shows_benchmarks_by_others_and_only_http_links(pages: dict[str, str]) -> None:
    card = _section(pages["alpha-1"], "card")
    _assert_inert(pages["alpha-1"])
    assert "as measured by others" in card and "they are not catalog facts" in card
    assert '<a href="https://example.com/alpha" rel="nofollow noopener">Announcement</a>' in card
    assert (
        '<a href="https://huggingface.co/x/alpha" rel="nofollow noopener">Hugging Face</a>' in card
    )
    assert "Licence</th><td>&lt;script&gt;" in card
    rows = re.findall(
        r"<tr><td>(.*?)</td><td>(.*?)</td><td>(.*?)</td><td>(.*?)</td><td>(.*?)</td></tr>", card
    )
    # a source that is not an http(s) address stays text
    assert [r[1:] for r in rows if r[1] == "3.0"] == [("3.0", "–", "javascript:alert(2)", "–")]
    scicode = [r for r in rows if r[0] == "SciCode"]
    assert scicode == [
        (
            "SciCode",
            "41.5",
            "percent correct",
            '<a href="https://bench.example/scicode" rel="nofollow noopener">https://bench.example/scicode</a>',
            "2025-12-01",
        )
    ]
    # benchmarks stay out of the facts table at the top
    facts = pages["alpha-1"].split('<h2 id="card">')[0]
    assert "SciCode" not in facts
    assert 'id="card"' not in pages["gamma-3"]  # no canonical record, no card


def test_lifecycle_links_a_successor_the_catalog_has(pages: dict[str, str]) -> None:
    section = _section(pages["alpha-1"], "lifecycle")
    acme = re.search(r"<tr><td>Acme</td>.*?</tr>", section)
    assert acme is not None
    assert "<td>deprecated</td><td>retires 2026-06-30</td>" in acme.group(0)
    assert '<a href="../../models/gamma-3/"><code>gamma-3-latest</code></a>' in acme.group(0)
    assert "<td>retired</td><td>retired 2026-01-31</td>" in section
    beta = _section(pages["beta-2"], "lifecycle")
    assert "<td><code>beta-2-0101</code></td>" in beta  # not in the catalog: not a link
    assert 'id="lifecycle"' not in pages["gamma-3"]


def test_price_history_table_and_chart(pages: dict[str, str]) -> None:
    section = _section(pages["alpha-1"], "price-history")
    rows = re.findall(
        r"<tr[^>]*><td><a[^>]*>(.*?)</a></td><td><code>(.*?)</code></td><td>(.*?)</td><td>(.*?)</td><td>(.*?)</td><td>(.*?)</td>",
        section,
    )
    assert [r[2:] for r in rows if r[0] == "Acme"] == [
        ("before the first dated change", "took effect", "genai-prices", "$3.00"),
        ("2025-10-01", "took effect", "genai-prices", "$2.50"),
        ("2026-01", "observed", "LiteLLM price map", "$2.00"),
    ]
    assert "priority input &#36;3.5" in section
    charts = re.findall(r'<script type="application/json">(.*?)</script>', section, re.S)
    assert len(charts) == 1 and '"until": "2026-03-01"' in charts[0]
    assert '<script src="../../assets/vendor/chart.umd.min.js"></script>' in pages["alpha-1"]
    # one ledger point, no chart and no chart scripts
    assert "chart.umd.min.js" not in pages["beta-2"]
    assert 'id="price-history"' not in pages["beta-2"]


def test_benchmarks_page_charts_score_against_cheapest_paid_price(pages: dict[str, str]) -> None:
    page = pages["benchmarks"]
    _assert_inert(page)
    section = _section(page, "bench-scicode")
    charts = re.findall(r'<script type="application/json">(.*?)</script>', section, re.S)
    assert len(charts) == 1
    # newest result per model, highest score first; the cheapest paid listed input price
    assert re.findall(r'"x": ([\d.]+), "y": ([\d.]+)', charts[0]) == [
        ("4.0", "55.0"),
        ("1.0", "41.5"),
    ]
    # a benchmark only one model reports gets a table but no chart
    evil = page[page.index("&lt;script&gt;alert(1)") :]
    assert "<h2" in page and "data-knollm-scores" not in evil.split("<h2")[0]


def test_feeds_are_named_for_the_page_head(pages: dict[str, str]) -> None:
    assert (
        'feeds:\n  - title: "Knollm price changes"\n    href: "../../changes/prices.xml"\n'
        in pages["alpha-1"]
    )
    assert (
        '  - title: "Price changes: acme"\n    href: "../../providers/acme/prices.xml"'
        in pages["alpha-1"]
    )
    assert 'href: "../../providers/acme/prices.xml"' in pages["provider:acme"]
    assert (
        'Price changes: <a href="../../providers/acme/prices.xml">Atom feed</a>'
        in pages["provider:acme"]
    )
    assert 'href: "../changes/prices.xml"' in pages["changes"]


def test_changes_page_lists_ledger_price_changes(pages: dict[str, str]) -> None:
    section = _section(pages["changes"], "price-history")
    assert "Price changes in the ledger (4)" in section
    rows = re.findall(r"<tr><td>(.*?)</td><td>(.*?)</td>", section)
    assert rows == [
        ("2026-09-01", "evil"),
        ("2026-01", "acme"),
        ("2025-10-01", "acme"),
        ("2024-06-01", "gone"),
    ]
    assert "input &#36;3 → &#36;2.5 (-16.7%)" in section
    assert "genai-prices → litellm" in section


def test_price_changes_skip_same_date_claims_and_moves_within_tolerance() -> None:
    changes = price_changes(_history())
    assert [(c.provider, c.since, c.before_since) for c in changes] == [
        ("evil", "2026-09-01", "2026-02-01"),
        ("acme", "2026-01", "2025-10-01"),
        ("acme", "2025-10-01", None),
        ("gone", "2024-06-01", "2024-01-01"),
    ]
    assert [(f.field, f.old, f.new) for f in changes[1].fields] == [
        ("input", 2.5, 2.0),
        ("output", 10.0, 8.0),
    ]


def test_atom_feeds_parse_escape_and_are_deterministic() -> None:
    catalog, history = _catalog(), _history()
    urls = page_urls(catalog)
    files = price_feeds(catalog, history, "https://knollm.test/", urls.models, urls.providers)
    assert sorted(files) == [
        "feeds/prices.xml",
        "feeds/providers/acme.xml",
        "feeds/providers/evil.xml",
    ]
    again = price_feeds(catalog, history, "https://knollm.test/", urls.models, urls.providers)
    assert again == files
    overall = ET.fromstring(files["feeds/prices.xml"])
    entries = overall.findall(f"{ATOM}entry")
    assert len(entries) == 4
    ids = [e.findtext(f"{ATOM}id") for e in entries]
    assert len(set(ids)) == 4 and all((i or "").startswith("urn:knollm:price:") for i in ids)
    first = entries[0]
    assert (
        first.findtext(f"{ATOM}title", "")
        == f"evil {EVIL}: input $9.05 → $1 (-89.0%) (from 2026-09-01)"
    )
    # scheduled after the build: dated by the build, and said to take effect later
    assert first.findtext(f"{ATOM}updated") == "2026-03-01T00:00:00Z"
    assert "takes effect 2026-09-01" in first.findtext(f"{ATOM}summary", "")
    link = first.find(f"{ATOM}link")
    assert (
        link is not None and link.get("href") == "https://knollm.test/models/alpha-1/#price-history"
    )
    # an offering no longer in the catalog: in the overall feed, without a page link
    gone = entries[3]
    assert gone.find(f"{ATOM}link") is None
    acme = ET.fromstring(files["feeds/providers/acme.xml"])
    assert [e.findtext(f"{ATOM}updated") for e in acme.findall(f"{ATOM}entry")] == [
        "2026-01-01T00:00:00Z",
        "2025-10-01T00:00:00Z",
    ]
    assert b"<script>" not in files["feeds/providers/evil.xml"]


def test_every_field_is_documented_in_the_field_reference() -> None:
    undocumented = [
        (cls["name"], f["name"])
        for history in (False, True)
        for cls in field_reference(history)
        for f in cls["fields"]
        if not f["description"].strip()
    ]
    assert undocumented == []
    names = {(cls["name"], f["name"]) for cls in field_reference() for f in cls["fields"]}
    for wanted in [
        ("Offering", "successor"),
        ("Offering", "alias_of"),
        ("Offering", "price_basis"),
        ("Offering", "flags"),
        ("Offering", "listed"),
        ("Provider", "kind"),
        ("Model", "license"),
        ("Model", "links"),
        ("Model", "weights"),
        ("Model", "benchmarks"),
        ("Benchmark", "metric"),
        ("Link", "url"),
        ("Pricing", "priority_input"),
        ("Pricing", "cache_write_1h"),
        ("Pricing", "regional_uplift"),
    ]:
        assert wanted in names, wanted
    ledger = {(cls["name"], f["name"]) for cls in field_reference(True) for f in cls["fields"]}
    assert {
        ("LedgerPoint", "since"),
        ("LedgerPoint", "dated"),
        ("HistoryEntry", "points"),
    } <= ledger


def test_fixture_site_links_its_feeds_from_the_page_head(fixture_site: Path) -> None:
    for path in ("providers/groq", "changes"):
        html = (fixture_site / path / "index.html").read_text(encoding="utf-8")
        head = html[: html.index("</head>")]
        links = re.findall(
            r'<link rel="alternate feed" type="application/atom\+xml" title="[^"]*" href="([^"]+)">',
            head,
        )
        assert links, path
        for link in links:
            assert (fixture_site / path / link).resolve().is_file(), (path, link)
    fields = (fixture_site / "data" / "fields" / "index.html").read_text(encoding="utf-8")
    assert 'id="history-json"' in fields and 'id="ledgerpoint"' in fields
    data = (fixture_site / "data" / "index.html").read_text(encoding="utf-8")
    assert 'href="../changes/prices.xml"' in data and "history.json" in data


def test_offerings_with_the_same_history_share_one_chart_line() -> None:
    from site_plugins.knollm.history_pages import history_section

    points = [
        {"since": "2025-01-01", "dated": "effective", "source": "s", "input": 1.0},
        {"since": "2025-06-01", "dated": "effective", "source": "s", "input": 2.0},
    ]
    offerings = [{"provider": "p", "provider_model_id": f"{region}.m"} for region in ("eu", "us")]
    ledger = {("p", o["provider_model_id"]): {"points": points} for o in offerings}
    ledger[("p", "jp.m")] = {"points": [*points[:1], {**points[1], "input": 3.0}]}
    offerings.append({"provider": "p", "provider_model_id": "jp.m"})
    section = history_section(offerings, ledger, str, str, str, "2025-12-01")
    assert section is not None and section["chart"] is not None
    assert [s["label"] for s in section["chart"]["series"]] == ["p · eu.m and 1 more", "p · jp.m"]
    assert len(section["rows"]) == 6  # the table keeps every offering's points
