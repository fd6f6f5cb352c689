"""The full-size viewer shows every orientation upright, zooms and pages; the annotation
editor draws marks with the mouse, saves them as an annotated copy and edits them again."""

from __future__ import annotations

from pathlib import Path

import pytest
from builders import make_refs, open_case
from PIL import Image
from PySide6.QtCore import QPoint, Qt
from pytestqt.qtbot import QtBot

from fieldsupport.services.cases import CaseService
from fieldsupport.services.photos import PhotoOwner, PhotoService
from fieldsupport.ui.photo_annotation import AnnotationEditor, MarkCanvas
from fieldsupport.ui.photo_viewer import PhotoViewer
from fieldsupport.workspace import Workspace

ORIENTATION = Path(__file__).parent / "data" / "photos" / "orientation"


@pytest.fixture
def service(workspace: Workspace) -> PhotoService:
    return PhotoService(workspace)


@pytest.fixture
def case_id(workspace: Workspace) -> str:
    return open_case(CaseService(workspace), make_refs(workspace))


def test_viewer_shows_every_orientation_upright_and_zooms(
    qtbot: QtBot, service: PhotoService, case_id: str
) -> None:
    files = sorted(ORIENTATION.glob("*.jpg"))
    service.import_photos(PhotoOwner(case_id), files)
    photos = service.photos_of(PhotoOwner(case_id))
    assert len(photos) == 18
    viewer = PhotoViewer(service, photos, 0)
    qtbot.addWidget(viewer)
    viewer.show()
    qtbot.waitUntil(lambda: not viewer.image.isNull(), timeout=10_000)
    for index, photo in enumerate(photos):
        if index:
            with qtbot.waitSignal(viewer.shown, timeout=10_000):
                qtbot.mouseClick(viewer.next_button, Qt.MouseButton.LeftButton)
        image = viewer.image
        assert (image.width() > image.height()) is photo.filename.startswith("Landscape"), (
            photo.filename
        )
        assert max(image.width(), image.height()) == 1600  # the report-size copy
        assert viewer.position.text() == f"{index + 1} of 18"
    assert not viewer.next_button.isEnabled() and viewer.previous_button.isEnabled()

    viewer.view.fit()
    fitted = viewer.view.zoom
    assert fitted < 1  # 1600 px into a ~1000 px window
    qtbot.mouseClick(viewer.zoom_in_button, Qt.MouseButton.LeftButton)
    assert viewer.view.zoom == pytest.approx(fitted * 1.25)
    qtbot.mouseClick(viewer.zoom_out_button, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(viewer.zoom_out_button, Qt.MouseButton.LeftButton)
    assert viewer.view.zoom == pytest.approx(fitted / 1.25)
    qtbot.mouseClick(viewer.actual_button, Qt.MouseButton.LeftButton)
    assert viewer.view.zoom == 1 and viewer.zoom_label.text() == "100 %"
    qtbot.mouseClick(viewer.fit_button, Qt.MouseButton.LeftButton)
    assert viewer.view.zoom == pytest.approx(fitted)
    with qtbot.waitSignal(viewer.shown, timeout=10_000):
        qtbot.mouseClick(viewer.previous_button, Qt.MouseButton.LeftButton)
    assert viewer.index == 16
    qtbot.waitUntil(lambda: not viewer.jobs.busy, timeout=10_000)


def test_viewer_says_when_the_file_is_missing(
    qtbot: QtBot, service: PhotoService, case_id: str, tmp_path: Path
) -> None:
    path = tmp_path / "gone.jpg"
    Image.new("RGB", (200, 100), "red").save(path)
    service.import_photos(PhotoOwner(case_id), [path])
    (photo,) = service.photos_of(PhotoOwner(case_id))
    service.report_copy_path(photo.sha256).unlink()
    service.store.original_path(photo.sha256).unlink()
    viewer = PhotoViewer(service, [photo], 0)
    qtbot.addWidget(viewer)
    qtbot.waitUntil(lambda: "not on this device" in viewer.caption.text(), timeout=10_000)
    qtbot.waitUntil(lambda: not viewer.jobs.busy, timeout=10_000)


def test_viewer_shows_a_synced_heic_that_came_without_copies(
    qtbot: QtBot, service: PhotoService, case_id: str, tmp_path: Path
) -> None:
    pillow_heif = pytest.importorskip("pillow_heif")
    pillow_heif.register_heif_opener()
    path = tmp_path / "iphone.heic"
    picture = Image.new("RGB", (2000, 1500), "orange")
    picture.paste((0, 0, 255), (0, 0, 500, 375))
    picture.save(path, format="HEIF")
    service.import_photos(PhotoOwner(case_id), [path])
    (photo,) = service.photos_of(PhotoOwner(case_id))
    # as it arrives through sync: the original only (Qt itself cannot read a HEIC)
    service.report_copy_path(photo.sha256).unlink()
    service.thumbnail_path(photo.sha256).unlink()
    viewer = PhotoViewer(service, [photo], 0)
    qtbot.addWidget(viewer)
    viewer.show()
    qtbot.waitUntil(lambda: not viewer.image.isNull(), timeout=10_000)
    assert (viewer.image.width(), viewer.image.height()) == (1600, 1200)
    assert viewer.image.pixelColor(40, 40).blue() > 200  # the blue corner, top left
    assert service.report_copy_path(photo.sha256).is_file()
    qtbot.waitUntil(lambda: not viewer.jobs.busy, timeout=10_000)


def _drag(qtbot: QtBot, canvas: MarkCanvas, start: tuple[float, float], end: tuple[float, float]):
    rect = canvas.image_rect()

    def at(point: tuple[float, float]) -> QPoint:
        return QPoint(
            round(rect.x() + point[0] * rect.width()), round(rect.y() + point[1] * rect.height())
        )

    qtbot.mousePress(canvas, Qt.MouseButton.LeftButton, pos=at(start))
    for step in range(1, 6):
        t = step / 5
        middle = (start[0] + (end[0] - start[0]) * t, start[1] + (end[1] - start[1]) * t)
        qtbot.mouseMove(canvas, at(middle))
    qtbot.mouseRelease(canvas, Qt.MouseButton.LeftButton, pos=at(end))
    return at


def test_draw_marks_save_and_edit_them_again(
    qtbot: QtBot, service: PhotoService, case_id: str, tmp_path: Path
) -> None:
    path = tmp_path / "pump.jpg"
    Image.new("RGB", (800, 600), (120, 120, 120)).save(path, quality=92)
    service.import_photos(PhotoOwner(case_id), [path])
    (photo,) = service.photos_of(PhotoOwner(case_id))
    original_bytes = service.store.original_path(photo.sha256).read_bytes()

    editor = AnnotationEditor(service, photo)
    qtbot.addWidget(editor)
    with qtbot.waitSignal(editor.ready, timeout=10_000):
        editor.show()
    canvas = editor.canvas
    assert not editor.undo_button.isEnabled()
    _drag(qtbot, canvas, (0.1, 0.5), (0.9, 0.5))  # an arrow, in red (the defaults)
    qtbot.mouseClick(editor.tool_buttons["ellipse"], Qt.MouseButton.LeftButton)
    qtbot.mouseClick(editor.colour_buttons["#1e88e5"], Qt.MouseButton.LeftButton)
    _drag(qtbot, canvas, (0.6, 0.1), (0.8, 0.3))
    qtbot.mouseClick(editor.tool_buttons["freehand"], Qt.MouseButton.LeftButton)
    _drag(qtbot, canvas, (0.1, 0.9), (0.3, 0.7))
    qtbot.mouseClick(editor.tool_buttons["text"], Qt.MouseButton.LeftButton)
    at = _drag(qtbot, canvas, (0.05, 0.05), (0.05, 0.05))
    assert editor.message.text() == "Type the label's text first."
    qtbot.keyClicks(editor.text, "Leak")
    qtbot.mouseClick(canvas, Qt.MouseButton.LeftButton, pos=at((0.05, 0.05)))
    qtbot.mouseClick(editor.tool_buttons["rectangle"], Qt.MouseButton.LeftButton)
    qtbot.mouseClick(canvas, Qt.MouseButton.LeftButton, pos=at((0.5, 0.5)))  # a tap: no box
    assert [m["kind"] for m in editor.marks] == ["arrow", "ellipse", "freehand", "text"]
    arrow = editor.marks[0]
    assert arrow["colour"] == "#e53935" and editor.marks[1]["colour"] == "#1e88e5"
    assert arrow["points"][0] == pytest.approx([0.1, 0.5], abs=0.01)
    assert arrow["points"][1] == pytest.approx([0.9, 0.5], abs=0.01)
    assert len(editor.marks[2]["points"]) >= 3
    qtbot.mouseClick(editor.undo_button, Qt.MouseButton.LeftButton)  # the label goes
    assert [m["kind"] for m in editor.marks] == ["arrow", "ellipse", "freehand"]

    with qtbot.waitSignal(editor.saved, timeout=10_000) as saved:
        qtbot.mouseClick(editor.save_button, Qt.MouseButton.LeftButton)
    marked = saved.args[0]
    assert [m["kind"] for m in marked.marks] == ["arrow", "ellipse", "freehand"]
    with Image.open(service.store.original_path(marked.display_sha256)) as image:
        r, g, b = image.convert("RGB").getpixel((400, 300))  # on the red arrow
        assert r > 180 and g < 90 and b < 90
    assert service.store.original_path(photo.sha256).read_bytes() == original_bytes

    # edited again later: the marks come back into the editor
    again = AnnotationEditor(service, service.photo(photo.id))
    qtbot.addWidget(again)
    with qtbot.waitSignal(again.ready, timeout=10_000):
        again.show()
    assert [m["kind"] for m in again.marks] == ["arrow", "ellipse", "freehand"]
    qtbot.mouseClick(again.clear_button, Qt.MouseButton.LeftButton)
    with qtbot.waitSignal(again.saved, timeout=10_000):
        qtbot.mouseClick(again.save_button, Qt.MouseButton.LeftButton)
    assert service.photo(photo.id).annotation_id is None  # all marks removed: as taken
    qtbot.waitUntil(lambda: not again.jobs.busy and not editor.jobs.busy, timeout=10_000)
