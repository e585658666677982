"""What counts as the same request: the canonical form a cache key is the SHA-256 of.

Two requests are the same when, at the same resolved offering (``provider:provider_model_id``),
their canonical forms are byte-identical. The canonical form is the request's keyword arguments
as sent to the provider (the router's own ``model``, ``strategy``, ``constraints`` and ``cache``
are not among them), with:

* left out, because they change how the answer travels, not what it says: ``stream``,
  ``stream_options``, ``timeout``, ``extra_headers`` (which may carry credentials), ``user``,
  ``metadata``, ``store``, ``service_tier``;
* every mapping's keys sorted, and keys whose value is ``None`` dropped (the SDK omits unset
  values; ``None`` and absent mean the same to the providers);
* numbers equal as numbers made equal: ``0``, ``0.0`` and ``-0.0`` are one value (a float that is
  a whole number is written as an integer);
* pydantic objects (an SDK message from a previous answer, say) taken as their JSON dump;
* everything else kept as given: message order, roles, text (whitespace and case included),
  content given as a string versus a list of parts, ``tools`` and their order, ``seed``,
  ``max_tokens`` versus ``max_completion_tokens``, ``n``, ``response_format``.

The form is JSON (UTF-8, no spaces) prefixed with a version, so a change of these rules makes
old entries unreachable rather than wrong.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping
from typing import Any

import orjson

VERSION = b"knollm-cache-1\n"
#: Request keywords that do not change the answer's content (see the module docstring).
IGNORED = frozenset(
    {
        "stream",
        "stream_options",
        "timeout",
        "extra_headers",
        "user",
        "metadata",
        "store",
        "service_tier",
    }
)


def _canonical(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {
            str(k): _canonical(v)
            for k, v in sorted(value.items(), key=lambda kv: str(kv[0]))
            if v is not None
        }
    if isinstance(value, list | tuple):
        return [_canonical(v) for v in value]
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if math.isfinite(value) and value.is_integer():
            return int(value)
        return value
    dump = getattr(value, "model_dump", None)
    if callable(dump):
        return _canonical(dump(mode="json", exclude_none=True))
    return str(value)


def canonical(params: Mapping[str, Any]) -> bytes:
    """The canonical form of a request's SDK keyword arguments (see the module docstring)."""
    kept = {k: v for k, v in params.items() if k not in IGNORED}
    return VERSION + orjson.dumps(_canonical(kept), option=orjson.OPT_SORT_KEYS)


def cache_key(offering: str, form: bytes) -> bytes:
    """The key of a request's canonical ``form`` at an offering (``provider:api-id``)."""
    return hashlib.sha256(offering.encode() + b"\n" + form).digest()


def deterministic(params: Mapping[str, Any]) -> bool:
    """Whether a request asks for one repeatable answer: ``temperature`` given and 0."""
    t = params.get("temperature")
    return isinstance(t, int | float) and not isinstance(t, bool) and t == 0
