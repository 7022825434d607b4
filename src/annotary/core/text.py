"""Text offsets: code points (stored) against UTF-16 units (the browser)."""

from __future__ import annotations


def utf16_to_codepoint(text: str, offset: int) -> int:
    """Code-point index of a UTF-16 offset; an offset inside a pair is an error."""
    units = 0
    for index, char in enumerate(text):
        if units == offset:
            return index
        units += 2 if ord(char) > 0xFFFF else 1
        if units > offset:
            raise ValueError(f"UTF-16 offset {offset} falls inside a surrogate pair")
    if units == offset:
        return len(text)
    raise ValueError(f"UTF-16 offset {offset} is past the end of the text")


def codepoint_to_utf16(text: str, index: int) -> int:
    if not 0 <= index <= len(text):
        raise ValueError(f"offset {index} is outside the text of length {len(text)}")
    return index + sum(1 for char in text[:index] if ord(char) > 0xFFFF)
