"""``knollm-build``: the catalog compiler's command line. It only wires stages together."""

from __future__ import annotations

import functools
import importlib
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

import click
import orjson

from knollm_build.cli_options import catalog_option
from knollm_build.diff import (
    DiffError,
    diff_catalogs,
    json_bytes,
    load_catalog,
    render_markdown,
    render_text,
    write_json,
)
from knollm_build.emit import summary, write_files, write_if_changed
from knollm_build.pipeline import BuildError, BuildOptions, BuildResult, compile_catalog
from knollm_build.publish import SITE_URL, publish


class LazyGroup(click.Group):
    """A group whose heavier commands are imported when called (or listed for help), so that
    ``compile`` doesn't pay for ``fetch``'s HTTP stack: ``{name: "module:attribute"}``."""

    def __init__(self, *args: Any, lazy: dict[str, str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lazy = lazy

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted([*super().list_commands(ctx), *self.lazy])

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.lazy:
            module, _, attribute = self.lazy[cmd_name].partition(":")
            command: click.Command = getattr(importlib.import_module(module), attribute)
            return command
        return super().get_command(ctx, cmd_name)


@click.group(
    cls=LazyGroup,
    lazy={
        "fetch": "knollm_build.fetch_cli:fetch_command",
        "libraries": "knollm_build.library_facts:libraries_command",
    },
    context_settings={"help_option_names": ["-h", "--help"]},
)
@click.version_option(package_name="knollm-build")
def main() -> None:
    """Compile the Knollm LLM catalog from provider dumps, open catalogs and curated overlays."""


def _build_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """The options of a build (``compile`` and ``pages``): inputs, previous data, site URL."""
    decorators = [
        click.option(
            "--work",
            "work_dirs",
            multiple=True,
            type=click.Path(exists=True, file_okay=False, path_type=Path),
            help="A work directory whose model_catalog/*.json dumps are read. Repeatable.",
        ),
        catalog_option("Curated overlays (providers, model rules, overrides)."),
        click.option(
            "--no-default-sources",
            is_flag=True,
            help="Skip the pinned open catalogs (models.dev, genai-prices, LiteLLM).",
        ),
        click.option(
            "--previous",
            type=click.Path(dir_okay=False, path_type=Path),
            help="A previously published models.json: the Atom feed summarises what changed.",
        ),
        click.option(
            "--site-url",
            envvar="KNOLLM_SITE_URL",
            default=SITE_URL,
            show_default=True,
            help="The site's address, for the Atom feed's ids and links (env KNOLLM_SITE_URL).",
        ),
        click.option(
            "--previous-history",
            type=click.Path(exists=True, dir_okay=False, path_type=Path),
            default=None,
            help="The previous price ledger to grow (default: OUT/history.json when it exists).",
        ),
        click.option(
            "--no-previous-history",
            is_flag=True,
            help="Build the price ledger from the sources alone, ignoring any previous history.json.",
        ),
        click.option(
            "--measurements",
            "measurement_dirs",
            multiple=True,
            type=click.Path(exists=True, file_okay=False, path_type=Path),
            help="A folder of `knollm benchmark` results (*.json) to publish as measurements, "
            "besides CATALOG/measurements/. Repeatable.",
        ),
        click.option(
            "--debug",
            is_flag=True,
            help="Show tracebacks for unexpected errors instead of reporting them.",
        ),
    ]

    @functools.wraps(command)
    def packed(**given: Any) -> Any:
        build = BuildInputs(**{name: given.pop(name) for name in BUILD_INPUTS})
        return command(build=build, **given)

    wrapped: Callable[..., Any] = packed
    for decorator in reversed(decorators):
        wrapped = decorator(wrapped)
    return wrapped


@dataclass(frozen=True)
class BuildInputs:
    """What :func:`_build_options` read, handed to a build command as one ``build`` value."""

    work_dirs: tuple[Path, ...]
    catalog_dir: Path
    no_default_sources: bool
    previous: Path | None
    site_url: str
    previous_history: Path | None
    no_previous_history: bool
    measurement_dirs: tuple[Path, ...]
    debug: bool


BUILD_INPUTS = tuple(f.name for f in fields(BuildInputs))


def _build(
    build: BuildInputs, default_history: Path | None
) -> tuple[BuildResult, dict[str, Any] | None]:
    """Compile the catalog and, with ``--previous``, diff it against that data; the price ledger
    grows from ``--previous-history``, else ``default_history`` (none with
    ``--no-previous-history``)."""
    options = BuildOptions(
        work_dirs=list(build.work_dirs),
        default_sources=not build.no_default_sources,
        catalog_dir=build.catalog_dir,
        debug=build.debug,
        previous_history=_history_input(
            build.previous_history, build.no_previous_history, default_history
        ),
        measurement_dirs=list(build.measurement_dirs),
    )
    previous = build.previous
    try:
        old = None if previous is None else load_catalog(previous)  # bad input fails first
    except DiffError as exc:
        raise click.ClickException(f"--previous: {exc}") from exc
    try:
        result = compile_catalog(options)
    except BuildError as exc:
        raise click.ClickException(str(exc)) from exc
    return result, None if old is None else diff_catalogs(old, result.document)


def _history_input(given: Path | None, ignore: bool, default: Path | None) -> Path | None:
    """The previous ledger to grow: ``--previous-history``, else ``default`` (compile's
    OUT/history.json), none with ``--no-previous-history``."""
    if given is not None and ignore:
        raise click.UsageError("--previous-history and --no-previous-history exclude each other")
    if ignore:
        return None
    return given if given is not None else default


@main.command("compile")
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("build/data"),
    show_default=True,
    help="Directory to write models.json, schema.json, providers.json, report.json and the other "
    "published files into.",
)
@_build_options
@click.option(
    "--strict",
    is_flag=True,
    help="Exit 1 when any record is quarantined or any input error is found.",
)
@click.option("--quiet", "-q", is_flag=True, help="Print only problems, not the summary.")
def compile_command(out_dir: Path, build: BuildInputs, strict: bool, quiet: bool) -> None:
    """Build the catalog and write every published file to OUT."""
    started = time.perf_counter()
    result, diff = _build(build, out_dir / "history.json")
    written = write_files(out_dir, publish(result, diff=diff, site_url=build.site_url))
    result.timings["total"] = time.perf_counter() - started
    if not quiet:
        click.echo(summary(result.report, result.timings))
        for item in written:
            click.echo(item.line())
    report = result.report
    for problem in report["errors"] if quiet else []:  # without -q the summary lists them
        where = f"{problem['position']}: " if problem["position"] else ""
        click.echo(f"error: {problem['file']}: {where}{problem['reason']}", err=True)
    for problem in report["quarantined"]:
        click.echo(
            f"quarantined: {problem['file']}: {problem['position']}: {problem['reason']}", err=True
        )
    bad = len(report["quarantined"]) + len(report["errors"])
    if strict and bad:
        click.echo(
            f"--strict: {len(report['quarantined'])} quarantined record(s), {len(report['errors'])} input error(s)",
            err=True,
        )
        sys.exit(1)


@main.command("pages")
@click.argument("out_dir", metavar="OUT", type=click.Path(file_okay=False, path_type=Path))
@_build_options
@click.option(
    "--templates",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    default=Path("templates"),
    show_default=True,
    help="Jinja2 templates of the generated pages.",
)
@click.option(
    "--vendor",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="node_modules of package.json (npm ci): copy the browser libraries into assets/vendor/.",
)
@click.option(
    "--stats",
    "stats_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write the figures the hand-written pages show (mkdocs-macros' `stats`) as JSON, "
    "for a builder that runs no plugin: put them under `extra.stats` in its config.",
)
def pages_command(
    out_dir: Path,
    build: BuildInputs,
    templates: Path,
    vendor: Path | None,
    stats_file: Path | None,
) -> None:
    """Render every generated page and site file into OUT, without MkDocs.

    OUT becomes a docs folder: the generated pages (Markdown with HTML bodies), data/ (the
    published files) and changes/feed.xml. Copy the hand-written pages beside them and any
    MkDocs-compatible builder (MkDocs without the knollm plugin, Zensical) builds the site.
    """
    from site_plugins.knollm.generate import VendorMissing, write_site
    from site_plugins.knollm.stats import headline_stats

    result, diff = _build(build, None)
    published = publish(result, diff=diff, site_url=build.site_url)
    try:
        count = write_site(out_dir, result, published, templates, diff=diff, node_modules=vendor)
    except VendorMissing as exc:
        raise click.ClickException(str(exc)) from exc
    if stats_file is not None:
        stats = headline_stats(result.document, result.report)
        write_if_changed(stats_file, orjson.dumps(stats, option=orjson.OPT_SORT_KEYS), 0)
    click.echo(
        f"{count.pages:,} pages and {count.files:,} files in {out_dir}: "
        f"{count.updated:,} updated, {count.pages + count.files - count.updated:,} unchanged"
    )


@main.command("diff")
@click.argument("old", type=click.Path(path_type=Path))
@click.argument("new", type=click.Path(path_type=Path))
@click.option(
    "--json",
    "json_out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write the full diff as JSON (sorted keys) to this file.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "markdown"]),
    default="text",
    show_default=True,
    help="What to print on stdout.",
)
@click.option(
    "--limit",
    type=click.IntRange(min=0),
    default=50,
    show_default=True,
    help="Rows shown per section in text and markdown output; 0 shows all.",
)
def diff_command(old: Path, new: Path, json_out: Path | None, fmt: str, limit: int) -> None:
    """Compare two models.json files: what changed from OLD to NEW. Exits 0 either way."""
    try:
        result = diff_catalogs(load_catalog(old), load_catalog(new))
    except DiffError as exc:
        raise click.ClickException(str(exc)) from exc
    if json_out is not None:
        try:
            write_json(json_out, result)
        except OSError as exc:
            raise click.ClickException(f"{json_out}: cannot write ({exc.strerror or exc})") from exc
    if fmt == "json":
        click.echo(json_bytes(result).decode(), nl=False)
    elif fmt == "markdown":
        click.echo(render_markdown(result, limit))
    else:
        click.echo(render_text(result, limit))


if __name__ == "__main__":
    main()
