"""The one place where Annotary errors become HTTP responses.

Every error body is ``{"code", "message", "details"}``; the code is the stable
one from :mod:`annotary.errors`, so clients branch on it, not on the text.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from annotary.errors import (
    AnnotaryError,
    Conflict,
    InvalidInput,
    LimitExceeded,
    NotAuthenticated,
    NotFound,
    PermissionDenied,
    Unavailable,
)

log = logging.getLogger("annotary.server")

# Most specific first: NotAuthenticated is a PermissionDenied.
STATUS: tuple[tuple[type[AnnotaryError], int], ...] = (
    (NotAuthenticated, 401),
    (PermissionDenied, 403),
    (NotFound, 404),
    (Conflict, 409),
    (LimitExceeded, 413),
    (InvalidInput, 422),
    (Unavailable, 503),
)
HTTP_CODES = {
    401: "annotary.unauthenticated",
    403: "annotary.forbidden",
    404: "annotary.not_found",
    405: "annotary.invalid.method",
    409: "annotary.conflict",
    413: "annotary.limit",
    422: "annotary.invalid",
}


def status_of(error: AnnotaryError) -> int:
    """The HTTP status for an Annotary error (500 for the bare root)."""
    for kind, status in STATUS:
        if isinstance(error, kind):
            return status
    return 500


def error_body(code: str, message: str, **details: Any) -> dict[str, Any]:
    return {"code": code, "message": message, "details": details}


async def _annotary(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, AnnotaryError)
    status = status_of(exc)
    if status == 500:
        log.error("unmapped error: %s", exc.message)
    return JSONResponse(exc.to_dict(), status_code=status)


async def _validation(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = exc.errors()
    first = errors[0] if errors else {"loc": (), "msg": "invalid request"}
    where = ".".join(str(part) for part in first["loc"])
    body = error_body(
        InvalidInput.code,
        f"{where}: {first['msg']}" if where else str(first["msg"]),
        field=where,
        errors=[
            {"loc": [str(p) for p in e["loc"]], "msg": str(e["msg"])} for e in errors
        ],
    )
    return JSONResponse(body, status_code=422)


async def _http(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    code = HTTP_CODES.get(exc.status_code, "annotary.error")
    body = error_body(code, str(exc.detail))
    return JSONResponse(body, status_code=exc.status_code, headers=exc.headers)


async def _overflow(_request: Request, exc: Exception) -> JSONResponse:
    # An id or number past what the database holds (SQLite: 64-bit integers).
    body = error_body("annotary.invalid", "a number in the request is too large")
    return JSONResponse(body, status_code=422)


def install_error_handlers(app: FastAPI) -> None:
    """Map Annotary errors, request validation and routing errors to JSON bodies."""
    app.add_exception_handler(AnnotaryError, _annotary)
    app.add_exception_handler(OverflowError, _overflow)
    app.add_exception_handler(RequestValidationError, _validation)
    app.add_exception_handler(HTTPException, _http)
