"""Small shared widgets and formatting: touch-sized controls, inline messages, times."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta

from PySide6.QtCore import QMimeData, QSize, Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QFormLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QTableView,
    QWidget,
)

from fieldsupport.errors import FieldSupportError
from fieldsupport.services.validation import TEXT_LEN

# Smallest height of anything a finger has to hit on a tablet (about 7 mm at 110 dpi).
TOUCH_HEIGHT = 34
# What a window manager's title bar and frame add around a window's contents.
FRAME_ALLOWANCE = QSize(16, 40)


def fit_to_screen(dialog: QWidget, width: int, height: int) -> None:
    """Size a window to ``width`` x ``height``, but no larger than the free area of its
    screen (a 1366 x 768 laptop less its task bar), title bar and frame included: a dialog
    taller than the screen hides its buttons below the bottom edge."""
    screen = dialog.screen() or QGuiApplication.primaryScreen()
    if screen is None:  # pragma: no cover - a running GUI always has a screen
        dialog.resize(width, height)
        return
    free = screen.availableGeometry().size() - FRAME_ALLOWANCE
    dialog.resize(min(width, free.width()), min(height, free.height()))


def touch_button(text: str, parent: QWidget | None = None, *, accessible: str = "") -> QPushButton:
    button = QPushButton(text, parent)
    button.setMinimumHeight(TOUCH_HEIGHT)
    button.setAccessibleName(accessible or text.replace("&", ""))
    return button


class InlineMessage(QLabel):
    """A one-line message under a form: red for errors, hidden when empty."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWordWrap(True)
        self.setAccessibleName(self.tr("Message"))
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.hide()

    def show_error(self, text: str) -> None:
        self.setStyleSheet("color: #b3261e; font-weight: 600;")
        self.setText(text)
        self.show()

    def show_info(self, text: str) -> None:
        self.setStyleSheet("color: #1f6f43;")
        self.setText(text)
        self.show()

    def clear_message(self) -> None:
        self.setText("")
        self.hide()

    def show_failure(
        self, error: BaseException, unexpected: Callable[[BaseException], None]
    ) -> None:
        """A job's failure: a refusal (bad input, a rule) shown here, where the user acts on
        it; anything else is a fault, handed to ``unexpected`` (``JobRunner.show_error``
        logs it and says so in a dialog)."""
        if isinstance(error, FieldSupportError):
            self.show_error(str(error))
        else:
            unexpected(error)


class BoundedTextEdit(QPlainTextEdit):
    """Plain text that refuses input beyond ``max_chars`` (a 10 MB paste is cut, and
    ``truncated`` says so, instead of freezing the layout or failing at save time)."""

    def __init__(self, parent: QWidget | None = None, *, max_chars: int = TEXT_LEN) -> None:
        super().__init__(parent)
        self.max_chars = max_chars
        self.truncated = False
        self.setTabChangesFocus(True)  # Tab moves on to the next field, as in a form

    def insertFromMimeData(self, source: QMimeData) -> None:
        text = source.text()
        room = self.max_chars - len(self.toPlainText()) + len(self.textCursor().selectedText())
        if len(text) > room:
            self.truncated = True
            text = text[: max(room, 0)]
        self.textCursor().insertText(text)


def parse_number(text: str, label: str, *, required: bool = True) -> float | None:
    """A number typed by a person: comma or point as decimal separator, spaces ignored."""
    cleaned = text.strip().replace(" ", "").replace("\u00a0", "")
    if not cleaned:
        if required:
            raise ValueError(f"Enter a number for {label}.")
        return None
    if cleaned.count(",") == 1 and "." not in cleaned:
        cleaned = cleaned.replace(",", ".")
    try:
        value = float(cleaned)
    except ValueError:
        raise ValueError(f"{label}: '{text.strip()[:40]}' is not a number.") from None
    if value != value or value in (float("inf"), float("-inf")):
        raise ValueError(f"{label}: enter a finite number.")
    return value


def touch_line(parent: QWidget, name: str, placeholder: str = "") -> QLineEdit:
    """A one-line input big enough for a finger, named for screen readers."""
    edit = QLineEdit(parent)
    edit.setAccessibleName(name)
    edit.setPlaceholderText(placeholder or name)
    edit.setMinimumHeight(TOUCH_HEIGHT)
    return edit


def format_time(value: datetime | None) -> str:
    if value is None:
        return ""
    return value.astimezone().strftime("%Y-%m-%d %H:%M")


def format_date(value: date | None) -> str:
    return value.isoformat() if value else ""


def format_duration(value: timedelta) -> str:
    """``1 d 3 h``, ``3 h 05 min``, ``-2 h 10 min`` (overdue)."""
    total = int(value.total_seconds() // 60)
    sign = "-" if total < 0 else ""
    total = abs(total)
    days, rest = divmod(total, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        return f"{sign}{days} d {hours} h"
    if hours:
        return f"{sign}{hours} h {minutes:02d} min"
    return f"{sign}{minutes} min"


def format_clock(seconds: int) -> str:
    hours, rest = divmod(max(seconds, 0), 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours:d}:{minutes:02d}:{secs:02d}"


def align_form_labels(form: QFormLayout) -> None:
    """Labels level with the middle of touch-sized fields (a form's labels sit at the top of
    their row otherwise, above the middle of a 34 px field), and at the top of taller ones."""
    for row in range(form.rowCount()):
        item = form.itemAt(row, QFormLayout.ItemRole.LabelRole)
        label = item.widget() if item is not None else None
        if isinstance(label, QLabel):
            label.setMinimumHeight(TOUCH_HEIGHT)
            label.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)


def section_heading(text: str, parent: QWidget) -> QLabel:
    """The bold title of one part of a page ("New claim", "Attendance list ...")."""
    label = QLabel(text, parent)
    label.setStyleSheet("font-weight: 600;")
    return label


def fit_columns(table: QTableView) -> None:
    """Columns as wide as their contents, the last one still filling the rest: on a shown
    table ``resizeColumnsToContents`` also sizes the stretched last column, which then ends
    short of the right edge until the stretch is switched off and on again."""
    table.resizeColumnsToContents()
    header = table.horizontalHeader()
    if header.stretchLastSection():
        header.setStretchLastSection(False)
        header.setStretchLastSection(True)
