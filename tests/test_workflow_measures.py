"""Support measures: response/resolution time, SLA met rate, CSAT, first-time-fix rate."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fieldsupport.errors import ValidationError
from fieldsupport.workflow import (
    BusinessCalendar,
    SlaClock,
    SlaState,
    csat_average,
    default_policy,
    first_response_time,
    first_time_fix_rate,
    resolution_time,
    sla_clock,
    sla_met_rate,
)

H = timedelta(hours=1)
FRI_16 = datetime(2026, 11, 6, 16, tzinfo=UTC)
MON_10 = datetime(2026, 11, 9, 10, tzinfo=UTC)


def test_wall_and_business_response_time() -> None:
    assert first_response_time(FRI_16, MON_10) == timedelta(days=2, hours=18)
    assert first_response_time(FRI_16, MON_10, BusinessCalendar()) == 3 * H
    assert first_response_time(FRI_16, None) is None
    assert resolution_time(FRI_16, MON_10) == timedelta(days=2, hours=18)
    assert resolution_time(FRI_16, MON_10, BusinessCalendar()) == 3 * H
    assert resolution_time(FRI_16, None, BusinessCalendar()) is None


def test_wall_time_is_real_elapsed_time_across_dst() -> None:
    warsaw = ZoneInfo("Europe/Warsaw")
    opened = datetime(2026, 3, 28, 12, tzinfo=warsaw)
    answered = datetime(2026, 3, 29, 12, tzinfo=warsaw)  # clocks went forward overnight
    assert first_response_time(opened, answered) == 23 * H
    mixed = answered.astimezone(UTC)
    assert resolution_time(opened, mixed) == 23 * H


def test_negative_and_naive_times_are_refused() -> None:
    with pytest.raises(ValidationError, match="cannot be negative"):
        first_response_time(MON_10, FRI_16)
    with pytest.raises(ValidationError, match="resolution time cannot be negative"):
        resolution_time(MON_10, FRI_16, BusinessCalendar())
    with pytest.raises(ValidationError, match="must include a time zone"):
        resolution_time(datetime(2026, 11, 6, 16), MON_10)
    with pytest.raises(ValidationError, match="must include a time zone"):
        first_response_time(FRI_16, datetime(2026, 11, 9, 10))


def _clock(state: SlaState, stopped: bool) -> SlaClock:
    return SlaClock(
        target=H,
        elapsed=H,
        remaining=timedelta(0),
        due_at=None,
        state=state,
        stopped_at=FRI_16 if stopped else None,
    )


def test_sla_met_rate_counts_only_stopped_clocks() -> None:
    clocks = [
        _clock(SlaState.MET, True),
        _clock(SlaState.MET, True),
        _clock(SlaState.MET, True),
        _clock(SlaState.BREACHED, True),
        _clock(SlaState.BREACHED, False),  # running, outcome still open
        _clock(SlaState.OK, False),
        _clock(SlaState.PAUSED, False),
    ]
    assert sla_met_rate(clocks) == 0.75
    assert sla_met_rate(iter(clocks)) == 0.75  # any iterable, consumed once
    assert sla_met_rate([]) is None
    assert sla_met_rate([_clock(SlaState.AT_RISK, False)]) is None


def test_sla_met_rate_with_real_clocks() -> None:
    p = default_policy()
    met = sla_clock(p, 2 * H, MON_10, MON_10 + H, [], MON_10 + 5 * H)
    breached = sla_clock(p, H, MON_10, MON_10 + 2 * H, [], MON_10 + 5 * H)
    assert sla_met_rate([met, breached]) == 0.5


def test_csat_average() -> None:
    assert csat_average([5, 4, None, 3]) == 4.0
    assert csat_average([None, None]) is None
    assert csat_average([]) is None
    for bad in (0, 6, 4.5, True, "5"):
        with pytest.raises(ValidationError, match="from 1 to 5"):
            csat_average([5, bad])  # type: ignore[list-item]


def test_first_time_fix_rate() -> None:
    assert first_time_fix_rate([1, 1, 2, 3]) == 0.5
    assert first_time_fix_rate([1, 0, 0]) == 1.0  # remote resolutions are left out
    assert first_time_fix_rate([0, 0]) is None
    assert first_time_fix_rate([]) is None
    for bad in (-1, 1.0, True):
        with pytest.raises(ValidationError, match="number of visits"):
            first_time_fix_rate([1, bad])  # type: ignore[list-item]


@settings(max_examples=60, deadline=None)
@given(scores=st.lists(st.none() | st.integers(1, 5), max_size=30))
def test_csat_average_is_a_mean_within_the_scale(scores: list[int | None]) -> None:
    given_scores = [s for s in scores if s is not None]
    average = csat_average(scores)
    if not given_scores:
        assert average is None
    else:
        assert average is not None
        assert min(given_scores) <= average <= max(given_scores)
        assert average == pytest.approx(sum(given_scores) / len(given_scores))


@settings(max_examples=60, deadline=None)
@given(counts=st.lists(st.integers(0, 5), max_size=30))
def test_first_time_fix_rate_is_a_share(counts: list[int]) -> None:
    rate = first_time_fix_rate(counts)
    visited = [c for c in counts if c > 0]
    if not visited:
        assert rate is None
    else:
        assert rate == pytest.approx(visited.count(1) / len(visited))
        assert 0.0 <= rate <= 1.0
