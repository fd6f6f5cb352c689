"""The OpenAPI document the central server serves.

FastAPI documents only the success answer and its own validation error shape. The server
answers errors in one shape of its own (docs/sync-protocol.md, section 2), and every
protocol request needs the ``FieldSupport-Protocol`` header; this module writes both into
the document so that clients, and the fuzzer in the test suite (schemathesis), can rely on
every status code and body the server really sends.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from fieldsupport.sync import wire

ERROR_SCHEMA_NAME = "Error"
ERROR_SCHEMA: dict[str, Any] = {
    "title": ERROR_SCHEMA_NAME,
    "type": "object",
    "required": ["error", "message"],
    "properties": {
        "error": {"type": "string", "description": "machine-readable code"},
        "message": {"type": "string", "description": "what went wrong, for a person"},
        "detail": {
            "type": "array",
            "description": "one entry per invalid field (422)",
            "items": {
                "type": "object",
                "required": ["loc", "msg"],
                "properties": {
                    "loc": {"type": "array", "description": "where: body, query, field names"},
                    "msg": {"type": "string"},
                },
            },
        },
        "field": {"anyOf": [{"type": "string"}, {"type": "null"}]},
        "received": {"type": "integer", "description": "bytes of the blob the server holds"},
        "supported": {"type": "array", "items": {"type": "integer"}},
    },
}

REASONS = {
    401: "no, unknown, revoked or expired device token; wrong password",
    403: "the account may not use this at all",
    404: "no such record or blob, or one the caller may not see",
    409: "the request does not fit the server's state (blob offset, decision taken)",
    413: "request or blob larger than the server accepts",
    422: "invalid input; `detail` names each field",
    426: "sync protocol version missing or not supported: please update",
    507: "the server's disk is full; the device keeps the file and sends it again",
}

# Answers beyond the common ones (401 when authenticated, 413, 422, 426), by path prefix.
EXTRA_STATUSES: tuple[tuple[str, frozenset[int]], ...] = (
    ("/v1/devices", frozenset({401})),
    ("/v1/push", frozenset({413})),
    ("/v1/blobs/", frozenset({404, 409, 413, 507})),
    ("/v1/blob-statuses", frozenset({413})),
    ("/v1/snapshot", frozenset({404})),
    ("/v1/backoffice/", frozenset({403, 404, 409})),
)


def _statuses(path: str, operation: dict[str, Any]) -> set[int]:
    statuses = {413, 422, 426}
    if operation.get("security"):
        statuses.add(401)
    for prefix, extra in EXTRA_STATUSES:
        if path.startswith(prefix):
            statuses |= extra
    return statuses


def _protocol_header() -> dict[str, Any]:
    return {
        "name": wire.PROTOCOL_HEADER,
        "in": "header",
        "required": True,
        "description": "the sync protocol version the client speaks",
        "schema": {"type": "string", "enum": [str(v) for v in wire.SUPPORTED_PROTOCOLS]},
    }


def document(app: FastAPI, unversioned: tuple[str, ...]) -> dict[str, Any]:
    """FastAPI's document with the server's error answers and the protocol header; paths
    starting with one of ``unversioned`` need no header and answer no errors of their own."""
    if app.openapi_schema is not None:
        return app.openapi_schema
    from fastapi.openapi.utils import get_openapi

    schema = get_openapi(
        title=app.title,
        version=app.version,
        description=app.description,
        routes=app.routes,
    )
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components[ERROR_SCHEMA_NAME] = ERROR_SCHEMA
    # FastAPI's validation error shapes are never sent: the server answers with Error
    components.pop("HTTPValidationError", None)
    components.pop("ValidationError", None)
    error_ref = {"$ref": f"#/components/schemas/{ERROR_SCHEMA_NAME}"}
    for path, operations in schema.get("paths", {}).items():
        if not path.startswith("/v1/") or path.startswith(unversioned):
            continue
        for operation in operations.values():
            operation.setdefault("parameters", []).append(_protocol_header())
            responses = operation.setdefault("responses", {})
            for status in sorted(_statuses(path, operation)):
                responses[str(status)] = {
                    "description": REASONS[status],
                    "content": {"application/json": {"schema": error_ref}},
                }
    app.openapi_schema = schema
    return schema
