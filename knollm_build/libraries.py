"""Library reviews in ``catalog/libraries/<id>.md``: the front matter contract and its loader.

Each file is YAML front matter (between ``---`` lines) and a Markdown review. The
front matter is validated by :class:`LibraryInfo` (unknown keys are errors); the id
comes from the file name and must equal the ``id`` field. Cross checks run after
every file is read: neighbours must be reviewed libraries, providers must be
providers of the compiled catalog. Problems are collected, never raised, each one
naming the file and the field.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, StrictBool, ValidationError, model_validator

from knollm_build.records import Problem

# PyYAML's safe loader, through libyaml when the wheel has it (about 10x faster).
SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _safe_load(text: str) -> Any:
    """YAML through the fast safe loader; a document it rejects is read again by the Python one,
    whose error messages are the clearer ones."""
    try:
        return yaml.load(text, Loader=SAFE_LOADER)  # noqa: S506 - a safe loader
    except yaml.YAMLError:
        return yaml.safe_load(text)


Category = Literal[
    "raw-http", "official-sdk", "unifier", "structured-output", "framework", "gateway", "tool"
]
"""What kind of library it is."""

UseCase = Literal[
    "chat",
    "structured-output",
    "multi-provider",
    "agents",
    "rag",
    "minimal-dependencies",
    "async-streaming",
    "local-models",
    "prototyping",
    "production",
    "observability",
    "prompt-optimisation",
    "cli",
    "raw-http",
]
"""What a developer wants to do; the recommendation engine ranks libraries for one of these."""

USE_CASES: tuple[str, ...] = UseCase.__args__  # type: ignore[attr-defined]
CATEGORIES: tuple[str, ...] = Category.__args__  # type: ignore[attr-defined]

_ID = r"^[a-z0-9][a-z0-9.-]*$"
_URL = r"^https?://[^\s\"'<>]+$"
_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?\n)---[ \t]*(?:\n|\Z)", re.S)

Text = Annotated[str, Field(min_length=1, strict=True)]
Short = Annotated[str, Field(min_length=1, max_length=200, strict=True)]


class _Strict(BaseModel):
    model_config = ConfigDict(
        extra="forbid", use_attribute_docstrings=True, populate_by_name=True, frozen=True
    )


class LibraryFeatures(_Strict):
    """What the library does out of the box; every flag is required."""

    sync: StrictBool
    """Has a blocking (synchronous) API."""
    async_: StrictBool = Field(alias="async")
    """Has an asyncio API."""
    streaming: StrictBool
    """Streams responses token by token."""
    tool_calling: StrictBool
    """Supports tool / function calling."""
    structured_output: StrictBool
    """Returns structured output as pydantic models or JSON-schema-checked data."""
    retries: StrictBool
    """Retries failed requests automatically."""
    multi_provider: StrictBool
    """One API across several providers."""
    openai_base_url: StrictBool
    """Can be pointed at any OpenAI-compatible base URL."""
    local_models: StrictBool
    """Works with local model servers (Ollama, llama.cpp, vLLM and the like)."""
    observability: StrictBool
    """Has hooks, callbacks or tracing integration."""
    type_hints: StrictBool
    """Ships full type hints (``py.typed``)."""
    minimal_dependencies: StrictBool
    """Five or fewer direct runtime dependencies."""


FEATURES: tuple[str, ...] = tuple(
    info.alias or name for name, info in LibraryFeatures.model_fields.items()
)
"""Feature keys as written in the files (``async``, not ``async_``)."""


class LibraryInfo(_Strict):
    """The front matter of one library review."""

    id: Annotated[str, Field(pattern=_ID, strict=True)]
    """Library id; equals the file name without ``.md``."""
    name: Short
    """Display name."""
    pypi: Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$", strict=True)] | None
    """PyPI distribution name; ``null`` for tools that are not Python packages (curl)."""
    homepage: Annotated[str, Field(pattern=_URL, strict=True)]
    """Project home page."""
    repository: Annotated[str, Field(pattern=_URL, strict=True)] | None = None
    """Source repository, when public."""
    category: Category
    """Kind of library."""
    rating: Annotated[int, Field(ge=1, le=7, strict=True)]
    """Our rating, 1 (avoid) to 7 (excellent)."""
    rating_reason: Short
    """One line saying why it has this rating."""
    features: LibraryFeatures
    """Feature flags."""
    providers: list[Annotated[str, Field(pattern=_ID, strict=True)]]
    """Catalog provider ids the library supports natively."""
    any_openai_compatible: StrictBool
    """Also works with any OpenAI-compatible provider through its base URL."""
    pros: Annotated[list[Short], Field(min_length=1)]
    """Strengths, one short line each."""
    cons: Annotated[list[Short], Field(min_length=1)]
    """Weaknesses, one short line each."""
    use_cases: Annotated[list[UseCase], Field(min_length=1)]
    """What it is a good choice for."""
    neighbours: list[Annotated[str, Field(pattern=_ID, strict=True)]]
    """Ids of reviewed libraries to compare it with."""
    license: Short
    """Licence, from the wheel's METADATA."""
    requires_python: Short | None
    """``Requires-Python`` from the wheel's METADATA; ``null`` when not a Python package."""
    version: Short | None
    """The version reviewed; ``null`` when not a Python package."""
    checked: date
    """When the facts were checked against the registry."""
    dependencies: Annotated[int, Field(ge=0, strict=True)]
    """Direct runtime dependencies of a plain install (``Requires-Dist`` without an extra)."""
    example_language: Literal["python", "bash"]
    """Language of the example."""
    example_live: StrictBool
    """The tests run the example against a local fake OpenAI-compatible server."""
    example: Text
    """A minimal complete working example."""

    @model_validator(mode="after")
    def _consistent(self) -> LibraryInfo:
        for name in ("providers", "pros", "cons", "use_cases", "neighbours"):
            values = getattr(self, name)
            if len(set(values)) != len(values):
                raise ValueError(f"{name}: duplicate entries")
        if self.id in self.neighbours:
            raise ValueError("neighbours: a library is not its own neighbour")
        if (self.pypi is None) != (self.version is None):
            raise ValueError("pypi and version: both set or both null")
        return self


