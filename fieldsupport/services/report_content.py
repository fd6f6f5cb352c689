"""Collecting one visit's report facts from the database, in one read transaction."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from fieldsupport.media.blobstore import BlobStore
from fieldsupport.models import (
    ApplicationRecord,
    Asset,
    Attachment,
    Case,
    Contact,
    Customer,
    Measurement,
    PartUsed,
    Signature,
    Site,
    TimeEntry,
    TrainingSession,
    User,
    Visit,
)
from fieldsupport.models.enums import StepResultState, TimeEntryKind
from fieldsupport.reports.content import (
    ApplicationBlock,
    AttendeeRow,
    Branding,
    MeasurementRow,
    ParameterRow,
    PartRow,
    Party,
    PhotoItem,
    ReportContent,
    SignatureBlock,
    TimelineRow,
    TrainingBlock,
)
from fieldsupport.services.applications import application_view
from fieldsupport.services.photo_imports import make_copies
from fieldsupport.services.training import training_view

BRANDING_SETTING = "report.branding"
COLOR_PATTERN = re.compile(r"#[0-9A-Fa-f]{6}")  # #RRGGBB, whole string
PHOTO_TYPES = ("image/jpeg", "image/png", "image/heic", "image/heif")


def load_branding(raw: Any, store: BlobStore) -> tuple[Branding, list[str]]:
    """Branding from the workspace setting (a dict); unknown or bad values fall back to the
    defaults with a note rather than stopping a report at a customer's site."""
    problems: list[str] = []
    if not isinstance(raw, dict):
        return Branding(), problems
    default = Branding()
    logo_path: Path | None = None
    logo = raw.get("logo_sha256")
    if isinstance(logo, str) and logo:
        try:
            logo_path = store.original_path(logo)
        except ValueError:
            problems.append("the company logo setting is not a stored file")
    paper = str(raw.get("paper") or default.paper)
    if paper.lower() not in ("a4", "letter"):
        problems.append(f"paper size {paper!r} is unknown; A4 was used")
        paper = "A4"

    def color(key: str, fallback: str) -> str:
        value = raw.get(key)
        if isinstance(value, str) and COLOR_PATTERN.fullmatch(value):
            return value
        if value:
            problems.append(f"colour {value!r} is not of the form #RRGGBB; the default was used")
        return fallback

    address = raw.get("address_lines") or ()
    return (
        Branding(
            company_name=str(raw.get("company_name") or default.company_name),
            address_lines=tuple(str(line) for line in address),
            footer_text=str(raw.get("footer_text") or ""),
            primary_color=color("primary_color", default.primary_color),
            accent_color=color("accent_color", default.accent_color),
            paper=paper,
            logo_path=logo_path,
        ),
        problems,
    )


def _party_customer(customer: Customer) -> Party:
    details = [("Account", customer.account_number)] if customer.account_number else []
    return Party(customer.id, customer.name, tuple(details))


def _party_site(site: Site | None) -> Party | None:
    if site is None:
        return None
    address = ", ".join(
        x for x in (site.address_line1, site.address_line2, site.postal_code, site.city) if x
    )
    details = [("Address", address)] if address else []
    if site.country:
        details.append(("Country", site.country))
    return Party(site.id, site.name, tuple(details))


def _party_contact(contact: Contact | None) -> Party | None:
    if contact is None:
        return None
    details = [
        (label, value)
        for label, value in (
            ("Role", contact.role),
            ("Phone", contact.phone),
            ("Email", contact.email),
        )
        if value
    ]
    return Party(contact.id, contact.name, tuple(details))


def _party_asset(session: Session, asset: Asset | None) -> Party | None:
    if asset is None:
        return None
    details = [
        (label, value)
        for label, value in (("Serial", asset.serial_number), ("Lot", asset.lot_number))
        if value
    ]
    return Party(asset.id, asset.product.name, tuple(details))


