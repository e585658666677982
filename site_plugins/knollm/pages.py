"""Generated pages: one typed context per template, built from the compiled catalog.

Everything here is a pure function of the catalog (and report, diff, libraries):
it returns ``{src_uri: markdown}`` and never touches MkDocs, so it is tested and
timed on its own. Work is linear in the catalog: offerings are grouped by model
and by provider once, and each page reads only its own group.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from jinja2 import Environment
from markupsafe import Markup

from knollm_build.hosts import Hosts, is_direct, model_hosts, provider_kinds
from knollm_build.urls import Slugs, page_urls
from site_plugins.knollm.measured import MeasuredRows
from site_plugins.knollm.model_sections import BENCHMARKS_PAGE, ModelSections
from site_plugins.knollm.quality import basis_rows, flag_groups
from site_plugins.knollm.ranking import Rule
from site_plugins.knollm.render import join_inert, tokens

MODEL_DIR = "models"
PROVIDER_DIR = "providers"
COMMUNITY_DIR = "models/community"
RELATED_LIMIT = 12
CHANGES_ROWS = 300
SAFE_LINK = re.compile(r"^https?://[^\s\"'<>]+$")


@dataclass(slots=True)
class SiteData:
    """Inputs of page generation."""

    catalog: dict[str, Any]
    report: dict[str, Any]
    diff: dict[str, Any] | None = None
    libraries: list[dict[str, Any]] = field(default_factory=list)
    data_files: list[dict[str, Any]] = field(default_factory=list)
    history: dict[str, Any] | None = None
    """The price ledger (``history.json``), when the build has one."""


def page_dir(src_uri: str) -> str:
    """The URL directory a page is served from (``use_directory_urls``): ``models/x.md`` -> ``models/x/``."""
    stem = src_uri.removesuffix(".md")
    if stem.endswith("/index") or stem == "index":
        return stem.removesuffix("index")
    return stem + "/"


def href(from_uri: str, to: str) -> str:
    """Relative link from page ``from_uri`` to a page (``.md``) or a file in the site.

    Every page is served from a directory URL, so the way back to the site root is one
    ``../`` per directory level of the page's own URL.
    """
    target = page_dir(to) if to.endswith(".md") else to
    up = "../" * page_dir(from_uri).count("/")
    return (up + target) or "./"


def _yes_no(value: bool | None) -> str:
    return "unknown" if value is None else ("yes" if value else "no")


def _input_price(offering: dict[str, Any]) -> float | None:
    return offering.get("pricing", {}).get("input")


def _conflict_rows(offerings: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {
            "provider": o["provider"],
            "api_id": o["provider_model_id"],
            "field": c["field"],
            "kind": c["kind"],
            "chosen": c["chosen"],
            "by_source": c["values"],
        }
        for o in offerings
        for c in o.get("conflicts", [])
    ]


def source_placeholder(source_id: str) -> dict[str, Any]:
    """A source that the catalog's list does not name (cannot happen in a valid catalog)."""
    return {"id": source_id, "name": source_id, "version": "?", "captured_at": None, "stale": False}


def _defaults(cls: Any) -> dict[str, Any]:
    """Every optional field of a contract model with its default (None for unknowns)."""
    return {
        name: info.get_default(call_default_factory=True)
        for name, info in cls.model_fields.items()
        if not info.is_required()
    }


