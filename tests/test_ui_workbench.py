"""The workbench's key flows, offscreen: find a case and open it, run a visit from arrival
to departure, move a case through its workflow (with a refused step), write an article from a
resolved case, and never lose typed work."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from builders import TO_RESOLVED, make_refs, open_case, walk
from PySide6.QtCore import QMimeData, Qt
from PySide6.QtGui import QKeySequence
from pytestqt.qtbot import QtBot

from fieldsupport.models.enums import CaseStatus, VisitStatus
from fieldsupport.services.cases import CaseService
from fieldsupport.services.drafts import DraftStore
from fieldsupport.services.knowledge import KnowledgeService
from fieldsupport.services.visits import VisitService
from fieldsupport.ui.case_file import CaseFileView
from fieldsupport.ui.main_window import NAV_ALL_CASES, NAV_KNOWLEDGE, NAV_LABELS, MainWindow
from fieldsupport.workflow import Action
from fieldsupport.workspace import Workspace


@pytest.fixture
def refs(workspace: Workspace) -> dict[str, str]:
    refs = make_refs(workspace)
    workspace.set_setting("current_user_id", refs["engineer"])
    return refs


@pytest.fixture
def cases(workspace: Workspace, refs: dict[str, str]) -> CaseService:
    return CaseService(workspace, user_id=refs["engineer"])


def _window(qtbot: QtBot, workspace: Workspace) -> MainWindow:
    win = MainWindow(workspace)
    qtbot.addWidget(win)
    with qtbot.waitSignal(win.cases.cases_loaded, timeout=10_000):
        win.show()
    return win


@pytest.fixture
def window(qtbot: QtBot, workspace: Workspace, refs: dict[str, str]) -> Iterator[MainWindow]:
    win = _window(qtbot, workspace)
    win.ask_close = lambda _unsaved: True  # type: ignore[method-assign]
    yield win
    qtbot.waitUntil(lambda: not win.case_file.jobs.busy, timeout=10_000)


def _open(qtbot: QtBot, win: MainWindow, case_id: str) -> CaseFileView:
    with qtbot.waitSignal(win.case_file.case_loaded, timeout=10_000):
        win.open_case(case_id)
    return win.case_file


def _reloaded(qtbot: QtBot, view: CaseFileView) -> object:
    return qtbot.waitSignal(view.case_loaded, timeout=10_000)


def test_navigation_status_bar_and_accessibility(qtbot: QtBot, window: MainWindow) -> None:
    assert [window.nav.item(i).text() for i in range(window.nav.count())] == list(NAV_LABELS)
    for row, page in (
        (NAV_KNOWLEDGE, window.knowledge),
        (3, window.solutions),
        (4, window.training),
        (5, window.recalls),
        (6, window.sync_page),
    ):
        window.nav.setCurrentRow(row)
        assert window.pages.currentWidget() is page
    assert "Offline" in window.connection_label.text()
    assert window.pending_label.accessibleName() == "Pending local changes"
    assert window.last_sync_label.text() == "Last sync: never"
    # every action has a shortcut; Ctrl+F is the platform's Find
    shortcuts = {a.text(): a.shortcut() for a in window.actions()}
    assert shortcuts["Find"] == QKeySequence(QKeySequence.StandardKey.Find)
    for name in ("New note", "Start/stop visit", "Next case", "Previous case", "New case"):
        assert not shortcuts[name].isEmpty(), name
    window.find_action.trigger()
    assert window.pages.currentWidget() is window.case_splitter
    # widgets a screen reader meets carry names
    for widget in (window.cases.table, window.cases.search, window.case_file.tabs, window.nav):
        assert widget.accessibleName()


def test_find_a_case_by_search_and_open_it(
    qtbot: QtBot, window: MainWindow, cases: CaseService, refs: dict[str, str]
) -> None:
    target = open_case(cases, refs, title="Conveyor belt slips")
    open_case(cases, refs, title="Other trouble", description="Nothing alike")
    with qtbot.waitSignal(window.cases.cases_loaded, timeout=10_000):
        window.navigate(NAV_ALL_CASES)  # new cases are nobody's yet
    assert window.model.rowCount() == 2
    with qtbot.waitSignal(window.cases.cases_loaded, timeout=10_000) as loaded:
        qtbot.keyClicks(window.cases.search, "conveyor")
    assert loaded.args == [1]
    with qtbot.waitSignal(window.case_file.case_loaded, timeout=10_000) as opened:
        window.cases.step(1)  # Alt+Down: the first match
    assert opened.args == [target]
    view = window.case_file
    assert "Conveyor belt slips" in view.title.text()
    header = view.header.text()
    assert "Zakłady Chemiczne Odra S.A." in header and "ul. Wrocławska 1" in header
    assert "serial DX-0001" in header and "no warranty on record" in header
    # opened on 2 March 2026: both clocks long breached, shown live in red
    assert "Resolution: breached" in view.sla.text() and "#b3261e" in view.sla.text()
    # FTS syntax in the search box is searched literally, never an error
    for text in ('"', "belt*", "NEAR(", "- slips", "AND OR NOT"):
        with qtbot.waitSignal(window.cases.cases_loaded, timeout=10_000):
            window.cases.search.setText(text)
    assert window.model.rowCount() == 0


def test_filters_run_in_sql(
    qtbot: QtBot, window: MainWindow, cases: CaseService, refs: dict[str, str]
) -> None:
    urgent = open_case(cases, refs, priority="urgent", assist_type="A1")
    open_case(cases, refs, priority="low", assist_type="A2")
    resolved = open_case(cases, refs)
    walk(cases, resolved, TO_RESOLVED)
    page = window.cases

    def apply(combo: object, data: object) -> int:
        index = combo.findData(data)  # type: ignore[attr-defined]
        with qtbot.waitSignal(page.cases_loaded, timeout=10_000) as blocker:
            combo.setCurrentIndex(index)  # type: ignore[attr-defined]
        return int(blocker.args[0])

    with qtbot.waitSignal(page.cases_loaded, timeout=10_000):
        page.mine.setChecked(False)
    assert apply(page.status_filter, None) == 3
    assert apply(page.status_filter, "open") == 2
    assert apply(page.status_filter, CaseStatus.RESOLVED) == 1
    assert apply(page.status_filter, None) == 3
    assert apply(page.priority_filter, "urgent") == 1
    assert page.model.row_at(0).id == urgent  # type: ignore[union-attr]
    assert apply(page.priority_filter, None) == 3
    assert apply(page.type_filter, "A2") == 1
    assert apply(page.type_filter, None) == 3
    # the demo-less cases were opened on 2 March 2026: long breached by now
    assert apply(page.sla_filter, "breached") == 2  # the resolved one has no running clock
    assert apply(page.sla_filter, "on_track") == 0
    assert apply(page.sla_filter, None) == 3
    with qtbot.waitSignal(page.cases_loaded, timeout=10_000) as blocker:
        page.mine.setChecked(True)  # assigned to anna: only the resolved case was assigned
    assert blocker.args == [1]


def test_visit_from_arrival_to_departure(
    qtbot: QtBot, window: MainWindow, cases: CaseService, refs: dict[str, str], workspace: Workspace
) -> None:
    case_id = open_case(cases, refs)
    view = _open(qtbot, window, case_id)
    panel = view.visit_panel
    view.tabs.setCurrentWidget(panel)
    with _reloaded(qtbot, view):
        panel.new_visit.click()
    assert panel._visit is not None and panel._visit.status is VisitStatus.PLANNED
    with _reloaded(qtbot, view):
        panel.arrive_button.click()
    assert panel._visit.status is VisitStatus.ON_SITE
    assert panel.leave_button.isVisibleTo(panel) and panel.timer_label.text().startswith("0:00")

    # work notes save as they are typed (the autosave timer), and letters in km are refused
    qtbot.keyClicks(panel.work, "Replaced gland packing.")
    panel.distance.setText("12 km")
    assert not panel.save_notes() or "not a number" in panel.notes_message.text()
    assert "is not a number" in panel.notes_message.text()
    panel.distance.setText("12,5")
    assert panel.save_notes()
    visits = VisitService(workspace)
    saved = visits.get_visit(panel._visit.id)
    assert saved.work_performed == "Replaced gland packing." and saved.travel_distance_km == 12.5

    # measurements: out of limits flagged while typing; no unit, letters: inline messages
    panel.m_name.setText("Pressure")
    panel.m_low.setText("1")
    panel.m_high.setText("6")
    panel.m_value.setText("7,5")
    assert "Outside the limits" in panel.m_message.text()
    panel.m_value.setText("abc")
    assert "'abc' is not a number" in panel.m_message.text()
    panel.m_value.setText("7.5")
    panel.add_measurement()
    assert "Enter the unit of Pressure" in panel.m_message.text()
    panel.m_unit.setText("bar")
    with _reloaded(qtbot, view):
        panel.add_measurement()
    assert panel.measurements.rowCount() == 1
    assert panel.measurements.item(0, 5).text() == "out of limits"
    # parts
    panel.p_number.setText("GP-12")
    panel.p_description.setText("Gland packing ring")
    panel.p_quantity.setText("two")
    panel.add_part()
    assert "'two' is not a number" in panel.p_message.text()
    panel.p_quantity.setText("2")
    with _reloaded(qtbot, view):
        panel.add_part()
    assert panel.parts.item(0, 0).text() == "GP-12" and panel.parts.item(0, 2).text() == "2 pcs"

    # departure before arrival is refused with the times; then a proper departure
    arrived = panel._visit.arrived_at
    assert arrived is not None
    from PySide6.QtCore import QDateTime

    panel.leave_time.setDateTime(QDateTime((arrived - timedelta(hours=2)).astimezone()))
    panel.leave()
    assert "cannot be before arrival" in panel.notes_message.text()
    panel.leave_time.setDateTime(QDateTime((arrived + timedelta(hours=2)).astimezone()))
    with _reloaded(qtbot, view):
        panel.leave()
    visit = visits.get_visit(panel._visit.id)
    assert visit.status is VisitStatus.COMPLETED
    assert visit.work_performed == "Replaced gland packing."
    assert visit.time_entry_minutes >= 119
    assert panel.work.isReadOnly() and not panel.m_add.isEnabled()
    assert any("Left site" in (e.body or "") for e in view.case.events)  # type: ignore[union-attr]


def test_workflow_actions_with_a_refused_step(
    qtbot: QtBot, window: MainWindow, cases: CaseService, refs: dict[str, str]
) -> None:
    case_id = open_case(cases, refs)
    walk(cases, case_id, TO_RESOLVED[:-2])  # up to awaiting verification
    view = _open(qtbot, window, case_id)
    assert next(iter(view.action_buttons)) is Action.RECORD_VERIFICATION
    assert Action.RESOLVE in view.action_buttons  # possible, with a resolution
    # resolving without a resolution text: the rule's text, the form stays open
    view.action_buttons[Action.RESOLVE].click()
    dialog = view.action_dialog
    assert dialog.isVisible()
    dialog.try_submit()
    assert dialog.isVisible()
    assert "cannot be resolved without a resolution" in dialog.message.text()
    dialog.fields["resolution"].setPlainText("Gland packing replaced.")  # type: ignore[union-attr]
    with _reloaded(qtbot, view):
        dialog.try_submit()
    assert not dialog.isVisible()
    assert view.case.status is CaseStatus.RESOLVED  # type: ignore[union-attr]
    # closing without the customer's verification needs a reason
    view.action_buttons[Action.CLOSE].click()
    dialog = view.action_dialog
    dialog.try_submit()
    assert "closing the case needs a reason" in dialog.message.text()
    dialog.fields["close_reason"].setPlainText("Customer not reachable after 3 reminders.")  # type: ignore[union-attr]
    with _reloaded(qtbot, view):
        dialog.try_submit()
    assert view.case.status is CaseStatus.CLOSED  # type: ignore[union-attr]
    assert list(view.action_buttons) == [Action.REOPEN]
    # an action that needs no input runs at once; one the rules refuse shows their text
    assert view.perform(Action.START_INVESTIGATION, {}) is not None


def test_create_article_from_resolved_case(
    qtbot: QtBot, window: MainWindow, cases: CaseService, refs: dict[str, str], workspace: Workspace
) -> None:
    case_id = open_case(cases, refs)
    view = _open(qtbot, window, case_id)
    assert not view.article_button.isVisibleTo(view)
    walk(cases, case_id, TO_RESOLVED)
    with _reloaded(qtbot, view):
        view.refresh()
    assert view.article_button.isVisibleTo(view)
    view.article_button.click()
    assert window.pages.currentWidget() is window.knowledge
    editor = window.knowledge.editor
    assert editor.title.text() == "Leaking pump head"
    assert "Gland packing replaced" in editor.body.toPlainText()
    with qtbot.waitSignal(window.knowledge.article_shown, timeout=10_000):
        editor.save()
    number = view.case.case_number  # type: ignore[union-attr]
    assert f"From case {number}" in window.knowledge.view.toHtml()
    window.knowledge.search.setText("gland packing")
    # the matched words are highlighted in the snippet
    qtbot.waitUntil(lambda: "fff1a8" in window.knowledge.results.toHtml(), timeout=10_000)
    assert len(window.knowledge.hits) == 1
    assert "Leaking pump head" in window.knowledge.results.toHtml()
    assert [h.title for h in KnowledgeService(workspace).search("gland")] == ["Leaking pump head"]


def test_new_case_intake_gets_a_number_offline(
    qtbot: QtBot, window: MainWindow, refs: dict[str, str], workspace: Workspace
) -> None:
    dialog = window.new_case()
    assert dialog.site.currentData() == refs["site"]
    dialog.asset.setCurrentIndex(dialog.asset.findData(refs["asset"]))
    dialog.submit()
    assert dialog.message.text() == "Title is required."
    qtbot.keyClicks(dialog.title, "Dosing pump alarms")
    with qtbot.waitSignal(window.case_file.case_loaded, timeout=10_000):
        dialog.submit()
    assert dialog.case_number == f"FS-{workspace.device_code}-000001"
    assert "Dosing pump alarms" in window.case_file.title.text()
    assert "serial DX-0001" in window.case_file.header.text()


def test_typed_work_survives_a_crash_and_close_asks(
    qtbot: QtBot, workspace: Workspace, cases: CaseService, refs: dict[str, str]
) -> None:
    case_id = open_case(cases, refs)
    win = _window(qtbot, workspace)
    view = _open(qtbot, win, case_id)
    view.tabs.setCurrentWidget(view.timeline)
    qtbot.keyClicks(view.timeline.composer, "Customer called about spare seals")
    # the draft is written by the autosave timer, without any further action
    drafts = DraftStore(workspace)
    qtbot.waitUntil(lambda: drafts.load(f"timeline/{case_id}") is not None, timeout=5_000)
    view.description.setPlainText("Leak at the gland, worse after restart.")
    asked: list[list[str]] = []
    win.ask_close = lambda unsaved: asked.append(unsaved) or False  # type: ignore[method-assign]
    assert not win.close()  # the user chose Cancel
    assert asked and "timeline entry" in asked[0][0]
    # the description was saved on the close attempt; a "crash" now loses nothing
    assert cases.get_case(case_id).description == "Leak at the gland, worse after restart."
    win.hide()
    qtbot.waitUntil(lambda: not view.jobs.busy, timeout=10_000)

    again = _window(qtbot, workspace)
    again.ask_close = lambda _unsaved: True  # type: ignore[method-assign]
    view2 = _open(qtbot, again, case_id)
    assert view2.timeline.composer.toPlainText() == "Customer called about spare seals"
    with _reloaded(qtbot, view2):
        view2.timeline.add_button.click()
    assert drafts.load(f"timeline/{case_id}") is None
    assert view2.case.events[-1].body == "Customer called about spare seals"  # type: ignore[union-attr]
    qtbot.waitUntil(lambda: not view2.jobs.busy, timeout=10_000)


def test_huge_paste_is_cut_with_a_message(
    qtbot: QtBot, window: MainWindow, cases: CaseService, refs: dict[str, str]
) -> None:
    case_id = open_case(cases, refs)
    view = _open(qtbot, window, case_id)
    composer = view.timeline.composer
    data = QMimeData()
    data.setText("x" * 10_000_000)  # 10 MB from the clipboard
    composer.insertFromMimeData(data)
    assert len(composer.toPlainText()) == composer.max_chars
    view.timeline.add_entry()
    assert "was cut" in view.timeline.message.text()
    with _reloaded(qtbot, view):
        view.timeline.add_entry()  # the second press adds what is there
    assert len(view.case.events[-1].body or "") == composer.max_chars  # type: ignore[union-attr]


def test_the_window_fits_a_small_laptop(
    qtbot: QtBot, window: MainWindow, cases: CaseService, refs: dict[str, str]
) -> None:
    """Every page and case-file tab together may not ask for more than a 1024 x 600 screen
    (a widget's minimum width anywhere widens the whole window: a photo filter of 200 px
    beside the gallery's buttons made it 1,104 px)."""
    _open(qtbot, window, open_case(cases, refs))
    minimum = window.minimumSizeHint()
    assert minimum.width() <= 1024, minimum
    assert minimum.height() <= 600, minimum


def test_layout_persists_between_runs(
    qtbot: QtBot, workspace: Workspace, refs: dict[str, str]
) -> None:
    win = _window(qtbot, workspace)
    win.resize(795, 600)  # within the offscreen platform's 800 x 800 screen
    size = (win.size().width(), win.size().height())
    assert size[1] == 600  # not the default height
    win.case_splitter.setSizes([300, 700])
    win.cases.table.setColumnWidth(1, 333)
    sizes = win.case_splitter.sizes()
    assert win.close()
    again = _window(qtbot, workspace)
    assert (again.size().width(), again.size().height()) == size
    assert again.case_splitter.sizes() == sizes
    assert again.cases.table.columnWidth(1) == 333
    again.close()


def test_next_and_previous_case_keys(
    qtbot: QtBot, window: MainWindow, cases: CaseService, refs: dict[str, str]
) -> None:
    ids = [open_case(cases, refs, title=f"Case {i}") for i in range(3)]
    with qtbot.waitSignal(window.cases.cases_loaded, timeout=10_000):
        window.nav.setCurrentRow(NAV_ALL_CASES)
    assert window.model.rowCount() == 3
    opened = []
    for delta in (1, 1, 1, -1):
        with qtbot.waitSignal(window.case_file.case_loaded, timeout=10_000) as blocker:
            window.step_case(delta)
        opened.append(blocker.args[0])
    newest_first = list(reversed(ids))
    assert opened == [newest_first[0], newest_first[1], newest_first[2], newest_first[1]]


def test_f9_starts_and_stops_a_visit(
    qtbot: QtBot, window: MainWindow, cases: CaseService, refs: dict[str, str], workspace: Workspace
) -> None:
    case_id = open_case(cases, refs)
    view = _open(qtbot, window, case_id)
    with _reloaded(qtbot, view):
        window.visit_action.trigger()
    visits = VisitService(workspace).visits_of_case(case_id)
    assert [v.status for v in visits] == [VisitStatus.ON_SITE]
    view.visit_panel.leave_time.setDateTime(view.visit_panel.leave_time.dateTime().addSecs(3600))
    with _reloaded(qtbot, view):
        window.visit_action.trigger()
    visits = VisitService(workspace).visits_of_case(case_id)
    assert [v.status for v in visits] == [VisitStatus.COMPLETED]
    assert visits[0].departed_at is not None and visits[0].departed_at > datetime.now(UTC)
    assert window.case_file.tabs.currentWidget() is view.visit_panel
    qtbot.keyClick(window, Qt.Key.Key_Escape)  # nothing open to cancel: no effect


def test_a_session_on_the_training_page_opens_in_its_case(
    qtbot: QtBot, window: MainWindow, cases: CaseService, refs: dict[str, str]
) -> None:
    from fieldsupport.services.training import TrainingService

    case_id = open_case(cases, refs)
    training = TrainingService(window.workspace, user_id=refs["engineer"])
    start = datetime(2026, 3, 3, 9, 0, tzinfo=UTC)
    first = training.create_session(
        topic="Dosing pump care", started_at=start, duration_minutes=60, case_id=case_id
    )
    training.create_session(
        topic="Safety walk",
        started_at=start + timedelta(hours=2),
        duration_minutes=30,
        case_id=case_id,
    )
    loose = training.create_session(
        topic="Open day", started_at=start, duration_minutes=90, customer_id=refs["customer"]
    )
    window.nav.setCurrentRow(4)
    page = window.training
    qtbot.waitUntil(lambda: page.table.rowCount() == 3, timeout=10_000)
    topics = [page.table.item(r, 0).text() for r in range(3)]

    page.open_row(topics.index("Open day"))  # no case: said, nothing opened
    assert "belongs to no case" in page.summary.text() and loose.case_id is None
    assert window.pages.currentWidget() is page

    with qtbot.waitSignal(window.case_file.case_loaded, timeout=10_000):
        page.open_row(topics.index("Dosing pump care"))
    view = window.case_file
    assert window.pages.currentWidget() is window.case_splitter
    assert view.tabs.currentWidget() is view.training_tab
    assert view.training_tab.current is not None and view.training_tab.current.id == first.id
    qtbot.waitUntil(lambda: not view.jobs.busy, timeout=10_000)
