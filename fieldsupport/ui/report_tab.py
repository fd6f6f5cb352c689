"""The case file's Reports tab: create a visit's report, preview it, finalize it with the
customer's signature, open it in the system viewer or save a copy.

Every step that touches files or renders runs in a worker (progress after 600 ms, Cancel);
the tab only shows results.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import Qt, QUrl, Signal, Slot
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from fieldsupport.models.enums import ReportDecisionKind, ReportStatus
from fieldsupport.services.reports import ReportService, ReportView
from fieldsupport.services.signatures import SignatureService
from fieldsupport.services.views import VisitView
from fieldsupport.tasks import TaskState
from fieldsupport.ui.jobs import JobRunner
from fieldsupport.ui.report_finalize import FinalizeDialog, FinalizeInput
from fieldsupport.ui.report_preview import ReportPreviewDialog
from fieldsupport.ui.widgets import InlineMessage, format_time, touch_button

COLUMNS = ("Report", "Revision", "Status", "Visit", "Made", "Signed by", "Back office")


@dataclass(frozen=True)
class _Shown:
    case_id: str
    visits: tuple[VisitView, ...]
    signer_hint: str


def decision_label(report: ReportView) -> str:
    """What the back office decided, for the engineer (empty: not decided or not synced)."""
    decision = report.decision
    if decision is None:
        return ""
    when = format_time(decision.decided_at)
    if decision.decision is ReportDecisionKind.RETURNED:
        return f"Returned by {decision.decided_by}, {when}: {decision.reason or ''}"
    return f"Accepted by {decision.decided_by}, {when}"


def _visit_label(visit: VisitView) -> str:
    when = visit.arrived_at or visit.planned_start or visit.travel_started_at
    return f"{format_time(when) if when else '—'} · {visit.status.value.replace('_', ' ')}"


class ReportsTab(QWidget):
    #: a report was created or finalized (the case file refreshes its counts)
    changed = Signal()

    def __init__(
        self, reports: ReportService, signatures: SignatureService, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setAccessibleName(self.tr("Service reports"))
        self.reports = reports
        self.signatures = signatures
        self.jobs = JobRunner(self)
        self._shown: _Shown | None = None
        self._rows: list[ReportView] = []
        self._preview: ReportPreviewDialog | None = None

        self.visit_choice = QComboBox(self)
        self.visit_choice.setAccessibleName(self.tr("Visit to report on"))
        self.create_button = touch_button(self.tr("Create report"), self)
        self.create_button.clicked.connect(self.create_report)
        self.table = QTableWidget(0, len(COLUMNS), self)
        self.table.setAccessibleName(self.tr("Service reports of this case"))
        self.table.setHorizontalHeaderLabels([self.tr(c) for c in COLUMNS])
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QTableWidget.SelectionMode.SingleSelection)
        self.table.itemSelectionChanged.connect(self._selection_changed)
        self.table.cellActivated.connect(lambda *_: self.preview_selected())
        self.preview_button = touch_button(self.tr("Preview"), self)
        self.finalize_button = touch_button(self.tr("Finalize…"), self)
        self.open_button = touch_button(self.tr("Open in PDF viewer"), self)
        self.save_button = touch_button(self.tr("Save a copy…"), self)
        self.preview_button.clicked.connect(self.preview_selected)
        self.finalize_button.clicked.connect(self.finalize_selected)
        self.open_button.clicked.connect(self.open_selected)
        self.save_button.clicked.connect(self.save_selected)
        self.message = InlineMessage(self)

        top = QHBoxLayout()
        top.addWidget(QLabel(self.tr("Visit"), self))
        top.addWidget(self.visit_choice, 1)
        top.addWidget(self.create_button)
        actions = QHBoxLayout()
        for button in (
            self.preview_button,
            self.finalize_button,
            self.open_button,
            self.save_button,
        ):
            actions.addWidget(button)
        actions.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.table, 1)
        layout.addLayout(actions)
        layout.addWidget(self.message)
        self._selection_changed()

    # -- showing ---------------------------------------------------------------------------
    def show_case(self, case_id: str, visits: list[VisitView], signer_hint: str = "") -> None:
        previous = self.visit_choice.currentData()
        self._shown = _Shown(case_id, tuple(visits), signer_hint)
        self.visit_choice.clear()
        for visit in sorted(visits, key=lambda v: _visit_label(v), reverse=True):
            self.visit_choice.addItem(_visit_label(visit), visit.id)
        if previous is not None and (index := self.visit_choice.findData(previous)) >= 0:
            self.visit_choice.setCurrentIndex(index)
        self.create_button.setEnabled(bool(visits))
        self.create_button.setToolTip(
            "" if visits else self.tr("Plan or start a visit first; a report is of a visit.")
        )
        self.reload()

    def reload(self, select_id: str | None = None) -> None:
        if self._shown is None:
            return
        case_id = self._shown.case_id
        if select_id is None and (current := self.selected()) is not None:
            select_id = current.id
        reports = self.reports
        self.jobs.run(
            lambda _t: reports.reports_of_case(case_id),
            lambda rows: self._fill(case_id, rows, select_id),
        )

    def _fill(self, case_id: str, rows: list[ReportView], select_id: str | None) -> None:
        if self._shown is None or self._shown.case_id != case_id:
            return
        visit_labels = {v.id: _visit_label(v) for v in self._shown.visits}
        self._rows = sorted(rows, key=lambda r: (r.generated_at, r.revision), reverse=True)
        self.table.setRowCount(len(self._rows))
        for i, r in enumerate(self._rows):
            cells = (
                r.report_number,
                str(r.revision),
                self.tr(r.status.value),
                visit_labels.get(r.visit_id, ""),
                format_time(r.generated_at),
                r.signed_by or "",
                decision_label(r),
            )
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if column == len(cells) - 1 and text:
                    item.setToolTip(text)
                    if r.decision and r.decision.decision is ReportDecisionKind.RETURNED:
                        item.setForeground(Qt.GlobalColor.darkRed)
                self.table.setItem(i, column, item)
        self.table.resizeColumnsToContents()
        if select_id is not None:
            for i, r in enumerate(self._rows):
                if r.id == select_id:
                    self.table.selectRow(i)
        self._selection_changed()

    def selected(self) -> ReportView | None:
        rows = self.table.selectionModel().selectedRows()
        if not rows or rows[0].row() >= len(self._rows):
            return None
        return self._rows[rows[0].row()]

    @Slot()
    def _selection_changed(self) -> None:
        report = self.selected()
        for button in (self.preview_button, self.open_button, self.save_button):
            button.setEnabled(report is not None)
        self.finalize_button.setEnabled(report is not None and report.status is ReportStatus.DRAFT)
        if report is not None:
            self._say_decision(report)

    def _say_decision(self, report: ReportView) -> None:
        """A returned revision tells the engineer why and what to do next."""
        decision = report.decision
        if decision is None or decision.decision is not ReportDecisionKind.RETURNED:
            return
        later = [
            r.revision
            for r in self._rows
            if r.report_number == report.report_number and r.revision > report.revision
        ]
        what_next = (
            self.tr("Revision {0} replaces it.").format(max(later))
            if later
            else self.tr(
                "On the Visits tab, use Correct the visit, then create the report again "
                "(revision {0})."
            ).format(report.revision + 1)
        )
        self.message.show_error(
            self.tr("{0} revision {1} was returned by the back office: {2} {3}").format(
                report.report_number, report.revision, decision.reason or "", what_next
            )
        )

    # -- creating --------------------------------------------------------------------------
    @Slot()
    def create_report(self) -> None:
        visit_id = self.visit_choice.currentData()
        if visit_id is None:
            return
        self.message.clear_message()
        self.create_button.setEnabled(False)
        reports = self.reports

        def job(task: TaskState) -> ReportView:
            return reports.generate_draft(visit_id, task)

        operation = self.jobs.run(
            job,
            self._created,
            self._failed,
            label=self.tr("Making the service report…"),
            cancellable=True,
        )
        # also after a cancel, which reaches neither callback
        operation.finished.connect(self._enable_create)

    @Slot()
    def _enable_create(self) -> None:
        self.create_button.setEnabled(bool(self._shown and self._shown.visits))

    def _created(self, view: ReportView) -> None:
        self._say_problems(view, self.tr("Preview ready: {0} revision {1}."))
        self.reload(select_id=view.id)
        self.changed.emit()
        self.preview(view)

    def _failed(self, error: BaseException) -> None:
        self.message.show_error(str(error))

    def _say_problems(self, view: ReportView, done: str) -> None:
        text = done.format(view.report_number, view.revision)
        if view.problems:
            text += " " + self.tr("Shown with a marker: {0}.").format("; ".join(view.problems))
        if view.copy_problem:
            text += " " + view.copy_problem
        if view.problems or view.copy_problem:
            self.message.show_error(text)
        else:
            self.message.show_info(text)

    # -- preview / finalize ----------------------------------------------------------------
    @Slot()
    def preview_selected(self) -> None:
        report = self.selected()
        if report is not None:
            self.preview(report)

    def preview(self, report: ReportView) -> None:
        if report.pdf_path is None:
            self.message.show_error(self.tr("This report's PDF is not on this device."))
            return
        dialog = ReportPreviewDialog(
            self.tr("{0} revision {1}").format(report.report_number, report.revision),
            report.pdf_path,
            can_finalize=report.status is ReportStatus.DRAFT,
            parent=self,
        )
        dialog.finalize_requested.connect(lambda: self.finalize(report))
        dialog.open_requested.connect(lambda: self.open_report(report))
        dialog.save_requested.connect(lambda: self.save_report(report))
        self._preview = dialog
        dialog.open()

    @Slot()
    def finalize_selected(self) -> None:
        report = self.selected()
        if report is not None and report.status is ReportStatus.DRAFT:
            self.finalize(report)

    def finalize(self, report: ReportView) -> None:
        hint = self._shown.signer_hint if self._shown else ""
        dialog = FinalizeDialog(f"{report.report_number} rev. {report.revision}", hint, parent=self)
        dialog.accepted.connect(lambda: self._finalize_with(report, dialog.result_input))
        dialog.open()

    def _finalize_with(self, report: ReportView, given: FinalizeInput | None) -> None:
        if given is None:
            return
        reports, signatures = self.reports, self.signatures

        def job(task: TaskState) -> ReportView:
            if given.declined:
                signature = signatures.record_refusal(
                    signer_name=given.signer_name,
                    signer_role=given.signer_role,
                    reason=given.decline_reason,
                    visit_id=report.visit_id,
                )
            else:
                assert given.png is not None
                signature = signatures.record_signature(
                    signer_name=given.signer_name,
                    signer_role=given.signer_role,
                    png=given.png,
                    strokes=list(given.strokes),
                    visit_id=report.visit_id,
                )
            try:
                return reports.finalize(
                    report.id,
                    signature_id=signature.id,
                    csat_score=given.csat_score,
                    csat_comment=given.csat_comment,
                    state=task,
                )
            except BaseException:
                # refused or cancelled: the signature signs nothing, so it does not stay
                signatures.discard(signature.id)
                raise

        self.jobs.run(
            job,
            self._finalized,
            self._failed,
            label=self.tr("Finalizing the service report…"),
            cancellable=True,
        )

    def _finalized(self, view: ReportView) -> None:
        self._say_problems(view, self.tr("{0} revision {1} is finalized and can no longer change."))
        self.reload(select_id=view.id)
        self.changed.emit()

    # -- files -----------------------------------------------------------------------------
    @Slot()
    def open_selected(self) -> None:
        report = self.selected()
        if report is not None:
            self.open_report(report)

    def open_report(self, report: ReportView) -> None:
        reports = self.reports
        self.jobs.run(
            lambda _t: reports.named_pdf(report.id),
            lambda path: self._open_path(path),
            self._failed,
        )

    def _open_path(self, path: Path) -> None:
        if not QDesktopServices.openUrl(QUrl.fromLocalFile(str(path))):
            self.message.show_error(
                self.tr("No PDF viewer opened the report. It is at {0}.").format(path)
            )

    @Slot()
    def save_selected(self) -> None:
        report = self.selected()
        if report is not None:
            self.save_report(report)

    def save_report(self, report: ReportView) -> None:
        target, _ = QFileDialog.getSaveFileName(
            self,
            self.tr("Save a copy of the report"),
            str(Path.home() / f"{report.file_stem}.pdf"),
            self.tr("PDF (*.pdf)"),
        )
        if target:
            self.save_to(report, Path(target))

    def save_to(self, report: ReportView, target: Path) -> None:
        reports = self.reports
        self.jobs.run(
            lambda _t: reports.export(report.id, target),
            lambda paths: self.message.show_info(
                self.tr("Saved {0} and its data {1}.").format(paths[0], paths[1].name)
            ),
            self._failed,
        )
