"""Business-hours SLA clocks: calendar arithmetic (DST, holidays), pauses and clock states."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from fieldsupport.errors import ValidationError
from fieldsupport.models.enums import Priority
from fieldsupport.workflow import (
    BusinessCalendar,
    SlaPolicy,
    SlaState,
    SlaTargets,
    case_sla,
    default_policy,
    sla_clock,
)

WARSAW = ZoneInfo("Europe/Warsaw")
NEW_YORK = ZoneInfo("America/New_York")
H = timedelta(hours=1)
CAL = BusinessCalendar()  # Mon-Fri 08-17 UTC


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


# 2026-11-02 is a Monday.
MON = utc(2026, 11, 2, 8)


def policy(calendar: BusinessCalendar = CAL, fraction: float = 0.75) -> SlaPolicy:
    return SlaPolicy(calendar, default_policy().targets, at_risk_fraction=fraction)


# -- reference implementation -------------------------------------------------------------------


def reference_seconds(cal: BusinessCalendar, start: datetime, end: datetime) -> float:
    """Day by day, straight from the definition: the slow, obvious way."""
    if end <= start:
        return 0.0
    zone = ZoneInfo(cal.timezone)
    day = start.astimezone(zone).date() - timedelta(days=1)
    last = end.astimezone(zone).date() + timedelta(days=1)
    total = timedelta(0)
    while day <= last:
        if day.weekday() in cal.workdays and day not in cal.holidays:
            s = datetime.combine(day, cal.day_start, tzinfo=zone).astimezone(UTC)
            e = datetime.combine(day, cal.day_end, tzinfo=zone).astimezone(UTC)
            lo, hi = max(s, start.astimezone(UTC)), min(e, end.astimezone(UTC))
            if hi > lo:
                total += hi - lo
        day += timedelta(days=1)
    return total.total_seconds()


def merged(pauses: list[tuple[datetime, datetime]]) -> list[tuple[datetime, datetime]]:
    out: list[tuple[datetime, datetime]] = []
    for s, e in sorted(pauses):
        if out and s <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], e))
        else:
            out.append((s, e))
    return out


# -- calendar examples ----------------------------------------------------------------------------


def test_business_seconds_within_a_day_across_a_weekend_and_reversed() -> None:
    assert CAL.business_seconds_between(utc(2026, 11, 2, 9), utc(2026, 11, 2, 10)) == 3600
    fri_16 = utc(2026, 11, 6, 16)
    assert CAL.business_seconds_between(fri_16, utc(2026, 11, 9, 9)) == 2 * 3600
    assert CAL.business_seconds_between(utc(2026, 11, 9, 9), fri_16) == 0
    assert CAL.business_seconds_between(fri_16, fri_16) == 0
    # Night and weekend do not count at all.
    assert CAL.business_seconds_between(utc(2026, 11, 6, 18), utc(2026, 11, 9, 7)) == 0
    # A whole week is 5 x 9 hours.
    assert CAL.business_seconds_between(MON, MON + timedelta(days=7)) == 45 * 3600


def test_holidays_do_not_count() -> None:
    cal = BusinessCalendar(holidays=frozenset({date(2026, 11, 3)}))
    assert cal.business_seconds_between(MON, utc(2026, 11, 4, 8)) == 9 * 3600
    assert cal.add_business_seconds(utc(2026, 11, 2, 16), 2 * 3600) == utc(2026, 11, 4, 9)


def test_add_business_seconds_examples() -> None:
    assert CAL.add_business_seconds(utc(2026, 11, 6, 16), 2 * 3600) == utc(2026, 11, 9, 9)
    assert CAL.add_business_seconds(utc(2026, 11, 7, 12), 1) == utc(2026, 11, 9, 8, 0, 1)
    # The first instant: exactly at the end of the day, not the next morning.
    assert CAL.add_business_seconds(MON, 9 * 3600) == utc(2026, 11, 2, 17)
    # Zero is the start itself, even outside business hours.
    sat = utc(2026, 11, 7, 12)
    assert CAL.add_business_seconds(sat, 0) == sat
    assert CAL.add_business_seconds(MON, 0.25) == MON + timedelta(microseconds=250_000)


def test_add_business_seconds_answers_in_the_start_time_zone() -> None:
    start = datetime(2026, 11, 2, 9, tzinfo=WARSAW)  # 08:00 UTC
    due = CAL.add_business_seconds(start, 3600)
    assert due.tzinfo is WARSAW
    assert due == utc(2026, 11, 2, 9)


def test_calendar_in_local_time_zone_uses_local_hours_and_dates() -> None:
    cal = BusinessCalendar(timezone="Europe/Warsaw")
    # 08:00 Warsaw in winter is 07:00 UTC; in summer 06:00 UTC.
    assert cal.add_business_seconds(utc(2026, 1, 5, 0), 1) == utc(2026, 1, 5, 7, 0, 1)
    assert cal.add_business_seconds(utc(2026, 7, 6, 0), 1) == utc(2026, 7, 6, 6, 0, 1)
    # A holiday is a local date: 2026-11-11 in Warsaw.
    hol = BusinessCalendar(timezone="Europe/Warsaw", holidays=frozenset({date(2026, 11, 11)}))
    start = datetime(2026, 11, 10, 16, tzinfo=WARSAW)
    assert hol.add_business_seconds(start, 2 * 3600) == datetime(2026, 11, 12, 9, tzinfo=WARSAW)


@pytest.mark.parametrize(
    ("tz", "day", "hours"),
    [
        ("Europe/Warsaw", date(2026, 3, 29), 3),  # 02:00 -> 03:00: one hour less
        ("Europe/Warsaw", date(2026, 10, 25), 5),  # 03:00 -> 02:00: one hour more
        ("America/New_York", date(2026, 3, 8), 3),
        ("America/New_York", date(2026, 11, 1), 5),
        ("Europe/Warsaw", date(2026, 3, 30), 4),  # an ordinary day
    ],
)
def test_dst_change_inside_business_hours(tz: str, day: date, hours: int) -> None:
    """A night shift 01:00-05:00 every day: the business day is shorter or longer by an hour
    when the clocks change during it."""
    cal = BusinessCalendar(
        timezone=tz, workdays=frozenset(range(7)), day_start=time(1), day_end=time(5)
    )
    zone = ZoneInfo(tz)
    start = datetime.combine(day, time(0), tzinfo=zone)
    end = datetime.combine(day, time(12), tzinfo=zone)
    assert cal.business_seconds_between(start, end) == hours * 3600
    assert cal.add_business_seconds(start, hours * 3600) == datetime.combine(
        day, time(5), tzinfo=zone
    )


def test_wall_clock_arithmetic_pitfall_is_avoided() -> None:
    # Both ends share one tzinfo object; Python's own subtraction would ignore the DST change.
    cal = BusinessCalendar(
        timezone="Europe/Warsaw",
        workdays=frozenset(range(7)),
        day_start=time(0),
        day_end=time(23, 59),
    )
    start = datetime(2026, 3, 28, 23, 59, tzinfo=WARSAW)
    end = datetime(2026, 3, 29, 23, 59, tzinfo=WARSAW)
    assert cal.business_seconds_between(start, end) == 23 * 3600 - 60


def test_many_holidays_still_terminate_with_a_clear_error() -> None:
    mondays = frozenset(date(2026, 1, 5) + timedelta(weeks=w) for w in range(52 * 12))
    cal = BusinessCalendar(workdays=frozenset({0}), holidays=mondays)
    assert cal.business_seconds_between(utc(2026, 1, 1), utc(2037, 1, 1)) == 0
    with pytest.raises(ValidationError, match="not available within 10 years"):
        cal.add_business_seconds(utc(2026, 1, 1), 1)
    with pytest.raises(ValidationError, match="within 10 years"):
        CAL.add_business_seconds(MON, 3600 * 9 * 5 * 53 * 11)


@pytest.mark.parametrize("seconds", [-1, float("nan"), float("inf")])
def test_add_business_seconds_refuses_bad_amounts(seconds: float) -> None:
    with pytest.raises(ValidationError, match="zero or more seconds"):
        CAL.add_business_seconds(MON, seconds)


def test_naive_datetimes_are_refused_with_a_clear_message() -> None:
    naive = datetime(2026, 11, 2, 9)
    with pytest.raises(ValidationError, match="must include a time zone"):
        CAL.business_seconds_between(naive, MON)
    with pytest.raises(ValidationError, match="must include a time zone"):
        CAL.add_business_seconds(naive, 10)
    with pytest.raises(ValidationError, match="current time must include a time zone"):
        sla_clock(policy(), H, MON, None, [], naive)
    with pytest.raises(ValidationError, match="pause start must include a time zone"):
        sla_clock(policy(), H, MON, None, [(naive, None)], MON + H)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"day_start": time(17), "day_end": time(8)}, "must end after it starts"),
        ({"day_start": time(9), "day_end": time(9)}, "must end after it starts"),
        ({"workdays": frozenset()}, "at least one workday"),
        ({"workdays": frozenset({7})}, "0 \\(Monday\\) to 6"),
        ({"timezone": "Mars/Olympus_Mons"}, "Unknown time zone"),
        ({"timezone": ""}, "needs a time zone"),
        ({"day_start": time(8, tzinfo=UTC)}, "without a time zone"),
        ({"holidays": frozenset({"2026-12-25"})}, "calendar dates"),
    ],
)
def test_invalid_calendars_are_refused(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        BusinessCalendar(**kwargs)  # type: ignore[arg-type]


def test_calendar_accepts_lists_from_settings_and_stays_hashable() -> None:
    cal = BusinessCalendar(workdays=[0, 1, 2], holidays=[date(2026, 1, 1)])  # type: ignore[arg-type]
    assert cal.workdays == frozenset({0, 1, 2})
    assert hash(cal) == hash(
        BusinessCalendar(workdays=frozenset({0, 1, 2}), holidays=frozenset({date(2026, 1, 1)}))
    )


# -- policy -----------------------------------------------------------------------------------


def test_default_policy() -> None:
    p = default_policy()
    assert p.calendar == BusinessCalendar()
    assert p.at_risk_fraction == 0.75
    expected = {
        Priority.URGENT: (1, 8),
        Priority.HIGH: (4, 16),
        Priority.NORMAL: (8, 40),
        Priority.LOW: (16, 80),
    }
    for priority, (first, resolution) in expected.items():
        assert p.targets_for(priority) == SlaTargets(first * H, resolution * H)
    assert p.targets_for("urgent") == SlaTargets(H, 8 * H)  # type: ignore[arg-type]


def test_policy_validation() -> None:
    with pytest.raises(ValidationError, match="no targets for priority 'low'"):
        SlaPolicy(CAL, {Priority.URGENT: SlaTargets(H, H)}).targets_for(Priority.LOW)
    for fraction in (0, 1.5, -0.1):
        with pytest.raises(ValidationError, match="at risk"):
            policy(fraction=fraction)
    with pytest.raises(ValidationError, match="positive duration"):
        SlaTargets(timedelta(0), H)
    with pytest.raises(ValidationError, match="positive duration"):
        sla_clock(policy(), -H, MON, None, [], MON)


def test_policy_targets_cannot_be_changed_afterwards() -> None:
    targets = {Priority.URGENT: SlaTargets(H, H)}
    p = SlaPolicy(CAL, targets)
    targets[Priority.LOW] = SlaTargets(H, H)
    with pytest.raises(ValidationError):
        p.targets_for(Priority.LOW)
    with pytest.raises(TypeError):
        p.targets[Priority.LOW] = SlaTargets(H, H)  # type: ignore[index]


# -- clocks -----------------------------------------------------------------------------------


def test_running_clock_states() -> None:
    target = 4 * H
    ok = sla_clock(policy(), target, MON, None, [], MON + H)
    assert ok.state is SlaState.OK
    assert ok.elapsed == H and ok.remaining == 3 * H
    assert ok.due_at == MON + 4 * H and ok.stopped_at is None
    at_risk = sla_clock(policy(), target, MON, None, [], MON + 3 * H)
    assert at_risk.state is SlaState.AT_RISK
    exactly = sla_clock(policy(), target, MON, None, [], MON + 4 * H)
    assert exactly.state is SlaState.AT_RISK and exactly.remaining == timedelta(0)
    late = sla_clock(policy(), target, MON, None, [], MON + 5 * H)
    assert late.state is SlaState.BREACHED
    assert late.remaining == -H
    assert late.due_at == MON + 4 * H  # when it was breached


def test_at_risk_fraction_is_honoured() -> None:
    clock = sla_clock(policy(fraction=0.5), 4 * H, MON, None, [], MON + 2 * H)
    assert clock.state is SlaState.AT_RISK
    clock = sla_clock(policy(fraction=0.9), 4 * H, MON, None, [], MON + 3 * H)
    assert clock.state is SlaState.OK


def test_clock_counts_business_time_only() -> None:
    fri_16 = utc(2026, 11, 6, 16)
    clock = sla_clock(policy(), 4 * H, fri_16, None, [], utc(2026, 11, 9, 7))
    assert clock.elapsed == H and clock.state is SlaState.OK
    assert clock.due_at == utc(2026, 11, 9, 11)


def test_stopped_clock_is_met_or_breached_and_has_no_due_time() -> None:
    met = sla_clock(policy(), 4 * H, MON, MON + 4 * H, [], MON + 10 * H)
    assert met.state is SlaState.MET and met.elapsed == 4 * H
    assert met.due_at is None and met.stopped_at == MON + 4 * H
    breached = sla_clock(policy(), 4 * H, MON, MON + 4 * H + timedelta(seconds=1), [], MON + 9 * H)
    assert breached.state is SlaState.BREACHED
    assert breached.remaining == -timedelta(seconds=1)


def test_clock_stopped_after_now_is_still_running_as_of_now() -> None:
    clock = sla_clock(policy(), 4 * H, MON, MON + 3 * H, [], MON + H)
    assert clock.state is SlaState.OK and clock.stopped_at is None and clock.elapsed == H


def test_pauses_do_not_count_and_paused_clock_has_no_due_time() -> None:
    pauses = [(MON + H, MON + 3 * H)]
    after = sla_clock(policy(), 4 * H, MON, None, pauses, MON + 4 * H)
    assert after.elapsed == 2 * H and after.state is SlaState.OK
    assert after.due_at == MON + 6 * H  # pushed back by the pause
    during = sla_clock(policy(), 4 * H, MON, None, pauses, MON + 2 * H)
    assert during.state is SlaState.PAUSED and during.due_at is None and during.elapsed == H
    at_start = sla_clock(policy(), 4 * H, MON, None, pauses, MON + H)
    assert at_start.state is SlaState.PAUSED  # a pause begins at its first instant
    at_end = sla_clock(policy(), 4 * H, MON, None, pauses, MON + 3 * H)
    assert at_end.state is SlaState.OK and at_end.due_at == MON + 6 * H
    open_ended = sla_clock(policy(), 4 * H, MON, None, [(MON + H, None)], MON + 8 * H)
    assert open_ended.state is SlaState.PAUSED and open_ended.elapsed == H


def test_overlapping_pauses_count_once() -> None:
    pauses = [(MON + H, MON + 3 * H), (MON + 2 * H, MON + 4 * H), (MON + 2 * H, MON + 2 * H)]
    clock = sla_clock(policy(), 8 * H, MON, None, pauses, MON + 5 * H)
    assert clock.elapsed == 2 * H


def test_pause_before_the_start_and_after_the_stop_are_irrelevant() -> None:
    pauses = [(MON - 5 * H, MON + H), (MON + 5 * H, MON + 6 * H)]
    clock = sla_clock(policy(), 8 * H, MON, MON + 4 * H, pauses, MON + 8 * H)
    assert clock.elapsed == 3 * H and clock.state is SlaState.MET


def test_breached_stays_visible_while_paused() -> None:
    clock = sla_clock(policy(), H, MON, None, [(MON + 2 * H, None)], MON + 3 * H)
    assert clock.state is SlaState.BREACHED and clock.due_at is None


def test_clock_on_a_very_sparse_calendar_has_no_due_time_instead_of_failing() -> None:
    sparse = BusinessCalendar(workdays=frozenset({0}), day_start=time(8), day_end=time(8, 1))
    clock = sla_clock(policy(sparse), 80 * H, MON, None, [], MON + H)
    assert clock.due_at is None
    assert clock.elapsed == timedelta(minutes=1) and clock.state is SlaState.OK


def test_clock_asked_before_it_started_has_elapsed_nothing() -> None:
    clock = sla_clock(policy(), H, MON, None, [], MON - H)
    assert clock.elapsed == timedelta(0) and clock.state is SlaState.OK


def test_inconsistent_times_are_refused() -> None:
    with pytest.raises(ValidationError, match="cannot stop before it started"):
        sla_clock(policy(), H, MON, MON - H, [], MON)
    with pytest.raises(ValidationError, match="cannot end before it starts"):
        sla_clock(policy(), H, MON, None, [(MON + 2 * H, MON + H)], MON + 3 * H)


def test_case_sla_uses_priority_targets_and_pauses_both_clocks() -> None:
    p = default_policy()
    pauses = [(MON + H, MON + 2 * H)]
    sla = case_sla(
        p, Priority.URGENT, MON, MON + 30 * timedelta(minutes=1), None, pauses, MON + 5 * H
    )
    assert sla.first_response.state is SlaState.MET
    assert sla.first_response.target == H
    assert sla.resolution.target == 8 * H
    assert sla.resolution.elapsed == 4 * H
    assert sla.resolution.state is SlaState.OK
    assert sla.resolution.due_at == MON + 9 * H
    late = case_sla(p, Priority.URGENT, MON, None, None, [], MON + 2 * H)
    assert late.first_response.state is SlaState.BREACHED


# -- properties -----------------------------------------------------------------------------------

ZONES = ["UTC", "Europe/Warsaw", "America/New_York", "Australia/Lord_Howe", "Asia/Kolkata"]
BASE = datetime(2025, 1, 1, tzinfo=UTC)
SPAN_MINUTES = 3 * 365 * 24 * 60  # 2025-2027, three DST cycles each way


@st.composite
def calendars(draw: st.DrawFn, zones: list[str] = ZONES) -> BusinessCalendar:
    # Both zones change their clocks on a Sunday night: often draw calendars that work then.
    start = draw(st.integers(0, 150) | st.integers(0, 22 * 60), label="start minute")
    end = draw(st.integers(start + 1, 24 * 60 - 1), label="end minute")
    holidays = draw(
        st.frozensets(st.dates(date(2025, 1, 1), date(2027, 12, 31)), max_size=40), label="hol"
    )
    every_day = st.just(frozenset(range(7)))
    return BusinessCalendar(
        timezone=draw(st.sampled_from(zones)),
        workdays=draw(every_day | st.frozensets(st.integers(0, 6), min_size=1)),
        day_start=time(start // 60, start % 60),
        day_end=time(end // 60, end % 60),
        holidays=holidays,
    )


instants = st.integers(0, SPAN_MINUTES * 60 * 1_000_000).map(
    lambda us: BASE + timedelta(microseconds=us)
)
# Points near DST changes of Warsaw and New York (03-08 to 03-30, 10-25 to 11-02), at any
# time of day, so the business hours often cover the change.
near_dst = st.builds(
    lambda year, spring, day_offset, minute: (
        datetime(year, 3 if spring else 10, 8 if spring else 25, tzinfo=UTC)
        + timedelta(days=day_offset, minutes=minute)
    ),
    st.integers(2025, 2027),
    st.booleans(),
    st.integers(-2, 23),
    st.integers(0, 24 * 60 - 1),
)
times = st.one_of(instants, near_dst)
SETTINGS = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(cal=calendars(), a=times, b=times)
def test_business_seconds_match_the_day_by_day_reference(
    cal: BusinessCalendar, a: datetime, b: datetime
) -> None:
    assume(abs(b - a) < timedelta(days=400))  # keeps the slow reference quick
    assert cal.business_seconds_between(a, b) == pytest.approx(
        reference_seconds(cal, a, b), abs=1e-6
    )


@SETTINGS
@given(cal=calendars(), points=st.lists(times, min_size=3, max_size=3))
def test_business_seconds_are_additive(cal: BusinessCalendar, points: list[datetime]) -> None:
    a, b, c = sorted(points)
    whole = cal.business_seconds_between(a, c)
    parts = cal.business_seconds_between(a, b) + cal.business_seconds_between(b, c)
    assert whole == pytest.approx(parts, abs=1e-6)


@SETTINGS
@given(
    cal=calendars(["Europe/Warsaw", "America/New_York"]),
    start=times,
    share=st.floats(0, 1),
)
def test_add_and_between_are_inverse_across_dst_and_holidays(
    cal: BusinessCalendar, start: datetime, share: float
) -> None:
    start = start.astimezone(ZoneInfo(cal.timezone))
    # A share of the business time the next 400 days offer (a calendar may have little).
    seconds = share * cal.business_seconds_between(start, start + timedelta(days=400))
    due = cal.add_business_seconds(start, seconds)
    assert due >= start
    assert cal.business_seconds_between(start, due) == pytest.approx(seconds, abs=1e-6)
    # The *first* such instant: one microsecond earlier is not enough (unless nothing to add).
    if seconds >= 1e-6:
        earlier = due - timedelta(microseconds=1)
        assert cal.business_seconds_between(start, earlier) < seconds


@SETTINGS
@given(cal=calendars(["Europe/Warsaw", "America/New_York"]), a=times, b=times)
def test_between_then_add_lands_on_the_last_business_instant(
    cal: BusinessCalendar, a: datetime, b: datetime
) -> None:
    start, end = min(a, b), max(a, b)
    elapsed = cal.business_seconds_between(start, end)
    back = cal.add_business_seconds(start, elapsed)
    assert back <= end
    assert cal.business_seconds_between(back, end) == 0


@st.composite
def pause_lists(draw: st.DrawFn, start: datetime) -> list[tuple[datetime, datetime | None]]:
    pauses: list[tuple[datetime, datetime | None]] = []
    for _ in range(draw(st.integers(0, 4))):
        s = start + timedelta(minutes=draw(st.integers(-600, 20_000)))
        length = draw(st.none() | st.integers(0, 6_000))
        pauses.append((s, None if length is None else s + timedelta(minutes=length)))
    return pauses


@SETTINGS
@given(data=st.data(), cal=calendars(), start=times)
def test_clock_never_runs_backwards_and_never_counts_pauses(
    data: st.DataObject, cal: BusinessCalendar, start: datetime
) -> None:
    p = policy(cal)
    pauses = data.draw(pause_lists(start), label="pauses")
    stop = data.draw(
        st.none() | st.integers(0, 30_000).map(lambda m: start + timedelta(minutes=m)),
        label="stop",
    )
    offsets = data.draw(st.lists(st.integers(-100, 30_000), min_size=2, max_size=6))
    target = timedelta(hours=data.draw(st.integers(1, 80), label="target hours"))
    previous = None
    for now in sorted(start + timedelta(minutes=m) for m in offsets):
        clock = sla_clock(p, target, start, stop, pauses, now)
        assert clock.remaining == target - clock.elapsed
        assert clock.elapsed >= timedelta(0)
        if previous is not None:
            assert clock.elapsed >= previous.elapsed  # never backwards
            if previous.state in (SlaState.MET, SlaState.BREACHED) and previous.stopped_at:
                assert clock.state is previous.state and clock.elapsed == previous.elapsed
        # Elapsed == business time to the end minus business time in the union of pauses.
        end = max(start, min(stop, now) if stop is not None and stop <= now else now)
        closed = [(s, min(e or now, now)) for s, e in pauses]
        clipped = [(max(s, start), min(e, end)) for s, e in merged(closed)]
        paused = sum(cal.business_seconds_between(s, e) for s, e in clipped if e > s)
        expected = cal.business_seconds_between(start, end) - paused
        assert clock.elapsed.total_seconds() == pytest.approx(expected, abs=1e-5)
        inside = any(s <= now and (e is None or now < e) for s, e in pauses)
        if clock.stopped_at is None and inside:
            assert clock.state in (SlaState.PAUSED, SlaState.BREACHED)
            assert clock.due_at is None
            # While paused nothing accrues: a bit later (still inside) the clock is unchanged.
            later = now + timedelta(seconds=1)
            if any(s <= later and (e is None or later < e) for s, e in pauses):
                assert sla_clock(p, target, start, stop, pauses, later).elapsed == clock.elapsed
        previous = clock


@SETTINGS
@given(data=st.data(), cal=calendars(), start=times)
def test_due_at_is_when_the_elapsed_time_reaches_the_target(
    data: st.DataObject, cal: BusinessCalendar, start: datetime
) -> None:
    p = policy(cal)
    pauses = [(s, e) for s, e in data.draw(pause_lists(start), label="pauses") if e is not None]
    now = start + timedelta(minutes=data.draw(st.integers(0, 30_000)))
    target = timedelta(minutes=data.draw(st.integers(1, 80 * 60), label="target minutes"))
    clock = sla_clock(p, target, start, None, pauses, now)
    past_pauses = [(s, min(e, now)) for s, e in pauses if s <= now]
    if clock.due_at is None:
        # Paused now, or a calendar so sparse that the target is not reached in ten years.
        later = start + timedelta(days=3650)
        assert any(s <= now < e for s, e in pauses) or (
            sla_clock(p, target, start, None, past_pauses, later).elapsed <= target
        )
        return
    at_due = sla_clock(p, target, start, None, past_pauses, max(clock.due_at, start))
    assert at_due.elapsed == target
    if clock.state is SlaState.BREACHED:
        assert clock.due_at < now
    if clock.due_at > now:
        assert clock.state in (SlaState.OK, SlaState.AT_RISK)
