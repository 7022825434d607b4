"""Near-duplicate images, proven on real photos and degraded copies of them."""

from __future__ import annotations

import io
from itertools import combinations
from pathlib import Path

import imagehash
import numpy as np
import pytest
from PIL import Image, ImageFilter

from annotary.clean.base import CheckInput, Flag, suggest_decisions
from annotary.clean.images import NearDuplicateImages, cluster_hashes, hash_image
from annotary.clean.quality import Blur
from annotary.errors import InvalidInput
from tests.clean.helpers import assert_storable, by_item, file_input

# Photographs bundled with scikit-image (no download needed). ``cat`` is the
# same photo as ``chelsea`` and is left out; synthetic patterns are not photos.
PHOTOS = [
    "astronaut",
    "camera",
    "coffee",
    "chelsea",
    "rocket",
    "coins",
    "moon",
    "page",
    "retina",
    "immunohistochemistry",
    "clock",
    "hubble_deep_field",
]
COPIES = ["blur", "half", "jpeg30", "crop", "mirror"]


def _photos() -> dict[str, Image.Image]:
    data = pytest.importorskip("skimage.data")
    photos = {name: Image.fromarray(getattr(data, name)()) for name in PHOTOS}
    try:
        from matplotlib import cbook

        with cbook.get_sample_data("grace_hopper.jpg") as handle:
            photos["grace_hopper"] = Image.open(handle).convert("RGB")
    except (ImportError, OSError, ValueError):
        pass
    return photos


