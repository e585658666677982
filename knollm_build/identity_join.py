"""The last-resort matcher: ids no rule maps, joined by their punctuation-free form.

After the rules in ``catalog/model_rules.toml`` have run, a canonical id served by a single
provider and written without a namespace is "unmapped". When its form without punctuation
(``gemini25flash``) equals the last segment of exactly one model served by two or more
providers, it joins that model. Each join is listed in ``report.json`` (``identity_joins``)
with how it was made, and can be vetoed in ``[last_resort] veto``. A join that would make a
model's offerings span different parameter counts (``qwen-1-5b`` vs ``qwen-15b``) is not made
and is listed as refused. Different checkpoints (``r1`` / ``r1-0528``), base and instruct and
distillations never have equal forms, so they are never candidates.
"""

from __future__ import annotations

import re
from collections import defaultdict
from typing import Any

from knollm_build.canonical import Rules, parameter_counts
from knollm_build.normalise import NormalRecord

_PUNCTUATION = re.compile(r"[^a-z0-9]+")
HOW = "punctuation-free form equals the last segment of exactly one model with 2+ hosts"


def squash(model_id: str) -> str:
    """``gemini-2-5-flash`` -> ``gemini25flash``."""
    return _PUNCTUATION.sub("", model_id.rsplit("/", 1)[-1].lower())


def join_last_resort(records: list[NormalRecord], rules: Rules) -> list[dict[str, Any]]:
    """Join unmapped ids to the one multi-host model they spell (records changed in place).

    Returns one entry per join made or refused, sorted, for the report.
    """
    if not rules.last_resort:
        return []
    hosts: dict[str, set[str]] = defaultdict(set)
    creators: dict[str, str] = {}
    for record in records:
        hosts[record.model].add(record.provider)
        if record.creator and record.model not in creators:
            creators[record.model] = record.creator
    targets: dict[str, list[str]] = defaultdict(list)
    for model, served_by in hosts.items():
        if len(served_by) >= 2:
            targets[squash(model)].append(model)
    joined: dict[str, str] = {}
    report: list[dict[str, Any]] = []
    for model, served_by in hosts.items():
        if len(served_by) != 1 or "/" in model or model in rules.veto:
            continue
        found = [t for t in targets.get(squash(model), ()) if t != model]
        if len(found) != 1:
            continue
        target = found[0]
        entry: dict[str, Any] = {"model": model, "joined_to": target, "how": HOW}
        if parameter_counts(model) != parameter_counts(target):
            entry["refused"] = (
                f"parameter counts differ ({', '.join(sorted(parameter_counts(model))) or 'none'}"
                f" vs {', '.join(sorted(parameter_counts(target))) or 'none'})"
            )
        else:
            joined[model] = target
        entry["offerings"] = []
        report.append(entry)
    by_model = {entry["model"]: entry for entry in report}
    for record in records:
        hit = by_model.get(record.model)
        if hit is None:
            continue
        hit["offerings"].append(f"{record.provider}/{record.raw.provider_model_id}")
        joined_to = joined.get(record.model)
        if joined_to is not None:
            record.model = joined_to
            record.creator = creators.get(target, record.creator)
    for entry in report:
        entry["offerings"] = sorted(set(entry["offerings"]))
    return sorted(report, key=lambda e: e["model"])
