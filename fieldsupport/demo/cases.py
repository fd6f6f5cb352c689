"""Bulk generation of demo cases: timelines through the real state machine, visits, time
entries and measurements, produced in batches of rows for Core inserts.

Batches are produced inline or, for large data sets, by worker processes while the caller
writes. Every chunk of cases has a random generator of its own (seeded from the demo seed and
the chunk number), so both ways give the same data for a seed.
"""

from __future__ import annotations

import functools
import multiprocessing
import queue
import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from fieldsupport.demo import recipe
from fieldsupport.models import Case, CaseEvent, Measurement, TimeEntry, Visit
from fieldsupport.models.enums import (
    AssistType,
    CaseEventKind,
    CaseStatus,
    Channel,
    MeasurementPhase,
    Priority,
    Severity,
    TimeEntryKind,
    VisitStatus,
)
from fieldsupport.services import numbering
from fieldsupport.services.sla import pauses_from_transitions, policy_from_settings
from fieldsupport.store.bulk import PreparedRows, prepare_rows
from fieldsupport.workflow import (
    Action,
    CaseState,
    SlaPolicy,
    Transition,
    allowed_actions,
    apply_action,
    case_sla,
    required_inputs,
)

CHUNK = 2_000
# Below this many cases a worker process costs more (start-up) than it saves.
WORKER_THRESHOLD = 20_000
# Generation costs about three times the writing: two generators keep the writer busy.
WORKERS = 2

# Steps the forward walk never takes by itself (detours are drawn separately).
_NOT_FORWARD = frozenset(
    {Action.REJECT_SOLUTION, Action.WAIT_ON_CUSTOMER, Action.ESCALATE, Action.REOPEN}
)
ASSIST_WEIGHTS = {
    AssistType.INQUIRY: 35,
    AssistType.CLAIM: 20,
    AssistType.CUSTOM_SOLUTION: 30,
    AssistType.ADVISORY: 15,
}
PRIORITY_WEIGHTS = {Priority.URGENT: 5, Priority.HIGH: 20, Priority.NORMAL: 55, Priority.LOW: 20}


@dataclass
class World:
    """Reference data the bulk generator draws from."""

    engineers: list[str]
    customers: list[tuple[str, list[str], list[str], dict[str, list[str]]]]
    # customer id, site ids, contact ids, site id -> asset ids
    product_codes: list[str]
    current_user: str


@functools.lru_cache(maxsize=65_536)
def _transition(
    state: CaseState, action: Action, inputs: tuple[tuple[str, str], ...]
) -> Transition:
    """The real state machine, memoised: it is pure, and 100,000 demo cases revisit the same
    few hundred (state, action, input) combinations over and over."""
    return apply_action(state, action, dict(inputs))


@functools.lru_cache(maxsize=16_384)
def _allowed(state: CaseState) -> tuple[Action, ...]:
    return tuple(allowed_actions(state))


class Ids:
    """Deterministic UUIDs from the demo's random generator."""

    def __init__(self, rng: random.Random) -> None:
        self._rng = rng

    def __call__(self) -> str:
        return str(uuid.UUID(int=self._rng.getrandbits(128), version=4))


class CaseBatch:
    def __init__(self) -> None:
        self.cases: list[dict[str, Any]] = []
        self.events: list[dict[str, Any]] = []
        self.visits: list[dict[str, Any]] = []
        self.time_entries: list[dict[str, Any]] = []
        self.measurements: list[dict[str, Any]] = []

    def prepared(self) -> list[PreparedRows]:
        """The rows serialised for SQLite, in insert order (parents before children)."""
        return [
            prepare_rows(model, rows)
            for model, rows in (
                (Case, self.cases),
                (CaseEvent, self.events),
                (Visit, self.visits),
                (TimeEntry, self.time_entries),
                (Measurement, self.measurements),
            )
        ]


@dataclass(frozen=True)
class CaseJob:
    """Everything the case generator needs; picklable, for the worker process."""

    seed: int
    world: World
    policy_settings: dict[str, Any] | None  # the workspace's "sla_policy" (a policy itself
    # holds read-only mappings that do not pickle)
    reference: datetime
    device_code: str
    first_sequence: int
    cases: int


@dataclass(frozen=True)
class WrittenBatch:
    """A batch as it crosses to the writer: prepared rows and the counts for the summary."""

    tables: list[PreparedRows]
    cases: int
    events: int
    visits: int
    measurements: int

    @classmethod
    def of(cls, batch: CaseBatch) -> WrittenBatch:
        return cls(
            batch.prepared(),
            len(batch.cases),
            len(batch.events),
            len(batch.visits),
            len(batch.measurements),
        )


