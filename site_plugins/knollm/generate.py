"""Site generation without MkDocs: every generated page and file of the site, from one build.

:func:`generate_pages` renders the pages (``{src_uri: markdown}``, one at a time);
:func:`site_files` adds the published data files (:func:`knollm_build.publish.publish`, at
their site paths) and the browser libraries. ``knollm-build pages OUT`` writes all of it into a
docs folder any MkDocs-compatible builder reads (Zensical included); the MkDocs plugin is a
thin adapter that adds the same pages and files to its build.
"""

from __future__ import annotations

import gzip
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from knollm_build.publish import site_path
from site_plugins.knollm.libraries import library_entries
from site_plugins.knollm.pages import PageBuilder, SiteData
from site_plugins.knollm.render import environment

if TYPE_CHECKING:
    from knollm_build.pipeline import BuildResult

# Browser libraries (pinned in package.json, installed by `npm ci`) copied into assets/vendor/
# with their licences: the explorer, calculator and charts load them from the site, never a CDN.
# Licences are served as .txt: a .md file would be rendered as a page by MkDocs and Zensical.
VENDOR_DIR = "assets/vendor"
VENDOR_FILES = {
    "uFuzzy.iife.min.js": "@leeoniya/ufuzzy/dist/uFuzzy.iife.min.js",
    "uFuzzy.LICENSE.txt": "@leeoniya/ufuzzy/LICENSE",
    "chart.umd.min.js": "chart.js/dist/chart.umd.min.js",
    "chart.LICENSE.txt": "chart.js/LICENSE.md",
}
# The downloads the data page lists: (what it is, media type).
DATA_DOWNLOADS = {
    "models.json": (
        "The whole catalog: sources, providers, models, offerings.",
        "application/json",
    ),
    "schema.json": ("JSON Schema of models.json.", "application/schema+json"),
    "providers.json": ("Providers only.", "application/json"),
    "offerings.csv": ("One row per offering with prices and limits, for spreadsheets.", "text/csv"),
    "report.json": (
        "The build report: counts, conflicts, quarantined records.",
        "application/json",
    ),
    "libraries.json": (
        "The Python LLM library reviews' facts, features and examples.",
        "application/json",
    ),
    "history.json": (
        "The price ledger: every dated price of every offering, oldest first.",
        "application/json",
    ),
    "history.schema.json": ("JSON Schema of history.json.", "application/schema+json"),
}


class VendorMissing(Exception):
    """The browser libraries are not installed (``npm ci``); the message names the files."""


@dataclass(frozen=True, slots=True)
class PageCount:
    """What :func:`write_site` did."""

    pages: int
    files: int
    updated: int


def _inputs(result: BuildResult) -> tuple[dict[str, Any], dict[str, Any], list[dict[str, Any]]]:
    """The one place that reads the build result: (document, report, library reviews)."""
    return result.document, result.report, library_entries(result.libraries)


def generate_pages(
    result: BuildResult,
    published: Mapping[str, bytes],
    templates: Path,
    *,
    diff: dict[str, Any] | None = None,
) -> Iterator[tuple[str, str]]:
    """Every generated page as ``(src_uri, markdown)``; ``published`` is :func:`publish`'s output."""
    document, report, libraries = _inputs(result)
    downloads = [
        {"name": name, "about": text, "format": fmt, "size": _size(published[name])}
        for name, (text, fmt) in DATA_DOWNLOADS.items()
        if name in published
    ]
    data = SiteData(document, report, diff, libraries, downloads, result.history_document)
    yield from PageBuilder(environment(templates), data).pages()


def vendor_files(node_modules: Path) -> dict[str, Path]:
    """``{site path: file}`` of the browser libraries; raises :class:`VendorMissing`."""
    found = {f"{VENDOR_DIR}/{name}": node_modules / path for name, path in VENDOR_FILES.items()}
    missing = sorted(str(path) for path in found.values() if not path.is_file())
    if missing:
        raise VendorMissing(
            "browser libraries missing (run `npm ci` in the repository root, "
            f"or `make site`): {', '.join(missing)}"
        )
    return found


def site_files(
    published: Mapping[str, bytes], node_modules: Path | None = None
) -> dict[str, bytes]:
    """``{site path: bytes}`` of the published files (and the browser libraries, when given)."""
    out = {site_path(name): data for name, data in published.items()}
    if node_modules is not None:
        out.update({uri: path.read_bytes() for uri, path in vendor_files(node_modules).items()})
    return out


def write_site(
    out: Path,
    result: BuildResult,
    published: Mapping[str, bytes],
    templates: Path,
    *,
    diff: dict[str, Any] | None = None,
    node_modules: Path | None = None,
) -> PageCount:
    """Write every generated page (``.md``) and site file under ``out``, each only when it changed."""
    from knollm_build.emit import write_if_changed

    pages = updated = 0
    for src_uri, content in generate_pages(result, published, templates, diff=diff):
        pages += 1
        updated += write_if_changed(out / src_uri, content.encode("utf-8"), 0).changed
    files = site_files(published, node_modules)
    for uri, data in files.items():
        updated += write_if_changed(out / uri, data, 0).changed
    return PageCount(pages, len(files), updated)


def _size(data: bytes) -> str:
    return f"{len(data) / 1024:,.0f} KiB ({len(gzip.compress(data, 6, mtime=0)) / 1024:,.0f} KiB gzipped)"
