"""``knollm update`` and ``knollm info``: which data is in use, and getting newer data."""

from __future__ import annotations

from datetime import UTC, datetime

import click

from knollm.cli.common import state
from knollm.cli.output import Column, dumps, facts, output_options, table
from knollm.source import age_text, cache_dir
from knollm.update import DEFAULT_URL, ENV_URL, UpdateError, default_url, update


@click.command("update")
@click.option(
    "--url", help=f"Where to download models.json from (default {DEFAULT_URL}, or {ENV_URL})."
)
@click.option("--timeout", type=click.FloatRange(min=0.1), default=30.0, show_default=True,
              help="Seconds to wait for the server.")  # fmt: skip
def update_command(url: str | None, timeout: float) -> None:
    """Download the newest published catalog into the cache directory, check it against the
    schema, and replace the previous copy only if it is good."""
    url = url or default_url()
    try:
        result = update(url, timeout=timeout)
    except UpdateError as exc:
        raise click.ClickException(f"{exc}; kept the previous data") from None
    except OSError as exc:
        raise click.ClickException(
            f"cannot write {cache_dir()}: {exc.strerror}; kept the previous data"
        ) from None
    state_word = "updated" if result.changed else "unchanged"
    click.echo(
        f"{state_word}: {result.path} ({result.size / 2**20:.1f} MiB, {result.offerings:,} offerings, "
        f"generated {result.generated_at[:10]})"
    )


@click.command("info")
@output_options
def info_command(fmt: str) -> None:
    """Which catalog is in use, how old it is, and the sources it was compiled from."""
    catalog = state().catalog
    source = catalog.source
    assert source is not None
    modified = source.modified()
    counts = {
        "providers": len(catalog.providers),
        "models": len(catalog.models),
        "offerings": len(catalog.offerings),
    }
    try:
        generated = datetime.fromisoformat(catalog.generated_at.replace("Z", "+00:00")).astimezone(
            UTC
        )
        age = age_text(generated)
    except ValueError:
        age = "unknown age"
    if fmt == "json":
        click.echo(dumps({
            "source": {"kind": source.kind, "location": source.location,
                       "modified": modified.isoformat() if modified else None},
            "schema_version": catalog.schema_version,
            "generated_at": catalog.generated_at,
            "counts": counts,
            "sources": catalog.sources,
            "cache_dir": str(cache_dir()),
        }))  # fmt: skip
        return
    kinds = {
        "bundled": "snapshot bundled with knollm",
        "cache": "copy downloaded by knollm update",
        "env": "KNOLLM_CATALOG",
        "option": "--catalog",
    }
    facts(
        [
            ("data", f"{kinds.get(source.kind, source.kind)}: {source.location}"),
            ("generated", f"{catalog.generated_at} ({age})"),
            ("file written", modified.strftime("%Y-%m-%d %H:%M UTC") if modified else "—"),
            ("schema", catalog.schema_version),
            ("contents", f"{counts['providers']:,} providers, {counts['models']:,} models, "
                         f"{counts['offerings']:,} offerings"),
            ("update from", default_url()),
            ("cache", str(cache_dir())),
        ]
    )  # fmt: skip
    rows = [
        {"id": s.get("id"), "kind": s.get("kind"), "version": s.get("version"),
         "license": s.get("license"), "records": s.get("records")}
        for s in catalog.sources
    ]  # fmt: skip
    columns = [
        Column("source", "id"),
        Column("kind", "kind"),
        Column("version", "version"),
        Column("licence", "license"),
        Column("records", "records", right=True),
    ]
    table(rows, columns, fmt, title="Compiled from", empty="no sources listed")
