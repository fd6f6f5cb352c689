"""Visit operations: plan, travel, arrive, record work, depart, and correct a finished visit
whose report the back office returned.

A finished (completed) visit is read-only, except for a correction: when the latest
finished report of the visit was returned by the back office, ``reopen_for_correction``
records that on the case timeline (who and when, naming the returned revision) and from then
on the work notes, parts, time entries and measurements may change again, until the next
revision is finalized. The visit stays completed: no new arrival, its times stay as recorded
(wrong time entries are removed and recorded again).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from fieldsupport.errors import ValidationError
from fieldsupport.models import (
    ApplicationRecord,
    Case,
    CaseEvent,
    Measurement,
    PartUsed,
    ReportDecision,
    ServiceReport,
    TimeEntry,
    User,
    Visit,
    utcnow,
)
from fieldsupport.models.base import SHORT_LEN
from fieldsupport.models.enums import (
    CaseEventKind,
    MeasurementPhase,
    ReportDecisionKind,
    ReportStatus,
    TimeEntryKind,
    VisitStatus,
)
from fieldsupport.services.records import get_live
from fieldsupport.services.validation import (
    finite,
    non_negative,
    optional_text,
    parse_enum,
    require_aware,
    require_text,
)
from fieldsupport.services.views import (
    MeasurementView,
    PartView,
    TimeEntryView,
    VisitDetail,
    VisitReturn,
    VisitView,
)
from fieldsupport.workspace import Workspace

# A visit longer than this is almost certainly a typo in a date (a year off, AM/PM...).
MAX_VISIT_DURATION = timedelta(days=14)
MAX_TRAVEL_KM = 20_000.0
# the key of a case event's data naming the returned report a correction answers
CORRECTION_OF = "correction_of"


class VisitService:
    def __init__(self, workspace: Workspace, *, user_id: str | None = None) -> None:
        self.workspace = workspace
        self.user_id = user_id

    def plan_visit(
        self,
        case_id: str,
        *,
        planned_start: datetime | None = None,
        planned_end: datetime | None = None,
        engineer_id: str | None = None,
    ) -> VisitView:
        if planned_start:
            require_aware(planned_start, "planned start")
        if planned_end:
            require_aware(planned_end, "planned end")
        if planned_start and planned_end and planned_end < planned_start:
            raise ValidationError(
                "The planned end is before the planned start.", field="planned_end"
            )
        with self.workspace.transaction() as session:
            case = get_live(session, Case, case_id, "case")
            visit = Visit(
                case_id=case.id,
                engineer_id=engineer_id or self.user_id,
                status=VisitStatus.PLANNED,
                planned_start=planned_start,
                planned_end=planned_end,
            )
            session.add(visit)
            session.flush()
            return _view(session, visit)

    def start_travel(self, visit_id: str, at: datetime | None = None) -> VisitView:
        when = require_aware(at, "travel start") if at else utcnow()
        with self.workspace.transaction() as session:
            visit = self._open_visit(session, visit_id)
            if visit.status is not VisitStatus.PLANNED:
                raise ValidationError("Travel can only start for a planned visit.")
            visit.travel_started_at = when
            visit.status = VisitStatus.TRAVELLING
            return _view(session, visit)

    def arrive(self, visit_id: str, at: datetime | None = None) -> VisitView:
        """Arrival on site. Travel time is taken from the travel start, if there was one."""
        when = require_aware(at, "arrival") if at else utcnow()
        with self.workspace.transaction() as session:
            visit = self._open_visit(session, visit_id)
            if visit.status not in (VisitStatus.PLANNED, VisitStatus.TRAVELLING):
                raise ValidationError("This visit has already started.")
            if visit.travel_started_at is not None:
                if when < visit.travel_started_at:
                    raise ValidationError(
                        "Arrival cannot be before the start of travel.", field="arrived_at"
                    )
                minutes = int((when - visit.travel_started_at).total_seconds() // 60)
                visit.travel_minutes = minutes
                session.add(
                    TimeEntry(
                        visit_id=visit.id,
                        engineer_id=visit.engineer_id,
                        kind=TimeEntryKind.TRAVEL,
                        started_at=visit.travel_started_at,
                        minutes=minutes,
                    )
                )
            visit.arrived_at = when
            visit.status = VisitStatus.ON_SITE
            session.add(
                CaseEvent(
                    case_id=visit.case_id,
                    kind=CaseEventKind.VISIT,
                    occurred_at=when,
                    author_id=self.user_id,
                    body="Arrived on site",
                )
            )
            return _view(session, visit)

    def depart(
        self,
        visit_id: str,
        at: datetime | None = None,
        *,
        work_performed: str | None = None,
        findings: str | None = None,
        follow_up_needed: bool = False,
        follow_up_notes: str | None = None,
        travel_distance_km: float | None = None,
    ) -> VisitView:
        when = require_aware(at, "departure") if at else utcnow()
        distance = non_negative(travel_distance_km, "travel distance")
        with self.workspace.transaction() as session:
            visit = self._open_visit(session, visit_id)
            if visit.status is not VisitStatus.ON_SITE or visit.arrived_at is None:
                raise ValidationError("Record the arrival before the departure.")
            if when < visit.arrived_at:
                raise ValidationError(
                    f"Departure ({when:%Y-%m-%d %H:%M}) cannot be before arrival "
                    f"({visit.arrived_at:%Y-%m-%d %H:%M}).",
                    field="departed_at",
                )
            if when - visit.arrived_at > MAX_VISIT_DURATION:
                raise ValidationError(
                    "A visit of more than 14 days on site is not plausible; check the dates.",
                    field="departed_at",
                )
            visit.departed_at = when
            visit.status = VisitStatus.COMPLETED
            visit.work_performed = optional_text(work_performed, "work performed")
            visit.findings = optional_text(findings, "findings")
            visit.follow_up_needed = follow_up_needed
            visit.follow_up_notes = optional_text(follow_up_notes, "follow-up notes")
            if distance is not None:
                visit.travel_distance_km = distance
            session.add(
                TimeEntry(
                    visit_id=visit.id,
                    engineer_id=visit.engineer_id,
                    kind=TimeEntryKind.WORK,
                    started_at=visit.arrived_at,
                    minutes=int((when - visit.arrived_at).total_seconds() // 60),
                )
            )
            session.add(
                CaseEvent(
                    case_id=visit.case_id,
                    kind=CaseEventKind.VISIT,
                    occurred_at=when,
                    author_id=self.user_id,
                    body="Left site" + (" — follow-up needed" if follow_up_needed else ""),
                )
            )
            return _view(session, visit)

    def add_time_entry(
        self,
        visit_id: str,
        kind: TimeEntryKind | str,
        started_at: datetime,
        minutes: int,
        note: str | None = None,
    ) -> None:
        entry_kind = parse_enum(TimeEntryKind, kind, "time entry kind")
        require_aware(started_at, "start")
        if not isinstance(minutes, int) or minutes < 0:
            raise ValidationError(
                f"Duration must be a whole number of minutes, not negative (got {minutes}).",
                field="minutes",
            )
        if minutes > MAX_VISIT_DURATION.total_seconds() // 60:
            raise ValidationError("A single time entry cannot exceed 14 days.", field="minutes")
        with self.workspace.transaction() as session:
            visit = self._editable_visit(session, visit_id)
            session.add(
                TimeEntry(
                    visit_id=visit.id,
                    engineer_id=self.user_id or visit.engineer_id,
                    kind=entry_kind,
                    started_at=started_at,
                    minutes=minutes,
                    note=optional_text(note, "note"),
                )
            )
            if entry_kind is TimeEntryKind.TRAVEL:
                _recount_travel(session, visit)

    def add_measurement(
        self,
        visit_id: str,
        name: str,
        value: float,
        *,
        unit: str | None = None,
        lower_limit: float | None = None,
        upper_limit: float | None = None,
        phase: MeasurementPhase | str = MeasurementPhase.DURING,
        measured_at: datetime | None = None,
        note: str | None = None,
        application_record_id: str | None = None,
    ) -> bool:
        """Record a measurement; returns whether it is within its limits."""
        fields = measurement_fields(
            name, value, unit, lower_limit, upper_limit, phase, measured_at, note
        )
        with self.workspace.transaction() as session:
            # an application record's process measurements follow the record (open until
            # its outcome, also after departure), the visit's own follow the visit
            visit = (
                self._editable_visit(session, visit_id)
                if application_record_id is None
                else get_live(session, Visit, visit_id, "visit")
            )
            measurement = Measurement(
                visit_id=visit.id, application_record_id=application_record_id, **fields
            )
            session.add(measurement)
            return measurement.within_limits

    def add_part(
        self,
        visit_id: str,
        part_number: str,
        description: str,
        quantity: float = 1,
        *,
        unit: str = "pcs",
        serial_number: str | None = None,
    ) -> None:
        qty = finite(quantity, "quantity")
        if qty <= 0:
            raise ValidationError("Quantity must be more than zero.", field="quantity")
        with self.workspace.transaction() as session:
            visit = self._editable_visit(session, visit_id)
            session.add(
                PartUsed(
                    visit_id=visit.id,
                    part_number=require_text(part_number, "part number", max_len=SHORT_LEN),
                    description=require_text(description, "description"),
                    quantity=qty,
                    unit=require_text(unit, "unit", max_len=SHORT_LEN),
                    serial_number=optional_text(serial_number, "serial number", max_len=SHORT_LEN),
                )
            )

    def update_notes(
        self,
        visit_id: str,
        *,
        work_performed: str | None = None,
        findings: str | None = None,
        follow_up_needed: bool = False,
        follow_up_notes: str | None = None,
        travel_distance_km: float | None = None,
    ) -> VisitView:
        """Save what the engineer has typed so far (called as they type, and on leaving a
        field). Allowed until the visit is finished (departure saves the final text), and
        while a finished visit is being corrected."""
        distance = non_negative(travel_distance_km, "travel distance")
        if distance is not None and distance > MAX_TRAVEL_KM:
            raise ValidationError(
                f"A travel distance of {distance:,.0f} km is not plausible; check the number.",
                field="travel_distance_km",
            )
        with self.workspace.transaction() as session:
            visit = self._editable_visit(session, visit_id)
            visit.work_performed = optional_text(work_performed, "work performed")
            visit.findings = optional_text(findings, "findings")
            visit.follow_up_needed = follow_up_needed
            visit.follow_up_notes = optional_text(follow_up_notes, "follow-up notes")
            visit.travel_distance_km = distance
            return _view(session, visit)

    def remove_part(self, part_id: str) -> None:
        """Take back a part recorded by mistake (a tombstone; the visit must be editable)."""
        self._remove(PartUsed, part_id, "part")

    def remove_time_entry(self, entry_id: str) -> None:
        """Take back a wrong time entry (entries are never edited: record the right one)."""
        self._remove(TimeEntry, entry_id, "time entry")

    def remove_measurement(self, measurement_id: str) -> None:
        """Take back a wrong measurement (never edited: record the right one). A process
        measurement of an application record follows the record: removable while it is
        open (also after departure), never once its outcome is recorded."""
        self._remove(Measurement, measurement_id, "measurement")

    def _remove(
        self, model: type[PartUsed | TimeEntry | Measurement], row_id: str, what: str
    ) -> None:
        with self.workspace.transaction() as session:
            row = get_live(session, model, row_id, what)
            record_id = getattr(row, "application_record_id", None)
            if record_id is not None:
                record = get_live(session, ApplicationRecord, record_id, "application record")
                if record.outcome is not None:
                    raise ValidationError(
                        "This measurement belongs to a completed application record; its "
                        "values can no longer change."
                    )
            else:
                self._editable_visit(session, row.visit_id)
            row.deleted_at = utcnow()
            if isinstance(row, TimeEntry) and row.kind is TimeEntryKind.TRAVEL:
                visit = get_live(session, Visit, row.visit_id, "visit")
                _recount_travel(session, visit)

    def reopen_for_correction(self, visit_id: str) -> VisitView:
        """Open a finished visit whose latest report was returned, so the engineer can
        correct it and report the next revision. Recorded on the case timeline (who, when,
        which revision and why); the visit stays completed with its times. Doing it again
        while it is open changes nothing."""
        with self.workspace.transaction() as session:
            visit: Visit = get_live(session, Visit, visit_id, "visit")
            if visit.status not in (VisitStatus.COMPLETED, VisitStatus.CANCELLED):
                return _view(session, visit)  # not finished: open as it is
            returned = _returned(session, visit) if visit.status is VisitStatus.COMPLETED else None
            if returned is None:
                raise ValidationError(
                    "Only a visit whose report the back office returned can be corrected."
                )
            if not _correcting(session, visit, returned):
                session.add(
                    CaseEvent(
                        case_id=visit.case_id,
                        kind=CaseEventKind.VISIT,
                        occurred_at=utcnow(),
                        author_id=self.user_id,
                        body=(
                            f"Visit reopened for correction: {returned.report_number} "
                            f"revision {returned.revision} was returned by "
                            f"{returned.decided_by}: {returned.reason or ''}"
                        ).strip(),
                        data={"visit_id": visit.id, CORRECTION_OF: returned.report_id},
                    )
                )
            return _view(session, visit)

    def visit_detail(self, visit_id: str) -> VisitDetail:
        """The visit with its measurements, parts and time entries (for the visit panel)."""
        with self.workspace.transaction() as session:
            visit = get_live(session, Visit, visit_id, "visit")
            measurements = session.scalars(
                select(Measurement)
                .where(Measurement.visit_id == visit.id, Measurement.deleted_at.is_(None))
                .order_by(Measurement.measured_at, Measurement.created_at)
            ).all()
            parts = session.scalars(
                select(PartUsed)
                .where(PartUsed.visit_id == visit.id, PartUsed.deleted_at.is_(None))
                .order_by(PartUsed.created_at)
            ).all()
            entries = session.scalars(
                select(TimeEntry)
                .where(TimeEntry.visit_id == visit.id, TimeEntry.deleted_at.is_(None))
                .order_by(TimeEntry.started_at)
            ).all()
            return VisitDetail(
                visit=_view(session, visit),
                follow_up_notes=visit.follow_up_notes,
                measurements=tuple(measurement_view(m) for m in measurements),
                parts=tuple(
                    PartView(
                        p.id, p.part_number, p.description, p.quantity, p.unit, p.serial_number
                    )
                    for p in parts
                ),
                time_entries=tuple(
                    TimeEntryView(t.id, t.kind, t.started_at, t.minutes, t.note) for t in entries
                ),
            )

    def get_visit(self, visit_id: str) -> VisitView:
        with self.workspace.transaction() as session:
            return _view(session, get_live(session, Visit, visit_id, "visit"))

    def visits_of_case(self, case_id: str) -> list[VisitView]:
        with self.workspace.transaction() as session:
            visits = session.scalars(
                select(Visit)
                .where(Visit.case_id == case_id, Visit.deleted_at.is_(None))
                .order_by(Visit.planned_start, Visit.created_at)
            ).all()
            return [_view(session, v) for v in visits]

    @staticmethod
    def _open_visit(session: Session, visit_id: str) -> Visit:
        visit: Visit = get_live(session, Visit, visit_id, "visit")
        if visit.status in (VisitStatus.COMPLETED, VisitStatus.CANCELLED):
            raise ValidationError("This visit is finished; it can no longer be changed.")
        return visit

    @staticmethod
    def _editable_visit(session: Session, visit_id: str) -> Visit:
        """The visit, if its record of work may change: not finished yet, or reopened for
        the correction of a returned report."""
        visit: Visit = get_live(session, Visit, visit_id, "visit")
        if visit.status not in (VisitStatus.COMPLETED, VisitStatus.CANCELLED):
            return visit
        returned = _returned(session, visit) if visit.status is VisitStatus.COMPLETED else None
        if returned is not None and _correcting(session, visit, returned):
            return visit
        if returned is not None:
            raise ValidationError(
                f"This visit is finished. {returned.report_number} revision "
                f"{returned.revision} was returned: use Correct the visit to change it."
            )
        raise ValidationError("This visit is finished; it can no longer be changed.")


def _recount_travel(session: Session, visit: Visit) -> None:
    """The visit's travel time follows its live travel entries (a correction removes a wrong
    one and records the right one; the report and the ERP export read the total)."""
    session.flush()
    total = session.scalar(
        select(func.coalesce(func.sum(TimeEntry.minutes), 0)).where(
            TimeEntry.visit_id == visit.id,
            TimeEntry.kind == TimeEntryKind.TRAVEL,
            TimeEntry.deleted_at.is_(None),
        )
    )
    visit.travel_minutes = int(total or 0)


def _returned(session: Session, visit: Visit) -> VisitReturn | None:
    """The visit's latest finished report revision, if the back office returned it."""
    latest = session.scalar(
        select(ServiceReport)
        .where(
            ServiceReport.visit_id == visit.id,
            ServiceReport.deleted_at.is_(None),
            ServiceReport.status.in_((ReportStatus.SIGNED, ReportStatus.FINAL)),
        )
        .order_by(ServiceReport.revision.desc())
        .limit(1)
    )
    if latest is None:
        return None
    decision = session.scalar(
        select(ReportDecision).where(
            ReportDecision.report_id == latest.id, ReportDecision.deleted_at.is_(None)
        )
    )
    if decision is None or decision.decision is not ReportDecisionKind.RETURNED:
        return None
    return VisitReturn(
        report_id=latest.id,
        report_number=latest.report_number,
        revision=latest.revision,
        reason=decision.reason,
        decided_by=decision.decided_by,
        decided_at=decision.decided_at,
    )


