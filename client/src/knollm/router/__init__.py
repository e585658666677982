"""Route OpenAI-style chat requests across the catalog's providers, with fallback and accounting.

>>> from knollm.router import Router
>>> router = Router(strategy="cheapest", budget=5.0)  # doctest: +SKIP
>>> reply = router.chat.completions.create(  # doctest: +SKIP
...     model="llama-3.3-70b-instruct", messages=[{"role": "user", "content": "Hi"}])
>>> reply.knollm.answered_by, reply.knollm.cost  # doctest: +SKIP
"""

from knollm.router.accounting import Attempt, Ledger, RouteInfo, Totals, Usage
from knollm.router.errors import (
    AllCandidatesFailed,
    BudgetExceeded,
    NoCandidates,
    RouterError,
    StreamInterrupted,
)
from knollm.router.multi import Answer, Consensus, DeadlineExceeded, FanOut, normalise
from knollm.router.router import AsyncRouter, Router, route_of
from knollm.router.strategies import STRATEGIES
from knollm.router.streams import AsyncRoutedStream, RoutedStream

__all__ = [
    "STRATEGIES",
    "AllCandidatesFailed",
    "Answer",
    "AsyncRoutedStream",
    "AsyncRouter",
    "Attempt",
    "BudgetExceeded",
    "Consensus",
    "DeadlineExceeded",
    "FanOut",
    "Ledger",
    "NoCandidates",
    "RouteInfo",
    "RoutedStream",
    "Router",
    "RouterError",
    "StreamInterrupted",
    "Totals",
    "Usage",
    "normalise",
    "route_of",
]