class PageBuilder:
    """Renders every generated page of the site."""

    def __init__(self, env: Environment, data: SiteData) -> None:
        self.env = env
        self.data = data
        self.catalog = data.catalog
        # The same URLs as the explorer payload's (knollm_build.publish): one rule, one order.
        urls = page_urls(self.catalog)
        self.model_slugs = urls.models
        self.provider_slugs = urls.providers
        self.anchor_slugs = Slugs()
        self.library_slugs = Slugs()
        from knollm_build.schema import Model, Provider, Source

        # Published entries omit unknown fields; templates get every field, None when unknown.
        provider_defaults, model_defaults = _defaults(Provider), _defaults(Model)
        self.providers = {p["id"]: {**provider_defaults, **p} for p in self.catalog["providers"]}
        self.models = {m["id"]: {**model_defaults, **m} for m in self.catalog["models"]}
        # The client's ranking rule, each offering read once: every "cheapest" a page states.
        self.rule = Rule(self.catalog["offerings"])
        self.by_model: dict[str, list[dict[str, Any]]] = defaultdict(list)
        self.by_provider: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for offering in self.catalog["offerings"]:
            self.by_model[offering["model"]].append(offering)
            self.by_provider[offering["provider"]].append(offering)
        self.by_family: dict[tuple[str | None, str | None], list[dict[str, Any]]] = defaultdict(
            list
        )
        for model in self.models.values():
            self.by_family[(model["creator"], model["family"])].append(model)
        # Direct hosts apart from routers, resellers and plans (knollm_build/hosts.py): the
        # count every page shows and ranks by, the explorer's too.
        self.kinds = provider_kinds(self.catalog)
        self.hosts = model_hosts(self.catalog["offerings"], self.kinds)
        source_defaults = _defaults(Source)
        self.sources = [{**source_defaults, **s} for s in self.catalog["sources"]]
        self.source_names = {s["id"]: s for s in self.sources}
        self.measured = MeasuredRows(
            self.catalog.get("measurements", []),
            {pid: p["name"] for pid, p in self.providers.items()},
            {mid: m["name"] for mid, m in self.models.items()},
            self.model_uri,
            self.provider_uri,
            href,
        )
        self.sections = ModelSections(self, data.history)

    # --- urls -------------------------------------------------------------------------------
    def model_uri(self, model_id: str) -> str:
        return f"{MODEL_DIR}/{self.model_slugs(model_id)}.md"

    def provider_uri(self, provider_id: str) -> str:
        return f"{PROVIDER_DIR}/{self.provider_slugs(provider_id)}.md"

    def host_count(self, model_id: str, compact: bool = False) -> str:
        """ "3" direct hosts, or "3 +2 via routers" ("3 +2" when ``compact``)."""
        hosts = self.model_hosts(model_id)
        routed = f" +{len(hosts.routed)}" if hosts.routed else ""
        return f"{len(hosts.direct)}{routed}{' via routers' if routed and not compact else ''}"

    def model_hosts(self, model_id: str) -> Hosts:
        return self.hosts.get(model_id) or Hosts((), ())

    def host_rank(self, model: dict[str, Any]) -> tuple[int, int, str]:
        """Sort key: most direct hosts first, then most routers, then the id."""
        hosts = self.model_hosts(model["id"])
        return (-len(hosts.direct), -len(hosts.routed), model["id"])

    def render(self, template: str, **context: Any) -> str:
        return self.env.get_template(template).render(**context)

    # --- pages ------------------------------------------------------------------------------
    def pages(self) -> Iterator[tuple[str, str]]:
        """Every generated page as (src_uri, markdown), one at a time, so callers keep only what they need."""
        for model_id in sorted(self.models):
            uri = self.model_uri(model_id)
            yield uri, self.model_page(uri, self.models[model_id])
        for provider_id in sorted(self.providers):
            uri = self.provider_uri(provider_id)
            yield uri, self.provider_page(uri, self.providers[provider_id])
        yield f"{PROVIDER_DIR}/index.md", self.providers_index(f"{PROVIDER_DIR}/index.md")
        yield from self.models_index().items()
        yield BENCHMARKS_PAGE, self.sections.benchmarks_page(BENCHMARKS_PAGE)
        yield "data/index.md", self.data_index("data/index.md")
        yield "data/fields.md", self.fields_page("data/fields.md")
        yield "data/quality.md", self.quality_page("data/quality.md")
        yield "changes/index.md", self.changes_page("changes/index.md")
        yield from self.library_pages().items()

    def model_page(self, uri: str, model: dict[str, Any]) -> str:
        # The client's display order (site_plugins/knollm/ranking.py): what a cost ranking takes,
        # cheapest first, then $0 tiers and plans, then doubtful or non-token prices, then unlisted.
        offerings = self.rule.in_order(self.by_model.get(model["id"], []))
        # The highlight and the "from $X" name only what the ranking rule takes (listed, per
        # token, not $0, not price-flagged): nothing when no offering qualifies.
        best = self.rule.cheapest(offerings)
        lowest = _input_price(best) if best is not None else None
        # The range of input prices: listed per-token prices not in doubt, $0 tiers included.
        priced = [
            p
            for o in offerings
            if self.rule.rankable(o, include_free=True) and (p := _input_price(o)) is not None
        ]
        rows = []
        for o in offerings:
            pricing = o.get("pricing", {})
            provider = self.providers.get(o["provider"], {"name": o["provider"]})
            kind = self.kinds.get(o["provider"])
            rows.append(
                {
                    "provider_name": provider["name"],
                    "provider_href": href(uri, self.provider_uri(o["provider"])),
                    "api_id": o["provider_model_id"],
                    "variant": o.get("variant", []),
                    "input": pricing.get("input"),
                    "output": pricing.get("output"),
                    "cache_read": pricing.get("cache_read"),
                    "context": o.get("context_window"),
                    "max_output": o.get("max_output_tokens"),
                    "status": o.get("status", "active"),
                    "deprecation_date": o.get("deprecation_date"),
                    # "router", "reseller", "subscription": not a direct host; "unlisted": no
                    # model list names the id (shown, never counted as a host)
                    "via": ", ".join(
                        note
                        for note in (
                            None if is_direct(kind) else kind,
                            "unlisted" if o.get("listed") is False else None,
                        )
                        if note
                    ),
                    "cheapest": best is not None
                    and pricing.get("input") == lowest
                    and self.rule.rankable(o)
                    and len(offerings) > 1,
                }
            )
        spread = None
        nonzero = [p for p in priced if p > 0]
        if len(priced) > 1:
            spread = {
                "low": min(priced),
                "high": max(priced),
                "ratio": f"{max(nonzero) / min(nonzero):.1f}" if len(nonzero) > 1 else None,
            }
        family = (
            self.by_family.get((model.get("creator"), model.get("family")), [])
            if model.get("family")
            else []
        )
        related = sorted((m for m in family if m["id"] != model["id"]), key=self.host_rank)[
            :RELATED_LIMIT
        ]
        sources = sorted({s for o in offerings for s in o["sources"]})
        hosts = self.model_hosts(model["id"])
        description = f"{model['name']}: {len(offerings)} offerings, {hosts.summary()}"
        if lowest is not None:
            description += f", from ${lowest:g} per 1M input tokens"
        facts = [
            (label, value)
            for label, value in (
                ("Creator", model["creator"]),
                ("Family", model["family"]),
                ("Released", model["released"]),
                ("Knowledge cut-off", model["knowledge_cutoff"]),
                (
                    "Open weights",
                    None if model["open_weights"] is None else _yes_no(model["open_weights"]),
                ),
                ("Input", join_inert(model["input_modalities"])),
                ("Output", join_inert(model["output_modalities"])),
                ("Capabilities", join_inert(model["capabilities"]) or None),
                (
                    "Context window",
                    Markup(f"{tokens(model['context_window'])} tokens")
                    if model["context_window"]
                    else None,
                ),
                ("Modes", join_inert(model["modes"])),
            )
            if value  # unknown facts are left out, not shown as "unknown"
        ]
        chart_href = (
            href(uri, "charts/") + "?chart=hosts&model=" + quote(model["id"], safe="")
            if len(offerings) > 1
            else None
        )
        return self.render(
            "model.md.j2",
            model=model,
            hosts_text=hosts.summary(),
            chart_href=chart_href,
            # This model alone in the explorer and the calculator (their exact-model filter).
            explorer_href=href(uri, "explorer/") + "?model=" + quote(model["id"], safe=""),
            calculator_href=href(uri, "calculator/") + "?model=" + quote(model["id"], safe=""),
            facts=facts,
            creator=model.get("creator"),
            rows=rows,
            spread=spread,
            conflicts=_conflict_rows(offerings),
            related=[
                {
                    "name": m["name"],
                    "id": m["id"],
                    "hosts": self.host_count(m["id"]),
                    "href": href(uri, self.model_uri(m["id"])),
                }
                for m in related
            ],
            sources=[self.source_names.get(s, {"name": s})["name"] for s in sources],
            data_href=href(uri, "data/models.json"),
            measured=self.measured.for_model(model["id"], uri),
            description=description + ".",
            **self.sections.model(uri, model, offerings),
        )

    def provider_page(self, uri: str, provider: dict[str, Any]) -> str:
        offerings = sorted(
            self.by_provider.get(provider["id"], []),
            key=lambda o: (o["model"], o["provider_model_id"]),
        )
        rows = []
        for o in offerings:
            pricing = o.get("pricing", {})
            rows.append(
                {
                    "model_name": self.models.get(o["model"], {"name": o["model"]})["name"],
                    "model_href": href(uri, self.model_uri(o["model"])),
                    "api_id": o["provider_model_id"],
                    "mode": o.get("mode", "chat"),
                    "context": o.get("context_window"),
                    "max_output": o.get("max_output_tokens"),
                    "input": pricing.get("input"),
                    "output": pricing.get("output"),
                    "cache_read": pricing.get("cache_read"),
                    "capabilities": o.get("capabilities", []),
                    "status": o.get("status", "active"),
                    "deprecation_date": o.get("deprecation_date"),
                }
            )
        counts: dict[str, int] = defaultdict(int)
        for o in offerings:
            for s in o["sources"]:
                counts[s] += 1
        sources = [
            {**self.source_names.get(s, source_placeholder(s)), "count": n}
            for s, n in sorted(counts.items())
        ]
        links = [
            (label, provider[key])
            for label, key in (
                ("Website", "website"),
                ("Documentation", "docs_url"),
                ("Pricing", "pricing_url"),
            )
            if isinstance(provider.get(key), str) and SAFE_LINK.match(provider[key])
        ]
        return self.render(
            "provider.md.j2",
            provider={
                **provider,
                "aliases": provider.get("aliases", []),
                "auth_env": provider.get("auth_env", []),
            },
            openai_compatible=_yes_no(provider.get("openai_compatible")),
            links=links,
            snippet=quick_start(provider, self._example_offering(offerings)),
            rows=rows,
            sources=sources,
            conflicts=_conflict_rows(offerings),
            measured=self.measured.for_provider(provider["id"], uri),
            description=f"{provider['name']}: {len(offerings)} offerings, API base URL, key variable and a quick start.",
            **self.sections.provider(uri, provider["id"]),
        )

    def _example_offering(self, offerings: list[dict[str, Any]]) -> dict[str, Any] | None:
        """The quick start's model: an active chat offering of the most widely hosted model."""
        chat = [
            o
            for o in offerings
            if o.get("mode") == "chat" and o.get("status", "active") == "active"
        ]
        pool = chat or offerings
        if not pool:
            return None
        return min(
            pool,
            key=lambda o: (-len(self.model_hosts(o["model"]).direct), self.rule.display_order(o)),
        )

    def providers_index(self, uri: str) -> str:
        rows = []
        for provider_id in sorted(self.providers):
            provider = self.providers[provider_id]
            offerings = self.by_provider.get(provider_id, [])
            # By the ranking rule: a listed, per-token, paid price not in doubt, or none at all.
            best = self.rule.cheapest(o for o in offerings if o.get("mode") == "chat")
            rows.append(
                {
                    "name": provider["name"],
                    "href": href(uri, self.provider_uri(provider_id)),
                    "offerings": len(offerings),
                    "models": provider.get("models", 0),
                    "cheapest": {
                        "name": self.models.get(best["model"], {"name": best["model"]})["name"],
                        "href": href(uri, self.model_uri(best["model"])),
                        "input": _input_price(best),
                    }
                    if best
                    else None,
                    "api_style": provider.get("api_style"),
                    "openai_compatible": _yes_no(provider.get("openai_compatible")),
                    "auth_env": provider.get("auth_env", []),
                    "kind": (provider.get("kind") or "").replace("_", " ") or None,
                    "direct": is_direct(provider.get("kind")),
                }
            )
        return self.render(
            "providers_index.md.j2",
            rows=rows,
            description=f"{len(rows)} LLM API providers: offerings, cheapest chat model, API style and key variable.",
        )

    def models_index(self) -> dict[str, str]:
        uri = f"{MODEL_DIR}/index.md"
        labs: dict[str, dict[str, list[dict[str, Any]]]] = defaultdict(lambda: defaultdict(list))
        community: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for model in self.models.values():
            if "/" in model["id"]:
                community[model["id"].split("/", 1)[0]].append(model)
            else:
                labs[model.get("creator") or "Unknown maker"][
                    model.get("family") or "other"
                ].append(model)

        def link(from_uri: str, m: dict[str, Any]) -> dict[str, Any]:
            return {
                "name": m["name"],
                "hosts": self.host_count(m["id"], compact=True),
                "href": href(from_uri, self.model_uri(m["id"])),
            }

        creators = []
        for name in sorted(
            labs,
            key=lambda n: (n == "Unknown maker", -sum(len(v) for v in labs[n].values()), n.lower()),
        ):
            families = [
                {
                    "name": fam,
                    "models": [
                        link(uri, m) for m in sorted(ms, key=self.host_rank)
                    ],
                }
                for fam, ms in sorted(labs[name].items(), key=lambda kv: (-len(kv[1]), kv[0]))
            ]
            creators.append(
                {
                    "name": name,
                    "anchor": "maker-" + self.anchor_slugs(name.lower()),
                    "count": sum(len(f["models"]) for f in families),
                    "families": families,
                }
            )
        by_letter: dict[str, list[str]] = defaultdict(list)
        for namespace in sorted(community):
            first = namespace[:1]
            by_letter[first if first.isalpha() else "0-9"].append(namespace)
        letters = sorted(by_letter)
        letter_uri = {letter: f"{COMMUNITY_DIR}/{letter}.md" for letter in letters}
        out: dict[str, str] = {}
        for letter in letters:
            page = letter_uri[letter]
            namespaces = [
                {
                    "name": ns,
                    "anchor": "ns-" + self.anchor_slugs(ns.lower()),
                    "models": [link(page, m) for m in sorted(community[ns], key=lambda m: m["id"])],
                }
                for ns in by_letter[letter]
            ]
            out[page] = self.render(
                "community.md.j2",
                title=f"Community models: {letter.upper()}",
                description=f"Fine-tunes and re-uploads under namespaces starting with {letter.upper()}.",
                index_href=href(page, uri),
                letters=[{"letter": x.upper(), "href": href(page, letter_uri[x])} for x in letters],
                namespaces=namespaces,
            )
        out[uri] = self.render(
            "models_index.md.j2",
            total=len(self.models),
            creators=creators,
            community_total=sum(len(v) for v in community.values()),
            community_namespaces=len(community),
            letters=[
                {
                    "letter": x.upper(),
                    "href": href(uri, letter_uri[x]),
                    "count": sum(len(community[n]) for n in by_letter[x]),
                }
                for x in letters
            ],
            description=f"{len(self.models)} LLMs by maker and family, each with every provider that serves it.",
        )
        return out

    def data_index(self, uri: str) -> str:
        catalog = self.catalog
        json_ld = {
            "@context": "https://schema.org",
            "@type": "Dataset",
            "name": "Knollm LLM catalog",
            "description": "LLM providers, canonical models and offerings with prices, limits and capabilities, compiled from providers' model lists and open catalogs, with provenance and cross-source conflicts.",
            "dateModified": catalog["generated_at"],
            "version": catalog["schema_version"],
            "isAccessibleForFree": True,
            "distribution": [
                {"@type": "DataDownload", "encodingFormat": f["format"], "contentUrl": f["name"]}
                for f in self.data.data_files
            ],
        }
        return self.render(
            "data_index.md.j2",
            generated_at=catalog["generated_at"],
            schema_version=catalog["schema_version"],
            fields_href=href(uri, "data/fields.md"),
            quality_href=href(uri, "data/quality.md"),
            prices_feed_href=href(uri, "changes/prices.xml"),
            files=[{**f, "href": href(uri, "data/" + f["name"])} for f in self.data.data_files],
            sources=self.sources,
            json_ld=json_ld,
            description="Download the Knollm catalog (models.json, schema, providers, CSV) and see its sources and licences.",
        )

    def fields_page(self, uri: str) -> str:
        return self.render(
            "fields.md.j2",
            classes=field_reference(),
            history_classes=field_reference(history=True),
            history_schema_href=href(uri, "data/history.schema.json"),
            schema_version=self.catalog["schema_version"],
            schema_href=href(uri, "data/schema.json"),
        )

    def quality_page(self, uri: str) -> str:
        report = self.data.report
        conflicts = []
        for c in report.get("conflicts", []):
            conflicts.append(
                {
                    "provider": c["provider"],
                    "provider_href": href(uri, self.provider_uri(c["provider"])),
                    "api_id": c["provider_model_id"],
                    "field": c["field"],
                    "kind": c["kind"],
                    "chosen": c["chosen"],
                    "by_source": c["values"],
                }
            )
        conflict_count: dict[str, int] = defaultdict(int)
        for c in conflicts:
            conflict_count[c["provider"]] += 1
        coverage = []
        for provider_id in sorted(self.providers):
            offerings = self.by_provider.get(provider_id, [])
            if not offerings:
                continue
            n = len(offerings)
            coverage.append(
                {
                    "name": self.providers[provider_id]["name"],
                    "href": href(uri, self.provider_uri(provider_id)),
                    "offerings": n,
                    "priced": round(
                        100 * sum(1 for o in offerings if _input_price(o) is not None) / n
                    ),
                    "context": round(
                        100 * sum(1 for o in offerings if o.get("context_window")) / n
                    ),
                    "conflicts": conflict_count.get(provider_id, 0),
                    "sources": sorted({s for o in offerings for s in o["sources"]}),
                }
            )
        return self.render(
            "quality.md.j2",
            acc=report["accounting"],
            conflicts=conflicts,
            quarantined=[
                {"field": None, "value": None, **p} for p in report.get("quarantined", [])
            ],
            withheld=[
                {"field": None, "value": None, **p}
                for p in report.get("withheld_prices", []) + report.get("withheld_limits", [])
            ],
            unmapped=report.get("unmapped_ids", []),
            stale=report.get("stale", []),
            coverage=coverage,
            flag_groups=flag_groups(
                report.get("flagged", []),
                {(o["provider"], o["provider_model_id"]): o["model"] for o in self.catalog["offerings"]},
                lambda model: href(uri, self.model_uri(model)),
                lambda provider: href(uri, self.provider_uri(provider)),
            ),
            price_basis=basis_rows(report.get("counts", {}).get("price_basis", {})),
            zero_priced=report.get("counts", {}).get("zero_priced"),
            data_href=href(uri, "data/index.md"),
            description="Where the sources behind the Knollm catalog disagree, and what the compiler could not use.",
        )

    def changes_page(self, uri: str) -> str:
        diff = self.data.diff
        sections = changes_sections(diff) if diff else []
        summary = diff.get("summary", {}) if diff else {}
        return self.render(
            "changes.md.j2",
            diff=diff,
            sections=sections,
            summary_line=", ".join(
                f"{v} {k.replace('_', ' ')}" for k, v in sorted(summary.items()) if v
            )
            or "no changes",
            feed_href=href(uri, "changes/feed.xml"),
            **self.sections.changes(uri),
            # Without previous data the page says why and what this build holds, never nothing.
            reason="this is the first build, or the published site could not be reached.",
            totals={
                "generated_at": self.catalog.get("generated_at", "unknown"),
                "offerings": f"{len(self.catalog['offerings']):,}",
                "models": f"{len(self.catalog['models']):,}",
                "providers": f"{len(self.catalog['providers']):,}",
            },
            description="What changed in the Knollm catalog since the previous published data: offerings, prices, limits.",
        )

    def library_pages(self) -> dict[str, str]:
        from site_plugins.knollm.libraries import LibraryPages

        return LibraryPages(
            self.data.libraries,
            self.providers,
            {p: len(o) for p, o in self.by_provider.items()},
            self.render,
            href,
            self.provider_uri,
            self.library_slugs,
        ).pages()


