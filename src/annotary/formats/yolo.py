"""``yolo.v1``: the Ultralytics dataset layout.

``images/<split>/`` and ``labels/<split>/`` plus ``data.yaml`` (names in schema
order, class index from 0). One ``.txt`` per image, empty when the image has no
objects; numbers normalised by the upright width and height, six decimals.
Tasks: ``detect`` (``cls cx cy w h``), ``segment`` (``cls x1 y1 x2 y2 ...``)
and ``pose`` (``cls cx cy w h`` then ``x y v`` per keypoint). Boxes reaching
outside the image are clipped and counted in the report.
"""

from __future__ import annotations

import logging
import os
import queue
import threading
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

from annotary.core import (
    Annotation,
    BBox,
    ItemDraft,
    Keypoints,
    Label,
    Origin,
    Polygon,
    Rejection,
)
from annotary.core.geometry import rotated_corners
from annotary.core.models import Item
from annotary.core.schema import LabelSchema
from annotary.errors import FormatError
from annotary.formats.base import ExportContext, ExportReport, FormatSpec, LoadResult
from annotary.formats.naming import image_name, safe_split
from annotary.formats.paths import copy_file, resolve_inside, upright_size
from annotary.formats.problems import describe, finite, read_utf8

logger = logging.getLogger("annotary.formats")

NAME = "yolo.v1"
TASKS = ("detect", "segment", "pose")
BOXES_AS_POLYGONS = "boxes written as 4-point polygons in YOLO segment"
IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff"}
MICRO = 1_000_000
_WRITE_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_BINARY", 0)


def dump_yolo(ctx: ExportContext) -> ExportReport:
    """Write an Ultralytics dataset folder.

    Args:
        ctx: The export context; ``ctx.out`` must be a folder. Options:
            ``task`` (detect, segment or pose; default from the schema's
            tools), ``copy_media`` (default True).

    Returns:
        The export report; clipped boxes are counted in ``left_out`` under
        ``"box parts outside the image (clipped)"``.

    Raises:
        FormatError: ``ctx.out`` is a file, or the task is unknown.

    Example:
        >>> dump_yolo(ExportContext(project, records, Path("ds"))).files[:2]
        ['data.yaml', 'labels/train/a.txt']
    """
    if ctx.out.is_file():
        raise FormatError(f"{ctx.out}: a YOLO export needs a folder", path=str(ctx.out))
    schema = ctx.project.label_schema
    task = str(ctx.options.get("task") or default_task(schema))
    if task not in TASKS:
        raise FormatError(f"unknown YOLO task {task!r}; known: {', '.join(TASKS)}")

    report = ExportReport(format=NAME)
    writer = _LineWriter(schema, task, report)
    stems: dict[str, set[str]] = defaultdict(set)
    logger.info("yolo %s export of %s started", task, ctx.project.name)
    with _LabelFiles() as files:
        for item, item_annotations in ctx.records:
            split = safe_split(item.split)
            names = _unique(item, stems[split])
            _write_item(ctx, item, item_annotations, split, names, writer, files)

    report.regions = writer.count
    boxes = report.left_out.get(BOXES_AS_POLYGONS)
    if boxes:
        chosen = "chosen" if ctx.options.get("task") else "the default"
        report.warnings.append(
            f"{boxes} boxes written as 4-point polygons: task segment is {chosen} "
            "for this schema; export with task=detect to keep them as boxes "
            "(the polygons are then left out)"
        )
    data_yaml = _data_yaml(schema, task, sorted(stems), report)
    (ctx.out / "data.yaml").write_text(data_yaml, encoding="utf-8")
    report.files.insert(0, "data.yaml")
    logger.info("yolo export wrote %s label files", report.items)
    return report


def default_task(schema: LabelSchema) -> str:
    """The YOLO task that fits a schema's tools best."""
    if "keypoints" in schema.tools:
        return "pose"
    if "polygon" in schema.tools or "mask" in schema.tools:
        return "segment"
    return "detect"


def _unique(item: Item, taken: set[str]) -> tuple[str, str]:
    name = image_name(item)
    stem = os.path.splitext(name)[0]
    if stem in taken:
        name, stem = f"{item.id}_{name}", f"{item.id}_{stem}"
    taken.add(stem)
    return name, stem


