"""The case list page: search as you type, filters and sorting, all done in SQL."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from PySide6.QtCore import QEvent, QModelIndex, QObject, Qt, QTimer, Signal, Slot
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from fieldsupport.models.enums import AssistType, CaseStatus, Priority
from fieldsupport.services.case_queries import CaseListService, CaseQuery, SlaFilter
from fieldsupport.ui.case_table_model import COLUMNS, PAGE_SIZE, CaseTableModel, Prepared
from fieldsupport.ui.jobs import JobRunner
from fieldsupport.ui.widgets import TOUCH_HEIGHT

FULL_LIST_DEBOUNCE_MS = 300
# "Open" is the default status filter: a field engineer's list is the work still to do.
_OPEN = "open"


class CaseListPage(QWidget):
    #: emitted once, the first time the table is painted with rows
    first_paint = Signal()
    #: emitted whenever a (re)load of the list has been applied, with the row count
    cases_loaded = Signal(int)
    #: emitted when new rows are shown (the first page of a query, or the full list)
    rows_shown = Signal()
    #: the user opened a case (double click, Enter, or moving the selection)
    case_selected = Signal(str)

    def __init__(
        self, service: CaseListService, *, mine_user_id: str | None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setAccessibleName(self.tr("Cases"))
        self.jobs = JobRunner(self)
        self._mine_user_id = mine_user_id
        self._generation = 0
        self._complete_generation = -1
        self._loaded_once = False
        self.painted = False

        self.search = QLineEdit(self)
        self.search.setPlaceholderText(
            self.tr("Search cases: number, customer, site, description, notes…")
        )
        self.search.setAccessibleName(self.tr("Search cases"))
        self.search.setClearButtonEnabled(True)
        self.search.setMinimumHeight(TOUCH_HEIGHT)

        self.status_filter = self._combo(
            self.tr("Status filter"),
            [(self.tr("Open cases"), _OPEN), (self.tr("Any status"), None)]
            + [(self.tr(s.label), s) for s in CaseStatus],
        )
        self.type_filter = self._combo(
            self.tr("Assist type filter"),
            [(self.tr("Any type"), None)] + [(t.label, t) for t in AssistType],
        )
        self.priority_filter = self._combo(
            self.tr("Priority filter"),
            [(self.tr("Any priority"), None)]
            + [(self.tr(p.value.capitalize()), p) for p in Priority],
        )
        self.sla_filter = self._combo(
            self.tr("SLA filter"),
            [
                (self.tr("Any SLA state"), None),
                (self.tr("SLA breached"), SlaFilter.BREACHED),
                (self.tr("Due today"), SlaFilter.DUE_TODAY),
                (self.tr("On track"), SlaFilter.ON_TRACK),
            ],
        )
        self.mine = QCheckBox(self.tr("Mine"), self)
        self.mine.setAccessibleName(self.tr("Only my cases"))
        self.mine.setMinimumHeight(TOUCH_HEIGHT)
        self.mine.setEnabled(mine_user_id is not None)

        self.model = CaseTableModel(service, self)
        self.table = QTableView(self)
        self.table.setAccessibleName(self.tr("Case list"))
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)  # one line a row: fixed row height, fast scrolling
        self.table.setSortingEnabled(False)  # sorting is done in SQL via the header click
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(TOUCH_HEIGHT)
        header = self.table.horizontalHeader()
        header.setSectionsClickable(True)
        header.setSortIndicatorShown(True)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        header.sectionClicked.connect(self._sort_by)
        for column, width in enumerate((135, 200, 130, 120, 75, 140, 125, 120, 125)):
            self.table.setColumnWidth(column, width)
        initial = CaseQuery(open_only=True)
        header.setSortIndicator(
            next(i for i, (_title, key) in enumerate(COLUMNS) if key is initial.sort),
            Qt.SortOrder.DescendingOrder if initial.descending else Qt.SortOrder.AscendingOrder,
        )
        self.table.viewport().installEventFilter(self)
        self.table.activated.connect(self._activated)
        self.count_label = QLabel(self.tr("Loading cases…"), self)
        self.count_label.setAccessibleName(self.tr("Case count"))

        # search on a line of its own: it keeps a usable width on a 1366-pixel laptop
        filters = QHBoxLayout()
        for widget in (self.status_filter, self.type_filter, self.priority_filter):
            filters.addWidget(widget, 1)
        filters.addWidget(self.sla_filter, 1)
        filters.addWidget(self.mine)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.search)
        layout.addLayout(filters)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.count_label)

        self._pending_full: tuple[int, CaseQuery] = (0, CaseQuery())
        self._full_list_timer = QTimer(self)
        self._full_list_timer.setSingleShot(True)
        self._full_list_timer.timeout.connect(self._load_full_list)
        self.search.textChanged.connect(self._search_typed)
        for combo in (self.status_filter, self.type_filter, self.priority_filter, self.sla_filter):
            combo.currentIndexChanged.connect(self.apply_filters)
        self.mine.toggled.connect(self.apply_filters)
        self.reload(initial)

    def _combo(self, name: str, items: list[tuple[str, Any]]) -> QComboBox:
        combo = QComboBox(self)
        combo.setAccessibleName(name)
        combo.setMinimumHeight(TOUCH_HEIGHT)
        # may shrink below its longest entry, so the page fits narrow (tablet) screens
        combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        combo.setMinimumContentsLength(6)
        for text, value in items:
            combo.addItem(text, value)
        return combo

    # -- query ------------------------------------------------------------------------------
    def current_query(self) -> CaseQuery:
        # item data comes back from Qt as plain strings: turn them into the enums again
        status = self.status_filter.currentData()
        kind = self.type_filter.currentData()
        priority = self.priority_filter.currentData()
        sla = self.sla_filter.currentData()
        return replace(
            self.model.query,
            text=self.search.text(),
            open_only=status == _OPEN,
            statuses=(CaseStatus(status),) if status and status != _OPEN else (),
            assist_types=(AssistType(kind),) if kind else (),
            priorities=(Priority(priority),) if priority else (),
            sla=SlaFilter(sla) if sla else None,
            assignee_id=self._mine_user_id if self.mine.isChecked() else None,
        )

    def show_mine(self, mine: bool) -> None:
        """The navigation's "My cases" / "All cases"."""
        if self.mine.isChecked() != mine:
            self.mine.setChecked(mine)  # reloads through toggled

    @Slot()
    def apply_filters(self) -> None:
        self.reload(self.current_query())

    @Slot()
    def _search_typed(self) -> None:
        # the first page at once (a keystroke shows rows in tens of milliseconds); the full
        # id list, which can take half a second, only once typing pauses
        self.reload(self.current_query(), full_list_delay_ms=FULL_LIST_DEBOUNCE_MS)

    def reload(self, query: CaseQuery | None = None, *, full_list_delay_ms: int = 0) -> None:
        """Load the cases of ``query`` in workers; apply them on the GUI thread.

        Two jobs: the first page alone (shown at once) and the full id list (half a second
        on 100,000 cases). A newer reload makes older results stale.
        """
        query = query or self.model.query
        self._generation += 1
        generation = self._generation
        model = self.model
        self.jobs.run(
            lambda _task: model.prepare(query, limit=PAGE_SIZE),
            lambda prepared: self._apply_loaded(generation, prepared),
        )
        self._pending_full = (generation, query)
        self._full_list_timer.start(full_list_delay_ms)

    @Slot()
    def _load_full_list(self) -> None:
        generation, query = self._pending_full
        if generation != self._generation:
            return
        model = self.model
        self.jobs.run(
            lambda _task: model.prepare(query),
            lambda prepared: self._apply_loaded(generation, prepared),
        )

    def _apply_loaded(self, generation: int, prepared: Prepared) -> None:
        if generation != self._generation or (
            not prepared.complete and self._complete_generation == generation
        ):
            return  # stale: a newer query, or the full list already arrived
        selected = self.selected_case_id()
        self.model.apply(prepared)
        self._loaded_once = True
        self.table.viewport().update()
        if selected is not None:
            row = self.model.row_of(selected)
            if row is not None:
                self.table.selectRow(row)
        self.rows_shown.emit()
        if prepared.complete:
            self._complete_generation = generation
            count = self.model.rowCount()
            self.count_label.setText(self.tr("{0} cases").format(f"{count:,}"))
            self.cases_loaded.emit(count)

    @Slot(int)
    def _sort_by(self, column: int) -> None:
        header = self.table.horizontalHeader()
        query = self.model.sort_query(column, header.sortIndicatorOrder())
        if query is None:
            return
        self.reload(query)

    # -- selection --------------------------------------------------------------------------
    def selected_case_id(self) -> str | None:
        rows = self.table.selectionModel().selectedRows()
        if not rows:
            return None
        value = rows[0].data(Qt.ItemDataRole.UserRole)
        return value if isinstance(value, str) else None

    @Slot(QModelIndex)
    def _activated(self, index: QModelIndex) -> None:
        case_id = index.data(Qt.ItemDataRole.UserRole)
        if isinstance(case_id, str):
            self.case_selected.emit(case_id)

    def step(self, delta: int) -> None:
        """Select and open the next (+1) or previous (-1) case of the list."""
        count = self.model.rowCount()
        if count == 0:
            return
        current = self.table.currentIndex().row()
        row = 0 if current < 0 else min(max(current + delta, 0), count - 1)
        index = self.model.index(row, 0)
        self.table.setCurrentIndex(index)
        self.table.scrollTo(index)
        self._activated(index)

    # -- first paint ------------------------------------------------------------------------
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (
            not self.painted
            and self._loaded_once
            and watched is self.table.viewport()
            and event.type() == QEvent.Type.Paint
        ):
            self.painted = True
            QTimer.singleShot(0, self.first_paint.emit)
        return super().eventFilter(watched, event)
