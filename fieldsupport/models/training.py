"""Training sessions given to the customer's staff, with attendance and sign-off."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, Float, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from fieldsupport.models.base import NAME_LEN, Base, SyncMixin, UTCDateTime, enum_column
from fieldsupport.models.enums import AssessmentResult


class TrainingSession(SyncMixin, Base):
    __tablename__ = "training_sessions"
    __table_args__ = (
        CheckConstraint("duration_minutes > 0", name="ck_training_sessions_duration"),
    )

    case_id: Mapped[str | None] = mapped_column(ForeignKey("cases.id"), index=True)
    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.id"))
    visit_id: Mapped[str | None] = mapped_column(ForeignKey("visits.id"))
    topic: Mapped[str] = mapped_column(String(NAME_LEN))
    trainer_id: Mapped[str | None] = mapped_column(ForeignKey("users.id"))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    duration_minutes: Mapped[int] = mapped_column(Integer)
    materials: Mapped[str | None] = mapped_column(Text)
    assessment_notes: Mapped[str | None] = mapped_column(Text)

    attendees: Mapped[list[TrainingAttendee]] = relationship(back_populates="session")


class TrainingAttendee(SyncMixin, Base):
    __tablename__ = "training_attendees"

    session_id: Mapped[str] = mapped_column(ForeignKey("training_sessions.id"), index=True)
    contact_id: Mapped[str | None] = mapped_column(ForeignKey("contacts.id"))
    name: Mapped[str] = mapped_column(String(NAME_LEN))
    role: Mapped[str | None] = mapped_column(String(NAME_LEN))
    company: Mapped[str | None] = mapped_column(String(NAME_LEN))
    signed_off: Mapped[bool] = mapped_column(default=False)
    signature_id: Mapped[str | None] = mapped_column(ForeignKey("signatures.id"))
    assessment: Mapped[AssessmentResult] = enum_column(
        AssessmentResult, default=AssessmentResult.NOT_ASSESSED
    )
    assessment_score: Mapped[float | None] = mapped_column(Float)

    session: Mapped[TrainingSession] = relationship(back_populates="attendees")
