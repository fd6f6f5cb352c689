"""Python's cyclic garbage collector paused around a load that makes millions of young
objects and no reference cycles (a first sync's pages): a pass over those objects finds
nothing to free, and such passes cost a tenth of the load.

Outside the app (the CLI) this pauses the automatic collector. The app has turned that off
for good and collects from the GUI thread (fieldsupport/ui/gc_guard.py), which skips its
passes while :func:`is_paused`: they would scan the load's objects on the GUI thread, a stall
of 60-75 ms each in benchmarks/sync_gui.py.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_pauses = 0
_was_enabled = False


def is_paused() -> bool:
    return _pauses > 0


@contextmanager
def collector_paused() -> Iterator[None]:
    """No collection while inside; nests, and may overlap in several threads. The last to
    leave restores the automatic collector as the first found it: off in the app, where
    turning it on would let a worker collect (and destroy Qt objects there)."""
    global _pauses, _was_enabled
    with _lock:
        if _pauses == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _pauses += 1
    try:
        yield
    finally:
        with _lock:
            _pauses -= 1
            if _pauses == 0 and _was_enabled:
                gc.enable()
