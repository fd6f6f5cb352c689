"""The Sync page: connection state, "Sync now" with progress and cancel, automatic sync,
and what sync left for a person to decide (conflicts, refused changes)."""

from __future__ import annotations

import json
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QProgressBar,
    QSizePolicy,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from fieldsupport.sync.client import SyncReport
from fieldsupport.sync.conflicts import ConflictView, RefusedChange, Resolution, SyncDecisions
from fieldsupport.sync.session import SyncStatus
from fieldsupport.ui.jobs import JobRunner
from fieldsupport.ui.sync_controller import SyncController
from fieldsupport.ui.widgets import InlineMessage, format_time, touch_button

VALUE_CHARS = 160


def _shown(value: Any) -> str:
    text = "—" if value is None else value if isinstance(value, str) else json.dumps(value)
    return text if len(text) <= VALUE_CHARS else text[: VALUE_CHARS - 1] + "…"


def _table(parent: QWidget, headers: list[str], name: str) -> QTableWidget:
    table = QTableWidget(0, len(headers), parent)
    table.setHorizontalHeaderLabels(headers)
    table.setAccessibleName(name)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.verticalHeader().hide()
    table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
    table.horizontalHeader().setStretchLastSection(True)
    table.setWordWrap(False)
    return table


class SyncPage(QWidget):
    def __init__(
        self,
        controller: SyncController,
        decisions: SyncDecisions,
        connect_dialog: Any,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.controller = controller
        self.decisions = decisions
        self._connect_dialog = connect_dialog  # callable(parent) -> dialog; exec'd on click
        self.conflicts: list[ConflictView] = []
        self.refused: list[RefusedChange] = []
        self.jobs = JobRunner(self)
        self._reloads = 0
        self.setAccessibleName(self.tr("Sync"))

        self.state = QLabel(self)
        self.state.setWordWrap(True)
        self.state.setAccessibleName(self.tr("Connection"))
        self.state.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.message = InlineMessage(self)
        self.sync_button = touch_button(self.tr("Sync now"), self)
        self.sync_button.clicked.connect(self.sync_now)
        self.cancel_button = touch_button(self.tr("Cancel"), self, accessible="Cancel sync")
        self.cancel_button.clicked.connect(controller.cancel)
        self.cancel_button.hide()
        self.connect_button = touch_button(self.tr("Connect to central server…"), self)
        self.connect_button.clicked.connect(self.open_connect_dialog)
        self.progress = QProgressBar(self)
        self.progress.setRange(0, 1000)
        self.progress.setAccessibleName(self.tr("Sync progress"))
        self.progress.hide()
        self.interval = QSpinBox(self)
        self.interval.setRange(0, 24 * 60)
        self.interval.setSuffix(self.tr(" min"))
        self.interval.setSpecialValueText(self.tr("never (manual only)"))
        self.interval.setAccessibleName(self.tr("Automatic sync interval"))
        self.interval.setValue(controller.interval_minutes())
        self.interval.editingFinished.connect(
            lambda: controller.set_interval_minutes(self.interval.value())
        )

        buttons = QHBoxLayout()
        for widget in (self.sync_button, self.cancel_button, self.progress, self.connect_button):
            buttons.addWidget(widget)
        buttons.addStretch(1)
        auto = QHBoxLayout()
        auto.addWidget(
            QLabel(self.tr("Sync automatically every"), self), 0, Qt.AlignmentFlag.AlignLeft
        )
        auto.addWidget(self.interval)
        auto.addWidget(QLabel(self.tr("and whenever the server can be reached again."), self))
        auto.addStretch(1)
        status_box = QGroupBox(self.tr("Central server"), self)
        status_layout = QVBoxLayout(status_box)
        status_layout.addWidget(self.state)
        status_layout.addWidget(self.message)
        status_layout.addLayout(buttons)
        status_layout.addLayout(auto)

        self.conflict_box = QGroupBox(self)
        self.conflict_table = _table(
            self,
            [
                self.tr("Record"),
                self.tr("Field"),
                self.tr("Kept on the server"),
                self.tr("Other value"),
                self.tr("Other value from"),
                self.tr("Decision"),
            ],
            self.tr("Conflicts"),
        )
        self.keep_button = touch_button(self.tr("Keep the server's value"), self)
        self.take_button = touch_button(self.tr("Take the other value"), self)
        self.merge_button = touch_button(self.tr("Edit a merged value…"), self)
        self.keep_button.clicked.connect(lambda: self.decide(Resolution.KEEP_SERVER))
        self.take_button.clicked.connect(lambda: self.decide(Resolution.TAKE_OTHER))
        self.merge_button.clicked.connect(lambda: self.decide(Resolution.MERGED))
        conflict_buttons = QHBoxLayout()
        for button in (self.keep_button, self.take_button, self.merge_button):
            conflict_buttons.addWidget(button)
        conflict_buttons.addStretch(1)
        conflict_layout = QVBoxLayout(self.conflict_box)
        conflict_layout.addWidget(self.conflict_table)
        conflict_layout.addLayout(conflict_buttons)

        self.refused_box = QGroupBox(self)
        self.refused_table = _table(
            self,
            [
                self.tr("Made"),
                self.tr("Record"),
                self.tr("Field"),
                self.tr("Reason"),
                self.tr("Values"),
            ],
            self.tr("Refused changes"),
        )
        self.dismiss_button = touch_button(self.tr("Dismiss"), self)
        self.dismiss_button.clicked.connect(self.dismiss)
        refused_buttons = QHBoxLayout()
        refused_buttons.addWidget(self.dismiss_button)
        refused_buttons.addStretch(1)
        refused_layout = QVBoxLayout(self.refused_box)
        refused_layout.addWidget(self.refused_table)
        refused_layout.addLayout(refused_buttons)

        # the status keeps its own height; without conflicts or refusals shown the room
        # below stays empty instead of spreading the status's lines over the page
        status_box.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)
        layout = QVBoxLayout(self)
        layout.addWidget(status_box)
        layout.addWidget(self.conflict_box, 1)
        layout.addWidget(self.refused_box, 1)
        layout.addStretch(0)

        controller.status_changed.connect(self.show_status)
        controller.started.connect(self._started)
        controller.progressed.connect(self._progressed)
        controller.finished.connect(self._finished)
        controller.failed.connect(self._failed)
        if controller.last_status is not None:
            self.show_status(controller.last_status)
        else:
            self.state.setText(self.tr("Reading the sync state…"))
        self.conflict_box.hide()  # until the worker has read them
        self.refused_box.hide()
        self.reload_decisions()

    # -- status -----------------------------------------------------------------------------------
    def show_status(self, value: object) -> None:
        if not isinstance(value, SyncStatus):
            return
        if not value.connected_to:
            self.state.setText(
                self.tr(
                    "This device is not connected to a central server. Everything you record "
                    "is kept in this workspace and will be sent once you connect."
                )
            )
            self.sync_button.setEnabled(False)
            self.connect_button.setText(self.tr("Connect to central server…"))
            return
        lines = [
            self.tr("Connected to {url} as {user}.").format(
                url=value.connected_to, user=value.username or "?"
            ),
            self.tr("Last successful sync: {when}.").format(
                when=format_time(value.last_success) if value.last_success else self.tr("never")
            ),
            self.tr("{n} changes waiting to be sent.").format(n=f"{value.pending:,}"),
        ]
        self.state.setText("\n".join(lines))
        self.sync_button.setEnabled(not self.controller.busy)
        self.connect_button.setText(self.tr("Connect again…"))
        if value.last_error and not self.controller.busy:
            self.message.show_error(
                self.tr("Last sync failed: {reason}").format(reason=value.last_error)
            )
        if (value.open_conflicts, value.rejected) != (
            sum(1 for c in self.conflicts if c.decided is None),
            len(self.refused),
        ):
            self.reload_decisions()

    def _started(self) -> None:
        self.sync_button.setEnabled(False)
        self.cancel_button.show()
        self.progress.setValue(0)
        self.progress.show()
        self.message.show_info(self.tr("Syncing…"))

    def _progressed(self, fraction: float, text: str) -> None:
        self.progress.setValue(int(fraction * 1000))
        if text:
            self.message.show_info(text)

    def _stopped(self) -> None:
        self.cancel_button.hide()
        self.progress.hide()
        self.sync_button.setEnabled(True)

    def _finished(self, report: object) -> None:
        self._stopped()
        summary = report.summary() if isinstance(report, SyncReport) else ""
        returned = report.returned_text() if isinstance(report, SyncReport) else ""
        if returned:  # news the engineer has to act on: said in red, with what to do
            self.message.show_error(
                self.tr(
                    "Synced: {summary}.\n{returned}\nOpen the case, correct the visit and "
                    "report it again."
                ).format(summary=summary, returned=returned)
            )
        else:
            self.message.show_info(self.tr("Synced: {summary}.").format(summary=summary))
        self.reload_decisions()

    def _failed(self, reason: str) -> None:
        self._stopped()
        self.message.show_error(reason)

    def sync_now(self) -> None:
        if self.controller.sync_now() is None:
            self.message.show_error(self.tr("Connect this device to a central server first."))

    def open_connect_dialog(self) -> None:
        dialog = self._connect_dialog(self)
        if dialog.exec() and dialog.enrolment is not None:
            self.message.show_info(
                self.tr("Connected as {user} ({role}). {where}").format(
                    user=dialog.enrolment.username,
                    role=dialog.enrolment.role,
                    where=dialog.enrolment.place.describe(),
                )
            )
            self.controller.last_status = None
            self.controller.refresh_status()
            self.controller.sync_now()

    # -- decisions --------------------------------------------------------------------------------
    def reload_decisions(self) -> None:
        """Read the open conflicts and refused changes in a worker; only the latest answer is
        shown (a reload asked for while another runs makes the earlier one stale)."""
        self._reloads += 1
        wanted = self._reloads
        decisions = self.decisions
        self.jobs.run(
            lambda _task: (decisions.open_conflicts(), decisions.refused_changes()),
            lambda lists: self._show_decisions(wanted, lists),
            self._decisions_failed,
        )

    def _decisions_failed(self, error: BaseException) -> None:
        self.message.show_failure(error, self.jobs.show_error)

    def _show_decisions(self, wanted: int, lists: object) -> None:
        if wanted != self._reloads:
            return  # a later reload is on its way
        self.conflicts, self.refused = lists  # type: ignore[misc]
        self.conflict_box.setTitle(self.tr("Conflicts ({n})").format(n=len(self.conflicts)))
        self.refused_box.setTitle(self.tr("Refused changes ({n})").format(n=len(self.refused)))
        self._fill(
            self.conflict_table,
            [
                [
                    c.record_label,
                    c.field,
                    _shown(c.kept_value) + (self.tr(" (yours)") if c.kept_is_mine else ""),
                    _shown(c.other_value) + (self.tr(" (yours)") if c.other_is_mine else ""),
                    c.other_username or "",
                    {"kept": self.tr("keep server's"), "other": self.tr("take other")}.get(
                        c.decided or "", self.tr("merged") if c.decided else self.tr("open")
                    )
                    + (self.tr(" — waiting to be sent") if c.decided else ""),
                ]
                for c in self.conflicts
            ],
        )
        self._fill(
            self.refused_table,
            [
                [
                    format_time(r.made_at),
                    r.record_label,
                    r.field or "",
                    r.reason,
                    _shown({k: v for k, v in r.values.items() if k != "updated_at"}),
                ]
                for r in self.refused
            ],
        )
        self.conflict_box.setVisible(bool(self.conflicts))
        self.refused_box.setVisible(bool(self.refused))

    @staticmethod
    def _fill(table: QTableWidget, rows: list[list[str]]) -> None:
        table.setRowCount(len(rows))
        for r, row in enumerate(rows):
            for c, text in enumerate(row):
                item = QTableWidgetItem(text)
                item.setToolTip(text)
                table.setItem(r, c, item)
        table.resizeColumnsToContents()
        if rows:
            table.selectRow(0)

    def _selected(self, table: QTableWidget) -> int | None:
        rows = table.selectionModel().selectedRows()
        return rows[0].row() if rows else None

    def decide(self, resolution: Resolution) -> None:
        row = self._selected(self.conflict_table)
        if row is None:
            self.message.show_error(self.tr("Choose a conflict first."))
            return
        conflict = self.conflicts[row]
        merged: Any = None
        if resolution is Resolution.MERGED:
            text, ok = QInputDialog.getMultiLineText(
                self,
                self.tr("Merged value"),
                self.tr("{field} of {record}:").format(
                    field=conflict.field, record=conflict.record_label
                ),
                conflict.kept_value if isinstance(conflict.kept_value, str) else "",
            )
            if not ok:
                return
            merged = text
        decisions = self.decisions
        # a write: in a worker, where waiting for a sync's transaction cannot stall the window
        self.jobs.run(
            lambda _task: decisions.decide(conflict.id, resolution, merged),
            lambda _result: self._decided(
                self.tr("Decision recorded; it is sent with the next sync.")
            ),
            self._decision_refused,
        )

    def _decided(self, info: str | None) -> None:
        if info:
            self.message.show_info(info)
        self.reload_decisions()
        self.controller.refresh_status()

    def _decision_refused(self, error: BaseException) -> None:
        self.message.show_failure(error, self.jobs.show_error)
        self.reload_decisions()

    def dismiss(self) -> None:
        row = self._selected(self.refused_table)
        if row is None:
            self.message.show_error(self.tr("Choose a refused change first."))
            return
        decisions, seq = self.decisions, self.refused[row].seq
        self.jobs.run(
            lambda _task: decisions.dismiss(seq),
            lambda _result: self._decided(None),
            self._decision_refused,
        )
