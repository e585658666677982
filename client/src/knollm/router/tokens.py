"""Approximate prompt token counts, good enough to skip offerings whose context is too small.

Method: no tokenizer is loaded (they are large, model-specific and slow to import). Byte-pair
encoders used by current models average about four characters of English or code per token, and
about one token per character for CJK and other non-Latin scripts. So each text counts
``ceil(ascii_chars / 4) + non_ascii_chars``; every message adds 4 tokens of framing (role and
separators) and the reply primer adds 3, as in OpenAI's published counting recipe. Images count a
flat 765 tokens (a 1024x1024 high-detail image for GPT-4o-class models); tool schemas count by
their JSON text. Non-Latin text is deliberately overestimated rather than under: a false "too big"
only moves the request to a larger-context offering.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

PER_MESSAGE = 4
REPLY_PRIMER = 3
PER_IMAGE = 765


def text_tokens(text: str) -> int:
    """Approximate tokens in one string (see the module docstring for the method)."""
    if not text:
        return 0
    if text.isascii():
        return -(-len(text) // 4)
    ascii_chars = sum(1 for ch in text if ch < "\x80")
    return -(-ascii_chars // 4) + (len(text) - ascii_chars)


@dataclass(frozen=True, slots=True)
class PromptShape:
    """What a request needs from an offering: approximate input tokens and capabilities."""

    tokens: int
    images: int = 0
    tools: bool = False
    json_schema: bool = False


def _content_tokens(content: Any) -> tuple[int, int]:
    """Tokens and image count of one message's ``content`` (a string or a list of parts)."""
    if content is None:
        return 0, 0
    if isinstance(content, str):
        return text_tokens(content), 0
    tokens = images = 0
    if isinstance(content, Iterable):
        for part in content:
            if not isinstance(part, Mapping):
                continue
            kind = part.get("type")
            if kind == "text":
                tokens += text_tokens(str(part.get("text") or ""))
            elif kind in ("image_url", "input_image", "image"):
                images += 1
                tokens += PER_IMAGE
            else:
                tokens += text_tokens(json.dumps(part, default=str))
    return tokens, images


def shape(
    messages: Iterable[Mapping[str, Any]],
    tools: Any = None,
    functions: Any = None,
    response_format: Any = None,
) -> PromptShape:
    """Measure a chat request: approximate prompt tokens, images, tool and schema use."""
    total = REPLY_PRIMER
    images = 0
    for message in messages:
        total += PER_MESSAGE
        if not isinstance(message, Mapping):
            continue
        tokens, found = _content_tokens(message.get("content"))
        total += tokens
        images += found
        for extra in ("name", "tool_calls", "function_call"):
            if message.get(extra):
                value = message[extra]
                total += text_tokens(
                    value if isinstance(value, str) else json.dumps(value, default=str)
                )
    uses_tools = bool(tools) or bool(functions)
    for schema in (tools, functions):
        if schema:
            total += text_tokens(json.dumps(schema, default=str))
    wants_schema = (
        isinstance(response_format, Mapping) and response_format.get("type") == "json_schema"
    )
    return PromptShape(tokens=total, images=images, tools=uses_tools, json_schema=wants_schema)
