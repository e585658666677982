"""``knollm libraries recommend``: which Python LLM library fits a use case."""

from __future__ import annotations

import gzip
from typing import Any

import click
import orjson

from knollm.cli.common import state
from knollm.cli.output import Column, output_options, table
from knollm.source import bundled_file, resolve


@click.group()
def libraries() -> None:
    """Python libraries for calling LLMs, as reviewed on knollm.dev."""


def load_libraries(location: str | None) -> list[dict[str, Any]]:
    """``libraries.json`` beside the catalog in use, else the bundled copy; exit 1 if neither."""
    try:
        source = resolve(location)
        path = source.sibling("libraries.json")
    except Exception:  # no catalog at all: the bundled libraries may still exist
        path = None
    path = path or bundled_file("libraries.json")
    if path is None:
        raise click.ClickException(
            "no libraries data: libraries.json is neither beside the catalog nor bundled with knollm"
        )
    data = path.read_bytes()
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    try:
        loaded = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise click.ClickException(f"{path} is not valid JSON: {exc}") from None
    if isinstance(loaded, dict):
        loaded = loaded.get("libraries")
    if not isinstance(loaded, list) or not all(isinstance(x, dict) and "id" in x for x in loaded):
        raise click.ClickException(f"{path} is not a list of libraries")
    return loaded


def _use_cases() -> tuple[str, ...]:
    from knollm.recommend import USE_CASES

    return USE_CASES


def _features() -> tuple[str, ...]:
    from knollm.recommend import FEATURES

    return FEATURES


@libraries.command("recommend")
@click.option("--use-case", "-u", required=True, type=click.Choice(_use_cases()),
              help="What the library is for.")  # fmt: skip
@click.option("--feature", "-f", "features", multiple=True, type=click.Choice(_features()),
              help="A feature the library must have (repeatable).")  # fmt: skip
@click.option("--provider", "-p", "providers", multiple=True,
              help="A provider you will call (repeatable; favours libraries that support it).")  # fmt: skip
@click.option("--limit", "-n", type=click.IntRange(min=1), default=5, show_default=True)
@output_options
def recommend_command(
    use_case: str, features: tuple[str, ...], providers: tuple[str, ...], limit: int, fmt: str
) -> None:
    """Libraries ranked for a use case, each with the reasons for its score."""
    from knollm.recommend import recommend

    libs = load_libraries(state().location)
    compatible: set[str] = set()
    if providers:  # a library taking any OpenAI base URL also reaches OpenAI-compatible providers
        catalog = state().catalog
        compatible = {p.id for p in catalog.providers if p.openai_compatible}
    try:
        ranked = recommend(
            libs, use_case, features, providers, openai_compatible_providers=compatible
        )
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    ranked = ranked[:limit]
    rows = [
        {"rank": i, "id": r.id, "name": r.name, "score": r.score, "reasons": list(r.reasons)}
        for i, r in enumerate(ranked, 1)
    ]
    columns = [
        Column("#", "rank", right=True),
        Column("library", "name"),
        Column("score", "score", lambda s: f"{s:.1f}", right=True),
        Column("why", "reasons", lambda r: "; ".join(r)),
    ]
    table(rows, columns, fmt, empty="no library has every required feature")
