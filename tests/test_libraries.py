"""Library reviews: the front matter contract, compile errors, libraries.json, the facts check, pages."""

from __future__ import annotations

import re
import shutil
import zipfile
from datetime import date
from pathlib import Path
from typing import Any

import orjson
import pytest
import yaml
from click.testing import CliRunner

from knollm_build import library_facts
from knollm_build.cli import main
from knollm_build.libraries import load_libraries, parse_library
from knollm_build.library_facts import (
    Facts,
    drift,
    facts_of,
    read_license_text,
    read_metadata,
    rewrite_front_matter,
)

REPO = Path(__file__).resolve().parents[1]
MINI = REPO / "tests" / "fixtures" / "mini"
SITE = REPO / "tests" / "fixtures" / "site"
HOSTILE = "<script>alert(1)</script> {{ 7*7 }} | [x](javascript:alert(1))"


def front(**changes: Any) -> dict[str, Any]:
    meta: dict[str, Any] = {
        "id": "demo",
        "name": "Demo",
        "pypi": "demo",
        "homepage": "https://example.com/demo",
        "repository": None,
        "category": "unifier",
        "rating": 5,
        "rating_reason": "Solid.",
        "features": {
            "sync": True,
            "async": True,
            "streaming": True,
            "tool_calling": False,
            "structured_output": False,
            "retries": False,
            "multi_provider": True,
            "openai_base_url": True,
            "local_models": False,
            "observability": False,
            "type_hints": True,
            "minimal_dependencies": True,
        },
        "providers": ["groq"],
        "any_openai_compatible": True,
        "pros": ["small"],
        "cons": ["young"],
        "use_cases": ["chat"],
        "neighbours": [],
        "license": "MIT",
        "requires_python": ">=3.9",
        "version": "1.10",
        "checked": date(2025, 11, 25),
        "dependencies": 3,
        "example_language": "python",
        "example_live": False,
        "example": "print('hi')\n",
    }
    meta.update(changes)
    return meta


def text_of(meta: dict[str, Any], body: str = "## When to use it\n\nOften.\n") -> str:
    return "---\n" + yaml.safe_dump(meta, sort_keys=False, allow_unicode=True) + "---\n" + body


def errors(meta: dict[str, Any] | str, name: str = "demo") -> list[str]:
    text = meta if isinstance(meta, str) else text_of(meta)
    library, problems = parse_library(Path(f"catalog/libraries/{name}.md"), text)
    assert (library is None) == bool(problems)
    return [p.line() for p in problems]


def test_a_valid_file_loads_with_keys_as_written() -> None:
    library, problems = parse_library(Path("catalog/libraries/demo.md"), text_of(front()))
    assert problems == [] and library is not None
    assert library.meta["features"]["async"] is True
    assert library.meta["checked"] == "2025-11-25" and library.meta["version"] == "1.10"
    assert library.body == "## When to use it\n\nOften.\n"


def test_validation_errors_name_file_and_field() -> None:
    meta = front()
    del meta["features"]["async"]
    assert errors(meta) == ["catalog/libraries/demo.md: features.async: Field required"]
    assert errors(front(rating=9)) == [
        "catalog/libraries/demo.md: rating: Input should be less than or equal to 7"
    ]
    assert errors(front(color="red")) == [
        "catalog/libraries/demo.md: color: Extra inputs are not permitted"
    ]
    assert errors(front(use_cases=["chat", "poetry"])) == [
        "catalog/libraries/demo.md: use_cases.1: Input should be 'chat', 'structured-output', "
        "'multi-provider', 'agents', 'rag', 'minimal-dependencies', 'async-streaming', "
        "'local-models', 'prototyping', 'production', 'observability', 'prompt-optimisation', "
        "'cli' or 'raw-http'"
    ]
    # an unquoted 1.10 is the float 1.1 in YAML: refused rather than silently misread
    assert errors(text_of(front()).replace("version: '1.10'", "version: 1.10")) == [
        "catalog/libraries/demo.md: version: Input should be a valid string"
    ]
    assert errors(front(rating=True)) == [
        "catalog/libraries/demo.md: rating: Input should be a valid integer"
    ]
    assert errors(front(pros=["a", "a"])) == ["catalog/libraries/demo.md: pros: duplicate entries"]
    assert errors(front(homepage="javascript:alert(1)")) == [
        "catalog/libraries/demo.md: homepage: String should match pattern "
        "'^https?://[^\\s\\\"'<>]+$'"
    ]


