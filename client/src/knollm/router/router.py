"""``Router`` and ``AsyncRouter``: OpenAI-style clients that route each chat request across providers.

``router.chat.completions.create(model=..., messages=..., **openai_params)`` returns the OpenAI
SDK's own ``ChatCompletion`` (or a stream of ``ChatCompletionChunk``) from whichever candidate
answered, with a :class:`~knollm.router.accounting.RouteInfo` attached as ``.knollm``. The SDK is
the transport, one client per provider key, each with ``max_retries=0``: retrying and falling back
is the router's job (see :mod:`knollm.router.core`).
"""

from __future__ import annotations

import asyncio
import logging
import os
import random
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Literal, overload

import openai
from openai.types.chat import ChatCompletion

from knollm.catalog import Catalog, Criteria, NotFound
from knollm.config import Config, ConfigStore, Settings
from knollm.records import Offering
from knollm.router import multi, shared
from knollm.router.accounting import Ledger, RequestLog, RouteInfo
from knollm.router.core import Core, Run, Target, chat_params
from knollm.router.errors import StreamInterrupted
from knollm.router.health import Health
from knollm.router.keys import KeyPool, KeyRing, keys_from_env
from knollm.router.limits import Limiter, Limits
from knollm.router.planner import Endpoint, Planner, criteria_of, is_openai_compatible
from knollm.router.strategies import DEFAULT_WEIGHTS, STRATEGIES, Adaptive
from knollm.router.streams import AsyncRoutedStream, RoutedStream

Model = str | Sequence[str]
log = logging.getLogger("knollm.router")


def _catalog(catalog: Catalog | str | os.PathLike[str] | None) -> Catalog:
    return catalog if isinstance(catalog, Catalog) else Catalog.load(catalog)


def _check_ids(catalog: Catalog, given: Mapping[str, Any] | None, what: str) -> None:
    for pid in given or {}:
        if pid not in catalog.provider_by_id:
            raise ValueError(
                f"{what}: {NotFound('provider', pid, catalog._closest(pid, catalog.provider_by_id))}"
            )


#: Router keyword arguments that are settings (also read from files and ``KNOLLM_*``).
SETTING_ARGS = tuple(n for n in Settings.model_fields if n not in ("providers", "catalog"))
#: Router keyword arguments that wire it up and are never read from files.
WIRING_ARGS = (
    "keys", "base_urls", "env", "clock", "config", "profile", "on_budget_alert", "rng",
)  # fmt: skip


