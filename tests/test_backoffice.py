"""The back office end to end through a real central server on loopback (SQLite, and
PostgreSQL when reachable): an engineer's signed report reaches the inbox, is accepted or
returned (the engineer sees it and reports revision 2), and the export writes it exactly
once, also after an interruption, a full or a read-only disk."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import shutil
import threading
import uuid
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete, select

from fieldsupport.central import cli as central_cli
from fieldsupport.central import storage as t
from fieldsupport.central.accounts import Principal
from fieldsupport.central.backoffice import BackOffice, ServerExportSource, decision_id
from fieldsupport.central.server import BackgroundServer
from fieldsupport.central.service import CentralService
from fieldsupport.errors import ValidationError
from fieldsupport.models import Case, ServiceReport, User
from fieldsupport.models.enums import ReportDecisionKind, VisitStatus
from fieldsupport.reports import export_files as disk
from fieldsupport.reports.export import (
    LEDGER_NAME,
    ExportError,
    ExportInterrupted,
    export_reports,
    read_ledger,
)
from fieldsupport.services.cases import CaseService
from fieldsupport.services.reports import ReportService
from fieldsupport.services.visits import VisitService
from fieldsupport.sync.backoffice import BackOfficeClient, DecisionRefused, HttpExportSource
from tests import backoffice_helpers, sync_helpers
from tests.backoffice_helpers import (
    TRAVEL_KM,
    Device,
    Submitted,
    central_db_args,
    report_signed,
    submit_report,
)
from tests.fs_helpers import tmpfs
from tests.sync_helpers import PASSWORD

central = sync_helpers.central
server = sync_helpers.server

RETURN_REASON = "The customer's PO number is missing; add it to the findings."


devices = backoffice_helpers.devices


def _client(device: Device) -> BackOfficeClient:
    return BackOfficeClient(device.transport)


def _decisions_on_server(service: CentralService) -> list[dict[str, object]]:
    with service.engine.connect() as conn:
        rows = conn.execute(
            select(t.records.c.data).where(t.records.c.record_type == "report_decisions")
        ).all()
    return [json.loads(r.data) for r in rows]


def _export(service: CentralService, out: Path, **kw: object) -> object:
    return export_reports(ServerExportSource(service), out, **kw)  # type: ignore[arg-type]


def _csv_rows(path: Path) -> list[dict[str, str]]:
    text = path.read_bytes().decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# -- accept and export -----------------------------------------------------------------------


def test_accepted_report_is_visible_to_the_engineer_and_exported_once(
    devices: dict[str, Device], central: CentralService, tmp_path: Path
) -> None:
    bo, anna = devices["bo"], devices["anna"]
    sent = submit_report(bo, anna, customer="Odra Chemicals")
    report = sent.report

    inbox = _client(bo).inbox()
    assert inbox.pending == 1
    (row,) = inbox.rows
    assert (row.report_id, row.report_number, row.revision, row.status) == (
        report.id,
        report.report_number,
        1,
        "signed",
    )
    assert (row.case_number, row.customer, row.engineer) == (
        sent.case_number,
        "Odra Chemicals",
        "Anna Kowalska",
    )
    assert row.date == report.signed_at
    assert row.problems == () and row.can_accept and row.decision is None

    decided = _client(bo).decide(report.id, "accepted")
    assert (decided.decision, decided.decided_by) == ("accepted", "bo")
    assert _client(bo).inbox().rows == []  # nothing left to decide
    (done,) = _client(bo).inbox("decided").rows
    assert done.decision is not None and done.decision.decision_seq == decided.decision_seq
    assert not done.can_accept

    # the engineer sees it in the case's Reports tab once synced
    anna.sync()
    (mine,) = ReportService(anna.ws).reports_of_case(sent.case_id)
    assert mine.decision is not None
    assert (mine.decision.decision, mine.decision.decided_by) == (ReportDecisionKind.ACCEPTED, "bo")
    assert mine.decision.decided_at == decided.decided_at

    out = tmp_path / "erp"
    first = _export(central, out)
    batch = out / "batch-00001"
    assert first.batch == batch  # type: ignore[attr-defined]
    stem = f"{report.report_number}-rev1"
    assert sorted(p.name for p in batch.iterdir()) == sorted(
        [f"{stem}.pdf", f"{stem}.json", "summary.csv", "manifest.json"]
    )
    assert report.pdf_path is not None and report.data_path is not None
    assert (batch / f"{stem}.pdf").read_bytes() == report.pdf_path.read_bytes()
    assert (batch / f"{stem}.json").read_bytes() == report.data_path.read_bytes()
    document = json.loads(report.data_path.read_bytes())
    (line,) = _csv_rows(batch / "summary.csv")
    assert line == {
        "report_number": report.report_number,
        "revision": "1",
        "case_number": sent.case_number,
        "customer": "Odra Chemicals",
        "engineer": "Anna Kowalska",
        "work_hours": f"{document['visit']['work_minutes'] / 60:.2f}",
        "travel_hours": "0.75",
        "travel_km": f"{TRAVEL_KM:g}",
        "parts": "1 pcs × GP-100-8 Gland packing set DX-100; 2 pcs × OR-12 O-ring 12 mm",
        "accepted_by": "bo",
        "accepted_at": decided.decided_at.isoformat(),
        "pdf_file": f"{stem}.pdf",
        "json_file": f"{stem}.json",
    }
    assert document["visit"]["work_minutes"] == 95 and document["case"]["number"] == (
        sent.case_number
    )
    manifest = json.loads((batch / "manifest.json").read_bytes())
    assert {f["name"]: f["sha256"] for f in manifest["files"]} == {
        name: _sha(batch / name) for name in (f"{stem}.pdf", f"{stem}.json", "summary.csv")
    }
    assert manifest["reports"][0]["report_id"] == report.id
    ledger = read_ledger(out)
    assert ledger.exported == {report.id} and ledger.cursor >= decided.decision_seq

    # exporting again exports nothing, even when asked to start from the beginning
    again = _export(central, out, since=0)
    assert again.batch is None and again.reports == ()  # type: ignore[attr-defined]
    assert sorted(p.name for p in out.iterdir() if not p.name.startswith(".")) == [
        "batch-00001",
        LEDGER_NAME,
    ]


def test_central_export_command_writes_the_batch_and_then_nothing(
    devices: dict[str, Device],
    central: CentralService,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    bo, anna = devices["bo"], devices["anna"]
    sent = submit_report(bo, anna)
    _client(bo).decide(sent.report.id, "accepted")
    out = tmp_path / "erp"
    argv = [
        *central_db_args(central),
        "export",
        "--blobs",
        str(central.blobs.root),
        "--out",
        str(out),
        "--since",
        "0",
    ]
    assert central_cli.main(argv) == 0
    printed = capsys.readouterr().out
    assert "Exported 1 report(s)" in printed and "batch-00001" in printed
    assert (out / "batch-00001" / f"{sent.report.report_number}-rev1.pdf").is_file()
    assert central_cli.main(argv) == 0
    assert "Nothing new to export" in capsys.readouterr().out
    assert not (out / "batch-00002").exists()


# -- return and revision 2 -------------------------------------------------------------------


def test_returned_report_comes_back_as_revision_two(
    devices: dict[str, Device], central: CentralService, tmp_path: Path
) -> None:
    """Engineer reports after leaving the site → back office returns it with a reason →
    the engineer corrects the finished visit and signs revision 2 → the back office sees
    the corrected content and accepts it."""
    bo, anna = devices["bo"], devices["anna"]
    sent = submit_report(bo, anna, departed=True)
    with pytest.raises(DecisionRefused, match="Say why") as no_reason:
        _client(bo).decide(sent.report.id, "returned", "   ")
    assert no_reason.value.code == "reason_required"
    returned = _client(bo).decide(sent.report.id, "returned", RETURN_REASON)
    assert returned.reason == RETURN_REASON

    # the sync that brings the return says so (once); the back office made it, is not told
    told = anna.sync()
    assert [r.text() for r in told.returned] == [
        f"Report {sent.report.report_number} revision 1 was returned by bo: {RETURN_REASON}"
    ]
    assert "1 report(s) returned" in told.summary()
    assert anna.sync().returned == [] and bo.sync().returned == []
    (first,) = ReportService(anna.ws).reports_of_case(sent.case_id)
    assert first.decision is not None
    assert first.decision.decision is ReportDecisionKind.RETURNED
    assert first.decision.reason == RETURN_REASON

    # the finished visit tells why it may be corrected, and is not editable until reopened
    visits = VisitService(anna.ws, user_id=sent.refs["engineer"])
    before = visits.get_visit(sent.visit_id)
    assert before.status is VisitStatus.COMPLETED
    assert before.returned is not None and before.returned.reason == RETURN_REASON
    assert (before.returned.report_id, before.returned.decided_by) == (sent.report.id, "bo")
    assert not before.correcting and not before.editable
    with pytest.raises(ValidationError, match="use Correct the visit"):
        visits.update_notes(sent.visit_id, findings="Packing worn out. PO 4711-22.")

    # the engineer reopens it for correction: no new arrival, the times stay as recorded
    reopened = visits.reopen_for_correction(sent.visit_id)
    assert reopened.correcting and reopened.editable
    assert reopened.status is VisitStatus.COMPLETED
    assert (reopened.arrived_at, reopened.departed_at) == (before.arrived_at, before.departed_at)
    assert visits.reopen_for_correction(sent.visit_id) == reopened  # once is enough
    (event,) = [
        e
        for e in CaseService(anna.ws).get_case(sent.case_id).events
        if (e.body or "").startswith("Visit reopened for correction")
    ]
    assert RETURN_REASON in (event.body or "")
    corrected_findings = "Packing worn out. Customer PO 4711-22."
    visits.update_notes(
        sent.visit_id,
        work_performed=before.work_performed,
        findings=corrected_findings,
        travel_distance_km=TRAVEL_KM,
    )
    visits.add_part(sent.visit_id, "SG-5", "Silicone grease 5 g", 1)
    o_ring = next(p for p in visits.visit_detail(sent.visit_id).parts if p.part_number == "OR-12")
    visits.remove_part(o_ring.id)  # recorded by mistake

    reports = ReportService(anna.ws)
    draft = reports.generate_draft(sent.visit_id)
    assert (draft.report_number, draft.revision) == (sent.report.report_number, 2)
    with anna.ws.transaction() as session:
        first_signature = session.get(ServiceReport, sent.report.id).signature_id  # type: ignore[union-attr]
    assert first_signature is not None
    with pytest.raises(ValidationError, match="given for revision 1"):
        reports.finalize(draft.id, signature_id=first_signature)  # signed what rev. 1 showed
    second = report_signed(anna.ws, sent.visit_id)  # signed again for revision 2
    assert (second.id, second.revision) == (draft.id, 2)
    # revision 2 is signed: the visit is closed again
    after = visits.get_visit(sent.visit_id)
    assert after.returned is None and not after.correcting and not after.editable
    with pytest.raises(ValidationError, match="can no longer be changed"):
        visits.add_part(sent.visit_id, "SG-5", "Silicone grease 5 g", 1)
    synced = anna.sync()
    assert synced.rejected == 0 and synced.conflicts == 0
    assert {o["state"] for o in sync_helpers.outbox(anna.ws)} == {"applied"}

    (row,) = _client(bo).inbox().rows
    assert (row.report_id, row.revision, row.problems) == (second.id, 2, ())
    assert row.can_accept
    document = _server_document(bo, row.data_sha256)
    assert document["visit"]["findings"] == corrected_findings
    assert sorted(p["part_number"] for p in document["parts"]) == ["GP-100-8", "SG-5"]
    everything = {r.revision: r for r in _client(bo).inbox("all").rows}
    assert everything[1].decision is not None and everything[1].decision.decision == "returned"
    # the returned revision can never be accepted afterwards
    with pytest.raises(DecisionRefused, match="already returned by bo") as late:
        _client(bo).decide(sent.report.id, "accepted")
    assert late.value.code == "already_decided"
    _client(bo).decide(second.id, "accepted")

    # the back office's own copy of the visit converged to the corrected one
    bo.sync()
    seen = VisitService(bo.ws).visit_detail(sent.visit_id)
    assert seen.visit.findings == corrected_findings
    assert sorted(p.part_number for p in seen.parts) == ["GP-100-8", "SG-5"]

    export = _export(central, tmp_path / "erp")
    assert export.reports == (f"{sent.report.report_number}-rev2",)  # type: ignore[attr-defined]
    (line,) = _csv_rows(tmp_path / "erp" / "batch-00001" / "summary.csv")
    assert (
        line["parts"]
        == "1 pcs × GP-100-8 Gland packing set DX-100; 1 pcs × SG-5 Silicone grease 5 g"
    )


def _server_document(device: Device, data_sha256: str) -> dict[str, Any]:
    """A report's JSON as the server holds it, fetched like the back-office page does."""
    out = io.BytesIO()
    HttpExportSource(device.transport).copy_blob(data_sha256, out)
    loaded: dict[str, Any] = json.loads(out.getvalue())
    return loaded


