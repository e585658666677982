"""``knollm models search|show``."""

from __future__ import annotations

from typing import Any

import click

from knollm.catalog import NotFound
from knollm.cli.common import (
    check_providers,
    criteria_from,
    data_notice,
    filter_options,
    not_found,
    state,
    stderr_line,
)
from knollm.cli.output import Column, dumps, facts, output_options, price, table, tokens
from knollm.queries import SORTS, caveats, display_order
from knollm.records import Model, Offering


@click.group()
def models() -> None:
    """Models, whoever serves them."""


def offering_row(o: Offering) -> dict[str, Any]:
    p = o.pricing
    return {
        "provider": o.provider,
        "provider_model_id": o.provider_model_id,
        "input": p.input,
        "output": p.output,
        "cache_read": p.cache_read,
        "batch_input": p.batch_input,
        "context_window": o.context_window,
        "max_output_tokens": o.max_output_tokens,
        "variant": list(o.variant),
        "status": o.status,
        "note": caveats(o),
    }


def hosts_text(direct: int, routed: int) -> str:
    """``3 direct + 5 via routers`` (routers, resellers and plans); ``3 direct`` alone."""
    return f"{direct} direct" + (f" + {routed} via routers" if routed else "")


def model_hosts(m: Model) -> str:
    return hosts_text(m.direct_hosts, m.routed_hosts)


@models.command("search")
@click.argument("query", required=False, default="")
@filter_options
@click.option("--sort", type=click.Choice(SORTS), default="relevance", show_default=True,
              help="relevance (best name match, then most hosts), price (cheapest input), ...")  # fmt: skip
@click.option("--limit", "-n", type=click.IntRange(min=1), default=20, show_default=True)
@output_options
def search_command(query: str, sort: str, limit: int, fmt: str, **opts: Any) -> None:
    """Find models by name, fuzzily (`llama 70b`, `gpt4o`, `sonnet 4`), and filter by what their
    offerings offer. Hosts and prices count only offerings that pass the filters; hosts are
    direct hosts, with routers, resellers and plans apart ("via"); unlisted offerings count only
    with --include-unlisted, and the cheapest price is never a $0 tier or a flagged price."""
    catalog = state().catalog
    check_providers(catalog, opts["provider"], "--provider")
    criteria = criteria_from(opts)
    found = catalog.search(query, sort=sort, limit=limit, criteria=criteria)
    rows = []
    for match in found:
        m, best = match.model, match.cheapest
        direct, routed = catalog.host_split(match.offerings)
        rows.append(
            {
                "id": m.id,
                "name": m.name,
                "creator": m.creator,
                "released": m.released,
                "hosts": len({o.provider for o in match.offerings}),
                "direct_hosts": direct,
                "routed_hosts": routed,
                "context_window": max((o.context_window or 0 for o in match.offerings), default=0)
                or None,
                "cheapest_provider": best.provider if best else None,
                "input": best.pricing.input if best else None,
                "output": best.pricing.output if best else None,
            }
        )
    columns = [
        Column("model", "id"),
        Column("creator", "creator"),
        Column("released", "released"),
        Column("hosts", "direct_hosts", right=True),
        Column("via routers", "routed_hosts", right=True),
        Column("context", "context_window", tokens, right=True),
        Column("cheapest at", "cheapest_provider"),
        Column("input $/1M", "input", price, right=True),
        Column("output $/1M", "output", price, right=True),
    ]
    table(
        rows,
        columns,
        fmt,
        empty=f"no model matches {query!r} with these filters"
        if query
        else "no model matches these filters",
    )
    if fmt == "table":
        stderr_line(data_notice(catalog))


@models.command("show")
@click.argument("model_id", metavar="ID")
@output_options
def show_command(model_id: str, fmt: str) -> None:
    """A model's facts and every offering of it, cheapest first: offerings a cost ranking takes
    by input price, then $0 tiers and plans, then flagged or not per-token prices, then unlisted
    ids; the note column says which (`!` marks a price in doubt)."""
    catalog = state().catalog
    try:
        m = catalog.model(model_id)
    except NotFound as exc:
        raise not_found(exc, "ID") from None
    offerings = sorted(catalog.offerings_of(m.id), key=display_order)
    if fmt == "json":
        hosts = {"direct_hosts": m.direct_hosts, "routed_hosts": m.routed_hosts}
        click.echo(dumps({**m.raw, **hosts, "offering_list": [o.raw for o in offerings]}))
        return
    rows = [offering_row(o) for o in offerings]
    unlisted = sum(1 for o in offerings if not o.listed)
    columns = [
        Column("provider", "provider"),
        Column("API id", "provider_model_id"),
        Column("input $/1M", "input", price, right=True),
        Column("output $/1M", "output", price, right=True),
        Column("cached $/1M", "cache_read", price, right=True),
        Column("context", "context_window", tokens, right=True),
        Column("max out", "max_output_tokens", tokens, right=True),
        Column("variant", "variant"),
        Column("status", "status"),
        Column("note", "note", lambda v: ", ".join(v)),
    ]
    if fmt == "csv":
        table(rows, columns, fmt)
        return
    facts(
        [
            ("model", f"{m.name} ({m.id})"),
            ("creator", m.creator or "—"),
            ("family", m.family or "—"),
            ("released", m.released or "—"),
            ("open weights", m.open_weights),
            ("context", tokens(m.context_window)),
            ("input", list(m.input_modalities)),
            ("output", list(m.output_modalities)),
            ("capabilities", list(m.capabilities)),
            ("modes", list(m.modes)),
            ("hosts", model_hosts(m)),
            ("offerings", f"{m.offerings} ({unlisted} unlisted)" if unlisted else m.offerings),
        ]
    )
    click.echo()
    table(rows, columns, fmt, title="Offerings, cheapest first")
    stderr_line(data_notice(catalog))
