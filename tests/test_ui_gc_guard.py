"""Qt objects are destroyed on the GUI thread only: automatic garbage collection is off once
the QApplication exists, the GUI thread collects from a timer, by generation, and background
jobs let go of nothing on their worker (fieldsupport/ui/gc_guard.py, ui/operations.py).

The deadlock this prevents (it hung ``make test``): a worker's allocation set off a
collection that destroyed a QObject; ``~QObject`` held Qt's signal-slot mutex and called a
sender's ``disconnectNotify`` through PySide, which waited for the GIL, held by the GUI thread
waiting for that mutex."""

from __future__ import annotations

import ast
import gc
import logging
import threading
import weakref
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QMetaMethod, QObject, Signal, Slot
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from fieldsupport.gc_pause import collector_paused
from fieldsupport.ui import gc_guard
from fieldsupport.ui.app import make_application
from fieldsupport.ui.operations import Operation

PACKAGE = Path(__file__).resolve().parent.parent / "fieldsupport"
# enough tracked objects to pass every threshold of the automatic collector several times
PLENTY = 200_000


class _Cycle:
    """Garbage only the cyclic collector frees."""

    def __init__(self) -> None:
        self.me = self


class _Sender(QObject):
    """Records the thread its ``disconnectNotify`` runs on: ``~QObject`` of a receiver calls
    it with Qt's signal-slot mutex held, the call that waited for the GIL in the deadlock."""

    ping = Signal()

    def __init__(self) -> None:
        super().__init__()
        self.notified_on: list[int] = []

    def disconnectNotify(self, signal: QMetaMethod) -> None:
        self.notified_on.append(threading.get_ident())
        super().disconnectNotify(signal)


class _Receiver(QObject):
    def __init__(self) -> None:
        super().__init__()  # no parent: Python owns it, its collection destroys the QObject
        self.me = self

    @Slot()
    def on_ping(self) -> None:
        pass


def _finalized_on(obj: object) -> list[int]:
    threads: list[int] = []
    weakref.finalize(obj, lambda: threads.append(threading.get_ident()))
    return threads


@pytest.fixture
def collector(qapp: QApplication) -> Iterator[gc_guard.GarbageCollector]:
    installed = gc_guard.installed()
    assert installed is not None
    yield installed
    assert not gc.isenabled()


def test_the_app_and_the_suite_collect_on_the_gui_thread_only(
    qapp: QApplication, collector: gc_guard.GarbageCollector
) -> None:
    assert not gc.isenabled()
    assert collector.timer.isActive()
    assert collector.thread() is qapp.thread()
    assert collector.timer.interval() == gc_guard.INTERVAL_MS
    # the app's start-up installs the same one (whoever made the QApplication)
    assert make_application() is qapp
    assert gc_guard.install(qapp) is collector is gc_guard.installed()


def test_a_cycle_dropped_on_a_worker_is_collected_on_the_gui_thread(qtbot: QtBot) -> None:
    main = threading.get_ident()
    finalized: list[list[int]] = []
    keep: list[Any] = []

    def job(_task: object) -> list[list[int]]:
        finalized.append(_finalized_on(_Cycle()))
        return [[] for _ in range(PLENTY)]  # a worker allocating plenty, as a big load does

    operation = Operation(job, on_success=keep.append)
    with qtbot.waitSignal(operation.finished, timeout=20_000):
        pass
    assert finalized and finalized[0] in ([], [main])  # not on the worker
    qtbot.waitUntil(lambda: bool(finalized[0]), timeout=5_000)  # the timer collected it
    assert finalized[0] == [main]
    keep.clear()


def test_a_qobject_in_a_cycle_is_destroyed_on_the_gui_thread_while_a_worker_allocates(
    qtbot: QtBot,
) -> None:
    """The scenario of the deadlock, made to fail instead of hang: a parentless QObject
    receiving a Python-wrapped sender's signal becomes cyclic garbage, then a worker
    allocates plenty. Its ``~QObject`` must run (and call ``disconnectNotify``) on the GUI
    thread, from the collector's timer."""
    main = threading.get_ident()
    sender = _Sender()
    gc.collect()  # an empty young generation: only the worker's allocations can fill it
    receiver = _Receiver()
    sender.ping.connect(receiver.on_ping)
    destroyed = _finalized_on(receiver)
    del receiver
    keep: list[Any] = []
    operation = Operation(lambda _task: [[] for _ in range(PLENTY)], on_success=keep.append)
    with qtbot.waitSignal(operation.finished, timeout=20_000):
        pass
    qtbot.waitUntil(lambda: bool(destroyed) and bool(sender.notified_on), timeout=5_000)
    assert destroyed == [main]
    assert set(sender.notified_on) == {main}
    keep.clear()


def test_the_timer_collects_garbage_made_on_the_gui_thread(qtbot: QtBot) -> None:
    finalized = [_finalized_on(_Cycle()) for _ in range(1_000)]  # past generation 0's 700
    qtbot.waitUntil(lambda: all(finalized), timeout=5_000)
    assert {t for threads in finalized for t in threads} == {threading.get_ident()}


