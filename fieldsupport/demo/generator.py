"""Deterministic demo workspace: realistic customers, cases of all four assist types in varied
states with timelines, visits with measurements, and one of everything else.

Cases walk through the real workflow state machine (``fieldsupport.workflow``), so every demo
case is in a state the app can reach. Bulk rows go in with Core ``insert()`` executemany in one
transaction: 100,000 cases take seconds, and a cancelled or failed run leaves nothing behind.
"""

from __future__ import annotations

import random
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from fieldsupport.demo import recipe
from fieldsupport.demo.rich import add_rich_records
from fieldsupport.errors import ValidationError, WorkspaceError
from fieldsupport.models import (
    Asset,
    Case,
    CaseEvent,
    Contact,
    Customer,
    Measurement,
    Product,
    Setting,
    Site,
    TimeEntry,
    User,
    Visit,
)
from fieldsupport.models.enums import (
    AssistType,
    CaseEventKind,
    CaseStatus,
    Channel,
    MeasurementPhase,
    Priority,
    Severity,
    TimeEntryKind,
    UserRole,
    VisitStatus,
)
from fieldsupport.services import numbering
from fieldsupport.services.sla import load_policy, pauses_from_transitions
from fieldsupport.tasks import TaskState
from fieldsupport.workflow import (
    Action,
    CaseState,
    SlaPolicy,
    allowed_actions,
    apply_action,
    case_sla,
    required_inputs,
)
from fieldsupport.workspace import Workspace

DEFAULT_SEED = 20261123
MAX_CASES = 1_000_000
CHUNK = 2_000

# The usual next step, in order of preference; the generator adds detours (waiting on the
# customer, escalations) and stops at a random depth.
FORWARD = [
    Action.TRIAGE,
    Action.ASSIGN,
    Action.RESPOND,
    Action.START_INVESTIGATION,
    Action.PROPOSE_SOLUTION,
    Action.START_IMPLEMENTATION,
    Action.REQUEST_VERIFICATION,
    Action.RECORD_VERIFICATION,
    Action.RESOLVE,
    Action.CLOSE,
]
ASSIST_WEIGHTS = {
    AssistType.INQUIRY: 35,
    AssistType.CLAIM: 20,
    AssistType.CUSTOM_SOLUTION: 30,
    AssistType.ADVISORY: 15,
}
PRIORITY_WEIGHTS = {Priority.URGENT: 5, Priority.HIGH: 20, Priority.NORMAL: 55, Priority.LOW: 20}


@dataclass
class DemoSummary:
    cases: int = 0
    events: int = 0
    visits: int = 0
    measurements: int = 0
    seconds: float = 0.0
    counts: dict[str, int] = field(default_factory=dict)


@dataclass
class _World:
    """Reference data the bulk generator draws from."""

    engineers: list[str]
    customers: list[tuple[str, list[str], list[str], dict[str, list[str]]]]
    # customer id, site ids, contact ids, site id -> asset ids
    product_codes: list[str]
    current_user: str


class _Ids:
    """Deterministic UUIDs from the demo's random generator."""

    def __init__(self, rng: random.Random) -> None:
        self._rng = rng

    def __call__(self) -> str:
        return str(uuid.UUID(int=self._rng.getrandbits(128), version=4))


