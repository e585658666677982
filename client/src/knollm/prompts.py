"""Prompt files for ``knollm ab run`` and ``knollm benchmark``: one JSON value per line (JSONL).

Each non-blank line is either a JSON string (the user's message) or an object with ``prompt``
(a string) or ``messages`` (an OpenAI-style message list), and optionally ``id`` (a string or a
number; default: the line number)::

    {"id": "capital", "prompt": "What is the capital of France? One word."}
    {"messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"}]}
    "Name three primes."
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson


class PromptFileError(ValueError):
    """A prompt file that cannot be read; the message names file, line and fix."""


@dataclass(frozen=True, slots=True)
class Prompt:
    """One prompt: its id and the messages to send."""

    id: str
    messages: list[dict[str, Any]]


def _messages(value: Any, where: str) -> list[dict[str, Any]]:
    if isinstance(value, str):
        return [{"role": "user", "content": value}]
    if not isinstance(value, dict):
        raise PromptFileError(
            f"{where}: expected a JSON string or object, got {type(value).__name__}"
        )
    if isinstance(value.get("prompt"), str):
        return [{"role": "user", "content": value["prompt"]}]
    messages = value.get("messages")
    if (
        isinstance(messages, list)
        and messages
        and all(isinstance(m, dict) and isinstance(m.get("role"), str) for m in messages)
    ):
        return messages
    raise PromptFileError(
        f'{where}: needs "prompt" (a string) or "messages" (a list of {{"role", "content"}})'
    )


def read_prompts(path: str | Path) -> list[Prompt]:
    """Every prompt in a JSONL file; :class:`PromptFileError` on the first bad line."""
    p = Path(path)
    try:
        lines = p.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise PromptFileError(f"{p}: cannot read ({exc.strerror or exc})") from None
    except UnicodeDecodeError:
        raise PromptFileError(f"{p}: not UTF-8 text") from None
    prompts: list[Prompt] = []
    seen: set[str] = set()
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        where = f"{p}:{n}"
        try:
            value = orjson.loads(line)
        except orjson.JSONDecodeError as exc:
            raise PromptFileError(f"{where}: not JSON ({exc})") from None
        pid = value.get("id", n) if isinstance(value, dict) else n
        if not isinstance(pid, str | int) or isinstance(pid, bool):
            raise PromptFileError(f"{where}: id must be a string or a number")
        pid = str(pid)
        if pid in seen:
            raise PromptFileError(f"{where}: duplicate id {pid!r}")
        seen.add(pid)
        prompts.append(Prompt(pid, _messages(value, where)))
    if not prompts:
        raise PromptFileError(f"{p}: no prompts (one JSON string or object per line)")
    return prompts
