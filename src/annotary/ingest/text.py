"""Readers for text items: .txt, .csv/.tsv, .jsonl and .json.

Every reader yields one `ItemDraft` per item and one `Rejection` per bad row,
so the good rows of a file still come through. Text is kept exactly as read:
no stripping and no newline rewriting. Sources are ``"<file>:<line>"`` with
1-based line numbers (for CSV, the line the record starts on).
"""

from __future__ import annotations

import codecs
import csv
import json
from collections.abc import Iterator
from hashlib import sha256
from pathlib import Path
from typing import IO, Any

import orjson

from annotary.core import ItemDraft, Rejection

Result = ItemDraft | Rejection

_MISSING = object()


def make_text_draft(text: str, meta: dict[str, Any], source: str) -> Result:
    """A draft for one text, or a rejection when the text cannot be stored."""
    if not text:
        return Rejection(source=source, reason="empty text")
    if "\x00" in text:
        return Rejection(source=source, reason="text contains a NUL character")
    try:
        digest = sha256(text.encode()).hexdigest()
    except UnicodeEncodeError:
        return Rejection(
            source=source, reason="text holds an unpaired surrogate, not valid Unicode"
        )
    return ItemDraft(text=text, meta=meta, source=source, content_hash=digest)


def read_txt_lines(path: Path, display: str, encoding: str) -> Iterator[Result]:
    """One item per line; the ``\\n`` or ``\\r\\n`` ending each line is dropped.

    A line of only whitespace is rejected; a lone ``\\r`` inside a line is
    content and stays.
    """
    with open(path, encoding=encoding, newline="\n") as file:
        for number, line in enumerate(file, 1):
            if line.endswith("\n"):
                line = line[:-2] if line.endswith("\r\n") else line[:-1]
            source = f"{display}:{number}"
            if line and line.isspace():
                yield Rejection(source=source, reason="blank line")
            elif line:
                yield make_text_draft(line, {}, source)
            else:
                yield Rejection(source=source, reason="empty line")


def read_txt_file(path: Path, display: str, encoding: str) -> Iterator[Result]:
    """The whole file is one item, byte for byte after decoding."""
    with open(path, encoding=encoding, newline="") as file:
        text = file.read()
    yield make_text_draft(text, {}, f"{display}:1")


def read_jsonl(
    path: Path, display: str, encoding: str, field: str | None
) -> Iterator[Result]:
    """One JSON object per line; blank lines are skipped.

    This is the hot path of large imports: UTF-8 files are parsed from bytes,
    and a good row takes the shortest way through the loop.
    """
    key = field or "text"
    loads = orjson.loads
    with _open_lines(path, encoding) as file:
        for number, line in enumerate(file, 1):
            try:
                value = loads(line)
            except orjson.JSONDecodeError as exc:
                if not line.isspace():
                    reason = f"bad JSON: {exc}"
                    yield Rejection(source=f"{display}:{number}", reason=reason)
                continue

            text = value.get(key) if type(value) is dict else None
            if type(text) is str and text and "\x00" not in text:
                del value[key]
                yield ItemDraft(
                    text=text,
                    meta=value,
                    source=f"{display}:{number}",
                    content_hash=sha256(text.encode()).hexdigest(),
                )
            else:
                yield _from_object(value, key, f"{display}:{number}")


def _open_lines(path: Path, encoding: str) -> IO[Any]:
    """Lines split on ``\n`` only: bytes for UTF-8, else decoded text."""
    if encoding not in ("utf-8", "utf-8-sig"):
        return open(path, encoding=encoding, newline="\n")

    file = open(path, "rb")  # noqa: SIM115 - the caller closes it with "with"
    if encoding == "utf-8-sig":
        file.read(len(codecs.BOM_UTF8))
    return file


