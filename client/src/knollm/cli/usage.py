"""``knollm usage report``: what the router's requests cost, from its usage file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from knollm.cli.common import state, stderr_line
from knollm.cli.output import Column, dumps, money, output_options, table, tokens


def _seconds(value: float | None) -> str:
    return "—" if value is None else f"{value:.3f}s"


def _share(value: float | None) -> str:
    return "—" if value is None else f"{value:.1%}"


COLUMNS = [
    Column("Requests", "requests", lambda v: f"{v:,}", right=True),
    Column("Errors", "errors", lambda v: f"{v:,}", right=True),
    Column("Error rate", "error_rate", _share, right=True),
    Column("Refused", "refused", lambda v: f"{v:,}", right=True),
    Column("In", "prompt_tokens", tokens, right=True),
    Column("Out", "completion_tokens", tokens, right=True),
    Column("Cached", "cached_tokens", tokens, right=True),
    Column("Spend", "spend", money, right=True),
    Column("Saved", "saved", money, right=True),
    Column("p50", "p50_s", _seconds, right=True),
    Column("p95", "p95_s", _seconds, right=True),
]


def _path(db: str | None, profile: str | None) -> Path:
    if db:
        return Path(db)
    from knollm.config import ConfigError, load
    from knollm.usage.store import default_path

    try:
        settings = load(profile=profile).settings
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None
    return Path(settings.usage_path) if settings.usage_path else default_path()


@click.group("usage")
def usage() -> None:
    """What routed requests cost: spend, tokens, errors, latency, and cheaper options."""


@usage.command("report")
@click.option(
    "--since", default="7d", show_default=True,
    help="Span back from now (30m, 24h, 7d, 2w) or a UTC date/time (2026-12-01).",
)  # fmt: skip
@click.option(
    "--by", type=click.Choice(["provider", "model", "day"]), default="provider",
    show_default=True, help="Group rows by provider, canonical model or UTC day.",
)  # fmt: skip
@click.option("--profile", default=None, help="Only this profile's requests (default: all).")
@click.option(
    "--db", metavar="PATH", default=None,
    help="Usage file to read (default: the usage_path setting, else the user data directory).",
)  # fmt: skip
@click.option("--no-advice", is_flag=True, help="Skip the catalog's recommendations.")
@output_options
def report_command(
    since: str, by: str, profile: str | None, db: str | None, no_advice: bool, fmt: str
) -> None:
    """Spend, tokens, requests, error rate, p50/p95 latency and cache savings per group, and
    cheaper hosts or models for the same requests (figures from the catalog's prices)."""
    from knollm.usage import report
    from knollm.usage.store import UsageStore

    try:
        start = report.parse_since(since)
    except ValueError as exc:
        message = str(exc).removeprefix(f"--since {since!r}: ")
        raise click.BadParameter(message, param_hint="--since") from None
    path = _path(db, profile)
    if not path.is_file():
        raise click.ClickException(
            f"{path}: no usage file (a Router writes one when it routes a request; "
            "pass --db PATH or set usage_path)"
        )
    store = UsageStore.open_readonly(path)
    if not store.ok:
        raise click.ClickException(f"{path}: cannot be read as a usage file")
    try:
        catalog = None if no_advice else state().catalog
        result = report.build(
            store, since=start, by=by, profile=profile, all_profiles=profile is None,
            catalog=catalog,
        )  # fmt: skip
    finally:
        store.close()
    rows: list[dict[str, Any]] = [{by: g.key, **g.as_dict()} for g in result.groups]
    total = {by: "total", **result.total.as_dict()}
    columns = [Column(by.title(), by), *COLUMNS]
    if fmt == "json":
        click.echo(dumps(result.as_dict()))
        return
    if fmt == "csv":
        table([*rows, total], columns, "csv")
        return
    scope = f"profile {profile}" if profile else "all profiles"
    title = f"Usage since {result.as_dict()['since']} ({scope}, {path})"
    table([*rows, total] if rows else [], columns, fmt, title=title, empty="no requests recorded")
    if result.recommendations:
        click.echo("\nRecommendations (same tokens at the catalog's prices):")
        for r in result.recommendations:
            click.echo(f"- {'cheaper host' if r.kind == 'cheaper-host' else 'cheaper model'}: {r}")
    elif catalog is not None and rows:
        stderr_line("no cheaper host or model found for the most expensive offerings")
