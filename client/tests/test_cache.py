"""The response cache (issue 17, item 5): real SQLite files under tmp_path, the fake providers.

What counts as the same request, TTL and LRU eviction, a damaged file moved aside, streams kept
as their final message and replayed, threads and processes writing one file, and the CLI.
"""

from __future__ import annotations

import logging
import multiprocessing
import sqlite3
import threading
from pathlib import Path
from typing import Any

import orjson
import pytest
from click.testing import CliRunner
from fake_openai import KEYS, Trio, standard_document

from knollm.cache import SQLiteCache, cache_key, canonical, deterministic
from knollm.cli import main
from knollm.router import AsyncRouter, Router, route_of

HI = [{"role": "user", "content": "hi"}]


def ask(text: str) -> list[dict[str, Any]]:
    return [{"role": "user", "content": text}]


# -- what counts as the same request -----------------------------------------------------------


def test_same_request_in_other_spellings_has_one_form() -> None:
    a = {"messages": HI, "temperature": 0, "max_tokens": 50, "top_p": None}
    b = {"max_tokens": 50.0, "temperature": 0.0, "messages": [{"content": "hi", "role": "user"}]}
    c = {**a, "stream": True, "stream_options": {"include_usage": True}, "user": "u1"}
    assert canonical(a) == canonical(b) == canonical(c)
    assert canonical(a).startswith(b"knollm-cache-1\n")


@pytest.mark.parametrize(
    "change",
    [
        {"messages": [{"role": "user", "content": "hi "}]},  # whitespace counts
        {"messages": [{"role": "user", "content": [{"type": "text", "text": "hi"}]}]},
        {"seed": 7},
        {"max_completion_tokens": 50, "max_tokens": None},
        {"temperature": 0.2},
        {
            "tools": [
                {"type": "function", "function": {"name": "b"}},
                {"type": "function", "function": {"name": "a"}},
            ]
        },  # fmt: skip
    ],
)
def test_a_different_request_has_another_form(change: dict[str, Any]) -> None:
    base = {
        "messages": HI,
        "temperature": 0,
        "max_tokens": 50,
        "tools": [{"type": "function", "function": {"name": "a"}},
                  {"type": "function", "function": {"name": "b"}}],
    }  # fmt: skip
    assert canonical(base) != canonical({**base, **change})


def test_key_depends_on_the_offering_and_determinism_on_temperature() -> None:
    form = canonical({"messages": HI, "temperature": 0})
    assert cache_key("alpha:alpha-70b", form) != cache_key("beta:beta-70b", form)
    assert deterministic({"temperature": 0}) and deterministic({"temperature": 0.0})
    assert not deterministic({}) and not deterministic({"temperature": 0.7})
    assert not deterministic({"temperature": False})


# -- the SQLite file ---------------------------------------------------------------------------


def test_store_ttl_prune_clear_and_stats(tmp_path: Path) -> None:
    store = SQLiteCache(tmp_path / "c.sqlite")
    k1, k2 = b"1" * 32, b"2" * 32
    assert store.put(k1, "alpha:alpha-70b", b'{"a":1}', ttl=10, cost=0.5, now=100.0)
    assert store.put(k2, "beta:beta-70b", b'{"b":2}', ttl=100, now=100.0)
    hit = store.get([b"0" * 32, k2, k1], now=105.0)  # the first live key in the given order
    assert hit is not None and hit.key == k2 and hit.body == b'{"b":2}'
    assert store.get([k1], now=110.0) is None  # expired at 110
    hit = store.get([k1], now=109.0)
    assert hit is not None and hit.cost == 0.5
    st = store.stats(now=120.0)
    assert (st.entries, st.expired, st.served) == (2, 1, 2)
    assert st.saved == pytest.approx(0.5)
    assert store.prune(now=120.0) == 1
    assert store.clear() == 1
    assert store.stats().entries == 0
    assert store.stats().bytes == 0


def test_size_limit_evicts_least_recently_used(tmp_path: Path) -> None:
    body = b"x" * 1000
    store = SQLiteCache(tmp_path / "c.sqlite", max_bytes=10 * 1064)  # ten entries fit
    keys = [bytes([i]) * 32 for i in range(10)]
    for i, k in enumerate(keys):
        store.put(k, "o", body, ttl=1e6, now=float(i))
    assert store.get([keys[0]], now=50.0) is not None  # entry 0 used last: kept
    store.put(b"n" * 32, "o", body, ttl=1e6, now=60.0)  # over the limit: down to 90%
    left = {k for k in [*keys, b"n" * 32] if store.get([k], now=70.0) is not None}
    assert left == {keys[0], b"n" * 32, *keys[3:]}
    assert store.stats().bytes <= 10 * 1064 * 0.9


