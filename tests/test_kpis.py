"""KPIs on the demo data, checked against values computed independently: case by case
through the ORM, with the SLA clocks' business time and the waiting-on-customer pauses
worked out here day by day from the policy's calendar and the case's status history (not
through ``workflow.sla`` or ``services.sla``, which the KPI service uses), for every
grouping."""

from __future__ import annotations

import csv
import statistics
from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from fieldsupport.demo.generator import create_demo
from fieldsupport.errors import FieldSupportError
from fieldsupport.models import Case, Visit
from fieldsupport.models.enums import CaseStatus, VisitStatus
from fieldsupport.services.kpis import Dimension, KpiRow, KpiService, write_csv
from fieldsupport.services.sla import load_policy
from fieldsupport.tasks import Cancelled, TaskState
from fieldsupport.workflow.sla import BusinessCalendar
from fieldsupport.workspace import Workspace

REFERENCE = datetime(2026, 11, 2, 12, 0, tzinfo=UTC)


@pytest.fixture
def demo(workspace: Workspace) -> Workspace:
    create_demo(workspace, cases=600, seed=11, reference=REFERENCE)
    return workspace


def _business_time(calendar: BusinessCalendar, start: datetime, end: datetime) -> timedelta:
    """Working time between two instants, the slow obvious way: every local day's working
    hours (a workday, not a holiday) intersected with the span."""
    total = timedelta(0)
    if end <= start:
        return total
    zone = ZoneInfo(calendar.timezone)
    day = start.astimezone(zone).date() - timedelta(days=1)
    while day <= end.astimezone(zone).date():
        if day.weekday() in calendar.workdays and day not in calendar.holidays:
            opens = datetime.combine(day, calendar.day_start, tzinfo=zone).astimezone(UTC)
            closes = datetime.combine(day, calendar.day_end, tzinfo=zone).astimezone(UTC)
            lo, hi = max(start, opens), min(end, closes)
            if hi > lo:
                total += hi - lo
        day += timedelta(days=1)
    return total


def _waiting_spans(case: Case) -> list[tuple[datetime, datetime]]:
    """When the case's status was "waiting on customer", from its status history; a wait
    still going on ends at the reference time."""
    spans: list[tuple[datetime, datetime]] = []
    since: datetime | None = None
    events = sorted(
        (e for e in case.events if e.deleted_at is None and e.to_status is not None),
        key=lambda e: e.occurred_at,
    )
    for event in events:
        if event.to_status is CaseStatus.WAITING_ON_CUSTOMER:
            since = since or event.occurred_at
        elif since is not None:
            spans.append((since, event.occurred_at))
            since = None
    if since is not None:
        spans.append((since, REFERENCE))
    return spans


def _within(
    calendar: BusinessCalendar,
    case: Case,
    stop: datetime | None,
    target: timedelta,
    waits: list[tuple[datetime, datetime]],
) -> bool:
    """A clock from opening to ``stop`` stopped within its target, waits not counted."""
    if stop is None or stop > REFERENCE:
        return False
    counted = _business_time(calendar, case.opened_at, stop)
    for begin, end in waits:
        counted -= _business_time(calendar, max(begin, case.opened_at), min(end, stop))
    return counted <= target


GROUPS: dict[Dimension, Callable[[Case], str]] = {
    Dimension.ALL: lambda c: "All cases",
    Dimension.PERIOD: lambda c: c.opened_at.astimezone(UTC).strftime("%Y-%m"),
    Dimension.ENGINEER: lambda c: c.assignee.display_name if c.assignee else "(unassigned)",
    Dimension.CUSTOMER: lambda c: c.customer.name,
    Dimension.ASSIST_TYPE: lambda c: c.assist_type.value,
}


def _independent(workspace: Workspace, dimension: Dimension) -> dict[str, KpiRow]:
    """Per group, the slow obvious way."""
    groups: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    paused_cases = 0
    with workspace.transaction() as s:
        policy = load_policy(s)  # the company's calendar and targets: read, not computed
        calendar = policy.calendar
        for case in s.scalars(select(Case).where(Case.deleted_at.is_(None))):
            g = groups[GROUPS[dimension](case)]
            g["cases"].append(1)
            if case.first_response_at:
                g["frt"].append((case.first_response_at - case.opened_at).total_seconds() / 3600)
            if case.csat_score is not None:
                g["csat"].append(case.csat_score)
            if case.resolved_at is None:
                continue
            g["res"].append((case.resolved_at - case.opened_at).total_seconds() / 3600)
            targets = policy.targets[case.priority]
            waits = _waiting_spans(case)
            paused_cases += bool(waits)
            met = _within(
                calendar, case, case.first_response_at, targets.first_response, waits
            ) and _within(calendar, case, case.resolved_at, targets.resolution, waits)
            g["sla"].append(1.0 if met else 0.0)
            visits = [
                v
                for v in s.scalars(select(Visit).where(Visit.case_id == case.id))
                if v.status is VisitStatus.COMPLETED and v.deleted_at is None
            ]
            if visits:
                g["ftf"].append(1.0 if len(visits) == 1 else 0.0)
    assert paused_cases > 0  # the demo data exercises the pauses

    def median(values: list[float]) -> float | None:
        return round(statistics.median(values), 2) if values else None

    def mean(values: list[float]) -> float | None:
        return round(statistics.fmean(values), 2) if values else None

    def percent(values: list[float]) -> float | None:
        return round(100 * sum(values) / len(values), 1) if values else None

    return {
        name: KpiRow(
            group=name,
            cases=len(g["cases"]),
            responded=len(g["frt"]),
            first_response_hours_median=median(g["frt"]),
            first_response_hours_mean=mean(g["frt"]),
            resolved=len(g["res"]),
            resolution_hours_median=median(g["res"]),
            resolution_hours_mean=mean(g["res"]),
            sla_met_percent=percent(g["sla"]),
            first_time_fix_percent=percent(g["ftf"]),
            csat_mean=mean(g["csat"]),
            csat_count=len(g["csat"]),
        )
        for name, g in groups.items()
    }


@pytest.mark.parametrize("dimension", list(Dimension))
def test_kpis_match_an_independent_computation(demo: Workspace, dimension: Dimension) -> None:
    rows = KpiService(demo).compute(dimension, now=REFERENCE)
    expected = _independent(demo, dimension)
    assert [r.group for r in rows] == sorted(expected)
    for row in rows:
        assert row == expected[row.group], row.group
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
