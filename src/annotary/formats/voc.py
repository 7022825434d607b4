"""``voc.v1``: Pascal VOC XML, one file per image.

Corners are integers, 1-based and inclusive: a box covering pixels
``[x, x + w)`` (0-based, see DESIGN.md) is written ``xmin = x + 1``,
``xmax = x + w``, rounded to whole pixels and clipped to the upright image.
``difficult``, ``truncated``, ``occluded`` and ``pose`` come from region
attributes. Layout: ``Annotations/<stem>.xml``, ``JPEGImages/<name>`` and
``ImageSets/Main/<split>.txt``.
"""

from __future__ import annotations

import logging
import xml.etree.ElementTree as ET
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from typing import Any

from defusedxml import ElementTree as SafeET

from annotary.core import Annotation, BBox, ItemDraft, Label, Origin, Rejection
from annotary.core.geometry import rotated_corners
from annotary.core.models import Item
from annotary.core.schema import LabelSchema
from annotary.errors import FormatError
from annotary.formats.base import ExportContext, ExportReport, FormatSpec, LoadResult
from annotary.formats.naming import image_name, safe_split
from annotary.formats.paths import copy_file, find_file
from annotary.formats.problems import describe, finite, read_utf8

logger = logging.getLogger("annotary.formats")

NAME = "voc.v1"
FLAGS = ("difficult", "truncated", "occluded")


def to_voc_corners(box: BBox, width: int, height: int) -> tuple[int, int, int, int]:
    """1-based inclusive integer corners of a box, clipped to the image.

    Example:
        >>> to_voc_corners(BBox(x=0, y=0, w=10, h=5), 100, 100)
        (1, 1, 10, 5)
    """
    xmin = min(max(round(box.x) + 1, 1), width)
    ymin = min(max(round(box.y) + 1, 1), height)
    xmax = min(max(round(box.x + box.w), 1), width)
    ymax = min(max(round(box.y + box.h), 1), height)
    return xmin, ymin, xmax, ymax


def from_voc_corners(xmin: int, ymin: int, xmax: int, ymax: int) -> BBox:
    """The box (0-based pixels, x, y, w, h) that VOC corners describe."""
    return BBox(x=xmin - 1, y=ymin - 1, w=xmax - xmin + 1, h=ymax - ymin + 1)


def dump_voc(ctx: ExportContext) -> ExportReport:
    """Write Pascal VOC XML files, one per item, plus split lists.

    Args:
        ctx: The export context; ``ctx.out`` must be a folder. Option
            ``copy_media`` (default True) copies images into ``JPEGImages/``.

    Returns:
        The export report (rounding, clipping, rotation and other attributes
        are counted in ``left_out``).

    Raises:
        FormatError: ``ctx.out`` is a file.
    """
    if ctx.out.is_file():
        raise FormatError(f"{ctx.out}: a VOC export needs a folder", path=str(ctx.out))
    report = ExportReport(format=NAME)
    splits: dict[str, list[str]] = defaultdict(list)
    taken: set[str] = set()
    logger.info("voc export of %s started", ctx.project.name)

    for item, item_annotations in ctx.records:
        name = image_name(item)
        stem = PurePosixPath(name).stem
        if stem in taken:
            name, stem = f"{item.id}_{name}", f"{item.id}_{stem}"
        taken.add(stem)
        if _write_item(ctx, item, item_annotations, name, stem, report):
            splits[safe_split(item.split)].append(stem)

    for split, stems in sorted(splits.items()):
        target = ctx.out / "ImageSets" / "Main" / f"{split}.txt"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text("".join(f"{s}\n" for s in stems), encoding="utf-8")
        report.files.append(target.relative_to(ctx.out).as_posix())
    logger.info("voc export wrote %s files", report.items)
    return report


