"""``knollm-build diff``: comparing two models.json files, and rendering the result safely."""

from __future__ import annotations

import copy
import random
import re
from pathlib import Path
from typing import Any

import orjson
import pytest
from click.testing import CliRunner

from knollm_build.cli import main
from knollm_build.diff import (
    DiffError,
    diff_catalogs,
    load_catalog,
    md_escape,
    percent_change,
    render_markdown,
    render_text,
)

REPO = Path(__file__).resolve().parents[1]

HOSTILE = ["<script>alert(1)</script>|x", "[x](javascript:alert(1))", "{{ 7*7 }}"]


def offering(provider: str, pmid: str, model: str, **fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "provider": provider,
        "provider_model_id": pmid,
        "model": model,
        "pricing": {},
        "capabilities": [],
        "status": "active",
        "sources": ["test"],
        "conflicts": [],
    }
    base.update(fields)
    return base


def conflict(field: str, kind: str = "disagreement") -> dict[str, Any]:
    return {"field": field, "kind": kind, "chosen": 1, "chosen_source": "a", "values": []}


def catalog(generated_at: str, offerings: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "schema_version": "1.0.0",
        "generated_at": generated_at,
        "sources": [],
        "providers": [{"id": p, "name": p} for p in sorted({o["provider"] for o in offerings})],
        "models": [{"id": m, "name": m} for m in sorted({o["model"] for o in offerings})],
        "offerings": offerings,
    }


OLD = catalog(
    "2025-11-01T00:00:00Z",
    [
        offering("alpha", "a", "alpha-model", pricing={"input": 1.0}, context_window=1000),
        offering(
            "groq",
            "llama-versatile",
            "llama",
            pricing={"input": 0.5, "output": 0.8, "cache_read": 0.1},
            context_window=131072,
            max_output_tokens=8192,
            capabilities=["tools"],
            conflicts=[conflict("pricing.output")],
        ),
        offering("groq", "gone", "gone-model"),
        offering("oldprov", "x", "llama"),
        offering(
            "zeta",
            "zzz",
            "zeta-model",
            pricing={"input": 0, "cache_write": 3.75},
            status="preview",
        ),
    ],
)

NEW = catalog(
    "2025-12-01T00:00:00Z",
    [
        offering("alpha", "a", "alpha-model", pricing={"input": 1.0}, context_window=1000),
        offering(
            "groq",
            "llama-versatile",
            "llama",
            pricing={"input": 0.6, "output": 0.8, "batch_input": 0.25},
            context_window=262144,
            capabilities=["vision", "json_mode"],
            status="deprecated",
            conflicts=[conflict("context_window", "probable_unit_error")],
        ),
        offering("newprov", "n1", "new-model"),
        offering(
            "zeta",
            "zzz",
            "zeta-model",
            pricing={"input": 1.0, "per_request": 0.01},
            status="preview",
        ),
    ],
)


def ref(provider: str, pmid: str, model: str) -> dict[str, str]:
    return {"provider": provider, "provider_model_id": pmid, "model": model}


GROQ = ref("groq", "llama-versatile", "llama")
ZETA = ref("zeta", "zzz", "zeta-model")

EXPECTED: dict[str, Any] = {
    "old_generated_at": "2025-11-01T00:00:00Z",
    "new_generated_at": "2025-12-01T00:00:00Z",
    "summary": {
        "providers_added": 1,
        "providers_removed": 1,
        "models_added": 1,
        "models_removed": 1,
        "offerings_added": 1,
        "offerings_removed": 2,
        "model_changes": 0,
        "price_changes": 6,
        "limit_changes": 2,
        "capability_changes": 1,
        "status_changes": 1,
        "conflicts_appeared": 1,
        "conflicts_resolved": 1,
    },
    "providers": {"added": ["newprov"], "removed": ["oldprov"]},
    "models": {"added": ["new-model"], "removed": ["gone-model"]},
    "offerings": {
        "added": [ref("newprov", "n1", "new-model")],
        "removed": [ref("groq", "gone", "gone-model"), ref("oldprov", "x", "llama")],
    },
    "model_changes": [],
    "price_changes": [
        {**GROQ, "field": "batch_input", "old": None, "new": 0.25, "change_pct": None},
        {**GROQ, "field": "cache_read", "old": 0.1, "new": None, "change_pct": None},
        {**GROQ, "field": "input", "old": 0.5, "new": 0.6, "change_pct": 20.0},
        {**ZETA, "field": "cache_write", "old": 3.75, "new": None, "change_pct": None},
        {**ZETA, "field": "input", "old": 0, "new": 1.0, "change_pct": None},
        {**ZETA, "field": "per_request", "old": None, "new": 0.01, "change_pct": None},
    ],
    "limit_changes": [
        {**GROQ, "field": "context_window", "old": 131072, "new": 262144},
        {**GROQ, "field": "max_output_tokens", "old": 8192, "new": None},
    ],
    "capability_changes": [{**GROQ, "gained": ["json_mode", "vision"], "lost": ["tools"]}],
    "status_changes": [{**GROQ, "old": "active", "new": "deprecated"}],
    "conflicts": {
        "appeared": [{**GROQ, "field": "context_window", "kind": "probable_unit_error"}],
        "resolved": [{**GROQ, "field": "pricing.output", "kind": "disagreement"}],
    },
}