def test_a_revision_replaced_before_its_decision_leaves_the_inbox_by_itself(
    devices: dict[str, Device], central: CentralService
) -> None:
    bo, anna = devices["bo"], devices["anna"]
    sent = submit_report(bo, anna)
    assert _client(bo).inbox().pending == 1
    second = report_signed(anna.ws, sent.visit_id)  # reported again before any decision
    anna.sync()
    # only revision 2 waits for a decision; revision 1 needs none and got none
    inbox = _client(bo).inbox()
    assert inbox.pending == 1
    (row,) = inbox.rows
    assert (row.report_id, row.revision, row.can_accept, row.superseded_by) == (
        second.id,
        2,
        True,
        None,
    )
    (replaced,) = _client(bo).inbox("decided").rows
    assert (replaced.report_id, replaced.decision, replaced.superseded_by) == (
        sent.report.id,
        None,
        2,
    )
    assert replaced.superseded and not replaced.can_accept
    assert replaced.problems == ("Revision 2 replaces this one; decide that one.",)
    assert [r.revision for r in _client(bo).inbox("all").rows] == [2, 1]
    for decision, reason in (("accepted", None), ("returned", "Wrong customer.")):
        with pytest.raises(DecisionRefused, match="replaced by revision 2") as refused:
            _client(bo).decide(sent.report.id, decision, reason)
        assert refused.value.code == "superseded"
    assert _decisions_on_server(central) == []  # nobody decided anything
    _client(bo).decide(second.id, "accepted")
    assert _client(bo).inbox().rows == [] and _client(bo).inbox().pending == 0
    decided = _client(bo).inbox("decided").rows
    # most recent first: the decision on revision 2 came after revision 1 was reported; a
    # superseded revision does not push decisions out of a short list
    assert [(r.revision, r.superseded) for r in decided] == [(2, False), (1, True)]
    (latest,) = _client(bo).inbox("decided", limit=1).rows
    assert latest.revision == 2 and latest.decision is not None
    assert latest.decision.decision == "accepted"