def changes_sections(diff: dict[str, Any]) -> list[dict[str, Any]]:
    """Tables of the Changes page from a ``knollm-build diff`` result (first rows of each)."""

    def offering_rows(items: list[dict[str, Any]]) -> list[list[Any]]:
        return [[o.get("provider"), o.get("provider_model_id"), o.get("model")] for o in items]

    def pct(value: Any) -> str:
        return "–" if value is None else f"{value:+.1f}%"

    specs = [
        (
            "added",
            "New offerings",
            ["Provider", "API id", "Model"],
            offering_rows(diff.get("offerings", {}).get("added", [])),
        ),
        (
            "removed",
            "Removed offerings",
            ["Provider", "API id", "Model"],
            offering_rows(diff.get("offerings", {}).get("removed", [])),
        ),
        (
            "models",
            "Offerings now mapped to another model",
            ["Provider", "API id", "Old model", "New model"],
            [
                [c.get("provider"), c.get("provider_model_id"), c.get("old"), c.get("new")]
                for c in diff.get("model_changes", [])
            ],
        ),
        (
            "prices",
            "Price changes",
            ["Provider", "API id", "Field", "Old", "New", "Change"],
            [
                [
                    c.get("provider"),
                    c.get("provider_model_id"),
                    c.get("field"),
                    c.get("old"),
                    c.get("new"),
                    pct(c.get("change_pct")),
                ]
                for c in diff.get("price_changes", [])
            ],
        ),
        (
            "limits",
            "Limit changes",
            ["Provider", "API id", "Field", "Old", "New"],
            [
                [
                    c.get("provider"),
                    c.get("provider_model_id"),
                    c.get("field"),
                    c.get("old"),
                    c.get("new"),
                ]
                for c in diff.get("limit_changes", [])
            ],
        ),
    ]
    return [
        {
            "anchor": anchor,
            "title": title,
            "headers": headers,
            "rows": rows[:CHANGES_ROWS],
            "total": len(rows),
        }
        for anchor, title, headers, rows in specs
    ]


