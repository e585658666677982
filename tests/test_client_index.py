"""The client index is a contract between the compiler (knollm_build/client_index.py) and the client
(knollm/index.py), which never imports the compiler: these tests hold the two sides together."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import get_args

import orjson
import pytest
from click.testing import CliRunner
from knollm import Catalog, CatalogError
from knollm.cli import main
from knollm.search import SearchIndex
from knollm.search import tokens as client_tokens

from knollm_build import schema
from knollm_build.client_index import FILE_NAME, INDEX_VERSION, client_index, tokens

REPO = Path(__file__).resolve().parents[1]
FIXTURE = REPO / "client" / "tests" / "fixtures" / "models.json"
FULL = REPO / "build" / "data" / "models.json"


@pytest.fixture(scope="module")
def document() -> dict:
    return orjson.loads(FIXTURE.read_bytes())


@pytest.fixture
def pair(tmp_path: Path, document: dict) -> Path:
    """A directory with the fixture's models.json and its client index, as the compiler writes."""
    (tmp_path / "models.json").write_bytes(FIXTURE.read_bytes())
    (tmp_path / FILE_NAME).write_bytes(client_index(document))
    return tmp_path


def test_same_input_same_bytes(document: dict) -> None:
    first = client_index(document)
    again = client_index(orjson.loads(orjson.dumps(document)))
    assert first == again
    assert first.startswith(f"knollm-client-index {INDEX_VERSION}\n".encode())


def test_index_loads_the_same_records_as_models_json(pair: Path) -> None:
    from_index = Catalog.load(pair)  # a directory: the index wins
    from_json = Catalog.load(pair / "models.json")
    assert from_index.source is not None and from_index.source.location.endswith(FILE_NAME)
    assert from_index.providers == from_json.providers
    assert from_index.models == from_json.models
    assert from_index.offerings == from_json.offerings
    assert (from_index.schema_version, from_index.generated_at, from_index.sources) == (
        from_json.schema_version, from_json.generated_at, from_json.sources,
    )  # fmt: skip


RANKING = REPO / "tests" / "parity" / "ranking_cases.json"


def assert_same_catalog(from_index: Catalog, from_json: Catalog) -> None:
    assert from_index.providers == from_json.providers
    assert from_index.models == from_json.models
    assert from_index.offerings == from_json.offerings


def test_listed_basis_flags_kind_and_host_counts_survive_the_index(tmp_path: Path) -> None:
    """A schema 1.1 catalog (the parity ranking catalog): every new field, both load paths."""
    document = orjson.loads(RANKING.read_bytes())["catalog"]
    from_json = Catalog(document)
    from_index = Catalog.from_bytes(client_index(document))
    assert_same_catalog(from_index, from_json)
    by_key = {o.key: o for o in from_index.offerings}
    assert by_key["cloudy:m1-label"].listed is False
    assert by_key["host:m2-img"].price_basis == "per_image"
    assert by_key["nokind:m2-old"].price_basis is None  # not stated: None, not "unknown"
    assert by_key["resell:m1"].flags == ("price_outlier",)
    assert by_key["resell:m1"].price_flagged and not by_key["lab:m1"].price_flagged
    assert {p.id: p.kind for p in from_index.providers}["nokind"] is None
    assert [(m.direct_hosts, m.routed_hosts) for m in from_index.models] == [
        (4, 3), (3, 0), (1, 0), (0, 0),
    ]  # fmt: skip


@pytest.mark.skipif(not FULL.is_file(), reason="no compiled catalog (make client-data)")
def test_the_full_catalog_loads_alike_from_the_index_and_models_json() -> None:
    document = orjson.loads(FULL.read_bytes())
    from_json = Catalog(document)
    from_index = Catalog.from_bytes(client_index(document))
    assert_same_catalog(from_index, from_json)
    assert sum(not o.listed for o in from_index.offerings) == sum(
        not o.get("listed", True) for o in document["offerings"]
    )
    assert {p.kind for p in from_index.providers} >= {"router", "reseller", "first_party"}


def test_raw_comes_from_the_models_json_beside_the_index(pair: Path) -> None:
    catalog = Catalog.load(pair / FILE_NAME)
    expected = orjson.loads(FIXTURE.read_bytes())["offerings"][0]
    assert catalog.offerings[0].raw == expected  # provenance and conflicts included
    (pair / "models.json").unlink()
    alone = Catalog.load(pair / FILE_NAME)
    with pytest.raises(CatalogError, match="the full models.json is not beside the client index"):
        _ = alone.models[0].raw


