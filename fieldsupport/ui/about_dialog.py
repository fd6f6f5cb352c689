"""About FieldSupport: version, build, and the licences of the bundled components."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QTextBrowser, QVBoxLayout, QWidget

from fieldsupport import __version__
from fieldsupport.notices import notices_text


def _bundle_file(name: str) -> Path | None:
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle is None:
        return None
    path = Path(bundle) / name
    return path if path.is_file() else None


def build_description() -> str:
    """How this copy was built: the bundle's build record, or a development install."""
    info = _bundle_file("build_info.json")
    if info is None:
        return "development install"
    data = json.loads(info.read_text(encoding="utf-8"))
    return f"built {data.get('built_at', '?')} from {data.get('commit', '?')[:10]}"


def third_party_notices() -> str:
    shipped = _bundle_file("THIRD-PARTY-NOTICES.txt")
    if shipped is not None:
        return shipped.read_text(encoding="utf-8")
    return notices_text()


class AboutDialog(QDialog):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("About FieldSupport"))
        self.setAccessibleName(self.tr("About FieldSupport"))
        self.resize(720, 520)
        self.heading = QLabel(
            self.tr(
                "<h2>FieldSupport {0}</h2><p>Offline-first field technical support. {1}.</p>"
            ).format(__version__, build_description()),
            self,
        )
        self.notices = QTextBrowser(self)
        self.notices.setAccessibleName(self.tr("Third-party licences"))
        self.notices.setPlainText(third_party_notices())
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.heading)
        layout.addWidget(QLabel(self.tr("Third-party components and their licences:"), self))
        layout.addWidget(self.notices, 1)
        layout.addWidget(buttons)
