"""Finalize a report: the customer signs (or declines, with a reason) and rates the visit."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Slot
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from fieldsupport.ui.signature_pad import SignaturePad, Stroke
from fieldsupport.ui.widgets import BoundedTextEdit, InlineMessage, touch_button, touch_line


@dataclass(frozen=True)
class FinalizeInput:
    signer_name: str
    signer_role: str
    declined: bool
    png: bytes | None
    strokes: list[Stroke]
    decline_reason: str
    csat_score: int | None
    csat_comment: str


class FinalizeDialog(QDialog):
    def __init__(
        self, report_label: str, signer_name: str = "", parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Finalize {0}").format(report_label))
        self.setAccessibleName(self.windowTitle())
        self.result_input: FinalizeInput | None = None

        self.name = touch_line(self, self.tr("Signer's name"))
        self.name.setText(signer_name)
        self.role = touch_line(self, self.tr("Signer's role"), self.tr("e.g. Plant manager"))
        self.pad = SignaturePad(self)
        self.clear_button = touch_button(self.tr("Clear"), self)
        self.undo_button = touch_button(self.tr("Undo stroke"), self)
        self.clear_button.clicked.connect(self.pad.clear)
        self.undo_button.clicked.connect(self.pad.undo)
        self.declines = QCheckBox(self.tr("The customer declines to sign"), self)
        self.reason = BoundedTextEdit(self, max_chars=2_000)
        self.reason.setAccessibleName(self.tr("Reason for not signing"))
        self.reason.setPlaceholderText(self.tr("The reason they gave"))
        self.reason.setMaximumHeight(70)
        self.declines.toggled.connect(self._declines_toggled)

        self.scores = QButtonGroup(self)
        score_row = QHBoxLayout()
        none = QRadioButton(self.tr("Not given"), self)
        none.setChecked(True)
        self.scores.addButton(none, 0)
        score_row.addWidget(none)
        for score in range(1, 6):
            button = QRadioButton(str(score), self)
            button.setAccessibleName(self.tr("Satisfaction {0} of 5").format(score))
            self.scores.addButton(button, score)
            score_row.addWidget(button)
        score_row.addStretch(1)
        self.comment = touch_line(self, self.tr("Satisfaction comment"))
        self.message = InlineMessage(self)

        pad_buttons = QHBoxLayout()
        pad_buttons.addWidget(self.undo_button)
        pad_buttons.addWidget(self.clear_button)
        pad_buttons.addStretch(1)
        form = QFormLayout()
        form.addRow(self.tr("Name"), self.name)
        form.addRow(self.tr("Role"), self.role)
        form.addRow(self.tr("Signature"), self.pad)
        form.addRow("", pad_buttons)
        form.addRow("", self.declines)
        form.addRow(self.tr("Reason"), self.reason)
        form.addRow(self.tr("Satisfaction"), score_row)
        form.addRow(self.tr("Comment"), self.comment)
        buttons = QDialogButtonBox(self)
        self.finalize_button = buttons.addButton(
            self.tr("Finalize report"), QDialogButtonBox.ButtonRole.AcceptRole
        )
        buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self._accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.message)
        layout.addWidget(buttons)
        self._declines_toggled(False)

    @Slot(bool)
    def _declines_toggled(self, declines: bool) -> None:
        self.reason.setEnabled(declines)
        for widget in (self.pad, self.clear_button, self.undo_button):
            widget.setEnabled(not declines)

    @Slot()
    def _accept(self) -> None:
        name = self.name.text().strip()
        declined = self.declines.isChecked()
        reason = self.reason.toPlainText().strip()
        if not name:
            self.message.show_error(self.tr("Enter the name of the person signing."))
            self.name.setFocus()
            return
        if declined and not reason:
            self.message.show_error(self.tr("Enter the reason the customer gave for not signing."))
            self.reason.setFocus()
            return
        if not declined and self.pad.is_empty():
            self.message.show_error(
                self.tr("Ask the customer to sign in the box, or tick that they decline.")
            )
            return
        score = self.scores.checkedId()
        self.result_input = FinalizeInput(
            signer_name=name,
            signer_role=self.role.text().strip(),
            declined=declined,
            png=None if declined else self.pad.to_png(),
            strokes=[] if declined else [list(s) for s in self.pad.strokes],
            decline_reason=reason,
            csat_score=score if score > 0 else None,
            csat_comment=self.comment.text().strip(),
        )
        self.accept()
