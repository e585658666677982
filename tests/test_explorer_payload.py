"""The explorer payload (knollm_build/explorer.py): format 2's every context tier and vocabularies
generated from schema.py; format 3's listed, price basis, flags, variants, provider kinds and
direct-host counts, and its derived strings, decoded by knollm-data.js under node to exactly the
document's ids, names, creators and model indexes."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any, get_args

from knollm_build import schema
from knollm_build.explorer import PAYLOAD_FORMAT, explorer_payload

REPO = Path(__file__).resolve().parents[1]
DATA_JS = REPO / "src_docs" / "md" / "assets" / "explorer" / "knollm-data.js"


def document(offerings: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "schema_version": "1.0.0",
        "generated_at": "2026-01-01T00:00:00Z",
        "providers": [{"id": "acme", "name": "Acme"}],
        "models": [{"id": "m", "name": "M", "hosts": 1}],
        "offerings": [
            {"provider": "acme", "model": "m", "provider_model_id": f"o{i}", **o}
            for i, o in enumerate(offerings)
        ],
    }


def test_vocabularies_are_the_schemas() -> None:
    payload = explorer_payload(document([]))
    assert payload["format"] == PAYLOAD_FORMAT == 3
    assert payload["statuses"] == list(get_args(schema.Status))
    assert payload["modes"] == list(get_args(schema.Mode))
    assert payload["modalities"] == list(get_args(schema.Modality))
    assert payload["capabilities"] == list(get_args(schema.Capability))
    assert payload["price_bases"] == list(get_args(schema.PriceBasis))
    assert payload["flag_names"] == list(get_args(schema.Flag))
    assert payload["provider_kinds"] == list(get_args(schema.ProviderKind))


def test_every_status_keeps_its_name() -> None:
    statuses = list(get_args(schema.Status))
    payload = explorer_payload(document([{"status": s} for s in statuses]))
    assert [payload["statuses"][code] for code in payload["offerings"]["st"]] == statuses


def test_every_tier_is_carried_lowest_threshold_first() -> None:
    tiers = [
        {"above_input_tokens": 256_000, "input": 4.0, "output": 16.0},
        {"above_input_tokens": 128_000, "input": 2.0, "cache_read": 0.2},
    ]
    payload = explorer_payload(
        document([{"pricing": {"input": 1.0, "output": 4.0, "tiers": tiers}}, {"pricing": {}}])
    )
    assert payload["offerings"]["tier"] == [
        [[128_000, 2.0, None, 0.2], [256_000, 4.0, 16.0, None]],
        None,
    ]


def semantics_document() -> dict[str, Any]:
    """Two models at a lab, a host, a router and a plan; unlisted and retired offerings."""

    def offering(provider: str, model: str, **extra: Any) -> dict[str, Any]:
        return {"provider": provider, "model": model, "provider_model_id": model, **extra}

    return {
        "schema_version": "1.1.0",
        "generated_at": "2026-01-01T00:00:00Z",
        "providers": [
            {"id": "lab", "name": "Lab", "kind": "first_party"},
            {"id": "host", "name": "Host", "kind": "inference_host"},
            {"id": "odd", "name": "Odd"},
            {"id": "router", "name": "Router", "kind": "router"},
            {"id": "resell", "name": "Resell", "kind": "reseller"},
            {"id": "plan", "name": "Plan", "kind": "subscription"},
        ],
        "models": [{"id": "a", "name": "A", "hosts": 6}, {"id": "b", "name": "B", "hosts": 3}],
        "offerings": [
            offering("lab", "a", price_basis="tokens", flags=["price_outlier", "unit_inferred"]),
            offering("host", "a", price_basis="free", variant=["free", "fp8"]),
            offering("odd", "a", listed=False, price_basis="per_image"),
            offering("router", "a", status="deprecated", deprecation_date="2026-06-01"),
            offering("resell", "a", price_basis="subscription"),
            offering("plan", "a", variant=["fp8"]),
            offering("lab", "b", status="retired"),
            offering("host", "b", listed=False),
            offering("router", "b"),
        ],
    }


def test_offerings_carry_listed_basis_flags_variant_and_date() -> None:
    payload = explorer_payload(semantics_document())
    o = payload["offerings"]
    assert o["listed"] == [1, 1, 0, 1, 1, 1, 1, 0, 1]
    bases = payload["price_bases"]
    assert [bases[k] for k in o["basis"]][:6] == [
        "tokens",
        "free",
        "per_image",
        "unknown",
        "subscription",
        "unknown",
    ]
    names = payload["flag_names"]
    assert [[n for k, n in enumerate(names) if f & (1 << k)] for f in o["flags"][:2]] == [
        ["price_outlier", "unit_inferred"],
        [],
    ]
    sets = payload["variant_sets"]
    assert [sets[k] if k >= 0 else [] for k in o["var"][:3]] == [[], ["free", "fp8"], []]
    assert sets[o["var"][5]] == ["fp8"]
    assert o["dep"][3] == "2026-06-01" and o["dep"][0] is None


def test_providers_and_models_count_direct_hosts_apart_from_routers() -> None:
    payload = explorer_payload(semantics_document())
    assert payload["providers"]["kind"] == [
        "first_party",
        "inference_host",
        None,
        "router",
        "reseller",
        "subscription",
    ]
    # a provider without a kind counts as a direct host (hosts.py)
    assert payload["providers"]["direct"] == [1, 1, 1, 0, 0, 0]
    models = payload["models"]
    # a: lab + host direct (odd is unlisted), router + resell + plan routed.
    # b: lab retired and host unlisted do not count; router does.
    assert models["direct"] == [2, 0]
    assert models["routed"] == [3, 1]
    assert models["hosts"] == [6, 3]  # the compiler's count is kept as it is


def strings_document() -> dict[str, Any]:
    """Ids, names and creators the format derives, and near misses it must spell out."""
    models = [
        # derived id (from "Org/Fine_Tune-7B"), derived name, derived creator
        {"id": "org/fine-tune-7b", "name": "Fine Tune 7B", "creator": "org"},
        # id equals its API id: spelled out; a name that is not the title; a named creator
        {"id": "llama-3.3-70b-instruct", "name": "Llama 3.3 70B", "creator": "Meta"},
        # API id differs in more than case: spelled out; creator differs from the prefix
        {"id": "zed/q-2", "name": "Q 2", "creator": "Zed Labs"},
        # non-ASCII: never derived
        {"id": "ünï/modèl", "name": "Modèl", "creator": "ünï"},
        # no offering at all
        {"id": "lonely", "name": "Lonely", "creator": None},
        # a model whose first offering (in order) is the derivable one, the second not
        {"id": "acme/big_model", "name": "Big_model"},
    ]
    offerings = [
        ("host", "llama-3.3-70b-instruct", "meta-llama/Llama-3.3-70B-Instruct"),
        ("host", "org/fine-tune-7b", "Org/Fine_Tune-7B"),
        ("host", "zed/q-2", "zed/q2"),
        ("lab", "llama-3.3-70b-instruct", "llama-3.3-70b-instruct"),
        ("host", "ünï/modèl", "ÜNÏ/Modèl"),
        ("host", "acme/big_model", "Acme/Big_Model"),
        ("lab", "org/fine-tune-7b", "org/fine-tune-7b"),
    ]
    return {
        "schema_version": "1.1.0",
        "generated_at": "2026-01-01T00:00:00Z",
        "providers": [{"id": "host", "name": "Host"}, {"id": "lab", "name": "Lab"}],
        "models": [{**m, "hosts": 1} for m in models],
        "offerings": [
            {"provider": p, "model": m, "provider_model_id": api} for p, m, api in offerings
        ],
    }


NODE_DECODE = r"""
const fs = require("fs"), vm = require("vm");
const sandbox = { performance, console, URLSearchParams };
sandbox.window = sandbox;
vm.createContext(sandbox);
vm.runInContext(fs.readFileSync(process.argv[1], "utf8"), sandbox);
const raw = sandbox.Knollm.decode(JSON.parse(fs.readFileSync(0, "utf8")));
const creator = raw.models.creator.map((k) => (k >= 0 ? raw.creators[k] : null));
process.stdout.write(JSON.stringify({ id: raw.models.id, name: raw.models.name, creator: creator,
  creators: raw.creators, m: raw.offerings.m }));
