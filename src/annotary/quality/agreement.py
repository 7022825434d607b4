"""Agreement between annotators on class labels.

Every metric takes a ratings mapping (``item -> annotator -> label``) or a
`RatingTable` and returns a `MetricResult`; data the metric is undefined for
(fewer than two ratings on every item, a single category) gives "undefined"
with the reason. Items with fewer than two ratings are left out of the
multi-rater metrics, as Krippendorff and Gwet prescribe for missing data.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Hashable, Mapping, Sequence
from numbers import Real
from typing import Literal, TypeAlias

import numpy as np
import numpy.typing as npt

from annotary.errors import InvalidInput
from annotary.quality.ratings import (
    MISSING,
    FloatArray,
    IntArray,
    Label,
    Ratings,
    RatingTable,
    per_label_tables,
    rating_table,
)
from annotary.quality.result import MetricResult

logger = logging.getLogger("annotary.quality")

Weights: TypeAlias = Literal["linear", "quadratic"] | None
Level: TypeAlias = Literal["nominal", "ordinal", "interval", "ratio"]
Metric: TypeAlias = Callable[[RatingTable], MetricResult]
BoolArray: TypeAlias = npt.NDArray[np.bool_]

_NO_PAIRS = "no item has ratings from at least two annotators"
_ONE_CATEGORY = "only one category was used, so chance agreement is perfect"


def percent_agreement(ratings: Ratings | RatingTable) -> MetricResult:
    """Share of agreeing annotator pairs, averaged over items.

    For an item with r ratings, the agreement is the share of its r(r-1)
    ordered pairs that agree; items with fewer than two ratings are skipped.
    With two annotators this is the plain share of items they agree on.

    Example:
        >>> percent_agreement({"i1": {"a": 1, "b": 1}, "i2": {"a": 1, "b": 2}}).value
        0.5
    """
    counts = _rated_counts(rating_table(ratings))
    if counts.shape[0] == 0:
        return MetricResult.undefined(_NO_PAIRS)
    return MetricResult.of(float(_item_agreement(counts).mean()), counts.shape[0])


def cohen_kappa(
    ratings: Ratings | RatingTable,
    first: Hashable,
    second: Hashable,
    weights: Weights = None,
) -> MetricResult:
    """Cohen's kappa between two annotators, optionally weighted for ordinal data.

    Only items both annotators rated count. Weighted kappa measures the
    distance between categories by their positions in the table's category
    order (pass ``categories`` to `rating_table` for an ordinal scale):
    ``|i - j|`` for linear, ``(i - j)**2`` for quadratic weights. This matches
    scikit-learn's ``cohen_kappa_score(..., labels=categories)``.

    Args:
        ratings: The ratings.
        first: One annotator.
        second: The other annotator.
        weights: ``None`` (unweighted), ``"linear"`` or ``"quadratic"``.

    Example:
        >>> r = {1: {"a": "y", "b": "y"}, 2: {"a": "n", "b": "n"},
        ...      3: {"a": "y", "b": "n"}, 4: {"a": "n", "b": "n"}}
        >>> cohen_kappa(r, "a", "b").value
        0.5
    """
    table = rating_table(ratings)
    for annotator in (first, second):
        if annotator not in table.annotators:
            return MetricResult.undefined(f"annotator {annotator!r} rated no item")
    observed = confusion_matrix(table, first, second)
    if not observed.any():
        return MetricResult.undefined(
            f"annotators {first!r} and {second!r} rated no item in common"
        )
    return _kappa(observed, weights)


def pairwise_cohen_kappa(
    ratings: Ratings | RatingTable, weights: Weights = None
) -> dict[tuple[Hashable, Hashable], MetricResult]:
    """Cohen's kappa for every pair of annotators that rated an item in common.

    Keyed ``(first, second)`` in column order; each pair is computed on the
    items both rated, so the cost grows with the pairs that meet on an item,
    not with every pair of annotators.
    """
    table = rating_table(ratings)
    rows, firsts, seconds = _rated_pairs(table.codes != MISSING)
    n_cols, q = len(table.annotators), len(table.categories)
    pairs, which = np.unique(firsts * n_cols + seconds, return_inverse=True)
    cells = (which * q + table.codes[rows, firsts]) * q + table.codes[rows, seconds]
    observed = np.bincount(cells, minlength=len(pairs) * q * q)
    out = {}
    for pair, matrix in zip(
        pairs.tolist(), observed.reshape(len(pairs), q, q), strict=True
    ):
        j, k = divmod(pair, n_cols)
        out[table.annotators[j], table.annotators[k]] = _kappa(matrix, weights)
    return out


def confusion_matrix(
    ratings: Ratings | RatingTable, first: Hashable, second: Hashable
) -> IntArray:
    """``categories x categories`` counts: rows ``first``'s label, columns ``second``'s.

    Only items both annotators rated are counted; the order is the table's
    category order.
    """
    table = rating_table(ratings)
    a, b = table.column(first), table.column(second)
    both = (a != MISSING) & (b != MISSING)
    q = len(table.categories)
    flat = np.bincount(a[both] * q + b[both], minlength=q * q)
    return flat.reshape(q, q).astype(np.int64)


def fleiss_kappa(ratings: Ratings | RatingTable) -> MetricResult:
    """Fleiss' kappa for any number of annotators.

    With the same number of ratings on every item this is Fleiss (1971).
    Items with fewer than two ratings are skipped; when the count varies, each
    item's agreement uses its own count and the category shares are pooled
    over all ratings (the usual extension for unbalanced designs).

    Example:
        >>> r = {1: {"a": 1, "b": 1, "c": 1}, 2: {"a": 2, "b": 2, "c": 1}}
        >>> round(fleiss_kappa(r).value, 4)
        0.25
    """
    counts = _rated_counts(rating_table(ratings))
    if counts.shape[0] == 0:
        return MetricResult.undefined(_NO_PAIRS)

    shares = counts.sum(axis=0) / counts.sum()
    if np.count_nonzero(shares) < 2:
        return MetricResult.undefined(_ONE_CATEGORY, counts.shape[0])

    observed = _item_agreement(counts).mean()
    chance = float((shares**2).sum())
    return MetricResult.of((observed - chance) / (1.0 - chance), counts.shape[0])


def gwet_ac1(ratings: Ratings | RatingTable) -> MetricResult:
    """Gwet's AC1 for any number of annotators, with missing ratings.

    Observed agreement as in Fleiss' kappa over items with two or more
    ratings; chance agreement ``sum(pi_k * (1 - pi_k)) / (q - 1)`` where
    ``pi_k`` is the mean share of category k over items with any rating and q
    is the number of categories on the scale (Gwet 2008; pass ``categories``
    to `rating_table` to count categories nobody used).
    """
    table = rating_table(ratings)
    counts = table.counts()
    per_item = counts.sum(axis=1)
    q = len(table.categories)
    if q < 2:
        return MetricResult.undefined("the scale has fewer than two categories")
    paired = counts[per_item >= 2]
    if paired.shape[0] == 0:
        return MetricResult.undefined(_NO_PAIRS)

    rated = per_item > 0
    pi = (counts[rated] / per_item[rated, None]).mean(axis=0)
    chance = float((pi * (1.0 - pi)).sum() / (q - 1))
    observed = _item_agreement(paired).mean()
    return MetricResult.of((observed - chance) / (1.0 - chance), paired.shape[0])


def krippendorff_alpha(
    ratings: Ratings | RatingTable, level: Level = "nominal"
) -> MetricResult:
    """Krippendorff's alpha for nominal, ordinal, interval or ratio data.

    Works with any number of annotators and missing ratings; ``n`` is the
    number of pairable values (ratings on items rated at least twice). For
    ordinal data the category order is the table's (pass ``categories`` to
    `rating_table`); interval and ratio data need numeric labels.

    Example:
        >>> r = {1: {"a": 1, "b": 1}, 2: {"a": 2, "b": 2}, 3: {"a": 1, "b": 2}}
        >>> round(krippendorff_alpha(r).value, 4)
        0.4444
    """
    table = rating_table(ratings)
    counts = _rated_counts(table)
    coincidence = _coincidences(counts)
    marginals = coincidence.sum(axis=1)
    n = float(marginals.sum())
    if n < 2:
        return MetricResult.undefined(_NO_PAIRS)
    if np.count_nonzero(marginals) < 2:
        return MetricResult.undefined(_ONE_CATEGORY, int(n))

    delta = _alpha_distance(table.categories, marginals, level)
    disagreement = (coincidence * delta).sum()
    expected = (np.outer(marginals, marginals) * delta).sum()
    return MetricResult.of(1.0 - (n - 1.0) * disagreement / expected, int(round(n)))


def disagreeing_items(ratings: Ratings | RatingTable) -> list[Hashable]:
    """Items whose annotators did not all give the same label, in table order.

    Items with fewer than two ratings cannot disagree and are left out; a
    review queue with the "disagreements" policy draws from this list.

    Example:
        >>> disagreeing_items({1: {"a": "x", "b": "x"}, 2: {"a": "x", "b": "y"}})
        [2]
    """
    table = rating_table(ratings)
    distinct = np.count_nonzero(table.counts(), axis=1)
    return [table.items[i] for i in np.flatnonzero(distinct > 1).tolist()]


def per_label(
    ratings: Mapping[Hashable, Mapping[Hashable, object]],
    metric: Metric = krippendorff_alpha,
    labels: Sequence[Label] | None = None,
) -> dict[Label, MetricResult]:
    """A metric for each label of multi-label ratings (label present vs absent).

    Args:
        ratings: ``item -> annotator -> set of labels`` (``None``: not rated).
        metric: Any function of a `RatingTable`, e.g. `fleiss_kappa`.
        labels: The labels to report, in order; defaults to those seen.

    Example:
        >>> r = {1: {"a": {"x"}, "b": {"x"}}, 2: {"a": set(), "b": {"y"}}}
        >>> {k: v.value for k, v in per_label(r, percent_agreement).items()}
        {'x': 1.0, 'y': 0.5}
    """
    tables = per_label_tables(ratings, labels)  # type: ignore[arg-type]
    return {label: metric(table) for label, table in tables.items()}


def per_category(
    ratings: Ratings | RatingTable, metric: Metric = krippendorff_alpha
) -> dict[Label, MetricResult]:
    """A metric for each category of single-label ratings, one against the rest.

    For category C every rating becomes "C" or "not C", so a dashboard can
    show which labels annotators agree on and which they confuse.

    Example:
        >>> r = {1: {"a": "x", "b": "x"}, 2: {"a": "y", "b": "z"}}
        >>> r[3] = {"a": "z", "b": "z"}
        >>> {k: v.value for k, v in per_category(r, percent_agreement).items()}
        {'x': 1.0, 'y': 0.6666666666666666, 'z': 0.6666666666666666}
    """
    table = rating_table(ratings)
    rated = table.codes != MISSING
    return {
        category: metric(
            RatingTable(
                table.items,
                table.annotators,
                (False, True),
                np.where(rated, table.codes == k, MISSING).astype(np.int64),
            )
        )
        for k, category in enumerate(table.categories)
    }


def class_agreement(
    ratings: Ratings | RatingTable, level: Level = "nominal"
) -> dict[str, MetricResult]:
    """All multi-rater class metrics at once, keyed by metric name.

    Keys: ``percent_agreement``, ``fleiss_kappa``, ``krippendorff_alpha``,
    ``gwet_ac1``; with exactly two annotators also ``cohen_kappa`` (weighted
    quadratically when ``level`` is not nominal).
    """
    table = rating_table(ratings)
    logger.info(
        "class agreement: %s items, %s annotators, %s categories",
        len(table.items),
        len(table.annotators),
        len(table.categories),
    )
    report = {
        "percent_agreement": percent_agreement(table),
        "fleiss_kappa": fleiss_kappa(table),
        "krippendorff_alpha": krippendorff_alpha(table, level),
        "gwet_ac1": gwet_ac1(table),
    }
    if len(table.annotators) == 2:
        weights: Weights = None if level == "nominal" else "quadratic"
        first, second = table.annotators
        report["cohen_kappa"] = cohen_kappa(table, first, second, weights)
    return report


def _rated_counts(table: RatingTable) -> IntArray:
    counts = table.counts()
    return np.asarray(counts[counts.sum(axis=1) >= 2], dtype=np.int64)


def _item_agreement(counts: IntArray) -> FloatArray:
    per_item = counts.sum(axis=1)
    agreeing = (counts * (counts - 1)).sum(axis=1)
    return np.asarray(agreeing / (per_item * (per_item - 1)), dtype=np.float64)


def _rated_pairs(rated: BoolArray) -> tuple[IntArray, IntArray, IntArray]:
    """``(row, j, k)`` arrays: each row's pairs of rated columns, ``j < k``.

    Pairs of ratings on one row lie ``gap`` apart in the row-major list of
    rated cells, for gaps below the most ratings on a row, so the work grows
    with the ratings per item rather than with all pairs of columns.
    """
    rows, cols = np.nonzero(rated)
    most = int(rated.sum(axis=1).max(initial=0))
    found = [np.zeros(0, dtype=np.int64)] * 3
    for gap in range(1, most):
        same = rows[:-gap] == rows[gap:]
        found += [rows[:-gap][same], cols[:-gap][same], cols[gap:][same]]
    return (
        np.concatenate(found[0::3]).astype(np.int64),
        np.concatenate(found[1::3]).astype(np.int64),
        np.concatenate(found[2::3]).astype(np.int64),
    )


def _kappa(observed: IntArray, weights: Weights) -> MetricResult:
    """Cohen's kappa from a confusion matrix with at least one item in it."""
    counts = observed.astype(np.float64)
    n = int(counts.sum())
    if np.count_nonzero(counts.sum(axis=0) + counts.sum(axis=1)) < 2:
        return MetricResult.undefined(_ONE_CATEGORY, n)

    expected = np.outer(counts.sum(axis=1), counts.sum(axis=0)) / n
    distance = _kappa_weights(len(counts), weights)
    kappa = 1.0 - (distance * counts).sum() / (distance * expected).sum()
    return MetricResult.of(float(kappa), n)


