"""The ``knollm`` MkDocs plugin.

- ``on_config``: compile the catalog (the same pipeline as ``knollm-build compile``)
  and expose headline figures to mkdocs-macros as ``stats``;
- ``on_files``: add what :mod:`site_plugins.knollm.generate` produces — every generated page,
  the published data files (:func:`knollm_build.publish.publish`: the compiler's very bytes)
  and the browser libraries — in memory (``File.generated``), marked ``generated_by``;
  nothing is written into ``src_docs/``.

``knollm-build pages OUT`` writes the same pages and files without MkDocs.

Generated pages are not in the nav (indexes, search and the explorer reach them),
which keeps MkDocs-Material's per-page navigation cost constant; model pages are
excluded from the search index (their names are on the searchable index pages).
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.plugins import BasePlugin
from mkdocs.structure.files import File, Files
from mkdocs.structure.nav import Link, Navigation, Section
from mkdocs.structure.pages import Page
from mkdocs.structure.toc import get_toc

from knollm_build.pipeline import BuildError, BuildOptions, BuildResult, compile_catalog
from knollm_build.publish import publish
from site_plugins.knollm.config import KnollmConfig
from site_plugins.knollm.generate import VendorMissing, generate_pages, site_files
from site_plugins.knollm.stats import headline_stats

log = logging.getLogger("mkdocs.plugins.knollm")


class KnollmPlugin(BasePlugin[KnollmConfig]):
    """Compiles the catalog and adds its pages and data files to the site."""

    def __init__(self) -> None:
        self.bodies: dict[str, str] = {}
        self.compact_nav: Navigation | None = None
        self.result: BuildResult | None = None
        self.diff: dict[str, Any] | None = None
        self.published: dict[str, bytes] = {}

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
        measured = [self._path(config, m) for m in self.config.measurements.split()]
        for folder in measured:
            if not folder.is_dir():
                raise PluginError(f"knollm: measurements directory {folder} does not exist")
        options = BuildOptions(
            work_dirs=work,
            default_sources=self.config.default_sources,
            catalog_dir=self._path(config, self.config.catalog),
            measurement_dirs=measured,
        )
        try:
            result = compile_catalog(options)
        except BuildError as exc:
            raise PluginError(f"knollm: {exc}") from exc
        self.result = result
        for problem in result.report["errors"]:
            log.info("knollm: input error: %s: %s", problem["file"], problem["reason"])
        self.diff = self._diff(config, result.document)
        self.published = publish(result, diff=self.diff, site_url=config.site_url or None)
        config.extra["stats"] = headline_stats(result.document, result.report)
        log.info(
            "knollm: compiled %d offerings of %d models at %d providers in %.2f s",
            len(result.document["offerings"]),
            len(result.document["models"]),
            len(result.document["providers"]),
            time.perf_counter() - started,
        )
        return config

    def _diff(self, config: MkDocsConfig, document: dict[str, Any]) -> dict[str, Any] | None:
        if not self.config.previous:
            return None
        from knollm_build.diff import DiffError, diff_catalogs, load_catalog

        try:
            previous = load_catalog(self._path(config, self.config.previous))
        except DiffError as exc:
            raise PluginError(f"knollm: previous data: {exc}") from exc
        return diff_catalogs(previous, document)

    def on_files(self, files: Files, *, config: MkDocsConfig) -> Files | None:
        if not self.config.enabled or self.result is None:
            return files
        started = time.perf_counter()
        templates = self._path(config, self.config.templates)
        self.bodies = {}
        count = 0
        for src_uri, content in generate_pages(
            self.result, self.published, templates, diff=self.diff
        ):
            count += 1
            front, body = split_front_matter(content)
            stripped = body.strip()
            if stripped.startswith("<div") and stripped.endswith("</div>"):
                # Pure HTML body: MkDocs gets the front matter and a stub, and the HTML is put in
                # place in on_pre_page, so Markdown never re-parses thousands of table rows.
                self.bodies[src_uri] = body
                content = front + "\n" + BODY_STUB + "\n"
            self._add(files, config, src_uri, content)
        log.info("knollm: generated %d pages in %.2f s", count, time.perf_counter() - started)
        try:
            extra = site_files(self.published, self._path(config, self.config.vendor))
        except VendorMissing as exc:
            raise PluginError(f"knollm: {exc}") from exc
        data_dir = self.config.site_url_data.strip("/")
        for uri, data in extra.items():
            # The data files are served from site_url_data ("data" unless configured).
            if uri.startswith("data/") and data_dir != "data":
                uri = f"{data_dir}/{uri.removeprefix('data/')}"
            self._add(files, config, uri, data)
        return files

    @staticmethod
    def _add(files: Files, config: MkDocsConfig, src_uri: str, content: str | bytes) -> None:
        if files.get_file_from_path(src_uri) is not None:
            raise PluginError(
                f"knollm: {src_uri} is generated; remove the hand-written file of that name"
            )
        generated = File.generated(config, src_uri, content=content)
        generated.generated_by = "knollm"
        files.append(generated)

    def on_nav(self, nav: Navigation, *, config: MkDocsConfig, files: Files) -> Navigation | None:
        if self.config.enabled:
            self.compact_nav = compact_navigation(nav)
        return nav

    def on_pre_page(self, page: Page, *, config: MkDocsConfig, files: Files) -> Page | None:
        body = self.bodies.pop(page.file.src_uri, None)
        if body is not None:
            # The page body is finished HTML: skip building a Markdown converter for it.
            page.render = prebuilt_render(page, body)  # type: ignore[method-assign,assignment]
        return page

    def on_page_context(  # type: ignore[override]
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
