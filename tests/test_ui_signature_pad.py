"""The signature pad: strokes from mouse events, undo, clear, a tap is no stroke, and the
PNG export carries the ink on a transparent background."""

from __future__ import annotations

import io

from PIL import Image
from PySide6.QtCore import QPoint, Qt
from pytestqt.qtbot import QtBot

from fieldsupport.ui.signature_pad import SignaturePad


def _stroke(qtbot: QtBot, pad: SignaturePad, points: list[tuple[int, int]]) -> None:
    qtbot.mousePress(pad, Qt.MouseButton.LeftButton, pos=QPoint(*points[0]))
    for x, y in points[1:]:
        qtbot.mouseMove(pad, QPoint(x, y))
    qtbot.mouseRelease(pad, Qt.MouseButton.LeftButton, pos=QPoint(*points[-1]))


def test_draw_undo_clear(qtbot: QtBot) -> None:
    pad = SignaturePad()
    qtbot.addWidget(pad)
    pad.resize(400, 200)
    pad.show()
    qtbot.waitExposed(pad)
    assert pad.is_empty()
    with qtbot.waitSignal(pad.changed):
        _stroke(qtbot, pad, [(40, 150), (80, 60), (120, 150), (160, 60)])
    assert len(pad.strokes) == 1 and len(pad.strokes[0]) >= 3
    first = pad.strokes[0][0]
    assert first[:2] == (0.1, 0.75)  # normalised to the pad
    _stroke(qtbot, pad, [(200, 100)])  # a tap
    assert len(pad.strokes) == 1
    _stroke(qtbot, pad, [(220, 140), (380, 140)])
    assert len(pad.strokes) == 2
    pad.undo()
    assert len(pad.strokes) == 1 and not pad.is_empty()
    pad.clear()
    assert pad.is_empty()


def test_png_export_has_ink_on_transparency(qtbot: QtBot) -> None:
    pad = SignaturePad()
    qtbot.addWidget(pad)
    pad.resize(400, 200)
    pad.set_strokes([[(0.1, 0.5, 0.5), (0.9, 0.5, 0.5)]])
    image = Image.open(io.BytesIO(pad.to_png(900, 300)))
    assert image.format == "PNG" and image.size == (900, 300) and image.mode == "RGBA"
    assert image.getpixel((10, 10))[3] == 0  # transparent background
    ink = image.getpixel((450, 150))
    assert ink[3] > 200 and ink[2] > ink[0]  # opaque dark blue along the stroke


def test_a_finger_and_a_pen_sign_too(qtbot: QtBot) -> None:
    """Touch (a tablet PC's screen) and a pen with pressure, not only the mouse."""
    from PySide6.QtCore import QPointF
    from PySide6.QtGui import QPointingDevice, QTabletEvent
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication

    pad = SignaturePad()
    qtbot.addWidget(pad)
    pad.resize(400, 200)
    pad.show()
    qtbot.waitExposed(pad)
    touchscreen = QTest.createTouchDevice()
    QTest.touchEvent(pad, touchscreen).press(0, QPoint(40, 150), pad).commit()
    for x, y in ((80, 60), (120, 150)):
        QTest.touchEvent(pad, touchscreen).move(0, QPoint(x, y), pad).commit()
    with qtbot.waitSignal(pad.changed):
        QTest.touchEvent(pad, touchscreen).release(0, QPoint(120, 150), pad).commit()
    assert len(pad.strokes) == 1 and len(pad.strokes[0]) == 3
    assert pad.strokes[0][0][:2] == (0.1, 0.75)

    pen = QPointingDevice.primaryPointingDevice()
    for kind, x, pressure in (
        (QTabletEvent.Type.TabletPress, 200, 0.9),
        (QTabletEvent.Type.TabletMove, 260, 0.9),
        (QTabletEvent.Type.TabletMove, 320, 0.9),
        (QTabletEvent.Type.TabletRelease, 320, 0.0),
    ):
        position = QPointF(x, 100)
        event = QTabletEvent(
            kind, pen, position, pad.mapToGlobal(position), pressure, 0.0, 0.0, 0.0, 0.0,
            0.0, Qt.KeyboardModifier.NoModifier,
            Qt.MouseButton.NoButton if kind == QTabletEvent.Type.TabletRelease
            else Qt.MouseButton.LeftButton,
            Qt.MouseButton.LeftButton,
        )  # fmt: skip
        QApplication.sendEvent(pad, event)
    assert len(pad.strokes) == 2
    assert [p[2] for p in pad.strokes[1]] == [0.9, 0.9, 0.9]  # the pen's pressure is kept
    pad.undo()
    assert len(pad.strokes) == 1