# -- bad input -------------------------------------------------------------------------------


def _server_version(service: CentralService, record_type: str, record_id: str) -> int:
    with service.engine.connect() as conn:
        return int(
            conn.execute(
                select(t.records.c.version).where(
                    t.records.c.record_type == record_type, t.records.c.id == record_id
                )
            ).scalar_one()
        )


def test_pdf_that_does_not_match_its_data_is_refused(
    devices: dict[str, Device], central: CentralService, server: BackgroundServer, tmp_path: Path
) -> None:
    bo, anna = devices["bo"], devices["anna"]
    sent = submit_report(bo, anna)
    fake = b"%PDF-1.4 not the signed report"
    other_pdf = hashlib.sha256(fake).hexdigest()
    # a second device of anna's uploads another PDF and points the signed report at it
    mallory = Device(tmp_path / "mallory", server.url, "anna")
    try:
        reply = mallory.transport.request(
            "PUT",
            f"/v1/blobs/{other_pdf}",
            content=fake,
            params={"offset": 0, "size": len(fake), "media_type": "application/pdf"},
        )
        assert reply.json()["complete"] is True
        op = {
            "op_id": str(uuid.uuid4()),
            "seq": 1,
            "kind": "upsert",
            "t": "service_reports",
            "id": sent.report.id,
            "base": _server_version(central, "service_reports", sent.report.id),
            "fields": {"pdf_sha256": other_pdf},
        }
        reply = mallory.transport.request("POST", "/v1/push", json_body={"ops": [op]})
        result = reply.json()["results"][0]
    finally:
        mallory.close()
    assert result["status"] == "applied"

    (row,) = _client(bo).inbox().rows
    assert not row.can_accept
    assert any("does not match its structured data" in p for p in row.problems)
    with pytest.raises(DecisionRefused, match="cannot be accepted") as refused:
        _client(bo).decide(sent.report.id, "accepted")
    assert refused.value.code == "report_problem"
    assert _decisions_on_server(central) == []
    assert len(_client(bo).inbox().rows) == 1  # still waiting, unchanged
    # returning it to the engineer is how it gets fixed
    _client(bo).decide(sent.report.id, "returned", "The PDF is not the signed one.")
    assert [d["decision"] for d in _decisions_on_server(central)] == ["returned"]


