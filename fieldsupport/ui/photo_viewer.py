"""Full-size photo viewer: zoom in and out, fit to the window, previous and next.

A photo shows first as its upright report-size copy (1600 px, read in a worker). The scene
is laid out in the original's pixels, so "100 %" is the photo's own size; when the zoom goes
past what the copy resolves (its pixels would be magnified on the screen) the original is
decoded whole and upright in a worker (~0.5 s for 12 MP) and drawn instead, and the copy is
drawn again when zoomed back out (a smoother picture at small sizes than the large image
scaled down on the fly). Decoding the original only on such a zoom, not after every photo
shown, keeps paging through a case quick and light on a two-core laptop: most photos are
only looked at fitted to the window. At most one full-size image is held (~48 MB for 12 MP
at 4 bytes a pixel): the one of the photo shown, dropped when another is shown, and one
decode at a time. A photo drawn on shows its marks at full size too: they are drawn again on
the original, in the worker (marks are vector data). Where the original is not on the device,
cannot be read or is damaged, the copy stays, with a note saying why. HEIC originals, which
Qt cannot read, are decoded through Pillow (pi-heif). The dialog never waits on the disk."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QRectF, QSize, Qt, Signal
from PySide6.QtGui import (
    QImage,
    QImageIOHandler,
    QImageReader,
    QKeySequence,
    QPainter,
    QShortcut,
    QWheelEvent,
)
from PySide6.QtWidgets import (
    QDialog,
    QGraphicsItem,
    QGraphicsScene,
    QGraphicsView,
    QHBoxLayout,
    QLabel,
    QStyleOptionGraphicsItem,
    QVBoxLayout,
    QWidget,
)

from fieldsupport.media import annotate
from fieldsupport.media.images import FULL_MAX_PIXELS, ImageRefused, facts, upright_full
from fieldsupport.services.photos import PhotoService, PhotoView
from fieldsupport.ui.jobs import JobRunner
from fieldsupport.ui.widgets import fit_to_screen, format_time, touch_button

log = logging.getLogger(__name__)

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


def upright_size(path: Path) -> QSize:
    """The upright size of a photo file from its header (no pixels decoded); an invalid size
    when it is missing or not a photo."""
    reader = QImageReader(str(path))
    reader.setAutoTransform(True)
    size = reader.size()
    if size.isValid():
        turned = reader.transformation() & QImageIOHandler.Transformation.TransformationRotate90
        return size.transposed() if turned else size
    try:  # a HEIC: Qt cannot read it, Pillow (pi-heif) can
        found = facts(path)
    except (ImageRefused, OSError):
        return QSize()
    return QSize(found.width, found.height)


@dataclass(frozen=True)
class Opened:
    """A photo's first picture (its copy), the upright size of its original (invalid when
    the original is not on the device or cannot be read) and then why not."""

    image: QImage
    original_size: QSize
    problem: str = ""


def opened_job(service: PhotoService, photo: PhotoView) -> Callable[[object], Opened]:
    shown = upright_job(service, photo.display_sha256)
    original = service.store.original_path(photo.sha256)  # an annotated one: marks redrawn

    def load(task: object) -> Opened:
        image = shown(task)
        if not original.is_file():
            return Opened(image, QSize(), "The original photo is not on this device (yet)")
        size = upright_size(original)
        return Opened(image, size, "" if size.isValid() else "The original photo cannot be read")

    return load


class FullSizeUnavailable(Exception):
    """The original cannot be shown at full size; the message says why."""


def _whole_jpeg(path: Path) -> bool:
    """A JPEG that ends as a JPEG ends: Qt reads a truncated one without an error (grey where
    the data stops), so only these go through Qt; the rest through Pillow, which is strict (a
    file with data after the picture, a phone's motion photo, is read by it too)."""
    with open(path, "rb") as file:
        if file.read(3) != b"\xff\xd8\xff":
            return False
        file.seek(0, 2)
        file.seek(max(0, file.tell() - 64))
        return file.read().rstrip(b"\x00\r\n ").endswith(b"\xff\xd9")


def read_full_size(
    path: Path, marks: list[dict[str, Any]] | None = None, max_pixels: int = FULL_MAX_PIXELS
) -> QImage:
    """A photo's original decoded whole and upright (in a worker), ``marks`` drawn on it;
    reduced to ``max_pixels`` when larger. Raises FullSizeUnavailable with the reason."""
    if not path.is_file():
        raise FullSizeUnavailable("The original photo is not on this device (yet)")
    try:
        if not marks and _whole_jpeg(path):  # the common case, through Qt: quicker, leaner
            reader = QImageReader(str(path))
            reader.setAutoTransform(True)
            size = reader.size()  # before the EXIF turn, as the scaled size is
            if size.isValid() and size.width() * size.height() > max_pixels:
                factor = (max_pixels / (size.width() * size.height())) ** 0.5
                reader.setScaledSize(
                    QSize(max(1, int(size.width() * factor)), max(1, int(size.height() * factor)))
                )
            image = reader.read()
            if not image.isNull():
                if image.format() not in (QImage.Format.Format_RGB32, QImage.Format.Format_ARGB32):
                    image = image.convertToFormat(QImage.Format.Format_RGB32)
                return image
        full = upright_full(
            path,
            draw=(lambda image: annotate.draw_marks(image, marks)) if marks else None,
            max_pixels=max_pixels,
        )
    except ImageRefused as exc:
        raise FullSizeUnavailable(f"The original photo cannot be read: {exc}") from None
    except MemoryError:
        raise FullSizeUnavailable("Not enough memory to open the original photo") from None
    except OSError as exc:
        raise FullSizeUnavailable(
            f"The original photo cannot be read ({exc.strerror or exc})"
        ) from None
    wrapped = QImage(
        full.rgbx, full.width, full.height, full.width * 4, QImage.Format.Format_RGBX8888
    )
    return wrapped.convertToFormat(QImage.Format.Format_RGB32)  # its own pixels, quick to draw


def full_size_job(
    service: PhotoService, photo: PhotoView, max_pixels: int = FULL_MAX_PIXELS
) -> Callable[[object], QImage]:
    """A worker job decoding what a photo shows at full size: the original upright, with the
    marks drawn on it again when it was drawn on (the annotated copy itself is report-size)."""
    original = service.store.original_path(photo.sha256)
    marks = [dict(mark) for mark in photo.marks] if photo.annotation_id else None

    def load(_task: object) -> QImage:
        return read_full_size(original, marks, max_pixels)

    return load


class PhotoItem(QGraphicsItem):
    """The photo laid out in its original's pixels: draws the report-size copy, or the
    full-size image once there and the zoom is past what the copy resolves."""

    def __init__(self) -> None:
        super().__init__()
        self.copy = QImage()
        self.full = QImage()
        self.rect = QRectF()

    def set_photo(self, copy: QImage, size: QSize) -> None:
        self.prepareGeometryChange()
        self.copy, self.full = copy, QImage()
        self.rect = QRectF(0, 0, size.width(), size.height()) if not copy.isNull() else QRectF()
        self.update()

    def set_full(self, image: QImage) -> None:
        self.full = image
        self.update()

    def copy_resolution(self) -> float:
        """Copy pixels per scene (original) pixel: past this zoom the copy is magnified."""
        return self.copy.width() / self.rect.width() if self.rect.width() else 1.0

    def drawn(self, scale: float) -> QImage:
        """The image drawn at ``scale`` device pixels per original pixel."""
        if not self.full.isNull() and scale > self.copy_resolution() * 1.001:
            return self.full
        return self.copy

    def boundingRect(self) -> QRectF:
        return self.rect

    def paint(
        self, painter: QPainter, _option: QStyleOptionGraphicsItem, _widget: Any = None
    ) -> None:
        if self.copy.isNull():
            return
        device = painter.device()
        ratio = device.devicePixelRatio() if device is not None else 1.0
        image = self.drawn(abs(painter.worldTransform().m11()) * ratio)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, True)
        painter.drawImage(self.rect, image, QRectF(image.rect()))


