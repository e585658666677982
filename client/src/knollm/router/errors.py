"""Errors the router raises itself; provider errors it does not retry are the SDK's own."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from knollm.router.accounting import Attempt


class RouterError(Exception):
    """Base class of the router's own errors."""


class NoCandidates(RouterError):
    """No offering can take the request: unknown model, no key, no compatible API, too small."""


class BudgetExceeded(RouterError):
    """Answering would spend past the router's budget, so nothing was sent."""


class AllCandidatesFailed(RouterError):
    """Every candidate was tried and failed with a retryable error; ``attempts`` says how."""

    def __init__(self, message: str, attempts: list[Attempt]) -> None:
        super().__init__(message)
        self.attempts = attempts
