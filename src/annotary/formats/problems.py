"""What went wrong while reading a file, as one line a person can act on.

Loaders report through these so that no message shows a pydantic URL, an
exception's repr or a traceback: a validation error becomes
``field: what is wrong``, undecodable bytes name the line they are on, and a
refused XML construct says what was refused.
"""

from __future__ import annotations

import json
from pathlib import Path
from xml.etree.ElementTree import ParseError

from defusedxml.common import (
    DTDForbidden,
    EntitiesForbidden,
    ExternalReferenceForbidden,
)
from pydantic import ValidationError

from annotary.errors import AnnotaryError, FormatError


def validation_reason(exc: ValidationError) -> str:
    """A pydantic error as ``field: what is wrong``, one per problem, joined.

    Example:
        >>> validation_reason(bbox_error)  # doctest: +SKIP
        'w: input should be greater than or equal to 0'
    """
    parts = []
    for error in exc.errors(include_url=False, include_context=False):
        message = str(error["msg"])
        for prefix in ("Value error, ", "Assertion failed, "):
            message = message.removeprefix(prefix)
        message = message[:1].lower() + message[1:]
        where = ".".join(str(part) for part in error["loc"])
        parts.append(f"{where}: {message}" if where else message)
    return "; ".join(parts)


def describe(exc: BaseException) -> str:
    """The reason to show for an error met while reading one entry of a file."""
    if isinstance(exc, ValidationError):
        return validation_reason(exc)
    if isinstance(exc, AnnotaryError):
        return exc.message
    if isinstance(exc, UnicodeDecodeError):
        return f"not valid UTF-8 (byte 0x{exc.object[exc.start]:02x})"
    if isinstance(exc, json.JSONDecodeError):
        return f"not JSON ({exc.msg} at line {exc.lineno}, column {exc.colno})"
    if isinstance(exc, EntitiesForbidden):
        return "the XML declares entities, which are refused (entity expansion)"
    if isinstance(exc, DTDForbidden):
        return "the XML has a document type declaration, which is refused"
    if isinstance(exc, ExternalReferenceForbidden):
        return "the XML refers to an external resource, which is refused"
    if isinstance(exc, ParseError):
        return f"not well-formed XML ({exc})"
    if isinstance(exc, KeyError):
        return f"missing field {exc.args[0]}"
    text = str(exc)
    for python, plain in _PYTHON_WORDING:
        if text.startswith(python):
            return f"{text[len(python) :]} {plain}"
    return text


# Messages of int() and float() on bad text, said plainly.
_PYTHON_WORDING = (
    ("invalid literal for int() with base 10: ", "is not a whole number"),
    ("could not convert string to float: ", "is not a number"),
)


def read_utf8(path: Path) -> str:
    """A whole file as UTF-8 text (a leading BOM dropped).

    Raises:
        FormatError: the bytes are not UTF-8; the message names the line.
    """
    data = path.read_bytes()
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        reason = f"not valid UTF-8 (byte 0x{data[exc.start]:02x})"
        raise FormatError(
            f"line {line}: {reason}", path=str(path), line=line, reason=reason
        ) from None


def finite(value: str, what: str) -> float:
    """A number read from text, refused when it is not a finite number."""
    try:
        number = float(value)
    except ValueError:
        raise ValueError(f"{what} {value!r} is not a number") from None
    if number != number or number in (float("inf"), float("-inf")):
        raise ValueError(f"{what} is {value}, not a finite number")
    return number
