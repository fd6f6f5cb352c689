"""Business-hours SLA clocks.

A :class:`BusinessCalendar` says when the support organisation works (weekdays, daily hours,
holidays, in one IANA time zone). SLA targets are business time: an 8-hour resolution target
opened on Friday at 16:00 is due on the next business days, not Saturday at midnight.

Arithmetic is done in integer microseconds since the Unix epoch (UTC), never on wall-clock
datetimes: Python subtracts two datetimes sharing a tzinfo as wall-clock times, which is wrong
across DST changes. Each local calendar year is turned once into a sorted table of its business
intervals (in UTC) with running totals, so ``business_seconds_between`` and
``add_business_seconds`` are a couple of binary searches. That matters because the case list
and the demo generator evaluate clocks for up to a million cases.

Waiting on the customer pauses a clock: paused time never counts. Pauses may overlap and the
last one may still be open (``None`` end = paused until ``now``).
"""

from __future__ import annotations

import math
from bisect import bisect_left, bisect_right
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from enum import StrEnum
from functools import lru_cache
from types import MappingProxyType
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fieldsupport.errors import ValidationError
from fieldsupport.models.enums import Priority

# add_business_seconds gives up after this many calendar years of searching: a calendar whose
# holidays cover every workday would otherwise loop forever.
MAX_SEARCH_YEARS = 10

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_US = 1_000_000
_MICROSECOND = timedelta(microseconds=1)


def _require_aware(value: object, label: str) -> datetime:
    if not isinstance(value, datetime):
        raise ValidationError(f"The {label} must be a date and time.", field=label)
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValidationError(
            f"The {label} must include a time zone (got {value.isoformat()} without one).",
            field=label,
        )
    return value


def _to_us(value: datetime) -> int:
    return (value - _EPOCH) // _MICROSECOND


def _from_us(value: int, tz: tzinfo | None) -> datetime:
    instant = _EPOCH + timedelta(microseconds=value)
    return instant.astimezone(tz) if tz is not None else instant


@dataclass(frozen=True)
class _YearTable:
    """Business intervals of one local calendar year, as UTC microseconds."""

    starts: tuple[int, ...]
    ends: tuple[int, ...]
    before: tuple[int, ...]  # business time in the year before interval i starts
    upto: tuple[int, ...]  # business time in the year up to the end of interval i
    total: int

    def elapsed_at(self, instant: int) -> int:
        """Business time from the start of the year up to ``instant``."""
        i = bisect_right(self.starts, instant) - 1
        if i < 0:
            return 0
        return self.before[i] + min(instant, self.ends[i]) - self.starts[i]

    def instant_at(self, amount: int) -> int:
        """First instant at which ``amount`` (0 < amount <= total) has elapsed in the year."""
        i = bisect_left(self.upto, amount)
        return self.starts[i] + amount - self.before[i]


