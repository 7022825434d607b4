"""``jsonl.v1``: Annotary's native, lossless line format.

The first line describes the project (name, kind, description, settings,
schema and every guideline version); each further line is one item with all
its fields and all its annotations. When the export goes to a folder, media
files are copied beside the JSONL as ``media/<sha256><ext>`` and each item line
names its copy under ``"file"``.
"""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from typing import IO, Any

import orjson
from pydantic import BaseModel, ValidationError

from annotary.core import Annotation, Item, ItemDraft, MediaRef, Project, Rejection
from annotary.core.regions import REGION_TYPES, Keyframe
from annotary.core.schema import LabelSchema
from annotary.errors import FormatError
from annotary.formats.base import (
    ExportContext,
    ExportReport,
    FormatSpec,
    LoadResult,
    is_file_target,
    output_file,
    relative_name,
)
from annotary.formats.paths import copy_file, resolve_inside, sha256_file
from annotary.formats.problems import describe, validation_reason

logger = logging.getLogger("annotary.formats")

NAME = "jsonl.v1"
FILE_NAME = "annotary.jsonl"
_ITEM_FIELDS = (
    "id",
    "external_id",
    "text",
    "media",
    "meta",
    "status",
    "split",
    "excluded",
    "exclude_reason",
    "flags",
    "content_hash",
)


def dump_jsonl(ctx: ExportContext) -> ExportReport:
    """Write the project and its items as native JSONL, one item per line.

    Args:
        ctx: The export context; ``ctx.out`` is a folder or a ``.jsonl`` file.

    Returns:
        The export report; ``files`` lists the JSONL and every media copy.

    Example:
        >>> report = dump_jsonl(ExportContext(project, records, Path("out")))
        >>> report.files[0]
        'annotary.jsonl'
    """
    report = ExportReport(format=NAME)
    target = output_file(ctx.out, FILE_NAME)
    copy_media = not is_file_target(ctx.out, FILE_NAME)
    logger.info("jsonl export of %s to %s started", ctx.project.name, target)

    items = annotation_count = region_count = 0
    copied_files: set[str] = set()
    # A large buffer: one system call per MiB, not per 8 KiB.
    with target.open("wb", buffering=1 << 20) as handle:
        _write_line(handle, _project_line(ctx))
        for item, annotations in ctx.records:
            copied = _copy_media(ctx, item, target.parent) if copy_media else None
            if copied is not None and copied not in copied_files:
                copied_files.add(copied)
                report.files.append(copied)
            handle.write(_item_bytes(item, annotations, copied))
            items += 1
            annotation_count += len(annotations)
            for annotation in annotations:
                region_count += len(annotation.regions)
    report.items = items
    report.annotations = annotation_count
    report.regions = region_count

    report.files.insert(0, relative_name(target, ctx.out))
    logger.info("jsonl export wrote %s items", report.items)
    return report


_DUMP_OPTIONS = (
    orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS | orjson.OPT_APPEND_NEWLINE
)


def _write_line(handle: IO[bytes], data: dict[str, Any]) -> None:
    """One JSON object per line, keys sorted, UTF-8, no spaces."""
    try:
        handle.write(orjson.dumps(data, option=_DUMP_OPTIONS))
    except TypeError:  # an integer past 64 bits, or NaN: the slow, general way
        text = json.dumps(
            data, ensure_ascii=False, sort_keys=True, separators=(",", ":")
        )
        handle.write(text.encode() + b"\n")


def _project_line(ctx: ExportContext) -> dict[str, Any]:
    project = ctx.project
    return {
        "annotary": "project",
        "format": NAME,
        "name": project.name,
        "kind": project.kind,
        "description": project.description,
        "settings": project.settings.model_dump(mode="json"),
        "label_schema": project.label_schema.model_dump(mode="json"),
        "guideline_version": project.guideline_version,
        "guidelines": [
            g.model_dump(mode="json", by_alias=True) for g in ctx.guidelines
        ],
    }


def _item_line(item: Item, annotations: list[Annotation]) -> dict[str, Any]:
    line = item.model_dump(mode="json", include=set(_ITEM_FIELDS))
    line["annotations"] = [a.model_dump(mode="json") for a in annotations]
    return line


_UTC_Z = _DUMP_OPTIONS | orjson.OPT_UTC_Z
# Models without serialisation settings of their own (aliases, excluded or
# computed fields, serializers): their JSON is their fields' values.
_PLAIN_MODELS = frozenset({Annotation, MediaRef, Keyframe, *REGION_TYPES.values()})


def _item_bytes(item: Item, annotations: list[Annotation], file: str | None) -> bytes:
    """The item's line: the same bytes as `_item_line` through `_write_line`.

    The fast way hands orjson the models' field values as they are, nested
    models included (`_plain_fields`): orjson writes enums by value, tuples as
    arrays, NaN as null and date-times the way pydantic's JSON mode does
    (``Z`` for UTC). Whatever orjson refuses (an integer past 64 bits, a lone
    surrogate) is written the general way, from ``model_dump``.
    """
    fields = item.__dict__
    line = {name: fields[name] for name in _ITEM_FIELDS}
    line["annotations"] = annotations
    if file is not None:
        line["file"] = file
    try:
        return orjson.dumps(line, default=_plain_fields, option=_UTC_Z)
    except TypeError:
        pass
    line = _item_line(item, annotations)
    if file is not None:
        line["file"] = file
    buffer = io.BytesIO()
    _write_line(buffer, line)
    return buffer.getvalue()


