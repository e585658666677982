"""Identity against a hand-checked key of real ids, and the last-resort matcher's rules.

``tests/fixtures/identity_key.tsv`` holds 429 real ids from 97 providers with the canonical
model each serves. They go through the same stages as in a build (normalise, then the
last-resort matcher over all of them), and every one must land on its expected model:
pairwise precision and recall are then both 1.0. ``benchmarks/identity_key.py`` reports the
same figures for the rules before this key was written.
"""

from __future__ import annotations

from itertools import combinations
from pathlib import Path

import pytest

from knollm_build.canonical import load_rules
from knollm_build.catalog_files import load_curated
from knollm_build.identity_join import join_last_resort, squash
from knollm_build.listed import publish_api_ids, unlisted_offerings
from knollm_build.normalise import NormalRecord, normalise
from knollm_build.provider_kind import display_name, duplicate_providers, infer_kind
from knollm_build.records import RawRecord
from knollm_build.schema import Offering

REPO = Path(__file__).resolve().parents[1]
KEY = REPO / "tests" / "fixtures" / "identity_key.tsv"
RULES_PATH = REPO / "catalog" / "model_rules.toml"


def read_key(path: Path = KEY) -> list[tuple[str, str, str, str, str]]:
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            provider, model_id, name, hint, expected = line.split("\t")
            rows.append((provider, model_id, name, hint, expected))
    return rows


def place(rows: list[tuple[str, str, str, str, str]]) -> list[NormalRecord]:
    """Normalise the rows as one build would, then run the last-resort matcher over them."""
    rules = load_rules(RULES_PATH)
    providers = load_curated(REPO / "catalog").providers
    records = [
        RawRecord(
            source="key",
            file="identity_key.tsv",
            position=str(n),
            provider_raw=provider,
            provider_model_id=model_id,
            name=name or None,
            model_hint=hint or None,
        )
        for n, (provider, model_id, name, hint, _) in enumerate(rows)
    ]
    normal = normalise(records, providers, rules, {}).records
    join_last_resort(normal, rules)
    return normal


def pairwise(expected: list[str], got: list[str]) -> tuple[float, float]:
    """Pairwise precision and recall of ``got``'s "same model" against ``expected``'s."""
    same_key = same_got = both = 0
    for (a, b), (x, y) in zip(combinations(expected, 2), combinations(got, 2), strict=True):
        same_key += a == b
        same_got += x == y
        both += a == b and x == y
    return (both / same_got if same_got else 1.0, both / same_key if same_key else 1.0)


def test_the_key_is_large_and_wide() -> None:
    rows = read_key()
    assert len(rows) >= 300
    assert len({provider for provider, *_ in rows}) >= 40
    assert len({(provider, model_id) for provider, model_id, *_ in rows}) == len(rows)


def test_every_key_id_lands_on_its_model() -> None:
    rows = read_key()
    placed = place(rows)
    wrong = [
        (provider, model_id, record.model, expected)
        for (provider, model_id, _, _, expected), record in zip(rows, placed, strict=True)
        if record.model != expected
    ]
    assert wrong == []
    assert pairwise([r[4] for r in rows], [r.model for r in placed]) == (1.0, 1.0)


def test_pairwise_counts_splits_and_false_joins() -> None:
    assert pairwise(["a", "a", "b"], ["a", "x", "b"]) == (1.0, 0.0)
    assert pairwise(["a", "b", "c"], ["a", "a", "c"]) == (0.0, 1.0)


def _records(*items: tuple[str, str]) -> list[NormalRecord]:
    rules = load_rules(RULES_PATH)
    providers = load_curated(REPO / "catalog").providers
    raw = [
        RawRecord(source="test", file="t", position=str(n), provider_raw=p, provider_model_id=i)
        for n, (p, i) in enumerate(items)
    ]
    return normalise(raw, providers, rules, {}).records


def test_last_resort_joins_an_unmapped_spelling_and_reports_it() -> None:
    records = _records(
        ("groq", "some-lab-model-7b"), ("together", "some-lab-model-7b"), ("poe", "somelab-model7b")
    )
    assert records[2].model == "somelab-model7b"
    joins = join_last_resort(records, load_rules(RULES_PATH))
    assert [r.model for r in records] == ["some-lab-model-7b"] * 3
    assert joins == [
        {
            "model": "somelab-model7b",
            "joined_to": "some-lab-model-7b",
            "how": "punctuation-free form equals the last segment of exactly one model with "
            "2+ hosts",
            "offerings": ["poe/somelab-model7b"],
        }
    ]


def test_last_resort_refuses_a_join_across_parameter_counts() -> None:
    records = _records(
        ("groq", "acme-distill-model-15b"),
        ("together", "acme-distill-model-15b"),
        ("poe", "acme-distill-model-1-5b"),
    )
    joins = join_last_resort(records, load_rules(RULES_PATH))
    assert records[2].model == "acme-distill-model-1-5b"
    assert joins[0]["refused"] == "parameter counts differ (5 vs 15)"