def _kappa_weights(q: int, weights: Weights) -> FloatArray:
    rank = np.arange(q, dtype=np.float64)
    gap = np.abs(rank[:, None] - rank[None, :])
    if weights is None:
        return (gap > 0).astype(np.float64)
    if weights == "linear":
        return gap
    if weights == "quadratic":
        return gap**2
    raise InvalidInput(
        f"weights must be None, 'linear' or 'quadratic', not {weights!r}",
        weights=str(weights),
    )


def _coincidences(counts: IntArray) -> FloatArray:
    values = counts.astype(np.float64)
    scale = 1.0 / (values.sum(axis=1) - 1.0)
    within = (values * scale[:, None]).T @ values
    diagonal = np.diag((values * scale[:, None]).sum(axis=0))
    return np.asarray(within - diagonal, dtype=np.float64)


def _alpha_distance(
    categories: Sequence[Label], marginals: FloatArray, level: Level
) -> FloatArray:
    q = len(categories)
    if level == "nominal":
        return 1.0 - np.eye(q)
    if level == "ordinal":
        cumulative = np.concatenate([[0.0], np.cumsum(marginals)])
        rank = np.arange(q)
        low, high = np.minimum.outer(rank, rank), np.maximum.outer(rank, rank)
        between = cumulative[high + 1] - cumulative[low]
        edges = (marginals[low] + marginals[high]) / 2.0
        return np.asarray((between - edges) ** 2, dtype=np.float64)
    values = _numeric(categories, level)
    if level == "interval":
        return np.subtract.outer(values, values) ** 2
    if level == "ratio":
        total = np.add.outer(values, values)
        with np.errstate(invalid="ignore", divide="ignore"):
            ratio = np.where(total == 0, 0.0, np.subtract.outer(values, values) / total)
        return np.asarray(ratio**2, dtype=np.float64)
    raise InvalidInput(
        f"level must be nominal, ordinal, interval or ratio, not {level!r}",
        level=str(level),
    )


def _numeric(categories: Sequence[Label], level: str) -> FloatArray:
    bad = [c for c in categories if not isinstance(c, Real) or isinstance(c, bool)]
    if bad:
        raise InvalidInput(
            f"{level} alpha needs numeric labels; {bad[0]!r} is not a number",
            level=level,
        )
    return np.array([float(c) for c in categories], dtype=np.float64)  # type: ignore[arg-type]
