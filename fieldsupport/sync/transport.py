"""How the device talks to the server: one request at a time, answers checked and turned
into errors a person can read. :class:`HttpTransport` speaks HTTP (httpx); the simulation
puts its faulty in-process transport in its place."""

from __future__ import annotations

import contextlib
import ipaddress
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import urlsplit

from fieldsupport.errors import FieldSupportError
from fieldsupport.sync import wire

TIMEOUT_S = 30.0
STREAM_BYTES = 1024 * 1024


class SyncError(FieldSupportError):
    """Sync could not complete; nothing local was lost (the outbox keeps every change)."""


class ServerUnavailable(SyncError):
    """No answer (network down, server not running, timeout): try again later."""


class AuthRejected(SyncError):
    """401: the device must be connected again (revoked, expired, wrong password ...)."""

    def __init__(self, message: str, code: str = "") -> None:
        super().__init__(message)
        self.code = code


class UpdateRequired(SyncError):
    """426: this app speaks a protocol the server no longer accepts."""


@dataclass
class Reply:
    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)

    def json(self, what: str = "answer") -> Any:
        try:
            return json.loads(self.body)
        except (ValueError, UnicodeDecodeError):
            kind = self.headers.get("content-type", "unknown content")
            raise SyncError(
                f"The server's answer to the {what} is not FieldSupport sync data (HTTP "
                f"{self.status}, {kind}); is the server address right? Your changes are kept."
            ) from None


@dataclass
class Streamed:
    """An answer whose body arrives piece by piece (a download of hundreds of MB)."""

    status: int
    headers: dict[str, str]
    chunks: Iterator[bytes]

    def reply(self) -> Reply:
        """The whole answer (an error's few bytes), for :func:`check`."""
        return Reply(self.status, b"".join(self.chunks), self.headers)


@contextlib.contextmanager
def streamed(reply: Reply) -> Iterator[Streamed]:
    """A whole answer as a :class:`Streamed` one (transports without real streaming)."""
    yield Streamed(reply.status, reply.headers, iter([reply.body] if reply.body else []))


class InProcessTransport:
    """Base of the transports answered in this process (the simulation's faulty network,
    the server's own copies): whole answers, nothing to close."""

    url = "inprocess://central"

    def request(
        self,
        method: str,
        path: str,
        *,
        json_body: Any = None,
        content: bytes | None = None,
        params: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> Reply:
        raise NotImplementedError

    def stream(
        self, method: str, path: str, *, headers: dict[str, str] | None = None
    ) -> contextlib.AbstractContextManager[Streamed]:
        return streamed(self.request(method, path, headers=headers))

    def close(self) -> None:
        return None


class Transport(Protocol):
    url: str

    def stream(
        self, method: str, path: str, *, headers: dict[str, str] | None = None
    ) -> contextlib.AbstractContextManager[Streamed]: ...

    def request(
        self,
        method: str,
        path: str,
        *,
        json_body: Any = None,
        content: bytes | None = None,
        params: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> Reply: ...

    def close(self) -> None: ...


def check(reply: Reply, what: str) -> Any:
    """The JSON of a successful reply, or the matching :class:`SyncError`."""
    if 200 <= reply.status < 300:
        body = reply.json(what)
        if not isinstance(body, dict):
            raise SyncError(
                f"The server's answer to the {what} has an unexpected shape; your changes are kept."
            )
        return body
    message = _message(reply)
    if reply.status == 401:
        code = ""
        with contextlib.suppress(ValueError, AttributeError):
            code = str(json.loads(reply.body).get("error", ""))
        raise AuthRejected(f"The server refused this device: {message}", code)
    if reply.status == 426:
        raise UpdateRequired(message)
    if reply.status >= 500:
        raise ServerUnavailable(
            f"The server had a problem with the {what} (HTTP {reply.status}: {message}); "
            "your changes are kept and sync will try again."
        )
    raise SyncError(f"The server refused the {what} (HTTP {reply.status}): {message}")


def _message(reply: Reply) -> str:
    try:
        body = json.loads(reply.body)
    except (ValueError, UnicodeDecodeError):
        return reply.body[:200].decode("utf-8", "replace").strip() or "no details"
    if isinstance(body, dict):
        return str(body.get("message") or body.get("detail") or body)
    return str(body)[:200]


def is_loopback(url: str) -> bool:
    """Whether ``url`` names this machine (127.0.0.0/8, ::1 or localhost)."""
    host = (urlsplit(url).hostname or "").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class HttpTransport:
    def __init__(self, url: str, token: str | None = None, *, timeout: float = TIMEOUT_S) -> None:
        import httpx

        self.url = url.rstrip("/")
        headers = {wire.PROTOCOL_HEADER: str(wire.PROTOCOL_VERSION)}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        self._httpx = httpx
        # A proxy from the environment (HTTP_PROXY on a company laptop) is for the network,
        # not this machine: the embedded demo server and a server on loopback are reached
        # directly, whatever NO_PROXY says.
        self._client = httpx.Client(
            base_url=self.url,
            headers=headers,
            timeout=timeout,
            trust_env=not is_loopback(self.url),
        )

    def request(
        self,
        method: str,
        path: str,
        *,
        json_body: Any = None,
        content: bytes | None = None,
        params: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> Reply:
        if json_body is not None:
            content = json.dumps(json_body, separators=(",", ":")).encode()
            headers = {**(headers or {}), "Content-Type": "application/json"}
        try:
            response = self._client.request(
                method, path, content=content, params=params, headers=headers
            )
        except self._httpx.HTTPError as exc:
            raise ServerUnavailable(
                f"Cannot reach the server at {self.url} ({exc or type(exc).__name__}); "
                "your changes are kept and sync will try again."
            ) from exc
        return Reply(response.status_code, response.content, dict(response.headers))

    @contextlib.contextmanager
    def stream(
        self, method: str, path: str, *, headers: dict[str, str] | None = None
    ) -> Iterator[Streamed]:
        try:
            with self._client.stream(method, path, headers=headers) as response:
                yield Streamed(
                    response.status_code, dict(response.headers), response.iter_raw(STREAM_BYTES)
                )
        except self._httpx.HTTPError as exc:
            raise ServerUnavailable(
                f"Lost the connection to the server at {self.url} ({exc or type(exc).__name__}); "
                "your changes are kept and sync will go on from there."
            ) from exc

    def close(self) -> None:
        self._client.close()
