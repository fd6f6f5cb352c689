"""Case operations: intake, workflow actions, timeline entries, satisfaction."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import false, or_, select
from sqlalchemy.orm import Session, selectinload

from fieldsupport.errors import ConflictError, NotFoundError, ValidationError
from fieldsupport.models import Asset, Case, CaseEvent, Contact, Customer, Site, User, utcnow
from fieldsupport.models.base import TEXT_LEN
from fieldsupport.models.enums import (
    AssistType,
    CaseEventKind,
    CaseStatus,
    Channel,
    Priority,
    Severity,
)
from fieldsupport.services import numbering
from fieldsupport.services.records import get_live, resolve_user
from fieldsupport.services.sla import case_pauses, compute_case_sla, load_policy, refresh_due_times
from fieldsupport.services.validation import (
    optional_text,
    parse_enum,
    require_aware,
    require_text,
)
from fieldsupport.services.views import CaseDetail, CaseEventView, CaseRow
from fieldsupport.workflow import Action, CaseState, allowed_actions, apply_action
from fieldsupport.workspace import Workspace

# Timeline entries a person adds by hand (the others are written by the services).
MANUAL_EVENT_KINDS = (CaseEventKind.NOTE, CaseEventKind.CALL, CaseEventKind.EMAIL)


@dataclass(frozen=True)
class CaseIntake:
    """What the engineer or the call centre knows when a case is opened."""

    assist_type: AssistType | str
    title: str
    customer_id: str
    channel: Channel | str = Channel.PHONE
    description: str | None = None
    site_id: str | None = None
    contact_id: str | None = None
    asset_id: str | None = None
    priority: Priority | str = Priority.NORMAL
    severity: Severity | str = Severity.MODERATE
    category: str | None = None
    opened_at: datetime | None = None


def state_of(case: Case) -> CaseState:
    return CaseState(
        assist_type=case.assist_type,
        status=case.status,
        tier=case.support_tier,
        resume_status=case.resume_status,
        assignee=case.assignee_id,
        resolution=case.resolution,
        customer_verified=case.customer_verified,
        close_reason=case.close_reason,
        responded=case.first_response_at is not None,
    )


class CaseService:
    def __init__(self, workspace: Workspace, *, user_id: str | None = None) -> None:
        self.workspace = workspace
        self.user_id = user_id

    # -- intake -----------------------------------------------------------------------------
    def open_case(self, intake: CaseIntake) -> CaseDetail:
        assist_type = parse_enum(AssistType, intake.assist_type, "assist type")
        channel = parse_enum(Channel, intake.channel, "channel")
        priority = parse_enum(Priority, intake.priority, "priority")
        severity = parse_enum(Severity, intake.severity, "severity")
        title = require_text(intake.title, "title")
        description = optional_text(intake.description, "description")
        category = optional_text(intake.category, "category", max_len=64)
        opened_at = require_aware(intake.opened_at, "opened at") if intake.opened_at else utcnow()
        with self.workspace.transaction() as session:
            customer = get_live(session, Customer, intake.customer_id, "customer")
            for model, ref_id, label in (
                (Site, intake.site_id, "site"),
                (Contact, intake.contact_id, "contact"),
                (Asset, intake.asset_id, "asset"),
            ):
                if ref_id is not None:
                    record = get_live(session, model, ref_id, label)
                    owner = getattr(record, "customer_id", None)
                    if owner is not None and owner != customer.id:
                        raise ValidationError(f"That {label} belongs to another customer.")
            case = Case(
                case_number=numbering.next_case_number(session),
                assist_type=assist_type,
                title=title,
                channel=channel,
                category=category,
                priority=priority,
                severity=severity,
                status=CaseStatus.NEW,
                support_tier=1,
                customer_id=customer.id,
                site_id=intake.site_id,
                reporting_contact_id=intake.contact_id,
                asset_id=intake.asset_id,
                description=description,
                opened_at=opened_at,
            )
            session.add(case)
            session.flush()
            session.add(
                CaseEvent(
                    case_id=case.id,
                    kind=CaseEventKind.STATUS_CHANGE,
                    occurred_at=opened_at,
                    author_id=self.user_id,
                    body=f"Case opened ({channel.value.replace('_', ' ')})",
                    to_status=CaseStatus.NEW,
                )
            )
            refresh_due_times(load_policy(session), case, [], opened_at)
            case_id = case.id
        return self.get_case(case_id)

    # -- reading ----------------------------------------------------------------------------
    def get_case(self, case_id: str, *, now: datetime | None = None) -> CaseDetail:
        with self.workspace.transaction() as session:
            case = session.scalar(
                select(Case)
                .where(Case.id == case_id, Case.deleted_at.is_(None))
                .options(
                    selectinload(Case.customer),
                    selectinload(Case.site),
                    selectinload(Case.asset).selectinload(Asset.product),
                    selectinload(Case.reporting_contact),
                    selectinload(Case.assignee),
                    selectinload(Case.events).selectinload(CaseEvent.author),
                )
            )
            if case is None:
                raise NotFoundError("That case does not exist (or was deleted).")
            return _detail(session, case, now or utcnow())

    def find_by_number(self, case_number: str) -> CaseDetail:
        with self.workspace.transaction() as session:
            case_id = session.scalar(
                select(Case.id).where(
                    Case.case_number == case_number.strip().upper(), Case.deleted_at.is_(None)
                )
            )
        if case_id is None:
            raise NotFoundError(f"There is no case {case_number!r} in this workspace.")
        return self.get_case(case_id)

    # -- workflow ---------------------------------------------------------------------------
    def perform(
        self,
        case_id: str,
        action: Action | str,
        inputs: Mapping[str, str] | None = None,
        *,
        now: datetime | None = None,
        expected_version: int | None = None,
    ) -> CaseDetail:
        """Apply a workflow action. ``TRIAGE`` also takes ``category``, ``priority`` and
        ``severity``; ``ASSIGN`` takes ``assignee`` as a user id or user name."""
        action = parse_enum(Action, action, "action")
        now = require_aware(now, "time") if now else utcnow()
        given = {k: v for k, v in (inputs or {}).items() if v is not None}
        with self.workspace.transaction() as session:
            case = get_live(session, Case, case_id, "case")
            if expected_version is not None and case.version != expected_version:
                raise ValidationError(
                    "The case was changed meanwhile; reload it and try again.", field="version"
                )
            if action is Action.ASSIGN and given.get("assignee"):
                given["assignee"] = resolve_user(session, given["assignee"]).id
            transition = apply_action(state_of(case), action, given)
            before, after = transition.before, transition.after
            if action is Action.TRIAGE:
                _apply_triage(case, given)
            case.status = after.status
            case.resume_status = after.resume_status
            case.support_tier = after.tier
            case.assignee_id = after.assignee
            case.resolution = after.resolution
            case.customer_verified = after.customer_verified
            case.close_reason = after.close_reason
            if after.responded and not before.responded:
                case.first_response_at = now
                case.promised_response = optional_text(given.get("response"), "response")
            if action is Action.RECORD_VERIFICATION:
                case.verification = optional_text(given.get("verification"), "verification")
            if after.status is CaseStatus.RESOLVED and before.status is not CaseStatus.RESOLVED:
                case.resolved_at = now
            if after.status is CaseStatus.CLOSED:
                case.closed_at = now
            if before.customer_verified and not after.customer_verified:
                case.verification = None  # reopen / rejected solution: verify again
            if action is Action.REOPEN:
                case.resolved_at = None
                case.closed_at = None
            session.add(
                CaseEvent(
                    case_id=case.id,
                    kind=_event_kind(action),
                    occurred_at=now,
                    author_id=self.user_id,
                    body=transition.summary,
                    from_status=before.status,
                    to_status=after.status,
                    data={"action": action.value, **{k: v for k, v in given.items()}},
                )
            )
            session.flush()
            refresh_due_times(load_policy(session), case, case_pauses(session, case.id), now)
        return self.get_case(case_id, now=now)

    # -- timeline ---------------------------------------------------------------------------
    def add_event(
        self,
        case_id: str,
        kind: CaseEventKind | str,
        body: str,
        *,
        data: Mapping[str, Any] | None = None,
        occurred_at: datetime | None = None,
    ) -> CaseEventView:
        kind = parse_enum(CaseEventKind, kind, "entry kind")
        if kind not in MANUAL_EVENT_KINDS:
            allowed = ", ".join(k.value for k in MANUAL_EVENT_KINDS)
            raise ValidationError(f"Only these entries can be added by hand: {allowed}.")
        text = require_text(body, "text", max_len=TEXT_LEN)
        when = require_aware(occurred_at, "time") if occurred_at else utcnow()
        with self.workspace.transaction() as session:
            case = get_live(session, Case, case_id, "case")
            event = CaseEvent(
                case_id=case.id,
                kind=kind,
                occurred_at=when,
                author_id=self.user_id,
                body=text,
                data=dict(data) if data else None,
            )
            session.add(event)
            case.updated_at = utcnow()
            session.flush()
            author = session.get(User, self.user_id) if self.user_id else None
            return CaseEventView(
                event.id, kind, when, author.display_name if author else None, text, None, None
            )

    def update_description(
        self, case_id: str, description: str | None, *, expected_version: int | None = None
    ) -> int:
        """Save the case description as it is typed; returns the case's new version.

        With ``expected_version`` the save is refused when someone else changed the case in
        between (the caller reloads instead of overwriting their change)."""
        text = optional_text(description, "description")
        with self.workspace.transaction() as session:
            case = get_live(session, Case, case_id, "case")
            if expected_version is not None and case.version != expected_version:
                raise ConflictError(
                    "This case was changed elsewhere since you opened it; reopen it to see "
                    "the current text."
                )
            if case.description != text:
                case.description = text
                session.flush()
            return case.version

    def history(self, case_id: str, limit: int = 200) -> list[CaseRow]:
        """Other cases of the same asset, then of the same customer, newest first."""
        with self.workspace.transaction() as session:
            case = get_live(session, Case, case_id, "case")
            same = Case.asset_id == case.asset_id if case.asset_id else false()
            stmt = (
                select(Case.id)
                .where(
                    Case.id != case.id,
                    Case.deleted_at.is_(None),
                    or_(same, Case.customer_id == case.customer_id),
                )
                .order_by(same.desc(), Case.opened_at.desc())
                .limit(limit)
            )
            ids = list(session.scalars(stmt))
        from fieldsupport.services.case_queries import CaseListService

        return CaseListService(self.workspace).rows(ids)

    def record_satisfaction(self, case_id: str, score: int, comment: str | None = None) -> None:
        if not isinstance(score, int) or not 1 <= score <= 5:
            raise ValidationError("Satisfaction must be a score from 1 to 5.", field="csat_score")
        with self.workspace.transaction() as session:
            case = get_live(session, Case, case_id, "case")
            case.csat_score = score
            case.csat_comment = optional_text(comment, "comment")


def _apply_triage(case: Case, given: Mapping[str, str]) -> None:
    if given.get("priority"):
        case.priority = parse_enum(Priority, given["priority"], "priority")
    if given.get("severity"):
        case.severity = parse_enum(Severity, given["severity"], "severity")
    if given.get("category"):
        case.category = optional_text(given["category"], "category", max_len=64)


def _event_kind(action: Action) -> CaseEventKind:
    if action is Action.ESCALATE:
        return CaseEventKind.ESCALATION
    if action is Action.ASSIGN:
        return CaseEventKind.ASSIGNMENT
    return CaseEventKind.STATUS_CHANGE


def _detail(session: Session, case: Case, now: datetime) -> CaseDetail:
    contact = case.reporting_contact
    pauses = case_pauses(session, case.id)
    sla = compute_case_sla(load_policy(session), case, pauses, now)
    events = tuple(
        CaseEventView(
            e.id,
            e.kind,
            e.occurred_at,
            e.author.display_name if e.author else None,
            e.body,
            e.from_status,
            e.to_status,
        )
        for e in case.events
        if e.deleted_at is None
    )
    return CaseDetail(
        id=case.id,
        case_number=case.case_number,
        assist_type=case.assist_type,
        title=case.title,
        channel=case.channel,
        category=case.category,
        priority=case.priority,
        severity=case.severity,
        status=case.status,
        support_tier=case.support_tier,
        customer_id=case.customer_id,
        customer=case.customer.name,
        site=case.site.name if case.site else None,
        asset_serial=case.asset.serial_number if case.asset else None,
        assignee_id=case.assignee_id,
        assignee=case.assignee.display_name if case.assignee else None,
        description=case.description,
        resolution=case.resolution,
        promised_response=case.promised_response,
        customer_verified=case.customer_verified,
        close_reason=case.close_reason,
        opened_at=case.opened_at,
        first_response_at=case.first_response_at,
        resolved_at=case.resolved_at,
        closed_at=case.closed_at,
        csat_score=case.csat_score,
        csat_comment=case.csat_comment,
        version=case.version,
        sla=sla,
        allowed_actions=tuple(allowed_actions(state_of(case))),
        events=events,
        site_address=_address(case.site),
        site_access_notes=case.site.access_notes if case.site else None,
        contact_name=contact.name if contact else None,
        contact_role=contact.role if contact else None,
        contact_email=contact.email if contact else None,
        contact_phone=contact.phone if contact else None,
        asset_id=case.asset_id,
        asset_product=case.asset.product.name if case.asset else None,
        asset_lot=case.asset.lot_number if case.asset else None,
        asset_warranty_end=case.asset.warranty_end if case.asset else None,
    )


def _address(site: Site | None) -> str | None:
    if site is None:
        return None
    city = " ".join(p for p in (site.postal_code, site.city) if p)
    parts = [site.address_line1, site.address_line2, city, site.country]
    return ", ".join(p for p in parts if p) or None
