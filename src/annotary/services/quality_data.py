"""What the quality services read: the project's finished human work, per kind.

One pass over the annotations of a project gives, for each kind of region,
``item -> annotator -> answer`` mappings that the pure metrics in
`annotary.quality` take as they are.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import Any

from sqlalchemy import Connection, select

from annotary.core.models import Annotation, Project
from annotary.core.regions import BBox, ClassRegion, Mask, Polygon, Region, Span
from annotary.quality.boxes import box_agreement
from annotary.quality.shapes import Shape, Size, shapes_agree
from annotary.services.annotations import parse_regions
from annotary.storage import tables as t

FINISHED = ("submitted", "accepted")


@dataclass(slots=True)
class Done:
    """A finished annotation as the metrics need it (regions parsed on demand).

    Attributes:
        id: The annotation id.
        item_id: Its item.
        user_id: Its annotator's user id, if any.
        author: Its author name, if any.
        created_at: When it was made.
        lead_time: Seconds spent on it, when known.
        raw: Its regions as stored (JSON).
    """

    id: int
    item_id: int
    user_id: int | None
    author: str | None
    created_at: datetime | None
    lead_time: float | None
    raw: list[dict[str, Any]]

    @property
    def regions(self) -> list[Region]:
        """The regions, validated."""
        return parse_regions(self.raw)


@dataclass
class Work:
    """A project's latest finished human annotation per (item, annotator).

    Attributes:
        annotations: The annotations kept, in id order.
        classes: ``item -> annotator -> label`` (a frozenset when the schema
            is multi-label) for annotations with class regions.
        boxes: ``item -> annotator -> boxes`` for annotations with boxes.
        shapes: ``item -> annotator -> polygons and masks`` for annotations
            with them.
        spans: ``item -> annotator -> spans`` for annotations with spans.
        transcripts: ``item -> annotator -> text``, the annotation's
            transcript regions in time order joined by spaces.
        texts: ``item -> text`` of the items with spans.
        sizes: ``item -> (height, width)`` of the images with shapes, where
            known.
        ids: ``(item, annotator) -> annotation id``.
    """

    annotations: list[Done] = field(default_factory=list)
    classes: dict[Any, dict[Hashable, Any]] = field(default_factory=dict)
    boxes: dict[Any, dict[Hashable, list[BBox]]] = field(default_factory=dict)
    shapes: dict[Any, dict[Hashable, list[Shape]]] = field(default_factory=dict)
    spans: dict[Any, dict[Hashable, list[Span]]] = field(default_factory=dict)
    transcripts: dict[Any, dict[Hashable, str]] = field(default_factory=dict)
    texts: dict[Any, str] = field(default_factory=dict)
    sizes: dict[Any, Size | None] = field(default_factory=dict)
    ids: dict[tuple[int, Hashable], int] = field(default_factory=dict)

    @cached_property
    def annotators(self) -> list[Hashable]:
        """The people, in order of their first annotation (no `Unattributed`)."""
        authors = (author_of(a) for a in self.annotations)
        return [a for a in dict.fromkeys(authors) if not isinstance(a, Unattributed)]

    @cached_property
    def unattributed(self) -> int:
        """How many of the annotations have no annotator."""
        return sum(isinstance(author_of(a), Unattributed) for a in self.annotations)

    def people(
        self, rows: dict[Any, dict[Hashable, Any]]
    ) -> dict[Any, dict[Hashable, Any]]:
        """Rows of this work (``item -> author -> answer``) less `Unattributed` authors.

        What pair tables and annotator cards read. Rows left empty are
        dropped, and the items come in the order of their first remaining
        annotation, as they would with no unattributed work: pairs are named
        in order of first appearance, so the people's pairs come out the same
        either way.
        """
        if not self.unattributed:
            return rows
        kept = {}
        for item, row in rows.items():
            found = {a: v for a, v in row.items() if not isinstance(a, Unattributed)}
            if found:
                kept[item] = found
        first = {
            item: min(self.ids[item, a] for a in row) for item, row in kept.items()
        }
        return {item: kept[item] for item in sorted(kept, key=first.__getitem__)}


@dataclass(frozen=True, slots=True)
class Unattributed:
    """Who made an annotation that names neither an author nor a user.

    Such annotations come from imports without an author and from scripts
    that save work without a user. Each one is its own rater on its item, so
    two of them on one item are two ratings for item-level metrics (alpha,
    Fleiss, disagreements, consensus), but it is nobody's work: annotator
    cards, pair tables and the count of annotators leave it out. It reads
    ``#<annotation id>``, as it did when it was a plain string.

    Attributes:
        annotation_id: The annotation.
    """

    annotation_id: int | None

    def __str__(self) -> str:
        return f"#{self.annotation_id}"


def author_of(annotation: Annotation | Done) -> Hashable:
    """Who an annotation is counted under: its author, its user id or `Unattributed`."""
    return annotation.author or annotation.user_id or Unattributed(annotation.id)


@dataclass(frozen=True, slots=True)
class UnattributedColumn:
    """The k-th unattributed rating of every item, as one column of a table.

    Attributes:
        k: Which of an item's unattributed ratings (from 0, in id order).
    """

    k: int

    def __str__(self) -> str:
        return f"unattributed {self.k + 1}"


def rater_columns(
    rows: dict[Any, dict[Hashable, Any]],
) -> dict[Any, dict[Hashable, Any]]:
    """The rows with each item's unattributed ratings in shared columns.

    A ratings table has a column per rater, so N unattributed annotations
    would make an N x N table. Metrics that count each item's ratings
    (percent agreement, Fleiss, Krippendorff, Gwet, majority vote) give the
    same values when the k-th unattributed rating of every item sits in
    column ``UnattributedColumn(k)``; two of them on one item stay two.
    """
    out: dict[Any, dict[Hashable, Any]] = {}
    for item, row in rows.items():
        columns: dict[Hashable, Any] = {}
        k = 0
        for rater, answer in row.items():
            if isinstance(rater, Unattributed):
                rater = UnattributedColumn(k)
                k += 1
            columns[rater] = answer
        out[item] = columns
    return out


def load_work(
    conn: Connection,
    project: Project,
    guideline_version: int | None = None,
) -> Work:
    """Read the finished human work of a project (reviewers' fixes left out).

    Args:
        conn: An open connection.
        project: The project.
        guideline_version: Only annotations made under this guideline version.
    """
    c = t.annotations.c
    query = (
        select(
            c.id, c.item_id, c.user_id, c.author, c.created_at, c.lead_time, c.regions
        )
        .where(
            (t.annotations.c.project_id == project.id)
            & (t.annotations.c.origin == "human")
            & t.annotations.c.state.in_(FINISHED)
            & t.annotations.c.parent_id.is_(None)
        )
        .order_by(t.annotations.c.id)
    )
    if guideline_version is not None:
        query = query.where(t.annotations.c.guideline_version == guideline_version)
    latest: dict[tuple[int, Hashable], Done] = {}
    for row in conn.execute(query).all():
        annotation = Done(*row)
        latest[annotation.item_id, author_of(annotation)] = annotation

    work = Work(annotations=sorted(latest.values(), key=lambda a: a.id or 0))
    multi = project.label_schema.multi_label
    tools = {str(tool) for tool in project.label_schema.tools}
    for annotation in work.annotations:
        _add(work, annotation, multi, tools)
    if work.spans:
        work.texts = item_texts(conn, list(work.spans))
    if work.shapes:
        work.sizes = item_sizes(conn, list(work.shapes))
    return work


def item_texts(conn: Connection, item_ids: list[int]) -> dict[int, str]:
    """``item id -> text`` for the given items (empty text when none)."""
    rows = conn.execute(
        select(t.items.c.id, t.items.c.text).where(t.items.c.id.in_(item_ids))
    ).all()
    return {item_id: text or "" for item_id, text in rows}


def item_sizes(conn: Connection, item_ids: list[int]) -> dict[int, Size | None]:
    """``item id -> (height, width)`` of the upright image, None when unknown."""
    rows = conn.execute(
        select(t.items.c.id, t.items.c.media).where(t.items.c.id.in_(item_ids))
    ).all()
    out: dict[int, Size | None] = {}
    for item_id, media in rows:
        height, width = (media or {}).get("height"), (media or {}).get("width")
        out[item_id] = (int(height), int(width)) if height and width else None
    return out


def gold_regions(conn: Connection, project_id: int) -> dict[int, list[Region]]:
    """The project's gold answers, ``item id -> regions``."""
    rows = conn.execute(
        select(t.gold_answers.c.item_id, t.gold_answers.c.regions).where(
            t.gold_answers.c.project_id == project_id
        )
    ).all()
    return {item_id: parse_regions(regions) for item_id, regions in rows}


def class_answer(regions: list[Region], multi: bool) -> Any:
    """The class answer of some regions: a label, a frozenset, or None."""
    labels = [
        label
        for region in regions
        if isinstance(region, ClassRegion)
        for label in region.labels
    ]
    if multi:
        return frozenset(labels) if labels else None
    return labels[0] if len(labels) == 1 else None


def _add(work: Work, annotation: Done, multi: bool, tools: set[str]) -> None:
    item, author = annotation.item_id, author_of(annotation)
    work.ids[item, author] = annotation.id
    raw = annotation.raw

    answer = _raw_class_answer(raw, multi)
    if answer is not None:
        work.classes.setdefault(item, {})[author] = answer
    boxes = [BBox.model_validate(r) for r in raw if r.get("type") == "bbox"]
    spans = [Span.model_validate(r) for r in raw if r.get("type") == "span"]
    shapes = [
        _SHAPES[r["type"]].model_validate(r) for r in raw if r.get("type") in _SHAPES
    ]
    regions = raw
    if boxes or (not regions and "bbox" in tools):
        work.boxes.setdefault(item, {})[author] = boxes
    if shapes or (not regions and tools & set(_SHAPES)):
        work.shapes.setdefault(item, {})[author] = shapes
    if spans or (not regions and "span" in tools):
        work.spans.setdefault(item, {})[author] = spans
    said = [r for r in raw if r.get("type") == "transcript"]
    if said or (not regions and "transcript" in tools):
        said.sort(key=lambda r: (r.get("start") is None, r.get("start") or 0.0))
        text = " ".join(str(r.get("text") or "") for r in said)
        work.transcripts.setdefault(item, {})[author] = " ".join(text.split())


_SHAPES: dict[str, type[Polygon] | type[Mask]] = {"polygon": Polygon, "mask": Mask}


def _raw_class_answer(raw: list[dict[str, Any]], multi: bool) -> Any:
    """`class_answer` on stored JSON, without validating every region."""
    labels = [
        label
        for region in raw
        if region.get("type") == "class"
        for label in (region.get("labels") or [region.get("label")])
        if label is not None
    ]
    if multi:
        return frozenset(labels) if labels else None
    return labels[0] if len(labels) == 1 else None


def gold_correctness(
    work: Work, gold: dict[int, list[Region]], project: Project, iou_threshold: float
) -> dict[Any, dict[Hashable, bool]]:
    """``gold item -> annotator -> answered it right`` for annotated gold items."""
    by_item: dict[int, dict[Hashable, Done]] = {}
    for annotation in work.annotations:
        if annotation.item_id in gold:
            by_item.setdefault(annotation.item_id, {})[author_of(annotation)] = (
                annotation
            )
    multi = project.label_schema.multi_label
    return {
        item: {
            author: matches_gold(a.regions, gold[item], multi, iou_threshold)
            for author, a in row.items()
        }
        for item, row in by_item.items()
    }


def matches_gold(
    regions: list[Region], answer: list[Region], multi: bool, iou_threshold: float
) -> bool:
    """Whether an annotation's regions agree with a gold answer.

    Classes must be equal, spans equal in start, end and label, and boxes,
    and polygons and masks, all matched one to one at ``iou_threshold`` with
    the same labels.
    """
    if class_answer(answer, multi) != class_answer(regions, multi):
        return False
    spans = {(s.start, s.end, s.label) for s in regions if isinstance(s, Span)}
    gold_spans = {(s.start, s.end, s.label) for s in answer if isinstance(s, Span)}
    if spans != gold_spans:
        return False
    boxes = [b for b in regions if isinstance(b, BBox)]
    gold_boxes = [b for b in answer if isinstance(b, BBox)]
    if not boxes_agree(gold_boxes, boxes, iou_threshold):
        return False
    shapes = [s for s in regions if isinstance(s, Polygon | Mask)]
    gold_shapes = [s for s in answer if isinstance(s, Polygon | Mask)]
    return shapes_agree(gold_shapes, shapes, iou_threshold)


def boxes_agree(first: list[BBox], second: list[BBox], threshold: float) -> bool:
    """Whether two box sets match one to one at ``threshold`` with equal labels."""
    if not first and not second:
        return True
    result = box_agreement({0: first}, {0: second}, threshold)
    return result.f1.value == 1.0 and result.label_agreement.value in (1.0, None)