def write(path: Path, doc: Any) -> Path:
    path.write_bytes(orjson.dumps(doc))
    return path


@pytest.fixture
def files(tmp_path: Path) -> tuple[Path, Path]:
    return write(tmp_path / "old.json", OLD), write(tmp_path / "new.json", NEW)


def invoke(*args: str) -> Any:
    return CliRunner().invoke(main, ["diff", *args])


# --------------------------------------------------------------------------- the diff itself


def test_diff_reports_every_kind_of_change_exactly(files: tuple[Path, Path]) -> None:
    old, new = files
    assert diff_catalogs(load_catalog(old), load_catalog(new)) == EXPECTED


def test_diff_is_json_ready_and_empty_for_identical_catalogs() -> None:
    result = diff_catalogs(OLD, copy.deepcopy(OLD))
    assert orjson.loads(orjson.dumps(result)) == result
    assert set(result["summary"].values()) == {0}
    assert result["price_changes"] == [] and result["offerings"] == {"added": [], "removed": []}


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (0.5, 0.6, 20.0),
        (0.6, 0.5, -16.67),
        (2, 1, -50.0),
        (1.25, 1.25, 0.0),
        (0, 1.0, None),
        (0.0, 0.0, None),
        (None, 1.0, None),
        (1.0, None, None),
        (True, 2, None),
    ],
)
def test_percent_change(old: Any, new: Any, expected: float | None) -> None:
    assert percent_change(old, new) == expected


def test_order_is_deterministic_whatever_the_input_order() -> None:
    shuffled_old, shuffled_new = copy.deepcopy(OLD), copy.deepcopy(NEW)
    rng = random.Random(7)
    for doc in (shuffled_old, shuffled_new):
        rng.shuffle(doc["offerings"])
        rng.shuffle(doc["providers"])
        for item in doc["offerings"]:
            rng.shuffle(item["capabilities"])
    first = diff_catalogs(OLD, NEW)
    second = diff_catalogs(shuffled_old, shuffled_new)
    assert orjson.dumps(first) == orjson.dumps(second)


def test_rows_sorted_by_provider_then_id_then_field() -> None:
    old = catalog(
        "o",
        [
            offering(p, i, "m", pricing={"input": 1.0, "output": 2.0})
            for p in ("b", "a")
            for i in ("y", "x")
        ],
    )
    new = catalog(
        "n",
        [
            offering(p, i, "m", pricing={"input": 1.5, "output": 2.5})
            for p in ("a", "b")
            for i in ("x", "y")
        ],
    )
    rows = diff_catalogs(old, new)["price_changes"]
    keys = [(r["provider"], r["provider_model_id"], r["field"]) for r in rows]
    assert keys == sorted(keys) and len(keys) == 8


def test_conflicts_only_for_offerings_on_both_sides() -> None:
    old = catalog("o", [offering("p", "a", "m")])
    new = catalog(
        "n", [offering("p", "a", "m"), offering("p", "b", "m", conflicts=[conflict("x")])]
    )
    result = diff_catalogs(old, new)
    assert result["conflicts"] == {"appeared": [], "resolved": []}
    assert result["offerings"]["added"] == [ref("p", "b", "m")]


# --------------------------------------------------------------------------- loading


