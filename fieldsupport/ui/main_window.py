"""The engineer's workbench: navigation, the case list beside the case file, the knowledge
base, and the pages of solutions, training and sync; status bar; shortcuts; layout kept
between runs."""

from __future__ import annotations

import gc
import logging
from typing import Any

from PySide6.QtCore import QSize, Qt, QThreadPool, QTimer, Signal, Slot
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QLabel,
    QListWidget,
    QMainWindow,
    QMessageBox,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QToolBar,
    QWidget,
)

from fieldsupport.errors import FieldSupportError
from fieldsupport.models.enums import VisitStatus
from fieldsupport.services.case_queries import CaseListService
from fieldsupport.services.cases import CaseService
from fieldsupport.services.catalog import CatalogService
from fieldsupport.services.drafts import DraftStore
from fieldsupport.services.knowledge import KnowledgeService
from fieldsupport.services.visits import VisitService
from fieldsupport.store.migrate import prune_backups
from fieldsupport.sync.client import SyncReport
from fieldsupport.ui.case_file import CaseFileView
from fieldsupport.ui.case_list_page import CaseListPage
from fieldsupport.ui.intake_dialog import IntakeDialog
from fieldsupport.ui.jobs import JobRunner
from fieldsupport.ui.sync_controller import SyncController
from fieldsupport.ui.widgets import TOUCH_HEIGHT, format_time
from fieldsupport.ui.window_state import restore_splitter, restore_window, save_window
from fieldsupport.workspace import Workspace

log = logging.getLogger(__name__)

# After start-up, the objects alive (modules, Qt wrappers, mappers: millions) live as long as
# the app. Freezing them out of the cyclic collector keeps its full collections short: a
# worker parsing a sync page allocates enough to trigger them, and a full collection over the
# whole heap holds the GIL long enough to stall the GUI thread (benchmarks/sync_gui.py:
# ~165 ms without, ~40 ms with).
HEAP_FREEZE_DELAY_MS = 1_000

# Navigation entries, in order; the first two share the case page.
(
    NAV_MY_CASES,
    NAV_ALL_CASES,
    NAV_KNOWLEDGE,
    NAV_SOLUTIONS,
    NAV_TRAINING,
    NAV_RECALLS,
    NAV_SYNC,
    NAV_KPIS,
    NAV_BACK_OFFICE,
) = range(9)
NAV_SPLITTER_NAMES = {NAV_KNOWLEDGE: "knowledge", NAV_SOLUTIONS: "solutions"}
NAV_LABELS = (
    "My cases",
    "All cases",
    "Knowledge base",
    "Custom solutions",
    "Training",
    "Recalls",
    "Sync",
    "KPIs",
    "Back office",
)


