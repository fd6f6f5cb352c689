"""Capture one person's signature (e.g. a training attendee signing the attendance list)."""

from __future__ import annotations

from PySide6.QtCore import Slot
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from fieldsupport.ui.signature_pad import SignaturePad, Stroke
from fieldsupport.ui.widgets import InlineMessage, touch_button


class SignatureDialog(QDialog):
    def __init__(self, signer: str, purpose: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Signature of {0}").format(signer))
        self.setAccessibleName(self.windowTitle())
        self.png: bytes | None = None
        self.strokes: list[Stroke] = []
        self.pad = SignaturePad(self)
        undo = touch_button(self.tr("Undo stroke"), self)
        clear = touch_button(self.tr("Clear"), self)
        undo.clicked.connect(self.pad.undo)
        clear.clicked.connect(self.pad.clear)
        self.message = InlineMessage(self)
        buttons = QDialogButtonBox(self)
        self.sign_button = buttons.addButton(
            self.tr("Sign"), QDialogButtonBox.ButtonRole.AcceptRole
        )
        buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self._accept)
        buttons.rejected.connect(self.reject)
        row = QHBoxLayout()
        row.addWidget(undo)
        row.addWidget(clear)
        row.addStretch(1)
        layout = QVBoxLayout(self)
        label = QLabel(purpose, self)
        label.setWordWrap(True)
        layout.addWidget(label)
        layout.addWidget(self.pad, 1)
        layout.addLayout(row)
        layout.addWidget(self.message)
        layout.addWidget(buttons)

    @Slot()
    def _accept(self) -> None:
        if self.pad.is_empty():
            self.message.show_error(self.tr("Sign in the box first."))
            return
        self.png = self.pad.to_png()
        self.strokes = [list(s) for s in self.pad.strokes]
        self.accept()
