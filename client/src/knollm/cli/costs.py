"""``knollm costs estimate``, ``knollm cheapest``, ``knollm optimal`` and ``knollm compare``."""

from __future__ import annotations

from typing import Any

import click

from knollm.catalog import NotFound
from knollm.cli.common import (
    QUANTITY,
    check_providers,
    criteria_from,
    data_notice,
    filter_options,
    not_found,
    state,
    stderr_line,
)
from knollm.cli.models import model_hosts
from knollm.cli.output import Column, money, output_options, plain, price, table, tokens
from knollm.costs import CostEstimate
from knollm.queries import DEFAULT_INPUT, DEFAULT_OUTPUT, Preferences, caveats
from knollm.source import CatalogError

WEIGHTS = ("cost", "context", "recency", "hosts", "latency", "quality")


def workload_options(func: Any) -> Any:
    """``--input``/``--output`` token totals, defaulting to the usual 3:1 blend."""
    func = click.option(
        "--output", "output_tokens", type=QUANTITY, default=str(DEFAULT_OUTPUT), show_default="1M",
        help="Output tokens in total.",
    )(func)  # fmt: skip
    return click.option(
        "--input", "input_tokens", type=QUANTITY, default=str(DEFAULT_INPUT), show_default="3M",
        help="Input tokens in total (e.g. 2M, 500k).",
    )(func)  # fmt: skip


def estimate_row(e: CostEstimate) -> dict[str, Any]:
    return {
        "provider": e.offering.provider,
        "provider_model_id": e.offering.provider_model_id,
        "model": e.offering.model,
        "input": e.parts.get("input"),
        "cache_read": e.parts.get("cache_read"),
        "output": e.parts.get("output"),
        "per_request": e.parts.get("per_request"),
        "total": e.total if e.complete else None,
        "missing": list(e.missing),
        "notes": list(e.notes),
        "caveats": caveats(e.offering),
    }


def ranking_options(func: Any) -> Any:
    """``--include-free`` and ``--include-flagged``: what a cost ranking leaves out by default."""
    func = click.option(
        "--include-flagged", is_flag=True,
        help="Also offerings whose price is flagged (outlier, out of range, placeholder).",
    )(func)  # fmt: skip
    return click.option(
        "--include-free", is_flag=True, help="Also $0 offerings (free tiers, subscription plans)."
    )(func)


def _missing_or_notes(row: dict[str, Any]) -> str:
    said = ["no price for " + ", ".join(row["missing"])] if row["missing"] else row["notes"]
    return "; ".join([*row["caveats"], *said])


ESTIMATE_COLUMNS = [
    Column("provider", "provider"),
    Column("API id", "provider_model_id"),
    Column("input", "input", money, right=True),
    Column("cached", "cache_read", money, right=True),
    Column("output", "output", money, right=True),
    Column("fees", "per_request", lambda v: "" if v is None else money(v), right=True),
    Column("total", "total", money, right=True),
]


@click.group()
def costs() -> None:
    """What a workload costs."""


@costs.command("estimate")
@click.option("--model", "-m", "model_id", help="Price the workload at every host of this model.")
@click.option("--offering", "offering_key", metavar="PROVIDER:API_ID", help="Price one offering.")
@workload_options
@click.option("--cached", type=click.FloatRange(0, 1), default=0.0, show_default=True,
              help="Share of input tokens read from the prompt cache.")  # fmt: skip
@click.option("--requests", type=QUANTITY, help="Number of requests (decides long-context tiers).")
@click.option("--batch", is_flag=True, help="Use batch API prices.")
@click.option("--include-inactive", is_flag=True, help="Also deprecated and retired offerings.")
@click.option("--as-of", "as_of", type=click.DateTime(["%Y-%m-%d"]), metavar="YYYY-MM-DD",
              help="Price with the prices in force on this date (the price ledger, history.json).")  # fmt: skip