def test_load_errors_name_the_file(tmp_path: Path) -> None:
    cases = {
        "missing.json": None,
        "invalid.json": b'{"offerings": [',
        "array.json": b"[1, 2]",
        "nooff.json": b'{"generated_at": "x"}',
        "notlist.json": b'{"offerings": {}}',
        "badentry.json": b'{"offerings": [{"provider": "p"}]}',
        "dup.json": orjson.dumps(catalog("x", [offering("p", "a", "m"), offering("p", "a", "m")])),
    }
    messages = {}
    for name, raw in cases.items():
        path = tmp_path / name
        if raw is not None:
            path.write_bytes(raw)
        with pytest.raises(DiffError) as info:
            load_catalog(path)
        messages[name] = str(info.value)
    assert messages == {
        "missing.json": f"{tmp_path / 'missing.json'}: no such file",
        "invalid.json": f"{tmp_path / 'invalid.json'}: not valid JSON "
        "(unexpected end of data: line 1 column 16 (char 15))",
        "array.json": f'{tmp_path / "array.json"}: not a models.json catalog (no "offerings")',
        "nooff.json": f'{tmp_path / "nooff.json"}: not a models.json catalog (no "offerings")',
        "notlist.json": f'{tmp_path / "notlist.json"}: "offerings" is not a list',
        "badentry.json": f"{tmp_path / 'badentry.json'}: offerings[0] is not an object with "
        "string provider, provider_model_id and model",
        "dup.json": f"{tmp_path / 'dup.json'}: offerings[1] repeats provider 'p' "
        "provider_model_id 'a'",
    }
    assert all("\n" not in message for message in messages.values())


# --------------------------------------------------------------------------- rendering


def test_render_text_summary_sections_and_limit() -> None:
    text = render_text(EXPECTED, limit=2)
    lines = text.splitlines()
    assert lines[0] == "catalog diff: 2025-11-01T00:00:00Z → 2025-12-01T00:00:00Z"
    assert lines[1] == (
        "providers +1 -1 · models +1 -1 · offerings +1 -2 · model changes 0 · price changes 6 · "
        "limit changes 2 · capability changes 1 · status changes 1 · conflicts +1 -1"
    )
    assert "Price changes (6)" in lines
    assert "  groq/llama-versatile batch_input: none → 0.25 (n/a)" in lines
    assert "  groq/llama-versatile cache_read: 0.1 → none (n/a)" in lines
    assert "  groq/llama-versatile input: 0.5 → 0.6 (+20%)" not in lines  # third row: cut
    assert "  … and 4 more" in lines
    assert "  groq/llama-versatile context_window: 131,072 → 262,144" in lines
    assert "  groq/llama-versatile gained: json_mode, vision; lost: tools" in lines
    assert "  groq/llama-versatile: active → deprecated" in lines
    assert "  groq/llama-versatile context_window (probable_unit_error)" in lines
    full = render_text(EXPECTED, limit=0)
    assert "  groq/llama-versatile input: 0.5 → 0.6 (+20%)" in full.splitlines()
    assert "more" not in full


def test_render_no_changes() -> None:
    same = diff_catalogs(OLD, OLD)
    assert render_text(same, 10).splitlines()[-1] == "no changes"
    assert render_markdown(same, 10).splitlines()[-1] == "no changes"


def test_render_markdown_tables_and_limit() -> None:
    md = render_markdown(EXPECTED, limit=1)
    assert "### Price changes (6)" in md
    assert "| Provider | Provider model id | Field | Old | New | Change |" in md
    assert "| groq | llama-versatile | batch&#95;input | none | 0.25 | n/a |" in md
    assert "… and 5 more" in md
    assert md.count("| zeta |") == 0  # cut by the limit


def test_md_escape_every_listed_character() -> None:
    for char in "|<>&[]`*_{}":
        escaped = md_escape(f"a{char}b")
        assert escaped == f"a&#{ord(char)};b"
    assert md_escape("a\nb\x1b[31m\u202e") == "a&#92;u000ab&#92;u001b&#91;31m&#92;u202e"
    assert md_escape("llama-3.3-70b:free") == "llama-3.3-70b:free"


def hostile_diff() -> dict[str, Any]:
    old = catalog("<b>old</b>", [offering("p", h, "m", pricing={"input": 1.0}) for h in HOSTILE])
    new = catalog(
        "{{ 7*7 }}",
        [offering("p", h, h, pricing={"input": 2.0}, status=h) for h in HOSTILE]
        + [offering(h, h, h) for h in HOSTILE],
    )
    return diff_catalogs(old, new)


