"""The router's configuration: one validated object, and where each of its values came from.

Precedence, highest first: explicit arguments (``Router(strategy=...)``) > the environment
(``KNOLLM_*`` variables read by pydantic-settings, ``KNOLLM_PROVIDERS__GROQ__RPM=30`` for nested
values; each provider's own key variable for its keys) > the project file > the user file >
defaults. A *profile* (``[profiles.prod]``, chosen by ``profile=``, ``KNOLLM_PROFILE`` or the
files' ``profile = "..."``) lays its values over the files' top-level ones; ``extends = "dev"``
lays a profile over another. Keys are never in files: a provider section names the variable
that holds its key (``key_env = "GROQ_API_KEY"``), and a literal key is refused.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from pydantic_settings import (
    BaseSettings,
    EnvSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)
from pydantic_settings.sources.utils import parse_env_vars

from knollm.config.files import ConfigError, ConfigFile, locate, read

ENV_PREFIX = "KNOLLM_"
ENV_PROFILE = "KNOLLM_PROFILE"
Strategy = Literal["cheapest", "fastest", "balanced", "round-robin", "fallback", "adaptive"]
SECRET_NAMES = ("api_key", "key", "keys", "secret", "token", "password")
ENV_NAME = re.compile(r"[A-Z_][A-Z0-9_]*")


class ProviderSettings(BaseModel):
    """One provider's section: ``[providers.groq]``."""

    model_config = ConfigDict(extra="forbid")

    key_env: list[str] | None = None  # variables holding its keys (default: the catalog's)
    base_url: str | None = None
    timeout: float | None = Field(default=None, gt=0)
    rpm: int | None = Field(default=None, ge=1)  # requests per minute, all its keys together
    tpm: int | None = Field(default=None, ge=1)  # tokens per minute, all its keys together
    key_rpm: int | None = Field(default=None, ge=1)  # requests per minute, each key
    key_tpm: int | None = Field(default=None, ge=1)  # tokens per minute, each key
    weight: float = Field(default=1.0, gt=0)  # >1 preferred, <1 avoided, when ranking by cost
    enabled: bool = True

    @field_validator("key_env", mode="before")
    @classmethod
    def _names(cls, value: Any) -> Any:
        names = [value] if isinstance(value, str) else value
        for name in names or ():
            if not isinstance(name, str) or not ENV_NAME.fullmatch(name):
                raise ValueError(
                    "must name environment variables (like GROQ_API_KEY), never hold a key"
                )
        return names


class BudgetLimits(BaseModel):
    """USD limits per UTC day and per calendar month (UTC); unset ones do not limit."""

    model_config = ConfigDict(extra="forbid")

    daily: float | None = Field(default=None, ge=0)
    monthly: float | None = Field(default=None, ge=0)


class BudgetSettings(BudgetLimits):
    """``[budgets]``: the profile's spend limits in total and per provider, and its alerts
    (see :mod:`knollm.usage.budgets`)."""

    providers: dict[str, BudgetLimits] = Field(default_factory=dict)
    alerts: list[float] = Field(default_factory=lambda: [0.8, 1.0])  # fractions of a limit
    webhook: str | None = None  # POSTed a JSON alert

    @field_validator("alerts")
    @classmethod
    def _fractions(cls, value: list[float]) -> list[float]:
        for f in value:
            if not 0 < f <= 10:
                raise ValueError(f"alert thresholds are fractions of the limit, like 0.8 (got {f})")
        return sorted(set(value))

    @field_validator("webhook")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        if value is not None and not re.match(r"https?://[^\s/]+", value):
            raise ValueError("must be an http:// or https:// URL")
        return value


class RedisSettings(BaseModel):
    """``[redis]``: share rate limits, breakers, budget and cache between router processes."""

    model_config = ConfigDict(extra="forbid")

    url: str | None = None  # redis://host:6379/0; a password only from KNOLLM_REDIS_URL
    prefix: str = "knollm"  # key namespace: routers with one prefix share state


def redact_url(url: str | None) -> str | None:
    """A URL with any password replaced by ``***``."""
    return None if url is None else re.sub(r"(//[^:/@]*:)[^@]*@", r"\1***@", url)


