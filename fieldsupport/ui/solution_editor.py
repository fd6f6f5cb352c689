"""Authoring a custom solution version (technical advisor): what it is for, the procedure
steps (each with an optional photo), the parameters with their target ranges, materials,
safety notes and attached files (data sheets, drawings, spreadsheets). Released versions
open read-only (the engineer reads them so, offline, and opens their files); changing one
means a new version."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QStandardPaths, Qt, QUrl, Signal, Slot
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QStyle,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from fieldsupport.errors import FieldSupportError
from fieldsupport.services.applications import parse_quantity
from fieldsupport.services.photos import PhotoService
from fieldsupport.services.solution_files import (
    SolutionFileService,
    SolutionFileView,
    size_text,
)
from fieldsupport.services.solutions import (
    ParameterSpec,
    SolutionDraft,
    SolutionService,
    SolutionView,
    StepSpec,
)
from fieldsupport.tasks import TaskState
from fieldsupport.ui.jobs import JobRunner
from fieldsupport.ui.photo_model import ThumbnailLoader
from fieldsupport.ui.step_photos import (
    StepPhotoCell,
    choose_photo_file,
    import_step_photo,
    step_photo_view,
)
from fieldsupport.ui.widgets import (
    TOUCH_HEIGHT,
    BoundedTextEdit,
    InlineMessage,
    align_form_labels,
    fit_to_screen,
    parse_number,
    touch_button,
)

PARAMETER_COLUMNS = ("Name", "Unit", "Target", "Min", "Max")
STEP_COLUMNS = ("Step", "Instructions", "Photo")
PHOTO_COLUMN = 2


def _table(parent: QWidget, name: str, headers: tuple[str, ...]) -> QTableWidget:
    table = QTableWidget(0, len(headers), parent)
    table.setAccessibleName(name)
    table.setHorizontalHeaderLabels([parent.tr(h) for h in headers])
    table.horizontalHeader().setStretchLastSection(True)
    table.verticalHeader().setDefaultSectionSize(TOUCH_HEIGHT)
    return table


def opened_files_folder() -> Path:
    """Where attached files are copied to be opened (never the blob store itself)."""
    cache = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.CacheLocation)
    return Path(cache or tempfile.gettempdir()) / "opened-files"


def _limit(text: str, unit: str, label: str) -> float | None:
    """A target or limit as typed: a number, or a number with the parameter's own unit
    ("14 ml/min"); a number in another unit is refused by name, never misread."""
    try:
        return parse_number(text, label, required=False)
    except ValueError:
        return parse_quantity(text, unit, label)


class SolutionEditor(QDialog):
    saved = Signal(str)

    def __init__(
        self,
        service: SolutionService,
        products: list[tuple[str, str]],
        solution: SolutionView | None = None,
        parent: QWidget | None = None,
        *,
        photos: PhotoService | None = None,
        files: SolutionFileService | None = None,
    ) -> None:
        super().__init__(parent)
        self._service = service
        self._photos = photos or PhotoService(service.workspace)
        self.viewer: Any = None  # the step photos' viewer last opened (photo_viewer.show_viewer)
        self._files = files or SolutionFileService(service.workspace)
        # how a copy of an attached file is handed to the system's viewer (tests replace it)
        self.open_folder = opened_files_folder()
        self.open_url: Callable[[QUrl], bool] = QDesktopServices.openUrl
        self.jobs = JobRunner(self)
        self.loader = ThumbnailLoader(self.jobs, self, make_missing=self._photos.make_copies)
        self.solution = solution
        read_only = solution is not None and not solution.editable
        self.read_only = read_only
        version = f" v{solution.version_number}" if solution else ""
        self.setWindowTitle(self.tr("Custom solution") + version)
        self.setAccessibleName(self.tr("Custom solution editor"))
        fit_to_screen(self, 900, 780)
        self.title = QLineEdit(self)
        self.title.setAccessibleName(self.tr("Solution title"))
        self.product = QComboBox(self)
        self.product.setAccessibleName(self.tr("Product"))
        self.product.addItem(self.tr("(no product)"), None)
        for product_id, name in products:
            self.product.addItem(name, product_id)
        self.process = QLineEdit(self)
        self.process.setAccessibleName(self.tr("Target customer process"))
        self.description = BoundedTextEdit(self)
        self.description.setAccessibleName(self.tr("Description"))
        self.description.setMaximumHeight(56)
        self.materials = QLineEdit(self)
        self.materials.setAccessibleName(self.tr("Materials"))
        self.safety = QLineEdit(self)
        self.safety.setAccessibleName(self.tr("Safety notes"))
        self.steps = _table(self, self.tr("Procedure steps"), STEP_COLUMNS)
        self.steps.setColumnWidth(0, 240)
        header = self.steps.horizontalHeader()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.steps.setColumnWidth(PHOTO_COLUMN, 130)
        self.steps.verticalHeader().setDefaultSectionSize(TOUCH_HEIGHT + 16)  # thumbnails
        self.steps.setWordWrap(True)
        self.parameters = _table(self, self.tr("Parameters"), PARAMETER_COLUMNS)
        self.parameters.setColumnWidth(0, 240)
        self.add_step = touch_button(self.tr("Add step"), self)
        self.add_step.clicked.connect(lambda: self._add_step_row(None))
        self.add_parameter = touch_button(self.tr("Add parameter"), self)
        self.add_parameter.clicked.connect(lambda: self._add_row(self.parameters))
        self.remove_button = touch_button(self.tr("Remove selected row"), self)
        self.remove_button.clicked.connect(self._remove_rows)
        self.files = QListWidget(self)
        self.files.setAccessibleName(self.tr("Attached files"))
        self.files.setMaximumHeight(2 * TOUCH_HEIGHT + 6)
        self.files.setStyleSheet(f"QListWidget::item {{ min-height: {TOUCH_HEIGHT - 4}px; }}")
        self.files.itemActivated.connect(lambda _item: self.open_selected_file())
        self.files.currentRowChanged.connect(lambda _row: self._file_chosen())
        self.add_file_button = touch_button(self.tr("Add file…"), self)
        self.add_file_button.setToolTip(
            self.tr("Attach a safety data sheet, a drawing, a spreadsheet or a photo")
        )
        self.add_file_button.clicked.connect(self.choose_file)
        self.open_file_button = touch_button(self.tr("Open"), self, accessible=self.tr("Open file"))
        self.open_file_button.clicked.connect(self.open_selected_file)
        self.remove_file_button = touch_button(
            self.tr("Remove file"), self, accessible=self.tr("Remove file")
        )
        self.remove_file_button.clicked.connect(self.remove_selected_file)
        self.message = InlineMessage(self)
        for widget in (self.title, self.process, self.materials, self.safety, self.product):
            widget.setMinimumHeight(TOUCH_HEIGHT)

        form = QFormLayout()
        form.addRow(self.tr("Title"), self.title)
        form.addRow(self.tr("Product"), self.product)
        form.addRow(self.tr("Target process"), self.process)
        form.addRow(self.tr("Description"), self.description)
        form.addRow(self.tr("Materials"), self.materials)
        form.addRow(self.tr("Safety notes"), self.safety)
        align_form_labels(form)
        rows = QHBoxLayout()
        rows.addWidget(self.add_step)
        rows.addWidget(self.add_parameter)
        rows.addWidget(self.remove_button)
        rows.addStretch(1)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Close, self
        )
        self.save_button = buttons.button(QDialogButtonBox.StandardButton.Save)
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        if read_only:
            note = QLabel(
                self.tr(
                    "This version is {0} and never changes: make a new version to edit it."
                ).format(solution.status.value.replace("_", " ") if solution else ""),
                self,
            )
            note.setWordWrap(True)
            layout.addWidget(note)
        layout.addLayout(form)
        layout.addWidget(QLabel(self.tr("Procedure"), self))
        layout.addWidget(self.steps, 3)
        layout.addWidget(QLabel(self.tr("Parameters and target ranges"), self))
        layout.addWidget(self.parameters, 2)
        layout.addLayout(rows)
        layout.addWidget(QLabel(self.tr("Attached files (data sheets, drawings, ...)"), self))
        attached = QHBoxLayout()  # one low row: the dialog has to fit a laptop's screen
        attached.addWidget(self.files, 1)
        for button in (self.add_file_button, self.open_file_button, self.remove_file_button):
            attached.addWidget(button, 0, Qt.AlignmentFlag.AlignTop)
        layout.addLayout(attached)
        layout.addWidget(self.message)
        layout.addWidget(buttons)
        if solution is not None:
            self._fill(solution)
        for widget in (self.title, self.process, self.materials, self.safety):
            widget.setReadOnly(read_only)
        self.description.setReadOnly(read_only)
        for widget in (
            self.product,
            self.add_step,
            self.add_parameter,
            self.remove_button,
            self.save_button,
            self.add_file_button,
        ):
            widget.setEnabled(not read_only)
        self.remove_file_button.setVisible(not read_only)
        self._file_chosen()
        if read_only:
            for table in (self.steps, self.parameters):
                table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)

    def _fill(self, solution: SolutionView) -> None:
        self.title.setText(solution.title)
        self.product.setCurrentIndex(max(self.product.findData(solution.product_id), 0))
        self.process.setText(solution.target_process or "")
        self.description.setPlainText(solution.description or "")
        self.materials.setText(solution.materials or "")
        self.safety.setText(solution.safety_notes or "")
        for step in solution.steps:
            self._add_step_row(step.title, step.instructions or "", step.photo_sha256)
        for p in solution.parameters:
            values = [p.target, p.min_value, p.max_value]
            self._add_row(
                self.parameters,
                [p.name, p.unit or ""] + ["" if v is None else f"{v:g}" for v in values],
            )
        self.show_files(solution.files)

    # -- attached files ---------------------------------------------------------------------
    def show_files(self, files: tuple[SolutionFileView, ...] | list[SolutionFileView]) -> None:
        chosen = self.selected_file()
        self.files.clear()
        icon = self.style().standardIcon(QStyle.StandardPixmap.SP_FileIcon)
        for f in files:
            item = QListWidgetItem(icon, f"{f.filename} — {size_text(f.size_bytes)}")
            item.setData(Qt.ItemDataRole.UserRole, f.id)
            item.setToolTip(f"{f.filename}\n{f.media_type}")
            self.files.addItem(item)
            if f.id == chosen:
                self.files.setCurrentItem(item)
        if self.files.currentRow() < 0 and self.files.count():
            self.files.setCurrentRow(0)
        self._file_chosen()

    def selected_file(self) -> str | None:
        item = self.files.currentItem()
        return item.data(Qt.ItemDataRole.UserRole) if item is not None else None

    def _file_chosen(self) -> None:
        chosen = self.selected_file() is not None
        self.open_file_button.setEnabled(chosen)
        self.remove_file_button.setEnabled(chosen and not self.read_only)

    @Slot()
    def choose_file(self) -> None:
        if self.read_only:
            return
        if self.solution is None:
            # a file belongs to a solution version: a new one is saved as a draft first
            if not self._store():
                return
            self.message.show_info(self.tr("Saved as a draft, so the file can belong to it."))
        dialog = QFileDialog(self, self.tr("Attach a file to the solution"))
        dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
        dialog.fileSelected.connect(lambda name: self.add_file(Path(name)))
        dialog.open()
        self.file_dialog = dialog

    def add_file(self, path: Path) -> None:
        """Store ``path`` and attach it to this version (in a worker: it may be large)."""
        solution = self.solution
        if solution is None or self.read_only:
            return
        self.add_file_button.setEnabled(False)

        def job(task: TaskState) -> list[SolutionFileView]:
            self._files.attach(solution.id, path, task)
            return self._files.files(solution.id)

        def done(files: list[SolutionFileView]) -> None:
            self.add_file_button.setEnabled(not self.read_only)
            self.show_files(files)
            self.message.show_info(self.tr("{0} is attached to this version.").format(path.name))

        def failed(error: BaseException) -> None:
            self.add_file_button.setEnabled(not self.read_only)
            self.message.show_failure(error, self.jobs.show_error)

        self.file_operation = self.jobs.run(
            job, done, failed, label=self.tr("Attaching {0}…").format(path.name)
        )

    @Slot()
    def remove_selected_file(self) -> None:
        file_id, solution = self.selected_file(), self.solution
        if file_id is None or solution is None or self.read_only:
            return
        name = self.files.currentItem().text().rsplit(" — ", 1)[0]
        try:
            self._files.remove(file_id)
            self.show_files(self._files.files(solution.id))
        except FieldSupportError as exc:
            self.message.show_error(str(exc))
            return
        self.message.show_info(self.tr("{0} was removed from this version.").format(name))

    @Slot()
    def open_selected_file(self) -> None:
        """Open the chosen file in the system's viewer, from a copy outside the blob store
        (made in a worker); works offline and on a released version."""
        file_id = self.selected_file()
        if file_id is None:
            self.message.show_error(self.tr("Choose a file in the list first."))
            return
        folder = self.open_folder

        def done(path: Path) -> None:
            if self.open_url(QUrl.fromLocalFile(str(path))):
                self.message.show_info(self.tr("Opened {0}.").format(path.name))
            else:
                self.message.show_error(
                    self.tr("No program on this computer opens {0}; a copy is in {1}.").format(
                        path.name, path.parent
                    )
                )

        self.open_operation = self.jobs.run(
            lambda _task: self._files.open_copy(file_id, folder),
            done,
            lambda error: self.message.show_failure(error, self.jobs.show_error),
            label=self.tr("Opening the file…"),
        )

    def _add_step_row(
        self, title: str | None, instructions: str = "", photo_sha256: str | None = None
    ) -> StepPhotoCell:
        """A step row; ``title`` None: a new empty row, with the cursor in it."""
        self._add_row(self.steps, None if title is None else [title, instructions, ""])
        cell = StepPhotoCell(self.loader, self._photos, self.steps)
        cell.set_photo(photo_sha256)
        cell.set_editable(not self.read_only)
        cell.choose.connect(lambda: self.choose_step_photo(cell))
        cell.view.connect(lambda: self.view_step_photo(cell))
        item = self.steps.item(self.steps.rowCount() - 1, PHOTO_COLUMN)
        if item is not None:
            item.setFlags(Qt.ItemFlag.ItemIsEnabled)  # the cell's buttons edit it, not typing
        self.steps.setCellWidget(self.steps.rowCount() - 1, PHOTO_COLUMN, cell)
        return cell

    def step_cells(self) -> list[StepPhotoCell]:
        cells = []
        for row in range(self.steps.rowCount()):
            cell = self.steps.cellWidget(row, PHOTO_COLUMN)
            assert isinstance(cell, StepPhotoCell)
            cells.append(cell)
        return cells

    @staticmethod
    def _add_row(table: QTableWidget, cells: list[str] | None = None) -> None:
        row = table.rowCount()
        table.insertRow(row)
        for column, text in enumerate(cells or [""] * table.columnCount()):
            table.setItem(row, column, QTableWidgetItem(text))
        if cells is None:
            table.setCurrentCell(row, 0)

    @Slot()
    def _remove_rows(self) -> None:
        for table in (self.steps, self.parameters):
            if table.hasFocus() or table.currentRow() >= 0:
                rows = sorted({i.row() for i in table.selectedIndexes()}, reverse=True)
                for row in rows:
                    table.removeRow(row)

    @staticmethod
    def _cell(table: QTableWidget, row: int, column: int) -> str:
        item = table.item(row, column)
        return item.text().strip() if item else ""

    def draft(self) -> SolutionDraft:
        """What the form says; numbers are checked here, the rules by the service."""
        photos = [cell.sha256 for cell in self.step_cells()]
        steps = [
            StepSpec(self._cell(self.steps, r, 0), self._cell(self.steps, r, 1) or None, photos[r])
            for r in range(self.steps.rowCount())
            if self._cell(self.steps, r, 0) or self._cell(self.steps, r, 1) or photos[r]
        ]
        parameters = []
        for r in range(self.parameters.rowCount()):
            name = self._cell(self.parameters, r, 0)
            if not any(self._cell(self.parameters, r, c) for c in range(5)):
                continue
            unit = self._cell(self.parameters, r, 1)
            numbers = [
                _limit(self._cell(self.parameters, r, c), unit, f"{name or 'parameter'}: {label}")
                for c, label in ((2, "target"), (3, "minimum"), (4, "maximum"))
            ]
            parameters.append(ParameterSpec(name, unit, *numbers))
        return SolutionDraft(
            title=self.title.text(),
            product_id=self.product.currentData(),
            target_process=self.process.text(),
            description=self.description.toPlainText(),
            materials=self.materials.text(),
            safety_notes=self.safety.text(),
            steps=steps,
            parameters=parameters,
        )

    def _store(self) -> bool:
        """Save what the form says (a new solution is created); False, with the reason
        shown, when something in it is refused."""
        if any(cell.busy for cell in self.step_cells()):
            self.message.show_error(
                self.tr("A step's photo is still being added: save when it shows.")
            )
            return False
        try:
            draft = self.draft()
        except (ValueError, FieldSupportError) as exc:
            self.message.show_error(str(exc))
            return False
        try:
            if self.solution is None:
                self.solution = self._service.create(draft)
            else:
                self.solution = self._service.update(self.solution.id, draft)
        except FieldSupportError as exc:
            self.message.show_error(str(exc))
            return False
        self.saved.emit(self.solution.id)
        return True

    @Slot()
    def save(self) -> None:
        if self._store():
            self.accept()

    # -- step photos ------------------------------------------------------------------------
    def choose_step_photo(self, cell: StepPhotoCell) -> None:
        if self.read_only:
            return
        if self.solution is None:
            # a photo belongs to a solution version: a new one is saved as a draft first
            if not self._store():
                return
            self.message.show_info(self.tr("Saved as a draft, so the photo can belong to it."))
        self.photo_dialog = choose_photo_file(self, lambda path: self.add_step_photo(cell, path))

    def add_step_photo(self, cell: StepPhotoCell, path: Path) -> None:
        """Import ``path`` for the solution and put it on the step (kept on Save)."""
        solution = self.solution
        if solution is None or self.read_only:
            return
        cell.set_busy()

        def done(sha256: str) -> None:
            cell.set_photo(sha256)
            self.message.show_info(self.tr("Photo added to the step. Save to keep it."))

        def failed(error: BaseException) -> None:
            cell.set_photo(cell.sha256)
            self.message.show_error(str(error))

        self.photo_operation = import_step_photo(
            self.jobs, self._photos, solution.id, path, done, failed
        )

    def view_step_photo(self, cell: StepPhotoCell) -> None:
        from fieldsupport.ui.photo_viewer import show_viewer

        views, start = [], 0
        for row, other in enumerate(self.step_cells()):
            if other.sha256 is None:
                continue
            if other is cell:
                start = len(views)
            views.append(step_photo_view(other.sha256, self._cell(self.steps, row, 0), row + 1))
        if views:
            self.viewer = show_viewer(self.viewer, self._photos, views, start, self)
