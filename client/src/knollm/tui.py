"""``knollm browse``: a Textual app to search the catalog and drill into models and providers.

Type to search models (the same fuzzy search as ``knollm models search``) or filter providers;
Enter opens a model (its hosts, cheapest first) or a provider (its offerings); Enter on an offering
opens its model; Escape goes back. Data strings are wrapped in ``Text`` so they are never markup.
"""

from __future__ import annotations

from typing import Any, ClassVar

from rich.text import Text
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Input, Static, TabbedContent, TabPane

from knollm.catalog import Catalog
from knollm.cli.output import plain, price, tokens
from knollm.queries import display_order
from knollm.records import Model, Offering, Provider

ROWS = 200


def _cells(*values: Any) -> list[Text]:
    return [Text(v if isinstance(v, str) else plain(v)) for v in values]


def _offering_cells(o: Offering, first: str) -> list[Text]:
    p = o.pricing
    return _cells(
        first, o.provider_model_id, price(p.input), price(p.output), price(p.cache_read),
        tokens(o.context_window), ", ".join(o.variant), o.status,
    )  # fmt: skip


OFFERING_COLUMNS = (
    "API id",
    "input $/1M",
    "output $/1M",
    "cached $/1M",
    "context",
    "variant",
    "status",
)


class ModelScreen(Screen[None]):
    """One model: its facts and every host, cheapest input price first."""

    BINDINGS: ClassVar = [Binding("escape", "app.pop_screen", "Back")]

    def __init__(self, catalog: Catalog, model: Model) -> None:
        super().__init__()
        self.catalog, self.model = catalog, model

    def compose(self) -> ComposeResult:
        m = self.model
        facts = (
            f"{m.name}  ({m.id})\ncreator {plain(m.creator)} · released {plain(m.released)} · "
            f"context {tokens(m.context_window)} · open weights {plain(m.open_weights)}\n"
            f"capabilities {plain(m.capabilities)} · {m.direct_hosts} direct hosts"
            + (f" + {m.routed_hosts} via routers" if m.routed_hosts else "")
            + f", {m.offerings} offerings"
        )
        yield Header()
        yield Static(Text(facts), id="facts")
        yield DataTable(id="hosts", cursor_type="row", zebra_stripes=True)
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one("#hosts", DataTable)
        table.add_columns("provider", *OFFERING_COLUMNS)
        offerings = sorted(self.catalog.offerings_of(self.model.id), key=display_order)
        for o in offerings:
            table.add_row(*_offering_cells(o, o.provider), key=o.key)
        table.focus()


class ProviderScreen(Screen[None]):
    """One provider: its API facts and offerings; Enter opens an offering's model."""

    BINDINGS: ClassVar = [Binding("escape", "app.pop_screen", "Back")]

    def __init__(self, catalog: Catalog, provider: Provider) -> None:
        super().__init__()
        self.catalog, self.provider = catalog, provider

    def compose(self) -> ComposeResult:
        p = self.provider
        facts = (
            f"{p.name}  ({p.id})\nAPI {plain(p.api_style)} · base URL {plain(p.api_base_url)} · "
            f"key {plain(p.auth_env)}\n{p.models} models, {p.offerings} offerings"
        )
        yield Header()
        yield Static(Text(facts), id="facts")
        yield DataTable(id="offerings", cursor_type="row", zebra_stripes=True)
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one("#offerings", DataTable)
        table.add_columns("model", *OFFERING_COLUMNS)
        for o in self.catalog.offerings_at(self.provider.id):
            table.add_row(*_offering_cells(o, o.model), key=o.key)
        table.focus()

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        offering = self.catalog.offering(str(event.row_key.value))
        model = self.catalog.model_by_id.get(offering.model)
        if model is not None:
            self.app.push_screen(ModelScreen(self.catalog, model))


class KnollmApp(App[None]):
    """Search models and providers; drill into either."""

    TITLE = "knollm"
    CSS = "#facts { padding: 0 1; height: auto; } #status { color: $text-muted; padding: 0 1; }"
    BINDINGS: ClassVar = [
        Binding("slash", "focus_search", "Search"),
        Binding("q", "quit", "Quit"),
    ]

    def __init__(self, catalog: Catalog) -> None:
        super().__init__()
        self.catalog = catalog

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical():
            yield Input(placeholder="search, e.g. llama 70b, gpt4o, sonnet 4", id="query")
            with TabbedContent(id="tabs"):
                with TabPane("Models", id="models-tab"):
                    yield DataTable(id="models", cursor_type="row", zebra_stripes=True)
                with TabPane("Providers", id="providers-tab"):
                    yield DataTable(id="providers", cursor_type="row", zebra_stripes=True)
            yield Static(id="status")
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = f"{len(self.catalog.offerings):,} offerings · generated {self.catalog.generated_at[:10]}"
        models = self.query_one("#models", DataTable)
        models.add_columns(
            "model", "creator", "hosts", "context", "cheapest at", "input $/1M", "output $/1M"
        )
        providers = self.query_one("#providers", DataTable)
        providers.add_columns("provider", "name", "api", "models", "offerings")
        self.refresh_tables("")
        self.query_one("#query", Input).focus()

    def refresh_tables(self, query: str) -> None:
        """Fill both tables for the query (models: fuzzy search; providers: substring)."""
        found = self.catalog.search(query or None, limit=ROWS, status=("active", "preview"))
        models = self.query_one("#models", DataTable)
        models.clear()
        for match in found:
            m, best = match.model, match.cheapest
            models.add_row(
                *_cells(
                    m.id, m.creator, _hosts(m.direct_hosts, m.routed_hosts),
                    tokens(m.context_window),
                    best.provider if best else None,
                    price(best.pricing.input) if best else "—",
                    price(best.pricing.output) if best else "—",
                ),
                key=m.id,
            )  # fmt: skip
        needle = query.strip().lower()
        providers = self.query_one("#providers", DataTable)
        providers.clear()
        shown = [p for p in self.catalog.providers if needle in p.id or needle in p.name.lower()]
        for p in shown:
            providers.add_row(
                *_cells(p.id, p.name, p.api_style, str(p.models), str(p.offerings)), key=p.id
            )
        status = f"{len(found)} models{'+' if len(found) == ROWS else ''} · {len(shown)} providers"
        self.query_one("#status", Static).update(Text(status))

    def on_input_changed(self, event: Input.Changed) -> None:
        self.refresh_tables(event.value)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.query_one("#models", DataTable).focus()

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        key = str(event.row_key.value)
        if event.data_table.id == "models":
            self.push_screen(ModelScreen(self.catalog, self.catalog.model_by_id[key]))
        elif event.data_table.id == "providers":
            self.push_screen(ProviderScreen(self.catalog, self.catalog.provider_by_id[key]))

    def action_focus_search(self) -> None:
        self.query_one("#query", Input).focus()


def _hosts(direct: int, routed: int) -> str:
    """``3`` direct hosts, ``3+5`` with five more via routers, resellers or plans."""
    return f"{direct}+{routed}" if routed else str(direct)
