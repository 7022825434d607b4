"""``coco.v1``: COCO detection, segmentation and keypoints JSON.

Category ids are schema positions plus one, so they stay stable across
exports; every item is listed as an image, with or without objects; image ids
are item ids. Boxes are ``[x, y, w, h]`` in upright pixels; area is w*h for
boxes and keypoints, the polygon area for polygons and the pixel count for
masks (RLE through pycocotools, ``iscrowd`` 1 unless the region's attributes
say otherwise). The JSON is written incrementally: images stream into the
file while annotations spill to a temporary file appended at the end.
"""

from __future__ import annotations

import contextlib
import json
import logging
import shutil
import tempfile
import warnings
from collections import defaultdict
from collections.abc import Iterator
from math import isfinite
from pathlib import Path
from typing import IO, Any

import numpy as np
from pycocotools import mask as mask_utils

from annotary.core import (
    Annotation,
    BBox,
    ItemDraft,
    Keypoints,
    Label,
    Mask,
    Origin,
    Polygon,
    Rejection,
)
from annotary.core.geometry import polygon_area, rotated_corners
from annotary.core.models import Item
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
from annotary.formats.naming import safe_split, unique_name
from annotary.formats.paths import copy_file, find_file
from annotary.formats.problems import describe, finite, read_utf8

logger = logging.getLogger("annotary.formats")

NAME = "coco.v1"
FILE_NAME = "annotations.json"
Entry = dict[str, Any]


def dump_coco(ctx: ExportContext) -> ExportReport:
    """Write a COCO JSON file, streamed, and copy images when given a folder.

    Args:
        ctx: The export context. ``ctx.out`` is a folder (``annotations.json``
            and ``images/`` inside) or a ``.json`` file (no images copied).
            Options: ``copy_media`` (default True for a folder);
            ``per_split`` writes ``annotations_<split>.json`` per item split.

    Returns:
        The export report; regions COCO cannot hold are counted in ``left_out``.

    Example:
        >>> dump_coco(ExportContext(project, records, Path("out"))).files
        ['annotations.json', 'images/a.jpg']
    """
    report = ExportReport(format=NAME)
    target = output_file(ctx.out, FILE_NAME)
    copy_media = ctx.options.get("copy_media", not is_file_target(ctx.out, FILE_NAME))
    per_split = bool(ctx.options.get("per_split", False))
    logger.info("coco export of %s to %s started", ctx.project.name, target)

    with contextlib.ExitStack() as stack:
        files: dict[str, _CocoFile] = {}
        taken: set[str] = set()
        for item, annotations in ctx.records:
            key = safe_split(item.split) if per_split else ""
            if key not in files:
                path = target.with_name(f"{target.stem}_{key}.json") if key else target
                files[key] = stack.enter_context(_CocoFile(path, ctx, report))
            name = unique_name(item, taken)
            files[key].add(item, annotations, name)
            report.items += 1
            report.annotations += len(annotations)
            if copy_media:
                _copy_image(ctx, item, target.parent / "images" / name, report)
        if not files:
            files[""] = stack.enter_context(_CocoFile(target, ctx, report))

    report.regions = sum(f.writer.count for f in files.values())
    written = [relative_name(f.path, ctx.out) for _, f in sorted(files.items())]
    report.files[:0] = written
    logger.info("coco export wrote %s images, %s objects", report.items, report.regions)
    return report


class _CocoFile:
    """One COCO JSON file being written: images inline, annotations spilled."""

    def __init__(self, path: Path, ctx: ExportContext, report: ExportReport) -> None:
        self.path = path
        self.writer = _CocoWriter(ctx.project.label_schema, report)
        # Both stay open across many records and are closed in __exit__.
        self.handle = path.open("w", encoding="utf-8")
        self.spill = tempfile.TemporaryFile(  # noqa: SIM115
            "w+", encoding="utf-8", dir=path.parent
        )
        self.handle.write(_head(ctx))

    def add(self, item: Item, annotations: list[Annotation], name: str) -> None:
        self.writer.image(self.handle, item, name)
        for annotation in annotations:
            self.writer.annotations(self.spill, item, annotation)

    def __enter__(self) -> _CocoFile:
        return self

    def __exit__(self, *exc_info: object) -> None:
        try:
            if exc_info[0] is None:
                self.handle.write('],\n"annotations": [\n')
                self.spill.seek(0)
                shutil.copyfileobj(self.spill, self.handle)
                self.handle.write("]}\n")
        finally:
            self.spill.close()
            self.handle.close()


