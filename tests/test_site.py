"""The documentation site, built with MkDocs from a small fixture catalog inside the test.

The fixture is the mini catalog (Groq, Together, OpenRouter, an old LiteLLM snapshot,
a broken file) plus a provider whose every string is hostile. The hand-written pages
of src_docs/md are built with it, so they must render with any catalog.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import orjson
import pytest
from click.testing import CliRunner
from mkdocs.commands.build import build
from mkdocs.config import load_config

from knollm_build.cli import main

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO / "tests" / "fixtures"
GOLDEN = REPO / "tests" / "golden" / "site"
UPDATE = os.environ.get("KNOLLM_UPDATE_GOLDENS") == "1"
# Raw markup or template syntax from the data must never reach a generated page body.
HOSTILE = ("<script", "<img", "<b>", "{{", "{%")


@pytest.fixture(scope="module")
def site(fixture_site: Path) -> Path:
    return fixture_site


def page(site: Path, path: str) -> str:
    return (site / path / "index.html").read_text(encoding="utf-8")


def body(html: str) -> str:
    """The generated part of a page: the knollm-page block."""
    start = html.index('<div class="knollm-page')
    return html[start : html.index("</article>", start)].strip()


def test_every_section_has_its_pages(site: Path) -> None:
    for path in (
        "",
        "providers",
        "providers/groq",
        "providers/evil",
        "models",
        "models/llama-3.3-70b-instruct",
        "models/gpt-oss-120b",
        "data",
        "data/fields",
        "data/quality",
        "changes",
        "libraries",
        "guides/getting-started",
        "guides/cutting-cost",
        "reference/cli",
        "reference/api",
    ):
        assert (site / path / "index.html").is_file(), path
    for name in ("models.json", "schema.json", "providers.json", "offerings.csv", "report.json"):
        assert (site / "data" / name).is_file(), name
    assert (site / "changes" / "feed.xml").read_text().startswith("<?xml")
    assert (site / "sitemap.xml").is_file() and (site / "404.html").is_file()


def test_model_page_lists_hosts_cheapest_first_with_prices(site: Path) -> None:
    html = body(page(site, "models/llama-3.3-70b-instruct"))
    hosts = html.split('<h2 id="measured"')[0]  # the hosts table, not the measured runs
    rows = re.findall(
        r"<tr( class=\"knollm-cheapest\"[^>]*)?><td><a href=\"([^\"]+)\">([^<]+)</a>"
        r"(?: <span class=\"knollm-via\">([^<]+)</span>)?</td><td><code>([^<]+)</code>",
        hosts,
    )
    assert [(r[1], r[4]) for r in rows] == [
        ("../../providers/evil/", "meta-llama/Llama-3.3-70B-Instruct"),
        ("../../providers/openrouter/", "meta-llama/llama-3.3-70b-instruct"),
        ("../../providers/groq/", "llama-3.3-70b-versatile"),
        ("../../providers/together/", "meta-llama/Llama-3.3-70B-Instruct-Turbo"),
    ]
    assert rows[0][0].startswith(' class="knollm-cheapest"') and not rows[1][0]
    # OpenRouter is a router: marked, and counted apart from the three direct hosts
    assert [r[3] for r in rows] == ["", "router", "", ""]
    assert "4 offerings: 3 direct hosts · 1 via routers," in html
    assert '<td data-sort="0.59">$0.59</td>' in html
    assert "$0.10 to $0.88" in html
    assert "×8.8" in html


def test_conflicts_and_provenance_show(site: Path) -> None:
    html = body(page(site, "models/gpt-oss-120b"))
    assert "Where sources disagree" in html
    assert "probable unit error" in html
    assert "dump:litellm: 60.0" in html
    provider = body(page(site, "providers/together"))
    assert "Conflicts (1)" in provider and "pricing.output" in provider


def test_provider_page_quick_start_and_metadata(site: Path) -> None:
    html = body(page(site, "providers/groq"))
    assert "<code>https://api.groq.com/openai/v1</code>" in html
    assert "<code>GROQ&#95;API&#95;KEY</code>" in html
    assert "base&#95;url=&#39;https://api.groq.com/openai/v1&#39;" in html
    # the example is an active chat offering of the most widely hosted model (Llama 3.3 70B,
    # 4 hosts in the fixture, more than gpt-oss-120b), and the snippet names it once
    assert re.findall(r"model=&#39;([^&]+)&#39;", html) == ["llama-3.3-70b-versatile"]


def test_hostile_strings_are_inert_everywhere(site: Path) -> None:
    for path in site.rglob("*.html"):
        html = path.read_text(encoding="utf-8")
        generated = body(html) if 'class="knollm-page' in html else ""
        generated = re.sub(
            r'<script type="application/ld\+json">.*?</script>', "", generated, flags=re.S
        )
        # Chart data (json_script: no "<" can close the element) and the site's own scripts.
        for data in re.findall(r'<script type="application/json">(.*?)</script>', generated, re.S):
            assert "<" not in data and ">" not in data, path
        generated = re.sub(
            r'<script type="application/json">.*?</script>', "", generated, flags=re.S
        )
        generated = re.sub(r'<script src="(\.\./)*assets/[a-z./-]+"></script>', "", generated)
        for needle in HOSTILE:
            assert needle not in generated, (path, needle)
        assert 'href="javascript:' not in html, path
        assert "alert('provider')</script>" not in html, path
    evil = page(site, "providers/evil")
    assert (
        "&lt;script&gt;alert(&#39;provider&#39;)&lt;/script&gt; &#123;&#123; 7&#42;7 &#125;&#125; &#124; &#91;x&#93;(javascript:alert(1))"
        in evil
    )
    # a javascript: link is not a link, and a hostile env var does not reach the snippet
    assert "alert(&#39;website&#39;)" not in body(evil)
    snippet = re.search(r"<pre><code[^>]*>(.*?)</code></pre>", body(evil), re.S)
    assert snippet is not None
    assert "os.system" not in snippet.group(
        1
    ) and "EVIL&#95;KEYimportosossystemxx" in snippet.group(1)
    # <title> is escaped by the theme too
    assert "<title>&lt;script&gt;" in evil


def test_every_generated_link_resolves(site: Path) -> None:
    broken = []
    for path in site.rglob("index.html"):
        html = path.read_text(encoding="utf-8")
        if 'class="knollm-page' not in html:
            continue
        for link in re.findall(r'href="([^"#]+)"', body(html)):
            if "://" in link or link.startswith("mailto:"):
                continue
            target = (path.parent / link.split("?")[0]).resolve()  # a page, whatever its query
            if not (target.is_file() or (target / "index.html").is_file()):
                broken.append((str(path.relative_to(site)), link))
    assert broken == []


def test_data_files_are_the_compiled_catalog(site: Path) -> None:
    catalog = orjson.loads((site / "data" / "models.json").read_bytes())
    assert catalog["schema_version"] == "1.2.0"
    assert {p["id"] for p in catalog["providers"]} == {"evil", "groq", "openrouter", "together"}
    csv_lines = (site / "data" / "offerings.csv").read_text().splitlines()
    assert csv_lines[0].startswith("provider,model,provider_model_id")
    assert len(csv_lines) == 1 + len(catalog["offerings"])
    fields = page(site, "data/fields")
    assert "The exact id to send to this provider&#39;s API." in fields


def test_site_data_files_are_the_compilers_bytes(site: Path, tmp_path: Path) -> None:
    """The site serves what `knollm-build compile` writes for the same inputs, byte for byte."""
    from knollm_build.publish import site_path

    root = site.parent  # build_fixture_site's catalog/ and work/
    out = tmp_path / "data"
    result = CliRunner().invoke(
        main,
        ["compile", "--out", str(out), "--catalog", str(root / "catalog")]
        + ["--work", str(root / "work"), "--no-default-sources", "-q"],
        env={"SOURCE_DATE_EPOCH": "1764028800"},
    )
    assert result.exit_code == 0, result.output
    compiled = sorted(str(path.relative_to(out)) for path in out.rglob("*") if path.is_file())
    assert compiled == [
        "client-index.knollm",
        "explorer.json",
        "feed.xml",
        "feeds/prices.xml",
        "feeds/providers/evil.xml",
        "feeds/providers/groq.xml",
        "feeds/providers/openrouter.xml",
        "feeds/providers/together.xml",
        "history.json",
        "history.schema.json",
        "libraries.json",
        "models.json",
        "offerings.csv",
        "providers.json",
        "report.json",
        "schema.json",
    ]
    served = sorted(p.name for p in (site / "data").iterdir() if p.name != "index.html")
    served.remove("fields")  # the data pages: data/index.html, fields/, quality/
    served.remove("quality")
    assert served == sorted(n for n in compiled if not n.startswith("feed"))
    assert site_path("feed.xml") == "changes/feed.xml"
    assert site_path("feeds/prices.xml") == "changes/prices.xml"
    assert site_path("feeds/providers/groq.xml") == "providers/groq/prices.xml"
    for name in compiled:
        assert (site / site_path(name)).read_bytes() == (out / name).read_bytes(), name
    # the explorer's rows link to the pages that were generated, hostile ids included
    payload = orjson.loads((out / "explorer.json").read_bytes())
    paths = [path for path in payload["models"]["path"] if path is not None]
    assert len(paths) == 3
    for path in paths:
        assert (site / "models" / path / "index.html").is_file(), path


def test_home_page_shows_live_figures(site: Path) -> None:
    html = page(site, "")
    catalog = orjson.loads((site / "data" / "models.json").read_bytes())
    offerings = len(catalog["offerings"])
    assert f"<td>Offerings (provider × exact API id)</td>\n<td>{offerings}</td>" in html
    assert f"<td>Providers</td>\n<td>{len(catalog['providers'])}</td>" in html
    assert "{{" not in html


def test_model_pages_stay_out_of_the_search_index(site: Path) -> None:
    index = orjson.loads((site / "search" / "search_index.json").read_bytes())
    locations = {doc["location"].split("#")[0] for doc in index["docs"]}
    assert "models/" in locations and "providers/" in locations
    assert not any(loc.startswith("models/llama") for loc in locations)


@pytest.mark.parametrize("path", ["models/llama-3.3-70b-instruct", "providers/groq"])
def test_golden_pages(site: Path, path: str) -> None:
    produced = body(page(site, path)) + "\n"
    golden = GOLDEN / (path.replace("/", "__") + ".html")
    if UPDATE:
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(produced, encoding="utf-8")
    assert produced == golden.read_text(encoding="utf-8")


def test_library_pages_render_whatever_catalog_libraries_holds(site: Path) -> None:
    index = body(page(site, "libraries"))
    assert '<a href="../libraries/openai/">openai</a>' in index
    assert "&lt;em&gt;really&lt;/em&gt;" in index  # front matter is data: escaped
    review = page(site, "libraries/openai")
    assert '<h2 id="when-to-use-it">When to use it' in review  # the body is Markdown, rendered
    # the front matter's example is escaped into the page as it is; the body's code is highlighted
    assert '<pre><code class="language-python">from openai import OpenAI' in review
    body_code = review[review.index('<h2 id="when-to-use-it">') :]
    assert (
        '<div class="highlight"><pre><span></span><code><span class="kn">from</span>' in body_code
    )


@pytest.fixture(scope="module")
def site_with_changes(site: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A second build compared with an 'earlier' catalog: one price lower, one extra offering."""
    root = site.parent
    old = orjson.loads((site / "data" / "models.json").read_bytes())
    old["generated_at"] = "2025-10-01T00:00:00Z"
    for offering in old["offerings"]:
        if (
            offering["provider"] == "groq"
            and offering["provider_model_id"] == "llama-3.3-70b-versatile"
        ):
            offering["pricing"]["input"] = 0.5
    gone = dict(old["offerings"][0], provider_model_id="retired-model")
    old["offerings"].append(gone)
    previous = tmp_path_factory.mktemp("previous") / "models.json"
    previous.write_bytes(orjson.dumps(old))
    out = tmp_path_factory.mktemp("site-changes") / "site"
    config = load_config(
        str(REPO / "src_docs" / "mkdocs.yml"),
        site_dir=str(out),
        strict=True,
        plugins={
            "knollm": {
                "catalog": str(root / "catalog"),
                "templates": str(REPO / "templates"),
                "work": str(root / "work"),
                "default_sources": False,
                "previous": str(previous),
            },
            "search": {},
            "macros": {"render_by_default": False, "on_undefined": "strict"},
            "mkdocstrings": {"handlers": {"python": {"paths": [str(REPO)]}}},
        },
    )
    build(config)
    return out