def _write_item(
    ctx: ExportContext,
    item: Item,
    annotations: list[Annotation],
    split: str,
    names: tuple[str, str],
    writer: _LineWriter,
    files: _LabelFiles,
) -> None:
    report = writer.report
    name, stem = names
    if not item.width or not item.height:
        report.warnings.append(f"item {item.id}: no upright size, no label file")
        report.leave_out("items without an upright size")
        return

    lines = [line for a in annotations for line in writer.lines(item, a)]
    relative = f"labels/{split}/{stem}.txt"
    if split not in writer.folders:
        (ctx.out / "labels" / split).mkdir(parents=True, exist_ok=True)
        writer.folders.add(split)
    text = "".join(f"{line}\n" for line in lines).encode("utf-8")
    files.write(os.path.join(ctx.out, relative), text)
    report.files.append(relative)
    report.items += 1
    report.annotations += len(annotations)

    source = ctx.media_path(item) if ctx.options.get("copy_media", True) else None
    if source is not None:
        copy_file(source, ctx.out / "images" / split / name)
        report.files.append(f"images/{split}/{name}")
    elif ctx.options.get("copy_media", True):
        report.leave_out("image files not available")


class _LabelFiles:
    """Writes label files on a second thread, in batches.

    One file per image makes creating files most of a large export's time on
    some disks; the thread lets that overlap with building the lines (the GIL
    is released while the kernel works). An error writing a file is raised in
    the exporting thread at its next write, or when the block ends.
    """

    BATCH = 256

    def __init__(self) -> None:
        self._queue: queue.Queue[list[tuple[str, bytes]] | None] = queue.Queue(64)
        self._batch: list[tuple[str, bytes]] = []
        self._error: Exception | None = None
        self._thread = threading.Thread(
            target=self._run, name="annotary-yolo-labels", daemon=True
        )

    def __enter__(self) -> _LabelFiles:
        self._thread.start()
        return self

    def write(self, path: str, data: bytes) -> None:
        if self._error is not None:
            raise self._error
        self._batch.append((path, data))
        if len(self._batch) >= self.BATCH:
            self._queue.put(self._batch)
            self._batch = []

    def __exit__(self, kind: type[BaseException] | None, *rest: object) -> None:
        if kind is None:
            self._queue.put(self._batch)
        self._queue.put(None)
        self._thread.join()
        if kind is None and self._error is not None:
            raise self._error

    def _run(self) -> None:
        while (batch := self._queue.get()) is not None:
            for path, data in batch:
                if self._error is not None:
                    break
                try:
                    _write_bytes(path, data)
                except Exception as exc:  # raised again in the exporting thread
                    self._error = exc


def _write_bytes(path: str, data: bytes) -> None:
    # A raw descriptor and one write: no text layer for a few hundred bytes.
    handle = os.open(path, _WRITE_FLAGS, 0o666)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(handle, view) :]
    finally:
        os.close(handle)


def _data_yaml(
    schema: LabelSchema, task: str, splits: list[str], report: ExportReport
) -> str:
    data: dict[str, Any] = {"path": "."}
    for split in splits:
        data[split] = f"images/{split}"
    if "val" not in splits:
        report.warnings.append("no 'val' split: Ultralytics training needs one")
    data["names"] = dict(enumerate(schema.names))
    if task == "pose":
        data["kpt_shape"] = [_keypoint_count(schema), 3]
    return str(yaml.safe_dump(data, sort_keys=False, allow_unicode=True))


def _keypoint_count(schema: LabelSchema) -> int:
    return max((len(label.keypoints) for label in schema.labels), default=0)


def _fmt(values: list[float]) -> str:
    # "+ 0.0" turns -0.0 into 0.0, which "-0.000000" would otherwise show.
    return " ".join(f"{value + 0.0:.6f}" for value in values)


def _micro(value: float) -> int:
    """``value`` in millionths, rounded exactly as ``f"{value:.6f}"`` rounds it."""
    return round(round(value, 6) * MICRO)


def _decimal(micro: int) -> str:
    """Six decimals of a non-negative count of millionths, written exactly."""
    return f"{micro // MICRO}.{micro % MICRO:06d}"


def _span(start: float, end: float, length: float) -> tuple[int, int]:
    """Centre and size in millionths of ``[start, end]``, inside ``[0, length]``.

    The six-decimal centre and size are chosen so that the box they describe
    lies inside the image in exact decimals (the centre moves by at most one
    millionth when rounding would put an edge outside). Read back and written
    again they give the same numbers, which a box poking out by rounding
    would not: the second export would clip it.
    """
    size = _micro((end - start) / length)
    half = (size + 1) // 2
    centre = _micro((start + end) / 2 / length)
    return min(max(centre, half), MICRO - half), size


