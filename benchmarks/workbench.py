"""Workbench figures, measured in-process on an offscreen QApplication: a search keystroke to
updated rows, opening a case file, and the longest stall of the GUI thread while typing and
scrolling through the whole list. Run on its own with ``python benchmarks/workbench.py WS``.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QEventLoop, QThreadPool, QTimer

from fieldsupport.ui import gc_guard
from fieldsupport.ui.app import make_application
from fieldsupport.ui.main_window import NAV_ALL_CASES, MainWindow
from fieldsupport.workspace import Workspace

Add = Callable[[str, float, str], None]


def _wait(signal: Any, timeout_ms: int = 30_000) -> None:
    loop = QEventLoop()
    signal.connect(loop.quit)
    QTimer.singleShot(timeout_ms, loop.quit)
    loop.exec()
    signal.disconnect(loop.quit)


def _pump(ms: int) -> None:
    loop = QEventLoop()
    QTimer.singleShot(ms, loop.quit)
    loop.exec()


class StallMeter:
    """Longest gap between ticks of a 5 ms timer on the GUI thread."""

    def __init__(self) -> None:
        self.timer = QTimer()
        self.timer.setInterval(5)
        self.timer.timeout.connect(self._tick)
        self.last = 0.0
        self.worst = 0.0

    def _tick(self) -> None:
        now = time.perf_counter()
        if self.last:
            self.worst = max(self.worst, now - self.last)
        self.last = now

    def start(self) -> None:
        self.last, self.worst = 0.0, 0.0
        self.timer.start()

    def stop(self) -> float:
        self.timer.stop()
        return max(self.worst - 0.005, 0.0)


def bench_workbench(add: Add, workspace_path: Path) -> None:
    app = make_application()
    collector = gc_guard.installed()
    assert collector is not None
    collector.reset_figures()
    workspace = Workspace.open(workspace_path)
    try:
        window = MainWindow(workspace)
        window.resize(1366, 768)
        window.show()
        _wait(window.cases.cases_loaded)
        window.navigate(NAV_ALL_CASES)
        window.cases.status_filter.setCurrentIndex(1)  # any status: the whole list
        _wait(window.cases.cases_loaded)
        page = window.cases
        count = page.model.rowCount()
        numbers = [page.model.index(r * count // 20, 0).data() for r in (1, 9, 17)]
        customers = [page.model.index(r * count // 20, 1).data() for r in (2, 13)]

        keystrokes: list[float] = []
        for text in [n[-6:] for n in numbers] + [c[:4] for c in customers] + ["gland", "pump"]:
            page.search.clear()
            _wait(page.cases_loaded)
            for cut in range(1, len(text) + 1):
                started = time.perf_counter()
                page.search.setText(text[:cut])
                _wait(page.rows_shown)
                keystrokes.append(time.perf_counter() - started)
        add("search_keystroke_to_rows", statistics.median(keystrokes) * 1000, "ms")
        add("search_keystroke_to_rows_p90", _p90(keystrokes) * 1000, "ms")

        page.search.clear()
        _wait(page.cases_loaded)
        opened: list[float] = []
        for row in range(0, count, max(count // 20, 1)):
            case_id = page.model.row_at(row).id  # type: ignore[union-attr]
            started = time.perf_counter()
            window.case_file.load(case_id)
            _wait(window.case_file.case_loaded)
            opened.append(time.perf_counter() - started)
        add("open_case_file", statistics.median(opened) * 1000, "ms")

        meter = StallMeter()
        meter.start()
        for char in "odra pump":
            page.search.setText(page.search.text() + char)
            _pump(120)
        _wait(page.cases_loaded)
        typing = meter.stop()
        add("gui_stall_max_typing", typing * 1000, "ms")
        page.search.clear()
        _wait(page.cases_loaded)
        meter.start()
        bar = page.table.verticalScrollBar()
        for step in range(41):
            bar.setValue(bar.maximum() * step // 40)
            _pump(40)
        scrolling = meter.stop()
        add("gui_stall_max_scrolling", scrolling * 1000, "ms")
        # the longest garbage collection pass on the GUI thread in all of the above (the
        # only thread that collects, fieldsupport/ui/gc_guard.py), start-up included
        add("gui_gc_pass_max", collector.worst_pass_s * 1000, "ms")
        window.ask_close = lambda _unsaved: True  # type: ignore[method-assign]
        window.close()
    finally:
        QThreadPool.globalInstance().waitForDone(30_000)
        workspace.close()
        del app


def _p90(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * 0.9))]


if __name__ == "__main__":

    def _print(name: str, value: float, unit: str) -> None:
        print(f"{name}: {value:,.4g} {unit}", flush=True)

    bench_workbench(_print, Path(sys.argv[1]))