def read_json(
    path: Path, display: str, encoding: str, field: str | None
) -> Iterator[Result]:
    """A JSON array of objects (or one object); the file is parsed whole."""
    with open(path, encoding=encoding, newline="") as file:
        text = file.read()
    key = field or "text"

    start = _skip_space(text, 0)
    if not text.startswith("[", start):
        yield from _single_json_object(text, display, key)
        return

    decoder = json.JSONDecoder()
    position = _skip_space(text, start + 1)
    line = 1 + text.count("\n", 0, position)
    if text.startswith("]", position):
        return
    while True:
        try:
            value, end = decoder.raw_decode(text, position)
        except json.JSONDecodeError as exc:
            reason = f"bad JSON: {exc.msg}; the rest of the file is skipped"
            yield Rejection(source=f"{display}:{exc.lineno}", reason=reason)
            return
        yield _from_object(value, key, f"{display}:{line}")

        after = _skip_space(text, end)
        if text.startswith("]", after):
            return
        if not text.startswith(",", after):
            line += text.count("\n", position, after)
            reason = "expected ',' or ']' after an array element"
            yield Rejection(source=f"{display}:{line}", reason=reason)
            return
        next_position = _skip_space(text, after + 1)
        line += text.count("\n", position, next_position)
        position = next_position


def read_csv(
    path: Path, display: str, encoding: str, field: str | None, delimiter: str
) -> Iterator[Result]:
    """A header row, then one item per record; the text column is ``field``
    or the column named ``text`` (in any case)."""
    with open(path, encoding=encoding, newline="") as file:
        # strict: a quote left open swallows the rest of the file otherwise.
        reader = csv.reader(file, delimiter=delimiter, strict=True)
        try:
            header = next(reader, None)
        except csv.Error as exc:
            yield Rejection(source=f"{display}:1", reason=f"bad CSV header: {exc}")
            return
        if header is None:
            yield Rejection(source=f"{display}:1", reason="empty file, no header row")
            return

        column = _text_column(header, field)
        if isinstance(column, str):
            yield Rejection(source=f"{display}:1", reason=column)
            return
        yield from _csv_rows(reader, header, column, display)


def _csv_rows(
    reader: Any, header: list[str], column: int, display: str
) -> Iterator[Result]:
    width = len(header)
    start = reader.line_num + 1
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield Rejection(source=f"{display}:{start}", reason=f"bad CSV: {exc}")
            start = reader.line_num + 1
            continue

        source = f"{display}:{start}"
        start = reader.line_num + 1
        if not row:
            continue
        if len(row) != width:
            reason = f"row has {len(row)} fields, the header has {width}"
            yield Rejection(source=source, reason=reason)
            continue
        meta = {
            name: value
            for i, (name, value) in enumerate(zip(header, row, strict=True))
            if i != column
        }
        yield make_text_draft(row[column], meta, source)


def _text_column(header: list[str], field: str | None) -> int | str:
    if field is not None:
        if field in header:
            return header.index(field)
        return f"no column named {field!r}; columns: {', '.join(header)}"

    lowered = [name.strip().lower() for name in header]
    if "text" in lowered:
        return lowered.index("text")
    return f"no column named 'text' and no field chosen; columns: {', '.join(header)}"


def _from_object(value: Any, key: str, source: str) -> Result:
    if not isinstance(value, dict):
        kind = type(value).__name__
        return Rejection(source=source, reason=f"expected a JSON object, got {kind}")

    text = value.pop(key, _MISSING)
    if text is _MISSING:
        return Rejection(source=source, reason=f"no field {key!r}")
    if not isinstance(text, str):
        kind = type(text).__name__
        return Rejection(source=source, reason=f"field {key!r} is {kind}, not text")
    return make_text_draft(text, value, source)


def _single_json_object(text: str, display: str, key: str) -> Iterator[Result]:
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        yield Rejection(source=f"{display}:{exc.lineno}", reason=f"bad JSON: {exc.msg}")
        return
    yield _from_object(value, key, f"{display}:1")


def _skip_space(text: str, position: int) -> int:
    length = len(text)
    while position < length and text[position] in " \t\r\n":
        position += 1
    return position
