"""Pairwise precision and recall of model identity on the hand-checked key, before and after.

"Before" is the canonicaliser and rules file at a given git revision (default: the commit
before the identity work, 7e7a0d2), read with ``git show`` into a temporary directory; "after"
is the working tree, through normalise and the last-resort matcher exactly as a build runs
them. Usage: ``python benchmarks/identity_key.py [REVISION]``.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))
sys.path.insert(0, str(REPO))

from test_identity_key import pairwise, place, read_key  # noqa: E402


def _old_models(revision: str, rows: list[tuple[str, str, str, str, str]]) -> list[str]:
    with tempfile.TemporaryDirectory() as tmp:
        for name in ("knollm_build/canonical.py", "catalog/model_rules.toml"):
            text = subprocess.run(
                ["git", "-C", str(REPO), "show", f"{revision}:{name}"],
                check=True,
                capture_output=True,
                text=True,
            ).stdout
            (Path(tmp) / Path(name).name).write_text(text, encoding="utf-8")
        spec = importlib.util.spec_from_file_location("old_canonical", Path(tmp) / "canonical.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules["old_canonical"] = module  # dataclasses look their module up
        spec.loader.exec_module(module)
        rules = module.load_rules(Path(tmp) / "model_rules.toml")
        return [
            module.canonicalise(hint or model_id, rules).model for _, model_id, _, hint, _ in rows
        ]


def main() -> None:
    revision = sys.argv[1] if len(sys.argv) > 1 else "7e7a0d2"
    rows = read_key()
    expected = [row[4] for row in rows]
    before = _old_models(revision, rows)
    after = [record.model for record in place(rows)]
    print(
        f"key: {len(rows)} ids, {len({r[0] for r in rows})} providers, {len(set(expected))} models"
    )
    for label, got in (("before", before), ("after", after)):
        precision, recall = pairwise(expected, got)
        split = len({e for e, g in zip(expected, got, strict=True) if g != e})
        print(
            f"{label:6}: pairwise precision {precision:.3f}, recall {recall:.3f}; "
            f"{split} of {len(set(expected))} models with an id placed elsewhere"
        )


if __name__ == "__main__":
    main()