@dataclass(slots=True)
class Library:
    """One loaded review: its validated front matter (JSON-ready, keys as in the file) and body."""

    info: LibraryInfo
    body: str
    path: Path

    @property
    def meta(self) -> dict[str, Any]:
        return self.info.model_dump(mode="json", by_alias=True)


@dataclass(slots=True)
class LoadedLibraries:
    libraries: list[Library] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


def split_front_matter(text: str) -> tuple[str, str] | None:
    """(front matter YAML, body) of a review file, or None when it has no front matter."""
    match = _FRONT_MATTER.match(text.replace("\r\n", "\n"))
    if match is None:
        return None
    return match.group(1), text.replace("\r\n", "\n")[match.end() :]


def _where(loc: tuple[Any, ...]) -> str:
    return ".".join(str(part) for part in loc) or "front matter"


def parse_library(path: Path, text: str) -> tuple[Library | None, list[Problem]]:
    """Validate one file's text; the id is taken from ``path``."""
    file = str(path)
    parts = split_front_matter(text)
    if parts is None:
        return None, [
            Problem("error", file, "", "no YAML front matter (the file must start with ---)")
        ]
    head, body = parts
    try:
        raw = _safe_load(head)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 2}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or "cannot parse"
        return None, [Problem("error", file, "", f"invalid YAML front matter{where}: {problem}")]
    if not isinstance(raw, dict):
        return None, [Problem("error", file, "", "front matter must be a mapping of fields")]
    try:
        info = LibraryInfo.model_validate(raw)
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            message = error["msg"].removeprefix("Value error, ")
            loc = error["loc"]
            if error["type"] == "value_error" and ": " in message and not loc:
                # model-level checks name their field first: "pros: duplicate entries"
                name, _, message = message.partition(": ")
                loc = (name,)
            problems.append(Problem("error", file, _where(loc), message))
        return None, problems
    if info.id != path.stem:
        return None, [
            Problem(
                "error", file, "id", f"must equal the file name {path.stem!r} (got {info.id!r})"
            )
        ]
    if not body.strip():
        return None, [Problem("error", file, "", "the review body after the front matter is empty")]
    return Library(info, body, path), []


def load_libraries(folder: Path, provider_ids: set[str] | None = None) -> LoadedLibraries:
    """Read and validate every ``*.md`` in ``folder`` (none when it does not exist).

    With ``provider_ids`` every listed provider must be one of them. Invalid files are
    left out of ``libraries`` and reported in ``problems``.
    """
    loaded = LoadedLibraries()
    for path in sorted(folder.glob("*.md")) if folder.is_dir() else []:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            loaded.problems.append(Problem("error", str(path), "", f"cannot read: {exc}"))
            continue
        library, problems = parse_library(path, text)
        loaded.problems.extend(problems)
        if library is not None:
            loaded.libraries.append(library)
    known = {lib.info.id for lib in loaded.libraries} | {Path(p.file).stem for p in loaded.problems}
    for lib in loaded.libraries:
        for index, neighbour in enumerate(lib.info.neighbours):
            if neighbour not in known:
                loaded.problems.append(
                    Problem(
                        "error",
                        str(lib.path),
                        f"neighbours.{index}",
                        f"unknown library {neighbour!r} (no {folder / (neighbour + '.md')})",
                    )
                )
        for index, provider in enumerate(lib.info.providers):
            if provider_ids is not None and provider not in provider_ids:
                loaded.problems.append(
                    Problem(
                        "error",
                        str(lib.path),
                        f"providers.{index}",
                        f"unknown provider {provider!r} (not a provider of the compiled catalog)",
                    )
                )
    return loaded


def libraries_document(libraries: list[Library]) -> list[dict[str, Any]]:
    """What ``libraries.json`` holds: every valid review's front matter, sorted by id."""
    return [lib.meta for lib in sorted(libraries, key=lambda lib: lib.info.id)]