def _write_item(
    ctx: ExportContext,
    item: Item,
    annotations: list[Annotation],
    name: str,
    stem: str,
    report: ExportReport,
) -> bool:
    if not item.width or not item.height:
        report.warnings.append(f"item {item.id}: no upright size, no VOC file")
        report.leave_out("items without an upright size")
        return False

    root = ET.Element("annotation")
    _text(root, "folder", "JPEGImages")
    _text(root, "filename", name)
    size = ET.SubElement(root, "size")
    for tag, value in (("width", item.width), ("height", item.height), ("depth", 3)):
        _text(size, tag, str(value))
    _text(root, "segmented", "0")
    for annotation in annotations:
        for region in annotation.regions:
            _object(root, item, region, report)

    target = ctx.out / "Annotations" / f"{stem}.xml"
    target.parent.mkdir(parents=True, exist_ok=True)
    ET.indent(root)
    ET.ElementTree(root).write(target, encoding="utf-8", xml_declaration=False)
    report.files.append(f"Annotations/{stem}.xml")
    report.items += 1
    report.annotations += len(annotations)
    _copy_image(ctx, item, name, report)
    return True


def _copy_image(
    ctx: ExportContext, item: Item, name: str, report: ExportReport
) -> None:
    if not ctx.options.get("copy_media", True):
        return
    source = ctx.media_path(item)
    if source is None:
        report.leave_out("image files not available")
        return
    copy_file(source, ctx.out / "JPEGImages" / name)
    report.files.append(f"JPEGImages/{name}")


def _text(parent: ET.Element, tag: str, value: str) -> ET.Element:
    element = ET.SubElement(parent, tag)
    element.text = value
    return element


def _object(root: ET.Element, item: Item, region: Any, report: ExportReport) -> None:
    if not isinstance(region, BBox):
        report.leave_out(f"{region.type} regions in VOC")
        return
    if not region.label:
        report.leave_out("boxes without a label")
        return
    box = _upright(region, report)
    corners = to_voc_corners(box, item.width or 0, item.height or 0)
    if corners[2] < corners[0] or corners[3] < corners[1]:
        report.leave_out("boxes entirely outside the image")
        return
    _count_losses(box, corners, region, report)

    element = ET.SubElement(root, "object")
    _text(element, "name", region.label)
    _text(element, "pose", str(region.attributes.get("pose", "Unspecified")))
    for flag in FLAGS:
        _text(element, flag, "1" if region.attributes.get(flag) else "0")
    bndbox = ET.SubElement(element, "bndbox")
    for tag, value in zip(("xmin", "ymin", "xmax", "ymax"), corners, strict=True):
        _text(bndbox, tag, str(value))
    report.regions += 1


def _upright(region: BBox, report: ExportReport) -> BBox:
    if not region.rotation % 360:
        return region
    report.leave_out("box rotation in VOC (enclosing box written)")
    xs, ys = zip(*rotated_corners(region), strict=True)
    return BBox(x=min(xs), y=min(ys), w=max(xs) - min(xs), h=max(ys) - min(ys))


def _count_losses(
    box: BBox, corners: tuple[int, ...], region: BBox, report: ExportReport
) -> None:
    exact = (box.x + 1, box.y + 1, box.x + box.w, box.y + box.h)
    if any(float(c) != e for c, e in zip(corners, exact, strict=True)):
        report.leave_out("box coordinates rounded or clipped to whole pixels")
    if set(region.attributes) - {*FLAGS, "pose"}:
        report.leave_out("attributes in VOC")
    if region.score is not None:
        report.leave_out("scores in VOC")


def load_voc(path: Path, *, options: dict[str, Any] | None = None) -> LoadResult:
    """Read Pascal VOC XML files into drafts.

    Args:
        path: A VOC folder (``Annotations/`` inside), a folder of XML files
            or one XML file. Images are looked up in ``JPEGImages/``, then
            beside the XML; splits come from ``ImageSets/Main/*.txt``.
        options: Unused; accepted for the common loader signature.

    Returns:
        Labels in first-seen order; one draft per XML file.
    """
    if path.is_file():
        root, files = path.parent, [path]
    else:
        folder = path / "Annotations" if (path / "Annotations").is_dir() else path
        root, files = path, sorted(folder.glob("*.xml"))
    splits = _splits(root)
    labels: list[str] = []
    parsed = []
    rejections: list[Rejection] = []
    for file in files:
        try:
            parsed.append((file, _parse(file, labels, rejections)))
        except (ET.ParseError, ValueError, FormatError) as exc:
            rejections.append(Rejection(source=file.name, reason=describe(exc)))
    schema = LabelSchema(labels=[Label(name=n) for n in labels], tools=["bbox"])
    return LoadResult(schema, _voc_drafts(root, parsed, splits, rejections), rejections)


