"""The back office on the central server: the inbox of submitted service reports, decisions
(accept, or return with a reason) and the list of accepted reports the ERP export reads
(docs/sync-protocol.md, section 13). No HTTP here: ``central.app`` exposes it, the
``export`` command reads it directly.

A decision is a ``report_decisions`` record written here, never by a push, inside the
server's writing transaction (holding the change-sequence lock). So it reaches the
engineer's device by pull like any record, and the sequence number it gets is a cursor in
commit order for the export. Its id is derived from the report revision's id: the primary
key itself allows one decision per revision. Two back-office users deciding at once are
serialised by the lock; the second is told who decided first and nothing changes.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Connection, insert, select
from sqlalchemy.exc import IntegrityError

from fieldsupport.central import storage as t
from fieldsupport.central.accounts import Principal, now
from fieldsupport.central.service import CentralService, SeqAllocator
from fieldsupport.errors import FieldSupportError
from fieldsupport.media.blobstore import sha256_of
from fieldsupport.reports.export import (
    AcceptedPage,
    AcceptedReport,
    ByteSink,
    ExportError,
    document_section,
    read_document,
)
from fieldsupport.sync import wire

DECISION_NAMESPACE = uuid.UUID("0c7d8f64-2b55-4f3e-9a57-6f1b3d2e8c40")
DECISIONS = "report_decisions"
REPORTS = "service_reports"
BACK_OFFICE_ROLES = ("back_office", "admin")
SUBMITTED = ("signed", "final")
REASON_LEN = 2_000
DOCUMENT_CACHE = 2_000
InboxState = Literal["pending", "decided", "all"]


class BackOfficeError(FieldSupportError):
    """Answered with ``status`` and ``{"error": code, "message": ..., **extra}``."""

    def __init__(self, status: int, code: str, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.extra = extra


class DecisionRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)  # "reason": 5 is not text

    decision: Literal["accepted", "returned"]
    reason: str | None = Field(default=None, max_length=REASON_LEN)


def decision_id(report_id: str) -> str:
    return str(uuid.uuid5(DECISION_NAMESPACE, report_id))


def _label(report: dict[str, Any]) -> str:
    return f"{report.get('report_number')} revision {report.get('revision')}"


class BackOffice:
    def __init__(self, service: CentralService) -> None:
        self.service = service
        # parsed report documents by SHA-256: content-addressed, so a parse never goes stale
        self._documents: dict[str, dict[str, Any]] = {}

    @staticmethod
    def require(principal: Principal) -> None:
        if principal.role not in BACK_OFFICE_ROLES:
            raise BackOfficeError(
                403, "forbidden", "Only back-office and admin accounts may use the report inbox."
            )

    # -- inbox ------------------------------------------------------------------------------
    def inbox(
        self, principal: Principal, state: InboxState = "pending", limit: int = 500
    ) -> dict[str, Any]:
        self.require(principal)
        with self.service.reading() as conn:
            reports = {
                rid: data
                for rid, data in _records(conn, REPORTS).items()
                if data.get("status") in SUBMITTED and data.get("deleted_at") is None
            }
            decisions = {d["report_id"]: d for d in _records(conn, DECISIONS).values()}
            latest = _latest_revisions(reports.values())
            chosen = [
                (rid, data)
                for rid, data in reports.items()
                if state == "all" or (state == "pending") == (rid not in decisions)
            ]
            if state == "pending":  # a work queue: oldest first
                chosen.sort(key=lambda item: (_date(item[1]), _label(item[1])))
            else:  # most recent decisions first
                chosen.sort(
                    key=lambda item: (
                        decisions[item[0]]["decision_seq"] if item[0] in decisions else 2**62
                    ),
                    reverse=True,
                )
            chosen = chosen[:limit]
            context = _Context(conn, [data for _rid, data in chosen])
            present = self._present(conn, [data for _rid, data in chosen])
            rows = []
            for rid, data in chosen:
                decision = decisions.get(rid)
                problems = self._problems(data, latest, present)
                described = context.describe(data)
                if not all(described.values()) and data.get("data_sha256"):
                    # e.g. the engineer's user record never reached the server: what the
                    # report itself says
                    document = self._document(data["data_sha256"]) or {}
                    for key, value in _from_document(document).items():
                        described[key] = described[key] or value
                rows.append(
                    {
                        "report_id": rid,
                        "report_number": data["report_number"],
                        "revision": data["revision"],
                        "status": data["status"],
                        "case_id": data["case_id"],
                        **described,
                        "date": _date(data),
                        "pdf_sha256": data.get("pdf_sha256"),
                        "data_sha256": data.get("data_sha256"),
                        "problems": problems,
                        "can_accept": decision is None and not problems,
                        "decision": _public(decision),
                    }
                )
        return {"reports": rows, "pending": sum(1 for rid in reports if rid not in decisions)}

    def _problems(
        self, report: dict[str, Any], latest: dict[str, int], present: set[str]
    ) -> list[str]:
        """Why this revision cannot be accepted as it is (empty: it can). ``present``: the
        SHA-256 of the files the server has (:meth:`_present`)."""
        problems = []
        newest = latest.get(report["report_number"], report["revision"])
        if newest > report["revision"]:
            problems.append(f"Revision {newest} replaces this one; decide that one.")
        pdf, data = report.get("pdf_sha256"), report.get("data_sha256")
        if not pdf or pdf not in present:
            problems.append("The PDF is missing on the server.")
        if not data or data not in present:
            problems.append("The structured data (JSON) is missing on the server.")
            return problems
        document = self._document(data)
        if document is None:
            problems.append("The structured data is not a readable report document.")
            return problems
        recorded = document_section(document, "pdf").get("sha256")
        if pdf and recorded != pdf:
            problems.append(
                f"The PDF does not match its structured data: the JSON records PDF "
                f"{str(recorded)[:12]}…, the report names {pdf[:12]}…."
            )
        about = document_section(document, "report")
        if (about.get("number"), about.get("revision")) != (
            report["report_number"],
            report["revision"],
        ):
            problems.append(
                f"The structured data is of {about.get('number')} revision "
                f"{about.get('revision')}, not of this report."
            )
        return problems

    def _present(self, conn: Connection, reports: Iterable[dict[str, Any]]) -> set[str]:
        """Which of the reports' files the server has complete, and on its disk (a query per
        500 files, not two per report)."""
        wanted = sorted(
            {sha for r in reports for sha in (r.get("pdf_sha256"), r.get("data_sha256")) if sha}
        )
        blobs = self.service.blobs
        complete = [
            row["sha256"]
            for start in range(0, len(wanted), 500)  # bound the query's parameters
            for row in blobs.describe(conn, set(wanted[start : start + 500]))
        ]
        return {sha for sha in complete if blobs.path(sha).is_file()}

    def _document(self, sha256: str) -> dict[str, Any] | None:
        if sha256 in self._documents:
            return self._documents[sha256]
        document = read_document(self.service.blobs.path(sha256))
        if document is None:
            return None
        if len(self._documents) >= DOCUMENT_CACHE:
            self._documents.pop(next(iter(self._documents)))  # the oldest
        self._documents[sha256] = document
        return document

    def _damaged(self, report: dict[str, Any]) -> list[str]:
        """Re-hash the files before accepting: what is exported must be what was signed."""
        problems = []
        for sha, what in ((report.get("pdf_sha256"), "PDF"), (report.get("data_sha256"), "JSON")):
            if not sha:
                continue
            try:
                actual = sha256_of(self.service.blobs.path(sha))
            except OSError:
                continue  # reported as missing already
            if actual != sha:
                problems.append(f"The server's copy of the {what} is damaged (hash mismatch).")
        return problems

    # -- decisions ----------------------------------------------------------------------------
    def decide(
        self, principal: Principal, report_id: str, decision: str, reason: str | None
    ) -> dict[str, Any]:
        self.require(principal)
        if decision not in ("accepted", "returned"):
            raise BackOfficeError(422, "invalid", "The decision is accepted or returned.")
        reason = (reason or "").strip() or None
        if decision == "returned" and reason is None:
            raise BackOfficeError(
                422,
                "reason_required",
                "Say why the report is returned: the engineer sees the reason in the case.",
                field="reason",
            )
        if reason is not None and len(reason) > REASON_LEN:
            raise BackOfficeError(
                422, "invalid", f"The reason may have at most {REASON_LEN} characters."
            )
        try:
            with self.service.writing() as (conn, seqs):
                return self._decide(conn, seqs, principal, report_id, decision, reason)
        except IntegrityError:
            # the primary key caught a second decision the lock did not (cannot happen while
            # every writer takes the counter lock first; kept as the last line of defence)
            with self.service.reading() as conn:
                existing = _record(conn, DECISIONS, decision_id(report_id))
            raise BackOfficeError(
                409,
                "already_decided",
                "Another back-office user decided this report at the same moment; nothing "
                "was changed.",
                decision=_public(existing),
            ) from None

    def _decide(
        self,
        conn: Connection,
        seqs: SeqAllocator,
        principal: Principal,
        report_id: str,
        decision: str,
        reason: str | None,
    ) -> dict[str, Any]:
        row = conn.execute(
            select(t.records.c.data, t.records.c.scope_case, t.records.c.deleted).where(
                t.records.c.record_type == REPORTS, t.records.c.id == report_id
            )
        ).first()
        if row is None or row.deleted:
            raise BackOfficeError(
                404, "not_found", f"The server has no service report {report_id}."
            )
        report = json.loads(row.data)
        if report.get("status") not in SUBMITTED:
            raise BackOfficeError(
                422,
                "not_submitted",
                f"{_label(report)} is a draft; only signed or final reports are decided.",
            )
        existing = _record(conn, DECISIONS, decision_id(report_id))
        if existing is not None:
            raise BackOfficeError(
                409,
                "already_decided",
                f"{_label(report)} was already {existing['decision']} by "
                f"{existing['decided_by']} at {existing['decided_at']}; nothing was changed.",
                decision=_public(existing),
            )
        if decision == "accepted":
            # every revision of a report is of the same visit, hence of the same case
            same_case = conn.execute(
                select(t.records.c.data).where(
                    t.records.c.record_type == REPORTS, t.records.c.scope_case == row.scope_case
                )
            ).scalars()
            siblings = [
                d
                for d in (json.loads(data) for data in same_case)
                if d.get("report_number") == report["report_number"]
                and d.get("status") in SUBMITTED
                and d.get("deleted_at") is None
            ]
            present = self._present(conn, [report])
            problems = self._problems(report, _latest_revisions(siblings), present)
            problems = problems or self._damaged(report)
            if problems:
                raise BackOfficeError(
                    422,
                    "report_problem",
                    f"{_label(report)} cannot be accepted: {' '.join(problems)} Return it to "
                    "the engineer with the reason instead.",
                    problems=problems,
                )
        stamp = now().isoformat()
        sequence = seqs.next()
        record_id = decision_id(report_id)
        data = {
            "created_at": stamp,
            "updated_at": stamp,
            "deleted_at": None,
            "report_id": report_id,
            "decision": decision,
            "reason": reason,
            "decided_by": principal.username,
            "decided_at": stamp,
            "decision_seq": sequence,
        }
        conn.execute(
            insert(t.records).values(
                record_type=DECISIONS,
                id=record_id,
                version=1,
                change_seq=sequence,
                deleted=False,
                scope_case=row.scope_case,
                subject_type=DECISIONS,
                row_hash=wire.row_hash(record_id, 1),
                data=json.dumps(data, separators=(",", ":"), ensure_ascii=False),
                field_versions=json.dumps({name: [1, principal.device_id] for name in data}),
                created_by=principal.account_id,
            )
        )
        return {
            "decision": {"id": record_id, **_public(data)},
            "record": {"t": DECISIONS, "id": record_id, "v": 1, "s": sequence, "d": data},
        }

    # -- export -------------------------------------------------------------------------------
    def accepted_since(self, cursor: int, limit: int = 500) -> AcceptedPage:
        """Reports accepted with a decision sequence above ``cursor``, in that order.
        Decisions are read in one snapshot up to the counter's value: a decision committed
        later always gets a larger sequence, so the returned cursor skips nothing."""
        limit = max(1, limit)
        with self.service.reading() as conn:
            top = int(
                conn.execute(
                    select(t.counters.c.value).where(t.counters.c.name == "change")
                ).scalar_one()
            )
            # a record's change sequence never falls below its decision sequence (it only
            # grows when a case is re-stamped), so this narrows without missing any
            rows = conn.execute(
                select(t.records.c.data).where(
                    t.records.c.record_type == DECISIONS,
                    t.records.c.change_seq > cursor,
                    t.records.c.change_seq <= top,
                )
            ).all()
            accepted = sorted(
                (
                    d
                    for d in (json.loads(r.data) for r in rows)
                    if d["decision"] == "accepted" and cursor < d["decision_seq"] <= top
                ),
                key=lambda d: d["decision_seq"],
            )
            page, more = accepted[:limit], len(accepted) > limit
            reports = _records(conn, REPORTS, [d["report_id"] for d in page])
        items = []
        for decision in page:
            report = reports.get(decision["report_id"])
            if report is None:  # cannot happen: reports are never purged while decided
                continue
            items.append(
                AcceptedReport(
                    report_id=decision["report_id"],
                    report_number=report["report_number"],
                    revision=report["revision"],
                    pdf_sha256=report["pdf_sha256"],
                    data_sha256=report["data_sha256"],
                    decided_by=decision["decided_by"],
                    decided_at=decision["decided_at"],
                    decision_seq=decision["decision_seq"],
                )
            )
        next_cursor = page[-1]["decision_seq"] if more else max(top, cursor)
        return AcceptedPage(items, next_cursor, more)


class ServerExportSource:
    """The export reading the server's database and blob folder directly (the CLI)."""

    def __init__(self, service: CentralService) -> None:
        self.backoffice = BackOffice(service)
        self.blobs = service.blobs

    def accepted_since(self, cursor: int, limit: int) -> AcceptedPage:
        return self.backoffice.accepted_since(cursor, limit)

    def copy_blob(self, sha256: str, out: ByteSink) -> None:
        try:
            with open(self.blobs.path(sha256), "rb") as source:
                while chunk := source.read(1024 * 1024):
                    out.write(chunk)
        except FileNotFoundError:
            raise ExportError(
                f"The file {sha256[:12]}… is missing in the server's blob folder "
                f"{self.blobs.root}; is --blobs right? Nothing was exported."
            ) from None


