"""A signature pad: draw with a mouse, a pen or a finger; undo the last stroke or clear.

The strokes are kept as data (points normalised to 0..1 of the pad, with pressure when the
device reports it), so the signature can be redrawn at any size, and exported as a PNG with
a transparent background for the report."""

from __future__ import annotations

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QImage,
    QMouseEvent,
    QPainter,
    QPainterPath,
    QPaintEvent,
    QPen,
    QTabletEvent,
    QTouchEvent,
)
from PySide6.QtWidgets import QSizePolicy, QWidget

# One stroke: [(x, y, pressure), ...] with x, y in 0..1 of the pad.
Stroke = list[tuple[float, float, float]]
INK = QColor("#0b2a5b")
MIN_POINTS = 2


class SignaturePad(QWidget):
    #: the drawing changed (a stroke added, undone or cleared)
    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName(self.tr("Signature pad"))
        self.setAccessibleDescription(self.tr("Sign here with a pen, a finger or the mouse."))
        self.setMinimumSize(320, 140)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setAttribute(Qt.WidgetAttribute.WA_AcceptTouchEvents)
        self.setAttribute(Qt.WidgetAttribute.WA_StaticContents)
        self.setCursor(Qt.CursorShape.CrossCursor)
        self.strokes: list[Stroke] = []
        self._current: Stroke | None = None

    def sizeHint(self) -> QSize:
        return QSize(520, 200)

    # -- state ------------------------------------------------------------------------------
    def is_empty(self) -> bool:
        return not any(len(s) >= MIN_POINTS for s in self.strokes)

    def undo(self) -> None:
        if self.strokes:
            self.strokes.pop()
            self.update()
            self.changed.emit()

    def clear(self) -> None:
        if self.strokes:
            self.strokes = []
            self.update()
            self.changed.emit()

    def set_strokes(self, strokes: list[Stroke]) -> None:
        self.strokes = [list(s) for s in strokes]
        self.update()
        self.changed.emit()

    # -- input ------------------------------------------------------------------------------
    def _point(self, position: QPointF, pressure: float = 0.5) -> tuple[float, float, float]:
        width, height = max(self.width(), 1), max(self.height(), 1)
        x = min(max(position.x() / width, 0.0), 1.0)
        y = min(max(position.y() / height, 0.0), 1.0)
        return (round(x, 4), round(y, 4), round(min(max(pressure, 0.05), 1.0), 3))

    def _begin(self, point: tuple[float, float, float]) -> None:
        self._current = [point]
        self.strokes.append(self._current)

    def _extend(self, point: tuple[float, float, float]) -> None:
        if self._current is not None and point[:2] != self._current[-1][:2]:
            self._current.append(point)
            self.update()

    def _end(self) -> None:
        if self._current is not None:
            if len(self._current) < MIN_POINTS:
                self.strokes.remove(self._current)  # a tap is not a stroke
            self._current = None
            self.update()
            self.changed.emit()

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self._begin(self._point(event.position()))

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if event.buttons() & Qt.MouseButton.LeftButton:
            self._extend(self._point(event.position()))

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self._extend(self._point(event.position()))
            self._end()

    def tabletEvent(self, event: QTabletEvent) -> None:
        point = self._point(event.position(), event.pressure())
        kind = event.type()
        if kind == QTabletEvent.Type.TabletPress:
            self._begin(point)
        elif kind == QTabletEvent.Type.TabletMove:
            self._extend(point)
        elif kind == QTabletEvent.Type.TabletRelease:
            self._end()
        event.accept()  # no synthesised mouse events: the pen's pressure is kept

    def event(self, event: object) -> bool:
        if isinstance(event, QTouchEvent) and event.points():
            touch = event.points()[0]
            point = self._point(touch.position(), touch.pressure() or 0.5)
            if event.type() == QTouchEvent.Type.TouchBegin:
                self._begin(point)
            elif event.type() == QTouchEvent.Type.TouchUpdate:
                self._extend(point)
            else:
                self._end()
            event.accept()
            return True
        return super().event(event)  # type: ignore[arg-type]

    # -- drawing ----------------------------------------------------------------------------
    def paint_strokes(self, painter: QPainter, rect: QRectF, width: float) -> None:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        for stroke in self.strokes:
            if not stroke:
                continue
            pressure = sum(p[2] for p in stroke) / len(stroke)
            pen = QPen(INK, width * (0.6 + pressure), Qt.PenStyle.SolidLine)
            pen.setCapStyle(Qt.PenCapStyle.RoundCap)
            pen.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
            painter.setPen(pen)
            path = QPainterPath()
            x, y, _ = stroke[0]
            path.moveTo(rect.left() + x * rect.width(), rect.top() + y * rect.height())
            for x, y, _ in stroke[1:]:
                path.lineTo(rect.left() + x * rect.width(), rect.top() + y * rect.height())
            painter.drawPath(path)

    def paintEvent(self, _event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor("white"))
        painter.setPen(QPen(QColor("#9aa5b1"), 1, Qt.PenStyle.DashLine))
        baseline = self.height() * 0.78
        painter.drawLine(QPointF(16, baseline), QPointF(self.width() - 16, baseline))
        self.paint_strokes(painter, QRectF(self.rect()), 2.0)
        painter.end()

    def to_png(self, width: int = 900, height: int = 300) -> bytes:
        """The signature as a PNG with a transparent background (for the report)."""
        image = QImage(width, height, QImage.Format.Format_ARGB32)
        image.fill(Qt.GlobalColor.transparent)
        painter = QPainter(image)
        self.paint_strokes(painter, QRectF(0, 0, width, height), width / 260)
        painter.end()
        data = QByteArray()
        buffer = QBuffer(data)
        buffer.open(QIODevice.OpenModeFlag.WriteOnly)
        image.save(buffer, "PNG")
        return bytes(data.data())
