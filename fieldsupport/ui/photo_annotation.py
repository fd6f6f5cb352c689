"""Drawing on a photo: arrows, rectangles, ellipses, freehand lines and text labels in a
chosen colour, with undo. The editor only produces the marks (vector data, coordinates as
fractions of the upright photo); the service renders them with Pillow into an annotated copy
in a worker. The original photo is never changed, and the marks can be edited again later.
"""

from __future__ import annotations

import math
from typing import Any

from PySide6.QtCore import QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import (
    QBrush,
    QColor,
    QFont,
    QFontMetricsF,
    QImage,
    QMouseEvent,
    QPainter,
    QPainterPath,
    QPaintEvent,
    QPen,
    QPolygonF,
)
from PySide6.QtWidgets import (
    QButtonGroup,
    QDialog,
    QHBoxLayout,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from fieldsupport.media.annotate import (
    DEFAULT_TEXT_SIZE,
    DEFAULT_WIDTH,
    MAX_FREEHAND_POINTS,
    MAX_TEXT,
    TWO_POINT_KINDS,
)
from fieldsupport.services.photos import PhotoService, PhotoView
from fieldsupport.ui.jobs import JobRunner
from fieldsupport.ui.photo_viewer import upright_job
from fieldsupport.ui.widgets import (
    TOUCH_HEIGHT,
    InlineMessage,
    fit_to_screen,
    touch_button,
    touch_line,
)

Mark = dict[str, Any]
COLOURS = {
    "Red": "#e53935",
    "Yellow": "#fdd835",
    "Green": "#43a047",
    "Blue": "#1e88e5",
    "White": "#ffffff",
    "Black": "#000000",
}
TOOLS = {
    "arrow": "Arrow",
    "rectangle": "Rectangle",
    "ellipse": "Ellipse",
    "freehand": "Freehand",
    "text": "Text",
}
MIN_SHAPE = 0.004  # a tap, not a drag: no zero-size shape is kept


class MarkCanvas(QWidget):
    """The photo fitted into the widget, the marks over it; draws the mark being made."""

    changed = Signal()
    #: the text tool was used with no text typed
    text_missing = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName(self.tr("Photo to draw on"))
        self.setMinimumSize(480, 360)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setCursor(Qt.CursorShape.CrossCursor)
        self.image = QImage()
        self.marks: list[Mark] = []
        self.tool = "arrow"
        self.colour = COLOURS["Red"]
        self.text = ""
        self._drawing: Mark | None = None

    def sizeHint(self) -> QSize:
        return QSize(900, 640)

    def set_image(self, image: QImage) -> None:
        self.image = image
        self.update()

    def image_rect(self) -> QRectF:
        if self.image.isNull():
            return QRectF()
        size = self.image.size().scaled(self.size(), Qt.AspectRatioMode.KeepAspectRatio)
        x = (self.width() - size.width()) / 2
        y = (self.height() - size.height()) / 2
        return QRectF(x, y, size.width(), size.height())

    def to_photo(self, position: QPointF) -> list[float]:
        rect = self.image_rect()
        x = (position.x() - rect.x()) / max(rect.width(), 1)
        y = (position.y() - rect.y()) / max(rect.height(), 1)
        return [min(max(x, 0.0), 1.0), min(max(y, 0.0), 1.0)]

    def to_widget(self, point: list[float], rect: QRectF) -> QPointF:
        return QPointF(rect.x() + point[0] * rect.width(), rect.y() + point[1] * rect.height())

    # -- editing ----------------------------------------------------------------------------
    def undo(self) -> None:
        if self.marks:
            self.marks.pop()
            self.changed.emit()
            self.update()

    def clear(self) -> None:
        if self.marks:
            self.marks.clear()
            self.changed.emit()
            self.update()

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() != Qt.MouseButton.LeftButton or self.image.isNull():
            return
        point = self.to_photo(event.position())
        if self.tool == "text":
            if not self.text.strip():
                self.text_missing.emit()
                return
            self.marks.append(
                {
                    "kind": "text",
                    "colour": self.colour,
                    "size": DEFAULT_TEXT_SIZE,
                    "points": [point],
                    "text": self.text.strip()[:MAX_TEXT],
                }
            )
            self.changed.emit()
            self.update()
            return
        points = [point, list(point)] if self.tool in TWO_POINT_KINDS else [point]
        self._drawing = {
            "kind": self.tool,
            "colour": self.colour,
            "width": DEFAULT_WIDTH,
            "points": points,
        }

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if self._drawing is not None:
            _extend(self._drawing, self.to_photo(event.position()), 0.002)
            self.update()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        mark, self._drawing = self._drawing, None
        if mark is None:
            return
        _extend(mark, self.to_photo(event.position()), 0.0)
        points = mark["points"]
        if math.dist(points[0], points[-1]) >= MIN_SHAPE or (
            mark["kind"] == "freehand" and len(points) > 2
        ):
            self.marks.append(mark)
            self.changed.emit()
        self.update()

    # -- painting ---------------------------------------------------------------------------
    def paintEvent(self, _event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor("#3a3d42"))
        rect = self.image_rect()
        if rect.isEmpty():
            painter.setPen(QColor("#dddddd"))
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, self.tr("Loading…"))
            return
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        painter.drawImage(rect, self.image)
        for mark in [*self.marks, *([self._drawing] if self._drawing else [])]:
            paint_mark(painter, mark, rect, self.to_widget)
        painter.end()


