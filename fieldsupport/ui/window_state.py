"""Window geometry, splitter positions and table column layouts kept between runs."""

from __future__ import annotations

from PySide6.QtCore import QByteArray, QSettings
from PySide6.QtWidgets import QHeaderView, QMainWindow, QSplitter


def settings() -> QSettings:
    """The user's UI settings (an INI file in the per-user config folder; tests point that
    folder at tmp_path). Data paths are never stored here: they come from the workspace."""
    return QSettings(
        QSettings.Format.IniFormat, QSettings.Scope.UserScope, "FieldSupport", "workbench"
    )


def _bytes(value: object) -> QByteArray | None:
    if isinstance(value, QByteArray) and not value.isEmpty():
        return value
    if isinstance(value, bytes | bytearray) and value:
        return QByteArray(bytes(value))
    return None


def save_window(
    window: QMainWindow, splitters: dict[str, QSplitter], headers: dict[str, QHeaderView]
) -> None:
    store = settings()
    store.setValue("window/geometry", window.saveGeometry())
    store.setValue("window/state", window.saveState())
    for name, splitter in splitters.items():
        store.setValue(f"splitters/{name}", splitter.saveState())
    for name, header in headers.items():
        store.setValue(f"headers/{name}", header.saveState())
    store.sync()


def restore_window(
    window: QMainWindow, splitters: dict[str, QSplitter], headers: dict[str, QHeaderView]
) -> bool:
    """Restore what was saved; False when there was nothing (first run)."""
    store = settings()
    geometry = _bytes(store.value("window/geometry"))
    if geometry is not None:
        window.restoreGeometry(geometry)
        state = _bytes(store.value("window/state"))
        if state is not None:
            window.restoreState(state)
    for name, splitter in splitters.items():
        saved = _bytes(store.value(f"splitters/{name}"))
        if saved is not None:
            splitter.restoreState(saved)
    for name, header in headers.items():
        saved = _bytes(store.value(f"headers/{name}"))
        if saved is not None:
            header.restoreState(saved)
    return geometry is not None


def restore_splitter(name: str, splitter: QSplitter) -> None:
    """Restore one splitter saved by :func:`save_window` (pages built after start-up)."""
    saved = _bytes(settings().value(f"splitters/{name}"))
    if saved is not None:
        splitter.restoreState(saved)
