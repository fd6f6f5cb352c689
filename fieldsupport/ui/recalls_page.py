"""Advisories and recall campaigns (A4): which assets at the customers' sites a campaign
covers, what was done about each (with a photo), progress at a glance; and a form for a new
campaign."""

from __future__ import annotations

from datetime import date, datetime, time
from html import escape

from PySide6.QtCore import QDate, QEvent, QObject, Signal, Slot
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QPlainTextEdit,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from fieldsupport.errors import FieldSupportError
from fieldsupport.models.enums import (
    CampaignReason,
    RecallActionStatus,
    RecallActionTaken,
    RecallRequiredAction,
)
from fieldsupport.services.catalog import CatalogService
from fieldsupport.services.photos import PhotoOwner, PhotoService
from fieldsupport.services.recalls import (
    AffectedAsset,
    CampaignSpec,
    CampaignView,
    RecallService,
    ScopeSpec,
    describe_scope,
)
from fieldsupport.ui.jobs import JobRunner
from fieldsupport.ui.photo_gallery import PhotoGallery
from fieldsupport.ui.widgets import (
    TOUCH_HEIGHT,
    InlineMessage,
    align_form_labels,
    fit_columns,
    format_time,
    section_heading,
    touch_button,
)

OVERDUE = QColor("#b3261e")
DONE = QColor("#1f6f43")


def _words(value: str) -> str:
    return value.replace("_", " ")


def _choice(value: str) -> str:
    """An enum value as a choice in a list: "not_reachable" -> "Not reachable"."""
    return _words(value).capitalize()


