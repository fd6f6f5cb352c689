"""A custom solution's attached files in the solution editor (#4), offscreen: the advisor
adds, removes and opens them on a draft; the engineer reads the released version from the
case's Solutions tab and opens them offline; a copy is opened, never the blob store."""

from __future__ import annotations

from pathlib import Path

import pytest
from builders import make_refs, open_case
from PySide6.QtCore import QUrl
from pytestqt.qtbot import QtBot

from fieldsupport.services.applications import ApplicationService
from fieldsupport.services.cases import CaseService
from fieldsupport.services.catalog import CatalogService
from fieldsupport.services.solution_files import SolutionFileService
from fieldsupport.services.solutions import SolutionService
from fieldsupport.ui.solution_editor import SolutionEditor
from fieldsupport.ui.solutions_tab import SolutionsTab
from fieldsupport.workspace import Workspace

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n"


@pytest.fixture
def refs(workspace: Workspace) -> dict[str, str]:
    refs = make_refs(workspace)
    workspace.set_setting("current_user_id", refs["engineer"])
    return refs


def _blob_files(workspace: Workspace) -> dict[Path, int]:
    return {p: p.stat().st_mtime_ns for p in workspace.blobs_dir.rglob("*") if p.is_file()}


def _idle(qtbot: QtBot, editor: SolutionEditor) -> None:
    qtbot.waitUntil(lambda: not editor.jobs.busy, timeout=20_000)


class Opened:
    """Stands in for the system's viewer: records what it was asked to open."""

    def __init__(self, answer: bool = True) -> None:
        self.urls: list[QUrl] = []
        self.answer = answer

    def __call__(self, url: QUrl) -> bool:
        self.urls.append(url)
        return self.answer


def test_the_advisor_attaches_removes_and_opens_files(
    qtbot: QtBot, workspace: Workspace, refs: dict[str, str], tmp_path: Path
) -> None:
    service = SolutionService(workspace, user_id=refs["engineer"])
    editor = SolutionEditor(service, [])
    qtbot.addWidget(editor)
    editor.open_folder = tmp_path / "open"
    editor.open_url = opened = Opened()  # type: ignore[assignment]
    editor.show()
    assert editor.files.count() == 0 and not editor.open_file_button.isEnabled()

    # a file belongs to a saved version: without a title nothing is saved, nothing asked
    editor.choose_file()
    assert "title" in editor.message.text().lower() and not hasattr(editor, "file_dialog")
    editor.title.setText("Dosing SP-CAL-7")
    editor.choose_file()
    assert editor.solution is not None and "Saved as a draft" in editor.message.text()

    sheet = tmp_path / "SDS SP-CAL-7.pdf"
    sheet.write_bytes(PDF)
    editor.file_dialog.fileSelected.emit(str(sheet))
    _idle(qtbot, editor)
    assert "SDS SP-CAL-7.pdf is attached" in editor.message.text()
    assert [editor.files.item(r).text() for r in range(editor.files.count())] == [
        "SDS SP-CAL-7.pdf — 65 bytes"
    ]
    empty = tmp_path / "empty.xlsx"
    empty.write_bytes(b"")
    editor.add_file(empty)
    _idle(qtbot, editor)
    assert "empty.xlsx is empty" in editor.message.text() and editor.files.count() == 1
    drawing = tmp_path / "drawing.dxf"
    drawing.write_bytes(b"0\nSECTION\n2\nENTITIES\n")
    editor.add_file(drawing)
    _idle(qtbot, editor)
    assert editor.files.count() == 2 and editor.add_file_button.isEnabled()

    editor.files.setCurrentRow(1)
    editor.remove_selected_file()
    assert "drawing.dxf was removed" in editor.message.text()
    (kept,) = SolutionFileService(workspace).files(editor.solution.id)
    assert kept.filename == "SDS SP-CAL-7.pdf"

    before = _blob_files(workspace)
    editor.files.setCurrentRow(0)
    editor.open_selected_file()
    _idle(qtbot, editor)
    (url,) = opened.urls
    path = Path(url.toLocalFile())
    assert path.name == "SDS SP-CAL-7.pdf" and path.read_bytes() == PDF
    assert tmp_path / "open" in path.parents and workspace.blobs_dir not in path.parents
    assert _blob_files(workspace) == before

    opened.answer = False  # nothing on this computer opens it: where the copy is
    editor.open_selected_file()
    _idle(qtbot, editor)
    assert "No program on this computer opens SDS SP-CAL-7.pdf" in editor.message.text()
    editor.close()


def test_the_engineer_opens_a_released_versions_files_from_the_solutions_tab(
    qtbot: QtBot, workspace: Workspace, refs: dict[str, str], tmp_path: Path
) -> None:
    solutions = SolutionService(workspace, user_id=refs["engineer"])
    from fieldsupport.services.solutions import SolutionDraft, StepSpec

    draft = solutions.create(
        SolutionDraft(
            title="Dosing SP-CAL-7",
            target_process="Bottle washer",
            safety_notes="Goggles and gloves; caustic.",
            steps=[StepSpec("Flush the line"), StepSpec("Set the rate", "Pump menu 3")],
        )
    )
    sheet = tmp_path / "SDS.pdf"
    sheet.write_bytes(PDF)
    SolutionFileService(workspace).attach(draft.id, sheet)
    solutions.move(draft.id, "in_review")
    solutions.move(draft.id, "released")
    case_id = open_case(CaseService(workspace), refs)
    solutions.assign_to_case(case_id, draft.id)

    tab = SolutionsTab(solutions, ApplicationService(workspace), CatalogService(workspace))
    qtbot.addWidget(tab)
    tab.show_case(case_id, None, ())
    viewer = tab.view_selected()
    assert viewer is not None and viewer.read_only
    viewer.open_folder = tmp_path / "open"
    viewer.open_url = opened = Opened()  # type: ignore[assignment]
    assert viewer.files.count() == 1 and viewer.files.item(0).text().startswith("SDS.pdf")
    assert not viewer.add_file_button.isEnabled() and viewer.remove_file_button.isHidden()
    assert viewer.open_file_button.isEnabled()
    viewer.choose_file()  # refused quietly: a released version never changes
    assert not hasattr(viewer, "file_dialog")
    before = _blob_files(workspace)
    viewer.open_selected_file()
    _idle(qtbot, viewer)
    (url,) = opened.urls
    assert Path(url.toLocalFile()).read_bytes() == PDF
    assert _blob_files(workspace) == before
    viewer.close()
