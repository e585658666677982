"""Canonical model identity: which trained model a provider's id refers to.

The rules are data, in ``catalog/model_rules.toml`` (typed by
:mod:`knollm_build.rules_file`); this module compiles them once and applies them to ids.
See that file for the order of the steps. The result is cached per id, since the same id
recurs across sources.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import ValidationError

from knollm_build.catalog_errors import error_lines
from knollm_build.rules_file import RulesFile


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

    path: str
    strip_prefixes: re.Pattern[str]
    path_words: frozenset[str]
    region_prefixes: frozenset[str]
    dotted_vendor: re.Pattern[str]
    own_version: re.Pattern[str]
    variant_suffixes: list[tuple[re.Pattern[str], str, str, re.Pattern[str] | None]]
    snapshots: list[re.Pattern[str]]
    rewrites: list[tuple[re.Pattern[str], str, bool]]
    version_families: re.Pattern[str]
    version_separator: dict[str, str]
    instruct_only: list[tuple[re.Pattern[str], str]]
    sole_size: dict[str, str]
    known_labs: dict[str, str]
    tag_namespaces: dict[str, str]
    creator_by_prefix: dict[str, str]
    creator_prefix_lengths: list[int]
    """Distinct prefix lengths, longest first, so "gpt-oss" wins over "gpt-"."""
    aliases: dict[str, str]
    any_suffix: re.Pattern[str]
    """All variant and snapshot patterns in one: ids that match none skip the loop."""
    any_rewrite: re.Pattern[str]
    """All rewrite patterns in one: names that match none skip the loop."""
    last_resort: bool = True
    veto: frozenset[str] = frozenset()
    cache: dict[tuple[str, bool], Identity] = field(default_factory=dict)


class RulesError(ValueError):
    """The rules file is malformed; one line per problem, each naming file, entry and fix."""

    def __init__(self, lines: list[str]) -> None:
        super().__init__("\n".join(lines))
        self.lines = lines


BEDROCK_VERSION = re.compile(r"(?:-v(\d+)(?::(\d+))?|-(\d+):(\d+)|:(\d+))$")
"""Bedrock's ``-vN[:M]`` (or ``-N:M``, or a bare ``:M``) at the end of the model part."""
BARE_VERSION = re.compile(r"^[vr]\d")
"""A Bedrock model part that is only a version (``deepseek.v3.1``): the vendor names the family."""
SIZE = re.compile(r"(?<![0-9.])(\d+(?:\.\d+)?)b(?![a-z])")
"""A parameter count in a canonical id (``70b``, ``1.5b``, ``model7b``, ``a3b``'s ``3``)."""


