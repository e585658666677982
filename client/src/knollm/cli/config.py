"""``knollm config show|validate``: the router's effective configuration and where it came from."""

from __future__ import annotations

import click

from knollm.config import ConfigError, load


@click.group("config")
def config() -> None:
    """Show or check the router's configuration (files, KNOLLM_* variables, profiles)."""


@config.command("show")
@click.option(
    "--profile", default=None, help="Profile to apply (else KNOLLM_PROFILE or the files')."
)
def show_command(profile: str | None) -> None:
    """Print every effective setting with its origin (file:line, env var, default); keys
    are never printed, only whether their variable is set."""
    try:
        cfg = load(profile=profile)
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"profile: {cfg.profile or '-'}")
    for f in cfg.files:
        click.echo(f"{f.kind} file: {f.path}")
    rows = cfg.rows()
    width = max(len(k) for k, _, _ in rows)
    for key, value, origin in rows:
        click.echo(f"{key:<{width}}  {value:<24}  {origin}")


@config.command("validate")
@click.option("--profile", default=None, help="Profile to check as well.")
def validate_command(profile: str | None) -> None:
    """Check the configuration files and variables; names file, key and fix, exit 1 if wrong."""
    try:
        cfg = load(profile=profile)
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None
    names = ", ".join(str(f.path) for f in cfg.files) or "no files"
    click.echo(f"ok: {names}" + (f" (profile {cfg.profile})" if cfg.profile else ""))
