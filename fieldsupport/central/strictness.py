"""What the HTTP layer itself refuses, answered in the server's error shape
(docs/sync-protocol.md, section 2) instead of the framework's.

* A body that is not JSON at all: 422 ``invalid_request`` (Starlette would answer a bare 400).
* A query parameter the operation does not have: 422 naming it (a misspelt ``cursor`` must
  not silently mean "from the start").
* A method the path does not serve: 405 with ``Allow`` listing every method of that path
  (Starlette lists only those of the first route it matched).
* Text no database can store (NUL, unpaired surrogates) and numbers JSON does not have (NaN,
  Infinity) anywhere in a JSON body: 422, where PostgreSQL would otherwise fail the request
  with a server error, or the value would make every later pull invalid JSON.
"""

from __future__ import annotations

import math
from typing import Any

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match, Route


def _query_parameters(app: FastAPI) -> dict[tuple[str, str], frozenset[str]]:
    """The query parameters of every operation, as the OpenAPI document lists them."""
    known: dict[tuple[str, str], frozenset[str]] | None = getattr(
        app.state, "query_parameters", None
    )
    if known is None:
        known = {
            (path, method.upper()): frozenset(
                p["name"] for p in operation.get("parameters", []) if p.get("in") == "query"
            )
            for path, operations in app.openapi().get("paths", {}).items()
            for method, operation in operations.items()
        }
        app.state.query_parameters = known
    return known


async def refuse_unknown_query(request: Request) -> None:
    # async: pure computation, run on the event loop (a plain function would cost every
    # request a hop to the thread pool and back)
    route = request.scope.get("route")
    if not request.query_params or not isinstance(route, Route):
        return
    known = _query_parameters(request.app).get((route.path, request.method))
    if known is None:
        return  # not a documented operation (HEAD of a GET, ...)
    unknown = sorted(set(request.query_params) - known)
    if unknown:
        raise RequestValidationError(
            [
                {"loc": ("query", name), "msg": "unknown parameter", "type": "extra_forbidden"}
                for name in unknown
            ]
        )


def _allowed_methods(app: FastAPI, request: Request) -> list[str]:
    methods: set[str] = set()
    for route in app.routes:
        if isinstance(route, Route) and route.methods:
            match, _child = route.matches({**request.scope, "method": "GET", "type": "http"})
            if match != Match.NONE:
                methods |= route.methods
    return sorted(methods)


def install(app: FastAPI) -> None:
    """Call before any route is added: the query check applies to the routes added after."""
    app.router.dependencies.append(Depends(refuse_unknown_query))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        if exc.status_code == 400:  # Starlette: the body could not be parsed at all
            return JSONResponse(
                {
                    "error": "invalid_request",
                    "message": "body: the request body is not valid JSON",
                    "detail": [{"loc": ["body"], "msg": "not valid JSON"}],
                },
                status_code=422,
            )
        headers = dict(exc.headers or {})
        if exc.status_code == 405:
            headers["Allow"] = ", ".join(_allowed_methods(app, request))
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        return JSONResponse(
            {"error": code, "message": str(exc.detail)},
            status_code=exc.status_code,
            headers=headers,
        )


def _text_problem(text: str) -> str | None:
    if "\x00" in text:
        return "text may not contain the NUL character"
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return "text may not contain unpaired surrogates (it is not valid Unicode)"
    return None


def _problem(value: Any) -> tuple[list[str], str] | None:
    """Where (innermost last) and what is wrong in ``value``; None when nothing is."""
    if isinstance(value, str):
        problem = _text_problem(value)
        return ([], problem) if problem else None
    if isinstance(value, float):
        # Python's JSON reader takes NaN and Infinity; JSON itself has neither
        return None if math.isfinite(value) else ([], "numbers must be finite")
    if isinstance(value, dict):
        for key, item in value.items():
            if isinstance(key, str) and (problem := _text_problem(key)):
                return [], f"a field name: {problem}"
            if (found := _problem(item)) is not None:
                return [str(key), *found[0]], found[1]
    elif isinstance(value, list):
        for index, item in enumerate(value):
            if (found := _problem(item)) is not None:
                return [str(index), *found[0]], found[1]
    return None


def storable_json(value: Any) -> Any:
    """``value`` unchanged if every string in it (keys too) can be stored by every database
    the server runs on (PostgreSQL refuses NUL; UTF-8 has no lone surrogates) and every
    number is finite; else a ``ValueError`` saying where. Python's JSON reader lets a
    client send all of these."""
    found = _problem(value)
    if found is not None:
        where = ".".join(found[0]) or "value"
        raise ValueError(f"{where}: {found[1]}")
    return value
