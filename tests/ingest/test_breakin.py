"""Inputs a break-in session found handled badly, kept as regression tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from annotary.core.models import ItemDraft, Rejection
from annotary.ingest.readers import IngestOptions, read_sources


@pytest.mark.parametrize(
    ("name", "content", "field", "rejected", "says", "texts"),
    [
        (
            "bad.csv",
            b'body\n"unterminated,\nok row\n',
            "body",
            "bad.csv:2",
            "unexpected end of data",
            [],
        ),
        (
            "good.csv",
            b'body\n"two\nlines"\nok row\n',
            "body",
            None,
            None,
            ["two\nlines", "ok row"],
        ),
        ("empty.txt", b"", None, "empty.txt", "empty file", []),
        ("empty.jsonl", b"", None, "empty.jsonl", "empty file", []),
    ],
)
def test_bad_text_files_say_where_and_why(
    tmp_path: Path,
    name: str,
    content: bytes,
    field: str | None,
    rejected: str | None,
    says: str | None,
    texts: list[str],
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    out = list(
        read_sources([path], IngestOptions(kind="text", field=field), tmp_dir=tmp_path)
    )
    rejections = [r for r in out if isinstance(r, Rejection)]
    drafts = [d for d in out if isinstance(d, ItemDraft)]
    assert [d.text for d in drafts] == texts
    if rejected is None:
        assert rejections == []
    else:
        (only,) = rejections
        assert only.source.endswith(rejected)
        assert says in only.reason
