"""Agreement between annotators' boxes: Hungarian matching by IoU.

IoU follows `annotary.core.geometry.box_iou` (axis-aligned, rotation ignored,
0 for two empty boxes), vectorised over all pairs of an image. Two boxes can
match only when their IoU is positive and at least the threshold; among those
the matching maximises the summed IoU (scipy's ``linear_sum_assignment``).
"""

from __future__ import annotations

import logging
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy.optimize import linear_sum_assignment

from annotary.core.regions import BBox
from annotary.errors import InvalidInput
from annotary.quality.pairs import shared_items
from annotary.quality.ratings import FloatArray
from annotary.quality.result import MetricResult

logger = logging.getLogger("annotary.quality")

DEFAULT_IOU_THRESHOLD = 0.5


@dataclass(frozen=True, slots=True)
class BoxMatch:
    """How one annotator's boxes on an image pair up with another's.

    Attributes:
        pairs: ``(index in first, index in second)`` for each matched pair.
        ious: The IoU of each pair, in the same order.
        first_count: How many boxes the first annotator drew.
        second_count: How many boxes the second annotator drew.
    """

    pairs: tuple[tuple[int, int], ...]
    ious: tuple[float, ...]
    first_count: int
    second_count: int


@dataclass(frozen=True, slots=True)
class BoxAgreement:
    """Matching quality between two annotators over a set of images.

    ``precision`` is the share of the second annotator's boxes that were
    matched, ``recall`` the share of the first's, ``f1`` their harmonic mean;
    ``mean_iou`` and ``label_agreement`` are over matched pairs.
    """

    precision: MetricResult
    recall: MetricResult
    f1: MetricResult
    mean_iou: MetricResult
    label_agreement: MetricResult
    matched: int
    first_count: int
    second_count: int
    images: int

    def to_dict(self) -> dict[str, object]:
        """Plain values for JSON."""
        metrics = ("precision", "recall", "f1", "mean_iou", "label_agreement")
        counts = ("matched", "first_count", "second_count", "images")
        out: dict[str, object] = {k: getattr(self, k).to_dict() for k in metrics}
        out.update({k: getattr(self, k) for k in counts})
        return out


def box_array(boxes: Sequence[BBox]) -> FloatArray:
    """``n x 4`` array of x, y, w, h."""
    if not boxes:
        return np.zeros((0, 4), dtype=np.float64)
    return np.array([(b.x, b.y, b.w, b.h) for b in boxes], dtype=np.float64)


def iou_matrix(first: FloatArray, second: FloatArray) -> FloatArray:
    """IoU of every box in ``first`` with every box in ``second`` (x, y, w, h rows).

    Example:
        >>> iou_matrix(np.array([[0.0, 0, 2, 2]]), np.array([[1.0, 0, 2, 2]]))
        array([[0.33333333]])
    """
    x0 = np.maximum(first[:, None, 0], second[None, :, 0])
    y0 = np.maximum(first[:, None, 1], second[None, :, 1])
    x1 = np.minimum(
        first[:, None, 0] + first[:, None, 2], (second[:, 0] + second[:, 2])
    )
    y1 = np.minimum(
        first[:, None, 1] + first[:, None, 3], (second[:, 1] + second[:, 3])
    )
    inter = np.clip(x1 - x0, 0.0, None) * np.clip(y1 - y0, 0.0, None)

    area_first = first[:, 2] * first[:, 3]
    area_second = second[:, 2] * second[:, 3]
    union = area_first[:, None] + area_second[None, :] - inter
    safe = np.where(union > 0, union, 1.0)
    return np.where(union > 0, inter / safe, 0.0)


def match_arrays(
    first: FloatArray, second: FloatArray, threshold: float = DEFAULT_IOU_THRESHOLD
) -> tuple[list[tuple[int, int]], list[float]]:
    """Hungarian matching of two box arrays; pairs and their IoUs."""
    _check_threshold(threshold)
    if len(first) == 0 or len(second) == 0:
        return [], []

    iou = iou_matrix(first, second)
    allowed = (iou >= threshold) & (iou > 0)
    rows, cols = linear_sum_assignment(np.where(allowed, iou, 0.0), maximize=True)
    keep = allowed[rows, cols]
    pairs = list(zip(rows[keep].tolist(), cols[keep].tolist(), strict=True))
    return pairs, iou[rows[keep], cols[keep]].tolist()


