"""``knollm-build libraries check``: re-read each reviewed library's facts from its wheel.

For every review with a ``pypi`` name the wheel of the reviewed version (or, with
``--latest``, the newest) is fetched with ``pip download --no-deps`` into a cache,
its ``*.dist-info/METADATA`` is read, and licence, Requires-Python, version and the
number of direct runtime dependencies are compared with the front matter. Drift is
printed; ``--write`` puts the new values into the files, touching only those lines.
"""

from __future__ import annotations

import re
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from datetime import date
from email.message import Message
from email.parser import BytesParser
from email.policy import compat32
from pathlib import Path
from typing import Any

import click
import yaml

from knollm_build.cli_options import catalog_option
from knollm_build.libraries import load_libraries, split_front_matter

FACT_KEYS = ("version", "license", "requires_python", "dependencies")
_EXTRA_MARKER = re.compile(r"\bextra\s*==")
_CLASSIFIER_LICENSES = {
    "MIT License": "MIT",
    "Apache Software License": "Apache-2.0",
    "BSD License": "BSD-3-Clause",
    "ISC License (ISCL)": "ISC",
    "Mozilla Public License 2.0 (MPL 2.0)": "MPL-2.0",
    "Python Software Foundation License": "PSF-2.0",
}


class FactsError(Exception):
    """A wheel could not be fetched or read."""


@dataclass(frozen=True, slots=True)
class Facts:
    """What a wheel's METADATA says about the package."""

    version: str
    license: str | None
    requires_python: str | None
    dependencies: int

    def as_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in FACT_KEYS}


def read_metadata(wheel: Path) -> Message:
    """The parsed ``*.dist-info/METADATA`` of a wheel."""
    try:
        with zipfile.ZipFile(wheel) as archive:
            names = [n for n in archive.namelist() if re.fullmatch(r"[^/]+\.dist-info/METADATA", n)]
            if len(names) != 1:
                raise FactsError(f"{wheel}: expected one *.dist-info/METADATA, found {len(names)}")
            raw = archive.read(names[0])
    except (OSError, zipfile.BadZipFile) as exc:
        raise FactsError(f"{wheel}: not a readable wheel ({exc})") from exc
    return BytesParser(policy=compat32).parsebytes(raw, headersonly=True)


def read_license_text(wheel: Path) -> str | None:
    """The licence file a wheel ships in its ``*.dist-info`` (``licenses/`` first), if any."""
    pattern = re.compile(r"[^/]+\.dist-info/(?:licenses/)?(?:LICEN[CS]E|COPYING)[^/]*")
    try:
        with zipfile.ZipFile(wheel) as archive:
            names = sorted((n for n in archive.namelist() if pattern.fullmatch(n)), key=len)
            return archive.read(names[0]).decode("utf-8", "replace") if names else None
    except (OSError, zipfile.BadZipFile) as exc:
        raise FactsError(f"{wheel}: not a readable wheel ({exc})") from exc


def license_from_text(text: str) -> str | None:
    """The SPDX id of a licence recognised by its wording (MIT, Apache-2.0, BSD, ISC), else None."""
    flat = " ".join(text.split())
    if "Permission is hereby granted, free of charge" in flat:
        return "MIT"
    if "Apache License" in flat and "Version 2.0" in flat:
        return "Apache-2.0"
    if "Redistribution and use in source and binary forms" in flat:
        return "BSD-3-Clause" if "Neither the name" in flat else "BSD-2-Clause"
    if "Permission to use, copy, modify, and/or distribute this software" in flat:
        return "ISC"
    return None


def license_of(metadata: Message, license_text: str | None = None) -> str | None:
    """License-Expression; else the License field (a known name mapped to its SPDX id, a whole
    licence text recognised by its wording); else the first licence classifier; else the wording
    of the licence file the wheel ships (``license_text``)."""
    expression = (metadata.get("License-Expression") or "").strip()
    if expression:
        return expression
    text = (metadata.get("License") or "").strip()
    if text and text.upper() != "UNKNOWN":
        if "\n" not in text and len(text) <= 60:
            return _CLASSIFIER_LICENSES.get(text, text)
        recognised = license_from_text(text)
        if recognised:
            return recognised
    for classifier in metadata.get_all("Classifier") or []:
        if classifier.startswith("License ::"):
            last = classifier.split("::")[-1].strip()
            return _CLASSIFIER_LICENSES.get(last, last)
    return license_from_text(license_text) if license_text else None


def runtime_dependencies(metadata: Message) -> int:
    """``Requires-Dist`` entries that a plain install pulls in (no ``extra ==`` marker)."""
    entries = metadata.get_all("Requires-Dist") or []
    return sum(1 for entry in entries if not _EXTRA_MARKER.search(entry.partition(";")[2]))


def facts_of(metadata: Message, license_text: str | None = None) -> Facts:
    requires = (metadata.get("Requires-Python") or "").strip()
    return Facts(
        version=str(metadata.get("Version", "")).strip(),
        license=license_of(metadata, license_text),
        requires_python=requires.replace(" ", "") or None,
        dependencies=runtime_dependencies(metadata),
    )


