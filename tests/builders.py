"""Test data built through the real services (no hand-written SQL)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fieldsupport.models import Asset, Customer, Product, Site, User
from fieldsupport.services.cases import CaseIntake, CaseService
from fieldsupport.workflow import Action
from fieldsupport.workspace import Workspace

MONDAY_9 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

# The happy path of a case up to "resolved", in workflow order.
TO_RESOLVED: list[tuple[Action, dict[str, str]]] = [
    (Action.TRIAGE, {"category": "pump", "priority": "high", "severity": "major"}),
    (Action.ASSIGN, {"assignee": "anna"}),
    (Action.RESPOND, {"response": "Engineer on site tomorrow 08:00."}),
    (Action.START_INVESTIGATION, {}),
    (Action.PROPOSE_SOLUTION, {"solution": "Replace the gland packing."}),
    (Action.START_IMPLEMENTATION, {}),
    (Action.REQUEST_VERIFICATION, {}),
    (Action.RECORD_VERIFICATION, {"verification": "Plant manager confirmed."}),
    (Action.RESOLVE, {"resolution": "Gland packing replaced; leak stopped."}),
]


def make_refs(workspace: Workspace) -> dict[str, str]:
    """A customer with a site, a product installed there as an asset, and engineer anna."""
    with workspace.transaction() as s:
        customer = Customer(name="Zakłady Chemiczne Odra S.A.")
        product = Product(code="P-100", name="Dosing pump DX-100")
        engineer = User(username="anna", display_name="Anna Kowalska")
        s.add_all([customer, product, engineer])
        s.flush()
        site = Site(customer_id=customer.id, name="Opole", address_line1="ul. Wrocławska 1")
        s.add(site)
        s.flush()
        asset = Asset(product_id=product.id, site_id=site.id, serial_number="DX-0001")
        s.add(asset)
        s.flush()
        return {
            "customer": customer.id,
            "site": site.id,
            "product": product.id,
            "asset": asset.id,
            "engineer": engineer.id,
        }


def open_case(service: CaseService, refs: dict[str, str], **kw: object) -> str:
    intake = CaseIntake(
        **{
            "assist_type": "A3",
            "title": "Leaking pump head",
            "customer_id": refs["customer"],
            "site_id": refs["site"],
            "asset_id": refs["asset"],
            "description": "Pump DX-100 leaks at the gland after restart.",
            "opened_at": MONDAY_9,
            **kw,
        }  # type: ignore[arg-type]
    )
    return service.open_case(intake).id


def walk(service: CaseService, case_id: str, steps: list[tuple[Action, dict[str, str]]]) -> None:
    now = MONDAY_9
    for action, inputs in steps:
        now += timedelta(hours=1)
        service.perform(case_id, action, inputs, now=now)
