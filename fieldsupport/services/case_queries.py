"""The case list: filtering and sorting done in SQL, returning ids and plain rows.

Built for 100,000+ cases: for a query the UI keeps only the ordered list of case ids (one
indexed query, run in a worker), and fetches the rows it shows by id, a page at a time. A
page by id costs the same at the top and at the bottom of the list, unlike OFFSET paging.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import Select, column, func, literal_column, select, table

from fieldsupport.models import Case, Customer, Site, User, utcnow
from fieldsupport.models.enums import AssistType, CaseStatus, Priority
from fieldsupport.services.views import CaseRow
from fieldsupport.workspace import Workspace

OPEN_STATUSES = tuple(s for s in CaseStatus if s not in (CaseStatus.RESOLVED, CaseStatus.CLOSED))


class SortKey(StrEnum):
    CASE_NUMBER = "case_number"
    CUSTOMER = "customer"
    ASSIST_TYPE = "assist_type"
    PRIORITY = "priority"
    STATUS = "status"
    RESOLUTION_DUE = "resolution_due"
    UPDATED_AT = "updated_at"
    OPENED_AT = "opened_at"


class SlaFilter(StrEnum):
    """Where an open case stands against its resolution target (closed cases: none)."""

    BREACHED = "breached"
    DUE_TODAY = "due_today"
    ON_TRACK = "on_track"


def end_of_local_day(now: datetime) -> datetime:
    """Midnight after ``now`` in the machine's time zone (what "today" means to the user)."""
    local = now.astimezone()
    return datetime.combine(local.date() + timedelta(days=1), time(), local.tzinfo)


@dataclass(frozen=True)
class CaseQuery:
    text: str = ""
    statuses: Sequence[CaseStatus] = field(default=())
    assist_types: Sequence[AssistType] = field(default=())
    priorities: Sequence[Priority] = field(default=())
    assignee_id: str | None = None
    open_only: bool = False
    sla: SlaFilter | None = None
    # the moment SLA filters compare with; None: when the query runs
    now: datetime | None = None
    sort: SortKey = SortKey.UPDATED_AT
    descending: bool = True


# Core tables, not ORM entities: the list's queries then never wait for the ORM to configure
# its mappers (~0.1 s, on the critical path of the first rows after start-up).
_case = Case.__table__
_customer = Customer.__table__
_site = Site.__table__
_assignee = User.__table__.alias("assignee")


_ROW_COLUMNS = (
    _case.c.id,
    _case.c.case_number,
    _case.c.assist_type,
    _case.c.status,
    _case.c.priority,
    _customer.c.name,
    _site.c.name,
    _assignee.c.display_name,
    _case.c.title,
    _case.c.first_response_due,
    _case.c.resolution_due,
    _case.c.updated_at,
)


def _with_joins(stmt: Select[Any]) -> Select[Any]:
    return (
        stmt.join(_customer, _customer.c.id == _case.c.customer_id)
        .outerjoin(_site, _site.c.id == _case.c.site_id)
        .outerjoin(_assignee, _assignee.c.id == _case.c.assignee_id)
    )


MAX_SEARCH_TERMS = 12
_case_search = table("case_search", column("rowid"))


def fts_query(text: str) -> str | None:
    """The user's words as a literal FTS5 query: every word a quoted prefix term, all
    required. Quotes, ``*``, ``-``, ``NEAR`` and the like lose their FTS meaning; words
    without a letter or digit are dropped (None when nothing searchable is left)."""
    words = [w for w in text.split() if any(ch.isalnum() for ch in w)][:MAX_SEARCH_TERMS]
    if not words:
        return None
    return " ".join('"' + word.replace('"', '""') + '"*' for word in words)


def _base(query: CaseQuery) -> Select[Any]:
    stmt = select(_case.c.id)
    if query.sort is SortKey.CUSTOMER:
        stmt = stmt.join(_customer, _customer.c.id == _case.c.customer_id)
    stmt = stmt.where(_case.c.deleted_at.is_(None))
    if query.statuses:
        stmt = stmt.where(_case.c.status.in_(list(query.statuses)))
    elif query.open_only:
        stmt = stmt.where(_case.c.status.in_(OPEN_STATUSES))
    if query.assist_types:
        stmt = stmt.where(_case.c.assist_type.in_(list(query.assist_types)))
    if query.priorities:
        stmt = stmt.where(_case.c.priority.in_(list(query.priorities)))
    if query.assignee_id:
        stmt = stmt.where(_case.c.assignee_id == query.assignee_id)
    if query.sla is not None:
        stmt = stmt.where(_sla_condition(query.sla, query.now or utcnow()))
    match = fts_query(query.text)
    if match is not None:
        # the index (migration 0003) is keyed by the cases' rowid
        matching = select(_case_search.c.rowid).where(
            literal_column("case_search").op("MATCH")(match)
        )
        stmt = stmt.where(literal_column("cases.rowid").in_(matching))
    return stmt


def _sla_condition(sla: SlaFilter, now: datetime) -> Any:
    due = _case.c.resolution_due
    is_open = _case.c.status.in_(OPEN_STATUSES)
    day_end = end_of_local_day(now)
    if sla is SlaFilter.BREACHED:
        return is_open & (due < now)
    if sla is SlaFilter.DUE_TODAY:
        return is_open & (due >= now) & (due < day_end)
    return is_open & (due.is_(None) | (due >= day_end))


def _order(query: CaseQuery) -> list[object]:
    column = {
        SortKey.CASE_NUMBER: _case.c.case_number,
        SortKey.CUSTOMER: _customer.c.name,
        SortKey.ASSIST_TYPE: _case.c.assist_type,
        SortKey.PRIORITY: _case.c.priority,
        SortKey.STATUS: _case.c.status,
        SortKey.RESOLUTION_DUE: _case.c.resolution_due,
        SortKey.UPDATED_AT: _case.c.updated_at,
        SortKey.OPENED_AT: _case.c.opened_at,
    }[query.sort]
    primary = column.desc() if query.descending else column.asc()
    # id as tie-breaker: stable pages even when many rows share the sort value
    return [primary, _case.c.id.desc() if query.descending else _case.c.id.asc()]


class CaseListService:
    def __init__(self, workspace: Workspace) -> None:
        self.workspace = workspace

    def count(self, query: CaseQuery) -> int:
        stmt = select(func.count()).select_from(_base(query).subquery())
        with self.workspace.transaction() as session:
            return int(session.scalar(stmt) or 0)

    def ids(self, query: CaseQuery, offset: int = 0, limit: int | None = None) -> list[str]:
        """Ids of the matching cases in the query's order (optionally a slice of them)."""
        stmt = _base(query).order_by(*_order(query))
        if offset or limit is not None:
            stmt = stmt.offset(max(offset, 0)).limit(-1 if limit is None else max(limit, 0))
        with self.workspace.transaction() as session:
            return list(session.scalars(stmt))

    def rows(self, ids: Sequence[str]) -> list[CaseRow]:
        """The list rows of these cases, in the order of ``ids`` (missing ones left out)."""
        if not ids:
            return []
        stmt = _with_joins(select(*_ROW_COLUMNS)).where(_case.c.id.in_(list(ids)))
        with self.workspace.transaction() as session:
            found = {row[0]: CaseRow(*row) for row in session.execute(stmt).all()}
        return [found[i] for i in ids if i in found]

    def page(self, query: CaseQuery, offset: int, limit: int) -> list[CaseRow]:
        """Rows ``offset`` to ``offset + limit`` of the query (for scripts and the CLI)."""
        return self.rows(self.ids(query, offset, limit))
