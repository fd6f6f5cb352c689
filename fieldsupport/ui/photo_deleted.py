"""Deleted photos of a gallery, to restore one (deletion is a tombstone until it syncs).
Each shows its thumbnail (read in the worker that lists them): a file name alone does not
tell an engineer which of twenty site photos it was."""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QIcon, QImage, QPixmap
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QVBoxLayout,
    QWidget,
)

from fieldsupport.services.photos import PhotoOwner, PhotoService, PhotoView
from fieldsupport.ui.jobs import JobRunner
from fieldsupport.ui.photo_model import read_thumbnail
from fieldsupport.ui.widgets import InlineMessage, format_time, touch_button

ICON_EDGE = 72  # enough to recognise a photo; the list stays a list


class DeletedPhotosDialog(QDialog):
    restored = Signal(str)  # photo id
    #: the list was loaded (tests wait for it)
    loaded = Signal()

    def __init__(self, service: PhotoService, owner: PhotoOwner, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle(self.tr("Deleted photos"))
        self.setAccessibleName(self.tr("Deleted photos"))
        self.service, self.owner = service, owner
        self.jobs = JobRunner(self)
        self.list = QListWidget(self)
        self.list.setAccessibleName(self.tr("Deleted photos"))
        self.list.setWordWrap(True)
        self.list.setIconSize(QSize(ICON_EDGE, ICON_EDGE))
        self.list.currentRowChanged.connect(lambda row: self.restore_button.setEnabled(row >= 0))
        self.note = QLabel(self.tr("Deleted photos can be restored until they are synced."), self)
        self.note.setWordWrap(True)
        self.message = InlineMessage(self)
        self.restore_button = touch_button(self.tr("Restore"), self)
        self.restore_button.setEnabled(False)
        self.restore_button.clicked.connect(self.restore_current)
        close = touch_button(self.tr("Close"), self)
        close.clicked.connect(self.accept)
        buttons = QHBoxLayout()
        buttons.addWidget(self.restore_button)
        buttons.addStretch(1)
        buttons.addWidget(close)
        layout = QVBoxLayout(self)
        layout.addWidget(self.note)
        layout.addWidget(self.list, 1)
        layout.addWidget(self.message)
        layout.addLayout(buttons)
        self.resize(520, 420)
        self.reload()

    def reload(self) -> None:
        owner, service = self.owner, self.service

        def job(_task: object) -> list[tuple[PhotoView, QImage]]:
            return [
                (photo, read_thumbnail(service.thumbnail_path(photo.display_sha256), ICON_EDGE))
                for photo in service.deleted_photos(owner)
            ]

        self.jobs.run(job, self._show, self._error)

    def _show(self, photos: list[tuple[PhotoView, QImage]]) -> None:
        self.list.clear()
        for photo, thumbnail in photos:
            text = self.tr("{0} — deleted {1}").format(
                photo.caption or photo.filename or self.tr("Photo"),
                format_time(photo.deleted_at),
            )
            item = QListWidgetItem(text)
            if not thumbnail.isNull():  # a file not on this device: the text alone
                item.setIcon(QIcon(QPixmap.fromImage(thumbnail)))
            item.setData(Qt.ItemDataRole.UserRole, photo.id)
            self.list.addItem(item)
        if not photos:
            self.list.addItem(self.tr("No deleted photos here."))
            self.list.item(0).setFlags(Qt.ItemFlag.NoItemFlags)
        self.restore_button.setEnabled(False)
        self.loaded.emit()

    def restore_current(self) -> None:
        item = self.list.currentItem()
        photo_id = item.data(Qt.ItemDataRole.UserRole) if item is not None else None
        if not photo_id:
            return
        service = self.service

        def done(_result: object) -> None:
            self.message.show_info(self.tr("Restored."))
            self.restored.emit(photo_id)
            self.reload()

        self.jobs.run(lambda _task: service.restore(photo_id), done, self._error)

    def _error(self, error: BaseException) -> None:
        self.message.show_failure(error, self.jobs.show_error)