def _correcting(session: Session, visit: Visit, returned: VisitReturn) -> bool:
    """Whether the visit was reopened to correct ``returned`` (a timeline entry says so)."""
    events = session.scalars(
        select(CaseEvent).where(
            CaseEvent.case_id == visit.case_id,
            CaseEvent.kind == CaseEventKind.VISIT,
            CaseEvent.data.is_not(None),
            CaseEvent.deleted_at.is_(None),
        )
    )
    return any(
        isinstance(e.data, dict)
        and e.data.get("visit_id") == visit.id
        and e.data.get(CORRECTION_OF) == returned.report_id
        for e in events
    )


def measurement_view(m: Measurement) -> MeasurementView:
    return MeasurementView(
        m.id,
        m.name,
        m.value,
        m.unit,
        m.lower_limit,
        m.upper_limit,
        m.phase,
        m.measured_at,
        m.within_limits,
        m.note,
    )


def measurement_fields(
    name: str,
    value: float,
    unit: str | None,
    lower_limit: float | None,
    upper_limit: float | None,
    phase: MeasurementPhase | str,
    measured_at: datetime | None,
    note: str | None,
) -> dict[str, object]:
    """A measurement's checked fields (shared with the application records' process
    measurements)."""
    label = require_text(name, "measurement name")
    number = finite(value, "value")
    low = finite(lower_limit, "lower limit") if lower_limit is not None else None
    high = finite(upper_limit, "upper limit") if upper_limit is not None else None
    if low is not None and high is not None and low > high:
        raise ValidationError("The lower limit is above the upper limit.", field="lower_limit")
    when = require_aware(measured_at, "measured at") if measured_at else utcnow()
    # a number without its unit is ambiguous in a report (bar or psi? °C or °F?)
    unit_text = optional_text(unit, "unit", max_len=SHORT_LEN)
    if unit_text is None:
        raise ValidationError(
            f"Enter the unit of {label} (for a value without a unit, such as pH, enter "
            "its scale, e.g. 'pH', or '-').",
            field="unit",
        )
    return {
        "name": label,
        "value": number,
        "unit": unit_text,
        "lower_limit": low,
        "upper_limit": high,
        "phase": parse_enum(MeasurementPhase, phase, "phase"),
        "measured_at": when,
        "note": optional_text(note, "note"),
    }


