"""Authoring a custom solution version (technical advisor): what it is for, the procedure
steps, the parameters with their target ranges, materials and safety notes. Released
versions open read-only; changing one means a new version."""

from __future__ import annotations

from PySide6.QtCore import Signal, Slot
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from fieldsupport.errors import FieldSupportError
from fieldsupport.services.solutions import (
    ParameterSpec,
    SolutionDraft,
    SolutionService,
    SolutionView,
    StepSpec,
)
from fieldsupport.ui.widgets import (
    TOUCH_HEIGHT,
    BoundedTextEdit,
    InlineMessage,
    parse_number,
    touch_button,
)

PARAMETER_COLUMNS = ("Name", "Unit", "Target", "Min", "Max")
STEP_COLUMNS = ("Step", "Instructions")


def _table(parent: QWidget, name: str, headers: tuple[str, ...]) -> QTableWidget:
    table = QTableWidget(0, len(headers), parent)
    table.setAccessibleName(name)
    table.setHorizontalHeaderLabels([parent.tr(h) for h in headers])
    table.horizontalHeader().setStretchLastSection(True)
    table.verticalHeader().setDefaultSectionSize(TOUCH_HEIGHT)
    return table


class SolutionEditor(QDialog):
    saved = Signal(str)

    def __init__(
        self,
        service: SolutionService,
        products: list[tuple[str, str]],
        solution: SolutionView | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._service = service
        self.solution = solution
        read_only = solution is not None and not solution.editable
        version = f" v{solution.version_number}" if solution else ""
        self.setWindowTitle(self.tr("Custom solution") + version)
        self.setAccessibleName(self.tr("Custom solution editor"))
        self.resize(860, 700)
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
        self.description.setMaximumHeight(70)
        self.materials = QLineEdit(self)
        self.materials.setAccessibleName(self.tr("Materials"))
        self.safety = QLineEdit(self)
        self.safety.setAccessibleName(self.tr("Safety notes"))
        self.steps = _table(self, self.tr("Procedure steps"), STEP_COLUMNS)
        self.steps.setColumnWidth(0, 240)
        self.parameters = _table(self, self.tr("Parameters"), PARAMETER_COLUMNS)
        self.parameters.setColumnWidth(0, 240)
        self.add_step = touch_button(self.tr("Add step"), self)
        self.add_step.clicked.connect(lambda: self._add_row(self.steps))
        self.add_parameter = touch_button(self.tr("Add parameter"), self)
        self.add_parameter.clicked.connect(lambda: self._add_row(self.parameters))
        self.remove_button = touch_button(self.tr("Remove selected row"), self)
        self.remove_button.clicked.connect(self._remove_rows)
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
        layout.addWidget(self.steps, 1)
        layout.addWidget(QLabel(self.tr("Parameters and target ranges"), self))
        layout.addWidget(self.parameters, 1)
        layout.addLayout(rows)
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
        ):
            widget.setEnabled(not read_only)
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
            self._add_row(self.steps, [step.title, step.instructions or ""])
        for p in solution.parameters:
            values = [p.target, p.min_value, p.max_value]
            self._add_row(
                self.parameters,
                [p.name, p.unit or ""] + ["" if v is None else f"{v:g}" for v in values],
            )

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
        steps = [
            StepSpec(self._cell(self.steps, r, 0), self._cell(self.steps, r, 1) or None)
            for r in range(self.steps.rowCount())
            if self._cell(self.steps, r, 0) or self._cell(self.steps, r, 1)
        ]
        parameters = []
        for r in range(self.parameters.rowCount()):
            name = self._cell(self.parameters, r, 0)
            if not any(self._cell(self.parameters, r, c) for c in range(5)):
                continue
            numbers = [
                parse_number(
                    self._cell(self.parameters, r, c),
                    f"{name or 'parameter'}: {label}",
                    required=False,
                )
                for c, label in ((2, "target"), (3, "minimum"), (4, "maximum"))
            ]
            parameters.append(ParameterSpec(name, self._cell(self.parameters, r, 1), *numbers))
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

    @Slot()
    def save(self) -> None:
        try:
            draft = self.draft()
        except ValueError as exc:
            self.message.show_error(str(exc))
            return
        try:
            if self.solution is None:
                self.solution = self._service.create(draft)
            else:
                self.solution = self._service.update(self.solution.id, draft)
        except FieldSupportError as exc:
            self.message.show_error(str(exc))
            return
        self.saved.emit(self.solution.id)
        self.accept()
