"""Settings of this workspace (Tools → Settings…). For now the photo privacy setting: whether
the copies of photos that leave the device (in reports and through sync) carry the GPS
position the phone or camera wrote into them. On by default; a company may switch it off
when it wants the positions on the server.

The setting lives in the workspace (``PhotoService.strip_gps_outgoing``), so it travels with
the workspace, not with the Qt settings of one computer's user. Reading and writing it are
single small transactions, run in a worker like every database call of the UI.
"""

from __future__ import annotations

from PySide6.QtCore import Signal, Slot
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QGroupBox,
    QLabel,
    QVBoxLayout,
    QWidget,
)

from fieldsupport.services.photos import PhotoService
from fieldsupport.ui.jobs import JobRunner
from fieldsupport.ui.widgets import TOUCH_HEIGHT, InlineMessage


class SettingsDialog(QDialog):
    #: the settings were read and shown (tests wait for it)
    loaded = Signal()
    #: the settings were saved
    saved = Signal()

    def __init__(self, photos: PhotoService, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Settings"))
        self.setAccessibleName(self.tr("Settings"))
        self._photos = photos
        self.jobs = JobRunner(self)
        self.strip_gps = QCheckBox(
            self.tr("Strip GPS location from photos that leave this device"), self
        )
        self.strip_gps.setAccessibleName(self.tr("Strip GPS location from outgoing photos"))
        self.strip_gps.setMinimumHeight(TOUCH_HEIGHT)
        self.strip_gps.setEnabled(False)  # until the current value has been read
        explanation = QLabel(
            self.tr(
                "Applies to the copies in service reports and to the photos sent to the "
                "central server when syncing. The photos on this device keep their "
                "position. Switch it off only if your company's policy wants photo "
                "positions on the server."
            ),
            self,
        )
        explanation.setWordWrap(True)
        explanation.setStyleSheet("color: palette(placeholder-text);")
        privacy = QGroupBox(self.tr("Photo privacy"), self)
        box = QVBoxLayout(privacy)
        box.addWidget(self.strip_gps)
        box.addWidget(explanation)
        self.message = InlineMessage(self)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel, self
        )
        self.save_button = buttons.button(QDialogButtonBox.StandardButton.Save)
        self.save_button.setEnabled(False)
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(privacy)
        layout.addWidget(self.message)
        layout.addStretch(1)
        layout.addWidget(buttons)
        self.resize(520, 260)
        self.jobs.run(lambda _task: photos.strip_gps_outgoing(), self._show, self._failed)

    def _show(self, strip_gps: bool) -> None:
        self.strip_gps.setChecked(strip_gps)
        self.strip_gps.setEnabled(True)
        self.save_button.setEnabled(True)
        self.loaded.emit()

    def _failed(self, error: BaseException) -> None:
        self.message.show_failure(error, self.jobs.show_error)

    @Slot()
    def save(self) -> None:
        photos, strip_gps = self._photos, self.strip_gps.isChecked()
        self.save_button.setEnabled(False)

        def done(_result: object) -> None:
            self.saved.emit()
            self.accept()

        def failed(error: BaseException) -> None:
            self.save_button.setEnabled(True)
            self._failed(error)

        self.jobs.run(lambda _task: photos.set_strip_gps_outgoing(strip_gps), done, failed)
