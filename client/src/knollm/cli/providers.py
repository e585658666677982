"""``knollm providers list|show``."""

from __future__ import annotations

import click

from knollm.catalog import NotFound
from knollm.cli.common import KINDS, data_notice, not_found, state, stderr_line
from knollm.cli.output import Column, dumps, facts, output_options, price, table, tokens
from knollm.queries import caveats, display_order
from knollm.records import Provider


@click.group()
def providers() -> None:
    """Companies and endpoints that serve models."""


def _provider_row(p: Provider) -> dict:
    return {
        "id": p.id,
        "name": p.name,
        "kind": p.kind,
        "direct": p.is_direct,
        "api_style": p.api_style,
        "models": p.models,
        "offerings": p.offerings,
        "auth_env": list(p.auth_env),
        "api_base_url": p.api_base_url,
    }


@providers.command("list")
@click.option(
    "--sort",
    type=click.Choice(["id", "name", "models", "offerings"]),
    default="id",
    show_default=True,
    help="Order of the list (counts largest first).",
)
@click.option("--kind", "kinds", type=KINDS, multiple=True,
              help="Only providers of this kind (repeatable).")  # fmt: skip
@click.option("--direct", "direct", flag_value=True, default=None,
              help="Only direct hosts (not routers, resellers or plans; no kind counts as direct).")  # fmt: skip
@click.option("--routed", "direct", flag_value=False,
              help="Only routers, resellers and subscription plans.")  # fmt: skip
@output_options
def list_command(sort: str, kinds: tuple[str, ...], direct: bool | None, fmt: str) -> None:
    """Every provider with its kind (first_party, cloud, inference_host, router, reseller,
    subscription; blank where the catalog does not say), its API style and how many models it
    serves."""
    catalog = state().catalog
    chosen = [
        p
        for p in catalog.providers
        if (not kinds or p.kind in kinds) and (direct is None or p.is_direct == direct)
    ]
    rows = [_provider_row(p) for p in chosen]
    if sort in ("models", "offerings"):
        rows.sort(key=lambda r: (-r[sort], r["id"]))
    elif sort == "name":
        rows.sort(key=lambda r: (r["name"].lower(), r["id"]))
    columns = [
        Column("id", "id"),
        Column("name", "name"),
        Column("kind", "kind"),
        Column("api", "api_style"),
        Column("models", "models", right=True),
        Column("offerings", "offerings", right=True),
        Column("key variable", "auth_env"),
    ]
    table(rows, columns, fmt, empty="no provider of that kind")
    if fmt == "table":
        stderr_line(data_notice(catalog))


@providers.command("show")
@click.argument("provider_id", metavar="ID")
@click.option("--limit", type=click.IntRange(min=0), default=20, show_default=True,
              help="Offerings to list (0 for all).")  # fmt: skip
@output_options
def show_command(provider_id: str, limit: int, fmt: str) -> None:
    """A provider's API facts and its offerings, cheapest first (as `knollm models show`:
    $0, flagged, not per-token and unlisted offerings after the others, with a note)."""
    catalog = state().catalog
    try:
        p = catalog.provider(provider_id)
    except NotFound as exc:
        raise not_found(exc, "ID") from None
    offerings = sorted(catalog.offerings_at(p.id), key=display_order)
    if fmt == "json":
        click.echo(dumps({**p.raw, "offering_list": [o.raw for o in offerings]}))
        return
    shown = offerings if not limit else offerings[:limit]
    rows = [
        {
            "provider_model_id": o.provider_model_id,
            "model": o.model,
            "mode": o.mode,
            "input": o.pricing.input,
            "output": o.pricing.output,
            "context_window": o.context_window,
            "status": o.status,
            "note": caveats(o),
        }
        for o in shown
    ]
    columns = [
        Column("API id", "provider_model_id"),
        Column("model", "model"),
        Column("mode", "mode"),
        Column("input $/1M", "input", price, right=True),
        Column("output $/1M", "output", price, right=True),
        Column("context", "context_window", tokens, right=True),
        Column("status", "status"),
        Column("note", "note", lambda v: ", ".join(v)),
    ]
    if fmt == "csv":
        table(rows, columns, fmt)
        return
    facts(
        [
            ("provider", f"{p.name} ({p.id})"),
            ("kind", (p.kind or "—") + ("" if p.is_direct else " (not a direct host)")),
            ("API", p.api_style or "—"),
            ("base URL", p.api_base_url or "—"),
            ("OpenAI-compatible", p.openai_compatible),
            ("key variable", list(p.auth_env)),
            ("docs", p.docs_url or "—"),
            ("pricing", p.pricing_url or "—"),
            ("models / offerings", f"{p.models} / {p.offerings}"),
        ]
    )
    more = (
        f" (first {len(shown)} of {len(offerings)}; --limit 0 for all)"
        if len(shown) < len(offerings)
        else ""
    )
    click.echo()
    table(rows, columns, fmt, title=f"Offerings, cheapest first{more}")
    stderr_line(data_notice(catalog))
