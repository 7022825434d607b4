"""The value of assistance: what people changed in a model's suggestions.

For one prediction and the annotation a person submitted from it (its
``parent_id`` points at the prediction), regions are paired and counted:

- boxes: kept (same label, IoU >= ``kept_iou``), moved (same label, IoU in
  [``match_iou``, ``kept_iou``)), relabeled (paired, other label), deleted
  (a predicted box left unpaired), added (a final box left unpaired);
- spans: kept (same bounds and label), resized (overlapping, same label,
  other bounds), relabeled (overlapping, other label), deleted, added;
- classes: kept, changed (a predicted label swapped for another), deleted,
  added.

Pairing is greedy and one-to-one: boxes by IoU (same label first), spans by
exact match, then same bounds, then overlap length.
Other region types are counted in ``other_predicted`` / ``other_final`` only.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from annotary.core.geometry import box_iou
from annotary.core.models import Annotation, Origin
from annotary.core.regions import BBox, ClassRegion, Span
from annotary.errors import InvalidInput


@dataclass
class EditCounts:
    """Counts of what happened to suggested regions; adds up across items."""

    boxes_kept: int = 0
    boxes_moved: int = 0
    boxes_relabeled: int = 0
    boxes_deleted: int = 0
    boxes_added: int = 0
    spans_kept: int = 0
    spans_resized: int = 0
    spans_relabeled: int = 0
    spans_deleted: int = 0
    spans_added: int = 0
    classes_kept: int = 0
    classes_changed: int = 0
    classes_deleted: int = 0
    classes_added: int = 0
    other_predicted: int = 0
    other_final: int = 0
    moved_ious: list[float] = field(default_factory=list)

    def __add__(self, other: EditCounts) -> EditCounts:
        summed = {
            f.name: getattr(self, f.name) + getattr(other, f.name) for f in fields(self)
        }
        return EditCounts(**summed)

    @property
    def kept(self) -> int:
        return self.boxes_kept + self.spans_kept + self.classes_kept

    @property
    def predicted(self) -> int:
        """Suggested regions (class labels count one each)."""
        return (
            self.boxes_kept
            + self.boxes_moved
            + self.boxes_relabeled
            + self.boxes_deleted
            + self.spans_kept
            + self.spans_resized
            + self.spans_relabeled
            + self.spans_deleted
            + self.classes_kept
            + self.classes_changed
            + self.classes_deleted
        )

    @property
    def final(self) -> int:
        """Regions in the submitted annotations (class labels count one each)."""
        return (
            self.predicted
            - self.boxes_deleted
            - self.spans_deleted
            - self.classes_deleted
            + self.boxes_added
            + self.spans_added
            + self.classes_added
        )

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def compare_regions(
    predicted: Sequence[Any],
    final: Sequence[Any],
    *,
    match_iou: float = 0.5,
    kept_iou: float = 0.98,
) -> EditCounts:
    """Count what a person kept, changed, deleted and added.

    Args:
        predicted: the model's regions.
        final: the person's submitted regions.
        match_iou: least IoU for two boxes to count as the same object.
        kept_iou: least IoU for a box to count as kept rather than moved.

    Example:
        >>> a = BBox(x=0, y=0, w=10, h=10, label="car")
        >>> b = BBox(x=1, y=0, w=10, h=10, label="car")
        >>> c = compare_regions([a], [b])
        >>> (c.boxes_moved, round(c.moved_ious[0], 3))
        (1, 0.818)
    """
    if not 0.0 < match_iou <= kept_iou <= 1.0:
        raise InvalidInput(
            f"need 0 < match_iou <= kept_iou <= 1, got {match_iou}, {kept_iou}"
        )
    counts = EditCounts()
    _compare_boxes(_of(predicted, BBox), _of(final, BBox), counts, match_iou, kept_iou)
    _compare_spans(_of(predicted, Span), _of(final, Span), counts)
    _compare_classes(_class_labels(predicted), _class_labels(final), counts)
    counts.other_predicted = sum(not _known(r) for r in predicted)
    counts.other_final = sum(not _known(r) for r in final)
    return counts


def _of(regions: Sequence[Any], kind: type) -> list[Any]:
    return [r for r in regions if isinstance(r, kind)]


def _known(region: Any) -> bool:
    return isinstance(region, BBox | Span | ClassRegion)


def _class_labels(regions: Sequence[Any]) -> set[str]:
    return {label for r in _of(regions, ClassRegion) for label in r.labels}


def _compare_boxes(
    predicted: list[BBox],
    final: list[BBox],
    counts: EditCounts,
    match_iou: float,
    kept_iou: float,
) -> None:
    pairs = sorted(
        (
            (p.label == f.label, box_iou(p, f), i, j)
            for i, p in enumerate(predicted)
            for j, f in enumerate(final)
        ),
        key=lambda t: (not t[0], -t[1], t[2], t[3]),
    )
    used_p: set[int] = set()
    used_f: set[int] = set()
    for same, iou, i, j in pairs:
        if iou < match_iou or i in used_p or j in used_f:
            continue
        used_p.add(i)
        used_f.add(j)
        if not same:
            counts.boxes_relabeled += 1
        elif iou >= kept_iou:
            counts.boxes_kept += 1
        else:
            counts.boxes_moved += 1
            counts.moved_ious.append(iou)

    counts.boxes_deleted += len(predicted) - len(used_p)
    counts.boxes_added += len(final) - len(used_f)


def _compare_spans(
    predicted: list[Span], final: list[Span], counts: EditCounts
) -> None:
    used_p: set[int] = set()
    used_f: set[int] = set()

    def pair(rank: Any) -> list[tuple[int, int]]:
        candidates = sorted(
            (rank(p, f), i, j)
            for i, p in enumerate(predicted)
            for j, f in enumerate(final)
            if i not in used_p and j not in used_f and rank(p, f) is not None
        )
        chosen = []
        for _, i, j in candidates:
            if i not in used_p and j not in used_f:
                used_p.add(i)
                used_f.add(j)
                chosen.append((i, j))
        return chosen

    exact = pair(
        lambda p, f: 0 if _bounds(p) == _bounds(f) and p.label == f.label else None
    )
    counts.spans_kept += len(exact)
    same_bounds = pair(lambda p, f: 0 if _bounds(p) == _bounds(f) else None)
    counts.spans_relabeled += len(same_bounds)
    for i, j in pair(_overlap_rank):
        if predicted[i].label == final[j].label:
            counts.spans_resized += 1
        else:
            counts.spans_relabeled += 1

    counts.spans_deleted += len(predicted) - len(used_p)
    counts.spans_added += len(final) - len(used_f)


def _bounds(span: Span) -> tuple[int, int]:
    return span.start, span.end


def _overlap_rank(p: Span, f: Span) -> tuple[bool, int] | None:
    overlap = min(p.end, f.end) - max(p.start, f.start)
    if overlap <= 0:
        return None
    return p.label != f.label, -overlap


def _compare_classes(predicted: set[str], final: set[str], counts: EditCounts) -> None:
    gone, new = predicted - final, final - predicted
    changed = min(len(gone), len(new))
    counts.classes_kept += len(predicted & final)
    counts.classes_changed += changed
    counts.classes_deleted += len(gone) - changed
    counts.classes_added += len(new) - changed


@dataclass
class ModelAssistance:
    """How one model version's suggestions fared across the items people edited."""

    model_name: str
    model_version: str
    items: int
    counts: EditCounts
    median_seconds: float | None
    rejected: int = 0

    @property
    def precision(self) -> float | None:
        """Share of suggested regions people kept unchanged."""
        return (
            self.counts.kept / self.counts.predicted if self.counts.predicted else None
        )

    @property
    def final_share(self) -> float | None:
        """Share of the final regions the model got right (kept unchanged)."""
        return self.counts.kept / self.counts.final if self.counts.final else None


