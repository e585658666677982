"""Output in three shapes: rich tables for people, ``--json`` and ``--csv`` for scripts.

Commands describe rows as dicts of raw values plus the columns to show; this module formats them
(``128k``, ``$0.59``) only for the table. Data strings are printed as text, never as rich markup.
"""

from __future__ import annotations

import io
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import click
import orjson

F = TypeVar("F", bound=Callable[..., Any])


def output_options(func: F) -> F:
    """``--json`` / ``--csv``; the command receives ``fmt`` (``table``, ``json`` or ``csv``)."""
    func = click.option(
        "--csv", "fmt", flag_value="csv", help="Comma-separated values with a header row."
    )(func)
    func = click.option("--json", "fmt", flag_value="json", help="JSON for scripts.")(func)
    return click.option("--table", "fmt", flag_value="table", default=True, hidden=True)(func)


def tokens(value: int | None) -> str:
    """A token count the way people say it: ``128k``, ``1M``, ``8k``, ``200k``, ``1.5M``."""
    if value is None:
        return "—"
    # Round decimal sizes (128,000) read as such; binary ones (131,072) as their k/M.
    binary = value % 1000 != 0
    for unit, size in (("M", 1024 * 1024), ("k", 1024)):
        if binary and value >= size and value % size == 0 and value // size < 1024:
            return f"{value // size}{unit}"
    for unit, size in (("M", 1_000_000), ("k", 1_000)):
        if value >= size:
            text = f"{value / size:.1f}".removesuffix(".0")
            return f"{text}{unit}"
    return str(value)


def number(value: float) -> str:
    """A price without float noise: ``0.038``, ``15``, ``0.000015``, ``1,234.5``."""
    digits = 4 if value >= 0.01 else 7
    text = f"{value:,.{digits}f}".rstrip("0").rstrip(".")
    return text or "0"


def price(value: float | None) -> str:
    return "—" if value is None else f"${number(value)}"


def money(value: float | None) -> str:
    """A total in USD: cents above a dollar, three significant digits below."""
    if value is None:
        return "n/a"
    if value >= 1:
        return f"${value:,.2f}"
    if value == 0:
        return "$0"
    return f"${value:.3g}" if value >= 0.001 else f"${number(value)}"


def plain(value: Any) -> str:
    if value is None or value == "" or value == [] or value == ():
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list | tuple):
        return ", ".join(map(str, value))
    return str(value)


@dataclass(frozen=True)
class Column:
    """One table column: header, the row key it shows, how to format it, alignment."""

    header: str
    key: str
    fmt: Callable[[Any], str] = plain
    right: bool = False


def render(renderable: Any) -> None:
    """Print a rich renderable: styled on a terminal; elsewhere (pipes, tests) as plain text, up
    to 160 columns (``COLUMNS`` overrides) and without trailing spaces."""
    from rich.console import Console

    stdout = sys.stdout
    if stdout.isatty():
        Console(file=stdout, highlight=False, emoji=False).print(renderable)
        return
    buffer = io.StringIO()
    width = int(os.environ.get("COLUMNS") or 160)
    console = Console(file=buffer, width=width, highlight=False, emoji=False, no_color=True,
                      color_system=None)  # fmt: skip
    console.print(renderable)
    click.echo("\n".join(line.rstrip() for line in buffer.getvalue().splitlines()).strip("\n"))


def table(
    rows: Sequence[dict[str, Any]],
    columns: Sequence[Column],
    fmt: str,
    *,
    title: str | None = None,
    data: Any = None,
    empty: str = "nothing matches",
) -> None:
    """Print rows as a rich table, JSON (``data`` if given, else the rows) or CSV."""
    if fmt == "json":
        click.echo(dumps(rows if data is None else data))
        return
    if fmt == "csv":
        import csv

        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow([c.key for c in columns])
        for row in rows:
            writer.writerow([_csv_value(row.get(c.key)) for c in columns])
        click.echo(buffer.getvalue(), nl=False)
        return
    if not rows:
        click.echo(empty)
        return
    from rich import box
    from rich.table import Table
    from rich.text import Text

    out = Table(title=title, box=box.SIMPLE_HEAD, title_justify="left", pad_edge=False)
    for c in columns:
        out.add_column(c.header, justify="right" if c.right else "left", overflow="fold")
    for row in rows:
        out.add_row(*(Text(c.fmt(row.get(c.key))) for c in columns))
    render(out)


def facts(pairs: Sequence[tuple[str, Any]], fmt_title: str | None = None) -> None:
    """A two-column key/value block for ``show`` commands."""
    from rich import box
    from rich.table import Table
    from rich.text import Text

    out = Table(box=box.SIMPLE, show_header=False, title=fmt_title, title_justify="left",
                pad_edge=False)  # fmt: skip
    out.add_column(style="bold")
    out.add_column(overflow="fold")
    for key, value in pairs:
        out.add_row(Text(key), Text(value if isinstance(value, str) else plain(value)))
    render(out)


def _csv_value(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        return ";".join(map(str, value))
    return value


def dumps(value: Any) -> str:
    return orjson.dumps(value, option=orjson.OPT_INDENT_2, default=_default).decode()


def _default(value: Any) -> Any:
    if isinstance(value, tuple | set | frozenset):
        return list(value)
    raise TypeError(f"cannot serialise {type(value).__name__}")
