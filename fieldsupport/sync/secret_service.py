"""A ``keyring`` backend for the freedesktop Secret Service (GNOME Keyring, KWallet,
KeePassXC) that needs nothing but ``jeepney``: the keyring of the Linux bundle.

keyring's own Secret Service backend goes through ``secretstorage``, which needs
``cryptography`` (12 MB, a third of it OpenSSL) only to encrypt the secret on its way over
D-Bus (a Diffie-Hellman session with AES). This backend opens the session with the "plain"
algorithm of the Secret Service API instead, which the specification allows: the secret
crosses the user's own session bus, which only the user's processes can reach, and the
daemon stores it encrypted as always.

Items are the ones keyring's backend writes (same attributes and label), so a token stored
by a development install is read by the bundle and the other way round. Registered with
keyring through the ``keyring.backends`` entry point (pyproject.toml); where
``secretstorage`` imports (a development install) it steps aside and keyring's own backend
serves, as before. Every failure is a :class:`keyring.errors.KeyringError`, so
``sync.tokens`` falls back to its private file and says so.

Specification: https://specifications.freedesktop.org/secret-service-spec/latest/
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from contextlib import closing, contextmanager, suppress
from typing import Any

from jeepney import (
    DBusAddress,
    DBusErrorResponse,
    HeaderFields,
    MatchRule,
    Message,
    MessageType,
    Properties,
    new_method_call,
)
from jeepney.bus_messages import message_bus
from jeepney.io.blocking import DBusConnection, open_dbus_connection
from keyring.backend import KeyringBackend, SchemeSelectable
from keyring.compat import properties
from keyring.credentials import SimpleCredential
from keyring.errors import (
    InitError,
    KeyringError,
    KeyringLocked,
    PasswordDeleteError,
    PasswordSetError,
)

BUS_NAME = "org.freedesktop.secrets"
SERVICE_PATH = "/org/freedesktop/secrets"
DEFAULT_COLLECTION = "/org/freedesktop/secrets/aliases/default"
SECRET = "org.freedesktop.Secret."
NO_PROMPT = "/"  # a method that needs no prompt answers "/" for its prompt
CALL_TIMEOUT_S = 25.0  # D-Bus's usual reply timeout (the daemon may be started on demand)
PROMPT_TIMEOUT_S = 300.0  # an unlock dialog waits for the user; then the file fallback
# keyring's SecretService backend marks its items with this (kept: the items are shared)
APPLICATION = "Python keyring library"


class PromptDismissed(KeyringLocked):
    """The user closed the daemon's dialog (unlock, create a keyring) without an answer."""


def _session_bus() -> DBusConnection:
    try:
        return open_dbus_connection(bus="SESSION")
    except KeyError as exc:  # jeepney reads DBUS_SESSION_BUS_ADDRESS
        raise InitError("no D-Bus session bus (DBUS_SESSION_BUS_ADDRESS is not set)") from exc
    except (OSError, RuntimeError, ValueError) as exc:
        raise InitError(f"cannot connect to the D-Bus session bus: {exc}") from exc


def service_available(connection: DBusConnection) -> bool:
    """A Secret Service runs on the bus or can be started by it."""
    if _call(connection, message_bus.NameHasOwner(BUS_NAME))[0]:
        return True
    return BUS_NAME in _call(connection, message_bus.ListActivatableNames())[0]


def _call(connection: DBusConnection, message: Message, timeout: float = CALL_TIMEOUT_S) -> Any:
    """The reply's body; a D-Bus error or no answer in time as a KeyringError."""
    try:
        reply = connection.send_and_get_reply(message, timeout=timeout)
    except TimeoutError as exc:
        member = message.header.fields.get(HeaderFields.member)
        raise InitError(f"the Secret Service did not answer {member} in {timeout:g} s") from exc
    except OSError as exc:
        raise InitError(f"the D-Bus connection failed: {exc}") from exc
    if reply.header.message_type == MessageType.error:
        error = DBusErrorResponse(reply)
        raise InitError(f"the Secret Service refused: {error.name}: {error.data}")
    return reply.body


