"""A report's PDF shown in the app (Qt PDF), before it is finalized or handed over."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtPdf import QPdfDocument
from PySide6.QtPdfWidgets import QPdfView
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QStackedLayout,
    QVBoxLayout,
    QWidget,
)

from fieldsupport.ui.widgets import fit_to_screen, touch_button

ZOOM_STEP = 1.25


class ReportPreviewDialog(QDialog):
    finalize_requested = Signal()
    open_requested = Signal()
    save_requested = Signal()

    def __init__(
        self, title: str, pdf_path: Path, *, can_finalize: bool, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setAccessibleName(title)
        fit_to_screen(self, 900, 1000)
        self.pane = PdfPane(self)
        self.pane.view.setAccessibleName(self.tr("Report preview"))
        self.document, self.view = self.pane.document, self.pane.view
        self.pane.show_pdf(pdf_path)

        self.finalize_button = touch_button(self.tr("Finalize…"), self)
        self.finalize_button.setVisible(can_finalize)
        self.finalize_button.clicked.connect(self._finalize)
        open_button = touch_button(self.tr("Open in PDF viewer"), self)
        open_button.clicked.connect(self.open_requested)
        save_button = touch_button(self.tr("Save a copy…"), self)
        save_button.clicked.connect(self.save_requested)
        close_button = touch_button(self.tr("Close"), self)
        close_button.clicked.connect(self.reject)
        # the pane's own bar holds zoom and page count; the report's actions go beside it
        for button in (open_button, save_button, self.finalize_button, close_button):
            self.pane.bar.addWidget(button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.pane, 1)

    @Slot()
    def _finalize(self) -> None:
        self.accept()
        self.finalize_requested.emit()

    def done(self, result: int) -> None:
        # release the file so Windows lets the workspace move or delete it later
        self.document.close()
        super().done(result)


class PdfPane(QWidget):
    """A PDF with zoom controls and its page count: inline beside other content (the back
    office's review) or in the preview dialog."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.document = QPdfDocument(self)
        self.view = QPdfView(self)
        self.view.setAccessibleName(self.tr("Report PDF"))
        self.view.setDocument(self.document)
        self.view.setPageMode(QPdfView.PageMode.MultiPage)
        self.view.setZoomMode(QPdfView.ZoomMode.FitToWidth)
        self.status = QLabel(self)
        # without a PDF, the reason (fetching, missing, none chosen) where the pages would be
        self.placeholder = QLabel(self)
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.placeholder.setWordWrap(True)
        self.placeholder.setMargin(24)
        zoom_in = touch_button(self.tr("Zoom in"), self)
        zoom_out = touch_button(self.tr("Zoom out"), self)
        fit = touch_button(self.tr("Fit width"), self)
        zoom_in.clicked.connect(lambda: self._zoom(ZOOM_STEP))
        zoom_out.clicked.connect(lambda: self._zoom(1 / ZOOM_STEP))
        fit.clicked.connect(lambda: self.view.setZoomMode(QPdfView.ZoomMode.FitToWidth))
        self.zoom_buttons = (zoom_out, zoom_in, fit)
        self.bar = QHBoxLayout()
        for button in self.zoom_buttons:
            self.bar.addWidget(button)
        self.bar.addWidget(self.status, 1)
        self.pages = QStackedLayout()
        self.pages.addWidget(self.view)
        self.pages.addWidget(self.placeholder)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(self.bar)
        layout.addLayout(self.pages, 1)
        self.clear()

    def show_pdf(self, path: Path) -> bool:
        self.document.close()
        error = self.document.load(str(path))
        if error != QPdfDocument.Error.None_:
            self.clear(self.tr("The PDF could not be shown ({0}).").format(error.name))
            return False
        count = self.document.pageCount()
        self.status.setText(self.tr("1 page") if count == 1 else self.tr("{0} pages").format(count))
        self.pages.setCurrentWidget(self.view)
        for button in self.zoom_buttons:
            button.setEnabled(True)
        return True

    def clear(self, text: str = "") -> None:
        self.document.close()
        self.placeholder.setText(text or self.tr("No report selected."))
        self.status.clear()
        self.pages.setCurrentWidget(self.placeholder)
        for button in self.zoom_buttons:
            button.setEnabled(False)

    def _zoom(self, factor: float) -> None:
        self.view.setZoomMode(QPdfView.ZoomMode.Custom)
        self.view.setZoomFactor(max(0.25, min(self.view.zoomFactor() * factor, 6.0)))