def create_demo(
    workspace: Workspace,
    *,
    cases: int = 200,
    seed: int = DEFAULT_SEED,
    reference: datetime | None = None,
    task: TaskState | None = None,
) -> DemoSummary:
    """Fill an empty workspace with demo data. Refuses a workspace that already has cases."""
    if not 0 <= cases <= MAX_CASES:
        raise ValidationError(f"The number of demo cases must be between 0 and {MAX_CASES:,}.")
    if reference is None:
        today = datetime.now(UTC).date()
        reference = datetime(today.year, today.month, today.day, 12, tzinfo=UTC)
    if reference.tzinfo is None:
        raise ValidationError("The demo reference time must include a time zone.")
    task = task or TaskState()
    started = time.perf_counter()
    rng = random.Random(seed)
    new_id = _Ids(rng)
    summary = DemoSummary()
    with workspace.transaction() as session:
        if session.scalar(select(func.count()).select_from(Case)):
            raise WorkspaceError(
                f"The workspace {workspace.root} already has cases; demo data goes into an "
                "empty workspace. Choose a new folder."
            )
        task.progress(0.0, "Creating customers and products")
        world = _create_reference_data(session, rng, new_id, reference)
        policy = load_policy(session)
        code, first = numbering.reserve_case_numbers(session, cases)
        generated = 0
        while generated < cases:
            count = min(CHUNK, cases - generated)
            rows = _CaseBatch()
            for i in range(count):
                _generate_case(
                    rows,
                    rng,
                    new_id,
                    world,
                    policy,
                    reference,
                    numbering.format_case_number(code, first + generated + i),
                )
            rows.write(session)
            summary.events += len(rows.events)
            summary.visits += len(rows.visits)
            summary.measurements += len(rows.measurements)
            generated += count
            task.progress(0.05 + 0.9 * generated / max(cases, 1), f"{generated:,} cases")
        add_rich_records(session, new_id, reference, world.current_user)
        session.add(Setting(key="current_user_id", value=world.current_user))
        session.add(Setting(key="demo", value={"seed": seed, "reference": reference.isoformat()}))
        summary.cases = cases
        summary.counts = {
            status.value: n
            for status, n in session.execute(
                select(Case.status, func.count()).group_by(Case.status)
            ).all()
        }
    task.progress(1.0, "Done")
    summary.seconds = time.perf_counter() - started
    return summary


def _create_reference_data(
    session: Session, rng: random.Random, new_id: _Ids, reference: datetime
) -> _World:
    users = []
    for username, name, role, team in recipe.USERS:
        users.append(
            User(
                id=new_id(),
                username=username,
                display_name=name,
                role=role,
                team=team,
                email=f"{username}@fieldsupport.example",
            )
        )
    session.add_all(users)
    products = {
        code: Product(id=new_id(), code=code, name=name, category=category)
        for code, name, category in recipe.PRODUCTS
    }
    session.add_all(products.values())
    customers = []
    for index, (name, industry, country, sites) in enumerate(recipe.CUSTOMERS):
        customer = Customer(
            id=new_id(), name=name, industry=industry, account_number=f"C{10_000 + index * 37}"
        )
        session.add(customer)
        # explicit flushes: the unit of work orders inserts by relationships only, and not
        # every foreign key here has one (e.g. contacts.site_id)
        session.flush()
        site_ids: list[str] = []
        assets: dict[str, list[str]] = {}
        for site_name, street, postal, city, lat, lon, access in sites:
            site = Site(
                id=new_id(),
                customer_id=customer.id,
                name=site_name,
                address_line1=street,
                postal_code=postal,
                city=city,
                country=country,
                latitude=lat,
                longitude=lon,
                access_notes=access,
            )
            session.add(site)
            site_ids.append(site.id)
            assets[site.id] = []
            for _ in range(rng.randint(2, 5)):
                code = rng.choice(recipe.EQUIPMENT_CODES)
                installed = (reference - timedelta(days=rng.randint(60, 2500))).date()
                asset = Asset(
                    id=new_id(),
                    product_id=products[code].id,
                    site_id=site.id,
                    serial_number=f"{code}-{rng.randint(10_000, 99_999)}",
                    install_date=installed,
                    warranty_end=date(installed.year + 2, installed.month, min(installed.day, 28)),
                )
                session.add(asset)
                assets[site.id].append(asset.id)
        session.flush()
        contact_ids = []
        for _ in range(rng.randint(2, 4)):
            first, last = rng.choice(recipe.FIRST_NAMES), rng.choice(recipe.LAST_NAMES)
            contact = Contact(
                id=new_id(),
                customer_id=customer.id,
                site_id=rng.choice(site_ids),
                name=f"{first} {last}",
                role=rng.choice(recipe.CONTACT_ROLES),
                email=f"contact{rng.randint(100, 999)}@customer.example",
                phone=f"+{rng.randint(30, 49)} {rng.randint(100, 999)} {rng.randint(100, 999)} "
                f"{rng.randint(100, 999)}",
            )
            session.add(contact)
            contact_ids.append(contact.id)
        customers.append((customer.id, site_ids, contact_ids, assets))
    session.flush()
    engineers = [u.id for u in users if u.role is UserRole.ENGINEER]
    return _World(
        engineers=engineers,
        customers=customers,
        product_codes=[code for code, _n, _c in recipe.PRODUCTS],
        current_user=engineers[0],
    )


