"""The ``knollm-build fetch`` command: choose targets from the catalog, run, print a summary.

Which providers are fetched: every ``catalog/providers/*.toml`` with a ``models_endpoint``
(or only the ``--provider`` ones). A provider's key is the first of its ``auth_env``
variables that is set; a provider without one is skipped and reported, except public
lists (OpenRouter, Pollinations), which are fetched without a key, and providers with no
``auth_env`` at all (local servers), which are fetched only when named with ``--provider``.
"""

from __future__ import annotations

import asyncio
import os
import re
import textwrap
from dataclasses import dataclass
from pathlib import Path

import click

from knollm_build.catalog_files import ProviderFile, load_curated, spelling_key
from knollm_build.cli_options import catalog_option
from knollm_build.fetch import (
    FETCH_LOG,
    SOURCE_URLS,
    Outcome,
    Policy,
    Redactor,
    Target,
    fetch_all,
    shown_url,
    source_target,
)
from knollm_build.fetch_styles import PUBLIC_LISTS, style_for

SOURCES = ("models-dev", "litellm", "openrouter")


@dataclass(slots=True)
class Plan:
    targets: list[Target]
    skipped: list[Outcome]
    without_endpoint: int


def endpoint_env(target_id: str) -> str:
    """``KNOLLM_FETCH_ENDPOINT_<ID>``: upper case, non-alphanumerics as underscores."""
    return "KNOLLM_FETCH_ENDPOINT_" + re.sub(r"[^A-Z0-9]", "_", target_id.upper())


def _endpoint(target_id: str, default: str, overrides: dict[str, str]) -> str:
    return overrides.get(target_id) or os.environ.get(endpoint_env(target_id)) or default


def dump_spelling(provider_id: str, provider: ProviderFile, folder: Path) -> str:
    """The file-name spelling of a provider's dump: an existing ``models_<alias>.json`` keeps
    its name (so a work dir captured as ``models_gemini.json`` is refreshed in place)."""
    for spelling in (provider_id, *provider.aliases):
        if (folder / f"models_{spelling.lower()}.json").is_file():
            return spelling.lower()
    return provider_id


def plan(
    providers: dict[str, ProviderFile],
    out: Path,
    wanted: list[str],
    sources: list[str],
    overrides: dict[str, str],
) -> Plan:
    """Targets to fetch and providers skipped (with why), in id order."""
    folder = out / "model_catalog"
    explicit = set(wanted)
    if "openrouter" in sources and "openrouter" in providers:
        explicit.add("openrouter")
    ids = sorted(explicit) if (wanted or sources) else sorted(providers)
    result = Plan([], [], 0)
    for provider_id in ids:
        provider = providers[provider_id]
        if not provider.models_endpoint:
            result.without_endpoint += 1
            continue
        key_env = next((name for name in provider.auth_env if os.environ.get(name)), None)
        if key_env is None and provider_id not in PUBLIC_LISTS:
            if provider.auth_env:
                reason = f"key not set: {' or '.join(provider.auth_env)}"
            elif provider_id not in explicit:
                reason = "no auth_env (local server?): name it with --provider to fetch"
            else:
                reason = ""
            if reason:
                result.skipped.append(Outcome(provider_id, "skipped", reason))
                continue
        spelling = dump_spelling(provider_id, provider, folder)
        style = style_for(provider_id, provider.api_style)
        result.targets.append(
            Target(
                provider_id,
                _endpoint(provider_id, provider.models_endpoint, overrides),
                style,
                None if provider_id in PUBLIC_LISTS else key_env,
                folder / f"models_{spelling}.json",
                folder / FETCH_LOG,
                spelling,
            )
        )
    for name in sources:
        if name != "openrouter":
            url = _endpoint(name, SOURCE_URLS[name], overrides)
            result.targets.append(source_target(name, url, out))
    return result


def render_summary(outcomes: list[Outcome], without_endpoint: int, out: Path) -> str:
    """One screen: counts, a line per fetched or failed target, skipped ones folded."""
    by_status = {
        s: [o for o in outcomes if o.status == s] for s in ("fetched", "failed", "skipped")
    }
    counts = ", ".join(f"{len(v)} {k}" for k, v in by_status.items())
    lines = [f"fetch into {out}: {counts}"]
    width = max((len(o.id) for o in outcomes), default=0)
    for status in ("fetched", "failed"):
        for o in sorted(by_status[status], key=lambda o: o.id):
            where = f" -> {o.path.name}" if status == "fetched" and o.path else ""
            lines.append(f"  {status:<7}  {o.id:<{width}}  {o.detail}{where}")
    groups: dict[str, list[Outcome]] = {}
    for o in sorted(by_status["skipped"], key=lambda o: o.id):
        groups.setdefault(o.detail.split(":")[0], []).append(o)
    for group in groups.values():
        if len(group) == 1:
            lines.append(f"  skipped  {group[0].id:<{width}}  {group[0].detail}")
            continue
        head = f"  skipped  {len(group)} providers, {group[0].detail.split(':')[0]}: "
        wrapped = textwrap.wrap(", ".join(o.id for o in group), 100 - len(head))
        lines.append(head + wrapped[0])
        lines += [" " * len(head) + line for line in wrapped[1:]]
    if without_endpoint:
        lines.append(f"  ({without_endpoint} catalog providers have no models_endpoint)")
    return "\n".join(lines)


