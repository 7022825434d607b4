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
from annotary.clean.clusters import UnionFind, cluster_flags
from annotary.clean.hashindex import hamming, hamming_pairs
from annotary.errors import InvalidInput

log = logging.getLogger("annotary.clean")

HASHES = ("phash", "dhash")
# JPEG decoding may shrink by 1/2, 1/4 or 1/8 while staying at least this big:
# plenty for a 32 x 32 hash and much faster than decoding every pixel.
DRAFT_SIZE = (256, 256)


def open_upright(path: Path, draft: tuple[int, int] | None = None) -> Image.Image:
    """Open an image and turn it upright by its EXIF orientation.

    Raises:
        OSError: the file cannot be read or decoded (PIL's errors derive from it).
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        image = Image.open(path)
        if draft is not None:
            image.draft("RGB", draft)
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
    into clusters by union-find. With ``mirror`` an image also matches the
    mirror image of another (phash and dhash are not mirror-invariant).
    ``data`` holds each member's hash and its distance to the representative.
    """

    name = "near-duplicate-images.v1"
    kinds = frozenset({"image"})
    defaults: dict[str, Any] = {"hash": "phash", "max_distance": 12, "mirror": True}

    def run(
        self, inputs: Iterable[CheckInput], *, params: dict[str, Any]
    ) -> Iterator[Flag]:
        settings = merge_params(self.name, self.defaults, params)
        ids, hashes = self._hash_all(inputs, settings["hash"])
        if len(ids) < 2:
            return

        values = np.array([h.value for h in hashes], dtype=np.uint64)
        mirrored = np.array([h.mirrored for h in hashes], dtype=np.uint64)
        radius = settings["max_distance"]
        groups = cluster_hashes(
            values, radius, mirrored if settings["mirror"] else None
        )
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
                image = open_upright(entry.path, draft=DRAFT_SIZE)
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
        ref = hashes[first]
        scores: dict[int, float] = {}
        reasons: dict[int, str] = {}
        data: dict[int, dict[str, Any]] = {}
        for member in members:
            mine = hashes[member]
            direct = hamming(mine.value, ref.value)
            flipped = hamming(mine.mirrored, ref.value)
            distance = min(direct, flipped)
            item_id = ids[member]
            scores[item_id] = 1.0 - distance / 64
            reasons[item_id] = f"looks like item {ids[first]} (distance {distance})"
            if flipped < direct:
                reasons[item_id] = (
                    f"mirror image of item {ids[first]} (distance {distance})"
                )
            data[item_id] = {
                "distance": distance,
                "mirrored": flipped < direct,
                "hash": f"{mine.value:016x}",
            }
        member_ids = [ids[m] for m in members]
        yield from cluster_flags(self.name, member_ids, scores, reasons, data)


def cluster_hashes(
    values: np.ndarray, radius: int, mirrored: np.ndarray | None = None
) -> list[list[int]]:
    """Clusters of positions whose 64-bit hashes are within ``radius`` bits.

    Equal hashes are joined first, so a thousand copies of one picture cost
    one lookup, not a million comparisons; the distinct hashes are then
    paired by :func:`hamming_pairs` and joined by union-find. With
    ``mirrored`` (the hashes of the mirror images), an image also joins those
    its mirror image is near.

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
        i, j, _ = hamming_pairs(unique, radius, queries=mirrored)
        for a, b in zip(i.tolist(), first_of[j].tolist(), strict=True):
            sets.union(a, b)
    return sets.groups()


near_duplicate_images = NearDuplicateImages()