def _extend(mark: Mark, point: list[float], step: float) -> None:
    """A freehand line gains the point (if it moved more than ``step``); a two-point shape
    moves its second corner (or the arrow's head) there."""
    points = mark["points"]
    if mark["kind"] != "freehand":
        points[1] = point
    elif len(points) < MAX_FREEHAND_POINTS and math.dist(points[-1], point) > step:
        points.append(point)


def paint_mark(painter: QPainter, mark: Mark, rect: QRectF, to_widget: Any) -> None:
    """Draw one mark as the Pillow renderer will (same geometry, scaled to ``rect``)."""
    colour = QColor(mark["colour"])
    edge = max(rect.width(), rect.height())
    points = [to_widget(p, rect) for p in mark["points"]]
    kind = mark["kind"]
    if kind == "text":
        font = QFont()
        font.setPixelSize(max(6, round(mark["size"] * edge)))
        path = QPainterPath()
        # Pillow places the text's top-left at the point; Qt's path starts at the baseline
        ascent = QFontMetricsF(font).ascent()
        path.addText(points[0] + QPointF(0, ascent), font, mark["text"])
        light = colour.lightness() > 140
        outline = QPen(
            QColor("black") if light else QColor("white"), max(1.0, font.pixelSize() / 7)
        )
        painter.strokePath(path, outline)
        painter.fillPath(path, QBrush(colour))
        return
    pen = QPen(colour, max(1.0, mark["width"] * edge))
    pen.setCapStyle(Qt.PenCapStyle.RoundCap)
    pen.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
    painter.setPen(pen)
    painter.setBrush(Qt.BrushStyle.NoBrush)
    if kind in ("rectangle", "ellipse"):
        box = QRectF(points[0], points[1]).normalized()
        if kind == "rectangle":
            painter.drawRect(box)
        else:
            painter.drawEllipse(box)
    elif kind == "freehand":
        painter.drawPolyline(QPolygonF(points))
    else:
        tail, head = points
        angle = math.atan2(head.y() - tail.y(), head.x() - tail.x())
        length = math.dist((tail.x(), tail.y()), (head.x(), head.y()))
        barb = min(max(5.0 * pen.widthF(), 16.0 * edge / 1600), max(length * 0.6, 1.0))
        shaft_end = QPointF(
            head.x() - math.cos(angle) * barb * 0.6, head.y() - math.sin(angle) * barb * 0.6
        )
        painter.drawLine(tail, shaft_end)
        spread = math.radians(28)
        wings = [
            QPointF(head.x() - barb * math.cos(a), head.y() - barb * math.sin(a))
            for a in (angle - spread, angle + spread)
        ]
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(colour)
        painter.drawPolygon(QPolygonF([head, *wings]))


