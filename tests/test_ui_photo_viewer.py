"""The full-size viewer shows every orientation upright, zooms and pages; the annotation
editor draws marks with the mouse, saves them as an annotated copy and edits them again."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
from builders import make_refs, open_case
from PIL import Image, ImageDraw, ImageOps
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QImage
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
    # at full size through Pillow (pi-heif) in the worker: Qt cannot read a HEIC
    _open_at_full_size(qtbot, viewer)
    assert (viewer.full_image.width(), viewer.full_image.height()) == (2000, 1500)
    assert viewer.full_image.pixelColor(40, 40).blue() > 200
    assert viewer.full_image.pixelColor(1500, 1000).red() > 200
    qtbot.waitUntil(lambda: not viewer.jobs.busy, timeout=10_000)


def _pixels(image: QImage, size: tuple[int, int]) -> list[tuple[int, int, int]]:
    small = image.scaled(
        *size, Qt.AspectRatioMode.IgnoreAspectRatio, Qt.TransformationMode.SmoothTransformation
    )
    return [small.pixelColor(x, y).getRgb()[:3] for y in range(size[1]) for x in range(size[0])]


def _rgb(image: Image.Image) -> list[tuple[int, int, int]]:
    return [image.getpixel((x, y)) for y in range(image.height) for x in range(image.width)]  # type: ignore[misc]


def _difference(a: list[tuple[int, int, int]], b: list[tuple[int, int, int]]) -> float:
    return sum(
        abs(p - q) for pa, pb in zip(a, b, strict=True) for p, q in zip(pa, pb, strict=True)
    ) / (3 * len(a))


def _open_at_full_size(qtbot: QtBot, viewer: PhotoViewer, *, reduced: bool = False) -> None:
    """100 % (past what the 1600 px copy resolves): the original is decoded in a worker - not
    in the click, which returns with the copy still shown - and then shown (with a note
    only when it had to be ``reduced``)."""
    qtbot.mouseClick(viewer.actual_button, Qt.MouseButton.LeftButton)
    assert viewer.full_state == "loading" and viewer.full_image.isNull()
    assert "full size" in viewer.note.text()
    with qtbot.waitSignal(viewer.full_shown, timeout=20_000):
        pass
    assert viewer.full_state == "shown" and viewer.note.isHidden() is not reduced


def test_viewer_opens_every_orientation_upright_at_full_size(
    qtbot: QtBot, service: PhotoService, case_id: str
) -> None:
    files = sorted(ORIENTATION.glob("*.jpg"))
    service.import_photos(PhotoOwner(case_id), files)
    photos = service.photos_of(PhotoOwner(case_id))
    viewer = PhotoViewer(service, photos, 0)
    qtbot.addWidget(viewer)
    viewer.show()
    qtbot.waitUntil(lambda: not viewer.image.isNull(), timeout=10_000)
    for index, photo in enumerate(photos):
        if index:
            with qtbot.waitSignal(viewer.shown, timeout=10_000):
                qtbot.mouseClick(viewer.next_button, Qt.MouseButton.LeftButton)
            assert viewer.full_image.isNull()  # the previous photo's was let go of
        viewer.view.fit()
        assert viewer.full_state == ""  # fitted, the copy is enough: nothing decoded
        _open_at_full_size(qtbot, viewer)
        full = viewer.full_image
        landscape = photo.filename.startswith("Landscape")
        assert (full.width(), full.height()) == ((1800, 1200) if landscape else (1200, 1800))
        # the very picture the file shows once its EXIF orientation is applied (Pillow's
        # reading, independent of Qt's); a mirrored or turned one differs by far more
        with Image.open(ORIENTATION / photo.filename) as source:
            size = (45, 30) if landscape else (30, 45)
            upright = ImageOps.exif_transpose(source).convert("RGB").resize(size)
            expected = _rgb(upright)
        assert _difference(_pixels(full, size), expected) < 12, photo.filename
        mirrored = _rgb(upright.transpose(Image.Transpose.FLIP_LEFT_RIGHT))
        assert _difference(_pixels(full, size), mirrored) > 25
    qtbot.waitUntil(lambda: not viewer.jobs.busy, timeout=10_000)


def _stripes(path: Path, size: tuple[int, int], orientation: int) -> None:
    """A photo of one-pixel black and white stripes across (once upright): detail that only
    the full-size image resolves, as a nameplate's small print."""
    width, height = size
    upright = Image.new("L", size, 255)
    draw = ImageDraw.Draw(upright)
    for y in range(0, height, 2):
        draw.line([(0, y), (width, y)], fill=0)
    undo = {1: None, 6: Image.Transpose.ROTATE_90, 3: Image.Transpose.ROTATE_180}[orientation]
    stored = upright.transpose(undo) if undo is not None else upright
    exif = Image.Exif()
    exif[0x0112] = orientation
    stored.convert("RGB").save(path, quality=95, exif=exif, subsampling=0)


