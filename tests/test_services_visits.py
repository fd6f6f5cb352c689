"""Visit services: travel, arrival, departure, time entries, measurements and parts."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from fieldsupport.errors import ValidationError
from fieldsupport.models import Customer, Measurement, TimeEntry, User
from fieldsupport.models.enums import TimeEntryKind, VisitStatus
from fieldsupport.services.cases import CaseIntake, CaseService
from fieldsupport.services.visits import VisitService
from fieldsupport.workspace import Workspace

T0 = datetime(2026, 3, 3, 7, 30, tzinfo=UTC)


@pytest.fixture
def visit_id(workspace: Workspace) -> str:
    with workspace.transaction() as s:
        customer = Customer(name="Nordic Paper & Board AB")
        engineer = User(username="lars", display_name="Lars Nygård")
        s.add_all([customer, engineer])
        s.flush()
        customer_id, engineer_id = customer.id, engineer.id
    case = CaseService(workspace).open_case(
        CaseIntake(assist_type="A3", title="Foam in basin", customer_id=customer_id)
    )
    return VisitService(workspace, user_id=engineer_id).plan_visit(case.id).id


@pytest.fixture
def visits(workspace: Workspace) -> VisitService:
    return VisitService(workspace)


def test_visit_timeline(visits: VisitService, visit_id: str, workspace: Workspace) -> None:
    visits.start_travel(visit_id, T0)
    arrived = visits.arrive(visit_id, T0 + timedelta(minutes=95))
    assert arrived.status is VisitStatus.ON_SITE and arrived.travel_minutes == 95
    done = visits.depart(
        visit_id,
        T0 + timedelta(hours=5),
        work_performed="Dosed DeFoam 300 at 8 ppm.",
        findings="Foam height down from 40 to 5 cm.",
        travel_distance_km=112.5,
    )
    assert done.status is VisitStatus.COMPLETED
    assert done.engineer == "Lars Nygård"
    assert done.time_entry_minutes == 95 + (300 - 95)
    with workspace.transaction() as s:
        kinds = sorted(k for (k,) in s.execute(select(TimeEntry.kind)))
    assert kinds == [TimeEntryKind.TRAVEL, TimeEntryKind.WORK]
    with pytest.raises(ValidationError, match="finished"):
        visits.arrive(visit_id, T0 + timedelta(hours=6))


def test_departure_before_arrival_is_refused(visits: VisitService, visit_id: str) -> None:
    visits.arrive(visit_id, T0)
    with pytest.raises(ValidationError, match=r"Departure \(2026-03-03 07:00\) cannot be before"):
        visits.depart(visit_id, T0 - timedelta(minutes=30))
    assert visits.get_visit(visit_id).status is VisitStatus.ON_SITE  # nothing changed


def test_implausible_visit_length(visits: VisitService, visit_id: str) -> None:
    visits.arrive(visit_id, T0)
    with pytest.raises(ValidationError, match="14 days"):
        visits.depart(visit_id, T0 + timedelta(days=400))


def test_departure_needs_arrival(visits: VisitService, visit_id: str) -> None:
    with pytest.raises(ValidationError, match="Record the arrival"):
        visits.depart(visit_id, T0)


def test_arrival_before_travel_start(visits: VisitService, visit_id: str) -> None:
    visits.start_travel(visit_id, T0)
    with pytest.raises(ValidationError, match="before the start of travel"):
        visits.arrive(visit_id, T0 - timedelta(minutes=1))


@pytest.mark.parametrize(
    ("minutes", "message"),
    [(-15, "not negative"), (30.5, "whole number"), (60 * 24 * 30, "cannot exceed 14 days")],
)
def test_bad_time_entries(
    visits: VisitService, visit_id: str, minutes: object, message: str
) -> None:
    with pytest.raises(ValidationError, match=message):
        visits.add_time_entry(visit_id, "work", T0, minutes)  # type: ignore[arg-type]


def test_time_entry_kind_is_checked(visits: VisitService, visit_id: str) -> None:
    with pytest.raises(ValidationError, match="Unknown time entry kind 'nap'"):
        visits.add_time_entry(visit_id, "nap", T0, 10)
    visits.add_time_entry(visit_id, "training", T0, 45, note="Operators of shift B")
    assert visits.get_visit(visit_id).time_entry_minutes == 45


def test_measurements_with_limits(
    visits: VisitService, visit_id: str, workspace: Workspace
) -> None:
    assert (
        visits.add_measurement(visit_id, "pH", 7.2, unit="pH", lower_limit=6.5, upper_limit=8.5)
        is True
    )
    assert visits.add_measurement(visit_id, "Turbidity", 1.8, unit="NTU", upper_limit=1.0) is False
    with pytest.raises(ValidationError, match="lower limit is above the upper limit"):
        visits.add_measurement(visit_id, "pH", 7, unit="pH", lower_limit=9, upper_limit=8)
    with pytest.raises(ValidationError, match="finite number"):
        visits.add_measurement(visit_id, "pH", float("nan"), unit="pH")
    with pytest.raises(ValidationError, match="Enter the unit of Pressure"):
        visits.add_measurement(visit_id, "Pressure", 3.0, unit="  ")
    with pytest.raises(ValidationError, match="Unknown phase 'middle'"):
        visits.add_measurement(visit_id, "pH", 7, unit="pH", phase="middle")
    with workspace.transaction() as s:
        assert [m.name for m in s.scalars(select(Measurement).order_by(Measurement.name))] == [
            "Turbidity",
            "pH",
        ]


def test_parts(visits: VisitService, visit_id: str) -> None:
    visits.add_part(visit_id, "SP-DIA-25", "Diaphragm kit 25 mm", 2)
    with pytest.raises(ValidationError, match="more than zero"):
        visits.add_part(visit_id, "SP-DIA-25", "Diaphragm kit", 0)
    with pytest.raises(ValidationError, match="Part number is required"):
        visits.add_part(visit_id, "", "Diaphragm kit", 1)


def test_negative_distance(visits: VisitService, visit_id: str) -> None:
    visits.arrive(visit_id, T0)
    with pytest.raises(ValidationError, match="cannot be negative"):
        visits.depart(visit_id, T0 + timedelta(hours=1), travel_distance_km=-5)


def test_travel_follows_its_entries_into_the_report(workspace: Workspace, visit_id: str) -> None:
    """A wrong travel entry removed and the right one recorded: the visit's travel time, the
    report and so the ERP export say the right one (the report read the arrival's figure)."""
    from fieldsupport.services.reports import ReportService

    visits = VisitService(workspace)
    visits.start_travel(visit_id, T0)
    visits.arrive(visit_id, T0 + timedelta(minutes=45))
    assert visits.visit_detail(visit_id).visit.travel_minutes == 45
    (travel,) = [e for e in visits.visit_detail(visit_id).time_entries if e.kind == "travel"]
    visits.remove_time_entry(travel.id)
    visits.add_time_entry(visit_id, "travel", T0, 90)
    assert visits.visit_detail(visit_id).visit.travel_minutes == 90
    draft = ReportService(workspace).generate_draft(visit_id)
    document = json.loads(draft.data_path.read_text(encoding="utf-8"))
    assert document["visit"]["travel_minutes"] == 90
