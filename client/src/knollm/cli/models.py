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
from knollm.queries import SORTS
from knollm.records import Offering


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
    }


@models.command("search")
@click.argument("query", required=False, default="")
@filter_options
@click.option("--sort", type=click.Choice(SORTS), default="relevance", show_default=True,
              help="relevance (best name match, then most hosts), price (cheapest input), ...")  # fmt: skip
@click.option("--limit", "-n", type=click.IntRange(min=1), default=20, show_default=True)
@output_options
def search_command(query: str, sort: str, limit: int, fmt: str, **opts: Any) -> None:
    """Find models by name, fuzzily (`llama 70b`, `gpt4o`, `sonnet 4`), and filter by what their
    offerings offer. Hosts and prices count only offerings that pass the filters."""
    catalog = state().catalog
    check_providers(catalog, opts["provider"], "--provider")
    criteria = criteria_from(opts)
    found = catalog.search(query, sort=sort, limit=limit, criteria=criteria)
    rows = []
    for match in found:
        m, best = match.model, match.cheapest
        rows.append(
            {
                "id": m.id,
                "name": m.name,
                "creator": m.creator,
                "released": m.released,
                "hosts": len({o.provider for o in match.offerings}),
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
        Column("hosts", "hosts", right=True),
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
    """A model's facts and every offering of it, cheapest input price first."""
    catalog = state().catalog
    try:
        m = catalog.model(model_id)
    except NotFound as exc:
        raise not_found(exc, "ID") from None
    offerings = sorted(
        catalog.offerings_of(m.id),
        key=lambda o: (
            o.pricing.input is None,
            o.pricing.input or 0.0,
            o.pricing.output or 0.0,
            o.key,
        ),
    )
    if fmt == "json":
        click.echo(dumps({**m.raw, "offering_list": [o.raw for o in offerings]}))
        return
    rows = [offering_row(o) for o in offerings]
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
            ("hosts / offerings", f"{m.hosts} / {m.offerings}"),
        ]
    )
    click.echo()
    table(rows, columns, fmt, title="Offerings, cheapest first")
    stderr_line(data_notice(catalog))
