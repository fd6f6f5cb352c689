"""The photo gallery offscreen: lazy thumbnails, import by dialog, drop and paste with the
summary of refusals, cancel, captions, order, before/after pairs, delete with undo and
restore, the no-camera path, and the gallery in the case file."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

import pytest
from builders import make_refs, open_case
from PIL import Image
from PySide6.QtCore import QMimeData, QPoint, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QGuiApplication, QImage, QPixmap
from PySide6.QtWidgets import QApplication, QFileDialog, QProgressDialog, QPushButton
from pytestqt.qtbot import QtBot

from fieldsupport.media import reading
from fieldsupport.models.enums import BeforeAfter
from fieldsupport.services.cases import CaseService
from fieldsupport.services.photos import Outcome, PhotoOwner, PhotoService
from fieldsupport.services.visits import VisitService
from fieldsupport.ui.photo_gallery import PhotoGallery
from fieldsupport.ui.photo_model import ThumbnailLoader
from fieldsupport.workspace import Workspace

ORIENTATION = Path(__file__).parent / "data" / "photos" / "orientation"


@pytest.fixture
def case_id(workspace: Workspace) -> str:
    return open_case(CaseService(workspace), make_refs(workspace))


@pytest.fixture
def gallery(qtbot: QtBot, workspace: Workspace) -> Iterator[PhotoGallery]:
    widget = PhotoGallery(PhotoService(workspace))
    qtbot.addWidget(widget)
    widget.resize(1000, 700)
    yield widget
    qtbot.waitUntil(lambda: not widget.jobs.busy, timeout=20_000)


def _show(qtbot: QtBot, gallery: PhotoGallery, case_id: str) -> None:
    with qtbot.waitSignal(gallery.loaded, timeout=10_000):
        gallery.show_case(case_id, [])


def _settle(qtbot: QtBot, gallery: PhotoGallery) -> None:
    qtbot.waitUntil(lambda: not gallery.jobs.busy, timeout=20_000)


def _import(qtbot: QtBot, gallery: PhotoGallery, paths: list[Path]) -> None:
    with qtbot.waitSignal(gallery.loaded, timeout=20_000):
        gallery.import_files(paths)
    _settle(qtbot, gallery)


def _small(folder: Path, name: str, colour: str, size: tuple[int, int] = (300, 200)) -> Path:
    path = folder / name
    Image.new("RGB", size, colour).save(path, quality=85)
    return path


def test_thumbnails_fill_in_lazily_and_upright(
    qtbot: QtBot, gallery: PhotoGallery, workspace: Workspace, case_id: str
) -> None:
    files = [ORIENTATION / "Landscape_5.jpg", ORIENTATION / "Portrait_7.jpg"]
    PhotoService(workspace).import_photos(PhotoOwner(case_id), files)
    gallery.show()
    _show(qtbot, gallery, case_id)
    model = gallery.model
    assert model.rowCount() == 2
    first = model.data(model.index(0), Qt.ItemDataRole.DecorationRole)
    assert isinstance(first, QPixmap)
    _settle(qtbot, gallery)  # the worker has read the thumbnails
    shapes = []
    for row in range(2):
        pixmap = model.data(model.index(row), Qt.ItemDataRole.DecorationRole)
        assert pixmap.cacheKey() != gallery.loader.placeholder.cacheKey()
        shapes.append(pixmap.width() > pixmap.height())
    assert shapes == [True, False]  # landscape wide, portrait tall: upright


def test_missing_thumbnail_shows_a_marker_not_a_crash(
    qtbot: QtBot, gallery: PhotoGallery, workspace: Workspace, case_id: str
) -> None:
    service = PhotoService(workspace)
    service.import_photos(PhotoOwner(case_id), [ORIENTATION / "Landscape_1.jpg"])
    sha = service.photos_of(PhotoOwner(case_id))[0].sha256
    # the record arrived, its file not yet (nothing to make a thumbnail from)
    service.thumbnail_path(sha).unlink()
    service.store.original_path(sha).unlink()
    _show(qtbot, gallery, case_id)
    gallery.model.data(gallery.model.index(0), Qt.ItemDataRole.DecorationRole)
    _settle(qtbot, gallery)
    pixmap = gallery.model.data(gallery.model.index(0), Qt.ItemDataRole.DecorationRole)
    assert pixmap.cacheKey() == gallery.loader.missing.cacheKey()
    assert not service.thumbnail_path(sha).exists()


def test_a_synced_original_gets_its_thumbnail_and_report_copy(
    qtbot: QtBot, gallery: PhotoGallery, workspace: Workspace, case_id: str
) -> None:
    """Only originals travel through sync: a photo from another device has no thumbnail or
    report-size copy here until the gallery makes them (in its worker)."""
    service = PhotoService(workspace)
    service.import_photos(PhotoOwner(case_id), [ORIENTATION / "Portrait_7.jpg"])
    sha = service.photos_of(PhotoOwner(case_id))[0].sha256
    original = service.store.original_path(sha)
    kept = original.read_bytes()
    service.thumbnail_path(sha).unlink()
    service.report_copy_path(sha).unlink()
    original.unlink()  # not downloaded yet: the marker
    _show(qtbot, gallery, case_id)
    gallery.model.data(gallery.model.index(0), Qt.ItemDataRole.DecorationRole)
    _settle(qtbot, gallery)
    pixmap = gallery.model.data(gallery.model.index(0), Qt.ItemDataRole.DecorationRole)
    assert pixmap.cacheKey() == gallery.loader.missing.cacheKey()

    original.write_bytes(kept)  # the sync downloaded it; the case file lists again
    _show(qtbot, gallery, case_id)
    gallery.model.data(gallery.model.index(0), Qt.ItemDataRole.DecorationRole)
    _settle(qtbot, gallery)
    pixmap = gallery.model.data(gallery.model.index(0), Qt.ItemDataRole.DecorationRole)
    assert pixmap.cacheKey() not in (
        gallery.loader.missing.cacheKey(),
        gallery.loader.placeholder.cacheKey(),
    )
    assert pixmap.height() > pixmap.width()  # upright, as an imported one
    assert service.thumbnail_path(sha).is_file()
    with Image.open(service.report_copy_path(sha)) as report:
        assert report.height > report.width
    assert original.read_bytes() == kept  # the original is only read


def test_import_reports_refusals_with_reasons(
    qtbot: QtBot, gallery: PhotoGallery, case_id: str, tmp_path: Path
) -> None:
    _show(qtbot, gallery, case_id)
    junk = tmp_path / "notes.jpg"
    junk.write_text("not a photo")
    empty = tmp_path / "empty.png"
    empty.write_bytes(b"")
    good = _small(tmp_path, "good.jpg", "teal")
    _import(qtbot, gallery, [junk, good, empty])
    assert gallery.model.rowCount() == 1
    assert gallery.selected_ids() == [gallery.model.photo(0).id]  # the new photo is selected
    dialog = gallery.summary_dialog
    assert dialog is not None and dialog.isVisible()
    lines = [dialog.files.item(i).text() for i in range(dialog.files.count())]
    assert lines == [
        "notes.jpg — refused: not an image (or a format we do not import)",
        "empty.png — refused: empty file (0 bytes)",
        "good.jpg — imported",
    ]
    assert gallery.message.text() == "1 imported, 2 refused."


def test_drop_files_and_paste_an_image(
    qtbot: QtBot, gallery: PhotoGallery, case_id: str, tmp_path: Path
) -> None:
    gallery.show()
    _show(qtbot, gallery, case_id)
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(_small(tmp_path, "dropped.jpg", "orange")))])
    viewport = gallery.view.viewport()
    enter = QDragEnterEvent(
        QPoint(50, 50), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )  # fmt: skip
    QApplication.sendEvent(viewport, enter)
    assert enter.isAccepted()
    drop = QDropEvent(
        QPoint(50, 50), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )  # fmt: skip
    with qtbot.waitSignal(gallery.loaded, timeout=20_000):
        QApplication.sendEvent(viewport, drop)
    _settle(qtbot, gallery)
    assert [p.filename for p in gallery.model.photos()] == ["dropped.jpg"]

    text_only = QMimeData()
    text_only.setText("just words")
    refused = QDragEnterEvent(
        QPoint(5, 5), Qt.DropAction.CopyAction, text_only, Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )  # fmt: skip
    QApplication.sendEvent(viewport, refused)
    assert not refused.isAccepted()

    screenshot = QImage(320, 200, QImage.Format.Format_RGB32)
    screenshot.fill(Qt.GlobalColor.magenta)
    QGuiApplication.clipboard().setImage(screenshot)
    with qtbot.waitSignal(gallery.loaded, timeout=20_000):
        gallery.paste()
    _settle(qtbot, gallery)
    names = [p.filename or "" for p in gallery.model.photos()]
    assert len(names) == 2 and names[1].startswith("pasted-") and names[1].endswith(".png")
    assert gallery.model.photos()[1].width == 320

    QGuiApplication.clipboard().setText("no picture here")
    gallery.paste()
    assert gallery.message.text() == "The clipboard holds no image or photo file."


def test_a_whole_folder_through_its_dialog_with_the_readers_started_meanwhile(
    qtbot: QtBot, gallery: PhotoGallery, case_id: str, tmp_path: Path
) -> None:
    reading.shut_down()  # none running: the dialog starts them
    gallery.show()
    _show(qtbot, gallery, case_id)
    card = tmp_path / "card" / "DCIM"
    (card / "100CANON").mkdir(parents=True)
    (card / ".thumbnails").mkdir()
    for index, source in enumerate(sorted(ORIENTATION.glob("Landscape_[1-4].jpg"))):
        folder = card if index % 2 else card / "100CANON"
        shutil.copy(source, folder / source.name)
    shutil.copy(ORIENTATION / "Portrait_1.jpg", card / ".thumbnails" / "hidden.jpg")
    (card / "notes.txt").write_text("not a photo: not read, but listed")
    assert gallery.folder_button.isVisible() and gallery.folder_button.isEnabled()
    gallery.folder_button.click()
    dialog = gallery.file_dialog
    assert dialog.isVisible() and dialog.fileMode() is QFileDialog.FileMode.Directory
    if (os.cpu_count() or 1) > 1:  # the reading processes start while the dialog is open
        qtbot.waitUntil(lambda: len(reading.reading_processes()) > 1, timeout=20_000)
    dialog.setDirectory(str(card.parent))
    dialog.selectFile(str(card))
    with qtbot.waitSignal(gallery.loaded, timeout=20_000):
        dialog.accept()
    _settle(qtbot, gallery)
    assert sorted(p.filename or "" for p in gallery.model.photos()) == [
        f"Landscape_{n}.jpg" for n in range(1, 5)
    ]
    assert gallery.message.text() == "4 imported, 1 skipped (not photos)."
    summary = gallery.summary_dialog.files
    assert summary.item(0).text().startswith("notes.txt — skipped: not a photo")
    gallery.summary_dialog.close()


def test_cancel_an_import_keeps_whole_photos_and_says_so(
    qtbot: QtBot, gallery: PhotoGallery, case_id: str, tmp_path: Path
) -> None:
    _show(qtbot, gallery, case_id)
    folder = tmp_path / "camera"
    folder.mkdir()
    for copy in range(2):
        for source in sorted(ORIENTATION.glob("*.jpg")):
            shutil.copy(source, folder / f"{copy}-{source.name}")
    gallery.import_files([folder])
    operation = gallery.import_operation
    operation._show_dialog()  # as after 600 ms, without waiting for them
    dialogs = gallery.findChildren(QProgressDialog)
    assert len(dialogs) == 1 and dialogs[0].isVisible()
    (cancel,) = [b for b in dialogs[0].findChildren(QPushButton) if b.text() == "Cancel"]
    qtbot.mouseClick(cancel, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: operation.done, timeout=30_000)
    _settle(qtbot, gallery)
    summary = gallery.last_summary
    assert summary.cancelled and len(summary.results) < 36
    assert gallery.model.rowCount() == summary.count(Outcome.IMPORTED)
    assert gallery.message.text().startswith("Import cancelled: ")
    assert gallery.summary_dialog is not None
    assert gallery.summary_dialog.headline.text().startswith("Import cancelled")


def test_caption_order_before_after_and_pairs(
    qtbot: QtBot, gallery: PhotoGallery, workspace: Workspace, case_id: str, tmp_path: Path
) -> None:
    service = PhotoService(workspace)
    files = [_small(tmp_path, f"p{i}.jpg", c) for i, c in enumerate(["red", "green", "blue"])]
    service.import_photos(PhotoOwner(case_id), files)
    _show(qtbot, gallery, case_id)
    assert not gallery.caption_button.isEnabled()  # nothing selected

    gallery.select_rows(0)
    assert gallery.caption_button.isEnabled() and not gallery.pair_button.isEnabled()
    gallery.caption.setText("Worn gland packing")
    with qtbot.waitSignal(gallery.loaded, timeout=10_000):
        qtbot.mouseClick(gallery.caption_button, Qt.MouseButton.LeftButton)
    assert gallery.model.photo(0).caption == "Worn gland packing"
    label = gallery.model.data(gallery.model.index(0), Qt.ItemDataRole.DisplayRole)
    assert label == "Worn gland packing"

    with qtbot.waitSignal(gallery.loaded, timeout=10_000):
        qtbot.mouseClick(gallery.later_button, Qt.MouseButton.LeftButton)
    assert [p.filename for p in gallery.model.photos()] == ["p1.jpg", "p0.jpg", "p2.jpg"]
    assert gallery.selected_photos()[0].filename == "p0.jpg"  # still selected after moving
    with qtbot.waitSignal(gallery.loaded, timeout=10_000):
        qtbot.mouseClick(gallery.earlier_button, Qt.MouseButton.LeftButton)
    assert [p.filename for p in gallery.model.photos()] == ["p0.jpg", "p1.jpg", "p2.jpg"]

    gallery.select_rows(0, 2)
    assert gallery.pair_button.isEnabled() and not gallery.caption_button.isEnabled()
    with qtbot.waitSignal(gallery.loaded, timeout=10_000):
        qtbot.mouseClick(gallery.pair_button, Qt.MouseButton.LeftButton)
    photos = gallery.model.photos()
    assert (photos[0].before_after, photos[2].before_after) == (
        BeforeAfter.BEFORE,
        BeforeAfter.AFTER,
    )
    assert photos[0].pair_id == photos[2].pair_id is not None
    label = gallery.model.data(gallery.model.index(2), Qt.ItemDataRole.DisplayRole)
    assert label == "After ⇄"
    assert gallery.message.text() == "Paired: before and after."

    gallery.select_rows(1)
    with qtbot.waitSignal(gallery.loaded, timeout=10_000):
        qtbot.mouseClick(gallery.before_button, Qt.MouseButton.LeftButton)
    assert gallery.model.photo(1).before_after is BeforeAfter.BEFORE
    with qtbot.waitSignal(gallery.loaded, timeout=10_000):
        qtbot.mouseClick(gallery.unmark_button, Qt.MouseButton.LeftButton)
    assert gallery.model.photo(1).before_after is None


def test_delete_undo_and_restore_from_the_deleted_list(
    qtbot: QtBot, gallery: PhotoGallery, workspace: Workspace, case_id: str, tmp_path: Path
) -> None:
    service = PhotoService(workspace)
    service.import_photos(
        PhotoOwner(case_id), [_small(tmp_path, "a.jpg", "red"), _small(tmp_path, "b.jpg", "blue")]
    )
    _show(qtbot, gallery, case_id)
    gallery.select_rows(1)
    with qtbot.waitSignal(gallery.loaded, timeout=10_000):
        qtbot.mouseClick(gallery.delete_button, Qt.MouseButton.LeftButton)
    assert [p.filename for p in gallery.model.photos()] == ["a.jpg"]
    assert gallery.undo_button.isVisibleTo(gallery)
    assert "1 photo(s) deleted" in gallery.message.text()
    with qtbot.waitSignal(gallery.loaded, timeout=10_000):
        qtbot.mouseClick(gallery.undo_button, Qt.MouseButton.LeftButton)
    assert [p.filename for p in gallery.model.photos()] == ["a.jpg", "b.jpg"]
    assert not gallery.undo_button.isVisibleTo(gallery)

    gallery.select_rows(0)
    with qtbot.waitSignal(gallery.loaded, timeout=10_000):
        gallery.delete_selected()
    gallery.open_deleted()
    dialog = gallery.deleted_dialog
    qtbot.waitUntil(lambda: dialog.list.count() == 1 and not dialog.jobs.busy, timeout=5000)
    assert dialog.list.item(0).text().startswith("a.jpg — deleted ")
    assert not dialog.list.item(0).icon().isNull()  # its thumbnail: which photo it was
    dialog.list.setCurrentRow(0)
    with qtbot.waitSignal(gallery.loaded, timeout=10_000):
        qtbot.mouseClick(dialog.restore_button, Qt.MouseButton.LeftButton)
    assert [p.filename for p in gallery.model.photos()] == ["a.jpg", "b.jpg"]
    qtbot.waitUntil(lambda: dialog.list.item(0).text() == "No deleted photos here.", timeout=5000)
    qtbot.waitUntil(lambda: not dialog.jobs.busy, timeout=5000)


def test_visit_filter_imports_to_the_visit(
    qtbot: QtBot, gallery: PhotoGallery, workspace: Workspace, case_id: str, tmp_path: Path
) -> None:
    visits = VisitService(workspace)
    visit = visits.plan_visit(case_id)
    PhotoService(workspace).import_photos(PhotoOwner(case_id), [_small(tmp_path, "c.jpg", "red")])
    with qtbot.waitSignal(gallery.loaded, timeout=10_000):
        gallery.show_case(case_id, visits.visits_of_case(case_id))
    assert gallery.filter.count() == 2 and gallery.model.rowCount() == 1
    with qtbot.waitSignal(gallery.loaded, timeout=10_000):
        gallery.filter.setCurrentIndex(1)
    assert gallery.owner == PhotoOwner(case_id, visit.id) and gallery.model.rowCount() == 0
    _import(qtbot, gallery, [_small(tmp_path, "v.jpg", "blue")])
    assert [p.visit_id for p in gallery.model.photos()] == [visit.id]
    with qtbot.waitSignal(gallery.loaded, timeout=10_000):
        gallery.filter.setCurrentIndex(0)
    assert gallery.model.rowCount() == 2


def test_no_camera_hides_the_button_with_a_note(
    qtbot: QtBot, gallery: PhotoGallery, case_id: str
) -> None:
    from fieldsupport.ui.photo_camera import camera_status

    available, _note = camera_status()
    if available:
        pytest.skip("this machine has a camera")
    gallery.show()
    qtbot.waitUntil(lambda: gallery.camera_note.isVisible(), timeout=5000)
    assert not gallery.camera_button.isVisible()
    assert gallery.camera_note.text().startswith(("No camera found", "No camera support"))
    assert gallery.add_button.isVisible()


def test_no_camera_support_is_a_short_note_with_the_reason_in_its_tooltip(
    qtbot: QtBot, gallery: PhotoGallery, case_id: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sys

    # Qt Multimedia cannot load (here: a system library it links is missing)
    monkeypatch.setitem(sys.modules, "PySide6.QtMultimedia", None)
    gallery.show()
    _show(qtbot, gallery, case_id)
    qtbot.waitUntil(gallery.camera_note.isVisible, timeout=5000)
    assert not gallery.camera_button.isVisible()
    # what an engineer can act on; the library's message is for support, in the tooltip
    assert gallery.camera_note.text() == "No camera support on this computer."
    assert "PySide6.QtMultimedia" in gallery.camera_note.toolTip()
    gallery.resize(640, 700)
    qtbot.waitUntil(lambda: gallery.filter.width() >= 200, timeout=5000)  # not "All photo"


def test_a_camera_shows_its_button_and_a_shot_is_imported_then_removed(
    qtbot: QtBot,
    gallery: PhotoGallery,
    case_id: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """What can run without a camera: the button follows what Qt Multimedia reports, and a
    picture the camera dialog saved (its ``captured`` signal) is imported like a file, named
    by its time, and its temporary folder removed. The live capture needs hardware."""
    from datetime import datetime

    from fieldsupport.ui import photo_camera

    monkeypatch.setattr(photo_camera, "camera_status", lambda: (True, ""))
    gallery.show()
    _show(qtbot, gallery, case_id)
    qtbot.waitUntil(gallery.camera_button.isVisible, timeout=5000)
    assert not gallery.camera_note.isVisibleTo(gallery)
    gallery.set_read_only(True)
    assert not gallery.camera_button.isVisibleTo(gallery)
    gallery.set_read_only(False)
    assert gallery.camera_button.isVisibleTo(gallery)

    folder = tmp_path / "fieldsupport-camera-x"
    folder.mkdir()
    shot = photo_camera.shot_file(folder, datetime(2026, 3, 2, 14, 30, 5))
    assert shot.name == "camera-20260302-143005.jpg"  # not "camera.jpg" for every shot
    Image.new("RGB", (640, 480), "teal").save(shot, quality=85)
    with qtbot.waitSignal(gallery.loaded, timeout=20_000):
        gallery.import_camera_shot(shot)
    _settle(qtbot, gallery)
    assert [p.filename for p in gallery.model.photos()] == ["camera-20260302-143005.jpg"]
    assert not folder.exists()


def test_a_camera_plugged_in_or_removed_later_shows_or_hides_the_button(
    qtbot: QtBot, gallery: PhotoGallery, case_id: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Qt Multimedia does not load on every machine (here: no libpulse), and a camera cannot
    be plugged in by a test: a stand-in for its module reports the devices and emits
    ``videoInputsChanged`` as Qt's does, through the gallery's real connection to it."""
    import sys
    import types

    from PySide6.QtCore import QObject, Signal

    class MediaDevices(QObject):
        videoInputsChanged = Signal()
        cameras: ClassVar[list[str]] = []
        made: ClassVar[list[MediaDevices]] = []

        def __init__(self, parent: QObject | None = None) -> None:
            super().__init__(parent)
            MediaDevices.made.append(self)

        @staticmethod
        def videoInputs() -> list[str]:
            return list(MediaDevices.cameras)

    module = types.ModuleType("PySide6.QtMultimedia")
    module.QMediaDevices = MediaDevices  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "PySide6.QtMultimedia", module)

    gallery.show()
    _show(qtbot, gallery, case_id)
    qtbot.waitUntil(gallery.camera_note.isVisible, timeout=5000)
    assert gallery.camera_note.text() == "No camera found; add photos from files instead."
    assert not gallery.camera_button.isVisible()
    (devices,) = MediaDevices.made  # one watcher, owned by the gallery
    assert devices.parent() is gallery

    MediaDevices.cameras = ["USB camera"]  # plugged in
    devices.videoInputsChanged.emit()
    assert gallery.camera_button.isVisible() and not gallery.camera_note.isVisible()

    gallery.set_read_only(True)  # a closed case: no camera, whatever is plugged in
    devices.videoInputsChanged.emit()
    assert not gallery.camera_button.isVisible()
    gallery.set_read_only(False)
    assert gallery.camera_button.isVisible()

    MediaDevices.cameras = []  # removed
    devices.videoInputsChanged.emit()
    assert not gallery.camera_button.isVisible() and gallery.camera_note.isVisible()
    gallery.hide()
    gallery.show()  # shown again: still one watcher
    assert len(MediaDevices.made) == 1


