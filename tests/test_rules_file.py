"""``catalog/model_rules.toml`` is validated by a strict model: one exact line per problem.

Each line names the file, the entry, the field, the problem and the fix; nothing raises a
raw KeyError or a traceback.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from knollm_build.canonical import RulesError, load_rules

REPO = Path(__file__).resolve().parents[1]


def _errors(tmp_path: Path, text: str) -> list[str]:
    path = tmp_path / "model_rules.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(RulesError) as caught:
        load_rules(path)
    prefix = f"{path}: "
    assert all(line.startswith(prefix) for line in caught.value.lines)
    assert str(caught.value) == "\n".join(caught.value.lines)
    return [line.removeprefix(prefix) for line in caught.value.lines]


def test_entry_without_pattern_is_one_line_not_a_key_error(tmp_path: Path) -> None:
    assert _errors(tmp_path, '[[variant_suffix]]\ntag = "free"\n') == [
        'variant_suffix[0]: pattern: field required; fix: add pattern = "..." to this entry'
    ]


def test_every_problem_is_reported_with_its_entry_and_field(tmp_path: Path) -> None:
    text = (
        'strip_prefixes = "models/"\n'
        "[[rewrite]]\n"
        'pattern = "_"\n'
        "[[rewrite]]\n"
        'pattern = "x"\n'
        'replace = "y"\n'
        'colour = "red"\n'
        "[[snapshot]]\n"
        'pattern = "-(20\\\\d\\\\d)"\n'
        "[aliases]\n"
        '"kimi-k2" = 2\n'
    )
    assert _errors(tmp_path, text) == [
        (
            'strip_prefixes: must be a list; fix: write strip_prefixes = ["...", "..."] above '
            "every [table] header"
        ),
        (
            "snapshot[0]: pattern: pattern '-(20\\\\d\\\\d)' must end with $ (these match "
            "the end of an id); fix: append $ to the pattern"
        ),
        'rewrite[0]: replace: field required; fix: add replace = "..." to this entry',
        (
            "rewrite[1]: colour: unknown field; fix: remove it or correct its spelling "
            "(known: chat_default, pattern, replace)"
        ),
        "aliases['kimi-k2']: must be a string; fix: write it as a quoted string: \"...\"",
    ]


def test_unknown_section_names_the_known_ones(tmp_path: Path) -> None:
    assert _errors(tmp_path, "[[rewrites]]\npattern = 'a'\nreplace = 'b'\n") == [
        (
            "rewrites: unknown field; fix: remove it or correct its spelling (known: aliases, "
            "bedrock, creator_prefixes, different, dotted_vendors, instruct_only, known_labs, "
            "last_resort, path_words, region_prefixes, rewrite, snapshot, sole_size, "
            "strip_prefixes, tag_namespaces, variant_suffix, version_family)"
        )
    ]


def test_bad_value_types_and_literals(tmp_path: Path) -> None:
    text = (
        "[[version_family]]\n"
        'stem = "Gemini"\n'
        'separator = "/"\n'
        "[[instruct_only]]\n"
        'pattern = "^x$"\n'
        'suffix = "-chat"\n'
        "[last_resort]\n"
        'enabled = "yes"\n'
    )
    assert _errors(tmp_path, text) == [
        (
            "version_family[0]: stem: stem 'Gemini' must be lower-case letters, digits, dots "
            "and dashes; fix: write the family's name as it appears in canonical ids"
        ),
        "version_family[0]: separator: must be '-', '' or '.'; fix: use one of the values listed",
        "instruct_only[0]: suffix: must be '-instruct' or '-it'; fix: use one of the values listed",
        "last_resort: enabled: must be true or false; fix: write true or false (no quotes)",
    ]


def test_invalid_toml_is_one_line(tmp_path: Path) -> None:
    assert _errors(tmp_path, "[[rewrite]\n") == [
        (
            "invalid TOML: Expected ']]' at the end of an array declaration (at line 1, "
            "column 10); fix: correct the syntax there"
        )
    ]


def test_a_rule_that_joins_models_known_to_be_different_is_refused(tmp_path: Path) -> None:
    rules = (REPO / "catalog" / "model_rules.toml").read_text(encoding="utf-8")
    joined = rules.replace("[aliases]\n", '[aliases]\n"deepseek-r1-0528" = "deepseek-r1"\n', 1)
    assert _errors(tmp_path, joined) == [
        (
            "aliases['deepseek-r1-0528']: joins 'deepseek-ai/DeepSeek-R1' and "
            "'deepseek-ai/DeepSeek-R1-0528' (both -> 'deepseek-r1'), listed as different in "
            "different[0] (a new checkpoint); fix: narrow or remove aliases['deepseek-r1-0528']"
        )
    ]


def test_a_variant_rule_that_eats_a_name_is_refused(tmp_path: Path) -> None:
    rules = (REPO / "catalog" / "model_rules.toml").read_text(encoding="utf-8")
    broken = rules.replace(
        "# Dated snapshots:",
        '[[variant_suffix]]\npattern = "-mini$"\ntag = "mini"\n\n# Dated snapshots:',
        1,
    )
    lines = _errors(tmp_path, broken)
    assert len(lines) == 1
    assert lines[0].startswith("variant_suffix[")
    assert "joins 'gpt-4o' and 'gpt-4o-mini' (both -> 'gpt-4o')" in lines[0]


def test_the_repository_rules_load() -> None:
    rules = load_rules(REPO / "catalog" / "model_rules.toml")
    assert rules.version_families.pattern.startswith("^(?P<stem>")