class ViewNote(QLabel):
    """A note laid over the top of the photo (not in the layout: showing it must not resize
    the view, which would change the zoom of a fitted photo)."""

    def __init__(self, view: QWidget) -> None:
        super().__init__(view)
        self.setWordWrap(True)
        self.setAccessibleName(self.tr("Full size"))
        self.setStyleSheet(
            "background: rgba(20, 20, 20, 190); color: white; padding: 6px; border-radius: 4px;"
        )
        self.hide()

    def show_info(self, text: str) -> None:
        self.setText(text)
        self.place()
        self.show()
        self.raise_()

    def clear_message(self) -> None:
        self.setText("")
        self.hide()

    def place(self) -> None:
        parent = self.parentWidget()
        width = max(120, parent.width() - 24)
        self.setFixedWidth(
            min(width, max(120, self.fontMetrics().horizontalAdvance(self.text()) + 24))
        )
        self.adjustSize()
        self.move(12, 12)


class ZoomView(QGraphicsView):
    zoomed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setScene(QGraphicsScene(self))
        self.item = PhotoItem()
        self.scene().addItem(self.item)
        self.setDragMode(QGraphicsView.DragMode.ScrollHandDrag)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorUnderMouse)
        self.setBackgroundBrush(Qt.GlobalColor.darkGray)
        self.fitting = True
        self.note = ViewNote(self)

    @property
    def zoom(self) -> float:
        """Screen pixels per pixel of the original photo (1 = "100 %")."""
        return self.transform().m11()

    def copy_outgrown(self, *, or_reached: bool = False) -> bool:
        """The copy's pixels are magnified on the screen at this zoom (``or_reached``: or
        shown one to one): the original shows more."""
        scale = self.zoom * self.devicePixelRatioF()
        limit = self.item.copy_resolution() * (0.999 if or_reached else 1.001)
        return not self.item.copy.isNull() and scale > limit

    def set_photo(self, copy: QImage, size: QSize) -> None:
        self.item.set_photo(copy, size)
        self.scene().setSceneRect(self.item.boundingRect())
        self.fit()

    def fit(self) -> None:
        self.fitting = True
        if not self.item.copy.isNull():
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
        if not self.note.isHidden():
            self.note.place()
        if self.fitting:
            self.fit()


