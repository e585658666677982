"""How each model-list endpoint is called: where the key goes, how pages chain, how they merge.

A :class:`Style` is picked per provider (by id, then by ``api_style`` in
``catalog/providers/<id>.toml``); anything else is OpenAI-compatible: ``Authorization:
Bearer`` and one page. Paginated answers are merged back into one document in the
provider's own shape, so the compiler reads a fetched dump exactly like a captured one.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from knollm_build.sources.shapes import detect

ANTHROPIC_VERSION = "2023-06-01"
"""Value of the ``anthropic-version`` header Anthropic's API requires."""

MAX_PAGES = 200
"""A paginated list longer than this is treated as a broken cursor, not fetched forever."""


class PageError(Exception):
    """A page does not have the shape its style expects."""


def _no_next(page: Any) -> dict[str, str] | None:
    return None


def _only_page(pages: list[Any]) -> Any:
    return pages[0]


def _any_page(page: Any) -> str | None:
    return None


def _list_page(key: str) -> Callable[[Any], str | None]:
    def check(page: Any) -> str | None:
        if isinstance(page, dict) and isinstance(page.get(key), list):
            return None
        return f'expected an object with a "{key}" list'

    return check


def _token_cursor(token_key: str, param: str) -> Callable[[Any], dict[str, str] | None]:
    """Next page from a token field (Gemini ``nextPageToken``, Cohere ``next_page_token``)."""

    def next_params(page: Any) -> dict[str, str] | None:
        token = page.get(token_key)
        if token is None or token == "":
            return None
        if not isinstance(token, str):
            raise PageError(f'"{token_key}" is not a string')
        return {param: token}

    return next_params


def _anthropic_next(page: Any) -> dict[str, str] | None:
    """Anthropic: ``has_more`` true -> ask for the models after ``last_id``."""
    if page.get("has_more") is not True:
        return None
    last = page.get("last_id")
    if not isinstance(last, str) or not last:
        raise PageError('"has_more" is true but "last_id" is missing')
    return {"after_id": last}


def _merge_anthropic(pages: list[Any]) -> dict[str, Any]:
    return {
        "data": [entry for page in pages for entry in page["data"]],
        "has_more": False,
        "first_id": pages[0].get("first_id"),
        "last_id": pages[-1].get("last_id"),
    }


def _merge_models(pages: list[Any]) -> dict[str, Any]:
    return {"models": [entry for page in pages for entry in page["models"]]}


@dataclass(frozen=True, slots=True)
class Style:
    """One way of calling a model-list endpoint."""

    name: str
    auth: str
    """Where the key goes: ``bearer``, ``x-api-key`` (+ version header), ``query``,
    ``xi-api-key``, ``token`` or ``none``."""
    first_params: Mapping[str, str] = field(default_factory=dict)
    """Query parameters of every request (page size)."""
    check_page: Callable[[Any], str | None] = _any_page
    """A page's shape problem, or None."""
    next_params: Callable[[Any], dict[str, str] | None] = _no_next
    """Parameters for the page after this one, or None when it is the last."""
    merge: Callable[[list[Any]], Any] = _only_page
    """All pages -> one document in the provider's shape."""


BEARER = Style("openai", "bearer")
PUBLIC = Style("public", "none")
ANTHROPIC = Style(
    "anthropic",
    "x-api-key",
    {"limit": "1000"},
    _list_page("data"),
    _anthropic_next,
    _merge_anthropic,
)
GOOGLE = Style(
    "google",
    "query",
    {"pageSize": "1000"},
    _list_page("models"),
    _token_cursor("nextPageToken", "pageToken"),
    _merge_models,
)
COHERE = Style(
    "cohere",
    "bearer",
    {"page_size": "1000"},
    _list_page("models"),
    _token_cursor("next_page_token", "page_token"),
    _merge_models,
)
ELEVENLABS = Style("elevenlabs", "xi-api-key")
DEEPGRAM = Style("deepgram", "token")

BY_API_STYLE: dict[str, Style] = {"anthropic": ANTHROPIC, "google": GOOGLE, "cohere": COHERE}
BY_PROVIDER: dict[str, Style] = {"elevenlabs": ELEVENLABS, "deepgram": DEEPGRAM}

PUBLIC_LISTS = frozenset({"openrouter", "pollinations"})
"""Providers whose model list answers without a key; it is fetched without one."""


def style_for(provider_id: str, api_style: str | None) -> Style:
    """The style for a provider: its own entry, else its ``api_style``'s, else Bearer."""
    if provider_id in PUBLIC_LISTS:
        return PUBLIC
    return BY_PROVIDER.get(provider_id) or BY_API_STYLE.get(api_style or "") or BEARER


def auth_parts(style: Style, key: str | None) -> tuple[dict[str, str], dict[str, str]]:
    """(headers, query parameters) that carry ``key`` in this style; nothing without a key."""
    if not key or style.auth == "none":
        return {}, {}
    if style.auth == "x-api-key":
        return {"x-api-key": key, "anthropic-version": ANTHROPIC_VERSION}, {}
    if style.auth == "query":
        return {}, {"key": key}
    if style.auth == "xi-api-key":
        return {"xi-api-key": key}, {}
    if style.auth == "token":
        return {"Authorization": f"Token {key}"}, {}
    return {"Authorization": f"Bearer {key}"}, {}


# --------------------------------------------------------------------------- answer checks


def check_model_list(doc: Any) -> str | None:
    """Why the compiler could not read this as a model list, or None."""
    shape = detect(doc)
    if shape is None:
        return "answer has a shape the compiler cannot read (not a model list)"
    if shape.name == "litellm-map":
        return "answer looks like a LiteLLM price map, not a model list"
    return None


def check_models_dev(doc: Any) -> str | None:
    """A models.dev ``api.json``: an object of providers, each with a ``models`` object."""
    if not isinstance(doc, dict) or not doc:
        return "expected a non-empty object keyed by provider id"
    if not any(isinstance(p, dict) and isinstance(p.get("models"), dict) for p in doc.values()):
        return 'no provider entry has a "models" object'
    return None


def check_litellm(doc: Any) -> str | None:
    """LiteLLM's price map: an object keyed by model id with a ``sample_spec`` entry."""
    if not isinstance(doc, dict) or "sample_spec" not in doc:
        return 'expected an object keyed by model id with a "sample_spec" entry'
    return None


def count_entries(doc: Any) -> int:
    """Models in a fetched document, for the summary."""
    if check_models_dev(doc) is None and detect(doc) is None:
        return sum(len(p.get("models") or {}) for p in doc.values() if isinstance(p, dict))
    shape = detect(doc)
    if shape is None:
        return 0
    return sum(1 for _ in shape.entries(doc))
