"""Taking photos with the computer's camera (Qt Multimedia).

Where there is no camera (or Qt Multimedia cannot load: a server, a stripped-down system)
the gallery hides its camera button and says why in a short note; a camera plugged in or
removed later shows or hides it (where Qt Multimedia loads, it reports such changes). Each
picture is saved by the camera backend to a temporary folder of its own and handed to the
gallery, which imports it like any other file (and removes the folder afterwards).
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from PySide6.QtCore import QCoreApplication, QObject, Signal
from PySide6.QtWidgets import QComboBox, QDialog, QHBoxLayout, QVBoxLayout, QWidget

from fieldsupport.ui.widgets import InlineMessage, touch_button


def _tr(text: str) -> str:
    return QCoreApplication.translate("PhotoCamera", text)


def camera_status() -> tuple[bool, str]:
    """(a camera can be used, why not: a short note for the gallery). Cheap after the first
    call (~40 ms to load Qt Multimedia), so the gallery asks when it is first shown, not at
    start-up. Why Qt Multimedia does not load is :func:`camera_support_problem`."""
    if camera_support_problem() is not None:
        return False, _tr("No camera support on this computer.")
    from PySide6.QtMultimedia import QMediaDevices

    if not QMediaDevices.videoInputs():
        return False, _tr("No camera found; add photos from files instead.")
    return True, ""


def watch_cameras(parent: QObject, changed: Callable[[], None]) -> QObject | None:
    """Call ``changed`` whenever a camera is plugged in or removed (Qt Multimedia's
    ``QMediaDevices.videoInputsChanged``), for as long as ``parent`` lives; returns the
    object that watches. None where Qt Multimedia cannot load: there is nothing to watch."""
    if camera_support_problem() is not None:
        return None
    from PySide6.QtMultimedia import QMediaDevices

    devices = QMediaDevices(parent)
    devices.videoInputsChanged.connect(changed)
    return devices


def camera_support_problem() -> str | None:
    """Why Qt Multimedia cannot be loaded (a missing system library, e.g. "libpulse.so.0:
    cannot open shared object file"), or None when it loads: for a tooltip and support, not
    for the gallery's note (an engineer cannot act on a library name)."""
    try:
        from PySide6.QtMultimedia import QMediaDevices  # noqa: F401
    except ImportError as exc:
        return str(exc)
    return None


def shot_file(folder: Path, now: datetime | None = None) -> Path:
    """Where the camera saves a picture: named by when it was taken, as a phone names its
    photos (the name is what the gallery, the viewer and the deleted list show)."""
    return folder / (now or datetime.now()).strftime("camera-%Y%m%d-%H%M%S.jpg")


class CameraDialog(QDialog):
    """Live preview, a camera choice when there are several, and "Take photo"."""

    captured = Signal(Path)  # a picture file in a temporary folder of its own

    def __init__(self, parent: QWidget | None = None) -> None:
        from PySide6.QtMultimedia import QImageCapture, QMediaCaptureSession, QMediaDevices
        from PySide6.QtMultimediaWidgets import QVideoWidget

        super().__init__(parent)
        self.setWindowTitle(self.tr("Camera"))
        self.setAccessibleName(self.tr("Camera"))
        self.camera: Any = None
        self.session = QMediaCaptureSession(self)
        self.capture = QImageCapture(self)
        self.capture.setFileFormat(QImageCapture.FileFormat.JPEG)
        self.capture.setQuality(QImageCapture.Quality.VeryHighQuality)
        self.session.setImageCapture(self.capture)
        self.preview = QVideoWidget(self)
        self.preview.setAccessibleName(self.tr("Camera preview"))
        self.preview.setMinimumSize(480, 360)
        self.session.setVideoOutput(self.preview)
        self.devices = QComboBox(self)
        self.devices.setAccessibleName(self.tr("Camera"))
        for device in QMediaDevices.videoInputs():
            self.devices.addItem(device.description(), device)
        self.devices.setVisible(self.devices.count() > 1)
        self.devices.currentIndexChanged.connect(self._use_device)
        self.message = InlineMessage(self)
        self.take_button = touch_button(self.tr("Take photo"), self)
        self.take_button.setEnabled(False)
        self.take_button.clicked.connect(self.take)
        close = touch_button(self.tr("Close"), self)
        close.clicked.connect(self.accept)
        self.capture.readyForCaptureChanged.connect(self.take_button.setEnabled)
        self.capture.imageSaved.connect(self._saved)
        self.capture.errorOccurred.connect(self._capture_error)
        buttons = QHBoxLayout()
        buttons.addWidget(self.devices, 1)
        buttons.addWidget(self.take_button)
        buttons.addWidget(close)
        layout = QVBoxLayout(self)
        layout.addWidget(self.preview, 1)
        layout.addWidget(self.message)
        layout.addLayout(buttons)
        self._folders: dict[int, Path] = {}
        self._use_device(self.devices.currentIndex())

    def _use_device(self, index: int) -> None:
        from PySide6.QtMultimedia import QCamera

        if self.camera is not None:
            self.camera.stop()
            self.camera.deleteLater()
        device = self.devices.itemData(index)
        if device is None:
            self.message.show_error(self.tr("No camera found."))
            return
        self.camera = QCamera(device, self)
        self.camera.errorOccurred.connect(
            lambda _error, text: self.message.show_error(self.tr("Camera: {0}").format(text))
        )
        self.session.setCamera(self.camera)
        self.camera.start()

    def take(self) -> None:
        folder = Path(tempfile.mkdtemp(prefix="fieldsupport-camera-"))
        request = self.capture.captureToFile(str(shot_file(folder)))
        if request < 0:
            folder.rmdir()
            self.message.show_error(self.tr("The camera is not ready; try again."))
            return
        self._folders[request] = folder
        self.message.show_info(self.tr("Saving the photo…"))

    def _saved(self, request: int, file_name: str) -> None:
        self._folders.pop(request, None)
        self.message.show_info(self.tr("Photo taken; it is being added to the case."))
        self.captured.emit(Path(file_name))

    def _capture_error(self, request: int, _error: object, text: str) -> None:
        folder = self._folders.pop(request, None)
        if folder is not None:
            for leftover in folder.iterdir():
                leftover.unlink(missing_ok=True)
            folder.rmdir()
        self.message.show_error(self.tr("The photo could not be taken: {0}").format(text))

    def done(self, result: int) -> None:
        if self.camera is not None:
            self.camera.stop()
        super().done(result)