def produce_batch(job: CaseJob, chunk: int) -> CaseBatch:
    """Chunk ``chunk`` of the job. Each chunk has its own random generator, so chunks can be
    made in any order, by any number of processes, and the data stays the same."""
    rng = random.Random(f"fieldsupport-demo-cases-{job.seed}-{chunk}")
    new_id = Ids(rng)
    policy = _policy(job)
    batch = CaseBatch()
    for i in range(chunk * CHUNK, min((chunk + 1) * CHUNK, job.cases)):
        number = numbering.format_case_number(job.device_code, job.first_sequence + i)
        _generate_case(batch, rng, new_id, job.world, policy, job.reference, number)
    return batch


def chunk_count(job: CaseJob) -> int:
    return -(-job.cases // CHUNK)


_policies: dict[str, SlaPolicy] = {}


def _policy(job: CaseJob) -> SlaPolicy:
    key = repr(job.policy_settings)
    if key not in _policies:
        _policies[key] = policy_from_settings(job.policy_settings)
    return _policies[key]


def _worker(job: CaseJob, chunks: range, out: Any, stop: Any) -> None:
    try:
        for chunk in chunks:
            if stop.is_set():
                return
            out.put(WrittenBatch.of(produce_batch(job, chunk)))
    except BaseException as exc:  # the parent re-raises it with the message
        out.put(f"{type(exc).__name__}: {exc}")


def batches(job: CaseJob) -> Iterator[WrittenBatch]:
    """The job's batches: made here for small jobs, by worker processes for large ones
    (in whatever order they finish)."""
    total = chunk_count(job)
    if job.cases < WORKER_THRESHOLD:
        for chunk in range(total):
            yield WrittenBatch.of(produce_batch(job, chunk))
        return
    context = multiprocessing.get_context("spawn")  # no fork of a process holding SQLite
    out = context.Queue(maxsize=4)
    stop = context.Event()
    processes = [
        context.Process(
            target=_worker, args=(job, range(k, total, WORKERS), out, stop), name=f"demo-{k}"
        )
        for k in range(WORKERS)
    ]
    for process in processes:
        process.start()
    try:
        for _ in range(total):
            while True:
                try:
                    item = out.get(timeout=1.0)
                    break
                except queue.Empty:
                    if not all(p.is_alive() or p.exitcode == 0 for p in processes):
                        raise RuntimeError(
                            "a demo generator process stopped unexpectedly"
                        ) from None
            if isinstance(item, str):
                raise RuntimeError(f"demo generator failed: {item}")
            yield item
    finally:
        stop.set()
        while any(p.is_alive() for p in processes):
            try:  # unblock workers waiting to put a batch
                out.get(timeout=0.1)
            except queue.Empty:
                for process in processes:
                    process.join(timeout=0.05)
        out.close()
        out.join_thread()


def _sync_columns(record_id: str, created: datetime, updated: datetime) -> dict[str, Any]:
    return {
        "id": record_id,
        "version": 1,
        "created_at": created,
        "updated_at": updated,
        "deleted_at": None,
    }


def _inputs_for(
    action: Action, state: CaseState, rng: random.Random, world: World
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
    if action is Action.CLOSE and state.customer_verified:
        del values["close_reason"]  # only needed (and only recorded) without a verification
    return {name: values[name] for name in required_inputs(action) if name in values}


def _next_action(state: CaseState, rng: random.Random, detours: int) -> Action | None:
    allowed = _allowed(state)  # the usual next step comes first (workflow's own order)
    if detours < 2 and rng.random() < 0.06:
        for detour in (Action.WAIT_ON_CUSTOMER, Action.ESCALATE):
            if detour in allowed and rng.random() < 0.5:
                return detour
    if Action.RESUME in allowed:
        return Action.RESUME
    if state.assist_type is AssistType.INQUIRY and Action.RESOLVE in allowed and rng.random() < 0.7:
        return Action.RESOLVE
    for action in allowed:
        if action in _NOT_FORWARD:
            continue
        if action is Action.RECORD_VERIFICATION and Action.CLOSE in allowed and rng.random() < 0.2:
            return Action.CLOSE  # closed without verification: with a recorded reason
        return action
    return None


def _generate_case(
    rows: CaseBatch,
    rng: random.Random,
    new_id: Ids,
    world: World,
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
        inputs = _inputs_for(action, state, rng, world)
        transition = _transition(state, action, tuple(sorted(inputs.items())))
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
        if rng.random() < 0.12:
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
    rows: CaseBatch,
    rng: random.Random,
    new_id: Ids,
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
