"""Errors a person can read.

Every error raised on purpose by FieldSupport derives from :class:`FieldSupportError` and
carries a message written for the user of the app or the CLI, not for a developer.
"""

from __future__ import annotations


class FieldSupportError(Exception):
    """Base class: the message is shown to the user as it is."""


class ValidationError(FieldSupportError):
    """Input that breaks a rule of the domain (bad value, missing field, too long...)."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class NotFoundError(FieldSupportError):
    """A record the caller asked for does not exist (or is deleted)."""


class TransitionError(FieldSupportError):
    """A workflow action that the case state machine does not allow."""


class ConflictError(FieldSupportError):
    """An edit made against a version of a record that has changed since it was read."""


class WorkspaceError(FieldSupportError):
    """The workspace folder or its database cannot be used."""


class WorkspaceLockedError(WorkspaceError):
    """Another process already has the workspace open for writing."""


class StorageFullError(WorkspaceError):
    """The disk (or the database's size limit) is full; nothing was written."""
