"""The Sync page and the status bar offscreen, against a real central server on loopback:
connect, sync now, conflicts decided in the page, a server that goes away and comes back,
and the demo's embedded server."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from fieldsupport.central.embedded import EmbeddedServer
from fieldsupport.central.server import BackgroundServer
from fieldsupport.central.service import CentralService
from fieldsupport.demo.generator import create_demo
from fieldsupport.models import Case
from fieldsupport.services.cases import CaseService
from fieldsupport.sync.client import SyncClient
from fieldsupport.sync.session import status
from fieldsupport.ui.main_window import NAV_SYNC, MainWindow
from fieldsupport.ui.sync_page import SyncPage
from fieldsupport.workspace import Workspace
from tests.builders import TO_RESOLVED, make_refs, open_case, walk
from tests.sync_helpers import PASSWORD, drop_service, enrol, make_service


@pytest.fixture
def central(tmp_path: Path) -> Iterator[CentralService]:
    service, schema = make_service("sqlite", tmp_path)
    service.accounts.add_user("anna", PASSWORD, "engineer", team="north")
    service.accounts.add_user("bo", PASSWORD, "back_office")
    try:
        yield service
    finally:
        drop_service(service, schema)


def _window(qtbot: QtBot, workspace: Workspace) -> MainWindow:
    win = MainWindow(workspace)
    qtbot.addWidget(win)
    win.ask_close = lambda _unsaved: True  # type: ignore[method-assign]
    with qtbot.waitSignal(win.cases.cases_loaded, timeout=10_000):
        win.show()
    qtbot.waitUntil(lambda: win.sync.last_status is not None, timeout=10_000)
    return win


def _page(win: MainWindow) -> SyncPage:
    win.navigate(NAV_SYNC)
    page = win.sync_page
    assert isinstance(page, SyncPage)
    return page


def _connect(qtbot: QtBot, page: SyncPage, url: str, user: str) -> None:
    from fieldsupport.ui.connect_dialog import ConnectDialog

    dialogs: list[ConnectDialog] = []

    def make(parent: object) -> ConnectDialog:
        dialog = ConnectDialog(page.controller.workspace, page)
        dialog.url.setText(url)
        dialog.user.setText(user)
        dialog.password.setText(PASSWORD)
        dialog.exec = lambda: (
            dialog.start(),
            qtbot.waitUntil(  # type: ignore[method-assign]
                lambda: (
                    dialog.result() != 0
                    or (
                        dialog.message.text().startswith(("Cannot", "The"))
                        and dialog.connect_button.isEnabled()
                    )
                ),
                timeout=10_000,
            ),
            dialog.result(),
        )[-1]
        dialogs.append(dialog)
        return dialog

    page._connect_dialog = make
    with qtbot.waitSignal(page.controller.finished, timeout=20_000):
        page.open_connect_dialog()
    assert dialogs[0].enrolment is not None


def test_not_connected_says_so_and_keeps_working(qtbot: QtBot, workspace: Workspace) -> None:
    win = _window(qtbot, workspace)
    page = _page(win)
    qtbot.waitUntil(lambda: "not connected" in page.state.text(), timeout=5_000)
    assert not page.sync_button.isEnabled()
    assert "Offline" in win.connection_label.text()
    assert win.sync.sync_now() is None  # nothing to sync with
    qtbot.waitUntil(lambda: not page.jobs.busy, timeout=5_000)  # conflicts read
    assert not page.conflict_box.isVisible() and not page.refused_box.isVisible()
    # without conflicts or refusals the status keeps its height (its lines were spread
    # over the whole page)
    win.resize(1000, 780)
    status_box = page.state.parentWidget()
    qtbot.waitUntil(lambda: page.height() > 500, timeout=5_000)
    assert status_box.height() <= status_box.sizeHint().height() + 10


def test_connect_sync_now_and_the_status_bar(
    qtbot: QtBot, workspace: Workspace, central: CentralService
) -> None:
    with BackgroundServer(central) as server:
        win = _window(qtbot, workspace)
        page = _page(win)
        refs = make_refs(workspace)
        open_case(CaseService(workspace), refs)  # work before connecting
        _connect(qtbot, page, server.url, "bo")
        qtbot.waitUntil(lambda: "Pending changes: 0" in win.pending_label.text(), timeout=10_000)
        assert f"Connected to {server.url}" in win.connection_label.text()
        assert "Last sync: never" not in win.last_sync_label.text()
        assert "Synced:" in page.message.text() and "sent" in page.message.text()
        assert status(workspace).pending == 0 and status(workspace).last_success is not None
        # an edit shows up as pending, "Sync now" sends it
        case_id = open_case(CaseService(workspace), refs)
        win.sync.refresh_status()
        qtbot.waitUntil(
            lambda: "Pending changes: 0" not in win.pending_label.text(), timeout=10_000
        )
        with qtbot.waitSignal(win.sync.finished, timeout=20_000):
            qtbot.mouseClick(page.sync_button, _left())
        win.sync.refresh_status()
        qtbot.waitUntil(lambda: "Pending changes: 0" in win.pending_label.text(), timeout=10_000)
        assert case_id
        # connecting again offers the address and user this device used (read in a worker)
        from fieldsupport.ui.connect_dialog import ConnectDialog

        again = ConnectDialog(workspace, page)
        qtbot.waitUntil(lambda: again.url.text() == server.url, timeout=10_000)
        assert again.user.text() == "bo" and again.password.text() == ""
        again.close()
        win.close()


def test_server_gone_then_back(qtbot: QtBot, workspace: Workspace, central: CentralService) -> None:
    server = BackgroundServer(central).start()
    port = server.port
    win = _window(qtbot, workspace)
    page = _page(win)
    _connect(qtbot, page, server.url, "bo")
    server.stop()
    open_case(CaseService(workspace), make_refs(workspace))
    with qtbot.waitSignal(win.sync.failed, timeout=20_000) as failed:
        win.sync_now()
    assert "Cannot reach the server" in str(failed.args[0])
    assert win.sync.offline and win.sync.retry_timer.isActive()
    assert "Sync failed" in win.last_sync_label.text()
    qtbot.waitUntil(lambda: "changes are kept" in page.message.text(), timeout=5_000)
    assert status(workspace).pending > 0  # nothing lost
    back = BackgroundServer(central, port=port).start()
    try:
        with qtbot.waitSignal(win.sync.finished, timeout=20_000):
            win.sync._probe()  # what the retry timer does every 30 s
        assert not win.sync.offline and not win.sync.retry_timer.isActive()
        assert status(workspace).pending == 0
        win.close()
    finally:
        back.stop()


def test_conflicts_are_decided_in_the_page(
    qtbot: QtBot, tmp_path: Path, central: CentralService
) -> None:
    with BackgroundServer(central) as server:
        mine = Workspace.open(tmp_path / "mine")
        other = Workspace.open(tmp_path / "other")
        other_link = enrol(server.url, other, "anna")
        try:
            service = CaseService(mine)
            case_id = open_case(service, make_refs(mine))
            walk(service, case_id, TO_RESOLVED[:2])
            win = _window(qtbot, mine)
            page = _page(win)
            _connect(qtbot, page, server.url, "bo")
            SyncClient(other, other_link).run()
            CaseService(other).update_description(case_id, "from anna's laptop")
            SyncClient(other, other_link).run()
            CaseService(mine).update_description(case_id, "from the office")
            with qtbot.waitSignal(win.sync.finished, timeout=20_000):
                win.sync_now()
            qtbot.waitUntil(lambda: page.conflict_table.rowCount() == 1, timeout=10_000)
            assert page.conflict_box.isVisible()
            assert "from anna's laptop" in page.conflict_table.item(0, 2).text()
            assert page.conflict_table.item(0, 3).text() == "from the office (yours)"
            win.sync.refresh_status()
            qtbot.waitUntil(lambda: "1 conflicts" in win.pending_label.text(), timeout=10_000)
            qtbot.mouseClick(page.take_button, _left())  # written in a worker
            qtbot.waitUntil(
                lambda: "waiting to be sent" in page.conflict_table.item(0, 5).text(),
                timeout=10_000,
            )
            with qtbot.waitSignal(win.sync.finished, timeout=20_000):
                win.sync_now()
            qtbot.waitUntil(lambda: page.conflict_table.rowCount() == 0, timeout=10_000)
            SyncClient(other, other_link).run()
            for ws in (mine, other):
                with ws.transaction() as s:
                    assert s.get(Case, case_id).description == "from the office"  # type: ignore[union-attr]
            win.close()
        finally:
            other_link.close()
            other.close()
            mine.close()


def test_the_demo_starts_its_embedded_server_and_syncs(qtbot: QtBot, tmp_path: Path) -> None:
    demo = Workspace.open(tmp_path / "demo-workspace")
    try:
        create_demo(demo, cases=30, seed=3)
        win = _window(qtbot, demo)
        embedded = EmbeddedServer(demo)
        with qtbot.waitSignal(win.sync.finished, timeout=60_000) as done:
            win.sync.start_embedded(embedded)
        assert done.args[0].divergent == {} and done.args[0].rejected == 0
        qtbot.waitUntil(
            lambda: (
                "Connected to http://127.0.0.1" in win.connection_label.text()
                and "Pending changes: 0" in win.pending_label.text()
            ),
            timeout=10_000,
        )
        win.close()  # stops the embedded server: no thread is left running
        assert embedded.url is None
    finally:
        demo.close()


def _left() -> object:
    from PySide6.QtCore import Qt

    return Qt.MouseButton.LeftButton


def test_the_first_sync_starts_from_the_servers_snapshot_while_the_window_runs(
    qtbot: QtBot, workspace: Workspace, central: CentralService, tmp_path: Path
) -> None:
    with BackgroundServer(central) as server:
        other = Workspace.open(tmp_path / "other")
        try:
            refs = make_refs(other)
            case_id = open_case(CaseService(other), refs)
            transport = enrol(server.url, other, "bo")
            SyncClient(other, transport).run()
            transport.close()
        finally:
            other.close()
        made = central.snapshots.refresh(central.accounts.account_principal("bo"))
        win = _window(qtbot, workspace)
        assert win.cases.model.rowCount() == 0
        page = _page(win)
        _connect(qtbot, page, server.url, "bo")  # connecting runs the first sync
        assert f"{made['records']} received" in page.message.text()
        assert workspace.get_setting("sync.cursor") == made["cursor"]
        # the window goes on with the new database: the list shows the case, which opens
        with qtbot.waitSignal(win.cases.cases_loaded, timeout=10_000):
            win.cases.reload()
        assert win.cases.model.rowCount() == 1
        with qtbot.waitSignal(win.case_file.case_loaded, timeout=10_000):
            win.case_file.load(case_id)
        # and keeps working on it: an edit is captured and sent
        CaseService(workspace).update_description(case_id, "Seen on the new laptop.")
        with qtbot.waitSignal(win.sync.finished, timeout=20_000):
            qtbot.mouseClick(page.sync_button, _left())
        assert status(workspace).pending == 0
        win.close()
