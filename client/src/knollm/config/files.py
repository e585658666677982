"""Configuration files: where they are, what they hold, and on which line each value sits.

Two files at most, both optional:

* the **project file**: ``knollm.toml``, or the ``[tool.knollm]`` table of ``pyproject.toml``, in
  the working directory or the nearest parent that has either (``pyproject.toml`` without the
  table ends the search);
* the **user file**: ``config.toml``, ``config.yaml`` / ``config.yml`` or ``config.json`` in
  ``KNOLLM_CONFIG_DIR``, else the platform's user config directory for knollm (platformdirs).

``KNOLLM_CONFIG=PATH`` names one file to use instead of the project file. Line numbers are found
by reading the file's text (TOML and JSON) or from YAML's node marks, for ``file:line`` origins.
"""

from __future__ import annotations

import json
import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import platformdirs

ENV_CONFIG = "KNOLLM_CONFIG"
ENV_CONFIG_DIR = "KNOLLM_CONFIG_DIR"
USER_NAMES = ("config.toml", "config.yaml", "config.yml", "config.json")


class ConfigError(ValueError):
    """A configuration file or value is wrong; the message names file, key and fix."""


@dataclass
class ConfigFile:
    """One parsed file: its data (the knollm part), and the line of each dotted key."""

    path: Path
    kind: str  # "project" or "user"
    data: dict[str, Any]
    lines: dict[str, int] = field(default_factory=dict)
    prefix: str = ""  # "tool.knollm." inside pyproject.toml

    def where(self, dotted: str) -> str:
        """``file:line`` of a dotted key (its closest parent's line when not found)."""
        parts = dotted.split(".")
        while parts:
            line = self.lines.get(self.prefix + ".".join(parts))
            if line:
                return f"{self.path}:{line}"
            parts.pop()
        return str(self.path)


def user_dir(environ: os._Environ[str] | dict[str, str] | None = None) -> Path:
    env = os.environ if environ is None else environ
    given = env.get(ENV_CONFIG_DIR)
    return Path(given) if given else Path(platformdirs.user_config_dir("knollm"))


def find_project(start: Path | None = None) -> tuple[Path, str] | None:
    """(path, prefix) of the project file, searching up from ``start`` (default: the cwd)."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        own = folder / "knollm.toml"
        if own.is_file():
            return own, ""
        pyproject = folder / "pyproject.toml"
        if pyproject.is_file():
            try:
                tool = tomllib.loads(pyproject.read_text(encoding="utf-8")).get("tool", {})
            except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError):
                return None
            return (pyproject, "tool.knollm.") if "knollm" in tool else None
    return None


def find_user(environ: Any = None) -> Path | None:
    folder = user_dir(environ)
    for name in USER_NAMES:
        if (folder / name).is_file():
            return folder / name
    return None


def locate(environ: Any = None, cwd: Path | None = None) -> list[tuple[Path, str, str]]:
    """The files to read, lowest precedence first: (path, kind, prefix)."""
    env = os.environ if environ is None else environ
    found: list[tuple[Path, str, str]] = []
    user = find_user(env)
    if user is not None:
        found.append((user, "user", ""))
    explicit = env.get(ENV_CONFIG)
    if explicit:
        path = Path(explicit)
        if not path.is_file():
            raise ConfigError(f"{ENV_CONFIG}={explicit}: no such file (fix the path or unset it)")
        found.append((path, "project", "tool.knollm." if path.name == "pyproject.toml" else ""))
    else:
        project = find_project(cwd)
        if project is not None:
            found.append((project[0], "project", project[1]))
    return found


def read(path: Path, kind: str, prefix: str = "") -> ConfigFile:
    """Parse one file; ConfigError (file:line and what is wrong) when it cannot be read."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read ({exc.__class__.__name__}: {exc})") from None
    suffix = path.suffix.lower()
    if suffix == ".toml":
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{path}: not valid TOML: {exc}") from None
        lines = toml_lines(text)
    elif suffix in (".yaml", ".yml"):
        data, lines = _yaml(path, text)
    elif suffix == ".json":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ConfigError(f"{path}:{exc.lineno}: not valid JSON: {exc.msg}") from None
        lines = json_lines(text)
    else:
        raise ConfigError(f"{path}: unknown format (use .toml, .yaml, .yml or .json)")
    if prefix:
        for part in prefix.strip(".").split("."):
            data = data.get(part, {}) if isinstance(data, dict) else {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: the top level must be a table of settings")
    return ConfigFile(path, kind, data, lines, prefix)


_HEADER = re.compile(r"^\s*\[\s*([^\[\]]+?)\s*\]\s*(#.*)?$")
_KEY = re.compile(
    r"""^\s*((?:"[^"]*"|'[^']*'|[A-Za-z0-9_\-]+)(?:\s*\.\s*(?:"[^"]*"|'[^']*'|[A-Za-z0-9_\-]+))*)\s*="""
)


def _dotted(text: str) -> str:
    parts = re.findall(r""""([^"]*)"|'([^']*)'|([A-Za-z0-9_\-]+)""", text)
    return ".".join(next(p for p in group if p) for group in parts)


def toml_lines(text: str) -> dict[str, int]:
    """Line (1-based) of each table header and ``key =`` line, by dotted path."""
    lines: dict[str, int] = {}
    table = ""
    for n, line in enumerate(text.splitlines(), 1):
        header = _HEADER.match(line)
        if header and not line.lstrip().startswith("[["):
            table = _dotted(header.group(1))
            lines.setdefault(table, n)
            continue
        key = _KEY.match(line)
        if key:
            path = _dotted(key.group(1))
            lines.setdefault(f"{table}.{path}" if table else path, n)
    return lines


def json_lines(text: str) -> dict[str, int]:
    """Line of each ``"key":`` by dotted path, following the nesting of braces."""
    lines: dict[str, int] = {}
    stack: list[str] = []
    pending: str | None = None
    for n, line in enumerate(text.splitlines(), 1):
        for match in re.finditer(r'"((?:[^"\\]|\\.)*)"\s*:|[{}]', line):
            token = match.group(0)
            if token == "{":
                if pending is not None:
                    stack.append(pending)
                    pending = None
            elif token == "}":
                if stack:
                    stack.pop()
            else:
                key = match.group(1)
                lines.setdefault(".".join([*stack, key]), n)
                pending = key
    return lines


def _yaml(path: Path, text: str) -> tuple[Any, dict[str, int]]:
    try:
        import yaml
    except ImportError:
        raise ConfigError(
            f"{path}: YAML needs PyYAML (pip install 'knollm[yaml]'), or use config.toml"
        ) from None
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text) if node is not None else {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f":{mark.line + 1}" if mark is not None else ""
        raise ConfigError(f"{path}{where}: not valid YAML: {exc}") from None
    lines: dict[str, int] = {}

    def walk(n: Any, prefix: str) -> None:
        if isinstance(n, yaml.MappingNode):
            for k, v in n.value:
                dotted = f"{prefix}{k.value}"
                lines.setdefault(dotted, k.start_mark.line + 1)
                walk(v, dotted + ".")

    walk(node, "")
    return data if data is not None else {}, lines
