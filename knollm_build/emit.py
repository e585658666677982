"""Emit stage: write the published files (:mod:`knollm_build.publish`) into a folder.

A file is rewritten only when its bytes change, and each write is reported as
updated/unchanged with its size and gzipped size.
"""

from __future__ import annotations

import gzip
import os
import tempfile
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from knollm_build.publish import GENERATED_NOTE, json_schema, publish_files, to_bytes

__all__ = [
    "GENERATED_NOTE",
    "Written",
    "emit",
    "gzipped_size",
    "json_schema",
    "summary",
    "to_bytes",
    "write_files",
    "write_if_changed",
]


@dataclass(frozen=True, slots=True)
class Written:
    path: Path
    changed: bool
    size: int
    gzipped: int

    def line(self) -> str:
        state = "updated" if self.changed else "unchanged"
        return f"{state:9} {self.path} ({self.size / 1024:,.0f} KiB, {self.gzipped / 1024:,.0f} KiB gzipped)"


def gzipped_size(data: bytes) -> int:
    """Bytes of ``data`` gzipped as a web server would (level 6), for the summary."""
    return len(gzip.compress(data, compresslevel=6, mtime=0))


def write_if_changed(path: Path, data: bytes, gzipped: int | None = None) -> Written:
    """Atomically replace ``path`` with ``data`` unless it already holds exactly those bytes."""
    if gzipped is None:
        gzipped = gzipped_size(data)
    if path.is_file() and path.read_bytes() == data:
        return Written(path, False, len(data), gzipped)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return Written(path, True, len(data), gzipped)


def write_files(out_dir: Path, files: Mapping[str, bytes]) -> list[Written]:
    """Write ``{relative path: bytes}`` under ``out_dir`` in order, each only when it changed.

    The gzipped sizes of the summary are measured in two threads (zlib runs outside the GIL).
    """
    with ThreadPoolExecutor(max_workers=2) as pool:
        sizes = {name: pool.submit(gzipped_size, data) for name, data in files.items()}
        return [
            write_if_changed(out_dir / name, data, sizes[name].result())
            for name, data in files.items()
        ]


def emit(
    out_dir: Path,
    document: dict[str, Any],
    report: dict[str, Any],
    libraries: list[dict[str, Any]] | None = None,
    history: dict[str, Any] | None = None,
) -> list[Written]:
    """Write every published file of a document and report (libraries.json only with
    ``libraries``, history.json only with ``history``)."""
    files = publish_files(document, report, libraries or [], history=history)
    if libraries is None:
        del files["libraries.json"]
    return write_files(out_dir, files)


def summary(report: dict[str, Any], timings: dict[str, float] | None = None) -> str:
    """A short human summary of a build for stdout."""
    counts = report["counts"]
    acc = report["accounting"]
    widest = counts.get("widest_hosted_model") or {}
    lines = [
        f"providers {counts['providers']:,} · models {counts['models']:,} · offerings {counts['offerings']:,} · sources {counts['sources']:,}",
        f"models with 3+ hosts {counts['models_with_3_plus_hosts']:,}; widest hosted: {widest.get('id')} ({widest.get('hosts')} hosts)",
        (
            f"records read {acc['records_read']:,} = kept {acc['offerings_kept']:,} + merged {acc['merged_duplicates']:,} "
            f"+ excluded {acc['excluded']:,} + quarantined {acc['quarantined']:,} ({'holds' if acc['holds'] else 'DOES NOT HOLD'})"
        ),
        (
            f"conflicts {counts['conflicts']:,} (probable unit errors {counts['probable_unit_errors']:,}); "
            f"prices withheld {counts['withheld_prices']:,}, limits withheld {counts['withheld_limits']:,}; unmapped ids {counts['unmapped_ids']:,}"
        ),
    ]
    if report["stale"]:
        lines.append(f"stale dumps: {', '.join(p['position'] for p in report['stale'])}")
    for problem in report["errors"]:
        lines.append(
            f"error: {problem['file']}: {problem['position'] + ': ' if problem['position'] else ''}{problem['reason']}"
        )
    if timings:
        lines.append("timings: " + ", ".join(f"{k} {v * 1000:,.0f} ms" for k, v in timings.items()))
    return "\n".join(lines)