@output_options
def estimate_command(
    model_id: str | None, offering_key: str | None, input_tokens: int, output_tokens: int,
    cached: float, requests: int | None, batch: bool, include_inactive: bool, fmt: str,
    as_of: Any = None,
) -> None:  # fmt: skip
    """Cost of INPUT and OUTPUT tokens at each host of a model (cheapest first) or at one offering.
    Hosts lacking a needed price are listed last with what is missing, never counted as free;
    unlisted, $0, flagged and not per-token offerings say so in the notes (`!` marks a price in
    doubt)."""
    catalog = state().catalog
    if bool(model_id) == bool(offering_key):
        raise click.UsageError("give exactly one of --model or --offering")
    if requests is not None and requests < 1:
        raise click.BadParameter("must be at least 1", param_hint="--requests")
    try:
        if offering_key:
            offerings = [catalog.offering(offering_key)]
        else:
            model = catalog.model(model_id or "")
            offerings = [
                o for o in catalog.offerings_of(model.id)
                if include_inactive or o.status in ("active", "preview")
            ]  # fmt: skip
    except NotFound as exc:
        raise not_found(exc, "--offering" if offering_key else "--model") from None
    day = as_of.date().isoformat() if as_of else None
    try:
        estimates = [
            catalog.estimate_cost(o, input_tokens, output_tokens, cached_share=cached,
                                  requests=requests, batch=batch, as_of=day)
            for o in offerings
        ]  # fmt: skip
    except CatalogError as exc:  # no or unreadable history.json
        raise click.ClickException(str(exc)) from None
    estimates.sort(key=lambda e: (not e.complete, e.total, e.offering.key))
    rows = [estimate_row(e) for e in estimates]
    columns = [*ESTIMATE_COLUMNS, Column("notes", "notes", lambda _: "")]
    if fmt == "table":
        for row in rows:
            row["notes"] = _missing_or_notes(row)
        columns[-1] = Column("notes", "notes")
    title = (
        f"{tokens(input_tokens)} input"
        + (f" ({cached:.0%} cached)" if cached else "")
        + f" + {tokens(output_tokens)} output"
        + (f" over {requests:,} requests" if requests else "")
        + (", batch" if batch else "")
        + (f", prices as of {day}" if day else "")
    )
    table(rows, columns, fmt, title=title, data=[e.as_dict() for e in estimates])
    if fmt == "table":
        stderr_line(data_notice(catalog))


@click.command("cheapest")
@filter_options
@workload_options
@click.option(
    "--model", "-m", "model_ids", multiple=True, help="Only offerings of this model (repeatable)."
)
@ranking_options
@click.option("--limit", "-n", type=click.IntRange(min=1), default=10, show_default=True)
@output_options
def cheapest_command(
    input_tokens: int, output_tokens: int, model_ids: tuple[str, ...], include_free: bool,
    include_flagged: bool, limit: int, fmt: str, **opts: Any,
) -> None:  # fmt: skip
    """The cheapest offerings that meet the filters, for a workload (default 3M in, 1M out).
    Left out unless asked for: $0 offerings (free tiers, plans), flagged prices, unlisted ids;
    always left out: offerings with unknown prices or not priced per token (images, seconds)."""
    catalog = state().catalog
    check_providers(catalog, opts["provider"], "--provider")
    try:
        resolved = tuple(catalog.model(m).id for m in model_ids)
    except NotFound as exc:
        raise not_found(exc, "--model") from None
    criteria = criteria_from(
        opts, model=resolved, include_free=include_free, include_flagged=include_flagged
    )
    found = catalog.cheapest(
        criteria=criteria, input_tokens=input_tokens, output_tokens=output_tokens, limit=limit
    )
    rows = []
    for e in found:
        o = e.offering
        rows.append(
            {
                "provider": o.provider,
                "provider_model_id": o.provider_model_id,
                "model": o.model,
                "input_price": o.pricing.input,
                "output_price": o.pricing.output,
                "context_window": o.context_window,
                "total": e.total,
                "note": caveats(o),
            }
        )
    columns = [
        Column("provider", "provider"),
        Column("API id", "provider_model_id"),
        Column("model", "model"),
        Column("input $/1M", "input_price", price, right=True),
        Column("output $/1M", "output_price", price, right=True),
        Column("context", "context_window", tokens, right=True),
        Column("workload", "total", money, right=True),
        Column("note", "note", lambda v: ", ".join(v)),
    ]
    title = f"Cheapest for {tokens(input_tokens)} input + {tokens(output_tokens)} output"
    table(rows, columns, fmt, title=title)
    if fmt == "table":
        stderr_line(data_notice(catalog))


def _weights(values: tuple[str, ...]) -> dict[str, float]:
    out: dict[str, float] = {}
    for item in values:
        name, sep, number = item.partition("=")
        if not sep or name not in WEIGHTS:
            raise click.BadParameter(
                f"{item!r}: use NAME=WEIGHT with NAME one of {', '.join(WEIGHTS)}",
                param_hint="--weight",
            )
        try:
            weight = float(number)
        except ValueError:
            raise click.BadParameter(
                f"{item!r}: weight must be a number", param_hint="--weight"
            ) from None
        if not weight >= 0 or weight == float("inf"):
            raise click.BadParameter(
                f"{item!r}: weight must be finite and >= 0", param_hint="--weight"
            )
        out[name] = weight
    return out