def _degrade(image: Image.Image, how: str) -> Image.Image:
    width, height = image.size
    if how == "blur":
        return image.filter(ImageFilter.GaussianBlur(3))
    if how == "half":
        return image.resize((width // 2, height // 2), Image.Resampling.LANCZOS)
    if how == "jpeg30":
        buffer = io.BytesIO()
        image.convert("RGB").save(buffer, "JPEG", quality=30)
        return Image.open(io.BytesIO(buffer.getvalue()))
    if how == "crop":
        # 5% of the width and of the height cut away, half on each side.
        dx, dy = round(width * 0.025), round(height * 0.025)
        return image.crop((dx, dy, width - dx, height - dy))
    return image.transpose(Image.Transpose.FLIP_LEFT_RIGHT)


@pytest.fixture(scope="module")
def photo_set(tmp_path_factory: pytest.TempPathFactory) -> list[tuple[str, str, Path]]:
    """(photo, variant, file) for each original and each degraded copy."""
    folder = tmp_path_factory.mktemp("photos")
    made: list[tuple[str, str, Path]] = []
    for name, image in _photos().items():
        path = folder / f"{name}.png"
        image.save(path, compress_level=1)
        made.append((name, "original", path))
        for how in COPIES:
            path = folder / f"{name}-{how}.{'jpg' if how == 'jpeg30' else 'png'}"
            copy = _degrade(image, how)
            if how == "jpeg30":
                copy.save(path, "JPEG", quality=30)
            else:
                copy.save(path, compress_level=1)
            made.append((name, how, path))
    return made


def _inputs(photo_set: list[tuple[str, str, Path]]) -> list[CheckInput]:
    return [file_input(n + 1, path) for n, (_, _, path) in enumerate(photo_set)]


def _cluster_of(flags: list[Flag], count: int) -> list[str]:
    """Each item's cluster; an unflagged item is alone in its own."""
    found = by_item(flags)
    return [
        found[i].cluster if i in found and found[i].cluster else f"alone-{i}"
        for i in range(1, count + 1)
    ]


def _precision_recall(
    truth: list[str], clusters: list[str]
) -> tuple[float, float, int, int]:
    pairs = list(combinations(range(len(truth)), 2))
    same = {p for p in pairs if truth[p[0]] == truth[p[1]]}
    found = {p for p in pairs if clusters[p[0]] == clusters[p[1]]}
    hits = len(same & found)
    return hits / max(1, len(found)), hits / len(same), len(found), len(same)


def test_every_copy_joins_its_original(
    photo_set: list[tuple[str, str, Path]], capsys: pytest.CaptureFixture[str]
) -> None:
    inputs = _inputs(photo_set)

    flags = list(NearDuplicateImages().run(inputs, params={}))

    clusters = _cluster_of(flags, len(inputs))
    truth = [name for name, _, _ in photo_set]
    for (name, how, _), cluster in zip(photo_set, clusters, strict=True):
        original = clusters[truth.index(name)]
        assert cluster == original, f"{name} {how} left its original's cluster"
    originals = [
        c
        for (_, how, _), c in zip(photo_set, clusters, strict=True)
        if how == "original"
    ]
    assert len(set(originals)) == len(originals), "two different photos share a cluster"

    precision, recall, found, same = _precision_recall(truth, clusters)
    with capsys.disabled():
        print(
            f"\nnear-duplicate-images.v1 on {len(originals)} photos x "
            f"{len(COPIES) + 1} variants: precision {precision:.3f}, recall "
            f"{recall:.3f} ({found} pairs found, {same} true pairs)"
        )
    assert (precision, recall) == (1.0, 1.0)
    assert_storable(flags)


def test_flags_name_the_original_and_the_mirror(
    photo_set: list[tuple[str, str, Path]],
) -> None:
    flags = by_item(NearDuplicateImages().run(_inputs(photo_set), params={}))

    for n, (_, how, _) in enumerate(photo_set, start=1):
        if how == "original":
            assert flags[n].data["representative"] == n
            assert flags[n].score == 0.0
            continue
        first = flags[n].data["representative"]
        assert photo_set[first - 1][1] == "original"
        assert flags[n].data["mirrored"] == (how == "mirror")
        assert flags[n].data["distance"] <= 12
        assert flags[n].score == 1 - flags[n].data["distance"] / 64


def test_phash_is_not_mirror_invariant(photo_set: list[tuple[str, str, Path]]) -> None:
    # Without the mirrored look-up, mirrored copies stay apart: phash changes
    # under a left-right flip. Every other copy still joins its original.
    inputs = _inputs(photo_set)

    flags = list(NearDuplicateImages().run(inputs, params={"mirror_distance": None}))

    clusters = _cluster_of(flags, len(inputs))
    truth = [name for name, _, _ in photo_set]
    for (name, how, _), cluster in zip(photo_set, clusters, strict=True):
        joined = cluster == clusters[truth.index(name)]
        assert joined == (how != "mirror"), f"{name} {how}"


def test_keep_one_per_photo(photo_set: list[tuple[str, str, Path]]) -> None:
    flags = list(NearDuplicateImages().run(_inputs(photo_set), params={}))

    decisions = suggest_decisions(flags)

    kept = sorted(photo_set[i - 1][0] for i, d in decisions.items() if d == "keep")
    assert kept == sorted({name for name, _, _ in photo_set})
    assert all(
        photo_set[i - 1][1] == "original" for i, d in decisions.items() if d == "keep"
    )


def test_blurred_copies_get_the_blur_flag(
    photo_set: list[tuple[str, str, Path]],
) -> None:
    flags = by_item(Blur().run(_inputs(photo_set), params={}))

    blurred = {n for n, (_, how, _) in enumerate(photo_set, start=1) if how == "blur"}
    originals = {
        n for n, (_, how, _) in enumerate(photo_set, start=1) if how == "original"
    }
    assert blurred <= set(flags)
    assert not originals & set(flags)


def test_hash_matches_imagehash_phash() -> None:
    data = pytest.importorskip("skimage.data")
    image = Image.fromarray(data.astronaut())

    hashes = hash_image(image)
    mirrored = hash_image(image.transpose(Image.Transpose.FLIP_LEFT_RIGHT))

    assert f"{hashes.value:016x}" == str(imagehash.phash(image))
    assert hashes.mirrored == mirrored.value
    assert f"{hash_image(image, 'dhash').value:016x}" == str(imagehash.dhash(image))


def test_unknown_hash_is_rejected() -> None:
    with pytest.raises(InvalidInput, match="unknown image hash 'ahash'"):
        hash_image(Image.new("L", (8, 8)), "ahash")


def test_identical_and_unreadable_images(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    noise = Image.fromarray(rng.integers(0, 256, (64, 64), dtype=np.uint8))
    for name in ("a", "b", "c"):
        noise.save(tmp_path / f"{name}.png")
    Image.new("L", (64, 64)).save(tmp_path / "black.png")
    (tmp_path / "broken.png").write_bytes(b"\x89PNG broken")
    inputs = [
        file_input(n, tmp_path / f"{name}.png")
        for n, name in enumerate(["a", "black", "b", "broken", "c"], start=1)
    ]

    flags = by_item(NearDuplicateImages().run(inputs, params={"hash": "dhash"}))

    assert sorted(flags) == [1, 3, 5]
    assert {f.data["distance"] for f in flags.values()} == {0}


@pytest.mark.parametrize(
    ("values", "radius", "mirrored", "groups"),
    [
        ([0, 3, 2**64 - 1, 0], 2, None, [[0, 1, 3]]),
        ([0, 3, 2**64 - 1, 0], 1, None, [[0, 3]]),
        ([0b1111, 0, 2**64 - 1], 3, None, []),
        ([0b1111, 0, 2**64 - 1], 4, None, [[0, 1]]),
        # Item 2's mirror image is near item 0: they join through the mirror.
        ([0, 2**32 - 1, 2**64 - 1], 2, [2**64 - 1, 2**32 - 1, 1], [[0, 2]]),
        ([0, 2**32 - 1, 2**64 - 1], 2, [2**64 - 4, 2**32 - 1, 3], [[0, 2]]),
        ([5] * 1000 + [6], 0, None, [list(range(1000))]),
    ],
)
def test_cluster_hashes(
    values: list[int], radius: int, mirrored: list[int] | None, groups: list[list[int]]
) -> None:
    as_array = np.array(values, dtype=np.uint64)
    flips = None if mirrored is None else np.array(mirrored, dtype=np.uint64)

    assert cluster_hashes(as_array, radius, flips) == groups


def test_hashes_are_taken_upright_and_files_are_closed(tmp_path: Path) -> None:
    data = pytest.importorskip("skimage.data")
    upright = Image.fromarray(data.coffee())
    upright.save(tmp_path / "upright.jpg", quality=90)
    # Stored turned a quarter; EXIF orientation 6 turns it back when shown.
    exif = Image.Exif()
    exif[0x0112] = 6
    upright.transpose(Image.Transpose.ROTATE_90).save(
        tmp_path / "stored-turned.jpg", quality=90, exif=exif
    )
    frames = [upright.resize((120, 80)), Image.new("RGB", (120, 80))]
    frames[0].save(tmp_path / "anim.gif", save_all=True, append_images=frames[1:])
    inputs = [
        file_input(1, tmp_path / "upright.jpg"),
        file_input(2, tmp_path / "stored-turned.jpg"),
        file_input(3, tmp_path / "anim.gif"),
    ]

    flags = by_item(NearDuplicateImages().run(inputs, params={}))

    assert sorted(flags) == [1, 2, 3]
    assert flags[2].data["mirrored"] is False
    assert flags[3].data["distance"] <= 12


@pytest.mark.parametrize(
    ("mirror_radius", "groups"), [(2, []), (3, [[0, 1]]), (None, [[0, 1]])]
)
def test_cluster_hashes_mirror_radius(
    mirror_radius: int | None, groups: list[list[int]]
) -> None:
    # Item 0's mirror image is 3 bits from item 1; the two are 64 bits apart.
    values = np.array([0, 2**64 - 1], dtype=np.uint64)
    mirrored = np.array([(2**64 - 1) ^ 0b111, 0b111], dtype=np.uint64)

    assert cluster_hashes(values, 4, mirrored, mirror_radius) == groups
