"""Training logs: a session linked to a case and customer, its attendees (quick add or from
the customer's contacts), per-attendee sign-off and assessment, and the attendance list the
report prints."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from fieldsupport.errors import ValidationError
from fieldsupport.models import (
    Case,
    Contact,
    Customer,
    Signature,
    TrainingAttendee,
    TrainingSession,
    User,
    utcnow,
)
from fieldsupport.models.enums import AssessmentResult
from fieldsupport.services.records import get_live
from fieldsupport.services.validation import (
    NAME_LEN,
    optional_text,
    parse_enum,
    require_aware,
    require_text,
)
from fieldsupport.workspace import Workspace

MAX_TRAINING_MINUTES = 5 * 24 * 60  # a week-long course is the longest plausible session


class _Trainer(enum.Enum):
    SIGNED_IN = "the signed-in user"


#: ``create_session``'s trainer when none is named: the service's user (who logs it)
SIGNED_IN = _Trainer.SIGNED_IN


@dataclass(frozen=True)
class AttendeeView:
    id: str
    name: str
    role: str | None
    company: str | None
    contact_id: str | None
    signed_off: bool
    signed_with_signature: bool
    assessment: AssessmentResult


@dataclass(frozen=True)
class TrainingView:
    id: str
    case_id: str | None
    customer: str
    topic: str
    trainer: str | None
    started_at: datetime
    duration_minutes: int
    materials: str | None
    assessment_notes: str | None
    attendees: tuple[AttendeeView, ...]

    def attendance_list(self) -> list[tuple[str, str, str, str, str]]:
        """Rows for the report: name, role, company, sign-off, assessment."""
        return [
            (
                a.name,
                a.role or "",
                a.company or "",
                "signed" if a.signed_with_signature else ("yes" if a.signed_off else "no"),
                a.assessment.value.replace("_", " "),
            )
            for a in self.attendees
        ]


class TrainingService:
    def __init__(self, workspace: Workspace, *, user_id: str | None = None) -> None:
        self.workspace = workspace
        self.user_id = user_id

    def create_session(
        self,
        *,
        topic: str,
        started_at: datetime,
        duration_minutes: int,
        case_id: str | None = None,
        customer_id: str | None = None,
        visit_id: str | None = None,
        materials: str | None = None,
        trainer: str | _Trainer | None = SIGNED_IN,
    ) -> TrainingView:
        """``trainer``: who gave the training, a user's id or user name (a colleague may
        have given it); by default the signed-in user."""
        title = require_text(topic, "topic", max_len=NAME_LEN)
        start = require_aware(started_at, "start")
        if not isinstance(duration_minutes, int) or isinstance(duration_minutes, bool):
            raise ValidationError("Duration must be a whole number of minutes.", field="duration")
        if not 0 < duration_minutes <= MAX_TRAINING_MINUTES:
            raise ValidationError(
                f"Duration must be between 1 minute and {MAX_TRAINING_MINUTES // 60} hours "
                f"(got {duration_minutes}).",
                field="duration",
            )
        with self.workspace.transaction() as session:
            if case_id is not None:
                case = get_live(session, Case, case_id, "case")
                if customer_id is not None and customer_id != case.customer_id:
                    raise ValidationError("The case belongs to another customer.")
                customer_id = case.customer_id
            if customer_id is None:
                raise ValidationError("A training session needs a customer or a case.")
            get_live(session, Customer, customer_id, "customer")
            trainer_id = (
                self.user_id if isinstance(trainer, _Trainer) else _trainer(session, trainer)
            )
            training = TrainingSession(
                case_id=case_id,
                customer_id=customer_id,
                visit_id=visit_id,
                topic=title,
                trainer_id=trainer_id,
                started_at=start,
                duration_minutes=duration_minutes,
                materials=optional_text(materials, "materials"),
            )
            session.add(training)
            session.flush()
            return training_view(session, training)

    def add_attendee(
        self,
        session_id: str,
        name: str | None = None,
        *,
        role: str | None = None,
        company: str | None = None,
        contact_id: str | None = None,
    ) -> AttendeeView:
        """Quick add by name, or pick one of the customer's contacts (name and role from it)."""
        with self.workspace.transaction() as session:
            training = get_live(session, TrainingSession, session_id, "training session")
            if contact_id is not None:
                contact = get_live(session, Contact, contact_id, "contact")
                if contact.customer_id != training.customer_id:
                    raise ValidationError("That contact belongs to another customer.")
                name = name or contact.name
                role = role or contact.role
                company = company or session.get(Customer, contact.customer_id).name  # type: ignore[union-attr]
            attendee_name = require_text(name, "attendee name", max_len=NAME_LEN)
            for existing in _live(training.attendees):
                same_contact = contact_id is not None and existing.contact_id == contact_id
                if same_contact or existing.name.casefold() == attendee_name.casefold():
                    raise ValidationError(f"{attendee_name} is already on the attendance list.")
            attendee = TrainingAttendee(
                session_id=training.id,
                contact_id=contact_id,
                name=attendee_name,
                role=optional_text(role, "role", max_len=NAME_LEN),
                company=optional_text(company, "company", max_len=NAME_LEN),
            )
            session.add(attendee)
            session.flush()
            return _attendee(attendee)

    def sign_off(self, attendee_id: str, *, signature_id: str | None = None) -> None:
        """Sign-off by a tick, or with a captured signature."""
        with self.workspace.transaction() as session:
            signature = (
                None
                if signature_id is None
                else get_live(session, Signature, signature_id, "signature")
            )
            self.sign_off_in(session, attendee_id, signature)

    @staticmethod
    def sign_off_in(session: Session, attendee_id: str, signature: Signature | None) -> None:
        """The sign-off in the caller's transaction (with a signature saved in it)."""
        attendee = get_live(session, TrainingAttendee, attendee_id, "attendee")
        if signature is not None and signature.declined:
            raise ValidationError("A declined signature cannot sign off an attendee.")
        attendee.signed_off = True
        attendee.signature_id = None if signature is None else signature.id

    def assess(self, attendee_id: str, result: AssessmentResult | str) -> None:
        value = parse_enum(AssessmentResult, result, "assessment")
        with self.workspace.transaction() as session:
            get_live(session, TrainingAttendee, attendee_id, "attendee").assessment = value

    def remove_attendee(self, attendee_id: str) -> None:
        """Take back an attendee added by mistake; one who signed off stays (the attendance
        list is what the customer's people signed)."""
        with self.workspace.transaction() as session:
            attendee = get_live(session, TrainingAttendee, attendee_id, "attendee")
            if attendee.signed_off:
                raise ValidationError(
                    f"{attendee.name} signed off on this session; a sign-off is not taken back."
                )
            attendee.deleted_at = utcnow()

    def get(self, session_id: str) -> TrainingView:
        with self.workspace.transaction() as session:
            return training_view(
                session, get_live(session, TrainingSession, session_id, "training session")
            )

    def trainers(self) -> list[tuple[str, str]]:
        """(id, display name) of the people who can be named as a session's trainer."""
        with self.workspace.transaction() as session:
            rows = session.execute(
                select(User.id, User.display_name)
                .where(User.deleted_at.is_(None))
                .order_by(User.display_name)
            )
            return [(r[0], r[1]) for r in rows]

    def of_case(self, case_id: str) -> list[TrainingView]:
        with self.workspace.transaction() as session:
            rows = session.scalars(
                select(TrainingSession)
                .where(TrainingSession.case_id == case_id, TrainingSession.deleted_at.is_(None))
                .order_by(TrainingSession.started_at)
            )
            return [training_view(session, t) for t in rows]