def test_file_level_errors() -> None:
    assert errors(front(), name="other") == [
        "catalog/libraries/other.md: id: must equal the file name 'other' (got 'demo')"
    ]
    assert errors("# no front matter\n") == [
        "catalog/libraries/demo.md: no YAML front matter (the file must start with ---)"
    ]
    assert errors("---\nid: [demo\n---\nbody\n") == [
        "catalog/libraries/demo.md: invalid YAML front matter at line 3: "
        "expected ',' or ']', but got '<stream end>'"
    ]
    assert errors("---\n- a list\n---\nbody\n") == [
        "catalog/libraries/demo.md: front matter must be a mapping of fields"
    ]
    assert errors(text_of(front(), body="\n")) == [
        "catalog/libraries/demo.md: the review body after the front matter is empty"
    ]


def test_cross_checks_name_neighbours_and_providers(tmp_path: Path) -> None:
    folder = tmp_path / "libraries"
    folder.mkdir()
    (folder / "demo.md").write_text(
        text_of(front(neighbours=["other", "ghost"], providers=["groq", "nowhere"]))
    )
    (folder / "other.md").write_text(text_of(front(id="other", neighbours=["demo"])))
    loaded = load_libraries(folder, {"groq"})
    assert [lib.info.id for lib in loaded.libraries] == ["demo", "other"]
    assert [p.line() for p in loaded.problems] == [
        f"{folder}/demo.md: neighbours.1: unknown library 'ghost' (no {folder}/ghost.md)",
        f"{folder}/demo.md: providers.1: unknown provider 'nowhere' (not a provider of the compiled catalog)",
    ]


def compile_with(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, files: dict[str, str]) -> Any:
    catalog = tmp_path / "catalog"
    shutil.copytree(MINI / "catalog", catalog)
    shutil.copy(REPO / "catalog" / "model_rules.toml", catalog / "model_rules.toml")
    (catalog / "libraries").mkdir()
    for name, text in files.items():
        (catalog / "libraries" / name).write_text(text, encoding="utf-8")
    shutil.copytree(MINI / "work", tmp_path / "work")
    for broken in ("models_broken.json", "models_litellm.json"):  # their own errors, not ours
        (tmp_path / "work" / "model_catalog" / broken).unlink()
    monkeypatch.chdir(tmp_path)
    return CliRunner().invoke(
        main,
        ["compile", "--out", "out", "--work", "work", "--catalog", "catalog"]
        + ["--no-default-sources", "--strict", "-q"],
        env={"SOURCE_DATE_EPOCH": "1764028800"},
    )