def load_rules(path: Path) -> Rules:
    """Read, validate and compile ``model_rules.toml``; every problem is one line of the error."""
    shown = str(path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise RulesError([f"{shown}: cannot read: {exc}"]) from exc
    except tomllib.TOMLDecodeError as exc:
        raise RulesError([f"{shown}: invalid TOML: {exc}; fix: correct the syntax there"]) from exc
    try:
        spec = RulesFile.model_validate(raw)
    except ValidationError as exc:
        raise RulesError(error_lines(shown, exc, RulesFile)) from exc
    rules = compile_rules(spec, shown)
    problems = check_different(spec, rules)
    if problems:
        raise RulesError(problems)
    return rules


def _alternation(patterns: list[str]) -> str:
    return "|".join(f"(?:{p})" for p in patterns) or "(?!)"


def compile_rules(spec: RulesFile, path: str = "model_rules.toml") -> Rules:
    """Compile a validated rules file (patterns are known to compile)."""
    suffix_sources = [v.pattern for v in spec.variant_suffix] + [s.pattern for s in spec.snapshot]
    regions = spec.region_prefixes
    families = sorted(spec.version_family, key=lambda f: -len(f.stem))
    # stem, optional separator, major, then either a separated minor (1-2 digits) or, for
    # families whose numbers are single digits, a joined one; never a size (27b) or a date.
    family_pattern = (
        "^(?P<stem>"
        + "|".join(re.escape(f.stem) for f in families)
        + r")[-_ ]?(?P<major>\d)(?:[-_.](?P<minor>[1-9]\d|\d(?!\d))|(?P<joined>\d))?(?=$|[-_ :@/])"
        if families
        else "(?!)"
    )
    return Rules(
        path=path,
        strip_prefixes=re.compile(_alternation(spec.strip_prefixes).join(("^(?:", ")"))),
        path_words=frozenset(spec.path_words),
        region_prefixes=frozenset(regions),
        dotted_vendor=re.compile(
            "^(?:(?P<region>" + "|".join(map(re.escape, regions)) + r")\.)?"
            "(?P<vendor>" + "|".join(map(re.escape, spec.dotted_vendors)) + r")\.(?P<rest>.+)$"
        ),
        own_version=re.compile(_alternation(spec.bedrock.own_version)),
        variant_suffixes=[
            (
                re.compile(v.pattern),
                v.tag,
                v.keep,
                re.compile(v.unless) if v.unless else None,
            )
            for v in spec.variant_suffix
        ],
        snapshots=[re.compile(s.pattern) for s in spec.snapshot],
        rewrites=[(re.compile(r.pattern), r.replace, r.chat_default) for r in spec.rewrite],
        version_families=re.compile(family_pattern),
        version_separator={f.stem: f.separator for f in families}
        | {f"{f.stem}:joined": "yes" if f.joined else "" for f in families},
        instruct_only=[(re.compile(i.pattern), i.suffix) for i in spec.instruct_only],
        sole_size={entry.family: entry.size for entry in spec.sole_size},
        known_labs={k.lower(): v for k, v in spec.known_labs.items()},
        tag_namespaces={k.lower(): v for k, v in spec.tag_namespaces.items()},
        creator_by_prefix=dict(spec.creator_prefixes),
        creator_prefix_lengths=sorted({len(k) for k in spec.creator_prefixes}, reverse=True),
        aliases={k.lower(): v for k, v in spec.aliases.items()},
        any_suffix=re.compile(_alternation(suffix_sources)),
        any_rewrite=re.compile(_alternation([r.pattern for r in spec.rewrite])),
        last_resort=spec.last_resort.enabled,
        veto=frozenset(spec.last_resort.veto),
    )


def check_different(spec: RulesFile, rules: Rules) -> list[str]:
    """Refuse rules that join ids the file itself lists as different models."""
    problems = []
    for index, entry in enumerate(spec.different):
        seen: dict[str, str] = {}
        for provider_id in entry.ids:
            trace: list[str] = []
            model = _canonicalise(provider_id, rules, False, trace).model
            if model in seen:
                culprit = trace[-1] if trace else "(no rule: the ids are spelled the same)"
                problems.append(
                    f"{rules.path}: {culprit}: joins {seen[model]!r} and {provider_id!r} "
                    f"(both -> {model!r}), listed as different in different[{index}] "
                    f"({entry.why}); fix: narrow or remove {culprit}"
                )
            seen.setdefault(model, provider_id)
    return problems


SUFFIX_WINDOW = 32
"""Variant and snapshot patterns end at $ and are short: a match starts within this many characters of the end."""


def _strip_variants(name: str, rules: Rules, tags: list[str], trace: list[str] | None) -> str:
    if rules.any_suffix.search(name, max(0, len(name) - SUFFIX_WINDOW)) is None:
        return name
    changed = True
    while changed:
        changed = False
        for index, (pattern, tag, keep, unless) in enumerate(rules.variant_suffixes):
            match = pattern.search(name)
            if match is None or match.start() == 0:
                continue
            if unless is not None and unless.search(name[name.rfind("/") + 1 :]):
                continue
            if tag:
                tags.append(match.expand(tag.replace("{1}", r"\1")) if "{1}" in tag else tag)
            name = name[: match.start()] + keep
            changed = True
            if trace is not None:
                trace.append(f"variant_suffix[{index}]")
        for index, pattern in enumerate(rules.snapshots):
            match = pattern.search(name)
            if match is not None and match.start() > 0:
                tags.append("snapshot:" + "-".join(match.groups()))
                name = name[: match.start()]
                changed = True
                if trace is not None:
                    trace.append(f"snapshot[{index}]")
    return name


def _creator(namespace: str | None, name: str, rules: Rules) -> str | None:
    """Who made the model: the name's family when a lab (or nobody) publishes it, else the namespace.

    A lab publishing another lab's weights (NVIDIA's FP8 Llama) keeps the family's creator;
    any other namespace (a Hugging Face user or org) is the creator of its fine-tune.
    """
    if namespace and namespace not in rules.known_labs:
        return namespace
    family = _family_creator(name, rules)
    if family is not None:
        return family
    return rules.known_labs.get(namespace) if namespace else None


def _family_creator(name: str, rules: Rules) -> str | None:
    for length in rules.creator_prefix_lengths:
        creator = rules.creator_by_prefix.get(name[:length])
        if creator is not None:
            return creator
    return None


def _unwrap_lab(name: str, rules: Rules) -> str:
    """``zai-glm-4.7`` -> ``glm-4.7``: a lab's name joined to a family that lab makes."""
    for index, char in enumerate(name[:24]):
        if char not in "-_ ":
            continue
        lab = rules.known_labs.get(name[:index])
        if lab is None:
            continue
        rest = name[index + 1 :]
        if rest and _family_creator(rest, rules) == lab:
            return rest
    return name


def _respell_version(name: str, rules: Rules) -> str:
    """``gemini-2-5-pro``, ``gpt-54``, ``glm4.7`` -> the family's ``major.minor`` spelling."""
    match = rules.version_families.match(name)
    if match is None:
        return name
    stem, major, minor, joined = match.group("stem", "major", "minor", "joined")
    if joined is not None and not rules.version_separator.get(f"{stem}:joined"):
        return name
    number = major + (f".{minor or joined}" if (minor or joined) else "")
    return f"{stem}{rules.version_separator[stem]}{number}{name[match.end() :]}"


def _sole_size(name: str, sizes: dict[str, str]) -> str:
    """``nemotron-3-super`` or ``nemotron-3-super-120b`` -> ``nemotron-3-super-120b-a12b``.

    Only the bare name or the name with the first part of its size: any other word after the
    family (``nemotron-3-nano-omni``) makes it another model.
    """
    size = sizes.get(name)
    if size is not None:
        return f"{name}-{size}"
    family, _, last = name.rpartition("-")
    size = sizes.get(family)
    if size is not None and size != last and size.split("-")[0] == last:
        return f"{family}-{size}"
    return name


def _bedrock(rest: str, vendor: str, rules: Rules) -> str:
    """The model part of ``vendor.model[-vN[:M]]``: Bedrock's revision dropped, own versions kept."""
    match = BEDROCK_VERSION.search(rest)
    if match is not None and match.start() > 0:
        model = rest[: match.start()]
        major, minor = match.group(1), match.group(2)
        if match.group(3) is not None and re.search(r"-v\d+$", model):
            model += f"-{match.group(3)}"  # "rerank-v3-5:0": the -5 is v3's minor
        if major is not None and rules.own_version.search(model):
            rest = f"{model}-v{major}" + (f".{minor}" if minor and minor != "0" else "")
        else:
            rest = model
    if BARE_VERSION.match(rest):
        rest = f"{vendor}-{rest}"
    return rest


def canonicalise(provider_model_id: str, rules: Rules, base: bool = False) -> Identity:
    """The canonical identity of one provider model id.

    ``base`` says the source names the record a base (pre-trained) checkpoint, so rules that
    read a bare name as the chat model do not apply.
    """
    key = (provider_model_id, base)
    cached = rules.cache.get(key)
    if cached is not None:
        return cached
    identity = _canonicalise(provider_model_id, rules, base, None)
    rules.cache[key] = identity
    return identity


def _canonicalise(
    provider_model_id: str, rules: Rules, base: bool, trace: list[str] | None
) -> Identity:
    original = provider_model_id.strip()
    text = original.lower()
    tags: list[str] = []
    stripped = rules.strip_prefixes.sub("", text)
    if trace is not None and stripped != text:
        trace.append("strip_prefixes")
    text = stripped
    if text in rules.aliases:
        if trace is not None:
            trace.append(f"aliases[{text!r}]")
        target = rules.aliases[text]
        return Identity(target, (), _creator(None, target, rules))
    # Variant suffixes may sit on the whole path (":free", "/fp-8"), so strip them first.
    text = _strip_variants(text, rules, tags, trace)
    segments = [p.strip() for p in text.split("/") if p.strip()]
    parts = [p for p in segments if p not in rules.path_words]
    if not parts:
        return Identity(original.lower() or "unknown", (), None)
    name = parts[-1]
    if len(parts) != len(segments) and len(parts) > 2:
        parts = [parts[0], name]  # user/app/models/name: the user (org) is the publisher
    namespaces = []
    for part in parts[:-1]:
        if part in rules.region_prefixes:
            tags.append(f"region:{part}")
        elif part in rules.tag_namespaces:
            tags.append(rules.tag_namespaces[part])
        else:
            namespaces.append(re.sub(r"\s+\d+$", "", part).replace(" ", "-"))
    namespace = namespaces[-1] if namespaces else None
    # A Hugging Face repository id (org/Name in the repository's own capitals) names its checkpoint.
    repository = namespace is not None and original != original.lower()
    dotted = rules.dotted_vendor.match(name)
    if dotted:
        if dotted.group("region"):
            tags.append(f"region:{dotted.group('region')}")
        namespace = namespace or dotted.group("vendor")
        name = _bedrock(dotted.group("rest"), dotted.group("vendor"), rules)
        if trace is not None:
            trace.append("bedrock")
    elif ":" in name:
        # "claude-…-v1:0" without its vendor; a bare "-vN" (no colon) is a model's version.
        revision = BEDROCK_VERSION.search(name)
        bare_v = revision is not None and revision.group(2) is None and revision.group(1)
        if revision is not None and revision.start() > 0 and not bare_v:
            name = name[: revision.start()]
    if dotted or ":" in text:
        # With Bedrock's revision gone, a dated snapshot may now end the name.
        name = _strip_variants(name, rules, tags, trace)
    unwrapped = _unwrap_lab(name, rules)
    if trace is not None and unwrapped != name:
        trace.append("known_labs (lab-name prefix)")
    name = unwrapped
    chat = not base and not repository
    if rules.any_rewrite.search(name) is not None:
        for index, (pattern, replacement, chat_default) in enumerate(rules.rewrites):
            if (chat_default and not chat) or pattern.search(name) is None:
                continue
            name = pattern.sub(replacement, name)
            if trace is not None:
                trace.append(f"rewrite[{index}]")
    respelled = _respell_version(name, rules)
    if trace is not None and respelled != name:
        trace.append("version_family")
    name = respelled.strip("-") or respelled
    if rules.sole_size:
        sized = _sole_size(name, rules.sole_size)
        if trace is not None and sized != name:
            trace.append("sole_size")
        name = sized
    for pattern, suffix in rules.instruct_only:
        if pattern.match(name):
            name += suffix
            if trace is not None:
                trace.append("instruct_only")
            break
    if name in rules.aliases:
        if trace is not None:
            trace.append(f"aliases[{name!r}]")
        name = rules.aliases[name]
    # A namespace that is the family's own name (kimi/kimi-k2.6, grok/grok-4.3) is no publisher.
    if (
        namespace
        and namespace not in rules.known_labs
        and name.startswith(namespace)
        and _family_creator(namespace, rules) is not None
    ):
        namespace = None
    creator = _creator(namespace, name, rules)
    keep_namespace = namespace is not None and namespace not in rules.known_labs
    model = f"{namespace}/{name}" if keep_namespace else name
    return Identity(model, tuple(sorted(set(tags))), creator)


def parameter_counts(model_id: str) -> frozenset[str]:
    """Parameter counts written in a canonical id (``{"70"}`` for ``llama-3.3-70b-instruct``)."""
    return frozenset(SIZE.findall(model_id))
