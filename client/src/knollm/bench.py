"""Benchmarks users run themselves: time to first token, latency, throughput and errors.

Every request is streamed through an :class:`~knollm.router.AsyncRouter` and timed on the
client's monotonic clock:

* **TTFT** (seconds): from just before the request is sent to the first chunk that carries
  content (text or a tool call);
* **latency** (seconds): from the same start to the end of the stream;
* **output tokens per second**: ``(completion_tokens - 1) / (latency - TTFT)``, the decode rate
  after the first token (``null`` with fewer than two tokens). ``completion_tokens`` is the
  provider's usage block when it sends one (``tokens_source: "usage"``), else the number of
  content chunks (``"chunks"``);
* **error rate**: failed attempts / all attempts at an offering. A request the router answered
  after falling back counts one error for each offering that failed and one success for the one
  that answered.

Summaries give the median and the 95th percentile (linear interpolation between order
statistics, ``statistics.quantiles(method="inclusive")``; with one sample both are that sample).

Results are one JSON document (format ``knollm-measurements``, version 1; JSON Schema in
``measurements.schema.json`` beside this module) saved under the user data directory
(``KNOLLM_DATA_DIR``, else platformdirs' ``user_data_dir("knollm")``) in ``benchmarks/``.
``benchmarks/priors.json`` keeps each offering's latest median latency; routers read it at start
and seed the ``fastest`` strategy's latency table with it (see :func:`seed_priors`).
"""

from __future__ import annotations

import asyncio
import os
import platform
import statistics
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

from knollm import __version__
from knollm.prompts import Prompt
from knollm.router.core import classify
from knollm.router.errors import AllCandidatesFailed, RouterError

if TYPE_CHECKING:
    from knollm.router import AsyncRouter
    from knollm.router.health import Health

FORMAT = "knollm-measurements"
FORMAT_VERSION = 1
ENV_DATA_DIR = "KNOLLM_DATA_DIR"
PRIORS = "priors.json"


class MeasurementsError(ValueError):
    """A results file that is not a valid ``knollm-measurements`` document."""


@dataclass(slots=True)
class Sample:
    """One attempt at one offering: timings when it answered, the error kind when not."""

    requested: str
    offering: str | None
    run: int
    prompt: str
    ok: bool
    ttft_s: float | None = None
    latency_s: float | None = None
    output_tokens: int | None = None
    tokens_source: str | None = None
    tokens_per_s: float | None = None
    error: str | None = None


def data_dir() -> Path:
    """The per-user data directory (``KNOLLM_DATA_DIR`` overrides)."""
    given = os.environ.get(ENV_DATA_DIR)
    if given:
        return Path(given)
    from platformdirs import user_data_dir

    return Path(user_data_dir("knollm", appauthor=False))


def results_dir() -> Path:
    return data_dir() / "benchmarks"


def _has_content(chunk: Any) -> bool:
    for choice in chunk.choices or ():
        delta = choice.delta
        if delta is not None and (delta.content or delta.tool_calls):
            return True
    return False


async def measure(
    router: AsyncRouter,
    spec: str,
    prompt: Prompt,
    run: int,
    max_tokens: int | None,
    clock: Callable[[], float] = time.perf_counter,
) -> list[Sample]:
    """Stream one request and time it; one sample per attempt the router made."""
    params: dict[str, Any] = {"max_tokens": max_tokens} if max_tokens else {}
    started = clock()
    first: float | None = None
    chunks = 0
    stream: Any = None
    try:
        stream = await router.chat.completions.create(
            model=spec, messages=prompt.messages, stream=True, **params
        )
        async for chunk in stream:
            if _has_content(chunk):
                chunks += 1
                if first is None:
                    first = clock()
        ended = clock()
    except AllCandidatesFailed as exc:
        return [
            Sample(spec, a.offering, run, prompt.id, False, error=a.outcome) for a in exc.attempts
        ]
    except RouterError:  # nothing to measure (unknown model, no key, over budget): stop
        raise
    except Exception as exc:  # not retried by the router (a 400, a broken stream): one error
        info = getattr(stream, "knollm", None)
        offering = info.offering.key if info else None
        return [Sample(spec, offering, run, prompt.id, False, error=classify(exc)[0])]
    info = stream.knollm
    samples = [
        Sample(spec, a.offering, run, prompt.id, False, error=a.outcome)
        for a in info.attempts
        if a.outcome != "ok"
    ]
    usage = info.usage
    tokens, source = (usage.completion_tokens, "usage") if usage else (chunks, "chunks")
    ttft = (first if first is not None else ended) - started
    latency = ended - started
    rate = (tokens - 1) / (latency - ttft) if tokens >= 2 and latency > ttft else None
    samples.append(
        Sample(spec, info.offering.key, run, prompt.id, True, ttft, latency, tokens, source, rate)
    )
    return samples


