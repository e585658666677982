"""Property tests: malformed dumps never crash the adapter or the compiler, and nothing is lost.

Hypothesis writes generated documents as files into a temporary work directory:
arbitrary JSON values, and lists of model entries built from the field names real
providers use (with valid, odd and wrong-typed values). Checked: the work-dump
adapter never raises and never needs its catch-all; every entry position of a
list-shaped document is accounted for (a record or a problem); the whole
compiler never raises, its accounting identity holds, and what it emits
serialises and matches its own JSON Schema.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

import jsonschema
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from knollm_build.emit import json_schema, to_bytes
from knollm_build.pipeline import BuildOptions, compile_catalog
from knollm_build.sources import work_dumps
from knollm_build.sources.base import LoadContext

CATALOG = Path(__file__).resolve().parents[1] / "catalog"
SETTINGS = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

# --- strategies ---------------------------------------------------------------------------

ODD_STRINGS = [
    "NaN",
    "nan",
    "Infinity",
    "-Infinity",
    "inf",
    "1e400",
    "-1",
    "0",
    "0.000003",
    "3e-06",
    "1_000",
    "",
    " ",
    "lots",
    "free",
    "models/gemini-x",
    "2025-06-16",
    "2025-06-16T12:00:00Z",
    "Mon, 08 Sep 2025 10:29:31 GMT",
    "text+image->text",
    "->",
    "chat",
    "embedding",
]
scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.sampled_from(ODD_STRINGS)
    | st.text(max_size=12)
)
json_values = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)

# Field paths real dumps use (dotted = nested), grouped by the values that make sense for them;
# each path gets a plausible value most of the time and an arbitrary JSON value otherwise.
LIMIT_PATHS = [
    "context_length",
    "context_window",
    "max_context_length",
    "context_size",
    "max_model_len",
    "limits.context",
    "limit.output",
    "inputTokenLimit",
    "outputTokenLimit",
    "max_completion_tokens",
    "max_output_tokens",
    "max_input_tokens",
    "metadata.context_length",
    "metadata.max_tokens",
    "top_provider.context_length",
    "top_provider.max_completion_tokens",
]
PRICE_PATHS = [
    "pricing.prompt",
    "pricing.completion",
    "pricing.input",
    "pricing.output",
    "pricing.request",
    "pricing.image",
    "pricing.input_cache_read",
    "pricing.input_cache_write",
    "pricing.internal_reasoning",
    "pricing.cached_input",
    "pricing.hourly",
    "pricing.web_search",
    "pricing.per_banana",
    "metadata.pricing.input_tokens",
    "metadata.pricing.output_tokens",
    "metadata.pricing.cache_read_tokens",
    "input_token_price_per_m",
    "output_token_price_per_m",
    "input_cost_per_token",
    "output_cost_per_token",
    "cache_read_input_token_cost",
    "cache_creation_input_token_cost",
    "input_cost_per_token_batches",
    "output_cost_per_image",
    "input_cost_per_token_above_200k_tokens",
    "output_cost_per_token_above_128k_tokens",
    "input_cost_per_token_above_1m_tokens",
    "input_cost_per_token_above_200k_tokens_priority",
]
CAPABILITY_LIST_PATHS = [
    "supported_features",
    "features",
    "supported_parameters",
    "supportedGenerationMethods",
    "endpoints",
]
CAPABILITY_DICT_PATHS = ["capabilities", "functionality"]
FLAG_PATHS = [
    "supports_tools",
    "supports_vision",
    "supports_function_calling",
    "supports_reasoning",
    "tool_call",
    "reasoning",
    "active",
    "deprecated",
    "supports_structured_output",
]
MODALITY_PATHS = [
    "architecture.input_modalities",
    "architecture.output_modalities",
    "modalities.input",
    "modalities.output",
    "input_modalities",
    "supported_output_modalities",
]
TEXT_PATHS = [
    "display_name",
    "title",
    "name",
    "mode",
    "type",
    "model_type",
    "task",
    "status",
    "owned_by",
    "architecture.modality",
    "litellm_provider",
    "hugging_face_id",
    "object",
]
DATE_PATHS = ["deprecation", "deprecation_date", "deprecated_at", "created", "created_at"]
CONTAINER_PATHS = [
    "pricing",
    "metadata",
    "metadata.pricing",
    "architecture",
    "top_provider",
    "details",
    "capabilities",
]

limit_values = st.integers(min_value=-10, max_value=2 * 10**8) | st.sampled_from(
    [4096, 131072, 10**12, 0, -5, "8192", "lots", 1.5, 8192.0, True, None, [4096]]
)
price_values = st.floats(min_value=-2, max_value=5000, allow_nan=False) | st.sampled_from(
    [
        "0.000003",
        "0",
        "-1",
        "NaN",
        "Infinity",
        "free",
        " 0.5 ",
        ["x"],
        {"usd": 1},
        500,
        0.88,
        3e-06,
        None,
        True,
    ]
)
capability_lists = st.lists(
    st.sampled_from(
        [
            "tools",
            "tool_choice",
            "vision",
            "json_mode",
            "response_format",
            "reasoning",
            "function-calling",
            "structured_outputs",
            "max_tokens",
            "generateContent",
            "embedContent",
            "chat",
            "embed",
            "rerank",
            3,
            None,
        ]
    ),
    max_size=5,
)
capability_dicts = st.dictionaries(
    st.sampled_from(
        [
            "function_calling",
            "vision",
            "completion_fim",
            "fine_tuning",
            "audio",
            "ocr",
            "tools",
            "completion_chat",
        ]
    ),
    st.booleans() | st.sampled_from(["yes", 1, None]),
    max_size=4,
)
flag_values = st.booleans() | st.sampled_from(["true", 1, None])
modality_values = st.lists(
    st.sampled_from(["text", "image", "file", "audio", "TEXT", "video", "smell", 3]), max_size=4
)
text_values = st.sampled_from(
    [
        "chat",
        "embedding",
        "rerank",
        "base",
        "language",
        "image_generation",
        "deprecated",
        "beta",
        "live",
        "text+image->text",
        "->",
        "groq",
        "anthropic",
        "org/Some-Model",
        "Some Model",
        "",
        7,
    ]
)
date_values = st.sampled_from(
    [
        "2025-06-16T12:00:00Z",
        "2025-06",
        "not a date",
        1757327372,
        1757327372000,
        10**20,
        -1,
        True,
        None,
    ]
)
upstreams = st.lists(
    st.one_of(
        st.fixed_dictionaries(
            {"provider": st.sampled_from(["groq", "together", "nebius", "", 5])},
            optional={
                "status": st.sampled_from(["live", "staging", "error", None, 1]),
                "pricing": st.fixed_dictionaries(
                    {}, optional={"input": price_values, "output": price_values}
                ),
                "context_length": limit_values,
                "supports_tools": flag_values,
            },
        ),
        json_values,
    ),
    max_size=3,
)
TYPED_VALUES: list[tuple[list[str], st.SearchStrategy[Any]]] = [
    (LIMIT_PATHS, limit_values),
    (PRICE_PATHS, price_values),
    (CAPABILITY_LIST_PATHS, capability_lists),
    (CAPABILITY_DICT_PATHS, capability_dicts),
    (FLAG_PATHS, flag_values),
    (MODALITY_PATHS, modality_values),
    (TEXT_PATHS, text_values),
    (DATE_PATHS, date_values),
    (CONTAINER_PATHS, json_values),
    (["providers"], upstreams),
]
IDS = st.sampled_from(
    ["m1", "m2", "M1", "org/m3", "models/m4", " m5 ", "", "gpt-4o", "gpt-4o:free"]
)
fields = st.one_of(
    *[
        st.tuples(st.sampled_from(paths), st.one_of(values, values, values, json_values))
        for paths, values in TYPED_VALUES
    ]
)


def _set_path(entry: dict[str, Any], path: str, value: Any) -> None:
    *parents, last = path.split(".")
    holder = entry
    for part in parents:
        child = holder.get(part)
        if not isinstance(child, dict):
            child = {}
            holder[part] = child
        holder = child
    holder[last] = value


@st.composite
def model_entries(draw: st.DrawFn) -> dict[str, Any]:
    entry: dict[str, Any] = {}
    if draw(st.booleans()):
        entry[draw(st.sampled_from(["id", "name", "model", "slug"]))] = draw(IDS)
    for path, value in draw(st.lists(fields, max_size=10)):
        _set_path(entry, path, value)
    return entry


entries = st.lists(
    st.one_of(model_entries(), model_entries(), model_entries(), json_values), max_size=6
)


@st.composite
def list_documents(draw: st.DrawFn) -> tuple[str, Any, int]:
    """(position label, document, number of entries) for a list-shaped document."""
    items = draw(entries)
    kind = draw(st.sampled_from(["openai", "anthropic", "models", "array"]))
    if kind == "openai":
        return "data", {"object": "list", "data": items}, len(items)
    if kind == "anthropic":
        return "data", {"data": items, "has_more": draw(st.booleans())}, len(items)
    if kind == "models":
        return "models", {"models": items}, len(items)
    return "", items, len(items)


DUMP_NAMES = [
    "models_alpha.json",
    "models_beta_best.json",
    "models_alpha_manual.json",
    "models_huggingface.json",
]
ANY_NAMES = [*DUMP_NAMES, "models_litellm.json", "gamma.json"]

fetch_logs = st.one_of(
    json_values,
    st.dictionaries(
        st.sampled_from(["alpha", "beta", "huggingface", "litellm", "zeta"]),
        st.fixed_dictionaries(
            {},
            optional={
                "failed": json_values,
                "error": st.none() | st.text(max_size=20) | st.just("line one\nline two"),
                "last_success": st.sampled_from(ODD_STRINGS) | json_values,
            },
        )
        | json_values,
        max_size=4,
    ),
)


def _write(folder: Path, name: str, document: Any) -> None:
    (folder / name).write_text(json.dumps(document), encoding="utf-8")


def _new_work_dir(root: str) -> tuple[Path, Path]:
    work = Path(root)
    folder = work / "model_catalog"
    folder.mkdir()
    return work, folder


# --- properties -------------------------------------------------------------------------------


@SETTINGS
@given(
    files=st.dictionaries(st.sampled_from(ANY_NAMES), json_values, min_size=1, max_size=3),
    raw=st.none() | st.binary(max_size=40) | st.text(max_size=40),
    log=st.none() | fetch_logs,
)
def test_load_never_raises_on_arbitrary_json(files: dict[str, Any], raw: Any, log: Any) -> None:
    with tempfile.TemporaryDirectory() as root:
        work, folder = _new_work_dir(root)
        for name, document in files.items():
            _write(folder, name, document)
        if raw is not None:  # bytes or text that are probably not JSON at all
            path = folder / "models_raw.json"
            path.write_bytes(raw) if isinstance(raw, bytes) else path.write_text(
                raw, encoding="utf-8"
            )
        if log is not None:
            _write(folder, "failed_models.json", log)
        result = work_dumps.load(LoadContext(work_dirs=[work]))
    assert not [p.line() for p in result.problems if "internal error" in p.reason]
    for problem in result.problems:
        assert problem.file and problem.reason
        problem.as_dict()
    for record in result.records:
        assert isinstance(record.provider_model_id, str) and record.provider_model_id
    assert result.records_read >= 0


@SETTINGS
@given(
    documents=st.lists(list_documents(), min_size=1, max_size=len(DUMP_NAMES)),
    log=st.none() | fetch_logs,
)
def test_every_entry_of_a_list_document_is_accounted_for(
    documents: list[tuple[str, Any, int]], log: Any
) -> None:
    with tempfile.TemporaryDirectory() as root:
        work, folder = _new_work_dir(root)
        expected: dict[str, set[str]] = {}
        for name, (label, document, count) in zip(DUMP_NAMES, documents, strict=False):
            _write(folder, name, document)
            expected[name] = {f"{label}[{i}]" for i in range(count)}
        if log is not None:
            _write(folder, "failed_models.json", log)
        result = work_dumps.load(LoadContext(work_dirs=[work]))
    seen: dict[str, set[str]] = {}
    for item in [*result.records, *result.problems]:
        if item.position:
            seen.setdefault(Path(item.file).name, set()).add(item.position)
    for name, positions in expected.items():
        missing = positions - seen.get(name, set())
        assert not missing, (name, sorted(missing), [p.line() for p in result.problems])
    assert result.records_read >= sum(len(p) for p in expected.values())
    top_level = {
        (Path(r.file).name, r.position) for r in result.records if ".providers[" not in r.position
    }
    quarantined = {
        (Path(p.file).name, p.position)
        for p in result.problems
        if p.kind == "quarantined" and ".providers[" not in p.position
    }
    assert not top_level & quarantined  # an entry is either a record or quarantined, never both
    assert len(top_level) + len(quarantined) == sum(len(p) for p in expected.values())


_SCHEMA = json_schema()
jsonschema.Draft202012Validator.check_schema(_SCHEMA)
_VALIDATOR = jsonschema.Draft202012Validator(_SCHEMA)


@SETTINGS
@given(
    documents=st.lists(list_documents(), max_size=len(DUMP_NAMES)),
    extra=st.none()
    | st.tuples(st.sampled_from(["models_litellm.json", "models_omega.json"]), json_values),
    log=st.none() | fetch_logs,
)
def test_compile_never_raises_and_accounting_holds(
    documents: list[tuple[str, Any, int]], extra: tuple[str, Any] | None, log: Any
) -> None:
    with tempfile.TemporaryDirectory() as root:
        work, folder = _new_work_dir(root)
        for name, (_, document, _) in zip(DUMP_NAMES, documents, strict=False):
            _write(folder, name, document)
        if extra is not None:
            _write(folder, *extra)
        if log is not None:
            _write(folder, "failed_models.json", log)
        built = compile_catalog(
            BuildOptions(work_dirs=[work], default_sources=False, catalog_dir=CATALOG)
        )
    accounting = built.report["accounting"]
    assert accounting["holds"] is True, accounting
    assert accounting["offerings_kept"] == len(built.document["offerings"])
    assert not [p.line() for p in built.problems if "internal error" in p.reason]
    to_bytes(built.report)  # both serialise (no NaN, no out-of-range integers)
    _VALIDATOR.validate(json.loads(to_bytes(built.document)))
