"""Price-table labels published under the id the API uses.

A price table (genai-prices) keys its prices by a label of its own: OpenRouter's
``noromaid-20b`` is called ``neversleep/noromaid-20b``, Fireworks' ``deepseek-r1-0528`` is
``accounts/fireworks/models/deepseek-r1-0528``. Before merging, each unlisted record whose id
no model list names at its provider takes the one listed id that (1) one of its ``equals``
match clauses gives, or else (2) ends with its label after a namespace. It then merges with
that offering. Records with no such id (retired ids kept for history, Bedrock's
``regional.*`` labels that stand for several regional ids) keep their label and stay unlisted.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from knollm_build.normalise import NormalRecord


def publish_api_ids(records: list[NormalRecord]) -> list[dict[str, Any]]:
    """Rename price-table records to the listed id they stand for (in place); the renames."""
    listed: dict[str, dict[str, NormalRecord]] = defaultdict(dict)
    by_tail: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for record in records:
        if record.raw.listed:
            key = record.raw.provider_model_id.lower()
            listed[record.provider].setdefault(key, record)
            if "/" in key:
                by_tail[record.provider][key.rsplit("/", 1)[-1]].add(key)
    renames = []
    for record in records:
        if record.raw.listed:
            continue
        at = listed.get(record.provider)
        label = record.raw.provider_model_id
        if not at or label.lower() in at:
            continue
        how = "match clause"
        found = [i.lower() for i in record.raw.api_ids if i.lower() in at][:1]
        if not found:
            how = "listed id ending with /label"
            found = sorted(by_tail[record.provider].get(label.lower(), ()))
        if len(found) != 1:
            continue
        target = at[found[0]]
        record.raw.provider_model_id = target.raw.provider_model_id
        record.model, record.creator = target.model, target.creator
        record.variant = tuple(sorted(set(record.variant) | set(target.variant)))
        renames.append(
            {
                "provider": record.provider,
                "label": label,
                "provider_model_id": target.raw.provider_model_id,
                "source": record.raw.source,
                "how": how,
            }
        )
    return sorted(renames, key=lambda r: (r["provider"], r["label"]))


def unlisted_offerings(records: list[NormalRecord]) -> list[str]:
    """``provider/id`` of every offering that no model list names (only price tables do)."""
    listed: set[tuple[str, str]] = set()
    every: dict[tuple[str, str], str] = {}
    for record in records:
        key = (record.provider, record.raw.provider_model_id.lower())
        every.setdefault(key, f"{record.provider}/{record.raw.provider_model_id}")
        if record.raw.listed:
            listed.add(key)
    return sorted(name for key, name in every.items() if key not in listed)