class MainWindow(QMainWindow):
    #: emitted once, the first time the case table is painted with its rows
    first_paint = Signal()

    def __init__(self, workspace: Workspace, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.workspace = workspace
        self.jobs = JobRunner(self)
        self.setWindowTitle(self.tr("FieldSupport — {0}").format(workspace.root.name))
        self.setAccessibleName(self.tr("FieldSupport main window"))
        self.resize(1320, 740)
        user_id = workspace.get_setting("current_user_id")
        self.user_id = user_id if isinstance(user_id, str) else None
        self.cases_service = CaseService(workspace, user_id=self.user_id)
        self.visits_service = VisitService(workspace, user_id=self.user_id)
        self.catalog = CatalogService(workspace)
        self.drafts = DraftStore(workspace)
        self.knowledge_service = KnowledgeService(workspace)
        self.sync = SyncController(workspace, self)

        self.cases = CaseListPage(CaseListService(workspace), mine_user_id=self.user_id)
        self.case_file = CaseFileView(
            self.cases_service, self.visits_service, self.catalog, self.drafts
        )
        # a session opened from the Training page, shown once its case's file has loaded
        self._session_to_show: tuple[str, str] | None = None  # case id, session id
        self.case_file.case_loaded.connect(self._show_pending_session)
        self.case_splitter = QSplitter(Qt.Orientation.Horizontal)
        self.case_splitter.setObjectName("caseSplitter")
        self.case_splitter.addWidget(self.cases)
        self.case_splitter.addWidget(self.case_file)
        self.case_splitter.setSizes([640, 680])
        self.pages = QStackedWidget(self)
        self.pages.addWidget(self.case_splitter)
        # the other pages are built (and their modules imported) when first shown: less
        # start-up work before the case list
        self._pages: dict[int, QWidget] = {}
        self.nav = QListWidget(self)
        self.nav.setAccessibleName(self.tr("Navigation"))
        self.nav.setObjectName("navigation")
        for label in NAV_LABELS:
            self.nav.addItem(self.tr(label))
        for row in range(self.nav.count()):
            self.nav.item(row).setSizeHint(QSize(120, TOUCH_HEIGHT + 8))  # touch-sized
        # shown once the sync status says the account is back office (_show_back_office_entry)
        self.nav.item(NAV_BACK_OFFICE).setHidden(True)
        self.nav.setMaximumWidth(170)
        self.nav.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.main_splitter = QSplitter(Qt.Orientation.Horizontal, self)
        self.main_splitter.setObjectName("mainSplitter")
        self.main_splitter.addWidget(self.nav)
        self.main_splitter.addWidget(self.pages)
        self.main_splitter.setStretchFactor(1, 1)
        self.main_splitter.setSizes([150, 1170])
        self.setCentralWidget(self.main_splitter)

        self._build_actions()
        self._build_status_bar()
        self.cases.case_selected.connect(self.case_file.load)
        self.cases.table.selectionModel().currentRowChanged.connect(self._row_changed)
        self.cases.first_paint.connect(self._after_first_paint)
        self.case_file.case_changed.connect(lambda _id: self._refresh_list_later())
        self.case_file.open_case.connect(self.open_case)
        self.case_file.article_requested.connect(self.article_from_case)
        self.nav.currentRowChanged.connect(self.navigate)
        self._list_refresh = QTimer(self)
        self._list_refresh.setSingleShot(True)
        self._list_refresh.setInterval(400)
        self._list_refresh.timeout.connect(lambda: self.cases.reload())

        restore_window(self, self._splitters(), self._headers())
        self.nav.setCurrentRow(NAV_MY_CASES if self.user_id else NAV_ALL_CASES)

    # -- pages, built on first use ----------------------------------------------------------
    def page(self, nav: int) -> Any:
        if nav in self._pages:
            return self._pages[nav]
        workspace = self.workspace
        if nav == NAV_KNOWLEDGE:
            from fieldsupport.ui.knowledge_page import KnowledgePage

            page: QWidget = KnowledgePage(self.knowledge_service)
        elif nav == NAV_SOLUTIONS:
            from fieldsupport.services.applications import ApplicationService
            from fieldsupport.services.solutions import SolutionService
            from fieldsupport.ui.solutions_page import SolutionsPage

            page = SolutionsPage(
                self.catalog,
                SolutionService(workspace, user_id=self.user_id),
                ApplicationService(workspace, user_id=self.user_id),
            )
        elif nav == NAV_TRAINING:
            from fieldsupport.ui.records_pages import TrainingPage

            page = TrainingPage(self.catalog)
            page.session_requested.connect(self.open_training_session)
        elif nav == NAV_RECALLS:
            from fieldsupport.services.recalls import RecallService
            from fieldsupport.ui.recalls_page import RecallsPage

            page = RecallsPage(RecallService(workspace, user_id=self.user_id), self.catalog)
        elif nav == NAV_SYNC:
            from fieldsupport.sync.conflicts import SyncDecisions
            from fieldsupport.ui.connect_dialog import ConnectDialog
            from fieldsupport.ui.sync_page import SyncPage

            page = SyncPage(
                self.sync, SyncDecisions(workspace), lambda parent: ConnectDialog(workspace, parent)
            )
        elif nav == NAV_KPIS:
            from fieldsupport.services.kpis import KpiService
            from fieldsupport.ui.kpi_page import KpiPage

            page = KpiPage(KpiService(workspace))
        elif nav == NAV_BACK_OFFICE:
            from fieldsupport.services.backoffice import BackOfficeService
            from fieldsupport.ui.backoffice_page import BackOfficePage

            page = BackOfficePage(BackOfficeService(workspace, user_id=self.user_id))
        else:
            raise ValueError(f"no page {nav}")
        self._pages[nav] = page
        self.pages.addWidget(page)
        splitter = getattr(page, "splitter", None)
        if isinstance(splitter, QSplitter):
            restore_splitter(NAV_SPLITTER_NAMES.get(nav, f"page{nav}"), splitter)
        return page

    @property
    def knowledge(self) -> Any:
        return self.page(NAV_KNOWLEDGE)

    @property
    def solutions(self) -> Any:
        return self.page(NAV_SOLUTIONS)

    @property
    def training(self) -> Any:
        return self.page(NAV_TRAINING)

    @property
    def recalls(self) -> Any:
        return self.page(NAV_RECALLS)

    @property
    def kpis(self) -> Any:
        return self.page(NAV_KPIS)

    @property
    def sync_page(self) -> Any:
        return self.page(NAV_SYNC)

    @property
    def backoffice(self) -> Any:
        return self.page(NAV_BACK_OFFICE)

    def _show_back_office_entry(self, role: str | None) -> None:
        """The Back office entry is there for back-office and admin accounts (the role the
        server gave at connection, read with the sync status in a worker)."""
        from fieldsupport.services.backoffice import may_use_back_office

        self.nav.item(NAV_BACK_OFFICE).setHidden(not may_use_back_office(role))

    # -- compatibility with the list page (tests, benchmarks) ----------------------------------
    @property
    def model(self) -> Any:
        return self.cases.model

    @property
    def table(self) -> Any:
        return self.cases.table

    @property
    def search(self) -> Any:
        return self.cases.search

    @property
    def painted(self) -> bool:
        return self.cases.painted

    # -- building -----------------------------------------------------------------------------
    def _build_actions(self) -> None:
        toolbar = QToolBar(self.tr("Workbench"), self)
        toolbar.setObjectName("workbenchToolbar")
        toolbar.setMovable(False)
        self.addToolBar(toolbar)

        def action(
            text: str, shortcut: QKeySequence | str, slot: Any, *, bar: bool = True
        ) -> QAction:
            act = QAction(self.tr(text), self)
            act.setShortcut(QKeySequence(shortcut))
            act.setToolTip(f"{self.tr(text)} ({QKeySequence(shortcut).toString()})")
            act.triggered.connect(slot)
            self.addAction(act)
            if bar:
                toolbar.addAction(act)
            return act

        self.new_case_action = action("New case", QKeySequence.StandardKey.New, self.new_case)
        self.note_action = action("New note", "Ctrl+Shift+N", self.new_note)
        self.visit_action = action("Start/stop visit", "F9", self.toggle_visit)
        self.prev_action = action("Previous case", "Alt+Up", lambda: self.step_case(-1))
        self.next_action = action("Next case", "Alt+Down", lambda: self.step_case(1))
        self.find_action = action(
            "Find", QKeySequence.StandardKey.Find, self.focus_search, bar=False
        )
        self.sync_action = action("Sync now", "F5", self.sync_now)
        for widget in toolbar.findChildren(QWidget):
            widget.setMinimumHeight(TOUCH_HEIGHT)
        self.settings_action = QAction(self.tr("Settings…"), self)
        self.settings_action.triggered.connect(self.show_settings)
        self.menuBar().addMenu(self.tr("&Tools")).addAction(self.settings_action)
        self.about_action = QAction(self.tr("About FieldSupport"), self)
        self.about_action.triggered.connect(self.show_about)
        self.menuBar().addMenu(self.tr("&Help")).addAction(self.about_action)

    def _build_status_bar(self) -> None:
        bar = self.statusBar()
        self.count_label = self.cases.count_label
        self.connection_label = QLabel(self.tr("Offline — not connected to a central server"), self)
        self.connection_label.setAccessibleName(self.tr("Connection state"))
        self.pending_label = QLabel(self.tr("Pending changes: not tracked until connected"), self)
        self.pending_label.setAccessibleName(self.tr("Pending local changes"))
        self.last_sync_label = QLabel(self.tr("Last sync: never"), self)
        self.last_sync_label.setAccessibleName(self.tr("Last sync"))
        # reports a sync brought back returned: shown until dismissed with a click (the
        # Sync page and each visit keep saying it) or a later sync brings others
        self.returned_label = QPushButton(self)
        self.returned_label.setFlat(True)
        self.returned_label.setAccessibleName(self.tr("Returned reports"))
        self.returned_label.setStyleSheet(
            "QPushButton { color: #b3261e; font-weight: 600; text-align: left; border: none; }"
        )
        self.returned_label.clicked.connect(self.returned_label.hide)
        self.returned_label.hide()
        bar.addWidget(self.connection_label)
        bar.addWidget(self.pending_label)
        bar.addWidget(self.last_sync_label)
        bar.addWidget(self.returned_label, 1)
        self.sync.finished.connect(self._show_sync_returns)
        self.sync.status_changed.connect(self._show_sync_status)
        self.sync.started.connect(lambda: self.last_sync_label.setText(self.tr("Syncing…")))
        self.sync.progressed.connect(
            lambda fraction, _text: self.last_sync_label.setText(
                self.tr("Syncing… {0:.0%}").format(fraction)
            )
        )
        self.sync.failed.connect(self._show_sync_failure)
        path = QLabel(str(self.workspace.root), self)
        path.setAccessibleName(self.tr("Workspace folder"))
        bar.addPermanentWidget(path)

    def _splitters(self) -> dict[str, QSplitter]:
        splitters = {"main": self.main_splitter, "cases": self.case_splitter}
        for nav, page in self._pages.items():  # only the pages built in this session
            splitter = getattr(page, "splitter", None)
            if isinstance(splitter, QSplitter):
                splitters[NAV_SPLITTER_NAMES.get(nav, f"page{nav}")] = splitter
        return splitters

    def _headers(self) -> dict[str, Any]:
        return {"cases": self.cases.table.horizontalHeader()}

    # -- navigation -----------------------------------------------------------------------------
    @Slot(int)
    def navigate(self, row: int) -> None:
        if row in (NAV_MY_CASES, NAV_ALL_CASES):
            self.pages.setCurrentWidget(self.case_splitter)
            self.cases.show_mine(row == NAV_MY_CASES)
        else:
            self.pages.setCurrentWidget(self.page(row))
        if self.nav.currentRow() != row:
            self.nav.setCurrentRow(row)

    def _row_changed(self, current: Any, _previous: Any) -> None:
        case_id = current.data(Qt.ItemDataRole.UserRole) if current.isValid() else None
        if isinstance(case_id, str) and (
            self.case_file.case is None or self.case_file.case.id != case_id
        ):
            self.case_file.load(case_id)

    def _refresh_list_later(self) -> None:
        self._list_refresh.start()

    def open_case(self, case_id: str) -> None:
        self.navigate(NAV_ALL_CASES if self.nav.currentRow() != NAV_MY_CASES else NAV_MY_CASES)
        row = self.cases.model.row_of(case_id)
        if row is not None:
            self.cases.table.selectRow(row)
        self.case_file.load(case_id)

    def open_training_session(self, case_id: str, session_id: str) -> None:
        """A session chosen on the Training page, in its case's file (Training tab)."""
        self._session_to_show = (case_id, session_id)
        self.open_case(case_id)

    @Slot(str)
    def _show_pending_session(self, case_id: str) -> None:
        if self._session_to_show is None or self._session_to_show[0] != case_id:
            return
        _case_id, session_id = self._session_to_show
        self._session_to_show = None
        view = self.case_file
        view.tabs.setCurrentWidget(view.training_tab)
        view.training_tab.select_session(session_id)

    def step_case(self, delta: int) -> None:
        if self.pages.currentWidget() is not self.case_splitter:
            self.navigate(NAV_ALL_CASES)
        self.cases.step(delta)

    @Slot()
    def focus_search(self) -> None:
        if NAV_KNOWLEDGE in self._pages and self.pages.currentWidget() is self.knowledge:
            self.knowledge.search.setFocus(Qt.FocusReason.ShortcutFocusReason)
            self.knowledge.search.selectAll()
            return
        if self.pages.currentWidget() is not self.case_splitter:
            self.navigate(NAV_ALL_CASES)
        self.cases.search.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.cases.search.selectAll()

    # -- actions -------------------------------------------------------------------------------
    @Slot()
    def new_case(self) -> IntakeDialog:
        dialog = IntakeDialog(self.cases_service, self.catalog, self.drafts, self)
        dialog.created.connect(self._case_created)
        dialog.open()
        self.intake_dialog = dialog
        return dialog

    def _case_created(self, case_id: str) -> None:
        self.navigate(NAV_ALL_CASES if self.nav.currentRow() != NAV_MY_CASES else NAV_MY_CASES)
        self.case_file.load(case_id)
        self.cases.reload()

    @Slot()
    def new_note(self) -> None:
        if self.case_file.case is None:
            self.statusBar().showMessage(self.tr("Open a case first."), 4000)
            return
        self.pages.setCurrentWidget(self.case_splitter)
        self.case_file.tabs.setCurrentWidget(self.case_file.timeline)
        self.case_file.timeline.composer.setFocus(Qt.FocusReason.ShortcutFocusReason)

    @Slot()
    def toggle_visit(self) -> None:
        """Start (arrive at) the visit in progress or a new one; leave if on site."""
        panel = self.case_file.visit_panel
        if self.case_file.case is None:
            self.statusBar().showMessage(self.tr("Open a case first."), 4000)
            return
        self.pages.setCurrentWidget(self.case_splitter)
        self.case_file.tabs.setCurrentWidget(panel)
        visit = panel._visit
        if visit is not None and visit.status is VisitStatus.ON_SITE:
            panel.leave()
        elif visit is not None and visit.status in (VisitStatus.PLANNED, VisitStatus.TRAVELLING):
            panel.arrive()
        else:
            try:
                planned = self.visits_service.plan_visit(self.case_file.case.id)
                self.visits_service.arrive(planned.id)
            except FieldSupportError as exc:
                self.jobs.show_error(exc)
                return
            panel._visit = planned
            self.case_file.refresh()

    @Slot()
    def show_about(self) -> None:
        from fieldsupport.ui.about_dialog import AboutDialog

        self.about_dialog = AboutDialog(self)
        self.about_dialog.open()

    @Slot()
    def show_settings(self) -> Any:
        from fieldsupport.services.photos import PhotoService
        from fieldsupport.ui.settings_dialog import SettingsDialog

        self.settings_dialog = SettingsDialog(PhotoService(self.workspace), self)
        self.settings_dialog.open()
        return self.settings_dialog

    def article_from_case(self, case_id: str) -> None:
        try:
            draft = self.knowledge_service.draft_from_case(case_id)
        except FieldSupportError as exc:
            self.jobs.show_error(exc)
            return
        self.navigate(NAV_KNOWLEDGE)
        self.knowledge.edit(draft)

    # -- start-up and closing ----------------------------------------------------------------
    @Slot()
    def _after_first_paint(self) -> None:
        self.first_paint.emit()
        backups = self.workspace.backups_dir
        self.jobs.run(lambda _task: prune_backups(backups), lambda _removed: None)
        self.sync.start()
        QTimer.singleShot(HEAP_FREEZE_DELAY_MS, gc.freeze)

    def sync_now(self) -> None:
        if self.sync.sync_now() is None:
            self.navigate(NAV_SYNC)  # not connected: the page offers "Connect…"

    def _show_sync_status(self, status: Any) -> None:
        self._show_back_office_entry(status.role)
        if not status.connected_to:
            return  # the start-up texts say it: offline, not connected
        self.connection_label.setText(
            self.tr("Connected to {0}").format(status.connected_to)
            if not self.sync.offline
            else self.tr("Server not reachable — working offline")
        )
        self.connection_label.setToolTip(status.last_error or "")
        extra = []
        if status.open_conflicts:
            extra.append(self.tr("{0} conflicts").format(status.open_conflicts))
        if status.rejected:
            extra.append(self.tr("{0} refused").format(status.rejected))
        self.pending_label.setText(
            self.tr("Pending changes: {0}").format(f"{status.pending:,}")
            + (" · " + ", ".join(extra) if extra else "")
        )
        if not self.sync.busy:
            when = format_time(status.last_success) if status.last_success else self.tr("never")
            self.last_sync_label.setText(
                self.tr("Last sync: {0}").format(when)
                + (self.tr(" — last attempt failed") if status.last_error else "")
            )

    def _show_sync_returns(self, report: object) -> None:
        """A sync that brought back returned reports says so until dismissed or a later one
        brings others: the engineer has to correct and report them again."""
        if not isinstance(report, SyncReport) or not report.returned:
            return
        short = "; ".join(
            self.tr("Report {0} rev. {1} was returned: {2}").format(
                r.report_number, r.revision, r.reason
            )
            for r in report.returned
        )
        self.returned_label.setText(short if len(short) <= 100 else short[:99] + "…")
        self.returned_label.setToolTip(
            report.returned_text() + "\n" + self.tr("(Click to dismiss.)")
        )
        self.returned_label.show()

    def _show_sync_failure(self, reason: str) -> None:
        self.last_sync_label.setText(self.tr("Sync failed: {0}").format(reason[:90]))
        self.last_sync_label.setToolTip(reason)

    def ask_close(self, unsaved: list[str]) -> bool:
        """Ask whether to close with typed input that is not a record yet."""
        answer = QMessageBox.question(
            self,
            self.tr("Close FieldSupport"),
            self.tr("Not added yet: {0}. Close anyway?").format("; ".join(unsaved)),
            QMessageBox.StandardButton.Close | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Cancel,
        )
        return answer == QMessageBox.StandardButton.Close

    def closeEvent(self, event: QCloseEvent) -> None:
        saved = self.case_file.save_all()
        unsaved = self.case_file.unsaved_work()
        if not saved:
            unsaved.append(self.tr("edits that could not be saved (see the message)"))
        if unsaved and not self.ask_close(unsaved):
            event.ignore()
            return
        save_window(self, self._splitters(), self._headers())
        self.sync.stop()
        # let running jobs finish: they hold database connections of this workspace
        QThreadPool.globalInstance().waitForDone(10_000)
        self.sync.stop_embedded()
        super().closeEvent(event)