class PhotoViewer(QDialog):
    #: the photo at ``index`` is shown (its image has arrived)
    shown = Signal(int)
    #: the photo at ``index`` is shown at full size (its original has been decoded)
    full_shown = Signal(int)
    #: the most pixels a photo is decoded at (a 108 or 200 MP photo is shown reduced to it)
    full_max_pixels = FULL_MAX_PIXELS

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
        self.image = QImage()  # the copy shown first
        self.full_image = QImage()  # the original, once decoded (of the photo shown only)
        #: what the full-size image of the photo shown is doing: "opening" (its copy is not
        #: here yet), "" (not asked for), "none" (the copy is the whole photo), "loading",
        #: "shown" or "failed"
        self.full_state = ""
        self._problem = ""  # why the full-size image cannot be shown
        self._original_size = QSize()
        self._decoding = False  # one full-size decode at a time

        self.view = ZoomView(self)
        self.view.setAccessibleName(self.tr("Photo"))
        self.view.zoomed.connect(self._zoom_changed)
        self.caption = QLabel(self)
        self.caption.setAccessibleName(self.tr("Caption"))
        self.caption.setWordWrap(True)
        self.note = self.view.note
        self.position = QLabel(self)
        self.zoom_label = QLabel(self)
        self.zoom_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        # as wide as its widest text: the bar does not move as the zoom changes
        self.zoom_label.setMinimumWidth(
            self.zoom_label.fontMetrics().horizontalAdvance("800 %") + 8
        )
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
        fit_to_screen(self, 1000, 760)
        self.go(index)

    def done(self, result: int) -> None:
        """Closed: its images go now (a closed dialog lives on as its parent's child), and a
        decode still on its way is not kept when it arrives."""
        self._generation += 1
        self.full_image = QImage()
        self.image = QImage()
        self.view.item.set_photo(QImage(), QSize())
        self.full_state = ""
        super().done(result)

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
        self.note.clear_message()
        self._generation += 1
        generation = self._generation
        # the previous photo's full-size image goes now, before the next one can be decoded
        self.full_image = QImage()
        self.view.item.set_full(QImage())
        self.full_state = "opening"
        self._problem = ""
        self.jobs.run(
            opened_job(self.service, photo),
            lambda opened: self._loaded(generation, index, opened),
        )

    def _loaded(self, generation: int, index: int, opened: Opened) -> None:
        if generation != self._generation:
            return
        image = opened.image
        self.image = image
        self.full_state = ""
        if image.isNull():
            self._original_size = QSize()
            self.view.set_photo(QImage(), QSize())
            self.caption.setText(
                self.caption.text() + "\n" + self.tr("The photo's file is not on this device.")
            )
        else:
            size = opened.original_size
            if not size.isValid() or _aspect_differs(size, image.size()):
                size = image.size()  # the original is unknown here: the copy is all there is
                self.full_state = "failed"
                self._problem = opened.problem or self.tr(
                    "The original photo is not the picture its copy shows"
                )
            elif size.width() <= image.width():
                self.full_state = "none"  # the copy is the whole photo (a small one)
            self._original_size = size
            self.view.set_photo(image, size)
        self.shown.emit(index)

    def _zoom_changed(self) -> None:
        self.zoom_label.setText(f"{self.view.zoom * 100:.0f} %")
        if self.full_state == "failed":
            # said once the copy is shown at its own size or larger, where it matters
            if self.view.copy_outgrown(or_reached=True) and self.note.isHidden():
                self.note.show_info(self._unavailable(self._problem))
            return
        if not self.view.copy_outgrown() or self.full_state in (
            "opening",
            "none",
            "loading",
            "shown",
        ):
            return
        self._start_full()

    def _start_full(self) -> None:
        self.full_state = "loading"
        self.note.show_info(self.tr("Opening the photo at full size…"))
        if self._decoding:
            return  # started when the decode running (of an earlier photo) has ended
        self._decoding = True
        generation, index = self._generation, self.index
        self.jobs.run(
            full_size_job(self.service, self.photos[index], self.full_max_pixels),
            lambda image: self._full_loaded(generation, index, image),
            lambda error: self._full_failed(generation, error),
        )

    def _full_loaded(self, generation: int, index: int, image: QImage) -> None:
        self._decoding = False
        if generation != self._generation:  # another photo is shown: not kept
            if self.full_state == "loading":
                self._start_full()
            return
        self.full_image = image
        self.full_state = "shown"
        self.view.item.set_full(image)
        original = self._original_size
        if image.width() * image.height() < 0.99 * original.width() * original.height():
            # more pixels than the viewer holds at once: said, not passed off as the whole
            self.note.show_info(
                self.tr(
                    "This photo has {0:.0f} megapixels; it is shown reduced to {1} × {2}, the "
                    "most the viewer opens at once. The original is kept whole."
                ).format(original.width() * original.height() / 1e6, image.width(), image.height())
            )
        else:
            self.note.clear_message()
        self.full_shown.emit(index)

    def _full_failed(self, generation: int, error: BaseException) -> None:
        self._decoding = False
        if generation != self._generation:
            if self.full_state == "loading":
                self._start_full()
            return
        if not isinstance(error, FullSizeUnavailable):
            log.error("full-size photo failed: %s", error, exc_info=error)
        self.full_state = "failed"
        self._problem = str(error)
        self.note.show_info(self._unavailable(self._problem))

    def _unavailable(self, why: str) -> str:
        return self.tr("{0}; showing the report-size copy ({1} × {2}).").format(
            why.rstrip("."), self.image.width(), self.image.height()
        )


def show_viewer(
    previous: PhotoViewer | None,
    service: PhotoService,
    photos: list[PhotoView],
    index: int,
    parent: QWidget,
) -> PhotoViewer:
    """A viewer opened in place of the one its parent showed before, which is let go of
    (once its jobs have ended: their answers go to it)."""
    if previous is not None and not previous.jobs.busy:
        previous.deleteLater()
    viewer = PhotoViewer(service, photos, index, parent)
    viewer.open()
    return viewer


def _aspect_differs(original: QSize, copy: QSize) -> bool:
    """The original's shape is not the copy's (some other picture): its size would stretch
    the copy, so the copy is shown at its own. The copy's short edge is rounded to a pixel."""
    if min(original.width(), original.height(), copy.width(), copy.height()) <= 0:
        return True
    if original.width() >= original.height():
        expected = original.height() * copy.width() / original.width()
        return abs(expected - copy.height()) > 2
    expected = original.width() * copy.height() / original.height()
    return abs(expected - copy.width()) > 2
