"""The case file's Solutions tab: released custom solutions assigned to the case (available
offline), applying one on the visit in progress, and the application records so far."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QVBoxLayout,
    QWidget,
)

from fieldsupport.errors import FieldSupportError
from fieldsupport.models.enums import SolutionStatus
from fieldsupport.services.applications import ApplicationService
from fieldsupport.services.catalog import ApplicationRow, CatalogService
from fieldsupport.services.solutions import SolutionService, SolutionView
from fieldsupport.ui.application_dialog import ApplicationDialog
from fieldsupport.ui.solution_editor import SolutionEditor
from fieldsupport.ui.widgets import TOUCH_HEIGHT, InlineMessage, format_time, touch_button


class SolutionsTab(QWidget):
    changed = Signal()

    def __init__(
        self,
        solutions: SolutionService,
        applications: ApplicationService,
        catalog: CatalogService,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._solutions, self._applications, self._catalog = solutions, applications, catalog
        self._case_id: str | None = None
        self._visit_id: str | None = None
        self.assigned = QListWidget(self)
        self.assigned.setAccessibleName(self.tr("Solutions assigned to this case"))
        self.assigned.setMaximumHeight(110)
        self.assigned.itemActivated.connect(lambda _item: self.view_selected())
        self.released = QComboBox(self)
        self.released.setAccessibleName(self.tr("Released solutions"))
        self.released.setMinimumHeight(TOUCH_HEIGHT)
        self.assign_button = touch_button(self.tr("Assign to case"), self)
        self.assign_button.clicked.connect(self.assign)
        self.apply_button = touch_button(self.tr("Apply on this visit"), self)
        self.apply_button.clicked.connect(self.apply_selected)
        # the whole version (steps, ranges, materials, safety notes), offline, before the visit
        self.view_button = touch_button(self.tr("Read the solution"), self)
        self.view_button.clicked.connect(self.view_selected)
        self.records = QListWidget(self)
        self.records.setAccessibleName(self.tr("Application records"))
        self.records.itemActivated.connect(self._open_record)
        self.message = InlineMessage(self)
        assign = QHBoxLayout()
        assign.addWidget(self.released, 1)
        assign.addWidget(self.assign_button)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(self.tr("Assigned released solutions"), self))
        layout.addWidget(self.assigned)
        layout.addLayout(assign)
        actions = QHBoxLayout()
        actions.addWidget(self.view_button)
        actions.addWidget(self.apply_button, 1)
        layout.addLayout(actions)
        layout.addWidget(QLabel(self.tr("Application records"), self))
        layout.addWidget(self.records, 1)
        layout.addWidget(self.message)

    def show_case(
        self, case_id: str, visit_id: str | None, applications: tuple[ApplicationRow, ...]
    ) -> None:
        """``visit_id``: the visit in progress (where a solution can be applied), if any."""
        self._case_id, self._visit_id = case_id, visit_id
        self.assigned.clear()
        for solution in self._solutions.for_case(case_id):
            item = QListWidgetItem(self._label(solution))
            item.setData(Qt.ItemDataRole.UserRole, solution.id)
            self.assigned.addItem(item)
        if self.assigned.count():
            self.assigned.setCurrentRow(0)
        self.released.clear()
        for row in self._catalog.solutions():
            if row.status is SolutionStatus.RELEASED:
                self.released.addItem(f"{row.title} v{row.version}", row.id)
        self.apply_button.setEnabled(visit_id is not None and self.assigned.count() > 0)
        self.view_button.setEnabled(self.assigned.count() > 0)
        self.apply_button.setToolTip(
            "" if visit_id else self.tr("Arrive on site (Visits tab) to apply a solution.")
        )
        self.records.clear()
        for app in applications:
            outcome = app.outcome.value.replace("_", " ") if app.outcome else self.tr("in progress")
            deviation = self.tr(" — deviation") if app.has_deviation else ""
            when = format_time(app.applied_at)
            item = QListWidgetItem(f"{app.solution} v{app.version} — {when} — {outcome}{deviation}")
            item.setData(Qt.ItemDataRole.UserRole, app.id)
            self.records.addItem(item)
        self.message.clear_message()

    def _label(self, solution: SolutionView) -> str:
        process = f" — {solution.target_process}" if solution.target_process else ""
        return f"{solution.title} v{solution.version_number}{process}"

    @Slot()
    def assign(self) -> None:
        solution_id = self.released.currentData()
        if self._case_id is None or not solution_id:
            return
        try:
            self._solutions.assign_to_case(self._case_id, solution_id)
        except FieldSupportError as exc:
            self.message.show_error(str(exc))
            return
        self.changed.emit()

    @Slot()
    def view_selected(self) -> SolutionEditor | None:
        """The chosen assigned version as the advisor released it (read-only)."""
        item = self.assigned.currentItem()
        if item is None:
            self.message.show_error(self.tr("Choose an assigned solution first."))
            return None
        try:
            solution = self._solutions.get(item.data(Qt.ItemDataRole.UserRole))
        except FieldSupportError as exc:
            self.message.show_error(str(exc))
            return None
        editor = SolutionEditor(self._solutions, self._catalog.products(), solution, self)
        editor.open()
        self.viewer = editor
        return editor

    @Slot()
    def apply_selected(self) -> ApplicationDialog | None:
        item = self.assigned.currentItem()
        if item is None or self._visit_id is None:
            self.message.show_error(
                self.tr("Choose an assigned solution and arrive on site first.")
            )
            return None
        try:
            record = self._applications.start(self._visit_id, item.data(Qt.ItemDataRole.UserRole))
        except FieldSupportError as exc:
            self.message.show_error(str(exc))
            return None
        self.changed.emit()
        return self._show_dialog(record.id)

    def _open_record(self, item: QListWidgetItem) -> None:
        self._show_dialog(item.data(Qt.ItemDataRole.UserRole))

    def _show_dialog(self, record_id: str) -> ApplicationDialog:
        dialog = ApplicationDialog(self._applications, self._applications.get(record_id), self)
        dialog.changed.connect(self.changed)
        dialog.open()
        self.dialog = dialog
        return dialog
