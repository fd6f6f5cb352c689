"""Full-size photo viewer: the upright report-size copy (1600 px), zoom in and out, fit to
the window, previous and next. The image is read in a worker; the dialog never waits on
the disk."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QImage, QImageReader, QKeySequence, QPixmap, QShortcut, QWheelEvent
from PySide6.QtWidgets import (
    QDialog,
    QGraphicsPixmapItem,
    QGraphicsScene,
    QGraphicsView,
    QHBoxLayout,
    QLabel,
    QVBoxLayout,
    QWidget,
)

from fieldsupport.services.photos import PhotoService, PhotoView
from fieldsupport.ui.jobs import JobRunner
from fieldsupport.ui.widgets import format_time, touch_button

ZOOM_STEP = 1.25
MIN_ZOOM, MAX_ZOOM = 0.05, 8.0


def read_upright(path: str) -> QImage:
    reader = QImageReader(path)
    reader.setAutoTransform(True)  # the copies are upright already; an original may not be
    return reader.read()


def upright_job(service: PhotoService, sha256: str) -> Callable[[object], QImage]:
    """A worker job reading a photo upright: its report-size copy - made first from the
    original when it lacks one (a photo synced from another device; Qt cannot read a HEIC
    original itself) - else its original (a null image when neither is on this device)."""
    report = str(service.report_copy_path(sha256))
    original = str(service.store.original_path(sha256))

    def load(_task: object) -> QImage:
        image = read_upright(report)
        if image.isNull() and service.make_copies(sha256):
            image = read_upright(report)
        return image if not image.isNull() else read_upright(original)

    return load


class ZoomView(QGraphicsView):
    zoomed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setScene(QGraphicsScene(self))
        self.item = QGraphicsPixmapItem()
        self.item.setTransformationMode(Qt.TransformationMode.SmoothTransformation)
        self.scene().addItem(self.item)
        self.setDragMode(QGraphicsView.DragMode.ScrollHandDrag)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorUnderMouse)
        self.setBackgroundBrush(Qt.GlobalColor.darkGray)
        self.fitting = True

    @property
    def zoom(self) -> float:
        return self.transform().m11()

    def set_pixmap(self, pixmap: QPixmap) -> None:
        self.item.setPixmap(pixmap)
        self.scene().setSceneRect(self.item.boundingRect())
        self.fit()

    def fit(self) -> None:
        self.fitting = True
        if not self.item.pixmap().isNull():
            self.fitInView(self.item, Qt.AspectRatioMode.KeepAspectRatio)
        self.zoomed.emit()

    def zoom_by(self, factor: float) -> None:
        wanted = min(max(self.zoom * factor, MIN_ZOOM), MAX_ZOOM)
        self.fitting = False
        self.scale(wanted / self.zoom, wanted / self.zoom)
        self.zoomed.emit()

    def actual_size(self) -> None:
        self.fitting = False
        self.resetTransform()
        self.zoomed.emit()

    def wheelEvent(self, event: QWheelEvent) -> None:
        if event.modifiers() & Qt.KeyboardModifier.ControlModifier:
            self.zoom_by(ZOOM_STEP if event.angleDelta().y() > 0 else 1 / ZOOM_STEP)
        else:
            super().wheelEvent(event)

    def resizeEvent(self, event: object) -> None:
        super().resizeEvent(event)  # type: ignore[arg-type]
        if self.fitting:
            self.fit()


class PhotoViewer(QDialog):
    #: the photo at ``index`` is shown (its image has arrived)
    shown = Signal(int)

    def __init__(
        self,
        service: PhotoService,
        photos: list[PhotoView],
        index: int = 0,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Photo"))
        self.setAccessibleName(self.tr("Photo viewer"))
        self.service = service
        self.photos = photos
        self.index = -1
        self.jobs = JobRunner(self)
        self._generation = 0
        self.image = QImage()

        self.view = ZoomView(self)
        self.view.setAccessibleName(self.tr("Photo"))
        self.view.zoomed.connect(self._show_zoom)
        self.caption = QLabel(self)
        self.caption.setAccessibleName(self.tr("Caption"))
        self.caption.setWordWrap(True)
        self.position = QLabel(self)
        self.zoom_label = QLabel(self)
        self.previous_button = touch_button(self.tr("◀ Previous"), self, accessible="Previous")
        self.next_button = touch_button(self.tr("Next ▶"), self, accessible="Next")
        self.zoom_out_button = touch_button("−", self, accessible=self.tr("Zoom out"))
        self.zoom_in_button = touch_button("+", self, accessible=self.tr("Zoom in"))
        self.fit_button = touch_button(self.tr("Fit"), self)
        self.actual_button = touch_button(self.tr("100 %"), self, accessible="Actual size")
        self.close_button = touch_button(self.tr("Close"), self)
        self.previous_button.clicked.connect(lambda: self.go(self.index - 1))
        self.next_button.clicked.connect(lambda: self.go(self.index + 1))
        self.zoom_in_button.clicked.connect(lambda: self.view.zoom_by(ZOOM_STEP))
        self.zoom_out_button.clicked.connect(lambda: self.view.zoom_by(1 / ZOOM_STEP))
        self.fit_button.clicked.connect(self.view.fit)
        self.actual_button.clicked.connect(self.view.actual_size)
        self.close_button.clicked.connect(self.accept)
        for keys, slot in (
            (QKeySequence(Qt.Key.Key_Left), lambda: self.go(self.index - 1)),
            (QKeySequence(Qt.Key.Key_Right), lambda: self.go(self.index + 1)),
            (QKeySequence.StandardKey.ZoomIn, lambda: self.view.zoom_by(ZOOM_STEP)),
            (QKeySequence.StandardKey.ZoomOut, lambda: self.view.zoom_by(1 / ZOOM_STEP)),
            (QKeySequence(Qt.Key.Key_0), self.view.fit),
        ):
            QShortcut(keys, self).activated.connect(slot)

        bar = QHBoxLayout()
        for widget in (self.previous_button, self.next_button, self.position):
            bar.addWidget(widget)
        bar.addStretch(1)
        for widget in (
            self.zoom_out_button,
            self.zoom_label,
            self.zoom_in_button,
            self.fit_button,
            self.actual_button,
            self.close_button,
        ):
            bar.addWidget(widget)
        layout = QVBoxLayout(self)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.caption)
        layout.addLayout(bar)
        self.resize(1000, 760)
        self.go(index)

    def go(self, index: int) -> None:
        if not self.photos or not 0 <= index < len(self.photos) or index == self.index:
            return
        self.index = index
        photo = self.photos[index]
        self.previous_button.setEnabled(index > 0)
        self.next_button.setEnabled(index < len(self.photos) - 1)
        self.position.setText(self.tr("{0} of {1}").format(index + 1, len(self.photos)))
        details = [photo.caption or photo.filename or ""]
        if photo.before_after:
            details.insert(0, self.tr(photo.before_after.value.capitalize()))
        if photo.taken_at:
            details.append(self.tr("taken {0}").format(format_time(photo.taken_at)))
        self.caption.setText(" — ".join(d for d in details if d))
        self._generation += 1
        generation = self._generation
        self.jobs.run(
            upright_job(self.service, photo.display_sha256),
            lambda image: self._loaded(generation, index, image),
        )

    def _loaded(self, generation: int, index: int, image: QImage) -> None:
        if generation != self._generation:
            return
        self.image = image
        if image.isNull():
            self.view.set_pixmap(QPixmap())
            self.caption.setText(
                self.caption.text() + "\n" + self.tr("The photo's file is not on this device.")
            )
        else:
            self.view.set_pixmap(QPixmap.fromImage(image))
        self.shown.emit(index)

    def _show_zoom(self) -> None:
        self.zoom_label.setText(f"{self.view.zoom * 100:.0f} %")
