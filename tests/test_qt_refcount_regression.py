"""Regression guard: PySide6 6.12.0 on Python < 3.12 decrements None's reference count on
every void Qt call and aborts with "Fatal Python error: none_dealloc" after a few thousand.
pyproject.toml excludes that version; this test catches the symptom with whatever is
installed."""

from __future__ import annotations

import sys

import pytest
from packaging.version import Version
from PySide6 import __version__ as pyside_version
from PySide6.QtWidgets import QApplication, QWidget


def test_installed_pyside_is_not_the_broken_release() -> None:
    if sys.version_info < (3, 12):
        assert Version(pyside_version) != Version("6.12.0")


def test_void_qt_calls_do_not_leak_none_references(qapp: QApplication) -> None:
    widget = QWidget()
    before = sys.getrefcount(None)
    for i in range(10_000):
        widget.setWindowTitle("x" if i % 2 else "y")  # returns void -> None
        widget.setEnabled(True)
    after = sys.getrefcount(None)
    widget.deleteLater()
    # the broken release loses ~20,000 here; allow small noise from other interpreter activity
    assert after >= before - 50, f"None refcount fell from {before} to {after}"


@pytest.mark.parametrize("call", ["setToolTip", "setObjectName"])
def test_other_void_setters(qapp: QApplication, call: str) -> None:
    widget = QWidget()
    before = sys.getrefcount(None)
    setter = getattr(widget, call)
    for _ in range(10_000):
        setter("t")
    assert sys.getrefcount(None) >= before - 50