def _head(ctx: ExportContext) -> str:
    info = {"description": ctx.project.name, "version": "1.0"}
    categories = [
        _category(index, label)
        for index, label in enumerate(ctx.project.label_schema.labels)
    ]
    return (
        f'{{"info": {json.dumps(info)},\n"licenses": [],\n'
        f'"categories": {json.dumps(categories)},\n"images": [\n'
    )


def _category(index: int, label: Label) -> Entry:
    category: Entry = {"id": index + 1, "name": label.name, "supercategory": ""}
    if label.keypoints:
        category["keypoints"] = list(label.keypoints)
        category["skeleton"] = []
    return category


def _copy_image(
    ctx: ExportContext, item: Item, target: Path, report: ExportReport
) -> None:
    source = ctx.media_path(item)
    if source is None:
        report.leave_out("image files not available")
        return
    copy_file(source, target)
    report.files.append(f"images/{target.name}")


class _CocoWriter:
    """Turns items and regions into COCO entries, counting what it leaves out."""

    def __init__(self, schema: LabelSchema, report: ExportReport) -> None:
        self.ids = {name: index + 1 for index, name in enumerate(schema.names)}
        self.report = report
        self.count = 0
        self._first_image = True

    def image(self, handle: IO[str], item: Item, name: str) -> None:
        width, height = item.width, item.height
        if width is None or height is None:
            self.report.warnings.append(f"item {item.id}: no upright image size")
        entry = {"id": item.id, "file_name": name, "width": width, "height": height}
        handle.write(("" if self._first_image else ",\n") + json.dumps(entry))
        self._first_image = False

    def annotations(self, spill: IO[str], item: Item, annotation: Annotation) -> None:
        parts = []
        image_id, ids = item.id, self.ids
        for region in annotation.regions:
            # The common case (an upright box, nothing else on it) is written
            # directly, inline for speed; it gives exactly what json.dumps gives.
            if (
                type(region) is BBox
                and not (region.rotation or region.attributes)
                and region.score is None
            ):
                category = ids.get(region.label or "")
                x, y, w, h = region.x, region.y, region.w, region.h
                if category is not None and isfinite(x + y + w + h):
                    self.count += 1
                    parts.append(
                        f'{{"image_id": {image_id}, "category_id": {category}, '
                        f'"bbox": [{x!r}, {y!r}, {w!r}, {h!r}], "area": {w * h!r}, '
                        f'"iscrowd": 0, "id": {self.count}}}'
                    )
                    continue
            entry = self._entry(item, region)
            if entry is None:
                continue
            self.count += 1
            entry["id"] = self.count
            parts.append(json.dumps(entry))
        if parts:
            lead = "" if self.count == len(parts) else ",\n"
            spill.write(lead + ",\n".join(parts))

    def _entry(self, item: Item, region: Any) -> Entry | None:
        if not isinstance(region, BBox | Polygon | Mask | Keypoints):
            self.report.leave_out(f"{region.type} regions in COCO")
            return None
        category = self.ids.get(region.label or "")
        if category is None:
            self.report.leave_out("regions with a label not in the schema")
            self.report.warnings.append(
                f"item {item.id}: region {region.id} label {region.label!r} "
                "is not in the schema"
            )
            return None

        entry: Entry = {"image_id": item.id, "category_id": category}
        if isinstance(region, BBox):
            entry.update(self._box(region))
        elif isinstance(region, Polygon):
            entry.update(self._polygon(item, region))
        elif isinstance(region, Mask):
            entry.update(_mask(region))
        else:
            entry.update(_keypoints(region))
        attributes = {k: v for k, v in region.attributes.items() if k != "iscrowd"}
        if region.attributes.get("iscrowd") is not None:
            entry["iscrowd"] = int(region.attributes["iscrowd"])
        if attributes:
            entry["attributes"] = attributes
        if region.score is not None:
            entry["score"] = region.score
        return entry

    def _box(self, box: BBox) -> Entry:
        if box.rotation % 360:
            self.report.leave_out("box rotation in COCO (enclosing box written)")
            xs, ys = zip(*rotated_corners(box), strict=True)
            bbox = [min(xs), min(ys), max(xs) - min(xs), max(ys) - min(ys)]
        else:
            bbox = [box.x, box.y, box.w, box.h]
        return {"bbox": bbox, "area": box.w * box.h, "iscrowd": 0}

    def _polygon(self, item: Item, polygon: Polygon) -> Entry:
        flat = [float(v) for point in polygon.points for v in point]
        if polygon.holes and item.width and item.height:
            return _holed_polygon(polygon, item.width, item.height)
        if polygon.holes:
            self.report.leave_out("polygon holes in COCO (no image size)")
        xs, ys = flat[0::2], flat[1::2]
        return {
            "segmentation": [flat],
            "bbox": [min(xs), min(ys), max(xs) - min(xs), max(ys) - min(ys)],
            "area": polygon_area(polygon.points),
            "iscrowd": 0,
        }


