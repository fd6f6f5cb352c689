"""The gallery's item model and its thumbnail loader.

The model keeps only the small photo records of the gallery (ids, hashes, captions). A
thumbnail is read from the blob store's thumbnail file in a worker the first time the view
asks for it (only visible items are asked for), scaled there to the icon size, and shown when
it arrives; until then a placeholder is painted. A bounded cache keeps the most recently
shown thumbnails, so a 5,000-photo case does not keep 5,000 images in memory.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import (
    QAbstractListModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtGui import QColor, QImage, QImageReader, QPainter, QPixmap

from fieldsupport.models.enums import BeforeAfter
from fieldsupport.services.photos import PhotoView
from fieldsupport.tasks import TaskState
from fieldsupport.ui.jobs import JobRunner
from fieldsupport.ui.widgets import format_time

ICON_EDGE = 160
CACHE_SIZE = 600
BATCH = 24  # thumbnails per worker job: a few ms each, so a batch stays well under 100 ms
PhotoRole = Qt.ItemDataRole.UserRole + 1
Index = QModelIndex | QPersistentModelIndex


def read_thumbnail(path: Path, edge: int) -> QImage:
    """A thumbnail file read at ``edge`` px at most (in a worker: QImage, not QPixmap)."""
    reader = QImageReader(str(path))
    reader.setAutoTransform(True)
    size = reader.size()
    if size.isValid() and max(size.width(), size.height()) > edge:
        reader.setScaledSize(size.scaled(edge, edge, Qt.AspectRatioMode.KeepAspectRatio))
    return reader.read()  # a null image when the file is missing or unreadable


class ThumbnailLoader(QObject):
    """Loads thumbnails in batches off the GUI thread, most recently requested first."""

    loaded = Signal(str)  # sha256

    def __init__(
        self,
        jobs: JobRunner,
        parent: QObject | None = None,
        *,
        edge: int = ICON_EDGE,
        make_missing: Callable[[str], bool] | None = None,
    ) -> None:
        """``edge``: the long edge thumbnails are read at (the view draws a pixmap at its
        own size, so a strip of small icons needs small pixmaps). ``make_missing(sha256)``
        (run in the worker) makes a thumbnail file that is not there from the photo's
        original, True when it did (a photo that came from another device through sync)."""
        super().__init__(parent)
        self._jobs = jobs
        self.edge = edge
        self._make_missing = make_missing
        self._cache: OrderedDict[str, QPixmap] = OrderedDict()
        self._pending: OrderedDict[str, Path] = OrderedDict()
        self._failed: set[str] = set()
        self._busy = False
        self.placeholder = _placeholder(QColor("#d9dde3"), "", edge)
        self.missing = _placeholder(QColor("#f1d3d0"), "?", edge)

    def pixmap(self, sha256: str, path: Path) -> QPixmap | None:
        """The cached thumbnail, or None (then it is queued and ``loaded`` follows)."""
        pixmap = self._cache.get(sha256)
        if pixmap is not None:
            self._cache.move_to_end(sha256)
            return pixmap
        if sha256 in self._failed:
            return self.missing
        self._pending[sha256] = path
        self._pending.move_to_end(sha256)
        self._start()
        return None

    def forget_pending(self) -> None:
        """Drop queued requests (a different gallery is shown)."""
        self._pending.clear()

    def retry_missing(self) -> None:
        """Try the thumbnails that could not be read again when next asked for (a sync may
        have brought their originals since)."""
        self._failed.clear()

    def _start(self) -> None:
        if self._busy or not self._pending:
            return
        batch = []
        while self._pending and len(batch) < BATCH:
            batch.append(self._pending.popitem(last=True))  # newest request first

        edge, make_missing = self.edge, self._make_missing

        def job(task: TaskState) -> list[tuple[str, QImage]]:
            images = []
            for sha256, path in batch:
                task.check()
                image = read_thumbnail(path, edge)
                if image.isNull() and make_missing is not None and make_missing(sha256):
                    image = read_thumbnail(path, edge)
                images.append((sha256, image))
            return images

        self._busy = True
        self._jobs.run(job, self._apply, self._failed_batch)

    def _apply(self, images: list[tuple[str, QImage]]) -> None:
        self._busy = False
        for sha256, image in images:
            if image.isNull():
                self._failed.add(sha256)
            else:
                self._cache[sha256] = QPixmap.fromImage(image)
                while len(self._cache) > CACHE_SIZE:
                    self._cache.popitem(last=False)
            self.loaded.emit(sha256)
        self._start()

    def _failed_batch(self, _error: BaseException) -> None:
        self._busy = False
        self._start()

    @property
    def busy(self) -> bool:
        return self._busy or bool(self._pending)


def _placeholder(colour: QColor, text: str, edge: int) -> QPixmap:
    pixmap = QPixmap(edge, edge * 3 // 4)
    pixmap.fill(colour)
    if text:
        painter = QPainter(pixmap)
        font = painter.font()
        font.setPixelSize(edge // 4)
        painter.setFont(font)
        painter.setPen(QColor("#8a2a22"))
        painter.drawText(pixmap.rect(), Qt.AlignmentFlag.AlignCenter, text)
        painter.end()
    return pixmap


class PhotoListModel(QAbstractListModel):
    def __init__(self, loader: ThumbnailLoader, thumbnail_path: Any, parent: QObject) -> None:
        super().__init__(parent)
        self._photos: list[PhotoView] = []
        self._rows_of: dict[str, list[int]] = {}
        self._loader = loader
        self._thumbnail_path = thumbnail_path
        loader.loaded.connect(self._thumbnail_loaded)

    # -- contents ---------------------------------------------------------------------------
    def set_photos(self, photos: list[PhotoView]) -> None:
        self.beginResetModel()
        self._photos = list(photos)
        self._rows_of = {}
        for row, photo in enumerate(self._photos):
            self._rows_of.setdefault(photo.display_sha256, []).append(row)
        self.endResetModel()

    def photos(self) -> list[PhotoView]:
        return list(self._photos)

    def photo(self, row: int) -> PhotoView:
        return self._photos[row]

    def row_of(self, photo_id: str) -> int:
        for row, photo in enumerate(self._photos):
            if photo.id == photo_id:
                return row
        return -1

    # -- Qt model ---------------------------------------------------------------------------
    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._photos)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._photos):
            return None
        photo = self._photos[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return self._label(photo)
        if role == Qt.ItemDataRole.DecorationRole:
            sha = photo.display_sha256
            return self._loader.pixmap(sha, self._thumbnail_path(sha)) or self._loader.placeholder
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(photo)
        if role == Qt.ItemDataRole.AccessibleTextRole:
            return self._label(photo) or self.tr("Photo {0}").format(index.row() + 1)
        if role == Qt.ItemDataRole.UserRole:
            return photo.id
        if role == PhotoRole:
            return photo
        return None

    def _label(self, photo: PhotoView) -> str:
        parts = []
        if photo.before_after is BeforeAfter.BEFORE:
            parts.append(self.tr("Before"))
        elif photo.before_after is BeforeAfter.AFTER:
            parts.append(self.tr("After"))
        if photo.pair_id:
            parts[-1:] = [parts[-1] + " \u21c4"] if parts else ["\u21c4"]
        if photo.annotation_id:
            parts.append("\u270e")  # drawn on
        parts.append(photo.caption or "")
        return " · ".join(p for p in parts if p)

    def _tooltip(self, photo: PhotoView) -> str:
        lines = [photo.filename or self.tr("Photo")]
        if photo.caption:
            lines.append(photo.caption)
        if photo.width and photo.height:
            lines.append(f"{photo.width} × {photo.height}")
        if photo.taken_at:
            lines.append(self.tr("Taken {0}").format(format_time(photo.taken_at)))
        if photo.annotation_id:
            lines.append(self.tr("With marks drawn on it (the original is kept)"))
        return "\n".join(lines)

    def _thumbnail_loaded(self, sha256: str) -> None:
        for row in self._rows_of.get(sha256, ()):
            index = self.index(row)
            self.dataChanged.emit(index, index, [Qt.ItemDataRole.DecorationRole])
