"""Input checks shared by the services. Each failure names the field and says what is wrong."""

from __future__ import annotations

import math
from datetime import datetime
from enum import StrEnum
from typing import TypeVar

from fieldsupport.errors import ValidationError

# The field lengths are also what forms limit typed input to (the UI does not import models).
from fieldsupport.models.base import NAME_LEN, SHORT_LEN, TEXT_LEN  # noqa: F401

E = TypeVar("E", bound=StrEnum)


def parse_enum(enum_cls: type[E], value: object, label: str) -> E:
    """Accept an enum member or its value (case-insensitive); refuse anything else clearly."""
    if isinstance(value, enum_cls):
        return value
    text = str(value).strip()
    for member in enum_cls:
        if text.lower() in (member.value.lower(), member.name.lower()):
            return member
    choices = ", ".join(m.value for m in enum_cls)
    raise ValidationError(f"Unknown {label} {text!r}. Choose one of: {choices}.", field=label)


def require_text(value: str | None, label: str, *, max_len: int = NAME_LEN) -> str:
    text = (value or "").strip()
    if not text:
        raise ValidationError(f"{label.capitalize()} is required.", field=label)
    return check_length(text, label, max_len)


def optional_text(value: str | None, label: str, *, max_len: int = TEXT_LEN) -> str | None:
    text = (value or "").strip()
    if not text:
        return None
    return check_length(text, label, max_len)


def check_length(text: str, label: str, max_len: int) -> str:
    if len(text) > max_len:
        raise ValidationError(
            f"{label.capitalize()} is too long ({len(text):,} characters; at most {max_len:,}).",
            field=label,
        )
    return text


def require_aware(value: datetime, label: str) -> datetime:
    if not isinstance(value, datetime):
        raise ValidationError(f"{label.capitalize()} must be a date and time.", field=label)
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValidationError(
            f"{label.capitalize()} must include a time zone (got {value.isoformat()}).",
            field=label,
        )
    return value


def non_negative(value: float | None, label: str) -> float | None:
    if value is None:
        return None
    if not math.isfinite(value):
        raise ValidationError(f"{label.capitalize()} must be a number.", field=label)
    if value < 0:
        raise ValidationError(
            f"{label.capitalize()} cannot be negative (got {value:g}).", field=label
        )
    return value


def finite(value: float, label: str) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValidationError(f"{label.capitalize()} must be a number.", field=label) from None
    if not math.isfinite(number):
        raise ValidationError(f"{label.capitalize()} must be a finite number.", field=label)
    return number
