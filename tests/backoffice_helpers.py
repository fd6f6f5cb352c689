"""Back-office scenarios through a real central server: the back office opens a case and
assigns it to engineer anna, anna syncs, visits, reports (signed) and syncs again."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from fieldsupport.central.server import BackgroundServer
from fieldsupport.central.service import CentralService
from fieldsupport.services.cases import CaseService
from fieldsupport.services.reports import ReportService, ReportView
from fieldsupport.services.visits import VisitService
from fieldsupport.workspace import Workspace
from tests.builders import TO_RESOLVED, make_refs, open_case, walk
from tests.report_builders import sign
from tests.sync_helpers import PG_URL, SyncDevice

ARRIVAL = datetime(2026, 3, 3, 8, 0, tzinfo=UTC)
WORK_MINUTES = 95
TRAVEL_MINUTES = 45
TRAVEL_KM = 38.5


Device = SyncDevice


@dataclass(frozen=True)
class Submitted:
    case_id: str
    case_number: str
    visit_id: str
    report: ReportView
    refs: dict[str, str]


@pytest.fixture
def devices(tmp_path: Path, server: BackgroundServer) -> Iterator[dict[str, Device]]:
    """The back office's and an engineer's workspace, enrolled on ``server``."""
    made = {name: Device(tmp_path / name, server.url, name) for name in ("bo", "anna")}
    try:
        yield made
    finally:
        for device in made.values():
            device.close()


def central_db_args(service: CentralService) -> list[str]:
    """``fieldsupport-central`` options reaching the test server's database."""
    if service.engine.dialect.name == "sqlite":
        return ["--db", str(service.engine.url)]
    with service.engine.connect() as conn:  # the test server lives in a schema of its own
        schema = str(conn.exec_driver_sql("SHOW search_path").scalar())
    return ["--db", PG_URL, "--schema", schema]


def assigned_case(
    bo: Device, customer: str | None = None, refs: dict[str, str] | None = None
) -> tuple[str, dict[str, str]]:
    """A case of ``refs`` (made once per workspace: made now if not given)."""
    refs = refs or make_refs(bo.ws)
    if customer is not None:
        from fieldsupport.models import Customer

        with bo.ws.transaction() as s:
            s.get(Customer, refs["customer"]).name = customer  # type: ignore[union-attr]
    service = CaseService(bo.ws)
    case_id = open_case(service, refs)
    walk(service, case_id, TO_RESOLVED[:2])  # triaged and assigned to anna
    return case_id, refs


def visit_on_site(engineer: Device, case_id: str, refs: dict[str, str]) -> str:
    visits = VisitService(engineer.ws, user_id=refs["engineer"])
    visit = visits.plan_visit(case_id, engineer_id=refs["engineer"])
    visits.start_travel(visit.id, ARRIVAL - timedelta(minutes=TRAVEL_MINUTES))
    visits.arrive(visit.id, ARRIVAL)
    visits.add_time_entry(visit.id, "work", ARRIVAL, WORK_MINUTES, "Dismantled the pump head")
    visits.add_part(visit.id, "GP-100-8", "Gland packing set DX-100", 1, serial_number="L2611")
    visits.add_part(visit.id, "OR-12", "O-ring 12 mm", 2)
    visits.update_notes(
        visit.id,
        work_performed="Replaced the gland packing and flushed the dosing line.",
        findings="Packing worn out.",
        travel_distance_km=TRAVEL_KM,
    )
    return visit.id


def report_signed(ws: Workspace, visit_id: str) -> ReportView:
    reports = ReportService(ws)
    draft = reports.generate_draft(visit_id)
    return reports.finalize(draft.id, signature_id=sign(ws, visit_id), csat_score=5)


def submit_report(
    bo: Device,
    anna: Device,
    customer: str | None = None,
    refs: dict[str, str] | None = None,
    *,
    departed: bool = False,
) -> Submitted:
    """A signed report of anna's visit on a case the back office assigned her, on the
    server (both devices synced). Pass the ``refs`` of an earlier one to make another;
    ``departed`` reports after she left the site (the visit is completed)."""
    case_id, refs = assigned_case(bo, customer, refs)
    bo.sync()
    anna.sync()
    visit_id = visit_on_site(anna, case_id, refs)
    if departed:
        VisitService(anna.ws, user_id=refs["engineer"]).depart(
            visit_id,
            ARRIVAL + timedelta(minutes=WORK_MINUTES),
            work_performed="Replaced the gland packing and flushed the dosing line.",
            findings="Packing worn out.",
            travel_distance_km=TRAVEL_KM,
        )
    report = report_signed(anna.ws, visit_id)
    anna.sync()
    number = CaseService(anna.ws).get_case(case_id).case_number
    return Submitted(case_id, number, visit_id, report, refs)
