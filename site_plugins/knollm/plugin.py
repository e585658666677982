"""The ``knollm`` MkDocs plugin.

- ``on_config``: compile the catalog (the same pipeline as ``knollm-build compile``)
  and expose headline figures to mkdocs-macros as ``stats``;
- ``on_files``: add every generated page in memory (``File.generated``), marked
  ``generated_by``; nothing is written into ``src_docs/``;
- ``on_post_build``: write the data files into ``site/data/`` and the Atom feed,
  the way the search plugin writes its index.

Generated pages are not in the nav (indexes, search and the explorer reach them),
which keeps MkDocs-Material's per-page navigation cost constant; model pages are
excluded from the search index (their names are on the searchable index pages).
"""

from __future__ import annotations

import csv
import gzip
import io
import logging
import re
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape as xml_escape

import orjson
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.plugins import BasePlugin
from mkdocs.structure.files import File, Files
from mkdocs.structure.nav import Link, Navigation, Section
from mkdocs.structure.pages import Page
from mkdocs.structure.toc import get_toc

from knollm_build.emit import json_schema, to_bytes
from knollm_build.explorer import explorer_payload
from knollm_build.libraries import libraries_document
from knollm_build.pipeline import BuildError, BuildOptions, compile_catalog
from site_plugins.knollm.config import KnollmConfig
from site_plugins.knollm.libraries import load_libraries
from site_plugins.knollm.pages import PageBuilder, SiteData
from site_plugins.knollm.render import environment
from site_plugins.knollm.stats import headline_stats

log = logging.getLogger("mkdocs.plugins.knollm")

# Browser libraries (pinned in package.json, installed by `npm ci`) copied into site/assets/vendor/
# with their licences: the explorer, calculator and charts load them from the site, never a CDN.
VENDOR_FILES = {
    "uFuzzy.iife.min.js": "@leeoniya/ufuzzy/dist/uFuzzy.iife.min.js",
    "uFuzzy.LICENSE.txt": "@leeoniya/ufuzzy/LICENSE",
    "chart.umd.min.js": "chart.js/dist/chart.umd.min.js",
    "chart.LICENSE.md": "chart.js/LICENSE.md",
}

CSV_PRICE_FIELDS = frozenset(
    {"input", "output", "cache_read", "cache_write", "batch_input", "batch_output"}
)
CSV_FIELDS = (
    "provider",
    "model",
    "provider_model_id",
    "mode",
    "status",
    "input",
    "output",
    "cache_read",
    "cache_write",
    "batch_input",
    "batch_output",
    "context_window",
    "max_output_tokens",
    "capabilities",
    "variant",
)