def _splits(root: Path) -> dict[str, str]:
    found: dict[str, str] = {}
    main = root / "ImageSets" / "Main"
    for split in ("train", "val", "test", "trainval"):
        listing = main / f"{split}.txt"
        if listing.is_file():
            # A split list that cannot be read only loses the split names.
            try:
                stems = read_utf8(listing).split()
            except FormatError:
                continue
            for stem in stems:
                found.setdefault(stem, split)
    return found


def _parse(
    file: Path, labels: list[str], rejections: list[Rejection]
) -> tuple[str, list[BBox]]:
    """The image name and the boxes of one XML file.

    A bad object is reported (file, object number, what is wrong) and left
    out; the others and the image still come in.
    """
    tree = SafeET.parse(file)
    name = (tree.findtext("filename") or "").strip()
    if not name:
        raise FormatError("no <filename>")
    boxes = []
    for number, element in enumerate(tree.iter("object"), start=1):
        try:
            box = _object_box(element)
        except ValueError as exc:
            reason = f"{describe(exc)}; object left out"
            where = f"{file.name}: object {number}"
            rejections.append(Rejection(source=where, reason=reason))
            continue
        boxes.append(box)
        if box.label not in labels:
            labels.append(str(box.label))
    return name, boxes


def _object_box(element: Any) -> BBox:
    label = (element.findtext("name") or "").strip()
    if not label:
        raise ValueError("no <name>")
    corners = []
    for tag in ("xmin", "ymin", "xmax", "ymax"):
        value = element.findtext(f"bndbox/{tag}")
        if value is None:
            raise ValueError(f"{label}: no <bndbox>/<{tag}>")
        corners.append(round(finite(value.strip(), f"{label}: <{tag}>")))
    xmin, ymin, xmax, ymax = corners
    if xmax < xmin:
        raise ValueError(f"{label}: xmax {xmax} is less than xmin {xmin}")
    if ymax < ymin:
        raise ValueError(f"{label}: ymax {ymax} is less than ymin {ymin}")
    box = from_voc_corners(xmin, ymin, xmax, ymax)
    box.label = label
    box.attributes = _attributes(element)
    return box


def _attributes(element: Any) -> dict[str, Any]:
    attributes: dict[str, Any] = {}
    for flag in FLAGS:
        if (element.findtext(flag) or "0").strip() == "1":
            attributes[flag] = True
    pose = (element.findtext("pose") or "Unspecified").strip()
    if pose != "Unspecified":
        attributes["pose"] = pose
    return attributes


def _voc_drafts(
    root: Path,
    parsed: list[tuple[Path, tuple[str, list[BBox]]]],
    splits: dict[str, str],
    rejections: list[Rejection],
) -> Iterator[ItemDraft]:
    for file, (name, boxes) in parsed:
        found = find_file(root, [f"JPEGImages/{name}", name], file.name)
        if isinstance(found, Rejection):
            rejections.append(found)
            continue
        annotations = (
            [Annotation(item_id=0, regions=list(boxes), origin=Origin.imported)]
            if boxes
            else []
        )
        yield ItemDraft(
            file_path=str(found),
            external_id=name,
            source=file.name,
            meta={"file_name": name},
            split=splits.get(file.stem),
            annotations=annotations,
        )


FORMAT = FormatSpec(
    NAME,
    frozenset({"image"}),
    dump_voc,
    load_voc,
    export_options={"copy_media": "flag"},
)
