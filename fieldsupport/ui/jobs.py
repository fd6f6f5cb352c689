"""A widget's background jobs: start them, keep them alive, know when all are done."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QMessageBox, QWidget

from fieldsupport.ui.operations import Job, Operation

log = logging.getLogger(__name__)


class JobRunner(QObject):
    """Starts :class:`Operation` s for one widget. ``idle`` fires when the last one ends
    (tests wait for it instead of sleeping)."""

    idle = Signal()

    def __init__(self, widget: QWidget) -> None:
        super().__init__(widget)
        self._widget = widget
        self._running: set[Operation] = set()

    @property
    def busy(self) -> bool:
        return bool(self._running)

    def run(
        self,
        job: Job,
        on_success: Callable[[Any], None] | None = None,
        on_failure: Callable[[BaseException], None] | None = None,
        *,
        label: str | None = None,
        cancellable: bool = False,
    ) -> Operation:
        operation = Operation(
            job,
            parent=self._widget,
            on_success=on_success,
            on_failure=on_failure or self.show_error,
            label=label,
            cancellable=cancellable,
        )
        self._running.add(operation)
        operation.finished.connect(lambda: self._finished(operation))
        return operation

    def _finished(self, operation: Operation) -> None:
        self._running.discard(operation)
        if not self._running:
            self.idle.emit()

    def show_error(self, error: BaseException) -> None:
        log.error("operation failed: %s", error, exc_info=error)
        QMessageBox.warning(self._widget, self._widget.tr("FieldSupport"), str(error))