class Settings(BaseModel):
    """Every setting the router reads. Field names are the file keys and ``KNOLLM_`` names."""

    model_config = ConfigDict(extra="forbid")

    catalog: str | None = None
    strategy: Strategy = "cheapest"
    timeout: float = Field(default=60.0, gt=0)
    budget: float | None = Field(default=None, ge=0)
    expected_output_tokens: int = Field(default=1024, ge=1)
    max_wait: float = Field(default=30.0, ge=0)
    breaker_threshold: int = Field(default=3, ge=1)
    breaker_cooldown: float = Field(default=30.0, ge=0)
    latency_half_life: float = Field(default=60.0, gt=0)
    log_path: str | None = None
    log_prompts: bool = False
    stream_usage: bool = True
    auto_limit: int = Field(default=64, ge=1)
    follow_successors: bool = False  # a retired offering is replaced by its stated successor
    weights: dict[str, float] | None = None
    constraints: dict[str, Any] | None = None
    cache: bool = False  # the response cache (knollm.cache)
    cache_path: str | None = None  # default: responses.sqlite in the user cache directory
    cache_ttl: float = Field(default=86400.0, ge=0)  # seconds
    cache_ttls: dict[str, float] | None = None  # "provider", "model", "provider/api-id": seconds
    cache_max_mb: float = Field(default=256.0, gt=0)
    cache_all: bool = False  # cache requests that are not deterministic (temperature != 0) too
    redis: RedisSettings = Field(default_factory=RedisSettings)
    providers: dict[str, ProviderSettings] = Field(default_factory=dict)
    usage: bool = True  # record every routed request in the usage database
    usage_path: str | None = None  # default: usage.sqlite3 in the user data directory
    usage_prompts: bool = False  # store each request's messages with its usage record
    budgets: BudgetSettings | None = None
    adaptive_explore: float = Field(default=0.1, ge=0, le=1)  # share of requests that explore
    adaptive_half_life: float = Field(default=300.0, gt=0)  # seconds an observation counts half

    @field_validator("log_path", "catalog", "usage_path", "cache_path", mode="before")
    @classmethod
    def _path(cls, value: Any) -> Any:
        return os.fspath(value) if isinstance(value, os.PathLike) else value


class _Env(BaseSettings):
    """What the environment says (every field optional; unset ones stay out)."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX, env_nested_delimiter="__", extra="ignore", case_sensitive=False
    )

    catalog: str | None = None
    strategy: str | None = None
    timeout: float | None = None
    budget: float | None = None
    expected_output_tokens: int | None = None
    max_wait: float | None = None
    breaker_threshold: int | None = None
    breaker_cooldown: float | None = None
    latency_half_life: float | None = None
    log_path: str | None = None
    log_prompts: bool | None = None
    stream_usage: bool | None = None
    auto_limit: int | None = None
    follow_successors: bool | None = None
    cache: bool | None = None
    cache_path: str | None = None
    cache_ttl: float | None = None
    cache_max_mb: float | None = None
    cache_all: bool | None = None
    redis_url: str | None = None  # KNOLLM_REDIS_URL: redis.url
    providers: dict[str, dict[str, Any]] | None = None
    usage: bool | None = None
    usage_path: str | None = None
    usage_prompts: bool | None = None
    budgets: dict[str, Any] | None = None
    adaptive_explore: float | None = None
    adaptive_half_life: float | None = None


FIELDS = tuple(Settings.model_fields)
PROVIDER_FIELDS = tuple(ProviderSettings.model_fields)


@dataclass
class Config:
    """Validated settings, the profile used, the files read, and each value's origin."""

    settings: Settings
    profile: str | None = None
    files: list[ConfigFile] = field(default_factory=list)
    origins: dict[str, str] = field(default_factory=dict)  # dotted key -> file:line / env / ...

    def origin(self, dotted: str) -> str:
        return self.origins.get(dotted, "default")

    def provider(self, pid: str) -> ProviderSettings:
        return self.settings.providers.get(pid) or ProviderSettings()

    def router_options(self) -> dict[str, Any]:
        """The Router keyword arguments these settings amount to."""
        s = self.settings
        return {name: getattr(s, name) for name in FIELDS if name not in ("providers", "catalog")}

    def rows(self, environ: Mapping[str, str] | None = None) -> list[tuple[str, str, str]]:
        """(key, value, origin) for ``config show``: every setting, secrets redacted."""
        env = os.environ if environ is None else environ
        out: list[tuple[str, str, str]] = []
        s = self.settings
        for name in FIELDS:
            if name == "providers":
                continue
            if name == "redis":
                for sub in RedisSettings.model_fields:
                    value = getattr(s.redis, sub)
                    shown = _show(redact_url(value) if sub == "url" else value)
                    out.append((f"redis.{sub}", shown, self.origin(f"redis.{sub}")))
                continue
            value = getattr(s, name)
            if isinstance(value, BudgetSettings) and value.webhook:  # a webhook URL is a secret
                value = value.model_copy(update={"webhook": "set (redacted)"})
            out.append((name, _show(value), self.origin(name)))
        for pid in sorted(s.providers):
            p = s.providers[pid]
            for name in PROVIDER_FIELDS:
                dotted = f"providers.{pid}.{name}"
                out.append((dotted, _show(getattr(p, name)), self.origin(dotted)))
            for var in p.key_env or ():
                state = "set (redacted)" if env.get(var, "").strip() else "not set"
                out.append((f"providers.{pid}.key", state, f"env {var}"))
        return out