def _row_contrast(viewer: PhotoViewer) -> float:
    """How far apart neighbouring rows are in the middle of what the view draws."""
    shot = viewer.view.viewport().grab().toImage()
    x, y = shot.width() // 2, shot.height() // 2
    rows = [shot.pixelColor(x, y + i).value() for i in range(-20, 20)]
    return sum(abs(a - b) for a, b in itertools.pairwise(rows)) / (len(rows) - 1)


def test_zoom_past_the_copy_shows_the_original_from_a_worker(
    qtbot: QtBot, service: PhotoService, case_id: str, tmp_path: Path
) -> None:
    path = tmp_path / "nameplate.jpg"
    _stripes(path, (2400, 3200), 6)  # a portrait, stored turned (EXIF orientation 6)
    other = tmp_path / "other.jpg"
    Image.new("RGB", (3000, 2000), "green").save(other)
    service.import_photos(PhotoOwner(case_id), [path, other])
    photos = service.photos_of(PhotoOwner(case_id))
    viewer = PhotoViewer(service, photos, 0)
    qtbot.addWidget(viewer)
    viewer.show()
    qtbot.waitUntil(lambda: not viewer.image.isNull(), timeout=10_000)
    assert (viewer.image.width(), viewer.image.height()) == (1200, 1600)  # the copy first
    fitted = viewer.view.zoom
    assert fitted == pytest.approx(viewer.view.viewport().height() / 3200, rel=0.02)
    # zoom steps that the copy still resolves decode nothing
    while viewer.view.zoom * 1.25 <= 0.5:
        qtbot.mouseClick(viewer.zoom_in_button, Qt.MouseButton.LeftButton)
    assert viewer.full_state == "" and viewer.full_image.isNull()
    _open_at_full_size(qtbot, viewer)
    assert viewer.zoom_label.text() == "100 %"  # of the original's own pixels
    full = viewer.full_image
    assert (full.width(), full.height()) == (2400, 3200)
    assert _row_contrast(viewer) > 150  # every stripe on the screen

    # the copy, magnified to the same zoom, blurs them into grey
    viewer.view.item.set_full(QImage())
    viewer.view.viewport().repaint()
    assert _row_contrast(viewer) < 60
    viewer.view.item.set_full(full)
    qtbot.mouseClick(viewer.fit_button, Qt.MouseButton.LeftButton)  # fitted: the copy is drawn
    assert viewer.view.item.drawn(viewer.view.zoom) is viewer.view.item.copy
    qtbot.mouseClick(viewer.actual_button, Qt.MouseButton.LeftButton)
    assert viewer.full_state == "shown"  # decoded once for this photo, drawn again
    assert viewer.view.item.drawn(viewer.view.zoom) is viewer.full_image

    # the next photo lets the full-size image go at once, and is itself decoded when zoomed
    with qtbot.waitSignal(viewer.shown, timeout=10_000):
        qtbot.mouseClick(viewer.next_button, Qt.MouseButton.LeftButton)
    assert viewer.full_image.isNull() and viewer.view.item.full.isNull()
    _open_at_full_size(qtbot, viewer)
    assert (viewer.full_image.width(), viewer.full_image.height()) == (3000, 2000)
    qtbot.waitUntil(lambda: not viewer.jobs.busy, timeout=10_000)


def test_a_photo_larger_than_the_viewer_opens_is_said_to_be_reduced(
    qtbot: QtBot, service: PhotoService, case_id: str, tmp_path: Path
) -> None:
    """A photo with more pixels than the viewer decodes at once (50 MP; here a 7.7 MP one
    with the limit lowered to 2 MP) is shown reduced, and the viewer says so; one within
    the limit is shown whole without a word."""
    path = tmp_path / "nameplate.jpg"
    _stripes(path, (2400, 3200), 1)
    service.import_photos(PhotoOwner(case_id), [path])
    photos = service.photos_of(PhotoOwner(case_id))
    viewer = PhotoViewer(service, photos, 0)
    viewer.full_max_pixels = 2_000_000
    qtbot.addWidget(viewer)
    viewer.show()
    qtbot.waitUntil(lambda: not viewer.image.isNull(), timeout=10_000)
    _open_at_full_size(qtbot, viewer, reduced=True)
    full = viewer.full_image
    assert full.width() * full.height() <= 2_000_000 and full.width() > 1200
    assert viewer.note.text() == (
        f"This photo has 8 megapixels; it is shown reduced to {full.width()} × {full.height()}, "
        "the most the viewer opens at once. The original is kept whole."
    )
    qtbot.waitUntil(lambda: not viewer.jobs.busy, timeout=10_000)

    whole = PhotoViewer(service, photos, 0)
    qtbot.addWidget(whole)
    whole.show()
    qtbot.waitUntil(lambda: not whole.image.isNull(), timeout=10_000)
    _open_at_full_size(qtbot, whole)
    assert (whole.full_image.width(), whole.full_image.height()) == (2400, 3200)
    assert not whole.note.isVisible()
    qtbot.waitUntil(lambda: not whole.jobs.busy, timeout=10_000)


