"""Service reports and their decisions as the server stores them: generic records (JSON
text in ``records``) read in a few queries, and the ``decided_reports`` index that the
decision endpoint keeps beside them (central.backoffice)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Connection, func, select

from fieldsupport.central import storage as t

DECISION_NAMESPACE = uuid.UUID("0c7d8f64-2b55-4f3e-9a57-6f1b3d2e8c40")
DECISIONS = "report_decisions"
REPORTS = "service_reports"
SUBMITTED = ("signed", "final")
CHUNK = 500  # ids per query: bounds the query's parameters


def decision_id(report_id: str) -> str:
    """A decision's record id: derived from the report revision's, so the primary key
    allows one decision per revision."""
    return str(uuid.uuid5(DECISION_NAMESPACE, report_id))


class Context:
    """Case, customer and engineer of a set of reports, read in a few queries."""

    def __init__(self, conn: Connection, reports: list[dict[str, Any]]) -> None:
        self.cases = records(conn, "cases", [r["case_id"] for r in reports])
        self.visits = records(conn, "visits", [r["visit_id"] for r in reports])
        self.customers = records(
            conn, "customers", [c.get("customer_id") for c in self.cases.values()]
        )
        self.users = records(conn, "users", [v.get("engineer_id") for v in self.visits.values()])

    def describe(self, report: dict[str, Any]) -> dict[str, Any]:
        case = self.cases.get(report["case_id"], {})
        customer = self.customers.get(case.get("customer_id") or "", {})
        visit = self.visits.get(report["visit_id"], {})
        engineer = self.users.get(visit.get("engineer_id") or "", {})
        return {
            "case_number": case.get("case_number"),
            "case_title": case.get("title"),
            "customer": customer.get("name"),
            "engineer": engineer.get("display_name") or engineer.get("username"),
        }


def records(
    conn: Connection, record_type: str, ids: Iterable[str | None] | None = None
) -> dict[str, dict[str, Any]]:
    """The data of records of one type (all of them, or those with ``ids``)."""
    query = select(t.records.c.id, t.records.c.data).where(t.records.c.record_type == record_type)
    if ids is None:
        return {rid: json.loads(data) for rid, data in conn.execute(query)}
    wanted = sorted({i for i in ids if i})
    out: dict[str, dict[str, Any]] = {}
    for start in range(0, len(wanted), CHUNK):
        chunk = wanted[start : start + CHUNK]
        for rid, data in conn.execute(query.where(t.records.c.id.in_(chunk))):
            out[rid] = json.loads(data)
    return out


def record(conn: Connection, record_type: str, record_id: str) -> dict[str, Any] | None:
    return records(conn, record_type, [record_id]).get(record_id)


def submitted(report: dict[str, Any]) -> bool:
    return report.get("status") in SUBMITTED and report.get("deleted_at") is None


def same_case(conn: Connection, case_id: str) -> list[dict[str, Any]]:
    """The signed or final reports of a case: every revision of a report is of the same
    visit, hence of the same case (its scope). Found by the case's index first (with the
    record type in the same query, SQLite would walk every report instead)."""
    keys = conn.execute(
        select(t.records.c.record_type, t.records.c.id).where(t.records.c.scope_case == case_id)
    ).all()
    ids = [rid for record_type, rid in keys if record_type == REPORTS]
    return [d for d in records(conn, REPORTS, ids).values() if submitted(d)]


def decided_row(report_id: str, decision_seq: int, report: dict[str, Any]) -> dict[str, Any]:
    return {
        "report_id": report_id,
        "decision_seq": decision_seq,
        "report_number": str(report["report_number"]),
        "revision": int(report["revision"]),
    }


def decided_revisions(conn: Connection, reports: list[dict[str, Any]]) -> dict[str, int]:
    """The latest decided revision of each of the reports' numbers."""
    column = t.decided_reports.c
    numbers = sorted({str(r["report_number"]) for r in reports})
    latest: dict[str, int] = {}
    for start in range(0, len(numbers), CHUNK):
        rows = conn.execute(
            select(column.report_number, func.max(column.revision))
            .where(column.report_number.in_(numbers[start : start + CHUNK]))
            .group_by(column.report_number)
        )
        latest.update((number, int(revision)) for number, revision in rows)
    return latest


def recent_decisions(conn: Connection, limit: int) -> dict[str, dict[str, Any]]:
    """The ``limit`` latest decisions by decision sequence, by report id, latest first."""
    column = t.decided_reports.c
    report_ids = (
        conn.execute(select(column.report_id).order_by(column.decision_seq.desc()).limit(limit))
        .scalars()
        .all()
    )
    ids = {rid: decision_id(rid) for rid in report_ids}
    decisions = records(conn, DECISIONS, ids.values())
    return {rid: decisions[did] for rid, did in ids.items() if did in decisions}


def count_records(conn: Connection, record_type: str) -> int:
    """How many records of the type the server holds (live and deleted)."""
    return int(
        conn.execute(
            select(func.count())
            .select_from(t.records)
            .where(t.records.c.record_type == record_type)
        ).scalar_one()
    )


def latest_revisions(reports: Iterable[dict[str, Any]]) -> dict[str, int]:
    latest: dict[str, int] = {}
    for report in reports:
        number = report["report_number"]
        latest[number] = max(latest.get(number, 0), int(report["revision"]))
    return latest
