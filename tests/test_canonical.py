"""Model-id canonicalisation against real provider ids.

Every id below is copied from a real provider listing (the raw dumps in
../shared/work/model_catalog or the compiled build/data/models.json); the
comment on each group names the providers it was seen at.

The goal the rules serve: one trained model gets one canonical id however a
provider spells it; serving variants (free, fp8, turbo, fast, tee, regions,
@default, :free, dated snapshots) are tags on the offering; new checkpoints
(-0528, -0324, -2507, -terminus), smaller siblings (-flash, -lite, -air, 20b vs
120b), fine-tunes and distillations are separate models.

Where the current rules give the wrong answer the case stays here with the
right expectation, marked ``xfail(strict=True)`` with the reason ("rule gap"):
when a rule fixes it, the strict xfail turns into a failure and the mark must
be removed.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import pytest

from knollm_build.canonical import Identity, canonicalise, load_rules

REPO = Path(__file__).resolve().parents[1]
RULES_PATH = REPO / "catalog" / "model_rules.toml"

RULES = load_rules(RULES_PATH)


def canon(provider_model_id: str) -> Identity:
    return canonicalise(provider_model_id, RULES)


def gap(reason: str, *values: object) -> pytest.param:  # type: ignore[valid-type]
    """A case the current rules get wrong: kept with the right expectation."""
    return pytest.param(*values, marks=pytest.mark.xfail(strict=True, reason=f"rule gap: {reason}"))


# (provider model id, canonical model id, variant tags or None = not checked)
CASES = [
    # --- gpt-oss-120b / gpt-oss-20b -------------------------------------------------------
    ("gpt-oss-120b", "gpt-oss-120b", ()),  # openai, cerebras, sambanova
    ("openai/gpt-oss-120b", "gpt-oss-120b", ()),  # groq, openrouter, together, deepinfra
    ("accounts/fireworks/models/gpt-oss-120b", "gpt-oss-120b", ()),  # fireworks
    ("openai.gpt-oss-120b-1:0", "gpt-oss-120b", ()),  # amazon-bedrock
    ("openai.gpt-oss-120b", "gpt-oss-120b", ()),  # amazon-bedrock, oci
    ("us-gov.openai.gpt-oss-120b-1:0", "gpt-oss-120b", ("region:us-gov",)),  # amazon-bedrock
    ("openai/gpt-oss-120b:free", "gpt-oss-120b", ("free",)),  # openrouter
    ("openai/gpt-oss-120b-TEE", "gpt-oss-120b", ("tee",)),  # chutes
    ("openai/gpt-oss-120b-maas", "gpt-oss-120b", ("maas",)),  # google-vertex
    ("@cf/openai/gpt-oss-120b", "gpt-oss-120b", ()),  # cloudflare-workers-ai
    ("workers-ai/@cf/openai/gpt-oss-120b", "gpt-oss-120b", ()),  # cloudflare-ai-gateway
    ("hf:openai/gpt-oss-120b", "gpt-oss-120b", ()),  # synthetic
    ("GPT-OSS-120B", "gpt-oss-120b", ()),  # poe
    pytest.param(
        "openai/gpt-oss-120b:batch",
        "gpt-oss-120b",
        ("batch",),
    ),
    pytest.param(
        "openai/gpt-oss-120b-Turbo",
        "gpt-oss-120b",
        ("turbo",),
    ),  # deepinfra
    pytest.param(
        "openai/gpt-oss-120b-fast",
        "gpt-oss-120b",
        ("fast",),
    ),  # nebius
    pytest.param(
        "gpt-oss:120b",
        "gpt-oss-120b",
        None,
    ),  # ollama-cloud
    ("parasail-gpt-oss-120b", "gpt-oss-120b", ()),  # parasail dump
    ("databricks-gpt-oss-120b", "gpt-oss-120b", ()),  # databricks
    ("FW-GPT-OSS-120B", "gpt-oss-120b", ()),  # azure-ai (Fireworks-hosted)
    ("gpt-oss-20b", "gpt-oss-20b", ()),  # openai, fireworks
    ("openai/gpt-oss-20b", "gpt-oss-20b", ()),  # groq, openrouter, together
    ("accounts/fireworks/models/gpt-oss-20b", "gpt-oss-20b", ()),  # fireworks
    ("openai.gpt-oss-20b-1:0", "gpt-oss-20b", ()),  # amazon-bedrock
    ("openai/gpt-oss-20b:free", "gpt-oss-20b", ("free",)),  # openrouter
    ("openai/gpt-oss-safeguard-20b", "gpt-oss-safeguard-20b", ()),  # groq: a fine-tune, separate
    pytest.param("gpt-oss:20b", "gpt-oss-20b", None),  # ollama-cloud
    # --- Llama 3.3 70B Instruct -----------------------------------------------------------
    ("llama-3.3-70b-versatile", "llama-3.3-70b-instruct", ("versatile",)),  # groq
    ("meta.llama3-3-70b-instruct-v1:0", "llama-3.3-70b-instruct", ()),  # amazon-bedrock
    (
        "us.meta.llama3-3-70b-instruct-v1:0",
        "llama-3.3-70b-instruct",
        ("region:us",),
    ),  # amazon-bedrock
    (
        "meta-llama/Llama-3.3-70B-Instruct",
        "llama-3.3-70b-instruct",
        (),
    ),  # huggingface, deepinfra, nebius
    ("meta-llama/Llama-3.3-70B-Instruct-Turbo", "llama-3.3-70b-instruct", ("turbo",)),  # together
    (
        "meta-llama/Llama-3.3-70B-Instruct-Turbo-Free",
        "llama-3.3-70b-instruct",
        ("free", "turbo"),
    ),  # together
    (
        "meta-llama/Meta-Llama-3.3-70B-Instruct-Turbo",
        "llama-3.3-70b-instruct",
        ("turbo",),
    ),  # together
    ("Meta-Llama-3.3-70B-Instruct", "llama-3.3-70b-instruct", ()),  # sambanova, avian
    ("Meta-Llama-3_3-70B-Instruct", "llama-3.3-70b-instruct", ()),  # ovhcloud
    ("llama-3.3-70b", "llama-3.3-70b-instruct", ()),  # cerebras, venice
    ("llama3.3-70b", "llama-3.3-70b-instruct", ()),  # snowflake
    ("llama3.3-70b-instruct-fp8", "llama-3.3-70b-instruct", ("fp8",)),  # lambda
    ("meta-llama/llama-3-3-70b-instruct", "llama-3.3-70b-instruct", ()),  # watsonx
    ("meta.llama-3.3-70b-instruct", "llama-3.3-70b-instruct", ()),  # oci
    ("meta/llama-3.3-70b-instruct-maas", "llama-3.3-70b-instruct", ("maas",)),  # google-vertex
    ("meta-llama/llama-3.3-70b-instruct/fp-8", "llama-3.3-70b-instruct", ("fp8",)),  # inference
    ("meta-llama/Llama-3.3-70B-Instruct-fast", "llama-3.3-70b-instruct", ("fast",)),  # nebius
    ("meta-llama/llama-3.3-70b-instruct:free", "llama-3.3-70b-instruct", ("free",)),  # openrouter
    ("hf:meta-llama/Llama-3.3-70B-Instruct", "llama-3.3-70b-instruct", ()),  # synthetic
    pytest.param(
        "@cf/meta/llama-3.3-70b-instruct-fp8-fast",
        "llama-3.3-70b-instruct",
        ("fast", "fp8"),
    ),  # cloudflare-workers-ai
    pytest.param(
        "accounts/fireworks/models/llama-v3p3-70b-instruct",
        "llama-3.3-70b-instruct",
        (),
    ),  # fireworks
    ("databricks-meta-llama-3-3-70b-instruct", "llama-3.3-70b-instruct", ()),  # databricks
    pytest.param("TEE/llama3-3-70b", "llama-3.3-70b-instruct", ("tee",)),
    pytest.param(
        "parasail-llama-33-70b-fp8",
        "llama-3.3-70b-instruct",
        ("fp8",),
    ),  # parasail
    # --- other Llama: base names, Groq context suffix, Llama 4 ------------------------------
    (
        "meta-llama/Meta-Llama-3.1-8B-Instruct-Turbo",
        "llama-3.1-8b-instruct",
        ("turbo",),
    ),  # together
    ("llama-3.1-8b-instant", "llama-3.1-8b-instruct", ("instant",)),  # groq
    ("meta.llama3-1-8b-instruct-v1:0", "llama-3.1-8b-instruct", ()),  # amazon-bedrock
    (
        "@cf/meta/llama-3.1-8b-instruct-awq",
        "llama-3.1-8b-instruct",
        ("awq",),
    ),  # cloudflare-workers-ai
    ("llama3.1-8b", "llama-3.1-8b-instruct", ()),  # cerebras
    pytest.param(
        "accounts/fireworks/models/llama-v3p1-8b-instruct",
        "llama-3.1-8b-instruct",
        (),
    ),
    pytest.param("llama3-8b-8192", "llama-3-8b-instruct", None),  # groq
    (
        "meta-llama/Llama-4-Maverick-17B-128E-Instruct-FP8",
        "llama-4-maverick-17b-128e-instruct",
        ("fp8",),
    ),  # together
    pytest.param(
        "meta-llama/llama-4-maverick",
        "llama-4-maverick-17b-128e-instruct",
        (),
    ),
    pytest.param(
        "meta.llama4-maverick-17b-instruct-v1:0",
        "llama-4-maverick-17b-128e-instruct",
        (),
    ),
    # --- Claude Sonnet 4 ------------------------------------------------------------------
    ("claude-sonnet-4-20250514", "claude-sonnet-4", ("snapshot:2025-05-14",)),  # anthropic
    (
        "anthropic.claude-sonnet-4-20250514-v1:0",
        "claude-sonnet-4",
        ("snapshot:2025-05-14",),
    ),  # bedrock
    (
        "us.anthropic.claude-sonnet-4-20250514-v1:0",
        "claude-sonnet-4",
        ("region:us", "snapshot:2025-05-14"),
    ),  # amazon-bedrock
    (
        "eu.anthropic.claude-sonnet-4-20250514-v1:0",
        "claude-sonnet-4",
        ("region:eu", "snapshot:2025-05-14"),
    ),  # amazon-bedrock
    ("claude-sonnet-4@20250514", "claude-sonnet-4", ("snapshot:2025-05-14",)),  # google-vertex
    ("anthropic/claude-sonnet-4", "claude-sonnet-4", ()),  # openrouter, vercel, requesty
    ("claude-sonnet-4-0", "claude-sonnet-4", ()),  # anthropic alias
    ("Claude-Sonnet-4", "claude-sonnet-4", ()),  # poe
    ("claude-sonnet-4-5-20250929", "claude-sonnet-4.5", ("snapshot:2025-09-29",)),  # anthropic
    ("claude-sonnet-4-6@default", "claude-sonnet-4.6", ("default",)),  # google-vertex
    ("claude-3-7-sonnet-20250219", "claude-3.7-sonnet", ("snapshot:2025-02-19",)),  # anthropic
    ("anthropic/claude-3.7-sonnet:thinking", "claude-3.7-sonnet", ("thinking",)),  # openrouter
    ("claude-opus-4-1-20250805", "claude-opus-4.1", ("snapshot:2025-08-05",)),  # anthropic
    pytest.param(
        "anthropic/claude-4-sonnet", "claude-sonnet-4", ()
    ),  # vercel, deepinfra, replicate
    pytest.param(
        "claude-4-sonnet-20250514",
        "claude-sonnet-4",
        ("snapshot:2025-05-14",),
    ),  # anthropic
    (
        "regional.anthropic.claude-sonnet-4-20250514-v1:0",
        "claude-sonnet-4",
        ("region:regional", "snapshot:2025-05-14"),
    ),  # amazon-bedrock
    pytest.param(
        "claude_platform/claude-sonnet-4-5",
        "claude-sonnet-4.5",
        None,
    ),
    ("anthropic-claude-sonnet-4", "claude-sonnet-4", ()),  # digitalocean
    ("databricks-claude-sonnet-4", "claude-sonnet-4", ()),  # databricks
    pytest.param(
        "claude-sonnet-4-20250514-thinking",
        "claude-sonnet-4",
        ("snapshot:2025-05-14", "thinking"),
    ),  # atlascloud
    # --- Gemini 2.5 Flash -----------------------------------------------------------------
    ("gemini-2.5-flash", "gemini-2.5-flash", ()),  # google, google-vertex
    ("models/gemini-2.5-flash", "gemini-2.5-flash", ()),  # google (AI Studio list)
    ("google/gemini-2.5-flash", "gemini-2.5-flash", ()),  # openrouter
    ("Gemini-2.5-Flash", "gemini-2.5-flash", ()),  # poe
    ("gemini-2.5-flash-lite", "gemini-2.5-flash-lite", ()),  # google: a smaller sibling
    ("google/gemini-2.5-flash-lite", "gemini-2.5-flash-lite", ()),  # openrouter
    (
        "gemini-2.5-flash-preview-05-20",
        "gemini-2.5-flash-preview-05-20",
        (),
    ),  # google: a preview checkpoint
    (
        "google/gemini-2.5-flash-preview-09-2025",
        "gemini-2.5-flash-preview-09-2025",
        (),
    ),  # openrouter
    ("gemini-2.5-flash-lite-preview-06-17", "gemini-2.5-flash-lite-preview-06-17", ()),  # google
    ("gemini-2.5-flash-image", "gemini-2.5-flash-image", ()),  # google
    pytest.param(
        "google/gemini-2.5-flash:batch",
        "gemini-2.5-flash",
        ("batch",),
    ),
    # --- GLM ------------------------------------------------------------------------------
    ("zai-org/GLM-4.5", "glm-4.5", ()),  # huggingface, together
    ("z-ai/glm-4.5", "glm-4.5", ()),  # openrouter
    ("glm-4.5", "glm-4.5", ()),  # zai, 302ai
    ("zai-org/GLM-4.5-FP8", "glm-4.5", ("fp8",)),  # gmicloud
    ("zai-org/GLM-4.5-Air-FP8", "glm-4.5-air", ("fp8",)),  # together
    ("z-ai/glm-4.5-air:free", "glm-4.5-air", ("free",)),  # openrouter
    ("glm-4.5-air", "glm-4.5-air", ()),  # zai
    ("z-ai/glm-4.5v", "glm-4.5v", ()),  # openrouter
    ("zai-org/GLM-4.6", "glm-4.6", ()),  # huggingface
    ("z-ai/glm-4.6", "glm-4.6", ()),  # openrouter
    ("zai.glm-4.7", "glm-4.7", ()),  # amazon-bedrock
    pytest.param("accounts/fireworks/models/glm-4p5", "glm-4.5", ()),
    pytest.param("accounts/fireworks/models/glm-4p5-air", "glm-4.5-air", ()),
    pytest.param("ZhipuAI/GLM-4.5", "glm-4.5", ()),  # modelscope
    pytest.param("zai-org-glm-4.6", "glm-4.6", ()),  # venice
    pytest.param("novita/glm-4.6", "glm-4.6", None),  # poe
    # --- Kimi K2 --------------------------------------------------------------------------
    ("moonshotai/Kimi-K2-Instruct", "kimi-k2-instruct", ()),  # huggingface, together
    ("accounts/fireworks/models/kimi-k2-instruct", "kimi-k2-instruct", ()),  # fireworks
    ("moonshotai/Kimi-K2-Instruct-0905", "kimi-k2-instruct-0905", ()),  # huggingface, groq
    ("accounts/fireworks/models/kimi-k2-instruct-0905", "kimi-k2-instruct-0905", ()),  # fireworks
    ("hf:moonshotai/Kimi-K2-Instruct-0905", "kimi-k2-instruct-0905", ()),  # synthetic
    ("Pro/moonshotai/Kimi-K2-Instruct-0905", "kimi-k2-instruct-0905", None),  # siliconflow-cn
    ("moonshotai/Kimi-K2-Thinking", "kimi-k2-thinking", ()),  # huggingface
    ("moonshotai.kimi-k2-thinking", "kimi-k2-thinking", ()),  # amazon-bedrock
    ("moonshotai/Kimi-K2.5", "kimi-k2.5", ()),  # huggingface
    pytest.param(
        "moonshotai/kimi-k2",
        "kimi-k2-instruct",
        (),
    ),  # openrouter, vercel, kilo
    pytest.param("moonshotai/kimi-k2:free", "kimi-k2-instruct", ("free",)),  # openrouter
    pytest.param(
        "moonshotai/kimi-k2-0905",
        "kimi-k2-instruct-0905",
        (),
    ),  # openrouter, novita, kilo
    pytest.param(
        "kimi-k2-0905-preview",
        "kimi-k2-instruct-0905",
        None,
    ),  # moonshot
    pytest.param(
        "accounts/fireworks/models/kimi-k2p5",
        "kimi-k2.5",
        (),
    ),
    pytest.param("kimi-k2-5", "kimi-k2.5", ()),  # venice
    # --- DeepSeek R1 / V3 -----------------------------------------------------------------
    ("deepseek-ai/DeepSeek-R1", "deepseek-r1", ()),  # huggingface, together
    ("deepseek/deepseek-r1", "deepseek-r1", ()),  # openrouter
    ("deepseek/deepseek-r1:free", "deepseek-r1", ("free",)),  # openrouter
    ("accounts/fireworks/models/deepseek-r1", "deepseek-r1", ()),  # fireworks
    ("DeepSeek-R1", "deepseek-r1", ()),  # sambanova, poe
    ("deepseek-ai/DeepSeek-R1-0528", "deepseek-r1-0528", ()),  # huggingface
    ("deepseek/deepseek-r1-0528:free", "deepseek-r1-0528", ("free",)),  # openrouter
    ("accounts/fireworks/models/deepseek-r1-0528", "deepseek-r1-0528", ()),  # fireworks
    ("deepseek-ai/DeepSeek-R1-0528-TEE", "deepseek-r1-0528", ("tee",)),  # chutes
    pytest.param(
        "deepseek.r1-v1:0",
        "deepseek-r1",
        (),
    ),
    pytest.param(
        "deepseek-ai/DeepSeek-R1-0528-Turbo",
        "deepseek-r1-0528",
        ("turbo",),
    ),
    pytest.param(
        "deepseek-ai/DeepSeek-R1-0528-fast",
        "deepseek-r1-0528",
        ("fast",),
    ),
    ("deepseek-ai/DeepSeek-V3", "deepseek-v3", ()),  # huggingface, together
    ("deepseek-ai/DeepSeek-V3-0324", "deepseek-v3-0324", ()),  # huggingface
    ("accounts/fireworks/models/deepseek-v3-0324", "deepseek-v3-0324", ()),  # fireworks
    ("deepseek-ai/DeepSeek-V3.1", "deepseek-v3.1", ()),  # huggingface
    ("deepseek-ai/DeepSeek-V3.1-Terminus", "deepseek-v3.1-terminus", ()),  # deepinfra
    ("deepseek/deepseek-v3.1-terminus", "deepseek-v3.1-terminus", ()),  # openrouter
    pytest.param(
        "deepseek/deepseek-chat-v3-0324",
        "deepseek-v3-0324",
        (),
    ),
    pytest.param(
        "deepseek/deepseek-chat-v3.1",
        "deepseek-v3.1",
        (),
    ),
    pytest.param("accounts/fireworks/models/deepseek-v3p1", "deepseek-v3.1", ()),
    pytest.param(
        "accounts/fireworks/models/deepseek-v3p1-terminus",
        "deepseek-v3.1-terminus",
        (),
    ),
    pytest.param("deepseek-ai/DeepSeek-V3-1", "deepseek-v3.1", ()),  # together
    # --- Qwen3 235B A22B ------------------------------------------------------------------
    ("Qwen/Qwen3-235B-A22B-Instruct-2507", "qwen3-235b-a22b-instruct-2507", ()),  # huggingface
    (
        "qwen/qwen3-235b-a22b-instruct-2507",
        "qwen3-235b-a22b-instruct-2507",
        (),
    ),  # novita, replicate
    (
        "accounts/fireworks/models/qwen3-235b-a22b-instruct-2507",
        "qwen3-235b-a22b-instruct-2507",
        (),
    ),
    ("qwen-3-235b-a22b-instruct-2507", "qwen3-235b-a22b-instruct-2507", ()),  # cerebras
    (
        "Qwen/Qwen3-235B-A22B-Instruct-2507-FP8",
        "qwen3-235b-a22b-instruct-2507",
        ("fp8",),
    ),  # hyperbolic
    (
        "Qwen/Qwen3-235B-A22B-Instruct-2507-tput",
        "qwen3-235b-a22b-instruct-2507",
        ("tput",),
    ),  # together
    ("Qwen/Qwen3-235B-A22B-Instruct-2507-TEE", "qwen3-235b-a22b-instruct-2507", ("tee",)),  # chutes
    (
        "qwen/qwen3-235b-a22b-instruct-2507-maas",
        "qwen3-235b-a22b-instruct-2507",
        ("maas",),
    ),  # google-vertex
    ("Qwen/Qwen3-235B-A22B", "qwen3-235b-a22b", ()),  # huggingface: the original (April) release
    ("qwen/qwen3-235b-a22b:free", "qwen3-235b-a22b", ("free",)),  # openrouter
    ("Qwen/Qwen3-235B-A22B-FP8", "qwen3-235b-a22b", ("fp8",)),  # gmicloud
    ("Qwen/Qwen3-235B-A22B-fp8-tput", "qwen3-235b-a22b", ("fp8", "tput")),  # together
    ("Qwen/Qwen3-235B-A22B-Thinking-2507", "qwen3-235b-a22b-thinking-2507", ()),  # huggingface
    (
        "Qwen/Qwen3-235B-A22B-Thinking-2507-FP8",
        "qwen3-235b-a22b-thinking-2507",
        ("fp8",),
    ),  # gmicloud
    pytest.param(
        "qwen/qwen3-235b-a22b-2507",
        "qwen3-235b-a22b-instruct-2507",
        (),
    ),  # openrouter, kilo
    pytest.param(
        "qwen.qwen3-235b-a22b-2507-v1:0",
        "qwen3-235b-a22b-instruct-2507",
        (),
    ),  # amazon-bedrock
    pytest.param(
        "Qwen-Qwen3-235B-A22B-Thinking-2507",
        "qwen3-235b-a22b-thinking-2507",
        (),
    ),  # infermatic
    pytest.param(
        "Qwen/Qwen3-235B-A22B-Thinking-2507-fast",
        "qwen3-235b-a22b-thinking-2507",
        ("fast",),
    ),  # nebius
    # --- Mistral / Mixtral ----------------------------------------------------------------
    (
        "mistralai/Mixtral-8x7B-Instruct-v0.1",
        "mixtral-8x7b-instruct-v0.1",
        (),
    ),  # huggingface, deepinfra
    ("Mixtral-8x7B-Instruct-v0.1", "mixtral-8x7b-instruct-v0.1", ()),  # ovhcloud, infermatic
    ("mistralai/Mixtral-8x22B-Instruct-v0.1", "mixtral-8x22b-instruct-v0.1", ()),  # together
    ("mistralai/Mistral-7B-Instruct-v0.3", "mistral-7b-instruct-v0.3", ()),  # deepinfra
    ("mistralai/Mistral-7B-Instruct-v0.2", "mistral-7b-instruct-v0.2", ()),  # together
    (
        "@cf/mistral/mistral-7b-instruct-v0.2-lora",
        "mistral-7b-instruct-v0.2",
        ("lora",),
    ),  # cloudflare
    (
        "mistralai/Mistral-Small-3.1-24B-Instruct-2503",
        "mistral-small-3.1-24b-instruct-2503",
        (),
    ),  # deepinfra
    ("mistral-large-2411", "mistral-large-2411", ()),  # azure, google-vertex
    ("mistral.mistral-large-2407-v1:0", "mistral-large-2407", ()),  # amazon-bedrock
    ("mistral-large-latest", "mistral-large", ("latest",)),  # mistral, azure
    pytest.param(
        "mistral.mixtral-8x7b-instruct-v0:1",
        "mixtral-8x7b-instruct-v0.1",
        (),
    ),
    pytest.param(
        "mistral.mistral-7b-instruct-v0:2",
        "mistral-7b-instruct-v0.2",
        (),
    ),
    pytest.param(
        "accounts/fireworks/models/mistral-7b-instruct-v0p2",
        "mistral-7b-instruct-v0.2",
        (),
    ),
    pytest.param(
        "mistralai/mistral-7b-instruct-v03",
        "mistral-7b-instruct-v0.3",
        (),
    ),  # nvidia
    pytest.param(
        "mistralai/mistral-small-3-1-24b-instruct-2503",
        "mistral-small-3.1-24b-instruct-2503",
        (),
    ),  # watsonx
    pytest.param("mistral-large@2407", "mistral-large-2407", ()),  # google-vertex
    pytest.param("mistral-large@latest", "mistral-large", ("latest",)),  # google-vertex
    pytest.param(
        "mistral-ai/mistral-large-2411",
        "mistral-large-2411",
        (),
    ),
    pytest.param(
        "mistralai/mixtral-8x7b-instruct",
        "mixtral-8x7b-instruct-v0.1",
        (),
    ),  # nvidia, kilo
    pytest.param(
        "mixtral-8x7b-32768",
        "mixtral-8x7b-instruct-v0.1",
        None,
    ),  # groq
    pytest.param(
        "open-mixtral-8x7b",
        "mixtral-8x7b-instruct-v0.1",
        (),
    ),  # mistral
    # --- fine-tunes, re-uploads: namespace kept, not the base model -----------------------
    (
        "Sao10K/L3-8B-Stheno-v3.2",
        "sao10k/l3-8b-stheno-v3.2",
        (),
    ),  # featherless, novita, huggingface
    ("sao10k/l3-euryale-70b", "sao10k/l3-euryale-70b", ()),  # openrouter
    ("Sao10K/L3-70B-Euryale-v2.1", "sao10k/l3-70b-euryale-v2.1", ()),  # featherless, deepinfra
    (
        "huihui-ai/Llama-3.3-70B-Instruct-abliterated",
        "huihui-ai/llama-3.3-70b-instruct-abliterated",
        (),
    ),
    (
        "unsloth/Llama-3.3-70B-Instruct",
        "unsloth/llama-3.3-70b-instruct",
        (),
    ),  # featherless (re-upload)
    (
        "shisa-ai/shisa-v2-llama3.3-70b",
        "shisa-ai/shisa-v2-llama3.3-70b",
        (),
    ),  # openrouter, featherless
    ("NousResearch/Hermes-3-Llama-3.1-70B", "hermes-3-llama-3.1-70b", ()),  # deepinfra, hyperbolic
    ("nvidia/llama-3.1-nemotron-70b-instruct", "llama-3.1-nemotron-70b-instruct", ()),  # openrouter
    pytest.param(
        "nvidia/Llama-3.1-Nemotron-70B-Instruct-HF",
        "llama-3.1-nemotron-70b-instruct",
        None,
    ),  # featherless, nano-gpt
    # --- distillations: their own models ---------------------------------------------------
    (
        "deepseek-ai/DeepSeek-R1-Distill-Llama-70B",
        "deepseek-r1-distill-llama-70b",
        (),
    ),  # huggingface
    ("deepseek/deepseek-r1-distill-llama-70b", "deepseek-r1-distill-llama-70b", ()),  # openrouter
    ("deepseek-r1-distill-llama-70b", "deepseek-r1-distill-llama-70b", ()),  # groq, scaleway
    (
        "accounts/fireworks/models/deepseek-r1-distill-llama-70b",
        "deepseek-r1-distill-llama-70b",
        (),
    ),
    (
        "deepseek-ai/DeepSeek-R1-Distill-Llama-70B-free",
        "deepseek-r1-distill-llama-70b",
        ("free",),
    ),  # together
    ("DeepSeek-R1-Distill-Llama-70B", "deepseek-r1-distill-llama-70b", ()),  # sambanova, ovhcloud
    ("deepseek-ai/DeepSeek-R1-Distill-Llama-8B", "deepseek-r1-distill-llama-8b", ()),  # nscale
    (
        "@cf/deepseek-ai/deepseek-r1-distill-qwen-32b",
        "deepseek-r1-distill-qwen-32b",
        (),
    ),  # cloudflare
    ("deepseek-ai/DeepSeek-R1-Distill-Qwen-1.5B", "deepseek-r1-distill-qwen-1.5b", ()),  # nscale
    ("deepseek-ai/DeepSeek-R1-0528-Qwen3-8B", "deepseek-r1-0528-qwen3-8b", ()),  # huggingface
    pytest.param(
        "accounts/fireworks/models/deepseek-r1-distill-qwen-1p5b",
        "deepseek-r1-distill-qwen-1.5b",
        (),
    ),
    pytest.param(
        "accounts/fireworks/models/deepseek-r1-0528-distill-qwen3-8b",
        "deepseek-r1-0528-qwen3-8b",
        (),
    ),
    pytest.param(
        "deepseek-ai-DeepSeek-R1-Distill-Llama-70B",
        "deepseek-r1-distill-llama-70b",
        (),
    ),  # infermatic
    pytest.param(
        "deepseek/r1-distill-llama-70b/fp-8",
        "deepseek-r1-distill-llama-70b",
        ("fp8",),
    ),  # inference
]


@pytest.mark.parametrize(("provider_model_id", "model", "variant"), CASES)
def test_canonical_id(provider_model_id: str, model: str, variant: tuple[str, ...] | None) -> None:
    identity = canon(provider_model_id)
    assert identity.model == model
    if variant is not None:
        assert identity.variant == tuple(sorted(variant))


# Ids that must NOT share a canonical model: new checkpoints, siblings, fine-tunes, distillations.
DIFFERENT = [
    ("openai/gpt-oss-120b", "openai/gpt-oss-20b"),
    ("openai/gpt-oss-20b", "openai/gpt-oss-safeguard-20b"),
    ("deepseek-ai/DeepSeek-R1", "deepseek-ai/DeepSeek-R1-0528"),
    ("deepseek/deepseek-r1", "deepseek/deepseek-r1-0528"),
    ("accounts/fireworks/models/deepseek-r1", "accounts/fireworks/models/deepseek-r1-0528"),
    ("deepseek-ai/DeepSeek-V3", "deepseek-ai/DeepSeek-V3-0324"),
    ("deepseek-ai/DeepSeek-V3-0324", "deepseek-ai/DeepSeek-V3.1"),
    ("deepseek-ai/DeepSeek-V3", "deepseek-ai/DeepSeek-V3.1"),
    ("deepseek-ai/DeepSeek-V3.1", "deepseek-ai/DeepSeek-V3.1-Terminus"),
    ("deepseek-ai/DeepSeek-R1", "deepseek-ai/DeepSeek-R1-Distill-Llama-70B"),
    ("deepseek-ai/DeepSeek-R1-Distill-Llama-70B", "meta-llama/Llama-3.3-70B-Instruct"),
    ("deepseek-ai/DeepSeek-R1-Distill-Llama-70B", "deepseek-ai/DeepSeek-R1-Distill-Llama-8B"),
    ("deepseek-ai/DeepSeek-R1-0528", "deepseek-ai/DeepSeek-R1-0528-Qwen3-8B"),
    ("Qwen/Qwen3-235B-A22B-Instruct-2507", "Qwen/Qwen3-235B-A22B"),
    ("Qwen/Qwen3-235B-A22B-Instruct-2507", "Qwen/Qwen3-235B-A22B-Thinking-2507"),
    ("Qwen/Qwen3-235B-A22B", "Qwen/Qwen3-235B-A22B-Thinking-2507"),
    ("moonshotai/Kimi-K2-Instruct", "moonshotai/Kimi-K2-Instruct-0905"),
    ("moonshotai/Kimi-K2-Instruct", "moonshotai/Kimi-K2-Thinking"),
    ("moonshotai/Kimi-K2-Instruct-0905", "moonshotai/Kimi-K2.5"),
    ("zai-org/GLM-4.5", "zai-org/GLM-4.5-Air"),
    ("z-ai/glm-4.5", "z-ai/glm-4.6"),
    ("z-ai/glm-4.5", "z-ai/glm-4.5v"),
    ("google/gemini-2.5-flash", "google/gemini-2.5-flash-lite"),
    ("gemini-2.5-flash", "gemini-2.5-flash-preview-05-20"),
    ("anthropic/claude-sonnet-4", "claude-sonnet-4-5-20250929"),
    ("claude-sonnet-4-20250514", "claude-opus-4-20250514"),
    ("mistralai/Mistral-7B-Instruct-v0.2", "mistralai/Mistral-7B-Instruct-v0.3"),
    ("mistralai/Mixtral-8x7B-Instruct-v0.1", "mistralai/Mixtral-8x22B-Instruct-v0.1"),
    ("mistral-large-2407", "mistral-large-2411"),
    ("Sao10K/L3-8B-Stheno-v3.2", "meta-llama/Meta-Llama-3-8B-Instruct"),
    ("unsloth/Llama-3.3-70B-Instruct", "meta-llama/Llama-3.3-70B-Instruct"),
    ("huihui-ai/Llama-3.3-70B-Instruct-abliterated", "meta-llama/Llama-3.3-70B-Instruct"),
    ("shisa-ai/shisa-v2-llama3.3-70b", "meta-llama/Llama-3.3-70B-Instruct"),
    ("NousResearch/Hermes-3-Llama-3.1-70B", "meta-llama/Llama-3.1-70B-Instruct"),
    ("nvidia/llama-3.1-nemotron-70b-instruct", "meta-llama/Llama-3.1-70B-Instruct"),
    pytest.param("mistral.mistral-7b-instruct-v0:2", "mistralai/mistral-7b-instruct"),
    pytest.param(
        "gemini-pro-latest",
        "gemini-pro",
    ),
    pytest.param(
        "cohere.command-latest",
        "command",
    ),
]


@pytest.mark.parametrize(("a", "b"), DIFFERENT)
def test_different_models(a: str, b: str) -> None:
    assert canon(a).model != canon(b).model


def test_fine_tune_keeps_namespace_and_creator() -> None:
    stheno = canon("Sao10K/L3-8B-Stheno-v3.2")
    assert stheno.model.startswith("sao10k/")
    assert stheno.creator != "Meta"
    assert not stheno.model.startswith("llama")


@pytest.mark.parametrize(
    ("provider_model_id", "creator"),
    [
        ("openai/gpt-oss-120b", "OpenAI"),
        ("accounts/fireworks/models/gpt-oss-20b", "OpenAI"),
        ("us.meta.llama3-3-70b-instruct-v1:0", "Meta"),
        ("llama-3.3-70b-versatile", "Meta"),
        ("claude-sonnet-4@20250514", "Anthropic"),
        ("models/gemini-2.5-flash", "Google"),
        ("z-ai/glm-4.5", "Z.ai"),
        ("moonshotai/Kimi-K2-Instruct", "Moonshot AI"),
        ("deepseek-ai/DeepSeek-R1-0528", "DeepSeek"),
        ("Qwen/Qwen3-235B-A22B-Instruct-2507", "Alibaba (Qwen)"),
        ("mistralai/Mixtral-8x7B-Instruct-v0.1", "Mistral AI"),
        pytest.param("open-mixtral-8x7b", "Mistral AI"),
        pytest.param("nvidia/Llama-3.3-70B-Instruct-FP8", "Meta"),  # evroc
    ],
)
def test_creator(provider_model_id: str, creator: str) -> None:
    assert canon(provider_model_id).creator == creator


# --- the compiled catalog ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def catalog_hosts(full_catalog: dict) -> dict[str, set[str]]:
    catalog = full_catalog
    hosts: dict[str, set[str]] = defaultdict(set)
    for offering in catalog["offerings"]:
        hosts[offering["model"]].add(offering["provider"])
    return hosts


@pytest.mark.integration
@pytest.mark.parametrize(
    ("model", "minimum"),
    [
        ("gpt-oss-120b", 10),
        ("gpt-oss-20b", 10),
        ("llama-3.3-70b-instruct", 10),
        ("claude-sonnet-4", 3),
        ("deepseek-r1", 2),
        ("deepseek-r1-0528", 2),
    ],
)
def test_catalog_cross_provider(
    catalog_hosts: dict[str, set[str]], model: str, minimum: int
) -> None:
    assert len(catalog_hosts.get(model, ())) >= minimum, sorted(catalog_hosts.get(model, ()))


@pytest.mark.integration
def test_catalog_keeps_r1_checkpoints_apart(catalog_hosts: dict[str, set[str]]) -> None:
    assert "deepseek-r1" in catalog_hosts
    assert "deepseek-r1-0528" in catalog_hosts
    # The same provider lists both, so they cannot have been folded into one model.
    assert catalog_hosts["deepseek-r1"] & catalog_hosts["deepseek-r1-0528"]
