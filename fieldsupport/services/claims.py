"""A2 claims: items with serial or lot and quantity, the customer's request, the decision
(approved with a remedy and an RMA number, or rejected with a reason), and the status through
to completion."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from fieldsupport.errors import ValidationError
from fieldsupport.models import Case, Claim, ClaimItem, Customer, Product, utcnow
from fieldsupport.models.enums import AssistType, ClaimDecision, ClaimStatus, ClaimType
from fieldsupport.services.numbering import device_code, next_in_sequence
from fieldsupport.services.records import get_live
from fieldsupport.services.validation import (
    NAME_LEN,
    SHORT_LEN,
    optional_text,
    parse_enum,
    require_text,
)
from fieldsupport.workspace import Workspace

# status -> statuses reachable from it (decide() makes approved / rejected)
NEXT_STATUS = {
    ClaimStatus.OPEN: (ClaimStatus.UNDER_REVIEW,),
    ClaimStatus.UNDER_REVIEW: (),
    ClaimStatus.APPROVED: (ClaimStatus.IN_PROGRESS,),
    ClaimStatus.IN_PROGRESS: (ClaimStatus.COMPLETED,),
    ClaimStatus.REJECTED: (),
    ClaimStatus.COMPLETED: (),
}


@dataclass(frozen=True)
class ClaimItemSpec:
    quantity: float
    description: str | None = None
    product_id: str | None = None
    serial_number: str | None = None
    lot_number: str | None = None


@dataclass(frozen=True)
class ClaimView:
    id: str
    case_id: str
    claim_type: ClaimType
    status: ClaimStatus
    reason: str
    customer_request: str | None
    rma_number: str | None
    decision: ClaimDecision | None
    decision_reason: str | None
    remedy: str | None
    decided_at: datetime | None
    items: tuple[ClaimItemSpec, ...] = field(default=())


@dataclass(frozen=True)
class AwaitingClaim:
    """A claim waiting for its decision, with the case it belongs to (back office)."""

    claim: ClaimView
    case_number: str
    customer: str
    opened_at: datetime


def _item(spec: ClaimItemSpec, index: int) -> ClaimItemSpec:
    qty = spec.quantity
    if isinstance(qty, bool) or not isinstance(qty, int | float) or not math.isfinite(qty):
        raise ValidationError(f"Item {index}: the quantity must be a number.", field="quantity")
    if qty <= 0:
        raise ValidationError(
            f"Item {index}: the quantity must be more than zero (got {qty:g}).", field="quantity"
        )
    description = optional_text(spec.description, f"item {index} description", max_len=NAME_LEN)
    if description is None and spec.product_id is None:
        raise ValidationError(f"Item {index}: name the product or describe the item.")
    return ClaimItemSpec(
        float(qty),
        description,
        spec.product_id,
        optional_text(spec.serial_number, f"item {index} serial number", max_len=SHORT_LEN),
        optional_text(spec.lot_number, f"item {index} lot number", max_len=SHORT_LEN),
    )


class ClaimService:
    def __init__(self, workspace: Workspace, *, user_id: str | None = None) -> None:
        self.workspace = workspace
        self.user_id = user_id

    def open_claim(
        self,
        case_id: str,
        claim_type: ClaimType | str,
        reason: str,
        items: Sequence[ClaimItemSpec],
        customer_request: str | None = None,
    ) -> ClaimView:
        kind = parse_enum(ClaimType, claim_type, "claim type")
        text = require_text(reason, "reason", max_len=20_000)
        if not items:
            raise ValidationError("A claim needs at least one item.")
        checked = [_item(spec, i) for i, spec in enumerate(items, start=1)]
        with self.workspace.transaction() as session:
            case = get_live(session, Case, case_id, "case")
            if case.assist_type is not AssistType.CLAIM:
                raise ValidationError(
                    f"Case {case.case_number} is {case.assist_type.label}; claims belong to "
                    "A2 Claim cases."
                )
            for spec in checked:
                if spec.product_id is not None:
                    get_live(session, Product, spec.product_id, "product")
            claim = Claim(
                case_id=case.id,
                claim_type=kind,
                reason=text,
                customer_request=optional_text(customer_request, "customer request"),
            )
            session.add(claim)
            session.flush()
            for spec in checked:
                session.add(
                    ClaimItem(
                        claim_id=claim.id,
                        product_id=spec.product_id,
                        description=spec.description,
                        serial_number=spec.serial_number,
                        lot_number=spec.lot_number,
                        quantity=spec.quantity,
                    )
                )
            session.flush()
            return _view(claim)

    def advance(self, claim_id: str, status: ClaimStatus | str) -> ClaimView:
        target = parse_enum(ClaimStatus, status, "claim status")
        with self.workspace.transaction() as session:
            claim = get_live(session, Claim, claim_id, "claim")
            if target not in NEXT_STATUS[claim.status]:
                hint = ""
                if target in (ClaimStatus.APPROVED, ClaimStatus.REJECTED):
                    hint = " Record the decision instead (approve or reject, with its reason)."
                raise ValidationError(
                    f"The claim is {_words(claim.status)}; it cannot become {_words(target)}.{hint}"
                )
            claim.status = target
            session.flush()
            return _view(claim)

    def decide(
        self,
        claim_id: str,
        decision: ClaimDecision | str,
        reason: str,
        *,
        remedy: str | None = None,
    ) -> ClaimView:
        """Approve (with the remedy; an RMA number is assigned) or reject (with the reason)."""
        verdict = parse_enum(ClaimDecision, decision, "decision")
        why = require_text(reason, "decision reason", max_len=20_000)
        remedy_text = optional_text(remedy, "remedy")
        if verdict is ClaimDecision.APPROVED and remedy_text is None:
            raise ValidationError(
                "An approved claim needs its remedy (what is refunded, returned, replaced or "
                "repaired).",
                field="remedy",
            )
        with self.workspace.transaction() as session:
            claim = get_live(session, Claim, claim_id, "claim")
            if claim.status not in (ClaimStatus.OPEN, ClaimStatus.UNDER_REVIEW):
                raise ValidationError(
                    f"The claim is already {_words(claim.status)}; its decision cannot change."
                )
            claim.decision = verdict
            claim.decision_reason = why
            claim.remedy = remedy_text
            claim.decided_by_id = self.user_id
            claim.decided_at = utcnow()
            if verdict is ClaimDecision.APPROVED:
                claim.status = ClaimStatus.APPROVED
                claim.rma_number = _next_rma(session)
            else:
                claim.status = ClaimStatus.REJECTED
            session.flush()
            return _view(claim)

    def awaiting_decision(self) -> list[AwaitingClaim]:
        """Open and under-review claims of every case on this device, oldest first (the back
        office's device holds every engineer's cases)."""
        with self.workspace.transaction() as session:
            rows = session.execute(
                select(Claim, Case.case_number, Customer.name)
                .join(Case, Case.id == Claim.case_id)
                .join(Customer, Customer.id == Case.customer_id)
                .where(
                    Claim.status.in_((ClaimStatus.OPEN, ClaimStatus.UNDER_REVIEW)),
                    Claim.deleted_at.is_(None),
                    Case.deleted_at.is_(None),
                )
                .order_by(Claim.created_at, Claim.id)
            ).all()
            return [
                AwaitingClaim(_view(claim), number, customer, claim.created_at)
                for claim, number, customer in rows
            ]

    def of_case(self, case_id: str) -> list[ClaimView]:
        with self.workspace.transaction() as session:
            claims = session.scalars(
                select(Claim)
                .where(Claim.case_id == case_id, Claim.deleted_at.is_(None))
                .order_by(Claim.created_at)
            )
            return [_view(c) for c in claims]


def _words(status: ClaimStatus) -> str:
    return status.value.replace("_", " ")


def _next_rma(session: Session) -> str:
    """RMA-<device code>-<sequence>: unique without a server, like case numbers."""
    return f"RMA-{device_code(session)}-{next_in_sequence(session, 'rma_sequence'):05d}"


def _view(claim: Claim) -> ClaimView:
    return ClaimView(
        id=claim.id,
        case_id=claim.case_id,
        claim_type=claim.claim_type,
        status=claim.status,
        reason=claim.reason,
        customer_request=claim.customer_request,
        rma_number=claim.rma_number,
        decision=claim.decision,
        decision_reason=claim.decision_reason,
        remedy=claim.remedy,
        decided_at=claim.decided_at,
        items=tuple(
            ClaimItemSpec(i.quantity, i.description, i.product_id, i.serial_number, i.lot_number)
            for i in sorted(claim.items, key=lambda i: i.created_at)
            if i.deleted_at is None
        ),
    )
