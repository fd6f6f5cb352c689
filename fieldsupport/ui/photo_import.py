"""Photo import from the GUI: the import job in a worker (progress dialog after 600 ms, with
Cancel), images from the clipboard or a camera saved to a file there first, and the summary
of what was imported and what was refused, and why."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path

from PySide6.QtCore import QMimeData, Qt
from PySide6.QtGui import QImage
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QVBoxLayout,
    QWidget,
)

from fieldsupport.errors import FieldSupportError
from fieldsupport.services.photos import (
    FileResult,
    ImportCancelled,
    ImportSummary,
    Outcome,
    PhotoOwner,
    PhotoService,
)
from fieldsupport.tasks import TaskState
from fieldsupport.ui.jobs import JobRunner
from fieldsupport.ui.operations import Operation


def files_in(mime: QMimeData) -> list[Path]:
    """Local files and folders named by dropped or pasted data."""
    return [Path(url.toLocalFile()) for url in mime.urls() if url.isLocalFile()]


def image_in(mime: QMimeData) -> QImage | None:
    """An image carried by the data itself (a screenshot copied to the clipboard)."""
    if not mime.hasImage():
        return None
    image = QImage(mime.imageData())
    return None if image.isNull() else image


def can_import(mime: QMimeData) -> bool:
    """Files (any: those that are not photos are refused with a reason) or an image."""
    return bool(files_in(mime)) or mime.hasImage()


def start_import(
    jobs: JobRunner,
    service: PhotoService,
    owner: PhotoOwner,
    paths: Sequence[Path] = (),
    image: QImage | None = None,
    *,
    cleanup: Sequence[Path] = (),
    on_done: Callable[[ImportSummary], None],
    on_error: Callable[[BaseException], None],
) -> Operation:
    """Import files and/or an in-memory image (saved as a PNG first, in the worker: a pasted
    screenshot stays sharp) in a worker. ``cleanup``: temporary folders removed afterwards."""
    files = list(paths)
    picture = QImage(image) if image is not None else None  # a copy the worker owns

    def job(task: TaskState) -> ImportSummary:
        folder = Path(tempfile.mkdtemp(prefix="fieldsupport-paste-")) if picture else None
        try:
            sources = list(files)
            if picture is not None and folder is not None:
                name = datetime.now().strftime("pasted-%Y%m%d-%H%M%S.png")
                target = folder / name
                if not picture.save(str(target), "PNG"):
                    return ImportSummary(
                        [FileResult(Path(name), Outcome.REFUSED, "the image could not be saved")]
                    )
                sources.append(target)
            try:
                return service.import_photos(owner, sources, task)
            except ImportCancelled as cancelled:
                return cancelled.summary
        finally:
            for temporary in [*cleanup, *([folder] if folder else [])]:
                shutil.rmtree(temporary, ignore_errors=True)

    return jobs.run(
        job,
        on_done,
        on_error,
        label=jobs.tr("Importing photos…"),
        cancellable=True,
    )


def summary_text(summary: ImportSummary) -> str:
    skipped = summary.count(Outcome.SKIPPED)
    if not summary.results and not summary.cancelled:
        # a folder with no photo in it (the wrong folder, a phone's videos only): "0
        # imported." would read as if something had failed quietly
        text = "No photos found there (JPEG, PNG and HEIC files are imported)."
        if skipped:
            text += f" {skipped} other file(s) skipped, not photos."
        return text
    imported = summary.count(Outcome.IMPORTED)
    duplicates = summary.count(Outcome.DUPLICATE)
    refused = summary.count(Outcome.REFUSED)
    parts = [f"{imported} imported"]
    if duplicates:
        parts.append(f"{duplicates} already there")
    if refused:
        parts.append(f"{refused} refused")
    if skipped:
        parts.append(f"{skipped} skipped (not photos)")
    text = ", ".join(parts) + "."
    if summary.cancelled:
        text = "Import cancelled: " + text
    return text


class ImportSummaryDialog(QDialog):
    """What happened to each file, refused ones first with their reason."""

    def __init__(self, summary: ImportSummary, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Photo import"))
        self.setAccessibleName(self.tr("Photo import summary"))
        self.headline = QLabel(summary_text(summary), self)
        self.headline.setWordWrap(True)
        self.headline.setStyleSheet("font-weight: 600;")
        self.files = QListWidget(self)
        self.files.setAccessibleName(self.tr("Files and what happened to them"))
        self.files.setWordWrap(True)
        order = {Outcome.REFUSED: 0, Outcome.SKIPPED: 1, Outcome.DUPLICATE: 2, Outcome.IMPORTED: 3}
        everything = [*summary.results, *summary.skipped]
        for result in sorted(everything, key=lambda r: order[r.outcome]):
            item = QListWidgetItem(self._line(result))
            if result.outcome is Outcome.REFUSED:
                item.setForeground(Qt.GlobalColor.darkRed)
            elif result.outcome is Outcome.SKIPPED:
                item.setForeground(Qt.GlobalColor.darkGray)
            self.files.addItem(item)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        buttons.accepted.connect(self.accept)
        layout = QVBoxLayout(self)
        layout.addWidget(self.headline)
        layout.addWidget(self.files, 1)
        layout.addWidget(buttons)
        self.resize(560, 360)

    def _line(self, result: FileResult) -> str:
        words = {
            Outcome.IMPORTED: self.tr("imported"),
            Outcome.DUPLICATE: self.tr("already attached here"),
            Outcome.REFUSED: self.tr("refused"),
            Outcome.SKIPPED: self.tr("skipped"),
        }
        text = f"{result.path.name} — {words[result.outcome]}"
        if result.outcome in (Outcome.REFUSED, Outcome.SKIPPED) and result.reason:
            text += f": {result.reason}"
        return text


def error_text(error: BaseException) -> str:
    if isinstance(error, FieldSupportError):
        return str(error)
    return f"The import stopped: {error}"
