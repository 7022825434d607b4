"""``sklearn-text.v1``: a text classifier trained on the project's own labels.

TF-IDF of words and of character 2-5-grams inside word boundaries, then a
logistic regression. It learns from human (and imported or consensus) class
annotations, never from other models' predictions, and its ``version`` names
the training set it saw, so a retrained model never overwrites the predictions
of the previous one.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from typing import Any

import numpy as np

from annotary.core.models import Annotation, AnnotationState, Item, Origin
from annotary.core.regions import ClassRegion
from annotary.core.schema import LabelSchema
from annotary.errors import InvalidInput
from annotary.prelabel.base import Prediction, PrelabelInput, check_kinds

log = logging.getLogger("annotary.prelabel")

_TRUSTED = {Origin.human, Origin.imported, Origin.consensus}
_UNUSABLE = {AnnotationState.draft, AnnotationState.rejected}


# Labelled items the classifier needs before it will train.
MIN_EXAMPLES = 4


def build_text_model(c: float = 10.0, seed: int = 0, n_classes: int = 2) -> Any:
    """An unfitted scikit-learn pipeline: word + character TF-IDF, then LR.

    Two classes use liblinear (about 20 times faster here than lbfgs on a few
    hundred sentences); more use lbfgs, which liblinear does not support.
    """
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline, make_union

    features = make_union(
        TfidfVectorizer(sublinear_tf=True),
        TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True),
    )
    solver = "liblinear" if n_classes == 2 else "lbfgs"
    classifier = LogisticRegression(
        C=c, max_iter=1000, random_state=seed, solver=solver
    )
    return make_pipeline(features, classifier)


def training_pairs(
    items: Sequence[Item], annotations: Sequence[Annotation], schema: LabelSchema
) -> tuple[list[str], list[str]]:
    """(text, label) pairs from the last usable class annotation of each item.

    "Last" is in the order given (callers pass annotations oldest first).

    Model predictions, drafts and rejected annotations are skipped, as are
    labels no longer in the schema and items without text.
    """
    texts = {item.id: item.text for item in items if item.text is not None}
    known = set(schema.names)
    newest: dict[int, str] = {}

    for annotation in annotations:
        if annotation.origin not in _TRUSTED or annotation.state in _UNUSABLE:
            continue
        label = _class_label(annotation)
        if label is None or label not in known or annotation.item_id not in texts:
            continue
        newest[annotation.item_id] = label

    ids = sorted(newest)
    return [texts[i] or "" for i in ids], [newest[i] for i in ids]


def _class_label(annotation: Annotation) -> str | None:
    for region in annotation.regions:
        if isinstance(region, ClassRegion) and region.labels:
            return region.labels[0]
    return None


class SklearnText:
    """``sklearn-text.v1``: text classes from TF-IDF and logistic regression.

    Options: ``c`` (inverse regularisation, default 10), ``seed``,
    ``min_examples`` (labelled items needed before it will train, default 4).

    Example:
        >>> model = SklearnText()
        >>> model.version
        '1+untrained'
    """

    name = "sklearn-text.v1"
    kinds = frozenset({"text"})
    regions = frozenset({"class"})

    def __init__(
        self, *, c: float = 10.0, seed: int = 0, min_examples: int = MIN_EXAMPLES
    ) -> None:
        self.c = c
        self.seed = seed
        self.min_examples = min_examples
        self.trained_on = 0
        self._model: Any = None
        self._digest = "untrained"

    @property
    def version(self) -> str:
        return f"1+{self._digest}"

    @property
    def classes(self) -> list[str]:
        """The labels the model was trained on, sorted."""
        return [] if self._model is None else [str(c) for c in self._model.classes_]

    def fit(
        self, items: list[Item], annotations: list[Annotation], schema: LabelSchema
    ) -> None:
        """Train on the items' usable class annotations.

        Raises:
            InvalidInput: fewer than ``min_examples`` labelled items, or only
                one label among them.
        """
        texts, labels = training_pairs(items, annotations, schema)
        self.fit_texts(texts, labels)

    def fit_texts(self, texts: Sequence[str], labels: Sequence[str]) -> None:
        """Train on plain (text, label) lists; ``fit`` calls this."""
        if len(texts) < self.min_examples:
            raise InvalidInput(
                f"{self.name}: {len(texts)} labelled items, need {self.min_examples}",
                count=len(texts),
            )
        if len(set(labels)) < 2:
            raise InvalidInput(
                f"{self.name}: the labelled items use {sorted(set(labels))}; "
                "need at least two labels to train",
            )

        log.info("%s: training on %s items", self.name, len(texts))
        model = build_text_model(self.c, self.seed, len(set(labels)))
        model.fit(list(texts), list(labels))
        self._model = model
        self.trained_on = len(texts)
        self._digest = _digest(texts, labels, self.c)
        log.info("%s: trained, version %s", self.name, self.version)

    def predict(
        self, batch: list[PrelabelInput], schema: LabelSchema
    ) -> list[Prediction]:
        """One class region per item: the likeliest label, its probability as score."""
        probabilities = self.predict_proba(batch, schema)
        predictions = []
        for entry, probs in zip(batch, probabilities, strict=True):
            label = max(probs, key=lambda name: probs[name])
            region = ClassRegion(label=label, score=probs[label])
            region.attributes["probabilities"] = probs
            predictions.append(
                Prediction(
                    item_id=entry.item.id,
                    regions=[region],
                    model_name=self.name,
                    model_version=self.version,
                )
            )
        return predictions

    def predict_proba(
        self, batch: list[PrelabelInput], schema: LabelSchema
    ) -> list[dict[str, float]]:
        """Probability of every schema label per item (0 for labels never seen)."""
        check_kinds(self.name, self.kinds, batch)
        texts = [entry.item.text or "" for entry in batch]
        matrix = self.proba_matrix(texts, schema.names)
        return [
            {name: float(p) for name, p in zip(schema.names, row, strict=True)}
            for row in matrix
        ]

    def proba_matrix(self, texts: Sequence[str], names: Sequence[str]) -> np.ndarray:
        """Probabilities as an (items, labels) array with columns in ``names`` order."""
        if self._model is None:
            raise InvalidInput(f"{self.name}: not trained yet; call fit first")
        if not texts:
            return np.zeros((0, len(names)))

        raw = self._model.predict_proba(list(texts))
        classes = list(self._model.classes_)
        out = np.zeros((len(texts), len(names)))
        for column, name in enumerate(names):
            if name in classes:
                out[:, column] = raw[:, classes.index(name)]
        return out


def _digest(texts: Sequence[str], labels: Sequence[str], c: float) -> str:
    hasher = hashlib.sha256(repr(c).encode())
    for text, label in zip(texts, labels, strict=True):
        hasher.update(label.encode() + b"\x00" + text.encode() + b"\x01")
    return f"n{len(texts)}-{hasher.hexdigest()[:10]}"
