"""KPIs on the demo data, checked against values computed independently, case by case
through the ORM and the SLA service the case file uses."""

from __future__ import annotations

import csv
import statistics
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from fieldsupport.demo.generator import create_demo
from fieldsupport.errors import FieldSupportError
from fieldsupport.models import Case, Visit
from fieldsupport.models.enums import VisitStatus
from fieldsupport.services.kpis import Dimension, KpiService, write_csv
from fieldsupport.services.sla import case_pauses, compute_case_sla, load_policy
from fieldsupport.tasks import Cancelled, TaskState
from fieldsupport.workflow import SlaState
from fieldsupport.workspace import Workspace

REFERENCE = datetime(2026, 11, 2, 12, 0, tzinfo=UTC)


@pytest.fixture
def demo(workspace: Workspace) -> Workspace:
    create_demo(workspace, cases=600, seed=11, reference=REFERENCE)
    return workspace


def _independent(workspace: Workspace) -> dict[str, dict[str, object]]:
    """Per assist type, the slow obvious way."""
    groups: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    with workspace.transaction() as s:
        policy = load_policy(s)
        for case in s.scalars(select(Case).where(Case.deleted_at.is_(None))):
            g = groups[case.assist_type.value]
            g["cases"].append(1)
            if case.first_response_at:
                g["frt"].append((case.first_response_at - case.opened_at).total_seconds() / 3600)
            if case.csat_score is not None:
                g["csat"].append(case.csat_score)
            if case.resolved_at is None:
                continue
            g["res"].append((case.resolved_at - case.opened_at).total_seconds() / 3600)
            sla = compute_case_sla(policy, case, case_pauses(s, case.id), REFERENCE)
            met = sla.first_response.state is SlaState.MET and sla.resolution.state is SlaState.MET
            g["sla"].append(1.0 if met else 0.0)
            visits = [
                v
                for v in s.scalars(select(Visit).where(Visit.case_id == case.id))
                if v.status is VisitStatus.COMPLETED and v.deleted_at is None
            ]
            if visits:
                g["ftf"].append(1.0 if len(visits) == 1 else 0.0)
    out: dict[str, dict[str, object]] = {}
    for name, g in groups.items():
        out[name] = {
            "cases": len(g["cases"]),
            "frt_median": round(statistics.median(g["frt"]), 2) if g["frt"] else None,
            "res_mean": round(statistics.fmean(g["res"]), 2) if g["res"] else None,
            "sla": round(100 * statistics.fmean(g["sla"]), 1) if g["sla"] else None,
            "ftf": round(100 * statistics.fmean(g["ftf"]), 1) if g["ftf"] else None,
            "csat": round(statistics.fmean(g["csat"]), 2) if g["csat"] else None,
            "csat_n": len(g["csat"]),
        }
    return out


def test_kpis_match_an_independent_computation(demo: Workspace) -> None:
    rows = KpiService(demo).compute(Dimension.ASSIST_TYPE, now=REFERENCE)
    expected = _independent(demo)
    assert [r.group for r in rows] == sorted(expected)
    for row in rows:
        e = expected[row.group]
        got = {
            "cases": row.cases,
            "frt_median": row.first_response_hours_median,
            "res_mean": row.resolution_hours_mean,
            "sla": row.sla_met_percent,
            "ftf": row.first_time_fix_percent,
            "csat": row.csat_mean,
            "csat_n": row.csat_count,
        }
        assert got == e, row.group
    # the demo data exercises every measure (not a table of Nones)
    total = KpiService(demo).compute(now=REFERENCE)[0]
    assert total.cases == 600 and total.resolved > 50 and total.csat_count > 10
    assert total.sla_met_percent is not None and 0 < total.sla_met_percent < 100
    assert total.first_time_fix_percent is not None and 0 < total.first_time_fix_percent <= 100


def test_groupings_add_up_and_periods_filter(demo: Workspace, tmp_path: Path) -> None:
    service = KpiService(demo)
    for dimension in Dimension:
        rows = service.compute(dimension, now=REFERENCE)
        assert sum(r.cases for r in rows) == 600, dimension
        assert sum(r.csat_count for r in rows) == service.compute(now=REFERENCE)[0].csat_count
    periods = service.compute(Dimension.PERIOD, now=REFERENCE)
    assert [r.group for r in periods] == sorted(r.group for r in periods)
    first = periods[0].group
    start = datetime.strptime(first, "%Y-%m").replace(tzinfo=UTC)
    end = start.replace(month=start.month % 12 + 1, year=start.year + (start.month == 12))
    only = service.compute(Dimension.PERIOD, since=start, until=end, now=REFERENCE)
    assert [(r.group, r.cases) for r in only] == [(first, periods[0].cases)]
    with pytest.raises(FieldSupportError, match="before its start"):
        service.compute(since=end, until=start)
    path = write_csv(periods, tmp_path / "kpis.csv", Dimension.PERIOD)
    with open(path, encoding="utf-8-sig", newline="") as f:
        table = list(csv.reader(f))
    assert table[0][:3] == ["period", "cases", "responded"]
    assert [int(r[1]) for r in table[1:]] == [r.cases for r in periods]
    with pytest.raises(FieldSupportError, match="could not be written"):
        write_csv(periods, tmp_path / "missing" / "kpis.csv", Dimension.PERIOD)


def test_cancel(demo: Workspace) -> None:
    state = TaskState()
    state.cancel()
    with pytest.raises(Cancelled):
        KpiService(demo).compute(state=state)


def test_unknown_grouping_is_refused_with_the_choices(demo: Workspace) -> None:
    with pytest.raises(FieldSupportError, match="cannot be grouped by 'region'; choose one of all"):
        KpiService(demo).compute("region")
