"""The first window: the workspace's cases. The full workbench grows from here."""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMainWindow,
    QMessageBox,
    QTableView,
    QToolBar,
    QWidget,
)

from fieldsupport.services.case_queries import CaseListService, CaseQuery
from fieldsupport.store.migrate import prune_backups
from fieldsupport.ui.case_table_model import COLUMNS, PAGE_SIZE, CaseTableModel, Prepared
from fieldsupport.ui.operations import Operation
from fieldsupport.workspace import Workspace

log = logging.getLogger(__name__)

SEARCH_DEBOUNCE_MS = 250


class MainWindow(QMainWindow):
    #: emitted once, the first time the case table is painted with its rows
    first_paint = Signal()
    #: emitted whenever a (re)load of the case list has been applied
    cases_loaded = Signal(int)

    def __init__(self, workspace: Workspace, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.workspace = workspace
        self._operations: set[Operation] = set()
        self._loaded_once = False
        self.painted = False
        self._generation = 0
        self._complete_generation = -1
        self.setWindowTitle(self.tr("FieldSupport — {0}").format(workspace.root.name))
        self.setAccessibleName(self.tr("FieldSupport main window"))
        self.resize(1280, 760)

        self.model = CaseTableModel(CaseListService(workspace), self)
        self.table = QTableView(self)
        self.table.setAccessibleName(self.tr("Case list"))
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setAlternatingRowColors(True)
        self.table.setSortingEnabled(False)  # sorting is done in SQL via the header click
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(30)  # touch-friendly rows
        header = self.table.horizontalHeader()
        header.setSectionsClickable(True)
        header.setSortIndicatorShown(True)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        header.sectionClicked.connect(self._sort_by)
        # fits a 1366-pixel laptop screen without horizontal scrolling
        for column, width in enumerate((135, 215, 160, 135, 75, 150, 130, 140, 125)):
            self.table.setColumnWidth(column, width)
        # show the initial query's order
        initial = CaseQuery()
        header.setSortIndicator(
            next(i for i, (_title, key) in enumerate(COLUMNS) if key is initial.sort),
            Qt.SortOrder.DescendingOrder if initial.descending else Qt.SortOrder.AscendingOrder,
        )
        self.setCentralWidget(self.table)
        self.table.viewport().installEventFilter(self)

        toolbar = QToolBar(self.tr("Cases"), self)
        toolbar.setObjectName("casesToolbar")
        toolbar.setMovable(False)
        self.search = QLineEdit(toolbar)
        self.search.setPlaceholderText(self.tr("Search cases (number, title, customer)…"))
        self.search.setAccessibleName(self.tr("Search cases"))
        self.search.setClearButtonEnabled(True)
        self.search.setMinimumHeight(32)
        self.search.setMaximumWidth(420)
        toolbar.addWidget(self.search)
        self.addToolBar(toolbar)
        find = QAction(self.tr("Find"), self)
        find.setShortcut(QKeySequence.StandardKey.Find)
        find.triggered.connect(lambda: self.search.setFocus(Qt.FocusReason.ShortcutFocusReason))
        self.addAction(find)

        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(SEARCH_DEBOUNCE_MS)
        self._debounce.timeout.connect(self._search_now)
        self.search.textChanged.connect(lambda _text: self._debounce.start())

        self.count_label = QLabel(self.tr("Loading cases…"), self)
        self.count_label.setAccessibleName(self.tr("Case count"))
        self.connection_label = QLabel(self.tr("Offline"), self)
        self.connection_label.setAccessibleName(self.tr("Connection state"))
        self.statusBar().addWidget(self.count_label)
        self.statusBar().addPermanentWidget(self.connection_label)
        self.statusBar().addPermanentWidget(QLabel(str(workspace.root), self))

        self.reload(CaseQuery())

    # -- loading ------------------------------------------------------------------------------
    def reload(self, query: CaseQuery) -> None:
        """Load the cases of ``query`` in workers; apply on the GUI thread.

        Two jobs: the first page alone (shown at once) and the full id list (which can take
        half a second on 100,000 cases). A newer reload makes older results stale.
        """
        self._generation += 1
        generation = self._generation
        model = self.model
        self._run(
            lambda _task: model.prepare(query, limit=PAGE_SIZE),
            lambda prepared: self._apply_loaded(generation, prepared),
        )
        self._run(
            lambda _task: model.prepare(query),
            lambda prepared: self._apply_loaded(generation, prepared),
        )

    def _apply_loaded(self, generation: int, prepared: Prepared) -> None:
        if generation != self._generation or (
            not prepared.complete and self._complete_generation == generation
        ):
            return  # stale: a newer query, or the full list already arrived
        self.model.apply(prepared)
        self._loaded_once = True
        self.table.viewport().update()
        if prepared.complete:
            self._complete_generation = generation
            count = self.model.rowCount()
            self.count_label.setText(self.tr("{0} cases").format(f"{count:,}"))
            self.cases_loaded.emit(count)

    def _run(self, job: Any, on_success: Any, label: str | None = None) -> Operation:
        operation = Operation(
            job, parent=self, on_success=on_success, on_failure=self._show_error, label=label
        )
        self._operations.add(operation)
        operation.finished.connect(lambda: self._operations.discard(operation))
        return operation

    def _show_error(self, error: BaseException) -> None:
        log.error("operation failed: %s", error)
        QMessageBox.warning(self, self.tr("FieldSupport"), str(error))

    @Slot()
    def _search_now(self) -> None:
        self.reload(replace(self.model.query, text=self.search.text()))

    @Slot(int)
    def _sort_by(self, column: int) -> None:
        header = self.table.horizontalHeader()
        query = self.model.sort_query(column, header.sortIndicatorOrder())
        if query is None:
            return
        self.reload(query)

    # -- start-up ---------------------------------------------------------------------------
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (
            not self.painted
            and self._loaded_once
            and watched is self.table.viewport()
            and event.type() == QEvent.Type.Paint
        ):
            self.painted = True
            # after this paint is done: first_paint, then the deferred start-up work
            QTimer.singleShot(0, self._after_first_paint)
        return super().eventFilter(watched, event)

    @Slot()
    def _after_first_paint(self) -> None:
        self.first_paint.emit()
        backups = self.workspace.backups_dir
        self._run(lambda _task: prune_backups(backups), lambda _removed: None)

    def closeEvent(self, event: Any) -> None:
        # let running jobs finish: they hold database connections of this workspace
        from PySide6.QtCore import QThreadPool

        QThreadPool.globalInstance().waitForDone(10_000)
        super().closeEvent(event)
