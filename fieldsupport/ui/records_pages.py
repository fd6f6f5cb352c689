"""Pages listing what exists on this device: training sessions and the sync state."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QLabel, QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget

from fieldsupport.services.catalog import CatalogService, TrainingRow
from fieldsupport.ui.jobs import JobRunner
from fieldsupport.ui.widgets import fit_columns, format_time


class _TablePage(QWidget):
    loaded = Signal(int)

    def __init__(self, name: str, headers: list[str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName(name)
        self.jobs = JobRunner(self)
        self.summary = QLabel(self)
        self.table = QTableWidget(0, len(headers), self)
        self.table.setAccessibleName(name)
        self.table.setHorizontalHeaderLabels(headers)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        self.table.setAlternatingRowColors(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.summary)
        layout.addWidget(self.table, 1)
        self._loaded = False

    def showEvent(self, event: object) -> None:
        super().showEvent(event)  # type: ignore[arg-type]
        if not self._loaded:
            self._loaded = True
            self.reload()

    def reload(self) -> None:
        raise NotImplementedError

    def _fill(self, rows: list[list[str]]) -> None:
        self.table.setRowCount(0)
        for cells in rows:
            index = self.table.rowCount()
            self.table.insertRow(index)
            for column, text in enumerate(cells):
                self.table.setItem(index, column, QTableWidgetItem(text))
        fit_columns(self.table)
        self.loaded.emit(len(rows))


class TrainingPage(_TablePage):
    """Every training session on this device; a session opens in its case's file
    (double-click or Enter), where its attendance list is."""

    session_requested = Signal(str, str)  # case id, session id

    def __init__(self, catalog: CatalogService, parent: QWidget | None = None) -> None:
        super().__init__(
            self.tr("Training sessions"),
            [self.tr(h) for h in ("Topic", "Customer", "Start", "Minutes", "Attendees")],
            parent,
        )
        self._catalog = catalog
        self._rows: list[TrainingRow] = []
        self.table.setToolTip(self.tr("Double-click a session to open it in its case"))
        self.table.itemActivated.connect(lambda item: self.open_row(item.row()))

    def open_row(self, row: int) -> None:
        if not 0 <= row < len(self._rows):
            return
        chosen = self._rows[row]
        if chosen.case_id is None:
            self.summary.setText(
                self.tr("{0} belongs to no case: it is kept with {1} only.").format(
                    chosen.topic, chosen.customer
                )
            )
            return
        self.session_requested.emit(chosen.case_id, chosen.id)

    def reload(self) -> None:
        catalog = self._catalog
        self.jobs.run(lambda _t: catalog.training_sessions(), self._show)

    def _show(self, rows: list[TrainingRow]) -> None:
        self._rows = rows
        self.summary.setText(self.tr("{0} training sessions on this device.").format(len(rows)))
        self._fill(
            [
                [
                    r.topic,
                    r.customer,
                    format_time(r.started_at),
                    str(r.duration_minutes),
                    str(r.attendees),
                ]
                for r in rows
            ]
        )
