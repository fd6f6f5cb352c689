"""The embedded central server of the demo: a real server (SQLite, loopback) seeded from the
demo workspace, so that sync works out of the box with `fieldsupport --demo`.

Its data lives beside the demo workspace in ``<workspace>-central/``. The demo workspace
holds every case of the demo company, so it connects with the ``admin`` account (which sees
everything, like a back-office desk); an engineer's own workspace holds only their team's
cases. Every demo user has an account with the password :data:`DEMO_PASSWORD`, so a second
workspace can connect as an engineer and see sync between two devices.
"""

from __future__ import annotations

import contextlib
import json
import logging
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from fieldsupport.central import storage as t
from fieldsupport.central.seeding import seed_from_workspace
from fieldsupport.central.server import BackgroundServer, free_port, open_service
from fieldsupport.central.service import CentralService
from fieldsupport.central.snapshots import SnapshotPolicy
from fieldsupport.errors import FieldSupportError
from fieldsupport.models import User
from fieldsupport.sync.apply import get_state, local_write, set_state
from fieldsupport.sync.client import CURSOR_KEY
from fieldsupport.sync.session import connect, server_of
from fieldsupport.sync.tokens import load_token
from fieldsupport.workspace import Workspace

log = logging.getLogger(__name__)

DEMO_PASSWORD = "fieldsupport-demo"
DEMO_ACCOUNT = "admin"
EMBEDDED_KEY = "sync.embedded"
HOST = "127.0.0.1"
START_TIMEOUT_S = 60


def central_folder(workspace_root: Path) -> Path:
    return workspace_root.with_name(f"{workspace_root.name}-central")


def _open(folder: Path) -> CentralService:
    return open_service(f"sqlite:///{folder / 'central.db'}", folder / "blobs")


def prepare(workspace: Workspace) -> bool:
    """Create and seed the embedded server's data once; True when it was seeded now.

    Seeding is one transaction on the server (``seed_from_workspace``), so "the server holds
    records" is the mark of a finished seeding: a start killed while adding the accounts or
    seeding is finished by the next start, and one killed after the server's commit but
    before the workspace noted its cursor gets the note now."""
    folder = central_folder(workspace.root)
    service = _open(folder)
    try:
        with service.reading() as conn:
            seeded = conn.execute(select(func.count()).select_from(t.records)).scalar_one()
            existing = set(conn.execute(select(t.accounts.c.username)).scalars())
        if seeded:
            with workspace.engine.connect() as conn:
                noted = get_state(conn, EMBEDDED_KEY, False)
            if not noted:
                _note_seeded(workspace, seeded)
            return False
        with workspace.transaction() as session:
            users = [(u.username, u.role.value, u.team) for u in session.query(User).all()]
        if DEMO_ACCOUNT not in {name for name, _role, _team in users}:
            users.append((DEMO_ACCOUNT, "admin", None))
        for username, role, team in users:
            if username not in existing:
                service.accounts.add_user(username, DEMO_PASSWORD, role, team=team)
        seeded = seed_from_workspace(service, workspace)
        _note_seeded(workspace, seeded)
        log.info("embedded central server seeded with %d records in %s", seeded, folder)
        return True
    finally:
        service.engine.dispose()


def _note_seeded(workspace: Workspace, cursor: int) -> None:
    with local_write(workspace.engine) as conn:
        # the workspace holds everything the server was seeded with, up to this cursor
        set_state(conn, CURSOR_KEY, cursor)
        set_state(conn, EMBEDDED_KEY, True)


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


def _serve(folder: str, port: int, channel: Any) -> None:
    """The server process: serve until the app says stop or goes away (the pipe closes,
    also when the app is killed), so no server outlives its app. Like a real server it
    prepares snapshots by itself for the devices that connect to it (a second workspace
    connecting as a demo engineer starts from one)."""
    service = open_service(
        f"sqlite:///{Path(folder) / 'central.db'}",
        Path(folder) / "blobs",
        snapshots=SnapshotPolicy(auto=True),
    )
    try:
        running = BackgroundServer(service, HOST, port).start()
    except Exception as exc:  # reported to the app, which shows it
        channel.send(("error", f"{type(exc).__name__}: {exc}"))
        return
    channel.send(("ready", running.url))
    with contextlib.suppress(EOFError, OSError):
        channel.recv()
    running.stop()
    service.engine.dispose()


class EmbeddedServer:
    """The server runs in a process of its own: serving another device's full pull must not
    take the demo window's interpreter (GIL) away from its GUI thread. Start with
    :meth:`start` (a second or so: call it off the GUI thread), stop with :meth:`stop`."""

    def __init__(self, workspace: Workspace) -> None:
        self.workspace = workspace
        self.folder = central_folder(workspace.root)
        self._process: Any = None
        self._channel: Any = None
        self._url: str | None = None

    @property
    def url(self) -> str | None:
        return self._url

    def start(self) -> str:
        import multiprocessing

        prepare(self.workspace)
        port = _preferred_port(self.folder)
        context = multiprocessing.get_context("spawn")
        mine, theirs = context.Pipe()
        process = context.Process(
            target=_serve, args=(str(self.folder), port, theirs), name="central-demo", daemon=True
        )
        process.start()
        theirs.close()
        self._process, self._channel = process, mine
        if not mine.poll(START_TIMEOUT_S):
            self.stop()
            raise FieldSupportError("The embedded central server did not start in time.")
        try:
            state, detail = mine.recv()
        except EOFError:
            self.stop()
            raise FieldSupportError(
                f"The embedded central server stopped at start (exit code {process.exitcode})."
            ) from None
        if state != "ready":
            self.stop()
            raise FieldSupportError(f"The embedded central server could not start: {detail}")
        self._url = str(detail)
        _port_file(self.folder).write_text(json.dumps({"port": port}), encoding="utf-8")
        server = server_of(self.workspace)
        if (
            server is None
            or server.get("url") != self._url
            or load_token(self._url, self.workspace.device_id) is None
        ):
            connect(self.workspace, self._url, DEMO_ACCOUNT, DEMO_PASSWORD)
        return self._url

    def stop(self) -> None:
        if self._channel is not None:
            with contextlib.suppress(OSError, ValueError):
                self._channel.send("stop")
            self._channel.close()
            self._channel = None
        if self._process is not None:
            self._process.join(10)
            if self._process.is_alive():
                self._process.terminate()
                self._process.join(5)
            self._process = None
        self._url = None
