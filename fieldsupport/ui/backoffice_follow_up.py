"""The back office's follow-up panels: claims of every engineer's cases awaiting a decision
(approve with a remedy, or reject, with the reason), and recall campaign progress across all
engineers (affected, done, open, overdue). Read from this workspace, which holds every
engineer's records; decisions sync back like any change. Reads and writes run in workers."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Slot
from PySide6.QtWidgets import (
    QHBoxLayout,
    QProgressBar,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from fieldsupport.services.backoffice import BackOfficeService, CampaignRow
from fieldsupport.services.claims import AwaitingClaim
from fieldsupport.ui.jobs import JobRunner
from fieldsupport.ui.widgets import (
    InlineMessage,
    fit_columns,
    format_date,
    format_time,
    touch_button,
    touch_line,
)

CLAIM_COLUMNS = ("Case", "Customer", "Type", "Status", "Reason", "Items", "Opened")
CAMPAIGN_COLUMNS = ("Campaign", "Title", "Due", "Affected", "Done", "Open", "Overdue", "Progress")


def list_table(parent: QWidget, columns: tuple[str, ...], name: str) -> QTableWidget:
    """A read-only table of one selectable row at a time (the back office's lists)."""
    table = QTableWidget(0, len(columns), parent)
    table.setAccessibleName(name)
    table.setHorizontalHeaderLabels([parent.tr(c) for c in columns])
    table.verticalHeader().setVisible(False)
    table.horizontalHeader().setStretchLastSection(True)
    table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
    table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
    table.setSelectionMode(QTableWidget.SelectionMode.SingleSelection)
    table.setWordWrap(False)  # a long text ends in "…" on its one line (a wrapped one was cut)
    return table


class ClaimsAwaitingPanel(QWidget):
    def __init__(self, service: BackOfficeService, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.service = service
        self.jobs = JobRunner(self)
        self.claims: list[AwaitingClaim] = []
        self.table = list_table(self, CLAIM_COLUMNS, self.tr("Claims awaiting a decision"))
        self.table.itemSelectionChanged.connect(self._selection_changed)
        self.reason = touch_line(self, self.tr("Decision reason"))
        self.remedy = touch_line(self, self.tr("Remedy (for an approval)"))
        self.approve_button = touch_button(self.tr("Approve"), self)
        self.approve_button.clicked.connect(lambda: self.decide("approved"))
        self.reject_button = touch_button(self.tr("Reject"), self)
        self.reject_button.clicked.connect(lambda: self.decide("rejected"))
        self.message = InlineMessage(self)
        decide = QHBoxLayout()
        decide.addWidget(self.reason, 2)
        decide.addWidget(self.remedy, 2)
        decide.addWidget(self.approve_button)
        decide.addWidget(self.reject_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table, 1)
        layout.addLayout(decide)
        layout.addWidget(self.message)
        self._selection_changed()

    @Slot()
    def refresh(self) -> None:
        service = self.service
        self.jobs.run(lambda _t: service.claims_awaiting(), self._fill, self._failed)

    def _fill(self, claims: list[AwaitingClaim]) -> None:
        keep = self.selected()
        self.claims = claims
        self.table.setRowCount(len(claims))
        for i, entry in enumerate(claims):
            claim = entry.claim
            items = ", ".join(
                f"{item.quantity:g} × {item.description or item.serial_number or item.lot_number}"
                for item in claim.items
            )
            cells = (
                entry.case_number,
                entry.customer,
                self.tr(claim.claim_type.value.capitalize()),
                self.tr(claim.status.value.replace("_", " ").capitalize()),
                claim.reason,
                items,
                format_time(entry.opened_at),
            )
            for column, text in enumerate(cells):
                self.table.setItem(i, column, QTableWidgetItem(text))
        fit_columns(self.table)
        ids = [c.claim.id for c in claims]
        if keep is not None and keep.claim.id in ids:
            self.table.selectRow(ids.index(keep.claim.id))
        self._selection_changed()

    def selected(self) -> AwaitingClaim | None:
        rows = self.table.selectionModel().selectedRows()
        if not rows or rows[0].row() >= len(self.claims):
            return None
        return self.claims[rows[0].row()]

    @Slot()
    def _selection_changed(self) -> None:
        chosen = self.selected() is not None
        for widget in (self.reason, self.remedy, self.approve_button, self.reject_button):
            widget.setEnabled(chosen)

    def decide(self, decision: str) -> None:
        entry = self.selected()
        if entry is None:
            return
        service = self.service
        reason, remedy = self.reason.text(), self.remedy.text() or None

        def done(_result: Any) -> None:
            self.reason.clear()
            self.remedy.clear()
            self.message.show_info(
                self.tr(
                    "Decision on the claim of {0} recorded; it reaches the engineer with the "
                    "next sync."
                ).format(entry.case_number)
            )
            self.refresh()

        self.jobs.run(
            lambda _t: service.decide_claim(entry.claim.id, decision, reason, remedy),
            done,
            self._failed,
        )

    def _failed(self, error: BaseException) -> None:
        self.message.show_error(str(error))


class CampaignProgressPanel(QWidget):
    def __init__(self, service: BackOfficeService, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.service = service
        self.jobs = JobRunner(self)
        self.rows: list[CampaignRow] = []
        self.table = list_table(self, CAMPAIGN_COLUMNS, self.tr("Recall campaign progress"))
        self.message = InlineMessage(self)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.message)

    @Slot()
    def refresh(self) -> None:
        service = self.service
        self.jobs.run(lambda _t: service.campaigns(), self._fill, self._failed)

    def _fill(self, rows: list[CampaignRow]) -> None:
        self.rows = rows
        self.table.setRowCount(len(rows))
        for i, row in enumerate(rows):
            c, p = row.campaign, row.progress
            cells = (
                c.code,
                c.title,
                format_date(c.due_date),
                p.affected,
                p.done,
                p.open,
                p.overdue,
            )
            for column, value in enumerate(cells):
                item = QTableWidgetItem(str(value))
                if isinstance(value, int):
                    item.setTextAlignment(
                        Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
                    )
                if column == 6 and p.overdue:
                    item.setForeground(Qt.GlobalColor.darkRed)
                self.table.setItem(i, column, item)
            bar = QProgressBar(self.table)
            bar.setRange(0, max(p.affected, 1))
            bar.setValue(p.done)
            bar.setFormat(f"{p.done} / {p.affected}")
            bar.setAccessibleName(self.tr("Progress of {0}").format(c.code))
            self.table.setCellWidget(i, len(cells), bar)
        fit_columns(self.table)
        if not rows:
            self.message.show_info(self.tr("No recall campaigns on this device."))
        else:
            self.message.clear_message()

    def _failed(self, error: BaseException) -> None:
        self.message.show_error(str(error))
