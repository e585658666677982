"""``knollm browse`` through Textual's test pilot on the fixture catalog."""

from __future__ import annotations

import pytest
from textual.widgets import DataTable, Static

from knollm import Catalog
from knollm.tui import KnollmApp, ModelScreen, ProviderScreen


def cell(table: DataTable, row: int, column: int = 0) -> str:
    return str(table.get_row_at(row)[column])


@pytest.mark.asyncio
async def test_search_and_drill_into_a_model(catalog: Catalog) -> None:
    app = KnollmApp(catalog)
    async with app.run_test(size=(140, 40)) as pilot:
        models = app.query_one("#models", DataTable)
        assert models.row_count == 5  # the deprecated evil-model is left out
        await pilot.press(*"llama 70b")
        await pilot.pause()
        assert models.row_count == 1
        assert cell(models, 0) == "llama-3.3-70b-instruct"
        await pilot.press("enter")  # leave the search box for the table
        await pilot.press("enter")  # open the highlighted model
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, ModelScreen)
        hosts = screen.query_one("#hosts", DataTable)
        # Cheapest first by the ranking rule: the $0 tier after the paid offerings.
        assert [cell(hosts, i) for i in range(hosts.row_count)] == [
            "groq",
            "together",
            "openrouter",
        ]
        assert cell(hosts, 0, 2) == "$0.59"
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, ModelScreen)


@pytest.mark.asyncio
async def test_providers_tab_and_offering_drill_down(catalog: Catalog) -> None:
    app = KnollmApp(catalog)
    async with app.run_test(size=(140, 40)) as pilot:
        await pilot.press(*"groq")
        await pilot.pause()
        providers = app.query_one("#providers", DataTable)
        assert [cell(providers, i) for i in range(providers.row_count)] == ["groq"]
        app.query_one("#tabs").active = "providers-tab"
        providers.focus()
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, ProviderScreen)
        offerings = app.screen.query_one("#offerings", DataTable)
        assert offerings.row_count == 3
        await pilot.press("enter")  # first offering -> its model
        await pilot.pause()
        assert isinstance(app.screen, ModelScreen)
        assert app.screen.model.id == "llama-3.1-8b-instruct"


@pytest.mark.asyncio
async def test_hostile_names_are_not_markup(catalog: Catalog) -> None:
    app = KnollmApp(catalog)
    async with app.run_test(size=(140, 40)) as pilot:
        app.push_screen(ModelScreen(catalog, catalog.model("evil-model")))
        await pilot.pause()
        facts = app.screen.query_one("#facts", Static)
        assert "[bold]Evil[/bold] <script>alert(1)</script>" in str(facts.render())
