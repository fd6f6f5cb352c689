"""Per-workspace settings and counters. Local to the device: never synced."""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, String
from sqlalchemy.orm import Mapped, mapped_column

from fieldsupport.models.base import SHORT_LEN, Base


class Setting(Base):
    __tablename__ = "settings"

    key: Mapped[str] = mapped_column(String(SHORT_LEN), primary_key=True)
    value: Mapped[Any] = mapped_column(JSON)
