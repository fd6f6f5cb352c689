"""The case file's Claims tab (A2 cases): open a claim with its items, record the decision
(approve with a remedy and get an RMA number, or reject with a reason), move it on to
completion, and attach the evidence photos of the chosen claim."""

from __future__ import annotations

from html import escape

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import (
    QComboBox,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QListWidget,
    QScrollArea,
    QTableWidget,
    QVBoxLayout,
    QWidget,
)

from fieldsupport.errors import FieldSupportError
from fieldsupport.models.enums import ClaimStatus, ClaimType
from fieldsupport.services.claims import NEXT_STATUS, ClaimItemSpec, ClaimService, ClaimView
from fieldsupport.services.photos import PhotoOwner, PhotoService
from fieldsupport.ui.photo_gallery import PhotoGallery
from fieldsupport.ui.widgets import (
    TOUCH_HEIGHT,
    InlineMessage,
    parse_number,
    section_heading,
    touch_button,
    touch_line,
)

ITEM_COLUMNS = ("Item", "Serial", "Lot", "Quantity")


class ClaimsTab(QWidget):
    changed = Signal()

    def __init__(
        self,
        claims: ClaimService,
        parent: QWidget | None = None,
        *,
        photos: PhotoService | None = None,
    ) -> None:
        super().__init__(parent)
        self._claims = claims
        self._case_id: str | None = None
        self.views: list[ClaimView] = []
        self.list = QListWidget(self)
        self.list.setAccessibleName(self.tr("Claims of this case"))
        self.list.setMaximumHeight(66)
        self.list.currentRowChanged.connect(self._chosen)
        self.details = QLabel(self)
        self.details.setAccessibleName(self.tr("The chosen claim"))
        self.details.setWordWrap(True)
        self.details.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.evidence = PhotoGallery(photos or PhotoService(claims.workspace), self, compact=True)
        self.evidence.setAccessibleName(self.tr("Evidence photos"))
        self.evidence.changed.connect(self.changed)
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
        # the form shares the case file's width with the chosen claim: the columns share
        # what there is (fixed widths pushed the description out of sight on a laptop)
        self.items.verticalHeader().setVisible(False)
        header = self.items.horizontalHeader()
        header.setStretchLastSection(False)
        header.setMinimumSectionSize(40)
        for column in (0, 1, 2):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.ResizeToContents)
        self.items.setMinimumHeight(100)
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

        # left: the claims of the case, the chosen one's decision and evidence;
        # right: a new claim. In a scroll area, so a small screen clips nothing.
        decide = QGridLayout()
        decide.addWidget(self.decision_reason, 0, 0, 1, 3)
        decide.addWidget(self.remedy, 0, 3, 1, 3)
        decide.addWidget(self.approve_button, 1, 0, 1, 2)
        decide.addWidget(self.reject_button, 1, 2, 1, 2)
        decide.addWidget(self.advance_button, 1, 4, 1, 2)
        chosen = QVBoxLayout()
        chosen.addWidget(section_heading(self.tr("Claims of this case"), self))
        chosen.addWidget(self.list)
        chosen.addWidget(self.details)
        chosen.addLayout(decide)
        chosen.addWidget(section_heading(self.tr("Evidence photos of the chosen claim"), self))
        chosen.addWidget(self.evidence)
        chosen.addStretch(1)
        buttons = QHBoxLayout()
        buttons.addWidget(self.add_item)
        buttons.addWidget(self.open_button)
        new = QVBoxLayout()
        new.addWidget(section_heading(self.tr("New claim"), self))
        new.addWidget(self.claim_type)
        new.addWidget(self.reason)
        new.addWidget(self.request)
        new.addWidget(self.items, 1)
        new.addLayout(buttons)
        columns = QHBoxLayout()
        columns.addLayout(chosen, 3)
        columns.addSpacing(12)
        columns.addLayout(new, 2)
        content = QWidget(self)
        inner = QVBoxLayout(content)
        inner.setContentsMargins(0, 0, 0, 0)
        inner.addLayout(columns, 1)
        inner.addWidget(self.message)
        scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(content)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(scroll)

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
        else:
            self.advance_button.setText(self.tr("Next step"))
        self.details.setText(self._details(claim) if claim else "")
        self.details.setVisible(claim is not None)
        if claim is None:
            self.evidence.show_nothing(self.tr("Open a claim (on the right) to add its evidence."))
        else:  # the same claim again: listed again (photos may have changed elsewhere)
            self.evidence.show_owner(PhotoOwner(claim_id=claim.id))

    def _details(self, claim: ClaimView) -> str:
        status = self.tr(claim.status.value.replace("_", " "))
        rma = f" — {self.tr('RMA')} {escape(claim.rma_number)}" if claim.rma_number else ""
        lines = [
            f"<b>{self.tr('Status')}:</b> {status}{rma}",
            f"<b>{self.tr('Items')}:</b> " + "; ".join(self._item(i) for i in claim.items),
            f"<b>{self.tr('Reason')}:</b> {escape(claim.reason)}",
        ]
        if claim.customer_request:
            lines.append(f"<b>{self.tr('Customer asks for')}:</b> {escape(claim.customer_request)}")
        if claim.decision is not None:
            decision = self.tr(claim.decision.value.capitalize())
            why = f" — {escape(claim.decision_reason)}" if claim.decision_reason else ""
            lines.append(f"<b>{self.tr('Decision')}:</b> {decision}{why}")
        if claim.remedy:
            lines.append(f"<b>{self.tr('Remedy')}:</b> {escape(claim.remedy)}")
        return "<br>".join(lines)

    def _item(self, item: ClaimItemSpec) -> str:
        """What was claimed, how many, and which unit or lot: 1 × Pump head (serial X-1)."""
        marks = [
            self.tr("serial {0}").format(item.serial_number) if item.serial_number else "",
            self.tr("lot {0}").format(item.lot_number) if item.lot_number else "",
        ]
        which = ", ".join(m for m in marks if m)
        text = f"{item.quantity:g} × {item.description or ''}" + (f" ({which})" if which else "")
        return escape(text)

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
