"""Connecting a workspace to a central server and running one sync: what the CLI and the
app call. The server address and account live in the workspace settings, the token in the
keyring (``sync.tokens``)."""

from __future__ import annotations

import platform
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from fieldsupport.errors import FieldSupportError
from fieldsupport.models.base import utcnow
from fieldsupport.models.sync import OutboxState
from fieldsupport.sync.apply import get_state, local_write, set_state
from fieldsupport.sync.client import SyncClient, SyncReport
from fieldsupport.sync.tokens import TokenPlace, load_token, store_token
from fieldsupport.sync.transport import HttpTransport, SyncError, Transport, check
from fieldsupport.tasks import Cancelled, TaskState
from fieldsupport.workspace import Workspace

SERVER_KEY = "sync.server"
LAST_SUCCESS_KEY = "sync.last_success"
LAST_ERROR_KEY = "sync.last_error"


@dataclass(frozen=True)
class Enrolment:
    url: str
    username: str
    role: str
    place: TokenPlace


@dataclass(frozen=True)
class SyncStatus:
    connected_to: str | None
    username: str | None
    pending: int
    rejected: int
    open_conflicts: int
    last_success: datetime | None
    last_error: str | None
    role: str | None = None  # the account's role as the server gave it at connection


def connect(
    workspace: Workspace,
    url: str,
    username: str,
    password: str,
    *,
    transport: Transport | None = None,
) -> Enrolment:
    """Enrol this device with user name and password; store the token it receives."""
    url = url.strip().rstrip("/")
    if not url.startswith(("http://", "https://")):
        raise FieldSupportError(f"{url!r} is not a server address like https://central:8443.")
    own = transport is None
    transport = transport or HttpTransport(url)
    try:
        body = check(
            transport.request(
                "POST",
                "/v1/devices",
                json_body={
                    "username": username,
                    "password": password,
                    "device_id": workspace.device_id,
                    "device_name": f"{platform.node() or 'device'} ({workspace.device_code})",
                },
            ),
            "connection request",
        )
    finally:
        if own:
            transport.close()
    token = body.get("token")
    account = body.get("account")
    if not isinstance(account, dict):
        account = {}
    if not isinstance(token, str):
        raise SyncError("The server did not send a device token; nothing was changed.")
    place = store_token(url, workspace.device_id, token)
    with local_write(workspace.engine) as conn:
        set_state(
            conn,
            SERVER_KEY,
            {
                "url": url,
                "username": account.get("username", username),
                "role": account.get("role"),
            },
        )
        set_state(conn, LAST_ERROR_KEY, None)
    return Enrolment(url, str(account.get("username", username)), str(account.get("role")), place)


def server_of(workspace: Workspace) -> dict[str, Any] | None:
    with workspace.engine.connect() as conn:
        server = get_state(conn, SERVER_KEY)
    return server if isinstance(server, dict) else None


def open_transport(workspace: Workspace) -> HttpTransport:
    server = server_of(workspace)
    if server is None:
        raise SyncError(
            "This workspace is not connected to a central server; connect it first "
            "(fieldsupport connect --server URL --user NAME)."
        )
    token = load_token(server["url"], workspace.device_id)
    if token is None:
        raise SyncError(
            f"No device token for {server['url']} was found on this computer; connect again."
        )
    return HttpTransport(server["url"], token)


def probe_server(workspace: Workspace) -> bool:
    """Whether the connected server answers at all (``GET /v1/meta``: no token, no data)."""
    server = server_of(workspace)
    if server is None:
        return False
    transport = HttpTransport(server["url"])
    try:
        return transport.request("GET", "/v1/meta").status == 200
    except SyncError:
        return False
    finally:
        transport.close()


def run_sync(
    workspace: Workspace,
    task: TaskState | None = None,
    *,
    transport: Transport | None = None,
    verify: bool = False,
) -> SyncReport:
    """One sync; its outcome (success time or error reason) is kept for the status bar."""
    own = transport is None
    try:
        transport = transport or open_transport(workspace)
        try:
            report = SyncClient(workspace, transport, task=task).run(verify=verify)
        finally:
            if own:
                transport.close()
    except Cancelled:
        raise
    except FieldSupportError as exc:
        _remember(workspace, error=str(exc))
        raise
    _remember(workspace, error=None, success=utcnow())
    return report


def _remember(workspace: Workspace, *, error: str | None, success: datetime | None = None) -> None:
    with local_write(workspace.engine) as conn:
        set_state(conn, LAST_ERROR_KEY, error)
        if success is not None:
            set_state(conn, LAST_SUCCESS_KEY, success.isoformat())


def status(workspace: Workspace) -> SyncStatus:
    with workspace.engine.connect() as conn:
        counts = dict(
            conn.exec_driver_sql(
                "SELECT state, count(*) FROM sync_outbox WHERE state IN (?, ?) GROUP BY state",
                (OutboxState.PENDING, OutboxState.REJECTED),
            ).all()
        )
        conflicts = conn.exec_driver_sql(
            "SELECT count(*) FROM sync_conflicts WHERE status = 'open' AND local_resolution IS NULL"
        ).scalar_one()
        server = get_state(conn, SERVER_KEY)
        success = get_state(conn, LAST_SUCCESS_KEY)
        error = get_state(conn, LAST_ERROR_KEY)
    return SyncStatus(
        connected_to=server.get("url") if isinstance(server, dict) else None,
        username=server.get("username") if isinstance(server, dict) else None,
        pending=int(counts.get(OutboxState.PENDING, 0)),
        rejected=int(counts.get(OutboxState.REJECTED, 0)),
        open_conflicts=int(conflicts),
        last_success=datetime.fromisoformat(success) if success else None,
        last_error=error,
        role=server.get("role") if isinstance(server, dict) else None,
    )