def field_reference(history: bool = False) -> list[dict[str, Any]]:
    """Every model of the data contract with its fields, types and descriptions, from pydantic
    (of ``models.json``, or of ``history.json`` with ``history``)."""
    from knollm_build.schema import (
        Benchmark,
        Catalog,
        Conflict,
        Link,
        Measurement,
        Model,
        Offering,
        PriceTier,
        Pricing,
        Provider,
        Source,
        SourceValue,
        Spread,
    )

    if history:
        from knollm_build.history import History, HistoryEntry, LedgerPoint

        classes: tuple[Any, ...] = (History, HistoryEntry, LedgerPoint)
    else:
        classes = (
            Catalog,
            Source,
            Provider,
            Model,
            Link,
            Benchmark,
            Offering,
            Pricing,
            PriceTier,
            Conflict,
            SourceValue,
            Measurement,
            Spread,
        )
    out = []
    for cls in classes:
        fields = []
        for name, info in cls.model_fields.items():
            annotation = info.annotation
            text = getattr(annotation, "__name__", None) if isinstance(annotation, type) else None
            fields.append(
                {
                    "name": name,
                    "type": text
                    or str(annotation).replace("typing.", "").replace("knollm_build.schema.", ""),
                    "required": info.is_required(),
                    "description": info.description or "",
                }
            )
        out.append(
            {
                "name": cls.__name__,
                "anchor": cls.__name__.lower(),
                "doc": (cls.__doc__ or "").strip(),
                "fields": fields,
            }
        )
    return out