def build_core(
    catalog: Catalog,
    config: Config,
    *,
    keys: Mapping[str, str | Sequence[str]] | None = None,
    base_urls: Mapping[str, str] | None = None,
    env: Mapping[str, str] | None = None,
    constraints: Criteria | Mapping[str, Any] | None = None,
    clock: Callable[[], float] = time.monotonic,
    previous: Core | None = None,
    on_budget_alert: Callable[[Any], Any] | None = None,
    rng: random.Random | None = None,
) -> Core:
    """Wire a router's parts from its configuration (shared by the sync and async routers).

    With ``previous`` (a reload), the ledger, health and key pools whose keys did not change
    carry over, so spend, breakers and key rests survive a configuration change.
    """
    s = config.settings
    cat = catalog
    _check_ids(cat, keys, "keys")
    _check_ids(cat, base_urls, "base_urls")
    for pid in s.providers:
        if pid not in cat.provider_by_id:
            near = NotFound("provider", pid, cat._closest(pid, cat.provider_by_id))
            raise ValueError(f"{config.origin(f'providers.{pid}')}: providers.{pid}: {near}")
    environ = os.environ if env is None else env
    old_pools = {pid: e.pool for pid, e in previous.planner.endpoints.items()} if previous else {}
    endpoints: dict[str, Endpoint] = {}
    pools: dict[str, KeyPool] = {}
    limits: dict[str, Limits] = {}
    for p in cat.providers:
        section = config.provider(p.id)
        if not section.enabled:
            continue
        given = (keys or {}).get(p.id)
        secrets = [given] if isinstance(given, str) else list(given or ())
        names = section.key_env or p.auth_env
        if not secrets and names:
            secrets = keys_from_env(names, environ)
        if not secrets:
            continue
        old = old_pools.get(p.id)
        if old is not None and [k.reveal() for k in old.keys] == list(dict.fromkeys(secrets)):
            pools[p.id] = old
        else:
            pools[p.id] = KeyPool(p.id, secrets)
        base = (base_urls or {}).get(p.id) or section.base_url or p.api_base_url
        if is_openai_compatible(p) and base:
            endpoints[p.id] = Endpoint(
                p, base, pools[p.id], section.timeout, section.rpm, section.tpm, section.weight
            )
            limits[p.id] = Limits(section.rpm, section.tpm, section.key_rpm, section.key_tpm)
    if previous is not None:
        health = previous.health
        health.threshold, health.cooldown = s.breaker_threshold, s.breaker_cooldown
        health.half_life = s.latency_half_life
        for b in health.breakers.values():
            b.threshold, b.cooldown = s.breaker_threshold, s.breaker_cooldown
        ledger = previous.ledger
        ledger.budget = s.budget
    else:
        health = Health(s.breaker_threshold, s.breaker_cooldown, s.latency_half_life)
        ledger = Ledger(s.budget)
    link = shared.link_for(s, previous.link if previous else None) if s.redis.url else None
    if link is not None and previous is None:
        health = shared.SharedHealth(
            link, s.breaker_threshold, s.breaker_cooldown, s.latency_half_life
        )
    if constraints is None:
        constraints = s.constraints
    planner = Planner(
        cat,
        endpoints,
        health,
        criteria_of(constraints),
        s.weights or DEFAULT_WEIGHTS,
        s.auto_limit,
        s.follow_successors,
    )
    if previous is not None:
        planner.round_robin = previous.planner.round_robin
    planner.clock = clock
    keyring = KeyRing(pools)
    limiter = Limiter(limits, previous.limiter.buckets if previous and previous.limiter else None)
    cache = None
    if s.cache:
        from knollm.cache.hook import from_settings

        cache = from_settings(s, previous.cache if previous else None)
    if link is not None:
        shared.attach(link, limiter, ledger, cache)
    request_log = RequestLog(s.log_path, s.log_prompts, keyring.scrub) if s.log_path else None
    meter = build_meter(config, keyring, previous.meter if previous else None, on_budget_alert)
    adaptive = previous.adaptive if previous is not None else None
    if adaptive is None:
        adaptive = Adaptive(health, s.weights or DEFAULT_WEIGHTS, rng=rng)
    adaptive.weights = dict(s.weights or DEFAULT_WEIGHTS)
    adaptive.explore, adaptive.half_life = s.adaptive_explore, s.adaptive_half_life
    return Core(
        planner,
        keyring,
        health,
        ledger,
        request_log,
        strategy=s.strategy,
        timeout=s.timeout,
        max_wait=s.max_wait,
        expected_output_tokens=s.expected_output_tokens,
        stream_usage=s.stream_usage,
        clock=clock,
        meter=meter,
        adaptive=adaptive,
        limiter=limiter if limiter.limits else None,
        cache=cache,
        link=link,
    )


def build_meter(
    config: Config,
    keyring: KeyRing,
    previous: Any = None,
    on_budget_alert: Callable[[Any], Any] | None = None,
) -> Any:
    """Budgets and the usage file (:mod:`knollm.usage`); None when neither is wanted. A reload
    keeps the open usage file when its path did not change."""
    from knollm.usage import Budgets, Meter, UsageStore
    from knollm.usage.store import default_path

    s = config.settings
    if not s.usage and s.budgets is None:
        return None
    store = None
    if s.usage:
        path = os.path.abspath(s.usage_path or default_path())
        old = getattr(previous, "store", None)
        store = old if old is not None and os.fspath(old.path) == path else UsageStore(path)
    profile, origin = config.profile, config.origin("budgets")
    budgets = getattr(previous, "budgets", None)
    if budgets is None:
        budgets = Budgets(
            s.budgets, store=store, profile=profile, origin=origin, on_alert=on_budget_alert
        )
    else:  # a reload: the same object, so reservations in flight are released where they were made
        budgets.configure(
            s.budgets, store=store, profile=profile, origin=origin, on_alert=on_budget_alert
        )
    return Meter(store, budgets, profile=config.profile, prompts=s.usage_prompts, scrub=keyring.scrub)