def _live(rows: list[TrainingAttendee]) -> list[TrainingAttendee]:
    return [r for r in rows if r.deleted_at is None]


def _attendee(a: TrainingAttendee) -> AttendeeView:
    return AttendeeView(
        a.id,
        a.name,
        a.role,
        a.company,
        a.contact_id,
        a.signed_off,
        a.signature_id is not None,
        a.assessment,
    )


def _trainer(session: Session, ref: str | None) -> str:
    """The id of the user named as trainer (by id, user name or display name)."""
    if ref is not None and not isinstance(ref, str):
        raise ValidationError("The trainer is named by text.", field="trainer")
    text = (ref or "").strip()
    if not text:
        raise ValidationError(
            "Name the trainer: who gave the training? (It is printed on the report.)",
            field="trainer",
        )
    user = session.get(User, text)
    if user is None or user.deleted_at is not None:
        # by user name, or display name in any case (compared here: SQLite's lower() only
        # folds ASCII, so "Øyvind Ås" would never match "øyvind ås")
        wanted = text.casefold()
        matches = [
            u
            for u in session.scalars(select(User).where(User.deleted_at.is_(None)))
            if u.username == text or (u.display_name or "").casefold() == wanted
        ]
        if len(matches) > 1:
            raise ValidationError(
                f"Several users are called {text!r}: choose the trainer from the list.",
                field="trainer",
            )
        user = matches[0] if matches else None
    if user is None or user.deleted_at is not None:
        raise ValidationError(
            f"There is no user {text!r} to name as the trainer: choose one from the list.",
            field="trainer",
        )
    return user.id


def training_view(session: Session, training: TrainingSession) -> TrainingView:
    trainer = session.get(User, training.trainer_id) if training.trainer_id else None
    customer = session.get(Customer, training.customer_id)
    return TrainingView(
        id=training.id,
        case_id=training.case_id,
        customer=customer.name if customer else "",
        topic=training.topic,
        trainer=trainer.display_name if trainer else None,
        started_at=training.started_at,
        duration_minutes=training.duration_minutes,
        materials=training.materials,
        assessment_notes=training.assessment_notes,
        attendees=tuple(
            _attendee(a) for a in sorted(_live(training.attendees), key=lambda a: a.created_at)
        ),
    )