def spread(values: Sequence[float]) -> dict[str, Any]:
    """``{"n", "median", "p95", "min", "max"}`` of some values (``None``s where there are none)."""
    if not values:
        return {"n": 0, "median": None, "p95": None, "min": None, "max": None}
    ordered = sorted(values)
    p95 = (
        ordered[0]
        if len(ordered) == 1
        else statistics.quantiles(ordered, n=20, method="inclusive")[18]
    )
    return {
        "n": len(ordered),
        "median": round(statistics.median(ordered), 6),
        "p95": round(p95, 6),
        "min": round(ordered[0], 6),
        "max": round(ordered[-1], 6),
    }


def summarise(samples: Sequence[Sample], router: AsyncRouter | None = None) -> list[dict[str, Any]]:
    """One result per offering (sorted by median latency, failures-only offerings last)."""
    by: dict[str, list[Sample]] = {}
    for s in samples:
        by.setdefault(s.offering or s.requested, []).append(s)
    offerings = {} if router is None else {o.key: o for o in router.catalog.offerings}
    results: list[dict[str, Any]] = []
    for key, group in by.items():
        ok = [s for s in group if s.ok]
        errors: dict[str, int] = {}
        for s in group:
            if not s.ok:
                errors[s.error or "error"] = errors.get(s.error or "error", 0) + 1
        o = offerings.get(key)
        results.append(
            {
                "offering": key,
                "provider": o.provider if o else key.partition(":")[0],
                "provider_model_id": o.provider_model_id if o else key.partition(":")[2],
                "model": o.model if o else None,
                "requested": sorted({s.requested for s in group}),
                "attempts": len(group),
                "errors": len(group) - len(ok),
                "error_rate": round((len(group) - len(ok)) / len(group), 6),
                "errors_by_kind": dict(sorted(errors.items())),
                "ttft_s": spread([s.ttft_s for s in ok if s.ttft_s is not None]),
                "latency_s": spread([s.latency_s for s in ok if s.latency_s is not None]),
                "output_tokens_per_s": spread(
                    [s.tokens_per_s for s in ok if s.tokens_per_s is not None]
                ),
                "output_tokens": spread([s.output_tokens for s in ok if s.output_tokens]),
                "tokens_source": sorted({s.tokens_source for s in ok if s.tokens_source}),
            }
        )
    results.sort(key=lambda r: (r["latency_s"]["median"] is None, r["latency_s"]["median"] or 0))
    return results


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


async def run_benchmark(
    router: AsyncRouter,
    specs: Sequence[str],
    prompts: Sequence[Prompt],
    *,
    runs: int = 5,
    concurrency: int = 1,
    max_tokens: int | None = 128,
    measured_by: str | None = None,
    where: str | None = None,
    on_request: Callable[[list[Sample]], None] | None = None,
) -> dict[str, Any]:
    """Send every prompt ``runs`` times to every spec, at most ``concurrency`` at once, and
    return the results document. ``on_request`` is called after each request (progress)."""
    if runs < 1 or concurrency < 1:
        raise ValueError("runs and concurrency must be >= 1")
    jobs = [(spec, p, r) for r in range(runs) for p in prompts for spec in specs]
    gate = asyncio.Semaphore(concurrency)
    samples: list[Sample] = []
    started_at, t0 = _now(), time.perf_counter()

    async def one(spec: str, prompt: Prompt, run: int) -> None:
        async with gate:
            got = await measure(router, spec, prompt, run, max_tokens)
        samples.extend(got)
        if on_request is not None:
            on_request(got)

    await asyncio.gather(*(one(*job) for job in jobs))
    catalog = router.catalog
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "id": str(uuid.uuid4()),
        "measured_by": measured_by,
        "measured_from": {
            "where": where,
            "platform": f"{platform.system()}-{platform.machine()}",
            "python": platform.python_version(),
            "client": f"knollm {__version__}",
        },
        "started_at": started_at,
        "finished_at": _now(),
        "seconds": round(time.perf_counter() - t0, 3),
        "catalog": {"generated_at": catalog.generated_at},
        "settings": {
            "models": list(specs),
            "prompts": len(prompts),
            "runs": runs,
            "concurrency": concurrency,
            "max_tokens": max_tokens,
            "stream": True,
        },
        "results": summarise(samples, router),
        "samples": [asdict(s) for s in samples],
    }


