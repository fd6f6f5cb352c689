"""Background operations for the GUI (cf. Anki's ``aqt/operations`` and ``progress.py``).

A job is a plain function taking a :class:`~fieldsupport.tasks.TaskState`; it runs on a
thread pool, reports progress through the task state, and its result or error comes back on
the GUI thread through ``on_success`` / ``on_failure``. A progress dialog appears only when
the job takes longer than :data:`PROGRESS_DELAY_MS`, so quick jobs never flash a dialog.

Nothing is let go of on the worker: a QObject whose last reference a worker dropped would be
destroyed there (wrong in Qt, and it can deadlock with the GUI thread, see
``fieldsupport/ui/gc_guard.py``). So the Operation, on the GUI thread, keeps the job (and
whatever its closure holds, often a widget) until the job has ended, and the job's result or
error travels in a :class:`_Handover` that the GUI thread empties.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, Qt, QThreadPool, QTimer, Signal, Slot
from PySide6.QtWidgets import QProgressDialog, QWidget

from fieldsupport.tasks import Cancelled, TaskState

log = logging.getLogger(__name__)

PROGRESS_DELAY_MS = 600

Job = Callable[[TaskState], Any]


class _Relay(QObject):
    """Lives on the GUI thread; queued signals carry results back from the worker."""

    succeeded = Signal(object)
    failed = Signal(object)
    progressed = Signal(float, str)


class _Handover:
    """A job's result or error on its way to the GUI thread, which takes it out: whichever
    thread lets go of the holder last, what it held is let go of on the GUI thread."""

    __slots__ = ("_value",)

    def __init__(self, value: object) -> None:
        self._value = value

    def take(self) -> Any:
        value, self._value = self._value, None
        return value


class _Runner(QRunnable):
    def __init__(self, job: Job, task: TaskState, relay: _Relay) -> None:
        super().__init__()
        self._job: Job | None = job
        self._task = task
        self._relay = relay

    def run(self) -> None:
        job, self._job = self._job, None
        assert job is not None  # a runnable runs once
        relay = self._relay
        try:
            handover, signal = _Handover(job(self._task)), relay.succeeded
        except BaseException as exc:  # delivered to on_failure on the GUI thread
            log.debug("background job failed", exc_info=exc)
            handover, signal = _Handover(exc), relay.failed
        # the Operation holds the job until it has ended; once the GUI thread may have
        # ended it (after the emit), this thread must hold no reference of its own
        del job
        signal.emit(handover)


class Operation(QObject):
    """One running background job. Keep a reference until ``finished`` fires."""

    finished = Signal()

    def __init__(
        self,
        job: Job,
        *,
        parent: QWidget | None = None,
        on_success: Callable[[Any], None] | None = None,
        on_failure: Callable[[BaseException], None] | None = None,
        label: str | None = None,
        cancellable: bool = False,
        pool: QThreadPool | None = None,
    ) -> None:
        super().__init__(parent)
        self._parent_widget = parent
        self._on_success = on_success
        self._on_failure = on_failure
        self._label = label
        self._cancellable = cancellable
        self._dialog: QProgressDialog | None = None
        self.done = False
        self._job: Job | None = job  # let go of on this (the GUI) thread, in _finish
        self._relay = _Relay(self)
        self.task = TaskState(lambda f, m: self._relay.progressed.emit(f, m))
        self._relay.succeeded.connect(self._succeeded)
        self._relay.failed.connect(self._failed)
        self._relay.progressed.connect(self._progressed)
        if label is not None:
            QTimer.singleShot(PROGRESS_DELAY_MS, self._show_dialog)
        (pool or QThreadPool.globalInstance()).start(_Runner(job, self.task, self._relay))

    def cancel(self) -> None:
        self.task.cancel()

    @Slot()
    def _show_dialog(self) -> None:
        if self.done or self._label is None:
            return
        dialog = QProgressDialog(self._label, "", 0, 1000, self._parent_widget)
        dialog.setWindowModality(Qt.WindowModality.WindowModal)
        dialog.setAccessibleName(self._label)
        dialog.setMinimumDuration(0)
        if self._cancellable:
            dialog.setCancelButtonText(self.tr("Cancel"))
            dialog.canceled.connect(self.cancel)
        else:
            dialog.setCancelButton(None)
        dialog.setValue(int(self.task.fraction * 1000))
        dialog.show()
        self._dialog = dialog

    @Slot(float, str)
    def _progressed(self, fraction: float, message: str) -> None:
        dialog = self._dialog
        if dialog is not None:
            if message:
                dialog.setLabelText(f"{self._label}\n{message}")
            # last: a modal progress dialog processes events in setValue, where the job may
            # finish and close the dialog
            dialog.setValue(int(fraction * 1000))

    def _finish(self) -> None:
        self.done = True
        self._job = None
        if self._dialog is not None:
            self._dialog.close()
            self._dialog.deleteLater()
            self._dialog = None
        self.finished.emit()

    @Slot(object)
    def _succeeded(self, handover: _Handover) -> None:
        result = handover.take()
        self._finish()
        if self._on_success is not None:
            self._on_success(result)

    @Slot(object)
    def _failed(self, handover: _Handover) -> None:
        error: BaseException = handover.take()
        self._finish()
        if isinstance(error, Cancelled):
            return
        if self._on_failure is not None:
            self._on_failure(error)
        else:
            log.error("background job failed: %s", error, exc_info=error)
