from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageFilter

from annotary.clean.images import open_upright
from annotary.clean.quality import (
    Blur,
    CorruptFile,
    Exposure,
    ImageShape,
    MultiFrame,
    decode_problem,
    grey_pixels,
    laplacian_variance,
)
from tests.clean.helpers import assert_storable, by_item, file_input


def _noise(size: tuple[int, int] = (200, 150), seed: int = 0) -> Image.Image:
    rng = np.random.default_rng(seed)
    pixels = rng.integers(0, 256, size=(size[1], size[0]), dtype=np.uint8)
    return Image.fromarray(pixels, mode="L")


def _save(image: Image.Image, path: Path, **options: object) -> Path:
    image.save(path, **options)
    return path


def test_laplacian_variance_by_hand() -> None:
    # One lit pixel: the Laplacian is -4 there, +1 at its four neighbours and
    # 0 elsewhere, so over 25 pixels the mean is 0 and the variance 20 / 25.
    pixels = np.zeros((5, 5), dtype=np.float32)
    pixels[2, 2] = 1.0

    assert laplacian_variance(pixels) == pytest.approx(0.8)


def test_grey_pixels_reduce_large_images_by_a_whole_factor() -> None:
    assert grey_pixels(Image.new("RGB", (2100, 300))).shape == (100, 700)
    assert grey_pixels(Image.new("RGB", (1024, 300))).shape == (300, 1024)


def test_blur_flags_blurred_copies_only(tmp_path: Path) -> None:
    sharp = _save(_noise(), tmp_path / "sharp.png")
    soft = _save(_noise().filter(ImageFilter.GaussianBlur(3)), tmp_path / "soft.png")
    flat = _save(Image.new("L", (50, 50), 128), tmp_path / "flat.png")

    flags = by_item(
        Blur().run(
            [file_input(1, sharp), file_input(2, soft), file_input(3, flat)], params={}
        )
    )

    assert sorted(flags) == [2, 3]
    assert flags[3].score == 1.0
    assert flags[3].data["laplacian_variance"] == 0.0
    assert 0.0 < flags[2].score < 1.0
    assert flags[2].reason.startswith("blurred: Laplacian variance")
    assert_storable(flags.values())


def test_blur_threshold_is_a_parameter(tmp_path: Path) -> None:
    soft = _save(_noise().filter(ImageFilter.GaussianBlur(3)), tmp_path / "soft.png")
    variance = laplacian_variance(grey_pixels(Image.open(soft)))

    below = list(Blur().run([file_input(1, soft)], params={"threshold": variance}))
    above = list(Blur().run([file_input(1, soft)], params={"threshold": variance + 1}))

    assert (len(below), len(above)) == (0, 1)
    assert above[0].data["threshold"] == variance + 1


@pytest.mark.parametrize(
    ("level", "reason", "score"),
    [
        (10, "too dark", 0.75),
        (0, "too dark", 1.0),
        (40, None, None),
        (128, None, None),
        (215, None, None),
        (250, "overexposed", 0.875),
        (255, "overexposed", 1.0),
    ],
)
def test_exposure(
    tmp_path: Path, level: int, reason: str | None, score: float | None
) -> None:
    path = _save(Image.new("RGB", (20, 20), (level,) * 3), tmp_path / "x.png")

    flags = by_item(Exposure().run([file_input(1, path)], params={}))

    if reason is None:
        assert flags == {}
    else:
        assert flags[1].reason.startswith(reason)
        assert flags[1].score == pytest.approx(score)
        assert flags[1].data["mean"] == pytest.approx(level)


@pytest.mark.parametrize(
    ("size", "problem", "score"),
    [
        ((100, 100), None, None),
        ((32, 32), None, None),
        ((16, 64), "small", 0.5),
        ((64, 8), "small", 0.75),
        ((500, 100), None, None),
        ((600, 100), "aspect", pytest.approx(1 - 5 / 6)),
        ((40, 400), "aspect", pytest.approx(0.5)),
    ],
)
def test_image_shape(
    tmp_path: Path, size: tuple[int, int], problem: str | None, score: object
) -> None:
    path = _save(Image.new("RGB", size), tmp_path / "x.png")

    flags = by_item(ImageShape().run([file_input(1, path)], params={}))

    assert (flags[1].data["problem"] if flags else None) == problem
    assert (flags[1].score if flags else None) == score


