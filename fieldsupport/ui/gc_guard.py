"""Cyclic garbage is collected on the GUI thread only (cf. pyqtgraph's ``GarbageCollector``,
Calibre's ``GarbageCollector``).

Why: Python's automatic collector runs in whichever thread happens to allocate past the
threshold. When that is a pool worker and the garbage holds a PySide wrapper of a QObject,
the QObject is destroyed on the worker: ``~QObject`` takes Qt's signal-slot mutex and, with
it held, calls a virtual that PySide forwards to Python, so it waits for the GIL; the GUI
thread meanwhile holds the GIL and waits for that mutex in a ``connect()``. Both wait forever
(this hung ``make test``). Deleting a QObject outside its thread is wrong in Qt anyway.

So once the QApplication exists, automatic collection is off and a timer on the GUI thread
does what the automatic collector would have done: it looks at ``gc.get_count()`` and
collects the oldest generation past its threshold (``gc.get_threshold()``), nothing when none
is, so each pass scans no more than the automatic one would have after the same allocations.
While a worker's big load pauses the collector (fieldsupport/gc_pause.py) it does nothing.

The timer interval bounds the young generation a worker can build between two looks, and so
the GUI thread's longest pass (50-80 ns per surviving young object on the 2-core test
machine, where a worker allocates up to ~2.6 million objects a second): benchmarks/README.md,
"Garbage collection on the GUI thread", has the measurements behind :data:`INTERVAL_MS`.
A look that finds nothing to do costs a few microseconds.
"""

from __future__ import annotations

import gc
import logging
import time

import shiboken6
from PySide6.QtCore import QCoreApplication, QObject, Qt, QThread, QTimer, Slot

from fieldsupport import gc_pause

log = logging.getLogger(__name__)

# 100 ms: a worker allocating flat out leaves at most ~260k young objects between two looks,
# a 16-21 ms pass. pyqtgraph's 1 s lets it leave 2.6 million: a 165 ms pass, over the 100 ms
# budget for a GUI stall; 50 ms gains a few milliseconds for twice the wake-ups when idle.
INTERVAL_MS = 100
# a pass this slow is worth a line in the log (the budget for a GUI stall is 100 ms)
SLOW_PASS_S = 0.05

_installed: GarbageCollector | None = None


class GarbageCollector(QObject):
    """Collects cyclic garbage, by generation, from a timer on the thread it lives on."""

    def __init__(self, parent: QObject | None = None, interval_ms: int = INTERVAL_MS) -> None:
        super().__init__(parent)
        self.timer = QTimer(self)
        self.timer.setInterval(interval_ms)
        # a few milliseconds late does not matter; coarse timers let the OS batch wake-ups
        self.timer.setTimerType(Qt.TimerType.CoarseTimer)
        self.timer.timeout.connect(self.check)
        self._was_enabled = gc.isenabled()
        # what the passes cost, for benchmarks and diagnostics
        self.passes = [0] * len(gc.get_count())
        self.worst_pass_s = 0.0

    def start(self) -> None:
        self._was_enabled = gc.isenabled()
        gc.disable()
        self.timer.start()

    def stop(self) -> None:
        """Back to the automatic collector (as it was at :meth:`start`); for tests."""
        self.timer.stop()
        if self._was_enabled:
            gc.enable()

    def reset_figures(self) -> None:
        self.passes = [0] * len(self.passes)
        self.worst_pass_s = 0.0

    @Slot()
    def check(self) -> int | None:
        """Collect the generation the automatic collector would collect now (CPython's
        ``gc_collect_generations``): none until generation 0 passes its threshold, then the
        oldest generation past its own. Returns the generation collected."""
        if gc.isenabled():
            # something turned the automatic collector back on, so a worker could collect
            # (and destroy Qt objects) again: off with it
            gc.disable()
            log.warning("automatic garbage collection was turned on again; turned it off")
        if gc_pause.is_paused():
            return None  # a worker's big load (fieldsupport/gc_pause.py): nothing to free
        thresholds = gc.get_threshold()
        counts = gc.get_count()
        if thresholds[0] == 0 or counts[0] <= thresholds[0]:
            return None  # (a threshold of 0 turns collection off, as for the automatic one)
        generation = next(
            g for g in range(len(counts) - 1, -1, -1) if g == 0 or counts[g] > thresholds[g]
        )
        # CPython also skips a full pass while fewer than a quarter of the long-lived
        # objects are new since the last one; Python does not expose those numbers. Without
        # that rule a full pass comes at most every 100 passes, 10 s apart at the least, and
        # gc.freeze() after the first paint keeps the start-up heap out of it.
        started = time.perf_counter()
        gc.collect(generation)
        elapsed = time.perf_counter() - started
        self.passes[generation] += 1
        self.worst_pass_s = max(self.worst_pass_s, elapsed)
        if elapsed > SLOW_PASS_S:
            log.info(
                "garbage collection of generation %d took %.0f ms (counts were %s)",
                generation,
                elapsed * 1000,
                counts,
            )
        return generation


def install(app: QCoreApplication) -> GarbageCollector:
    """Turn automatic garbage collection off for good and collect from the GUI thread.
    Call on the GUI thread once the application exists; calling again changes nothing."""
    global _installed
    current = installed()
    if current is not None:
        return current  # (it dies with its application; a new one gets a new collector)
    if QThread.currentThread() is not app.thread():
        raise RuntimeError("the garbage collector must be installed on the GUI thread")
    collector = GarbageCollector(app)
    collector.start()
    _installed = collector
    return collector


def installed() -> GarbageCollector | None:
    """The collector :func:`install` made, while its application lives."""
    if _installed is not None and shiboken6.isValid(_installed):
        return _installed
    return None
