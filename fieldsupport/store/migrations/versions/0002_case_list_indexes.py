"""case list indexes

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 03:05:00

The case list sorts and filters 100,000 cases in SQL: by status and due time, by assignee
("My cases"), by last update and by intake time. Without these each page was a full scan.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEXES = {
    "ix_cases_status_resolution_due": ["status", "resolution_due"],
    "ix_cases_assignee_status": ["assignee_id", "status"],
    "ix_cases_updated_at": ["updated_at"],
    "ix_cases_opened_at": ["opened_at"],
}


def upgrade() -> None:
    with op.batch_alter_table("cases") as batch_op:
        for name, columns in INDEXES.items():
            batch_op.create_index(name, columns, unique=False)


def downgrade() -> None:
    with op.batch_alter_table("cases") as batch_op:
        for name in INDEXES:
            batch_op.drop_index(name)