def _parse_endpoints(values: tuple[str, ...], known: set[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for value in values:
        target_id, sep, url = value.partition("=")
        if not sep or not url:
            raise click.BadParameter(f"{value!r}: expected ID=URL", param_hint="--endpoint")
        if target_id not in known:
            raise click.BadParameter(
                f"{target_id!r} is not a catalog provider or a source", param_hint="--endpoint"
            )
        if not url.startswith(("http://", "https://")):
            raise click.BadParameter(
                f"{shown_url(url)!r}: not an http(s) URL", param_hint="--endpoint"
            )
        out[target_id] = url
    return out


def _resolve(providers: dict[str, ProviderFile], names: tuple[str, ...]) -> list[str]:
    """Provider ids for ``--provider`` values (ids or aliases)."""
    spelling = {spelling_key(pid): pid for pid in providers}
    for pid, provider in providers.items():
        for alias in provider.aliases:
            spelling.setdefault(spelling_key(alias), pid)
    out = []
    for name in names:
        found = spelling.get(spelling_key(name))
        if found is None:
            raise click.BadParameter(
                f"unknown provider {name!r} (no catalog/providers/{name}.toml)",
                param_hint="--provider",
            )
        pid = found
        if not providers[pid].models_endpoint:
            raise click.BadParameter(
                f"{pid} has no models_endpoint in catalog/providers/{pid}.toml",
                param_hint="--provider",
            )
        out.append(pid)
    return out


@click.command("fetch")
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("work"),
    show_default=True,
    help="Work directory: dumps go to OUT/model_catalog/, open catalogs to OUT/sources/.",
)
@click.option(
    "--provider", "names", multiple=True, help="Fetch only this provider (id or alias). Repeatable."
)
@click.option(
    "--source",
    "sources",
    multiple=True,
    type=click.Choice(SOURCES),
    help="Also fetch a public open catalog: the live models.dev api.json, LiteLLM's price "
    "map, or OpenRouter's model list. Repeatable; with --source only, no providers are fetched.",
)
@click.option(
    "--endpoint",
    "endpoints",
    multiple=True,
    metavar="ID=URL",
    help="Use URL instead of the catalog's models_endpoint (also env KNOLLM_FETCH_ENDPOINT_<ID>).",
)
@catalog_option("Curated overlays; providers are read from CATALOG/providers/.")
@click.option(
    "--concurrency",
    type=click.IntRange(1, 64),
    default=8,
    show_default=True,
    help="Endpoints fetched at the same time.",
)
@click.option(
    "--timeout",
    type=click.FloatRange(min=0.01),
    default=30.0,
    show_default=True,
    help="Seconds per request, body included.",
)
@click.option(
    "--retries",
    type=click.IntRange(0, 10),
    default=3,
    show_default=True,
    help="Retries per request on 429, 5xx, timeouts and connection errors.",
)
@click.option(
    "--backoff",
    type=click.FloatRange(min=0),
    default=1.0,
    show_default=True,
    help="First retry delay in seconds (doubles each time); a Retry-After header wins.",
)
def fetch_command(
    out: Path,
    names: tuple[str, ...],
    sources: tuple[str, ...],
    endpoints: tuple[str, ...],
    catalog_dir: Path,
    concurrency: int,
    timeout: float,
    retries: int,
    backoff: float,
) -> None:
    """Download live model lists into OUT. Exits 1 when any attempted fetch failed.

    Keys come only from each provider's auth_env variables; providers whose key is not set
    are skipped and listed. A failed provider keeps its previous dump and is marked failed
    in OUT/model_catalog/failed_models.json.
    """
    curated = load_curated(catalog_dir)
    errors = [p for p in curated.problems if p.kind == "error"]
    if errors:
        more = f" (and {len(errors) - 1} more catalog errors)" if len(errors) > 1 else ""
        raise click.ClickException(errors[0].line() + more)
    providers = curated.providers
    wanted = _resolve(providers, names)
    overrides = _parse_endpoints(endpoints, set(providers) | set(SOURCES))
    chosen = plan(providers, out, wanted, list(dict.fromkeys(sources)), overrides)
    policy = Policy(
        timeout=timeout,
        attempts=retries + 1,
        backoff=backoff,
        jitter=backoff / 2,
        concurrency=concurrency,
    )
    redact = Redactor()
    outcomes = asyncio.run(fetch_all(chosen.targets, policy, redact)) if chosen.targets else []
    outcomes += chosen.skipped
    click.echo(redact(render_summary(outcomes, chosen.without_endpoint, out)))
    if any(o.status == "failed" for o in outcomes):
        raise click.exceptions.Exit(1)
