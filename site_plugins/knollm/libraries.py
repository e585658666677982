"""Library reviews in ``catalog/libraries/<id>.md``: YAML front matter and a Markdown body.

The site renders whatever is there; validating the front matter belongs to the
libraries issue. Front matter is parsed with PyYAML's safe loader.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml


def load_libraries(folder: Path) -> list[dict[str, Any]]:
    """``[{id, meta, body}]`` for every ``*.md`` in ``folder`` (empty when it does not exist)."""
    out = []
    for path in sorted(folder.glob("*.md")) if folder.is_dir() else []:
        text = path.read_text(encoding="utf-8")
        meta: dict[str, Any] = {}
        body = text
        if text.startswith("---\n"):
            head, _, body = text[4:].partition("\n---\n")
            loaded = yaml.safe_load(head)
            meta = loaded if isinstance(loaded, dict) else {}
        out.append({"id": path.stem, "meta": meta, "body": body})
    return out
