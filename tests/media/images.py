"""Image files built byte by byte or with Pillow, for probing and ingest tests."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

from PIL import Image

ORIENTATION = 0x0112


def jpeg(path: Path, size: tuple[int, int] = (40, 30), orientation: int = 1) -> Path:
    """A JPEG stored at ``size`` with an EXIF orientation tag."""
    image = Image.new("RGB", size, (200, 40, 40))
    exif = Image.Exif()
    exif[ORIENTATION] = orientation
    image.save(path, format="JPEG", exif=exif)
    return path


def png_header_only(path: Path, width: int, height: int) -> Path:
    """A valid PNG header declaring a huge image, followed by almost no data."""
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    data = zlib.compress(b"\x00" * 16)
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", data)
        + _chunk(b"IEND", b"")
    )
    return path


def _chunk(kind: bytes, data: bytes) -> bytes:
    crc = zlib.crc32(kind + data) & 0xFFFFFFFF
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)
