from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest
from PIL import Image

from annotary.core import ItemDraft, TextDraft
from annotary.errors import InvalidInput
from annotary.ingest import IngestOptions, read_sources
from annotary.media import MediaStore
from tests.ingest.helpers import read, summary
from tests.media.images import jpeg, png_header_only


def test_folders_are_read_recursively_in_sorted_order(tmp_path: Path) -> None:
    root = tmp_path / "data"
    for relative in [
        "z.txt",
        "b/2.txt",
        "a.txt",
        "b/1.txt",
        "b/c/0.txt",
        ".hidden.txt",
    ]:
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"{relative}\n")
    (root / ".git").mkdir()
    (root / ".git" / "x.txt").write_text("no\n")
    (root / "readme.md").write_text("# no\n")
    os.symlink(root / "a.txt", root / "link.txt")

    results, _ = read(tmp_path, [root])

    assert [(r.source, getattr(r, "text", None)) for r in results] == [
        (f"{root}/a.txt:1", "a.txt"),
        (f"{root}/link.txt", None),
        (f"{root}/readme.md", None),
        (f"{root}/z.txt:1", "z.txt"),
        (f"{root}/b/1.txt:1", "b/1.txt"),
        (f"{root}/b/2.txt:1", "b/2.txt"),
        (f"{root}/b/c/0.txt:1", "b/c/0.txt"),
    ]
    assert results[1].reason == "symbolic link, not followed"
    assert results[2].reason == "unsupported file type '.md' for text items"


def test_images_with_a_store_are_probed_and_stored(tmp_path: Path) -> None:
    folder = tmp_path / "photos"
    folder.mkdir()
    upright = jpeg(folder / "1-upright.jpg", (40, 30), orientation=6)
    (folder / "2-corrupt.png").write_bytes(b"\x89PNG\r\n\x1a\n broken")
    png_header_only(folder / "3-bomb.png", 50_000, 50_000)
    Image.new("RGB", (5, 4)).save(folder / "4-small.webp")
    store = MediaStore(tmp_path / "media")

    results, _ = read(tmp_path, [folder], kind="image", store=store)

    kinds = [(row[0], Path(row[1]).name) for row in summary(results)]
    assert kinds == [
        ("item", "1-upright.jpg"),
        ("rejected", "2-corrupt.png"),
        ("rejected", "3-bomb.png"),
        ("item", "4-small.webp"),
    ]
    first, corrupt, bomb, small = results
    assert isinstance(first, ItemDraft) and first.media is not None
    digest = hashlib.sha256(upright.read_bytes()).hexdigest()
    assert first.content_hash == first.media.sha256 == digest
    assert (first.media.width, first.media.height) == (30, 40)
    assert first.external_id == "1-upright.jpg"
    assert "2-corrupt.png" in corrupt.reason
    assert "2500000000 pixels" in bomb.reason
    assert isinstance(small, ItemDraft) and small.media is not None
    assert (small.media.width, small.media.format) == (5, "webp")


def test_pixel_limit_comes_from_the_options(tmp_path: Path) -> None:
    path = jpeg(tmp_path / "a.jpg", (40, 30))
    store = MediaStore(tmp_path / "media")

    refused, _ = read(
        tmp_path, [path], kind="image", store=store, max_image_pixels=1199
    )
    allowed, _ = read(
        tmp_path, [path], kind="image", store=store, max_image_pixels=1200
    )

    assert summary(refused)[0][0] == "rejected"
    assert summary(allowed)[0][0] == "item"


def test_images_without_a_store_point_at_their_file(tmp_path: Path) -> None:
    path = jpeg(tmp_path / "a.jpg")

    [draft], _ = read(tmp_path, [path], kind="image")

    assert isinstance(draft, ItemDraft)
    assert (draft.file_path, draft.media, draft.content_hash) == (str(path), None, "")


@pytest.mark.parametrize(
    ("kind", "name", "accepted"),
    [
        ("image", "a.gif", True),
        ("image", "a.TIF", True),
        ("image", "a.txt", False),
        ("text", "a.jpg", False),
        ("text", "a.NDJSON", True),
        ("audio", "a.wav", True),
        ("video", "a.mp4", True),
        ("pointcloud", "a.pcd", True),
        ("audio", "a.mp4", False),
    ],
)
def test_file_types_per_kind(
    tmp_path: Path, kind: str, name: str, accepted: bool
) -> None:
    path = tmp_path / name
    path.write_bytes(b"{}\n")

    results, _ = read(tmp_path, [path], kind=kind)

    if accepted and kind != "text":
        assert isinstance(results[0], ItemDraft)
        assert results[0].file_path == str(path)
    elif not accepted:
        assert "unsupported file type" in results[0].reason


def test_missing_paths_are_rejected_and_reading_goes_on(tmp_path: Path) -> None:
    good = tmp_path / "good.txt"
    good.write_text("fine\n")

    results, _ = read(tmp_path, [tmp_path / "nope.txt", good])

    assert summary(results) == [
        ("rejected", "nope.txt", "no such file or folder"),
        ("item", "good.txt:1", "fine"),
    ]


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"kind": "sound"}, "kind"),
        ({"kind": "text", "text_mode": "paragraph"}, "text_mode"),
        ({"kind": "text", "max_members": 0}, "max_members"),
        ({"kind": "image", "max_image_pixels": -1}, "max_image_pixels"),
        ({"kind": "text", "max_uncompressed_bytes": 0}, "max_uncompressed_bytes"),
    ],
)
def test_invalid_options_are_refused_at_once(
    tmp_path: Path, options: dict, field: str
) -> None:
    with pytest.raises(InvalidInput) as caught:
        read_sources([], IngestOptions(**options), tmp_dir=tmp_path)

    assert caught.value.details["field"] == field


def test_reader_counts_and_can_stop_early(tmp_path: Path) -> None:
    path = tmp_path / "many.txt"
    path.write_text("".join(f"line {i}\n" for i in range(10)) + "\n")

    reader = read_sources([path], IngestOptions(kind="text"), tmp_dir=tmp_path)
    first = next(reader)
    reader.close()

    assert isinstance(first, TextDraft) and first.text == "line 0"
    assert reader.counts == {"drafts": 1, "rejected": 0}
    assert list(reader) == []
