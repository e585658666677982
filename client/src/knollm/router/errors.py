"""Errors the router raises itself; provider errors it does not retry are the SDK's own."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import httpx
import openai

if TYPE_CHECKING:
    from knollm.router.accounting import Attempt


class RouterError(Exception):
    """Base class of the router's own errors."""


class NoCandidates(RouterError):
    """No offering can take the request: unknown model, no key, no compatible API, too small."""


class BudgetExceeded(RouterError):
    """Answering would spend past a budget, so nothing was sent.

    ``budget`` names the budget that refused: ``"budget"`` (the router's running budget) or a
    configured one such as ``"budgets.daily"`` or ``"budgets.providers.groq.monthly"``;
    ``limit`` and ``spent`` are in USD (``spent`` in the budget's window), ``window`` is
    ``daily``, ``monthly`` or None, ``provider`` the provider a per-provider budget covers."""

    def __init__(
        self,
        message: str,
        *,
        budget: str = "budget",
        limit: float | None = None,
        spent: float | None = None,
        window: str | None = None,
        provider: str | None = None,
    ) -> None:
        super().__init__(message)
        self.budget, self.limit, self.spent = budget, limit, spent
        self.window, self.provider = window, provider


class AllCandidatesFailed(RouterError):
    """Every candidate was tried and failed with a retryable error; ``attempts`` says how."""

    def __init__(self, message: str, attempts: list[Attempt]) -> None:
        super().__init__(message)
        self.attempts = attempts


class StreamInterrupted(RouterError, openai.APIConnectionError):
    """A stream ended without finishing: the connection closed before every choice had a
    ``finish_reason`` (no ``[DONE]``), or before the first chunk. The answer is truncated, so
    this is raised rather than a normal end. It is an ``openai.APIConnectionError`` too, so code
    that handles the SDK's connection errors handles it. ``request`` carries no credentials."""

    def __init__(self, message: str, stream: Any = None) -> None:
        sent = getattr(getattr(stream, "response", None), "request", None)
        if sent is not None and hasattr(sent, "url"):
            request = type(sent)(sent.method, sent.url)  # httpx or httpx2, without credentials
        else:
            request = httpx.Request("POST", "http://127.0.0.1/")
        openai.APIConnectionError.__init__(self, message=message, request=request)