@dataclass(frozen=True)
class BusinessCalendar:
    timezone: str = "UTC"  # IANA name
    workdays: frozenset[int] = frozenset({0, 1, 2, 3, 4})  # Monday = 0
    day_start: time = time(8, 0)
    day_end: time = time(17, 0)
    holidays: frozenset[date] = frozenset()
    _zone: ZoneInfo = field(init=False, repr=False, compare=False, hash=False)

    def __post_init__(self) -> None:
        if not isinstance(self.timezone, str) or not self.timezone.strip():
            raise ValidationError("The business calendar needs a time zone name.", field="timezone")
        try:
            zone = ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValidationError(
                f"Unknown time zone {self.timezone!r}; use a name like 'Europe/Warsaw'.",
                field="timezone",
            ) from None
        object.__setattr__(self, "_zone", zone)
        # Accept any iterable (settings arrive as lists) but store frozensets: the calendar is
        # hashable, which the per-year cache relies on.
        workdays = frozenset(self.workdays)
        if not workdays:
            raise ValidationError("The business calendar needs at least one workday.")
        if any(isinstance(d, bool) or not isinstance(d, int) or not 0 <= d <= 6 for d in workdays):
            raise ValidationError("Workdays are numbered 0 (Monday) to 6 (Sunday).")
        object.__setattr__(self, "workdays", workdays)
        holidays = frozenset(self.holidays)
        if any(not isinstance(d, date) or isinstance(d, datetime) for d in holidays):
            raise ValidationError("Holidays must be calendar dates.")
        object.__setattr__(self, "holidays", holidays)
        for label, value in (("day start", self.day_start), ("day end", self.day_end)):
            if not isinstance(value, time) or value.tzinfo is not None:
                raise ValidationError(
                    f"The business {label} must be a local time of day without a time zone."
                )
        if self.day_end <= self.day_start:
            raise ValidationError(
                f"The business day must end after it starts "
                f"(got {self.day_start:%H:%M} to {self.day_end:%H:%M})."
            )

    def business_seconds_between(self, start: datetime, end: datetime) -> float:
        """Business time from ``start`` to ``end`` in seconds; 0 if ``end <= start``."""
        s = _to_us(_require_aware(start, "start"))
        e = _to_us(_require_aware(end, "end"))
        return self._business_us(s, e) / _US

    def add_business_seconds(self, start: datetime, seconds: float) -> datetime:
        """First instant at which ``seconds`` of business time have elapsed since ``start``
        (in ``start``'s time zone). Zero returns ``start`` itself."""
        _require_aware(start, "start")
        if isinstance(seconds, bool) or not isinstance(seconds, int | float):
            raise ValidationError("The business time to add must be a number of seconds.")
        if not math.isfinite(seconds) or seconds < 0:
            raise ValidationError(
                f"The business time to add must be zero or more seconds (got {seconds})."
            )
        return _from_us(self._add_us(_to_us(start), round(seconds * _US)), start.tzinfo)

    # -- internals in UTC microseconds ----------------------------------------------------------

    def _local_year(self, instant: int) -> int:
        return _from_us(instant, self._zone).year

    def _table(self, year: int) -> _YearTable:
        return _year_table(self, year)

    def _business_us(self, s: int, e: int) -> int:
        if e <= s:
            return 0
        first, last = self._local_year(s), self._local_year(e)
        if first == last:
            table = self._table(first)
            return table.elapsed_at(e) - table.elapsed_at(s)
        total = self._table(first).total - self._table(first).elapsed_at(s)
        total += sum(self._table(year).total for year in range(first + 1, last))
        return total + self._table(last).elapsed_at(e)

    def _add_us(self, s: int, amount: int) -> int:
        found = self._find_us(s, amount)
        if found is None:
            raise ValidationError(
                f"{timedelta(microseconds=amount)} of business time is not available within "
                f"{MAX_SEARCH_YEARS} years in this business calendar; check its workdays and "
                "holidays."
            )
        return found

    def _find_us(self, s: int, amount: int) -> int | None:
        """First instant ``amount`` after ``s``, or ``None`` beyond the search window."""
        if amount <= 0:
            return s
        year = self._local_year(s)
        table = self._table(year)
        base = table.elapsed_at(s)
        for _ in range(MAX_SEARCH_YEARS + 1):
            available = table.total - base
            if amount <= available:
                return table.instant_at(base + amount)
            amount -= available
            year += 1
            table, base = self._table(year), 0
        return None


@lru_cache(maxsize=256)
def _year_table(calendar: BusinessCalendar, year: int) -> _YearTable:
    zone = calendar._zone
    try:
        day = date(year, 1, 1)
        stop = date(year + 1, 1, 1) if year < date.max.year else None
    except (ValueError, OverflowError):
        raise ValidationError("The business calendar only covers the years 1 to 9999.") from None
    starts: list[int] = []
    ends: list[int] = []
    before: list[int] = []
    upto: list[int] = []
    total = 0
    while True:
        if day.weekday() in calendar.workdays and day not in calendar.holidays:
            # Local wall times resolved by zoneinfo: a start/end inside a DST gap maps to the
            # instant the clock jumps over, an ambiguous one to its first occurrence.
            s = _to_us(datetime.combine(day, calendar.day_start, tzinfo=zone))
            e = _to_us(datetime.combine(day, calendar.day_end, tzinfo=zone))
            if ends:
                s = max(s, ends[-1])  # keep intervals disjoint even in odd zone histories
            if e > s:
                starts.append(s)
                ends.append(e)
                before.append(total)
                total += e - s
                upto.append(total)
        if stop is None and day == date.max:
            break
        day += timedelta(days=1)
        if day == stop:
            break
    return _YearTable(tuple(starts), tuple(ends), tuple(before), tuple(upto), total)