def match_boxes(
    first: Sequence[BBox],
    second: Sequence[BBox],
    threshold: float = DEFAULT_IOU_THRESHOLD,
) -> BoxMatch:
    """Match two annotators' boxes on one image by IoU.

    Args:
        first: One annotator's boxes.
        second: The other annotator's boxes.
        threshold: Least IoU for a match, in (0, 1].

    Example:
        >>> a = [BBox(x=0, y=0, w=10, h=10), BBox(x=50, y=50, w=5, h=5)]
        >>> b = [BBox(x=1, y=0, w=10, h=10)]
        >>> match_boxes(a, b).pairs
        ((0, 0),)
    """
    pairs, ious = match_arrays(box_array(first), box_array(second), threshold)
    return BoxMatch(tuple(pairs), tuple(ious), len(first), len(second))


def box_agreement(
    first: Mapping[Hashable, Sequence[BBox]],
    second: Mapping[Hashable, Sequence[BBox]],
    threshold: float = DEFAULT_IOU_THRESHOLD,
) -> BoxAgreement:
    """Agreement of two annotators over the images both annotated.

    Args:
        first: ``image -> boxes`` of one annotator (an empty list means "looked
            and found nothing").
        second: The same for the other annotator.
        threshold: Least IoU for a match.

    Returns:
        Counts and metrics pooled over the shared images.
    """
    pairs = pairwise_box_agreement(
        {
            image: {0: first[image], 1: second[image]}
            for image in first
            if image in second
        },
        threshold,
    )
    return pairs.get((0, 1), MatchTotals().result(0))


def pairwise_box_agreement(
    boxes: Mapping[Hashable, Mapping[Hashable, Sequence[BBox]]],
    threshold: float = DEFAULT_IOU_THRESHOLD,
) -> dict[tuple[Hashable, Hashable], BoxAgreement]:
    """`box_agreement` for every pair of annotators, all images at once.

    Args:
        boxes: ``image -> annotator -> boxes``; an annotator missing from an
            image did not annotate it (an empty list means "found nothing").
        threshold: Least IoU for a match.

    Returns:
        ``(first, second) -> BoxAgreement`` for the pairs that annotated an
        image in common, in order of first appearance.
    """
    _check_threshold(threshold)
    annotators = list(dict.fromkeys(a for row in boxes.values() for a in row))
    logger.info("box agreement: %s images, %s annotators", len(boxes), len(annotators))
    sides = _sides(boxes, annotators)

    results = {}
    for (a, b), images in shared_items(dict(enumerate(boxes.values()))).items():
        shared = np.array(images, dtype=np.int64)
        first, second = sides[a].subset(shared), sides[b].subset(shared)
        image, i, j, ious = _match_batch(first.arrays, second.arrays, threshold)
        same = first.label_at(image, i) == second.label_at(image, j)
        totals = MatchTotals()
        totals.add(first.count, second.count, ious, int(same.sum()))
        results[a, b] = totals.result(len(shared))
    return results


@dataclass(frozen=True)
class _Side:
    """One annotator's boxes over the images they annotated."""

    images: npt.NDArray[np.int64]
    arrays: list[FloatArray]
    labels: list[npt.NDArray[np.int64]]

    @property
    def count(self) -> int:
        return sum(len(a) for a in self.arrays)

    def subset(self, images: npt.NDArray[np.int64]) -> _Side:
        keep = np.searchsorted(self.images, images)
        return _Side(
            images,
            [self.arrays[k] for k in keep.tolist()],
            [self.labels[k] for k in keep.tolist()],
        )

    def label_at(
        self, image: npt.NDArray[np.int64], index: npt.NDArray[np.int64]
    ) -> npt.NDArray[np.int64]:
        sizes = np.array([len(a) for a in self.labels], dtype=np.int64)
        offsets = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64)
        flat = np.concatenate([np.zeros(0, dtype=np.int64), *self.labels])
        return np.asarray(flat[offsets[image] + index], dtype=np.int64)


def _sides(
    boxes: Mapping[Hashable, Mapping[Hashable, Sequence[BBox]]],
    annotators: list[Hashable],
) -> dict[Hashable, _Side]:
    label_code: dict[str | None, int] = {}
    found: dict[Hashable, tuple[list[int], list[FloatArray], list[Any]]] = {
        a: ([], [], []) for a in annotators
    }
    for index, row in enumerate(boxes.values()):
        for annotator, drawn in row.items():
            images, arrays, labels = found[annotator]
            images.append(index)
            arrays.append(box_array(drawn))
            codes = [label_code.setdefault(b.label, len(label_code)) for b in drawn]
            labels.append(np.array(codes, dtype=np.int64))
    return {
        a: _Side(np.array(images, dtype=np.int64), arrays, labels)
        for a, (images, arrays, labels) in found.items()
    }


_BATCH_CELLS = 4_000_000


