"""Shared set-up for sync and central-server tests: a real central server (SQLite file, and
PostgreSQL when one is reachable, in a schema of its own), real workspaces, real HTTP."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from fieldsupport.central.server import BackgroundServer, open_service
from fieldsupport.central.service import CentralService, Limits
from fieldsupport.sync.client import SyncClient, SyncReport
from fieldsupport.sync.transport import HttpTransport, check
from fieldsupport.workspace import Workspace

PG_URL = os.environ.get("FIELDSUPPORT_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
PASSWORD = "correct horse"


def postgres_reachable() -> bool:
    try:
        import psycopg

        with psycopg.connect(
            PG_URL.replace("postgresql://", "postgresql://", 1), connect_timeout=2
        ):
            return True
    except Exception:
        return False


_PG = postgres_reachable()
BACKENDS = [
    "sqlite",
    pytest.param(
        "postgresql",
        marks=pytest.mark.skipif(not _PG, reason=f"PostgreSQL not reachable at {PG_URL}"),
    ),
]


def make_service(
    backend: str, tmp_path: Path, limits: Limits | None = None
) -> tuple[CentralService, str | None]:
    if backend == "sqlite":
        return open_service(
            f"sqlite:///{tmp_path / 'central.db'}", tmp_path / "blobs", limits=limits
        ), None
    schema = f"fs_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    return open_service(PG_URL, tmp_path / "blobs", schema=schema, limits=limits), schema


def drop_service(service: CentralService, schema: str | None) -> None:
    if schema is not None:
        with service.engine.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    service.engine.dispose()


@pytest.fixture(params=BACKENDS)
def central(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[CentralService]:
    service, schema = make_service(request.param, tmp_path)
    service.accounts.add_user("anna", PASSWORD, "engineer", team="north")
    service.accounts.add_user("nils", PASSWORD, "engineer", team="north")
    service.accounts.add_user("bert", PASSWORD, "engineer", team="south")
    service.accounts.add_user("bo", PASSWORD, "back_office")
    try:
        yield service
    finally:
        drop_service(service, schema)


@pytest.fixture
def server(central: CentralService) -> Iterator[BackgroundServer]:
    with BackgroundServer(central) as running:
        yield running


def enrol(url: str, workspace: Workspace, username: str) -> HttpTransport:
    """A transport with a fresh device token for ``workspace`` as ``username``."""
    plain = HttpTransport(url)
    try:
        body = check(
            plain.request(
                "POST",
                "/v1/devices",
                json_body={
                    "username": username,
                    "password": PASSWORD,
                    "device_id": workspace.device_id,
                    "device_name": f"test {username}",
                },
            ),
            "enrolment",
        )
    finally:
        plain.close()
    return HttpTransport(url, body["token"])


def outbox(workspace: Workspace) -> list[dict[str, Any]]:
    with workspace.engine.connect() as conn:
        result = conn.exec_driver_sql("SELECT * FROM sync_outbox ORDER BY seq")
        keys = list(result.keys())
        return [dict(zip(keys, row, strict=True)) for row in result.all()]


class SyncDevice:
    """A real workspace enrolled on a server as ``username``, syncing over HTTP."""

    def __init__(self, root: Path, url: str, username: str, **sync_options: Any) -> None:
        self.name = username
        self.ws = Workspace.open(root)
        self.transport = enrol(url, self.ws, username)
        self.sync_options = sync_options

    def sync(self, **kw: bool) -> SyncReport:
        return SyncClient(self.ws, self.transport, **self.sync_options).run(**kw)

    def close(self) -> None:
        self.transport.close()
        self.ws.close()
