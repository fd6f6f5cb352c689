"""Long jobs as plain functions that take a :class:`TaskState`.

The job reports progress and checks for cancellation through it; the caller decides how that
is shown (a Qt progress dialog in the app, a line on stderr in the CLI, nothing in tests).
The same function therefore runs and is tested without Qt (cf. Orange3's TaskState).
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from fieldsupport.errors import FieldSupportError

ProgressCallback = Callable[[float, str], None]


class Cancelled(FieldSupportError):
    """The user cancelled the job; whatever it was writing was rolled back."""

    def __init__(self, message: str = "Cancelled; nothing was changed.") -> None:
        super().__init__(message)


class TaskState:
    """Thread-safe progress and cancellation for one job."""

    def __init__(self, on_progress: ProgressCallback | None = None) -> None:
        self._on_progress = on_progress
        self._cancel = threading.Event()
        self.fraction = 0.0
        self.message = ""

    def cancel(self) -> None:
        self._cancel.set()

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    def check(self) -> None:
        """Raise :class:`Cancelled` if cancellation was requested."""
        if self._cancel.is_set():
            raise Cancelled()

    def progress(self, fraction: float, message: str = "") -> None:
        """Report progress in [0, 1] and check for cancellation."""
        self.fraction = min(max(fraction, 0.0), 1.0)
        if message:
            self.message = message
        if self._on_progress is not None:
            self._on_progress(self.fraction, self.message)
        self.check()
