"""The case file: header (customer, site, contact, asset, live SLA clocks), the workflow
actions the rules allow now, and the tabs (overview, timeline, visits, solutions, training,
photos, reports, history)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from html import escape

from PySide6.QtCore import Qt, QTimer, Signal, Slot
from PySide6.QtWidgets import (
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QMessageBox,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from fieldsupport.errors import ConflictError, FieldSupportError
from fieldsupport.models.enums import AssistType, VisitStatus
from fieldsupport.services.applications import ApplicationService
from fieldsupport.services.cases import CaseService
from fieldsupport.services.catalog import CaseRecords, CatalogService
from fieldsupport.services.claims import ClaimService
from fieldsupport.services.drafts import DraftStore
from fieldsupport.services.knowledge import DOCUMENTABLE_STATUSES
from fieldsupport.services.photos import PhotoService
from fieldsupport.services.reports import ReportService
from fieldsupport.services.signatures import SignatureService
from fieldsupport.services.solutions import SolutionService
from fieldsupport.services.training import TrainingService
from fieldsupport.services.views import CaseDetail, CaseRow, VisitView
from fieldsupport.services.visits import VisitService
from fieldsupport.ui.action_dialog import ActionDialog, needs_form
from fieldsupport.ui.claims_tab import ClaimsTab
from fieldsupport.ui.jobs import JobRunner
from fieldsupport.ui.photo_gallery import PhotoGallery
from fieldsupport.ui.report_tab import ReportsTab
from fieldsupport.ui.solutions_tab import SolutionsTab
from fieldsupport.ui.timeline_tab import TimelineTab
from fieldsupport.ui.training_tab import TrainingTab
from fieldsupport.ui.visit_panel import VisitPanel
from fieldsupport.ui.widgets import (
    BoundedTextEdit,
    InlineMessage,
    format_duration,
    format_time,
    touch_button,
)
from fieldsupport.workflow import Action, SlaClock, SlaState

SLA_REFRESH_MS = 30_000
AUTOSAVE_MS = 1500


@dataclass(frozen=True)
class CaseFileData:
    """Everything the case file shows, loaded together in a worker."""

    case: CaseDetail
    visits: list[VisitView]
    records: CaseRecords
    history: list[CaseRow]


class CaseFileView(QWidget):
    #: a case was loaded and shown (tests and the main window wait for it)
    case_loaded = Signal(str)
    #: the case changed here (the list refreshes its row)
    case_changed = Signal(str)
    #: "Create article from this case"
    article_requested = Signal(str)
    #: open another case (from the History tab)
    open_case = Signal(str)

    def __init__(
        self,
        cases: CaseService,
        visits: VisitService,
        catalog: CatalogService,
        drafts: DraftStore,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setAccessibleName(self.tr("Case file"))
        self._cases, self._visits, self._catalog = cases, visits, catalog
        self.jobs = JobRunner(self)
        self.case: CaseDetail | None = None
        self._generation = 0

        self.title = QLabel(self.tr("Select a case in the list to open its file."), self)
        self.title.setAccessibleName(self.tr("Case title"))
        self.title.setStyleSheet("font-size: 16px; font-weight: 600;")
        self.title.setWordWrap(True)
        self.header = QLabel(self)
        self.header.setAccessibleName(self.tr("Case header"))
        self.header.setWordWrap(True)
        self.header.setOpenExternalLinks(True)  # mailto: and tel: links
        self.header.setTextInteractionFlags(Qt.TextInteractionFlag.TextBrowserInteraction)
        self.sla = QLabel(self)
        self.sla.setAccessibleName(self.tr("SLA clocks"))
        self.actions_bar = QHBoxLayout()
        self.action_buttons: dict[Action, QPushButton] = {}
        self.article_button = touch_button(self.tr("Create article from this case"), self)
        self.article_button.clicked.connect(self._request_article)
        self.action_message = InlineMessage(self)

        self.tabs = QTabWidget(self)
        self.tabs.setAccessibleName(self.tr("Case file sections"))
        self.tabs.addTab(self._overview_tab(), self.tr("Overview"))
        self.timeline = TimelineTab(cases, drafts, self)
        self.timeline.entry_added.connect(self.refresh)
        self.tabs.addTab(self.timeline, self.tr("Timeline"))
        self.visit_panel = VisitPanel(visits, self)
        self.visit_panel.visit_changed.connect(self.refresh)
        self.tabs.addTab(self.visit_panel, self.tr("Visits"))
        workspace = cases.workspace
        self.solutions_tab = SolutionsTab(
            SolutionService(workspace, user_id=cases.user_id),
            ApplicationService(workspace, user_id=cases.user_id),
            catalog,
            self,
        )
        self.solutions_tab.changed.connect(self.refresh)
        self.tabs.addTab(self.solutions_tab, self.tr("Solutions"))
        self.training_tab = TrainingTab(
            TrainingService(workspace, user_id=cases.user_id), catalog, self
        )
        self.training_tab.changed.connect(self.refresh)
        self.tabs.addTab(self.training_tab, self.tr("Training"))
        self.claims_tab = ClaimsTab(ClaimService(workspace, user_id=cases.user_id), self)
        self.claims_tab.changed.connect(self.refresh)
        self.tabs.addTab(self.claims_tab, self.tr("Claims"))
        self.photos_tab = PhotoGallery(PhotoService(workspace), self)
        self.photos_tab.changed.connect(self.refresh)  # the tab's count
        self.tabs.addTab(self.photos_tab, self.tr("Photos"))
        self.reports_tab = ReportsTab(
            ReportService(workspace, user_id=cases.user_id), SignatureService(workspace), self
        )
        self.reports_tab.changed.connect(self.refresh)
        self.tabs.addTab(self.reports_tab, self.tr("Reports"))
        self.history = QTableWidget(0, 5, self)
        self.history.setAccessibleName(self.tr("Other cases of this asset and customer"))
        self.history.setHorizontalHeaderLabels(
            [self.tr(h) for h in ("Case", "Type", "Status", "Opened", "Title")]
        )
        self.history.verticalHeader().setVisible(False)
        self.history.horizontalHeader().setStretchLastSection(True)
        self.history.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.history.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        self.history.cellActivated.connect(self._history_activated)
        self.tabs.addTab(self.history, self.tr("History"))

        actions = QHBoxLayout()
        actions.addLayout(self.actions_bar)
        actions.addStretch(1)
        actions.addWidget(self.article_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 0, 0, 0)
        layout.addWidget(self.title)
        layout.addWidget(self.header)
        layout.addWidget(self.sla)
        layout.addLayout(actions)
        layout.addWidget(self.action_message)
        layout.addWidget(self.tabs, 1)

        self._sla_timer = QTimer(self)
        self._sla_timer.setInterval(SLA_REFRESH_MS)
        self._sla_timer.timeout.connect(self._show_sla)
        self._autosave = QTimer(self)
        self._autosave.setSingleShot(True)
        self._autosave.setInterval(AUTOSAVE_MS)
        self._autosave.timeout.connect(self.save_description)
        self.description.textChanged.connect(self._autosave.start)
        self._set_enabled(False)

    def _list(self, name: str) -> QListWidget:
        widget = QListWidget(self)
        widget.setAccessibleName(name)
        widget.setWordWrap(True)
        return widget

    def _overview_tab(self) -> QWidget:
        page = QWidget(self)
        self.facts = QLabel(page)
        self.facts.setAccessibleName(self.tr("Case facts"))
        self.facts.setWordWrap(True)
        self.facts.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.description = BoundedTextEdit(page)
        self.description.setAccessibleName(self.tr("Description"))
        self.description_message = InlineMessage(page)
        self.resolution = QLabel(page)
        self.resolution.setAccessibleName(self.tr("Resolution"))
        self.resolution.setWordWrap(True)
        form = QFormLayout(page)
        form.addRow(self.facts)
        form.addRow(self.tr("Description"), self.description)
        form.addRow(self.description_message)
        form.addRow(self.tr("Resolution"), self.resolution)
        return page

    def _set_enabled(self, enabled: bool) -> None:
        self.tabs.setEnabled(enabled)
        self.article_button.setVisible(False)

    # -- loading ----------------------------------------------------------------------------
    def load(self, case_id: str) -> None:
        """Load the case in a worker and show it when it arrives (newer loads win)."""
        self.save_description()
        self._generation += 1
        generation = self._generation
        cases, visits, catalog = self._cases, self._visits, self._catalog

        def job(_task: object) -> CaseFileData:
            return CaseFileData(
                cases.get_case(case_id),
                visits.visits_of_case(case_id),
                catalog.case_records(case_id),
                cases.history(case_id),
            )

        self.jobs.run(job, lambda data: self._apply(generation, data))

    @Slot()
    def refresh(self) -> None:
        if self.case is not None:
            self.load(self.case.id)
            self.case_changed.emit(self.case.id)

    def _apply(self, generation: int, data: CaseFileData) -> None:
        if generation != self._generation:
            return
        case = data.case
        same_case = self.case is not None and self.case.id == case.id
        self.case = case
        self._set_enabled(True)
        self.title.setText(f"{case.case_number} — {escape(case.title)}")
        self.header.setText(self._header_html(case))
        self._show_sla()
        self._sla_timer.start()
        self._show_actions(case)
        self._show_overview(case, same_case)
        self.timeline.show_case(case.id, case.events)
        self.visit_panel.show_case(case.id, data.visits)
        on_site = [v.id for v in data.visits if v.status is VisitStatus.ON_SITE]
        self.solutions_tab.show_case(
            case.id, on_site[0] if on_site else None, data.records.applications
        )
        self.training_tab.show_case(case.id, case.customer_id)
        self.photos_tab.show_case(case.id, data.visits)
        is_claim = case.assist_type is AssistType.CLAIM
        self.tabs.setTabVisible(self.tabs.indexOf(self.claims_tab), is_claim)
        if is_claim:
            self.claims_tab.show_case(case.id)
        self._show_records(data.records)
        self.reports_tab.show_case(case.id, data.visits, case.contact_name or "")
        self._show_history(data.history)
        self.case_loaded.emit(case.id)

    def _header_html(self, case: CaseDetail) -> str:
        lines = [
            f"<b>{escape(case.customer)}</b>",
        ]
        if case.site:
            site = escape(case.site)
            if case.site_address:
                site += f" — {escape(case.site_address)}"
            lines.append(self.tr("Site: {0}").format(site))
        if case.site_access_notes:
            lines.append(self.tr("Access: {0}").format(escape(case.site_access_notes)))
        if case.contact_name:
            contact = escape(case.contact_name)
            if case.contact_role:
                contact += f" ({escape(case.contact_role)})"
            if case.contact_email:
                email = escape(case.contact_email, quote=True)
                contact += f' · <a href="mailto:{email}">{email}</a>'
            if case.contact_phone:
                phone = escape(case.contact_phone.replace(" ", ""), quote=True)
                contact += f' · <a href="tel:{phone}">{escape(case.contact_phone)}</a>'
            lines.append(self.tr("Contact: {0}").format(contact))
        if case.asset_product or case.asset_serial:
            asset = escape(case.asset_product or "")
            if case.asset_serial:
                asset += self.tr(", serial {0}").format(escape(case.asset_serial))
            elif case.asset_lot:
                asset += self.tr(", lot {0}").format(escape(case.asset_lot))
            asset += " — " + self._warranty_text(case.asset_warranty_end)
            lines.append(self.tr("Asset: {0}").format(asset))
        return "<br>".join(lines)

    def _warranty_text(self, end: date | None) -> str:
        if end is None:
            return self.tr("no warranty on record")
        if end >= datetime.now(UTC).astimezone().date():
            return self.tr("in warranty until {0}").format(end.isoformat())
        return self.tr("warranty ended {0}").format(end.isoformat())

    @Slot()
    def _show_sla(self) -> None:
        case = self.case
        if case is None:
            return
        parts = [
            self._clock_text(self.tr("First response"), case.sla.first_response),
            self._clock_text(self.tr("Resolution"), case.sla.resolution),
        ]
        self.sla.setText("   ".join(parts))

    def _clock_text(self, name: str, clock: SlaClock) -> str:
        if clock.state is SlaState.MET:
            return self.tr("{0}: met").format(name)
        if clock.state is SlaState.PAUSED:
            return self.tr("{0}: paused (waiting on customer)").format(name)
        if clock.due_at is None:
            return self.tr("{0}: —").format(name)
        # the remaining wall time to the business-time due moment, recomputed live
        remaining = clock.due_at - datetime.now(UTC)
        colour = (
            "#b3261e"
            if remaining.total_seconds() < 0
            else ("#9a6700" if clock.state is SlaState.AT_RISK else "#1f6f43")
        )
        if remaining.total_seconds() < 0:
            text = self.tr("{0}: breached {1} ago").format(name, format_duration(-remaining))
        else:
            text = self.tr("{0}: due {1} (in {2})").format(
                name, format_time(clock.due_at), format_duration(remaining)
            )
        return f'<span style="color:{colour}">{escape(text)}</span>'

    def _show_actions(self, case: CaseDetail) -> None:
        for button in self.action_buttons.values():
            self.actions_bar.removeWidget(button)
            button.deleteLater()
        self.action_buttons = {}
        for action in case.allowed_actions:
            button = touch_button(self.tr(action.label), self)
            button.clicked.connect(lambda _checked=False, a=action: self.start_action(a))
            self.actions_bar.addWidget(button)
            self.action_buttons[action] = button
        self.article_button.setVisible(case.status in DOCUMENTABLE_STATUSES)
        self.action_message.clear_message()

    def _show_overview(self, case: CaseDetail, same_case: bool) -> None:
        facts = [
            (self.tr("Type"), case.assist_type.label),
            (self.tr("Status"), self.tr(case.status.label)),
            (self.tr("Channel"), self.tr(case.channel.value.replace("_", " "))),
            (self.tr("Category"), case.category or "—"),
            (self.tr("Priority"), self.tr(case.priority.value.capitalize())),
            (self.tr("Severity"), self.tr(case.severity.value.capitalize())),
            (self.tr("Support tier"), str(case.support_tier)),
            (self.tr("Assignee"), case.assignee or "—"),
            (self.tr("Opened"), format_time(case.opened_at)),
            (self.tr("Promised response"), case.promised_response or "—"),
        ]
        self.facts.setText(
            "<table>"
            + "".join(
                f"<tr><td><b>{escape(k)}</b>&nbsp;&nbsp;</td><td>{escape(v)}</td></tr>"
                for k, v in facts
            )
            + "</table>"
        )
        if not (same_case and self._autosave.isActive()):
            # never replace text the user is typing with what was loaded
            self.description.blockSignals(True)
            self.description.setPlainText(case.description or "")
            self.description.blockSignals(False)
        self.resolution.setText(escape(case.resolution or "—"))

    def _show_records(self, records: CaseRecords) -> None:
        self.tabs.setTabText(
            self.tabs.indexOf(self.photos_tab),
            self.tr("Photos ({0})").format(records.photo_count)
            if records.photo_count
            else self.tr("Photos"),
        )
        self.tabs.setTabText(
            self.tabs.indexOf(self.reports_tab),
            self.tr("Reports ({0})").format(len(records.reports))
            if records.reports
            else self.tr("Reports"),
        )

    def _show_history(self, rows: list[CaseRow]) -> None:
        self.history.setRowCount(0)
        for row in rows:
            index = self.history.rowCount()
            self.history.insertRow(index)
            cells = [
                row.case_number,
                row.assist_type.label,
                self.tr(row.status.label),
                format_time(row.updated_at),
                row.title,
            ]
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setData(Qt.ItemDataRole.UserRole, row.id)
                self.history.setItem(index, column, item)

    @Slot(int, int)
    def _history_activated(self, row: int, _column: int) -> None:
        item = self.history.item(row, 0)
        if item is not None:
            self.open_case.emit(item.data(Qt.ItemDataRole.UserRole))

    # -- workflow ---------------------------------------------------------------------------
    def start_action(self, action: Action) -> None:
        """Run ``action`` now, or ask for its inputs first in a compact form."""
        case = self.case
        if case is None:
            return
        if not needs_form(action):
            error = self.perform(action, {})
            if error:
                self.action_message.show_error(error)
            return
        dialog = ActionDialog(
            action,
            lambda inputs: self.perform(action, inputs),
            engineers=self._catalog.engineers() if action is Action.ASSIGN else (),
            optional_close_reason=case.customer_verified,
            parent=self,
        )
        dialog.open()
        self.action_dialog = dialog  # kept for tests and so it is not collected

    def perform(self, action: Action, inputs: dict[str, str]) -> str | None:
        """Apply a workflow action; returns the rule's refusal text, or None when done."""
        case = self.case
        if case is None:
            return self.tr("No case is open.")
        try:
            self._cases.perform(case.id, action, inputs, expected_version=case.version)
        except ConflictError as exc:
            self.refresh()
            return str(exc)
        except FieldSupportError as exc:
            return str(exc)
        self.action_message.clear_message()
        self.refresh()
        return None

    @Slot()
    def _request_article(self) -> None:
        if self.case is not None:
            self.article_requested.emit(self.case.id)

    # -- autosave ---------------------------------------------------------------------------
    @Slot()
    def save_description(self) -> bool:
        if not self._autosave.isActive() or self.case is None:
            return True
        self._autosave.stop()
        case = self.case
        if self.description.truncated:
            self.description_message.show_error(
                self.tr("The pasted text was too long and was cut; check the end of it.")
            )
            self.description.truncated = False
        try:
            version = self._cases.update_description(
                case.id, self.description.toPlainText(), expected_version=case.version
            )
        except ConflictError as exc:
            QMessageBox.warning(self, self.tr("FieldSupport"), str(exc))
            return False
        except FieldSupportError as exc:
            self.description_message.show_error(str(exc))
            return False
        from dataclasses import replace

        self.case = replace(case, version=version, description=self.description.toPlainText())
        return True

    def save_all(self) -> bool:
        """Save everything typed (on close, on switching case). False if something failed."""
        ok = self.save_description()
        ok = self.visit_panel.save_notes() and ok
        self.timeline.save_draft()
        return ok

    def unsaved_work(self) -> list[str]:
        """What typed input has not become a record yet (for the close question)."""
        items = []
        if self.timeline.has_unsaved_text() and self.case is not None:
            items.append(
                self.tr("a timeline entry on {0} (kept as a draft)").format(self.case.case_number)
            )
        return items