class RecallsPage(QWidget):
    loaded = Signal()

    def __init__(
        self,
        recalls: RecallService,
        catalog: CatalogService,
        parent: QWidget | None = None,
        *,
        photos: PhotoService | None = None,
    ) -> None:
        super().__init__(parent)
        self.setAccessibleName(self.tr("Recalls and advisories"))
        self._recalls, self._catalog = recalls, catalog
        self.jobs = JobRunner(self)
        self.campaigns: list[CampaignView] = []
        self._generation = 0
        self._keep_asset: str | None = None
        self.assets: list[AffectedAsset] = []
        self.list = QListWidget(self)
        self.list.setAccessibleName(self.tr("Campaigns"))
        self.list.setMaximumWidth(360)
        self.list.setWordWrap(True)
        self.list.currentRowChanged.connect(lambda _r: self.show_campaign())
        self.new_button = touch_button(self.tr("New campaign"), self)
        self.new_button.clicked.connect(self.new_campaign)
        self.progress = QLabel(self)
        self.progress.setAccessibleName(self.tr("Campaign progress"))
        self.progress.setWordWrap(True)
        self.table = QTableWidget(0, 7, self)
        self.table.setAccessibleName(self.tr("Affected assets"))
        self.table.setHorizontalHeaderLabels(
            [
                self.tr(h)
                for h in ("Customer", "Site", "Product", "Serial / lot", "Status", "Done", "Note")
            ]
        )
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QTableWidget.SelectionMode.SingleSelection)
        self.table.itemSelectionChanged.connect(self._asset_chosen)
        self.taken = QComboBox(self)
        self.taken.setAccessibleName(self.tr("What was done"))
        self.taken.setMinimumHeight(TOUCH_HEIGHT)
        for value in RecallActionTaken:
            self.taken.addItem(self.tr(_choice(value.value)), value.value)
        # the day it was done: often recorded later, never in the future
        self.performed = QDateEdit(self)
        self.performed.setAccessibleName(self.tr("Date done"))
        self.performed.setCalendarPopup(True)
        self.performed.setDisplayFormat("yyyy-MM-dd")
        self.performed.setMinimumHeight(TOUCH_HEIGHT)
        self.performed.setMaximumDate(QDate.currentDate())
        self.performed.setDate(QDate.currentDate())
        self.note = QLineEdit(self)
        self.note.setAccessibleName(self.tr("Note"))
        self.note.setPlaceholderText(self.tr("Note"))
        self.note.setMinimumHeight(TOUCH_HEIGHT)
        self.record_button = touch_button(self.tr("Record for selected asset"), self)
        self.record_button.clicked.connect(self.record)
        self.photo = PhotoGallery(photos or PhotoService(recalls.workspace), self, compact=True)
        self.photo.setAccessibleName(self.tr("Photo of what was done"))
        self.photo_heading = section_heading(
            self.tr("Photo of what was done for the chosen asset"), self
        )
        self.message = InlineMessage(self)

        left = QVBoxLayout()
        left.addWidget(self.list, 1)
        left.addWidget(self.new_button)
        record = QHBoxLayout()
        record.addWidget(self.taken)
        record.addWidget(self.performed)
        record.addWidget(self.note, 1)
        record.addWidget(self.record_button)
        right = QVBoxLayout()
        right.addWidget(self.progress)
        right.addWidget(self.table, 1)
        right.addLayout(record)
        right.addWidget(self.message)
        right.addWidget(self.photo_heading)
        right.addWidget(self.photo)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(left)
        layout.addLayout(right, 1)
        self._loaded = False
        self._asset_chosen()

    def showEvent(self, event: object) -> None:
        super().showEvent(event)  # type: ignore[arg-type]
        if not self._loaded:
            self._loaded = True
            self.reload()

    def reload(self) -> None:
        keep = self.list.currentRow()
        self.campaigns = self._recalls.campaigns()
        self.list.blockSignals(True)
        self.list.clear()
        for c in self.campaigns:
            due = self.tr(", due {0}").format(c.due_date.isoformat()) if c.due_date else ""
            self.list.addItem(
                f"{c.code} — {c.title}\n{self.tr(_choice(c.required_action.value))}{due}"
            )
        self.list.blockSignals(False)
        self.list.setCurrentRow(keep if 0 <= keep < len(self.campaigns) else 0)
        self.show_campaign()

    def selected(self) -> CampaignView | None:
        row = self.list.currentRow()
        return self.campaigns[row] if 0 <= row < len(self.campaigns) else None

    def show_campaign(self) -> None:
        campaign = self.selected()
        self.table.setRowCount(0)
        self.assets = []
        if campaign is None:
            self.progress.setText(self.tr("No campaign on this device."))
            self.loaded.emit()
            return
        recalls, catalog = self._recalls, self._catalog
        self._generation += 1
        generation = self._generation
        self.jobs.run(
            lambda _t: (
                recalls.affected_assets(campaign.id),
                recalls.progress(campaign.id),
                dict(catalog.products()),
            ),
            lambda result: self._show(generation, campaign, *result),
        )

    def _show(
        self,
        generation: int,
        campaign: CampaignView,
        assets: list[AffectedAsset],
        progress: object,
        products: dict[str, str],
    ) -> None:
        if generation != self._generation:
            return  # a newer load is on its way
        self.assets = assets
        scopes = "; ".join(
            f"{products.get(s.product_id, '?')}: {describe_scope(s)}" for s in campaign.scopes
        )
        self.progress.setText(
            self.tr("<b>{0}</b> — {1}: {2} affected, {3} done, {4} open, {5} overdue").format(
                campaign.code,
                self.tr(_choice(campaign.reason.value)),
                progress.affected,  # type: ignore[attr-defined]
                progress.done,  # type: ignore[attr-defined]
                progress.open,  # type: ignore[attr-defined]
                progress.overdue,  # type: ignore[attr-defined]
            )
            + "<br>"
            + self.tr("Affected: {0}").format(escape(scopes))
            + (f"<br>{escape(campaign.description)}" if campaign.description else "")
        )
        self.table.setRowCount(0)
        for a in assets:
            row = self.table.rowCount()
            self.table.insertRow(row)
            status = self.tr("overdue") if a.overdue else self.tr(_words(a.status.value))
            done = ""
            if a.action_taken is not None:
                done = f"{self.tr(_words(a.action_taken.value))} {format_time(a.performed_at)}"
            cells = [
                a.customer,
                a.site,
                a.product,
                a.serial_number or a.lot_number or "",
                status,
                done,
                a.note or "",
            ]
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if a.overdue:
                    item.setForeground(QBrush(OVERDUE))
                elif a.status is RecallActionStatus.DONE:
                    item.setForeground(QBrush(DONE))
                self.table.setItem(row, column, item)
        fit_columns(self.table)
        keep = [i for i, a in enumerate(assets) if a.asset_id == self._keep_asset]
        if keep:
            self.table.selectRow(keep[0])
        self._asset_chosen()
        self.loaded.emit()

    def selected_asset(self) -> AffectedAsset | None:
        rows = {i.row() for i in self.table.selectedIndexes()}
        row = min(rows) if rows else -1
        return self.assets[row] if 0 <= row < len(self.assets) else None

    @Slot()
    def _asset_chosen(self) -> None:
        """The photo strip follows the chosen asset: its recorded action's photos."""
        asset = self.selected_asset()
        self._keep_asset = asset.asset_id if asset else self._keep_asset
        if asset is None:
            self.photo.show_nothing(self.tr("Choose an asset in the list to see its photo."))
        elif asset.action_id is None:
            self.photo.show_nothing(
                self.tr("Record what was done for this asset first, then add a photo of it.")
            )
        else:
            self.photo.show_owner(PhotoOwner(recall_action_id=asset.action_id))

    @Slot()
    def record(self) -> None:
        campaign = self.selected()
        asset = self.selected_asset()
        if campaign is None or asset is None:
            self.message.show_error(self.tr("Choose an asset in the list first."))
            return
        self._keep_asset = asset.asset_id  # chosen again when the list comes back
        try:
            self._recalls.record_action(
                campaign.id,
                asset.asset_id,
                self.taken.currentData(),
                performed_at=self.performed_at(),
                note=self.note.text(),
            )
        except FieldSupportError as exc:
            self.message.show_error(str(exc))
            return
        self.message.clear_message()
        self.note.clear()
        self.show_campaign()

    def performed_at(self) -> datetime | None:
        """None (now) for today; an earlier day counts from its noon, local time (the day is
        what the form asks for)."""
        day: date = self.performed.date().toPython()  # type: ignore[assignment]
        if day >= date.today():
            return None
        return datetime.combine(day, time(12)).astimezone()

    @Slot()
    def new_campaign(self) -> CampaignDialog:
        dialog = CampaignDialog(self._recalls, self._catalog.products(), self)
        dialog.accepted.connect(self.reload)
        dialog.open()
        self.dialog = dialog
        return dialog


