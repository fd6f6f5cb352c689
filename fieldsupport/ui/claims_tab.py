"""The case file's Claims tab (A2 cases): open a claim with its items, record the decision
(approve with a remedy and get an RMA number, or reject with a reason), and move it on to
completion."""

from __future__ import annotations

from PySide6.QtCore import Signal, Slot
from PySide6.QtWidgets import (
    QComboBox,
    QGridLayout,
    QHBoxLayout,
    QListWidget,
    QTableWidget,
    QVBoxLayout,
    QWidget,
)

from fieldsupport.errors import FieldSupportError
from fieldsupport.models.enums import ClaimStatus, ClaimType
from fieldsupport.services.claims import NEXT_STATUS, ClaimItemSpec, ClaimService, ClaimView
from fieldsupport.ui.widgets import (
    TOUCH_HEIGHT,
    InlineMessage,
    parse_number,
    touch_button,
    touch_line,
)

ITEM_COLUMNS = ("Description", "Serial", "Lot", "Quantity")


class ClaimsTab(QWidget):
    changed = Signal()

    def __init__(self, claims: ClaimService, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._claims = claims
        self._case_id: str | None = None
        self.views: list[ClaimView] = []
        self.list = QListWidget(self)
        self.list.setAccessibleName(self.tr("Claims of this case"))
        self.list.setMaximumHeight(100)
        self.list.currentRowChanged.connect(self._chosen)
        # a new claim
        self.claim_type = QComboBox(self)
        self.claim_type.setAccessibleName(self.tr("Claim type"))
        self.claim_type.setMinimumHeight(TOUCH_HEIGHT)
        for kind in ClaimType:
            self.claim_type.addItem(self.tr(kind.value.capitalize()), kind.value)
        self.reason = touch_line(self, self.tr("Reason for the claim"))
        self.request = touch_line(self, self.tr("What the customer asks for"))
        self.items = QTableWidget(1, len(ITEM_COLUMNS), self)
        self.items.setAccessibleName(self.tr("Claimed items"))
        self.items.setHorizontalHeaderLabels([self.tr(c) for c in ITEM_COLUMNS])
        self.items.horizontalHeader().setStretchLastSection(True)
        self.items.setColumnWidth(0, 260)
        self.items.setMaximumHeight(130)
        self.add_item = touch_button(self.tr("Add item"), self)
        self.add_item.clicked.connect(lambda: self.items.insertRow(self.items.rowCount()))
        self.open_button = touch_button(self.tr("Open claim"), self)
        self.open_button.clicked.connect(self.open_claim)
        # decision and progress of the selected claim
        self.decision_reason = touch_line(self, self.tr("Decision reason"))
        self.remedy = touch_line(self, self.tr("Remedy (for an approval)"))
        self.approve_button = touch_button(self.tr("Approve"), self)
        self.approve_button.clicked.connect(lambda: self.decide("approved"))
        self.reject_button = touch_button(self.tr("Reject"), self)
        self.reject_button.clicked.connect(lambda: self.decide("rejected"))
        self.advance_button = touch_button(self.tr("Next step"), self)
        self.advance_button.clicked.connect(self.advance)
        self.message = InlineMessage(self)

        new = QGridLayout()
        new.addWidget(self.claim_type, 0, 0)
        new.addWidget(self.reason, 0, 1, 1, 2)
        new.addWidget(self.request, 1, 0, 1, 3)
        new.addWidget(self.items, 2, 0, 1, 3)
        new.addWidget(self.add_item, 3, 1)
        new.addWidget(self.open_button, 3, 2)
        decide = QHBoxLayout()
        decide.addWidget(self.decision_reason, 2)
        decide.addWidget(self.remedy, 2)
        decide.addWidget(self.approve_button)
        decide.addWidget(self.reject_button)
        decide.addWidget(self.advance_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.list)
        layout.addLayout(decide)
        layout.addLayout(new)
        layout.addWidget(self.message)
        layout.addStretch(1)

    def show_case(self, case_id: str) -> None:
        keep = self.list.currentRow() if case_id == self._case_id else -1
        self._case_id = case_id
        self.views = self._claims.of_case(case_id)
        self.list.blockSignals(True)
        self.list.clear()
        for claim in self.views:
            rma = f" — {claim.rma_number}" if claim.rma_number else ""
            items = ", ".join(
                f"{i.quantity:g} × {i.description or i.serial_number or ''}" for i in claim.items
            )
            self.list.addItem(
                f"{self.tr(claim.claim_type.value.capitalize())} — "
                f"{self.tr(claim.status.value.replace('_', ' '))}{rma} — {items}"
            )
        self.list.blockSignals(False)
        row = keep if 0 <= keep < len(self.views) else len(self.views) - 1
        self.list.setCurrentRow(row)
        self._chosen(row)

    def selected(self) -> ClaimView | None:
        row = self.list.currentRow()
        return self.views[row] if 0 <= row < len(self.views) else None

    @Slot(int)
    def _chosen(self, _row: int) -> None:
        claim = self.selected()
        deciding = claim is not None and claim.status in (
            ClaimStatus.OPEN,
            ClaimStatus.UNDER_REVIEW,
        )
        for widget in (self.approve_button, self.reject_button, self.decision_reason, self.remedy):
            widget.setEnabled(deciding)
        following = NEXT_STATUS[claim.status] if claim else ()
        self.advance_button.setEnabled(bool(following))
        if following:
            self.advance_button.setText(
                self.tr("Mark {0}").format(following[0].value.replace("_", " "))
            )

    def _run(self, call: object) -> bool:
        try:
            call()  # type: ignore[operator]
        except FieldSupportError as exc:
            self.message.show_error(str(exc))
            return False
        self.message.clear_message()
        self.changed.emit()
        return True

    def _items(self) -> list[ClaimItemSpec]:
        specs = []
        for row in range(self.items.rowCount()):
            cells = [
                self.items.item(row, c).text().strip() if self.items.item(row, c) else ""
                for c in range(4)
            ]
            if not any(cells):
                continue
            quantity = parse_number(
                cells[3] or "1", self.tr("Quantity of item {0}").format(row + 1)
            )
            assert quantity is not None
            specs.append(
                ClaimItemSpec(quantity, cells[0] or None, None, cells[1] or None, cells[2] or None)
            )
        return specs

    @Slot()
    def open_claim(self) -> None:
        if self._case_id is None:
            return
        try:
            items = self._items()
        except ValueError as exc:
            self.message.show_error(str(exc))
            return
        case_id = self._case_id
        if self._run(
            lambda: self._claims.open_claim(
                case_id,
                self.claim_type.currentData(),
                self.reason.text(),
                items,
                self.request.text(),
            )
        ):
            self.reason.clear()
            self.request.clear()
            self.items.setRowCount(0)
            self.items.setRowCount(1)

    def decide(self, decision: str) -> None:
        claim = self.selected()
        if claim is None:
            return
        if self._run(
            lambda: self._claims.decide(
                claim.id, decision, self.decision_reason.text(), remedy=self.remedy.text()
            )
        ):
            self.decision_reason.clear()
            self.remedy.clear()

    @Slot()
    def advance(self) -> None:
        claim = self.selected()
        if claim is not None and NEXT_STATUS[claim.status]:
            target = NEXT_STATUS[claim.status][0]
            self._run(lambda: self._claims.advance(claim.id, target))
