"""Canonical model identity: which trained model a provider's id refers to.

The rules are data, in ``catalog/model_rules.toml``; this module compiles them
once and applies them to ids. See that file for the order of the steps. The
result is cached per id, since the same id recurs across sources.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path


@dataclass(frozen=True, slots=True)
class Identity:
    """What an id resolves to."""

    model: str
    """Canonical model id."""
    variant: tuple[str, ...]
    """Variant tags taken off the id, sorted."""
    creator: str | None
    """Creator from the namespace or the name, if known."""


@dataclass(slots=True)
class Rules:
    """Compiled canonicalisation rules."""

    strip_prefixes: re.Pattern[str]
    region_prefixes: frozenset[str]
    dotted_vendor: re.Pattern[str]
    variant_suffixes: list[tuple[re.Pattern[str], str, str]]
    snapshots: list[re.Pattern[str]]
    rewrites: list[tuple[re.Pattern[str], str]]
    known_labs: dict[str, str]
    tag_namespaces: dict[str, str]
    creator_by_prefix: dict[str, str]
    creator_prefix_lengths: list[int]
    """Distinct prefix lengths, longest first, so "gpt-oss" wins over "gpt-"."""
    aliases: dict[str, str]
    any_suffix: re.Pattern[str]
    """All variant and snapshot patterns in one: ids that match none skip the loop."""
    any_rewrite_at_start: re.Pattern[str]
    """The rewrite patterns anchored with ^, in one (tried at position 0 only)."""
    any_rewrite_anywhere: re.Pattern[str]
    """The other rewrite patterns, in one."""
    cache: dict[str, Identity] = field(default_factory=dict)


class RulesError(ValueError):
    """The rules file is malformed; the message names the file and the entry."""


def load_rules(path: Path) -> Rules:
    """Read and compile ``model_rules.toml``."""
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise RulesError(f"{path}: {exc}") from exc

    def compile_(pattern: str, where: str) -> re.Pattern[str]:
        try:
            return re.compile(pattern)
        except re.error as exc:
            raise RulesError(
                f"{path}: {where}: invalid regular expression {pattern!r}: {exc}"
            ) from exc

    known_keys = {
        "strip_prefixes",
        "region_prefixes",
        "dotted_vendors",
        "variant_suffix",
        "snapshot",
        "rewrite",
        "tag_namespaces",
        "known_labs",
        "creator_prefixes",
        "aliases",
    }
    unknown = sorted(set(raw) - known_keys)
    if unknown:
        raise RulesError(
            f"{path}: unknown key(s) {', '.join(unknown)}; known: {', '.join(sorted(known_keys))}"
        )
    for key in ("strip_prefixes", "region_prefixes", "dotted_vendors"):
        if not isinstance(raw.get(key, []), list):
            raise RulesError(
                f"{path}: {key}: must be a list (is it below a [table] header by mistake?)"
            )
    suffix_sources = [v["pattern"] for v in raw.get("variant_suffix", [])] + [
        x["pattern"] for x in raw.get("snapshot", [])
    ]
    for pattern in suffix_sources:
        if not pattern.endswith("$"):
            raise RulesError(
                f"{path}: variant_suffix/snapshot pattern {pattern!r} must end with $ (they match the end of an id)"
            )
    rewrite_sources = [r["pattern"] for r in raw.get("rewrite", [])]
    prefixes = raw.get("strip_prefixes", [])
    vendors = raw.get("dotted_vendors", [])
    regions = raw.get("region_prefixes", [])
    return Rules(
        strip_prefixes=compile_(
            "^(?:" + "|".join(f"(?:{p})" for p in prefixes) + ")", "strip_prefixes"
        ),
        region_prefixes=frozenset(regions),
        dotted_vendor=compile_(
            "^(?:(?P<region>" + "|".join(map(re.escape, regions)) + r")\.)?"
            "(?P<vendor>" + "|".join(map(re.escape, vendors)) + r")\.(?P<rest>.+)$",
            "dotted_vendors",
        ),
        variant_suffixes=[
            (compile_(v["pattern"], f"variant_suffix[{i}]"), v.get("tag", ""), v.get("keep", ""))
            for i, v in enumerate(raw.get("variant_suffix", []))
        ],
        snapshots=[
            compile_(s["pattern"], f"snapshot[{i}]") for i, s in enumerate(raw.get("snapshot", []))
        ],
        rewrites=[
            (compile_(r["pattern"], f"rewrite[{i}]"), r["replace"])
            for i, r in enumerate(raw.get("rewrite", []))
        ],
        known_labs={k.lower(): v for k, v in raw.get("known_labs", {}).items()},
        tag_namespaces={k.lower(): v for k, v in raw.get("tag_namespaces", {}).items()},
        creator_by_prefix=dict(raw.get("creator_prefixes", {})),
        creator_prefix_lengths=sorted(
            {len(k) for k in raw.get("creator_prefixes", {})}, reverse=True
        ),
        aliases={k.lower(): v for k, v in raw.get("aliases", {}).items()},
        any_suffix=compile_(
            "|".join(f"(?:{p})" for p in suffix_sources) or "(?!)", "variant_suffix"
        ),
        any_rewrite_at_start=compile_(
            "|".join(f"(?:{p})" for p in rewrite_sources if p.startswith("^")) or "(?!)", "rewrite"
        ),
        any_rewrite_anywhere=compile_(
            "|".join(f"(?:{p})" for p in rewrite_sources if not p.startswith("^")) or "(?!)",
            "rewrite",
        ),
    )


SUFFIX_WINDOW = 32
"""Variant and snapshot patterns end at $ and are short: a match starts within this many characters of the end."""


def _strip_variants(name: str, rules: Rules, tags: list[str]) -> str:
    if rules.any_suffix.search(name, max(0, len(name) - SUFFIX_WINDOW)) is None:
        return name
    changed = True
    while changed:
        changed = False
        for pattern, tag, keep in rules.variant_suffixes:
            match = pattern.search(name)
            if match is None or match.start() == 0:
                continue
            if tag:
                tags.append(match.expand(tag.replace("{1}", r"\1")) if "{1}" in tag else tag)
            name = name[: match.start()] + keep
            changed = True
        for pattern in rules.snapshots:
            match = pattern.search(name)
            if match is not None and match.start() > 0:
                tags.append("snapshot:" + "-".join(match.groups()))
                name = name[: match.start()]
                changed = True
    return name


def _creator(namespace: str | None, name: str, rules: Rules) -> str | None:
    """Who made the model: the name's family when a lab (or nobody) publishes it, else the namespace.

    A lab publishing another lab's weights (NVIDIA's FP8 Llama) keeps the family's creator;
    any other namespace (a Hugging Face user or org) is the creator of its fine-tune.
    """
    if namespace and namespace not in rules.known_labs:
        return namespace
    for length in rules.creator_prefix_lengths:
        creator = rules.creator_by_prefix.get(name[:length])
        if creator is not None:
            return creator
    return rules.known_labs.get(namespace) if namespace else None


def canonicalise(provider_model_id: str, rules: Rules) -> Identity:
    """The canonical identity of one provider model id."""
    cached = rules.cache.get(provider_model_id)
    if cached is not None:
        return cached
    identity = _canonicalise(provider_model_id, rules)
    rules.cache[provider_model_id] = identity
    return identity


def _canonicalise(provider_model_id: str, rules: Rules) -> Identity:
    text = provider_model_id.strip().lower()
    tags: list[str] = []
    text = rules.strip_prefixes.sub("", text)
    if text in rules.aliases:
        target = rules.aliases[text]
        return Identity(target, (), _creator(None, target, rules))
    # Variant suffixes may sit on the whole path (":free", "/fp-8"), so strip them first.
    text = _strip_variants(text, rules, tags)
    parts = [p for p in text.split("/") if p]
    if not parts:
        return Identity(provider_model_id.strip().lower() or "unknown", (), None)
    name = parts[-1]
    namespace = parts[-2] if len(parts) > 1 else None
    if namespace in rules.region_prefixes and len(parts) > 2:
        tags.append(f"region:{namespace}")
        namespace = parts[-3]
    if namespace in rules.tag_namespaces:
        tags.append(rules.tag_namespaces[namespace])
        namespace = parts[-3] if len(parts) > 2 else None
    dotted = rules.dotted_vendor.match(name)
    if dotted:
        if dotted.group("region"):
            tags.append(f"region:{dotted.group('region')}")
        namespace = namespace or dotted.group("vendor")
        name = dotted.group("rest")
    # No second pass for variant suffixes: the name is a tail of the id, whose suffixes are already gone.
    if rules.any_rewrite_at_start.match(name) or rules.any_rewrite_anywhere.search(name):
        for pattern, replacement in rules.rewrites:
            name = pattern.sub(replacement, name)
    name = name.strip("-") or name
    if name in rules.aliases:
        name = rules.aliases[name]
    creator = _creator(namespace, name, rules)
    keep_namespace = namespace is not None and namespace not in rules.known_labs
    model = f"{namespace}/{name}" if keep_namespace else name
    return Identity(model, tuple(sorted(set(tags))), creator)


@lru_cache(maxsize=4)
def rules_from(path: str) -> Rules:
    """Compiled rules for a file path, compiled once per process."""
    return load_rules(Path(path))
