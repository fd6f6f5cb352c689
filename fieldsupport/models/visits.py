"""On-site work: visits, their time entries, parts used and measurements."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, Float, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from fieldsupport.models.base import (
    NAME_LEN,
    SHORT_LEN,
    AppendOnly,
    Base,
    SyncMixin,
    UTCDateTime,
    enum_column,
)
from fieldsupport.models.enums import MeasurementPhase, TimeEntryKind, VisitStatus
from fieldsupport.models.parties import User


class Visit(SyncMixin, Base):
    __tablename__ = "visits"
    __table_args__ = (
        CheckConstraint(
            "departed_at IS NULL OR arrived_at IS NULL OR departed_at >= arrived_at",
            name="ck_visits_departure_after_arrival",
        ),
        CheckConstraint(
            "travel_minutes IS NULL OR travel_minutes >= 0", name="ck_visits_travel_minutes"
        ),
        CheckConstraint(
            "travel_distance_km IS NULL OR travel_distance_km >= 0",
            name="ck_visits_travel_distance",
        ),
    )

    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"), index=True)
    engineer_id: Mapped[str | None] = mapped_column(ForeignKey("users.id"))
    status: Mapped[VisitStatus] = enum_column(VisitStatus, default=VisitStatus.PLANNED)
    planned_start: Mapped[datetime | None] = mapped_column(UTCDateTime())
    planned_end: Mapped[datetime | None] = mapped_column(UTCDateTime())
    travel_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    arrived_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    departed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    travel_minutes: Mapped[int | None] = mapped_column(Integer)
    travel_distance_km: Mapped[float | None] = mapped_column(Float)
    work_performed: Mapped[str | None] = mapped_column(Text)
    findings: Mapped[str | None] = mapped_column(Text)
    follow_up_needed: Mapped[bool] = mapped_column(default=False)
    follow_up_notes: Mapped[str | None] = mapped_column(Text)

    engineer: Mapped[User | None] = relationship()
    time_entries: Mapped[list[TimeEntry]] = relationship(
        back_populates="visit", order_by="TimeEntry.started_at"
    )
    parts: Mapped[list[PartUsed]] = relationship(back_populates="visit")
    measurements: Mapped[list[Measurement]] = relationship(
        back_populates="visit", order_by="Measurement.measured_at"
    )


class TimeEntry(AppendOnly, SyncMixin, Base):
    __tablename__ = "time_entries"
    __table_args__ = (CheckConstraint("minutes >= 0", name="ck_time_entries_minutes"),)

    visit_id: Mapped[str] = mapped_column(ForeignKey("visits.id"), index=True)
    engineer_id: Mapped[str | None] = mapped_column(ForeignKey("users.id"))
    kind: Mapped[TimeEntryKind] = enum_column(TimeEntryKind)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    minutes: Mapped[int] = mapped_column(Integer)
    note: Mapped[str | None] = mapped_column(Text)

    visit: Mapped[Visit] = relationship(back_populates="time_entries")


class PartUsed(SyncMixin, Base):
    __tablename__ = "parts_used"
    __table_args__ = (CheckConstraint("quantity > 0", name="ck_parts_used_quantity"),)

    visit_id: Mapped[str] = mapped_column(ForeignKey("visits.id"), index=True)
    product_id: Mapped[str | None] = mapped_column(ForeignKey("products.id"))
    part_number: Mapped[str] = mapped_column(String(SHORT_LEN))
    description: Mapped[str] = mapped_column(String(NAME_LEN))
    quantity: Mapped[float] = mapped_column(Float, default=1)
    unit: Mapped[str] = mapped_column(String(SHORT_LEN), default="pcs")
    serial_number: Mapped[str | None] = mapped_column(String(SHORT_LEN))

    visit: Mapped[Visit] = relationship(back_populates="parts")


class Measurement(AppendOnly, SyncMixin, Base):
    """A measured value with optional limits. Belongs to a visit, optionally to an
    application record (before/after process measurements of a custom solution)."""

    __tablename__ = "measurements"

    visit_id: Mapped[str] = mapped_column(ForeignKey("visits.id"), index=True)
    application_record_id: Mapped[str | None] = mapped_column(
        ForeignKey("application_records.id"), index=True
    )
    name: Mapped[str] = mapped_column(String(NAME_LEN))
    value: Mapped[float] = mapped_column(Float)
    unit: Mapped[str | None] = mapped_column(String(SHORT_LEN))
    lower_limit: Mapped[float | None] = mapped_column(Float)
    upper_limit: Mapped[float | None] = mapped_column(Float)
    phase: Mapped[MeasurementPhase] = enum_column(MeasurementPhase, default=MeasurementPhase.DURING)
    measured_at: Mapped[datetime] = mapped_column(UTCDateTime())
    note: Mapped[str | None] = mapped_column(Text)

    visit: Mapped[Visit] = relationship(back_populates="measurements")

    @property
    def within_limits(self) -> bool:
        if self.lower_limit is not None and self.value < self.lower_limit:
            return False
        return not (self.upper_limit is not None and self.value > self.upper_limit)
