"""Consensus: one answer per item from several annotators' answers.

Classes by (weighted) majority vote, with ties reported rather than broken,
or by Dawid-Skene, which learns each annotator's confusion matrix by EM.
Boxes by matching each annotator's boxes into clusters and averaging them;
spans by majority over exact spans. Results are core regions, ready to be
stored as annotations with origin "consensus".
"""

from __future__ import annotations

import logging
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from annotary.core.regions import BBox, ClassRegion, Span
from annotary.errors import InvalidInput
from annotary.quality.boxes import DEFAULT_IOU_THRESHOLD, box_array, match_arrays
from annotary.quality.ratings import (
    MISSING,
    FloatArray,
    Label,
    Ratings,
    RatingTable,
    rating_table,
)

logger = logging.getLogger("annotary.quality")

Weights = Mapping[Hashable, float]


@dataclass(frozen=True, slots=True)
class Vote:
    """The majority answer for one item.

    Attributes:
        label: The winning label, or ``None`` on a tie or with no ratings.
        votes: The winner's (weighted) votes; on a tie, each tied label's.
        total: All (weighted) votes on the item.
        tied: The labels sharing the top count when there is a tie, else ``()``.
    """

    label: Label | None
    votes: float
    total: float
    tied: tuple[Label, ...] = ()

    @property
    def support(self) -> float:
        """Share of the votes the winner got (0 with no votes)."""
        return self.votes / self.total if self.total else 0.0

    def region(self) -> ClassRegion | None:
        """The winner as a class region scored by its support; None if no winner."""
        if self.label is None:
            return None
        return ClassRegion(label=str(self.label), score=self.support)


def majority_vote(
    ratings: Ratings | RatingTable, weights: Weights | None = None
) -> dict[Hashable, Vote]:
    """Majority label per item; ties are reported, never broken at random.

    Args:
        ratings: ``item -> annotator -> label`` or a `RatingTable`.
        weights: Optional vote weight per annotator (e.g. gold accuracy);
            annotators missing from it weigh 1.

    Example:
        >>> majority_vote({1: {"a": "x", "b": "x", "c": "y"}})[1].label
        'x'
        >>> majority_vote({1: {"a": "x", "b": "y"}})[1].tied
        ('x', 'y')
    """
    table = rating_table(ratings)
    scores = _weighted_counts(table, weights)
    top = scores.max(axis=1, initial=0.0)
    is_top = np.isclose(scores, top[:, None]) & (top[:, None] > 0)
    n_top = is_top.sum(axis=1)
    totals = scores.sum(axis=1)
    winners = scores.argmax(axis=1) if scores.shape[1] else np.zeros(0, dtype=int)

    votes = {}
    for i, item in enumerate(table.items):
        if n_top[i] == 1:
            label = table.categories[winners[i]]
            votes[item] = Vote(label, float(top[i]), float(totals[i]))
        else:
            tied = tuple(table.categories[k] for k in np.flatnonzero(is_top[i]))
            votes[item] = Vote(None, float(top[i]), float(totals[i]), tied)
    return votes


@dataclass(frozen=True, eq=False)
class DawidSkene:
    """A fitted Dawid-Skene model.

    Attributes:
        items: Item keys, the rows of ``posterior``.
        annotators: Annotator keys, the first axis of ``confusion``.
        categories: Labels, the columns of ``posterior``.
        posterior: ``items x categories`` probability of each true label.
        confusion: ``annotators x true x given`` probabilities.
        priors: Estimated share of each true label.
        iterations: EM iterations run.
        converged: Whether the likelihood stopped growing (see ``tol``).
    """

    items: tuple[Hashable, ...]
    annotators: tuple[Hashable, ...]
    categories: tuple[Label, ...]
    posterior: FloatArray
    confusion: FloatArray
    priors: FloatArray
    iterations: int
    converged: bool

    def labels(self) -> dict[Hashable, Label]:
        """The most probable label of each item."""
        best = self.posterior.argmax(axis=1).tolist()
        return {
            item: self.categories[k] for item, k in zip(self.items, best, strict=True)
        }

    def accuracy(self) -> dict[Hashable, float]:
        """Each annotator's estimated accuracy (prior-weighted confusion diagonal)."""
        diagonal = np.diagonal(self.confusion, axis1=1, axis2=2)
        scores = (diagonal * self.priors[None, :]).sum(axis=1).tolist()
        return dict(zip(self.annotators, scores, strict=True))

    def region(self, item: Hashable) -> ClassRegion:
        """The item's consensus as a class region scored by its posterior."""
        row = self.posterior[self.items.index(item)]
        best = int(row.argmax())
        return ClassRegion(label=str(self.categories[best]), score=float(row[best]))


