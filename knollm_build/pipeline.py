"""The compiler: load -> normalise -> merge (+ assemble) -> validate, wired together, in memory.

Nothing is written here (that is :mod:`knollm_build.emit`); the result is the
typed catalog (:class:`~knollm_build.schema.Catalog`) and its typed report
(:class:`~knollm_build.report.Report`). Each stage hands the next plain typed
values and never reaches back. Every stage boundary turns unexpected exceptions
from one source into a reported problem so the rest still builds (``debug``
re-raises them instead).
"""

from __future__ import annotations

import os
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path
from typing import Any, cast

import orjson

from knollm_build import history as price_history
from knollm_build import measurements as measured_runs
from knollm_build import plausibility
from knollm_build.assemble import build_models, build_providers
from knollm_build.canonical import RulesError, load_rules
from knollm_build.catalog_files import load_curated
from knollm_build.gcpause import without_cyclic_gc
from knollm_build.identity_join import join_last_resort
from knollm_build.libraries import Library, load_libraries
from knollm_build.listed import publish_api_ids
from knollm_build.merge import merge
from knollm_build.normalise import normalise
from knollm_build.provider_kind import display_name, duplicate_providers, provider_kinds
from knollm_build.records import Problem, RawRecord, SourceInfo, SourceResult
from knollm_build.report import Accounting, Report, build_report
from knollm_build.schema import SCHEMA_VERSION, Catalog, Source
from knollm_build.sources import (
    CANONICAL_SOURCE,
    DEFAULT_SOURCES,
    OVERRIDES_SOURCE,
    WORK_SOURCE,
    LoadContext,
)
from knollm_build.sources import overrides as override_source
from knollm_build.validate import validate


class BuildError(Exception):
    """A problem that stops the build before anything is compiled (bad rules file)."""


@dataclass(slots=True)
class BuildOptions:
    work_dirs: list[Path] = field(default_factory=list)
    default_sources: bool = True
    catalog_dir: Path = Path("catalog")
    generated_at: datetime | None = None
    """Defaults to ``SOURCE_DATE_EPOCH`` when set, else now."""
    debug: bool = False
    previous_history: Path | None = None
    """The previous build's ``history.json``; its points are all kept (the ledger only grows)."""
    measurement_dirs: list[Path] = field(default_factory=list)
    """Folders of ``knollm benchmark`` results read besides ``catalog/measurements/``."""
    check_duplicate_providers: bool = True
    """Fail the build when two providers share >= 90 % of their ids at the same prices. Only the
    compile benchmark turns it off: its synthetic 10x copies are such duplicates by design."""


@dataclass
class BuildResult:
    catalog: Catalog
    """The compiled catalog, as published in ``models.json``."""
    build_report: Report
    """The build's report, as published in ``report.json``."""
    problems: list[Problem]
    timings: dict[str, float]
    libraries: list[Library] = field(default_factory=list)
    """Valid reviews of ``catalog/libraries/`` (their errors are in ``problems``)."""
    history: price_history.History | None = None
    """The price ledger, as published in ``history.json``."""

    @cached_property
    def history_document(self) -> dict[str, Any] | None:
        """The ledger in its published form (the JSON value of ``history.json``)."""
        return price_history.published(self.history) if self.history is not None else None

    @cached_property
    def document(self) -> dict[str, Any]:
        """The catalog in its published form (the JSON value of ``models.json``)."""
        return published(self.catalog)

    @cached_property
    def report(self) -> dict[str, Any]:
        """The report in its published form (the JSON value of ``report.json``)."""
        return published(self.build_report)


def published(record: Catalog | Report) -> dict[str, Any]:
    """A contract record as plain JSON values: exactly the fields the build set.

    Serialised to JSON in pydantic-core and parsed back with orjson: the same values as
    ``model_dump(exclude_unset=True)`` (every contract field is a JSON type), ~6x faster on the
    full catalog (0.27 s against 1.67 s), which is most of what publishing cost. The JSON is
    kept as the serializer's bytes, which orjson parses as they are: ``model_dump_json`` would
    decode them into a str first, a second copy of the whole catalog's JSON alive at the
    build's peak (at 10x the catalog, 175 MB more and ~1 s of decoding)."""
    json = record.__pydantic_serializer__.to_json(record, exclude_unset=True)
    return cast(dict[str, Any], orjson.loads(json))