def _show(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


# -- building ----------------------------------------------------------------------------------


def _flatten(data: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Dotted leaf paths; provider sections and the free-form tables stay whole below a level."""
    out: dict[str, Any] = {}
    for key, value in data.items():
        dotted = f"{prefix}{key}"
        nested = dotted in ("providers", "redis") or (
            prefix == "providers." and isinstance(value, Mapping)
        )
        if nested and isinstance(value, Mapping):
            out.update(_flatten(value, dotted + "."))
        else:
            out[dotted] = value
    return out


def _unflatten(flat: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for dotted, value in flat.items():
        parts = dotted.split(".")
        node = out
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = value
    return out


def _check_secrets(f: ConfigFile, section: Mapping[str, Any], where: str) -> None:
    for pid, body in (section.get("providers") or {}).items():
        if not isinstance(body, Mapping):
            continue
        for name in body:
            if name.lower() in SECRET_NAMES:
                dotted = f"{where}providers.{pid}.{name}"
                raise ConfigError(
                    f"{f.where(dotted)}: {dotted}: a literal key in a file is refused; "
                    f'put the key in an environment variable and write key_env = "{pid.upper()}'
                    '_API_KEY"'
                )


def _layers(
    files: list[ConfigFile], profile: str | None
) -> tuple[list[tuple[dict[str, Any], ConfigFile, str]], str | None]:
    """Each file's top level, then the chosen profile's chain (base first), with origins."""
    chosen = profile
    for f in files:
        named = f.data.get("profile")
        if chosen is None and isinstance(named, str):
            chosen = named
    profiles: dict[str, tuple[dict[str, Any], ConfigFile]] = {}
    layers: list[tuple[dict[str, Any], ConfigFile, str]] = []
    for f in files:
        _check_secrets(f, f.data, "")
        top = {k: v for k, v in f.data.items() if k not in ("profiles", "profile")}
        layers.append((top, f, ""))
        for label, body in (f.data.get("profiles") or {}).items():
            if not isinstance(body, Mapping):
                raise ConfigError(
                    f"{f.where('profiles.' + label)}: profiles.{label}: must be a table"
                )
            _check_secrets(f, body, f"profiles.{label}.")
            profiles[label] = (dict(body), f)  # a later file's profile of that name wins
    if chosen is None:
        return layers, None
    chain: list[str] = []
    name: str | None = chosen
    while name is not None:
        if name in chain:
            raise ConfigError(
                f"profiles: {' -> '.join([*chain, name])}: extends goes round in a circle "
                "(remove one extends)"
            )
        if name not in profiles:
            known = ", ".join(sorted(profiles)) or "none defined"
            src = "" if not chain else f"{profiles[chain[-1]][1].where('profiles.' + chain[-1])}: "
            raise ConfigError(
                f"{src}profile {name!r} is not defined (known: {known}); add [profiles.{name}] "
                "or choose another with --profile / KNOLLM_PROFILE"
            )
        chain.append(name)
        extends = profiles[name][0].get("extends")
        name = extends if isinstance(extends, str) else None
    for pname in reversed(chain):
        body, f = profiles[pname]
        layers.append(({k: v for k, v in body.items() if k != "extends"}, f, f"profiles.{pname}."))
    return layers, chosen


def _read_env(environ: Mapping[str, str]) -> _Env:
    """pydantic-settings' environment source, over ``environ`` rather than ``os.environ``."""

    class Source(EnvSettingsSource):
        def _load_env_vars(self) -> Mapping[str, str | None]:
            return parse_env_vars(
                environ, self.case_sensitive, self.env_ignore_empty, self.env_parse_none_str
            )

    class Env(_Env):
        @classmethod
        def settings_customise_sources(
            cls, settings_cls: type[BaseSettings], *args: Any, **kwargs: Any
        ) -> tuple[PydanticBaseSettingsSource, ...]:
            return (Source(settings_cls),)

    return Env()


def _env_values(environ: Mapping[str, str]) -> dict[str, tuple[Any, str]]:
    try:
        read_env = _read_env(environ)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = "__".join(str(p) for p in err["loc"]).upper()
        raise ConfigError(
            f"environment {ENV_PREFIX}{loc}: {err['msg']} (fix or unset the variable)"
        ) from None
    out: dict[str, tuple[Any, str]] = {}
    for dotted, value in _flatten(read_env.model_dump(exclude_none=True)).items():
        var = ENV_PREFIX + dotted.replace(".", "__").upper()
        out["redis.url" if dotted == "redis_url" else dotted] = (value, f"env {var}")
    return out


def load(
    *,
    profile: str | None = None,
    explicit: Mapping[str, Any] | None = None,
    environ: Mapping[str, str] | None = None,
    files: list[ConfigFile] | None = None,
) -> Config:
    """Read files and environment, apply the profile and explicit values, validate.

    Raises :class:`ConfigError` with ``file:line: key: problem; fix``.
    """
    env = os.environ if environ is None else environ
    if files is None:
        files = [read(path, kind, prefix) for path, kind, prefix in locate(env)]
    if profile is None:
        profile = env.get(ENV_PROFILE) or None
    layers, chosen = _layers(files, profile)
    values: dict[str, Any] = {}
    origins: dict[str, str] = {}
    for data, f, where in layers:
        for dotted, value in _flatten(data).items():
            values[dotted] = value
            origins[dotted] = f.where(where + dotted)
    for dotted, (value, origin) in _env_values(env).items():
        values[dotted] = value
        origins[dotted] = origin
    for name, value in (explicit or {}).items():
        values[name] = value
        origins[name] = "argument"
    url = values.get("redis.url")
    if (
        isinstance(url, str)
        and redact_url(url) != url
        and not origins["redis.url"].startswith("env")
    ):
        raise ConfigError(
            f"{origins['redis.url']}: redis.url: a password in a file is refused; "
            "set KNOLLM_REDIS_URL in the environment instead"
        )
    try:
        settings = Settings.model_validate(_unflatten(values))
    except ValidationError as exc:
        raise _explain(exc, origins) from None
    return Config(settings, chosen, files, origins)


def _explain(exc: ValidationError, origins: Mapping[str, str]) -> ConfigError:
    """The first validation error as ``origin: key: problem; fix``."""
    err = exc.errors()[0]
    dotted = ".".join(str(p) for p in err["loc"])
    where = origins.get(dotted)
    parts = dotted.split(".")
    while where is None and len(parts) > 1:
        parts.pop()
        where = origins.get(".".join(parts))
    if err["type"] == "extra_forbidden":
        known = PROVIDER_FIELDS if dotted.startswith("providers.") else FIELDS
        fix = "known keys: " + ", ".join(k for k in known if k != "providers")
    elif err["type"] == "literal_error":
        fix = "use one of " + str(err.get("ctx", {}).get("expected", ""))
    else:
        fix = "correct the value"
    return ConfigError(f"{where or 'config'}: {dotted}: {err['msg']}; {fix}")