def test_hostile_strings_are_inert_in_markdown() -> None:
    md = render_markdown(hostile_diff(), limit=0)
    for hostile in HOSTILE:
        assert hostile not in md
    # No markup or template character survives literally; every & starts a numeric entity.
    assert not re.search(r"[<>\[\]`*_{}]", md.replace("→", ""))
    assert not re.search(r"&(?!#\d+;)", md)
    # Every literal "|" is a cell border: each row has as many as its table's header.
    lines = md.splitlines()
    columns = 0
    for index, line in enumerate(lines):
        if index + 1 < len(lines) and lines[index + 1].startswith("|---"):
            columns = line.count("|")
        elif line.startswith("|"):
            assert line.count("|") == columns, line
        else:
            assert "|" not in line, line
    assert "&#60;script&#62;alert&#40;1&#41;&#60;/script&#62;&#124;x" in md
    assert "&#91;x&#93;&#40;javascript:alert&#40;1&#41;&#41;" in md
    assert "&#123;&#123; 7&#42;7 &#125;&#125;" in md


def test_hostile_strings_render_as_text_through_a_markdown_engine() -> None:
    markdown = pytest.importorskip("markdown")
    html = markdown.markdown(render_markdown(hostile_diff(), limit=0), extensions=["tables"])
    assert "<script" not in html and "<a " not in html and "<b>" not in html
    assert "{{" not in html and "<em>" not in html and "<code>" not in html
    assert html.count("<table>") == 7  # six sections plus the offerings mapped to new models


def test_control_characters_cannot_break_text_rows() -> None:
    old = catalog("o", [offering("p", "evil\nfake row\x1b[2J", "m", status="active")])
    new = catalog("n", [offering("p", "evil\nfake row\x1b[2J", "m", status="retired")])
    text = render_text(diff_catalogs(old, new), 10)
    assert "\x1b" not in text
    assert "  p/evil\\u000afake row\\u001b[2J: active → retired" in text.splitlines()


# --------------------------------------------------------------------------- the command


def test_cli_text(files: tuple[Path, Path]) -> None:
    result = invoke(str(files[0]), str(files[1]))
    assert result.exit_code == 0, result.output
    assert result.stdout == render_text(EXPECTED, 50) + "\n"


def test_cli_markdown_with_limit(files: tuple[Path, Path]) -> None:
    result = invoke(str(files[0]), str(files[1]), "--format", "markdown", "--limit", "1")
    assert result.exit_code == 0, result.output
    assert result.stdout == render_markdown(EXPECTED, 1) + "\n"


def test_cli_json_stdout(files: tuple[Path, Path]) -> None:
    result = invoke(str(files[0]), str(files[1]), "--format", "json")
    assert result.exit_code == 0, result.output
    assert orjson.loads(result.stdout) == EXPECTED


def test_cli_json_file_sorted_keys(files: tuple[Path, Path], tmp_path: Path) -> None:
    out = tmp_path / "sub" / "diff.json"
    result = invoke(str(files[0]), str(files[1]), "--json", str(out))
    assert result.exit_code == 0, result.output
    raw = out.read_bytes()
    assert orjson.loads(raw) == EXPECTED
    assert raw == orjson.dumps(EXPECTED, option=orjson.OPT_SORT_KEYS | orjson.OPT_APPEND_NEWLINE)
    assert result.stdout.startswith("catalog diff:")


def test_cli_no_changes_exits_zero(files: tuple[Path, Path]) -> None:
    result = invoke(str(files[0]), str(files[0]))
    assert result.exit_code == 0
    assert result.stdout.splitlines()[-1] == "no changes"


def test_cli_missing_file(files: tuple[Path, Path], tmp_path: Path) -> None:
    missing = tmp_path / "nope.json"
    result = invoke(str(files[0]), str(missing))
    assert result.exit_code == 1
    assert result.stderr == f"Error: {missing}: no such file\n"
    assert "Traceback" not in result.output


