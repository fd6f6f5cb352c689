"""A case's visits: start travel, arrive, leave (with a running timer), the work notes that
save as they are typed, measurements (out-of-limit values flagged while typing), parts used
and time entries. A finished visit is read-only; when its report came back from the back
office, "Correct the visit" reopens its record of work for the next revision."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from PySide6.QtCore import QDateTime, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateTimeEdit,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QScrollArea,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from fieldsupport.errors import FieldSupportError
from fieldsupport.models.enums import TimeEntryKind, VisitStatus
from fieldsupport.services.views import (
    MeasurementView,
    PartView,
    TimeEntryView,
    VisitDetail,
    VisitView,
)
from fieldsupport.services.visits import VisitService
from fieldsupport.ui.widgets import (
    TOUCH_HEIGHT,
    BoundedTextEdit,
    InlineMessage,
    format_clock,
    format_time,
    parse_number,
    touch_button,
    touch_line,
)

AUTOSAVE_MS = 1500
OUT_OF_LIMIT = QColor("#b3261e")
_BAD_FIELD = "QLineEdit { border: 2px solid #b3261e; }"


class VisitPanel(QWidget):
    #: something of the visit changed that the case file shows elsewhere (timeline, status)
    visit_changed = Signal()

    def __init__(self, visits: VisitService, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._visits = visits
        self._case_id: str | None = None
        self._visit: VisitView | None = None
        self._detail: VisitDetail | None = None

        self.visit_list = QListWidget(self)
        self.visit_list.setAccessibleName(self.tr("Visits of this case"))
        self.visit_list.setMaximumHeight(72)
        self.visit_list.currentRowChanged.connect(self._visit_chosen)
        self.new_visit = touch_button(self.tr("New visit"), self)
        self.new_visit.clicked.connect(self.plan_visit)

        self.state_label = QLabel(self)
        self.state_label.setAccessibleName(self.tr("Visit state"))
        self.timer_label = QLabel(self)
        self.timer_label.setAccessibleName(self.tr("Time on site"))
        self.timer_label.setStyleSheet("font-size: 18px; font-weight: 600;")
        self.travel_button = touch_button(self.tr("Start travel"), self)
        self.arrive_button = touch_button(self.tr("Arrive"), self)
        self.leave_button = touch_button(self.tr("Leave site"), self)
        self.leave_time = QDateTimeEdit(self)
        self.leave_time.setAccessibleName(self.tr("Departure time"))
        self.leave_time.setCalendarPopup(True)
        self.leave_time.setDisplayFormat("yyyy-MM-dd HH:mm")
        self.leave_time.setMinimumHeight(TOUCH_HEIGHT)
        self.travel_button.clicked.connect(self.start_travel)
        self.arrive_button.clicked.connect(self.arrive)
        self.leave_button.clicked.connect(self.leave)
        self.correct_button = touch_button(self.tr("Correct the visit"), self)
        self.correct_button.setToolTip(
            self.tr(
                "Reopen the work notes, parts, time and measurements of this finished visit "
                "to correct what the back office returned; then report it again."
            )
        )
        self.correct_button.clicked.connect(self.reopen_for_correction)
        self.returned_message = InlineMessage(self)

        self.distance = touch_line(self, self.tr("Travel distance (km)"))
        self.work = BoundedTextEdit(self)
        self.work.setAccessibleName(self.tr("Work performed"))
        self.work.setPlaceholderText(self.tr("Work performed"))
        self.findings = BoundedTextEdit(self)
        self.findings.setAccessibleName(self.tr("Findings"))
        self.findings.setPlaceholderText(self.tr("Findings"))
        self.follow_up = QCheckBox(self.tr("Follow-up needed"), self)
        self.follow_up.setMinimumHeight(TOUCH_HEIGHT)
        self.follow_up_notes = touch_line(self, self.tr("Follow-up notes"))
        self.notes_message = InlineMessage(self)

        self.measurements = self._table(
            self.tr("Measurements"),
            [self.tr(h) for h in ("Name", "Value", "Unit", "Lower", "Upper", "")],
        )
        self.m_name = touch_line(self, self.tr("Measurement name"), self.tr("Name"))
        self.m_value = touch_line(self, self.tr("Measured value"), self.tr("Value"))
        self.m_unit = touch_line(self, self.tr("Unit"))
        self.m_low = touch_line(self, self.tr("Lower limit"), self.tr("Lower"))
        self.m_high = touch_line(self, self.tr("Upper limit"), self.tr("Upper"))
        self.m_add = touch_button(self.tr("Add measurement"), self)
        self.m_message = InlineMessage(self)
        for edit in (self.m_value, self.m_low, self.m_high):
            edit.textChanged.connect(self._check_limits)
        self.m_add.clicked.connect(self.add_measurement)
        self.m_remove = touch_button(self.tr("Remove"), self)
        self.m_remove.setAccessibleName(self.tr("Remove the selected measurement"))
        self.m_remove.clicked.connect(self.remove_measurement)

        self.parts = self._table(
            self.tr("Parts used"), [self.tr(h) for h in ("Part number", "Description", "Qty")]
        )
        self.p_number = touch_line(self, self.tr("Part number"))
        self.p_description = touch_line(self, self.tr("Part description"), self.tr("Description"))
        self.p_quantity = touch_line(self, self.tr("Quantity"))
        self.p_add = touch_button(self.tr("Add part"), self)
        self.p_message = InlineMessage(self)
        self.p_add.clicked.connect(self.add_part)
        self.p_remove = touch_button(self.tr("Remove"), self)
        self.p_remove.setAccessibleName(self.tr("Remove the selected part"))
        self.p_remove.clicked.connect(self.remove_part)

        self.entries = self._table(
            self.tr("Time entries"), [self.tr(h) for h in ("Kind", "Start", "Minutes", "Note")]
        )
        self.t_kind = QComboBox(self)
        self.t_kind.setAccessibleName(self.tr("Time entry kind"))
        self.t_kind.setMinimumHeight(TOUCH_HEIGHT)
        for kind in TimeEntryKind:
            self.t_kind.addItem(self.tr(kind.value.capitalize()), kind)
        self.t_minutes = touch_line(self, self.tr("Minutes"))
        self.t_note = touch_line(self, self.tr("Time entry note"), self.tr("Note"))
        self.t_add = touch_button(self.tr("Add time"), self)
        self.t_message = InlineMessage(self)
        self.t_add.clicked.connect(self.add_time_entry)
        self.t_remove = touch_button(self.tr("Remove"), self)
        self.t_remove.setAccessibleName(self.tr("Remove the selected time entry"))
        self.t_remove.clicked.connect(self.remove_time_entry)

        self._build_layout()
        self._autosave = QTimer(self)
        self._autosave.setSingleShot(True)
        self._autosave.setInterval(AUTOSAVE_MS)
        self._autosave.timeout.connect(self.save_notes)
        for text in (self.work, self.findings):
            text.textChanged.connect(self._autosave.start)
        for line in (self.distance, self.follow_up_notes):
            line.textEdited.connect(self._autosave.start)
            line.editingFinished.connect(self.save_notes)
        self.follow_up.toggled.connect(self._autosave.start)
        self._clock = QTimer(self)
        self._clock.setInterval(1000)
        self._clock.timeout.connect(self._tick)
        self._show_visit(None)

    def _table(self, name: str, headers: list[str]) -> QTableWidget:
        table = QTableWidget(0, len(headers), self)
        table.setAccessibleName(name)
        table.setHorizontalHeaderLabels(headers)
        table.verticalHeader().setVisible(False)
        table.horizontalHeader().setStretchLastSection(True)
        table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        table.setSelectionMode(QTableWidget.SelectionMode.SingleSelection)
        table.setMinimumHeight(110)
        return table

    def _build_layout(self) -> None:
        top = QHBoxLayout()
        top.addWidget(self.visit_list, 1)
        top.addWidget(self.new_visit, 0, Qt.AlignmentFlag.AlignTop)

        steps = QHBoxLayout()
        steps.addWidget(self.state_label)
        steps.addWidget(self.timer_label)
        steps.addStretch(1)
        for widget in (
            self.travel_button,
            self.arrive_button,
            self.leave_time,
            self.leave_button,
            self.correct_button,
        ):
            steps.addWidget(widget)

        notes = QFormLayout()
        notes.addRow(self.tr("Travel distance (km)"), self.distance)
        notes.addRow(self.tr("Work performed"), self.work)
        notes.addRow(self.tr("Findings"), self.findings)
        follow = QHBoxLayout()
        follow.addWidget(self.follow_up)
        follow.addWidget(self.follow_up_notes, 1)
        notes.addRow(follow)
        notes.addRow(self.notes_message)

        def group(
            title: str, table: QTableWidget, inputs: list[QWidget], message: QWidget
        ) -> QGroupBox:
            box = QGroupBox(title, self)
            grid = QGridLayout(box)
            grid.addWidget(table, 0, 0, 1, len(inputs))
            for column, widget in enumerate(inputs):
                grid.addWidget(widget, 1, column)
            grid.addWidget(message, 2, 0, 1, len(inputs))
            return box

        content = QWidget(self)
        body = QVBoxLayout(content)
        body.addLayout(steps)
        body.addWidget(self.returned_message)
        body.addLayout(notes)
        body.addWidget(
            group(
                self.tr("Measurements"),
                self.measurements,
                [
                    self.m_name,
                    self.m_value,
                    self.m_unit,
                    self.m_low,
                    self.m_high,
                    self.m_add,
                    self.m_remove,
                ],
                self.m_message,
            )
        )
        body.addWidget(
            group(
                self.tr("Parts used"),
                self.parts,
                [self.p_number, self.p_description, self.p_quantity, self.p_add, self.p_remove],
                self.p_message,
            )
        )
        body.addWidget(
            group(
                self.tr("Time entries"),
                self.entries,
                [self.t_kind, self.t_minutes, self.t_note, self.t_add, self.t_remove],
                self.t_message,
            )
        )
        self.editor = content
        scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
        scroll.setWidget(content)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addWidget(scroll, 1)

    # -- which visit ------------------------------------------------------------------------
    def show_case(self, case_id: str, visits: list[VisitView]) -> None:
        if case_id != self._case_id:
            self.save_notes()
        self._case_id = case_id
        keep = self._visit.id if self._visit and self._visit.case_id == case_id else None
        self.visit_list.blockSignals(True)
        self.visit_list.clear()
        for visit in visits:
            item = QListWidgetItem(self._visit_text(visit))
            item.setData(Qt.ItemDataRole.UserRole, visit.id)
            self.visit_list.addItem(item)
        self.visit_list.blockSignals(False)
        ids = [v.id for v in visits]
        if keep in ids:
            self.visit_list.setCurrentRow(ids.index(keep))
        elif visits:
            # the visit in progress, else the latest
            active = [i for i, v in enumerate(visits) if v.status is not VisitStatus.COMPLETED]
            self.visit_list.setCurrentRow(active[0] if active else len(visits) - 1)
        else:
            self._show_visit(None)

    def _visit_text(self, visit: VisitView) -> str:
        when = visit.arrived_at or visit.planned_start or visit.travel_started_at
        return " — ".join(
            part
            for part in (
                format_time(when) or self.tr("not started"),
                self.tr(visit.status.value.replace("_", " ")),
                visit.engineer or "",
            )
            if part
        )

    @Slot(int)
    def _visit_chosen(self, row: int) -> None:
        self.save_notes()
        item = self.visit_list.item(row)
        visit_id = item.data(Qt.ItemDataRole.UserRole) if item else None
        self._show_visit(visit_id)

    def _show_visit(self, visit_id: str | None) -> None:
        self._autosave.stop()
        if visit_id is None:
            self._visit, self._detail = None, None
            self.editor.setEnabled(False)
            for widget in (
                self.travel_button,
                self.arrive_button,
                self.leave_button,
                self.leave_time,
                self.correct_button,
            ):
                widget.setVisible(False)
            self.returned_message.clear_message()
            self.state_label.setText(self.tr("No visit yet: plan one with New visit."))
            self.timer_label.clear()
            self._clock.stop()
            return
        try:
            detail = self._visits.visit_detail(visit_id)
        except FieldSupportError as exc:
            self.notes_message.show_error(str(exc))
            return
        self._apply_detail(detail)

    def _apply_detail(self, detail: VisitDetail) -> None:
        self._detail, self._visit = detail, detail.visit
        visit = detail.visit
        finished = not visit.editable
        self.editor.setEnabled(True)
        for widget in (self.work, self.findings):
            widget.blockSignals(True)
        self.work.setPlainText(visit.work_performed or "")
        self.findings.setPlainText(visit.findings or "")
        for widget in (self.work, self.findings):
            widget.blockSignals(False)
            widget.setReadOnly(finished)
        self.distance.setText(
            "" if visit.travel_distance_km is None else f"{visit.travel_distance_km:g}"
        )
        self.follow_up.blockSignals(True)
        self.follow_up.setChecked(visit.follow_up_needed)
        self.follow_up.blockSignals(False)
        self.follow_up_notes.setText(detail.follow_up_notes or "")
        for widget in (self.distance, self.follow_up_notes):
            widget.setReadOnly(finished)
        self.follow_up.setEnabled(not finished)
        self.travel_button.setVisible(visit.status is VisitStatus.PLANNED)
        self.arrive_button.setVisible(visit.status in (VisitStatus.PLANNED, VisitStatus.TRAVELLING))
        on_site = visit.status is VisitStatus.ON_SITE
        self.leave_button.setVisible(on_site)
        self.leave_time.setVisible(on_site)
        self.leave_time.setDateTime(QDateTime.currentDateTime())
        for widget in (
            self.m_add,
            self.p_add,
            self.t_add,
            self.m_remove,
            self.p_remove,
            self.t_remove,
        ):
            widget.setEnabled(not finished)
        self.correct_button.setVisible(visit.returned is not None and not visit.correcting)
        self._say_returned(visit)
        self._fill_tables(detail)
        self._update_state_text()
        if visit.status in (VisitStatus.ON_SITE, VisitStatus.TRAVELLING):
            self._clock.start()
        else:
            self._clock.stop()
        self._tick()
        row = self.visit_list.currentRow()
        if row >= 0:
            self.visit_list.item(row).setText(self._visit_text(visit))

    def _say_returned(self, visit: VisitView) -> None:
        returned = visit.returned
        if returned is None:
            self.returned_message.clear_message()
            return
        said = self.tr("{0} revision {1} was returned by {2}: {3}").format(
            returned.report_number, returned.revision, returned.decided_by, returned.reason or ""
        )
        if visit.correcting:
            self.returned_message.show_info(
                said
                + " "
                + self.tr(
                    "Correcting: change what is needed, then create the report again "
                    "(revision {0}) on the Reports tab."
                ).format(returned.revision + 1)
            )
        else:
            self.returned_message.show_error(
                said + " " + self.tr("Use Correct the visit to change it.")
            )

    def _update_state_text(self) -> None:
        visit = self._visit
        if visit is None:
            return
        text = {
            VisitStatus.PLANNED: self.tr("Planned"),
            VisitStatus.TRAVELLING: self.tr("Travelling since {0}").format(
                format_time(visit.travel_started_at)
            ),
            VisitStatus.ON_SITE: self.tr("On site since {0}").format(format_time(visit.arrived_at)),
            VisitStatus.COMPLETED: self.tr("Completed: {0} – {1}, {2} min logged").format(
                format_time(visit.arrived_at),
                format_time(visit.departed_at),
                visit.time_entry_minutes,
            ),
            VisitStatus.CANCELLED: self.tr("Cancelled"),
        }[visit.status]
        if visit.correcting:
            text += " " + self.tr("(being corrected)")
        self.state_label.setText(text)

    @Slot()
    def _tick(self) -> None:
        visit = self._visit
        if visit is None:
            self.timer_label.clear()
            return
        start = visit.arrived_at if visit.status is VisitStatus.ON_SITE else visit.travel_started_at
        if visit.status in (VisitStatus.ON_SITE, VisitStatus.TRAVELLING) and start is not None:
            seconds = int((datetime.now(UTC) - start).total_seconds())
            self.timer_label.setText(format_clock(seconds))
        else:
            self.timer_label.clear()

    def _fill_tables(self, detail: VisitDetail) -> None:
        self.measurements.setRowCount(0)
        for m in detail.measurements:
            cells = [
                m.name,
                f"{m.value:g}",
                m.unit or "",
                "" if m.lower_limit is None else f"{m.lower_limit:g}",
                "" if m.upper_limit is None else f"{m.upper_limit:g}",
                "" if m.within_limits else self.tr("out of limits"),
            ]
            self._append(self.measurements, cells, flagged=not m.within_limits)
        self.parts.setRowCount(0)
        for p in detail.parts:
            self._append(self.parts, [p.part_number, p.description, f"{p.quantity:g} {p.unit}"])
        self.entries.setRowCount(0)
        for t in detail.time_entries:
            self._append(
                self.entries,
                [
                    self.tr(t.kind.value.capitalize()),
                    format_time(t.started_at),
                    str(t.minutes),
                    t.note or "",
                ],
            )

    @staticmethod
    def _append(table: QTableWidget, cells: list[str], *, flagged: bool = False) -> None:
        row = table.rowCount()
        table.insertRow(row)
        for column, text in enumerate(cells):
            item = QTableWidgetItem(text)
            if flagged:
                item.setForeground(QBrush(OUT_OF_LIMIT))
            table.setItem(row, column, item)

    def _reload(self) -> None:
        if self._visit is not None:
            self._show_visit(self._visit.id)
        self.visit_changed.emit()

    # -- visit steps ------------------------------------------------------------------------
    @Slot()
    def plan_visit(self) -> None:
        if self._case_id is None:
            return
        try:
            visit = self._visits.plan_visit(self._case_id)
        except FieldSupportError as exc:
            self.notes_message.show_error(str(exc))
            return
        self._visit = visit
        self.visit_changed.emit()

    def _step(self, call: object) -> None:
        try:
            call()  # type: ignore[operator]
        except FieldSupportError as exc:
            self.notes_message.show_error(str(exc))
            return
        self.notes_message.clear_message()
        self._reload()

    @Slot()
    def reopen_for_correction(self) -> None:
        if self._visit is not None:
            visit_id = self._visit.id
            self._step(lambda: self._visits.reopen_for_correction(visit_id))

    @Slot()
    def start_travel(self) -> None:
        if self._visit is not None:
            visit_id = self._visit.id
            self._step(lambda: self._visits.start_travel(visit_id))

    @Slot()
    def arrive(self) -> None:
        if self._visit is not None:
            visit_id = self._visit.id
            self._step(lambda: self._visits.arrive(visit_id))

    @Slot()
    def leave(self) -> None:
        if self._visit is None:
            return
        try:
            distance = parse_number(
                self.distance.text(), self.tr("Travel distance"), required=False
            )
        except ValueError as exc:
            self.notes_message.show_error(str(exc))
            return
        when = self.leave_time.dateTime().toPython()
        at = when.astimezone(UTC) if when.tzinfo else when.astimezone().astimezone(UTC)
        visit_id = self._visit.id
        self._autosave.stop()
        self._step(
            lambda: self._visits.depart(
                visit_id,
                at,
                work_performed=self.work.toPlainText(),
                findings=self.findings.toPlainText(),
                follow_up_needed=self.follow_up.isChecked(),
                follow_up_notes=self.follow_up_notes.text(),
                travel_distance_km=distance,
            )
        )

    # -- autosave ---------------------------------------------------------------------------
    def has_pending_edits(self) -> bool:
        return self._autosave.isActive()

    @Slot()
    def save_notes(self) -> bool:
        """Save the typed notes now; False (with the reason shown) if they could not be."""
        self._autosave.stop()
        visit = self._visit
        if visit is None or not visit.editable:
            return True
        self.distance.setStyleSheet("")
        try:
            distance = parse_number(
                self.distance.text(), self.tr("Travel distance"), required=False
            )
        except ValueError as exc:
            self.distance.setStyleSheet(_BAD_FIELD)
            self.notes_message.show_error(str(exc))
            distance = visit.travel_distance_km  # keep the last good value; save the text
        for edit in (self.work, self.findings):
            if edit.truncated:
                self.notes_message.show_error(
                    self.tr("The pasted text was too long and was cut; check the end of it.")
                )
                edit.truncated = False
        try:
            self._visit = self._visits.update_notes(
                visit.id,
                work_performed=self.work.toPlainText(),
                findings=self.findings.toPlainText(),
                follow_up_needed=self.follow_up.isChecked(),
                follow_up_notes=self.follow_up_notes.text(),
                travel_distance_km=distance,
            )
        except FieldSupportError as exc:
            self.notes_message.show_error(str(exc))
            return False
        return True

    # -- measurements, parts, time ----------------------------------------------------------
    def _limits(self) -> tuple[float | None, float | None, float | None]:
        value = parse_number(self.m_value.text(), self.tr("Value"))
        low = parse_number(self.m_low.text(), self.tr("Lower limit"), required=False)
        high = parse_number(self.m_high.text(), self.tr("Upper limit"), required=False)
        return value, low, high

    @Slot()
    def _check_limits(self) -> None:
        """Flag a value outside its limits (or a non-number) while it is being typed."""
        self.m_value.setStyleSheet("")
        self.m_message.clear_message()
        if not self.m_value.text().strip():
            return
        try:
            value, low, high = self._limits()
        except ValueError as exc:
            self.m_value.setStyleSheet(_BAD_FIELD)
            self.m_message.show_error(str(exc))
            return
        assert value is not None
        if (low is not None and value < low) or (high is not None and value > high):
            self.m_value.setStyleSheet(_BAD_FIELD)
            self.m_message.show_error(
                self.tr("Outside the limits: this value will be flagged in the report.")
            )

    @Slot()
    def add_measurement(self) -> None:
        if self._visit is None:
            return
        try:
            value, low, high = self._limits()
        except ValueError as exc:
            self.m_message.show_error(str(exc))
            return
        assert value is not None
        try:
            self._visits.add_measurement(
                self._visit.id,
                self.m_name.text(),
                value,
                unit=self.m_unit.text(),
                lower_limit=low,
                upper_limit=high,
            )
        except FieldSupportError as exc:
            self.m_message.show_error(str(exc))
            return
        for edit in (self.m_name, self.m_value, self.m_unit, self.m_low, self.m_high):
            edit.clear()
        self._reload()

    @Slot()
    def add_part(self) -> None:
        if self._visit is None:
            return
        try:
            quantity = parse_number(self.p_quantity.text() or "1", self.tr("Quantity"))
        except ValueError as exc:
            self.p_message.show_error(str(exc))
            return
        assert quantity is not None
        try:
            self._visits.add_part(
                self._visit.id, self.p_number.text(), self.p_description.text(), quantity
            )
        except FieldSupportError as exc:
            self.p_message.show_error(str(exc))
            return
        self.p_message.clear_message()
        for edit in (self.p_number, self.p_description, self.p_quantity):
            edit.clear()
        self._reload()

    def _remove_selected(
        self,
        table: QTableWidget,
        rows: Sequence[MeasurementView | PartView | TimeEntryView],
        remove: Callable[[str], None],
        message: InlineMessage,
    ) -> None:
        selected = table.selectionModel().selectedRows()
        if not selected or selected[0].row() >= len(rows):
            message.show_error(self.tr("Select the line to remove first."))
            return
        row_id = rows[selected[0].row()].id
        try:
            remove(row_id)
        except FieldSupportError as exc:
            message.show_error(str(exc))
            return
        message.clear_message()
        self._reload()

    @Slot()
    def remove_measurement(self) -> None:
        if self._detail is not None:
            self._remove_selected(
                self.measurements,
                self._detail.measurements,
                self._visits.remove_measurement,
                self.m_message,
            )

    @Slot()
    def remove_part(self) -> None:
        if self._detail is not None:
            self._remove_selected(
                self.parts, self._detail.parts, self._visits.remove_part, self.p_message
            )

    @Slot()
    def remove_time_entry(self) -> None:
        if self._detail is not None:
            self._remove_selected(
                self.entries,
                self._detail.time_entries,
                self._visits.remove_time_entry,
                self.t_message,
            )

    @Slot()
    def add_time_entry(self) -> None:
        if self._visit is None:
            return
        text = self.t_minutes.text().strip()
        if not text.isdigit():
            self.t_message.show_error(
                self.tr("Minutes: enter a whole number of minutes (e.g. 45).")
            )
            return
        visit = self._visit
        start = visit.arrived_at or visit.travel_started_at or datetime.now(UTC)
        try:
            self._visits.add_time_entry(
                visit.id, self.t_kind.currentData(), start, int(text), self.t_note.text()
            )
        except FieldSupportError as exc:
            self.t_message.show_error(str(exc))
            return
        self.t_message.clear_message()
        self.t_minutes.clear()
        self.t_note.clear()
        self._reload()
