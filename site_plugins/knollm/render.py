"""Rendering helpers for generated pages: the Jinja environment, inert escaping, formats, URLs.

Every string from the data is untrusted: every template expression's value is
escaped by the environment's ``finalize`` (autoescaping in one pass). Generated pages are Markdown files whose
body is a raw HTML block, so Markdown does not parse it; on top of HTML escaping,
the characters Markdown, tables and Jinja care about (``{ } | [ ] ` * _``) are
written as entities, so a hostile name stays literal text whatever later
processes the page. Templates run with ``StrictUndefined``: a missing context key
is an error, never an empty string.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

from knollm_build.urls import Slugs

__all__ = ["Slugs", "environment", "inert", "join_inert", "price", "tokens"]

_INERT = str.maketrans(
    {
        "&": "&amp;",
        "<": "&lt;",
        ">": "&gt;",
        '"': "&#34;",
        "'": "&#39;",
        "{": "&#123;",
        "}": "&#125;",
        "|": "&#124;",
        "[": "&#91;",
        "]": "&#93;",
        "`": "&#96;",
        "*": "&#42;",
        "_": "&#95;",
        "\\": "&#92;",
        "$": "&#36;",
    }
)


def inert(value: Any) -> Markup:
    """HTML-escape ``value`` and neutralise Markdown, table and template syntax, in one pass."""
    if isinstance(value, Markup):
        return value
    return Markup(str(value).translate(_INERT))


def _finalize(value: Any) -> Any:
    """Applied to every ``{{ ... }}`` output: escape unless already Markup (from our filters)."""
    if value is None:
        return ""
    if isinstance(value, Markup):
        return value
    return str(value).translate(_INERT)


def price(value: float | None) -> Markup:
    """USD per 1M tokens: ``$0.59``; small prices keep significant digits; unknown is an en dash."""
    if value is None:
        return Markup("–")
    if value == 0:
        return Markup("free")
    if value >= 100:
        return Markup(f"${value:,.0f}")
    text = f"{value:.6f}".rstrip("0")
    if len(text.split(".")[1]) < 2:
        text = f"{value:.2f}"  # money shows at least cents: $0.10, $2.50
    text = "$" + text
    return Markup(text)


def tokens(value: int | None) -> Markup:
    """Token counts: 131072 -> ``131k``, 1000000 -> ``1M``; unknown is an en dash."""
    if value is None:
        return Markup("–")
    if value >= 1_000_000 and value % 1_000_000 == 0:
        return Markup(f"{value // 1_000_000}M")
    if value >= 1_000_000:
        return Markup(f"{value / 1_000_000:.2g}M")
    if value >= 1000:
        return Markup(f"{round(value / 1000):,}k")
    return Markup(str(value))


def json_script(value: Any) -> Markup:
    """JSON safe to embed in a ``<script>`` element (no ``</script>`` or ``<!--`` can close it)."""
    text = json.dumps(value, sort_keys=True, ensure_ascii=True)
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return Markup(text)


def yaml_string(value: Any) -> Markup:
    """A front matter scalar, already HTML-escaped.

    MkDocs renders theme templates without autoescaping, and Material writes
    ``page.title`` and ``page.meta.description`` into the page as they are, so
    front matter from the data is escaped here. An ASCII JSON string is valid YAML, except
    that JSON spells a character outside the BMP (an emoji) as a surrogate pair, which strict
    YAML parsers (Zensical's) reject: those are written as YAML's ``\\UXXXXXXXX`` instead.
    """
    text = json.dumps(str(inert(value)), ensure_ascii=True)
    return Markup(_SURROGATE_PAIR.sub(_astral, text))


# inert() has turned every backslash of the data into an entity, so each \\u here is json's.
_SURROGATE_PAIR = re.compile(r"\\u(d[89ab][0-9a-f]{2})\\u(d[c-f][0-9a-f]{2})")


def _astral(match: re.Match[str]) -> str:
    high, low = int(match[1], 16) - 0xD800, int(match[2], 16) - 0xDC00
    return f"\\U{0x10000 + (high << 10) + low:08x}"


def environment(templates: Path) -> Environment:
    # Escaping is done by ``finalize`` on every expression (one str.translate per value),
    # which is what autoescape would do, minus a Markup round trip per value.
    env = Environment(
        loader=FileSystemLoader(str(templates)),
        autoescape=False,
        undefined=StrictUndefined,
        finalize=_finalize,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(
        price=price, tokens=tokens, inert=inert, json_script=json_script, yaml=yaml_string
    )
    env.globals["join_inert"] = join_inert
    return env


def join_inert(values: Iterable[Any], separator: str = ", ") -> Markup:
    return Markup(separator).join(inert(v) for v in values)
