"""Sync between real workspaces through a real central server on loopback (SQLite, and
PostgreSQL when reachable): capture, push, pull, scope, conflicts, rules, retries."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy import text as sql

from fieldsupport.central.server import BackgroundServer
from fieldsupport.errors import ValidationError
from fieldsupport.models import Case, CaseEvent, Customer
from fieldsupport.models.enums import CaseEventKind
from fieldsupport.services.cases import CaseService
from fieldsupport.sync import checkpoint as sync_checkpoint
from fieldsupport.sync.client import SyncClient, local_checkpoint
from fieldsupport.sync.transport import HttpTransport, SyncError, UpdateRequired, is_loopback
from fieldsupport.workflow import Action
from fieldsupport.workspace import Workspace
from tests import sync_helpers
from tests.builders import MONDAY_9, TO_RESOLVED, make_refs, open_case, walk
from tests.sync_helpers import outbox

# the shared fixtures, under their names
central = sync_helpers.central
server = sync_helpers.server

pytestmark = pytest.mark.usefixtures("server")


Device = sync_helpers.SyncDevice


@pytest.fixture
def devices(tmp_path: Path, server: BackgroundServer) -> Iterator[dict[str, Device]]:
    made = {
        name: Device(tmp_path / name, server.url, name) for name in ("bo", "anna", "nils", "bert")
    }
    try:
        yield made
    finally:
        for device in made.values():
            device.close()


def _assigned_case(bo: Device) -> str:
    """Back office opens a case and assigns it to anna (team north)."""
    refs = make_refs(bo.ws)
    service = CaseService(bo.ws)
    case_id = open_case(service, refs)
    walk(service, case_id, TO_RESOLVED[:2])
    return case_id


def _case(ws: Workspace, case_id: str) -> Case | None:
    with ws.transaction() as s:
        return s.get(Case, case_id)


def test_every_change_writes_one_operation_in_the_same_transaction(workspace: Workspace) -> None:
    with workspace.transaction() as s:
        s.add(Customer(name="Odra"))
    ops = outbox(workspace)
    assert [(o["record_type"], o["base_version"], o["state"]) for o in ops] == [
        ("customers", 0, "pending")
    ]
    customer_id = ops[0]["record_id"]
    with pytest.raises(ValidationError), workspace.transaction() as s:
        s.get(Customer, customer_id).name = "Odra S.A."  # type: ignore[union-attr]
        s.flush()
        raise ValidationError("rolled back")
    assert len(outbox(workspace)) == 1  # the change and its operation went together
    with workspace.transaction() as s:
        s.get(Customer, customer_id).notes = "Key account"  # type: ignore[union-attr]
    second = outbox(workspace)[1]
    assert json.loads(second["payload"]).keys() == {"notes", "updated_at"}
    assert second["base_version"] == 0  # the creation is still pending: same base
    assert second["seq"] == ops[0]["seq"] + 1


def test_assigned_case_reaches_the_team_and_nobody_else(devices: dict[str, Device]) -> None:
    bo, anna, nils, bert = devices["bo"], devices["anna"], devices["nils"], devices["bert"]
    case_id = _assigned_case(bo)
    report = bo.sync()
    assert report.rejected == 0 and report.pushed == len(outbox(bo.ws))  # type: ignore[attr-defined]
    for device in (anna, nils, bert):
        device.sync()
    assert _case(anna.ws, case_id) is not None
    assert _case(nils.ws, case_id) is not None  # same team
    assert _case(bert.ws, case_id) is None  # other team: not even by pull
    with anna.ws.transaction() as s:
        events = s.scalars(select(CaseEvent).where(CaseEvent.case_id == case_id)).all()
    assert len(events) >= 3  # intake + triage + assignment
    # every device agrees with the server on what it may see
    assert bo.sync(verify=True).divergent == {}  # type: ignore[attr-defined]
    assert anna.sync(verify=True).divergent == {}  # type: ignore[attr-defined]


def test_engineer_cannot_write_a_case_of_another_team_by_its_id(
    devices: dict[str, Device],
) -> None:
    bo, bert = devices["bo"], devices["bert"]
    case_id = _assigned_case(bo)
    bo.sync()
    op = {
        "op_id": "2b1e8f9c-1111-4c3e-9d3e-000000000001",
        "seq": 1,
        "kind": "upsert",
        "t": "cases",
        "id": case_id,
        "base": 1,
        "fields": {"title": "guessed"},
    }
    reply = bert.transport.request("POST", "/v1/push", json_body={"ops": [op]})
    result = reply.json()["results"][0]
    assert result["status"] == "rejected"
    assert "may see" in result["reason"] and reply.json()["records"] == []
    bo.sync()
    assert _case(bo.ws, case_id).title == "Leaking pump head"  # type: ignore[union-attr]


def test_concurrent_edits_keep_both_values(devices: dict[str, Device]) -> None:
    bo, anna = devices["bo"], devices["anna"]
    case_id = _assigned_case(bo)
    bo.sync()
    anna.sync()
    CaseService(anna.ws).update_description(case_id, "anna: gland leak, packing worn")
    CaseService(bo.ws).update_description(case_id, "bo: customer reports leak")
    with bo.ws.transaction() as s:  # a different field on the same record: no conflict
        s.get(Case, case_id).category = "seal"  # type: ignore[union-attr]
    assert anna.sync().conflicts == 0  # type: ignore[attr-defined]
    report = bo.sync()
    assert report.conflicts == 1  # type: ignore[attr-defined]
    anna.sync()
    for device in (anna, bo):
        case = _case(device.ws, case_id)
        assert case is not None
        assert case.description == "anna: gland leak, packing worn"  # first to arrive stays
        assert case.category == "seal"
        with device.ws.engine.connect() as conn:
            rows = conn.exec_driver_sql("SELECT field, status, data FROM sync_conflicts").all()
        assert [(r[0], r[1]) for r in rows] == [("description", "open")]
        data = json.loads(rows[0][2])
        assert data["kept_value"] == "anna: gland leak, packing worn"
        assert data["other_value"] == "bo: customer reports leak"
        assert data["other_device_id"] == bo.ws.device_id
    assert {o["state"] for o in outbox(bo.ws)} == {"applied", "conflict"}


def test_sequential_edits_do_not_conflict(devices: dict[str, Device]) -> None:
    bo, anna = devices["bo"], devices["anna"]
    case_id = _assigned_case(bo)
    bo.sync()
    anna.sync()
    service = CaseService(anna.ws)
    service.update_description(case_id, "first")
    service.update_description(case_id, "second")  # two pending ops on one record
    anna.sync()
    bo.sync()
    CaseService(bo.ws).update_description(case_id, "third, having seen the second")
    assert bo.sync().conflicts == 0  # type: ignore[attr-defined]
    anna.sync()
    assert _case(anna.ws, case_id).description == "third, having seen the second"  # type: ignore[union-attr]


def test_status_change_breaking_the_workflow_is_rejected_and_kept_visible(
    devices: dict[str, Device],
) -> None:
    bo, anna = devices["bo"], devices["anna"]
    case_id = _assigned_case(bo)
    bo.sync()
    anna.sync()
    with anna.ws.transaction() as s:  # bypasses the services' state machine on purpose
        s.get(Case, case_id).status = "closed"  # type: ignore[union-attr]
    report = anna.sync()
    assert report.rejected == 1  # type: ignore[attr-defined]
    rejected = [o for o in outbox(anna.ws) if o["state"] == "rejected"]
    assert len(rejected) == 1
    assert "workflow" in rejected[0]["reason"] and rejected[0]["field"] == "status"
    assert json.loads(rejected[0]["payload"])["status"] == "closed"  # the value is not lost
    assert _case(anna.ws, case_id).status == "assigned"  # type: ignore[union-attr]
    # a legal step from the same device still goes through
    CaseService(anna.ws).perform(case_id, Action.RESPOND, {"response": "On site at 8."})
    assert anna.sync().rejected == 0  # type: ignore[attr-defined]


def test_append_only_entries_from_several_devices_all_arrive(devices: dict[str, Device]) -> None:
    bo, anna, nils = devices["bo"], devices["anna"], devices["nils"]
    case_id = _assigned_case(bo)
    bo.sync()
    for device in (anna, nils):
        device.sync()
    for device, text in ((anna, "anna's note"), (nils, "nils' note"), (bo, "office note")):
        CaseService(device.ws).add_event(case_id, CaseEventKind.NOTE, text, occurred_at=MONDAY_9)
    for device in (anna, nils, bo, anna, nils):
        assert device.sync().conflicts == 0  # type: ignore[attr-defined]
    for device in (anna, nils, bo):
        with device.ws.transaction() as s:
            notes = set(
                s.scalars(
                    select(CaseEvent.body).where(
                        CaseEvent.case_id == case_id, CaseEvent.kind == CaseEventKind.NOTE
                    )
                )
            )
        assert notes == {"anna's note", "nils' note", "office note"}
    assert local_checkpoint(anna.ws)["case_events"] == local_checkpoint(nils.ws)["case_events"]


def test_retried_push_is_answered_from_the_stored_result(devices: dict[str, Device]) -> None:
    bo = devices["bo"]
    make_refs(bo.ws)
    client = SyncClient(bo.ws, bo.transport)
    ops = client.pending(100)
    first = bo.transport.request("POST", "/v1/push", json_body={"ops": ops}).json()
    again = bo.transport.request("POST", "/v1/push", json_body={"ops": ops}).json()
    assert {r["status"] for r in first["results"]} == {"applied"}
    assert {r["status"] for r in again["results"]} == {"duplicate"}
    assert [r["original"] for r in again["results"]] == [
        {k: v for k, v in r.items() if k not in ("op_id", "seq")} for r in first["results"]
    ]
    bo.sync()  # the device never got the first answers: it resends and settles
    assert {o["state"] for o in outbox(bo.ws)} == {"applied"}
    # a replayed sequence number under a new id is refused, not applied
    replay = {**ops[0], "op_id": "2b1e8f9c-1111-4c3e-9d3e-0000000000ff"}
    result = bo.transport.request("POST", "/v1/push", json_body={"ops": [replay]}).json()
    assert result["results"][0]["status"] == "rejected"
    assert "replayed" in result["results"][0]["reason"]


def test_old_protocol_gets_please_update_and_keeps_the_outbox(
    devices: dict[str, Device], server: BackgroundServer
) -> None:
    bo = devices["bo"]
    make_refs(bo.ws)
    before = outbox(bo.ws)
    old = HttpTransport(server.url)
    old._client.headers["FieldSupport-Protocol"] = "0"
    try:
        with pytest.raises(UpdateRequired, match="please update"):
            SyncClient(bo.ws, old).run()
    finally:
        old.close()
    assert outbox(bo.ws) == before
    assert {o["state"] for o in before} == {"pending"}


class _AnswersNothing(BaseHTTPRequestHandler):
    """A server that takes a push and answers none of its operations."""

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        body = b'{"results": [], "records": []}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_args: object) -> None:
        return None


def test_a_push_answered_for_no_operation_stops_with_a_reason(workspace: Workspace) -> None:
    make_refs(workspace)
    before = outbox(workspace)
    silent = ThreadingHTTPServer(("127.0.0.1", 0), _AnswersNothing)
    thread = threading.Thread(target=silent.serve_forever, daemon=True)
    thread.start()
    transport = HttpTransport(f"http://127.0.0.1:{silent.server_port}")
    try:
        # before: the same batch was sent again and again, for ever
        with pytest.raises(SyncError, match=f"answered none of the {len(before)} changes"):
            SyncClient(workspace, transport).push()
    finally:
        transport.close()
        silent.shutdown()
        silent.server_close()
        thread.join()
    assert outbox(workspace) == before
    assert {o["state"] for o in before} == {"pending"}


def test_checkpoint_repairs_a_damaged_copy_by_pulling_again(devices: dict[str, Device]) -> None:
    bo, anna = devices["bo"], devices["anna"]
    case_id = _assigned_case(bo)
    bo.sync()
    anna.sync(verify=True)
    with anna.ws.engine.begin() as conn:  # lose a row behind the app's back
        conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
        conn.exec_driver_sql("DELETE FROM case_events WHERE case_id = ?", (case_id,))
    report = anna.sync(verify=True)
    assert report.repaired and report.divergent == {}  # type: ignore[attr-defined]
    with anna.ws.transaction() as s:
        assert s.scalars(select(CaseEvent).where(CaseEvent.case_id == case_id)).all()


def _retitle(ws: Workspace, case_id: str, title: str) -> None:
    with ws.transaction() as s:
        case = s.get(Case, case_id)
        assert case is not None
        case.title = title


def test_a_check_finds_a_server_side_loss_in_a_type_it_does_not_hash_again(
    devices: dict[str, Device], server: BackgroundServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sync_checkpoint, "FULL_CHECK_EVERY", 1_000)
    bo, anna = devices["bo"], devices["anna"]
    case_id = _assigned_case(bo)
    bo.sync()
    anna.sync(verify=True)
    with server.service.engine.begin() as conn:  # the server loses an event of the case
        lost = conn.execute(
            sql(
                "SELECT id FROM records WHERE record_type = 'case_events' "
                "AND scope_case = :case LIMIT 1"
            ),
            {"case": case_id},
        ).scalar_one()
        conn.execute(sql("DELETE FROM records WHERE id = :id"), {"id": lost})
    _retitle(bo.ws, case_id, "Retitled")
    bo.sync()
    report = anna.sync()  # receives the case: checks, hashing only the cases again
    assert report.checked  # type: ignore[attr-defined]
    assert "case_events" in report.divergent  # type: ignore[attr-defined]


def test_every_tenth_check_hashes_every_type_again(
    devices: dict[str, Device], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sync_checkpoint, "FULL_CHECK_EVERY", 2)
    bo, anna = devices["bo"], devices["anna"]
    case_id = _assigned_case(bo)
    bo.sync()
    anna.sync(verify=True)  # check 1 (everything)
    with anna.ws.engine.begin() as conn:  # lose rows behind the app's back
        conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
        conn.exec_driver_sql("DELETE FROM case_events WHERE case_id = ?", (case_id,))
    _retitle(bo.ws, case_id, "Retitled once")
    bo.sync()
    report = anna.sync()  # check 2: only the cases hashed again, the loss is not seen
    assert report.checked and report.divergent == {}  # type: ignore[attr-defined]
    _retitle(bo.ws, case_id, "Retitled twice")
    bo.sync()
    report = anna.sync()  # check 3: everything hashed, found and repaired
    assert report.repaired and report.divergent == {}  # type: ignore[attr-defined]
    with anna.ws.transaction() as s:
        assert s.scalars(select(CaseEvent).where(CaseEvent.case_id == case_id)).all()


def test_a_proxy_in_the_environment_does_not_capture_loopback(
    server: BackgroundServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # a company laptop's proxy setting; nothing listens there
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "all_proxy"):
        monkeypatch.setenv(name, "http://127.0.0.1:9")
    for name in ("NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    device = Device(tmp_path / "behind-proxy", server.url, "bo")  # enrols through loopback
    try:
        with device.ws.transaction() as s:
            s.add(Customer(name="Behind a proxy"))
        report = device.sync()
    finally:
        device.close()
    assert report.pushed == 1 and report.applied == 1  # type: ignore[attr-defined]
    assert is_loopback("http://localhost:8765") and is_loopback("http://[::1]:80")
    assert is_loopback("https://127.0.0.2") and not is_loopback("https://cases.example.com")
