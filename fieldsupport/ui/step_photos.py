"""The optional photo of a procedure step: chosen by the advisor in the solution editor,
shown to the engineer beside the step when applying the solution.

A step's photo is stored like every photo (once, by hash) and attached to the solution
version it was added to; the step keeps the photo's hash, so later versions keep showing it.
Thumbnails come from the gallery's loader (read in a worker); the full photo opens in the
gallery's viewer.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QIcon, QPixmap
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QToolButton,
    QWidget,
)

from fieldsupport.services.photos import Outcome, PhotoOwner, PhotoService, PhotoView
from fieldsupport.tasks import TaskState
from fieldsupport.ui.jobs import JobRunner
from fieldsupport.ui.operations import Operation
from fieldsupport.ui.photo_grid import FILE_FILTER
from fieldsupport.ui.photo_model import ThumbnailLoader

STEP_ICON = 44  # fits a table row of touch height with a little margin


def step_photo_view(sha256: str, title: str, position: int) -> PhotoView:
    """The viewer's view of a step's picture: the step names it; it is not a gallery photo
    of its own (no caption, order or pair to edit)."""
    return PhotoView(
        id=f"step-{position}-{sha256[:12]}",
        sha256=sha256,
        filename=title,
        media_type="image/jpeg",
        width=None,
        height=None,
        taken_at=None,
        latitude=None,
        longitude=None,
        caption=f"{position}. {title}" if title else None,
        position=position,
        visit_id=None,
    )


def import_step_photo(
    jobs: JobRunner,
    service: PhotoService,
    solution_id: str,
    path: Path,
    on_done: Callable[[str], None],
    on_error: Callable[[BaseException], None],
) -> Operation:
    """Import one picture for a solution version in a worker; ``on_done`` gets its hash (a
    picture already attached to the version is used again), ``on_error`` the reason."""

    def job(task: TaskState) -> str:
        summary = service.import_photos(PhotoOwner(solution_id=solution_id), [path], task)
        (result,) = summary.results
        if result.outcome is Outcome.REFUSED or result.attachment_id is None:
            raise ValueError(f"{path.name}: {result.reason or 'not imported'}")
        return service.photo(result.attachment_id).sha256

    return jobs.run(job, on_done, on_error, label=jobs.tr("Adding the photo…"))


def choose_photo_file(parent: QWidget, on_chosen: Callable[[Path], None]) -> QFileDialog:
    dialog = QFileDialog(parent, parent.tr("Photo of the step"))
    dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
    dialog.setNameFilters([parent.tr(FILE_FILTER), parent.tr("All files (*)")])
    dialog.fileSelected.connect(lambda name: on_chosen(Path(name)))
    dialog.open()
    return dialog


class StepPhotoCell(QWidget):
    """A step's photo in a table cell: its thumbnail (click to view) or "Add photo…", and a
    button to take it off the step."""

    choose = Signal()
    view = Signal()
    changed = Signal()

    def __init__(self, loader: ThumbnailLoader, service: PhotoService, parent: QWidget) -> None:
        super().__init__(parent)
        self._loader = loader
        self._service = service
        self.sha256: str | None = None
        self.editable = True
        self.busy = False
        self.picture = QToolButton(self)
        self.picture.setIconSize(QSize(STEP_ICON, STEP_ICON))
        self.picture.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.picture.setAutoRaise(True)
        self.picture.clicked.connect(self._picture_clicked)
        self.remove = QToolButton(self)
        self.remove.setText("✕")
        self.remove.setAccessibleName(self.tr("Remove the step's photo"))
        self.remove.setToolTip(self.tr("Remove the photo from this step"))
        self.remove.setAutoRaise(True)
        self.remove.clicked.connect(self.clear)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(2, 0, 2, 0)
        layout.setSpacing(2)
        layout.addWidget(self.picture)
        layout.addWidget(self.remove)
        layout.addStretch(1)
        loader.loaded.connect(self._thumbnail_loaded)
        self._show()

    def set_photo(self, sha256: str | None) -> None:
        self.sha256 = sha256
        self.busy = False
        self._show()

    def set_busy(self) -> None:
        self.busy = True
        self._show()

    def set_editable(self, editable: bool) -> None:
        self.editable = editable
        self._show()

    def clear(self) -> None:
        self.set_photo(None)
        self.changed.emit()

    def _picture_clicked(self) -> None:
        if self.sha256 is not None:
            self.view.emit()
        elif self.editable and not self.busy:
            self.choose.emit()

    def _show(self) -> None:
        sha = self.sha256
        if self.busy:
            self.picture.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
            self.picture.setIcon(QIcon())
            self.picture.setText(self.tr("Adding…"))
        elif sha is None:
            self.picture.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
            self.picture.setIcon(QIcon())
            self.picture.setText(self.tr("Add photo…") if self.editable else "")
        else:
            pixmap = self._loader.pixmap(sha, self._service.thumbnail_path(sha))
            self.picture.setIcon(QIcon(pixmap or self._loader.placeholder))
            self.picture.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonIconOnly)
        name = self.tr("Photo of the step") if sha else self.tr("Add a photo to the step")
        self.picture.setAccessibleName(name)
        self.picture.setToolTip(self.tr("View the photo") if sha else name)
        self.picture.setEnabled(sha is not None or (self.editable and not self.busy))
        self.remove.setVisible(sha is not None and self.editable)

    def _thumbnail_loaded(self, sha256: str) -> None:
        if sha256 == self.sha256:
            self._show()

    def thumbnail(self) -> QPixmap:
        return self.picture.icon().pixmap(STEP_ICON, STEP_ICON)