def test_changes_page_and_feed_show_the_diff(site_with_changes: Path) -> None:
    changes = body(page(site_with_changes, "changes"))
    assert "2025-10-01T00:00:00Z" in changes
    assert (
        "<td>llama-3.3-70b-versatile</td><td>input</td><td>0.5</td><td>0.59</td><td>+18.0%</td>"
        in changes
    )
    assert "<td>retired-model</td>" in changes
    feed = (site_with_changes / "changes" / "feed.xml").read_text()
    assert "<summary>" in feed and "price changes" in feed


def test_cli_reference_pages_show_no_sentinels(site: Path) -> None:
    for path in ("reference/cli", "reference/knollm-cli"):
        html = page(site, path)
        assert "Sentinel" not in html
        assert "<code>--catalog</code>" in html
    assert "<code>--work</code>" in page(site, "reference/cli")  # knollm-build compile's option


def test_pages_command_writes_the_sites_pages_and_files_without_mkdocs(
    site: Path, tmp_path: Path
) -> None:
    root = site.parent
    out = tmp_path / "docs"
    args = ["pages", str(out), "--catalog", str(root / "catalog"), "--work", str(root / "work")]
    args += ["--no-default-sources", "--templates", str(REPO / "templates")]
    args += ["--vendor", str(REPO / "node_modules")]
    env = {"SOURCE_DATE_EPOCH": "1764028800"}
    first = CliRunner().invoke(main, args, env=env)
    assert first.exit_code == 0, first.output
    written = sorted(str(p.relative_to(out)) for p in out.rglob("*") if p.is_file())
    files = [name for name in written if name.startswith("assets/") or not name.endswith(".md")]
    pages = [name for name in written if name not in files]
    assert first.output == (
        f"{len(pages)} pages and {len(files)} files in {out}: {len(written)} updated, 0 unchanged\n"
    )
    # every page the plugin generated, and only those; the same data files, byte for byte
    generated = sorted(
        str(p.parent.relative_to(site))
        for p in site.rglob("index.html")
        if 'class="knollm-page' in p.read_text(encoding="utf-8")
    )
    assert sorted(p.removesuffix(".md").removesuffix("/index") for p in pages) == generated
    for name in files:
        assert (out / name).read_bytes() == (site / name).read_bytes(), name
    assert "assets/vendor/uFuzzy.iife.min.js" in files and "changes/feed.xml" in files
    again = CliRunner().invoke(main, args, env=env)
    assert again.output.endswith(f": 0 updated, {len(written)} unchanged\n")
    missing = CliRunner().invoke(main, [*args[:-1], str(tmp_path)], env=env)
    assert missing.exit_code == 1
    assert missing.output.startswith("Error: browser libraries missing (run `npm ci`")