@dataclass(frozen=True)
class SlaTargets:
    first_response: timedelta  # business time
    resolution: timedelta  # business time

    def __post_init__(self) -> None:
        for label, value in (
            ("first response", self.first_response),
            ("resolution", self.resolution),
        ):
            if not isinstance(value, timedelta) or value <= timedelta(0):
                raise ValidationError(f"The {label} target must be a positive duration.")


@dataclass(frozen=True)
class SlaPolicy:
    calendar: BusinessCalendar
    targets: Mapping[Priority, SlaTargets]
    at_risk_fraction: float = 0.75

    def __post_init__(self) -> None:
        if not isinstance(self.at_risk_fraction, int | float) or not (
            0 < self.at_risk_fraction <= 1
        ):
            raise ValidationError(
                "The 'at risk' share of an SLA target must be above 0 and at most 1 "
                f"(got {self.at_risk_fraction})."
            )
        # A read-only copy: the policy is shared by every clock and must not change under them.
        object.__setattr__(self, "targets", MappingProxyType(dict(self.targets)))

    def targets_for(self, priority: Priority) -> SlaTargets:
        try:
            return self.targets[Priority(priority)]
        except (KeyError, ValueError):
            raise ValidationError(
                f"The SLA policy has no targets for priority {str(priority)!r}.", field="priority"
            ) from None


def default_policy() -> SlaPolicy:
    """Urgent 1 h / 8 h, high 4 h / 16 h, normal 8 h / 40 h, low 16 h / 80 h business time
    (first response / resolution), Monday to Friday 08:00-17:00 UTC."""
    hours = {
        Priority.URGENT: (1, 8),
        Priority.HIGH: (4, 16),
        Priority.NORMAL: (8, 40),
        Priority.LOW: (16, 80),
    }
    return SlaPolicy(
        calendar=BusinessCalendar(),
        targets={
            p: SlaTargets(timedelta(hours=first), timedelta(hours=resolution))
            for p, (first, resolution) in hours.items()
        },
    )


class SlaState(StrEnum):
    OK = "ok"
    AT_RISK = "at_risk"
    BREACHED = "breached"
    MET = "met"
    PAUSED = "paused"


@dataclass(frozen=True)
class SlaClock:
    target: timedelta
    elapsed: timedelta  # business time, excluding pauses
    remaining: timedelta  # target - elapsed; negative once breached
    due_at: datetime | None  # None while paused or stopped (or beyond MAX_SEARCH_YEARS)
    state: SlaState
    stopped_at: datetime | None


@dataclass(frozen=True)
class CaseSla:
    first_response: SlaClock
    resolution: SlaClock


Pause = tuple[datetime, datetime | None]