def _holed_polygon(polygon: Polygon, width: int, height: int) -> Entry:
    # COCO polygons cannot hold holes, so the region is rasterised to RLE.
    def raster(ring: list[tuple[float, float]]) -> np.ndarray:
        flat = [float(v) for point in ring for v in point]
        rles = mask_utils.frPyObjects([flat], height, width)
        return _decode(mask_utils.merge(rles))

    pixels = raster(polygon.points)
    for hole in polygon.holes:
        pixels[raster(hole) > 0] = 0
    rle = mask_utils.encode(np.asfortranarray(pixels))
    counts = rle["counts"].decode("ascii")
    return {
        "segmentation": {"size": [height, width], "counts": counts},
        "bbox": [float(v) for v in mask_utils.toBbox(rle)],
        "area": float(mask_utils.area(rle)),
        "iscrowd": 0,
    }


def _decode(rle: Entry) -> np.ndarray:
    # pycocotools 2.0.x under NumPy 2 warns about __array__(copy=...) while
    # decoding; the result is correct, so only that warning is silenced.
    with warnings.catch_warnings():
        warnings.filterwarnings(
            "ignore", message="__array__ implementation", category=DeprecationWarning
        )
        return np.asarray(mask_utils.decode(rle))


def _mask(mask: Mask) -> Entry:
    height, width = mask.size
    if isinstance(mask.counts, list):
        rle = mask_utils.frPyObjects(
            {"size": [height, width], "counts": mask.counts}, height, width
        )
        segmentation: Entry = {"size": [height, width], "counts": list(mask.counts)}
    else:
        rle = {"size": [height, width], "counts": mask.counts.encode("ascii")}
        segmentation = {"size": [height, width], "counts": mask.counts}
    return {
        "segmentation": segmentation,
        "bbox": [float(v) for v in mask_utils.toBbox(rle)],
        "area": float(mask_utils.area(rle)),
        "iscrowd": 1,
    }


def _keypoints(keypoints: Keypoints) -> Entry:
    labelled = [(x, y) for x, y, v in keypoints.points if v > 0]
    if labelled:
        xs, ys = zip(*labelled, strict=True)
        bbox = [min(xs), min(ys), max(xs) - min(xs), max(ys) - min(ys)]
    else:
        bbox = [0.0, 0.0, 0.0, 0.0]
    return {
        "keypoints": [v for point in keypoints.points for v in point],
        "num_keypoints": len(labelled),
        "bbox": bbox,
        "area": bbox[2] * bbox[3],
        "iscrowd": 0,
    }


def load_coco(path: Path, *, options: dict[str, Any] | None = None) -> LoadResult:
    """Read a COCO JSON file into drafts, one imported annotation per image.

    Args:
        path: The JSON file, or a folder holding ``annotations.json``.
        options: ``images_dir``: folder of the images, relative to the JSON's
            folder (default: the JSON's folder, then ``images/``).

    Returns:
        Drafts whose ``file_path`` points at the image inside the import root;
        images that cannot be found there are rejected, naming the file.

    Raises:
        FormatError: the file is not COCO JSON (names the missing key).
    """
    options = options or {}
    source = path / FILE_NAME if path.is_dir() else path
    data = _read_json(source)
    categories = _categories(data, source)
    schema = _schema(data, categories, source)
    root = source.parent / str(options.get("images_dir", ""))
    rejections: list[Rejection] = []
    drafts = _coco_drafts(data, categories, root, source.name, rejections)
    return LoadResult(schema, drafts, rejections)


def _read_json(source: Path) -> Entry:
    try:
        data = json.loads(read_utf8(source))
    except FileNotFoundError:
        raise FormatError(f"{source}: no such file", path=str(source)) from None
    except json.JSONDecodeError as exc:
        raise FormatError(
            f"{source}:{exc.lineno}: not JSON ({exc.msg})", path=str(source)
        ) from None
    except FormatError as exc:
        raise FormatError(f"{source}: {exc.message}", path=str(source)) from None
    if not isinstance(data, dict):
        raise FormatError(f"{source}: COCO JSON must be an object", path=str(source))
    for key in ("images", "categories"):
        if not isinstance(data.get(key), list):
            raise FormatError(f"{source}: no {key!r} list", path=str(source))
    return data