def test_cli_invalid_json(files: tuple[Path, Path], tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_bytes(b"{not json")
    result = invoke(str(bad), str(files[1]))
    assert result.exit_code == 1
    assert result.stderr == (
        f"Error: {bad}: not valid JSON "
        "(unexpected character, expected a string key: line 1 column 2 (char 1))\n"
    )
    assert "Traceback" not in result.output


def test_cli_rejects_bad_limit(files: tuple[Path, Path]) -> None:
    result = invoke(str(files[0]), str(files[1]), "--limit", "-1")
    assert result.exit_code == 2


# --------------------------------------------------------------------------- the real catalog


@pytest.mark.integration
def test_real_catalog_against_itself_has_no_changes(full_build: dict[str, Path]) -> None:
    built = full_build["a"] / "models.json"
    result = invoke(str(built), str(built))
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[-1] == "no changes"


@pytest.mark.integration
def test_real_catalog_single_price_change(full_build: dict[str, Path]) -> None:
    old = load_catalog(full_build["a"] / "models.json")
    new = copy.deepcopy(old)
    target = next(o for o in new["offerings"] if o["pricing"].get("input"))
    before = target["pricing"]["input"]
    target["pricing"]["input"] = before * 2
    result = diff_catalogs(old, new)
    assert sum(result["summary"].values()) == 1
    [row] = result["price_changes"]
    assert (row["provider"], row["provider_model_id"], row["field"]) == (
        target["provider"],
        target["provider_model_id"],
        "input",
    )
    assert (row["old"], row["new"], row["change_pct"]) == (before, before * 2, 100.0)


# --------------------------------------------------------------------------- model, tier and other fields


def tier(above: int, **prices: float) -> dict[str, Any]:
    return {"above_input_tokens": above, **prices}


def test_model_mapping_tiers_and_other_price_fields() -> None:
    old = catalog(
        "o",
        [
            offering(
                "google",
                "gemini-2.5-pro",
                "gemini-2.5-pro",
                pricing={
                    "input": 1.25,
                    "reasoning": 10.0,
                    "tiers": [tier(200000, input=2.5, output=15.0)],
                },
                max_input_tokens=1000000,
            ),
            offering("p", "r1", "deepseek-r1", pricing={"per_second": 0.002}),
        ],
    )
    new = catalog(
        "n",
        [
            offering(
                "google",
                "gemini-2.5-pro",
                "gemini-2.5-pro",
                pricing={
                    "input": 1.25,
                    "reasoning": 12.5,
                    "input_audio": 3.0,
                    "tiers": [tier(128000, input=2.0), tier(200000, input=3.0, output=15.0)],
                },
                max_input_tokens=1048576,
            ),
            offering("p", "r1", "deepseek-r1-0528", pricing={"per_second": 0.001}),
        ],
    )
    result = diff_catalogs(old, new)
    gem = ref("google", "gemini-2.5-pro", "gemini-2.5-pro")
    r1 = ref("p", "r1", "deepseek-r1-0528")
    assert result["model_changes"] == [{**r1, "old": "deepseek-r1", "new": "deepseek-r1-0528"}]
    assert result["price_changes"] == [
        {**gem, "field": "input_audio", "old": None, "new": 3.0, "change_pct": None},
        {**gem, "field": "reasoning", "old": 10.0, "new": 12.5, "change_pct": 25.0},
        {**gem, "field": "tiers[>128000].input", "old": None, "new": 2.0, "change_pct": None},
        {**gem, "field": "tiers[>200000].input", "old": 2.5, "new": 3.0, "change_pct": 20.0},
        {**r1, "field": "per_second", "old": 0.002, "new": 0.001, "change_pct": -50.0},
    ]
    assert result["limit_changes"] == [
        {**gem, "field": "max_input_tokens", "old": 1000000, "new": 1048576}
    ]
    assert result["models"] == {"added": ["deepseek-r1-0528"], "removed": ["deepseek-r1"]}
    assert result["summary"]["model_changes"] == 1 and result["summary"]["price_changes"] == 5
    text = render_text(result, 0).splitlines()
    assert "Offerings mapped to another model (1)" in text
    assert "  p/r1: model deepseek-r1 → deepseek-r1-0528" in text
    assert "  google/gemini-2.5-pro tiers[>200000].input: 2.5 → 3.0 (+20%)" in text
    md = render_markdown(result, 0)
    assert "| Provider | Provider model id | Old model | New model |" in md
    assert "| p | r1 | deepseek-r1 | deepseek-r1-0528 |" in md
    assert "| google | gemini-2.5-pro | tiers&#91;&#62;200000&#93;.input | 2.5 | 3.0 | +20% |" in md


def test_tier_removed_and_unchanged_tiers_are_quiet() -> None:
    same = {"input": 1.0, "tiers": [tier(200000, input=2.0, cache_read=0.5)]}
    old = catalog(
        "o", [offering("a", "x", "m", pricing=same), offering("a", "y", "m", pricing=same)]
    )
    new = catalog(
        "n",
        [offering("a", "x", "m", pricing={"input": 1.0}), offering("a", "y", "m", pricing=same)],
    )
    rows = diff_catalogs(old, new)["price_changes"]
    assert rows == [
        {
            **ref("a", "x", "m"),
            "field": "tiers[>200000].cache_read",
            "old": 0.5,
            "new": None,
            "change_pct": None,
        },
        {
            **ref("a", "x", "m"),
            "field": "tiers[>200000].input",
            "old": 2.0,
            "new": None,
            "change_pct": None,
        },
    ]