class KnollmPlugin(BasePlugin[KnollmConfig]):
    """Compiles the catalog and adds its pages and data files to the site."""

    def __init__(self) -> None:
        self.bodies: dict[str, str] = {}
        self.compact_nav: Navigation | None = None
        self.document: dict[str, Any] | None = None
        self.report: dict[str, Any] | None = None
        self.diff: dict[str, Any] | None = None
        self.data_files: dict[str, bytes] = {}
        self.vendor: dict[str, Path] = {}
        self.libraries: list[dict[str, Any]] = []

    def _path(self, config: MkDocsConfig, value: str) -> Path:
        return (Path(config.config_file_path).parent / value).resolve()

    def on_config(self, config: MkDocsConfig) -> MkDocsConfig | None:
        if not self.config.enabled:
            return config
        started = time.perf_counter()
        work = [self._path(config, w) for w in self.config.work.split()]
        for folder in work:
            if not folder.is_dir():
                raise PluginError(f"knollm: work directory {folder} does not exist")
        options = BuildOptions(
            work_dirs=work,
            default_sources=self.config.default_sources,
            catalog_dir=self._path(config, self.config.catalog),
        )
        try:
            result = compile_catalog(options)
        except BuildError as exc:
            raise PluginError(f"knollm: {exc}") from exc
        self.document, self.report = result.document, result.report
        self.libraries = libraries_document(result.libraries)
        for problem in result.report["errors"]:
            log.info("knollm: input error: %s: %s", problem["file"], problem["reason"])
        self.diff = self._diff(config)
        self.data_files = self._data_files()
        config.extra["stats"] = headline_stats(self.document, self.report)
        log.info(
            "knollm: compiled %d offerings of %d models at %d providers in %.2f s",
            len(self.document["offerings"]),
            len(self.document["models"]),
            len(self.document["providers"]),
            time.perf_counter() - started,
        )
        return config

    def _diff(self, config: MkDocsConfig) -> dict[str, Any] | None:
        if not self.config.previous:
            return None
        from knollm_build.diff import DiffError, diff_catalogs, load_catalog

        try:
            previous = load_catalog(self._path(config, self.config.previous))
        except DiffError as exc:
            raise PluginError(f"knollm: previous data: {exc}") from exc
        assert self.document is not None
        return diff_catalogs(previous, self.document)

    def _data_files(self) -> dict[str, bytes]:
        assert self.document is not None and self.report is not None
        schema = orjson.dumps(json_schema(), option=orjson.OPT_SORT_KEYS | orjson.OPT_INDENT_2)
        providers = to_bytes(
            {k: self.document[k] for k in ("schema_version", "generated_at", "providers")}
        )
        return {
            "models.json": to_bytes(self.document),
            "schema.json": schema,
            "providers.json": providers,
            "offerings.csv": offerings_csv(self.document),
            "report.json": to_bytes(self.report),
            "libraries.json": to_bytes(self.libraries),
        }

    def on_files(self, files: Files, *, config: MkDocsConfig) -> Files | None:
        if not self.config.enabled or self.document is None or self.report is None:
            return files
        about = {
            "models.json": (
                "The whole catalog: sources, providers, models, offerings.",
                "application/json",
            ),
            "schema.json": ("JSON Schema of models.json.", "application/schema+json"),
            "providers.json": ("Providers only.", "application/json"),
            "offerings.csv": (
                "One row per offering with prices and limits, for spreadsheets.",
                "text/csv",
            ),
            "report.json": (
                "The build report: counts, conflicts, quarantined records.",
                "application/json",
            ),
            "libraries.json": (
                "The Python LLM library reviews' facts, features and examples.",
                "application/json",
            ),
        }
        listed = [
            {"name": name, "about": text, "format": fmt, "size": _size(self.data_files[name])}
            for name, (text, fmt) in about.items()
        ]
        data = SiteData(
            self.document,
            self.report,
            self.diff,
            load_libraries(self._path(config, self.config.catalog) / "libraries"),
            listed,
        )
        builder = PageBuilder(environment(self._path(config, self.config.templates)), data)
        started = time.perf_counter()
        self.bodies = {}
        count = 0
        for src_uri, content in builder.pages():
            count += 1
            existing = files.get_file_from_path(src_uri)
            if existing is not None:
                raise PluginError(
                    f"knollm: {src_uri} is generated; remove the hand-written file of that name"
                )
            front, body = split_front_matter(content)
            stripped = body.strip()
            if stripped.startswith("<div") and stripped.endswith("</div>"):
                # Pure HTML body: MkDocs gets the front matter and a stub, and the HTML is put in
                # place in on_page_content, so Markdown never re-parses thousands of table rows.
                self.bodies[src_uri] = body
                content = front + "\n" + BODY_STUB + "\n"
            generated = File.generated(config, src_uri, content=content)
            generated.generated_by = "knollm"
            files.append(generated)
        log.info("knollm: generated %d pages in %.2f s", count, time.perf_counter() - started)
        # The explorer links rows to the pages just generated, so it gets their URL slugs.
        self.data_files["explorer.json"] = orjson.dumps(
            explorer_payload(self.document, builder.model_slugs, builder.provider_slugs)
        )
        self.vendor = self._vendor_files(config)
        return files

    def _vendor_files(self, config: MkDocsConfig) -> dict[str, Path]:
        folder = self._path(config, self.config.vendor)
        found = {name: folder / path for name, path in VENDOR_FILES.items()}
        missing = sorted(str(path) for path in found.values() if not path.is_file())
        if missing:
            raise PluginError(
                "knollm: browser libraries missing (run `npm ci` in the repository root, "
                f"or `make site`): {', '.join(missing)}"
            )
        return found

    def on_nav(self, nav: Navigation, *, config: MkDocsConfig, files: Files) -> Navigation | None:
        if self.config.enabled:
            self.compact_nav = compact_navigation(nav)
        return nav

    def on_pre_page(self, page: Page, *, config: MkDocsConfig, files: Files) -> Page | None:
        body = self.bodies.pop(page.file.src_uri, None)
        if body is not None:
            # The page body is finished HTML: skip building a Markdown converter for it.
            page.render = prebuilt_render(page, body)  # type: ignore[method-assign]
        return page

    def on_page_context(
        self, context: dict[str, Any], *, page: Page, config: MkDocsConfig, nav: Navigation
    ) -> dict[str, Any] | None:
        if self.compact_nav is not None and page.file.generated_by == "knollm":
            # Generated pages carry the top-level nav only: Material renders the nav into every
            # page twice (tabs and sidebar), so its size multiplies by ~10,000 pages.
            context["nav"] = self.compact_nav
        return context

    def on_post_page(self, output: str, *, page: Page, config: MkDocsConfig) -> str | None:
        if page.file.src_uri.startswith("reference/"):
            # mkdocs-click 0.9 prints click 8.2+'s "no default" sentinel as a default value.
            output = output.replace("<code>Sentinel.UNSET</code>", "<em>none</em>")
        if page.file.generated_by == "knollm":
            # Written once this returns: MkDocs keeps every Page to the end of the build, so the
            # body is dropped here, or memory would hold the whole site's HTML.
            page.content = None
        return output

    def on_post_build(self, *, config: MkDocsConfig) -> None:
        if not self.config.enabled or self.document is None:
            return
        out = Path(config.site_dir) / self.config.site_url_data
        out.mkdir(parents=True, exist_ok=True)
        for name, data in self.data_files.items():
            (out / name).write_bytes(data)
        vendor = Path(config.site_dir) / "assets" / "vendor"
        vendor.mkdir(parents=True, exist_ok=True)
        for name, source in self.vendor.items():
            shutil.copyfile(source, vendor / name)
        feed = Path(config.site_dir) / "changes" / "feed.xml"
        feed.parent.mkdir(parents=True, exist_ok=True)
        feed.write_text(
            atom_feed(self.document, self.diff, config.site_url or ""), encoding="utf-8"
        )