def dawid_skene(
    ratings: Ratings | RatingTable,
    max_iterations: int = 100,
    tol: float = 1e-6,
    smoothing: float = 0.01,
) -> DawidSkene:
    """Fit Dawid and Skene's (1979) model by expectation-maximisation.

    Starts from the (soft) majority vote; each M-step estimates the class
    priors and each annotator's confusion matrix (with ``smoothing`` added to
    every cell so no probability is exactly zero), each E-step the posterior
    of every item's true label. Vectorised over ratings, so it suits sparse
    crowds with many annotators as well as dense tables.

    Args:
        ratings: ``item -> annotator -> label`` or a `RatingTable`.
        max_iterations: Upper bound on EM iterations.
        tol: Stop when the log-likelihood per rating grows by less than this.
        smoothing: Pseudo-count added to every confusion cell.

    Raises:
        InvalidInput: No ratings, or settings out of range.
    """
    table = rating_table(ratings)
    rows, cols = np.nonzero(table.codes != MISSING)
    if len(rows) == 0:
        raise InvalidInput("Dawid-Skene needs at least one rating")
    if max_iterations < 1 or tol <= 0 or smoothing < 0:
        raise InvalidInput("max_iterations >= 1, tol > 0 and smoothing >= 0 are needed")
    given = table.codes[rows, cols]
    n, a, q = len(table.items), len(table.annotators), len(table.categories)

    counts = table.counts().astype(np.float64)
    rated = counts.sum(axis=1) > 0
    posterior = np.where(rated[:, None], counts, 1.0)
    posterior /= posterior.sum(axis=1, keepdims=True)

    converged, iteration, previous = False, 0, -np.inf
    for iteration in range(1, max_iterations + 1):  # noqa: B007
        priors, confusion = _m_step(
            posterior, rated, rows, cols, given, a, q, smoothing
        )
        posterior, likelihood = _e_step(priors, confusion, rows, cols, given, n)
        posterior[~rated] = priors
        gain = (likelihood - previous) / len(rows)
        previous = likelihood
        if gain < tol:
            converged = True
            break

    logger.info(
        "Dawid-Skene: %s items, %s annotators, %s iterations, converged=%s",
        n,
        a,
        iteration,
        converged,
    )
    return DawidSkene(
        table.items,
        table.annotators,
        table.categories,
        posterior,
        confusion,
        priors,
        iteration,
        converged,
    )


def consensus_boxes(
    boxes: Mapping[Hashable, Sequence[BBox]],
    threshold: float = DEFAULT_IOU_THRESHOLD,
    weights: Weights | None = None,
    min_support: float = 0.5,
) -> list[BBox]:
    """Merge several annotators' boxes on one image into consensus boxes.

    Annotators are taken in order; each one's boxes are matched (Hungarian,
    by IoU) to the running mean of the clusters so far, and unmatched boxes
    open new clusters, so a cluster holds at most one box per annotator. A
    cluster is kept when its annotators' weight is more than ``min_support``
    of all annotators' weight. Its box is the weighted mean of x, y, w, h
    (and rotation), its label the weighted majority of labels (ties go to the
    label of the heaviest, then earliest, member), its score the support.

    Args:
        boxes: ``annotator -> boxes`` for one image.
        threshold: Least IoU to join a cluster.
        weights: Optional weight per annotator (e.g. gold accuracy); others 1.
        min_support: Keep clusters with more than this share of the weight.

    Example:
        >>> merged = consensus_boxes({
        ...     "a": [BBox(x=0, y=0, w=10, h=10, label="car")],
        ...     "b": [BBox(x=2, y=0, w=10, h=10, label="car")],
        ...     "c": [BBox(x=50, y=50, w=5, h=5, label="dog")],
        ... })
        >>> [(b.x, b.w, b.label, round(b.score, 2)) for b in merged]
        [(1.0, 10.0, 'car', 0.67)]
    """
    weight = _weights(list(boxes), weights)
    total = sum(weight.values())
    clusters: list[list[tuple[Hashable, BBox]]] = []
    for annotator, drawn in boxes.items():
        means = np.array([_mean_box(c, weight) for c in clusters]).reshape(-1, 5)
        pairs, _ = match_arrays(means[:, :4], box_array(drawn), threshold)
        matched = {j: i for i, j in pairs}
        for j, box in enumerate(drawn):
            if j in matched:
                clusters[matched[j]].append((annotator, box))
            else:
                clusters.append([(annotator, box)])

    merged = []
    for cluster in clusters:
        support = sum(weight[a] for a, _ in cluster) / total if total else 0.0
        if support > min_support:
            merged.append(_merge_cluster(cluster, weight, support))
    return merged


