"""The KPIs page offscreen: computed in a worker on first show, table and chart agree with the
service, regrouping, CSV export."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from fieldsupport.demo.generator import create_demo
from fieldsupport.services.kpis import Dimension, KpiRow, KpiService
from fieldsupport.ui.main_window import NAV_KPIS, MainWindow
from fieldsupport.workspace import Workspace

REFERENCE = datetime(2026, 11, 2, 12, 0, tzinfo=UTC)


def test_kpi_page(qtbot: QtBot, workspace: Workspace, tmp_path: Path) -> None:
    create_demo(workspace, cases=300, seed=5, reference=REFERENCE)
    win = MainWindow(workspace)
    qtbot.addWidget(win)
    win.ask_close = lambda _unsaved: True  # type: ignore[method-assign]
    with qtbot.waitSignal(win.cases.cases_loaded, timeout=10_000):
        win.show()
    win.navigate(NAV_KPIS)
    page = win.kpis
    qtbot.waitUntil(lambda: bool(page.rows) and not page.jobs.busy, timeout=20_000)
    by_month = KpiService(workspace).compute(Dimension.PERIOD)
    assert [r.group for r in page.rows] == [r.group for r in by_month]
    assert page.table.rowCount() == len(by_month)
    assert page.table.item(0, 1).text() == str(by_month[0].cases)
    series = page.chart.series()
    with_value = [r for r in by_month if r.first_response_hours_median is not None]
    assert len(series) == 1 and series[0].barSets()[0].count() == len(with_value)
    assert 0 < len(with_value) < len(by_month)  # months without a response: no 0 bar

    page.dimension.setCurrentIndex(page.dimension.findData("assist_type"))
    page.refresh()
    qtbot.waitUntil(lambda: page.rows and page.rows[0].group == "A1", timeout=20_000)
    page.measure.setCurrentIndex(page.measure.findData("csat_mean"))
    bar = page.chart.series()[0].barSets()[0]
    valued = [r for r in page.rows if r.csat_mean is not None]
    assert [bar.at(i) for i in range(bar.count())] == [r.csat_mean for r in valued]
    # one pair of axes, refilled (removed axes kept drawing their labels over the new ones),
    # with round ticks from 0 above the highest bar
    assert len(page.chart.axes()) == 2
    assert page.categories.categories() == [r.group for r in valued]
    axis = page.values_axis
    step = axis.max() / (axis.tickCount() - 1)
    assert axis.min() == 0 and axis.max() >= max(r.csat_mean or 0.0 for r in page.rows)
    assert f"{step:.0e}"[0] in "125" and float(f"{step:.0e}") == pytest.approx(step)

    # a group without a value is not drawn as a 0 bar; the chart's order is the table's
    def row(group: str, cases: int, csat: float | None) -> KpiRow:
        return KpiRow(group, cases, cases, 1.0, 1.0, 0, None, None, None, None, csat, 0)

    page._show(
        Dimension.ENGINEER,
        [row("Anna Kowalska", 3, None), row("Bruno Costa", 5, 4.0), row("Clara Lind", 1, 2.0)],
    )
    table = [page.table.item(i, 0).text() for i in range(page.table.rowCount())]
    assert table == ["Bruno Costa", "Anna Kowalska", "Clara Lind"]  # most cases first
    bar = page.chart.series()[0].barSets()[0]
    assert page.categories.categories() == ["Bruno Costa", "Clara Lind"]
    assert [bar.at(i) for i in range(bar.count())] == [4.0, 2.0]
    assert page.chart.title() == "CSAT (1-5) (1 without a value not shown)"
    QApplication.processEvents()  # the chart's scene is laid out on the event loop
    page.measure.setCurrentIndex(page.measure.findData("sla_met_percent"))
    assert page.categories.categories() == [] and not page.chart.series()[0].isVisible()
    assert page.chart.title() == "SLA met %: no values"
    page.measure.setCurrentIndex(page.measure.findData("csat_mean"))
    page.dimension.setCurrentIndex(page.dimension.findData("assist_type"))
    page.refresh()
    qtbot.waitUntil(lambda: page.rows and page.rows[0].group == "A1", timeout=20_000)

    target = tmp_path / "kpis.csv"
    page.export_to(target)
    qtbot.waitUntil(lambda: "Exported" in page.message.text(), timeout=10_000)
    lines = target.read_text(encoding="utf-8-sig").splitlines()
    assert lines[0].startswith("assist_type,cases") and len(lines) == len(page.rows) + 1
    qtbot.waitUntil(lambda: not page.jobs.busy, timeout=10_000)

    # a cancelled computation gives the Compute button back
    page.refresh()
    assert not page.refresh_button.isEnabled()
    (operation,) = page.jobs._running
    operation.cancel()
    qtbot.waitUntil(lambda: not page.jobs.busy, timeout=10_000)
    assert page.refresh_button.isEnabled()
