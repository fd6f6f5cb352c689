"""The device side of the back-office endpoints (docs/sync-protocol.md, section 13): the
report inbox, decisions, and the accepted reports the export reads. Answers are checked and
turned into plain values or errors a person can read."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from fieldsupport.reports.export import (
    AcceptedPage,
    AcceptedReport,
    ByteSink,
    ExportError,
    ExportInterrupted,
)
from fieldsupport.sync.transport import Reply, ServerUnavailable, SyncError, Transport, check


class DecisionRefused(SyncError):
    """The server did not record the decision (already decided, a problem with the report,
    no reason given...); ``code`` says which, the message says it for a person."""

    def __init__(self, message: str, code: str, decision: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.decision = decision


@dataclass(frozen=True)
class Decision:
    decision: str  # accepted | returned
    reason: str | None
    decided_by: str
    decided_at: datetime
    decision_seq: int

    @classmethod
    def from_wire(cls, value: Any) -> Decision | None:
        if value is None:
            return None
        try:
            return cls(
                decision=str(value["decision"]),
                reason=value.get("reason"),
                decided_by=str(value["decided_by"]),
                decided_at=datetime.fromisoformat(value["decided_at"]),
                decision_seq=int(value["decision_seq"]),
            )
        except (KeyError, TypeError, ValueError, AttributeError):
            raise SyncError("The server sent a report decision in an unexpected shape.") from None


@dataclass(frozen=True)
class InboxRow:
    report_id: str
    report_number: str
    revision: int
    status: str
    case_id: str
    case_number: str
    case_title: str
    customer: str
    engineer: str
    date: datetime | None
    pdf_sha256: str | None
    data_sha256: str | None
    problems: tuple[str, ...]
    can_accept: bool
    decision: Decision | None
    # a later signed revision of the same report (an undecided row with one waits for none)
    superseded_by: int | None = None

    @property
    def superseded(self) -> bool:
        """Replaced by a later revision before any decision: it needs none."""
        return self.decision is None and self.superseded_by is not None

    @classmethod
    def from_wire(cls, value: Any) -> InboxRow:
        try:
            date = value.get("date")
            return cls(
                report_id=str(value["report_id"]),
                report_number=str(value["report_number"]),
                revision=int(value["revision"]),
                status=str(value["status"]),
                case_id=str(value["case_id"]),
                case_number=str(value.get("case_number") or ""),
                case_title=str(value.get("case_title") or ""),
                customer=str(value.get("customer") or ""),
                engineer=str(value.get("engineer") or ""),
                date=datetime.fromisoformat(date) if date else None,
                pdf_sha256=value.get("pdf_sha256"),
                data_sha256=value.get("data_sha256"),
                problems=tuple(str(p) for p in value.get("problems") or ()),
                can_accept=bool(value.get("can_accept")),
                decision=Decision.from_wire(value.get("decision")),
                superseded_by=(
                    int(value["superseded_by"]) if value.get("superseded_by") is not None else None
                ),
            )
        except (KeyError, TypeError, ValueError, AttributeError):
            raise SyncError("The server sent an inbox row in an unexpected shape.") from None


@dataclass(frozen=True)
class Inbox:
    rows: list[InboxRow]
    pending: int  # undecided reports on the server (the rows may be a filtered part)


class BackOfficeClient:
    def __init__(self, transport: Transport) -> None:
        self.transport = transport

    def inbox(self, state: str = "pending", limit: int = 500) -> Inbox:
        body = check(
            self.transport.request(
                "GET", "/v1/backoffice/reports", params={"state": state, "limit": limit}
            ),
            "report inbox",
        )
        rows = body.get("reports")
        if not isinstance(rows, list):
            raise SyncError("The server's report inbox has an unexpected shape.")
        return Inbox([InboxRow.from_wire(r) for r in rows], int(body.get("pending") or 0))

    def decide(self, report_id: str, decision: str, reason: str | None = None) -> Decision:
        reply = self.transport.request(
            "POST",
            f"/v1/backoffice/reports/{report_id}/decision",
            json_body={"decision": decision, "reason": reason},
        )
        if reply.status in (403, 404, 409, 422):
            message, code, existing = _refusal(reply)
            raise DecisionRefused(message, code, existing)
        body = check(reply, "decision")
        decided = Decision.from_wire(body.get("decision"))
        if decided is None:
            raise SyncError("The server's answer to the decision has an unexpected shape.")
        return decided

    def accepted_since(self, cursor: int, limit: int) -> AcceptedPage:
        body = check(
            self.transport.request(
                "GET", "/v1/backoffice/accepted", params={"cursor": cursor, "limit": limit}
            ),
            "list of accepted reports",
        )
        reports, next_cursor = body.get("reports"), body.get("cursor")
        if not isinstance(reports, list) or not isinstance(next_cursor, int):
            raise ExportError("The server's list of accepted reports has an unexpected shape.")
        return AcceptedPage(
            [AcceptedReport.from_wire(r) for r in reports], next_cursor, bool(body.get("more"))
        )


class HttpExportSource:
    """The export reading the back-office endpoints (the app)."""

    def __init__(self, transport: Transport) -> None:
        self.client = BackOfficeClient(transport)
        self.transport = transport

    def accepted_since(self, cursor: int, limit: int) -> AcceptedPage:
        try:
            return self.client.accepted_since(cursor, limit)
        except ServerUnavailable as exc:
            raise _interrupted(exc) from exc

    def copy_blob(self, sha256: str, out: ByteSink) -> None:
        try:
            reply = self.transport.request("GET", f"/v1/blobs/{sha256}/content")
        except ServerUnavailable as exc:
            raise _interrupted(exc) from exc
        if reply.status == 404:
            raise ExportError(
                f"The server has no file {sha256[:12]}… although its report was accepted; "
                "nothing was exported. Tell the server's administrator."
            )
        if reply.status != 200:
            check(reply, "file download")
        out.write(reply.body)


def _interrupted(exc: ServerUnavailable) -> ExportInterrupted:
    # the transport's own message speaks of sync; this one says what happened to the export
    cause = exc.__cause__
    reason = (str(cause) or type(cause).__name__) if cause is not None else str(exc)
    return ExportInterrupted(
        f"The connection to the server was lost during the export ({reason}). Nothing was "
        "recorded as exported; export again to continue where it stopped."
    )


def _refusal(reply: Reply) -> tuple[str, str, dict[str, Any] | None]:
    try:
        body = json.loads(reply.body)
    except (ValueError, UnicodeDecodeError):
        body = None
    if not isinstance(body, dict):
        return f"The server refused the decision (HTTP {reply.status}).", "refused", None
    message = str(body.get("message") or f"The server refused the decision (HTTP {reply.status}).")
    existing = body.get("decision")
    return (
        message,
        str(body.get("error") or "refused"),
        existing if isinstance(existing, dict) else None,
    )