class _CaseBatch:
    def __init__(self) -> None:
        self.cases: list[dict[str, Any]] = []
        self.events: list[dict[str, Any]] = []
        self.visits: list[dict[str, Any]] = []
        self.time_entries: list[dict[str, Any]] = []
        self.measurements: list[dict[str, Any]] = []

    def write(self, session: Session) -> None:
        for model, rows in (
            (Case, self.cases),
            (CaseEvent, self.events),
            (Visit, self.visits),
            (TimeEntry, self.time_entries),
            (Measurement, self.measurements),
        ):
            if rows:
                session.execute(insert(model.__table__), rows)  # type: ignore[attr-defined]


def _sync_columns(record_id: str, created: datetime, updated: datetime) -> dict[str, Any]:
    return {
        "id": record_id,
        "version": 1,
        "created_at": created,
        "updated_at": updated,
        "deleted_at": None,
    }


def _inputs_for(
    action: Action, state: CaseState, rng: random.Random, world: _World
) -> dict[str, str]:
    values = {
        "reason": rng.choice(
            [
                "Waiting for process data from the customer",
                "Needs tier-2 expertise",
                "Customer reports the problem again",
                "Spare part on back-order",
            ]
        ),
        "assignee": world.current_user if rng.random() < 0.3 else rng.choice(world.engineers),
        "response": "Acknowledged; an engineer will contact you within one business day.",
        "resolution": rng.choice(recipe.RESOLUTIONS),
        "solution": "Proposed adjustment of the dosing programme; see attached plan.",
        "verification": "Customer confirmed by phone that the issue is solved.",
        "close_reason": "No answer from the customer after three reminders.",
    }
    return {name: values[name] for name in required_inputs(action) if name in values}


def _next_action(state: CaseState, rng: random.Random, detours: int) -> Action | None:
    allowed = allowed_actions(state)
    if not allowed:
        return None
    if detours < 2 and rng.random() < 0.06:
        for detour in (Action.WAIT_ON_CUSTOMER, Action.ESCALATE):
            if detour in allowed and rng.random() < 0.5:
                return detour
    if Action.RESUME in allowed:
        return Action.RESUME
    if state.assist_type is AssistType.INQUIRY and Action.RESOLVE in allowed and rng.random() < 0.7:
        return Action.RESOLVE
    for action in FORWARD:
        if action is Action.RECORD_VERIFICATION and state.customer_verified:
            continue
        if action is Action.CLOSE and not state.customer_verified and rng.random() < 0.8:
            continue  # usually verify first; sometimes close with a recorded reason
        if action in allowed:
            return action
    return allowed[0] if allowed[0] not in (Action.REOPEN,) else None


