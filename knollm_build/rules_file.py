"""The strict pydantic model of ``catalog/model_rules.toml``.

Every section and entry is typed and closed (``extra="forbid"``); regular expressions are
compiled here so a bad one is reported with its entry, and patterns that must match the end
of an id are checked to end with ``$``. :func:`knollm_build.canonical.load_rules` turns a
validated :class:`RulesFile` into compiled rules.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator


def _regex(value: str) -> str:
    try:
        re.compile(value)
    except re.error as exc:
        raise ValueError(
            f"invalid regular expression {value!r}: {exc}; fix: correct the pattern "
            "(TOML basic strings need \\\\ for one backslash)"
        ) from exc
    return value


def _end_anchored(value: str) -> str:
    _regex(value)
    if not value.endswith("$"):
        raise ValueError(
            f"pattern {value!r} must end with $ (these match the end of an id); "
            "fix: append $ to the pattern"
        )
    return value


class _Entry(BaseModel):
    model_config = ConfigDict(
        extra="forbid", use_attribute_docstrings=True, frozen=True, strict=True
    )


class VariantSuffix(_Entry):
    """``[[variant_suffix]]``: a serving tag at the end of an id, taken off and kept as a variant."""

    pattern: str
    """Regular expression matched at the end of the id (must end with ``$``)."""
    tag: str = ""
    """Variant tag recorded (``{1}`` is the first group); empty records nothing."""
    keep: str = ""
    """Text put back in place of the match (``b`` for ``70b-versatile``)."""
    unless: str | None = None
    """Names matching this regular expression keep the suffix: it is part of their name."""

    @field_validator("pattern")
    @classmethod
    def _pattern(cls, value: str) -> str:
        return _end_anchored(value)

    @field_validator("unless")
    @classmethod
    def _unless(cls, value: str | None) -> str | None:
        return None if value is None else _regex(value)


class Snapshot(_Entry):
    """``[[snapshot]]``: a dated snapshot suffix; the same model, tagged ``snapshot:<date>``."""

    pattern: str
    """Regular expression with the date's parts as groups (must end with ``$``)."""

    @field_validator("pattern")
    @classmethod
    def _pattern(cls, value: str) -> str:
        return _end_anchored(value)


class Rewrite(_Entry):
    """``[[rewrite]]``: a spelling normalisation applied to the name, in file order."""

    pattern: str
    """Regular expression (Python ``re`` syntax)."""
    replace: str
    """Replacement (``\\1`` for groups)."""
    chat_default: bool = False
    """Applies only to a host's short name for a chat endpoint: not to a Hugging Face
    repository id (which names its checkpoint exactly) nor to a record its source names base."""

    @field_validator("pattern")
    @classmethod
    def _pattern(cls, value: str) -> str:
        return _regex(value)


class VersionFamily(_Entry):
    """``[[version_family]]``: a family whose release number is ``major.minor``.

    ``gemini-2-5-pro``, ``gemini_2_5_pro`` and ``gemini-25-pro`` all become ``gemini-2.5-pro``.
    """

    stem: str
    """The family's name before its number (``gemini``, ``minimax-m``, ``claude-opus``)."""
    separator: Literal["-", "", "."] = "-"
    """What the canonical id puts between the stem and the number (``qwen3.6`` has none)."""
    joined: bool = True
    """``gpt-54`` means 5.4: a two-digit number with nothing between is major and minor."""

    @field_validator("stem")
    @classmethod
    def _stem(cls, value: str) -> str:
        if not re.fullmatch(r"[a-z][a-z0-9.-]*", value):
            raise ValueError(
                f"stem {value!r} must be lower-case letters, digits, dots and dashes; "
                "fix: write the family's name as it appears in canonical ids"
            )
        return value