@dataclass
class AssistanceReport:
    """Per model version, plus the time people took without suggestions."""

    models: list[ModelAssistance]
    unassisted_items: int
    unassisted_median_seconds: float | None


def assistance_report(
    annotations: Iterable[Annotation],
    *,
    match_iou: float = 0.5,
    kept_iou: float = 0.98,
) -> AssistanceReport:
    """Pair submitted annotations with the predictions they started from.

    A human annotation whose ``parent_id`` is a model annotation in the input
    counts for that model's (name, version); a human annotation without a
    parent counts as unassisted (for the time comparison). Drafts are left
    out. A submitted edit that a reviewer later rejected still counts: the
    person's edit of the suggestion happened; ``rejected`` says how many of
    a model's post-edits that was. Times are ``lead_time`` medians in seconds.

    Example:
        >>> from annotary.core.models import Annotation, Origin
        >>> p = Annotation(id=1, item_id=7, origin=Origin.model, model_name="m",
        ...                model_version="1", regions=[ClassRegion(label="cat")])
        >>> h = Annotation(id=2, item_id=7, parent_id=1,
        ...                regions=[ClassRegion(label="cat")])
        >>> assistance_report([p, h]).models[0].precision
        1.0
    """
    every = list(annotations)
    models = {a.id: a for a in every if a.origin == Origin.model and a.id is not None}
    grouped: dict[tuple[str, str], list[tuple[Annotation, Annotation]]] = {}
    unassisted: list[Annotation] = []

    for annotation in every:
        if annotation.origin != Origin.human or annotation.state == "draft":
            continue
        parent = models.get(annotation.parent_id) if annotation.parent_id else None
        if parent is None:
            if annotation.parent_id is None:
                unassisted.append(annotation)
            continue
        key = (parent.model_name or "?", parent.model_version or "?")
        grouped.setdefault(key, []).append((parent, annotation))

    summaries = [
        _summarise(name, version, pairs, match_iou, kept_iou)
        for (name, version), pairs in sorted(grouped.items())
    ]
    return AssistanceReport(
        models=summaries,
        unassisted_items=len(unassisted),
        unassisted_median_seconds=_median_time(unassisted),
    )


def _summarise(
    name: str,
    version: str,
    pairs: list[tuple[Annotation, Annotation]],
    match_iou: float,
    kept_iou: float,
) -> ModelAssistance:
    counts = EditCounts()
    for prediction, final in pairs:
        counts = counts + compare_regions(
            prediction.regions, final.regions, match_iou=match_iou, kept_iou=kept_iou
        )
    return ModelAssistance(
        model_name=name,
        model_version=version,
        items=len({final.item_id for _, final in pairs}),
        counts=counts,
        median_seconds=_median_time([final for _, final in pairs]),
        rejected=sum(final.state == "rejected" for _, final in pairs),
    )


def _median_time(annotations: Sequence[Annotation]) -> float | None:
    times = [a.lead_time for a in annotations if a.lead_time is not None]
    return statistics.median(times) if times else None