class _Base:
    """What both routers share: configuration, accounting views, a readable repr."""

    _core: Core

    def __init__(
        self,
        catalog: Catalog | str | os.PathLike[str] | None = None,
        *,
        config: ConfigStore | Config | None = None,
        profile: str | None = None,
        keys: Mapping[str, str | Sequence[str]] | None = None,
        base_urls: Mapping[str, str] | None = None,
        env: Mapping[str, str] | None = None,
        clock: Callable[[], float] = time.monotonic,
        benchmark_priors: bool = True,
        on_budget_alert: Callable[[Any], Any] | None = None,
        rng: random.Random | None = None,
        **options: Any,
    ) -> None:
        """Route over ``catalog`` (a :class:`Catalog`, a path, or the configured/default one).

        Settings come from :mod:`knollm.config`: keyword arguments here (``strategy``,
        ``budget``, ``timeout``, ``max_wait``, ``breaker_threshold``, ``breaker_cooldown``,
        ``latency_half_life``, ``expected_output_tokens``, ``log_path``, ``log_prompts``,
        ``stream_usage``, ``auto_limit``, ``weights``, ``constraints``) win over ``KNOLLM_*``
        variables, which win over the project file, the user file and the defaults;
        ``profile`` picks a profile. ``config`` passes a ready :class:`ConfigStore` or
        :class:`Config` instead. A changed file is picked up on the next request (an mtime
        check) or by :meth:`reload`.

        Keys come from ``keys={provider: key or [keys]}`` or else from each provider's key
        variables (its ``key_env`` section, else the catalog's ``auth_env``) and their numbered
        siblings (``GROQ_API_KEY_2``...) in ``env`` (default ``os.environ``). ``base_urls``
        overrides a provider's API base URL. ``budget`` is in USD; ``log_path`` appends one JSON
        line per request. ``clock`` (monotonic seconds) times breakers, latencies and key rests.
        ``benchmark_priors`` seeds the ``fastest`` strategy with the latencies ``knollm benchmark``
        saved (:mod:`knollm.bench`).

        Every request is recorded in the usage file (``usage``, ``usage_path``,
        ``usage_prompts``; :mod:`knollm.usage.meter`), whose recorded outcomes seed the health
        of offerings at start (:mod:`knollm.usage.reliability`). ``budgets`` (daily / monthly,
        in total or per provider) refuse a request before it is sent; ``on_budget_alert`` is
        called with a :class:`knollm.usage.BudgetAlert` when a threshold is reached.
        ``strategy="adaptive"`` learns from outcomes (:class:`knollm.router.strategies.Adaptive`;
        ``adaptive_explore``, ``adaptive_half_life``); ``rng`` seeds its draws.
        """
        unknown = sorted(set(options) - set(SETTING_ARGS))
        if unknown:
            raise TypeError(
                f"{type(self).__name__}() got unexpected keyword argument(s): {', '.join(unknown)}"
            )
        constraints = options.pop("constraints", None)
        explicit = dict(options)
        if isinstance(constraints, Mapping):
            explicit["constraints"] = dict(constraints)
            constraints = None
        strategy = explicit.get("strategy")
        if strategy is not None and strategy not in STRATEGIES:
            raise ValueError(f"strategy must be one of {', '.join(STRATEGIES)} (got {strategy!r})")
        if isinstance(config, Config):
            store: ConfigStore | None = None
            fixed = config
        else:
            store = config or ConfigStore(profile=profile, explicit=explicit, environ=env)
            fixed = store.config
        self._store, self._fixed = store, fixed
        self._wiring: dict[str, Any] = {
            "keys": keys,
            "base_urls": base_urls,
            "env": env,
            "constraints": constraints,
            "clock": clock,
            "on_budget_alert": on_budget_alert,
            "rng": rng,
        }
        if catalog is None and fixed.settings.catalog:
            catalog = fixed.settings.catalog
        self._catalog = _catalog(catalog)
        self._core = build_core(self._catalog, fixed, **self._wiring)
        self._generation = store.generation if store else 0
        self._seed_reliability()
        if benchmark_priors:
            from knollm.bench import seed_priors

            seed_priors(self._core.health)

    def _seed_reliability(self) -> None:
        """Recorded outcomes (the usage file) seed the health of offerings not yet observed."""
        meter = self._core.meter
        if meter is None or meter.store is None or not meter.store.ok:
            return
        from knollm.usage.reliability import DAYS, reliability, seed_health

        scores = reliability(meter.store, time.time() - DAYS * 86_400)
        seed_health(self._core.health, scores, self._core.clock())
        if self._core.adaptive is not None:
            self._core.adaptive.seed(scores, self._core.clock())

    @property
    def config(self) -> Config:
        """The configuration in force (see :mod:`knollm.config`)."""
        return self._store.config if self._store is not None else self._fixed

    def _current(self) -> Core:
        """The core for a new request, rebuilt first if the configuration files changed."""
        store = self._store
        if store is not None and (store.refresh() or store.generation != self._generation):
            self._rebuild()
        return self._core

    def _rebuild(self) -> None:
        store = self._store
        assert store is not None
        generation = store.generation
        try:
            self._core = build_core(
                self._catalog, store.config, previous=self._core, **self._wiring
            )
        except ValueError as exc:  # e.g. a provider section naming an unknown provider
            log.warning("knollm router: configuration not applied, keeping the last one: %s", exc)
        self._generation = generation

    def reload(self) -> bool:
        """Read the configuration files again now; False (old one kept, warning logged) when
        they do not load."""
        if self._store is None:
            return False
        ok = self._store.reload()
        if ok:
            self._rebuild()
        return ok

    @property
    def catalog(self) -> Catalog:
        return self._core.planner.catalog

    @property
    def providers(self) -> list[str]:
        """Providers the router can call (OpenAI-compatible, base URL known, key set)."""
        return sorted(self._core.planner.endpoints)

    @property
    def ledger(self) -> Ledger:
        """Running totals per provider and model, spend and budget."""
        return self._core.ledger

    @property
    def health(self) -> Health:
        """Breakers and observed latencies per offering (keyed ``provider:api-id``)."""
        return self._core.health

    def totals(self) -> dict[str, Any]:
        """Spend, budget and totals per provider and model, as plain data."""
        return self._core.ledger.summary()

    def candidates(
        self,
        model: Model,
        messages: Sequence[Mapping[str, Any]] = (),
        *,
        strategy: str | None = None,
        constraints: Criteria | Mapping[str, Any] | None = None,
        **params: Any,
    ) -> list[Offering]:
        """The offerings a request would try, in order, without sending anything."""
        run = self._core.start(model, {"messages": list(messages), **params}, strategy, constraints)
        return run.plan

    def __repr__(self) -> str:
        core = self._core
        keys = sum(len(e.pool.keys) for e in core.planner.endpoints.values())
        budget = "" if core.ledger.budget is None else f", budget=${core.ledger.budget:g}"
        return (
            f"{type(self).__name__}(strategy={core.strategy!r}, "
            f"providers={len(core.planner.endpoints)}, keys={keys}{budget})"
        )

    @staticmethod
    def _sdk_params(core: Core, params: dict[str, Any]) -> tuple[dict[str, Any], bool]:
        sdk = chat_params(params)
        injected = False
        if sdk.get("stream") and core.stream_usage and "stream_options" not in sdk:
            sdk["stream_options"] = {"include_usage": True}
            injected = True
        return sdk, injected


