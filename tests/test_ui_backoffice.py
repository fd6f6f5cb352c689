"""The back-office page against a real central server on loopback: inbox with PDF and
structured data side by side, accept, return with a reason, a decision made meanwhile by
someone else, export; claims awaiting a decision and campaign progress across engineers;
the navigation entry only for back-office accounts."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from fieldsupport.central.server import BackgroundServer
from fieldsupport.central.service import CentralService
from fieldsupport.models.enums import ClaimStatus
from fieldsupport.services.backoffice import BackOfficeService
from fieldsupport.services.claims import ClaimItemSpec, ClaimService
from fieldsupport.services.recalls import CampaignSpec, RecallService, ScopeSpec
from fieldsupport.services.reports import ReportService
from fieldsupport.services.signatures import SignatureService
from fieldsupport.services.visits import VisitService
from fieldsupport.sync.backoffice import BackOfficeClient
from fieldsupport.sync.session import connect, open_transport
from fieldsupport.ui import backoffice_page
from fieldsupport.ui.backoffice_page import BackOfficePage
from fieldsupport.ui.main_window import NAV_BACK_OFFICE, NAV_SYNC, MainWindow
from fieldsupport.ui.report_tab import COLUMNS, ReportsTab
from fieldsupport.ui.sync_page import SyncPage
from fieldsupport.ui.widgets import format_time
from tests import backoffice_helpers
from tests.backoffice_helpers import Device, assigned_case, report_signed, submit_report
from tests.sync_helpers import PASSWORD, drop_service, make_service


@pytest.fixture
def server(tmp_path: Path) -> Iterator[BackgroundServer]:
    service, schema = make_service("sqlite", tmp_path)
    service.accounts.add_user("anna", PASSWORD, "engineer", team="north")
    service.accounts.add_user("bo", PASSWORD, "back_office")
    try:
        with BackgroundServer(service) as running:
            yield running
    finally:
        drop_service(service, schema)


devices = backoffice_helpers.devices


def _page(qtbot: QtBot, bo: Device, url: str) -> BackOfficePage:
    connect(bo.ws, url, "bo", PASSWORD)  # what "Connect to central server" does in the app
    bo.transport.close()
    bo.transport = open_transport(bo.ws)  # enrolling again replaced the device's token
    page = BackOfficePage(BackOfficeService(bo.ws))
    qtbot.addWidget(page)
    page.resize(1300, 860)
    return page


def _idle(qtbot: QtBot, page: BackOfficePage) -> None:
    qtbot.waitUntil(lambda: not page.jobs.busy, timeout=15_000)


def test_inbox_review_accept_return_and_export(
    qtbot: QtBot, devices: dict[str, Device], server: BackgroundServer, tmp_path: Path
) -> None:
    bo, anna = devices["bo"], devices["anna"]
    good = submit_report(bo, anna, customer="Odra Chemicals")
    broken = submit_report(bo, anna, refs=good.refs)
    service: CentralService = server.service
    service.blobs.path(broken.report.pdf_sha256 or "").unlink()  # lost on the server

    page = _page(qtbot, bo, server.url)
    page.show()
    qtbot.waitUntil(lambda: len(page.rows) == 2 and page.files is not None, timeout=15_000)
    _idle(qtbot, page)
    assert page.count_label.text() == "2 report(s) awaiting a decision"
    first = page.selected()
    assert first is not None and first.report_id == good.report.id  # oldest first
    assert page.table.item(0, 3).text() == "Odra Chemicals"
    assert page.table.item(0, 4).text() == "Anna Kowalska"
    # PDF and structured data side by side
    assert page.pdf.document.pageCount() >= 1
    top = [page.data.topLevelItem(i).text(0) for i in range(page.data.topLevelItemCount())]
    assert {"report", "case", "customer", "visit", "parts"} <= set(top)
    assert page.accept_button.isEnabled() and page.problems.text() == ""

    # the row whose PDF is missing says so and cannot be accepted
    page.table.selectRow(1)
    assert "The PDF is missing on the server." in page.table.item(1, 7).text()
    assert not page.accept_button.isEnabled() and page.return_button.isEnabled()
    assert "missing" in page.problems.text()
    _idle(qtbot, page)
    # where the pages would be: why there are none; nothing to zoom
    assert page.pdf.pages.currentWidget() is page.pdf.placeholder
    assert page.pdf.placeholder.text() == "The PDF is not on the server."
    assert not any(b.isEnabled() for b in page.pdf.zoom_buttons)
    page.grab().save(str(tmp_path / "backoffice-problem.png"))

    # returning needs a reason; nothing is sent without one
    page.return_selected()
    assert "Say why" in page.message.text()
    assert len(BackOfficeClient(bo.transport).inbox().rows) == 2

    page.table.selectRow(0)
    page.accept_selected()
    qtbot.waitUntil(lambda: "Accepted" in page.message.text(), timeout=15_000)
    qtbot.waitUntil(lambda: len(page.rows) == 1, timeout=15_000)
    _idle(qtbot, page)
    assert page.count_label.text() == "1 report(s) awaiting a decision"

    # someone else returns the broken report meanwhile; this page then tries to: it is told
    # who decided, and the inbox shows the server's state
    first = BackOfficeClient(bo.transport).decide(broken.report.id, "returned", "The PDF got lost.")
    page.reason.setText("PDF missing")
    page.return_selected()
    qtbot.waitUntil(lambda: "already returned by bo" in page.message.text(), timeout=15_000)
    assert page.message.text() == (  # in local time, not the server's ISO stamp
        f"{broken.report.report_number} revision 1 was already returned by bo at "
        f"{format_time(first.decided_at)}; nothing was changed."
    )
    qtbot.waitUntil(lambda: page.rows == [], timeout=15_000)
    _idle(qtbot, page)
    # an empty inbox says so plainly
    assert page.count_label.text() == "No reports are waiting for a decision."
    assert page.pdf.placeholder.text() == "No reports are waiting for a decision."

    out = tmp_path / "erp"
    page.export_to(out)
    qtbot.waitUntil(lambda: "Exported 1 accepted report" in page.message.text(), timeout=15_000)
    # how many, which and where; no export cursor
    assert page.message.text() == (
        f"Exported 1 accepted report ({good.report.report_number}-rev1) with summary.csv to "
        f"{out / 'batch-00001'}."
    )
    assert (out / "batch-00001" / f"{good.report.report_number}-rev1.pdf").is_file()
    _idle(qtbot, page)
    page.export_to(out)
    qtbot.waitUntil(lambda: "Nothing new to export" in page.message.text(), timeout=15_000)
    _idle(qtbot, page)

    page.state.setCurrentIndex(page.state.findData("decided"))
    qtbot.waitUntil(lambda: len(page.rows) == 2, timeout=15_000)
    _idle(qtbot, page)
    texts = sorted(page.table.item(i, 7).text() for i in range(2))
    assert texts[0].startswith("Accepted by bo") and texts[1].startswith("Returned by bo")


def test_claims_awaiting_decision_and_campaign_progress_across_engineers(
    qtbot: QtBot, devices: dict[str, Device], server: BackgroundServer, tmp_path: Path
) -> None:
    bo, anna = devices["bo"], devices["anna"]
    claim_case, refs = assigned_case(bo)
    from fieldsupport.models import Case
    from fieldsupport.models.enums import AssistType

    with bo.ws.transaction() as s:  # an A2 claim case (the builder opens an A3 one)
        s.get(Case, claim_case).assist_type = AssistType.CLAIM  # type: ignore[union-attr]
    RecallService(bo.ws).create_campaign(
        CampaignSpec(
            code="RC-7",
            title="Gland packing batch L26",
            reason="quality_issue",
            required_action="repair",
            scopes=[ScopeSpec(refs["product"], "DX-0000", "DX-0999")],
            due_date=date(2020, 1, 31),
        )
    )
    bo.sync()
    anna.sync()
    ClaimService(anna.ws).open_claim(
        claim_case,
        "replacement",
        "Pump head cracked after 3 weeks.",
        [ClaimItemSpec(1, "Pump head")],
    )
    anna.sync()
    bo.sync()

    page = _page(qtbot, bo, server.url)
    page.show()
    page.tabs.setCurrentWidget(page.claims)
    qtbot.waitUntil(lambda: len(page.claims.claims) == 1, timeout=15_000)
    qtbot.waitUntil(lambda: len(page.campaigns.rows) == 1, timeout=15_000)
    _idle(qtbot, page)
    progress = page.campaigns.rows[0].progress
    assert (progress.affected, progress.done, progress.open, progress.overdue) == (1, 0, 1, 1)
    page.grab().save(str(tmp_path / "backoffice-claims.png"))

    page.claims.table.selectRow(0)
    page.claims.reason.setText("Material defect confirmed.")
    page.claims.decide("approved")  # no remedy: refused with the reason, nothing changes
    qtbot.waitUntil(lambda: "remedy" in page.claims.message.text(), timeout=15_000)
    assert len(page.claims.claims) == 1 and page.claims.reason.text()
    page.claims.remedy.setText("Replace the pump head.")
    page.claims.decide("approved")
    qtbot.waitUntil(lambda: page.claims.claims == [], timeout=15_000)
    _idle(qtbot, page)

    # the decision reaches the engineer; her recall work reaches the back office
    bo.sync()
    anna.sync()
    (claim,) = ClaimService(anna.ws).of_case(claim_case)
    assert claim.status is ClaimStatus.APPROVED and claim.rma_number
    RecallService(anna.ws).record_action(
        page.campaigns.rows[0].campaign.id, refs["asset"], "repaired", note="New packing."
    )
    anna.sync()
    bo.sync()
    page.campaigns.refresh()
    qtbot.waitUntil(lambda: page.campaigns.rows[0].progress.done == 1, timeout=15_000)
    _idle(qtbot, page)
    assert page.campaigns.table.cellWidget(0, 7).value() == 1  # type: ignore[attr-defined]
    page.tabs.setCurrentWidget(page.campaigns)
    page.grab().save(str(tmp_path / "backoffice-campaigns.png"))


def test_back_office_entry_only_for_back_office_accounts(
    qtbot: QtBot, devices: dict[str, Device], server: BackgroundServer
) -> None:
    for name, shown in (("anna", False), ("bo", True)):
        workspace = devices[name].ws
        window = MainWindow(workspace)
        qtbot.addWidget(window)
        assert window.nav.item(NAV_BACK_OFFICE).isHidden()
        connect(workspace, server.url, name, PASSWORD)
        with qtbot.waitSignal(window.sync.status_changed, timeout=10_000) as read:
            window.sync.refresh_status()
        assert read.args[0].role == ("back_office" if shown else "engineer")
        assert window.nav.item(NAV_BACK_OFFICE).isHidden() is not shown
        window.close()


def test_engineer_sees_the_return_in_the_reports_tab(
    qtbot: QtBot, devices: dict[str, Device]
) -> None:
    bo, anna = devices["bo"], devices["anna"]
    sent = submit_report(bo, anna)
    BackOfficeClient(bo.transport).decide(sent.report.id, "returned", "Add the PO number.")
    anna.sync()
    tab = ReportsTab(ReportService(anna.ws), SignatureService(anna.ws))
    qtbot.addWidget(tab)
    tab.show_case(sent.case_id, VisitService(anna.ws).visits_of_case(sent.case_id))
    qtbot.waitUntil(lambda: tab.table.rowCount() == 1 and not tab.jobs.busy, timeout=15_000)
    cell = tab.table.item(0, COLUMNS.index("Back office")).text()
    assert cell.startswith("Returned by bo") and cell.endswith(": Add the PO number.")
    tab.table.selectRow(0)
    assert "returned by the back office: Add the PO number." in tab.message.text()
    assert "create the report again (revision 2)" in tab.message.text()


def test_export_offers_the_last_folder_and_asks_before_one_without_a_ledger(
    qtbot: QtBot,
    devices: dict[str, Device],
    server: BackgroundServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The ledger of the export folder is what keeps reports from reaching the ERP twice: a
    folder without one would get every accepted report again, so the page starts where the
    last export went and asks before exporting anywhere new."""
    bo, anna = devices["bo"], devices["anna"]
    sent = submit_report(bo, anna)
    BackOfficeClient(bo.transport).decide(sent.report.id, "accepted")
    first, other = tmp_path / "erp", tmp_path / "elsewhere"
    other.mkdir()
    offered: list[str] = []
    chosen = [first]

    def choose(_parent: object, _title: str, start: str) -> str:
        offered.append(start)
        return str(chosen[0])

    monkeypatch.setattr(backoffice_page.QFileDialog, "getExistingDirectory", choose)
    page = _page(qtbot, bo, server.url)
    asked: list[tuple[Path, Path]] = []
    page.ask_new_export_folder = lambda folder, last: asked.append((folder, last)) or False  # type: ignore[method-assign]
    page.show()
    _idle(qtbot, page)
    page.export_button.click()  # the first export: no question
    qtbot.waitUntil(lambda: "Exported 1 accepted report" in page.message.text(), timeout=15_000)
    _idle(qtbot, page)
    assert asked == [] and offered == [str(Path.home())]

    chosen[0] = other  # another folder, without a ledger: asked, declined, nothing written
    page.export_button.click()
    qtbot.waitUntil(lambda: "Nothing was exported" in page.message.text(), timeout=15_000)
    assert page.export_button.isEnabled()
    assert asked == [(other, first)] and offered[-1] == str(first)
    assert "Nothing was exported" in page.message.text() and str(first) in page.message.text()
    assert list(other.iterdir()) == []

    # after a restart the page still knows the folder (the workspace keeps it)
    again = BackOfficePage(BackOfficeService(bo.ws))
    qtbot.addWidget(again)
    again.ask_new_export_folder = lambda folder, last: asked.append((folder, last)) or True  # type: ignore[method-assign]
    again.show()
    qtbot.waitUntil(lambda: again.last_export == first, timeout=15_000)
    _idle(qtbot, again)
    chosen[0] = first  # the same folder again: no question, nothing exported twice
    again.export_button.click()
    qtbot.waitUntil(lambda: "Nothing new to export" in again.message.text(), timeout=15_000)
    _idle(qtbot, again)
    assert offered[-1] == str(first) and len(asked) == 1
    chosen[0] = other  # confirmed: exported there as asked
    again.export_button.click()
    qtbot.waitUntil(lambda: "Exported 1 accepted report" in again.message.text(), timeout=15_000)
    _idle(qtbot, again)
    assert asked[-1] == (other, first) and (other / "batch-00001").is_dir()


