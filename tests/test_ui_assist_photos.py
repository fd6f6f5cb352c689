"""Photos inside the assist editors, offscreen, with the real EXIF-orientation JPEGs:
before/after photos of an application record, evidence photos of a claim, the photo of a
recall action, an optional photo per solution step (advisor) shown to the engineer, the
advisor's read-only review, and the privacy setting that decides what outgoing copies carry."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from builders import make_refs, open_case
from PIL import Image
from PySide6.QtCore import Qt
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import QTableWidgetItem
from pytestqt.qtbot import QtBot

from fieldsupport.media.images import GPS_IFD
from fieldsupport.models import Asset
from fieldsupport.models.enums import BeforeAfter
from fieldsupport.services.applications import ApplicationService
from fieldsupport.services.cases import CaseService
from fieldsupport.services.catalog import CatalogService
from fieldsupport.services.photos import Outcome, PhotoOwner, PhotoService
from fieldsupport.services.recalls import CampaignSpec, RecallService, ScopeSpec
from fieldsupport.services.solutions import ParameterSpec, SolutionDraft, SolutionService, StepSpec
from fieldsupport.services.visits import VisitService
from fieldsupport.ui.application_dialog import ApplicationDialog
from fieldsupport.ui.main_window import NAV_RECALLS, NAV_SOLUTIONS, MainWindow
from fieldsupport.ui.photo_gallery import PhotoGallery
from fieldsupport.ui.solution_editor import SolutionEditor
from fieldsupport.workspace import Workspace

ORIENTATION = Path(__file__).parent / "data" / "photos" / "orientation"
LANDSCAPE, PORTRAIT = ORIENTATION / "Landscape_6.jpg", ORIENTATION / "Portrait_5.jpg"


@pytest.fixture
def refs(workspace: Workspace) -> dict[str, str]:
    refs = make_refs(workspace)
    workspace.set_setting("current_user_id", refs["engineer"])
    return refs


@pytest.fixture
def window(qtbot: QtBot, workspace: Workspace, refs: dict[str, str]) -> Iterator[MainWindow]:
    win = MainWindow(workspace)
    qtbot.addWidget(win)
    win.ask_close = lambda _unsaved: True  # type: ignore[method-assign]
    with qtbot.waitSignal(win.cases.cases_loaded, timeout=10_000):
        win.show()
    yield win
    qtbot.waitUntil(lambda: not win.case_file.jobs.busy, timeout=10_000)


def _import(qtbot: QtBot, strip: PhotoGallery, paths: list[Path]) -> None:
    with qtbot.waitSignal(strip.loaded, timeout=20_000):
        strip.import_files(paths)
    _settle(qtbot, strip)


def _settle(qtbot: QtBot, strip: PhotoGallery) -> None:
    qtbot.waitUntil(lambda: not strip.jobs.busy and not strip.loader.busy, timeout=20_000)


def _shapes(qtbot: QtBot, strip: PhotoGallery) -> list[str]:
    """'wide' or 'tall' per thumbnail in the strip, once they have been read."""
    model = strip.model
    for row in range(model.rowCount()):
        model.data(model.index(row), Qt.ItemDataRole.DecorationRole)  # asks for it
    _settle(qtbot, strip)
    shapes = []
    for row in range(model.rowCount()):
        pixmap = model.data(model.index(row), Qt.ItemDataRole.DecorationRole)
        assert isinstance(pixmap, QPixmap)
        assert pixmap.cacheKey() != strip.loader.placeholder.cacheKey()
        assert max(pixmap.width(), pixmap.height()) <= strip.loader.edge  # strip-sized
        shapes.append("wide" if pixmap.width() > pixmap.height() else "tall")
    return shapes


def _released(workspace: Workspace, user: str, steps: list[StepSpec]) -> str:
    solutions = SolutionService(workspace, user_id=user)
    draft = solutions.create(
        SolutionDraft(
            title="Dosing SP-CAL-7",
            steps=steps,
            parameters=[ParameterSpec("Dosing rate", "ml/min", 12, 10, 14)],
        )
    )
    solutions.move(draft.id, "in_review")
    return solutions.move(draft.id, "released").id


def test_before_and_after_photos_of_an_application_record(
    qtbot: QtBot, window: MainWindow, workspace: Workspace, refs: dict[str, str]
) -> None:
    released = _released(workspace, refs["engineer"], [StepSpec("Flush line")])
    case_id = open_case(CaseService(workspace), refs)
    SolutionService(workspace).assign_to_case(case_id, released)
    visits = VisitService(workspace)
    visit = visits.plan_visit(case_id)
    visits.arrive(visit.id)
    with qtbot.waitSignal(window.case_file.case_loaded, timeout=10_000):
        window.open_case(case_id)
    dialog = window.case_file.solutions_tab.apply_selected()
    assert dialog is not None
    strip = dialog.photos
    qtbot.waitUntil(lambda: strip.owner is not None and not strip.jobs.busy, timeout=10_000)
    assert strip.compact and strip.model.rowCount() == 0
    assert strip.add_button.isEnabled()
    assert dialog.steps.isColumnHidden(2)  # no step of this version has a photo

    with qtbot.waitSignal(dialog.changed, timeout=20_000):  # the case file reloads counts
        _import(qtbot, strip, [LANDSCAPE, PORTRAIT])
    assert _shapes(qtbot, strip) == ["wide", "tall"]  # EXIF orientation applied
    strip.select_rows(0)
    with qtbot.waitSignal(strip.loaded, timeout=10_000):
        strip.before_button.click()
    strip.select_rows(1)
    with qtbot.waitSignal(strip.loaded, timeout=10_000):
        strip.after_button.click()
    strip.select_rows(0)
    strip.caption.setText("Line before flushing")
    with qtbot.waitSignal(strip.loaded, timeout=10_000):
        strip.caption_button.click()
    assert strip.model.data(strip.model.index(0)) == "Before · Line before flushing"

    service = PhotoService(workspace)
    photos = service.photos_of(PhotoOwner(application_record_id=dialog.record.id))
    assert [(p.filename, p.before_after) for p in photos] == [
        (LANDSCAPE.name, BeforeAfter.BEFORE),
        (PORTRAIT.name, BeforeAfter.AFTER),
    ]
    # the record's photos are the visit's and the case's too (gallery, report, count)
    assert [p.id for p in service.photos_of(PhotoOwner(case_id, visit.id))] == [
        p.id for p in photos
    ]
    assert CatalogService(workspace).case_records(case_id).photo_count == 2
    case_file = window.case_file
    qtbot.waitUntil(
        lambda: (
            case_file.tabs.tabText(case_file.tabs.indexOf(case_file.photos_tab)) == "Photos (2)"
        ),
        timeout=10_000,
    )
    qtbot.waitUntil(lambda: not case_file.jobs.busy, timeout=10_000)


def test_evidence_photos_of_a_claim(
    qtbot: QtBot, window: MainWindow, workspace: Workspace, refs: dict[str, str], tmp_path: Path
) -> None:
    case_id = open_case(CaseService(workspace), refs, assist_type="A2")
    view = window.case_file
    with qtbot.waitSignal(view.case_loaded, timeout=10_000):
        window.open_case(case_id)
    tab = view.claims_tab
    evidence = tab.evidence
    # no claim yet: nothing to attach photos to, and the strip says so
    assert evidence.owner is None and not evidence.add_button.isEnabled()
    assert "Open a claim" in evidence.view.empty_text
    _settle(qtbot, evidence)
    evidence.import_files([LANDSCAPE])  # e.g. a drop: ignored, nothing imported
    assert not evidence.jobs.busy

    tab.reason.setText("Pump head cracked after 3 weeks.")
    tab.items.setItem(0, 0, QTableWidgetItem("Pump head DX-100"))
    tab.items.setItem(0, 3, QTableWidgetItem("1"))
    with qtbot.waitSignal(view.case_loaded, timeout=10_000):
        tab.open_claim()
    claim = tab.selected()
    assert claim is not None and evidence.owner == PhotoOwner(claim_id=claim.id)
    assert evidence.add_button.isEnabled() and "Pump head cracked" in tab.details.text()

    broken = tmp_path / "broken.jpg"
    broken.write_bytes(LANDSCAPE.read_bytes()[:2000])  # a truncated JPEG
    _import(qtbot, evidence, [PORTRAIT, broken, LANDSCAPE])
    summary = evidence.last_summary
    assert [r.outcome for r in summary.results].count(Outcome.IMPORTED) == 2
    assert "1 refused" in evidence.message.text()  # and the others still imported
    assert _shapes(qtbot, evidence) == ["tall", "wide"]
    photos = PhotoService(workspace).photos_of(PhotoOwner(claim_id=claim.id))
    assert [p.filename for p in photos] == [PORTRAIT.name, LANDSCAPE.name]
    # evidence belongs to the claim's case as well
    assert {p.id for p in PhotoService(workspace).photos_of(PhotoOwner(case_id))} == {
        p.id for p in photos
    }
    if evidence.summary_dialog is not None:
        evidence.summary_dialog.close()
    qtbot.waitUntil(lambda: not view.jobs.busy and not evidence.jobs.busy, timeout=10_000)


def test_photo_of_a_recall_action(
    qtbot: QtBot, window: MainWindow, workspace: Workspace, refs: dict[str, str]
) -> None:
    with workspace.transaction() as s:
        s.add(Asset(product_id=refs["product"], site_id=refs["site"], serial_number="DX-0200"))
    RecallService(workspace).create_campaign(
        CampaignSpec(
            "RC-1", "Diaphragm fatigue", "quality_issue", "replace", [ScopeSpec(refs["product"])]
        )
    )
    window.navigate(NAV_RECALLS)
    page = window.recalls
    qtbot.waitUntil(lambda: page.table.rowCount() == 2 and not page.jobs.busy, timeout=10_000)
    strip = page.photo
    assert strip.owner is None and "Choose an asset" in strip.view.empty_text
    page.table.selectRow(1)
    assert strip.owner is None and not strip.add_button.isEnabled()
    assert "Record what was done for this asset first" in strip.view.empty_text
    chosen = page.assets[1].asset_id

    page.taken.setCurrentIndex(page.taken.findData("replaced"))
    page.note.setText("New diaphragm fitted.")
    with qtbot.waitSignal(page.loaded, timeout=10_000):
        page.record()
    # the same asset is chosen again, and now has an action to attach the photo to
    asset = page.selected_asset()
    assert asset is not None and asset.asset_id == chosen and asset.action_id is not None
    assert page.table.item(page.table.currentRow(), 6).text() == "New diaphragm fitted."
    assert strip.owner == PhotoOwner(recall_action_id=asset.action_id)
    assert strip.add_button.isEnabled()
    _import(qtbot, strip, [PORTRAIT])
    assert _shapes(qtbot, strip) == ["tall"]
    (photo,) = PhotoService(workspace).photos_of(PhotoOwner(recall_action_id=asset.action_id))
    assert photo.filename == PORTRAIT.name
    # another asset: its own (empty) state, not this photo
    other = 0 if page.table.currentRow() == 1 else 1
    page.table.selectRow(other)
    assert strip.owner is None and strip.model.rowCount() == 0
    qtbot.waitUntil(lambda: not page.jobs.busy and not strip.jobs.busy, timeout=10_000)


def test_step_photos_from_the_advisor_to_the_engineer(
    qtbot: QtBot, window: MainWindow, workspace: Workspace, refs: dict[str, str], tmp_path: Path
) -> None:
    window.navigate(NAV_SOLUTIONS)
    page = window.solutions
    qtbot.waitUntil(lambda: page._loaded and not page.jobs.busy, timeout=10_000)
    editor: SolutionEditor = page.open_editor(new=True)
    editor.add_step.click()
    editor.steps.item(0, 0).setText("Flush the line")
    editor.add_step.click()
    editor.steps.item(1, 0).setText("Set the rate")
    first, second = editor.step_cells()
    assert first.picture.text() == "Add photo…" and not first.remove.isVisible()

    # a photo belongs to a saved version: without a title nothing can be saved yet
    editor.choose_step_photo(first)
    assert "title" in editor.message.text().lower() and editor.solution is None
    editor.title.setText("Dosing SP-CAL-7")
    editor.choose_step_photo(first)  # saved as a draft first, then the file is chosen
    assert editor.solution is not None and editor.isVisible()
    assert "Saved as a draft" in editor.message.text()
    not_a_photo = tmp_path / "notes.jpg"
    not_a_photo.write_text("not a picture")
    editor.photo_dialog.fileSelected.emit(str(not_a_photo))
    qtbot.waitUntil(lambda: not editor.jobs.busy, timeout=20_000)
    assert "notes.jpg" in editor.message.text() and first.sha256 is None  # refused, said why
    editor.photo_dialog.fileSelected.emit(str(PORTRAIT))
    qtbot.waitUntil(lambda: first.sha256 is not None and not editor.jobs.busy, timeout=20_000)
    assert "Save to keep it" in editor.message.text()
    qtbot.waitUntil(lambda: not editor.loader.busy, timeout=10_000)
    thumbnail = first.thumbnail()
    assert thumbnail.height() > thumbnail.width()  # the portrait, upright
    with qtbot.waitSignal(page.loaded, timeout=10_000):
        editor.save()

    service = SolutionService(workspace)
    saved = service.get(editor.solution.id)
    photos = PhotoService(workspace)
    (attached,) = photos.photos_of(PhotoOwner(solution_id=saved.id))
    assert [s.photo_sha256 for s in saved.steps] == [attached.sha256, None]
    assert attached.filename == PORTRAIT.name
    assert second.sha256 is None

    # released: the photo stays, nothing can be changed
    service.move(saved.id, "in_review")
    released = service.move(saved.id, "released")
    with qtbot.waitSignal(page.loaded, timeout=10_000):
        page.reload()
    page.table.selectRow(0)
    viewer = page.open_editor()
    cell, empty = viewer.step_cells()
    assert cell.sha256 == attached.sha256 and not cell.remove.isVisible()
    assert not empty.picture.isEnabled()  # no "Add photo…" on a released version
    viewer.choose_step_photo(empty)
    assert not hasattr(viewer, "photo_dialog")
    viewer.close()

    # the engineer applying it sees the step's photo and can open it
    case_id = open_case(CaseService(workspace), refs)
    visits = VisitService(workspace)
    visit = visits.plan_visit(case_id)
    visits.arrive(visit.id)
    record = ApplicationService(workspace).start(visit.id, released.id)
    assert [s.photo_sha256 for s in record.steps] == [attached.sha256, None]
    dialog = ApplicationDialog(ApplicationService(workspace), record, window)
    qtbot.addWidget(dialog)
    assert not dialog.steps.isColumnHidden(2)
    step_cell = dialog.step_photos[record.steps[0].step_id]
    assert step_cell.sha256 == attached.sha256 and not step_cell.editable
    with qtbot.waitSignal(step_cell.view, timeout=5_000):
        step_cell.picture.click()
    viewer_dialog = dialog.viewer
    qtbot.waitUntil(lambda: not viewer_dialog.image.isNull(), timeout=10_000)
    assert viewer_dialog.image.height() > viewer_dialog.image.width()
    assert "Flush the line" in viewer_dialog.caption.text()
    viewer_dialog.close()
    qtbot.waitUntil(
        lambda: not dialog.photos.jobs.busy and not viewer_dialog.jobs.busy, timeout=10_000
    )


def test_the_advisor_reviews_a_record_with_its_photos(
    qtbot: QtBot, window: MainWindow, workspace: Workspace, refs: dict[str, str]
) -> None:
    released = _released(workspace, refs["engineer"], [StepSpec("Flush line")])
    case_id = open_case(CaseService(workspace), refs)
    visits = VisitService(workspace)
    visit = visits.plan_visit(case_id)
    visits.arrive(visit.id)
    apps = ApplicationService(workspace)
    record = apps.start(visit.id, released)
    apps.record_value(record.id, record.parameters[0].parameter_id, 15, "Line speed raised.")
    apps.record_step(record.id, record.steps[0].step_id, "done")
    apps.complete(record.id, "partially_successful")
    PhotoService(workspace).import_photos(PhotoOwner(application_record_id=record.id), [LANDSCAPE])
    window.navigate(NAV_SOLUTIONS)
    page = window.solutions
    qtbot.waitUntil(lambda: page.review_table.rowCount() == 1, timeout=10_000)
    assert page.open_record() is None and "Choose an application record" in page.message.text()
    dialog = page.open_record(0)
    assert dialog is not None
    strip = dialog.photos
    qtbot.waitUntil(lambda: strip.model.rowCount() == 1, timeout=10_000)
    assert strip.read_only
    for button in (strip.add_button, strip.delete_button, strip.before_button):
        assert not button.isVisible()
    assert strip.view_button.isVisible() and strip.caption.isReadOnly()
    count = strip.model.rowCount()
    _settle(qtbot, strip)  # thumbnails read: nothing else runs in the strip
    strip.import_files([PORTRAIT])  # a drop: ignored while reviewing
    assert not strip.jobs.busy and strip.model.rowCount() == count
    dialog.close()
    qtbot.waitUntil(lambda: not strip.jobs.busy and not page.jobs.busy, timeout=10_000)


def _gps_photo(path: Path) -> Path:
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: the position is not the only thing the file carries
    exif[GPS_IFD] = {1: "N", 2: (50.0, 40.0, 12.0), 3: "E", 4: (17.0, 55.0, 30.0)}
    Image.new("RGB", (64, 48), "teal").save(path, "JPEG", exif=exif)
    return path


def _has_gps(data: bytes) -> bool:
    with Image.open(io.BytesIO(data)) as image:
        return bool(image.getexif().get_ifd(GPS_IFD))


def test_privacy_setting_decides_what_outgoing_copies_carry(
    qtbot: QtBot, window: MainWindow, workspace: Workspace, refs: dict[str, str], tmp_path: Path
) -> None:
    case_id = open_case(CaseService(workspace), refs)
    photos = PhotoService(workspace)
    summary = photos.import_photos(PhotoOwner(case_id), [_gps_photo(tmp_path / "site.jpg")])
    sha = photos.photo(summary.results[0].attachment_id).sha256
    assert _has_gps(photos.store.original_path(sha).read_bytes())  # kept on the device
    report_copy = photos.report_copy_path(sha).read_bytes()
    assert not _has_gps(report_copy)

    def open_settings() -> object:
        window.settings_action.trigger()  # Tools → Settings…
        dialog = window.settings_dialog
        qtbot.waitUntil(lambda: dialog.strip_gps.isEnabled(), timeout=10_000)
        return dialog

    dialog = open_settings()
    assert dialog.strip_gps.isChecked()  # on by default
    assert not _has_gps(photos.outgoing_original(sha))

    dialog.strip_gps.setChecked(False)  # the company wants positions on the server
    with qtbot.waitSignal(dialog.saved, timeout=10_000):
        dialog.save_button.click()
    assert not dialog.isVisible()
    assert photos.strip_gps_outgoing() is False
    assert photos.outgoing_original(sha) == photos.store.original_path(sha).read_bytes()
    assert _has_gps(photos.outgoing_original(sha))
    assert photos.report_copy_path(sha).read_bytes() == report_copy  # copies never had it

    dialog = open_settings()
    assert not dialog.strip_gps.isChecked()  # read back from the workspace
    dialog.strip_gps.setChecked(True)
    with qtbot.waitSignal(dialog.saved, timeout=10_000):
        dialog.save_button.click()
    assert not _has_gps(photos.outgoing_original(sha))

    dialog = open_settings()
    dialog.strip_gps.setChecked(False)
    dialog.reject()  # cancelled: nothing changes
    assert photos.strip_gps_outgoing() is True
