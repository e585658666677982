"""Shared CLI pieces: the lazily loaded catalog, quantity parsing, filter options, error mapping."""

from __future__ import annotations

import gc
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar

import click

from knollm import index as index_file
from knollm.catalog import Catalog, Criteria, NotFound
from knollm.source import CatalogError, age_text

F = TypeVar("F", bound=Callable[..., Any])


class VocabularyChoice(click.Choice):
    """A choice among one of the schema's vocabularies (``status``, ``mode``, ``capability``,
    ``modality``), as the bundled client index carries them: generated from the compiler's
    schema, never a copied list. Read on first use (the header of the index, two lines)."""

    def __init__(self, vocabulary: str) -> None:
        self.vocabulary = vocabulary
        self.case_sensitive = True

    @property
    def choices(self) -> tuple[str, ...]:
        try:
            return index_file.vocabulary()[self.vocabulary]
        except CatalogError as exc:
            raise click.ClickException(str(exc)) from None

    @choices.setter
    def choices(self, value: Any) -> None:  # click's Choice assigns it; the index decides
        pass


MODES = VocabularyChoice("mode")
CAPABILITIES = VocabularyChoice("capability")
MODALITIES = VocabularyChoice("modality")
STATUSES = VocabularyChoice("status")
KINDS = VocabularyChoice("provider_kind")


@dataclass
class State:
    """Per-invocation state: where the catalog comes from, loaded on first use."""

    location: str | None = None
    _catalog: Catalog | None = field(default=None, repr=False)

    @property
    def catalog(self) -> Catalog:
        if self._catalog is None:
            try:
                self._catalog = Catalog.load(self.location)
            except CatalogError as exc:
                raise click.ClickException(str(exc)) from None
            # One command per process: exempt the catalog from garbage collection for good, so
            # the indexes and output built next do not trigger walks over a million objects.
            gc.freeze()
        return self._catalog


def state() -> State:
    return click.get_current_context().ensure_object(State)


def data_notice(catalog: Catalog) -> str:
    """One line naming the data in use and its age, for human output (stderr)."""
    source = catalog.source
    where = {"bundled": "bundled snapshot", "cache": "updated copy", "env": "KNOLLM_CATALOG",
             "option": "--catalog"}.get(source.kind, source.kind) if source else "in-memory"  # fmt: skip
    age = ""
    try:
        generated = datetime.fromisoformat(catalog.generated_at.replace("Z", "+00:00"))
        age = f", {age_text(generated.astimezone(UTC))}"
    except ValueError:
        pass
    return f"data: {where}, generated {catalog.generated_at[:10]}{age} (knollm info for more)"


_QUANTITY = re.compile(r"^\s*([0-9][0-9_]*(?:\.[0-9_]+)?)\s*([kmb]?)\s*$", re.IGNORECASE)
_SCALE = {"": 1, "k": 1_000, "m": 1_000_000, "b": 1_000_000_000}


def parse_quantity(text: str) -> int:
    """``128k`` -> 128000, ``2M`` -> 2000000, ``1_000`` -> 1000, ``1.5k`` -> 1500 (decimal units)."""
    match = _QUANTITY.match(text)
    if not match:
        raise ValueError(f"{text!r} is not a quantity (examples: 1000, 1_000, 128k, 2M, 1.5B)")
    number, unit = match.groups()
    return int(round(float(number.replace("_", "")) * _SCALE[unit.lower()]))


class Quantity(click.ParamType):
    """A token count such as ``128k``, ``2M`` or ``1_000``."""

    name = "quantity"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> int:
        if isinstance(value, int):
            return value
        try:
            return parse_quantity(str(value))
        except ValueError as exc:
            self.fail(str(exc), param, ctx)


QUANTITY = Quantity()


class UnknownId(click.ClickException):
    """An id that is not in the catalog: a usage error (exit 2), shown as one line."""

    exit_code = 2


def not_found(exc: NotFound, param: str) -> UnknownId:
    """``Error: --model: unknown model 'gpt5'; did you mean gpt-5, gpt-55?`` (exit 2)."""
    return UnknownId(f"{param}: {exc}")


def filter_options(func: F) -> F:
    """The offering filters shared by search, cheapest and optimal."""
    options = [
        click.option("--provider", "-p", multiple=True, help="Only these providers (repeatable)."),
        click.option("--exclude-provider", multiple=True, help="Never these providers (repeatable)."),
        click.option("--creator", multiple=True, help="Models by this lab (repeatable)."),
        click.option("--mode", type=MODES, multiple=True, help="API family."),
        click.option(
            "--capability", "-c", type=CAPABILITIES, multiple=True,
            help="Required capability (repeatable; all must hold).",
        ),
        click.option(
            "--input-modality", type=MODALITIES, multiple=True,
            help="Required input modality (repeatable).",
        ),
        click.option("--min-context", type=QUANTITY, help="Minimum context window, e.g. 128k."),
        click.option(
            "--max-input-price", type=click.FloatRange(min=0), help="USD per 1M input tokens, at most."
        ),
        click.option(
            "--max-output-price", type=click.FloatRange(min=0), help="USD per 1M output tokens, at most."
        ),
        click.option(
            "--status", type=STATUSES, multiple=True,
            help="Life-cycle states to include (default: active and preview).",
        ),
        click.option(
            "--with-key", is_flag=True, help="Only providers whose API key variable is set."
        ),
        click.option(
            "--include-unlisted", is_flag=True,
            help="Also offerings no model list names (only a price table does: the id may not work).",
        ),
    ]  # fmt: skip
    for option in reversed(options):
        func = option(func)
    return func


def criteria_from(opts: dict[str, Any], **extra: Any) -> Criteria:
    """Build :class:`Criteria` from the options of :func:`filter_options`."""
    return Criteria.of(
        provider=opts.pop("provider"),
        exclude_provider=opts.pop("exclude_provider"),
        creator=opts.pop("creator"),
        mode=opts.pop("mode"),
        capabilities=opts.pop("capability"),
        input_modalities=opts.pop("input_modality"),
        min_context=opts.pop("min_context"),
        max_input_price=opts.pop("max_input_price"),
        max_output_price=opts.pop("max_output_price"),
        status=opts.pop("status") or ("active", "preview"),
        require_api_key=opts.pop("with_key"),
        listed=None if opts.pop("include_unlisted") else True,
        **extra,
    )


def check_providers(catalog: Catalog, ids: tuple[str, ...], param: str) -> None:
    """Unknown provider ids in a filter are usage errors, not silently empty results."""
    for provider_id in ids:
        try:
            catalog.provider(provider_id)
        except NotFound as exc:
            raise not_found(exc, param) from None


def stderr_line(text: str) -> None:
    click.echo(text, err=True)


def is_terminal() -> bool:
    return sys.stdout.isatty()
