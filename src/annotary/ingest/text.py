"""Readers for text items: .txt, .csv/.tsv, .jsonl and .json.

Every reader yields one `TextDraft` per item and one `Rejection` per bad row,
so the good rows of a file still come through. Text is kept exactly as read:
no stripping and no newline rewriting. Sources are ``"<file>:<line>"`` with
1-based line numbers (for CSV, the line the record starts on).

`TextDraft` is a plain slotted object, not a pydantic model: building a
validated model per row was most of a big import's time. The checks it stood
for are made here, row by row: the text is a non-empty string without NUL,
valid Unicode, at most ``max_bytes`` in UTF-8; metadata is a JSON object.

A UTF-8 file is read line by line, so a line that is not valid UTF-8 (a few
stray bytes in a file that is otherwise UTF-8) is rejected by its line number
while the other lines land.
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

from annotary.core import Rejection, TextDraft

Result = TextDraft | Rejection

# The default limit on one item's text, in UTF-8 bytes.
MAX_TEXT_BYTES = 1 << 20
NOT_UTF8 = "not valid UTF-8"
# A plain reader keeps text and metadata only; annotations would be stored as
# metadata and silently lost as labels, so such a line is refused instead.
ANNOTATIONS = (
    "has an 'annotations' key; plain JSONL import reads text and metadata only, "
    "import with --format jsonl to load the annotations"
)

_MISSING = object()
_UTF8 = ("utf-8", "utf-8-sig")


def make_text_draft(
    text: str, meta: dict[str, Any], source: str, max_bytes: int = MAX_TEXT_BYTES
) -> Result:
    """A draft for one text, or a rejection when the text cannot be stored."""
    if not text:
        return Rejection(source=source, reason="empty text")
    if "\x00" in text:
        return Rejection(source=source, reason="text contains a NUL character")
    try:
        data = text.encode()
    except UnicodeEncodeError:
        return Rejection(source=source, reason=_surrogate_reason(text))
    if len(data) > max_bytes:
        return Rejection(source=source, reason=too_big(len(data), max_bytes))
    return TextDraft(text, meta, source, sha256(data).hexdigest())


def too_big(size: int, max_bytes: int) -> str:
    return (
        f"text is {size:,} bytes in UTF-8, over the limit of {max_bytes:,} bytes "
        "per item (setting max_text_bytes)"
    )


def _surrogate_reason(text: str) -> str:
    # Undecodable bytes come through ``surrogateescape`` as U+DC80..U+DCFF.
    if any("\udc80" <= char <= "\udcff" for char in text):
        return NOT_UTF8
    return "text holds an unpaired surrogate, not valid Unicode"


def _errors(encoding: str) -> str:
    """UTF-8 files keep bad bytes as lone surrogates, to reject line by line."""
    return "surrogateescape" if encoding in _UTF8 else "strict"


def read_txt_lines(
    path: Path, display: str, encoding: str, max_bytes: int = MAX_TEXT_BYTES
) -> Iterator[Result]:
    """One item per line; the ``\\n`` or ``\\r\\n`` ending each line is dropped.

    A line of only whitespace is rejected; a lone ``\\r`` inside a line is
    content and stays.
    """
    with open(path, encoding=encoding, errors=_errors(encoding), newline="\n") as file:
        for number, line in enumerate(file, 1):
            if line.endswith("\n"):
                line = line[:-2] if line.endswith("\r\n") else line[:-1]
            source = f"{display}:{number}"
            if line and line.isspace():
                yield Rejection(source=source, reason="blank line")
            elif line:
                yield make_text_draft(line, {}, source, max_bytes)
            else:
                yield Rejection(source=source, reason="empty line")


def read_txt_file(
    path: Path, display: str, encoding: str, max_bytes: int = MAX_TEXT_BYTES
) -> Iterator[Result]:
    """The whole file is one item, byte for byte after decoding."""
    if path.stat().st_size > 4 * max_bytes:  # not read into memory at all
        reason = (
            f"file is {path.stat().st_size:,} bytes, over the limit of "
            f"{max_bytes:,} bytes per item (setting max_text_bytes)"
        )
        yield Rejection(source=f"{display}:1", reason=reason)
        return
    with open(path, encoding=encoding, errors=_errors(encoding), newline="") as file:
        text = file.read()
    yield make_text_draft(text, {}, f"{display}:1", max_bytes)


def read_jsonl(
    path: Path,
    display: str,
    encoding: str,
    field: str | None,
    max_bytes: int = MAX_TEXT_BYTES,
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
                    if type(line) is bytes and not _is_utf8(line):
                        reason = NOT_UTF8
                    yield Rejection(source=f"{display}:{number}", reason=reason)
                continue

            text = value.get(key) if type(value) is dict else None
            if type(text) is str and "annotations" in value:
                yield Rejection(source=f"{display}:{number}", reason=ANNOTATIONS)
                continue
            if type(text) is str and text and "\x00" not in text:
                data = text.encode()  # orjson never returns lone surrogates
                if len(data) <= max_bytes:
                    del value[key]
                    yield TextDraft(
                        text, value, f"{display}:{number}", sha256(data).hexdigest()
                    )
                    continue
            yield _from_object(value, key, f"{display}:{number}", max_bytes)


def _is_utf8(line: bytes) -> bool:
    try:
        line.decode()
    except UnicodeDecodeError:
        return False
    return True


def _open_lines(path: Path, encoding: str) -> IO[Any]:
    """Lines split on ``\n`` only: bytes for UTF-8, else decoded text."""
    if encoding not in ("utf-8", "utf-8-sig"):
        return open(path, encoding=encoding, newline="\n")

    file = open(path, "rb")  # noqa: SIM115 - the caller closes it with "with"
    if encoding == "utf-8-sig":
        file.read(len(codecs.BOM_UTF8))
    return file


def read_json(
    path: Path,
    display: str,
    encoding: str,
    field: str | None,
    max_bytes: int = MAX_TEXT_BYTES,
) -> Iterator[Result]:
    """A JSON array of objects (or one object); the file is parsed whole."""
    with open(path, encoding=encoding, newline="") as file:
        text = file.read()
    key = field or "text"

    start = _skip_space(text, 0)
    if not text.startswith("[", start):
        yield from _single_json_object(text, display, key, max_bytes)
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
        yield _from_object(value, key, f"{display}:{line}", max_bytes)

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
    path: Path,
    display: str,
    encoding: str,
    field: str | None,
    delimiter: str,
    max_bytes: int = MAX_TEXT_BYTES,
) -> Iterator[Result]:
    """A header row, then one item per record; the text column is ``field``
    or the column named ``text`` (in any case)."""
    errors = _errors(encoding)
    with open(path, encoding=encoding, errors=errors, newline="") as file:
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

        if errors != "strict" and not _encodes("".join(header)):
            yield Rejection(source=f"{display}:1", reason=f"header row is {NOT_UTF8}")
            return
        column = _text_column(header, field)
        if isinstance(column, str):
            yield Rejection(source=f"{display}:1", reason=column)
            return
        yield from _csv_rows(
            reader, header, column, display, max_bytes, check=errors != "strict"
        )


def _encodes(text: str) -> bool:
    try:
        text.encode()
    except UnicodeEncodeError:
        return False
    return True


def _csv_rows(
    reader: Any,
    header: list[str],
    column: int,
    display: str,
    max_bytes: int,
    *,
    check: bool,
) -> Iterator[Result]:
    """Records as drafts; ``check``: reject rows holding undecodable bytes."""
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
        if check and not _encodes("".join(row)):
            yield Rejection(source=source, reason=NOT_UTF8)
            continue
        meta = {
            name: value
            for i, (name, value) in enumerate(zip(header, row, strict=True))
            if i != column
        }
        yield make_text_draft(row[column], meta, source, max_bytes)


def _text_column(header: list[str], field: str | None) -> int | str:
    if field is not None:
        if field in header:
            return header.index(field)
        return f"no column named {field!r}; columns: {', '.join(header)}"

    lowered = [name.strip().lower() for name in header]
    if "text" in lowered:
        return lowered.index("text")
    return f"no column named 'text' and no field chosen; columns: {', '.join(header)}"


def _from_object(value: Any, key: str, source: str, max_bytes: int) -> Result:
    if not isinstance(value, dict):
        kind = type(value).__name__
        return Rejection(source=source, reason=f"expected a JSON object, got {kind}")

    if "annotations" in value:
        return Rejection(source=source, reason=ANNOTATIONS)
    text = value.pop(key, _MISSING)
    if text is _MISSING:
        return Rejection(source=source, reason=f"no field {key!r}")
    if not isinstance(text, str):
        kind = type(text).__name__
        return Rejection(source=source, reason=f"field {key!r} is {kind}, not text")
    return make_text_draft(text, value, source, max_bytes)


def _single_json_object(
    text: str, display: str, key: str, max_bytes: int
) -> Iterator[Result]:
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        yield Rejection(source=f"{display}:{exc.lineno}", reason=f"bad JSON: {exc.msg}")
        return
    yield _from_object(value, key, f"{display}:1", max_bytes)


def _skip_space(text: str, position: int) -> int:
    length = len(text)
    while position < length and text[position] in " \t\r\n":
        position += 1
    return position