def test_compile_emits_libraries_json(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    result = compile_with(
        tmp_path,
        monkeypatch,
        {"demo.md": text_of(front()), "zeta.md": text_of(front(id="zeta", name="Zeta"))},
    )
    assert result.exit_code == 0, result.output
    document = orjson.loads((tmp_path / "out" / "libraries.json").read_bytes())
    assert [d["id"] for d in document] == ["demo", "zeta"]
    assert document[0] == {**front(), "checked": "2025-11-25"}
    models = orjson.loads((tmp_path / "out" / "models.json").read_bytes())
    assert "libraries" not in models


def test_a_bad_library_file_fails_a_strict_compile(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bad = front(rating=0)
    del bad["license"]
    result = compile_with(tmp_path, monkeypatch, {"demo.md": text_of(bad)})
    assert result.exit_code == 1
    assert "error: catalog/libraries/demo.md: license: Field required\n" in result.output
    assert (
        "error: catalog/libraries/demo.md: rating: Input should be greater than or equal to 1\n"
        in result.output
    )
    assert "--strict: 0 quarantined record(s), 2 input error(s)" in result.output
    assert "Traceback" not in result.output
    assert orjson.loads((tmp_path / "out" / "libraries.json").read_bytes()) == []


# --- facts from wheels ------------------------------------------------------------------------


def make_wheel(path: Path, metadata: str) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("demo/__init__.py", "")
        archive.writestr("demo-2.0.dist-info/METADATA", metadata)
        archive.writestr("demo-2.0.dist-info/WHEEL", "Wheel-Version: 1.0\n")
    return path


METADATA = """\
Metadata-Version: 2.4
Name: demo
Version: 2.0
License-Expression: Apache-2.0
Requires-Python: >= 3.10
Requires-Dist: httpx<1,>=0.23
Requires-Dist: pydantic>=2
Requires-Dist: tomli; python_version < "3.11"
Requires-Dist: rich; extra == "cli"
Requires-Dist: numpy; python_version >= "3.12" and extra=='fast'
Classifier: License :: OSI Approved :: MIT License

Long description with Requires-Dist: fake
"""


def test_metadata_facts_from_a_wheel(tmp_path: Path) -> None:
    facts = facts_of(read_metadata(make_wheel(tmp_path / "demo-2.0-py3-none-any.whl", METADATA)))
    assert facts == Facts("2.0", "Apache-2.0", ">=3.10", 3)
    old_style = METADATA.replace("License-Expression: Apache-2.0\n", "License: BSD\n")
    assert facts_of(read_metadata(make_wheel(tmp_path / "b.whl", old_style))).license == "BSD"
    only_classifier = METADATA.replace("License-Expression: Apache-2.0\n", "")
    assert facts_of(read_metadata(make_wheel(tmp_path / "c.whl", only_classifier))).license == "MIT"


def test_unreadable_wheels_are_reported(tmp_path: Path) -> None:
    junk = tmp_path / "junk.whl"
    junk.write_bytes(b"not a zip")
    with pytest.raises(library_facts.FactsError, match="not a readable wheel"):
        read_metadata(junk)
    empty = tmp_path / "empty.whl"
    with zipfile.ZipFile(empty, "w") as archive:
        archive.writestr("x.py", "")
    with pytest.raises(
        library_facts.FactsError, match=r"expected one \*\.dist-info/METADATA, found 0"
    ):
        read_metadata(empty)


def test_drift_compares_each_fact() -> None:
    facts = Facts("2.0", "Apache-2.0", ">=3.10", 3)
    same = {
        "version": "2.0",
        "license": "Apache-2.0",
        "requires_python": ">= 3.10",
        "dependencies": 3,
    }
    assert drift(same, facts) == {}
    assert drift({**same, "version": "1.10", "dependencies": 2}, facts) == {
        "version": ("1.10", "2.0"),
        "dependencies": (2, 3),
    }


def test_rewrite_touches_only_the_given_keys() -> None:
    text = text_of(front()) + "\nversion: 1.10 in the body stays\n"
    new = rewrite_front_matter(
        text, {"version": "2.0", "requires_python": ">=3.10", "checked": date(2026, 1, 2)}
    )
    expected = (
        text.replace("version: '1.10'\n", "version: '2.0'\n", 1)
        .replace("requires_python: '>=3.9'", 'requires_python: ">=3.10"')
        .replace("checked: 2025-11-25", "checked: 2026-01-02")
    )
    assert new == expected.replace("version: '2.0'", 'version: "2.0"', 1)
    library, problems = parse_library(Path("demo.md"), new)
    assert problems == [] and library is not None
    assert (library.info.version, library.info.requires_python) == ("2.0", ">=3.10")
    with pytest.raises(library_facts.FactsError, match="not a one-line top-level key"):
        rewrite_front_matter(text, {"sync": False})


def test_check_command_reports_drift_and_writes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "catalog" / "libraries"
    folder.mkdir(parents=True)
    path = folder / "demo.md"
    path.write_text(text_of(front(version="2.0", dependencies=2)))
    (folder / "curl.md").write_text(
        text_of(front(id="curl", pypi=None, version=None, requires_python=None))
    )
    wheel = make_wheel(tmp_path / "demo-2.0-py3-none-any.whl", METADATA)
    asked: list[tuple[str, str | None]] = []

    def fake_download(package: str, version: str | None, cache: Path) -> Path:
        asked.append((package, version))
        return wheel

    monkeypatch.setattr(library_facts, "download_wheel", fake_download)
    args = ["libraries", "check", "--catalog", str(tmp_path / "catalog")]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 1
    assert result.output == (
        "drift     demo: license: 'MIT' -> 'Apache-2.0'\n"
        "drift     demo: requires_python: '>=3.9' -> '>=3.10'\n"
        "drift     demo: dependencies: 2 -> 3\n"
        "Error: 1 library drifted, 0 error(s)\n"
    )
    assert asked == [("demo", "2.0")]  # curl has no package: not checked
    before = path.read_text()
    result = CliRunner().invoke(main, [*args, "--write", "--latest"])
    assert result.exit_code == 0, result.output
    assert asked[-1] == ("demo", None)
    after = path.read_text()
    assert (
        after.replace("license: Apache-2.0", "license: MIT")
        .replace('requires_python: ">=3.10"', "requires_python: '>=3.9'")
        .replace("dependencies: 3", "dependencies: 2")
        .replace(f"checked: {date.today().isoformat()}", "checked: 2025-11-25")
        == before
    )
    assert CliRunner().invoke(main, args).output == "ok        demo 2.0\n"
    bad = CliRunner().invoke(main, [*args, "--only", "nope"])
    assert bad.exit_code == 2 and "no valid review for nope" in bad.output


# --- pages ------------------------------------------------------------------------------------


def test_pages_render_hostile_reviews_inert(tmp_path: Path) -> None:
    from knollm_build.pipeline import BuildOptions, compile_catalog
    from site_plugins.knollm.libraries import library_entries
    from site_plugins.knollm.pages import PageBuilder, SiteData
    from site_plugins.knollm.render import environment

    catalog = tmp_path / "catalog"
    shutil.copytree(MINI / "catalog", catalog)
    shutil.copytree(SITE / "catalog", catalog, dirs_exist_ok=True)
    shutil.copy(REPO / "catalog" / "model_rules.toml", catalog / "model_rules.toml")
    (catalog / "libraries" / "demo.md").write_text(
        text_of(front(name=HOSTILE, cons=[HOSTILE], neighbours=["openai"], providers=["evil"]))
    )
    result = compile_catalog(
        BuildOptions(
            work_dirs=[MINI / "work", SITE / "work"], default_sources=False, catalog_dir=catalog
        )
    )
    assert [p.line() for p in result.problems if "libraries" in p.file] == []
    libraries = library_entries(result.libraries)
    assert [lib["id"] for lib in libraries] == ["demo", "evil-lib", "openai"]
    builder = PageBuilder(
        environment(REPO / "templates"),
        SiteData(result.document, result.report, None, libraries),
    )
    pages = builder.library_pages()
    assert sorted(pages) == [
        "libraries/demo.md",
        "libraries/evil-lib.md",
        "libraries/index.md",
        "libraries/openai.md",
    ]
    for uri, text in pages.items():
        for needle in ("<script", "<img", "{{", "](javascript:"):
            assert needle not in text, (uri, needle)
    demo = pages["libraries/demo.md"]
    assert "<h1>&lt;script&gt;alert(1)&lt;/script&gt; &#123;&#123; 7&#42;7 &#125;&#125;" in demo
    assert '<a href="../../libraries/openai/">openai</a>' in demo
    assert '<pre><code class="language-python">print(&#39;hi&#39;)\n</code></pre>' in demo
    index = pages["libraries/index.md"]
    # the compatibility matrix, columns demo, evil-lib, openai: native (●) where a review lists
    # the provider, base URL (○) where the provider and the library speak the OpenAI API
    rows = dict(re.findall(r'<tr><td><a href="[^"]+">([^<]+)</a></td>(.*?)</tr>', index))
    assert rows["Groq"] == '<td data-sort="3">3</td><td>○</td><td>○</td><td>●</td>'
    assert rows["Together AI"] == '<td data-sort="3">3</td><td>○</td><td>●</td><td>○</td>'
    assert 'data-answers="' in index and "Which library?" in index


def test_licence_from_the_license_field_text_or_the_bundled_file(tmp_path: Path) -> None:
    mit = "MIT License\n\nCopyright (c) 2024 Someone\n\nPermission is hereby granted, free of charge, to any person"
    # A one-line name is mapped to its SPDX id.
    one_line = "Metadata-Version: 2.1\nName: demo\nVersion: 1\nLicense: MIT License\n\n"
    assert facts_of(read_metadata(make_wheel(tmp_path / "a.whl", one_line))).license == "MIT"
    # The whole licence text in the License field is recognised by its wording.
    field = (
        "Metadata-Version: 2.1\nName: demo\nVersion: 1\nLicense: "
        + mit.replace("\n", "\n        ")
        + "\n\n"
    )
    assert facts_of(read_metadata(make_wheel(tmp_path / "b.whl", field))).license == "MIT"
    # No licence in METADATA at all: the file the wheel ships decides.
    bare = "Metadata-Version: 2.1\nName: demo\nVersion: 1\n\n"
    wheel = make_wheel(tmp_path / "c.whl", bare)
    assert facts_of(read_metadata(wheel), read_license_text(wheel)).license is None
    with zipfile.ZipFile(wheel, "a") as archive:
        archive.writestr(
            "demo-2.0.dist-info/licenses/LICENSE",
            "                                 Apache License\n                           Version 2.0, January 2004\n",
        )
    assert facts_of(read_metadata(wheel), read_license_text(wheel)).license == "Apache-2.0"
