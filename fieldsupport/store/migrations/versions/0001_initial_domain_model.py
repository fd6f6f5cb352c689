"""initial domain model

Revision ID: 0001
Revises: (none)
Create Date: 2026-11-23 03:23:39.189409

The whole domain of the product as first shipped: parties, cases and their timeline, visits,
custom solutions and application records, training, media, knowledge, claims and recalls,
service reports and local settings. Enum columns are checked with OR chains (see
models.base.enum_column).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "blobs",
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("media_type", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("length(sha256) = 64", name="ck_blobs_sha256_length"),
        sa.CheckConstraint("size_bytes >= 0", name="ck_blobs_size"),
        sa.PrimaryKeyConstraint("sha256", name=op.f("pk_blobs")),
    )
    op.create_table(
        "customers",
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("account_number", sa.String(length=64), nullable=True),
        sa.Column("industry", sa.String(length=200), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customers")),
        sa.UniqueConstraint("account_number", name=op.f("uq_customers_account_number")),
    )
    with op.batch_alter_table("customers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_customers_name"), ["name"], unique=False)

    op.create_table(
        "products",
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("category", sa.String(length=64), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_products")),
        sa.UniqueConstraint("code", name=op.f("uq_products_code")),
    )
    op.create_table(
        "recall_campaigns",
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column(
            "reason",
            sa.Enum(
                "quality_issue",
                "recall_advice",
                name="campaignreason",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column(
            "required_action",
            sa.Enum(
                "notify",
                "recall",
                "repair",
                "replace",
                name="recallrequiredaction",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("due_date", sa.Date(), nullable=True),
        sa.Column(
            "status",
            sa.Enum("active", "closed", name="campaignstatus", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "reason = 'quality_issue' OR reason = 'recall_advice'",
            name="ck_recall_campaigns_reason_values",
        ),
        sa.CheckConstraint(
            "reason = 'quality_issue' OR reason = 'recall_advice'",
            name="ck_recall_campaigns_reason_values",
        ),
        sa.CheckConstraint(
            "required_action = 'notify' OR required_action = 'recall' OR required_action = 'repair' OR required_action = 'replace'",
            name="ck_recall_campaigns_required_action_values",
        ),
        sa.CheckConstraint(
            "required_action = 'notify' OR required_action = 'recall' OR required_action = 'repair' OR required_action = 'replace'",
            name="ck_recall_campaigns_required_action_values",
        ),
        sa.CheckConstraint(
            "status = 'active' OR status = 'closed'", name="ck_recall_campaigns_status_values"
        ),
        sa.CheckConstraint(
            "status = 'active' OR status = 'closed'", name="ck_recall_campaigns_status_values"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recall_campaigns")),
        sa.UniqueConstraint("code", name=op.f("uq_recall_campaigns_code")),
    )
    op.create_table(
        "settings",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("value", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_settings")),
    )
    op.create_table(
        "users",
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("display_name", sa.String(length=200), nullable=False),
        sa.Column(
            "role",
            sa.Enum(
                "engineer",
                "advisor",
                "back_office",
                "admin",
                name="userrole",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("team", sa.String(length=64), nullable=True),
        sa.Column("email", sa.String(length=200), nullable=True),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "role = 'engineer' OR role = 'advisor' OR role = 'back_office' OR role = 'admin'",
            name="ck_users_role_values",
        ),
        sa.CheckConstraint(
            "role = 'engineer' OR role = 'advisor' OR role = 'back_office' OR role = 'admin'",
            name="ck_users_role_values",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("username", name=op.f("uq_users_username")),
    )
    op.create_table(
        "custom_solutions",
        sa.Column("family_id", sa.String(length=36), nullable=False),
        sa.Column("version_number", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("product_id", sa.String(length=36), nullable=True),
        sa.Column("target_process", sa.String(length=200), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "draft",
                "in_review",
                "released",
                "retired",
                name="solutionstatus",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("materials", sa.Text(), nullable=True),
        sa.Column("safety_notes", sa.Text(), nullable=True),
        sa.Column("author_id", sa.String(length=36), nullable=True),
        sa.Column("released_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("released_by_id", sa.String(length=36), nullable=True),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "status = 'draft' OR status = 'in_review' OR status = 'released' OR status = 'retired'",
            name="ck_custom_solutions_status_values",
        ),
        sa.CheckConstraint(
            "status = 'draft' OR status = 'in_review' OR status = 'released' OR status = 'retired'",
            name="ck_custom_solutions_status_values",
        ),
        sa.ForeignKeyConstraint(
            ["author_id"], ["users.id"], name=op.f("fk_custom_solutions_author_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["product_id"], ["products.id"], name=op.f("fk_custom_solutions_product_id_products")
        ),
        sa.ForeignKeyConstraint(
            ["released_by_id"], ["users.id"], name=op.f("fk_custom_solutions_released_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_custom_solutions")),
        sa.UniqueConstraint(
            "family_id", "version_number", name=op.f("uq_custom_solutions_family_id_version_number")
        ),
    )
    op.create_table(
        "recall_campaign_scopes",
        sa.Column("campaign_id", sa.String(length=36), nullable=False),
        sa.Column("product_id", sa.String(length=36), nullable=False),
        sa.Column("serial_from", sa.String(length=64), nullable=True),
        sa.Column("serial_to", sa.String(length=64), nullable=True),
        sa.Column("lot_number", sa.String(length=64), nullable=True),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["recall_campaigns.id"],
            name=op.f("fk_recall_campaign_scopes_campaign_id_recall_campaigns"),
        ),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["products.id"],
            name=op.f("fk_recall_campaign_scopes_product_id_products"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recall_campaign_scopes")),
    )
    with op.batch_alter_table("recall_campaign_scopes", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_recall_campaign_scopes_campaign_id"), ["campaign_id"], unique=False
        )

    op.create_table(
        "sites",
        sa.Column("customer_id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("address_line1", sa.String(length=200), nullable=True),
        sa.Column("address_line2", sa.String(length=200), nullable=True),
        sa.Column("postal_code", sa.String(length=64), nullable=True),
        sa.Column("city", sa.String(length=200), nullable=True),
        sa.Column("country", sa.String(length=64), nullable=True),
        sa.Column("latitude", sa.Float(), nullable=True),
        sa.Column("longitude", sa.Float(), nullable=True),
        sa.Column("access_notes", sa.Text(), nullable=True),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_sites_customer_id_customers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sites")),
    )
    with op.batch_alter_table("sites", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sites_customer_id"), ["customer_id"], unique=False)

    op.create_table(
        "assets",
        sa.Column("product_id", sa.String(length=36), nullable=False),
        sa.Column("site_id", sa.String(length=36), nullable=False),
        sa.Column("serial_number", sa.String(length=64), nullable=True),
        sa.Column("lot_number", sa.String(length=64), nullable=True),
        sa.Column("install_date", sa.Date(), nullable=True),
        sa.Column("warranty_end", sa.Date(), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["product_id"], ["products.id"], name=op.f("fk_assets_product_id_products")
        ),
        sa.ForeignKeyConstraint(["site_id"], ["sites.id"], name=op.f("fk_assets_site_id_sites")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assets")),
    )
    with op.batch_alter_table("assets", schema=None) as batch_op:
        batch_op.create_index(
            "ix_assets_product_serial", ["product_id", "serial_number"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_assets_site_id"), ["site_id"], unique=False)

    op.create_table(
        "contacts",
        sa.Column("customer_id", sa.String(length=36), nullable=False),
        sa.Column("site_id", sa.String(length=36), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("role", sa.String(length=200), nullable=True),
        sa.Column("email", sa.String(length=200), nullable=True),
        sa.Column("phone", sa.String(length=64), nullable=True),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_contacts_customer_id_customers")
        ),
        sa.ForeignKeyConstraint(["site_id"], ["sites.id"], name=op.f("fk_contacts_site_id_sites")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contacts")),
    )
    with op.batch_alter_table("contacts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_contacts_customer_id"), ["customer_id"], unique=False)

    op.create_table(
        "solution_parameters",
        sa.Column("solution_id", sa.String(length=36), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("unit", sa.String(length=64), nullable=True),
        sa.Column("target", sa.Float(), nullable=True),
        sa.Column("min_value", sa.Float(), nullable=True),
        sa.Column("max_value", sa.Float(), nullable=True),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["solution_id"],
            ["custom_solutions.id"],
            name=op.f("fk_solution_parameters_solution_id_custom_solutions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_solution_parameters")),
        sa.UniqueConstraint(
            "solution_id", "position", name=op.f("uq_solution_parameters_solution_id_position")
        ),
    )
    op.create_table(
        "solution_steps",
        sa.Column("solution_id", sa.String(length=36), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("instructions", sa.Text(), nullable=True),
        sa.Column("photo_sha256", sa.String(length=64), nullable=True),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["photo_sha256"], ["blobs.sha256"], name=op.f("fk_solution_steps_photo_sha256_blobs")
        ),
        sa.ForeignKeyConstraint(
            ["solution_id"],
            ["custom_solutions.id"],
            name=op.f("fk_solution_steps_solution_id_custom_solutions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_solution_steps")),
        sa.UniqueConstraint(
            "solution_id", "position", name=op.f("uq_solution_steps_solution_id_position")
        ),
    )
    op.create_table(
        "cases",
        sa.Column("case_number", sa.String(length=64), nullable=False),
        sa.Column(
            "assist_type",
            sa.Enum("A1", "A2", "A3", "A4", name="assisttype", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column(
            "channel",
            sa.Enum(
                "phone",
                "email",
                "chat",
                "portal",
                "social",
                "on_site",
                name="channel",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("category", sa.String(length=64), nullable=True),
        sa.Column(
            "priority",
            sa.Enum(
                "urgent", "high", "normal", "low", name="priority", native_enum=False, length=32
            ),
            nullable=False,
        ),
        sa.Column(
            "severity",
            sa.Enum(
                "critical",
                "major",
                "moderate",
                "minor",
                name="severity",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column(
            "status",
            sa.Enum(
                "new",
                "triaged",
                "assigned",
                "responded",
                "investigating",
                "solution_proposed",
                "implementing",
                "awaiting_verification",
                "waiting_on_customer",
                "escalated",
                "resolved",
                "closed",
                "reopened",
                name="casestatus",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column(
            "resume_status",
            sa.Enum(
                "new",
                "triaged",
                "assigned",
                "responded",
                "investigating",
                "solution_proposed",
                "implementing",
                "awaiting_verification",
                "waiting_on_customer",
                "escalated",
                "resolved",
                "closed",
                "reopened",
                name="casestatus",
                native_enum=False,
                length=32,
            ),
            nullable=True,
        ),
        sa.Column("support_tier", sa.Integer(), nullable=False),
        sa.Column("assignee_id", sa.String(length=36), nullable=True),
        sa.Column("customer_id", sa.String(length=36), nullable=False),
        sa.Column("site_id", sa.String(length=36), nullable=True),
        sa.Column("reporting_contact_id", sa.String(length=36), nullable=True),
        sa.Column("asset_id", sa.String(length=36), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("resolution", sa.Text(), nullable=True),
        sa.Column("promised_response", sa.Text(), nullable=True),
        sa.Column("verification", sa.Text(), nullable=True),
        sa.Column("customer_verified", sa.Boolean(), nullable=False),
        sa.Column("close_reason", sa.Text(), nullable=True),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("first_response_due", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolution_due", sa.DateTime(timezone=True), nullable=True),
        sa.Column("first_response_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("csat_score", sa.Integer(), nullable=True),
        sa.Column("csat_comment", sa.Text(), nullable=True),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "assist_type = 'A1' OR assist_type = 'A2' OR assist_type = 'A3' OR assist_type = 'A4'",
            name="ck_cases_assist_type_values",
        ),
        sa.CheckConstraint(
            "assist_type = 'A1' OR assist_type = 'A2' OR assist_type = 'A3' OR assist_type = 'A4'",
            name="ck_cases_assist_type_values",
        ),
        sa.CheckConstraint(
            "channel = 'phone' OR channel = 'email' OR channel = 'chat' OR channel = 'portal' OR channel = 'social' OR channel = 'on_site'",
            name="ck_cases_channel_values",
        ),
        sa.CheckConstraint(
            "channel = 'phone' OR channel = 'email' OR channel = 'chat' OR channel = 'portal' OR channel = 'social' OR channel = 'on_site'",
            name="ck_cases_channel_values",
        ),
        sa.CheckConstraint(
            "priority = 'urgent' OR priority = 'high' OR priority = 'normal' OR priority = 'low'",
            name="ck_cases_priority_values",
        ),
        sa.CheckConstraint(
            "priority = 'urgent' OR priority = 'high' OR priority = 'normal' OR priority = 'low'",
            name="ck_cases_priority_values",
        ),
        sa.CheckConstraint(
            "resume_status IS NULL OR resume_status = 'new' OR resume_status = 'triaged' OR resume_status = 'assigned' OR resume_status = 'responded' OR resume_status = 'investigating' OR resume_status = 'solution_proposed' OR resume_status = 'implementing' OR resume_status = 'awaiting_verification' OR resume_status = 'waiting_on_customer' OR resume_status = 'escalated' OR resume_status = 'resolved' OR resume_status = 'closed' OR resume_status = 'reopened'",
            name="ck_cases_resume_status_values",
        ),
        sa.CheckConstraint(
            "resume_status IS NULL OR resume_status = 'new' OR resume_status = 'triaged' OR resume_status = 'assigned' OR resume_status = 'responded' OR resume_status = 'investigating' OR resume_status = 'solution_proposed' OR resume_status = 'implementing' OR resume_status = 'awaiting_verification' OR resume_status = 'waiting_on_customer' OR resume_status = 'escalated' OR resume_status = 'resolved' OR resume_status = 'closed' OR resume_status = 'reopened'",
            name="ck_cases_resume_status_values",
        ),
        sa.CheckConstraint(
            "severity = 'critical' OR severity = 'major' OR severity = 'moderate' OR severity = 'minor'",
            name="ck_cases_severity_values",
        ),
        sa.CheckConstraint(
            "severity = 'critical' OR severity = 'major' OR severity = 'moderate' OR severity = 'minor'",
            name="ck_cases_severity_values",
        ),
        sa.CheckConstraint(
            "status = 'new' OR status = 'triaged' OR status = 'assigned' OR status = 'responded' OR status = 'investigating' OR status = 'solution_proposed' OR status = 'implementing' OR status = 'awaiting_verification' OR status = 'waiting_on_customer' OR status = 'escalated' OR status = 'resolved' OR status = 'closed' OR status = 'reopened'",
            name="ck_cases_status_values",
        ),
        sa.CheckConstraint(
            "status = 'new' OR status = 'triaged' OR status = 'assigned' OR status = 'responded' OR status = 'investigating' OR status = 'solution_proposed' OR status = 'implementing' OR status = 'awaiting_verification' OR status = 'waiting_on_customer' OR status = 'escalated' OR status = 'resolved' OR status = 'closed' OR status = 'reopened'",
            name="ck_cases_status_values",
        ),
        sa.CheckConstraint(
            "csat_score IS NULL OR csat_score BETWEEN 1 AND 5", name="ck_cases_csat_score_range"
        ),
        sa.CheckConstraint("support_tier BETWEEN 1 AND 3", name="ck_cases_support_tier_range"),
        sa.ForeignKeyConstraint(["asset_id"], ["assets.id"], name=op.f("fk_cases_asset_id_assets")),
        sa.ForeignKeyConstraint(
            ["assignee_id"], ["users.id"], name=op.f("fk_cases_assignee_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_cases_customer_id_customers")
        ),
        sa.ForeignKeyConstraint(
            ["reporting_contact_id"],
            ["contacts.id"],
            name=op.f("fk_cases_reporting_contact_id_contacts"),
        ),
        sa.ForeignKeyConstraint(["site_id"], ["sites.id"], name=op.f("fk_cases_site_id_sites")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cases")),
        sa.UniqueConstraint("case_number", name=op.f("uq_cases_case_number")),
    )
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_cases_asset_id"), ["asset_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_cases_customer_id"), ["customer_id"], unique=False)

    op.create_table(
        "case_events",
        sa.Column("case_id", sa.String(length=36), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "note",
                "call",
                "email",
                "status_change",
                "escalation",
                "assignment",
                "visit",
                "system",
                name="caseeventkind",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("author_id", sa.String(length=36), nullable=True),
        sa.Column("body", sa.Text(), nullable=True),
        sa.Column(
            "from_status",
            sa.Enum(
                "new",
                "triaged",
                "assigned",
                "responded",
                "investigating",
                "solution_proposed",
                "implementing",
                "awaiting_verification",
                "waiting_on_customer",
                "escalated",
                "resolved",
                "closed",
                "reopened",
                name="casestatus",
                native_enum=False,
                length=32,
            ),
            nullable=True,
        ),
        sa.Column(
            "to_status",
            sa.Enum(
                "new",
                "triaged",
                "assigned",
                "responded",
                "investigating",
                "solution_proposed",
                "implementing",
                "awaiting_verification",
                "waiting_on_customer",
                "escalated",
                "resolved",
                "closed",
                "reopened",
                name="casestatus",
                native_enum=False,
                length=32,
            ),
            nullable=True,
        ),
        sa.Column("data", sa.JSON(none_as_null=True), nullable=True),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "from_status IS NULL OR from_status = 'new' OR from_status = 'triaged' OR from_status = 'assigned' OR from_status = 'responded' OR from_status = 'investigating' OR from_status = 'solution_proposed' OR from_status = 'implementing' OR from_status = 'awaiting_verification' OR from_status = 'waiting_on_customer' OR from_status = 'escalated' OR from_status = 'resolved' OR from_status = 'closed' OR from_status = 'reopened'",
            name="ck_case_events_from_status_values",
        ),
        sa.CheckConstraint(
            "from_status IS NULL OR from_status = 'new' OR from_status = 'triaged' OR from_status = 'assigned' OR from_status = 'responded' OR from_status = 'investigating' OR from_status = 'solution_proposed' OR from_status = 'implementing' OR from_status = 'awaiting_verification' OR from_status = 'waiting_on_customer' OR from_status = 'escalated' OR from_status = 'resolved' OR from_status = 'closed' OR from_status = 'reopened'",
            name="ck_case_events_from_status_values",
        ),
        sa.CheckConstraint(
            "kind = 'note' OR kind = 'call' OR kind = 'email' OR kind = 'status_change' OR kind = 'escalation' OR kind = 'assignment' OR kind = 'visit' OR kind = 'system'",
            name="ck_case_events_kind_values",
        ),
        sa.CheckConstraint(
            "kind = 'note' OR kind = 'call' OR kind = 'email' OR kind = 'status_change' OR kind = 'escalation' OR kind = 'assignment' OR kind = 'visit' OR kind = 'system'",
            name="ck_case_events_kind_values",
        ),
        sa.CheckConstraint(
            "to_status IS NULL OR to_status = 'new' OR to_status = 'triaged' OR to_status = 'assigned' OR to_status = 'responded' OR to_status = 'investigating' OR to_status = 'solution_proposed' OR to_status = 'implementing' OR to_status = 'awaiting_verification' OR to_status = 'waiting_on_customer' OR to_status = 'escalated' OR to_status = 'resolved' OR to_status = 'closed' OR to_status = 'reopened'",
            name="ck_case_events_to_status_values",
        ),
        sa.CheckConstraint(
            "to_status IS NULL OR to_status = 'new' OR to_status = 'triaged' OR to_status = 'assigned' OR to_status = 'responded' OR to_status = 'investigating' OR to_status = 'solution_proposed' OR to_status = 'implementing' OR to_status = 'awaiting_verification' OR to_status = 'waiting_on_customer' OR to_status = 'escalated' OR to_status = 'resolved' OR to_status = 'closed' OR to_status = 'reopened'",
            name="ck_case_events_to_status_values",
        ),
        sa.ForeignKeyConstraint(
            ["author_id"], ["users.id"], name=op.f("fk_case_events_author_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_case_events_case_id_cases")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_events")),
    )
    with op.batch_alter_table("case_events", schema=None) as batch_op:
        batch_op.create_index(
            "ix_case_events_case_occurred", ["case_id", "occurred_at"], unique=False
        )

    op.create_table(
        "case_solutions",
        sa.Column("case_id", sa.String(length=36), nullable=False),
        sa.Column("solution_id", sa.String(length=36), nullable=False),
        sa.Column("assigned_by_id", sa.String(length=36), nullable=True),
        sa.Column("assigned_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["assigned_by_id"], ["users.id"], name=op.f("fk_case_solutions_assigned_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_case_solutions_case_id_cases")
        ),
        sa.ForeignKeyConstraint(
            ["solution_id"],
            ["custom_solutions.id"],
            name=op.f("fk_case_solutions_solution_id_custom_solutions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_solutions")),
        sa.UniqueConstraint(
            "case_id", "solution_id", name=op.f("uq_case_solutions_case_id_solution_id")
        ),
    )
    op.create_table(
        "claims",
        sa.Column("case_id", sa.String(length=36), nullable=False),
        sa.Column(
            "claim_type",
            sa.Enum(
                "refund",
                "return",
                "replacement",
                "repair",
                name="claimtype",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("rma_number", sa.String(length=64), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("customer_request", sa.Text(), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "open",
                "under_review",
                "approved",
                "rejected",
                "in_progress",
                "completed",
                name="claimstatus",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column(
            "decision",
            sa.Enum("approved", "rejected", name="claimdecision", native_enum=False, length=32),
            nullable=True,
        ),
        sa.Column("decision_reason", sa.Text(), nullable=True),
        sa.Column("remedy", sa.Text(), nullable=True),
        sa.Column("decided_by_id", sa.String(length=36), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "claim_type = 'refund' OR claim_type = 'return' OR claim_type = 'replacement' OR claim_type = 'repair'",
            name="ck_claims_claim_type_values",
        ),
        sa.CheckConstraint(
            "claim_type = 'refund' OR claim_type = 'return' OR claim_type = 'replacement' OR claim_type = 'repair'",
            name="ck_claims_claim_type_values",
        ),
        sa.CheckConstraint(
            "decision IS NULL OR decision = 'approved' OR decision = 'rejected'",
            name="ck_claims_decision_values",
        ),
        sa.CheckConstraint(
            "decision IS NULL OR decision = 'approved' OR decision = 'rejected'",
            name="ck_claims_decision_values",
        ),
        sa.CheckConstraint(
            "status = 'open' OR status = 'under_review' OR status = 'approved' OR status = 'rejected' OR status = 'in_progress' OR status = 'completed'",
            name="ck_claims_status_values",
        ),
        sa.CheckConstraint(
            "status = 'open' OR status = 'under_review' OR status = 'approved' OR status = 'rejected' OR status = 'in_progress' OR status = 'completed'",
            name="ck_claims_status_values",
        ),
        sa.CheckConstraint(
            "decision IS NULL OR decision_reason IS NOT NULL", name="ck_claims_decision_reason"
        ),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_claims_case_id_cases")),
        sa.ForeignKeyConstraint(
            ["decided_by_id"], ["users.id"], name=op.f("fk_claims_decided_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_claims")),
        sa.UniqueConstraint("rma_number", name=op.f("uq_claims_rma_number")),
    )
    with op.batch_alter_table("claims", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_claims_case_id"), ["case_id"], unique=False)

    op.create_table(
        "knowledge_articles",
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("tags", sa.String(length=1000), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "draft", "published", "archived", name="articlestatus", native_enum=False, length=32
            ),
            nullable=False,
        ),
        sa.Column("source_case_id", sa.String(length=36), nullable=True),
        sa.Column("author_id", sa.String(length=36), nullable=True),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "status = 'draft' OR status = 'published' OR status = 'archived'",
            name="ck_knowledge_articles_status_values",
        ),
        sa.CheckConstraint(
            "status = 'draft' OR status = 'published' OR status = 'archived'",
            name="ck_knowledge_articles_status_values",
        ),
        sa.ForeignKeyConstraint(
            ["author_id"], ["users.id"], name=op.f("fk_knowledge_articles_author_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["source_case_id"],
            ["cases.id"],
            name=op.f("fk_knowledge_articles_source_case_id_cases"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_knowledge_articles")),
    )
    op.create_table(
        "visits",
        sa.Column("case_id", sa.String(length=36), nullable=False),
        sa.Column("engineer_id", sa.String(length=36), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "planned",
                "travelling",
                "on_site",
                "completed",
                "cancelled",
                name="visitstatus",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("planned_start", sa.DateTime(timezone=True), nullable=True),
        sa.Column("planned_end", sa.DateTime(timezone=True), nullable=True),
        sa.Column("travel_started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("arrived_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("departed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("travel_minutes", sa.Integer(), nullable=True),
        sa.Column("travel_distance_km", sa.Float(), nullable=True),
        sa.Column("work_performed", sa.Text(), nullable=True),
        sa.Column("findings", sa.Text(), nullable=True),
        sa.Column("follow_up_needed", sa.Boolean(), nullable=False),
        sa.Column("follow_up_notes", sa.Text(), nullable=True),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "status = 'planned' OR status = 'travelling' OR status = 'on_site' OR status = 'completed' OR status = 'cancelled'",
            name="ck_visits_status_values",
        ),
        sa.CheckConstraint(
            "status = 'planned' OR status = 'travelling' OR status = 'on_site' OR status = 'completed' OR status = 'cancelled'",
            name="ck_visits_status_values",
        ),
        sa.CheckConstraint(
            "departed_at IS NULL OR arrived_at IS NULL OR departed_at >= arrived_at",
            name="ck_visits_departure_after_arrival",
        ),
        sa.CheckConstraint(
            "travel_distance_km IS NULL OR travel_distance_km >= 0",
            name="ck_visits_travel_distance",
        ),
        sa.CheckConstraint(
            "travel_minutes IS NULL OR travel_minutes >= 0", name="ck_visits_travel_minutes"
        ),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_visits_case_id_cases")),
        sa.ForeignKeyConstraint(
            ["engineer_id"], ["users.id"], name=op.f("fk_visits_engineer_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_visits")),
    )
    with op.batch_alter_table("visits", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_visits_case_id"), ["case_id"], unique=False)

    op.create_table(
        "application_records",
        sa.Column("case_id", sa.String(length=36), nullable=False),
        sa.Column("visit_id", sa.String(length=36), nullable=False),
        sa.Column("solution_id", sa.String(length=36), nullable=False),
        sa.Column("applied_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("engineer_id", sa.String(length=36), nullable=True),
        sa.Column(
            "outcome",
            sa.Enum(
                "successful",
                "partially_successful",
                "not_successful",
                name="applicationoutcome",
                native_enum=False,
                length=32,
            ),
            nullable=True,
        ),
        sa.Column("outcome_notes", sa.Text(), nullable=True),
        sa.Column("has_deviation", sa.Boolean(), nullable=False),
        sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reviewed_by_id", sa.String(length=36), nullable=True),
        sa.Column("review_comment", sa.Text(), nullable=True),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "outcome IS NULL OR outcome = 'successful' OR outcome = 'partially_successful' OR outcome = 'not_successful'",
            name="ck_application_records_outcome_values",
        ),
        sa.CheckConstraint(
            "outcome IS NULL OR outcome = 'successful' OR outcome = 'partially_successful' OR outcome = 'not_successful'",
            name="ck_application_records_outcome_values",
        ),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_application_records_case_id_cases")
        ),
        sa.ForeignKeyConstraint(
            ["engineer_id"], ["users.id"], name=op.f("fk_application_records_engineer_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["reviewed_by_id"],
            ["users.id"],
            name=op.f("fk_application_records_reviewed_by_id_users"),
        ),
        sa.ForeignKeyConstraint(
            ["solution_id"],
            ["custom_solutions.id"],
            name=op.f("fk_application_records_solution_id_custom_solutions"),
        ),
        sa.ForeignKeyConstraint(
            ["visit_id"], ["visits.id"], name=op.f("fk_application_records_visit_id_visits")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_application_records")),
    )
    with op.batch_alter_table("application_records", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_application_records_case_id"), ["case_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_application_records_visit_id"), ["visit_id"], unique=False
        )

    op.create_table(
        "claim_items",
        sa.Column("claim_id", sa.String(length=36), nullable=False),
        sa.Column("product_id", sa.String(length=36), nullable=True),
        sa.Column("description", sa.String(length=200), nullable=True),
        sa.Column("serial_number", sa.String(length=64), nullable=True),
        sa.Column("lot_number", sa.String(length=64), nullable=True),
        sa.Column("quantity", sa.Float(), nullable=False),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("quantity > 0", name="ck_claim_items_quantity"),
        sa.ForeignKeyConstraint(
            ["claim_id"], ["claims.id"], name=op.f("fk_claim_items_claim_id_claims")
        ),
        sa.ForeignKeyConstraint(
            ["product_id"], ["products.id"], name=op.f("fk_claim_items_product_id_products")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_claim_items")),
    )
    with op.batch_alter_table("claim_items", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_claim_items_claim_id"), ["claim_id"], unique=False)

    op.create_table(
        "knowledge_article_products",
        sa.Column("article_id", sa.String(length=36), nullable=False),
        sa.Column("product_id", sa.String(length=36), nullable=False),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["article_id"],
            ["knowledge_articles.id"],
            name=op.f("fk_knowledge_article_products_article_id_knowledge_articles"),
        ),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["products.id"],
            name=op.f("fk_knowledge_article_products_product_id_products"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_knowledge_article_products")),
        sa.UniqueConstraint(
            "article_id",
            "product_id",
            name=op.f("uq_knowledge_article_products_article_id_product_id"),
        ),
    )
    op.create_table(
        "parts_used",
        sa.Column("visit_id", sa.String(length=36), nullable=False),
        sa.Column("product_id", sa.String(length=36), nullable=True),
        sa.Column("part_number", sa.String(length=64), nullable=False),
        sa.Column("description", sa.String(length=200), nullable=False),
        sa.Column("quantity", sa.Float(), nullable=False),
        sa.Column("unit", sa.String(length=64), nullable=False),
        sa.Column("serial_number", sa.String(length=64), nullable=True),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("quantity > 0", name="ck_parts_used_quantity"),
        sa.ForeignKeyConstraint(
            ["product_id"], ["products.id"], name=op.f("fk_parts_used_product_id_products")
        ),
        sa.ForeignKeyConstraint(
            ["visit_id"], ["visits.id"], name=op.f("fk_parts_used_visit_id_visits")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_parts_used")),
    )
    with op.batch_alter_table("parts_used", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_parts_used_visit_id"), ["visit_id"], unique=False)

    op.create_table(
        "recall_actions",
        sa.Column("campaign_id", sa.String(length=36), nullable=False),
        sa.Column("asset_id", sa.String(length=36), nullable=False),
        sa.Column(
            "status",
            sa.Enum("open", "done", name="recallactionstatus", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column(
            "action_taken",
            sa.Enum(
                "notified",
                "repaired",
                "replaced",
                "recalled",
                "not_reachable",
                name="recallactiontaken",
                native_enum=False,
                length=32,
            ),
            nullable=True,
        ),
        sa.Column("performed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("performed_by_id", sa.String(length=36), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("case_id", sa.String(length=36), nullable=True),
        sa.Column("visit_id", sa.String(length=36), nullable=True),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "action_taken IS NULL OR action_taken = 'notified' OR action_taken = 'repaired' OR action_taken = 'replaced' OR action_taken = 'recalled' OR action_taken = 'not_reachable'",
            name="ck_recall_actions_action_taken_values",
        ),
        sa.CheckConstraint(
            "action_taken IS NULL OR action_taken = 'notified' OR action_taken = 'repaired' OR action_taken = 'replaced' OR action_taken = 'recalled' OR action_taken = 'not_reachable'",
            name="ck_recall_actions_action_taken_values",
        ),
        sa.CheckConstraint(
            "status = 'open' OR status = 'done'", name="ck_recall_actions_status_values"
        ),
        sa.CheckConstraint(
            "status = 'open' OR status = 'done'", name="ck_recall_actions_status_values"
        ),
        sa.ForeignKeyConstraint(
            ["asset_id"], ["assets.id"], name=op.f("fk_recall_actions_asset_id_assets")
        ),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["recall_campaigns.id"],
            name=op.f("fk_recall_actions_campaign_id_recall_campaigns"),
        ),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_recall_actions_case_id_cases")
        ),
        sa.ForeignKeyConstraint(
            ["performed_by_id"], ["users.id"], name=op.f("fk_recall_actions_performed_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["visit_id"], ["visits.id"], name=op.f("fk_recall_actions_visit_id_visits")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recall_actions")),
        sa.UniqueConstraint(
            "campaign_id", "asset_id", name=op.f("uq_recall_actions_campaign_id_asset_id")
        ),
    )
    with op.batch_alter_table("recall_actions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_recall_actions_asset_id"), ["asset_id"], unique=False)

    op.create_table(
        "signatures",
        sa.Column("signer_name", sa.String(length=200), nullable=False),
        sa.Column("signer_role", sa.String(length=200), nullable=True),
        sa.Column("signed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("image_sha256", sa.String(length=64), nullable=True),
        sa.Column("strokes", sa.JSON(none_as_null=True), nullable=True),
        sa.Column("declined", sa.Boolean(), nullable=False),
        sa.Column("decline_reason", sa.Text(), nullable=True),
        sa.Column("visit_id", sa.String(length=36), nullable=True),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "(declined = 0 AND image_sha256 IS NOT NULL) OR (declined = 1 AND decline_reason IS NOT NULL)",
            name="ck_signatures_signed_or_declined",
        ),
        sa.ForeignKeyConstraint(
            ["image_sha256"], ["blobs.sha256"], name=op.f("fk_signatures_image_sha256_blobs")
        ),
        sa.ForeignKeyConstraint(
            ["visit_id"], ["visits.id"], name=op.f("fk_signatures_visit_id_visits")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_signatures")),
    )
    with op.batch_alter_table("signatures", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_signatures_visit_id"), ["visit_id"], unique=False)

    op.create_table(
        "time_entries",
        sa.Column("visit_id", sa.String(length=36), nullable=False),
        sa.Column("engineer_id", sa.String(length=36), nullable=True),
        sa.Column(
            "kind",
            sa.Enum(
                "travel",
                "work",
                "waiting",
                "training",
                name="timeentrykind",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("minutes", sa.Integer(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "kind = 'travel' OR kind = 'work' OR kind = 'waiting' OR kind = 'training'",
            name="ck_time_entries_kind_values",
        ),
        sa.CheckConstraint(
            "kind = 'travel' OR kind = 'work' OR kind = 'waiting' OR kind = 'training'",
            name="ck_time_entries_kind_values",
        ),
        sa.CheckConstraint("minutes >= 0", name="ck_time_entries_minutes"),
        sa.ForeignKeyConstraint(
            ["engineer_id"], ["users.id"], name=op.f("fk_time_entries_engineer_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["visit_id"], ["visits.id"], name=op.f("fk_time_entries_visit_id_visits")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_time_entries")),
    )
    with op.batch_alter_table("time_entries", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_time_entries_visit_id"), ["visit_id"], unique=False)

    op.create_table(
        "training_sessions",
        sa.Column("case_id", sa.String(length=36), nullable=True),
        sa.Column("customer_id", sa.String(length=36), nullable=False),
        sa.Column("visit_id", sa.String(length=36), nullable=True),
        sa.Column("topic", sa.String(length=200), nullable=False),
        sa.Column("trainer_id", sa.String(length=36), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("duration_minutes", sa.Integer(), nullable=False),
        sa.Column("materials", sa.Text(), nullable=True),
        sa.Column("assessment_notes", sa.Text(), nullable=True),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("duration_minutes > 0", name="ck_training_sessions_duration"),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_training_sessions_case_id_cases")
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_training_sessions_customer_id_customers"),
        ),
        sa.ForeignKeyConstraint(
            ["trainer_id"], ["users.id"], name=op.f("fk_training_sessions_trainer_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["visit_id"], ["visits.id"], name=op.f("fk_training_sessions_visit_id_visits")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_training_sessions")),
    )
    with op.batch_alter_table("training_sessions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_training_sessions_case_id"), ["case_id"], unique=False)

    op.create_table(
        "application_parameter_values",
        sa.Column("application_record_id", sa.String(length=36), nullable=False),
        sa.Column("parameter_id", sa.String(length=36), nullable=False),
        sa.Column("planned_value", sa.Float(), nullable=True),
        sa.Column("actual_value", sa.Float(), nullable=True),
        sa.Column("out_of_range", sa.Boolean(), nullable=False),
        sa.Column("deviation_reason", sa.Text(), nullable=True),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["application_record_id"],
            ["application_records.id"],
            name=op.f("fk_application_parameter_values_application_record_id_application_records"),
        ),
        sa.ForeignKeyConstraint(
            ["parameter_id"],
            ["solution_parameters.id"],
            name=op.f("fk_application_parameter_values_parameter_id_solution_parameters"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_application_parameter_values")),
        sa.UniqueConstraint(
            "application_record_id",
            "parameter_id",
            name=op.f("uq_application_parameter_values_application_record_id_parameter_id"),
        ),
    )
    op.create_table(
        "application_step_results",
        sa.Column("application_record_id", sa.String(length=36), nullable=False),
        sa.Column("step_id", sa.String(length=36), nullable=False),
        sa.Column(
            "state",
            sa.Enum("done", "skipped", name="stepresultstate", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "state = 'done' OR state = 'skipped'", name="ck_application_step_results_state_values"
        ),
        sa.CheckConstraint(
            "state = 'done' OR state = 'skipped'", name="ck_application_step_results_state_values"
        ),
        sa.ForeignKeyConstraint(
            ["application_record_id"],
            ["application_records.id"],
            name=op.f("fk_application_step_results_application_record_id_application_records"),
        ),
        sa.ForeignKeyConstraint(
            ["step_id"],
            ["solution_steps.id"],
            name=op.f("fk_application_step_results_step_id_solution_steps"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_application_step_results")),
        sa.UniqueConstraint(
            "application_record_id",
            "step_id",
            name=op.f("uq_application_step_results_application_record_id_step_id"),
        ),
    )
    op.create_table(
        "attachments",
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("media_type", sa.String(length=64), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("filename", sa.String(length=200), nullable=True),
        sa.Column("width", sa.Integer(), nullable=True),
        sa.Column("height", sa.Integer(), nullable=True),
        sa.Column("taken_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("latitude", sa.Float(), nullable=True),
        sa.Column("longitude", sa.Float(), nullable=True),
        sa.Column("caption", sa.Text(), nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column(
            "before_after",
            sa.Enum("before", "after", name="beforeafter", native_enum=False, length=32),
            nullable=True,
        ),
        sa.Column("pair_id", sa.String(length=36), nullable=True),
        sa.Column("derived_from_id", sa.String(length=36), nullable=True),
        sa.Column("annotations", sa.JSON(none_as_null=True), nullable=True),
        sa.Column("case_id", sa.String(length=36), nullable=True),
        sa.Column("visit_id", sa.String(length=36), nullable=True),
        sa.Column("application_record_id", sa.String(length=36), nullable=True),
        sa.Column("claim_id", sa.String(length=36), nullable=True),
        sa.Column("recall_action_id", sa.String(length=36), nullable=True),
        sa.Column("training_session_id", sa.String(length=36), nullable=True),
        sa.Column("solution_id", sa.String(length=36), nullable=True),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "before_after IS NULL OR before_after = 'before' OR before_after = 'after'",
            name="ck_attachments_before_after_values",
        ),
        sa.CheckConstraint(
            "before_after IS NULL OR before_after = 'before' OR before_after = 'after'",
            name="ck_attachments_before_after_values",
        ),
        sa.CheckConstraint(
            "case_id IS NOT NULL OR visit_id IS NOT NULL OR application_record_id IS NOT NULL OR claim_id IS NOT NULL OR recall_action_id IS NOT NULL OR training_session_id IS NOT NULL OR solution_id IS NOT NULL",
            name="ck_attachments_has_owner",
        ),
        sa.ForeignKeyConstraint(
            ["application_record_id"],
            ["application_records.id"],
            name=op.f("fk_attachments_application_record_id_application_records"),
        ),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_attachments_case_id_cases")
        ),
        sa.ForeignKeyConstraint(
            ["claim_id"], ["claims.id"], name=op.f("fk_attachments_claim_id_claims")
        ),
        sa.ForeignKeyConstraint(
            ["derived_from_id"],
            ["attachments.id"],
            name=op.f("fk_attachments_derived_from_id_attachments"),
        ),
        sa.ForeignKeyConstraint(
            ["recall_action_id"],
            ["recall_actions.id"],
            name=op.f("fk_attachments_recall_action_id_recall_actions"),
        ),
        sa.ForeignKeyConstraint(
            ["sha256"], ["blobs.sha256"], name=op.f("fk_attachments_sha256_blobs")
        ),
        sa.ForeignKeyConstraint(
            ["solution_id"],
            ["custom_solutions.id"],
            name=op.f("fk_attachments_solution_id_custom_solutions"),
        ),
        sa.ForeignKeyConstraint(
            ["training_session_id"],
            ["training_sessions.id"],
            name=op.f("fk_attachments_training_session_id_training_sessions"),
        ),
        sa.ForeignKeyConstraint(
            ["visit_id"], ["visits.id"], name=op.f("fk_attachments_visit_id_visits")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attachments")),
    )
    with op.batch_alter_table("attachments", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_attachments_case_id"), ["case_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_attachments_sha256"), ["sha256"], unique=False)
        batch_op.create_index(batch_op.f("ix_attachments_visit_id"), ["visit_id"], unique=False)

    op.create_table(
        "measurements",
        sa.Column("visit_id", sa.String(length=36), nullable=False),
        sa.Column("application_record_id", sa.String(length=36), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("unit", sa.String(length=64), nullable=True),
        sa.Column("lower_limit", sa.Float(), nullable=True),
        sa.Column("upper_limit", sa.Float(), nullable=True),
        sa.Column(
            "phase",
            sa.Enum(
                "before", "during", "after", name="measurementphase", native_enum=False, length=32
            ),
            nullable=False,
        ),
        sa.Column("measured_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "phase = 'before' OR phase = 'during' OR phase = 'after'",
            name="ck_measurements_phase_values",
        ),
        sa.CheckConstraint(
            "phase = 'before' OR phase = 'during' OR phase = 'after'",
            name="ck_measurements_phase_values",
        ),
        sa.ForeignKeyConstraint(
            ["application_record_id"],
            ["application_records.id"],
            name=op.f("fk_measurements_application_record_id_application_records"),
        ),
        sa.ForeignKeyConstraint(
            ["visit_id"], ["visits.id"], name=op.f("fk_measurements_visit_id_visits")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_measurements")),
    )
    with op.batch_alter_table("measurements", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_measurements_application_record_id"),
            ["application_record_id"],
            unique=False,
        )
        batch_op.create_index(batch_op.f("ix_measurements_visit_id"), ["visit_id"], unique=False)

    op.create_table(
        "service_reports",
        sa.Column("report_number", sa.String(length=64), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.String(length=36), nullable=False),
        sa.Column("visit_id", sa.String(length=36), nullable=False),
        sa.Column(
            "status",
            sa.Enum("draft", "final", "signed", name="reportstatus", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("generated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("pdf_sha256", sa.String(length=64), nullable=True),
        sa.Column("data_sha256", sa.String(length=64), nullable=True),
        sa.Column("signature_id", sa.String(length=36), nullable=True),
        sa.Column("signed_by", sa.String(length=200), nullable=True),
        sa.Column("signed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("csat_score", sa.Integer(), nullable=True),
        sa.Column("csat_comment", sa.Text(), nullable=True),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "status = 'draft' OR status = 'final' OR status = 'signed'",
            name="ck_service_reports_status_values",
        ),
        sa.CheckConstraint(
            "status = 'draft' OR status = 'final' OR status = 'signed'",
            name="ck_service_reports_status_values",
        ),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_service_reports_case_id_cases")
        ),
        sa.ForeignKeyConstraint(
            ["data_sha256"], ["blobs.sha256"], name=op.f("fk_service_reports_data_sha256_blobs")
        ),
        sa.ForeignKeyConstraint(
            ["pdf_sha256"], ["blobs.sha256"], name=op.f("fk_service_reports_pdf_sha256_blobs")
        ),
        sa.ForeignKeyConstraint(
            ["signature_id"],
            ["signatures.id"],
            name=op.f("fk_service_reports_signature_id_signatures"),
        ),
        sa.ForeignKeyConstraint(
            ["visit_id"], ["visits.id"], name=op.f("fk_service_reports_visit_id_visits")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_service_reports")),
        sa.UniqueConstraint(
            "report_number", "revision", name=op.f("uq_service_reports_report_number_revision")
        ),
    )
    with op.batch_alter_table("service_reports", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_service_reports_case_id"), ["case_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_service_reports_visit_id"), ["visit_id"], unique=False)

    op.create_table(
        "training_attendees",
        sa.Column("session_id", sa.String(length=36), nullable=False),
        sa.Column("contact_id", sa.String(length=36), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("role", sa.String(length=200), nullable=True),
        sa.Column("company", sa.String(length=200), nullable=True),
        sa.Column("signed_off", sa.Boolean(), nullable=False),
        sa.Column("signature_id", sa.String(length=36), nullable=True),
        sa.Column(
            "assessment",
            sa.Enum(
                "passed",
                "failed",
                "not_assessed",
                name="assessmentresult",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("assessment_score", sa.Float(), nullable=True),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "assessment = 'passed' OR assessment = 'failed' OR assessment = 'not_assessed'",
            name="ck_training_attendees_assessment_values",
        ),
        sa.CheckConstraint(
            "assessment = 'passed' OR assessment = 'failed' OR assessment = 'not_assessed'",
            name="ck_training_attendees_assessment_values",
        ),
        sa.ForeignKeyConstraint(
            ["contact_id"], ["contacts.id"], name=op.f("fk_training_attendees_contact_id_contacts")
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["training_sessions.id"],
            name=op.f("fk_training_attendees_session_id_training_sessions"),
        ),
        sa.ForeignKeyConstraint(
            ["signature_id"],
            ["signatures.id"],
            name=op.f("fk_training_attendees_signature_id_signatures"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_training_attendees")),
    )
    with op.batch_alter_table("training_attendees", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_training_attendees_session_id"), ["session_id"], unique=False
        )

    # Marks the file as ours, so the app can tell it from any other SQLite database.
    settings = sa.table("settings", sa.column("key", sa.String), sa.column("value", sa.JSON))
    op.bulk_insert(settings, [{"key": "schema_owner", "value": "fieldsupport"}])


def downgrade() -> None:
    with op.batch_alter_table("training_attendees", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_training_attendees_session_id"))

    op.drop_table("training_attendees")
    with op.batch_alter_table("service_reports", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_service_reports_visit_id"))
        batch_op.drop_index(batch_op.f("ix_service_reports_case_id"))

    op.drop_table("service_reports")
    with op.batch_alter_table("measurements", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_measurements_visit_id"))
        batch_op.drop_index(batch_op.f("ix_measurements_application_record_id"))

    op.drop_table("measurements")
    with op.batch_alter_table("attachments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_attachments_visit_id"))
        batch_op.drop_index(batch_op.f("ix_attachments_sha256"))
        batch_op.drop_index(batch_op.f("ix_attachments_case_id"))

    op.drop_table("attachments")
    op.drop_table("application_step_results")
    op.drop_table("application_parameter_values")
    with op.batch_alter_table("training_sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_training_sessions_case_id"))

    op.drop_table("training_sessions")
    with op.batch_alter_table("time_entries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_time_entries_visit_id"))

    op.drop_table("time_entries")
    with op.batch_alter_table("signatures", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_signatures_visit_id"))

    op.drop_table("signatures")
    with op.batch_alter_table("recall_actions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_recall_actions_asset_id"))

    op.drop_table("recall_actions")
    with op.batch_alter_table("parts_used", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_parts_used_visit_id"))

    op.drop_table("parts_used")
    op.drop_table("knowledge_article_products")
    with op.batch_alter_table("claim_items", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_claim_items_claim_id"))

    op.drop_table("claim_items")
    with op.batch_alter_table("application_records", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_application_records_visit_id"))
        batch_op.drop_index(batch_op.f("ix_application_records_case_id"))

    op.drop_table("application_records")
    with op.batch_alter_table("visits", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_visits_case_id"))

    op.drop_table("visits")
    op.drop_table("knowledge_articles")
    with op.batch_alter_table("claims", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_claims_case_id"))

    op.drop_table("claims")
    op.drop_table("case_solutions")
    with op.batch_alter_table("case_events", schema=None) as batch_op:
        batch_op.drop_index("ix_case_events_case_occurred")

    op.drop_table("case_events")
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_cases_customer_id"))
        batch_op.drop_index(batch_op.f("ix_cases_asset_id"))

    op.drop_table("cases")
    op.drop_table("solution_steps")
    op.drop_table("solution_parameters")
    with op.batch_alter_table("contacts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_contacts_customer_id"))

    op.drop_table("contacts")
    with op.batch_alter_table("assets", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_assets_site_id"))
        batch_op.drop_index("ix_assets_product_serial")

    op.drop_table("assets")
    with op.batch_alter_table("sites", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sites_customer_id"))

    op.drop_table("sites")
    with op.batch_alter_table("recall_campaign_scopes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_recall_campaign_scopes_campaign_id"))

    op.drop_table("recall_campaign_scopes")
    op.drop_table("custom_solutions")
    op.drop_table("users")
    op.drop_table("settings")
    op.drop_table("recall_campaigns")
    op.drop_table("products")
    with op.batch_alter_table("customers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_customers_name"))

    op.drop_table("customers")
    op.drop_table("blobs")
