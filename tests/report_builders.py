"""A visit with everything a service report shows, built through the real services."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from builders import make_refs, open_case
from PIL import Image, ImageDraw

from fieldsupport.models import Contact
from fieldsupport.services.applications import ApplicationService
from fieldsupport.services.cases import CaseService
from fieldsupport.services.photos import PhotoOwner, PhotoService
from fieldsupport.services.signatures import SignatureService
from fieldsupport.services.solutions import ParameterSpec, SolutionDraft, SolutionService, StepSpec
from fieldsupport.services.training import TrainingService
from fieldsupport.services.visits import VisitService
from fieldsupport.workspace import Workspace

ORIENTATION = Path(__file__).resolve().parent / "data" / "photos" / "orientation"
ARRIVAL = datetime(2026, 3, 3, 8, 0, tzinfo=UTC)

SOLUTION = SolutionDraft(
    title="Dosing of SP-CAL-7 on line 2",
    target_process="Bottle washer, caustic stage",
    materials="SP-CAL-7, 25 kg",
    safety_notes="Goggles and gloves; caustic.",
    steps=[StepSpec("Flush the dosing line"), StepSpec("Set the dosing rate", "Pump menu 3")],
    parameters=[
        ParameterSpec("Dosing rate", "ml/min", target=12, min_value=10, max_value=14),
        ParameterSpec("Temperature", "°C", target=65, min_value=60, max_value=70),
    ],
)


@dataclass
class ReportVisit:
    case_id: str
    case_number: str
    visit_id: str
    refs: dict[str, str]


def signature_png(text: str = "A. Kowalska") -> bytes:
    img = Image.new("RGBA", (600, 200), (0, 0, 0, 0))
    draw = ImageDraw.Draw(img)
    draw.line([(20, 150), (200, 40), (320, 160), (580, 60)], fill=(10, 10, 60, 255), width=5)
    draw.text((30, 170), text, fill=(10, 10, 60, 255))
    out = io.BytesIO()
    img.save(out, "PNG")
    return out.getvalue()


def report_visit(
    workspace: Workspace,
    *,
    photos: list[Path] | None = None,
    measurements: int = 3,
    notes: str = "Replaced the gland packing and flushed the dosing line.",
    customer_name: str | None = None,
) -> ReportVisit:
    refs = make_refs(workspace)
    cases = CaseService(workspace)
    case_id = open_case(cases, refs)
    case_number = cases.get_case(case_id).case_number
    if customer_name is not None:
        from fieldsupport.models import Customer

        with workspace.transaction() as s:
            s.get(Customer, refs["customer"]).name = customer_name  # type: ignore[union-attr]
    with workspace.transaction() as s:
        contact = Contact(customer_id=refs["customer"], name="Jan Nowak", role="Shift lead")
        s.add(contact)
        s.flush()
        contact_id = contact.id
    visits = VisitService(workspace, user_id=refs["engineer"])
    visit = visits.plan_visit(case_id, engineer_id=refs["engineer"])
    visits.start_travel(visit.id, ARRIVAL - timedelta(minutes=45))
    visits.arrive(visit.id, ARRIVAL)
    visits.add_time_entry(visit.id, "work", ARRIVAL, 95, "Dismantled the pump head")
    for i in range(measurements):
        visits.add_measurement(
            visit.id,
            f"Discharge pressure {i + 1}",
            4.2 + i * 1.5,
            unit="bar",
            lower_limit=3.5,
            upper_limit=6.0,
            measured_at=ARRIVAL + timedelta(minutes=10 + i),
        )
    visits.add_part(visit.id, "GP-100-8", "Gland packing set DX-100", 1, serial_number="L2611")
    solutions = SolutionService(workspace, user_id=refs["engineer"])
    solution = solutions.create(SOLUTION)
    solutions.move(solution.id, "in_review")
    released = solutions.move(solution.id, "released").id
    apps = ApplicationService(workspace, user_id=refs["engineer"])
    record = apps.start(visit.id, released)
    rate, temperature = (p.parameter_id for p in record.parameters)
    apps.record_value(record.id, rate, 15.5, "Line speed raised by the customer to 18,000 bph.")
    apps.record_value(record.id, temperature, 66)
    step1, step2 = (s.step_id for s in record.steps)
    apps.record_step(record.id, step1, "done")
    apps.record_step(record.id, step2, "skipped", "Rate already set by the customer.")
    apps.complete(record.id, "partially_successful", "Foam reduced; rate to be checked.")
    training = TrainingService(workspace, user_id=refs["engineer"])
    session = training.create_session(
        topic="Dosing pump maintenance",
        started_at=ARRIVAL + timedelta(hours=2),
        duration_minutes=60,
        case_id=case_id,
        visit_id=visit.id,
    )
    attendee = training.add_attendee(session.id, contact_id=contact_id)
    training.sign_off(attendee.id)
    training.add_attendee(session.id, "Ewa Wiśniewska", role="Operator")
    visits.update_notes(visit.id, work_performed=notes, findings="Packing worn out.")
    if photos:
        PhotoService(workspace).import_photos(PhotoOwner(case_id, visit.id), photos)
    return ReportVisit(case_id, case_number, visit.id, refs)


def sign(workspace: Workspace, visit_id: str, name: str = "Jan Nowak") -> str:
    return (
        SignatureService(workspace)
        .record_signature(
            signer_name=name,
            signer_role="Shift lead",
            png=signature_png(),
            strokes=[[[0.1, 0.5, 0.5], [0.4, 0.2, 0.6]]],
            visit_id=visit_id,
        )
        .id
    )
