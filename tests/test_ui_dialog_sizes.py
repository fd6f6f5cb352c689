"""Dialogs fit the screen they open on (#4 audit): the application record, the solution
editor, the photo annotation and the report preview asked for up to 1000 px of height,
which put their buttons below the bottom edge of a 1366 x 768 laptop. ``fit_to_screen``
sizes them to what they ask for, at most the screen's free area less a window frame."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from builders import make_refs, open_case
from PIL import Image
from PySide6.QtCore import QRect, QSize
from PySide6.QtWidgets import QDialog, QWidget
from pytestqt.qtbot import QtBot

from fieldsupport.services.applications import ApplicationService
from fieldsupport.services.cases import CaseService
from fieldsupport.services.photos import PhotoOwner, PhotoService
from fieldsupport.services.solutions import ParameterSpec, SolutionDraft, SolutionService, StepSpec
from fieldsupport.services.visits import VisitService
from fieldsupport.ui.application_dialog import ApplicationDialog
from fieldsupport.ui.photo_annotation import AnnotationEditor
from fieldsupport.ui.photo_viewer import PhotoViewer
from fieldsupport.ui.report_preview import ReportPreviewDialog
from fieldsupport.ui.solution_editor import SolutionEditor
from fieldsupport.ui.widgets import FRAME_ALLOWANCE, fit_to_screen
from fieldsupport.workspace import Workspace

LAPTOP = QRect(0, 0, 1366, 728)  # 1366 x 768 less a 40 px task bar


class FakeScreen:
    def __init__(self, free: QRect) -> None:
        self.free = free

    def availableGeometry(self) -> QRect:
        return self.free


def _fits(widget: QWidget, free: QRect) -> bool:
    size = widget.size() + FRAME_ALLOWANCE
    return size.width() <= free.width() and size.height() <= free.height()


def test_fit_to_screen_keeps_a_size_that_fits_and_shrinks_one_that_does_not(
    qtbot: QtBot,
) -> None:
    dialog = QDialog()
    qtbot.addWidget(dialog)
    free = dialog.screen().availableGeometry()
    fit_to_screen(dialog, 400, 300)
    assert dialog.size() == QSize(400, 300)
    fit_to_screen(dialog, free.width() + 500, free.height() + 500)
    assert _fits(dialog, free)
    assert dialog.size() == free.size() - FRAME_ALLOWANCE  # as large as it may be
    dialog.show()
    qtbot.waitExposed(dialog)
    assert _fits(dialog, dialog.screen().availableGeometry())


@pytest.fixture
def dialogs(workspace: Workspace, tmp_path: Path) -> dict[str, Callable[[], QDialog]]:
    refs = make_refs(workspace)
    solutions = SolutionService(workspace)
    draft = solutions.create(
        SolutionDraft(
            title="Dosing SP-CAL-7",
            steps=[StepSpec(f"Step {n}", "Do it") for n in range(1, 6)],
            parameters=[ParameterSpec(f"P{n}", "ml/min", 12, 10, 14) for n in range(1, 5)],
        )
    )
    solutions.move(draft.id, "in_review")
    solutions.move(draft.id, "released")
    case_id = open_case(CaseService(workspace), refs)
    visits = VisitService(workspace)
    visit = visits.plan_visit(case_id)
    visits.arrive(visit.id)
    applications = ApplicationService(workspace)
    record = applications.start(visit.id, draft.id)
    picture = tmp_path / "pump.jpg"
    Image.new("RGB", (640, 480), "teal").save(picture, quality=85)
    photos = PhotoService(workspace)
    photos.import_photos(PhotoOwner(case_id), [picture])
    (photo,) = photos.photos_of_case(case_id)
    return {
        "application record": lambda: ApplicationDialog(applications, record),
        "solution editor": lambda: SolutionEditor(solutions, [], solutions.get(draft.id)),
        "new solution": lambda: SolutionEditor(solutions, []),
        "photo annotation": lambda: AnnotationEditor(photos, photo),
        "photo viewer": lambda: PhotoViewer(photos, [photo]),
        "report preview": lambda: ReportPreviewDialog(
            "Report", tmp_path / "none.pdf", can_finalize=True
        ),
    }


KINDS = {
    "application record": ApplicationDialog,
    "solution editor": SolutionEditor,
    "new solution": SolutionEditor,
    "photo annotation": AnnotationEditor,
    "photo viewer": PhotoViewer,
    "report preview": ReportPreviewDialog,
}


@pytest.mark.parametrize("name", list(KINDS))
def test_dialogs_fit_the_screen_they_open_on(
    qtbot: QtBot,
    dialogs: dict[str, Callable[[], QDialog]],
    name: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # the offscreen screen (smaller than the dialogs asked for)
    dialog = dialogs[name]()
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    assert _fits(dialog, dialog.screen().availableGeometry()), dialog.size()
    _settle(qtbot, dialog)
    dialog.close()

    # a 1366 x 768 laptop: the dialog fits, and so does the least it can be made
    monkeypatch.setattr(KINDS[name], "screen", lambda _self: FakeScreen(LAPTOP))
    on_laptop = dialogs[name]()
    qtbot.addWidget(on_laptop)
    assert _fits(on_laptop, LAPTOP), on_laptop.size()
    # asked for 900-1000 x 780-1000: as wide as asked, as tall as the laptop allows
    assert on_laptop.width() in (900, 1000)
    assert on_laptop.height() == LAPTOP.height() - FRAME_ALLOWANCE.height()
    least = on_laptop.minimumSizeHint() + FRAME_ALLOWANCE
    assert least.height() <= LAPTOP.height() and least.width() <= LAPTOP.width(), least
    _settle(qtbot, on_laptop)


def _settle(qtbot: QtBot, dialog: QDialog) -> None:
    for name in ("jobs", "photos"):
        part = getattr(dialog, name, None)
        jobs = getattr(part, "jobs", part)
        if jobs is not None and hasattr(jobs, "busy"):
            qtbot.waitUntil(lambda jobs=jobs: not jobs.busy, timeout=10_000)
