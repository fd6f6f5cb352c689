"""The HTTP face of the central server (FastAPI). Thin: validation of shapes, auth, limits
and error mapping; the work is done by :class:`CentralService`."""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from fastapi import Depends, FastAPI, Path, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator
from sqlalchemy.exc import OperationalError
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from fieldsupport import __version__
from fieldsupport.central.accounts import AuthError, Principal
from fieldsupport.central.backoffice import BackOffice, BackOfficeError, DecisionRequest
from fieldsupport.central.blobs import BlobError
from fieldsupport.central.openapi import document
from fieldsupport.central.service import CentralService
from fieldsupport.central.strictness import install as install_strictness
from fieldsupport.central.strictness import storable_json
from fieldsupport.errors import FieldSupportError, NotFoundError
from fieldsupport.sync import wire

UUID_PATTERN = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
SHA_PATTERN = r"^[0-9a-f]{64}$"
UNVERSIONED = ("/v1/meta", "/docs", "/openapi.json", "/redoc")


class Strict(BaseModel):
    # strict: a JSON true is not the number 1, "7" is not 7 (wrong types get 422)
    model_config = ConfigDict(extra="forbid", strict=True)

    @model_validator(mode="before")
    @classmethod
    def _storable(cls, data: Any) -> Any:
        return storable_json(data)


def _whole_number(value: Any) -> Any:
    # JSON has one number type: 7.0 is the integer 7 (JSON Schema agrees), true is not
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


WholeNumber = Annotated[int, BeforeValidator(_whole_number)]


class EnrolRequest(Strict):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=1024)
    device_id: str = Field(pattern=UUID_PATTERN)
    device_name: str = Field(min_length=1, max_length=200)


class Operation(Strict):
    op_id: str = Field(pattern=UUID_PATTERN)
    seq: WholeNumber = Field(ge=1, le=2**53)
    kind: Literal["upsert", "resolve"]
    t: str = Field(min_length=1, max_length=64)
    id: str = Field(pattern=UUID_PATTERN)
    base: WholeNumber = Field(ge=0, le=2**31)
    fields: dict[str, Any] = Field(max_length=200)


class PushRequest(Strict):
    ops: list[Operation] = Field(max_length=2_000)


class BlobStatusRequest(Strict):
    sha256: list[Annotated[str, Field(pattern=SHA_PATTERN)]] = Field(max_length=1_000)


_bearer = HTTPBearer(auto_error=False)


