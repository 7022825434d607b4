"""Likely label errors by confident learning (Northcutt, Jiang and Chuang, 2021).

A model is fitted on the project's own labels with cross-validation, so every
item gets predicted class probabilities from a model that never saw it. Per
class, the threshold is the mean probability the model gives that class on
items labelled with it; an item "confidently belongs" to the most probable
class whose threshold it reaches. Counting those against the given labels
(the confident joint), calibrated to the label counts, estimates how many
items of each given label really belong to each other class; that many items
with the largest margin are flagged (pruning by noise rate). Suspects are
ranked by the probability of their given label, lowest first.

Implemented here from the paper; cleanlab (AGPL) is not used at run time.
"""

from __future__ import annotations

import logging
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import Any, Literal, TypeAlias

import numpy as np
import numpy.typing as npt

from annotary.errors import InvalidInput
from annotary.quality.ratings import FloatArray, IntArray

logger = logging.getLogger("annotary.quality")

Method: TypeAlias = Literal["prune_by_noise_rate", "confident_joint", "both"]


@dataclass(frozen=True, slots=True)
class Suspect:
    """An item whose label looks wrong.

    Attributes:
        index: Position of the item in the input.
        given: The label it has.
        suggested: The most probable other label.
        self_confidence: The model's probability of the given label.
    """

    index: int
    given: Hashable
    suggested: Hashable
    self_confidence: float


def confident_joint(labels: IntArray, probabilities: FloatArray) -> IntArray:
    """``given x confident`` counts of items per (given label, confident class).

    Items that reach no class's threshold are not counted.

    Example:
        >>> p = np.array([[0.9, 0.1], [0.8, 0.2], [0.3, 0.7], [0.95, 0.05]])
        >>> confident_joint(np.array([0, 0, 1, 1]), p).tolist()
        [[1, 0], [1, 1]]
    """
    q = probabilities.shape[1]
    counted, confident = _confident_class(labels, probabilities)
    flat = labels[counted] * q + confident[counted]
    return np.bincount(flat, minlength=q * q).reshape(q, q).astype(np.int64)


def label_issues(
    labels: IntArray,
    probabilities: FloatArray,
    method: Method = "prune_by_noise_rate",
) -> IntArray:
    """Indices of likely label errors, ranked by self-confidence (lowest first).

    Args:
        labels: Given label code per item, ``0 .. q-1``.
        probabilities: ``items x q`` out-of-fold predicted probabilities.
        method: ``"prune_by_noise_rate"`` flags, for each (given, true) pair,
            as many items as the calibrated confident joint estimates, those
            with the largest margin ``p[true] - p[given]``;
            ``"confident_joint"`` flags items whose confident class differs
            from the given label; ``"both"`` flags items both methods flag.

    Raises:
        InvalidInput: Shapes disagree, labels are out of range, or
            probabilities are not probabilities.
    """
    labels, probabilities = _checked(labels, probabilities)
    joint = confident_joint(labels, probabilities)
    if method == "confident_joint":
        flagged = _off_diagonal(labels, probabilities)
    elif method == "prune_by_noise_rate":
        flagged = _prune_by_noise_rate(labels, probabilities, joint)
    elif method == "both":
        flagged = _off_diagonal(labels, probabilities) & _prune_by_noise_rate(
            labels, probabilities, joint
        )
    else:
        raise InvalidInput(f"unknown method {method!r}", method=str(method))

    indices = np.flatnonzero(flagged)
    self_confidence = probabilities[indices, labels[indices]]
    return np.asarray(
        indices[np.argsort(self_confidence, kind="stable")], dtype=np.int64
    )


def out_of_fold_probabilities(
    inputs: Sequence[str] | FloatArray,
    codes: IntArray,
    folds: int = 5,
    seed: int = 0,
) -> FloatArray:
    """Out-of-fold class probabilities from a model fitted on the labels.

    Texts get TF-IDF (words and word pairs) with logistic regression; a
    numeric ``items x features`` array (image features, embeddings) gets
    standardised logistic regression.

    Args:
        inputs: One text per item, or a feature matrix.
        codes: Label code per item, ``0 .. q-1``.
        folds: Cross-validation folds (stratified, shuffled with ``seed``).
        seed: Seed of the fold split.
    """
    from sklearn.model_selection import StratifiedKFold, cross_val_predict

    data, model = _model_for(inputs)
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    predicted = cross_val_predict(
        model, data, codes, cv=splitter, method="predict_proba"
    )
    return np.asarray(predicted, dtype=np.float64)


def find_label_errors(
    inputs: Sequence[str] | FloatArray,
    labels: Sequence[Hashable],
    folds: int = 5,
    seed: int = 0,
    method: Method = "prune_by_noise_rate",
) -> list[Suspect]:
    """Ranked suspects among labelled items, most likely error first.

    Fits a model with ``folds``-fold cross-validation (see
    `out_of_fold_probabilities`) and applies confident learning to the
    out-of-fold probabilities.

    Args:
        inputs: One text per item, or an ``items x features`` array.
        labels: The given label per item.
        folds: Cross-validation folds; every label needs at least this many
            items.
        seed: Seed of the fold split, so results are repeatable.
        method: See `label_issues`.

    Raises:
        InvalidInput: Lengths differ, fewer than two labels, or a label has
            fewer items than folds.

    Example:
        >>> texts = ["good fun", "great fun", "bad bore", "awful bore"] * 3
        >>> labels = ["pos", "pos", "neg", "neg"] * 3
        >>> labels[0] = "neg"
        >>> [s.index for s in find_label_errors(texts, labels, folds=3)][:1]
        [0]
    """
    categories, codes = _encode(len(inputs), labels, folds)
    logger.info(
        "label errors: %s items, %s labels, %s folds",
        len(inputs),
        len(categories),
        folds,
    )
    probabilities = out_of_fold_probabilities(inputs, codes, folds, seed)
    suspects = suspects_from_probabilities(codes, probabilities, categories, method)
    logger.info("label errors: %s suspects", len(suspects))
    return suspects


