"""A2 claims (with RMA) and A4 advisories: recall campaigns and per-asset actions."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, Float, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from fieldsupport.models.base import NAME_LEN, SHORT_LEN, Base, SyncMixin, UTCDateTime, enum_column
from fieldsupport.models.enums import (
    CampaignReason,
    CampaignStatus,
    ClaimDecision,
    ClaimStatus,
    ClaimType,
    RecallActionStatus,
    RecallActionTaken,
    RecallRequiredAction,
)


class Claim(SyncMixin, Base):
    __tablename__ = "claims"
    __table_args__ = (
        CheckConstraint(
            "decision IS NULL OR decision_reason IS NOT NULL", name="ck_claims_decision_reason"
        ),
    )

    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"), index=True)
    claim_type: Mapped[ClaimType] = enum_column(ClaimType)
    rma_number: Mapped[str | None] = mapped_column(String(SHORT_LEN), unique=True)
    reason: Mapped[str] = mapped_column(Text)
    customer_request: Mapped[str | None] = mapped_column(Text)
    status: Mapped[ClaimStatus] = enum_column(ClaimStatus, default=ClaimStatus.OPEN)
    decision: Mapped[ClaimDecision | None] = enum_column(ClaimDecision, nullable=True)
    decision_reason: Mapped[str | None] = mapped_column(Text)
    remedy: Mapped[str | None] = mapped_column(Text)
    decided_by_id: Mapped[str | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    items: Mapped[list[ClaimItem]] = relationship()


class ClaimItem(SyncMixin, Base):
    __tablename__ = "claim_items"
    __table_args__ = (CheckConstraint("quantity > 0", name="ck_claim_items_quantity"),)

    claim_id: Mapped[str] = mapped_column(ForeignKey("claims.id"), index=True)
    product_id: Mapped[str | None] = mapped_column(ForeignKey("products.id"))
    description: Mapped[str | None] = mapped_column(String(NAME_LEN))
    serial_number: Mapped[str | None] = mapped_column(String(SHORT_LEN))
    lot_number: Mapped[str | None] = mapped_column(String(SHORT_LEN))
    quantity: Mapped[float] = mapped_column(Float, default=1)


class RecallCampaign(SyncMixin, Base):
    __tablename__ = "recall_campaigns"

    code: Mapped[str] = mapped_column(String(SHORT_LEN), unique=True)
    title: Mapped[str] = mapped_column(String(NAME_LEN))
    reason: Mapped[CampaignReason] = enum_column(CampaignReason)
    required_action: Mapped[RecallRequiredAction] = enum_column(RecallRequiredAction)
    description: Mapped[str | None] = mapped_column(Text)
    due_date: Mapped[date | None] = mapped_column(Date)
    status: Mapped[CampaignStatus] = enum_column(CampaignStatus, default=CampaignStatus.ACTIVE)

    scopes: Mapped[list[RecallCampaignScope]] = relationship()


class RecallCampaignScope(SyncMixin, Base):
    """An affected product with an optional serial range or lot (none = all units)."""

    __tablename__ = "recall_campaign_scopes"

    campaign_id: Mapped[str] = mapped_column(ForeignKey("recall_campaigns.id"), index=True)
    product_id: Mapped[str] = mapped_column(ForeignKey("products.id"))
    serial_from: Mapped[str | None] = mapped_column(String(SHORT_LEN))
    serial_to: Mapped[str | None] = mapped_column(String(SHORT_LEN))
    lot_number: Mapped[str | None] = mapped_column(String(SHORT_LEN))


class RecallAction(SyncMixin, Base):
    """What was done about one affected asset in a campaign."""

    __tablename__ = "recall_actions"
    __table_args__ = (UniqueConstraint("campaign_id", "asset_id"),)

    campaign_id: Mapped[str] = mapped_column(ForeignKey("recall_campaigns.id"))
    asset_id: Mapped[str] = mapped_column(ForeignKey("assets.id"), index=True)
    status: Mapped[RecallActionStatus] = enum_column(
        RecallActionStatus, default=RecallActionStatus.OPEN
    )
    action_taken: Mapped[RecallActionTaken | None] = enum_column(RecallActionTaken, nullable=True)
    performed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    performed_by_id: Mapped[str | None] = mapped_column(ForeignKey("users.id"))
    note: Mapped[str | None] = mapped_column(Text)
    case_id: Mapped[str | None] = mapped_column(ForeignKey("cases.id"))
    visit_id: Mapped[str | None] = mapped_column(ForeignKey("visits.id"))
