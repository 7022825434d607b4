"""``csv.v1`` and ``parquet.v1``: one row per item.

Columns: ``id``, ``external_id``, ``file_name``, ``text``, ``split``,
``status``, ``labels`` (the item's class labels) and ``regions`` (every region
of the exported annotations, as JSON). Loading reads a media item's file from
``file_name``, beside the table (inside its folder only); the export writes the
name, not the file. In CSV the labels are joined with
``|`` and every cell that a spreadsheet could run as a formula (starting with
``= + - @``, a tab or a carriage return) gets a leading ``'``; so does a cell
that already starts with ``'``, so loading strips exactly one.
"""

from __future__ import annotations

import csv
import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
from pydantic import TypeAdapter, ValidationError

from annotary.core import (
    Annotation,
    ClassRegion,
    ItemDraft,
    Origin,
    Region,
    Rejection,
)
from annotary.core.models import Item
from annotary.errors import FormatError
from annotary.formats.base import (
    ExportContext,
    ExportReport,
    FormatSpec,
    LoadResult,
    output_file,
    relative_name,
)
from annotary.formats.naming import image_name
from annotary.formats.paths import resolve_inside
from annotary.formats.problems import validation_reason

logger = logging.getLogger("annotary.formats")

COLUMNS = (
    "id",
    "external_id",
    "file_name",
    "text",
    "split",
    "status",
    "labels",
    "regions",
)
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "'")
_REGIONS = TypeAdapter(list[Region])
_BATCH = 4096


def escape_cell(value: str) -> str:
    """Neutralise a cell a spreadsheet would run as a formula.

    Example:
        >>> escape_cell("=HYPERLINK(1)")
        "'=HYPERLINK(1)"
    """
    return "'" + value if value.startswith(_FORMULA_STARTS) else value


def unescape_cell(value: str) -> str:
    return value[1:] if value.startswith("'") else value


def _row(item: Item, annotations: list[Annotation]) -> dict[str, Any]:
    regions = [r for a in annotations for r in a.regions]
    labels: list[str] = []
    for region in regions:
        if isinstance(region, ClassRegion):
            labels.extend(name for name in region.labels if name not in labels)
    return {
        "id": item.id,
        "external_id": item.external_id,
        "file_name": image_name(item) if item.media else None,
        "text": item.text,
        "split": item.split,
        "status": str(item.status),
        "labels": labels,
        "regions": json.dumps(
            [r.model_dump(mode="json") for r in regions], ensure_ascii=False
        ),
    }


def _count(report: ExportReport, annotations: list[Annotation]) -> None:
    report.items += 1
    report.annotations += len(annotations)
    report.regions += sum(len(a.regions) for a in annotations)


def dump_csv(ctx: ExportContext) -> ExportReport:
    """Write one CSV row per item, formula-escaped, streamed.

    Args:
        ctx: The export context; ``ctx.out`` is a folder (``items.csv``) or
            a ``.csv`` file.

    Returns:
        The export report.
    """
    report = ExportReport(format="csv.v1")
    target = output_file(ctx.out, "items.csv")
    with target.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(COLUMNS)
        for item, annotations in ctx.records:
            row = _row(item, annotations)
            row["labels"] = "|".join(row["labels"])
            writer.writerow(
                escape_cell("" if row[c] is None else str(row[c])) for c in COLUMNS
            )
            _count(report, annotations)
    report.files.append(relative_name(target, ctx.out))
    logger.info("csv export wrote %s rows", report.items)
    return report


def dump_parquet(ctx: ExportContext) -> ExportReport:
    """Write one Parquet row per item, in record batches.

    Args:
        ctx: The export context; ``ctx.out`` is a folder (``items.parquet``)
            or a ``.parquet`` file.

    Returns:
        The export report.
    """
    report = ExportReport(format="parquet.v1")
    target = output_file(ctx.out, "items.parquet")
    schema = pa.schema(
        [
            ("id", pa.int64()),
            ("external_id", pa.string()),
            ("file_name", pa.string()),
            ("text", pa.string()),
            ("split", pa.string()),
            ("status", pa.string()),
            ("labels", pa.list_(pa.string())),
            ("regions", pa.string()),
        ]
    )
    with pq.ParquetWriter(target, schema) as writer:
        batch: list[dict[str, Any]] = []
        for item, annotations in ctx.records:
            batch.append(_row(item, annotations))
            _count(report, annotations)
            if len(batch) == _BATCH:
                writer.write_table(pa.Table.from_pylist(batch, schema=schema))
                batch = []
        if batch or report.items == 0:
            writer.write_table(pa.Table.from_pylist(batch, schema=schema))
    report.files.append(relative_name(target, ctx.out))
    logger.info("parquet export wrote %s rows", report.items)
    return report