def _generate_case(
    rows: _CaseBatch,
    rng: random.Random,
    new_id: _Ids,
    world: _World,
    policy: SlaPolicy,
    reference: datetime,
    case_number: str,
) -> None:
    assist_type = rng.choices(list(ASSIST_WEIGHTS), weights=list(ASSIST_WEIGHTS.values()))[0]
    priority = rng.choices(list(PRIORITY_WEIGHTS), weights=list(PRIORITY_WEIGHTS.values()))[0]
    customer_id, site_ids, contact_ids, assets = rng.choice(world.customers)
    site_id = rng.choice(site_ids)
    asset_id = rng.choice(assets[site_id]) if assets[site_id] else None
    age_days = rng.expovariate(1 / 90)  # most cases recent, a long tail of old ones
    opened = reference - timedelta(days=min(age_days, 720), minutes=rng.randint(0, 600))
    case_id = new_id()
    product = rng.choice(world.product_codes)
    title = rng.choice(recipe.CASE_TITLES[assist_type.value]).format(product=product)

    state = CaseState(assist_type=assist_type)
    depth = rng.choice([0, 1, 2, 3, 4, 5, 6, 8, 10, 12, 14, 14, 16, 16, 16])
    now = opened
    transitions: list[tuple[datetime, CaseStatus | None, CaseStatus | None]] = [
        (opened, None, CaseStatus.NEW)
    ]
    rows.events.append(
        {
            **_sync_columns(new_id(), opened, opened),
            "case_id": case_id,
            "kind": CaseEventKind.STATUS_CHANGE,
            "occurred_at": opened,
            "author_id": None,
            "body": "Case opened",
            "from_status": None,
            "to_status": CaseStatus.NEW,
            "data": None,
        }
    )
    first_response_at = resolved_at = closed_at = None
    promised = None
    implementing_at: datetime | None = None
    detours = 0
    for _ in range(depth):
        action = _next_action(state, rng, detours)
        if action is None:
            break
        step = timedelta(minutes=rng.randint(20, 60 * 30))
        if now + step > reference:
            break
        now += step
        if action in (Action.WAIT_ON_CUSTOMER, Action.ESCALATE):
            detours += 1
        transition = apply_action(state, action, _inputs_for(action, state, rng, world))
        state = transition.after
        transitions.append((now, transition.before.status, state.status))
        kind = {Action.ESCALATE: CaseEventKind.ESCALATION, Action.ASSIGN: CaseEventKind.ASSIGNMENT}
        rows.events.append(
            {
                **_sync_columns(new_id(), now, now),
                "case_id": case_id,
                "kind": kind.get(action, CaseEventKind.STATUS_CHANGE),
                "occurred_at": now,
                "author_id": state.assignee,
                "body": transition.summary,
                "from_status": transition.before.status,
                "to_status": state.status,
                "data": {"action": action.value},
            }
        )
        if state.responded and first_response_at is None:
            first_response_at, promised = now, "An engineer will contact you within one day."
        if action is Action.START_IMPLEMENTATION:
            implementing_at = now
        if state.status is CaseStatus.RESOLVED and resolved_at is None:
            resolved_at = now
        if state.status is CaseStatus.CLOSED:
            closed_at = now
        if rng.random() < 0.25:
            note_at = min(now + timedelta(minutes=rng.randint(5, 240)), reference)
            rows.events.append(
                {
                    **_sync_columns(new_id(), note_at, note_at),
                    "case_id": case_id,
                    "kind": rng.choice(
                        [CaseEventKind.NOTE, CaseEventKind.CALL, CaseEventKind.EMAIL]
                    ),
                    "occurred_at": note_at,
                    "author_id": state.assignee,
                    "body": rng.choice(recipe.NOTES),
                    "from_status": None,
                    "to_status": None,
                    "data": None,
                }
            )

    sla = case_sla(
        policy,
        priority,
        opened,
        first_response_at,
        resolved_at,
        pauses_from_transitions(transitions),
        reference,
    )
    rows.cases.append(
        {
            **_sync_columns(case_id, opened, now),
            "case_number": case_number,
            "assist_type": assist_type,
            "title": title,
            "channel": rng.choice(list(Channel)),
            "category": product.split("-")[0].lower(),
            "priority": priority,
            "severity": rng.choice(list(Severity)),
            "status": state.status,
            "resume_status": state.resume_status,
            "support_tier": state.tier,
            "assignee_id": state.assignee,
            "customer_id": customer_id,
            "site_id": site_id,
            "reporting_contact_id": rng.choice(contact_ids),
            "asset_id": asset_id,
            "description": f"{title}. Reported by the customer; details in the timeline.",
            "resolution": state.resolution,
            "promised_response": promised,
            "verification": "Confirmed by the customer." if state.customer_verified else None,
            "customer_verified": state.customer_verified,
            "close_reason": state.close_reason,
            "opened_at": opened,
            "first_response_due": None if first_response_at else sla.first_response.due_at,
            "resolution_due": None if resolved_at else sla.resolution.due_at,
            "first_response_at": first_response_at,
            "resolved_at": resolved_at,
            "closed_at": closed_at,
            "csat_score": rng.choice([3, 4, 4, 5, 5, 5])
            if closed_at and rng.random() < 0.6
            else None,
            "csat_comment": None,
        }
    )
    if implementing_at is not None or (first_response_at and rng.random() < 0.15):
        start = implementing_at or first_response_at
        assert start is not None
        for visit_index in range(1 if rng.random() < 0.8 else 2):
            _generate_visit(
                rows, rng, new_id, case_id, state.assignee, start, reference, visit_index
            )


