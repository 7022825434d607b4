"""Database ids and counters: the integers a stored row can hold.

Ids are positive and fit a signed 64-bit column; versions (of a guideline or
an annotation) start at 1 and fit a signed 32-bit one. A number past these
never reaches the database: PostgreSQL refuses it with an error and SQLite
with an OverflowError, where the caller meant "no such row" or "bad input".
"""

from __future__ import annotations

MAX_ID = 2**63 - 1
MAX_VERSION = 2**31 - 1


def is_id(value: int) -> bool:
    """Whether ``value`` can be the id of a stored row."""
    return 0 < value <= MAX_ID


def parse_id(text: str | int) -> int | None:
    """The id written in ``text`` (ASCII digits only), or None if it is none.

    Example:
        >>> parse_id("42"), parse_id("99999999999999999999"), parse_id("²")
        (42, None, None)
    """
    if isinstance(text, bool):
        return None
    if isinstance(text, int):
        return text if is_id(text) else None
    if not (text.isascii() and text.isdigit()):
        return None
    value = int(text)
    return value if is_id(value) else None