def test_image_shape_prefers_the_probed_size(tmp_path: Path) -> None:
    path = _save(Image.new("RGB", (100, 100)), tmp_path / "x.png")

    flags = list(
        ImageShape().run([file_input(1, path, width=10, height=10)], params={})
    )

    assert flags[0].data["width"] == 10


def _rotated_jpeg(path: Path) -> Path:
    # Stored 40 x 10; EXIF orientation 6 shows it rotated, upright 10 x 40.
    exif = Image.Exif()
    exif[0x0112] = 6
    return _save(Image.new("RGB", (40, 10)), path, exif=exif)


def test_image_shape_reads_the_upright_size(tmp_path: Path) -> None:
    path = _rotated_jpeg(tmp_path / "r.jpg")

    flags = list(ImageShape().run([file_input(1, path)], params={}))

    assert (flags[0].data["width"], flags[0].data["height"]) == (10, 40)
    assert open_upright(path).size == (10, 40)


def _files(tmp_path: Path) -> dict[str, Path]:
    good = _save(_noise((300, 200)), tmp_path / "good.jpg", quality=90)
    data = good.read_bytes()
    made = {
        "good.jpg": good,
        "good.png": _save(_noise(), tmp_path / "good.png"),
        "truncated.jpg": tmp_path / "truncated.jpg",
        "truncated.png": tmp_path / "truncated.png",
        "garbage.jpg": tmp_path / "garbage.jpg",
        "empty.png": tmp_path / "empty.png",
        "text.png": tmp_path / "text.png",
    }
    made["truncated.jpg"].write_bytes(data[: len(data) // 2])
    png = made["good.png"].read_bytes()
    made["truncated.png"].write_bytes(png[: len(png) // 2])
    made["garbage.jpg"].write_bytes(data[:2] + bytes(range(256)) * 8)
    made["empty.png"].write_bytes(b"")
    made["text.png"].write_text("not an image\n")
    return made


@pytest.mark.parametrize(
    ("name", "corrupt"),
    [
        ("good.jpg", False),
        ("good.png", False),
        ("truncated.jpg", True),
        ("truncated.png", True),
        ("garbage.jpg", True),
        ("empty.png", True),
        ("text.png", True),
    ],
)
def test_corrupt_file(tmp_path: Path, name: str, corrupt: bool) -> None:
    path = _files(tmp_path)[name]

    flags = list(CorruptFile().run([file_input(1, path)], params={}))

    assert bool(flags) == corrupt
    assert (decode_problem(path) is not None) == corrupt
    if corrupt:
        assert flags[0].score == 1.0
        assert flags[0].reason.startswith(f"cannot decode {name}: ")


def test_checks_needing_pixels_skip_unreadable_files(tmp_path: Path) -> None:
    path = _files(tmp_path)["text.png"]

    for check in (Blur(), Exposure(), ImageShape(), MultiFrame()):
        assert list(check.run([file_input(1, path)], params={})) == []


def test_multi_frame(tmp_path: Path) -> None:
    frames = [Image.new("RGB", (20, 20), (c, 0, 0)) for c in (0, 120, 240)]
    gif = tmp_path / "a.gif"
    frames[0].save(gif, save_all=True, append_images=frames[1:], duration=100)
    pages = [Image.new("RGB", (20, 20), (c, c, c)) for c in (0, 255)]
    tiff = tmp_path / "b.tiff"
    pages[0].save(tiff, save_all=True, append_images=pages[1:])
    single = _save(Image.new("RGB", (20, 20)), tmp_path / "c.png")

    flags = by_item(
        MultiFrame().run(
            [file_input(1, gif), file_input(2, tiff), file_input(3, single)], params={}
        )
    )

    assert sorted(flags) == [1, 2]
    assert flags[1].data == {"frames": 3, "animated": True}
    assert flags[2].data == {"frames": 2, "animated": False}
    assert flags[2].reason.startswith("multi-page file with 2 frames")
