"""Running the central server: building it from a database URL and a blobs folder, and
serving it with uvicorn in the foreground or (embedded, tests) on a background thread."""

from __future__ import annotations

import socket
import threading
from pathlib import Path
from typing import Any

import uvicorn

from fieldsupport.central.app import create_app
from fieldsupport.central.schema import prepare_schema
from fieldsupport.central.service import CentralService, Limits
from fieldsupport.central.snapshots import SnapshotPolicy
from fieldsupport.central.storage import make_engine


def open_service(
    db_url: str,
    blobs: Path,
    *,
    schema: str | None = None,
    limits: Limits | None = None,
    snapshots: SnapshotPolicy | None = None,
) -> CentralService:
    engine = make_engine(db_url, schema=schema)
    try:
        prepare_schema(engine)
    except BaseException:
        engine.dispose()
        raise
    return CentralService(engine, blobs, limits, snapshots)


def _config(app: Any, host: str, port: int, **kw: Any) -> uvicorn.Config:
    return uvicorn.Config(
        app, host=host, port=port, log_level="warning", access_log=False, lifespan="off", **kw
    )


def serve(
    service: CentralService,
    host: str,
    port: int,
    *,
    certfile: str | None = None,
    keyfile: str | None = None,
) -> None:
    """Serve in the foreground until interrupted."""
    config = _config(create_app(service), host, port, ssl_certfile=certfile, ssl_keyfile=keyfile)
    uvicorn.Server(config).run()


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


class BackgroundServer:
    """uvicorn on a thread, on loopback: ``start()`` returns when it accepts connections,
    ``stop()`` when the thread has ended (tests must not leave threads behind)."""

    def __init__(self, service: CentralService, host: str = "127.0.0.1", port: int = 0) -> None:
        self.service = service
        self.host = host
        self.port = port or free_port(host)
        self._server = uvicorn.Server(_config(create_app(service), self.host, self.port))
        # uvicorn would install signal handlers, which only the main thread may do
        self._server.install_signal_handlers = lambda: None  # type: ignore[method-assign]
        self._thread = threading.Thread(
            target=self._server.run, name=f"central-{self.port}", daemon=True
        )

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> BackgroundServer:
        self._thread.start()
        while not self._server.started:
            if not self._thread.is_alive():
                raise RuntimeError(f"the central server could not start on port {self.port}")
            self._thread.join(0.01)
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(10)
        self.service.snapshots.stop()

    def __enter__(self) -> BackgroundServer:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()
