"""The GUI while syncing: a fresh workspace's first sync (a full pull of a demo company from
the embedded central server on loopback) started from the main window's sync controller, with
the longest stall of the GUI thread measured by a 5 ms timer. Then a sync with nothing to do
from the window; then another fresh workspace's first sync from the server's snapshot
(downloaded, unpacked and put in place while the window runs).
``python benchmarks/sync_gui.py [--cases N]`` (default 5,000 cases)."""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

Add = Callable[[str, float, str], None]


class _StallMeter:
    """Longest gap between ticks of a 5 ms timer on the GUI thread."""

    def __init__(self) -> None:
        from PySide6.QtCore import QTimer

        self.timer = QTimer()
        self.timer.setInterval(5)
        self.timer.timeout.connect(self._tick)
        self.last = self.worst = 0.0

    def start(self) -> None:
        self.last = self.worst = 0.0
        self.timer.start()

    def _tick(self) -> None:
        now = time.perf_counter()
        if self.last:
            self.worst = max(self.worst, now - self.last)
        self.last = now


def _sync_from_window(window: object, meter: _StallMeter) -> tuple[float, object]:
    from PySide6.QtCore import QEventLoop

    sync = window.sync  # type: ignore[attr-defined]
    loop = QEventLoop()
    outcome: list[object] = []
    sync.finished.connect(lambda report: (outcome.append(report), loop.quit()))
    sync.failed.connect(lambda reason: (outcome.append(reason), loop.quit()))
    meter.start()
    started = time.perf_counter()
    sync.last_status = None
    if sync.sync_now() is None:
        raise SystemExit("the window's sync controller would not start a sync")
    loop.exec()
    seconds = time.perf_counter() - started
    meter.timer.stop()
    sync.finished.disconnect()
    sync.failed.disconnect()
    if isinstance(outcome[0], str):
        raise SystemExit(f"sync failed: {outcome[0]}")
    return seconds, outcome[0]


def bench_sync_gui(add: Add, cases: int) -> None:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    with tempfile.TemporaryDirectory(prefix="fieldsupport-syncgui-") as tmp:
        os.environ["XDG_CONFIG_HOME"] = str(Path(tmp) / "config")  # the token file goes here
        os.environ.setdefault("PYTHON_KEYRING_BACKEND", "keyring.backends.null.Keyring")
        from fieldsupport.central.embedded import DEMO_PASSWORD, EmbeddedServer
        from fieldsupport.demo.generator import create_demo
        from fieldsupport.sync.session import connect
        from fieldsupport.ui import gc_guard
        from fieldsupport.ui.app import make_application
        from fieldsupport.ui.main_window import MainWindow
        from fieldsupport.workspace import Workspace

        # as the app makes it: cyclic garbage collected on the GUI thread, from a timer
        _app = make_application()  # kept alive for the run
        collector = gc_guard.installed()
        assert collector is not None
        demo = Workspace.open(Path(tmp) / "demo-workspace")
        create_demo(demo, cases=cases)
        embedded = EmbeddedServer(demo)
        started = time.perf_counter()
        url = embedded.start()
        add("sync_gui_embedded_first_start", time.perf_counter() - started, "s")
        laptop = Workspace.open(Path(tmp) / "laptop")
        try:
            connect(laptop, url, "admin", DEMO_PASSWORD)
            window = MainWindow(laptop)
            from PySide6.QtCore import QEventLoop, QTimer

            settle = QEventLoop()  # the window's own start-up work is not part of the figure
            window.first_paint.connect(lambda: QTimer.singleShot(1_500, settle.quit))
            window.show()
            settle.exec()
            meter = _StallMeter()
            collector.reset_figures()
            seconds, report = _sync_from_window(window, meter)
            add(f"sync_gui_first_pull_{cases}_cases", seconds, "s")
            add("sync_gui_first_pull_records", report.pulled, "records")  # type: ignore[attr-defined]
            add("sync_gui_first_pull_stall_max", meter.worst * 1000, "ms")
            # the longest garbage collection pass on the GUI thread during the pull (part of
            # the stall above when they coincide), and the passes by generation
            add("sync_gui_first_pull_gc_pass_max", collector.worst_pass_s * 1000, "ms")
            add("sync_gui_first_pull_gc_passes", sum(collector.passes), "passes")
            seconds, _ = _sync_from_window(window, meter)
            add("sync_gui_nothing_to_do", seconds * 1000, "ms")
            add("sync_gui_nothing_to_do_stall_max", meter.worst * 1000, "ms")
            window.ask_close = lambda _unsaved: True  # type: ignore[method-assign]
            window.close()
            _bench_snapshot_start(add, Path(tmp), demo, url, meter, collector)
        finally:
            embedded.stop()
            laptop.close()
            demo.close()


def _bench_snapshot_start(
    add: Add, tmp: Path, demo: object, url: str, meter: _StallMeter, collector: object
) -> None:
    """A second laptop's first sync from the snapshot the server has made of the demo."""
    from PySide6.QtCore import QEventLoop, QTimer

    from fieldsupport.central.embedded import DEMO_PASSWORD, central_folder
    from fieldsupport.central.server import open_service
    from fieldsupport.sync.session import connect
    from fieldsupport.ui.main_window import MainWindow
    from fieldsupport.workspace import Workspace

    folder = central_folder(demo.root)  # type: ignore[attr-defined]
    service = open_service(f"sqlite:///{folder / 'central.db'}", folder / "blobs")
    try:  # as the embedded server prepares it by itself once a new device asks
        service.snapshots.refresh(service.accounts.account_principal("admin"))
    finally:
        service.engine.dispose()
    laptop = Workspace.open(tmp / "laptop2")
    try:
        connect(laptop, url, "admin", DEMO_PASSWORD)
        window = MainWindow(laptop)
        settle = QEventLoop()
        window.first_paint.connect(lambda: QTimer.singleShot(1_500, settle.quit))
        window.show()
        settle.exec()
        collector.reset_figures()  # type: ignore[attr-defined]
        seconds, report = _sync_from_window(window, meter)
        if not report.from_snapshot:  # type: ignore[attr-defined]
            raise SystemExit("the second laptop did not start from the snapshot")
        add("sync_gui_first_snapshot", seconds, "s")
        add("sync_gui_first_snapshot_stall_max", meter.worst * 1000, "ms")
        add("sync_gui_first_snapshot_gc_pass_max", collector.worst_pass_s * 1000, "ms")  # type: ignore[attr-defined]
        window.ask_close = lambda _unsaved: True  # type: ignore[method-assign]
        window.close()
    finally:
        laptop.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cases", type=int, default=5_000)
    args = parser.parse_args()

    def add(name: str, value: float, unit: str) -> None:
        print(f"{name}: {value:,.4g} {unit}", flush=True)

    bench_sync_gui(add, args.cases)
    return 0


if __name__ == "__main__":
    sys.exit(main())