def _timeline(visit: Visit, entries: list[TimeEntry]) -> list[TimelineRow]:
    rows = []
    for when, what in (
        (visit.travel_started_at, "Travel started"),
        (visit.arrived_at, "Arrived on site"),
        (visit.departed_at, "Left site"),
    ):
        if when is not None:
            rows.append(TimelineRow(when, what))
    for e in entries:
        rows.append(TimelineRow(e.started_at, e.kind.value.capitalize(), e.minutes, e.note or ""))
    rows.sort(key=lambda r: (r.when is None, r.when or datetime.min))
    return rows


def _photos(
    session: Session, visit: Visit, record_ids: list[str], store: BlobStore
) -> list[PhotoItem]:
    owners = [Attachment.visit_id == visit.id]
    if record_ids:
        owners.append(Attachment.application_record_id.in_(record_ids))
    rows = session.scalars(
        select(Attachment)
        .where(
            or_(*owners), Attachment.deleted_at.is_(None), Attachment.media_type.in_(PHOTO_TYPES)
        )
        .order_by(Attachment.position, Attachment.created_at)
    ).all()
    # An annotated copy stands in for the photo it was drawn on.
    replaced = {a.derived_from_id for a in rows if a.derived_from_id}
    items = []
    for a in rows:
        if a.id in replaced:
            continue
        path = store.report_copy_path(a.sha256)
        if not path.is_file():
            # a photo synced from another device comes without its copies (the gallery makes
            # them when it shows the photo): its original is here, so is the photo
            make_copies(store, a.sha256)
        items.append(
            PhotoItem(
                attachment_id=a.id,
                sha256=a.sha256,
                caption=a.caption or "",
                before_after=a.before_after.value if a.before_after else None,
                taken_at=a.taken_at,
                image_path=path if path.is_file() else None,
                width=a.width or 0,
                height=a.height or 0,
            )
        )
    return items


def _training(session: Session, visit: Visit) -> list[TrainingBlock]:
    # Sessions held on this visit, and those of the case recorded without a visit while the
    # engineer was on site.
    conditions = [TrainingSession.visit_id == visit.id]
    if visit.arrived_at is not None:
        window = TrainingSession.started_at >= visit.arrived_at
        if visit.departed_at is not None:
            window = window & (TrainingSession.started_at <= visit.departed_at)
        conditions.append(
            (TrainingSession.case_id == visit.case_id) & TrainingSession.visit_id.is_(None) & window
        )
    rows = session.scalars(
        select(TrainingSession)
        .where(or_(*conditions), TrainingSession.deleted_at.is_(None))
        .order_by(TrainingSession.started_at)
    ).all()
    blocks = []
    for row in rows:
        view = training_view(session, row)
        blocks.append(
            TrainingBlock(
                id=view.id,
                topic=view.topic,
                trainer=view.trainer or "",
                started_at=view.started_at,
                duration_minutes=view.duration_minutes,
                attendees=tuple(
                    AttendeeRow(a.id, *cells)
                    for a, cells in zip(view.attendees, view.attendance_list(), strict=True)
                ),
            )
        )
    return blocks


def _applications(session: Session, visit: Visit) -> list[ApplicationBlock]:
    records = session.scalars(
        select(ApplicationRecord)
        .where(ApplicationRecord.visit_id == visit.id, ApplicationRecord.deleted_at.is_(None))
        .order_by(ApplicationRecord.applied_at)
    ).all()
    blocks = []
    for record in records:
        view = application_view(session, record)
        blocks.append(
            ApplicationBlock(
                id=view.id,
                solution_title=view.solution_title,
                version_number=view.version_number,
                applied_at=view.applied_at,
                outcome=view.outcome.value.replace("_", " ") if view.outcome else "not completed",
                outcome_notes=view.outcome_notes or "",
                parameters=tuple(
                    ParameterRow(
                        p.parameter_id,
                        p.name,
                        p.unit or "",
                        p.min_value,
                        p.max_value,
                        p.planned_value,
                        p.actual_value,
                        p.out_of_range,
                        p.deviation_reason or "",
                    )
                    for p in view.parameters
                ),
                skipped_steps=tuple(
                    (s.title, s.note or "")
                    for s in view.steps
                    if s.state is StepResultState.SKIPPED
                ),
            )
        )
    return blocks


