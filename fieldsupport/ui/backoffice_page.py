"""The back office's page: the central server's inbox of submitted service reports (PDF and
structured data side by side, accept or return with a reason, export for the ERP), claims
awaiting a decision and recall campaign progress across all engineers.

Shown only when the workspace's sync account is back office or admin. Every server call and
every read runs in a worker; the page only shows results.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Slot
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QSplitter,
    QTableWidgetItem,
    QTabWidget,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from fieldsupport.reports.export import LEDGER_NAME, ExportResult
from fieldsupport.services.backoffice import BackOfficeService, ReportFiles
from fieldsupport.sync.backoffice import Decision, DecisionRefused, Inbox, InboxRow
from fieldsupport.sync.transport import SyncError
from fieldsupport.tasks import TaskState
from fieldsupport.ui.backoffice_follow_up import (
    CampaignProgressPanel,
    ClaimsAwaitingPanel,
    list_table,
)
from fieldsupport.ui.jobs import JobRunner
from fieldsupport.ui.operations import Operation
from fieldsupport.ui.report_preview import PdfPane
from fieldsupport.ui.widgets import (
    InlineMessage,
    fit_columns,
    format_time,
    touch_button,
    touch_line,
)

STATES = (("pending", "Awaiting decision"), ("decided", "Decided"), ("all", "All"))
COLUMNS = ("Report", "Rev.", "Case", "Customer", "Engineer", "Date", "Status", "Decision")
PROBLEM_COLOR = "#b3261e"
# the report document's sections in reading order (the rest follow alphabetically)
SECTION_ORDER = (
    "report",
    "case",
    "customer",
    "site",
    "contact",
    "asset",
    "visit",
    "parts",
    "measurements",
    "applications",
    "training",
    "photos",
    "signature",
    "satisfaction",
    "pdf",
    "problems",
)
EXPANDED_SECTIONS = ("report", "case", "customer", "visit", "parts")
# the field that names an entry of a list (parts, measurements, timeline, ...)
ENTRY_TITLES = ("part_number", "name", "title", "topic", "solution_title", "what", "caption")
LONG_VALUE = 40  # characters: a longer value may be cut off in its column; its tooltip has all


def refusal_text(error: DecisionRefused, row: InboxRow) -> str:
    """The server's refusal, with the time of a decision made meanwhile in local time."""
    if error.code == "already_decided" and error.decision is not None:
        try:
            decided = Decision.from_wire(error.decision)
        except SyncError:
            decided = None
        if decided is not None:
            what = "accepted" if decided.decision == "accepted" else "returned"
            return (
                f"{row.report_number} revision {row.revision} was already {what} by "
                f"{decided.decided_by} at {format_time(decided.decided_at)}; nothing was changed."
            )
    return str(error)


def decision_text(row: InboxRow) -> str:
    if row.decision is not None:
        d = row.decision
        what = "Accepted" if d.decision == "accepted" else "Returned"
        text = f"{what} by {d.decided_by}, {format_time(d.decided_at)}"
        return f"{text}: {d.reason}" if d.reason else text
    if row.superseded:
        return f"Superseded by revision {row.superseded_by}; no decision needed"
    if row.problems:
        return "Problem: " + " ".join(row.problems)
    return "Awaiting decision"


EMPTY_INBOX = "No reports are waiting for a decision."
SHOWN_NAMES = 5  # report names listed in the export message


def export_text(result: ExportResult) -> str:
    """What an export did, for office staff: how many reports, which, and where (not the
    export's cursor, which only the command line's ``--since`` needs)."""
    adopted = (
        f" It also recorded {result.adopted.name}, which an interrupted export had finished."
        if result.adopted
        else ""
    )
    if result.batch is None:
        return (
            f"Nothing new to export: every accepted report is already in {result.out_dir}."
            + adopted
        )
    names = list(result.reports[:SHOWN_NAMES])
    if len(result.reports) > SHOWN_NAMES:
        names.append(f"and {len(result.reports) - SHOWN_NAMES} more")
    count = len(result.reports)
    noun = "report" if count == 1 else "reports"
    return (
        f"Exported {count} accepted {noun} ({', '.join(names)}) with summary.csv to "
        f"{result.batch}." + adopted
    )