class _LineWriter:
    """Turns one annotation's regions into label lines for one task."""

    def __init__(self, schema: LabelSchema, task: str, report: ExportReport) -> None:
        self.classes = {name: index for index, name in enumerate(schema.names)}
        self.task = task
        self.keypoints = _keypoint_count(schema)
        self.report = report
        self.count = 0
        self.folders: set[str] = set()

    def lines(self, item: Item, annotation: Annotation) -> list[str]:
        width, height = float(item.width or 0), float(item.height or 0)
        pairs = self._pose_pairs(annotation) if self.task == "pose" else {}
        paired = {id(box) for box in pairs.values()}
        plain = self.task == "detect"
        # A box at least one millionth inside every edge cannot have its
        # six-decimal edges rounded outside the image: its line is written
        # straight from the floats, as _span would write it.
        left, top = width * 1e-6, height * 1e-6
        right, bottom = width - left, height - top
        classes = self.classes
        lines = []
        for region in annotation.regions:
            if id(region) in paired:
                continue
            if (
                plain
                and type(region) is BBox
                and not (region.rotation or region.attributes)
                and region.score is None
            ):
                x0, y0 = region.x, region.y
                x1, y1 = x0 + region.w, y0 + region.h
                cls = classes.get(region.label or "")
                if (
                    cls is not None
                    and x0 >= left
                    and y0 >= top
                    and x1 <= right
                    and y1 <= bottom
                ):
                    wn = f"{(x1 - x0) / width:.6f}"
                    hn = f"{(y1 - y0) / height:.6f}"
                    if wn != "0.000000" and hn != "0.000000":
                        cx = (x0 + x1) / 2 / width
                        cy = (y0 + y1) / 2 / height
                        lines.append(f"{cls} {cx:.6f} {cy:.6f} {wn} {hn}")
                        continue
            line = self._line(item, region, width, height, pairs)
            if line is not None:
                lines.append(line)
        self.count += len(lines)
        return lines

    def _line(
        self,
        item: Item,
        region: Any,
        width: float,
        height: float,
        pairs: dict[int, BBox],
    ) -> str | None:
        cls = self._class_of(item, region)
        if cls is None:
            return None
        if region.attributes:
            self.report.leave_out("attributes in YOLO")
        if region.score is not None:
            self.report.leave_out("scores in YOLO")

        if self.task == "pose" and isinstance(region, Keypoints | BBox):
            return self._pose(cls, region, pairs.get(id(region)), width, height)
        if self.task == "segment" and isinstance(region, Polygon | BBox):
            return self._segment(cls, region, width, height)
        if self.task == "detect" and isinstance(region, BBox):
            box = self._box(region, width, height)
            return None if box is None else f"{cls} {box}"
        self.report.leave_out(f"{region.type} regions in YOLO {self.task}")
        return None

    def _class_of(self, item: Item, region: Any) -> int | None:
        cls = self.classes.get(region.label or "")
        if cls is None:
            self.report.leave_out(f"{region.type} regions without a schema label")
            self.report.warnings.append(
                f"item {item.id}: region {region.id} label {region.label!r} "
                "is not in the schema"
            )
        return cls

    def _box(self, box: BBox, width: float, height: float) -> str | None:
        """``cx cy w h`` of a box clipped to the image, or None when none is left."""
        x, y, w, h = box.x, box.y, box.w, box.h
        if box.rotation % 360:
            self.report.leave_out("box rotation in YOLO (enclosing box written)")
            xs, ys = zip(*rotated_corners(box), strict=True)
            x, y, w, h = min(xs), min(ys), max(xs) - min(xs), max(ys) - min(ys)
        if x >= width or y >= height or x + w <= 0 or y + h <= 0:
            self.report.leave_out("boxes entirely outside the image")
            return None
        x0, y0 = max(x, 0.0), max(y, 0.0)
        x1, y1 = min(x + w, width), min(y + h, height)
        cx, wn = _span(x0, x1, width)
        cy, hn = _span(y0, y1, height)
        if wn == 0 or hn == 0:
            self.report.leave_out("boxes thinner than six decimals can hold")
            return None
        # An overshoot within the format's precision (one millionth of the
        # side) is not counted: boxes read back from six decimals written by
        # earlier versions, which let rounding put an edge outside, show it.
        tol_x, tol_y = width * 1e-6, height * 1e-6
        if x < -tol_x or y < -tol_y or x + w > width + tol_x or y + h > height + tol_y:
            self.report.leave_out("box parts outside the image (clipped)")
        return " ".join(_decimal(v) for v in (cx, cy, wn, hn))

    def _segment(self, cls: int, region: Any, width: float, height: float) -> str:
        points = rotated_corners(region) if isinstance(region, BBox) else region.points
        if isinstance(region, BBox):
            self.report.leave_out(BOXES_AS_POLYGONS)
        if isinstance(region, Polygon) and region.holes:
            self.report.leave_out("polygon holes in YOLO")
        flat: list[float] = []
        clipped = False
        for x, y in points:
            nx, ny = min(max(x / width, 0.0), 1.0), min(max(y / height, 0.0), 1.0)
            clipped = clipped or (nx, ny) != (x / width, y / height)
            flat.extend((nx, ny))
        if clipped:
            self.report.leave_out("polygon parts outside the image (clipped)")
        return f"{cls} {_fmt(flat)}"

    def _pose_pairs(self, annotation: Annotation) -> dict[int, BBox]:
        # The k-th keypoints region of a label takes the k-th box of that label.
        boxes: dict[str | None, list[BBox]] = defaultdict(list)
        for region in annotation.regions:
            if isinstance(region, BBox):
                boxes[region.label].append(region)
        pairs = {}
        for region in annotation.regions:
            if isinstance(region, Keypoints) and boxes[region.label]:
                pairs[id(region)] = boxes[region.label].pop(0)
        return pairs

    def _pose(
        self,
        cls: int,
        region: Keypoints | BBox,
        box: BBox | None,
        width: float,
        height: float,
    ) -> str | None:
        points = region.points if isinstance(region, Keypoints) else []
        if isinstance(region, BBox):
            box = region
        elif box is None:
            box = _enclosing(points)
        normalised = self._box(box, width, height)
        if normalised is None:
            return None
        values = []
        for index in range(self.keypoints):
            x, y, v = points[index] if index < len(points) else (0.0, 0.0, 0)
            if v == 0:
                values.append("0.000000 0.000000 0")
            else:
                values.append(f"{_fmt([x / width, y / height])} {int(v)}")
        if len(points) > self.keypoints:
            self.report.leave_out("keypoints beyond kpt_shape")
        return " ".join([str(cls), normalised, *values])


