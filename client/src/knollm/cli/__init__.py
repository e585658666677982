"""``knollm``: the catalog at the terminal. This module only assembles the command groups."""

from __future__ import annotations

import gc

import click

from knollm import __version__
from knollm.cli.common import State
from knollm.cli.config import config
from knollm.cli.costs import cheapest_command, compare_command, costs, optimal_command
from knollm.cli.data import info_command, update_command
from knollm.cli.libraries import libraries
from knollm.cli.models import models
from knollm.cli.providers import providers


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="knollm")
@click.option(
    "--catalog",
    "location",
    metavar="PATH|URL",
    help="Catalog to use instead of the updated or bundled one (also KNOLLM_CATALOG).",
)
@click.pass_context
def main(ctx: click.Context, location: str | None) -> None:
    """Find, price and compare LLMs across providers, from the Knollm catalog.

    Data: --catalog or KNOLLM_CATALOG if given, else the copy `knollm update` downloaded,
    else the snapshot bundled with this package. `knollm info` says which and how old.

    \b
    Shell completion (bash; zsh_source and fish_source likewise):
      eval "$(_KNOLLM_COMPLETE=bash_source knollm)"
    """
    ctx.obj = State(location=location)


@main.command("browse")
def browse_command() -> None:
    """Search and drill into providers and models interactively (a terminal UI)."""
    from knollm.cli.common import state
    from knollm.tui import KnollmApp

    catalog = state().catalog
    if not gc.isenabled():  # run() turned it off for a one-shot command
        gc.freeze()  # the catalog lives as long as the app: keep it out of every collection
        gc.enable()
    KnollmApp(catalog).run()


main.add_command(providers)
main.add_command(models)
main.add_command(costs)
main.add_command(cheapest_command)
main.add_command(optimal_command)
main.add_command(compare_command)
main.add_command(libraries)
main.add_command(update_command)
main.add_command(info_command)
main.add_command(config)


def run() -> None:
    """The ``knollm`` console script: :func:`main` without the cyclic garbage collector.

    A command is a short-lived process that builds ~30,000 records and frees nothing, so the
    collector would only walk them again (~60 ms of a ~0.45 s search); ``browse``, the one
    long-lived command, turns it back on. ``main`` itself leaves the collector alone, for
    callers that run it inside a longer-lived process, such as tests.
    """
    gc.disable()
    main()
