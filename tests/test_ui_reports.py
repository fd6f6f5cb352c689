"""The Reports tab offscreen: create a preview in a worker, look at it in the Qt PDF view,
finalize it with a drawn signature and a score, save a copy."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from pypdf import PdfReader
from pytestqt.qtbot import QtBot
from report_builders import ARRIVAL, ReportVisit, report_visit, sign
from sqlalchemy import select

from fieldsupport.models import ReportDecision, Signature
from fieldsupport.models.enums import ReportDecisionKind, ReportStatus, VisitStatus
from fieldsupport.services.reports import ReportService
from fieldsupport.services.visits import VisitService
from fieldsupport.ui.main_window import MainWindow
from fieldsupport.ui.report_finalize import FinalizeDialog
from fieldsupport.ui.report_tab import ReportsTab
from fieldsupport.workspace import Workspace


@pytest.fixture
def visit(workspace: Workspace) -> ReportVisit:
    rv = report_visit(workspace)
    workspace.set_setting("current_user_id", rv.refs["engineer"])
    return rv


@pytest.fixture
def tab(qtbot: QtBot, workspace: Workspace, visit: ReportVisit) -> Iterator[ReportsTab]:
    win = MainWindow(workspace)
    qtbot.addWidget(win)
    win.ask_close = lambda _unsaved: True  # type: ignore[method-assign]
    with qtbot.waitSignal(win.cases.cases_loaded, timeout=10_000):
        win.show()
    with qtbot.waitSignal(win.case_file.case_loaded, timeout=10_000):
        win.open_case(visit.case_id)
    reports = win.case_file.reports_tab
    win.case_file.tabs.setCurrentWidget(reports)
    qtbot.waitUntil(lambda: not reports.jobs.busy, timeout=10_000)
    yield reports
    qtbot.waitUntil(lambda: not reports.jobs.busy and not win.case_file.jobs.busy, timeout=10_000)
    if reports._preview is not None:
        reports._preview.reject()


def _create(qtbot: QtBot, tab: ReportsTab) -> None:
    with qtbot.waitSignal(tab.changed, timeout=20_000):
        tab.create_button.click()
    qtbot.waitUntil(
        lambda: tab.table.rowCount() == 1 and tab.selected() is not None, timeout=10_000
    )


def test_cancelled_creation_gives_the_button_back(
    qtbot: QtBot, tab: ReportsTab, workspace: Workspace, visit: ReportVisit
) -> None:
    tab.create_button.click()
    assert not tab.create_button.isEnabled()
    (operation,) = tab.jobs._running
    operation.cancel()
    qtbot.waitUntil(lambda: not tab.jobs.busy, timeout=20_000)
    assert tab.create_button.isEnabled()
    assert ReportService(workspace).reports_of_visit(visit.visit_id) == []


def test_create_preview_and_finalize(
    qtbot: QtBot, tab: ReportsTab, workspace: Workspace, visit: ReportVisit, tmp_path: Path
) -> None:
    assert tab.visit_choice.count() == 1 and tab.create_button.isEnabled()
    assert tab.table.rowCount() == 0 and not tab.finalize_button.isEnabled()
    _create(qtbot, tab)
    assert "Preview ready" in tab.message.text()
    preview = tab._preview
    assert preview is not None and preview.isVisible()
    assert preview.document.pageCount() == len(PdfReader(tab.selected().pdf_path).pages)  # type: ignore[union-attr]
    assert preview.finalize_button.isVisible()
    assert tab.table.item(0, 2).text() == "draft" and tab.finalize_button.isEnabled()

    preview.finalize_button.click()  # closes the preview, opens the sign-off
    dialog = tab.findChild(FinalizeDialog)
    assert dialog is not None and dialog.isVisible()
    dialog.name.setText("Jan Nowak")
    dialog.finalize_button.click()
    assert "Ask the customer to sign" in dialog.message.text() and dialog.isVisible()
    dialog.declines.setChecked(True)
    assert not dialog.pad.isEnabled()
    dialog.finalize_button.click()
    assert "reason the customer gave" in dialog.message.text()
    dialog.declines.setChecked(False)
    dialog.pad.set_strokes([[(0.1, 0.6, 0.5), (0.5, 0.2, 0.5), (0.9, 0.7, 0.5)]])
    dialog.role.setText("Shift lead")
    dialog.scores.button(4).setChecked(True)
    dialog.comment.setText("Bardzo dobrze")
    with qtbot.waitSignal(tab.changed, timeout=20_000):
        dialog.finalize_button.click()
    qtbot.waitUntil(lambda: tab.table.item(0, 2).text() == "signed", timeout=10_000)
    assert "finalized and can no longer change" in tab.message.text()
    assert tab.table.item(0, 5).text() == "Jan Nowak"
    assert not tab.finalize_button.isEnabled()

    report = ReportService(workspace).reports_of_visit(visit.visit_id)[-1]
    assert report.status is ReportStatus.SIGNED
    text = " ".join(PdfReader(report.pdf_path).pages[-1].extract_text().split())  # type: ignore[arg-type]
    assert "Jan Nowak, Shift lead" in text and "4 / 5" in text and "Bardzo dobrze" in text

    target = tmp_path / "handover" / "report.pdf"
    tab.save_to(tab.selected(), target)  # type: ignore[arg-type]
    qtbot.waitUntil(lambda: "Saved" in tab.message.text(), timeout=10_000)
    assert target.read_bytes() == report.pdf_path.read_bytes()  # type: ignore[union-attr]
    assert (tmp_path / "handover" / "report.json").is_file()


def test_a_refused_finalize_keeps_no_signature(
    qtbot: QtBot, tab: ReportsTab, workspace: Workspace, visit: ReportVisit
) -> None:
    _create(qtbot, tab)
    tab._preview.reject()  # type: ignore[union-attr]
    VisitService(workspace).add_part(visit.visit_id, "O-RING-12", "O-ring 12 mm", 2)
    tab.finalize_button.click()
    dialog = tab.findChild(FinalizeDialog)
    assert dialog is not None
    dialog.name.setText("Jan Nowak")
    dialog.pad.set_strokes([[(0.1, 0.6, 0.5), (0.5, 0.2, 0.5), (0.9, 0.7, 0.5)]])
    dialog.finalize_button.click()
    qtbot.waitUntil(lambda: "changed after this preview" in tab.message.text(), timeout=20_000)
    qtbot.waitUntil(lambda: not tab.jobs.busy, timeout=10_000)
    with workspace.transaction() as s:
        live = s.scalars(select(Signature).where(Signature.deleted_at.is_(None))).all()
    assert live == []  # the customer's signature signs nothing, so it is not kept
    assert ReportService(workspace).reports_of_visit(visit.visit_id)[-1].status is (
        ReportStatus.DRAFT
    )


def _returned(workspace: Workspace, visit: ReportVisit, reason: str) -> str:
    """The visit is left, reported and signed; the back office's return has been pulled."""
    visits = VisitService(workspace)
    notes = visits.get_visit(visit.visit_id)
    visits.depart(
        visit.visit_id,
        ARRIVAL + timedelta(hours=3),
        work_performed=notes.work_performed,
        findings=notes.findings,
    )
    reports = ReportService(workspace)
    draft = reports.generate_draft(visit.visit_id)
    signed = reports.finalize(draft.id, signature_id=sign(workspace, visit.visit_id))
    with workspace.transaction() as s:  # as a pull writes it (made on the server)
        s.add(
            ReportDecision(
                report_id=signed.id,
                decision=ReportDecisionKind.RETURNED,
                reason=reason,
                decided_by="bo",
                decided_at=ARRIVAL + timedelta(days=1),
                decision_seq=1,
            )
        )
    return signed.id


