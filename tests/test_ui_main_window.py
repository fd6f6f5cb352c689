"""The first window, offscreen: lists the workspace's cases, searches and sorts in SQL, and
never loads on the GUI thread what it can load in a worker."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from fieldsupport.demo.generator import create_demo
from fieldsupport.ui.main_window import MainWindow
from fieldsupport.workspace import Workspace
from tests.conftest import FIXED_REFERENCE


@pytest.fixture
def demo_workspace(tmp_path: Path) -> Iterator[Workspace]:
    ws = Workspace.open(tmp_path / "ws")
    create_demo(ws, cases=250, reference=datetime.fromisoformat(FIXED_REFERENCE))
    try:
        yield ws
    finally:
        ws.close()


@pytest.fixture
def window(qtbot: QtBot, demo_workspace: Workspace) -> MainWindow:
    win = MainWindow(demo_workspace)
    qtbot.addWidget(win)
    with qtbot.waitSignal(win.cases.cases_loaded, timeout=10_000):
        win.show()
    return win


def test_window_lists_every_case_and_paints(qtbot: QtBot, window: MainWindow) -> None:
    # the demo's user has cases of their own: "My cases" (open ones) is the start page
    assert window.nav.currentRow() == 0 and window.cases.mine.isChecked()
    with qtbot.waitSignal(window.cases.cases_loaded, timeout=10_000):
        window.navigate(1)  # All cases
    with qtbot.waitSignal(window.cases.cases_loaded, timeout=10_000):
        window.cases.status_filter.setCurrentIndex(1)  # any status
    assert window.model.rowCount() == 250
    assert window.count_label.text() == "250 cases"
    first = window.model.index(0, 0).data()
    assert first.startswith("FS-")
    # rows beyond the first page are fetched on demand
    assert window.model.index(249, 0).data().startswith("FS-")
    # the first page is painted as soon as it arrives (maybe before the full id list)
    qtbot.waitUntil(lambda: window.painted, timeout=10_000)
    assert window.table.accessibleName() == "Case list"
    assert window.search.accessibleName() == "Search cases"


def test_search_as_you_type(qtbot: QtBot, window: MainWindow) -> None:
    number = window.model.index(17, 0).data()
    # typed key by key: the debounce means one query for the whole number
    with qtbot.waitSignal(window.cases.cases_loaded, timeout=10_000) as blocker:
        qtbot.keyClicks(window.search, number)
    assert blocker.args[0] == 1
    assert window.model.index(0, 0).data() == number


def test_search_filters_in_sql(qtbot: QtBot, window: MainWindow) -> None:
    customer = window.model.index(0, 1).data()
    # (QTest can only type ASCII; customer names are Polish, Greek, Turkish...)
    with qtbot.waitSignal(window.cases.cases_loaded, timeout=10_000) as blocker:
        window.search.setText(customer[:12])
    count = blocker.args[0]
    assert 0 < count < 250
    for row in range(count):
        assert window.model.index(row, 1).data().startswith(customer[:12])
    with qtbot.waitSignal(window.cases.cases_loaded, timeout=10_000):
        window.search.setText("no such case anywhere")
    assert window.model.rowCount() == 0


def test_header_click_sorts_by_case_number(qtbot: QtBot, window: MainWindow) -> None:
    header = window.table.horizontalHeader()
    header.setSortIndicator(0, Qt.SortOrder.AscendingOrder)
    with qtbot.waitSignal(window.cases.cases_loaded, timeout=10_000):
        header.sectionClicked.emit(0)
    numbers = [window.model.index(r, 0).data() for r in range(window.model.rowCount())]
    assert numbers == sorted(numbers)
    header.setSortIndicator(0, Qt.SortOrder.DescendingOrder)
    with qtbot.waitSignal(window.cases.cases_loaded, timeout=10_000):
        header.sectionClicked.emit(0)
    assert window.model.index(0, 0).data() == max(numbers)


def test_unsortable_column_does_nothing(window: MainWindow) -> None:
    before, reloads = window.model.query, window.cases._generation
    window.cases._sort_by(2)  # site: not sortable in SQL
    assert window.model.query is before
    assert window.cases._generation == reloads  # no reload was started


def test_first_paint_signal_and_deferred_start_up_work(
    qtbot: QtBot, demo_workspace: Workspace
) -> None:
    old = demo_workspace.backups_dir / "fieldsupport-20200101T000000000000Z-rev0001.db"
    for i in range(12):
        old.with_name(old.name.replace("0000Z", f"{i:04d}Z")).write_bytes(b"old")
    win = MainWindow(demo_workspace)
    qtbot.addWidget(win)
    with qtbot.waitSignal(win.first_paint, timeout=10_000):
        win.show()
    assert win.model.rowCount() > 0
    # pruning old backups runs in a worker only after the first paint
    qtbot.waitUntil(lambda: len(list(demo_workspace.backups_dir.iterdir())) == 10)


def test_help_menu_opens_the_about_dialog(qtbot: QtBot, window: MainWindow) -> None:
    menus = {a.text().replace("&", ""): a.menu() for a in window.menuBar().actions()}
    assert set(menus) >= {"Tools", "Help"}
    (about,) = [a for a in menus["Help"].actions() if a.text() == "About FieldSupport"]
    about.trigger()
    qtbot.waitUntil(lambda: window.about_dialog.isVisible(), timeout=5_000)
    assert "FieldSupport" in window.about_dialog.heading.text()
    window.about_dialog.close()
