"""Table model for the case list: the ordered ids of the matching cases, and the rows
of the pages the view has shown.

Filtering and sorting are pushed down to SQL by changing the query: the id list is loaded
in a worker (:meth:`CaseTableModel.prepare`) and installed on the GUI thread
(:meth:`CaseTableModel.apply`). A page of rows by id takes a few milliseconds wherever it is
in the list, so pages are fetched as the view needs them.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor

from fieldsupport.services.case_queries import (
    OPEN_STATUSES,
    CaseListService,
    CaseQuery,
    SlaFilter,
    SortKey,
    end_of_local_day,
)
from fieldsupport.services.views import CaseRow

PAGE_SIZE = 200
ModelIndex = QModelIndex | QPersistentModelIndex

# (header, sort key or None if the column is not sortable in SQL)
COLUMNS: list[tuple[str, SortKey | None]] = [
    ("Case", SortKey.CASE_NUMBER),
    ("Customer", SortKey.CUSTOMER),
    ("Site", None),
    ("Type", SortKey.ASSIST_TYPE),
    ("Priority", SortKey.PRIORITY),
    ("Status", SortKey.STATUS),
    ("SLA due", SortKey.RESOLUTION_DUE),
    ("Assignee", None),
    ("Last update", SortKey.UPDATED_AT),
]


@dataclass(frozen=True)
class Prepared:
    query: CaseQuery
    ids: list[str]
    first_page: list[CaseRow]
    complete: bool  # False: only the first ids, the full list is on its way


SLA_COLOURS = {
    SlaFilter.BREACHED: QColor("#b3261e"),
    SlaFilter.DUE_TODAY: QColor("#9a6700"),
    SlaFilter.ON_TRACK: QColor("#1f6f43"),
}
SLA_TEXT = {
    SlaFilter.BREACHED: "Resolution target breached",
    SlaFilter.DUE_TODAY: "Resolution due today",
    SlaFilter.ON_TRACK: "On track",
}


def sla_state(row: CaseRow, now: datetime | None = None) -> SlaFilter | None:
    """Where an open case stands against its resolution target (None: closed or no target),
    with the same boundaries as the SLA filter of the query."""
    if row.status not in OPEN_STATUSES or row.resolution_due is None:
        return None
    now = now or datetime.now(UTC)
    if row.resolution_due < now:
        return SlaFilter.BREACHED
    if row.resolution_due < end_of_local_day(now):
        return SlaFilter.DUE_TODAY
    return SlaFilter.ON_TRACK


class CaseTableModel(QAbstractTableModel):
    def __init__(self, service: CaseListService, parent: Any = None) -> None:
        super().__init__(parent)
        self._service = service
        self._query = CaseQuery()
        self._ids: list[str] = []
        self._pages: dict[int, list[CaseRow]] = {}

    # -- loading (the heavy part can run in a worker: see prepare / apply) -------------------
    @property
    def query(self) -> CaseQuery:
        return self._query

    def prepare(self, query: CaseQuery, limit: int | None = None) -> Prepared:
        """Ids (all, or the first ``limit``) and first page for ``query``.

        Runs in a worker: uses the service, touches no Qt state.
        """
        ids = self._service.ids(query, limit=limit)
        return Prepared(query, ids, self._service.rows(ids[:PAGE_SIZE]), limit is None)

    def apply(self, prepared: Prepared) -> None:
        """Install a prepared result (GUI thread)."""
        self.beginResetModel()
        self._query = prepared.query
        self._ids = prepared.ids
        self._pages = {0: prepared.first_page}
        self.endResetModel()

    def row_at(self, row: int) -> CaseRow | None:
        if not 0 <= row < len(self._ids):
            return None
        page_index = row // PAGE_SIZE
        page = self._pages.get(page_index)
        if page is None:
            # ~200 rows by primary key: a few milliseconds at any depth of the list
            start = page_index * PAGE_SIZE
            page = self._service.rows(self._ids[start : start + PAGE_SIZE])
            self._pages[page_index] = page
        offset = row - page_index * PAGE_SIZE
        return page[offset] if offset < len(page) else None

    # -- Qt model interface -------------------------------------------------------------------
    def rowCount(self, parent: ModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._ids)

    def columnCount(self, parent: ModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation is Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self.tr(COLUMNS[section][0])
        return None

    def data(self, index: ModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        row = self.row_at(index.row())
        if row is None:
            return None
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(row, column)
        if role == Qt.ItemDataRole.ForegroundRole and column == 6:
            state = sla_state(row)
            return None if state is None else QBrush(SLA_COLOURS[state])
        if role == Qt.ItemDataRole.ToolTipRole and column == 0:
            return row.title
        if role == Qt.ItemDataRole.ToolTipRole and column == 6:
            # colour alone is not enough (colour blindness, screen readers)
            state = sla_state(row)
            return None if state is None else self.tr(SLA_TEXT[state])
        if role == Qt.ItemDataRole.UserRole:
            return row.id
        return None

    def _display(self, row: CaseRow, column: int) -> str:
        if column == 0:
            return row.case_number
        if column == 1:
            return row.customer
        if column == 2:
            return row.site or ""
        if column == 3:
            return row.assist_type.label
        if column == 4:
            return self.tr(row.priority.value.capitalize())
        if column == 5:
            return self.tr(row.status.label)
        if column == 6:
            return _format_time(row.resolution_due)
        if column == 7:
            return row.assignee or ""
        return _format_time(row.updated_at)

    def row_of(self, case_id: str) -> int | None:
        try:
            return self._ids.index(case_id)
        except ValueError:
            return None

    def sort_query(self, column: int, order: Qt.SortOrder) -> CaseQuery | None:
        """The query for sorting by ``column``, or None if that column does not sort."""
        key = COLUMNS[column][1]
        if key is None:
            return None
        return replace(self._query, sort=key, descending=order == Qt.SortOrder.DescendingOrder)


def _format_time(value: datetime | None) -> str:
    if value is None:
        return ""
    return value.astimezone().strftime("%Y-%m-%d %H:%M")