BODY_STUB = "<!-- generated by knollm: the HTML body is set in on_pre_page -->"
_ANCHOR_ID = re.compile(r'\sid="([^"]+)"')


def prebuilt_render(page: Page, body: str) -> Callable[[MkDocsConfig, Files], None]:
    """A replacement for ``Page.render`` that installs finished HTML instead of converting Markdown."""

    def render(config: MkDocsConfig, files: Files) -> None:
        page.content = body
        page.toc = get_toc([])
        page._title_from_render = None
        page.present_anchor_ids = set(_ANCHOR_ID.findall(body))
        page.links_to_anchors = {}

    return render


def compact_navigation(nav: Navigation) -> Navigation:
    """The site's nav with each top-level section folded into a link to its first page."""
    links: list[Any] = []
    for item in nav.items:
        if isinstance(item, Page):
            links.append(Link(item.title or "Home", item.url or "./"))
        elif isinstance(item, Section):
            first = next(iter(item.children), None)
            while isinstance(first, Section):
                first = next(iter(first.children), None)
            if isinstance(first, Page):
                links.append(Link(item.title or "", first.url or "./"))
        elif isinstance(item, Link):
            links.append(item)
    compact = Navigation(links, nav.pages)
    compact.homepage = nav.homepage
    return compact


def split_front_matter(content: str) -> tuple[str, str]:
    """(``---`` front matter block, rest) of a generated page."""
    if not content.startswith("---\n"):
        return "", content
    end = content.index("\n---\n", 4) + 5
    return content[:end], content[end:]


def _size(data: bytes) -> str:
    return f"{len(data) / 1024:,.0f} KiB ({len(gzip.compress(data, 6, mtime=0)) / 1024:,.0f} KiB gzipped)"


def offerings_csv(document: dict[str, Any]) -> bytes:
    """One row per offering; list fields joined with spaces; formula-like cells defused for spreadsheets."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_FIELDS)
    for o in document["offerings"]:
        pricing = o.get("pricing", {})
        row = []
        for name in CSV_FIELDS:
            value = pricing.get(name) if name in CSV_PRICE_FIELDS else o.get(name)
            if isinstance(value, list):
                value = " ".join(map(str, value))
            text = "" if value is None else str(value)
            if text[:1] in ("=", "+", "-", "@", "\t", "\r") and not _is_number(text):
                text = "'" + text  # a cell starting with = or + must not run as a formula
            row.append(text)
        writer.writerow(row)
    return buffer.getvalue().encode("utf-8")


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def atom_feed(document: dict[str, Any], diff: dict[str, Any] | None, site_url: str) -> str:
    """An Atom feed with one entry for this build, summarising the diff when there is one."""
    updated = document["generated_at"]
    base = site_url.rstrip("/")
    if diff:
        summary = diff.get("summary", {})
        text = (
            ", ".join(f"{v} {k.replace('_', ' ')}" for k, v in sorted(summary.items()) if v)
            or "no changes"
        )
    else:
        counts = (len(document["offerings"]), len(document["models"]), len(document["providers"]))
        text = f"{counts[0]} offerings of {counts[1]} models at {counts[2]} providers"
    entry_id = f"{base}/changes/#{updated}" if base else f"urn:knollm:build:{updated}"
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        '<feed xmlns="http://www.w3.org/2005/Atom">\n'
        "  <title>Knollm catalog changes</title>\n"
        f"  <id>{xml_escape(base + '/changes/' if base else 'urn:knollm:changes')}</id>\n"
        f"  <updated>{xml_escape(updated)}</updated>\n"
        f'  <link rel="alternate" href="{xml_escape(base + "/changes/")}"/>\n'
        "  <entry>\n"
        f"    <title>Catalog data of {xml_escape(updated[:10])}</title>\n"
        f"    <id>{xml_escape(entry_id)}</id>\n"
        f"    <updated>{xml_escape(updated)}</updated>\n"
        f"    <summary>{xml_escape(text)}</summary>\n"
        "  </entry>\n"
        "</feed>\n"
    )
