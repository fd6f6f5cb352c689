"""SLA bookkeeping for stored cases: pauses from the timeline, policy from settings."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from fieldsupport.errors import ValidationError
from fieldsupport.models import Case, CaseEvent, Setting
from fieldsupport.models.enums import CaseEventKind, CaseStatus, Priority
from fieldsupport.workflow import (
    BusinessCalendar,
    CaseSla,
    SlaPolicy,
    SlaTargets,
    case_sla,
    default_policy,
)

Pause = tuple[datetime, datetime | None]


def pauses_from_transitions(
    transitions: Iterable[tuple[datetime, CaseStatus | None, CaseStatus | None]],
) -> list[Pause]:
    """Waiting-on-customer intervals from (time, from_status, to_status) status changes."""
    pauses: list[Pause] = []
    started: datetime | None = None
    for occurred_at, _from, to in sorted(transitions, key=lambda t: t[0]):
        if to is CaseStatus.WAITING_ON_CUSTOMER:
            if started is None:
                started = occurred_at
        elif started is not None:
            pauses.append((started, occurred_at))
            started = None
    if started is not None:
        pauses.append((started, None))
    return pauses


def case_pauses(session: Session, case_id: str) -> list[Pause]:
    rows = session.execute(
        select(CaseEvent.occurred_at, CaseEvent.from_status, CaseEvent.to_status).where(
            CaseEvent.case_id == case_id,
            CaseEvent.to_status.is_not(None),
            CaseEvent.deleted_at.is_(None),
            CaseEvent.kind.in_(
                [CaseEventKind.STATUS_CHANGE, CaseEventKind.ESCALATION, CaseEventKind.ASSIGNMENT]
            ),
        )
    ).all()
    return pauses_from_transitions((r[0], r[1], r[2]) for r in rows)


def policy_from_settings(value: dict[str, Any] | None) -> SlaPolicy:
    """Company SLA policy stored in the ``sla_policy`` setting; defaults where absent.

    Shape: ``{"timezone": "Europe/Warsaw", "workdays": [0,1,2,3,4], "day_start": "08:00",
    "day_end": "17:00", "holidays": ["2026-12-25"], "targets_hours": {"urgent": [1, 8], ...}}``.
    """
    default = default_policy()
    if not value:
        return default
    try:
        cal = default.calendar
        calendar = BusinessCalendar(
            timezone=value.get("timezone", cal.timezone),
            workdays=frozenset(value.get("workdays", cal.workdays)),
            day_start=time.fromisoformat(value["day_start"])
            if "day_start" in value
            else cal.day_start,
            day_end=time.fromisoformat(value["day_end"]) if "day_end" in value else cal.day_end,
            holidays=frozenset(date.fromisoformat(d) for d in value.get("holidays", [])),
        )
        targets = dict(default.targets)
        for name, (first, resolution) in value.get("targets_hours", {}).items():
            targets[Priority(name)] = SlaTargets(
                first_response=timedelta(hours=float(first)),
                resolution=timedelta(hours=float(resolution)),
            )
    except (KeyError, TypeError, ValueError) as exc:
        raise ValidationError(
            f"The SLA policy in the workspace settings is invalid: {exc}"
        ) from exc
    return SlaPolicy(calendar=calendar, targets=targets)


def load_policy(session: Session) -> SlaPolicy:
    row = session.get(Setting, "sla_policy")
    return policy_from_settings(row.value if row is not None else None)


def compute_case_sla(
    policy: SlaPolicy, case: Case, pauses: Sequence[Pause], now: datetime
) -> CaseSla:
    return case_sla(
        policy,
        case.priority,
        case.opened_at,
        case.first_response_at,
        case.resolved_at,
        list(pauses),
        now,
    )


def refresh_due_times(
    policy: SlaPolicy, case: Case, pauses: Sequence[Pause], now: datetime
) -> CaseSla:
    """Store the due times on the case so the list can sort and colour them in SQL."""
    sla = compute_case_sla(policy, case, pauses, now)
    case.first_response_due = None if case.first_response_at else sla.first_response.due_at
    case.resolution_due = None if case.resolved_at else sla.resolution.due_at
    return sla
