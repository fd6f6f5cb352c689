"""Support KPIs from the process model's measures (seed 003): first response time,
resolution time, SLA met %, first-time-fix rate and customer satisfaction, per period,
engineer, customer or assist type.

Definitions (also shown in the app):

* a case belongs to the period (calendar month, UTC) in which it was opened;
* first response / resolution time: wall-clock hours from opening to the first response /
  to resolution, median and mean over the cases that have one;
* SLA met: a resolved case whose first-response and resolution clocks both stopped within
  their targets (business hours of the SLA policy, pauses excluded, as the case file shows);
* first-time fix: a resolved case that needed exactly one completed visit, out of the
  resolved cases with at least one completed visit;
* CSAT: mean score (1-5) of the cases with a score.

Computed in bulk (a few queries, then Python) so 100,000 cases take about a second in a
worker; a job, so it reports progress and can be cancelled.
"""

from __future__ import annotations

import csv
import statistics
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, fields
from datetime import datetime
from enum import StrEnum
from pathlib import Path

from sqlalchemy import func, select

from fieldsupport.errors import FieldSupportError
from fieldsupport.models import Case, CaseEvent, Customer, User, Visit
from fieldsupport.models.enums import CaseEventKind, VisitStatus
from fieldsupport.services.sla import load_policy, pauses_from_transitions
from fieldsupport.tasks import TaskState
from fieldsupport.workflow import SlaState, case_sla
from fieldsupport.workspace import Workspace

HOUR = 3600.0
CHUNK = 900  # ids per IN (...) query, under SQLite's parameter limit


class Dimension(StrEnum):
    ALL = "all"
    PERIOD = "period"
    ENGINEER = "engineer"
    CUSTOMER = "customer"
    ASSIST_TYPE = "assist_type"


@dataclass(frozen=True)
class KpiRow:
    group: str
    cases: int
    responded: int
    first_response_hours_median: float | None
    first_response_hours_mean: float | None
    resolved: int
    resolution_hours_median: float | None
    resolution_hours_mean: float | None
    sla_met_percent: float | None
    first_time_fix_percent: float | None
    csat_mean: float | None
    csat_count: int


@dataclass
class _Bucket:
    cases: int = 0
    response_hours: list[float] = field(default_factory=list)
    resolution_hours: list[float] = field(default_factory=list)
    sla_met: int = 0
    sla_judged: int = 0
    fixed_first_time: int = 0
    visited_resolved: int = 0
    scores: list[int] = field(default_factory=list)

    def row(self, group: str) -> KpiRow:
        def med(values: list[float]) -> float | None:
            return round(statistics.median(values), 2) if values else None

        def mean(values: list[float] | list[int]) -> float | None:
            return round(statistics.fmean(values), 2) if values else None

        def pct(part: int, whole: int) -> float | None:
            return round(100.0 * part / whole, 1) if whole else None

        return KpiRow(
            group=group,
            cases=self.cases,
            responded=len(self.response_hours),
            first_response_hours_median=med(self.response_hours),
            first_response_hours_mean=mean(self.response_hours),
            resolved=len(self.resolution_hours),
            resolution_hours_median=med(self.resolution_hours),
            resolution_hours_mean=mean(self.resolution_hours),
            sla_met_percent=pct(self.sla_met, self.sla_judged),
            first_time_fix_percent=pct(self.fixed_first_time, self.visited_resolved),
            csat_mean=mean(self.scores),
            csat_count=len(self.scores),
        )


def _chunks(ids: list[str]) -> Iterable[list[str]]:
    for i in range(0, len(ids), CHUNK):
        yield ids[i : i + CHUNK]


