"""Content-addressed blobs, photos/attachments and signatures."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Float, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from fieldsupport.models.base import (
    NAME_LEN,
    SHORT_LEN,
    Base,
    SyncMixin,
    UTCDateTime,
    enum_column,
    utcnow,
)
from fieldsupport.models.enums import BeforeAfter


class Blob(Base):
    """A file stored once under ``blobs/`` by its SHA-256. Immutable, so not versioned:
    the hash is the identity on every device and on the server."""

    __tablename__ = "blobs"
    __table_args__ = (
        CheckConstraint("length(sha256) = 64", name="ck_blobs_sha256_length"),
        CheckConstraint("size_bytes >= 0", name="ck_blobs_size"),
    )

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    size_bytes: Mapped[int] = mapped_column(Integer)
    media_type: Mapped[str] = mapped_column(String(SHORT_LEN))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


# Owners an attachment can belong to; at least one must be set (CHECK below). Explicit
# foreign keys keep referential integrity that a generic (type, id) pair would lose.
ATTACHMENT_OWNERS = (
    "case_id",
    "visit_id",
    "application_record_id",
    "claim_id",
    "recall_action_id",
    "training_session_id",
    "solution_id",
)


class Attachment(SyncMixin, Base):
    """A photo or other file attached to a record. The bytes live in ``blobs``."""

    __tablename__ = "attachments"
    __table_args__ = (
        CheckConstraint(
            " OR ".join(f"{owner} IS NOT NULL" for owner in ATTACHMENT_OWNERS),
            name="ck_attachments_has_owner",
        ),
    )

    sha256: Mapped[str] = mapped_column(ForeignKey("blobs.sha256"), index=True)
    media_type: Mapped[str] = mapped_column(String(SHORT_LEN))
    size_bytes: Mapped[int] = mapped_column(Integer)
    filename: Mapped[str | None] = mapped_column(String(NAME_LEN))
    width: Mapped[int | None] = mapped_column(Integer)
    height: Mapped[int | None] = mapped_column(Integer)
    taken_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    caption: Mapped[str | None] = mapped_column(Text)
    position: Mapped[int] = mapped_column(Integer, default=0)
    before_after: Mapped[BeforeAfter | None] = enum_column(BeforeAfter, nullable=True)
    pair_id: Mapped[str | None] = mapped_column(String(36))
    # An annotated copy points at the original and keeps the vector marks.
    derived_from_id: Mapped[str | None] = mapped_column(ForeignKey("attachments.id"))
    annotations: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON(none_as_null=True))

    case_id: Mapped[str | None] = mapped_column(ForeignKey("cases.id"), index=True)
    visit_id: Mapped[str | None] = mapped_column(ForeignKey("visits.id"), index=True)
    application_record_id: Mapped[str | None] = mapped_column(ForeignKey("application_records.id"))
    claim_id: Mapped[str | None] = mapped_column(ForeignKey("claims.id"))
    recall_action_id: Mapped[str | None] = mapped_column(ForeignKey("recall_actions.id"))
    training_session_id: Mapped[str | None] = mapped_column(ForeignKey("training_sessions.id"))
    solution_id: Mapped[str | None] = mapped_column(ForeignKey("custom_solutions.id"))


class Signature(SyncMixin, Base):
    """A captured signature (PNG blob plus strokes) or a recorded refusal to sign."""

    __tablename__ = "signatures"
    __table_args__ = (
        CheckConstraint(
            "(declined = 0 AND image_sha256 IS NOT NULL) OR "
            "(declined = 1 AND decline_reason IS NOT NULL)",
            name="ck_signatures_signed_or_declined",
        ),
    )

    signer_name: Mapped[str] = mapped_column(String(NAME_LEN))
    signer_role: Mapped[str | None] = mapped_column(String(NAME_LEN))
    signed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    image_sha256: Mapped[str | None] = mapped_column(ForeignKey("blobs.sha256"))
    strokes: Mapped[list[Any] | None] = mapped_column(JSON(none_as_null=True))
    declined: Mapped[bool] = mapped_column(default=False)
    decline_reason: Mapped[str | None] = mapped_column(Text)
    visit_id: Mapped[str | None] = mapped_column(ForeignKey("visits.id"), index=True)
