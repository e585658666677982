"""Click options shared by the ``knollm-build`` commands."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import click


def catalog_option(help_text: str) -> Callable[[Any], Any]:
    """``--catalog DIR`` (default ``catalog``, must exist), passed to the command as ``catalog_dir``."""
    return click.option(
        "--catalog",
        "catalog_dir",
        type=click.Path(exists=True, file_okay=False, path_type=Path),
        default=Path("catalog"),
        show_default=True,
        help=help_text,
    )
