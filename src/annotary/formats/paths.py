"""Paths inside an import root, and the image files formats read or copy.

A path named inside an annotation file is only followed when it stays inside
the folder being imported: no ``..``, no absolute path, no link that leads out.
"""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path, PurePosixPath, PureWindowsPath

from PIL import Image

from annotary.core import Rejection
from annotary.errors import FormatError

_ORIENTATION_TAG = 0x0112
_SWAPPED_ORIENTATIONS = {5, 6, 7, 8}


def resolve_inside(root: Path, name: str) -> Path:
    """The file ``name`` names inside ``root``, refusing any way out of it.

    Args:
        root: The import root (a folder).
        name: A relative path as written in an annotation file, ``/`` or ``\\``.

    Returns:
        The resolved path; it may not exist.

    Raises:
        FormatError: ``name`` is absolute, has a ``..`` part, or resolves
            (through links) outside ``root``.

    Example:
        >>> resolve_inside(Path("/data"), "../etc/passwd")
        Traceback (most recent call last):
        annotary.errors.FormatError: ...
    """
    posix = PurePosixPath(name.replace("\\", "/"))
    if not name or posix.is_absolute() or PureWindowsPath(name).drive:
        raise FormatError(f"{name!r}: absolute paths are not allowed", path=name)
    if ".." in posix.parts:
        raise FormatError(f"{name!r}: '..' is not allowed in a path", path=name)

    base = root.resolve()
    target = (base / posix).resolve()
    if not target.is_relative_to(base):
        raise FormatError(f"{name!r}: leads outside the import root", path=name)
    return target


def find_file(root: Path, names: list[str], source: str) -> Path | Rejection:
    """The first of ``names`` that is a file inside ``root``, or why none is."""
    reason = f"no file {names[0]!r} under the import root" if names else "no file"
    for name in names:
        try:
            path = resolve_inside(root, name)
        except FormatError as exc:
            return Rejection(source=source, reason=exc.message)
        if path.is_file():
            return path
    return Rejection(source=source, reason=reason)


def upright_size(path: Path) -> tuple[int, int]:
    """Width and height of an image after its EXIF orientation is applied."""
    with Image.open(path) as image:
        width, height = image.size
        orientation = image.getexif().get(_ORIENTATION_TAG, 1)
    if orientation in _SWAPPED_ORIENTATIONS:
        return height, width
    return width, height


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def copy_file(source: Path, target: Path) -> None:
    """Copy bytes to ``target`` unless it is there already; folders created."""
    target.parent.mkdir(parents=True, exist_ok=True)
    if not target.exists():
        shutil.copyfile(source, target)
