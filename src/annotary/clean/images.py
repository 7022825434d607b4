"""Opening images for checks, and near-duplicate images by perceptual hash."""

from __future__ import annotations

import logging
import warnings
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import imagehash
import numpy as np
from PIL import Image, ImageOps

from annotary.clean.base import CheckInput, Flag, merge_params
from annotary.clean.clusters import Member, UnionFind, cluster_flags
from annotary.clean.hashindex import hamming, hamming_pairs
from annotary.errors import InvalidInput

log = logging.getLogger("annotary.clean")

HASHES = ("phash", "dhash")
# JPEG decoding may shrink by 1/2, 1/4 or 1/8 while staying at least this big,
# in grey: plenty for a 32 x 32 hash and much faster than decoding every pixel.
DRAFT = ("L", (256, 256))


def open_upright(
    path: Path, draft: tuple[str, tuple[int, int]] | None = None
) -> Image.Image:
    """Open an image, decode it and turn it upright by its EXIF orientation.

    Args:
        path: the image file.
        draft: ``(mode, size)`` to let JPEG decode straight to that mode at the
            smallest scale (1/2, 1/4, 1/8) still at least ``size``.

    Raises:
        OSError: the file cannot be read or decoded (PIL's errors derive from it).
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        with Image.open(path) as image:
            if draft is not None:
                image.draft(*draft)
            image.load()
            return ImageOps.exif_transpose(image)


@dataclass(frozen=True, slots=True)
class ImageHashes:
    """A 64-bit perceptual hash of an image and of its mirror image."""

    value: int
    mirrored: int


def hash_image(image: Image.Image, method: str = "phash") -> ImageHashes:
    """The 64-bit ``phash`` or ``dhash`` (imagehash) of an image and its mirror.

    The image is reduced to the hash's working size once; the mirrored hash
    flips that small grey image, so it costs little more than the first.

    Example:
        >>> hashes = hash_image(Image.open("photo.jpg"))
        >>> f"{hashes.value:016x}"
        'c3b1e1e0f0f8783c'
    """
    size = {"phash": (32, 32), "dhash": (9, 8)}.get(method)
    if size is None:
        raise InvalidInput(f"unknown image hash {method!r}; known: phash, dhash")
    function = imagehash.phash if method == "phash" else imagehash.dhash

    small = image.convert("L").resize(size, Image.Resampling.LANCZOS)
    mirror = small.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    return ImageHashes(_to_int(function(small)), _to_int(function(mirror)))


def _to_int(value: imagehash.ImageHash) -> int:
    return int.from_bytes(np.packbits(value.hash.flatten()).tobytes(), "big")


class NearDuplicateImages:
    """Images whose perceptual hashes differ in at most ``max_distance`` bits.

    Pairs are found with a multi-index hash table (:mod:`hashindex`), joined
    into clusters by union-find. An image also matches another whose mirror
    image is within ``mirror_distance`` bits of it (phash and dhash are not
    mirror-invariant); the mirrored look-up cannot halve its work as the
    self-join does, so it searches a smaller radius.
    ``data`` holds each member's hash and its distance to the representative.

    Parameters: ``hash`` ("phash" or "dhash"), ``max_distance`` in bits (12:
    5% crops of real photos measured up to 12, different photos 18 and up),
    ``mirror_distance`` in bits (8; None turns the mirrored look-up off).
    """

    name = "near-duplicate-images.v1"
    kinds = frozenset({"image"})
    defaults: dict[str, Any] = {
        "hash": "phash",
        "max_distance": 12,
        "mirror_distance": 8,
    }
    nullable_params = frozenset({"mirror_distance"})

    def run(
        self, inputs: Iterable[CheckInput], *, params: dict[str, Any]
    ) -> Iterator[Flag]:
        settings = merge_params(
            self.name, self.defaults, params, nullable=self.nullable_params
        )
        ids, hashes = self._hash_all(inputs, settings["hash"])
        if len(ids) < 2:
            return

        values = np.array([h.value for h in hashes], dtype=np.uint64)
        mirrored = np.array([h.mirrored for h in hashes], dtype=np.uint64)
        radius = settings["max_distance"]
        reach = settings["mirror_distance"]
        if reach is None:
            groups = cluster_hashes(values, radius)
        else:
            groups = cluster_hashes(values, radius, mirrored, reach)
        for members in groups:
            yield from self._flags(ids, hashes, members)

    def _hash_all(
        self, inputs: Iterable[CheckInput], method: str
    ) -> tuple[list[int], list[ImageHashes]]:
        ids: list[int] = []
        hashes: list[ImageHashes] = []
        for entry in inputs:
            if entry.path is None:
                continue
            try:
                image = open_upright(entry.path, draft=DRAFT)
            except (OSError, ValueError) as error:
                log.info("item %s: not hashed, %s", entry.item.id, error)
                continue
            ids.append(entry.item.id)
            hashes.append(hash_image(image, method))
        log.info("hashed %s images with %s", len(hashes), method)
        return ids, hashes

    def _flags(
        self, ids: list[int], hashes: list[ImageHashes], members: list[int]
    ) -> Iterator[Flag]:
        first = min(members, key=lambda m: ids[m])
        reference = hashes[first].value
        found: list[Member] = []
        for member in members:
            direct = hamming(hashes[member].value, reference)
            flipped = hamming(hashes[member].mirrored, reference)
            distance = min(direct, flipped)
            what = "mirror image of" if flipped < direct else "looks like"
            found.append(
                (
                    ids[member],
                    1.0 - distance / 64,
                    f"{what} item {ids[first]} (distance {distance})",
                    {
                        "distance": distance,
                        "mirrored": flipped < direct,
                        "hash": f"{hashes[member].value:016x}",
                    },
                )
            )
        yield from cluster_flags(self.name, found)


def cluster_hashes(
    values: np.ndarray,
    radius: int,
    mirrored: np.ndarray | None = None,
    mirror_radius: int | None = None,
) -> list[list[int]]:
    """Clusters of positions whose 64-bit hashes are within ``radius`` bits.

    Equal hashes are joined first, so a thousand copies of one picture cost
    one lookup, not a million comparisons; the distinct hashes are then
    paired by :func:`hamming_pairs` and joined by union-find. With
    ``mirrored`` (the hashes of the mirror images), an image also joins those
    its mirror image is within ``mirror_radius`` of (default ``radius``).

    Example:
        >>> cluster_hashes(np.array([0, 3, 2**64 - 1, 0], dtype=np.uint64), 2)
        [[0, 1, 3]]
    """
    unique, inverse = np.unique(values, return_inverse=True)
    sets = UnionFind(len(values))

    first_of = np.full(len(unique), -1, dtype=np.int64)
    for position, slot in enumerate(inverse.tolist()):
        if first_of[slot] < 0:
            first_of[slot] = position
        else:
            sets.union(int(first_of[slot]), position)

    i, j, _ = hamming_pairs(unique, radius)
    for a, b in zip(first_of[i].tolist(), first_of[j].tolist(), strict=True):
        sets.union(a, b)

    if mirrored is not None:
        reach = radius if mirror_radius is None else mirror_radius
        i, j, _ = hamming_pairs(unique, reach, queries=mirrored)
        for a, b in zip(i.tolist(), first_of[j].tolist(), strict=True):
            sets.union(a, b)
    return sets.groups()


near_duplicate_images = NearDuplicateImages()
