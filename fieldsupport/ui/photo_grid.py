"""The thumbnail view of a gallery: an icon grid (a case's photos) or a one-row strip (the
few photos of a claim, an application record or a recall action, inside their editors).
Either takes dropped files and images, and says what to do when it is empty."""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent, QPainter, QPaintEvent
from PySide6.QtWidgets import QListView, QWidget

from fieldsupport.ui.photo_import import can_import, files_in, image_in
from fieldsupport.ui.photo_model import ICON_EDGE

FILE_FILTER = "Photos (*.jpg *.jpeg *.png *.heic *.heif *.JPG *.JPEG *.PNG *.HEIC *.HEIF)"
STRIP_EDGE = 84  # thumbnails in a strip: small enough for a dialog, big enough to tell apart


class PhotoGridView(QListView):
    """Icon grid that takes dropped files and images, and says what to do when empty."""

    dropped = Signal(list, object)  # paths, QImage or None
    #: something that can be imported is being dragged over the view
    drag_entered = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setViewMode(QListView.ViewMode.IconMode)
        self.setMovement(QListView.Movement.Static)
        self.setResizeMode(QListView.ResizeMode.Adjust)
        self.setUniformItemSizes(True)  # no per-row size queries: 5,000 photos open at once
        self.setIconSize(QSize(ICON_EDGE, ICON_EDGE))
        self.setGridSize(QSize(ICON_EDGE + 24, ICON_EDGE + 56))  # icon and two lines
        self.setWordWrap(True)
        self.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.setSelectionMode(QListView.SelectionMode.ExtendedSelection)
        self.setSpacing(4)
        self.setLayoutMode(QListView.LayoutMode.Batched)
        self.setBatchSize(200)
        self.setAcceptDrops(True)
        self.viewport().setAcceptDrops(True)
        self.setDragEnabled(False)
        self.setDropIndicatorShown(False)
        self.empty_text = ""

    def make_strip(self, edge: int = STRIP_EDGE) -> None:
        """One row of smaller thumbnails that scrolls sideways, as tall as one item."""
        self.setFlow(QListView.Flow.LeftToRight)
        self.setWrapping(False)
        # a record has a few photos: each item is laid out for its own shape, so a portrait
        # after a landscape does not cover its own label
        self.setUniformItemSizes(False)
        self.setIconSize(QSize(edge, edge))
        grid = QSize(edge + 24, edge + 40)  # icon and one line of label
        self.setGridSize(grid)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scrollbar = self.horizontalScrollBar().sizeHint().height()
        self.setFixedHeight(grid.height() + scrollbar + 2 * self.frameWidth() + 8)

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if can_import(event.mimeData()):
            event.acceptProposedAction()
            self.drag_entered.emit()
        else:
            event.ignore()

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:
        if can_import(event.mimeData()):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event: QDropEvent) -> None:
        mime = event.mimeData()
        paths = files_in(mime)
        image = None if paths else image_in(mime)
        if paths or image is not None:
            event.acceptProposedAction()
            self.dropped.emit(paths, image)
        else:
            event.ignore()

    def paintEvent(self, event: QPaintEvent) -> None:
        super().paintEvent(event)
        model = self.model()
        if self.empty_text and (model is None or model.rowCount() == 0):
            painter = QPainter(self.viewport())
            painter.setPen(self.palette().placeholderText().color())
            painter.drawText(
                self.viewport().rect().adjusted(12, 8, -12, -8),
                Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap,
                self.empty_text,
            )
            painter.end()