def _categories(data: Entry, source: Path) -> dict[int, Entry]:
    try:
        return {int(c["id"]): c for c in data["categories"]}
    except (KeyError, TypeError, ValueError):
        raise FormatError(f"{source}: a category lacks an integer 'id'") from None


def _schema(data: Entry, categories: dict[int, Entry], source: Path) -> LabelSchema:
    tools: list[str] = []
    for entry in data.get("annotations") or []:
        tool = _tool_of(entry)
        if tool not in tools:
            tools.append(tool)
    try:
        labels = [
            Label(name=str(c["name"]), keypoints=list(c.get("keypoints") or []))
            for c in categories.values()
        ]
        return LabelSchema(labels=labels, tools=sorted(tools))
    except (KeyError, ValueError) as exc:
        raise FormatError(f"{source}: bad categories: {describe(exc)}") from None


def _tool_of(entry: Entry) -> str:
    if entry.get("keypoints"):
        return "keypoints"
    segmentation = entry.get("segmentation")
    if isinstance(segmentation, dict):
        return "mask"
    return "polygon" if segmentation else "bbox"


def _coco_drafts(
    data: Entry,
    categories: dict[int, Entry],
    root: Path,
    source: str,
    rejections: list[Rejection],
) -> Iterator[ItemDraft]:
    by_image: dict[Any, list[Entry]] = defaultdict(list)
    for entry in data.get("annotations") or []:
        by_image[entry.get("image_id")].append(entry)
    image_ids = {image.get("id") for image in data["images"]}
    for image_id in by_image.keys() - image_ids:
        rejections.append(
            Rejection(
                source=f"{source}: image {image_id}",
                reason=f"{len(by_image[image_id])} annotations name an unlisted image",
            )
        )

    for image in data["images"]:
        name = str(image.get("file_name") or "")
        where = f"{source}: image {image.get('id')} {name!r}"
        found = find_file(root, [name, f"images/{name}"], where)
        if isinstance(found, Rejection):
            rejections.append(found)
            continue
        regions = []
        for entry in by_image.get(image.get("id"), []):
            try:
                regions.extend(_regions(entry, categories))
            except (KeyError, TypeError, ValueError) as exc:
                reason = f"annotation id {entry.get('id')}: {describe(exc)}"
                rejections.append(Rejection(source=where, reason=reason))
        yield ItemDraft(
            file_path=str(found),
            external_id=name,
            source=where,
            meta={"file_name": name, "coco_image_id": image.get("id")},
            annotations=[Annotation(item_id=0, regions=regions, origin=Origin.imported)]
            if regions
            else [],
        )


def _regions(entry: Entry, categories: dict[int, Entry]) -> list[Any]:
    try:
        category = categories.get(int(entry["category_id"]))
    except (TypeError, ValueError):
        raise ValueError("category_id: must be an integer") from None
    if category is None:
        raise ValueError(f"category {entry['category_id']} is not listed")
    common: Entry = {"label": str(category["name"])}
    attributes = dict(entry.get("attributes") or {})
    if entry.get("score") is not None:
        common["score"] = float(entry["score"])

    tool = _tool_of(entry)
    iscrowd = int(entry.get("iscrowd", 0))
    if iscrowd != (1 if tool == "mask" else 0):
        attributes["iscrowd"] = iscrowd
    common["attributes"] = attributes
    segmentation: Any = entry.get("segmentation")
    if tool == "keypoints":
        flat = entry["keypoints"]
        points = [
            (flat[i], flat[i + 1], int(flat[i + 2])) for i in range(0, len(flat), 3)
        ]
        return [Keypoints(points=points, **common)]
    if tool == "mask":
        size = segmentation["size"]
        return [
            Mask(
                size=(int(size[0]), int(size[1])),
                counts=segmentation["counts"],
                **common,
            )
        ]
    if tool == "polygon":
        return [
            Polygon(points=list(zip(part[0::2], part[1::2], strict=True)), **common)
            for part in segmentation
        ]
    bbox = entry["bbox"]
    if not isinstance(bbox, list) or len(bbox) != 4:
        raise ValueError("bbox: must be a list of 4 numbers [x, y, w, h]")
    x, y, w, h = (_number(v, f"bbox[{i}]") for i, v in enumerate(bbox))
    return [BBox(x=x, y=y, w=w, h=h, **common)]


def _number(value: Any, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{what}: must be a number, not {type(value).__name__}")
    return finite(str(value), what)


FORMAT = FormatSpec(
    NAME,
    frozenset({"image"}),
    dump_coco,
    load_coco,
    export_options={"copy_media": "flag", "per_split": "flag"},
)