class Router(_Base):
    """Synchronous router: ``router.chat.completions.create(...)`` like ``openai.OpenAI``."""

    def __init__(self, catalog: Catalog | str | os.PathLike[str] | None = None, **options: Any):
        super().__init__(catalog, **options)
        self._clients: dict[tuple[str, int, str, float], openai.OpenAI] = {}
        self.chat = _Chat(_Completions(self))

    def _client(self, target: Target) -> openai.OpenAI:
        timeout = target.endpoint.timeout or self._core.timeout
        slot = (target.offering.provider, target.key.index, target.endpoint.base_url, timeout)
        client = self._clients.get(slot)
        if client is None:
            client = self._clients[slot] = openai.OpenAI(
                api_key=target.key.reveal(),
                base_url=target.endpoint.base_url,
                max_retries=0,
                timeout=timeout,
            )
        return client

    def _create(
        self, model: Model, strategy: str | None, constraints: Any, params: dict[str, Any]
    ) -> ChatCompletion | RoutedStream:
        core = self._current()
        run: Run = core.start(model, params, strategy, constraints)
        sdk, injected = self._sdk_params(core, params)
        streaming = bool(sdk.get("stream"))
        cache = core.cache if core.cache is not None and core.cache.wants(params, sdk) else None
        form = cache.form(sdk) if cache is not None else b""
        if cache is not None and (hit := cache.lookup(run, form, params, sync=True)) is not None:
            return hit  # type: ignore[return-value]
        while True:
            step = run.next()
            if step is None:
                raise run.exhausted()
            if isinstance(step, float):
                try:
                    time.sleep(step)
                except BaseException:  # KeyboardInterrupt while queued for a rate-limit slot
                    run.cancel()
                    raise
                continue
            try:
                response = self._client(step).chat.completions.create(
                    model=step.offering.provider_model_id, **sdk
                )
                if streaming:
                    it = iter(response)
                    first = next(it, None)
                if streaming and first is None:
                    raise StreamInterrupted("the stream ended before its first chunk", response)
            except Exception as exc:  # classified: retried, or raised by run.failed
                run.failed(step, exc)
                continue
            except BaseException:  # KeyboardInterrupt, GeneratorExit...: free what it held
                run.abandoned(step, "interrupted")
                raise
            info = run.succeeded(step, response, streaming)
            if streaming:
                stream = RoutedStream(response, it, first, run, step, info, injected)
                if cache is not None:
                    cache.collect(stream, form, step)
                return stream
            if cache is not None:
                cache.store(form, step, response, info)
            object.__setattr__(response, "knollm", info)
            return response

    def close(self) -> None:
        """Close every provider connection pool."""
        for client in self._clients.values():
            client.close()
        self._clients.clear()
        multi.close_loop(self)

    def fan_out(self, messages: Any, models: Sequence[str], **options: Any) -> multi.FanOut:
        """Ask every model at once under one deadline: :func:`knollm.router.multi.fan_out`."""
        return multi.fan_out(self, messages, models, **options)

    def consensus(self, messages: Any, models: Sequence[str], **options: Any) -> multi.Consensus:
        """Fan out and choose one answer: :func:`knollm.router.multi.consensus`."""
        return multi.consensus(self, messages, models, **options)

    def __enter__(self) -> Router:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class AsyncRouter(_Base):
    """Asynchronous router: ``await router.chat.completions.create(...)`` like ``openai.AsyncOpenAI``."""

    def __init__(self, catalog: Catalog | str | os.PathLike[str] | None = None, **options: Any):
        super().__init__(catalog, **options)
        self._clients: dict[tuple[str, int, str, float], openai.AsyncOpenAI] = {}
        self.chat = _AsyncChat(_AsyncCompletions(self))

    def _client(self, target: Target) -> openai.AsyncOpenAI:
        timeout = target.endpoint.timeout or self._core.timeout
        slot = (target.offering.provider, target.key.index, target.endpoint.base_url, timeout)
        client = self._clients.get(slot)
        if client is None:
            client = self._clients[slot] = openai.AsyncOpenAI(
                api_key=target.key.reveal(),
                base_url=target.endpoint.base_url,
                max_retries=0,
                timeout=timeout,
            )
        return client

    async def _create(
        self, model: Model, strategy: str | None, constraints: Any, params: dict[str, Any]
    ) -> ChatCompletion | AsyncRoutedStream:
        core = self._current()
        run: Run = core.start(model, params, strategy, constraints)
        sdk, injected = self._sdk_params(core, params)
        streaming = bool(sdk.get("stream"))
        cache = core.cache if core.cache is not None and core.cache.wants(params, sdk) else None
        form = cache.form(sdk) if cache is not None else b""
        if cache is not None and (hit := cache.lookup(run, form, params, sync=False)) is not None:
            return hit  # type: ignore[return-value]
        while True:
            step = run.next()
            if step is None:
                raise run.exhausted()
            if isinstance(step, float):
                try:
                    await asyncio.sleep(step)
                except BaseException:  # cancelled while queued for a rate-limit slot
                    run.cancel()
                    raise
                continue
            try:
                response = await self._client(step).chat.completions.create(
                    model=step.offering.provider_model_id, **sdk
                )
                if streaming:
                    ait = response.__aiter__()
                    try:
                        first = await ait.__anext__()
                    except StopAsyncIteration:
                        first = None
                    if first is None:
                        raise StreamInterrupted("the stream ended before its first chunk", response)
            except Exception as exc:  # classified: retried, or raised by run.failed
                run.failed(step, exc)
                continue
            except BaseException:  # asyncio.CancelledError (wait_for, task.cancel()) and the like
                run.abandoned(step, "cancelled")
                raise
            info = run.succeeded(step, response, streaming)
            if streaming:
                stream = AsyncRoutedStream(response, ait, first, run, step, info, injected)
                if cache is not None:
                    cache.collect(stream, form, step)
                return stream
            if cache is not None:
                cache.store(form, step, response, info)
            object.__setattr__(response, "knollm", info)
            return response

    async def close(self) -> None:
        """Close every provider connection pool."""
        for client in self._clients.values():
            await client.close()
        self._clients.clear()

    async def fan_out(self, messages: Any, models: Sequence[str], **options: Any) -> multi.FanOut:
        """Ask every model at once under one deadline: :func:`knollm.router.multi.fan_out_async`."""
        return await multi.fan_out_async(self, messages, models, **options)

    async def consensus(
        self, messages: Any, models: Sequence[str], **options: Any
    ) -> multi.Consensus:
        """Fan out and choose one answer: :func:`knollm.router.multi.consensus_async`."""
        return await multi.consensus_async(self, messages, models, **options)

    async def __aenter__(self) -> AsyncRouter:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()


