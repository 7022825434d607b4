from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image, ImageOps

from annotary.errors import FormatError, LimitExceeded
from annotary.media import probe_image
from tests.media.images import jpeg, png_header_only


@pytest.mark.parametrize(
    ("orientation", "upright"),
    [
        (1, (40, 30)),
        (2, (40, 30)),
        (3, (40, 30)),
        (4, (40, 30)),
        (5, (30, 40)),
        (6, (30, 40)),
        (7, (30, 40)),
        (8, (30, 40)),
    ],
)
def test_exif_orientation_gives_the_upright_size(
    tmp_path: Path, orientation: int, upright: tuple[int, int]
) -> None:
    path = jpeg(tmp_path / "photo.jpg", (40, 30), orientation)

    info = probe_image(path)

    assert (info.width, info.height) == upright
    assert (info.stored_width, info.stored_height) == (40, 30)
    assert info.orientation == orientation
    with Image.open(path) as image:
        assert ImageOps.exif_transpose(image).size == upright


@pytest.mark.parametrize(
    ("pillow_format", "name", "mime", "extension"),
    [
        ("JPEG", "jpeg", "image/jpeg", ".jpg"),
        ("PNG", "png", "image/png", ".png"),
        ("WEBP", "webp", "image/webp", ".webp"),
        ("TIFF", "tiff", "image/tiff", ".tiff"),
        ("BMP", "bmp", "image/bmp", ".bmp"),
        ("GIF", "gif", "image/gif", ".gif"),
    ],
)
def test_every_supported_format_is_probed(
    tmp_path: Path, pillow_format: str, name: str, mime: str, extension: str
) -> None:
    path = tmp_path / f"image{extension}"
    Image.new("RGB", (17, 9), (1, 2, 3)).save(path, format=pillow_format)

    info = probe_image(path)

    assert (info.width, info.height, info.frames) == (17, 9, 1)
    assert (info.format, info.mime, info.extension) == (name, mime, extension)


def test_tiff_orientation_is_applied(tmp_path: Path) -> None:
    path = tmp_path / "scan.tiff"
    exif = Image.Exif()
    exif[0x0112] = 8
    Image.new("L", (50, 20)).save(path, format="TIFF", exif=exif)

    info = probe_image(path)

    assert (info.width, info.height) == (20, 50)


def test_animated_gif_counts_frames_and_uses_the_first(tmp_path: Path) -> None:
    path = tmp_path / "anim.gif"
    colors = [(255, 0, 0), (0, 255, 0), (0, 0, 255)]
    frames = [Image.new("RGB", (12, 8), color) for color in colors]
    frames[0].save(path, save_all=True, append_images=frames[1:], duration=50)

    info = probe_image(path)

    assert (info.width, info.height, info.frames) == (12, 8, 3)


@pytest.mark.parametrize(
    ("width", "height"),
    [(100_000, 100_000), (15_000, 15_000), (20_000, 1)],
)
def test_huge_pixel_header_is_refused_without_decoding(
    tmp_path: Path, width: int, height: int
) -> None:
    path = png_header_only(tmp_path / "bomb.png", width, height)

    with pytest.raises(LimitExceeded, match="bomb.png"):
        probe_image(path, max_pixels=10_000)


@pytest.mark.parametrize(
    ("max_pixels", "allowed"), [(9_999, False), (10_000, True), (10_001, True)]
)
def test_pixel_limit_boundary(tmp_path: Path, max_pixels: int, allowed: bool) -> None:
    path = tmp_path / "square.png"
    Image.new("RGB", (100, 100)).save(path)

    if allowed:
        assert probe_image(path, max_pixels=max_pixels).width == 100
    else:
        with pytest.raises(LimitExceeded, match="100x100 = 10000 pixels"):
            probe_image(path, max_pixels=max_pixels)


def _truncated(path: Path) -> None:
    jpeg(path, (300, 200))
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def _truncated_png(path: Path) -> None:
    Image.effect_noise((200, 200), 50).save(path, format="PNG")
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(lambda p: p.write_bytes(b""), id="empty"),
        pytest.param(lambda p: p.write_bytes(b"not an image at all"), id="text"),
        pytest.param(_truncated, id="truncated-jpeg"),
        pytest.param(_truncated_png, id="truncated-png"),
        pytest.param(lambda p: png_header_only(p, 0, 10), id="zero-width"),
    ],
)
def test_corrupt_files_raise_format_error_naming_the_file(tmp_path: Path, make) -> None:
    path = tmp_path / "broken.jpg"
    make(path)

    with pytest.raises(FormatError, match="broken.jpg"):
        probe_image(path)


def test_unsupported_image_format_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "icon.ico"
    Image.new("RGB", (16, 16)).save(path, format="ICO")

    with pytest.raises(FormatError, match="not a supported image"):
        probe_image(path)


def test_error_names_the_given_name(tmp_path: Path) -> None:
    path = tmp_path / "tmp-123"
    path.write_bytes(b"junk")

    with pytest.raises(FormatError, match="holiday.png"):
        probe_image(path, name="holiday.png")
