"""The case file's Training tab: sessions given on this case, a compact form for a new one,
and the attendance list (quick add, pick from the customer's contacts, sign-off, assessment)."""

from __future__ import annotations

from datetime import UTC

from PySide6.QtCore import QDateTime, Qt, Signal, Slot
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateTimeEdit,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from fieldsupport.errors import FieldSupportError
from fieldsupport.models.enums import AssessmentResult
from fieldsupport.services.catalog import CatalogService
from fieldsupport.services.signatures import SignatureService
from fieldsupport.services.training import TrainingService, TrainingView
from fieldsupport.ui.signature_dialog import SignatureDialog
from fieldsupport.ui.widgets import (
    TOUCH_HEIGHT,
    InlineMessage,
    format_time,
    section_heading,
    touch_button,
    touch_line,
)


class TrainingTab(QWidget):
    changed = Signal()

    def __init__(
        self,
        training: TrainingService,
        catalog: CatalogService,
        parent: QWidget | None = None,
        signatures: SignatureService | None = None,
    ) -> None:
        super().__init__(parent)
        self._training, self._catalog = training, catalog
        self._signatures = signatures or SignatureService(training.workspace)
        self._case_id: str | None = None
        self._customer_id: str | None = None
        self.current: TrainingView | None = None
        self.sessions = QListWidget(self)
        self.sessions.setAccessibleName(self.tr("Training sessions of this case"))
        self.sessions.setMaximumHeight(90)
        self.sessions.currentRowChanged.connect(self._session_chosen)
        self.topic = touch_line(self, self.tr("Topic"))
        self.start = QDateTimeEdit(self)
        self.start.setAccessibleName(self.tr("Training start"))
        self.start.setDisplayFormat("yyyy-MM-dd HH:mm")
        self.start.setCalendarPopup(True)
        self.start.setMinimumHeight(TOUCH_HEIGHT)
        self.duration = QSpinBox(self)
        self.duration.setAccessibleName(self.tr("Duration in minutes"))
        self.duration.setRange(1, 5 * 24 * 60)
        self.duration.setValue(60)
        self.duration.setSuffix(self.tr(" min"))
        self.duration.setMinimumHeight(TOUCH_HEIGHT)
        self.materials = touch_line(self, self.tr("Materials used"))
        # who gave the session: the signed-in user unless a colleague did (a user's name)
        self.trainer = QComboBox(self)
        self.trainer.setEditable(True)
        self.trainer.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.trainer.setAccessibleName(self.tr("Trainer"))
        self.trainer.setToolTip(self.tr("Who gave the training (printed on the report)"))
        self.trainer.lineEdit().setPlaceholderText(self.tr("Trainer"))
        self.trainer.setMinimumHeight(TOUCH_HEIGHT)
        self.trainer.setMinimumContentsLength(14)
        self.create_button = touch_button(self.tr("New session"), self)
        self.create_button.clicked.connect(self.create_session)

        # who gave the chosen session, when, and with what (the list shows topic and time)
        self.details = QLabel(self)
        self.details.setAccessibleName(self.tr("The chosen session"))
        self.details.setTextFormat(Qt.TextFormat.PlainText)
        self.details.setWordWrap(True)
        self.attendees = QTableWidget(0, 5, self)
        self.attendees.setAccessibleName(self.tr("Attendance list"))
        self.attendees.setHorizontalHeaderLabels(
            [self.tr(h) for h in ("Name", "Role", "Company", "Signed off", "Assessment")]
        )
        self.attendees.verticalHeader().setVisible(False)
        self.attendees.verticalHeader().setDefaultSectionSize(TOUCH_HEIGHT + 4)
        # the controls get what they need, the texts share the rest (fixed widths pushed the
        # assessment out of sight in a laptop's case file)
        header = self.attendees.horizontalHeader()
        header.setStretchLastSection(False)
        for column in (0, 1, 2):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.Stretch)
        for column in (3, 4):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        self.attendees.setWordWrap(True)
        self.attendees.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.name = touch_line(self, self.tr("Attendee name"))
        self.role = touch_line(self, self.tr("Attendee role"))
        self.add_button = touch_button(self.tr("Add attendee"), self)
        self.add_button.clicked.connect(self.quick_add)
        self.contacts = QComboBox(self)
        self.contacts.setAccessibleName(self.tr("Customer contacts"))
        self.contacts.setMinimumHeight(TOUCH_HEIGHT)
        self.pick_button = touch_button(self.tr("Add contact"), self)
        self.pick_button.clicked.connect(self.add_contact)
        # a name mistyped in a quick add would otherwise stay on the report's attendance list
        self.remove_button = touch_button(self.tr("Remove attendee"), self)
        self.remove_button.clicked.connect(self.remove_selected)
        self.remove_button.setEnabled(False)  # until an attendee is chosen
        self.attendees.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        self.attendees.setSelectionMode(QTableWidget.SelectionMode.SingleSelection)
        self.attendees.itemSelectionChanged.connect(self._attendee_chosen)
        self.message = InlineMessage(self)

        form = QGridLayout()
        form.addWidget(self.topic, 0, 0, 1, 2)
        form.addWidget(self.start, 0, 2)
        form.addWidget(self.duration, 0, 3)
        form.addWidget(self.materials, 1, 0, 1, 2)
        trainer = QHBoxLayout()
        trainer.addWidget(QLabel(self.tr("Trainer:"), self))
        trainer.addWidget(self.trainer, 1)
        form.addLayout(trainer, 1, 2)
        form.addWidget(self.create_button, 1, 3)
        add = QHBoxLayout()
        add.addWidget(self.name, 2)
        add.addWidget(self.role, 1)
        add.addWidget(self.add_button)
        add.addWidget(self.contacts, 2)
        add.addWidget(self.pick_button)
        layout = QVBoxLayout(self)
        layout.addWidget(section_heading(self.tr("Training sessions of this case"), self))
        layout.addWidget(self.sessions)
        layout.addWidget(section_heading(self.tr("New session"), self))
        layout.addLayout(form)
        layout.addWidget(section_heading(self.tr("Attendance list of the chosen session"), self))
        chosen = QHBoxLayout()
        chosen.addWidget(self.details, 1)
        chosen.addWidget(self.remove_button)
        layout.addLayout(chosen)
        layout.addWidget(self.attendees, 1)
        layout.addLayout(add)
        layout.addWidget(self.message)

    def show_case(self, case_id: str, customer_id: str) -> None:
        changed_case = case_id != self._case_id
        self._case_id, self._customer_id = case_id, customer_id
        keep = self.current.id if self.current and not changed_case else None
        self.sessions.blockSignals(True)
        self.sessions.clear()
        sessions = self._training.of_case(case_id)
        for s in sessions:
            item = QListWidgetItem(
                self.tr("{0} — {1}, {2} min, {3} attendees").format(
                    s.topic, format_time(s.started_at), s.duration_minutes, len(s.attendees)
                )
            )
            item.setData(Qt.ItemDataRole.UserRole, s.id)
            self.sessions.addItem(item)
        self.sessions.blockSignals(False)
        if changed_case:
            self.start.setDateTime(QDateTime.currentDateTime())
            self._fill_trainers()
            self.contacts.clear()
            for contact_id, name in self._catalog.contacts(customer_id):
                self.contacts.addItem(name, contact_id)
        ids = [s.id for s in sessions]
        row = ids.index(keep) if keep in ids else len(ids) - 1
        self.sessions.setCurrentRow(row)
        self._session_chosen(row)

    def select_session(self, session_id: str) -> bool:
        """Show one of the case's sessions (opened from the Training page)."""
        for row in range(self.sessions.count()):
            if self.sessions.item(row).data(Qt.ItemDataRole.UserRole) == session_id:
                self.sessions.setCurrentRow(row)
                return True
        return False

    @Slot(int)
    def _session_chosen(self, row: int) -> None:
        item = self.sessions.item(row) if row >= 0 else None
        self.current = self._training.get(item.data(Qt.ItemDataRole.UserRole)) if item else None
        for widget in (self.add_button, self.pick_button, self.name, self.role, self.contacts):
            widget.setEnabled(self.current is not None)
        self.details.setText(self._details(self.current) if self.current else "")
        self.details.setVisible(self.current is not None)
        self._fill_attendees()

    def selected_attendee(self) -> str | None:
        rows = {i.row() for i in self.attendees.selectedIndexes()}
        if self.current is None or len(rows) != 1:
            return None
        (row,) = rows
        attendees = self.current.attendees
        return attendees[row].id if 0 <= row < len(attendees) else None

    @Slot()
    def _attendee_chosen(self) -> None:
        chosen = self.selected_attendee()
        signed = self.current is not None and any(
            a.id == chosen and a.signed_off for a in self.current.attendees
        )
        self.remove_button.setEnabled(chosen is not None and not signed)
        self.remove_button.setToolTip(
            self.tr("Who signed off stays on the attendance list.") if signed else ""
        )

    @Slot()
    def remove_selected(self) -> None:
        attendee_id = self.selected_attendee()
        if attendee_id is None:
            self.message.show_error(self.tr("Choose an attendee in the list first."))
            return
        if self._run(lambda: self._training.remove_attendee(attendee_id)):
            self._refresh()

    def _details(self, training: TrainingView) -> str:
        parts = [
            self.tr("Trainer: {0}").format(training.trainer or self.tr("not recorded")),
            self.tr("{0}, {1} min").format(
                format_time(training.started_at), training.duration_minutes
            ),
            self.tr("Materials: {0}").format(training.materials or self.tr("none recorded")),
        ]
        return " · ".join(parts)

    def _fill_attendees(self) -> None:
        self.attendees.setRowCount(0)
        self._attendee_chosen()
        if self.current is None:
            return
        for a in self.current.attendees:
            row = self.attendees.rowCount()
            self.attendees.insertRow(row)
            for column, text in enumerate((a.name, a.role or "", a.company or "")):
                self.attendees.setItem(row, column, QTableWidgetItem(text))
            tick = QCheckBox(self)
            tick.setAccessibleName(self.tr("{0} signed off").format(a.name))
            tick.setChecked(a.signed_off)
            tick.setEnabled(not a.signed_off)  # a sign-off is not taken back
            tick.toggled.connect(lambda on, aid=a.id: on and self._sign_off(aid))
            cell = QWidget(self)
            cell_layout = QHBoxLayout(cell)
            cell_layout.setContentsMargins(2, 0, 2, 0)
            cell_layout.addWidget(tick)
            if a.signed_with_signature:
                cell_layout.addWidget(QLabel(self.tr("signed"), cell))
            else:
                sign = QPushButton(self.tr("Sign…"), cell)
                sign.setAccessibleName(self.tr("{0} signs").format(a.name))
                sign.clicked.connect(lambda _c=False, aid=a.id, name=a.name: self.sign(aid, name))
                cell_layout.addWidget(sign)
            cell_layout.addStretch(1)
            self.attendees.setCellWidget(row, 3, cell)
            result = QComboBox(self)
            result.setAccessibleName(self.tr("Assessment of {0}").format(a.name))
            for value in AssessmentResult:
                result.addItem(self.tr(value.value.replace("_", " ").capitalize()), value.value)
            result.setCurrentIndex(result.findData(a.assessment.value))
            result.activated.connect(lambda _i, aid=a.id, box=result: self._assess(aid, box))
            self.attendees.setCellWidget(row, 4, result)

    def _run(self, call: object) -> bool:
        try:
            call()  # type: ignore[operator]
        except FieldSupportError as exc:
            self.message.show_error(str(exc))
            return False
        self.message.clear_message()
        return True

    @Slot()
    def create_session(self) -> None:
        if self._case_id is None:
            return
        start = self.start.dateTime().toPython().astimezone().astimezone(UTC)
        case_id = self._case_id
        if self._run(
            lambda: self._training.create_session(
                topic=self.topic.text(),
                started_at=start,
                duration_minutes=self.duration.value(),
                case_id=case_id,
                materials=self.materials.text(),
                trainer=self.trainer_ref(),
            )
        ):
            self.topic.clear()
            self.materials.clear()
            self.current = None
            self.changed.emit()

    def _fill_trainers(self) -> None:
        """Every user, the signed-in one chosen (who usually gave the session)."""
        self.trainer.clear()
        for user_id, name in self._training.trainers():
            self.trainer.addItem(name, user_id)
        signed_in = self.trainer.findData(self._training.user_id)
        self.trainer.setCurrentIndex(signed_in)  # -1 (empty) when nobody is signed in

    def trainer_ref(self) -> str:
        """The chosen trainer's id, or the name as typed (the service finds or refuses it)."""
        text = self.trainer.currentText().strip()
        index = self.trainer.findText(text, Qt.MatchFlag.MatchFixedString)
        return self.trainer.itemData(index) if index >= 0 else text

    @Slot()
    def quick_add(self) -> None:
        if self.current is None:
            return
        session_id = self.current.id
        if self._run(
            lambda: self._training.add_attendee(session_id, self.name.text(), role=self.role.text())
        ):
            self.name.clear()
            self.role.clear()
            self._refresh()

    @Slot()
    def add_contact(self) -> None:
        contact_id = self.contacts.currentData()
        if self.current is None or not contact_id:
            return
        session_id = self.current.id
        if self._run(lambda: self._training.add_attendee(session_id, contact_id=contact_id)):
            self._refresh()

    def _sign_off(self, attendee_id: str) -> None:
        if self._run(lambda: self._training.sign_off(attendee_id)):
            self._refresh()

    def sign(self, attendee_id: str, name: str) -> SignatureDialog:
        """The attendee signs the attendance list with their own signature."""
        topic = self.current.topic if self.current else ""
        dialog = SignatureDialog(
            name, self.tr("{0} confirms attending “{1}”.").format(name, topic), self
        )
        dialog.accepted.connect(lambda: self._signed(attendee_id, name, dialog))
        dialog.open()
        return dialog

    def _signed(self, attendee_id: str, name: str, dialog: SignatureDialog) -> None:
        if dialog.png is None:
            return
        png, strokes = dialog.png, [list(map(list, s)) for s in dialog.strokes]

        def record() -> None:
            # one transaction: an attendee removed meanwhile leaves no signature behind
            self._signatures.record_signature(
                signer_name=name,
                png=png,
                strokes=strokes,
                then=lambda session, signature: self._training.sign_off_in(
                    session, attendee_id, signature
                ),
            )

        if self._run(record):
            self._refresh()

    def _assess(self, attendee_id: str, box: QComboBox) -> None:
        value = box.currentData()
        if self._run(lambda: self._training.assess(attendee_id, value)):
            self._refresh()

    def _refresh(self) -> None:
        if self.current is not None:
            self.current = self._training.get(self.current.id)
            self._fill_attendees()
        self.changed.emit()