def build_time(options: BuildOptions) -> datetime:
    if options.generated_at is not None:
        return options.generated_at
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch and epoch.strip().isdigit():
        return datetime.fromtimestamp(int(epoch), tz=UTC)
    return datetime.now(tz=UTC).replace(microsecond=0)


def _run_adapter(name: str, adapter: Any, context: LoadContext) -> SourceResult:
    try:
        return adapter(context)
    except Exception as exc:  # stage boundary: one source's bug never sinks the build
        if context.debug:
            raise
        return SourceResult(
            [], problems=[Problem("error", name, "", f"internal error in source adapter: {exc!r}")]
        )


def compile_catalog(options: BuildOptions) -> BuildResult:
    """Build the whole catalog in memory."""
    with without_cyclic_gc():
        return _compile(options)


def _compile(options: BuildOptions) -> BuildResult:
    timings: dict[str, float] = {}
    clock = time.perf_counter()
    generated = build_time(options)
    curated = load_curated(options.catalog_dir)
    try:
        rules = load_rules(options.catalog_dir / "model_rules.toml")
    except RulesError as exc:
        raise BuildError(str(exc)) from exc
    context = LoadContext(
        work_dirs=list(options.work_dirs),
        reference_date=generated.date().isoformat(),
        debug=options.debug,
        catalog_dir=options.catalog_dir,
        curated=curated,
    )
    adapters: dict[str, Any] = dict(DEFAULT_SOURCES) if options.default_sources else {}
    if options.work_dirs:
        adapters["work"] = WORK_SOURCE
        adapters["models-dev-canonical"] = CANONICAL_SOURCE
    adapters["overrides"] = OVERRIDES_SOURCE
    results = [_run_adapter(name, adapter, context) for name, adapter in adapters.items()]
    timings["load"] = time.perf_counter() - clock

    problems: list[Problem] = list(curated.problems)
    infos: list[SourceInfo] = []
    records: list[RawRecord] = []
    hints = []
    facts = []
    read = 0
    for result in results:
        infos.extend(result.sources)
        records.extend(result.records)
        problems.extend(result.problems)
        hints.extend(result.provider_hints)
        facts.extend(result.model_facts)
        read += result.records_read

    clock = time.perf_counter()
    precedence = {info.id: info.precedence for info in infos}
    captured = {info.id: info.captured_at for info in infos}
    normalised = normalise(records, curated.providers, rules, precedence, hints, captured, facts)
    price_labels = publish_api_ids(normalised.records)
    identity_joins = join_last_resort(normalised.records, rules)
    timings["normalise"] = time.perf_counter() - clock

    clock = time.perf_counter()
    merged = merge(normalised.records, context.reference_date)
    problems.extend(merged.problems)
    timings["merge"] = time.perf_counter() - clock

    clock = time.perf_counter()
    creators = {r.model: r.creator for r in normalised.records if r.creator}
    names = {o.provider: display_name(o.provider) for o in merged.offerings}
    names |= {pid: h.name for pid, h in normalised.hints.items() if h.name and pid in names}
    names |= {pid: pf.name for pid, pf in curated.providers.items()}
    kind_of = provider_kinds(
        names, merged.offerings, creators, {k: f.kind for k, f in curated.providers.items()}
    )
    exempt = {frozenset((k, o)) for k, f in curated.providers.items() for o in f.not_duplicate_of}
    duplicates = duplicate_providers(merged.offerings, exempt)
    if duplicates and options.check_duplicate_providers:
        raise BuildError("\n".join(problem.line() for problem in duplicates))
    provider_kinds_: dict[str, str | None] = dict(kind_of)
    alternates = {
        (r.provider, r.raw.provider_model_id, f"pricing.{name}"): (r.raw.source, value)
        for r in normalised.records
        for name, value in r.raw.alternate_prices.items()
    }
    checked = plausibility.check(
        merged.offerings,
        provider_kinds_,
        frozenset(i.id for i in infos if i.zero_means_unknown),
        alternates,
    )
    problems.extend(checked.problems)
    offerings = checked.offerings
    # Each merged offering now has its checked copy: drop the merged ones rather than carry a
    # second copy of every offering through assemble, history and publishing (the build's peak).
    merged.offerings.clear()
    timings["plausibility"] = time.perf_counter() - clock

    clock = time.perf_counter()
    models = build_models(
        offerings, normalised.records, problems, normalised.model_facts, provider_kinds_, names
    )
    providers = build_providers(offerings, curated.providers, normalised, problems, kind_of)
    timings["assemble"] = time.perf_counter() - clock

    clock = time.perf_counter()
    problems.extend(validate(providers, models, offerings))
    libraries = load_libraries(options.catalog_dir / "libraries", {p.id for p in providers})
    problems.extend(libraries.problems)
    timings["validate"] = time.perf_counter() - clock

    clock = time.perf_counter()
    try:
        measured = measured_runs.read(
            [options.catalog_dir / measured_runs.FOLDER, *options.measurement_dirs],
            {(o.provider, o.provider_model_id): o.model for o in offerings},
        )
    except Exception as exc:  # stage boundary: a bug here never sinks the catalog
        if options.debug:
            raise
        measured = measured_runs.Measured(
            problems=[Problem("error", "measurements", "", f"internal error: {exc!r}")]
        )
    problems.extend(measured.problems)
    catalog = Catalog.model_construct(
        schema_version=SCHEMA_VERSION,
        generated_at=generated.strftime("%Y-%m-%dT%H:%M:%SZ"),
        sources=_sources(infos),
        providers=providers,
        models=models,
        offerings=offerings,
    )
    if measured.measurements:  # set only when there are some: no such key without them
        catalog.measurements = measured.measurements
    if measured.files:
        timings["measurements"] = time.perf_counter() - clock

    clock = time.perf_counter()
    previous, unreadable = price_history.load_previous(options.previous_history)
    problems.extend(unreadable)
    dates = {info.id: info.captured_at or info.history_date for info in infos}
    ledger, history_conflicts = price_history.build_history(
        offerings,
        price_history.observations(normalised.records, dates),
        previous,
        catalog.generated_at,
        precedence,
    )
    timings["history"] = time.perf_counter() - clock

    kinds = Counter(p.kind for p in problems)
    accounting = {
        "records_read": read,
        "offerings_kept": len(offerings),
        "merged_duplicates": merged.merged_duplicates,
        "excluded": kinds["excluded"],
        # An invalid offering is one problem standing for every record merged into it.
        "quarantined": kinds["quarantined"]
        - merged.quarantined_offerings
        + merged.quarantined_records,
    }
    accounting["holds"] = accounting["records_read"] == (
        accounting["offerings_kept"]
        + accounting["merged_duplicates"]
        + accounting["excluded"]
        + accounting["quarantined"]
    )
    report = build_report(
        catalog,
        problems,
        Accounting.model_validate(accounting),
        normalised.spellings,
        override_source.listing(context),
        merged.unit_errors,
        identity_joins=identity_joins,
        price_labels=price_labels,
    )
    report.history_conflicts = history_conflicts
    return BuildResult(catalog, report, problems, timings, libraries.libraries, ledger)


def _sources(infos: list[SourceInfo]) -> list[Source]:
    out = []
    for info in sorted(infos, key=lambda i: i.id):
        entry = {
            "id": info.id,
            "name": info.name,
            "kind": info.kind,
            "version": info.version,
            "license": info.license,
            "url": info.url,
            "captured_at": info.captured_at,
            "stale": info.stale,
            "records": info.records,
        }
        out.append(Source.model_validate({k: v for k, v in entry.items() if v is not None}))
    return out
