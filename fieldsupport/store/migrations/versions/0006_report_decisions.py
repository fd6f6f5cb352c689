"""report decisions

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23 10:34:59

The back office's decision on a service report revision (accepted, or returned with a
reason), made on the central server and pulled by the devices: the engineer sees it in the
case's Reports tab. One decision per revision (unique ``report_id``).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from fieldsupport.models.base import UTCDateTime

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "report_decisions",
        sa.Column("report_id", sa.String(length=36), nullable=False),
        sa.Column(
            "decision",
            sa.Enum(
                "accepted", "returned", name="reportdecisionkind", native_enum=False, length=32
            ),
            nullable=False,
        ),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("decided_by", sa.String(length=64), nullable=False),
        sa.Column("decided_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("decision_seq", sa.Integer(), nullable=False),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", UTCDateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "decision = 'accepted' OR decision = 'returned'",
            name="ck_report_decisions_decision_values",
        ),
        sa.ForeignKeyConstraint(
            ["report_id"],
            ["service_reports.id"],
            name=op.f("fk_report_decisions_report_id_service_reports"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_decisions")),
        sa.UniqueConstraint("report_id", name=op.f("uq_report_decisions_report_id")),
    )


def downgrade() -> None:
    op.drop_table("report_decisions")
