"""A4 advisories and recall campaigns: which assets at the customers' sites are affected
(by product and serial range or lot), what was done about each, and the campaign's progress.

Serial ranges compare the number at the end of a serial within the same prefix:
``PH-S3-36000`` to ``PH-S3-36999`` covers ``PH-S3-36041`` but not ``PH-S4-36041``. A range
may be open at either end. A lot matches exactly (ignoring case)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import select

from fieldsupport.errors import ValidationError
from fieldsupport.models import (
    Asset,
    Customer,
    Product,
    RecallAction,
    RecallCampaign,
    RecallCampaignScope,
    Site,
    utcnow,
)
from fieldsupport.models.enums import (
    CampaignReason,
    RecallActionStatus,
    RecallActionTaken,
    RecallRequiredAction,
)
from fieldsupport.services.records import get_live
from fieldsupport.services.validation import (
    NAME_LEN,
    SHORT_LEN,
    optional_text,
    parse_enum,
    require_aware,
    require_text,
)
from fieldsupport.workspace import Workspace

_TRAILING_NUMBER = re.compile(r"^(.*?)(\d+)$")
# a device clock a little ahead of the one that stamped "now" is not a future date
CLOCK_SLACK = timedelta(minutes=5)


def split_serial(serial: str) -> tuple[str, int] | None:
    """(prefix, trailing number) of a serial, prefix upper-cased; None without a number."""
    match = _TRAILING_NUMBER.match(serial.strip())
    if match is None:
        return None
    return match.group(1).upper(), int(match.group(2))


@dataclass(frozen=True)
class ScopeSpec:
    product_id: str
    serial_from: str | None = None
    serial_to: str | None = None
    lot_number: str | None = None

    def matches(self, product_id: str, serial: str | None, lot: str | None) -> bool:
        if product_id != self.product_id:
            return False
        if self.lot_number is not None:
            return lot is not None and lot.strip().casefold() == self.lot_number.casefold()
        if self.serial_from is None and self.serial_to is None:
            return True  # every unit of the product
        parsed = split_serial(serial) if serial else None
        if parsed is None:
            return False
        prefix, number = parsed
        low = split_serial(self.serial_from) if self.serial_from else None
        high = split_serial(self.serial_to) if self.serial_to else None
        bound_prefix = (low or high)[0]  # type: ignore[index]
        if prefix != bound_prefix:
            return False
        return (low is None or number >= low[1]) and (high is None or number <= high[1])

    def interval(self) -> tuple[str, float, float] | None:
        """(prefix, low, high) of a serial range; None for lots."""
        if self.lot_number is not None:
            return None
        low = split_serial(self.serial_from) if self.serial_from else None
        high = split_serial(self.serial_to) if self.serial_to else None
        prefix = (low or high)[0] if (low or high) else ""  # type: ignore[index]
        return (
            prefix,
            low[1] if low else float("-inf"),
            high[1] if high else float("inf"),
        )


@dataclass(frozen=True)
class CampaignSpec:
    code: str
    title: str
    reason: CampaignReason | str
    required_action: RecallRequiredAction | str
    scopes: Sequence[ScopeSpec]
    description: str | None = None
    due_date: date | None = None


@dataclass(frozen=True)
class AffectedAsset:
    asset_id: str
    product: str
    serial_number: str | None
    lot_number: str | None
    customer: str
    site: str
    status: RecallActionStatus
    action_taken: RecallActionTaken | None
    performed_at: datetime | None
    overdue: bool
    #: the recorded action (photos attach to it), and its note
    action_id: str | None = None
    note: str | None = None


@dataclass(frozen=True)
class CampaignProgress:
    affected: int
    done: int
    open: int
    overdue: int


@dataclass(frozen=True)
class CampaignView:
    id: str
    code: str
    title: str
    reason: CampaignReason
    required_action: RecallRequiredAction
    due_date: date | None
    scopes: tuple[ScopeSpec, ...] = field(default=())
    #: what happened and what to tell the customer (the campaign's text)
    description: str | None = None


def check_scopes(scopes: Sequence[ScopeSpec]) -> list[ScopeSpec]:
    """Each range well formed, none reversed, none overlapping another for the same product."""
    if not scopes:
        raise ValidationError("A campaign needs at least one affected product.")
    checked: list[ScopeSpec] = []
    for index, scope in enumerate(scopes, start=1):
        low = optional_text(scope.serial_from, f"scope {index} first serial", max_len=SHORT_LEN)
        high = optional_text(scope.serial_to, f"scope {index} last serial", max_len=SHORT_LEN)
        lot = optional_text(scope.lot_number, f"scope {index} lot", max_len=SHORT_LEN)
        if lot is not None and (low or high):
            raise ValidationError(f"Scope {index}: give either a lot or a serial range, not both.")
        parsed = [(label, split_serial(v)) for label, v in (("first", low), ("last", high)) if v]
        for label, value in parsed:
            if value is None:
                raise ValidationError(
                    f"Scope {index}: the {label} serial must end in a number (e.g. PH-S3-36000)."
                )
        if len(parsed) == 2:
            (_, a), (_, b) = parsed
            assert a is not None and b is not None
            if a[0] != b[0]:
                raise ValidationError(
                    f"Scope {index}: {low} and {high} have different prefixes; split the range."
                )
            if a[1] > b[1]:
                raise ValidationError(
                    f"Scope {index}: the range is reversed ({low} comes after {high})."
                )
        checked.append(ScopeSpec(scope.product_id, low, high, lot))
    for i, first in enumerate(checked):
        for second in checked[i + 1 :]:
            if first.product_id == second.product_id and _overlap(first, second):
                raise ValidationError(
                    f"Two scopes of the campaign overlap for the same product "
                    f"({describe_scope(first)} and {describe_scope(second)}); merge them."
                )
    return checked


def _covers_every_unit(scope: ScopeSpec) -> bool:
    return scope.lot_number is None and scope.serial_from is None and scope.serial_to is None


def _overlap(a: ScopeSpec, b: ScopeSpec) -> bool:
    if _covers_every_unit(a) or _covers_every_unit(b):
        return True  # every unit of the product includes any lot or range of it
    if a.lot_number is not None or b.lot_number is not None:
        return (
            a.lot_number is not None and a.lot_number.casefold() == (b.lot_number or "").casefold()
        )
    ia, ib = a.interval(), b.interval()
    assert ia is not None and ib is not None
    if ia[0] != ib[0]:
        # different serial families never overlap (as in matches(): bare numbers, prefix "",
        # are a family of their own)
        return False
    return ia[1] <= ib[2] and ib[1] <= ia[2]


def describe_scope(scope: ScopeSpec) -> str:
    """What part of a product a scope covers: "lot L-9", "serials A-100 to …", "all units"."""
    if scope.lot_number:
        return f"lot {scope.lot_number}"
    if scope.serial_from or scope.serial_to:
        return f"serials {scope.serial_from or '…'} to {scope.serial_to or '…'}"
    return "all units"


class RecallService:
    def __init__(self, workspace: Workspace, *, user_id: str | None = None) -> None:
        self.workspace = workspace
        self.user_id = user_id

    def create_campaign(self, spec: CampaignSpec) -> CampaignView:
        code = require_text(spec.code, "campaign code", max_len=SHORT_LEN).upper()
        title = require_text(spec.title, "title", max_len=NAME_LEN)
        reason = parse_enum(CampaignReason, spec.reason, "reason")
        action = parse_enum(RecallRequiredAction, spec.required_action, "required action")
        scopes = check_scopes(spec.scopes)
        with self.workspace.transaction() as session:
            if session.scalar(select(RecallCampaign.id).where(RecallCampaign.code == code)):
                raise ValidationError(f"There is already a campaign {code}.")
            for scope in scopes:
                get_live(session, Product, scope.product_id, "product")
            campaign = RecallCampaign(
                code=code,
                title=title,
                reason=reason,
                required_action=action,
                description=optional_text(spec.description, "description"),
                due_date=spec.due_date,
            )
            session.add(campaign)
            session.flush()
            for scope in scopes:
                session.add(
                    RecallCampaignScope(
                        campaign_id=campaign.id,
                        product_id=scope.product_id,
                        serial_from=scope.serial_from,
                        serial_to=scope.serial_to,
                        lot_number=scope.lot_number,
                    )
                )
            return CampaignView(
                campaign.id, code, title, reason, action, spec.due_date, tuple(scopes)
            )

    def affected_assets(
        self, campaign_id: str, *, today: date | None = None
    ) -> list[AffectedAsset]:
        """The assets on this device that the campaign covers, with what was done so far."""
        today = today or utcnow().astimezone().date()
        with self.workspace.transaction() as session:
            campaign = get_live(session, RecallCampaign, campaign_id, "campaign")
            scopes = [
                ScopeSpec(s.product_id, s.serial_from, s.serial_to, s.lot_number)
                for s in campaign.scopes
                if s.deleted_at is None
            ]
            products = {s.product_id for s in scopes}
            rows = session.execute(
                select(
                    Asset.id,
                    Asset.product_id,
                    Product.name,
                    Asset.serial_number,
                    Asset.lot_number,
                    Customer.name,
                    Site.name,
                )
                .join(Product, Product.id == Asset.product_id)
                .join(Site, Site.id == Asset.site_id)
                .join(Customer, Customer.id == Site.customer_id)
                .where(Asset.product_id.in_(products), Asset.deleted_at.is_(None))
                .order_by(Customer.name, Site.name, Asset.serial_number)
            ).all()
            actions = {
                a.asset_id: a
                for a in session.scalars(
                    select(RecallAction).where(
                        RecallAction.campaign_id == campaign.id, RecallAction.deleted_at.is_(None)
                    )
                )
            }
            overdue_date = campaign.due_date is not None and campaign.due_date < today
            result = []
            for asset_id, product_id, product, serial, lot, customer, site in rows:
                if not any(scope.matches(product_id, serial, lot) for scope in scopes):
                    continue
                action = actions.get(asset_id)
                status = action.status if action else RecallActionStatus.OPEN
                result.append(
                    AffectedAsset(
                        asset_id,
                        product,
                        serial,
                        lot,
                        customer,
                        site,
                        status,
                        action.action_taken if action else None,
                        action.performed_at if action else None,
                        overdue_date and status is RecallActionStatus.OPEN,
                        action.id if action else None,
                        action.note if action else None,
                    )
                )
            return result

    def record_action(
        self,
        campaign_id: str,
        asset_id: str,
        taken: RecallActionTaken | str,
        *,
        performed_at: datetime | None = None,
        note: str | None = None,
        case_id: str | None = None,
        visit_id: str | None = None,
    ) -> RecallActionStatus:
        """What was done about one asset. "Not reachable" keeps the asset open."""
        action_taken = parse_enum(RecallActionTaken, taken, "action")
        when = require_aware(performed_at, "date") if performed_at else utcnow()
        if when > utcnow() + CLOCK_SLACK:
            raise ValidationError(
                f"The date {when.astimezone():%Y-%m-%d %H:%M} is in the future; record what "
                "was done once it has been done.",
                field="date",
            )
        text = optional_text(note, "note")
        if action_taken is RecallActionTaken.NOT_REACHABLE and text is None:
            raise ValidationError("Say how you tried to reach the customer (a note).", field="note")
        if not self._covers(campaign_id, asset_id):
            raise ValidationError("That asset is not affected by this campaign.")
        status = (
            RecallActionStatus.OPEN
            if action_taken is RecallActionTaken.NOT_REACHABLE
            else RecallActionStatus.DONE
        )
        with self.workspace.transaction() as session:
            action = session.scalar(
                select(RecallAction).where(
                    RecallAction.campaign_id == campaign_id, RecallAction.asset_id == asset_id
                )
            )
            if action is None:
                action = RecallAction(campaign_id=campaign_id, asset_id=asset_id)
                session.add(action)
            action.status = status
            action.action_taken = action_taken
            action.performed_at = when
            action.performed_by_id = self.user_id
            action.note = text
            action.case_id = case_id
            action.visit_id = visit_id
            action.deleted_at = None
        return status

    def campaigns(self) -> list[CampaignView]:
        """Every campaign on this device, active ones first, by due date."""
        with self.workspace.transaction() as session:
            rows = session.scalars(
                select(RecallCampaign)
                .where(RecallCampaign.deleted_at.is_(None))
                .order_by(RecallCampaign.status, RecallCampaign.due_date, RecallCampaign.code)
            ).all()
            return [
                CampaignView(
                    c.id,
                    c.code,
                    c.title,
                    c.reason,
                    c.required_action,
                    c.due_date,
                    tuple(
                        ScopeSpec(s.product_id, s.serial_from, s.serial_to, s.lot_number)
                        for s in c.scopes
                        if s.deleted_at is None
                    ),
                    c.description,
                )
                for c in rows
            ]

    def _covers(self, campaign_id: str, asset_id: str) -> bool:
        return any(a.asset_id == asset_id for a in self.affected_assets(campaign_id))

    def progress(self, campaign_id: str, *, today: date | None = None) -> CampaignProgress:
        assets = self.affected_assets(campaign_id, today=today)
        done = sum(a.status is RecallActionStatus.DONE for a in assets)
        return CampaignProgress(
            affected=len(assets),
            done=done,
            open=len(assets) - done,
            overdue=sum(a.overdue for a in assets),
        )
