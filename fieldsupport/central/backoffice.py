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

import heapq
import json
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Connection, func, insert, select
from sqlalchemy.exc import IntegrityError

from fieldsupport.central import storage as t
from fieldsupport.central.accounts import Principal, now
from fieldsupport.central.report_records import (
    DECISIONS,
    REPORTS,
    SUBMITTED,
    Context,
    count_records,
    decided_revisions,
    decided_row,
    decision_id,
    latest_revisions,
    recent_decisions,
    record,
    records,
    same_case,
    submitted,
)
from fieldsupport.central.report_summaries import Lookup, ReportSummaries, ReportSummary
from fieldsupport.central.service import CentralService, SeqAllocator
from fieldsupport.errors import FieldSupportError
from fieldsupport.media.blobstore import sha256_of
from fieldsupport.reports.export import (
    AcceptedPage,
    AcceptedReport,
    ByteSink,
    ExportError,
)
from fieldsupport.sync import wire

BACK_OFFICE_ROLES = ("back_office", "admin")
REASON_LEN = 2_000
UNKNOWN = ReportSummary(readable=False)
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


def _label(report: dict[str, Any]) -> str:
    return f"{report.get('report_number')} revision {report.get('revision')}"


class BackOffice:
    def __init__(self, service: CentralService) -> None:
        self.service = service
        self.summaries = ReportSummaries(service.engine, service.blobs)
        # undecided reports' records as last parsed, with their change sequence
        self._open_reports: dict[str, tuple[int, dict[str, Any]]] = {}
        self._indexed_decisions = -1  # decision records counted at the last index check

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
        """The reports waiting for a decision (oldest first), or those decided (most recent
        decision first), or both. A revision that a later signed revision of the same report
        replaced before any decision waits for none: it leaves the pending list by itself
        and is listed (``superseded_by``) with the decided ones, first. Cost grows with what
        is shown, not with what was ever decided: decided reports are told apart by their
        decision's id (derived from the report's, no parsing), and the reports' JSON
        documents are read once, ever (``central.report_summaries``)."""
        self.require(principal)
        self._index_decisions()
        with self.service.reading() as conn:
            undecided = self._undecided(conn)
            latest = latest_revisions(undecided.values())
            for number, revision in decided_revisions(conn, list(undecided.values())).items():
                latest[number] = max(latest.get(number, 0), revision)
            waiting = {
                rid: data
                for rid, data in undecided.items()
                if latest[data["report_number"]] <= data["revision"]
            }
            chosen = sorted(waiting.items(), key=lambda item: (_date(item[1]), _label(item[1])))
            decisions: dict[str, dict[str, Any]] = {}
            if state == "pending":
                chosen = chosen[:limit]
            else:
                replaced = sorted(
                    ((rid, data) for rid, data in undecided.items() if rid not in waiting),
                    key=lambda item: (_date(item[1]), _label(item[1])),
                    reverse=True,
                )
                decisions = recent_decisions(conn, limit)
                decided = records(conn, REPORTS, list(decisions))
                decided_rows = [
                    (rid, decided[rid])
                    for rid in decisions  # most recent first
                    if rid in decided and submitted(decided[rid])
                ]
                # one list, most recent first: a superseded revision by when it was
                # reported, a decided one by its decision (superseded revisions never get a
                # decision: listed first, they would push every decision out of the limit)
                settled = list(
                    heapq.merge(
                        ((_when(_date(data)), rid, data) for rid, data in replaced),
                        (
                            (_when(str(decisions[rid].get("decided_at") or "")), rid, data)
                            for rid, data in decided_rows
                        ),
                        key=lambda item: item[0],
                        reverse=True,
                    )
                )
                settled_rows = [(rid, data) for _when_, rid, data in settled]
                chosen = ([*chosen, *settled_rows] if state == "all" else settled_rows)[:limit]
            shown = [data for _rid, data in chosen]
            for number, revision in decided_revisions(conn, shown).items():
                latest[number] = max(latest.get(number, 0), revision)
            present = self._present(conn, shown)
            summaries = self.summaries.lookup(
                conn, {d["data_sha256"] for d in shown if d.get("data_sha256") in present}
            )
            # case, customer and engineer as the report shows them (as the export's CSV
            # does); from the records only where the report's document cannot say
            described = {
                rid: summaries.known.get(data.get("data_sha256") or "", UNKNOWN).describe()
                for rid, data in chosen
            }
            context = Context(
                conn, [data for rid, data in chosen if not all(described[rid].values())]
            )
            rows = []
            for rid, data in chosen:
                decision = decisions.get(rid)
                problems = self._problems(data, latest, present, summaries)
                if not all(described[rid].values()):
                    from_records = context.describe(data)
                    for key, value in described[rid].items():
                        described[rid][key] = value or from_records[key]
                rows.append(
                    {
                        "report_id": rid,
                        "report_number": data["report_number"],
                        "revision": data["revision"],
                        "status": data["status"],
                        "case_id": data["case_id"],
                        **described[rid],
                        "date": _date(data),
                        "pdf_sha256": data.get("pdf_sha256"),
                        "data_sha256": data.get("data_sha256"),
                        "problems": problems,
                        "can_accept": decision is None and not problems,
                        "decision": _public(decision),
                        "superseded_by": (
                            newest
                            if (newest := latest.get(data["report_number"], 0)) > data["revision"]
                            else None
                        ),
                    }
                )
        self.summaries.remember(summaries.fresh)
        return {"reports": rows, "pending": len(waiting)}

    def _undecided(self, conn: Connection) -> dict[str, dict[str, Any]]:
        """Signed or final reports without a decision. Only their records are parsed (the
        decided ones are left out in SQL), and each once per change: what was parsed is
        kept with the record's change sequence, which every change of the data renews."""
        r = t.records.c
        # ids alone first: both sides are read from their indexes, not the records' rows
        open_ids = sorted(
            conn.execute(
                select(r.id)
                .where(r.record_type == REPORTS)
                .except_(select(t.decided_reports.c.report_id))
            ).scalars()
        )
        open_rows = [
            row
            for start in range(0, len(open_ids), 500)
            for row in conn.execute(
                select(r.id, r.change_seq).where(
                    r.record_type == REPORTS,
                    r.id.in_(open_ids[start : start + 500]),
                    r.deleted.is_(False),
                )
            )
        ]
        known = self._open_reports
        changed = [rid for rid, seq in open_rows if known.get(rid, (0,))[0] != seq]
        fresh = records(conn, REPORTS, changed)
        self._open_reports = known = {
            rid: (seq, fresh[rid] if rid in fresh else known[rid][1])
            for rid, seq in open_rows
            if rid in fresh or rid in known
        }
        return {rid: data for rid, (_seq, data) in known.items() if submitted(data)}

    def _index_decisions(self) -> None:
        """Add the decisions ``decided_reports`` does not list yet: those of a database
        from before the table, or seeded from a workspace. Checked by counting, so once."""
        with self.service.reading() as conn:
            counted = count_records(conn, DECISIONS)
            if counted == self._indexed_decisions:
                return
            listed = int(
                conn.execute(select(func.count()).select_from(t.decided_reports)).scalar_one()
            )
        if counted != listed:
            with self.service.writing() as (conn, _seqs):  # takes the lock decisions take
                known = set(conn.execute(select(t.decided_reports.c.report_id)).scalars())
                missing = [
                    d for d in records(conn, DECISIONS).values() if d.get("report_id") not in known
                ]
                reports = records(conn, REPORTS, [d["report_id"] for d in missing])
                t.insert_new(
                    conn,
                    t.decided_reports,
                    [
                        decided_row(d["report_id"], int(d["decision_seq"]), reports[d["report_id"]])
                        for d in missing
                        if d["report_id"] in reports
                    ],
                )
        self._indexed_decisions = counted

    def _problems(
        self,
        report: dict[str, Any],
        latest: dict[str, int],
        present: set[str],
        summaries: Lookup,
    ) -> list[str]:
        """Why this revision cannot be accepted as it is (empty: it can). ``present``: the
        SHA-256 of the files the server has (:meth:`_present`); ``summaries``: what their
        JSON documents say (:class:`ReportSummaries`)."""
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
        if data in summaries.damaged:
            problems.append("The server's copy of the JSON is damaged (hash mismatch).")
            return problems
        summary = summaries.known.get(data)
        if summary is None or not summary.readable:
            problems.append("The structured data is not a readable report document.")
            return problems
        recorded = summary.pdf_sha256
        if pdf and recorded != pdf:
            problems.append(
                f"The PDF does not match its structured data: the JSON records PDF "
                f"{str(recorded)[:12]}…, the report names {pdf[:12]}…."
            )
        if (summary.report_number, summary.revision) != (
            report["report_number"],
            report["revision"],
        ):
            problems.append(
                f"The structured data is of {summary.report_number} revision "
                f"{summary.revision}, not of this report."
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
                existing = record(conn, DECISIONS, decision_id(report_id))
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
        existing = record(conn, DECISIONS, decision_id(report_id))
        if existing is not None:
            raise BackOfficeError(
                409,
                "already_decided",
                f"{_label(report)} was already {existing['decision']} by "
                f"{existing['decided_by']} at {existing['decided_at']}; nothing was changed.",
                decision=_public(existing),
            )
        latest = latest_revisions(same_case(conn, report["case_id"]))
        newest = latest.get(report["report_number"], report["revision"])
        if newest > report["revision"]:
            # replaced before any decision: it waits for none, and gets none
            raise BackOfficeError(
                409,
                "superseded",
                f"{_label(report)} was replaced by revision {newest}; decide that one. "
                "Nothing was changed.",
            )
        if decision == "accepted":
            present = self._present(conn, [report])
            data_sha = report.get("data_sha256")
            summaries = self.summaries.lookup(conn, [data_sha] if data_sha in present else [])
            problems = self._problems(report, latest, present, summaries)
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
        conn.execute(insert(t.decided_reports).values(decided_row(report_id, sequence, report)))
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
            reports = records(conn, REPORTS, [d["report_id"] for d in page])
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


def _when(text: str) -> datetime:
    """An ISO time as an aware UTC datetime, for ordering (unreadable: the oldest)."""
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return datetime.min.replace(tzinfo=UTC)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _date(report: dict[str, Any]) -> str:
    return str(report.get("signed_at") or report.get("generated_at") or "")


def _public(decision: dict[str, Any] | None) -> dict[str, Any] | None:
    if decision is None:
        return None
    return {
        key: decision.get(key)
        for key in ("decision", "reason", "decided_by", "decided_at", "decision_seq")
    }
