"""Reading zip archives without trusting them."""

from __future__ import annotations

import logging
import stat
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from annotary.core import Rejection
from annotary.errors import LimitExceeded

logger = logging.getLogger("annotary.ingest")

_CHUNK = 1 << 20


@dataclass(frozen=True)
class Member:
    """A zip member extracted to a local file under a name we chose."""

    name: str
    path: Path


def safe_members(
    archive: Path,
    display: str,
    *,
    tmp_dir: Path,
    max_members: int,
    max_uncompressed_bytes: int,
    refuse: Callable[[str], str | None] | None = None,
) -> Iterator[Member | Rejection]:
    """Extract the regular-file members of a zip archive one at a time.

    Members are visited sorted by name. A member whose name holds ``..``, is
    absolute, or that is a link or encrypted is rejected and never written.
    Each member is written to a new folder under ``tmp_dir``, as its base name
    only (its folders never reach the file system); the caller deletes it. A damaged
    member is rejected and the others still come through.

    ``refuse`` names a reason to skip a member by its name (an unsupported
    file type, say) before its bytes are unpacked.

    Raises:
        LimitExceeded: the archive has more members than ``max_members`` or
            its declared or actual uncompressed size passes
            ``max_uncompressed_bytes``; checked before anything is extracted.
        zipfile.BadZipFile: the archive is damaged.
    """
    with zipfile.ZipFile(archive) as zf:
        infos = sorted(zf.infolist(), key=lambda info: info.filename)
        _check_limits(display, infos, max_members, max_uncompressed_bytes)

        budget = max_uncompressed_bytes
        for index, info in enumerate(infos):
            if info.is_dir():
                continue
            source = f"{display}!{info.filename}"
            reason = _unsafe_reason(info)
            if reason:
                logger.warning("rejected zip member %s: %s", source, reason)
                yield Rejection(source=source, reason=reason)
                continue

            if is_hidden(info.filename):
                continue
            # A member the reader would refuse anyway is never extracted.
            refused = refuse(info.filename) if refuse else None
            if refused:
                yield Rejection(source=source, reason=refused)
                continue

            target = _target(tmp_dir, index, info.filename)
            try:
                budget -= _extract(zf, info, target, budget, display)
            except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
                target.unlink(missing_ok=True)
                yield Rejection(source=source, reason=f"damaged zip member: {exc}")
                continue
            except BaseException:
                target.unlink(missing_ok=True)
                raise
            yield Member(name=info.filename, path=target)


def _check_limits(
    display: str, infos: list[zipfile.ZipInfo], max_members: int, max_bytes: int
) -> None:
    if len(infos) > max_members:
        raise LimitExceeded(
            f"{display}: archive has {len(infos)} members, the limit is {max_members}",
            members=len(infos),
            max_members=max_members,
        )
    declared = sum(info.file_size for info in infos)
    if declared > max_bytes:
        raise LimitExceeded(
            f"{display}: archive unpacks to {declared} bytes, "
            f"the limit is {max_bytes} (zip bomb?)",
            uncompressed_bytes=declared,
            max_uncompressed_bytes=max_bytes,
        )


def _unsafe_reason(info: zipfile.ZipInfo) -> str | None:
    name = info.filename.replace("\\", "/")
    parts = PurePosixPath(name).parts
    if name.startswith("/") or (len(name) > 1 and name[1] == ":"):
        return "absolute path in archive"
    if ".." in parts:
        return "path with '..' in archive"
    mode = info.external_attr >> 16
    if stat.S_ISLNK(mode):
        return "symbolic link in archive"
    if mode and not stat.S_ISREG(mode) and stat.S_IFMT(mode):
        return "not a regular file"
    if info.flag_bits & 0x1:
        return "encrypted member"
    return None


def _extract(
    zf: zipfile.ZipFile, info: zipfile.ZipInfo, target: Path, budget: int, display: str
) -> int:
    written = 0
    with zf.open(info) as source, open(target, "wb") as out:
        while chunk := source.read(_CHUNK):
            written += len(chunk)
            if written > budget or written > info.file_size:
                raise LimitExceeded(
                    f"{display}!{info.filename}: unpacks to more bytes than "
                    "declared or allowed (zip bomb?)",
                    member=info.filename,
                )
            out.write(chunk)
    return written


def _target(tmp_dir: Path, index: int, name: str) -> Path:
    """A fresh folder per member, holding the member's base name when it is
    a plain one, so that the file keeps its name for whoever stores it."""
    folder = tmp_dir / f"member-{index:07d}"
    folder.mkdir()
    base = PurePosixPath(name.replace("\\", "/")).name
    if base.isprintable() and 0 < len(base.encode()) <= 200 and base != "..":
        return folder / base
    return folder / f"member{_suffix(base)}"


def _suffix(name: str) -> str:
    suffix = PurePosixPath(name).suffix.lower()
    if len(suffix) <= 16 and suffix[1:].isalnum() and suffix.isascii():
        return suffix
    return ""


def is_hidden(name: str) -> bool:
    """Whether a relative path is operating-system clutter (dot files, __MACOSX)."""
    parts = PurePosixPath(name.replace("\\", "/")).parts
    return any(part.startswith(".") or part == "__MACOSX" for part in parts)
