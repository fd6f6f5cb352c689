"""A gate on an engine's connection checkouts, so the workspace can put another database
file in place while the app runs (a first sync installing a snapshot, ``sync.snapshot``).

Shutting the gate waits until every connection handed out has come back; the caller then
closes the pool's idle ones, and no connection of this process has the file open. While it
is shut, a thread asking for a connection waits before one is opened; one the pool would
hand out from before is closed instead and opened anew once the gate is open. Every
connection remembers the gate's generation it was opened in, and each shutting starts a new
one, so nothing opened on the old file is ever used after it. The engine's own events do
all this: nothing that uses the engine has to remember to.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator
from typing import Any

from sqlalchemy import Engine, event
from sqlalchemy.exc import DisconnectionError

from fieldsupport.errors import WorkspaceError

_GENERATION = "fieldsupport.gate_generation"


class GateBusy(WorkspaceError):
    """Connections stayed out longer than the caller would wait; nothing was changed."""


class ConnectionGate:
    def __init__(self, engine: Engine) -> None:
        self._cond = threading.Condition()
        self._out = 0
        self._shut_by: int | None = None  # the thread that shut the gate
        self._generation = 0
        event.listen(engine, "do_connect", self._before_connect)
        event.listen(engine, "connect", self._connect)
        event.listen(engine, "checkout", self._checkout)
        event.listen(engine, "checkin", self._checkin)

    @property
    def checked_out(self) -> int:
        with self._cond:
            return self._out

    def _shut_for_me(self) -> bool:
        return self._shut_by is not None and self._shut_by != threading.get_ident()

    def _before_connect(self, *_args: Any) -> None:
        with self._cond:
            while self._shut_for_me():
                self._cond.wait()

    def _connect(self, _dbapi: Any, record: Any) -> None:
        with self._cond:
            record.info[_GENERATION] = self._generation

    def _checkout(self, _dbapi: Any, record: Any, _proxy: Any) -> None:
        with self._cond:
            if self._shut_for_me() or record.info.get(_GENERATION) != self._generation:
                # shut, or opened before the file was replaced: the pool closes this one
                # and opens another (which waits in _before_connect while shut)
                raise DisconnectionError("the workspace database file is being replaced")
            self._out += 1

    def _checkin(self, *_args: Any) -> None:
        with self._cond:
            self._out = max(0, self._out - 1)
            self._cond.notify_all()

    @contextlib.contextmanager
    def shut(self, timeout: float) -> Iterator[None]:
        """No connection out while the block runs; :class:`GateBusy` if the connections
        handed out are not all back within ``timeout`` seconds (the gate opens again)."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while self._shut_by is not None:  # another thread holds it: wait our turn
                if not self._cond.wait(max(0.0, deadline - time.monotonic())):
                    raise GateBusy("The database is busy; try again in a moment.")
            self._shut_by = threading.get_ident()
            while self._out:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    self._shut_by = None
                    self._cond.notify_all()
                    raise GateBusy(
                        f"{self._out} database connection(s) stayed in use; try again later."
                    )
                self._cond.wait(remaining)
        try:
            yield
        finally:
            with self._cond:
                self._generation += 1
                self._shut_by = None
                self._cond.notify_all()
