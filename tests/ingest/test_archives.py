from __future__ import annotations

import io
import stat
import struct
import tempfile
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from annotary.core import ItemDraft, Rejection
from annotary.ingest import IngestOptions, read_sources
from annotary.media import MediaStore
from tests.ingest.helpers import read, summary
from tests.media.images import jpeg


def jpeg_bytes(size: tuple[int, int] = (40, 30), orientation: int = 1) -> bytes:
    buffer = io.BytesIO()
    image = Image.new("RGB", size, (10, 200, 10))
    exif = Image.Exif()
    exif[0x0112] = orientation
    image.save(buffer, format="JPEG", exif=exif)
    return buffer.getvalue()


def make_zip(path: Path, members: list[tuple[str | zipfile.ZipInfo, bytes]]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members:
            zf.writestr(name, data)
    return path


def symlink_member(name: str, target: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name)
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    return info


def test_unsafe_members_are_rejected_and_never_written(tmp_path: Path) -> None:
    archive = make_zip(
        tmp_path / "photos.zip",
        [
            ("b/ok.jpg", jpeg_bytes((40, 30), orientation=6)),
            ("../evil.jpg", jpeg_bytes()),
            ("a/../../evil2.jpg", jpeg_bytes()),
            ("/abs.jpg", jpeg_bytes()),
            ("C:/windows.jpg", jpeg_bytes()),
            (symlink_member("link.jpg", "/etc/passwd"), b"/etc/passwd"),
            ("a/first.png", b""),
            ("__MACOSX/._ok.jpg", b"apple double"),
            ("notes.txt", b"hello"),
        ],
    )
    store = MediaStore(tmp_path / "media")

    results, _ = read(tmp_path, [archive], kind="image", store=store)

    assert summary(results) == [
        ("rejected", "photos.zip!../evil.jpg", "path with '..' in archive"),
        ("rejected", "photos.zip!/abs.jpg", "absolute path in archive"),
        ("rejected", "photos.zip!C:/windows.jpg", "absolute path in archive"),
        ("rejected", "photos.zip!a/../../evil2.jpg", "path with '..' in archive"),
        (
            "rejected",
            "photos.zip!a/first.png",
            "first.png: not a supported image (jpg, png, webp, tiff, bmp, gif)",
        ),
        ("item", "photos.zip!b/ok.jpg", None),
        ("rejected", "photos.zip!link.jpg", "symbolic link in archive"),
        (
            "rejected",
            "photos.zip!notes.txt",
            "unsupported file type '.txt' for image items",
        ),
    ]
    ok = results[5]
    assert isinstance(ok, ItemDraft) and ok.media is not None
    assert (ok.media.width, ok.media.height) == (30, 40)
    assert ok.external_id == "b/ok.jpg"
    assert ok.media.original_name == "ok.jpg"
    assert not list(tmp_path.rglob("evil*"))
    assert not list(tmp_path.rglob("abs.jpg"))
    assert [p for p in (tmp_path / "tmp").rglob("*") if p.is_file()] == []


def test_zip_bomb_is_refused_before_extraction(tmp_path: Path) -> None:
    archive = make_zip(
        tmp_path / "bomb.zip",
        [("a.txt", b"fine\n"), ("zeros.txt", b"\x00" * (20 * 2**20))],
    )
    assert archive.stat().st_size < 100_000

    results, _ = read(tmp_path, [archive], max_uncompressed_bytes=2**20)

    [rejection] = results
    assert isinstance(rejection, Rejection)
    assert rejection.source.endswith("bomb.zip")
    assert "20971525 bytes, the limit is 1048576 (zip bomb?)" in rejection.reason


def test_member_that_lies_about_its_size_is_cut_off(tmp_path: Path) -> None:
    archive = make_zip(tmp_path / "liar.zip", [("big.txt", b"x\n" * 500_000)])
    _patch_uncompressed_size(archive, 100)

    results, _ = read(tmp_path, [archive], max_uncompressed_bytes=1000)

    [rejection] = results
    assert isinstance(rejection, Rejection)
    assert rejection.source.endswith("liar.zip!big.txt")
    assert "damaged zip member" in rejection.reason


def _patch_uncompressed_size(archive: Path, size: int) -> None:
    data = bytearray(archive.read_bytes())
    local = data.find(b"PK\x03\x04")
    central = data.find(b"PK\x01\x02")
    struct.pack_into("<I", data, local + 22, size)
    struct.pack_into("<I", data, central + 24, size)
    archive.write_bytes(bytes(data))


@pytest.mark.parametrize(
    ("members", "max_members", "expected"),
    [
        (3, 3, ["item", "item", "item"]),
        (4, 3, ["rejected"]),
    ],
)
def test_member_count_is_bounded(
    tmp_path: Path, members: int, max_members: int, expected: list[str]
) -> None:
    archive = make_zip(
        tmp_path / "many.zip",
        [(f"{i}.txt", f"line {i}\n".encode()) for i in range(members)],
    )

    results, _ = read(tmp_path, [archive], max_members=max_members)

    assert [row[0] for row in summary(results)] == expected
    if expected == ["rejected"]:
        assert "4 members, the limit is 3" in results[0].reason


def test_text_files_inside_an_archive(tmp_path: Path) -> None:
    archive = make_zip(
        tmp_path / "text.zip",
        [
            ("data/rows.jsonl", b'{"text": "from jsonl", "k": 1}\n'),
            ("data/old.csv", "text\ncafé à côté\n".encode("latin-1")),
            ("inner.zip", b"PK\x05\x06" + b"\x00" * 18),
        ],
    )

    results, encodings = read(tmp_path, [archive])

    assert summary(results) == [
        ("item", "text.zip!data/old.csv:2", "café à côté"),
        ("item", "text.zip!data/rows.jsonl:1", "from jsonl"),
        ("rejected", "text.zip!inner.zip", "archive inside an archive, not read"),
    ]
    assert encodings == {f"{archive}!data/old.csv": "latin_1"}


def test_without_a_store_archive_images_stay_readable_for_the_caller(
    tmp_path: Path,
) -> None:
    archive = make_zip(tmp_path / "p.zip", [("x/cat.jpg", jpeg_bytes((8, 6)))])

    reader = read_sources(
        [archive], IngestOptions(kind="image"), tmp_dir=tmp_path / "tmp"
    )

    draft = next(reader)
    assert isinstance(draft, ItemDraft) and draft.file_path is not None
    assert draft.media is None and draft.external_id == "x/cat.jpg"
    assert Path(draft.file_path).is_relative_to(tmp_path / "tmp")
    assert Path(draft.file_path).name == "cat.jpg"
    with Image.open(draft.file_path) as image:
        assert image.size == (8, 6)
    assert list(reader) == []
    assert not Path(draft.file_path).exists()
    assert list((tmp_path / "tmp").iterdir()) == []


@pytest.mark.parametrize("data", [b"", b"this is not a zip", b"PK\x03\x04 truncated"])
def test_damaged_archives_are_rejected(tmp_path: Path, data: bytes) -> None:
    archive = tmp_path / "broken.zip"
    archive.write_bytes(data)
    good = jpeg(tmp_path / "good.jpg")

    results, _ = read(tmp_path, [archive, good], kind="image")

    assert [row[:2] for row in summary(results)] == [
        ("rejected", "broken.zip"),
        ("item", "good.jpg"),
    ]
    assert "damaged zip archive" in results[0].reason


member_names = st.lists(
    st.text(alphabet="ab./\\:", min_size=1, max_size=12).map(lambda n: n + ".txt"),
    min_size=1,
    max_size=6,
    unique=True,
)


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(names=member_names)
def test_no_member_name_escapes_the_temporary_folder(
    tmp_path: Path, names: list[str]
) -> None:
    case = Path(tempfile.mkdtemp(dir=tmp_path))
    outside = case / "outside"
    outside.mkdir()
    archive = make_zip(outside / "names.zip", [(name, b"x\n") for name in names])

    results, _ = read(outside, [archive])

    assert sorted(p.name for p in case.rglob("*")) == ["names.zip", "outside", "tmp"]
    for result in results:
        name = result.source.split("!", 1)[1].rsplit(":", 1)[0]
        parts = name.replace("\\", "/").split("/")
        if ".." in parts or name.startswith(("/", "\\")) or name[1:2] == ":":
            assert isinstance(result, Rejection)