class CampaignDialog(QDialog):
    def __init__(
        self, recalls: RecallService, products: list[tuple[str, str]], parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._recalls = recalls
        self._products = products
        self.setWindowTitle(self.tr("New campaign"))
        self.setAccessibleName(self.tr("New recall campaign"))
        self.resize(720, 480)
        self.code = QLineEdit(self)
        self.code.setAccessibleName(self.tr("Campaign code"))
        self.title = QLineEdit(self)
        self.title.setAccessibleName(self.tr("Campaign title"))
        self.reason = QComboBox(self)
        self.reason.setAccessibleName(self.tr("Reason"))
        for value in CampaignReason:
            self.reason.addItem(self.tr(_choice(value.value)), value.value)
        self.action = QComboBox(self)
        self.action.setAccessibleName(self.tr("Required action"))
        for value in RecallRequiredAction:
            self.action.addItem(self.tr(_choice(value.value)), value.value)
        self.due = QDateEdit(self)
        self.due.setAccessibleName(self.tr("Due date"))
        self.due.setCalendarPopup(True)
        self.due.setDisplayFormat("yyyy-MM-dd")  # as every date in the app
        self.due.setDate(QDate.currentDate().addMonths(1))
        # what happened and what to tell the customer: the engineer reads it on site
        self.description = QPlainTextEdit(self)
        self.description.setAccessibleName(self.tr("Description"))
        self.description.setPlaceholderText(self.tr("What happened, and what to tell the customer"))
        self.description.setTabChangesFocus(True)
        self.description.setFixedHeight(3 * TOUCH_HEIGHT // 2 + 12)
        self.scopes = QTableWidget(0, 4, self)
        self.scopes.setAccessibleName(self.tr("Affected products"))
        self.scopes.setHorizontalHeaderLabels(
            [self.tr(h) for h in ("Product", "First serial", "Last serial", "Lot")]
        )
        self.scopes.horizontalHeader().setStretchLastSection(True)
        self.scopes.setColumnWidth(0, 240)
        # the row Remove takes is the one shown selected (typing in a cell or choosing a
        # product selects its row)
        self.scopes.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        self.scopes.setSelectionMode(QTableWidget.SelectionMode.SingleSelection)
        self.scopes.itemSelectionChanged.connect(self._scope_chosen)
        self.add_scope = touch_button(self.tr("Add affected product"), self)
        self.add_scope.clicked.connect(self.add_scope_row)
        # a row added by mistake would silently cover every unit of its product
        self.remove_scope = touch_button(self.tr("Remove affected product"), self)
        self.remove_scope.clicked.connect(self.remove_scope_row)
        self.scope_hint = QLabel(
            self.tr(
                "A range may be open at either end; a lot instead of a range; "
                "neither: every unit of the product."
            ),
            self,
        )
        self.scope_hint.setWordWrap(True)
        self.message = InlineMessage(self)
        form = QFormLayout()
        for label, widget in (
            (self.tr("Code"), self.code),
            (self.tr("Title"), self.title),
            (self.tr("Reason"), self.reason),
            (self.tr("Required action"), self.action),
            (self.tr("Due date"), self.due),
        ):
            widget.setMinimumHeight(TOUCH_HEIGHT)
            form.addRow(label, widget)
        form.addRow(self.tr("Description"), self.description)
        align_form_labels(form)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel, self
        )
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.scopes, 1)
        layout.addWidget(self.scope_hint)
        scope_buttons = QHBoxLayout()
        scope_buttons.addWidget(self.add_scope, 1)
        scope_buttons.addWidget(self.remove_scope, 1)
        layout.addLayout(scope_buttons)
        layout.addWidget(self.message)
        layout.addWidget(buttons)
        self.add_scope_row()

    @Slot()
    def add_scope_row(self) -> None:
        row = self.scopes.rowCount()
        self.scopes.insertRow(row)
        product = QComboBox(self)
        for product_id, name in self._products:
            product.addItem(name, product_id)
        # the product box is a cell widget: clicking it does not select its row by itself
        product.installEventFilter(self)
        product.activated.connect(lambda _index, box=product: self._select_row_of(box))
        self.scopes.setCellWidget(row, 0, product)
        for column in (1, 2, 3):
            self.scopes.setItem(row, column, QTableWidgetItem(""))
        self._name_product_boxes()
        self.scopes.selectRow(row)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() in (QEvent.Type.FocusIn, QEvent.Type.MouseButtonPress) and isinstance(
            watched, QComboBox
        ):
            self._select_row_of(watched)
        return super().eventFilter(watched, event)

    def _select_row_of(self, box: QComboBox) -> None:
        for row in range(self.scopes.rowCount()):
            if self.scopes.cellWidget(row, 0) is box:
                self.scopes.selectRow(row)
                return

    def _name_product_boxes(self) -> None:
        for row in range(self.scopes.rowCount()):
            box = self.scopes.cellWidget(row, 0)
            if box is not None:
                box.setAccessibleName(self.tr("Product of scope {0}").format(row + 1))

    def selected_scope_row(self) -> int | None:
        rows = {index.row() for index in self.scopes.selectionModel().selectedRows()}
        return rows.pop() if len(rows) == 1 else None

    @Slot()
    def _scope_chosen(self) -> None:
        self.remove_scope.setEnabled(self.selected_scope_row() is not None)

    @Slot()
    def remove_scope_row(self) -> None:
        """Remove the selected row (the one last added, or clicked into)."""
        row = self.selected_scope_row()
        if row is None:
            return
        self.scopes.removeRow(row)
        # nothing is chosen for the next removal: a second press takes no other row
        self.scopes.clearSelection()
        self._name_product_boxes()
        self._scope_chosen()

    def spec(self) -> CampaignSpec:
        scopes = []
        for row in range(self.scopes.rowCount()):
            product = self.scopes.cellWidget(row, 0)
            assert isinstance(product, QComboBox)
            texts = [
                (self.scopes.item(row, c) or QTableWidgetItem("")).text().strip() for c in (1, 2, 3)
            ]
            scopes.append(ScopeSpec(product.currentData(), *(t or None for t in texts)))
        due: date = self.due.date().toPython()  # type: ignore[assignment]
        return CampaignSpec(
            code=self.code.text(),
            title=self.title.text(),
            reason=self.reason.currentData(),
            required_action=self.action.currentData(),
            scopes=scopes,
            description=self.description.toPlainText().strip() or None,
            due_date=due,
        )

    @Slot()
    def save(self) -> None:
        try:
            self._recalls.create_campaign(self.spec())
        except FieldSupportError as exc:
            self.message.show_error(str(exc))
            return
        self.accept()
