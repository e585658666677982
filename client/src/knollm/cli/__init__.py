"""``knollm``: the catalog at the terminal. This module only assembles the command groups.

Commands are imported when they run, not before (``COMMANDS`` maps each name to
``module:attribute``): a search then loads the search command's module alone, not the cost, data
and library ones, and stays within its time budget. A new command is one line in ``COMMANDS``.
"""

from __future__ import annotations

import gc
from importlib import import_module

import click

from knollm import __version__
from knollm.cli.common import State
from knollm.source import CatalogError

COMMANDS: dict[str, str] = {
    "providers": "knollm.cli.providers:providers",
    "models": "knollm.cli.models:models",
    "costs": "knollm.cli.costs:costs",
    "cheapest": "knollm.cli.costs:cheapest_command",
    "optimal": "knollm.cli.costs:optimal_command",
    "compare": "knollm.cli.costs:compare_command",
    "libraries": "knollm.cli.libraries:libraries",
    "update": "knollm.cli.data:update_command",
    "info": "knollm.cli.data:info_command",
    "ab": "knollm.cli.ab:ab",
    "benchmark": "knollm.cli.bench:benchmark",
    "config": "knollm.cli.config:config",
    "usage": "knollm.cli.usage:usage",
    "cache": "knollm.cli.cache:cache",
}


class LazyGroup(click.Group):
    """A group whose :data:`COMMANDS` are imported on first use (``--help`` lists them all)."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *COMMANDS})

    def invoke(self, ctx: click.Context) -> object:
        """A data problem found while a command runs (a record's ``raw`` read from a missing or
        mismatched models.json beside the index) is one error line, exit 1, not a traceback."""
        try:
            return super().invoke(ctx)
        except CatalogError as exc:
            raise click.ClickException(str(exc)) from None

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        found = super().get_command(ctx, cmd_name)
        if found is None and cmd_name in COMMANDS:
            module, _, attribute = COMMANDS[cmd_name].partition(":")
            found = getattr(import_module(module), attribute)
            self.add_command(found, cmd_name)
        return found


@click.group(
    cls=LazyGroup,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
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


def run() -> None:
    """The ``knollm`` console script: :func:`main` without the cyclic garbage collector.

    A command is a short-lived process that builds ~30,000 records and frees nothing, so the
    collector would only walk them again (~60 ms of a ~0.45 s search); ``browse``, the one
    long-lived command, turns it back on. ``main`` itself leaves the collector alone, for
    callers that run it inside a longer-lived process, such as tests.
    """
    gc.disable()
    main()
