"""KPIs page: the support measures per period, engineer, customer or assist type, as a table
and a bar chart (Qt Charts), with a CSV export. Computed in a worker."""

from __future__ import annotations

import math
from dataclasses import fields
from datetime import UTC, datetime
from pathlib import Path

from PySide6.QtCharts import QBarCategoryAxis, QBarSeries, QBarSet, QChart, QChartView, QValueAxis
from PySide6.QtCore import QDate, Qt, Slot
from PySide6.QtGui import QPainter, QShowEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateEdit,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from fieldsupport.services.kpis import Dimension, KpiRow, KpiService, write_csv
from fieldsupport.tasks import TaskState
from fieldsupport.ui.jobs import JobRunner
from fieldsupport.ui.widgets import InlineMessage, fit_columns, touch_button

DIMENSIONS = (
    (Dimension.PERIOD, "Month opened"),
    (Dimension.ENGINEER, "Engineer"),
    (Dimension.CUSTOMER, "Customer"),
    (Dimension.ASSIST_TYPE, "Assist type"),
    (Dimension.ALL, "All cases"),
)
MEASURES = (
    ("first_response_hours_median", "First response, median hours"),
    ("resolution_hours_median", "Resolution, median hours"),
    ("sla_met_percent", "SLA met %"),
    ("first_time_fix_percent", "First-time fix %"),
    ("csat_mean", "CSAT (1-5)"),
    ("cases", "Cases"),
)
HEADERS = {
    "group": "Group",
    "cases": "Cases",
    "responded": "Responded",
    "first_response_hours_median": "First response h (median)",
    "first_response_hours_mean": "First response h (mean)",
    "resolved": "Resolved",
    "resolution_hours_median": "Resolution h (median)",
    "resolution_hours_mean": "Resolution h (mean)",
    "sla_met_percent": "SLA met %",
    "first_time_fix_percent": "First-time fix %",
    "csat_mean": "CSAT",
    "csat_count": "CSAT answers",
}
CHART_GROUPS = 25  # more bars than this are unreadable; the table has them all
LABEL_CHARS = 18  # a longer group name is cut (with "…") under its bar; the table has it all


def _cell(name: str, value: object) -> str:
    """A table cell: one number of decimals per column, so that the figures line up."""
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:.1f}" if name.endswith("_percent") else f"{value:.2f}"
    return str(value)


def nice_scale(highest: float) -> tuple[float, int]:
    """The top of a value axis from 0 and its tick count: steps of 1, 2 or 5 times a power of
    ten, at most 6 of them (0, 20, 40, 60 rather than 0, 15.9, 31.7, 47.6)."""
    highest = max(highest, 1e-9)
    power = 10 ** math.floor(math.log10(highest))
    step = next(f * power for f in (0.1, 0.2, 0.5, 1, 2, 5, 10) if highest / (f * power) <= 6)
    steps = math.ceil(highest / step - 1e-9)
    return steps * step, steps + 1


def ordered(rows: list[KpiRow], dimension: Dimension) -> list[KpiRow]:
    """The table's (and the chart's) order: engineers and customers by their number of
    cases, most first (the chart shows the first ``CHART_GROUPS``); months, assist types in
    their own order (the chart shows the latest months)."""
    if dimension in (Dimension.ENGINEER, Dimension.CUSTOMER):
        return sorted(rows, key=lambda r: (-r.cases, r.group))
    return list(rows)


def chart_rows(rows: list[KpiRow], dimension: Dimension) -> list[KpiRow]:
    """The groups the chart has room for, in the table's order."""
    if dimension in (Dimension.ENGINEER, Dimension.CUSTOMER):
        return rows[:CHART_GROUPS]
    return rows[-CHART_GROUPS:]


def _label(group: str) -> str:
    return group if len(group) <= LABEL_CHARS else group[: LABEL_CHARS - 1] + "…"