def test_no_camera_support_watches_nothing(qtbot: QtBot, monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    from PySide6.QtCore import QObject

    from fieldsupport.ui.photo_camera import watch_cameras

    monkeypatch.setitem(sys.modules, "PySide6.QtMultimedia", None)
    owner = QObject()
    assert watch_cameras(owner, lambda: None) is None
    assert owner.children() == []


def test_a_folder_without_photos_says_so(
    qtbot: QtBot, gallery: PhotoGallery, case_id: str, tmp_path: Path
) -> None:
    _show(qtbot, gallery, case_id)
    folder = tmp_path / "DCIM"
    folder.mkdir()
    (folder / "MOV_0001.mov").write_bytes(b"a video, not a photo")
    _import(qtbot, gallery, [folder])
    assert gallery.model.rowCount() == 0
    assert gallery.message.text() == (
        "No photos found there (JPEG, PNG and HEIC files are imported). "
        "1 other file(s) skipped, not photos."
    )
    dialog = gallery.summary_dialog
    assert [dialog.files.item(i).text() for i in range(dialog.files.count())] == [
        "MOV_0001.mov — skipped: a video, not a photo"
    ]
    dialog.close()
    empty = tmp_path / "empty"
    empty.mkdir()
    _import(qtbot, gallery, [empty])
    assert gallery.message.text() == (
        "No photos found there (JPEG, PNG and HEIC files are imported)."
    )


def test_a_folder_import_lists_the_files_that_are_not_photos(
    qtbot: QtBot, gallery: PhotoGallery, case_id: str, tmp_path: Path
) -> None:
    _show(qtbot, gallery, case_id)
    folder = tmp_path / "DCIM"
    folder.mkdir()
    _small(folder, "IMG_0001.jpg", "navy")
    (folder / "IMG_0001.NEF").write_bytes(b"MM raw")
    (folder / "notes.pdf").write_bytes(b"%PDF-1.4")
    _import(qtbot, gallery, [folder])
    assert gallery.model.rowCount() == 1
    assert gallery.message.text() == "1 imported, 2 skipped (not photos)."
    dialog = gallery.summary_dialog
    assert dialog.headline.text() == gallery.message.text()
    assert [dialog.files.item(i).text() for i in range(dialog.files.count())] == [
        "IMG_0001.NEF — skipped: a camera RAW file (its JPEG is imported)",
        "notes.pdf — skipped: not a photo (JPEG, PNG and HEIC files are imported)",
        "IMG_0001.jpg — imported",
    ]


def test_thumbnail_cache_is_bounded(qtbot: QtBot, gallery: PhotoGallery, tmp_path: Path) -> None:
    import fieldsupport.ui.photo_model as photo_model

    loader = ThumbnailLoader(gallery.jobs, gallery)
    paths = [_small(tmp_path, f"t{i}.jpg", "grey", (64, 48)) for i in range(5)]
    original = photo_model.CACHE_SIZE
    photo_model.CACHE_SIZE = 3
    try:
        for i, path in enumerate(paths):
            assert loader.pixmap(f"{i:064x}", path) is None
        qtbot.waitUntil(lambda: not loader.busy, timeout=10_000)
        cached = [loader.pixmap(f"{i:064x}", p) is not None for i, p in enumerate(paths)]
        qtbot.waitUntil(lambda: not loader.busy, timeout=10_000)
    finally:
        photo_model.CACHE_SIZE = original
    assert cached.count(True) == 3  # only the most recent three are kept


def test_the_case_file_photos_tab_is_the_gallery(
    qtbot: QtBot, workspace: Workspace, case_id: str, tmp_path: Path
) -> None:
    from fieldsupport.ui.main_window import MainWindow

    PhotoService(workspace).import_photos(
        PhotoOwner(case_id), [_small(tmp_path, "site.jpg", "olive")]
    )
    window = MainWindow(workspace)
    qtbot.addWidget(window)
    window.ask_close = lambda _unsaved: True  # type: ignore[method-assign]
    with qtbot.waitSignal(window.cases.cases_loaded, timeout=10_000):
        window.show()
    case_file = window.case_file
    with qtbot.waitSignal(case_file.photos_tab.loaded, timeout=10_000):
        window.open_case(case_id)
    tabs = case_file.tabs
    assert tabs.widget(tabs.indexOf(case_file.photos_tab)) is case_file.photos_tab
    assert [p.filename for p in case_file.photos_tab.model.photos()] == ["site.jpg"]
    qtbot.waitUntil(lambda: not case_file.jobs.busy, timeout=10_000)
    qtbot.waitUntil(lambda: not case_file.photos_tab.jobs.busy, timeout=10_000)


def test_read_only_gallery_does_not_invite_adding(
    qtbot: QtBot, gallery: PhotoGallery, case_id: str
) -> None:
    gallery.set_read_only(True)
    _show(qtbot, gallery, case_id)
    assert gallery.view.empty_text == "No photos."  # not "add them, drop files here ..."
    assert not gallery.view.viewport().acceptDrops()
    gallery.set_read_only(False)
    assert "drop files here" in gallery.view.empty_text
    assert gallery.view.viewport().acceptDrops()
