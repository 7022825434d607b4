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
# Accented Latin letters and the punctuation Western European text uses;
# cp1252 symbols that rather betray another code page (³, ¹, ¼, ¶, ...) are out.
_WESTERN = frozenset(
    "ÀÁÂÃÄÅÆÇÈÉÊËÌÍÎÏÐÑÒÓÔÕÖØÙÚÛÜÝÞßàáâãäåæçèéêëìíîïðñòóôõöøùúûüýþÿ"
    "ŠšŽžŒœŸ€‚„…‘’“”•–—™¡¢£¥§©«®°±´·»¿ªº½\xa0"
)
_MAX_ACCENTED_SHARE = 0.4
_C1_BYTES = re.compile(rb"[\x80-\x9f]")


def detect_encoding(path: Path) -> str:
    """The encoding to read a text file with, as a Python codec name.

    A byte-order mark decides first (``utf-8-sig`` drops a UTF-8 BOM, which is
    not content); then a file that is valid UTF-8 throughout is ``utf-8``;
    a file that is mostly UTF-8 with a few stray bytes is ``utf-8`` too (the
    readers reject its bad lines one by one, see `mostly_utf8`); anything
    else is guessed by charset-normalizer from a sample that holds the start
    of the file and the first byte that is not UTF-8. Western text
    is the most common and the one charset-normalizer guesses worst from a
    short sample, so it is tried first: ``cp1252``, named ``latin_1`` when no
    byte in 0x80-0x9F (where the two differ) occurs. Central European text
    without its telltale letters (ł, ą, ť, ...) can pass for Western.

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
        if mostly_utf8(file):
            return "utf-8"

        file.seek(0)
        sample = file.read(_SAMPLE)
        if bad_at >= len(sample):
            file.seek(max(0, bad_at - _SAMPLE // 2))
            sample += b"\n" + file.read(_SAMPLE)

    return guess_encoding(sample, str(path))


def guess_encoding(sample: bytes, name: str) -> str:
    """Guess the (non-UTF-8) encoding of some bytes; ``name`` is for errors."""
    if _looks_western(sample):
        return "latin_1" if not _C1_BYTES.search(sample) else "cp1252"

    best = from_bytes(sample).best()
    encoding = str(best.encoding) if best is not None else ""
    if b"\x00" in sample and not encoding.startswith(("utf_16", "utf_32")):
        raise FormatError(f"{name}: binary data, not text", path=name)
    if not encoding:
        raise FormatError(f"{name}: cannot tell the text encoding", path=name)
    return encoding


def _looks_western(sample: bytes) -> bool:
    """Whether cp1252 reads the sample as ordinary Western European text.

    That is: every non-ASCII character is an accented Latin letter or common
    punctuation, ``¿`` and ``¡`` open words, and most letters are still ASCII
    (text in another script read as cp1252 is nearly all accented letters).
    """
    try:
        text = sample.decode("cp1252")
    except UnicodeDecodeError:
        return False

    letters = 0
    accented = 0
    previous = " "
    for char in text:
        if char.isalpha():
            letters += 1
        if char > "\x7f":
            if char not in _WESTERN:
                return False
            if char in "¿¡" and previous.isalpha():
                return False
            accented += char.isalpha()
        previous = char
    return accented <= _MAX_ACCENTED_SHARE * letters


# One well-formed UTF-8 character of two to four bytes (RFC 3629).
_UTF8_SEQUENCE = re.compile(
    rb"[\xc2-\xdf][\x80-\xbf]"
    rb"|\xe0[\xa0-\xbf][\x80-\xbf]"
    rb"|[\xe1-\xec\xee\xef][\x80-\xbf]{2}"
    rb"|\xed[\x80-\x9f][\x80-\xbf]"
    rb"|\xf0[\x90-\xbf][\x80-\xbf]{2}"
    rb"|[\xf1-\xf3][\x80-\xbf]{3}"
    rb"|\xf4[\x80-\x8f][\x80-\xbf]{2}"
)
_ASCII = bytes(range(0x80))


def mostly_utf8(file: BinaryIO) -> bool:
    """Whether a file that is not valid UTF-8 is still UTF-8 with a few bad bytes.

    Counts, over the whole file, the well-formed multi-byte UTF-8 characters
    and the non-ASCII bytes outside them. Text in a legacy 8-bit code page
    (cp1252, latin-1, cp1251, ...) almost never forms a well-formed sequence,
    so there the first count stays near zero; a UTF-8 file with a few stray
    bytes has more characters than stray bytes. Ties go to UTF-8.
    """
    characters = 0
    stray = 0
    while chunk := file.read(_CHUNK):
        chunk += file.readline()  # never cut a character at the chunk's end
        high = len(chunk.translate(None, _ASCII))
        if not high:
            continue
        found = _UTF8_SEQUENCE.findall(chunk)
        characters += len(found)
        stray += high - sum(map(len, found))
    return characters > 0 and characters >= stray


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
