"""Formatting of values in a report: numbers, limits, times, durations, bounded text."""

from __future__ import annotations

import math
from datetime import datetime

SHORTENED = " … [shortened; full text in the report data]"


def fmt_number(value: float) -> str:
    """Up to six significant digits, no trailing zeros, no scientific notation for the
    magnitudes a measurement has."""
    if not math.isfinite(value):
        return str(value)
    if value == int(value) and abs(value) < 1e12:
        return str(int(value))
    text = f"{value:.6g}"
    if "e" in text:
        text = f"{value:.6f}".rstrip("0").rstrip(".")
    return text


def limits_text(low: float | None, high: float | None, unit: str) -> str:
    if low is None and high is None:
        return "—"
    if low is not None and high is not None:
        return f"{fmt_number(low)} – {fmt_number(high)} {unit}".strip()
    if low is not None:
        return f"≥ {fmt_number(low)} {unit}".strip()
    return f"≤ {fmt_number(high)} {unit}".strip()  # type: ignore[arg-type]


def fmt_time(when: datetime | None) -> str:
    """Local wall time of this device with its UTC offset, so a signed time is unambiguous."""
    if when is None:
        return "—"
    local = when.astimezone()
    offset = local.strftime("%z")
    offset = f"UTC{offset[:3]}:{offset[3:]}" if offset else "UTC"
    return f"{local:%Y-%m-%d %H:%M} {offset}"


def fmt_minutes(minutes: int | None) -> str:
    if minutes is None:
        return ""
    hours, rest = divmod(int(minutes), 60)
    return f"{hours} h {rest:02d} min" if hours else f"{rest} min"


def cell_text(text: str | None, limit: int, marker: str = SHORTENED) -> str:
    """Text bounded for a place that cannot grow past a page (a table cell, a caption)."""
    if not text:
        return ""
    if len(text) <= limit:
        return text
    return text[:limit].rstrip() + marker
