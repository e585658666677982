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

    On the way out, what is alive is frozen (``gc.freeze``) before the collector is
    re-enabled. Without it, the first allocation after re-enabling runs a young-generation
    pass over everything allocated inside (the whole catalog is still "young"), and the next
    ones promote it and scan it again in generation 1 and then 2: at 10x the catalog, 14 s of
    passes during publishing and writing for about 10^3 collectable objects (0.8 s at full
    size). Frozen objects are left out of cyclic passes, never out of reference counting, so
    the result is freed as usual when dropped. Entering unfreezes what an earlier pause froze,
    so in a long-lived process (``mkdocs serve``, the tests) an earlier build's garbage cycles
    become collectable again instead of piling up.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    gc.unfreeze()
    try:
        yield
    finally:
        gc.freeze()
        if was_enabled:
            gc.enable()