def signature_block(signature: Signature | None, store: BlobStore) -> SignatureBlock | None:
    if signature is None:
        return None
    path = store.original_path(signature.image_sha256) if signature.image_sha256 else None
    return SignatureBlock(
        signer_name=signature.signer_name,
        signer_role=signature.signer_role or "",
        signed_at=signature.signed_at,
        declined=signature.declined,
        decline_reason=signature.decline_reason or "",
        image_path=path if path is not None and path.is_file() else None,
        image_sha256=signature.image_sha256,
        signature_id=signature.id,
    )


def collect_content(
    session: Session,
    visit: Visit,
    *,
    store: BlobStore,
    branding_setting: Any,
    report_number: str,
    revision: int,
    status: str,
    generated_at: datetime,
    device_code: str,
    signature: Signature | None = None,
    csat_score: int | None = None,
    csat_comment: str | None = None,
) -> ReportContent:
    case = session.get(Case, visit.case_id)
    assert case is not None  # foreign key
    branding, problems = load_branding(branding_setting, store)
    engineer = session.get(User, visit.engineer_id) if visit.engineer_id else None
    entries = list(
        session.scalars(
            select(TimeEntry)
            .where(TimeEntry.visit_id == visit.id, TimeEntry.deleted_at.is_(None))
            .order_by(TimeEntry.started_at)
        )
    )
    measurements = session.scalars(
        select(Measurement)
        .where(Measurement.visit_id == visit.id, Measurement.deleted_at.is_(None))
        .order_by(Measurement.measured_at, Measurement.created_at)
    ).all()
    parts = session.scalars(
        select(PartUsed)
        .where(PartUsed.visit_id == visit.id, PartUsed.deleted_at.is_(None))
        .order_by(PartUsed.created_at)
    ).all()
    applications = _applications(session, visit)
    work = sum(e.minutes for e in entries if e.kind is not TimeEntryKind.TRAVEL)
    travel = [e.minutes for e in entries if e.kind is TimeEntryKind.TRAVEL]
    return ReportContent(
        report_number=report_number,
        revision=revision,
        status=status,
        generated_at=generated_at,
        device_code=device_code,
        timezone="",
        case_id=case.id,
        case_number=case.case_number,
        case_title=case.title,
        assist_type=f"{case.assist_type.value} {case.assist_type.name.replace('_', ' ').lower()}",
        priority=case.priority.value,
        case_status=case.status.value.replace("_", " "),
        customer=_party_customer(case.customer),
        site=_party_site(case.site),
        contact=_party_contact(case.reporting_contact),
        asset=_party_asset(session, case.asset),
        visit_id=visit.id,
        engineer=engineer.display_name if engineer else "",
        visit_status=visit.status.value,
        timeline=tuple(_timeline(visit, entries)),
        total_work_minutes=work,
        # the travel entries where there are any (a correction replaces a wrong one); the
        # visit's own figure for data that has none
        total_travel_minutes=sum(travel) if travel else (visit.travel_minutes or 0),
        travel_distance_km=visit.travel_distance_km,
        work_performed=visit.work_performed or "",
        findings=visit.findings or "",
        follow_up_needed=visit.follow_up_needed,
        follow_up_notes=visit.follow_up_notes or "",
        measurements=tuple(
            MeasurementRow(
                m.id,
                m.name,
                m.value,
                m.unit or "",
                m.lower_limit,
                m.upper_limit,
                m.phase.value,
                m.measured_at,
                None if m.lower_limit is None and m.upper_limit is None else m.within_limits,
                m.note or "",
            )
            for m in measurements
        ),
        parts=tuple(
            PartRow(p.id, p.part_number, p.description, p.quantity, p.unit, p.serial_number or "")
            for p in parts
        ),
        applications=tuple(applications),
        training=tuple(_training(session, visit)),
        photos=tuple(_photos(session, visit, [a.id for a in applications], store)),
        signature=signature_block(signature, store),
        csat_score=csat_score,
        csat_comment=csat_comment or "",
        branding=branding,
        problems=tuple(problems),
    )