def test_missing_or_damaged_blob_is_refused(
    devices: dict[str, Device], central: CentralService
) -> None:
    bo, anna = devices["bo"], devices["anna"]
    sent = submit_report(bo, anna)
    pdf = central.blobs.path(sent.report.pdf_sha256 or "")
    original = pdf.read_bytes()

    # damaged on the server's disk: the inbox (no re-hash) cannot tell, accepting re-hashes
    pdf.write_bytes(original[:-10] + b"0123456789")
    with pytest.raises(DecisionRefused, match="damaged"):
        _client(bo).decide(sent.report.id, "accepted")

    pdf.unlink()  # lost
    (row,) = _client(bo).inbox().rows
    assert "The PDF is missing on the server." in row.problems and not row.can_accept
    with pytest.raises(DecisionRefused, match="PDF is missing"):
        _client(bo).decide(sent.report.id, "accepted")
    assert _decisions_on_server(central) == []

    pdf.write_bytes(original)  # restored from a backup: now it can be accepted
    assert _client(bo).inbox().rows[0].can_accept
    _client(bo).decide(sent.report.id, "accepted")


def _summaries_on_server(service: CentralService) -> set[str]:
    with service.engine.connect() as conn:
        return set(conn.execute(select(t.report_summaries.c.data_sha256)).scalars())


