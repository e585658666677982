"""Knollm for Claif users: a client shaped like the ones Claif constructs, and the older ``query``.

What Claif does, by release (checked against the published packages):

* claif 1.0.31 and later: ``ClaifClient`` builds a provider client (``ClaudeClient``,
  ``GeminiClient``, ...) and calls ``client.chat.completions.create(messages=..., model=...,
  **kwargs)``, forwarding every OpenAI keyword, ``NOT_GIVEN`` for those not set; it expects a
  ``ChatCompletion`` or an iterator of ``ChatCompletionChunk``. :class:`KnollmClient` has that
  shape: pass it wherever such a client goes.
* claif 1.0.30 and earlier: a provider module has ``async def query(prompt, options)`` yielding
  ``claif.common.types.Message``; :func:`query` here is that function.

No claif release discovers providers by entry point, and ``ClaifClient(provider=...)`` accepts
only its own providers, so Claif never loads knollm by itself: it is shape-compatible, not
plugged in. ``claif`` is not a dependency; :func:`query` yields Claif's own ``Message`` when
``claif.common.types`` can be imported, else a look-alike with the same fields.
"""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from openai.types.chat import ChatCompletion, ChatCompletionChunk

    from knollm.catalog import Catalog
    from knollm.router import Router

PROVIDER = "knollm"
_default: Router | None = None
_lock = threading.Lock()


class KnollmClient:
    """An OpenAI-shaped client over a :class:`knollm.router.Router`, as Claif's clients are.

    ``KnollmClient(api_key=None, **options)``: ``options`` are the Router's (``catalog``,
    ``strategy``, ``keys``, ``base_urls``, ``budget`` ...). The router keeps keys per provider,
    from each provider's environment variables or ``keys=``; a single ``api_key`` therefore needs
    ``provider=`` to say whose it is. ``router=`` wraps an existing router instead.
    """

    def __init__(
        self,
        api_key: str | None = None,
        *,
        provider: str | None = None,
        router: Router | None = None,
        **options: Any,
    ) -> None:
        if router is not None and (options or api_key):
            raise ValueError("KnollmClient: pass either router= or router options, not both")
        if api_key:
            if not provider:
                raise ValueError(
                    "KnollmClient: api_key needs provider= (knollm routes across providers and "
                    "keeps keys per provider; or set each provider's key variable, or keys=)"
                )
            keys = dict(options.pop("keys", None) or {})
            keys[provider] = api_key
            options["keys"] = keys
        if router is None:
            from knollm.router import Router

            router = Router(**options)
        self.router = router
        self.chat = _Chat(_Completions(router))

    def create(self, **kwargs: Any) -> ChatCompletion | Iterator[ChatCompletionChunk]:
        """``chat.completions.create(**kwargs)``, as ``ClaifClient.create``."""
        return self.chat.completions.create(**kwargs)

    def close(self) -> None:
        self.router.close()

    def __enter__(self) -> KnollmClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"KnollmClient({self.router!r})"


class _Completions:
    def __init__(self, router: Router) -> None:
        self._router = router

    def create(
        self, *, messages: Any, model: Any, **kwargs: Any
    ) -> ChatCompletion | Iterator[ChatCompletionChunk]:
        """Route one chat request; ``NOT_GIVEN`` (and ``omit``) keywords are left out."""
        return self._router.chat.completions.create(model=model, messages=messages, **kwargs)


class _Chat:
    def __init__(self, completions: _Completions) -> None:
        self.completions = completions


def get_client(**options: Any) -> KnollmClient:
    """A client: over the shared default router without options, over a new one with them."""
    if options:
        return KnollmClient(**options)
    return KnollmClient(router=default_router())


def default_router() -> Router:
    """The shared router (default catalog, keys from the environment), made on first use."""
    from knollm.router import Router

    global _default
    with _lock:
        if _default is None:
            _default = Router()
        return _default


def create(**kwargs: Any) -> Any:
    """One chat completion through the shared default router."""
    return default_router().chat.completions.create(**kwargs)


# -- claif <= 1.0.30: a provider module's query(prompt, options) -------------------------------


@dataclass
class TextBlock:
    """Same fields as ``claif.common.types.TextBlock``."""

    type: str = "text"
    text: str = ""


@dataclass
class Message:
    """Same fields as ``claif.common.types.Message`` (used when claif is not installed)."""

    role: str
    content: list[TextBlock] = field(default_factory=list)


def _message(text: str) -> Any:
    try:
        from claif.common.types import Message as ClaifMessage  # type: ignore[import-untyped]
        from claif.common.types import MessageRole
    except ImportError:
        return Message("assistant", [TextBlock(text=text)])
    return ClaifMessage(role=MessageRole.ASSISTANT, content=text)


async def query(
    prompt: str,
    options: Any = None,
    *,
    catalog: Catalog | None = None,
    **router_options: Any,
) -> AsyncIterator[Any]:
    """Answer ``prompt`` through an :class:`~knollm.router.AsyncRouter`, as claif <= 1.0.30's
    provider modules do, yielding one assistant ``Message`` with the whole answer.

    ``options`` is a ``ClaifOptions`` (or anything with its fields): ``model`` (required: a
    knollm model spec such as ``llama-3.3-70b-instruct`` or ``groq/llama-3.3-70b-versatile``),
    ``temperature``, ``max_tokens``, ``system_prompt`` and ``timeout`` are used; Claif's retry
    fields are not, since the router retries and falls back itself. ``catalog`` and
    ``router_options`` configure the router (default: the bundled catalog, keys from the
    environment).
    """
    from knollm.router import AsyncRouter

    model = getattr(options, "model", None)
    if not model:
        raise ValueError("knollm query: options.model is required (a knollm model spec)")
    messages: list[dict[str, Any]] = []
    system = getattr(options, "system_prompt", None)
    if system:
        messages.append({"role": "system", "content": system})
    messages.append({"role": "user", "content": prompt})
    params: dict[str, Any] = {}
    for name in ("temperature", "max_tokens", "timeout"):
        value = getattr(options, name, None)
        if value is not None:
            params[name] = value
    if catalog is None:
        catalog = default_router().catalog
    async with AsyncRouter(catalog, **router_options) as router:
        reply = await router.chat.completions.create(model=model, messages=messages, **params)
    yield _message(reply.choices[0].message.content or "")