def quick_start(provider: dict[str, Any], example: dict[str, Any] | None) -> dict[str, str]:
    """A working snippet for the provider: the OpenAI SDK on its base URL, or its native SDK."""
    model = example["provider_model_id"] if example else "MODEL_ID"
    # Strings from the data go into code people copy: only safe shapes survive.
    env = re.sub(r"[^A-Za-z0-9_]", "", (provider.get("auth_env") or ["API_KEY"])[0]) or "API_KEY"
    name = " ".join(str(provider["name"]).split())
    style = provider.get("api_style")
    base = provider.get("api_base_url")
    if base and not SAFE_LINK.match(base):
        base = None
    if style == "anthropic":
        code = (
            "import os\nimport anthropic\n\n"
            f'client = anthropic.Anthropic(api_key=os.environ["{env}"])\n'
            f"message = client.messages.create(\n    model={model!r},\n    max_tokens=256,\n"
            '    messages=[{"role": "user", "content": "Say hello in five words."}],\n)\nprint(message.content[0].text)\n'
        )
        return {
            "intro": f"With the anthropic SDK (pip install anthropic); the key is read from {env}.",
            "language": "python",
            "code": code,
        }
    if style == "bedrock":
        code = (
            "import boto3\n\n"
            'client = boto3.client("bedrock-runtime")  # region and credentials from the AWS environment\n'
            f"response = client.converse(\n    modelId={model!r},\n"
            '    messages=[{"role": "user", "content": [{"text": "Say hello in five words."}]}],\n)\n'
            'print(response["output"]["message"]["content"][0]["text"])\n'
        )
        return {
            "intro": "With boto3's Converse API (pip install boto3); credentials come from the AWS environment.",
            "language": "python",
            "code": code,
        }
    if base and provider.get("openai_compatible") is not False:
        code = (
            "import os\nfrom openai import OpenAI\n\n"
            f'client = OpenAI(\n    base_url={base!r},\n    api_key=os.environ.get("{env}", "unused"),\n)\n'
            f"reply = client.chat.completions.create(\n    model={model!r},\n"
            '    messages=[{"role": "user", "content": "Say hello in five words."}],\n)\nprint(reply.choices[0].message.content)\n'
        )
        return {
            "intro": f"{name} speaks the OpenAI API: point the openai SDK (pip install openai) at its base URL; the key is read from {env}.",
            "language": "python",
            "code": code,
        }
    code = (
        "import os\nimport httpx\n\n"
        f"# {name}: see its documentation for the endpoint of your account or region.\n"
        f'BASE_URL = os.environ["{re.sub(r"[^A-Z0-9_]", "_", provider["id"].upper())}_BASE_URL"]\n'
        f'headers = {{"Authorization": f"Bearer {{os.environ[\'{env}\']}}"}}\n'
        f'reply = httpx.post(f"{{BASE_URL}}/chat/completions", headers=headers, json={{\n    "model": {model!r},\n'
        '    "messages": [{"role": "user", "content": "Say hello in five words."}],\n}, timeout=60)\nprint(reply.json())\n'
    )
    return {
        "intro": "No single public base URL is known for this provider; set it from your account.",
        "language": "python",
        "code": code,
    }