def test_inbox_reads_a_report_document_once_and_never_a_damaged_one(
    devices: dict[str, Device], central: CentralService
) -> None:
    bo, anna = devices["bo"], devices["anna"]
    sent = submit_report(bo, anna, customer="Odra Chemicals")
    report = sent.report
    data = central.blobs.path(report.data_sha256 or "")
    original = data.read_bytes()

    # damaged on the server's disk before the server ever read it: shown, not remembered
    data.write_bytes(original.replace(b'"report"', b'"rep0rt"', 1))
    (row,) = _client(bo).inbox().rows
    assert row.problems == ("The server's copy of the JSON is damaged (hash mismatch).",)
    assert not row.can_accept
    assert _summaries_on_server(central) == set()
    with pytest.raises(DecisionRefused, match="damaged"):
        _client(bo).decide(report.id, "accepted")

    data.write_bytes(original)  # restored from a backup
    (row,) = _client(bo).inbox().rows
    assert row.problems == () and row.can_accept
    assert _summaries_on_server(central) == {report.data_sha256}

    # read once: later inbox requests take what they need from the table, not the file
    data.write_bytes(b"no longer JSON")
    (again,) = _client(bo).inbox().rows
    assert again == row
    assert (again.customer, again.engineer, again.case_number) == (
        "Odra Chemicals",
        "Anna Kowalska",
        sent.case_number,
    )
    # accepting still re-hashes what would be exported
    with pytest.raises(DecisionRefused, match="damaged"):
        _client(bo).decide(report.id, "accepted")
    data.write_bytes(original)
    assert _client(bo).decide(report.id, "accepted").decision == "accepted"


def test_decided_view_shows_the_latest_decisions_also_after_a_case_changed_hands(
    devices: dict[str, Device], central: CentralService
) -> None:
    bo, anna = devices["bo"], devices["anna"]
    sent = _accepted_reports(bo, anna, 3)  # decided in this order
    ids = [s.report.id for s in sent]
    # the first case goes to another engineer: every record of it, its decision too, gets a
    # new change sequence, now the highest of all decisions
    with bo.ws.transaction() as s:
        nils = User(username="nils", display_name="Nils Berg")
        s.add(nils)
        s.flush()
        s.get(Case, sent[0].case_id).assignee_id = nils.id  # type: ignore[union-attr]
    bo.sync()
    with central.engine.connect() as conn:
        stamps = dict(
            conn.execute(
                select(t.records.c.id, t.records.c.change_seq).where(
                    t.records.c.record_type == "report_decisions"
                )
            ).all()
        )
    decided = {d["report_id"]: d for d in _decisions_on_server(central)}
    first, last = (decision_id(ids[0]), decision_id(ids[2]))
    assert stamps[first] > stamps[last]  # the first decision now comes last by change sequence
    assert decided[ids[0]]["decision_seq"] < decided[ids[2]]["decision_seq"]

    assert [r.report_id for r in _client(bo).inbox("decided", limit=1).rows] == [ids[2]]
    assert [r.report_id for r in _client(bo).inbox("decided", limit=2).rows] == ids[:0:-1]
    assert [r.report_id for r in _client(bo).inbox("decided").rows] == ids[::-1]
    assert [r.report_id for r in _client(bo).inbox("all", limit=2).rows] == ids[:0:-1]


