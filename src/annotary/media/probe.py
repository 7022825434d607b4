"""Probing image files: upright size, format, frames, and the limits that guard them."""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, UnidentifiedImageError

from annotary.errors import AnnotaryError, FormatError, LimitExceeded

logger = logging.getLogger("annotary.media")

DEFAULT_MAX_PIXELS = 178_956_970

# Pillow's format name -> (our format name, MIME type, canonical extension).
IMAGE_FORMATS: dict[str, tuple[str, str, str]] = {
    "JPEG": ("jpeg", "image/jpeg", ".jpg"),
    "MPO": ("jpeg", "image/jpeg", ".jpg"),
    "PNG": ("png", "image/png", ".png"),
    "WEBP": ("webp", "image/webp", ".webp"),
    "TIFF": ("tiff", "image/tiff", ".tiff"),
    "BMP": ("bmp", "image/bmp", ".bmp"),
    "GIF": ("gif", "image/gif", ".gif"),
}

# MPO (multi-picture JPEG from cameras) is opened by the JPEG plugin.
_OPENERS = ["JPEG", "PNG", "WEBP", "TIFF", "BMP", "GIF"]

IMAGE_EXTENSIONS = frozenset(
    {".jpg", ".jpeg", ".jpe", ".png", ".webp", ".tif", ".tiff", ".bmp", ".gif"}
)

_EXIF_ORIENTATION = 0x0112
_SWAPPING_ORIENTATIONS = frozenset({5, 6, 7, 8})


@dataclass(frozen=True)
class ImageInfo:
    """What probing an image found.

    ``width`` and ``height`` are the upright size: the stored size with the
    EXIF orientation applied, which is the size every coordinate refers to.
    """

    width: int
    height: int
    format: str
    mime: str
    extension: str
    frames: int = 1
    orientation: int = 1
    stored_width: int = 0
    stored_height: int = 0


def probe_image(
    path: Path, *, max_pixels: int = DEFAULT_MAX_PIXELS, name: str | None = None
) -> ImageInfo:
    """Probe an image file and decode it once to prove it is not corrupt.

    Args:
        path: the image file.
        max_pixels: images with more pixels than this are refused before
            their pixel data is decoded (decompression bombs).
        name: how error messages name the file (defaults to ``path``).

    Returns:
        The upright size (EXIF orientation applied), format, MIME type and
        frame count (GIF, WebP and TIFF may hold several; items use the first).

    Raises:
        LimitExceeded: the image has more than ``max_pixels`` pixels.
        FormatError: the file is not a supported image or is corrupt.

    Example:
        >>> info = probe_image(Path("photo.jpg"), max_pixels=50_000_000)
        >>> (info.width, info.height)  # a 40x30 JPEG with orientation 6
        (30, 40)
    """
    shown = name or str(path)
    try:
        return _probe(path, max_pixels, shown)
    except AnnotaryError:
        raise
    except Image.DecompressionBombError as exc:
        raise LimitExceeded(
            f"{shown}: image is too large to decode safely ({exc})",
            path=shown,
            max_pixels=max_pixels,
        ) from exc
    except UnidentifiedImageError as exc:
        raise FormatError(
            f"{shown}: not a supported image (jpg, png, webp, tiff, bmp, gif)",
            path=shown,
        ) from exc
    except Exception as exc:  # Pillow raises many types for corrupt data.
        raise FormatError(
            f"{shown}: corrupt image: {type(exc).__name__}: {exc}", path=shown
        ) from exc


def _probe(path: Path, max_pixels: int, shown: str) -> ImageInfo:
    with warnings.catch_warnings():
        # Our own limit below decides; Pillow's warning would only repeat it.
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        with Image.open(path, formats=_OPENERS) as image:
            stored_width, stored_height = image.size
            _check_pixels(shown, stored_width, stored_height, max_pixels)

            frames = int(getattr(image, "n_frames", 1))
            image.seek(0)
            _decode(image)
            orientation = _orientation(image)
            name, mime, extension = IMAGE_FORMATS[str(image.format)]

    width, height = stored_width, stored_height
    if orientation in _SWAPPING_ORIENTATIONS:
        width, height = height, width

    return ImageInfo(
        width=width,
        height=height,
        format=name,
        mime=mime,
        extension=extension,
        frames=frames,
        orientation=orientation,
        stored_width=stored_width,
        stored_height=stored_height,
    )


def _check_pixels(shown: str, width: int, height: int, max_pixels: int) -> None:
    if width <= 0 or height <= 0:
        raise FormatError(f"{shown}: image has no pixels ({width}x{height})")
    if width * height > max_pixels:
        raise LimitExceeded(
            f"{shown}: image is {width}x{height} = {width * height} pixels, "
            f"more than the limit of {max_pixels} (decompression bomb?)",
            path=shown,
            pixels=width * height,
            max_pixels=max_pixels,
        )


def _decode(image: Image.Image) -> None:
    """Decode the pixel data so that truncated or corrupt files are caught."""
    if image.format in ("JPEG", "MPO"):
        # Decoding at 1/8 scale still walks all the entropy-coded data.
        image.draft("RGB", (max(1, image.width // 8), max(1, image.height // 8)))
    image.load()


def _orientation(image: Image.Image) -> int:
    value = image.getexif().get(_EXIF_ORIENTATION, 1)
    if isinstance(value, int) and 1 <= value <= 8:
        return value
    logger.warning("ignoring invalid EXIF orientation %r", value)
    return 1
