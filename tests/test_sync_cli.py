"""``fieldsupport connect`` / ``fieldsupport sync`` and ``fieldsupport-central`` user and
device commands, against a real server on loopback."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from fieldsupport.central import cli as central_cli
from fieldsupport.central.server import BackgroundServer
from fieldsupport.cli import main
from fieldsupport.services.cases import CaseService
from fieldsupport.sync.tokens import token_file
from fieldsupport.workspace import Workspace
from tests import sync_helpers
from tests.builders import make_refs, open_case
from tests.sync_helpers import PASSWORD

# the shared fixtures, under their names
central = sync_helpers.central
server = sync_helpers.server

pytestmark = pytest.mark.usefixtures("central")


def test_connect_then_sync_from_the_command_line(
    server: BackgroundServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    ws_path = tmp_path / "ws"
    with Workspace.open(ws_path) as ws:
        open_case(CaseService(ws), make_refs(ws))
        device_id = ws.device_id
    monkeypatch.setenv("FIELDSUPPORT_PASSWORD", PASSWORD)
    args = ["connect", "--workspace", str(ws_path), "--server", server.url, "--user", "bo"]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "Connected" in out and "readable only by you" in out  # no keyring in tests
    path = token_file(device_id)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert main(["sync", "--workspace", str(ws_path), "--verify"]) == 0
    assert "Synced: 8 sent" in capsys.readouterr().out
    assert main(["sync", "--workspace", str(ws_path)]) == 0
    assert "Synced: 0 sent, 0 received" in capsys.readouterr().out


def test_sync_failures_exit_non_zero_with_the_reason(
    server: BackgroundServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    ws_path = tmp_path / "ws"
    assert main(["sync", "--workspace", str(ws_path)]) == 1
    assert "not connected to a central server" in capsys.readouterr().err
    monkeypatch.setenv("FIELDSUPPORT_PASSWORD", "wrong password")
    args = ["connect", "--workspace", str(ws_path), "--server", server.url, "--user", "bo"]
    assert main(args) == 1
    assert "Wrong user name or password" in capsys.readouterr().err
    monkeypatch.setenv("FIELDSUPPORT_PASSWORD", PASSWORD)
    assert main(args) == 0
    with Workspace.open(ws_path) as ws:
        make_refs(ws)
        device_id = ws.device_id
    server.service.accounts.revoke(device_id)
    assert main(["sync", "--workspace", str(ws_path)]) == 1
    assert "revoked" in capsys.readouterr().err
    with Workspace.open(ws_path) as ws:  # nothing was lost
        from fieldsupport.sync.session import status

        assert status(ws).pending == 5 and "revoked" in (status(ws).last_error or "")


def test_central_user_and_device_commands(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    db = f"sqlite:///{tmp_path / 'c.db'}"
    monkeypatch.setenv("FIELDSUPPORT_PASSWORD", PASSWORD)
    assert central_cli.main(["--db", db, "user", "add", "eva", "--role", "advisor"]) == 0
    assert central_cli.main(["--db", db, "user", "add", "eva"]) == 1
    assert "already a user" in capsys.readouterr().err
    assert central_cli.main(["--db", db, "user", "disable", "eva"]) == 0
    assert central_cli.main(["--db", db, "user", "list"]) == 0
    listing = capsys.readouterr().out
    assert "eva" in listing and "advisor" in listing and "disabled" in listing
    assert central_cli.main(["--db", db, "device", "revoke", "nope"]) == 1
    assert "no active device" in capsys.readouterr().err
    monkeypatch.setenv("FIELDSUPPORT_PASSWORD", "short")
    assert central_cli.main(["--db", db, "user", "add", "tom"]) == 1
    assert "at least 8" in capsys.readouterr().err
    assert central_cli.main(["--db", "not-a-url", "user", "list"]) == 1
    assert "Cannot open the database not-a-url" in capsys.readouterr().err