def sla_clock(
    policy: SlaPolicy,
    target: timedelta,
    started_at: datetime,
    stopped_at: datetime | None,
    pauses: Sequence[Pause],
    now: datetime,
) -> SlaClock:
    """The clock as of ``now``.

    A clock stopped after ``now`` is still running as of ``now`` (history is not rewritten).
    A clock asked about before it started has elapsed nothing. Breached wins over paused: a
    missed target stays visible while the case waits on the customer.
    """
    calendar = policy.calendar
    if not isinstance(target, timedelta) or target <= timedelta(0):
        raise ValidationError("An SLA target must be a positive duration.")
    start = _to_us(_require_aware(started_at, "clock start"))
    now_us = _to_us(_require_aware(now, "current time"))
    stop: int | None = None
    if stopped_at is not None:
        stop = _to_us(_require_aware(stopped_at, "clock stop"))
        if stop < start:
            raise ValidationError(
                "An SLA clock cannot stop before it started "
                f"({stopped_at.isoformat()} is before {started_at.isoformat()})."
            )
    stopped = stop is not None and stop <= now_us
    end = max(start, stop if stop is not None and stopped else now_us)

    merged, paused_now = _merge_pauses(pauses, now_us)
    paused = sum(calendar._business_us(max(s, start), min(e, end)) for s, e in merged)
    elapsed_us = calendar._business_us(start, end) - paused
    target_us = target // _MICROSECOND
    elapsed = timedelta(microseconds=elapsed_us)

    if stopped:
        state = SlaState.MET if elapsed_us <= target_us else SlaState.BREACHED
    elif elapsed_us > target_us:
        state = SlaState.BREACHED
    elif paused_now:
        state = SlaState.PAUSED
    elif elapsed_us >= policy.at_risk_fraction * target_us:
        state = SlaState.AT_RISK
    else:
        state = SlaState.OK

    due_at = None
    if not stopped and not paused_now:
        due_us = _due_us(calendar, start, target_us, merged)
        due_at = None if due_us is None else _from_us(due_us, now.tzinfo)
    return SlaClock(
        target=target,
        elapsed=elapsed,
        remaining=target - elapsed,
        due_at=due_at,
        state=state,
        stopped_at=stopped_at if stopped else None,
    )


def _merge_pauses(pauses: Sequence[Pause], now_us: int) -> tuple[list[tuple[int, int]], bool]:
    """Union of the pauses up to ``now`` (sorted, disjoint) and whether ``now`` is paused."""
    intervals: list[tuple[int, int]] = []
    paused_now = False
    for pause in pauses:
        begin, finish = pause
        s = _to_us(_require_aware(begin, "pause start"))
        if finish is None:
            e = now_us
            paused_now = paused_now or s <= now_us
        else:
            e = _to_us(_require_aware(finish, "pause end"))
            if e < s:
                raise ValidationError(
                    "A waiting period cannot end before it starts "
                    f"({finish.isoformat()} is before {begin.isoformat()})."
                )
            paused_now = paused_now or s <= now_us < e
            e = min(e, now_us)
        if e > s:
            intervals.append((s, e))
    intervals.sort()
    merged: list[tuple[int, int]] = []
    for s, e in intervals:
        if merged and s <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], e))
        else:
            merged.append((s, e))
    return merged, paused_now


def _due_us(
    calendar: BusinessCalendar, start: int, target_us: int, merged: list[tuple[int, int]]
) -> int | None:
    """First instant at which the clock reaches its target, given the known pauses.

    Walks the unpaused stretches from the start, so a breached clock gets the past instant it
    was breached at and a running one the future instant it will be due (if no new pause).
    ``None`` if a sparse calendar does not reach it within the search window: a case view must
    not fail over a due date nobody will live to see.
    """
    need = target_us
    cursor = start
    for s, e in merged:
        if e <= cursor:
            continue
        available = calendar._business_us(cursor, s)
        if available >= need:
            return calendar._find_us(cursor, need)
        need -= available
        cursor = max(cursor, e)
    return calendar._find_us(cursor, need)


def case_sla(
    policy: SlaPolicy,
    priority: Priority,
    opened_at: datetime,
    first_response_at: datetime | None,
    resolved_at: datetime | None,
    pauses: Sequence[Pause],
    now: datetime,
) -> CaseSla:
    """Both clocks of a case; waiting on the customer pauses both."""
    targets = policy.targets_for(priority)
    return CaseSla(
        first_response=sla_clock(
            policy, targets.first_response, opened_at, first_response_at, pauses, now
        ),
        resolution=sla_clock(policy, targets.resolution, opened_at, resolved_at, pauses, now),
    )
