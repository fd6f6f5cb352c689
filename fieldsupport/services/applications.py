"""A3 application records (field engineer) and their review (technical advisor).

From a visit the engineer applies a released solution version: the planned values come from
the version; the engineer records actual values (out-of-range values are flagged at once and
need a deviation reason before the record can be completed), marks each step done or skipped
(a skip needs a note), takes before/after process measurements, and records the outcome.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from fieldsupport.errors import ValidationError
from fieldsupport.models import (
    ApplicationParameterValue,
    ApplicationRecord,
    ApplicationStepResult,
    CustomSolution,
    Measurement,
    SolutionParameter,
    SolutionStep,
    User,
    Visit,
    utcnow,
)
from fieldsupport.models.enums import (
    ApplicationOutcome,
    MeasurementPhase,
    SolutionStatus,
    StepResultState,
    VisitStatus,
)
from fieldsupport.services.records import get_live
from fieldsupport.services.validation import optional_text, parse_enum, require_text
from fieldsupport.services.views import MeasurementView
from fieldsupport.services.visits import VisitService, measurement_view
from fieldsupport.workspace import Workspace

_QUANTITY = re.compile(r"^\s*([-+]?\d[\d\s]*(?:[.,]\d+)?(?:[eE][-+]?\d+)?)\s*(.*?)\s*$")


def _unit_key(unit: str | None) -> str:
    return "".join((unit or "").split()).lower().replace("µ", "u").replace("μ", "u")


def parse_quantity(value: float | str, unit: str | None, label: str) -> float:
    """A number, or a number with a unit that must be the parameter's own unit
    ("12.5", "12,5 ml/min"); another unit is refused rather than silently misread."""
    if isinstance(value, bool):
        raise ValidationError(f"{label}: enter a number.", field=label)
    if isinstance(value, int | float):
        number = float(value)
    else:
        match = _QUANTITY.match(str(value))
        if match is None:
            raise ValidationError(
                f"{label}: {str(value).strip()[:40]!r} is not a number.", field=label
            )
        digits, given_unit = match.groups()
        number = float(digits.replace(" ", "").replace(",", "."))
        if given_unit and _unit_key(given_unit) != _unit_key(unit):
            raise ValidationError(
                f"{label} is measured in {unit or 'no unit'}, but the value was given in "
                f"{given_unit}. Convert it to {unit} or enter the number alone.",
                field=label,
            )
    if not math.isfinite(number):
        raise ValidationError(f"{label}: enter a finite number.", field=label)
    return number


@dataclass(frozen=True)
class ParameterValueView:
    parameter_id: str
    name: str
    unit: str | None
    min_value: float | None
    max_value: float | None
    planned_value: float | None
    actual_value: float | None
    out_of_range: bool
    deviation_reason: str | None


@dataclass(frozen=True)
class StepResultView:
    step_id: str
    position: int
    title: str
    instructions: str | None
    state: StepResultState | None
    note: str | None
    #: the step's picture from the solution version (a blob hash), if it has one
    photo_sha256: str | None = None


@dataclass(frozen=True)
class ApplicationView:
    id: str
    case_id: str
    visit_id: str
    solution_id: str
    solution_title: str
    version_number: int
    applied_at: datetime
    engineer: str | None
    outcome: ApplicationOutcome | None
    outcome_notes: str | None
    has_deviation: bool
    reviewed_at: datetime | None
    review_comment: str | None
    parameters: tuple[ParameterValueView, ...]
    steps: tuple[StepResultView, ...]
    #: what the applied version says to bring and to mind on site
    materials: str | None = None
    safety_notes: str | None = None

    @property
    def completed(self) -> bool:
        return self.outcome is not None


def out_of_range(value: float | None, low: float | None, high: float | None) -> bool:
    if value is None:
        return False
    return (low is not None and value < low) or (high is not None and value > high)


class ApplicationService:
    def __init__(self, workspace: Workspace, *, user_id: str | None = None) -> None:
        self.workspace = workspace
        self.user_id = user_id

    def start(self, visit_id: str, solution_id: str) -> ApplicationView:
        """Begin applying a released version on a visit; planned values come from it."""
        with self.workspace.transaction() as session:
            visit = get_live(session, Visit, visit_id, "visit")
            if visit.status in (VisitStatus.COMPLETED, VisitStatus.CANCELLED):
                raise ValidationError(
                    "This visit is finished; start a new visit to apply a solution."
                )
            solution = get_live(session, CustomSolution, solution_id, "custom solution")
            if solution.status is not SolutionStatus.RELEASED:
                raise ValidationError(
                    f"Only a released version can be applied; version {solution.version_number} "
                    f"of {solution.title!r} is {solution.status.value.replace('_', ' ')}."
                )
            record = ApplicationRecord(
                case_id=visit.case_id,
                visit_id=visit.id,
                solution_id=solution.id,
                applied_at=utcnow(),
                engineer_id=self.user_id or visit.engineer_id,
            )
            session.add(record)
            session.flush()
            for p in _live(solution.parameters):
                session.add(
                    ApplicationParameterValue(
                        application_record_id=record.id, parameter_id=p.id, planned_value=p.target
                    )
                )
            session.flush()
            return application_view(session, record)

    def record_value(
        self,
        record_id: str,
        parameter_id: str,
        actual: float | str | None,
        deviation_reason: str | None = None,
    ) -> ParameterValueView:
        """Save an actual value; returns it with its out-of-range flag (shown at once)."""
        with self.workspace.transaction() as session:
            record = self._open(session, record_id)
            value = _value_row(session, record, parameter_id)
            parameter = session.get(SolutionParameter, parameter_id)
            assert parameter is not None
            number = (
                None
                if actual is None or (isinstance(actual, str) and not actual.strip())
                else parse_quantity(actual, parameter.unit, parameter.name)
            )
            value.actual_value = number
            value.out_of_range = out_of_range(number, parameter.min_value, parameter.max_value)
            value.deviation_reason = optional_text(deviation_reason, "deviation reason")
            record.has_deviation = any(v.out_of_range for v in _live(record.parameter_values))
            session.flush()
            return next(
                p
                for p in application_view(session, record).parameters
                if p.parameter_id == parameter_id
            )

    def record_step(
        self, record_id: str, step_id: str, state: StepResultState | str, note: str | None = None
    ) -> None:
        result_state = parse_enum(StepResultState, state, "step result")
        text = optional_text(note, "step note")
        with self.workspace.transaction() as session:
            record = self._open(session, record_id)
            step = get_live(session, SolutionStep, step_id, "procedure step")
            if step.solution_id != record.solution_id:
                raise ValidationError("That step belongs to another solution.")
            if result_state is StepResultState.SKIPPED and not text:
                raise ValidationError(
                    f"Step {step.position} ({step.title}) was skipped: say why in a note.",
                    field="note",
                )
            existing = session.scalar(
                select(ApplicationStepResult).where(
                    ApplicationStepResult.application_record_id == record.id,
                    ApplicationStepResult.step_id == step.id,
                )
            )
            if existing is None:
                session.add(
                    ApplicationStepResult(
                        application_record_id=record.id,
                        step_id=step.id,
                        state=result_state,
                        note=text,
                    )
                )
            else:
                existing.state, existing.note, existing.deleted_at = result_state, text, None

    def add_process_measurement(
        self,
        record_id: str,
        phase: MeasurementPhase | str,
        name: str,
        value: float,
        unit: str,
        *,
        lower_limit: float | None = None,
        upper_limit: float | None = None,
    ) -> bool:
        """A before/after measurement of the customer's process; returns whether in limits."""
        with self.workspace.transaction() as session:
            record = self._open(session, record_id)
            visit_id = record.visit_id
        return VisitService(self.workspace, user_id=self.user_id).add_measurement(
            visit_id,
            name,
            value,
            unit=unit,
            lower_limit=lower_limit,
            upper_limit=upper_limit,
            phase=phase,
            application_record_id=record_id,
        )

    def process_measurements(self, record_id: str) -> list[MeasurementView]:
        """The before/after (and during) measurements taken for this record."""
        with self.workspace.transaction() as session:
            rows = session.scalars(
                select(Measurement)
                .where(
                    Measurement.application_record_id == record_id,
                    Measurement.deleted_at.is_(None),
                )
                .order_by(Measurement.measured_at, Measurement.created_at)
            )
            return [measurement_view(m) for m in rows]

    def complete(
        self, record_id: str, outcome: ApplicationOutcome | str, notes: str | None = None
    ) -> ApplicationView:
        """Record the outcome. Refused while a step has no result or an out-of-range value has
        no deviation reason; the message lists what is missing."""
        result = parse_enum(ApplicationOutcome, outcome, "outcome")
        text = optional_text(notes, "outcome notes")
        with self.workspace.transaction() as session:
            record = self._open(session, record_id)
            view = application_view(session, record)
            problems = [
                f"{p.name} is out of range ({p.actual_value:g}); give a deviation reason"
                for p in view.parameters
                if p.out_of_range and not p.deviation_reason and p.actual_value is not None
            ]
            problems += [
                f"{p.name}: no actual value recorded"
                for p in view.parameters
                if p.actual_value is None
            ]
            problems += [
                f"step {s.position} ({s.title}): mark it done or skipped"
                for s in view.steps
                if s.state is None
            ]
            if problems:
                raise ValidationError("Not complete yet: " + "; ".join(problems) + ".")
            record.outcome = result
            record.outcome_notes = text
            session.flush()
            return application_view(session, record)

    def review(self, record_id: str, comment: str) -> ApplicationView:
        """The advisor's review of a completed record."""
        text = require_text(comment, "review comment", max_len=20_000)
        with self.workspace.transaction() as session:
            record = get_live(session, ApplicationRecord, record_id, "application record")
            if record.outcome is None:
                raise ValidationError("The engineer has not completed this record yet.")
            record.reviewed_at = utcnow()
            record.reviewed_by_id = self.user_id
            record.review_comment = text
            session.flush()
            return application_view(session, record)

    def for_review(self, *, include_reviewed: bool = False) -> list[ApplicationView]:
        """Completed records for the advisor: deviations first, then the newest."""
        with self.workspace.transaction() as session:
            stmt = select(ApplicationRecord).where(
                ApplicationRecord.deleted_at.is_(None), ApplicationRecord.outcome.is_not(None)
            )
            if not include_reviewed:
                stmt = stmt.where(ApplicationRecord.reviewed_at.is_(None))
            stmt = stmt.order_by(
                ApplicationRecord.has_deviation.desc(), ApplicationRecord.applied_at.desc()
            )
            return [application_view(session, r) for r in session.scalars(stmt)]

    def get(self, record_id: str) -> ApplicationView:
        with self.workspace.transaction() as session:
            return application_view(
                session, get_live(session, ApplicationRecord, record_id, "application record")
            )

    def of_visit(self, visit_id: str) -> list[ApplicationView]:
        with self.workspace.transaction() as session:
            records = session.scalars(
                select(ApplicationRecord)
                .where(
                    ApplicationRecord.visit_id == visit_id, ApplicationRecord.deleted_at.is_(None)
                )
                .order_by(ApplicationRecord.applied_at)
            )
            return [application_view(session, r) for r in records]

    @staticmethod
    def _open(session: Session, record_id: str) -> ApplicationRecord:
        record = get_live(session, ApplicationRecord, record_id, "application record")
        if record.outcome is not None:
            raise ValidationError(
                "This application record is complete; its values can no longer change."
            )
        return record


