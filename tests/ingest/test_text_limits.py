"""Mixed-encoding files and the per-item size limit."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from annotary.core import ItemDraft, TextDraft
from annotary.errors import InvalidInput
from annotary.ingest import IngestOptions, read_sources
from annotary.ingest.encoding import detect_encoding
from tests.ingest.helpers import read, summary

# Mostly UTF-8, with one line holding a stray cp1252 byte (0xE9 alone).
MIXED_LINES = (
    "première ligne\n".encode()
    + b"deuxi\xe8me en cp1252\n"
    + "dritte Zeile, Grüße 😀\n".encode()
)


def test_mixed_text_file_is_utf8_with_the_bad_line_named(tmp_path: Path) -> None:
    path = tmp_path / "mixed.txt"
    path.write_bytes(MIXED_LINES)

    results, encodings = read(tmp_path, [path])

    assert detect_encoding(path) == "utf-8"
    assert summary(results) == [
        ("item", "mixed.txt:1", "première ligne"),
        ("rejected", "mixed.txt:2", "not valid UTF-8"),
        ("item", "mixed.txt:3", "dritte Zeile, Grüße 😀"),
    ]
    assert encodings == {}


def test_mixed_jsonl_rejects_only_the_bad_line(tmp_path: Path) -> None:
    path = tmp_path / "mixed.jsonl"
    path.write_bytes(
        b'{"text": "caf\xc3\xa9", "n": 1}\n'
        b'{"text": "caf\xe9", "n": 2}\n'
        b'{"text": "\xe2\x82\xac 5", "n": 3}\n'
    )

    results, _ = read(tmp_path, [path])

    assert summary(results) == [
        ("item", "mixed.jsonl:1", "café"),
        ("rejected", "mixed.jsonl:2", "not valid UTF-8"),
        ("item", "mixed.jsonl:3", "€ 5"),
    ]
    assert [r.meta for r in results if isinstance(r, TextDraft)] == [
        {"n": 1},
        {"n": 3},
    ]


def test_mixed_csv_rejects_a_record_with_a_bad_byte_in_any_column(
    tmp_path: Path,
) -> None:
    path = tmp_path / "mixed.csv"
    path.write_bytes(
        b'text,label\n"caf\xc3\xa9",a\n"ok",b\xe9\n"two\nlines \xc3\xa9",c\n'
    )

    results, _ = read(tmp_path, [path])

    assert summary(results) == [
        ("item", "mixed.csv:2", "café"),
        ("rejected", "mixed.csv:3", "not valid UTF-8"),
        ("item", "mixed.csv:4", "two\nlines é"),
    ]


def test_a_file_all_in_cp1252_is_still_read_as_cp1252(tmp_path: Path) -> None:
    # Many accented letters, not one well-formed UTF-8 sequence among them.
    path = tmp_path / "legacy.txt"
    path.write_bytes("“Smart” quotes – déjà vu\nÉté, 5 € each\n".encode("cp1252"))

    results, encodings = read(tmp_path, [path])

    assert summary(results) == [
        ("item", "legacy.txt:1", "“Smart” quotes – déjà vu"),
        ("item", "legacy.txt:2", "Été, 5 € each"),
    ]
    assert encodings == {str(path): "cp1252"}


def test_oversized_items_are_rejected_with_the_limit_and_the_rest_land(
    tmp_path: Path,
) -> None:
    path = tmp_path / "sizes.jsonl"
    # 10 bytes, 11 bytes ("é" is two bytes in UTF-8), 10 bytes.
    path.write_text(
        '{"text": "0123456789"}\n{"text": "012345678é"}\n{"text": "abcdefghij"}\n',
        encoding="utf-8",
    )
    lines = tmp_path / "sizes.txt"
    lines.write_text("short\n" + "x" * 11 + "\n", encoding="utf-8")

    results, _ = read(tmp_path, [path, lines], max_text_bytes=10)

    reason = (
        "text is 11 bytes in UTF-8, over the limit of 10 bytes per item "
        "(setting max_text_bytes)"
    )
    assert summary(results) == [
        ("item", "sizes.jsonl:1", "0123456789"),
        ("rejected", "sizes.jsonl:2", reason),
        ("item", "sizes.jsonl:3", "abcdefghij"),
        ("item", "sizes.txt:1", "short"),
        ("rejected", "sizes.txt:2", reason),
    ]


def test_whole_file_items_over_the_limit_are_not_read_into_memory(
    tmp_path: Path,
) -> None:
    path = tmp_path / "big.txt"
    path.write_bytes(b"y" * 100)

    results, _ = read(tmp_path, [path], text_mode="file", max_text_bytes=20)

    assert summary(results) == [
        (
            "rejected",
            "big.txt:1",
            "file is 100 bytes, over the limit of 20 bytes per item "
            "(setting max_text_bytes)",
        )
    ]


def test_the_default_limit_is_one_mebibyte(tmp_path: Path) -> None:
    path = tmp_path / "edge.txt"
    path.write_bytes(b"a" * 2**20 + b"\n" + b"b" * (2**20 + 1) + b"\n")

    results, _ = read(tmp_path, [path])

    kinds = [row[0] for row in summary(results)]
    assert kinds == ["item", "rejected"]
    assert len(results[0].text or "") == 2**20


def test_the_limit_must_be_positive(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="max_text_bytes must be positive"):
        read_sources(
            [tmp_path], IngestOptions(kind="text", max_text_bytes=0), tmp_dir=tmp_path
        )


def test_text_draft_carries_what_item_draft_would(tmp_path: Path) -> None:
    path = tmp_path / "one.jsonl"
    path.write_text('{"text": "hé\\r\\nx", "label": "pos"}\n', encoding="utf-8")

    [draft], _ = read(tmp_path, [path])

    assert isinstance(draft, TextDraft)
    full = draft.to_draft()
    assert isinstance(full, ItemDraft)
    assert full.text == "hé\r\nx"
    assert full.meta == {"label": "pos"}
    assert full.content_hash == hashlib.sha256("hé\r\nx".encode()).hexdigest()
    assert (draft.media, draft.external_id, draft.annotations, draft.flags) == (
        None,
        None,
        (),
        (),
    )
