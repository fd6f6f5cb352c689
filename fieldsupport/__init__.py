"""FieldSupport: offline-first field technical-support application."""

from __future__ import annotations

__version__ = "0.1.0"
