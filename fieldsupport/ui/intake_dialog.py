"""New case (intake) on site: assist type, channel, customer, site, contact, asset, title and
description. The case gets its number at once, offline. The half-filled form is kept as a
draft, so an interruption does not lose it."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal, Slot
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from fieldsupport.errors import FieldSupportError
from fieldsupport.models.enums import AssistType, Channel, Priority
from fieldsupport.services.cases import CaseIntake, CaseService
from fieldsupport.services.catalog import CatalogService
from fieldsupport.services.drafts import DraftStore
from fieldsupport.services.validation import NAME_LEN
from fieldsupport.ui.widgets import TOUCH_HEIGHT, BoundedTextEdit, InlineMessage

DRAFT_KEY = "intake"
DRAFT_SAVE_MS = 1000


class IntakeDialog(QDialog):
    #: the new case's id, once saved
    created = Signal(str)

    def __init__(
        self,
        cases: CaseService,
        catalog: CatalogService,
        drafts: DraftStore,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._cases, self._catalog, self._drafts = cases, catalog, drafts
        self.setWindowTitle(self.tr("New case"))
        self.setAccessibleName(self.tr("New case form"))
        self.resize(620, 560)
        self.assist_type = self._combo(self.tr("Assist type"), [(t.label, t) for t in AssistType])
        self.channel = self._combo(
            self.tr("Channel"),
            [(self.tr(c.value.replace("_", " ").capitalize()), c) for c in Channel],
        )
        self.channel.setCurrentIndex(self.channel.findData(Channel.ON_SITE))
        self.priority = self._combo(
            self.tr("Priority"), [(self.tr(p.value.capitalize()), p) for p in Priority]
        )
        self.priority.setCurrentIndex(self.priority.findData(Priority.NORMAL))
        self.customer = self._combo(
            self.tr("Customer"), [(name, cid) for cid, name in catalog.customers()]
        )
        self.customer.setEditable(True)  # type to find among many customers
        self.customer.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.site = self._combo(self.tr("Site"), [])
        self.contact = self._combo(self.tr("Reporting contact"), [])
        self.asset = self._combo(self.tr("Asset"), [])
        self.title = QLineEdit(self)
        self.title.setAccessibleName(self.tr("Case title"))
        self.title.setMaxLength(NAME_LEN)
        self.title.setMinimumHeight(TOUCH_HEIGHT)
        self.description = BoundedTextEdit(self)
        self.description.setAccessibleName(self.tr("Description"))
        self.message = InlineMessage(self)

        form = QFormLayout()
        for label, widget in (
            (self.tr("Assist type"), self.assist_type),
            (self.tr("Channel"), self.channel),
            (self.tr("Priority"), self.priority),
            (self.tr("Customer"), self.customer),
            (self.tr("Site"), self.site),
            (self.tr("Contact"), self.contact),
            (self.tr("Asset"), self.asset),
            (self.tr("Title"), self.title),
            (self.tr("Description"), self.description),
        ):
            form.addRow(label, widget)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText(self.tr("Open case"))
        buttons.accepted.connect(self.submit)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.message)
        layout.addWidget(buttons)

        self.customer.currentIndexChanged.connect(self._customer_changed)
        self.site.currentIndexChanged.connect(self._site_changed)
        self._draft_timer = QTimer(self)
        self._draft_timer.setSingleShot(True)
        self._draft_timer.setInterval(DRAFT_SAVE_MS)
        self._draft_timer.timeout.connect(self.save_draft)
        self.title.textEdited.connect(self._draft_timer.start)
        self.description.textChanged.connect(self._draft_timer.start)
        self._customer_changed()
        self._restore_draft()

    def _combo(self, name: str, items: list[tuple[str, Any]]) -> QComboBox:
        """A combo of (shown text, data) items."""
        combo = QComboBox(self)
        combo.setAccessibleName(name)
        combo.setMinimumHeight(TOUCH_HEIGHT)
        for text, data in items:
            combo.addItem(text, data)
        return combo

    def _fill_ids(self, combo: QComboBox, items: list[tuple[str, str]], none: str) -> None:
        combo.blockSignals(True)
        combo.clear()
        combo.addItem(none, None)
        for item_id, text in items:
            combo.addItem(text, item_id)
        combo.blockSignals(False)

    @Slot()
    def _customer_changed(self) -> None:
        customer_id = self.customer.currentData()
        sites = self._catalog.sites(customer_id) if customer_id else []
        contacts = self._catalog.contacts(customer_id) if customer_id else []
        self._fill_ids(self.site, sites, self.tr("(no site)"))
        if sites:
            self.site.setCurrentIndex(1)
        self._fill_ids(self.contact, contacts, self.tr("(no contact)"))
        self._site_changed()

    @Slot()
    def _site_changed(self) -> None:
        site_id = self.site.currentData()
        self._fill_ids(
            self.asset, self._catalog.assets(site_id) if site_id else [], self.tr("(no asset)")
        )

    # -- drafts -----------------------------------------------------------------------------
    @Slot()
    def save_draft(self) -> None:
        self._draft_timer.stop()
        self._drafts.save(
            DRAFT_KEY,
            {"title": self.title.text(), "description": self.description.toPlainText()},
        )

    def _restore_draft(self) -> None:
        draft = self._drafts.load(DRAFT_KEY)
        if isinstance(draft, dict):
            self.title.setText(str(draft.get("title", "")))
            self.description.setPlainText(str(draft.get("description", "")))

    def reject(self) -> None:
        self.save_draft()  # cancelled, not lost: the next New case starts from it
        super().reject()

    # -- saving -----------------------------------------------------------------------------
    @Slot()
    def submit(self) -> None:
        customer_id = self.customer.currentData()
        if not customer_id:
            self.message.show_error(self.tr("Choose the customer."))
            return
        intake = CaseIntake(
            assist_type=self.assist_type.currentData(),
            title=self.title.text(),
            customer_id=customer_id,
            channel=self.channel.currentData(),
            description=self.description.toPlainText() or None,
            site_id=self.site.currentData(),
            contact_id=self.contact.currentData(),
            asset_id=self.asset.currentData(),
            priority=self.priority.currentData(),
        )
        try:
            case = self._cases.open_case(intake)
        except FieldSupportError as exc:
            self.message.show_error(str(exc))
            return
        self._draft_timer.stop()
        self._drafts.discard(DRAFT_KEY)
        self.case_number = case.case_number
        self.created.emit(case.id)
        self.accept()

    def keyPressEvent(self, event: Any) -> None:
        if event.key() == Qt.Key.Key_Escape:
            self.reject()
            return
        super().keyPressEvent(event)