def test_garbage_does_not_grow_and_every_generation_gets_collected(
    collector: gc_guard.GarbageCollector,
) -> None:
    gc.collect()
    collector.reset_figures()
    threshold0, threshold1, threshold2 = gc.get_threshold()
    finalized: list[list[int]] = []
    rounds = (threshold1 + 2) * (threshold2 + 2)  # enough for a full collection
    for _ in range(rounds):
        finalized.extend(_finalized_on(_Cycle()) for _ in range(threshold0))
        assert collector.check() is not None
        # each pass frees what was made since the last one: nothing piles up
        assert all(finalized)
        finalized.clear()
        assert gc.get_count()[0] < threshold0
    assert collector.passes[1] >= threshold2 and collector.passes[2] >= 1
    assert 0 < collector.worst_pass_s < 1


def test_nothing_is_collected_below_the_thresholds(collector: gc_guard.GarbageCollector) -> None:
    gc.collect()
    passes = list(collector.passes)
    assert collector.check() is None
    young = [[] for _ in range(gc.get_threshold()[0] + 100)]
    old_threshold = gc.get_threshold()
    gc.set_threshold(0)  # "never", for the automatic collector and for this one
    try:
        assert collector.check() is None
    finally:
        gc.set_threshold(*old_threshold)
    assert collector.passes == passes
    assert collector.check() == 0
    assert collector.passes[0] == passes[0] + 1
    del young


def test_automatic_collection_turned_on_again_is_turned_off(
    collector: gc_guard.GarbageCollector, caplog: pytest.LogCaptureFixture
) -> None:
    gc.enable()
    with caplog.at_level(logging.WARNING, logger=gc_guard.__name__):
        collector.check()
    assert not gc.isenabled()
    assert "turned on again" in caplog.text


def test_the_sync_pause_leaves_the_collector_as_it_found_it(qapp: QApplication) -> None:
    with collector_paused():
        assert not gc.isenabled()
    assert not gc.isenabled()  # the app's setting: the worker must not turn it on
    gc.enable()
    try:
        with collector_paused():  # the CLI: on before, paused, on again
            with collector_paused():  # nested, or another thread's at the same time
                assert not gc.isenabled()
            assert not gc.isenabled()  # the inner one found it off, the outer one still runs
        assert gc.isenabled()
    finally:
        gc.disable()


def test_no_pass_on_the_gui_thread_while_a_load_pauses_the_collector(
    collector: gc_guard.GarbageCollector,
) -> None:
    """A first sync's pages are millions of young objects: a pass over them on the GUI
    thread would stall it (60-75 ms in benchmarks/sync_gui.py) and free nothing."""
    young = [[] for _ in range(gc.get_threshold()[0] + 100)]
    with collector_paused():
        assert collector.check() is None
    assert collector.check() is not None
    del young


def test_only_the_known_places_turn_the_collector_on() -> None:
    """gc.enable() anywhere else would let workers collect (and destroy Qt objects)."""
    callers = set()
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "enable"
                and isinstance(node.func.value, ast.Name)
                and node.func.value.id == "gc"
            ):
                callers.add(str(path.relative_to(PACKAGE)))
    # the sync pause restores what it found; the collector's stop() is for tests
    assert callers == {"gc_pause.py", "ui/gc_guard.py"}


def test_a_job_lets_go_of_what_it_holds_on_the_gui_thread(qtbot: QtBot) -> None:
    """A job's closure holding the last reference to a parentless QObject (often a widget
    the user closed meanwhile), and the job's result: both let go of on the GUI thread."""
    main = threading.get_ident()
    widget_like: QObject | None = QObject()
    destroyed = _finalized_on(widget_like)
    released = threading.Event()
    result_finalized: list[list[int]] = []

    class Result:
        pass

    def job(_task: object, held: object = widget_like) -> Result:
        released.wait(10)  # until the GUI thread has dropped its own reference
        result = Result()
        result_finalized.append(_finalized_on(result))
        return result

    operation = Operation(job, on_success=lambda _result: None)
    del job
    widget_like = None
    released.set()
    with qtbot.waitSignal(operation.finished, timeout=20_000):
        pass
    qtbot.waitUntil(lambda: bool(destroyed) and bool(result_finalized[0]), timeout=5_000)
    assert destroyed == [main]
    assert result_finalized[0] == [main]


def test_a_failed_job_lets_go_of_its_error_on_the_gui_thread(qtbot: QtBot) -> None:
    main = threading.get_ident()
    finalized: list[list[int]] = []
    errors: list[str] = []

    def job(_task: object) -> None:
        local = _Cycle()  # the traceback keeps the job's frame, and this, alive
        finalized.append(_finalized_on(local))
        local.me = None  # no cycle: freed when the error is
        raise ValueError("refused")

    operation = Operation(job, on_failure=lambda error: errors.append(str(error)))
    with qtbot.waitSignal(operation.finished, timeout=20_000):
        pass
    assert errors == ["refused"]
    qtbot.waitUntil(lambda: bool(finalized[0]), timeout=5_000)
    assert finalized[0] == [main]