def test_last_resort_never_joins_checkpoints_base_or_distillations() -> None:
    for other in ("acme-r1-0528", "acme-r1-base", "acme-r1-distill-llama-8b"):
        assert squash(other) != squash("acme-r1")
    records = _records(("groq", "acme-r1"), ("together", "acme-r1"), ("poe", "acme-r1-0528"))
    assert join_last_resort(records, load_rules(RULES_PATH)) == []
    assert records[2].model == "acme-r1-0528"


def test_last_resort_skips_ambiguous_and_vetoed(tmp_path: Path) -> None:
    records = _records(
        ("groq", "a-b-1"),
        ("together", "a-b-1"),
        ("groq", "ab-1"),
        ("together", "ab-1"),
        ("poe", "a-b1"),
    )
    assert join_last_resort(records, load_rules(RULES_PATH)) == []  # two candidates
    text = RULES_PATH.read_text(encoding="utf-8")
    assert "\n[last_resort]" not in text  # the repository file sets no veto yet
    text += '\n[last_resort]\nveto = ["somelab-model7b"]\n'
    path = tmp_path / "model_rules.toml"
    path.write_text(text, encoding="utf-8")
    rules = load_rules(path)
    records = _records(
        ("groq", "some-lab-model-7b"), ("together", "some-lab-model-7b"), ("poe", "somelab-model7b")
    )
    assert join_last_resort(records, rules) == []


def test_a_price_table_label_takes_the_listed_api_id() -> None:
    records = _records(
        ("openrouter", "neversleep/noromaid-20b"),
        ("openrouter", "noromaid-20b"),
        ("fireworks", "accounts/fireworks/models/deepseek-r1-0528"),
        ("fireworks", "deepseek-r1-0528"),
        ("openai", "ada"),
    )
    for record in records[1:2] + records[3:]:
        record.raw.listed = False
    records[3].raw.api_ids = ["accounts/fireworks/models/deepseek-r1-0528"]
    renames = publish_api_ids(records)
    assert [r.raw.provider_model_id for r in records] == [
        "neversleep/noromaid-20b",
        "neversleep/noromaid-20b",
        "accounts/fireworks/models/deepseek-r1-0528",
        "accounts/fireworks/models/deepseek-r1-0528",
        "ada",
    ]
    assert [(r["label"], r["how"]) for r in renames] == [
        ("deepseek-r1-0528", "match clause"),
        ("noromaid-20b", "listed id ending with /label"),
    ]
    assert unlisted_offerings(records) == ["openai/ada"]


@pytest.mark.parametrize(
    ("provider_id", "name", "models", "kind"),
    [
        ("minimax-cn-coding-plan", "MiniMax Token Plan", ["minimax-m2.5"], "subscription"),
        ("hostinger-router", "hostinger-router", ["gpt-4o"], "router"),
        ("minimax-cn", "MiniMax (China)", ["minimax-m2.5", "minimax-m2.7"], "first_party"),
        (
            "someproxy",
            "Some Proxy",
            ["claude-opus-4.6", "gemini-2.5-pro", "gpt-oss-120b"],
            "reseller",
        ),
        ("somehost", "Some Host", ["gpt-oss-120b", "llama-3.3-70b-instruct"], "inference_host"),
    ],
)
def test_provider_kind_inference(provider_id: str, name: str, models: list[str], kind: str) -> None:
    creators = {"minimax-m2.5": "MiniMax", "minimax-m2.7": "MiniMax", "gpt-oss-120b": "OpenAI"}
    offerings = [_offering(provider_id, m, 1.0, model=m) for m in models]
    assert infer_kind(provider_id, name, offerings, creators) == kind


def test_display_name_for_an_unnamed_provider() -> None:
    assert display_name("qwen-ai-platform") == "Qwen AI Platform"


def _offering(provider: str, model_id: str, price: float, model: str = "m") -> Offering:
    return Offering.model_validate(
        {
            "provider": provider,
            "model": model,
            "provider_model_id": model_id,
            "pricing": {"input": price},
            "sources": ["x"],
        }
    )


def test_two_providers_with_the_same_ids_and_prices_are_an_error() -> None:
    ids = [f"m-{n}" for n in range(10)]
    offerings = [_offering("a", i, 1.0) for i in ids] + [_offering("b", i, 1.0) for i in ids[:9]]
    offerings.append(_offering("b", "other", 1.0))
    (problem,) = duplicate_providers(offerings)
    assert problem.line() == (
        "catalog/providers/: a / b: a and b share 9 of 10 ids at the same prices: one provider "
        "under two ids; fix: list one id among the other's aliases in "
        "catalog/providers/<id>.toml"
    )
    assert duplicate_providers(offerings, {frozenset(("a", "b"))}) == []
    cheaper = [_offering("b", i, 0.5) for i in ids]
    assert duplicate_providers([o for o in offerings if o.provider == "a"] + cheaper) == []