class InstructOnly(_Entry):
    """``[[instruct_only]]``: models the lab ships only as the instruct (chat) variant.

    A host that omits ``-instruct`` / ``-it`` for these means that variant.
    """

    pattern: str
    """Regular expression matching the whole bare name (``^llama-3\\.3-70b$``)."""
    suffix: Literal["-instruct", "-it"] = "-instruct"
    """What the lab's own name ends with."""

    @field_validator("pattern")
    @classmethod
    def _pattern(cls, value: str) -> str:
        return _regex(value)


class SoleSize(_Entry):
    """``[[sole_size]]``: a model the lab ships in one size only; hosts that omit the size (or
    its active-parameter part) mean that one: ``nemotron-3-super`` and ``nemotron-3-super-120b``
    are ``nemotron-3-super-120b-a12b``."""

    family: str
    """The name without its size (``nemotron-3-super``), as canonical ids spell it."""
    size: str
    """The size part the lab's name carries (``120b-a12b``)."""

    @field_validator("family", "size")
    @classmethod
    def _lower(cls, value: str) -> str:
        if not re.fullmatch(r"[a-z0-9][a-z0-9.-]*", value):
            raise ValueError(
                f"{value!r} must be lower-case letters, digits, dots and dashes; "
                "fix: write it as canonical ids spell it"
            )
        return value


class Bedrock(_Entry):
    """``[bedrock]``: how ``[region.]vendor.model[-vN[:M]]`` ids are read."""

    own_version: list[str] = []
    """Model names (before ``-vN``) whose ``vN`` is the model's own version, kept with
    ``:M`` as its minor (``claude-v2:1`` is Claude 2.1); elsewhere ``-vN[:M]`` is Bedrock's
    revision of the API id and is dropped."""

    @field_validator("own_version")
    @classmethod
    def _patterns(cls, values: list[str]) -> list[str]:
        return [_regex(v) for v in values]


class Different(_Entry):
    """``[[different]]``: ids known to name different models; no rule may join them."""

    ids: list[str] = Field(min_length=2)
    """Provider model ids (as a host writes them) that must stay different models."""
    why: str
    """What tells them apart (a new checkpoint, a size, a distillation)."""


class LastResort(_Entry):
    """``[last_resort]``: the punctuation-blind matcher for ids no rule maps."""

    enabled: bool = True
    """Off: no fuzzy joins at all."""
    veto: list[str] = []
    """Canonical ids (as first computed) that must not be joined to anything."""


class RulesFile(BaseModel):
    """``catalog/model_rules.toml``: every section the canonicaliser reads."""

    model_config = ConfigDict(
        extra="forbid", use_attribute_docstrings=True, frozen=True, strict=True
    )

    strip_prefixes: list[str] = []
    """Regular expressions removed from the start of an id before anything else."""
    path_words: list[str] = []
    """Path segments that are a host's structure (``models``, ``chat-completion``): dropped."""
    region_prefixes: list[str] = []
    """Region words used as Bedrock prefixes or path segments (``us``, ``global-standard``)."""
    dotted_vendors: list[str] = []
    """Bedrock-style ``vendor.model`` prefixes."""
    bedrock: Bedrock = Bedrock()
    variant_suffix: list[VariantSuffix] = []
    snapshot: list[Snapshot] = []
    rewrite: list[Rewrite] = []
    version_family: list[VersionFamily] = []
    instruct_only: list[InstructOnly] = []
    sole_size: list[SoleSize] = []
    tag_namespaces: dict[str, str] = {}
    """Path segments that say how a model is served: dropped, kept as a variant tag."""
    known_labs: dict[str, str] = {}
    """Namespaces that are the model's own publisher: dropped, mapped to a creator."""
    creator_prefixes: dict[str, str] = {}
    """Creators guessed from the start of a canonical name."""
    aliases: dict[str, str] = {}
    """Genuinely irregular names: provider id (lower case, after strip_prefixes) -> canonical."""
    different: list[Different] = []
    last_resort: LastResort = LastResort()

    @field_validator("strip_prefixes")
    @classmethod
    def _prefixes(cls, values: list[str]) -> list[str]:
        return [_regex(v) for v in values]