def current_principal(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    token = credentials.credentials if credentials else None
    service: CentralService = request.app.state.service
    return service.accounts.authenticate(token)


Caller = Annotated[Principal, Depends(current_principal)]


def _error(status: int, code: str, message: str, **extra: Any) -> JSONResponse:
    return JSONResponse({"error": code, "message": message, **extra}, status_code=status)


class GuardMiddleware:
    """Protocol version check (426) and request size limit (413) before anything else."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        if path.startswith("/v1/") and not path.startswith(UNVERSIONED):
            version = headers.get(wire.PROTOCOL_HEADER.lower(), "")
            if version not in {str(v) for v in wire.SUPPORTED_PROTOCOLS}:
                supported = ", ".join(str(v) for v in wire.SUPPORTED_PROTOCOLS)
                response = _error(
                    426,
                    "protocol_unsupported",
                    f"This server speaks sync protocol {supported}; please update FieldSupport. "
                    "Your unsynced changes are kept on the device.",
                    supported=list(wire.SUPPORTED_PROTOCOLS),
                )
                await response(scope, receive, send)
                return
        length = headers.get("content-length")
        if length is not None and (not length.isdigit() or int(length) > self.max_bytes):
            await self._too_large(scope, receive, send)
            return
        received = 0
        too_large = False

        async def limited_receive() -> Message:
            nonlocal received, too_large
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    too_large = True
                    raise _TooLarge()
            return message

        try:
            await self.app(scope, limited_receive, send)
        except _TooLarge:
            if too_large:
                await self._too_large(scope, receive, send)

    async def _too_large(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = _error(
            413,
            "too_large",
            f"The request is larger than the server accepts ({self.max_bytes} bytes).",
        )
        await response(scope, receive, send)


class _TooLarge(Exception):
    pass


def create_app(service: CentralService) -> FastAPI:
    app = FastAPI(
        title="FieldSupport central case server",
        version=__version__,
        description="Sync protocol 1: see docs/sync-protocol.md.",
    )
    app.state.service = service
    # the error answers and the protocol header, as the server really sends and needs them
    app.openapi = lambda: document(app, UNVERSIONED)  # type: ignore[method-assign]
    install_strictness(app)  # before the routes: unknown query parameters are refused

    @app.exception_handler(AuthError)
    async def _auth(_request: Request, exc: AuthError) -> JSONResponse:
        return _error(401, exc.code, str(exc))

    @app.exception_handler(BlobError)
    async def _blob(_request: Request, exc: BlobError) -> JSONResponse:
        return _error(exc.status, exc.code, str(exc), **exc.extra)

    @app.exception_handler(NotFoundError)
    async def _missing(_request: Request, exc: NotFoundError) -> JSONResponse:
        return _error(404, "not_found", str(exc))

    @app.exception_handler(FieldSupportError)
    async def _invalid(_request: Request, exc: FieldSupportError) -> JSONResponse:
        return _error(422, "invalid", str(exc), field=getattr(exc, "field", None))

    @app.exception_handler(RequestValidationError)
    async def _validation(_request: Request, exc: RequestValidationError) -> JSONResponse:
        detail = [
            {"loc": list(e.get("loc", ())), "msg": str(e.get("msg", ""))} for e in exc.errors()
        ]
        first = detail[0] if detail else {"loc": [], "msg": "invalid request"}
        where = ".".join(str(p) for p in first["loc"])
        return JSONResponse(
            jsonable_encoder(
                {
                    "error": "invalid_request",
                    "message": f"{where}: {first['msg']}",
                    "detail": detail,
                }
            ),
            status_code=422,
        )

    @app.exception_handler(OperationalError)
    async def _busy(_request: Request, exc: OperationalError) -> JSONResponse:
        return _error(503, "server_busy", "The server's database is busy; try again shortly.")

    @app.get("/v1/meta")
    def meta() -> dict[str, Any]:
        limits = service.limits
        return {
            "server": "fieldsupport-central",
            "version": __version__,
            "protocols": list(wire.SUPPORTED_PROTOCOLS),
            "limits": {
                "request_bytes": limits.request_bytes,
                "blob_bytes": limits.blob_bytes,
                "ops_per_push": limits.ops_per_push,
                "pull_page": limits.pull_page,
            },
        }

    @app.post("/v1/devices", status_code=201)
    def enrol(body: EnrolRequest) -> dict[str, Any]:
        token, who = service.accounts.enrol(
            body.username, body.password, body.device_id.lower(), body.device_name
        )
        return {
            "token": token,
            "device_id": who.device_id,
            "account": {"username": who.username, "role": who.role, "team": who.team},
        }

    @app.get("/v1/whoami")
    def whoami(caller: Caller) -> dict[str, Any]:
        return {
            "username": caller.username,
            "role": caller.role,
            "team": caller.team,
            "device_id": caller.device_id,
        }

    @app.post("/v1/push")
    def push(body: PushRequest, caller: Caller) -> Response:
        ops = [op.model_dump() for op in body.ops]
        if len(ops) > service.limits.ops_per_push:
            return _error(413, "too_many_operations", "Too many operations in one push.")
        result = service.push(caller, ops)
        return Response(json.dumps(result, separators=(",", ":")), media_type="application/json")

    @app.get("/v1/pull")
    def pull(
        caller: Caller,
        cursor: Annotated[int, Query(ge=0, le=2**62)] = 0,
        limit: Annotated[int, Query(ge=1, le=100_000)] = 5_000,
    ) -> Response:
        return Response(service.pull(caller, cursor, limit), media_type="application/json")

    @app.get("/v1/checkpoint")
    def checkpoint(caller: Caller) -> dict[str, Any]:
        return service.checkpoint(caller)

    @app.post("/v1/blob-statuses")
    def blob_statuses(body: BlobStatusRequest, caller: Caller) -> dict[str, Any]:
        return {"blobs": service.blobs.statuses(body.sha256)}

    @app.get("/v1/blobs/{sha256}")
    def blob_status(
        sha256: Annotated[str, Path(pattern=SHA_PATTERN)], caller: Caller
    ) -> dict[str, Any]:
        return service.blobs.status(sha256)

    @app.put(
        "/v1/blobs/{sha256}",
        openapi_extra={
            "requestBody": {
                "content": {
                    "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}
                },
                "required": True,
            }
        },
    )
    async def blob_put(
        request: Request,
        sha256: Annotated[str, Path(pattern=SHA_PATTERN)],
        caller: Caller,
        size: Annotated[int, Query(ge=0, le=2**40)],
        offset: Annotated[int, Query(ge=0, le=2**40)] = 0,
        media_type: Annotated[str, Query(min_length=3, max_length=64)] = "application/octet-stream",
    ) -> dict[str, Any]:
        # the body's pieces as they arrive (no joined copy of a 3 MB photo), then one hop to
        # the thread pool, where hashing and writing run without the GIL
        pieces = [piece async for piece in request.stream() if piece]
        return await run_in_threadpool(service.blobs.put, sha256, offset, size, media_type, pieces)

    @app.get("/v1/blobs/{sha256}/content")
    def blob_content(
        sha256: Annotated[str, Path(pattern=SHA_PATTERN)], caller: Caller
    ) -> FileResponse:
        path, media_type = service.blobs.content_path(sha256)
        return FileResponse(path, media_type=media_type)

    # -- snapshots (docs/sync-protocol.md, section 14) ------------------------------------------
    @app.get("/v1/snapshot")
    def snapshot_offer(caller: Caller) -> dict[str, Any]:
        return service.snapshots.offer(caller)

    @app.get("/v1/snapshot/{sha256}/content")
    def snapshot_content(
        sha256: Annotated[str, Path(pattern=SHA_PATTERN)], caller: Caller
    ) -> FileResponse:
        return FileResponse(
            service.snapshots.content_path(caller, sha256), media_type="application/zstd"
        )

    # -- back office (docs/sync-protocol.md, section 13) ---------------------------------------
    backoffice = BackOffice(service)

    @app.exception_handler(BackOfficeError)
    async def _backoffice(_request: Request, exc: BackOfficeError) -> JSONResponse:
        return _error(exc.status, exc.code, str(exc), **exc.extra)

    @app.get("/v1/backoffice/reports")
    def backoffice_inbox(
        caller: Caller,
        state: Literal["pending", "decided", "all"] = "pending",
        limit: Annotated[int, Query(ge=1, le=5_000)] = 500,
    ) -> dict[str, Any]:
        return backoffice.inbox(caller, state, limit)

    @app.post("/v1/backoffice/reports/{report_id}/decision", status_code=201)
    def backoffice_decide(
        report_id: Annotated[str, Path(pattern=UUID_PATTERN)],
        body: DecisionRequest,
        caller: Caller,
    ) -> dict[str, Any]:
        return backoffice.decide(caller, report_id.lower(), body.decision, body.reason)

    @app.get("/v1/backoffice/accepted")
    def backoffice_accepted(
        caller: Caller,
        cursor: Annotated[int, Query(ge=0, le=2**62)] = 0,
        limit: Annotated[int, Query(ge=1, le=5_000)] = 500,
    ) -> dict[str, Any]:
        backoffice.require(caller)
        page = backoffice.accepted_since(cursor, limit)
        reports = [r.to_wire() for r in page.reports]
        return {"reports": reports, "cursor": page.cursor, "more": page.more}

    app.add_middleware(GuardMiddleware, max_bytes=service.limits.request_bytes)
    return app