def _generate_visit(
    rows: _CaseBatch,
    rng: random.Random,
    new_id: _Ids,
    case_id: str,
    engineer_id: str | None,
    after: datetime,
    reference: datetime,
    index: int,
) -> None:
    travel_start = after + timedelta(hours=2 + 26 * index, minutes=rng.randint(0, 300))
    travel = rng.randint(15, 180)
    arrived = travel_start + timedelta(minutes=travel)
    departed = arrived + timedelta(minutes=rng.randint(45, 420))
    visit_id = new_id()
    done = departed <= reference
    rows.visits.append(
        {
            **_sync_columns(visit_id, travel_start, departed if done else travel_start),
            "case_id": case_id,
            "engineer_id": engineer_id,
            "status": VisitStatus.COMPLETED if done else VisitStatus.PLANNED,
            "planned_start": travel_start,
            "planned_end": departed,
            "travel_started_at": travel_start if done else None,
            "arrived_at": arrived if done else None,
            "departed_at": departed if done else None,
            "travel_minutes": travel if done else None,
            "travel_distance_km": round(travel * rng.uniform(0.6, 1.1), 1) if done else None,
            "work_performed": "Inspected the installation, serviced the dosing line, tested."
            if done
            else None,
            "findings": "Wear on the check valves; dosing line partly blocked." if done else None,
            "follow_up_needed": done and rng.random() < 0.2,
            "follow_up_notes": None,
        }
    )
    if not done:
        return
    for kind, start, minutes in (
        (TimeEntryKind.TRAVEL, travel_start, travel),
        (TimeEntryKind.WORK, arrived, int((departed - arrived).total_seconds() // 60)),
    ):
        rows.time_entries.append(
            {
                **_sync_columns(new_id(), start, start),
                "visit_id": visit_id,
                "engineer_id": engineer_id,
                "kind": kind,
                "started_at": start,
                "minutes": minutes,
                "note": None,
            }
        )
    for name, unit, low, high, typical, spread in rng.sample(recipe.MEASUREMENTS, 3):
        at = arrived + timedelta(minutes=rng.randint(5, 40))
        rows.measurements.append(
            {
                **_sync_columns(new_id(), at, at),
                "visit_id": visit_id,
                "application_record_id": None,
                "name": name,
                "value": round(rng.gauss(typical, spread / 2), 2),
                "unit": unit or None,
                "lower_limit": low,
                "upper_limit": high,
                "phase": rng.choice(list(MeasurementPhase)),
                "measured_at": at,
                "note": None,
            }
        )
