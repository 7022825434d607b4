"""Where bytes live: a content-addressed local store, and probing."""

from annotary.media.probe import (
    DEFAULT_MAX_PIXELS,
    IMAGE_EXTENSIONS,
    ImageInfo,
    probe_image,
)
from annotary.media.store import MediaStore

__all__ = [
    "DEFAULT_MAX_PIXELS",
    "IMAGE_EXTENSIONS",
    "ImageInfo",
    "MediaStore",
    "probe_image",
]