def test_a_returned_visit_is_corrected_in_the_visits_tab(
    qtbot: QtBot, workspace: Workspace, visit: ReportVisit
) -> None:
    reason = "The customer's PO number is missing; add it to the findings."
    _returned(workspace, visit, reason)
    win = MainWindow(workspace)
    qtbot.addWidget(win)
    win.ask_close = lambda _unsaved: True  # type: ignore[method-assign]
    with qtbot.waitSignal(win.cases.cases_loaded, timeout=10_000):
        win.show()
    with qtbot.waitSignal(win.case_file.case_loaded, timeout=10_000):
        win.open_case(visit.case_id)
    panel = win.case_file.visit_panel
    win.case_file.tabs.setCurrentWidget(panel)
    panel.resize(900, 1000)

    # finished and returned: read-only, with the reason and the way to correct it
    assert panel.correct_button.isVisibleTo(panel) and panel.findings.isReadOnly()
    assert not panel.p_add.isEnabled() and not panel.p_remove.isEnabled()
    assert reason in panel.returned_message.text()
    assert "Correct the visit" in panel.returned_message.text()
    assert panel.notes_message.text() == ""

    panel.correct_button.click()
    assert panel.notes_message.text() == ""
    assert not panel.correct_button.isVisibleTo(panel) and not panel.findings.isReadOnly()
    assert "being corrected" in panel.state_label.text()
    assert "revision 2" in panel.returned_message.text()
    panel.findings.setPlainText("Packing worn out. Customer PO 4711-22.")
    assert panel.save_notes()
    panel.p_number.setText("SG-5")
    panel.p_description.setText("Silicone grease 5 g")
    panel.add_part()
    panel.parts.selectRow(0)  # the gland packing set, recorded by mistake
    panel.remove_part()
    assert panel.p_message.text() == ""

    detail = VisitService(workspace).visit_detail(visit.visit_id)
    assert detail.visit.findings == "Packing worn out. Customer PO 4711-22."
    assert [p.part_number for p in detail.parts] == ["SG-5"]
    assert detail.visit.status is VisitStatus.COMPLETED and detail.visit.correcting
    qtbot.waitUntil(lambda: not win.case_file.jobs.busy, timeout=10_000)
