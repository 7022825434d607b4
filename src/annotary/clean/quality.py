"""Image quality: blur, exposure, size and shape, corrupt and multi-frame files."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageFile
from scipy import ndimage

from annotary.clean.base import CheckInput, Flag, merge_params
from annotary.clean.images import open_upright

log = logging.getLogger("annotary.clean")

# Sharpness and brightness are measured on at most this many pixels along the
# longest side, so a 40-megapixel photo costs about what a 1-megapixel one does.
WORKING_SIDE = 1024


def grey_pixels(image: Image.Image, max_side: int = WORKING_SIDE) -> np.ndarray:
    """The image as float32 grey levels 0..255, reduced by a whole factor if large."""
    factor = -(-max(image.size) // max_side)
    if factor > 1:
        image = image.reduce(factor)
    return np.asarray(image.convert("L"), dtype=np.float32)


def laplacian_variance(pixels: np.ndarray) -> float:
    """Variance of the 4-neighbour Laplacian of a grey image: low means blurred.

    Example:
        >>> laplacian_variance(np.zeros((8, 8), dtype=np.float32))
        0.0
    """
    return float(ndimage.laplace(pixels, mode="reflect").var())


def _pixels(entry: CheckInput) -> np.ndarray | None:
    if entry.path is None:
        return None
    try:
        return grey_pixels(open_upright(entry.path))
    except (OSError, ValueError, Image.DecompressionBombError) as error:
        log.info("item %s: pixels not read, %s", entry.item.id, error)
        return None


class Blur:
    """Images whose variance of the Laplacian is below ``threshold``.

    The measure is taken on grey levels 0..255, after reducing images whose
    longest side exceeds 1024 pixels; ``score`` grows from 0 at the threshold
    to 1 for a flat image.

    Parameters: ``threshold`` (15.0; Gaussian blur of radius 2 brings typical
    photos below 11, sharp ones measure 24 and up).
    """

    name = "blur.v1"
    per_item = True  # judges each item alone: runs over chunks
    kinds = frozenset({"image"})
    defaults: dict[str, Any] = {"threshold": 15.0}

    def run(
        self, inputs: Iterable[CheckInput], *, params: dict[str, Any]
    ) -> Iterator[Flag]:
        threshold = float(merge_params(self.name, self.defaults, params)["threshold"])
        for entry in inputs:
            pixels = _pixels(entry)
            if pixels is None:
                continue
            variance = laplacian_variance(pixels)
            if variance < threshold:
                yield Flag(
                    item_id=entry.item.id,
                    check=self.name,
                    score=1.0 - variance / threshold,
                    reason=f"blurred: Laplacian variance {variance:.1f} "
                    f"< {threshold:g}",
                    data={"laplacian_variance": variance, "threshold": threshold},
                )


class Exposure:
    """Images too dark or overexposed, by mean grey level (0..255).

    Parameters: ``dark_below`` (40) and ``bright_above`` (215), grey levels.
    """

    name = "exposure.v1"
    per_item = True  # judges each item alone: runs over chunks
    kinds = frozenset({"image"})
    defaults: dict[str, Any] = {"dark_below": 40.0, "bright_above": 215.0}

    def run(
        self, inputs: Iterable[CheckInput], *, params: dict[str, Any]
    ) -> Iterator[Flag]:
        settings = merge_params(self.name, self.defaults, params)
        dark, bright = float(settings["dark_below"]), float(settings["bright_above"])
        for entry in inputs:
            pixels = _pixels(entry)
            if pixels is None:
                continue
            mean = float(pixels.mean())
            data = {
                "mean": mean,
                "clipped_dark": float((pixels <= 5).mean()),
                "clipped_bright": float((pixels >= 250).mean()),
            }
            if mean < dark:
                score, reason = (dark - mean) / dark, "too dark"
            elif mean > bright:
                score, reason = (mean - bright) / (255.0 - bright), "overexposed"
            else:
                continue
            yield Flag(
                item_id=entry.item.id,
                check=self.name,
                score=min(1.0, score),
                reason=f"{reason}: mean grey level {mean:.1f}",
                data=data,
            )


def _size(entry: CheckInput) -> tuple[int, int] | None:
    media = entry.item.media
    if media is not None and media.width and media.height:
        return media.width, media.height
    if entry.path is None:
        return None
    try:
        with Image.open(entry.path) as image:
            width, height = image.size
            orientation = image.getexif().get(0x0112, 1)
    except (OSError, ValueError) as error:
        log.info("item %s: size not read, %s", entry.item.id, error)
        return None
    return (height, width) if orientation in (5, 6, 7, 8) else (width, height)


class ImageShape:
    """Images smaller than a minimum size, or of an extreme aspect ratio.

    Uses the probed upright size on the item when present, else the file's
    header (no decoding).

    Parameters: ``min_width`` and ``min_height`` in pixels (32 each),
    ``max_aspect`` the longest over the shortest side (5.0).
    """

    name = "image-shape.v1"
    per_item = True  # judges each item alone: runs over chunks
    kinds = frozenset({"image"})
    defaults: dict[str, Any] = {"min_width": 32, "min_height": 32, "max_aspect": 5.0}

    def run(
        self, inputs: Iterable[CheckInput], *, params: dict[str, Any]
    ) -> Iterator[Flag]:
        settings = merge_params(self.name, self.defaults, params)
        for entry in inputs:
            size = _size(entry)
            if size is not None:
                yield from self._judge(entry.item.id, *size, settings)

    def _judge(
        self, item_id: int, width: int, height: int, settings: dict[str, Any]
    ) -> Iterator[Flag]:
        min_w, min_h = settings["min_width"], settings["min_height"]
        aspect = max(width, height) / max(1, min(width, height))
        data = {"width": width, "height": height, "aspect": aspect}

        if width < min_w or height < min_h:
            yield Flag(
                item_id=item_id,
                check=self.name,
                score=1.0 - min(1.0, width / min_w, height / min_h),
                reason=f"too small: {width} x {height} < {min_w} x {min_h}",
                data={**data, "problem": "small"},
            )
        elif aspect > settings["max_aspect"]:
            yield Flag(
                item_id=item_id,
                check=self.name,
                score=1.0 - settings["max_aspect"] / aspect,
                reason=f"extreme aspect ratio {aspect:.1f}:1 ({width} x {height})",
                data={**data, "problem": "aspect"},
            )


def decode_problem(path: Path) -> str | None:
    """Why the file cannot be fully decoded as an image, or None if it can.

    The header and structure are checked by Pillow's ``verify``, then every
    pixel of the first frame is decoded; truncated files fail there.
    """
    if ImageFile.LOAD_TRUNCATED_IMAGES:
        log.warning(
            "PIL.ImageFile.LOAD_TRUNCATED_IMAGES is set: truncation goes unseen"
        )
    try:
        with Image.open(path) as image:
            image.verify()
        with Image.open(path) as image:
            image.load()
    except Image.DecompressionBombError as error:
        return f"too many pixels to decode safely: {error}"
    except (OSError, ValueError, SyntaxError, EOFError) as error:
        return str(error) or type(error).__name__
    return None


class CorruptFile:
    """Files that cannot be opened or fully decoded as images (score 1)."""

    name = "corrupt-file.v1"
    per_item = True  # judges each item alone: runs over chunks
    kinds = frozenset({"image"})
    defaults: dict[str, Any] = {}

    def run(
        self, inputs: Iterable[CheckInput], *, params: dict[str, Any]
    ) -> Iterator[Flag]:
        merge_params(self.name, self.defaults, params)
        for entry in inputs:
            if entry.path is None:
                continue
            problem = decode_problem(entry.path)
            if problem is not None:
                yield Flag(
                    item_id=entry.item.id,
                    check=self.name,
                    score=1.0,
                    reason=f"cannot decode {entry.path.name}: {problem}",
                    data={"error": problem},
                )


class MultiFrame:
    """Animated images (GIF, APNG, WebP) and multi-page files (TIFF)."""

    name = "multi-frame.v1"
    per_item = True  # judges each item alone: runs over chunks
    kinds = frozenset({"image"})
    defaults: dict[str, Any] = {}

    def run(
        self, inputs: Iterable[CheckInput], *, params: dict[str, Any]
    ) -> Iterator[Flag]:
        merge_params(self.name, self.defaults, params)
        for entry in inputs:
            if entry.path is None:
                continue
            try:
                with Image.open(entry.path) as image:
                    frames = getattr(image, "n_frames", 1)
                    animated = bool(getattr(image, "is_animated", False))
            except (OSError, ValueError) as error:
                log.info("item %s: frames not counted, %s", entry.item.id, error)
                continue
            if frames > 1:
                what = (
                    "animated" if animated and image.format != "TIFF" else "multi-page"
                )
                yield Flag(
                    item_id=entry.item.id,
                    check=self.name,
                    score=0.5,
                    reason=f"{what} file with {frames} frames; only the first is shown",
                    data={"frames": frames, "animated": what == "animated"},
                )


blur = Blur()
exposure = Exposure()
image_shape = ImageShape()
corrupt_file = CorruptFile()
multi_frame = MultiFrame()
