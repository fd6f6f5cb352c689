"""Cases and their append-only timeline."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, Integer, String, Text
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
from fieldsupport.models.enums import (
    AssistType,
    CaseEventKind,
    CaseStatus,
    Channel,
    Priority,
    Severity,
)
from fieldsupport.models.parties import Asset, Contact, Customer, Site, User


class Case(SyncMixin, Base):
    """One support case of any assist type (A1 inquiry … A4 advisory)."""

    __tablename__ = "cases"
    __table_args__ = (
        CheckConstraint("support_tier BETWEEN 1 AND 3", name="ck_cases_support_tier_range"),
        CheckConstraint(
            "csat_score IS NULL OR csat_score BETWEEN 1 AND 5", name="ck_cases_csat_score_range"
        ),
        # The case list sorts and filters on these in SQL (see services.case_queries).
        Index("ix_cases_status_resolution_due", "status", "resolution_due"),
        Index("ix_cases_assignee_status", "assignee_id", "status"),
        Index("ix_cases_updated_at", "updated_at"),
        Index("ix_cases_opened_at", "opened_at"),
    )

    case_number: Mapped[str] = mapped_column(String(SHORT_LEN), unique=True)
    assist_type: Mapped[AssistType] = enum_column(AssistType)
    title: Mapped[str] = mapped_column(String(NAME_LEN))
    channel: Mapped[Channel] = enum_column(Channel, default=Channel.PHONE)
    category: Mapped[str | None] = mapped_column(String(SHORT_LEN))
    priority: Mapped[Priority] = enum_column(Priority, default=Priority.NORMAL)
    severity: Mapped[Severity] = enum_column(Severity, default=Severity.MODERATE)
    status: Mapped[CaseStatus] = enum_column(CaseStatus, default=CaseStatus.NEW)
    # Where waiting-on-customer / escalated return to (workflow.CaseState.resume_status).
    resume_status: Mapped[CaseStatus | None] = enum_column(CaseStatus, nullable=True)
    support_tier: Mapped[int] = mapped_column(Integer, default=1)
    assignee_id: Mapped[str | None] = mapped_column(ForeignKey("users.id"))
    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.id"), index=True)
    site_id: Mapped[str | None] = mapped_column(ForeignKey("sites.id"))
    reporting_contact_id: Mapped[str | None] = mapped_column(ForeignKey("contacts.id"))
    asset_id: Mapped[str | None] = mapped_column(ForeignKey("assets.id"), index=True)
    description: Mapped[str | None] = mapped_column(Text)
    resolution: Mapped[str | None] = mapped_column(Text)
    promised_response: Mapped[str | None] = mapped_column(Text)
    verification: Mapped[str | None] = mapped_column(Text)
    customer_verified: Mapped[bool] = mapped_column(default=False)
    close_reason: Mapped[str | None] = mapped_column(Text)

    opened_at: Mapped[datetime] = mapped_column(UTCDateTime())
    first_response_due: Mapped[datetime | None] = mapped_column(UTCDateTime())
    resolution_due: Mapped[datetime | None] = mapped_column(UTCDateTime())
    first_response_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    csat_score: Mapped[int | None] = mapped_column(Integer)
    csat_comment: Mapped[str | None] = mapped_column(Text)

    customer: Mapped[Customer] = relationship()
    site: Mapped[Site | None] = relationship()
    asset: Mapped[Asset | None] = relationship()
    assignee: Mapped[User | None] = relationship()
    reporting_contact: Mapped[Contact | None] = relationship()
    events: Mapped[list[CaseEvent]] = relationship(
        back_populates="case", order_by="CaseEvent.occurred_at"
    )


class CaseEvent(AppendOnly, SyncMixin, Base):
    """An entry of the case timeline. Never edited: corrections are new entries."""

    __tablename__ = "case_events"
    __table_args__ = (Index("ix_case_events_case_occurred", "case_id", "occurred_at"),)

    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"))
    kind: Mapped[CaseEventKind] = enum_column(CaseEventKind)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime())
    author_id: Mapped[str | None] = mapped_column(ForeignKey("users.id"))
    body: Mapped[str | None] = mapped_column(Text)
    from_status: Mapped[CaseStatus | None] = enum_column(CaseStatus, nullable=True)
    to_status: Mapped[CaseStatus | None] = enum_column(CaseStatus, nullable=True)
    # Structured extras per kind (e.g. call duration, e-mail subject, escalation tier).
    data: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True))

    case: Mapped[Case] = relationship(back_populates="events")
    author: Mapped[User | None] = relationship()