def _match_batch(
    first: list[FloatArray], second: list[FloatArray], threshold: float
) -> tuple[
    npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.int64], FloatArray
]:
    """Match many images at once: (image, i, j, iou) for every matched pair.

    Images are grouped by their larger box count and padded to it, so IoU is
    one array operation per group; the assignment problem is solved only for
    images where some box could match more than one other.
    """
    sizes = np.array(
        [max(len(a), len(b)) for a, b in zip(first, second, strict=True)],
        dtype=np.int64,
    )
    found: list[tuple[npt.NDArray[np.int64], ...] | tuple[Any, ...]] = []
    for k in np.unique(sizes[sizes > 0]).tolist():
        group = np.flatnonzero(sizes == k)
        step = max(1, _BATCH_CELLS // (k * k))
        for start in range(0, len(group), step):
            chunk = group[start : start + step]
            found.append(_match_padded(chunk, first, second, k, threshold))

    if not found:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, empty, np.zeros(0, dtype=np.float64)
    image, i, j, ious = (np.concatenate(parts) for parts in zip(*found, strict=True))
    return image, i, j, ious


def _match_padded(
    chunk: npt.NDArray[np.int64],
    first: list[FloatArray],
    second: list[FloatArray],
    k: int,
    threshold: float,
) -> tuple[Any, ...]:
    a, a_valid = _pad([first[c] for c in chunk.tolist()], k)
    b, b_valid = _pad([second[c] for c in chunk.tolist()], k)
    iou = _batched_iou(a, b)
    allowed = (iou >= threshold) & (iou > 0) & a_valid[:, :, None] & b_valid[:, None, :]

    simple = (allowed.sum(axis=2) <= 1).all(axis=1) & (allowed.sum(axis=1) <= 1).all(
        axis=1
    )
    s, i, j = np.nonzero(allowed & simple[:, None, None])
    images, rows, cols = [s], [i], [j]
    for index in np.flatnonzero(~simple).tolist():
        weights = np.where(allowed[index], iou[index], 0.0)
        r, c = linear_sum_assignment(weights, maximize=True)
        keep = allowed[index][r, c]
        images.append(np.full(int(keep.sum()), index, dtype=np.int64))
        rows.append(r[keep])
        cols.append(c[keep])

    s, i, j = (np.concatenate(parts).astype(np.int64) for parts in (images, rows, cols))
    return chunk[s], i, j, iou[s, i, j]


def _pad(arrays: list[FloatArray], k: int) -> tuple[Any, Any]:
    counts = np.array([len(a) for a in arrays], dtype=np.int64)
    valid = np.arange(k)[None, :] < counts[:, None]
    padded = np.zeros((len(arrays), k, 4), dtype=np.float64)
    padded[valid] = np.concatenate([np.zeros((0, 4)), *arrays])
    return padded, valid


def _batched_iou(first: Any, second: Any) -> FloatArray:
    ax0, ay0, aw, ah = (first[:, :, n, None] for n in range(4))
    bx0, by0, bw, bh = (second[:, None, :, n] for n in range(4))
    ix = np.clip(np.minimum(ax0 + aw, bx0 + bw) - np.maximum(ax0, bx0), 0.0, None)
    iy = np.clip(np.minimum(ay0 + ah, by0 + bh) - np.maximum(ay0, by0), 0.0, None)
    inter = ix * iy
    union = aw * ah + bw * bh - inter
    safe = np.where(union > 0, union, 1.0)
    return np.asarray(np.where(union > 0, inter / safe, 0.0), dtype=np.float64)


class MatchTotals:
    """Running counts of a matching, turned into a `BoxAgreement` at the end.

    Boxes and shapes (`annotary.quality.shapes`) share it.
    """

    def __init__(self) -> None:
        self.first = 0
        self.second = 0
        self.matched = 0
        self.iou_sum = 0.0
        self.same_label = 0

    def add(self, first: int, second: int, ious: FloatArray, same: int) -> None:
        self.first += first
        self.second += second
        self.matched += len(ious)
        self.iou_sum += float(ious.sum())
        self.same_label += same

    def result(self, images: int, noun: str = "boxes") -> BoxAgreement:
        m, first, second = self.matched, self.first, self.second
        return BoxAgreement(
            precision=_share(m, second, f"the second annotator drew no {noun}"),
            recall=_share(m, first, f"the first annotator drew no {noun}"),
            f1=_share(2 * m, first + second, f"neither annotator drew any {noun}"),
            mean_iou=_share(self.iou_sum, m, f"no {noun} were matched"),
            label_agreement=_share(self.same_label, m, f"no {noun} were matched"),
            matched=m,
            first_count=self.first,
            second_count=self.second,
            images=images,
        )


def _share(part: float, whole: int, reason: str) -> MetricResult:
    if whole == 0:
        return MetricResult.undefined(reason)
    return MetricResult.of(part / whole, whole)


def _check_threshold(threshold: float) -> None:
    if not 0 < threshold <= 1:
        raise InvalidInput(
            f"the IoU threshold must be in (0, 1], not {threshold!r}",
            threshold=threshold,
        )
