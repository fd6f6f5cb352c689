"""The embedded central server of the demo: a real server (SQLite, loopback) seeded from the
demo workspace, so that sync works out of the box with `fieldsupport --demo`.

Its data lives beside the demo workspace in ``<workspace>-central/``. The demo workspace
holds every case of the demo company, so it connects with the ``admin`` account (which sees
everything, like a back-office desk); an engineer's own workspace holds only their team's
cases. Every demo user has an account with the password :data:`DEMO_PASSWORD`, so a second
workspace can connect as an engineer and see sync between two devices.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

from sqlalchemy import func, select

from fieldsupport.central import storage as t
from fieldsupport.central.seeding import seed_from_workspace
from fieldsupport.central.server import BackgroundServer, free_port, open_service
from fieldsupport.central.service import CentralService
from fieldsupport.models import User
from fieldsupport.sync.apply import local_write, set_state
from fieldsupport.sync.client import CURSOR_KEY
from fieldsupport.sync.session import connect, server_of
from fieldsupport.sync.tokens import load_token
from fieldsupport.workspace import Workspace

log = logging.getLogger(__name__)

DEMO_PASSWORD = "fieldsupport-demo"
DEMO_ACCOUNT = "admin"
EMBEDDED_KEY = "sync.embedded"
HOST = "127.0.0.1"


def central_folder(workspace_root: Path) -> Path:
    return workspace_root.with_name(f"{workspace_root.name}-central")


def _open(folder: Path) -> CentralService:
    return open_service(f"sqlite:///{folder / 'central.db'}", folder / "blobs")


def prepare(workspace: Workspace) -> bool:
    """Create and seed the embedded server's data once; True when it was created now."""
    folder = central_folder(workspace.root)
    service = _open(folder)
    try:
        with service.reading() as conn:
            if conn.execute(select(func.count()).select_from(t.accounts)).scalar_one():
                return False
        with workspace.transaction() as session:
            users = [(u.username, u.role.value, u.team) for u in session.query(User).all()]
        if DEMO_ACCOUNT not in {name for name, _role, _team in users}:
            users.append((DEMO_ACCOUNT, "admin", None))
        for username, role, team in users:
            service.accounts.add_user(username, DEMO_PASSWORD, role, team=team)
        seeded = seed_from_workspace(service, workspace)
        with local_write(workspace.engine) as conn:
            # the workspace holds everything the server was seeded with, up to this cursor
            set_state(conn, CURSOR_KEY, seeded)
            set_state(conn, EMBEDDED_KEY, True)
        log.info("embedded central server seeded with %d records in %s", seeded, folder)
        return True
    finally:
        service.engine.dispose()


def _port_file(folder: Path) -> Path:
    return folder / "port.json"


def _preferred_port(folder: Path) -> int:
    """The port of the last run, so the stored server address and token stay valid."""
    try:
        port = int(json.loads(_port_file(folder).read_text(encoding="utf-8"))["port"])
    except (OSError, ValueError, KeyError, TypeError):
        return free_port(HOST)
    try:
        import socket

        with socket.socket() as probe:
            probe.bind((HOST, port))
    except OSError:
        return free_port(HOST)
    return port


class EmbeddedServer:
    """Start with :meth:`start` (blocking a fraction of a second: call it off the GUI
    thread), stop with :meth:`stop`."""

    def __init__(self, workspace: Workspace) -> None:
        self.workspace = workspace
        self.folder = central_folder(workspace.root)
        self._running: BackgroundServer | None = None
        self._service: CentralService | None = None

    @property
    def url(self) -> str | None:
        return self._running.url if self._running else None

    def start(self) -> str:
        prepare(self.workspace)
        self._service = _open(self.folder)
        self._running = BackgroundServer(self._service, HOST, _preferred_port(self.folder)).start()
        _port_file(self.folder).write_text(
            json.dumps({"port": self._running.port}), encoding="utf-8"
        )
        url = self._running.url
        server = server_of(self.workspace)
        if (
            server is None
            or server.get("url") != url
            or load_token(url, self.workspace.device_id) is None
        ):
            connect(self.workspace, url, DEMO_ACCOUNT, DEMO_PASSWORD)
        return url

    def stop(self) -> None:
        if self._running is not None:
            self._running.stop()
            self._running = None
        if self._service is not None:
            self._service.engine.dispose()
            self._service = None
