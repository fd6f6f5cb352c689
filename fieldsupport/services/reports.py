"""Service reports: preview (draft), finalize with signature or refusal, revisions, export.

Life of a report:

* ``generate_draft`` renders the visit as it is now: revision 1 the first time, or the same
  draft again (drafts are previews and may be replaced), or revision n+1 once revision n
  was finalized. The report number stays the visit's for all revisions.
* ``finalize`` renders the draft again with the signature (or the recorded refusal) and the
  satisfaction score and marks it signed/final. From then on it is immutable (enforced on
  the model too); editing the visit and reporting again makes the next revision.
* The customer signs what they saw: if the visit changed after the preview, finalizing is
  refused until the preview is made again, and a signature signs one revision only (a
  corrected revision is signed again, or the refusal or absence is recorded).

PDF and JSON bytes go into the blob store by hash (so they sync like photos); a copy named
after the report number is kept in the workspace's ``reports/`` folder for people.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select

from fieldsupport.errors import FieldSupportError, NotFoundError, ValidationError
from fieldsupport.media.blobstore import BlobStore
from fieldsupport.models import Blob, Case, ReportDecision, ServiceReport, Signature, Visit, utcnow
from fieldsupport.models.enums import ReportDecisionKind, ReportStatus
from fieldsupport.reports.document import dumps, report_document
from fieldsupport.reports.pdf import render_pdf
from fieldsupport.services import numbering
from fieldsupport.services.records import get_live
from fieldsupport.services.report_content import BRANDING_SETTING, collect_content
from fieldsupport.services.validation import optional_text
from fieldsupport.tasks import TaskState
from fieldsupport.workspace import Workspace

REPORT_PREFIX = "SR"
# Parts of the data document that differ between a preview and its finalized revision
# without the visit having changed.
_NOT_FACTS = ("report", "pdf", "signature", "satisfaction", "generator", "problems")


@dataclass(frozen=True)
class DecisionView:
    """The back office's decision on a revision, as pulled from the central server."""

    decision: ReportDecisionKind
    reason: str | None
    decided_by: str
    decided_at: datetime


@dataclass(frozen=True)
class ReportView:
    id: str
    report_number: str
    revision: int
    status: ReportStatus
    case_id: str
    visit_id: str
    generated_at: datetime
    pdf_sha256: str | None
    data_sha256: str | None
    signed_by: str | None
    signed_at: datetime | None
    pdf_path: Path | None
    data_path: Path | None
    # what the report could not show (missing photo, unreadable logo...), for the UI to say
    problems: tuple[str, ...] = ()
    # accepted or returned by the back office (None: not decided, or not synced yet)
    decision: DecisionView | None = None
    # the report is saved, but its copy under a readable name in the reports folder is not
    copy_problem: str | None = None

    @property
    def finished(self) -> bool:
        return self.status in (ReportStatus.SIGNED, ReportStatus.FINAL)

    @property
    def file_stem(self) -> str:
        draft = "-draft" if self.status is ReportStatus.DRAFT else ""
        return f"{self.report_number}-rev{self.revision}{draft}"


def _facts(document: dict[str, Any]) -> dict[str, Any]:
    facts = {k: v for k, v in document.items() if k not in _NOT_FACTS}
    # whether a photo's file was on disk is not a fact of the visit
    facts["photos"] = [
        {k: v for k, v in photo.items() if k != "in_pdf"} for photo in facts.get("photos", [])
    ]
    return facts


def _same_bytes(a: Path, b: Path) -> bool:
    return b.is_file() and a.stat().st_size == b.stat().st_size and a.read_bytes() == b.read_bytes()


