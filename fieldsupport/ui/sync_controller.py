"""When the app syncs: on "Sync now", on an interval, when the server can be reached again,
and once the embedded demo server is up. Every sync and every status read runs in a worker
(``ui.operations``); the controller only keeps the state and emits signals for the Sync page
and the status bar.
"""

from __future__ import annotations

import logging
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal

from fieldsupport.sync.session import SyncStatus, probe_server, run_sync, status
from fieldsupport.sync.transport import ServerUnavailable
from fieldsupport.tasks import TaskState
from fieldsupport.ui.operations import Operation
from fieldsupport.workspace import Workspace

log = logging.getLogger(__name__)

INTERVAL_KEY = "sync.interval_minutes"
DEFAULT_INTERVAL_MINUTES = 15
STATUS_REFRESH_MS = 5_000
# while the server cannot be reached: ask it (GET /v1/meta, no data) this often
RETRY_MS = 30_000


class SyncController(QObject):
    status_changed = Signal(object)  # SyncStatus
    started = Signal()
    progressed = Signal(float, str)
    finished = Signal(object)  # SyncReport
    failed = Signal(str)

    def __init__(self, workspace: Workspace, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.workspace = workspace
        self.last_status: SyncStatus | None = None
        self.offline = False
        self._sync_op: Operation | None = None
        self._status_op: Operation | None = None
        self._probe_op: Operation | None = None
        self._embedded: Any = None
        self._embedded_op: Operation | None = None
        self.interval = QTimer(self)
        self.interval.timeout.connect(self.sync_now)
        self.status_timer = QTimer(self)
        self.status_timer.setInterval(STATUS_REFRESH_MS)
        self.status_timer.timeout.connect(self.refresh_status)
        self.retry_timer = QTimer(self)
        self.retry_timer.setInterval(RETRY_MS)
        self.retry_timer.timeout.connect(self._probe)
        self._watch_network()

    # -- state ------------------------------------------------------------------------------------
    @property
    def busy(self) -> bool:
        return self._sync_op is not None

    def start(self) -> None:
        """Begin watching: status now and every few seconds, the interval from settings."""
        self.status_timer.start()
        self.refresh_status()
        self.apply_interval()

    def stop(self) -> None:
        for timer in (self.interval, self.status_timer, self.retry_timer):
            timer.stop()
        if self._sync_op is not None:
            self._sync_op.cancel()

    def interval_minutes(self) -> int:
        value = self.workspace.get_setting(INTERVAL_KEY, DEFAULT_INTERVAL_MINUTES)
        return value if isinstance(value, int) and value >= 0 else DEFAULT_INTERVAL_MINUTES

    def set_interval_minutes(self, minutes: int) -> None:
        """0 turns automatic sync off (manual "Sync now" only)."""
        self.workspace.set_setting(INTERVAL_KEY, max(0, int(minutes)))
        self.apply_interval()

    def apply_interval(self) -> None:
        minutes = self.interval_minutes()
        if minutes and self.last_status is not None and self.last_status.connected_to:
            self.interval.start(minutes * 60_000)
        else:
            self.interval.stop()

    def refresh_status(self) -> None:
        if self._status_op is not None:
            return
        self._status_op = Operation(
            lambda _task: status(self.workspace),
            on_success=self._status_read,
            on_failure=lambda exc: self._status_done(None),
        )

    def _status_read(self, value: object) -> None:
        self._status_done(value if isinstance(value, SyncStatus) else None)

    def _status_done(self, value: SyncStatus | None) -> None:
        self._status_op = None
        if value is None:
            return
        connected_before = self.last_status is not None and self.last_status.connected_to
        self.last_status = value
        if bool(value.connected_to) != bool(connected_before):
            self.apply_interval()
        self.status_changed.emit(value)

    # -- syncing ----------------------------------------------------------------------------------
    def sync_now(self) -> Operation | None:
        """Start a sync unless one runs or the workspace is not connected."""
        if self._sync_op is not None:
            return self._sync_op
        if self.last_status is not None and not self.last_status.connected_to:
            return None
        self.started.emit()
        op = Operation(
            lambda task: run_sync(self.workspace, _Relay(task, self.progressed.emit)),
            on_success=self._synced,
            on_failure=self._sync_failed,
        )
        # cancelling: Operation drops the Cancelled error; the status refresh shows the state
        op.finished.connect(self._sync_finished)
        self._sync_op = op
        return op

    def cancel(self) -> None:
        if self._sync_op is not None:
            self._sync_op.cancel()

    def _sync_finished(self) -> None:
        self._sync_op = None
        self.refresh_status()

    def _synced(self, report: object) -> None:
        self.offline = False
        self.retry_timer.stop()
        self.finished.emit(report)

    def _sync_failed(self, error: BaseException) -> None:
        message = str(error) or type(error).__name__
        if isinstance(error, ServerUnavailable):
            # try again as soon as the server answers (cheaply), not only at the next interval
            self.offline = True
            self.retry_timer.start()
        else:
            log.warning("sync failed: %s", message)
        self.failed.emit(message)

    def _probe(self) -> None:
        if self._probe_op is not None or self._sync_op is not None:
            return
        self._probe_op = Operation(
            lambda _task: probe_server(self.workspace),
            on_success=self._probed,
            on_failure=lambda _exc: setattr(self, "_probe_op", None),
        )

    def _probed(self, reachable: object) -> None:
        self._probe_op = None
        if reachable:
            self.retry_timer.stop()
            self.sync_now()

    def _watch_network(self) -> None:
        """Where Qt has a network-information backend, a sync starts when the machine comes
        back online; elsewhere the retry timer does the same within 30 seconds."""
        try:
            from PySide6.QtNetwork import QNetworkInformation
        except ImportError:  # pragma: no cover - QtNetwork ships with PySide6
            return
        if not QNetworkInformation.loadDefaultBackend():
            return
        info = QNetworkInformation.instance()
        if info is not None:
            info.reachabilityChanged.connect(self._reachability_changed)

    def _reachability_changed(self, reachability: Any) -> None:
        from PySide6.QtNetwork import QNetworkInformation

        if reachability == QNetworkInformation.Reachability.Online and self.offline:
            self.sync_now()

    # -- embedded demo server ---------------------------------------------------------------------
    def start_embedded(self, embedded: Any) -> None:
        """Start the embedded demo server off the GUI thread, then sync once."""
        self._embedded = embedded
        self._embedded_op = Operation(
            lambda _task: embedded.start(),
            on_success=self._embedded_started,
            on_failure=self._embedded_failed,
        )

    def _embedded_started(self, _url: object) -> None:
        self._embedded_op = None
        self.refresh_status()
        QTimer.singleShot(0, self._first_sync)

    def _first_sync(self) -> None:
        self.last_status = None  # connected now, whatever the last read said
        self.sync_now()

    def _embedded_failed(self, error: BaseException) -> None:
        self._embedded_op = None
        self.failed.emit(f"The demo's embedded central server could not start: {error}")

    def stop_embedded(self) -> None:
        if self._embedded is not None:
            self._embedded.stop()
            self._embedded = None


class _Relay(TaskState):
    """A worker's task state whose progress also reaches the controller's signal."""

    def __init__(self, outer: TaskState, emit: Any) -> None:
        super().__init__(lambda f, m: (outer.progress(f, m), emit(f, m)))
        self._outer = outer

    @property
    def cancelled(self) -> bool:
        return self._outer.cancelled or super().cancelled

    def check(self) -> None:
        self._outer.check()
        super().check()
