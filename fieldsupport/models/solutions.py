"""A3 custom solutions (authored by advisors) and their application records (field)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from fieldsupport.models.base import NAME_LEN, SHORT_LEN, Base, SyncMixin, UTCDateTime, enum_column
from fieldsupport.models.enums import ApplicationOutcome, SolutionStatus, StepResultState


class CustomSolution(SyncMixin, Base):
    """One version of a custom solution. Versions of the same solution share ``family_id``;
    a released version is immutable (changes make a new version)."""

    __tablename__ = "custom_solutions"
    __table_args__ = (UniqueConstraint("family_id", "version_number"),)

    family_id: Mapped[str] = mapped_column(String(36))
    version_number: Mapped[int] = mapped_column(Integer, default=1)
    title: Mapped[str] = mapped_column(String(NAME_LEN))
    product_id: Mapped[str | None] = mapped_column(ForeignKey("products.id"))
    target_process: Mapped[str | None] = mapped_column(String(NAME_LEN))
    description: Mapped[str | None] = mapped_column(Text)
    status: Mapped[SolutionStatus] = enum_column(SolutionStatus, default=SolutionStatus.DRAFT)
    materials: Mapped[str | None] = mapped_column(Text)
    safety_notes: Mapped[str | None] = mapped_column(Text)
    author_id: Mapped[str | None] = mapped_column(ForeignKey("users.id"))
    released_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    released_by_id: Mapped[str | None] = mapped_column(ForeignKey("users.id"))

    steps: Mapped[list[SolutionStep]] = relationship(order_by="SolutionStep.position")
    parameters: Mapped[list[SolutionParameter]] = relationship(
        order_by="SolutionParameter.position"
    )


class SolutionStep(SyncMixin, Base):
    __tablename__ = "solution_steps"
    __table_args__ = (UniqueConstraint("solution_id", "position"),)

    solution_id: Mapped[str] = mapped_column(ForeignKey("custom_solutions.id"))
    position: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(NAME_LEN))
    instructions: Mapped[str | None] = mapped_column(Text)
    photo_sha256: Mapped[str | None] = mapped_column(ForeignKey("blobs.sha256"))


class SolutionParameter(SyncMixin, Base):
    """A process parameter with its target range, e.g. dosing rate 12 ml/min (10–14)."""

    __tablename__ = "solution_parameters"
    __table_args__ = (UniqueConstraint("solution_id", "position"),)

    solution_id: Mapped[str] = mapped_column(ForeignKey("custom_solutions.id"))
    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(NAME_LEN))
    unit: Mapped[str | None] = mapped_column(String(SHORT_LEN))
    target: Mapped[float | None] = mapped_column(Float)
    min_value: Mapped[float | None] = mapped_column(Float)
    max_value: Mapped[float | None] = mapped_column(Float)


class CaseSolution(SyncMixin, Base):
    """A released solution version assigned to a case, so the engineer has it offline."""

    __tablename__ = "case_solutions"
    __table_args__ = (UniqueConstraint("case_id", "solution_id"),)

    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"))
    solution_id: Mapped[str] = mapped_column(ForeignKey("custom_solutions.id"))
    assigned_by_id: Mapped[str | None] = mapped_column(ForeignKey("users.id"))
    assigned_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ApplicationRecord(SyncMixin, Base):
    """How a solution version was applied on site, and what it did."""

    __tablename__ = "application_records"

    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"), index=True)
    visit_id: Mapped[str] = mapped_column(ForeignKey("visits.id"), index=True)
    solution_id: Mapped[str] = mapped_column(ForeignKey("custom_solutions.id"))
    applied_at: Mapped[datetime] = mapped_column(UTCDateTime())
    engineer_id: Mapped[str | None] = mapped_column(ForeignKey("users.id"))
    outcome: Mapped[ApplicationOutcome | None] = enum_column(ApplicationOutcome, nullable=True)
    outcome_notes: Mapped[str | None] = mapped_column(Text)
    has_deviation: Mapped[bool] = mapped_column(default=False)
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    reviewed_by_id: Mapped[str | None] = mapped_column(ForeignKey("users.id"))
    review_comment: Mapped[str | None] = mapped_column(Text)

    solution: Mapped[CustomSolution] = relationship()
    parameter_values: Mapped[list[ApplicationParameterValue]] = relationship()
    step_results: Mapped[list[ApplicationStepResult]] = relationship()


class ApplicationParameterValue(SyncMixin, Base):
    __tablename__ = "application_parameter_values"
    __table_args__ = (UniqueConstraint("application_record_id", "parameter_id"),)

    application_record_id: Mapped[str] = mapped_column(ForeignKey("application_records.id"))
    parameter_id: Mapped[str] = mapped_column(ForeignKey("solution_parameters.id"))
    planned_value: Mapped[float | None] = mapped_column(Float)
    actual_value: Mapped[float | None] = mapped_column(Float)
    out_of_range: Mapped[bool] = mapped_column(default=False)
    deviation_reason: Mapped[str | None] = mapped_column(Text)


class ApplicationStepResult(SyncMixin, Base):
    __tablename__ = "application_step_results"
    __table_args__ = (UniqueConstraint("application_record_id", "step_id"),)

    application_record_id: Mapped[str] = mapped_column(ForeignKey("application_records.id"))
    step_id: Mapped[str] = mapped_column(ForeignKey("solution_steps.id"))
    state: Mapped[StepResultState] = enum_column(StepResultState)
    note: Mapped[str | None] = mapped_column(Text)