"""


def decoded_in_node(payload: dict[str, Any]) -> dict[str, Any]:
    node = shutil.which("node")
    assert node, "node is needed to decode the payload as the browser does"
    done = subprocess.run(
        [node, "-e", NODE_DECODE, str(DATA_JS)],
        input=json.dumps(payload),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_derived_strings_decode_to_the_documents() -> None:
    doc = strings_document()
    payload = explorer_payload(doc)
    # what is left out, so the test cannot pass by the payload spelling everything out
    assert payload["models"]["id"] == [
        None,
        "llama-3.3-70b-instruct",
        "zed/q-2",
        "ünï/modèl",
        "lonely",
        "acme/big_model",
    ]
    assert payload["models"]["name"] == [None, "Llama 3.3 70B", None, "Modèl", None, None]
    assert payload["models"]["creator"][0] == -2
    assert "org" not in payload["creators"]
    assert payload["offerings"]["dm"] == [1, -1, 2, -1, 2, 2, -5]
    decoded = decoded_in_node(payload)
    assert decoded["id"] == [m["id"] for m in doc["models"]]
    assert decoded["name"] == [m["name"] for m in doc["models"]]
    assert decoded["creator"] == [m.get("creator") for m in doc["models"]]
    assert decoded["creators"] == sorted({m["creator"] for m in doc["models"] if m.get("creator")})
    ids = [m["id"] for m in doc["models"]]
    assert decoded["m"] == [ids.index(o["model"]) for o in doc["offerings"]]


NODE_MERGE = r"""
const fs = require("fs"), vm = require("vm");
const sandbox = { performance, console, URLSearchParams };
sandbox.window = sandbox;
vm.createContext(sandbox);
vm.runInContext(fs.readFileSync(process.argv[1], "utf8"), sandbox);
const parts = JSON.parse(fs.readFileSync(0, "utf8"));
const raw = sandbox.Knollm.merge(parts.head, parts.tail);
const c = new sandbox.Knollm.Catalog(raw);
const models = raw.models.id.map((id, j) => [id, raw.models.name[j],
  raw.models.creator[j] >= 0 ? raw.creators[raw.models.creator[j]] : null, raw.models.direct[j]]);
