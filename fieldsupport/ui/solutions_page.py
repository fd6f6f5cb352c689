"""The Custom solutions page (technical advisor): every version on this device with its life
cycle (draft → in review → released → retired, new versions), and the application records
that came back from site, deviations first, to review."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from fieldsupport.errors import FieldSupportError
from fieldsupport.models.enums import SolutionStatus
from fieldsupport.services.applications import ApplicationService, ApplicationView
from fieldsupport.services.catalog import CatalogService, SolutionRow
from fieldsupport.services.solutions import SolutionService
from fieldsupport.ui.application_dialog import ApplicationDialog
from fieldsupport.ui.jobs import JobRunner
from fieldsupport.ui.solution_editor import SolutionEditor
from fieldsupport.ui.widgets import (
    TOUCH_HEIGHT,
    InlineMessage,
    fit_columns,
    format_time,
    touch_button,
)

# button label -> target status
MOVES = (
    ("Submit for review", SolutionStatus.IN_REVIEW),
    ("Back to draft", SolutionStatus.DRAFT),
    ("Release", SolutionStatus.RELEASED),
    ("Retire", SolutionStatus.RETIRED),
)


def _table(parent: QWidget, name: str, headers: list[str]) -> QTableWidget:
    table = QTableWidget(0, len(headers), parent)
    table.setAccessibleName(name)
    table.setHorizontalHeaderLabels(headers)
    table.verticalHeader().setVisible(False)
    table.horizontalHeader().setStretchLastSection(True)
    table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
    table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
    table.setSelectionMode(QTableWidget.SelectionMode.SingleSelection)
    table.setAlternatingRowColors(True)
    return table


class SolutionsPage(QWidget):
    loaded = Signal(int)

    def __init__(
        self,
        catalog: CatalogService,
        solutions: SolutionService,
        applications: ApplicationService,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setAccessibleName(self.tr("Custom solutions"))
        self._catalog, self._solutions, self._applications = catalog, solutions, applications
        self.jobs = JobRunner(self)
        self.rows: list[SolutionRow] = []
        self.reviews: list[ApplicationView] = []
        self.summary = QLabel(self)
        self.table = _table(
            self,
            self.tr("Custom solutions"),
            [self.tr(h) for h in ("Title", "Version", "Status", "Product", "Target process")],
        )
        self.table.itemSelectionChanged.connect(self._selection_changed)
        self.table.cellActivated.connect(lambda _r, _c: self.open_editor())
        self.new_button = touch_button(self.tr("New solution"), self)
        self.new_button.clicked.connect(lambda: self.open_editor(new=True))
        self.edit_button = touch_button(self.tr("Open"), self)
        self.edit_button.clicked.connect(lambda: self.open_editor())
        self.version_button = touch_button(self.tr("New version"), self)
        self.version_button.clicked.connect(self.new_version)
        self.move_buttons = {}
        for label, status in MOVES:
            button = touch_button(self.tr(label), self)
            button.clicked.connect(lambda _c=False, s=status: self.move(s))
            self.move_buttons[status] = button
        self.message = InlineMessage(self)

        self.review_table = _table(
            self,
            self.tr("Application records to review"),
            [self.tr(h) for h in ("Solution", "Applied", "Engineer", "Outcome", "Deviation")],
        )
        self.review_comment = QLineEdit(self)
        self.review_comment.setAccessibleName(self.tr("Review comment"))
        self.review_comment.setPlaceholderText(self.tr("Review comment"))
        self.review_comment.setMinimumHeight(TOUCH_HEIGHT)
        self.review_button = touch_button(self.tr("Mark reviewed"), self)
        self.review_button.clicked.connect(self.mark_reviewed)
        # the record itself, its values, steps, measurements and photos
        self.open_record_button = touch_button(self.tr("Open record"), self)
        self.open_record_button.clicked.connect(lambda: self.open_record())
        self.review_table.cellActivated.connect(lambda row, _c: self.open_record(row))

        buttons = QHBoxLayout()
        for widget in (self.new_button, self.edit_button, self.version_button):
            buttons.addWidget(widget)
        for button in self.move_buttons.values():
            buttons.addWidget(button)
        buttons.addStretch(1)
        top = QWidget(self)
        top_layout = QVBoxLayout(top)
        top_layout.setContentsMargins(0, 0, 0, 0)
        top_layout.addWidget(self.summary)
        top_layout.addWidget(self.table, 1)
        top_layout.addLayout(buttons)
        bottom = QWidget(self)
        review = QHBoxLayout()
        review.addWidget(self.open_record_button)
        review.addWidget(self.review_comment, 1)
        review.addWidget(self.review_button)
        bottom_layout = QVBoxLayout(bottom)
        bottom_layout.setContentsMargins(0, 0, 0, 0)
        bottom_layout.addWidget(
            QLabel(self.tr("Came back from site: review (deviations first)"), self)
        )
        bottom_layout.addWidget(self.review_table, 1)
        bottom_layout.addLayout(review)
        self.splitter = QSplitter(Qt.Orientation.Vertical, self)
        self.splitter.addWidget(top)
        self.splitter.addWidget(bottom)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.splitter, 1)
        layout.addWidget(self.message)
        self._loaded = False
        self._selection_changed()

    def showEvent(self, event: object) -> None:
        super().showEvent(event)  # type: ignore[arg-type]
        if not self._loaded:
            self._loaded = True
            self.reload()

    def reload(self) -> None:
        catalog, applications = self._catalog, self._applications
        self.jobs.run(lambda _t: (catalog.solutions(), applications.for_review()), self._show)

    def _show(self, result: tuple[list[SolutionRow], list[ApplicationView]]) -> None:
        selected = self.selected()
        self.rows, self.reviews = result
        self.summary.setText(
            self.tr("{0} custom solution versions on this device.").format(len(self.rows))
        )
        self.table.setRowCount(0)
        for r in self.rows:
            self._append(
                self.table,
                [
                    r.title,
                    str(r.version),
                    self.tr(r.status.value.replace("_", " ")),
                    r.product or "",
                    r.target_process or "",
                ],
            )
        self.review_table.setRowCount(0)
        for a in self.reviews:
            outcome = a.outcome.value.replace("_", " ") if a.outcome else ""
            self._append(
                self.review_table,
                [
                    f"{a.solution_title} v{a.version_number}",
                    format_time(a.applied_at),
                    a.engineer or "",
                    outcome,
                    self.tr("yes") if a.has_deviation else "",
                ],
            )
        for table in (self.table, self.review_table):
            fit_columns(table)
        if selected is not None:
            ids = [r.id for r in self.rows]
            if selected.id in ids:
                self.table.selectRow(ids.index(selected.id))
        self._selection_changed()
        self.loaded.emit(len(self.rows))

    @staticmethod
    def _append(table: QTableWidget, cells: list[str]) -> None:
        row = table.rowCount()
        table.insertRow(row)
        for column, text in enumerate(cells):
            table.setItem(row, column, QTableWidgetItem(text))

    def selected(self) -> SolutionRow | None:
        row = self.table.currentRow()
        rows = self.table.selectionModel().selectedRows() if self.table.selectionModel() else []
        if not rows or not 0 <= row < len(self.rows):
            return None
        return self.rows[rows[0].row()]

    @Slot()
    def _selection_changed(self) -> None:
        row = self.selected()
        self.edit_button.setEnabled(row is not None)
        self.version_button.setEnabled(row is not None and row.status is SolutionStatus.RELEASED)
        allowed = {
            SolutionStatus.DRAFT: {SolutionStatus.IN_REVIEW},
            SolutionStatus.IN_REVIEW: {SolutionStatus.DRAFT, SolutionStatus.RELEASED},
            SolutionStatus.RELEASED: {SolutionStatus.RETIRED},
            SolutionStatus.RETIRED: set(),
        }
        for status, button in self.move_buttons.items():
            button.setEnabled(row is not None and status in allowed[row.status])

    def open_record(self, row: int | None = None) -> ApplicationDialog | None:
        """The chosen application record as the engineer left it, photos included."""
        row = self.review_table.currentRow() if row is None else row
        if not 0 <= row < len(self.reviews):
            self.message.show_error(self.tr("Choose an application record in the list first."))
            return None
        dialog = ApplicationDialog(self._applications, self.reviews[row], self, review=True)
        dialog.open()
        self.record_dialog = dialog
        return dialog

    def open_editor(self, *, new: bool = False) -> SolutionEditor:
        row = None if new else self.selected()
        solution = self._solutions.get(row.id) if row else None
        editor = SolutionEditor(self._solutions, self._catalog.products(), solution, self)
        editor.saved.connect(lambda _id: self.reload())
        editor.open()
        self.editor = editor
        return editor

    def _act(self, call: object) -> bool:
        try:
            call()  # type: ignore[operator]
        except FieldSupportError as exc:
            self.message.show_error(str(exc))
            return False
        self.message.clear_message()
        self.reload()
        return True

    def move(self, status: SolutionStatus) -> None:
        row = self.selected()
        if row is not None:
            self._act(lambda: self._solutions.move(row.id, status))

    @Slot()
    def new_version(self) -> None:
        row = self.selected()
        if row is not None:
            self._act(lambda: self._solutions.new_version(row.id))

    @Slot()
    def mark_reviewed(self) -> None:
        row = self.review_table.currentRow()
        if not 0 <= row < len(self.reviews):
            self.message.show_error(self.tr("Choose an application record to review."))
            return
        record_id, comment = self.reviews[row].id, self.review_comment.text()
        if self._act(lambda: self._applications.review(record_id, comment)):
            self.review_comment.clear()  # a refused review keeps what was typed
