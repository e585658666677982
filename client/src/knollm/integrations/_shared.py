"""What both framework adapters need: routers for sync and async calls, and route metadata."""

from __future__ import annotations

import asyncio
import weakref
from typing import Any

from knollm.router import AsyncRouter, Router, route_of
from knollm.router.multi import async_twin


class Routers:
    """A sync router and, per event loop, an async twin sharing its core (budget, health and
    totals are one), unless the caller gave an async router of their own."""

    def __init__(self, router: Router | None, async_router: AsyncRouter | None) -> None:
        self._router = router
        self._async = async_router
        self._twins: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, AsyncRouter] = (
            weakref.WeakKeyDictionary()
        )

    @property
    def sync(self) -> Router:
        if self._router is None:
            self._router = Router()
        return self._router

    @property
    def async_(self) -> AsyncRouter:
        if self._async is not None:
            return self._async
        loop = asyncio.get_running_loop()
        twin = self._twins.get(loop)
        if twin is None:
            twin = self._twins[loop] = async_twin(self.sync)
        return twin

    async def aclose(self) -> None:
        """Close the async twin of the running loop (not a router the caller gave)."""
        twin = self._twins.pop(asyncio.get_running_loop(), None)
        if twin is not None:
            await twin.close()


def route_metadata(response: Any) -> dict[str, Any]:
    """The answering offering, attempts and cost of a routed response or stream."""
    info = route_of(response)
    if info is None:
        return {}
    return {
        "answered_by": info.answered_by,
        "provider": info.provider,
        "model": info.model,
        "cost": info.cost,
        "knollm": info.as_dict(),
    }


def usage_counts(response: Any) -> tuple[int, int, int] | None:
    """(prompt, completion, cached) tokens of a routed response or finished stream."""
    info = route_of(response)
    if info is None or info.usage is None:
        return None
    u = info.usage
    return u.prompt_tokens, u.completion_tokens, u.cached_tokens


def openai_tool_choice(choice: Any) -> Any:
    """A framework's ``tool_choice`` as OpenAI's: ``any``/``required``/True -> ``required``, a
    tool name -> that function, ``auto``/``none``/dicts unchanged."""
    if choice is True or choice in ("any", "required"):
        return "required"
    if isinstance(choice, str) and choice not in ("auto", "none"):
        return {"type": "function", "function": {"name": choice}}
    return choice
