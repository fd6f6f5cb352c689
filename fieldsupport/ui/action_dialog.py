"""The compact form a workflow action asks for when it needs input (a resolution, a reason,
who to assign...). The rule's own error text is shown in the form when something is not
allowed, and the form stays open so nothing typed is lost."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from fieldsupport.models.enums import Priority, Severity
from fieldsupport.services.validation import SHORT_LEN
from fieldsupport.ui.widgets import TOUCH_HEIGHT, BoundedTextEdit, InlineMessage
from fieldsupport.workflow import Action, required_inputs

# What each input is called on the form.
INPUT_LABELS = {
    "assignee": "Assign to",
    "response": "Response to the customer (with the promised timeline)",
    "solution": "Proposed solution",
    "verification": "Who verified the result, and how",
    "reason": "Reason",
    "resolution": "Resolution",
    "close_reason": "Reason for closing without verification",
}

Submit = Callable[[dict[str, str]], str | None]


def needs_form(action: Action) -> bool:
    return action is Action.TRIAGE or bool(required_inputs(action))


class ActionDialog(QDialog):
    def __init__(
        self,
        action: Action,
        submit: Submit,
        *,
        engineers: Sequence[tuple[str, str]] = (),
        optional_close_reason: bool = False,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.action = action
        self._submit = submit
        self.setWindowTitle(self.tr(action.label))
        self.setAccessibleName(self.tr("{0} form").format(self.tr(action.label)))
        self.setMinimumWidth(480)
        self.fields: dict[str, QLineEdit | QComboBox | BoundedTextEdit] = {}
        form = QFormLayout()
        if action is Action.TRIAGE:
            category = QLineEdit(self)
            category.setMaxLength(SHORT_LEN)
            self._add(form, "category", self.tr("Category"), category)
            self._add(form, "priority", self.tr("Priority"), self._enum_combo(Priority))
            self._add(form, "severity", self.tr("Severity"), self._enum_combo(Severity))
        for name in required_inputs(action):
            label = self.tr(INPUT_LABELS.get(name, name))
            if name == "close_reason" and optional_close_reason:
                label = self.tr("Closing note (optional)")
            if name == "assignee":
                combo = QComboBox(self)
                for username, display in engineers:
                    combo.addItem(display, username)
                self._add(form, name, label, combo)
            else:
                edit = BoundedTextEdit(self)
                edit.setMinimumHeight(90)
                self._add(form, name, label, edit)
        self.message = InlineMessage(self)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        ok = buttons.button(QDialogButtonBox.StandardButton.Ok)
        ok.setText(self.tr(action.label))
        ok.setMinimumHeight(TOUCH_HEIGHT)
        buttons.accepted.connect(self.try_submit)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.message)
        layout.addWidget(buttons)

    def _enum_combo(self, enum_cls: type[Priority] | type[Severity]) -> QComboBox:
        combo = QComboBox(self)
        combo.addItem(self.tr("(unchanged)"), "")
        for member in enum_cls:
            combo.addItem(self.tr(member.value.capitalize()), member.value)
        return combo

    def _add(
        self,
        form: QFormLayout,
        name: str,
        label: str,
        widget: QLineEdit | QComboBox | BoundedTextEdit,
    ) -> None:
        widget.setAccessibleName(label)
        widget.setMinimumHeight(max(widget.minimumHeight(), TOUCH_HEIGHT))
        form.addRow(label, widget)
        self.fields[name] = widget

    def values(self) -> dict[str, str]:
        result: dict[str, str] = {}
        for name, widget in self.fields.items():
            if isinstance(widget, QComboBox):
                result[name] = str(widget.currentData() or "")
            elif isinstance(widget, QLineEdit):
                result[name] = widget.text().strip()
            else:
                result[name] = widget.toPlainText().strip()
        return {k: v for k, v in result.items() if v}

    def try_submit(self) -> None:
        """Run the action; on a refusal show the rule's text and keep the form open."""
        error = self._submit(self.values())
        if error:
            self.message.show_error(error)
            return
        self.accept()

    def keyPressEvent(self, event: object) -> None:  # Ctrl+Enter submits from a text box
        from PySide6.QtGui import QKeyEvent

        if (
            isinstance(event, QKeyEvent)
            and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
            and event.modifiers() & Qt.KeyboardModifier.ControlModifier
        ):
            self.try_submit()
            return
        super().keyPressEvent(event)  # type: ignore[arg-type]