def test_decisions_the_decided_index_lacks_are_added_once(
    devices: dict[str, Device], central: CentralService
) -> None:
    bo, anna = devices["bo"], devices["anna"]
    sent = _accepted_reports(bo, anna, 2)
    waiting = submit_report(bo, anna, refs=sent[0].refs)
    with central.engine.begin() as conn:
        listed = conn.execute(select(t.decided_reports).order_by("report_id")).all()
        conn.execute(delete(t.decided_reports))  # a database from before the table, or seeded
        account = conn.execute(
            select(t.accounts.c.id).where(t.accounts.c.username == "bo")
        ).scalar_one()
    assert {(r.report_id, r.report_number, r.revision) for r in listed} == {
        (s.report.id, s.report.report_number, 1) for s in sent
    }
    principal = Principal(account, "bo", "back_office", None, bo.ws.device_id)
    started = BackOffice(central)  # a server started on that database
    inbox = started.inbox(principal)
    assert [r["report_id"] for r in inbox["reports"]] == [waiting.report.id]
    assert inbox["pending"] == 1
    with central.engine.connect() as conn:
        assert conn.execute(select(t.decided_reports).order_by("report_id")).all() == listed
    decided = started.inbox(principal, "decided")["reports"]
    assert [r["report_id"] for r in decided] == [s.report.id for s in reversed(sent)]


def test_engineers_cannot_see_the_inbox_or_push_decisions(
    devices: dict[str, Device], central: CentralService
) -> None:
    bo, anna = devices["bo"], devices["anna"]
    sent = submit_report(bo, anna)
    reply = anna.transport.request("GET", "/v1/backoffice/reports")
    assert reply.status == 403 and reply.json()["error"] == "forbidden"
    with pytest.raises(DecisionRefused, match="Only back-office"):
        _client(anna).decide(sent.report.id, "accepted")
    reply = anna.transport.request("GET", "/v1/backoffice/accepted")
    assert reply.status == 403
    # nor can anyone write a decision by a push, not even the back office
    seq = max(op["seq"] for op in sync_helpers.outbox(bo.ws)) + 1
    op = {
        "op_id": str(uuid.uuid4()),
        "seq": seq,
        "kind": "upsert",
        "t": "report_decisions",
        "id": str(uuid.uuid4()),
        "base": 0,
        "fields": {
            "report_id": sent.report.id,
            "decision": "accepted",
            "decided_by": "bo",
            "decided_at": "2026-03-04T10:00:00+00:00",
            "decision_seq": 1,
            "created_at": "2026-03-04T10:00:00+00:00",
            "updated_at": "2026-03-04T10:00:00+00:00",
        },
    }
    result = bo.transport.request("POST", "/v1/push", json_body={"ops": [op]}).json()["results"]
    assert result[0]["status"] == "rejected"
    assert "made on the server" in result[0]["reason"]
    assert _decisions_on_server(central) == []
    # malformed decisions: clear 422s, never a 500
    url = f"/v1/backoffice/reports/{sent.report.id}/decision"
    for body in ({"decision": "maybe"}, {"decision": "returned", "reason": "x" * 2001}, []):
        reply = bo.transport.request("POST", url, json_body=body)
        assert reply.status == 422, body
    reply = bo.transport.request(
        "POST",
        f"/v1/backoffice/reports/{uuid.uuid4()}/decision",
        json_body={"decision": "accepted"},
    )
    assert reply.status == 404


