""" "Connect to central server": address, user name, password. The enrolment runs in a
worker; the device token goes to the OS keyring (or a private file, and the dialog says so)."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from fieldsupport.sync.session import Enrolment, connect, server_of
from fieldsupport.ui.operations import Operation
from fieldsupport.ui.widgets import InlineMessage, touch_line
from fieldsupport.workspace import Workspace


class ConnectDialog(QDialog):
    def __init__(self, workspace: Workspace, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.workspace = workspace
        self.enrolment: Enrolment | None = None
        self._op: Operation | None = None
        self.setWindowTitle(self.tr("Connect to central server"))
        self.setAccessibleName(self.windowTitle())
        self.url = touch_line(self, self.tr("Server address"), "https://central.example.com:8443")
        self.user = touch_line(self, self.tr("User name"))
        self.password = touch_line(self, self.tr("Password"))
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        # the address and user this device used before, read in a worker
        self._prefill: Operation | None = Operation(
            lambda _task: server_of(workspace),
            parent=self,
            on_success=self._prefilled,
            on_failure=lambda _error: None,  # nothing to offer: the fields stay empty
        )
        form = QFormLayout()
        form.addRow(self.tr("Server address"), self.url)
        form.addRow(self.tr("User name"), self.user)
        form.addRow(self.tr("Password"), self.password)
        self.message = InlineMessage(self)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        self.connect_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.connect_button.setText(self.tr("Connect"))
        self.buttons.accepted.connect(self.start)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.message)
        layout.addWidget(self.buttons)
        self.resize(520, self.sizeHint().height())

    def _prefilled(self, known: object) -> None:
        self._prefill = None
        if not isinstance(known, dict):
            return
        if not self.url.text():  # never over what the user has typed meanwhile
            self.url.setText(str(known.get("url", "")))
        if not self.user.text():
            self.user.setText(str(known.get("username") or ""))

    def start(self) -> None:
        url, user = self.url.text().strip(), self.user.text().strip()
        password = self.password.text()
        if not url or not user or not password:
            self.message.show_error(self.tr("Enter the server address, user name and password."))
            return
        self.message.show_info(self.tr("Connecting…"))
        self.connect_button.setEnabled(False)
        self._op = Operation(
            lambda _task: connect(self.workspace, url, user, password),
            parent=self,
            on_success=self._connected,
            on_failure=self._failed,
        )

    def _connected(self, enrolment: object) -> None:
        self._op = None
        assert isinstance(enrolment, Enrolment)
        self.enrolment = enrolment
        self.password.clear()
        self.accept()

    def _failed(self, error: BaseException) -> None:
        self._op = None
        self.connect_button.setEnabled(True)
        self.message.show_error(str(error) or type(error).__name__)
