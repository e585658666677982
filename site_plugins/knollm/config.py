"""Options of the ``knollm`` MkDocs plugin (``plugins: - knollm: ...`` in mkdocs.yml)."""

from __future__ import annotations

from mkdocs.config import config_options as c
from mkdocs.config.base import Config


class KnollmConfig(Config):
    """Paths are relative to the directory of mkdocs.yml."""

    enabled = c.Type(bool, default=True)
    """Turn the plugin off (no generated pages, no data files)."""
    catalog = c.Type(str, default="../catalog")
    """Curated overlays (providers, model rules, overrides, libraries)."""
    templates = c.Type(str, default="../templates")
    """Jinja2 templates of the generated pages."""
    work = c.Type(str, default="")
    """Work directories with raw provider dumps, separated by spaces (``make site WORK=...``)."""
    measurements = c.Type(str, default="")
    """Folders of ``knollm benchmark`` results, separated by spaces, published besides
    ``CATALOG/measurements/`` (``knollm-build compile --measurements``)."""
    default_sources = c.Type(bool, default=True)
    """Compile the pinned open catalogs too (models.dev, genai-prices, LiteLLM)."""
    previous = c.Type(str, default="")
    """A previously published models.json: the Changes page and feed show what changed since."""
    site_url_data = c.Type(str, default="data")
    """Folder of the site the data files are written to."""
    vendor = c.Type(str, default="../node_modules")
    """The npm packages of package.json (``npm ci``): browser libraries copied into the site."""