@click.command("optimal")
@filter_options
@workload_options
@click.option("--weight", "-w", "weights", multiple=True, metavar="NAME=WEIGHT",
              help=f"Preference weight, repeatable; NAME is one of {', '.join(WEIGHTS)} (default cost=1).")  # fmt: skip
@ranking_options
@click.option("--limit", "-n", type=click.IntRange(min=1), default=10, show_default=True)
@output_options
def optimal_command(
    input_tokens: int, output_tokens: int, weights: tuple[str, ...], include_free: bool,
    include_flagged: bool, limit: int, fmt: str, **opts: Any,
) -> None:  # fmt: skip
    """Offerings that meet every filter, ranked by weighted preferences, with the reasons. The
    candidates are those `knollm cheapest` ranks (the same --include-* options)."""
    catalog = state().catalog
    check_providers(catalog, opts["provider"], "--provider")
    given = _weights(weights) or {"cost": 1.0}
    prefs = Preferences(
        **{k: given.get(k, 0.0) for k in WEIGHTS},
        input_tokens=input_tokens,
        output_tokens=output_tokens,
    )
    criteria = criteria_from(opts, include_free=include_free, include_flagged=include_flagged)
    ranked = catalog.find_optimal(prefs, criteria=criteria, limit=limit)
    rows = [
        {
            "rank": r.rank,
            "provider": r.offering.provider,
            "provider_model_id": r.offering.provider_model_id,
            "model": r.offering.model,
            "score": r.score,
            "reasons": r.reasons,
            "note": caveats(r.offering),
        }
        for r in ranked
    ]
    columns = [
        Column("#", "rank", right=True),
        Column("provider", "provider"),
        Column("API id", "provider_model_id"),
        Column("score", "score", lambda s: f"{s:.3f}", right=True),
        Column("why", "reasons", lambda r: "; ".join(r[1:])),
        Column("note", "note", lambda v: ", ".join(v)),
    ]
    table(rows, columns, fmt)
    if fmt == "table":
        stderr_line(data_notice(catalog))


@click.command("compare")
@click.argument("model_ids", nargs=-1, required=True, metavar="ID...")
@workload_options
@ranking_options
@click.option("--include-unlisted", is_flag=True, help="Also offerings no model list names.")
@output_options
def compare_command(
    model_ids: tuple[str, ...], input_tokens: int, output_tokens: int, include_free: bool,
    include_flagged: bool, include_unlisted: bool, fmt: str,
) -> None:  # fmt: skip
    """Models side by side: facts, direct hosts and hosts via routers, and the cheapest paid
    offering for a workload (by the rule of `knollm cheapest`)."""
    catalog = state().catalog
    try:
        compared = catalog.compare(
            model_ids, input_tokens=input_tokens, output_tokens=output_tokens,
            include_free=include_free, include_flagged=include_flagged,
            listed=None if include_unlisted else True,
        )  # fmt: skip
    except NotFound as exc:
        raise not_found(exc, "ID") from None
    if fmt != "table":
        rows = [
            {
                **{k: v for k, v in c.as_dict().items() if k != "cheapest"},
                "cheapest_provider": c.cheapest.offering.provider if c.cheapest else None,
                "cheapest_total": c.cheapest.total if c.cheapest else None,
            }
            for c in compared
        ]
        keys = list(rows[0])
        table(rows, [Column(k, k) for k in keys], fmt, data=[c.as_dict() for c in compared])
        return
    fields: list[tuple[str, Any]] = [
        ("name", lambda c: c.model.name),
        ("creator", lambda c: plain(c.model.creator)),
        ("released", lambda c: plain(c.model.released)),
        ("open weights", lambda c: plain(c.model.open_weights)),
        ("context", lambda c: tokens(c.max_context)),
        ("capabilities", lambda c: plain(c.capabilities)),
        ("hosts", lambda c: model_hosts(c.model)),
        ("cheapest at", lambda c: c.cheapest.offering.provider if c.cheapest else "—"),
        ("input $/1M", lambda c: price(c.cheapest.offering.pricing.input) if c.cheapest else "—"),
        ("output $/1M", lambda c: price(c.cheapest.offering.pricing.output) if c.cheapest else "—"),
        (f"{tokens(input_tokens)} in + {tokens(output_tokens)} out", lambda c: money(c.cheapest.total) if c.cheapest else "—"),
    ]  # fmt: skip
    rows = [{"field": name, **{c.model.id: get(c) for c in compared}} for name, get in fields]
    columns = [Column("", "field"), *(Column(c.model.id, c.model.id) for c in compared)]
    table(rows, columns, fmt)
    stderr_line(data_notice(catalog))
