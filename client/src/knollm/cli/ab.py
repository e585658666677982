"""``knollm ab run`` and ``knollm ab report``: A/B tests of two models with a blind judge."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click
import orjson

from knollm.cli.common import state, stderr_line
from knollm.cli.output import Column, money, output_options, table


@click.group("ab")
def ab() -> None:
    """A/B tests: run two models over a prompt file, then report wins, cost and latency."""


@ab.command("run")
@click.option("--a", "model_a", required=True, metavar="MODEL", help="Model spec A.")
@click.option("--b", "model_b", required=True, metavar="MODEL", help="Model spec B.")
@click.option(
    "--prompts",
    "prompts_file",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="JSONL file: one JSON string, or object with prompt or messages, per line.",
)
@click.option("--judge", metavar="MODEL", help="Model that picks the better answer, blind.")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the judge's order.")
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the results (JSON lines) here instead of to stdout.",
)
@click.option("--max-tokens", type=click.IntRange(min=1), help="max_tokens of every request.")
@click.option("--timeout", type=click.FloatRange(min=0.1), default=120.0, show_default=True,
              help="Deadline in seconds for each prompt's pair of answers (and the judge).")  # fmt: skip
def run_command(
    model_a: str,
    model_b: str,
    prompts_file: Path,
    judge: str | None,
    seed: int,
    out: Path | None,
    max_tokens: int | None,
    timeout: float,
) -> None:
    """Ask A and B every prompt (in parallel); with --judge, ask it which answer is better.

    \b
      knollm ab run --a groq/llama-3.3-70b-versatile --b cerebras/llama-3.3-70b \\
          --prompts prompts.jsonl --judge openai/gpt-4o-mini --seed 7 --out results.jsonl
      knollm ab report results.jsonl
    """
    from knollm.ab import run_ab
    from knollm.prompts import PromptFileError, read_prompts
    from knollm.router import Router, RouterError

    try:
        prompts = read_prompts(prompts_file)
    except PromptFileError as exc:
        raise click.ClickException(str(exc)) from None
    params: dict[str, Any] = {"max_tokens": max_tokens} if max_tokens else {}
    router = Router(state().catalog, timeout=timeout)
    try:
        for spec in filter(None, (model_a, model_b, judge)):  # fail before sending anything
            router.candidates(spec, prompts[0].messages, **params)
        sink = out.open("wb") if out is not None else None
        try:
            for n, record in enumerate(
                run_ab(
                    router,
                    model_a,
                    model_b,
                    prompts,
                    judge=judge,
                    seed=seed,
                    timeout=timeout,
                    **params,
                )
            ):
                line = orjson.dumps(record) + b"\n"
                if sink is None:
                    sys.stdout.buffer.write(line)
                    sys.stdout.flush()
                else:
                    sink.write(line)
                    if n:
                        stderr_line(f"{n}/{len(prompts)} {record['prompt_id']}")
        finally:
            if sink is not None:
                sink.close()
    except RouterError as exc:
        raise click.ClickException(str(exc)) from None
    except OSError as exc:
        raise click.ClickException(f"{out}: cannot write ({exc.strerror or exc})") from None
    finally:
        router.close()
    if out is not None:
        stderr_line(f"wrote {out} (knollm ab report {out})")


def _seconds(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value * 1000:.0f} ms" if value < 1 else f"{value:.2f} s"


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.1%}"


def read_records(path: Path) -> list[dict[str, Any]]:
    """The lines of an A/B results file; ClickException naming file and line when one is bad."""
    try:
        lines = path.read_bytes().splitlines()
    except OSError as exc:
        raise click.ClickException(f"{path}: cannot read ({exc.strerror or exc})") from None
    records = []
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            record = orjson.loads(line)
        except orjson.JSONDecodeError as exc:
            raise click.ClickException(f"{path}:{n}: not JSON ({exc})") from None
        if not isinstance(record, dict) or record.get("kind") not in ("ab-run", "ab-result"):
            raise click.ClickException(f"{path}:{n}: not an A/B record (written by knollm ab run?)")
        if record["kind"] == "ab-result" and not all(k in record for k in ("a", "b", "judge")):
            raise click.ClickException(f"{path}:{n}: an ab-result needs a, b and judge")
        records.append(record)
    if not any(r["kind"] == "ab-result" for r in records):
        raise click.ClickException(f"{path}: no results")
    return records


SIDE_COLUMNS = [
    Column("", "what"),
    Column("A", "a", right=True),
    Column("B", "b", right=True),
]


@ab.command("report")
@click.argument("results", type=click.Path(dir_okay=False, path_type=Path))
@output_options
def report_command(results: Path, fmt: str) -> None:
    """Win rate of A over B (95% Wilson interval), cost and latency side by side."""
    from knollm.ab import report

    summary = report(read_records(results))
    a, b = summary["sides"]["a"], summary["sides"]["b"]
    rows = [
        {"what": "model", "a": summary["a"], "b": summary["b"]},
        {"what": "answered", "a": str(a["answered"]), "b": str(b["answered"])},
        {"what": "errors", "a": str(a["errors"]), "b": str(b["errors"])},
        {"what": "wins", "a": str(summary["wins_a"]), "b": str(summary["wins_b"])},
        {"what": "cost", "a": money(a["cost"]), "b": money(b["cost"])},
        {"what": "cost per answer", "a": money(a["cost_per_answer"]),
         "b": money(b["cost_per_answer"])},
        {"what": "latency p50", "a": _seconds(a["latency_median_s"]),
         "b": _seconds(b["latency_median_s"])},
        {"what": "latency p95", "a": _seconds(a["latency_p95_s"]),
         "b": _seconds(b["latency_p95_s"])},
        {"what": "output tokens", "a": str(a["completion_tokens"]),
         "b": str(b["completion_tokens"])},
    ]  # fmt: skip
    table(rows, SIDE_COLUMNS, fmt, data=summary)
    if fmt != "table":
        return
    if summary["judged"] or summary["ties"]:
        click.echo(
            f"A wins {_pct(summary['win_rate_a'])} of {summary['wins_a'] + summary['wins_b']} "
            f"decided prompts (95% Wilson interval {_pct(summary['win_rate_a_low'])}–"
            f"{_pct(summary['win_rate_a_high'])}); ties {summary['ties']}, not judged "
            f"{summary['unjudged']}; judge cost {money(summary['judge_cost'])}"
        )
    else:
        click.echo(f"no judge verdicts ({summary['prompts']} prompts)")
