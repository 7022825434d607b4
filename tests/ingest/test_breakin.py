"""Inputs a break-in session found handled badly, kept as regression tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from annotary.core.models import Rejection, TextDraft
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
    drafts = [d for d in out if isinstance(d, TextDraft)]
    assert [d.text for d in drafts] == texts
    if rejected is None:
        assert rejections == []
    else:
        (only,) = rejections
        assert only.source.endswith(rejected)
        assert says in only.reason


def test_zip_members_of_the_wrong_type_are_never_unpacked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import zipfile

    from annotary.ingest import archives

    archive = tmp_path / "mixed.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("big.txt", b"0" * 2_000_000)
        zf.writestr("inner.zip", b"PK")
    unpacked: list[str] = []
    real = archives._extract

    def spy(zf: zipfile.ZipFile, info: zipfile.ZipInfo, *args: object) -> int:
        unpacked.append(info.filename)
        return real(zf, info, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(archives, "_extract", spy)
    out = list(read_sources([archive], IngestOptions(kind="image"), tmp_dir=tmp_path))

    assert unpacked == []
    assert sorted(r.reason for r in out if isinstance(r, Rejection)) == [
        "archive inside an archive, not read",
        "unsupported file type '.txt' for image items",
    ]