def consensus_spans(
    spans: Mapping[Hashable, Sequence[Span]],
    weights: Weights | None = None,
    min_support: float = 0.5,
) -> list[Span]:
    """Spans (same start, end and label) marked by a weighted majority.

    Args:
        spans: ``annotator -> spans`` for one text.
        weights: Optional weight per annotator; others weigh 1.
        min_support: Keep spans with more than this share of the weight.

    Example:
        >>> out = consensus_spans({
        ...     "a": [Span(start=0, end=3, label="PER")],
        ...     "b": [Span(start=0, end=3, label="PER"), Span(start=5, end=6)],
        ...     "c": [Span(start=0, end=2, label="PER")],
        ... })
        >>> [(s.start, s.end, s.label, round(s.score, 2)) for s in out]
        [(0, 3, 'PER', 0.67)]
    """
    weight = _weights(list(spans), weights)
    total = sum(weight.values())
    support: dict[tuple[int, int, str | None], float] = {}
    for annotator, marked in spans.items():
        for key in {(s.start, s.end, s.label) for s in marked}:
            support[key] = support.get(key, 0.0) + weight[annotator]

    merged = []
    for (start, end, label), votes in sorted(support.items(), key=lambda kv: kv[0][:2]):
        share = votes / total if total else 0.0
        if share > min_support:
            merged.append(Span(start=start, end=end, label=label, score=share))
    return merged


def _weighted_counts(table: RatingTable, weights: Weights | None) -> FloatArray:
    if weights is None:
        return table.counts().astype(np.float64)
    weight = _weights(list(table.annotators), weights)
    column_weight = np.array([weight[a] for a in table.annotators], dtype=np.float64)
    rows, cols = np.nonzero(table.codes != MISSING)
    q = len(table.categories)
    flat = rows * q + table.codes[rows, cols]
    scores = np.bincount(
        flat, weights=column_weight[cols], minlength=len(table.items) * q
    )
    return np.asarray(scores.reshape(len(table.items), q), dtype=np.float64)


def _weights(
    annotators: list[Hashable], weights: Weights | None
) -> dict[Hashable, float]:
    chosen = {a: float((weights or {}).get(a, 1.0)) for a in annotators}
    bad = [a for a, w in chosen.items() if not np.isfinite(w) or w < 0]
    if bad:
        raise InvalidInput(
            f"annotator {bad[0]!r} has weight {chosen[bad[0]]!r}; weights must be "
            "finite and not negative",
            annotator=str(bad[0]),
        )
    return chosen


def _m_step(
    posterior: FloatArray,
    rated: Any,
    rows: Any,
    cols: Any,
    given: Any,
    a: int,
    q: int,
    smoothing: float,
) -> tuple[FloatArray, FloatArray]:
    priors = posterior[rated].mean(axis=0)
    cells = cols * q + given
    confusion = np.empty((a, q, q), dtype=np.float64)
    for true in range(q):
        counted = np.bincount(cells, weights=posterior[rows, true], minlength=a * q)
        confusion[:, true, :] = counted.reshape(a, q) + smoothing
    confusion /= confusion.sum(axis=2, keepdims=True)
    return priors, confusion


def _e_step(
    priors: FloatArray,
    confusion: FloatArray,
    rows: Any,
    cols: Any,
    given: Any,
    n: int,
) -> tuple[FloatArray, float]:
    q = len(priors)
    log_confusion = np.log(confusion)
    contributions = log_confusion[cols, :, given]
    log_post = np.empty((n, q), dtype=np.float64)
    for true in range(q):
        log_post[:, true] = np.bincount(
            rows, weights=contributions[:, true], minlength=n
        )
    with np.errstate(divide="ignore"):
        log_post += np.log(priors)[None, :]
    top = log_post.max(axis=1, keepdims=True)
    posterior = np.exp(log_post - top)
    evidence = posterior.sum(axis=1, keepdims=True)
    seen = np.bincount(rows, minlength=n) > 0
    likelihood = float((np.log(evidence) + top)[seen].sum())
    return np.asarray(posterior / evidence, dtype=np.float64), likelihood


def _mean_box(
    cluster: list[tuple[Hashable, BBox]], weight: Mapping[Hashable, float]
) -> list[float]:
    w = np.array([weight[a] for a, _ in cluster], dtype=np.float64)
    coords = np.array([(b.x, b.y, b.w, b.h, b.rotation) for _, b in cluster])
    share = w / w.sum() if w.sum() > 0 else np.full(len(cluster), 1.0 / len(cluster))
    return [float(v) for v in share @ coords]


def _merge_cluster(
    cluster: list[tuple[Hashable, BBox]],
    weight: Mapping[Hashable, float],
    support: float,
) -> BBox:
    x, y, w, h, rotation = _mean_box(cluster, weight)
    label_weight: dict[str | None, float] = {}
    for annotator, box in sorted(cluster, key=lambda m: -weight[m[0]]):
        label_weight[box.label] = label_weight.get(box.label, 0.0) + weight[annotator]
    label = max(label_weight, key=lambda k: label_weight[k])
    return BBox(
        x=x,
        y=y,
        w=w,
        h=h,
        rotation=rotation,
        label=label,
        score=support,
        attributes={"consensus_of": [str(a) for a, _ in cluster]},
    )