def _view(session: Session, visit: Visit) -> VisitView:
    session.flush()
    measurements = session.scalar(
        select(func.count())
        .select_from(Measurement)
        .where(Measurement.visit_id == visit.id, Measurement.deleted_at.is_(None))
    )
    minutes = session.scalar(
        select(func.coalesce(func.sum(TimeEntry.minutes), 0)).where(
            TimeEntry.visit_id == visit.id, TimeEntry.deleted_at.is_(None)
        )
    )
    engineer = session.get(User, visit.engineer_id) if visit.engineer_id else None
    returned = _returned(session, visit) if visit.status is VisitStatus.COMPLETED else None
    return VisitView(
        id=visit.id,
        case_id=visit.case_id,
        engineer=engineer.display_name if engineer else None,
        status=visit.status,
        planned_start=visit.planned_start,
        travel_started_at=visit.travel_started_at,
        arrived_at=visit.arrived_at,
        departed_at=visit.departed_at,
        travel_minutes=visit.travel_minutes,
        travel_distance_km=visit.travel_distance_km,
        work_performed=visit.work_performed,
        findings=visit.findings,
        follow_up_needed=visit.follow_up_needed,
        measurement_count=int(measurements or 0),
        time_entry_minutes=int(minutes or 0),
        returned=returned,
        correcting=returned is not None and _correcting(session, visit, returned),
    )