# -- reading records --------------------------------------------------------------------------


class _Context:
    """Case, customer and engineer of a set of reports, read in a few queries."""

    def __init__(self, conn: Connection, reports: list[dict[str, Any]]) -> None:
        self.cases = _records(conn, "cases", [r["case_id"] for r in reports])
        self.visits = _records(conn, "visits", [r["visit_id"] for r in reports])
        self.customers = _records(
            conn, "customers", [c.get("customer_id") for c in self.cases.values()]
        )
        self.users = _records(conn, "users", [v.get("engineer_id") for v in self.visits.values()])

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


def _records(
    conn: Connection, record_type: str, ids: Iterable[str | None] | None = None
) -> dict[str, dict[str, Any]]:
    """The data of records of one type (all of them, or those with ``ids``)."""
    query = select(t.records.c.id, t.records.c.data).where(t.records.c.record_type == record_type)
    if ids is None:
        return {rid: json.loads(data) for rid, data in conn.execute(query)}
    wanted = sorted({i for i in ids if i})
    out: dict[str, dict[str, Any]] = {}
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        for rid, data in conn.execute(query.where(t.records.c.id.in_(chunk))):
            out[rid] = json.loads(data)
    return out


def _record(conn: Connection, record_type: str, record_id: str) -> dict[str, Any] | None:
    return _records(conn, record_type, [record_id]).get(record_id)


def _latest_revisions(reports: Iterable[dict[str, Any]]) -> dict[str, int]:
    latest: dict[str, int] = {}
    for report in reports:
        number = report["report_number"]
        latest[number] = max(latest.get(number, 0), int(report["revision"]))
    return latest


def _from_document(document: dict[str, Any]) -> dict[str, Any]:
    case = document_section(document, "case")
    return {
        "case_number": case.get("number"),
        "case_title": case.get("title"),
        "customer": document_section(document, "customer").get("title"),
        "engineer": document_section(document, "visit").get("engineer"),
    }


def _date(report: dict[str, Any]) -> str:
    return str(report.get("signed_at") or report.get("generated_at") or "")


def _public(decision: dict[str, Any] | None) -> dict[str, Any] | None:
    if decision is None:
        return None
    return {
        key: decision.get(key)
        for key in ("decision", "reason", "decided_by", "decided_at", "decision_seq")
    }