def load_csv(path: Path, *, options: dict[str, Any] | None = None) -> LoadResult:
    """Read a ``csv.v1`` file back (un-escaping cells) into drafts.

    Raises:
        FormatError: the file is missing or lacks a ``text`` or ``regions``
            column.
    """
    source = path / "items.csv" if path.is_dir() else path
    if not source.is_file():
        raise FormatError(f"{source}: no such CSV file", path=str(source))

    def rows() -> Iterator[tuple[str, dict[str, Any]]]:
        with source.open(encoding="utf-8", newline="") as handle:
            reader = csv.DictReader(handle)
            _check_columns(source, list(reader.fieldnames or []))
            for number, raw in enumerate(reader, start=2):
                row: dict[str, Any] = {
                    k: unescape_cell(v or "") for k, v in raw.items() if k
                }
                row["labels"] = [n for n in row.get("labels", "").split("|") if n]
                yield f"{source.name}:{number}", row

    return _load_rows(source, rows())


def load_parquet(path: Path, *, options: dict[str, Any] | None = None) -> LoadResult:
    """Read a ``parquet.v1`` file back into drafts, batch by batch.

    Raises:
        FormatError: the file is missing or is not Parquet.
    """
    source = path / "items.parquet" if path.is_dir() else path
    try:
        parquet = pq.ParquetFile(source)
    except (OSError, pa.ArrowInvalid) as exc:
        raise FormatError(f"{source}: not a Parquet file ({exc})") from None
    _check_columns(source, parquet.schema_arrow.names)

    def rows() -> Iterator[tuple[str, dict[str, Any]]]:
        number = 0
        for batch in parquet.iter_batches(batch_size=_BATCH):
            for row in batch.to_pylist():
                number += 1
                yield f"{source.name}: row {number}", row

    return _load_rows(source, rows())


def _check_columns(source: Path, names: list[str]) -> None:
    missing = [c for c in ("text", "regions") if c not in names]
    if missing:
        raise FormatError(f"{source}: missing column(s) {', '.join(missing)}")


def _load_rows(source: Path, rows: Iterator[tuple[str, dict[str, Any]]]) -> LoadResult:
    rejections: list[Rejection] = []
    return LoadResult(None, _row_drafts(source, rows, rejections), rejections)


def _media_file(folder: Path, name: str, where: str) -> Path | Rejection:
    """The file a row's ``file_name`` names, beside the table, or why not."""
    try:
        path = resolve_inside(folder, name)
    except FormatError as exc:
        return Rejection(source=where, reason=f"file_name {exc.message}")
    if not path.is_file():
        return Rejection(
            source=where,
            reason=f"file_name {name!r}: no such file in {folder.name or folder}/",
        )
    return path


def _row_drafts(
    source: Path,
    rows: Iterator[tuple[str, dict[str, Any]]],
    rejections: list[Rejection],
) -> Iterator[ItemDraft]:
    for where, row in rows:
        file_path = None
        if row.get("file_name") and not row.get("text"):
            found = _media_file(source.parent, str(row["file_name"]), where)
            if isinstance(found, Rejection):
                rejections.append(found)
                continue
            file_path = str(found)
        try:
            regions = _REGIONS.validate_json(row.get("regions") or "[]")
        except ValidationError as exc:
            reason = f"regions: {validation_reason(exc)}"
            rejections.append(Rejection(source=where, reason=reason))
            continue
        meta = {"file_name": row["file_name"]} if row.get("file_name") else {}
        annotations = (
            [Annotation(item_id=0, regions=regions, origin=Origin.imported)]
            if regions
            else []
        )
        yield ItemDraft(
            text=row.get("text") or None,
            external_id=row.get("external_id") or None,
            meta=meta,
            split=row.get("split") or None,
            source=where,
            file_path=file_path,
            annotations=annotations,
        )


CSV_FORMAT = FormatSpec(
    "csv.v1",
    frozenset({"image", "text", "audio", "video", "pointcloud"}),
    dump_csv,
    load_csv,
    export_options={},
)
PARQUET_FORMAT = FormatSpec(
    "parquet.v1",
    frozenset({"image", "text", "audio", "video", "pointcloud"}),
    dump_parquet,
    load_parquet,
    export_options={},
)
