"""Read-only listings for the workbench: what a case has (solutions applied, training,
photos, reports), the custom solutions and training sessions on this device, the people."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from fieldsupport.models import (
    ApplicationRecord,
    Asset,
    Attachment,
    Contact,
    Customer,
    CustomSolution,
    Product,
    ServiceReport,
    Site,
    TrainingAttendee,
    TrainingSession,
    User,
)
from fieldsupport.models.enums import ApplicationOutcome, ReportStatus, SolutionStatus
from fieldsupport.workspace import Workspace


@dataclass(frozen=True)
class ApplicationRow:
    id: str
    solution: str
    version: int
    applied_at: datetime
    outcome: ApplicationOutcome | None
    has_deviation: bool


@dataclass(frozen=True)
class TrainingRow:
    id: str
    topic: str
    customer: str
    started_at: datetime
    duration_minutes: int
    attendees: int
    case_id: str | None = None  # the case whose file holds it (None: the customer's only)


@dataclass(frozen=True)
class ReportRow:
    id: str
    report_number: str
    revision: int
    status: ReportStatus
    generated_at: datetime


@dataclass(frozen=True)
class SolutionRow:
    id: str
    title: str
    version: int
    status: SolutionStatus
    product: str | None
    target_process: str | None


@dataclass(frozen=True)
class CaseRecords:
    applications: tuple[ApplicationRow, ...]
    training: tuple[TrainingRow, ...]
    photo_count: int
    reports: tuple[ReportRow, ...]


class CatalogService:
    def __init__(self, workspace: Workspace) -> None:
        self.workspace = workspace

    def engineers(self) -> list[tuple[str, str]]:
        """(username, display name) of the people a case can be assigned to."""
        with self.workspace.transaction() as session:
            rows = session.execute(
                select(User.username, User.display_name)
                .where(User.deleted_at.is_(None))
                .order_by(User.display_name)
            )
            return [(r[0], r[1]) for r in rows]

    def customers(self) -> list[tuple[str, str]]:
        """(id, name) of every customer, by name (for pickers)."""
        with self.workspace.transaction() as session:
            rows = session.execute(
                select(Customer.id, Customer.name)
                .where(Customer.deleted_at.is_(None))
                .order_by(Customer.name)
            )
            return [(r[0], r[1]) for r in rows]

    def products(self) -> list[tuple[str, str]]:
        with self.workspace.transaction() as session:
            rows = session.execute(
                select(Product.id, Product.name)
                .where(Product.deleted_at.is_(None))
                .order_by(Product.name)
            )
            return [(r[0], r[1]) for r in rows]

    def sites(self, customer_id: str) -> list[tuple[str, str]]:
        with self.workspace.transaction() as session:
            rows = session.execute(
                select(Site.id, Site.name)
                .where(Site.customer_id == customer_id, Site.deleted_at.is_(None))
                .order_by(Site.name)
            )
            return [(r[0], r[1]) for r in rows]

    def contacts(self, customer_id: str) -> list[tuple[str, str]]:
        with self.workspace.transaction() as session:
            rows = session.execute(
                select(Contact.id, Contact.name, Contact.role)
                .where(Contact.customer_id == customer_id, Contact.deleted_at.is_(None))
                .order_by(Contact.name)
            )
            return [(r[0], f"{r[1]} ({r[2]})" if r[2] else r[1]) for r in rows]

    def assets(self, site_id: str) -> list[tuple[str, str]]:
        with self.workspace.transaction() as session:
            rows = session.execute(
                select(Asset.id, Product.name, Asset.serial_number, Asset.lot_number)
                .join(Product, Product.id == Asset.product_id)
                .where(Asset.site_id == site_id, Asset.deleted_at.is_(None))
                .order_by(Product.name, Asset.serial_number)
            )
            return [(r[0], f"{r[1]} — {r[2] or r[3] or '?'}") for r in rows]

    def case_records(self, case_id: str) -> CaseRecords:
        with self.workspace.transaction() as session:
            applications = session.execute(
                select(
                    ApplicationRecord.id,
                    CustomSolution.title,
                    CustomSolution.version_number,
                    ApplicationRecord.applied_at,
                    ApplicationRecord.outcome,
                    ApplicationRecord.has_deviation,
                )
                .join(CustomSolution, CustomSolution.id == ApplicationRecord.solution_id)
                .where(ApplicationRecord.case_id == case_id, ApplicationRecord.deleted_at.is_(None))
                .order_by(ApplicationRecord.applied_at)
            ).all()
            training = self._training(session, TrainingSession.case_id == case_id)
            # an annotated copy stands in for its original: one photo, counted once
            photos = session.scalar(
                select(func.count())
                .select_from(Attachment)
                .where(
                    Attachment.case_id == case_id,
                    Attachment.deleted_at.is_(None),
                    Attachment.derived_from_id.is_(None),
                )
            )
            reports = session.execute(
                select(
                    ServiceReport.id,
                    ServiceReport.report_number,
                    ServiceReport.revision,
                    ServiceReport.status,
                    ServiceReport.generated_at,
                )
                .where(ServiceReport.case_id == case_id, ServiceReport.deleted_at.is_(None))
                .order_by(ServiceReport.report_number, ServiceReport.revision)
            ).all()
            return CaseRecords(
                applications=tuple(ApplicationRow(*row) for row in applications),
                training=tuple(training),
                photo_count=int(photos or 0),
                reports=tuple(ReportRow(*row) for row in reports),
            )

    def solutions(self) -> list[SolutionRow]:
        with self.workspace.transaction() as session:
            rows = session.execute(
                select(
                    CustomSolution.id,
                    CustomSolution.title,
                    CustomSolution.version_number,
                    CustomSolution.status,
                    Product.name,
                    CustomSolution.target_process,
                )
                .outerjoin(Product, Product.id == CustomSolution.product_id)
                .where(CustomSolution.deleted_at.is_(None))
                .order_by(CustomSolution.title, CustomSolution.version_number.desc())
            ).all()
            return [SolutionRow(*row) for row in rows]

    def training_sessions(self, limit: int = 1000) -> list[TrainingRow]:
        with self.workspace.transaction() as session:
            return self._training(session, None, limit)

    @staticmethod
    def _training(
        session: Session, condition: ColumnElement[bool] | None, limit: int = 1000
    ) -> list[TrainingRow]:
        attendees = (
            select(func.count())
            .select_from(TrainingAttendee)
            .where(
                TrainingAttendee.session_id == TrainingSession.id,
                TrainingAttendee.deleted_at.is_(None),
            )
            .scalar_subquery()
        )
        stmt = (
            select(
                TrainingSession.id,
                TrainingSession.topic,
                Customer.name,
                TrainingSession.started_at,
                TrainingSession.duration_minutes,
                attendees,
                TrainingSession.case_id,
            )
            .join(Customer, Customer.id == TrainingSession.customer_id)
            .where(TrainingSession.deleted_at.is_(None))
            .order_by(TrainingSession.started_at.desc())
            .limit(limit)
        )
        if condition is not None:
            stmt = stmt.where(condition)
        return [TrainingRow(*row) for row in session.execute(stmt)]