class AnnotationEditor(QDialog):
    #: the marks were saved (the photo now shows them), or removed
    saved = Signal(object)  # PhotoView
    #: the photo to draw on is shown
    ready = Signal()

    def __init__(self, service: PhotoService, photo: PhotoView, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle(self.tr("Draw on the photo"))
        self.setAccessibleName(self.tr("Draw on the photo"))
        self.service, self.photo = service, photo
        self.jobs = JobRunner(self)
        self.canvas = MarkCanvas(self)
        self.canvas.marks = [dict(m, points=[list(p) for p in m["points"]]) for m in photo.marks]
        self.canvas.changed.connect(self._changed)
        self.canvas.text_missing.connect(
            lambda: self.message.show_error(self.tr("Type the label's text first."))
        )

        self.tool_buttons: dict[str, QPushButton] = {}
        tools = QButtonGroup(self)
        tool_row = QHBoxLayout()
        for kind, label in TOOLS.items():
            button = touch_button(self.tr(label), self)
            button.setCheckable(True)
            button.clicked.connect(lambda _c=False, k=kind: self.set_tool(k))
            tools.addButton(button)
            tool_row.addWidget(button)
            self.tool_buttons[kind] = button
        self.text = touch_line(self, self.tr("Label text"), self.tr("Label text (then tap)"))
        self.text.setMaxLength(MAX_TEXT)
        self.text.textChanged.connect(self._text_changed)
        tool_row.addWidget(self.text, 1)

        self.colour_buttons: dict[str, QPushButton] = {}
        colours = QButtonGroup(self)
        colour_row = QHBoxLayout()
        for name, value in COLOURS.items():
            button = QPushButton(self)
            button.setCheckable(True)
            button.setFixedSize(TOUCH_HEIGHT + 6, TOUCH_HEIGHT)
            button.setAccessibleName(self.tr(name))
            button.setToolTip(self.tr(name))
            button.setStyleSheet(
                f"QPushButton {{ background: {value}; border: 2px solid #777; }}"
                "QPushButton:checked { border: 4px solid #0b57d0; }"
            )
            button.clicked.connect(lambda _c=False, v=value: self.set_colour(v))
            colours.addButton(button)
            colour_row.addWidget(button)
            self.colour_buttons[value] = button
        colour_row.addStretch(1)
        self.undo_button = touch_button(self.tr("Undo"), self)
        self.undo_button.clicked.connect(self.canvas.undo)
        self.clear_button = touch_button(self.tr("Clear all"), self)
        self.clear_button.clicked.connect(self.canvas.clear)
        colour_row.addWidget(self.undo_button)
        colour_row.addWidget(self.clear_button)

        self.message = InlineMessage(self)
        self.save_button = touch_button(self.tr("Save"), self)
        self.save_button.setDefault(True)
        self.save_button.clicked.connect(self.save)
        cancel = touch_button(self.tr("Cancel"), self)
        cancel.clicked.connect(self.reject)
        bottom = QHBoxLayout()
        bottom.addWidget(self.message, 1)
        bottom.addStretch(1)  # the buttons keep their size while there is no message
        bottom.addWidget(self.save_button)
        bottom.addWidget(cancel)

        layout = QVBoxLayout(self)
        layout.addLayout(tool_row)
        layout.addLayout(colour_row)
        layout.addWidget(self.canvas, 1)
        layout.addLayout(bottom)
        self.set_tool("arrow")
        self.set_colour(COLOURS["Red"])
        self._changed()
        fit_to_screen(self, 1000, 780)
        self._load()

    def _load(self) -> None:
        # the marks are drawn on the photo as taken (upright), never on an earlier drawing
        self.jobs.run(upright_job(self.service, self.photo.sha256), self._loaded)

    def _loaded(self, image: QImage) -> None:
        if image.isNull():
            self.message.show_error(self.tr("The photo's file is not on this device."))
            self.save_button.setEnabled(False)
        self.canvas.set_image(image)
        self.ready.emit()

    def set_tool(self, kind: str) -> None:
        self.canvas.tool = kind
        self.tool_buttons[kind].setChecked(True)
        if kind == "text":
            self.text.setFocus()

    def set_colour(self, value: str) -> None:
        self.canvas.colour = value
        self.colour_buttons[value].setChecked(True)

    def _text_changed(self, text: str) -> None:
        self.canvas.text = text
        if text:
            self.set_tool("text")
            self.message.clear_message()

    def _changed(self) -> None:
        has_marks = bool(self.canvas.marks)
        self.undo_button.setEnabled(has_marks)
        self.clear_button.setEnabled(has_marks)

    @property
    def marks(self) -> list[Mark]:
        return self.canvas.marks

    def save(self) -> None:
        marks = [dict(m) for m in self.canvas.marks]
        photo_id, service = self.photo.id, self.service
        if not marks and self.photo.annotation_id is None:
            self.reject()  # nothing drawn, nothing to keep
            return
        self.save_button.setEnabled(False)
        self.message.show_info(self.tr("Saving…"))

        def job(_task: object) -> PhotoView:
            if not marks:
                return service.remove_annotation(photo_id)
            return service.annotate(photo_id, marks)

        self.jobs.run(job, self._saved, self._failed, label=self.tr("Saving the drawing…"))

    def _saved(self, view: PhotoView) -> None:
        self.saved.emit(view)
        self.accept()

    def _failed(self, error: BaseException) -> None:
        self.save_button.setEnabled(True)
        self.message.show_failure(error, self.jobs.show_error)
