"""Pausing the cyclic garbage collector around the build's big allocations (compile, publish)."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def without_cyclic_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector while the build allocates its ~10^6 objects.

    The build creates no reference cycles worth collecting, but the collector's
    generation-2 passes rescan every live object again and again as the heap grows:
    measured at full size, a third of the compile time (1.9 s -> 1.4 s), growing with size.
    Reference counting still frees everything as usual.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