def suspects_from_probabilities(
    codes: IntArray,
    probabilities: FloatArray,
    categories: Sequence[Hashable],
    method: Method = "prune_by_noise_rate",
) -> list[Suspect]:
    """`Suspect` records from any model's out-of-fold probabilities.

    Use this for images (probabilities from image features or embeddings)
    or any model the caller prefers; columns follow ``categories``.
    """
    ranked = label_issues(codes, probabilities, method)
    others = probabilities.copy()
    others[np.arange(len(codes)), codes] = -np.inf
    suggested = others.argmax(axis=1)
    return [
        Suspect(
            index=int(i),
            given=categories[codes[i]],
            suggested=categories[suggested[i]],
            self_confidence=float(probabilities[i, codes[i]]),
        )
        for i in ranked.tolist()
    ]


def _model_for(inputs: Sequence[str] | FloatArray) -> tuple[Any, Any]:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    if isinstance(inputs, np.ndarray):
        if inputs.ndim != 2 or not np.issubdtype(inputs.dtype, np.number):
            raise InvalidInput("features must be a numeric items x features array")
        scaled = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000))
        return inputs, scaled
    text = make_pipeline(
        TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True),
        LogisticRegression(C=10.0, max_iter=2000),
    )
    return list(inputs), text


def _encode(
    size: int, labels: Sequence[Hashable], folds: int
) -> tuple[tuple[Hashable, ...], IntArray]:
    if size != len(labels):
        raise InvalidInput(f"{size} items but {len(labels)} labels; they must pair up")
    categories = tuple(sorted(set(labels), key=str))
    if len(categories) < 2:
        raise InvalidInput("label errors need at least two different labels")
    code_of = {label: k for k, label in enumerate(categories)}
    codes = np.array([code_of[label] for label in labels], dtype=np.int64)
    sizes = np.bincount(codes, minlength=len(categories))
    if folds < 2 or sizes.min() < folds:
        small = categories[int(sizes.argmin())]
        raise InvalidInput(
            f"label {small!r} has {int(sizes.min())} items; {folds}-fold "
            "cross-validation needs at least as many items per label (and folds >= 2)",
            label=str(small),
        )
    return categories, codes


def _checked(labels: Any, probabilities: Any) -> tuple[IntArray, FloatArray]:
    codes = np.asarray(labels, dtype=np.int64)
    probs = np.asarray(probabilities, dtype=np.float64)
    if probs.ndim != 2 or codes.shape != (probs.shape[0],):
        raise InvalidInput(
            f"labels of shape {codes.shape} do not fit probabilities of shape "
            f"{probs.shape}"
        )
    if codes.size and (codes.min() < 0 or codes.max() >= probs.shape[1]):
        raise InvalidInput("a label code is outside the probability columns")
    if not np.all(np.isfinite(probs)) or probs.min(initial=0.0) < 0:
        raise InvalidInput("probabilities must be finite and not negative")
    return codes, probs


def _thresholds(labels: IntArray, probabilities: FloatArray) -> FloatArray:
    q = probabilities.shape[1]
    counts = np.bincount(labels, minlength=q)
    own = probabilities[np.arange(len(labels)), labels]
    sums = np.bincount(labels, weights=own, minlength=q)
    # A class nobody was given can never be confidently predicted.
    return np.where(counts > 0, sums / np.maximum(counts, 1), np.inf)


def _confident_class(
    labels: IntArray, probabilities: FloatArray
) -> tuple[npt.NDArray[np.bool_], IntArray]:
    """Whether each item reaches some class's threshold, and the likeliest such."""
    thresholds = _thresholds(labels, probabilities)
    reached = probabilities >= thresholds[None, :] - 1e-12
    confident = np.where(reached, probabilities, -np.inf).argmax(axis=1)
    counted = np.asarray(reached.any(axis=1), dtype=np.bool_)
    return counted, np.asarray(confident, dtype=np.int64)


def _off_diagonal(labels: IntArray, probabilities: FloatArray) -> npt.NDArray[np.bool_]:
    counted, confident = _confident_class(labels, probabilities)
    return np.asarray(counted & (confident != labels), dtype=np.bool_)


def _prune_by_noise_rate(
    labels: IntArray, probabilities: FloatArray, joint: IntArray
) -> npt.NDArray[np.bool_]:
    n, q = probabilities.shape
    given_counts = np.bincount(labels, minlength=q).astype(np.float64)
    row_sums = joint.sum(axis=1, keepdims=True).astype(np.float64)
    calibrated = np.where(row_sums > 0, joint / np.maximum(row_sums, 1), 0.0)
    calibrated *= given_counts[:, None]
    estimated = calibrated / calibrated.sum() * n if calibrated.sum() else calibrated

    flagged = np.zeros(n, dtype=bool)
    for given in range(q):
        members = np.flatnonzero(labels == given)
        budget = max(len(members) - 1, 0)
        for true in range(q):
            count = min(int(round(estimated[given, true])), budget)
            if true == given or count <= 0:
                continue
            margin = probabilities[members, true] - probabilities[members, given]
            chosen = members[np.argsort(-margin, kind="stable")[:count]]
            flagged[chosen] = True
    return flagged