def test_front_matter_strings_are_strict_yaml_with_emoji() -> None:
    """JSON's surrogate pairs (an emoji in a model name) are no YAML: Zensical's parser refuses them."""
    import yaml

    from site_plugins.knollm.render import yaml_string

    text = str(yaml_string("Dolphin 🐬 <b>{{x}}</b>"))
    assert text == '"Dolphin \\U0001f42c &lt;b&gt;&#123;&#123;x&#125;&#125;&lt;/b&gt;"'
    assert yaml.safe_load(text) == "Dolphin 🐬 &lt;b&gt;&#123;&#123;x&#125;&#125;&lt;/b&gt;"


def test_indexes_count_direct_hosts_apart_from_routers(site: Path) -> None:
    providers = body(page(site, "providers"))
    # OpenRouter's kind, said as what it means for hosting; a direct host is just its kind
    assert re.search(r">Openrouter</a></td><td>router \(not a direct host\)</td>", providers)
    assert re.search(r">Groq</a></td><td>inference host</td>", providers)
    models = body(page(site, "models"))
    # in brackets: direct hosts, then +routers (Groq, Together, the hostile host; OpenRouter)
    assert re.search(
        r">Llama 3.3 70B Instruct</a> <span class=\"knollm-hosts\">\(3 \+1\)</span>", models
    )
    # ranked by direct hosts within a family; a model no router serves shows no "+"
    assert re.search(r">Whisper Large V3</a> <span class=\"knollm-hosts\">\(1\)</span>", models)
