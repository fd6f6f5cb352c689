"""A faulty network for the sync simulation: requests go to an in-process central service
and may be dropped, answered into the void, duplicated, or held back and delivered later
(which reorders them). Deterministic: every decision comes from the seed's random stream."""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fieldsupport.central.accounts import AuthError
from fieldsupport.central.blobs import BlobError
from fieldsupport.central.service import CentralService
from fieldsupport.errors import NotFoundError
from fieldsupport.sync.transport import InProcessTransport, Reply, ServerUnavailable


class Crash(BaseException):
    """The device 'process' dies here; nothing uncommitted survives."""


@dataclass
class FaultRates:
    drop_request: float = 0.05
    drop_reply: float = 0.05
    duplicate: float = 0.04
    delay: float = 0.04
    crash: float = 0.03
    # not a fault: the user edits while a sync is running (at the same named points)
    edit_during_sync: float = 0.05

    @classmethod
    def none(cls) -> FaultRates:
        return cls(0, 0, 0, 0, 0, 0)


def serve(service: CentralService, token: str, call: dict[str, Any]) -> Reply:
    """One request against the service, as the HTTP app would answer it."""
    try:
        principal = service.accounts.authenticate(token)
        method, path = call["method"], call["path"]
        params = call.get("params") or {}
        if method == "POST" and path == "/v1/push":
            body = service.push(principal, json.loads(call["content"])["ops"])
            return Reply(200, json.dumps(body).encode())
        if method == "GET" and path == "/v1/pull":
            page = service.pull(principal, int(params["cursor"]), int(params["limit"]))
            return Reply(200, page)
        if method == "GET" and path == "/v1/checkpoint":
            return Reply(200, json.dumps(service.checkpoint(principal)).encode())
        if method == "GET" and path == "/v1/snapshot":
            return Reply(200, json.dumps(service.snapshots.offer(principal)).encode())
        if method == "GET" and path.startswith("/v1/snapshot/") and path.endswith("/content"):
            data = service.snapshots.content_path(principal, path.split("/")[3]).read_bytes()
            start = _range_start(call.get("headers") or {})
            return Reply(206 if start else 200, data[start:])
        if method == "POST" and path == "/v1/blob-statuses":
            shas = json.loads(call["content"])["sha256"]
            return Reply(200, json.dumps({"blobs": service.blobs.statuses(shas)}).encode())
        if path.startswith("/v1/blobs/"):
            sha = path.split("/")[3]
            if method == "GET" and path.endswith("/content"):
                file, _media = service.blobs.content_path(sha)
                data = file.read_bytes()
                start = _range_start(call.get("headers") or {})
                return Reply(206 if start else 200, data[start:])
            if method == "GET":
                return Reply(200, json.dumps(service.blobs.status(sha)).encode())
            answer = service.blobs.put(
                sha,
                int(params["offset"]),
                int(params["size"]),
                str(params["media_type"]),
                call["content"],
            )
            return Reply(200, json.dumps(answer).encode())
    except AuthError as exc:
        return Reply(401, json.dumps({"error": exc.code, "message": str(exc)}).encode())
    except BlobError as exc:
        body = {"error": exc.code, "message": str(exc), **exc.extra}
        return Reply(exc.status, json.dumps(body).encode())
    except NotFoundError as exc:
        return Reply(404, json.dumps({"error": "not_found", "message": str(exc)}).encode())
    return Reply(404, b'{"error":"not_found","message":"no such endpoint"}')


def _range_start(headers: dict[str, str]) -> int:
    value = headers.get("Range", "")
    if value.startswith("bytes=") and value.endswith("-"):
        return int(value[6:-1])
    return 0


class FaultyNetwork:
    """Shared by every device of one run: holds the delayed requests."""

    def __init__(self, service: CentralService, rng: random.Random, rates: FaultRates) -> None:
        self.service = service
        self.rng = rng
        self.rates = rates
        self.held: list[tuple[str, dict[str, Any]]] = []
        self.delivered = 0

    def deliver_some(self, everything: bool = False) -> None:
        """Delivers held requests (some, in random order; or all): late and reordered."""
        self.rng.shuffle(self.held)
        keep = []
        for token, call in self.held:
            if everything or self.rng.random() < 0.5:
                serve(self.service, token, call)
                self.delivered += 1
            else:
                keep.append((token, call))
        self.held = keep


class FaultyTransport(InProcessTransport):
    url = "sim://central"

    def __init__(self, network: FaultyNetwork, token: str, crash: Callable[[str], None]) -> None:
        self.network = network
        self.token = token
        self.crash = crash

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
            content = json.dumps(json_body).encode()
        call = {
            "method": method,
            "path": path,
            "content": content,
            "params": dict(params or {}),
            "headers": dict(headers or {}),
        }
        net, rates = self.network, self.network.rates
        roll = net.rng.random
        if roll() < rates.drop_request:
            raise ServerUnavailable("simulated: request lost")
        if roll() < rates.delay:
            net.held.append((self.token, call))
            raise ServerUnavailable("simulated: timeout (request still travelling)")
        reply = serve(net.service, self.token, call)
        if roll() < rates.duplicate:
            net.held.append((self.token, call))  # a copy arrives again later
        self.crash("transport.after_send")  # sent and processed, the reply never read
        if roll() < rates.drop_reply:
            raise ServerUnavailable("simulated: reply lost")
        return reply
