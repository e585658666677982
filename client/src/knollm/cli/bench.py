"""``knollm benchmark``: measure TTFT, latency, throughput and errors; ``benchmark show``."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from knollm.cli.common import state, stderr_line
from knollm.cli.output import Column, output_options, table

DEFAULT_PROMPT = "Write one short paragraph about the history of the bicycle."


def split_models(value: str | None) -> list[str]:
    """``A,B , C`` -> ``["A", "B", "C"]``."""
    return [m.strip() for m in (value or "").split(",") if m.strip()]


def _seconds(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value * 1000:.0f} ms" if value < 1 else f"{value:.2f} s"


def _rate(value: float | None) -> str:
    return "—" if value is None else f"{value:,.1f}"


def result_rows(doc: dict[str, Any]) -> list[dict[str, Any]]:
    """One flat row per offering, raw values (seconds, tokens/s) for --json and --csv."""
    rows = []
    for r in doc["results"]:
        rows.append(
            {
                "offering": r["offering"],
                "attempts": r["attempts"],
                "error_rate": r["error_rate"],
                "ttft_median_s": r["ttft_s"]["median"],
                "ttft_p95_s": r["ttft_s"]["p95"],
                "latency_median_s": r["latency_s"]["median"],
                "latency_p95_s": r["latency_s"]["p95"],
                "tokens_per_s_median": r["output_tokens_per_s"]["median"],
                "tokens_per_s_p95": r["output_tokens_per_s"]["p95"],
            }
        )
    return rows


COLUMNS = [
    Column("Offering", "offering"),
    Column("Tries", "attempts", str, right=True),
    Column("Errors", "error_rate", lambda v: f"{v:.0%}", right=True),
    Column("TTFT p50", "ttft_median_s", _seconds, right=True),
    Column("TTFT p95", "ttft_p95_s", _seconds, right=True),
    Column("Latency p50", "latency_median_s", _seconds, right=True),
    Column("Latency p95", "latency_p95_s", _seconds, right=True),
    Column("Tok/s p50", "tokens_per_s_median", _rate, right=True),
    Column("Tok/s p95", "tokens_per_s_p95", _rate, right=True),
]


def chart(doc: dict[str, Any], width: int = 40) -> list[str]:
    """Median latency per offering as a bar, extended with a lighter shade to its p95."""
    rows = [r for r in doc["results"] if r["latency_s"]["median"] is not None]
    if not rows:
        return ["(no successful requests to chart)"]
    top = max(r["latency_s"]["p95"] for r in rows) or 1.0
    name_width = min(max(len(r["offering"]) for r in rows), 40)
    lines = ["latency: █ median, ░ to p95"]
    for r in rows:
        median, p95 = r["latency_s"]["median"], r["latency_s"]["p95"]
        solid = max(1, round(median / top * width))
        light = max(0, round(p95 / top * width) - solid)
        name = r["offering"][:name_width].ljust(name_width)
        bar = ("█" * solid + "░" * light).ljust(width)
        lines.append(f"{name} {bar} {_seconds(median)} (p95 {_seconds(p95)})")
    return lines


def _emit(doc: dict[str, Any], fmt: str, path: Path | None) -> None:
    table(result_rows(doc), COLUMNS, fmt, data=doc, empty="no results")
    if fmt == "table":
        for line in chart(doc):
            click.echo(line)
        if path is not None:
            stderr_line(f"saved {path} (knollm benchmark show)")


def _stderr_is_terminal() -> bool:
    return sys.stderr.isatty()


def _progress(total: int) -> Any:
    """A rich progress bar on stderr when it is a terminal; else None."""
    if not _stderr_is_terminal():
        return None
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    progress = Progress(
        "benchmark",
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=Console(file=sys.stderr, force_terminal=True),
        transient=True,
    )
    progress.add_task("requests", total=total)
    return progress


@click.group("benchmark", invoke_without_command=True)
@click.option("--models", "models_text", metavar="A,B,C", help="Model specs to measure.")
@click.option("--prompt", help="The prompt to send (default: a short paragraph request).")
@click.option(
    "--prompts",
    "prompts_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="JSONL file of prompts (see the A/B guide for the format).",
)
@click.option("--runs", type=click.IntRange(min=1), default=5, show_default=True)
@click.option("--concurrency", type=click.IntRange(min=1), default=1, show_default=True)
@click.option("--max-tokens", type=click.IntRange(min=1), default=128, show_default=True)
@click.option("--timeout", type=click.FloatRange(min=0.1), default=60.0, show_default=True,
              help="Seconds before one request counts as timed out.")  # fmt: skip
@click.option("--by", "measured_by", help="Who measured, recorded in the results.")
@click.option("--where", help="Where from (region, network), recorded in the results.")
@click.option("--no-save", is_flag=True, help="Do not save the results in the data directory.")
@output_options
@click.pass_context
def benchmark(
    ctx: click.Context,
    models_text: str | None,
    prompt: str | None,
    prompts_file: Path | None,
    runs: int,
    concurrency: int,
    max_tokens: int,
    timeout: float,
    measured_by: str | None,
    where: str | None,
    no_save: bool,
    fmt: str,
) -> None:
    """Measure time to first token, latency, output tokens/s and error rate of models you can call.

    Every request streams through the router (keys from the usual environment variables).
    Results are saved in the user data directory (KNOLLM_DATA_DIR overrides) and become the
    `fastest` strategy's prior; `knollm benchmark show` prints the latest again.

    \b
      knollm benchmark --models groq/llama-3.3-70b-versatile,cerebras/llama-3.3-70b --runs 10
    """
    if ctx.invoked_subcommand is not None:
        return
    import asyncio

    from knollm import bench
    from knollm.prompts import Prompt, PromptFileError, read_prompts
    from knollm.router import AsyncRouter, RouterError

    specs = split_models(models_text)
    if not specs:
        raise click.UsageError("--models is required (comma-separated model specs)")
    if prompt is not None and prompts_file is not None:
        raise click.UsageError("give --prompt or --prompts, not both")
    if prompts_file is not None:
        try:
            prompts = read_prompts(prompts_file)
        except PromptFileError as exc:
            raise click.ClickException(str(exc)) from None
    else:
        prompts = [Prompt("prompt", [{"role": "user", "content": prompt or DEFAULT_PROMPT}])]
    catalog = state().catalog
    total = len(specs) * len(prompts) * runs

    async def go() -> dict[str, Any]:
        async with AsyncRouter(catalog, timeout=timeout, benchmark_priors=False) as router:
            for spec in specs:  # unknown specs and missing keys fail before anything is sent
                router.candidates(spec, prompts[0].messages, max_tokens=max_tokens)
            progress = _progress(total)
            advance = None
            if progress is not None:
                progress.start()
                task = progress.task_ids[0]

                def advance(_: Any) -> None:
                    progress.advance(task)

            try:
                return await bench.run_benchmark(
                    router, specs, prompts, runs=runs, concurrency=concurrency,
                    max_tokens=max_tokens, measured_by=measured_by, where=where,
                    on_request=advance,
                )  # fmt: skip
            finally:
                if progress is not None:
                    progress.stop()

    try:
        doc = asyncio.run(go())
    except RouterError as exc:
        raise click.ClickException(str(exc)) from None
    path = None if no_save else bench.save(doc)
    _emit(doc, fmt, path)


@benchmark.command("show")
@click.argument("file", required=False, type=click.Path(dir_okay=False, path_type=Path))
@output_options
def show_command(file: Path | None, fmt: str) -> None:
    """Print saved benchmark results (default: the latest) with a small latency chart."""
    from knollm import bench

    if file is None:
        found = bench.saved()
        if not found:
            raise click.ClickException(
                f"no saved benchmark results in {bench.results_dir()} (run knollm benchmark first)"
            )
        file = found[-1]
    try:
        doc = bench.load(file)
    except bench.MeasurementsError as exc:
        raise click.ClickException(str(exc)) from None
    if fmt == "table":
        who = doc["measured_by"] or "anonymous"
        where = doc["measured_from"]["where"] or "unstated place"
        stderr_line(f"{file.name}: {doc['finished_at']}, by {who}, from {where}")
    _emit(doc, fmt, None)
