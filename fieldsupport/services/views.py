"""Plain, immutable views of records handed to the UI and the CLI.

Services return these instead of ORM objects so that callers never hold a session, never
trigger lazy loads on the GUI thread and never run SQL.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from fieldsupport.models.enums import (
    AssistType,
    CaseEventKind,
    CaseStatus,
    Channel,
    MeasurementPhase,
    Priority,
    Severity,
    TimeEntryKind,
    VisitStatus,
)
from fieldsupport.workflow import Action, CaseSla


@dataclass(frozen=True)
class CaseRow:
    """One line of the case list (also what ``fieldsupport cases`` prints)."""

    id: str
    case_number: str
    assist_type: AssistType
    status: CaseStatus
    priority: Priority
    customer: str
    site: str | None
    assignee: str | None
    title: str
    first_response_due: datetime | None
    resolution_due: datetime | None
    updated_at: datetime


@dataclass(frozen=True)
class CaseEventView:
    id: str
    kind: CaseEventKind
    occurred_at: datetime
    author: str | None
    body: str | None
    from_status: CaseStatus | None
    to_status: CaseStatus | None


@dataclass(frozen=True)
class CaseDetail:
    id: str
    case_number: str
    assist_type: AssistType
    title: str
    channel: Channel
    category: str | None
    priority: Priority
    severity: Severity
    status: CaseStatus
    support_tier: int
    customer_id: str
    customer: str
    site: str | None
    asset_serial: str | None
    assignee_id: str | None
    assignee: str | None
    description: str | None
    resolution: str | None
    promised_response: str | None
    customer_verified: bool
    close_reason: str | None
    opened_at: datetime
    first_response_at: datetime | None
    resolved_at: datetime | None
    closed_at: datetime | None
    csat_score: int | None
    csat_comment: str | None
    version: int
    sla: CaseSla
    allowed_actions: tuple[Action, ...]
    events: tuple[CaseEventView, ...] = field(default=())
    # the case file's header
    site_address: str | None = None
    site_access_notes: str | None = None
    contact_name: str | None = None
    contact_role: str | None = None
    contact_email: str | None = None
    contact_phone: str | None = None
    asset_id: str | None = None
    asset_product: str | None = None
    asset_lot: str | None = None
    asset_warranty_end: date | None = None


@dataclass(frozen=True)
class VisitReturn:
    """The visit's latest finished report came back from the back office."""

    report_id: str
    report_number: str
    revision: int
    reason: str | None
    decided_by: str
    decided_at: datetime


@dataclass(frozen=True)
class VisitView:
    id: str
    case_id: str
    engineer: str | None
    status: VisitStatus
    planned_start: datetime | None
    travel_started_at: datetime | None
    arrived_at: datetime | None
    departed_at: datetime | None
    travel_minutes: int | None
    travel_distance_km: float | None
    work_performed: str | None
    findings: str | None
    follow_up_needed: bool
    measurement_count: int
    time_entry_minutes: int
    # the latest finished report of this visit was returned (the visit may be corrected)
    returned: VisitReturn | None = None
    # the engineer reopened the finished visit to correct it for the next revision
    correcting: bool = False

    @property
    def editable(self) -> bool:
        """Notes, parts, time entries and measurements may change: before departure, or
        while a returned report's visit is being corrected."""
        return self.correcting or self.status in (
            VisitStatus.PLANNED,
            VisitStatus.TRAVELLING,
            VisitStatus.ON_SITE,
        )


@dataclass(frozen=True)
class MeasurementView:
    id: str
    name: str
    value: float
    unit: str | None
    lower_limit: float | None
    upper_limit: float | None
    phase: MeasurementPhase
    measured_at: datetime
    within_limits: bool
    note: str | None


@dataclass(frozen=True)
class PartView:
    id: str
    part_number: str
    description: str
    quantity: float
    unit: str
    serial_number: str | None


@dataclass(frozen=True)
class TimeEntryView:
    id: str
    kind: TimeEntryKind
    started_at: datetime
    minutes: int
    note: str | None


@dataclass(frozen=True)
class VisitDetail:
    visit: VisitView
    follow_up_notes: str | None
    measurements: tuple[MeasurementView, ...]
    parts: tuple[PartView, ...]
    time_entries: tuple[TimeEntryView, ...]
