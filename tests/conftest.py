"""Test isolation: headless Qt, every workspace, setting and keyring under tmp_path, no test
may leave threads running, and cyclic garbage is collected on the GUI thread only, as in the
app."""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

# Before anything imports Qt.
os.environ["QT_QPA_PLATFORM"] = "offscreen"

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication

from fieldsupport.workspace import Workspace

REPO = Path(__file__).resolve().parent.parent
# Real test files (JPEGs with every EXIF orientation, MIT-licensed, see their LICENSE), kept
# in the repository so a clean clone tests with them wherever it is checked out.
TESTDATA = REPO / "tests" / "data"
FIXED_REFERENCE = "2026-11-02T12:00:00+00:00"


@pytest.fixture(scope="session")
def qapp(qapp: QApplication) -> QApplication:
    """pytest-qt's QApplication with the app's garbage collector (fieldsupport/ui/gc_guard.py):
    the suite's Qt tests run pool workers all the time, and a worker that set off an
    automatic collection could destroy a QObject there and deadlock with the GUI thread."""
    from fieldsupport.ui import gc_guard

    gc_guard.install(qapp)
    return qapp


@pytest.fixture(autouse=True)
def collect_between_tests() -> Iterator[None]:
    """Once the collector only runs from the GUI thread's timer, tests that never run the
    event loop would never collect: do the timer's work after each test (on this thread)."""
    yield
    if "fieldsupport.ui.gc_guard" in sys.modules:
        from fieldsupport.ui import gc_guard

        collector = gc_guard.installed()
        if collector is not None:
            collector.check()


@pytest.fixture(autouse=True)
def isolated_environment(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Path:
    """Point every per-user location at a fresh temporary folder."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / ".local" / "share"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / ".cache"))
    monkeypatch.setenv("XDG_STATE_HOME", str(home / ".local" / "state"))
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.null.Keyring")
    monkeypatch.delenv("FIELDSUPPORT_WORKSPACE", raising=False)
    # QSettings reads these paths when a QSettings object is made, so every test gets its own
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(home))
    QSettings.setPath(QSettings.Format.NativeFormat, QSettings.Scope.UserScope, str(home))
    return home


@pytest.fixture(autouse=True)
def no_leftover_threads() -> Iterator[None]:
    """Fail a test that leaves Python threads or Qt pool workers running."""
    before = set(threading.enumerate())
    yield
    if "PySide6.QtCore" in sys.modules:
        from PySide6.QtCore import QThreadPool

        pool = QThreadPool.globalInstance()
        if not pool.waitForDone(10_000):
            pytest.fail(f"test left {pool.activeThreadCount()} Qt worker(s) running")
    if "fieldsupport.media.reading" in sys.modules:
        # the photo reading processes (and their pool's threads) are kept for the app's
        # lifetime and ended when it exits (ui.app.run_app): here, as the test ends
        from fieldsupport.media import reading

        reading.shut_down()
    leftover = []
    for thread in set(threading.enumerate()) - before:
        # a Qt pool thread that ran Python threading code shows up as a dummy thread; it
        # cannot be joined, and the pool check above already waited for it
        if isinstance(thread, threading._DummyThread):  # type: ignore[attr-defined]
            continue
        thread.join(timeout=5)
        if thread.is_alive():
            leftover.append(thread.name)
    if leftover:
        pytest.fail(f"test left threads running: {leftover}")


@pytest.fixture
def workspace(tmp_path: Path) -> Iterator[Workspace]:
    ws = Workspace.open(tmp_path / "workspace")
    try:
        yield ws
    finally:
        ws.close()
