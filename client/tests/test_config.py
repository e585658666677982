"""Configuration: precedence, profiles, literal keys refused, CLI origins, hot reload."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import pytest
from click.testing import CliRunner
from fake_openai import KEYS, Trio

from knollm.cli import main
from knollm.config import ConfigError, load
from knollm.router import Router, route_of

HI = [{"role": "user", "content": "hi"}]
PROJECT = """\
strategy = "cheapest"
budget = 5

[providers.alpha]
key_env = "ALPHA_API_KEY"
rpm = 30

[profiles.dev]
strategy = "fastest"

[profiles.prod]
extends = "dev"
budget = 50
"""


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_precedence_and_origins(tmp_path: Path) -> None:
    project = write(tmp_path / "p" / "knollm.toml", PROJECT)
    write(Path(os.environ["KNOLLM_CONFIG_DIR"]) / "config.toml", "timeout = 7\nbudget = 1\n")
    env = {**os.environ, "KNOLLM_CONFIG": str(project), "KNOLLM_MAX_WAIT": "3"}
    cfg = load(profile="prod", environ=env, explicit={"breaker_threshold": 9})
    s = cfg.settings
    assert (s.strategy, s.budget, s.timeout, s.max_wait, s.breaker_threshold) == (
        "fastest",
        50.0,
        7.0,
        3.0,
        9,
    )
    assert cfg.origin("strategy") == f"{project}:9"  # profiles.dev, through extends
    assert cfg.origin("budget") == f"{project}:13"
    assert cfg.origin("timeout").endswith("config.toml:1")
    assert cfg.origin("max_wait") == "env KNOLLM_MAX_WAIT"
    assert cfg.origin("breaker_threshold") == "argument"
    assert cfg.origin("auto_limit") == "default"
    assert cfg.origin("providers.alpha.rpm") == f"{project}:6"


def test_literal_key_in_a_file_is_refused(tmp_path: Path) -> None:
    bad = write(tmp_path / "knollm.toml", '[providers.alpha]\napi_key = "sk-live-123"\n')
    with pytest.raises(ConfigError, match=r"knollm.toml:2: providers.alpha.api_key: a literal"):
        load(environ={**os.environ, "KNOLLM_CONFIG": str(bad)})
    looks = write(tmp_path / "k2.toml", '[providers.alpha]\nkey_env = "sk-live-123"\n')
    with pytest.raises(ConfigError, match="must name environment variables"):
        load(environ={**os.environ, "KNOLLM_CONFIG": str(looks)})


def test_cli_show_redacts_and_validate_fails(tmp_path: Path) -> None:
    project = write(tmp_path / "knollm.toml", PROJECT)
    env = {"KNOLLM_CONFIG": str(project), "ALPHA_API_KEY": KEYS["alpha"]}
    shown = CliRunner().invoke(main, ["config", "show", "--profile", "prod"], env=env)
    assert shown.exit_code == 0, shown.output
    assert KEYS["alpha"] not in shown.output
    assert "set (redacted)" in shown.output and f"{project}:13" in shown.output
    write(project, "stratgy = 1\n" + PROJECT)
    bad = CliRunner().invoke(main, ["config", "validate"], env=env)
    assert bad.exit_code == 1
    assert "stratgy" in bad.output and "known keys:" in bad.output
    assert "Traceback" not in bad.output


def test_router_follows_file_and_keeps_last_good(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = write(tmp_path / "knollm.toml", 'strategy = "cheapest"\n')
    monkeypatch.setenv("KNOLLM_CONFIG", str(project))
    with Trio() as trio:
        opts = trio.options()
        router = Router(trio.catalog, **opts)
        assert route_of(router.chat.completions.create(model="test-70b", messages=HI)).provider == (
            "alpha"
        )
        write(project, "[providers.alpha]\nenabled = false\n")
        os.utime(project, ns=(1, 1))  # a different mtime even within the clock's resolution
        reply = router.chat.completions.create(model="test-70b", messages=HI)
        assert route_of(reply).provider == "beta"  # picked up on the next request
        with caplog.at_level(logging.WARNING, logger="knollm.config"):
            write(project, "strategy = 'quickest'\n")
            os.utime(project, ns=(2, 2))
            reply = router.chat.completions.create(model="test-70b", messages=HI)
        assert route_of(reply).provider == "beta"  # the broken edit changed nothing
        assert "keeping the last good configuration" in caplog.text
        assert f"{project}:1: strategy:" in caplog.text
        assert router.ledger.summary()["by_provider"]["alpha"]["requests"] == 1  # state kept
        router.close()