def drift(recorded: dict[str, Any], facts: Facts) -> dict[str, tuple[Any, Any]]:
    """``{key: (recorded, from the wheel)}`` for every fact that differs."""
    out = {}
    for key in FACT_KEYS:
        old, new = recorded.get(key), getattr(facts, key)
        same = (
            str(old).replace(" ", "") == str(new).replace(" ", "")
            if key == "requires_python" and old is not None and new is not None
            else old == new
        )
        if not same:
            out[key] = (old, new)
    return out


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "_", name).lower()


def download_wheel(package: str, version: str | None, cache: Path) -> Path:
    """Fetch one wheel with pip (no dependencies) into ``cache``; reuse it when already there."""
    cache.mkdir(parents=True, exist_ok=True)
    if version is not None:
        cached = sorted(cache.glob(f"{_normalise(package)}-{version}-*.whl"))
        if cached:
            return cached[0]
    spec = f"{package}=={version}" if version else package
    command = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:"]
    command += ["--disable-pip-version-check", "-d", str(cache), spec]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)
    except subprocess.TimeoutExpired as exc:
        raise FactsError(f"pip download {spec}: timed out") from exc
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["failed"])[-1]
        raise FactsError(f"pip download {spec}: {last}")
    found = re.findall(r"(\S+\.whl)\b", done.stdout)
    for name in reversed(found):
        path = cache / Path(name).name
        if path.is_file() and path.name.lower().startswith(_normalise(package) + "-"):
            return path
    raise FactsError(f"pip download {spec}: no wheel found in pip's output")


def yaml_scalar(value: Any) -> str:
    """``value`` written as a YAML scalar that reads back as exactly ``value``."""
    if isinstance(value, str):
        plain = value
        try:
            if yaml.safe_load(plain) == value and "#" not in plain and ": " not in plain:
                return plain
        except yaml.YAMLError:
            pass
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if value is None:
        return "null"
    return str(value)


def rewrite_front_matter(text: str, values: dict[str, Any]) -> str:
    """``text`` with top-level front matter keys set to ``values``; every other byte kept."""
    parts = split_front_matter(text)
    if parts is None or "\r\n" in text:
        raise FactsError("front matter not found (or CRLF line ends): not rewritten")
    head, _ = parts
    start = text.index("\n") + 1
    new_head = head
    for key, value in values.items():
        pattern = re.compile(rf"^{re.escape(key)}:[^\n]*$", re.M)
        line = f"{key}: {yaml_scalar(value)}".replace("\\", "\\\\")  # a literal replacement
        new_head, count = pattern.subn(line, new_head, count=1)
        if count == 0:
            raise FactsError(f"{key}: not a one-line top-level key; not rewritten")
    return text[:start] + new_head + text[start + len(head) :]


@click.group("libraries")
def libraries_command() -> None:
    """Library reviews in catalog/libraries/: check their facts against PyPI."""


@libraries_command.command("check")
@catalog_option("Catalog directory holding libraries/*.md.")
@click.option(
    "--cache",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path(".cache/library-wheels"),
    show_default=True,
    help="Where downloaded wheels are kept.",
)
@click.option(
    "--latest", is_flag=True, help="Compare with the newest release, not the reviewed one."
)
@click.option("--write", is_flag=True, help="Write the wheel's facts into the front matter.")
@click.option("--only", multiple=True, help="Check only this library id. Repeatable.")
def check_command(
    catalog_dir: Path, cache: Path, latest: bool, write: bool, only: tuple[str, ...]
) -> None:
    """Compare licence, Requires-Python, version and dependency count with each wheel's METADATA.

    Exits 1 when facts drifted (unless --write updated them) or a wheel could not be read.
    """
    loaded = load_libraries(catalog_dir / "libraries")
    for problem in loaded.problems:
        click.echo(f"error: {problem.line()}", err=True)
    wanted = set(only)
    unknown = wanted - {lib.info.id for lib in loaded.libraries}
    if unknown:
        raise click.BadParameter(
            f"no valid review for {', '.join(sorted(unknown))}", param_hint="--only"
        )
    failures = len(loaded.problems)
    drifted = 0
    for lib in loaded.libraries:
        info = lib.info
        if info.pypi is None or (wanted and info.id not in wanted):
            continue
        try:
            wheel = download_wheel(info.pypi, None if latest else info.version, cache)
            facts = facts_of(read_metadata(wheel), read_license_text(wheel))
        except FactsError as exc:
            click.echo(f"error: {lib.path}: {exc}", err=True)
            failures += 1
            continue
        changes = drift(lib.meta, facts)
        if not changes:
            click.echo(f"ok        {info.id} {facts.version}")
            continue
        drifted += 1
        for key, (old, new) in changes.items():
            click.echo(f"drift     {info.id}: {key}: {old!r} -> {new!r}")
        if write:
            values = {k: new for k, (_, new) in changes.items()}
            values["checked"] = date.today()
            try:
                text = lib.path.read_text(encoding="utf-8")
                lib.path.write_text(rewrite_front_matter(text, values), encoding="utf-8")
            except (OSError, FactsError) as exc:
                click.echo(f"error: {lib.path}: {exc}", err=True)
                failures += 1
                continue
            click.echo(f"written   {lib.path}")
    if failures or (drifted and not write):
        raise click.ClickException(
            f"{drifted} librar{'y' if drifted == 1 else 'ies'} drifted, {failures} error(s)"
        )