@pytest.mark.parametrize("damage", ["missing", "not a photo", "truncated"])
def test_viewer_keeps_the_copy_when_the_original_cannot_be_shown(
    qtbot: QtBot, service: PhotoService, case_id: str, tmp_path: Path, damage: str
) -> None:
    path = tmp_path / "pump.jpg"
    _stripes(path, (3000, 2000), 1)
    service.import_photos(PhotoOwner(case_id), [path])
    (photo,) = service.photos_of(PhotoOwner(case_id))
    original = service.store.original_path(photo.sha256)
    data = original.read_bytes()
    original.chmod(0o644)
    if damage == "missing":
        original.unlink()
    elif damage == "not a photo":
        original.write_bytes(b"\0" * len(data))
    else:
        original.write_bytes(data[: len(data) // 2])
    viewer = PhotoViewer(service, [photo], 0)
    qtbot.addWidget(viewer)
    viewer.show()
    qtbot.waitUntil(lambda: not viewer.image.isNull(), timeout=10_000)
    qtbot.mouseClick(viewer.actual_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: viewer.full_state == "failed", timeout=10_000)
    assert "showing the report-size copy (1600 × 1067)" in viewer.note.text()
    assert not viewer.note.isHidden()
    reason = {
        "missing": "not on this device",
        "not a photo": "cannot be read",
        "truncated": "truncated",
    }[damage]
    assert reason in viewer.note.text()
    assert viewer.full_image.isNull() and viewer.view.item.drawn(4.0) is viewer.image
    assert viewer.view.viewport().grab().toImage().pixelColor(10, 300).value() > 0
    qtbot.waitUntil(lambda: not viewer.jobs.busy, timeout=10_000)


def test_an_annotated_photo_shows_its_marks_at_full_size(
    qtbot: QtBot, service: PhotoService, case_id: str, tmp_path: Path
) -> None:
    path = tmp_path / "serial.jpg"
    _stripes(path, (3000, 2000), 3)  # stored upside down
    service.import_photos(PhotoOwner(case_id), [path])
    (photo,) = service.photos_of(PhotoOwner(case_id))
    mark = {
        "kind": "rectangle",
        "colour": "#e53935",
        "width": 0.01,
        "points": [[0.1, 0.1], [0.3, 0.3]],
    }
    marked = service.annotate(photo.id, [mark])
    viewer = PhotoViewer(service, [marked], 0)
    qtbot.addWidget(viewer)
    viewer.show()
    qtbot.waitUntil(lambda: not viewer.image.isNull(), timeout=10_000)
    _open_at_full_size(qtbot, viewer)
    full = viewer.full_image
    assert (full.width(), full.height()) == (3000, 2000)  # not the 1600 px annotated copy
    red = full.pixelColor(round(0.1 * 2999), round(0.2 * 1999))  # the rectangle's left side
    assert red.red() > 180 and red.green() < 90 and red.blue() < 90
    # and the stripes (upright: the photo was stored turned) at the original's resolution
    column = [full.pixelColor(1500, y).value() for y in range(1000, 1010)]
    assert max(column) - min(column) > 150
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


def test_a_closed_viewer_lets_its_images_go_and_the_next_replaces_it(
    qtbot: QtBot, service: PhotoService, case_id: str, tmp_path: Path
) -> None:
    """A closed dialog lives on as its parent's child: a 12 MP original (48 MB) kept by each
    closed viewer would add up over a day in one case file."""
    from PySide6.QtWidgets import QWidget

    from fieldsupport.ui.photo_viewer import show_viewer

    path = tmp_path / "pump.jpg"
    Image.new("RGB", (3000, 2000), "teal").save(path)
    service.import_photos(PhotoOwner(case_id), [path])
    photos = service.photos_of(PhotoOwner(case_id))
    parent = QWidget()
    qtbot.addWidget(parent)
    first = show_viewer(None, service, photos, 0, parent)
    qtbot.waitUntil(lambda: not first.image.isNull(), timeout=10_000)
    _open_at_full_size(qtbot, first)
    assert not first.full_image.isNull()
    first.close()
    assert first.full_image.isNull() and first.image.isNull()
    assert first.view.item.full.isNull() and first.view.item.copy.isNull()

    gone: list[bool] = []
    first.destroyed.connect(lambda: gone.append(True))
    second = show_viewer(first, service, photos, 0, parent)
    qtbot.waitUntil(lambda: bool(gone), timeout=10_000)
    assert parent.findChildren(PhotoViewer) == [second]
    qtbot.waitUntil(lambda: not second.image.isNull(), timeout=10_000)
    second.close()
    qtbot.waitUntil(lambda: not second.jobs.busy, timeout=10_000)
