"""Application start-up: QApplication, workspace, first window."""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QLocale, QThreadPool, QTimer, QTranslator
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication, QMessageBox

from fieldsupport import __version__
from fieldsupport.errors import FieldSupportError
from fieldsupport.resources import resource_path
from fieldsupport.workspace import Workspace

# Diagnostics for benchmarks/: write start-up timings to this file and quit after first paint.
STARTUP_PROBE_ENV = "FIELDSUPPORT_STARTUP_PROBE"


def make_application(argv: list[str] | None = None) -> QApplication:
    existing = QApplication.instance()
    if isinstance(existing, QApplication):
        return existing
    QCoreApplication.setOrganizationName("FieldSupport")
    QCoreApplication.setApplicationName("FieldSupport")
    QCoreApplication.setApplicationVersion(__version__)
    app = QApplication(argv if argv is not None else sys.argv[:1])
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


def run_app(workspace_path: str | None) -> int:
    started = time.perf_counter()
    app = make_application()
    try:
        workspace = Workspace.open(workspace_path)
    except FieldSupportError as exc:
        QMessageBox.critical(None, QCoreApplication.translate("app", "FieldSupport"), str(exc))
        return 1
    from fieldsupport.ui.main_window import MainWindow  # after the workspace: fail fast

    try:
        window = MainWindow(workspace)
        probe = os.environ.get(STARTUP_PROBE_ENV)
        if probe:
            window.first_paint.connect(lambda: _write_probe(Path(probe), started, app))
        window.show()
        return app.exec()
    finally:
        QThreadPool.globalInstance().waitForDone(10_000)
        workspace.close()


def _write_probe(path: Path, started: float, app: QApplication) -> None:
    path.write_text(json.dumps({"first_paint_s": time.perf_counter() - started}), encoding="utf-8")
    QTimer.singleShot(0, app.quit)