# -- files -------------------------------------------------------------------------------------


def _validator() -> Callable[[Any], Any]:
    import fastjsonschema

    text = resources.files("knollm").joinpath("measurements.schema.json").read_bytes()
    return fastjsonschema.compile(orjson.loads(text))


def validate(doc: Any, where: str = "results") -> dict[str, Any]:
    """``doc`` if it is a valid measurements document, else :class:`MeasurementsError`."""
    import fastjsonschema

    try:
        _validator()(doc)
    except fastjsonschema.JsonSchemaValueException as exc:
        raise MeasurementsError(
            f"{where}: not a knollm-measurements document: {exc.message}"
        ) from None
    return doc


def load(path: str | Path) -> dict[str, Any]:
    """Read and validate one results file."""
    p = Path(path)
    try:
        doc = orjson.loads(p.read_bytes())
    except OSError as exc:
        raise MeasurementsError(f"{p}: cannot read ({exc.strerror or exc})") from None
    except orjson.JSONDecodeError as exc:
        raise MeasurementsError(f"{p}: not JSON ({exc})") from None
    return validate(doc, str(p))


def saved() -> list[Path]:
    """Saved results files, oldest first."""
    folder = results_dir()
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.glob("*.json") if p.name != PRIORS)


def save(doc: dict[str, Any], folder: Path | None = None) -> Path:
    """Write a results document into the data directory and update the priors; returns its path."""
    validate(doc)
    folder = folder or results_dir()
    folder.mkdir(parents=True, exist_ok=True)
    stamp = doc["finished_at"].replace(":", "").replace("-", "")
    path = folder / f"{stamp}-{doc['id'][:8]}.json"
    path.write_bytes(orjson.dumps(doc, option=orjson.OPT_INDENT_2) + b"\n")
    priors = read_priors(folder / PRIORS)
    for r in doc["results"]:
        median = r["latency_s"]["median"]
        if median is not None:
            priors[r["offering"]] = {
                "latency_s": median,
                "ttft_s": r["ttft_s"]["median"],
                "output_tokens_per_s": r["output_tokens_per_s"]["median"],
                "measured_at": doc["finished_at"],
                "file": path.name,
            }
    tmp = folder / (PRIORS + ".tmp")
    tmp.write_bytes(orjson.dumps(dict(sorted(priors.items())), option=orjson.OPT_INDENT_2))
    tmp.replace(folder / PRIORS)
    return path


def read_priors(path: Path | None = None) -> dict[str, dict[str, Any]]:
    """``{offering key: {"latency_s", ...}}`` from ``priors.json``; empty when absent or broken."""
    path = path or results_dir() / PRIORS
    try:
        data = orjson.loads(path.read_bytes())
    except (OSError, orjson.JSONDecodeError):
        return {}
    if not isinstance(data, dict):
        return {}
    return {
        k: v
        for k, v in data.items()
        if isinstance(v, dict) and isinstance(v.get("latency_s"), int | float)
    }


def seed_priors(health: Health, priors: dict[str, dict[str, Any]] | None = None) -> int:
    """Give the ``fastest`` strategy a prior: each benchmarked offering's median latency enters
    the router's latency table as one observation made now, so it decays like any other (half
    of its weight per ``latency_half_life``) and real observations soon outweigh it. Offerings
    the router has already measured keep their own figure. Returns how many were seeded."""
    from knollm.router.health import Latency

    priors = read_priors() if priors is None else priors
    now = time.monotonic()
    seeded = 0
    with health.lock:
        for key, p in priors.items():
            if key not in health.latency:
                health.latency[key] = Latency(health.half_life, float(p["latency_s"]), 1.0, now)
                seeded += 1
    return seeded
