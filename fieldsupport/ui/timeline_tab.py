"""The case timeline: append-only events, and a composer for notes, calls and e-mails.

What is typed in the composer is kept as a draft in the workspace while typing, so a crash
loses at most the last autosave interval; adding the entry removes the draft.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from PySide6.QtCore import Qt, QTimer, Signal, Slot
from PySide6.QtGui import QKeySequence, QShortcut
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
from fieldsupport.models.enums import CaseEventKind
from fieldsupport.services.cases import MANUAL_EVENT_KINDS, CaseService
from fieldsupport.services.drafts import DraftStore
from fieldsupport.services.views import CaseEventView
from fieldsupport.ui.widgets import (
    TOUCH_HEIGHT,
    BoundedTextEdit,
    InlineMessage,
    format_time,
    touch_button,
)

DRAFT_SAVE_MS = 1000
KIND_LABELS = {
    CaseEventKind.NOTE: "Note",
    CaseEventKind.CALL: "Call",
    CaseEventKind.EMAIL: "E-mail",
    CaseEventKind.STATUS_CHANGE: "Status",
    CaseEventKind.ESCALATION: "Escalation",
    CaseEventKind.ASSIGNMENT: "Assignment",
    CaseEventKind.VISIT: "Visit",
    CaseEventKind.SYSTEM: "System",
}


class TimelineTab(QWidget):
    #: an entry was added (the case file reloads)
    entry_added = Signal()

    def __init__(
        self, cases: CaseService, drafts: DraftStore, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._cases = cases
        self._drafts = drafts
        self._case_id: str | None = None
        self.events = QListWidget(self)
        self.events.setAccessibleName(self.tr("Timeline"))
        self.events.setWordWrap(True)
        self.events.setAlternatingRowColors(True)
        self.kind = QComboBox(self)
        self.kind.setAccessibleName(self.tr("Entry kind"))
        self.kind.setMinimumHeight(TOUCH_HEIGHT)
        for kind in MANUAL_EVENT_KINDS:
            self.kind.addItem(self.tr(KIND_LABELS[kind]), kind)
        self.composer = BoundedTextEdit(self)
        self.composer.setAccessibleName(self.tr("New timeline entry"))
        self.composer.setPlaceholderText(self.tr("Write a note, or what was said on a call…"))
        self.composer.setMaximumHeight(110)
        self.add_button = touch_button(self.tr("&Add to timeline"), self)
        self.add_button.setToolTip(self.tr("Ctrl+Enter"))
        self.add_button.clicked.connect(self.add_entry)
        self.message = InlineMessage(self)
        QShortcut(QKeySequence("Ctrl+Return"), self.composer, self.add_entry)

        row = QHBoxLayout()
        row.addWidget(QLabel(self.tr("Add:"), self))
        row.addWidget(self.kind)
        row.addStretch(1)
        row.addWidget(self.add_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.events, 1)
        layout.addLayout(row)
        layout.addWidget(self.composer)
        layout.addWidget(self.message)

        self._draft_timer = QTimer(self)
        self._draft_timer.setSingleShot(True)
        self._draft_timer.setInterval(DRAFT_SAVE_MS)
        self._draft_timer.timeout.connect(self.save_draft)
        self.composer.textChanged.connect(self._draft_timer.start)
        self.kind.currentIndexChanged.connect(self._draft_timer.start)

    # -- showing ----------------------------------------------------------------------------
    def show_case(self, case_id: str, events: Sequence[CaseEventView]) -> None:
        if case_id != self._case_id:
            self.save_draft()  # the note typed on the previous case stays with that case
            self._case_id = case_id
            self._restore_draft()
        self.events.clear()
        for event in reversed(events):  # newest first
            self.events.addItem(self._item(event))

    def _item(self, event: CaseEventView) -> QListWidgetItem:
        who = f" — {event.author}" if event.author else ""
        head = f"{format_time(event.occurred_at)}  {self.tr(KIND_LABELS[event.kind])}{who}"
        item = QListWidgetItem(f"{head}\n{event.body or ''}".rstrip())
        item.setToolTip(escape(event.body or ""))
        item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable)
        return item

    # -- drafts -----------------------------------------------------------------------------
    def _draft_key(self) -> str | None:
        return f"timeline/{self._case_id}" if self._case_id else None

    @Slot()
    def save_draft(self) -> None:
        self._draft_timer.stop()
        key = self._draft_key()
        if key is None:
            return
        text = self.composer.toPlainText()
        value = {"kind": str(self.kind.currentData()), "text": text} if text.strip() else ""
        try:
            self._drafts.save(key, value)
        except FieldSupportError as exc:
            self.message.show_error(str(exc))

    def _restore_draft(self) -> None:
        key = self._draft_key()
        draft = self._drafts.load(key) if key else None
        self.composer.blockSignals(True)
        self.composer.setPlainText(draft.get("text", "") if isinstance(draft, dict) else "")
        self.composer.blockSignals(False)
        if isinstance(draft, dict):
            index = self.kind.findData(CaseEventKind(draft.get("kind", "note")))
            self.kind.setCurrentIndex(max(index, 0))
        self.message.clear_message()

    def has_unsaved_text(self) -> bool:
        return bool(self.composer.toPlainText().strip())

    # -- adding -----------------------------------------------------------------------------
    @Slot()
    def add_entry(self) -> None:
        if self._case_id is None:
            return
        text = self.composer.toPlainText()
        if self.composer.truncated:
            self.message.show_error(
                self.tr(
                    "The pasted text was cut to {0:,} characters; check the end before adding."
                ).replace("{0:,}", f"{self.composer.max_chars:,}")
            )
            self.composer.truncated = False
            return
        try:
            self._cases.add_event(self._case_id, self.kind.currentData(), text)
        except FieldSupportError as exc:
            self.message.show_error(str(exc))
            return
        key = self._draft_key()
        self.composer.blockSignals(True)
        self.composer.clear()
        self.composer.blockSignals(False)
        self._draft_timer.stop()
        if key:
            self._drafts.discard(key)
        self.message.clear_message()
        self.entry_added.emit()
