"""``knollm cache stats|clear|prune|warm``: the router's response cache file."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import click
import orjson

from knollm.cli.common import state


def _open(path: Path | None, profile: str | None) -> Any:
    """The configured cache file (``--path``, else ``cache_path``, else the default)."""
    from knollm.cache import SQLiteCache, default_path
    from knollm.config import ConfigError, load

    try:
        s = load(profile=profile).settings
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None
    where = path or (Path(s.cache_path).expanduser() if s.cache_path else default_path())
    return SQLiteCache(where, int(s.cache_max_mb * (1 << 20)))


PATH = click.option(
    "--path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Cache file (default: cache_path from the configuration, else the user cache dir).",
)
PROFILE = click.option("--profile", default=None, help="Configuration profile to read.")


@click.group("cache")
def cache() -> None:
    """The router's response cache: see what it holds, empty it, drop expired answers, fill it.

    \b
    Turn it on with cache = true in knollm.toml, KNOLLM_CACHE=1 or Router(cache=True).
    """


def _when(ts: float | None) -> str:
    return "-" if ts is None else time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(ts))


@cache.command("stats")
@PATH
@PROFILE
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def stats_command(path: Path | None, profile: str | None, as_json: bool) -> None:
    """Entries, size, answers served and what they would have cost."""
    st = _open(path, profile).stats()
    if as_json:
        from dataclasses import asdict

        click.echo(orjson.dumps(asdict(st), option=orjson.OPT_INDENT_2).decode())
        return
    mb = 1 << 20
    click.echo(f"file:      {st.path}")
    click.echo(f"entries:   {st.entries} ({st.expired} expired)")
    click.echo(
        f"size:      {st.bytes / mb:.2f} MB of {st.max_bytes / mb:.0f} MB "
        f"(file {st.file_bytes / mb:.2f} MB)"
    )
    click.echo(f"served:    {st.served} answers, ${st.saved:.6f} not spent")
    click.echo(f"stored:    {_when(st.oldest)} .. {_when(st.newest)}")


@cache.command("clear")
@PATH
@PROFILE
def clear_command(path: Path | None, profile: str | None) -> None:
    """Delete every cached answer."""
    store = _open(path, profile)
    click.echo(f"cleared {store.clear()} entries from {store.path}")


@cache.command("prune")
@PATH
@PROFILE
def prune_command(path: Path | None, profile: str | None) -> None:
    """Delete expired answers."""
    store = _open(path, profile)
    click.echo(f"pruned {store.prune()} expired entries from {store.path}")


def read_requests(file: Path) -> list[dict[str, Any]]:
    """One request object per line (``model``, ``messages`` and any OpenAI keyword); blank lines
    and lines starting with ``#`` skipped. Raises ClickException naming file:line and the fix."""
    out = []
    for n, line in enumerate(file.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        try:
            req = orjson.loads(line)
        except orjson.JSONDecodeError as exc:
            raise click.ClickException(
                f"{file}:{n}: not valid JSON ({exc}); fix the line"
            ) from None
        if not isinstance(req, dict):
            raise click.ClickException(f"{file}:{n}: must be a JSON object with model and messages")
        for name in ("model", "messages"):
            if name not in req:
                raise click.ClickException(f"{file}:{n}: {name}: missing; add it to the request")
        if req.get("stream"):
            raise click.ClickException(f"{file}:{n}: stream: warm sends whole requests; remove it")
        out.append(req)
    return out


@cache.command("warm")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@PATH
@PROFILE
def warm_command(file: Path, path: Path | None, profile: str | None) -> None:
    """Send each request of FILE.jsonl through the router and keep the answers.

    Every request is cached, deterministic or not (unless its line says "cache": false); one
    already cached is not sent again. Exit 1 if any request failed.
    """
    import openai

    from knollm.router import Router, RouterError, route_of

    requests = read_requests(file)
    options: dict[str, Any] = {"cache": True, "benchmark_priors": False, "profile": profile}
    if path is not None:
        options["cache_path"] = str(path)
    try:
        router = Router(state().catalog, **options)
    except (ValueError, RouterError) as exc:
        raise click.ClickException(str(exc)) from None
    sent = cached = failed = 0
    with router:
        for n, req in enumerate(requests, 1):
            req.setdefault("cache", True)
            try:
                reply = router.chat.completions.create(**req)
            except (RouterError, openai.APIError, ValueError, TypeError) as exc:
                failed += 1
                click.echo(f"{file}:{n}: failed: {exc}", err=True)
                continue
            info = route_of(reply)
            if info is not None and info.cost_source == "cache":
                cached += 1
            else:
                sent += 1
    click.echo(f"warmed {sent} answers, {cached} already cached, {failed} failed")
    if failed:
        raise SystemExit(1)