def _enclosing(points: list[tuple[float, float, int]]) -> BBox:
    labelled = [(x, y) for x, y, v in points if v > 0] or [(0.0, 0.0)]
    xs, ys = zip(*labelled, strict=True)
    return BBox(x=min(xs), y=min(ys), w=max(xs) - min(xs), h=max(ys) - min(ys))


def load_yolo(path: Path, *, options: dict[str, Any] | None = None) -> LoadResult:
    """Read an Ultralytics dataset folder (``data.yaml``, images, labels).

    Args:
        path: The dataset folder or its ``data.yaml``.
        options: Unused; accepted for the common loader signature.

    Returns:
        One draft per image, split from its folder; lines that cannot be read
        are rejected with file and line number.

    Raises:
        FormatError: ``data.yaml`` is missing or has no ``names``.
    """
    yaml_path = path if path.suffix in (".yaml", ".yml") else path / "data.yaml"
    root = yaml_path.parent
    data = _read_yaml(yaml_path)
    names = _names(data, yaml_path)
    kpt_shape = data.get("kpt_shape")
    tools = ["bbox", "polygon"] + (["keypoints"] if kpt_shape else [])
    schema = LabelSchema(
        labels=[Label(name=n) for n in names],
        tools=tools,
    )
    rejections: list[Rejection] = []
    drafts = _yolo_drafts(root, data, names, kpt_shape, rejections)
    return LoadResult(schema, drafts, rejections)