def test_damaged_file_is_moved_aside_and_rebuilt(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "c.sqlite"
    path.write_bytes(b"this is not a database" * 100)
    store = SQLiteCache(path)
    with caplog.at_level(logging.WARNING, logger="knollm.cache"):
        assert store.get([b"k" * 32]) is None
    assert "is damaged" in caplog.text
    aside = list(tmp_path.glob("c.sqlite.corrupt-*"))
    assert len(aside) == 1 and aside[0].read_bytes().startswith(b"this is not")
    assert store.put(b"k" * 32, "o", b"{}", ttl=60)
    assert store.get([b"k" * 32]) is not None
    sqlite3.connect(path).execute("PRAGMA integrity_check").fetchone()


def test_damage_while_open_is_survived(tmp_path: Path) -> None:
    path = tmp_path / "c.sqlite"
    store = SQLiteCache(path)
    store.put(b"k" * 32, "o", b"{}", ttl=60)
    store.close()
    path.write_bytes(b"\0garbage" * 4096)  # overwritten under the cache's feet
    for suffix in ("-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    assert store.get([b"k" * 32]) is None
    assert store.put(b"k" * 32, "o", b"{}", ttl=60)
    assert store.stats().entries == 1


def test_threads_share_one_file(tmp_path: Path) -> None:
    store = SQLiteCache(tmp_path / "c.sqlite")
    errors: list[BaseException] = []

    def work(t: int) -> None:
        try:
            for i in range(25):
                key = f"{t}-{i}".encode().ljust(32, b".")
                assert store.put(key, "o", b"{}", ttl=60)
                assert store.get([key]) is not None
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(t,)) for t in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert store.stats().entries == 200


# -- through the router ------------------------------------------------------------------------


def test_deterministic_request_is_answered_from_the_cache(tmp_path: Path) -> None:
    with Trio() as trio:
        opts = trio.options(cache=True, cache_path=str(tmp_path / "c.sqlite"))
        with Router(trio.catalog, **opts) as router:
            first = router.chat.completions.create(model="test-70b", messages=HI, temperature=0)
            spent = router.ledger.spent
            again = router.chat.completions.create(model="test-70b", messages=HI, temperature=0.0)
            info = route_of(again)
            assert info.cost_source == "cache" and info.cost == 0.0
            assert [a.outcome for a in info.attempts] == ["cache"]
            assert info.answered_by == "alpha/alpha-70b"
            assert again.choices[0].message.content == first.choices[0].message.content
            assert again.usage == first.usage
            assert router.ledger.spent == spent  # nothing spent on a hit
            router.chat.completions.create(model="test-70b", messages=HI)  # no temperature
            router.chat.completions.create(model="test-70b", messages=HI)
            router.chat.completions.create(model="test-70b", messages=HI, cache=True)
            forced = router.chat.completions.create(model="test-70b", messages=HI, cache=True)
            assert route_of(forced).cost_source == "cache"
            skipped = router.chat.completions.create(
                model="test-70b", messages=HI, temperature=0, cache=False
            )
            assert route_of(skipped).cost_source == "usage"
        assert trio.counts()["alpha"] == 5
        assert all("cache" not in s.body for s in trio["alpha"].seen)  # never sent on


def test_an_answer_from_the_fallback_serves_the_next_request(tmp_path: Path) -> None:
    with Trio(alpha={"script": ["500"]}) as trio:
        opts = trio.options(cache=True, cache_path=str(tmp_path / "c.sqlite"))
        with Router(trio.catalog, **opts) as router:
            first = router.chat.completions.create(model="test-70b", messages=HI, temperature=0)
            assert route_of(first).provider == "beta"
            again = router.chat.completions.create(model="test-70b", messages=HI, temperature=0)
            assert route_of(again).answered_by == "beta/beta-70b"
            assert route_of(again).cost_source == "cache"
        assert trio.counts() == {"alpha": 1, "beta": 1, "gamma": 0}


def test_ttl_per_provider_and_model(tmp_path: Path) -> None:
    with Trio() as trio:
        opts = trio.options(
            cache=True,
            cache_path=str(tmp_path / "c.sqlite"),
            cache_ttls={"alpha": 0, "beta/beta-70b": 60},
        )
        with Router(trio.catalog, **opts) as router:
            for _ in range(2):
                router.chat.completions.create(model="alpha/alpha-70b", messages=HI, temperature=0)
                router.chat.completions.create(model="beta/beta-70b", messages=HI, temperature=0)
            store = router._core.cache.backend  # type: ignore[union-attr]
        assert trio.counts() == {"alpha": 2, "beta": 1, "gamma": 0}
        assert store.stats().entries == 1


def test_stream_is_kept_as_its_final_message_and_replayed(tmp_path: Path) -> None:
    with Trio(alpha={"reply": "one two three"}) as trio:
        opts = trio.options(cache=True, cache_path=str(tmp_path / "c.sqlite"))
        with Router(trio.catalog, **opts) as router:
            live = list(
                router.chat.completions.create(
                    model="test-70b", messages=HI, temperature=0, stream=True
                )
            )
            text = "".join(c.choices[0].delta.content or "" for c in live if c.choices)
            assert text == "one two three"
            replay = router.chat.completions.create(
                model="test-70b",
                messages=HI,
                temperature=0,
                stream=True,
                stream_options={"include_usage": True},
            )
            assert route_of(replay).cost_source == "cache"
            got = list(replay)
            assert "".join(c.choices[0].delta.content or "" for c in got if c.choices) == text
            assert [c.choices[0].finish_reason for c in got if c.choices][-1] == "stop"
            assert got[-1].usage is not None and got[-1].usage.completion_tokens == 5
            whole = router.chat.completions.create(model="test-70b", messages=HI, temperature=0)
            assert whole.choices[0].message.content == text
            assert route_of(whole).cost_source == "cache"
        assert trio.counts()["alpha"] == 1


def test_cut_or_abandoned_stream_is_not_kept(tmp_path: Path) -> None:
    with Trio(alpha={"script": ["cut-stream"]}) as trio:
        opts = trio.options(cache=True, cache_path=str(tmp_path / "c.sqlite"))
        with Router(trio.catalog, **opts) as router:
            with pytest.raises(Exception, match="before it was complete"):
                list(
                    router.chat.completions.create(
                        model="alpha/alpha-70b", messages=HI, temperature=0, stream=True
                    )
                )
            for _chunk in router.chat.completions.create(
                model="alpha/alpha-70b", messages=HI, temperature=0, stream=True
            ):
                break
            store = router._core.cache.backend  # type: ignore[union-attr]
            assert store.stats().entries == 0


@pytest.mark.asyncio
async def test_async_stream_replay(tmp_path: Path) -> None:
    with Trio() as trio:
        opts = trio.options(cache=True, cache_path=str(tmp_path / "c.sqlite"))
        async with AsyncRouter(trio.catalog, **opts) as router:
            for _ in range(2):
                stream = await router.chat.completions.create(
                    model="test-70b", messages=HI, temperature=0, stream=True
                )
                text = "".join([c.choices[0].delta.content or "" async for c in stream])
                assert text == "hello from alpha"
            assert route_of(stream).cost_source == "cache"
        assert trio.counts()["alpha"] == 1


def test_a_damaged_cache_never_fails_a_request(tmp_path: Path) -> None:
    path = tmp_path / "c.sqlite"
    path.write_bytes(b"garbage" * 1000)
    with Trio() as trio:
        with Router(trio.catalog, **trio.options(cache=True, cache_path=str(path))) as router:
            reply = router.chat.completions.create(model="test-70b", messages=HI, temperature=0)
            assert route_of(reply).provider == "alpha"
            again = router.chat.completions.create(model="test-70b", messages=HI, temperature=0)
            assert route_of(again).cost_source == "cache"  # the rebuilt file works
    assert len(list(tmp_path.glob("c.sqlite.corrupt-*"))) == 1


# -- processes ---------------------------------------------------------------------------------


def _process(index: int, path: str, bases: dict[str, str], out: Any) -> None:
    """One router process: 25 requests every process also sends, 10 of its own."""
    from knollm import Catalog

    catalog = Catalog.from_bytes(orjson.dumps(standard_document()))
    texts = [f"shared {j}" for j in range(25)] + [f"own {index} {j}" for j in range(10)]
    router = Router(
        catalog, keys=dict(KEYS), base_urls=bases, cache=True, cache_path=path, timeout=5.0
    )
    answers = []
    for text in texts:
        reply = router.chat.completions.create(model="test-70b", messages=ask(text), temperature=0)
        answers.append((text, reply.choices[0].message.content, route_of(reply).cost_source))
    router.close()
    out.put((index, answers))


def test_processes_share_one_cache_file(tmp_path: Path) -> None:
    path = str(tmp_path / "shared.sqlite")
    with Trio(alpha={"reply": lambda body: "re: " + body["messages"][0]["content"]}) as trio:
        bases = {p: f.base_url for p, f in trio.fakes.items()}
        ctx = multiprocessing.get_context("forkserver")  # no fork of this threaded process
        ctx.set_forkserver_preload(["knollm.router", "test_cache"])
        out = ctx.Queue()
        procs = [ctx.Process(target=_process, args=(i, path, bases, out)) for i in range(4)]
        for p in procs:
            p.start()
        results = dict(out.get(timeout=120) for _ in procs)
        for p in procs:
            p.join(30)
            assert p.exitcode == 0
        sent = trio.counts()["alpha"]
    assert sorted(results) == [0, 1, 2, 3]
    for answers in results.values():
        assert all(content == f"re: {text}" for text, content, _ in answers)
    hits = sum(1 for a in results.values() for _, _, source in a if source == "cache")
    assert sent + hits == 4 * 35
    assert 25 + 40 <= sent <= 4 * 35  # every distinct request at least once
    assert SQLiteCache(path).stats().entries == 25 + 40


# -- the CLI -----------------------------------------------------------------------------------


def _catalog_file(tmp_path: Path) -> Path:
    path = tmp_path / "models.json"
    path.write_bytes(orjson.dumps(standard_document()))
    return path


def test_cli_warm_stats_prune_clear(tmp_path: Path) -> None:
    db = tmp_path / "c.sqlite"
    requests = tmp_path / "warm.jsonl"
    lines = [
        {"model": "test-70b", "messages": ask("one")},
        {"model": "test-70b", "messages": ask("two"), "temperature": 0},
        {"model": "test-70b", "messages": ask("one")},
    ]
    requests.write_text("# warm-up set\n" + "\n".join(orjson.dumps(x).decode() for x in lines))
    with Trio() as trio:
        config = tmp_path / "knollm.toml"
        config.write_text(
            "".join(f'[providers.{p}]\nbase_url = "{f.base_url}"\n' for p, f in trio.fakes.items())
        )
        env = {"KNOLLM_CONFIG": str(config), **{f"{p.upper()}_API_KEY": k for p, k in KEYS.items()}}
        runner = CliRunner()
        cat = ["--catalog", str(_catalog_file(tmp_path))]
        warm = runner.invoke(
            main, [*cat, "cache", "warm", str(requests), "--path", str(db)], env=env
        )
        assert warm.exit_code == 0, warm.output
        assert "warmed 2 answers, 1 already cached, 0 failed" in warm.output
        assert trio.counts()["alpha"] == 2
        stats = runner.invoke(main, ["cache", "stats", "--path", str(db), "--json"], env=env)
        assert orjson.loads(stats.output)["entries"] == 2
        assert orjson.loads(stats.output)["served"] == 1
        text = runner.invoke(main, ["cache", "stats", "--path", str(db)], env=env)
        assert "entries:   2 (0 expired)" in text.output
        pruned = runner.invoke(main, ["cache", "prune", "--path", str(db)], env=env)
        assert "pruned 0 expired entries" in pruned.output
        cleared = runner.invoke(main, ["cache", "clear", "--path", str(db)], env=env)
        assert cleared.exit_code == 0 and "cleared 2 entries" in cleared.output


def test_cli_warm_bad_line_names_file_and_line(tmp_path: Path) -> None:
    bad = tmp_path / "warm.jsonl"
    bad.write_text('{"model": "test-70b", "messages": []}\n{"model": "test-70b"}\n')
    result = CliRunner().invoke(main, ["cache", "warm", str(bad), "--path", str(tmp_path / "c")])
    assert result.exit_code == 1
    assert f"{bad}:2: messages: missing; add it to the request" in result.output
    assert "Traceback" not in result.output
    broken = tmp_path / "b.jsonl"
    broken.write_text("{not json\n")
    result = CliRunner().invoke(main, ["cache", "warm", str(broken)])
    assert result.exit_code == 1 and f"{broken}:1: not valid JSON" in result.output
