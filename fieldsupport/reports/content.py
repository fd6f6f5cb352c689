"""The facts of one service report, as plain values.

The service layer collects them from the database; the PDF and the JSON document beside it
are both rendered from this one snapshot, so they can never disagree. Nothing here touches
the database, Qt or the file system.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path


@dataclass(frozen=True)
class Branding:
    company_name: str = "FieldSupport Service"
    address_lines: tuple[str, ...] = ()
    footer_text: str = ""
    primary_color: str = "#1F4E79"  # headings and table headers
    accent_color: str = "#C0392B"  # out-of-limit marks
    paper: str = "A4"  # or "Letter"
    logo_path: Path | None = None


@dataclass(frozen=True)
class Party:
    """Customer, site, contact or asset: a title and labelled details."""

    id: str | None
    title: str
    details: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class TimelineRow:
    when: datetime | None
    what: str
    minutes: int | None = None
    note: str = ""


@dataclass(frozen=True)
class MeasurementRow:
    id: str
    name: str
    value: float
    unit: str
    lower_limit: float | None
    upper_limit: float | None
    phase: str
    measured_at: datetime
    within_limits: bool | None
    note: str = ""


@dataclass(frozen=True)
class PartRow:
    id: str
    part_number: str
    description: str
    quantity: float
    unit: str
    serial_number: str = ""


@dataclass(frozen=True)
class ParameterRow:
    parameter_id: str
    name: str
    unit: str
    min_value: float | None
    max_value: float | None
    planned_value: float | None
    actual_value: float | None
    out_of_range: bool
    deviation_reason: str = ""


@dataclass(frozen=True)
class ApplicationBlock:
    id: str
    solution_title: str
    version_number: int
    applied_at: datetime
    outcome: str
    outcome_notes: str
    parameters: tuple[ParameterRow, ...]
    skipped_steps: tuple[tuple[str, str], ...] = ()  # (step title, note)


@dataclass(frozen=True)
class AttendeeRow:
    id: str
    name: str
    role: str
    company: str
    sign_off: str  # "signed", "yes", "no"
    assessment: str


@dataclass(frozen=True)
class TrainingBlock:
    id: str
    topic: str
    trainer: str
    started_at: datetime
    duration_minutes: int
    attendees: tuple[AttendeeRow, ...]


@dataclass(frozen=True)
class PhotoItem:
    attachment_id: str
    sha256: str
    caption: str
    before_after: str | None
    taken_at: datetime | None
    # The upright 1600 px copy embedded in the PDF; None when it is missing from disk.
    image_path: Path | None
    width: int = 0
    height: int = 0


@dataclass(frozen=True)
class SignatureBlock:
    signer_name: str
    signer_role: str
    signed_at: datetime
    declined: bool
    decline_reason: str = ""
    image_path: Path | None = None
    image_sha256: str | None = None
    signature_id: str | None = None


@dataclass(frozen=True)
class ReportContent:
    report_number: str
    revision: int
    status: str  # draft / signed / final (declined to sign)
    generated_at: datetime
    device_code: str
    timezone: str
    case_id: str
    case_number: str
    case_title: str
    assist_type: str
    priority: str
    case_status: str
    customer: Party
    site: Party | None
    contact: Party | None
    asset: Party | None
    visit_id: str
    engineer: str
    visit_status: str
    timeline: tuple[TimelineRow, ...]
    total_work_minutes: int
    total_travel_minutes: int
    travel_distance_km: float | None
    work_performed: str
    findings: str
    follow_up_needed: bool
    follow_up_notes: str
    measurements: tuple[MeasurementRow, ...] = ()
    parts: tuple[PartRow, ...] = ()
    applications: tuple[ApplicationBlock, ...] = ()
    training: tuple[TrainingBlock, ...] = ()
    photos: tuple[PhotoItem, ...] = ()
    signature: SignatureBlock | None = None
    csat_score: int | None = None
    csat_comment: str = ""
    branding: Branding = field(default_factory=Branding)
    # What the PDF could not show as asked (a missing photo, an unreadable logo...), so the
    # app can tell the user; the PDF carries a visible marker at each place.
    problems: tuple[str, ...] = ()
