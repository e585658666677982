"""The cyclic-GC pause of compile and publish: collector state around it, and where it leaves
what was allocated inside (in the oldest generation, still collectable)."""

from __future__ import annotations

import gc
import weakref

from knollm_build.gcpause import without_cyclic_gc


class _Node:
    def __init__(self) -> None:
        self.other: _Node | None = None


def _cycle() -> weakref.ref[_Node]:
    a, b = _Node(), _Node()
    a.other, b.other = b, a
    return weakref.ref(a)


def test_the_collector_is_paused_inside_and_enabled_again_after() -> None:
    assert gc.isenabled()
    with without_cyclic_gc():
        assert not gc.isenabled()
    assert gc.isenabled()


def test_a_disabled_collector_stays_disabled() -> None:
    gc.disable()
    try:
        with without_cyclic_gc():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_what_is_alive_on_the_way_out_is_in_the_oldest_generation_and_nothing_stays_frozen() -> (
    None
):
    with without_cyclic_gc():
        kept = _Node()
    assert gc.get_freeze_count() == 0
    assert any(o is kept for o in gc.get_objects(generation=2))


def test_a_garbage_cycle_made_inside_is_still_collected() -> None:
    with without_cyclic_gc():
        ref = _cycle()
    assert ref() is not None  # no pass ran on the way out
    gc.collect()
    assert ref() is None