def _live(rows: list) -> list:  # type: ignore[type-arg]
    return [r for r in rows if r.deleted_at is None]


def _value_row(
    session: Session, record: ApplicationRecord, parameter_id: str
) -> ApplicationParameterValue:
    for value in _live(record.parameter_values):
        if value.parameter_id == parameter_id:
            return value  # type: ignore[no-any-return]
    raise ValidationError("That parameter is not part of the applied solution version.")


def application_view(session: Session, record: ApplicationRecord) -> ApplicationView:
    solution = record.solution
    values = {v.parameter_id: v for v in _live(record.parameter_values)}
    results = {r.step_id: r for r in _live(record.step_results)}
    engineer = session.get(User, record.engineer_id) if record.engineer_id else None
    parameters = tuple(
        ParameterValueView(
            p.id,
            p.name,
            p.unit,
            p.min_value,
            p.max_value,
            values[p.id].planned_value if p.id in values else p.target,
            values[p.id].actual_value if p.id in values else None,
            values[p.id].out_of_range if p.id in values else False,
            values[p.id].deviation_reason if p.id in values else None,
        )
        for p in sorted(_live(solution.parameters), key=lambda p: p.position)
    )
    steps = tuple(
        StepResultView(
            s.id,
            s.position,
            s.title,
            s.instructions,
            results[s.id].state if s.id in results else None,
            results[s.id].note if s.id in results else None,
            s.photo_sha256,
        )
        for s in sorted(_live(solution.steps), key=lambda s: s.position)
    )
    return ApplicationView(
        id=record.id,
        case_id=record.case_id,
        visit_id=record.visit_id,
        solution_id=solution.id,
        solution_title=solution.title,
        version_number=solution.version_number,
        applied_at=record.applied_at,
        engineer=engineer.display_name if engineer else None,
        outcome=record.outcome,
        outcome_notes=record.outcome_notes,
        has_deviation=record.has_deviation,
        reviewed_at=record.reviewed_at,
        review_comment=record.review_comment,
        parameters=parameters,
        steps=steps,
        materials=solution.materials,
        safety_notes=solution.safety_notes,
    )