class _Completions:
    def __init__(self, router: Router) -> None:
        self._router = router

    @overload
    def create(
        self,
        *,
        model: Model,
        messages: Any,
        stream: Literal[False] = False,
        strategy: str | None = None,
        constraints: Any = None,
        **params: Any,
    ) -> ChatCompletion: ...

    @overload
    def create(
        self,
        *,
        model: Model,
        messages: Any,
        stream: Literal[True],
        strategy: str | None = None,
        constraints: Any = None,
        **params: Any,
    ) -> RoutedStream: ...

    def create(
        self,
        *,
        model: Model,
        messages: Any,
        stream: bool = False,
        strategy: str | None = None,
        constraints: Any = None,
        **params: Any,
    ) -> ChatCompletion | RoutedStream:
        """Send a chat request to the best candidate, falling back as needed.

        ``model``: an offering (``groq/llama-3.3-70b-versatile``), a canonical model id,
        ``"auto"`` (with ``constraints``: capabilities, min_context, max_input_price, providers...)
        or a list of those (an ordered fallback chain). ``strategy`` overrides the router's for
        this call. Every other keyword goes to the provider unchanged; ``NOT_GIVEN`` placeholders
        are dropped.
        """
        params = given(params)
        params["messages"] = messages
        if stream is True:
            params["stream"] = True
        return self._router._create(model, strategy or None, constraints or None, params)


