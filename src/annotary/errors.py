"""Errors raised by Annotary, each with a stable code.

One root, a few branches; the server maps branches to HTTP status codes and
nothing below the server knows about HTTP::

    AnnotaryError                    annotary.error
    ├── InvalidInput                 annotary.invalid        400 / 422
    │   ├── SchemaError              annotary.invalid.schema
    │   └── FormatError              annotary.invalid.format
    ├── NotFound                     annotary.not_found      404
    ├── Conflict                     annotary.conflict       409
    │   └── StaleVersion             annotary.conflict.stale
    ├── PermissionDenied             annotary.forbidden      403
    │   └── NotAuthenticated         annotary.unauthenticated 401
    ├── LimitExceeded                annotary.limit          413
    └── Unavailable                  annotary.unavailable    503

Each error carries a human message that names what is wrong and, where it
helps, ``details`` (a dict of plain values, safe to send to a client).
"""

from __future__ import annotations

from typing import Any


class AnnotaryError(Exception):
    """Root of every error Annotary raises on purpose."""

    code = "annotary.error"

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details: dict[str, Any] = details

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, "details": self.details}


class InvalidInput(AnnotaryError):
    code = "annotary.invalid"


class SchemaError(InvalidInput):
    code = "annotary.invalid.schema"


class FormatError(InvalidInput):
    code = "annotary.invalid.format"


class NotFound(AnnotaryError):
    code = "annotary.not_found"


class Conflict(AnnotaryError):
    code = "annotary.conflict"


class StaleVersion(Conflict):
    code = "annotary.conflict.stale"


class PermissionDenied(AnnotaryError):
    code = "annotary.forbidden"


class NotAuthenticated(PermissionDenied):
    code = "annotary.unauthenticated"


class LimitExceeded(AnnotaryError):
    code = "annotary.limit"


class Unavailable(AnnotaryError):
    code = "annotary.unavailable"
