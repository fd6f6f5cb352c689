"""Applying a custom solution on site: planned values from the released version, actual
values typed by the engineer (out of range flagged at once, a deviation reason asked for),
each step done or skipped (with the step's photo from the version, if it has one), process
measurements and photos before and after, and the outcome."""

from __future__ import annotations

from html import escape
from typing import Any

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
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
from fieldsupport.services.applications import (
    ApplicationService,
    ApplicationView,
    out_of_range,
    parse_quantity,
)
from fieldsupport.services.photos import PhotoOwner, PhotoService
from fieldsupport.ui.photo_gallery import PhotoGallery
from fieldsupport.ui.step_photos import StepPhotoCell, step_photo_view
from fieldsupport.ui.widgets import (
    TOUCH_HEIGHT,
    InlineMessage,
    fit_to_screen,
    format_time,
    parse_number,
    touch_button,
)

OUT_OF_RANGE = QColor("#b3261e")
PARAM_COLUMNS = ("Parameter", "Range", "Planned", "Actual", "Deviation reason")
STEP_COLUMNS = ("#", "Step", "Photo", "Result", "Note")
STEP_PHOTO, STEP_RESULT, STEP_NOTE = 2, 3, 4


def _range(low: float | None, high: float | None, unit: str | None) -> str:
    unit = unit or ""
    if low is not None and high is not None:
        return f"{low:g}–{high:g} {unit}".strip()
    if low is not None:
        return f"≥ {low:g} {unit}".strip()
    if high is not None:
        return f"≤ {high:g} {unit}".strip()
    return ""


def _fitted_height(table: QTableWidget) -> int:
    """The height that shows every row and no empty space below them."""
    rows = sum(table.rowHeight(r) for r in range(table.rowCount()))
    header = table.horizontalHeader().sizeHint().height()  # before it is first shown too
    return header + rows + 2 * table.frameWidth() + 2