class _Client:
    """One connection to the Secret Service with a "plain" session on it."""

    def __init__(self, connection: DBusConnection) -> None:
        self.connection = connection
        self.service = DBusAddress(SERVICE_PATH, BUS_NAME, SECRET + "Service")
        _output, self.session = self.call(self.service, "OpenSession", "sv", "plain", ("s", ""))

    def call(self, address: DBusAddress, method: str, signature: str = "", *body: Any) -> Any:
        return _call(self.connection, new_method_call(address, method, signature, body))

    def get(self, path: str, interface: str, name: str) -> Any:
        address = DBusAddress(path, BUS_NAME, SECRET + interface)
        ((_signature, value),) = _call(self.connection, Properties(address).get(name))
        return value

    def prompt(self, prompt: str) -> Any:
        """Run the daemon's prompt (its own dialog) and wait for the user's answer; the
        prompt's result. PromptDismissed when the user cancelled."""
        rule = MatchRule(
            type="signal", interface=SECRET + "Prompt", member="Completed", path=prompt
        )
        # GNOME Keyring sends the signal to this connection; other daemons broadcast it
        _call(self.connection, message_bus.AddMatch(rule))
        with self.connection.filter(rule) as signals:
            self.call(DBusAddress(prompt, BUS_NAME, SECRET + "Prompt"), "Prompt", "s", "")
            try:
                signal = self.connection.recv_until_filtered(signals, timeout=PROMPT_TIMEOUT_S)
            except TimeoutError as exc:
                raise PromptDismissed(
                    f"the keyring's dialog got no answer in {PROMPT_TIMEOUT_S:g} s"
                ) from exc
        dismissed, (_signature, result) = signal.body
        if dismissed:
            raise PromptDismissed("the keyring's dialog was dismissed")
        return result

    def unlock(self, path: str, what: str) -> None:
        if not self.get(path, what, "Locked"):
            return
        _unlocked, prompt = self.call(self.service, "Unlock", "ao", [path])
        if prompt != NO_PROMPT:
            self.prompt(prompt)
        if self.get(path, what, "Locked"):
            raise KeyringLocked(f"Failed to unlock the {what.lower()}!")

    def collection(self, path: str | None) -> str:
        """The object path of the collection ``path`` or else the default one (created,
        as keyring's backend does, when there is none), unlocked."""
        if path is None:
            (path,) = self.call(self.service, "ReadAlias", "s", "default")
            if path == NO_PROMPT:  # no default collection yet
                label = {SECRET + "Collection.Label": ("s", "Default")}
                path, prompt = self.call(
                    self.service, "CreateCollection", "a{sv}s", label, "default"
                )
                if path == NO_PROMPT:
                    path = self.prompt(prompt)
        self.unlock(path, "Collection")
        return str(path)

    def search(self, collection: str, attributes: dict[str, str]) -> list[str]:
        address = DBusAddress(collection, BUS_NAME, SECRET + "Collection")
        (items,) = self.call(address, "SearchItems", "a{ss}", attributes)
        return [str(item) for item in items]

    def secret(self, item: str) -> bytes:
        self.unlock(item, "Item")
        address = DBusAddress(item, BUS_NAME, SECRET + "Item")
        ((_session, _parameters, value, _content_type),) = self.call(
            address, "GetSecret", "o", self.session
        )
        return bytes(value)

    def create(
        self, collection: str, label: str, attributes: dict[str, str], secret: bytes
    ) -> None:
        properties = {
            SECRET + "Item.Label": ("s", label),
            SECRET + "Item.Attributes": ("a{ss}", attributes),
        }
        value = (self.session, b"", secret, "text/plain")  # "plain": no parameters
        address = DBusAddress(collection, BUS_NAME, SECRET + "Collection")
        item, prompt = self.call(address, "CreateItem", "a{sv}(oayays)b", properties, value, True)
        if item == NO_PROMPT:
            self.prompt(prompt)

    def delete(self, item: str) -> None:
        (prompt,) = self.call(DBusAddress(item, BUS_NAME, SECRET + "Item"), "Delete")
        if prompt != NO_PROMPT:
            self.prompt(prompt)

    def attributes(self, item: str) -> dict[str, str]:
        return dict(self.get(item, "Item", "Attributes"))

    def close(self) -> None:
        with suppress(KeyringError):  # the daemon closes it with the connection anyway
            self.call(DBusAddress(self.session, BUS_NAME, SECRET + "Session"), "Close")


class Keyring(SchemeSelectable, KeyringBackend):
    """Secret Service over jeepney, "plain" session (see the module's docstring)."""

    appid = APPLICATION

    @properties.classproperty
    def priority(cls) -> float:
        try:
            importlib.import_module("secretstorage")
        except Exception:  # absent, or its cryptography is: this backend serves
            pass
        else:
            raise RuntimeError("secretstorage is installed: keyring's own backend serves")
        try:
            with closing(_session_bus()) as connection:
                if not service_available(connection):
                    raise RuntimeError(f"no Secret Service ({BUS_NAME}) on the session bus")
        except KeyringError as exc:
            raise RuntimeError(str(exc)) from exc
        return 5  # as keyring's own Secret Service backend

    @contextmanager
    def _client(self) -> Iterator[tuple[_Client, str]]:
        with closing(_session_bus()) as connection:
            client = _Client(connection)
            try:
                yield client, client.collection(getattr(self, "preferred_collection", None))
            finally:
                client.close()

    def get_password(self, service: str, username: str) -> str | None:
        with self._client() as (client, collection):
            for item in client.search(collection, self._query(service, username)):
                return client.secret(item).decode("utf-8")
        return None

    def set_password(self, service: str, username: str, password: str) -> None:
        attributes = self._query(service, username, application=self.appid)
        label = f"Password for '{username}' on '{service}'"
        try:
            with self._client() as (client, collection):
                client.create(collection, label, attributes, password.encode("utf-8"))
        except KeyringLocked:
            raise
        except KeyringError as exc:
            raise PasswordSetError(str(exc)) from exc

    def delete_password(self, service: str, username: str) -> None:
        """Delete the stored password (the first one found, as keyring's backend)."""
        with self._client() as (client, collection):
            for item in client.search(collection, self._query(service, username)):
                client.delete(item)
                return
        raise PasswordDeleteError("No such password!")

    def get_credential(self, service: str, username: str | None) -> SimpleCredential | None:
        scheme = self.schemes[self.scheme]
        with self._client() as (client, collection):
            for item in client.search(collection, self._query(service, username)):
                name = client.attributes(item).get(scheme["username"])
                return SimpleCredential(name, client.secret(item).decode("utf-8"))
        return None