def test_a_replaced_revision_leaves_the_inbox_and_shows_as_superseded(
    qtbot: QtBot, devices: dict[str, Device], server: BackgroundServer
) -> None:
    bo, anna = devices["bo"], devices["anna"]
    sent = submit_report(bo, anna)
    second = report_signed(anna.ws, sent.visit_id)  # reported again before any decision
    anna.sync()
    page = _page(qtbot, bo, server.url)
    page.show()
    qtbot.waitUntil(lambda: len(page.rows) == 1 and page.files is not None, timeout=15_000)
    _idle(qtbot, page)
    assert page.rows[0].report_id == second.id
    assert page.count_label.text() == "1 report(s) awaiting a decision"

    page.state.setCurrentIndex(page.state.findData("decided"))
    qtbot.waitUntil(lambda: [r.report_id for r in page.rows] == [sent.report.id], timeout=15_000)
    _idle(qtbot, page)
    assert page.table.item(0, 7).text() == "Superseded by revision 2; no decision needed"
    assert not page.accept_button.isEnabled() and not page.return_button.isEnabled()
    assert page.problems.text() == ""


def test_a_sync_that_brings_a_return_tells_the_engineer(
    qtbot: QtBot, devices: dict[str, Device], server: BackgroundServer
) -> None:
    bo, anna = devices["bo"], devices["anna"]
    sent = submit_report(bo, anna)
    BackOfficeClient(bo.transport).decide(sent.report.id, "returned", "Add the PO number.")
    connect(anna.ws, server.url, "anna", PASSWORD)  # the app's own connection
    window = MainWindow(anna.ws)
    qtbot.addWidget(window)
    window.ask_close = lambda _unsaved: True  # type: ignore[method-assign]
    with qtbot.waitSignal(window.cases.cases_loaded, timeout=10_000):
        window.show()
    qtbot.waitUntil(lambda: window.sync.last_status is not None, timeout=10_000)
    window.navigate(NAV_SYNC)
    page = window.sync_page
    assert isinstance(page, SyncPage)
    told = f"Report {sent.report.report_number} revision 1 was returned by bo: Add the PO number."
    with qtbot.waitSignal(window.sync.finished, timeout=20_000) as synced:
        window.sync.sync_now()
    assert [r.text() for r in synced.args[0].returned] == [told]
    assert window.returned_label.isVisibleTo(window)
    assert window.returned_label.text() == (
        f"Report {sent.report.report_number} rev. 1 was returned: Add the PO number."
    )
    assert window.returned_label.toolTip().startswith(told)
    assert told in page.message.text() and "correct the visit" in page.message.text()
    window.resize(1280, 720)
    # the next sync brings nothing new: not said again, the status bar keeps the news
    with qtbot.waitSignal(window.sync.finished, timeout=20_000) as again:
        window.sync.sync_now()
    assert again.args[0].returned == []
    assert "returned" not in page.message.text()
    assert window.returned_label.isVisibleTo(window)
    qtbot.mouseClick(window.returned_label, Qt.MouseButton.LeftButton)  # read: dismissed
    assert not window.returned_label.isVisibleTo(window)
    qtbot.waitUntil(lambda: not page.jobs.busy and not window.sync.busy, timeout=10_000)
    window.close()
