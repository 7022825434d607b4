"""``cvat.v1``: migrate a "CVAT for images 1.1" XML export (import only).

Boxes are ``xtl ytl xbr ybr`` in pixels with ``rotation`` in degrees clockwise
about the centre, the same convention as Annotary's. Polygons and points are
``x,y;x,y``; tags become class regions; ``occluded`` and ``<attribute>``
elements become region attributes. Shapes Annotary cannot hold (polylines,
ellipses, cuboids, masks, skeletons) are rejected by image and shape.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import Element, ParseError

from defusedxml import ElementTree as SafeET
from defusedxml.common import DefusedXmlException

from annotary.core import (
    Annotation,
    BBox,
    ClassRegion,
    ItemDraft,
    Keypoints,
    Label,
    Origin,
    Polygon,
    Rejection,
)
from annotary.core.schema import LabelSchema
from annotary.errors import FormatError
from annotary.formats.base import FormatSpec, LoadResult
from annotary.formats.paths import find_file
from annotary.formats.problems import describe

NAME = "cvat.v1"
_TOOLS = {"box": "bbox", "polygon": "polygon", "points": "keypoints", "tag": "class"}


def load_cvat(path: Path, *, options: dict[str, Any] | None = None) -> LoadResult:
    """Read a CVAT for images 1.1 XML file into drafts.

    Args:
        path: The XML file (``annotations.xml``) or the folder holding it;
            images are looked up by name under its folder, then ``images/``.
        options: Unused; accepted for the common loader signature.

    Returns:
        Labels in the order of the task's label list, one draft per image.

    Raises:
        FormatError: not XML, unsafe XML, or not a CVAT ``<annotations>`` file.
    """
    source = path / "annotations.xml" if path.is_dir() else path
    try:
        root = SafeET.parse(source).getroot()
    except (OSError, ParseError, DefusedXmlException) as exc:
        raise FormatError(f"{source}: cannot read CVAT XML: {describe(exc)}") from None
    if root.tag != "annotations":
        raise FormatError(f"{source}: the root element is not <annotations>")

    names = [n.text or "" for n in root.iterfind(".//meta//labels/label/name")]
    for image in root.iter("image"):
        for shape in image:
            label = shape.get("label")
            if label and label not in names:
                names.append(label)
    tools = sorted(
        {_TOOLS[s.tag] for i in root.iter("image") for s in i if s.tag in _TOOLS}
    )
    schema = LabelSchema(labels=[Label(name=n) for n in names if n], tools=tools)
    rejections: list[Rejection] = []
    return LoadResult(schema, _drafts(root, source.parent, rejections), rejections)


def _drafts(
    root: Element, folder: Path, rejections: list[Rejection]
) -> Iterator[ItemDraft]:
    for image in root.iter("image"):
        name = image.get("name") or ""
        where = f"image {image.get('id')} {name!r}"
        found = find_file(folder, [name, f"images/{name}"], where)
        if isinstance(found, Rejection):
            rejections.append(found)
            continue
        regions = []
        for shape in image:
            try:
                region = _region(shape)
            except (KeyError, TypeError, ValueError) as exc:
                rejections.append(
                    Rejection(source=where, reason=f"<{shape.tag}>: {describe(exc)}")
                )
                continue
            if region is None:
                reason = f"<{shape.tag}> shapes are not supported"
                rejections.append(Rejection(source=where, reason=reason))
            else:
                regions.append(region)
        subset = image.get("subset")
        yield ItemDraft(
            file_path=str(found),
            external_id=name,
            source=where,
            meta={"file_name": Path(name).name},
            split=subset.lower() if subset else None,
            annotations=[Annotation(item_id=0, regions=regions, origin=Origin.imported)]
            if regions
            else [],
        )


def _points(text: str) -> list[tuple[float, float]]:
    pairs = [p.split(",") for p in text.split(";") if p.strip()]
    return [(float(x), float(y)) for x, y in pairs]


def _attributes(shape: Element) -> dict[str, Any]:
    attributes: dict[str, Any] = {}
    if shape.get("occluded") == "1":
        attributes["occluded"] = True
    for element in shape.iterfind("attribute"):
        attributes[element.get("name") or ""] = element.text or ""
    return attributes


def _region(shape: Element) -> Any:
    common: dict[str, Any] = {
        "label": shape.get("label"),
        "attributes": _attributes(shape),
    }
    if shape.tag == "box":
        xtl, ytl = float(shape.get("xtl", "")), float(shape.get("ytl", ""))
        xbr, ybr = float(shape.get("xbr", "")), float(shape.get("ybr", ""))
        rotation = float(shape.get("rotation") or 0.0)
        return BBox(x=xtl, y=ytl, w=xbr - xtl, h=ybr - ytl, rotation=rotation, **common)
    if shape.tag == "polygon":
        return Polygon(points=_points(shape.get("points", "")), **common)
    if shape.tag == "points":
        points = [(x, y, 2) for x, y in _points(shape.get("points", ""))]
        return Keypoints(points=points, **common)
    if shape.tag == "tag":
        return ClassRegion(labels=[common.pop("label")], **common)
    return None


FORMAT = FormatSpec(NAME, frozenset({"image"}), None, load_cvat)
