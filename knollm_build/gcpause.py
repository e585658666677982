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

    On the way out, what is alive is moved into the oldest generation without a pass
    (``gc.freeze`` then ``gc.unfreeze``) before the collector is re-enabled. Otherwise the
    first allocation after re-enabling runs a young-generation pass over everything allocated
    inside (the whole catalog is still "young"), and the next ones scan it all again in
    generation 1 and then in a full pass: at 10x the catalog, 14 s of passes during publishing
    and writing for about 10^3 collectable objects (0.8 s at full size). Moved this way it
    stays collectable: a full pass still comes when the process itself makes enough new
    long-lived objects, as it would for any old objects, so nothing is leaked.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()  # every generation into the permanent one, without a pass ...
        gc.unfreeze()  # ... and from there into the oldest generation
        if was_enabled:
            gc.enable()