class KpiService:
    def __init__(self, workspace: Workspace) -> None:
        self.workspace = workspace

    def compute(
        self,
        dimension: Dimension | str = Dimension.ALL,
        *,
        since: datetime | None = None,
        until: datetime | None = None,
        state: TaskState | None = None,
        now: datetime | None = None,
    ) -> list[KpiRow]:
        """One row per group, ordered by group name (periods in time order)."""
        try:
            dim = Dimension(dimension)
        except ValueError:
            choices = ", ".join(d.value for d in Dimension)
            raise FieldSupportError(
                f"KPIs cannot be grouped by {dimension!r}; choose one of {choices}."
            ) from None
        state = state or TaskState()
        if since is not None and until is not None and until < since:
            raise FieldSupportError("The end of the period is before its start.")
        stmt = (
            select(
                Case.id,
                Case.priority,
                Case.assist_type,
                Case.opened_at,
                Case.first_response_at,
                Case.resolved_at,
                Case.csat_score,
                Customer.name,
                User.display_name,
            )
            .join(Customer, Customer.id == Case.customer_id)
            .outerjoin(User, User.id == Case.assignee_id)
            .where(Case.deleted_at.is_(None))
        )
        if since is not None:
            stmt = stmt.where(Case.opened_at >= since)
        if until is not None:
            stmt = stmt.where(Case.opened_at < until)
        with self.workspace.transaction() as session:
            policy = load_policy(session)
            cases = session.execute(stmt).all()
            state.progress(0.2, "Cases read")
            resolved_ids = [c.id for c in cases if c.resolved_at is not None]
            transitions: dict[str, list[tuple[datetime, object, object]]] = defaultdict(list)
            completed_visits: dict[str, int] = {}
            for ids in _chunks(resolved_ids):
                for case_id, at, before, after in session.execute(
                    select(
                        CaseEvent.case_id,
                        CaseEvent.occurred_at,
                        CaseEvent.from_status,
                        CaseEvent.to_status,
                    ).where(
                        CaseEvent.case_id.in_(ids),
                        CaseEvent.to_status.is_not(None),
                        CaseEvent.deleted_at.is_(None),
                        CaseEvent.kind.in_(
                            [
                                CaseEventKind.STATUS_CHANGE,
                                CaseEventKind.ESCALATION,
                                CaseEventKind.ASSIGNMENT,
                            ]
                        ),
                    )
                ):
                    transitions[case_id].append((at, before, after))
                completed_visits.update(
                    session.execute(
                        select(Visit.case_id, func.count())
                        .where(
                            Visit.case_id.in_(ids),
                            Visit.status == VisitStatus.COMPLETED,
                            Visit.deleted_at.is_(None),
                        )
                        .group_by(Visit.case_id)
                    ).all()
                )
                state.check()
        state.progress(0.6, "Computing")
        key: Callable[[object], str] = {
            Dimension.ALL: lambda c: "All cases",
            Dimension.PERIOD: lambda c: f"{c.opened_at:%Y-%m}",  # type: ignore[attr-defined]
            Dimension.ENGINEER: lambda c: c.display_name or "(unassigned)",  # type: ignore[attr-defined]
            Dimension.CUSTOMER: lambda c: c.name,  # type: ignore[attr-defined]
            Dimension.ASSIST_TYPE: lambda c: c.assist_type.value,  # type: ignore[attr-defined]
        }[dim]
        buckets: dict[str, _Bucket] = defaultdict(_Bucket)
        moment = now or datetime.now().astimezone()
        for index, c in enumerate(cases):
            bucket = buckets[key(c)]
            bucket.cases += 1
            if c.first_response_at is not None:
                bucket.response_hours.append(
                    (c.first_response_at - c.opened_at).total_seconds() / HOUR
                )
            if c.csat_score is not None:
                bucket.scores.append(c.csat_score)
            if c.resolved_at is None:
                continue
            bucket.resolution_hours.append((c.resolved_at - c.opened_at).total_seconds() / HOUR)
            sla = case_sla(
                policy,
                c.priority,
                c.opened_at,
                c.first_response_at,
                c.resolved_at,
                pauses_from_transitions(transitions.get(c.id, [])),  # type: ignore[arg-type]
                moment,
            )
            bucket.sla_judged += 1
            if sla.first_response.state is SlaState.MET and sla.resolution.state is SlaState.MET:
                bucket.sla_met += 1
            visits = completed_visits.get(c.id, 0)
            if visits:
                bucket.visited_resolved += 1
                bucket.fixed_first_time += visits == 1
            if index % 5000 == 0:
                state.progress(0.6 + 0.4 * index / max(len(cases), 1))
        return [buckets[group].row(group) for group in sorted(buckets)]


def write_csv(rows: list[KpiRow], path: Path, dimension: Dimension | str) -> Path:
    """The rows as CSV (UTF-8 with a BOM so spreadsheet programs read accents right)."""
    names = [f.name for f in fields(KpiRow)]
    try:
        with open(path, "w", newline="", encoding="utf-8-sig") as out:
            writer = csv.writer(out)
            writer.writerow([Dimension(dimension).value, *names[1:]])
            for row in rows:
                writer.writerow(["" if v is None else v for v in (getattr(row, n) for n in names)])
    except OSError as exc:
        raise FieldSupportError(
            f"The KPIs could not be written to {path}: {exc.strerror}."
        ) from exc
    return path
