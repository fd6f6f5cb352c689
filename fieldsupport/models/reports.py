"""Service reports: the signed PDF of a visit, and revisions of it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint, event, inspect
from sqlalchemy.orm import Mapped, mapped_column

from fieldsupport.errors import ValidationError
from fieldsupport.models.base import (
    SHORT_LEN,
    AppendOnly,
    Base,
    SyncMixin,
    UTCDateTime,
    enum_column,
)
from fieldsupport.models.enums import ReportDecisionKind, ReportStatus


class ServiceReport(SyncMixin, Base):
    """One revision of a visit's service report. A signed revision is immutable; changes
    produce revision n+1 with the same report number."""

    __tablename__ = "service_reports"
    __table_args__ = (UniqueConstraint("report_number", "revision"),)

    report_number: Mapped[str] = mapped_column(String(SHORT_LEN))
    revision: Mapped[int] = mapped_column(Integer, default=1)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"), index=True)
    visit_id: Mapped[str] = mapped_column(ForeignKey("visits.id"), index=True)
    status: Mapped[ReportStatus] = enum_column(ReportStatus, default=ReportStatus.DRAFT)
    generated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    pdf_sha256: Mapped[str | None] = mapped_column(ForeignKey("blobs.sha256"))
    data_sha256: Mapped[str | None] = mapped_column(ForeignKey("blobs.sha256"))
    signature_id: Mapped[str | None] = mapped_column(ForeignKey("signatures.id"))
    signed_by: Mapped[str | None] = mapped_column(String(200))
    signed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    csat_score: Mapped[int | None] = mapped_column(Integer)
    csat_comment: Mapped[str | None] = mapped_column(Text)


class ReportDecision(AppendOnly, SyncMixin, Base):
    """The back office's decision on one service report revision: accepted (imported) or
    returned with a reason. Made on the central server only (docs/sync-protocol.md,
    section 13), which gives it its id (derived from the report's), the deciding account and
    the server's clock; devices receive it by pull and never write it. One per revision:
    a returned report comes back as the next revision, which gets its own decision."""

    __tablename__ = "report_decisions"

    report_id: Mapped[str] = mapped_column(ForeignKey("service_reports.id"), unique=True)
    decision: Mapped[ReportDecisionKind] = enum_column(ReportDecisionKind)
    reason: Mapped[str | None] = mapped_column(Text)
    decided_by: Mapped[str] = mapped_column(String(SHORT_LEN))
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # the server's change sequence when the decision was made: the export cursor
    decision_seq: Mapped[int] = mapped_column(Integer)


FINISHED_REPORT_STATES = (ReportStatus.SIGNED, ReportStatus.FINAL)


@event.listens_for(ServiceReport, "before_update")
def _signed_reports_are_immutable(_mapper: Any, _connection: Any, report: ServiceReport) -> None:
    """A signed (or finally refused) revision is what the customer saw: never changed. Any
    change after that is a new revision."""
    history = inspect(report).attrs.status.history
    previous = history.deleted[0] if history.deleted else report.status
    if previous in FINISHED_REPORT_STATES:
        raise ValidationError(
            f"Service report {report.report_number} revision {report.revision} is "
            f"{previous.value}; it cannot be changed. Report again to make a new revision."
        )
