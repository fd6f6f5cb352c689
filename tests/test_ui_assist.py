"""The assist-process editors in the case file, offscreen: applying a custom solution on a
visit (planned vs actual, flags, deviation reasons, steps, outcome) and logging training."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from builders import make_refs, open_case
from PySide6.QtCore import QDate, Qt
from PySide6.QtWidgets import QCheckBox, QLabel, QPushButton, QTableWidgetItem
from pytestqt.qtbot import QtBot

from fieldsupport.errors import ValidationError
from fieldsupport.models import Asset, Contact
from fieldsupport.models.enums import ApplicationOutcome, AssessmentResult
from fieldsupport.services.applications import ApplicationService
from fieldsupport.services.cases import CaseService
from fieldsupport.services.catalog import CatalogService
from fieldsupport.services.claims import ClaimService
from fieldsupport.services.recalls import RecallService
from fieldsupport.services.solutions import ParameterSpec, SolutionDraft, SolutionService, StepSpec
from fieldsupport.services.training import TrainingService, TrainingView
from fieldsupport.services.visits import VisitService
from fieldsupport.ui.application_dialog import ApplicationDialog
from fieldsupport.ui.case_file import CaseFileView
from fieldsupport.ui.claims_tab import ClaimsTab
from fieldsupport.ui.main_window import NAV_RECALLS, MainWindow
from fieldsupport.ui.recalls_page import CampaignDialog
from fieldsupport.ui.training_tab import TrainingTab
from fieldsupport.workspace import Workspace


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


def _safety_session(
    workspace: Workspace, refs: dict[str, str]
) -> tuple[str, TrainingService, TrainingView]:
    """A case with a training session of today, given by the engineer."""
    case_id = open_case(CaseService(workspace), refs)
    training = TrainingService(workspace, user_id=refs["engineer"])
    session = training.create_session(
        topic="Safety",
        started_at=QDate.currentDate().startOfDay().toPython().astimezone(),
        duration_minutes=60,
        case_id=case_id,
    )
    return case_id, training, session


def _open(qtbot: QtBot, win: MainWindow, case_id: str) -> CaseFileView:
    with qtbot.waitSignal(win.case_file.case_loaded, timeout=10_000):
        win.open_case(case_id)
    return win.case_file


def test_apply_a_solution_on_a_visit(
    qtbot: QtBot, window: MainWindow, workspace: Workspace, refs: dict[str, str]
) -> None:
    solutions = SolutionService(workspace)
    draft = solutions.create(
        SolutionDraft(
            title="Dosing SP-CAL-7",
            steps=[StepSpec("Flush line"), StepSpec("Set rate")],
            parameters=[ParameterSpec("Dosing rate", "ml/min", 12, 10, 14)],
        )
    )
    solutions.move(draft.id, "in_review")
    solutions.move(draft.id, "released")
    case_id = open_case(CaseService(workspace), refs)
    visits = VisitService(workspace)
    visits.arrive(visits.plan_visit(case_id).id)
    view = _open(qtbot, window, case_id)
    tab = view.solutions_tab
    assert not tab.apply_button.isEnabled()  # nothing assigned yet
    with qtbot.waitSignal(view.case_loaded, timeout=10_000):
        tab.assign_button.click()
    assert tab.assigned.count() == 1 and tab.apply_button.isEnabled()
    dialog = tab.apply_selected()
    assert dialog is not None
    assert dialog.parameters.item(0, 2).text() == "12"  # planned, from the version
    rate = dialog.record.parameters[0].parameter_id
    dialog.actual_edits[rate].setText("0.9 l/h")
    dialog.save_value(rate)
    assert "given in l/h" in dialog.message.text()
    edit = dialog.actual_edits[rate]
    edit.clear()
    qtbot.keyClicks(edit, "1")  # on the way to 12: below the range while typed
    assert "b3261e" in edit.styleSheet()
    assert dialog.reason_edits[rate].placeholderText() == "required: out of range"
    qtbot.keyClicks(edit, "2 ml/min")
    assert "b3261e" not in edit.styleSheet() and not dialog.reason_edits[rate].placeholderText()
    assert ApplicationService(workspace).get(dialog.record.id).parameters[0].actual_value is None
    dialog.actual_edits[rate].setText("15,5")
    dialog.save_value(rate)
    assert "outside its range: give a deviation reason" in dialog.message.text()
    assert "b3261e" in dialog.actual_edits[rate].styleSheet()  # flagged at once
    dialog.complete()
    assert "give a deviation reason" in dialog.message.text()
    dialog.reason_edits[rate].setText("Customer raised the line speed.")
    dialog.save_value(rate)
    first, second = (s.step_id for s in dialog.record.steps)
    dialog.step_results[first].setCurrentIndex(1)  # done
    dialog.save_step(first)
    dialog.step_results[second].setCurrentIndex(2)  # skipped, without a note
    dialog.save_step(second)
    assert "say why" in dialog.message.text()
    dialog.step_notes[second].setText("Rate already set.")
    dialog.save_step(second)
    dialog.m_phase.setCurrentIndex(dialog.m_phase.findData("before"))
    dialog.m_name.setText("Turbidity")
    dialog.m_value.setText("4,2")
    dialog.add_measurement()
    assert "Enter the unit of Turbidity" in dialog.message.text()
    dialog.m_unit.setText("NTU")
    dialog.add_measurement()
    dialog.m_phase.setCurrentIndex(dialog.m_phase.findData("after"))
    for edit, text in (
        (dialog.m_name, "Turbidity"),
        (dialog.m_value, "0.8"),
        (dialog.m_unit, "NTU"),
    ):
        edit.setText(text)
    dialog.add_measurement()
    assert [dialog.process.item(i).text() for i in range(2)] == [
        "Before: Turbidity 4.2 NTU",
        "After: Turbidity 0.8 NTU",
    ]
    dialog.outcome.setCurrentIndex(dialog.outcome.findData("successful"))
    dialog.complete()
    assert dialog.record.completed and not dialog.complete_button.isEnabled()
    dialog.close_button.click()
    assert not dialog.isVisible()
    record = ApplicationService(workspace).get(dialog.record.id)
    assert record.outcome is ApplicationOutcome.SUCCESSFUL and record.has_deviation
    qtbot.waitUntil(lambda: tab.records.count() == 1, timeout=10_000)
    assert "deviation" in tab.records.item(0).text()


def test_log_a_training_session(
    qtbot: QtBot, window: MainWindow, workspace: Workspace, refs: dict[str, str]
) -> None:
    with workspace.transaction() as s:
        s.add(Contact(customer_id=refs["customer"], name="Jan Nowak", role="Shift lead"))
    case_id = open_case(CaseService(workspace), refs)
    view = _open(qtbot, window, case_id)
    tab = view.training_tab
    assert not tab.add_button.isEnabled()  # no session yet
    tab.create_session()
    assert "Topic is required" in tab.message.text()
    tab.topic.setText("Dosing pump maintenance")
    tab.duration.setValue(90)
    tab.materials.setText("Operator manual DX-100")
    with qtbot.waitSignal(view.case_loaded, timeout=10_000):
        tab.create_session()
    assert tab.sessions.count() == 1 and tab.current is not None
    details = tab.details.text()  # who gave it, how long, with what
    assert "Trainer: Anna Kowalska" in details and "90 min" in details
    assert "Materials: Operator manual DX-100" in details
    tab.name.setText("Ewa Wiśniewska")
    tab.role.setText("Operator")
    tab.quick_add()
    tab.contacts.setCurrentIndex(tab.contacts.findText("Jan Nowak (Shift lead)"))
    tab.add_contact()
    assert tab.attendees.rowCount() == 2
    tab.name.setText("ewa wiśniewska")
    tab.quick_add()
    assert "already on the attendance list" in tab.message.text()
    tab.attendees.cellWidget(1, 3).findChild(QCheckBox).setChecked(True)  # Jan: a tick
    box = tab.attendees.cellWidget(0, 4)
    box.setCurrentIndex(box.findData("passed"))
    box.activated.emit(box.currentIndex())
    session = TrainingService(workspace).of_case(case_id)[0]
    assert session.duration_minutes == 90
    assert [(a.name, a.signed_off, a.assessment) for a in session.attendees] == [
        ("Ewa Wiśniewska", False, AssessmentResult.PASSED),
        ("Jan Nowak", True, AssessmentResult.NOT_ASSESSED),
    ]
    # Ewa signs with her own signature
    # a ticked attendee may still sign; one who signed has nothing left to do
    assert tab.attendees.cellWidget(1, 3).findChild(QPushButton) is not None
    dialog = tab.sign(session.attendees[0].id, "Ewa Wiśniewska")
    dialog.sign_button.click()
    assert "Sign in the box first" in dialog.message.text() and dialog.isVisible()
    dialog.pad.set_strokes([[(0.1, 0.5, 0.5), (0.5, 0.2, 0.5), (0.9, 0.6, 0.5)]])
    dialog.sign_button.click()
    assert not dialog.isVisible()
    ewa = TrainingService(workspace).of_case(case_id)[0].attendees[0]
    assert ewa.signed_off and ewa.signed_with_signature
    rows = TrainingService(workspace).of_case(case_id)[0].attendance_list()
    assert rows[0][3] == "signed"
    assert tab.attendees.cellWidget(0, 3).findChild(QLabel).text() == "signed"
    assert tab.attendees.cellWidget(0, 3).findChild(QPushButton) is None


def test_author_release_and_version_a_solution(
    qtbot: QtBot, window: MainWindow, workspace: Workspace, refs: dict[str, str]
) -> None:
    window.nav.setCurrentRow(3)  # Custom solutions
    page = window.solutions
    qtbot.waitUntil(lambda: page._loaded and not page.jobs.busy, timeout=10_000)
    assert page.table.rowCount() == 0
    editor = page.open_editor(new=True)
    editor.title.setText("Dosing SP-CAL-7")
    editor.product.setCurrentIndex(editor.product.findText("Dosing pump DX-100"))
    editor.add_step.click()
    editor.steps.item(0, 0).setText("Flush the line")
    editor.add_parameter.click()
    for column, text in enumerate(["Dosing rate", "ml/min", "20", "10", "14"]):
        editor.parameters.item(0, column).setText(text)
    editor.save()
    assert "target 20 ml/min is outside its own range" in editor.message.text()
    editor.parameters.item(0, 2).setText("fast")
    editor.save()
    assert "Dosing rate: target: 'fast' is not a number" in editor.message.text()
    editor.parameters.item(0, 2).setText("0.7 l/h")
    editor.save()
    assert "target is measured in ml/min, but the value was given in l/h" in editor.message.text()
    assert CatalogService(workspace).solutions() == []  # nothing saved half-way
    editor.parameters.item(0, 2).setText("12 ml/min")  # its own unit is fine
    with qtbot.waitSignal(page.loaded, timeout=10_000):
        editor.save()
    assert page.table.rowCount() == 1 and page.table.item(0, 2).text() == "draft"
    saved = SolutionService(workspace).get(page.rows[0].id).parameters[0]
    assert (saved.target, saved.min_value, saved.max_value) == (12, 10, 14)
    page.table.selectRow(0)
    assert not page.move_buttons["released"].isEnabled()  # review first
    for status in ("in_review", "released"):
        with qtbot.waitSignal(page.loaded, timeout=10_000):
            page.move_buttons[status].click()  # type: ignore[index]
        page.table.selectRow(0)
    assert page.table.item(0, 2).text() == "released"
    viewer = page.open_editor()
    assert not viewer.save_button.isEnabled() and viewer.title.isReadOnly()
    viewer.close()
    with qtbot.waitSignal(page.loaded, timeout=10_000):
        page.version_button.click()
    versions = sorted(
        (page.table.item(r, 1).text(), page.table.item(r, 2).text()) for r in range(2)
    )
    assert versions == [("1", "released"), ("2", "draft")]

    # an application record with a deviation came back from site: review it
    v1 = next(r.id for r in page.rows if r.version == 1)
    case_id = open_case(CaseService(workspace), refs)
    visits = VisitService(workspace)
    visit = visits.plan_visit(case_id)
    visits.arrive(visit.id)
    apps = ApplicationService(workspace)
    record = apps.start(visit.id, v1)
    apps.record_value(record.id, record.parameters[0].parameter_id, 15, "Line speed raised.")
    apps.record_step(record.id, record.steps[0].step_id, "done")
    apps.complete(record.id, "partially_successful")
    with qtbot.waitSignal(page.loaded, timeout=10_000):
        page.reload()
    assert page.review_table.rowCount() == 1 and page.review_table.item(0, 4).text() == "yes"
    page.mark_reviewed()
    assert "Choose an application record" in page.message.text()
    page.review_table.selectRow(0)
    page.review_comment.setText("x" * 20_001)
    page.mark_reviewed()
    assert "too long" in page.message.text()
    assert page.review_comment.text() == "x" * 20_001  # refused: what was typed stays
    page.review_comment.setText("Widen the range in version 2.")
    with qtbot.waitSignal(page.loaded, timeout=10_000):
        page.mark_reviewed()
    assert page.review_table.rowCount() == 0
    assert apps.get(record.id).review_comment == "Widen the range in version 2."


def test_claim_from_opening_to_completion(
    qtbot: QtBot, window: MainWindow, workspace: Workspace, refs: dict[str, str]
) -> None:
    inquiry = open_case(CaseService(workspace), refs, assist_type="A1")
    view = _open(qtbot, window, inquiry)
    assert not view.tabs.isTabVisible(view.tabs.indexOf(view.claims_tab))
    case_id = open_case(CaseService(workspace), refs, assist_type="A2")
    view = _open(qtbot, window, case_id)
    tab = view.claims_tab
    assert view.tabs.isTabVisible(view.tabs.indexOf(tab))
    tab.claim_type.setCurrentIndex(tab.claim_type.findData("replacement"))
    tab.reason.setText("Pump head cracked after 3 weeks.")
    tab.items.setItem(0, 0, QTableWidgetItem("Pump head DX-100"))
    tab.items.setItem(0, 1, QTableWidgetItem("DX-0001"))
    tab.items.setItem(0, 3, QTableWidgetItem("0"))
    tab.open_claim()
    assert "quantity must be more than zero" in tab.message.text()
    tab.items.setItem(0, 3, QTableWidgetItem("two"))
    tab.open_claim()
    assert "'two' is not a number" in tab.message.text()
    tab.items.setItem(0, 3, QTableWidgetItem("1"))
    with qtbot.waitSignal(view.case_loaded, timeout=10_000):
        tab.open_claim()
    assert tab.list.count() == 1 and "open" in tab.list.item(0).text()
    assert "1 × Pump head DX-100 (serial DX-0001)" in tab.details.text()
    tab.decision_reason.setText("Material defect confirmed.")
    tab.decide("approved")
    assert "needs its remedy" in tab.message.text()
    tab.remedy.setText("New pump head, shipped from stock")
    with qtbot.waitSignal(view.case_loaded, timeout=10_000):
        tab.decide("approved")
    rma = f"RMA-{workspace.device_code}-00001"
    assert rma in tab.list.item(0).text() and rma in tab.details.text()
    assert "New pump head, shipped from stock" in tab.details.text()
    assert not tab.approve_button.isEnabled()
    for expected in ("in progress", "completed"):
        with qtbot.waitSignal(view.case_loaded, timeout=10_000):
            tab.advance_button.click()
        assert expected in tab.list.item(0).text()
    assert not tab.advance_button.isEnabled()


def test_recall_campaign_page(
    qtbot: QtBot, window: MainWindow, workspace: Workspace, refs: dict[str, str]
) -> None:
    with workspace.transaction() as s:
        for serial in ("DX-0100", "DX-0200", "DX-0900"):
            s.add(Asset(product_id=refs["product"], site_id=refs["site"], serial_number=serial))
    window.navigate(NAV_RECALLS)
    page = window.recalls
    assert "No campaign" in page.progress.text()
    dialog = page.new_campaign()
    dialog.code.setText("RC-1")
    dialog.title.setText("Diaphragm fatigue")
    dialog.scopes.item(0, 1).setText("DX-0200")
    dialog.scopes.item(0, 2).setText("DX-0100")
    dialog.save()
    assert "range is reversed" in dialog.message.text()
    dialog.scopes.item(0, 1).setText("DX-0050")
    dialog.scopes.item(0, 2).setText("DX-0500")
    dialog.description.setPlainText("Diaphragms of these pumps may crack; replace <now>.")
    with qtbot.waitSignal(page.loaded, timeout=10_000):
        dialog.save()
    assert page.list.count() == 1
    serials = sorted(page.table.item(r, 3).text() for r in range(page.table.rowCount()))
    assert serials == ["DX-0100", "DX-0200"]  # DX-0001 and DX-0900 are outside the range
    assert "2 affected, 0 done, 2 open" in page.progress.text()
    assert "Affected: Dosing pump DX-100: serials DX-0050 to DX-0500" in page.progress.text()
    # the campaign's text, as typed (escaped: it is shown as rich text)
    assert "may crack; replace &lt;now&gt;." in page.progress.text()
    header = page.table.horizontalHeader()
    last = page.table.columnCount() - 1
    assert header.sectionPosition(last) + header.sectionSize(last) >= header.viewport().width()
    page.record()
    assert "Choose an asset" in page.message.text()
    page.table.selectRow(0)
    page.taken.setCurrentIndex(page.taken.findData("not_reachable"))
    page.record()
    assert "how you tried to reach" in page.message.text()
    page.taken.setCurrentIndex(page.taken.findData("replaced"))
    today = QDate.currentDate()
    assert page.performed.maximumDate() == today  # a future day cannot be picked
    page.performed.setDate(today.addDays(-2))  # done on Monday, recorded on Wednesday
    page.record()
    qtbot.waitUntil(lambda: "2 affected, 1 done, 1 open" in page.progress.text(), timeout=10_000)
    done = [
        page.table.item(r, 5).text()
        for r in range(page.table.rowCount())
        if page.table.item(r, 4).text() == "done"
    ]
    assert done == [f"replaced {today.addDays(-2).toString('yyyy-MM-dd')} 12:00"]
    qtbot.waitUntil(lambda: not page.jobs.busy, timeout=10_000)


def test_the_engineer_reads_an_assigned_solution_and_its_safety_notes(
    qtbot: QtBot, window: MainWindow, workspace: Workspace, refs: dict[str, str]
) -> None:
    solutions = SolutionService(workspace)
    draft = solutions.create(
        SolutionDraft(
            title="Dosing SP-CAL-7",
            materials="SP-CAL-7, 25 kg",
            safety_notes="Caustic: goggles & gloves.",
            steps=[StepSpec("Flush line", "Open valve V3 for 2 minutes.")],
            parameters=[ParameterSpec("Dosing rate", "ml/min", 12, 10, 14)],
        )
    )
    solutions.move(draft.id, "in_review")
    solutions.move(draft.id, "released")
    case_id = open_case(CaseService(workspace), refs)
    solutions.assign_to_case(case_id, draft.id)
    view = _open(qtbot, window, case_id)
    tab = view.solutions_tab
    # in the hotel, before the visit: the whole version, read-only
    assert tab.view_button.isEnabled() and not tab.apply_button.isEnabled()
    reader = tab.view_selected()
    assert reader is not None and reader.read_only and not reader.save_button.isEnabled()
    assert reader.safety.text() == "Caustic: goggles & gloves."
    assert reader.materials.text() == "SP-CAL-7, 25 kg"
    assert reader.steps.item(0, 1).text() == "Open valve V3 for 2 minutes."
    reader.close()
    # on site: the safety notes and materials head the record being filled in
    visits = VisitService(workspace)
    visits.arrive(visits.plan_visit(case_id).id)
    with qtbot.waitSignal(view.case_loaded, timeout=10_000):
        view.refresh()
    dialog = tab.apply_selected()
    assert dialog is not None
    heading = dialog.heading.text()
    assert "Caustic: goggles &amp; gloves." in heading and "SP-CAL-7, 25 kg" in heading
    dialog.close()
    # the advisor's review comes back with the record
    apps = ApplicationService(workspace)
    record = dialog.record
    apps.record_value(record.id, record.parameters[0].parameter_id, 12)
    apps.record_step(record.id, record.steps[0].step_id, "done")
    apps.complete(record.id, "successful")
    apps.review(record.id, "Good; keep the rate at 12.")
    with qtbot.waitSignal(view.case_loaded, timeout=10_000):
        view.refresh()
    again = tab._show_dialog(record.id)
    assert "Reviewed" in again.heading.text()
    assert "Good; keep the rate at 12." in again.heading.text()
    again.close()


def test_claim_items_fit_a_laptops_case_file(
    qtbot: QtBot, workspace: Workspace, refs: dict[str, str]
) -> None:
    tab = ClaimsTab(ClaimService(workspace))
    qtbot.addWidget(tab)
    tab.show_case(open_case(CaseService(workspace), refs, assist_type="A2"))
    tab.resize(600, 560)  # the case file beside the case list on a 1366 x 768 screen
    tab.show()
    qtbot.waitExposed(tab)
    header = tab.items.horizontalHeader()
    # every column in view, none scrolled away, the item's name not squeezed to nothing
    assert tab.items.horizontalScrollBar().maximum() == 0
    assert header.sectionSize(0) >= 50
    last = tab.items.columnCount() - 1
    assert header.sectionPosition(last) + header.sectionSize(last) <= header.viewport().width()


def test_attendance_list_fits_a_laptops_case_file(
    qtbot: QtBot, workspace: Workspace, refs: dict[str, str]
) -> None:
    case_id, training, session = _safety_session(workspace, refs)
    training.add_attendee(session.id, "Jan Nowak", role="Shift lead", company="Odra S.A.")
    tab = TrainingTab(training, CatalogService(workspace))
    qtbot.addWidget(tab)
    tab.resize(600, 600)
    tab.show_case(case_id, refs["customer"])
    tab.show()
    qtbot.waitExposed(tab)
    assert tab.attendees.rowCount() == 1
    # the sign-off and the assessment are in view, not scrolled off to the right
    assert tab.attendees.horizontalScrollBar().maximum() == 0
    box = tab.attendees.cellWidget(0, 4)
    assert tab.attendees.columnWidth(4) >= box.sizeHint().width()


def test_a_scope_row_added_by_mistake_can_be_removed(
    qtbot: QtBot, workspace: Workspace, refs: dict[str, str]
) -> None:
    products = CatalogService(workspace).products()
    dialog = CampaignDialog(RecallService(workspace), products)
    qtbot.addWidget(dialog)
    dialog.code.setText("RC-9")
    dialog.title.setText("Diaphragm fatigue")
    dialog.scopes.item(0, 1).setText("DX-0001")
    dialog.add_scope.click()  # by mistake: empty, it would cover every unit of the product
    assert dialog.scopes.rowCount() == 2
    assert dialog.selected_scope_row() == 1  # the new row, shown selected
    dialog.remove_scope.click()  # the row just added goes
    assert dialog.scopes.rowCount() == 1
    assert dialog.scopes.item(0, 1).text() == "DX-0001"
    assert not dialog.remove_scope.isEnabled()  # nothing selected: nothing to take

    # the empty row is the first one; the filled row was added after it
    dialog.scopes.item(0, 1).setText("")
    dialog.add_scope.click()
    dialog.scopes.item(1, 1).setText("PH-100")
    first_product = dialog.scopes.cellWidget(0, 0)
    qtbot.mouseClick(first_product, Qt.MouseButton.LeftButton)  # the empty row's product
    assert dialog.selected_scope_row() == 0
    dialog.remove_scope.click()
    assert dialog.scopes.rowCount() == 1
    assert dialog.scopes.item(0, 1).text() == "PH-100"  # the filled row stayed
    assert dialog.scopes.cellWidget(0, 0).accessibleName() == "Product of scope 1"
    dialog.scopes.selectRow(0)
    dialog.remove_scope.click()
    assert dialog.scopes.rowCount() == 0 and not dialog.remove_scope.isEnabled()
    dialog.save()
    assert "at least one affected product" in dialog.message.text()
    assert RecallService(workspace).campaigns() == []


def test_a_mistyped_attendee_can_be_removed(
    qtbot: QtBot, workspace: Workspace, refs: dict[str, str]
) -> None:
    case_id, training, session = _safety_session(workspace, refs)
    tab = TrainingTab(training, CatalogService(workspace))
    qtbot.addWidget(tab)
    tab.show_case(case_id, refs["customer"])
    for name in ("Jan Nowka", "Jan Nowak"):
        tab.name.setText(name)
        tab.quick_add()
    assert tab.attendees.rowCount() == 2
    assert not tab.remove_button.isEnabled()  # nothing chosen
    tab.attendees.selectRow(0)
    assert tab.remove_button.isEnabled()
    tab.remove_button.click()
    assert [tab.attendees.item(r, 0).text() for r in range(tab.attendees.rowCount())] == [
        "Jan Nowak"
    ]
    assert [a.name for a in training.get(session.id).attendees] == ["Jan Nowak"]
    assert not tab.remove_button.isEnabled()

    # who signed off stays: the button says so, the service refuses
    (signed,) = training.get(session.id).attendees
    training.sign_off(signed.id)
    tab.show_case(case_id, refs["customer"])
    qtbot.waitUntil(lambda: tab.attendees.rowCount() == 1, timeout=10_000)
    tab.attendees.selectRow(0)
    assert not tab.remove_button.isEnabled()
    assert "signed off" in tab.remove_button.toolTip()
    with pytest.raises(ValidationError, match="signed off"):
        training.remove_attendee(signed.id)
    assert [a.name for a in training.get(session.id).attendees] == ["Jan Nowak"]


def _two_step_application(
    qtbot: QtBot, workspace: Workspace, refs: dict[str, str]
) -> tuple[ApplicationService, ApplicationDialog]:
    """An application record of a released two-step solution (with one parameter) on an
    arrived visit, open in its dialog."""
    solutions = SolutionService(workspace, user_id=refs["engineer"])
    draft = solutions.create(
        SolutionDraft(
            title="Dosing SP-CAL-7",
            steps=[StepSpec("Flush line"), StepSpec("Set rate")],
            parameters=[ParameterSpec("Dosing rate", "ml/min", 12, 10, 14)],
        )
    )
    solutions.move(draft.id, "in_review")
    solutions.move(draft.id, "released")
    visits = VisitService(workspace)
    visit = visits.plan_visit(open_case(CaseService(workspace), refs))
    visits.arrive(visit.id)
    service = ApplicationService(workspace)
    dialog = ApplicationDialog(service, service.start(visit.id, draft.id))
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    return service, dialog


def test_a_skipped_step_asks_for_its_reason_before_it_complains(
    qtbot: QtBot, workspace: Workspace, refs: dict[str, str]
) -> None:
    """Choosing "Skipped" puts the cursor in the note and asks for the reason there; the
    error shows only if the record is completed (or the note left) without one."""
    service, dialog = _two_step_application(qtbot, workspace, refs)
    first, second = (s.step_id for s in dialog.record.steps)

    def choose(step_id: str, index: int) -> None:
        combo = dialog.step_results[step_id]
        combo.setCurrentIndex(index)
        combo.activated.emit(index)  # as a person's choice

    choose(first, 1)  # done: saved at once
    choose(second, 2)  # skipped: no error yet, the note asks for the reason
    assert not dialog.message.isVisible()
    note = dialog.step_notes[second]
    assert note.placeholderText() == "required: why was it skipped?"
    assert "b3261e" in note.styleSheet()
    qtbot.waitUntil(note.hasFocus, timeout=5_000)
    # typing a value elsewhere reloads the record: the choice stays
    rate = dialog.record.parameters[0].parameter_id
    dialog.actual_edits[rate].setText("12")
    dialog.save_value(rate)
    assert dialog.step_results[second].currentData() == "skipped"
    assert not dialog.message.isVisible()

    dialog.complete()  # still no reason: now it is said, and nothing is completed
    assert "was skipped: say why in a note" in dialog.message.text()
    assert not service.get(dialog.record.id).completed
    note.setText("Rate already set.")
    note.editingFinished.emit()
    assert not dialog.message.isVisible() and not note.placeholderText()
    steps = service.get(dialog.record.id).steps
    assert [(s.state.value if s.state else None, s.note) for s in steps] == [
        ("done", None),
        ("skipped", "Rate already set."),
    ]
    dialog.complete()
    assert dialog.record.completed


def test_closing_with_a_skip_still_without_its_reason_says_so_first(
    qtbot: QtBot, workspace: Workspace, refs: dict[str, str]
) -> None:
    """Closing is safe because everything is saved as it is typed; a "Skipped" whose reason
    is not typed yet is not saved, so the first close says so and waits in its note."""
    service, dialog = _two_step_application(qtbot, workspace, refs)
    second = dialog.record.steps[1].step_id
    combo = dialog.step_results[second]
    combo.setCurrentIndex(2)
    combo.activated.emit(2)  # skipped, no reason yet

    qtbot.keyClick(dialog, Qt.Key.Key_Escape)  # the first close stays and says why
    assert dialog.isVisible()
    assert "Step 2 is marked Skipped" in dialog.message.text()
    qtbot.waitUntil(dialog.step_notes[second].hasFocus, timeout=5_000)
    dialog.close_button.click()  # the second one closes; the step is left open
    assert not dialog.isVisible()
    assert [s.state for s in service.get(dialog.record.id).steps] == [None, None]

    # with the reason typed, nothing is waiting: one close closes
    again = ApplicationDialog(service, service.get(dialog.record.id))
    qtbot.addWidget(again)
    again.show()
    qtbot.waitExposed(again)
    combo = again.step_results[second]
    combo.setCurrentIndex(2)
    combo.activated.emit(2)
    again.step_notes[second].setText("Rate already set.")
    again.step_notes[second].editingFinished.emit()
    again.close_button.click()
    assert not again.isVisible()
    assert service.get(again.record.id).steps[1].note == "Rate already set."


def test_the_trainer_of_a_new_session_can_be_changed(
    qtbot: QtBot, workspace: Workspace, refs: dict[str, str]
) -> None:
    from fieldsupport.models import User

    with workspace.transaction() as s:
        s.add(User(username="maria", display_name="Maria Santos"))
    case_id = open_case(CaseService(workspace), refs)
    training = TrainingService(workspace, user_id=refs["engineer"])
    tab = TrainingTab(training, CatalogService(workspace))
    qtbot.addWidget(tab)
    tab.resize(900, 600)
    tab.show_case(case_id, refs["customer"])
    assert tab.trainer.currentText() == "Anna Kowalska"  # the signed-in user
    assert [tab.trainer.itemText(i) for i in range(tab.trainer.count())] == [
        "Anna Kowalska",
        "Maria Santos",
    ]
    tab.topic.setText("Dosing pump maintenance")
    tab.trainer.setEditText("")
    tab.create_session()
    assert "Name the trainer" in tab.message.text() and tab.sessions.count() == 0
    tab.trainer.setEditText("Somebody Else")
    tab.create_session()
    assert "no user 'Somebody Else'" in tab.message.text() and tab.sessions.count() == 0
    tab.trainer.setCurrentIndex(tab.trainer.findText("Maria Santos"))
    tab.create_session()
    tab.show_case(case_id, refs["customer"])
    assert tab.sessions.count() == 1 and "Trainer: Maria Santos" in tab.details.text()
    (session,) = TrainingService(workspace).of_case(case_id)
    assert session.trainer == "Maria Santos"
