"""Telling which encoding a text file uses."""

from __future__ import annotations

import codecs
import re
from pathlib import Path
from typing import BinaryIO

from charset_normalizer import from_bytes

from annotary.errors import FormatError

_CHUNK = 1 << 20
_SAMPLE = 1 << 20
_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
# How much messier cp1252 may read than charset-normalizer's first guess and
# still win: short Western samples are often guessed as cp1250 or mac_latin2.
_WESTERN_TOLERANCE = 0.05
_C1_BYTES = re.compile(rb"[\x80-\x9f]")


def detect_encoding(path: Path) -> str:
    """The encoding to read a text file with, as a Python codec name.

    A byte-order mark decides first (``utf-8-sig`` drops a UTF-8 BOM, which is
    not content); then a file that is valid UTF-8 throughout is ``utf-8``;
    anything else is guessed by charset-normalizer from a sample that holds
    the start of the file and the first byte that is not UTF-8. Western text
    is the most common and the hardest to guess from a short sample, so
    ``cp1252`` wins when it reads about as cleanly as the first guess; it is
    named ``latin_1`` when no byte in 0x80-0x9F (where the two differ) occurs.

    Raises:
        FormatError: no encoding decodes the file.
    """
    with open(path, "rb") as file:
        head = file.read(4)
        for bom, name in _BOMS:
            if head.startswith(bom):
                return name

        file.seek(0)
        bad_at = _first_non_utf8(file)
        if bad_at is None:
            return "utf-8"

        file.seek(0)
        sample = file.read(_SAMPLE)
        if bad_at >= len(sample):
            file.seek(max(0, bad_at - _SAMPLE // 2))
            sample += b"\n" + file.read(_SAMPLE)

    return guess_encoding(sample, str(path))


def guess_encoding(sample: bytes, name: str) -> str:
    """Guess the (non-UTF-8) encoding of some bytes; ``name`` is for errors."""
    results = from_bytes(sample)
    best = results.best()
    if best is None:
        raise FormatError(f"{name}: cannot tell the text encoding", path=name)

    western = from_bytes(sample, cp_isolation=["cp1252"]).best()
    choice = best.encoding
    if western is not None and western.chaos <= best.chaos + _WESTERN_TOLERANCE:
        choice = "cp1252"
    if choice == "cp1252" and not _C1_BYTES.search(sample):
        choice = "latin_1"
    return choice


def _first_non_utf8(file: BinaryIO) -> int | None:
    decoder = codecs.getincrementaldecoder("utf-8")()
    offset = 0
    while chunk := file.read(_CHUNK):
        try:
            decoder.decode(chunk)
        except UnicodeDecodeError as exc:
            return offset + max(0, exc.start)
        offset += len(chunk)
    try:
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return offset
    return None
