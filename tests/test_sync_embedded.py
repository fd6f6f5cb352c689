"""The embedded demo server: seeded from the demo workspace, connected to it, in sync from
the first run, and a second device can work against it."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from fieldsupport.central.embedded import (
    DEMO_PASSWORD,
    EMBEDDED_KEY,
    EmbeddedServer,
    central_folder,
    prepare,
)
from fieldsupport.central.seeding import describe
from fieldsupport.central.server import open_service
from fieldsupport.demo.generator import create_demo
from fieldsupport.models import Case
from fieldsupport.services.cases import CaseService
from fieldsupport.sync import wire
from fieldsupport.sync.apply import get_state, local_write
from fieldsupport.sync.client import CURSOR_KEY, local_checkpoint
from fieldsupport.sync.session import connect, run_sync, status
from fieldsupport.workspace import Workspace
from tests.sync_helpers import outbox


@pytest.fixture
def demo(tmp_path: Path) -> Workspace:
    ws = Workspace.open(tmp_path / "demo-workspace")
    create_demo(ws, cases=40, seed=11)
    return ws


def test_seeded_server_holds_exactly_the_workspace(demo: Workspace) -> None:
    try:
        assert prepare(demo) is True
        assert prepare(demo) is False  # once
        service = open_service(
            f"sqlite:///{central_folder(demo.root) / 'central.db'}",
            central_folder(demo.root) / "blobs",
        )
        try:
            counts = describe(service)
            users = {u["username"]: u for u in service.accounts.list_users()}
            blob_files = [
                p for p in (central_folder(demo.root) / "blobs").rglob("*") if p.is_file()
            ]
        finally:
            service.engine.dispose()
        with demo.engine.connect() as conn:
            local = {
                name: conn.exec_driver_sql(f'SELECT count(*) FROM "{name}"').scalar_one()
                for name in wire.record_types()
            }
        assert counts == {name: n for name, n in local.items() if n}  # tombstones too
        assert local_checkpoint(demo)["cases"]["count"] == 40
        assert counts["cases"] == 40
        assert {"anna.kowalska", "maria.santos", "admin"} <= set(users)
        assert users["maria.santos"]["role"] == "back_office"
        assert len(blob_files) >= 1  # the demo's photos and signatures
    finally:
        demo.close()


def test_a_start_killed_half_way_through_seeding_is_finished_by_the_next(
    demo: Workspace,
) -> None:
    try:
        # what a start killed after the accounts but before the seeding's commit leaves
        service = open_service(
            f"sqlite:///{central_folder(demo.root) / 'central.db'}",
            central_folder(demo.root) / "blobs",
        )
        try:
            service.accounts.add_user("admin", DEMO_PASSWORD, "admin")
        finally:
            service.engine.dispose()
        assert prepare(demo) is True  # seeded now, not taken for done
        with demo.engine.connect() as conn:
            cursor = get_state(conn, CURSOR_KEY)
        service = open_service(
            f"sqlite:///{central_folder(demo.root) / 'central.db'}",
            central_folder(demo.root) / "blobs",
        )
        try:
            counts = describe(service)
        finally:
            service.engine.dispose()
        assert counts["cases"] == 40
        assert cursor == sum(counts.values())  # the whole seeded sequence
        # what a start killed after the server's commit but before the workspace's note leaves
        with local_write(demo.engine) as conn:
            conn.exec_driver_sql(
                "DELETE FROM settings WHERE key IN (?, ?)", (CURSOR_KEY, EMBEDDED_KEY)
            )
        assert prepare(demo) is False  # not seeded twice ...
        with demo.engine.connect() as conn:  # ... and the note is made
            assert get_state(conn, CURSOR_KEY) == cursor
            assert get_state(conn, EMBEDDED_KEY) is True
    finally:
        demo.close()


def test_demo_workspace_is_in_sync_from_the_first_run(demo: Workspace, tmp_path: Path) -> None:
    embedded = EmbeddedServer(demo)
    second = None
    try:
        url = embedded.start()
        assert status(demo).connected_to == url and status(demo).username == "admin"
        pending = len([o for o in outbox(demo) if o["state"] == "pending"])
        report = run_sync(demo, verify=True)
        assert report.divergent == {} and report.checked
        assert report.rejected == 0 and report.pushed == pending
        assert status(demo).pending == 0 and status(demo).last_error is None
        # a second device: an engineer's workspace, connected with the demo password
        second = Workspace.open(tmp_path / "laptop")
        connect(second, url, "anna.kowalska", DEMO_PASSWORD)
        assert run_sync(second, verify=True).divergent == {}
        with second.transaction() as s:
            case = s.query(Case).filter(Case.assignee_id == _anna(demo)).first()
            assert case is not None
            case_id = case.id
        CaseService(second).update_description(case_id, "edited on the laptop")
        run_sync(second)
        run_sync(demo)
        with demo.transaction() as s:
            assert s.get(Case, case_id).description == "edited on the laptop"  # type: ignore[union-attr]
        # a restart keeps the address (and so the stored token) where the port is free
        embedded.stop()
        assert EmbeddedServer(demo).folder == central_folder(demo.root)
        again = EmbeddedServer(demo)
        try:
            assert again.start() == url
            assert run_sync(demo).pulled == 0
        finally:
            again.stop()
        stored = json.loads((central_folder(demo.root) / "port.json").read_text())
        assert url.endswith(f":{stored['port']}")
    finally:
        embedded.stop()
        if second is not None:
            second.close()
        demo.close()


def _anna(ws: Workspace) -> str:
    value = ws.get_setting("current_user_id")
    assert isinstance(value, str)
    return value


CHILD = """
import sys
from fieldsupport.central.embedded import EmbeddedServer
from fieldsupport.workspace import Workspace

if __name__ == "__main__":
    workspace = Workspace.open(sys.argv[1])
    server = EmbeddedServer(workspace)  # held: dropping it closes the pipe, which stops it
    print(server.start(), flush=True)
    sys.stdin.read()  # until killed
"""


def test_the_server_process_ends_when_the_app_is_killed(demo: Workspace, tmp_path: Path) -> None:
    root = demo.root
    demo.close()  # the child opens it (one writer at a time)
    script = tmp_path / "app.py"
    script.write_text(CHILD, encoding="utf-8")
    app = subprocess.Popen(
        [sys.executable, str(script), str(root)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parent.parent,
    )
    try:
        assert app.stdout is not None
        url = app.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:")
        assert httpx.get(f"{url}/v1/meta", timeout=5).status_code == 200
        os.kill(app.pid, signal.SIGKILL)
        app.wait(10)
        port = int(url.rsplit(":", 1)[1])
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and _accepts(port):
            pass  # each probe waits up to 0.2 s for the connection
        assert not _accepts(port), "the embedded server outlived its app"
    finally:
        if app.poll() is None:
            app.kill()
            app.wait(10)


def _accepts(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2):
            time.sleep(0.05)  # not a wait for the result: just slows the probe loop down
            return True
    except OSError:
        return False
