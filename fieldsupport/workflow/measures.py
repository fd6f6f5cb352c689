"""Support measures (seed 003): first response time, resolution time, SLA met rate, customer
satisfaction and first-time-fix rate, as pure functions over plain values.

Rates and averages return ``None`` when there is nothing to measure, so a report can show
"no data" instead of a misleading 0 %.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from fieldsupport.errors import ValidationError
from fieldsupport.workflow.sla import BusinessCalendar, SlaClock, SlaState, _require_aware


def _duration(
    start: datetime,
    end: datetime | None,
    calendar: BusinessCalendar | None,
    what: str,
    start_label: str,
    end_label: str,
) -> timedelta | None:
    if end is None:
        return None
    _require_aware(start, start_label)
    _require_aware(end, end_label)
    if end < start:
        raise ValidationError(
            f"The {what} cannot be negative: {end_label} ({end.isoformat()}) is before "
            f"{start_label} ({start.isoformat()})."
        )
    if calendar is None:
        # In UTC: two datetimes sharing a tzinfo object are subtracted as wall-clock times,
        # which is an hour off across a DST change.
        return end.astimezone(UTC) - start.astimezone(UTC)
    return timedelta(seconds=calendar.business_seconds_between(start, end))


def first_response_time(
    opened_at: datetime,
    first_response_at: datetime | None,
    calendar: BusinessCalendar | None = None,
) -> timedelta | None:
    """Time to first response: wall time, or business time if a calendar is given.
    ``None`` while the customer has had no response."""
    return _duration(
        opened_at,
        first_response_at,
        calendar,
        "first response time",
        "opened at",
        "first response at",
    )


def resolution_time(
    opened_at: datetime,
    resolved_at: datetime | None,
    calendar: BusinessCalendar | None = None,
) -> timedelta | None:
    """Time to resolution: wall time, or business time if a calendar is given.
    ``None`` while the case is unresolved."""
    return _duration(
        opened_at, resolved_at, calendar, "resolution time", "opened at", "resolved at"
    )


def sla_met_rate(clocks: Iterable[SlaClock]) -> float | None:
    """Share of stopped clocks that met their target: met / (met + breached).
    Running clocks (even if already breached) are not counted: their outcome is open."""
    met = breached = 0
    for clock in clocks:
        if clock.stopped_at is None:
            continue
        if clock.state is SlaState.MET:
            met += 1
        elif clock.state is SlaState.BREACHED:
            breached += 1
    total = met + breached
    return met / total if total else None


def csat_average(scores: Iterable[int | None]) -> float | None:
    """Average customer satisfaction (1-5); cases without a score are ignored."""
    total = count = 0
    for score in scores:
        if score is None:
            continue
        if isinstance(score, bool) or not isinstance(score, int) or not 1 <= score <= 5:
            raise ValidationError(
                f"Satisfaction scores are whole numbers from 1 to 5 (got {score!r}).",
                field="csat_score",
            )
        total += score
        count += 1
    return total / count if count else None


def first_time_fix_rate(visit_counts_per_resolved_case: Iterable[int]) -> float | None:
    """Share of resolved cases fixed with exactly one visit.

    Cases resolved without any visit (remotely) are left out: the measure is about field
    visits, and counting them either way would skew it.
    """
    visited = first_time = 0
    for count in visit_counts_per_resolved_case:
        if isinstance(count, bool) or not isinstance(count, int) or count < 0:
            raise ValidationError(
                f"A number of visits must be a whole number of zero or more (got {count!r})."
            )
        if count == 0:
            continue
        visited += 1
        if count == 1:
            first_time += 1
    return first_time / visited if visited else None
