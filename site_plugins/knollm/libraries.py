"""The library guide's pages: index (feature matrix, compatibility matrix, helper) and one page per review.

Reviews are the compile's (:mod:`knollm_build.libraries` loads and validates them once);
invalid files are reported by the compile and left out here. The "which library?"
helper's answers are computed at build time with :func:`knollm.recommend.recommend`
for every combination of its questions and shipped in a compact text form; the
page's script only looks them up. Everything from the files is escaped.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from itertools import product
from typing import Any

from knollm.recommend import recommend  # type: ignore[import-untyped,unused-ignore]
from markupsafe import Markup

from knollm_build.libraries import Library

INDEX = "libraries/index.md"
HELPER_TOP = 3
HELPER_PROVIDERS = 6
HELPER_MUST = ("", "structured_output", "tool_calling", "streaming", "retries")
USE_CASE_LABELS = {
    "chat": "Chat with a model",
    "structured-output": "Structured output into Pydantic models",
    "multi-provider": "One API across many providers",
    "agents": "Agents with tools",
    "rag": "Retrieval-augmented generation (RAG)",
    "minimal-dependencies": "The fewest dependencies",
    "async-streaming": "Async streaming",
    "local-models": "Local models (Ollama, vLLM, llama.cpp)",
    "prototyping": "Quick prototyping",
    "production": "Production services",
    "observability": "Observability and tracing",
    "prompt-optimisation": "Optimising prompts",
    "cli": "From the command line",
    "raw-http": "Raw HTTP, no SDK",
}
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_CODE_SPAN = re.compile(r"(`+)(?:.+?)\1", re.DOTALL)
_BAD_LINK = re.compile(r"\]\(\s*<?\s*(?:javascript|vbscript|data)\s*:", re.IGNORECASE)


def library_entries(libraries: list[Library]) -> list[dict[str, Any]]:
    """``[{id, meta, body}]`` of the compile's valid reviews (it reports the invalid ones)."""
    return [{"id": lib.info.id, "meta": lib.meta, "body": lib.body} for lib in libraries]


def safe_markdown(body: str) -> Markup:
    """A review body as Markdown with raw HTML and script links disabled; code is left alone."""
    out: list[str] = []
    fence: str | None = None
    for line in body.splitlines(keepends=True):
        match = _FENCE.match(line)
        if fence is not None:
            out.append(line)
            if match and match.group(1)[0] == fence[0] and len(match.group(1)) >= len(fence):
                fence = None
            continue
        if match:
            fence = match.group(1)
            out.append(line)
            continue
        pieces, last = [], 0
        for span in _CODE_SPAN.finditer(line):
            pieces.append(_inert_text(line[last : span.start()]))
            pieces.append(span.group(0))
            last = span.end()
        pieces.append(_inert_text(line[last:]))
        out.append("".join(pieces))
    return Markup("".join(out))


def _inert_text(text: str) -> str:
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = text.replace("{", "&#123;").replace("}", "&#125;")
    # "](javascript:" -> "]\\(javascript:": an escaped parenthesis makes no link, the text stays.
    return _BAD_LINK.sub(lambda m: "]\\" + m.group(0)[1:], text)


def _support(
    meta: dict[str, Any], provider_id: str, openai_compatible: bool
) -> tuple[str, str] | None:
    """(mark, meaning) of a library for a provider, or None when it cannot reach it."""
    if provider_id in meta["providers"]:
        return "●", "native"
    if openai_compatible and meta["any_openai_compatible"]:
        return "○", "via OpenAI-compatible base URL"
    return None