class BackOfficePage(QWidget):
    def __init__(self, service: BackOfficeService, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName(self.tr("Back office"))
        self.service = service
        self.jobs = JobRunner(self)
        self.rows: list[InboxRow] = []
        self.files: ReportFiles | None = None
        self._shown_id: str | None = None
        self._fetching: Operation | None = None
        self._fetch_next: InboxRow | None = None
        self._loaded = False
        self._inbox_generation = 0  # a newer inbox request makes older answers stale
        self.last_export: Path | None = None  # read from the workspace on the first show

        self.state = QComboBox(self)
        self.state.setAccessibleName(self.tr("Show reports"))
        for value, label in STATES:
            self.state.addItem(self.tr(label), value)
        self.state.currentIndexChanged.connect(lambda _i: self.refresh())
        self.refresh_button = touch_button(self.tr("Refresh"), self)
        self.refresh_button.clicked.connect(self.refresh_all)
        self.export_button = touch_button(self.tr("Export accepted…"), self)
        self.export_button.clicked.connect(self._export_clicked)
        self.count_label = QLabel(self)
        self.count_label.setAccessibleName(self.tr("Reports awaiting a decision"))

        self.table = list_table(self, COLUMNS, self.tr("Report inbox"))
        self.table.itemSelectionChanged.connect(self._selection_changed)

        self.pdf = PdfPane(self)
        self.data = QTreeWidget(self)
        self.data.setAccessibleName(self.tr("Structured data of the report"))
        self.data.setHeaderLabels([self.tr("Field"), self.tr("Value")])
        self.data.setColumnWidth(0, 190)
        self.problems = QLabel(self)
        self.problems.setWordWrap(True)
        self.problems.setStyleSheet(f"color: {PROBLEM_COLOR}; font-weight: 600;")
        self.reason = touch_line(self, self.tr("Reason for returning"))
        self.accept_button = touch_button(self.tr("Accept"), self)
        self.accept_button.clicked.connect(self.accept_selected)
        self.return_button = touch_button(self.tr("Return to engineer"), self)
        self.return_button.clicked.connect(self.return_selected)
        self.message = InlineMessage(self)

        review = QSplitter(Qt.Orientation.Horizontal, self)
        review.addWidget(self.pdf)
        review.addWidget(self.data)
        review.setSizes([520, 380])
        decide = QHBoxLayout()
        decide.addWidget(self.reason, 1)
        decide.addWidget(self.accept_button)
        decide.addWidget(self.return_button)
        right = QWidget(self)
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.addWidget(review, 1)
        right_layout.addWidget(self.problems)
        right_layout.addLayout(decide)
        self.splitter = QSplitter(Qt.Orientation.Vertical, self)
        self.splitter.addWidget(self.table)
        self.splitter.addWidget(right)
        self.splitter.setSizes([220, 560])

        self.claims = ClaimsAwaitingPanel(service, self)
        self.campaigns = CampaignProgressPanel(service, self)
        # the inbox's controls sit on its tab; claims and campaigns are read again whenever
        # their tab is opened
        reports = QWidget(self)
        bar = QHBoxLayout()
        bar.addWidget(QLabel(self.tr("Show"), reports))
        bar.addWidget(self.state)
        bar.addWidget(self.refresh_button)
        bar.addWidget(self.count_label, 1)
        bar.addWidget(self.export_button)
        reports_layout = QVBoxLayout(reports)
        reports_layout.addLayout(bar)
        reports_layout.addWidget(self.splitter, 1)
        self.tabs = QTabWidget(self)
        self.tabs.addTab(reports, self.tr("Service reports"))
        self.tabs.addTab(self.claims, self.tr("Claims awaiting decision"))
        self.tabs.addTab(self.campaigns, self.tr("Recall campaigns"))
        self.tabs.currentChanged.connect(self._tab_changed)

        layout = QVBoxLayout(self)
        layout.addWidget(self.tabs, 1)
        layout.addWidget(self.message)
        self._selection_changed()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if not self._loaded:  # first visit: fill without a click
            self._loaded = True
            self.refresh_all()
            service = self.service
            # Export waits for the last export's folder: the question before a folder
            # without a ledger depends on it
            self.export_button.setEnabled(False)
            self.jobs.run(
                lambda _t: service.last_export_folder(),
                self._set_last_export,
                self._last_export_failed,
            )

    @Slot(int)
    def _tab_changed(self, _index: int) -> None:
        # a message about the inbox does not belong under the claims or campaigns
        self.message.clear_message()
        current = self.tabs.currentWidget()
        if current is self.claims:
            self.claims.refresh()
        elif current is self.campaigns:
            self.campaigns.refresh()

    # -- inbox ------------------------------------------------------------------------------
    @Slot()
    def refresh_all(self) -> None:
        self.refresh()
        self.claims.refresh()
        self.campaigns.refresh()

    def refresh(self, select_id: str | None = None) -> None:
        state = self.state.currentData()
        if select_id is None and (current := self.selected()) is not None:
            select_id = current.report_id
        service = self.service
        self._inbox_generation += 1
        generation = self._inbox_generation
        self.refresh_button.setEnabled(False)
        self.jobs.run(
            lambda _t: service.inbox(state),
            lambda inbox: self._fill(generation, inbox, select_id),
            self._failed,
        )

    def _fill(self, generation: int, inbox: Inbox, select_id: str | None) -> None:
        if generation != self._inbox_generation:
            return  # e.g. the filter changed again before this answer arrived
        self.refresh_button.setEnabled(True)
        self.rows = inbox.rows
        self.count_label.setText(
            self.tr("{0} report(s) awaiting a decision").format(inbox.pending)
            if inbox.pending
            else self.tr(EMPTY_INBOX)
        )
        self.table.blockSignals(True)
        self.table.setRowCount(len(self.rows))
        for i, row in enumerate(self.rows):
            cells = (
                row.report_number,
                str(row.revision),
                row.case_number,
                row.customer,
                row.engineer,
                format_time(row.date),
                self.tr(row.status),
                decision_text(row),
            )
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if column == len(cells) - 1:  # may be cut off at the table's edge
                    item.setToolTip(text)
                    if row.superseded:
                        item.setForeground(Qt.GlobalColor.darkGray)
                    elif row.problems and row.decision is None:
                        item.setForeground(Qt.GlobalColor.darkRed)
                        item.setToolTip("\n".join(row.problems))
                self.table.setItem(i, column, item)
        fit_columns(self.table)
        self.table.clearSelection()
        self.table.blockSignals(False)
        target = next((i for i, r in enumerate(self.rows) if r.report_id == select_id), None)
        if target is None and self.rows:
            target = 0
        if target is not None:
            self.table.selectRow(target)
        self._selection_changed()

    def selected(self) -> InboxRow | None:
        rows = self.table.selectionModel().selectedRows()
        if not rows or rows[0].row() >= len(self.rows):
            return None
        return self.rows[rows[0].row()]

    @Slot()
    def _selection_changed(self) -> None:
        row = self.selected()
        undecided = row is not None and row.decision is None and not row.superseded
        self.accept_button.setEnabled(bool(undecided and row and row.can_accept))
        self.return_button.setEnabled(undecided)
        self.reason.setEnabled(undecided)
        self.accept_button.setToolTip(
            "\n".join(row.problems) if row is not None and row.problems else ""
        )
        self.problems.setText(
            self.tr("Cannot be accepted: {0}").format(" ".join(row.problems))
            if undecided and row is not None and row.problems
            else ""
        )
        if row is None:
            self._shown_id = None
            self.files = None
            empty = not self.rows and self.state.currentData() == "pending"
            self.pdf.clear(self.tr(EMPTY_INBOX) if empty else "")
            self.data.clear()
            return
        if row.report_id != self._shown_id:
            self._load_files(row)

    def _load_files(self, row: InboxRow) -> None:
        self._shown_id = row.report_id
        self.files = None
        self.pdf.clear(
            self.tr("Fetching {0} revision {1}…").format(row.report_number, row.revision)
        )
        self.data.clear()
        if self._fetching is not None:  # one download at a time; the latest choice waits
            self._fetch_next = row
            return
        service = self.service

        def job(task: TaskState) -> ReportFiles:
            return service.fetch_files(row, task)

        self._fetching = self.jobs.run(
            job, lambda files: self._show_files(row.report_id, files), self._failed
        )
        self._fetching.finished.connect(self._fetch_finished)

    @Slot()
    def _fetch_finished(self) -> None:
        self._fetching = None
        waiting, self._fetch_next = self._fetch_next, None
        if waiting is not None and waiting.report_id == self._shown_id:
            self._load_files(waiting)

    def _show_files(self, report_id: str, files: ReportFiles) -> None:
        if report_id != self._shown_id:
            return  # the selection moved on meanwhile
        self.files = files
        if files.pdf_path is not None:
            self.pdf.show_pdf(files.pdf_path)
        else:
            self.pdf.clear(" ".join(files.problems) or self.tr("The PDF is not available."))
        self.data.clear()
        if files.document is not None:
            document = files.document
            ordered = [k for k in SECTION_ORDER if k in document]
            ordered += sorted(k for k in document if k not in SECTION_ORDER)
            _fill_tree(self.data.invisibleRootItem(), {k: document[k] for k in ordered})
            for index in range(self.data.topLevelItemCount()):
                item = self.data.topLevelItem(index)
                if item.text(0) in EXPANDED_SECTIONS:
                    item.setExpanded(True)
        elif files.problems:
            self.message.show_error(" ".join(files.problems))

    # -- decisions --------------------------------------------------------------------------
    @Slot()
    def accept_selected(self) -> None:
        row = self.selected()
        if row is not None and row.can_accept:
            self._decide(row, "accepted", None)

    @Slot()
    def return_selected(self) -> None:
        row = self.selected()
        if row is None:
            return
        reason = self.reason.text().strip()
        if not reason:
            self.message.show_error(
                self.tr("Say why the report is returned: the engineer sees the reason.")
            )
            self.reason.setFocus()
            return
        self._decide(row, "returned", reason)

    def _decide(self, row: InboxRow, decision: str, reason: str | None) -> None:
        service = self.service
        self.accept_button.setEnabled(False)
        self.return_button.setEnabled(False)

        def done(_result: Any) -> None:
            verb = self.tr("Accepted") if decision == "accepted" else self.tr("Returned")
            self.message.show_info(
                self.tr("{0} {1} revision {2}.").format(verb, row.report_number, row.revision)
            )
            self.reason.clear()
            self.refresh()

        def refused(error: BaseException) -> None:
            # someone else decided, or the report has a problem: say so and show the
            # server's current state so the inbox stays true
            if isinstance(error, DecisionRefused):
                self.message.show_error(refusal_text(error, row))
                self.refresh(select_id=row.report_id)
            else:
                self.message.show_error(str(error))
                self._selection_changed()

        self.jobs.run(lambda _t: service.decide(row.report_id, decision, reason), done, refused)

    # -- export -----------------------------------------------------------------------------
    def _set_last_export(self, folder: Path | None) -> None:
        self.last_export = self.last_export or folder  # an export meanwhile knows better
        self.export_button.setEnabled(True)

    def _last_export_failed(self, error: BaseException) -> None:
        self.export_button.setEnabled(True)  # exports then ask before any folder but the first
        self._failed(error)

    @Slot()
    def _export_clicked(self) -> None:
        folder = QFileDialog.getExistingDirectory(
            self, self.tr("Export accepted reports to"), str(self.last_export or Path.home())
        )
        if not folder:
            return
        chosen, last = Path(folder), self.last_export
        self.export_button.setEnabled(False)

        def checked(ask: bool) -> None:
            if ask and not self.ask_new_export_folder(chosen, last):  # type: ignore[arg-type]
                self.message.show_info(
                    self.tr("Nothing was exported. The last export went to {0}.").format(last)
                )
                self.export_button.setEnabled(True)
                return
            self.export_to(chosen)

        def failed(error: BaseException) -> None:
            self.export_button.setEnabled(True)
            self.message.show_error(str(error))

        # the folder may be a network share: looked at in a worker
        self.jobs.run(lambda _t: export_needs_question(chosen, last), checked, failed)

    def ask_new_export_folder(self, folder: Path, last: Path) -> bool:
        answer = QMessageBox.question(
            self,
            self.tr("Export to a new folder?"),
            self.tr(
                "The accepted reports were last exported to {0}.\n\n{1} has no export "
                "ledger, so every accepted report would be exported there again, also those "
                "already exported. Export to {1} anyway?"
            ).format(last, folder),
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.No,
        )
        return answer == QMessageBox.StandardButton.Yes

    def export_to(self, folder: Path) -> None:
        service = self.service
        self.export_button.setEnabled(False)

        def job(task: TaskState) -> ExportResult:
            return service.export(folder, task)

        def done(result: ExportResult) -> None:
            self.last_export = result.out_dir
            self.message.show_info(self.tr(export_text(result)))

        operation = self.jobs.run(
            job,
            done,
            lambda error: self.message.show_error(str(error)),
            label=self.tr("Exporting accepted reports…"),
            cancellable=True,
        )
        # also after a cancel, which reports neither success nor failure
        operation.finished.connect(lambda: self.export_button.setEnabled(True))

    def _failed(self, error: BaseException) -> None:
        self.refresh_button.setEnabled(True)
        self.message.show_error(str(error))


def export_needs_question(folder: Path, last: Path | None) -> bool:
    """A folder without an export ledger starts from nothing: every accepted report is
    exported again. Fine for the first export; after one elsewhere, ask first."""
    if last is None or _same_folder(folder, last):
        return False
    return not (folder / LEDGER_NAME).exists()


def _same_folder(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve()
    except OSError:
        return a.absolute() == b.absolute()


def _fill_tree(parent: QTreeWidgetItem, value: Any) -> None:
    """JSON as a tree: objects and lists open into children, scalars are shown as text."""
    items = value.items() if isinstance(value, dict) else enumerate(value)
    for key, child in items:
        label = str(key + 1) if isinstance(key, int) else str(key)
        if isinstance(key, int) and isinstance(child, dict):
            title = next((child[k] for k in ENTRY_TITLES if child.get(k)), None)
            label = f"{label} · {title}" if title else label
        item = QTreeWidgetItem(parent, [label, ""])
        if isinstance(child, dict | list):
            item.setText(1, "" if child else "—")
            _fill_tree(item, child)
        else:
            text = "—" if child is None else str(child)
            item.setText(1, text)
            if len(text) > LONG_VALUE:
                item.setToolTip(1, text)
