"""Who may read and write which records (docs/sync-protocol.md, section 8).

Case-scoped records follow their case: an engineer sees the cases assigned to them or to
their team, and the cases they created; advisors see the application records of every case;
back office and admins see everything. Shared reference data is readable by all.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Select, exists, or_, select

from fieldsupport.central import storage as t
from fieldsupport.central.accounts import Principal, team_usernames
from fieldsupport.sync import wire

ADVISOR_CASE_TYPES = frozenset(
    {"application_records", "application_parameter_values", "application_step_results"}
)
ENGINEER_SHARED_WRITES = frozenset(
    {
        "customers",
        "sites",
        "contacts",
        "assets",
        "signatures",
        "training_sessions",
        "training_attendees",
        "recall_actions",
        "attachments",
    }
)
ADVISOR_SHARED_WRITES = frozenset(
    {
        "custom_solutions",
        "solution_steps",
        "solution_parameters",
        "knowledge_articles",
        "knowledge_article_products",
        "attachments",
    }
)


def visible_cases(conn: Connection, principal: Principal) -> Select[Any]:
    """The ids of the cases an engineer may see, as a subquery."""
    team_ids = select(t.domain_users.c.id).where(
        t.domain_users.c.username.in_(team_usernames(conn, principal))
    )
    return select(t.case_access.c.case_id).where(
        or_(
            t.case_access.c.assignee_id.in_(team_ids),
            t.case_access.c.created_by == principal.account_id,
        )
    )


def restrict(query: Select[Any], conn: Connection, principal: Principal) -> Select[Any]:
    """``query`` over ``records`` limited to what ``principal`` may read."""
    if principal.sees_everything:
        return query
    shared = t.records.c.scope_case.is_(None)
    if principal.role == "advisor":
        return query.where(or_(shared, t.records.c.subject_type.in_(ADVISOR_CASE_TYPES)))
    return query.where(or_(shared, t.records.c.scope_case.in_(visible_cases(conn, principal))))


def can_read(conn: Connection, principal: Principal, subject_type: str, scope: str | None) -> bool:
    if principal.sees_everything or scope is None:
        return True
    if principal.role == "advisor":
        return subject_type in ADVISOR_CASE_TYPES
    if principal.role != "engineer":
        return False
    return bool(
        conn.execute(
            select(exists(visible_cases(conn, principal).where(t.case_access.c.case_id == scope)))
        ).scalar()
    )


def write_problem(
    conn: Connection, principal: Principal, subject_type: str, scope: str | None, *, creating: bool
) -> str | None:
    """``None`` if ``principal`` may write such a record, else the reason."""
    if subject_type in wire.SERVER_WRITTEN:
        return f"{subject_type} are made on the server (back-office inbox), not by a push"
    if principal.sees_everything:
        return None
    refused = f"a {principal.role} may not change {subject_type} records"
    if principal.role == "advisor":
        if scope is None:
            return None if subject_type in ADVISOR_SHARED_WRITES else refused
        if subject_type == "application_records" and not creating:
            return None
        return refused
    if principal.role != "engineer":
        return refused
    if scope is None:
        return None if subject_type in ENGINEER_SHARED_WRITES else refused
    if subject_type == "cases" and creating:
        return None
    if can_read(conn, principal, subject_type, scope):
        return None
    return "the case is not assigned to you or your team"