def _plain_fields(value: Any) -> Any:
    """orjson's hook for the types it does not know: a model's field values."""
    if type(value) in _PLAIN_MODELS and not value.__pydantic_extra__:
        return value.__dict__
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def _copy_media(ctx: ExportContext, item: Item, folder: Path) -> str | None:
    source = ctx.media_path(item)
    if source is None:
        return None
    digest = item.media.sha256 if item.media and item.media.sha256 else ""
    digest = digest or sha256_file(source)
    name = f"media/{digest}{_suffix(item, source)}"
    copy_file(source, folder / name)
    return name


def _suffix(item: Item, source: Path) -> str:
    for candidate in (item.media.path if item.media else "", source.name):
        suffix = PurePosixPath(candidate).suffix.lower()
        if suffix and suffix[1:].isalnum():
            return suffix
    return ""


def load_jsonl(path: Path, *, options: dict[str, Any] | None = None) -> LoadResult:
    """Read native JSONL back into drafts and the project description.

    Args:
        path: The ``.jsonl`` file, or the folder it was exported to.
        options: Unused; accepted for the common loader signature.

    Returns:
        Drafts keep every field (annotation origins included, unlike other
        formats, which mark annotations ``imported``); ``project`` holds name,
        kind, description, settings, guideline_version and guidelines.

    Raises:
        FormatError: the file is missing or its first line is not JSON.
    """
    source = path / FILE_NAME if path.is_dir() else path
    if not source.is_file():
        raise FormatError(f"{source}: no such JSONL file", path=str(source))

    header = _read_header(source)
    schema = None
    if header is not None and "label_schema" in header:
        schema = LabelSchema.model_validate(header["label_schema"])
    rejections: list[Rejection] = []
    drafts = _drafts(source, header is not None, rejections)
    return LoadResult(schema, drafts, rejections, project=header)


def project_from_load(result: LoadResult, project_id: int = 0) -> Project:
    """The core Project a native file describes (the service sets the id).

    Raises:
        FormatError: the file had no project line.
    """
    header = result.project
    if header is None:
        raise FormatError("the JSONL file has no project line")
    return Project(
        id=project_id,
        name=header["name"],
        kind=header["kind"],
        description=header.get("description", ""),
        settings=header.get("settings") or {},
        label_schema=result.label_schema or LabelSchema(),
        guideline_version=header.get("guideline_version", 1),
    )


def _read_header(source: Path) -> dict[str, Any] | None:
    with source.open(encoding="utf-8") as handle:
        first = handle.readline()
    try:
        data = json.loads(first) if first.strip() else None
    except json.JSONDecodeError as exc:
        raise FormatError(
            f"{source}:1: not JSON ({exc.msg})", path=str(source)
        ) from None
    if isinstance(data, dict) and data.get("annotary") == "project":
        return {k: v for k, v in data.items() if k not in ("annotary", "format")}
    return None


def _drafts(
    source: Path, skip_header: bool, rejections: list[Rejection]
) -> Iterator[ItemDraft]:
    with source.open(encoding="utf-8") as handle:
        for number, text in enumerate(handle, start=1):
            if (number == 1 and skip_header) or not text.strip():
                continue
            where = f"{source.name}:{number}"
            try:
                yield _draft(json.loads(text), source.parent, where)
            except (json.JSONDecodeError, ValidationError, FormatError) as exc:
                rejections.append(Rejection(source=where, reason=_reason(exc)))


def _reason(exc: Exception) -> str:
    if isinstance(exc, json.JSONDecodeError):
        return f"not JSON ({exc.msg})"
    return describe(exc)


def _draft(line: dict[str, Any], root: Path, where: str) -> ItemDraft:
    if not isinstance(line, dict):
        raise FormatError(f"{where}: an item line must be a JSON object")
    file_path = None
    if line.get("file"):
        file_path = resolve_inside(root, str(line["file"]))
        if not file_path.is_file():
            raise FormatError(f"{where}: media file {line['file']!r} is missing")

    media = MediaRef.model_validate(line["media"]) if line.get("media") else None
    return ItemDraft(
        text=line.get("text"),
        media=media,
        meta=dict(line.get("meta") or {}),
        external_id=line.get("external_id"),
        source=where,
        content_hash=line.get("content_hash") or "",
        file_path=str(file_path) if file_path else None,
        annotations=[
            _annotation(a, n) for n, a in enumerate(line.get("annotations") or [])
        ],
        split=line.get("split"),
        status=line.get("status"),
        excluded=bool(line.get("excluded", False)),
        exclude_reason=line.get("exclude_reason"),
        flags=list(line.get("flags") or []),
    )


def _annotation(data: Any, number: int) -> Annotation:
    """One annotation of an item line; it belongs to that line's item, so a
    hand-written one needs no ``item_id`` (one given is replaced on import)."""
    if not isinstance(data, dict):
        raise FormatError(f"annotations[{number}]: must be a JSON object")
    try:
        return Annotation.model_validate({"item_id": 0, **data})
    except ValidationError as exc:
        raise FormatError(f"annotations[{number}]: {validation_reason(exc)}") from None


FORMAT = FormatSpec(
    NAME,
    frozenset({"image", "text", "audio", "video", "pointcloud"}),
    dump_jsonl,
    load_jsonl,
    export_options={},
)