def test_cli_says_when_the_full_models_json_is_missing(pair: Path) -> None:
    (pair / "models.json").unlink()
    model_id = orjson.loads(FIXTURE.read_bytes())["models"][0]["id"]
    args = ["--catalog", str(pair), "models", "show", model_id, "--json"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 1
    assert result.output.startswith("Error: the full models.json is not beside the client index")
    assert len(result.output.splitlines()) == 1


def test_raw_refuses_a_models_json_of_another_build(pair: Path, document: dict) -> None:
    other = dict(document, generated_at="2000-01-01T00:00:00Z")
    (pair / "models.json").write_bytes(orjson.dumps(other))
    with pytest.raises(CatalogError, match="is not the catalog the client index beside it"):
        _ = Catalog.load(pair / FILE_NAME).providers[0].raw


def test_an_index_of_another_version_is_refused(pair: Path) -> None:
    path = pair / FILE_NAME
    data = path.read_bytes()
    ours = f"knollm-client-index {INDEX_VERSION}\n".encode()
    path.write_bytes(data.replace(ours, b"knollm-client-index 99\n", 1))
    message = (
        f"{path}: client index version 99 is not supported by this knollm (it reads version "
        f"{INDEX_VERSION}); "
        "upgrade knollm, or point it at the full models.json"
    )
    with pytest.raises(CatalogError) as caught:
        Catalog.load(path)
    assert str(caught.value) == message
    result = CliRunner().invoke(main, ["--catalog", str(path), "models", "search", "llama"])
    assert (result.exit_code, result.output) == (1, f"Error: {message}\n")


def test_a_damaged_index_is_a_clear_error(pair: Path) -> None:
    path = pair / FILE_NAME
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(CatalogError, match=r": damaged client index \(JSONDecodeError"):
        Catalog.load(path)


def test_vocabularies_are_the_schemas(document: dict) -> None:
    header = orjson.loads(client_index(document).split(b"\n")[1])
    assert header["vocab"] == {
        "status": list(get_args(schema.Status)),
        "mode": list(get_args(schema.Mode)),
        "capability": list(get_args(schema.Capability)),
        "modality": list(get_args(schema.Modality)),
        "price_basis": list(get_args(schema.PriceBasis)),
        "flag": list(get_args(schema.Flag)),
        "provider_kind": list(get_args(schema.ProviderKind)),
    }


def test_cli_choices_are_the_bundled_vocabularies() -> None:
    from knollm.cli.common import CAPABILITIES, KINDS, MODALITIES, MODES, STATUSES
    from knollm.source import bundled_index

    if bundled_index() is None:
        pytest.skip("no bundled client index (run make client-data)")
    assert STATUSES.choices == get_args(schema.Status)
    assert MODES.choices == get_args(schema.Mode)
    assert CAPABILITIES.choices == get_args(schema.Capability)
    assert MODALITIES.choices == get_args(schema.Modality)
    assert KINDS.choices == get_args(schema.ProviderKind)


@pytest.mark.parametrize(
    "text", ["Llama-3.3-70B", "GPT-4o (Médium)", "meta/llama3:70b", "Ünïcödé ½ x", "", "a1b22c333"]
)
def test_compiler_tokenises_as_the_client_does(text: str) -> None:
    assert tokens(text) == client_tokens(text)


def test_prebuilt_search_postings_equal_the_clients_own() -> None:
    path = FULL if FULL.is_file() else FIXTURE
    document = orjson.loads(path.read_bytes())
    catalog = Catalog.from_bytes(client_index(document))
    built = SearchIndex(catalog.models, catalog.offerings)
    assert catalog._prebuilt_search is not None
    prebuilt = SearchIndex(
        catalog.models, catalog.offerings, catalog._prebuilt_search.tables(), catalog.offerings_of
    )
    assert prebuilt.postings() == built.postings()
    for query in ("llama 70b", "gpt4o", "sonnet 4", "r1", "qwen 2.5 72b", "llama 3.3 70b"):
        assert prebuilt.search(query, None, 20) == built.search(query, None, 20), query


def test_json_output_does_not_import_rich(pair: Path) -> None:
    script = (
        "import sys; from knollm.cli import main\n"
        "try:\n    main(sys.argv[1:])\nexcept SystemExit:\n    pass\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('rich', 'textual')))"
    )
    args = ["--catalog", str(pair), "models", "search", "llama", "--json"]
    done = subprocess.run(
        [sys.executable, "-c", script, *args], capture_output=True, text=True, check=True
    )
    assert done.stdout.rstrip().splitlines()[-1] == "[]"
    assert '"id"' in done.stdout  # it did search


def test_successors_come_through_the_index() -> None:
    """A stated successor reaches the client's records from the index as from models.json."""
    doc = orjson.loads((REPO / "tests" / "golden" / "models.json").read_bytes())
    doc["offerings"][0]["successor"] = "next-id"
    from_index = Catalog.from_bytes(client_index(doc))
    from_json = Catalog(doc)
    assert from_index.offerings[0].successor == from_json.offerings[0].successor == "next-id"
    assert [o.successor for o in from_index.offerings[1:]] == [
        o.successor for o in from_json.offerings[1:]
    ]
