"""Applying a custom solution on site: planned values from the released version, actual
values typed by the engineer (out of range flagged at once, a deviation reason asked for),
each step done or skipped, and the outcome."""

from __future__ import annotations

from html import escape

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from fieldsupport.errors import FieldSupportError
from fieldsupport.models.enums import ApplicationOutcome, MeasurementPhase, StepResultState
from fieldsupport.services.applications import ApplicationService, ApplicationView
from fieldsupport.ui.widgets import TOUCH_HEIGHT, InlineMessage, parse_number, touch_button

OUT_OF_RANGE = QColor("#b3261e")
PARAM_COLUMNS = ("Parameter", "Range", "Planned", "Actual", "Deviation reason")
STEP_COLUMNS = ("#", "Step", "Result", "Note")


def _range(low: float | None, high: float | None, unit: str | None) -> str:
    unit = unit or ""
    if low is not None and high is not None:
        return f"{low:g}–{high:g} {unit}".strip()
    if low is not None:
        return f"≥ {low:g} {unit}".strip()
    if high is not None:
        return f"≤ {high:g} {unit}".strip()
    return ""


class ApplicationDialog(QDialog):
    #: the record changed (the case file reloads)
    changed = Signal()

    def __init__(
        self, service: ApplicationService, record: ApplicationView, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._service = service
        self.record = record
        self.setWindowTitle(
            self.tr("Apply {0} v{1}").format(record.solution_title, record.version_number)
        )
        self.setAccessibleName(self.tr("Application record"))
        self.resize(900, 640)
        self.heading = QLabel(self)
        self.heading.setWordWrap(True)
        self.parameters = QTableWidget(0, len(PARAM_COLUMNS), self)
        self.parameters.setAccessibleName(self.tr("Parameters: planned and actual"))
        self.parameters.setHorizontalHeaderLabels([self.tr(c) for c in PARAM_COLUMNS])
        self.parameters.verticalHeader().setVisible(False)
        self.parameters.horizontalHeader().setStretchLastSection(True)
        for column, width in enumerate((220, 120, 90, 110)):
            self.parameters.setColumnWidth(column, width)
        self.steps = QTableWidget(0, len(STEP_COLUMNS), self)
        self.steps.setAccessibleName(self.tr("Procedure steps"))
        self.steps.setHorizontalHeaderLabels([self.tr(c) for c in STEP_COLUMNS])
        self.steps.verticalHeader().setVisible(False)
        self.steps.horizontalHeader().setStretchLastSection(True)
        for column, width in enumerate((36, 380, 130)):
            self.steps.setColumnWidth(column, width)
        self.steps.setWordWrap(True)
        self.outcome = QComboBox(self)
        self.outcome.setAccessibleName(self.tr("Outcome"))
        self.outcome.setMinimumHeight(TOUCH_HEIGHT)
        for outcome in ApplicationOutcome:
            self.outcome.addItem(
                self.tr(outcome.value.replace("_", " ").capitalize()), outcome.value
            )
        self.outcome_notes = QLineEdit(self)
        self.outcome_notes.setAccessibleName(self.tr("Outcome notes"))
        self.outcome_notes.setPlaceholderText(
            self.tr("What the solution did (e.g. residue down 70 %)")
        )
        self.outcome_notes.setMinimumHeight(TOUCH_HEIGHT)
        self.complete_button = touch_button(self.tr("Complete record"), self)
        self.complete_button.clicked.connect(self.complete)
        self.message = InlineMessage(self)
        self.actual_edits: dict[str, QLineEdit] = {}
        self.reason_edits: dict[str, QLineEdit] = {}
        self.step_results: dict[str, QComboBox] = {}
        self.step_notes: dict[str, QLineEdit] = {}

        self.process = QListWidget(self)
        self.process.setAccessibleName(self.tr("Process measurements"))
        self.process.setMaximumHeight(80)
        self.m_phase = QComboBox(self)
        self.m_phase.setAccessibleName(self.tr("Measured"))
        for phase in (MeasurementPhase.BEFORE, MeasurementPhase.AFTER, MeasurementPhase.DURING):
            self.m_phase.addItem(self.tr(phase.value), phase.value)
        self.m_name = QLineEdit(self)
        self.m_value = QLineEdit(self)
        self.m_unit = QLineEdit(self)
        for edit, name in (
            (self.m_name, "Measurement"),
            (self.m_value, "Value"),
            (self.m_unit, "Unit"),
        ):
            edit.setAccessibleName(self.tr(name))
            edit.setPlaceholderText(self.tr(name))
            edit.setMinimumHeight(TOUCH_HEIGHT)
        self.m_add = touch_button(self.tr("Add measurement"), self)
        self.m_add.clicked.connect(self.add_measurement)
        measure = QHBoxLayout()
        for widget in (self.m_phase, self.m_name, self.m_value, self.m_unit, self.m_add):
            measure.addWidget(widget)

        finish = QHBoxLayout()
        finish.addWidget(QLabel(self.tr("Outcome:"), self))
        finish.addWidget(self.outcome)
        finish.addWidget(self.outcome_notes, 1)
        finish.addWidget(self.complete_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.heading)
        layout.addWidget(QLabel(self.tr("Parameters"), self))
        layout.addWidget(self.parameters, 1)
        layout.addWidget(QLabel(self.tr("Procedure"), self))
        layout.addWidget(self.steps, 1)
        layout.addWidget(QLabel(self.tr("Process measurements before and after"), self))
        layout.addWidget(self.process)
        layout.addLayout(measure)
        layout.addLayout(finish)
        layout.addWidget(self.message)
        self._fill(record)

    def _fill(self, record: ApplicationView) -> None:
        self.record = record
        done = record.completed
        status = (
            self.tr("completed: {0}").format(record.outcome.value.replace("_", " "))
            if record.outcome
            else self.tr("in progress")
        )
        version = self.tr("version {0}").format(record.version_number)
        self.heading.setText(f"<b>{escape(record.solution_title)}</b> — {version} — {status}")
        self.parameters.setRowCount(len(record.parameters))
        for row, p in enumerate(record.parameters):
            cells = [
                f"{p.name} ({p.unit})" if p.unit else p.name,
                _range(p.min_value, p.max_value, p.unit),
                "" if p.planned_value is None else f"{p.planned_value:g}",
            ]
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setFlags(Qt.ItemFlag.ItemIsEnabled)
                self.parameters.setItem(row, column, item)
            actual = self.actual_edits.get(p.parameter_id) or QLineEdit(self)
            actual.setAccessibleName(self.tr("Actual value of {0}").format(p.name))
            actual.setText("" if p.actual_value is None else f"{p.actual_value:g}")
            actual.setReadOnly(done)
            reason = self.reason_edits.get(p.parameter_id) or QLineEdit(self)
            reason.setAccessibleName(self.tr("Deviation reason for {0}").format(p.name))
            reason.setText(p.deviation_reason or "")
            reason.setReadOnly(done)
            reason.setPlaceholderText(self.tr("required: out of range") if p.out_of_range else "")
            if p.parameter_id not in self.actual_edits:
                actual.editingFinished.connect(lambda pid=p.parameter_id: self.save_value(pid))
                reason.editingFinished.connect(lambda pid=p.parameter_id: self.save_value(pid))
                self.parameters.setCellWidget(row, 3, actual)
                self.parameters.setCellWidget(row, 4, reason)
                self.actual_edits[p.parameter_id], self.reason_edits[p.parameter_id] = (
                    actual,
                    reason,
                )
            style = "QLineEdit { border: 2px solid #b3261e; }" if p.out_of_range else ""
            actual.setStyleSheet(style)
            for column in range(3):
                self.parameters.item(row, column).setForeground(
                    QBrush(OUT_OF_RANGE) if p.out_of_range else QBrush()
                )
        self.steps.setRowCount(len(record.steps))
        for row, s in enumerate(record.steps):
            for column, text in enumerate(
                [str(s.position), s.title + (f"\n{s.instructions}" if s.instructions else "")]
            ):
                item = QTableWidgetItem(text)
                item.setFlags(Qt.ItemFlag.ItemIsEnabled)
                self.steps.setItem(row, column, item)
            result = self.step_results.get(s.step_id) or QComboBox(self)
            note = self.step_notes.get(s.step_id) or QLineEdit(self)
            if s.step_id not in self.step_results:
                result.addItem(self.tr("(not yet)"), "")
                result.addItem(self.tr("Done"), StepResultState.DONE.value)
                result.addItem(self.tr("Skipped"), StepResultState.SKIPPED.value)
                result.setAccessibleName(self.tr("Result of step {0}").format(s.position))
                note.setAccessibleName(self.tr("Note on step {0}").format(s.position))
                result.activated.connect(lambda _i, sid=s.step_id: self.save_step(sid))
                note.editingFinished.connect(lambda sid=s.step_id: self.save_step(sid))
                self.steps.setCellWidget(row, 2, result)
                self.steps.setCellWidget(row, 3, note)
                self.step_results[s.step_id], self.step_notes[s.step_id] = result, note
            result.setCurrentIndex(max(result.findData(s.state.value if s.state else ""), 0))
            note.setText(s.note or "")
            result.setEnabled(not done)
            note.setReadOnly(done)
        self.steps.resizeRowsToContents()
        self.process.clear()
        for m in self._service.process_measurements(record.id):
            flag = "" if m.within_limits else self.tr("  (out of limits)")
            self.process.addItem(
                f"{self.tr(m.phase.value)}: {m.name} {m.value:g} {m.unit or ''}{flag}"
            )
        for widget in (self.m_phase, self.m_name, self.m_value, self.m_unit, self.m_add):
            widget.setEnabled(not done)
        self.outcome.setEnabled(not done)
        self.outcome_notes.setReadOnly(done)
        self.complete_button.setEnabled(not done)
        if record.outcome is not None:
            self.outcome.setCurrentIndex(self.outcome.findData(record.outcome.value))
            self.outcome_notes.setText(record.outcome_notes or "")

    # -- saving as the engineer goes ---------------------------------------------------------
    @Slot()
    def save_value(self, parameter_id: str) -> None:
        if self.record.completed:
            return
        try:
            value = self._service.record_value(
                self.record.id,
                parameter_id,
                self.actual_edits[parameter_id].text(),
                self.reason_edits[parameter_id].text(),
            )
        except FieldSupportError as exc:
            self.message.show_error(str(exc))
            self.actual_edits[parameter_id].setStyleSheet(
                "QLineEdit { border: 2px solid #b3261e; }"
            )
            return
        if value.out_of_range and not value.deviation_reason:
            self.message.show_error(
                self.tr("{0} is outside its range: give a deviation reason.").format(value.name)
            )
        else:
            self.message.clear_message()
        self._fill(self._service.get(self.record.id))
        self.changed.emit()

    @Slot()
    def save_step(self, step_id: str) -> None:
        state = self.step_results[step_id].currentData()
        if not state or self.record.completed:
            return
        try:
            self._service.record_step(
                self.record.id, step_id, state, self.step_notes[step_id].text()
            )
        except FieldSupportError as exc:
            self.message.show_error(str(exc))
            return
        self.message.clear_message()
        self.changed.emit()

    @Slot()
    def add_measurement(self) -> None:
        try:
            value = parse_number(self.m_value.text(), self.tr("Value"))
            assert value is not None
            self._service.add_process_measurement(
                self.record.id,
                self.m_phase.currentData(),
                self.m_name.text(),
                value,
                self.m_unit.text(),
            )
        except (ValueError, FieldSupportError) as exc:
            self.message.show_error(str(exc))
            return
        for edit in (self.m_name, self.m_value, self.m_unit):
            edit.clear()
        self.message.clear_message()
        self._fill(self._service.get(self.record.id))
        self.changed.emit()

    @Slot()
    def complete(self) -> None:
        try:
            record = self._service.complete(
                self.record.id, self.outcome.currentData(), self.outcome_notes.text()
            )
        except FieldSupportError as exc:
            self.message.show_error(str(exc))
            return
        self._fill(record)
        self.message.show_info(self.tr("Recorded. The advisor will see it after the next sync."))
        self.changed.emit()
