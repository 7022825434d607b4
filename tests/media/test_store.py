from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from annotary.core import MediaRef
from annotary.errors import FormatError, InvalidInput, LimitExceeded, NotFound
from annotary.media import MediaStore
from tests.media.images import jpeg, png_header_only


def stored_files(store: MediaStore) -> list[Path]:
    return sorted(
        path
        for path in store.root.rglob("*")
        if path.is_file() and ".tmp" not in path.parts
    )


def test_put_file_stores_by_sha256_with_upright_size(tmp_path: Path) -> None:
    source = jpeg(tmp_path / "Rotated.JPEG", (40, 30), orientation=6)
    data = source.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    store = MediaStore(tmp_path / "media")

    ref = store.put_file(source)

    assert ref.path == f"{digest[:2]}/{digest[2:4]}/{digest}.jpg"
    assert (ref.sha256, ref.size) == (digest, len(data))
    assert (ref.width, ref.height) == (30, 40)
    assert (ref.format, ref.mime, ref.frames) == ("jpeg", "image/jpeg", 1)
    assert ref.original_name == "Rotated.JPEG"
    assert store.local_path(ref).read_bytes() == data
    with store.open(ref.path) as stored:
        assert stored.read() == data


def test_storing_twice_is_idempotent_and_leaves_no_temporary_files(
    tmp_path: Path,
) -> None:
    source = jpeg(tmp_path / "a.jpg")
    store = MediaStore(tmp_path / "media")

    first = store.put_file(source)
    second = store.put_file(source, original_name="copy.jpg")
    third = store.put_bytes(source.read_bytes(), name="b.jpg")

    assert first.path == second.path == third.path
    assert second.original_name == "copy.jpg"
    assert stored_files(store) == [store.root / first.path]
    assert list((store.root / ".tmp").iterdir()) == []


@pytest.mark.parametrize(
    ("make", "error", "message"),
    [
        (lambda p: p.write_bytes(b"GIF89a broken"), FormatError, "upload.gif"),
        (lambda p: png_header_only(p, 30_000, 30_000), LimitExceeded, "upload.gif"),
    ],
)
def test_refused_images_are_not_stored(
    tmp_path: Path, make, error: type[Exception], message: str
) -> None:
    source = tmp_path / "incoming"
    make(source)
    store = MediaStore(tmp_path / "media", max_image_pixels=1_000_000)

    with pytest.raises(error, match=message):
        store.put_file(source, original_name="upload.gif")

    assert stored_files(store) == []
    assert list((store.root / ".tmp").iterdir()) == []


def test_per_call_pixel_limit_overrides_the_store(tmp_path: Path) -> None:
    source = jpeg(tmp_path / "a.jpg", (40, 30))
    store = MediaStore(tmp_path / "media")

    with pytest.raises(LimitExceeded):
        store.put_file(source, max_pixels=1_199)
    assert store.put_file(source, max_pixels=1_200).width == 40


@pytest.mark.parametrize(
    ("name", "extension", "mime"),
    [
        ("speech.wav", ".wav", {"audio/x-wav", "audio/wav"}),
        ("scan.PCD", ".pcd", {None}),
        ("no-extension", "", {None}),
        ("weird.e x", "", {None}),
    ],
)
def test_other_files_keep_a_safe_extension(
    tmp_path: Path, name: str, extension: str, mime: set[str | None]
) -> None:
    store = MediaStore(tmp_path / "media")

    ref = store.put_bytes(b"RIFF....WAVE", name=name)

    assert ref.path.endswith(ref.sha256 + extension)
    assert ref.mime in mime
    assert ref.width is None


@pytest.mark.parametrize(
    ("ref", "error"),
    [
        ("../outside.jpg", InvalidInput),
        ("/etc/passwd", InvalidInput),
        ("ab/cd/../../../x", InvalidInput),
        ("", InvalidInput),
        ("ab/cd/missing.jpg", NotFound),
    ],
)
def test_local_path_refuses_paths_outside_and_missing_files(
    tmp_path: Path, ref: str, error: type[Exception]
) -> None:
    store = MediaStore(tmp_path / "media")

    with pytest.raises(error):
        store.local_path(ref)


def test_local_path_accepts_a_media_ref(tmp_path: Path) -> None:
    store = MediaStore(tmp_path / "media")
    ref = store.put_bytes(b"hello", name="a.txt")

    again = MediaRef(path=ref.path, sha256=ref.sha256, size=5)

    assert store.local_path(again).read_bytes() == b"hello"


@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.binary(max_size=4096))
def test_any_bytes_round_trip(tmp_path: Path, data: bytes) -> None:
    store = MediaStore(tmp_path / "media")

    ref = store.put_bytes(data, name="blob.bin")

    assert ref.sha256 == hashlib.sha256(data).hexdigest()
    assert ref.size == len(data)
    assert store.local_path(ref).read_bytes() == data
