"""Application start-up: QApplication, workspace, first window."""

from __future__ import annotations

import gc
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

from PySide6.QtCore import QCoreApplication, QLocale, Qt, QThreadPool, QTimer, QTranslator
from PySide6.QtGui import QColor, QIcon, QPainter, QPixmap
from PySide6.QtWidgets import QApplication, QLabel, QMessageBox

from fieldsupport import __version__
from fieldsupport.errors import FieldSupportError
from fieldsupport.resources import resource_path
from fieldsupport.ui import gc_guard

# Diagnostics for benchmarks/: write start-up timings to this file and quit after first paint.
STARTUP_PROBE_ENV = "FIELDSUPPORT_STARTUP_PROBE"


def make_application(argv: list[str] | None = None) -> QApplication:
    existing = QApplication.instance()
    if isinstance(existing, QApplication):
        gc_guard.install(existing)  # whoever made it, garbage is collected on its thread
        return existing
    QCoreApplication.setOrganizationName("FieldSupport")
    QCoreApplication.setApplicationName("FieldSupport")
    QCoreApplication.setApplicationVersion(__version__)
    app = QApplication(argv if argv is not None else sys.argv[:1])
    # before any worker runs: from here on only the GUI thread collects cyclic garbage
    gc_guard.install(app)
    install_translator(app, QLocale.system().name())
    icon = resource_path("icons/fieldsupport.svg")
    if icon is not None:
        app.setWindowIcon(QIcon(str(icon)))
    return app


def install_translator(
    app: QCoreApplication, locale_name: str, directory: Path | None = None
) -> QTranslator | None:
    """Load ``fieldsupport_<locale>.qm`` (e.g. ``de_AT``, falling back to ``de``) from
    ``resources/translations`` when it exists; English needs none."""
    folder = directory
    if folder is None:
        marker = resource_path("translations/README.md")
        folder = marker.parent if marker else None
    if folder is None:
        return None
    translator = QTranslator(app)
    # QTranslator.load tries fieldsupport_de_AT.qm, then fieldsupport_de.qm
    if not translator.load(f"fieldsupport_{locale_name}", str(folder)):
        return None
    app.installTranslator(translator)
    return translator


def _splash(app: QApplication) -> QLabel:
    """A window on screen within a few hundred milliseconds of launch, painted before the
    data layer (SQLAlchemy, the models: half a second of imports) is loaded."""
    pixmap = QPixmap(460, 150)
    pixmap.fill(QColor("#f4f6f8"))
    painter = QPainter(pixmap)
    icon = resource_path("icons/fieldsupport.svg")
    if icon is not None:
        QIcon(str(icon)).paint(painter, 24, 35, 80, 80)
    painter.setPen(QColor("#1d2b36"))
    font = painter.font()
    font.setPointSize(16)
    font.setBold(True)
    painter.setFont(font)
    painter.drawText(124, 68, "FieldSupport")
    font.setPointSize(10)
    font.setBold(False)
    painter.setFont(font)
    painter.drawText(124, 96, QCoreApplication.translate("app", "Opening your workspace…"))
    painter.end()
    # a plain frameless label: QSplashScreen.show() waits up to a second for the window
    # manager to expose it, which is the opposite of what a splash is for
    splash = QLabel()
    splash.setWindowFlags(Qt.WindowType.SplashScreen | Qt.WindowType.FramelessWindowHint)
    splash.setPixmap(pixmap)
    splash.setAccessibleName(QCoreApplication.translate("app", "FieldSupport is starting"))
    splash.show()
    splash.repaint()
    app.processEvents()
    return splash


def run_app(workspace_path: str | None, *, embedded_server: bool = False) -> int:
    """Open the workspace in the main window; ``embedded_server`` (the demo) also starts the
    embedded central server on loopback, connected to the workspace."""
    started = time.perf_counter()
    app = make_application()
    splash = _splash(app)
    probe = os.environ.get(STARTUP_PROBE_ENV)
    timings: dict[str, float | bool] = {
        "window_painted_at": time.time(),
        "window_painted_s": time.perf_counter() - started,
        # the point of the splash: nothing of the data layer was needed to paint it
        "data_layer_loaded_after_window": "sqlalchemy" not in sys.modules,
    }
    from fieldsupport.workspace import Workspace  # the data layer, after the first paint

    try:
        workspace = Workspace.open(workspace_path)
    except FieldSupportError as exc:
        splash.close()
        QMessageBox.critical(None, QCoreApplication.translate("app", "FieldSupport"), str(exc))
        return 1
    from fieldsupport.ui.main_window import MainWindow

    window: MainWindow | None = None
    try:
        window = MainWindow(workspace)
        # the start-up heap (the data layer's modules and the window, ~140k objects) out of
        # every later pass. Loaded after the automatic collector was turned off, it is all
        # young, and the first look of the GUI thread's collector would scan it: a 70 ms
        # pass (90-300 ms on a busy machine) just before the case rows are painted.
        # gc.freeze() is O(1); the ~500 garbage objects among them (import-time leftovers,
        # measured) stay for good. The window freezes again after its first paint.
        gc.freeze()
        if probe:
            window.first_paint.connect(lambda: _write_probe(Path(probe), started, timings, app))
        window.show()
        splash.close()
        if embedded_server:
            _start_embedded(window)
        return app.exec()
    finally:
        QThreadPool.globalInstance().waitForDone(10_000)
        if window is not None:
            window.sync.stop_embedded()
        workspace.close()
        from fieldsupport.media import reading

        reading.shut_down()  # the photo reading processes kept for imports


def _start_embedded(window: Any) -> None:
    try:
        from fieldsupport.central.embedded import EmbeddedServer
    except ImportError as exc:  # an install without the server's libraries: stay offline
        window.sync.failed.emit(
            QCoreApplication.translate(
                "app", "The embedded demo server is not installed ({0})."
            ).format(exc.name or exc)
        )
        return
    window.sync.start_embedded(EmbeddedServer(window.workspace))


def _write_probe(
    path: Path, started: float, timings: dict[str, float | bool], app: QApplication
) -> None:
    timings["first_paint_s"] = time.perf_counter() - started
    timings["first_paint_at"] = time.time()
    path.write_text(json.dumps(timings), encoding="utf-8")
    QTimer.singleShot(0, app.quit)