class LibraryPages:
    """Renders the library guide from the loaded reviews and the compiled catalog's providers."""

    def __init__(
        self,
        libraries: list[dict[str, Any]],
        providers: dict[str, dict[str, Any]],
        offerings_per_provider: dict[str, int],
        render: Callable[..., str],
        href: Callable[[str, str], str],
        provider_uri: Callable[[str], str],
        library_slug: Callable[[str], str],
    ) -> None:
        self.libraries = sorted(libraries, key=lambda lib: lib["id"])
        self.metas = [lib["meta"] for lib in self.libraries]
        self.providers = providers
        self.offerings = offerings_per_provider
        self.render = render
        self.href = href
        self.provider_uri = provider_uri
        self.uri = {lib["id"]: f"libraries/{library_slug(lib['id'])}.md" for lib in self.libraries}

    def pages(self) -> dict[str, str]:
        out = {self.uri[lib["id"]]: self.library_page(lib) for lib in self.libraries}
        out[INDEX] = self.index()
        return out

    # --- the index ---------------------------------------------------------------------------
    def index(self) -> str:
        from knollm_build.libraries import FEATURES

        rows = [
            {
                "name": m["name"],
                "href": self.href(INDEX, self.uri[m["id"]]),
                "category": m["category"],
                "rating": m["rating"],
                "dependencies": m["dependencies"],
                "package": m["pypi"],
                "features": [bool(m["features"][f]) for f in FEATURES],
            }
            for m in self.metas
        ]
        return self.render(
            "libraries_index.md.j2",
            rows=rows,
            features=[f.replace("_", " ") for f in FEATURES],
            compat=self.compatibility(),
            compat_libraries=[
                {"name": m["name"], "href": self.href(INDEX, self.uri[m["id"]])} for m in self.metas
            ],
            helper=self.helper() if self.metas else None,
            description=f"{len(rows)} Python libraries for calling LLM APIs: reviews, a feature "
            "matrix, provider compatibility and a helper to choose one.",
        )

    def compatibility(self) -> list[dict[str, Any]]:
        """One row per provider with offerings: each library's support for it."""
        rows = []
        for provider_id in sorted(self.providers):
            if not self.offerings.get(provider_id):
                continue
            provider = self.providers[provider_id]
            compatible = provider.get("openai_compatible") is True
            cells = []
            for meta in self.metas:
                support = _support(meta, provider_id, compatible)
                cells.append(support[0] if support else "")
            rows.append(
                {
                    "name": provider["name"],
                    "href": self.href(INDEX, self.provider_uri(provider_id)),
                    "cells": cells,
                    "count": sum(1 for mark in cells if mark),
                }
            )
        return rows

    def helper(self) -> dict[str, Any]:
        """The helper's questions and every combination's top answers, computed here."""
        native = {p for m in self.metas for p in m["providers"] if p in self.providers}
        popular = sorted(
            native,
            key=lambda p: (-sum(p in m["providers"] for m in self.metas), p),
        )[:HELPER_PROVIDERS]
        compatible = [p for p, v in self.providers.items() if v.get("openai_compatible") is True]
        uses = list(USE_CASE_LABELS)
        provider_options = [""] + sorted(popular, key=lambda p: self.providers[p]["name"].lower())
        answers: list[str] = []
        reasons: list[str] = []
        reason_ids: dict[str, int] = {}
        ids = [m["id"] for m in self.metas]
        for use, provider, asyncio, must in product(
            uses, provider_options, (False, True), HELPER_MUST
        ):
            features = [f for f in (("async" if asyncio else ""), must) if f]
            ranked = recommend(
                self.metas,
                use,
                features,
                [provider] if provider else [],
                openai_compatible_providers=compatible,
            )[:HELPER_TOP]
            entries = []
            for rec in ranked:
                numbers = []
                for reason in rec.reasons:
                    if reason not in reason_ids:
                        reason_ids[reason] = len(reasons)
                        reasons.append(reason)
                    numbers.append(str(reason_ids[reason]))
                entries.append(f"{ids.index(rec.id)} {rec.score:g} {'.'.join(numbers)}")
            answers.append(",".join(entries))
        default = answers[0]
        return {
            "questions": [
                {
                    "name": "use",
                    "label": "What do you need most?",
                    "options": [(u, USE_CASE_LABELS[u]) for u in uses],
                },
                {
                    "name": "provider",
                    "label": "Which provider will you call?",
                    "options": [("", "No preference")]
                    + [(p, self.providers[p]["name"]) for p in provider_options[1:]],
                },
                {
                    "name": "async",
                    "label": "Does your code run on asyncio?",
                    "options": [("no", "No"), ("yes", "Yes")],
                },
                {
                    "name": "must",
                    "label": "Must it also have…",
                    "options": [
                        ("", "Nothing else"),
                        ("structured_output", "Structured output"),
                        ("tool_calling", "Tool calling"),
                        ("streaming", "Streaming"),
                        ("retries", "Automatic retries"),
                    ],
                },
            ],
            "answers": ";".join(answers),
            # Plain JSON strings: the template escapes them into attributes like any other text.
            "reasons_json": json.dumps(reasons, ensure_ascii=False),
            "libraries_json": json.dumps(
                [
                    {"name": m["name"], "href": self.href(INDEX, self.uri[m["id"]])}
                    for m in self.metas
                ],
                ensure_ascii=False,
            ),
            "default": [
                {
                    "name": self.metas[int(i)]["name"],
                    "href": self.href(INDEX, self.uri[self.metas[int(i)]["id"]]),
                    "score": score,
                    "reasons": [reasons[int(r)] for r in rs.split(".") if r],
                }
                for i, score, rs in (e.split(" ") for e in default.split(",") if e)
            ],
        }

    # --- one library -------------------------------------------------------------------------
    def library_page(self, lib: dict[str, Any]) -> str:
        meta = lib["meta"]
        uri = self.uri[lib["id"]]
        facts = [
            ("Category", meta["category"]),
            ("Rating", f"{meta['rating']}/7 — {meta['rating_reason']}"),
            ("Package", meta["pypi"] or "not a Python package"),
            ("Version reviewed", meta["version"]),
            ("Licence", meta["license"]),
            ("Requires Python", meta["requires_python"]),
            ("Direct dependencies", meta["dependencies"]),
            ("Facts checked", meta["checked"]),
            ("Use cases", ", ".join(meta["use_cases"])),
        ]
        natives = [
            {
                "name": self.providers[p]["name"],
                "href": self.href(uri, self.provider_uri(p)),
            }
            for p in meta["providers"]
            if p in self.providers
        ]
        from knollm_build.libraries import FEATURES

        links = [
            (label, meta[key])
            for label, key in (("Home page", "homepage"), ("Repository", "repository"))
            if meta.get(key)
        ]
        neighbours = [
            {
                "name": self.libraries[[x["id"] for x in self.libraries].index(n)]["meta"]["name"],
                "href": self.href(uri, self.uri[n]),
            }
            for n in meta["neighbours"]
            if n in self.uri
        ]
        return self.render(
            "library.md.j2",
            meta=meta,
            facts=[(label, value) for label, value in facts if value not in (None, "")],
            links=links,
            features=[(f.replace("_", " "), bool(meta["features"][f])) for f in FEATURES],
            natives=natives,
            any_openai_compatible=meta["any_openai_compatible"],
            neighbours=neighbours,
            body=safe_markdown(lib["body"]),
            index_href=self.href(uri, INDEX),
            description=f"{meta['name']}: {meta['rating_reason']}",
        )