def _read_yaml(yaml_path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(read_utf8(yaml_path))
    except FileNotFoundError:
        raise FormatError(f"{yaml_path}: no such file", path=str(yaml_path)) from None
    except FormatError as exc:
        raise FormatError(f"{yaml_path}: {exc.message}", path=str(yaml_path)) from None
    except yaml.YAMLError as exc:
        raise FormatError(
            f"{yaml_path}: not YAML ({exc})", path=str(yaml_path)
        ) from None
    if not isinstance(data, dict):
        raise FormatError(f"{yaml_path}: data.yaml must be a mapping")
    return data


def _names(data: dict[str, Any], yaml_path: Path) -> list[str]:
    names = data.get("names")
    if isinstance(names, dict):
        return [str(names[key]) for key in sorted(names, key=int)]
    if isinstance(names, list):
        return [str(name) for name in names]
    raise FormatError(f"{yaml_path}: no 'names' list or mapping", path=str(yaml_path))


def _yolo_drafts(
    root: Path,
    data: dict[str, Any],
    names: list[str],
    kpt_shape: Any,
    rejections: list[Rejection],
) -> Iterator[ItemDraft]:
    for split in ("train", "val", "test"):
        folder = data.get(split)
        if folder is None:
            continue
        if not isinstance(folder, str):
            reason = "only a folder path is supported here"
            rejections.append(Rejection(source=f"data.yaml: {split}", reason=reason))
            continue
        try:
            images = resolve_inside(root, folder)
        except FormatError as exc:
            rejections.append(
                Rejection(source=f"data.yaml: {split}", reason=exc.message)
            )
            continue
        labels = _labels_folder(images)
        for image in sorted(p for p in images.glob("*") if _is_image(p, root)):
            yield from _image_draft(image, labels, split, names, kpt_shape, rejections)


def _is_image(path: Path, root: Path) -> bool:
    if path.suffix.lower() not in IMAGE_SUFFIXES or not path.is_file():
        return False
    return path.resolve().is_relative_to(root.resolve())


def _labels_folder(images: Path) -> Path:
    parts = list(images.parts)
    for index in range(len(parts) - 1, -1, -1):
        if parts[index] == "images":
            parts[index] = "labels"
            return Path(*parts)
    return images


def _image_draft(
    image: Path,
    labels: Path,
    split: str,
    names: list[str],
    kpt_shape: Any,
    rejections: list[Rejection],
) -> Iterator[ItemDraft]:
    width, height = upright_size(image)
    label_file = labels / f"{image.stem}.txt"
    regions: list[Any] = []
    if label_file.is_file():
        shown = f"{label_file.parent.name}/{label_file.name}"
        try:
            text = read_utf8(label_file)
        except FormatError as exc:
            line = exc.details.get("line", 1)
            reason = f"{exc.details['reason']}; image {image.name} left out"
            rejections.append(Rejection(source=f"{shown}:{line}", reason=reason))
            return
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            where = f"{shown}:{number}"
            try:
                regions.extend(_parse(line, names, kpt_shape, width, height))
            except (ValueError, IndexError) as exc:
                rejections.append(Rejection(source=where, reason=describe(exc)))
    annotations = (
        [Annotation(item_id=0, regions=regions, origin=Origin.imported)]
        if regions
        else []
    )
    yield ItemDraft(
        file_path=str(image),
        external_id=image.name,
        source=f"images/{split}/{image.name}",
        meta={"file_name": image.name},
        split=split,
        annotations=annotations,
    )


def _parse(
    line: str, names: list[str], kpt_shape: Any, width: int, height: int
) -> list[Any]:
    fields = line.split()
    if not fields[0].isdigit():
        raise ValueError(f"class {fields[0]!r} is not a whole number")
    cls = int(fields[0])
    if not 0 <= cls < len(names):
        raise ValueError(f"class {cls} is not in names (0..{len(names) - 1})")
    values = [finite(v, f"field {n}") for n, v in enumerate(fields[1:], start=2)]
    label = names[cls]
    if kpt_shape:
        count, dims = int(kpt_shape[0]), int(kpt_shape[1])
        if len(values) == 4 + count * dims:
            return _pose_regions(label, values, dims, width, height)
    if len(values) == 4:
        return [_denormalise_box(label, values, width, height)]
    if len(values) >= 6 and len(values) % 2 == 0:
        points = [
            (values[i] * width, values[i + 1] * height)
            for i in range(0, len(values), 2)
        ]
        return [Polygon(label=label, points=points)]
    raise ValueError(f"{len(values)} numbers after the class fit no YOLO task")


def _denormalise_box(label: str, values: list[float], width: int, height: int) -> BBox:
    cx, cy, w, h = values[:4]
    return BBox(
        label=label,
        x=(cx - w / 2) * width,
        y=(cy - h / 2) * height,
        w=w * width,
        h=h * height,
    )


def _pose_regions(
    label: str, values: list[float], dims: int, width: int, height: int
) -> list[Any]:
    box = _denormalise_box(label, values, width, height)
    rest = values[4:]
    points = []
    for i in range(0, len(rest), dims):
        x, y = rest[i] * width, rest[i + 1] * height
        v = int(rest[i + 2]) if dims == 3 else 2
        points.append((x, y, v) if v else (0.0, 0.0, 0))
    return [box, Keypoints(label=label, points=points)]


FORMAT = FormatSpec(
    NAME,
    frozenset({"image"}),
    dump_yolo,
    load_yolo,
    export_options={"copy_media": "flag", "task": "text"},
)