def test_two_back_office_users_accepting_at_once_make_one_decision(
    devices: dict[str, Device], central: CentralService, server: BackgroundServer, tmp_path: Path
) -> None:
    bo, anna = devices["bo"], devices["anna"]
    central.accounts.add_user("bea", PASSWORD, "back_office")
    bea = Device(tmp_path / "bea", server.url, "bea")
    try:
        sent = submit_report(bo, anna)
        start = threading.Barrier(2)
        outcomes: dict[str, object] = {}

        def decide(device: Device) -> None:
            client = BackOfficeClient(device.transport)
            start.wait()
            try:
                outcomes[device.name] = client.decide(sent.report.id, "accepted")
            except DecisionRefused as exc:
                outcomes[device.name] = exc

        threads = [threading.Thread(target=decide, args=(d,)) for d in (bo, bea)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        refused = [o for o in outcomes.values() if isinstance(o, DecisionRefused)]
        accepted = [o for o in outcomes.values() if not isinstance(o, DecisionRefused)]
        assert len(refused) == 1 and len(accepted) == 1, outcomes
        winner = next(name for name, o in outcomes.items() if o in accepted)
        assert refused[0].code == "already_decided"
        assert f"already accepted by {winner}" in str(refused[0])
        assert len(_decisions_on_server(central)) == 1
        assert _client(bea).inbox().rows == []
        (done,) = _client(bea).inbox("decided").rows
        assert done.decision is not None and done.decision.decided_by == winner
    finally:
        bea.close()


# -- export under faults ---------------------------------------------------------------------


class Interrupted(BaseException):
    """The export process dies here (not an error the export could handle)."""


def _accepted_reports(
    bo: Device, anna: Device, count: int, refs: dict[str, str] | None = None
) -> list[Submitted]:
    sent: list[Submitted] = []
    for _ in range(count):
        sent.append(submit_report(bo, anna, refs=refs))
        refs = sent[-1].refs
    for item in sent:
        _client(bo).decide(item.report.id, "accepted")
    return sent


def test_interrupted_export_resumes_without_gaps_or_duplicates(
    devices: dict[str, Device], central: CentralService, tmp_path: Path
) -> None:
    bo, anna = devices["bo"], devices["anna"]
    sent = _accepted_reports(bo, anna, 2)
    out = tmp_path / "erp"
    written: list[Path] = []

    def die_after_three(path: Path) -> None:
        written.append(path)
        if len(written) == 3:
            raise Interrupted()

    with pytest.raises(Interrupted):
        _export(central, out, after_file=die_after_three)
    assert not (out / "batch-00001").exists() and not (out / LEDGER_NAME).exists()
    partial = out / ".batch-00001.partial"
    kept = {p.name: p.stat().st_mtime_ns for p in partial.iterdir()}
    assert len(kept) == 3

    # another report is accepted meanwhile: the resumed export takes it too (no gap)
    third = _accepted_reports(bo, anna, 1, sent[0].refs)[0]
    resumed = _export(central, out)
    assert resumed.batch == out / "batch-00001"  # type: ignore[attr-defined]
    batch = out / "batch-00001"
    stems = [f"{s.report.report_number}-rev1" for s in [*sent, third]]
    assert sorted(p.name for p in batch.iterdir()) == sorted(
        [f"{s}.{x}" for s in stems for x in ("pdf", "json")] + ["summary.csv", "manifest.json"]
    )
    for name, mtime in kept.items():  # intact files of the interrupted run were kept
        assert (batch / name).stat().st_mtime_ns == mtime
    assert [r["report_number"] for r in _csv_rows(batch / "summary.csv")] == [
        s.report.report_number for s in [*sent, third]
    ]
    assert not partial.exists()
    assert not [p for p in out.rglob("*") if p.name.endswith(".tmp")]

    # died after the batch was in place but before the ledger: the next run adopts it
    before = (out / LEDGER_NAME).read_bytes()
    fourth = _accepted_reports(bo, anna, 1, sent[0].refs)[0]
    assert _export(central, out).batch == out / "batch-00002"  # type: ignore[attr-defined]
    (out / LEDGER_NAME).write_bytes(before)
    adopted = _export(central, out)
    assert adopted.batch is None and adopted.adopted == out / "batch-00002"  # type: ignore[attr-defined]
    assert read_ledger(out).exported == {s.report.id for s in [*sent, third, fourth]}
    assert not (out / "batch-00003").exists()


def test_app_export_resumes_after_the_connection_to_the_server_is_lost(
    devices: dict[str, Device], central: CentralService, server: BackgroundServer, tmp_path: Path
) -> None:
    bo, anna = devices["bo"], devices["anna"]
    sent = _accepted_reports(bo, anna, 3)
    out = tmp_path / "erp"
    written: list[Path] = []

    def server_goes_away(path: Path) -> None:
        written.append(path)
        if len(written) == 3:
            server.stop()

    # the app's export reads the back-office endpoints (BackOfficeService.export)
    with pytest.raises(ExportInterrupted, match="connection to the server was lost") as lost:
        export_reports(HttpExportSource(bo.transport), out, after_file=server_goes_away)
    assert "export again to continue" in str(lost.value)
    assert not (out / "batch-00001").exists() and not (out / LEDGER_NAME).exists()
    partial = out / ".batch-00001.partial"
    kept = {p.name: p.stat().st_mtime_ns for p in partial.iterdir()}
    assert len(kept) == 3  # kept for the next run, hidden and outside the ledger

    back = BackgroundServer(central, port=server.port).start()
    try:
        resumed = export_reports(HttpExportSource(bo.transport), out)
    finally:
        back.stop()
    batch = out / "batch-00001"
    assert resumed.batch == batch and not partial.exists()
    assert resumed.reports == tuple(f"{s.report.report_number}-rev1" for s in sent)
    for name, mtime in kept.items():
        assert (batch / name).stat().st_mtime_ns == mtime
    assert read_ledger(out).exported == {s.report.id for s in sent}


def test_full_or_read_only_export_folder_leaves_nothing_half_written(
    devices: dict[str, Device], central: CentralService, tmp_path: Path
) -> None:
    bo, anna = devices["bo"], devices["anna"]
    sent = _accepted_reports(bo, anna, 1)[0]
    out = tmp_path / "erp"
    pdf_size = central.blobs.path(sent.report.pdf_sha256 or "").stat().st_size
    with tmpfs(out, size="1m"):
        filler = out / "filler.bin"
        with open(filler, "wb") as fill:  # room for half the report's PDF
            fill.write(b"\0" * (shutil.disk_usage(out).free - pdf_size // 2))
        assert shutil.disk_usage(out).free < pdf_size
        with pytest.raises(ExportError, match="is full"):
            _export(central, out)
        assert sorted(p.name for p in out.iterdir() if p.name != ".fieldsupport-export.lock") == [
            "filler.bin"
        ]
        filler.unlink()
        assert _export(central, out).batch == out / "batch-00001"  # type: ignore[attr-defined]

    read_only = tmp_path / "read-only"
    with tmpfs(read_only, size="1m", read_only=True):
        with pytest.raises(ExportError, match="not writable"):
            _export(central, read_only)
        assert list(read_only.iterdir()) == []


def test_damaged_ledger_busy_folder_or_damaged_batch_are_refused_clearly(
    devices: dict[str, Device], central: CentralService, tmp_path: Path
) -> None:
    bo, anna = devices["bo"], devices["anna"]
    sent = _accepted_reports(bo, anna, 1)[0]
    out = tmp_path / "erp"
    out.mkdir()

    # a ledger that is not one: nobody knows what was exported, so nothing is
    (out / LEDGER_NAME).write_bytes(b'{"format": "something else", "cursor": 0}')
    with pytest.raises(ExportError, match="damaged or not a FieldSupport export ledger"):
        _export(central, out)
    assert (out / LEDGER_NAME).read_bytes() == b'{"format": "something else", "cursor": 0}'
    assert not (out / "batch-00001").exists()
    (out / LEDGER_NAME).unlink()

    # another export (the app, the command line) holds the folder
    with disk.exclusive_folder(out), pytest.raises(ExportError, match="Another export"):
        _export(central, out)
    assert not (out / "batch-00001").exists()

    # a batch folder the ledger does not know, with a manifest missing its fields: not
    # adopted, not overwritten
    (out / "batch-00001").mkdir()
    (out / "batch-00001" / "manifest.json").write_text('{"batch": "batch-00001"}')
    with pytest.raises(ExportError, match="does not list it"):
        _export(central, out)
    assert not (out / LEDGER_NAME).exists()
    shutil.rmtree(out / "batch-00001")
    done = _export(central, out)
    assert done.reports == (f"{sent.report.report_number}-rev1",)  # type: ignore[attr-defined]