class _AsyncCompletions:
    def __init__(self, router: AsyncRouter) -> None:
        self._router = router

    @overload
    async def create(
        self,
        *,
        model: Model,
        messages: Any,
        stream: Literal[False] = False,
        strategy: str | None = None,
        constraints: Any = None,
        **params: Any,
    ) -> ChatCompletion: ...

    @overload
    async def create(
        self,
        *,
        model: Model,
        messages: Any,
        stream: Literal[True],
        strategy: str | None = None,
        constraints: Any = None,
        **params: Any,
    ) -> AsyncRoutedStream: ...

    async def create(
        self,
        *,
        model: Model,
        messages: Any,
        stream: bool = False,
        strategy: str | None = None,
        constraints: Any = None,
        **params: Any,
    ) -> ChatCompletion | AsyncRoutedStream:
        """Async twin of :meth:`Router.chat.completions.create`."""
        params = given(params)
        params["messages"] = messages
        if stream is True:
            params["stream"] = True
        return await self._router._create(model, strategy or None, constraints or None, params)


class _Chat:
    def __init__(self, completions: _Completions) -> None:
        self.completions = completions


class _AsyncChat:
    def __init__(self, completions: _AsyncCompletions) -> None:
        self.completions = completions


def given(params: dict[str, Any]) -> dict[str, Any]:
    """``params`` without the SDK's "not given" placeholders (``NOT_GIVEN``, ``omit``), which
    wrappers such as Claif forward for every keyword they did not set."""
    return {k: v for k, v in params.items() if not isinstance(v, openai.NotGiven | openai.Omit)}


def route_of(response: Any) -> RouteInfo | None:
    """The :class:`RouteInfo` of a routed response or stream (None for anything else)."""
    return getattr(response, "knollm", None)