class KpiPage(QWidget):
    def __init__(self, kpis: KpiService, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName(self.tr("Key performance indicators"))
        self.kpis = kpis
        self.jobs = JobRunner(self)
        self.rows: list[KpiRow] = []
        self._dimension = Dimension.PERIOD
        self._computed = False

        self.dimension = QComboBox(self)
        self.dimension.setAccessibleName(self.tr("Group by"))
        for value, label in DIMENSIONS:
            self.dimension.addItem(self.tr(label), value.value)
        self.measure = QComboBox(self)
        self.measure.setAccessibleName(self.tr("Measure in the chart"))
        for name, label in MEASURES:
            self.measure.addItem(self.tr(label), name)
        self.measure.currentIndexChanged.connect(self._draw_chart)
        self.limit = QCheckBox(self.tr("Opened from"), self)
        self.since = QDateEdit(self)
        self.until = QDateEdit(self)
        for edit, label in ((self.since, "From"), (self.until, "Until")):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("yyyy-MM-dd")
            edit.setAccessibleName(self.tr(label))
        today = QDate.currentDate()
        self.since.setDate(today.addYears(-1))
        self.until.setDate(today)
        self.refresh_button = touch_button(self.tr("Compute"), self)
        self.refresh_button.clicked.connect(self.refresh)
        self.export_button = touch_button(self.tr("Export CSV…"), self)
        self.export_button.clicked.connect(self._export_clicked)
        self.export_button.setEnabled(False)

        self.table = QTableWidget(0, len(HEADERS), self)
        self.table.setAccessibleName(self.tr("KPI table"))
        self.table.setHorizontalHeaderLabels([self.tr(h) for h in HEADERS.values()])
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        # one series and its two axes, refilled for every measure: axes removed from a
        # chart keep their labels drawn until deleted, which overlapped the new ones
        self.chart = QChart()
        self.chart.legend().hide()
        self.bars = QBarSet("")
        self.series = QBarSeries()
        self.series.append(self.bars)
        self.categories = QBarCategoryAxis()
        self.categories.setTruncateLabels(False)  # rotated labels were cut to "20…"
        self.values_axis = QValueAxis()
        self.chart.addSeries(self.series)
        self.chart.addAxis(self.categories, Qt.AlignmentFlag.AlignBottom)
        self.chart.addAxis(self.values_axis, Qt.AlignmentFlag.AlignLeft)
        self.series.attachAxis(self.categories)
        self.series.attachAxis(self.values_axis)
        self.series.setVisible(False)
        self.chart_view = QChartView(self.chart, self)
        self.chart_view.setAccessibleName(self.tr("KPI chart"))
        self.chart_view.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.message = InlineMessage(self)
        definitions = QLabel(
            self.tr(
                "Cases count in the month they were opened. SLA met: first response and "
                "resolution within their targets (business hours, pauses excluded). "
                "First-time fix: resolved with exactly one completed visit."
            ),
            self,
        )
        definitions.setWordWrap(True)

        bar = QHBoxLayout()
        for widget in (
            QLabel(self.tr("Group by"), self),
            self.dimension,
            self.limit,
            self.since,
            QLabel(self.tr("until"), self),
            self.until,
            self.refresh_button,
        ):
            bar.addWidget(widget)
        bar.addStretch(1)
        bar.addWidget(QLabel(self.tr("Chart"), self))
        bar.addWidget(self.measure)
        bar.addWidget(self.export_button)
        self.splitter = QSplitter(Qt.Orientation.Vertical, self)
        self.splitter.addWidget(self.chart_view)
        self.splitter.addWidget(self.table)
        self.chart_view.setMinimumHeight(240)
        self.splitter.setSizes([420, 360])
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(definitions)
        layout.addWidget(self.splitter, 1)
        layout.addWidget(self.message)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if not self._computed:  # first visit: show figures without a click
            self._computed = True
            self.refresh()

    @Slot()
    def refresh(self) -> None:
        dimension = Dimension(self.dimension.currentData())
        since = until = None
        if self.limit.isChecked():
            since = datetime.combine(self.since.date().toPython(), datetime.min.time(), UTC)
            # the whole of the last day: up to the midnight that ends it
            until = datetime.combine(
                self.until.date().addDays(1).toPython(), datetime.min.time(), UTC
            )
        kpis = self.kpis
        self.refresh_button.setEnabled(False)

        def job(task: TaskState) -> list[KpiRow]:
            return kpis.compute(dimension, since=since, until=until, state=task)

        operation = self.jobs.run(
            job,
            lambda rows: self._show(dimension, rows),
            self._failed,
            label=self.tr("Computing the KPIs…"),
            cancellable=True,
        )
        # also after a cancel, which reaches neither callback
        operation.finished.connect(lambda: self.refresh_button.setEnabled(True))

    def _failed(self, error: BaseException) -> None:
        self.message.show_error(str(error))

    def _show(self, dimension: Dimension, rows: list[KpiRow]) -> None:
        self._dimension = dimension
        self.rows = rows = ordered(rows, dimension)
        names = [f.name for f in fields(KpiRow)]
        self.table.setRowCount(len(rows))
        for i, row in enumerate(rows):
            for column, name in enumerate(names):
                value = getattr(row, name)
                item = QTableWidgetItem(_cell(name, value))
                if name != "group":
                    item.setTextAlignment(
                        Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
                    )
                self.table.setItem(i, column, item)
        fit_columns(self.table)
        self.export_button.setEnabled(bool(rows))
        self.message.show_info(self.tr("{0} groups.").format(len(rows)))
        self._draw_chart()

    @Slot()
    def _draw_chart(self) -> None:
        measure = self.measure.currentData()
        room = chart_rows(self.rows, self._dimension)
        # a group without a value (no answers, nothing resolved...) is left out, not drawn
        # as 0 (which would read as "0 %"); the title says how many
        shown = [r for r in room if getattr(r, measure) is not None]
        left_out = len(room) - len(shown)
        self.bars.remove(0, self.bars.count())
        self.categories.clear()
        self.series.setVisible(bool(shown))
        if not shown:
            self.chart.setTitle(
                self.tr("{0}: no values").format(self.measure.currentText()) if room else ""
            )
            return
        values = [float(getattr(r, measure)) for r in shown]
        self.bars.setLabel(self.measure.currentText())
        self.bars.append(values)
        self.categories.append([_label(r.group) for r in shown])
        self.categories.setLabelsAngle(-60 if len(shown) > 6 else 0)
        top, ticks = nice_scale(max(max(values) * 1.05, 1.0))  # a little room above
        self.values_axis.setRange(0, top)
        self.values_axis.setTickCount(ticks)
        self.values_axis.setLabelFormat("%.1f" if top < 5 else "%.0f")
        title = self.measure.currentText()
        if left_out:
            title = self.tr("{0} ({1} without a value not shown)").format(title, left_out)
        self.chart.setTitle(title)

    @Slot()
    def _export_clicked(self) -> None:
        target, _ = QFileDialog.getSaveFileName(
            self,
            self.tr("Export KPIs"),
            str(Path.home() / f"kpis-{self._dimension.value}.csv"),
            self.tr("CSV (*.csv)"),
        )
        if target:
            self.export_to(Path(target))

    def export_to(self, target: Path) -> None:
        rows, dimension = list(self.rows), self._dimension
        self.jobs.run(
            lambda _t: write_csv(rows, target, dimension),
            lambda path: self.message.show_info(self.tr("Exported to {0}.").format(path)),
            self._failed,
        )
