"""Knollm as a Claif provider: the ``knollm`` entry point of the ``claif.plugins`` group.

Claif loads a provider by importing the module its entry point names (this one) and using the
OpenAI-shaped client it exposes. Here that client is a :class:`knollm.router.Router`, so
``client.chat.completions.create(model=..., messages=...)`` returns the OpenAI SDK's
``ChatCompletion`` (or a stream of ``ChatCompletionChunk``) from whichever provider answered.
``claif`` is not imported and not a dependency.

* ``get_client(**options)``: a new router with these options (see ``Router``), or, called without
  options, the shared default router (keys from the environment, the default catalog);
* ``client``: the shared default router, created on first access;
* ``create(**kwargs)``: ``client.chat.completions.create(**kwargs)``, for one-off calls.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from knollm.router import Router

PROVIDER = "knollm"
_default: Router | None = None
_lock = threading.Lock()


def get_client(**options: Any) -> Router:
    """A router: the shared default one without options, a new one with them."""
    from knollm.router import Router

    global _default
    if options:
        return Router(**options)
    with _lock:
        if _default is None:
            _default = Router()
        return _default


def create(**kwargs: Any) -> Any:
    """One chat completion through the default router."""
    return get_client().chat.completions.create(**kwargs)


def __getattr__(name: str) -> Any:
    if name == "client":
        return get_client()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
