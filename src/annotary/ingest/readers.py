"""Turning files, folders and zip archives into item drafts.

`read_sources` is the one entry point. It streams: one draft or rejection at a
time, constant memory whatever the number of items (a ``.json`` array file is
the exception: it is parsed whole; use JSONL for large imports).

Media files (images, audio, ...) come out one of two ways:

- with ``store=`` given, each file is probed and stored, and the draft's
  ``media`` and ``content_hash`` are filled; a corrupt image or one over the
  pixel limit becomes a rejection. This is the recommended way.
- without a store, the draft has ``file_path`` and the caller stores and
  probes it. For an archive member that file lies under ``tmp_dir`` and is
  deleted when the reader finishes or is closed: store each draft as it
  comes, not after the loop.

Either way ``external_id`` is the file's path relative to the folder or
archive it came from (its name for a single file), so that annotations that
refer to images by file name can find them.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Literal

from annotary.core import ItemDraft, Rejection, TextDraft
from annotary.core.models import DATA_KINDS
from annotary.errors import AnnotaryError, InvalidInput
from annotary.ingest import text
from annotary.ingest.archives import Member, is_hidden, safe_members
from annotary.ingest.encoding import detect_encoding
from annotary.media import DEFAULT_MAX_PIXELS, IMAGE_EXTENSIONS, MediaStore

logger = logging.getLogger("annotary.ingest")

Result = ItemDraft | TextDraft | Rejection

TEXT_EXTENSIONS = frozenset({".txt", ".csv", ".tsv", ".jsonl", ".ndjson", ".json"})
MEDIA_EXTENSIONS: dict[str, frozenset[str]] = {
    "image": IMAGE_EXTENSIONS,
    "audio": frozenset({".wav", ".mp3", ".flac", ".ogg", ".oga", ".opus", ".m4a"}),
    "video": frozenset({".mp4", ".m4v", ".webm", ".mov", ".mkv", ".avi"}),
    "pointcloud": frozenset({".pcd", ".ply", ".las", ".laz", ".bin", ".npy"}),
}
ARCHIVE_EXTENSIONS = frozenset({".zip"})
_UTF8 = frozenset({"utf-8", "utf-8-sig"})


@dataclass
class IngestOptions:
    """How to read sources.

    Attributes:
        kind: the project's data kind: "image", "text", "audio", "video" or
            "pointcloud".
        text_mode: for .txt files, one item per line or one per file.
        field: in JSONL, JSON and CSV files, the field holding the text
            (default ``text``); the other fields become item metadata.
        max_members: most members a zip archive may hold.
        max_uncompressed_bytes: most bytes a zip archive may unpack to.
        max_image_pixels: images with more pixels are rejected.
        max_text_bytes: a text item longer than this in UTF-8 is rejected.
    """

    kind: str
    text_mode: Literal["line", "file"] = "line"
    field: str | None = None
    max_members: int = 100_000
    max_uncompressed_bytes: int = 10 * 2**30
    max_image_pixels: int = DEFAULT_MAX_PIXELS
    max_text_bytes: int = text.MAX_TEXT_BYTES


@dataclass
class _Context:
    options: IngestOptions
    tmp_dir: Path
    store: MediaStore | None
    encodings: dict[str, str]
    kept_folders: list[Path] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=lambda: {"drafts": 0, "rejected": 0})


def read_sources(
    paths: Sequence[Path],
    options: IngestOptions,
    *,
    tmp_dir: Path,
    store: MediaStore | None = None,
    encodings: dict[str, str] | None = None,
) -> SourceReader:
    """Read files, folders (recursively, in sorted order) and zip archives.

    Args:
        paths: files and folders to read, in the order given.
        options: the data kind and limits; see `IngestOptions`.
        tmp_dir: a folder for archive members (created if missing); what the
            reader puts there is gone when it finishes or is closed.
        store: when given, media files are probed and stored here and their
            drafts carry ``media``; see the module docstring.
        encodings: when given, filled with ``{source: encoding}`` for every
            text file that is not UTF-8 (for the import report).

    Returns:
        A lazy iterator (a `SourceReader`) of drafts and rejections; a bad
        file or row becomes a `Rejection` naming it (``file:line``) and why,
        and reading goes on. Its ``encodings`` attribute holds the same as
        the ``encodings`` argument.

    Raises:
        InvalidInput: the options are not valid (raised at once).

    Example:
        >>> options = IngestOptions(kind="text", field="sentence")
        >>> for result in read_sources([Path("data.jsonl")], options,
        ...                             tmp_dir=Path("/tmp/x")):
        ...     print(result.source)
        data.jsonl:1
    """
    _check_options(options)
    context = _Context(
        options=options,
        tmp_dir=Path(tmp_dir),
        store=store,
        encodings=encodings if encodings is not None else {},
    )
    return SourceReader(_read_all([Path(path) for path in paths], context), context)


class SourceReader(Iterator[Result]):
    """The iterator `read_sources` returns, with what it learnt on the way.

    Attributes:
        encodings: ``{source: encoding}`` of the non-UTF-8 text files read
            so far.
        counts: ``{"drafts": n, "rejected": m}`` so far.
    """

    def __init__(self, results: Iterator[Result], context: _Context) -> None:
        self._results = results
        self.encodings = context.encodings
        self.counts = context.counts

    def __iter__(self) -> Iterator[Result]:
        # The generator itself, so that a for loop pays no extra call per item.
        return self._results

    def __next__(self) -> Result:
        return next(self._results)

    def close(self) -> None:
        """Stop reading early and release open files and temporary folders."""
        close = getattr(self._results, "close", None)
        if close is not None:
            close()


def _check_options(options: IngestOptions) -> None:
    if options.kind not in DATA_KINDS:
        kinds = ", ".join(DATA_KINDS)
        raise InvalidInput(f"kind {options.kind!r} is not one of {kinds}", field="kind")
    if options.text_mode not in ("line", "file"):
        raise InvalidInput(
            f"text_mode {options.text_mode!r} is not 'line' or 'file'",
            field="text_mode",
        )
    for name in (
        "max_members",
        "max_uncompressed_bytes",
        "max_image_pixels",
        "max_text_bytes",
    ):
        if getattr(options, name) <= 0:
            raise InvalidInput(f"{name} must be positive", field=name)


def _read_all(paths: list[Path], context: _Context) -> Iterator[Result]:
    context.tmp_dir.mkdir(parents=True, exist_ok=True)
    logger.info("reading %s source(s) as %s", len(paths), context.options.kind)
    counts = context.counts
    try:
        for path in paths:
            for result in _read_path(path, context):
                if type(result) is Rejection:
                    counts["rejected"] += 1
                else:
                    counts["drafts"] += 1
                yield result
    finally:
        for folder in context.kept_folders:
            shutil.rmtree(folder, ignore_errors=True)
    logger.info("read %s draft(s), rejected %s", counts["drafts"], counts["rejected"])


def _read_path(path: Path, context: _Context) -> Iterator[Result]:
    if path.is_dir():
        yield from _read_folder(path, context)
    elif path.is_file():
        yield from _read_file(path, str(path), path.name, context)
    else:
        yield Rejection(source=str(path), reason="no such file or folder")


def _read_folder(root: Path, context: _Context) -> Iterator[Result]:
    for folder, subfolders, files in os.walk(root):
        subfolders[:] = sorted(name for name in subfolders if not is_hidden(name))
        for name in sorted(files):
            if is_hidden(name):
                continue
            path = Path(folder) / name
            relative = path.relative_to(root).as_posix()
            if path.is_symlink():
                yield Rejection(source=str(path), reason="symbolic link, not followed")
                continue
            yield from _read_file(path, str(path), relative, context)


def _read_file(
    path: Path, display: str, name: str, context: _Context, *, temporary: bool = False
) -> Iterator[Result]:
    """Read one file; ``name`` is its path inside its folder or archive."""
    suffix = PurePosixPath(name).suffix.lower()
    kind = context.options.kind
    is_media = kind in MEDIA_EXTENSIONS and suffix in MEDIA_EXTENSIONS[kind]
    keep = is_media and context.store is None
    try:
        if suffix in ARCHIVE_EXTENSIONS:
            yield from _read_archive(path, display, context, nested=temporary)
        elif kind == "text" and suffix in TEXT_EXTENSIONS:
            yield from _read_text(path, display, suffix, context)
        elif is_media:
            yield from _read_media(path, display, name, context)
        else:
            reason = f"unsupported file type {suffix or '(none)'!r} for {kind} items"
            yield Rejection(source=display, reason=reason)
    except AnnotaryError as exc:
        yield Rejection(source=display, reason=exc.message)
    except UnicodeDecodeError as exc:
        yield Rejection(
            source=display, reason=f"cannot decode as {exc.encoding}: {exc}"
        )
    except OSError as exc:
        yield Rejection(source=display, reason=f"cannot read: {exc.strerror or exc}")
    finally:
        if temporary and not keep:
            path.unlink(missing_ok=True)
            path.parent.rmdir()


def _read_text(
    path: Path, display: str, suffix: str, context: _Context
) -> Iterator[Result]:
    if path.stat().st_size == 0:
        yield Rejection(source=display, reason="empty file: nothing to import")
        return
    encoding = detect_encoding(path)
    if encoding not in _UTF8:
        logger.info("%s: read as %s", display, encoding)
        context.encodings[display] = encoding

    options = context.options
    limit = options.max_text_bytes
    if suffix in (".jsonl", ".ndjson"):
        yield from text.read_jsonl(path, display, encoding, options.field, limit)
    elif suffix == ".json":
        yield from text.read_json(path, display, encoding, options.field, limit)
    elif suffix in (".csv", ".tsv"):
        delimiter = "\t" if suffix == ".tsv" else ","
        yield from text.read_csv(
            path, display, encoding, options.field, delimiter, limit
        )
    elif options.text_mode == "file":
        yield from text.read_txt_file(path, display, encoding, limit)
    else:
        yield from text.read_txt_lines(path, display, encoding, limit)


def _read_media(
    path: Path, display: str, name: str, context: _Context
) -> Iterator[Result]:
    if context.store is None:
        yield ItemDraft(file_path=str(path), source=display, external_id=name)
        return

    ref = context.store.put_file(
        path,
        original_name=PurePosixPath(name).name,
        max_pixels=context.options.max_image_pixels,
    )
    yield ItemDraft(
        media=ref, content_hash=ref.sha256, source=display, external_id=name
    )


def _read_archive(
    path: Path, display: str, context: _Context, *, nested: bool
) -> Iterator[Result]:
    if nested:
        yield Rejection(source=display, reason="archive inside an archive, not read")
        return

    options = context.options
    with tempfile.TemporaryDirectory(dir=context.tmp_dir, prefix="zip-") as folder:
        members = safe_members(
            path,
            display,
            tmp_dir=_member_dir(context, Path(folder)),
            max_members=options.max_members,
            max_uncompressed_bytes=options.max_uncompressed_bytes,
            refuse=lambda name: _refused(name, options.kind),
        )
        try:
            for member in members:
                if isinstance(member, Member):
                    source = f"{display}!{member.name}"
                    yield from _read_file(
                        member.path, source, member.name, context, temporary=True
                    )
                else:
                    yield member
        except zipfile.BadZipFile as exc:
            yield Rejection(source=display, reason=f"damaged zip archive: {exc}")


def _refused(name: str, kind: str) -> str | None:
    """Why a member named ``name`` would be rejected, judged before unpacking."""
    suffix = PurePosixPath(name).suffix.lower()
    if suffix in ARCHIVE_EXTENSIONS:
        return "archive inside an archive, not read"
    if kind == "text" and suffix in TEXT_EXTENSIONS:
        return None
    if suffix in MEDIA_EXTENSIONS.get(kind, frozenset()):
        return None
    return f"unsupported file type {suffix or '(none)'!r} for {kind} items"


def _member_dir(context: _Context, folder: Path) -> Path:
    """Media members without a store must outlive the archive's own folder."""
    if context.store is None and context.options.kind in MEDIA_EXTENSIONS:
        kept = Path(tempfile.mkdtemp(dir=context.tmp_dir, prefix="members-"))
        context.kept_folders.append(kept)
        return kept
    return folder