class ReportService:
    def __init__(self, workspace: Workspace, *, user_id: str | None = None) -> None:
        self.workspace = workspace
        self.user_id = user_id
        self.store = BlobStore(workspace.blobs_dir)

    # -- queries ---------------------------------------------------------------------------
    def reports_of_case(self, case_id: str) -> list[ReportView]:
        with self.workspace.transaction() as session:
            rows = session.scalars(
                select(ServiceReport)
                .where(ServiceReport.case_id == case_id, ServiceReport.deleted_at.is_(None))
                .order_by(ServiceReport.report_number, ServiceReport.revision)
            ).all()
            decisions = {
                d.report_id: DecisionView(d.decision, d.reason, d.decided_by, d.decided_at)
                for d in session.scalars(
                    select(ReportDecision).where(
                        ReportDecision.report_id.in_([r.id for r in rows]),
                        ReportDecision.deleted_at.is_(None),
                    )
                )
            }
            return [self._view(r, decision=decisions.get(r.id)) for r in rows]

    def reports_of_visit(self, visit_id: str) -> list[ReportView]:
        with self.workspace.transaction() as session:
            return [self._view(r) for r in self._of_visit(session, visit_id)]

    def get(self, report_id: str) -> ReportView:
        with self.workspace.transaction() as session:
            return self._view(get_live(session, ServiceReport, report_id, "service report"))

    def visit_for_report(self, case_number: str, visit_id: str | None = None) -> str:
        """The visit to report on: the one given (checked to be of that case), or the case's
        most recent one (for the CLI)."""
        with self.workspace.transaction() as session:
            case = session.scalar(select(Case).where(Case.case_number == case_number))
            if case is None or case.deleted_at is not None:
                raise NotFoundError(f"There is no case {case_number} in this workspace.")
            if visit_id is not None:
                chosen = session.get(Visit, visit_id)
                if chosen is None or chosen.deleted_at is not None or chosen.case_id != case.id:
                    raise NotFoundError(f"Case {case_number} has no visit {visit_id}.")
                return chosen.id
            visit = session.scalar(
                select(Visit)
                .where(Visit.case_id == case.id, Visit.deleted_at.is_(None))
                .order_by(
                    Visit.arrived_at.desc().nulls_last(),
                    Visit.planned_start.desc().nulls_last(),
                    Visit.created_at.desc(),
                )
                .limit(1)
            )
            if visit is None:
                raise ValidationError(f"Case {case_number} has no visit to report on yet.")
            return visit.id

    # -- generating ------------------------------------------------------------------------
    def generate_draft(self, visit_id: str, state: TaskState | None = None) -> ReportView:
        state = state or TaskState()
        state.progress(0.02, "Reading the visit")
        with self.workspace.transaction() as session:
            visit = get_live(session, Visit, visit_id, "visit")
            reports = self._of_visit(session, visit_id)
            latest = reports[-1] if reports else None
            if latest is None:
                number = self._new_number(session)
                revision = 1
            elif latest.status is ReportStatus.DRAFT:
                number, revision = latest.report_number, latest.revision
            else:
                number, revision = latest.report_number, latest.revision + 1
            now = utcnow()
            content = collect_content(
                session,
                visit,
                store=self.store,
                branding_setting=self.workspace.get_setting(BRANDING_SETTING),
                report_number=number,
                revision=revision,
                status=ReportStatus.DRAFT.value,
                generated_at=now,
                device_code=numbering.device_code(session),
            )
            case_id = visit.case_id
        pdf_sha, data_sha, problems = self._render(content, state)
        # the last point to cancel: once the row is written the report exists
        state.progress(0.97, "Saving the report")
        with self.workspace.transaction() as session:
            draft = self._of_visit(session, visit_id)
            row = draft[-1] if draft and draft[-1].status is ReportStatus.DRAFT else None
            next_revision = (
                (draft[-1].report_number, draft[-1].revision + 1) if draft else (number, 1)
            )
            if row is None and (number, revision) != next_revision:
                # the draft read above was finalized meanwhile: this one would reuse its
                # revision number
                raise FieldSupportError(
                    "This visit's report was finalized meanwhile; report the visit again to "
                    "make the next revision."
                )
            if row is None:
                row = ServiceReport(
                    report_number=number,
                    revision=revision,
                    case_id=case_id,
                    visit_id=visit_id,
                    status=ReportStatus.DRAFT,
                )
                session.add(row)
            elif (row.report_number, row.revision) != (number, revision):
                raise FieldSupportError(
                    "Another report of this visit was made meanwhile; try again."
                )
            row.generated_at = now
            row.pdf_sha256 = pdf_sha
            row.data_sha256 = data_sha
            session.flush()
            view = self._view(row, problems)
        return self._with_named_copies(view)

    def finalize(
        self,
        report_id: str,
        *,
        signature_id: str,
        csat_score: int | None = None,
        csat_comment: str | None = None,
        state: TaskState | None = None,
    ) -> ReportView:
        state = state or TaskState()
        if csat_score is not None and not (isinstance(csat_score, int) and 1 <= csat_score <= 5):
            raise ValidationError("Satisfaction must be a score from 1 to 5.", field="csat_score")
        comment = optional_text(csat_comment, "satisfaction comment")
        state.progress(0.02, "Reading the visit")
        with self.workspace.transaction() as session:
            row = get_live(session, ServiceReport, report_id, "service report")
            if row.status is not ReportStatus.DRAFT:
                raise ValidationError(
                    f"Report {row.report_number} revision {row.revision} is already "
                    f"{row.status.value}; report the visit again to make a new revision."
                )
            signature = get_live(session, Signature, signature_id, "signature")
            if signature.visit_id not in (None, row.visit_id):
                raise ValidationError("That signature was given for another visit.")
            signed = session.scalar(
                select(ServiceReport).where(
                    ServiceReport.signature_id == signature.id, ServiceReport.id != row.id
                )
            )
            if signed is not None:
                # the customer signed what that revision showed, not this one
                raise ValidationError(
                    f"That signature was given for revision {signed.revision}; each revision "
                    "is signed again, or the customer's refusal (or absence) is recorded."
                )
            visit = get_live(session, Visit, row.visit_id, "visit")
            status = ReportStatus.FINAL if signature.declined else ReportStatus.SIGNED
            content = collect_content(
                session,
                visit,
                store=self.store,
                branding_setting=self.workspace.get_setting(BRANDING_SETTING),
                report_number=row.report_number,
                revision=row.revision,
                status=status.value,
                generated_at=utcnow(),
                device_code=numbering.device_code(session),
                signature=signature,
                csat_score=csat_score,
                csat_comment=comment,
            )
            previewed = self._document(row.data_sha256)
            number, revision = row.report_number, row.revision
        current = report_document(
            content, pdf_sha256="0" * 64, pdf_bytes=1, problems=[], missing_photos=set()
        )
        if previewed is None or _facts(previewed) != _facts(current):
            raise ValidationError(
                "The visit changed after this preview was made. Make the preview again and "
                "let the customer check it before signing."
            )
        pdf_sha, data_sha, problems = self._render(content, state)
        # the last point to cancel: once the row is written the report is final
        state.progress(0.97, "Saving the report")
        with self.workspace.transaction() as session:
            row = get_live(session, ServiceReport, report_id, "service report")
            if row.status is not ReportStatus.DRAFT or (row.report_number, row.revision) != (
                number,
                revision,
            ):
                raise ValidationError("This report was finalized meanwhile; nothing was changed.")
            row.status = status
            row.generated_at = content.generated_at
            row.pdf_sha256 = pdf_sha
            row.data_sha256 = data_sha
            row.signature_id = signature.id
            row.signed_by = signature.signer_name
            row.signed_at = signature.signed_at
            row.csat_score = csat_score
            row.csat_comment = comment
            session.flush()
            view = self._view(row, problems)
        self._remove_named_draft(view)
        return self._with_named_copies(view)

    # -- files -----------------------------------------------------------------------------
    def export(self, report_id: str, destination: Path) -> tuple[Path, Path]:
        """Copy the PDF to ``destination`` (a file or folder) and its JSON beside it."""
        view = self.get(report_id)
        if view.pdf_path is None or view.data_path is None:
            raise FieldSupportError("This report's files are not on this device.")
        destination = Path(destination)
        pdf = destination / f"{view.file_stem}.pdf" if destination.is_dir() else destination
        if pdf.suffix.lower() != ".pdf":
            pdf = pdf.with_suffix(pdf.suffix + ".pdf") if pdf.suffix else pdf.with_suffix(".pdf")
        data = pdf.with_suffix(".json")
        try:
            pdf.parent.mkdir(parents=True, exist_ok=True)
            for source, target in ((view.pdf_path, pdf), (view.data_path, data)):
                with self.store.atomic_writer(target) as out, open(source, "rb") as src:
                    shutil.copyfileobj(src, out)
        except OSError as exc:
            raise FieldSupportError(
                f"The report could not be saved to {pdf}: {exc.strerror}."
            ) from exc
        return pdf, data

    def named_pdf(self, report_id: str) -> Path:
        """The copy named after the report (for the system PDF viewer)."""
        view = self.get(report_id)
        return self._write_named_copies(view)

    # -- internals -------------------------------------------------------------------------
    def _render(self, content: Any, state: TaskState) -> tuple[str, str, tuple[str, ...]]:
        staging = self.workspace.blobs_dir / "tmp"
        staging.mkdir(parents=True, exist_ok=True)
        handle, temp_name = tempfile.mkstemp(dir=staging, prefix="report-", suffix=".pdf")
        temp = Path(temp_name)
        try:
            os.close(handle)
            state.progress(0.1, "Laying out the report")
            result = render_pdf(content, temp, on_flowable=lambda f: state.progress(0.1 + 0.8 * f))
            state.progress(0.92, "Storing the report")
            size = temp.stat().st_size
            pdf_sha = self.store.put_file(temp, "application/pdf")
        except OSError as exc:
            raise FieldSupportError(f"The report could not be written: {exc.strerror}.") from exc
        finally:
            temp.unlink(missing_ok=True)
        document = report_document(
            content,
            pdf_sha256=pdf_sha,
            pdf_bytes=size,
            problems=result.problems,
            missing_photos=result.missing_photos,
        )
        data = dumps(document)
        data_sha = self.store.put_bytes(data, "application/json")
        with self.workspace.transaction() as session:
            for sha, length, media_type in (
                (pdf_sha, size, "application/pdf"),
                (data_sha, len(data), "application/json"),
            ):
                if session.get(Blob, sha) is None:
                    session.add(Blob(sha256=sha, size_bytes=length, media_type=media_type))
        return pdf_sha, data_sha, tuple(result.problems)

    def _document(self, data_sha: str | None) -> dict[str, Any] | None:
        if not data_sha or not self.store.has(data_sha):
            return None
        try:
            loaded: dict[str, Any] = json.loads(self.store.original_path(data_sha).read_bytes())
        except (OSError, ValueError):
            return None
        return loaded

    @staticmethod
    def _of_visit(session: Any, visit_id: str) -> list[ServiceReport]:
        return list(
            session.scalars(
                select(ServiceReport)
                .where(ServiceReport.visit_id == visit_id, ServiceReport.deleted_at.is_(None))
                .order_by(ServiceReport.revision)
            )
        )

    @staticmethod
    def _new_number(session: Any) -> str:
        code = numbering.device_code(session)
        return f"{REPORT_PREFIX}-{code}-{numbering.next_in_sequence(session, 'report_number'):05d}"

    def _view(
        self,
        row: ServiceReport,
        problems: tuple[str, ...] = (),
        *,
        decision: DecisionView | None = None,
    ) -> ReportView:
        def path(sha: str | None) -> Path | None:
            if not sha:
                return None
            p = self.store.original_path(sha)
            return p if p.is_file() else None

        return ReportView(
            id=row.id,
            report_number=row.report_number,
            revision=row.revision,
            status=row.status,
            case_id=row.case_id,
            visit_id=row.visit_id,
            generated_at=row.generated_at,
            pdf_sha256=row.pdf_sha256,
            data_sha256=row.data_sha256,
            signed_by=row.signed_by,
            signed_at=row.signed_at,
            pdf_path=path(row.pdf_sha256),
            data_path=path(row.data_sha256),
            problems=problems,
            decision=decision,
        )

    def _with_named_copies(self, view: ReportView) -> ReportView:
        """The report is saved by now: a copy that cannot be written is said, not raised."""
        try:
            self._write_named_copies(view)
        except (OSError, FieldSupportError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            return replace(
                view,
                copy_problem=(
                    f"Its copy in {self.workspace.reports_dir} could not be written ({reason}); "
                    "the report itself is saved."
                ),
            )
        return view

    def _write_named_copies(self, view: ReportView) -> Path:
        if view.pdf_path is None or view.data_path is None:
            raise FieldSupportError("This report's files are not on this device.")
        folder = self.workspace.reports_dir
        pdf = folder / f"{view.file_stem}.pdf"
        for source, target in ((view.pdf_path, pdf), (view.data_path, pdf.with_suffix(".json"))):
            if _same_bytes(source, target):
                continue
            with self.store.atomic_writer(target) as out, open(source, "rb") as src:
                shutil.copyfileobj(src, out)
        return pdf

    def _remove_named_draft(self, view: ReportView) -> None:
        stem = f"{view.report_number}-rev{view.revision}-draft"
        for suffix in (".pdf", ".json"):
            (self.workspace.reports_dir / f"{stem}{suffix}").unlink(missing_ok=True)
