"""A content-addressed local media folder."""

from __future__ import annotations

import hashlib
import logging
import mimetypes
import os
import shutil
import tempfile
from pathlib import Path, PurePosixPath
from typing import BinaryIO

from annotary.core import MediaRef
from annotary.errors import InvalidInput, NotFound
from annotary.media.probe import DEFAULT_MAX_PIXELS, IMAGE_EXTENSIONS, probe_image

logger = logging.getLogger("annotary.media")

_CHUNK = 1 << 20


class MediaStore:
    """Files stored once by the SHA-256 of their bytes, under a local root.

    A file lands at ``root/ab/cd/<sha256><ext>``, where ``ab`` and ``cd`` are
    the first two byte pairs of the hash. Writes go to a temporary file in the
    same folder tree and are renamed into place, so a reader never sees half a
    file and storing the same bytes twice is a no-op. Images are probed (and
    refused when corrupt or over the pixel limit) before they are stored.

    Example:
        >>> store = MediaStore(Path("workspace/media"))
        >>> ref = store.put_file(Path("cat.jpg"))
        >>> store.local_path(ref).read_bytes() == Path("cat.jpg").read_bytes()
        True
    """

    def __init__(self, root: Path, *, max_image_pixels: int = DEFAULT_MAX_PIXELS):
        self.root = Path(root)
        self.max_image_pixels = max_image_pixels
        self._tmp = self.root / ".tmp"

    def put_file(
        self,
        path: Path,
        *,
        original_name: str | None = None,
        max_pixels: int | None = None,
    ) -> MediaRef:
        """Store a local file and return its reference.

        Args:
            path: the file to copy in; it is left where it is.
            original_name: the name to remember (defaults to the file name);
                its extension decides how non-image files are stored.
            max_pixels: the pixel limit for this file (defaults to the
                store's ``max_image_pixels``).

        Raises:
            FormatError: an image file is corrupt or not a supported image.
            LimitExceeded: an image has more pixels than the store allows.
        """
        path = Path(path)
        name = original_name or path.name
        with open(path, "rb") as source:
            return self._put(source, name, max_pixels or self.max_image_pixels)

    def put_bytes(self, data: bytes, *, name: str) -> MediaRef:
        """Store bytes under the name they came with; see `put_file`."""
        tmp = self._new_temp()
        try:
            with open(tmp, "wb") as out:
                out.write(data)
            digest = hashlib.sha256(data).hexdigest()
            return self._commit(tmp, digest, len(data), name, self.max_image_pixels)
        finally:
            tmp.unlink(missing_ok=True)

    def open(self, ref: MediaRef | str) -> BinaryIO:
        """Open stored bytes for reading."""
        return open(self.local_path(ref), "rb")

    def local_path(self, ref: MediaRef | str) -> Path:
        """The absolute local path of a stored file.

        Raises:
            InvalidInput: the reference points outside the store.
            NotFound: nothing is stored there.
        """
        relative = ref.path if isinstance(ref, MediaRef) else ref
        parts = PurePosixPath(relative).parts
        if not parts or PurePosixPath(relative).is_absolute() or ".." in parts:
            raise InvalidInput(f"media path {relative!r} points outside the store")

        path = self.root.joinpath(*parts)
        if not path.is_file():
            raise NotFound(f"media file {relative!r} is not in the store")
        return path

    def _put(self, source: BinaryIO, name: str, max_pixels: int) -> MediaRef:
        tmp = self._new_temp()
        try:
            digest = hashlib.sha256()
            size = 0
            with open(tmp, "wb") as out:
                while chunk := source.read(_CHUNK):
                    digest.update(chunk)
                    out.write(chunk)
                    size += len(chunk)
            return self._commit(tmp, digest.hexdigest(), size, name, max_pixels)
        finally:
            tmp.unlink(missing_ok=True)

    def _commit(
        self, tmp: Path, sha256: str, size: int, name: str, max_pixels: int
    ) -> MediaRef:
        ref = _describe(tmp, sha256, size, name, max_pixels)

        target = self.root / ref.path
        if target.is_file():
            logger.debug("media %s already stored", ref.path)
            return ref

        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(tmp, target)
        return ref

    def _new_temp(self) -> Path:
        self._tmp.mkdir(parents=True, exist_ok=True)
        handle, name = tempfile.mkstemp(dir=self._tmp, prefix="put-")
        os.close(handle)
        return Path(name)

    def remove_temporary_files(self) -> None:
        """Delete temporary files left behind by an interrupted process."""
        shutil.rmtree(self._tmp, ignore_errors=True)


def _describe(
    tmp: Path, sha256: str, size: int, name: str, max_pixels: int
) -> MediaRef:
    extension = PurePosixPath(name).suffix.lower()
    if extension in IMAGE_EXTENSIONS:
        info = probe_image(tmp, max_pixels=max_pixels, name=name)
        return MediaRef(
            path=_relative_path(sha256, info.extension),
            sha256=sha256,
            size=size,
            mime=info.mime,
            format=info.format,
            width=info.width,
            height=info.height,
            frames=info.frames,
            original_name=name,
        )

    return MediaRef(
        path=_relative_path(sha256, _safe_extension(extension)),
        sha256=sha256,
        size=size,
        mime=mimetypes.guess_type(name)[0],
        format=extension.lstrip(".") or None,
        original_name=name,
    )


def _relative_path(sha256: str, extension: str) -> str:
    return f"{sha256[:2]}/{sha256[2:4]}/{sha256}{extension}"


def _safe_extension(extension: str) -> str:
    if len(extension) <= 16 and extension[1:].isalnum() and extension.isascii():
        return extension
    return ""