class ApplicationDialog(QDialog):
    #: the record changed (the case file reloads)
    changed = Signal()

    def __init__(
        self,
        service: ApplicationService,
        record: ApplicationView,
        parent: QWidget | None = None,
        *,
        photos: PhotoService | None = None,
        review: bool = False,
    ) -> None:
        """``review``: the advisor looking at a record that came back (its photos too are
        to look at, not to change)."""
        super().__init__(parent)
        self._service = service
        self._photos = photos or PhotoService(service.workspace)
        self.viewer: Any = None  # the step photos' viewer last opened (photo_viewer.show_viewer)
        self.record = record
        self.setWindowTitle(
            self.tr("Apply {0} v{1}").format(record.solution_title, record.version_number)
        )
        self.setAccessibleName(self.tr("Application record"))
        fit_to_screen(self, 1000, 800)
        self.heading = QLabel(self)
        self.heading.setWordWrap(True)
        # before/after photos of the record (also in the case's Photos tab and the report)
        self.photos = PhotoGallery(self._photos, self, compact=True)
        self.photos.setAccessibleName(self.tr("Photos before and after"))
        self.photos.changed.connect(self.changed)
        self.photos.show_owner(PhotoOwner(application_record_id=record.id))
        self.photos.set_read_only(review)
        self.step_photos: dict[str, StepPhotoCell] = {}
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
        for column, width in enumerate((36, 380, 64, 130)):
            self.steps.setColumnWidth(column, width)
        self.steps.setWordWrap(True)
        self.steps.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
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
        # everything is saved as it is entered: closing loses nothing
        self.close_button = touch_button(self.tr("Close"), self)
        self.close_button.clicked.connect(self.reject)
        self.message = InlineMessage(self)
        self.actual_edits: dict[str, QLineEdit] = {}
        self.reason_edits: dict[str, QLineEdit] = {}
        self.step_results: dict[str, QComboBox] = {}
        self.step_notes: dict[str, QLineEdit] = {}
        # steps chosen "Skipped" whose reason is still being typed (saved with the reason)
        self.unsaved_skips: set[str] = set()
        self._told_unsaved_skip = False  # closing with one of them: said once, then closes

        self.process = QListWidget(self)
        self.process.setAccessibleName(self.tr("Process measurements"))
        self.process.setMaximumHeight(140)  # the steps above need the room more
        self.m_phase = QComboBox(self)
        self.m_phase.setAccessibleName(self.tr("Measured"))
        for phase in (MeasurementPhase.BEFORE, MeasurementPhase.AFTER, MeasurementPhase.DURING):
            self.m_phase.addItem(self.tr(phase.value.capitalize()), phase.value)
        self.m_phase.setMinimumHeight(TOUCH_HEIGHT)
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
        # two short rows: the lower half of the dialog shares its width with the photos
        measure = QGridLayout()
        measure.addWidget(self.m_phase, 0, 0)
        measure.addWidget(self.m_name, 0, 1, 1, 2)
        measure.addWidget(self.m_value, 1, 0)
        measure.addWidget(self.m_unit, 1, 1)
        measure.addWidget(self.m_add, 1, 2)
        measure.setColumnStretch(1, 1)
        measure.setColumnStretch(2, 1)

        finish = QHBoxLayout()
        finish.addWidget(QLabel(self.tr("Outcome:"), self))
        finish.addWidget(self.outcome)
        finish.addWidget(self.outcome_notes, 1)
        finish.addWidget(self.complete_button)
        finish.addWidget(self.close_button)
        measurements = QVBoxLayout()
        measurements.addWidget(QLabel(self.tr("Process measurements before and after"), self))
        measurements.addWidget(self.process, 1)
        measurements.addLayout(measure)
        photos = QVBoxLayout()
        photos.addWidget(QLabel(self.tr("Photos before and after"), self))
        photos.addWidget(self.photos, 1)
        lower = QHBoxLayout()
        lower.addLayout(measurements, 1)
        lower.addLayout(photos, 1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.heading)
        layout.addWidget(QLabel(self.tr("Parameters"), self))
        layout.addWidget(self.parameters, 1)
        layout.addWidget(QLabel(self.tr("Procedure"), self))
        layout.addWidget(self.steps, 2)
        layout.addLayout(lower)
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
        lines = [f"<b>{escape(record.solution_title)}</b> — {version} — {status}"]
        # what the version says to mind and to bring: read on site before the first step
        if record.safety_notes:
            lines.append(
                f"<b>{self.tr('Safety')}:</b> "
                f"<span style='color:#b3261e'>{escape(record.safety_notes)}</span>"
            )
        if record.materials:
            lines.append(f"<b>{self.tr('Materials')}:</b> {escape(record.materials)}")
        if record.reviewed_at is not None:
            lines.append(
                f"<b>{self.tr('Reviewed {0}').format(format_time(record.reviewed_at))}:</b> "
                f"{escape(record.review_comment or '')}"
            )
        self.heading.setText("<br>".join(lines))
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
            reason.setCursorPosition(0)  # a long reason shows its beginning, not its end
            reason.setToolTip(p.deviation_reason or "")
            reason.setReadOnly(done)
            if p.parameter_id not in self.actual_edits:
                actual.textEdited.connect(lambda _t, pid=p.parameter_id: self.flag_typed(pid))
                actual.editingFinished.connect(lambda pid=p.parameter_id: self.save_value(pid))
                reason.editingFinished.connect(lambda pid=p.parameter_id: self.save_value(pid))
                self.parameters.setCellWidget(row, 3, actual)
                self.parameters.setCellWidget(row, 4, reason)
                self.actual_edits[p.parameter_id], self.reason_edits[p.parameter_id] = (
                    actual,
                    reason,
                )
            self._mark(row, p.parameter_id, p.out_of_range)
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
                result.activated.connect(lambda _i, sid=s.step_id: self.choose_result(sid))
                note.editingFinished.connect(lambda sid=s.step_id: self.save_step(sid))
                self.steps.setCellWidget(row, STEP_RESULT, result)
                self.steps.setCellWidget(row, STEP_NOTE, note)
                self.step_results[s.step_id], self.step_notes[s.step_id] = result, note
                photo = StepPhotoCell(self.photos.loader, self._photos, self.steps)
                photo.set_editable(False)  # the version's picture: the advisor's to change
                photo.set_photo(s.photo_sha256)
                photo.view.connect(lambda sid=s.step_id: self.view_step_photo(sid))
                self.steps.setCellWidget(row, STEP_PHOTO, photo)
                self.step_photos[s.step_id] = photo
            state = s.state.value if s.state else ""
            if s.step_id in self.unsaved_skips and not done:
                state = StepResultState.SKIPPED.value  # chosen, its reason not typed yet
            result.setCurrentIndex(max(result.findData(state), 0))
            note.setText(s.note or "")
            note.setCursorPosition(0)
            note.setToolTip(s.note or "")
            result.setEnabled(not done)
            note.setReadOnly(done)
        self.parameters.setMaximumHeight(_fitted_height(self.parameters))
        self.steps.setColumnHidden(STEP_PHOTO, not any(s.photo_sha256 for s in record.steps))
        self.steps.resizeRowsToContents()
        self.process.clear()
        for m in self._service.process_measurements(record.id):
            value = " ".join(p for p in (f"{m.value:g}", m.unit or "") if p)
            flag = "" if m.within_limits else " " + self.tr("(out of limits)")
            self.process.addItem(f"{self.tr(m.phase.value.capitalize())}: {m.name} {value}{flag}")
        for widget in (self.m_phase, self.m_name, self.m_value, self.m_unit, self.m_add):
            widget.setEnabled(not done)
        self.outcome.setEnabled(not done)
        self.outcome_notes.setReadOnly(done)
        self.complete_button.setEnabled(not done)
        if record.outcome is not None:
            self.outcome.setCurrentIndex(self.outcome.findData(record.outcome.value))
            self.outcome_notes.setText(record.outcome_notes or "")

    def _mark(self, row: int, parameter_id: str, flagged: bool) -> None:
        """Show a parameter's row as out of range (red, a deviation reason asked for)."""
        style = "QLineEdit { border: 2px solid #b3261e; }" if flagged else ""
        self.actual_edits[parameter_id].setStyleSheet(style)
        self.reason_edits[parameter_id].setPlaceholderText(
            self.tr("required: out of range") if flagged else ""
        )
        for column in range(3):
            self.parameters.item(row, column).setForeground(
                QBrush(OUT_OF_RANGE) if flagged else QBrush()
            )

    @Slot()
    def flag_typed(self, parameter_id: str) -> None:
        """Flag an out-of-range value while it is being typed, before it is saved."""
        row, p = next(
            (i, p) for i, p in enumerate(self.record.parameters) if p.parameter_id == parameter_id
        )
        text = self.actual_edits[parameter_id].text()
        try:
            value = parse_quantity(text, p.unit, p.name) if text.strip() else None
        except FieldSupportError:
            return  # not a value (yet): saving it says what is wrong
        self._mark(row, parameter_id, out_of_range(value, p.min_value, p.max_value))

    def _step_position(self, step_id: str) -> int:
        return next((s.position for s in self.record.steps if s.step_id == step_id), 0)

    def view_step_photo(self, step_id: str) -> None:
        from fieldsupport.ui.photo_viewer import show_viewer

        steps = [s for s in self.record.steps if s.photo_sha256]
        views = [step_photo_view(s.photo_sha256 or "", s.title, s.position) for s in steps]
        start = next((i for i, s in enumerate(steps) if s.step_id == step_id), 0)
        if views:
            self.viewer = show_viewer(self.viewer, self._photos, views, start, self)

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
    def choose_result(self, step_id: str) -> None:
        """A result chosen for a step. "Skipped" needs a reason: without one yet, the note
        asks for it and has the cursor; the step is saved once the reason is there (only
        leaving the note empty, or completing the record, says it is missing)."""
        note = self.step_notes[step_id]
        skipped = self.step_results[step_id].currentData() == StepResultState.SKIPPED.value
        self._mark_note(step_id, skipped and not note.text().strip())
        if skipped and not note.text().strip() and not self.record.completed:
            self.unsaved_skips.add(step_id)
            note.setFocus()
            return
        self.save_step(step_id)

    def _mark_note(self, step_id: str, wanted: bool) -> None:
        note = self.step_notes[step_id]
        note.setPlaceholderText(self.tr("required: why was it skipped?") if wanted else "")
        note.setStyleSheet("QLineEdit { border: 2px solid #b3261e; }" if wanted else "")

    @Slot()
    def save_step(self, step_id: str) -> bool:
        state = self.step_results[step_id].currentData()
        if not state or self.record.completed:
            self.unsaved_skips.discard(step_id)
            return True
        try:
            self._service.record_step(
                self.record.id, step_id, state, self.step_notes[step_id].text()
            )
        except FieldSupportError as exc:
            self.message.show_error(str(exc))
            return False
        self.unsaved_skips.discard(step_id)
        self._mark_note(step_id, False)
        self.message.clear_message()
        self.changed.emit()
        return True

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

    def reject(self) -> None:
        """Close (the button, Escape, the window's own): everything typed is saved, except
        a "Skipped" still waiting for its reason. The first try says so and puts the cursor
        there; closing again leaves that step as it was before."""
        waiting = sorted(self.unsaved_skips, key=self._step_position)
        if waiting and not self._told_unsaved_skip:
            self._told_unsaved_skip = True
            self.message.show_error(
                self.tr(
                    "Step {0} is marked Skipped but is not saved until you type why. Type the "
                    "reason, or close again to leave the step open."
                ).format(self._step_position(waiting[0]))
            )
            self.step_notes[waiting[0]].setFocus()
            return
        super().reject()

    @Slot()
    def complete(self) -> None:
        for step_id in sorted(self.unsaved_skips, key=self._step_position):
            if not self.save_step(step_id):  # skipped, still without a reason: says so
                self.step_notes[step_id].setFocus()
                return
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