const offerings = [];
for (let i = 0; i < c.n; i++) offerings.push([c.providers.id[c.p[i]], c.models.id[c.m[i]], c.apiId(i)]);
process.stdout.write(JSON.stringify({ models: models, offerings: offerings, more: c.more }));
"""


def test_a_split_payload_merges_to_the_whole_catalog() -> None:
    from knollm_build.explorer import MORE_FILE, explorer_files

    doc = strings_document()
    # "lab" as a first party puts the two models it serves (llama, org/fine-tune-7b) in the
    # default view
    doc["providers"][1]["kind"] = "first_party"
    files = explorer_files(doc, split_min=0)
    head, tail = files["explorer.json"], files[MORE_FILE]
    assert head["more"] == {"url": MORE_FILE, "models": 4, "offerings": 3}
    assert len(head["offerings"]["dm"]) == 4 and len(tail["offerings"]["dm"]) == 3
    node = shutil.which("node")
    assert node
    done = subprocess.run(
        [node, "-e", NODE_MERGE, str(DATA_JS)],
        input=json.dumps({"head": head, "tail": tail}),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    merged = json.loads(done.stdout)
    assert merged["more"] is None
    want = {m["id"]: [m["id"], m["name"], m.get("creator")] for m in doc["models"]}
    assert sorted(m[:3] for m in merged["models"]) == sorted(want.values())
    # the default view's two first (in document order), then the rest
    assert [m[0] for m in merged["models"][:2]] == ["org/fine-tune-7b", "llama-3.3-70b-instruct"]
    assert sorted(merged["offerings"]) == sorted(
        [o["provider"], o["model"], o["provider_model_id"]] for o in doc["offerings"]
    )


def test_small_catalogs_publish_one_file() -> None:
    from knollm_build.explorer import explorer_files

    assert list(explorer_files(strings_document())) == ["explorer.json"]
    assert "more" not in explorer_files(strings_document())["explorer.json"]


def hosted_document(copies: int = 1) -> dict[str, Any]:
    """Models m1..m5 served by 1..5 inference hosts (m1 also by its lab, so it is in the default
    view), a one-host fine-tune outside it, and ``copies`` of all of them under new ids."""
    providers = [{"id": f"h{k}", "name": f"H{k}", "kind": "inference_host"} for k in range(5)]
    providers.append({"id": "lab", "name": "Lab", "kind": "first_party"})
    models, offerings = [], []
    for c in range(copies):
        tag = f"-c{c}" if c else ""
        for n in range(1, 6):
            models.append({"id": f"m{n}{tag}", "name": f"M{n}{tag}"})
            offerings += [
                {"provider": f"h{k}", "model": f"m{n}{tag}", "provider_model_id": f"m{n}{tag}"}
                for k in range(n)
            ]
        offerings.append({"provider": "lab", "model": f"m1{tag}", "provider_model_id": f"m1{tag}"})
        models.append({"id": f"ft{tag}", "name": f"Ft{tag}"})
        offerings.append({"provider": "h0", "model": f"ft{tag}", "provider_model_id": f"ft{tag}"})
    return {
        "schema_version": "1.2.0",
        "generated_at": "2026-01-01T00:00:00Z",
        "providers": providers,
        "models": models,
        "offerings": offerings,
    }


def test_the_first_part_holds_the_most_widely_hosted_models_whole_and_stays_small() -> None:
    from knollm_build.explorer import MORE_FILE, explorer_files

    # m5 (5 offerings) reaches 4; m5 alone does not reach 6, so m4 comes in whole too
    files = explorer_files(hosted_document(), split_min=0, first_part=4)
    assert files["explorer.json"]["models"]["id"] == ["m5"]
    files = explorer_files(hosted_document(), split_min=0, first_part=6)
    head, tail = files["explorer.json"], files[MORE_FILE]
    assert head["models"]["id"] == ["m4", "m5"]  # document order within the part
    assert len(head["offerings"]["dm"]) == 9 and head["more"]["offerings"] == 8
    # the rest: the default view's other models in document order, then the one-host model
    assert tail["models"]["id"] == ["m1", "m2", "m3", "ft"]
    # ten times the catalog: the first part is no larger (m5 and its first copy, tied at 5 hosts)
    big = explorer_files(hosted_document(copies=10), split_min=0, first_part=6)
    assert len(big["explorer.json"]["offerings"]["dm"]) == 10
    assert big["explorer.json"]["more"]["offerings"] == 10 * 17 - 10
