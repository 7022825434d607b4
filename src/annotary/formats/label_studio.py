"""``label_studio.v1``: migrate a Label Studio JSON export (import only).

Label Studio stores image geometry in percent of the image, and rotates a
rectangle about its top-left corner; Annotary rotates about the centre. The
conversion lives in :func:`ls_rect_to_bbox` and :func:`bbox_to_ls_rect`.
Text offsets are JavaScript (UTF-16) offsets and become code points. Images
are looked up inside the import root; URLs are never fetched.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import parse_qs, unquote, urlparse

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
    Relation,
    Span,
    Transcript,
)
from annotary.core.schema import LabelSchema
from annotary.core.text import utf16_to_codepoint
from annotary.errors import FormatError
from annotary.formats.base import FormatSpec, LoadResult
from annotary.formats.paths import find_file
from annotary.formats.problems import describe, read_utf8

NAME = "label_studio.v1"
Entry = dict[str, Any]
_LABEL_KEYS = {
    "rectanglelabels": "bbox",
    "polygonlabels": "polygon",
    "keypointlabels": "keypoints",
    "labels": "span",
    "choices": "class",
    "textarea": "transcript",
}


def ls_rect_to_bbox(value: Entry, width: float, height: float) -> BBox:
    """A Label Studio rectangle (percent, rotated about its top-left) as a BBox.

    Example:
        >>> ls_rect_to_bbox({"x": 0, "y": 0, "width": 10, "height": 20,
        ...                  "rotation": 90}, 100, 100)  # doctest: +ELLIPSIS
        BBox(... x=-15.0, y=-5.0, w=10.0, h=20.0, rotation=90.0, ...)
    """
    x0, y0 = value["x"] * width / 100, value["y"] * height / 100
    w, h = value["width"] * width / 100, value["height"] * height / 100
    rotation = float(value.get("rotation") or 0.0)
    theta = math.radians(rotation)
    # The centre is the top-left corner plus the rotated half-diagonal.
    cx = x0 + w / 2 * math.cos(theta) - h / 2 * math.sin(theta)
    cy = y0 + w / 2 * math.sin(theta) + h / 2 * math.cos(theta)
    return BBox(x=cx - w / 2, y=cy - h / 2, w=w, h=h, rotation=rotation)


def bbox_to_ls_rect(box: BBox, width: float, height: float) -> Entry:
    """The inverse of :func:`ls_rect_to_bbox`."""
    theta = math.radians(box.rotation)
    cx, cy = box.x + box.w / 2, box.y + box.h / 2
    x0 = cx - box.w / 2 * math.cos(theta) + box.h / 2 * math.sin(theta)
    y0 = cy - box.w / 2 * math.sin(theta) - box.h / 2 * math.cos(theta)
    return {
        "x": x0 * 100 / width,
        "y": y0 * 100 / height,
        "width": box.w * 100 / width,
        "height": box.h * 100 / height,
        "rotation": box.rotation,
    }


def load_label_studio(
    path: Path, *, options: dict[str, Any] | None = None
) -> LoadResult:
    """Read a Label Studio JSON export (a list of tasks).

    Args:
        path: The JSON file; images are looked up under its folder.
        options: ``root``: the image folder, relative to the JSON's folder.

    Returns:
        Annotations become ``imported`` annotations with the annotator and
        lead time; predictions become ``model`` annotations. Results of types
        Annotary cannot hold are rejected with task and result ids.

    Raises:
        FormatError: the file is not JSON or not a list of tasks.
    """
    options = options or {}
    try:
        tasks = json.loads(read_utf8(path))
    except (OSError, json.JSONDecodeError, FormatError) as exc:
        reason = describe(exc) if not isinstance(exc, OSError) else exc.strerror
        raise FormatError(f"{path}: cannot read Label Studio JSON: {reason}") from None
    tasks = [tasks] if isinstance(tasks, dict) else tasks
    if not isinstance(tasks, list) or not all(isinstance(t, dict) for t in tasks):
        raise FormatError(f"{path}: a Label Studio export is a list of tasks")

    labels: list[str] = []
    tools: list[str] = []
    for task in tasks:
        for result in _results(task):
            tool = _LABEL_KEYS.get(str(result.get("type")))
            if tool and tool not in tools:
                tools.append(tool)
            for name in (result.get("value") or {}).get(str(result.get("type")), []):
                if (
                    isinstance(name, str)
                    and tool != "transcript"
                    and name not in labels
                ):
                    labels.append(name)
    schema = LabelSchema(labels=[Label(name=n) for n in labels], tools=tools)
    root = path.parent / str(options.get("root", ""))
    rejections: list[Rejection] = []
    return LoadResult(schema, _drafts(tasks, root, rejections), rejections)


def _results(task: Entry) -> Iterator[Entry]:
    for key in ("annotations", "predictions"):
        for entry in task.get(key) or []:
            yield from entry.get("result") or []


def _drafts(
    tasks: list[Entry], root: Path, rejections: list[Rejection]
) -> Iterator[ItemDraft]:
    for task in tasks:
        where = f"task {task.get('id')}"
        data = task.get("data") or {}
        draft = ItemDraft(
            source=where,
            external_id=str(task.get("id")),
            meta={"label_studio_id": task.get("id")},
        )
        text = data.get("text")
        image = next((data[k] for k in ("image", "img") if data.get(k)), None)
        if isinstance(text, str):
            draft.text = text
        elif isinstance(image, str):
            found = _image(image, root, where)
            if isinstance(found, Rejection):
                rejections.append(found)
                continue
            draft.file_path = str(found)
            draft.meta["file_name"] = found.name
        else:
            rejections.append(
                Rejection(source=where, reason="no 'text' or 'image' in data")
            )
            continue
        draft.annotations = list(_annotations(task, text, where, rejections))
        yield draft


def _image(url: str, root: Path, where: str) -> Path | Rejection:
    parsed = urlparse(url)
    if parsed.scheme and parsed.scheme not in ("file",):
        return Rejection(
            source=where, reason=f"image {url!r} is a URL; it is not fetched"
        )
    query = parse_qs(parsed.query).get("d")
    relative = unquote(query[0]) if query else unquote(parsed.path)
    if relative.startswith("/data/"):
        relative = relative[len("/data/") :]
    names = [relative, PurePosixPath(relative).name]
    return find_file(root, [n for n in names if n], where)


def _annotations(
    task: Entry, text: str | None, where: str, rejections: list[Rejection]
) -> Iterator[Annotation]:
    for key, origin in (
        ("annotations", Origin.imported),
        ("predictions", Origin.model),
    ):
        for entry in task.get(key) or []:
            if entry.get("was_cancelled"):
                continue
            regions = []
            for result in entry.get("result") or []:
                region = _checked_region(result, text, where, rejections)
                if region is not None:
                    regions.append(region)
            author = entry.get("completed_by")
            yield Annotation(
                item_id=0,
                regions=regions,
                origin=origin,
                author=None if author is None else str(author),
                model_version=str(entry.get("model_version") or "") or None,
                lead_time=entry.get("lead_time"),
            )


def _checked_region(
    result: Entry, text: str | None, where: str, rejections: list[Rejection]
) -> Any:
    try:
        region = _region(result, text)
    except (KeyError, TypeError, ValueError, ZeroDivisionError) as exc:
        reason = f"result {result.get('id')}: {describe(exc)}"
        rejections.append(Rejection(source=where, reason=reason))
        return None
    if region is None:
        reason = (
            f"result {result.get('id')}: type {result.get('type')!r} is not supported"
        )
        rejections.append(Rejection(source=where, reason=reason))
    return region


def _region(result: Entry, text: str | None) -> Any:
    kind = str(result.get("type"))
    if kind not in _LABEL_KEYS and kind != "relation":
        return None
    value = result.get("value") or {}
    common: Entry = {}
    if result.get("id"):
        common["id"] = str(result["id"])
    if result.get("score") is not None:
        common["score"] = float(result["score"])
    names = value.get(kind) or []
    if kind in ("rectanglelabels", "polygonlabels", "keypointlabels", "labels"):
        common["label"] = names[0] if names else None
    if kind == "relation":
        return Relation(
            source=str(result["from_id"]),
            target=str(result["to_id"]),
            label=(result.get("labels") or [None])[0],
            **common,
        )
    if kind == "choices":
        return ClassRegion(labels=list(names), **common)
    if kind == "textarea":
        return Transcript(text="\n".join(names), **common)
    if kind == "labels":
        source = text or ""
        start = utf16_to_codepoint(source, int(value["start"]))
        end = utf16_to_codepoint(source, int(value["end"]))
        return Span(start=start, end=end, text=source[start:end], **common)

    width, height = float(result["original_width"]), float(result["original_height"])
    if kind == "rectanglelabels":
        return ls_rect_to_bbox(value, width, height).model_copy(update=common)
    if kind == "polygonlabels":
        points = [(x * width / 100, y * height / 100) for x, y in value["points"]]
        return Polygon(points=points, **common)
    point = (value["x"] * width / 100, value["y"] * height / 100, 2)
    return Keypoints(points=[point], **common)


FORMAT = FormatSpec(NAME, frozenset({"image", "text"}), None, load_label_studio)
